//! The solver's SIMD kernels, generic over pulp's [`Simd`] so one body compiles per instruction
//! set (AVX2 + FMA or scalar, chosen at run time): the per-interaction pass, dot and axpy.

use pulp::Simd;

/// `acc += Σ_n coef(n, y_n·v) · y_n` over the rows `row(0..len)` (k/L vectors each): every
/// per-interaction pass of the CG solver is this one kernel. Four rows at a time: four
/// independent dot products, then one sweep of `acc` with four fused multiply-adds per vector, so
/// `acc` is loaded and stored once per four rows.
#[inline(always)]
pub(super) fn pass<'y, S: Simd>(
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
pub(super) fn vdot<S: Simd>(s: S, a: &[S::f32s], b: &[S::f32s]) -> f32 {
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
pub(super) fn vaxpy<S: Simd>(s: S, y: &mut [S::f32s], a: f32, x: &[S::f32s]) {
    let a = s.splat_f32s(a);
    for (yy, xx) in y.iter_mut().zip(x) {
        *yy = s.mul_add_e_f32s(a, *xx, *yy);
    }
}
