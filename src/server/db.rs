//! The database: one pool, SQLite or PostgreSQL, chosen by the URL at start.
//!
//! Why an enum and not `sqlx::Any`: `Any` pushes every value through a dynamic type with no
//! timestamps and hides what a backend needs, such as SQLite's `BEGIN IMMEDIATE`. Here each
//! query body is written once and compiled once per backend by [`with_db!`], keeping native
//! types and static dispatch. Both drivers are always built in, so one binary serves either
//! database. The SQL sticks to what both accept (`$1` parameters, `RETURNING`,
//! `ON CONFLICT`) and says so where a backend needs its own words.

use std::{future::Future, path::Path, str::FromStr, time::Duration};

use anyhow::Context;

pub use super::config::Durability;
use sqlx::{
    error::ErrorKind,
    postgres::{PgConnectOptions, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    PgPool, Postgres, Sqlite, SqlitePool, Transaction,
};

#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the concrete pool, compiling it once per backend:
/// `with_db!(db, |pool| sqlx::query(…).execute(pool).await)`. The body is written as a
/// closure only so that rustfmt formats it; it is pasted in place, not called, so `.await`
/// and `?` in it belong to the enclosing function.
#[macro_export]
macro_rules! with_db {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::server::db::Db::Sqlite($pool) => $body,
            $crate::server::db::Db::Postgres($pool) => $body,
        }
    };
}

/// Implements a trait for both backends' connections with one body, as [`with_db!`] runs
/// one body on both pools: statements a transaction runs are written once, as methods, and
/// compiled once per backend, with no generic bounds to spell out. Call them on a
/// transaction inside [`with_db!`] (`tx.accounts(…)`).
#[macro_export]
macro_rules! impl_for_connections {
    (impl $trait:ident { $($items:tt)* }) => {
        impl $trait for sqlx::SqliteConnection {
            $($items)*
        }
        impl $trait for sqlx::PgConnection {
            $($items)*
        }
    };
}

/// Which SQL dialect a pool speaks, for the few statements that differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The dialect of the database `DB`, for SQL written for either.
    pub fn of<DB: sqlx::Database>() -> Dialect {
        if DB::NAME == <Sqlite as sqlx::Database>::NAME {
            Dialect::Sqlite
        } else {
            Dialect::Postgres
        }
    }
}

/// What both pools offer to a body inside [`with_db!`].
pub trait Pool {
    type Db: sqlx::Database;
    const DIALECT: Dialect;

    /// Starts a transaction that will write. On SQLite it takes the write lock up front, so
    /// a transaction that reads and then writes never fails with "database is locked".
    fn begin_write(&self)
        -> impl Future<Output = Result<Transaction<'static, Self::Db>, sqlx::Error>> + Send;
}

impl Pool for SqlitePool {
    type Db = Sqlite;
    const DIALECT: Dialect = Dialect::Sqlite;

    fn begin_write(&self) -> impl Future<Output = Result<Transaction<'static, Sqlite>, sqlx::Error>> + Send {
        self.begin_with("BEGIN IMMEDIATE")
    }
}

impl Pool for PgPool {
    type Db = Postgres;
    const DIALECT: Dialect = Dialect::Postgres;

    fn begin_write(
        &self,
    ) -> impl Future<Output = Result<Transaction<'static, Postgres>, sqlx::Error>> + Send {
        self.begin()
    }
}

/// The dialect of the pool `_pool` without naming its type.
pub fn dialect_of<P: Pool>(_pool: &P) -> Dialect {
    P::DIALECT
}

/// How [`Db::open`] opens a database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Open {
    /// Whether a missing SQLite file (and its folder) is created: only for `serve` and
    /// `migrate`, so that a mistyped path never quietly yields a new, empty database.
    pub create: bool,
    pub durability: Durability,
    /// The longest a statement waits for a pooled connection, or for SQLite's write lock.
    pub wait: Duration,
    /// On PostgreSQL, the longest any statement may run (`statement_timeout`).
    pub statement_timeout: Option<Duration>,
}

impl Open {
    /// How `serve` and the CLI open the database `settings` name: `create` only for `serve`
    /// and `migrate`.
    pub fn from_settings(settings: &super::config::Settings, create: bool) -> Open {
        Open {
            create,
            durability: settings.sqlite_synchronous,
            wait: Duration::from_secs(settings.database_wait_secs.into()),
            statement_timeout: Some(settings.request_timeout()),
        }
    }

    /// Creates what is missing, with durable commits and the default waits: a fresh
    /// database for tests and tools.
    pub const CREATE: Open = Open {
        create: true,
        durability: Durability::Full,
        wait: Duration::from_secs(5),
        statement_timeout: None,
    };
}

impl Db {
    /// Opens a pool for `url`; a SQLite file and its folder are created when missing.
    pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Db> {
        Db::open(url, max_connections, Open::CREATE).await
    }

    /// Opens a pool for `url`, as `how` says.
    pub async fn open(url: &str, max_connections: u32, how: Open) -> anyhow::Result<Db> {
        if url.starts_with("sqlite:") {
            let synchronous = match how.durability {
                Durability::Full => SqliteSynchronous::Full,
                Durability::Normal => SqliteSynchronous::Normal,
            };
            let options = SqliteConnectOptions::from_str(url)
                .with_context(|| format!("invalid SQLite URL {url:?}"))?
                .create_if_missing(how.create)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(synchronous)
                .busy_timeout(how.wait)
                .foreign_keys(true)
                // A page of a list is 51 rows: the connection's thread hands them all over
                // without waiting for the request to take the first (the default holds 50).
                .row_buffer_size(128)
                // 16 MiB of pages per connection rather than 2: at ten million links the
                // index levels that every page's lookups pass through stay in memory.
                .pragma("cache_size", "-16384")
                // Reads the first 2 GiB of the file (SQLite's most, as built) through a
                // memory map, not a copy out of the OS's cache on each miss of the page cache
                // above: a users search at ten million links took 14% less CPU (BENCHMARKS.md).
                .pragma("mmap_size", "2147418112");
            let file = options.get_filename().to_path_buf();
            if !how.create && !file.exists() && file.as_path() != Path::new(":memory:") {
                anyhow::bail!(
                    "there is no database at {}: check database_url, or create it with `roster migrate`",
                    std::path::absolute(&file).unwrap_or(file.clone()).display()
                );
            }
            if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
                if !dir.exists() && file.as_path() != Path::new(":memory:") {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("cannot create {}", dir.display()))?;
                }
            }
            let pool = SqlitePoolOptions::new()
                .max_connections(max_connections)
                // An embedded file has no connection to lose: the check before each use only
                // cost a round trip to the connection's thread.
                .test_before_acquire(false)
                .acquire_timeout(how.wait)
                .after_release(close_if_inside_a_transaction::<Sqlite>)
                .connect_with(options)
                .await
                .with_context(|| format!("cannot open SQLite database {}", file.display()))?;
            Ok(Db::Sqlite(pool))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            // Each statement reads a page or counts to a bound: workers of a parallel plan
            // can't make that shorter, only add their start-up (3.5 ms became 12.8 ms for a
            // search's count at 10M) and take cores from the requests beside it.
            // And each runs its generic plan, planned once a connection: the plan
            // tests/plans.rs checks for every list. Left to choose, PostgreSQL planned a
            // search afresh on every run at 10M (its generic plan reckoned dearer than the
            // values' own), 0.2–0.75 ms of its CPU a statement; a search by surname took
            // 5.6 ms a page, 3.3 ms with the generic plan (2.9 ms at 100k).
            let mut options = PgConnectOptions::from_str(url).context("invalid PostgreSQL URL")?.options([
                ("max_parallel_workers_per_gather", "0"),
                ("plan_cache_mode", "force_generic_plan"),
            ]);
            if let Some(limit) = how.statement_timeout {
                // A stuck statement (a lock never released, a runaway plan) ends with an
                // error the request answers with 503, instead of holding its connection.
                options = options.options([("statement_timeout", format!("{}ms", limit.as_millis()))]);
            }
            let pool = PgPoolOptions::new()
                .max_connections(max_connections)
                .after_release(close_if_inside_a_transaction::<Postgres>)
                .acquire_timeout(how.wait)
                .connect_with(options)
                .await
                .context("cannot connect to PostgreSQL")?;
            Ok(Db::Postgres(pool))
        } else {
            anyhow::bail!("database_url must start with sqlite: or postgres:, not {url:?}")
        }
    }

    /// Applies the migrations for this backend that have not run yet; returns how many ran.
    pub async fn migrate(&self) -> anyhow::Result<usize> {
        let before = applied_count(self).await;
        match self {
            Db::Sqlite(pool) => sqlx::migrate!("./migrations/sqlite").run(pool).await,
            Db::Postgres(pool) => migrate_postgres(pool).await,
        }
        .context("migrating the database failed")?;
        super::lists::words::catch_up(self).await.context("writing the search words failed")?;
        Ok(applied_count(self).await.saturating_sub(before))
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            Db::Sqlite(_) => Dialect::Sqlite,
            Db::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Runs one statement with no parameters; returns the rows it affected.
    pub async fn execute(&self, sql: &str) -> Result<u64, sqlx::Error> {
        with_db!(self, |pool| sqlx::query(sql).execute(pool).await.map(|r| r.rows_affected()))
    }

    pub async fn close(&self) {
        with_db!(self, |pool| pool.close().await)
    }
}

/// Runs PostgreSQL's migrations on a connection without a time limit ([`unlimited`]):
/// stopping one that rewrites a table of millions of rows halfway would leave the app
/// unable to start.
async fn migrate_postgres(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    let mut conn = unlimited(pool).await?;
    sqlx::migrate!("./migrations/postgres").run(&mut conn).await?;
    sqlx::Connection::close(conn).await?;
    Ok(())
}

/// A connection of its own, out of the pool, without the pool's `statement_timeout`, for
/// the work that takes minutes on a big database (a migration, the seed's VACUUM): a request
/// must not wait on a stuck statement, but these are meant to run long. Close it after, so
/// that the setting never reaches the pool.
pub async fn unlimited(pool: &PgPool) -> Result<sqlx::PgConnection, sqlx::Error> {
    let mut conn = pool.acquire().await?.detach();
    sqlx::query("SET statement_timeout = 0").execute(&mut conn).await?;
    Ok(conn)
}

/// Whether a connection handed back to the pool may be pooled again.
///
/// A request cancelled at the wrong moment (its client gone just as BEGIN completed) can hand
/// back a connection inside a transaction that nothing will finish; on SQLite it would hold
/// the write lock. Such a connection is closed, which rolls it back, instead of being reused.
/// (sqlx queues the rollback of a dropped transaction; the ping lets a queued one run first.)
fn close_if_inside_a_transaction<DB: sqlx::Database>(
    conn: &mut DB::Connection,
    _: sqlx::pool::PoolConnectionMetadata,
) -> std::pin::Pin<Box<dyn Future<Output = Result<bool, sqlx::Error>> + Send + '_>> {
    Box::pin(async move {
        use sqlx::{Connection, TransactionManager};
        let depth = <DB::TransactionManager as TransactionManager>::get_transaction_depth;
        if depth(conn) == 0 {
            return Ok(true);
        }
        conn.ping().await?;
        let open = depth(conn);
        if open > 0 {
            tracing::warn!(depth = open, "closing a connection left inside a transaction");
        }
        Ok(open == 0)
    })
}

/// Migrations recorded as applied; 0 before the first run.
async fn applied_count(db: &Db) -> usize {
    let sql = "SELECT COUNT(*) FROM _sqlx_migrations WHERE success";
    let count: Result<i64, _> = with_db!(db, |pool| sqlx::query_scalar(sql).fetch_one(pool).await);
    count.map(|n| n as usize).unwrap_or(0)
}

/// True when `err` is the database refusing a duplicate under a unique constraint.
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(e) if e.kind() == ErrorKind::UniqueViolation)
}

/// A rule the schema's triggers guard (migrations/*/0002_rules.sql).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    ProfileNeedsAManager,
    AdminRoleIsPermanent,
    LastAdmin,
    HistoryIsAppendOnly,
}

/// The rule `err` reports breaking, if it is one of ours.
///
/// PostgreSQL's guards set the constraint name. SQLite's `RAISE(ABORT, 'name')` fails with
/// the extended code SQLITE_CONSTRAINT_TRIGGER (1811), and its message is the rule's name.
pub fn broken_rule(err: &sqlx::Error) -> Option<Rule> {
    const SQLITE_CONSTRAINT_TRIGGER: &str = "1811";
    let sqlx::Error::Database(e) = err else { return None };
    let name = match e.constraint() {
        Some(name) => name,
        None if e.code().as_deref() == Some(SQLITE_CONSTRAINT_TRIGGER) => e.message(),
        None => return None,
    };
    match name {
        "profile_needs_a_manager" => Some(Rule::ProfileNeedsAManager),
        "admin_role_is_permanent" => Some(Rule::AdminRoleIsPermanent),
        "last_admin" => Some(Rule::LastAdmin),
        "history_is_append_only" => Some(Rule::HistoryIsAppendOnly),
        _ => None,
    }
}

/// True when `err` is a foreign key pointing at a row that doesn't exist.
pub fn is_foreign_key_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(e) if e.kind() == ErrorKind::ForeignKeyViolation)
}
