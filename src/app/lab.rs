//! Recommendation experiments: definitions from `experiments.toml` (the shipped one by
//! default, `MARQUEE_EXPERIMENTS` for another file) synced to storage, sticky assignments, the
//! admin actions (list, start, stop, status; Manage Server only) and the report. [`Lab`] owns
//! the cache of running experiments and keeps it fresh itself. The statistics are the pure
//! [`crate::domain::experiment`].

use crate::app::command::{Caller, LOCAL_SERVER, LabCommand};
use crate::app::reply::{ExperimentRow, ExperimentStatus, Reply};
use crate::app::services::Services;
use crate::domain::experiment::{
    self, AnalysisParams, ArmCounts, Experiment, ExperimentFile, Unit, VariantConfig,
};
use crate::domain::ids::{GuildId, UserId};
use crate::domain::ports::{ExperimentRepo as _, ExperimentRun, RunScope, VariantOutcomes};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, PoisonError, RwLock};

/// The experiments file shipped with Marquee.
pub const SHIPPED: &str = include_str!("../../experiments.toml");

/// A running experiment, in one scope.
#[derive(Debug, Clone, PartialEq)]
pub struct Running {
    pub experiment: Experiment,
    pub scope: RunScope,
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
    /// Whether this variant serves the non-personal baseline (the cold start) instead of
    /// personal picks.
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
    /// Bandit weights of experiments that run everywhere, per server (each server's traffic
    /// follows only its own outcomes); emptied at every reload.
    bandit_by_server: Mutex<BanditWeights>,
}

/// (experiment, server) → traffic weights.
type BanditWeights = HashMap<(String, Option<GuildId>), Vec<f64>>;

/// Thompson-sampling traffic weights from the outcomes of what `exp` showed in `server`
/// (`None`: everywhere).
async fn bandit_weights(
    s: &Services,
    exp: &Experiment,
    server: Option<GuildId>,
) -> anyhow::Result<Vec<f64>> {
    let outcomes = s.store.variant_outcomes(&exp.key, server, None).await?;
    // Seeded by the data, so every process computes the same weights.
    let seed = outcomes
        .iter()
        .map(|o| o.exposures + 31 * o.likes)
        .sum::<u64>();
    Ok(experiment::thompson_weights(
        &arms(exp, &outcomes),
        2_000,
        0.05,
        seed,
    ))
}

impl Lab {
    fn running(&self) -> std::sync::RwLockReadGuard<'_, Vec<Running>> {
        self.running.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stores the file's definitions and loads the running experiments.
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

    /// Re-reads which experiments run where (another process may have started or stopped one).
    ///
    /// # Errors
    /// Storage fails.
    pub async fn reload(&self, s: &Services) -> anyhow::Result<()> {
        let definitions: HashMap<String, Experiment> = s
            .store
            .experiments()
            .await?
            .into_iter()
            .filter_map(|e| {
                let parsed = serde_json::from_str(&e.definition).ok()?;
                Some((e.key, parsed))
            })
            .collect();
        let mut running: Vec<Running> = s
            .store
            .experiment_runs()
            .await?
            .into_iter()
            .filter(|r| r.running)
            .filter_map(|r| {
                Some(Running {
                    experiment: definitions.get(&r.key)?.clone(),
                    scope: r.scope,
                    started_at_ms: r.started_at_ms,
                    bandit_weights: None,
                })
            })
            .collect();
        // A server's own run follows that server's outcomes; a run everywhere gets its weights
        // per server when a new unit needs them (see `arm_of`).
        for r in running.iter_mut().filter(|r| r.experiment.bandit) {
            if let RunScope::Server(server) = r.scope {
                r.bandit_weights = Some(bandit_weights(s, &r.experiment, Some(server)).await?);
            }
        }
        *self.running.write().unwrap_or_else(PoisonError::into_inner) = running;
        self.bandit_by_server
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        Ok(())
    }

    /// The variant `user` (of `server`) sees in the running user experiment of their layer, if
    /// any; the assignment is stored on first sight and sticks.
    ///
    /// # Errors
    /// Storage fails.
    pub async fn arm_for(
        &self,
        s: &Services,
        user: UserId,
        server: Option<GuildId>,
    ) -> anyhow::Result<Option<Arm>> {
        self.arm_of(s, (Unit::User, server), &format!("user:{user}"))
            .await
    }

    /// The variant a server's watch parties use in the running server experiment of its
    /// layer, if any (sticky like a user's).
    ///
    /// # Errors
    /// Storage fails.
    pub async fn server_arm(&self, s: &Services, guild: GuildId) -> anyhow::Result<Option<Arm>> {
        self.arm_of(s, (Unit::Guild, Some(guild)), &format!("guild:{guild}"))
            .await
    }

    /// The experiments of `kind` running in `server` (one per key: a server's own run and
    /// one everywhere are the same experiment).
    fn running_in(&self, kind: Unit, server: Option<GuildId>) -> Vec<Running> {
        let mut here: Vec<Running> = self
            .running()
            .iter()
            .filter(|r| r.experiment.unit == kind && r.scope.covers(server))
            .cloned()
            .collect();
        here.sort_by(|a, b| a.experiment.key.cmp(&b.experiment.key));
        here.dedup_by(|a, b| a.experiment.key == b.experiment.key);
        here
    }

    async fn arm_of(
        &self,
        s: &Services,
        (kind, server): (Unit, Option<GuildId>),
        unit: &str,
    ) -> anyhow::Result<Option<Arm>> {
        // The common case on the hot path (/recommend): nothing runs here for this kind of
        // unit, so no storage is touched.
        let here = self.running_in(kind, server);
        if here.is_empty() {
            return Ok(None);
        }
        // A unit already in a running experiment stays there, even when another experiment of
        // its layer starts later (which would move the layer's split).
        let stored = s.store.assignments_of(unit).await?;
        let kept = stored.iter().find_map(|(key, variant)| {
            let r = here.iter().find(|r| r.experiment.key == *key)?;
            let i = r.experiment.variant_index(variant)?;
            Some(Arm {
                key: key.clone(),
                variant: variant.clone(),
                config: r.experiment.variants[i].config.clone(),
            })
        });
        if kept.is_some() {
            return Ok(kept);
        }
        let mut here = here;
        for r in here
            .iter_mut()
            .filter(|r| r.experiment.bandit && r.scope == RunScope::Everywhere)
        {
            let key = (r.experiment.key.clone(), server);
            let cached = self
                .bandit_by_server
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get(&key)
                .cloned();
            let weights = if let Some(w) = cached {
                w
            } else {
                let w = bandit_weights(s, &r.experiment, server).await?;
                self.bandit_by_server
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(key, w.clone());
                w
            };
            r.bandit_weights = Some(weights);
        }
        let mut layers: Vec<&str> = here.iter().map(|r| r.experiment.layer.as_str()).collect();
        layers.sort_unstable();
        layers.dedup();
        // One experiment at most per unit: the first layer (by name) that has one.
        let chosen = layers.into_iter().find_map(|layer| {
            let members: Vec<&Experiment> = here
                .iter()
                .map(|r| &r.experiment)
                .filter(|e| e.layer == layer)
                .collect();
            let owner = experiment::layer_owner(layer, &members, unit)?;
            let bandit = here
                .iter()
                .find(|r| r.experiment.key == owner.key)
                .and_then(|r| r.bandit_weights.as_deref());
            let index = match bandit {
                Some(w) => experiment::bucket_with_weights(&owner.key, w, unit)?,
                None => experiment::bucket(owner, unit)?,
            };
            Some((owner.clone(), index))
        });
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
    pub fn refuse(caller: &Caller, command: &LabCommand) -> Option<Reply> {
        let everywhere = matches!(
            command,
            LabCommand::Start {
                everywhere: true,
                ..
            } | LabCommand::Stop {
                everywhere: true,
                ..
            }
        );
        if everywhere && !caller.operator {
            return Some(Reply::Invalid(
                "Only the bot's operator can run an experiment in every server; start it in this server instead.".to_owned(),
            ));
        }
        (!caller.manages_server).then(|| {
            Reply::Invalid(
                "Only people with the Manage Server permission can run experiments.".to_owned(),
            )
        })
    }

    /// An admin action on the caller's server's experiments (or, for the operator, on those
    /// that run everywhere); refused for people who may not manage the server. The cache of
    /// running experiments is fresh before any action (another process may have started or
    /// stopped one).
    ///
    /// # Errors
    /// Storage or drawing fails.
    pub async fn handle(
        &self,
        s: &Services,
        caller: &Caller,
        command: LabCommand,
    ) -> anyhow::Result<Reply> {
        if let Some(refusal) = Self::refuse(caller, &command) {
            return Ok(refusal);
        }
        self.reload(s).await?;
        let server = caller.server.unwrap_or(LOCAL_SERVER);
        let scope = |everywhere: bool| {
            if everywhere {
                RunScope::Everywhere
            } else {
                RunScope::Server(server)
            }
        };
        match command {
            LabCommand::List => Self::list(s, server).await,
            LabCommand::Start { key, everywhere } => {
                self.switch(s, key.trim(), scope(everywhere), true).await
            }
            LabCommand::Stop { key, everywhere } => {
                self.switch(s, key.trim(), scope(everywhere), false).await
            }
            LabCommand::Status { key, everywhere } => {
                let view = if everywhere && caller.operator {
                    None
                } else {
                    Some(server)
                };
                Self::status(s, key.trim(), view).await
            }
        }
    }

    /// Every experiment with its status in `server`.
    async fn list(s: &Services, server: GuildId) -> anyhow::Result<Reply> {
        let runs = s.store.experiment_runs().await?;
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
                let status = status_in(&runs, &stored.key, server);
                ExperimentRow {
                    key: stored.key,
                    status,
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

    /// Starts (`run = true`) or stops an experiment in `scope`.
    async fn switch(
        &self,
        s: &Services,
        key: &str,
        scope: RunScope,
        run: bool,
    ) -> anyhow::Result<Reply> {
        let all = s.store.experiments().await?;
        let known: Vec<String> = all.iter().map(|e| e.key.clone()).collect();
        let Some(current) = all.iter().find(|e| e.key == key) else {
            return Ok(Self::unknown(key, &known));
        };
        let runs = s.store.experiment_runs().await?;
        let run_of = |sc: RunScope| runs.iter().find(|r| r.key == key && r.scope == sc);
        let everywhere = run_of(RunScope::Everywhere).is_some_and(|r| r.running);
        let mine = run_of(scope);
        let where_ = match scope {
            RunScope::Everywhere => "in every server",
            RunScope::Server(_) => "in this server",
        };
        if run {
            if mine.is_some_and(|r| r.running) {
                return Ok(Reply::Invalid(format!(
                    "\"{key}\" is already running {where_}; nothing changed."
                )));
            }
            if everywhere {
                return Ok(Reply::Invalid(format!(
                    "\"{key}\" is already running in every server; nothing changed."
                )));
            }
            // A definition that no longer parses must not start.
            if serde_json::from_str::<Experiment>(&current.definition).is_err() {
                return Ok(Reply::Invalid(format!(
                    "\"{key}\" has a stored definition I cannot read; fix experiments.toml and restart."
                )));
            }
        } else {
            match mine {
                Some(r) if r.running => {}
                _ if everywhere && scope != RunScope::Everywhere => {
                    return Ok(Reply::Invalid(format!(
                        "\"{key}\" runs in every server; only the bot's operator can stop it."
                    )));
                }
                Some(_) => {
                    return Ok(Reply::Invalid(format!(
                        "\"{key}\" is already stopped {where_}; nothing changed."
                    )));
                }
                None => {
                    return Ok(Reply::Invalid(format!(
                        "\"{key}\" never ran {where_}; nothing to stop."
                    )));
                }
            }
        }
        s.store
            .set_experiment_run(key, scope, run, s.now_ms())
            .await?;
        self.reload(s).await?;
        let verb = if run { "started" } else { "stopped" };
        Ok(Reply::ExperimentChanged(format!(
            "Experiment \"{key}\" {verb} {where_}."
        )))
    }

    /// The analysis of one experiment as seen from `server` (`None`: pooled over every
    /// server, for the operator), with a chart of the like rate over time.
    async fn status(s: &Services, key: &str, server: Option<GuildId>) -> anyhow::Result<Reply> {
        let all = s.store.experiments().await?;
        let known: Vec<String> = all.iter().map(|e| e.key.clone()).collect();
        let Some(stored) = all.into_iter().find(|e| e.key == key) else {
            return Ok(Self::unknown(key, &known));
        };
        let Ok(exp) = serde_json::from_str::<Experiment>(&stored.definition) else {
            return Ok(Reply::Invalid(format!(
                "\"{key}\" has a stored definition I cannot read."
            )));
        };
        let runs = s.store.experiment_runs().await?;
        // The run that applies: in a server, its own, else the one everywhere; for the
        // operator's pooled view, the one everywhere, else the earliest server's.
        let run = runs
            .iter()
            .filter(|r| r.key == key)
            .filter(|r| server.is_none() || r.scope.covers(server))
            .min_by_key(|r| {
                let everywhere = matches!(r.scope, RunScope::Everywhere);
                (everywhere == server.is_some(), r.started_at_ms)
            });
        let Some(run) = run else {
            return Ok(Reply::Invalid(format!(
                "\"{key}\" has not started yet: /experiment start {key}"
            )));
        };
        let started = run.started_at_ms;
        let end = match (run.running, run.stopped_at_ms) {
            (false, Some(stopped)) => stopped,
            _ => s.now_ms(),
        };
        let days = (end - started).max(0) as f64 / 86_400_000.0;
        let params = AnalysisParams {
            min_exposures_per_variant: exp.min_exposures_per_variant,
            min_days: exp.min_days,
            ..AnalysisParams::default()
        };
        let outcomes = s.store.variant_outcomes(key, server, None).await?;
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
            let outcomes = s.store.variant_outcomes(key, server, Some(at)).await?;
            let day = (at - started).max(0) as f64 / 86_400_000.0;
            let r = experiment::analyze(&exp, &arms(&exp, &outcomes), day, &params);
            for (series, arm) in series.iter_mut().zip(&r.arms) {
                if arm.exposures > 0 {
                    series
                        .1
                        .push((day, arm.like_rate, arm.like_ci.0, arm.like_ci.1));
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

/// How an experiment stands in `server`: "running" (here), "running everywhere", "stopped"
/// or "draft".
fn status_in(runs: &[ExperimentRun], key: &str, server: GuildId) -> String {
    let of = |scope| runs.iter().find(|r| r.key == key && r.scope == scope);
    match (of(RunScope::Server(server)), of(RunScope::Everywhere)) {
        (_, Some(r)) if r.running => "running everywhere".to_owned(),
        (Some(r), _) if r.running => "running".to_owned(),
        (Some(_), _) | (_, Some(_)) => "stopped".to_owned(),
        (None, None) => "draft".to_owned(),
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
