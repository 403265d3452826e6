//! Lists of people, read along their own indexes: the users directory, a role's holders and
//! a profile's members. Each row of a list's table carries its person's name key and email (a
//! grant or a membership keeps copies), so a page never reads the people it doesn't show.

use serde::{de::DeserializeOwned, Serialize};

use super::{
    decode, decode_name, decode_since, fetch, invalid_link, page, page_size, prefix_range, push_chosen_limit,
    push_in_range, push_match_counts, sort_at_most, words::first_word_in,
};
use crate::{
    domain::{Timestamp, UserId},
    error::AppError,
    paging::{Page, Sort},
    server::db::{Db, Dialect},
    with_db,
};

/// How far a search of a list of people counts its matches: two pages' worth. A person
/// found by a later word of their name or email is a look-up of that person in the list
/// (`Words::AlongWords`); counting the biggest profile's "ngu" matches to 1,000 took 1,700 of
/// them at 10M links, about twenty pages' worth, where 100k links have a few hundred matches
/// in all. Past two pages, a search says "more than" and invites a narrower one; the pages
/// themselves go on.
pub fn count_cap() -> i64 {
    2 * page_size() as i64
}

/// A row of a list of people: where it stands in each of the list's orders, for the cursor
/// after it.
pub trait Listed {
    /// Its person's name key, email, "since" date and id.
    fn position(&self) -> (&str, &str, Timestamp, UserId);
}

impl People<'_> {
    /// A page of the list, `q` its search and `after` its cursor: each row as `shown` selects
    /// it, and the total, `unsearched` when there is no search (a count the schema keeps),
    /// else counted to [`count_cap`].
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
        let mut at = PeoplePage::new(q, sort, after)?;
        let searched = at.range.is_some();
        let (rows, total): (Vec<T>, i64) = with_db!(db, |pool| {
            if searched && self.scopes.iter().any(|scope| !scope.columns.is_empty()) {
                at.people = sqlx::query_scalar("SELECT value FROM tallies WHERE name = 'users'")
                    .fetch_one(pool)
                    .await?;
            }
            let at = &at;
            let rows: Vec<T> = at
                .read(|only| {
                    let mut sql = self.page_query(at, only, shown);
                    async move { sql.build_query_as().fetch_all(pool).await }
                })
                .await?;
            let total = match searched {
                true => self.count(at).build_query_scalar().fetch_one(pool).await?,
                false => unsearched,
            };
            Ok::<_, sqlx::Error>((rows, total))
        })?;
        let cursor = |row: &T| {
            let (name_key, email, since, id) = row.position();
            at.cursor(name_key, email, since, id)
        };
        Ok(page(rows, total, cursor).counted_to(count_cap(), searched))
    }
}

/// Which part of a search by name a row belongs to: people whose name starts with the
/// search come first, in name order; then people whose email does, in email order; then
/// people with a later word of their name or part of their email that does
/// ([`words`](super::words)), in order of that word. Each part reads its own index in its
/// own order and stops after a page, so a page costs the same however many people match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchPart {
    Name = 0,
    Email = 1,
    Word = 2,
}

impl MatchPart {
    const ALL: [MatchPart; 3] = [MatchPart::Name, MatchPart::Email, MatchPart::Word];

    /// The part a person falls in, for the search range `[low, high)`, and their key in
    /// that part's order: the name key, the email, or the first of their words that matches.
    pub fn of(name_key: &str, email: &str, range: &(String, String)) -> (Self, String) {
        let (low, high) = (range.0.as_str(), range.1.as_str());
        if name_key >= low && name_key < high {
            (MatchPart::Name, name_key.to_owned())
        } else if email >= low && email < high {
            (MatchPart::Email, email.to_owned())
        } else {
            (MatchPart::Word, first_word_in(name_key, email, range).unwrap_or_default())
        }
    }

    /// A page of a search by name from a cursor in part `from`: that part from the cursor,
    /// then each later part from its start while the page isn't full. Emails and words
    /// mostly start like names, so finding the few that match alone means reading past the
    /// others. `read(part)` reads one part's page.
    pub async fn page<T, F, Fut>(from: MatchPart, mut read: F) -> Result<Vec<T>, sqlx::Error>
    where
        F: FnMut(MatchPart) -> Fut,
        Fut: std::future::Future<Output = Result<Vec<T>, sqlx::Error>>,
    {
        let mut rows = Vec::new();
        for part in MatchPart::ALL.into_iter().skip(from as usize) {
            if rows.len() >= fetch() as usize {
                break;
            }
            rows.extend(read(part).await?);
        }
        Ok(rows)
    }

    /// The row's cursor: its part, then its key in that part's order (an email is unique),
    /// then its id.
    pub fn cursor<Id: Serialize>(self, key: String, id: Id) -> serde_json::Value {
        serde_json::json!([self as u8, key, id])
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
    /// The list is the union of these parts.
    pub scopes: &'a [Scope<'a>],
    /// How many rows the list holds, or more: how a search sorted by "since" reads
    /// ([`sort_at_most`]).
    pub size: i64,
}

/// A part of a list: the rows with its columns' values (a role; a profile's managers, or its
/// members; or, with no columns, every row), and how many rows it holds.
#[derive(Clone, Copy)]
pub struct Scope<'a> {
    pub columns: &'a [(&'static str, Bound)],
    pub size: i64,
}

impl Scope<'_> {
    /// How a search reads the part's people matched by a word ([`Words`]): along the words
    /// of everyone, looking each person up in the part, unless the part is so small that
    /// reading all of it costs less. The part holds `size` of `people` people, so along the
    /// words, counting a search's matches to [`count_cap`] reads about `count_cap × people /
    /// size` words; the two ways cost the same at `size = √(count_cap × people)` (10,000 of
    /// a million).
    fn words_way(&self, people: i64) -> Words {
        let (size, people) = (self.size.max(0) as f64, people.max(0) as f64);
        if !self.columns.is_empty() && size * size <= (count_cap() + 1) as f64 * people {
            Words::InPart
        } else {
            Words::AlongWords
        }
    }
}

/// The two ways to read a part's people matched by a word ([`Scope::words_way`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Words {
    /// The search's range of everyone's words, in order, each person looked up in the part.
    AlongWords,
    /// Every row of the part, each person's words looked up, and the matches sorted.
    InPart,
}

/// A value a part of a list is limited to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bound {
    Id(i64),
    Text(&'static str),
}

/// Where a page of a list of people starts: the search's range, the order and the
/// cursor in that order.
pub struct PeoplePage {
    pub range: Option<(String, String)>,
    pub sort: Sort,
    /// How many people there are, for a search of a list in parts ([`Scope::words_way`]).
    pub people: i64,
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
        Ok(PeoplePage { range, sort, people: 0, by_name, by_since })
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
            (Sort::Name, Some(range)) => {
                let (part, key) = MatchPart::of(name_key, email, range);
                part.cursor(key, id)
            }
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
    /// The query that counts a search's matches, up to [`count_cap`] and one more.
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
        sql.push(" LIMIT ").push_bind(count_cap() + 1).push(") AS x");
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
            (Sort::Name, MatchPart::Word) => "word",
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
    /// (`push_since_search`), and word matches come from another table
    /// (`push_word_arm`): on both databases, the second way.
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
        if Dialect::of::<DB>() == Dialect::Sqlite && !at.by_since_search() && only != Some(MatchPart::Word) {
            self.push_arms(&mut sql, at, Arm::Rows(rows), only);
            let key = self.key(at.sort, only.unwrap_or(MatchPart::Name));
            sql.push(format_args!(" ORDER BY x.{key}, x.{person} LIMIT ")).push_bind(fetch());
            return sql;
        }
        sql.push(format_args!("SELECT {} FROM (SELECT * FROM (", rows.select));
        self.push_arms(&mut sql, at, Arm::Keys, only);
        sql.push(") AS arms ORDER BY k, id LIMIT ").push_bind(fetch()).push(") AS k");
        // Joined on the page's own columns: given the scope's values as constants, SQLite
        // 3.46 chose to scan the whole scope and look each row up in the page.
        sql.push(format_args!(" JOIN {table} x ON x.{person} = k.id"));
        for (column, _) in self.scopes.first().map(|scope| scope.columns).unwrap_or_default() {
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
            let carried =
                || scope.columns.iter().map(|(column, _)| format!(", {column}")).collect::<String>();
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
                    (Sort::Name, "word") => MatchPart::Word,
                    _ => MatchPart::Name,
                };
                let key = self.key(at.sort, order);
                if !matches!(reads, Arm::People) && only.is_some_and(|only| only != order) {
                    continue;
                }
                if arm > 0 {
                    // The arms are disjoint: one scope each, the email arm leaves out the
                    // name arm's people, and the word arm both arms' people.
                    sql.push(" UNION ALL ");
                }
                arm += 1;
                match reads {
                    Arm::People => {
                        sql.push(format_args!("SELECT {person} FROM {table} WHERE "));
                        push_scope(sql, scope.columns, "");
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
                push_scope(sql, scope.columns, x);
                push_match(sql, at, column, x, !at.cursor_bounds_range(order, column));
                let order_by = self.push_after_cursor(sql, at, order, x);
                if matches!(reads, Arm::Keys) {
                    sql.push(format_args!(" ORDER BY {}", order_by.0));
                    if let Some(person) = order_by.1 {
                        sql.push(format_args!(", {person}"));
                    }
                    sql.push(" LIMIT ").push_bind(fetch()).push(format_args!(") AS part{arm}"));
                }
            }
        }
        let words = match reads {
            Arm::People => at.range.is_some(),
            Arm::Keys => only == Some(MatchPart::Word) && !at.by_since_search(),
            Arm::Rows(_) => false,
        };
        if words {
            if arm > 0 {
                sql.push(" UNION ALL ");
            }
            self.push_word_arm(sql, at, matches!(reads, Arm::People), arm + 1);
        }
    }

    /// The rows the word part of a search reads: those of every scope, as one. A scope's
    /// people matched by a word are found by the person, not along the scope's own indexes,
    /// so the part needs no more than the columns every scope shares (a profile, of a
    /// profile's managers and members), read whole: the denser the scope, the sooner a page.
    fn word_scope(&self) -> (Vec<(&'static str, Bound)>, i64) {
        let first = self.scopes.first().map(|scope| scope.columns).unwrap_or_default();
        let shared = first
            .iter()
            .filter(|(column, value)| {
                self.scopes.iter().all(|scope| scope.columns.iter().any(|(c, v)| c == column && v == value))
            })
            .copied()
            .collect();
        (shared, self.scopes.iter().map(|scope| scope.size).sum())
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
            // From the start of a later part; the word part has its own ([`push_word_arm`]).
            (Sort::Name, part, _) => {
                sql.push("1 = 1");
                (self.key(Sort::Name, part), None)
            }
        }
    }

    /// A page of one scope of a search sorted by "since". The name range is counted to
    /// [`sort_at_most`], the whole email range to twice that and the word matches to
    /// `most` (its rows whose name matches too are name matches, so at most `most` of them).
    /// Within all three counts, the matches are read along their indexes (at most four
    /// times `most` rows) and sorted (`few`). Beyond any, the search has more than `most`
    /// matches, so walking the "since" index and testing each row finds a page soon
    /// (`many`). One statement sees one snapshot, so the counts and the reads agree.
    fn push_since_search<'args, DB>(
        &self,
        sql: &mut sqlx::QueryBuilder<'args, DB>,
        at: &PeoplePage,
        scope: &Scope,
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
        let counts = Counts {
            names: format!("names{arm}"),
            emails: format!("emails{arm}"),
            words: format!("words{arm}"),
            most,
        };
        let Some(searched) = &at.range else { return };
        let after = |sql: &mut sqlx::QueryBuilder<'args, DB>, key: &str, id: &str| {
            sql.push(format_args!("({key}, {id}) > (")).push_bind(at.by_since.0);
            sql.push(", ").push_bind(at.by_since.1).push(")");
        };
        let range =
            |sql: &mut sqlx::QueryBuilder<'args, DB>, column: &str| push_in_range(sql, column, searched);
        sql.push("SELECT * FROM (WITH ");
        self.push_since_counts(sql, at, scope, &counts);
        // Few: the name matches, the email matches and the word matches, each along its own
        // index.
        let matches = |sql: &mut sqlx::QueryBuilder<'args, DB>, column: &str| {
            sql.push(format_args!(
                "SELECT * FROM (SELECT {person} AS id{carried}, {since} AS k FROM {table} WHERE "
            ));
            push_scope(sql, scope.columns, "");
            range(sql, column);
        };
        sql.push(format_args!(", few{arm} AS MATERIALIZED ("));
        matches(sql, "name_key");
        counts.push_limit(sql, true, most);
        sql.push(") AS names UNION ALL ");
        matches(sql, "email");
        sql.push(" AND NOT (");
        range(sql, "name_key");
        sql.push(")");
        counts.push_limit(sql, true, 2 * most);
        let carried_x = carried.replace(", ", ", x.");
        sql.push(format_args!(
            ") AS emails UNION ALL SELECT x.{person} AS id{carried_x}, x.{since} AS k FROM ("
        ));
        self.push_word_matches(sql, at, (scope, scope.columns), WordRead::Ids);
        counts.push_limit(sql, true, most);
        sql.push(format_args!(") AS w JOIN {table} x ON x.{person} = w.id"));
        for (column, _) in scope.columns {
            sql.push(format_args!(" AND x.{column} = w.{column}"));
        }
        sql.push(format_args!(") SELECT * FROM (SELECT id{carried}, k FROM few{arm} WHERE "));
        after(sql, "k", "id");
        sql.push(" ORDER BY k, id LIMIT ").push_bind(fetch()).push(") AS few UNION ALL ");
        // Many: the "since" index, in order, testing each row. The ranges are written so
        // that no index can serve them, or a planner might take one for a way in; a
        // person's words are looked up by their id.
        sql.push(format_args!(
            "SELECT * FROM (SELECT {person} AS id{carried}, {since} AS k FROM {table} WHERE "
        ));
        push_scope(sql, scope.columns, "");
        sql.push("((");
        range(sql, "(name_key || '')");
        sql.push(") OR (");
        range(sql, "(email || '')");
        sql.push(format_args!(
            ") OR EXISTS (SELECT 1 FROM search_words v WHERE v.user_id = {table}.{person} AND "
        ));
        range(sql, "v.word");
        sql.push(")) AND ");
        after(sql, since, person);
        sql.push(format_args!(" ORDER BY {since}, {person}"));
        counts.push_limit(sql, false, fetch());
        sql.push(format_args!(") AS many) AS part{arm}"));
    }

    /// Pushes the three CTEs that count a search's matches in one scope, each one row, `n`:
    /// the names to `most` and one more, the emails to twice that and one more (only if
    /// the names are within `most`) and the words to `most` and one more (only if both are).
    fn push_since_counts<'args, DB>(
        &self,
        sql: &mut sqlx::QueryBuilder<'args, DB>,
        at: &PeoplePage,
        scope: &Scope,
        counts: &Counts,
    ) where
        DB: sqlx::Database,
        String: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
        Timestamp: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
        UserId: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
        i64: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
    {
        let Some(searched) = &at.range else { return };
        let Counts { names, emails, words, most } = counts;
        let table = self.table;
        push_match_counts(sql, (names, emails), *most, |sql, column| {
            sql.push(format_args!("{table} WHERE "));
            push_scope(sql, scope.columns, "");
            push_in_range(sql, column, searched);
        });
        sql.push(format_args!(", {words} AS MATERIALIZED (SELECT COUNT(*) AS n FROM ("));
        self.push_word_matches(sql, at, (scope, scope.columns), WordRead::Ids);
        sql.push(format_args!(" LIMIT CASE WHEN (SELECT n FROM {names}) <= "))
            .push_bind(*most)
            .push(format_args!(" AND (SELECT n FROM {emails}) <= "))
            .push_bind(2 * most)
            .push(" THEN ")
            .push_bind(most + 1)
            .push(" ELSE 0 END) AS c)");
    }

    /// Pushes a part's people matched by a word alone (not by their name or their email's
    /// start), each once, the way the part's size chooses ([`Scope::words_way`]), as `reads`
    /// says.
    ///
    /// Along the words: the search's range of `search_words`, in order (SQLite takes CROSS
    /// JOIN's order as given), each person looked up in the part by its key, and kept at
    /// the first of their words in the range. In the part: every row along the part's own
    /// index, each person's first word in the range looked up by their id. `carried`: the
    /// columns of the list's table a row of keys carries to its join.
    fn push_word_matches<'args, DB>(
        &self,
        sql: &mut sqlx::QueryBuilder<'args, DB>,
        at: &PeoplePage,
        (scope, carried): (&Scope, &[(&'static str, Bound)]),
        reads: WordRead,
    ) where
        DB: sqlx::Database,
        String: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
        UserId: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
        i64: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
    {
        let Some(range) = &at.range else { return };
        let carried = carried.iter().map(|(column, _)| format!(", x.{column}")).collect::<String>();
        match scope.words_way(at.people) {
            Words::AlongWords => self.push_along_words(sql, range, (scope, &carried), reads),
            Words::InPart => self.push_in_part(sql, range, (scope, &carried), reads),
        }
    }

    /// The word matches along the search's range of everyone's words ([`Words::AlongWords`]).
    /// `carried`: the columns to select beside the person, as `, x.column`…
    fn push_along_words<'args, DB>(
        &self,
        sql: &mut sqlx::QueryBuilder<'args, DB>,
        range: &(String, String),
        (scope, carried): (&Scope, &str),
        reads: WordRead,
    ) where
        DB: sqlx::Database,
        String: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
        UserId: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
        i64: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
    {
        let People { table, person, .. } = *self;
        let joined = !scope.columns.is_empty() || !carried.is_empty();
        let id = if joined { format!("x.{person}") } else { "w.user_id".to_owned() };
        sql.push(format_args!("SELECT {id} AS id{carried}, w.word AS k FROM search_words w"));
        // Each word's person looked up in the part, in the words' order, so that a LIMIT
        // stops the reading: SQLite takes CROSS JOIN's order as given; PostgreSQL would
        // sort every match and merge them with the part's rows (27 ms for the biggest
        // profile's count), so it gets a look-up it can't turn into a join (the OFFSET).
        match (joined, Dialect::of::<DB>()) {
            (false, _) => {
                sql.push(" WHERE ");
            }
            (true, Dialect::Sqlite) => {
                sql.push(format_args!(" CROSS JOIN {table} x WHERE x.{person} = w.user_id AND "));
                push_scope(sql, scope.columns, "x.");
            }
            (true, Dialect::Postgres) => {
                sql.push(format_args!(" CROSS JOIN LATERAL (SELECT * FROM {table} x WHERE "));
                push_scope(sql, scope.columns, "x.");
                sql.push(format_args!("x.{person} = w.user_id OFFSET 0) x WHERE "));
            }
        }
        let paged = match reads {
            WordRead::After((word, id)) => {
                sql.push("(w.word, w.user_id) > (").push_bind(word).push(", ").push_bind(id);
                sql.push(") AND w.word < ").push_bind(range.1.clone());
                true
            }
            WordRead::Ids => {
                push_in_range(sql, "w.word", range);
                false
            }
        };
        // Not a name or email match: those are the other parts'.
        sql.push(" AND NOT (");
        push_in_range(sql, "w.name_key", range);
        sql.push(") AND NOT (");
        push_in_range(sql, "w.email", range);
        sql.push(")");
        // Each person once, at their first word in the range: the word before it is not.
        sql.push(" AND (w.previous IS NULL OR w.previous < ").push_bind(range.0.clone()).push(")");
        if paged {
            sql.push(" ORDER BY w.word, w.user_id LIMIT ").push_bind(fetch());
        }
    }

    /// The word matches of a small part, read whole ([`Words::InPart`]): the first of each
    /// person's words in the range, looked up by the person. The OFFSET keeps the look-up to
    /// once a row (SQLite would repeat it for each use of `k` in a query it flattened) and
    /// the part's own index as the way in.
    fn push_in_part<'args, DB>(
        &self,
        sql: &mut sqlx::QueryBuilder<'args, DB>,
        range: &(String, String),
        (scope, carried): (&Scope, &str),
        reads: WordRead,
    ) where
        DB: sqlx::Database,
        String: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
        UserId: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
        i64: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
    {
        let People { table, person, .. } = *self;
        let fence = match Dialect::of::<DB>() {
            Dialect::Sqlite => "LIMIT -1 OFFSET 0",
            Dialect::Postgres => "OFFSET 0",
        };
        sql.push(format_args!(
            "SELECT * FROM (SELECT x.{person} AS id{carried}, (SELECT MIN(w.word) FROM search_words w \
             WHERE w.user_id = x.{person} AND "
        ));
        push_in_range(sql, "w.word", range);
        sql.push(format_args!(") AS k FROM {table} x WHERE "));
        push_scope(sql, scope.columns, "x.");
        sql.push("NOT (");
        push_in_range(sql, "x.name_key", range);
        sql.push(") AND NOT (");
        push_in_range(sql, "x.email", range);
        sql.push(format_args!(") {fence}) AS found WHERE k IS NOT NULL"));
        if let WordRead::After((word, id)) = reads {
            sql.push(" AND (k, id) > (").push_bind(word).push(", ").push_bind(id);
            sql.push(") ORDER BY k, id LIMIT ").push_bind(fetch());
        }
    }

    /// Pushes the word part's arm ([`MatchPart::Word`]), over every scope at once
    /// ([`Self::word_scope`]): a page of its keys after the cursor, or for a count, its
    /// people.
    fn push_word_arm<'args, DB>(
        &self,
        sql: &mut sqlx::QueryBuilder<'args, DB>,
        at: &PeoplePage,
        count: bool,
        arm: usize,
    ) where
        DB: sqlx::Database,
        String: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
        UserId: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
        i64: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
    {
        let Some((low, _)) = &at.range else { return };
        let (columns, size) = self.word_scope();
        let scope = &Scope { columns: &columns, size };
        let carried = self.scopes.first().map(|scope| scope.columns).unwrap_or_default();
        if count {
            sql.push("SELECT id FROM (");
            self.push_word_matches(sql, at, (scope, carried), WordRead::Ids);
            sql.push(format_args!(") AS part{arm}"));
            return;
        }
        // The first page of the part starts where its range does.
        let from = match &at.by_name {
            (MatchPart::Word, word, id) if word >= low => (word.clone(), *id),
            _ => (low.clone(), UserId(i64::MIN)),
        };
        sql.push("SELECT * FROM (");
        self.push_word_matches(sql, at, (scope, carried), WordRead::After(from));
        sql.push(format_args!(") AS part{arm}"));
    }
}

/// What [`People::push_word_matches`] reads: every match's person (and the scope's columns
/// and key), or a page of them after a (word, person) cursor, in that order.
enum WordRead {
    Ids,
    After((String, UserId)),
}

/// The CTEs that count one scope's matches for a search sorted by "since"
/// ([`People::push_since_counts`]), and the `most` they count to.
struct Counts {
    names: String,
    emails: String,
    words: String,
    most: i64,
}

impl Counts {
    /// Pushes ` LIMIT CASE … END` for one way of the search ([`push_chosen_limit`]): `few`
    /// when the names are within `most`, the emails within twice that and the words within
    /// `most`; otherwise the other.
    fn push_limit<'args, DB>(&self, sql: &mut sqlx::QueryBuilder<'args, DB>, few: bool, limit: i64)
    where
        DB: sqlx::Database,
        i64: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
    {
        let Counts { names, emails, words, most } = self;
        push_chosen_limit(sql, &[(names, *most), (emails, 2 * most), (words, *most)], few, limit);
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
        push_bound(sql, value);
        sql.push(" AND ");
    }
}

fn push_bound<'args, DB>(sql: &mut sqlx::QueryBuilder<'args, DB>, value: &Bound)
where
    DB: sqlx::Database,
    String: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
{
    match value {
        Bound::Id(id) => sql.push_bind(*id),
        Bound::Text(text) => sql.push_bind(text.to_string()),
    };
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
        2 => MatchPart::Word,
        _ => return Err(invalid_link()),
    };
    if key.contains('\0') {
        return Err(invalid_link());
    }
    Ok((part, key, id))
}
