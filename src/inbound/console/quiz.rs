//! The taste quiz on the console: `quiz` starts it; while a film is asked, a line `1`–`4` (or
//! `loved`, `liked`, `no`, `?`, an answer's emoji) answers it, `picks` shows the picks and
//! `stop` ends it. Any other command runs as usual and ends the quiz (its answers are stored;
//! `quiz` starts again, never asking a film already answered).

use crate::app::quiz::{QuizCard, ending};
use crate::app::{Command, Filters, QuizStep};
use crate::domain::quiz::{PERSONAL_AFTER, QuizAnswer};
use std::io::Write;

/// The film being asked, and where the quiz stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub movie: crate::domain::ids::MovieId,
    pub step: QuizStep,
}

impl Pending {
    /// The quiz step waiting for an answer in `card`, if any.
    pub fn of(card: &QuizCard) -> Option<Self> {
        card.film.as_ref().map(|f| Pending {
            movie: f.movie,
            step: card.step.clone(),
        })
    }

    /// What a typed line means while this film is asked: an answer, `stop`, `picks`; `None`
    /// for anything else (a usual command).
    pub fn read(&self, line: &str) -> Option<Command> {
        let word = line.trim().trim_start_matches('/').to_lowercase();
        match word.as_str() {
            "stop" | "quit quiz" | "done" => Some(Command::Quiz(QuizStep {
                answer: None,
                stop: true,
                ..self.step.clone()
            })),
            "picks" | "show my picks" => Some(Command::Recommend {
                filters: Filters::default(),
                instead_of: None,
            }),
            _ => QuizAnswer::parse(&word).map(|a| {
                Command::Quiz(QuizStep {
                    answer: Some((self.movie, a)),
                    ..self.step.clone()
                })
            }),
        }
    }
}

/// Prints one quiz screen.
///
/// # Errors
/// Writing fails.
pub fn render(out: &mut impl Write, card: &QuizCard) -> std::io::Result<()> {
    if let Some(note) = &card.note {
        writeln!(out, "✓ {note}")?;
    }
    let Some(film) = &card.film else {
        writeln!(out, "{}", ending(card))?;
        return writeln!(out, "Type recommend for your picks.");
    };
    let number = card.step.rated as usize + card.step.not_seen.len() + 1;
    let by = if film.directors.is_empty() {
        String::new()
    } else {
        format!("  by {}", film.directors.join(" and "))
    };
    writeln!(
        out,
        "Taste quiz · film {number}: {}  [{}]{by}",
        film.title_with_year,
        film.genres.join(", ")
    )?;
    if !film.overview.is_empty() {
        writeln!(out, "  {}", film.overview)?;
    }
    let answers: Vec<String> = QuizAnswer::ALL
        .iter()
        .enumerate()
        .map(|(i, a)| format!("{} {} {}", i + 1, a.emoji(), a.label()))
        .collect();
    writeln!(out, "  Answer: {} · picks · stop", answers.join(" · "))?;
    if !card.personal() {
        let more = PERSONAL_AFTER - card.rated_in_all;
        writeln!(
            out,
            "  ({more} more answer{} with stars and your picks are personal.)",
            if more == 1 { "" } else { "s" }
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::MovieId;

    #[test]
    fn answers_stop_and_picks_are_read_while_a_film_is_asked() {
        let pending = Pending {
            movie: MovieId(7),
            step: QuizStep {
                rated: 2,
                not_seen: vec![MovieId(3)],
                ..QuizStep::default()
            },
        };
        let Some(Command::Quiz(step)) = pending.read("1") else {
            panic!("1 is an answer");
        };
        assert_eq!(step.answer, Some((MovieId(7), QuizAnswer::Loved)));
        assert_eq!((step.rated, step.not_seen.clone()), (2, vec![MovieId(3)]));
        let Some(Command::Quiz(step)) = pending.read("  Haven't seen it ") else {
            panic!("a label is an answer");
        };
        assert_eq!(step.answer, Some((MovieId(7), QuizAnswer::NotSeen)));
        assert!(matches!(pending.read("stop"), Some(Command::Quiz(s)) if s.stop));
        assert!(matches!(
            pending.read("picks"),
            Some(Command::Recommend { .. })
        ));
        assert_eq!(pending.read("rate heat 4"), None);
    }
}
