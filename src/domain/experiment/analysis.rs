//! The analysis behind a verdict: per-arm counts, the ratio check, the always-valid interval of
//! each treatment's difference from control, the Bayesian read-out and a one-sentence summary.
//!
//! # Analysis ([`analyze`])
//! The primary metric is the **like rate** per exposure (an exposure is one suggestion shown;
//! a like is any positive reaction, button or rating ≥ 3.5 on it, counted by the caller).
//! "Not interested" and refresh rates are reported as guardrails.
//! 1. **Sample-ratio mismatch**: Pearson chi-square of the units per arm against the configured
//!    weights; p < [`AnalysisParams::srm_p`] (0.001, GrowthBook's and Statsig's threshold)
//!    withholds any verdict. Skipped for bandit experiments, whose traffic moves on purpose.
//! 2. **Minimum sample and duration**: every arm needs the minimum exposures and the experiment
//!    the minimum days before any verdict.
//! 3. **Always-valid interval** of each treatment's like-rate difference from control: the
//!    asymptotic confidence sequence of Waudby-Smith et al. (2023, arXiv 2103.06476, eq. 9 with
//!    ρ from eq. 161) that GrowthBook's sequential engine uses, with tuning parameter S. It holds
//!    at every sample size at once, so looking every day (or after every exposure) does not
//!    inflate false winners. With more than one treatment, α is split between them (Bonferroni).
//!    A treatment wins when its interval lies above 0; control wins when every treatment's lies
//!    below 0.
//! 4. **Bayesian read-out**: each arm's rate has a Beta(1 + likes, 1 + misses) posterior,
//!    approximated by a normal; the difference Δ ~ N(μ, σ²) gives the chance to beat control
//!    Φ(μ/σ) and the expected loss of shipping the treatment E[max(0, −Δ)] = σφ(μ/σ) − μΦ(−μ/σ).
//!
//! Caveat: exposures are the unit of analysis but users are the unit of randomisation. When
//! users differ a lot in how often they like picks and see many picks each, exposures of one
//! user are correlated and the intervals are somewhat too narrow; the simulations
//! ([`simulate`](fn@super::simulate)) give each user one exposure.

use serde::{Deserialize, Serialize};

use super::Experiment;
use super::stats::{normal_cdf, normal_pdf, srm_p_value};

/// Outcomes of one variant, counted by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ArmCounts {
    /// Units assigned to the arm and exposed at least once (for the ratio check).
    pub units: u64,
    /// Suggestions shown.
    pub exposures: u64,
    /// Exposures with at least one positive reaction, button or rating ≥ 3.5.
    pub likes: u64,
    /// Exposures marked "not interested".
    pub not_interested: u64,
    /// Exposures refreshed away (the user asked for other picks).
    pub refreshes: u64,
    /// Ratings given on exposures.
    pub ratings: u64,
}

pub(super) fn liked(a: &ArmCounts) -> u64 {
    a.likes.min(a.exposures)
}

/// Thresholds of [`analyze`].
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisParams {
    /// Two-sided error rate of the always-valid interval (0.05), split between treatments.
    pub alpha: f64,
    /// The sample-ratio-mismatch p-value below which no verdict is given (0.001).
    pub srm_p: f64,
    /// A floor on the experiment's own minimum exposures per arm (default 0: the
    /// experiment's value applies). The larger of the two is used.
    pub min_exposures_per_variant: u64,
    /// A floor on the experiment's own minimum days (default 0). The larger of the two is used.
    pub min_days: f64,
    /// GrowthBook's sequential tuning parameter S: the total sample size at which the
    /// interval is narrowest (5,000).
    pub tuning_s: f64,
}

impl Default for AnalysisParams {
    fn default() -> Self {
        Self {
            alpha: 0.05,
            srm_p: 0.001,
            min_exposures_per_variant: 0,
            min_days: 0.0,
            tuning_s: 5_000.0,
        }
    }
}

/// One variant's line in a [`Report`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArmReport {
    /// The variant's name.
    pub name: String,
    /// Suggestions shown.
    pub exposures: u64,
    /// Likes per exposure (0 with no exposures).
    pub like_rate: f64,
    /// Always-valid interval of the like rate at level 1 − α, within [0, 1].
    pub like_ci: (f64, f64),
    /// "Not interested" per exposure (guardrail).
    pub not_interested_rate: f64,
    /// Refreshes per exposure (guardrail).
    pub refresh_rate: f64,
    /// Ratings given.
    pub ratings: u64,
    /// Posterior probability that this arm's like rate beats control's; `None` for control.
    pub chance_to_beat_control: Option<f64>,
    /// Expected like-rate loss of shipping this arm instead of control, E[max(0, −Δ)];
    /// `None` for control.
    pub expected_loss: Option<f64>,
    /// Always-valid interval of (this arm's like rate − control's), within [−1, 1]; `None`
    /// for control.
    pub lift_ci: Option<(f64, f64)>,
}

/// What the analysis concludes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Verdict {
    /// This variant's like rate is better (0 = control, when every change is worse).
    Winner {
        /// Index into the experiment's variants.
        variant: usize,
    },
    /// Enough data, but no variant is clearly better or worse yet.
    NoDifference,
    /// The minimum sample or duration is not reached yet.
    NotEnoughData {
        /// Exposures still missing, summed over the arms (0 when only days are missing).
        more_exposures: u64,
    },
    /// The split of units does not match the weights: the data cannot be trusted.
    SampleRatioMismatch {
        /// The chi-square p-value.
        p_value: f64,
    },
}

/// The analysis of one experiment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// One line per variant, control first.
    pub arms: Vec<ArmReport>,
    /// The sample-ratio-mismatch p-value (1 for bandit experiments, which are not checked).
    pub srm_p_value: f64,
    /// The conclusion.
    pub verdict: Verdict,
    /// The verdict in one plain sentence, e.g. "Variant B wins: 31% vs 26% likes, over 99%
    /// chance it is better".
    pub summary: String,
}

/// ρ of the asymptotic confidence sequence for level α and tuning parameter S (eq. 161).
fn cs_rho2(alpha: f64, tuning_s: f64) -> f64 {
    let l = -2.0 * alpha.ln();
    (l + (l + 1.0).ln()) / tuning_s
}

/// Half-width of the always-valid interval at total sample size `n` for an estimate whose
/// variance is `var` (so s² = n·var), eq. 9 of Waudby-Smith et al.
fn cs_half_width(var: f64, n: f64, alpha: f64, tuning_s: f64) -> f64 {
    if n <= 0.0 {
        return f64::INFINITY;
    }
    let nr2 = n * cs_rho2(alpha, tuning_s);
    (var * 2.0 * (nr2 + 1.0) * ((nr2 + 1.0).sqrt() / alpha).ln() / nr2).sqrt()
}

/// Smoothed rate (x + 1) / (n + 2): never 0 or 1, so variances never vanish.
fn smoothed(x: u64, n: u64) -> f64 {
    (x as f64 + 1.0) / (n as f64 + 2.0)
}

pub(super) fn rate(x: u64, n: u64) -> f64 {
    if n == 0 { 0.0 } else { x as f64 / n as f64 }
}

pub(super) struct Computed {
    arms: Vec<ArmReport>,
    srm_p_value: f64,
    pub(super) verdict: Verdict,
    days_missing: f64,
}

pub(super) fn sane(params: &AnalysisParams) -> (f64, f64) {
    let alpha = if params.alpha > 0.0 && params.alpha < 1.0 {
        params.alpha
    } else {
        0.05
    };
    let s = if params.tuning_s > 0.0 && params.tuning_s.is_finite() {
        params.tuning_s
    } else {
        5_000.0
    };
    (alpha, s)
}

/// One arm's like-rate estimates.
struct Estimate {
    /// Exposures.
    n: u64,
    /// Likes per exposure.
    rate: f64,
    /// Variance of `rate` (from the smoothed rate, so never 0; 0.25 with no data).
    var: f64,
    /// Beta(1 + likes, 1 + misses) posterior mean and variance.
    post: f64,
    post_var: f64,
}

impl Estimate {
    fn of(c: &ArmCounts) -> Self {
        let n = c.exposures;
        let x = liked(c);
        let s = smoothed(x, n);
        Self {
            n,
            rate: rate(x, n),
            var: if n == 0 {
                0.25
            } else {
                s * (1.0 - s) / n as f64
            },
            post: s,
            post_var: s * (1.0 - s) / (n as f64 + 3.0),
        }
    }
}

/// Treatment against control: chance to beat it, expected loss, always-valid interval of
/// the difference.
fn versus(t: &Estimate, c: &Estimate, alpha_each: f64, tuning_s: f64) -> (f64, f64, (f64, f64)) {
    let mu = t.post - c.post;
    let sigma = (t.post_var + c.post_var).sqrt();
    let chance = normal_cdf(mu / sigma);
    let loss = (sigma * normal_pdf(mu / sigma) - mu * normal_cdf(-mu / sigma)).max(0.0);
    let lift = if t.n == 0 || c.n == 0 {
        (-1.0, 1.0)
    } else {
        let h = cs_half_width(t.var + c.var, (t.n + c.n) as f64, alpha_each, tuning_s);
        let d = t.rate - c.rate;
        ((d - h).max(-1.0), (d + h).min(1.0))
    };
    (chance, loss, lift)
}

/// The verdict once the ratio check and the minimums have passed.
fn decide(reports: &[ArmReport]) -> Verdict {
    let better = reports
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(_, r)| r.lift_ci.is_some_and(|(lo, _)| lo > 0.0))
        .fold(None::<(usize, f64)>, |best, (i, r)| match best {
            Some((_, rate)) if rate >= r.like_rate => best,
            _ => Some((i, r.like_rate)),
        });
    let all_worse = reports
        .iter()
        .skip(1)
        .all(|r| r.lift_ci.is_some_and(|(_, hi)| hi < 0.0));
    match better {
        Some((variant, _)) => Verdict::Winner { variant },
        None if all_worse => Verdict::Winner { variant: 0 },
        None => Verdict::NoDifference,
    }
}

pub(super) fn compute(
    exp: &Experiment,
    arms: &[ArmCounts],
    days_running: f64,
    params: &AnalysisParams,
) -> Computed {
    let (alpha, tuning_s) = sane(params);
    let k = exp.variants.len();
    let counts: Vec<ArmCounts> = (0..k)
        .map(|i| arms.get(i).copied().unwrap_or_default())
        .collect();
    let alpha_each = alpha / k.saturating_sub(1).max(1) as f64;
    let srm_p_value = if exp.bandit {
        1.0
    } else {
        let units: Vec<u64> = counts.iter().map(|c| c.units).collect();
        srm_p_value(&units, &exp.weights())
    };

    let control = Estimate::of(&counts.first().copied().unwrap_or_default());
    let reports: Vec<ArmReport> = exp
        .variants
        .iter()
        .zip(&counts)
        .enumerate()
        .map(|(i, (v, c))| {
            let e = Estimate::of(c);
            let like_ci = if e.n == 0 {
                (0.0, 1.0)
            } else {
                let h = cs_half_width(e.var, e.n as f64, alpha, tuning_s);
                ((e.rate - h).max(0.0), (e.rate + h).min(1.0))
            };
            let vs = (i > 0).then(|| versus(&e, &control, alpha_each, tuning_s));
            ArmReport {
                name: v.name.clone(),
                exposures: e.n,
                like_rate: e.rate,
                like_ci,
                not_interested_rate: rate(c.not_interested, e.n),
                refresh_rate: rate(c.refreshes, e.n),
                ratings: c.ratings,
                chance_to_beat_control: vs.map(|v| v.0),
                expected_loss: vs.map(|v| v.1),
                lift_ci: vs.map(|v| v.2),
            }
        })
        .collect();

    let min_exposures = exp
        .min_exposures_per_variant
        .max(params.min_exposures_per_variant);
    let min_days = exp.min_days.max(params.min_days);
    let more_exposures: u64 = counts
        .iter()
        .map(|c| min_exposures.saturating_sub(c.exposures))
        .sum();
    let days_missing = if days_running.is_nan() {
        min_days
    } else {
        (min_days - days_running).max(0.0)
    };

    let verdict = if srm_p_value < params.srm_p {
        Verdict::SampleRatioMismatch {
            p_value: srm_p_value,
        }
    } else if more_exposures > 0 || days_missing > 0.0 || k < 2 {
        Verdict::NotEnoughData { more_exposures }
    } else {
        decide(&reports)
    };
    Computed {
        arms: reports,
        srm_p_value,
        verdict,
        days_missing,
    }
}

/// Analyses an experiment from its per-variant counts (`arms[i]` belongs to
/// `exp.variants[i]`; missing arms count as empty, extra ones are ignored) after
/// `days_running` days:
/// 1. a sample-ratio mismatch (chi-square of units against the weights, p < `params.srm_p`;
///    not checked for bandits) withholds any verdict;
/// 2. then every arm needs the minimum exposures and the experiment the minimum days (each
///    the larger of the experiment's and `params`'), or the verdict is "not enough data";
/// 3. then a treatment wins when the always-valid interval of its like-rate difference from
///    control lies above 0 (α split between treatments; the best such treatment by like
///    rate), control wins when every treatment's lies below 0, and otherwise there is no
///    difference yet.
///
/// Chance to beat control and expected loss come from normal approximations of the arms'
/// Beta(1 + likes, 1 + misses) posteriors. Invalid `alpha` or `tuning_s` fall back to 0.05
/// and 5,000.
pub fn analyze(
    exp: &Experiment,
    arms: &[ArmCounts],
    days_running: f64,
    params: &AnalysisParams,
) -> Report {
    let c = compute(exp, arms, days_running, params);
    let summary = summarize(&c);
    Report {
        arms: c.arms,
        srm_p_value: c.srm_p_value,
        verdict: c.verdict,
        summary,
    }
}

/// Rates as whole percentages, with one decimal when they would otherwise look equal.
fn percents(a: f64, b: f64) -> (String, String) {
    let whole = |x: f64| format!("{:.0}%", x * 100.0);
    if whole(a) == whole(b) && (a - b).abs() > 1e-12 {
        (format!("{:.1}%", a * 100.0), format!("{:.1}%", b * 100.0))
    } else {
        (whole(a), whole(b))
    }
}

fn chance_words(c: f64) -> String {
    if c >= 0.995 {
        "over 99%".to_owned()
    } else if c < 0.005 {
        "under 1%".to_owned()
    } else {
        format!("{:.0}%", c * 100.0)
    }
}

/// "about 400": exact below 100, else rounded up to two significant digits.
fn about(n: u64) -> u64 {
    if n < 100 {
        return n;
    }
    let mut step = 1;
    while n / step >= 100 {
        step *= 10;
    }
    n.div_ceil(step) * step
}

fn days_words(d: f64) -> String {
    let rounded = (d * 10.0).ceil() / 10.0;
    if (rounded - 1.0).abs() < 1e-9 {
        "1 more day".to_owned()
    } else if rounded.fract() == 0.0 {
        format!("{rounded:.0} more days")
    } else {
        format!("{rounded:.1} more days")
    }
}

fn summarize(c: &Computed) -> String {
    let arms = &c.arms;
    match &c.verdict {
        Verdict::SampleRatioMismatch { p_value } => {
            let p = if *p_value < 0.0001 {
                "p < 0.0001".to_owned()
            } else {
                format!("p = {p_value:.4}")
            };
            format!(
                "Sample ratio mismatch ({p}): the split is not what was configured, so no verdict; check the bucketing."
            )
        }
        Verdict::NotEnoughData { more_exposures } => {
            let exposures = (*more_exposures > 0).then(|| {
                let n = about(*more_exposures);
                let word = if n == 1 { "exposure" } else { "exposures" };
                if n == *more_exposures {
                    format!("{n} more {word}")
                } else {
                    format!("about {n} more {word}")
                }
            });
            let days = (c.days_missing > 0.0).then(|| days_words(c.days_missing));
            let need = match (exposures, days) {
                (Some(e), Some(d)) => format!("{e} and {d}"),
                (Some(e), None) => e,
                (None, Some(d)) => d,
                (None, None) => "a control and a change to compare".to_owned(),
            };
            format!("Not enough data yet: {need} needed")
        }
        Verdict::Winner { variant } if *variant > 0 => {
            let w = &arms[*variant];
            let (a, b) = percents(w.like_rate, arms[0].like_rate);
            format!(
                "Variant {} wins: {a} vs {b} likes, {} chance it is better",
                w.name,
                chance_words(w.chance_to_beat_control.unwrap_or(0.5))
            )
        }
        Verdict::Winner { .. } => {
            let control = &arms[0];
            // The treatment that came closest.
            let Some(best) = arms[1..].iter().max_by(|a, b| {
                a.chance_to_beat_control
                    .partial_cmp(&b.chance_to_beat_control)
                    .unwrap_or(std::cmp::Ordering::Equal)
            }) else {
                return format!("Variant {} wins", control.name);
            };
            let (a, b) = percents(control.like_rate, best.like_rate);
            let others = if arms.len() > 2 {
                " (every change did worse)"
            } else {
                ""
            };
            format!(
                "Variant {} (control) wins: {a} vs {b} likes for {}, {} chance it is better{others}",
                control.name,
                best.name,
                chance_words(1.0 - best.chance_to_beat_control.unwrap_or(0.5)),
            )
        }
        Verdict::NoDifference => {
            let control = &arms[0];
            let Some(best) = arms[1..].iter().max_by(|a, b| {
                a.chance_to_beat_control
                    .partial_cmp(&b.chance_to_beat_control)
                    .unwrap_or(std::cmp::Ordering::Equal)
            }) else {
                return "No clear difference yet".to_owned();
            };
            let (a, b) = percents(best.like_rate, control.like_rate);
            format!(
                "No clear difference yet: {} {a} vs {} {b} likes, {} chance {} is better; not enough to call it",
                best.name,
                control.name,
                chance_words(best.chance_to_beat_control.unwrap_or(0.5)),
                best.name,
            )
        }
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;
    use crate::domain::experiment::bandit::std_normal;
    use crate::domain::experiment::tests::{ab, arm, close};
    use crate::domain::rng::SplitMix64;

    #[test]
    fn analysis_verdicts_and_sentences() {
        let mut exp = ab("k");
        exp.variants[0].name = "A".into();
        let params = AnalysisParams::default();

        // A clear winner.
        let r = analyze(&exp, &[arm(3000, 780), arm(3000, 930)], 10.0, &params);
        assert_eq!(r.verdict, Verdict::Winner { variant: 1 });
        assert_eq!(
            r.summary,
            "Variant B wins: 31% vs 26% likes, over 99% chance it is better"
        );
        let b = &r.arms[1];
        assert!(b.lift_ci.unwrap().0 > 0.0);
        assert!(b.expected_loss.unwrap() < 1e-4);
        assert!(r.arms[0].chance_to_beat_control.is_none());
        assert!(r.arms[0].like_ci.0 < 0.26 && r.arms[0].like_ci.1 > 0.26);

        // Control wins when the change is clearly worse.
        let r = analyze(&exp, &[arm(3000, 930), arm(3000, 780)], 10.0, &params);
        assert_eq!(r.verdict, Verdict::Winner { variant: 0 });
        assert!(
            r.summary
                .starts_with("Variant A (control) wins: 31% vs 26% likes for B")
        );

        // Not enough exposures: 200 per arm by default.
        let r = analyze(&exp, &[arm(100, 30), arm(100, 20)], 10.0, &params);
        assert_eq!(
            r.verdict,
            Verdict::NotEnoughData {
                more_exposures: 200
            }
        );
        assert_eq!(r.summary, "Not enough data yet: 200 more exposures needed");
        // 100 units against none on a 50/50 split is a mismatch, however small.
        let r = analyze(&exp, &[arm(100, 30), arm(0, 0)], 10.0, &params);
        assert!(matches!(r.verdict, Verdict::SampleRatioMismatch { .. }));
        let r = analyze(&exp, &[arm(50, 30), arm(35, 0)], 10.0, &params);
        assert_eq!(
            r.verdict,
            Verdict::NotEnoughData {
                more_exposures: 315
            }
        );
        assert_eq!(
            r.summary,
            "Not enough data yet: about 320 more exposures needed"
        );

        // Not enough days.
        let r = analyze(&exp, &[arm(3000, 780), arm(3000, 930)], 1.5, &params);
        assert_eq!(r.verdict, Verdict::NotEnoughData { more_exposures: 0 });
        assert_eq!(r.summary, "Not enough data yet: 1.5 more days needed");

        // Stricter params floors win over the experiment's.
        let strict = AnalysisParams {
            min_exposures_per_variant: 5000,
            ..AnalysisParams::default()
        };
        let r = analyze(&exp, &[arm(3000, 780), arm(3000, 930)], 10.0, &strict);
        assert_eq!(
            r.verdict,
            Verdict::NotEnoughData {
                more_exposures: 4000
            }
        );

        // No difference.
        let r = analyze(&exp, &[arm(1000, 260), arm(1000, 270)], 10.0, &params);
        assert_eq!(r.verdict, Verdict::NoDifference);
        assert!(
            r.summary
                .starts_with("No clear difference yet: B 27% vs A 26% likes"),
            "{}",
            r.summary
        );
        let ctb = r.arms[1].chance_to_beat_control.unwrap();
        assert!(ctb > 0.6 && ctb < 0.8, "{ctb}");

        // A sample-ratio mismatch withholds the verdict, even with a clear winner.
        let mut a = arm(5500, 1430);
        let b = arm(4500, 1400);
        a.units = 5500;
        let r = analyze(&exp, &[a, b], 10.0, &params);
        assert!(matches!(r.verdict, Verdict::SampleRatioMismatch { .. }));
        assert_eq!(
            r.summary,
            "Sample ratio mismatch (p < 0.0001): the split is not what was configured, so no verdict; check the bucketing."
        );
        let mut b2 = b;
        b2.units = 5_350;
        let r = analyze(&exp, &[arm(5000, 1300), b2], 10.0, &params);
        assert!(
            matches!(r.verdict, Verdict::SampleRatioMismatch { p_value } if p_value > 0.0001 && p_value < 0.001)
        );
        assert!(
            r.summary.starts_with("Sample ratio mismatch (p = 0.0"),
            "{}",
            r.summary
        );

        // Bandits are not checked for ratio.
        let mut bandit = ab("k");
        bandit.bandit = true;
        let r = analyze(&bandit, &[arm(5500, 1430), arm(4500, 1400)], 10.0, &params);
        assert_eq!(r.srm_p_value, 1.0);
        assert_eq!(r.verdict, Verdict::Winner { variant: 1 });

        // Missing arms count as empty; zero data gives wide intervals, not NaN.
        let r = analyze(&exp, &[], 10.0, &params);
        assert_eq!(
            r.verdict,
            Verdict::NotEnoughData {
                more_exposures: 400
            }
        );
        assert_eq!(r.arms[1].lift_ci, Some((-1.0, 1.0)));
        assert!(close(r.arms[1].chance_to_beat_control.unwrap(), 0.5, 1e-6));
        assert!(r.arms.iter().all(|a| a.like_rate == 0.0));
    }

    #[test]
    fn the_interval_is_wider_than_a_fixed_one_and_shrinks() {
        // Around S the always-valid interval is about 3 standard errors wide each side.
        let var = 0.25 * 0.75 / 2500.0 * 2.0;
        let h = cs_half_width(var, 5000.0, 0.05, 5000.0);
        let z = h / var.sqrt();
        assert!(z > 2.9 && z < 3.2, "{z}");
        assert!(cs_half_width(var / 10.0, 50_000.0, 0.05, 5000.0) < h);
    }

    #[test]
    fn expected_loss_matches_monte_carlo() {
        // Δ ~ N(0.01, 0.02²): E[max(0, −Δ)] by the formula vs by sampling.
        let (mu, sigma) = (0.01, 0.02);
        let formula = sigma * normal_pdf(mu / sigma) - mu * normal_cdf(-mu / sigma);
        let mut rng = SplitMix64::new(3);
        let n = 200_000;
        let mc: f64 = (0..n)
            .map(|_| (-(mu + sigma * std_normal(&mut rng))).max(0.0))
            .sum::<f64>()
            / f64::from(n);
        assert!(close(formula, mc, 1e-4), "{formula} vs {mc}");
    }
}
