//! Recommendation experiments in the app: definitions from `experiments.toml` (the shipped
//! one by default, `MARQUEE_EXPERIMENTS` for another file) synced to storage, sticky
//! assignments, the admin actions (list, start, stop, status) and the report. The statistics
//! are the pure [`crate::domain::experiment`].

use crate::app::commands::Session;
use crate::domain::experiment::{
    self, AnalysisParams, ArmCounts, Experiment, ExperimentFile, Report, Unit, VariantConfig,
};
use crate::domain::ids::UserId;
use crate::domain::ports::{ExperimentRepo as _, VariantOutcomes};
use std::path::Path;

/// The experiments file shipped with Marquee.
pub const SHIPPED: &str = include_str!("../../experiments.toml");

/// A user id no one has: the model's cold-start (popularity) ranking for it.
pub const NOBODY: UserId = UserId(i64::MIN);

/// A running experiment.
#[derive(Debug, Clone, PartialEq)]
pub struct Running {
    pub experiment: Experiment,
    pub started_at_ms: i64,
    /// Bandit mode: traffic weights from Thompson sampling on the outcomes so far (new units
    /// follow them; assigned units keep their variant). `None` = the configured weights.
    pub bandit_weights: Option<Vec<f64>>,
}

/// The variant one unit is in.
#[derive(Debug, Clone, PartialEq)]
pub struct Arm {
    pub key: String,
    pub variant: String,
    pub config: VariantConfig,
}

/// Reads and checks an experiments file (the shipped one when `path` is `None`).
///
/// # Errors
/// The file cannot be read, is not valid TOML, or an experiment in it is invalid (the message
/// names the file, the experiment and the fix).
pub fn load_file(path: Option<&Path>) -> anyhow::Result<ExperimentFile> {
    let (text, name) = match path {
        Some(p) => (
            std::fs::read_to_string(p)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", p.display()))?,
            p.display().to_string(),
        ),
        None => (
            SHIPPED.to_owned(),
            "the shipped experiments.toml".to_owned(),
        ),
    };
    let file: ExperimentFile =
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("{name} is not valid: {e}"))?;
    file.validate()
        .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    Ok(file)
}

/// What an admin action answers.
#[derive(Debug, Clone, PartialEq)]
pub enum LabReply {
    /// Every experiment: (key, status, "control 50% · more_variety 50%", layer, unit).
    List(Vec<(String, String, String, String, String)>),
    /// A status changed.
    Changed(String),
    /// The analysis, with the chart as PNG bytes.
    Status {
        key: String,
        report: Box<Report>,
        days: f64,
        chart: Vec<u8>,
    },
    /// Nothing changed; why, and what to do.
    Refused(String),
}

fn counts(o: &VariantOutcomes) -> ArmCounts {
    ArmCounts {
        units: o.units,
        exposures: o.exposures,
        likes: o.likes,
        not_interested: o.not_interested,
        refreshes: o.refreshes,
        ratings: o.ratings,
    }
}

/// Outcomes in the experiment's variant order (variants that showed nothing get zeros).
fn arms(exp: &Experiment, outcomes: &[VariantOutcomes]) -> Vec<ArmCounts> {
    exp.variants
        .iter()
        .map(|v| {
            outcomes
                .iter()
                .find(|o| o.variant == v.name)
                .map(counts)
                .unwrap_or_default()
        })
        .collect()
}

impl Session {
    /// Stores the file's definitions (new ones as drafts) and loads the running experiments.
    ///
    /// # Errors
    /// Storage fails.
    pub async fn sync_experiments(&self, file: &ExperimentFile) -> anyhow::Result<()> {
        for e in &file.experiments {
            let unit = match e.unit {
                Unit::User => "user",
                Unit::Guild => "guild",
            };
            self.store()
                .sync_experiment(
                    &e.key,
                    &e.layer,
                    unit,
                    &serde_json::to_string(e)?,
                    i64::from(file.version),
                )
                .await?;
        }
        self.reload_experiments().await
    }

    /// Re-reads which experiments run (another process may have started or stopped one).
    ///
    /// # Errors
    /// Storage fails.
    pub async fn reload_experiments(&self) -> anyhow::Result<()> {
        let mut running: Vec<Running> = self
            .store()
            .experiments()
            .await?
            .into_iter()
            .filter(|s| s.status == "running")
            .filter_map(|s| {
                let experiment: Experiment = serde_json::from_str(&s.definition).ok()?;
                Some(Running {
                    experiment,
                    started_at_ms: s.started_at_ms.unwrap_or_default(),
                    bandit_weights: None,
                })
            })
            .collect();
        for r in running.iter_mut().filter(|r| r.experiment.bandit) {
            let outcomes = self
                .store()
                .variant_outcomes(&r.experiment.key, None)
                .await?;
            // Seeded by the data, so every process computes the same weights.
            let seed = outcomes
                .iter()
                .map(|o| o.exposures + 31 * o.likes)
                .sum::<u64>();
            r.bandit_weights = Some(experiment::thompson_weights(
                &arms(&r.experiment, &outcomes),
                2_000,
                0.05,
                seed,
            ));
        }
        *self
            .lab
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = running;
        Ok(())
    }

    /// The variant `user` sees in the running user experiment of their layer, if any; the
    /// assignment is stored on first sight and sticks.
    ///
    /// # Errors
    /// Storage fails.
    pub async fn arm_for(&self, user: UserId) -> anyhow::Result<Option<Arm>> {
        self.arm_of(Unit::User, &format!("user:{user}")).await
    }

    /// The variant a server's watch parties use in the running server experiment of its
    /// layer, if any (sticky like a user's).
    ///
    /// # Errors
    /// Storage fails.
    pub async fn guild_arm(
        &self,
        guild: crate::domain::ids::GuildId,
    ) -> anyhow::Result<Option<Arm>> {
        self.arm_of(Unit::Guild, &format!("guild:{guild}")).await
    }

    async fn arm_of(&self, kind: Unit, unit: &str) -> anyhow::Result<Option<Arm>> {
        // The common case on the hot path (/recommend): nothing runs for this kind of unit, so
        // no storage is touched.
        let any = self
            .lab
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .any(|r| r.experiment.unit == kind);
        if !any {
            return Ok(None);
        }
        // A unit already in a running experiment stays there, even when another experiment of
        // its layer starts later (which would move the layer's split).
        let stored = self.store().assignments_of(unit).await?;
        let kept = {
            let lab = self
                .lab
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            stored.iter().find_map(|(key, variant)| {
                let r = lab
                    .iter()
                    .find(|r| r.experiment.key == *key && r.experiment.unit == kind)?;
                let i = r.experiment.variant_index(variant)?;
                Some(Arm {
                    key: key.clone(),
                    variant: variant.clone(),
                    config: r.experiment.variants[i].config.clone(),
                })
            })
        };
        if kept.is_some() {
            return Ok(kept);
        }
        let chosen = {
            let lab = self
                .lab
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let mut layers: Vec<&str> = lab
                .iter()
                .filter(|r| r.experiment.unit == kind)
                .map(|r| r.experiment.layer.as_str())
                .collect();
            layers.sort_unstable();
            layers.dedup();
            // One experiment at most per person: the first layer (by name) that has one.
            layers.into_iter().find_map(|layer| {
                let members: Vec<&Experiment> = lab
                    .iter()
                    .map(|r| &r.experiment)
                    .filter(|e| e.unit == kind && e.layer == layer)
                    .collect();
                let owner = experiment::layer_owner(layer, &members, unit)?;
                let bandit = lab
                    .iter()
                    .find(|r| r.experiment.key == owner.key)
                    .and_then(|r| r.bandit_weights.as_deref());
                let index = match bandit {
                    Some(w) => experiment::bucket_with_weights(&owner.key, w, unit)?,
                    None => experiment::bucket(owner, unit)?,
                };
                Some((owner.clone(), index))
            })
        };
        let Some((exp, index)) = chosen else {
            return Ok(None);
        };
        let proposed = &exp.variants[index].name;
        let stored = self
            .store()
            .assign_variant(&exp.key, unit, proposed, self.now_ms())
            .await?;
        let Some(i) = exp.variant_index(&stored) else {
            return Ok(None);
        };
        Ok(Some(Arm {
            key: exp.key.clone(),
            variant: stored,
            config: exp.variants[i].config.clone(),
        }))
    }

    /// Every experiment with its status.
    ///
    /// # Errors
    /// Storage fails.
    pub async fn lab_list(&self) -> anyhow::Result<LabReply> {
        let rows = self
            .store()
            .experiments()
            .await?
            .into_iter()
            .map(|s| {
                let (split, layer, unit) = serde_json::from_str::<Experiment>(&s.definition)
                    .map(|e| {
                        (
                            e.variants
                                .iter()
                                .map(|v| format!("{} {:.0}%", v.name, v.weight * 100.0))
                                .collect::<Vec<_>>()
                                .join(" · "),
                            e.layer,
                            match e.unit {
                                Unit::User => "user".to_owned(),
                                Unit::Guild => "server".to_owned(),
                            },
                        )
                    })
                    .unwrap_or_default();
                (s.key, s.status, split, layer, unit)
            })
            .collect();
        Ok(LabReply::List(rows))
    }

    fn unknown(key: &str, known: &[String]) -> LabReply {
        LabReply::Refused(if known.is_empty() {
            format!("There is no experiment \"{key}\": experiments.toml defines none.")
        } else {
            format!(
                "There is no experiment \"{key}\". Known: {}.",
                known.join(", ")
            )
        })
    }

    /// Starts (`run = true`) or stops an experiment.
    ///
    /// # Errors
    /// Storage fails.
    pub async fn lab_switch(&self, key: &str, run: bool) -> anyhow::Result<LabReply> {
        let all = self.store().experiments().await?;
        let known: Vec<String> = all.iter().map(|s| s.key.clone()).collect();
        let Some(current) = all.iter().find(|s| s.key == key) else {
            return Ok(Self::unknown(key, &known));
        };
        let (target, verb) = if run {
            ("running", "started")
        } else {
            ("stopped", "stopped")
        };
        if current.status == target {
            return Ok(LabReply::Refused(format!(
                "\"{key}\" is already {target}; nothing changed."
            )));
        }
        if run {
            // Starting must not put a second experiment of the same unit into a layer person
            // by person: layers split people between their experiments, so that is fine; but a
            // definition that no longer parses must not start.
            if serde_json::from_str::<Experiment>(&current.definition).is_err() {
                return Ok(LabReply::Refused(format!(
                    "\"{key}\" has a stored definition I cannot read; fix experiments.toml and restart."
                )));
            }
        } else if current.status == "draft" {
            return Ok(LabReply::Refused(format!(
                "\"{key}\" never ran; nothing to stop."
            )));
        }
        self.store()
            .set_experiment_status(key, target, self.now_ms())
            .await?;
        self.reload_experiments().await?;
        Ok(LabReply::Changed(format!("Experiment \"{key}\" {verb}.")))
    }

    /// The analysis of one experiment, with a chart of the like rate over time.
    ///
    /// # Errors
    /// Storage or drawing fails.
    pub async fn lab_status(&self, key: &str) -> anyhow::Result<LabReply> {
        let all = self.store().experiments().await?;
        let known: Vec<String> = all.iter().map(|s| s.key.clone()).collect();
        let Some(stored) = all.into_iter().find(|s| s.key == key) else {
            return Ok(Self::unknown(key, &known));
        };
        let Ok(exp) = serde_json::from_str::<Experiment>(&stored.definition) else {
            return Ok(LabReply::Refused(format!(
                "\"{key}\" has a stored definition I cannot read."
            )));
        };
        let Some(started) = stored.started_at_ms else {
            return Ok(LabReply::Refused(format!(
                "\"{key}\" has not started yet: /experiment start {key}"
            )));
        };
        let end = stored
            .stopped_at_ms
            .filter(|_| stored.status == "stopped")
            .unwrap_or_else(|| self.now_ms());
        let days = (end - started).max(0) as f64 / 86_400_000.0;
        let params = AnalysisParams {
            min_exposures_per_variant: exp.min_exposures_per_variant,
            min_days: exp.min_days,
            ..AnalysisParams::default()
        };
        let outcomes = self.store().variant_outcomes(key, None).await?;
        let report = experiment::analyze(&exp, &arms(&exp, &outcomes), days, &params);
        // The chart: the like rate and its interval at up to 12 points in time.
        let steps = 12;
        let mut series: Vec<crate::outbound::charts::experiment::Series> = exp
            .variants
            .iter()
            .map(|v| (v.name.clone(), Vec::new()))
            .collect();
        for step in 1..=steps {
            let at = started + (end - started) * step / steps;
            let outcomes = self.store().variant_outcomes(key, Some(at)).await?;
            let day = (at - started).max(0) as f64 / 86_400_000.0;
            let r = experiment::analyze(&exp, &arms(&exp, &outcomes), day, &params);
            for (s, arm) in series.iter_mut().zip(&r.arms) {
                if arm.exposures > 0 {
                    s.1.push((day, arm.like_rate, arm.like_ci.0, arm.like_ci.1));
                }
            }
        }
        let title = format!("experiment {key}: like rate");
        let chart = tokio::task::spawn_blocking(move || {
            crate::outbound::charts::experiment::render_rate_chart(&title, &series, 900, 420)
        })
        .await
        .map_err(|e| anyhow::anyhow!("the drawing thread stopped: {e}"))??;
        Ok(LabReply::Status {
            key: key.to_owned(),
            report: Box::new(report),
            days,
            chart,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_file_is_valid() {
        let file = load_file(None).expect("valid");
        assert!(!file.experiments.is_empty());
        assert!(file.experiments.iter().all(|e| e.variants.len() >= 2));
    }

    #[test]
    fn a_bad_file_is_refused_with_its_name() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("x.toml");
        std::fs::write(
            &path,
            "version = 1\n[[experiment]]\nkey = \"k\"\n[[experiment.variants]]\nname = \"a\"\nweight = 0.7\n[[experiment.variants]]\nname = \"b\"\nweight = 0.7\n",
        )
        .expect("write");
        let e = load_file(Some(&path)).expect_err("weights do not sum");
        assert!(e.to_string().contains("x.toml"), "{e}");
        std::fs::write(&path, "version = ").expect("write");
        assert!(load_file(Some(&path)).is_err());
    }
}
