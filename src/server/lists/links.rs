//! The profiles one person is on, read along their own links (memberships_user_idx), so a
//! page costs what that person's links do, however big the profiles are.

use super::{decode_name, decode_since, page, prefix_range, push_in_range, Filter, FETCH};
use crate::{
    domain::{ProfileId, Timestamp, UserId},
    error::AppError,
    paging::{Page, Sort},
    profiles::ProfileSummary,
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
                sql.push(" LIMIT ").push_bind(FETCH);
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
