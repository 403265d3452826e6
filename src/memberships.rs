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
    /// The lower-cased name the list sorts by.
    pub name_key: String,
    pub access: Access,
    pub added_at: Timestamp,
    /// `None` when the link was made by someone whose account is gone.
    pub added_by: Option<String>,
    /// Whether their account is deactivated.
    #[cfg_attr(feature = "ssr", sqlx(default))]
    #[serde(default)]
    pub deactivated: bool,
    /// When the membership ends, if it does ([`crate::expiry`]).
    #[cfg_attr(feature = "ssr", sqlx(default))]
    #[serde(default)]
    pub ends_at: Option<Timestamp>,
}

pub const LAST_MANAGER: &str =
    "A profile needs at least one manager whose access doesn't end. Make someone else one first.";

/// A profile's members a page at a time: searched by name or email prefix, filtered by
/// access, sorted by name or by "since".
#[server(prefix = "/api", endpoint = "members/list")]
pub async fn list_members(
    profile: ProfileId,
    q: Option<String>,
    access: Option<String>,
    sort: Option<String>,
    after: Option<String>,
) -> Result<Page<Member>, AppError> {
    let (_, seen) = crate::access::require_seen(profile).await?;
    let state = crate::server::state::current()?;
    crate::expiry::ssr::settle(&state.db).await?;
    let filter = crate::server::lists::Filter {
        q: crate::paging::search_text(q.as_deref())?,
        access: crate::paging::access_filter(access.as_deref())?,
        sort: crate::paging::Sort::parse(sort.as_deref())?,
    };
    ssr::members(&state.db, profile, seen.counts(), &filter, after.as_deref()).await
}

/// Puts the person with `email` on the profile, when the caller may see their account
/// (`access::Findable`); invites the address otherwise, whether or not it has an account,
/// so the answer tells nothing the caller couldn't see. Adding someone already there
/// changes nothing and says so. `ends_on`, if given, is the membership's last day.
#[server(prefix = "/api", endpoint = "members/add")]
pub async fn add_member(
    profile: ProfileId,
    email: String,
    access: String,
    ends_on: Option<String>,
) -> Result<(), AppError> {
    use crate::invitations::ssr as invitations;
    let (me, _) = crate::access::require_manage_members(profile).await?;
    let email = crate::domain::Email::parse(&email)?;
    let access = Access::parse(&access)?;
    let ends = crate::expiry::parse_last_day(ends_on.as_deref(), chrono::Utc::now().date_naive())?;
    let state = crate::server::state::current()?;
    let findable = crate::access::findable(&me)?;
    match invitations::findable_account(&state.db, findable, invitations::Account::Email(&email)).await? {
        Some(user) => {
            let entry = ssr::add(&state.db, (profile, user), (access, ends), me.id).await?;
            confirm_change(profile, user, Some(entry));
        }
        None => {
            let terms =
                invitations::Terms { ends, ..invitations::Terms::new(&state, profile, access, me.id) };
            let id = invitations::invite(&state, terms, &email).await?;
            leptos_axum::redirect(&format!("/profiles/{profile}/invitations?invited={id}#invitation-{id}"));
        }
    }
    Ok(())
}

/// Goes back to the profile page saying what changed (the history entry `changed` names),
/// at the row it changed: the page scrolls there, with or without JavaScript.
#[cfg(feature = "ssr")]
fn confirm_change(profile: ProfileId, user: UserId, entry: Option<i64>) {
    let said = entry.map(|entry| format!("?changed={entry}")).unwrap_or_default();
    leptos_axum::redirect(&format!("/profiles/{profile}{said}#member-{user}"));
}

#[server(prefix = "/api", endpoint = "members/change_access")]
pub async fn change_access(profile: ProfileId, user: UserId, access: String) -> Result<(), AppError> {
    let (me, _) = crate::access::require_manage_members(profile).await?;
    let access = Access::parse(&access)?;
    let state = crate::server::state::current()?;
    let entry = ssr::set_access(&state.db, profile, user, access, me.id).await?;
    confirm_change(profile, user, entry);
    Ok(())
}

/// Takes someone off a profile. The profile page then offers to undo it: the answer's
/// address names the removal's history entry.
#[server(prefix = "/api", endpoint = "members/remove")]
pub async fn remove_member(profile: ProfileId, user: UserId) -> Result<i64, AppError> {
    let (me, _) = crate::access::require_manage_members(profile).await?;
    let state = crate::server::state::current()?;
    let entry = ssr::remove(&state.db, profile, user, me.id).await?;
    // At the notice that offers the undo, just above where the row was.
    leptos_axum::redirect(&format!("/profiles/{profile}?removed={entry}#removed"));
    Ok(entry)
}

/// Takes the signed-in user off a profile they are on, once they tick the box that says
/// so: they can't undo it, only a manager can add them back. The last manager can't leave.
#[server(prefix = "/api", endpoint = "members/leave")]
pub async fn leave_profile(profile: ProfileId, confirm: Option<String>) -> Result<(), AppError> {
    let (me, seen) = crate::access::require_seen(profile).await?;
    if seen.standing.access.is_none() {
        // An admin looking at a profile they are not on: there is nothing to leave.
        return Err(AppError::NotFound);
    }
    if seen.provisioned {
        return Err(AppError::Conflict(crate::access::PROVIDER_OWNS_MEMBERS.into()));
    }
    if confirm.as_deref() != Some("yes") {
        return Err(AppError::invalid("confirm", "Tick the box to confirm you are leaving."));
    }
    let state = crate::server::state::current()?;
    ssr::remove(&state.db, profile, me.id, me.id).await?;
    leptos_axum::redirect("/profiles");
    Ok(())
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use super::{Member, LAST_MANAGER};
    use crate::{
        domain::{Access, ProfileId, Timestamp, UserId},
        error::AppError,
        expiry::ssr::{Due, Ends, ENDED_ALREADY},
        history::{ssr::Change, Action},
        paging::Page,
        record_history,
        server::{
            db::{broken_rule, Db, Pool, Rule},
            lists::{
                people::{Bound, Listed, People, Rows, Scope},
                Filter,
            },
        },
        with_db,
    };

    impl Listed for Member {
        fn position(&self) -> (&str, &str, Timestamp, UserId) {
            (&self.name_key, &self.email, self.added_at, self.user_id)
        }
    }

    /// A membership as a removal's `DELETE … RETURNING user_id, access, added_at, added_by,
    /// ends_at` gives it back: what its history entry keeps, so that an undo can restore it.
    pub type Removed = (UserId, Access, Timestamp, Option<UserId>, Option<Timestamp>);

    pub fn rule_to_error(err: sqlx::Error) -> AppError {
        match broken_rule(&err) {
            Some(Rule::ProfileNeedsAManager) => AppError::Conflict(LAST_MANAGER.into()),
            _ => err.into(),
        }
    }

    /// One page of a profile's members, read as the directory is ([`People`]), each access
    /// level apart along the profile's own indexes (memberships_name_idx,
    /// memberships_email_idx, memberships_since_idx), every part stopping after a page; the
    /// union of those few rows makes the page. So the cost is a page's, whatever the
    /// profile's size, but for a search sorted by "since" ([`sort_at_most`]). `counts` are
    /// the profile's member and manager counts, as read with the access check: an
    /// unsearched list's total.
    ///
    /// [`sort_at_most`]: crate::server::lists::sort_at_most
    pub async fn members(
        db: &Db,
        profile: ProfileId,
        (all, managers): (i64, i64),
        filter: &Filter,
        after: Option<&str>,
    ) -> Result<Page<Member>, AppError> {
        let columns =
            |level: Access| [("profile_id", Bound::Id(profile.0)), ("access", Bound::Text(level.as_str()))];
        let (manager_columns, member_columns) = (columns(Access::Manager), columns(Access::Member));
        let both = [
            Scope { columns: &manager_columns, size: managers },
            Scope { columns: &member_columns, size: all - managers },
        ];
        let (scopes, unsearched): (&[Scope], i64) = match filter.access {
            None => (&both, all),
            Some(Access::Manager) => (&both[..1], managers),
            Some(Access::Member) => (&both[1..], all - managers),
        };
        let people = People { table: "memberships", person: "user_id", since: "added_at", scopes, size: all };
        let shown = Rows {
            select: "x.user_id, u.display_name, x.email, x.name_key, x.access, x.added_at, \
                     a.display_name AS added_by, x.ends_at, u.deactivated_at IS NOT NULL AS deactivated",
            joins: "JOIN users u ON u.id = x.user_id LEFT JOIN users a ON a.id = x.added_by",
        };
        people.page(db, &shown, unsearched, (filter.q.as_deref(), filter.sort, after)).await
    }

    /// Everyone on the profile that `filter` matches, read a page at a time along the
    /// list's own order and indexes, or `None` past `most` of them.
    pub async fn matching(
        db: &Db,
        profile: ProfileId,
        counts: (i64, i64),
        filter: &Filter,
        most: usize,
    ) -> Result<Option<Vec<UserId>>, AppError> {
        let (mut ids, mut after) = (Vec::new(), None::<String>);
        loop {
            let page = members(db, profile, counts, filter, after.as_deref()).await?;
            ids.extend(page.items.iter().map(|m| m.user_id));
            if ids.len() > most {
                return Ok(None);
            }
            match page.next {
                Some(next) => after = Some(next),
                None => return Ok(Some(ids)),
            }
        }
    }

    /// Adds `user` to the profile at `access` until `ends` (if it ends) and records it, in
    /// one transaction; the history entry. The primary key settles a race between two
    /// identical adds. A membership of theirs that has ended is settled first.
    pub async fn add(
        db: &Db,
        (profile, user): (ProfileId, UserId),
        (access, ends): (Access, Option<Timestamp>),
        by: UserId,
    ) -> Result<i64, AppError> {
        with_db!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            tx.expire_due(Due::Pair(profile, user), Timestamp::now()).await?;
            if let Some(since) = tx.insert_member(profile, user, (access, ends), Some(by)).await? {
                let change = Change {
                    after: Some(access),
                    since: Some(since),
                    added_by: Some(by),
                    ..Change::membership(by, user, profile, Action::Added)
                };
                let entry = record_history!(&mut *tx, &change)?;
                tx.commit().await?;
                return Ok(entry);
            }
            // Nothing was added: say why.
            let existing: Option<(String, String)> = sqlx::query_as(
                "SELECT u.display_name, m.access FROM users u \
                 JOIN memberships m ON m.user_id = u.id AND m.profile_id = $1 WHERE u.id = $2",
            )
            .bind(profile)
            .bind(user)
            .fetch_optional(&mut *tx)
            .await?;
            match existing {
                Some((name, access)) => {
                    Err(AppError::Conflict(format!("{name} is already on this profile, as {access}.")))
                }
                // The account went meanwhile.
                None => Err(AppError::NotFound),
            }
        })
    }

    /// Putting one person on a profile, inside a caller's transaction.
    pub trait MemberRows {
        /// Adds `user` at `access` until `ends` (if it ends), `added_by` whom, with the
        /// copies of their name key and email the profile's lists read: when the link was
        /// made, or `None` if they are on the profile already (the primary key decides, so
        /// two at once add one link). An end is recorded as set by `added_by`.
        fn insert_member(
            &mut self,
            profile: ProfileId,
            user: UserId,
            terms: (Access, Option<Timestamp>),
            added_by: Option<UserId>,
        ) -> impl std::future::Future<Output = Result<Option<Timestamp>, sqlx::Error>> + Send;

        /// The addresses of the profile's managers whose access hasn't ended by `now`: whom a
        /// notice about the profile goes to.
        fn manager_emails(
            &mut self,
            profile: ProfileId,
            now: Timestamp,
        ) -> impl std::future::Future<Output = Result<Vec<String>, sqlx::Error>> + Send;
    }

    crate::impl_for_connections! {
        impl MemberRows {
            async fn insert_member(
                &mut self,
                profile: ProfileId,
                user: UserId,
                (access, ends): (Access, Option<Timestamp>),
                added_by: Option<UserId>,
            ) -> Result<Option<Timestamp>, sqlx::Error> {
                let since: Option<Timestamp> = sqlx::query_scalar(
                    "INSERT INTO memberships \
                     (profile_id, user_id, access, added_by, name_key, email, ends_at) \
                     SELECT $1, u.id, $3, $4, u.name_key, u.email, $5 FROM users u WHERE u.id = $2 \
                     ON CONFLICT (profile_id, user_id) DO NOTHING RETURNING added_at",
                )
                .bind(profile)
                .bind(user)
                .bind(access)
                .bind(added_by)
                .bind(ends)
                .fetch_optional(&mut *self)
                .await?;
                if let (Some(_), Some(ends), Some(by)) = (since, ends, added_by) {
                    self.record_ends(by, profile, &[(user, None, Some(ends))]).await?;
                }
                Ok(since)
            }

            async fn manager_emails(
                &mut self,
                profile: ProfileId,
                now: Timestamp,
            ) -> Result<Vec<String>, sqlx::Error> {
                sqlx::query_scalar(
                    "SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id \
                     WHERE m.profile_id = $1 AND m.access = 'manager' \
                     AND (m.ends_at IS NULL OR m.ends_at > $2) ORDER BY m.user_id",
                )
                .bind(profile)
                .bind(now)
                .fetch_all(&mut *self)
                .await
            }
        }
    }

    /// Settles `user`'s membership of `profile` in `tx` before a change to it: if it has
    /// ended, the end is recorded and kept, and the change is refused.
    macro_rules! refuse_if_ended {
        ($tx:expr, $profile:expr, $user:expr) => {
            if $tx.expire_due(Due::Pair($profile, $user), Timestamp::now()).await? > 0 {
                $tx.commit().await?;
                return Err(AppError::Conflict(ENDED_ALREADY.into()));
            }
        };
    }

    /// Sets someone's access and records the change; returns the history entry. Setting the
    /// level they have already changes and records nothing.
    pub async fn set_access(
        db: &Db,
        profile: ProfileId,
        user: UserId,
        access: Access,
        by: UserId,
    ) -> Result<Option<i64>, AppError> {
        with_db!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            refuse_if_ended!(tx, profile, user);
            let changed: Option<(Timestamp, Option<UserId>)> = sqlx::query_as(
                "UPDATE memberships SET access = $3 WHERE profile_id = $1 AND user_id = $2 AND access <> $3 \
                 RETURNING added_at, added_by",
            )
            .bind(profile)
            .bind(user)
            .bind(access.as_str())
            .fetch_optional(&mut *tx)
            .await
            .map_err(rule_to_error)?;
            let Some((since, added_by)) = changed else {
                let exists: bool = sqlx::query_scalar(
                    "SELECT EXISTS (SELECT 1 FROM memberships WHERE profile_id = $1 AND user_id = $2)",
                )
                .bind(profile)
                .bind(user)
                .fetch_one(&mut *tx)
                .await?;
                return if exists { Ok(None) } else { Err(AppError::NotFound) };
            };
            let before = match access {
                Access::Manager => Access::Member,
                Access::Member => Access::Manager,
            };
            let change = Change {
                before: Some(before),
                after: Some(access),
                since: Some(since),
                added_by,
                ..Change::membership(by, user, profile, Action::Changed)
            };
            let entry = record_history!(&mut *tx, &change)?;
            tx.commit().await?;
            Ok(Some(entry))
        })
    }

    /// One person's membership of `profile`, as the members list shows it, if they are on it.
    pub async fn member(db: &Db, profile: ProfileId, user: UserId) -> Result<Option<Member>, AppError> {
        Ok(with_db!(db, |pool| {
            sqlx::query_as(
                "SELECT m.user_id, u.display_name, m.email, m.name_key, m.access, m.added_at, \
                        a.display_name AS added_by, u.deactivated_at IS NOT NULL AS deactivated, m.ends_at \
                 FROM memberships m JOIN users u ON u.id = m.user_id LEFT JOIN users a ON a.id = m.added_by \
                 WHERE m.profile_id = $1 AND m.user_id = $2",
            )
            .bind(profile)
            .bind(user)
            .fetch_optional(pool)
            .await
        })?)
    }

    /// Removes someone and records what they had, so that the removal can be undone;
    /// returns the history entry's id.
    pub async fn remove(db: &Db, profile: ProfileId, user: UserId, by: UserId) -> Result<i64, AppError> {
        with_db!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            refuse_if_ended!(tx, profile, user);
            let removed: Option<(String, Timestamp, Option<UserId>, Option<Timestamp>)> = sqlx::query_as(
                "DELETE FROM memberships WHERE profile_id = $1 AND user_id = $2 \
                 RETURNING access, added_at, added_by, ends_at",
            )
            .bind(profile)
            .bind(user)
            .fetch_optional(&mut *tx)
            .await
            .map_err(rule_to_error)?;
            let (access, since, added_by, ends_before) = removed.ok_or(AppError::NotFound)?;
            let change = Change {
                before: Some(Access::parse(&access)?),
                since: Some(since),
                added_by,
                ends_before,
                ..Change::membership(by, user, profile, Action::Removed)
            };
            let entry = record_history!(&mut *tx, &change)?;
            tx.commit().await?;
            Ok(entry)
        })
    }
}
