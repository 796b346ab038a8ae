//! The Thompson-sampling bandit: traffic weights from the arms' Beta posteriors.
//!
//! [`thompson_weights`] turns the arms' Beta posteriors into traffic weights (the share of
//! Monte-Carlo draws each arm wins, each arm kept at a floor), and
//! [`bucket_with_weights`](super::bucket_with_weights) buckets with them. Weights that move over
//! time bias the plain rate estimates when the like rate itself drifts over time (GrowthBook
//! documents the same caveat).

use super::analysis::{ArmCounts, liked};
use crate::domain::rng::{SplitMix64, mix64};

/// A uniform float in (0, 1).
pub(super) fn open_unit(rng: &mut SplitMix64) -> f64 {
    ((rng.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
}

/// A standard normal draw (Box–Muller).
pub(super) fn std_normal(rng: &mut SplitMix64) -> f64 {
    let (u1, u2) = (open_unit(rng), open_unit(rng));
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// A Gamma(a, 1) draw for a ≥ 1 (Marsaglia & Tsang 2000).
#[allow(clippy::many_single_char_names)] // the paper's names
fn gamma_draw(rng: &mut SplitMix64, a: f64) -> f64 {
    let d = a - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let (x, v) = loop {
            let x = std_normal(rng);
            let v = 1.0 + c * x;
            if v > 0.0 {
                break (x, v * v * v);
            }
        };
        let u = open_unit(rng);
        if u < 1.0 - 0.0331 * x.powi(4) || u.ln() < 0.5 * x * x + d * (1.0 - v + v.ln()) {
            return d * v;
        }
    }
}

/// A Beta(a, b) draw for a, b ≥ 1.
fn beta_draw(rng: &mut SplitMix64, a: f64, b: f64) -> f64 {
    let x = gamma_draw(rng, a);
    let y = gamma_draw(rng, b);
    x / (x + y)
}

/// Thompson-sampling traffic weights: each arm's like rate has a Beta(1 + likes,
/// 1 + exposures − likes) posterior; over `draws` Monte-Carlo rounds (at least 1) with a
/// SplitMix64 stream seeded by `seed`, an arm's share of rounds in which its draw is the
/// highest is its probability of being best, P. Weights are `floor + (1 − k·floor)·P`, so
/// each is at least `floor` (capped at 1/k) and they sum to 1. Empty for no arms.
pub fn thompson_weights(arms: &[ArmCounts], draws: u32, floor: f64, seed: u64) -> Vec<f64> {
    let k = arms.len();
    if k == 0 {
        return Vec::new();
    }
    let floor = if floor.is_finite() {
        floor.clamp(0.0, 1.0 / k as f64)
    } else {
        0.0
    };
    let draws = draws.max(1);
    let mut rng = SplitMix64::new(mix64(seed));
    let mut wins = vec![0u32; k];
    for _ in 0..draws {
        let mut best = (0, f64::NEG_INFINITY);
        for (i, a) in arms.iter().enumerate() {
            let x = liked(a);
            let draw = beta_draw(&mut rng, 1.0 + x as f64, 1.0 + (a.exposures - x) as f64);
            if draw > best.1 {
                best = (i, draw);
            }
        }
        wins[best.0] += 1;
    }
    let spread = 1.0 - k as f64 * floor;
    wins.iter()
        .map(|&w| floor + spread * f64::from(w) / f64::from(draws))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::experiment::tests::{arm, close};

    #[test]
    fn thompson_weights_favour_the_better_arm_and_keep_the_floor() {
        let arms = [arm(500, 100), arm(500, 150), arm(500, 90)];
        let w = thompson_weights(&arms, 2000, 0.01, 7);
        assert_eq!(w.len(), 3);
        assert!(close(w.iter().sum::<f64>(), 1.0, 1e-9));
        assert!(w[1] > 0.95, "{w:?}");
        assert!(w.iter().all(|&x| x >= 0.01 - 1e-12));
        assert_eq!(w, thompson_weights(&arms, 2000, 0.01, 7));
        // No data: about even.
        let w = thompson_weights(&[ArmCounts::default(); 2], 4000, 0.01, 1);
        assert!(close(w[0], 0.5, 0.03), "{w:?}");
        // A floor above 1/k is capped: equal weights.
        assert_eq!(thompson_weights(&arms, 100, 0.9, 1), vec![1.0 / 3.0; 3]);
        assert!(thompson_weights(&[], 100, 0.01, 1).is_empty());
        // Beta draws have the right mean.
        let mut rng = SplitMix64::new(11);
        let mean = (0..20_000)
            .map(|_| beta_draw(&mut rng, 31.0, 71.0))
            .sum::<f64>()
            / 20_000.0;
        assert!(close(mean, 31.0 / 102.0, 0.003), "{mean}");
    }
}
