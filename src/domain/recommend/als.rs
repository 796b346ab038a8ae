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

#![allow(
    clippy::inline_always,
    reason = "pulp compiles a kernel for AVX2 + FMA only where it is inlined into the \
              dispatched (target-feature) function, so the solver's kernels must always inline"
)]

use crate::domain::ids::{MovieId, UserId};

use super::data::{Csr, IdMap, Ratings};
use super::linalg::cholesky_solve;
use super::rng::SplitMix64;
use super::{
    Checked, DataError, FitError, ParamError, Params, Recommender, dot, ensure, finite_or,
};
use pulp::{Arch, Simd, WithSimd};

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

/// `acc += Σ_n coef(n, y_n·v) · y_n` over the rows `row(0..len)` (k/L vectors each): every
/// per-interaction pass of the CG solver is this one kernel. Four rows at a time: four
/// independent dot products, then one sweep of `acc` with four fused multiply-adds per vector, so
/// `acc` is loaded and stored once per four rows.
#[inline(always)]
fn pass<'y, S: Simd>(
    s: S,
    len: usize,
    row: impl Fn(usize) -> &'y [S::f32s],
    coef: impl Fn(usize, f32) -> f32,
    v: &[S::f32s],
    acc: &mut [S::f32s],
) {
    let kv = v.len().min(acc.len());
    let (v, acc) = (&v[..kv], &mut acc[..kv]);
    let zero = s.splat_f32s(0.0);
    let mut n = 0;
    while n + 4 <= len {
        let (y0, y1, y2, y3) = (
            &row(n)[..kv],
            &row(n + 1)[..kv],
            &row(n + 2)[..kv],
            &row(n + 3)[..kv],
        );
        let (mut d0, mut d1, mut d2, mut d3) = (zero, zero, zero, zero);
        for j in 0..kv {
            let vj = v[j];
            d0 = s.mul_add_e_f32s(y0[j], vj, d0);
            d1 = s.mul_add_e_f32s(y1[j], vj, d1);
            d2 = s.mul_add_e_f32s(y2[j], vj, d2);
            d3 = s.mul_add_e_f32s(y3[j], vj, d3);
        }
        let t0 = s.splat_f32s(coef(n, s.reduce_sum_f32s(d0)));
        let t1 = s.splat_f32s(coef(n + 1, s.reduce_sum_f32s(d1)));
        let t2 = s.splat_f32s(coef(n + 2, s.reduce_sum_f32s(d2)));
        let t3 = s.splat_f32s(coef(n + 3, s.reduce_sum_f32s(d3)));
        for j in 0..kv {
            let a = s.mul_add_e_f32s(t0, y0[j], acc[j]);
            let a = s.mul_add_e_f32s(t1, y1[j], a);
            let a = s.mul_add_e_f32s(t2, y2[j], a);
            acc[j] = s.mul_add_e_f32s(t3, y3[j], a);
        }
        n += 4;
    }
    while n < len {
        let y0 = &row(n)[..kv];
        let mut d0 = zero;
        for j in 0..kv {
            d0 = s.mul_add_e_f32s(y0[j], v[j], d0);
        }
        let t0 = s.splat_f32s(coef(n, s.reduce_sum_f32s(d0)));
        for j in 0..kv {
            acc[j] = s.mul_add_e_f32s(t0, y0[j], acc[j]);
        }
        n += 1;
    }
}

/// `a·b` over SIMD vectors, two accumulators.
#[inline(always)]
fn vdot<S: Simd>(s: S, a: &[S::f32s], b: &[S::f32s]) -> f32 {
    let (mut d0, mut d1) = (s.splat_f32s(0.0), s.splat_f32s(0.0));
    let mut ac = a.chunks_exact(2);
    let mut bc = b.chunks_exact(2);
    for (x, y) in (&mut ac).zip(&mut bc) {
        d0 = s.mul_add_e_f32s(x[0], y[0], d0);
        d1 = s.mul_add_e_f32s(x[1], y[1], d1);
    }
    for (x, y) in ac.remainder().iter().zip(bc.remainder()) {
        d0 = s.mul_add_e_f32s(*x, *y, d0);
    }
    s.reduce_sum_f32s(s.add_f32s(d0, d1))
}

/// `y += a·x` over SIMD vectors.
#[inline(always)]
fn vaxpy<S: Simd>(s: S, y: &mut [S::f32s], a: f32, x: &[S::f32s]) {
    let a = s.splat_f32s(a);
    for (yy, xx) in y.iter_mut().zip(x) {
        *yy = s.mul_add_e_f32s(a, *xx, *yy);
    }
}

/// Scratch vectors of one CG solve (k floats each), reused across rows.
struct Cg {
    r: Vec<f32>,
    p: Vec<f32>,
    ap: Vec<f32>,
}

/// The fixed inputs of one half-step.
struct Half<'a> {
    y: &'a [f32],
    /// Rows to solve → columns of `y`.
    m: &'a Csr,
    g: &'a [f32],
    k: usize,
    /// λ of every solved row.
    regs: &'a [f32],
    alpha: f32,
    steps: usize,
}

impl Half<'_> {
    /// `out = G·v + λ·v` (G symmetric, so a sum of G's rows scaled by v's elements).
    #[inline(always)]
    fn gram_times<S: Simd>(&self, s: S, reg: f32, v: &[f32], out: &mut [f32]) {
        let out = S::as_mut_simd_f32s(out).0;
        let (vv, gv) = (S::as_simd_f32s(v).0, S::as_simd_f32s(self.g).0);
        let kv = out.len();
        for (o, x) in out.iter_mut().zip(vv) {
            *o = s.mul_f32s(s.splat_f32s(reg), *x);
        }
        for (b, &vb) in v.iter().enumerate() {
            vaxpy(s, out, vb, &gv[b * kv..(b + 1) * kv]);
        }
    }

    /// Updates row `u` (`xu`, warm start) by `steps` CG steps on
    /// `(G + Σ (c_i − 1) y_i y_iᵀ + λI) x = Σ c_i y_i` with `c_i = 1 + α·r_i` (implicit's
    /// `_solve_cg`, Takács et al. 2011). `k` must be a multiple of `S`'s lane count.
    #[inline(always)]
    fn solve_row<S: Simd>(&self, s: S, u: usize, xu: &mut [f32], cg: &mut Cg) {
        let (is, vs) = self.m.row(u);
        let alpha = self.alpha;
        let kv = self.k / S::F32_LANES;
        let yv = S::as_simd_f32s(self.y).0;
        let row = |n: usize| {
            let i = is[n] as usize;
            &yv[i * kv..(i + 1) * kv]
        };
        let len = is.len().min(vs.len());
        let weighted = alpha != 0.0 && vs.iter().any(|&v| v != 0.0);
        let reg = self.regs[u];
        let Cg { r, p, ap } = cg;
        // r = b − A x = Σ (c_i − (c_i − 1) y_i·x) y_i − G x − λ x.
        self.gram_times(s, reg, xu, ap);
        for (ra, aa) in r.iter_mut().zip(ap.iter()) {
            *ra = -aa;
        }
        pass(
            s,
            len,
            row,
            |n, d| 1.0 + alpha * vs[n] * (1.0 - d),
            S::as_simd_f32s(xu).0,
            S::as_mut_simd_f32s(r).0,
        );
        p.copy_from_slice(r);
        let mut rr = vdot(s, S::as_simd_f32s(r).0, S::as_simd_f32s(r).0);
        for _ in 0..self.steps {
            if rr < 1e-10 {
                break;
            }
            self.gram_times(s, reg, p, ap);
            if weighted {
                pass(
                    s,
                    len,
                    row,
                    |n, d| alpha * vs[n] * d,
                    S::as_simd_f32s(p).0,
                    S::as_mut_simd_f32s(ap).0,
                );
            }
            let (pv, apv) = (S::as_simd_f32s(p).0, S::as_simd_f32s(ap).0);
            let pap = vdot(s, pv, apv);
            if pap <= 0.0 || !pap.is_finite() {
                break;
            }
            let step = rr / pap;
            vaxpy(s, S::as_mut_simd_f32s(xu).0, step, pv);
            let rv = S::as_mut_simd_f32s(r).0;
            vaxpy(s, rv, -step, apv);
            let rr_new = vdot(s, rv, rv);
            let beta = s.splat_f32s(rr_new / rr);
            for (pa, ra) in S::as_mut_simd_f32s(p).0.iter_mut().zip(rv.iter()) {
                *pa = s.mul_add_e_f32s(beta, *pa, *ra);
            }
            rr = rr_new;
        }
    }

    /// Rows `first..` of the factor matrix (`x` holds exactly those rows), one at a time,
    /// skipping the rows `skip` says are solved elsewhere.
    #[inline(always)]
    fn rows_with<S: Simd>(&self, s: S, first: usize, x: &mut [f32], skip: &dyn Fn(usize) -> bool) {
        let k = self.k;
        let mut cg = Cg {
            r: vec![0f32; k],
            p: vec![0f32; k],
            ap: vec![0f32; k],
        };
        for (d, xu) in x.chunks_exact_mut(k).enumerate() {
            if !skip(first + d) {
                self.solve_row(s, first + d, xu, &mut cg);
            }
        }
    }
}

impl Half<'_> {
    /// Lockstep: the CG solves of a block's rows (`x` holds them, in slot order) advance
    /// together, one pass at a time,
    /// and every pass streams the fixed side's factors once in order (row `j` of `y` is loaded
    /// once and applied to all of its interactions with rows in the block) instead of once per
    /// interaction. Each row sees the same operations as in [`Half::solve_row`], its terms
    /// summed in the order of `y`'s rows, so the result does not depend on the block.
    #[inline(always)]
    #[allow(
        clippy::many_single_char_names,
        reason = "CG's notation (r, p, x, k, n)"
    )]
    fn rows_lockstep<S: Simd>(&self, s: S, block: &SubBlock, x: &mut [f32]) {
        let k = self.k;
        let n = x.len() / k;
        let alpha = self.alpha;
        let mut r = vec![0f32; n * k];
        let mut p = vec![0f32; n * k];
        let mut ap = vec![0f32; n * k];
        let mut rr = vec![0f32; n];
        let mut active = vec![true; n];
        // r = b − A x = Σ (c_i − (c_i − 1) y_j·x) y_j − G x − λ x.
        let regs: Vec<f32> = block.ids.iter().map(|&i| self.regs[i as usize]).collect();
        for ((xd, rd), &reg) in x.chunks_exact(k).zip(r.chunks_exact_mut(k)).zip(&regs) {
            self.gram_times(s, reg, xd, rd);
            for v in rd.iter_mut() {
                *v = -*v;
            }
        }
        self.pass_lockstep(
            s,
            block,
            |v, d| 1.0 + alpha * v * (1.0 - d),
            S::as_simd_f32s(x).0,
            S::as_mut_simd_f32s(&mut r).0,
        );
        p.copy_from_slice(&r);
        for (q, rd) in rr.iter_mut().zip(r.chunks_exact(k)) {
            let rv = S::as_simd_f32s(rd).0;
            *q = vdot(s, rv, rv);
        }
        for _ in 0..self.steps {
            for (a, q) in active.iter_mut().zip(&rr) {
                *a = *a && *q >= 1e-10;
            }
            if !active.iter().any(|&a| a) {
                break;
            }
            let rows = p.chunks_exact(k).zip(ap.chunks_exact_mut(k));
            for (((pd, apd), a), &reg) in rows.zip(&active).zip(&regs) {
                if *a {
                    self.gram_times(s, reg, pd, apd);
                }
            }
            if alpha != 0.0 {
                self.pass_lockstep(
                    s,
                    block,
                    |v, d| alpha * v * d,
                    S::as_simd_f32s(&p).0,
                    S::as_mut_simd_f32s(&mut ap).0,
                );
            }
            let rows = x
                .chunks_exact_mut(k)
                .zip(r.chunks_exact_mut(k))
                .zip(p.chunks_exact_mut(k).zip(ap.chunks_exact(k)))
                .zip(active.iter_mut().zip(rr.iter_mut()));
            for (((xd, rd), (pd, apd)), (a, q)) in rows {
                if !*a {
                    continue;
                }
                let (pv, apv) = (S::as_simd_f32s(pd).0, S::as_simd_f32s(apd).0);
                let pap = vdot(s, pv, apv);
                if pap <= 0.0 || !pap.is_finite() {
                    *a = false;
                    continue;
                }
                let step = *q / pap;
                vaxpy(s, S::as_mut_simd_f32s(xd).0, step, pv);
                let rv = S::as_mut_simd_f32s(rd).0;
                vaxpy(s, rv, -step, apv);
                let rr_new = vdot(s, rv, rv);
                let beta = s.splat_f32s(rr_new / *q);
                for (pa, ra) in S::as_mut_simd_f32s(pd).0.iter_mut().zip(rv.iter()) {
                    *pa = s.mul_add_e_f32s(beta, *pa, *ra);
                }
                *q = rr_new;
            }
        }
    }

    /// One lockstep pass: `acc_d += Σ_j coef(r_jd, y_j·v_d) · y_j` for every slot `d` of the
    /// block (`v`, `acc`: n slots of k/L vectors), streaming the rows `j` of `y` that touch the
    /// block in order; a row's interactions are taken four at a time, `y_j` read once for them.
    #[inline(always)]
    fn pass_lockstep<S: Simd>(
        &self,
        s: S,
        block: &SubBlock,
        coef: impl Fn(f32, f32) -> f32,
        v: &[S::f32s],
        acc: &mut [S::f32s],
    ) {
        let kv = self.k / S::F32_LANES;
        let yv = S::as_simd_f32s(self.y).0;
        let zero = s.splat_f32s(0.0);
        let one = |yj: &[S::f32s], acc: &mut [S::f32s], d: usize, val: f32| {
            let vd = &v[d * kv..(d + 1) * kv];
            let mut s0 = zero;
            for (y, vc) in yj.iter().zip(vd) {
                s0 = s.mul_add_e_f32s(*y, *vc, s0);
            }
            let t = s.splat_f32s(coef(val, s.reduce_sum_f32s(s0)));
            for (a, y) in acc[d * kv..(d + 1) * kv].iter_mut().zip(yj) {
                *a = s.mul_add_e_f32s(t, *y, *a);
            }
        };
        for (w, &j) in block.ptr.windows(2).zip(&block.rows) {
            let j = j as usize;
            let yj = &yv[j * kv..(j + 1) * kv];
            let (ds, vals) = (&block.slot[w[0]..w[1]], &block.val[w[0]..w[1]]);
            let (mut dq4, mut rq4) = (ds.chunks_exact(4), vals.chunks_exact(4));
            for (dq, rq) in (&mut dq4).zip(&mut rq4) {
                let (d0, d1, d2, d3) = (
                    dq[0] as usize,
                    dq[1] as usize,
                    dq[2] as usize,
                    dq[3] as usize,
                );
                let (v0, v1, v2, v3) = (
                    &v[d0 * kv..(d0 + 1) * kv],
                    &v[d1 * kv..(d1 + 1) * kv],
                    &v[d2 * kv..(d2 + 1) * kv],
                    &v[d3 * kv..(d3 + 1) * kv],
                );
                let (mut s0, mut s1, mut s2, mut s3) = (zero, zero, zero, zero);
                for c in 0..kv {
                    let y = yj[c];
                    s0 = s.mul_add_e_f32s(y, v0[c], s0);
                    s1 = s.mul_add_e_f32s(y, v1[c], s1);
                    s2 = s.mul_add_e_f32s(y, v2[c], s2);
                    s3 = s.mul_add_e_f32s(y, v3[c], s3);
                }
                let ts = [
                    (d0, coef(rq[0], s.reduce_sum_f32s(s0))),
                    (d1, coef(rq[1], s.reduce_sum_f32s(s1))),
                    (d2, coef(rq[2], s.reduce_sum_f32s(s2))),
                    (d3, coef(rq[3], s.reduce_sum_f32s(s3))),
                ];
                for (d, t) in ts {
                    let t = s.splat_f32s(t);
                    for (a, y) in acc[d * kv..(d + 1) * kv].iter_mut().zip(yj) {
                        *a = s.mul_add_e_f32s(t, *y, *a);
                    }
                }
            }
            let (dr, rr) = (dq4.remainder(), rq4.remainder());
            for (&d, &val) in dr.iter().zip(rr) {
                one(yj, acc, d as usize, val);
            }
        }
    }
}

/// The interactions of one lockstep block, ordered by the fixed side's rows: for each row `j`
/// of `y` that touches the block (`rows`), its entries `ptr[n]..ptr[n + 1]` of `slot` (the
/// solved row's position in the block) and `val`.
#[derive(Debug, Default)]
struct SubBlock {
    /// The block's number of slots.
    len: usize,
    /// The solved row of every slot.
    ids: Vec<u32>,
    rows: Vec<u32>,
    ptr: Vec<usize>,
    slot: Vec<u32>,
    val: Vec<f32>,
}

/// How one half-step is split, fixed for a whole fit: the rows with at least
/// [`dense_min`] interactions (when they hold a quarter of all interactions or more) are
/// solved in lockstep, in `blocks` (one per thread, about equal work); the rest one at a time.
#[derive(Debug, Default)]
struct Plan {
    /// The lockstep rows, ascending; a row's slot is its position here.
    rows: Vec<u32>,
    blocks: Vec<SubBlock>,
}

impl Plan {
    /// The plan for solving the rows of `m` (transpose `mt`) with rows of `dense` interactions
    /// or more in lockstep, on `threads` threads.
    fn new(m: &Csr, mt: &Csr, dense: usize, threads: usize, k: usize) -> Self {
        let n = m.ptr.len().saturating_sub(1);
        let rows: Vec<u32> = (0..n)
            .filter(|&r| m.row_len(r) >= dense)
            .map(|r| r as u32)
            .collect();
        let nnz: usize = rows.iter().map(|&r| m.row_len(r as usize)).sum();
        if rows.is_empty() || nnz.saturating_mul(4) < m.idx.len() {
            return Self::default();
        }
        let bounds = balance(rows.len(), threads.max(1), |sl| {
            m.row_len(rows[sl] as usize) + k
        });
        // Block of every solved row (u32::MAX: not in lockstep) and its slot within the block.
        let mut where_ = vec![(u32::MAX, 0u32); n];
        let mut blocks: Vec<SubBlock> = bounds
            .windows(2)
            .enumerate()
            .map(|(b, w)| {
                for sl in w[0]..w[1] {
                    where_[rows[sl] as usize] = (b as u32, (sl - w[0]) as u32);
                }
                let cap: usize = (w[0]..w[1]).map(|sl| m.row_len(rows[sl] as usize)).sum();
                SubBlock {
                    len: w[1] - w[0],
                    ids: rows[w[0]..w[1]].to_vec(),
                    ptr: vec![0],
                    slot: Vec::with_capacity(cap),
                    val: Vec::with_capacity(cap),
                    ..SubBlock::default()
                }
            })
            .collect();
        for j in 0..mt.ptr.len().saturating_sub(1) {
            let (is, vs) = mt.row(j);
            for (&i, &v) in is.iter().zip(vs) {
                let (b, sl) = where_[i as usize];
                if let Some(block) = blocks.get_mut(b as usize) {
                    block.slot.push(sl);
                    block.val.push(v);
                }
            }
            for block in &mut blocks {
                if block.slot.len() > *block.ptr.last().unwrap_or(&0) {
                    block.rows.push(j as u32);
                    block.ptr.push(block.slot.len());
                }
            }
        }
        Self { rows, blocks }
    }

    fn is_lockstep(&self, row: usize) -> bool {
        self.rows.binary_search(&(row as u32)).is_ok()
    }
}

/// A row block of a half-step as a [`WithSimd`] operation: the whole block is compiled once per
/// instruction set, so every kernel inlined into it uses that set's registers (AVX2 + FMA where
/// the CPU has them, chosen at run time by [`Arch`]).
enum Block<'h, 'a, 'x> {
    /// Rows `first..` one at a time, except those `skip` names.
    PerRow {
        h: &'h Half<'a>,
        first: usize,
        x: &'x mut [f32],
        skip: &'h dyn Fn(usize) -> bool,
    },
    /// One lockstep block (`x`: its rows in slot order).
    Lockstep {
        h: &'h Half<'a>,
        block: &'h SubBlock,
        x: &'x mut [f32],
    },
}

impl Block<'_, '_, '_> {
    fn run(self) {
        Arch::new().dispatch(self);
    }

    #[inline(always)]
    fn run_with<S: Simd>(self, s: S) {
        match self {
            Block::PerRow { h, first, x, skip } => h.rows_with(s, first, x, skip),
            Block::Lockstep { h, block, x } => h.rows_lockstep(s, block, x),
        }
    }
}

impl WithSimd for Block<'_, '_, '_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) {
        let k = match &self {
            Block::PerRow { h, .. } | Block::Lockstep { h, .. } => h.k,
        };
        if k % S::F32_LANES == 0 {
            self.run_with(s);
        } else {
            self.run_with(pulp::Scalar);
        }
    }
}

/// Rows with at least this many interactions are solved in lockstep: their neighbours' factors
/// (`n·k` floats) would not stay in a 256 KiB share of L2 between the CG passes of one row.
fn dense_min(k: usize) -> usize {
    ((256 << 10) / (4 * k.max(1))).max(64)
}

/// Splits `0..n` into `parts` contiguous ranges of about equal `weight` sum; returns the
/// `parts + 1` bounds.
fn balance(n: usize, parts: usize, weight: impl Fn(usize) -> usize) -> Vec<usize> {
    let total: usize = (0..n).map(&weight).sum();
    let mut bounds = vec![0usize];
    let (mut row, mut acc) = (0, 0);
    for t in 1..parts {
        let target = total * t / parts;
        while row < n && acc < target {
            acc += weight(row);
            row += 1;
        }
        bounds.push(row);
    }
    bounds.push(n);
    bounds
}

/// Runs `work(first, rows)` on the blocks of `x` (k floats a row) between `bounds`, one thread
/// each (inline when there is one block).
fn on_blocks(x: &mut [f32], k: usize, bounds: &[usize], work: &(dyn Fn(usize, &mut [f32]) + Sync)) {
    if bounds.len() <= 2 {
        work(0, x);
        return;
    }
    std::thread::scope(|s| {
        let mut rest = x;
        for w in bounds.windows(2) {
            let (block, tail) = rest.split_at_mut((w[1] - w[0]) * k);
            rest = tail;
            let first = w[0];
            s.spawn(move || work(first, block));
        }
    });
}

/// One half-step: updates every row of `x` against fixed `y` (with Gram `g`) by CG, on
/// `threads` threads: first `plan`'s lockstep blocks, one thread each, then the other rows one
/// at a time, split into contiguous blocks of about equal work. Every row's arithmetic is the
/// same whatever the block, so the result does not depend on the thread count.
#[allow(
    clippy::too_many_arguments,
    clippy::many_single_char_names,
    reason = "one internal CG kernel with all its inputs, in the paper's notation"
)]
fn half_step(
    x: &mut [f32],
    y: &[f32],
    m: &Csr,
    plan: &Plan,
    g: &[f32],
    k: usize,
    regs: &[f32],
    alpha: f32,
    steps: usize,
    threads: usize,
) {
    let h = Half {
        y,
        m,
        g,
        k,
        regs,
        alpha,
        steps,
    };
    let n = x.len() / k;
    let threads = threads.clamp(1, n.max(1));
    if !plan.rows.is_empty() {
        let mut xs = Vec::with_capacity(plan.rows.len() * k);
        for &r in &plan.rows {
            xs.extend_from_slice(&x[r as usize * k..(r as usize + 1) * k]);
        }
        let h = &h;
        std::thread::scope(|sc| {
            let mut rest = xs.as_mut_slice();
            for block in &plan.blocks {
                let (mine, tail) = rest.split_at_mut(block.len * k);
                rest = tail;
                let mut run = move || Block::Lockstep { h, block, x: mine }.run();
                if plan.blocks.len() == 1 {
                    run();
                } else {
                    sc.spawn(run);
                }
            }
        });
        for (&r, row) in plan.rows.iter().zip(xs.chunks_exact(k)) {
            x[r as usize * k..(r as usize + 1) * k].copy_from_slice(row);
        }
    }
    let skip = |r: usize| plan.is_lockstep(r);
    let bounds = balance(n, threads, |r| if skip(r) { 0 } else { m.row_len(r) + k });
    let (h, skip) = (&h, &skip);
    on_blocks(x, k, &bounds, &|first, block| {
        Block::PerRow {
            h,
            first,
            x: block,
            skip,
        }
        .run();
    });
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
    /// A model from given factors (`x`: users × k, `y`: items × k), e.g. restored from storage
    /// or synthetic for benchmarks; fold-in uses the plain λ (`reg_exponent` 0). Returns `None`
    /// when the shapes do not match or a value is not finite.
    #[allow(
        clippy::too_many_arguments,
        reason = "a plain constructor of every field"
    )]
    pub fn from_factors(
        users: IdMap<UserId>,
        items: IdMap<MovieId>,
        k: usize,
        x: Vec<f32>,
        y: Vec<f32>,
        reg: f32,
        alpha: f32,
    ) -> Option<Self> {
        let ok = k > 0
            && x.len() == users.len() * k
            && y.len() == items.len() * k
            && x.iter().chain(&y).all(|v| v.is_finite())
            && reg > 0.0;
        if !ok {
            return None;
        }
        let gram_y = gram(&y, k, 1);
        Some(Self {
            users,
            items,
            k,
            x,
            y,
            reg,
            reg_exponent: 0.0,
            user_mass_mean: 0.0,
            alpha,
            gram_y,
        })
    }

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
    fn space_and_westerns() -> Ratings {
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
    fn random_interactions(seed: u64) -> Ratings {
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

    /// One user half-step of `steps` CG steps from zero, with `plan`.
    fn user_half_step(
        data: &Ratings,
        m: &ImplicitAls,
        plan: &Plan,
        steps: usize,
        threads: usize,
    ) -> Vec<f32> {
        let mut x = vec![0f32; m.x.len()];
        let (regs, _) = row_regs(
            &data.by_user,
            data.n_items(),
            m.reg,
            m.reg_exponent,
            m.alpha,
        );
        half_step(
            &mut x,
            &m.y,
            &data.by_user,
            plan,
            &m.gram_y,
            m.k,
            &regs,
            m.alpha,
            steps,
            threads,
        );
        x
    }

    #[test]
    fn cg_approaches_the_exact_least_squares_solution() {
        // With many CG steps a user half-step equals the Cholesky fold-in, one row at a time and
        // in lockstep, for a width the SIMD kernels take (16) and one they do not (6), with a
        // plain and a frequency-scaled λ (fold-in must scale it as training did).
        let data = space_and_westerns();
        for (k, reg_exponent) in [(6, 0.0), (16, 0.0), (6, 1.0), (16, 1.0)] {
            let m = AlsParams {
                factors: k,
                iterations: 10,
                reg: 0.5,
                reg_exponent,
                alpha: 3.0,
                cg_steps: 30,
                ..AlsParams::default()
            }
            .check()
            .expect("valid")
            .fit(&data)
            .expect("fits");
            let u = m.users.get(UserId(99)).expect("known") as usize;
            let signals: Vec<(MovieId, f32)> = (0..3).map(|i| (MovieId(i), 1.0)).collect();
            let exact = m.fold_in(&signals);
            let lockstep = Plan::new(&data.by_user, &data.by_item, 1, 2, k);
            assert_eq!(lockstep.rows.len(), data.n_users(), "every row in lockstep");
            for plan in [&Plan::default(), &lockstep] {
                let x = user_half_step(&data, &m, plan, 60, 1);
                let xu = &x[u * k..(u + 1) * k];
                for (a, b) in exact.iter().zip(xu) {
                    assert!(
                        (a - b).abs() < 1e-3,
                        "k {k}, ν {reg_exponent}: {exact:?} vs {xu:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn lockstep_and_one_row_at_a_time_agree_for_any_thread_count() {
        let data = random_interactions(5);
        for (k, reg_exponent) in [(6, 0.0), (16, 0.0), (16, 1.0)] {
            let m = AlsParams {
                factors: k,
                iterations: 3,
                reg_exponent,
                alpha: 0.7,
                ..AlsParams::default()
            }
            .check()
            .expect("valid")
            .fit(&data)
            .expect("fits");
            let one = user_half_step(&data, &m, &Plan::default(), 3, 1);
            // Rows of 10 or more interactions in lockstep, the rest one at a time.
            let mixed = |threads| {
                let plan = Plan::new(&data.by_user, &data.by_item, 10, threads, k);
                assert!(!plan.rows.is_empty() && plan.rows.len() < data.n_users());
                user_half_step(&data, &m, &plan, 3, threads)
            };
            let (m1, m2, m3) = (mixed(1), mixed(2), mixed(3));
            assert_eq!(m1, m2, "k {k}");
            assert_eq!(m1, m3, "k {k}");
            assert!(m1.iter().all(|v| v.is_finite()));
            let scale = one.iter().fold(0f32, |a, v| a.max(v.abs()));
            for (a, b) in one.iter().zip(&m1) {
                assert!((a - b).abs() <= 1e-4 * scale, "k {k}: {a} vs {b}");
            }
        }
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

    #[test]
    fn the_lockstep_plan_takes_long_rows_only_when_they_matter() {
        let data = random_interactions(6);
        // Rows of ≥ 20 interactions hold well over a quarter of them.
        let plan = Plan::new(&data.by_user, &data.by_item, 20, 2, 16);
        assert!(
            plan.rows
                .iter()
                .all(|&r| data.by_user.row_len(r as usize) >= 20)
        );
        assert_eq!(plan.blocks.len(), 2);
        let entries: usize = plan.blocks.iter().map(|b| b.slot.len()).sum();
        let long: usize = plan
            .rows
            .iter()
            .map(|&r| data.by_user.row_len(r as usize))
            .sum();
        assert_eq!(
            entries, long,
            "every interaction of a lockstep row is in one block"
        );
        assert!(
            plan.blocks
                .iter()
                .all(|b| b.slot.iter().all(|&sl| (sl as usize) < b.len))
        );
        // No row that long: nothing in lockstep.
        assert!(
            Plan::new(&data.by_user, &data.by_item, 1000, 2, 16)
                .rows
                .is_empty()
        );
        // The 64-factor threshold is 1,024 interactions (256 KiB of factors).
        assert_eq!(dense_min(64), 1024);
    }
}
