//! Lists: a page of rows, an opaque cursor to the next one, the exact total for the current
//! filter, and the search and sort choices every list shares.
//!
//! Pages never use OFFSET: each query starts after the last row shown, along an index, so
//! page 1000 costs what page 1 does.

use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// How many rows a list shows at once.
pub const PAGE_SIZE: usize = 50;

/// The longest search text a list accepts.
pub const SEARCH_MAX: usize = 100;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The cursor for the next page; `None` on the last one.
    pub next: Option<String>,
    /// How many rows the whole list has under the current search and filter; when `more` is
    /// set, a lower bound.
    pub total: i64,
    /// A search matched more than [`COUNT_CAP`] rows: the count stopped there, so a broad
    /// search costs what a narrow one does.
    #[serde(default)]
    pub more: bool,
}

/// How far a search's total is counted exactly.
pub const COUNT_CAP: i64 = 1_000;

impl<T> Page<T> {
    /// For a total counted with `LIMIT COUNT_CAP + 1` (`searched`): "more than COUNT_CAP"
    /// when the count hit the limit. Other totals are exact counts the schema keeps.
    pub fn counted_to_cap_if(mut self, searched: bool) -> Self {
        if searched && self.total > COUNT_CAP {
            self.total = COUNT_CAP;
            self.more = true;
        }
        self
    }
}

/// The order of a list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Sort {
    /// By name, A to Z.
    #[default]
    Name,
    /// By "since", longest-standing first.
    Since,
}

impl Sort {
    /// Reads `?sort=`; none means by name.
    pub fn parse(raw: Option<&str>) -> Result<Sort, AppError> {
        match raw.unwrap_or("") {
            "" | "name" => Ok(Sort::Name),
            "since" => Ok(Sort::Since),
            _ => Err(AppError::invalid("sort", "Sort by name or by since.")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Name => "name",
            Sort::Since => "since",
        }
    }
}

/// Reads `?q=`: trimmed, lower-cased, at most [`SEARCH_MAX`] characters; empty means no search.
pub fn search_text(raw: Option<&str>) -> Result<Option<String>, AppError> {
    let text = raw.unwrap_or("").trim();
    if text.chars().count() > SEARCH_MAX {
        return Err(AppError::invalid("q", format!("Search for at most {SEARCH_MAX} characters.")));
    }
    if text.chars().any(char::is_control) {
        // No name or email holds one, and PostgreSQL can't even compare a NUL.
        return Err(AppError::invalid("q", "Search for letters, digits and punctuation only."));
    }
    Ok((!text.is_empty()).then(|| text.to_lowercase()))
}

/// Reads `?access=`: empty means every access level.
pub fn access_filter(raw: Option<&str>) -> Result<Option<crate::domain::Access>, AppError> {
    match raw.unwrap_or("") {
        "" | "all" => Ok(None),
        other => crate::domain::Access::parse(other).map(Some),
    }
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    use serde::{de::DeserializeOwned, Serialize};

    pub use super::COUNT_CAP;
    use super::{Page, Sort, PAGE_SIZE};
    use crate::{
        domain::{Access, Timestamp, UserId},
        error::AppError,
        server::db::Dialect,
    };

    /// What a list of links shows (a profile's members, a person's profiles).
    #[derive(Clone, Debug, Default)]
    pub struct Filter {
        /// A lower-cased prefix of the name or the email.
        pub q: Option<String>,
        pub access: Option<Access>,
        pub sort: Sort,
    }

    /// The LIMIT to fetch: one more than a page, to learn whether another page follows.
    pub const FETCH: i64 = PAGE_SIZE as i64 + 1;

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
    pub fn decode_name<Id: DeserializeOwned + Default>(
        cursor: Option<&str>,
    ) -> Result<(String, Id), AppError> {
        let (name, id): (String, Id) = decode(cursor)?.unwrap_or_default();
        if name.contains('\0') {
            // No key holds one (names refuse control characters); only a forged link would.
            return Err(invalid_link());
        }
        Ok((name, id))
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

        /// The cursor after a row of this list.
        pub fn cursor(&self, name_key: &str, email: &str, since: Timestamp, id: UserId) -> serde_json::Value {
            match (self.sort, &self.range) {
                (Sort::Since, _) => serde_json::json!([since.micros(), id]),
                (Sort::Name, Some(range)) => MatchPart::of(name_key, range).cursor(name_key, email, id),
                (Sort::Name, None) => serde_json::json!([name_key, id]),
            }
        }
    }

    /// A search sorted by "since" has no index that serves both: the matches are ranges of
    /// the name and email indexes, in their own orders, and the "since" index lists everyone.
    /// So a search first counts its name matches to this many, and its email range to twice
    /// it ([`People::push_arms`]). Within both, it reads the matches along those indexes and
    /// sorts them. Beyond, the matches are dense enough that walking the "since" index and
    /// testing each row finds a page after about `FETCH × size / matches` rows. The switch
    /// sits where the two costs meet, `√(FETCH × size)`, so either way reads a small multiple
    /// of it at most (5,469 for a profile of 586,414 members, 7,142 for a million users), and
    /// never less than [`COUNT_CAP`], which a search counts anyway.
    pub fn sort_at_most(size: i64) -> i64 {
        ((FETCH as f64 * size.max(0) as f64).sqrt().ceil() as i64).max(COUNT_CAP)
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
        ///   sorted, and so would rows joined to a subquery's: BENCHMARKS.md, stop 22.)
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
            let People { table, person, since, .. } = *self;
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
                            push_match(sql, at, column, "");
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
                    push_match(sql, at, column, x);
                    // After the cursor, in this arm's order (its key, then the person). An email
                    // is unique, so it orders the email arm alone.
                    let order_by = match (at.sort, order, at.by_name.0) {
                        (Sort::Since, ..) => {
                            sql.push(format_args!("({x}{since}, {x}{person}) > (")).push_bind(at.by_since.0);
                            sql.push(", ").push_bind(at.by_since.1).push(")");
                            (since, Some(person))
                        }
                        (Sort::Name, MatchPart::Name, _) => {
                            sql.push(format_args!("({x}name_key, {x}{person}) > ("))
                                .push_bind(at.by_name.1.clone());
                            sql.push(", ").push_bind(at.by_name.2).push(")");
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
                    };
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
            let Some((low, high)) = &at.range else { return };
            let after = |sql: &mut sqlx::QueryBuilder<'args, DB>, key: &str, id: &str| {
                sql.push(format_args!("({key}, {id}) > (")).push_bind(at.by_since.0);
                sql.push(", ").push_bind(at.by_since.1).push(")");
            };
            let range = |sql: &mut sqlx::QueryBuilder<'args, DB>, column: &str| {
                sql.push(format_args!("{column} >= ")).push_bind(low.clone());
                sql.push(format_args!(" AND {column} < ")).push_bind(high.clone());
            };
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
        sql.push(format_args!(
            ") AS c), {emails} AS MATERIALIZED (SELECT COUNT(*) AS n FROM (SELECT 1 FROM "
        ));
        rows_in(sql, "email");
        sql.push(format_args!(" LIMIT CASE WHEN (SELECT n FROM {names}) <= "))
            .push_bind(most)
            .push(" THEN ")
            .push_bind(2 * most + 1)
            .push(" ELSE 0 END) AS c)");
    }

    /// Pushes ` LIMIT CASE … END` for one way of a search that chooses between two: `limit`
    /// if the counts in the CTEs `names` and `emails` (each one row, `n`) chose it, else 0.
    /// `few`: the way taken when the names are within `most` and the emails within twice
    /// that; otherwise the other. Both databases work out a LIMIT once, before reading, and a
    /// LIMIT of 0 reads nothing. (SQLite does not hoist a condition with a subquery out of a
    /// WHERE: it would walk the index and test it on every row.)
    pub fn push_chosen_limit<'args, DB>(
        sql: &mut sqlx::QueryBuilder<'args, DB>,
        names: &str,
        emails: &str,
        most: i64,
        few: bool,
        limit: i64,
    ) where
        DB: sqlx::Database,
        i64: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
    {
        let (test, join) = if few { ("<=", "AND") } else { (">", "OR") };
        sql.push(format_args!(" LIMIT CASE WHEN (SELECT n FROM {names}) {test} "))
            .push_bind(most)
            .push(format_args!(" {join} (SELECT n FROM {emails}) {test} "))
            .push_bind(2 * most)
            .push(" THEN ")
            .push_bind(limit)
            .push(" ELSE 0 END");
    }

    /// Pushes `column = value AND ` for each of a scope's columns, each after `x` (a table's
    /// name and a dot, or nothing).
    fn push_scope<'args, DB>(
        sql: &mut sqlx::QueryBuilder<'args, DB>,
        scope: &[(&'static str, Bound)],
        x: &str,
    ) where
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
    /// and, for the email arm, not a name match. Each column comes after `x`, as in
    /// [`push_scope`].
    fn push_match<'args, DB>(sql: &mut sqlx::QueryBuilder<'args, DB>, at: &PeoplePage, column: &str, x: &str)
    where
        DB: sqlx::Database,
        String: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
    {
        let Some((low, high)) = &at.range else { return };
        sql.push(format_args!("{x}{column} >= ")).push_bind(low.clone());
        sql.push(format_args!(" AND {x}{column} < ")).push_bind(high.clone()).push(" AND ");
        if column == "email" {
            // People whose name matches too are the name arm's: the arms never overlap. The
            // email index carries the name key.
            sql.push(format_args!("NOT ({x}name_key >= ")).push_bind(low.clone());
            sql.push(format_args!(" AND {x}name_key < ")).push_bind(high.clone()).push(") AND ");
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

    /// Trims the extra row fetched with [`FETCH`] and makes the cursor from the last row kept.
    pub fn page<T, K: Serialize>(mut rows: Vec<T>, total: i64, key: impl Fn(&T) -> K) -> Page<T> {
        let next = if rows.len() > PAGE_SIZE {
            rows.truncate(PAGE_SIZE);
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_choices_parse_and_refuse_nonsense() {
        assert_eq!(Sort::parse(None).unwrap(), Sort::Name);
        assert_eq!(Sort::parse(Some("since")).unwrap(), Sort::Since);
        assert_eq!(Sort::parse(Some("age")).unwrap_err().status(), 422);
        assert_eq!(search_text(Some("  Ann ")).unwrap().as_deref(), Some("ann"));
        assert_eq!(search_text(Some("   ")).unwrap(), None);
        assert_eq!(search_text(Some(&"x".repeat(101))).unwrap_err().status(), 422);
        assert_eq!(search_text(Some("a\0b")).unwrap_err().status(), 422);
        assert_eq!(access_filter(Some("")).unwrap(), None);
        assert_eq!(access_filter(Some("manager")).unwrap(), Some(crate::domain::Access::Manager));
        assert!(access_filter(Some("owner")).is_err());
    }
}
