//! Baseline predictors: `r̂ = μ + b_u + b_i` with biases learned by alternating least squares
//! (Koren 2010, "Factor in the neighbors", §2.1; Surprise's BaselineOnly), and the popularity
//! recommender that serves users with no history.

use crate::domain::ids::{MovieId, UserId};

use super::data::{IdMap, Ratings};
use super::{Checked, DataError, FitError, ParamError, Params, RatingModel, Recommender, ensure};

/// Baseline hyper-parameters (defaults from Koren 2010 / Surprise: λ_u 15, λ_i 10, 10 sweeps).
#[derive(Debug, Clone)]
pub struct BaselineParams {
    pub reg_user: f32,
    pub reg_item: f32,
    pub epochs: usize,
}

impl Default for BaselineParams {
    fn default() -> Self {
        Self {
            reg_user: 15.0,
            reg_item: 10.0,
            epochs: 10,
        }
    }
}

impl Params for BaselineParams {
    fn check(self) -> Result<Checked<Self>, ParamError> {
        ensure(
            self.reg_user >= 0.0 && self.reg_user.is_finite(),
            "baseline",
            "reg_user",
            "≥ 0",
            self.reg_user,
        )?;
        ensure(
            self.reg_item >= 0.0 && self.reg_item.is_finite(),
            "baseline",
            "reg_item",
            "≥ 0",
            self.reg_item,
        )?;
        ensure(
            self.epochs >= 1 && self.epochs <= 1000,
            "baseline",
            "epochs",
            "1..=1000",
            self.epochs,
        )?;
        Ok(Checked(self))
    }
}

/// Fitted biases. `bu`/`bi` are indexed like the training matrix's users/items.
#[derive(Debug, Clone)]
pub struct Baseline {
    pub users: IdMap<UserId>,
    pub items: IdMap<MovieId>,
    pub mu: f32,
    pub bu: Vec<f32>,
    pub bi: Vec<f32>,
}

impl Checked<BaselineParams> {
    /// Fits the biases by `epochs` alternating ridge sweeps (items, then users).
    ///
    /// # Errors
    /// [`DataError::Empty`] when `data` has no values.
    pub fn fit(&self, data: &Ratings) -> Result<Baseline, FitError> {
        if data.nnz() == 0 {
            return Err(DataError::Empty("baseline").into());
        }
        let p = &self.0;
        let mu = data.global_mean as f32;
        let mut bu = vec![0f32; data.n_users()];
        let mut bi = vec![0f32; data.n_items()];
        for _ in 0..p.epochs {
            for (i, b) in bi.iter_mut().enumerate() {
                let (us, vs) = data.by_item.row(i);
                let s: f32 = us
                    .iter()
                    .zip(vs)
                    .map(|(&u, &r)| r - mu - bu[u as usize])
                    .sum();
                *b = s / (p.reg_item + us.len() as f32);
            }
            for (u, b) in bu.iter_mut().enumerate() {
                let (is, vs) = data.by_user.row(u);
                let s: f32 = is
                    .iter()
                    .zip(vs)
                    .map(|(&i, &r)| r - mu - bi[i as usize])
                    .sum();
                *b = s / (p.reg_user + is.len() as f32);
            }
        }
        Ok(Baseline {
            users: data.users.clone(),
            items: data.items.clone(),
            mu,
            bu,
            bi,
        })
    }
}

impl Baseline {
    /// `μ + b_u + b_i` by dense indices; an unknown side contributes 0.
    pub fn predict_idx(&self, u: Option<u32>, i: Option<u32>) -> f32 {
        self.mu + u.map_or(0.0, |u| self.bu[u as usize]) + i.map_or(0.0, |i| self.bi[i as usize])
    }
}

impl RatingModel for Baseline {
    fn predict(&self, user: UserId, movie: MovieId) -> f32 {
        super::finite_or(
            self.predict_idx(self.users.get(user), self.items.get(movie)),
            self.mu,
        )
    }
}

impl Recommender for Baseline {
    fn items(&self) -> &IdMap<MovieId> {
        &self.items
    }

    fn score_into(&self, user: UserId, out: &mut [f32]) {
        let u = self.users.get(user);
        for (i, o) in out.iter_mut().enumerate() {
            *o = super::finite_or(self.predict_idx(u, Some(i as u32)), 0.0);
        }
    }
}

/// Popularity hyper-parameters.
#[derive(Debug, Clone)]
pub struct PopularityParams {
    /// Pseudo-count `m` of the damped mean `(Σr + m·μ) / (n + m)`.
    pub damping: f32,
    /// Weight of the damped mean against `ln(1 + total weight)` in the score; 0 = pure counts.
    pub quality_weight: f32,
}

impl Default for PopularityParams {
    fn default() -> Self {
        Self {
            damping: 10.0,
            quality_weight: 0.0,
        }
    }
}

impl Params for PopularityParams {
    fn check(self) -> Result<Checked<Self>, ParamError> {
        ensure(
            self.damping >= 0.0 && self.damping.is_finite(),
            "popularity",
            "damping",
            "≥ 0",
            self.damping,
        )?;
        ensure(
            self.quality_weight.is_finite() && self.quality_weight >= 0.0,
            "popularity",
            "quality_weight",
            "≥ 0",
            self.quality_weight,
        )?;
        Ok(Checked(self))
    }
}

/// The cold-start fallback: the same ranking for everyone, by how much a film is watched
/// (`ln(1 + Σ weights)`) plus `quality_weight` × its damped mean value.
#[derive(Debug, Clone)]
pub struct Popularity {
    pub items: IdMap<MovieId>,
    /// Score per film, finite.
    pub score: Vec<f32>,
}

impl Checked<PopularityParams> {
    /// Counts and damped means per film. An empty matrix gives an empty model.
    pub fn fit(&self, data: &Ratings) -> Result<Popularity, FitError> {
        let p = &self.0;
        let mu = data.global_mean as f32;
        let score = (0..data.n_items())
            .map(|i| {
                let (_, vs) = data.by_item.row(i);
                let n = vs.len() as f32;
                let sum: f32 = vs.iter().sum();
                let damped = (sum + p.damping * mu) / (n + p.damping).max(f32::MIN_POSITIVE);
                super::finite_or(n.ln_1p() + p.quality_weight * damped, 0.0)
            })
            .collect();
        Ok(Popularity {
            items: data.items.clone(),
            score,
        })
    }
}

impl Recommender for Popularity {
    fn items(&self) -> &IdMap<MovieId> {
        &self.items
    }

    fn score_into(&self, _user: UserId, out: &mut [f32]) {
        out.copy_from_slice(&self.score);
    }
}

/// Time-decayed interaction counts per film: each `(film, created_at_ms)` counts
/// `0.5^((t_ref − t) / half_life)`, where `t_ref` is the newest timestamp given (the domain has no
/// clock, so "now" is the latest event) — exponential-decay popularity as in Ding & Li 2005,
/// "Time weight collaborative filtering". Events newer than `t_ref` cannot occur; a
/// non-positive or non-finite half-life disables the decay (every event counts 1).
pub fn decayed_counts(
    events: &[(MovieId, i64)],
    half_life_ms: f64,
) -> std::collections::HashMap<MovieId, f64> {
    let t_ref = events.iter().map(|e| e.1).max().unwrap_or(0);
    let decay = half_life_ms.is_finite() && half_life_ms > 0.0;
    let mut out = std::collections::HashMap::new();
    for &(m, t) in events {
        let w = if decay {
            0.5f64.powf((t_ref - t).max(0) as f64 / half_life_ms)
        } else {
            1.0
        };
        *out.entry(m).or_insert(0.0) += w;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn toy() -> Ratings {
        Ratings::from_triples(&[
            (UserId(1), MovieId(1), 5.0),
            (UserId(2), MovieId(1), 4.0),
            (UserId(3), MovieId(1), 5.0),
            (UserId(1), MovieId(2), 1.0),
            (UserId(2), MovieId(2), 2.0),
            (UserId(3), MovieId(3), 3.0),
        ])
        .expect("finite")
    }

    #[test]
    fn a_loved_film_gets_a_higher_bias_than_a_hated_one() {
        let m = BaselineParams::default()
            .check()
            .expect("valid")
            .fit(&toy())
            .expect("fits");
        assert!(m.predict(UserId(9), MovieId(1)) > m.predict(UserId(9), MovieId(2)));
        assert!((m.predict(UserId(9), MovieId(99)) - m.mu).abs() < 1e-6);
    }

    #[test]
    fn negative_regularisation_is_refused() {
        assert!(
            BaselineParams {
                reg_user: -1.0,
                ..BaselineParams::default()
            }
            .check()
            .is_err()
        );
    }

    #[test]
    fn a_cold_start_user_still_gets_n_results() {
        let m = PopularityParams::default()
            .check()
            .expect("valid")
            .fit(&toy())
            .expect("fits");
        let got = m.recommend(UserId(404), 2, &HashSet::new());
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].movie, MovieId(1));
    }

    #[test]
    fn recent_interest_outranks_old_interest_of_the_same_size() {
        let day = 86_400_000i64;
        let mut ev = Vec::new();
        for d in 0..10 {
            ev.push((MovieId(1), d * day)); // old favourite
            ev.push((MovieId(2), 400 * day + d * day)); // this month's
        }
        let c = decayed_counts(&ev, 30.0 * day as f64);
        assert!(c[&MovieId(2)] > 5.0 * c[&MovieId(1)], "{c:?}");
        // The newest event counts fully; a half-life back counts half.
        let two = decayed_counts(
            &[(MovieId(3), 0), (MovieId(4), 30 * day)],
            30.0 * day as f64,
        );
        assert!((two[&MovieId(4)] - 1.0).abs() < 1e-12 && (two[&MovieId(3)] - 0.5).abs() < 1e-12);
        // No decay: plain counts.
        let flat = decayed_counts(&ev, 0.0);
        assert!((flat[&MovieId(1)] - 10.0).abs() < 1e-12);
        assert!(decayed_counts(&[], 1.0).is_empty());
    }
}
