//! The cold start: what someone Marquee knows nothing about is shown, and why, in words that are
//! true.
//!
//! - **Liked here lately** ([`liked_here`]): films that at least [`MIN_PEOPLE_HERE`] other
//!   people of the caller's server liked in the last [`RECENT_DAYS`] days come first ("liked by
//!   3 people on this server this month"); they are read from the event log at every request,
//!   so a rating counts for the next newcomer at once.
//! - **Well known and well liked** ([`ColdStart`]): every other film is ranked by what public
//!   data says about it (the catalog's votes: the starter prior, TMDB or MovieLens imports):
//!   a Bayesian-shrunk mean's percentile (how well liked, square-rooted so that it weighs less)
//!   times a log-count percentile (how well known), each taken within its source. A film without votes that many people Marquee learned from
//!   liked ranks on that, at half weight; a film nobody knows anything about comes last. The
//!   list is spread over decades and genres (greedy: each decade or genre already shown
//!   discounts the next film of it).
//!
//! Reasons come from the facts: "a well-loved 1950s classic: 4.3★ from 27 MovieLens ratings",
//! "widely liked sci-fi: 7.1/10 from 883 TMDB votes", "liked by many people Marquee has learned
//! from" (no count: they may be anywhere), "a 2020s drama to start with" (nothing is known).

use std::collections::{HashMap, HashSet};

use crate::domain::catalog::{Genre, Movie, VoteSource, Votes};
use crate::domain::events::FeedbackEvent;
use crate::domain::feedback::combine;
use crate::domain::ids::{MovieId, UserId};

use super::pick::{Acclaim, Pick, Reason};
use super::snapshot::RecRequest;

/// How far back "liked on this server lately" looks.
pub const RECENT_DAYS: i64 = 30;
/// The fewest people of a server who must like a film before it is shown as their favourite
/// (one person's private rating never shows as "liked by 1 person").
pub const MIN_PEOPLE_HERE: u32 = 2;
/// A combined rating at or above this (0.5–5) is a like.
pub const LIKED_STARS: f64 = 3.5;
/// The fewest people Marquee learned from who must like a film without votes before it ranks
/// on their likes.
pub const MIN_LEARNED: u32 = 10;
/// At most this share of a list goes to the server's favourites (rounded up), so a newcomer
/// also sees well-known films from several decades.
pub const HERE_SHARE: f32 = 0.6;

/// A film's discount per film of the same decade already picked.
const DECADE_DISCOUNT: f32 = 0.7;
/// A film's discount per film already picked in each of its genres (averaged over them).
const GENRE_DISCOUNT: f32 = 0.9;
/// How much "well liked" counts against "well known": the shrunk mean's percentile is raised
/// to this power. Chosen with `marquee eval quiz --validate` (docs/BENCHMARKS.md, "Taste
/// quiz"): 0.5 with the discounts above kept seven decades in a list of ten and raised the
/// cold start's NDCG@10 on validation users from 0.068 to 0.084 (ML-100k) and 0.049 to 0.058
/// (ml-latest-small).
const QUALITY_EXPONENT: f32 = 0.5;
/// Films considered by the spreading step, best first.
const POOL: usize = 300;
/// A source with this many films gets its percentiles half-trusted (fewer: pulled further to
/// the middle, so a handful of films from a small source cannot top the list).
const TRUST_FILMS: f32 = 50.0;
/// The score of a film nothing is known about.
const UNKNOWN_SCORE: f32 = 0.01;

/// A film the people of a server liked lately.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LikedHere {
    pub movie: MovieId,
    /// How many people liked it (at least [`MIN_PEOPLE_HERE`]).
    pub people: u32,
    /// When the latest of those likes was given.
    pub latest_ms: i64,
}

/// The films that at least [`MIN_PEOPLE_HERE`] people liked since `since_ms`, most liked first
/// (then the most recent, then the smaller id). `events` are a server's events (every event of
/// a person on a film, so they combine as usual: a later low rating takes a like back); a like
/// counts when the person's combined rating is at least [`LIKED_STARS`] and their latest rated
/// event on the film is recent. Events of `except` (the person asking) are ignored.
pub fn liked_here(
    events: &[FeedbackEvent],
    since_ms: i64,
    except: Option<UserId>,
) -> Vec<LikedHere> {
    let mut pairs: HashMap<(UserId, MovieId), Vec<crate::domain::events::NewFeedbackEvent>> =
        HashMap::new();
    for e in events.iter().filter(|e| Some(e.event.user) != except) {
        pairs
            .entry((e.event.user, e.event.movie))
            .or_default()
            .push(e.event.clone());
    }
    let mut films: HashMap<MovieId, (u32, i64)> = HashMap::new();
    for ((_, movie), evs) in pairs {
        let r = combine(&evs);
        let latest = evs
            .iter()
            .filter(|e| e.value.is_some())
            .map(|e| e.created_at_ms)
            .max();
        let liked = !r.not_interested && r.value.is_some_and(|v| v >= LIKED_STARS);
        if let (true, Some(at)) = (liked, latest)
            && at >= since_ms
        {
            let f = films.entry(movie).or_insert((0, at));
            f.0 += 1;
            f.1 = f.1.max(at);
        }
    }
    let mut out: Vec<LikedHere> = films
        .into_iter()
        .filter(|(_, (people, _))| *people >= MIN_PEOPLE_HERE)
        .map(|(movie, (people, latest_ms))| LikedHere {
            movie,
            people,
            latest_ms,
        })
        .collect();
    out.sort_by(|a, b| {
        b.people
            .cmp(&a.people)
            .then(b.latest_ms.cmp(&a.latest_ms))
            .then(a.movie.cmp(&b.movie))
    });
    out
}

/// What is known about how well liked a film is.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Evidence {
    /// Votes in public data.
    Votes(Votes),
    /// No votes, but at least [`MIN_LEARNED`] people Marquee learned from liked it.
    Learned,
    /// Nothing.
    Nothing,
}

#[derive(Debug, Clone, PartialEq)]
struct ColdFilm {
    movie: MovieId,
    year: Option<i32>,
    genres: Vec<Genre>,
    evidence: Evidence,
    score: f32,
    /// How well known the film is among films with votes from the same source: the
    /// log-count's percentile (0–1); `None` without votes.
    renown: Option<f32>,
}

/// The catalog ranked for someone Marquee knows nothing about (see the module docs). Built
/// once per catalog and model; [`ColdStart::picks`] then serves any request from it.
#[derive(Debug, Clone, Default)]
pub struct ColdStart {
    /// Best first (ties to the smaller id).
    films: Vec<ColdFilm>,
    at: HashMap<MovieId, usize>,
}

/// Each value's percentile among `values` in [0, 1] (ties share the middle of their ranks; a
/// single value is 0.5).
fn percentiles(values: &[f64]) -> Vec<f32> {
    let n = values.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut out = vec![0.5_f32; n];
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && values[order[j + 1]].total_cmp(&values[order[i]]).is_eq() {
            j += 1;
        }
        let p = if n > 1 {
            ((i + j) as f64 / 2.0 / (n - 1) as f64) as f32
        } else {
            0.5
        };
        for &k in &order[i..=j] {
            out[k] = p;
        }
        i = j + 1;
    }
    out
}

/// Percentiles of a group of `n` films pulled towards the middle when the group is small.
fn trusted(p: f32, n: usize) -> f32 {
    let k = n as f32 / (n as f32 + TRUST_FILMS);
    let k = if n >= 1000 { 1.0 } else { k.max(0.0) };
    0.5 + (p - 0.5) * k
}

/// "Well known × well liked" of films with votes from one source, and how well known: the
/// shrunk mean's percentile to the power [`QUALITY_EXPONENT`] times the log-count's percentile. The mean is shrunk towards the source's mean
/// (weighted by count) with the source's median count as the prior's weight.
fn score_votes(votes: &[Votes]) -> Vec<(f32, f32)> {
    let total: f64 = votes.iter().map(|v| v.count as f64).sum();
    let mean = if total > 0.0 {
        votes
            .iter()
            .map(|v| v.count as f64 * v.average)
            .sum::<f64>()
            / total
    } else {
        0.0
    };
    let mut counts: Vec<i64> = votes.iter().map(|v| v.count).collect();
    counts.sort_unstable();
    let weight = counts.get(counts.len() / 2).copied().unwrap_or(1).max(1) as f64;
    let shrunk: Vec<f64> = votes
        .iter()
        .map(|v| (weight * mean + v.count as f64 * v.average) / (weight + v.count as f64))
        .collect();
    let renown: Vec<f64> = votes.iter().map(|v| (v.count as f64).ln_1p()).collect();
    let (q, r) = (percentiles(&shrunk), percentiles(&renown));
    q.iter()
        .zip(&r)
        .map(|(q, r)| {
            let r = trusted(*r, votes.len());
            (trusted(*q, votes.len()).powf(QUALITY_EXPONENT) * r, r)
        })
        .collect()
}

impl ColdStart {
    /// Ranks `movies`; `learned(id)` is how many people Marquee learned from liked the film
    /// (used only for films without votes).
    pub fn new(movies: &[Movie], learned: impl Fn(MovieId) -> u32) -> Self {
        let mut films: Vec<ColdFilm> = movies
            .iter()
            .map(|m| ColdFilm {
                movie: m.id,
                year: m.info.year,
                genres: m.info.genres.clone(),
                evidence: match Votes::of(&m.info) {
                    Some(v) => Evidence::Votes(v),
                    None if learned(m.id) >= MIN_LEARNED => Evidence::Learned,
                    None => Evidence::Nothing,
                },
                score: UNKNOWN_SCORE,
                renown: None,
            })
            .collect();
        for source in VoteSource::ALL {
            let idx: Vec<usize> = (0..films.len())
                .filter(|&i| matches!(films[i].evidence, Evidence::Votes(v) if v.source == source))
                .collect();
            let votes: Vec<Votes> = idx
                .iter()
                .filter_map(|&i| match films[i].evidence {
                    Evidence::Votes(v) => Some(v),
                    _ => None,
                })
                .collect();
            for (&i, (s, r)) in idx.iter().zip(score_votes(&votes)) {
                films[i].score = s;
                films[i].renown = Some(r);
            }
        }
        let idx: Vec<usize> = (0..films.len())
            .filter(|&i| films[i].evidence == Evidence::Learned)
            .collect();
        let counts: Vec<f64> = idx
            .iter()
            .map(|&i| f64::from(learned(films[i].movie)))
            .collect();
        for (&i, r) in idx.iter().zip(percentiles(&counts)) {
            films[i].score = 0.5 * trusted(r, idx.len());
        }
        films.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.movie.cmp(&b.movie)));
        let at = films
            .iter()
            .enumerate()
            .map(|(i, f)| (f.movie, i))
            .collect();
        ColdStart { films, at }
    }

    /// How well known `movie` is among the films whose votes come from the same public data
    /// (0 = the least rated, 1 = the most), or `None` when it has no votes.
    pub fn renown(&self, movie: MovieId) -> Option<f32> {
        self.at.get(&movie).and_then(|&i| self.films[i].renown)
    }

    /// What is known about `movie`, as a reason; `genre` (a request's) names the film's kind
    /// when the film has it. `now_year` decides what is a classic.
    pub fn reason(&self, movie: MovieId, genre: Option<Genre>, now_year: i32) -> Reason {
        match self.at.get(&movie) {
            Some(&i) => self.films[i].reason(genre, now_year),
            None => Reason::StartWith {
                decade: None,
                genre,
            },
        }
    }

    /// Up to `request.count` picks: the server's favourites `here` first (at most
    /// [`HERE_SHARE`] of the list), then the ranking spread over decades and genres. Films
    /// for which `skip` holds (the person's history), in `request.exclude` or outside its
    /// genre and year filters are never picked.
    pub fn picks(
        &self,
        request: &RecRequest,
        here: &[LikedHere],
        skip: impl Fn(MovieId) -> bool,
        now_year: i32,
    ) -> Vec<Pick> {
        let count = request.count;
        let excluded: HashSet<MovieId> = request.exclude.iter().copied().collect();
        let eligible = |f: &ColdFilm| {
            !skip(f.movie) && !excluded.contains(&f.movie) && request.admits(f.year, &f.genres)
        };
        let here_cap = if count >= 3 {
            ((count as f32 * HERE_SHARE).ceil() as usize).min(count)
        } else {
            count
        };
        let mut out: Vec<Pick> = Vec::with_capacity(count);
        let mut taken: HashSet<MovieId> = HashSet::new();
        for h in here {
            if out.len() >= here_cap {
                break;
            }
            let Some(&i) = self.at.get(&h.movie) else {
                continue;
            };
            if eligible(&self.films[i]) && taken.insert(h.movie) {
                out.push(Pick {
                    movie: h.movie,
                    score: 2.0 + 1.0 / (1.0 + out.len() as f32),
                    reason: Reason::PopularHere { people: h.people },
                });
            }
        }
        let mut pool: Vec<&ColdFilm> = self
            .films
            .iter()
            .filter(|f| !taken.contains(&f.movie) && eligible(f))
            .take(POOL.max(count * 4))
            .collect();
        let mut decades: HashMap<i32, i32> = HashMap::new();
        let mut genres: HashMap<Genre, i32> = HashMap::new();
        let mut floor = f32::MAX;
        while out.len() < count && !pool.is_empty() {
            let value = |f: &ColdFilm| {
                let d = f
                    .year
                    .map_or(0, |y| decades.get(&(y / 10)).copied().unwrap_or(0));
                let g = if f.genres.is_empty() {
                    0.0
                } else {
                    f.genres
                        .iter()
                        .map(|g| genres.get(g).copied().unwrap_or(0) as f32)
                        .sum::<f32>()
                        / f.genres.len() as f32
                };
                f.score * DECADE_DISCOUNT.powi(d) * GENRE_DISCOUNT.powf(g)
            };
            let mut best = (f32::MIN, 0);
            for (n, f) in pool.iter().enumerate() {
                let v = value(f);
                if v > best.0 {
                    best = (v, n);
                }
            }
            let f = pool.remove(best.1);
            if let Some(y) = f.year {
                *decades.entry(y / 10).or_default() += 1;
            }
            for g in &f.genres {
                *genres.entry(*g).or_default() += 1;
            }
            floor = floor.min(best.0).min(1.0);
            out.push(Pick {
                movie: f.movie,
                score: floor,
                reason: f.reason(request.genre, now_year),
            });
        }
        out
    }
}

impl ColdFilm {
    fn reason(&self, asked: Option<Genre>, now_year: i32) -> Reason {
        let asked = asked.filter(|g| self.genres.contains(g));
        let genre = asked.or_else(|| self.genres.first().copied());
        match self.evidence {
            Evidence::Votes(v) => Reason::WellLoved(Acclaim::new(
                v,
                self.year,
                (genre, asked.is_some()),
                now_year,
            )),
            Evidence::Learned => Reason::LikedWidely,
            Evidence::Nothing => Reason::StartWith {
                decade: self.year.map(|y| y / 10 * 10),
                genre,
            },
        }
    }
}

/// Everything non-personal picks are made from: the ranking, the caller's server's recent
/// favourites and the year (for "classic").
#[derive(Debug, Clone, Copy)]
pub struct Baseline<'a> {
    pub cold: &'a ColdStart,
    pub here: &'a [LikedHere],
    pub now_year: i32,
}

impl Baseline<'_> {
    /// Picks for someone without likes (see [`ColdStart::picks`]).
    pub fn picks(&self, request: &RecRequest, skip: impl Fn(MovieId) -> bool) -> Vec<Pick> {
        self.cold.picks(request, self.here, skip, self.now_year)
    }

    /// Replaces the model's [`Reason::Baseline`] (a film ranked by its non-personal part) with
    /// what is known about the film: the server's favourite, its votes, or nothing.
    pub fn explain(&self, picks: &mut [Pick], genre: Option<Genre>) {
        for p in picks.iter_mut().filter(|p| p.reason == Reason::Baseline) {
            p.reason = match self.here.iter().find(|h| h.movie == p.movie) {
                Some(h) => Reason::PopularHere { people: h.people },
                None => self.cold.reason(p.movie, genre, self.now_year),
            };
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::catalog::MovieInfo;
    use crate::domain::events::{FeedbackKind, NewFeedbackEvent};
    use crate::domain::ids::EventId;

    const NOW: i32 = 2025;

    fn film(id: i64, year: i32, genres: &[Genre], votes: Option<(i64, f64)>) -> Movie {
        Movie {
            id: MovieId(id),
            info: MovieInfo {
                title: format!("Film {id}"),
                year: Some(year),
                genres: genres.to_vec(),
                vote_count: votes.map_or(0, |v| v.0),
                vote_average: votes.map(|v| v.1 * 2.0),
                vote_source: votes.map(|_| VoteSource::MovieLens),
                ..MovieInfo::default()
            },
        }
    }

    /// Ten films per decade 1950s–2010s and genre round-robin; within a decade, film 0 is the
    /// best known and liked. The 1990s are the best overall (as in MovieLens), so a ranking
    /// without spreading would fill a list with them.
    fn catalog() -> Vec<Movie> {
        let genres = [
            Genre::Drama,
            Genre::Comedy,
            Genre::SciFi,
            Genre::Crime,
            Genre::Western,
        ];
        let mut out = Vec::new();
        for d in 0..7 {
            for k in 0..10 {
                let id = d * 100 + k;
                let boost = if d == 4 { 200 } else { 0 };
                let count = 200 - 15 * k + boost;
                let mean = 4.4 - 0.08 * k as f64 + if d == 4 { 0.4 } else { 0.0 };
                out.push(film(
                    id,
                    1950 + 10 * d as i32 + k as i32 % 10,
                    &[genres[(k + d) as usize % genres.len()]],
                    Some((count, mean)),
                ));
            }
        }
        out
    }

    fn decade(movies: &[Movie], id: MovieId) -> i32 {
        movies
            .iter()
            .find(|m| m.id == id)
            .and_then(|m| m.info.year)
            .unwrap_or(0)
            / 10
    }

    #[test]
    fn the_first_picks_are_well_known_and_spread_over_decades_and_genres() {
        let movies = catalog();
        let cold = ColdStart::new(&movies, |_| 0);
        let req = RecRequest {
            count: 5,
            ..RecRequest::default()
        };
        let picks = cold.picks(&req, &[], |_| false, NOW);
        assert_eq!(picks.len(), 5);
        let decades: HashSet<i32> = picks.iter().map(|p| decade(&movies, p.movie)).collect();
        assert!(decades.len() >= 4, "{picks:?}");
        // Without spreading the 1990s would take every place.
        assert!(
            cold.films[..5]
                .iter()
                .all(|f| f.year.unwrap_or(0) / 10 == 199)
        );
        // Each pick is the best of its decade, and the best film overall comes first.
        assert_eq!(picks[0].movie, MovieId(400));
        assert!(picks.iter().all(|p| p.movie.0 % 100 <= 1), "{picks:?}");
        assert!(picks.windows(2).all(|w| w[0].score >= w[1].score));
        let genres: HashSet<Genre> = picks
            .iter()
            .map(|p| {
                movies
                    .iter()
                    .find(|m| m.id == p.movie)
                    .expect("film")
                    .info
                    .genres[0]
            })
            .collect();
        assert!(genres.len() >= 4, "{picks:?}");
    }

    #[test]
    fn filters_exclusions_and_history_are_honoured() {
        let movies = catalog();
        let cold = ColdStart::new(&movies, |_| 0);
        let req = RecRequest {
            count: 10,
            genre: Some(Genre::SciFi),
            min_year: Some(1960),
            max_year: Some(1999),
            exclude: vec![MovieId(101)],
            ..RecRequest::default()
        };
        let history = [MovieId(400), MovieId(104)];
        let picks = cold.picks(&req, &[], |m| history.contains(&m), NOW);
        assert!(!picks.is_empty());
        for p in &picks {
            let m = movies.iter().find(|m| m.id == p.movie).expect("film");
            assert!(m.info.genres.contains(&Genre::SciFi), "{m:?}");
            assert!((1960..=1999).contains(&m.info.year.unwrap_or(0)), "{m:?}");
            assert!(p.movie != MovieId(101) && !history.contains(&p.movie));
        }
        // Every sci-fi film of those decades not excluded is there (the list asked for 10).
        let expected = movies
            .iter()
            .filter(|m| {
                m.info.genres.contains(&Genre::SciFi)
                    && (1960..=1999).contains(&m.info.year.unwrap_or(0))
                    && m.id != MovieId(101)
                    && !history.contains(&m.id)
            })
            .count();
        assert_eq!(picks.len(), expected.min(10));
        // The reason names the genre asked for.
        assert!(
            picks[0].reason.to_string().contains("sci-fi"),
            "{}",
            picks[0].reason
        );
    }

    #[test]
    fn the_servers_favourites_come_first_within_their_share() {
        let movies = catalog();
        let cold = ColdStart::new(&movies, |_| 0);
        let here: Vec<LikedHere> = [(609, 4), (608, 3), (607, 2), (606, 2), (9999, 5)]
            .iter()
            .map(|&(m, people)| LikedHere {
                movie: MovieId(m),
                people,
                latest_ms: 0,
            })
            .collect();
        let req = RecRequest {
            count: 5,
            exclude: vec![MovieId(608)],
            ..RecRequest::default()
        };
        let picks = cold.picks(&req, &here, |_| false, NOW);
        let ids: Vec<i64> = picks.iter().map(|p| p.movie.0).collect();
        // 608 is excluded and 9999 is not in the catalog; three places at most.
        assert_eq!(ids[..3], [609, 607, 606], "{ids:?}");
        assert!(!ids[3..].iter().any(|m| [608, 9999].contains(m)));
        assert_eq!(
            picks[0].reason.to_string(),
            "liked by 4 people on this server this month"
        );
        assert!(matches!(picks[3].reason, Reason::WellLoved(_)));
    }

    #[test]
    fn what_is_known_decides_the_rank_and_the_words() {
        let mut movies = vec![
            film(1, 1957, &[Genre::Drama], Some((120, 4.3))),
            film(2, 2014, &[Genre::SciFi], Some((80, 3.7))),
            film(3, 2022, &[Genre::Drama], None),
            film(4, 2001, &[Genre::Comedy], None),
            film(5, 1985, &[Genre::Horror], Some((3, 2.9))),
        ];
        movies[0].info.vote_count = 1234;
        let cold = ColdStart::new(&movies, |m| if m == MovieId(4) { 40 } else { 0 });
        let req = RecRequest {
            count: 5,
            ..RecRequest::default()
        };
        let picks = cold.picks(&req, &[], |_| false, NOW);
        let said: HashMap<i64, String> = picks
            .iter()
            .map(|p| (p.movie.0, p.reason.to_string()))
            .collect();
        let expected = [
            (
                1,
                "a well-loved 1950s classic: 4.3★ from 1,234 MovieLens ratings",
            ),
            (2, "widely liked sci-fi: 3.7★ from 80 MovieLens ratings"),
            (4, "liked by many people Marquee has learned from"),
            (5, "a 1980s horror film: 2.9★ from 3 MovieLens ratings"),
            (3, "a 2020s drama to start with"),
        ];
        for (id, words) in expected {
            assert_eq!(said.get(&id).map(String::as_str), Some(words), "{picks:?}");
        }
        // The best known and liked film first, the film nothing is known about last.
        assert_eq!(picks[0].movie, MovieId(1));
        assert_eq!(picks[4].movie, MovieId(3));
        // TMDB votes say so.
        let mut tmdb = film(6, 2012, &[Genre::Family], None);
        tmdb.info.vote_count = 883;
        tmdb.info.vote_average = Some(7.0);
        tmdb.info.vote_source = Some(VoteSource::Tmdb);
        let cold = ColdStart::new(&[tmdb], |_| 0);
        assert_eq!(
            cold.reason(MovieId(6), None, NOW).to_string(),
            "a widely liked family film: 7.0/10 from 883 TMDB votes"
        );
    }

    /// An event of `user` on `movie` at `at` (also its id).
    pub(crate) fn ev(
        user: i64,
        movie: i64,
        kind: FeedbackKind,
        value: Option<f64>,
        at: i64,
    ) -> FeedbackEvent {
        FeedbackEvent {
            id: EventId(at),
            event: NewFeedbackEvent {
                user: UserId(user),
                movie: MovieId(movie),
                kind,
                value,
                weight: 1.0,
                raw: None,
                source: "test".into(),
                guild: None,
                message_id: None,
                created_at_ms: at,
                idempotency_key: None,
            },
        }
    }

    #[test]
    fn a_server_favourite_needs_two_recent_likes_from_others() {
        let r = FeedbackKind::Rating;
        let events = vec![
            // Film 1: two likes, one recent → not enough recent people.
            ev(1, 1, r, Some(5.0), 10),
            ev(2, 1, r, Some(4.0), 500),
            // Film 2: three recent likes, one taken back by a later low rating.
            ev(1, 2, r, Some(4.5), 600),
            ev(2, 2, r, Some(4.0), 610),
            ev(3, 2, r, Some(5.0), 620),
            ev(3, 2, r, Some(1.0), 630),
            // Film 3: two recent likes, one of them the caller's.
            ev(4, 3, r, Some(5.0), 700),
            ev(9, 3, r, Some(5.0), 710),
            // Film 4: three recent likes and a "meh".
            ev(1, 4, r, Some(4.0), 800),
            ev(2, 4, FeedbackKind::Reaction, Some(5.0), 810),
            ev(3, 4, r, Some(3.5), 820),
            ev(4, 4, r, Some(3.0), 830),
        ];
        let got = liked_here(&events, 400, Some(UserId(9)));
        let ids: Vec<(i64, u32)> = got.iter().map(|h| (h.movie.0, h.people)).collect();
        assert_eq!(ids, [(4, 3), (2, 2)]);
        assert_eq!(got[0].latest_ms, 820);
        // Without excluding the caller, film 3 counts too.
        assert_eq!(liked_here(&events, 400, None).len(), 3);
    }

    #[test]
    fn the_model_s_baseline_reasons_are_replaced_by_what_is_known() {
        let movies = catalog();
        let cold = ColdStart::new(&movies, |_| 0);
        let here = [LikedHere {
            movie: MovieId(5),
            people: 2,
            latest_ms: 0,
        }];
        let base = Baseline {
            cold: &cold,
            here: &here,
            now_year: NOW,
        };
        let mut picks: Vec<Pick> = [5, 400, 12_345]
            .iter()
            .map(|&m| Pick {
                movie: MovieId(m),
                score: 1.0,
                reason: Reason::Baseline,
            })
            .collect();
        picks.push(Pick {
            movie: MovieId(1),
            score: 0.5,
            reason: Reason::Matches(vec!["space".into()]),
        });
        base.explain(&mut picks, None);
        assert_eq!(picks[0].reason, Reason::PopularHere { people: 2 });
        assert!(matches!(picks[1].reason, Reason::WellLoved(_)));
        assert_eq!(picks[2].reason.to_string(), "a film to start with");
        assert_eq!(picks[3].reason, Reason::Matches(vec!["space".into()]));
    }
}
