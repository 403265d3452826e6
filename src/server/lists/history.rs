//! History's lists: a subject's entries newest first, and who had access to a profile at a
//! moment. The rows are history's own ([`Entry`], [`AccessAt`]); what each shows is
//! `history::ssr`'s to say ([`Shown`]).

use super::{
    decode, fetch, page, prefix_range, push_chosen_limit, push_in_range, push_match_counts, sort_at_most,
    COUNT_CAP,
};
use crate::{
    domain::{ProfileId, RoleId, Timestamp, UserId},
    error::AppError,
    history::{AccessAt, Action, Entry},
    paging::Page,
    server::db::Db,
    with_db,
};

/// Whose history a list is.
#[derive(Clone, Copy, Debug)]
pub enum Subject {
    Profile(ProfileId),
    User(UserId),
    Role(RoleId),
}

/// What a list of entries shows of each: `select`, the columns, whose `FROM` then names
/// `history h` (or what yields its rows), and `joins`, the tables they come from beside it.
pub struct Shown {
    pub select: &'static str,
    pub joins: &'static str,
}

/// A subject's history, newest first; the cursor is the last id shown. Each page reads along
/// an index newest first and stops after a page: history_profile_idx or history_user_idx, or
/// with a kind of change, history_profile_action_idx or history_user_action_idx. A profile's
/// history searched by the person's name, email or a later word of either (`lists::words`)
/// chooses as a search sorted by "since" does ([`sort_at_most`], over all users): with few
/// people matching, it reads each one's entries on the profile (history_profile_user_idx)
/// and sorts them; with many, it walks the profile's entries and tests each one's person.
/// The total is exact, from history_tallies, except for a search, which counts its matches
/// to [`COUNT_CAP`], from the people or from the entries, whichever are fewer; and a role's
/// history, which has no tally and is counted to [`COUNT_CAP`].
pub async fn entries(
    db: &Db,
    shown: &Shown,
    subject: Subject,
    action: Option<Action>,
    q: Option<&str>,
    after: Option<&str>,
) -> Result<Page<Entry>, AppError> {
    let before: i64 = decode(after)?.unwrap_or(i64::MAX);
    // Only a profile's history is searched.
    let range = q.map(prefix_range).filter(|_| matches!(subject, Subject::Profile(_)));
    let searched = range.is_some();
    let counted = matches!(subject, Subject::Role(_));
    let (rows, total): (Vec<Entry>, i64) = with_db!(db, |pool| {
        let users: i64 = match range {
            Some(_) => {
                sqlx::query_scalar("SELECT value FROM tallies WHERE name = 'users'").fetch_one(pool).await?
            }
            None => 0,
        };
        let list = Entries { subject, action, before, range, users };
        let rows = list.page_query(shown).build_query_as().fetch_all(pool).await?;
        let total = list.count_query().build_query_scalar().fetch_one(pool).await?;
        Ok::<_, sqlx::Error>((rows, total))
    })?;
    Ok(page(rows, total, |e| e.id).counted_to(COUNT_CAP, searched || counted))
}

/// How a person matches a search, for counting each one once.
#[derive(Clone, Copy)]
enum Match {
    Name,
    Email,
    /// By a later word of their name or email alone.
    Word,
}

/// One page of a subject's history, as [`entries`] reads it.
struct Entries {
    subject: Subject,
    action: Option<Action>,
    /// The cursor: entries older than this id.
    before: i64,
    range: Option<(String, String)>,
    /// How many people there are, for a search.
    users: i64,
}

impl Entries {
    /// The subject's column of `history h`, its tally's name and its id. A role's history
    /// has no tally.
    fn subject(&self) -> (&'static str, &'static str, i64) {
        match self.subject {
            Subject::Profile(p) => ("h.profile_id", "profile", p.0),
            Subject::User(u) => ("h.user_id", "user", u.0),
            Subject::Role(r) => ("h.role_id", "", r.0),
        }
    }

    /// Pushes the subject's entries, of one kind when asked, and for a page, older than the
    /// cursor.
    fn push_subject<'args, DB>(&self, sql: &mut sqlx::QueryBuilder<'args, DB>, page: bool)
    where
        DB: sqlx::Database,
        i64: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
        Action: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
    {
        let (column, _, id) = self.subject();
        sql.push(format_args!("{column} = ")).push_bind(id);
        if let Some(action) = self.action {
            sql.push(" AND h.action = ").push_bind(action);
        }
        if page {
            sql.push(" AND h.id < ").push_bind(self.before);
        }
    }

    /// Pushes the test that an entry's person matches the search. Many people match: walking
    /// the profile's entries newest first, testing each one's person, finds a page soonest.
    /// The ranges are written so that no index serves them.
    fn push_person_matches<'args, DB>(sql: &mut sqlx::QueryBuilder<'args, DB>, range: &(String, String))
    where
        DB: sqlx::Database,
        String: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
    {
        sql.push(" AND EXISTS (SELECT 1 FROM users m WHERE m.id = h.user_id AND ((");
        push_in_range(sql, "(m.name_key || '')", range);
        sql.push(") OR (");
        push_in_range(sql, "(m.email || '')", range);
        // A later word, looked up among the person's own (search_words_user_idx).
        sql.push(") OR EXISTS (SELECT 1 FROM search_words w WHERE w.user_id = m.id AND ");
        push_in_range(sql, "(w.word || '')", range);
        sql.push(")))");
    }

    /// The page: the ids of its entries, cut before the join, so that the join has no way in
    /// but through them.
    fn page_query<'args, DB>(&self, shown: &Shown) -> sqlx::QueryBuilder<'args, DB>
    where
        DB: sqlx::Database,
        String: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
        i64: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
        Action: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
    {
        let mut page = sqlx::QueryBuilder::new(shown.select);
        page.push(" FROM (SELECT * FROM (");
        match &self.range {
            None => {
                page.push("SELECT h.id FROM history h WHERE ");
                self.push_subject(&mut page, true);
                page.push(" ORDER BY h.id DESC LIMIT ").push_bind(fetch());
            }
            Some(range) => self.push_searched_ids(&mut page, range),
        }
        page.push(") AS ids ORDER BY id DESC LIMIT ").push_bind(fetch());
        page.push(format_args!(") AS k JOIN history h ON h.id = k.id{} ORDER BY k.id DESC", shown.joins));
        page
    }

    /// The ids of a searched page: from the few people who match, or, with many, from the
    /// profile's entries newest first, whichever the counts choose.
    fn push_searched_ids<'args, DB>(&self, page: &mut sqlx::QueryBuilder<'args, DB>, range: &(String, String))
    where
        DB: sqlx::Database,
        String: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
        i64: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
        Action: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
    {
        let most = sort_at_most(self.users);
        // How many people match, by name, by email and by a later word, each counted along
        // its index.
        page.push("WITH ");
        push_match_counts(page, ("names", "emails"), most, |sql, column| {
            sql.push("users WHERE ");
            push_in_range(sql, column, range);
        });
        page.push(", words AS MATERIALIZED (SELECT COUNT(*) AS n FROM (SELECT 1 FROM search_words WHERE ");
        push_in_range(page, "word", range);
        push_chosen_limit(page, &[("names", most), ("emails", 2 * most)], true, 3 * most + 1);
        page.push(") AS c)");
        let counts = [("names", most), ("emails", 2 * most), ("words", 3 * most)];
        // Few: the people, then each one's entries on the profile.
        page.push(", who AS MATERIALIZED (SELECT id FROM (SELECT id FROM users WHERE ");
        push_in_range(page, "name_key", range);
        push_chosen_limit(page, &counts, true, most);
        page.push(") AS n UNION SELECT id FROM (SELECT id FROM users WHERE ");
        push_in_range(page, "email", range);
        push_chosen_limit(page, &counts, true, 2 * most);
        page.push(") AS e UNION SELECT id FROM (SELECT user_id AS id FROM search_words WHERE ");
        push_in_range(page, "word", range);
        push_chosen_limit(page, &counts, true, 3 * most);
        // Gathered first, unordered, and from the people to their entries (SQLite takes
        // CROSS JOIN's order as given): walking the profile's history and looking for these
        // people in it would read all of it.
        page.push(
            ") AS w), found AS MATERIALIZED (SELECT h.id FROM who CROSS JOIN history h \
             WHERE h.user_id = who.id AND ",
        );
        self.push_subject(page, true);
        page.push(") SELECT * FROM (SELECT id FROM found ORDER BY id DESC LIMIT ").push_bind(fetch());
        page.push(") AS few UNION ALL SELECT * FROM (SELECT h.id FROM history h WHERE ");
        self.push_subject(page, true);
        Self::push_person_matches(page, range);
        page.push(" ORDER BY h.id DESC");
        push_chosen_limit(page, &counts, false, fetch());
        page.push(") AS many");
    }

    /// The total: exact from the tallies, or for a search or a role, counted to COUNT_CAP.
    fn count_query<'args, DB>(&self) -> sqlx::QueryBuilder<'args, DB>
    where
        DB: sqlx::Database,
        String: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
        i64: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
        Action: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
    {
        if matches!(self.subject, Subject::Role(_)) && self.range.is_none() {
            let mut count = sqlx::QueryBuilder::new("SELECT COUNT(*) FROM (SELECT 1 FROM history h WHERE ");
            self.push_subject(&mut count, false);
            count.push(" LIMIT ").push_bind(COUNT_CAP + 1).push(") AS k");
            return count;
        }
        let (_, tally, id) = self.subject();
        let mut count = sqlx::QueryBuilder::new(
            "WITH entries AS MATERIALIZED (SELECT CAST(COALESCE(SUM(entries), 0) AS BIGINT) AS n \
             FROM history_tallies WHERE subject = ",
        );
        count.push_bind(tally.to_owned()).push(" AND subject_id = ").push_bind(id);
        if let Some(action) = self.action {
            count.push(" AND action = ").push_bind(action);
        }
        count.push(") ");
        match &self.range {
            None => {
                count.push("SELECT n FROM entries");
            }
            Some(range) => self.push_searched_count(&mut count, range),
        }
        count
    }

    /// A search's matches are found one of two ways, whichever reads less:
    /// - from the people who match, each one's entries on the profile, in name order, then
    ///   email order, then word order (history_profile_user_idx): about `COUNT_CAP × users /
    ///   entries` people before the count is reached, and at most every one who matches;
    /// - from the profile's entries, each one's person tested: about `COUNT_CAP × users /
    ///   matches` entries, and at most every entry.
    ///
    /// Both have the same ratio in them, so the way with fewer candidates wins: people when
    /// fewer match than the profile has entries.
    ///
    /// So the people who match are counted along their indexes, but only as far as it helps.
    /// Counting one costs about a twentieth of looking one up (75 ns against 1.5 µs on the
    /// 10M file), so the count stops at the entries, or at twenty times the people the first
    /// way needs, if that is fewer: past it, the first way is taken, and costs those people.
    fn push_searched_count<'args, DB>(
        &self,
        count: &mut sqlx::QueryBuilder<'args, DB>,
        range: &(String, String),
    ) where
        DB: sqlx::Database,
        String: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
        i64: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
        Action: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
    {
        // Twenty times the people it takes to find COUNT_CAP + 1 entries, times the entries.
        let reach_by_entries = 20 * (COUNT_CAP + 1) * self.users;
        count
            .push(", reach AS MATERIALIZED (SELECT CASE WHEN n * n <= ")
            .push_bind(reach_by_entries)
            .push(" THEN n ELSE ")
            .push_bind(reach_by_entries)
            .push(
                " / n END AS n FROM entries), \
                 names AS MATERIALIZED (SELECT COUNT(*) AS n FROM (SELECT 1 FROM users WHERE ",
            );
        push_in_range(count, "name_key", range);
        count.push(
            " LIMIT (SELECT n FROM reach) + 1) AS c), \
             emails AS MATERIALIZED (SELECT COUNT(*) AS n FROM (SELECT 1 FROM users WHERE ",
        );
        push_in_range(count, "email", range);
        count.push(
            " LIMIT CASE WHEN (SELECT n FROM names) <= (SELECT n FROM reach) \
             THEN (SELECT n FROM reach) + 1 - (SELECT n FROM names) ELSE 0 END) AS c), \
             words AS MATERIALIZED (SELECT COUNT(*) AS n FROM (SELECT 1 FROM search_words WHERE ",
        );
        push_in_range(count, "word", range);
        count.push(
            " LIMIT CASE WHEN (SELECT n FROM names) + (SELECT n FROM emails) <= (SELECT n FROM reach) \
             THEN (SELECT n FROM reach) + 1 - (SELECT n FROM names) - (SELECT n FROM emails) ELSE 0 END) \
             AS c) SELECT COUNT(*) FROM (",
        );
        const PEOPLE: &str = "(SELECT n FROM names) + (SELECT n FROM emails) + (SELECT n FROM words) \
                              <= (SELECT n FROM entries)";
        // The entries of the people who match by name; of those who match by email and not
        // by name; and of those who match by a later word alone: no one counts twice.
        let people = |sql: &mut sqlx::QueryBuilder<'args, DB>, by: Match| {
            match by {
                Match::Name => {
                    sql.push("SELECT 1 FROM (SELECT id FROM users WHERE ");
                    push_in_range(sql, "name_key", range);
                }
                Match::Email => {
                    sql.push("SELECT 1 FROM (SELECT id FROM users WHERE ");
                    push_in_range(sql, "email", range);
                    sql.push(" AND NOT (");
                    push_in_range(sql, "name_key", range);
                    sql.push(")");
                }
                Match::Word => {
                    // A person may have two words in the range: each counts once, at the
                    // first.
                    sql.push("SELECT 1 FROM (SELECT w.user_id AS id FROM search_words w WHERE ");
                    push_in_range(sql, "w.word", range);
                    sql.push(" AND NOT (");
                    push_in_range(sql, "w.name_key", range);
                    sql.push(") AND NOT (");
                    push_in_range(sql, "w.email", range);
                    sql.push(") AND (w.previous IS NULL OR w.previous < ")
                        .push_bind(range.0.clone())
                        .push(")");
                }
            }
            sql.push(format_args!(" LIMIT CASE WHEN {PEOPLE} THEN "))
                .push_bind(i64::MAX)
                .push(" ELSE 0 END) AS who CROSS JOIN history h WHERE h.user_id = who.id AND ");
            self.push_subject(sql, false);
        };
        people(count, Match::Name);
        count.push(" UNION ALL ");
        people(count, Match::Email);
        count.push(" UNION ALL ");
        people(count, Match::Word);
        // A count takes its rows in any order: asked for an order, a planner may read them
        // all to sort them.
        count.push(" UNION ALL SELECT * FROM (SELECT 1 FROM history h WHERE ");
        self.push_subject(count, false);
        Self::push_person_matches(count, range);
        count
            .push(format_args!(" LIMIT CASE WHEN {PEOPLE} THEN 0 ELSE "))
            .push_bind(COUNT_CAP + 1)
            .push(" END) AS many LIMIT ")
            .push_bind(COUNT_CAP + 1)
            .push(") AS k");
    }
}

/// Who had access to `profile` just before `end`, in user order: each person's last
/// entry on the profile before `end` decides, and they had access if it left them some.
///
/// Which way is cheaper depends on how many of the profile's entries come before `end`,
/// so they are counted first, along history_profile_at_idx, up to
/// [`sort_at_most`] of the profile's entries (`√(fetch() × entries)`, as
/// History's totals keep them):
/// - **Few** (an early date): all of them are read in time order, each tested for being
///   its person's last before `end`, and a page of those sorted by person.
/// - **Many**: the profile's entries are walked in person order from the cursor
///   (history_profile_user_idx), each tested for being its person's last before `end`.
///   With at least that many entries before `end`, a page turns up within a small
///   multiple of the switch point; walked on an early date, it would read the whole
///   history of the profile to find its few.
///
/// Both indexes carry each entry's time and the access it left (migration 0009), so no
/// walk looks entries up in the table. The total is counted in time order, to
/// [`COUNT_CAP`]: an exact one would read every entry before `end`.
pub async fn access_at(
    db: &Db,
    profile: ProfileId,
    end: Timestamp,
    after: Option<&str>,
) -> Result<Page<AccessAt>, AppError> {
    let user: UserId = decode(after)?.unwrap_or_default();
    // The entry `h` is its person's last on the profile before `end`. (It implies
    // `h.at < end`; left unsaid, so the walk in person order has no time range to be
    // planned along instead.)
    let last = "h.id = (SELECT MAX(l.id) FROM history l \
        WHERE l.profile_id = $1 AND l.user_id = h.user_id AND l.at < $2)";
    let counts_sql = format!(
        "SELECT (SELECT COUNT(*) FROM \
                  (SELECT 1 FROM history WHERE profile_id = $1 AND at < $2 LIMIT $3) AS b), \
                (SELECT COUNT(*) FROM (SELECT 1 FROM history h WHERE h.profile_id = $1 AND h.at < $2 \
                 AND h.access_after IS NOT NULL AND {last} LIMIT $4) AS k)"
    );
    const COLUMNS: &str = "SELECT h.user_id, u.display_name AS user_name, u.email, \
        h.access_after AS access, h.since";
    // Few: every entry before `end` (as `h`, for the test), each tested, and a page of
    // them cut before the lookups. There are at most `few` of them, so the inner LIMIT
    // cuts nothing; it tells the planner how few rows it sorts.
    let few_sql = format!(
        "{COLUMNS} FROM (SELECT h.user_id, h.id FROM \
           (SELECT user_id, id, access_after FROM history WHERE profile_id = $1 AND at < $2 LIMIT $3) AS h \
           WHERE h.user_id > $4 AND h.access_after IS NOT NULL AND {last} ORDER BY h.user_id LIMIT $5) AS k \
         JOIN history h ON h.id = k.id LEFT JOIN users u ON u.id = h.user_id ORDER BY k.user_id"
    );
    // Many: the profile's entries in person order, each tested.
    let many_sql = format!(
        "{COLUMNS} FROM history h LEFT JOIN users u ON u.id = h.user_id \
         WHERE h.profile_id = $1 AND h.user_id > $3 AND h.access_after IS NOT NULL AND {last} \
         ORDER BY h.user_id LIMIT $4"
    );
    let (rows, total): (Vec<AccessAt>, i64) = with_db!(db, |pool| {
        let entries: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(entries), 0) AS BIGINT) FROM history_tallies \
             WHERE subject = 'profile' AND subject_id = $1",
        )
        .bind(profile)
        .fetch_one(pool)
        .await?;
        let few = sort_at_most(entries);
        let (before, total): (i64, i64) = sqlx::query_as(&counts_sql)
            .bind(profile)
            .bind(end)
            .bind(few + 1)
            .bind(COUNT_CAP + 1)
            .fetch_one(pool)
            .await?;
        let rows = if before <= few {
            sqlx::query_as(&few_sql).bind(profile).bind(end).bind(few + 1)
        } else {
            sqlx::query_as(&many_sql).bind(profile).bind(end)
        };
        let rows = rows.bind(user).bind(fetch()).fetch_all(pool).await?;
        Ok::<_, sqlx::Error>((rows, total))
    })?;
    Ok(page(rows, total, |r| r.user_id).counted_to(COUNT_CAP, true))
}
