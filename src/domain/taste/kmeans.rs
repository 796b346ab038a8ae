//! k-means machinery: the fast slice distance, seeded greedy k-means++ and best-of-n fits on
//! linfa, the tolerance conversion, the silhouette and adjusted Rand index scores, and sampling.

use std::collections::HashMap;

use linfa::DatasetBase;
use linfa::prelude::Fit;
use linfa_clustering::{KMeans, KMeansInit};
use linfa_nn::distance::Distance;
use ndarray::parallel::prelude::{IndexedParallelIterator, IntoParallelIterator, ParallelIterator};
use ndarray::{Array2, ArrayView, ArrayView2, Dimension};
use rand_xoshiro::Xoshiro256Plus;
use rand_xoshiro::rand_core::{RngCore, SeedableRng};

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
#[allow(
    clippy::many_single_char_names,
    reason = "maths notation: n users, k groups, d dimensions, c centroids"
)]
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
#[allow(
    clippy::many_single_char_names,
    reason = "maths notation: n users, k groups, d dimensions, c centroids"
)]
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
#[allow(
    clippy::many_single_char_names,
    reason = "maths notation: n users, k groups, d dimensions, c centroids"
)]
#[allow(clippy::needless_for_each, reason = "in-place scaling one-liners")]
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
pub(super) fn sample_indices(n: usize, m: usize, seed: u64) -> Vec<usize> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ari_is_one_for_renamed_labels_and_near_zero_for_noise() {
        assert!((adjusted_rand_index(&[0, 0, 1, 1, 2], &[5, 5, 3, 3, 9]) - 1.0).abs() < 1e-12);
        let a: Vec<usize> = (0..1000).map(|i| i % 4).collect();
        let b: Vec<usize> = (0..1000).map(|i| (i * 7 / 3) % 5).collect();
        assert!(adjusted_rand_index(&a, &b).abs() < 0.05);
    }
}
