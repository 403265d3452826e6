//! What time ends, closed in the background once a minute: invitations past their expiry,
//! recorded as expired at that moment; memberships past their end, taken off their profiles
//! and recorded as expired at their end; the notices of ends within the week; and the
//! reminders of access reviews due. It also forgets API idempotency keys past their day,
//! and tokens' rate counts that have refilled. Nothing waits on it: an expired link stops working, and
//! an ended membership stops granting access, at its moment whether or not it has been swept.

use std::time::Duration;

use tokio::{task::JoinHandle, time::MissedTickBehavior};

use crate::{domain::Timestamp, error::AppError, server::state::AppState};

/// How often the sweep runs.
const EVERY: Duration = Duration::from_secs(60);

/// Starts the sweep; it runs until aborted.
pub fn spawn(state: AppState) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(EVERY);
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(err) = once(&state).await {
                tracing::warn!(%err, "the sweep failed; it runs again in a minute");
            }
        }
    })
}

/// One pass of the sweep, as of now.
pub async fn once(state: &AppState) -> Result<(), AppError> {
    let closed = crate::invitations::ssr::sweep(&state.db).await?;
    if closed > 0 {
        tracing::info!(invitations = closed, "expired invitations closed");
    }
    let now = Timestamp::now();
    let ended = crate::expiry::ssr::expire(&state.db, now).await?;
    if ended > 0 {
        tracing::info!(memberships = ended, "ended memberships recorded");
    }
    let noticed = crate::expiry::ssr::send_notices(&state.db, &state.mail, now).await?;
    if noticed > 0 {
        tracing::info!(memberships = noticed, "notices of ends within the week queued");
    }
    let reminded = crate::reviews::ssr::remind(&state.db, &state.mail, now).await?;
    if reminded > 0 {
        tracing::info!(profiles = reminded, "reminders of access reviews due queued");
    }
    crate::api::idempotency::forget_stale(&state.db).await?;
    state.api_limits.retain_recent();
    Ok(())
}
