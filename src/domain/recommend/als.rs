//! Implicit-feedback matrix factorisation by alternating least squares: minimise
//! `Σ_ui c_ui (p_ui − x_u·y_i)² + λ(‖x‖² + ‖y‖²)` with `p_ui = 1` for observed pairs and
//! confidence `c_ui = 1 + α·r_ui` (Hu, Koren & Volinsky 2008), each half-step solved
//! approximately by a few warm-started conjugate-gradient steps (Takács, Pilászy & Tikk 2011,
//! "Applications of the conjugate gradient method for implicit feedback collaborative
//! filtering"), so a sweep costs O(nnz·k + (users + items)·k²·steps).

use crate::domain::ids::{MovieId, UserId};

use super::data::{Csr, IdMap, Ratings};
use super::linalg::cholesky_solve;
use super::rng::SplitMix64;
use super::{
    Checked, DataError, FitError, ParamError, Params, Recommender, dot, ensure, finite_or,
};

/// Hyper-parameters of [`ImplicitAls`] (defaults: the anchors' best validated setting).
#[derive(Debug, Clone)]
pub struct AlsParams {
    pub factors: usize,
    pub iterations: usize,
    /// λ, added to the diagonal (not scaled by counts).
    pub reg: f32,
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
    alpha: f32,
    /// `Yᵀ Y`, cached for fold-in.
    gram_y: Vec<f32>,
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

/// `acc += Σ_i (a_i + b_i·(y_i·v)) y_i` over the contiguous rows `rows` (k each), with
/// `a_i = 0` when `a` is `None`: every per-interaction pass of the CG solver is this one kernel.
/// Dispatches to a fixed-width copy for k ∈ {32, 64, 128} (unrolled, registers), else runs on
/// slices.
fn pass(k: usize, rows: &[f32], a: Option<&[f32]>, b: &[f32], v: &[f32], acc: &mut [f32]) {
    match k {
        32 => pass_k::<32>(rows, a, b, v, acc),
        64 => pass_k::<64>(rows, a, b, v, acc),
        128 => pass_k::<128>(rows, a, b, v, acc),
        _ => pass_dyn(k, rows, a, b, v, acc),
    }
}

fn pass_dyn(k: usize, rows: &[f32], a: Option<&[f32]>, b: &[f32], v: &[f32], acc: &mut [f32]) {
    for (n, (yi, &bi)) in rows.chunks_exact(k).zip(b).enumerate() {
        let ai = a.map_or(0.0, |a| a[n]);
        axpy8(acc, ai + bi * dot(yi, v), yi);
    }
}

/// [`pass`] for a compile-time width: 16 independent accumulators for the dot, an unrolled axpy.
#[allow(
    clippy::many_single_char_names,
    reason = "the kernel's maths notation (a_i, b_i, v, y_i)"
)]
fn pass_k<const K: usize>(rows: &[f32], a: Option<&[f32]>, b: &[f32], v: &[f32], acc: &mut [f32]) {
    let (Ok(v), Ok(acc)) = (
        <&[f32; K]>::try_from(v),
        <&mut [f32; K]>::try_from(&mut *acc),
    ) else {
        return pass_dyn(K, rows, a, b, v, acc);
    };
    for (n, (yi, &bi)) in rows.chunks_exact(K).zip(b).enumerate() {
        let Ok(yi) = <&[f32; K]>::try_from(yi) else {
            continue;
        };
        let mut part = [0f32; 16];
        for c in 0..K / 16 {
            for j in 0..16 {
                part[j] += yi[c * 16 + j] * v[c * 16 + j];
            }
        }
        let d: f32 = part.iter().sum();
        let t = a.map_or(0.0, |a| a[n]) + bi * d;
        for j in 0..K {
            acc[j] += t * yi[j];
        }
    }
}

/// Scratch vectors of one CG solve, reused across rows.
struct Cg {
    r: Vec<f32>,
    p: Vec<f32>,
    ap: Vec<f32>,
    /// The row's neighbour factors gathered contiguously (nnz × k), so the CG passes after the
    /// first read cache-resident memory instead of scattered rows.
    ys: Vec<f32>,
    /// `α·r_i` per neighbour, and `1 + α·r_i`.
    w: Vec<f32>,
    c: Vec<f32>,
    neg_w: Vec<f32>,
}

/// The fixed inputs of one half-step.
struct Half<'a> {
    y: &'a [f32],
    m: &'a Csr,
    g: &'a [f32],
    k: usize,
    reg: f32,
    alpha: f32,
    steps: usize,
}

impl Half<'_> {
    /// `out = G·v + λ·v` (G symmetric, so a sum of G's rows scaled by v).
    #[allow(clippy::many_single_char_names, reason = "linear-algebra notation")]
    fn gram_times(&self, v: &[f32], out: &mut [f32]) {
        let k = self.k;
        for (o, vi) in out.iter_mut().zip(v) {
            *o = self.reg * vi;
        }
        for (b, &vb) in v.iter().enumerate() {
            axpy8(out, vb, &self.g[b * k..(b + 1) * k]);
        }
    }

    /// Updates row `u` (`xu`, warm start) by `steps` CG steps on
    /// `(G + Σ (c_i − 1) y_i y_iᵀ + λI) x = Σ c_i y_i` (implicit's `_solve_cg`, Takács et al.
    /// 2011).
    fn solve_row(&self, u: usize, xu: &mut [f32], cg: &mut Cg) {
        let k = self.k;
        let (is, vs) = self.m.row(u);
        let Cg {
            r,
            p,
            ap,
            ys,
            w,
            c,
            neg_w,
        } = cg;
        ys.clear();
        w.clear();
        c.clear();
        neg_w.clear();
        for (&i, &v) in is.iter().zip(vs) {
            ys.extend_from_slice(&self.y[i as usize * k..(i as usize + 1) * k]);
            let e = self.alpha * v;
            w.push(e);
            c.push(1.0 + e);
            neg_w.push(-e);
        }
        let weighted = w.iter().any(|&e| e != 0.0);
        // r = b − A x = Σ (c_i − (c_i − 1) y_i·x) y_i − G x − λ x.
        self.gram_times(xu, ap);
        for (ra, aa) in r.iter_mut().zip(ap.iter()) {
            *ra = -aa;
        }
        pass(k, ys, Some(c), neg_w, xu, r);
        p.copy_from_slice(r);
        let mut rr = dot(r, r);
        for _ in 0..self.steps {
            if rr < 1e-10 {
                break;
            }
            self.gram_times(p, ap);
            if weighted {
                pass(k, ys, None, w, p, ap);
            }
            let pap = dot(p, ap);
            if pap <= 0.0 || !pap.is_finite() {
                break;
            }
            let step = rr / pap;
            axpy8(xu, step, p);
            axpy8(r, -step, ap);
            let rr_new = dot(r, r);
            let beta = rr_new / rr;
            for (pa, ra) in p.iter_mut().zip(r.iter()) {
                *pa = ra + beta * *pa;
            }
            rr = rr_new;
        }
    }

    /// Rows `first..` of the factor matrix, `x` holding exactly those rows.
    fn rows(&self, first: usize, x: &mut [f32]) {
        let k = self.k;
        let mut cg = Cg {
            r: vec![0f32; k],
            p: vec![0f32; k],
            ap: vec![0f32; k],
            ys: Vec::new(),
            w: Vec::new(),
            c: Vec::new(),
            neg_w: Vec::new(),
        };
        for (d, xu) in x.chunks_exact_mut(k).enumerate() {
            self.solve_row(first + d, xu, &mut cg);
        }
    }
}

/// One half-step: updates every row of `x` against fixed `y` (with Gram `g`) by CG, on
/// `threads` threads over contiguous row blocks of about equal work (`nnz + k` per row). Rows
/// are independent, so the result does not depend on the thread count.
#[allow(
    clippy::too_many_arguments,
    clippy::many_single_char_names,
    reason = "one internal CG kernel with all its inputs, in the paper's notation"
)]
fn half_step(
    x: &mut [f32],
    y: &[f32],
    m: &Csr,
    g: &[f32],
    k: usize,
    reg: f32,
    alpha: f32,
    steps: usize,
    threads: usize,
) {
    let h = Half {
        y,
        m,
        g,
        k,
        reg,
        alpha,
        steps,
    };
    let n = x.len() / k;
    let threads = threads.clamp(1, n.max(1));
    if threads == 1 {
        h.rows(0, x);
        return;
    }
    let total = m.ptr.get(n).copied().unwrap_or(0) + n * k;
    let mut bounds = vec![0usize];
    let mut row = 0;
    for t in 1..threads {
        let target = total * t / threads;
        while row < n && m.ptr[row] + row * k < target {
            row += 1;
        }
        bounds.push(row);
    }
    bounds.push(n);
    std::thread::scope(|s| {
        let mut rest = x;
        for w in bounds.windows(2) {
            let (block, tail) = rest.split_at_mut((w[1] - w[0]) * k);
            rest = tail;
            let h = &h;
            let first = w[0];
            s.spawn(move || h.rows(first, block));
        }
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
        for it in 0..p.iterations {
            let gy = gram(&y, k, threads);
            half_step(
                &mut x,
                &y,
                &data.by_user,
                &gy,
                k,
                p.reg,
                p.alpha,
                p.cg_steps,
                threads,
            );
            let gx = gram(&x, k, threads);
            half_step(
                &mut y,
                &x,
                &data.by_item,
                &gx,
                k,
                p.reg,
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
            alpha: p.alpha,
            gram_y,
        })
    }
}

impl ImplicitAls {
    /// A model from given factors (`x`: users × k, `y`: items × k), e.g. restored from storage
    /// or synthetic for benchmarks. Returns `None` when the shapes do not match or a value is
    /// not finite.
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
        for &(m, v) in signals {
            let (Some(i), true) = (self.items.get(m), v.is_finite() && v > 0.0) else {
                continue;
            };
            any = true;
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
        for d in 0..k {
            a[d * k + d] += f64::from(self.reg);
        }
        if cholesky_solve(&mut a, &mut b, k) {
            b.iter().map(|&v| v as f32).collect()
        } else {
            vec![0.0; k]
        }
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
                factors: 12,
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

    #[test]
    fn cg_approaches_the_exact_least_squares_solution() {
        // With many CG steps one user half-step equals the Cholesky fold-in.
        let data = space_and_westerns();
        let m = AlsParams {
            factors: 6,
            iterations: 10,
            reg: 0.5,
            alpha: 3.0,
            cg_steps: 30,
            ..AlsParams::default()
        }
        .check()
        .expect("valid")
        .fit(&data)
        .expect("fits");
        let u = m.users.get(UserId(99)).expect("known") as usize;
        let mut x = vec![0f32; m.x.len()];
        half_step(&mut x, &m.y, &data.by_user, &m.gram_y, m.k, 0.5, 3.0, 30, 1);
        let signals: Vec<(MovieId, f32)> = (0..3).map(|i| (MovieId(i), 1.0)).collect();
        let exact = m.fold_in(&signals);
        let xu = &x[u * m.k..(u + 1) * m.k];
        for (a, b) in exact.iter().zip(xu) {
            assert!((a - b).abs() < 1e-3, "{exact:?} vs {xu:?}");
        }
    }
}
