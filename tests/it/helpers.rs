//! Fixtures shared by the integration tests: a store on each backend, each test on its own
//! fresh database so tests run in parallel.

use marquee::outbound::storage::Store;
use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};

/// The PostgreSQL server tests create their databases on. Trust auth on these machines.
pub fn postgres_admin_url() -> String {
    std::env::var("MARQUEE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// Runs `body` on a fresh SQLite file in a temporary folder.
pub async fn with_sqlite<F, Fut>(body: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    with_sqlite_url(|_, store| body(store)).await;
}

/// Runs `body` on a fresh SQLite file in a temporary folder, with the file's URL (for a
/// process that opens the same database).
pub async fn with_sqlite_url<F, Fut>(body: F)
where
    F: FnOnce(String, Store) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let dir = tempfile::tempdir().expect("temporary folder");
    let url = format!("sqlite://{}", dir.path().join("marquee.db").display());
    let store = Store::connect(&url).await.expect("open SQLite");
    let outcome = tokio::spawn(body(url, store.clone())).await;
    store.close().await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// Runs `body` on a fresh PostgreSQL database, dropped afterwards (also when `body` panics).
pub async fn with_postgres<F, Fut>(body: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    with_postgres_url(|_, store| body(store)).await;
}

/// Runs `body` on a fresh PostgreSQL database with its URL, dropped afterwards (also when
/// `body` panics).
pub async fn with_postgres_url<F, Fut>(body: F)
where
    F: FnOnce(String, Store) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let admin_url = postgres_admin_url();
    let name = format!(
        "marquee_t_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos())
    );
    let admin = sqlx::PgPool::connect(&admin_url).await.unwrap_or_else(|e| {
        panic!(
            "PostgreSQL is needed for these tests and is not reachable at {admin_url}: {e}\n\
             Start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n\
             or point MARQUEE_TEST_POSTGRES_URL at another server."
        )
    });
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin)
        .await
        .expect("create test database");
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url.as_str(), |(b, _)| b);
    let url = format!("{base}/{name}");
    let store = Store::connect(&url).await.expect("open PostgreSQL");
    let outcome = tokio::spawn(body(url, store.clone())).await;
    store.close().await;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&admin)
        .await
        .expect("drop test database");
    admin.close().await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// Declares one test per backend for each named `async fn(Store)` in scope.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    $crate::helpers::with_sqlite(super::$name).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    $crate::helpers::with_postgres(super::$name).await;
                }
            )*
        }
    };
}
pub(crate) use on_both_backends;

/// The real `marquee` binary, run in `dir` as a new user would: no token, no database setting,
/// quiet logs.
pub fn marquee_binary(dir: &std::path::Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_marquee"));
    cmd.current_dir(dir)
        .env_remove("DISCORD_TOKEN")
        .env_remove("DATABASE_URL")
        .env_remove("DISCORD_DEV_GUILD_ID")
        .env("RUST_LOG", "warn");
    cmd
}

/// A ZIP of `(name, content)` files (an export as a site would send it).
pub fn zip_of(files: &[(&str, &str)]) -> Vec<u8> {
    use std::io::Write as _;
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in files {
        zip.start_file(*name, options).expect("an entry");
        zip.write_all(data.as_bytes()).expect("its data");
    }
    zip.finish().expect("the ZIP");
    out.into_inner()
}

/// The feedback events of Discord user `snowflake` in the fake Discord's server.
pub async fn discord_events(
    store: &Store,
    snowflake: &str,
) -> Vec<marquee::domain::events::FeedbackEvent> {
    use marquee::domain::ports::{FeedbackRepo as _, UserKind, UserRepo as _};
    let server = crate::fake_discord::GUILD_ID.parse().expect("snowflake");
    let user = store
        .ensure_user(
            UserKind::Discord,
            snowflake,
            "",
            Some(marquee::domain::ids::GuildId(server)),
        )
        .await
        .expect("user");
    store.events_for_user(user).await.expect("events")
}
