//! Database access: the connection pool, embedded migrations, and one module per aggregate.
//! Every function returns domain types; SQL stays inside this folder.

pub mod accounts;
pub mod applications;
pub mod badges;
pub mod crawl_pace;
pub mod enforcement;
pub mod gauges;
pub mod leases;
pub mod notices;
pub mod outbox;
pub mod oversight;
pub mod password_resets;
pub mod red_pages;
pub mod register;
pub mod sessions;
pub mod sightings;
pub mod site_requests;
pub mod sweep_claims;
pub mod sweeps;
pub mod throttle_counts;
pub mod tipoffs;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How long a write waits for another to end before it fails.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Rows buffered between `SQLite`'s worker thread and the reader (sqlx's default is 50).
const ROW_CHANNEL_SIZE: usize = 4096;

/// The database the service runs on: the embedded `SQLite` file by default, or a `PostgreSQL`
/// server shared by several instances and workers. Every store function takes either and runs
/// the same SQL on both (see [`on_pool!`](crate::on_pool)).
#[derive(Debug, Clone)]
pub enum Pool {
    /// An embedded `SQLite` database.
    Sqlite(SqliteDb),
    /// A `PostgreSQL` server.
    Postgres(PgPool),
}

/// An embedded `SQLite` database: its connections, and the queue in which this process's write
/// transactions wait for their turn.
///
/// `SQLite` lets one connection write at a time. A transaction begun while another connection
/// holds the write lock polls for it in `SQLite`'s busy handler, asleep for 1, 2, 5, 10, 15,
/// 20… ms between tries, and may sleep on after the lock is free. A sweep's sites often finish
/// two at a time, one on each of its two connections: its site transactions slept 34-52 times
/// per 50-site sweep (BENCHMARKS.md §3, session 21). Queued here, the next transaction starts as
/// soon as the one before ends.
/// Other processes on the same file (a server beside a sweep) still meet in the busy handler.
#[derive(Debug, Clone)]
pub struct SqliteDb {
    pool: SqlitePool,
    writer: Arc<Semaphore>,
}

impl SqliteDb {
    fn new(pool: SqlitePool) -> Self {
        Self { pool, writer: Arc::new(Semaphore::new(1)) }
    }

    /// The connections.
    #[must_use]
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Waits for this process's turn to write (at most the busy timeout, as `SQLite` would),
    /// then begins the transaction `IMMEDIATE`.
    async fn begin(&self) -> Result<Tx, sqlx::Error> {
        let turn = tokio::time::timeout(BUSY_TIMEOUT, self.writer.clone().acquire_owned())
            .await
            .map_err(|_| {
                let waited = format!("waited {BUSY_TIMEOUT:?} for this process's turn to write to SQLite");
                sqlx::Error::Io(std::io::Error::new(std::io::ErrorKind::TimedOut, waited))
            })?
            .expect("the write queue is never closed");
        Ok(Tx::Sqlite(self.pool.begin_with("BEGIN IMMEDIATE").await?, turn))
    }
}

/// A database transaction; dropped without [`Tx::commit`], it is rolled back.
#[derive(Debug)]
pub enum Tx {
    /// On `SQLite`, with this process's turn to write, given back when the transaction is
    /// committed or dropped (fields drop in order: the rollback is queued first).
    Sqlite(Transaction<'static, Sqlite>, OwnedSemaphorePermit),
    /// On `PostgreSQL`.
    Postgres(Transaction<'static, Postgres>),
}

/// Runs `$body` with `$p` bound to the pool's own driver pool (`&SqlitePool` or `&PgPool`):
/// the body is written once and compiled for both databases.
#[macro_export]
macro_rules! on_pool {
    ($pool:expr, $p:ident => $body:expr) => {
        match $pool {
            $crate::store::Pool::Sqlite(db) => {
                let $p = db.pool();
                $body
            }
            $crate::store::Pool::Postgres($p) => $body,
        }
    };
}

/// Runs `$body` with `$c` bound to the transaction's connection (`&mut SqliteConnection` or
/// `&mut PgConnection`).
#[macro_export]
macro_rules! on_tx {
    ($tx:expr, $c:ident => $body:expr) => {
        match $tx {
            $crate::store::Tx::Sqlite(t, _) => {
                let $c: &mut ::sqlx::SqliteConnection = &mut *t;
                $body
            }
            $crate::store::Tx::Postgres(t) => {
                let $c: &mut ::sqlx::PgConnection = &mut *t;
                $body
            }
        }
    };
}

impl Pool {
    /// Starts a transaction; every transaction of the store writes.
    ///
    /// On `SQLite` it waits for this process's turn to write ([`SqliteDb`]), then is begun
    /// `IMMEDIATE`: it takes the write lock at once, waiting out the busy timeout while another
    /// process writes. A default (deferred) transaction takes it at its first write instead,
    /// and if another connection committed since its first read, it fails at once with
    /// `SQLITE_BUSY_SNAPSHOT` ("database is locked", code 517): the busy timeout does not apply
    /// inside a transaction. On `PostgreSQL` it is a plain `BEGIN`.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Pool::Sqlite(db) => db.begin().await?,
            Pool::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// Closes every connection.
    pub async fn close(&self) {
        on_pool!(self, p => p.close().await);
    }

    /// Whether this is a `PostgreSQL` database.
    #[must_use]
    pub fn is_postgres(&self) -> bool {
        matches!(self, Pool::Postgres(_))
    }
}

impl Tx {
    /// Commits the transaction.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(t, _turn) => t.commit().await,
            Tx::Postgres(t) => t.commit().await,
        }
    }
}

/// The rows of a list read one by one: those read, and the ids of those that could not be (a
/// value this release does not know, as a rollback from a later release can leave, or a row
/// edited by hand). Such a row is logged and left out, so that one of them does not take down
/// every list it falls in; opened alone, it is still an error.
#[derive(Debug)]
pub struct Listed<T> {
    /// The rows read, in the list's order.
    pub items: Vec<T>,
    /// The ids of the rows left out.
    pub unreadable: Vec<i64>,
}

impl<T> Listed<T> {
    /// Decodes each of `rows` as `Raw`, then makes it a `T`.
    fn read<Raw, R>(rows: Vec<R>) -> Self
    where
        R: sqlx::Row,
        Raw: for<'r> sqlx::FromRow<'r, R> + TryInto<T, Error = StoreError>,
        for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        for<'c> &'c str: sqlx::ColumnIndex<R>,
    {
        let mut listed = Self { items: Vec::with_capacity(rows.len()), unreadable: Vec::new() };
        for row in &rows {
            match Raw::from_row(row).map_err(StoreError::from).and_then(TryInto::try_into) {
                Ok(item) => listed.items.push(item),
                Err(error) => {
                    let id = row.try_get::<i64, _>("id").unwrap_or_default();
                    let kind = std::any::type_name::<T>().rsplit("::").next().unwrap_or_default();
                    tracing::error!(row.id = id, row.kind = kind, %error, "a row cannot be read: left out of the list");
                    listed.unreadable.push(id);
                }
            }
        }
        listed
    }
}

impl<T> Default for Listed<T> {
    fn default() -> Self {
        Self { items: Vec::new(), unreadable: Vec::new() }
    }
}

/// `text` as a LIKE pattern matching it anywhere, its wildcards escaped (with `\`).
fn contains_pattern(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row changed since it was read (optimistic version check), or a uniqueness rule
    /// refused the write.
    #[error("the record was changed by someone else")]
    Conflict,
    /// No such row.
    #[error("not found")]
    NotFound,
    /// A stored value does not parse.
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl StoreError {
    pub(crate) fn from_write(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict,
            _ => StoreError::Db(e),
        }
    }
}

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The data directory could not be created.
    #[error("cannot create the database directory: {0}")]
    Directory(#[from] std::io::Error),
    /// The database could not be opened.
    #[error("cannot open the database: {0}")]
    Open(#[from] sqlx::Error),
    /// A migration failed.
    #[error("cannot migrate the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Opens the database (creating a `SQLite` file and its directory if needed) and migrates it.
/// `url` is `sqlite://path` or `postgres://user@host/database`.
pub async fn connect(url: &str, max_connections: u32) -> Result<Pool, ConnectError> {
    open(url, max_connections, None).await
}

/// Connections of a batch command (a sweep, a report) at most: `SQLite` takes one writer at a
/// time and a report reads through one connection, so more would only add page caches and
/// worker threads.
pub const BATCH_CONNECTIONS: u32 = 2;
/// The page cache of each batch connection, KiB (`SQLite`'s default is 2,000): enough for the
/// B-tree pages that sweep writes and report reads go through, and a fixed ceiling, so a
/// sweep's memory does not grow with the database.
const BATCH_CACHE_KIB: u32 = 1024;

/// [`connect`] for a batch command: at most [`BATCH_CONNECTIONS`], each with a small page
/// cache. A 200-site sweep peaked at 66-68 MB with the server's eight connections and 56-59 MB
/// with these (BENCHMARKS.md §3).
pub async fn connect_batch(url: &str, max_connections: u32) -> Result<Pool, ConnectError> {
    open(url, max_connections.min(BATCH_CONNECTIONS), Some(BATCH_CACHE_KIB)).await
}

/// Whether `url` names a `PostgreSQL` database.
fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

async fn open(url: &str, max_connections: u32, cache_kib: Option<u32>) -> Result<Pool, ConnectError> {
    if is_postgres_url(url) {
        let options = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        return Ok(Pool::Postgres(pool));
    }
    open_sqlite(url, max_connections, cache_kib).await.map(|pool| Pool::Sqlite(SqliteDb::new(pool)))
}

async fn open_sqlite(url: &str, max_connections: u32, cache_kib: Option<u32>) -> Result<SqlitePool, ConnectError> {
    if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
        let path = path.split('?').next().unwrap_or_default();
        if let Some(dir) = std::path::Path::new(path).parent() {
            if !dir.as_os_str().is_empty() && path != ":memory:" {
                std::fs::create_dir_all(dir)?;
            }
        }
    }
    let mut options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(BUSY_TIMEOUT)
        // Rows cross from SQLite's worker thread to the async side through a channel: a deep
        // one lets the worker run ahead instead of waking the reader for every few rows (a list
        // of 100,000 sites spent most of its time in thread wake-ups; BENCHMARKS.md §7).
        .row_buffer_size(ROW_CHANNEL_SIZE);
    if let Some(kib) = cache_kib {
        // A negative cache_size is in KiB.
        options = options.pragma("cache_size", format!("-{kib}"));
    }
    let pool = SqlitePoolOptions::new().max_connections(max_connections.max(1)).connect_with(options).await?;
    sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
    Ok(pool)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `.cargo/config.toml` builds the bundled `SQLite` without memory statistics, so its
    /// allocations take no global mutex; a build that lost the setting fails here.
    #[tokio::test]
    async fn sqlite_is_built_without_memory_statistics() {
        let Pool::Sqlite(db) = connect("sqlite::memory:", 1).await.unwrap() else {
            unreachable!("a sqlite: URL opens SQLite")
        };
        let options: Vec<String> = sqlx::query_scalar("PRAGMA compile_options").fetch_all(db.pool()).await.unwrap();
        assert!(options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"), "{options:?}");
    }

    /// A second write transaction of the process waits for the first in the queue, not in
    /// `SQLite`'s busy handler: with the busy timeout at zero, a second `BEGIN IMMEDIATE` on
    /// the other connection would fail at once with "database is locked".
    #[tokio::test]
    async fn write_transactions_of_a_process_take_turns() {
        let dir = tempfile::tempdir().unwrap();
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", dir.path().join("t.db").display()))
            .unwrap()
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(Duration::ZERO);
        let pool = SqlitePoolOptions::new().max_connections(2).connect_with(options).await.unwrap();
        sqlx::query("CREATE TABLE t (n INTEGER)").execute(&pool).await.unwrap();
        let db = Pool::Sqlite(SqliteDb::new(pool));

        let mut first = db.begin().await.unwrap();
        let second = tokio::spawn({
            let db = db.clone();
            async move {
                let mut tx = db.begin().await?;
                let seen: i64 = crate::on_tx!(&mut tx, c => {
                    sqlx::query("INSERT INTO t (n) VALUES (2)").execute(&mut *c).await?;
                    sqlx::query_scalar("SELECT COUNT(*) FROM t").fetch_one(&mut *c).await?
                });
                tx.commit().await?;
                Ok::<_, sqlx::Error>(seen)
            }
        });
        // The second waits for as long as the first is open.
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!second.is_finished());
        crate::on_tx!(&mut first, c => {
            sqlx::query("INSERT INTO t (n) VALUES (1)").execute(&mut *c).await.unwrap();
        });
        first.commit().await.unwrap();
        assert_eq!(second.await.unwrap().unwrap(), 2, "the second began after the first committed");
    }
}
