//! The words a search finds a person by, besides the start of their name and of their
//! email: the start of each later word of the name ("bro" finds Bob Brown) and each part of
//! the email after a `.`, `-`, `_`, `+` or `@` ("example" finds bob@example.com). Each word
//! is kept as the rest of the key from where it starts, so that a search may run on past it
//! ("brown j"). The `search_words` table holds them, one row per word and person, beside
//! the name key and email they were cut from; its foreign key refuses a new name or address
//! until the old words are gone, so every write of either goes through [`SearchWords`].

use crate::{
    domain::UserId,
    impl_for_connections,
    server::db::{Db, Pool},
    with_db,
};

/// What starts a new word in a name key.
const NAME_BREAKS: &[char] = &[' ', '-'];
/// What starts a new part of an email.
const EMAIL_BREAKS: &[char] = &['.', '-', '_', '+', '@'];

/// The tally that says the people already here when `search_words` came have no words yet.
const BACKLOG: &str = "search_words_backlog";

/// People's words written per statement: five parameters each, well within both
/// databases' limits for the few words a person has.
const BATCH: usize = 500;

/// A person's words, in order, each once: the key from each later word of `name_key` and
/// each later part of `email` on. The whole name key and the whole email are searched on
/// their own indexes and are not among them.
pub fn words(name_key: &str, email: &str) -> Vec<String> {
    let mut words: Vec<String> =
        starts(name_key, NAME_BREAKS).chain(starts(email, EMAIL_BREAKS)).map(str::to_owned).collect();
    words.sort_unstable();
    words.dedup();
    words
}

/// The rest of `key` from each place a word starts after the first: after a break, at a
/// character that is not one.
fn starts<'a>(key: &'a str, breaks: &'static [char]) -> impl Iterator<Item = &'a str> {
    let mut previous = None;
    key.char_indices().filter_map(move |(at, c)| {
        let starts = previous.is_some_and(|p| breaks.contains(&p)) && !breaks.contains(&c);
        previous = Some(c);
        starts.then(|| &key[at..])
    })
}

/// The first of a person's words that starts with the search range `[low, high)`: where
/// that person stands among a search's word matches.
pub fn first_word_in(name_key: &str, email: &str, (low, high): &(String, String)) -> Option<String> {
    words(name_key, email).into_iter().find(|w| w.as_str() >= low.as_str() && w.as_str() < high.as_str())
}

/// A person as their words are cut: id, name key, email.
pub type Person<'a> = (UserId, &'a str, &'a str);

/// A row of `search_words`: the person, the word, their word before it, and what it was cut
/// from.
type Row<'a> = (UserId, String, Option<String>, &'a str, &'a str);

/// A person's rows, each word with the one before it, so that a search can tell a person's
/// first word in its range from the row alone.
fn rows<'a>(user: UserId, name_key: &'a str, email: &'a str) -> impl Iterator<Item = Row<'a>> {
    let words = words(name_key, email);
    let previous = std::iter::once(None).chain(words.iter().cloned().map(Some)).collect::<Vec<_>>();
    words.into_iter().zip(previous).map(move |(word, previous)| (user, word, previous, name_key, email))
}

/// Writing a person's words, inside a caller's transaction.
pub trait SearchWords {
    /// Writes the words of each person, who have none yet (or only these).
    fn write_words(
        &mut self,
        people: &[Person<'_>],
    ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send;

    /// Removes a person's words, before their name or email changes.
    fn drop_words(
        &mut self,
        user: UserId,
    ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send;
}

impl_for_connections! {
    impl SearchWords {
        async fn write_words(&mut self, people: &[Person<'_>]) -> Result<(), sqlx::Error> {
            let rows: Vec<Row> =
                people.iter().flat_map(|&(user, name_key, email)| rows(user, name_key, email)).collect();
            for chunk in rows.chunks(BATCH) {
                let mut sql = sqlx::QueryBuilder::new(
                    "INSERT INTO search_words (user_id, word, previous, name_key, email) ",
                );
                sql.push_values(chunk, |mut row, (user, word, previous, name_key, email)| {
                    row.push_bind(*user).push_bind(word.clone()).push_bind(previous.clone());
                    row.push_bind(*name_key).push_bind(*email);
                });
                sql.push(" ON CONFLICT (word, user_id) DO NOTHING");
                sql.build().execute(&mut *self).await?;
            }
            Ok(())
        }

        async fn drop_words(&mut self, user: UserId) -> Result<(), sqlx::Error> {
            sqlx::query("DELETE FROM search_words WHERE user_id = $1").bind(user).execute(&mut *self).await?;
            Ok(())
        }
    }
}

/// Writes the words of the people who were here before `search_words` was, if the
/// migration that made it left them to do: a batch of people per transaction, so that a
/// stop halfway loses nothing (the next start goes on from the top, skipping what is done).
pub async fn catch_up(db: &Db) -> Result<(), sqlx::Error> {
    with_db!(db, |pool| {
        let backlog: Option<i64> = sqlx::query_scalar("SELECT value FROM tallies WHERE name = $1")
            .bind(BACKLOG)
            .fetch_optional(pool)
            .await?;
        let Some(backlog) = backlog else { return Ok(()) };
        tracing::info!(people = backlog, "writing the search words of the people already here");
        let mut after = UserId(0);
        loop {
            let people: Vec<(UserId, String, String)> =
                sqlx::query_as("SELECT id, name_key, email FROM users WHERE id > $1 ORDER BY id LIMIT $2")
                    .bind(after)
                    .bind(BATCH as i64 * 4)
                    .fetch_all(pool)
                    .await?;
            let Some(last) = people.last() else { break };
            after = last.0;
            let people: Vec<Person> = people.iter().map(|(id, n, e)| (*id, n.as_str(), e.as_str())).collect();
            let mut tx = pool.begin_write().await?;
            tx.write_words(&people).await?;
            tx.commit().await?;
            tracing::info!(up_to = after.0, "search words written");
        }
        sqlx::query("DELETE FROM tallies WHERE name = $1").bind(BACKLOG).execute(pool).await?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_person_is_found_by_each_later_word_and_each_part_of_their_email() {
        assert_eq!(
            words("bob van der brown", "bob.brown+news@mail-box.example.com"),
            [
                "box.example.com",
                "brown",
                "brown+news@mail-box.example.com",
                "com",
                "der brown",
                "example.com",
                "mail-box.example.com",
                "news@mail-box.example.com",
                "van der brown",
            ]
        );
    }

    #[test]
    fn breaks_in_a_row_and_at_either_end_start_no_empty_word() {
        assert_eq!(words("mary-jane  o'neil-", "a..b@c"), ["b@c", "c", "jane  o'neil-", "o'neil-"]);
        assert_eq!(words("cher", "cher@x"), ["x"]);
        assert!(words("", "").is_empty());
    }

    #[test]
    fn a_word_found_once_is_kept_once() {
        assert_eq!(words("ann ann", "ann@ann"), ["ann"]);
    }

    #[test]
    fn each_word_names_the_one_before_it() {
        let rows: Vec<_> = rows(UserId(7), "al bo", "al.bee@x").map(|(_, w, p, ..)| (w, p)).collect();
        let named = |w: &str, p: Option<&str>| (w.to_owned(), p.map(str::to_owned));
        assert_eq!(rows, [named("bee@x", None), named("bo", Some("bee@x")), named("x", Some("bo"))]);
    }

    #[test]
    fn the_first_matching_word_places_a_person_among_word_matches() {
        let range = crate::server::lists::prefix_range("b");
        assert_eq!(first_word_in("al bo", "al.bee@x.org", &range).as_deref(), Some("bee@x.org"));
        assert_eq!(first_word_in("al bo", "al@x.org", &range).as_deref(), Some("bo"));
        assert_eq!(first_word_in("al co", "al@x.org", &range), None);
    }
}
