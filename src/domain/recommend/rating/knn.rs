//! Item-based k-nearest-neighbours on baseline residuals (KNNBaseline; Koren 2008,
//! "Factorization meets the neighborhood", §2.2, and Koren 2010 §3):
//! `r̂_ui = b_ui + Σ_{j∈N_k(i;u)} s_ij (r_uj − b_uj) / Σ s_ij`, with the shrunk Pearson-baseline
//! similarity `s_ij = (n_ij − 1)/(n_ij − 1 + λ) · ρ_ij` over the users who rated both films.

use crate::domain::ids::{MovieId, UserId};

use crate::domain::recommend::baseline::{Baseline, BaselineParams};
use crate::domain::recommend::data::{Csr, IdMap, Ratings};
use crate::domain::recommend::{
    Checked, FitError, ParamError, Params, RatingModel, Recommender, ensure, finite_or,
};

/// Hyper-parameters of [`ItemKnn`] (defaults: Surprise's KNNBaseline with pearson_baseline).
#[derive(Debug, Clone)]
pub struct KnnParams {
    /// Neighbours used per prediction.
    pub k: usize,
    /// λ of the similarity shrinkage.
    pub shrinkage: f32,
    /// Neighbours kept per film after fitting (memory bound).
    pub max_neighbours: usize,
    pub baseline: BaselineParams,
}

impl Default for KnnParams {
    fn default() -> Self {
        Self {
            k: 40,
            shrinkage: 100.0,
            max_neighbours: 400,
            baseline: BaselineParams::default(),
        }
    }
}

impl Params for KnnParams {
    fn check(self) -> Result<Checked<Self>, ParamError> {
        ensure(self.k >= 1, "knn", "k", "≥ 1", self.k)?;
        ensure(
            self.shrinkage >= 0.0 && self.shrinkage.is_finite(),
            "knn",
            "shrinkage",
            "≥ 0",
            self.shrinkage,
        )?;
        ensure(
            self.max_neighbours >= self.k,
            "knn",
            "max_neighbours",
            "≥ k",
            self.max_neighbours,
        )?;
        let _ = self.baseline.clone().check()?;
        Ok(Checked(self))
    }
}

/// A fitted item-kNN: baselines, each film's positive neighbours (most similar first) and the
/// training residuals by user.
#[derive(Debug, Clone)]
pub struct ItemKnn {
    pub baseline: Baseline,
    /// Row i: film i's neighbours and similarities, most similar first.
    pub neighbours: Csr,
    /// Row u: the user's films (sorted) and residuals `r − b`.
    residuals: Csr,
    k: usize,
}

impl Checked<KnnParams> {
    /// Computes baselines, then every film pair's shrunk Pearson-baseline similarity by
    /// co-rating accumulation (O(Σ_u n_u²) time, O(items) scratch per film), keeping the
    /// `max_neighbours` most similar positive ones.
    ///
    /// # Errors
    /// [`crate::domain::recommend::DataError::Empty`] when `data` has no ratings.
    pub fn fit(&self, data: &Ratings) -> Result<ItemKnn, FitError> {
        let p = &self.0;
        let baseline = Checked(p.baseline.clone()).fit(data)?;
        let mut residuals = data.by_user.clone();
        for u in 0..data.n_users() {
            let (a, b) = (residuals.ptr[u], residuals.ptr[u + 1]);
            for n in a..b {
                let i = residuals.idx[n];
                residuals.val[n] -= baseline.predict_idx(Some(u as u32), Some(i));
            }
        }
        let neighbours =
            shrunk_pearson_neighbours(&data.by_item, &residuals, p.shrinkage, p.max_neighbours);
        Ok(ItemKnn {
            baseline,
            neighbours,
            residuals,
            k: p.k,
        })
    }
}

/// Shrunk Pearson-baseline similarities between the rows of `raters` (Koren 2010; the
/// similarity of Surprise's `KNNBaseline`): for every pair of entities (films for item-kNN,
/// users for user-kNN) co-rated by at least two others, `ρ · (n − 1) / (n − 1 + shrinkage)` over
/// baseline residuals, accumulated by co-rating (O(Σ n²) time, O(entities) scratch). `raters`
/// row e lists who rated entity e; `residuals` row r lists the entities r rated, sorted, with
/// their residuals. Keeps each entity's `max_neighbours` most similar positive neighbours, most
/// similar first (ties by index).
pub(super) fn shrunk_pearson_neighbours(
    raters: &Csr,
    residuals: &Csr,
    shrinkage: f32,
    max_neighbours: usize,
) -> Csr {
    let n = raters.ptr.len().saturating_sub(1);
    let mut prod = vec![0f32; n];
    let mut sq_i = vec![0f32; n];
    let mut sq_j = vec![0f32; n];
    let mut count = vec![0u32; n];
    let mut touched: Vec<u32> = Vec::new();
    let mut ptr = vec![0usize; n + 1];
    let mut idx = Vec::new();
    let mut val = Vec::new();
    let mut cand: Vec<(f32, u32)> = Vec::new();
    for i in 0..n {
        let (us, _) = raters.row(i);
        for &u in us {
            let (js, rs) = residuals.row(u as usize);
            let Ok(pos) = js.binary_search(&(i as u32)) else {
                continue;
            };
            let ri = rs[pos];
            for (&j, &rj) in js.iter().zip(rs) {
                let j_ = j as usize;
                if count[j_] == 0 {
                    touched.push(j);
                }
                count[j_] += 1;
                prod[j_] += ri * rj;
                sq_i[j_] += ri * ri;
                sq_j[j_] += rj * rj;
            }
        }
        cand.clear();
        for &j in &touched {
            let j_ = j as usize;
            if j_ != i && count[j_] > 1 {
                let den = (sq_i[j_] * sq_j[j_]).sqrt();
                if den > 0.0 {
                    let n = count[j_] as f32;
                    let s = prod[j_] / den * (n - 1.0) / (n - 1.0 + shrinkage);
                    if s > 0.0 && s.is_finite() {
                        cand.push((s, j));
                    }
                }
            }
            prod[j_] = 0.0;
            sq_i[j_] = 0.0;
            sq_j[j_] = 0.0;
            count[j_] = 0;
        }
        touched.clear();
        let m = max_neighbours.min(cand.len());
        if m < cand.len() {
            cand.select_nth_unstable_by(m, |a, b| b.0.total_cmp(&a.0));
            cand.truncate(m);
        }
        cand.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        for &(s, j) in &cand {
            idx.push(j);
            val.push(s);
        }
        ptr[i + 1] = idx.len();
    }
    Csr { ptr, idx, val }
}

/// The similarity-weighted mean residual of the first `k` neighbours that have a residual:
/// `Σ s·r / Σ s` over `neighbours` (ids and similarities, most similar first) found in `rated`
/// (sorted ids and their residuals). `None` when no neighbour is rated. Shared by item-kNN
/// (neighbour films the user rated) and user-kNN (neighbour users who rated the film).
pub(super) fn neighbour_offset(
    (rated, residuals): (&[u32], &[f32]),
    (neighbours, sims): (&[u32], &[f32]),
    k: usize,
) -> Option<f32> {
    let (mut num, mut den, mut used) = (0f32, 0f32, 0usize);
    for (&n, &s) in neighbours.iter().zip(sims) {
        if let Ok(p) = rated.binary_search(&n) {
            num += s * residuals[p];
            den += s;
            used += 1;
            if used == k {
                break;
            }
        }
    }
    (den > 0.0).then(|| num / den)
}

impl ItemKnn {
    /// The prediction by dense indices; falls back to the baseline when the user has no rated
    /// neighbour of the film.
    pub fn predict_idx(&self, u: Option<u32>, i: Option<u32>) -> f32 {
        let base = self.baseline.predict_idx(u, i);
        let (Some(u), Some(i)) = (u, i) else {
            return base;
        };
        neighbour_offset(
            self.residuals.row(u as usize),
            self.neighbours.row(i as usize),
            self.k,
        )
        .map_or(base, |offset| finite_or(base + offset, base))
    }

    /// Film `i`'s most similar films with similarities, most similar first.
    pub fn similar(&self, i: u32) -> (&[u32], &[f32]) {
        self.neighbours.row(i as usize)
    }
}

impl RatingModel for ItemKnn {
    fn predict(&self, user: UserId, movie: MovieId) -> f32 {
        self.predict_idx(
            self.baseline.users.get(user),
            self.baseline.items.get(movie),
        )
    }
}

impl Recommender for ItemKnn {
    fn items(&self) -> &IdMap<MovieId> {
        &self.baseline.items
    }

    fn score_into(&self, user: UserId, out: &mut [f32]) {
        let u = self.baseline.users.get(user);
        for (i, o) in out.iter_mut().enumerate() {
            *o = self.predict_idx(u, Some(i as u32));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::recommend::rating::mf::tests::two_tastes;

    #[test]
    fn knn_predicts_held_out_tastes() {
        let data = Ratings::from_triples(&two_tastes()).expect("finite");
        let m = KnnParams {
            shrinkage: 1.0,
            ..KnnParams::default()
        }
        .check()
        .expect("valid")
        .fit(&data)
        .expect("fits");
        assert!(m.predict(UserId(0), MovieId(0)) > m.predict(UserId(0), MovieId(8)));
        assert!(m.predict(UserId(77), MovieId(77)).is_finite());
    }

    #[test]
    fn max_neighbours_below_k_is_refused() {
        assert!(
            KnnParams {
                k: 10,
                max_neighbours: 5,
                ..KnnParams::default()
            }
            .check()
            .is_err()
        );
    }
}
