//! The serving model: one [`ModelSnapshot`] trained from the catalog and the feedback event log,
//! stored as bytes by the app, loaded at start-up, and updated per user by [`ModelSnapshot::fold_in`].
//!
//! It holds, over one catalog (dense film indices in catalog order):
//! - **popularity**: `ln(1 + Σ like strength)` from the log plus a small catalog prior
//!   (`ln(1 + vote_count)`), standardised — the cold-start ranking;
//! - **implicit ALS** factors for users and films (Hu, Koren & Volinsky 2008; fitted by
//!   [`super::als`]); ALS rather than EASE because it scales to a 60,000-film catalog (EASE needs
//!   an n×n matrix), folds a user in with one k×k solve, and gives the film vectors used for taste
//!   groups and "more like this";
//! - the **content** TF-IDF index ([`super::content`]) with an inverted index for sparse scoring;
//! - every user's **history**: the per-film state from [`combine`] (rated, seen, not
//!   interested, like strength).
//!
//! Signals ([`combine`] per user and film): an explicit (`Rating`, `Historical`) or inferred
//! (`Reaction`, `Button`, `Review`, `WatchedTogether`) value ≥ `like_threshold` is a like of
//! strength `weight × (value − 2.5) / 2.5`; a seen film without a low value is a weak like
//! (`seen_strength`); a value below the threshold is no like; a surviving not-interested
//! excludes the film for good. Every film with any state is left out of that user's picks.
//!
//! Scoring (per user, `w = n / (n + history_damping)` for n liked films):
//! `(1 − w)·pop + w·cf_share·z(x_u·y_i) + (w·(1 − cf_share) + content_floor·[n > 0])·3·cos(profile, i)`,
//! then filters, a bounded-heap top-`mmr_pool` and maximal marginal relevance (Carbonell &
//! Goldstein 1998) over that pool only.
//!
//! Files: this one holds the types and accessors; `train` builds a snapshot, `serve` scores,
//! recommends, finds similar films and folds users in, `codec` is the byte format.
//!
//! [`combine`]: crate::domain::feedback::combine

mod codec;
mod quiz;
mod serve;
mod train;

pub use codec::{SnapshotError, VERSION};
pub use train::{train, train_digest};

use crate::domain::catalog::Genre;
use crate::domain::ids::{EventId, MovieId, UserId};

use super::als::AlsParams;
use super::content::{ContentIndex, ContentParams};
use super::data::{Csr, IdMap};
use super::{Checked, ParamError, Params, dot, ensure, finite_or};

/// Hyper-parameters of [`train`].
#[derive(Debug, Clone)]
pub struct TrainParams {
    /// The collaborative model.
    pub als: AlsParams,
    /// Content feature weights.
    pub content: ContentParams,
    /// A value at or above this (0.5–5 scale) is a like.
    pub like_threshold: f32,
    /// Like strength of a film seen without a rating.
    pub seen_strength: f32,
    /// Weight of the catalog's `ln(1 + vote_count)` in popularity (films nobody here rated).
    pub prior_weight: f32,
    /// Half-life, in days, of the recency weighting of the cold-start popularity (each film's
    /// strength × its events' mean `0.5^(age / half-life)`, age from the newest event, see
    /// [`super::baseline::decayed_counts`]); 0 turns it off.
    pub pop_half_life_days: f32,
    /// Liked films at which the personal and popular parts weigh the same.
    pub history_damping: f32,
    /// Share of the personal part given to ALS (the rest to content).
    pub cf_share: f32,
    /// Content weight kept even for long histories.
    pub content_floor: f32,
    /// Candidates re-ranked by MMR (at least the requested count).
    pub mmr_pool: usize,
}

impl Default for TrainParams {
    fn default() -> Self {
        Self {
            als: AlsParams {
                factors: 32,
                iterations: 12,
                ..AlsParams::default()
            },
            content: ContentParams::default(),
            like_threshold: 3.0,
            seen_strength: 0.3,
            prior_weight: 0.25,
            pop_half_life_days: 365.0,
            history_damping: 5.0,
            cf_share: 0.8,
            content_floor: 0.1,
            mmr_pool: 100,
        }
    }
}

impl Params for TrainParams {
    fn check(self) -> Result<Checked<Self>, ParamError> {
        self.als.clone().check()?;
        self.content.clone().check()?;
        for (name, v) in [
            ("seen_strength", self.seen_strength),
            ("prior_weight", self.prior_weight),
            ("pop_half_life_days", self.pop_half_life_days),
            ("content_floor", self.content_floor),
        ] {
            ensure(v >= 0.0 && v.is_finite(), "snapshot", name, "≥ 0", v)?;
        }
        ensure(
            (0.5..=5.0).contains(&self.like_threshold),
            "snapshot",
            "like_threshold",
            "in [0.5, 5]",
            self.like_threshold,
        )?;
        ensure(
            self.history_damping > 0.0 && self.history_damping.is_finite(),
            "snapshot",
            "history_damping",
            "> 0",
            self.history_damping,
        )?;
        ensure(
            (0.0..=1.0).contains(&self.cf_share),
            "snapshot",
            "cf_share",
            "in [0, 1]",
            self.cf_share,
        )?;
        ensure(
            (1..=10_000).contains(&self.mmr_pool),
            "snapshot",
            "mmr_pool",
            "1..=10000",
            self.mmr_pool,
        )?;
        Ok(Checked(self))
    }
}

/// What the caller asks [`ModelSnapshot::recommend`] for.
#[derive(Debug, Clone, PartialEq)]
pub struct RecRequest {
    /// How many picks.
    pub count: usize,
    /// Only films of this genre.
    pub genre: Option<Genre>,
    /// Only films released in or after this year (films of unknown year are left out).
    pub min_year: Option<i32>,
    /// Only films released in or before this year (films of unknown year are left out).
    pub max_year: Option<i32>,
    /// Films to leave out in addition to the user's history (e.g. the server's recent picks).
    pub exclude: Vec<MovieId>,
    /// MMR λ in [0, 1]: 1 = pure relevance, lower = more varied picks (clamped).
    pub diversity_lambda: f32,
}

impl RecRequest {
    /// Whether a film of this year and these genres passes the genre and year filters (a film
    /// of unknown year fails a year filter).
    pub fn admits(&self, year: Option<i32>, genres: &[Genre]) -> bool {
        self.genre.is_none_or(|g| genres.contains(&g))
            && self.min_year.is_none_or(|y| year.is_some_and(|my| my >= y))
            && self.max_year.is_none_or(|y| year.is_some_and(|my| my <= y))
    }
}

impl Default for RecRequest {
    fn default() -> Self {
        Self {
            count: 10,
            genre: None,
            min_year: None,
            max_year: None,
            exclude: Vec::new(),
            diversity_lambda: 0.8,
        }
    }
}

const SEEN: u8 = 1;
const RATED: u8 = 2;
const NOT_INTERESTED: u8 = 4;
const SIGNAL: u8 = 8;

/// One film in a user's history.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Entry {
    item: u32,
    /// Like strength (0 = not a like).
    strength: f32,
    flags: u8,
}

/// The serving parameters kept with the model.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
struct Serve {
    like_threshold: f32,
    seen_strength: f32,
    history_damping: f32,
    cf_share: f32,
    content_floor: f32,
    mmr_pool: usize,
    reg: f32,
    alpha: f32,
    /// ν of the frequency-scaled λ, the number of films ALS was fitted on and the users' mean
    /// confidence mass (see [`AlsParams::reg_exponent`]); absent in older snapshots (plain λ).
    #[serde(default)]
    reg_exponent: f32,
    #[serde(default)]
    mass_items: f32,
    #[serde(default)]
    mass_mean: f32,
}

/// The trained serving model (see the module docs).
#[derive(Debug, Clone)]
pub struct ModelSnapshot {
    serve: Serve,
    movies: IdMap<MovieId>,
    years: Vec<i32>,
    genres: Vec<u32>,
    /// Standardised popularity per film.
    pop: Vec<f32>,
    k: usize,
    /// Films × k, zeros for films without interactions.
    item_factors: Vec<f32>,
    users: IdMap<UserId>,
    /// Users × k.
    user_factors: Vec<f32>,
    histories: Vec<Vec<Entry>>,
    content: ContentIndex,
    events_seen: u64,
    last_event: Option<EventId>,
    // Derived on load, not stored:
    /// How many users like each film (history entries with a strength), at training.
    liked_by: Vec<u32>,
    /// How many users have each film in their history at all (liked, disliked or seen).
    seen_by: Vec<u32>,
    item_norms: Vec<f32>,
    gram: Vec<f64>,
    postings: Csr,
}

fn genre_bit(g: Genre) -> u32 {
    Genre::ALL
        .iter()
        .position(|x| *x == g)
        .map_or(0, |p| 1u32 << p)
}

fn zscore_in_place(v: &mut [f32]) {
    let n = v.len().max(1) as f64;
    let mean = v.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
    let var = v
        .iter()
        .map(|&x| (f64::from(x) - mean).powi(2))
        .sum::<f64>()
        / n;
    let inv = if var > 1e-12 { 1.0 / var.sqrt() } else { 0.0 };
    let (mean, inv) = (mean as f32, inv as f32);
    for x in v.iter_mut() {
        *x = finite_or((*x - mean) * inv, 0.0);
    }
}

impl ModelSnapshot {
    /// Recomputes the derived fields (likes per film, film norms, `YᵀY`, the content postings).
    fn derive(&mut self) {
        let mut liked_by = vec![0_u32; self.movies.len()];
        for e in self.histories.iter().flatten() {
            if e.strength > 0.0
                && let Some(n) = liked_by.get_mut(e.item as usize)
            {
                *n += 1;
            }
        }
        self.liked_by = liked_by;
        let mut seen_by = vec![0_u32; self.movies.len()];
        for e in self.histories.iter().flatten() {
            if let Some(n) = seen_by.get_mut(e.item as usize) {
                *n += 1;
            }
        }
        self.seen_by = seen_by;
        let k = self.k;
        self.item_norms = self
            .item_factors
            .chunks_exact(k)
            .map(|y| dot(y, y).sqrt())
            .collect();
        let mut g = vec![0f64; k * k];
        for y in self.item_factors.chunks_exact(k) {
            for a in 0..k {
                let ya = f64::from(y[a]);
                if ya == 0.0 {
                    continue;
                }
                for (gb, &yb) in g[a * k..(a + 1) * k].iter_mut().zip(y) {
                    *gb += ya * f64::from(yb);
                }
            }
        }
        self.gram = g;
        self.postings = self.content.postings();
    }

    /// How many events the model has learned from (training plus fold-ins).
    pub fn events_seen(&self) -> u64 {
        self.events_seen
    }

    /// The largest event id learned from, so the app can fold in only newer events.
    pub fn last_event_id(&self) -> Option<EventId> {
        self.last_event
    }

    /// The catalog, in the order of [`Self::item_vectors`] rows.
    pub fn movies(&self) -> &[MovieId] {
        self.movies.ids()
    }

    /// Number of latent factors (the length of every vector).
    pub fn factors(&self) -> usize {
        self.k
    }

    /// The user's taste vector (length [`Self::factors`]), if the user has any history.
    pub fn user_vector(&self, user: UserId) -> Option<&[f32]> {
        let u = self.users.get(user)? as usize;
        Some(&self.user_factors[u * self.k..(u + 1) * self.k])
    }

    /// The same model without `user`: their vector and history go (someone who asked to be
    /// forgotten); what was learned about films stays. Returns whether they were in it.
    pub fn forget_user(&mut self, user: UserId) -> bool {
        let Some(u) = self.users.swap_remove(user) else {
            return false;
        };
        let (u, k) = (u as usize, self.k);
        for e in &self.histories[u] {
            if e.strength > 0.0
                && let Some(n) = self.liked_by.get_mut(e.item as usize)
            {
                *n = n.saturating_sub(1);
            }
            if let Some(n) = self.seen_by.get_mut(e.item as usize) {
                *n = n.saturating_sub(1);
            }
        }
        let last = self.histories.len() - 1;
        if u != last {
            self.user_factors
                .copy_within(last * k..(last + 1) * k, u * k);
        }
        self.user_factors.truncate(last * k);
        self.histories.swap_remove(u);
        true
    }

    /// Every film's vector, row-major (films × [`Self::factors`]) in [`Self::movies`] order;
    /// all-zero rows are films nobody has interacted with.
    pub fn item_vectors(&self) -> &[f32] {
        &self.item_factors
    }
}

/// Fixtures shared by the tests of `train`, `serve` and `codec`.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::{Movie, MovieInfo};
    use crate::domain::events::{FeedbackEvent, FeedbackKind, NewFeedbackEvent};
    use crate::domain::recommend::Pick;

    pub(super) fn film(id: i64, genre: Genre, kw: &str, director: &str, year: i32) -> Movie {
        Movie {
            id: MovieId(id),
            info: MovieInfo {
                title: format!("Film {id}"),
                year: Some(year),
                genres: vec![genre],
                keywords: vec![kw.to_owned()],
                directors: vec![director.to_owned()],
                ..MovieInfo::default()
            },
        }
    }

    pub(super) fn ev(
        id: i64,
        user: i64,
        movie: i64,
        kind: FeedbackKind,
        value: Option<f64>,
    ) -> FeedbackEvent {
        FeedbackEvent {
            id: EventId(id),
            event: NewFeedbackEvent {
                user: UserId(user),
                movie: MovieId(movie),
                kind,
                value,
                weight: if kind == FeedbackKind::Rating {
                    1.0
                } else {
                    0.6
                },
                raw: (kind == FeedbackKind::Reaction || kind == FeedbackKind::NotInterested)
                    .then(|| if value.is_some() { "👍" } else { "🚫" }.to_owned()),
                source: "test".into(),
                guild: None,
                message_id: None,
                created_at_ms: id,
                idempotency_key: None,
            },
        }
    }

    /// 30 films: 0..6 space sci-fi (1970s–2010s), 10..16 westerns, 20..26 dramas, 26..30
    /// unrated; 36 users each rate one group; user 900 loves three space films.
    pub(super) fn world() -> (Vec<Movie>, Vec<FeedbackEvent>) {
        let mut movies = Vec::new();
        for i in 0..6 {
            movies.push(film(
                i,
                Genre::SciFi,
                "space",
                &format!("Dir S{}", i % 2),
                1975 + 8 * i as i32,
            ));
            movies.push(film(
                10 + i,
                Genre::Western,
                "cowboy",
                "Dir W",
                1960 + i as i32,
            ));
            movies.push(film(
                20 + i,
                Genre::Drama,
                "family",
                &format!("Dir D{i}"),
                2000 + i as i32,
            ));
        }
        for i in 26..30 {
            movies.push(film(i, Genre::Comedy, "laugh", "Dir C", 2020));
        }
        let mut events = Vec::new();
        let mut id = 0;
        for u in 0..36 {
            let base = [0, 10, 20][(u % 3) as usize];
            for m in base..base + 6 {
                if (m + u) % 7 == 0 {
                    continue;
                }
                id += 1;
                events.push(ev(id, u, m, FeedbackKind::Rating, Some(5.0)));
            }
        }
        for m in 0..3 {
            id += 1;
            events.push(ev(id, 900, m, FeedbackKind::Rating, Some(5.0)));
        }
        (movies, events)
    }

    pub(super) fn params() -> TrainParams {
        TrainParams {
            als: AlsParams {
                factors: 8,
                reg: 0.5,
                iterations: 15,
                ..AlsParams::default()
            },
            ..TrainParams::default()
        }
    }

    pub(super) fn ids(p: &[Pick]) -> Vec<i64> {
        p.iter().map(|p| p.movie.0).collect()
    }
}
