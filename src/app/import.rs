//! `marquee import`: public data sets (MovieLens ratings and films, TMDB details) into the
//! catalog and the event log, with a progress bar and line-numbered errors for broken rows.

use crate::app::command::ImportSource;
use crate::app::reply::Reply;
use crate::app::services::Services;
use crate::outbound::import::{self, Reporter};

/// Imports `source`; `quiet` hides the progress bar and the row errors.
///
/// # Errors
/// A file cannot be read or storage fails (rows already imported stay: each batch is one
/// transaction).
pub async fn import(s: &Services, source: &ImportSource, quiet: bool) -> anyhow::Result<Reply> {
    let mut reporter = Reporter::new(quiet);
    let result = match source {
        ImportSource::MovieLens(dir) => {
            import::movielens::import(&s.store, dir, &mut reporter).await
        }
        ImportSource::Tmdb(file) => import::tmdb::import(&s.store, file, &mut reporter).await,
    };
    let errors = reporter.finish();
    let mut summary = result?;
    // The first skipped rows travel with the summary, so a front end can name them even when
    // the progress display was quiet.
    summary.errors = errors;
    Ok(Reply::Imported(Box::new(summary)))
}
