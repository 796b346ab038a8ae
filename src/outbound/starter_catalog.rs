//! The starter catalog compiled into the binary: well-known films written from facts (title,
//! year, genres, directors, lead actors, runtime, countries, keywords, a one-line premise),
//! loaded into an empty database on first start so Marquee works before any import.

use crate::domain::catalog::{Genre, MovieInfo};

const FILES: [(&str, &str); 2] = [
    (
        "catalog/starter-classic.tsv",
        include_str!("../../catalog/starter-classic.tsv"),
    ),
    (
        "catalog/starter-modern.tsv",
        include_str!("../../catalog/starter-modern.tsv"),
    ),
];

const HEADER: &str = "title\tyear\tgenres\tdirectors\tcast\truntime\tcountries\tkeywords\toverview";

/// A row of a starter file that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {problem}")]
pub struct StarterRowError {
    pub file: &'static str,
    pub line: usize,
    pub problem: String,
}

/// Every film of the starter catalog, in file order.
///
/// # Errors
/// The rows that cannot be read (a test keeps this list empty).
pub fn starter_movies() -> Result<Vec<MovieInfo>, Vec<StarterRowError>> {
    let mut movies = Vec::new();
    let mut errors = Vec::new();
    for (file, text) in FILES {
        for (i, line) in text.lines().enumerate() {
            if i == 0 && line == HEADER || line.trim().is_empty() {
                continue;
            }
            match parse_row(line) {
                Ok(m) => movies.push(m),
                Err(problem) => errors.push(StarterRowError {
                    file,
                    line: i + 1,
                    problem,
                }),
            }
        }
    }
    if errors.is_empty() {
        Ok(movies)
    } else {
        Err(errors)
    }
}

fn parse_row(line: &str) -> Result<MovieInfo, String> {
    let cols: Vec<&str> = line.split('\t').collect();
    let [
        title,
        year,
        genres,
        directors,
        cast,
        runtime,
        countries,
        keywords,
        overview,
    ] = cols[..]
    else {
        return Err(format!(
            "expected 9 tab-separated columns, found {}",
            cols.len()
        ));
    };
    let list = |s: &str| -> Vec<String> {
        s.split('|')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let year: i32 = year
        .trim()
        .parse()
        .map_err(|_| format!("year {year:?} is not a number"))?;
    let runtime: i32 = runtime
        .trim()
        .parse()
        .map_err(|_| format!("runtime {runtime:?} is not a number"))?;
    for g in list(genres) {
        g.parse::<Genre>().map_err(|e| e.to_string())?;
    }
    if title.trim().is_empty() {
        return Err("empty title".into());
    }
    Ok(MovieInfo {
        title: title.trim().to_owned(),
        year: Some(year),
        genres: Genre::parse_list(genres, '|'),
        overview: overview.trim().to_owned(),
        keywords: list(keywords),
        directors: list(directors),
        cast: list(cast),
        countries: list(countries),
        runtime_min: Some(runtime),
        ..MovieInfo::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet, HashSet};

    fn movies() -> Vec<MovieInfo> {
        match starter_movies() {
            Ok(m) => m,
            Err(errors) => panic!("starter rows do not parse: {errors:#?}"),
        }
    }

    #[test]
    fn the_starter_catalog_has_at_least_500_films_and_no_duplicates() {
        let all = movies();
        assert!(all.len() >= 500, "only {} films", all.len());
        let mut seen = HashSet::new();
        for m in &all {
            assert!(
                seen.insert((m.title.to_lowercase(), m.year)),
                "duplicate {}",
                m.display_title()
            );
        }
    }

    #[test]
    fn every_decade_since_the_1950s_is_well_covered() {
        let mut per_decade: BTreeMap<i32, usize> = BTreeMap::new();
        for m in movies() {
            *per_decade
                .entry(m.year.expect("starter films have years") / 10 * 10)
                .or_default() += 1;
        }
        for decade in (1950..=2010).step_by(10) {
            let n = per_decade.get(&decade).copied().unwrap_or(0);
            assert!(n >= 40, "{decade}s has only {n} films: {per_decade:?}");
        }
        assert!(
            per_decade.get(&2020).copied().unwrap_or(0) >= 20,
            "{per_decade:?}"
        );
    }

    #[test]
    fn every_genre_and_several_countries_are_represented() {
        let all = movies();
        let genres: BTreeSet<Genre> = all.iter().flat_map(|m| m.genres.iter().copied()).collect();
        for g in Genre::ALL {
            assert!(genres.contains(&g), "no {g} film");
        }
        let countries: BTreeSet<&str> = all
            .iter()
            .flat_map(|m| m.countries.iter().map(String::as_str))
            .collect();
        assert!(countries.len() >= 10, "{countries:?}");
        let non_us = all
            .iter()
            .filter(|m| !m.countries.iter().any(|c| c == "US"))
            .count();
        assert!(non_us >= 50, "only {non_us} films made outside the US");
    }

    #[test]
    fn every_starter_film_has_people_genres_and_keywords() {
        for m in movies() {
            assert!(!m.genres.is_empty(), "{} has no genre", m.display_title());
            assert!(
                !m.directors.is_empty(),
                "{} has no director",
                m.display_title()
            );
            assert!(
                m.keywords.len() >= 2,
                "{} has too few keywords",
                m.display_title()
            );
            assert!(
                m.runtime_min.is_some_and(|r| (40..=300).contains(&r)),
                "{}",
                m.display_title()
            );
        }
    }

    #[test]
    fn a_row_with_missing_columns_is_reported_not_loaded() {
        assert!(
            parse_row("Heat\t1995\tCrime")
                .unwrap_err()
                .contains("9 tab-separated")
        );
        assert!(
            parse_row("Heat\tnineteen\tCrime\ta\tb\t170\tUS\tk\to")
                .unwrap_err()
                .contains("year")
        );
        assert!(
            parse_row("Heat\t1995\tNotAGenre\ta\tb\t170\tUS\tk\to")
                .unwrap_err()
                .contains("genre")
        );
    }
}
