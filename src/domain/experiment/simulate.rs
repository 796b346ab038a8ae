//! Seeded simulations that check the analysis keeps its promises.
//!
//! [`simulate`] runs one seeded experiment end to end (hash bucketing, Bernoulli likes, an
//! analysis after every `look_every` exposures). `marquee bench experiments` runs the issue's
//! full-size checks; the unit tests run smaller ones.

use std::fmt::Write as _;

use serde::Serialize;

use super::analysis::{AnalysisParams, ArmCounts, Verdict, compute, liked, rate, sane};
use super::bandit::open_unit;
use super::bucket::{bucket, pick};
use super::stats::two_proportion_z_test;
use super::{Experiment, Variant, VariantConfig};
use crate::domain::rng::{SplitMix64, mix64};

/// One seeded simulated experiment (see [`simulate`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Simulation {
    /// Units, one exposure each.
    pub users: u64,
    /// The true like rate of each variant (control first).
    pub like_rates: Vec<f64>,
    /// The configured traffic weights (also what the ratio check expects).
    pub weights: Vec<f64>,
    /// When set, units are assigned by this split instead of the hash: a broken bucketing,
    /// for planting a sample-ratio mismatch.
    pub true_split: Option<Vec<f64>>,
    /// Analyse after every this many exposures (0: only at the end).
    pub look_every: u64,
    /// The experiment's minimum exposures per variant (its minimum days is 0).
    pub min_exposures_per_variant: u64,
}

/// The first look at which a verdict named a winner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FirstWinner {
    /// The winning variant.
    pub variant: usize,
    /// Exposures when it was first named.
    pub exposures: u64,
}

/// What one simulated experiment concluded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimulationOutcome {
    /// The verdict of one analysis at the end.
    pub final_verdict: Verdict,
    /// The first look (every `look_every` exposures, and the end) whose verdict named a
    /// winner: what someone who stops as soon as there is a winner would ship.
    pub first_winner: Option<FirstWinner>,
    /// The same with the fixed-horizon two-proportion z-test (p < α, split between
    /// treatments) after the minimum sample, at the same looks: what naive peeking ships.
    pub naive_first_winner: Option<FirstWinner>,
    /// The final counts.
    pub arms: Vec<ArmCounts>,
}

fn naive_winner(arms: &[ArmCounts], min_exposures: u64, alpha: f64) -> Option<usize> {
    if arms.len() < 2 || arms.iter().any(|a| a.exposures < min_exposures) {
        return None;
    }
    let alpha_each = alpha / (arms.len() - 1) as f64;
    let mut best: Option<(usize, f64)> = None;
    let mut all_worse = true;
    for (i, a) in arms.iter().enumerate().skip(1) {
        match two_proportion_z_test(&arms[0], a) {
            Some((z, p)) if p < alpha_each && z > 0.0 => {
                let r = rate(liked(a), a.exposures);
                if best.is_none_or(|(_, b)| r > b) {
                    best = Some((i, r));
                }
                all_worse = false;
            }
            Some((z, p)) if p < alpha_each && z < 0.0 => {}
            _ => all_worse = false,
        }
    }
    best.map(|(i, _)| i).or(all_worse.then_some(0))
}

/// Runs one seeded experiment: `sim.users` units `"user:0"`, `"user:1"`, … are bucketed with
/// [`bucket`] into an experiment keyed by the seed (or by `sim.true_split` from the seeded
/// stream, to plant a mismatch), each sees one suggestion and likes it with its variant's
/// true rate; the analysis runs after every `sim.look_every` exposures and at the end, with
/// `days_running` past any minimum. The same seed gives the same outcome.
pub fn simulate(sim: &Simulation, params: &AnalysisParams, seed: u64) -> SimulationOutcome {
    let variants = sim
        .weights
        .iter()
        .enumerate()
        .map(|(i, &weight)| Variant {
            name: variant_letter(i),
            weight,
            config: VariantConfig::default(),
        })
        .collect();
    let mut exp = Experiment::new(format!("sim-{seed:016x}"), variants);
    exp.min_exposures_per_variant = sim.min_exposures_per_variant;
    exp.min_days = 0.0;
    let k = sim.weights.len();
    let (alpha, _) = sane(params);
    let min_exposures = exp
        .min_exposures_per_variant
        .max(params.min_exposures_per_variant);
    let days = params.min_days;
    let mut rng = SplitMix64::new(mix64(seed ^ 0xA5A5_5A5A_A5A5_5A5A));
    let mut arms = vec![ArmCounts::default(); k];
    let mut first_winner = None;
    let mut naive_first_winner = None;
    let mut id = String::with_capacity(24);
    for u in 1..=sim.users {
        id.clear();
        let _ = write!(id, "user:{}", u - 1);
        let arm = match &sim.true_split {
            Some(split) => pick(open_unit(&mut rng), split.iter().copied()),
            None => bucket(&exp, &id),
        }
        .unwrap_or(0)
        .min(k.saturating_sub(1));
        let p = sim.like_rates.get(arm).copied().unwrap_or(0.0);
        let like = open_unit(&mut rng) < p;
        let a = &mut arms[arm];
        a.units += 1;
        a.exposures += 1;
        a.likes += u64::from(like);
        let look = (sim.look_every > 0 && u % sim.look_every == 0) || u == sim.users;
        if !look {
            continue;
        }
        if first_winner.is_none()
            && let Verdict::Winner { variant } = compute(&exp, &arms, days, params).verdict
        {
            first_winner = Some(FirstWinner {
                variant,
                exposures: u,
            });
        }
        if naive_first_winner.is_none()
            && let Some(variant) = naive_winner(&arms, min_exposures, alpha)
        {
            naive_first_winner = Some(FirstWinner {
                variant,
                exposures: u,
            });
        }
    }
    SimulationOutcome {
        final_verdict: compute(&exp, &arms, days, params).verdict,
        first_winner,
        naive_first_winner,
        arms,
    }
}

/// "A", "B", … "Z", then "V26", "V27", …
fn variant_letter(i: usize) -> String {
    if i < 26 {
        char::from(b'A' + i as u8).to_string()
    } else {
        format!("V{i}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Seeded simulations. Debug builds run fewer of them than the benchmark (see
    // `marquee bench experiments` for 1,000 each); the bounds allow for the smaller count.

    fn run_many(sim: &Simulation, runs: u64, seed: u64) -> Vec<SimulationOutcome> {
        (0..runs)
            .map(|r| simulate(sim, &AnalysisParams::default(), mix64(seed.wrapping_add(r))))
            .collect()
    }

    #[test]
    fn a_a_simulations_rarely_declare_a_winner_even_when_peeking() {
        let sim = Simulation {
            users: 5_000,
            like_rates: vec![0.25, 0.25],
            weights: vec![0.5, 0.5],
            true_split: None,
            look_every: 100,
            min_exposures_per_variant: 200,
        };
        let runs = 300;
        let out = run_many(&sim, runs, 0xAA);
        let final_wins = out
            .iter()
            .filter(|o| matches!(o.final_verdict, Verdict::Winner { .. }))
            .count();
        let peeking_wins = out.iter().filter(|o| o.first_winner.is_some()).count();
        let naive_wins = out
            .iter()
            .filter(|o| o.naive_first_winner.is_some())
            .count();
        let srm = out
            .iter()
            .filter(|o| matches!(o.final_verdict, Verdict::SampleRatioMismatch { .. }))
            .count();
        // 5% of 300 is 15.
        assert!(final_wins <= 15, "final {final_wins}/{runs}");
        assert!(peeking_wins <= 15, "peeking {peeking_wins}/{runs}");
        // The naive fixed-horizon test, looked at 48 times, is fooled far more often.
        assert!(
            naive_wins > peeking_wins + 15,
            "naive {naive_wins} vs {peeking_wins}"
        );
        assert!(srm <= 3, "srm {srm}");
    }

    #[test]
    fn a_planted_difference_is_found_in_the_right_direction() {
        let sim = Simulation {
            users: 5_000,
            like_rates: vec![0.25, 0.30],
            weights: vec![0.5, 0.5],
            true_split: None,
            look_every: 100,
            min_exposures_per_variant: 200,
        };
        let runs = 200;
        let out = run_many(&sim, runs, 0xB0B);
        let right_final = out
            .iter()
            .filter(|o| o.final_verdict == Verdict::Winner { variant: 1 })
            .count();
        let right_peeking = out
            .iter()
            .filter(|o| o.first_winner.is_some_and(|w| w.variant == 1))
            .count();
        let wrong = out
            .iter()
            .filter(|o| o.first_winner.is_some_and(|w| w.variant == 0))
            .count();
        // ≥ 80% at full size; 75% allows for 200 runs (standard error ~3%).
        assert!(
            right_peeking * 100 >= 75 * runs as usize,
            "peeking {right_peeking}/{runs}"
        );
        assert!(
            right_final * 100 >= 70 * runs as usize,
            "final {right_final}/{runs}"
        );
        assert_eq!(wrong, 0);
    }

    #[test]
    fn a_planted_sample_ratio_mismatch_is_flagged() {
        let sim = Simulation {
            users: 10_000,
            like_rates: vec![0.25, 0.30],
            weights: vec![0.5, 0.5],
            true_split: Some(vec![0.55, 0.45]),
            look_every: 0,
            min_exposures_per_variant: 200,
        };
        let out = run_many(&sim, 50, 0x5A);
        for o in &out {
            assert!(
                matches!(o.final_verdict, Verdict::SampleRatioMismatch { p_value } if p_value < 1e-10),
                "{:?}",
                o.final_verdict
            );
        }
    }

    #[test]
    fn simulations_are_reproducible() {
        let sim = Simulation {
            users: 1_000,
            like_rates: vec![0.2, 0.3],
            weights: vec![0.5, 0.5],
            true_split: None,
            look_every: 100,
            min_exposures_per_variant: 100,
        };
        let p = AnalysisParams::default();
        assert_eq!(simulate(&sim, &p, 9), simulate(&sim, &p, 9));
        assert_ne!(simulate(&sim, &p, 9).arms, simulate(&sim, &p, 10).arms);
    }
}
