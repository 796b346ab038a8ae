//! Importers for public data sets: MovieLens (100K, 1M/10M, latest/20M/25M CSV) and TMDB 5000.
//! Files are streamed (never read whole), rows are stored in batches that are each one
//! transaction, and a malformed row is reported with its file and line number and skipped.

pub mod history;
pub mod movielens;
pub mod tmdb;

use indicatif::{ProgressBar, ProgressStyle};
use std::fmt;
use std::io::IsTerminal as _;
use std::path::Path;

/// A row that could not be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub file: String,
    pub line: u64,
    pub problem: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.problem)
    }
}

/// What one file's import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct FileSummary {
    pub file: String,
    pub rows_read: u64,
    /// New rows stored.
    pub imported: u64,
    /// Stored rows changed by this import.
    pub updated: u64,
    /// Rows that were already stored exactly so.
    pub unchanged: u64,
    /// Malformed rows, reported and skipped.
    pub skipped: u64,
    /// Time spent on this file, reading and storing.
    pub millis: u64,
}

/// What a whole import did, file by file.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportSummary {
    pub format: String,
    pub files: Vec<FileSummary>,
    /// The first malformed rows (at most [`MAX_KEPT_ERRORS`]); `skipped` counts them all.
    #[serde(skip)]
    pub errors: Vec<RowError>,
}

/// How many row errors a summary keeps for display.
pub const MAX_KEPT_ERRORS: usize = 100;

impl ImportSummary {
    /// Total skipped rows over all files.
    pub fn skipped(&self) -> u64 {
        self.files.iter().map(|f| f.skipped).sum()
    }
}

impl fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Imported {}:", self.format)?;
        writeln!(
            f,
            "  {:<20} {:>11} {:>10} {:>9} {:>10} {:>8} {:>9} {:>10}",
            "file", "rows read", "imported", "updated", "unchanged", "skipped", "seconds", "rows/s"
        )?;
        for s in &self.files {
            let seconds = s.millis as f64 / 1000.0;
            let rate = if s.millis > 0 {
                s.rows_read as f64 / seconds
            } else {
                0.0
            };
            writeln!(
                f,
                "  {:<20} {:>11} {:>10} {:>9} {:>10} {:>8} {:>9.2} {:>10.0}",
                s.file, s.rows_read, s.imported, s.updated, s.unchanged, s.skipped, seconds, rate
            )?;
        }
        Ok(())
    }
}

/// Progress on a terminal and the row errors as they come. Quiet when standard error is not a
/// terminal or when asked; errors are still collected for the summary.
#[derive(Debug)]
pub struct Reporter {
    bar: Option<ProgressBar>,
    quiet: bool,
    printed: usize,
    errors: Vec<RowError>,
}

/// Row errors printed while importing, before only counting the rest.
const MAX_PRINTED_ERRORS: usize = 50;

impl Reporter {
    /// A reporter; `quiet` hides the progress bar and the row errors.
    pub fn new(quiet: bool) -> Self {
        Reporter {
            bar: None,
            quiet,
            printed: 0,
            errors: Vec::new(),
        }
    }

    /// Starts a progress bar over `total_bytes` of `file`.
    pub fn start_file(&mut self, file: &Path, total_bytes: u64) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        if self.quiet || !std::io::stderr().is_terminal() {
            return;
        }
        let bar = ProgressBar::new(total_bytes);
        let style = ProgressStyle::with_template(
            "{msg:>16} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
        .map_or_else(
            |_| ProgressStyle::default_bar(),
            |s| s.progress_chars("=> "),
        );
        bar.set_style(style);
        bar.set_message(
            file.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        );
        self.bar = Some(bar);
    }

    /// Moves the progress bar to `bytes` read.
    pub fn advance_to(&self, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(bytes);
        }
    }

    /// Records a skipped row, printing the first few.
    pub fn row_error(&mut self, error: RowError) {
        if !self.quiet && self.printed < MAX_PRINTED_ERRORS {
            let line = format!("skipped {error}");
            match &self.bar {
                Some(bar) => bar.println(line),
                None => eprintln!("{line}"),
            }
            self.printed += 1;
            if self.printed == MAX_PRINTED_ERRORS {
                eprintln!("(further skipped rows are counted, not printed)");
            }
        }
        if self.errors.len() < MAX_KEPT_ERRORS {
            self.errors.push(error);
        }
    }

    /// Ends the progress display and hands over the kept errors.
    pub fn finish(mut self) -> Vec<RowError> {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        self.errors
    }
}

/// Decodes a line that should be UTF-8 but may be Latin-1 (older MovieLens `.dat` files).
pub(crate) fn decode_utf8_or_latin1(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

/// Decodes Latin-1 (MovieLens 100K's `u.item`).
pub(crate) fn decode_latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// Milliseconds since `start`, for [`FileSummary::millis`].
pub(crate) fn millis_since(start: std::time::Instant) -> u64 {
    u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Opens a CSV file with a header line and starts the progress bar over it.
pub(crate) fn open_csv(
    path: &std::path::Path,
    reporter: &mut Reporter,
) -> anyhow::Result<csv::Reader<std::io::BufReader<std::fs::File>>> {
    use anyhow::Context as _;
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    reporter.start_file(path, file.metadata().map_or(0, |m| m.len()));
    Ok(csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(std::io::BufReader::with_capacity(1 << 20, file)))
}

/// Calls `row` with the fields and line number of every record left in `csv` (its header
/// already read), checking the column count and UTF-8; a record that fails those checks or that
/// `row` refuses is reported with its line number, skipped and counted.
pub(crate) fn for_each_csv_record<R: std::io::Read>(
    csv: &mut csv::Reader<R>,
    path: &std::path::Path,
    columns: usize,
    reporter: &mut Reporter,
    summary: &mut FileSummary,
    mut row: impl FnMut(&[&str], u64) -> Result<(), String>,
) {
    let name = display_name(path);
    let mut record = csv::ByteRecord::new();
    loop {
        let line = csv.position().line() + 1;
        match csv.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                summary.rows_read += 1;
                summary.skipped += 1;
                reporter.row_error(RowError {
                    file: name.clone(),
                    line,
                    problem: e.to_string(),
                });
                continue;
            }
        }
        summary.rows_read += 1;
        let line = record.position().map_or(line, csv::Position::line);
        if summary.rows_read % 4_096 == 0 {
            reporter.advance_to(record.position().map_or(0, csv::Position::byte));
        }
        let outcome = if record.len() == columns {
            let fields: Result<Vec<&str>, _> = record.iter().map(std::str::from_utf8).collect();
            match fields {
                Ok(fields) => row(&fields, line),
                Err(_) => Err("invalid UTF-8".to_owned()),
            }
        } else {
            Err(format!(
                "expected {columns} columns, found {}",
                record.len()
            ))
        };
        if let Err(problem) = outcome {
            summary.skipped += 1;
            reporter.row_error(RowError {
                file: name.clone(),
                line,
                problem,
            });
        }
    }
}

/// The file name to show in messages.
pub(crate) fn display_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin1_bytes_decode_to_their_characters() {
        assert_eq!(
            decode_latin1(b"Cit\xe9 des enfants perdus"),
            "Cité des enfants perdus"
        );
        assert_eq!(decode_utf8_or_latin1("Amélie".as_bytes()), "Amélie");
        assert_eq!(decode_utf8_or_latin1(b"Am\xe9lie"), "Amélie");
    }

    #[test]
    fn the_reporter_keeps_at_most_a_hundred_errors() {
        let mut r = Reporter::new(true);
        for line in 0..250 {
            r.row_error(RowError {
                file: "x".into(),
                line,
                problem: "bad".into(),
            });
        }
        let kept = r.finish();
        assert_eq!(kept.len(), MAX_KEPT_ERRORS);
        assert_eq!(kept[0].to_string(), "x:0: bad");
    }
}
