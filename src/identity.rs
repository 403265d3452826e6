//! A person's own name and email. A name changes at once. An email changes only once the new
//! address confirms it by a mailed link (`server::tokens`, 24 hours), given the password
//! first; the old address is then told, so a stolen session can't quietly move an account.

use leptos::prelude::*;

use crate::error::AppError;

/// Changes the signed-in person's display name.
#[server(prefix = "/api", endpoint = "account/name")]
pub async fn change_name(display_name: String) -> Result<(), AppError> {
    let me = crate::access::require_user().await?;
    let name = crate::domain::DisplayName::parse(&display_name)?;
    let state = crate::server::state::current()?;
    ssr::rename(&state.db, me.id, &name).await?;
    tracing::info!(user = %me.id, "name changed");
    leptos_axum::redirect("/account?renamed=1");
    Ok(())
}

/// Mails a link to `new_email` that moves the signed-in person's account to it, given their
/// password. The answer is the same whether or not another account uses that address.
#[server(prefix = "/api", endpoint = "account/email")]
pub async fn change_email(new_email: String, password: String) -> Result<(), AppError> {
    use crate::{access::session, domain::Email};
    let me = crate::access::require_user().await?;
    let new_email = Email::parse(&new_email).map_err(|e| match e {
        AppError::Invalid { message, .. } => AppError::invalid("new_email", message),
        other => other,
    })?;
    if new_email.as_str() == me.email {
        return Err(AppError::invalid("new_email", "That is your address already."));
    }
    let state = crate::server::state::current()?;
    let wrong = ("password", "That is not your password.");
    crate::auth::ssr::recheck_password(&state, &me, password, wrong).await?;
    ssr::ask_new_address(&state, me.id, &new_email, session::client_address()).await?;
    leptos_axum::redirect("/account?email_sent=1");
    Ok(())
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use std::net::IpAddr;

    use crate::{
        domain::{DisplayName, Email, UserId},
        error::AppError,
        security_log::{ssr::SecurityLog, EventKind},
        server::{
            db::{Db, Pool},
            lists::words::SearchWords,
            mail::{Landing, Letter, Queue},
            state::AppState,
            tokens::{Purpose, Tokens},
        },
        with_db,
    };

    /// An address another account took between the link and its use.
    pub const ADDRESS_TAKEN: &str = "Another account uses that address now, so yours stays as it was.";

    pub async fn rename(db: &Db, user: UserId, name: &DisplayName) -> Result<(), AppError> {
        // The words go first: their foreign key holds the old name key until then.
        with_db!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            tx.drop_words(user).await?;
            let email: String = sqlx::query_scalar(
                "UPDATE users SET display_name = $2, name_key = $3 WHERE id = $1 RETURNING email",
            )
            .bind(user)
            .bind(name.as_str())
            .bind(name.key())
            .fetch_one(&mut *tx)
            .await?;
            tx.write_words(&[(user, &name.key(), &email)]).await?;
            tx.commit().await
        })?;
        Ok(())
    }

    /// Issues the link that moves `user` to `new_email`, mails it there, and logs the request,
    /// in one transaction.
    pub async fn ask_new_address(
        state: &AppState,
        user: UserId,
        new_email: &Email,
        address: Option<IpAddr>,
    ) -> Result<(), AppError> {
        let mailer = &state.mail;
        with_db!(&state.db, |pool| {
            let mut tx = pool.begin_write().await?;
            let name: String = sqlx::query_scalar("SELECT display_name FROM users WHERE id = $1")
                .bind(user)
                .fetch_one(&mut *tx)
                .await?;
            let token = tx.issue_token(user, Purpose::ChangeEmail, Some(new_email)).await?;
            let link = mailer.link(Landing::Confirm, &token);
            let hours = Purpose::ChangeEmail.lifetime_secs() / 3600;
            tx.queue_mail(new_email, &mailer.render(&Letter::ConfirmNewEmail { name, link, hours })).await?;
            tx.log_event(user, EventKind::EmailChangeRequested, address, None).await?;
            tx.commit().await?;
        });
        mailer.wake();
        Ok(())
    }

    /// Uses a change-of-address link: moves its account to the new address, marks it
    /// confirmed, tells the old address and logs it, in one transaction. `None` when `token`
    /// is no such link.
    pub async fn move_to_new_address(
        state: &AppState,
        token: &str,
        address: Option<IpAddr>,
    ) -> Result<Option<UserId>, AppError> {
        let mailer = &state.mail;
        with_db!(&state.db, |pool| {
            let mut tx = pool.begin_write().await?;
            let Some(taken) = tx.take_token(token, Purpose::ChangeEmail).await? else { return Ok(None) };
            let user = taken.user_id;
            let new_email = Email::parse(taken.new_email.as_deref().unwrap_or_default())?;
            let (old, name, name_key): (String, String, String) =
                sqlx::query_as("SELECT email, display_name, name_key FROM users WHERE id = $1")
                    .bind(user)
                    .fetch_one(&mut *tx)
                    .await?;
            tx.drop_words(user).await?;
            let moved = sqlx::query("UPDATE users SET email = $2, email_confirmed = $3 WHERE id = $1")
                .bind(user)
                .bind(new_email.as_str())
                .bind(true)
                .execute(&mut *tx)
                .await;
            match moved {
                Err(e) if crate::server::db::is_unique_violation(&e) => {
                    return Err(AppError::Conflict(ADDRESS_TAKEN.into()));
                }
                other => other?,
            };
            tx.write_words(&[(user, &name_key, new_email.as_str())]).await?;
            let letter = Letter::EmailChanged { name, new_email: new_email.as_str().to_owned() };
            tx.queue_mail(&Email::parse(&old)?, &mailer.render(&letter)).await?;
            tx.log_event(user, EventKind::EmailChanged, address, None).await?;
            tx.commit().await?;
            mailer.wake();
            Ok(Some(user))
        })
    }
}
