//! `import FILE` on the console: a Letterboxd, IMDb or Trakt export becomes the person's
//! history (the site is read from the file). Rows that fit several films are then asked one
//! at a time with a numbered list: a number stores the row for that film, `0` for none of
//! them, `skip` (or Enter) leaves it for later; any other command ends the questions (the rows
//! left are kept, so importing the file again asks them again).

use crate::app::Command;
use crate::app::history::Ambiguity;
use crate::inbound::export_file::FileError;
use std::collections::VecDeque;
use std::io::Write;
use std::path::Path;

/// The export at `path` as the app takes it, or what went wrong.
///
/// # Errors
/// The file cannot be read, or it is larger than exports are.
pub fn read(path: &Path, out: &mut impl Write) -> Result<Command, String> {
    match crate::inbound::export_file::read(path, out) {
        Ok((name, bytes)) => Ok(Command::ImportHistory {
            name,
            bytes,
            expected: None,
        }),
        Err(FileError::TooLarge(why)) => Err(why),
        Err(FileError::Unreadable(e)) => Err(format!(
            "I can't read {}: {e}. Check the path (quote it if it has spaces).",
            path.display()
        )),
    }
}

/// The rows still to ask about, the first being asked.
#[derive(Debug, Default)]
pub struct Choosing {
    rows: VecDeque<Ambiguity>,
}

/// A row's words: what it said and where it is in the export.
fn described(a: &Ambiguity) -> String {
    format!(
        "\"{}\" ({}; {} line {})",
        a.title(),
        a.said(),
        a.row.file,
        a.row.line
    )
}

impl Choosing {
    /// The rows of an import's summary to ask about.
    pub fn of(ambiguous: &[Ambiguity]) -> Self {
        Choosing {
            rows: ambiguous
                .iter()
                .filter(|a| Ambiguity::askable(a))
                .cloned()
                .collect(),
        }
    }

    /// Whether a row is being asked.
    pub fn asking(&self) -> bool {
        !self.rows.is_empty()
    }

    /// Prints the question for the row being asked, if any.
    ///
    /// # Errors
    /// Writing fails.
    pub fn ask(&self, out: &mut impl Write) -> std::io::Result<()> {
        let Some(a) = self.rows.front() else {
            return Ok(());
        };
        let left = self.rows.len();
        writeln!(
            out,
            "Which film is {}?{}",
            described(a),
            if left > 1 {
                format!(" ({left} rows to choose for)")
            } else {
                String::new()
            }
        )?;
        for (i, (_, film)) in a.choices.iter().enumerate() {
            writeln!(out, "  {}. {film}", i + 1)?;
        }
        writeln!(
            out,
            "  0. none of these\nType a number; skip (or Enter) leaves it for later."
        )
    }

    /// What a typed line means while a row is asked.
    pub fn read(&mut self, line: &str) -> Answer {
        let Some(a) = self.rows.front() else {
            return Answer::Other;
        };
        let word = line.trim().to_lowercase();
        if word.is_empty() || word == "skip" || word == "later" {
            self.rows.pop_front();
            return Answer::Skipped;
        }
        let Ok(n) = word.trim_end_matches('.').parse::<usize>() else {
            self.rows.clear();
            return Answer::Other;
        };
        let movie = match n {
            0 => None,
            n => match a.choices.get(n - 1) {
                Some((movie, _)) => Some(*movie),
                None => return Answer::OutOfRange(a.choices.len()),
            },
        };
        let choice = a.choice;
        self.rows.pop_front();
        Answer::Choose(Command::ChooseHistory { choice, movie })
    }
}

/// A line typed while a row is asked.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// A number: the command that settles the row (the next row is asked after).
    Choose(Command),
    /// `skip` or Enter: the row stays for later; the next row is asked.
    Skipped,
    /// A number past the list (its length): the same row is asked again.
    OutOfRange(usize),
    /// Anything else: the questions end and the line runs as usual.
    Other,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::HISTORY_MAX_BYTES;
    use crate::domain::history::{HistoryRow, Said};
    use crate::domain::ids::MovieId;

    fn dune(choice: i64, said: Said) -> Ambiguity {
        Ambiguity {
            row: HistoryRow {
                file: "ratings.csv".into(),
                line: 3,
                title: "Dune".into(),
                year: None,
                imdb: None,
                tmdb: None,
                said,
                at_ms: None,
            },
            choices: vec![
                (MovieId(1), "Dune (1984)".into()),
                (MovieId(2), "Dune (2021)".into()),
            ],
            choice,
        }
    }

    #[test]
    fn a_number_settles_the_row_asked_and_anything_else_ends_the_questions() {
        let rows = [
            dune(7, Said::Rated(4.5)),
            dune(0, Said::Watched),
            dune(8, Said::Watched),
            dune(9, Said::Watchlist),
        ];
        let mut c = Choosing::of(&rows);
        let mut shown = Vec::new();
        c.ask(&mut shown).expect("written");
        let shown = String::from_utf8(shown).expect("text");
        assert!(
            shown.starts_with(
                "Which film is \"Dune\" (rated 4.5★; ratings.csv line 3)? (3 rows to choose for)"
            ),
            "a row not kept (id 0) is not asked: {shown}"
        );
        assert!(
            shown.contains("  2. Dune (2021)\n  0. none of these"),
            "{shown}"
        );
        assert_eq!(c.read("3"), Answer::OutOfRange(2));
        assert_eq!(
            c.read(" 2. "),
            Answer::Choose(Command::ChooseHistory {
                choice: 7,
                movie: Some(MovieId(2)),
            })
        );
        assert_eq!(c.read(""), Answer::Skipped, "row 8 left for later");
        assert_eq!(
            c.read("0"),
            Answer::Choose(Command::ChooseHistory {
                choice: 9,
                movie: None,
            })
        );
        assert!(!c.asking());
        let mut c = Choosing::of(&rows);
        assert_eq!(c.read("recommend"), Answer::Other);
        assert!(!c.asking(), "another command ends the questions");
    }

    #[test]
    fn a_missing_or_huge_file_is_refused_with_what_to_do() {
        let dir = tempfile::tempdir().expect("dir");
        let mut out = Vec::new();
        let missing = read(&dir.path().join("nope.zip"), &mut out).expect_err("no file");
        assert!(
            missing.contains("I can't read") && missing.contains("quote it"),
            "{missing}"
        );
        let huge = dir.path().join("huge.csv");
        std::fs::File::create(&huge)
            .and_then(|f| f.set_len(HISTORY_MAX_BYTES + 1))
            .expect("a sparse file");
        let refused = read(&huge, &mut out).expect_err("too big");
        assert!(refused.contains("up to 25 MB"), "{refused}");
        let ok = dir.path().join("ratings.csv");
        std::fs::write(&ok, "Const,Your Rating\n").expect("write");
        assert!(matches!(
            read(&ok, &mut out),
            Ok(Command::ImportHistory { name, expected: None, .. }) if name == "ratings.csv"
        ));
    }
}
