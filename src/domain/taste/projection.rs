//! The taste map's projection: PCA to two axes ([`pca_2d`]) and grouped users projected onto
//! them ([`project`]).

use super::cluster::unit;
use super::kmeans::sample_indices;
use super::vectors::{TasteSpace, TasteVectors};
use super::{CONTENT_DIM, GroupKey, TasteGroups};
use crate::domain::ids::UserId;

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
#[allow(clippy::needless_for_each, reason = "in-place scaling one-liners")]
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
/// requesting user). Users clustered in another space (short histories) are not plotted; in the
/// content space, a user with a zero vector (the average taste) is plotted at the centre.
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
        // A zero content vector is the average taste: the centre.
        _ => (
            CONTENT_DIM,
            Box::new(move |u| {
                Some(
                    unit(&vectors.content[u * CONTENT_DIM..(u + 1) * CONTENT_DIM])
                        .unwrap_or_else(|| vec![0.0; CONTENT_DIM]),
                )
            }),
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
