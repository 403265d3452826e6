//! Each account's security log: sign-ins and failed ones, password and email changes, reset
//! links, confirmations, deactivation. The person sees their own; admins see anyone's. An
//! entry is written in the same transaction as what it records, where there is one.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{
    domain::{Timestamp, UserId},
    error::AppError,
};

crate::text_enum! {
    /// What happened to an account.
    pub enum EventKind {
        SignedIn = "signed_in",
        SignInFailed = "sign_in_failed",
        SignedOutEverywhere = "signed_out_everywhere",
        SessionEnded = "session_ended",
        PasswordChanged = "password_changed",
        /// A new password set through a reset link.
        PasswordReset = "password_reset",
        /// A new password set by an operator at the command line.
        PasswordSet = "password_set",
        /// Someone asked for a reset link on the "forgot password" page.
        ResetRequested = "reset_requested",
        /// An admin sent a reset link, or an operator made one at the command line.
        ResetLinkSent = "reset_link_sent",
        EmailChangeRequested = "email_change_requested",
        EmailChanged = "email_changed",
        EmailConfirmed = "email_confirmed",
        /// Someone tried to register with this account's address.
        RegistrationAttempted = "registration_attempted",
        Deactivated = "deactivated",
        Reactivated = "reactivated",
    }
    invalid: ("kind", "Unknown kind of event.")
}

impl EventKind {
    /// What the log says.
    pub fn describe(self) -> &'static str {
        match self {
            EventKind::SignedIn => "Signed in",
            EventKind::SignInFailed => "Failed sign-in (wrong password)",
            EventKind::SignedOutEverywhere => "Signed out everywhere",
            EventKind::SessionEnded => "Ended a session",
            EventKind::PasswordChanged => "Changed the password",
            EventKind::PasswordReset => "Set a new password with a reset link",
            EventKind::PasswordSet => "Password set at the command line",
            EventKind::ResetRequested => "Asked for a password reset link",
            EventKind::ResetLinkSent => "Password reset link made for the account",
            EventKind::EmailChangeRequested => "Asked to change the email address",
            EventKind::EmailChanged => "Changed the email address",
            EventKind::EmailConfirmed => "Confirmed the email address",
            EventKind::RegistrationAttempted => "Someone tried to register with this address",
            EventKind::Deactivated => "Account deactivated",
            EventKind::Reactivated => "Account reactivated",
        }
    }
}

/// One entry, as the log lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct SecurityEvent {
    pub id: i64,
    pub kind: EventKind,
    pub at: Timestamp,
    pub address: Option<String>,
    /// Who did it, when someone else did (an admin).
    pub actor: Option<String>,
}

/// One page of a log, newest first, and the cursor to the next.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SecurityLogPage {
    pub items: Vec<SecurityEvent>,
    pub next: Option<String>,
}

/// How many entries a page shows.
pub const PAGE: i64 = 50;

/// `user`'s security log, newest first, from before the entry `before` (a page's `next`).
/// Their own, or anyone's for admins; anyone else gets "not found".
#[server(prefix = "/api", endpoint = "users/security_log")]
pub async fn security_log(user: UserId, before: Option<String>) -> Result<SecurityLogPage, AppError> {
    crate::access::require_self_or_admin(user).await?;
    let before = match before.as_deref().map(str::parse::<i64>) {
        None => i64::MAX,
        Some(Ok(id)) => id,
        Some(Err(_)) => return Err(AppError::BadRequest("That page of the log doesn't exist.".into())),
    };
    let state = crate::server::state::current()?;
    ssr::page(&state.db, user, before).await
}

/// How an account has been signed in to, and whether its address is confirmed: the summary
/// above its sessions and its log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct SignInRecord {
    pub count: i64,
    /// This sign-in (the newest), and the one before it.
    pub current_at: Option<Timestamp>,
    pub current_address: Option<String>,
    pub last_at: Option<Timestamp>,
    pub last_address: Option<String>,
    pub email_confirmed: bool,
}

/// `user`'s sign-ins in sum. Their own, or anyone's for admins; anyone else gets "not found".
#[server(prefix = "/api", endpoint = "users/sign_ins")]
pub async fn sign_ins(user: UserId) -> Result<SignInRecord, AppError> {
    crate::access::require_self_or_admin(user).await?;
    let state = crate::server::state::current()?;
    ssr::sign_ins(&state.db, user).await
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use std::net::IpAddr;

    use super::{EventKind, SecurityEvent, SecurityLogPage, SignInRecord, PAGE};
    use crate::{domain::UserId, error::AppError, impl_for_connections, server::db::Db, with_db};

    /// Writing an entry inside a caller's transaction.
    pub trait SecurityLog {
        fn log_event(
            &mut self,
            user: UserId,
            kind: EventKind,
            address: Option<IpAddr>,
            actor: Option<UserId>,
        ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send;
    }

    impl_for_connections! {
        impl SecurityLog {
            async fn log_event(
                &mut self,
                user: UserId,
                kind: EventKind,
                address: Option<IpAddr>,
                actor: Option<UserId>,
            ) -> Result<(), sqlx::Error> {
                sqlx::query(
                    "INSERT INTO security_events (user_id, kind, address, actor_id) VALUES ($1, $2, $3, $4)",
                )
                    .bind(user)
                    .bind(kind)
                    .bind(address.map(|a| a.to_string()))
                    .bind(actor)
                    .execute(self)
                    .await
                    .map(drop)
            }
        }
    }

    /// Writes one entry on its own, for events that change nothing else.
    pub async fn record(
        db: &Db,
        user: UserId,
        kind: EventKind,
        address: Option<IpAddr>,
        actor: Option<UserId>,
    ) -> Result<(), AppError> {
        with_db!(db, |pool| {
            let mut conn = pool.acquire().await?;
            conn.log_event(user, kind, address, actor).await
        })?;
        Ok(())
    }

    pub async fn page(db: &Db, user: UserId, before: i64) -> Result<SecurityLogPage, AppError> {
        let mut items: Vec<SecurityEvent> = with_db!(db, |pool| {
            sqlx::query_as(
                "SELECT e.id, e.kind, e.at, e.address, a.display_name AS actor FROM security_events e \
                 LEFT JOIN users a ON a.id = e.actor_id \
                 WHERE e.user_id = $1 AND e.id < $2 ORDER BY e.id DESC LIMIT $3",
            )
            .bind(user)
            .bind(before)
            .bind(PAGE + 1)
            .fetch_all(pool)
            .await
        })?;
        let next = (items.len() as i64 > PAGE).then(|| {
            items.truncate(PAGE as usize);
            items.last().map(|e| e.id.to_string()).unwrap_or_default()
        });
        Ok(SecurityLogPage { items, next })
    }

    pub async fn sign_ins(db: &Db, user: UserId) -> Result<SignInRecord, AppError> {
        let found: Option<SignInRecord> = with_db!(db, |pool| {
            sqlx::query_as(
                "SELECT CAST(sign_in_count AS BIGINT) AS count, current_sign_in_at AS current_at, \
                 current_sign_in_address AS current_address, last_sign_in_at AS last_at, \
                 last_sign_in_address AS last_address, email_confirmed FROM users WHERE id = $1",
            )
            .bind(user)
            .fetch_optional(pool)
            .await
        })?;
        found.ok_or(AppError::NotFound)
    }
}
