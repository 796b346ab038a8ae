//! `marquee bench history`: how well history exports are matched to the catalog, and how long an
//! import takes. A seeded Letterboxd export is made from the catalog (the starter catalog, or a
//! MovieLens folder imported first) with the damage real exports carry: typos, missing years,
//! `Title, The`, accents stripped, a year one off; each row is matched, and the answer compared
//! with the film it was made from (correct, wrong, ambiguous, missed). Then the real binary
//! imports the export as a ZIP into the same database, twice (the second stores nothing), timed.

use crate::domain::catalog::Movie;
use crate::domain::catalog::search::{TitleIndex, split_title};
use crate::domain::history::{HistoryMatcher, HistoryRow, Match, Said};
use crate::domain::ports::CatalogRepo as _;
use crate::domain::rng::SplitMix64;
use crate::outbound::storage::Store;
use anyhow::Context as _;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// The kinds of damage, in the order they are reported, with their share of rows (per mille).
const DAMAGE: [(&str, u64); 6] = [
    ("clean", 550),
    ("typo", 100),
    ("no year", 100),
    ("Title, The", 100),
    ("accents stripped", 50),
    ("year one off", 100),
];

/// What became of the rows of one kind of damage.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    rows: usize,
    correct: usize,
    wrong: usize,
    ambiguous: usize,
    missed: usize,
}

/// Makes the export, matches it, imports it twice, and prints the figures.
///
/// # Errors
/// The catalog cannot be prepared, or the import process fails.
pub async fn run(
    rows: usize,
    movielens: Option<&Path>,
    seed: u64,
    mut out: impl Write,
) -> anyhow::Result<()> {
    let dir = tempfile::tempdir().context("a temporary folder")?;
    let url = format!("sqlite://{}", dir.path().join("history.db").display());
    let exe = std::env::current_exe().context("finding the marquee binary")?;
    let prepare: Vec<String> = match movielens {
        Some(ml) => vec![
            "import".into(),
            "movielens".into(),
            ml.display().to_string(),
            "--quiet".into(),
        ],
        None => vec!["catalog".into(), "stats".into()],
    };
    run_child(&exe, &url, &prepare)?;
    let store = Store::connect(&url).await?;
    let movies = store.all_movies().await?;
    store.close().await;
    writeln!(out, "catalog: {} films", movies.len())?;

    let made = make_export(&movies, rows, seed);
    let index = TitleIndex::from_movies(&movies);
    let matcher = HistoryMatcher::new(&movies, &index);
    let started = Instant::now();
    let mut tally: BTreeMap<usize, Tally> = BTreeMap::new();
    for (row, truth, damage) in &made {
        let t = tally.entry(*damage).or_default();
        t.rows += 1;
        match matcher.find(row) {
            Match::Found(id, _) if id == *truth => t.correct += 1,
            Match::Ambiguous(ids) if ids.contains(truth) => t.ambiguous += 1,
            // Another film, or choices without the right one.
            Match::Found(..) | Match::Ambiguous(_) => t.wrong += 1,
            Match::NotInCatalog => t.missed += 1,
        }
    }
    let match_ms = started.elapsed().as_secs_f64() * 1e3;
    writeln!(
        out,
        "{:<18} {:>6} {:>8} {:>6} {:>9} {:>6}",
        "damage", "rows", "correct", "wrong", "ambiguous", "missed"
    )?;
    let mut all = Tally::default();
    for (i, t) in &tally {
        writeln!(
            out,
            "{:<18} {:>6} {:>8} {:>6} {:>9} {:>6}",
            DAMAGE[*i].0, t.rows, t.correct, t.wrong, t.ambiguous, t.missed
        )?;
        all.rows += t.rows;
        all.correct += t.correct;
        all.wrong += t.wrong;
        all.ambiguous += t.ambiguous;
        all.missed += t.missed;
    }
    let pct = |n: usize| 100.0 * n as f64 / all.rows.max(1) as f64;
    writeln!(
        out,
        "all {} rows: correct {:.2} %, wrong {:.2} %, ambiguous (the right film among the choices) {:.2} %, missed {:.2} %; matching took {match_ms:.1} ms",
        all.rows,
        pct(all.correct),
        pct(all.wrong),
        pct(all.ambiguous),
        pct(all.missed)
    )?;

    let zip_path = dir.path().join("letterboxd-export.zip");
    std::fs::write(&zip_path, letterboxd_zip(&made)?)?;
    let file = zip_path.display().to_string();
    for pass in ["first import", "same export again"] {
        let started = Instant::now();
        let printed = run_child(
            &exe,
            &url,
            &[
                "import".into(),
                "letterboxd".into(),
                file.clone(),
                "--user".into(),
                "bench".into(),
                "--json".into(),
            ],
        )?;
        let seconds = started.elapsed().as_secs_f64();
        let summary: serde_json::Value = serde_json::from_str(&printed).unwrap_or_default();
        writeln!(
            out,
            "{pass}: {} rows, {} stored, {} already there, {seconds:.2} s wall (the process, start to end)",
            summary["rows"], summary["stored"], summary["already"]
        )?;
    }
    Ok(())
}

/// Runs `marquee ARGS` on `url`; what it printed.
fn run_child(exe: &Path, url: &str, args: &[String]) -> anyhow::Result<String> {
    let output = Command::new(exe)
        .arg("--database-url")
        .arg(url)
        .args(args)
        .env("RUST_LOG", "warn")
        .env_remove("DISCORD_TOKEN")
        .output()
        .with_context(|| format!("running marquee {}", args.join(" ")))?;
    anyhow::ensure!(
        output.status.success(),
        "marquee {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// `rows` rated films of the catalog (each once while there are films enough), each damaged one
/// way: the row, the film it was made from, and the damage's index in [`DAMAGE`].
fn make_export(
    movies: &[Movie],
    rows: usize,
    seed: u64,
) -> Vec<(HistoryRow, crate::domain::ids::MovieId, usize)> {
    let mut rng = SplitMix64::new(seed);
    let mut order: Vec<usize> = (0..movies.len()).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i + 1));
    }
    let mut made = Vec::with_capacity(rows);
    for n in 0..rows {
        let movie = &movies[order[n % order.len().max(1)]];
        let mut title = split_title(&movie.info.title).main;
        let mut year = movie.info.year;
        let roll = rng.below(1000) as u64;
        let mut damage = 0;
        let mut acc = 0;
        for (i, (_, share)) in DAMAGE.iter().enumerate() {
            acc += share;
            if roll < acc {
                damage = i;
                break;
            }
        }
        match DAMAGE[damage].0 {
            "typo" => title = typo(&title, &mut rng),
            "no year" => year = None,
            "Title, The" => {
                for article in ["The ", "A ", "An "] {
                    if let Some(rest) = title.strip_prefix(article) {
                        title = format!("{rest}, {}", article.trim());
                        break;
                    }
                }
            }
            "accents stripped" => title = strip_accents(&title),
            "year one off" => year = year.map(|y| if rng.below(2) == 0 { y - 1 } else { y + 1 }),
            _ => {}
        }
        made.push((
            HistoryRow {
                file: "ratings.csv".into(),
                line: n + 2,
                title,
                year,
                imdb: None,
                tmdb: None,
                said: Said::Rated(0.5 * (1 + rng.below(10)) as f64),
                at_ms: None,
            },
            movie.id,
            damage,
        ));
    }
    made
}

/// One letter of a word of five letters or more dropped or doubled.
fn typo(title: &str, rng: &mut SplitMix64) -> String {
    let chars: Vec<char> = title.chars().collect();
    let letters: Vec<usize> = (0..chars.len())
        .filter(|&i| chars[i].is_alphabetic() && i > 0 && chars[i - 1].is_alphabetic())
        .collect();
    if letters.len() < 4 {
        return title.to_owned();
    }
    let at = letters[rng.below(letters.len())];
    let mut out = chars.clone();
    if rng.below(2) == 0 {
        out.remove(at);
    } else {
        out.insert(at, chars[at]);
    }
    out.into_iter().collect()
}

/// The title without accents (é → e).
fn strip_accents(title: &str) -> String {
    use unicode_normalization::UnicodeNormalization as _;
    title
        .nfkd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .collect()
}

/// The made rows as a Letterboxd export ZIP (`ratings.csv`).
fn letterboxd_zip(
    made: &[(HistoryRow, crate::domain::ids::MovieId, usize)],
) -> anyhow::Result<Vec<u8>> {
    let mut csv = csv::Writer::from_writer(Vec::new());
    csv.write_record(["Date", "Name", "Year", "Letterboxd URI", "Rating"])?;
    for (i, (row, _, _)) in made.iter().enumerate() {
        let Said::Rated(stars) = row.said else {
            continue;
        };
        csv.write_record([
            "2024-01-01".to_owned(),
            row.title.clone(),
            row.year.map(|y| y.to_string()).unwrap_or_default(),
            format!("https://boxd.it/{i}"),
            stars.to_string(),
        ])?;
    }
    let ratings = csv.into_inner().context("the CSV")?;
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    zip.start_file(
        "ratings.csv",
        zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated),
    )?;
    zip.write_all(&ratings)?;
    zip.finish()?;
    Ok(out.into_inner())
}
