//! The starter catalog compiled into the binary: well-known films written from facts (title,
//! year, genres, directors, lead actors, runtime, countries, keywords, a one-line premise),
//! loaded into an empty database on first start so Marquee works before any import.
//!
//! With it comes its prior (`catalog/starter-prior.tsv`, written by
//! `scripts/starter_prior.py`): for most films, how many people rated them and how well in
//! public data (MovieLens latest-small, or TMDB 5000 votes), so the first picks of a new server
//! are well-known, well-liked films and their reasons can say so truthfully.

use crate::domain::catalog::{FilmVotes, Genre, MovieInfo, VoteSource, Votes};
use std::collections::HashMap;

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

const PRIOR_FILE: &str = "catalog/starter-prior.tsv";
const PRIOR: &str = include_str!("../../catalog/starter-prior.tsv");
const PRIOR_HEADER: &str = "title\tyear\tcount\tmean\tsource";

/// A row of a starter file that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {problem}")]
pub struct StarterRowError {
    pub file: &'static str,
    pub line: usize,
    pub problem: String,
}

/// Every film of the starter catalog, in file order, with its votes from the prior where it
/// has some.
///
/// # Errors
/// The rows that cannot be read (a test keeps this list empty).
pub fn starter_movies() -> Result<Vec<MovieInfo>, Vec<StarterRowError>> {
    let mut movies = starter_films()?;
    let prior: HashMap<(String, i32), Votes> = starter_prior()?
        .into_iter()
        .map(|f| ((f.title, f.year), f.votes))
        .collect();
    for m in &mut movies {
        if let Some(v) = m.year.and_then(|y| prior.get(&(m.title.clone(), y))) {
            m.vote_count = v.count;
            m.vote_average = Some(v.average);
            m.vote_source = Some(v.source);
        }
    }
    Ok(movies)
}

/// The starter prior: votes for the starter films found in public data (MovieLens means are
/// turned to the 0–10 scale), in file order.
///
/// # Errors
/// The rows that cannot be read (a test keeps this list empty).
pub fn starter_prior() -> Result<Vec<FilmVotes>, Vec<StarterRowError>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in PRIOR.lines().enumerate() {
        if line.starts_with('#') || line == PRIOR_HEADER || line.trim().is_empty() {
            continue;
        }
        match parse_prior_row(line) {
            Ok(v) => out.push(v),
            Err(problem) => errors.push(StarterRowError {
                file: PRIOR_FILE,
                line: i + 1,
                problem,
            }),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn parse_prior_row(line: &str) -> Result<FilmVotes, String> {
    let cols: Vec<&str> = line.split('\t').collect();
    let [title, year, count, mean, source] = cols[..] else {
        return Err(format!(
            "expected 5 tab-separated columns, found {}",
            cols.len()
        ));
    };
    let year: i32 = year
        .parse()
        .map_err(|_| format!("year {year:?} is not a number"))?;
    let count: i64 = count
        .parse()
        .ok()
        .filter(|c| *c > 0)
        .ok_or_else(|| format!("count {count:?} is not a positive number"))?;
    let mean: f64 = mean
        .parse()
        .map_err(|_| format!("mean {mean:?} is not a number"))?;
    let (source, average) = match source {
        "movielens" if (0.5..=5.0).contains(&mean) => (VoteSource::MovieLens, mean * 2.0),
        "tmdb" if (0.0..=10.0).contains(&mean) => (VoteSource::Tmdb, mean),
        "movielens" | "tmdb" => return Err(format!("mean {mean} is outside the {source} scale")),
        other => return Err(format!("unknown source {other:?}")),
    };
    if title.trim().is_empty() {
        return Err("empty title".into());
    }
    Ok(FilmVotes {
        title: title.trim().to_owned(),
        year,
        votes: Votes {
            count,
            average,
            source,
        },
    })
}

/// The starter films as written, without votes.
fn starter_films() -> Result<Vec<MovieInfo>, Vec<StarterRowError>> {
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
    fn the_prior_reads_and_names_only_starter_films_with_their_source() {
        let prior = match starter_prior() {
            Ok(p) => p,
            Err(errors) => panic!("prior rows do not parse: {errors:#?}"),
        };
        let films: HashSet<(String, Option<i32>)> =
            movies().into_iter().map(|m| (m.title, m.year)).collect();
        for f in &prior {
            assert!(
                films.contains(&(f.title.clone(), Some(f.year))),
                "{} ({}) is not a starter film",
                f.title,
                f.year
            );
        }
        // Most starter films have a prior, each source is used, and the header names them.
        assert!(prior.len() * 10 >= films.len() * 8, "{}", prior.len());
        for source in VoteSource::ALL {
            assert!(prior.iter().any(|f| f.votes.source == source), "{source:?}");
        }
        assert!(PRIOR.contains("MovieLens latest-small") && PRIOR.contains("TMDB 5000"));
        // Loaded with the films: Star Wars (1977) carries its MovieLens votes.
        let star_wars = movies()
            .into_iter()
            .find(|m| m.title == "Star Wars" && m.year == Some(1977))
            .expect("a starter film");
        assert!(star_wars.vote_count > 100, "{star_wars:?}");
        assert_eq!(star_wars.vote_source, Some(VoteSource::MovieLens));
        assert!(
            star_wars
                .vote_average
                .is_some_and(|a| (7.0..=10.0).contains(&a))
        );
    }

    #[test]
    fn a_bad_prior_row_is_reported() {
        for (row, problem) in [
            ("Heat\t1995\t12", "5 tab"),
            ("Heat\t1995\t0\t4.1\tmovielens", "count"),
            ("Heat\t1995\t12\t7.5\tmovielens", "scale"),
            ("Heat\t1995\t12\t7.5\timdb", "source"),
        ] {
            let got = parse_prior_row(row).unwrap_err();
            assert!(got.contains(problem), "{row:?}: {got}");
        }
        let ok = parse_prior_row("Heat\t1995\t12\t4.10\tmovielens").expect("reads");
        assert!((ok.votes.average - 8.2).abs() < 1e-9);
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
