//! Taste vectors: every eligible user's factor and genre/decade content vectors and likes, built
//! from the model, the catalog and the event log ([`taste_vectors`]).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::{CONTENT_DIM, DECADES, TasteParams};
use crate::domain::catalog::{Genre, Movie};
use crate::domain::events::FeedbackEvent;
use crate::domain::ids::{MovieId, UserId};
use crate::domain::recommend::digest::{Combined, LogDigest, LogDigestBuilder};
use crate::domain::recommend::snapshot::ModelSnapshot;

/// Weight of the decade block relative to the genre block in content vectors.
const DECADE_WEIGHT: f32 = 0.5;

/// What one film contributes to features and names.
#[derive(Debug, Clone, Default)]
pub(super) struct FilmFeatures {
    pub(super) genres: u32,
    pub(super) decade: Option<usize>,
    pub(super) keywords: Vec<u32>,
    pub(super) directors: Vec<u32>,
}

/// Which vectors a grouping was clustered on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TasteSpace {
    /// Matrix-factorisation user vectors of this many factors.
    Factors(usize),
    /// Genre/decade affinity vectors ([`CONTENT_DIM`]).
    Content,
}

/// Every eligible user's taste vectors and likes, built by [`taste_vectors`]; the input of
/// [`cluster_taste`](super::cluster_taste) and [`project`](super::project).
#[derive(Debug, Clone)]
pub struct TasteVectors {
    pub(super) users: Vec<UserId>,
    pub(super) factor_dim: usize,
    /// users × factor_dim, raw (normalised later); `has_factor` says which rows count.
    pub(super) factors: Vec<f32>,
    pub(super) has_factor: Vec<bool>,
    /// users × CONTENT_DIM, centred, unnormalised.
    pub(super) content: Vec<f32>,
    /// Per user: (film index, like strength > 0).
    pub(super) likes: Vec<Vec<(u32, f32)>>,
    pub(super) film_ids: Vec<MovieId>,
    pub(super) films: Vec<FilmFeatures>,
    pub(super) keywords: Vec<String>,
    pub(super) directors: Vec<String>,
    pub(super) warnings: Vec<String>,
}

impl TasteVectors {
    /// Users with at least [`TasteParams::min_signals`] films with a state, sorted by id.
    pub fn users(&self) -> &[UserId] {
        &self.users
    }

    /// Users whose factor vector is used.
    pub fn factor_users(&self) -> usize {
        self.has_factor.iter().filter(|&&b| b).count()
    }
}

/// (film index, strength) pairs: a user's likes or dislikes.
type Strengths = Vec<(u32, f32)>;

fn decade_of(year: Option<i32>) -> Option<usize> {
    let y = year.filter(|&y| y > 1800)?;
    Some(((y - 1920) / 10).clamp(0, DECADES as i32 - 1) as usize)
}

/// Builds every eligible user's vectors from the model, the catalog and the events given (a
/// server's members' events for that server's groups).
pub fn taste_vectors<'e>(
    snapshot: &ModelSnapshot,
    catalog: &[Movie],
    events: impl IntoIterator<Item = &'e FeedbackEvent>,
    params: &TasteParams,
) -> TasteVectors {
    let mut log = LogDigestBuilder::new(catalog);
    for e in events {
        log.push_event(e);
    }
    taste_vectors_of(snapshot, catalog, log.finish(0.0).users(), params)
}

/// [`taste_vectors`] from the combined log (see [`LogDigest`]) of the people given, by id,
/// built over the same `catalog`.
#[allow(
    clippy::too_many_lines,
    reason = "each long function is one pipeline read top to bottom"
)]
pub fn taste_vectors_of<'d>(
    snapshot: &ModelSnapshot,
    catalog: &[Movie],
    people: impl IntoIterator<Item = (UserId, &'d [Combined])>,
    params: &TasteParams,
) -> TasteVectors {
    let mut film_index: HashMap<MovieId, u32> = HashMap::new();
    let mut film_ids = Vec::new();
    let mut films = Vec::new();
    let mut kw_index: HashMap<String, u32> = HashMap::new();
    let mut keywords = Vec::new();
    let mut dir_index: HashMap<String, u32> = HashMap::new();
    let mut directors = Vec::new();
    for m in catalog {
        if film_index.contains_key(&m.id) {
            continue;
        }
        film_index.insert(m.id, film_ids.len() as u32);
        film_ids.push(m.id);
        let intern = |s: &str, index: &mut HashMap<String, u32>, names: &mut Vec<String>| {
            let key = s.trim().to_lowercase();
            *index.entry(key).or_insert_with(|| {
                names.push(s.trim().to_owned());
                names.len() as u32 - 1
            })
        };
        films.push(FilmFeatures {
            genres: m.info.genres.iter().fold(0, |a, g| {
                a | Genre::ALL.iter().position(|x| x == g).map_or(0, |p| 1 << p)
            }),
            decade: decade_of(m.info.year),
            keywords: m
                .info
                .keywords
                .iter()
                .filter(|k| !k.trim().is_empty())
                .map(|k| intern(k, &mut kw_index, &mut keywords))
                .collect(),
            directors: m
                .info
                .directors
                .iter()
                .filter(|k| !k.trim().is_empty())
                .map(|k| intern(k, &mut dir_index, &mut directors))
                .collect(),
        });
    }
    // Per user: films with a state, likes, and dislikes (used only by someone with no like).
    let mut signals: Vec<(UserId, (usize, Strengths, Strengths))> = Vec::new();
    for (u, pairs) in people {
        let mut entry = (0, Strengths::new(), Strengths::new());
        for pair in pairs {
            let (i, r) = (pair.item(), LogDigest::rating(pair));
            if r.value.is_none() && !r.seen && !r.not_interested {
                continue;
            }
            entry.0 += 1;
            let w = if r.explicit { 1.0 } else { r.weight as f32 };
            let strength = match r.value {
                _ if r.not_interested => 0.0,
                Some(v) if v >= params.like_threshold => (w * ((v as f32 - 2.5) / 2.5).max(0.2))
                    .max(if r.seen { params.seen_strength } else { 0.0 }),
                None if r.seen => params.seen_strength,
                _ => 0.0,
            };
            if strength > 0.0 && strength.is_finite() {
                entry.1.push((i, strength));
            }
            if let Some(v) = r.value.filter(|&v| v < params.like_threshold) {
                let dislike = w * ((params.like_threshold - v) as f32 / 2.5).max(0.2);
                if dislike > 0.0 && dislike.is_finite() {
                    entry.2.push((i, dislike));
                }
            }
        }
        if entry.0 > 0 {
            signals.push((u, entry));
        }
    }
    let factor_dim = snapshot.factors();
    let mut out = TasteVectors {
        users: Vec::new(),
        factor_dim,
        factors: Vec::new(),
        has_factor: Vec::new(),
        content: Vec::new(),
        likes: Vec::new(),
        film_ids,
        films,
        keywords,
        directors,
        warnings: Vec::new(),
    };
    let (mut few, mut bad_factors) = (0usize, 0usize);
    let mut placed: Vec<bool> = Vec::new();
    for (u, (n_signals, likes, dislikes)) in signals {
        if n_signals < params.min_signals {
            few += 1;
            continue;
        }
        out.users.push(u);
        let v = snapshot.user_vector(u);
        let finite = v.is_some_and(|v| v.iter().all(|x| x.is_finite()));
        if v.is_some() && !finite {
            bad_factors += 1;
        }
        let usable = finite
            && likes.len() >= params.mf_min_likes
            && v.is_some_and(|v| v.iter().any(|&x| x != 0.0));
        out.has_factor.push(usable);
        match v {
            Some(v) if v.len() == factor_dim && usable => out.factors.extend_from_slice(v),
            _ => out.factors.extend(std::iter::repeat_n(0.0, factor_dim)),
        }
        // What they like; someone who rated but liked nothing is placed away from what they
        // disliked.
        let (profile, sign) = if likes.is_empty() {
            (&dislikes, -1.0)
        } else {
            (&likes, 1.0)
        };
        let mut c = [0f32; CONTENT_DIM];
        let total: f32 = profile.iter().map(|l| l.1).sum();
        for &(i, s) in profile {
            let share = sign * s / total;
            let f = &out.films[i as usize];
            for (g, slot) in c.iter_mut().enumerate().take(Genre::ALL.len()) {
                if f.genres & (1 << g) != 0 {
                    *slot += share;
                }
            }
            if let Some(d) = f.decade {
                c[Genre::ALL.len() + d] += DECADE_WEIGHT * share;
            }
        }
        out.content.extend_from_slice(&c);
        placed.push(!profile.is_empty());
        out.likes.push(likes);
    }
    if few > 0 {
        out.warnings.push(format!(
            "{few} users with fewer than {} signals have no group",
            params.min_signals
        ));
    }
    if bad_factors > 0 {
        out.warnings.push(format!(
            "{bad_factors} users with NaN or infinite factors use their genre profile instead"
        ));
    }
    // Centre the content vectors on the average user with a profile.
    let liking: Vec<usize> = (0..out.users.len()).filter(|&u| placed[u]).collect();
    if !liking.is_empty() {
        let mut mean = [0f32; CONTENT_DIM];
        for &u in &liking {
            for (m, &v) in mean
                .iter_mut()
                .zip(&out.content[u * CONTENT_DIM..(u + 1) * CONTENT_DIM])
            {
                *m += v / liking.len() as f32;
            }
        }
        for &u in &liking {
            for (v, &m) in out.content[u * CONTENT_DIM..(u + 1) * CONTENT_DIM]
                .iter_mut()
                .zip(&mean)
            {
                *v -= m;
            }
        }
    }
    out
}
