//! The rating ensemble: a linear blend of baseline, biased MF, SVD++, item-kNN and user-kNN,
//! whose weights are fitted by ridge least squares on a validation split carved from the training
//! data (the protocol's `per_user_split(train, 43)`), then applied to the same models refitted
//! on all the training data (linear blending as in the Netflix Prize; Töscher, Jahrer &
//! Bell 2009; Koren 2009).

use crate::domain::ids::{MovieId, UserId};

use super::knn::{ItemKnn, KnnParams};
use super::mf::{BiasedMf, MfParams};
use super::user_knn::{UserKnn, UserKnnParams};
use crate::domain::recommend::baseline::{Baseline, BaselineParams};
use crate::domain::recommend::data::Ratings;
use crate::domain::recommend::linalg::cholesky_solve;
use crate::domain::recommend::{
    Checked, DataError, FitError, ParamError, Params, RatingModel, ensure, finite_or,
};
use crate::domain::rng::per_user_split;

/// Hyper-parameters of [`RatingEnsemble`].
#[derive(Debug, Clone)]
pub struct EnsembleParams {
    pub baseline: BaselineParams,
    /// `None` leaves plain biased MF out.
    pub mf: Option<MfParams>,
    /// SVD++ (the `implicit` flag is forced on); `None` leaves it out.
    pub svdpp: Option<MfParams>,
    /// `None` leaves item-kNN out.
    pub knn: Option<KnnParams>,
    /// `None` (the default) leaves user-kNN out: it lowered the validation RMSE on all ten
    /// ML-100k / ml-latest-small folds' `per_user_split(train, 43)`, but only by about 0.001,
    /// for a third more fitting time.
    pub uknn: Option<UserKnnParams>,
    /// Seed of the validation split.
    pub validation_seed: u64,
    /// Ridge penalty on the blend weights, per validation row.
    pub ridge: f64,
    /// Feature-weighted stacking (Sill et al. 2009): also blend each model's prediction times
    /// `ln(1 + user's ratings)` and `ln(1 + film's ratings)`, so the weights can depend on
    /// how much is known about the user and the film. Costs no extra fit.
    pub support_features: bool,
}

impl Default for EnsembleParams {
    fn default() -> Self {
        Self {
            baseline: BaselineParams::default(),
            mf: None,
            svdpp: Some(MfParams {
                factors: 32,
                epochs: 20,
                implicit: true,
                learning_rate: 0.007,
                reg: 0.05,
                ..MfParams::default()
            }),
            knn: Some(KnnParams::default()),
            // Off by default: on validation it lowered RMSE by only ~0.001 and costs ~30 % of
            // the ML-100k five-fold time budget (3 s). `--model uknn` evaluates it alone.
            uknn: None,
            validation_seed: 43,
            ridge: 1e-4,
            support_features: true,
        }
    }
}

impl Params for EnsembleParams {
    fn check(self) -> Result<Checked<Self>, ParamError> {
        self.baseline.clone().check()?;
        if let Some(p) = &self.mf {
            p.clone().check()?;
        }
        if let Some(p) = &self.svdpp {
            p.clone().check()?;
        }
        if let Some(p) = &self.knn {
            p.clone().check()?;
        }
        if let Some(p) = &self.uknn {
            p.clone().check()?;
        }
        ensure(
            self.ridge >= 0.0 && self.ridge.is_finite(),
            "ensemble",
            "ridge",
            "≥ 0",
            self.ridge,
        )?;
        Ok(Checked(self))
    }
}

/// The component models of one fit.
#[derive(Debug, Clone)]
struct Parts {
    baseline: Baseline,
    mf: Option<BiasedMf>,
    svdpp: Option<BiasedMf>,
    knn: Option<ItemKnn>,
    uknn: Option<UserKnn>,
    support: bool,
    /// `ln(1 + count)` per user and per film index of `baseline`.
    user_support: Vec<f32>,
    item_support: Vec<f32>,
}

impl Parts {
    fn fit(p: &EnsembleParams, data: &Ratings) -> Result<Self, FitError> {
        Ok(Self {
            baseline: p.baseline.clone().check()?.fit(data)?,
            mf: match &p.mf {
                Some(m) => Some(m.clone().check()?.fit(data)?),
                None => None,
            },
            svdpp: match &p.svdpp {
                Some(s) => Some(
                    MfParams {
                        implicit: true,
                        ..s.clone()
                    }
                    .check()?
                    .fit(data)?,
                ),
                None => None,
            },
            knn: match &p.knn {
                Some(k) => Some(k.clone().check()?.fit(data)?),
                None => None,
            },
            uknn: match &p.uknn {
                Some(k) => Some(k.clone().check()?.fit(data)?),
                None => None,
            },
            support: p.support_features,
            user_support: (0..data.n_users())
                .map(|u| (data.by_user.row_len(u) as f32).ln_1p())
                .collect(),
            item_support: (0..data.n_items())
                .map(|i| (data.by_item.row_len(i) as f32).ln_1p())
                .collect(),
        })
    }

    /// The feature row: 1, then each component's prediction.
    fn features(&self, user: UserId, movie: MovieId, out: &mut Vec<f64>) {
        let u = self.baseline.users.get(user);
        let i = self.baseline.items.get(movie);
        out.clear();
        out.push(1.0);
        out.push(f64::from(self.baseline.predict_idx(u, i)));
        if let Some(m) = &self.mf {
            out.push(f64::from(m.predict_idx(u, i)));
        }
        if let Some(m) = &self.svdpp {
            out.push(f64::from(m.predict_idx(u, i)));
        }
        if let Some(m) = &self.knn {
            out.push(f64::from(m.predict_idx(u, i)));
        }
        if let Some(m) = &self.uknn {
            out.push(f64::from(m.predict_idx(u, i)));
        }
        if self.support {
            let lu = f64::from(u.map_or(0.0, |u| self.user_support[u as usize]));
            let li = f64::from(i.map_or(0.0, |i| self.item_support[i as usize]));
            let n = out.len();
            for j in 1..n {
                let x = out[j];
                out.push(x * lu);
                out.push(x * li);
            }
        }
    }
}

/// A fitted blend. Predictions are finite and not clipped.
#[derive(Debug, Clone)]
pub struct RatingEnsemble {
    parts: Parts,
    /// Intercept, then one weight per component (baseline, [MF], [SVD++], [kNN],
    /// [user-kNN]).
    pub weights: Vec<f64>,
}

impl Checked<EnsembleParams> {
    /// Fits the components on sub-train, the weights on validation, then refits the
    /// components on all of `data`. Falls back to equal weights when the validation split is
    /// empty (every user has fewer than 5 ratings).
    ///
    /// # Errors
    /// [`DataError::Empty`] when `data` has no ratings.
    pub fn fit(&self, data: &Ratings) -> Result<RatingEnsemble, FitError> {
        if data.nnz() == 0 {
            return Err(DataError::Empty("ensemble").into());
        }
        let p = &self.0;
        let rows: Vec<(i64, i64, f32)> = data
            .entries()
            .map(|(u, i, r)| (data.users.id(u).0, data.items.id(i).0, r))
            .collect();
        let (sub, val) = per_user_split(&rows, p.validation_seed);
        let n_models = 1
            + usize::from(p.mf.is_some())
            + usize::from(p.svdpp.is_some())
            + usize::from(p.knn.is_some())
            + usize::from(p.uknn.is_some());
        let n_feat = 1 + n_models * if p.support_features { 3 } else { 1 };
        let mut weights = vec![0f64; n_feat];
        let mut solved = false;
        if !val.is_empty() {
            let sub: Vec<(UserId, MovieId, f32)> = sub
                .iter()
                .map(|r| (UserId(r.0), MovieId(r.1), r.2))
                .collect();
            let sub = Ratings::from_triples(&sub)?;
            let parts = Parts::fit(p, &sub)?;
            let mut a = vec![0f64; n_feat * n_feat];
            let mut b = vec![0f64; n_feat];
            let mut x = Vec::with_capacity(n_feat);
            for &(u, m, r) in &val {
                parts.features(UserId(u), MovieId(m), &mut x);
                for r_ in 0..n_feat {
                    b[r_] += x[r_] * f64::from(r);
                    for c in 0..n_feat {
                        a[r_ * n_feat + c] += x[r_] * x[c];
                    }
                }
            }
            let lam = p.ridge * val.len() as f64;
            for d in 1..n_feat {
                a[d * n_feat + d] += lam;
            }
            solved = cholesky_solve(&mut a, &mut b, n_feat);
            if solved {
                weights = b;
            }
        }
        if !solved {
            weights = vec![0.0; n_feat];
            weights[1..=n_models].fill(1.0 / n_models as f64);
        }
        Ok(RatingEnsemble {
            parts: Parts::fit(p, data)?,
            weights,
        })
    }
}

impl RatingEnsemble {
    /// The baseline component (for fallbacks and explanations).
    pub fn baseline(&self) -> &Baseline {
        &self.parts.baseline
    }
}

impl RatingModel for RatingEnsemble {
    fn predict(&self, user: UserId, movie: MovieId) -> f32 {
        let mut x = Vec::with_capacity(self.weights.len());
        self.parts.features(user, movie, &mut x);
        let s: f64 = x.iter().zip(&self.weights).map(|(a, w)| a * w).sum();
        finite_or(s as f32, self.parts.baseline.mu)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::recommend::rating::mf::tests::two_tastes;

    #[test]
    fn the_blend_predicts_finite_values_everywhere() {
        let data = Ratings::from_triples(&two_tastes()).expect("finite");
        let params = EnsembleParams {
            mf: Some(MfParams {
                factors: 4,
                epochs: 100,
                learning_rate: 0.02,
                ..MfParams::default()
            }),
            svdpp: None,
            ..EnsembleParams::default()
        };
        let m = params.check().expect("valid").fit(&data).expect("fits");
        assert!(m.predict(UserId(0), MovieId(0)) > m.predict(UserId(0), MovieId(8)));
        for (u, i) in [(0, 0), (-1, 3), (2, -5), (-1, -1)] {
            assert!(m.predict(UserId(u), MovieId(i)).is_finite());
        }
    }
}
