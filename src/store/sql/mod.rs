//! SQL storage through sqlx, on SQLite (one node, the default) or PostgreSQL
//! (several nodes). Queries are written once, in SQL both understand
//! (`$1` bind parameters, BIGINT Unix times), and run on whichever pool is open.

mod audit;
mod clients;
mod consents;
mod group_commit;
mod groups;
mod keys;
mod linked_identities;
mod mail;
mod outbox;
mod refresh_tokens;
mod registration_tokens;
mod retention;
mod second_factors;
mod users;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

use self::group_commit::GroupCommit;
use super::{HealthCheck, StoreError};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error(
        "the database was upgraded by a newer Sesame (schema {database}; this binary knows up to {known}): run \
         that newer version, or restore a backup taken before the upgrade"
    )]
    NewerSchema { database: i64, known: i64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How long a request waits for a pooled connection before failing.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Clone, Debug)]
pub enum SqlStore {
    /// The pool, and the group commit of its hot writes (none for a backup
    /// opened read-only).
    Sqlite(SqlitePool, Option<GroupCommit>),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to whichever pool `$store` holds; the body
/// is compiled once per database, so one query text serves both.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store {
            $crate::store::sql::SqlStore::Sqlite($pool, _) => $body,
            $crate::store::sql::SqlStore::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

impl SqlStore {
    /// Opens a pool for a `sqlite:` or `postgres:` URL. A SQLite file and its
    /// folder are created when missing.
    pub async fn connect(url: &str, max_connections: u32) -> Result<SqlStore, StoreError> {
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true);
            create_private_file(options.get_filename()).map_err(|e| StoreError::Backend(Box::new(e)))?;
            let pool = SqlitePoolOptions::new()
                .max_connections(max_connections)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                // A connection to a local file does not go stale: no ping
                // (a round trip to its thread) before every statement.
                .test_before_acquire(false)
                .connect_with(options.clone())
                .await?;
            // An in-memory database is one per connection: its writes stay
            // on the pool's.
            let in_memory = options.get_filename() == std::path::Path::new(":memory:");
            let commits = (!in_memory).then(|| GroupCommit::new(options));
            Ok(SqlStore::Sqlite(pool, commits))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = PgPoolOptions::new()
                .max_connections(max_connections)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect(url)
                .await?;
            Ok(SqlStore::Postgres(pool))
        } else {
            Err(StoreError::Backend(
                "database_url must start with sqlite: or postgres:".into(),
            ))
        }
    }

    /// The migrations embedded in the binary for this database kind.
    pub fn migrations(&self) -> &'static Migrator {
        match self {
            SqlStore::Sqlite(..) => &SQLITE_MIGRATIONS,
            SqlStore::Postgres(_) => &POSTGRES_MIGRATIONS,
        }
    }

    /// Brings the schema up to this binary's, refusing a database that a
    /// newer Sesame has upgraded beyond what this one knows (running on it
    /// could misread or lose what the newer version wrote).
    pub async fn migrate(&self) -> Result<(), MigrateError> {
        let known = self.migrations().iter().map(|m| m.version).max().unwrap_or(0);
        if let Some(database) = self.schema_version().await?
            && database > known
        {
            return Err(MigrateError::NewerSchema { database, known });
        }
        on_pool!(self, pool => self.migrations().run(pool).await).map_err(StoreError::from)?;
        Ok(())
    }

    /// The newest migration applied to this database; `None` for a new one.
    pub async fn schema_version(&self) -> Result<Option<i64>, StoreError> {
        let exists = match self {
            SqlStore::Sqlite(pool, _) => sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
            )
            .fetch_one(pool)
            .await?
            .eq(&1),
            SqlStore::Postgres(pool) => {
                sqlx::query_scalar::<_, bool>("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
                    .fetch_one(pool)
                    .await?
            }
        };
        if !exists {
            return Ok(None);
        }
        let version: Option<i64> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success").fetch_one(pool).await
        })?;
        Ok(version)
    }

    /// A SQLite backup opened read-only, to be checked before it is restored.
    pub async fn open_backup(path: &std::path::Path) -> Result<SqlStore, StoreError> {
        let options = SqliteConnectOptions::new().filename(path).read_only(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await?;
        Ok(SqlStore::Sqlite(pool, None))
    }

    /// SQLite's own consistency check of the file (`PRAGMA quick_check`);
    /// `Ok(false)` when it found damage.
    pub async fn is_intact(&self) -> Result<bool, StoreError> {
        let SqlStore::Sqlite(pool, _) = self else {
            return Ok(true);
        };
        let verdict: String = sqlx::query_scalar("PRAGMA quick_check").fetch_one(pool).await?;
        Ok(verdict == "ok")
    }

    /// A consistent copy of a SQLite database at `path` (a new 0600 file),
    /// taken while the server runs (`VACUUM INTO`: one read transaction,
    /// writers go on). PostgreSQL is backed up with its own tools.
    pub async fn backup_to(&self, path: &std::path::Path) -> Result<(), StoreError> {
        let SqlStore::Sqlite(pool, _) = self else {
            return Err(StoreError::Backend(
                "on PostgreSQL, back up with pg_dump (and keep the key-encryption key)".into(),
            ));
        };
        if path.exists() {
            return Err(StoreError::Backend(format!("{} exists already", path.display()).into()));
        }
        let target = path
            .to_str()
            .ok_or_else(|| StoreError::Backend("the backup path is not UTF-8".into()))?;
        create_private_file(path).map_err(|e| StoreError::Backend(Box::new(e)))?;
        // VACUUM INTO wants a file that does not exist or is empty: the
        // empty 0600 file just made keeps the copy private.
        sqlx::query("VACUUM INTO $1").bind(target).execute(pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await)
    }
}

/// Creates a missing SQLite file readable by its owner only (0600), in a
/// folder likewise created 0700: it holds password hashes and encrypted
/// keys. SQLite gives its `-wal` and `-shm` files the database file's mode.
/// Existing files and folders keep the mode the operator gave them.
fn create_private_file(path: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    if path.as_os_str().is_empty() || path.to_str() == Some(":memory:") || path.exists() {
        return Ok(());
    }
    crate::files::create_private_parent(path).map_err(|e| crate::files::at(path, "creating the folder of", e))?;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map(|_| ())
        .map_err(|e| crate::files::at(path, "creating the database", e))
}

#[async_trait]
impl HealthCheck for SqlStore {
    async fn ping(&self) -> Result<(), StoreError> {
        on_pool!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))?;
        Ok(())
    }
}

/// Maps a unique-constraint violation to `StoreError::Conflict`.
fn conflict_as(what: &str) -> impl FnOnce(sqlx::Error) -> StoreError + '_ {
    move |e| match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(what.to_string()),
        _ => StoreError::from(e),
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        let unavailable = match &e {
            // SQLSTATE classes 08 (connection exception) and 57P (the server
            // shutting down or starting up).
            sqlx::Error::Database(db) => db
                .code()
                .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
            other => matches!(
                other,
                sqlx::Error::PoolTimedOut
                    | sqlx::Error::PoolClosed
                    | sqlx::Error::Io(_)
                    | sqlx::Error::Tls(_)
                    | sqlx::Error::WorkerCrashed
                    | sqlx::Error::Protocol(_)
            ),
        };
        if unavailable {
            StoreError::Unavailable(Box::new(e))
        } else {
            StoreError::Backend(Box::new(e))
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        StoreError::Backend(Box::new(e))
    }
}
