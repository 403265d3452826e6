//! Memberships, the association between users and profiles: who is on a profile, in what
//! capacity, since when and added by whom, and the ways that changes.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{
    domain::{Access, ProfileId, Timestamp, UserId},
    error::AppError,
    paging::Page,
};

/// One person on a profile.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Member {
    pub user_id: UserId,
    pub display_name: String,
    pub email: String,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "String"))]
    pub access: Access,
    pub added_at: Timestamp,
    /// `None` when the link was made by someone whose account is gone.
    pub added_by: Option<String>,
}

pub const LAST_MANAGER: &str = "A profile needs at least one manager. Make someone else a manager first.";

/// A profile's members, longest-standing first, a page at a time.
#[server(prefix = "/api", endpoint = "members/list")]
pub async fn list_members(profile: ProfileId, after: Option<String>) -> Result<Page<Member>, AppError> {
    crate::profiles::ssr::require_view(profile).await?;
    let state = crate::server::state()?;
    ssr::members(&state.db, profile, after.as_deref()).await
}

/// Puts the person with `email` on the profile. Adding someone already there changes nothing
/// and says so.
#[server(prefix = "/api", endpoint = "members/add")]
pub async fn add_member(profile: ProfileId, email: String, access: String) -> Result<(), AppError> {
    let (me, _) = crate::profiles::ssr::require_manage(profile).await?;
    let email = crate::domain::Email::parse(&email)?;
    let access = Access::parse(&access)?;
    let state = crate::server::state()?;
    ssr::add(&state.db, profile, &email, access, me.id).await
}

#[server(prefix = "/api", endpoint = "members/change_access")]
pub async fn change_access(profile: ProfileId, user: UserId, access: String) -> Result<(), AppError> {
    crate::profiles::ssr::require_manage(profile).await?;
    let access = Access::parse(&access)?;
    let state = crate::server::state()?;
    ssr::set_access(&state.db, profile, user, access).await
}

#[server(prefix = "/api", endpoint = "members/remove")]
pub async fn remove_member(profile: ProfileId, user: UserId) -> Result<(), AppError> {
    crate::profiles::ssr::require_manage(profile).await?;
    let state = crate::server::state()?;
    ssr::remove(&state.db, profile, user).await
}

/// Takes the signed-in user off a profile they are on. The last manager can't leave.
#[server(prefix = "/api", endpoint = "members/leave")]
pub async fn leave_profile(profile: ProfileId) -> Result<(), AppError> {
    let (me, standing) = crate::profiles::ssr::require_view(profile).await?;
    if standing.access.is_none() {
        // An admin looking at a profile they are not on: there is nothing to leave.
        return Err(AppError::NotFound);
    }
    let state = crate::server::state()?;
    ssr::remove(&state.db, profile, me.id).await?;
    leptos_axum::redirect("/profiles");
    Ok(())
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use super::{Member, LAST_MANAGER};
    use crate::{
        domain::{Access, Email, ProfileId, Timestamp, UserId},
        error::AppError,
        paging::{self, Page},
        server::db::{broken_rule, touched_one, Db, Rule},
        with_db,
    };

    fn rule_to_error(err: sqlx::Error) -> AppError {
        match broken_rule(&err) {
            Some(Rule::ProfileNeedsAManager) => AppError::Conflict(LAST_MANAGER.into()),
            _ => err.into(),
        }
    }

    pub async fn members(db: &Db, profile: ProfileId, after: Option<&str>) -> Result<Page<Member>, AppError> {
        let (since, user): (Timestamp, UserId) = paging::ssr::decode_since(after)?;
        let rows: Vec<Member> = with_db!(db, pool => {
            sqlx::query_as(
                "SELECT m.user_id, u.display_name, u.email, m.access, m.added_at, a.display_name AS added_by \
                 FROM memberships m \
                 JOIN users u ON u.id = m.user_id \
                 LEFT JOIN users a ON a.id = m.added_by \
                 WHERE m.profile_id = $1 AND (m.added_at, m.user_id) > ($2, $3) \
                 ORDER BY m.added_at, m.user_id LIMIT $4",
            )
            .bind(profile)
            .bind(since)
            .bind(user)
            .bind(paging::ssr::FETCH)
            .fetch_all(pool)
            .await
        })?;
        Ok(paging::ssr::page(rows, |m| (m.added_at.micros(), m.user_id)))
    }

    /// One statement adds the link if the email has an account and the person isn't on the
    /// profile yet; the primary key settles a race between two identical adds.
    pub async fn add(
        db: &Db,
        profile: ProfileId,
        email: &Email,
        access: Access,
        by: UserId,
    ) -> Result<(), AppError> {
        let added: Option<UserId> = with_db!(db, pool => {
            sqlx::query_scalar(
                "INSERT INTO memberships (profile_id, user_id, access, added_by) \
                 SELECT $1, u.id, $3, $4 FROM users u WHERE u.email = $2 \
                 ON CONFLICT (profile_id, user_id) DO NOTHING RETURNING user_id",
            )
            .bind(profile)
            .bind(email.as_str())
            .bind(access.as_str())
            .bind(by)
            .fetch_optional(pool)
            .await
        })?;
        if added.is_some() {
            return Ok(());
        }
        // Nothing was added: say why.
        let existing: Option<(String, String)> = with_db!(db, pool => {
            sqlx::query_as(
                "SELECT u.display_name, m.access FROM users u \
                 JOIN memberships m ON m.user_id = u.id AND m.profile_id = $1 WHERE u.email = $2",
            )
            .bind(profile)
            .bind(email.as_str())
            .fetch_optional(pool)
            .await
        })?;
        match existing {
            Some((name, access)) => {
                Err(AppError::Conflict(format!("{name} is already on this profile, as {access}.")))
            }
            None => Err(AppError::invalid(
                "email",
                format!("No account uses {email}. Ask them to register first."),
            )),
        }
    }

    pub async fn set_access(
        db: &Db,
        profile: ProfileId,
        user: UserId,
        access: Access,
    ) -> Result<(), AppError> {
        let changed = with_db!(db, pool => {
            sqlx::query("UPDATE memberships SET access = $3 WHERE profile_id = $1 AND user_id = $2")
                .bind(profile)
                .bind(user)
                .bind(access.as_str())
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })
        .map_err(rule_to_error)?;
        touched_one(changed)
    }

    pub async fn remove(db: &Db, profile: ProfileId, user: UserId) -> Result<(), AppError> {
        let removed = with_db!(db, pool => {
            sqlx::query("DELETE FROM memberships WHERE profile_id = $1 AND user_id = $2")
                .bind(profile)
                .bind(user)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })
        .map_err(rule_to_error)?;
        touched_one(removed)
    }
}
