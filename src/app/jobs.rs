//! Background work of a serving process: retraining on a schedule, and noticing experiments
//! another process started or stopped. Serving never waits for either: a retrain swaps the new
//! model in when it is done. (Overdue watch-party votes are closed by the front end's own tick,
//! through [`crate::app::App::close_due_parties`], since it announces the winners.)

use crate::app::App;
use std::sync::Arc;
use std::time::Duration;

/// How often the running experiments are re-read.
pub const EXPERIMENT_REFRESH: Duration = Duration::from_secs(10);

/// Starts the background jobs; they run until the returned handle is aborted.
pub fn spawn(app: Arc<App>, retrain_every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let start = tokio::time::Instant::now();
        let mut retrain = tokio::time::interval_at(start + retrain_every, retrain_every);
        let mut experiments =
            tokio::time::interval_at(start + EXPERIMENT_REFRESH, EXPERIMENT_REFRESH);
        loop {
            tokio::select! {
                _ = retrain.tick() => match app.retrain().await {
                    Ok(report) => tracing::info!(events = report.events, seconds = report.seconds, "model retrained"),
                    Err(e) => tracing::error!(error = %format!("{e:#}"), "retraining failed; the old model stays"),
                },
                _ = experiments.tick() => {
                    if let Err(e) = app.reload_experiments().await {
                        tracing::warn!(error = %format!("{e:#}"), "could not reload experiments");
                    }
                }
            }
        }
    })
}
