//! Entity resolution for the catalog: which stored film an incoming one is (ids before titles,
//! contradicting ids mean another film), and how the two merge. Storage runs these inside its
//! upsert transaction; they are pure, so the rules are tested here without a database.

use crate::domain::catalog::search::normalize_title;
use crate::domain::catalog::{ExternalIds, Movie, MovieInfo, votes_replace};

/// Incoming values win where they are present; stored values stay where the incoming are empty.
pub fn merge(stored: &MovieInfo, incoming: &MovieInfo) -> MovieInfo {
    fn pick<T: Clone>(new: &[T], old: &[T]) -> Vec<T> {
        if new.is_empty() {
            old.to_vec()
        } else {
            new.to_vec()
        }
    }
    let votes = if votes_replace(stored, incoming.vote_count, incoming.vote_source) {
        incoming
    } else {
        stored
    };
    MovieInfo {
        title: if incoming.title.trim().is_empty() {
            stored.title.clone()
        } else {
            incoming.title.clone()
        },
        year: incoming.year.or(stored.year),
        genres: pick(&incoming.genres, &stored.genres),
        overview: if incoming.overview.is_empty() {
            stored.overview.clone()
        } else {
            incoming.overview.clone()
        },
        keywords: pick(&incoming.keywords, &stored.keywords),
        directors: pick(&incoming.directors, &stored.directors),
        cast: pick(&incoming.cast, &stored.cast),
        countries: pick(&incoming.countries, &stored.countries),
        runtime_min: incoming.runtime_min.or(stored.runtime_min),
        external: ExternalIds {
            movielens: incoming.external.movielens.or(stored.external.movielens),
            tmdb: incoming.external.tmdb.or(stored.external.tmdb),
            imdb: incoming
                .external
                .imdb
                .clone()
                .or_else(|| stored.external.imdb.clone()),
        },
        // The votes travel together: count, mean and where they come from.
        vote_count: votes.vote_count,
        vote_average: votes.vote_average,
        vote_source: votes.vote_source,
    }
}

/// Where an incoming film goes: onto a stored film, or into a new row.
#[derive(Debug)]
pub enum Match<'a> {
    /// The stored film, and the incoming one with ids held by other films cleared.
    Existing(Box<Movie>, std::borrow::Cow<'a, MovieInfo>),
    /// A new row; ids already held by a different stored film are cleared so they stay unique.
    New(std::borrow::Cow<'a, MovieInfo>),
}

/// Picks the stored film an incoming one is, among `candidates` that share an external id or
/// the normalised title and year. Ids are stronger than titles: a MovieLens id match wins, then
/// TMDB, then IMDb, then title and year; a candidate whose ids contradict the incoming ones
/// (both known and different) is another film, even with the same title and year (MovieLens
/// lists a few films twice under different ids).
pub fn choose_match<'a>(incoming: &'a MovieInfo, norm: &str, candidates: Vec<Movie>) -> Match<'a> {
    let a = &incoming.external;
    let conflicts = |b: &ExternalIds| {
        fn differ<T: PartialEq>(x: Option<&T>, y: Option<&T>) -> bool {
            matches!((x, y), (Some(x), Some(y)) if x != y)
        }
        differ(a.movielens.as_ref(), b.movielens.as_ref())
            || differ(a.tmdb.as_ref(), b.tmdb.as_ref())
            || differ(a.imdb.as_ref(), b.imdb.as_ref())
    };
    let rank = |m: &Movie| -> Option<u8> {
        let b = &m.info.external;
        if a.movielens.is_some() && a.movielens == b.movielens {
            Some(0)
        } else if conflicts(b) {
            None
        } else if a.tmdb.is_some() && a.tmdb == b.tmdb {
            Some(1)
        } else if a.imdb.is_some() && a.imdb == b.imdb {
            Some(2)
        } else if normalize_title(&m.info.title) == norm && m.info.year == incoming.year {
            Some(3)
        } else {
            None
        }
    };
    let best = candidates
        .iter()
        .filter_map(|m| rank(m).map(|r| (r, m.id)))
        .min()
        .map(|(_, id)| id);
    // Ids the incoming film shares with a stored film that is not the one it merges into stay
    // with that film: ids are unique.
    let mut cleared = std::borrow::Cow::Borrowed(incoming);
    for m in candidates.iter().filter(|m| Some(m.id) != best) {
        let b = &m.info.external;
        if a.movielens.is_some() && a.movielens == b.movielens {
            cleared.to_mut().external.movielens = None;
        }
        if a.tmdb.is_some() && a.tmdb == b.tmdb {
            cleared.to_mut().external.tmdb = None;
        }
        if a.imdb.is_some() && a.imdb == b.imdb {
            cleared.to_mut().external.imdb = None;
        }
    }
    let mut candidates = candidates;
    match best.and_then(|id| candidates.iter().position(|m| m.id == id)) {
        Some(i) => Match::Existing(Box::new(candidates.swap_remove(i)), cleared),
        None => Match::New(cleared),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::MovieId;

    fn film(id: i64, title: &str, year: i32, ids: ExternalIds) -> Movie {
        Movie {
            id: MovieId(id),
            info: MovieInfo {
                title: title.to_owned(),
                year: Some(year),
                external: ids,
                ..MovieInfo::default()
            },
        }
    }

    fn ids(movielens: Option<i64>, tmdb: Option<i64>, imdb: Option<&str>) -> ExternalIds {
        ExternalIds {
            movielens,
            tmdb,
            imdb: imdb.map(str::to_owned),
        }
    }

    fn chosen(m: &Match<'_>) -> Option<MovieId> {
        match m {
            Match::Existing(stored, _) => Some(stored.id),
            Match::New(_) => None,
        }
    }

    #[test]
    fn an_id_match_beats_a_title_match_and_contradicting_ids_are_another_film() {
        let incoming = film(0, "Dune", 1984, ids(Some(7), None, None)).info;
        let norm = normalize_title(&incoming.title);
        let by_title = film(1, "Dune", 1984, ids(None, None, None));
        let by_id = film(2, "Dune (remastered)", 1984, ids(Some(7), None, None));
        let m = choose_match(&incoming, &norm, vec![by_title.clone(), by_id]);
        assert_eq!(chosen(&m), Some(MovieId(2)), "MovieLens id first");
        let other = film(3, "Dune", 1984, ids(Some(8), None, None));
        let m = choose_match(&incoming, &norm, vec![other]);
        assert_eq!(
            chosen(&m),
            None,
            "same title and year, different ids: another film"
        );
        let m = choose_match(&incoming, &norm, vec![by_title]);
        assert_eq!(
            chosen(&m),
            Some(MovieId(1)),
            "title and year when no id decides"
        );
    }

    #[test]
    fn ids_held_by_another_film_are_cleared_so_they_stay_unique() {
        let incoming = film(0, "Heat", 1995, ids(Some(6), Some(949), None)).info;
        let norm = normalize_title(&incoming.title);
        // Another film (its MovieLens id contradicts) already holds the TMDB id.
        let holder = film(1, "Heat (TV)", 1972, ids(Some(99), Some(949), None));
        let m = choose_match(&incoming, &norm, vec![holder]);
        let Match::New(cleared) = m else {
            panic!("a new film")
        };
        assert_eq!(cleared.external.tmdb, None);
        assert_eq!(cleared.external.movielens, Some(6));
    }

    #[test]
    fn merging_keeps_stored_values_where_the_incoming_are_empty() {
        let stored = MovieInfo {
            title: "Heat".into(),
            year: Some(1995),
            overview: "A heist.".into(),
            runtime_min: Some(170),
            vote_count: 12,
            ..MovieInfo::default()
        };
        let incoming = MovieInfo {
            title: "Heat".into(),
            runtime_min: None,
            vote_count: 0,
            directors: vec!["Michael Mann".into()],
            ..MovieInfo::default()
        };
        let merged = merge(&stored, &incoming);
        assert_eq!(merged.overview, "A heist.");
        assert_eq!(merged.runtime_min, Some(170));
        assert_eq!(merged.vote_count, 12);
        assert_eq!(merged.year, Some(1995));
        assert_eq!(merged.directors, ["Michael Mann"]);
        assert_eq!(
            merge(&merged, &merged),
            merged,
            "merging twice changes nothing"
        );
    }

    #[test]
    fn votes_travel_together_with_their_source() {
        use crate::domain::catalog::VoteSource;
        let prior = MovieInfo {
            title: "Heat".into(),
            vote_count: 110,
            vote_average: Some(7.9),
            vote_source: Some(VoteSource::MovieLens),
            ..MovieInfo::default()
        };
        let tmdb = MovieInfo {
            title: "Heat".into(),
            vote_count: 3000,
            vote_average: Some(7.7),
            vote_source: Some(VoteSource::Tmdb),
            ..MovieInfo::default()
        };
        // Another data set's votes do not replace enough votes of one …
        let merged = merge(&prior, &tmdb);
        assert_eq!(
            (merged.vote_count, merged.vote_average, merged.vote_source),
            (110, Some(7.9), Some(VoteSource::MovieLens))
        );
        // … but do replace too few, and a newer copy of the same data set replaces them.
        let few = MovieInfo {
            vote_count: 3,
            ..prior.clone()
        };
        assert_eq!(merge(&few, &tmdb).vote_source, Some(VoteSource::Tmdb));
        let newer = MovieInfo {
            vote_count: 4000,
            vote_average: Some(7.8),
            ..tmdb.clone()
        };
        assert_eq!(merge(&merge(&few, &tmdb), &newer).vote_count, 4000);
        // Incoming films without votes leave the stored ones, source included.
        let bare = MovieInfo {
            title: "Heat".into(),
            vote_average: Some(1.0),
            ..MovieInfo::default()
        };
        let kept = merge(&prior, &bare);
        assert_eq!(
            (kept.vote_count, kept.vote_average, kept.vote_source),
            (110, Some(7.9), Some(VoteSource::MovieLens))
        );
    }
}
