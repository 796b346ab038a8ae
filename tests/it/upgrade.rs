//! Upgrading a database of the last release (migrations 0001–0002) with people in it, on both
//! backends (0004 as released, then 0006 completes it): a Discord user whose data all comes from one server moves to that server (so
//! `/privacy` there shows it); one seen in two servers, and people on the console, go to the
//! default server 0; imported raters stay in the shared base; the old taste-group snapshots,
//! which hold everyone's groups together, go.

use marquee::app::reply::PrivacySummary;
use marquee::app::{App, Caller, Command, Options, Person, PrivacyCommand, Reply};
use marquee::domain::ids::GuildId;
use marquee::domain::ports::{UserKind, UserRepo as _};
use marquee::outbound::storage::Store;
use std::borrow::Cow;

/// A database reached without the app, to lay it out as the last release did.
enum Raw {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Raw {
    async fn run(&self, sql: &str) {
        match self {
            Raw::Sqlite(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
            Raw::Postgres(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// Applies the released migrations only (up to `version`).
    async fn migrate_until(&self, version: i64) {
        let keep = |mut m: sqlx::migrate::Migrator| {
            m.migrations = Cow::Owned(
                m.migrations
                    .iter()
                    .filter(|x| x.version <= version)
                    .cloned()
                    .collect(),
            );
            m
        };
        match self {
            Raw::Sqlite(p) => keep(sqlx::migrate!("migrations/sqlite")).run(p).await,
            Raw::Postgres(p) => keep(sqlx::migrate!("migrations/postgres")).run(p).await,
        }
        .expect("the released migrations");
    }

    async fn close(self) {
        match self {
            Raw::Sqlite(p) => p.close().await,
            Raw::Postgres(p) => p.close().await,
        }
    }
}

/// Two films, four people and their traces, as the last release stored them.
const OLD_DATA: &str = "
INSERT INTO movies (id, title, norm_title, year, source, created_at, updated_at)
    VALUES (1, 'Alien', 'alien', 1979, 'test', 0, 0), (2, 'Heat', 'heat', 1995, 'test', 0, 0);
INSERT INTO users (id, kind, external_id, display_name, created_at) VALUES
    (1, 'discord', '42', 'ana', 0),
    (2, 'discord', '43', 'ben', 0),
    (3, 'console', 'kim', 'kim', 0),
    (4, 'movielens', '9', '', 0);
INSERT INTO feedback_events (id, user_id, movie_id, kind, value, weight, source, guild_id, created_at) VALUES
    (1, 1, 1, 'rating', 5, 1, 'discord', 7, 1),
    (2, 1, 2, 'reaction', 4, 0.6, 'discord', 7, 2),
    (3, 2, 1, 'rating', 4, 1, 'discord', 7, 3),
    (4, 2, 2, 'rating', 3, 1, 'discord', 8, 4),
    (5, 3, 1, 'rating', 4, 1, 'console', NULL, 5),
    (6, 4, 2, 'historical', 4, 1, 'movielens', NULL, 6);
INSERT INTO model_snapshots (kind, format, data, events_seen, created_at) VALUES
    ('taste-groups', 1, X'00', 6, 7);
";

async fn an_upgraded_database_puts_people_in_their_server(url: String, raw: Raw) {
    raw.migrate_until(2).await;
    let data = if matches!(raw, Raw::Postgres(_)) {
        // Explicit ids need saying so on identity columns.
        OLD_DATA
            .replace("X'00'", "'\\x00'::bytea")
            .replace(") VALUES", ") OVERRIDING SYSTEM VALUE VALUES")
            .replace(")\n    VALUES", ") OVERRIDING SYSTEM VALUE VALUES")
    } else {
        OLD_DATA.to_owned()
    };
    raw.run(&data).await;
    raw.close().await;

    let store = Store::connect(&url).await.expect("upgraded");
    let of = |kind, person: &'static str| {
        let store = store.clone();
        async move { store.users_of_person(kind, person).await.expect("users") }
    };
    assert_eq!(
        of(UserKind::Discord, "42").await,
        [(marquee::domain::ids::UserId(1), Some(GuildId(7)))],
        "all of Ana's data comes from server 7"
    );
    assert_eq!(
        of(UserKind::Discord, "43").await[0].1,
        Some(GuildId(0)),
        "Ben was seen in two servers: the default one"
    );
    assert_eq!(of(UserKind::Console, "kim").await[0].1, Some(GuildId(0)));
    assert_eq!(
        of(UserKind::MovieLens, "9").await[0].1,
        None,
        "the shared base"
    );

    let app = App::on_store(store.clone(), Options::default())
        .await
        .expect("app");
    let ana = Caller::cli(Person::Discord {
        id: 42,
        name: "ana".into(),
    })
    .in_server(GuildId(7));
    let Reply::PrivacySummary(shown) = app
        .handle(&ana, Command::Privacy(PrivacyCommand::Show))
        .await
        .expect("show")
    else {
        panic!("a summary")
    };
    assert_eq!((shown.ratings, shown.reactions), (1, 1), "{shown:?}");
    let elsewhere = ana.clone().in_server(GuildId(8));
    let Reply::PrivacySummary(nothing) = app
        .handle(&elsewhere, Command::Privacy(PrivacyCommand::Show))
        .await
        .expect("show")
    else {
        panic!("a summary")
    };
    assert_eq!(
        *nothing,
        PrivacySummary {
            other_servers: 1,
            ..PrivacySummary::default()
        }
    );
    app.close().await;
    let old: Vec<i64> = match Raw::open(&url).await {
        Raw::Sqlite(p) => {
            sqlx::query_scalar("SELECT id FROM model_snapshots WHERE kind = 'taste-groups'")
                .fetch_all(&p)
                .await
        }
        Raw::Postgres(p) => {
            sqlx::query_scalar("SELECT id FROM model_snapshots WHERE kind = 'taste-groups'")
                .fetch_all(&p)
                .await
        }
    }
    .expect("snapshots");
    assert!(old.is_empty(), "the old taste groups went: {old:?}");
    store.close().await;
}

/// History imports of the last release (migrations up to 0008) keyed their events without the
/// person: the upgrade renames the keys, so the same export imported again stores nothing, and
/// another person's same rating is stored as theirs.
async fn history_keys_of_the_last_release_name_their_person(url: String, raw: Raw) {
    raw.migrate_until(8).await;
    let mut data = "
INSERT INTO movies (id, title, norm_title, year, source, created_at, updated_at)
    VALUES (1, 'Alien', 'alien', 1979, 'test', 0, 0);
INSERT INTO users (id, kind, external_id, person, display_name, guild_id, created_at) VALUES
    (1, 'console', 'kim@0', 'kim', 'kim', 0, 0);
INSERT INTO feedback_events (id, user_id, movie_id, kind, value, weight, source, guild_id, created_at, idempotency_key) VALUES
    (1, 1, 1, 'rating', 5, 1, 'letterboxd', 0, 1704153600000, 'history:letterboxd:rated:5:1:1704153600000'),
    (2, 1, 1, 'reaction', 4, 0.6, 'discord', 0, 2, 'reaction:9:1:x');
"
    .to_owned();
    if matches!(raw, Raw::Postgres(_)) {
        data = data.replace(") VALUES", ") OVERRIDING SYSTEM VALUE VALUES");
        data = data.replace(")\n    VALUES", ") OVERRIDING SYSTEM VALUE VALUES");
        // Rows with their own ids leave the identity counters behind: move them past.
        for table in ["movies", "users", "feedback_events"] {
            data += "SELECT setval(pg_get_serial_sequence('";
            data += table;
            data += "', 'id'), 100);\n";
        }
    }
    raw.run(&data).await;
    raw.close().await;

    let store = Store::connect(&url).await.expect("upgraded");
    let app = App::on_store(store.clone(), Options::default())
        .await
        .expect("app");
    let ratings =
        b"Date,Name,Year,Letterboxd URI,Rating\n2024-01-02,Alien,1979,https://boxd.it/1,5\n";
    let import = |who: &'static str| {
        let app = &app;
        async move {
            let caller = Caller::console(who).in_server(GuildId(0));
            let command = Command::ImportHistory {
                name: "ratings.csv".into(),
                bytes: ratings.to_vec(),
                expected: None,
            };
            match app.handle(&caller, command).await.expect("import") {
                Reply::HistoryImported(s) => (s.stored, s.already),
                other => panic!("{other:?}"),
            }
        }
    };
    assert_eq!(
        import("kim").await,
        (0, 1),
        "Kim's rating was already there"
    );
    assert_eq!(import("lee").await, (1, 0), "Lee's same rating is Lee's");
    app.close().await;
    let keys: Vec<String> = match Raw::open(&url).await {
        Raw::Sqlite(p) => {
            sqlx::query_scalar("SELECT idempotency_key FROM feedback_events ORDER BY id")
                .fetch_all(&p)
                .await
        }
        Raw::Postgres(p) => {
            sqlx::query_scalar("SELECT idempotency_key FROM feedback_events ORDER BY id")
                .fetch_all(&p)
                .await
        }
    }
    .expect("keys");
    assert_eq!(keys[0], "history:1:letterboxd:rated:5:1:1704153600000");
    assert_eq!(keys[1], "reaction:9:1:x", "other keys stay");
    assert!(
        keys[2].starts_with("history:") && keys[2] != keys[0],
        "{keys:?}"
    );
    store.close().await;
}

#[tokio::test]
async fn sqlite_history_keys_of_the_last_release_name_their_person() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("old.db").display());
    let raw = Raw::open(&url).await;
    history_keys_of_the_last_release_name_their_person(url, raw).await;
}

#[tokio::test]
async fn postgres_history_keys_of_the_last_release_name_their_person() {
    crate::helpers::with_postgres_url(|url, store| async move {
        store.close().await;
        let raw = Raw::open(&url).await;
        raw.run("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
            .await;
        history_keys_of_the_last_release_name_their_person(url, raw).await;
    })
    .await;
}

impl Raw {
    async fn open(url: &str) -> Self {
        if url.starts_with("sqlite") {
            let options = url
                .parse::<sqlx::sqlite::SqliteConnectOptions>()
                .expect("url")
                .create_if_missing(true);
            Raw::Sqlite(
                sqlx::SqlitePool::connect_with(options)
                    .await
                    .expect("sqlite"),
            )
        } else {
            Raw::Postgres(sqlx::PgPool::connect(url).await.expect("postgres"))
        }
    }
}

#[tokio::test]
async fn sqlite_an_upgraded_database_puts_people_in_their_server() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("old.db").display());
    let raw = Raw::open(&url).await;
    an_upgraded_database_puts_people_in_their_server(url, raw).await;
}

#[tokio::test]
async fn postgres_an_upgraded_database_puts_people_in_their_server() {
    // A fresh database of the helpers', emptied back to nothing: the old release is laid out
    // in it by hand.
    crate::helpers::with_postgres_url(|url, store| async move {
        store.close().await;
        let raw = Raw::open(&url).await;
        raw.run("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
            .await;
        an_upgraded_database_puts_people_in_their_server(url, raw).await;
    })
    .await;
}

/// SHA-384 of the edited 0004 one build shipped, per backend.
const INTERIM_0004: [(&str, &str); 2] = [
    (
        "sqlite",
        "0f351e3667334f09af6a15715470c1ae0c465e33f8a10b86ee270a75b9c32a306cc01bf9ba5cb35587b8cf42414ee8ef",
    ),
    (
        "postgres",
        "33e6cffbe0f8d7b9900c2fe5a8dee92b43d5c6f452df496fb87d3ee1d48bb65f1120c2372083b8faa7f84d048ac4239d",
    ),
];

/// A database that ran the interim 0004 (recorded under its checksum) opens, and its record is
/// set to the released 0004's.
async fn a_database_of_the_interim_0004_opens(url: String, raw: Raw) {
    let backend = if matches!(raw, Raw::Sqlite(_)) {
        "sqlite"
    } else {
        "postgres"
    };
    let interim = INTERIM_0004
        .iter()
        .find(|(b, _)| *b == backend)
        .map(|(_, h)| *h)
        .expect("a hash");
    raw.migrate_until(i64::MAX).await;
    let set = format!(
        "UPDATE _sqlx_migrations SET checksum = {} WHERE version = 4",
        match raw {
            Raw::Sqlite(_) => format!("X'{interim}'"),
            Raw::Postgres(_) => format!("'\\x{interim}'::bytea"),
        }
    );
    raw.run(&set).await;
    raw.close().await;
    let store = Store::connect(&url).await.expect("accepted");
    store.close().await;
    let hex: String = match Raw::open(&url).await {
        Raw::Sqlite(p) => {
            sqlx::query_scalar(
                "SELECT lower(hex(checksum)) FROM _sqlx_migrations WHERE version = 4",
            )
            .fetch_one(&p)
            .await
        }
        Raw::Postgres(p) => {
            sqlx::query_scalar(
                "SELECT encode(checksum, 'hex') FROM _sqlx_migrations WHERE version = 4",
            )
            .fetch_one(&p)
            .await
        }
    }
    .expect("checksum");
    assert_ne!(hex, interim, "recorded as the released 0004 now");
    assert_eq!(hex.len(), 96);
}

#[tokio::test]
async fn sqlite_a_database_of_the_interim_0004_opens() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("interim.db").display());
    let raw = Raw::open(&url).await;
    a_database_of_the_interim_0004_opens(url, raw).await;
}

#[tokio::test]
async fn postgres_a_database_of_the_interim_0004_opens() {
    crate::helpers::with_postgres_url(|url, store| async move {
        store.close().await;
        let raw = Raw::open(&url).await;
        raw.run("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
            .await;
        a_database_of_the_interim_0004_opens(url, raw).await;
    })
    .await;
}
