//! `marquee bench experiments`: the A/B analysis's seeded simulation checks at full
//! size, plus a Thompson-sampling bandit run.
//!
//! Every simulated experiment buckets `"user:0"`, `"user:1"`, … with the real GrowthBook-v2
//! bucketing into two 50/50 variants under a key derived from the seed and the run, shows each
//! user one suggestion, draws a like with the variant's true rate, and runs [`simulate`]'s
//! analysis (α = 0.05, S = 5,000, at least 200 exposures per variant, SRM at p < 0.001) after
//! every 100 exposures and at the end:
//! 1. **A/A**: 5,000 users at 0.25 / 0.25. Winners declared at the end, at any look (stop at
//!    the first winner), and by a naive fixed-horizon z-test at any look for contrast;
//!    sample-ratio false alarms.
//! 2. **Planted difference**: 5,000 users at 0.25 (control) / 0.30. Right winner at the end
//!    and at any look; wrong-direction winners.
//! 3. **Planted SRM**: 10,000 users split 55/45 by a broken bucketing on a 50/50 experiment.
//! 4. **Bandit**: three arms at 0.25 / 0.25 / 0.30, 5,000 users, Thompson weights (1,000 draws,
//!    floor 1%) recomputed every 250 users: share of traffic on the best arm and likes against
//!    an even split.

use crate::domain::experiment::{
    AnalysisParams, ArmCounts, Simulation, SimulationOutcome, Verdict, bucket_with_weights,
    simulate, thompson_weights,
};
use crate::domain::rng::{SplitMix64, mix64};
use serde::Serialize;
use std::time::Instant;

/// Default number of simulated experiments per scenario.
pub const RUNS: u32 = 1_000;
/// Default seed.
pub const SEED: u64 = 0x5EED_0009;

/// One measured rate with its 95% Wilson interval.
#[derive(Debug, Clone, Serialize)]
pub struct Rate {
    /// What was counted.
    pub what: String,
    /// Runs where it happened.
    pub hits: u32,
    /// Runs.
    pub runs: u32,
    /// hits / runs.
    pub rate: f64,
    /// 95% Wilson score interval.
    pub wilson: (f64, f64),
    /// The target, if any ("≤ 5%", "≥ 80%").
    pub target: Option<String>,
    /// Whether the target is met by the point estimate.
    pub met: Option<bool>,
}

/// The bandit scenario's figures (means over its runs).
#[derive(Debug, Clone, Serialize)]
pub struct BanditFigures {
    /// Simulated experiments.
    pub runs: u32,
    /// Mean share of users sent to the best arm (0.30).
    pub best_arm_share: f64,
    /// Mean like rate under the bandit.
    pub like_rate_bandit: f64,
    /// Mean like rate under a fixed even split.
    pub like_rate_even: f64,
    /// Mean final weight of the best arm.
    pub final_best_weight: f64,
}

/// Everything the benchmark measured.
#[derive(Debug, Clone, Serialize)]
pub struct Figures {
    /// Simulated experiments per scenario.
    pub runs: u32,
    /// The seed.
    pub seed: u64,
    /// The measured rates.
    pub rates: Vec<Rate>,
    /// Median exposures at the first winner in the planted-difference scenario.
    pub median_exposures_to_winner: Option<u64>,
    /// The bandit scenario.
    pub bandit: BanditFigures,
    /// Wall time of the whole benchmark.
    pub seconds: f64,
}

fn wilson(hits: u32, runs: u32) -> (f64, f64) {
    if runs == 0 {
        return (0.0, 1.0);
    }
    let n = f64::from(runs);
    let p = f64::from(hits) / n;
    let z: f64 = 1.959_964;
    let denom = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / denom;
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

fn rate(what: &str, hits: usize, runs: u32, target: Option<(&str, f64, bool)>) -> Rate {
    let hits = hits as u32;
    let r = if runs == 0 {
        0.0
    } else {
        f64::from(hits) / f64::from(runs)
    };
    Rate {
        what: what.to_owned(),
        hits,
        runs,
        rate: r,
        wilson: wilson(hits, runs),
        target: target.map(|(t, _, _)| t.to_owned()),
        met: target.map(|(_, bound, at_most)| if at_most { r <= bound } else { r >= bound }),
    }
}

fn many(sim: &Simulation, runs: u32, seed: u64, salt: u64) -> Vec<SimulationOutcome> {
    let params = AnalysisParams::default();
    (0..runs)
        .map(|r| simulate(sim, &params, mix64(seed ^ salt).wrapping_add(u64::from(r))))
        .collect()
}

fn bandit(runs: u32, seed: u64) -> BanditFigures {
    const USERS: u64 = 5_000;
    const EVERY: u64 = 250;
    let truth = [0.25, 0.25, 0.30];
    let (mut best_share, mut lr_bandit, mut lr_even, mut final_w) = (0.0, 0.0, 0.0, 0.0);
    for r in 0..runs {
        let run_seed = mix64(seed ^ 0x00BA_4D17).wrapping_add(u64::from(r));
        let key = format!("bandit-{run_seed:016x}");
        let mut rng = SplitMix64::new(run_seed);
        let mut weights = vec![1.0 / 3.0; 3];
        let mut arms = [ArmCounts::default(); 3];
        let mut even_likes = 0u64;
        for u in 0..USERS {
            if u > 0 && u % EVERY == 0 {
                weights = thompson_weights(&arms, 1_000, 0.01, run_seed ^ u);
            }
            let id = format!("user:{u}");
            let arm = bucket_with_weights(&key, &weights, &id).unwrap_or(0);
            let x = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
            let a = &mut arms[arm];
            a.units += 1;
            a.exposures += 1;
            a.likes += u64::from(x < truth[arm]);
            // The same user under an even split, with an independent draw.
            let even = bucket_with_weights(&key, &[1.0, 1.0, 1.0], &id).unwrap_or(0);
            let y = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
            even_likes += u64::from(y < truth[even]);
        }
        best_share += arms[2].exposures as f64 / USERS as f64;
        lr_bandit += arms.iter().map(|a| a.likes).sum::<u64>() as f64 / USERS as f64;
        lr_even += even_likes as f64 / USERS as f64;
        final_w += weights[2];
    }
    let n = f64::from(runs.max(1));
    BanditFigures {
        runs,
        best_arm_share: best_share / n,
        like_rate_bandit: lr_bandit / n,
        like_rate_even: lr_even / n,
        final_best_weight: final_w / n,
    }
}

/// Runs every scenario with `runs` simulated experiments each (the bandit with a tenth of
/// them, at least 10) from `seed`.
pub fn measure(runs: u32, seed: u64) -> Figures {
    let start = Instant::now();
    let two = |rates: [f64; 2], users, split: Option<Vec<f64>>| Simulation {
        users,
        like_rates: rates.to_vec(),
        weights: vec![0.5, 0.5],
        true_split: split,
        look_every: 100,
        min_exposures_per_variant: 200,
    };
    let mut rates = Vec::new();

    let aa = many(&two([0.25, 0.25], 5_000, None), runs, seed, 0xAA);
    let winner = |v: &Verdict| matches!(v, Verdict::Winner { .. });
    rates.push(rate(
        "A/A 0.25 vs 0.25, 5,000 users: winner at the end",
        aa.iter().filter(|o| winner(&o.final_verdict)).count(),
        runs,
        Some(("≤ 5%", 0.05, true)),
    ));
    rates.push(rate(
        "A/A: winner at any look (every 100 exposures, stop at the first)",
        aa.iter().filter(|o| o.first_winner.is_some()).count(),
        runs,
        Some(("≤ 5%", 0.05, true)),
    ));
    rates.push(rate(
        "A/A: naive fixed-horizon z-test at any look (for contrast)",
        aa.iter().filter(|o| o.naive_first_winner.is_some()).count(),
        runs,
        None,
    ));
    rates.push(rate(
        "A/A: sample-ratio mismatch flagged (false alarm)",
        aa.iter()
            .filter(|o| matches!(o.final_verdict, Verdict::SampleRatioMismatch { .. }))
            .count(),
        runs,
        None,
    ));

    let planted = many(&two([0.25, 0.30], 5_000, None), runs, seed, 0xB0B);
    rates.push(rate(
        "planted 0.25 vs 0.30, 5,000 users: right winner at the end",
        planted
            .iter()
            .filter(|o| o.final_verdict == Verdict::Winner { variant: 1 })
            .count(),
        runs,
        Some(("≥ 80%", 0.80, false)),
    ));
    rates.push(rate(
        "planted: right winner at any look (every 100 exposures)",
        planted
            .iter()
            .filter(|o| o.first_winner.is_some_and(|w| w.variant == 1))
            .count(),
        runs,
        Some(("≥ 80%", 0.80, false)),
    ));
    rates.push(rate(
        "planted: wrong direction at any look",
        planted
            .iter()
            .filter(|o| o.first_winner.is_some_and(|w| w.variant == 0))
            .count(),
        runs,
        None,
    ));
    let mut to_winner: Vec<u64> = planted
        .iter()
        .filter_map(|o| o.first_winner.map(|w| w.exposures))
        .collect();
    to_winner.sort_unstable();
    let median_exposures_to_winner = to_winner.get(to_winner.len() / 2).copied();

    let mut srm_sim = two([0.25, 0.30], 10_000, Some(vec![0.55, 0.45]));
    srm_sim.look_every = 0;
    let srm = many(&srm_sim, runs, seed, 0x5A);
    rates.push(rate(
        "planted SRM 55/45 on a 50/50 split, 10,000 users: flagged",
        srm.iter()
            .filter(|o| matches!(o.final_verdict, Verdict::SampleRatioMismatch { .. }))
            .count(),
        runs,
        Some(("flagged", 0.99, false)),
    ));

    let bandit = bandit((runs / 10).max(10), seed);
    Figures {
        runs,
        seed,
        rates,
        median_exposures_to_winner,
        bandit,
        seconds: start.elapsed().as_secs_f64(),
    }
}

/// Runs the benchmark and writes a table (or JSON) to `out`.
///
/// # Errors
/// Writing to `out` failed.
pub fn run(mut out: impl std::io::Write, runs: u32, seed: u64, json: bool) -> anyhow::Result<()> {
    let f = measure(runs, seed);
    if json {
        serde_json::to_writer_pretty(&mut out, &f)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(
        out,
        "A/B experiments: {} simulated experiments per scenario, seed {} ({:#x})",
        f.runs, f.seed, f.seed
    )?;
    writeln!(
        out,
        "two variants 50/50, GrowthBook-v2 bucketing, one exposure per user, α = 0.05, S = 5,000, \
         ≥ 200 exposures per variant, analysed every 100 exposures"
    )?;
    writeln!(out)?;
    for r in &f.rates {
        let target = match (&r.target, r.met) {
            (Some(t), Some(true)) => format!("  target {t}: met"),
            (Some(t), Some(false)) => format!("  target {t}: NOT met"),
            _ => String::new(),
        };
        writeln!(
            out,
            "{:<68} {:>6.1}%  ({}/{}, 95% CI {:.1}–{:.1}%){target}",
            r.what,
            r.rate * 100.0,
            r.hits,
            r.runs,
            r.wilson.0 * 100.0,
            r.wilson.1 * 100.0,
        )?;
    }
    if let Some(m) = f.median_exposures_to_winner {
        writeln!(out, "planted: median exposures at the first winner: {m}")?;
    }
    let b = &f.bandit;
    writeln!(
        out,
        "bandit 0.25/0.25/0.30, 5,000 users, {} runs: {:.1}% of users on the best arm \
         (final weight {:.2}), like rate {:.2}% vs {:.2}% with an even split",
        b.runs,
        b.best_arm_share * 100.0,
        b.final_best_weight,
        b.like_rate_bandit * 100.0,
        b.like_rate_even * 100.0,
    )?;
    writeln!(out, "time: {:.1} s", f.seconds)?;
    Ok(())
}
