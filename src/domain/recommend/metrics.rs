//! The offline evaluation's metrics, computed on held-out test rows: RMSE/MAE for ratings and
//! P/R/NDCG/MAP/HR@k and catalogue coverage for top-N lists.

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher;

/// RMSE and MAE of `(truth, prediction)` pairs; `(0, 0)` for none.
pub fn rmse_mae(pairs: &[(f32, f32)]) -> (f64, f64) {
    if pairs.is_empty() {
        return (0.0, 0.0);
    }
    let n = pairs.len() as f64;
    let (mut se, mut ae) = (0f64, 0f64);
    for &(t, p) in pairs {
        let e = f64::from(t) - f64::from(p);
        se += e * e;
        ae += e.abs();
    }
    ((se / n).sqrt(), ae / n)
}

/// Top-N metrics averaged over the test users.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct TopNMetrics {
    pub precision: f64,
    pub recall: f64,
    pub ndcg: f64,
    pub map: f64,
    pub hit_rate: f64,
    pub coverage: f64,
    pub users: usize,
}

/// Scores lists per the protocol: `lists[u]` is user u's ranked list (only its first `k`
/// count), `relevant[u]` the user's test items; users are those of `relevant` with at least one
/// item; coverage is the share of the `catalogue_size` items shown in some list.
pub fn topn_metrics<S1: BuildHasher, S2: BuildHasher, S3: BuildHasher>(
    lists: &HashMap<i64, Vec<i64>, S1>,
    relevant: &HashMap<i64, HashSet<i64, S3>, S2>,
    k: usize,
    catalogue_size: usize,
) -> TopNMetrics {
    let mut m = TopNMetrics::default();
    let mut shown: HashSet<i64> = HashSet::new();
    let empty = Vec::new();
    for (u, rel) in relevant {
        if rel.is_empty() {
            continue;
        }
        m.users += 1;
        let list = lists.get(u).unwrap_or(&empty);
        let (mut hits, mut dcg, mut ap) = (0usize, 0f64, 0f64);
        for (j, item) in list.iter().take(k).enumerate() {
            shown.insert(*item);
            if rel.contains(item) {
                hits += 1;
                dcg += 1.0 / ((j + 2) as f64).log2();
                ap += hits as f64 / (j + 1) as f64;
            }
        }
        let mu = k.min(rel.len());
        let idcg: f64 = (0..mu).map(|j| 1.0 / ((j + 2) as f64).log2()).sum();
        m.precision += hits as f64 / k as f64;
        m.recall += hits as f64 / rel.len() as f64;
        m.ndcg += dcg / idcg;
        m.map += ap / mu as f64;
        m.hit_rate += if hits > 0 { 1.0 } else { 0.0 };
    }
    if m.users > 0 {
        let n = m.users as f64;
        m.precision /= n;
        m.recall /= n;
        m.ndcg /= n;
        m.map /= n;
        m.hit_rate /= n;
    }
    m.coverage = if catalogue_size == 0 {
        0.0
    } else {
        shown.len() as f64 / catalogue_size as f64
    };
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_protocol_worked_example_scores_as_documented() {
        // Rel = {a, b, c}, L = (a, x, b, y, …) with no other hit.
        let lists = HashMap::from([(1, vec![1, 10, 2, 11, 12, 13, 14, 15, 16, 17])]);
        let rel = HashMap::from([(1, HashSet::from([1, 2, 3]))]);
        let m = topn_metrics(&lists, &rel, 10, 20);
        assert!((m.precision - 0.2).abs() < 1e-9);
        assert!((m.recall - 0.666_667).abs() < 1e-6);
        assert!((m.ndcg - 0.703_918).abs() < 1e-6);
        assert!((m.map - 0.555_556).abs() < 1e-6);
        assert!((m.hit_rate - 1.0).abs() < 1e-9);
        assert!((m.coverage - 0.5).abs() < 1e-9);
    }

    #[test]
    fn rmse_and_mae_of_known_errors() {
        let (r, a) = rmse_mae(&[(1.0, 2.0), (3.0, 3.0)]);
        assert!((r - 0.5f64.sqrt()).abs() < 1e-9 && (a - 0.5).abs() < 1e-9);
    }
}
