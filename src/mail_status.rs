//! What admins see of the mail queue: how much waits, and the latest mail that could not be
//! delivered after every retry (`server::mail`).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// A mail that could not be delivered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Undelivered {
    pub recipient: String,
    pub subject: String,
    pub attempts: i32,
    pub error: String,
    /// When it was given up on, as "2026-12-06 09:41 UTC".
    pub failed_at: String,
}

/// The queue as admins see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueState {
    /// How many wait, in words: "3", or "1000 or more".
    pub waiting: String,
    pub failed: Vec<Undelivered>,
}

/// How many failures the page lists at most.
pub const SHOWN: i64 = 20;

/// The mail queue's state, for admins.
#[server(prefix = "/api", endpoint = "mail/status")]
pub async fn mail_status() -> Result<QueueState, AppError> {
    crate::access::require_admin().await?;
    let state = crate::server::state::current()?;
    let waiting = match crate::server::mail::waiting(&state.db).await? {
        n if n >= crate::server::mail::WAITING_CAP => format!("{n} or more"),
        n => n.to_string(),
    };
    let failed = crate::server::mail::failures(&state.db, SHOWN).await?;
    let failed = failed
        .into_iter()
        .map(|f| Undelivered {
            recipient: f.recipient,
            subject: f.subject,
            attempts: f.attempts,
            error: f.last_error,
            failed_at: chrono::DateTime::from_timestamp(f.failed_at, 0)
                .unwrap_or_default()
                .format("%Y-%m-%d %H:%M UTC")
                .to_string(),
        })
        .collect();
    Ok(QueueState { waiting, failed })
}
