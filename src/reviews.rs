//! Access reviews: a manager goes through everyone on a profile and decides, for each, to
//! keep them, change their access or remove them, seeing when each was added and last signed
//! in. A review is kept as it goes, so it can be left and resumed; completing it applies every
//! decision in one transaction, and the history names the review. A profile may require a
//! review every so many days; when one is due its managers are mailed (the sweep,
//! [`ssr::remind`]).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{
    domain::{Access, ProfileId, Timestamp, UserId},
    error::AppError,
    memberships::Member,
    paging::Page,
};

crate::text_enum! {
    /// What a review decides about one person.
    pub enum Decision {
        Keep = "keep",
        /// Moves them to the other access.
        Change = "change",
        Remove = "remove",
    }
    invalid: ("decision", "Choose keep, change or remove.")
}

/// A review, under way or completed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Review {
    pub id: i64,
    pub started_at: Timestamp,
    /// `None` when the account is gone.
    pub started_by: Option<String>,
    pub completed_at: Option<Timestamp>,
    pub completed_by: Option<String>,
    /// How many people it has decided about, and how many of those are to be removed or
    /// changed.
    pub decided: i64,
    pub removals: i64,
    pub changes: i64,
}

/// One person in a review: the member, when they last signed in, and what was decided.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reviewed {
    pub member: Member,
    pub last_sign_in: Option<Timestamp>,
    pub decision: Option<Decision>,
}

/// A profile's reviews as its review page shows them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReviewState {
    pub profile_id: ProfileId,
    pub profile_name: String,
    pub member_count: i64,
    /// The review under way, if one is.
    pub open: Option<Review>,
    /// The last one completed, if any.
    pub last: Option<Review>,
    /// A page of the members, with the open review's decisions.
    pub members: Page<Reviewed>,
    /// Every how many days a review is required, and when the next is due.
    pub every_days: Option<i32>,
    pub due_at: Option<Timestamp>,
}

/// The most days between required reviews: ten years.
pub const MOST_DAYS: i32 = 3650;

/// A profile's review page: managers and admins only.
#[server(prefix = "/api", endpoint = "reviews/get")]
pub async fn get_reviews(
    profile: ProfileId,
    q: Option<String>,
    after: Option<String>,
) -> Result<ReviewState, AppError> {
    let (_, seen) = crate::access::require_seen(profile).await?;
    if !seen.standing.can_manage() {
        return Err(AppError::Forbidden);
    }
    let state = crate::server::state::current()?;
    crate::expiry::ssr::settle(&state.db).await?;
    let q = crate::paging::search_text(q.as_deref())?;
    ssr::state(&state.db, (profile, &seen), q, after.as_deref()).await
}

/// Starts a review of the profile, or goes to the one under way.
#[server(prefix = "/api", endpoint = "reviews/start")]
pub async fn start_review(profile: ProfileId) -> Result<(), AppError> {
    let (me, _) = crate::access::require_manage_members(profile).await?;
    let state = crate::server::state::current()?;
    ssr::start(&state.db, profile, me.id).await?;
    leptos_axum::redirect(&format!("/profiles/{profile}/review"));
    Ok(())
}

/// Decides about one member in the review under way; back to the same page of it (`after`).
#[server(prefix = "/api", endpoint = "reviews/decide")]
pub async fn decide(
    profile: ProfileId,
    user: UserId,
    decision: String,
    after: Option<String>,
) -> Result<(), AppError> {
    let (me, _) = crate::access::require_manage_members(profile).await?;
    let decision = Decision::parse(&decision)?;
    if user == me.id && !me.is_admin && decision != Decision::Keep {
        return Err(AppError::invalid(
            "decision",
            "You can't remove yourself or change your own access here.",
        ));
    }
    let state = crate::server::state::current()?;
    ssr::decide(&state.db, profile, user, decision, me.id).await?;
    let page =
        after.filter(|a| !a.is_empty()).map(|a| format!("?after={}", urlencode(&a))).unwrap_or_default();
    leptos_axum::redirect(&format!("/profiles/{profile}/review{page}#member-{user}"));
    Ok(())
}

#[cfg(feature = "ssr")]
fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Completes the review under way: every decision applied in one transaction. People not
/// decided are kept, once `keep_rest` says so.
#[server(prefix = "/api", endpoint = "reviews/complete")]
pub async fn complete_review(profile: ProfileId, keep_rest: Option<String>) -> Result<(), AppError> {
    let (me, _) = crate::access::require_manage_members(profile).await?;
    let state = crate::server::state::current()?;
    let keep_rest = keep_rest.as_deref() == Some("yes");
    let id = ssr::complete(&state.db, profile, me.id, keep_rest).await?;
    leptos_axum::redirect(&format!("/profiles/{profile}/review?completed={id}"));
    Ok(())
}

/// Requires a review every `every_days` days (empty: none required).
#[server(prefix = "/api", endpoint = "reviews/schedule")]
pub async fn schedule_reviews(profile: ProfileId, every_days: Option<String>) -> Result<(), AppError> {
    crate::access::require_manage(profile).await?;
    let every = match every_days.as_deref().map(str::trim).unwrap_or("") {
        "" => None,
        raw => Some(raw.parse::<i32>().ok().filter(|n| (1..=MOST_DAYS).contains(n)).ok_or_else(|| {
            AppError::invalid(
                "every_days",
                format!("Enter a number of days from 1 to {MOST_DAYS}, or nothing."),
            )
        })?),
    };
    let state = crate::server::state::current()?;
    ssr::schedule(&state.db, profile, every).await?;
    leptos_axum::redirect(&format!("/profiles/{profile}/review?scheduled=1"));
    Ok(())
}

/// What a decision moves a member with `access` to: `None` for keep and remove.
pub fn changed_to(decision: Decision, access: Access) -> Option<Access> {
    match (decision, access) {
        (Decision::Change, Access::Manager) => Some(Access::Member),
        (Decision::Change, Access::Member) => Some(Access::Manager),
        _ => None,
    }
}

#[cfg(feature = "ssr")]
pub mod ssr;
