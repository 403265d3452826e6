//! Getting back into an account: a "forgot password" link by mail, a reset link an admin
//! sends or an operator makes, and setting a new password with one. A link works once,
//! within an hour (`server::tokens`); using it ends every session of the account.

use leptos::prelude::*;

use crate::{domain::UserId, error::AppError};

/// What a link that can't be used says, whether it never existed, was used or has expired.
pub const LINK_UNUSABLE: &str =
    "This link has expired or has already been used. Ask for a new one on the “Forgot password” page.";

/// Mails a reset link to the account that uses `email`, if one does. Answers the same, after
/// the same work, whether or not one does: the link is made and queued after the answer.
#[server(prefix = "/api", endpoint = "request_password_reset")]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    use crate::{
        access::session,
        domain::Email,
        server::limits::{self, Limited},
    };
    // Public by design: anyone may ask, a few times for each address and from each client.
    let email = Email::parse(&email)?;
    let state = crate::server::state::current()?;
    let address = session::client_address();
    let keys = limits::reset_keys(&email, address);
    limits::claim(&state.db, Limited::Reset, &keys, chrono::Utc::now().timestamp()).await?;
    tokio::spawn(async move {
        let sent = async {
            let Some(user) = crate::users::ssr::id_by_email(&state.db, &email).await? else {
                return Ok(());
            };
            ssr::mail_reset_link(&state, user, ssr::Asker::Owner(address)).await
        };
        if let Err(err) = sent.await {
            tracing::error!(%err, "a requested reset link could not be queued");
        }
    });
    leptos_axum::redirect("/forgot?sent=1");
    Ok(())
}

/// Sets a new password with a reset link's `token`, ends every session of the account, and
/// signs this browser in.
#[server(prefix = "/api", endpoint = "reset_password")]
pub async fn reset_password(token: String, password: String) -> Result<(), AppError> {
    use crate::{access::session, domain::Password};
    // Public by design: the link's token is the authorization, used up as the password is set.
    let password = Password::parse(&password)?;
    let state = crate::server::state::current()?;
    // A forged or spent link costs a lookup, not a password hash.
    if !ssr::usable(&state.db, &token).await? {
        return Err(AppError::BadRequest(LINK_UNUSABLE.into()));
    }
    let hash = crate::auth::ssr::hash_password(password).await?;
    let user = ssr::set_password_by_link(&state.db, &token, &hash, session::client_address()).await?;
    session::start_session(&state, user).await?;
    tracing::info!(user = %user, "password set with a reset link");
    leptos_axum::redirect("/account?reset=1");
    Ok(())
}

/// Mails `user` a reset link, as an admin does from their page.
#[server(prefix = "/api", endpoint = "users/send_reset_link")]
pub async fn send_reset_link(user: UserId) -> Result<(), AppError> {
    let me = crate::access::require_admin().await?;
    let state = crate::server::state::current()?;
    ssr::mail_reset_link(&state, user, ssr::Asker::Admin(me.id)).await?;
    tracing::info!(user = %user, admin = %me.id, "reset link sent by an admin");
    leptos_axum::redirect(&format!("/users/{user}?reset_sent=1"));
    Ok(())
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use std::net::IpAddr;

    use super::LINK_UNUSABLE;
    use crate::{
        domain::{Email, UserId},
        error::AppError,
        security_log::{ssr::SecurityLog, EventKind},
        server::{
            db::{Db, Pool},
            mail::{Landing, Letter, Queue},
            state::AppState,
            tokens::{Purpose, Tokens},
        },
        with_db,
    };

    /// Who asked for a reset link.
    #[derive(Clone, Copy, Debug)]
    pub enum Asker {
        /// Whoever knows the address, on the "forgot password" page, from this client.
        Owner(Option<IpAddr>),
        /// An admin, from the person's page.
        Admin(UserId),
    }

    /// Makes a reset link for `user` and queues it to them, with its entry in their security
    /// log, in one transaction. Not found when there is no such account.
    pub async fn mail_reset_link(state: &AppState, user: UserId, asker: Asker) -> Result<(), AppError> {
        let (kind, address, actor) = match asker {
            Asker::Owner(address) => (EventKind::ResetRequested, address, None),
            Asker::Admin(admin) => (EventKind::ResetLinkSent, None, Some(admin)),
        };
        let mailer = &state.mail;
        with_db!(&state.db, |pool| {
            let mut tx = pool.begin_write().await?;
            let found: Option<(String, String)> = sqlx::query_as(
                "SELECT email, display_name FROM users WHERE id = $1 AND deactivated_at IS NULL",
            )
            .bind(user)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((email, name)) = found else { return Err(AppError::NotFound) };
            let token = tx.issue_token(user, Purpose::ResetPassword, None).await?;
            let link = mailer.link(Landing::Reset, &token);
            let minutes = Purpose::ResetPassword.lifetime_secs() / 60;
            let mail = mailer.render(&Letter::ResetPassword { name, link, minutes });
            tx.queue_mail(&Email::parse(&email)?, &mail).await?;
            tx.log_event(user, kind, address, actor).await?;
            tx.commit().await?;
        });
        mailer.wake();
        Ok(())
    }

    /// Makes a reset link for the account with `email`, for an operator to hand over
    /// (`roster user reset-password`): no mail is sent. Not found when there is no account.
    pub async fn make_reset_link(db: &Db, site: &str, email: &Email) -> Result<String, AppError> {
        let user = crate::users::ssr::id_by_email(db, email).await?.ok_or(AppError::NotFound)?;
        let token = with_db!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            let token = tx.issue_token(user, Purpose::ResetPassword, None).await?;
            tx.log_event(user, EventKind::ResetLinkSent, None, None).await?;
            tx.commit().await.map(|_| token)
        })?;
        Ok(Landing::Reset.link(site, &token))
    }

    /// Whether `token` is a reset link that would work now (it is used up only by
    /// [`set_password_by_link`]).
    pub async fn usable(db: &Db, token: &str) -> Result<bool, AppError> {
        let now = chrono::Utc::now().timestamp();
        let id = crate::access::session::digest(token.trim());
        Ok(with_db!(db, |pool| {
            sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM account_tokens \
                 WHERE id = $1 AND purpose = $2 AND expires_at > $3)",
            )
            .bind(&id)
            .bind(Purpose::ResetPassword)
            .bind(now)
            .fetch_one(pool)
            .await
        })?)
    }

    /// Uses up the reset link `token` to set the password hash `hash`, in one transaction:
    /// every session of the account ends, its failed sign-ins are forgiven (whoever holds the
    /// mailbox is the owner) and the reset is logged. Returns the account.
    pub async fn set_password_by_link(
        db: &Db,
        token: &str,
        hash: &str,
        address: Option<IpAddr>,
    ) -> Result<UserId, AppError> {
        with_db!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            let Some(taken) = tx.take_token(token, Purpose::ResetPassword).await? else {
                return Err(AppError::BadRequest(LINK_UNUSABLE.into()));
            };
            let user = taken.user_id;
            tx.replace_password(user, hash).await?;
            tx.log_event(user, EventKind::PasswordReset, address, None).await?;
            tx.commit().await?;
            Ok(user)
        })
    }

    /// Sets the password of the account with `email` to `hash`, as an operator does at the
    /// command line: its sessions end and it is logged. Not found when there is no account.
    pub async fn set_password_by_operator(db: &Db, email: &Email, hash: &str) -> Result<(), AppError> {
        let user = crate::users::ssr::id_by_email(db, email).await?.ok_or(AppError::NotFound)?;
        with_db!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            tx.replace_password(user, hash).await?;
            tx.log_event(user, EventKind::PasswordSet, None, None).await?;
            tx.commit().await
        })?;
        Ok(())
    }

    /// The statements a new password runs, inside a caller's transaction.
    trait Passwords {
        /// Sets `user`'s password hash: every session of the account ends, its failed
        /// sign-ins are forgiven (whoever sets it is the owner or an operator) and its reset
        /// links stop working.
        async fn replace_password(&mut self, user: UserId, hash: &str) -> Result<(), sqlx::Error>;
    }

    crate::impl_for_connections! {
        impl Passwords {
            async fn replace_password(&mut self, user: UserId, hash: &str) -> Result<(), sqlx::Error> {
                let email: String =
                    sqlx::query_scalar("UPDATE users SET password_hash = $2 WHERE id = $1 RETURNING email")
                        .bind(user)
                        .bind(hash)
                        .fetch_one(&mut *self)
                        .await?;
                sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user).execute(&mut *self).await?;
                sqlx::query("DELETE FROM sign_in_failures WHERE key = $1")
                    .bind(format!("account:{email}"))
                    .execute(&mut *self)
                    .await?;
                self.drop_tokens(user, Purpose::ResetPassword).await
            }
        }
    }
}
