//! The distributions behind the analysis: the normal CDF and density, the chi-square survival
//! function, the sample-ratio-mismatch test and the fixed-horizon two-proportion z-test.

use super::analysis::{ArmCounts, liked};

/// erfc with fractional error below 1.2e-7 everywhere (Numerical Recipes' Chebyshev fit).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

/// The standard normal CDF Φ(x) (relative error below 1.2e-7, also far in the tails).
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// The standard normal density φ(x).
pub fn normal_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// ln Γ(x) for x > 0 (Lanczos, g = 7, about 15 digits).
fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = G[0];
    let t = x + 7.5;
    for (i, g) in G.iter().enumerate().skip(1) {
        a += g / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// The regularized upper incomplete gamma Q(a, x) (series below a + 1, Lentz's continued
/// fraction above, as in Numerical Recipes).
#[allow(clippy::many_single_char_names)] // the textbook's names
fn gamma_q(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    let ln_front = -x + a * x.ln() - ln_gamma(a);
    if x < a + 1.0 {
        let mut ap = a;
        let mut del = 1.0 / a;
        let mut sum = del;
        for _ in 0..1000 {
            ap += 1.0;
            del *= x / ap;
            sum += del;
            if del.abs() < sum.abs() * 1e-15 {
                break;
            }
        }
        (1.0 - sum * ln_front.exp()).clamp(0.0, 1.0)
    } else {
        const TINY: f64 = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / TINY;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..1000 {
            let an = -f64::from(i) * (f64::from(i) - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < TINY {
                d = TINY;
            }
            c = b + an / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            let del = d * c;
            h *= del;
            if (del - 1.0).abs() < 1e-15 {
                break;
            }
        }
        (ln_front.exp() * h).clamp(0.0, 1.0)
    }
}

/// P(χ²_df ≥ x): the chi-square survival function (1 for x ≤ 0 or df = 0).
pub fn chi_square_sf(x: f64, df: u32) -> f64 {
    if df == 0 || x.is_nan() || x <= 0.0 {
        return 1.0;
    }
    gamma_q(f64::from(df) / 2.0, x / 2.0)
}

/// The sample-ratio-mismatch p-value: Pearson's chi-square of the observed `units` per arm
/// against the split the `weights` promise (df = arms with weight > 0, minus 1). 1 when there
/// is nothing to test (no units, fewer than two weighted arms, bad weights); 0 when an arm
/// with weight 0 has units.
pub fn srm_p_value(units: &[u64], weights: &[f64]) -> f64 {
    let total_w: f64 = weights.iter().sum();
    let n: u64 = units.iter().sum();
    if n == 0 || !(total_w > 0.0 && total_w.is_finite()) || weights.iter().any(|w| *w < 0.0) {
        return 1.0;
    }
    let mut chi2 = 0.0;
    let mut arms = 0u32;
    for (i, &w) in weights.iter().enumerate() {
        let observed = units.get(i).copied().unwrap_or(0) as f64;
        if w == 0.0 {
            if observed > 0.0 {
                return 0.0;
            }
            continue;
        }
        let expected = w / total_w * n as f64;
        chi2 += (observed - expected).powi(2) / expected;
        arms += 1;
    }
    if units.len() > weights.len() && units[weights.len()..].iter().any(|&u| u > 0) {
        return 0.0;
    }
    chi_square_sf(chi2, arms.saturating_sub(1))
}

/// The classic fixed-horizon two-proportion z-test of the like rates (pooled variance):
/// `(z, two-sided p)`, z > 0 when the treatment's rate is higher. `None` when an arm has no
/// exposures or the pooled rate is 0 or 1. Valid only when looked at once, at a sample size
/// fixed in advance; [`analyze`](super::analyze) uses the always-valid interval instead.
pub fn two_proportion_z_test(control: &ArmCounts, treatment: &ArmCounts) -> Option<(f64, f64)> {
    let (n0, n1) = (control.exposures as f64, treatment.exposures as f64);
    if n0 == 0.0 || n1 == 0.0 {
        return None;
    }
    let (x0, x1) = (liked(control) as f64, liked(treatment) as f64);
    let pooled = (x0 + x1) / (n0 + n1);
    let se = (pooled * (1.0 - pooled) * (1.0 / n0 + 1.0 / n1)).sqrt();
    if se <= 0.0 || !se.is_finite() {
        return None;
    }
    let z = (x1 / n1 - x0 / n0) / se;
    Some((z, 2.0 * normal_cdf(-z.abs())))
}

#[cfg(test)]
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;
    use crate::domain::experiment::tests::close;

    #[test]
    fn distributions_match_known_values() {
        assert!(close(normal_cdf(0.0), 0.5, 1e-7));
        assert!(close(normal_cdf(1.959_963_985), 0.975, 1e-7));
        assert!(close(normal_cdf(-3.0), 0.001_349_898, 1e-9));
        // Critical values: P(χ² ≥ x) for the 5% and 0.1% points.
        assert!(close(chi_square_sf(3.841_459, 1), 0.05, 1e-6));
        assert!(close(chi_square_sf(10.827_566, 1), 0.001, 1e-7));
        assert!(close(chi_square_sf(5.991_465, 2), 0.05, 1e-6));
        assert!(close(chi_square_sf(7.814_728, 3), 0.05, 1e-6));
        assert!(close(chi_square_sf(16.266_24, 3), 0.001, 1e-7));
        // df = 2 is exactly exp(−x/2).
        assert!(close(chi_square_sf(10.0, 2), (-5.0f64).exp(), 1e-12));
        // df = 1 equals 2·Φ(−√x); deep in the tail too (relative error).
        let p = chi_square_sf(100.0, 1);
        let want = 1.523_970_604_832_105e-23;
        assert!(((p - want) / want).abs() < 1e-6, "{p}");
        assert_eq!(chi_square_sf(0.0, 1), 1.0);
        assert_eq!(chi_square_sf(5.0, 0), 1.0);
    }

    #[test]
    fn srm_p_value_matches_known_values() {
        // 5,500 / 4,500 on 50/50: χ² = 100.
        let p = srm_p_value(&[5500, 4500], &[0.5, 0.5]);
        assert!(p < 1e-22 && p > 1e-24, "{p}");
        // 5,100 / 4,900: χ² = 4 → p = 0.0455.
        assert!(close(
            srm_p_value(&[5100, 4900], &[0.5, 0.5]),
            0.045_500_26,
            1e-6
        ));
        // 210 / 390 / 400 on 20/40/40: χ² = 0.5 + 0.25 + 0 → df 2 → exp(−0.375).
        assert!(close(
            srm_p_value(&[210, 390, 400], &[0.2, 0.4, 0.4]),
            (-0.375f64).exp(),
            1e-9
        ));
        assert_eq!(srm_p_value(&[0, 0], &[0.5, 0.5]), 1.0);
        assert_eq!(srm_p_value(&[10, 5], &[1.0, 0.0]), 0.0);
    }
}
