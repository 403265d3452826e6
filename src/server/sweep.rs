//! What time ends, closed in the background once a minute: invitations past their expiry,
//! recorded as expired at that moment. Nothing waits on it: an expired invitation's link
//! stops working at its expiry whether or not it has been swept.

use std::time::Duration;

use tokio::{task::JoinHandle, time::MissedTickBehavior};

use crate::server::db::Db;

/// How often the sweep runs.
const EVERY: Duration = Duration::from_secs(60);

/// Starts the sweep; it runs until aborted.
pub fn spawn(db: Db) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(EVERY);
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match crate::invitations::ssr::sweep(&db).await {
                Ok(0) => {}
                Ok(closed) => tracing::info!(invitations = closed, "expired invitations closed"),
                Err(err) => tracing::warn!(%err, "the sweep failed; it runs again in a minute"),
            }
        }
    })
}
