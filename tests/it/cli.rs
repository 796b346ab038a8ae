//! The real binary, run as a new user would: no token, a fresh folder, bad settings.

use std::path::Path;
use std::process::Output;

fn marquee(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = crate::helpers::marquee_binary(dir);
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run marquee")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn catalog_search_finds_the_godfather_films_with_their_years() {
    let dir = tempfile::tempdir().expect("dir");
    let out = marquee(dir.path(), &["catalog", "search", "godfather"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("The Godfather (1972)"), "{stdout}");
    assert!(
        stdout
            .lines()
            .next()
            .is_some_and(|l| l.contains("The Godfather")),
        "{stdout}"
    );
    assert!(
        dir.path().join("marquee.db").exists(),
        "the default SQLite file is created"
    );
}

#[test]
fn the_default_command_without_a_token_shows_a_demo_and_how_to_connect() {
    let dir = tempfile::tempdir().expect("dir");
    let out = marquee(dir.path(), &[], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("Catalog:") && stdout.contains("films"),
        "{stdout}"
    );
    assert!(
        stdout.contains("DISCORD_TOKEN") && stdout.contains("applications.commands"),
        "{stdout}"
    );
    assert!(
        !dir.path().join("marquee.db").exists(),
        "the demo never creates the default database"
    );
}

#[test]
fn the_demo_plays_a_server_end_to_end_and_leaves_the_configured_database_alone() {
    let dir = tempfile::tempdir().expect("dir");
    let mine = dir.path().join("mine.db");
    let url = format!("sqlite://{}", mine.display());
    let out = marquee(dir.path(), &["demo"], &[("DATABASE_URL", url.as_str())]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let line = |what: &str, fits: &dyn Fn(&str) -> bool| {
        assert!(stdout.lines().any(fits), "no {what} in:\n{stdout}");
    };
    line("rating", &|l| l.contains("Rated Alien (1979) 5★"));
    line("review read with stars", &|l| {
        l.contains("Review of Shaun of the Dead (2004) saved") && l.contains("★ (VADER compound")
    });
    line("reaction", &|l| l.contains("❤") && l.contains("read as 5★"));
    line("quiz film", &|l| l.contains("Taste quiz · film 1:"));
    line("quiz answer stored", &|l| {
        l.starts_with("    ✓ ") && l.contains("stored as")
    });
    line("taste group", &|l| {
        l.contains("Taste group:") || l.contains("taste group")
    });
    line("watch-party shortlist", &|l| l.contains("Voted 0/5"));
    line("watch-party winner", &|l| {
        l.contains("The vote closed") && l.contains("Movie night: ")
    });
    line("experiment start", &|l| {
        l.contains("started in this server")
    });
    line("experiment status", &|l| {
        l.trim_start().starts_with("control") && l.contains("shown  likes")
    });
    assert!(
        stdout.contains(&format!("your database, {url}, is not touched")),
        "{stdout}"
    );
    assert!(!mine.exists(), "the configured database is not created");
    let left: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").collect();
    assert!(left.is_empty(), "the demo leaves nothing here: {left:?}");
}

#[test]
fn serve_without_a_token_explains_what_to_set_and_fails() {
    let dir = tempfile::tempdir().expect("dir");
    let out = marquee(dir.path(), &["serve"], &[]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("DISCORD_TOKEN") && stderr.contains("discord.com/developers"),
        "{stderr}"
    );
}

#[test]
fn bad_settings_get_one_clear_line_and_no_panic() {
    let dir = tempfile::tempdir().expect("dir");
    let cases: [(&str, &str, &str); 4] = [
        (
            "DATABASE_URL",
            "mysql://root:hunter2@localhost/x",
            "DATABASE_URL",
        ),
        (
            "DATABASE_URL",
            "sqlite:///no/such/folder/marquee.db",
            "SQLite",
        ),
        (
            "DATABASE_URL",
            "postgres://postgres@127.0.0.1:1/none",
            "PostgreSQL",
        ),
        ("DISCORD_TOKEN", "not-a-token", "DISCORD_TOKEN"),
    ];
    for (var, value, expected) in cases {
        let out = marquee(dir.path(), &["catalog", "stats"], &[(var, value)]);
        assert!(!out.status.success(), "{var}={value} should fail");
        let stderr = text(&out.stderr);
        assert!(stderr.contains(expected), "{var}={value}: {stderr}");
        assert!(
            !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
            "{stderr}"
        );
        assert!(
            !stderr.contains("hunter2") && !stderr.contains("not-a-token"),
            "secrets stay out: {stderr}"
        );
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    }
}

#[test]
fn catalog_stats_reports_json_counts() {
    let dir = tempfile::tempdir().expect("dir");
    let out = marquee(dir.path(), &["catalog", "stats", "--json"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(v["movies"].as_i64().is_some_and(|n| n >= 500), "{v}");
}

#[test]
fn a_new_user_can_rate_review_and_get_picks_that_use_them() {
    let dir = tempfile::tempdir().expect("dir");
    let ok = |args: &[&str]| {
        let out = marquee(dir.path(), args, &[]);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        text(&out.stdout)
    };
    let cold = ok(&["recommend", "--user", "kim", "--count", "5"]);
    assert_eq!(
        cold.lines().filter(|l| l.contains(". ")).count(),
        5,
        "a cold-start user still gets picks: {cold}"
    );
    assert!(ok(&["rate", "--user", "kim", "Alien", "5"]).contains("Alien (1979)"));
    assert!(ok(&["rate", "--user", "kim", "Aliens", "4.5"]).contains("Aliens (1986)"));
    let review = ok(&[
        "review",
        "--user",
        "kim",
        "Interstellar",
        "Loved it, an absolutely stunning film!!",
    ]);
    assert!(
        review.contains("loved it") || review.contains("liked it"),
        "{review}"
    );
    let picks = ok(&["recommend", "--user", "kim", "--count", "10", "--json"]);
    let picks: serde_json::Value = serde_json::from_str(&picks).expect("json");
    let titles: Vec<&str> = picks
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|p| p["title"].as_str())
        .collect();
    assert_eq!(titles.len(), 10);
    for seen in ["Alien", "Aliens", "Interstellar"] {
        assert!(
            !titles.contains(&seen),
            "{seen} was rated, so it is not suggested again: {titles:?}"
        );
    }
    assert!(
        picks.as_array().expect("list").iter().any(|p| p["reason"]
            .as_str()
            .is_some_and(|r| r.contains("because you liked") || r.contains("matches:"))),
        "with three liked films some picks are personal: {picks}"
    );
}

#[test]
fn a_fresh_database_recommends_well_known_films_from_many_decades_and_says_why() {
    let dir = tempfile::tempdir().expect("dir");
    let out = marquee(
        dir.path(),
        &["recommend", "--user", "kim", "--count", "5", "--json"],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let picks: serde_json::Value = serde_json::from_str(&text(&out.stdout)).expect("json");
    let picks = picks.as_array().expect("list");
    assert_eq!(picks.len(), 5);
    let decades: std::collections::HashSet<i64> = picks
        .iter()
        .map(|p| p["year"].as_i64().expect("a year") / 10)
        .collect();
    assert!(decades.len() >= 4, "{picks:?}");
    for p in picks {
        let reason = p["reason"].as_str().expect("reason");
        assert!(
            (reason.contains("★ from") && reason.contains("MovieLens rating"))
                || reason.contains("TMDB vote"),
            "{p}"
        );
        assert!(!reason.contains("popular"), "{p}");
    }
    // Read as a person does: a numbered line per film with its reason.
    let out = marquee(
        dir.path(),
        &["recommend", "--user", "kim", "--count", "5"],
        &[],
    );
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("1. ") && stdout.contains("MovieLens ratings"),
        "{stdout}"
    );
}

#[test]
fn unknown_or_ambiguous_titles_get_suggestions_and_nothing_is_stored() {
    let dir = tempfile::tempdir().expect("dir");
    let out = marquee(
        dir.path(),
        &["rate", "--user", "kim", "the godfahter", "5"],
        &[],
    );
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("Did you mean") && stderr.contains("The Godfather (1972)"),
        "{stderr}"
    );
    let out = marquee(
        dir.path(),
        &["rate", "--user", "kim", "the godfather", "9"],
        &[],
    );
    assert!(!out.status.success(), "stars outside 0.5-5 are refused");
    let out = marquee(dir.path(), &["catalog", "stats", "--json"], &[]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["feedback_events"], 0, "{v}");
}

#[test]
fn import_movielens_then_catalog_search_tells_the_dunes_apart() {
    let dir = tempfile::tempdir().expect("dir");
    let fixture =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/movielens/csv");
    let out = marquee(
        dir.path(),
        &[
            "import",
            "movielens",
            "--quiet",
            fixture.to_str().expect("utf-8 path"),
        ],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary = text(&out.stdout);
    assert!(
        summary.contains("ratings.csv") && summary.contains("skipped"),
        "{summary}"
    );
    let out = marquee(dir.path(), &["catalog", "search", "dune"], &[]);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("Dune (1984)") && stdout.contains("Dune (2021)"),
        "{stdout}"
    );
    let out = marquee(dir.path(), &["import", "movielens", "/no/such/folder"], &[]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("not a folder"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn the_taste_map_says_what_it_needs_then_two_people_with_five_ratings_get_a_png() {
    let dir = tempfile::tempdir().expect("dir");
    let out = marquee(dir.path(), &["taste", "groups"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("No taste groups yet"),
        "{}",
        text(&out.stdout)
    );
    let map = |dir: &Path| {
        marquee(
            dir,
            &["taste", "map", "--user", "kim", "--out", "map.png"],
            &[],
        )
    };
    let out = map(dir.path());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr)
            .contains("You have none yet (5 more), and nobody else here has rated a film yet."),
        "{}",
        text(&out.stderr)
    );
    assert!(!dir.path().join("map.png").exists(), "no empty picture");
    let films = [
        "Alien 1979",
        "Heat 1995",
        "The Godfather 1972",
        "Blade Runner 1982",
        "Toy Story 1995",
    ];
    for (user, stars) in [("kim", "5"), ("lee", "2")] {
        for film in films {
            let out = marquee(dir.path(), &["rate", "--user", user, film, stars], &[]);
            assert!(out.status.success(), "{film}: {}", text(&out.stderr));
        }
    }
    // The same five films, one person liking them all and the other none: still a map of both.
    let out = map(dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("Wrote the taste map to map.png (2 people, 1 group).")
            && text(&out.stdout).contains("one taste group"),
        "{}",
        text(&out.stdout)
    );
    let png = std::fs::read(dir.path().join("map.png")).expect("map written");
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 1_000,
        "{} bytes",
        png.len()
    );
}

#[test]
fn experiments_are_listed_started_once_reported_and_a_bad_file_is_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let out = marquee(dir.path(), &["experiment", "list"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("diversity"),
        "{}",
        text(&out.stdout)
    );
    assert!(text(&out.stdout).contains("draft"), "{}", text(&out.stdout));
    let out = marquee(dir.path(), &["experiment", "report"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("not started"),
        "{}",
        text(&out.stdout)
    );
    let out = marquee(dir.path(), &["experiment", "start", "diversity"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = marquee(dir.path(), &["experiment", "start", "diversity"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("already running"),
        "{}",
        text(&out.stderr)
    );
    let out = marquee(dir.path(), &["experiment", "report", "--json"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json[0]["key"], "diversity");
    assert_eq!(json[0]["report"]["arms"].as_array().map(Vec::len), Some(2));

    std::fs::write(
        dir.path().join("bad.toml"),
        "version = 1\n[[experiment]]\nkey = \"x\"\n[[experiment.variants]]\nname = \"a\"\nweight = 0.9\n[[experiment.variants]]\nname = \"b\"\nweight = 0.3\n",
    )
    .expect("write");
    let out = marquee(
        dir.path(),
        &["experiment", "list"],
        &[("MARQUEE_EXPERIMENTS", "bad.toml")],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("bad.toml"),
        "{}",
        text(&out.stderr)
    );
}

/// `marquee privacy …` as the operator would run it: per server (`--server` a name, or a
/// Discord server's id), for a person on this machine (`--user`) or a Discord user
/// (`--discord-user`); `forget` says what would go and needs `--yes`.
#[tokio::test]
#[allow(clippy::too_many_lines)] // one operator's session, as a story
async fn privacy_on_the_command_line_sees_exports_and_forgets_one_server_at_a_time() {
    use marquee::app::{App, Caller, Command, Options, Person};
    use marquee::domain::ids::GuildId;
    crate::helpers::with_sqlite_url(|url, store| async move {
        let dir = tempfile::tempdir().expect("dir");
        let run = |args: &[&str]| {
            let mut all = vec!["--database-url", url.as_str()];
            all.extend_from_slice(args);
            marquee(dir.path(), &all, &[])
        };
        for (server, film, stars) in [("club", "Alien", "5"), ("other", "Heat", "4")] {
            let out = run(&["--server", server, "rate", "--user", "kim", film, stars]);
            assert!(out.status.success(), "{}", text(&out.stderr));
        }
        let out = run(&["--server", "club", "privacy", "show", "--user", "kim"]);
        let shown = text(&out.stdout);
        assert!(
            shown.contains("1 rating,") && shown.contains("Other servers keep their own: 1"),
            "{shown}"
        );

        let out = run(&["--server", "club", "privacy", "export", "--user", "kim"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
        let films: Vec<&str> = doc["feedback"]
            .as_array()
            .expect("feedback")
            .iter()
            .filter_map(|e| e["film"].as_str())
            .collect();
        assert_eq!(films, ["Alien (1979)"], "{doc}");

        // Without --yes: what would go, exit code 2, nothing deleted.
        let out = run(&["--server", "club", "privacy", "forget", "--user", "kim"]);
        assert_eq!(out.status.code(), Some(2));
        assert!(text(&out.stdout).contains("--yes"), "{}", text(&out.stdout));
        assert!(
            text(&run(&["--server", "club", "privacy", "show", "--user", "kim"]).stdout)
                .contains("1 rating,")
        );
        let out = run(&[
            "--server", "club", "privacy", "forget", "--user", "kim", "--yes",
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(
            text(&out.stdout).contains("is deleted"),
            "{}",
            text(&out.stdout)
        );
        let gone = text(&run(&["--server", "club", "privacy", "show", "--user", "kim"]).stdout);
        assert!(gone.contains("Kept about you here: nothing."), "{gone}");
        let kept = text(&run(&["--server", "other", "privacy", "show", "--user", "kim"]).stdout);
        assert!(
            kept.contains("1 rating,"),
            "the other server keeps its own: {kept}"
        );
        let again = run(&[
            "--server", "club", "privacy", "forget", "--user", "kim", "--yes",
        ]);
        assert!(
            text(&again.stdout).contains("nothing to delete"),
            "{}",
            text(&again.stdout)
        );

        // A Discord user's request that reached the operator by mail.
        let app = App::on_store(store.clone(), Options::default())
            .await
            .expect("app");
        let zoe = Caller::cli(Person::Discord {
            id: 42,
            name: "zoe".into(),
        })
        .in_server(GuildId(4242));
        app.handle(
            &zoe,
            Command::Rate {
                title: "Alien".into(),
                stars: 4.5,
            },
        )
        .await
        .expect("rate");
        app.close().await;
        let out = run(&[
            "--server",
            "4242",
            "privacy",
            "show",
            "--discord-user",
            "42",
        ]);
        assert!(
            text(&out.stdout).contains("1 rating,"),
            "{}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        let out = run(&[
            "--server",
            "4242",
            "privacy",
            "forget",
            "--discord-user",
            "42",
            "--yes",
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let gone = text(
            &run(&[
                "--server",
                "4242",
                "privacy",
                "show",
                "--discord-user",
                "42",
            ])
            .stdout,
        );
        assert!(gone.contains("nothing"), "{gone}");
        let both = run(&["privacy", "show", "--user", "kim", "--discord-user", "42"]);
        assert!(!both.status.success(), "one person at a time");
    })
    .await;
}

/// An import whose every row is malformed is a failure, not an empty success: the exit code is
/// non-zero and the message names a skipped line, also with `--quiet`. A partly broken import
/// still succeeds (see `import_movielens_then_catalog_search_tells_the_dunes_apart`, whose
/// fixture has a broken row, and the last step here).
#[test]
fn an_import_where_every_row_was_skipped_fails_and_names_a_line() {
    let dir = tempfile::tempdir().expect("dir");
    let broken = dir.path().join("broken");
    std::fs::create_dir(&broken).expect("folder");
    std::fs::write(
        broken.join("movies.csv"),
        "movieId,title,genres\nx,Heat (1995),Crime\n-3,Alien (1979),Horror\n",
    )
    .expect("movies.csv");
    std::fs::write(
        broken.join("ratings.csv"),
        "userId,movieId,rating,timestamp\n1,1,9,964982703\nnot,a,rating,row\n",
    )
    .expect("ratings.csv");
    let path = broken.to_str().expect("utf-8 path");
    for quiet in [false, true] {
        let mut args = vec!["import", "movielens", path];
        if quiet {
            args.push("--quiet");
        }
        let out = marquee(dir.path(), &args, &[]);
        let stderr = text(&out.stderr);
        assert!(!out.status.success(), "quiet={quiet}: {stderr}");
        assert!(
            stderr.contains("nothing was imported") && stderr.contains("all 4 rows"),
            "quiet={quiet}: {stderr}"
        );
        assert!(stderr.contains("movies.csv:2:"), "quiet={quiet}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }

    let tmdb = dir.path().join("tmdb.csv");
    std::fs::write(
        &tmdb,
        "id,title,genres,keywords,overview,production_countries,release_date,runtime,vote_average,vote_count\n\
         abc,Heat,[],[],,[],1995-12-15,170,7.9,100\n\
         7,,[],[],,[],1995-12-15,170,7.9,100\n",
    )
    .expect("tmdb.csv");
    let out = marquee(
        dir.path(),
        &[
            "import",
            "tmdb",
            "--quiet",
            tmdb.to_str().expect("utf-8 path"),
        ],
        &[],
    );
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("tmdb.csv:2:"), "{stderr}");

    // One good film among the broken rows: imported, and a success.
    std::fs::write(
        broken.join("movies.csv"),
        "movieId,title,genres\nx,Heat (1995),Crime\n5,Alien (1979),Horror\n",
    )
    .expect("movies.csv");
    let out = marquee(dir.path(), &["import", "movielens", "--quiet", path], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// `.env` is read from the working folder only: one in a parent folder (another project's, say)
/// is ignored, and one in the working folder still counts.
#[test]
fn only_the_working_folders_env_file_is_read() {
    let root = tempfile::tempdir().expect("dir");
    std::fs::write(
        root.path().join(".env"),
        "DATABASE_URL=sqlite:///nonexistent/x.db\n",
    )
    .expect("parent .env");
    let child = root.path().join("child");
    std::fs::create_dir(&child).expect("child folder");

    let out = marquee(&child, &["catalog", "search", "godfather"], &[]);
    assert!(
        out.status.success(),
        "the parent's .env is not read: {}",
        text(&out.stderr)
    );
    assert!(text(&out.stdout).contains("The Godfather (1972)"));
    assert!(child.join("marquee.db").exists(), "the default database");

    std::fs::write(child.join(".env"), "DATABASE_URL=sqlite://from-env.db\n").expect("child .env");
    let out = marquee(&child, &["catalog", "stats"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        child.join("from-env.db").exists(),
        "the working folder's .env is read"
    );

    std::fs::write(child.join(".env"), "DATABASE_URL='unclosed\n").expect("broken .env");
    let out = marquee(&child, &["catalog", "stats"], &[]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains(".env"), "{}", text(&out.stderr));
}

#[test]
fn a_command_prints_its_answer_only_and_logs_carry_no_colour_codes_when_piped() {
    let dir = tempfile::tempdir().expect("dir");
    // No RUST_LOG: a one-off command logs warnings only, so the first run (which loads the
    // starter catalog, an info line) prints nothing but its answer.
    let mut cmd = crate::helpers::marquee_binary(dir.path());
    cmd.env_remove("RUST_LOG")
        .args(["recommend", "--user", "kim"]);
    let out = cmd.output().expect("run marquee");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        !text(&out.stdout).trim().is_empty(),
        "the answer is printed"
    );
    assert!(text(&out.stderr).trim().is_empty(), "{}", text(&out.stderr));

    // Asked for, the info lines come, on standard error, without colour codes (not a terminal).
    let fresh = tempfile::tempdir().expect("dir");
    let out = marquee(
        fresh.path(),
        &["recommend", "--user", "kim"],
        &[("RUST_LOG", "info")],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("starter catalog"), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "no colour codes: {stderr:?}");
    assert!(
        !text(&out.stdout).contains("starter catalog"),
        "logs stay off stdout"
    );
}
