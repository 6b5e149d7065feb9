//! Storage: one connection type over SQLite (embedded, the default) and PostgreSQL, chosen
//! from the URL's scheme; an r2d2 pool; twin migration folders embedded in the binary; and one
//! module per entity with its rows and finders.

pub mod audit;
pub mod calendar;
pub mod canned;
pub mod chase;
pub mod circulars;
pub mod closures;
pub mod departments;
pub mod documents;
pub mod extensions;
pub mod feeds;
pub mod instructions;
pub mod measures;
pub mod obligations;
pub mod outbox;
pub mod oversight;
pub mod receipts;
pub mod reports;
pub mod schedules;
pub mod schema;
pub mod scores;
pub mod sessions;
pub mod timeline;
pub mod tokens;
pub mod users;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use diesel::connection::{
    AnsiTransactionManager, Instrumentation, InstrumentationEvent, SimpleConnection,
    TransactionManager,
};
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::config::DatabaseUrl;

/// A connection to either backend. Query code is written once against this type; the rare
/// backend-specific statement matches on the variant.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Sqlite(diesel::SqliteConnection),
    Pg(diesel::PgConnection),
}

pub type Pool = r2d2::Pool<Manager>;
pub type PooledConn = r2d2::PooledConnection<Manager>;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot open database {url}: {message}")]
    Connect { url: String, message: String },
    #[error("database migrations failed on {url}: {message}")]
    Migrate { url: String, message: String },
}

/// Opens connections for the pool, each set up for its backend.
#[derive(Debug)]
pub struct Manager {
    url: DatabaseUrl,
}

impl Manager {
    pub fn new(url: DatabaseUrl) -> Self {
        Manager { url }
    }

    fn open(&self) -> Result<DbConn, diesel::ConnectionError> {
        match &self.url {
            DatabaseUrl::Sqlite(path) => {
                let path = path.to_str().ok_or_else(|| {
                    diesel::ConnectionError::InvalidConnectionUrl(
                        "the SQLite path is not valid UTF-8".into(),
                    )
                })?;
                let mut conn = diesel::SqliteConnection::establish(path)?;
                // Per connection: SQLite forgets these when a connection closes.
                conn.batch_execute(
                    "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
                     PRAGMA synchronous = NORMAL;",
                )
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConn::Sqlite(conn))
            }
            DatabaseUrl::Postgres(url) => Ok(DbConn::Pg(diesel::PgConnection::establish(url)?)),
        }
    }
}

impl ManageConnection for Manager {
    type Connection = DbConn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConn, r2d2::Error> {
        self.open().map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, _conn: &mut DbConn) -> bool {
        false
    }
}

/// Creates the SQLite file's directory (owner only) and the file itself readable by the owner
/// only: SQLite gives its WAL and shared-memory files the database file's permissions.
fn prepare_sqlite_file(path: &std::path::Path) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.exists() {
            crate::storage::create_private_dir(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
    }
    let mut options = std::fs::File::options();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .map(drop)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))
}

/// Opens the database and a pool over it. A direct first connection reports the real cause
/// (bad password, missing directory) rather than a pool time-out.
pub fn open(url: &DatabaseUrl, pool_size: u32, timeout: Duration) -> Result<Pool, DbError> {
    let fail = |message: String| DbError::Connect {
        url: url.masked(),
        message,
    };
    if let DatabaseUrl::Sqlite(path) = url {
        prepare_sqlite_file(path).map_err(fail)?;
    }
    let manager = Manager::new(url.clone());
    let mut first = manager.open().map_err(|e| fail(e.to_string()))?;
    if let DbConn::Sqlite(c) = &mut first {
        // WAL is a property of the file: set once, readers stop blocking the writer.
        c.batch_execute("PRAGMA journal_mode = WAL;")
            .map_err(|e| fail(e.to_string()))?;
    }
    drop(first);
    r2d2::Pool::builder()
        .max_size(pool_size)
        .min_idle(Some(1))
        .connection_timeout(timeout)
        .build(manager)
        .map_err(|e| fail(e.to_string()))
}

/// One connection, no pool: for commands that do their work and exit. (A pool keeps a
/// thread that may be inside a connection attempt when the process ends, which libpq's
/// Kerberos layer does not survive.)
pub fn connect(url: &DatabaseUrl) -> Result<DbConn, DbError> {
    if let DatabaseUrl::Sqlite(path) = url {
        prepare_sqlite_file(path).map_err(|message| DbError::Connect {
            url: url.masked(),
            message,
        })?;
    }
    let mut conn = Manager::new(url.clone())
        .open()
        .map_err(|e| DbError::Connect {
            url: url.masked(),
            message: e.to_string(),
        })?;
    if let DbConn::Sqlite(c) = &mut conn {
        c.batch_execute("PRAGMA journal_mode = WAL;")
            .map_err(|e| DbError::Connect {
                url: url.masked(),
                message: e.to_string(),
            })?;
    }
    Ok(conn)
}

/// Runs `f` in a transaction. On SQLite the outermost transaction begins `IMMEDIATE`: it
/// takes the write lock first, so the busy timeout covers waiting for another writer. (A
/// deferred transaction that reads and then writes fails at once with "database is locked"
/// when another connection wrote in between.) Inside another transaction this is a
/// savepoint, as with `Connection::transaction`.
pub fn transaction<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    let began = match conn {
        DbConn::Sqlite(c) => {
            let outermost = AnsiTransactionManager::transaction_manager_status_mut(c)
                .transaction_depth()?
                .is_none();
            if outermost {
                AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
            }
            outermost
        }
        DbConn::Pg(_) => false,
    };
    if !began {
        let done = conn.transaction(f);
        if done.is_ok() {
            committed();
        }
        return done;
    }
    type Manager = <DbConn as Connection>::TransactionManager;
    match f(conn) {
        Ok(value) => match Manager::commit_transaction(conn) {
            Ok(()) => {
                committed();
                Ok(value)
            }
            Err(e) => {
                let _ = Manager::rollback_transaction(conn);
                Err(e.into())
            }
        },
        Err(e) => {
            if let Err(rollback) = Manager::rollback_transaction(conn) {
                tracing::error!("rolling back a transaction failed: {rollback}");
            }
            Err(e)
        }
    }
}

/// Write transactions this process has committed through [`transaction`].
static GENERATION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn committed() {
    GENERATION.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
}

/// Moves with every write transaction this process commits, audited or not (delivery
/// states, receipts): with the audit log's and the chase log's newest ids (which also move
/// with the writes of other processes on the same database) it tells whether something drawn
/// from the data is still current.
pub fn generation() -> u64 {
    GENERATION.load(std::sync::atomic::Ordering::SeqCst)
}

/// What a database error means for the person who caused it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Someone else wrote the same thing at the same moment (a unique key).
    Conflict,
    /// The database is busy (locked, or a serialization failure): try again shortly.
    Busy,
    /// The disk is full.
    StorageFull,
    /// The database file or its directory cannot be written.
    ReadOnly,
    /// Anything else: a bug or an outage, logged in full.
    Other,
}

/// Classifies a database error by kind and, where the drivers only say it in words, by the
/// message SQLite and PostgreSQL use.
pub fn fault(e: &diesel::result::Error) -> Fault {
    use diesel::result::{DatabaseErrorKind as K, Error};
    let Error::DatabaseError(kind, info) = e else {
        return Fault::Other;
    };
    match kind {
        K::UniqueViolation => return Fault::Conflict,
        K::SerializationFailure => return Fault::Busy,
        K::ReadOnlyTransaction => return Fault::ReadOnly,
        _ => {}
    }
    let message = info.message().to_ascii_lowercase();
    if message.contains("database is locked")
        || message.contains("database table is locked")
        || message.contains("deadlock detected")
    {
        Fault::Busy
    } else if message.contains("disk is full") || message.contains("no space left") {
        Fault::StorageFull
    } else if message.contains("readonly database")
        || message.contains("read-only file system")
        || message.contains("read only file system")
    {
        Fault::ReadOnly
    } else {
        Fault::Other
    }
}

/// A key no other application is likely to use for PostgreSQL's advisory lock ("duban").
const SETUP_LOCK_KEY: i64 = 0x0064_7562_616e;

/// Runs `f` — migrations and first-run setup — while holding a lock that every instance
/// starting on this database takes too, so that several servers started or upgraded at the
/// same moment do it one after another: PostgreSQL's session advisory lock on `conn`, or,
/// for SQLite, an exclusive lock on a file beside the database.
pub fn with_setup_lock<T>(
    conn: &mut DbConn,
    url: &DatabaseUrl,
    f: impl FnOnce(&mut DbConn) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    match url {
        DatabaseUrl::Sqlite(path) => {
            let mut name = path.as_os_str().to_owned();
            name.push(".setup-lock");
            let lock_path = std::path::PathBuf::from(name);
            let mut options = std::fs::File::options();
            options.read(true).write(true).create(true).truncate(false);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let file = options.open(&lock_path).map_err(|e| {
                anyhow::anyhow!("cannot open the setup lock {}: {e}", lock_path.display())
            })?;
            file.lock()
                .map_err(|e| anyhow::anyhow!("cannot lock {}: {e}", lock_path.display()))?;
            let result = f(conn);
            drop(file);
            result
        }
        DatabaseUrl::Postgres(_) => {
            conn.batch_execute(&format!("SELECT pg_advisory_lock({SETUP_LOCK_KEY})"))?;
            let result = f(conn);
            let unlocked =
                conn.batch_execute(&format!("SELECT pg_advisory_unlock({SETUP_LOCK_KEY})"));
            let value = result?;
            unlocked?;
            Ok(value)
        }
    }
}

/// Runs pending migrations; returns the names of those applied.
pub fn run_migrations(conn: &mut DbConn, url: &DatabaseUrl) -> Result<Vec<String>, DbError> {
    let applied = match conn {
        DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
        DbConn::Pg(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS),
    }
    .map_err(|e| DbError::Migrate {
        url: url.masked(),
        message: e.to_string(),
    })?;
    Ok(applied.iter().map(|v| v.to_string()).collect())
}

/// Counts the statements a connection runs: how tests and benchmarks show that a page's
/// query count does not grow with the data.
#[derive(Debug, Clone, Default)]
pub struct QueryCounter(Arc<AtomicUsize>);

impl QueryCounter {
    pub fn count(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }

    pub fn reset(&self) {
        self.0.store(0, Ordering::Relaxed);
    }
}

impl Instrumentation for QueryCounter {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::StartQuery { .. } = event {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
}
