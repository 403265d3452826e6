//! `roster backup FILE`: a consistent copy of a live SQLite database.
//!
//! `VACUUM INTO` reads the database inside one read transaction, so the copy is the database
//! as of one moment, whatever the server writes meanwhile, and it never blocks the server's
//! writers (WAL mode). It writes beside FILE first; the copy must pass SQLite's integrity and
//! foreign-key checks before it is renamed into place, so FILE is either a good backup or
//! absent.

use std::{path::Path, time::Instant};

use anyhow::{bail, Context};
use sqlx::{sqlite::SqliteConnectOptions, ConnectOptions, Connection};

use super::db::Db;
use crate::error::AppError;

pub async fn backup(db: &Db, file: &Path) -> Result<String, super::cli::Failure> {
    let Db::Sqlite(pool) = db else {
        return Err(AppError::invalid(
            "database_url",
            "roster backup copies SQLite databases. For PostgreSQL, use pg_dump (see the README).",
        )
        .into());
    };
    if file.exists() {
        return Err(
            AppError::Conflict(format!("{} already exists; choose a new file.", file.display())).into()
        );
    }
    let started = Instant::now();
    let partial = file.with_extension("partial");
    let _ = std::fs::remove_file(&partial);
    let spinner =
        indicatif::ProgressBar::new_spinner().with_message(format!("Copying to {}…", file.display()));
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    let outcome = async {
        let target = partial.to_str().context("the backup path must be valid UTF-8")?;
        sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(pool)
            .await
            .context("copying the database failed")?;
        spinner.set_message("Checking the copy…");
        check(&partial).await
    }
    .await;
    spinner.finish_and_clear();
    if let Err(err) = outcome {
        let _ = std::fs::remove_file(&partial);
        return Err(err.into());
    }
    std::fs::rename(&partial, file).with_context(|| format!("cannot move the copy to {}", file.display()))?;
    let bytes = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    tracing::info!(file = %file.display(), bytes, "backup written");
    Ok(format!(
        "Backed up to {} ({:.1} MB) in {:.1} s; the copy passed its integrity and foreign-key checks.",
        file.display(),
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    ))
}

/// Opens the copy read-only and runs SQLite's own checks on it.
async fn check(copy: &Path) -> anyhow::Result<()> {
    let mut conn = SqliteConnectOptions::new().filename(copy).read_only(true).connect().await?;
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&mut conn).await?;
    let broken_links: Vec<(String,)> =
        sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check").fetch_all(&mut conn).await?;
    conn.close().await?;
    if integrity != "ok" {
        bail!("the copy failed its integrity check: {integrity}");
    }
    if !broken_links.is_empty() {
        bail!("the copy has {} broken foreign keys", broken_links.len());
    }
    Ok(())
}
