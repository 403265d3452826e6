//! Lists of profiles: the ones one person is on, read along their own links
//! (memberships_user_idx), so a page costs what that person's links do, however big the
//! profiles are; and every profile, for admins, along the profiles' own indexes.

use super::{
    decode_name, decode_since, fetch, page, prefix_range, push_in_range, sort_at_most, Filter, COUNT_CAP,
};
use crate::{
    domain::{ProfileId, Timestamp, UserId},
    error::AppError,
    paging::{Page, Sort},
    profiles::{ProfileListing, ProfileSummary},
    server::db::Db,
    with_db,
};

/// A page of the profiles `user` is on, with their access to each, under `filter`.
pub async fn profiles_of(
    db: &Db,
    user: UserId,
    filter: &Filter,
    after: Option<&str>,
) -> Result<Page<ProfileSummary>, AppError> {
    let by_name: (String, ProfileId) = match filter.sort {
        Sort::Name => decode_name(after)?,
        Sort::Since => Default::default(),
    };
    let by_since: (Timestamp, ProfileId) = match filter.sort {
        Sort::Since => decode_since(after)?,
        Sort::Name => decode_since(None)?,
    };
    let range = filter.q.as_deref().map(prefix_range);
    let (rows, total): (Vec<ProfileSummary>, i64) = with_db!(db, |pool| {
        let build = |count: bool| {
            let mut sql = sqlx::QueryBuilder::new(if count {
                "SELECT COUNT(*)"
            } else {
                "SELECT p.id, p.name, m.access, p.member_count, m.added_at, p.name_key"
            });
            sql.push(" FROM memberships m JOIN profiles p ON p.id = m.profile_id WHERE m.user_id = ")
                .push_bind(user);
            if let Some(access) = filter.access {
                sql.push(" AND m.access = ").push_bind(access.as_str());
            }
            if let Some(range) = &range {
                sql.push(" AND ");
                push_in_range(&mut sql, "p.name_key", range);
            }
            if !count {
                match filter.sort {
                    Sort::Name => {
                        sql.push(" AND (p.name_key, p.id) > (").push_bind(by_name.0.clone());
                        sql.push(", ").push_bind(by_name.1).push(") ORDER BY p.name_key, p.id");
                    }
                    Sort::Since => {
                        sql.push(" AND (m.added_at, p.id) > (").push_bind(by_since.0);
                        sql.push(", ").push_bind(by_since.1).push(") ORDER BY m.added_at, p.id");
                    }
                }
                sql.push(" LIMIT ").push_bind(fetch());
            }
            sql
        };
        let rows = build(false).build_query_as().fetch_all(pool).await?;
        let total = build(true).build_query_scalar().fetch_one(pool).await?;
        Ok::<_, sqlx::Error>((rows, total))
    })?;
    let sort = filter.sort;
    Ok(page(rows, total, move |p: &ProfileSummary| match sort {
        Sort::Name => serde_json::json!([p.name_key, p.id]),
        Sort::Since => serde_json::json!([p.added_at.micros(), p.id]),
    }))
}

/// A page of every profile, searched by the start of its name (`q`, lower-cased) and sorted
/// by name or by when it was made: a page of ids along profiles_name_idx or
/// profiles_created_idx, then their rows. The total: the tally, or a search's matches
/// counted to [`COUNT_CAP`].
pub async fn every_profile(
    db: &Db,
    q: Option<&str>,
    sort: Sort,
    after: Option<&str>,
) -> Result<Page<ProfileListing>, AppError> {
    let range = q.map(prefix_range);
    let key = match sort {
        Sort::Name => "name_key",
        Sort::Since => "created_at",
    };
    let by_name: (String, ProfileId) =
        if sort == Sort::Name { decode_name(after)? } else { Default::default() };
    let by_since: (Timestamp, ProfileId) = decode_since(if sort == Sort::Since { after } else { None })?;
    let (rows, total): (Vec<ProfileListing>, i64) = with_db!(db, |pool| {
        // How many profiles there are: the unsearched total, and what a search by date chooses
        // its way by. A search by name needs neither.
        let profiles: i64 = match (&range, sort) {
            (Some(_), Sort::Name) => 0,
            _ => {
                sqlx::query_scalar("SELECT value FROM tallies WHERE name = 'profiles'")
                    .fetch_one(pool)
                    .await?
            }
        };
        let mut sql = sqlx::QueryBuilder::new(
            "SELECT p.id, p.name, p.member_count, p.created_at, u.display_name AS created_by, p.name_key \
             FROM (",
        );
        let after_cursor = |sql: &mut sqlx::QueryBuilder<'_, _>| match sort {
            Sort::Name => {
                sql.push("(name_key, id) > (").push_bind(by_name.0.clone()).push(", ").push_bind(by_name.1);
                sql.push(")");
            }
            Sort::Since => {
                sql.push("(created_at, id) > (").push_bind(by_since.0).push(", ").push_bind(by_since.1);
                sql.push(")");
            }
        };
        match (&range, sort) {
            (Some(range), Sort::Since) => {
                push_searched_by_since(&mut sql, range, sort_at_most(profiles), after_cursor)
            }
            _ => {
                sql.push(format_args!("SELECT id, {key} AS k FROM profiles WHERE "));
                if let Some(range) = &range {
                    push_in_range(&mut sql, "name_key", range);
                    sql.push(" AND ");
                }
                after_cursor(&mut sql);
                sql.push(format_args!(" ORDER BY {key}, id LIMIT ")).push_bind(fetch());
            }
        }
        sql.push(format_args!(
            ") AS k JOIN profiles p ON p.id = k.id LEFT JOIN users u ON u.id = p.created_by \
             ORDER BY k.k, k.id"
        ));
        let rows = sql.build_query_as().fetch_all(pool).await?;
        let total = match &range {
            Some(range) => {
                let mut count =
                    sqlx::QueryBuilder::new("SELECT COUNT(*) FROM (SELECT 1 FROM profiles WHERE ");
                push_in_range(&mut count, "name_key", range);
                count.push(" LIMIT ").push_bind(COUNT_CAP + 1).push(") AS c");
                count.build_query_scalar().fetch_one(pool).await?
            }
            None => profiles,
        };
        Ok::<_, AppError>((rows, total))
    })?;
    let cursor = move |p: &ProfileListing| match sort {
        Sort::Name => serde_json::json!([p.name_key, p.id]),
        Sort::Since => serde_json::json!([p.created_at.micros(), p.id]),
    };
    Ok(page(rows, total, cursor).counted_to(COUNT_CAP, range.is_some()))
}

/// The ids of a page of profiles whose names start with the search, in order of making. As
/// for people ([`sort_at_most`]): the name matches are counted to `most`; within it they
/// are read along the name index and sorted (`few`); beyond, the matches are dense enough
/// that walking the "created" index and testing each name finds a page soon (`many`).
fn push_searched_by_since<'args, DB>(
    sql: &mut sqlx::QueryBuilder<'args, DB>,
    range: &(String, String),
    most: i64,
    after_cursor: impl Fn(&mut sqlx::QueryBuilder<'args, DB>),
) where
    DB: sqlx::Database,
    String: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
{
    let chosen = |sql: &mut sqlx::QueryBuilder<'args, DB>, test: &str, limit: i64| {
        sql.push(format_args!(" LIMIT CASE WHEN (SELECT n FROM names) {test} "))
            .push_bind(most)
            .push(" THEN ")
            .push_bind(limit)
            .push(" ELSE 0 END");
    };
    sql.push("SELECT id, created_at AS k FROM (WITH names AS MATERIALIZED ");
    sql.push("(SELECT COUNT(*) AS n FROM (SELECT 1 FROM profiles WHERE ");
    push_in_range(sql, "name_key", range);
    sql.push(" LIMIT ").push_bind(most + 1);
    sql.push(") AS c), few AS MATERIALIZED (SELECT id, created_at FROM profiles WHERE ");
    push_in_range(sql, "name_key", range);
    chosen(sql, "<=", most);
    sql.push(") SELECT * FROM (SELECT id, created_at FROM few WHERE ");
    after_cursor(sql);
    sql.push(" ORDER BY created_at, id LIMIT ").push_bind(fetch());
    // Written so that no index serves the range, or a planner might take it for a way in.
    sql.push(") AS few UNION ALL SELECT * FROM (SELECT id, created_at FROM profiles WHERE ");
    push_in_range(sql, "(name_key || '')", range);
    sql.push(" AND ");
    after_cursor(sql);
    sql.push(" ORDER BY created_at, id");
    chosen(sql, ">", fetch());
    sql.push(") AS many) AS found ORDER BY created_at, id LIMIT ").push_bind(fetch());
}
