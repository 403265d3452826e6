//! Ends in the database: settling ended memberships, moving an end, and the week's notices.

use std::collections::BTreeMap;

use super::{last_day, EndChange, END_CHANGES_SHOWN, NOTICE_DAYS};
use crate::{
    domain::{Access, Email, ProfileId, Timestamp, UserId},
    error::AppError,
    history::Action,
    memberships::ssr::{rule_to_error, MemberRows},
    server::{
        db::{dialect_of, Db, Dialect, Pool},
        mail::{Letter, Mailer, Queue},
    },
    with_db,
};

/// How many memberships one statement ends, or one pass of the notices reads.
const CHUNK: i64 = 500;

/// The ended memberships to settle.
#[derive(Clone, Copy, Debug)]
pub enum Due {
    All,
    /// One person's membership of one profile: before anything changes it.
    Pair(ProfileId, UserId),
    /// A profile's: before a bulk change to it.
    Profile(ProfileId),
    /// A person's: before their account goes.
    User(UserId),
}

impl Due {
    /// What narrows the walk through ended memberships, with its ids, bound after the clock.
    fn condition(self) -> (&'static str, Vec<i64>) {
        match self {
            Due::All => ("", Vec::new()),
            Due::Pair(p, u) => (" AND profile_id = $2 AND user_id = $3", vec![p.0, u.0]),
            Due::Profile(p) => (" AND profile_id = $2", vec![p.0]),
            Due::User(u) => (" AND user_id = $2", vec![u.0]),
        }
    }
}

/// A person whose end moved: from, to (`None`: no end).
pub type Moved = (UserId, Option<Timestamp>, Option<Timestamp>);

/// A membership taken off its profile because it ended: its profile, person, access,
/// "since", adder and end.
type Ended = (ProfileId, UserId, Access, Timestamp, Option<UserId>, Timestamp);

/// Ending memberships and recording ends, inside a caller's transaction.
pub trait Ends {
    /// Takes every membership `due` selects that ended by `now` off its profile, and records
    /// each in history as expired at its end; how many.
    fn expire_due(
        &mut self,
        due: Due,
        now: Timestamp,
    ) -> impl std::future::Future<Output = Result<u64, sqlx::Error>> + Send;

    /// Moves the end of each of `moved` (a person, their end before and after) on `profile`
    /// and records it as `actor`'s doing; a new end is noticed again in its last week.
    fn move_ends(
        &mut self,
        actor: UserId,
        profile: ProfileId,
        moved: &[Moved],
    ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send;

    /// Records that `actor` moved the end of each of `moved` (a person, their end before and
    /// after) on `profile`.
    fn record_ends(
        &mut self,
        actor: UserId,
        profile: ProfileId,
        moved: &[Moved],
    ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send;
}

crate::impl_for_connections! {
    impl Ends {
        async fn expire_due(&mut self, due: Due, now: Timestamp) -> Result<u64, sqlx::Error> {
            let (condition, ids) = due.condition();
            // The outer `ends_at` test is what a concurrent extension is checked against on
            // PostgreSQL: a row it moved is re-read, and no longer ends.
            let sql = format!(
                "DELETE FROM memberships WHERE ends_at <= $1 AND (profile_id, user_id) IN \
                 (SELECT profile_id, user_id FROM memberships WHERE ends_at <= $1{condition} \
                  ORDER BY ends_at LIMIT {CHUNK}) \
                 RETURNING profile_id, user_id, access, added_at, added_by, ends_at"
            );
            let mut total = 0;
            loop {
                let mut query = sqlx::query_as::<_, Ended>(&sql).bind(now);
                for id in &ids {
                    query = query.bind(*id);
                }
                let mut ended = query.fetch_all(&mut *self).await?;
                if ended.is_empty() {
                    return Ok(total);
                }
                // In the order they ended, as they happened.
                ended.sort_by_key(|&(profile, user, .., ends)| (ends, profile, user));
                let mut insert = sqlx::QueryBuilder::new(
                    "INSERT INTO history (at, user_id, profile_id, action, access_before, since, \
                     added_by, expired) ",
                );
                insert.push_values(&ended, |mut row, &(profile, user, access, since, added_by, ends)| {
                    row.push_bind(ends)
                        .push_bind(user)
                        .push_bind(profile)
                        .push_bind(Action::Removed)
                        .push_bind(access)
                        .push_bind(since)
                        .push_bind(added_by)
                        .push_bind(true);
                });
                insert.build().execute(&mut *self).await?;
                total += ended.len() as u64;
                if (ended.len() as i64) < CHUNK {
                    return Ok(total);
                }
            }
        }

        async fn move_ends(
            &mut self,
            actor: UserId,
            profile: ProfileId,
            moved: &[Moved],
        ) -> Result<(), sqlx::Error> {
            for &(user, _, after) in moved {
                sqlx::query(
                    "UPDATE memberships SET ends_at = $3, end_notice_at = NULL \
                     WHERE profile_id = $1 AND user_id = $2",
                )
                .bind(profile)
                .bind(user)
                .bind(after)
                .execute(&mut *self)
                .await?;
            }
            self.record_ends(actor, profile, moved).await
        }

        async fn record_ends(
            &mut self,
            actor: UserId,
            profile: ProfileId,
            moved: &[Moved],
        ) -> Result<(), sqlx::Error> {
            for chunk in moved.chunks(CHUNK as usize) {
                let mut insert = sqlx::QueryBuilder::new(
                    "INSERT INTO end_date_changes (actor_id, profile_id, user_id, ends_before, ends_after) ",
                );
                insert.push_values(chunk, |mut row, &(user, before, after)| {
                    row.push_bind(actor).push_bind(profile).push_bind(user);
                    row.push_bind(before).push_bind(after);
                });
                insert.build().execute(&mut *self).await?;
            }
            Ok(())
        }
    }
}

pub const ENDED_ALREADY: &str = "Their access has ended already. Add them again to give it back.";
pub const NOT_YOUR_OWN: &str = "You can't extend your own access. Ask another manager.";

/// Moves the end of `member`'s membership to `ends` (`None`: no end), as `by`, and records
/// it; an extension only if `may_extend`. A membership that has just ended is recorded as
/// ended and stays so.
pub async fn set_end(
    db: &Db,
    member: (ProfileId, UserId),
    ends: Option<Timestamp>,
    by: UserId,
    may_extend: bool,
) -> Result<(), AppError> {
    let (profile, user) = member;
    with_db!(db, |pool| {
        let mut tx = pool.begin_write().await?;
        if tx.expire_due(Due::Pair(profile, user), Timestamp::now()).await? > 0 {
            tx.commit().await?;
            return Err(AppError::Conflict(ENDED_ALREADY.into()));
        }
        let before: Option<Option<Timestamp>> =
            sqlx::query_scalar("SELECT ends_at FROM memberships WHERE profile_id = $1 AND user_id = $2")
                .bind(profile)
                .bind(user)
                .fetch_optional(&mut *tx)
                .await?;
        let before = before.ok_or(AppError::NotFound)?;
        if before == ends {
            return Ok(());
        }
        let extends = match (before, ends) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(before), Some(after)) => after > before,
        };
        if extends && !may_extend {
            return Err(AppError::invalid("ends_on", NOT_YOUR_OWN));
        }
        tx.move_ends(by, profile, &[(user, before, ends)]).await.map_err(rule_to_error)?;
        tx.commit().await?;
        Ok(())
    })
}

/// How each database asks for the earliest end of any membership, so that it reads one entry
/// of memberships_ends_idx however many memberships exist or end.
///
/// Not "does any end by now?": with the time a parameter, PostgreSQL's generic plan reckons
/// a third of all memberships pass and reads the table until it finds one (a second a page at
/// 10M links, where none does). And on PostgreSQL without a `WHERE`: given `ends_at IS NOT
/// NULL`, the two other indexes of ends (by profile, by person) answer it too, and when its
/// statistics predate the ends that exist (a first import of ends, say; an analyze waits for a
/// tenth of the table to change) the planner reckons one end in each index and may read every
/// entry of one of them (3 ms a page with 11,000 ends among 10M links). Unfiltered, `MIN`
/// can be read from an index of `ends_at` alone or by reading the whole table: always the
/// index. SQLite uses a partial index only for a query whose `WHERE` implies its condition.
pub fn earliest_end(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Postgres => "SELECT MIN(ends_at) FROM memberships",
        Dialect::Sqlite => "SELECT MIN(ends_at) FROM memberships WHERE ends_at IS NOT NULL",
    }
}

/// Settles every membership that has ended, if any has: what a view of who has access does
/// before it reads, so it never shows someone whose access ended a moment ago.
pub async fn settle(db: &Db) -> Result<u64, AppError> {
    let now = Timestamp::now();
    let earliest: Option<Timestamp> =
        with_db!(db, |pool| sqlx::query_scalar(earliest_end(dialect_of(pool))).fetch_one(pool).await)?;
    if earliest.is_none_or(|ends| ends > now) {
        return Ok(0);
    }
    expire(db, now).await
}

/// Ends every membership that ended by `now`, in one transaction; how many.
pub async fn expire(db: &Db, now: Timestamp) -> Result<u64, AppError> {
    Ok(with_db!(db, |pool| {
        let mut tx = pool.begin_write().await?;
        let ended = tx.expire_due(Due::All, now).await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(ended)
    })?)
}

/// A membership whose end is within the week and whose notice hasn't gone: profile, person,
/// end, the person's name and email, and the profile's name.
type Ending = (ProfileId, UserId, Timestamp, String, String, String);

/// Mails a notice for every membership ending within [`NOTICE_DAYS`] of `now` that hasn't
/// had one for its current end: to the member, and one to each of the profile's managers
/// naming everyone on it whose end this pass found. The mail and the mark that it went are
/// written together; how many memberships were noticed.
pub async fn send_notices(db: &Db, mailer: &Mailer, now: Timestamp) -> Result<u64, AppError> {
    let until = Timestamp(now.0 + chrono::Duration::days(NOTICE_DAYS));
    let mut total = 0;
    loop {
        let noticed = with_db!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            let ending: Vec<Ending> = sqlx::query_as(
                "SELECT m.profile_id, m.user_id, m.ends_at, u.display_name, u.email, p.name \
                 FROM memberships m JOIN users u ON u.id = m.user_id JOIN profiles p ON p.id = m.profile_id \
                 WHERE m.ends_at > $1 AND m.ends_at <= $2 AND m.end_notice_at IS NULL \
                 ORDER BY m.ends_at LIMIT $3",
            )
            .bind(now)
            .bind(until)
            .bind(CHUNK)
            .fetch_all(&mut *tx)
            .await?;
            let mut by_profile: BTreeMap<ProfileId, (String, Vec<(String, String)>)> = BTreeMap::new();
            for (profile, user, ends, name, email, profile_name) in &ending {
                let link = mailer.page(&format!("/profiles/{profile}"));
                let letter = Letter::AccessEnding {
                    name: name.clone(),
                    profile: profile_name.clone(),
                    last_day: last_day(*ends),
                    link,
                };
                tx.queue_mail(&Email::parse(email)?, &mailer.render(&letter)).await?;
                let entry = by_profile.entry(*profile).or_insert_with(|| (profile_name.clone(), Vec::new()));
                entry.1.push((name.clone(), last_day(*ends)));
                sqlx::query(
                    "UPDATE memberships SET end_notice_at = $1 \
                     WHERE profile_id = $2 AND user_id = $3 AND ends_at = $4",
                )
                .bind(now)
                .bind(profile)
                .bind(user)
                .bind(ends)
                .execute(&mut *tx)
                .await?;
            }
            for (profile, (profile_name, people)) in by_profile {
                let managers = tx.manager_emails(profile, now).await?;
                let link = mailer.page(&format!("/profiles/{profile}"));
                let letter = Letter::MembersEnding { profile: profile_name, people, link };
                let mail = mailer.render(&letter);
                for manager in managers {
                    tx.queue_mail(&Email::parse(&manager)?, &mail).await?;
                }
            }
            tx.commit().await?;
            Ok::<_, AppError>(ending.len() as i64)
        })?;
        total += noticed as u64;
        if noticed > 0 {
            mailer.wake();
        }
        if noticed < CHUNK {
            return Ok(total);
        }
    }
}

/// The latest [`END_CHANGES_SHOWN`] end changes on `profile`, newest first.
pub async fn end_changes(db: &Db, profile: ProfileId) -> Result<Vec<EndChange>, AppError> {
    Ok(with_db!(db, |pool| {
        sqlx::query_as(
            "SELECT c.id, c.at, a.display_name AS actor, c.user_id, u.display_name AS user_name, \
             c.ends_before, c.ends_after \
             FROM (SELECT * FROM end_date_changes WHERE profile_id = $1 ORDER BY id DESC LIMIT $2) AS c \
             LEFT JOIN users a ON a.id = c.actor_id LEFT JOIN users u ON u.id = c.user_id \
             ORDER BY c.id DESC",
        )
        .bind(profile)
        .bind(END_CHANGES_SHOWN)
        .fetch_all(pool)
        .await
    })?)
}
