//! Limits on guessing and on sign-ups, kept in the database so every server process and
//! every restart shares them.
//!
//! An account allows [`PER_ACCOUNT`] failed sign-ins in [`WINDOW_SECS`], at most 40 an hour:
//! well inside OWASP ASVS's 100 an hour. A browser that has signed in to the account before
//! (a trusted device, `access::session`) has [`PER_ACCOUNT`] of its own instead, so a
//! stranger's guesses can't lock the owner out. A client address allows [`PER_ADDRESS`]
//! failures, so one address can't try a few passwords on each of many accounts for long, and
//! as many new accounts as the `signups_per_address` setting says. Past a limit, every
//! attempt is refused with 429 before any password is checked or hashed, until the oldest
//! attempt leaves the window.
//!
//! An attempt is counted before its password is checked, in the same transaction as the check
//! of the limit ([`claim`]), so that guesses sent in parallel can't all pass the check before
//! any of them is counted; a sign-in that succeeds then takes its claim back ([`forgive`]).

use std::net::IpAddr;

use crate::{
    error::AppError,
    server::db::{dialect_of, Db, Dialect, Pool},
    with_db,
};

pub const WINDOW_SECS: i64 = 15 * 60;
pub const PER_ACCOUNT: i64 = 10;
pub const PER_ADDRESS: i64 = 50;
/// The window of the limit on bulk requests (the `bulk_per_minute` setting).
pub const BULK_WINDOW_SECS: i64 = 60;

/// What is being limited: it words the refusal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limited {
    SignIn,
    Registration,
    Bulk,
    /// Asking for a password reset link.
    Reset,
    /// Asking for a confirmation link again.
    Confirmation,
}

/// One counter an attempt is counted against, and how many attempts it allows in its window
/// ([`WINDOW_SECS`] unless said otherwise).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Key {
    pub name: String,
    pub limit: i64,
    pub window: i64,
}

/// Whom a sign-in is counted against: the account (or the trusted browser) and the address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Guesser<'a> {
    /// Any browser: the account as typed, lower-cased, known or not, so limits don't tell
    /// which accounts exist.
    Anyone { email: &'a str },
    /// A browser that has signed in to the account before: its device id.
    TrustedDevice { device: &'a str },
}

/// The keys a sign-in attempt counts against: the account or the trusted browser, and the
/// client address, when known.
pub fn sign_in_keys(guesser: Guesser<'_>, address: Option<IpAddr>) -> Vec<Key> {
    let first = match guesser {
        // Control characters dropped: no email holds one, and a NUL can't be stored.
        Guesser::Anyone { email } => format!(
            "account:{}",
            email.trim().to_lowercase().chars().filter(|c| !c.is_control()).take(254).collect::<String>()
        ),
        Guesser::TrustedDevice { device } => format!("device:{device}"),
    };
    let mut keys = vec![Key { name: first, limit: PER_ACCOUNT, window: WINDOW_SECS }];
    if let Some(ip) = address {
        keys.push(Key { name: format!("address:{ip}"), limit: PER_ADDRESS, window: WINDOW_SECS });
    }
    keys
}

/// The key bulk work counts against: the person doing it, allowing `per_minute`.
pub fn bulk_keys(user: crate::domain::UserId, per_minute: u32) -> Vec<Key> {
    vec![Key { name: format!("bulk:{user}"), limit: i64::from(per_minute), window: BULK_WINDOW_SECS }]
}

/// The key a registration counts against: its address, when known, allowing `per_address`.
pub fn registration_keys(address: Option<IpAddr>, per_address: u32) -> Vec<Key> {
    let limit = i64::from(per_address);
    address.map(|ip| Key { name: format!("register:{ip}"), limit, window: WINDOW_SECS }).into_iter().collect()
}

/// How many reset links may be asked for in [`WINDOW_SECS`] from one client address, and for
/// one email address.
pub const RESETS_PER_ADDRESS: i64 = 20;
pub const RESETS_PER_ACCOUNT: i64 = 3;

/// The keys a request for a reset link counts against: the address typed (known or not, so
/// the limit tells nothing of which have accounts), and the client's address, when known.
pub fn reset_keys(email: &crate::domain::Email, address: Option<IpAddr>) -> Vec<Key> {
    let mut keys = vec![Key {
        name: format!("reset:{}", email.as_str()),
        limit: RESETS_PER_ACCOUNT,
        window: WINDOW_SECS,
    }];
    if let Some(ip) = address {
        keys.push(Key { name: format!("reset-from:{ip}"), limit: RESETS_PER_ADDRESS, window: WINDOW_SECS });
    }
    keys
}

/// The keys a request for a new confirmation link counts against, as [`reset_keys`] for
/// reset links.
pub fn confirmation_keys(email: &crate::domain::Email, address: Option<IpAddr>) -> Vec<Key> {
    let mut keys = vec![Key {
        name: format!("confirm:{}", email.as_str()),
        limit: RESETS_PER_ACCOUNT,
        window: WINDOW_SECS,
    }];
    if let Some(ip) = address {
        keys.push(Key { name: format!("confirm-from:{ip}"), limit: RESETS_PER_ADDRESS, window: WINDOW_SECS });
    }
    keys
}

/// An attempt's claim on its keys, to [`forgive`] if the attempt turns out well.
#[derive(Debug)]
pub struct Claim(String);

/// Refuses with 429 if any key has used up its attempts; otherwise counts this attempt against
/// every key, in the same transaction. The error says when to retry.
pub async fn claim(db: &Db, what: Limited, keys: &[Key], now: i64) -> Result<Claim, AppError> {
    let attempt = crate::access::session::random_token();
    let refused: Option<u64> = with_db!(db, |pool| {
        let mut tx = pool.begin_write().await?;
        if dialect_of(pool) == Dialect::Postgres {
            // The sweep below keeps [`WINDOW_SECS`], the longest window. SQLite's write lock
            // already queues every claim; PostgreSQL queues those on the
            // same keys, taken in one order so that two claims can't wait for each other.
            let mut names: Vec<&str> = keys.iter().map(|k| k.name.as_str()).collect();
            names.sort_unstable();
            for name in names {
                sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
                    .bind(name)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        let mut refused = None;
        for key in keys {
            let (count, oldest): (i64, Option<i64>) =
                sqlx::query_as("SELECT COUNT(*), MIN(at) FROM sign_in_failures WHERE key = $1 AND at > $2")
                    .bind(&key.name)
                    .bind(now - key.window)
                    .fetch_one(&mut *tx)
                    .await?;
            if count >= key.limit {
                tracing::warn!(key = key.name, count, "attempt limited");
                refused = Some((oldest.unwrap_or(now) + key.window - now).max(1) as u64);
                break;
            }
        }
        if refused.is_none() {
            sqlx::query("DELETE FROM sign_in_failures WHERE at <= $1")
                .bind(now - WINDOW_SECS)
                .execute(&mut *tx)
                .await?;
            for key in keys {
                sqlx::query("INSERT INTO sign_in_failures (key, at, attempt) VALUES ($1, $2, $3)")
                    .bind(&key.name)
                    .bind(now)
                    .bind(&attempt)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        }
        Ok::<_, sqlx::Error>(refused)
    })?;
    match refused {
        Some(retry_after) => Err(too_many(what, retry_after)),
        None => Ok(Claim(attempt)),
    }
}

pub fn too_many(what: Limited, retry_after: u64) -> AppError {
    let minutes = retry_after.div_ceil(60);
    let when = if minutes <= 1 { "a minute".to_owned() } else { format!("{minutes} minutes") };
    let message = match what {
        Limited::SignIn => format!("Too many failed sign-ins. Try again in {when}."),
        Limited::Registration => format!("Too many new accounts from your address. Try again in {when}."),
        Limited::Bulk => format!("Too many bulk changes in a short time. Try again in {when}."),
        Limited::Reset => format!("Too many reset links asked for. Try again in {when}."),
        Limited::Confirmation => format!("Too many confirmation links asked for. Try again in {when}."),
    };
    AppError::TooManyRequests { message, retry_after }
}

/// Takes back a sign-in's claim, which then never counted. With `clear`, the first key's
/// earlier failures go too: a successful sign-in clears the account's (or the browser's)
/// failures, but not the address's.
pub async fn forgive(db: &Db, claim: Claim, clear: Option<&Key>) -> Result<(), AppError> {
    with_db!(db, |pool| {
        let mut tx = pool.begin_write().await?;
        sqlx::query("DELETE FROM sign_in_failures WHERE attempt = $1")
            .bind(&claim.0)
            .execute(&mut *tx)
            .await?;
        if let Some(key) = clear {
            sqlx::query("DELETE FROM sign_in_failures WHERE key = $1")
                .bind(&key.name)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_retry_message_says_when_and_what() {
        assert_eq!(
            too_many(Limited::SignIn, 30).to_string(),
            "Too many failed sign-ins. Try again in a minute."
        );
        assert_eq!(
            too_many(Limited::SignIn, 14 * 60 + 1).to_string(),
            "Too many failed sign-ins. Try again in 15 minutes."
        );
        assert_eq!(
            too_many(Limited::Registration, 90).to_string(),
            "Too many new accounts from your address. Try again in 2 minutes."
        );
        assert_eq!(too_many(Limited::SignIn, 30).status(), 429);
    }

    #[test]
    fn an_account_key_ignores_case_and_spaces_and_an_address_is_optional() {
        let ip: IpAddr = "10.0.0.7".parse().unwrap();
        let key = |name: &str, limit| Key { name: name.to_owned(), limit, window: WINDOW_SECS };
        assert_eq!(
            sign_in_keys(Guesser::Anyone { email: " Ada@Example.com " }, None),
            vec![key("account:ada@example.com", PER_ACCOUNT)]
        );
        assert_eq!(
            sign_in_keys(Guesser::Anyone { email: "a@b.c" }, Some(ip))[1],
            key("address:10.0.0.7", PER_ADDRESS)
        );
        assert_eq!(
            sign_in_keys(Guesser::Anyone { email: "ada\0@example.com\u{7}" }, None)[0].name,
            "account:ada@example.com"
        );
        assert_eq!(sign_in_keys(Guesser::TrustedDevice { device: "ab12" }, None)[0].name, "device:ab12");
        assert_eq!(registration_keys(Some(ip), 20), vec![key("register:10.0.0.7", 20)]);
        assert!(registration_keys(None, 20).is_empty());
    }
}
