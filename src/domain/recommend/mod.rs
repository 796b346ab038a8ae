//! Recommenders: pure, seeded models that learn a server's taste from its feedback events.
//!
//! **What serves users**: [`snapshot`], the trained serving model (popularity, implicit ALS,
//! content and every user's history) with fold-in, MMR re-ranking, explanations ([`Pick`],
//! [`Reason`]) and a versioned byte format; and [`cold`], what someone without likes is shown
//! (their server's recent favourites, then well-known, well-liked films over many decades). It is built from [`als`] (implicit-feedback ALS with
//! a conjugate-gradient solver, Hu/Koren/Volinsky 2008, Takács/Pilászy/Tikk 2011), [`content`]
//! (TF-IDF film profiles) and [`baseline::decayed_counts`] (recency-weighted popularity).
//!
//! **Offline comparisons only** (run by `marquee eval`, never served): [`ease`] (EASE, a
//! closed-form item-item model, Steck 2019), the star-rating models in [`rating`] (kNN, MF,
//! their blend) and the rest of [`baseline`] (ALS biases, damped-mean popularity), scored by
//! [`metrics`].
//!
//! Every model is built the same way (linfa style): a `…Params` builder with defaults →
//! [`Params::check`] gives [`Checked`] parameters or a [`ParamError`] → `Checked::fit(&Ratings)`
//! gives the model or a [`FitError`]. Fitted models implement [`Recommender`] (top-N over their
//! films) and, for star ratings, [`RatingModel`]. [`data`] holds the sparse training matrices
//! and [`linalg`] the small dense solvers.
//!
//! No I/O, no clock, no global randomness: every random choice comes from a seed in the params.

pub mod als;
pub mod baseline;
pub mod cold;
pub mod content;
pub mod data;
pub mod digest;
pub mod ease;
pub mod linalg;
pub mod metrics;
mod pick;
pub mod rating;
pub mod snapshot;

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashSet};

use crate::domain::ids::{MovieId, UserId};

pub use data::{IdMap, Ratings, Signals};
pub use pick::{Acclaim, Pick, Reason};

/// A hyper-parameter outside its valid range.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{model}: {name} must be {expected}, got {got}")]
pub struct ParamError {
    pub model: &'static str,
    pub name: &'static str,
    pub expected: &'static str,
    pub got: String,
}

/// Training data a model cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DataError {
    /// A value is NaN or infinite.
    #[error("the value for user {user} and film {movie} is not a finite number")]
    NonFinite { user: UserId, movie: MovieId },
    /// There is nothing to learn from.
    #[error("{0}: the training data are empty")]
    Empty(&'static str),
}

/// Why a fit failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError {
    #[error(transparent)]
    Params(#[from] ParamError),
    #[error(transparent)]
    Data(#[from] DataError),
}

/// Hyper-parameters that can be validated.
pub trait Params: Sized {
    /// Checks every field; only checked params can fit a model.
    ///
    /// # Errors
    /// The first field outside its range.
    fn check(self) -> Result<Checked<Self>, ParamError>;
}

/// Parameters that passed [`Params::check`]. Each model implements `fit` on its own
/// `Checked<…Params>`.
#[derive(Debug, Clone)]
pub struct Checked<P>(P);

impl<P> Checked<P> {
    /// The validated parameters.
    pub fn params(&self) -> &P {
        &self.0
    }
}

#[allow(
    clippy::needless_pass_by_value,
    reason = "callers pass small Copy values; taking them by value keeps call sites short"
)]
pub(crate) fn ensure(
    ok: bool,
    model: &'static str,
    name: &'static str,
    expected: &'static str,
    got: impl ToString,
) -> Result<(), ParamError> {
    if ok {
        Ok(())
    } else {
        Err(ParamError {
            model,
            name,
            expected,
            got: got.to_string(),
        })
    }
}

/// A film and its score, higher is better.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    pub movie: MovieId,
    pub score: f32,
}

/// A model that ranks films for a user.
pub trait Recommender {
    /// The films the model can score, in its dense order.
    fn items(&self) -> &IdMap<MovieId>;

    /// Writes one finite score per film (`out.len() == items().len()`), higher = better. A user
    /// the model has never seen gets its non-personal fallback (popularity), never an error.
    fn score_into(&self, user: UserId, out: &mut [f32]);

    /// The `k` best films for `user`, not in `exclude`, best first, ties to the smaller id.
    /// `k` larger than the catalog returns every allowed film.
    fn recommend(&self, user: UserId, k: usize, exclude: &HashSet<MovieId>) -> Vec<Scored> {
        let items = self.items();
        let mut scores = vec![0f32; items.len()];
        self.score_into(user, &mut scores);
        top_k(
            &scores,
            k,
            |i| items.id(i).0,
            |i| exclude.contains(&items.id(i)),
        )
        .into_iter()
        .map(|(i, s)| Scored {
            movie: items.id(i),
            score: s,
        })
        .collect()
    }
}

/// A model that predicts star ratings.
pub trait RatingModel {
    /// The predicted rating, always finite. Unknown user or film: the known biases, or the
    /// global mean when nothing is known. Not clipped (callers clip to their scale).
    fn predict(&self, user: UserId, movie: MovieId) -> f32;
}

#[derive(Debug, Clone, Copy)]
struct HeapEntry {
    score: f32,
    key: i64,
    idx: u32,
}

impl HeapEntry {
    /// "Better" = higher score, then smaller key.
    fn better(&self, other: &Self) -> Ordering {
        self.score
            .total_cmp(&other.score)
            .then_with(|| other.key.cmp(&self.key))
    }
}

impl PartialEq for HeapEntry {
    fn eq(&self, other: &Self) -> bool {
        self.better(other) == Ordering::Equal
    }
}
impl Eq for HeapEntry {}
impl PartialOrd for HeapEntry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for HeapEntry {
    // Reversed so the BinaryHeap (a max-heap) keeps the worst entry on top.
    fn cmp(&self, other: &Self) -> Ordering {
        other.better(self)
    }
}

/// The `k` best indices of `scores` (highest first, ties to the smaller `key(i)`), skipping
/// indices for which `skip(i)` holds. Non-finite scores rank last. O(n log k).
pub fn top_k(
    scores: &[f32],
    k: usize,
    key: impl Fn(u32) -> i64,
    skip: impl Fn(u32) -> bool,
) -> Vec<(u32, f32)> {
    if k == 0 {
        return Vec::new();
    }
    let mut heap: BinaryHeap<HeapEntry> = BinaryHeap::with_capacity(k.min(scores.len()) + 1);
    for (i, &s) in scores.iter().enumerate() {
        let s = if s.is_finite() { s } else { f32::MIN };
        if heap.len() == k
            && let Some(worst) = heap.peek()
            && s < worst.score
        {
            continue;
        }
        let idx = i as u32;
        if skip(idx) {
            continue;
        }
        let e = HeapEntry {
            score: s,
            key: key(idx),
            idx,
        };
        if heap.len() < k {
            heap.push(e);
        } else if let Some(mut top) = heap.peek_mut()
            && e.better(&top) == Ordering::Greater
        {
            *top = e;
        }
    }
    let mut v = heap.into_vec();
    v.sort_by(|a, b| b.better(a));
    v.into_iter().map(|e| (e.idx, e.score)).collect()
}

/// Dot product written so the compiler vectorises it (8 independent accumulators).
#[allow(clippy::many_single_char_names, reason = "vector maths notation")]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0f32; 8];
    let chunks = n / 8;
    for c in 0..chunks {
        let (x, y) = (&a[c * 8..c * 8 + 8], &b[c * 8..c * 8 + 8]);
        for j in 0..8 {
            acc[j] += x[j] * y[j];
        }
    }
    let mut s: f32 = acc.iter().sum();
    for j in chunks * 8..n {
        s += a[j] * b[j];
    }
    s
}

/// Replaces a non-finite value by `fallback`.
pub(crate) fn finite_or(v: f32, fallback: f32) -> f32 {
    if v.is_finite() { v } else { fallback }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_breaks_ties_by_the_smaller_key_and_skips() {
        let scores = [1.0, 3.0, 3.0, f32::NAN, 2.0];
        let got = top_k(&scores, 3, |i| 10 - i64::from(i), |i| i == 4);
        assert_eq!(got.iter().map(|p| p.0).collect::<Vec<_>>(), vec![2, 1, 0]);
    }

    #[test]
    fn k_larger_than_the_catalog_returns_the_whole_catalog() {
        let scores = [0.5, 0.1, 0.9];
        let got = top_k(&scores, 100, i64::from, |_| false);
        assert_eq!(got.iter().map(|p| p.0).collect::<Vec<_>>(), vec![2, 0, 1]);
    }

    #[test]
    fn dot_matches_the_naive_sum() {
        let a: Vec<f32> = (0..19).map(|x| x as f32).collect();
        let b: Vec<f32> = (0..19).map(|x| 1.0 - x as f32 * 0.5).collect();
        let naive: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - naive).abs() < 1e-3);
    }
}
