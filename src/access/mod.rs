//! Who may see or do what: every rule, for every server function, in one place.
//!
//! | who                      | may                                                          |
//! | ------------------------ | ------------------------------------------------------------ |
//! | anyone                   | register, sign in, sign out, ask who is signed in; ask for a |
//! |                          | reset link, and set a password with one; with an invitation's|
//! |                          | link, see what it offers and register to accept it           |
//! | a signed-in person       | create a profile; see and change their own account, their    |
//! |                          | own page, their own profiles, their own history and their    |
//! |                          | own security log; accept an invitation to their address      |
//! | a profile's member       | see the profile, its members, its history, who had access on |
//! |                          | a day and why someone on it (now or in its history) has it;  |
//! |                          | leave it                                                     |
//! | a profile's manager      | all a member may, and change the profile and its members;    |
//! |                          | invite, see, resend and withdraw its invitations             |
//! | an admin                 | everything: every profile, person, history and security log; |
//! |                          | roles, their holders and their history, and sending someone  |
//! |                          | a reset link, are admins' alone                              |
//!
//! People are private ([`Directory`]): a person who is not an admin learns another account's
//! name, email, admin status or existence only through a profile they share (its members,
//! its history), or from anyone when the operator opens the directory to everyone. Adding
//! an address whose account they can't see invites it ([`crate::invitations`]), exactly as
//! an address with no account: the answer tells them nothing.
//!
//! Whoever may not see a thing gets the same "not found" (404) as for a thing that doesn't
//! exist, so ids can't be probed; a member who may see a profile but not change it gets 403.
//! Each server function calls one of the `require_*` checks below before it reads anything.

pub mod session;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use tokio::sync::OnceCell;

use crate::{
    domain::{Access, ProfileId, SessionUser, Timestamp, UserId},
    error::AppError,
    server::config::Directory,
    server::db::Db,
    with_db,
};

/// The signed-in user, or a 401 asking them to sign in.
pub async fn require_user() -> Result<SessionUser, AppError> {
    session::session_user().await?.ok_or_else(AppError::sign_in_required)
}

/// The signed-in user if they are an admin; 401 for no one, 403 for anyone else.
pub async fn require_admin() -> Result<SessionUser, AppError> {
    let user = require_user().await?;
    if user.is_admin {
        Ok(user)
    } else {
        Err(AppError::Forbidden)
    }
}

/// The signed-in user, if `user` is them or they are an admin: a person's own page, profiles
/// and history. Anyone else gets "not found", whether or not `user` exists.
pub async fn require_self_or_admin(user: UserId) -> Result<SessionUser, AppError> {
    let me = require_user().await?;
    if me.id == user || me.is_admin {
        Ok(me)
    } else {
        Err(AppError::NotFound)
    }
}

/// Where the viewer stands with one profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Standing {
    pub access: Option<Access>,
    pub admin: bool,
}

impl Standing {
    pub fn can_view(self) -> bool {
        self.admin || self.access.is_some()
    }
    pub fn can_manage(self) -> bool {
        self.admin || self.access == Some(Access::Manager)
    }
}

/// One profile as the viewer sees it: the row, and where the viewer stands with it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub standing: Standing,
    pub name: String,
    pub description: String,
    pub member_count: i64,
    pub manager_count: i64,
    pub created_at: Timestamp,
    /// Whether an identity provider manages its members (crate::scim::groups).
    pub provisioned: bool,
    /// The name of the token that manages it, while that token exists.
    pub provider: Option<String>,
}

/// Why a change to a provisioned profile's members is refused.
pub const PROVIDER_OWNS_MEMBERS: &str = "An identity provider manages this profile's members: change them \
    there, or ask an admin to take it back.";

impl Seen {
    /// How many members the profile has, and how many of them are managers.
    pub fn counts(&self) -> (i64, i64) {
        (self.member_count, self.manager_count)
    }
}

/// The profiles one request has read, so that a page whose resources each check access to
/// the same profile (its details, its members) reads it once. Provided per request, like the
/// session: nothing read here outlives the request that read it.
#[derive(Clone, Default)]
pub struct RequestProfiles(Arc<Mutex<HashMap<(UserId, ProfileId), SeenOnce>>>);

/// One profile as one person sees it, read at most once.
type SeenOnce = Arc<OnceCell<Option<Seen>>>;

/// `user`'s view of `profile`, or `None` when the profile doesn't exist: one query, and once
/// per request when the request provides [`RequestProfiles`].
async fn seen(user: &SessionUser, profile: ProfileId) -> Result<Option<Seen>, AppError> {
    let state = crate::server::state::current()?;
    let read = || read_seen(&state.db, user, profile);
    let Some(cache) = leptos::prelude::use_context::<RequestProfiles>() else { return read().await };
    let cell =
        cache.0.lock().unwrap_or_else(|e| e.into_inner()).entry((user.id, profile)).or_default().clone();
    cell.get_or_try_init(read).await.cloned()
}

async fn read_seen(db: &Db, user: &SessionUser, profile: ProfileId) -> Result<Option<Seen>, AppError> {
    type Found = (String, String, i64, i64, Timestamp, Option<Access>, bool, Option<String>);
    let row: Option<Found> = with_db!(db, |pool| {
        sqlx::query_as(
            "SELECT p.name, p.description, p.member_count, p.manager_count, p.created_at, m.access, \
                    p.provisioned_at IS NOT NULL, t.name \
             FROM profiles p \
             LEFT JOIN memberships m ON m.profile_id = p.id AND m.user_id = $2 \
             AND (m.ends_at IS NULL OR m.ends_at > $3) \
             LEFT JOIN api_tokens t ON t.id = p.provisioned_by \
             WHERE p.id = $1",
        )
        .bind(profile)
        .bind(user.id)
        // A membership grants nothing from its end on, swept or not (crate::expiry).
        .bind(Timestamp::now())
        .fetch_optional(pool)
        .await
    })?;
    let Some((name, description, member_count, manager_count, created_at, access, provisioned, provider)) =
        row
    else {
        return Ok(None);
    };
    let standing = Standing { access, admin: user.is_admin };
    Ok(Some(Seen {
        standing,
        name,
        description,
        member_count,
        manager_count,
        created_at,
        provisioned,
        provider,
    }))
}

/// The signed-in user, if they may see `profile`. Anyone else gets the same "not found" as
/// for a profile that doesn't exist, so outsiders can't probe which ids are real.
pub async fn require_view(profile: ProfileId) -> Result<(SessionUser, Standing), AppError> {
    require_seen(profile).await.map(|(me, seen)| (me, seen.standing))
}

/// [`require_view`], with the profile as the viewer sees it.
pub async fn require_seen(profile: ProfileId) -> Result<(SessionUser, Seen), AppError> {
    let me = require_user().await?;
    match seen(&me, profile).await? {
        Some(seen) if seen.standing.can_view() => Ok((me, seen)),
        _ => Err(AppError::NotFound),
    }
}

/// The signed-in user, if they may change `profile`: 404 to outsiders, 403 to members.
pub async fn require_manage(profile: ProfileId) -> Result<(SessionUser, Standing), AppError> {
    let (me, standing) = require_view(profile).await?;
    if standing.can_manage() {
        Ok((me, standing))
    } else {
        Err(AppError::Forbidden)
    }
}

/// [`require_manage`], for a change to the profile's members: refused (409) while an
/// identity provider manages them.
pub async fn require_manage_members(profile: ProfileId) -> Result<(SessionUser, Standing), AppError> {
    let (me, seen) = require_seen(profile).await?;
    if !seen.standing.can_manage() {
        return Err(AppError::Forbidden);
    }
    if seen.provisioned {
        return Err(AppError::Conflict(PROVIDER_OWNS_MEMBERS.into()));
    }
    Ok((me, seen.standing))
}

/// The signed-in user, if they may see `profile` and learn about `person` through it: an
/// admin always; anyone else only when `person` is on the profile now or appears in its
/// history. Otherwise "not found", the same as for an account that doesn't exist.
pub async fn require_person_on(profile: ProfileId, person: UserId) -> Result<SessionUser, AppError> {
    let (me, _) = require_view(profile).await?;
    if me.is_admin || me.id == person {
        return Ok(me);
    }
    let state = crate::server::state::current()?;
    let known: bool = with_db!(&state.db, |pool| {
        sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM memberships WHERE profile_id = $1 AND user_id = $2) \
                 OR EXISTS (SELECT 1 FROM history WHERE profile_id = $1 AND user_id = $2)",
        )
        .bind(profile)
        .bind(person)
        .fetch_one(pool)
        .await
    })?;
    if known {
        Ok(me)
    } else {
        Err(AppError::NotFound)
    }
}

/// Whose accounts `me` may find by a part of their name or email.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Findable {
    /// Every account: admins, and everyone when the directory is open.
    Everyone,
    /// Only people who share a profile with this user.
    SharingWith(UserId),
}

/// Whom the picker may suggest to `me`, by the operator's [`Directory`] setting.
pub fn findable(me: &SessionUser) -> Result<Findable, AppError> {
    let directory = crate::server::state::current()?.settings.people_directory;
    Ok(match directory {
        _ if me.is_admin => Findable::Everyone,
        Directory::Everyone => Findable::Everyone,
        Directory::Shared => Findable::SharingWith(me.id),
    })
}
