//! Limits on failed sign-ins, per account and per client address, kept in the database so
//! every server process and every restart shares them.
//!
//! An account allows [`PER_ACCOUNT`] failures in [`WINDOW_SECS`], at most 40 an hour: well
//! inside OWASP ASVS's 100 an hour. A client address allows [`PER_ADDRESS`], so one
//! address can't try a few passwords on each of many accounts for long. Past a limit, every
//! attempt is refused with 429 before any password is checked, until the oldest failure
//! leaves the window.

use std::net::IpAddr;

use crate::{
    error::AppError,
    server::db::{Db, Pool},
    with_db,
};

pub const WINDOW_SECS: i64 = 15 * 60;
pub const PER_ACCOUNT: i64 = 10;
pub const PER_ADDRESS: i64 = 50;

/// The keys an attempt counts against: the account (the email as typed, lower-cased, known or
/// not, so limits don't tell which accounts exist) and the client address, when known.
pub fn keys(email: &str, address: Option<IpAddr>) -> Vec<(String, i64)> {
    let mut keys = vec![(
        // Control characters dropped: no email holds one, and a NUL can't be stored.
        format!(
            "account:{}",
            email.trim().to_lowercase().chars().filter(|c| !c.is_control()).take(254).collect::<String>()
        ),
        PER_ACCOUNT,
    )];
    if let Some(ip) = address {
        keys.push((format!("address:{ip}"), PER_ADDRESS));
    }
    keys
}

/// Refuses with 429 if any key has used up its failures; the error says when to retry.
pub async fn check(db: &Db, keys: &[(String, i64)], now: i64) -> Result<(), AppError> {
    for (key, limit) in keys {
        let (count, oldest): (i64, Option<i64>) = with_db!(db, pool => {
            sqlx::query_as("SELECT COUNT(*), MIN(at) FROM sign_in_failures WHERE key = $1 AND at > $2")
                .bind(key)
                .bind(now - WINDOW_SECS)
                .fetch_one(pool)
                .await
        })?;
        if count >= *limit {
            let retry_after = (oldest.unwrap_or(now) + WINDOW_SECS - now).max(1) as u64;
            tracing::warn!(key, count, "sign-in limited");
            return Err(too_many(retry_after));
        }
    }
    Ok(())
}

pub fn too_many(retry_after: u64) -> AppError {
    let minutes = retry_after.div_ceil(60);
    let when = if minutes <= 1 { "a minute".to_owned() } else { format!("{minutes} minutes") };
    AppError::TooManyRequests {
        message: format!("Too many failed sign-ins. Try again in {when}."),
        retry_after,
    }
}

/// Records a failure against every key, and sweeps failures that left the window.
pub async fn record_failure(db: &Db, keys: &[(String, i64)], now: i64) -> Result<(), AppError> {
    with_db!(db, pool => {
        let mut tx = pool.begin_write().await?;
        sqlx::query("DELETE FROM sign_in_failures WHERE at <= $1")
            .bind(now - WINDOW_SECS)
            .execute(&mut *tx)
            .await?;
        for (key, _) in keys {
            sqlx::query("INSERT INTO sign_in_failures (key, at) VALUES ($1, $2)")
                .bind(key)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await
    })?;
    Ok(())
}

/// A successful sign-in clears the account's failures (not the address's).
pub async fn clear_account(db: &Db, keys: &[(String, i64)]) -> Result<(), AppError> {
    if let Some((key, _)) = keys.first() {
        with_db!(db, pool => {
            sqlx::query("DELETE FROM sign_in_failures WHERE key = $1").bind(key).execute(pool).await.map(drop)
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_retry_message_says_when() {
        assert_eq!(too_many(30).to_string(), "Too many failed sign-ins. Try again in a minute.");
        assert_eq!(too_many(14 * 60 + 1).to_string(), "Too many failed sign-ins. Try again in 15 minutes.");
        assert_eq!(too_many(30).status(), 429);
    }

    #[test]
    fn an_account_key_ignores_case_and_spaces_and_an_address_is_optional() {
        let ip: IpAddr = "10.0.0.7".parse().unwrap();
        assert_eq!(
            keys(" Ada@Example.com ", None),
            vec![("account:ada@example.com".to_owned(), PER_ACCOUNT)]
        );
        assert_eq!(keys("a@b.c", Some(ip))[1], ("address:10.0.0.7".to_owned(), PER_ADDRESS));
        assert_eq!(keys("ada\0@example.com\u{7}", None)[0].0, "account:ada@example.com");
    }
}
