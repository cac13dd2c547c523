//! Database access: the connection pool, embedded migrations, and one module per aggregate.
//! Every function returns domain types; SQL stays inside this folder.

pub mod accounts;
pub mod applications;
pub mod badges;
pub mod gauges;
pub mod notices;
pub mod outbox;
pub mod password_resets;
pub mod red_pages;
pub mod register;
pub mod sessions;
pub mod sightings;
pub mod site_requests;
pub mod sweeps;
pub mod tipoffs;

use std::str::FromStr;
use std::time::Duration;

/// Rows buffered between `SQLite`'s worker thread and the reader (sqlx's default is 50).
const ROW_CHANNEL_SIZE: usize = 4096;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};

/// The database the service runs on.
pub type Pool = SqlitePool;

/// One connection of the pool, for writes inside a caller's transaction.
pub type Connection = sqlx::SqliteConnection;

/// A database transaction.
pub type Tx = Transaction<'static, Sqlite>;

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
pub async fn connect(url: &str, max_connections: u32) -> Result<SqlitePool, ConnectError> {
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
pub async fn connect_batch(url: &str, max_connections: u32) -> Result<SqlitePool, ConnectError> {
    open(url, max_connections.min(BATCH_CONNECTIONS), Some(BATCH_CACHE_KIB)).await
}

async fn open(url: &str, max_connections: u32, cache_kib: Option<u32>) -> Result<SqlitePool, ConnectError> {
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
        .busy_timeout(Duration::from_secs(10))
        // Rows cross from SQLite's worker thread to the async side through a channel: a deep
        // one lets the worker run ahead instead of waking the reader for every few rows (a list
        // of 100,000 sites spent most of its time in thread wake-ups; BENCHMARKS.md §7).
        .row_buffer_size(ROW_CHANNEL_SIZE);
    if let Some(kib) = cache_kib {
        // A negative cache_size is in KiB.
        options = options.pragma("cache_size", format!("-{kib}"));
    }
    let pool = SqlitePoolOptions::new().max_connections(max_connections.max(1)).connect_with(options).await?;
    sqlx::migrate!("./migrations").run(&pool).await?;
    Ok(pool)
}
