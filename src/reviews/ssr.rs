//! Reviews in the database: their pages, decisions, completion and reminders.

use std::collections::HashMap;

use super::{changed_to, Decision, Review, ReviewState, Reviewed};
use crate::{
    access::Seen,
    domain::{Access, Email, ProfileId, Timestamp, UserId},
    error::AppError,
    expiry::ssr::{Due, Ends},
    history::{ssr::Change, Action},
    memberships::ssr::{rule_to_error, MemberRows},
    paging::Sort,
    record_history_all,
    server::{
        db::{Db, Pool},
        lists::Filter,
        mail::{Letter, Mailer, Queue},
    },
    with_db,
};

pub const NONE_UNDER_WAY: &str = "No review of this profile is under way. Start one first.";

/// A review's columns; `FROM reviews r` then the two JOINS.
const REVIEW: &str = "SELECT r.id, r.started_at, s.display_name AS started_by, r.completed_at, \
    c.display_name AS completed_by, r.decided, r.removals, r.changes FROM reviews r \
    LEFT JOIN users s ON s.id = r.started_by LEFT JOIN users c ON c.id = r.completed_by";

/// The review page: the profile's reviews, and a page of its members with the open review's
/// decisions, read along the members list's own indexes.
pub async fn state(
    db: &Db,
    (profile, seen): (ProfileId, &Seen),
    q: Option<String>,
    after: Option<&str>,
) -> Result<ReviewState, AppError> {
    let filter = Filter { q, access: None, sort: Sort::Name };
    let page = crate::memberships::ssr::members(db, profile, seen.counts(), &filter, after).await?;
    let ids: Vec<UserId> = page.items.iter().map(|m| m.user_id).collect();
    let open_sql = format!("{REVIEW} WHERE r.profile_id = $1 AND r.completed_at IS NULL");
    let last_sql =
        format!("{REVIEW} WHERE r.profile_id = $1 AND r.completed_at IS NOT NULL ORDER BY r.id DESC LIMIT 1");
    let (open, last, (every_days, due_at), decided, signed_in) = with_db!(db, |pool| {
        let open: Option<Review> = sqlx::query_as(&open_sql).bind(profile).fetch_optional(pool).await?;
        let last: Option<Review> = sqlx::query_as(&last_sql).bind(profile).fetch_optional(pool).await?;
        let schedule: (Option<i32>, Option<Timestamp>) =
            sqlx::query_as("SELECT review_every_days, review_due_at FROM profiles WHERE id = $1")
                .bind(profile)
                .fetch_one(pool)
                .await?;
        let mut decided: HashMap<UserId, Decision> = HashMap::new();
        if let (Some(review), false) = (&open, ids.is_empty()) {
            let mut sql =
                sqlx::QueryBuilder::new("SELECT user_id, decision FROM review_decisions WHERE review_id = ");
            sql.push_bind(review.id).push(" AND user_id IN (");
            push_ids(&mut sql, &ids);
            let rows: Vec<(UserId, Decision)> = sql.build_query_as().fetch_all(pool).await?;
            decided.extend(rows);
        }
        let mut signed_in: HashMap<UserId, Option<Timestamp>> = HashMap::new();
        if !ids.is_empty() {
            let mut sql = sqlx::QueryBuilder::new("SELECT id, last_sign_in_at FROM users WHERE id IN (");
            push_ids(&mut sql, &ids);
            let rows: Vec<(UserId, Option<Timestamp>)> = sql.build_query_as().fetch_all(pool).await?;
            signed_in.extend(rows);
        }
        Ok::<_, sqlx::Error>((open, last, schedule, decided, signed_in))
    })?;
    let members = page.map(|member| Reviewed {
        last_sign_in: signed_in.get(&member.user_id).copied().flatten(),
        decision: decided.get(&member.user_id).copied(),
        member,
    });
    Ok(ReviewState {
        profile_id: profile,
        profile_name: seen.name.clone(),
        member_count: seen.member_count,
        open,
        last,
        members,
        every_days,
        due_at,
    })
}

/// Pushes `ids` as a bound list and closes the `IN (` before it.
fn push_ids<'args, DB>(sql: &mut sqlx::QueryBuilder<'args, DB>, ids: &[UserId])
where
    DB: sqlx::Database,
    UserId: 'args + sqlx::Encode<'args, DB> + sqlx::Type<DB>,
{
    let mut list = sql.separated(", ");
    for id in ids {
        list.push_bind(*id);
    }
    sql.push(")");
}

/// Starts a review unless one is under way (the partial unique key decides between two).
pub async fn start(db: &Db, profile: ProfileId, by: UserId) -> Result<(), AppError> {
    with_db!(db, |pool| {
        sqlx::query(
            "INSERT INTO reviews (profile_id, started_by) VALUES ($1, $2) \
             ON CONFLICT (profile_id) WHERE completed_at IS NULL DO NOTHING",
        )
        .bind(profile)
        .bind(by)
        .execute(pool)
        .await
        .map(drop)
    })?;
    Ok(())
}

/// Records a decision about `user` in the profile's review under way, or changes it, and
/// keeps the review's counts.
pub async fn decide(
    db: &Db,
    profile: ProfileId,
    user: UserId,
    decision: Decision,
    by: UserId,
) -> Result<(), AppError> {
    with_db!(db, |pool| {
        let mut tx = pool.begin_write().await?;
        let review = tx.open_review(profile).await?;
        let access: Option<Access> = sqlx::query_scalar(
            "SELECT access FROM memberships WHERE profile_id = $1 AND user_id = $2 \
             AND (ends_at IS NULL OR ends_at > $3)",
        )
        .bind(profile)
        .bind(user)
        .bind(Timestamp::now())
        .fetch_optional(&mut *tx)
        .await?;
        let access = access.ok_or(AppError::NotFound)?;
        let before: Option<Decision> =
            sqlx::query_scalar("SELECT decision FROM review_decisions WHERE review_id = $1 AND user_id = $2")
                .bind(review)
                .bind(user)
                .fetch_optional(&mut *tx)
                .await?;
        sqlx::query(
            "INSERT INTO review_decisions (review_id, user_id, decision, access, decided_by, decided_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (review_id, user_id) DO UPDATE SET \
             decision = excluded.decision, access = excluded.access, decided_by = excluded.decided_by, \
             decided_at = excluded.decided_at",
        )
        .bind(review)
        .bind(user)
        .bind(decision)
        .bind(changed_to(decision, access))
        .bind(by)
        .bind(Timestamp::now())
        .execute(&mut *tx)
        .await?;
        let count = |d: Option<Decision>, which: Decision| i64::from(d == Some(which));
        let delta = |which| count(Some(decision), which) - count(before, which);
        sqlx::query(
            "UPDATE reviews SET decided = decided + $2, removals = removals + $3, changes = changes + $4 \
             WHERE id = $1",
        )
        .bind(review)
        .bind(i64::from(before.is_none()))
        .bind(delta(Decision::Remove))
        .bind(delta(Decision::Change))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    })
}

/// A person a review changed: id, since, adder.
type Moved = (UserId, Timestamp, Option<UserId>);

/// Completes the profile's review under way, in one transaction: every decision applied
/// ([`Completing::apply`]), each recorded in history with the review's id; people not decided
/// are kept, when `keep_rest`. The review's id.
pub async fn complete(db: &Db, profile: ProfileId, by: UserId, keep_rest: bool) -> Result<i64, AppError> {
    with_db!(db, |pool| {
        let mut tx = pool.begin_write().await?;
        let review = tx.open_review(profile).await?;
        let now = Timestamp::now();
        tx.expire_due(Due::Profile(profile), now).await?;
        let undecided = tx.undecided(profile, review).await?;
        if undecided > 0 && !keep_rest {
            let people =
                if undecided == 1 { "1 person has".to_owned() } else { format!("{undecided} people have") };
            return Err(AppError::invalid(
                "keep_rest",
                format!("{people} no decision yet: decide about them, or tick the box to keep them."),
            ));
        }
        let changes = tx.apply((profile, review), by).await?;
        record_history_all!(tx, &changes)?;
        tx.close_review((profile, review), by, now).await?;
        tx.commit().await?;
        Ok(review)
    })
}

/// The statements of deciding in and completing a review, inside its transaction.
trait Completing {
    /// The id of the profile's review under way; a conflict when there is none.
    async fn open_review(&mut self, profile: ProfileId) -> Result<i64, AppError>;
    /// How many of the profile's members the review has no decision about.
    async fn undecided(&mut self, profile: ProfileId, review: i64) -> Result<i64, AppError>;
    /// Carries out the decisions: promotions first, then removals, then demotions, so that a
    /// manager is found at every step where one can be; the changes, in person order.
    async fn apply(&mut self, ids: (ProfileId, i64), by: UserId) -> Result<Vec<Change>, AppError>;
    /// Marks the review completed and sets when the next is due, if reviews are required.
    async fn close_review(
        &mut self,
        ids: (ProfileId, i64),
        by: UserId,
        now: Timestamp,
    ) -> Result<(), AppError>;
}

/// The statement that moves the review's people decided to change to `to`.
fn set_to(to: Access) -> String {
    format!(
        "UPDATE memberships SET access = '{to}' WHERE profile_id = $1 AND access <> '{to}' \
         AND user_id IN (SELECT user_id FROM review_decisions WHERE review_id = $2 \
         AND decision = 'change' AND access = '{to}') RETURNING user_id, added_at, added_by",
        to = to.as_str()
    )
}

crate::impl_for_connections! {
    impl Completing {
        async fn open_review(&mut self, profile: ProfileId) -> Result<i64, AppError> {
            let review: Option<i64> =
                sqlx::query_scalar("SELECT id FROM reviews WHERE profile_id = $1 AND completed_at IS NULL")
                    .bind(profile)
                    .fetch_optional(&mut *self)
                    .await?;
            review.ok_or_else(|| AppError::Conflict(NONE_UNDER_WAY.into()))
        }

        async fn undecided(&mut self, profile: ProfileId, review: i64) -> Result<i64, AppError> {
            Ok(sqlx::query_scalar(
                "SELECT COUNT(*) FROM memberships m WHERE m.profile_id = $1 AND NOT EXISTS \
                 (SELECT 1 FROM review_decisions d WHERE d.review_id = $2 AND d.user_id = m.user_id)",
            )
            .bind(profile)
            .bind(review)
            .fetch_one(&mut *self)
            .await?)
        }

        async fn apply(
            &mut self,
            (profile, review): (ProfileId, i64),
            by: UserId,
        ) -> Result<Vec<Change>, AppError> {
            let change = |user, action| Change {
                review: Some(review),
                ..Change::membership(by, user, profile, action)
            };
            let promoted: Vec<Moved> = sqlx::query_as(&set_to(Access::Manager))
                .bind(profile)
                .bind(review)
                .fetch_all(&mut *self)
                .await?;
            let removed: Vec<crate::memberships::ssr::Removed> = sqlx::query_as(
                "DELETE FROM memberships WHERE profile_id = $1 AND user_id IN \
                 (SELECT user_id FROM review_decisions WHERE review_id = $2 AND decision = 'remove') \
                 RETURNING user_id, access, added_at, added_by, ends_at",
            )
            .bind(profile)
            .bind(review)
            .fetch_all(&mut *self)
            .await
            .map_err(rule_to_error)?;
            let demoted: Vec<Moved> = sqlx::query_as(&set_to(Access::Member))
                .bind(profile)
                .bind(review)
                .fetch_all(&mut *self)
                .await
                .map_err(rule_to_error)?;
            let mut changes = Vec::new();
            for (moved, (from, to)) in
                [(promoted, (Access::Member, Access::Manager)), (demoted, (Access::Manager, Access::Member))]
            {
                changes.extend(moved.into_iter().map(|(user, since, added_by)| Change {
                    before: Some(from),
                    after: Some(to),
                    since: Some(since),
                    added_by,
                    ..change(user, Action::Changed)
                }));
            }
            changes.extend(removed.into_iter().map(|(user, was, since, added_by, ends_before)| Change {
                before: Some(was),
                since: Some(since),
                added_by,
                ends_before,
                ..change(user, Action::Removed)
            }));
            // In person order: on PostgreSQL the entries lock their people's history tallies.
            changes.sort_by_key(|change| change.user);
            Ok(changes)
        }

        async fn close_review(
            &mut self,
            (profile, review): (ProfileId, i64),
            by: UserId,
            now: Timestamp,
        ) -> Result<(), AppError> {
            sqlx::query("UPDATE reviews SET completed_at = $2, completed_by = $3 WHERE id = $1")
                .bind(review)
                .bind(now)
                .bind(by)
                .execute(&mut *self)
                .await?;
            let every: Option<i32> =
                sqlx::query_scalar("SELECT review_every_days FROM profiles WHERE id = $1")
                .bind(profile)
                .fetch_one(&mut *self)
                .await?;
            let due = every.map(|days| Timestamp(now.0 + chrono::Duration::days(days.into())));
            sqlx::query("UPDATE profiles SET review_due_at = $2, review_reminded_at = NULL WHERE id = $1")
                .bind(profile)
                .bind(due)
                .execute(&mut *self)
                .await?;
            Ok(())
        }
    }
}

/// Requires a review every `every` days, counted from the last completed review (or from
/// now, if there is none), or none.
pub async fn schedule(db: &Db, profile: ProfileId, every: Option<i32>) -> Result<(), AppError> {
    with_db!(db, |pool| {
        let last: Option<Timestamp> = sqlx::query_scalar(
            "SELECT completed_at FROM reviews WHERE profile_id = $1 AND completed_at IS NOT NULL \
             ORDER BY id DESC LIMIT 1",
        )
        .bind(profile)
        .fetch_optional(pool)
        .await?
        .flatten();
        let from = last.unwrap_or_else(Timestamp::now);
        let due = every.map(|days| Timestamp(from.0 + chrono::Duration::days(days.into())));
        sqlx::query(
            "UPDATE profiles SET review_every_days = $2, review_due_at = $3, review_reminded_at = NULL \
             WHERE id = $1",
        )
        .bind(profile)
        .bind(every)
        .bind(due)
        .execute(pool)
        .await
        .map(drop)
    })?;
    Ok(())
}

/// Mails the managers of every profile whose review is due and who haven't been reminded
/// since it fell due; how many profiles.
pub async fn remind(db: &Db, mailer: &Mailer, now: Timestamp) -> Result<u64, AppError> {
    let reminded = with_db!(db, |pool| {
        let mut tx = pool.begin_write().await?;
        let due: Vec<(ProfileId, String, Timestamp)> = sqlx::query_as(
            "SELECT id, name, review_due_at FROM profiles WHERE review_due_at <= $1 \
             AND (review_reminded_at IS NULL OR review_reminded_at < review_due_at) \
             ORDER BY review_due_at LIMIT 500",
        )
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
        for (profile, name, due_at) in &due {
            let managers = tx.manager_emails(*profile, now).await?;
            let link = mailer.page(&format!("/profiles/{profile}/review"));
            let letter = Letter::ReviewDue { profile: name.clone(), due: due_at.date(), link };
            let mail = mailer.render(&letter);
            for manager in managers {
                tx.queue_mail(&Email::parse(&manager)?, &mail).await?;
            }
            sqlx::query("UPDATE profiles SET review_reminded_at = $2 WHERE id = $1")
                .bind(profile)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok::<_, AppError>(due.len() as u64)
    })?;
    if reminded > 0 {
        mailer.wake();
    }
    Ok(reminded)
}
