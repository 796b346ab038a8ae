//! MovieLens importer: every published format, detected from the files in the folder.
//!
//! | format | files |
//! |---|---|
//! | 100K | `u.item` (Latin-1, `|`-separated, 19 genre flags), `u.genre`, `u.data` (tab-separated) |
//! | 1M / 10M | `movies.dat`, `ratings.dat` (`::`-separated; 1M is Latin-1, 10M UTF-8) |
//! | latest / 20M / 25M | `movies.csv`, `ratings.csv`, `tags.csv`, `links.csv` |
//!
//! Films are merged into the catalog (by MovieLens, TMDB or IMDb id, else by normalised title and
//! year). Ratings become `historical` feedback events of synthetic MovieLens users, kept apart
//! from Discord users, so they feed the recommenders.

use super::{
    FileSummary, ImportSummary, Reporter, RowError, decode_latin1, decode_utf8_or_latin1,
    display_name, for_each_csv_record, millis_since, open_csv,
};
use crate::domain::catalog::search::split_title;
use crate::domain::catalog::{ExternalIds, Genre, MovieInfo, VoteSource, Votes};
use crate::domain::ids::{MovieId, UserId};
use crate::domain::ports::{CatalogRepo, UserKind};
use crate::outbound::storage::{HistoricalRating, Store};
use anyhow::Context as _;
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::time::Instant;

/// The MovieLens layouts Marquee reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// MovieLens 100K.
    Ml100k,
    /// MovieLens 1M and 10M.
    Dat,
    /// MovieLens latest, 20M and 25M.
    Csv,
}

impl Format {
    /// Which format the files in `dir` are.
    ///
    /// # Errors
    /// No known set of files is there; the message lists what was expected.
    pub fn detect(dir: &Path) -> anyhow::Result<Self> {
        if !dir.is_dir() {
            anyhow::bail!(
                "{} is not a folder. Give the folder that holds the MovieLens files.",
                dir.display()
            );
        }
        let has = |name: &str| dir.join(name).is_file();
        if has("movies.csv") {
            Ok(Format::Csv)
        } else if has("movies.dat") {
            Ok(Format::Dat)
        } else if has("u.item") {
            Ok(Format::Ml100k)
        } else {
            anyhow::bail!(
                "{} holds no MovieLens data. Expected one of: movies.csv with ratings.csv, tags.csv and links.csv \
                 (latest, 20M, 25M); movies.dat with ratings.dat (1M, 10M); u.item with u.data and u.genre (100K).",
                dir.display()
            )
        }
    }

    fn name(self) -> &'static str {
        match self {
            Format::Ml100k => "MovieLens 100K",
            Format::Dat => "MovieLens 1M/10M",
            Format::Csv => "MovieLens CSV (latest/20M/25M)",
        }
    }
}

/// Ratings stored per transaction.
const RATING_BATCH: usize = 50_000;
/// Films stored per transaction.
const MOVIE_BATCH: usize = 1_000;
/// At most this many tags of a film become its keywords, the most used first.
const TAGS_PER_FILM: usize = 8;

/// Imports the MovieLens data set in `dir`.
///
/// # Errors
/// The folder holds no known format, a required file cannot be read, or storage fails. Malformed
/// rows are not errors: they are reported, skipped and counted.
pub async fn import(
    store: &Store,
    dir: &Path,
    reporter: &mut Reporter,
) -> anyhow::Result<ImportSummary> {
    let format = Format::detect(dir)?;
    let mut summary = ImportSummary {
        format: format.name().to_owned(),
        ..ImportSummary::default()
    };

    let (movies_file, ratings_file) = match format {
        Format::Ml100k => ("u.item", "u.data"),
        Format::Dat => ("movies.dat", "ratings.dat"),
        Format::Csv => ("movies.csv", "ratings.csv"),
    };
    let links = if format == Format::Csv && dir.join("links.csv").is_file() {
        let (links, file_summary) = read_links(&dir.join("links.csv"), reporter)?;
        summary.files.push(file_summary);
        links
    } else {
        HashMap::new()
    };
    let tags = if format == Format::Csv && dir.join("tags.csv").is_file() {
        let (tags, file_summary) = read_tags(&dir.join("tags.csv"), reporter)?;
        summary.files.push(file_summary);
        tags
    } else {
        HashMap::new()
    };

    let movies_started = Instant::now();
    let movies_path = dir.join(movies_file);
    let genre_names = if format == Format::Ml100k {
        read_100k_genres(dir)?
    } else {
        Vec::new()
    };
    let (mut movies, mut movie_summary) =
        read_movies(format, &movies_path, &genre_names, reporter)?;
    for m in &mut movies {
        let Some(ml) = m.external.movielens else {
            continue;
        };
        if let Some((imdb, tmdb)) = links.get(&ml) {
            m.external.imdb.clone_from(imdb);
            m.external.tmdb = *tmdb;
        }
        if let Some(t) = tags.get(&ml) {
            m.keywords.clone_from(t);
        }
    }
    for batch in movies.chunks(MOVIE_BATCH) {
        let s = store.upsert_movies(batch).await.context("storing films")?;
        movie_summary.imported += s.inserted;
        movie_summary.updated += s.updated;
        movie_summary.unchanged += s.unchanged;
    }
    drop(movies);
    movie_summary.millis = millis_since(movies_started);
    summary.files.push(movie_summary);

    let ratings_path = dir.join(ratings_file);
    if ratings_path.is_file() {
        let s = import_ratings(store, format, &ratings_path, reporter).await?;
        summary.files.push(s);
    } else {
        tracing::warn!(file = %ratings_path.display(), "no ratings file; imported films only");
    }
    Ok(summary)
}

/// The films of a MovieLens folder (any format) and its ratings file, for offline evaluation:
/// each film as `(MovieLens id, title, year, genres)` without storing anything. Rows that cannot
/// be read are skipped, as an import skips them.
///
/// # Errors
/// The folder holds no MovieLens data or a file cannot be read.
pub fn read_films(dir: &Path) -> anyhow::Result<(Vec<(i64, MovieInfo)>, std::path::PathBuf)> {
    let format = Format::detect(dir)?;
    let (movies_file, ratings_file) = match format {
        Format::Ml100k => ("u.item", "u.data"),
        Format::Dat => ("movies.dat", "ratings.dat"),
        Format::Csv => ("movies.csv", "ratings.csv"),
    };
    let genre_names = if format == Format::Ml100k {
        read_100k_genres(dir)?
    } else {
        Vec::new()
    };
    let mut reporter = Reporter::new(true);
    let (movies, _) = read_movies(format, &dir.join(movies_file), &genre_names, &mut reporter)?;
    let films = movies
        .into_iter()
        .filter_map(|m| m.external.movielens.map(|id| (id, m)))
        .collect();
    Ok((films, dir.join(ratings_file)))
}

/// Parses a MovieLens title such as `Godfather, The (1972)` into ("The Godfather", 1972).
/// A trailing alternative title in parentheses is dropped; the year may be a range (`2009-2011`).
pub fn parse_title(raw: &str) -> (String, Option<i32>) {
    let raw = raw.trim();
    let mut year = None;
    let mut rest = raw;
    if let Some(open) = raw.rfind('(') {
        if raw.ends_with(')') {
            let inner = raw[open + 1..raw.len() - 1].trim();
            let first = inner.split(['-', '–']).next().unwrap_or("").trim();
            if first.len() == 4 && first.bytes().all(|b| b.is_ascii_digit()) {
                year = first
                    .parse::<i32>()
                    .ok()
                    .filter(|y| (1870..=2100).contains(y));
                if year.is_some() {
                    rest = raw[..open].trim_end();
                }
            }
        }
    }
    let parts = split_title(rest);
    let title = if parts.main.is_empty() {
        rest.to_owned()
    } else {
        parts.main
    };
    (title, year)
}

fn open(path: &Path) -> anyhow::Result<(BufReader<File>, u64)> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let len = file.metadata().map_or(0, |m| m.len());
    Ok((BufReader::with_capacity(1 << 20, file), len))
}

/// Reads `links.csv`: MovieLens id → (IMDb id, TMDB id).
/// MovieLens id → (IMDb id, TMDB id).
type Links = HashMap<i64, (Option<String>, Option<i64>)>;

fn read_links(path: &Path, reporter: &mut Reporter) -> anyhow::Result<(Links, FileSummary)> {
    let started = Instant::now();
    let name = display_name(path);
    let mut summary = FileSummary {
        file: name.clone(),
        ..FileSummary::default()
    };
    let mut out = HashMap::new();
    for_each_csv_record(
        &mut open_csv(path, reporter)?,
        path,
        3,
        reporter,
        &mut summary,
        |fields, line| {
            let ml = parse_id(fields[0], "movieId")?;
            let imdb = match fields[1].trim() {
                "" => None,
                s if s.bytes().all(|b| b.is_ascii_digit()) => Some(format!("tt{s:0>7}")),
                s => return Err(format!("imdbId {s:?} is not a number (line {line})")),
            };
            let tmdb = match fields[2].trim() {
                "" => None,
                s => Some(parse_id(s, "tmdbId")?),
            };
            out.insert(ml, (imdb, tmdb));
            Ok(())
        },
    );
    summary.imported = out.len() as u64;
    summary.millis = millis_since(started);
    Ok((out, summary))
}

/// Reads `tags.csv` and keeps each film's most used tags as keywords.
fn read_tags(
    path: &Path,
    reporter: &mut Reporter,
) -> anyhow::Result<(HashMap<i64, Vec<String>>, FileSummary)> {
    let started = Instant::now();
    let name = display_name(path);
    let mut summary = FileSummary {
        file: name,
        ..FileSummary::default()
    };
    let mut counts: HashMap<i64, HashMap<String, u32>> = HashMap::new();
    for_each_csv_record(
        &mut open_csv(path, reporter)?,
        path,
        4,
        reporter,
        &mut summary,
        |fields, _| {
            let ml = parse_id(fields[1], "movieId")?;
            let tag = fields[2].trim().to_lowercase();
            if tag.is_empty() || tag.chars().count() > 40 || tag.contains('|') {
                return Ok(());
            }
            *counts.entry(ml).or_default().entry(tag).or_default() += 1;
            Ok(())
        },
    );
    let tags: HashMap<i64, Vec<String>> = counts
        .into_iter()
        .map(|(ml, tags)| {
            let mut tags: Vec<(String, u32)> = tags.into_iter().collect();
            tags.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            (
                ml,
                tags.into_iter()
                    .take(TAGS_PER_FILM)
                    .map(|(t, _)| t)
                    .collect(),
            )
        })
        .collect();
    summary.imported = tags.len() as u64;
    summary.millis = millis_since(started);
    Ok((tags, summary))
}

fn parse_id(s: &str, what: &str) -> Result<i64, String> {
    s.trim()
        .parse::<i64>()
        .ok()
        .filter(|&v| v > 0)
        .ok_or_else(|| format!("{what} {s:?} is not a positive whole number"))
}

fn read_100k_genres(dir: &Path) -> anyhow::Result<Vec<Option<Genre>>> {
    let path = dir.join("u.genre");
    let names: Vec<String> = if path.is_file() {
        let bytes =
            std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        decode_latin1(&bytes)
            .lines()
            .filter_map(|l| l.split_once('|').map(|(name, _)| name.to_owned()))
            .collect()
    } else {
        [
            "unknown",
            "Action",
            "Adventure",
            "Animation",
            "Children's",
            "Comedy",
            "Crime",
            "Documentary",
            "Drama",
            "Fantasy",
            "Film-Noir",
            "Horror",
            "Musical",
            "Mystery",
            "Romance",
            "Sci-Fi",
            "Thriller",
            "War",
            "Western",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
    };
    Ok(names.iter().map(|n| n.parse::<Genre>().ok()).collect())
}

/// Reads the films file of any format.
fn read_movies(
    format: Format,
    path: &Path,
    genre_names: &[Option<Genre>],
    reporter: &mut Reporter,
) -> anyhow::Result<(Vec<MovieInfo>, FileSummary)> {
    let name = display_name(path);
    let mut summary = FileSummary {
        file: name.clone(),
        ..FileSummary::default()
    };
    let mut movies = Vec::new();
    let film = |id: &str, title: &str, genres: Vec<Genre>| -> Result<MovieInfo, String> {
        let ml = parse_id(id, "movieId")?;
        let (title, year) = parse_title(title);
        if title.is_empty() {
            return Err("empty title".into());
        }
        Ok(MovieInfo {
            title,
            year,
            genres,
            external: ExternalIds {
                movielens: Some(ml),
                ..ExternalIds::default()
            },
            ..MovieInfo::default()
        })
    };
    match format {
        Format::Csv => {
            for_each_csv_record(
                &mut open_csv(path, reporter)?,
                path,
                3,
                reporter,
                &mut summary,
                |f, _| {
                    movies.push(film(f[0], f[1], Genre::parse_list(f[2], '|'))?);
                    Ok(())
                },
            );
        }
        Format::Dat | Format::Ml100k => {
            let (reader, len) = open(path)?;
            reporter.start_file(path, len);
            for_each_line(reader, |line_no, bytes| {
                summary.rows_read += 1;
                let outcome = if format == Format::Dat {
                    let text = decode_utf8_or_latin1(bytes);
                    let f: Vec<&str> = text.split("::").collect();
                    if f.len() == 3 {
                        film(f[0], f[1], Genre::parse_list(f[2], '|')).map(|m| movies.push(m))
                    } else {
                        Err(format!(
                            "expected 3 fields separated by ::, found {}",
                            f.len()
                        ))
                    }
                } else {
                    let text = decode_latin1(bytes);
                    let f: Vec<&str> = text.split('|').collect();
                    if f.len() == 5 + genre_names.len() {
                        let genres = f[5..]
                            .iter()
                            .zip(genre_names)
                            .filter(|(flag, _)| flag.trim() == "1")
                            .filter_map(|(_, g)| *g)
                            .collect();
                        film(f[0], f[1], genres).map(|m| movies.push(m))
                    } else {
                        Err(format!(
                            "expected {} fields separated by |, found {}",
                            5 + genre_names.len(),
                            f.len()
                        ))
                    }
                };
                if let Err(problem) = outcome {
                    summary.skipped += 1;
                    reporter.row_error(RowError {
                        file: name.clone(),
                        line: line_no,
                        problem,
                    });
                }
            })?;
        }
    }
    Ok((movies, summary))
}

/// Calls `f` with each non-empty line (without its line ending) and its 1-based number.
fn for_each_line(mut reader: impl BufRead, mut f: impl FnMut(u64, &[u8])) -> anyhow::Result<()> {
    let mut buf = Vec::with_capacity(256);
    let mut line_no = 0;
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf)? == 0 {
            return Ok(());
        }
        line_no += 1;
        let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if !line.is_empty() {
            f(line_no, line);
        }
    }
}

/// One rating as read, before its user and film are known to the store.
#[derive(Debug, Clone, Copy)]
struct RawRating {
    line: u64,
    user: i64,
    movie: i64,
    rating: f64,
    timestamp_s: i64,
}

/// A batch from the reading thread.
#[derive(Debug)]
struct RatingBatch {
    rows: Vec<RawRating>,
    errors: Vec<RowError>,
    rows_read: u64,
    bytes_read: u64,
}

fn text<'a>(b: &'a [u8], what: &str) -> Result<&'a str, String> {
    std::str::from_utf8(b).map_err(|_| format!("{what}: invalid UTF-8"))
}

/// Parses one rating row's fields: user, film, rating (0.5–5), timestamp in seconds.
fn parse_rating(fields: &[&[u8]], line: u64) -> Result<RawRating, String> {
    let [user, movie, rating, ts] = fields else {
        return Err(format!("expected 4 fields, found {}", fields.len()));
    };
    let user = parse_id(text(user, "userId")?, "userId")?;
    let movie = parse_id(text(movie, "movieId")?, "movieId")?;
    let rating_text = text(rating, "rating")?.trim();
    let rating: f64 = rating_text
        .parse()
        .ok()
        .filter(|r: &f64| r.is_finite() && (0.5..=5.0).contains(r))
        .ok_or_else(|| format!("rating {rating_text:?} is not a number from 0.5 to 5"))?;
    let ts_text = text(ts, "timestamp")?.trim();
    let timestamp_s: i64 = ts_text
        .parse()
        .map_err(|_| format!("timestamp {ts_text:?} is not a whole number"))?;
    Ok(RawRating {
        line,
        user,
        movie,
        rating,
        timestamp_s,
    })
}

/// Reads a ratings file on a blocking thread and sends batches to `tx`.
fn read_ratings(
    format: Format,
    path: &Path,
    tx: &tokio::sync::mpsc::Sender<RatingBatch>,
) -> anyhow::Result<()> {
    let name = display_name(path);
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut batch = RatingBatch {
        rows: Vec::with_capacity(RATING_BATCH),
        errors: Vec::new(),
        rows_read: 0,
        bytes_read: 0,
    };
    let mut buf = Vec::with_capacity(128);
    let mut line_no: u64 = 0;
    let mut bytes: u64 = 0;
    let send = |batch: RatingBatch| {
        tx.blocking_send(batch)
            .map_err(|_| anyhow::anyhow!("the import stopped"))
    };
    loop {
        buf.clear();
        let n = reader.read_until(b'\n', &mut buf)?;
        if n == 0 {
            break;
        }
        bytes += n as u64;
        line_no += 1;
        let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() || (format == Format::Csv && line_no == 1) {
            continue;
        }
        batch.rows_read += 1;
        let parsed = match format {
            Format::Csv => {
                let fields: Vec<&[u8]> = line.split(|&b| b == b',').collect();
                parse_rating(&fields, line_no)
            }
            Format::Ml100k => {
                let fields: Vec<&[u8]> = line.split(|&b| b == b'\t').collect();
                parse_rating(&fields, line_no)
            }
            Format::Dat => {
                let fields = split_double_colon(line);
                parse_rating(&fields, line_no)
            }
        };
        match parsed {
            Ok(r) => batch.rows.push(r),
            Err(problem) => batch.errors.push(RowError {
                file: name.clone(),
                line: line_no,
                problem,
            }),
        }
        if batch.rows.len() >= RATING_BATCH {
            batch.bytes_read = bytes;
            let full = std::mem::replace(
                &mut batch,
                RatingBatch {
                    rows: Vec::with_capacity(RATING_BATCH),
                    errors: Vec::new(),
                    rows_read: 0,
                    bytes_read: 0,
                },
            );
            send(full)?;
        }
    }
    batch.bytes_read = bytes;
    send(batch)
}

fn split_double_colon(line: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::with_capacity(4);
    let mut start = 0;
    let mut i = 0;
    while i + 1 < line.len() {
        if line[i] == b':' && line[i + 1] == b':' {
            out.push(&line[start..i]);
            i += 2;
            start = i;
        } else {
            i += 1;
        }
    }
    out.push(&line[start..]);
    out
}

async fn import_ratings(
    store: &Store,
    format: Format,
    path: &Path,
    reporter: &mut Reporter,
) -> anyhow::Result<FileSummary> {
    let started = Instant::now();
    let name = display_name(path);
    let mut summary = FileSummary {
        file: name.clone(),
        ..FileSummary::default()
    };
    let films = store.movielens_ids().await?;
    let mut users: HashMap<i64, UserId> = HashMap::new();
    let len = std::fs::metadata(path).map_or(0, |m| m.len());
    reporter.start_file(path, len);

    // Every film's ratings in this file (count, sum of stars): its votes once the file is read.
    let mut votes: HashMap<MovieId, (i64, f64)> = HashMap::new();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<RatingBatch>(2);
    let reader = {
        let path = path.to_path_buf();
        tokio::task::spawn_blocking(move || read_ratings(format, &path, &tx))
    };
    let mut rows = Vec::with_capacity(RATING_BATCH);
    while let Some(batch) = rx.recv().await {
        summary.rows_read += batch.rows_read;
        reporter.advance_to(batch.bytes_read);
        for e in batch.errors {
            summary.skipped += 1;
            reporter.row_error(e);
        }
        let mut new_users: Vec<String> = batch
            .rows
            .iter()
            .filter(|r| !users.contains_key(&r.user))
            .map(|r| r.user.to_string())
            .collect();
        new_users.sort_unstable();
        new_users.dedup();
        if !new_users.is_empty() {
            for (ext, id) in store
                .ensure_users_bulk(UserKind::MovieLens, &new_users)
                .await?
            {
                if let Ok(ml) = ext.parse::<i64>() {
                    users.insert(ml, id);
                }
            }
        }
        rows.clear();
        for r in &batch.rows {
            let (Some(&user), Some(&movie)) = (users.get(&r.user), films.get(&r.movie)) else {
                summary.skipped += 1;
                reporter.row_error(RowError {
                    file: name.clone(),
                    line: r.line,
                    problem: format!("film {} is not in the films file", r.movie),
                });
                continue;
            };
            let v = votes.entry(movie).or_default();
            v.0 += 1;
            v.1 += r.rating;
            rows.push(HistoricalRating {
                user,
                movie,
                rating: r.rating,
                rated_at_ms: r.timestamp_s.saturating_mul(1000),
            });
        }
        let inserted = store
            .insert_historical_ratings("movielens", &rows)
            .await
            .context("storing ratings")?;
        summary.imported += inserted;
        summary.unchanged += rows.len() as u64 - inserted;
    }
    reader.await.context("the ratings reader stopped")??;
    // What the ratings say about each film (how many, how well) is film knowledge: it becomes
    // the film's votes at once, so the next cold start uses it without waiting for a training.
    let votes: Vec<(MovieId, Votes)> = votes
        .into_iter()
        .map(|(movie, (count, sum))| {
            let average = (sum / count as f64 * 2.0).clamp(0.0, 10.0);
            (
                movie,
                Votes {
                    count,
                    average: (average * 1000.0).round() / 1000.0,
                    source: VoteSource::MovieLens,
                },
            )
        })
        .collect();
    store
        .set_votes(&votes)
        .await
        .context("storing the films' rating counts")?;
    summary.millis = millis_since(started);
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn movielens_titles_lose_their_year_and_trailing_article() {
        assert_eq!(
            parse_title("Godfather, The (1972)"),
            ("The Godfather".into(), Some(1972))
        );
        assert_eq!(
            parse_title("Toy Story (1995)"),
            ("Toy Story".into(), Some(1995))
        );
        assert_eq!(
            parse_title("City of Lost Children, The (Cité des enfants perdus, La) (1995)"),
            ("The City of Lost Children".into(), Some(1995))
        );
        assert_eq!(parse_title("Babylon 5"), ("Babylon 5".into(), None));
        assert_eq!(
            parse_title("Sherlock (2010-2012)"),
            ("Sherlock".into(), Some(2010))
        );
        assert_eq!(parse_title("1917 (2019)"), ("1917".into(), Some(2019)));
    }

    #[test]
    fn rating_rows_are_checked_field_by_field() {
        let ok = parse_rating(&[b"1", b"31", b"2.5", b"1260759144"], 2).expect("valid");
        assert_eq!(
            (ok.user, ok.movie, ok.rating, ok.timestamp_s),
            (1, 31, 2.5, 1_260_759_144)
        );
        assert!(
            parse_rating(&[b"1", b"31", b"7", b"1"], 2)
                .unwrap_err()
                .contains("0.5 to 5")
        );
        assert!(
            parse_rating(&[b"1", b"x", b"4", b"1"], 2)
                .unwrap_err()
                .contains("movieId")
        );
        assert!(
            parse_rating(&[b"1", b"31", b"4"], 2)
                .unwrap_err()
                .contains("4 fields")
        );
        assert!(
            parse_rating(&[b"\xff", b"31", b"4", b"1"], 2)
                .unwrap_err()
                .contains("UTF-8")
        );
        assert!(parse_rating(&[b"1", b"31", b"NaN", b"1"], 2).is_err());
    }

    #[test]
    fn double_colon_rows_split_into_their_fields() {
        assert_eq!(
            split_double_colon(b"1::1193::5::978300760"),
            vec![&b"1"[..], b"1193", b"5", b"978300760"]
        );
        assert_eq!(split_double_colon(b"a:b::c"), vec![&b"a:b"[..], b"c"]);
    }

    #[test]
    fn the_format_is_detected_from_the_files_present() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/movielens");
        assert_eq!(Format::detect(&root.join("csv")).expect("csv"), Format::Csv);
        assert_eq!(Format::detect(&root.join("dat")).expect("dat"), Format::Dat);
        assert_eq!(
            Format::detect(&root.join("100k")).expect("100k"),
            Format::Ml100k
        );
        let err = Format::detect(&root).unwrap_err().to_string();
        assert!(
            err.contains("movies.csv") && err.contains("u.item"),
            "{err}"
        );
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn config(cases: u32) -> ProptestConfig {
            ProptestConfig {
                cases,
                failure_persistence: None,
                ..ProptestConfig::default()
            }
        }

        /// A title as MovieLens writes them, without commas or parentheses.
        fn plain_title() -> impl Strategy<Value = String> {
            "[A-Z][a-z]{1,8}( [A-Za-z0-9][a-z0-9']{0,8}){0,3}"
        }

        /// One field as bytes: anything, or something close to a number.
        fn field() -> impl Strategy<Value = Vec<u8>> {
            prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..12),
                "[ +-]?[0-9]{0,20}(\\.[0-9]{0,3})?[ eE]?".prop_map(String::into_bytes),
                "NaN|inf|-inf|0x10|1e3|5\\.0|0\\.5".prop_map(String::into_bytes),
            ]
        }

        /// A rating as MovieLens writes them: "4.0", "3.5", "5".
        fn stars_text() -> impl Strategy<Value = (f64, String)> {
            (1_u8..=10, any::<bool>()).prop_map(|(half, short)| {
                let value = f64::from(half) / 2.0;
                let text = if short && half % 2 == 0 {
                    format!("{}", half / 2)
                } else {
                    format!("{value:.1}")
                };
                (value, text)
            })
        }

        /// A movies file of `rows`, each written in the format's own way.
        fn write_movies(format: Format, rows: &[(i64, String, i32, Vec<Genre>)]) -> String {
            use std::fmt::Write as _;
            let mut text = String::new();
            if format == Format::Csv {
                text.push_str("movieId,title,genres\n");
            }
            for (id, title, year, genres) in rows {
                let names: Vec<&str> = genres.iter().map(|g| g.name()).collect();
                let names = names.join("|");
                if format == Format::Csv {
                    let _ = writeln!(text, "{id},\"{title} ({year})\",{names}");
                } else {
                    let _ = writeln!(text, "{id}::{title} ({year})::{names}");
                }
            }
            text
        }

        fn read_back(format: Format, text: &str) -> (Vec<MovieInfo>, FileSummary) {
            let dir = tempfile::tempdir().expect("temporary folder");
            let name = if format == Format::Csv {
                "movies.csv"
            } else {
                "movies.dat"
            };
            let path = dir.path().join(name);
            std::fs::write(&path, text).expect("write the movies file");
            read_movies(format, &path, &[], &mut Reporter::new(true)).expect("read the movies file")
        }

        proptest! {
            #![proptest_config(config(256))]

            /// Any fields are a rating or a refusal, never a panic; an accepted rating has
            /// positive ids and a value from 0.5 to 5.
            #[test]
            fn any_rating_fields_are_read_or_refused(
                fields in proptest::collection::vec(field(), 0..6),
                line in any::<u64>(),
            ) {
                let fields: Vec<&[u8]> = fields.iter().map(Vec::as_slice).collect();
                if let Ok(r) = parse_rating(&fields, line) {
                    prop_assert_eq!(fields.len(), 4);
                    prop_assert!(r.user > 0 && r.movie > 0);
                    prop_assert!((0.5..=5.0).contains(&r.rating));
                    prop_assert_eq!(r.line, line);
                }
            }

            /// A rating row written in any of the three formats reads back as its values.
            #[test]
            fn a_well_formed_rating_row_reads_back(
                user in 1_i64..=i64::MAX,
                movie in 1_i64..=i64::MAX,
                (rating, stars) in stars_text(),
                timestamp in any::<i64>(),
                line in 2_u64..1_000_000,
            ) {
                let csv = format!("{user},{movie},{stars},{timestamp}");
                let tab = format!("{user}\t{movie}\t{stars}\t{timestamp}");
                let dat = format!("{user}::{movie}::{stars}::{timestamp}");
                let rows = [
                    csv.as_bytes().split(|&b| b == b',').collect::<Vec<_>>(),
                    tab.as_bytes().split(|&b| b == b'\t').collect::<Vec<_>>(),
                    split_double_colon(dat.as_bytes()),
                ];
                for fields in rows {
                    let r = parse_rating(&fields, line).map_err(TestCaseError::fail)?;
                    prop_assert_eq!(
                        (r.user, r.movie, r.rating, r.timestamp_s, r.line),
                        (user, movie, rating, timestamp, line)
                    );
                }
            }

            /// Any title is split without a panic; a title with its year in parentheses gives
            /// both back, and a trailing article moves to the front.
            #[test]
            fn titles_give_back_their_name_and_year(
                raw in any::<String>(),
                title in plain_title(),
                year in 1870_i32..=2100,
            ) {
                let _ = parse_title(&raw);
                prop_assert_eq!(parse_title(&format!("{title} ({year})")), (title.clone(), Some(year)));
                prop_assert_eq!(parse_title(&title), (title.clone(), None));
                prop_assert_eq!(
                    parse_title(&format!("{title}, The ({year})")),
                    (format!("The {title}"), Some(year))
                );
            }
        }

        proptest! {
            // Each case writes a file: fewer cases.
            #![proptest_config(config(48))]

            /// Films written in the CSV or `.dat` layout read back as written.
            #[test]
            fn a_well_formed_movies_file_reads_back(
                rows in proptest::collection::vec(
                    (
                        1_i64..=i64::MAX,
                        plain_title(),
                        1870_i32..=2100,
                        proptest::sample::subsequence(Genre::ALL.to_vec(), 0..4),
                    ),
                    0..20,
                ),
                csv in any::<bool>(),
            ) {
                let format = if csv { Format::Csv } else { Format::Dat };
                let (movies, summary) = read_back(format, &write_movies(format, &rows));
                prop_assert_eq!(summary.rows_read, rows.len() as u64);
                prop_assert_eq!(summary.skipped, 0);
                prop_assert_eq!(movies.len(), rows.len());
                for (m, (id, title, year, genres)) in movies.iter().zip(&rows) {
                    prop_assert_eq!(m.external.movielens, Some(*id));
                    prop_assert_eq!(&m.title, title);
                    prop_assert_eq!(m.year, Some(*year));
                    prop_assert_eq!(&m.genres, genres);
                }
            }

            /// Any lines in a movies file never stop the import: every row read is a film or
            /// a counted skip.
            #[test]
            fn any_movies_file_is_read_row_by_row(
                lines in proptest::collection::vec(any::<String>(), 0..12),
                csv in any::<bool>(),
            ) {
                let format = if csv { Format::Csv } else { Format::Dat };
                let mut text = if csv { "movieId,title,genres\n".to_owned() } else { String::new() };
                for line in &lines {
                    text.push_str(line);
                    text.push('\n');
                }
                let (movies, summary) = read_back(format, &text);
                prop_assert_eq!(movies.len() as u64 + summary.skipped, summary.rows_read);
                for m in &movies {
                    prop_assert!(!m.title.is_empty());
                    prop_assert!(m.external.movielens.is_some_and(|id| id > 0));
                }
            }
        }
    }
}
