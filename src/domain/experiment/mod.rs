//! A/B experiments on the recommender: definitions, deterministic bucketing, mutually exclusive
//! layers, the analysis behind a verdict, a Thompson-sampling bandit, and seeded simulations
//! that check the analysis keeps its promises.

mod analysis;
mod bandit;
mod bucket;
mod simulate;
mod stats;

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::domain::group::Strategy;

pub use analysis::{AnalysisParams, ArmCounts, ArmReport, Report, Verdict, analyze};
pub use bandit::thompson_weights;
pub use bucket::{bucket, bucket_with_weights, fnv1a32, growthbook_hash, layer_owner};
pub use simulate::{FirstWinner, Simulation, SimulationOutcome, simulate};
pub use stats::{chi_square_sf, normal_cdf, normal_pdf, srm_p_value, two_proportion_z_test};

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

/// The recommender a variant serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Model {
    /// Personal picks (the default).
    Hybrid,
    /// The cold start for everyone (the server's recent favourites, then well-known films):
    /// the non-personal baseline.
    Popularity,
}

impl VariantConfig {
    /// The recommender this configuration serves ([`Model::Hybrid`] unless it names
    /// `"popularity"`; other names are refused by [`ExperimentFile::validate`]).
    pub fn recommender(&self) -> Model {
        match self.model.as_deref() {
            Some(name) if name == MODELS[1] => Model::Popularity,
            _ => Model::Hybrid,
        }
    }
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

#[cfg(test)]
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;

    pub(super) fn variant(name: &str, weight: f64) -> Variant {
        Variant {
            name: name.into(),
            weight,
            config: VariantConfig::default(),
        }
    }

    pub(super) fn ab(key: &str) -> Experiment {
        Experiment::new(key, vec![variant("A", 0.5), variant("B", 0.5)])
    }

    pub(super) fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    pub(super) fn arm(exposures: u64, likes: u64) -> ArmCounts {
        ArmCounts {
            units: exposures,
            exposures,
            likes,
            ..ArmCounts::default()
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
        assert_eq!(e.variants[1].config.recommender(), Model::Popularity);
        assert_eq!(e.variants[0].config.recommender(), Model::Hybrid);
        file.validate().unwrap();
        let unit: Unit = serde_json::from_str("\"guild\"").unwrap();
        assert_eq!(unit, Unit::Guild);
    }
}
