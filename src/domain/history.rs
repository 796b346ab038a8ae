//! A person's film history brought from elsewhere (a Letterboxd, IMDb or Trakt export): the rows
//! such an export holds, read by the importers, and how each row is matched to a catalog film.
//!
//! Matching never guesses between two films: exact ids first (IMDb `tt` ids, TMDB ids), then the
//! normalised title (articles, accents, punctuation and `Title, The` folded; alternative titles
//! too) with the exact year, then a year one off only when a single film fits. A row whose title
//! fits several films is [`Match::Ambiguous`] with the candidates, for the person to choose; a
//! film the catalog does not have is [`Match::NotInCatalog`].

use std::collections::HashMap;

use crate::domain::catalog::Movie;
use crate::domain::catalog::search::{MatchKind, TitleIndex, normalize_title, split_title};
use crate::domain::ids::MovieId;

/// Where a history comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum HistorySource {
    Letterboxd,
    Imdb,
    Trakt,
}

impl HistorySource {
    /// The name stored as the events' source and shown to people.
    pub const fn name(self) -> &'static str {
        match self {
            HistorySource::Letterboxd => "letterboxd",
            HistorySource::Imdb => "imdb",
            HistorySource::Trakt => "trakt",
        }
    }

    /// The name with its article: "a Letterboxd", "an IMDb", "a Trakt".
    pub const fn with_article(self) -> &'static str {
        match self {
            HistorySource::Letterboxd => "a Letterboxd",
            HistorySource::Imdb => "an IMDb",
            HistorySource::Trakt => "a Trakt",
        }
    }

    /// The name as people write it.
    pub const fn display(self) -> &'static str {
        match self {
            HistorySource::Letterboxd => "Letterboxd",
            HistorySource::Imdb => "IMDb",
            HistorySource::Trakt => "Trakt",
        }
    }
}

/// What a row says about the film.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Said {
    /// Rated, in stars (0.5–5 on the half-star grid; 1–10 scales are halved).
    Rated(f64),
    /// Watched, without a rating.
    Watched,
    /// On the watchlist: wanted, not seen.
    Watchlist,
    /// A written review, with the rating given with it, if any.
    Reviewed { text: String, stars: Option<f64> },
}

/// One row of an export, as read.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HistoryRow {
    /// The file inside the export and the row's line number in it (1 = the header).
    pub file: String,
    pub line: usize,
    pub title: String,
    pub year: Option<i32>,
    /// IMDb id with its `tt` prefix.
    pub imdb: Option<String>,
    pub tmdb: Option<i64>,
    pub said: Said,
    /// When it was rated, watched or added (milliseconds since the epoch), if the export says.
    pub at_ms: Option<i64>,
}

/// Ten-point scores (IMDb, Trakt) as stars: 1 → 0.5★ … 10 → 5★; `None` outside 1–10.
pub fn stars_of_ten(score: f64) -> Option<f64> {
    (score.is_finite() && (1.0..=10.0).contains(&score)).then(|| (score.round() / 2.0).max(0.5))
}

/// Stars as given (Letterboxd): on the half-star grid 0.5–5, or `None`.
pub fn stars_of_five(stars: f64) -> Option<f64> {
    let snapped = (stars * 2.0).round() / 2.0;
    (stars.is_finite() && (0.5..=5.0).contains(&snapped) && (stars - snapped).abs() < 1e-6)
        .then_some(snapped)
}

/// How a row was matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum How {
    /// By the IMDb or TMDB id.
    Id,
    /// By the title and the same year.
    TitleAndYear,
    /// By the title, one year off, the only film that fits.
    TitleNearYear,
    /// By the title alone (the row has no year), the only film with it.
    TitleOnly,
    /// By a title a typo away, the only such film of the same year.
    NearTitle,
}

/// What a row matched.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Match {
    Found(MovieId, How),
    /// Several films fit equally well: the person chooses (best known first).
    Ambiguous(Vec<MovieId>),
    NotInCatalog,
}

/// The most candidates an ambiguous row offers (a Discord select menu holds 25).
pub const MAX_CHOICES: usize = 25;

#[derive(Debug, Clone)]
struct Known {
    id: MovieId,
    year: Option<i32>,
    imdb: Option<String>,
    tmdb: Option<i64>,
    votes: i64,
}

/// Matches export rows to the catalog (see the module docs).
#[derive(Debug, Clone)]
pub struct HistoryMatcher<'i> {
    imdb_ids: HashMap<String, MovieId>,
    tmdb_ids: HashMap<i64, MovieId>,
    /// Normalised title (main and alternatives) → the films with it.
    titles: HashMap<String, Vec<Known>>,
    /// The catalog's title search, for a title a typo away.
    index: &'i TitleIndex,
}

impl<'i> HistoryMatcher<'i> {
    /// A matcher over `movies`, with their title search `index` (built from the same films).
    pub fn new(movies: &[Movie], index: &'i TitleIndex) -> Self {
        let mut m = HistoryMatcher {
            imdb_ids: HashMap::new(),
            tmdb_ids: HashMap::new(),
            titles: HashMap::new(),
            index,
        };
        for movie in movies {
            let ids = &movie.info.external;
            let imdb = ids.imdb.as_deref().and_then(imdb_key);
            if let Some(key) = &imdb {
                m.imdb_ids.entry(key.clone()).or_insert(movie.id);
            }
            if let Some(tmdb) = ids.tmdb {
                m.tmdb_ids.entry(tmdb).or_insert(movie.id);
            }
            let parts = split_title(&movie.info.title);
            let mut keys: Vec<String> = std::iter::once(parts.main)
                .chain(parts.alternatives)
                .chain(std::iter::once(movie.info.title.clone()))
                .map(|t| normalize_title(&t))
                .filter(|k| !k.is_empty())
                .collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                m.titles.entry(key).or_default().push(Known {
                    id: movie.id,
                    year: movie.info.year,
                    imdb: imdb.clone(),
                    tmdb: ids.tmdb,
                    votes: movie.info.vote_count,
                });
            }
        }
        m
    }

    /// Matches one row.
    pub fn find(&self, row: &HistoryRow) -> Match {
        let imdb = row.imdb.as_deref().and_then(imdb_key);
        if let Some(id) = imdb.as_ref().and_then(|k| self.imdb_ids.get(k)) {
            return Match::Found(*id, How::Id);
        }
        if let Some(id) = row.tmdb.and_then(|t| self.tmdb_ids.get(&t)) {
            return Match::Found(*id, How::Id);
        }
        let key = normalize_title(&row.title);
        let Some(films) = self.titles.get(&key).filter(|_| !key.is_empty()) else {
            return self.near_title(row);
        };
        // A film whose own id differs from the row's is another film of the same name.
        let fits: Vec<&Known> = films
            .iter()
            .filter(|k| {
                !matches!((&imdb, &k.imdb), (Some(a), Some(b)) if a != b)
                    && !matches!((row.tmdb, k.tmdb), (Some(a), Some(b)) if a != b)
            })
            .collect();
        let pick = |found: Vec<&Known>, how: How| match found.as_slice() {
            [] => None,
            [one] => Some(Match::Found(one.id, how)),
            several => {
                let mut several = several.to_vec();
                several.sort_by_key(|k| (std::cmp::Reverse(k.votes), k.id));
                let mut ids: Vec<MovieId> = several.iter().map(|k| k.id).collect();
                ids.dedup();
                if ids.len() == 1 {
                    return Some(Match::Found(ids[0], how));
                }
                ids.truncate(MAX_CHOICES);
                Some(Match::Ambiguous(ids))
            }
        };
        let Some(year) = row.year else {
            return pick(fits, How::TitleOnly).unwrap_or(Match::NotInCatalog);
        };
        let exact = fits
            .iter()
            .copied()
            .filter(|k| k.year == Some(year))
            .collect();
        if let Some(found) = pick(exact, How::TitleAndYear) {
            return found;
        }
        let near: Vec<&Known> = fits
            .iter()
            .copied()
            .filter(|k| k.year.is_some_and(|y| (y - year).abs() == 1))
            .collect();
        if let Some(found) = pick(near, How::TitleNearYear) {
            return found;
        }
        // The title is known only in other years, or the catalog has no year for it.
        let unknown_year: Vec<&Known> = fits.iter().copied().filter(|k| k.year.is_none()).collect();
        pick(unknown_year, How::TitleOnly).unwrap_or(Match::NotInCatalog)
    }

    /// A title no film has: the one film of the row's year whose title is a typo away (the
    /// title search's fuzzy match), if there is exactly one. Without a year, nothing.
    fn near_title(&self, row: &HistoryRow) -> Match {
        let Some(year) = row.year else {
            return Match::NotInCatalog;
        };
        let mut same_year: Vec<MovieId> = self
            .index
            .search(&row.title, 10)
            .into_iter()
            .filter(|h| h.kind == MatchKind::Fuzzy && h.year == Some(year))
            .map(|h| h.id)
            .collect();
        same_year.dedup();
        match same_year.as_slice() {
            [one] => Match::Found(*one, How::NearTitle),
            _ => Match::NotInCatalog,
        }
    }
}

/// An IMDb id as the number after `tt` (`tt0068646` and `0068646` both give `68646`), so
/// ids written with and without the prefix or leading zeros meet.
fn imdb_key(id: &str) -> Option<String> {
    let digits = id.trim().trim_start_matches("tt");
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.trim_start_matches('0').to_owned())
        .filter(|d| !d.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::{ExternalIds, MovieInfo};

    fn film(id: i64, title: &str, year: Option<i32>, imdb: Option<&str>, votes: i64) -> Movie {
        Movie {
            id: MovieId(id),
            info: MovieInfo {
                title: title.to_owned(),
                year,
                vote_count: votes,
                external: ExternalIds {
                    imdb: imdb.map(str::to_owned),
                    tmdb: Some(1000 + id),
                    movielens: None,
                },
                ..MovieInfo::default()
            },
        }
    }

    fn row(title: &str, year: Option<i32>) -> HistoryRow {
        HistoryRow {
            file: "ratings.csv".into(),
            line: 2,
            title: title.to_owned(),
            year,
            imdb: None,
            tmdb: None,
            said: Said::Rated(4.0),
            at_ms: None,
        }
    }

    fn catalog() -> Vec<Movie> {
        vec![
            film(1, "Godfather, The", Some(1972), Some("tt0068646"), 900),
            film(2, "Dune", Some(1984), Some("tt0087182"), 300),
            film(3, "Dune", Some(2021), Some("tt1160419"), 800),
            film(
                4,
                "City of Lost Children, The (Cité des enfants perdus, La)",
                Some(1995),
                None,
                50,
            ),
            film(5, "The Witch", Some(2015), None, 40),
            film(6, "The Witch", Some(2015), None, 10),
            film(7, "Amélie", Some(2001), None, 500),
            film(8, "Jesus", Some(2019), None, 5),
            film(9, "Blade Runner", Some(1982), None, 700),
            film(10, "Blade Runner 2049", Some(2017), None, 600),
        ]
    }

    #[test]
    fn ids_win_then_title_and_year_then_a_unique_near_year() {
        let films = catalog();
        let index = TitleIndex::from_movies(&films);
        let m = HistoryMatcher::new(&films, &index);
        let mut by_id = row("Something else entirely", Some(1999));
        by_id.imdb = Some("tt0087182".into());
        assert_eq!(m.find(&by_id), Match::Found(MovieId(2), How::Id));
        // MovieLens writes IMDb ids as 7 digits without `tt`.
        by_id.imdb = Some("0087182".into());
        assert_eq!(m.find(&by_id), Match::Found(MovieId(2), How::Id));
        let mut tmdb_ids = row("?", None);
        tmdb_ids.tmdb = Some(1003);
        assert_eq!(m.find(&tmdb_ids), Match::Found(MovieId(3), How::Id));
        assert_eq!(
            m.find(&row("The Godfather", Some(1972))),
            Match::Found(MovieId(1), How::TitleAndYear)
        );
        assert_eq!(
            m.find(&row("Dune", Some(2021))),
            Match::Found(MovieId(3), How::TitleAndYear)
        );
        assert_eq!(
            m.find(&row("Jesus", Some(2018))),
            Match::Found(MovieId(8), How::TitleNearYear),
            "one year off, the only film that fits"
        );
        assert_eq!(
            m.find(&row("The City of Lost Children", Some(1995))),
            Match::Found(MovieId(4), How::TitleAndYear)
        );
        assert_eq!(
            m.find(&row("La Cité des enfants perdus", Some(1995))),
            Match::Found(MovieId(4), How::TitleAndYear),
            "an alternative title"
        );
        assert_eq!(
            m.find(&row("amelie", Some(2001))),
            Match::Found(MovieId(7), How::TitleAndYear),
            "accents"
        );
    }

    #[test]
    fn never_a_guess_between_two_films() {
        let films = catalog();
        let index = TitleIndex::from_movies(&films);
        let m = HistoryMatcher::new(&films, &index);
        assert_eq!(
            m.find(&row("Dune", None)),
            Match::Ambiguous(vec![MovieId(3), MovieId(2)]),
            "no year: both, the better known first"
        );
        assert_eq!(
            m.find(&row("The Witch", Some(2015))),
            Match::Ambiguous(vec![MovieId(5), MovieId(6)]),
            "same title, same year"
        );
        assert_eq!(m.find(&row("Dune", Some(1990))), Match::NotInCatalog);
        assert_eq!(m.find(&row("Heat", Some(1995))), Match::NotInCatalog);
        assert_eq!(m.find(&row("", None)), Match::NotInCatalog);
        // A row whose id names another film is not matched to this one by its title.
        let mut remake = row("Dune", Some(2021));
        remake.imdb = Some("tt9999999".into());
        assert_eq!(m.find(&remake), Match::NotInCatalog);
    }

    #[test]
    fn a_typo_matches_only_the_one_film_of_that_year() {
        let films = catalog();
        let index = TitleIndex::from_movies(&films);
        let m = HistoryMatcher::new(&films, &index);
        assert_eq!(
            m.find(&row("Blade Runer", Some(1982))),
            Match::Found(MovieId(9), How::NearTitle)
        );
        assert_eq!(
            m.find(&row("Blade Runer", None)),
            Match::NotInCatalog,
            "no year, no guess"
        );
        assert_eq!(m.find(&row("Blade Runer", Some(1999))), Match::NotInCatalog);
    }

    #[test]
    fn scales_map_to_half_stars() {
        assert_eq!(stars_of_ten(10.0), Some(5.0));
        assert_eq!(stars_of_ten(7.0), Some(3.5));
        assert_eq!(stars_of_ten(1.0), Some(0.5));
        assert_eq!(stars_of_ten(0.0), None);
        assert_eq!(stars_of_ten(11.0), None);
        assert_eq!(stars_of_ten(f64::NAN), None);
        assert_eq!(stars_of_five(4.5), Some(4.5));
        assert_eq!(stars_of_five(0.5), Some(0.5));
        assert_eq!(stars_of_five(4.3), None);
        assert_eq!(stars_of_five(0.0), None);
        assert_eq!(stars_of_five(5.5), None);
    }
}
