//! Taste groups (issue 6): users clustered by what they like, with stable keys and readable names.
//!
//! **Vectors.** A user with at least [`TasteParams::mf_min_likes`] liked films and a finite,
//! non-zero matrix-factorisation vector ([`ModelSnapshot::user_vector`]) is placed in the
//! *factor space*; every user with at least [`TasteParams::min_signals`] films with any state
//! also gets a *content vector*: the like-weighted share of each genre and decade in their
//! history, minus the average user's shares. Rows are L2-normalised, so Euclidean k-means on them
//! approximates spherical (cosine) k-means.
//!
//! **Clustering.** k-means from `linfa-clustering` on f32 rows, with our own greedy k-means++
//! seeding (Arthur & Vassilvitskii 2007, "k-means++: the advantages of careful seeding"; the
//! greedy variant as in scikit-learn), seeded, best of several runs run in parallel, with a
//! slice-based distance ([`FastL2`]). k is chosen per data set by the mean silhouette
//! (Rousseeuw 1987, "Silhouettes: a graphical aid to the interpretation and validation of cluster
//! analysis") of a fixed subsample over `k_min..=k_max`, rejecting any k with a group below the
//! minimum size and taking the smallest k within [`TasteParams::silhouette_slack`] of the best.
//! The factor space is used when enough users have one, otherwise the content space; users
//! outside the clustered space join the group whose content centroid is nearest.
//!
//! **Stable identity.** Groups are matched to the previous run's by the distance between their
//! content centroids (genre/decade profiles, which mean the same thing after every retraining,
//! unlike ALS factors whose axes change), greedily from the closest pair. A matched group keeps
//! its key and name; a user stays in their previous group unless another centroid is closer by
//! more than [`TasteParams::stickiness`].
//!
//! **Names** come from the features over-represented among the group's liked films (genres,
//! decades, keywords, directors), scored by `share × ln(lift)`, with fixed wording and fixed
//! tie-breaks, so the same data always gives the same names.
//!
//! Nothing here panics on bad input: too few users, identical users, zero or non-finite vectors
//! give fewer groups (or none) and a note in [`TasteGroups::warnings`].
//!
//! Agreement with planted groups is measured by the adjusted Rand index (Hubert & Arabie 1985,
//! "Comparing partitions"), [`adjusted_rand_index`].
#![allow(
    clippy::many_single_char_names,
    reason = "maths notation: n users, k groups, d dimensions, c centroids"
)]
#![allow(
    clippy::too_many_lines,
    reason = "each long function is one pipeline read top to bottom"
)]
#![allow(
    clippy::unnested_or_patterns,
    reason = "the genre-pair table reads best one pair per pattern"
)]
#![allow(clippy::needless_for_each, reason = "in-place scaling one-liners")]
#![allow(
    clippy::needless_range_loop,
    reason = "index loops over parallel per-user arrays"
)]
#![allow(
    clippy::single_match_else,
    reason = "a match reads better for Some/None with bodies"
)]

use std::collections::{BTreeMap, HashMap};

use linfa::DatasetBase;
use linfa::prelude::Fit;
use linfa_clustering::{KMeans, KMeansInit};
use linfa_nn::distance::Distance;
use ndarray::parallel::prelude::{IndexedParallelIterator, IntoParallelIterator, ParallelIterator};
use ndarray::{Array2, ArrayView, ArrayView2, Dimension};
use rand_xoshiro::Xoshiro256Plus;
use rand_xoshiro::rand_core::{RngCore, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::domain::catalog::{Genre, Movie};
use crate::domain::events::{FeedbackEvent, NewFeedbackEvent};
use crate::domain::feedback::combine;
use crate::domain::ids::{MovieId, UserId};
use crate::domain::recommend::snapshot::ModelSnapshot;

/// A group's stable identifier: kept across reclusterings when the group is matched.
pub type GroupKey = u32;

/// Decade bins of the content space: before 1930, then the 1930s … the 2020s (and later).
const DECADES: usize = 11;
/// Dimensions of the content space: genres, then decades.
pub const CONTENT_DIM: usize = Genre::ALL.len() + DECADES;
/// Weight of the decade block relative to the genre block in content vectors.
const DECADE_WEIGHT: f32 = 0.5;
/// Favourites kept per group.
const FAVOURITES_KEPT: usize = 50;
/// Smoothing of the lift `(share_group + a) / (share_all + a)`.
const LIFT_SMOOTHING: f64 = 0.01;

/// Hyper-parameters of taste grouping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TasteParams {
    /// Smallest k tried (≥ 2).
    pub k_min: usize,
    /// Largest k tried.
    pub k_max: usize,
    /// k-means++ restarts of the final fit (best inertia wins).
    pub n_runs: usize,
    /// Restarts per k during the silhouette sweep.
    pub sweep_runs: usize,
    /// Users the k sweep fits on (a fixed random subsample).
    pub sweep_sample: usize,
    /// Users the silhouette is computed on (exact, O(m²)).
    pub silhouette_sample: usize,
    /// A k is kept only if its best silhouette is within this of the best k's; the smallest wins.
    pub silhouette_slack: f64,
    /// Below this best silhouette there is no group structure: one group.
    pub min_silhouette: f64,
    /// Smallest group, in users.
    pub min_group_size: usize,
    /// Smallest group, as a share of the clustered users.
    pub min_group_share: f64,
    /// Relative tolerance, as scikit-learn's `tol`: stop when the squared centroid shift is at
    /// most `tolerance × mean feature variance`.
    pub tolerance: f64,
    /// Lloyd iterations per run at most.
    pub max_iterations: u64,
    /// Films with any state a user needs to get a group at all.
    pub min_signals: usize,
    /// Liked films a user needs for their factor vector to be used.
    pub mf_min_likes: usize,
    /// Users with factor vectors needed to cluster in the factor space.
    pub min_factor_users: usize,
    /// A value at or above this (0.5–5 scale) is a like.
    pub like_threshold: f64,
    /// Like strength of a film seen without a rating.
    pub seen_strength: f32,
    /// Largest distance between unit content centroids for a new group to inherit an old one.
    pub match_max_distance: f64,
    /// A user keeps their previous group while its squared centroid distance is at most the
    /// nearest one's plus this.
    pub stickiness: f64,
    /// Seed of every random choice.
    pub seed: u64,
}

impl Default for TasteParams {
    fn default() -> Self {
        Self {
            k_min: 2,
            k_max: 10,
            n_runs: 10,
            sweep_runs: 10,
            sweep_sample: 10_000,
            silhouette_sample: 2_000,
            silhouette_slack: 0.005,
            min_silhouette: 0.02,
            min_group_size: 5,
            min_group_share: 0.03,
            tolerance: 1e-4,
            max_iterations: 300,
            min_signals: 3,
            mf_min_likes: 10,
            min_factor_users: 50,
            like_threshold: 3.0,
            seen_strength: 0.3,
            match_max_distance: 0.8,
            stickiness: 0.05,
            seed: 0x7A57_E006,
        }
    }
}

/// Squared Euclidean distance on contiguous slices with independent accumulators, so the
/// compiler vectorises it; about 1.4× faster than `linfa_nn`'s `L2Dist` for k-means.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FastL2;

/// `Σ (a − b)²` over two equal-length slices.
#[inline]
pub fn sq_dist<F: linfa::Float>(a: &[F], b: &[F]) -> F {
    let mut acc = [F::zero(); 8];
    let (ca, ra) = a.split_at(a.len() - a.len() % 8);
    let (cb, rb) = b.split_at(ca.len().min(b.len()));
    for (x, y) in ca.chunks_exact(8).zip(cb.chunks_exact(8)) {
        for l in 0..8 {
            let d = x[l] - y[l];
            acc[l] += d * d;
        }
    }
    let mut tail = F::zero();
    for (&x, &y) in ra.iter().zip(rb) {
        let d = x - y;
        tail += d * d;
    }
    (acc[0] + acc[4]) + (acc[1] + acc[5]) + (acc[2] + acc[6]) + (acc[3] + acc[7]) + tail
}

impl<F: linfa::Float> Distance<F> for FastL2 {
    fn distance<D: Dimension>(&self, a: ArrayView<'_, F, D>, b: ArrayView<'_, F, D>) -> F {
        self.rdistance(a, b).sqrt()
    }

    #[inline]
    fn rdistance<D: Dimension>(&self, a: ArrayView<'_, F, D>, b: ArrayView<'_, F, D>) -> F {
        match (a.as_slice(), b.as_slice()) {
            (Some(x), Some(y)) => sq_dist(x, y),
            _ => a.iter().zip(b.iter()).fold(F::zero(), |s, (&x, &y)| {
                let d = x - y;
                s + d * d
            }),
        }
    }

    fn rdist_to_dist(&self, rdist: F) -> F {
        rdist.sqrt()
    }

    fn dist_to_rdist(&self, dist: F) -> F {
        dist * dist
    }
}

/// One k-means fit.
#[derive(Debug, Clone, PartialEq)]
pub struct KMeansFit {
    /// k × dim, row-major.
    pub centroids: Vec<f64>,
    /// The nearest centroid of every row.
    pub labels: Vec<usize>,
    /// Σ squared distance to the nearest centroid (scikit-learn's `inertia_`).
    pub inertia_sum: f64,
    /// `inertia_sum / n` (what linfa's `inertia()` reports).
    pub inertia_mean: f64,
}

/// The seed of run `run` of a fit seeded `seed` (SplitMix64's finaliser): every run has its own
/// stream, so a run's result does not depend on the thread or the order it ran in.
fn run_seed(seed: u64, run: u64) -> u64 {
    let mut z = seed ^ run.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Fits k-means (k-means++ seeding, best of `n_runs`) with linfa on the rows of `x` (f32 or
/// f64; f32 halves the memory traffic and doubles the SIMD width of the distances).
/// `tolerance` is absolute, as linfa wants it (see [`absolute_tolerance`]).
///
/// The runs are independent tasks on rayon's global pool (`RAYON_NUM_THREADS`; linfa's
/// assignment step uses the same pool, so a run that finishes early helps the others), each
/// seeded by [`run_seed`]: the result is the same for any number of threads. The best run is
/// the lowest inertia, ties going to the lowest run index. Labels and inertia are computed
/// once, from the best run's centroids, in f64.
/// Returns `None` when linfa refuses (k = 0, k > rows, no rows, non-positive tolerance).
pub fn fit_kmeans<F: linfa::Float + Into<f64>>(
    x: &Array2<F>,
    k: usize,
    n_runs: usize,
    seed: u64,
    tolerance: f64,
    max_iterations: u64,
) -> Option<KMeansFit> {
    let n = x.nrows();
    if k == 0
        || n < k
        || n_runs == 0
        || tolerance.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater)
    {
        return None;
    }
    let x = x.as_standard_layout();
    let x = x.view();
    // linfa's own k-means++ recomputes every point's distance to all chosen centres at each
    // step (O(k²·n)); seeding here updates the minimum incrementally (O(k·n)) and hands the
    // seeds to linfa's Lloyd loop with n_runs(1).
    let runs: Vec<Option<(f64, Array2<F>)>> = (0..n_runs)
        .into_par_iter()
        .with_max_len(1)
        .map(|run| {
            let mut rng = Xoshiro256Plus::seed_from_u64(run_seed(seed, run as u64));
            let seeds = kmeans_plusplus(x, k, &mut rng);
            let model = KMeans::params_with(k, rng, FastL2)
                .n_runs(1)
                .tolerance(F::cast(tolerance))
                .max_n_iterations(max_iterations.max(1))
                .init_method(KMeansInit::Precomputed(seeds))
                .fit(&DatasetBase::from(x))
                .ok()?;
            let inertia: f64 = model.inertia().into();
            inertia
                .is_finite()
                .then(|| (inertia, model.centroids().clone()))
        })
        .collect();
    // `min_by` keeps the first of equal minima: the lowest run index.
    let (_, centroids) = runs
        .into_iter()
        .flatten()
        .min_by(|a, b| a.0.total_cmp(&b.0))?;
    // linfa 0.8.1's cluster_count() belongs to the last run, not the best, and its predict()
    // computes one distance more per point than needed: one pass of our own instead.
    let cs = centroids.as_standard_layout();
    let cs = cs.as_slice()?;
    let d = x.ncols();
    let mut labels = ndarray::Array1::<usize>::zeros(n);
    let mut dists = ndarray::Array1::<f64>::zeros(n);
    ndarray::Zip::from(x.rows())
        .and(&mut labels)
        .and(&mut dists)
        .par_for_each(|row, l, s| {
            if let Some(r) = row.as_slice() {
                let (i, best) = nearest_in(r, cs, d);
                *l = i;
                *s = best.into();
            }
        });
    let inertia_sum: f64 = dists.iter().sum();
    Some(KMeansFit {
        centroids: cs.iter().map(|&c| c.into()).collect(),
        labels: labels.to_vec(),
        inertia_sum,
        inertia_mean: inertia_sum / n as f64,
    })
}

/// The nearest of `dim`-long `centroids` to `row` (same float type): (index, squared distance);
/// the first of equal distances wins.
fn nearest_in<F: linfa::Float>(row: &[F], centroids: &[F], dim: usize) -> (usize, F) {
    let mut best = (0, F::infinity());
    for (i, c) in centroids.chunks_exact(dim.max(1)).enumerate() {
        let s = sq_dist(row, c);
        if s < best.1 {
            best = (i, s);
        }
    }
    best
}

/// Greedy k-means++ seeding (Arthur & Vassilvitskii 2007, with scikit-learn's greedy variant):
/// the first centre uniformly; each next one by drawing `2 + ⌊ln k⌋` candidates with
/// probability proportional to the squared distance to the nearest centre so far, and keeping
/// the candidate that lowers the total of those distances most. It costs a few Lloyd
/// iterations' worth of distances but lands in fewer bad starts than plain k-means++ (one
/// candidate), which on overlapping groups saves many more iterations than it costs.
fn kmeans_plusplus<F: linfa::Float + Into<f64>>(
    x: ArrayView2<'_, F>,
    k: usize,
    rng: &mut Xoshiro256Plus,
) -> Array2<F> {
    let (n, d) = x.dim();
    let trials = 2 + (k.max(1) as f64).ln().floor() as usize;
    let mut centres = Array2::zeros((k, d));
    let uniform = |rng: &mut Xoshiro256Plus| (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    let first = ((uniform(rng) * n as f64) as usize).min(n - 1);
    centres.row_mut(0).assign(&x.row(first));
    if k == 1 {
        return centres;
    }
    let mut closest = ndarray::Array1::from_elem(n, F::zero());
    {
        let c0 = centres.row(0);
        let c0 = c0.as_slice().unwrap_or(&[]);
        ndarray::Zip::from(x.rows())
            .and(&mut closest)
            .par_for_each(|row, m| {
                if let Some(r) = row.as_slice() {
                    *m = sq_dist(r, c0);
                }
            });
    }
    // Per point, its squared distance to the nearest centre if each candidate were added.
    let mut with = Array2::from_elem((n, trials), F::zero());
    let mut cand = Array2::<F>::zeros((trials, d));
    let mut targets = vec![(0f64, 0usize); trials];
    for c in 1..k {
        let total: f64 = closest.iter().map(|&m| m.into()).sum();
        if !(total > 0.0 && total.is_finite()) {
            // Every point is on a centre already: repeat the first point (linfa copes).
            centres.row_mut(c).assign(&x.row(0));
            continue;
        }
        for (t, slot) in targets.iter_mut().enumerate() {
            *slot = (uniform(rng) * total, t);
        }
        targets.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut ids = vec![n - 1; trials];
        let mut cum = 0f64;
        let mut next = 0;
        for (i, &m) in closest.iter().enumerate() {
            cum += m.into();
            while next < trials && targets[next].0 < cum {
                ids[targets[next].1] = i;
                next += 1;
            }
            if next == trials {
                break;
            }
        }
        for (t, &id) in ids.iter().enumerate() {
            cand.row_mut(t).assign(&x.row(id));
        }
        let cs = cand.as_slice().unwrap_or(&[]);
        ndarray::Zip::from(x.rows())
            .and(with.rows_mut())
            .and(&closest)
            .par_for_each(|row, mut out, &m| {
                if let Some(r) = row.as_slice() {
                    for (o, cc) in out.iter_mut().zip(cs.chunks_exact(d.max(1))) {
                        let s = sq_dist(r, cc);
                        *o = if s < m { s } else { m };
                    }
                }
            });
        let w = with.as_slice().unwrap_or(&[]);
        let mut pots = vec![0f64; trials];
        for row in w.chunks_exact(trials) {
            for (p, &v) in pots.iter_mut().zip(row) {
                *p += v.into();
            }
        }
        // The first of equal potentials wins.
        let best = (0..trials).fold(0, |b, t| if pots[t] < pots[b] { t } else { b });
        centres.row_mut(c).assign(&cand.row(best));
        for (m, row) in closest.iter_mut().zip(w.chunks_exact(trials)) {
            *m = row[best];
        }
    }
    centres
}

/// linfa's absolute tolerance (Frobenius norm of the centroid shift) equivalent to
/// scikit-learn's relative `tol`: `sqrt(tol × mean feature variance)`, never 0.
pub fn absolute_tolerance<F: linfa::Float + Into<f64>>(x: &Array2<F>, relative: f64) -> f64 {
    let (n, d) = x.dim();
    if n == 0 || d == 0 {
        return 1e-12;
    }
    let mut mean = vec![0f64; d];
    let mut sq = vec![0f64; d];
    for row in x.rows() {
        for ((m, s), &v) in mean.iter_mut().zip(&mut sq).zip(row.iter()) {
            let v: f64 = v.into();
            *m += v;
            *s += v * v;
        }
    }
    let nf = n as f64;
    let mean_var = mean
        .iter()
        .zip(&sq)
        .map(|(m, s)| (s / nf - (m / nf).powi(2)).max(0.0))
        .sum::<f64>()
        / d as f64;
    (relative.max(0.0) * mean_var).sqrt().max(1e-12)
}

/// The adjusted Rand index of two labelings of the same items (Hubert & Arabie 1985): 1 for
/// identical partitions (up to renaming), about 0 for independent ones. Two single-cluster
/// (or empty) labelings score 1.
pub fn adjusted_rand_index(a: &[usize], b: &[usize]) -> f64 {
    let n = a.len().min(b.len());
    if n < 2 {
        return 1.0;
    }
    let mut table: HashMap<(usize, usize), u64> = HashMap::new();
    let mut ra: HashMap<usize, u64> = HashMap::new();
    let mut rb: HashMap<usize, u64> = HashMap::new();
    for (&x, &y) in a.iter().zip(b).take(n) {
        *table.entry((x, y)).or_default() += 1;
        *ra.entry(x).or_default() += 1;
        *rb.entry(y).or_default() += 1;
    }
    let c2 = |v: u64| (v as f64) * (v as f64 - 1.0) / 2.0;
    let index: f64 = table.values().map(|&v| c2(v)).sum();
    let sa: f64 = ra.values().map(|&v| c2(v)).sum();
    let sb: f64 = rb.values().map(|&v| c2(v)).sum();
    let expected = sa * sb / c2(n as u64);
    let max = f64::midpoint(sa, sb);
    if (max - expected).abs() < 1e-12 {
        return 1.0;
    }
    (index - expected) / (max - expected)
}

/// The mean silhouette (Rousseeuw 1987) of `labels` over the rows of `x` (exact, O(n²)).
/// A point alone in its cluster scores 0 (as scikit-learn); fewer than two clusters score 0.
pub fn silhouette<F: linfa::Float + Into<f64>>(x: &Array2<F>, labels: &[usize], k: usize) -> f64 {
    let n = x.nrows().min(labels.len());
    if n < 2 || k < 2 {
        return 0.0;
    }
    let mut counts = vec![0usize; k];
    for &l in &labels[..n] {
        if let Some(c) = counts.get_mut(l) {
            *c += 1;
        }
    }
    if counts.iter().filter(|&&c| c > 0).count() < 2 {
        return 0.0;
    }
    let rows: Vec<&[F]> = x.rows().into_iter().filter_map(|r| r.to_slice()).collect();
    if rows.len() < n {
        return 0.0;
    }
    let mut total = 0.0;
    let mut sums = vec![0f64; k];
    for i in 0..n {
        sums.iter_mut().for_each(|s| *s = 0.0);
        for j in 0..n {
            if i != j {
                sums[labels[j]] += sq_dist(rows[i], rows[j]).into().sqrt();
            }
        }
        let own = labels[i];
        if counts[own] < 2 {
            continue;
        }
        let a = sums[own] / (counts[own] - 1) as f64;
        let b = (0..k)
            .filter(|&c| c != own && counts[c] > 0)
            .map(|c| sums[c] / counts[c] as f64)
            .fold(f64::INFINITY, f64::min);
        let m = a.max(b);
        if m > 0.0 && b.is_finite() {
            total += (b - a) / m;
        }
    }
    total / n as f64
}

/// A deterministic sample of `m` of `0..n` (all of them, shuffled, when `m ≥ n`).
fn sample_indices(n: usize, m: usize, seed: u64) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..n).collect();
    let mut rng = Xoshiro256Plus::seed_from_u64(seed);
    let m = m.min(n);
    for i in 0..m {
        let span = (n - i) as u128;
        let j = i + ((u128::from(rng.next_u64()) * span) >> 64) as usize;
        idx.swap(i, j);
    }
    idx.truncate(m);
    idx
}

/// L2-normalises `dim`-long rows (in f64, stored as f32). Returns the kept rows' indices and the
/// matrix, leaving out rows with a non-finite value or a norm below 1e-9, and counts of both.
fn normalised_rows(rows: &[f32], dim: usize) -> (Vec<usize>, Array2<f32>, usize, usize) {
    let mut kept = Vec::new();
    let mut data = Vec::new();
    let (mut bad, mut zero) = (0, 0);
    if dim == 0 {
        return (kept, Array2::zeros((0, 0)), 0, rows.len());
    }
    for (i, r) in rows.chunks_exact(dim).enumerate() {
        if r.iter().any(|v| !v.is_finite()) {
            bad += 1;
            continue;
        }
        let norm = r.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>().sqrt();
        if norm < 1e-9 {
            zero += 1;
            continue;
        }
        kept.push(i);
        data.extend(r.iter().map(|&v| (f64::from(v) / norm) as f32));
    }
    let x =
        Array2::from_shape_vec((kept.len(), dim), data).unwrap_or_else(|_| Array2::zeros((0, dim)));
    (kept, x, bad, zero)
}

/// The result of [`cluster_rows`].
#[derive(Debug, Clone, PartialEq)]
pub struct Clustering {
    /// Groups found (0 when no row could be clustered).
    pub k: usize,
    /// Dimensions of a row.
    pub dim: usize,
    /// The group of every input row; `None` for rows left out (non-finite or zero).
    pub labels: Vec<Option<usize>>,
    /// k × dim centroids of the normalised rows, row-major.
    pub centroids: Vec<f64>,
    /// Group sizes.
    pub sizes: Vec<usize>,
    /// Mean silhouette per k tried (k, score; `NaN` when a group was too small).
    pub silhouettes: Vec<(usize, f64)>,
    /// Σ squared distance of the final fit.
    pub inertia_sum: f64,
    /// Mean squared distance of the final fit.
    pub inertia_mean: f64,
    /// What went wrong or was left out, for the log.
    pub warnings: Vec<String>,
}

/// Clusters `dim`-long rows (row-major): normalises them, chooses k by silhouette over
/// `k_min..=k_max` (see the module docs), then fits k-means with `n_runs` restarts. Never panics.
pub fn cluster_rows(rows: &[f32], dim: usize, params: &TasteParams) -> Clustering {
    let n_in = rows.len().checked_div(dim).unwrap_or(0);
    let mut warnings = Vec::new();
    let (kept, x, bad, zero) = normalised_rows(rows, dim);
    if bad > 0 {
        warnings.push(format!(
            "{bad} vectors with NaN or infinite values left out"
        ));
    }
    if zero > 0 {
        warnings.push(format!("{zero} all-zero vectors left out"));
    }
    let mut out = Clustering {
        k: 0,
        dim,
        labels: vec![None; n_in],
        centroids: Vec::new(),
        sizes: Vec::new(),
        silhouettes: Vec::new(),
        inertia_sum: 0.0,
        inertia_mean: 0.0,
        warnings,
    };
    let n = x.nrows();
    if n == 0 {
        out.warnings.push("no usable vectors: no groups".to_owned());
        return out;
    }
    let tol = absolute_tolerance(&x, params.tolerance);
    let min_size = |m: usize| -> usize {
        let share = (params.min_group_share * m as f64).ceil() as usize;
        let abs = (params.min_group_size * m).div_ceil(n);
        share.max(abs).max(1)
    };
    let k_max = params.k_max.min(n / min_size(n).max(1)).min(n);
    let k_min = params.k_min.max(2);
    let mut k = 1;
    if k_max < k_min {
        out.warnings.push(format!(
            "{n} users are too few for {k_min} groups of at least {} each: one group",
            min_size(n)
        ));
    } else {
        let sweep_idx = sample_indices(n, params.sweep_sample.max(k_max), params.seed);
        let sweep = x.select(ndarray::Axis(0), &sweep_idx);
        let m = sweep.nrows();
        let sil_n = params.silhouette_sample.clamp(2, m.max(2)).min(m);
        let sil_x = sweep
            .slice_axis(ndarray::Axis(0), ndarray::Slice::from(0..sil_n))
            .to_owned();
        let mut best: Option<f64> = None;
        for kk in k_min..=k_max {
            let Some(fit) = fit_kmeans(
                &sweep,
                kk,
                params.sweep_runs.max(1),
                params.seed ^ (kk as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
                tol,
                params.max_iterations,
            ) else {
                out.silhouettes.push((kk, f64::NAN));
                continue;
            };
            let mut sizes = vec![0usize; kk];
            for &l in &fit.labels {
                sizes[l] += 1;
            }
            if sizes.iter().any(|&s| s < min_size(m)) {
                out.silhouettes.push((kk, f64::NAN));
                continue;
            }
            let s = silhouette(&sil_x, &fit.labels[..sil_n], kk);
            out.silhouettes.push((kk, s));
            best = Some(best.map_or(s, |b: f64| b.max(s)));
        }
        match best {
            None => out.warnings.push(
                "every k from the sweep gave a group below the minimum size (users too alike): one group"
                    .to_owned(),
            ),
            Some(b) if b < params.min_silhouette => out.warnings.push(format!(
                "no clear taste structure (best silhouette {b:.3} < {:.3}): one group",
                params.min_silhouette
            )),
            Some(b) => {
                k = out
                    .silhouettes
                    .iter()
                    .find(|(_, s)| s.is_finite() && *s >= b - params.silhouette_slack)
                    .map_or(1, |&(kk, _)| kk);
            }
        }
    }
    let fit = if k >= 2 {
        fit_kmeans(
            &x,
            k,
            params.n_runs.max(1),
            params.seed,
            tol,
            params.max_iterations,
        )
    } else {
        None
    };
    let (mut centroids, mut labels) = match fit {
        Some(f) => (f.centroids, f.labels),
        None => {
            k = 1;
            let mut c = vec![0f64; dim];
            for row in x.rows() {
                for (ci, &v) in c.iter_mut().zip(row.iter()) {
                    *ci += f64::from(v) / n as f64;
                }
            }
            (c, vec![0; n])
        }
    };
    // Fold groups below the minimum size into their members' next-nearest groups.
    loop {
        let mut sizes = vec![0usize; k];
        for &l in &labels {
            sizes[l] += 1;
        }
        let Some(small) = (0..k)
            .filter(|&g| sizes[g] < min_size(n))
            .min_by_key(|&g| sizes[g])
        else {
            break;
        };
        if k == 1 {
            break;
        }
        out.warnings.push(format!(
            "a group of {} users was below the minimum size and merged",
            sizes[small]
        ));
        centroids.drain(small * dim..(small + 1) * dim);
        k -= 1;
        for (l, row) in labels.iter_mut().zip(x.rows()) {
            if *l >= small {
                if *l > small {
                    *l -= 1;
                    continue;
                }
                if let Some(r) = row.as_slice() {
                    *l = nearest_f32(r, &centroids, dim);
                }
            }
        }
    }
    let mut sizes = vec![0usize; k];
    let mut inertia_sum = 0.0;
    for (row, &l) in x.rows().into_iter().zip(&labels) {
        sizes[l] += 1;
        if let Some(r) = row.as_slice() {
            inertia_sum += sq_dist_f32(r, &centroids[l * dim..(l + 1) * dim]);
        }
    }
    for (&i, &l) in kept.iter().zip(&labels) {
        out.labels[i] = Some(l);
    }
    out.k = k;
    out.centroids = centroids;
    out.sizes = sizes;
    out.inertia_sum = inertia_sum;
    out.inertia_mean = inertia_sum / n as f64;
    out
}

/// The nearest of `dim`-long `centroids` to `row`: (index, squared distance).
fn nearest(row: &[f64], centroids: &[f64], dim: usize) -> (usize, f64) {
    centroids
        .chunks_exact(dim.max(1))
        .enumerate()
        .map(|(i, c)| (i, sq_dist(row, c)))
        .fold((0, f64::INFINITY), |b, c| if c.1 < b.1 { c } else { b })
}

/// `Σ (a − b)²` of an f32 row and an f64 centroid, in f64.
fn sq_dist_f32(a: &[f32], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| (f64::from(x) - y).powi(2))
        .sum()
}

/// The index of the nearest of `dim`-long f64 `centroids` to an f32 row (first of equals).
fn nearest_f32(row: &[f32], centroids: &[f64], dim: usize) -> usize {
    centroids
        .chunks_exact(dim.max(1))
        .enumerate()
        .map(|(i, c)| (i, sq_dist_f32(row, c)))
        .fold((0, f64::INFINITY), |b, c| if c.1 < b.1 { c } else { b })
        .0
}

/// What one film contributes to features and names.
#[derive(Debug, Clone, Default)]
struct FilmFeatures {
    genres: u32,
    decade: Option<usize>,
    keywords: Vec<u32>,
    directors: Vec<u32>,
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
/// [`cluster_taste`] and [`project`].
#[derive(Debug, Clone)]
pub struct TasteVectors {
    users: Vec<UserId>,
    factor_dim: usize,
    /// users × factor_dim, raw (normalised later); `has_factor` says which rows count.
    factors: Vec<f32>,
    has_factor: Vec<bool>,
    /// users × CONTENT_DIM, centred, unnormalised.
    content: Vec<f32>,
    /// Per user: (film index, like strength > 0).
    likes: Vec<Vec<(u32, f32)>>,
    film_ids: Vec<MovieId>,
    films: Vec<FilmFeatures>,
    keywords: Vec<String>,
    directors: Vec<String>,
    warnings: Vec<String>,
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

fn decade_of(year: Option<i32>) -> Option<usize> {
    let y = year.filter(|&y| y > 1800)?;
    Some(((y - 1920) / 10).clamp(0, DECADES as i32 - 1) as usize)
}

fn decade_label(d: usize) -> String {
    let start = 1920 + 10 * d as i32;
    match d {
        0 => "pre-1930".to_owned(),
        _ if (1950..2000).contains(&start) => format!("{}s", start - 1900),
        _ => format!("{start}s"),
    }
}

/// Builds every eligible user's vectors from the model, the catalog and the event log.
pub fn taste_vectors(
    snapshot: &ModelSnapshot,
    catalog: &[Movie],
    events: &[FeedbackEvent],
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
    // Combine each (user, film) in log order, as the recommender does.
    let mut per: BTreeMap<(UserId, u32), Vec<NewFeedbackEvent>> = BTreeMap::new();
    for e in events {
        if let Some(&i) = film_index.get(&e.event.movie) {
            per.entry((e.event.user, i))
                .or_default()
                .push(e.event.clone());
        }
    }
    let mut signals: BTreeMap<UserId, (usize, Vec<(u32, f32)>)> = BTreeMap::new();
    for ((u, i), evs) in per {
        let r = combine(&evs);
        if r.value.is_none() && !r.seen && !r.not_interested {
            continue;
        }
        let entry = signals.entry(u).or_default();
        entry.0 += 1;
        let strength = match r.value {
            _ if r.not_interested => 0.0,
            Some(v) if v >= params.like_threshold => {
                let w = if r.explicit { 1.0 } else { r.weight as f32 };
                (w * ((v as f32 - 2.5) / 2.5).max(0.2)).max(if r.seen {
                    params.seen_strength
                } else {
                    0.0
                })
            }
            None if r.seen => params.seen_strength,
            _ => 0.0,
        };
        if strength > 0.0 && strength.is_finite() {
            entry.1.push((i, strength));
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
    for (u, (n_signals, likes)) in signals {
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
        let mut c = [0f32; CONTENT_DIM];
        let total: f32 = likes.iter().map(|l| l.1).sum();
        for &(i, s) in &likes {
            let f = &out.films[i as usize];
            for (g, slot) in c.iter_mut().enumerate().take(Genre::ALL.len()) {
                if f.genres & (1 << g) != 0 {
                    *slot += s / total;
                }
            }
            if let Some(d) = f.decade {
                c[Genre::ALL.len() + d] += DECADE_WEIGHT * s / total;
            }
        }
        out.content.extend_from_slice(&c);
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
    // Centre the content vectors on the average liking user.
    let liking: Vec<usize> = (0..out.users.len())
        .filter(|&u| !out.likes[u].is_empty())
        .collect();
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

/// One taste group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TasteGroup {
    /// Stable key (kept when matched to a previous group).
    pub key: GroupKey,
    /// Readable name, e.g. "90s action".
    pub name: String,
    /// Members.
    pub size: usize,
    /// Centroid in the clustering space ([`TasteGroups::space`]), unit rows averaged.
    pub centroid: Vec<f32>,
    /// Mean normalised genre/decade profile of the members (used to match across runs).
    pub content_centroid: Vec<f32>,
    /// What distinguishes the group, strongest first (e.g. "sci-fi ×2.1", "Christopher Nolan").
    pub traits: Vec<String>,
    /// Films most liked by the members: (film, Σ like strength), best first.
    pub favourites: Vec<(MovieId, f32)>,
}

/// Every group of one clustering, with per-user assignments; stored with the model snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TasteGroups {
    /// The space the groups were clustered in.
    pub space: TasteSpace,
    groups: Vec<TasteGroup>,
    /// Sorted by id, parallel to `assignments`.
    users: Vec<UserId>,
    /// Index into `groups` of each user.
    assignments: Vec<u32>,
    /// Mean silhouette per k tried (`None`: a group was below the minimum size).
    pub silhouettes: Vec<(usize, Option<f32>)>,
    /// Mean squared distance to the centroid in the clustering space.
    pub inertia_mean: f32,
    /// The next fresh key.
    next_key: GroupKey,
    warnings: Vec<String>,
}

const GROUPS_MAGIC: &[u8; 8] = b"MARQTST1";

impl TasteGroups {
    /// An empty grouping (no users).
    pub fn empty() -> Self {
        Self {
            space: TasteSpace::Content,
            groups: Vec::new(),
            users: Vec::new(),
            assignments: Vec::new(),
            silhouettes: Vec::new(),
            inertia_mean: 0.0,
            next_key: 1,
            warnings: Vec::new(),
        }
    }

    /// The groups, largest first.
    pub fn groups(&self) -> &[TasteGroup] {
        &self.groups
    }

    /// The group with this key.
    pub fn group(&self, key: GroupKey) -> Option<&TasteGroup> {
        self.groups.iter().find(|g| g.key == key)
    }

    /// The user's group, if they have one.
    pub fn group_of(&self, user: UserId) -> Option<&TasteGroup> {
        let i = self.users.binary_search(&user).ok()?;
        self.groups.get(*self.assignments.get(i)? as usize)
    }

    /// Every (user, group key) assignment, by user id.
    pub fn assignments(&self) -> impl Iterator<Item = (UserId, GroupKey)> + '_ {
        self.users
            .iter()
            .zip(&self.assignments)
            .filter_map(|(&u, &g)| Some((u, self.groups.get(g as usize)?.key)))
    }

    /// Users with a group.
    pub fn user_count(&self) -> usize {
        self.users.len()
    }

    /// The `k` films most liked by the group's members: (film, Σ like strength), best first
    /// (ties by id). Empty for an unknown key. At most 50 are kept per group.
    pub fn group_favourites(&self, group: GroupKey, k: usize) -> Vec<(MovieId, f32)> {
        self.group(group)
            .map(|g| g.favourites.iter().take(k).copied().collect())
            .unwrap_or_default()
    }

    /// Notes for the log: users left out, degenerate input, merged groups.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Serialises for storage next to the model snapshot.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = GROUPS_MAGIC.to_vec();
        // Serialising plain data with serde_json cannot fail.
        out.extend(serde_json::to_vec(self).unwrap_or_default());
        out
    }

    /// Reads what [`Self::to_bytes`] wrote.
    ///
    /// # Errors
    /// The bytes are not a taste grouping, or are corrupt.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        let body = bytes
            .strip_prefix(GROUPS_MAGIC.as_slice())
            .ok_or_else(|| "not a Marquee taste grouping".to_owned())?;
        let g: Self =
            serde_json::from_slice(body).map_err(|e| format!("corrupt taste grouping: {e}"))?;
        if g.users.len() != g.assignments.len()
            || g.assignments.iter().any(|&a| a as usize >= g.groups.len())
            || g.users.windows(2).any(|w| w[0] >= w[1])
        {
            return Err("corrupt taste grouping: inconsistent assignments".to_owned());
        }
        Ok(g)
    }
}

fn unit(v: &[f32]) -> Option<Vec<f64>> {
    let n = v.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>().sqrt();
    (n.is_finite() && n > 1e-9).then(|| v.iter().map(|&x| f64::from(x) / n).collect())
}

/// Clusters the users of `vectors` into taste groups (see the module docs), matching them to
/// `previous` when given so keys and names carry over. Never panics; see
/// [`TasteGroups::warnings`].
#[allow(
    clippy::too_many_lines,
    reason = "one pipeline: cluster, attach, match, name"
)]
pub fn cluster_taste(
    vectors: &TasteVectors,
    previous: Option<&TasteGroups>,
    params: &TasteParams,
) -> TasteGroups {
    let n = vectors.users.len();
    let mut warnings = vectors.warnings.clone();
    let content_units: Vec<Option<Vec<f64>>> = vectors
        .content
        .chunks_exact(CONTENT_DIM)
        .map(unit)
        .collect();
    let factor_users = vectors.factor_users();
    let use_factors = vectors.factor_dim > 0 && factor_users >= params.min_factor_users.max(2);
    if !use_factors && vectors.factor_dim > 0 && n > 0 {
        warnings.push(format!(
            "only {factor_users} users have enough history for factor vectors (< {}): clustering genre/decade profiles",
            params.min_factor_users
        ));
    }
    // The clustered rows and which user each is.
    let (space, dim, members): (TasteSpace, usize, Vec<usize>) = if use_factors {
        (
            TasteSpace::Factors(vectors.factor_dim),
            vectors.factor_dim,
            (0..n).filter(|&u| vectors.has_factor[u]).collect(),
        )
    } else {
        (TasteSpace::Content, CONTENT_DIM, (0..n).collect())
    };
    let mut rows = Vec::with_capacity(members.len() * dim);
    for &u in &members {
        match space {
            TasteSpace::Factors(d) => rows.extend_from_slice(&vectors.factors[u * d..(u + 1) * d]),
            TasteSpace::Content => {
                rows.extend_from_slice(&vectors.content[u * CONTENT_DIM..(u + 1) * CONTENT_DIM]);
            }
        }
    }
    let mut c = cluster_rows(&rows, dim, params);
    warnings.append(&mut c.warnings);
    let k = c.k;
    let mut label: Vec<Option<usize>> = vec![None; n];
    for (&u, &l) in members.iter().zip(&c.labels) {
        label[u] = l;
    }
    // Content centroids of the clustered members, then attach everyone else by content.
    let content_centroids = |label: &[Option<usize>]| -> Vec<Vec<f64>> {
        let mut cc = vec![vec![0f64; CONTENT_DIM]; k];
        for (u, l) in label.iter().enumerate() {
            if let (Some(l), Some(v)) = (l, &content_units[u]) {
                for (a, b) in cc[*l].iter_mut().zip(v) {
                    *a += b;
                }
            }
        }
        cc.into_iter()
            .map(|v| {
                let n = v.iter().map(|x| x * x).sum::<f64>().sqrt();
                if n > 1e-12 {
                    v.iter().map(|x| x / n).collect()
                } else {
                    v
                }
            })
            .collect()
    };
    let mut cc = content_centroids(&label);
    let flat_cc: Vec<f64> = cc.iter().flatten().copied().collect();
    let mut attached = 0;
    let mut unplaced = 0;
    for u in 0..n {
        if label[u].is_some() || k == 0 {
            continue;
        }
        match &content_units[u] {
            Some(v) => {
                label[u] = Some(nearest(v, &flat_cc, CONTENT_DIM).0);
                attached += 1;
            }
            None => unplaced += 1,
        }
    }
    if attached > 0 && use_factors {
        warnings.push(format!(
            "{attached} users with short histories joined a group by genre/decade profile"
        ));
    }
    if unplaced > 0 {
        warnings.push(format!(
            "{unplaced} users with no usable vector have no group"
        ));
    }
    // Match to the previous groups by content centroid.
    let mut key_of: Vec<Option<GroupKey>> = vec![None; k];
    let mut name_of: Vec<Option<String>> = vec![None; k];
    let mut next_key = previous.map_or(1, |p| p.next_key.max(1));
    if let Some(prev) = previous {
        let mut pairs = Vec::new();
        for (j, new_c) in cc.iter().enumerate() {
            for (i, old) in prev.groups.iter().enumerate() {
                if old.content_centroid.len() == CONTENT_DIM {
                    let old_c: Vec<f64> =
                        old.content_centroid.iter().map(|&x| f64::from(x)).collect();
                    let d = sq_dist(new_c, &old_c).sqrt();
                    if d <= params.match_max_distance {
                        pairs.push((d, j, i));
                    }
                }
            }
        }
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        let mut used_old = vec![false; prev.groups.len()];
        for (_, j, i) in pairs {
            if key_of[j].is_none() && !used_old[i] {
                used_old[i] = true;
                key_of[j] = Some(prev.groups[i].key);
                name_of[j] = Some(prev.groups[i].name.clone());
            }
        }
        // Stickiness: a user stays in their old group unless their taste really moved.
        if k > 1 {
            let prev_idx: HashMap<UserId, GroupKey> = prev.assignments().collect();
            let key_to_new: HashMap<GroupKey, usize> = key_of
                .iter()
                .enumerate()
                .filter_map(|(j, k)| Some(((*k)?, j)))
                .collect();
            let centroid_of = |u: usize| -> Option<(Vec<f64>, &[f64], usize)> {
                if matches!(space, TasteSpace::Factors(_)) && vectors.has_factor[u] {
                    Some((
                        unit(&vectors.factors[u * dim..(u + 1) * dim])?,
                        c.centroids.as_slice(),
                        dim,
                    ))
                } else {
                    Some((content_units[u].clone()?, flat_cc.as_slice(), CONTENT_DIM))
                }
            };
            let mut stayed = 0usize;
            for u in 0..n {
                let (Some(cur), Some(old_key)) = (label[u], prev_idx.get(&vectors.users[u])) else {
                    continue;
                };
                let Some(&j) = key_to_new.get(old_key) else {
                    continue;
                };
                if j == cur {
                    continue;
                }
                if let Some((v, cents, d)) = centroid_of(u) {
                    let best = sq_dist(&v, &cents[cur * d..(cur + 1) * d]);
                    let old = sq_dist(&v, &cents[j * d..(j + 1) * d]);
                    if old <= best + params.stickiness {
                        label[u] = Some(j);
                        stayed += 1;
                    }
                }
            }
            if stayed > 0 {
                cc = content_centroids(&label);
            }
        }
    }
    // Sizes, likes and favourites per group.
    let mut sizes = vec![0usize; k];
    let mut fav: Vec<HashMap<u32, f32>> = vec![HashMap::new(); k];
    for (u, l) in label.iter().enumerate() {
        if let Some(l) = *l {
            sizes[l] += 1;
            for &(i, s) in &vectors.likes[u] {
                *fav[l].entry(i).or_default() += s;
            }
        }
    }
    let names = name_groups(vectors, &label, k);
    // Keys and names: matched groups keep theirs; new ones get fresh keys and unused names.
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by_key(|&j| (std::cmp::Reverse(sizes[j]), j));
    let mut taken: Vec<String> = name_of.iter().flatten().cloned().collect();
    let mut groups = Vec::with_capacity(k);
    let mut new_index = vec![0u32; k];
    for (pos, &j) in order.iter().enumerate() {
        new_index[j] = pos as u32;
        let key = key_of[j].unwrap_or_else(|| {
            next_key += 1;
            next_key - 1
        });
        let name = match name_of[j].take() {
            Some(n) => n,
            None => {
                let mut name = names[j].0.clone();
                let mut extra = names[j].2.iter();
                while taken.contains(&name) {
                    name = match extra.next() {
                        Some(e) => format!("{} ({e})", names[j].0),
                        None => format!("{name} +"),
                    };
                }
                taken.push(name.clone());
                name
            }
        };
        let mut favourites: Vec<(MovieId, f32)> = fav[j]
            .iter()
            .map(|(&i, &s)| (vectors.film_ids[i as usize], s))
            .collect();
        favourites.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        favourites.truncate(FAVOURITES_KEPT);
        let centroid = match space {
            TasteSpace::Factors(_) => c.centroids[j * dim..(j + 1) * dim]
                .iter()
                .map(|&x| x as f32)
                .collect(),
            TasteSpace::Content => cc[j].iter().map(|&x| x as f32).collect(),
        };
        groups.push(TasteGroup {
            key,
            name,
            size: sizes[j],
            centroid,
            content_centroid: cc[j].iter().map(|&x| x as f32).collect(),
            traits: names[j].1.clone(),
            favourites,
        });
    }
    let (users, assignments): (Vec<UserId>, Vec<u32>) = label
        .iter()
        .enumerate()
        .filter_map(|(u, l)| Some((vectors.users[u], new_index[(*l)?])))
        .unzip();
    TasteGroups {
        space,
        groups,
        users,
        assignments,
        silhouettes: c
            .silhouettes
            .iter()
            .map(|&(k, s)| (k, s.is_finite().then_some(s as f32)))
            .collect(),
        inertia_mean: c.inertia_mean as f32,
        next_key,
        warnings,
    }
}

/// Computes taste groups from the model, the catalog and the event log: [`taste_vectors`]
/// then [`cluster_taste`]. Call after each training and store the result with the snapshot.
pub fn compute_groups(
    snapshot: &ModelSnapshot,
    catalog: &[Movie],
    events: &[FeedbackEvent],
    previous: Option<&TasteGroups>,
    params: &TasteParams,
) -> TasteGroups {
    cluster_taste(
        &taste_vectors(snapshot, catalog, events, params),
        previous,
        params,
    )
}

fn genre_word(g: Genre) -> &'static str {
    match g {
        Genre::SciFi => "sci-fi",
        Genre::FilmNoir => "film noir",
        Genre::Action => "action",
        Genre::Adventure => "adventure",
        Genre::Animation => "animation",
        Genre::Comedy => "comedy",
        Genre::Crime => "crime",
        Genre::Documentary => "documentary",
        Genre::Drama => "drama",
        Genre::Family => "family",
        Genre::Fantasy => "fantasy",
        Genre::History => "history",
        Genre::Horror => "horror",
        Genre::Musical => "musical",
        Genre::Mystery => "mystery",
        Genre::Romance => "romance",
        Genre::Thriller => "thriller",
        Genre::War => "war",
        Genre::Western => "western",
    }
}

/// A fixed phrase for two genres that read better together.
fn pair_phrase(a: Genre, b: Genre) -> Option<&'static str> {
    use Genre as G;
    let (x, y) = if a <= b { (a, b) } else { (b, a) };
    Some(match (x, y) {
        (G::Animation, G::Family) | (G::Animation, G::Comedy) => "feel-good animation",
        (G::Comedy, G::Romance) => "romantic comedy",
        (G::Drama, G::Romance) => "romantic drama",
        (G::Drama, G::SciFi) | (G::Mystery, G::SciFi) | (G::SciFi, G::Thriller) => {
            "slow-burn sci-fi"
        }
        (G::Action, G::SciFi) | (G::Adventure, G::SciFi) => "sci-fi adventure",
        (G::Action, G::Adventure) => "action-adventure",
        (G::Action, G::Thriller) | (G::Action, G::Crime) => "action thriller",
        (G::Crime, G::Thriller) => "crime thriller",
        (G::Crime, G::Drama) => "crime drama",
        (G::Crime, G::FilmNoir) | (G::FilmNoir, G::Thriller) | (G::FilmNoir, G::Mystery) => {
            "film noir"
        }
        (G::Horror, G::Thriller) | (G::Horror, G::Mystery) => "suspense horror",
        (G::Mystery, G::Thriller) => "mystery thriller",
        (G::Comedy, G::Drama) => "dramedy",
        (G::Comedy, G::Family) => "family comedy",
        (G::Adventure, G::Fantasy) | (G::Action, G::Fantasy) => "fantasy adventure",
        (G::Drama, G::History) => "historical drama",
        (G::Drama, G::War) | (G::History, G::War) => "war drama",
        (G::Comedy, G::Musical) | (G::Musical, G::Romance) => "musicals",
        (G::Adventure, G::Family) | (G::Family, G::Fantasy) => "family adventure",
        _ => return None,
    })
}

/// Features ranked by `share × ln(lift)` (positive lifts only), strongest first, ties by index.
fn distinctive(
    group: &[f64],
    all: &[f64],
    g_total: f64,
    a_total: f64,
) -> Vec<(usize, f64, f64, f64)> {
    if g_total <= 0.0 || a_total <= 0.0 {
        return Vec::new();
    }
    let mut out: Vec<(usize, f64, f64, f64)> = group
        .iter()
        .zip(all)
        .enumerate()
        .filter_map(|(i, (&g, &a))| {
            let (sg, sa) = (g / g_total, a / a_total);
            let lift = (sg + LIFT_SMOOTHING) / (sa + LIFT_SMOOTHING);
            (lift > 1.0 && sg > 0.0).then(|| (i, sg * lift.ln(), sg, lift))
        })
        .collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    out
}

/// (name, traits, disambiguators) per group, from over-represented genres, decades, keywords
/// and directors among the members' liked films.
#[allow(clippy::type_complexity, reason = "private helper tuple")]
fn name_groups(
    v: &TasteVectors,
    label: &[Option<usize>],
    k: usize,
) -> Vec<(String, Vec<String>, Vec<String>)> {
    let ng = Genre::ALL.len();
    let nk = v.keywords.len();
    let nd = v.directors.len();
    // Per group and overall: weighted counts of genres, decades, keywords, directors.
    let mut genc = vec![vec![0f64; ng]; k + 1];
    let mut dec = vec![vec![0f64; DECADES]; k + 1];
    let mut kw = vec![vec![0f64; nk]; k + 1];
    let mut dir = vec![vec![0f64; nd]; k + 1];
    let mut tot = vec![0f64; k + 1];
    for (u, l) in label.iter().enumerate() {
        let Some(l) = *l else { continue };
        for &(i, s) in &v.likes[u] {
            let f = &v.films[i as usize];
            let s = f64::from(s);
            for slot in [l, k] {
                tot[slot] += s;
                for (g, c) in genc[slot].iter_mut().enumerate() {
                    if f.genres & (1 << g) != 0 {
                        *c += s;
                    }
                }
                if let Some(d) = f.decade {
                    dec[slot][d] += s;
                }
                for &x in &f.keywords {
                    kw[slot][x as usize] += s;
                }
                for &x in &f.directors {
                    dir[slot][x as usize] += s;
                }
            }
        }
    }
    (0..k)
        .map(|l| {
            let genres = distinctive(&genc[l], &genc[k], tot[l], tot[k]);
            let decades = distinctive(&dec[l], &dec[k], tot[l], tot[k]);
            let keywords = distinctive(&kw[l], &kw[k], tot[l], tot[k]);
            let dirs = distinctive(&dir[l], &dir[k], tot[l], tot[k]);
            let mut traits = Vec::new();
            for &(g, _, _, lift) in genres.iter().take(3) {
                traits.push(format!("{} ×{lift:.1}", genre_word(Genre::ALL[g])));
            }
            for &(d, _, _, lift) in decades.iter().take(1).filter(|d| d.3 >= 1.3) {
                traits.push(format!("{} ×{lift:.1}", decade_label(d)));
            }
            let strong = |x: &&(usize, f64, f64, f64)| x.2 >= 0.03 && x.3 >= 2.0;
            let kws: Vec<String> = keywords
                .iter()
                .filter(strong)
                .take(3)
                .map(|x| v.keywords[x.0].clone())
                .collect();
            let ds: Vec<String> = dirs
                .iter()
                .filter(strong)
                .take(2)
                .map(|x| v.directors[x.0].clone())
                .collect();
            traits.extend(kws.iter().cloned());
            traits.extend(ds.iter().cloned());
            let phrase = match genres.as_slice() {
                [] => "all-rounders".to_owned(),
                [(a, sa, ..), rest @ ..] => {
                    let a = Genre::ALL[*a];
                    let second = rest
                        .iter()
                        .find(|(_, s, _, lift)| *s >= 0.5 * sa && *lift >= 1.2);
                    match second {
                        Some(&(b, ..)) => pair_phrase(a, Genre::ALL[b]).map_or_else(
                            || format!("{} & {}", genre_word(a), genre_word(Genre::ALL[b])),
                            str::to_owned,
                        ),
                        None => genre_word(a).to_owned(),
                    }
                }
            };
            let decade = decades
                .first()
                .filter(|d| d.2 >= 0.3 && d.3 >= 1.4)
                .map(|d| decade_label(d.0));
            let name = match decade {
                Some(d) if !genres.is_empty() => format!("{d} {phrase}"),
                _ => phrase,
            };
            let mut extra: Vec<String> = ds.into_iter().chain(kws).collect();
            if let Some((g, ..)) = genres.get(1) {
                extra.push(genre_word(Genre::ALL[*g]).to_owned());
            }
            (capitalise(&name), traits, extra)
        })
        .collect()
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Users projected to 2-D for the taste map.
#[derive(Debug, Clone, PartialEq)]
pub struct TasteProjection {
    /// (user, x, y, group key) for the plotted sample.
    pub points: Vec<(UserId, f32, f32, GroupKey)>,
    /// (group key, x, y) of each group's centroid.
    pub centroids: Vec<(GroupKey, f32, f32)>,
    /// Share of the variance along each axis.
    pub explained: [f64; 2],
}

/// The top two principal axes of `dim`-long rows: power iteration with deflation on the
/// covariance matrix (O(n·dim²) to build it, then O(dim²) per iteration), so it scales to any
/// number of rows. Returns (mean, axes, explained variance ratio).
pub fn pca_2d(rows: &[f64], dim: usize) -> (Vec<f64>, [Vec<f64>; 2], [f64; 2]) {
    let n = rows.len().checked_div(dim).unwrap_or(0);
    let mut mean = vec![0f64; dim];
    for r in rows.chunks_exact(dim.max(1)) {
        for (m, &v) in mean.iter_mut().zip(r) {
            *m += v;
        }
    }
    mean.iter_mut().for_each(|m| *m /= n.max(1) as f64);
    let mut cov = vec![0f64; dim * dim];
    let mut centred = vec![0f64; dim];
    for r in rows.chunks_exact(dim.max(1)) {
        for ((c, &v), &m) in centred.iter_mut().zip(r).zip(&mean) {
            *c = v - m;
        }
        for a in 0..dim {
            let ca = centred[a];
            for (cv, &cb) in cov[a * dim..(a + 1) * dim].iter_mut().zip(&centred) {
                *cv += ca * cb;
            }
        }
    }
    cov.iter_mut()
        .for_each(|c| *c /= n.saturating_sub(1).max(1) as f64);
    let trace: f64 = (0..dim).map(|i| cov[i * dim + i]).sum();
    let mut axes: [Vec<f64>; 2] = [vec![0f64; dim], vec![0f64; dim]];
    let mut explained = [0f64; 2];
    for (slot, axis) in axes.iter_mut().enumerate() {
        // Deterministic start that is unlikely to be orthogonal to the top eigenvector.
        let mut v: Vec<f64> = (0..dim)
            .map(|i| 1.0 + (i as f64 * 0.618_033_988_75).fract())
            .collect();
        let mut lambda = 0.0;
        for _ in 0..500 {
            let mut w: Vec<f64> = (0..dim)
                .map(|a| {
                    cov[a * dim..(a + 1) * dim]
                        .iter()
                        .zip(&v)
                        .map(|(c, x)| c * x)
                        .sum()
                })
                .collect();
            let norm = w.iter().map(|x| x * x).sum::<f64>().sqrt();
            if norm < 1e-300 || !norm.is_finite() {
                break;
            }
            w.iter_mut().for_each(|x| *x /= norm);
            let delta: f64 = w.iter().zip(&v).map(|(a, b)| (a - b).abs()).sum();
            v = w;
            lambda = norm;
            if delta < 1e-10 {
                break;
            }
        }
        if lambda > 0.0 {
            for a in 0..dim {
                for b in 0..dim {
                    cov[a * dim + b] -= lambda * v[a] * v[b];
                }
            }
            explained[slot] = if trace > 0.0 { lambda / trace } else { 0.0 };
            *axis = v;
        }
    }
    (mean, axes, explained)
}

/// Projects the grouped users to 2-D in the space they were clustered in (PCA via [`pca_2d`]
/// over all of them), keeping a seeded sample of at most `max_points` plus `always` (the
/// requesting user). Users clustered in another space (short histories) are not plotted.
pub fn project(
    vectors: &TasteVectors,
    groups: &TasteGroups,
    max_points: usize,
    always: Option<UserId>,
    seed: u64,
) -> TasteProjection {
    type Picker<'a> = Box<dyn Fn(usize) -> Option<Vec<f64>> + 'a>;
    let (dim, pick): (usize, Picker<'_>) = match groups.space {
        TasteSpace::Factors(d) if d == vectors.factor_dim => (
            d,
            Box::new(move |u| {
                if vectors.has_factor[u] {
                    unit(&vectors.factors[u * d..(u + 1) * d])
                } else {
                    None
                }
            }),
        ),
        _ => (
            CONTENT_DIM,
            Box::new(move |u| unit(&vectors.content[u * CONTENT_DIM..(u + 1) * CONTENT_DIM])),
        ),
    };
    let mut rows = Vec::new();
    let mut who = Vec::new();
    for (u, &id) in vectors.users.iter().enumerate() {
        if let (Some(g), Some(v)) = (groups.group_of(id), pick(u)) {
            rows.extend(v);
            who.push((id, g.key));
        }
    }
    let (mean, axes, explained) = pca_2d(&rows, dim);
    let proj = |r: &[f64]| -> (f32, f32) {
        let p = |a: &[f64]| {
            r.iter()
                .zip(&mean)
                .zip(a)
                .map(|((x, m), w)| (x - m) * w)
                .sum::<f64>() as f32
        };
        (p(&axes[0]), p(&axes[1]))
    };
    let mut chosen = sample_indices(who.len(), max_points, seed);
    if let Some(h) = always
        && let Some(i) = who.iter().position(|w| w.0 == h)
        && !chosen.contains(&i)
    {
        chosen.push(i);
    }
    chosen.sort_unstable();
    let points = chosen
        .iter()
        .map(|&i| {
            let (x, y) = proj(&rows[i * dim..(i + 1) * dim]);
            (who[i].0, x, y, who[i].1)
        })
        .collect();
    let centroids = groups
        .groups
        .iter()
        .map(|g| {
            let c: Vec<f64> = match groups.space {
                TasteSpace::Factors(_) => g.centroid.iter().map(|&x| f64::from(x)).collect(),
                TasteSpace::Content => g.content_centroid.iter().map(|&x| f64::from(x)).collect(),
            };
            let (x, y) = if c.len() == dim { proj(&c) } else { (0.0, 0.0) };
            (g.key, x, y)
        })
        .collect();
    TasteProjection {
        points,
        centroids,
        explained,
    }
}

/// Seeded synthetic users with planted tastes, for tests and the benchmark: `groups` tastes,
/// each a random mix over `dim` dimensions, users drawn around them with Gaussian noise of
/// standard deviation `noise`. Returns (rows, planted labels).
pub fn planted_users(
    users: usize,
    groups: usize,
    dim: usize,
    noise: f64,
    seed: u64,
) -> (Vec<f32>, Vec<usize>) {
    let mut rng = Xoshiro256Plus::seed_from_u64(seed);
    let mut uniform = move || (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    // Each taste: one favourite dimension ("genre") of its own, plus two weaker random ones.
    let mut centres = vec![0f64; groups * dim];
    for g in 0..groups {
        centres[g * dim + g % dim.max(1)] += 2.0;
        for _ in 0..2 {
            let d = (uniform() * dim as f64) as usize % dim.max(1);
            centres[g * dim + d] += 0.4 + 0.6 * uniform();
        }
    }
    let mut gauss = move || {
        let (u1, u2) = (uniform().max(1e-300), uniform());
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    };
    let mut rows = Vec::with_capacity(users * dim);
    let mut labels = Vec::with_capacity(users);
    for i in 0..users {
        let g = i % groups.max(1);
        labels.push(g);
        for d in 0..dim {
            rows.push((centres[g * dim + d] + noise * gauss()) as f32);
        }
    }
    (rows, labels)
}

const PLANTED_GENRES: [Genre; 6] = [
    Genre::SciFi,
    Genre::Action,
    Genre::Animation,
    Genre::Romance,
    Genre::Horror,
    Genre::Documentary,
];

/// A seeded synthetic world for tests, demos and the taste map: 12 films in each of six genres,
/// and `users` users of three planted tastes (sci-fi + action, animation + romance,
/// horror + documentary), each rating 14 films, 80 % from their taste. With `nineties`, the
/// action films are from the 1990s.
pub fn planted_world(users: i64, seed: u64, nineties: bool) -> (Vec<Movie>, Vec<FeedbackEvent>) {
    use crate::domain::catalog::MovieInfo;
    use crate::domain::events::FeedbackKind;
    use crate::domain::ids::EventId;
    let mut catalog = Vec::new();
    for (gi, &g) in PLANTED_GENRES.iter().enumerate() {
        for j in 0..12 {
            let id = (gi * 12 + j + 1) as i64;
            catalog.push(Movie {
                id: MovieId(id),
                info: MovieInfo {
                    title: format!("Film {id}"),
                    year: Some(if nineties && gi == 1 {
                        1990 + j as i32 % 10
                    } else {
                        1960 + (j as i32 * 5)
                    }),
                    genres: vec![g],
                    keywords: vec![format!("kw{gi}")],
                    directors: vec![format!("Director {gi}")],
                    ..MovieInfo::default()
                },
            });
        }
    }
    let mut rng = Xoshiro256Plus::seed_from_u64(seed);
    let mut events = Vec::new();
    let mut next = 1;
    for u in 0..users {
        let taste = (u % 3) as usize; // three planted tastes: genres 2t and 2t+1
        for _ in 0..14 {
            let r = rng.next_u64();
            let gi = if r % 10 < 8 {
                2 * taste + (r as usize / 10) % 2
            } else {
                (r as usize / 20) % PLANTED_GENRES.len()
            };
            let film = (gi * 12 + (r as usize >> 8) % 12 + 1) as i64;
            events.push(FeedbackEvent {
                id: EventId(next),
                event: NewFeedbackEvent {
                    user: UserId(u + 1),
                    movie: MovieId(film),
                    kind: FeedbackKind::Rating,
                    value: Some(if gi / 2 == taste { 5.0 } else { 3.5 }),
                    weight: 1.0,
                    raw: None,
                    source: "test".to_owned(),
                    guild: None,
                    message_id: None,
                    created_at_ms: next,
                    idempotency_key: None,
                },
            });
            next += 1;
        }
    }
    (catalog, events)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::recommend::snapshot::{TrainParams, train};

    /// Few runs: the greedy k-means++ seeding rarely needs more on planted data, and the tests
    /// run in debug builds on 2 CI cores.
    fn small() -> TasteParams {
        TasteParams {
            n_runs: 3,
            sweep_runs: 3,
            k_max: 8,
            silhouette_sample: 400,
            ..TasteParams::default()
        }
    }

    fn labels(c: &Clustering) -> Vec<usize> {
        c.labels.iter().map(|l| l.unwrap_or(usize::MAX)).collect()
    }

    #[test]
    fn planted_groups_are_recovered_with_ari_above_0_9() {
        for (groups, seed) in [(4, 1), (6, 2), (8, 3)] {
            let (rows, truth) = planted_users(400, groups, 24, 0.3, seed);
            let c = cluster_rows(&rows, 24, &small());
            let ari = adjusted_rand_index(&truth, &labels(&c));
            assert!(ari >= 0.9, "{groups} groups: ARI {ari}, k {}", c.k);
        }
    }

    #[test]
    fn the_chosen_k_is_the_planted_k() {
        for (groups, seed) in [(4, 11), (5, 12), (7, 13), (8, 14)] {
            let (rows, _) = planted_users(400, groups, 24, 0.3, seed);
            let c = cluster_rows(&rows, 24, &small());
            assert_eq!(c.k, groups, "{groups}: silhouettes {:?}", c.silhouettes);
        }
    }

    #[test]
    fn fewer_users_than_k_gives_fewer_groups_without_panicking() {
        let (rows, _) = planted_users(3, 3, 8, 0.1, 5);
        let c = cluster_rows(&rows, 8, &small());
        assert_eq!(c.k, 1);
        assert!(c.labels.iter().all(Option::is_some));
        assert!(!c.warnings.is_empty());
        let empty = cluster_rows(&[], 8, &small());
        assert_eq!(empty.k, 0);
        let identical = cluster_rows(&[1.0, 2.0].repeat(200), 2, &small());
        assert_eq!(identical.k, 1, "{:?}", identical.warnings);
        assert!(!identical.warnings.is_empty());
        let zeros = cluster_rows(&[0.0; 40], 4, &small());
        assert_eq!(zeros.k, 0);
        assert!(zeros.labels.iter().all(Option::is_none));
    }

    #[test]
    fn nan_vectors_are_left_out_not_fatal() {
        let (mut rows, truth) = planted_users(300, 4, 16, 0.3, 8);
        for i in (0..300).step_by(50) {
            rows[i * 16 + 3] = f32::NAN;
        }
        rows[16 * 7 + 1] = f32::INFINITY;
        let c = cluster_rows(&rows, 16, &small());
        assert_eq!(c.k, 4);
        assert!(c.labels[0].is_none() && c.labels[7].is_none() && c.labels[1].is_some());
        assert!(
            c.warnings.iter().any(|w| w.contains("NaN")),
            "{:?}",
            c.warnings
        );
        let (t, l): (Vec<usize>, Vec<usize>) = truth
            .iter()
            .zip(&c.labels)
            .filter_map(|(&t, l)| Some((t, (*l)?)))
            .unzip();
        assert!(adjusted_rand_index(&t, &l) > 0.9);
    }

    #[test]
    fn ari_is_one_for_renamed_labels_and_near_zero_for_noise() {
        assert!((adjusted_rand_index(&[0, 0, 1, 1, 2], &[5, 5, 3, 3, 9]) - 1.0).abs() < 1e-12);
        let a: Vec<usize> = (0..1000).map(|i| i % 4).collect();
        let b: Vec<usize> = (0..1000).map(|i| (i * 7 / 3) % 5).collect();
        assert!(adjusted_rand_index(&a, &b).abs() < 0.05);
    }

    #[test]
    fn pca_finds_the_long_axis() {
        let rows: Vec<f64> = (0..200)
            .flat_map(|i| {
                let t = f64::from(i) / 10.0;
                [t, 0.5 * t, (f64::from(i) * 1.3).sin() * 0.1]
            })
            .collect();
        let (_, axes, explained) = pca_2d(&rows, 3);
        assert!(
            (axes[0][0].abs() - 2.0 / 5f64.sqrt()).abs() < 1e-3,
            "{axes:?}"
        );
        assert!(explained[0] > 0.99);
    }

    fn content_params() -> TasteParams {
        TasteParams {
            min_factor_users: usize::MAX,
            ..small()
        }
    }

    #[test]
    fn names_are_deterministic() {
        let (catalog, events) = planted_world(150, 4, true);
        let snap = train(&catalog, &events, &TrainParams::default()).expect("trains");
        let a = compute_groups(&snap, &catalog, &events, None, &content_params());
        let b = compute_groups(&snap, &catalog, &events, None, &content_params());
        assert_eq!(a, b);
        // Groups are listed largest first; three planted groups of about 50 users each can
        // come out in any size order, so compare the names as a set.
        let mut names: Vec<&str> = a.groups().iter().map(|g| g.name.as_str()).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            [
                "90s sci-fi adventure",
                "Animation & romance",
                "Documentary & horror"
            ],
            "{:?}",
            a.warnings()
        );
        assert!(
            a.groups()
                .iter()
                .filter(|g| g.name.starts_with("90s"))
                .all(|g| g.traits.iter().any(|t| t.starts_with("90s")))
        );
    }

    #[test]
    fn a_user_keeps_their_group_name_after_reclustering() {
        let (catalog, events) = planted_world(150, 4, false);
        let snap = train(&catalog, &events, &TrainParams::default()).expect("trains");
        let first = compute_groups(&snap, &catalog, &events, None, &content_params());
        assert_eq!(first.groups().len(), 3, "{:?}", first.warnings());
        // More events and another seed: the clusters come out in another order.
        let (_, more) = planted_world(160, 5, false);
        let second = compute_groups(
            &snap,
            &catalog,
            &more,
            Some(&first),
            &TasteParams {
                seed: 99,
                ..content_params()
            },
        );
        let mut same = 0;
        let mut total = 0;
        for (u, key) in first.assignments() {
            if let Some(g) = second.group_of(u) {
                total += 1;
                same += usize::from(
                    g.key == key
                        && Some(g.name.as_str()) == first.group(key).map(|g| g.name.as_str()),
                );
            }
        }
        assert!(total > 100 && same * 100 >= total * 95, "{same}/{total}");
        let back = TasteGroups::from_bytes(&second.to_bytes()).expect("round trip");
        assert_eq!(back, second);
        assert_eq!(second.group_favourites(second.groups()[0].key, 3).len(), 3);
        assert!(TasteGroups::from_bytes(b"nope").is_err());
    }
}
