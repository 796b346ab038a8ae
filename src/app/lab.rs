//! Recommendation experiments: definitions from `experiments.toml` (the shipped one by
//! default, `MARQUEE_EXPERIMENTS` for another file) synced to storage, sticky assignments, the
//! admin actions (list, start, stop, status; Manage Server only) and the report. [`Lab`] owns
//! the cache of running experiments and keeps it fresh itself. The statistics are the pure
//! [`crate::domain::experiment`].

use crate::app::command::{Caller, LabCommand};
use crate::app::reply::{ExperimentRow, ExperimentStatus, Reply};
use crate::app::services::Services;
use crate::domain::experiment::{
    self, AnalysisParams, ArmCounts, Experiment, ExperimentFile, Unit, VariantConfig,
};
use crate::domain::ids::{GuildId, UserId};
use crate::domain::ports::{ExperimentRepo as _, VariantOutcomes};
use std::path::Path;
use std::sync::{PoisonError, RwLock};

/// The experiments file shipped with Marquee.
pub const SHIPPED: &str = include_str!("../../experiments.toml");

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

impl Arm {
    /// Whether this variant serves the popularity baseline instead of personal picks.
    pub fn popularity_only(&self) -> bool {
        self.config.recommender() == experiment::Model::Popularity
    }
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

/// The experiments: what runs (cached, refreshed from storage, where another process may have
/// started or stopped one), and the admin actions.
#[derive(Debug, Default)]
pub struct Lab {
    running: RwLock<Vec<Running>>,
}

impl Lab {
    fn running(&self) -> std::sync::RwLockReadGuard<'_, Vec<Running>> {
        self.running.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stores the file's definitions (new ones as drafts) and loads the running experiments.
    ///
    /// # Errors
    /// Storage fails.
    pub async fn sync(&self, s: &Services, file: &ExperimentFile) -> anyhow::Result<()> {
        for e in &file.experiments {
            let unit = match e.unit {
                Unit::User => "user",
                Unit::Guild => "guild",
            };
            s.store
                .sync_experiment(
                    &e.key,
                    &e.layer,
                    unit,
                    &serde_json::to_string(e)?,
                    i64::from(file.version),
                )
                .await?;
        }
        self.reload(s).await
    }

    /// Re-reads which experiments run (another process may have started or stopped one).
    ///
    /// # Errors
    /// Storage fails.
    pub async fn reload(&self, s: &Services) -> anyhow::Result<()> {
        let mut running: Vec<Running> = s
            .store
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
            let outcomes = s.store.variant_outcomes(&r.experiment.key, None).await?;
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
        *self.running.write().unwrap_or_else(PoisonError::into_inner) = running;
        Ok(())
    }

    /// The variant `user` sees in the running user experiment of their layer, if any; the
    /// assignment is stored on first sight and sticks.
    ///
    /// # Errors
    /// Storage fails.
    pub async fn arm_for(&self, s: &Services, user: UserId) -> anyhow::Result<Option<Arm>> {
        self.arm_of(s, Unit::User, &format!("user:{user}")).await
    }

    /// The variant a server's watch parties use in the running server experiment of its
    /// layer, if any (sticky like a user's).
    ///
    /// # Errors
    /// Storage fails.
    pub async fn server_arm(&self, s: &Services, guild: GuildId) -> anyhow::Result<Option<Arm>> {
        self.arm_of(s, Unit::Guild, &format!("guild:{guild}")).await
    }

    async fn arm_of(&self, s: &Services, kind: Unit, unit: &str) -> anyhow::Result<Option<Arm>> {
        // The common case on the hot path (/recommend): nothing runs for this kind of unit, so
        // no storage is touched.
        let any = self.running().iter().any(|r| r.experiment.unit == kind);
        if !any {
            return Ok(None);
        }
        // A unit already in a running experiment stays there, even when another experiment of
        // its layer starts later (which would move the layer's split).
        let stored = s.store.assignments_of(unit).await?;
        let kept = {
            let lab = self.running();
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
            let lab = self.running();
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
        let stored = s
            .store
            .assign_variant(&exp.key, unit, proposed, s.now_ms())
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

    /// The refusal for a caller who may not run experiments (decided from the caller alone, so
    /// a front end can answer it at once).
    pub fn refuse(caller: &Caller) -> Option<Reply> {
        (!caller.manages_server).then(|| {
            Reply::Invalid(
                "Only people with the Manage Server permission can run experiments.".to_owned(),
            )
        })
    }

    /// An admin action on the caller's experiments; refused for people who may not manage the
    /// server. The cache of running experiments is fresh before any action (another process
    /// may have started or stopped one).
    ///
    /// # Errors
    /// Storage or drawing fails.
    pub async fn handle(
        &self,
        s: &Services,
        caller: &Caller,
        command: LabCommand,
    ) -> anyhow::Result<Reply> {
        if let Some(refusal) = Self::refuse(caller) {
            return Ok(refusal);
        }
        self.reload(s).await?;
        match command {
            LabCommand::List => Self::list(s).await,
            LabCommand::Start(key) => self.switch(s, key.trim(), true).await,
            LabCommand::Stop(key) => self.switch(s, key.trim(), false).await,
            LabCommand::Status(key) => Self::status(s, key.trim()).await,
        }
    }

    /// Every experiment with its status.
    ///
    /// # Errors
    /// Storage fails.
    async fn list(s: &Services) -> anyhow::Result<Reply> {
        let rows = s
            .store
            .experiments()
            .await?
            .into_iter()
            .map(|stored| {
                let (split, layer, unit) = serde_json::from_str::<Experiment>(&stored.definition)
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
                ExperimentRow {
                    key: stored.key,
                    status: stored.status,
                    split,
                    layer,
                    unit,
                }
            })
            .collect();
        Ok(Reply::Experiments(rows))
    }

    fn unknown(key: &str, known: &[String]) -> Reply {
        Reply::Invalid(if known.is_empty() {
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
    async fn switch(&self, s: &Services, key: &str, run: bool) -> anyhow::Result<Reply> {
        let all = s.store.experiments().await?;
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
            return Ok(Reply::Invalid(format!(
                "\"{key}\" is already {target}; nothing changed."
            )));
        }
        if run {
            // Starting must not put a second experiment of the same unit into a layer person
            // by person: layers split people between their experiments, so that is fine; but a
            // definition that no longer parses must not start.
            if serde_json::from_str::<Experiment>(&current.definition).is_err() {
                return Ok(Reply::Invalid(format!(
                    "\"{key}\" has a stored definition I cannot read; fix experiments.toml and restart."
                )));
            }
        } else if current.status == "draft" {
            return Ok(Reply::Invalid(format!(
                "\"{key}\" never ran; nothing to stop."
            )));
        }
        s.store
            .set_experiment_status(key, target, s.now_ms())
            .await?;
        self.reload(s).await?;
        Ok(Reply::ExperimentChanged(format!(
            "Experiment \"{key}\" {verb}."
        )))
    }

    /// The analysis of one experiment, with a chart of the like rate over time.
    ///
    /// # Errors
    /// Storage or drawing fails.
    async fn status(s: &Services, key: &str) -> anyhow::Result<Reply> {
        let all = s.store.experiments().await?;
        let known: Vec<String> = all.iter().map(|s| s.key.clone()).collect();
        let Some(stored) = all.into_iter().find(|s| s.key == key) else {
            return Ok(Self::unknown(key, &known));
        };
        let Ok(exp) = serde_json::from_str::<Experiment>(&stored.definition) else {
            return Ok(Reply::Invalid(format!(
                "\"{key}\" has a stored definition I cannot read."
            )));
        };
        let Some(started) = stored.started_at_ms else {
            return Ok(Reply::Invalid(format!(
                "\"{key}\" has not started yet: /experiment start {key}"
            )));
        };
        let end = stored
            .stopped_at_ms
            .filter(|_| stored.status == "stopped")
            .unwrap_or_else(|| s.now_ms());
        let days = (end - started).max(0) as f64 / 86_400_000.0;
        let params = AnalysisParams {
            min_exposures_per_variant: exp.min_exposures_per_variant,
            min_days: exp.min_days,
            ..AnalysisParams::default()
        };
        let outcomes = s.store.variant_outcomes(key, None).await?;
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
            let outcomes = s.store.variant_outcomes(key, Some(at)).await?;
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
        Ok(Reply::ExperimentStatus(Box::new(ExperimentStatus {
            key: key.to_owned(),
            report,
            days,
            chart,
        })))
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
