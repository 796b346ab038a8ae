//! `marquee bench train`: `marquee train` end to end on a database of MovieLens-25M shape
//! (the generated ratings of `bench import`, imported into SQLite), timed as a separate
//! process: wall time and peak resident memory (its `VmHWM`, read every 20 ms while it runs).
//!
//! Without `--db` the database is built in a temporary folder and deleted afterwards; with
//! `--db FILE` it is kept, and a later run with the same file and `--events` trains it again
//! without building it (building 25M events takes about two minutes).

use super::import::vm_hwm_kb;
use crate::domain::ports::FeedbackRepo as _;
use crate::outbound::import::{Reporter, movielens};
use crate::outbound::storage::Store;
use anyhow::Context as _;
use std::io::{BufRead as _, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How often the training process's peak memory is read.
const SAMPLE: Duration = Duration::from_millis(20);

/// Builds (or reuses) the database, trains it in a child `marquee train`, and prints the
/// figures.
///
/// # Errors
/// The data cannot be generated or imported, or the training process fails.
pub async fn run(events: u64, db: Option<&Path>, mut out: impl Write) -> anyhow::Result<()> {
    let scratch = tempfile::tempdir().context("a temporary folder for the bench")?;
    let db_path = db.map_or_else(|| scratch.path().join("bench-train.db"), Path::to_path_buf);
    let url = format!("sqlite://{}", db_path.display());
    let store = Store::connect(&url).await?;
    let stored = store.event_count().await?;
    if stored == i64::try_from(events).unwrap_or(i64::MAX) {
        writeln!(out, "reusing {} ({stored} events)", db_path.display())?;
    } else if stored > 0 {
        store.close().await;
        anyhow::bail!(
            "{} already holds {stored} events, not {events}: give another --db file",
            db_path.display()
        );
    } else {
        let started = Instant::now();
        let data = scratch.path().join("ml-25m-shape");
        std::fs::create_dir_all(&data)?;
        super::import::generate(&data, events)?;
        let mut reporter = Reporter::new(false);
        let summary = movielens::import(&store, &data, &mut reporter).await;
        reporter.finish();
        summary?;
        writeln!(
            out,
            "built {} with {} events in {:.1} s",
            db_path.display(),
            store.event_count().await?,
            started.elapsed().as_secs_f64()
        )?;
    }
    store.close().await;

    let exe = std::env::current_exe().context("finding the marquee binary")?;
    let (wall, peak_kb, lines) = tokio::task::spawn_blocking(move || train_child(&exe, &url))
        .await
        .context("the bench thread stopped")??;
    for line in lines {
        writeln!(out, "  {line}")?;
    }
    writeln!(
        out,
        "marquee train, end to end: {:.1} s wall",
        wall.as_secs_f64()
    )?;
    writeln!(
        out,
        "peak RSS of the training process: {:.0} MB",
        peak_kb as f64 / 1024.0
    )?;
    Ok(())
}

/// Runs `marquee train` on `url`: its wall time, its peak RSS in kB, and what it printed.
fn train_child(exe: &Path, url: &str) -> anyhow::Result<(Duration, u64, Vec<String>)> {
    let started = Instant::now();
    let mut child = Command::new(exe)
        .args(["train", "--database-url", url])
        .env("RUST_LOG", "warn")
        .env_remove("DISCORD_TOKEN")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting marquee train")?;
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    let status = loop {
        if let Some(kb) = std::fs::read_to_string(&status_file)
            .ok()
            .as_deref()
            .and_then(vm_hwm_kb)
        {
            peak = peak.max(kb);
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        std::thread::sleep(SAMPLE);
    };
    let wall = started.elapsed();
    let lines = child
        .stdout
        .take()
        .map(|o| {
            std::io::BufReader::new(o)
                .lines()
                .map_while(Result::ok)
                .collect()
        })
        .unwrap_or_default();
    anyhow::ensure!(status.success(), "marquee train failed ({status})");
    Ok((wall, peak, lines))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_peak_is_read_from_a_status_text() {
        let status = "Name:\tmarquee\nVmPeak:\t  900 kB\nVmHWM:\t  12345 kB\nVmRSS:\t 100 kB\n";
        assert_eq!(vm_hwm_kb(status), Some(12_345));
        assert_eq!(vm_hwm_kb("Name:\tx\n"), None);
        // This very process has one.
        let me = std::fs::read_to_string("/proc/self/status").expect("Linux");
        assert!(vm_hwm_kb(&me).is_some_and(|kb| kb > 0));
    }
}
