//! Bulk changes to a profile's members: paste up to 10,000 emails to add, or pick members to
//! remove or to change. Each change is saved as a draft first and previewed row by row on a
//! page of its own, so that it works as plain forms; applying it runs in one transaction and
//! reports on every row.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{
    domain::{Access, ProfileId, Timestamp, UserId},
    error::AppError,
};

#[cfg(feature = "ssr")]
mod import;
#[cfg(feature = "ssr")]
pub use import::routes as import_routes;

/// Where a CSV file of members is posted, as a multipart form ([`import`]).
pub const IMPORT_PATH: &str = "/api/bulk/import";

/// The most rows one bulk change takes.
pub const MAX_ROWS: usize = 10_000;
/// The most bulk changes one person may have waiting to be applied (drafts expire after a
/// day): what one account can store is bounded.
pub const MAX_OPEN_DRAFTS: i64 = 20;

/// What happens, or happened, to one row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RowStatus {
    /// Will be (or was) added, changed or removed.
    Change,
    /// Nothing to do: already there, already at that level, not on the profile, listed twice,
    /// already invited.
    Unchanged,
    /// Will be (or was) invited: no account its author may see uses the address.
    Invite,
    /// Not an email address.
    Unknown,
    /// Not allowed: it would leave no manager, or lock you out.
    Refused,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BulkRow {
    /// The email as pasted, or the member's name.
    pub label: String,
    /// For an import: the row's line in the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    pub status: RowStatus,
    /// "will add as member", "already a manager", "will invite as member"…
    pub note: String,
}

crate::text_enum! {
    /// What a bulk change does to the rows it lists.
    pub enum BulkKind {
        /// Adds the accounts of pasted emails, at the change's access.
        Add = "add",
        Remove = "remove",
        /// Moves chosen members to the change's access.
        SetAccess = "set_access",
        /// Sets each row's person to the row's access and last day, from a CSV file.
        Import = "import",
    }
    invalid: ("change", "Choose a bulk change.")
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BulkChange {
    pub id: i64,
    pub profile_id: ProfileId,
    pub profile_name: String,
    pub kind: BulkKind,
    pub access: Option<Access>,
    /// For an add: the end everyone it adds gets, if any.
    #[serde(default)]
    pub ends: Option<Timestamp>,
    /// Whether it has been applied; `rows` are then the report, else the preview.
    pub applied: bool,
    pub rows: Vec<BulkRow>,
    /// Once a removal is applied: how many of the people it removed can still be put back
    /// in one step ([`undo_bulk`]).
    pub undoable: i64,
}

impl BulkChange {
    pub fn count(&self, status: RowStatus) -> usize {
        self.rows.iter().filter(|r| r.status == status).count()
    }

    /// How many rows do something: a change or an invitation.
    pub fn actionable(&self) -> usize {
        self.count(RowStatus::Change) + self.count(RowStatus::Invite)
    }

    pub fn title(&self) -> String {
        match (self.kind, self.access) {
            (BulkKind::Add, Some(a)) => format!("Add people as {a}s"),
            (BulkKind::Remove, _) => "Remove members".into(),
            (BulkKind::SetAccess, Some(a)) => format!("Make members {a}s"),
            (BulkKind::Import, _) => "Import members".into(),
            (_, None) => "Bulk change".into(),
        }
    }
}

/// Splits pasted text into emails: one per line, or separated by commas, semicolons or tabs
/// (a spreadsheet's columns). No email holds a control character, so any of them separates.
pub fn split_emails(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c == ';' || c.is_control())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Saves a bulk add for preview and opens its page. `ends_on`, if given, is the last day of
/// everyone it adds.
#[server(prefix = "/api", endpoint = "bulk/add")]
pub async fn start_bulk_add(
    profile: ProfileId,
    emails: String,
    access: String,
    ends_on: Option<String>,
) -> Result<i64, AppError> {
    let (me, _) = crate::access::require_manage_members(profile).await?;
    ssr::count_bulk_work(me.id).await?;
    let access = Access::parse(&access)?;
    let ends = crate::expiry::parse_last_day(ends_on.as_deref(), chrono::Utc::now().date_naive())?;
    let items = split_emails(&emails);
    if items.is_empty() {
        return Err(AppError::invalid("emails", "Paste at least one email."));
    }
    if items.len() > MAX_ROWS {
        return Err(AppError::invalid(
            "emails",
            format!("Paste at most {MAX_ROWS} emails at once; this has {}.", items.len()),
        ));
    }
    let state = crate::server::state::current()?;
    let kind = (BulkKind::Add, Some(access), ends);
    let id = ssr::save(&state.db, profile, me.id, kind, &items.join("\n")).await?;
    leptos_axum::redirect(&format!("/profiles/{profile}/bulk/{id}"));
    Ok(id)
}

/// Saves, for preview, a bulk add of everyone on another profile the caller manages (`from`),
/// at one access: the same draft as pasting their emails.
#[server(prefix = "/api", endpoint = "bulk/copy")]
pub async fn start_bulk_copy(profile: ProfileId, from: ProfileId, access: String) -> Result<i64, AppError> {
    let (me, _) = crate::access::require_manage_members(profile).await?;
    // The same answer whether `from` is someone else's or no profile at all.
    let not_yours = || AppError::invalid("from", "Choose a profile you manage to copy from.");
    match crate::access::require_manage(from).await {
        Ok(_) => {}
        Err(AppError::NotFound | AppError::Forbidden) => return Err(not_yours()),
        Err(other) => return Err(other),
    }
    if from == profile {
        return Err(AppError::invalid("from", "Choose another profile than this one to copy from."));
    }
    let access = Access::parse(&access)?;
    ssr::count_bulk_work(me.id).await?;
    let state = crate::server::state::current()?;
    let emails = ssr::member_emails(&state.db, from, MAX_ROWS + 1).await?;
    if emails.len() > MAX_ROWS {
        return Err(AppError::invalid(
            "from",
            format!("That profile has more than {MAX_ROWS} members, more than one bulk change takes."),
        ));
    }
    let id =
        ssr::save(&state.db, profile, me.id, (BulkKind::Add, Some(access), None), &emails.join("\n")).await?;
    leptos_axum::redirect(&format!("/profiles/{profile}/bulk/{id}"));
    Ok(id)
}

/// Saves a change to the chosen members (remove, or make manager or member) for preview.
#[server(prefix = "/api", endpoint = "bulk/change")]
pub async fn start_bulk_change(
    profile: ProfileId,
    #[server(default)] users: Vec<UserId>,
    change: String,
    /// "yes": every member the search (`q`) and filter (`access`) match, on every page, as
    /// the server reads them, in place of `users`.
    #[server(default)]
    matching: Option<String>,
    #[server(default)] q: Option<String>,
    #[server(default)] access: Option<String>,
) -> Result<i64, AppError> {
    let (me, _) = crate::access::require_manage_members(profile).await?;
    ssr::count_bulk_work(me.id).await?;
    let (kind, access_to) = match change.as_str() {
        "remove" => (BulkKind::Remove, None),
        other => (BulkKind::SetAccess, Some(Access::parse(other)?)),
    };
    let state = crate::server::state::current()?;
    let users = if matching.as_deref() == Some("yes") {
        let filter = crate::server::lists::Filter {
            q: crate::paging::search_text(q.as_deref())?,
            access: crate::paging::access_filter(access.as_deref())?,
            sort: crate::paging::Sort::Name,
        };
        let (_, seen) = crate::access::require_seen(profile).await?;
        let counts = seen.counts();
        crate::memberships::ssr::matching(&state.db, profile, counts, &filter, MAX_ROWS).await?.ok_or_else(
            || {
                AppError::invalid(
                    "users",
                    format!("More than {MAX_ROWS} members match: narrow the search first."),
                )
            },
        )?
    } else {
        users
    };
    if users.is_empty() {
        return Err(AppError::invalid("users", "Tick at least one member first."));
    }
    if users.len() > MAX_ROWS {
        return Err(AppError::invalid("users", format!("Choose at most {MAX_ROWS} members at once.")));
    }
    let items: Vec<String> = users.iter().map(|u| u.to_string()).collect();
    let id = ssr::save(&state.db, profile, me.id, (kind, access_to, None), &items.join("\n")).await?;
    leptos_axum::redirect(&format!("/profiles/{profile}/bulk/{id}"));
    Ok(id)
}

/// A bulk change's preview, worked out against the profile as it is now, or its report.
/// Only its author sees it, while they may still manage the profile.
#[server(prefix = "/api", endpoint = "bulk/get")]
pub async fn get_bulk(id: i64) -> Result<BulkChange, AppError> {
    let me = crate::access::require_user().await?;
    let state = crate::server::state::current()?;
    let draft = ssr::load(&state.db, id, me.id).await?;
    crate::access::require_manage_members(draft.profile).await?;
    let mine = ssr::Mine { me: me.id, me_admin: me.is_admin, findable: crate::access::findable(&me)? };
    let mut bulk = ssr::run(&state, &draft, mine, false).await?;
    if bulk.applied && bulk.kind == BulkKind::Remove {
        bulk.undoable = crate::history::ssr::undoable(&state.db, id).await?;
    }
    Ok(bulk)
}

/// Applies a previewed bulk change in one transaction, re-checking every row.
#[server(prefix = "/api", endpoint = "bulk/apply")]
pub async fn apply_bulk(id: i64) -> Result<(), AppError> {
    let me = crate::access::require_user().await?;
    ssr::count_bulk_work(me.id).await?;
    let state = crate::server::state::current()?;
    let draft = ssr::load(&state.db, id, me.id).await?;
    crate::access::require_manage_members(draft.profile).await?;
    let mine = ssr::Mine { me: me.id, me_admin: me.is_admin, findable: crate::access::findable(&me)? };
    let report = ssr::run(&state, &draft, mine, true).await?;
    let (changed, invited) = (report.count(RowStatus::Change), report.count(RowStatus::Invite));
    tracing::info!(bulk = id, profile = %draft.profile, changed, invited, "bulk change applied");
    leptos_axum::redirect(&format!("/profiles/{}/bulk/{id}", draft.profile));
    Ok(())
}

/// Puts back, in one step, everyone an applied bulk removal took off the profile, each at
/// their access then and with their original "since"; then shows the change again, saying
/// how many came back. Only its author, while they may manage the profile.
#[server(prefix = "/api", endpoint = "bulk/undo")]
pub async fn undo_bulk(id: i64) -> Result<(), AppError> {
    let me = crate::access::require_user().await?;
    let state = crate::server::state::current()?;
    let draft = ssr::load(&state.db, id, me.id).await?;
    crate::access::require_manage_members(draft.profile).await?;
    let (restored, stayed) = crate::history::ssr::undo_bulk(&state.db, id, draft.profile, me.id).await?;
    tracing::info!(bulk = id, profile = %draft.profile, restored, stayed, "bulk removal undone");
    leptos_axum::redirect(&format!(
        "/profiles/{}/bulk/{id}?restored={restored}&stayed={stayed}",
        draft.profile
    ));
    Ok(())
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use std::collections::{BTreeMap, HashMap, HashSet};

    use super::{BulkChange, BulkKind, BulkRow, RowStatus, MAX_OPEN_DRAFTS};
    use crate::{
        access::Findable,
        domain::{Access, Email, ProfileId, Timestamp, UserId},
        error::AppError,
        expiry::ssr::{Ends, Moved},
        history::{ssr::Change, Action},
        invitations::ssr::{InvitationStatements, Terms},
        memberships::ssr::rule_to_error,
        record_history_all,
        server::{
            db::{dialect_of, Db, Dialect, Pool},
            state::AppState,
        },
        with_db,
    };

    /// How many ids or emails one statement lists.
    const CHUNK: usize = 500;

    pub struct Draft {
        pub id: i64,
        pub profile: ProfileId,
        pub kind: BulkKind,
        pub access: Option<Access>,
        pub ends: Option<Timestamp>,
        pub items: Vec<String>,
        pub report: Option<Vec<BulkRow>>,
    }

    /// Counts one piece of bulk work (a draft started or applied) against its person's
    /// `bulk_per_minute`: past it, 429.
    pub async fn count_bulk_work(me: UserId) -> Result<(), AppError> {
        use crate::server::limits::{bulk_keys, claim, Limited};
        let state = crate::server::state::current()?;
        let keys = bulk_keys(me, state.settings.bulk_per_minute);
        claim(&state.db, Limited::Bulk, &keys, chrono::Utc::now().timestamp()).await.map(drop)
    }

    pub const TOO_MANY_DRAFTS: &str = "You have 20 bulk changes waiting to be applied. Apply some of them \
        first, or wait: a bulk change not applied within a day is dropped.";

    /// Saves a draft, unless `by` has [`MAX_OPEN_DRAFTS`] waiting already (429). Counted and
    /// saved in one transaction, queued on the person's row, so two at once can't both pass.
    pub async fn save(
        db: &Db,
        profile: ProfileId,
        by: UserId,
        (kind, access, ends): (BulkKind, Option<Access>, Option<Timestamp>),
        items: &str,
    ) -> Result<i64, AppError> {
        let day_ago = Timestamp(chrono::Utc::now() - chrono::Duration::days(1));
        with_db!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            // NO KEY UPDATE: it queues this person's drafts without blocking the foreign-key
            // checks of rows that name them (an apply's history, as its actor), which a
            // FOR UPDATE here would make a deadlock of.
            if dialect_of(pool) == Dialect::Postgres {
                sqlx::query("SELECT id FROM users WHERE id = $1 FOR NO KEY UPDATE")
                    .bind(by)
                    .execute(&mut *tx)
                    .await?;
            }
            // Drafts are for the next few minutes; old ones go.
            sqlx::query("DELETE FROM bulk_changes WHERE created_at < $1")
                .bind(day_ago)
                .execute(&mut *tx)
                .await?;
            let open: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM bulk_changes WHERE created_by = $1 AND applied_at IS NULL",
            )
            .bind(by)
            .fetch_one(&mut *tx)
            .await?;
            if open >= MAX_OPEN_DRAFTS {
                return Err(AppError::TooManyRequests { message: TOO_MANY_DRAFTS.into(), retry_after: 3600 });
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO bulk_changes (profile_id, created_by, kind, access, ends_at, items) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(profile)
            .bind(by)
            .bind(kind)
            .bind(access)
            .bind(ends)
            .bind(items)
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(id)
        })
    }

    /// The emails of up to `most` of `profile`'s members, along its key.
    pub async fn member_emails(db: &Db, profile: ProfileId, most: usize) -> Result<Vec<String>, AppError> {
        Ok(with_db!(db, |pool| {
            sqlx::query_scalar(
                "SELECT email FROM memberships WHERE profile_id = $1 ORDER BY user_id LIMIT $2",
            )
            .bind(profile)
            .bind(most as i64)
            .fetch_all(pool)
            .await
        })?)
    }

    /// `by`'s draft `id`; anyone else's is "not found".
    pub async fn load(db: &Db, id: i64, by: UserId) -> Result<Draft, AppError> {
        type Row = (ProfileId, BulkKind, Option<Access>, Option<Timestamp>, String, Option<String>);
        let row: Option<Row> = with_db!(db, |pool| {
            sqlx::query_as(
                "SELECT profile_id, kind, access, ends_at, items, report FROM bulk_changes \
                 WHERE id = $1 AND created_by = $2",
            )
            .bind(id)
            .bind(by)
            .fetch_optional(pool)
            .await
        })?;
        let (profile, kind, access, ends, items, report) = row.ok_or(AppError::NotFound)?;
        let report = report.map(|r| serde_json::from_str(&r)).transpose().map_err(AppError::internal)?;
        let items = items.lines().map(str::to_owned).collect();
        Ok(Draft { id, profile, kind, access, ends, items, report })
    }

    /// What a row gives the person it adds or invites: access, and the end if any.
    pub(super) type Grant = (Access, Option<Timestamp>);

    /// What one row will do, worked out from the profile's current state.
    #[derive(Clone)]
    pub(super) enum Plan {
        Add(UserId, Grant),
        Invite(Email, Grant),
        Remove(UserId),
        Set(UserId),
        /// An import's change to a member: the access to move to, and the end's move.
        Update(UserId, Option<Access>, Option<Moved>),
        Nothing,
    }

    /// A row of the preview or the report, and what applying it does.
    pub(super) type Planned = (BulkRow, Plan);

    pub(super) fn planned(label: String, status: RowStatus, note: impl Into<String>, plan: Plan) -> Planned {
        (BulkRow { label, line: None, status, note: note.into() }, plan)
    }

    /// " until 2026-12-31" for an end, nothing for none.
    pub(super) fn until(ends: Option<Timestamp>) -> String {
        ends.map(|ends| format!(" until {}", crate::expiry::last_day(ends))).unwrap_or_default()
    }

    /// Why a pasted line adds no one before any account is looked up.
    enum Unusable {
        NotAnEmail,
        ListedTwice,
    }

    /// An account a pasted email belongs to, and its access and end on the profile if it is
    /// on it.
    pub(super) type Account = (UserId, String, Option<Grant>);

    /// A member a removal or a change of access names, as they are on the profile.
    pub(super) struct Current {
        name: String,
        access: Access,
        /// Whether their access has no end date.
        lasting: bool,
    }

    /// The reads and writes of a bulk change, inside its transaction. Written once for both
    /// backends' connections by [`impl_for_connections!`].
    pub(super) trait BulkStatements {
        /// The accounts among `emails` that `findable` may see, by email.
        async fn accounts(
            &mut self,
            profile: ProfileId,
            emails: &[String],
            findable: Findable,
        ) -> Result<HashMap<String, Account>, AppError>;
        /// The addresses among `emails` with an open invitation to the profile.
        async fn invited(
            &mut self,
            profile: ProfileId,
            emails: &[String],
        ) -> Result<HashSet<String>, AppError>;
        /// The members among `ids`, with their name and access.
        async fn members(
            &mut self,
            profile: ProfileId,
            ids: &[UserId],
        ) -> Result<HashMap<UserId, Current>, AppError>;
        /// How many of the profile's managers have no end date: the managers the profile
        /// must keep one of (`crate::expiry`).
        async fn lasting_managers(&mut self, profile: ProfileId) -> Result<i64, AppError>;
        async fn add(
            &mut self,
            by: UserId,
            profile: ProfileId,
            grant: Grant,
            ids: &[UserId],
        ) -> Result<Vec<Change>, AppError>;
        async fn remove(
            &mut self,
            by: UserId,
            profile: ProfileId,
            ids: &[UserId],
        ) -> Result<Vec<Change>, AppError>;
        async fn set(
            &mut self,
            by: UserId,
            profile: ProfileId,
            to: Access,
            ids: &[UserId],
        ) -> Result<Vec<Change>, AppError>;
        /// Marks the draft applied, with its report; a draft applied already is a conflict.
        async fn save_report(&mut self, id: i64, rows: &[BulkRow]) -> Result<(), AppError>;
    }

    crate::impl_for_connections! {
        impl BulkStatements {
            async fn accounts(
                &mut self,
                profile: ProfileId,
                emails: &[String],
                findable: Findable,
            ) -> Result<HashMap<String, Account>, AppError> {
                let mut found = HashMap::new();
                for chunk in emails.chunks(CHUNK) {
                    let mut sql = sqlx::QueryBuilder::new(
                        "SELECT u.email, u.id, u.display_name, m.access, m.ends_at FROM users u \
                         LEFT JOIN memberships m ON m.user_id = u.id AND m.profile_id = ",
                    );
                    sql.push_bind(profile).push(" WHERE u.email IN (");
                    push_list(&mut sql, chunk.iter().cloned());
                    // An account its author may not see is left out: the row invites it,
                    // as it would an address with no account.
                    if let Findable::SharingWith(me) = findable {
                        sql.push(
                            " AND (m.access IS NOT NULL OR EXISTS (SELECT 1 FROM memberships theirs \
                             JOIN memberships mine ON mine.profile_id = theirs.profile_id \
                             AND mine.user_id = ",
                        );
                        sql.push_bind(me).push(" WHERE theirs.user_id = u.id))");
                    }
                    type Row = (String, UserId, String, Option<Access>, Option<Timestamp>);
                    let rows: Vec<Row> = sql.build_query_as().fetch_all(&mut *self).await?;
                    found.extend(rows.into_iter().map(|(email, id, name, access, ends)| {
                        let account: Account = (id, name, access.map(|access| (access, ends)));
                        (email, account)
                    }));
                }
                Ok(found)
            }

            async fn invited(
                &mut self,
                profile: ProfileId,
                emails: &[String],
            ) -> Result<HashSet<String>, AppError> {
                let mut found = HashSet::new();
                let now = Timestamp::now();
                for chunk in emails.chunks(CHUNK) {
                    let mut sql =
                        sqlx::QueryBuilder::new("SELECT email FROM invitations WHERE profile_id = ");
                    sql.push_bind(profile).push(" AND outcome IS NULL AND expires_at > ").push_bind(now);
                    sql.push(" AND email IN (");
                    push_list(&mut sql, chunk.iter().cloned());
                    let rows: Vec<String> = sql.build_query_scalar().fetch_all(&mut *self).await?;
                    found.extend(rows);
                }
                Ok(found)
            }

            async fn members(
                &mut self,
                profile: ProfileId,
                ids: &[UserId],
            ) -> Result<HashMap<UserId, Current>, AppError> {
                let mut found = HashMap::new();
                for chunk in ids.chunks(CHUNK) {
                    let mut sql = sqlx::QueryBuilder::new(
                        "SELECT m.user_id, u.display_name, m.access, m.ends_at IS NULL FROM memberships m \
                         JOIN users u ON u.id = m.user_id WHERE m.profile_id = ",
                    );
                    sql.push_bind(profile).push(" AND m.user_id IN (");
                    push_list(&mut sql, chunk.iter().copied());
                    let rows: Vec<(UserId, String, Access, bool)> =
                        sql.build_query_as().fetch_all(&mut *self).await?;
                    let current = |(id, name, access, lasting)| (id, Current { name, access, lasting });
                    found.extend(rows.into_iter().map(current));
                }
                Ok(found)
            }

            async fn lasting_managers(&mut self, profile: ProfileId) -> Result<i64, AppError> {
                let count = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM memberships \
                     WHERE profile_id = $1 AND access = 'manager' AND ends_at IS NULL",
                )
                .bind(profile)
                .fetch_one(&mut *self)
                .await?;
                Ok(count)
            }

            async fn add(
                &mut self,
                by: UserId,
                profile: ProfileId,
                (access, ends): Grant,
                ids: &[UserId],
            ) -> Result<Vec<Change>, AppError> {
                let mut changes = Vec::new();
                for chunk in ids.chunks(CHUNK) {
                    let mut sql = sqlx::QueryBuilder::new(
                        "INSERT INTO memberships \
                         (profile_id, user_id, access, added_by, ends_at, name_key, email) \
                         SELECT ",
                    );
                    sql.push_bind(profile).push(", id, ").push_bind(access).push(", ").push_bind(by);
                    sql.push(", ").push_bind(ends).push(", name_key, email FROM users WHERE id IN (");
                    push_list(&mut sql, chunk.iter().copied());
                    sql.push(" ON CONFLICT (profile_id, user_id) DO NOTHING RETURNING user_id, added_at");
                    let added: Vec<(UserId, Timestamp)> = sql.build_query_as().fetch_all(&mut *self).await?;
                    if ends.is_some() {
                        let moved: Vec<Moved> = added.iter().map(|&(user, _)| (user, None, ends)).collect();
                        self.record_ends(by, profile, &moved).await?;
                    }
                    changes.extend(added.into_iter().map(|(user, since)| Change {
                        after: Some(access),
                        since: Some(since),
                        added_by: Some(by),
                        ..Change::membership(by, user, profile, Action::Added)
                    }));
                }
                Ok(changes)
            }

            async fn remove(
                &mut self,
                by: UserId,
                profile: ProfileId,
                ids: &[UserId],
            ) -> Result<Vec<Change>, AppError> {
                let mut changes = Vec::new();
                for chunk in ids.chunks(CHUNK) {
                    let mut sql = sqlx::QueryBuilder::new("DELETE FROM memberships WHERE profile_id = ");
                    sql.push_bind(profile).push(" AND user_id IN (");
                    push_list(&mut sql, chunk.iter().copied());
                    sql.push(" RETURNING user_id, access, added_at, added_by, ends_at");
                    let removed: Vec<crate::memberships::ssr::Removed> =
                        sql.build_query_as().fetch_all(&mut *self).await.map_err(rule_to_error)?;
                    changes.extend(removed.into_iter().map(|(user, was, since, added_by, ends)| Change {
                        before: Some(was),
                        since: Some(since),
                        added_by,
                        ends_before: ends,
                        ..Change::membership(by, user, profile, Action::Removed)
                    }));
                }
                Ok(changes)
            }

            async fn set(
                &mut self,
                by: UserId,
                profile: ProfileId,
                to: Access,
                ids: &[UserId],
            ) -> Result<Vec<Change>, AppError> {
                let from = match to {
                    Access::Manager => Access::Member,
                    Access::Member => Access::Manager,
                };
                let mut changes = Vec::new();
                for chunk in ids.chunks(CHUNK) {
                    let mut sql = sqlx::QueryBuilder::new("UPDATE memberships SET access = ");
                    sql.push_bind(to).push(" WHERE profile_id = ").push_bind(profile);
                    sql.push(" AND access <> ").push_bind(to).push(" AND user_id IN (");
                    push_list(&mut sql, chunk.iter().copied());
                    sql.push(" RETURNING user_id, added_at, added_by");
                    let changed: Vec<(UserId, Timestamp, Option<UserId>)> =
                        sql.build_query_as().fetch_all(&mut *self).await.map_err(rule_to_error)?;
                    changes.extend(changed.into_iter().map(|(user, since, added_by)| Change {
                        before: Some(from),
                        after: Some(to),
                        since: Some(since),
                        added_by,
                        ..Change::membership(by, user, profile, Action::Changed)
                    }));
                }
                Ok(changes)
            }

            async fn save_report(&mut self, id: i64, rows: &[BulkRow]) -> Result<(), AppError> {
                let report = serde_json::to_string(rows).map_err(AppError::internal)?;
                let saved = sqlx::query(
                    "UPDATE bulk_changes SET applied_at = $2, report = $3 \
                     WHERE id = $1 AND applied_at IS NULL",
                )
                .bind(id)
                .bind(Timestamp::now())
                .bind(report)
                .execute(&mut *self)
                .await?;
                match saved.rows_affected() {
                    1 => Ok(()),
                    _ => Err(AppError::Conflict(ALREADY_APPLIED.into())),
                }
            }
        }
    }

    /// Pushes `values` as a bound list and closes the `IN (` before it.
    fn push_list<'args, DB, T>(sql: &mut sqlx::QueryBuilder<'args, DB>, values: impl Iterator<Item = T>)
    where
        DB: sqlx::Database,
        T: 'args + sqlx::Encode<'args, DB> + sqlx::Type<DB>,
    {
        let mut list = sql.separated(", ");
        for value in values {
            list.push_bind(value);
        }
        sql.push(")");
    }

    /// Works out every row of `draft` against the profile as it is now and, with `apply`,
    /// carries the rows out and saves the report, all in one transaction. The profile's
    /// row is locked first (SQLite's write lock does the same), so no other change to its
    /// members can slip between the check and the change.
    pub async fn run(
        state: &AppState,
        draft: &Draft,
        mine: Mine,
        apply: bool,
    ) -> Result<BulkChange, AppError> {
        let db = &state.db;
        let profile_name: String = with_db!(db, |pool| {
            sqlx::query_scalar("SELECT name FROM profiles WHERE id = $1")
                .bind(draft.profile)
                .fetch_optional(pool)
                .await
        })?
        .ok_or(AppError::NotFound)?;
        let done = |rows: Vec<BulkRow>, applied: bool| BulkChange {
            id: draft.id,
            profile_id: draft.profile,
            profile_name: profile_name.clone(),
            kind: draft.kind,
            access: draft.access,
            ends: draft.ends,
            applied,
            rows,
            undoable: 0,
        };
        if let Some(report) = &draft.report {
            if apply {
                return Err(AppError::Conflict(ALREADY_APPLIED.into()));
            }
            return Ok(done(report.clone(), true));
        }
        let rows = with_db!(db, |pool| {
            let mut tx = if apply { pool.begin_write().await? } else { pool.begin().await? };
            // Applies to one profile queue here. NO KEY UPDATE, as in `save`: a draft saved
            // meanwhile (its foreign key names the profile) doesn't wait on it.
            if apply && dialect_of(pool) == Dialect::Postgres {
                sqlx::query("SELECT id FROM profiles WHERE id = $1 FOR NO KEY UPDATE")
                    .bind(draft.profile)
                    .execute(&mut *tx)
                    .await?;
            }
            if apply {
                use crate::expiry::ssr::{Due, Ends};
                tx.expire_due(Due::Profile(draft.profile), Timestamp::now()).await?;
            }
            let planned = match draft.kind {
                BulkKind::Add => {
                    let grant = (draft.access.unwrap_or(Access::Member), draft.ends);
                    let (emails, parsed) = parse_emails(&draft.items);
                    let accounts = tx.accounts(draft.profile, &emails, mine.findable).await?;
                    let invited = tx.invited(draft.profile, &emails).await?;
                    plan_adds(draft, parsed, (&accounts, &invited), grant, apply)
                }
                BulkKind::Import => {
                    let lines =
                        super::import::read(&draft.items.join("\n"), chrono::Utc::now().date_naive())?;
                    let emails = super::import::addresses(&lines);
                    let accounts = tx.accounts(draft.profile, &emails, mine.findable).await?;
                    let invited = tx.invited(draft.profile, &emails).await?;
                    let lasting = tx.lasting_managers(draft.profile).await?;
                    super::import::plan(lines, (&accounts, &invited), lasting, mine, apply)
                }
                BulkKind::Remove | BulkKind::SetAccess => {
                    let ids: Vec<UserId> =
                        draft.items.iter().filter_map(|s| s.parse().ok().map(UserId)).collect();
                    let current = tx.members(draft.profile, &ids).await?;
                    let lasting = tx.lasting_managers(draft.profile).await?;
                    plan_member_changes(draft, &ids, &current, lasting, mine, apply)
                }
            };
            let (rows, plans): (Vec<BulkRow>, Vec<Plan>) = planned.into_iter().unzip();
            if apply {
                for (grant, emails) in invitees(&plans) {
                    let terms = Terms { ends: grant.1, ..Terms::new(state, draft.profile, grant.0, mine.me) };
                    tx.invite_all(&state.mail, terms, &emails).await?;
                }
                let mut changes = carry_out(&mut *tx, draft, mine.me, &plans).await?;
                for change in &mut changes {
                    change.bulk = Some(draft.id);
                }
                // In person order: on PostgreSQL the entries lock their people's history
                // tallies, and two bulk changes that lock them in one order can't deadlock.
                changes.sort_by_key(|change| change.user);
                record_history_all!(tx, &changes)?;
                tx.save_report(draft.id, &rows).await?;
                tx.commit().await?;
            }
            Ok::<_, AppError>(rows)
        })?;
        if apply {
            state.mail.wake();
        }
        Ok(done(rows, apply))
    }

    const ALREADY_APPLIED: &str = "This change has been applied already.";

    /// The addresses the planned rows invite, by what they are offered.
    fn invitees(plans: &[Plan]) -> BTreeMap<Grant, Vec<Email>> {
        let mut by_grant: BTreeMap<Grant, Vec<Email>> = BTreeMap::new();
        for plan in plans {
            if let Plan::Invite(email, grant) = plan {
                by_grant.entry(*grant).or_default().push(email.clone());
            }
        }
        by_grant
    }

    /// Carries out the planned rows but invitations: adds (by what they give), then
    /// removals, then changes of access, then moves of ends.
    async fn carry_out<C: BulkStatements + Ends>(
        conn: &mut C,
        draft: &Draft,
        me: UserId,
        plans: &[Plan],
    ) -> Result<Vec<Change>, AppError> {
        let (mut adds, mut sets) =
            (BTreeMap::<Grant, Vec<UserId>>::new(), BTreeMap::<Access, Vec<UserId>>::new());
        let (mut removes, mut moves) = (Vec::new(), Vec::new());
        for plan in plans {
            match plan {
                Plan::Add(id, grant) => adds.entry(*grant).or_default().push(*id),
                Plan::Remove(id) => removes.push(*id),
                Plan::Set(id) => sets.entry(draft.access.unwrap_or(Access::Member)).or_default().push(*id),
                Plan::Update(id, access, moved) => {
                    if let Some(access) = access {
                        sets.entry(*access).or_default().push(*id);
                    }
                    moves.extend(*moved);
                }
                Plan::Invite(..) | Plan::Nothing => {}
            }
        }
        // In the order that keeps a manager without an end at every step, as the schema
        // checks after each statement: what makes one first, then what may take one away.
        let (clearing, ending): (Vec<Moved>, Vec<Moved>) = moves.into_iter().partition(|m| m.2.is_none());
        let mut changes = Vec::new();
        for (grant, ids) in adds {
            changes.extend(conn.add(me, draft.profile, grant, &ids).await?);
        }
        let promote = sets.remove(&Access::Manager).unwrap_or_default();
        changes.extend(conn.set(me, draft.profile, Access::Manager, &promote).await?);
        conn.move_ends(me, draft.profile, &clearing).await.map_err(rule_to_error)?;
        changes.extend(conn.remove(me, draft.profile, &removes).await?);
        let demote = sets.remove(&Access::Member).unwrap_or_default();
        changes.extend(conn.set(me, draft.profile, Access::Member, &demote).await?);
        conn.move_ends(me, draft.profile, &ending).await.map_err(rule_to_error)?;
        Ok(changes)
    }

    /// Parses each pasted line, keeping the first of each address: the addresses to look up,
    /// and each line's email or why it is none.
    fn parse_emails(items: &[String]) -> (Vec<String>, Vec<Result<Email, Unusable>>) {
        let mut seen = HashSet::new();
        let parsed: Vec<Result<Email, Unusable>> = items
            .iter()
            .map(|raw| match Email::parse(raw) {
                Ok(email) if !seen.insert(email.as_str().to_owned()) => Err(Unusable::ListedTwice),
                Ok(email) => Ok(email),
                Err(_) => Err(Unusable::NotAnEmail),
            })
            .collect();
        let emails = parsed.iter().filter_map(|p| p.as_ref().ok()).map(|e| e.as_str().to_owned()).collect();
        (emails, parsed)
    }

    /// Each pasted line of a bulk add: whom it adds or invites, or why no one.
    fn plan_adds(
        draft: &Draft,
        parsed: Vec<Result<Email, Unusable>>,
        (accounts, invited): (&HashMap<String, Account>, &HashSet<String>),
        grant: Grant,
        apply: bool,
    ) -> Vec<Planned> {
        let verb = if apply { "added" } else { "will add" };
        let invite = if apply { "invited" } else { "will invite" };
        let (access, until) = (grant.0, until(grant.1));
        let plan = |raw: &String, parsed: Result<Email, Unusable>| {
            let label = raw.clone();
            let email = match parsed {
                Err(Unusable::ListedTwice) => {
                    return planned(label, RowStatus::Unchanged, "listed twice", Plan::Nothing)
                }
                Err(Unusable::NotAnEmail) => {
                    return planned(label, RowStatus::Unknown, "not an email address", Plan::Nothing)
                }
                Ok(email) => email,
            };
            match accounts.get(email.as_str()) {
                None if invited.contains(email.as_str()) => {
                    planned(label, RowStatus::Unchanged, "invited already", Plan::Nothing)
                }
                None => {
                    let note = format!("{invite} as {access}{until}");
                    planned(label, RowStatus::Invite, note, Plan::Invite(email, grant))
                }
                Some((_, name, Some((current, _)))) => planned(
                    label,
                    RowStatus::Unchanged,
                    format!("{name} is already a {current}"),
                    Plan::Nothing,
                ),
                Some((id, name, None)) => {
                    let note = format!("{verb} {name} as {access}{until}");
                    planned(label, RowStatus::Change, note, Plan::Add(*id, grant))
                }
            }
        };
        draft.items.iter().zip(parsed).map(|(raw, parsed)| plan(raw, parsed)).collect()
    }

    /// Who runs a bulk change: no one loses their own right to manage by it, but an admin;
    /// and whose accounts they may see, whom its rows add rather than invite.
    #[derive(Clone, Copy)]
    pub struct Mine {
        pub me: UserId,
        pub me_admin: bool,
        pub findable: Findable,
    }

    /// Each chosen member of a removal or a change of access: what happens to them, or why
    /// nothing does. Only members are named: anyone else, an account or not, is "Account
    /// #id", so a draft can't be used to look people up.
    fn plan_member_changes(
        draft: &Draft,
        ids: &[UserId],
        current: &HashMap<UserId, Current>,
        lasting: i64,
        mine: Mine,
        apply: bool,
    ) -> Vec<Planned> {
        let removing = draft.kind == BulkKind::Remove;
        // Managers with no end date this change would take away: if that is all of them,
        // their rows are refused (managers whose access ends anyway may go).
        let keeps_the_profile = |c: &Current| c.access == Access::Manager && c.lasting;
        let losing = ids
            .iter()
            .collect::<HashSet<_>>()
            .into_iter()
            .filter(|id| current.get(id).is_some_and(keeps_the_profile))
            .filter(|_| removing || draft.access == Some(Access::Member))
            .count() as i64;
        let no_manager_left = losing > 0 && losing >= lasting;
        let to = draft.access.map(Access::as_str).unwrap_or_default();
        let mut seen = HashSet::new();
        let mut plan = |id: UserId| {
            let name = current.get(&id).map_or_else(|| format!("Account #{id}"), |c| c.name.clone());
            let (status, note, plan) = match current.get(&id) {
                _ if !seen.insert(id) => (RowStatus::Unchanged, "listed twice".to_owned(), Plan::Nothing),
                None => (RowStatus::Unchanged, "not on this profile".to_owned(), Plan::Nothing),
                Some(c) if !removing && Some(c.access) == draft.access => {
                    (RowStatus::Unchanged, format!("already a {}", c.access), Plan::Nothing)
                }
                Some(c) if no_manager_left && keeps_the_profile(c) => (
                    RowStatus::Refused,
                    "refused: the profile would have no manager left".into(),
                    Plan::Nothing,
                ),
                Some(_) if id == mine.me && !mine.me_admin => (
                    RowStatus::Refused,
                    "refused: you would lose your own right to manage this profile".into(),
                    Plan::Nothing,
                ),
                Some(c) if removing => {
                    let verb = if apply { "removed" } else { "will remove" };
                    (RowStatus::Change, format!("{verb} (was {})", c.access), Plan::Remove(id))
                }
                Some(c) => {
                    let verb = if apply { "changed" } else { "will change" };
                    (RowStatus::Change, format!("{verb} from {} to {to}", c.access), Plan::Set(id))
                }
            };
            planned(name, status, note, plan)
        };
        ids.iter().map(|id| plan(*id)).collect()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn pasted_emails_split_on_lines_commas_semicolons_tabs_and_control_characters() {
        assert_eq!(
            super::split_emails("a@x.org, b@x.org;c@x.org\n\n d@x.org \r\ne@x.org;"),
            ["a@x.org", "b@x.org", "c@x.org", "d@x.org", "e@x.org"]
        );
        // A spreadsheet's columns, and a NUL that PostgreSQL could not store.
        assert_eq!(super::split_emails("a@x.org\tb@x.org\0c@x.org"), ["a@x.org", "b@x.org", "c@x.org"]);
        // Spaces don't separate: "Ada <a@x.org>" stays one line, and the preview says why it's no email.
        assert_eq!(super::split_emails("Ada <a@x.org>"), ["Ada <a@x.org>"]);
    }
}
