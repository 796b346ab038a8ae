//! Storage: one schema on two backends through sqlx. SQLite (a file in WAL mode) is the embedded
//! default; PostgreSQL serves several bot shards sharing one database. The backend is chosen by
//! the scheme of `DATABASE_URL`. sqlx errors are mapped to the domain's [`StoreError`] here and
//! nowhere else, and transient failures (a locked SQLite file, a dropped PostgreSQL connection)
//! are retried before they are reported.
//!
//! Every query is written once with `$1`-style placeholders, which both SQLite and PostgreSQL
//! accept, and [`with_pool!`] compiles it once per backend.

mod bulk;
mod catalog;
mod experiments;
mod feedback;
mod impressions;
mod models;
mod notify;
mod parties;
mod privacy;
mod retention;

pub use crate::config::redact_url;
use crate::domain::error::StoreError;
pub use bulk::HistoricalRating;
pub use models::MODEL_CHANNEL;
pub use notify::{IdentifyTurn, ModelNews, ModelWatch};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions as _, PgPool, SqlitePool};
use std::future::Future;
use std::str::FromStr;
use std::time::Duration;

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend a `DATABASE_URL` names, from its scheme.
    ///
    /// # Errors
    /// A message naming the schemes Marquee understands.
    pub fn from_url(url: &str) -> Result<Self, String> {
        let scheme = url.split_once(':').map_or("", |(s, _)| s);
        match scheme {
            "sqlite" => Ok(Backend::Sqlite),
            "postgres" | "postgresql" => Ok(Backend::Postgres),
            _ => Err(format!(
                "DATABASE_URL must start with sqlite:// or postgres:// (got {:?})",
                redact_url(url)
            )),
        }
    }
}

#[derive(Debug, Clone)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The storage adapter: implements every repository port of the domain.
#[derive(Debug, Clone)]
pub struct Store {
    pool: Pool,
}

/// Runs the same block against whichever pool the store holds. Inside the block `$pool` is a
/// `&SqlitePool` or a `&PgPool`; the block is compiled once for each.
macro_rules! with_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pool {
            $crate::outbound::storage::Pool::Sqlite($pool) => $body,
            $crate::outbound::storage::Pool::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_pool;

/// A transaction that holds the catalog's write lock: SQLite's write lock from the start
/// (`BEGIN IMMEDIATE`), or a PostgreSQL advisory lock until commit. Writers that read before
/// they insert (the film upsert) see each other's rows this way.
pub(crate) trait CatalogLock {
    type Db: sqlx::Database;

    fn begin_catalog_write(
        &self,
    ) -> impl Future<Output = Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error>> + Send;
}

/// The advisory lock key of catalog writes on PostgreSQL ("MQcat").
const CATALOG_LOCK_KEY: i64 = 0x004d_5163_6174;

/// SHA-384 of the edited 0004 migration one build shipped (see [`Store::migrate`]).
const INTERIM_0004_SQLITE: &str = "0f351e3667334f09af6a15715470c1ae0c465e33f8a10b86ee270a75b9c32a306cc01bf9ba5cb35587b8cf42414ee8ef";
const INTERIM_0004_POSTGRES: &str = "33e6cffbe0f8d7b9900c2fe5a8dee92b43d5c6f452df496fb87d3ee1d48bb65f1120c2372083b8faa7f84d048ac4239d";

/// Bytes from hex digits (a constant above; a stray character reads as 0).
fn hex_bytes(hex: &str) -> Vec<u8> {
    hex.as_bytes()
        .chunks(2)
        .map(|pair| {
            std::str::from_utf8(pair)
                .ok()
                .and_then(|p| u8::from_str_radix(p, 16).ok())
                .unwrap_or(0)
        })
        .collect()
}

impl CatalogLock for sqlx::SqlitePool {
    type Db = sqlx::Sqlite;

    async fn begin_catalog_write(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        self.begin_with("BEGIN IMMEDIATE").await
    }
}

impl CatalogLock for sqlx::PgPool {
    type Db = sqlx::Postgres;

    async fn begin_catalog_write(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
        let mut tx = self.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(CATALOG_LOCK_KEY)
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }
}

/// Why the store could not be opened; each says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("{0}")]
    BadUrl(String),
    #[error(
        "cannot open the SQLite database {path:?}: {cause}. Check that the folder exists and is writable, or set DATABASE_URL to another file (sqlite://marquee.db)."
    )]
    SqliteOpen { path: String, cause: String },
    #[error(
        "cannot reach PostgreSQL at {url}: {cause}. Is the server running and does the database exist? (On this kind of machine: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start)"
    )]
    PostgresConnect { url: String, cause: String },
    /// The server did not answer or refused the connection (it may be down or starting up):
    /// trying again later may succeed. `url` is redacted.
    #[error(
        "cannot reach PostgreSQL at {url}: {cause}. Is the server running? (On this kind of machine: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start)"
    )]
    Unreachable { url: String, cause: String },
    #[error("database migrations failed: {0}")]
    Migrate(String),
}

impl ConnectError {
    /// Why the database is out of reach, when that is the problem (the server is down, starting
    /// up, or the connection broke): trying again later may succeed. `None` for a mistake that
    /// waiting does not fix (a bad URL, a refused password, a missing database, a bad migration).
    pub fn unreachable(&self) -> Option<&str> {
        match self {
            ConnectError::Unreachable { cause, .. } => Some(cause),
            _ => None,
        }
    }
}

/// How long a query waits for a pooled connection (opening one if needed) before it reports the
/// database unavailable. sqlx's default is 30 s; a person waiting for an answer on Discord should
/// hear within seconds that the database is out of reach.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// How long opening the first PostgreSQL connection may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

impl Store {
    /// Opens the database `url` names and brings its schema up to date.
    /// SQLite files are created if missing, in WAL mode with foreign keys on.
    ///
    /// # Errors
    /// A [`ConnectError`] whose message names the problem and its fix.
    pub async fn connect(url: &str) -> Result<Self, ConnectError> {
        let store = match Backend::from_url(url).map_err(ConnectError::BadUrl)? {
            Backend::Sqlite => Self::connect_sqlite(url).await?,
            Backend::Postgres => Self::connect_postgres(url).await?,
        };
        if let Err(e) = store.migrate().await {
            store.close().await;
            return Err(match e {
                ConnectError::Unreachable { cause, .. } => ConnectError::Unreachable {
                    url: redact_url(url),
                    cause,
                },
                other => other,
            });
        }
        Ok(store)
    }

    async fn connect_sqlite(url: &str) -> Result<Self, ConnectError> {
        let path = url
            .trim_start_matches("sqlite://")
            .trim_start_matches("sqlite:");
        let bad = |cause: String| ConnectError::SqliteOpen {
            path: path.to_owned(),
            cause,
        };
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| bad(e.to_string()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5))
            // 64 MiB of page cache per connection (SQLite's default is 2 MiB): imports and
            // training scans touch large indexes.
            .pragma("cache_size", "-65536")
            .log_statements(log::LevelFilter::Trace)
            .log_slow_statements(log::LevelFilter::Debug, Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|e| bad(describe(&e)))?;
        Ok(Store {
            pool: Pool::Sqlite(pool),
        })
    }

    async fn connect_postgres(url: &str) -> Result<Self, ConnectError> {
        let shown = redact_url(url);
        let bad = |cause: String| ConnectError::PostgresConnect {
            url: shown.clone(),
            cause,
        };
        let failed = |e: &sqlx::Error| {
            if is_transient(e) {
                ConnectError::Unreachable {
                    url: shown.clone(),
                    cause: describe_connect(e),
                }
            } else {
                bad(describe(e))
            }
        };
        // Bulk imports run statements of a second or more by design: not worth a warning.
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| bad(e.to_string()))?
            .log_statements(log::LevelFilter::Trace)
            .log_slow_statements(log::LevelFilter::Debug, Duration::from_secs(5));
        // One connection first, outside the pool: a server that is down is reported at once
        // with its reason ("connection refused"), where the pool would keep trying until its
        // timeout and then only say that it timed out.
        match tokio::time::timeout(CONNECT_TIMEOUT, options.connect()).await {
            Ok(Ok(probe)) => {
                let _ = sqlx::Connection::close(probe).await;
            }
            Ok(Err(e)) => return Err(failed(&e)),
            Err(_) => {
                return Err(ConnectError::Unreachable {
                    url: shown,
                    cause: format!("no answer within {} s", CONNECT_TIMEOUT.as_secs()),
                });
            }
        }
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(|e| failed(&e))?;
        Ok(Store {
            pool: Pool::Postgres(pool),
        })
    }

    /// Applies the migrations of this backend that are not applied yet.
    ///
    /// # Errors
    /// `ConnectError::Migrate` when a migration fails or an applied one was edited.
    pub async fn migrate(&self) -> Result<(), ConnectError> {
        self.accept_interim_0004().await;
        match &self.pool {
            // sqlx takes an advisory lock on PostgreSQL, so processes starting together apply
            // each migration once.
            // A connection lost meanwhile is the database out of reach, not a bad migration.
            Pool::Postgres(pool) => sqlx::migrate!("migrations/postgres")
                .run(pool)
                .await
                .map_err(|e| match &e {
                    sqlx::migrate::MigrateError::Execute(inner)
                    | sqlx::migrate::MigrateError::ExecuteMigration(inner, _)
                        if is_transient(inner) =>
                    {
                        ConnectError::Unreachable {
                            url: "PostgreSQL".to_owned(),
                            cause: format!("{} (while migrating)", describe_connect(inner)),
                        }
                    }
                    _ => ConnectError::Migrate(e.to_string()),
                }),
            // On SQLite it does not: a process that lost the race finds the migration applied
            // by another ("table … already exists") with its own transaction rolled back. It
            // tries again, and then sees it applied.
            Pool::Sqlite(pool) => {
                let mut attempt = 0_u64;
                loop {
                    match sqlx::migrate!("migrations/sqlite").run(pool).await {
                        Ok(()) => return Ok(()),
                        Err(e) if attempt < 20 && lost_a_migration_race(&e) => {
                            attempt += 1;
                            tracing::debug!(attempt, error = %e, "another process is migrating; trying again");
                            tokio::time::sleep(Duration::from_millis(25 * attempt)).await;
                        }
                        Err(e) => return Err(ConnectError::Migrate(e.to_string())),
                    }
                }
            }
        }
    }

    /// One build shipped an edited 0004 (what 0006 now does, folded into it). A database that
    /// applied that version has 0006's effect already; its recorded checksum is set to the
    /// released 0004's, so sqlx accepts it and 0006 (which changes nothing there) follows.
    /// Nothing happens on any other database, nor before the first migration.
    async fn accept_interim_0004(&self) {
        const SQL: &str =
            "UPDATE _sqlx_migrations SET checksum = $1 WHERE version = 4 AND checksum = $2";
        let released = |m: &sqlx::migrate::Migrator| {
            m.migrations
                .iter()
                .find(|x| x.version == 4)
                .map(|x| x.checksum.to_vec())
                .unwrap_or_default()
        };
        let done = match &self.pool {
            Pool::Sqlite(pool) => {
                let released = released(&sqlx::migrate!("migrations/sqlite"));
                sqlx::query(SQL)
                    .bind(released)
                    .bind(hex_bytes(INTERIM_0004_SQLITE))
                    .execute(pool)
                    .await
                    .map(|r| r.rows_affected())
            }
            Pool::Postgres(pool) => {
                let released = released(&sqlx::migrate!("migrations/postgres"));
                sqlx::query(SQL)
                    .bind(released)
                    .bind(hex_bytes(INTERIM_0004_POSTGRES))
                    .execute(pool)
                    .await
                    .map(|r| r.rows_affected())
            }
        };
        // An error here is a database without migrations yet: nothing to accept.
        if let Ok(1) = done {
            tracing::info!(
                "this database ran an interim 0004 migration; it is accepted as the released one"
            );
        }
    }

    /// The backend this store talks to.
    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Closes every connection (checkpointing SQLite's WAL).
    pub async fn close(&self) {
        with_pool!(self, pool => pool.close().await);
    }
}

/// Whether a SQLite migration failed in a way another process's concurrent migration explains
/// (its statements met tables already made or already dropped, or the write lock was held):
/// trying again is safe, since each migration runs in its own transaction. A changed or
/// missing migration is not retried.
fn lost_a_migration_race(e: &sqlx::migrate::MigrateError) -> bool {
    use sqlx::migrate::MigrateError;
    matches!(
        e,
        MigrateError::Execute(_) | MigrateError::ExecuteMigration(..)
    )
}

/// A short description of a sqlx error, without the query text.
fn describe(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(db) => db.message().to_owned(),
        sqlx::Error::Io(io) => io.to_string(),
        other => other.to_string(),
    }
}

/// Why a connection could not be made, in a few plain words ("connection refused").
fn describe_connect(e: &sqlx::Error) -> String {
    use std::io::ErrorKind;
    match e {
        sqlx::Error::Io(io) => match io.kind() {
            ErrorKind::ConnectionRefused => "connection refused".to_owned(),
            ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted => {
                "the connection was cut".to_owned()
            }
            ErrorKind::UnexpectedEof => "the server closed the connection".to_owned(),
            ErrorKind::TimedOut => "no answer (timed out)".to_owned(),
            _ => io.to_string(),
        },
        sqlx::Error::PoolTimedOut => {
            format!("no connection within {} s", ACQUIRE_TIMEOUT.as_secs())
        }
        other => describe(other),
    }
}

/// Whether trying the same operation again may succeed: the server is out of reach (a refused,
/// reset or closed connection, no connection within the pool's timeout), shutting down or
/// starting up, or the statement lost a race (a locked SQLite file, a serialization failure).
fn is_transient(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => {
            let code = db.code();
            let code = code.as_deref().unwrap_or("");
            // SQLite: 5 BUSY, 6 LOCKED (and their extended codes, which end in the base code
            // modulo 256). PostgreSQL: serialization failure, deadlock, connection and
            // shutdown classes.
            if let Ok(n) = code.parse::<i32>() {
                return matches!(n & 0xff, 5 | 6);
            }
            code == "40001" || code == "40P01" || code.starts_with("08") || code.starts_with("57P")
        }
        _ => false,
    }
}

/// Maps a sqlx error to the domain's error, naming what was being done.
fn map_err(op: &str, e: &sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::RowNotFound => StoreError::NotFound {
            what: op.to_owned(),
        },
        sqlx::Error::Database(db)
            if db.is_foreign_key_violation()
                || db.is_check_violation()
                || db.is_unique_violation() =>
        {
            StoreError::Invalid(format!("{op}: {}", db.message()))
        }
        e if is_transient(e) => StoreError::Unavailable(format!("{op}: {}", describe_connect(e))),
        e => StoreError::Internal(anyhow::anyhow!("{op}: {}", describe(e))),
    }
}

/// Runs `attempt` and retries it (three tries in all, with a short back-off) when it fails in a
/// way that may pass: a database hiccup is retried, not dropped. A pool that timed out is not
/// retried (it kept trying for [`ACQUIRE_TIMEOUT`] already), so a database that is down is
/// reported as `Unavailable` after about that long.
async fn retry<T, F, Fut>(op: &str, mut attempt: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, sqlx::Error>>,
{
    let mut delay = Duration::from_millis(50);
    for tries_left in (0..3).rev() {
        match attempt().await {
            Ok(v) => return Ok(v),
            // The pool has already spent its whole acquire timeout trying to connect: another
            // try would only make the caller wait that long again.
            Err(e)
                if tries_left > 0
                    && is_transient(&e)
                    && !matches!(e, sqlx::Error::PoolTimedOut) =>
            {
                tracing::warn!(op, error = %describe(&e), "transient database error; retrying");
                tokio::time::sleep(delay).await;
                delay *= 4;
            }
            Err(e) => return Err(map_err(op, &e)),
        }
    }
    unreachable!("the last try returns")
}

/// Joins a list for a '|'-separated column; a '|' inside an item becomes '/'.
fn join_list<S: AsRef<str>>(items: &[S]) -> String {
    items
        .iter()
        .map(|s| s.as_ref().trim().replace('|', "/"))
        .collect::<Vec<_>>()
        .join("|")
}

/// Splits a '|'-separated column.
fn split_list(text: &str) -> Vec<String> {
    text.split('|')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every migration file ever released, with the SHA-384 sqlx stores for it. An applied
    /// migration whose file changed makes every existing database refuse to start, so a
    /// released file is never edited: a change is a new migration (and a new line here).
    const RELEASED: [(&str, i64, &str); 18] = [
        (
            "sqlite",
            1,
            "7d5ca1831192b7de62d79e33841a3974a173ae32dcd7dbab57fdc9bc3615ff7daff2916ad0ff474c4ae233a73bd6d96b",
        ),
        (
            "sqlite",
            2,
            "fc4cbfb2874635d6b850d0e8518006705c25a325a3720ef0e131dde6b40e126ee580f1ea1f052571cc5114bcd1af1524",
        ),
        (
            "sqlite",
            3,
            "252c4b25276707dac90c387ab99b45581b74c67e763fb550b92451be55781e20239ae5cfe4e771f416e422b9ba2c9aec",
        ),
        (
            "sqlite",
            4,
            "6cf3e1c15d36113300ae76796e87d5c3e70dc0bdcd8dfbde02298efe3a90bcb2d3b79209ef908615ce1fdc633acf202c",
        ),
        (
            "sqlite",
            5,
            "c70646127e5230d9d2f3c26b2a70014e42d57aa4259e502e1bcab9be5fc5a610185fd14e10e90783b9d66f92757c2dda",
        ),
        (
            "sqlite",
            6,
            "22a4706ca60f03eca7b0aeb57431cc7e3ca9b0fcb0683584ab1c02f5d7f91af85ae505d29533d30adae6538930d69859",
        ),
        (
            "sqlite",
            7,
            "8bc44fb5af7bb6be98afd2cf25a67ea1ca1572f4187bbf2bb0469d193eba145d3c3cb042ce90b998b2e19befb1d7a07b",
        ),
        (
            "sqlite",
            8,
            "46bd1236285056c2e7bb015d8b094e7030b3b02095215e52f41364709b00432be6465b450e7ff6ee0a36d29701e23a79",
        ),
        (
            "sqlite",
            9,
            "41032523c91047a2db23490f09926839f2a2a3087227a23deb893b4e6a00de92dc797e99bf46b06cf669bbd1afcb00c7",
        ),
        (
            "postgres",
            1,
            "6a0c7cef12af9524ea7cb8253b5a53659d722c7dd9958a8a8b39fd2e37982890a14657d90d79f8b3ad6815db21b74a06",
        ),
        (
            "postgres",
            2,
            "fc4cbfb2874635d6b850d0e8518006705c25a325a3720ef0e131dde6b40e126ee580f1ea1f052571cc5114bcd1af1524",
        ),
        (
            "postgres",
            3,
            "252c4b25276707dac90c387ab99b45581b74c67e763fb550b92451be55781e20239ae5cfe4e771f416e422b9ba2c9aec",
        ),
        (
            "postgres",
            4,
            "27cf7b11dcc32cd30d9580132f3d1edf5805be05d52fdb5cdd080841a23838a57381a19d9798892337fb8d4a133a7fa0",
        ),
        (
            "postgres",
            5,
            "e64d196bad25a07bfb9a2670254e5e472b22b6328d3db552477f0f672053d1386f121a5ff2191b4fc7734c4d0aa21ddb",
        ),
        (
            "postgres",
            6,
            "22a4706ca60f03eca7b0aeb57431cc7e3ca9b0fcb0683584ab1c02f5d7f91af85ae505d29533d30adae6538930d69859",
        ),
        (
            "postgres",
            7,
            "8bc44fb5af7bb6be98afd2cf25a67ea1ca1572f4187bbf2bb0469d193eba145d3c3cb042ce90b998b2e19befb1d7a07b",
        ),
        (
            "postgres",
            8,
            "872361420fb15bed0e5c3a31b1bf6066bfb4c6a40cdbd2f5b0388fdf8d005fa468e5ca4a03bce16e3406e2af736a9779",
        ),
        (
            "postgres",
            9,
            "25300bc00e40a221eb4ad66ad0c3ebe63c157c00ef3fef80e81842eb37835d598588460aebf439b44158ac5032519007",
        ),
    ];

    #[test]
    fn released_migrations_are_never_edited() {
        let hex = |bytes: &[u8]| {
            use std::fmt::Write as _;
            bytes.iter().fold(String::new(), |mut s, b| {
                let _ = write!(s, "{b:02x}");
                s
            })
        };
        let mut found = Vec::new();
        for (dialect, migrator) in [
            ("sqlite", sqlx::migrate!("migrations/sqlite")),
            ("postgres", sqlx::migrate!("migrations/postgres")),
        ] {
            for m in migrator.iter() {
                found.push((dialect, m.version, hex(&m.checksum)));
            }
        }
        let expected: Vec<(&str, i64, String)> = RELEASED
            .iter()
            .map(|(d, v, h)| (*d, *v, (*h).to_owned()))
            .collect();
        assert_eq!(
            found, expected,
            "a released migration changed, or a new one is not pinned here yet"
        );
    }

    #[test]
    fn urls_pick_their_backend_by_scheme() {
        assert_eq!(
            Backend::from_url("sqlite://marquee.db"),
            Ok(Backend::Sqlite)
        );
        assert_eq!(Backend::from_url("sqlite::memory:"), Ok(Backend::Sqlite));
        assert_eq!(
            Backend::from_url("postgres://u@h/db"),
            Ok(Backend::Postgres)
        );
        assert_eq!(
            Backend::from_url("postgresql://u@h/db"),
            Ok(Backend::Postgres)
        );
        let err = Backend::from_url("mysql://root:secret@h/db").unwrap_err();
        assert!(
            err.contains("sqlite://") && !err.contains("secret"),
            "{err}"
        );
    }

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact_url("postgres://bob:hunter2@db:5432/x"),
            "postgres://bob:***@db:5432/x"
        );
        assert_eq!(redact_url("postgres://bob@db/x"), "postgres://bob@db/x");
        assert_eq!(redact_url("sqlite://marquee.db"), "sqlite://marquee.db");

        // A password in the query string, in any case, also percent-encoded or as sslpassword.
        assert_eq!(
            redact_url("postgres://u@h:1/x?password=s3cret"),
            "postgres://u@h:1/x?password=***"
        );
        assert_eq!(
            redact_url("postgres://u@h/x?sslmode=require&PassWord=s3cret&sslpassword=k3y&port=5"),
            "postgres://u@h/x?sslmode=require&PassWord=***&sslpassword=***&port=5"
        );
        assert_eq!(
            redact_url("postgres://h/x?user=u&pass%77ord=s3cret"),
            "postgres://h/x?user=u&pass%77ord=***"
        );
        assert_eq!(
            redact_url("postgres://bob:hunter2@db/x?SSLPASSWORD=s3cret"),
            "postgres://bob:***@db/x?SSLPASSWORD=***"
        );
        // An `@` in the query string is not the end of a user name, and odd characters in a
        // password do not let any of it through.
        assert_eq!(
            redact_url("postgres://u@h/x?application_name=me@home&password=s3@cret"),
            "postgres://u@h/x?application_name=me@home&password=***"
        );
        assert_eq!(
            redact_url("postgres://bob:s3/c?r@t@db/x"),
            "postgres://bob:***@db/x"
        );
        assert_eq!(
            redact_url("postgres://h/x?passwordless=yes&user=u"),
            "postgres://h/x?passwordless=yes&user=u",
            "only a password's value is hidden"
        );
        for url in [
            "postgres://u@h:1/x?password=s3cret",
            "postgres://u:s3cret@h:1/x",
            "postgresql://h/x?Password=s3cret#frag",
            "postgres:///x?host=/run/pg&password=s3cret",
        ] {
            let shown = redact_url(url);
            assert!(!shown.contains("s3cret"), "{url} became {shown}");
            let err = Backend::from_url(&url.replacen("postgres", "pg", 1)).unwrap_err();
            assert!(!err.contains("s3cret"), "{err}");
        }
    }

    #[test]
    fn lists_round_trip_and_pipes_inside_items_are_neutralised() {
        let joined = join_list(&["Sci-Fi", "a|b", " x "]);
        assert_eq!(joined, "Sci-Fi|a/b|x");
        assert_eq!(split_list(&joined), vec!["Sci-Fi", "a/b", "x"]);
        assert!(split_list("").is_empty());
    }

    #[test]
    fn a_database_out_of_reach_is_unavailable_not_internal() {
        use std::io::{Error as IoError, ErrorKind};
        for kind in [
            ErrorKind::ConnectionRefused,
            ErrorKind::ConnectionReset,
            ErrorKind::ConnectionAborted,
            ErrorKind::UnexpectedEof,
            ErrorKind::BrokenPipe,
            ErrorKind::TimedOut,
        ] {
            let e = sqlx::Error::Io(IoError::from(kind));
            assert!(
                matches!(map_err("op", &e), StoreError::Unavailable(_)),
                "{kind:?}"
            );
        }
        let refused = sqlx::Error::Io(IoError::from(ErrorKind::ConnectionRefused));
        assert!(
            matches!(map_err("op", &refused), StoreError::Unavailable(m) if m == "op: connection refused")
        );
        assert!(matches!(
            map_err("op", &sqlx::Error::PoolTimedOut),
            StoreError::Unavailable(m) if m == "op: no connection within 5 s"
        ));
        let other = sqlx::Error::ColumnNotFound("x".to_owned());
        assert!(matches!(map_err("op", &other), StoreError::Internal(_)));
    }

    #[tokio::test]
    async fn a_pool_that_timed_out_is_not_tried_again_a_broken_connection_is() {
        use std::sync::atomic::{AtomicU32, Ordering};
        let tries = AtomicU32::new(0);
        let timed_out = retry("op", || async {
            tries.fetch_add(1, Ordering::SeqCst);
            Err::<(), _>(sqlx::Error::PoolTimedOut)
        })
        .await;
        assert!(matches!(timed_out, Err(StoreError::Unavailable(_))));
        assert_eq!(tries.swap(0, Ordering::SeqCst), 1);
        let broken = retry("op", || async {
            tries.fetch_add(1, Ordering::SeqCst);
            Err::<(), _>(sqlx::Error::Io(std::io::ErrorKind::UnexpectedEof.into()))
        })
        .await;
        assert!(matches!(broken, Err(StoreError::Unavailable(_))));
        assert_eq!(tries.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_server_that_refuses_connections_is_reported_unreachable_at_once() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let err = Store::connect(&format!("postgres://u:s3cret@127.0.0.1:{port}/x"))
            .await
            .expect_err("nothing listens there");
        assert_eq!(err.unreachable(), Some("connection refused"), "{err}");
        let shown = err.to_string();
        assert!(
            shown.contains(&format!("127.0.0.1:{port}")) && !shown.contains("s3cret"),
            "{shown}"
        );
    }
}
