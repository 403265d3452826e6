//! The statements behind SCIM Groups.

use std::collections::HashSet;

use axum::http::{HeaderMap, StatusCode};

use super::{etag, Change, Row, COLUMNS, MEMBERS_SHOWN};
use crate::{
    domain::{Access, ProfileId, Timestamp, UserId},
    expiry::ssr::{Due, Ends},
    history::{ssr::Change as Entry, ssr::On, Action, SubjectAction},
    memberships::ssr::MemberRows,
    record_history_all, record_subject,
    scim::{
        error::{ScimError, ScimType},
        resource::{check_if_match, ListQuery},
        sql::Listing,
    },
    server::db::{dialect_of, is_unique_violation, Db, Dialect, Pool},
    with_db,
};

fn db(err: sqlx::Error) -> ScimError {
    ScimError::from(crate::error::AppError::from(err))
}

/// A group's name clashing with another profile of its creator's (a linked profile).
fn renamed(err: sqlx::Error) -> ScimError {
    if is_unique_violation(&err) {
        let detail = "The person who made this profile has another by that name.";
        ScimError::new(StatusCode::CONFLICT, Some(ScimType::Uniqueness), detail)
    } else {
        db(err)
    }
}

fn provisioned(sql_tail: &str) -> String {
    format!("SELECT {COLUMNS} FROM profiles p WHERE p.id = $1 AND p.provisioned_at IS NOT NULL{sql_tail}")
}

pub async fn get(db_: &Db, id: ProfileId) -> Result<Option<Row>, ScimError> {
    let sql = provisioned("");
    with_db!(db_, |pool| sqlx::query_as(&sql).bind(id).fetch_optional(pool).await).map_err(db)
}

/// The first [`MEMBERS_SHOWN`] members, in the order they joined.
pub async fn members(db_: &Db, id: ProfileId) -> Result<Vec<UserId>, ScimError> {
    with_db!(db_, |pool| {
        sqlx::query_scalar(
            "SELECT user_id FROM memberships WHERE profile_id = $1 ORDER BY added_at, user_id LIMIT $2",
        )
        .bind(id)
        .bind(MEMBERS_SHOWN)
        .fetch_all(pool)
        .await
    })
    .map_err(db)
}

/// One page of the provisioned profiles `query` filters, and how many it filters in all.
pub async fn list(db_: &Db, query: &ListQuery) -> Result<(u64, Vec<Row>), ScimError> {
    let listing = Listing {
        columns: COLUMNS,
        table: "profiles p",
        key: "p.id",
        scope: "p.provisioned_at IS NOT NULL",
        column: &super::column,
    };
    listing.page(db_, query).await
}

/// Makes a profile the provider manages, as `changes` (a whole Group) describe it.
pub async fn create(db_: &Db, changes: &[Change]) -> Result<ProfileId, ScimError> {
    let Some(Change::Rename(name)) = changes.first() else {
        return Err(ScimError::bad(ScimType::InvalidValue, "A Group needs its displayName."));
    };
    let token = crate::api_tokens::ssr::acting_token();
    with_db!(db_, |pool| {
        let mut tx = pool.begin_write().await.map_err(db)?;
        let id: ProfileId = sqlx::query_scalar(
            "INSERT INTO profiles (name, name_key, description, provisioned_at, provisioned_by) \
             VALUES ($1, $2, '', $3, $4) RETURNING id",
        )
        .bind(name)
        .bind(name.to_lowercase())
        .bind(Timestamp::now())
        .bind(token)
        .fetch_one(&mut *tx)
        .await
        .map_err(renamed)?;
        record_subject!(
            &mut *tx,
            None::<UserId>,
            On::Profile(id),
            SubjectAction::Created,
            None::<&str>,
            Some(name)
        )
        .map_err(db)?;
        for change in &changes[1..] {
            tx.apply_change(id, change).await?;
        }
        tx.commit().await.map_err(db)?;
        Ok(id)
    })
}

/// Applies `changes` to the group in one transaction that holds it meanwhile, so that
/// `If-Match` compares with the version being changed; the token making them manages it
/// from then on.
pub async fn change(
    db_: &Db,
    id: ProfileId,
    headers: &HeaderMap,
    changes: &[Change],
) -> Result<Row, ScimError> {
    let token = crate::api_tokens::ssr::acting_token();
    with_db!(db_, |pool| {
        let mut tx = pool.begin_write().await.map_err(db)?;
        let lock = if dialect_of(pool) == Dialect::Postgres { " FOR NO KEY UPDATE OF p" } else { "" };
        let row: Option<Row> =
            sqlx::query_as(&provisioned(lock)).bind(id).fetch_optional(&mut *tx).await.map_err(db)?;
        let row = row.ok_or_else(ScimError::not_found)?;
        check_if_match(headers, &etag(&row))?;
        for change in changes {
            tx.apply_change(id, change).await?;
        }
        if token.is_some() && token != row.provisioned_by {
            sqlx::query("UPDATE profiles SET provisioned_by = $2 WHERE id = $1")
                .bind(id)
                .bind(token)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        let row: Row = sqlx::query_as(&provisioned("")).bind(id).fetch_one(&mut *tx).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(row)
    })
}

/// Deletes the profile, as its page's delete does; its memberships go with it.
pub async fn delete(db_: &Db, id: ProfileId, headers: &HeaderMap) -> Result<(), ScimError> {
    with_db!(db_, |pool| {
        let mut tx = pool.begin_write().await.map_err(db)?;
        let row: Option<Row> =
            sqlx::query_as(&provisioned("")).bind(id).fetch_optional(&mut *tx).await.map_err(db)?;
        let row = row.ok_or_else(ScimError::not_found)?;
        check_if_match(headers, &etag(&row))?;
        sqlx::query("DELETE FROM profiles WHERE id = $1").bind(id).execute(&mut *tx).await.map_err(db)?;
        let name = Some(row.name);
        record_subject!(
            &mut *tx,
            None::<UserId>,
            On::Profile(id),
            SubjectAction::Deleted,
            name,
            None::<&str>
        )
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(())
    })
}

/// A membership as a removal gives it back: who, at what access, since when, added by
/// whom, ending when.
type Removed = (UserId, String, Timestamp, Option<UserId>, Option<Timestamp>);

/// A change made over SCIM, as history records it: by no person, with the token's name.
fn entry(profile: ProfileId, user: UserId, action: Action) -> Entry {
    Entry { actor: None, ..Entry::membership(UserId::NO_ONE, user, profile, action) }
}

fn removal(profile: ProfileId, (user, access, since, added_by, ends): Removed) -> Result<Entry, ScimError> {
    let before = Access::parse(&access).map_err(ScimError::from)?;
    Ok(Entry {
        before: Some(before),
        since: Some(since),
        added_by,
        ends_before: ends,
        ..entry(profile, user, Action::Removed)
    })
}

/// One [`Change`] inside a caller's transaction.
trait GroupChanges {
    fn apply_change(
        &mut self,
        profile: ProfileId,
        change: &Change,
    ) -> impl std::future::Future<Output = Result<(), ScimError>> + Send;

    fn add_members(
        &mut self,
        profile: ProfileId,
        users: &[UserId],
    ) -> impl std::future::Future<Output = Result<(), ScimError>> + Send;

    fn remove_members(
        &mut self,
        profile: ProfileId,
        users: Option<&[UserId]>,
    ) -> impl std::future::Future<Output = Result<(), ScimError>> + Send;
}

crate::impl_for_connections! {
    impl GroupChanges {
        async fn apply_change(&mut self, profile: ProfileId, change: &Change) -> Result<(), ScimError> {
            match change {
                Change::Rename(name) => {
                    let old: String = sqlx::query_scalar("SELECT name FROM profiles WHERE id = $1")
                        .bind(profile)
                        .fetch_one(&mut *self)
                        .await
                        .map_err(db)?;
                    if old != *name {
                        sqlx::query("UPDATE profiles SET name = $2, name_key = $3 WHERE id = $1")
                            .bind(profile)
                            .bind(name)
                            .bind(name.to_lowercase())
                            .execute(&mut *self)
                            .await
                            .map_err(renamed)?;
                        let (old, new) = (Some(old), Some(name.as_str()));
                        let on = On::Profile(profile);
                        record_subject!(&mut *self, None::<UserId>, on, SubjectAction::Renamed, old, new)
                            .map_err(db)?;
                    }
                }
                Change::SetExternalId(external) => {
                    sqlx::query("UPDATE profiles SET external_id = $2 WHERE id = $1")
                        .bind(profile)
                        .bind(external)
                        .execute(&mut *self)
                        .await
                        .map_err(db)?;
                }
                Change::Add(users) => self.add_members(profile, users).await?,
                Change::Remove(users) => self.remove_members(profile, Some(users)).await?,
                Change::RemoveAll => self.remove_members(profile, None).await?,
                Change::Set(users) => {
                    let current: Vec<UserId> =
                        sqlx::query_scalar("SELECT user_id FROM memberships WHERE profile_id = $1")
                            .bind(profile)
                            .fetch_all(&mut *self)
                            .await
                            .map_err(db)?;
                    let wanted: HashSet<UserId> = users.iter().copied().collect();
                    let had: HashSet<UserId> = current.iter().copied().collect();
                    let gone: Vec<UserId> = current.into_iter().filter(|u| !wanted.contains(u)).collect();
                    let new: Vec<UserId> = users.iter().copied().filter(|u| !had.contains(u)).collect();
                    self.remove_members(profile, Some(&gone)).await?;
                    self.add_members(profile, &new).await?;
                }
            }
            Ok(())
        }

        async fn add_members(&mut self, profile: ProfileId, users: &[UserId]) -> Result<(), ScimError> {
            let now = Timestamp::now();
            let mut entries = Vec::new();
            for &user in users {
                self.expire_due(Due::Pair(profile, user), now).await.map_err(db)?;
                let terms = (Access::Member, None);
                let since = self.insert_member(profile, user, terms, None).await.map_err(db)?;
                match since {
                    Some(since) => entries.push(Entry {
                        after: Some(Access::Member),
                        since: Some(since),
                        ..entry(profile, user, Action::Added)
                    }),
                    None => {
                        let sql = "SELECT EXISTS (SELECT 1 FROM users WHERE id = $1)";
                        let exists: bool = sqlx::query_scalar(sql)
                            .bind(user)
                            .fetch_one(&mut *self)
                            .await
                            .map_err(db)?;
                        if !exists {
                            let detail = format!("There is no User {user} to add.");
                            return Err(ScimError::bad(ScimType::InvalidValue, detail));
                        }
                    }
                }
            }
            record_history_all!(self, &entries).map_err(db)
        }

        async fn remove_members(
            &mut self,
            profile: ProfileId,
            users: Option<&[UserId]>,
        ) -> Result<(), ScimError> {
            let returning = "RETURNING user_id, access, added_at, added_by, ends_at";
            let all = format!("DELETE FROM memberships WHERE profile_id = $1 {returning}");
            let removed: Vec<Removed> = match users {
                None => sqlx::query_as(&all)
                    .bind(profile)
                    .fetch_all(&mut *self)
                    .await
                    .map_err(db)?,
                Some(users) => {
                    let one = "DELETE FROM memberships WHERE profile_id = $1 AND user_id = $2";
                    let sql = format!("{one} {returning}");
                    let mut removed = Vec::new();
                    for &user in users {
                        let one: Option<Removed> = sqlx::query_as(&sql)
                            .bind(profile)
                            .bind(user)
                            .fetch_optional(&mut *self)
                            .await
                            .map_err(db)?;
                        removed.extend(one);
                    }
                    removed
                }
            };
            let entries = removed.into_iter().map(|r| removal(profile, r)).collect::<Result<Vec<_>, _>>()?;
            record_history_all!(self, &entries).map_err(db)
        }
    }
}
