//! Implicit-feedback matrix factorisation by alternating least squares: minimise
//! `Σ_ui c_ui (p_ui − x_u·y_i)² + λ(‖x‖² + ‖y‖²)` with `p_ui = 1` for observed pairs and
//! confidence `c_ui = 1 + α·r_ui` (Hu, Koren & Volinsky 2008), each half-step solved
//! approximately by a few warm-started conjugate-gradient steps (Takács, Pilászy & Tikk 2011,
//! "Applications of the conjugate gradient method for implicit feedback collaborative
//! filtering"), so a sweep costs O(nnz·k + (users + items)·k²·steps).
//!
//! Speed (see `docs/BENCHMARKS.md`, `marquee bench als`): the CG passes run on explicit SIMD
//! kernels through pulp (AVX2 + FMA chosen at run time, scalar elsewhere), four rows at a time.
//! Rows with many interactions (`dense_min`) are solved in lockstep per thread block, so
//! each CG pass streams the other side's factors once in order instead of reading scattered
//! rows once per interaction; the rest are solved one row at a time. Every row's arithmetic is
//! the same for any block, so the factors do not depend on the thread count.
//!
//! Files: this one holds the parameters, the fit loop, fold-in and scoring; `solver` the CG
//! half-step and its lockstep plan; `simd` the run-time-dispatched kernels.

#![allow(
    clippy::inline_always,
    reason = "pulp compiles a kernel for AVX2 + FMA only where it is inlined into the \
              dispatched (target-feature) function, so the solver's kernels must always inline"
)]

mod simd;
mod solver;

use crate::domain::ids::{MovieId, UserId};
use crate::domain::rng::SplitMix64;

use super::data::{Csr, IdMap, Ratings};
use super::linalg::cholesky_solve;
use super::{
    Checked, DataError, FitError, ParamError, Params, Recommender, dot, ensure, finite_or,
};
use solver::{Plan, dense_min, half_step};

/// Hyper-parameters of [`ImplicitAls`] (defaults: the anchors' best validated setting).
#[derive(Debug, Clone)]
pub struct AlsParams {
    pub factors: usize,
    pub iterations: usize,
    /// λ, added to the diagonal (scaled per row by [`AlsParams::reg_exponent`]).
    pub reg: f32,
    /// ν of the frequency-scaled regularisation (Rendle et al. 2022, "Revisiting the
    /// performance of iALS on item recommendation benchmarks"): row `r` gets
    /// `λ·(m_r / m̄)^ν`, where `m_r = n_other + α·Σ r` is the row's total confidence mass
    /// (unobserved pairs weigh 1, observed `1 + α·r`) and `m̄` its mean over the rows of that
    /// side. 0 (the default) gives every row the same λ; 1 regularises busy users and popular
    /// films more, in proportion to how much they are fitted against.
    pub reg_exponent: f32,
    /// α of the confidence `1 + α·r`.
    pub alpha: f32,
    /// CG steps per half-step.
    pub cg_steps: usize,
    pub seed: u64,
    /// Worker threads for the Gram matrices and half-steps (`std::thread::scope` over
    /// contiguous row blocks); the factors are identical for every thread count.
    pub threads: usize,
}

impl Default for AlsParams {
    fn default() -> Self {
        Self {
            factors: 64,
            iterations: 15,
            reg: 10.0,
            reg_exponent: 0.0,
            alpha: 1.0,
            cg_steps: 3,
            seed: 42,
            threads: 1,
        }
    }
}

impl Params for AlsParams {
    fn check(self) -> Result<Checked<Self>, ParamError> {
        ensure(
            (1..=1024).contains(&self.factors),
            "als",
            "factors",
            "1..=1024",
            self.factors,
        )?;
        ensure(
            (1..=1000).contains(&self.iterations),
            "als",
            "iterations",
            "1..=1000",
            self.iterations,
        )?;
        ensure(
            self.reg > 0.0 && self.reg.is_finite(),
            "als",
            "reg",
            "> 0",
            self.reg,
        )?;
        ensure(
            (0.0..=2.0).contains(&self.reg_exponent),
            "als",
            "reg_exponent",
            "0..=2",
            self.reg_exponent,
        )?;
        ensure(
            self.alpha >= 0.0 && self.alpha.is_finite(),
            "als",
            "alpha",
            "≥ 0",
            self.alpha,
        )?;
        ensure(
            (1..=64).contains(&self.cg_steps),
            "als",
            "cg_steps",
            "1..=64",
            self.cg_steps,
        )?;
        ensure(
            (1..=256).contains(&self.threads),
            "als",
            "threads",
            "1..=256",
            self.threads,
        )?;
        Ok(Checked(self))
    }
}

/// A fitted implicit ALS model: user and film factors, k per row.
#[derive(Debug, Clone)]
pub struct ImplicitAls {
    pub users: IdMap<UserId>,
    pub items: IdMap<MovieId>,
    pub k: usize,
    /// Users × k.
    pub x: Vec<f32>,
    /// Items × k.
    pub y: Vec<f32>,
    reg: f32,
    /// ν and the users' mean confidence mass `m̄`, so fold-in regularises like training.
    reg_exponent: f32,
    user_mass_mean: f32,
    alpha: f32,
    /// `Yᵀ Y`, cached for fold-in.
    gram_y: Vec<f32>,
}

/// The per-row λ of [`AlsParams::reg_exponent`] for the rows of `m` (the other side has
/// `n_other` rows), and the mean mass `m̄`.
fn row_regs(m: &Csr, n_other: usize, reg: f32, nu: f32, alpha: f32) -> (Vec<f32>, f32) {
    let n = m.ptr.len().saturating_sub(1);
    let mass: Vec<f64> = (0..n)
        .map(|r| {
            let (_, vs) = m.row(r);
            confidence_mass(
                n_other as f64,
                alpha,
                vs.iter().map(|&v| f64::from(v)).sum(),
            )
        })
        .collect();
    let mean = mass.iter().sum::<f64>() / n.max(1) as f64;
    let regs = mass
        .iter()
        .map(|&mr| scaled_reg(reg, nu, mr, mean as f32) as f32)
        .collect();
    (regs, mean as f32)
}

/// A row's total confidence mass `n_other + α·Σ r`: every unobserved pair weighs 1 and an
/// observed one `1 + α·r` (see [`AlsParams::reg_exponent`]).
pub fn confidence_mass(n_other: f64, alpha: f32, strength: f64) -> f64 {
    n_other + f64::from(alpha) * strength
}

/// `λ·(mass / mean)^ν`; plain λ when ν is 0 or the mean is not positive.
pub fn scaled_reg(reg: f32, nu: f32, mass: f64, mean: f32) -> f64 {
    if nu == 0.0 || mean <= 0.0 {
        f64::from(reg)
    } else {
        f64::from(reg) * (mass / f64::from(mean)).powf(f64::from(nu))
    }
}

/// `G = Yᵀ Y` (k×k, f32), on `threads` threads. Each thread owns a band of G's rows and sums
/// over the rows of `y` in order, so the result does not depend on the thread count.
fn gram(y: &[f32], k: usize, threads: usize) -> Vec<f32> {
    let mut g = vec![0f32; k * k];
    let band = k.div_ceil(threads.clamp(1, k));
    std::thread::scope(|s| {
        for (t, gb) in g.chunks_mut(band * k).enumerate() {
            let a0 = t * band;
            let mut work = move || {
                for row in y.chunks_exact(k) {
                    for (da, ga) in gb.chunks_exact_mut(k).enumerate() {
                        let ra = row[a0 + da];
                        if ra != 0.0 {
                            axpy8(ga, ra, row);
                        }
                    }
                }
            };
            if threads <= 1 {
                work();
            } else {
                s.spawn(work);
            }
        }
    });
    g
}

/// `y += a·x`, in 8-wide chunks the compiler vectorises.
#[inline]
fn axpy8(y: &mut [f32], a: f32, x: &[f32]) {
    let n = y.len().min(x.len());
    let (y, x) = (&mut y[..n], &x[..n]);
    let mut yc = y.chunks_exact_mut(8);
    let mut xc = x.chunks_exact(8);
    for (yy, xx) in (&mut yc).zip(&mut xc) {
        for j in 0..8 {
            yy[j] += a * xx[j];
        }
    }
    for (yy, xx) in yc.into_remainder().iter_mut().zip(xc.remainder()) {
        *yy += a * xx;
    }
}

impl Checked<AlsParams> {
    /// Alternates CG half-steps for users and films, `iterations` times. Values of `data` are
    /// the implicit strengths `r` (1 for a plain interaction).
    ///
    /// # Errors
    /// [`DataError::Empty`] when `data` has no interactions.
    pub fn fit(&self, data: &Ratings) -> Result<ImplicitAls, FitError> {
        self.fit_observed(data, |_, _| {})
    }

    /// [`Self::fit`], calling `after(iteration, &model_so_far_factors)` after every sweep
    /// (used by benchmarks to time iterations without a clock in the domain).
    ///
    /// # Errors
    /// [`DataError::Empty`] when `data` has no interactions.
    pub fn fit_observed(
        &self,
        data: &Ratings,
        mut after: impl FnMut(usize, &[f32]),
    ) -> Result<ImplicitAls, FitError> {
        if data.nnz() == 0 {
            return Err(DataError::Empty("als").into());
        }
        let p = &self.0;
        let k = p.factors;
        let threads = p.threads.max(1);
        let mut rng = SplitMix64::new(p.seed);
        let sd = 0.1 / (k as f32).sqrt();
        let mut x: Vec<f32> = (0..data.n_users() * k)
            .map(|_| rng.normal_f32(sd))
            .collect();
        let mut y: Vec<f32> = (0..data.n_items() * k)
            .map(|_| rng.normal_f32(sd))
            .collect();
        let dense = dense_min(k);
        let user_plan = Plan::new(&data.by_user, &data.by_item, dense, threads, k);
        let item_plan = Plan::new(&data.by_item, &data.by_user, dense, threads, k);
        let (user_regs, user_mass_mean) = row_regs(
            &data.by_user,
            data.n_items(),
            p.reg,
            p.reg_exponent,
            p.alpha,
        );
        let (item_regs, _) = row_regs(
            &data.by_item,
            data.n_users(),
            p.reg,
            p.reg_exponent,
            p.alpha,
        );
        for it in 0..p.iterations {
            let gy = gram(&y, k, threads);
            half_step(
                &mut x,
                &y,
                &data.by_user,
                &user_plan,
                &gy,
                k,
                &user_regs,
                p.alpha,
                p.cg_steps,
                threads,
            );
            let gx = gram(&x, k, threads);
            half_step(
                &mut y,
                &x,
                &data.by_item,
                &item_plan,
                &gx,
                k,
                &item_regs,
                p.alpha,
                p.cg_steps,
                threads,
            );
            after(it, &y);
        }
        let gram_y = gram(&y, k, threads);
        Ok(ImplicitAls {
            users: data.users.clone(),
            items: data.items.clone(),
            k,
            x,
            y,
            reg: p.reg,
            reg_exponent: p.reg_exponent,
            user_mass_mean,
            alpha: p.alpha,
            gram_y,
        })
    }
}

impl ImplicitAls {
    /// Fold-in: the exact least-squares user vector for `signals` (film, strength) with the
    /// film factors fixed — one k×k Cholesky solve, O(n·k² + k³); well under a millisecond for
    /// k = 64. Unknown films and non-finite strengths are ignored; nothing usable gives zeros.
    #[allow(clippy::many_single_char_names, reason = "normal-equation notation")]
    pub fn fold_in(&self, signals: &[(MovieId, f32)]) -> Vec<f32> {
        let k = self.k;
        let mut a: Vec<f64> = self.gram_y.iter().map(|&v| f64::from(v)).collect();
        let mut b = vec![0f64; k];
        let mut any = false;
        let mut strength = 0f64;
        for &(m, v) in signals {
            let (Some(i), true) = (self.items.get(m), v.is_finite() && v > 0.0) else {
                continue;
            };
            any = true;
            strength += f64::from(v);
            let yi = &self.y[i as usize * k..(i as usize + 1) * k];
            let c = f64::from(1.0 + self.alpha * v);
            for r in 0..k {
                let yr = f64::from(yi[r]);
                b[r] += c * yr;
                for s in 0..k {
                    a[r * k + s] += (c - 1.0) * yr * f64::from(yi[s]);
                }
            }
        }
        if !any {
            return vec![0.0; k];
        }
        let reg = self.user_reg(strength);
        for d in 0..k {
            a[d * k + d] += reg;
        }
        if cholesky_solve(&mut a, &mut b, k) {
            b.iter().map(|&v| v as f32).collect()
        } else {
            vec![0.0; k]
        }
    }

    /// λ for a user whose signals sum to `strength` (see [`AlsParams::reg_exponent`]).
    pub fn user_reg(&self, strength: f64) -> f64 {
        scaled_reg(
            self.reg,
            self.reg_exponent,
            confidence_mass(self.items.len() as f64, self.alpha, strength),
            self.user_mass_mean,
        )
    }

    /// ν, the users' mean confidence mass `m̄` and the number of films, to regularise a
    /// folded-in user outside this model (the serving snapshot) like training did.
    pub fn reg_scaling(&self) -> (f32, f32, f32) {
        (
            self.reg_exponent,
            self.user_mass_mean,
            self.items.len() as f32,
        )
    }

    /// Scores every film for a user vector `xu` (length k) into `out`.
    pub fn score_vector(&self, xu: &[f32], out: &mut [f32]) {
        for (o, yi) in out.iter_mut().zip(self.y.chunks_exact(self.k)) {
            *o = finite_or(dot(xu, yi), 0.0);
        }
    }
}

impl Recommender for ImplicitAls {
    fn items(&self) -> &IdMap<MovieId> {
        &self.items
    }

    fn score_into(&self, user: UserId, out: &mut [f32]) {
        match self.users.get(user) {
            Some(u) => {
                let u = u as usize;
                let xu = &self.x[u * self.k..(u + 1) * self.k];
                self.score_vector(xu, out);
            }
            None => out.iter_mut().for_each(|o| *o = 0.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// Users 0..12 watch space films 0..4, users 12..24 watch westerns 10..14; user 99 has
    /// watched three space films only.
    pub(super) fn space_and_westerns() -> Ratings {
        let mut rows = Vec::new();
        for u in 0..24i64 {
            let base = if u < 12 { 0 } else { 10 };
            for m in base..base + 4 {
                rows.push((UserId(u), MovieId(m), 1.0));
            }
        }
        for m in 0..3 {
            rows.push((UserId(99), MovieId(m), 1.0));
        }
        Ratings::from_triples(&rows).expect("finite")
    }

    #[test]
    fn a_fan_of_three_space_films_gets_the_fourth_in_their_top_5() {
        let data = space_and_westerns();
        let m = AlsParams {
            factors: 4,
            reg: 0.1,
            iterations: 20,
            ..AlsParams::default()
        }
        .check()
        .expect("valid")
        .fit(&data)
        .expect("fits");
        let seen: HashSet<MovieId> = (0..3).map(MovieId).collect();
        let top = m.recommend(UserId(99), 5, &seen);
        assert_eq!(top[0].movie, MovieId(3), "{top:?}");
    }

    #[test]
    fn fold_in_moves_a_user_toward_what_they_just_liked() {
        let data = space_and_westerns();
        let m = AlsParams {
            factors: 4,
            reg: 0.1,
            iterations: 20,
            ..AlsParams::default()
        }
        .check()
        .expect("valid")
        .fit(&data)
        .expect("fits");
        let xu = m.fold_in(&[(MovieId(10), 1.0), (MovieId(11), 1.0)]);
        let mut s = vec![0f32; m.items.len()];
        m.score_vector(&xu, &mut s);
        let at = |id| s[m.items.get(MovieId(id)).expect("known") as usize];
        assert!(at(12) > at(2), "western {} vs space {}", at(12), at(2));
        assert!(m.fold_in(&[]).iter().all(|v| *v == 0.0));
    }

    #[test]
    fn the_factors_do_not_depend_on_the_thread_count() {
        let data = space_and_westerns();
        let fit = |threads| {
            AlsParams {
                factors: 16,
                iterations: 4,
                alpha: 2.0,
                threads,
                ..AlsParams::default()
            }
            .check()
            .expect("valid")
            .fit(&data)
            .expect("fits")
        };
        let (one, two, three) = (fit(1), fit(2), fit(3));
        assert_eq!(one.x, two.x);
        assert_eq!(one.y, two.y);
        assert_eq!(one.y, three.y);
        assert_eq!(one.gram_y, three.gram_y);
    }

    /// Seeded random interactions with strengths 1–5: 70 users × 40 films, user `u` watching
    /// 3 + u % 25 films (so some rows are long and some short).
    pub(super) fn random_interactions(seed: u64) -> Ratings {
        let mut rng = SplitMix64::new(seed);
        let mut rows = Vec::new();
        for u in 0..70i64 {
            let mut films: Vec<i64> = (0..40).collect();
            rng.shuffle(&mut films);
            for &m in &films[..3 + (u as usize % 25)] {
                rows.push((UserId(u), MovieId(m), 1.0 + rng.below(5) as f32));
            }
        }
        Ratings::from_triples(&rows).expect("finite")
    }

    #[test]
    fn frequency_scaling_regularises_busy_rows_more() {
        let data = random_interactions(7);
        let (plain, _) = row_regs(&data.by_user, data.n_items(), 2.0, 0.0, 0.5);
        assert!(plain.iter().all(|&r| (r - 2.0).abs() < f32::EPSILON));
        let (scaled, mean) = row_regs(&data.by_user, data.n_items(), 2.0, 1.0, 0.5);
        // Rows with more (and stronger) interactions carry more confidence mass, so a larger λ;
        // λ is 2 exactly at the mean mass, so it is above 2 for some rows and below for others.
        let mass = |u: usize| {
            let (_, vs) = data.by_user.row(u);
            data.n_items() as f32 + 0.5 * vs.iter().sum::<f32>()
        };
        let (lo, hi) = (0..data.n_users()).fold((0, 0), |(lo, hi), u| {
            (
                if mass(u) < mass(lo) { u } else { lo },
                if mass(u) > mass(hi) { u } else { hi },
            )
        });
        assert!(
            scaled[hi] > 2.0 && scaled[lo] < 2.0,
            "{} {}",
            scaled[lo],
            scaled[hi]
        );
        for (u, r) in scaled.iter().enumerate() {
            assert!((r - 2.0 * mass(u) / mean).abs() < 1e-4, "row {u}");
        }
    }
}
