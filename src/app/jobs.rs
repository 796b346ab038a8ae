//! Background work of a serving process: retraining soon after new feedback and at least every
//! so often, noticing experiments another process started or stopped, and sweeping away data
//! past its retention. Serving never waits for any of them: a retrain swaps the new model in
//! when it is done. (Overdue watch-party votes are closed by the front end's own tick, through
//! [`crate::app::App::close_due_parties`], since it announces the winners.)
//!
//! **Keeping up.** The stored event count is read every couple of seconds (it also counts what
//! other processes on the same database stored); when it differs from what the model was trained
//! on, a retrain follows once the feedback has been quiet for a few seconds, and never more than
//! the maximum wait after it was first noticed. A training that took long holds the next one
//! back (see [`crate::domain::retrain`] for the exact rule); the floor (`MODEL_REFRESH_MINUTES`)
//! retrains anyway. Trainings never overlap.

use crate::app::App;
use crate::domain::ports::FeedbackRepo as _;
use crate::domain::retrain::{Due, RetrainPolicy, Retrainer, Why};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// How often the running experiments are re-read.
pub const EXPERIMENT_REFRESH: Duration = Duration::from_secs(10);

/// How often old data is swept away (the first sweep a minute after start).
pub const SWEEP: Duration = Duration::from_secs(3600);

/// The wait before trying again when the event count or the model cannot be read.
const TRY_AGAIN: Duration = Duration::from_secs(5);

/// How often a process that does not train looks for a newer stored model without being told
/// (a missed notification, or SQLite).
pub const MODEL_POLL: Duration = Duration::from_secs(30);

/// Which background jobs a process runs.
#[derive(Debug, Clone, Copy)]
pub struct Jobs {
    /// Retrain by this policy (`None`: never; the process follows the stored models instead).
    pub retrain: Option<RetrainPolicy>,
    /// Re-read experiments and sweep old data (a process that serves people).
    pub upkeep: bool,
}

/// Starts the background jobs; they run until the returned handle is aborted.
pub fn spawn(app: Arc<App>, jobs: Jobs) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let start = Instant::now();
        let mut keep_up = jobs.retrain.map(|policy| KeepUp::new(policy, start));
        let trains = keep_up.is_some();
        let mut retrain = Box::pin(tokio::time::sleep(Duration::ZERO));
        let mut follow = Box::pin(follow_models(app.clone()));
        let mut experiments =
            tokio::time::interval_at(start + EXPERIMENT_REFRESH, EXPERIMENT_REFRESH);
        let mut sweep = tokio::time::interval_at(start + Duration::from_secs(60), SWEEP);
        loop {
            tokio::select! {
                () = &mut retrain, if trains => {
                    let Some(keep_up) = keep_up.as_mut() else { continue };
                    let wait = Box::pin(keep_up.step(&app)).await;
                    retrain.as_mut().reset(Instant::now() + wait);
                }
                () = &mut follow, if !trains => {}
                _ = sweep.tick(), if jobs.upkeep => match app.sweep().await {
                    Ok(swept) => tracing::info!(servers = swept.servers.len(), lists = swept.purged.impressions, conversations = swept.purged.conversations, lobbies = swept.purged.lobbies, forgotten = swept.purged.tombstones, stray = swept.purged.stray_assignments, "old data swept"),
                    Err(e) => tracing::error!(error = %format!("{e:#}"), "sweeping old data failed"),
                },
                _ = experiments.tick(), if jobs.upkeep => {
                    if let Err(e) = app.reload_experiments().await {
                        tracing::warn!(error = %format!("{e:#}"), "could not reload experiments");
                    }
                }
            }
        }
    })
}

/// For a process that does not train: loads the newest stored model at start, then again
/// whenever another process announces one, after every reconnect of the listening connection
/// (an announcement may have been missed) and every [`MODEL_POLL`]. Never returns.
async fn follow_models(app: Arc<App>) {
    let mut watch = None;
    let mut poll = tokio::time::interval_at(Instant::now() + MODEL_POLL, MODEL_POLL);
    let mut served: Option<i64> = None;
    loop {
        if watch.is_none() {
            match app.services().store.watch_models().await {
                Ok(w) => watch = Some(w),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for new models; looking every {} s", MODEL_POLL.as_secs());
                }
            }
        }
        match app.follow_models().await {
            Ok(version) if served != Some(version) => {
                served = Some(version);
                tracing::info!(model_version = version, "serving model version {version}");
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "could not load the newest model; the one served stays");
            }
        }
        let news = async {
            match watch.as_mut() {
                Some(w) => w.next().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            news = news => if let crate::outbound::storage::ModelNews::Reconnected = news {
                tracing::info!("the connection that listens for new models was lost; looking for one now");
            },
            _ = poll.tick() => {}
        }
    }
}

/// The retraining schedule of this process: the pure [`Retrainer`] fed with the event count
/// and a monotonic clock (milliseconds since the jobs started).
struct KeepUp {
    policy: RetrainPolicy,
    start: Instant,
    /// Set once the serving model is loaded (it says how many events it was trained on).
    retrainer: Option<Retrainer>,
    /// Whether the last count failed (so an outage is logged once, not every poll).
    count_failing: bool,
    /// Whether the current back-off was logged.
    backoff_logged: bool,
}

impl KeepUp {
    fn new(policy: RetrainPolicy, start: Instant) -> Self {
        KeepUp {
            policy,
            start,
            retrainer: None,
            count_failing: false,
            backoff_logged: false,
        }
    }

    /// Reads the event count, retrains when due, and says when to look again.
    async fn step(&mut self, app: &App) -> Duration {
        let s = app.services();
        if self.retrainer.is_none() {
            match s.models().await {
                Ok(models) => {
                    self.retrainer = Some(Retrainer::new(
                        self.policy,
                        since(self.start),
                        models.events_seen(),
                    ));
                }
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "could not load the model; trying again");
                    return TRY_AGAIN;
                }
            }
        }
        let asked = since(self.start);
        let count = s.store.event_count().await;
        let now = since(self.start);
        let count_took = now - asked;
        let Some(retrainer) = self.retrainer.as_mut() else {
            return TRY_AGAIN;
        };
        match count {
            Ok(count) => {
                self.count_failing = false;
                retrainer.observe(now, count);
            }
            Err(e) => {
                if !self.count_failing {
                    tracing::warn!(error = %e, "could not count the stored events; new feedback waits for the next retrain");
                }
                self.count_failing = true;
                return TRY_AGAIN;
            }
        }
        match retrainer.decide(now) {
            Due::Now(why) => {
                self.backoff_logged = false;
                retrain(app, self.start, retrainer, why).await;
            }
            Due::BackedOff { at_ms, took_ms } if !self.backoff_logged => {
                self.backoff_logged = true;
                tracing::info!(
                    last_training_seconds = took_ms as f64 / 1e3,
                    next_in_seconds = (at_ms - now) as f64 / 1e3,
                    "new feedback waits: the last training took long (or failed), and the next one starts no sooner than {} times its duration after it",
                    retrainer.policy().cost_factor
                );
            }
            Due::BackedOff { .. } | Due::Idle | Due::Settling { .. } => {}
        }
        let next = retrainer.next_poll_ms(since(self.start), count_took);
        Duration::from_millis(u64::try_from(next).unwrap_or(0))
    }
}

/// Milliseconds since `start`: the schedule's clock.
fn since(start: Instant) -> i64 {
    i64::try_from(start.elapsed().as_millis()).unwrap_or(i64::MAX)
}

/// Runs one training and tells `retrainer` how it went.
async fn retrain(app: &App, start: Instant, retrainer: &mut Retrainer, why: Why) {
    let started = since(start);
    let result = app.retrain().await;
    let ended = since(start);
    match result {
        Ok(report) => {
            retrainer.trained(
                started,
                ended,
                i64::try_from(report.events).unwrap_or(i64::MAX),
            );
            let reason = match why {
                Why::NewEvents {
                    count,
                    trained,
                    waited_ms,
                } => format!(
                    "{count} stored events (the model had {trained}), first noticed {:.1} s before",
                    waited_ms as f64 / 1e3
                ),
                Why::Floor { .. } => "the regular refresh".to_owned(),
            };
            tracing::info!(
                events = report.events,
                seconds = report.seconds,
                taste_groups = report.taste_groups,
                "model retrained: {reason}"
            );
        }
        Err(e) => {
            retrainer.failed(started, ended);
            tracing::error!(error = %format!("{e:#}"), "retraining failed; the old model stays");
        }
    }
}
