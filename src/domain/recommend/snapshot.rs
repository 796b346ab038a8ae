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
//! - every user's **history**: the per-film state from [`combine`] (rated, seen, not interested,
//!   like strength).
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

use std::collections::{HashMap, HashSet};

use crate::domain::catalog::{Genre, Movie};
use crate::domain::events::FeedbackEvent;
use crate::domain::feedback::{ImplicitRating, combine};
use crate::domain::ids::{EventId, MovieId, UserId};

use super::als::{AlsParams, confidence_mass, scaled_reg};
use super::content::{ContentIndex, ContentParams, FeatureKind};
use super::data::{Csr, IdMap, Ratings};
use super::hybrid::{Pick, Reason};
use super::linalg::cholesky_solve;
use super::{Checked, FitError, ParamError, Params, dot, ensure, finite_or, top_k};

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

/// Why bytes are not a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    /// The bytes do not start with the snapshot magic.
    #[error("not a Marquee model snapshot")]
    BadMagic,
    /// A format version this build cannot read.
    #[error("model snapshot version {0} is not supported (expected {VERSION})")]
    UnsupportedVersion(u32),
    /// The bytes end early.
    #[error("the model snapshot is truncated")]
    Truncated,
    /// A length, index or value is inconsistent.
    #[error("the model snapshot is corrupt: {0}")]
    Corrupt(&'static str),
}

const MAGIC: &[u8; 8] = b"MARQSNAP";
/// The format version written by [`ModelSnapshot::to_bytes`].
pub const VERSION: u32 = 1;

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

/// Turns one user's combined state of one film into a history entry (`None` = no state).
fn entry_of(r: &ImplicitRating, item: u32, serve: &Serve) -> Option<Entry> {
    let mut flags = SIGNAL;
    if r.seen {
        flags |= SEEN;
    }
    if r.explicit {
        flags |= RATED;
    }
    if r.not_interested {
        flags |= NOT_INTERESTED;
    }
    let strength = if r.not_interested {
        0.0
    } else {
        match r.value {
            Some(v) if v as f32 >= serve.like_threshold => {
                let w = if r.explicit { 1.0 } else { r.weight as f32 };
                (w * ((v as f32 - 2.5) / 2.5).max(0.2)).max(if r.seen {
                    serve.seen_strength
                } else {
                    0.0
                })
            }
            None if r.seen => serve.seen_strength,
            _ => 0.0,
        }
    };
    let any = r.value.is_some() || r.seen || r.not_interested;
    any.then_some(Entry {
        item,
        strength: finite_or(strength, 0.0),
        flags,
    })
}

/// Groups `events` by (user, catalog film) in log order and combines each group.
fn combine_all(
    events: &[FeedbackEvent],
    movies: &IdMap<MovieId>,
    serve: &Serve,
) -> HashMap<UserId, Vec<Entry>> {
    let mut groups: HashMap<(UserId, u32), Vec<crate::domain::events::NewFeedbackEvent>> =
        HashMap::new();
    for e in events {
        if let Some(i) = movies.get(e.event.movie) {
            groups
                .entry((e.event.user, i))
                .or_default()
                .push(e.event.clone());
        }
    }
    let mut out: HashMap<UserId, Vec<Entry>> = HashMap::new();
    for ((u, i), evs) in groups {
        if let Some(entry) = entry_of(&combine(&evs), i, serve) {
            out.entry(u).or_default().push(entry);
        }
    }
    for h in out.values_mut() {
        h.sort_unstable_by_key(|e| e.item);
    }
    out
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

/// Scales each film's popularity strength by its events' mean recency weight
/// ([`super::baseline::decayed_counts`], half-life in days; 0 = unchanged).
fn apply_recency(
    pop_raw: &mut [f32],
    movies: &IdMap<MovieId>,
    events: &[FeedbackEvent],
    half_life_days: f32,
) {
    let stamped: Vec<(MovieId, i64)> = events
        .iter()
        .map(|e| (e.event.movie, e.event.created_at_ms))
        .collect();
    let half_life_ms = f64::from(half_life_days) * 86_400_000.0;
    let decayed = super::baseline::decayed_counts(&stamped, half_life_ms);
    let plain = super::baseline::decayed_counts(&stamped, 0.0);
    for (i, raw) in pop_raw.iter_mut().enumerate() {
        let m = movies.id(i as u32);
        if let (Some(d), Some(c)) = (decayed.get(&m), plain.get(&m))
            && *c > 0.0
        {
            *raw *= (d / c) as f32;
        }
    }
}

/// Trains a snapshot from the catalog and the whole event log (in log order). Events about films
/// outside `catalog` are ignored; duplicate catalog ids keep the first. An empty log gives a
/// popularity-and-content model (no collaborative part).
///
/// # Errors
/// [`FitError::Params`] when `params` are out of range.
pub fn train(
    catalog: &[Movie],
    events: &[FeedbackEvent],
    params: &TrainParams,
) -> Result<ModelSnapshot, FitError> {
    let p = params.clone().check()?.0;
    let mut serve = Serve {
        like_threshold: p.like_threshold,
        seen_strength: p.seen_strength,
        history_damping: p.history_damping,
        cf_share: p.cf_share,
        content_floor: p.content_floor,
        mmr_pool: p.mmr_pool,
        reg: p.als.reg,
        alpha: p.als.alpha,
        reg_exponent: 0.0,
        mass_items: 0.0,
        mass_mean: 0.0,
    };
    let mut movies = IdMap::default();
    let mut unique: Vec<Movie> = Vec::with_capacity(catalog.len());
    for m in catalog {
        if movies.get(m.id).is_none() {
            movies.insert(m.id);
            unique.push(m.clone());
        }
    }
    let content = Checked(p.content.clone()).fit(&unique);
    let by_user = combine_all(events, &movies, &serve);
    let mut user_ids: Vec<UserId> = by_user.keys().copied().collect();
    user_ids.sort_unstable();
    let mut users = IdMap::default();
    let mut histories = Vec::with_capacity(user_ids.len());
    let mut triples = Vec::new();
    for u in user_ids {
        users.insert(u);
        let h = by_user.get(&u).cloned().unwrap_or_default();
        for e in h.iter().filter(|e| e.strength > 0.0) {
            triples.push((u, movies.id(e.item), e.strength));
        }
        histories.push(h);
    }
    let n = movies.len();
    let mut pop_raw = vec![0f32; n];
    for &(_, m, s) in &triples {
        if let Some(i) = movies.get(m) {
            pop_raw[i as usize] += s;
        }
    }
    apply_recency(&mut pop_raw, &movies, events, p.pop_half_life_days);
    let mut pop: Vec<f32> = pop_raw
        .iter()
        .zip(&unique)
        .map(|(s, m)| s.ln_1p() + p.prior_weight * (m.info.vote_count.max(0) as f32).ln_1p())
        .collect();
    zscore_in_place(&mut pop);
    for v in &mut pop {
        *v = v.clamp(-3.0, 3.0);
    }
    let k = p.als.factors;
    let mut item_factors = vec![0f32; n * k];
    let mut user_factors = vec![0f32; users.len() * k];
    let data = Ratings::from_triples(&triples)?;
    if data.nnz() > 0 {
        let als = Checked(p.als.clone()).fit(&data)?;
        (serve.reg_exponent, serve.mass_mean, serve.mass_items) = als.reg_scaling();
        for (ai, &m) in als.items.ids().iter().enumerate() {
            if let Some(i) = movies.get(m) {
                let i = i as usize;
                item_factors[i * k..(i + 1) * k].copy_from_slice(&als.y[ai * k..(ai + 1) * k]);
            }
        }
        for (au, &u) in als.users.ids().iter().enumerate() {
            if let Some(i) = users.get(u) {
                let i = i as usize;
                user_factors[i * k..(i + 1) * k].copy_from_slice(&als.x[au * k..(au + 1) * k]);
            }
        }
    }
    let years = unique.iter().map(|m| m.info.year.unwrap_or(0)).collect();
    let genres = unique
        .iter()
        .map(|m| m.info.genres.iter().fold(0u32, |a, &g| a | genre_bit(g)))
        .collect();
    let last_event = events.iter().map(|e| e.id).max();
    let mut snap = ModelSnapshot {
        serve,
        movies,
        years,
        genres,
        pop,
        k,
        item_factors,
        users,
        user_factors,
        histories,
        content,
        events_seen: events.len() as u64,
        last_event,
        item_norms: Vec::new(),
        gram: Vec::new(),
        postings: Csr::default(),
    };
    snap.derive();
    Ok(snap)
}

/// Scratch and inputs of one scoring pass.
struct Scored {
    total: Vec<f32>,
    liked: Vec<(u32, f32)>,
    has_cf: bool,
    profile: Vec<(u32, f32)>,
}

impl ModelSnapshot {
    /// Recomputes the derived fields (film norms, `YᵀY`, the content postings).
    fn derive(&mut self) {
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

    /// Every film's vector, row-major (films × [`Self::factors`]) in [`Self::movies`] order;
    /// all-zero rows are films nobody has interacted with.
    pub fn item_vectors(&self) -> &[f32] {
        &self.item_factors
    }

    fn title(&self, i: u32) -> String {
        self.content
            .titles
            .get(i as usize)
            .cloned()
            .unwrap_or_else(|| format!("film {}", self.movies.id(i)))
    }

    fn history(&self, user: UserId) -> &[Entry] {
        self.users
            .get(user)
            .map_or(&[], |u| self.histories[u as usize].as_slice())
    }

    /// True when film `i` passes the request's genre and year filters.
    fn passes(&self, i: usize, req: &RecRequest, genre_mask: u32) -> bool {
        if genre_mask != 0 && self.genres[i] & genre_mask == 0 {
            return false;
        }
        let y = self.years[i];
        if (req.min_year.is_some() || req.max_year.is_some()) && y == 0 {
            return false;
        }
        req.min_year.is_none_or(|m| y >= m) && req.max_year.is_none_or(|m| y <= m)
    }

    /// The blended score of every film for a history and an optional user vector.
    fn score(&self, hist: &[Entry], xu: Option<&[f32]>) -> Scored {
        let n = self.movies.len();
        let liked: Vec<(u32, f32)> = hist
            .iter()
            .filter(|e| e.strength > 0.0)
            .map(|e| (e.item, e.strength))
            .collect();
        let nh = liked.len() as f32;
        let s = &self.serve;
        let w = nh / (nh + s.history_damping);
        let mut total: Vec<f32> = self.pop.iter().map(|p| (1.0 - w) * p).collect();
        let has_cf = !liked.is_empty() && xu.is_some_and(|x| x.iter().any(|v| *v != 0.0));
        if let (true, Some(xu)) = (has_cf, xu) {
            let mut cf: Vec<f32> = self
                .item_factors
                .chunks_exact(self.k)
                .map(|y| dot(xu, y))
                .collect();
            zscore_in_place(&mut cf);
            let a = w * s.cf_share;
            for (t, c) in total.iter_mut().zip(&cf) {
                *t += a * c;
            }
        }
        let mut profile = Vec::new();
        if !liked.is_empty() {
            let a_ct = if has_cf { w * (1.0 - s.cf_share) } else { w } + s.content_floor;
            profile = self.profile(&liked);
            let mut content = vec![0f32; n];
            for &(f, pw) in &profile {
                let (films, vals) = self.postings.row(f as usize);
                for (&i, &v) in films.iter().zip(vals) {
                    content[i as usize] += pw * v;
                }
            }
            for (t, c) in total.iter_mut().zip(&content) {
                *t += 3.0 * a_ct * finite_or(*c, 0.0);
            }
        }
        Scored {
            total,
            liked,
            has_cf,
            profile,
        }
    }

    /// The normalised sparse content profile of liked films: (feature, weight).
    fn profile(&self, liked: &[(u32, f32)]) -> Vec<(u32, f32)> {
        let mut acc: HashMap<u32, f32> = HashMap::new();
        for &(i, w) in liked {
            let (fs, vs) = self.content.vectors.row(i as usize);
            for (&f, &v) in fs.iter().zip(vs) {
                *acc.entry(f).or_default() += w * v;
            }
        }
        let norm = acc.values().map(|v| v * v).sum::<f32>().sqrt();
        let mut out: Vec<(u32, f32)> = acc
            .into_iter()
            .map(|(f, v)| (f, if norm > 0.0 { v / norm } else { 0.0 }))
            .collect();
        out.sort_unstable_by_key(|e| e.0);
        out
    }

    /// Similarity of two films for diversity and explanations: ALS cosine when both have
    /// vectors, else content cosine.
    fn similarity(&self, a: u32, b: u32) -> f32 {
        let (na, nb) = (self.item_norms[a as usize], self.item_norms[b as usize]);
        if na > 0.0 && nb > 0.0 {
            let k = self.k;
            let (a, b) = (a as usize, b as usize);
            let d = dot(
                &self.item_factors[a * k..(a + 1) * k],
                &self.item_factors[b * k..(b + 1) * k],
            );
            return finite_or(d / (na * nb), 0.0);
        }
        self.content.similarity(a, b)
    }

    /// The `req.count` best films for `user`, best first, each with a finite score and a reason.
    ///
    /// Never returns a film in the user's history (rated, seen, reacted to, not interested) or
    /// in `req.exclude`; honours the genre and year filters. A user with no history gets popular
    /// films. Fewer than `count` picks only when fewer films pass the filters. Cost: one dot
    /// product per film, a sparse content pass, a bounded-heap selection of `mmr_pool`
    /// candidates and MMR over those only.
    pub fn recommend(&self, user: UserId, req: &RecRequest) -> Vec<Pick> {
        if req.count == 0 || self.movies.is_empty() {
            return Vec::new();
        }
        let hist = self.history(user);
        let sc = self.score(hist, self.user_vector(user));
        let banned: HashSet<u32> = hist
            .iter()
            .map(|e| e.item)
            .chain(req.exclude.iter().filter_map(|m| self.movies.get(*m)))
            .collect();
        let genre_mask = req.genre.map_or(0, genre_bit);
        let pool = top_k(
            &sc.total,
            self.serve.mmr_pool.max(req.count),
            |i| self.movies.id(i).0,
            |i| banned.contains(&i) || !self.passes(i as usize, req, genre_mask),
        );
        let lambda = if req.diversity_lambda.is_finite() {
            req.diversity_lambda.clamp(0.0, 1.0)
        } else {
            1.0
        };
        self.mmr(&pool, req.count, lambda)
            .into_iter()
            .map(|(i, s)| Pick {
                movie: self.movies.id(i),
                score: finite_or(s, 0.0),
                reason: self.reason(i, &sc),
            })
            .collect()
    }

    /// The cold-start ranking: what someone with no history is shown (popularity and the
    /// content prior), with the filters and exclusions of `req`. The popularity baseline of
    /// experiments serves it to everyone.
    pub fn popular(&self, req: &RecRequest) -> Vec<Pick> {
        // No user has this id, so it has no history and no vector.
        self.recommend(UserId(i64::MIN), req)
    }

    /// Each film's predicted enjoyment for `user` in [0, 1]: the percentile of the film's blended
    /// score among the user's scores for all catalog films (1 = their top film, 0 = their
    /// bottom film; tied scores share the middle of their ranks). Comparable across users, which
    /// is what group picks need. A user with no history still gets values (the popularity and
    /// content cold start). Films not in the model get 0.5, and so does every film of a
    /// one-film catalog. Always finite. Films in the user's own history are scored too (the
    /// caller filters). Cost: one scoring pass and one sort of the catalog, then a binary
    /// search per requested film, so ask for all the films you need in one call.
    pub fn enjoyment(&self, user: UserId, movies: &[MovieId]) -> Vec<f64> {
        let n = self.movies.len();
        if n < 2 {
            return vec![0.5; movies.len()];
        }
        let total: Vec<f32> = self
            .score(self.history(user), self.user_vector(user))
            .total
            .into_iter()
            .map(|t| finite_or(t, 0.0))
            .collect();
        let mut sorted = total.clone();
        sorted.sort_unstable_by(f32::total_cmp);
        let span = (n - 1) as f64;
        movies
            .iter()
            .map(|m| {
                self.movies.get(*m).map_or(0.5, |i| {
                    let s = total[i as usize];
                    let below = sorted.partition_point(|&x| x < s);
                    let ties = sorted.partition_point(|&x| x <= s) - below;
                    ((below as f64 + (ties.max(1) - 1) as f64 / 2.0) / span).clamp(0.0, 1.0)
                })
            })
            .collect()
    }

    /// Greedy MMR over `pool` (relevance rescaled to [0, 1]) with a running max-similarity per
    /// candidate: O(pool × count) similarities.
    fn mmr(&self, pool: &[(u32, f32)], count: usize, lambda: f32) -> Vec<(u32, f32)> {
        if lambda >= 1.0 {
            return pool.iter().take(count).copied().collect();
        }
        let (lo, hi) = pool
            .iter()
            .fold((f32::MAX, f32::MIN), |(a, b), p| (a.min(p.1), b.max(p.1)));
        let span = if hi > lo { hi - lo } else { 1.0 };
        let mut left: Vec<(u32, f32, f32)> = pool.iter().map(|&(i, s)| (i, s, 0.0)).collect();
        let mut out = Vec::with_capacity(count.min(pool.len()));
        while out.len() < count && !left.is_empty() {
            let mut best = (f32::MIN, 0usize);
            for (n, &(_, s, red)) in left.iter().enumerate() {
                let v = lambda * (s - lo) / span - (1.0 - lambda) * red;
                if v > best.0 {
                    best = (v, n);
                }
            }
            let (pi, ps, _) = left.remove(best.1);
            out.push((pi, ps));
            for c in &mut left {
                c.2 = c.2.max(self.similarity(c.0, pi));
            }
        }
        out
    }

    fn reason(&self, i: u32, sc: &Scored) -> Reason {
        if sc.has_cf {
            let mut best: Vec<(f32, u32)> = sc
                .liked
                .iter()
                .map(|&(j, _)| (self.similarity(i, j), j))
                .filter(|p| p.0 > 0.2)
                .collect();
            best.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            if !best.is_empty() {
                return Reason::BecauseYouLiked(
                    best.iter().take(2).map(|p| self.title(p.1)).collect(),
                );
            }
        }
        let (fs, vs) = self.content.vectors.row(i as usize);
        let mut shared: Vec<(f32, u32)> = fs
            .iter()
            .zip(vs)
            .filter_map(|(&f, &v)| {
                sc.profile
                    .binary_search_by_key(&f, |e| e.0)
                    .ok()
                    .map(|p| (sc.profile[p].1 * v, f))
            })
            .filter(|p| p.0 > 0.0)
            .collect();
        shared.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        if shared.is_empty() {
            Reason::Popular
        } else {
            Reason::Matches(
                shared
                    .iter()
                    .take(2)
                    .map(|p| self.content.features[p.1 as usize].clone())
                    .collect(),
            )
        }
    }

    /// The `count` films most like `movie` ("more like this"): `0.6·ALS cosine + 0.4·content
    /// cosine` when the film has a vector, content alone otherwise, plus a small popularity
    /// tie-break. Each pick says why: "same director: …", "also liked by fans of …" or
    /// "shares: …". Unknown film: empty.
    pub fn similar(&self, movie: MovieId, count: usize) -> Vec<Pick> {
        let Some(m) = self.movies.get(movie) else {
            return Vec::new();
        };
        let n = self.movies.len();
        let mi = m as usize;
        let mut content = vec![0f32; n];
        let (fs, vs) = self.content.vectors.row(mi);
        for (&f, &v) in fs.iter().zip(vs) {
            let (films, vals) = self.postings.row(f as usize);
            for (&i, &w) in films.iter().zip(vals) {
                content[i as usize] += v * w;
            }
        }
        let k = self.k;
        let ym = &self.item_factors[mi * k..(mi + 1) * k];
        let nm = self.item_norms[mi];
        let mut cf = vec![0f32; n];
        if nm > 0.0 {
            for ((c, y), &ny) in cf
                .iter_mut()
                .zip(self.item_factors.chunks_exact(k))
                .zip(&self.item_norms)
            {
                if ny > 0.0 {
                    *c = finite_or(dot(ym, y) / (nm * ny), 0.0);
                }
            }
        }
        let total: Vec<f32> = (0..n)
            .map(|i| {
                let base = if nm > 0.0 {
                    0.6 * cf[i] + 0.4 * content[i]
                } else {
                    content[i]
                };
                finite_or(base + 0.02 * self.pop[i], 0.0)
            })
            .collect();
        top_k(&total, count, |i| self.movies.id(i).0, |i| i == m)
            .into_iter()
            .map(|(i, s)| Pick {
                movie: self.movies.id(i),
                score: s,
                reason: self.similar_reason(m, i, cf[i as usize], content[i as usize]),
            })
            .collect()
    }

    fn similar_reason(&self, m: u32, i: u32, cf: f32, content: f32) -> Reason {
        let (fm, _) = self.content.vectors.row(m as usize);
        let (fi, vi) = self.content.vectors.row(i as usize);
        let mut shared: Vec<(f32, u32)> = fi
            .iter()
            .zip(vi)
            .filter(|(f, _)| fm.binary_search(f).is_ok())
            .map(|(&f, &v)| (v, f))
            .collect();
        shared.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        if let Some(&(_, f)) = shared
            .iter()
            .find(|p| self.content.kinds[p.1 as usize] == FeatureKind::Director)
        {
            return Reason::SameDirector(self.content.features[f as usize].clone());
        }
        if cf > 0.0 && 0.6 * cf >= 0.4 * content || shared.is_empty() {
            return Reason::AlsoLikedByFansOf(self.title(m));
        }
        Reason::Shares(
            shared
                .iter()
                .take(3)
                .map(|p| self.content.features[p.1 as usize].clone())
                .collect(),
        )
    }

    /// Updates one user from their events: for every catalog film that appears in `events`, that
    /// film's state is recomputed by [`combine`] from the given events (so pass all of the
    /// user's events about those films — the user's whole log is simplest); other films keep
    /// their state. Then the user's vector is re-solved against the fixed film factors (one
    /// k×k Cholesky, well under a millisecond). Events of other users are ignored.
    pub fn fold_in(&mut self, user: UserId, events: &[FeedbackEvent]) {
        let mine: Vec<FeedbackEvent> = events
            .iter()
            .filter(|e| e.event.user == user)
            .cloned()
            .collect();
        self.events_seen += mine.len() as u64;
        self.last_event = self.last_event.max(mine.iter().map(|e| e.id).max());
        let fresh = combine_all(&mine, &self.movies, &self.serve);
        let mut touched: HashSet<u32> = mine
            .iter()
            .filter_map(|e| self.movies.get(e.event.movie))
            .collect();
        let u = if let Some(u) = self.users.get(user) {
            u as usize
        } else {
            self.users.insert(user);
            self.histories.push(Vec::new());
            self.user_factors.extend(std::iter::repeat_n(0.0, self.k));
            self.users.len() - 1
        };
        let hist = &mut self.histories[u];
        hist.retain(|e| !touched.contains(&e.item));
        for e in fresh.get(&user).into_iter().flatten() {
            touched.remove(&e.item);
            hist.push(*e);
        }
        hist.sort_unstable_by_key(|e| e.item);
        let liked: Vec<(u32, f32)> = hist
            .iter()
            .filter(|e| e.strength > 0.0)
            .map(|e| (e.item, e.strength))
            .collect();
        let x = self.solve_user(&liked);
        self.user_factors[u * self.k..(u + 1) * self.k].copy_from_slice(&x);
    }

    /// The implicit-ALS user vector for liked films with the film factors fixed.
    #[allow(clippy::many_single_char_names, reason = "normal-equation notation")]
    fn solve_user(&self, liked: &[(u32, f32)]) -> Vec<f32> {
        let k = self.k;
        let mut a = self.gram.clone();
        let mut b = vec![0f64; k];
        let mut any = false;
        let mut strength = 0f64;
        for &(i, s) in liked {
            let y = &self.item_factors[i as usize * k..(i as usize + 1) * k];
            if self.item_norms[i as usize] == 0.0 {
                continue;
            }
            any = true;
            strength += f64::from(s);
            let c = 1.0 + f64::from(self.serve.alpha) * f64::from(s);
            for r in 0..k {
                let yr = f64::from(y[r]);
                b[r] += c * yr;
                let row = &mut a[r * k..(r + 1) * k];
                for (ars, &ys) in row.iter_mut().zip(y) {
                    *ars += (c - 1.0) * yr * f64::from(ys);
                }
            }
        }
        if !any {
            return vec![0.0; k];
        }
        let sv = &self.serve;
        let reg = scaled_reg(
            sv.reg,
            sv.reg_exponent,
            confidence_mass(f64::from(sv.mass_items), sv.alpha, strength),
            sv.mass_mean,
        );
        for d in 0..k {
            a[d * k + d] += reg;
        }
        if cholesky_solve(&mut a, &mut b, k) {
            b.iter().map(|&v| finite_or(v as f32, 0.0)).collect()
        } else {
            vec![0.0; k]
        }
    }

    /// The snapshot as bytes: `MARQSNAP`, the version (u32 LE), a JSON header of the serving
    /// parameters and counts, then length-prefixed little-endian arrays (f32/i32/u32/i64) and
    /// length-prefixed UTF-8 strings.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer(Vec::with_capacity(
            64 + self.item_factors.len() * 4 + self.user_factors.len() * 4,
        ));
        w.0.extend_from_slice(MAGIC);
        w.u32(VERSION);
        let header = Header {
            serve: self.serve,
            k: self.k,
            events_seen: self.events_seen,
            last_event: self.last_event.map(|e| e.0),
        };
        w.bytes(
            serde_json::to_string(&header)
                .unwrap_or_default()
                .as_bytes(),
        );
        w.i64s(self.movies.ids().iter().map(|m| m.0));
        w.i32s(&self.years);
        w.u32s(&self.genres);
        w.f32s(&self.pop);
        w.f32s(&self.item_factors);
        w.i64s(self.users.ids().iter().map(|u| u.0));
        w.f32s(&self.user_factors);
        let hist_ptr: Vec<u32> = std::iter::once(0)
            .chain(self.histories.iter().scan(0u32, |acc, h| {
                *acc += h.len() as u32;
                Some(*acc)
            }))
            .collect();
        let all: Vec<Entry> = self.histories.iter().flatten().copied().collect();
        w.u32s(&hist_ptr);
        w.u32s(&all.iter().map(|e| e.item).collect::<Vec<_>>());
        w.f32s(&all.iter().map(|e| e.strength).collect::<Vec<_>>());
        w.bytes(&all.iter().map(|e| e.flags).collect::<Vec<_>>());
        w.strings(&self.content.titles);
        w.strings(&self.content.features);
        w.bytes(
            &self
                .content
                .kinds
                .iter()
                .map(|k| *k as u8)
                .collect::<Vec<_>>(),
        );
        let v = &self.content.vectors;
        w.u32s(&v.ptr.iter().map(|&p| p as u32).collect::<Vec<_>>());
        w.u32s(&v.idx);
        w.f32s(&v.val);
        w.0
    }

    /// Reads [`Self::to_bytes`] output, checking the magic, the version, every length and index,
    /// and that every float is finite.
    ///
    /// # Errors
    /// [`SnapshotError`] when the bytes are not a valid snapshot of this version.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SnapshotError> {
        let mut r = Reader { b: bytes, at: 0 };
        if r.take(8)? != MAGIC {
            return Err(SnapshotError::BadMagic);
        }
        let version = r.u32()?;
        if version != VERSION {
            return Err(SnapshotError::UnsupportedVersion(version));
        }
        let header: Header =
            serde_json::from_slice(r.bytes()?).map_err(|_| SnapshotError::Corrupt("header"))?;
        let k = header.k;
        let movie_ids = r.i64s()?;
        let n = movie_ids.len();
        let mut movies = IdMap::default();
        for &m in &movie_ids {
            movies.insert(MovieId(m));
        }
        let years = r.i32s()?;
        let genres = r.u32s()?;
        let pop = r.f32s()?;
        let item_factors = r.f32s()?;
        let user_ids = r.i64s()?;
        let mut users = IdMap::default();
        for &u in &user_ids {
            users.insert(UserId(u));
        }
        let user_factors = r.f32s()?;
        let hist_ptr = r.u32s()?;
        let h_items = r.u32s()?;
        let h_strength = r.f32s()?;
        let h_flags = r.bytes()?.to_vec();
        let titles = r.strings()?;
        let features = r.strings()?;
        let kinds: Option<Vec<FeatureKind>> = r
            .bytes()?
            .iter()
            .map(|&c| FeatureKind::from_code(c))
            .collect();
        let c_ptr: Vec<usize> = r.u32s()?.into_iter().map(|p| p as usize).collect();
        let c_idx = r.u32s()?;
        let c_val = r.f32s()?;
        let ok = valid_lengths(&Lengths {
            k,
            n,
            users: users.len(),
            distinct: movies.len() == n && users.len() == user_ids.len(),
            years: years.len(),
            genres: genres.len(),
            titles: titles.len(),
            features: features.len(),
            kinds: kinds.as_ref().map(Vec::len),
            hist_ptr: &hist_ptr,
            h_items: &h_items,
            h_other: [h_strength.len(), h_flags.len()],
            c_ptr: &c_ptr,
            c_idx: &c_idx,
            c_val: c_val.len(),
            floats: [&pop, &item_factors, &user_factors, &h_strength, &c_val],
        }) && r.at == bytes.len();
        if !ok {
            return Err(SnapshotError::Corrupt("inconsistent lengths or values"));
        }
        let histories = split_histories(&hist_ptr, &h_items, &h_strength, &h_flags);
        let content = ContentIndex {
            items: movies.clone(),
            titles,
            features,
            kinds: kinds.unwrap_or_default(),
            vectors: Csr {
                ptr: c_ptr,
                idx: c_idx,
                val: c_val,
            },
        };
        let mut snap = Self {
            serve: header.serve,
            movies,
            years,
            genres,
            pop,
            k,
            item_factors,
            users,
            user_factors,
            histories,
            content,
            events_seen: header.events_seen,
            last_event: header.last_event.map(EventId),
            item_norms: Vec::new(),
            gram: Vec::new(),
            postings: Csr::default(),
        };
        snap.derive();
        Ok(snap)
    }
}

/// Per-user histories from the flat stored arrays (already validated).
fn split_histories(ptr: &[u32], items: &[u32], strength: &[f32], flags: &[u8]) -> Vec<Vec<Entry>> {
    ptr.windows(2)
        .map(|w| {
            (w[0] as usize..w[1] as usize)
                .map(|j| Entry {
                    item: items[j],
                    strength: strength[j],
                    flags: flags[j],
                })
                .collect()
        })
        .collect()
}

/// The decoded arrays' shapes, checked by [`valid_lengths`].
struct Lengths<'a> {
    k: usize,
    n: usize,
    users: usize,
    distinct: bool,
    years: usize,
    genres: usize,
    titles: usize,
    features: usize,
    kinds: Option<usize>,
    hist_ptr: &'a [u32],
    h_items: &'a [u32],
    h_other: [usize; 2],
    c_ptr: &'a [usize],
    c_idx: &'a [u32],
    c_val: usize,
    floats: [&'a [f32]; 5],
}

/// Every length, pointer array and index of a decoded snapshot is consistent, and every float
/// is finite.
fn valid_lengths(l: &Lengths<'_>) -> bool {
    let n = l.n;
    let ptr_ok = |p: &[usize], len: usize| {
        p.first() == Some(&0) && p.windows(2).all(|w| w[0] <= w[1]) && p.last() == Some(&len)
    };
    let hist_ptr: Vec<usize> = l.hist_ptr.iter().map(|&p| p as usize).collect();
    l.k > 0
        && l.distinct
        && [l.years, l.genres, l.titles, l.floats[0].len()] == [n; 4]
        && l.floats[1].len() == n * l.k
        && l.floats[2].len() == l.users * l.k
        && hist_ptr.len() == l.users + 1
        && ptr_ok(&hist_ptr, l.h_items.len())
        && l.h_other == [l.h_items.len(); 2]
        && l.h_items.iter().all(|&i| (i as usize) < n)
        && l.kinds == Some(l.features)
        && l.c_ptr.len() == n + 1
        && ptr_ok(l.c_ptr, l.c_idx.len())
        && l.c_val == l.c_idx.len()
        && l.c_idx.iter().all(|&f| (f as usize) < l.features)
        && l.floats.iter().all(|v| v.iter().all(|x| x.is_finite()))
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Header {
    serve: Serve,
    k: usize,
    events_seen: u64,
    last_event: Option<i64>,
}

struct Writer(Vec<u8>);

impl Writer {
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn len(&mut self, n: usize) {
        self.0.extend_from_slice(&(n as u64).to_le_bytes());
    }
    fn bytes(&mut self, b: &[u8]) {
        self.len(b.len());
        self.0.extend_from_slice(b);
    }
    fn f32s(&mut self, v: &[f32]) {
        self.len(v.len());
        for x in v {
            self.0.extend_from_slice(&x.to_le_bytes());
        }
    }
    fn u32s(&mut self, v: &[u32]) {
        self.len(v.len());
        for x in v {
            self.0.extend_from_slice(&x.to_le_bytes());
        }
    }
    fn i32s(&mut self, v: &[i32]) {
        self.len(v.len());
        for x in v {
            self.0.extend_from_slice(&x.to_le_bytes());
        }
    }
    fn i64s(&mut self, v: impl ExactSizeIterator<Item = i64>) {
        self.len(v.len());
        for x in v {
            self.0.extend_from_slice(&x.to_le_bytes());
        }
    }
    fn strings(&mut self, v: &[String]) {
        self.len(v.len());
        for s in v {
            self.bytes(s.as_bytes());
        }
    }
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], SnapshotError> {
        let end = self.at.checked_add(n).ok_or(SnapshotError::Truncated)?;
        let s = self.b.get(self.at..end).ok_or(SnapshotError::Truncated)?;
        self.at = end;
        Ok(s)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], SnapshotError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }
    fn u32(&mut self) -> Result<u32, SnapshotError> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    fn len(&mut self, elem: usize) -> Result<usize, SnapshotError> {
        let n = usize::try_from(u64::from_le_bytes(self.array()?))
            .map_err(|_| SnapshotError::Truncated)?;
        // Refuse lengths the remaining bytes cannot hold before allocating.
        if n.saturating_mul(elem) > self.b.len() - self.at {
            return Err(SnapshotError::Truncated);
        }
        Ok(n)
    }
    fn bytes(&mut self) -> Result<&'a [u8], SnapshotError> {
        let n = self.len(1)?;
        self.take(n)
    }
    fn f32s(&mut self) -> Result<Vec<f32>, SnapshotError> {
        let n = self.len(4)?;
        (0..n)
            .map(|_| Ok(f32::from_le_bytes(self.array()?)))
            .collect()
    }
    fn u32s(&mut self) -> Result<Vec<u32>, SnapshotError> {
        let n = self.len(4)?;
        (0..n).map(|_| self.u32()).collect()
    }
    fn i32s(&mut self) -> Result<Vec<i32>, SnapshotError> {
        let n = self.len(4)?;
        (0..n)
            .map(|_| Ok(i32::from_le_bytes(self.array()?)))
            .collect()
    }
    fn i64s(&mut self) -> Result<Vec<i64>, SnapshotError> {
        let n = self.len(8)?;
        (0..n)
            .map(|_| Ok(i64::from_le_bytes(self.array()?)))
            .collect()
    }
    fn strings(&mut self) -> Result<Vec<String>, SnapshotError> {
        let n = self.len(8)?;
        (0..n)
            .map(|_| {
                String::from_utf8(self.bytes()?.to_vec())
                    .map_err(|_| SnapshotError::Corrupt("a string is not UTF-8"))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::MovieInfo;
    use crate::domain::events::{FeedbackKind, NewFeedbackEvent};

    fn film(id: i64, genre: Genre, kw: &str, director: &str, year: i32) -> Movie {
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

    fn ev(id: i64, user: i64, movie: i64, kind: FeedbackKind, value: Option<f64>) -> FeedbackEvent {
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
    fn world() -> (Vec<Movie>, Vec<FeedbackEvent>) {
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

    fn params() -> TrainParams {
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

    fn ids(p: &[Pick]) -> Vec<i64> {
        p.iter().map(|p| p.movie.0).collect()
    }

    #[test]
    fn a_fan_of_three_space_films_gets_a_fourth_in_their_top_5() {
        let (movies, events) = world();
        let s = train(&movies, &events, &params()).expect("trains");
        let picks = s.recommend(
            UserId(900),
            &RecRequest {
                count: 5,
                ..RecRequest::default()
            },
        );
        assert!(ids(&picks).iter().any(|m| (3..6).contains(m)), "{picks:?}");
        assert!(ids(&picks).iter().all(|m| !(0..3).contains(m)));
        assert!(picks.iter().all(|p| p.score.is_finite()));
        assert!(
            matches!(picks[0].reason, Reason::BecauseYouLiked(_)),
            "{:?}",
            picks[0]
        );
    }

    #[test]
    fn enjoyment_is_a_percentile_that_agrees_with_the_ranking() {
        let (movies, events) = world();
        let s = train(&movies, &events, &params()).expect("trains");
        let all: Vec<MovieId> = movies.iter().map(|m| m.id).collect();
        let first = RecRequest {
            count: 1,
            diversity_lambda: 1.0,
            ..RecRequest::default()
        };
        for u in [900, 12_345] {
            let e = s.enjoyment(UserId(u), &all);
            assert_eq!(e.len(), all.len());
            assert!(e.iter().all(|x| x.is_finite() && (0.0..=1.0).contains(x)));
            // Over the whole catalog the percentiles average one half.
            let mean = e.iter().sum::<f64>() / e.len() as f64;
            assert!((mean - 0.5).abs() < 1e-9, "{mean}");
            // The top pick is the best-enjoyed film outside the history.
            let top = s.recommend(UserId(u), &first)[0].movie;
            let at = |m: MovieId| e[all.iter().position(|x| *x == m).expect("in catalog")];
            let best_unseen = all
                .iter()
                .filter(|m| {
                    s.history(UserId(u))
                        .iter()
                        .all(|h| s.movies.id(h.item) != **m)
                })
                .map(|m| at(*m))
                .fold(0.0, f64::max);
            assert!((at(top) - best_unseen).abs() < 1e-12, "{u}: {e:?}");
        }
        // The space fan enjoys the other space films more than the westerns.
        let e = s.enjoyment(UserId(900), &all);
        let mean_of = |ids: std::ops::Range<i64>| {
            let v: Vec<f64> = ids
                .map(|m| e[all.iter().position(|x| x.0 == m).expect("in catalog")])
                .collect();
            v.iter().sum::<f64>() / v.len() as f64
        };
        assert!(mean_of(3..6) > mean_of(10..16) + 0.2, "{e:?}");
        assert!(e.iter().any(|x| (*x - 1.0).abs() < 1e-12));
        // Unknown films, empty requests and tiny catalogs.
        let unknown = s.enjoyment(UserId(900), &[MovieId(9_999), MovieId(0)]);
        assert!(
            (unknown[0] - 0.5).abs() < 1e-12 && unknown[1] > 0.5,
            "{unknown:?}"
        );
        assert!(s.enjoyment(UserId(900), &[]).is_empty());
        let one = train(&movies[..1], &[], &TrainParams::default()).expect("trains");
        assert_eq!(one.enjoyment(UserId(1), &[movies[0].id]), vec![0.5]);
        let empty = train(&[], &[], &TrainParams::default()).expect("trains");
        assert_eq!(empty.enjoyment(UserId(1), &[MovieId(1)]), vec![0.5]);
    }

    #[test]
    fn a_snapshot_round_trips_through_bytes_and_recommends_the_same() {
        let (movies, events) = world();
        let s = train(&movies, &events, &params()).expect("trains");
        let bytes = s.to_bytes();
        let back = ModelSnapshot::from_bytes(&bytes).expect("reads back");
        let req = RecRequest::default();
        for u in [0, 1, 2, 900, 12345] {
            assert_eq!(
                s.recommend(UserId(u), &req),
                back.recommend(UserId(u), &req)
            );
        }
        assert_eq!(s.similar(MovieId(1), 5), back.similar(MovieId(1), 5));
        assert_eq!(back.events_seen(), events.len() as u64);
        assert_eq!(back.to_bytes(), bytes);
        assert_eq!(
            ModelSnapshot::from_bytes(&bytes[..bytes.len() - 3]).err(),
            Some(SnapshotError::Truncated)
        );
        assert_eq!(
            ModelSnapshot::from_bytes(b"nonsense").err(),
            Some(SnapshotError::BadMagic)
        );
        let mut bad = bytes.clone();
        bad[0] = b'X';
        assert_eq!(
            ModelSnapshot::from_bytes(&bad).err(),
            Some(SnapshotError::BadMagic)
        );
        bad.clone_from(&bytes);
        bad[8] = 99;
        assert_eq!(
            ModelSnapshot::from_bytes(&bad).err(),
            Some(SnapshotError::UnsupportedVersion(99))
        );
    }

    #[test]
    fn a_not_interested_film_never_comes_back() {
        let (movies, mut events) = world();
        events.push(ev(10_000, 900, 3, FeedbackKind::NotInterested, None));
        let mut s = train(&movies, &events, &params()).expect("trains");
        let all = RecRequest {
            count: 100,
            ..RecRequest::default()
        };
        assert!(!ids(&s.recommend(UserId(900), &all)).contains(&3));
        // Also when it arrives by fold-in, and after a round trip.
        s.fold_in(
            UserId(900),
            &[ev(10_001, 900, 4, FeedbackKind::NotInterested, None)],
        );
        let s = ModelSnapshot::from_bytes(&s.to_bytes()).expect("reads back");
        let got = ids(&s.recommend(UserId(900), &all));
        assert!(!got.contains(&3) && !got.contains(&4), "{got:?}");
        assert_eq!(got.len(), movies.len() - 5);
    }

    #[test]
    fn a_frequency_scaled_snapshot_keeps_its_scaling_and_still_folds_in() {
        let (movies, events) = world();
        let mut p = params();
        p.als.reg_exponent = 1.0;
        let s = train(&movies, &events, &p).expect("trains");
        assert!((s.serve.reg_exponent - 1.0).abs() < f32::EPSILON);
        assert!(s.serve.mass_mean > 0.0 && s.serve.mass_items > 0.0);
        let mut back = ModelSnapshot::from_bytes(&s.to_bytes()).expect("reads back");
        assert_eq!(back.serve, s.serve);
        let plain = train(&movies, &events, &params()).expect("trains");
        assert!(plain.serve.reg_exponent.abs() < f32::EPSILON);
        // Fold-in on the restored snapshot uses the scaled λ and still follows the new likes.
        let likes: Vec<FeedbackEvent> = (10..13)
            .map(|m| ev(20_000 + m, 777, m, FeedbackKind::Reaction, Some(5.0)))
            .collect();
        back.fold_in(UserId(777), &likes);
        let req = RecRequest {
            count: 5,
            ..RecRequest::default()
        };
        let after = back.recommend(UserId(777), &req);
        assert!(
            ids(&after).iter().any(|m| (13..16).contains(m)),
            "{after:?}"
        );
    }

    #[test]
    fn fold_in_changes_the_next_recommendation() {
        let (movies, events) = world();
        let mut s = train(&movies, &events, &params()).expect("trains");
        let req = RecRequest {
            count: 5,
            ..RecRequest::default()
        };
        let before = s.recommend(UserId(777), &req);
        assert!(before.iter().all(|p| p.reason == Reason::Popular));
        let likes: Vec<FeedbackEvent> = (10..13)
            .map(|m| ev(20_000 + m, 777, m, FeedbackKind::Reaction, Some(5.0)))
            .collect();
        s.fold_in(UserId(777), &likes);
        let after = s.recommend(UserId(777), &req);
        assert_ne!(ids(&before), ids(&after));
        assert!(
            ids(&after).iter().any(|m| (13..16).contains(m)),
            "{after:?}"
        );
        assert!(
            s.user_vector(UserId(777))
                .is_some_and(|v| v.iter().any(|x| *x != 0.0))
        );
        assert_eq!(s.last_event_id(), Some(EventId(20_012)));
    }

    #[test]
    fn genre_and_year_filters_hold() {
        let (movies, events) = world();
        let s = train(&movies, &events, &params()).expect("trains");
        let req = RecRequest {
            count: 50,
            genre: Some(Genre::SciFi),
            min_year: Some(1990),
            max_year: Some(2010),
            ..RecRequest::default()
        };
        for u in [1, 900, 4242] {
            let picks = s.recommend(UserId(u), &req);
            assert!(!picks.is_empty());
            for p in &picks {
                let m = movies.iter().find(|m| m.id == p.movie).expect("in catalog");
                assert!(m.info.genres.contains(&Genre::SciFi));
                assert!((1990..=2010).contains(&m.info.year.unwrap_or(0)), "{m:?}");
            }
        }
        let excl = RecRequest {
            count: 100,
            exclude: vec![MovieId(26), MovieId(27)],
            ..RecRequest::default()
        };
        assert!(
            s.recommend(UserId(4242), &excl)
                .iter()
                .all(|p| p.movie.0 != 26 && p.movie.0 != 27)
        );
    }

    #[test]
    fn similar_films_explain_themselves() {
        let (movies, events) = world();
        let s = train(&movies, &events, &params()).expect("trains");
        let sim = s.similar(MovieId(0), 4);
        assert_eq!(sim.len(), 4);
        assert!(ids(&sim).iter().all(|m| (1..6).contains(m)), "{sim:?}");
        assert!(
            sim.iter()
                .all(|p| p.score.is_finite() && p.movie != MovieId(0))
        );
        // Films 0, 2, 4 share "Dir S0".
        let same = sim
            .iter()
            .find(|p| p.movie == MovieId(2))
            .expect("film 2 is similar");
        assert_eq!(same.reason.to_string(), "same director: Dir S0");
        assert!(s.similar(MovieId(999), 3).is_empty());
    }

    #[test]
    fn tiny_and_empty_inputs_do_not_panic() {
        let one = vec![film(1, Genre::Drama, "x", "Someone", 2001)];
        let s = train(&one, &[], &TrainParams::default()).expect("trains");
        let picks = s.recommend(UserId(1), &RecRequest::default());
        assert_eq!(ids(&picks), vec![1]);
        assert!(picks[0].score.is_finite());
        assert!(s.similar(MovieId(1), 5).is_empty());
        let back = ModelSnapshot::from_bytes(&s.to_bytes()).expect("round trip");
        assert_eq!(back.recommend(UserId(1), &RecRequest::default()).len(), 1);
        let mut empty = train(&[], &[], &TrainParams::default()).expect("trains");
        assert!(
            empty
                .recommend(UserId(1), &RecRequest::default())
                .is_empty()
        );
        empty.fold_in(UserId(1), &[ev(1, 1, 5, FeedbackKind::Rating, Some(4.0))]);
        assert!(ModelSnapshot::from_bytes(&empty.to_bytes()).is_ok());
        // A user whose only film is not in the catalog.
        let s = train(
            &one,
            &[ev(1, 2, 77, FeedbackKind::Rating, Some(5.0))],
            &TrainParams::default(),
        )
        .expect("trains");
        assert_eq!(s.recommend(UserId(2), &RecRequest::default()).len(), 1);
    }

    #[test]
    fn a_cold_start_user_sees_this_years_favourite_before_an_old_one() {
        let day = 86_400_000i64;
        let films = vec![
            film(1, Genre::Drama, "x", "A", 2001),
            film(2, Genre::Drama, "y", "B", 2002),
        ];
        // Film 1: eight fans two years ago; film 2: eight fans this month.
        let mut events = Vec::new();
        for u in 0..8 {
            let mut old = ev(u + 1, u + 1, 1, FeedbackKind::Rating, Some(5.0));
            old.event.created_at_ms = u * day;
            let mut new = ev(u + 100, u + 100, 2, FeedbackKind::Rating, Some(5.0));
            new.event.created_at_ms = 730 * day + u * day;
            events.extend([old, new]);
        }
        let s = train(&films, &events, &TrainParams::default()).expect("trains");
        assert_eq!(
            ids(&s.recommend(UserId(9999), &RecRequest::default()))[0],
            2
        );
        let flat = TrainParams {
            pop_half_life_days: 0.0,
            ..TrainParams::default()
        };
        let s = train(&films, &events, &flat).expect("trains");
        // Without decay the tie goes to the smaller id.
        assert_eq!(
            ids(&s.recommend(UserId(9999), &RecRequest::default()))[0],
            1
        );
    }
}
