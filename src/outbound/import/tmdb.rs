//! TMDB 5000 importer (`tmdb_5000_movies.csv`): overview, genres, keywords, countries, runtime,
//! release year and votes. JSON-in-CSV columns are parsed; a film is merged with a MovieLens film
//! by TMDB id where `links.csv` gave one, else by normalised title and year.

use super::{
    FileSummary, ImportSummary, Reporter, display_name, for_each_csv_record, millis_since, open_csv,
};
use crate::domain::catalog::{ExternalIds, Genre, MovieInfo, VoteSource};
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
        vote_source: (vote_count > 0).then_some(VoteSource::Tmdb),
        ..MovieInfo::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn config() -> ProptestConfig {
        ProptestConfig {
            cases: 256,
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    }

    /// The columns of a row, in [`REQUIRED`]'s order.
    fn col(c: &str) -> usize {
        REQUIRED
            .iter()
            .position(|r| *r == c)
            .expect("a required column")
    }

    fn json_names(names: &[String]) -> String {
        let items: Vec<serde_json::Value> = names
            .iter()
            .enumerate()
            .map(|(i, n)| serde_json::json!({ "id": i, "name": n }))
            .collect();
        serde_json::Value::Array(items).to_string()
    }

    /// A field: anything, or text close to what the column holds.
    fn field() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "[ +-]?[0-9]{0,20}(\\.[0-9]{0,4})?",
            "[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{0,6}-?",
            r#"\[(\{"(id|name|iso_3166_1)": ?("[A-Za-z ]{0,8}"|[0-9]{1,3}|null)\},? ?){0,3}\]?"#,
        ]
    }

    proptest! {
        #![proptest_config(config())]

        /// Any row, of any length, is a film or a refusal, never a panic; a film has a
        /// positive TMDB id, a title and values in range.
        #[test]
        fn any_row_is_read_or_refused(fields in proptest::collection::vec(field(), 0..12)) {
            let row: Vec<&str> = fields.iter().map(String::as_str).collect();
            if let Ok(m) = parse_row(&row, &col) {
                prop_assert!(m.external.tmdb.is_some_and(|id| id > 0));
                prop_assert!(!m.title.is_empty());
                prop_assert!(m.year.is_none_or(|y| (1870..=2100).contains(&y)));
                prop_assert!(m.runtime_min.is_none_or(|r| (0..=1_000).contains(&r)));
                prop_assert!(m.vote_count >= 0);
                prop_assert!(m.vote_average.is_none_or(|v| (0.0..=10.0).contains(&v)));
                prop_assert!(m.keywords.len() <= KEYWORDS_PER_FILM);
            }
        }

        /// A row built from values reads back as those values.
        #[test]
        fn a_well_formed_row_reads_back(
            id in 1_i64..=i64::MAX,
            title in "[A-Za-z0-9][A-Za-z0-9 ,:'-]{0,40}[A-Za-z0-9]",
            genres in proptest::sample::subsequence(Genre::ALL.to_vec(), 0..4),
            keywords in proptest::collection::vec("[a-z][a-z ]{0,14}[a-z]", 0..5),
            overview in "[A-Za-z0-9 ,.'\"]{0,80}",
            countries in proptest::collection::vec("[A-Z]{2}", 0..3),
            date in (1870_i32..=2100, 1_u32..=12, 1_u32..=28),
            runtime in 1_i32..=999,
            vote_count in 1_i64..=1_000_000,
            vote_tenths in 0_u32..=100,
        ) {
            let (year, month, day) = date;
            let vote_average = f64::from(vote_tenths) / 10.0;
            let genre_names: Vec<String> = genres.iter().map(|g| g.name().to_owned()).collect();
            let country_json: Vec<serde_json::Value> = countries
                .iter()
                .map(|c| serde_json::json!({ "iso_3166_1": c, "name": c }))
                .collect();
            let fields: Vec<String> = vec![
                id.to_string(),
                title.clone(),
                json_names(&genre_names),
                json_names(&keywords),
                overview.clone(),
                serde_json::Value::Array(country_json).to_string(),
                format!("{year:04}-{month:02}-{day:02}"),
                format!("{runtime}.0"),
                format!("{vote_average:.1}"),
                vote_count.to_string(),
            ];
            let row: Vec<&str> = fields.iter().map(String::as_str).collect();
            let m = parse_row(&row, &col).map_err(TestCaseError::fail)?;
            prop_assert_eq!(m.external.tmdb, Some(id));
            prop_assert_eq!(&m.title, &title);
            prop_assert_eq!(&m.genres, &genres);
            prop_assert_eq!(&m.keywords, &keywords);
            prop_assert_eq!(&m.overview, overview.trim());
            prop_assert_eq!(&m.countries, &countries);
            prop_assert_eq!(m.year, Some(year));
            prop_assert_eq!(m.runtime_min, Some(runtime));
            prop_assert_eq!(m.vote_count, vote_count);
            prop_assert_eq!(m.vote_average, Some(vote_average));
        }
    }
}
