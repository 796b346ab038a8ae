//! The console, run as a new user without a bot token would: the real binary, piped input.

use std::io::Write as _;
use std::path::Path;
use std::process::Stdio;

/// `marquee console --user USER` fed `input`: the transcript.
pub(crate) fn console(dir: &Path, user: &str, input: &str) -> String {
    let mut child = crate::helpers::marquee_binary(dir)
        .args(["console", "--user", user])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run marquee console");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write the commands");
    let out = child.wait_with_output().expect("wait");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stdout
}

/// The reply to the command echoed as `> command`: the lines up to the next blank line.
fn reply<'a>(transcript: &'a str, command: &str) -> Vec<&'a str> {
    transcript
        .split("\n\n")
        .find_map(|block| {
            block
                .split_once(&format!("> {command}\n"))
                .map(|(_, reply)| reply)
        })
        .unwrap_or_else(|| panic!("no reply to {command:?} in:\n{transcript}"))
        .lines()
        .collect()
}

/// The titles of a numbered list ("  1. Heat (1995)  [Action]  — reason").
fn titles(lines: &[&str]) -> Vec<String> {
    lines
        .iter()
        .filter_map(|l| l.trim_start().split_once(". "))
        .filter(|(n, _)| n.parse::<u32>().is_ok())
        .filter_map(|(_, rest)| rest.split("  [").next().map(str::to_owned))
        .collect()
}

#[test]
fn a_new_user_recommends_reacts_rates_and_reviews_in_one_session() {
    let dir = tempfile::tempdir().expect("dir");
    let out = console(
        dir.path(),
        "kim",
        "/recommend count:5\n\
         react 1 👍\n\
         /rate \"Alien\" 5\n\
         /review \"Heat\" Absolutely loved it!!!\n\
         /recommend count:5\n\
         /rate \"the godfahter\" 5\n\
         react 9 👍\n\
         /profile\n\
         quit\n\
         /help\n",
    );
    let first = titles(&reply(&out, "/recommend count:5"));
    assert_eq!(first.len(), 5, "{out}");
    let reacted = reply(&out, "react 1 👍").join("\n");
    assert!(
        reacted.contains(&first[0]) && reacted.contains("4★"),
        "{reacted}"
    );
    assert!(
        reply(&out, "/rate \"Alien\" 5")
            .join("\n")
            .contains("Rated Alien (1979) 5★"),
        "{out}"
    );
    let review = reply(&out, "/review \"Heat\" Absolutely loved it!!!").join("\n");
    assert!(
        review.contains("Heat (1995)")
            && (review.contains("sounds like you loved it")
                || review.contains("sounds like you liked it"))
            && review.contains('★')
            && review.contains("rate \"Heat (1995)\""),
        "the reply says how the review was read and how to correct it: {review}"
    );
    let second = titles(
        &out.split("> /recommend count:5\n")
            .nth(2)
            .expect("a second list")
            .lines()
            .take_while(|l| !l.is_empty())
            .collect::<Vec<_>>(),
    );
    assert_eq!(second.len(), 5, "{out}");
    for seen in [first[0].as_str(), "Alien (1979)", "Heat (1995)"] {
        assert!(
            !second.iter().any(|t| t == seen),
            "{seen} got feedback, so it is not suggested again: {second:?}"
        );
    }
    let typo = reply(&out, "/rate \"the godfahter\" 5").join("\n");
    assert!(
        typo.contains("Did you mean") && typo.contains("The Godfather (1972)"),
        "{typo}"
    );
    let missing = reply(&out, "react 9 👍").join("\n");
    assert!(
        missing.contains("no film number 9") && missing.contains("1 to 5"),
        "{missing}"
    );
    let profile = reply(&out, "/profile").join("\n");
    assert!(
        profile.contains("1 ratings")
            && profile.contains("1 reviews")
            && profile.contains("1 reactions"),
        "{profile}"
    );
    assert!(
        out.trim_end().ends_with("Bye!"),
        "quit ends the session: {out}"
    );
    assert!(
        !out.contains("> /help"),
        "nothing is read after quit: {out}"
    );
    assert!(
        !out.contains("marquee> "),
        "no prompt when the input is not a terminal"
    );
}

#[test]
fn odd_input_gets_an_answer_and_never_a_panic() {
    let dir = tempfile::tempdir().expect("dir");
    let long = "x".repeat(10_000);
    let input = format!(
        "\n   \n👍👍👍\n\u{1b}[2J\u{7}\nreact 1 👍\n/profile\n/rate {long} 4\n/review \"Heat\" {long}\n/review \"Heat\"\nrate heat 9\n\"\n"
    );
    let out = console(dir.path(), "new person", &input);
    assert!(out.contains("I don't know the command"), "{out}");
    assert!(out.contains("no list to react to yet"), "{out}");
    assert!(out.contains("I don't know your taste yet"), "{out}");
    assert!(out.contains("longer than 200 characters"), "{out}");
    assert!(out.contains("keep it under 4000"), "{out}");
    assert!(out.contains("is empty"), "{out}");
    assert!(out.contains("0.5 to 5"), "{out}");
    assert!(
        out.trim_end().ends_with("Bye!"),
        "the end of the input ends the session: {out}"
    );
    assert!(!out.contains('\u{1b}'), "control characters are not echoed");
}

#[test]
fn a_watch_party_runs_on_the_console_from_lobby_to_winner() {
    let dir = tempfile::tempdir().expect("dir");
    let out = console(
        dir.path(),
        "ann",
        "party pick\nparty start kim lee\nparty join max\nparty pick\nparty vote 2\nparty vote 2 as:kim\nparty vote 9 as:lee\nparty vote 1 as:lee\nparty vote 2 as:max\nparty vote 1\nparty history\n",
    );
    assert!(
        reply(&out, "party pick")[0].contains("no watch party yet"),
        "{out}"
    );
    let lobby = reply(&out, "party join max").join("\n");
    assert!(lobby.contains("In (4): ann, kim, lee, max"), "{lobby}");
    let vote = reply(&out, "party vote 2 as:kim").join("\n");
    assert!(vote.contains("Voted 2/4"), "{vote}");
    assert!(
        reply(&out, "party vote 9 as:lee")[0].contains("no film number 9"),
        "{out}"
    );
    let closed = reply(&out, "party vote 2 as:max").join("\n");
    assert!(
        closed.contains("The vote closed (everyone voted). Movie night:"),
        "{closed}"
    );
    assert!(closed.contains("[3 votes]"), "{closed}");
    assert!(
        reply(&out, "party vote 1")[0].contains("closed"),
        "a vote after the close: {out}"
    );
    assert!(reply(&out, "party history").len() == 1, "{out}");
}

#[test]
fn a_three_turn_conversation_runs_on_the_console() {
    let dir = tempfile::tempdir().expect("dir");
    let out = console(
        dir.path(),
        "kim",
        "ask something like Alien but funnier\nsteer older\nask seen the first one; more like the second\n",
    );
    let first = reply(&out, "ask something like Alien but funnier");
    let comedies = first
        .iter()
        .filter(|l| l.contains("  [") && l.contains("Comedy"))
        .count();
    assert!(
        comedies >= 3,
        "\"funnier\" shows in three of five: {first:?}"
    );
    let mut seen = std::collections::HashSet::new();
    for command in [
        "ask something like Alien but funnier",
        "steer older",
        "ask seen the first one; more like the second",
    ] {
        let lines = reply(&out, command);
        let films = titles(&lines);
        assert!(!films.is_empty(), "{command}: {out}");
        for f in films {
            assert!(f != "Alien (1979)", "the named film: {out}");
            assert!(seen.insert(f.clone()), "{f} shown twice: {out}");
        }
    }
}

/// The year in a title such as "Heat (1995)".
fn year(title: &str) -> i32 {
    title
        .rsplit_once('(')
        .and_then(|(_, y)| y.trim_end_matches(')').parse().ok())
        .unwrap_or_else(|| panic!("no year in {title:?}"))
}

fn median_year(films: &[String]) -> i32 {
    let mut years: Vec<i32> = films.iter().map(|t| year(t)).collect();
    years.sort_unstable();
    years[years.len() / 2]
}

#[test]
fn a_four_turn_conversation_tells_a_new_wish_from_a_refinement() {
    let dir = tempfile::tempdir().expect("dir");
    let out = console(
        dir.path(),
        "kim",
        "ask a 90s horror movie
ask a romantic comedy for date night
steer older
ask nothing too sad, under 2 hours
",
    );
    let first = reply(&out, "ask a 90s horror movie");
    assert!(
        titles(&first)
            .iter()
            .all(|t| (1990..2000).contains(&year(t))),
        "{first:?}"
    );
    let second = reply(&out, "ask a romantic comedy for date night");
    let intro = second[0];
    assert!(intro.starts_with("Starting fresh:"), "{second:?}");
    assert!(
        !intro.contains("horror") && !intro.contains("90s"),
        "the old wish is not merged in: {intro}"
    );
    let second_films = titles(&second);
    assert_eq!(second_films.len(), 5, "{second:?}");
    let third = reply(&out, "steer older");
    assert!(third[0].starts_with("Keeping: "), "{third:?}");
    assert!(third[0].contains("; now before "), "{third:?}");
    let third_films = titles(&third);
    assert!(
        median_year(&third_films) < median_year(&second_films),
        "older moves the list back: {second_films:?} then {third_films:?}"
    );
    let fourth = reply(&out, "ask nothing too sad, under 2 hours");
    assert!(fourth[0].starts_with("Keeping: "), "{fourth:?}");
    assert!(fourth[0].contains("under 2 hours"), "{fourth:?}");
    assert!(
        fourth[0].contains("romance") || fourth[0].contains("romantic"),
        "the wish is kept: {fourth:?}"
    );
    let fourth_films = titles(&fourth);
    assert!(!fourth_films.is_empty(), "{fourth:?}");
    let mut all: Vec<&String> = second_films
        .iter()
        .chain(&third_films)
        .chain(&fourth_films)
        .collect();
    let n = all.len();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), n, "no film twice: {out}");
}

#[test]
fn people_sequels_blends_typos_and_spelled_out_durations_are_understood() {
    let dir = tempfile::tempdir().expect("dir");
    let out = console(
        dir.path(),
        "kim",
        "ask anything with tom hanks\nask new: directed by nolan\nask new: the sequel to Toy Story\n\
         ask new: a mix of toy story and finding nemo\nask new: 3 hours plus\n\
         ask new: something like the godfathr\nask new: friends in their twenties\n",
    );
    let hanks = reply(&out, "ask anything with tom hanks");
    assert!(hanks[0].contains("with Tom Hanks"), "{hanks:?}");
    assert!(!titles(&hanks).is_empty(), "{hanks:?}");
    let nolan = reply(&out, "ask new: directed by nolan");
    assert!(nolan[0].contains("Christopher Nolan"), "{nolan:?}");
    let sequel = reply(&out, "ask new: the sequel to Toy Story");
    assert!(sequel[0].contains("Toy Story 2"), "{sequel:?}");
    let films = titles(&sequel);
    assert_eq!(
        films.first().map(String::as_str),
        Some("Toy Story 2 (1999)"),
        "the sequel asked for comes first: {sequel:?}"
    );
    assert!(
        films.iter().all(|t| t != "Toy Story (1995)"),
        "a film named is never suggested: {sequel:?}"
    );
    let blend = reply(&out, "ask new: a mix of toy story and finding nemo");
    assert!(
        blend[0].contains("Toy Story") && blend[0].contains("Finding Nemo"),
        "{blend:?}"
    );
    assert!(
        titles(&blend)
            .iter()
            .all(|t| !t.starts_with("Toy Story (") && !t.starts_with("Finding Nemo")),
        "{blend:?}"
    );
    let long = reply(&out, "ask new: 3 hours plus");
    assert!(long[0].contains("over 3 hours"), "{long:?}");
    let typo = reply(&out, "ask new: something like the godfathr");
    assert!(typo[0].contains("The Godfather (1972)"), "{typo:?}");
    let ages = reply(&out, "ask new: friends in their twenties");
    assert!(
        ages.iter().all(|l| !l.contains("1920")),
        "an age is not an era: {ages:?}"
    );
}

#[test]
fn the_quiz_runs_on_the_console_and_its_answers_change_the_picks() {
    let dir = tempfile::tempdir().expect("dir");
    let out = console(
        dir.path(),
        "kim",
        "recommend\nquiz\n1\nhaven't seen\n2\nnope\n😍\n1\nstop\nrecommend\n",
    );
    let first = reply(&out, "recommend");
    assert!(
        first.iter().any(|l| l.contains("Type quiz")),
        "the first list offers the quiz: {first:?}"
    );
    let start = reply(&out, "quiz");
    assert!(start[0].starts_with("Taste quiz · film 1: "), "{start:?}");
    let asked: Vec<String> = out
        .lines()
        .filter_map(|l| l.split_once("Taste quiz · film "))
        .filter_map(|(_, rest)| rest.split_once(": "))
        .filter_map(|(_, rest)| rest.split("  [").next().map(str::to_owned))
        .collect();
    assert_eq!(
        asked.len(),
        7,
        "six answered, the seventh stopped: {asked:?}"
    );
    let mut unique = asked.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), asked.len(), "no film asked twice: {asked:?}");
    let stored: Vec<&str> = out.lines().filter(|l| l.starts_with("✓ ")).collect();
    assert_eq!(stored.len(), 6, "{stored:?}");
    assert!(
        stored[1].contains("not seen yet, nothing stored"),
        "{stored:?}"
    );
    assert!(stored[3].contains("not for me, stored as 2★"), "{stored:?}");
    let stop = reply(&out, "stop");
    assert!(
        stop.iter()
            .any(|l| l.contains("Quiz stopped") && l.contains("5 answers")),
        "{stop:?}"
    );
    // The second list (the last `> recommend` in the transcript) is made of other films.
    let second_block = out.rsplit("> recommend\n").next().expect("a second list");
    let second: Vec<&str> = second_block.lines().collect();
    assert_ne!(titles(&first), titles(&second), "{out}");
    assert!(
        !second.iter().any(|l| l.contains("Type quiz")),
        "offered once"
    );
    let rated: Vec<&str> = stored
        .iter()
        .filter(|l| l.contains("stored as"))
        .filter_map(|l| l.trim_start_matches("✓ ").split(": ").next())
        .collect();
    assert_eq!(rated.len(), 5, "{stored:?}");
    for film in rated {
        assert!(
            !titles(&second).iter().any(|t| t == film),
            "a rated film is not picked: {film}"
        );
    }
}

#[test]
fn the_taste_map_counts_down_the_ratings_it_needs_then_is_ready() {
    let dir = tempfile::tempdir().expect("dir");
    let out = console(
        dir.path(),
        "kim",
        "rate \"Alien 1979\" 5\nrate \"Heat 1995\" 4\nrate \"The Godfather 1972\" 5\ntaste map\n",
    );
    assert!(
        reply(&out, "taste map")
            .join(" ")
            .contains("You have 3 (2 more), and nobody else here has rated a film yet."),
        "{out}"
    );
    let out = console(
        dir.path(),
        "lee",
        "rate \"Toy Story 1995\" 5\nrate \"Groundhog Day 1993\" 4.5\nrate \"Airplane! 1980\" 4\n\
         rate \"The Princess Bride 1987\" 4.5\nrate \"Amélie 2001\" 5\ntastemap\n",
    );
    assert!(
        reply(&out, "tastemap")
            .join(" ")
            .contains("You have 5, and nobody else here has 5 yet (the closest has 3: 2 more)."),
        "{out}"
    );
    let out = console(
        dir.path(),
        "kim",
        "rate \"Blade Runner 1982\" 4.5\nrate \"The Matrix 1999\" 4\ntastemap\n",
    );
    let ready = reply(&out, "tastemap").join(" ");
    assert!(
        ready.contains("The taste map is ready (2 people, 1 group).")
            && ready.contains("marquee taste map --out map.png"),
        "{out}"
    );
}
