//! Biased matrix factorisation for star ratings, trained by stochastic gradient descent:
//! `r̂_ui = μ + b_u + b_i + q_i·(p_u + |N(u)|^-½ Σ_{j∈N(u)} y_j)` (Koren, Bell & Volinsky 2009,
//! "Matrix factorization techniques for recommender systems"; the `y` term is SVD++,
//! Koren 2008, "Factorization meets the neighborhood"). With `implicit = false` the `y` term is
//! off (plain biased MF, "SVD").

use crate::domain::ids::{MovieId, UserId};

use crate::domain::recommend::data::{IdMap, Ratings};
use crate::domain::recommend::linalg::{self, cholesky_solve};
use crate::domain::recommend::{
    Checked, DataError, FitError, ParamError, Params, RatingModel, Recommender, dot, ensure,
    finite_or,
};
use crate::domain::rng::SplitMix64;

/// Hyper-parameters of [`BiasedMf`].
#[derive(Debug, Clone)]
pub struct MfParams {
    pub factors: usize,
    pub epochs: usize,
    pub learning_rate: f32,
    /// Multiplies the learning rate after each epoch.
    pub decay: f32,
    /// L2 on factors.
    pub reg: f32,
    /// L2 on biases.
    pub reg_bias: f32,
    /// Standard deviation of the initial factors.
    pub init_sd: f32,
    /// SVD++ implicit term on the films each user rated.
    pub implicit: bool,
    pub seed: u64,
}

impl Default for MfParams {
    fn default() -> Self {
        Self {
            factors: 64,
            epochs: 40,
            learning_rate: 0.007,
            decay: 0.97,
            reg: 0.05,
            reg_bias: 0.01,
            init_sd: 0.05,
            implicit: false,
            seed: 42,
        }
    }
}

impl Params for MfParams {
    fn check(self) -> Result<Checked<Self>, ParamError> {
        ensure(
            (1..=1024).contains(&self.factors),
            "mf",
            "factors",
            "1..=1024",
            self.factors,
        )?;
        ensure(
            (1..=10_000).contains(&self.epochs),
            "mf",
            "epochs",
            "1..=10000",
            self.epochs,
        )?;
        ensure(
            self.learning_rate > 0.0 && self.learning_rate < 1.0,
            "mf",
            "learning_rate",
            "in (0, 1)",
            self.learning_rate,
        )?;
        ensure(
            self.decay > 0.0 && self.decay <= 1.0,
            "mf",
            "decay",
            "in (0, 1]",
            self.decay,
        )?;
        ensure(
            self.reg >= 0.0 && self.reg.is_finite(),
            "mf",
            "reg",
            "≥ 0",
            self.reg,
        )?;
        ensure(
            self.reg_bias >= 0.0 && self.reg_bias.is_finite(),
            "mf",
            "reg_bias",
            "≥ 0",
            self.reg_bias,
        )?;
        ensure(
            self.init_sd >= 0.0 && self.init_sd < 10.0,
            "mf",
            "init_sd",
            "in [0, 10)",
            self.init_sd,
        )?;
        Ok(Checked(self))
    }
}

/// A fitted biased MF / SVD++ model. `pu` already includes the SVD++ implicit sum.
#[derive(Debug, Clone)]
pub struct BiasedMf {
    pub users: IdMap<UserId>,
    pub items: IdMap<MovieId>,
    pub k: usize,
    pub mu: f32,
    pub bu: Vec<f32>,
    pub bi: Vec<f32>,
    /// Users × k, row-major.
    pub pu: Vec<f32>,
    /// Items × k, row-major.
    pub qi: Vec<f32>,
    reg: f32,
}

/// `z += norm · Σ_{j ∈ is} y_j`: the SVD++ implicit term of a user.
fn add_implicit_sum(z: &mut [f32], yj: &[f32], is: &[u32], norm: f32, k: usize) {
    for &j in is {
        linalg::axpy(z, norm, &yj[j as usize * k..(j as usize + 1) * k]);
    }
}

/// `y_j += step·g − decay·y_j` for every film j of the user (the batched SVD++ y update).
fn apply_y_gradient(yj: &mut [f32], is: &[u32], g: &[f32], step: f32, decay: f32) {
    let k = g.len();
    for &j in is {
        let y = &mut yj[j as usize * k..(j as usize + 1) * k];
        for (yf, gf) in y.iter_mut().zip(g) {
            *yf += step * gf - decay * *yf;
        }
    }
}

impl Checked<MfParams> {
    /// Trains by SGD over users in a seeded random order, each user's ratings shuffled; the
    /// SVD++ `y` gradients are accumulated per user and applied once per user.
    ///
    /// # Errors
    /// [`DataError::Empty`] when `data` has no ratings.
    #[allow(
        clippy::many_single_char_names,
        reason = "maths notation from the paper"
    )]
    pub fn fit(&self, data: &Ratings) -> Result<BiasedMf, FitError> {
        if data.nnz() == 0 {
            return Err(DataError::Empty("mf").into());
        }
        let p = &self.0;
        let k = p.factors;
        let (nu, ni) = (data.n_users(), data.n_items());
        let mut rng = SplitMix64::new(p.seed);
        let mu = data.global_mean as f32;
        let mut bu = vec![0f32; nu];
        let mut bi = vec![0f32; ni];
        let mut pu: Vec<f32> = (0..nu * k).map(|_| rng.normal_f32(p.init_sd)).collect();
        let mut qi: Vec<f32> = (0..ni * k).map(|_| rng.normal_f32(p.init_sd)).collect();
        let ny = if p.implicit { ni * k } else { 0 };
        let mut yj: Vec<f32> = (0..ny).map(|_| rng.normal_f32(p.init_sd)).collect();
        let mut user_order: Vec<u32> = (0..nu as u32).collect();
        let mut z = vec![0f32; k];
        let mut grad_y = vec![0f32; k];
        let mut pos: Vec<usize> = Vec::new();
        let mut lr = p.learning_rate;
        for _ in 0..p.epochs {
            rng.shuffle(&mut user_order);
            for &u in &user_order {
                let u = u as usize;
                let (is, rs) = data.by_user.row(u);
                if is.is_empty() {
                    continue;
                }
                let norm = 1.0 / (is.len() as f32).sqrt();
                let pu_row = u * k;
                if p.implicit {
                    z.copy_from_slice(&pu[pu_row..pu_row + k]);
                    add_implicit_sum(&mut z, &yj, is, norm, k);
                    grad_y.fill(0.0);
                }
                pos.clear();
                pos.extend(0..is.len());
                rng.shuffle(&mut pos);
                for &n in &pos {
                    let i = is[n] as usize;
                    let r = rs[n];
                    let q = &mut qi[i * k..(i + 1) * k];
                    let user_vec: &[f32] = if p.implicit {
                        &z
                    } else {
                        &pu[pu_row..pu_row + k]
                    };
                    let pred = mu + bu[u] + bi[i] + dot(user_vec, q);
                    let e = r - pred;
                    bu[u] += lr * (e - p.reg_bias * bu[u]);
                    bi[i] += lr * (e - p.reg_bias * bi[i]);
                    let puv = &mut pu[pu_row..pu_row + k];
                    let (lr, reg) = (lr, p.reg);
                    if p.implicit {
                        for (((pf, qf), zf), gf) in puv
                            .iter_mut()
                            .zip(q.iter_mut())
                            .zip(z.iter_mut())
                            .zip(grad_y.iter_mut())
                        {
                            let (p0, q0) = (*pf, *qf);
                            *pf += lr * (e * q0 - reg * p0);
                            *qf += lr * (e * *zf - reg * q0);
                            *zf += *pf - p0;
                            *gf += e * q0;
                        }
                    } else {
                        for (pf, qf) in puv.iter_mut().zip(q.iter_mut()) {
                            let (p0, q0) = (*pf, *qf);
                            *pf += lr * (e * q0 - reg * p0);
                            *qf += lr * (e * p0 - reg * q0);
                        }
                    }
                }
                if p.implicit {
                    // The user's summed y-gradient, applied once (the per-rating updates
                    // of Koren 2008 batched per user).
                    apply_y_gradient(&mut yj, is, &grad_y, lr * norm, lr * p.reg);
                }
            }
            lr *= p.decay;
        }
        if p.implicit {
            for (u, row) in pu.chunks_exact_mut(k).enumerate() {
                let (is, _) = data.by_user.row(u);
                if !is.is_empty() {
                    add_implicit_sum(row, &yj, is, 1.0 / (is.len() as f32).sqrt(), k);
                }
            }
        }
        Ok(BiasedMf {
            users: data.users.clone(),
            items: data.items.clone(),
            k,
            mu,
            bu,
            bi,
            pu,
            qi,
            reg: p.reg,
        })
    }
}

impl BiasedMf {
    /// The prediction by dense indices: biases for the known side(s), plus the factor term when
    /// both are known.
    pub fn predict_idx(&self, u: Option<u32>, i: Option<u32>) -> f32 {
        let k = self.k;
        let mut s = self.mu;
        if let Some(u) = u {
            s += self.bu[u as usize];
        }
        if let Some(i) = i {
            s += self.bi[i as usize];
        }
        if let (Some(u), Some(i)) = (u, i) {
            let (u, i) = (u as usize, i as usize);
            s += dot(&self.pu[u * k..(u + 1) * k], &self.qi[i * k..(i + 1) * k]);
        }
        finite_or(s, self.mu)
    }

    /// Fold-in: the bias and factors `(b_u, p_u)` that fit `ratings` best with the films'
    /// parameters fixed — one ridge solve of size k+1 (ALS half-step), O(n·k² + k³). Unknown
    /// films are ignored; with no usable rating the user gets zeros (the film biases alone).
    #[allow(clippy::many_single_char_names, reason = "normal-equation notation")]
    pub fn fold_in(&self, ratings: &[(MovieId, f32)]) -> (f32, Vec<f32>) {
        let k = self.k;
        let d = k + 1;
        let mut a = vec![0f64; d * d];
        let mut b = vec![0f64; d];
        let mut n = 0usize;
        let mut x = vec![0f64; d];
        for &(m, r) in ratings {
            let Some(i) = self.items.get(m) else { continue };
            if !r.is_finite() {
                continue;
            }
            n += 1;
            let i = i as usize;
            x[0] = 1.0;
            for f in 0..k {
                x[f + 1] = f64::from(self.qi[i * k + f]);
            }
            let target = f64::from(r - self.mu - self.bi[i]);
            for r_ in 0..d {
                b[r_] += x[r_] * target;
                for c in 0..=r_ {
                    a[r_ * d + c] += x[r_] * x[c];
                }
            }
        }
        if n == 0 {
            return (0.0, vec![0.0; k]);
        }
        let lambda = f64::from(self.reg.max(1e-3)) * n as f64;
        for r_ in 0..d {
            for c in 0..r_ {
                a[c * d + r_] = a[r_ * d + c];
            }
            a[r_ * d + r_] += if r_ == 0 { 1.0 } else { lambda };
        }
        if !cholesky_solve(&mut a, &mut b, d) {
            return (0.0, vec![0.0; k]);
        }
        (b[0] as f32, b[1..].iter().map(|&v| v as f32).collect())
    }
}

impl RatingModel for BiasedMf {
    fn predict(&self, user: UserId, movie: MovieId) -> f32 {
        self.predict_idx(self.users.get(user), self.items.get(movie))
    }
}

impl Recommender for BiasedMf {
    fn items(&self) -> &IdMap<MovieId> {
        &self.items
    }

    fn score_into(&self, user: UserId, out: &mut [f32]) {
        let u = self.users.get(user);
        for (i, o) in out.iter_mut().enumerate() {
            *o = self.predict_idx(u, Some(i as u32));
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Two taste groups: users 0..10 love films 0..5 and hate 5..10; users 10..20 the reverse.
    pub(crate) fn two_tastes() -> Vec<(UserId, MovieId, f32)> {
        let mut rows = Vec::new();
        for u in 0..20i64 {
            for m in 0..10i64 {
                if (u + m) % 4 == 0 {
                    continue; // hold some out
                }
                let loves = (u < 10) == (m < 5);
                rows.push((UserId(u), MovieId(m), if loves { 5.0 } else { 1.0 }));
            }
        }
        rows
    }

    #[test]
    fn mf_learns_two_tastes_on_held_out_pairs() {
        let data = Ratings::from_triples(&two_tastes()).expect("finite");
        for implicit in [false, true] {
            let m = MfParams {
                factors: 4,
                epochs: 200,
                learning_rate: 0.02,
                implicit,
                ..MfParams::default()
            }
            .check()
            .expect("valid")
            .fit(&data)
            .expect("fits");
            // (0, 0) and (0, 8) were held out.
            assert!(
                m.predict(UserId(0), MovieId(0)) > 3.5,
                "implicit {implicit}"
            );
            assert!(
                m.predict(UserId(0), MovieId(8)) < 2.5,
                "implicit {implicit}"
            );
        }
    }

    #[test]
    fn fold_in_moves_a_user_toward_what_they_just_liked() {
        let data = Ratings::from_triples(&two_tastes()).expect("finite");
        let m = MfParams {
            factors: 4,
            epochs: 200,
            learning_rate: 0.02,
            ..MfParams::default()
        }
        .check()
        .expect("valid")
        .fit(&data)
        .expect("fits");
        let (bu, pu) = m.fold_in(&[(MovieId(1), 5.0), (MovieId(2), 5.0), (MovieId(7), 1.0)]);
        let score = |i: i64| {
            let i = m.items.get(MovieId(i)).expect("known") as usize;
            m.mu + bu + m.bi[i] + dot(&pu, &m.qi[i * 4..i * 4 + 4])
        };
        assert!(score(0) > score(8) + 1.0);
        assert!(score(0).is_finite());
    }

    #[test]
    fn zero_factors_are_refused() {
        assert!(
            MfParams {
                factors: 0,
                ..MfParams::default()
            }
            .check()
            .is_err()
        );
    }
}
