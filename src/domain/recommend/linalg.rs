//! Small dense linear algebra for the models (no BLAS): Cholesky solves of k×k systems and
//! a conjugate-gradient step.

/// Solves `A x = b` for a symmetric positive-definite `A` (row-major n×n, overwritten by its
/// Cholesky factor). Returns `false` (and leaves `b` unspecified) when `A` is not positive
/// definite enough to factor; callers then keep their previous solution.
#[allow(clippy::many_single_char_names, reason = "textbook Cholesky notation")]
pub fn cholesky_solve(a: &mut [f64], b: &mut [f64], n: usize) -> bool {
    for j in 0..n {
        let mut d = a[j * n + j];
        for k in 0..j {
            d -= a[j * n + k] * a[j * n + k];
        }
        if d <= 1e-12 || !d.is_finite() {
            return false;
        }
        let d = d.sqrt();
        a[j * n + j] = d;
        for i in j + 1..n {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= a[i * n + k] * a[j * n + k];
            }
            a[i * n + j] = s / d;
        }
    }
    for i in 0..n {
        let mut s = b[i];
        for k in 0..i {
            s -= a[i * n + k] * b[k];
        }
        b[i] = s / a[i * n + i];
    }
    for i in (0..n).rev() {
        let mut s = b[i];
        for k in i + 1..n {
            s -= a[k * n + i] * b[k];
        }
        b[i] = s / a[i * n + i];
    }
    b.iter().all(|v| v.is_finite())
}

/// Inverts a symmetric positive-definite matrix in place (row-major n×n, f32) by Gauss–Jordan
/// elimination without pivoting, blocked so that `block` pivot rows are applied to each other
/// row while it sits in cache (delayed updates). Returns `false` on a non-positive pivot.
#[allow(
    clippy::many_single_char_names,
    reason = "textbook elimination notation"
)]
pub fn spd_inverse_in_place(a: &mut [f32], n: usize, block: usize) -> bool {
    let block = block.max(1);
    let mut snap = vec![0f32; block * n];
    let mut k0 = 0;
    while k0 < n {
        let b = block.min(n - k0);
        // 1. Eliminate the block's pivots among the block's own rows, keeping snapshots.
        for t in 0..b {
            let k = k0 + t;
            let p = a[k * n + k];
            if p <= 0.0 || !p.is_finite() {
                return false;
            }
            let inv = 1.0 / p;
            for v in &mut a[k * n..(k + 1) * n] {
                *v *= inv;
            }
            a[k * n + k] = inv;
            snap[t * n..(t + 1) * n].copy_from_slice(&a[k * n..(k + 1) * n]);
            let pivot = &snap[t * n..(t + 1) * n];
            for s in 0..b {
                let i = k0 + s;
                if i == k {
                    continue;
                }
                let f = a[i * n + k];
                a[i * n + k] = 0.0;
                axpy(&mut a[i * n..(i + 1) * n], -f, pivot);
            }
        }
        // 2. Apply the b snapshots, in order, to every other row.
        for i in (0..n).filter(|&i| i < k0 || i >= k0 + b) {
            let row = &mut a[i * n..(i + 1) * n];
            for t in 0..b {
                let k = k0 + t;
                let f = row[k];
                if f == 0.0 {
                    continue;
                }
                row[k] = 0.0;
                axpy(row, -f, &snap[t * n..(t + 1) * n]);
            }
        }
        k0 += b;
    }
    true
}

/// `y += a·x`.
pub fn axpy(y: &mut [f32], a: f32, x: &[f32]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_solves_a_small_system() {
        let mut a = vec![4.0, 1.0, 1.0, 3.0];
        let mut b = vec![1.0, 2.0];
        assert!(cholesky_solve(&mut a, &mut b, 2));
        assert!((b[0] - 1.0 / 11.0).abs() < 1e-9 && (b[1] - 7.0 / 11.0).abs() < 1e-9);
    }

    #[test]
    fn the_blocked_inverse_times_the_matrix_is_the_identity() {
        let n = 7;
        let mut m = vec![0f32; n * n];
        for i in 0..n {
            for j in 0..n {
                m[i * n + j] =
                    1.0 / (1.0 + (i as f32 - j as f32).abs()) + if i == j { 2.0 } else { 0.0 };
            }
        }
        let mut inv = m.clone();
        assert!(spd_inverse_in_place(&mut inv, n, 3));
        for i in 0..n {
            for j in 0..n {
                let s: f32 = (0..n).map(|k| m[i * n + k] * inv[k * n + j]).sum();
                assert!(
                    (s - if i == j { 1.0 } else { 0.0 }).abs() < 1e-4,
                    "{i} {j} {s}"
                );
            }
        }
    }
}
