//! Reading a person's export from another site: a Letterboxd ZIP or CSV, an IMDb ratings CSV, a
//! Trakt ZIP or JSON file, into [`HistoryRow`]s. The source is told from the content (never the
//! file name's extension alone); columns are found by their header names; text is UTF-8 (a BOM is
//! fine) or, failing that, Windows-1252 (older IMDb files). A ZIP is read within limits (entries,
//! sizes, the ratio of a deflated entry), and only the files each site puts there are read:
//! Letterboxd's at the root (its `deleted/` and `orphaned/` folders hold files of the same names,
//! and `profile.csv` an e-mail address, never read). A malformed row is reported with its file
//! and line and skipped; a file that is none of these is refused whole, so nothing of it is
//! half-imported.

use std::io::Read as _;

use crate::domain::history::{HistoryRow, HistorySource, Said, stars_of_five, stars_of_ten};
use crate::domain::time::days_from_civil;

/// The largest export accepted (Discord's attachments are at most 25 MB; a ZIP may hold more
/// once inflated, up to [`MAX_INFLATED`]).
pub const MAX_FILE: usize = 25 << 20;
/// The most bytes a ZIP may inflate to, all entries together.
pub const MAX_INFLATED: u64 = 100 << 20;
/// The most entries a ZIP may hold.
const MAX_ENTRIES: usize = 10_000;

/// What an export held.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReadExport {
    pub source: Option<HistorySource>,
    pub rows: Vec<HistoryRow>,
    /// Rows that could not be read: (file, line, why).
    pub malformed: Vec<(String, usize, String)>,
    /// Rows about something else than a film (series, episodes), left out.
    pub not_films: usize,
}

/// Why a file was refused whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is {0} MB; exports up to 25 MB are accepted")]
    TooBig(usize),
    #[error("the ZIP cannot be read: {0}")]
    BadZip(String),
    #[error("the ZIP unpacks to more than {} MB (or holds too many files); it is not an export", MAX_INFLATED >> 20)]
    ZipBomb,
    #[error("this is not a Letterboxd, IMDb or Trakt export ({0})")]
    Unknown(String),
}

/// Reads an export named `name` (only used in messages) from `bytes`.
///
/// # Errors
/// The file is empty, too big, a broken or oversized ZIP, or not an export of a known site.
pub fn read_export(name: &str, bytes: &[u8]) -> Result<ReadExport, ExportError> {
    if bytes.is_empty() {
        return Err(ExportError::Empty);
    }
    if bytes.len() > MAX_FILE {
        return Err(ExportError::TooBig(bytes.len() >> 20));
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return read_zip(bytes);
    }
    let text = decode(bytes);
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Err(ExportError::Empty);
    }
    let mut out = ReadExport::default();
    if trimmed.starts_with('[') || trimmed.starts_with('{') {
        out.source = Some(HistorySource::Trakt);
        let kind = trakt_kind(name).unwrap_or(TraktFile::Guess);
        read_trakt(name, &text, kind, &mut out);
        return Ok(out);
    }
    let source = csv_source(&text).ok_or_else(|| {
        ExportError::Unknown(format!(
            "{name}: its first line names none of their columns"
        ))
    })?;
    out.source = Some(source);
    read_csv(name, &text, &mut out);
    Ok(out)
}

/// UTF-8 without its BOM, or Windows-1252 when it is not UTF-8.
fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => bytes.iter().map(|&b| cp1252(b)).collect(),
    }
}

/// A Windows-1252 byte as a character (0x80–0x9F differ from Latin-1).
fn cp1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    if (0x80..0xa0).contains(&b) {
        HIGH[usize::from(b - 0x80)]
    } else {
        char::from(b)
    }
}

/// Which site a CSV comes from, by its header.
fn csv_source(text: &str) -> Option<HistorySource> {
    let header = text.lines().next()?.to_ascii_lowercase();
    let has = |c: &str| header.split(',').any(|h| h.trim().trim_matches('"') == c);
    if has("letterboxd uri") || has("letterboxduri") || (has("name") && has("year") && has("date"))
    {
        Some(HistorySource::Letterboxd)
    } else if has("const") && has("your rating") {
        Some(HistorySource::Imdb)
    } else {
        None
    }
}

/// Reads a ZIP within its limits.
fn read_zip(bytes: &[u8]) -> Result<ReadExport, ExportError> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| ExportError::BadZip(e.to_string()))?;
    if zip.len() > MAX_ENTRIES {
        return Err(ExportError::ZipBomb);
    }
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut inflated = 0u64;
    for i in 0..zip.len() {
        let mut entry = zip
            .by_index(i)
            .map_err(|e| ExportError::BadZip(e.to_string()))?;
        if entry.is_dir() {
            continue;
        }
        let name = entry.name().replace('\\', "/");
        if !wanted(&name) {
            continue;
        }
        // Declared sizes can lie: read at most what is left of the budget, plus one byte.
        let left = MAX_INFLATED.saturating_sub(inflated);
        let mut data = Vec::new();
        (&mut entry)
            .take(left + 1)
            .read_to_end(&mut data)
            .map_err(|e| ExportError::BadZip(e.to_string()))?;
        inflated += data.len() as u64;
        if inflated > MAX_INFLATED {
            return Err(ExportError::ZipBomb);
        }
        files.push((name, data));
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let letterboxd = files
        .iter()
        .any(|(n, _)| LETTERBOXD_FILES.contains(&n.as_str()));
    let trakt = files.iter().any(|(n, _)| trakt_kind(n).is_some());
    let mut out = ReadExport::default();
    if letterboxd {
        out.source = Some(HistorySource::Letterboxd);
        // Ratings first: a film rated and watched keeps its rating.
        for wanted in LETTERBOXD_FILES {
            if let Some((name, data)) = files.iter().find(|(n, _)| n == wanted) {
                read_csv(name, &decode(data), &mut out);
            }
        }
    } else if trakt {
        out.source = Some(HistorySource::Trakt);
        for (name, data) in &files {
            if let Some(kind) = trakt_kind(name) {
                read_trakt(name, &decode(data), kind, &mut out);
            }
        }
    } else if let Some((name, data)) = files.iter().find(|(n, _)| is_csv(n)) {
        // One CSV in a ZIP (an IMDb file someone zipped, Letterboxd's import format).
        let text = decode(data);
        out.source = Some(csv_source(&text).ok_or_else(|| {
            ExportError::Unknown(format!(
                "{name}: its first line names none of their columns"
            ))
        })?);
        read_csv(name, &text, &mut out);
    } else {
        return Err(ExportError::Unknown(
            "the ZIP holds none of the files Letterboxd or Trakt put in theirs".into(),
        ));
    }
    Ok(out)
}

/// The Letterboxd files read, at the ZIP's root only, in this order.
const LETTERBOXD_FILES: [&str; 5] = [
    "ratings.csv",
    "reviews.csv",
    "diary.csv",
    "watched.csv",
    "watchlist.csv",
];

/// Whether a ZIP entry is worth reading: a Letterboxd root file, a Trakt file, or a lone CSV.
fn wanted(name: &str) -> bool {
    LETTERBOXD_FILES.contains(&name)
        || trakt_kind(name).is_some()
        || (is_csv(name) && !name.contains('/'))
}

/// Whether a file name ends in `.json`, in any case.
fn is_json(name: &str) -> bool {
    name.to_ascii_lowercase().ends_with(".json")
}

/// Whether a file name ends in `.csv`, in any case.
fn is_csv(name: &str) -> bool {
    name.to_ascii_lowercase().ends_with(".csv")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TraktFile {
    Ratings,
    Watched,
    History,
    Watchlist,
    /// A single JSON file given alone: each row says what it is.
    Guess,
}

/// Which Trakt file `name` is, in the new flat layout or the older nested one.
fn trakt_kind(name: &str) -> Option<TraktFile> {
    let base = name.rsplit('/').next().unwrap_or(name);
    let parent = name.rsplit('/').nth(1).unwrap_or("");
    match (parent, base) {
        (_, "ratings-movies.json") | ("ratings", "movies.json") => Some(TraktFile::Ratings),
        (_, "watched-movies.json") | ("watched", "movies.json") => Some(TraktFile::Watched),
        (_, "lists-watchlist.json") | ("lists", "watchlist.json") => Some(TraktFile::Watchlist),
        (_, b) if b.starts_with("watched-history") && is_json(b) => Some(TraktFile::History),
        ("watched", b) if b.starts_with("history") && is_json(b) => Some(TraktFile::History),
        _ => None,
    }
}

/// Reads one CSV file of Letterboxd (any of its files, or its import format) or IMDb.
fn read_csv(name: &str, text: &str, out: &mut ReadExport) {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let Ok(header) = reader.headers().cloned() else {
        out.malformed
            .push((name.to_owned(), 1, "no header line".into()));
        return;
    };
    let column = |wanted: &[&str]| {
        header
            .iter()
            .position(|h| wanted.iter().any(|w| h.trim().eq_ignore_ascii_case(w)))
    };
    let cols = Columns {
        title: column(&["Name", "Title"]),
        year: column(&["Year"]),
        date: column(&["Date", "Date Rated", "WatchedDate", "Watched Date"]),
        stars: column(&["Rating"]),
        ten: column(&["Your Rating", "Rating10"]),
        review: column(&["Review"]),
        imdb: column(&["Const", "imdbID"]),
        tmdb: column(&["tmdbID"]),
        kind: column(&["Title Type"]),
    };
    let base = name.rsplit('/').next().unwrap_or(name);
    for record in reader.records() {
        let line = record
            .as_ref()
            .ok()
            .and_then(|r| r.position())
            .map_or(0, |p| usize::try_from(p.line()).unwrap_or(usize::MAX));
        match record {
            Ok(r) => match cols.row(&r, base) {
                Ok(Some(said_row)) => out.rows.push(HistoryRow {
                    file: name.to_owned(),
                    line,
                    ..said_row
                }),
                Ok(None) => out.not_films += 1,
                Err(why) => out.malformed.push((name.to_owned(), line, why)),
            },
            Err(e) => {
                let line = e
                    .position()
                    .map_or(0, |p| usize::try_from(p.line()).unwrap_or(usize::MAX));
                out.malformed.push((name.to_owned(), line, e.to_string()));
            }
        }
    }
}

/// Where each field is in a CSV's rows.
#[derive(Debug)]
struct Columns {
    title: Option<usize>,
    year: Option<usize>,
    date: Option<usize>,
    stars: Option<usize>,
    ten: Option<usize>,
    review: Option<usize>,
    imdb: Option<usize>,
    tmdb: Option<usize>,
    kind: Option<usize>,
}

impl Columns {
    /// One row: `Ok(None)` for something else than a film (a series on IMDb).
    fn row(&self, r: &csv::StringRecord, file: &str) -> Result<Option<HistoryRow>, String> {
        let get = |c: Option<usize>| {
            c.and_then(|c| r.get(c))
                .map(str::trim)
                .filter(|v| !v.is_empty())
        };
        if let Some(kind) = get(self.kind) {
            let kind = kind.to_ascii_lowercase();
            if kind != "movie" && kind != "tvmovie" && kind != "tv movie" && kind != "video" {
                return Ok(None);
            }
        }
        let title = get(self.title).ok_or("no title")?.to_owned();
        let year = match get(self.year) {
            None => None,
            Some(y) => Some(
                y.parse::<i32>()
                    .ok()
                    .filter(|y| (1870..=2100).contains(y))
                    .ok_or_else(|| format!("{y:?} is not a year"))?,
            ),
        };
        let stars = match (get(self.stars), get(self.ten)) {
            (Some(s), _) => Some(
                s.parse::<f64>()
                    .ok()
                    .and_then(stars_of_five)
                    .ok_or_else(|| format!("{s:?} is not a rating from 0.5 to 5"))?,
            ),
            (None, Some(t)) => Some(
                t.parse::<f64>()
                    .ok()
                    .and_then(stars_of_ten)
                    .ok_or_else(|| format!("{t:?} is not a rating from 1 to 10"))?,
            ),
            (None, None) => None,
        };
        let said = match (get(self.review), stars, file) {
            (Some(text), stars, _) => Said::Reviewed {
                text: text.to_owned(),
                stars,
            },
            (None, _, "watchlist.csv") => Said::Watchlist,
            (None, Some(s), f) if f != "diary.csv" => Said::Rated(s),
            _ => Said::Watched,
        };
        let imdb = get(self.imdb)
            .filter(|v| v.starts_with("tt") || v.bytes().all(|b| b.is_ascii_digit()))
            .map(str::to_owned);
        let tmdb = get(self.tmdb).and_then(|v| v.parse().ok());
        Ok(Some(HistoryRow {
            file: String::new(),
            line: 0,
            title,
            year,
            imdb,
            tmdb,
            said,
            at_ms: get(self.date).and_then(date_ms),
        }))
    }
}

/// Reads one Trakt JSON file (an array of rows).
fn read_trakt(name: &str, text: &str, kind: TraktFile, out: &mut ReadExport) {
    let rows: Vec<serde_json::Value> = match serde_json::from_str(text) {
        Ok(serde_json::Value::Array(rows)) => rows,
        Ok(_) => {
            out.malformed
                .push((name.to_owned(), 1, "not a list of rows".into()));
            return;
        }
        Err(e) => {
            out.malformed
                .push((name.to_owned(), e.line(), e.to_string()));
            return;
        }
    };
    for (i, row) in rows.iter().enumerate() {
        let entry = i + 1;
        let movie = &row["movie"];
        if !movie.is_object() {
            // Shows, seasons and episodes are not films.
            out.not_films += 1;
            continue;
        }
        let Some(title) = movie["title"]
            .as_str()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        else {
            out.malformed
                .push((name.to_owned(), entry, "no title".into()));
            continue;
        };
        let said = match (kind, row["rating"].as_f64()) {
            (TraktFile::Ratings | TraktFile::Guess, Some(r)) => {
                let Some(stars) = stars_of_ten(r) else {
                    out.malformed.push((
                        name.to_owned(),
                        entry,
                        format!("{r} is not a rating from 1 to 10"),
                    ));
                    continue;
                };
                Said::Rated(stars)
            }
            (TraktFile::Watchlist, _) => Said::Watchlist,
            (TraktFile::Guess, None) if row.get("listed_at").is_some() => Said::Watchlist,
            _ => Said::Watched,
        };
        let at = ["rated_at", "watched_at", "last_watched_at", "listed_at"]
            .iter()
            .find_map(|k| row[*k].as_str())
            .and_then(date_ms);
        out.rows.push(HistoryRow {
            file: name.to_owned(),
            line: entry,
            title: title.to_owned(),
            year: movie["year"].as_i64().and_then(|y| i32::try_from(y).ok()),
            imdb: movie["ids"]["imdb"].as_str().map(str::to_owned),
            tmdb: movie["ids"]["tmdb"].as_i64(),
            said,
            at_ms: at,
        });
    }
}

/// `YYYY-MM-DD`, or an RFC 3339 time (its date and time of day, UTC), in milliseconds.
fn date_ms(text: &str) -> Option<i64> {
    let text = text.trim();
    let date = text.get(..10)?;
    let mut parts = date.split('-');
    let (y, m, d) = (
        parts.next()?.parse::<i64>().ok()?,
        parts.next()?.parse::<i64>().ok()?,
        parts.next()?.parse::<i64>().ok()?,
    );
    if !(1870..=2100).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let mut ms = days_from_civil(y, m, d) * 86_400_000;
    if let Some(time) = text.get(11..19) {
        let mut hms = time.split(':').map(|p| p.parse::<i64>().ok());
        if let (Some(Some(h)), Some(Some(mi)), Some(Some(s))) = (hms.next(), hms.next(), hms.next())
        {
            ms += ((h * 60 + mi) * 60 + s) * 1000;
        }
    }
    Some(ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    /// A ZIP of `(name, content)` files, deflated.
    pub(crate) fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        let mut zip = zip::ZipWriter::new(&mut out);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in files {
            zip.start_file(*name, options).expect("an entry");
            zip.write_all(data).expect("its data");
        }
        zip.finish().expect("the ZIP");
        out.into_inner()
    }

    #[test]
    fn a_letterboxd_zip_gives_ratings_reviews_watched_and_the_watchlist_from_its_root_only() {
        let ratings = "\u{feff}Date,Name,Year,Letterboxd URI,Rating\n\
            2024-01-02,The Godfather,1972,https://boxd.it/1,5\n\
            2024-01-03,Dune,2021,https://boxd.it/2,3.5\n\
            2024-01-04,Broken,1999,https://boxd.it/3,4.2\n";
        let reviews = "Date,Name,Year,Letterboxd URI,Rating,Rewatch,Review,Tags,Watched Date\n\
            2024-02-01,Heat,1995,https://boxd.it/r1,4.5,,\"Loved it.\nEvery \"\"minute\"\".\",,2024-01-31\n";
        let watched = "Date,Name,Year,Letterboxd URI\n2023-05-05,Nosferatu,,https://boxd.it/4\n";
        let watchlist = "Date,Name,Year,Letterboxd URI\n2023-06-06,Alien,1979,https://boxd.it/5\n";
        let profile = "Date Joined,Username,Given Name,Family Name,Email Address\n2020-01-01,kim,Kim,K,kim@example.com\n";
        let deleted = "Date,Name,Year,Letterboxd URI,Rating\n2020-01-01,Deleted Film,2000,https://boxd.it/9,1\n";
        let zip = zip_of(&[
            ("ratings.csv", ratings.as_bytes()),
            ("reviews.csv", reviews.as_bytes()),
            ("watched.csv", watched.as_bytes()),
            ("watchlist.csv", watchlist.as_bytes()),
            ("profile.csv", profile.as_bytes()),
            ("deleted/ratings.csv", deleted.as_bytes()),
            ("orphaned/reviews.csv", reviews.as_bytes()),
        ]);
        let read = read_export("letterboxd.zip", &zip).expect("an export");
        assert_eq!(read.source, Some(HistorySource::Letterboxd));
        let titles: Vec<(&str, &Said)> = read
            .rows
            .iter()
            .map(|r| (r.title.as_str(), &r.said))
            .collect();
        assert_eq!(
            titles,
            [
                ("The Godfather", &Said::Rated(5.0)),
                ("Dune", &Said::Rated(3.5)),
                (
                    "Heat",
                    &Said::Reviewed {
                        text: "Loved it.\nEvery \"minute\".".into(),
                        stars: Some(4.5)
                    }
                ),
                ("Nosferatu", &Said::Watched),
                ("Alien", &Said::Watchlist),
            ]
        );
        assert_eq!(read.rows[0].year, Some(1972));
        assert_eq!(read.rows[0].line, 2);
        assert_eq!(read.rows[3].year, None, "an empty year");
        assert_eq!(
            read.rows[0].at_ms,
            Some(days_from_civil(2024, 1, 2) * 86_400_000)
        );
        assert_eq!(
            read.malformed,
            [(
                "ratings.csv".to_owned(),
                4,
                "\"4.2\" is not a rating from 0.5 to 5".to_owned()
            )]
        );
        assert!(
            read.rows
                .iter()
                .all(|r| !r.title.contains("Deleted") && !r.title.contains('@'))
        );
    }

    #[test]
    fn both_imdb_layouts_read_by_header_name_films_only_in_windows_1252() {
        let current = "Const,Your Rating,Date Rated,Title,Original Title,URL,Title Type,IMDb Rating,Runtime (mins),Year,Genres,Num Votes,Release Date,Directors\n\
            tt0068646,10,2024-03-01,The Godfather,The Godfather,https://www.imdb.com/title/tt0068646/,Movie,9.2,175,1972,\"Crime, Drama\",2000000,1972-03-24,Francis Ford Coppola\n\
            tt0903747,9,2024-03-02,Breaking Bad,Breaking Bad,https://www.imdb.com/title/tt0903747/,TV Series,9.5,49,2008,Drama,2000000,2008-01-20,\n\
            tt0000001,7,2024-03-03,=HYPERLINK(\"http://x\"),,,Movie,,,1999,,,,\n";
        let read = read_export("ratings.csv", current.as_bytes()).expect("IMDb");
        assert_eq!(read.source, Some(HistorySource::Imdb));
        assert_eq!(read.not_films, 1, "the series is left out");
        assert_eq!(read.rows.len(), 2);
        assert_eq!(read.rows[0].imdb.as_deref(), Some("tt0068646"));
        assert_eq!(read.rows[0].said, Said::Rated(5.0));
        assert_eq!(
            read.rows[1].title, "=HYPERLINK(\"http://x\")",
            "kept as text, never run"
        );
        assert_eq!(read.rows[1].said, Said::Rated(3.5));
        // The older layout: 13 columns, no Original Title, lower-case types, Windows-1252.
        let mut older = b"Const,Your Rating,Date Rated,Title,URL,Title Type,IMDb Rating,Runtime (mins),Year,Genres,Num Votes,Release Date,Directors\n".to_vec();
        older.extend_from_slice(b"tt0211915,8,2023-01-01,Am\xe9lie \x96 le film,https://x,movie,8.3,122,2001,Comedy,700000,2001-04-25,Jean-Pierre Jeunet\n");
        older.extend_from_slice(
            b"tt0000002,8,2023-01-01,Some Episode,https://x,tvEpisode,8,,2001,,,,\n",
        );
        let read = read_export("ratings.csv", &older).expect("older IMDb");
        assert_eq!(read.rows.len(), 1);
        assert_eq!(read.rows[0].title, "Amélie – le film");
        assert_eq!(read.rows[0].said, Said::Rated(4.0));
        assert_eq!(read.not_films, 1);
    }

    #[test]
    fn trakt_exports_flat_or_nested_give_ids() {
        let ratings = r#"[{"rated_at":"2024-05-01T10:00:00.000Z","rating":8,"type":"movie","movie":{"title":"Heat","year":1995,"ids":{"trakt":1,"imdb":"tt0113277","tmdb":949}}},
            {"rated_at":"2024-05-01T10:00:00.000Z","rating":7,"type":"show","show":{"title":"Lost"}}]"#;
        let watched = r#"[{"last_watched_at":"2024-05-02T00:00:00.000Z","plays":2,"movie":{"title":"Alien","year":1979,"ids":{"imdb":"tt0078748","tmdb":348}}}]"#;
        let watchlist = r#"[{"listed_at":"2024-05-03T00:00:00.000Z","type":"movie","movie":{"title":"Dune","year":2021,"ids":{"tmdb":438631}}}]"#;
        for layout in [
            [
                "ratings-movies.json",
                "watched-movies.json",
                "lists-watchlist.json",
            ],
            [
                "kim/ratings/movies.json",
                "kim/watched/movies.json",
                "kim/lists/watchlist.json",
            ],
        ] {
            let zip = zip_of(&[
                (layout[0], ratings.as_bytes()),
                (layout[1], watched.as_bytes()),
                (layout[2], watchlist.as_bytes()),
                ("user-profile.json", br#"{"username":"kim"}"#),
            ]);
            let read = read_export("trakt.zip", &zip).expect("Trakt");
            assert_eq!(read.source, Some(HistorySource::Trakt), "{layout:?}");
            let mut said: Vec<(String, Said, Option<i64>)> = read
                .rows
                .iter()
                .map(|r| (r.title.clone(), r.said.clone(), r.tmdb))
                .collect();
            said.sort_by(|a, b| a.0.cmp(&b.0));
            assert_eq!(
                said,
                [
                    ("Alien".to_owned(), Said::Watched, Some(348)),
                    ("Dune".to_owned(), Said::Watchlist, Some(438_631)),
                    ("Heat".to_owned(), Said::Rated(4.0), Some(949)),
                ],
                "{layout:?}"
            );
            assert_eq!(read.not_films, 1);
        }
    }

    #[test]
    fn what_is_not_an_export_is_refused_whole() {
        assert_eq!(read_export("x.csv", b""), Err(ExportError::Empty));
        assert_eq!(
            read_export("x.csv", b"\xef\xbb\xbf  \n"),
            Err(ExportError::Empty)
        );
        assert!(matches!(
            read_export("x.csv", b"id,name,price\n1,Chair,20\n"),
            Err(ExportError::Unknown(_))
        ));
        assert!(matches!(
            read_export("x.zip", b"PK\x03\x04 but not really a zip at all"),
            Err(ExportError::BadZip(_))
        ));
        let big = vec![b'a'; MAX_FILE + 1];
        assert_eq!(read_export("big.csv", &big), Err(ExportError::TooBig(25)));
        // A bomb: 120 MB of zeros deflate to a small file.
        let zeros = vec![0u8; 120 << 20];
        let bomb = zip_of(&[("ratings.csv", &zeros)]);
        assert!(bomb.len() < MAX_FILE);
        assert_eq!(read_export("bomb.zip", &bomb), Err(ExportError::ZipBomb));
        assert!(matches!(
            read_export("other.zip", &zip_of(&[("photos/cat.jpg", b"\xff\xd8")])),
            Err(ExportError::Unknown(_))
        ));
    }
}
