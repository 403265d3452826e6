//! Confirming email addresses, and who may register.
//!
//! With `email_confirmation = "required"` (the default), registering makes no account: it
//! keeps the registration (`registrations`) and mails a link to the address, and the account
//! is made when the link is used. Registering with an address that has an account answers
//! exactly the same, and mails its owner instead. So an address no one has confirmed has no
//! account, no one can be added to a profile in its owner's place, and registering tells no
//! one which addresses have accounts. With `"optional"`, the account works at once and the
//! link marks its address confirmed; with `"off"`, nothing is mailed.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// What a confirmation link that can't be used says.
pub const LINK_UNUSABLE: &str = "This link has expired or has already been used. If your account \
    isn't open yet, register again for a new link.";

/// An address that already has an account, when its registration link is used.
pub const ALREADY_CONFIRMED: &str =
    "An account already uses this address. Sign in, or set a new password from “Forgot password”.";

/// What the registration page needs to know of the rules.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rules {
    /// Whether anyone may register at all.
    pub open: bool,
    /// The only domains whose addresses may register, when limited.
    pub domains: Vec<String>,
    /// Whether an account waits for its address to be confirmed.
    pub confirm_first: bool,
}

/// The rules the registration page shows. Public: they are the same for everyone.
#[server(prefix = "/api", endpoint = "registration_rules")]
pub async fn registration_rules() -> Result<Rules, AppError> {
    use crate::server::config::{Confirmation, Registration};
    let state = crate::server::state::current()?;
    let settings = &state.settings;
    Ok(Rules {
        open: settings.registration != Registration::Closed,
        domains: match settings.registration {
            Registration::Domains => settings.registration_domains.clone(),
            _ => Vec::new(),
        },
        confirm_first: settings.email_confirmation == Confirmation::Required,
    })
}

/// Uses a confirmation link: makes the account it registered and signs it in, or marks an
/// account's address confirmed.
#[server(prefix = "/api", endpoint = "confirm_email")]
pub async fn confirm_email(token: String) -> Result<(), AppError> {
    use crate::access::session;
    // Public by design: the link's token is the authorization, used up here.
    let state = crate::server::state::current()?;
    let address = session::client_address();
    match ssr::confirm(&state, &token, address).await? {
        ssr::Confirmed::NewAccount(id) => {
            session::start_session(&state, id).await?;
            crate::auth::ssr::record_sign_in(&state.db, id, address).await?;
            session::trust_device(&state, id).await?;
            tracing::info!(user = %id, "account made from a confirmed registration");
            leptos_axum::redirect("/");
        }
        ssr::Confirmed::Address(id) => {
            tracing::info!(user = %id, "address confirmed");
            leptos_axum::redirect("/confirm?confirmed=1");
        }
        ssr::Confirmed::NewAddress(id) => {
            tracing::info!(user = %id, "account moved to a new address");
            leptos_axum::redirect("/confirm?moved=1");
        }
    }
    Ok(())
}

/// Mails a new confirmation link to `email` if a registration waits for it or its account
/// is unconfirmed. Answers the same, after the same work, either way.
#[server(prefix = "/api", endpoint = "resend_confirmation")]
pub async fn resend_confirmation(email: String) -> Result<(), AppError> {
    use crate::{
        access::session,
        domain::Email,
        server::limits::{self, Limited},
    };
    // Public by design: anyone may ask, a few times for each address and from each client.
    let email = Email::parse(&email)?;
    let state = crate::server::state::current()?;
    let keys = limits::confirmation_keys(&email, session::client_address());
    limits::claim(&state.db, Limited::Confirmation, &keys, chrono::Utc::now().timestamp()).await?;
    tokio::spawn(async move {
        if let Err(err) = ssr::resend(&state, &email).await {
            tracing::error!(%err, "a confirmation link could not be resent");
        }
    });
    leptos_axum::redirect("/confirm?sent=1");
    Ok(())
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use std::net::IpAddr;

    use super::{ALREADY_CONFIRMED, LINK_UNUSABLE};
    use crate::{
        access::session::{digest, random_token},
        domain::{DisplayName, Email, UserId},
        error::AppError,
        security_log::{ssr::SecurityLog, EventKind},
        server::{
            config::{Registration, Settings},
            db::{Db, Pool},
            mail::{Landing, Letter, Mailer, Queue},
            state::AppState,
            tokens::{Purpose, Tokens},
        },
        users::ssr::AdminGrant,
        with_db,
    };

    /// How long a registration's link works.
    pub const REGISTRATION_HOURS: i64 = 48;

    /// Refuses `email` when the settings don't let it register.
    pub fn check_policy(settings: &Settings, email: &Email) -> Result<(), AppError> {
        match settings.registration {
            Registration::Open => Ok(()),
            Registration::Closed => Err(AppError::invalid(
                "email",
                "New accounts can't be registered here: an administrator makes them.",
            )),
            Registration::Domains => {
                let domain = email.as_str().rsplit_once('@').map_or("", |(_, d)| d);
                let allowed = &settings.registration_domains;
                if allowed.iter().any(|d| d.eq_ignore_ascii_case(domain)) {
                    Ok(())
                } else {
                    let list = allowed.iter().map(|d| format!("@{d}")).collect::<Vec<_>>().join(", ");
                    Err(AppError::invalid("email", format!("Only addresses at {list} may register here.")))
                }
            }
        }
    }

    /// Keeps a registration and mails its confirmation link; or, when `email` already has an
    /// account, mails its owner that someone tried, and logs it. Runs after the request has
    /// been answered, so its work tells nothing.
    pub async fn register_pending(
        state: &AppState,
        email: &Email,
        name: &DisplayName,
        password_hash: &str,
        address: Option<IpAddr>,
    ) -> Result<(), AppError> {
        let mailer = &state.mail;
        if let Some(owner) = crate::users::ssr::id_by_email(&state.db, email).await? {
            return tell_owner(state, owner, email, address).await;
        }
        let token = random_token();
        let now = chrono::Utc::now().timestamp();
        let link = mailer.link(Landing::Confirm, &token);
        let letter = Letter::ConfirmEmail { name: name.as_str().to_owned(), link, hours: REGISTRATION_HOURS };
        let mail = mailer.render(&letter);
        with_db!(&state.db, |pool| {
            let mut tx = pool.begin_write().await?;
            sqlx::query("DELETE FROM registrations WHERE expires_at <= $1")
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO registrations (id, email, display_name, password_hash, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(digest(&token))
            .bind(email.as_str())
            .bind(name.as_str())
            .bind(password_hash)
            .bind(now)
            .bind(now + REGISTRATION_HOURS * 3600)
            .execute(&mut *tx)
            .await?;
            tx.queue_mail(email, &mail).await?;
            tx.commit().await
        })?;
        mailer.wake();
        Ok(())
    }

    /// Mails `owner` that someone tried to register with their address, and logs it.
    async fn tell_owner(
        state: &AppState,
        owner: UserId,
        email: &Email,
        address: Option<IpAddr>,
    ) -> Result<(), AppError> {
        let name: String = with_db!(&state.db, |pool| {
            sqlx::query_scalar("SELECT display_name FROM users WHERE id = $1")
                .bind(owner)
                .fetch_one(pool)
                .await
        })?;
        let mail = state.mail.render(&Letter::RegistrationAttempt { name });
        with_db!(&state.db, |pool| {
            let mut tx = pool.begin_write().await?;
            tx.queue_mail(email, &mail).await?;
            tx.log_event(owner, EventKind::RegistrationAttempted, address, None).await?;
            tx.commit().await
        })?;
        state.mail.wake();
        Ok(())
    }

    /// The password hash of the newest registration still waiting for `email`, if any: a
    /// sign-in with that password is told to confirm the address first.
    pub async fn pending_hash(db: &Db, email: &str) -> Result<Option<String>, AppError> {
        let Ok(email) = Email::parse(email) else { return Ok(None) };
        let now = chrono::Utc::now().timestamp();
        Ok(with_db!(db, |pool| {
            sqlx::query_scalar(
                "SELECT password_hash FROM registrations WHERE email = $1 AND expires_at > $2 \
                 ORDER BY created_at DESC LIMIT 1",
            )
            .bind(email.as_str())
            .bind(now)
            .fetch_optional(pool)
            .await
        })?)
    }

    /// What a confirmation link did.
    #[derive(Debug, PartialEq, Eq)]
    pub enum Confirmed {
        /// Made the account it registered.
        NewAccount(UserId),
        /// Confirmed an existing account's address.
        Address(UserId),
        /// Moved an account to the new address it confirmed.
        NewAddress(UserId),
    }

    #[derive(sqlx::FromRow)]
    struct Waiting {
        email: String,
        display_name: String,
        password_hash: String,
    }

    /// Uses the confirmation link `token`: a waiting registration's, an account's, or a new
    /// address's.
    pub async fn confirm(
        state: &AppState,
        token: &str,
        address: Option<IpAddr>,
    ) -> Result<Confirmed, AppError> {
        let db = &state.db;
        if let Some(user) = crate::identity::ssr::move_to_new_address(state, token, address).await? {
            return Ok(Confirmed::NewAddress(user));
        }
        let now = chrono::Utc::now().timestamp();
        let waiting: Option<Waiting> = with_db!(db, |pool| {
            sqlx::query_as(
                "DELETE FROM registrations WHERE id = $1 AND expires_at > $2 \
                 RETURNING email, display_name, password_hash",
            )
            .bind(digest(token.trim()))
            .bind(now)
            .fetch_optional(pool)
            .await
        })?;
        if let Some(w) = waiting {
            let (email, name) = (Email::parse(&w.email)?, DisplayName::parse(&w.display_name)?);
            let id = crate::users::ssr::create(db, &email, &name, &w.password_hash, AdminGrant::Never)
                .await
                .map_err(|err| match err {
                    AppError::Conflict(_) => AppError::Conflict(ALREADY_CONFIRMED.into()),
                    other => other,
                })?;
            crate::security_log::ssr::record(db, id, EventKind::EmailConfirmed, address, None).await?;
            return Ok(Confirmed::NewAccount(id));
        }
        let user = with_db!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            let Some(taken) = tx.take_token(token, Purpose::ConfirmEmail).await? else {
                return Err(AppError::BadRequest(LINK_UNUSABLE.into()));
            };
            sqlx::query("UPDATE users SET email_confirmed = $2 WHERE id = $1")
                .bind(taken.user_id)
                .bind(true)
                .execute(&mut *tx)
                .await?;
            tx.log_event(taken.user_id, EventKind::EmailConfirmed, address, None).await?;
            tx.commit().await?;
            taken.user_id
        });
        Ok(Confirmed::Address(user))
    }

    /// Marks `user`'s address unconfirmed and mails them a link to confirm it
    /// (`email_confirmation = "optional"`).
    pub async fn ask_to_confirm(db: &Db, mailer: &Mailer, user: UserId) -> Result<(), AppError> {
        with_db!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            let (email, name): (String, String) = sqlx::query_as(
                "UPDATE users SET email_confirmed = $2 WHERE id = $1 RETURNING email, display_name",
            )
            .bind(user)
            .bind(false)
            .fetch_one(&mut *tx)
            .await?;
            queue_account_link(&mut *tx, mailer, user, &Email::parse(&email)?, name).await?;
            tx.commit().await?;
        });
        mailer.wake();
        Ok(())
    }

    /// A new link for a waiting registration of `email` (the newest), or for its account when
    /// that is unconfirmed; nothing otherwise.
    pub async fn resend(state: &AppState, email: &Email) -> Result<(), AppError> {
        let mailer = &state.mail;
        let token = random_token();
        let now = chrono::Utc::now().timestamp();
        with_db!(&state.db, |pool| {
            let mut tx = pool.begin_write().await?;
            // A new token for the newest registration: the link mailed before stops working.
            let renewed: Option<String> = sqlx::query_scalar(
                "UPDATE registrations SET id = $1, expires_at = $3 WHERE id = (SELECT id \
                 FROM registrations WHERE email = $2 AND expires_at > $4 \
                 ORDER BY created_at DESC LIMIT 1) RETURNING display_name",
            )
            .bind(digest(&token))
            .bind(email.as_str())
            .bind(now + REGISTRATION_HOURS * 3600)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(name) = renewed {
                let link = mailer.link(Landing::Confirm, &token);
                let letter = Letter::ConfirmEmail { name, link, hours: REGISTRATION_HOURS };
                tx.queue_mail(email, &mailer.render(&letter)).await?;
            } else {
                let unconfirmed: Option<(UserId, String)> = sqlx::query_as(
                    "SELECT id, display_name FROM users WHERE email = $1 AND email_confirmed = $2",
                )
                .bind(email.as_str())
                .bind(false)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some((user, name)) = unconfirmed {
                    queue_account_link(&mut *tx, mailer, user, email, name).await?;
                }
            }
            tx.commit().await?;
        });
        mailer.wake();
        Ok(())
    }

    /// Issues an account's confirmation link and queues it, in the caller's transaction.
    async fn queue_account_link<C>(
        tx: &mut C,
        mailer: &Mailer,
        user: UserId,
        email: &Email,
        name: String,
    ) -> Result<(), sqlx::Error>
    where
        C: Tokens + Queue + Send,
    {
        let token = tx.issue_token(user, Purpose::ConfirmEmail, None).await?;
        let link = mailer.link(Landing::Confirm, &token);
        let hours = Purpose::ConfirmEmail.lifetime_secs() / 3600;
        tx.queue_mail(email, &mailer.render(&Letter::ConfirmEmail { name, link, hours })).await
    }
}
