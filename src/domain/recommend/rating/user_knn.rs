//! User-based k-nearest-neighbours on baseline residuals (Surprise's KNNBaseline with
//! `user_based: true`; Koren 2010, §3, read over users instead of films):
//! `r̂_ui = b_ui + Σ_{v∈N_k(u;i)} s_uv (r_vi − b_vi) / Σ s_uv`, with the shrunk Pearson-baseline
//! similarity `s_uv = (n_uv − 1)/(n_uv − 1 + λ) · ρ_uv` over the films both users rated.
//!
//! The item-based twin is [`super::knn`]; both keep only positive similarities.

use crate::domain::ids::{MovieId, UserId};

use crate::domain::recommend::baseline::{Baseline, BaselineParams};
use crate::domain::recommend::data::{Csr, IdMap, Ratings};
use crate::domain::recommend::{
    Checked, FitError, ParamError, Params, RatingModel, Recommender, ensure, finite_or,
};

/// Hyper-parameters of [`UserKnn`] (defaults: Surprise's KNNBaseline, pearson_baseline,
/// shrinkage 100, k 40).
#[derive(Debug, Clone)]
pub struct UserKnnParams {
    /// Neighbours used per prediction (among the users who rated the film).
    pub k: usize,
    /// λ of the similarity shrinkage.
    pub shrinkage: f32,
    /// Neighbours kept per user after fitting (memory bound).
    pub max_neighbours: usize,
    pub baseline: BaselineParams,
}

impl Default for UserKnnParams {
    fn default() -> Self {
        Self {
            k: 40,
            shrinkage: 100.0,
            max_neighbours: 400,
            baseline: BaselineParams::default(),
        }
    }
}

impl Params for UserKnnParams {
    fn check(self) -> Result<Checked<Self>, ParamError> {
        ensure(self.k >= 1, "user_knn", "k", "≥ 1", self.k)?;
        ensure(
            self.shrinkage >= 0.0 && self.shrinkage.is_finite(),
            "user_knn",
            "shrinkage",
            "≥ 0",
            self.shrinkage,
        )?;
        ensure(
            self.max_neighbours >= self.k,
            "user_knn",
            "max_neighbours",
            "≥ k",
            self.max_neighbours,
        )?;
        let _ = self.baseline.clone().check()?;
        Ok(Checked(self))
    }
}

/// A fitted user-kNN: baselines, each user's positive neighbours (most similar first) and the
/// training residuals by film.
#[derive(Debug, Clone)]
pub struct UserKnn {
    pub baseline: Baseline,
    /// Row u: user u's neighbours and similarities, most similar first.
    pub neighbours: Csr,
    /// Row i: the film's raters (sorted) and residuals `r − b`.
    residuals: Csr,
    k: usize,
}

impl Checked<UserKnnParams> {
    /// Computes baselines, then every user pair's shrunk Pearson-baseline similarity by
    /// co-rating accumulation (O(Σ_i n_i²) time, O(users) scratch per user), keeping the
    /// `max_neighbours` most similar positive ones.
    ///
    /// # Errors
    /// [`crate::domain::recommend::DataError::Empty`] when `data` has no ratings.
    pub fn fit(&self, data: &Ratings) -> Result<UserKnn, FitError> {
        let p = &self.0;
        let baseline = Checked(p.baseline.clone()).fit(data)?;
        let mut residuals = data.by_item.clone();
        for i in 0..data.n_items() {
            let (a, b) = (residuals.ptr[i], residuals.ptr[i + 1]);
            for n in a..b {
                let u = residuals.idx[n];
                residuals.val[n] -= baseline.predict_idx(Some(u), Some(i as u32));
            }
        }
        let neighbours = super::knn::shrunk_pearson_neighbours(
            &data.by_user,
            &residuals,
            p.shrinkage,
            p.max_neighbours,
        );
        Ok(UserKnn {
            baseline,
            neighbours,
            residuals,
            k: p.k,
        })
    }
}

impl UserKnn {
    /// The prediction by dense indices; falls back to the baseline when no neighbour of the
    /// user rated the film (or either is unknown).
    pub fn predict_idx(&self, u: Option<u32>, i: Option<u32>) -> f32 {
        let base = self.baseline.predict_idx(u, i);
        let (Some(u), Some(i)) = (u, i) else {
            return base;
        };
        super::knn::neighbour_offset(
            self.residuals.row(i as usize),
            self.neighbours.row(u as usize),
            self.k,
        )
        .map_or(base, |offset| finite_or(base + offset, base))
    }

    /// User `u`'s most similar users with similarities, most similar first.
    pub fn similar(&self, u: u32) -> (&[u32], &[f32]) {
        self.neighbours.row(u as usize)
    }
}

impl RatingModel for UserKnn {
    fn predict(&self, user: UserId, movie: MovieId) -> f32 {
        self.predict_idx(
            self.baseline.users.get(user),
            self.baseline.items.get(movie),
        )
    }
}

impl Recommender for UserKnn {
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
    use crate::domain::recommend::DataError;
    use crate::domain::recommend::rating::mf::tests::two_tastes;
    use crate::domain::rng::SplitMix64;

    fn fitted(rows: &[(UserId, MovieId, f32)]) -> UserKnn {
        let data = Ratings::from_triples(rows).expect("finite");
        UserKnnParams {
            shrinkage: 1.0,
            ..UserKnnParams::default()
        }
        .check()
        .expect("valid")
        .fit(&data)
        .expect("fits")
    }

    #[test]
    fn users_with_the_same_taste_predict_each_other() {
        let m = fitted(&two_tastes());
        // (0, 0), (0, 4) and (0, 8) are held out; user 0 loves films 0..5 like users 1..10.
        let loved = m.predict(UserId(0), MovieId(0));
        let hated = m.predict(UserId(0), MovieId(8));
        assert!(loved > hated + 1.0, "loved {loved}, hated {hated}");
        // Each user's nearest neighbour shares the taste.
        let (ns, ss) = m.similar(m.baseline.users.get(UserId(3)).expect("known"));
        assert!(!ns.is_empty() && ss.windows(2).all(|w| w[0] >= w[1]));
        assert!(m.baseline.users.id(ns[0]).0 < 10);
    }

    #[test]
    fn an_unknown_user_falls_back_to_the_baseline() {
        let m = fitted(&two_tastes());
        let base = m
            .baseline
            .predict_idx(None, m.baseline.items.get(MovieId(3)));
        assert!((m.predict(UserId(777), MovieId(3)) - base).abs() < 1e-6);
        let mu = m.baseline.predict_idx(None, None);
        assert!((m.predict(UserId(777), MovieId(777)) - mu).abs() < 1e-6);
    }

    #[test]
    fn scores_are_always_finite() {
        let mut rng = SplitMix64::new(7);
        let rows: Vec<(UserId, MovieId, f32)> = (0..400)
            .map(|_| {
                let u = UserId(i64::from(rng.next_u64() as u8 % 30));
                let i = MovieId(i64::from(rng.next_u64() as u8 % 25));
                (u, i, f32::from(rng.next_u64() as u8 % 5 + 1))
            })
            .collect();
        let m = fitted(&rows);
        let mut out = vec![0f32; m.items().len()];
        for u in 0..35 {
            m.score_into(UserId(u), &mut out);
            assert!(out.iter().all(|s| s.is_finite()));
        }
        // One rating per user: no co-ratings, so every prediction is the baseline.
        let lone = fitted(&[(UserId(1), MovieId(1), 5.0), (UserId(2), MovieId(2), 1.0)]);
        assert!(lone.predict(UserId(1), MovieId(2)).is_finite());
    }

    #[test]
    fn bad_params_and_empty_data_are_refused() {
        let bad_k = UserKnnParams {
            k: 0,
            ..UserKnnParams::default()
        };
        assert_eq!(bad_k.check().map(|_| ()).map_err(|e| e.name), Err("k"));
        let bad_cap = UserKnnParams {
            k: 10,
            max_neighbours: 5,
            ..UserKnnParams::default()
        };
        assert!(bad_cap.check().is_err());
        let nan = UserKnnParams {
            shrinkage: f32::NAN,
            ..UserKnnParams::default()
        };
        assert!(nan.check().is_err());
        let empty = Ratings::from_triples(&[]).expect("empty is valid data");
        let err = UserKnnParams::default()
            .check()
            .expect("valid")
            .fit(&empty)
            .map(|_| ());
        assert!(matches!(err, Err(FitError::Data(DataError::Empty(_)))));
    }
}
