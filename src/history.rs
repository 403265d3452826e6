//! History: every change to who is on a profile or holds a role, written in the same
//! transaction as the change; the views over it ("what happened", "who had access on a
//! day"); undoing a removal; and why someone has access now.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{
    domain::{Access, ProfileId, RoleId, Timestamp, UserId},
    error::AppError,
    paging::Page,
};

/// One recorded change, as history lists show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Entry {
    pub id: i64,
    pub at: Timestamp,
    /// Who made the change; `None` for the system or an account that is gone.
    pub actor: Option<String>,
    pub user_id: UserId,
    /// `None` when the account is gone.
    pub user_name: Option<String>,
    pub profile_id: Option<ProfileId>,
    pub profile_name: Option<String>,
    pub role_id: Option<RoleId>,
    pub role_name: Option<String>,
    pub action: Action,
    pub access_before: Option<Access>,
    pub access_after: Option<Access>,
    pub since: Option<Timestamp>,
    /// For a removal: whether it has been undone.
    pub undone: bool,
    /// For an addition: whether the person joined by accepting an invitation.
    #[cfg_attr(feature = "ssr", sqlx(default))]
    #[serde(default)]
    pub by_invitation: bool,
    /// For a removal: whether it was the membership's end, not anyone's doing.
    #[cfg_attr(feature = "ssr", sqlx(default))]
    #[serde(default)]
    pub expired: bool,
    /// The access review that made the change, if one did.
    #[cfg_attr(feature = "ssr", sqlx(default))]
    #[serde(default)]
    pub review_id: Option<i64>,
    /// The access token the change was made with, as it was named then.
    #[cfg_attr(feature = "ssr", sqlx(default))]
    #[serde(default)]
    pub via_token: Option<String>,
}

impl Entry {
    /// "added as member", "changed from member to manager", "removed (was manager)"…, and
    /// "in an access review" or "with the token “sync”" when one made it.
    pub fn describe(&self) -> String {
        let mut said = self.describe_change();
        if self.review_id.is_some() {
            said.push_str(" in an access review");
        }
        push_token(&mut said, self.via_token.as_deref());
        said
    }

    fn describe_change(&self) -> String {
        let before = self.access_before.map_or("", Access::as_str);
        let after = self.access_after.map_or("", Access::as_str);
        match (self.role_id.is_some(), self.action) {
            (true, Action::Added | Action::Restored) => "was granted the role".into(),
            (true, Action::Removed | Action::Changed) => "lost the role".into(),
            (false, Action::Added) if self.by_invitation => format!("joined by invitation as {after}"),
            (false, Action::Added) => format!("added as {after}"),
            (false, Action::Restored) => format!("restored as {after} (undo)"),
            (false, Action::Changed) => format!("changed from {before} to {after}"),
            (false, Action::Removed) if self.expired => format!("access ended (was {before})"),
            (false, Action::Removed) => format!("removed (was {before})"),
        }
    }

    /// The change as a sentence around the profile's or role's name, for a person's own
    /// history: ("added to ", " as manager") reads "added to Platform team as manager".
    pub fn describe_around(&self) -> (&'static str, String) {
        let (lead, mut tail) = self.around_change();
        if self.review_id.is_some() {
            tail.push_str(" in an access review");
        }
        push_token(&mut tail, self.via_token.as_deref());
        (lead, tail)
    }

    fn around_change(&self) -> (&'static str, String) {
        let before = self.access_before.map_or("", Access::as_str);
        let after = self.access_after.map_or("", Access::as_str);
        match (self.role_id.is_some(), self.action) {
            (true, Action::Added | Action::Restored) => ("was granted ", String::new()),
            (true, Action::Removed | Action::Changed) => ("lost ", String::new()),
            (false, Action::Added) if self.by_invitation => ("joined ", format!(" by invitation as {after}")),
            (false, Action::Added) => ("added to ", format!(" as {after}")),
            (false, Action::Restored) => ("restored to ", format!(" as {after} (undo)")),
            (false, Action::Changed) => ("changed on ", format!(" from {before} to {after}")),
            (false, Action::Removed) if self.expired => ("access to ", format!(" ended (was {before})")),
            (false, Action::Removed) => ("removed from ", format!(" (was {before})")),
        }
    }

    /// Whether a manager can still undo this: a profile removal not undone yet. An end is
    /// not undone: the person is added again, with a new end or none.
    pub fn undoable(&self) -> bool {
        self.profile_id.is_some() && self.action == Action::Removed && !self.undone && !self.expired
    }
}

/// Someone who had access to a profile at a given moment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct AccessAt {
    pub user_id: UserId,
    pub user_name: Option<String>,
    pub email: Option<String>,
    pub access: Access,
    pub since: Option<Timestamp>,
}

/// One reason a user can see or change a profile.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum AccessPath {
    /// A direct membership: its level, since when, who added them, and when it ends.
    Membership { access: Access, since: Timestamp, added_by: Option<String>, ends: Option<Timestamp> },
    /// The `admin` role, which sees and changes every profile.
    AdminRole { since: Timestamp },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    pub user_id: UserId,
    pub user_name: String,
    pub email: String,
    pub profile_id: ProfileId,
    pub profile_name: String,
    /// Every path that grants access; empty means no access.
    pub paths: Vec<AccessPath>,
    /// Whether the viewer may set, move or clear the end of the membership.
    #[serde(default)]
    pub may_set_end: bool,
}

crate::text_enum! {
    /// What happened to someone's place on a profile or hold on a role.
    pub enum Action {
        Added = "added",
        Changed = "changed",
        Removed = "removed",
        /// A removal undone: the person is back as they were.
        Restored = "restored",
    }
    invalid: ("action", "Choose added, changed, removed or restored.")
}

crate::text_enum! {
    /// What happened to a role or a profile itself.
    pub enum SubjectAction {
        Created = "created",
        Renamed = "renamed",
        Described = "described",
        Deleted = "deleted",
    }
    invalid: ("action", "Unknown kind of change.")
}

/// One change to a role or a profile itself, as its page lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct SubjectEntry {
    pub id: i64,
    pub at: Timestamp,
    /// Who made the change; `None` for the command line or an account that is gone.
    pub actor: Option<String>,
    pub action: SubjectAction,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    /// The access token the change was made with, as it was named then.
    #[cfg_attr(feature = "ssr", sqlx(default))]
    #[serde(default)]
    pub via_token: Option<String>,
}

impl SubjectEntry {
    /// "created as “Mentors”", "renamed from “a” to “b”", "description changed", "deleted",
    /// and "with the token “sync”" when one made it.
    pub fn describe(&self) -> String {
        let old = self.old_value.as_deref().unwrap_or("");
        let new = self.new_value.as_deref().unwrap_or("");
        let mut said = match self.action {
            SubjectAction::Created => format!("created as “{new}”"),
            SubjectAction::Renamed => format!("renamed from “{old}” to “{new}”"),
            SubjectAction::Described => "description changed".into(),
            SubjectAction::Deleted => format!("deleted (was “{old}”)"),
        };
        push_token(&mut said, self.via_token.as_deref());
        said
    }
}

/// Says which access token made a change, if one did.
fn push_token(said: &mut String, token: Option<&str>) {
    if let Some(token) = token {
        said.push_str(" with the token “");
        said.push_str(token);
        said.push('”');
    }
}

/// How many changes to a role or a profile itself its page shows, newest first.
pub const SUBJECT_CHANGES_SHOWN: i64 = 50;

#[cfg(feature = "ssr")]
fn action_filter(raw: Option<&str>) -> Result<Option<Action>, AppError> {
    match raw.unwrap_or("") {
        "" | "all" => Ok(None),
        other => Action::parse(other).map(Some),
    }
}

/// A profile's history, newest first, optionally one kind of change or one person's.
#[server(prefix = "/api", endpoint = "history/profile")]
pub async fn list_profile_history(
    profile: ProfileId,
    action: Option<String>,
    q: Option<String>,
    after: Option<String>,
) -> Result<Page<Entry>, AppError> {
    crate::access::require_view(profile).await?;
    let action = action_filter(action.as_deref())?;
    let q = crate::paging::search_text(q.as_deref())?;
    let state = crate::server::state::current()?;
    crate::expiry::ssr::settle(&state.db).await?;
    ssr::list(&state.db, ssr::Subject::Profile(profile), action, q.as_deref(), after.as_deref()).await
}

/// A user's history on every profile and role: one's own, or anyone's for an admin.
#[server(prefix = "/api", endpoint = "history/user")]
pub async fn list_user_history(
    user: UserId,
    action: Option<String>,
    after: Option<String>,
) -> Result<Page<Entry>, AppError> {
    crate::access::require_self_or_admin(user).await?;
    let action = action_filter(action.as_deref())?;
    let state = crate::server::state::current()?;
    ssr::list(&state.db, ssr::Subject::User(user), action, None, after.as_deref()).await
}

/// One history entry of a profile, such as the removal an "Undo" banner names.
#[server(prefix = "/api", endpoint = "history/get")]
pub async fn get_entry(entry: i64) -> Result<Entry, AppError> {
    // Signed in before anything is looked up: no one anonymous learns which entries exist.
    crate::access::require_user().await?;
    let state = crate::server::state::current()?;
    let found = ssr::entry(&state.db, entry).await?.ok_or(AppError::NotFound)?;
    let profile = found.profile_id.ok_or(AppError::NotFound)?;
    crate::access::require_view(profile).await?;
    Ok(found)
}

/// Who had access to a profile at the end of `on` (a UTC date, YYYY-MM-DD), by user id.
#[server(prefix = "/api", endpoint = "history/access_on")]
pub async fn who_had_access(
    profile: ProfileId,
    on: String,
    after: Option<String>,
) -> Result<Page<AccessAt>, AppError> {
    crate::access::require_view(profile).await?;
    let day = chrono::NaiveDate::parse_from_str(on.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::invalid("on", "Enter a date as YYYY-MM-DD."))?;
    let end = day.succ_opt().and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| Timestamp(t.and_utc()));
    let end = end.ok_or_else(|| AppError::invalid("on", "Enter a date as YYYY-MM-DD."))?;
    let state = crate::server::state::current()?;
    // Ends are in history once settled, at the moment each came.
    crate::expiry::ssr::settle(&state.db).await?;
    crate::server::lists::history::access_at(&state.db, profile, end, after.as_deref()).await
}

/// Puts back someone a removal took off: their access level and their original "since".
#[server(prefix = "/api", endpoint = "history/undo")]
pub async fn undo_removal(entry: i64) -> Result<(), AppError> {
    crate::access::require_user().await?;
    let state = crate::server::state::current()?;
    let found = ssr::entry(&state.db, entry).await?.ok_or(AppError::NotFound)?;
    let profile = found.profile_id.ok_or(AppError::NotFound)?;
    let (me, _) = crate::access::require_manage_members(profile).await?;
    ssr::undo(&state.db, entry, me.id).await?;
    leptos_axum::redirect(&format!("/profiles/{profile}"));
    Ok(())
}

/// Every path by which `user` has access to `profile`, for someone on the profile now or in
/// its history.
#[server(prefix = "/api", endpoint = "history/why")]
pub async fn explain_access(profile: ProfileId, user: UserId) -> Result<Explanation, AppError> {
    // Only about someone the caller may know through this profile: anyone else is "not
    // found", as a missing account is.
    let me = crate::access::require_person_on(profile, user).await?;
    let (_, standing) = crate::access::require_view(profile).await?;
    let state = crate::server::state::current()?;
    crate::expiry::ssr::settle(&state.db).await?;
    let mut why = ssr::explain(&state.db, profile, user).await?;
    let member = why.paths.iter().any(|path| matches!(path, AccessPath::Membership { .. }));
    why.may_set_end = member && standing.can_manage() && (me.id != user || me.is_admin);
    Ok(why)
}

/// A role's history, newest first: who gained or lost it. Admins only.
#[server(prefix = "/api", endpoint = "history/role")]
pub async fn list_role_history(role: RoleId, after: Option<String>) -> Result<Page<Entry>, AppError> {
    crate::access::require_admin().await?;
    let state = crate::server::state::current()?;
    ssr::list(&state.db, ssr::Subject::Role(role), None, None, after.as_deref()).await
}

/// The latest changes to a role itself (created, renamed, described, deleted). Admins only.
#[server(prefix = "/api", endpoint = "history/role_changes")]
pub async fn list_role_changes(role: RoleId) -> Result<Vec<SubjectEntry>, AppError> {
    crate::access::require_admin().await?;
    let state = crate::server::state::current()?;
    ssr::subject_changes(&state.db, ssr::On::Role(role)).await
}

/// The latest changes to a profile itself (created, renamed, described), for whoever may
/// see the profile.
#[server(prefix = "/api", endpoint = "history/profile_changes")]
pub async fn list_profile_changes(profile: ProfileId) -> Result<Vec<SubjectEntry>, AppError> {
    crate::access::require_view(profile).await?;
    let state = crate::server::state::current()?;
    ssr::subject_changes(&state.db, ssr::On::Profile(profile)).await
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use super::{AccessPath, Action, Entry, Explanation, SubjectEntry, SUBJECT_CHANGES_SHOWN};
    use crate::{
        domain::{Access, ProfileId, RoleId, Timestamp, UserId},
        error::AppError,
        paging::Page,
        server::db::{Db, Pool},
        with_db,
    };

    /// A change to record. `since` and `added_by` describe the link as it was (for a
    /// removal) or is (otherwise).
    #[derive(Clone, Debug)]
    pub struct Change {
        pub actor: Option<UserId>,
        pub user: UserId,
        pub on: On,
        pub action: Action,
        pub before: Option<Access>,
        pub after: Option<Access>,
        pub since: Option<Timestamp>,
        pub added_by: Option<UserId>,
        pub undo_of: Option<i64>,
        /// The bulk change it is part of, if any: what undoes a bulk removal whole.
        pub bulk: Option<i64>,
        /// The invitation whose acceptance it is, if any.
        pub invitation: Option<i64>,
        /// The access review that made it, if any.
        pub review: Option<i64>,
        /// A removal's: the end date the membership had, which undoing it restores.
        pub ends_before: Option<Timestamp>,
    }

    #[derive(Clone, Copy, Debug)]
    pub enum On {
        Profile(ProfileId),
        Role(RoleId),
    }

    impl Change {
        pub fn membership(actor: UserId, user: UserId, profile: ProfileId, action: Action) -> Change {
            Change {
                actor: Some(actor),
                user,
                on: On::Profile(profile),
                action,
                before: None,
                after: None,
                since: None,
                added_by: None,
                undo_of: None,
                bulk: None,
                invitation: None,
                review: None,
                ends_before: None,
            }
        }

        pub fn role(actor: Option<UserId>, user: UserId, role: RoleId, action: Action) -> Change {
            Change { on: On::Role(role), actor, ..Change::membership(user, user, ProfileId(0), action) }
        }
    }

    /// How many entries one statement writes: fifteen values each, well under either backend's
    /// limit on a statement's values.
    pub const CHUNK: usize = 500;

    /// The statement that writes `$changes` (a slice of [`Change`]) as entries.
    #[macro_export]
    macro_rules! history_insert {
        ($changes:expr) => {{
            let mut sql = sqlx::QueryBuilder::new(
                "INSERT INTO history (actor_id, user_id, profile_id, role_id, action, \
                 access_before, access_after, since, added_by, undo_of, bulk_id, invitation_id, review_id, \
                 ends_before, via_token) ",
            );
            let via_token = $crate::api_tokens::ssr::acting();
            sql.push_values($changes, |mut row, change: &$crate::history::ssr::Change| {
                let (profile, role) = match change.on {
                    $crate::history::ssr::On::Profile(p) => (Some(p), None),
                    $crate::history::ssr::On::Role(r) => (None, Some(r)),
                };
                row.push_bind(change.actor)
                    .push_bind(change.user)
                    .push_bind(profile)
                    .push_bind(role)
                    .push_bind(change.action)
                    .push_bind(change.before)
                    .push_bind(change.after)
                    .push_bind(change.since)
                    .push_bind(change.added_by)
                    .push_bind(change.undo_of)
                    .push_bind(change.bulk)
                    .push_bind(change.invitation)
                    .push_bind(change.review)
                    .push_bind(change.ends_before)
                    .push_bind(via_token.clone());
            });
            sql
        }};
    }

    /// Records `$change` on `$conn` (a transaction of either backend); yields the entry's id.
    #[macro_export]
    macro_rules! record_history {
        ($conn:expr, $change:expr) => {{
            let change: &$crate::history::ssr::Change = $change;
            let mut sql = $crate::history_insert!(std::slice::from_ref(change));
            sql.push(" RETURNING id");
            sql.build_query_scalar::<i64>().fetch_one($conn).await
        }};
    }

    /// Records many changes on `$conn` (a transaction), [`CHUNK`] entries a statement. On
    /// PostgreSQL the history's totals are kept once a statement, so one bulk change bumps
    /// each total a few times, not once per entry (migrations/postgres/0010).
    #[macro_export]
    macro_rules! record_history_all {
        ($conn:expr, $changes:expr) => {{
            let changes: &[$crate::history::ssr::Change] = $changes;
            async {
                for chunk in changes.chunks($crate::history::ssr::CHUNK) {
                    $crate::history_insert!(chunk).build().execute(&mut *$conn).await?;
                }
                Ok::<(), sqlx::Error>(())
            }
            .await
        }};
    }

    /// Records, on `$conn` (a transaction of either backend), that `$actor` did `$action`
    /// (a [`SubjectAction`]) to `$on` (an [`On`]), with the name or description before and
    /// after.
    #[macro_export]
    macro_rules! record_subject {
        ($conn:expr, $actor:expr, $on:expr, $action:expr, $old:expr, $new:expr) => {{
            let (profile, role) = match $on {
                $crate::history::ssr::On::Profile(p) => (Some(p), None),
                $crate::history::ssr::On::Role(r) => (None, Some(r)),
            };
            let action: $crate::history::SubjectAction = $action;
            sqlx::query(
                "INSERT INTO subject_history (actor_id, profile_id, role_id, action, old_value, new_value, \
                 via_token) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind($actor)
            .bind(profile)
            .bind(role)
            .bind(action.as_str())
            .bind($old)
            .bind($new)
            .bind($crate::api_tokens::ssr::acting())
            .execute($conn)
            .await
        }};
    }

    /// Records, on `$conn`, what an edit of a role's or a profile's name and description
    /// changed: a rename, a new description, both or neither.
    #[macro_export]
    macro_rules! record_edits {
        (
            $conn:expr,
            $actor:expr,
            $on:expr,
            ($old_name:expr, $name:expr),
            ($old_description:expr, $description:expr)
        ) => {{
            use $crate::history::SubjectAction;
            let (old_name, name): (String, &str) = ($old_name, $name);
            let (old_description, description): (String, &str) = ($old_description, $description);
            async {
                if old_name != name {
                    $crate::record_subject!(
                        &mut *$conn,
                        $actor,
                        $on,
                        SubjectAction::Renamed,
                        Some(old_name),
                        Some(name)
                    )?;
                }
                if old_description != description {
                    let (old, new) = (Some(old_description), Some(description));
                    $crate::record_subject!(&mut *$conn, $actor, $on, SubjectAction::Described, old, new)?;
                }
                Ok::<(), sqlx::Error>(())
            }
            .await
        }};
    }

    /// The latest [`SUBJECT_CHANGES_SHOWN`] changes to a role or a profile itself, newest
    /// first, along subject_history_role_idx or subject_history_profile_idx.
    pub async fn subject_changes(db: &Db, on: On) -> Result<Vec<SubjectEntry>, AppError> {
        let (column, id) = match on {
            On::Profile(p) => ("profile_id", p.0),
            On::Role(r) => ("role_id", r.0),
        };
        let sql = format!(
            "SELECT s.id, s.at, a.display_name AS actor, s.action, s.old_value, s.new_value, s.via_token \
             FROM (SELECT * FROM subject_history WHERE {column} = $1 ORDER BY id DESC LIMIT $2) AS s \
             LEFT JOIN users a ON a.id = s.actor_id ORDER BY s.id DESC"
        );
        Ok(with_db!(db, |pool| {
            sqlx::query_as(&sql).bind(id).bind(SUBJECT_CHANGES_SHOWN).fetch_all(pool).await
        })?)
    }

    /// An entry's columns; `FROM` then names `history h` (or what yields its rows) and JOINS.
    const COLUMNS: &str =
        "SELECT h.id, h.at, a.display_name AS actor, h.user_id, u.display_name AS user_name, \
        h.profile_id, p.name AS profile_name, h.role_id, r.name AS role_name, h.action, h.access_before, \
        h.access_after, h.since, EXISTS (SELECT 1 FROM history x WHERE x.undo_of = h.id) AS undone, \
        h.invitation_id IS NOT NULL AS by_invitation, h.expired, h.review_id, h.via_token";
    const JOINS: &str = " LEFT JOIN users a ON a.id = h.actor_id \
        LEFT JOIN users u ON u.id = h.user_id \
        LEFT JOIN profiles p ON p.id = h.profile_id \
        LEFT JOIN roles r ON r.id = h.role_id";

    pub use crate::server::lists::history::Subject;

    /// A subject's history, newest first, a page at a time
    /// ([`entries`](crate::server::lists::history::entries)).
    pub async fn list(
        db: &Db,
        subject: Subject,
        action: Option<Action>,
        q: Option<&str>,
        after: Option<&str>,
    ) -> Result<Page<Entry>, AppError> {
        let shown = crate::server::lists::history::Shown { select: COLUMNS, joins: JOINS };
        crate::server::lists::history::entries(db, &shown, subject, action, q, after).await
    }

    pub async fn entry(db: &Db, id: i64) -> Result<Option<Entry>, AppError> {
        let sql = format!("{COLUMNS} FROM history h{JOINS} WHERE h.id = $1");
        Ok(with_db!(db, |pool| sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)?)
    }

    pub const ALREADY_UNDONE: &str = "That removal has already been undone.";

    /// Restores the link a removal deleted, with its level, "since" and adder, and records
    /// the restoration. A second undo of the same removal is refused by the unique `undo_of`.
    pub async fn undo(db: &Db, entry: i64, actor: UserId) -> Result<(), AppError> {
        with_db!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            match tx.restore(entry, actor).await? {
                Restore::Restored => {}
                Restore::Missing => return Err(AppError::NotFound),
                Restore::NotARemoval => {
                    return Err(AppError::Conflict("Only a removal can be undone.".into()))
                }
                Restore::OnAgain => {
                    return Err(AppError::Conflict(
                        "They are on this profile again already; change their access instead.".into(),
                    ))
                }
                Restore::AccountGone => {
                    return Err(AppError::Conflict("That account no longer exists.".into()))
                }
                Restore::UndoneAlready => return Err(AppError::Conflict(ALREADY_UNDONE.into())),
                Restore::Ended => {
                    return Err(AppError::Conflict(
                        "Their access ended on its date; add them again instead.".into(),
                    ))
                }
                Restore::WouldHaveEnded(ends) => {
                    return Err(AppError::Conflict(format!(
                        "Their access was to end after {}, so there is nothing to put back; add them \
                         again instead.",
                        crate::expiry::last_day(ends)
                    )))
                }
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// What undoing one removal came to.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Restore {
        Restored,
        Missing,
        NotARemoval,
        /// The person is on the profile again already.
        OnAgain,
        AccountGone,
        UndoneAlready,
        /// The entry is a membership's end, which is not undone.
        Ended,
        /// The membership removed had an end date, now past: it would grant nothing.
        WouldHaveEnded(Timestamp),
    }

    /// Undoing removals, inside a caller's transaction.
    pub trait Restores {
        /// Puts back the person removal `entry` took off its profile, at their access then,
        /// their original "since" and the end date they had, and records it.
        fn restore(
            &mut self,
            entry: i64,
            actor: UserId,
        ) -> impl std::future::Future<Output = Result<Restore, AppError>> + Send;
    }

    crate::impl_for_connections! {
        impl Restores {
            async fn restore(&mut self, entry: i64, actor: UserId) -> Result<Restore, AppError> {
                type Removed = (
                    Action,
                    Option<ProfileId>,
                    UserId,
                    Option<Access>,
                    Option<Timestamp>,
                    Option<UserId>,
                    bool,
                    Option<Timestamp>,
                );
                let removed: Option<Removed> = sqlx::query_as(
                    "SELECT action, profile_id, user_id, access_before, since, added_by, expired, \
                     ends_before FROM history WHERE id = $1",
                )
                .bind(entry)
                .fetch_optional(&mut *self)
                .await?;
                let Some((action, profile, user, access, since, added_by, expired, ends)) = removed else {
                    return Ok(Restore::Missing);
                };
                let now = Timestamp::now();
                if expired {
                    return Ok(Restore::Ended);
                }
                if let Some(ends) = ends.filter(|ends| *ends <= now) {
                    return Ok(Restore::WouldHaveEnded(ends));
                }
                if let Some(profile) = profile {
                    use crate::expiry::ssr::{Due, Ends};
                    self.expire_due(Due::Pair(profile, user), now).await?;
                }
                let (Some(profile), Some(access), Some(since), Action::Removed) =
                    (profile, access, since, action)
                else {
                    return Ok(Restore::NotARemoval);
                };
                let restored: Option<UserId> = sqlx::query_scalar(
                    "INSERT INTO memberships \
                     (profile_id, user_id, access, added_at, added_by, ends_at, name_key, email) \
                     SELECT $1, u.id, $3, $4, (SELECT id FROM users WHERE id = $5), $6, u.name_key, u.email \
                     FROM users u WHERE u.id = $2 \
                     ON CONFLICT (profile_id, user_id) DO NOTHING RETURNING user_id",
                )
                .bind(profile)
                .bind(user)
                .bind(access.as_str())
                .bind(since)
                .bind(added_by)
                .bind(ends)
                .fetch_optional(&mut *self)
                .await?;
                if restored.is_none() {
                    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM users WHERE id = $1)")
                        .bind(user)
                        .fetch_one(&mut *self)
                        .await?;
                    return Ok(if exists { Restore::OnAgain } else { Restore::AccountGone });
                }
                let change = Change {
                    after: Some(access),
                    since: Some(since),
                    added_by,
                    undo_of: Some(entry),
                    ..Change::membership(actor, user, profile, Action::Restored)
                };
                match crate::record_history!(&mut *self, &change) {
                    Ok(_) => Ok(Restore::Restored),
                    Err(e) if crate::server::db::is_unique_violation(&e) => Ok(Restore::UndoneAlready),
                    Err(e) => Err(e.into()),
                }
            }
        }
    }

    /// Undoes a bulk removal of `profile`'s members whole, in one transaction: everyone it
    /// removed whose removal isn't undone yet is put back, at their access then and with
    /// their original "since". Someone on the profile again, or whose account is gone, stays
    /// as they are. Returns how many were put back and how many stayed.
    pub async fn undo_bulk(
        db: &Db,
        bulk: i64,
        profile: ProfileId,
        actor: UserId,
    ) -> Result<(usize, usize), AppError> {
        with_db!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            let entries: Vec<i64> = sqlx::query_scalar(
                "SELECT h.id FROM history h \
                 WHERE h.bulk_id = $1 AND h.profile_id = $2 AND h.action = 'removed' \
                 AND NOT EXISTS (SELECT 1 FROM history r WHERE r.undo_of = h.id) ORDER BY h.user_id",
            )
            .bind(bulk)
            .bind(profile)
            .fetch_all(&mut *tx)
            .await?;
            let (mut restored, mut stayed) = (0, 0);
            for entry in entries {
                match tx.restore(entry, actor).await? {
                    Restore::Restored => restored += 1,
                    _ => stayed += 1,
                }
            }
            if restored == 0 {
                return Err(AppError::Conflict(
                    "No one is left to put back: everyone this change removed is on the profile again, \
                     their account is gone, or their access would have ended by now."
                        .into(),
                ));
            }
            tx.commit().await?;
            Ok((restored, stayed))
        })
    }

    /// How many people a bulk change removed could be put back now: their removal not undone,
    /// not on the profile again, their account still here, and their end date, if they had
    /// one, still to come.
    pub async fn undoable(db: &Db, bulk: i64) -> Result<i64, AppError> {
        Ok(with_db!(db, |pool| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM history h JOIN users u ON u.id = h.user_id \
                 WHERE h.bulk_id = $1 AND h.action = 'removed' \
                 AND (h.ends_before IS NULL OR h.ends_before > $2) \
                 AND NOT EXISTS (SELECT 1 FROM history r WHERE r.undo_of = h.id) \
                 AND NOT EXISTS (SELECT 1 FROM memberships m \
                 WHERE m.profile_id = h.profile_id AND m.user_id = h.user_id)",
            )
            .bind(bulk)
            .bind(Timestamp::now())
            .fetch_one(pool)
            .await
        })?)
    }

    pub async fn explain(db: &Db, profile: ProfileId, user: UserId) -> Result<Explanation, AppError> {
        type Row = (
            String,
            String,
            String,
            Option<String>,
            Option<Timestamp>,
            Option<String>,
            Option<Timestamp>,
            Option<Timestamp>,
        );
        let row: Option<Row> = with_db!(db, |pool| {
            sqlx::query_as(
                "SELECT u.display_name, u.email, p.name, m.access, m.added_at, a.display_name, \
                        (SELECT ur.assigned_at FROM user_roles ur JOIN roles r ON r.id = ur.role_id \
                         WHERE ur.user_id = u.id AND r.name = 'admin'), m.ends_at \
                 FROM users u CROSS JOIN profiles p \
                 LEFT JOIN memberships m ON m.profile_id = p.id AND m.user_id = u.id \
                 AND (m.ends_at IS NULL OR m.ends_at > $3) \
                 LEFT JOIN users a ON a.id = m.added_by \
                 WHERE u.id = $1 AND p.id = $2",
            )
            .bind(user)
            .bind(profile)
            .bind(Timestamp::now())
            .fetch_optional(pool)
            .await
        })?;
        let (user_name, email, profile_name, access, added_at, added_by, admin_since, ends) =
            row.ok_or(AppError::NotFound)?;
        let mut paths = Vec::new();
        if let (Some(access), Some(since)) = (access, added_at) {
            paths.push(AccessPath::Membership { access: Access::parse(&access)?, since, added_by, ends });
        }
        if let Some(since) = admin_since {
            paths.push(AccessPath::AdminRole { since });
        }
        let may_set_end = false;
        Ok(Explanation {
            user_id: user,
            user_name,
            email,
            profile_id: profile,
            profile_name,
            paths,
            may_set_end,
        })
    }
}
