//! Background work of a serving process: retraining on a schedule, noticing experiments
//! another process started or stopped, and sweeping away data past its retention. Serving
//! never waits for any of them: a retrain swaps the new model in when it is done. (Overdue
//! watch-party votes are closed by the front end's own tick, through
//! [`crate::app::App::close_due_parties`], since it announces the winners.)

use crate::app::App;
use std::sync::Arc;
use std::time::Duration;

/// How often the running experiments are re-read.
pub const EXPERIMENT_REFRESH: Duration = Duration::from_secs(10);

/// How often old data is swept away (the first sweep a minute after start).
pub const SWEEP: Duration = Duration::from_secs(3600);

/// Starts the background jobs; they run until the returned handle is aborted.
pub fn spawn(app: Arc<App>, retrain_every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let start = tokio::time::Instant::now();
        let mut retrain = tokio::time::interval_at(start + retrain_every, retrain_every);
        let mut experiments =
            tokio::time::interval_at(start + EXPERIMENT_REFRESH, EXPERIMENT_REFRESH);
        let mut sweep = tokio::time::interval_at(start + Duration::from_secs(60), SWEEP);
        loop {
            tokio::select! {
                _ = retrain.tick() => match app.retrain().await {
                    Ok(report) => tracing::info!(events = report.events, seconds = report.seconds, "model retrained"),
                    Err(e) => tracing::error!(error = %format!("{e:#}"), "retraining failed; the old model stays"),
                },
                _ = sweep.tick() => match app.sweep().await {
                    Ok(swept) => tracing::info!(servers = swept.servers.len(), lists = swept.purged.impressions, conversations = swept.purged.conversations, lobbies = swept.purged.lobbies, forgotten = swept.purged.tombstones, stray = swept.purged.stray_assignments, "old data swept"),
                    Err(e) => tracing::error!(error = %format!("{e:#}"), "sweeping old data failed"),
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
