//! Lists of people, read along their own indexes: the users directory, a role's holders and
//! a profile's members. Each row of a list's table carries its person's name key and email (a
//! grant or a membership keeps copies), so a page never reads the people it doesn't show.

use serde::{de::DeserializeOwned, Serialize};

use super::{
    decode, decode_name, decode_since, invalid_link, page, prefix_range, push_chosen_limit, push_in_range,
    push_match_counts, sort_at_most, COUNT_CAP, FETCH,
};
use crate::{
    domain::{Timestamp, UserId},
    error::AppError,
    paging::{Page, Sort},
    server::db::{Db, Dialect},
    with_db,
};

/// A row of a list of people: where it stands in each of the list's orders, for the cursor
/// after it.
pub trait Listed {
    /// Its person's name key, email, "since" date and id.
    fn position(&self) -> (&str, &str, Timestamp, UserId);
}

impl People<'_> {
    /// A page of the list, `q` its search and `after` its cursor: each row as `shown` selects
    /// it, and the total, `unsearched` when there is no search (a count the schema keeps),
    /// else counted to [`COUNT_CAP`](super::COUNT_CAP).
    pub async fn page<T>(
        &self,
        db: &Db,
        shown: &Rows<'_>,
        unsearched: i64,
        (q, sort, after): (Option<&str>, Sort, Option<&str>),
    ) -> Result<Page<T>, AppError>
    where
        T: Listed + Send + Unpin,
        T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
    {
        let at = PeoplePage::new(q, sort, after)?;
        let searched = at.range.is_some();
        let (rows, total): (Vec<T>, i64) = with_db!(db, |pool| {
            let rows: Vec<T> = at
                .read(|only| {
                    let mut sql = self.page_query(&at, only, shown);
                    async move { sql.build_query_as().fetch_all(pool).await }
                })
                .await?;
            let total = match searched {
                true => self.count(&at).build_query_scalar().fetch_one(pool).await?,
                false => unsearched,
            };
            Ok::<_, sqlx::Error>((rows, total))
        })?;
        let cursor = |row: &T| {
            let (name_key, email, since, id) = row.position();
            at.cursor(name_key, email, since, id)
        };
        Ok(page(rows, total, cursor).counted_to_cap_if(searched))
    }
}

/// Which part of a search by name a row belongs to: people whose name starts with the
/// search come first, in name order; then people matched by their email alone, in email
/// order. Each part reads its own index in its own order and stops after a page, so a
/// page costs the same however many people match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchPart {
    Name = 0,
    Email = 1,
}

impl MatchPart {
    /// The part a row with `name_key` falls in, for the search range `[low, high)`.
    pub fn of(name_key: &str, (low, high): &(String, String)) -> Self {
        if name_key >= low.as_str() && name_key < high.as_str() {
            MatchPart::Name
        } else {
            MatchPart::Email
        }
    }

    /// A page of a search by name from a cursor in part `from`: the name matches (unless
    /// the cursor is past them), then the email matches only if those don't fill the
    /// page. Emails mostly start like names, so finding the few that match alone means
    /// reading past all the others. `read(part)` reads one part's page.
    pub async fn page<T, F, Fut>(from: MatchPart, mut read: F) -> Result<Vec<T>, sqlx::Error>
    where
        F: FnMut(MatchPart) -> Fut,
        Fut: std::future::Future<Output = Result<Vec<T>, sqlx::Error>>,
    {
        let mut rows = Vec::new();
        if from == MatchPart::Name {
            rows = read(MatchPart::Name).await?;
        }
        if rows.len() < FETCH as usize {
            rows.extend(read(MatchPart::Email).await?);
        }
        Ok(rows)
    }

    /// The row's cursor: its part, then its key in that part's order (the name key, or
    /// the email, which is unique), then its id.
    pub fn cursor<Id: Serialize>(self, name_key: &str, email: &str, id: Id) -> serde_json::Value {
        match self {
            MatchPart::Name => serde_json::json!([0, name_key, id]),
            MatchPart::Email => serde_json::json!([1, email, id]),
        }
    }
}

/// A list of people read along its own indexes: the users directory, a role's holders or
/// a profile's members. Each row of `table` carries its person's name key and email (a
/// grant or a membership keeps copies); `person` is the column naming the person and
/// `since` the date the "since" order uses.
#[derive(Clone, Copy)]
pub struct People<'a> {
    pub table: &'static str,
    pub person: &'static str,
    pub since: &'static str,
    /// The list is the union of these parts, each the rows with its columns' values: a
    /// role; a profile's managers and its members; or, with no columns, every row.
    pub scopes: &'a [&'a [(&'static str, Bound)]],
    /// How many rows the list holds, or more: how a search sorted by "since" reads
    /// ([`sort_at_most`]).
    pub size: i64,
}

/// A value a part of a list is limited to.
#[derive(Clone, Copy, Debug)]
pub enum Bound {
    Id(i64),
    Text(&'static str),
}

/// Where a page of a list of people starts: the search's range, the order and the
/// cursor in that order.
pub struct PeoplePage {
    pub range: Option<(String, String)>,
    pub sort: Sort,
    by_name: (MatchPart, String, UserId),
    by_since: (Timestamp, UserId),
}

impl PeoplePage {
    pub fn new(q: Option<&str>, sort: Sort, after: Option<&str>) -> Result<Self, AppError> {
        let range = q.map(prefix_range);
        let by_name = match sort {
            Sort::Name if range.is_some() => decode_match(after)?,
            Sort::Name => {
                let (name, id) = decode_name(after)?;
                (MatchPart::Name, name, id)
            }
            Sort::Since => (MatchPart::Name, String::new(), UserId::default()),
        };
        let by_since = decode_since(if sort == Sort::Since { after } else { None })?;
        Ok(PeoplePage { range, sort, by_name, by_since })
    }

    /// Whether the page is part of a search by name, read a part at a time
    /// ([`MatchPart::page`]) from the part its cursor is in.
    pub fn by_match(&self) -> Option<MatchPart> {
        (self.sort == Sort::Name && self.range.is_some()).then_some(self.by_name.0)
    }

    /// Whether the page is part of a search sorted by "since", which reads its matches
    /// apart and sorts them (`People::push_since_search`).
    pub fn by_since_search(&self) -> bool {
        self.sort == Sort::Since && self.range.is_some()
    }

    /// Reads the page's rows: a search by name a part at a time ([`MatchPart::page`]),
    /// any other list at once. `read(only)` reads just that part, or with `None`, all.
    pub async fn read<T, F, Fut>(&self, mut read: F) -> Result<Vec<T>, sqlx::Error>
    where
        F: FnMut(Option<MatchPart>) -> Fut,
        Fut: std::future::Future<Output = Result<Vec<T>, sqlx::Error>>,
    {
        match self.by_match() {
            Some(from) => MatchPart::page(from, |part| read(Some(part))).await,
            None => read(None).await,
        }
    }

    /// Whether an arm's cursor row is its range's lower bound too (`push_after_cursor`), as
    /// for the name arm sorted by name. Given both bounds, PostgreSQL 15 can't tell which of a
    /// value and a row is the tighter on one column, and started from the row's, reading every
    /// name before the search's (39 ms, not 0.5, for `q=mar` among a million people).
    fn cursor_bounds_range(&self, order: MatchPart, column: &str) -> bool {
        self.sort == Sort::Name && order == MatchPart::Name && column == "name_key"
    }

    /// The cursor after a row of this list.
    pub fn cursor(&self, name_key: &str, email: &str, since: Timestamp, id: UserId) -> serde_json::Value {
        match (self.sort, &self.range) {
            (Sort::Since, _) => serde_json::json!([since.micros(), id]),
            (Sort::Name, Some(range)) => MatchPart::of(name_key, range).cursor(name_key, email, id),
            (Sort::Name, None) => serde_json::json!([name_key, id]),
        }
    }
}

/// What a page of a list shows of each of its rows: `select`, its columns, and `joins`,
/// the tables they come from beside the list's own. Both call the list's table `x`. The
/// columns include its person, name key, email and "since" date, each written `x.column`:
/// SQLite orders a union by its columns as they are written.
pub struct Rows<'a> {
    pub select: &'a str,
    pub joins: &'a str,
}

/// What each arm of a list's union reads.
#[derive(Clone, Copy)]
enum Arm<'a> {
    /// The people alone, for a count.
    People,
    /// A page of keys along the arm's index, as (id, the scope's columns, k), k being the
    /// key the index orders it by.
    Keys,
    /// Whole rows, as [`Rows`] selects them, along the arm's index, without a LIMIT.
    Rows(&'a Rows<'a>),
}

impl People<'_> {
    /// The query that counts a search's matches, up to [`COUNT_CAP`] and one more.
    pub fn count<'args, DB>(&self, at: &PeoplePage) -> sqlx::QueryBuilder<'args, DB>
    where
        DB: sqlx::Database,
        String: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
        Timestamp: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
        UserId: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
        i64: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
    {
        let mut sql = sqlx::QueryBuilder::new("SELECT COUNT(*) FROM (");
        self.push_arms(&mut sql, at, Arm::People, None);
        sql.push(" LIMIT ").push_bind(COUNT_CAP + 1).push(") AS x");
        sql
    }

    /// The column that orders `part` of the list sorted by `sort`: by "since", the list is
    /// one part, in order of its "since" column; by name, the name matches (and an
    /// unsearched list) by name key, then the email matches by email.
    fn key(&self, sort: Sort, part: MatchPart) -> &'static str {
        match (sort, part) {
            (Sort::Since, _) => self.since,
            (Sort::Name, MatchPart::Name) => "name_key",
            (Sort::Name, MatchPart::Email) => "email",
        }
    }

    /// The query for a page of the list, `only` the part of a search by name it names
    /// ([`MatchPart`]): each row as `rows` selects it, in the list's order. One query
    /// reads one part of a list, so the sort key and the person order it whole.
    ///
    /// Each database reads no more than the page, its own way:
    /// - SQLite merges arms that read their indexes in order as it reads them, and stops
    ///   after a page. So each arm reads whole rows, along its index, and the union is
    ///   ordered and cut: nothing is sorted. (An arm with a LIMIT of its own would be
    ///   sorted, and so would rows joined to a subquery's; `tests/plans.rs` pins both.)
    /// - PostgreSQL appends such arms and sorts every row, unless each stops after a page
    ///   itself. So each arm reads a page of keys from its index, the union's page of them
    ///   is the table `k`, and only its rows are joined to the rest of theirs.
    ///
    /// A search sorted by "since" reads its matches apart and sorts them
    /// (`push_since_search`): on both databases, the second way.
    pub fn page_query<'args, DB>(
        &self,
        at: &PeoplePage,
        only: Option<MatchPart>,
        rows: &Rows,
    ) -> sqlx::QueryBuilder<'args, DB>
    where
        DB: sqlx::Database,
        String: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
        Timestamp: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
        UserId: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
        i64: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
    {
        let mut sql = sqlx::QueryBuilder::new("");
        let People { table, person, .. } = *self;
        if Dialect::of::<DB>() == Dialect::Sqlite && !at.by_since_search() {
            self.push_arms(&mut sql, at, Arm::Rows(rows), only);
            let key = self.key(at.sort, only.unwrap_or(MatchPart::Name));
            sql.push(format_args!(" ORDER BY x.{key}, x.{person} LIMIT ")).push_bind(FETCH);
            return sql;
        }
        sql.push(format_args!("SELECT {} FROM (SELECT * FROM (", rows.select));
        self.push_arms(&mut sql, at, Arm::Keys, only);
        sql.push(") AS arms ORDER BY k, id LIMIT ").push_bind(FETCH).push(") AS k");
        // Joined on the page's own columns: given the scope's values as constants, SQLite
        // 3.46 chose to scan the whole scope and look each row up in the page.
        sql.push(format_args!(" JOIN {table} x ON x.{person} = k.id"));
        for (column, _) in self.scopes.first().copied().unwrap_or_default() {
            sql.push(format_args!(" AND x.{column} = k.{column}"));
        }
        sql.push(format_args!(" {} ORDER BY k.k, k.id", rows.joins));
        sql
    }

    /// Pushes the parts of the list's union: for each scope, one per searched column (the
    /// name arm, then the email arm), or one for an unsearched list, each reading what
    /// `reads` says. `only`: just that part of a search by name.
    fn push_arms<'args, DB>(
        &self,
        sql: &mut sqlx::QueryBuilder<'args, DB>,
        at: &PeoplePage,
        reads: Arm,
        only: Option<MatchPart>,
    ) where
        DB: sqlx::Database,
        String: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
        Timestamp: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
        UserId: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
        i64: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
    {
        let People { table, person, .. } = *self;
        let columns: &[&str] = if at.range.is_some() { &["name_key", "email"] } else { &[""] };
        // Whole rows name the list's table `x`, beside the tables joined to it.
        let x = if matches!(reads, Arm::Rows(_)) { "x." } else { "" };
        let mut arm = 0;
        for scope in self.scopes {
            // The scope's columns, for a page of keys to carry to its join.
            let carried = || scope.iter().map(|(column, _)| format!(", {column}")).collect::<String>();
            if matches!(reads, Arm::Keys) && at.by_since_search() {
                if arm > 0 {
                    sql.push(" UNION ALL ");
                }
                arm += 1;
                self.push_since_search(sql, at, scope, &carried(), arm);
                continue;
            }
            for column in columns {
                // The part of the list this arm fills, and the key it is read in.
                let order = match (at.sort, *column) {
                    (Sort::Name, "email") => MatchPart::Email,
                    _ => MatchPart::Name,
                };
                let key = self.key(at.sort, order);
                if !matches!(reads, Arm::People) && only.is_some_and(|only| only != order) {
                    continue;
                }
                if arm > 0 {
                    // The arms are disjoint: one scope each, and the email arm leaves out
                    // the name arm's people.
                    sql.push(" UNION ALL ");
                }
                arm += 1;
                match reads {
                    Arm::People => {
                        sql.push(format_args!("SELECT {person} FROM {table} WHERE "));
                        push_scope(sql, scope, "");
                        push_match(sql, at, column, "", true);
                        sql.push("1 = 1");
                        continue;
                    }
                    Arm::Keys => sql.push(format_args!(
                        "SELECT * FROM (SELECT {person} AS id{}, {key} AS k FROM {table} WHERE ",
                        carried()
                    )),
                    Arm::Rows(rows) => {
                        sql.push(format_args!("SELECT {} FROM {table} x ", rows.select));
                        if !rows.joins.is_empty() {
                            sql.push(rows.joins).push(" ");
                        }
                        sql.push("WHERE ")
                    }
                };
                push_scope(sql, scope, x);
                push_match(sql, at, column, x, !at.cursor_bounds_range(order, column));
                let order_by = self.push_after_cursor(sql, at, order, x);
                if matches!(reads, Arm::Keys) {
                    sql.push(format_args!(" ORDER BY {}", order_by.0));
                    if let Some(person) = order_by.1 {
                        sql.push(format_args!(", {person}"));
                    }
                    sql.push(" LIMIT ").push_bind(FETCH).push(format_args!(") AS part{arm}"));
                }
            }
        }
    }

    /// Pushes the arm's rows after the cursor, in the arm's order (its key, then the person),
    /// and returns that order's columns. An email is unique, so it orders the email arm
    /// alone. `x`: the table's name and a dot, or nothing.
    fn push_after_cursor<'args, DB>(
        &self,
        sql: &mut sqlx::QueryBuilder<'args, DB>,
        at: &PeoplePage,
        order: MatchPart,
        x: &str,
    ) -> (&'static str, Option<&'static str>)
    where
        DB: sqlx::Database,
        String: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
        Timestamp: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
        UserId: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
    {
        let People { person, since, .. } = *self;
        match (at.sort, order, at.by_name.0) {
            (Sort::Since, ..) => {
                sql.push(format_args!("({x}{since}, {x}{person}) > (")).push_bind(at.by_since.0);
                sql.push(", ").push_bind(at.by_since.1).push(")");
                (since, Some(person))
            }
            (Sort::Name, MatchPart::Name, _) => {
                let (name, id) = match &at.range {
                    // The first page of a search starts where its range does.
                    Some((low, _)) if at.by_name.1 < *low => (low.clone(), UserId(i64::MIN)),
                    _ => (at.by_name.1.clone(), at.by_name.2),
                };
                sql.push(format_args!("({x}name_key, {x}{person}) > (")).push_bind(name);
                sql.push(", ").push_bind(id).push(")");
                ("name_key", Some(person))
            }
            (Sort::Name, MatchPart::Email, MatchPart::Email) => {
                sql.push(format_args!("{x}email > ")).push_bind(at.by_name.1.clone());
                ("email", None)
            }
            (Sort::Name, MatchPart::Email, MatchPart::Name) => {
                sql.push("1 = 1");
                ("email", None)
            }
        }
    }

    /// A page of one scope of a search sorted by "since". The name range is counted to
    /// [`sort_at_most`] and the whole email range to twice that (its rows whose name
    /// matches too are name matches, so at most `most` of them). Within both counts, the
    /// two ranges are read along their indexes (at most three times `most` rows) and
    /// sorted (`few`). Beyond either, the search has more than `most` matches, name or
    /// email, so walking the "since" index and testing each row finds a page soon
    /// (`many`). One statement sees one snapshot, so the counts and the reads agree.
    fn push_since_search<'args, DB>(
        &self,
        sql: &mut sqlx::QueryBuilder<'args, DB>,
        at: &PeoplePage,
        scope: &[(&'static str, Bound)],
        carried: &str,
        arm: usize,
    ) where
        DB: sqlx::Database,
        String: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
        Timestamp: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
        UserId: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
        i64: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
    {
        let People { table, person, since, .. } = *self;
        let most = sort_at_most(self.size);
        let (names, emails) = (format!("names{arm}"), format!("emails{arm}"));
        let Some(searched) = &at.range else { return };
        let after = |sql: &mut sqlx::QueryBuilder<'args, DB>, key: &str, id: &str| {
            sql.push(format_args!("({key}, {id}) > (")).push_bind(at.by_since.0);
            sql.push(", ").push_bind(at.by_since.1).push(")");
        };
        let range =
            |sql: &mut sqlx::QueryBuilder<'args, DB>, column: &str| push_in_range(sql, column, searched);
        sql.push("SELECT * FROM (WITH ");
        push_match_counts(sql, (&names, &emails), most, |sql, column| {
            sql.push(format_args!("{table} WHERE "));
            push_scope(sql, scope, "");
            range(sql, column);
        });
        // Few: the name matches, then the email matches, each along its own index.
        sql.push(format_args!(
            ", few{arm} AS MATERIALIZED (SELECT * FROM (SELECT {person} AS id{carried}, {since} AS k \
             FROM {table} WHERE "
        ));
        push_scope(sql, scope, "");
        range(sql, "name_key");
        push_chosen_limit(sql, &names, &emails, most, true, most);
        sql.push(format_args!(
            ") AS names UNION ALL SELECT * FROM (SELECT {person} AS id{carried}, {since} AS k \
             FROM {table} WHERE "
        ));
        push_scope(sql, scope, "");
        range(sql, "email");
        sql.push(" AND NOT (");
        range(sql, "name_key");
        sql.push(")");
        push_chosen_limit(sql, &names, &emails, most, true, 2 * most);
        sql.push(format_args!(") AS emails) SELECT * FROM (SELECT id{carried}, k FROM few{arm} WHERE "));
        after(sql, "k", "id");
        sql.push(" ORDER BY k, id LIMIT ").push_bind(FETCH).push(") AS few UNION ALL ");
        // Many: the "since" index, in order, testing each row. The ranges are written so
        // that no index can serve them, or a planner might take one for a way in.
        sql.push(format_args!(
            "SELECT * FROM (SELECT {person} AS id{carried}, {since} AS k FROM {table} WHERE "
        ));
        push_scope(sql, scope, "");
        sql.push("((");
        range(sql, "(name_key || '')");
        sql.push(") OR (");
        range(sql, "(email || '')");
        sql.push(")) AND ");
        after(sql, since, person);
        sql.push(format_args!(" ORDER BY {since}, {person}"));
        push_chosen_limit(sql, &names, &emails, most, false, FETCH);
        sql.push(format_args!(") AS many) AS part{arm}"));
    }
}

/// Pushes `column = value AND ` for each of a scope's columns, each after `x` (a table's
/// name and a dot, or nothing).
fn push_scope<'args, DB>(sql: &mut sqlx::QueryBuilder<'args, DB>, scope: &[(&'static str, Bound)], x: &str)
where
    DB: sqlx::Database,
    String: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
{
    for (column, value) in scope {
        sql.push(format_args!("{x}{column} = "));
        match value {
            Bound::Id(id) => sql.push_bind(*id),
            Bound::Text(text) => sql.push_bind(text.to_string()),
        };
        sql.push(" AND ");
    }
}

/// Pushes the search's conditions on `column`, each followed by ` AND `: its prefix range
/// (without its `lower` bound when the cursor gives it) and, for the email arm, not a name
/// match. Each column comes after `x`, as in [`push_scope`].
fn push_match<'args, DB>(
    sql: &mut sqlx::QueryBuilder<'args, DB>,
    at: &PeoplePage,
    column: &str,
    x: &str,
    lower: bool,
) where
    DB: sqlx::Database,
    String: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
{
    let Some(range) = &at.range else { return };
    if lower {
        push_in_range(sql, &format!("{x}{column}"), range);
    } else {
        sql.push(format_args!("{x}{column} < ")).push_bind(range.1.clone());
    }
    sql.push(" AND ");
    if column == "email" {
        // People whose name matches too are the name arm's: the arms never overlap. The
        // email index carries the name key.
        sql.push("NOT (");
        push_in_range(sql, &format!("{x}name_key"), range);
        sql.push(") AND ");
    }
}

/// Reads a search-by-name cursor (see [`MatchPart`]); without one, the first page starts
/// before every name match.
pub fn decode_match<Id: DeserializeOwned + Default>(
    cursor: Option<&str>,
) -> Result<(MatchPart, String, Id), AppError> {
    let (part, key, id): (u8, String, Id) = decode(cursor)?.unwrap_or_default();
    let part = match part {
        0 => MatchPart::Name,
        1 => MatchPart::Email,
        _ => return Err(invalid_link()),
    };
    if key.contains('\0') {
        return Err(invalid_link());
    }
    Ok((part, key, id))
}
