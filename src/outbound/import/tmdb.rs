//! TMDB 5000 importer (`tmdb_5000_movies.csv`): overview, genres, keywords, countries, runtime,
//! release year and votes. JSON-in-CSV columns are parsed; a film is merged with a MovieLens film
//! by TMDB id where `links.csv` gave one, else by normalised title and year.

use super::{
    FileSummary, ImportSummary, Reporter, display_name, for_each_csv_record, millis_since, open_csv,
};
use crate::domain::catalog::{ExternalIds, Genre, MovieInfo};
use crate::domain::ports::CatalogRepo;
use crate::outbound::storage::Store;
use anyhow::Context as _;
use std::collections::HashMap;
use std::path::Path;

/// Columns the importer needs.
const REQUIRED: [&str; 10] = [
    "id",
    "title",
    "genres",
    "keywords",
    "overview",
    "production_countries",
    "release_date",
    "runtime",
    "vote_average",
    "vote_count",
];

/// Keywords kept per film.
const KEYWORDS_PER_FILM: usize = 12;
const BATCH: usize = 1_000;

#[derive(Debug, serde::Deserialize)]
struct Named {
    name: String,
}

#[derive(Debug, serde::Deserialize)]
struct Country {
    iso_3166_1: String,
}

/// Imports the TMDB 5000 movies CSV at `path`.
///
/// # Errors
/// The file cannot be opened, lacks a required column, or storage fails. Malformed rows are
/// reported, skipped and counted.
pub async fn import(
    store: &Store,
    path: &Path,
    reporter: &mut Reporter,
) -> anyhow::Result<ImportSummary> {
    let started = std::time::Instant::now();
    if !path.is_file() {
        anyhow::bail!(
            "cannot open {}: give the path of tmdb_5000_movies.csv from the TMDB 5000 data set",
            path.display()
        );
    }
    let mut csv = open_csv(path, reporter)?;
    let name = display_name(path);
    let headers = csv
        .headers()
        .with_context(|| format!("{name}: cannot read the header line"))?
        .clone();
    let index: HashMap<&str, usize> = headers.iter().enumerate().map(|(i, h)| (h, i)).collect();
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|c| !index.contains_key(c))
        .collect();
    if !missing.is_empty() {
        anyhow::bail!(
            "{name} is not a TMDB 5000 movies file: missing column(s) {}. Expected the header of tmdb_5000_movies.csv ({}).",
            missing.join(", "),
            REQUIRED.join(", ")
        );
    }
    let col = |c: &str| index[c];
    let mut summary = FileSummary {
        file: name,
        ..FileSummary::default()
    };
    // Parsed films are few (TMDB 5000 has 4,803); the file itself is streamed.
    let mut films = Vec::new();
    for_each_csv_record(
        &mut csv,
        path,
        headers.len(),
        reporter,
        &mut summary,
        |fields, _| {
            films.push(parse_row(fields, &col)?);
            Ok(())
        },
    );
    for batch in films.chunks(BATCH) {
        let s = store.upsert_movies(batch).await.context("storing films")?;
        summary.imported += s.inserted;
        summary.updated += s.updated;
        summary.unchanged += s.unchanged;
    }
    summary.millis = millis_since(started);
    Ok(ImportSummary {
        format: "TMDB 5000".into(),
        files: vec![summary],
        errors: Vec::new(),
    })
}

fn parse_row(r: &[&str], col: &impl Fn(&str) -> usize) -> Result<MovieInfo, String> {
    let get = |c: &str| r.get(col(c)).copied().unwrap_or("").trim();
    let id: i64 = get("id")
        .parse()
        .ok()
        .filter(|&v| v > 0)
        .ok_or_else(|| format!("id {:?} is not a number", get("id")))?;
    let title = get("title");
    if title.is_empty() {
        return Err("empty title".into());
    }
    let names = |c: &str| -> Result<Vec<String>, String> {
        let text = get(c);
        if text.is_empty() {
            return Ok(Vec::new());
        }
        serde_json::from_str::<Vec<Named>>(text)
            .map(|v| v.into_iter().map(|n| n.name).collect())
            .map_err(|e| format!("column {c} is not valid JSON ({e})"))
    };
    let genres: Vec<Genre> = names("genres")?
        .iter()
        .filter_map(|g| g.parse::<Genre>().ok())
        .collect();
    let keywords: Vec<String> = names("keywords")?
        .into_iter()
        .map(|k| k.trim().to_lowercase())
        .filter(|k| !k.is_empty() && !k.contains('|'))
        .take(KEYWORDS_PER_FILM)
        .collect();
    let countries_text = get("production_countries");
    let countries: Vec<String> = if countries_text.is_empty() {
        Vec::new()
    } else {
        serde_json::from_str::<Vec<Country>>(countries_text)
            .map_err(|e| format!("column production_countries is not valid JSON ({e})"))?
            .into_iter()
            .map(|c| c.iso_3166_1)
            .collect()
    };
    let year = match get("release_date") {
        "" => None,
        d => Some(
            d.get(..4)
                .and_then(|y| y.parse::<i32>().ok())
                .filter(|y| (1870..=2100).contains(y))
                .ok_or_else(|| format!("release_date {d:?} is not a date"))?,
        ),
    };
    let runtime_min = match get("runtime") {
        "" => None,
        t => {
            let v: f64 = t
                .parse()
                .map_err(|_| format!("runtime {t:?} is not a number"))?;
            (v.is_finite() && v > 0.0 && v < 1_000.0).then(|| v.round() as i32)
        }
    };
    let vote_count = match get("vote_count") {
        "" => 0,
        t => t
            .parse::<i64>()
            .map_err(|_| format!("vote_count {t:?} is not a whole number"))?
            .max(0),
    };
    let vote_average = match get("vote_average") {
        "" => None,
        t => {
            let v: f64 = t
                .parse()
                .map_err(|_| format!("vote_average {t:?} is not a number"))?;
            (v.is_finite() && vote_count > 0).then_some(v.clamp(0.0, 10.0))
        }
    };
    Ok(MovieInfo {
        title: title.to_owned(),
        year,
        genres,
        overview: get("overview").to_owned(),
        keywords,
        countries,
        runtime_min,
        external: ExternalIds {
            tmdb: Some(id),
            ..ExternalIds::default()
        },
        vote_count,
        vote_average,
        ..MovieInfo::default()
    })
}
