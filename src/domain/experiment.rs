//! A/B experiments on the recommender: definitions, deterministic bucketing, mutually exclusive
//! layers, the analysis behind a verdict, a Thompson-sampling bandit, and seeded simulations
//! that check the analysis keeps its promises (issue 9).
//!
//! # Bucketing
//! A unit (a user for personal picks, a server for watch parties: [`Unit`]) gets its variant
//! from [`growthbook_hash`] version 2 with the experiment key as seed, mapped onto the
//! cumulative traffic weights ([`bucket`]), exactly as GrowthBook's SDKs do; the hash is
//! checked against GrowthBook's cross-SDK test vectors. The same key and unit always give the
//! same variant, so bucketing is sticky by construction as long as the weights do not change
//! (the caller stores assignments so that changing weights or a bandit does not move anyone).
//! [`layer_owner`] splits the units evenly between the running experiments of a layer, so two
//! experiments of one layer never share a unit.
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
//! user are correlated and the intervals are somewhat too narrow; the simulations here give each
//! user one exposure.
//!
//! # Bandit
//! [`thompson_weights`] turns the arms' Beta posteriors into traffic weights (the share of
//! Monte-Carlo draws each arm wins, each arm kept at a floor), and [`bucket_with_weights`]
//! buckets with them. Weights that move over time bias the plain rate estimates when the like
//! rate itself drifts over time (GrowthBook documents the same caveat).
//!
//! # Simulations
//! [`simulate`] runs one seeded experiment end to end (hash bucketing, Bernoulli likes, an
//! analysis after every `look_every` exposures). `marquee bench experiments` runs the issue's
//! full-size checks; the unit tests run smaller ones.

use std::collections::HashSet;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::domain::group::Strategy;
use crate::domain::recommend::rng::{SplitMix64, mix64};

/// The experiments-file format this code reads (`version = 1`).
pub const FILE_VERSION: u32 = 1;
/// The layer of an experiment that names none.
pub const DEFAULT_LAYER: &str = "default";
/// Default minimum exposures per variant before any verdict.
pub const DEFAULT_MIN_EXPOSURES: u64 = 200;
/// Default minimum days running before any verdict (GrowthBook plans for 3).
pub const DEFAULT_MIN_DAYS: f64 = 3.0;
/// The recommender models a variant may name.
pub const MODELS: [&str; 2] = ["hybrid", "popularity"];
/// How far the traffic weights may sum from 1.
pub const WEIGHT_TOLERANCE: f64 = 1e-6;
/// The longest key, layer or variant name.
pub const MAX_NAME_LEN: usize = 64;

const FNV_OFFSET: u32 = 0x811c_9dc5;
const FNV_PRIME: u32 = 0x0100_0193;

fn fnv_feed(mut h: u32, bytes: &[u8]) -> u32 {
    for &b in bytes {
        h ^= u32::from(b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// FNV-1a 32-bit over the UTF-8 bytes of `data`.
///
/// GrowthBook's JavaScript SDK hashes UTF-16 code units instead, so the two agree on ASCII
/// (Discord ids are ASCII digits).
pub fn fnv1a32(data: &str) -> u32 {
    fnv_feed(FNV_OFFSET, data.as_bytes())
}

/// GrowthBook's hash, a number in [0, 1): version 1 = `(fnv(value + seed) % 1000) / 1000`;
/// version 2 = `(fnv(str(fnv(seed + value))) % 10000) / 10000`. `None` for other versions.
pub fn growthbook_hash(seed: &str, value: &str, version: u32) -> Option<f64> {
    match version {
        1 => {
            let h = fnv_feed(fnv_feed(FNV_OFFSET, value.as_bytes()), seed.as_bytes());
            Some(f64::from(h % 1000) / 1000.0)
        }
        2 => {
            let inner = fnv_feed(fnv_feed(FNV_OFFSET, seed.as_bytes()), value.as_bytes());
            // The decimal digits of `inner`, without allocating.
            let mut digits = [0u8; 10];
            let mut start = digits.len();
            let mut rest = inner;
            loop {
                start -= 1;
                digits[start] = b'0' + (rest % 10) as u8;
                rest /= 10;
                if rest == 0 {
                    break;
                }
            }
            let outer = fnv_feed(FNV_OFFSET, &digits[start..]);
            Some(f64::from(outer % 10_000) / 10_000.0)
        }
        _ => None,
    }
}

/// What an experiment randomises: users for personal picks, servers for watch parties.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    /// One Discord user.
    #[default]
    User,
    /// One Discord server (all its members see the same variant).
    Guild,
}

/// A named recommender configuration; unset fields keep the bot's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct VariantConfig {
    /// The model: "hybrid" (default) or "popularity" (see [`MODELS`]).
    #[serde(default)]
    pub model: Option<String>,
    /// MMR λ in [0, 1] for /recommend.
    #[serde(default)]
    pub diversity_lambda: Option<f32>,
    /// A watch-party strategy name (see [`Strategy::name`]).
    #[serde(default)]
    pub group_strategy: Option<String>,
}

/// One arm of an experiment: a name, a traffic weight and a configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Variant {
    /// Shown in reports ("A", "B", "diverse", …); unique within the experiment.
    pub name: String,
    /// Share of traffic in [0, 1]; an experiment's weights sum to 1.
    pub weight: f64,
    /// What this arm changes.
    #[serde(default)]
    pub config: VariantConfig,
}

fn default_layer() -> String {
    DEFAULT_LAYER.to_owned()
}

const fn default_min_exposures() -> u64 {
    DEFAULT_MIN_EXPOSURES
}

const fn default_min_days() -> f64 {
    DEFAULT_MIN_DAYS
}

/// One experiment, as written in `experiments.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Experiment {
    /// Stable identifier, `[a-z0-9_-]{1,64}`; also the bucketing seed.
    pub key: String,
    /// Experiments of one layer never share a unit ([`layer_owner`]); `"default"` if unset.
    #[serde(default = "default_layer")]
    pub layer: String,
    /// What is randomised.
    #[serde(default)]
    pub unit: Unit,
    /// The arms; the first is the control.
    pub variants: Vec<Variant>,
    /// What the experiment tests, for people.
    #[serde(default)]
    pub description: String,
    /// Thompson-sampling bandit: traffic follows [`thompson_weights`] instead of the weights.
    #[serde(default)]
    pub bandit: bool,
    /// Exposures every arm needs before any verdict.
    #[serde(default = "default_min_exposures")]
    pub min_exposures_per_variant: u64,
    /// Days the experiment must run before any verdict.
    #[serde(default = "default_min_days")]
    pub min_days: f64,
}

/// A whole `experiments.toml`: `version = 1` and `[[experiment]]` tables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentFile {
    /// The file format version; this code reads [`FILE_VERSION`].
    pub version: u32,
    /// The experiments, in file order.
    #[serde(rename = "experiment", default)]
    pub experiments: Vec<Experiment>,
}

/// What is wrong with an experiment definition or request. Every message says what to fix.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExperimentError {
    /// The experiments file has a format version this code does not read.
    #[error("experiments file version {found} is not supported; write version = {supported}")]
    UnsupportedVersion {
        /// The version in the file.
        found: u32,
        /// The version this code reads.
        supported: u32,
    },
    /// A key that is not 1–64 characters of `a-z`, `0-9`, `_`, `-`.
    #[error("experiment key {0:?} is not valid: use 1 to 64 characters from a-z, 0-9, _ and -")]
    BadKey(String),
    /// A layer name that is not 1–64 characters of `a-z`, `0-9`, `_`, `-`.
    #[error(
        "experiment {key}: layer {layer:?} is not valid: use 1 to 64 characters from a-z, 0-9, _ and -"
    )]
    BadLayer {
        /// The experiment.
        key: String,
        /// The bad layer name.
        layer: String,
    },
    /// Fewer than two variants: nothing to compare.
    #[error("experiment {key}: needs at least 2 variants (a control and a change), found {found}")]
    TooFewVariants {
        /// The experiment.
        key: String,
        /// How many variants it has.
        found: usize,
    },
    /// An empty, blank or overlong variant name.
    #[error("experiment {key}: variant name {name:?} is not valid: use 1 to 64 characters")]
    BadVariantName {
        /// The experiment.
        key: String,
        /// The bad name.
        name: String,
    },
    /// Two variants with one name.
    #[error("experiment {key}: variant {name:?} is defined twice")]
    DuplicateVariant {
        /// The experiment.
        key: String,
        /// The repeated name.
        name: String,
    },
    /// A weight that is negative, above 1 or not a number.
    #[error("experiment {key}: variant {variant:?} has weight {weight}; use a number from 0 to 1")]
    BadWeight {
        /// The experiment.
        key: String,
        /// The variant.
        variant: String,
        /// Its weight.
        weight: f64,
    },
    /// Weights that do not add up to 1.
    #[error("experiment {key}: the variant weights sum to {sum}, not 1")]
    WeightsDoNotSum {
        /// The experiment.
        key: String,
        /// Their sum.
        sum: f64,
    },
    /// A variant name the experiment does not have.
    #[error("experiment {key} has no variant {name:?}; its variants are: {known}")]
    UnknownVariant {
        /// The experiment.
        key: String,
        /// The name asked for.
        name: String,
        /// The names it has, comma-separated.
        known: String,
    },
    /// A variant configuration naming a model Marquee does not have.
    #[error(
        "experiment {key}, variant {variant:?}: unknown model {model:?}; expected one of: hybrid, popularity"
    )]
    UnknownModel {
        /// The experiment.
        key: String,
        /// The variant.
        variant: String,
        /// The unknown model name.
        model: String,
    },
    /// A variant configuration naming an unknown watch-party strategy.
    #[error("experiment {key}, variant {variant:?}: {message}")]
    UnknownStrategy {
        /// The experiment.
        key: String,
        /// The variant.
        variant: String,
        /// The unknown strategy name.
        strategy: String,
        /// What the strategy parser said (lists the valid names).
        message: String,
    },
    /// A diversity λ outside [0, 1].
    #[error(
        "experiment {key}, variant {variant:?}: diversity_lambda must be from 0 to 1, got {lambda}"
    )]
    BadLambda {
        /// The experiment.
        key: String,
        /// The variant.
        variant: String,
        /// The bad λ.
        lambda: f32,
    },
    /// A minimum duration that is negative or not a number.
    #[error("experiment {key}: min_days must be a number of days ≥ 0, got {min_days}")]
    BadMinDays {
        /// The experiment.
        key: String,
        /// The bad value.
        min_days: f64,
    },
    /// Two experiments with one key.
    #[error("experiment key {key:?} is defined twice")]
    DuplicateExperiment {
        /// The repeated key.
        key: String,
    },
    /// An experiment key the file does not define.
    #[error("there is no experiment {key:?}")]
    UnknownExperiment {
        /// The key asked for.
        key: String,
    },
    /// Starting an experiment that is already running.
    #[error("experiment {key} is already running")]
    AlreadyRunning {
        /// The experiment.
        key: String,
    },
    /// Stopping an experiment that is not running.
    #[error("experiment {key} is not running")]
    NotRunning {
        /// The experiment.
        key: String,
    },
}

fn is_slug(s: &str) -> bool {
    (1..=MAX_NAME_LEN).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

impl Experiment {
    /// An experiment with the given key and variants and every other field at its default.
    pub fn new(key: impl Into<String>, variants: Vec<Variant>) -> Self {
        Self {
            key: key.into(),
            layer: default_layer(),
            unit: Unit::default(),
            variants,
            description: String::new(),
            bandit: false,
            min_exposures_per_variant: DEFAULT_MIN_EXPOSURES,
            min_days: DEFAULT_MIN_DAYS,
        }
    }

    /// Checks the key, layer, variants (at least two, unique names, weights in [0, 1] summing
    /// to 1 within [`WEIGHT_TOLERANCE`]), each variant's configuration (known model and
    /// strategy, λ in [0, 1]) and the minimum duration. Reports the first problem.
    ///
    /// # Errors
    /// The first [`ExperimentError`] found, with a message that says what to fix.
    pub fn validate(&self) -> Result<(), ExperimentError> {
        let key = || self.key.clone();
        if !is_slug(&self.key) {
            return Err(ExperimentError::BadKey(self.key.clone()));
        }
        if !is_slug(&self.layer) {
            return Err(ExperimentError::BadLayer {
                key: key(),
                layer: self.layer.clone(),
            });
        }
        if self.variants.len() < 2 {
            return Err(ExperimentError::TooFewVariants {
                key: key(),
                found: self.variants.len(),
            });
        }
        let mut seen = HashSet::new();
        let mut sum = 0.0;
        for v in &self.variants {
            let name_ok = !v.name.trim().is_empty() && v.name.chars().count() <= MAX_NAME_LEN;
            if !name_ok {
                return Err(ExperimentError::BadVariantName {
                    key: key(),
                    name: v.name.clone(),
                });
            }
            if !seen.insert(v.name.as_str()) {
                return Err(ExperimentError::DuplicateVariant {
                    key: key(),
                    name: v.name.clone(),
                });
            }
            if !(0.0..=1.0).contains(&v.weight) {
                return Err(ExperimentError::BadWeight {
                    key: key(),
                    variant: v.name.clone(),
                    weight: v.weight,
                });
            }
            sum += v.weight;
            v.config.validate(&self.key, &v.name)?;
        }
        if (sum - 1.0).abs() > WEIGHT_TOLERANCE {
            return Err(ExperimentError::WeightsDoNotSum { key: key(), sum });
        }
        if !(self.min_days.is_finite() && self.min_days >= 0.0) {
            return Err(ExperimentError::BadMinDays {
                key: key(),
                min_days: self.min_days,
            });
        }
        Ok(())
    }

    /// The index of the variant called `name` (exact match).
    pub fn variant_index(&self, name: &str) -> Option<usize> {
        self.variants.iter().position(|v| v.name == name)
    }

    /// [`Experiment::variant_index`], as an error that lists the variants when there is none.
    ///
    /// # Errors
    /// [`ExperimentError::UnknownVariant`].
    pub fn require_variant(&self, name: &str) -> Result<usize, ExperimentError> {
        self.variant_index(name)
            .ok_or_else(|| ExperimentError::UnknownVariant {
                key: self.key.clone(),
                name: name.to_owned(),
                known: self
                    .variants
                    .iter()
                    .map(|v| v.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// The configured traffic weights, in variant order.
    pub fn weights(&self) -> Vec<f64> {
        self.variants.iter().map(|v| v.weight).collect()
    }
}

impl VariantConfig {
    fn validate(&self, key: &str, variant: &str) -> Result<(), ExperimentError> {
        if let Some(model) = &self.model
            && !MODELS.contains(&model.as_str())
        {
            return Err(ExperimentError::UnknownModel {
                key: key.to_owned(),
                variant: variant.to_owned(),
                model: model.clone(),
            });
        }
        if let Some(lambda) = self.diversity_lambda
            && !(0.0..=1.0).contains(&lambda)
        {
            return Err(ExperimentError::BadLambda {
                key: key.to_owned(),
                variant: variant.to_owned(),
                lambda,
            });
        }
        if let Some(strategy) = &self.group_strategy
            && let Err(message) = strategy.parse::<Strategy>()
        {
            return Err(ExperimentError::UnknownStrategy {
                key: key.to_owned(),
                variant: variant.to_owned(),
                strategy: strategy.clone(),
                message,
            });
        }
        Ok(())
    }
}

impl ExperimentFile {
    /// Checks the format version, every experiment ([`Experiment::validate`]) and that keys
    /// are unique. Reports the first problem.
    ///
    /// # Errors
    /// The first [`ExperimentError`] found.
    pub fn validate(&self) -> Result<(), ExperimentError> {
        if self.version != FILE_VERSION {
            return Err(ExperimentError::UnsupportedVersion {
                found: self.version,
                supported: FILE_VERSION,
            });
        }
        let mut keys = HashSet::new();
        for e in &self.experiments {
            e.validate()?;
            if !keys.insert(e.key.as_str()) {
                return Err(ExperimentError::DuplicateExperiment { key: e.key.clone() });
            }
        }
        Ok(())
    }

    /// The experiment with this key.
    ///
    /// # Errors
    /// [`ExperimentError::UnknownExperiment`].
    pub fn get(&self, key: &str) -> Result<&Experiment, ExperimentError> {
        self.experiments
            .iter()
            .find(|e| e.key == key)
            .ok_or_else(|| ExperimentError::UnknownExperiment {
                key: key.to_owned(),
            })
    }
}

/// The index whose cumulative-weight range holds `n` in [0, 1); `None` for empty, negative,
/// non-finite or all-zero weights.
fn pick(n: f64, weights: impl Iterator<Item = f64> + Clone) -> Option<usize> {
    let mut total = 0.0;
    let mut last_positive = None;
    for (i, w) in weights.clone().enumerate() {
        if !(w.is_finite() && w >= 0.0) {
            return None;
        }
        total += w;
        if w > 0.0 {
            last_positive = Some(i);
        }
    }
    if !(total > 0.0 && total.is_finite()) {
        return None;
    }
    let mut cum = 0.0;
    for (i, w) in weights.enumerate() {
        cum += w;
        if w > 0.0 && n < cum / total {
            return Some(i);
        }
    }
    last_positive
}

/// The variant of `unit_id` (e.g. `"user:123"`, `"guild:456"`; the format is the caller's):
/// GrowthBook v2 hash with the experiment key as seed, mapped onto the cumulative weights.
/// Deterministic, so sticky while the weights stay the same. Always `Some` for a valid
/// experiment.
pub fn bucket(exp: &Experiment, unit_id: &str) -> Option<usize> {
    let n = growthbook_hash(&exp.key, unit_id, 2)?;
    pick(n, exp.variants.iter().map(|v| v.weight))
}

/// [`bucket`] with other weights (bandit mode): `None` when the weights are empty, negative,
/// not numbers or all zero. They need not sum to 1.
pub fn bucket_with_weights(key: &str, weights: &[f64], unit_id: &str) -> Option<usize> {
    let n = growthbook_hash(key, unit_id, 2)?;
    pick(n, weights.iter().copied())
}

/// The experiment of `layer` that owns `unit_id`: the running experiments of that layer
/// (others in `running` are ignored), sorted by key, split the unit space evenly by the v2
/// hash with seed `"__layer:" + layer`. `None` when the layer has no running experiment.
///
/// Ownership changes when experiments of the layer start or stop; a unit that already has a
/// stored assignment in a running experiment of the layer should stay there.
pub fn layer_owner<'a>(
    layer: &str,
    running: &[&'a Experiment],
    unit_id: &str,
) -> Option<&'a Experiment> {
    let mut members: Vec<&'a Experiment> = running
        .iter()
        .copied()
        .filter(|e| e.layer == layer)
        .collect();
    if members.is_empty() {
        return None;
    }
    members.sort_by(|a, b| a.key.cmp(&b.key));
    members.dedup_by(|a, b| a.key == b.key);
    let n = growthbook_hash(&format!("__layer:{layer}"), unit_id, 2)?;
    let i = ((n * members.len() as f64) as usize).min(members.len() - 1);
    Some(members[i])
}

// ---------------------------------------------------------------------------------------------
// Distributions.

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
/// fixed in advance; [`analyze`] uses the always-valid interval instead.
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

// ---------------------------------------------------------------------------------------------
// Analysis.

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

fn liked(a: &ArmCounts) -> u64 {
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

fn rate(x: u64, n: u64) -> f64 {
    if n == 0 { 0.0 } else { x as f64 / n as f64 }
}

struct Computed {
    arms: Vec<ArmReport>,
    srm_p_value: f64,
    verdict: Verdict,
    days_missing: f64,
}

fn sane(params: &AnalysisParams) -> (f64, f64) {
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

fn compute(
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

// ---------------------------------------------------------------------------------------------
// Bandit.

/// A uniform float in (0, 1).
fn open_unit(rng: &mut SplitMix64) -> f64 {
    ((rng.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
}

/// A standard normal draw (Box–Muller).
fn std_normal(rng: &mut SplitMix64) -> f64 {
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

// ---------------------------------------------------------------------------------------------
// Simulation.

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
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;

    fn variant(name: &str, weight: f64) -> Variant {
        Variant {
            name: name.into(),
            weight,
            config: VariantConfig::default(),
        }
    }

    fn ab(key: &str) -> Experiment {
        Experiment::new(key, vec![variant("A", 0.5), variant("B", 0.5)])
    }

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn growthbook_hash_matches_the_cross_sdk_vectors() {
        let cases = [
            ("", "a", 1, 0.22),
            ("", "b", 1, 0.077),
            ("b", "a", 1, 0.946),
            ("ef", "d", 1, 0.652),
            ("", "123", 1, 0.011),
            ("seed", "a", 2, 0.0505),
            ("seed", "b", 2, 0.2696),
            ("foo", "ab", 2, 0.2575),
            ("foo", "def", 2, 0.2019),
            ("89123klj", "8952klfjas09ujkasdf", 2, 0.124),
        ];
        for (seed, value, version, want) in cases {
            let got = growthbook_hash(seed, value, version).unwrap();
            assert!(
                close(got, want, 1e-12),
                "{seed:?} {value:?} v{version}: {got}"
            );
        }
        assert_eq!(growthbook_hash("seed", "a", 3), None);
        assert_eq!(growthbook_hash("seed", "a", 0), None);
        assert_eq!(fnv1a32(""), 0x811c_9dc5);
        assert_eq!(fnv1a32("a"), 0xe40c_292c);
    }

    #[test]
    fn bucketing_is_deterministic_and_follows_the_weights() {
        let exp = Experiment::new(
            "rec-diversity",
            vec![variant("A", 0.2), variant("B", 0.3), variant("C", 0.5)],
        );
        exp.validate().unwrap();
        let n = 100_000;
        let mut counts = [0u32; 3];
        for u in 0..n {
            let id = format!("user:{}", 100_000_000_000_000_000u64 + u * 7919);
            let b = bucket(&exp, &id).unwrap();
            assert_eq!(bucket(&exp, &id), Some(b));
            counts[b] += 1;
        }
        for (c, w) in counts.iter().zip([0.2, 0.3, 0.5]) {
            let share = f64::from(*c) / n as f64;
            assert!(close(share, w, 0.01), "{counts:?}");
        }
        // Another key splits the same users independently.
        let other = ab("other-test");
        let mut joint = [[0u32; 2]; 2];
        for u in 0..n {
            let id = format!("user:{u}");
            let a = bucket(&ab("first-test"), &id).unwrap();
            let b = bucket(&other, &id).unwrap();
            joint[a][b] += 1;
        }
        for row in joint {
            for cell in row {
                assert!(close(f64::from(cell) / n as f64, 0.25, 0.01), "{joint:?}");
            }
        }
    }

    #[test]
    fn bucketing_with_weights_handles_edge_cases() {
        assert_eq!(bucket_with_weights("k", &[], "user:1"), None);
        assert_eq!(bucket_with_weights("k", &[0.0, 0.0], "user:1"), None);
        assert_eq!(bucket_with_weights("k", &[-1.0, 2.0], "user:1"), None);
        assert_eq!(bucket_with_weights("k", &[f64::NAN, 1.0], "user:1"), None);
        for u in 0..1000 {
            let id = format!("user:{u}");
            assert_eq!(bucket_with_weights("k", &[0.0, 1.0, 0.0], &id), Some(1));
            // Unnormalised weights mean the same as normalised ones.
            assert_eq!(
                bucket_with_weights("k", &[1.0, 3.0], &id),
                bucket_with_weights("k", &[0.25, 0.75], &id)
            );
        }
        let exp = ab("k");
        for u in 0..1000 {
            let id = format!("user:{u}");
            assert_eq!(
                bucket(&exp, &id),
                bucket_with_weights("k", &[0.5, 0.5], &id)
            );
        }
    }

    #[test]
    fn layers_never_share_a_unit_and_keep_each_split() {
        let mut a = ab("alpha");
        let mut b = ab("beta");
        let mut c = ab("gamma");
        a.layer = "recs".into();
        b.layer = "recs".into();
        c.layer = "parties".into();
        let running = [&b, &c, &a];
        let n = 60_000u64;
        let mut owned = [0u32; 2];
        let mut split_in_alpha = [0u32; 2];
        for u in 0..n {
            let id = format!("user:{}", 90_000_000_000 + u);
            let owner = layer_owner("recs", &running, &id).unwrap();
            assert!(owner.key == "alpha" || owner.key == "beta");
            // Exactly one experiment of the layer owns the unit, and asking again agrees.
            let claims = [&a, &b]
                .iter()
                .filter(|e| layer_owner("recs", &running, &id).map(|o| &o.key) == Some(&e.key))
                .count();
            assert_eq!(claims, 1);
            owned[usize::from(owner.key == "beta")] += 1;
            if owner.key == "alpha" {
                split_in_alpha[bucket(&a, &id).unwrap()] += 1;
            }
            assert_eq!(layer_owner("parties", &running, &id).unwrap().key, "gamma");
        }
        assert!(
            close(f64::from(owned[0]) / n as f64, 0.5, 0.01),
            "{owned:?}"
        );
        let in_alpha = f64::from(owned[0]);
        assert!(
            close(f64::from(split_in_alpha[0]) / in_alpha, 0.5, 0.015),
            "{split_in_alpha:?}"
        );
        assert!(layer_owner("empty", &running, "user:1").is_none());
        // The order of `running` does not matter.
        let reordered = [&a, &c, &b];
        for u in 0..1000 {
            let id = format!("user:{u}");
            assert_eq!(
                layer_owner("recs", &running, &id).map(|e| &e.key),
                layer_owner("recs", &reordered, &id).map(|e| &e.key)
            );
        }
    }

    #[test]
    fn validation_names_each_bad_input() {
        assert_eq!(ab("ok-key_1").validate(), Ok(()));

        let mut e = ab("x");
        e.variants[1].weight = 0.6;
        let err = e.validate().unwrap_err();
        assert!(
            matches!(err, ExperimentError::WeightsDoNotSum { ref key, sum } if key == "x" && close(sum, 1.1, 1e-9))
        );
        assert!(err.to_string().contains("sum to 1.1"), "{err}");

        let mut e = ab("x");
        e.variants[0].weight = -0.5;
        e.variants[1].weight = 1.5;
        assert!(matches!(
            e.validate(),
            Err(ExperimentError::BadWeight { .. })
        ));

        let e = Experiment::new("x", vec![variant("A", 1.0)]);
        assert_eq!(
            e.validate(),
            Err(ExperimentError::TooFewVariants {
                key: "x".into(),
                found: 1
            })
        );

        let e = Experiment::new("x", vec![variant("A", 0.5), variant("A", 0.5)]);
        assert!(matches!(
            e.validate(),
            Err(ExperimentError::DuplicateVariant { .. })
        ));

        for bad in ["", "Has-Caps", "spa ce", &"k".repeat(65)] {
            assert!(
                matches!(ab(bad).validate(), Err(ExperimentError::BadKey(_))),
                "{bad:?}"
            );
        }

        let mut e = ab("x");
        e.variants[1].config.model = Some("gpt-movies".into());
        let err = e.validate().unwrap_err();
        assert_eq!(
            err,
            ExperimentError::UnknownModel {
                key: "x".into(),
                variant: "B".into(),
                model: "gpt-movies".into()
            }
        );
        assert!(err.to_string().contains("hybrid, popularity"));
        e.variants[1].config.model = Some("popularity".into());
        assert_eq!(e.validate(), Ok(()));

        let mut e = ab("x");
        e.variants[1].config.group_strategy = Some("dictator".into());
        assert!(matches!(
            e.validate(),
            Err(ExperimentError::UnknownStrategy { .. })
        ));
        e.variants[1].config.group_strategy = Some("least-misery".into());
        assert_eq!(e.validate(), Ok(()));

        let mut e = ab("x");
        e.variants[0].config.diversity_lambda = Some(1.5);
        assert!(matches!(
            e.validate(),
            Err(ExperimentError::BadLambda { .. })
        ));

        let mut e = ab("x");
        e.layer = "Bad Layer".into();
        assert!(matches!(
            e.validate(),
            Err(ExperimentError::BadLayer { .. })
        ));

        let mut e = ab("x");
        e.min_days = f64::NAN;
        assert!(matches!(
            e.validate(),
            Err(ExperimentError::BadMinDays { .. })
        ));
    }

    #[test]
    fn lookups_and_files_name_each_bad_input() {
        // Unknown variant names.
        let e = ab("x");
        assert_eq!(e.variant_index("B"), Some(1));
        assert_eq!(e.variant_index("C"), None);
        let err = e.require_variant("C").unwrap_err();
        assert_eq!(
            err.to_string(),
            "experiment x has no variant \"C\"; its variants are: A, B"
        );

        // Files: duplicate keys, versions, unknown keys.
        let file = ExperimentFile {
            version: 1,
            experiments: vec![ab("one"), ab("two"), ab("one")],
        };
        assert_eq!(
            file.validate(),
            Err(ExperimentError::DuplicateExperiment { key: "one".into() })
        );
        let file = ExperimentFile {
            version: 2,
            experiments: vec![],
        };
        assert!(matches!(
            file.validate(),
            Err(ExperimentError::UnsupportedVersion { .. })
        ));
        let file = ExperimentFile {
            version: 1,
            experiments: vec![ab("one")],
        };
        assert_eq!(file.validate(), Ok(()));
        assert_eq!(file.get("one").unwrap().key, "one");
        assert!(matches!(
            file.get("two"),
            Err(ExperimentError::UnknownExperiment { .. })
        ));
    }

    #[test]
    fn serde_defaults_fill_the_optional_fields() {
        let json = r#"{"version": 1, "experiment": [{"key": "k", "variants": [
            {"name": "A", "weight": 0.5}, {"name": "B", "weight": 0.5, "config": {"model": "popularity"}}]}]}"#;
        let file: ExperimentFile = serde_json::from_str(json).unwrap();
        let e = &file.experiments[0];
        assert_eq!(e.layer, "default");
        assert_eq!(e.unit, Unit::User);
        assert!(!e.bandit);
        assert_eq!(e.min_exposures_per_variant, DEFAULT_MIN_EXPOSURES);
        assert_eq!(e.min_days, DEFAULT_MIN_DAYS);
        assert_eq!(e.variants[1].config.model.as_deref(), Some("popularity"));
        file.validate().unwrap();
        let unit: Unit = serde_json::from_str("\"guild\"").unwrap();
        assert_eq!(unit, Unit::Guild);
    }

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

    fn arm(exposures: u64, likes: u64) -> ArmCounts {
        ArmCounts {
            units: exposures,
            exposures,
            likes,
            ..ArmCounts::default()
        }
    }

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
