//! The list engine, behind one door: every keyset list's SQL is built here. A resource says
//! what it lists (its table, its scope, the rows it shows, its search and order) and gets a
//! [`Page`] back; the browser shares only `paging` (`Page`, `Sort`, the search text).
//!
//! Every list reads along an index in its own order, starts after the cursor and stops after
//! a page ([`fetch`] rows, to learn whether another follows), so page 1000 costs what page 1
//! does. A search is a prefix range of an index ([`prefix_range`]); its total is counted to
//! [`COUNT_CAP`], a search of people to two pages ([`people::count_cap`]), and no further.
//! The shapes:
//! - [`people`]: people along their name, email or "since" indexes (the users directory, a
//!   role's holders, a profile's members);
//! - [`history`]: a subject's history newest first, and who had access on a date;
//! - [`links`]: the profiles one person is on.
//!
//! A search of people also matches the later words of their names and the parts of their
//! emails ([`words`]).
//!
//! `tests/plans.rs` pins the plan of every statement built here on both databases.

pub mod history;
pub mod links;
pub mod people;
pub mod words;

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use serde::{de::DeserializeOwned, Serialize};

pub use crate::paging::COUNT_CAP;
use crate::{
    domain::{Access, Timestamp},
    error::AppError,
    paging::{Page, Sort, PAGE_SIZE},
};

/// What a list of links shows (a profile's members, a person's profiles).
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// A lower-cased prefix of the name or the email.
    pub q: Option<String>,
    pub access: Option<Access>,
    pub sort: Sort,
}

/// How many rows a list shows in this request, when not [`PAGE_SIZE`] (the pages' size): what
/// an API caller asked for (`crate::api`), provided as the request's context.
#[derive(Clone, Copy, Debug)]
pub struct PageSize(pub usize);

/// How many rows a list shows in the current request.
pub fn page_size() -> usize {
    leptos::prelude::use_context::<PageSize>().map_or(PAGE_SIZE, |size| size.0)
}

/// The LIMIT to fetch: one more than a page, to learn whether another page follows.
pub fn fetch() -> i64 {
    page_size() as i64 + 1
}

/// Reads a cursor from the URL; a tampered or stale one is the caller's mistake.
pub fn decode<K: DeserializeOwned>(cursor: Option<&str>) -> Result<Option<K>, AppError> {
    let Some(cursor) = cursor.filter(|c| !c.is_empty()) else { return Ok(None) };
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .map(Some)
        .ok_or_else(invalid_link)
}

fn invalid_link() -> AppError {
    AppError::BadRequest("That page link is not valid. Start again from the first page.".into())
}

/// Reads a (moment, id) cursor; without one, the first page starts before every row.
pub fn decode_since<Id: DeserializeOwned + Default>(
    cursor: Option<&str>,
) -> Result<(Timestamp, Id), AppError> {
    let (micros, id): (i64, Id) = decode(cursor)?.unwrap_or((0, Id::default()));
    let since = Timestamp::from_micros(micros.max(0)).unwrap_or(Timestamp(chrono::DateTime::UNIX_EPOCH));
    Ok((since, id))
}

/// Reads a (name key, id) cursor; without one, the first page starts before every row.
pub fn decode_name<Id: DeserializeOwned + Default>(cursor: Option<&str>) -> Result<(String, Id), AppError> {
    let (name, id): (String, Id) = decode(cursor)?.unwrap_or_default();
    if name.contains('\0') {
        // No key holds one (names refuse control characters); only a forged link would.
        return Err(invalid_link());
    }
    Ok((name, id))
}

/// A search sorted by "since" has no index that serves both: the matches are ranges of
/// the name and email indexes, in their own orders, and the "since" index lists everyone.
/// So a search first counts its name matches to this many, and its email range to twice
/// it ([`People::push_arms`]). Within both, it reads the matches along those indexes and
/// sorts them. Beyond, the matches are dense enough that walking the "since" index and
/// testing each row finds a page after about `fetch() × size / matches` rows. The switch
/// sits where the two costs meet, `√(fetch() × size)`, so either way reads a small multiple
/// of it at most (5,469 for a profile of 586,414 members, 7,142 for a million users), and
/// never less than [`COUNT_CAP`], which a search counts anyway.
pub fn sort_at_most(size: i64) -> i64 {
    ((fetch() as f64 * size.max(0) as f64).sqrt().ceil() as i64).max(COUNT_CAP)
}

/// Pushes `column >= low AND column < high`: the rows of an index whose `column` starts
/// with the search ([`prefix_range`]).
pub fn push_in_range<'args, DB>(
    sql: &mut sqlx::QueryBuilder<'args, DB>,
    column: &str,
    (low, high): &(String, String),
) where
    DB: sqlx::Database,
    String: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
{
    sql.push(format_args!("{column} >= ")).push_bind(low.clone());
    sql.push(format_args!(" AND {column} < ")).push_bind(high.clone());
}

/// Pushes the two CTEs that count a search's matches, `{names} AS MATERIALIZED (…),
/// {emails} AS MATERIALIZED (…)`, each one row, `n`. `rows_in(sql, column)` pushes the
/// rows of one index range: `table WHERE … column >= low AND column < high`. The names
/// are counted to `most` and one more; the emails to twice that and one more, and only
/// if the names are within `most` (else 0: the search has many matches either way).
pub fn push_match_counts<'args, DB>(
    sql: &mut sqlx::QueryBuilder<'args, DB>,
    (names, emails): (&str, &str),
    most: i64,
    mut rows_in: impl FnMut(&mut sqlx::QueryBuilder<'args, DB>, &str),
) where
    DB: sqlx::Database,
    i64: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
{
    sql.push(format_args!("{names} AS MATERIALIZED (SELECT COUNT(*) AS n FROM (SELECT 1 FROM "));
    rows_in(sql, "name_key");
    sql.push(" LIMIT ").push_bind(most + 1);
    sql.push(format_args!(") AS c), {emails} AS MATERIALIZED (SELECT COUNT(*) AS n FROM (SELECT 1 FROM "));
    rows_in(sql, "email");
    sql.push(format_args!(" LIMIT CASE WHEN (SELECT n FROM {names}) <= "))
        .push_bind(most)
        .push(" THEN ")
        .push_bind(2 * most + 1)
        .push(" ELSE 0 END) AS c)");
}

/// Pushes ` LIMIT CASE … END` for one way of a search that chooses between two: `limit` if
/// the counts chose it, else 0. `counts`: each CTE that counted (one row, `n`) with its
/// bound; `few`: the way taken when every count is within its bound, otherwise the other.
/// Both databases work out a LIMIT once, before reading, and a LIMIT of 0 reads nothing.
/// (SQLite does not hoist a condition with a subquery out of a WHERE: it would walk the
/// index and test it on every row.)
pub fn push_chosen_limit<'args, DB>(
    sql: &mut sqlx::QueryBuilder<'args, DB>,
    counts: &[(&str, i64)],
    few: bool,
    limit: i64,
) where
    DB: sqlx::Database,
    i64: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
{
    let (test, join) = if few { ("<=", " AND ") } else { (">", " OR ") };
    sql.push(" LIMIT CASE WHEN ");
    for (i, (cte, bound)) in counts.iter().enumerate() {
        if i > 0 {
            sql.push(join);
        }
        sql.push(format_args!("(SELECT n FROM {cte}) {test} ")).push_bind(*bound);
    }
    sql.push(" THEN ").push_bind(limit).push(" ELSE 0 END");
}

/// Trims the extra row fetched with [`fetch`] and makes the cursor from the last row kept.
pub fn page<T, K: Serialize>(mut rows: Vec<T>, total: i64, key: impl Fn(&T) -> K) -> Page<T> {
    let size = page_size();
    let next = if rows.len() > size {
        rows.truncate(size);
        rows.last().map(|last| URL_SAFE_NO_PAD.encode(serde_json::to_vec(&key(last)).unwrap_or_default()))
    } else {
        None
    };
    Page { items: rows, next, total, more: false }
}

/// The keys that start with `prefix`, as a half-open range `[low, high)` in byte order
/// (UTF-8 byte order is code point order): an index range, where `LIKE` could not use
/// one on both databases.
pub fn prefix_range(prefix: &str) -> (String, String) {
    let mut high: Vec<char> = prefix.chars().collect();
    // Bump the last character that can be bumped; drop the ones at the top.
    while let Some(last) = high.pop() {
        let mut next = last as u32 + 1;
        if (0xD800..0xE000).contains(&next) {
            next = 0xE000;
        }
        if let Some(c) = char::from_u32(next) {
            high.push(c);
            return (prefix.to_owned(), high.into_iter().collect());
        }
    }
    // Only U+10FFFF characters: everything from `prefix` on.
    (prefix.to_owned(), "\u{10FFFF}\u{10FFFF}".repeat(prefix.len() + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_page_has_a_cursor_that_decodes_to_its_last_key() {
        let page = page((0..=PAGE_SIZE as i64).collect(), 99, |n| *n);
        assert_eq!(page.items.len(), PAGE_SIZE);
        assert_eq!(page.total, 99);
        let key: Option<i64> = decode(page.next.as_deref()).unwrap();
        assert_eq!(key, Some(PAGE_SIZE as i64 - 1));
    }

    #[test]
    fn the_last_page_has_no_cursor() {
        assert_eq!(page(vec![1, 2, 3], 3, |n| *n).next, None);
    }

    #[test]
    fn a_tampered_cursor_is_a_bad_request() {
        assert_eq!(decode::<(i64, i64)>(Some("!!!")).unwrap_err().status(), 400);
        assert_eq!(decode::<(i64, i64)>(Some("")).unwrap(), None);
    }

    #[test]
    fn a_search_by_since_sorts_up_to_where_walking_costs_the_same() {
        assert_eq!(sort_at_most(0), COUNT_CAP);
        assert_eq!(sort_at_most(19_607), COUNT_CAP, "√(51 × 19,607) is just under 1,000");
        assert_eq!(sort_at_most(586_414), 5_469);
        assert_eq!(sort_at_most(1_000_000), 7_142);
        assert_eq!(sort_at_most(-5), COUNT_CAP);
    }

    #[test]
    fn a_prefix_range_holds_exactly_the_keys_that_start_with_it() {
        let (low, high) = prefix_range("ab");
        assert_eq!((low.as_str(), high.as_str()), ("ab", "ac"));
        for key in ["ab", "abz", "ab\u{10FFFF}", "abé"] {
            assert!(low.as_str() <= key && key < high.as_str(), "{key}");
        }
        for key in ["aa", "ac", "a", "b"] {
            assert!(!(low.as_str() <= key && key < high.as_str()), "{key}");
        }
        assert_eq!(prefix_range("a\u{D7FF}").1, "a\u{E000}");
        assert_eq!(prefix_range("é\u{10FFFF}").1, "ê");
    }
}
