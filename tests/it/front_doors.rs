//! One door: the same commands sent through the command line, the console and the app directly
//! (each on a fresh database of its own) give the same answers, since every front end goes
//! through `App::handle`.

use marquee::app::reply::PickLine;
use marquee::app::{App, Caller, Command, Filters, Options, Person, Reply};
use marquee::outbound::storage::Store;
use std::io::Write as _;
use std::path::Path;
use std::process::{Output, Stdio};

/// What each front end is asked, in order.
const TYPO: &str = "the godfahter";

fn marquee(dir: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = crate::helpers::marquee_binary(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run marquee");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write");
    child.wait_with_output().expect("wait")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A list line exactly as the command line and the console print it.
fn line(p: &PickLine) -> String {
    p.to_string()
}

/// The numbered lines of a printed list.
fn numbered(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| {
            l.trim_start()
                .split_once(". ")
                .is_some_and(|(n, _)| n.parse::<u32>().is_ok())
        })
        .map(str::to_owned)
        .collect()
}

/// The answers the app gives directly.
#[derive(Debug, PartialEq)]
struct Answers {
    rated: String,
    reviewed: String,
    typo: String,
    picks: Vec<String>,
    similar: Vec<String>,
}

async fn through_the_app(dir: &Path) -> Answers {
    let url = format!("sqlite://{}", dir.join("app.db").display());
    let store = Store::connect(&url).await.expect("store");
    let app = App::on_store(store, Options::default()).await.expect("app");
    let kim = Caller::cli(Person::Local("kim".into()));
    let ask = async |command| app.handle(&kim, command).await.expect("answer");
    let Reply::Rated { title, stars } = ask(Command::Rate {
        title: "Alien".into(),
        stars: 5.0,
    })
    .await
    else {
        panic!("rated")
    };
    let rated = format!("Rated {title} {stars}★");
    let Reply::Reviewed {
        title,
        mood,
        stars,
        compound,
        ..
    } = ask(Command::Review {
        title: "Heat".into(),
        text: "Loved it, an absolutely stunning film!!".into(),
    })
    .await
    else {
        panic!("reviewed")
    };
    let reviewed = format!(
        "Review of {title} saved: {}: {stars}★ (VADER compound {compound:+.3})",
        mood.phrase()
    );
    let typo = ask(Command::Rate {
        title: TYPO.into(),
        stars: 5.0,
    })
    .await
    .not_one_film()
    .expect("a title that is not one film");
    let Reply::Picks { items, .. } = ask(Command::Recommend {
        filters: Filters {
            count: Some(5),
            ..Filters::default()
        },
        instead_of: None,
    })
    .await
    else {
        panic!("picks")
    };
    let picks = items.iter().map(line).collect();
    let Reply::Picks { items, .. } = ask(Command::Similar {
        title: "Blade Runner".into(),
        count: Some(5),
    })
    .await
    else {
        panic!("similar")
    };
    let similar = items.iter().map(line).collect();
    app.close().await;
    Answers {
        rated,
        reviewed,
        typo,
        picks,
        similar,
    }
}

fn through_the_cli(dir: &Path) -> Answers {
    let db = format!("sqlite://{}", dir.join("cli.db").display());
    let run = |args: &[&str]| {
        let mut all = vec!["--database-url", db.as_str()];
        all.extend_from_slice(args);
        marquee(dir, &all, "")
    };
    let ok = |out: Output| {
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    let rated = ok(run(&["rate", "--user", "kim", "Alien", "5"]));
    let reviewed = ok(run(&[
        "review",
        "--user",
        "kim",
        "Heat",
        "Loved it, an absolutely stunning film!!",
    ]));
    let typo = run(&["rate", "--user", "kim", TYPO, "5"]);
    assert_eq!(typo.status.code(), Some(2), "a refusal exits with 2");
    let picks = ok(run(&["recommend", "--user", "kim", "--count", "5"]));
    let similar = ok(run(&[
        "similar",
        "--user",
        "kim",
        "--count",
        "5",
        "Blade Runner",
    ]));
    Answers {
        rated: rated.split(". ").next().expect("a sentence").to_owned(),
        reviewed: reviewed
            .split(". Use")
            .next()
            .expect("a sentence")
            .to_owned(),
        typo: text(&typo.stderr)
            .trim()
            .trim_start_matches("error: ")
            .to_owned(),
        picks: numbered(&picks),
        similar: numbered(&similar),
    }
}

fn through_the_console(dir: &Path) -> Answers {
    let db = format!("sqlite://{}", dir.join("console.db").display());
    let out = marquee(
        dir,
        &["--database-url", &db, "console", "--user", "kim"],
        &format!(
            "rate Alien 5\n\
             review \"Heat\" Loved it, an absolutely stunning film!!\n\
             rate \"{TYPO}\" 5\n\
             recommend 5\n\
             similar Blade Runner\n\
             quit\n"
        ),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let transcript = text(&out.stdout);
    let reply = |command: &str| -> String {
        transcript
            .split("\n\n")
            .find_map(|block| {
                block
                    .split_once(&format!("> {command}\n"))
                    .map(|(_, r)| r.to_owned())
            })
            .unwrap_or_else(|| panic!("no reply to {command:?} in {transcript}"))
    };
    Answers {
        rated: reply("rate Alien 5")
            .split(". ")
            .next()
            .expect("a sentence")
            .to_owned(),
        reviewed: reply("review \"Heat\" Loved it, an absolutely stunning film!!")
            .split(".\n")
            .next()
            .expect("a sentence")
            .to_owned(),
        typo: reply(&format!("rate \"{TYPO}\" 5")).trim().to_owned(),
        picks: numbered(&reply("recommend 5")),
        similar: numbered(&reply("similar Blade Runner")),
    }
}

#[tokio::test]
async fn the_cli_the_console_and_the_app_answer_the_same_commands_alike() {
    let dir = tempfile::tempdir().expect("dir");
    let app = through_the_app(dir.path()).await;
    assert_eq!(app.rated, "Rated Alien (1979) 5★");
    assert!(app.typo.contains("The Godfather (1972)"), "{}", app.typo);
    assert_eq!(app.picks.len(), 5);
    assert_eq!(app.similar.len(), 5);
    assert!(
        app.picks
            .iter()
            .all(|p| !p.contains("Alien (1979)") && !p.contains("Heat (1995)")),
        "rated and reviewed films are not suggested again: {:?}",
        app.picks
    );
    let (cli, console) = {
        let path = dir.path().to_owned();
        tokio::task::spawn_blocking(move || (through_the_cli(&path), through_the_console(&path)))
            .await
            .expect("the binaries ran")
    };
    assert_eq!(cli, app, "the command line answers as the app does");
    assert_eq!(console, app, "the console answers as the app does");
}
