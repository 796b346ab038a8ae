//! The bot as a child process ([`Bot`]): its log lines, its exit, and the wait that gives up when
//! the bot exits.

use std::fmt::Write as _;
use std::process::ExitStatus;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::sync::Notify;
use tokio::time::Instant;

use super::lock;

/// The running `marquee serve`; killed when dropped.
#[derive(Debug)]
pub struct Bot {
    pub(super) child: tokio::process::Child,
    pub(super) output: Arc<Output>,
    pub(super) _cwd: tempfile::TempDir,
}

/// The bot's stdout and stderr lines, in arrival order.
#[derive(Debug)]
pub(super) struct Output {
    pub(super) lines: Mutex<Vec<String>>,
    pub(super) changed: Notify,
    pub(super) open_pipes: AtomicUsize,
}

impl Output {
    fn closed(&self) -> bool {
        self.open_pipes.load(Ordering::SeqCst) == 0
    }
}

pub(super) async fn read_lines(pipe: impl AsyncRead + Unpin, output: Arc<Output>) {
    let mut reader = BufReader::new(pipe);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                let line = strip_ansi(String::from_utf8_lossy(&buf).trim_end());
                lock(&output.lines).push(line);
                output.changed.notify_waiters();
            }
        }
    }
    output.open_pipes.fetch_sub(1, Ordering::SeqCst);
    output.changed.notify_waiters();
}

/// Removes terminal colour codes (`ESC [ ... letter`).
fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            chars.next();
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

impl Bot {
    /// The log lines so far (stdout and stderr).
    pub fn log(&self) -> Vec<String> {
        lock(&self.output.lines).clone()
    }

    pub fn log_contains(&self, needle: &str) -> bool {
        lock(&self.output.lines).iter().any(|l| l.contains(needle))
    }

    /// Fails when serenity logged a payload it could not parse ("An unknown event was received"),
    /// which it otherwise drops silently.
    pub fn assert_no_unknown_events(&self) {
        let lines = self.log();
        let unknown: Vec<&String> = lines
            .iter()
            .filter(|l| l.to_lowercase().contains("unknown event"))
            .collect();
        assert!(
            unknown.is_empty(),
            "serenity could not parse {} event(s):\n{}\n{}",
            unknown.len(),
            unknown
                .iter()
                .map(|l| l.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
            self.log_report()
        );
    }

    /// Waits for a log line containing `needle`.
    pub async fn wait_log(&self, needle: &str, timeout: Duration) {
        let output = &*self.output;
        let found = wait_for(&output.changed, Some(output), timeout, || {
            lock(&output.lines)
                .iter()
                .any(|l| l.contains(needle))
                .then_some(())
        })
        .await;
        if let Err(missed) = found {
            panic!(
                "no log line contains {needle:?} ({missed}).\n{}",
                self.log_report()
            );
        }
    }

    /// Whether the bot's output has ended (it exited).
    pub fn exited(&self) -> bool {
        self.output.closed()
    }

    /// Waits for the bot to exit by itself, and returns its status.
    pub async fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        match tokio::time::timeout(timeout, self.child.wait()).await {
            Ok(Ok(status)) => status,
            Ok(Err(e)) => panic!("waiting for the bot: {e}\n{}", self.log_report()),
            Err(elapsed) => panic!(
                "the bot still runs ({elapsed} after {timeout:?}).\n{}",
                self.log_report()
            ),
        }
    }

    /// Kills the bot and waits for it to go.
    pub async fn kill(mut self) {
        let _ = self.child.kill().await;
    }

    pub(super) fn log_report(&self) -> String {
        let lines = self.log();
        let skip = lines.len().saturating_sub(400);
        let mut out = format!("--- bot log ({} lines", lines.len());
        if skip > 0 {
            let _ = write!(out, ", the first {skip} left out");
        }
        out.push_str("):\n");
        for line in &lines[skip..] {
            out.push_str("  ");
            out.push_str(line);
            out.push('\n');
        }
        if self.output.closed() {
            out.push_str("--- (the bot's output has ended: it exited)\n");
        }
        out
    }
}

/// Why a wait gave up.
#[derive(Debug)]
pub(super) enum Missed {
    Timeout(Duration),
    BotExited,
}

impl std::fmt::Display for Missed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Missed::Timeout(t) => write!(f, "timed out after {t:?}"),
            Missed::BotExited => f.write_str("the bot exited"),
        }
    }
}

/// Re-checks `check` each time `changed` (or the bot's output) is notified, until it gives a value,
/// the timeout passes, or the bot's output ends.
pub(super) async fn wait_for<T>(
    changed: &Notify,
    bot: Option<&Output>,
    timeout: Duration,
    mut check: impl FnMut() -> Option<T>,
) -> Result<T, Missed> {
    let deadline = Instant::now() + timeout;
    loop {
        let primary = changed.notified();
        let secondary = bot.map(|o| o.changed.notified());
        tokio::pin!(primary, secondary);
        primary.as_mut().enable();
        if let Some(s) = secondary.as_mut().as_pin_mut() {
            s.enable();
        }
        if let Some(found) = check() {
            return Ok(found);
        }
        if bot.is_some_and(Output::closed) {
            return Err(Missed::BotExited);
        }
        let either = async {
            match secondary.as_mut().as_pin_mut() {
                Some(s) => tokio::select! {
                    () = primary => {},
                    () = s => {},
                },
                None => primary.await,
            }
        };
        if tokio::time::timeout_at(deadline, either).await.is_err() {
            return check().ok_or(Missed::Timeout(timeout));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_codes_are_stripped_from_log_lines() {
        assert_eq!(
            strip_ansi("\u{1b}[2m2024\u{1b}[0m \u{1b}[32m INFO\u{1b}[0m ready"),
            "2024  INFO ready"
        );
    }
}
