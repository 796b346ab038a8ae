//! A person's history from another site through the command line, as a new user would run it:
//! a Letterboxd ZIP and an IMDb CSV become the person's feedback in their server and change
//! their picks; a row that fits two films is listed with both, never guessed; a malformed row is
//! named by its line; the same export again stores nothing; the wrong site's file is refused
//! with nothing stored.
#![allow(clippy::too_many_lines)] // one story, told in order

use serde_json::Value;
use std::path::Path;
use std::process::Output;

fn marquee(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = crate::helpers::marquee_binary(dir);
    cmd.args(args);
    cmd.output().expect("run marquee")
}

fn json_of(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

use crate::helpers::zip_of;

/// The titles of `marquee recommend --user USER --json`.
fn picks(dir: &Path, user: &str) -> Vec<String> {
    let out = json_of(&marquee(
        dir,
        &["recommend", "--user", user, "--count", "10", "--json"],
    ));
    out.as_array()
        .expect("a list of picks")
        .iter()
        .map(|p| {
            format!(
                "{} ({})",
                p["title"].as_str().unwrap_or_default(),
                p["year"].as_i64().unwrap_or_default()
            )
        })
        .collect()
}

#[test]
fn a_letterboxd_zip_and_an_imdb_csv_become_feedback_once() {
    let dir = tempfile::tempdir().expect("dir");
    let before = picks(dir.path(), "kim");
    let ratings = "\u{feff}Date,Name,Year,Letterboxd URI,Rating\n\
        2024-01-02,Alien,1979,https://boxd.it/1,5\n\
        2024-01-02,Aliens,1986,https://boxd.it/2,5\n\
        2024-01-03,Blade Runner,1982,https://boxd.it/3,4.5\n\
        2024-01-04,The Terminator,1984,https://boxd.it/4,5\n\
        2024-01-05,\"Thing, The\",1982,https://boxd.it/5,4\n\
        2024-01-06,Dune,,https://boxd.it/6,4\n\
        2024-01-07,Zzyzx Road,2006,https://boxd.it/7,2\n\
        2024-01-08,Solaris,1972,https://boxd.it/8,7\n";
    let reviews = "Date,Name,Year,Letterboxd URI,Rating,Rewatch,Review,Tags,Watched Date\n\
        2024-02-01,Arrival,2016,https://boxd.it/r1,,,\"Beautiful, moving and clever.\nI loved it!\",,2024-01-31\n";
    let watchlist = "Date,Name,Year,Letterboxd URI\n2024-03-01,Heat,1995,https://boxd.it/9\n";
    let export = dir.path().join("letterboxd-kim.zip");
    std::fs::write(
        &export,
        zip_of(&[
            ("ratings.csv", ratings),
            ("reviews.csv", reviews),
            ("watchlist.csv", watchlist),
            (
                "profile.csv",
                "Date Joined,Username,Email Address\n2020-01-01,kim,kim@example.com\n",
            ),
        ]),
    )
    .expect("write the export");
    let path = export.to_str().expect("a path");
    let first = json_of(&marquee(
        dir.path(),
        &["import", "letterboxd", path, "--user", "kim", "--json"],
    ));
    assert_eq!(first["rows"], 9, "{first}");
    let matched: u64 = first["matched"]
        .as_object()
        .expect("matched by how")
        .values()
        .filter_map(Value::as_u64)
        .sum();
    assert_eq!(matched, 7, "five ratings, a review, the watchlist: {first}");
    // The review brings a rating-less review event; the watchlist a weak liking.
    assert_eq!(first["stored"], 7, "{first}");
    assert_eq!(first["already"], 0);
    let ambiguous = first["ambiguous"].as_array().expect("ambiguous rows");
    assert_eq!(ambiguous.len(), 1, "{first}");
    assert_eq!(ambiguous[0]["row"]["title"], "Dune");
    let choices: Vec<&str> = ambiguous[0]["choices"]
        .as_array()
        .expect("choices")
        .iter()
        .filter_map(|c| c[1].as_str())
        .collect();
    assert!(
        choices.contains(&"Dune (1984)") && choices.contains(&"Dune (2021)"),
        "{choices:?}"
    );
    assert_eq!(
        first["not_in_catalog"],
        serde_json::json!(["Zzyzx Road (2006)"])
    );
    assert_eq!(first["malformed_count"], 1);
    assert_eq!(first["malformed"][0][0], "ratings.csv");
    assert_eq!(first["malformed"][0][1], 9, "the line of the Solaris row");

    // The picks are now kim's: none of the films they rated, and not the well-known list.
    let after = picks(dir.path(), "kim");
    assert_ne!(before, after);
    for rated in [
        "Alien (1979)",
        "Aliens (1986)",
        "Blade Runner (1982)",
        "The Terminator (1984)",
    ] {
        assert!(!after.iter().any(|t| t == rated), "{rated} in {after:?}");
    }
    // Someone else in the same server, and kim in another server, know nothing of it.
    assert_eq!(picks(dir.path(), "lee"), before);

    // The same export again stores nothing.
    let again = json_of(&marquee(
        dir.path(),
        &["import", "letterboxd", path, "--user", "kim", "--json"],
    ));
    assert_eq!(
        (again["stored"].as_u64(), again["already"].as_u64()),
        (Some(0), Some(7))
    );

    // An IMDb file said to be Letterboxd's is refused, with nothing stored.
    let imdb = dir.path().join("ratings.csv");
    std::fs::write(
        &imdb,
        "Const,Your Rating,Date Rated,Title,URL,Title Type,IMDb Rating,Runtime (mins),Year,Genres,Num Votes,Release Date,Directors\n\
         tt0113277,9,2024-04-01,Heat,https://www.imdb.com/title/tt0113277/,movie,8.3,170,1995,Crime,600000,1995-12-15,Michael Mann\n\
         tt0903747,10,2024-04-02,Breaking Bad,https://www.imdb.com/title/tt0903747/,tvSeries,9.5,49,2008,Drama,2000000,2008-01-20,\n",
    )
    .expect("write the IMDb file");
    let imdb = imdb.to_str().expect("a path");
    let wrong = marquee(dir.path(), &["import", "letterboxd", imdb, "--user", "lee"]);
    assert!(!wrong.status.success());
    let said = String::from_utf8_lossy(&wrong.stderr);
    assert!(
        said.contains("looks like an IMDb export, not a Letterboxd one"),
        "{said}"
    );
    assert_eq!(picks(dir.path(), "lee"), before, "nothing stored");
    let lee = json_of(&marquee(
        dir.path(),
        &["import", "imdb", imdb, "--user", "lee", "--json"],
    ));
    assert_eq!(
        (lee["rows"].as_u64(), lee["not_films"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(lee["stored"], 1, "{lee}");

    // What was imported is kim's: in their export, and gone with them.
    let export = marquee(dir.path(), &["privacy", "export", "--user", "kim"]);
    let exported = String::from_utf8_lossy(&export.stdout);
    assert!(export.status.success(), "{exported}");
    assert!(
        exported.contains("letterboxd") && exported.contains("I loved it!"),
        "the imported ratings and the review: {exported}"
    );
    let forget = marquee(dir.path(), &["privacy", "forget", "--user", "kim", "--yes"]);
    assert!(
        forget.status.success(),
        "{}",
        String::from_utf8_lossy(&forget.stderr)
    );
    assert_eq!(
        picks(dir.path(), "kim"),
        before,
        "nothing of the import is left"
    );

    // A large file says it is under way first.
    let long = dir.path().join("reviews.csv");
    std::fs::write(
        &long,
        format!(
            "Date,Name,Year,Letterboxd URI,Rating,Rewatch,Review,Tags,Watched Date\n\
             2024-05-01,Heat,1995,https://boxd.it/r9,4.5,,\"{}\",,2024-04-30\n",
            "What a great film, tense and beautiful. ".repeat(30_000)
        ),
    )
    .expect("a long review");
    let big = marquee(
        dir.path(),
        &[
            "import",
            "letterboxd",
            long.to_str().expect("a path"),
            "--user",
            "lee",
        ],
    );
    let progress = String::from_utf8_lossy(&big.stderr);
    assert!(
        big.status.success() && progress.contains("Importing") && progress.contains("MB)"),
        "{progress}"
    );
    assert!(
        String::from_utf8_lossy(&big.stdout).contains("history: 1 row, 1 matched"),
        "{}",
        String::from_utf8_lossy(&big.stdout)
    );

    // A file over 25 MB is refused before it is read; nothing is stored.
    let huge = dir.path().join("huge.csv");
    let file = std::fs::File::create(&huge).expect("a file");
    file.set_len(50 << 20).expect("50 MB");
    let refused = marquee(
        dir.path(),
        &[
            "import",
            "letterboxd",
            huge.to_str().expect("a path"),
            "--user",
            "kim",
        ],
    );
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("up to 25 MB"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}

#[test]
fn the_console_asks_a_numbered_question_for_each_row_that_fits_several_films() {
    let dir = tempfile::tempdir().expect("dir");
    let ratings = "Date,Name,Year,Letterboxd URI,Rating\n\
        2024-01-02,Alien,1979,https://boxd.it/1,5\n\
        2024-01-06,Dune,,https://boxd.it/6,4.5\n";
    let watched = "Date,Name,Year,Letterboxd URI\n2024-01-07,Dune,,https://boxd.it/6\n";
    let export = dir.path().join("my letterboxd export.zip");
    std::fs::write(
        &export,
        zip_of(&[("ratings.csv", ratings), ("watched.csv", watched)]),
    )
    .expect("write the export");
    let path = export.to_str().expect("a path");

    // Two rows fit both Dunes: the rating is settled with a number, the watched row skipped.
    let first = crate::console::console(
        dir.path(),
        "ana",
        &format!("import \"{path}\"\n2\nskip\nprofile\n"),
    );
    assert!(
        first.contains("Imported your Letterboxd history: 3 rows, 1 matched"),
        "{first}"
    );
    let asked = first
        .find("Which film is \"Dune\" (rated 4.5★; ratings.csv line 3)? (2 rows to choose for)")
        .unwrap_or_else(|| panic!("the rating is asked first:\n{first}"));
    let listed = &first[asked..];
    let (one, two) = (
        listed.find("  1. Dune (1984)").expect("choice 1"),
        listed.find("  2. Dune (2021)").expect("choice 2"),
    );
    assert!(
        one < two && listed.contains("  0. none of these"),
        "{first}"
    );
    assert!(
        first.contains("Stored for Dune (2021): your 4.5★ rating."),
        "{first}"
    );
    assert!(
        first.contains("Which film is \"Dune\" (watched; watched.csv line 2)?"),
        "then the watched row: {first}"
    );
    assert!(
        first.contains("Feedback:    2 films; 2 ratings"),
        "the skipped row stored nothing: {first}"
    );
    assert!(
        !picks(dir.path(), "ana").contains(&"Dune (2021)".to_owned()),
        "a rated film is not picked"
    );

    // Again: the chosen row counts as matched, only the skipped one is asked; 0 is none.
    let second = crate::console::console(dir.path(), "ana", &format!("import {path}\n0\n"));
    assert!(
        second.contains("0 new feedback stored, 2 already there"),
        "{second}"
    );
    assert!(
        !second.contains("ratings.csv line 3)?"),
        "the chosen row is not asked again: {second}"
    );
    assert!(
        second.contains("Left out \"Dune\": none of those films"),
        "{second}"
    );

    // A third time nothing is asked, and the row said to be none of them is reported.
    let third = crate::console::console(dir.path(), "ana", &format!("import {path}\n"));
    assert!(!third.contains("Which film is"), "{third}");
    assert!(
        third.contains("1 row left out: you said none of its films was the one."),
        "{third}"
    );
    let export = json_of(&marquee(
        dir.path(),
        &["privacy", "export", "--user", "ana"],
    ));
    let rows = export["history_rows_to_choose_for"]
        .as_array()
        .expect("the kept rows are in the export");
    assert_eq!(rows.len(), 2, "{export}");
    let choices: Vec<&Value> = rows.iter().map(|r| &r["your_choice"]).collect();
    assert!(
        choices.contains(&&Value::from("Dune (2021)"))
            && choices.contains(&&Value::from("none of them")),
        "{choices:?}"
    );
}
