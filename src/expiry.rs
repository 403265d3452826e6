//! Memberships that end. A manager may give a membership a last day; from the end of that
//! day (UTC) it grants nothing, because every access check compares the end with the clock
//! ([`crate::access`]), so an end never waits on a sweeper. The sweeper
//! ([`crate::server::sweep`]) then takes ended memberships off their profiles and records
//! each in history as expired, at the moment it ended, and a week before an end it mails the
//! member and the profile's managers. Any change to a membership first settles whether it
//! has ended ([`ssr::Ends::expire_due`]), so an end and a change racing leave one story:
//! either the end came first and the change finds no membership, or the change did.
//!
//! Managers set, move or clear an end; no one but an admin may extend their own (a manager
//! with an end could otherwise lift it). A profile always keeps a manager with no end
//! (migrations/*/0029): managers who all end would leave it with none, in time. Every end
//! set, moved or cleared is recorded in `end_date_changes`.

use chrono::Datelike;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{
    domain::{ProfileId, Timestamp, UserId},
    error::AppError,
};

/// How many days before an end its notices go out.
pub const NOTICE_DAYS: i64 = 7;

/// How far ahead a last day may be.
const MAX_YEARS: i32 = 10;

/// The last day a membership ending at `ends` grants access: the day before the midnight
/// (UTC) it ends at, as "2026-12-31".
pub fn last_day(ends: Timestamp) -> String {
    Timestamp(ends.0 - chrono::Duration::microseconds(1)).date()
}

/// The end a form's last day ("YYYY-MM-DD"; empty for none) gives: the midnight after it,
/// UTC. A last day before `today` is refused, as is one more than ten years away.
pub fn parse_last_day(raw: Option<&str>, today: chrono::NaiveDate) -> Result<Option<Timestamp>, AppError> {
    let raw = raw.unwrap_or("").trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let invalid = |msg: &str| AppError::invalid("ends_on", msg);
    let day = chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| invalid("Enter the last day as YYYY-MM-DD."))?;
    if day < today {
        return Err(invalid("The last day can't be in the past. To end access now, remove them."));
    }
    let latest = today.with_year(today.year() + MAX_YEARS).unwrap_or(today);
    if day > latest {
        return Err(invalid("Choose a last day within ten years."));
    }
    let end = day.succ_opt().and_then(|d| d.and_hms_opt(0, 0, 0));
    Ok(end.map(|end| Timestamp(end.and_utc())))
}

/// One end set, moved or cleared, as a profile's history lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct EndChange {
    pub id: i64,
    pub at: Timestamp,
    /// Who changed it; `None` for an account that is gone.
    pub actor: Option<String>,
    pub user_id: UserId,
    /// `None` when the account is gone.
    pub user_name: Option<String>,
    pub ends_before: Option<Timestamp>,
    pub ends_after: Option<Timestamp>,
}

impl EndChange {
    /// "last day set to 2026-12-31", "last day moved from … to …", "end cleared (was …)".
    pub fn describe(&self) -> String {
        match (self.ends_before, self.ends_after) {
            (None, Some(after)) => format!("last day set to {}", last_day(after)),
            (Some(before), Some(after)) => {
                format!("last day moved from {} to {}", last_day(before), last_day(after))
            }
            (Some(before), None) => format!("end cleared (last day was {})", last_day(before)),
            (None, None) => "no change".into(),
        }
    }
}

/// How many end changes a profile's history page shows, newest first.
pub const END_CHANGES_SHOWN: i64 = 50;

/// Sets, moves or clears (`ends_on` empty) the last day of `user`'s membership of `profile`.
/// Managers and admins only; a manager may shorten their own but not extend or clear it.
#[server(prefix = "/api", endpoint = "members/set_end")]
pub async fn set_end(profile: ProfileId, user: UserId, ends_on: Option<String>) -> Result<(), AppError> {
    let (me, _) = crate::access::require_manage_members(profile).await?;
    let ends = parse_last_day(ends_on.as_deref(), chrono::Utc::now().date_naive())?;
    let state = crate::server::state::current()?;
    let may_extend = me.id != user || me.is_admin;
    ssr::set_end(&state.db, (profile, user), ends, me.id, may_extend).await?;
    leptos_axum::redirect(&format!("/profiles/{profile}/why/{user}?saved=1"));
    Ok(())
}

/// The latest changes to a profile's end dates, for whoever may see the profile.
#[server(prefix = "/api", endpoint = "history/end_changes")]
pub async fn list_end_changes(profile: ProfileId) -> Result<Vec<EndChange>, AppError> {
    crate::access::require_view(profile).await?;
    let state = crate::server::state::current()?;
    ssr::end_changes(&state.db, profile).await
}

#[cfg(feature = "ssr")]
pub mod ssr;
