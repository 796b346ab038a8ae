//! Privacy end to end on both backends: what `/privacy show` and `export` say, and that
//! `/privacy forget` leaves no trace of the person in any table or model (checked table by
//! table, so a new table must be thought about here), also after a restart, while the other
//! people's data stays; and that an old reaction delivered again is not stored again.

use crate::helpers::{with_postgres_url, with_sqlite_url};
use marquee::app::command::Invitee;
use marquee::app::reply::PrivacySummary;
use marquee::app::{
    App, Caller, Command, Filters, LabCommand, Options, PartyCommand, PartyStart, PrivacyCommand,
    Reply,
};
use marquee::domain::ids::{GuildId, UserId};
use marquee::domain::ports::{ImpressionRepo as _, ModelRepo as _};
use marquee::domain::recommend::snapshot::ModelSnapshot;
use marquee::outbound::storage::Store;

const HERE: GuildId = GuildId(11);
const THERE: GuildId = GuildId(12);

/// Every table of the schema. A new table must be added here, with how it refers to people.
pub(crate) const TABLES: [&str; 23] = [
    "_sqlx_migrations",
    "applied_actions",
    "conversation_films",
    "conversation_lists",
    "conversations",
    "experiment_assignments",
    "experiment_runs",
    "experiments",
    "feedback_events",
    "forgotten",
    "guild_fairness",
    "history_choices",
    "impressions",
    "model_snapshots",
    "movies",
    "reviews",
    "secrets",
    "servers",
    "users",
    "watch_parties",
    "watch_party_candidates",
    "watch_party_members",
    "watch_party_votes",
];

fn person(name: &str, server: GuildId) -> Caller {
    Caller::console(name).in_server(server)
}

async fn run(app: &App, who: &Caller, command: Command) -> Reply {
    app.handle(who, command).await.expect("answer")
}

fn privacy(command: PrivacyCommand) -> Command {
    Command::Privacy(command)
}

/// Ana does a bit of everything in `HERE` (and rates once in `THERE`); Ben parties with her.
async fn a_busy_person(app: &App) -> (Caller, Caller) {
    let (ana, ben) = (person("ana", HERE), person("ben", HERE));
    let rate = |title: &str| Command::Rate {
        title: title.into(),
        stars: 5.0,
    };
    run(app, &ana, rate("Alien")).await;
    run(app, &person("ana", THERE), rate("Heat")).await;
    let review = Command::Review {
        title: "Heat".into(),
        text: "Loved it, a stunning film!".into(),
    };
    run(app, &ana, review).await;
    run(
        app,
        &ana,
        Command::Lab(LabCommand::Start {
            key: "diversity".into(),
            everywhere: false,
        }),
    )
    .await;
    let list = Command::Recommend {
        filters: Filters::default(),
        instead_of: None,
    };
    run(app, &ana, list).await;
    let react = Command::React {
        list: None,
        position: 1,
        emoji: "👍".into(),
        removed: false,
    };
    run(app, &ana, react).await;
    let ask = Command::Ask {
        text: "a funny movie from the 90s".into(),
        fresh: true,
    };
    run(app, &ana, ask).await;
    // A history import with a row that fits two films, kept for her to choose.
    let import = Command::ImportHistory {
        name: "ratings.csv".into(),
        bytes: b"Date,Name,Year,Letterboxd URI,Rating\n2024-01-06,Dune,,https://boxd.it/6,4.5\n"
            .to_vec(),
        expected: None,
    };
    assert!(matches!(
        run(app, &ana, import).await,
        Reply::HistoryImported(s) if s.ambiguous.len() == 1
    ));
    // A party Ana hosts, and one Ben hosts: both pick, vote and close.
    for (host, guest) in [(&ana, &ben), (&ben, &ana)] {
        let start = PartyStart {
            invited: vec![Invitee::local(match &guest.person {
                marquee::app::Person::Local(n) => n,
                _ => unreachable!("console people"),
            })],
            ..PartyStart::default()
        };
        let Reply::Lobby(lobby) = run(app, host, Command::Party(PartyCommand::Start(start))).await
        else {
            panic!("a lobby")
        };
        let id = lobby.party;
        run(
            app,
            host,
            Command::Party(PartyCommand::Pick {
                party: id,
                message: None,
            }),
        )
        .await;
        for who in [host, guest] {
            let vote = PartyCommand::Vote {
                party: id,
                position: 1,
                message: None,
            };
            run(app, who, Command::Party(vote)).await;
        }
    }
    (ana, ben)
}

fn summary(reply: Reply) -> PrivacySummary {
    match reply {
        Reply::PrivacySummary(s) => *s,
        other => panic!("a summary, got {other:?}"),
    }
}

/// Rows in `table` that still name `user`.
pub(crate) async fn traces(pool: &Pool, table: &str, user: UserId) -> i64 {
    let id = user.0;
    let sql = match table {
        "users" => "SELECT COUNT(*) FROM users WHERE id = $1".to_owned(),
        "feedback_events"
        | "reviews"
        | "impressions"
        | "conversations"
        | "guild_fairness"
        | "history_choices"
        | "watch_party_members"
        | "watch_party_votes" => {
            format!("SELECT COUNT(*) FROM {table} WHERE user_id = $1")
        }
        "watch_parties" => "SELECT COUNT(*) FROM watch_parties WHERE host_user_id = $1".to_owned(),
        "experiment_assignments" => {
            format!(
                "SELECT COUNT(*) FROM experiment_assignments WHERE unit_id = 'user:{id}' AND $1 = $1"
            )
        }
        "watch_party_candidates" => format!(
            "SELECT COUNT(*) FROM watch_party_candidates WHERE details LIKE '%\"{id}\"%' AND $1 = $1"
        ),
        // No person in them: definitions, runs, films, servers, secrets, migrations, keys of
        // applied writes (interaction ids and results, swept after a day); the
        // forgotten table holds keyed hashes only; snapshots are checked by decoding them;
        // what conversations named and accepted is kept by conversation and list, with no
        // person and no server (the lists' impressions that tied them to someone are gone).
        _ => return 0,
    };
    pool.count(&sql, id).await
}

/// The two backends' pools, for reading the schema and counting rows.
pub(crate) enum Pool {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Pool {
    pub(crate) async fn open(url: &str) -> Self {
        if url.starts_with("sqlite") {
            Pool::Sqlite(sqlx::SqlitePool::connect(url).await.expect("sqlite"))
        } else {
            Pool::Postgres(sqlx::PgPool::connect(url).await.expect("postgres"))
        }
    }

    pub(crate) async fn tables(&self) -> Vec<String> {
        let mut names: Vec<String> = match self {
            Pool::Sqlite(p) => sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            )
            .fetch_all(p)
            .await
            .expect("tables"),
            Pool::Postgres(p) => sqlx::query_scalar(
                "SELECT table_name::TEXT FROM information_schema.tables WHERE table_schema = 'public'",
            )
            .fetch_all(p)
            .await
            .expect("tables"),
        };
        names.sort();
        names
    }

    async fn count(&self, sql: &str, id: i64) -> i64 {
        match self {
            Pool::Sqlite(p) => sqlx::query_scalar(sql).bind(id).fetch_one(p).await,
            Pool::Postgres(p) => sqlx::query_scalar(sql).bind(id).fetch_one(p).await,
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    pub(crate) async fn close(self) {
        match self {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
    }
}

/// `/privacy show` counts what Ana did here (and that another server keeps its own);
/// `/privacy export` holds it all, and nothing of the other server.
async fn what_is_kept_is_shown_and_exported(app: &App, ana: &Caller) {
    let shown = summary(run(app, ana, privacy(PrivacyCommand::Show)).await);
    assert_eq!((shown.ratings, shown.reviews), (1, 1), "{shown:?}");
    assert!(shown.reactions >= 1 && shown.films_shown >= 5, "{shown:?}");
    assert_eq!(shown.watch_parties, 2);
    assert_eq!(shown.conversations, 1);
    assert_eq!(
        shown.other_servers, 1,
        "the rating in the other server is counted apart"
    );
    let Reply::PrivacyExport { json, .. } = run(app, ana, privacy(PrivacyCommand::Export)).await
    else {
        panic!("an export")
    };
    let export: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(export["reviews"][0]["text"], "Loved it, a stunning film!");
    assert_eq!(export["reviews"][0]["film"], "Heat (1995)");
    assert!(
        export["feedback"]
            .as_array()
            .expect("feedback")
            .iter()
            .any(|e| e["film"] == "Alien (1979)" && e["what"] == "rating"),
        "{json}"
    );
    assert_eq!(export["watch_parties"].as_array().map(Vec::len), Some(2));
    let kept = &export["history_rows_to_choose_for"];
    assert_eq!(kept.as_array().map(Vec::len), Some(1), "{json}");
    assert_eq!(kept[0]["row"]["title"], "Dune", "{json}");
    assert!(kept[0]["your_choice"].is_null(), "{json}");
    assert!(
        export["watch_party_fairness_debt"].is_number(),
        "the debt from her movie nights: {json}"
    );
    assert!(
        export["feedback"]
            .as_array()
            .expect("feedback")
            .iter()
            .all(|e| !(e["film"] == "Heat (1995)" && e["what"] == "rating")),
        "the rating in the other server is not in this server's export: {json}"
    );
}

async fn forgetting_leaves_no_trace_in_any_table_or_model_and_keeps_the_others(
    url: String,
    store: Store,
) {
    let app = App::on_store(store.clone(), Options::default())
        .await
        .expect("app");
    let (ana, ben) = a_busy_person(&app).await;
    app.retrain().await.expect("a model with Ana in it");
    let ana_id = app.services().user(&ana).await.expect("db").expect("ana");
    let ana_there = app
        .services()
        .user(&person("ana", THERE))
        .await
        .expect("db")
        .expect("ana there");
    let ben_id = app.services().user(&ben).await.expect("db").expect("ben");
    let stored = store
        .latest_model("recommender")
        .await
        .expect("db")
        .expect("model");
    let model = ModelSnapshot::from_bytes(&stored.data).expect("model");
    assert!(model.user_vector(ana_id).is_some(), "trained with Ana");

    what_is_kept_is_shown_and_exported(&app, &ana).await;
    // Shortlist films picked for Ana say so, in her party and in Ben's.
    let named = "SELECT COUNT(*) FROM watch_party_candidates WHERE details LIKE '%a pick for ana\"%' AND $1 = $1";
    let before = Pool::open(&url).await;
    assert!(before.count(named, 0).await > 0, "Ana's picks are named");
    before.close().await;

    // Forget asks first; then it happens, here only.
    let ask = PrivacyCommand::Forget {
        everywhere: false,
        confirmed: false,
    };
    assert!(matches!(
        run(&app, &ana, privacy(ask)).await,
        Reply::ConfirmForget { .. }
    ));
    assert!(summary(run(&app, &ana, privacy(PrivacyCommand::Show)).await).ratings == 1);
    let forget = PrivacyCommand::Forget {
        everywhere: false,
        confirmed: true,
    };
    assert!(matches!(
        run(&app, &ana, privacy(forget)).await,
        Reply::Forgotten(_)
    ));
    assert!(
        matches!(run(&app, &ana, privacy(forget)).await, Reply::Text(t) if t.contains("nothing to delete")),
        "twice: nothing left"
    );

    let pool = Pool::open(&url).await;
    assert_eq!(
        pool.count(named, 0).await,
        0,
        "her name went from the shortlists"
    );
    assert_eq!(pool.tables().await, TABLES, "every table is checked below");
    for table in TABLES {
        assert_eq!(
            traces(&pool, table, ana_id).await,
            0,
            "{table} still names Ana"
        );
    }
    assert!(
        traces(&pool, "users", ana_there).await == 1,
        "Ana elsewhere stays"
    );
    assert!(
        traces(&pool, "feedback_events", ben_id).await > 0,
        "Ben's data stays"
    );
    assert!(
        traces(&pool, "watch_parties", ben_id).await == 1,
        "Ben's party stays"
    );
    pool.close().await;
    for kind in ["recommender", "taste-groups-by-server"] {
        let stored = store
            .latest_model(kind)
            .await
            .expect("db")
            .expect("a snapshot");
        let text = String::from_utf8_lossy(&stored.data);
        if kind == "recommender" {
            let model = ModelSnapshot::from_bytes(&stored.data).expect("model");
            assert!(
                model.user_vector(ana_id).is_none(),
                "no vector in the stored model"
            );
            assert!(model.user_vector(ben_id).is_some(), "Ben's stays");
        } else {
            assert!(
                !text.contains(&format!("\"users\":[{}", ana_id.0)),
                "no group assignment"
            );
        }
    }

    // After a restart, nothing of Ana comes back.
    app.close().await;
    after_a_restart(&url, &ana, &ben).await;
}

/// After a restart, Ana's forgotten data stays gone; a reaction on a list shown after the
/// forget is new (stored); the other server kept its own.
async fn after_a_restart(url: &str, ana: &Caller, ben: &Caller) {
    let store = Store::connect(url).await.expect("reopen");
    let app = App::on_store(store.clone(), Options::default())
        .await
        .expect("app again");
    let Reply::Picks { list, .. } = run(
        &app,
        ben,
        Command::Recommend {
            filters: Filters::default(),
            instead_of: None,
        },
    )
    .await
    else {
        panic!("Ben's picks")
    };
    let shown_at = store
        .impression(list, 1)
        .await
        .expect("db")
        .expect("shown")
        .shown
        .created_at_ms;
    assert!(shown_at > 0);
    // The list was shown after the forget, so a reaction on it is new; one on a list shown
    // before it would be an old one delivered again.
    let old_reaction = Command::React {
        list: Some(list),
        position: 1,
        emoji: "👍".into(),
        removed: false,
    };
    assert!(matches!(
        run(&app, ana, old_reaction.clone()).await,
        Reply::Reacted { .. }
    ));
    assert_eq!(
        summary(run(&app, &person("ana", THERE), privacy(PrivacyCommand::Show)).await).ratings,
        1,
        "the other server kept its own"
    );
    app.close().await;
}

async fn a_reaction_from_before_the_forget_delivered_again_is_not_stored(store: Store) {
    let app = App::on_store(store.clone(), Options::default())
        .await
        .expect("app");
    let (ana, ben) = (person("ana", HERE), person("ben", HERE));
    let Reply::Picks { list, .. } = run(
        &app,
        &ben,
        Command::Recommend {
            filters: Filters::default(),
            instead_of: None,
        },
    )
    .await
    else {
        panic!("picks")
    };
    let react = Command::React {
        list: Some(list),
        position: 1,
        emoji: "👍".into(),
        removed: false,
    };
    assert!(matches!(
        run(&app, &ana, react.clone()).await,
        Reply::Reacted { .. }
    ));
    let forget = PrivacyCommand::Forget {
        everywhere: true,
        confirmed: true,
    };
    assert!(matches!(
        run(&app, &ana, privacy(forget)).await,
        Reply::Forgotten(_)
    ));
    assert_eq!(
        run(&app, &ana, react).await,
        Reply::Ignored,
        "the same reaction, delivered again after the forget"
    );
    let shown = summary(run(&app, &ana, privacy(PrivacyCommand::Show)).await);
    assert_eq!(
        shown,
        PrivacySummary::default(),
        "nothing kept, nothing stored again"
    );
    let export = run(&app, &ana, privacy(PrivacyCommand::Export)).await;
    assert!(
        matches!(export, Reply::PrivacyExport { json, .. } if json.contains("\"feedback\": []"))
    );
    app.close().await;
}

/// Two processes on one database: one forgets Ana; the other, which knew her stored id, keeps
/// nothing more under it, and once its memory of her id lapses (a minute) she starts anew there.
async fn another_process_that_knew_a_forgotten_person_keeps_nothing_under_the_old_id(store: Store) {
    use crate::retention::TestClock;
    use marquee::app::services::USER_CACHE_MS;
    use std::sync::Arc;
    let clock = Arc::new(TestClock::at(1_800_000_000_000));
    let options = || Options {
        clock: clock.clone(),
        ..Options::default()
    };
    let one = App::on_store(store.clone(), options()).await.expect("one");
    let two = App::on_store(store.clone(), options()).await.expect("two");
    let ana = person("ana", HERE);
    let rate = |title: &str| Command::Rate {
        title: title.into(),
        stars: 4.0,
    };
    assert!(matches!(
        run(&two, &ana, rate("Alien")).await,
        Reply::Rated { .. }
    ));
    let forget = PrivacyCommand::Forget {
        everywhere: false,
        confirmed: true,
    };
    assert!(matches!(
        run(&one, &ana, privacy(forget)).await,
        Reply::Forgotten(_)
    ));
    // Within the minute, the second process still has the old id: the rating is refused.
    let soon = two.handle(&ana, rate("Heat")).await;
    assert!(
        soon.is_err() || matches!(soon, Ok(Reply::Invalid(_))),
        "{soon:?}"
    );
    assert_eq!(
        summary(run(&one, &ana, privacy(PrivacyCommand::Show)).await),
        PrivacySummary::default(),
        "nothing stored under the old id"
    );
    clock.advance(USER_CACHE_MS);
    assert!(matches!(
        run(&two, &ana, rate("Heat")).await,
        Reply::Rated { .. }
    ));
    let Reply::PrivacyExport { json, .. } = run(&one, &ana, privacy(PrivacyCommand::Export)).await
    else {
        panic!("an export")
    };
    assert!(json.contains("Heat") && !json.contains("Alien"), "{json}");
    one.close().await;
    two.close().await;
}

mod sqlite {
    #[tokio::test]
    async fn another_process_that_knew_a_forgotten_person_keeps_nothing_under_the_old_id() {
        crate::helpers::with_sqlite(
            super::another_process_that_knew_a_forgotten_person_keeps_nothing_under_the_old_id,
        )
        .await;
    }

    #[tokio::test]
    async fn forgetting_leaves_no_trace_in_any_table_or_model_and_keeps_the_others() {
        super::with_sqlite_url(
            super::forgetting_leaves_no_trace_in_any_table_or_model_and_keeps_the_others,
        )
        .await;
    }

    #[tokio::test]
    async fn a_reaction_from_before_the_forget_delivered_again_is_not_stored() {
        crate::helpers::with_sqlite(
            super::a_reaction_from_before_the_forget_delivered_again_is_not_stored,
        )
        .await;
    }
}

mod postgres {
    #[tokio::test]
    async fn another_process_that_knew_a_forgotten_person_keeps_nothing_under_the_old_id() {
        crate::helpers::with_postgres(
            super::another_process_that_knew_a_forgotten_person_keeps_nothing_under_the_old_id,
        )
        .await;
    }

    #[tokio::test]
    async fn forgetting_leaves_no_trace_in_any_table_or_model_and_keeps_the_others() {
        super::with_postgres_url(
            super::forgetting_leaves_no_trace_in_any_table_or_model_and_keeps_the_others,
        )
        .await;
    }

    #[tokio::test]
    async fn a_reaction_from_before_the_forget_delivered_again_is_not_stored() {
        crate::helpers::with_postgres(
            super::a_reaction_from_before_the_forget_delivered_again_is_not_stored,
        )
        .await;
    }
}
