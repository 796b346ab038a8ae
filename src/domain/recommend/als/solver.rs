//! The conjugate-gradient half-step: each row of one side re-solved against the other side's
//! fixed factors, one row at a time or in lockstep blocks (the [`Plan`]), on several threads
//! with a result that does not depend on their number.

use pulp::{Arch, Simd, WithSimd};

use super::simd::{pass, vaxpy, vdot};
use crate::domain::recommend::data::Csr;

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
pub(super) struct Plan {
    /// The lockstep rows, ascending; a row's slot is its position here.
    rows: Vec<u32>,
    blocks: Vec<SubBlock>,
}

impl Plan {
    /// The plan for solving the rows of `m` (transpose `mt`) with rows of `dense` interactions
    /// or more in lockstep, on `threads` threads.
    pub(super) fn new(m: &Csr, mt: &Csr, dense: usize, threads: usize, k: usize) -> Self {
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
pub(super) fn dense_min(k: usize) -> usize {
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
pub(super) fn half_step(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{MovieId, UserId};
    use crate::domain::recommend::als::tests::{random_interactions, space_and_westerns};
    use crate::domain::recommend::als::{AlsParams, ImplicitAls, row_regs};
    use crate::domain::recommend::{Params as _, Ratings};

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
