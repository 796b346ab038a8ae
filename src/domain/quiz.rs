//! The taste quiz: a few well-known films, one at a time, answered "loved", "liked", "not for
//! me" or "haven't seen". Each answer changes the next film (see
//! [`crate::domain::recommend::snapshot::ModelSnapshot::quiz_next`]); an answer with stars is
//! stored as a rating, so the person's picks change at once.

use std::fmt;

/// One answer to a quiz film.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuizAnswer {
    Loved,
    Liked,
    NotForMe,
    NotSeen,
}

impl QuizAnswer {
    /// Every answer, in the order of the buttons.
    pub const ALL: [QuizAnswer; 4] = [
        QuizAnswer::Loved,
        QuizAnswer::Liked,
        QuizAnswer::NotForMe,
        QuizAnswer::NotSeen,
    ];

    /// The rating an answer stands for (0.5–5), or `None` for "haven't seen".
    pub const fn stars(self) -> Option<f64> {
        match self {
            QuizAnswer::Loved => Some(5.0),
            QuizAnswer::Liked => Some(4.0),
            QuizAnswer::NotForMe => Some(2.0),
            QuizAnswer::NotSeen => None,
        }
    }

    /// A one-letter key (button ids, the console).
    pub const fn key(self) -> char {
        match self {
            QuizAnswer::Loved => 'l',
            QuizAnswer::Liked => 'k',
            QuizAnswer::NotForMe => 'n',
            QuizAnswer::NotSeen => 'u',
        }
    }

    /// The answer a key stands for.
    pub fn from_key(c: char) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.key() == c)
    }

    /// What the button says.
    pub const fn label(self) -> &'static str {
        match self {
            QuizAnswer::Loved => "Loved it",
            QuizAnswer::Liked => "Liked it",
            QuizAnswer::NotForMe => "Not for me",
            QuizAnswer::NotSeen => "Haven't seen it",
        }
    }

    /// The emoji on the button.
    pub const fn emoji(self) -> &'static str {
        match self {
            QuizAnswer::Loved => "😍",
            QuizAnswer::Liked => "👍",
            QuizAnswer::NotForMe => "👎",
            QuizAnswer::NotSeen => "🤷",
        }
    }

    /// Reads a typed answer: the key, a word of the label, the emoji or "1"–"4".
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim().to_lowercase();
        let s = s.as_str();
        match s {
            "1" | "loved" | "love" | "loved it" | "😍" | "❤️" | "l" => {
                Some(QuizAnswer::Loved)
            }
            "2" | "liked" | "like" | "liked it" | "👍" | "k" => Some(QuizAnswer::Liked),
            "3" | "not for me" | "no" | "nope" | "disliked" | "👎" | "n" => {
                Some(QuizAnswer::NotForMe)
            }
            "4" | "haven't seen" | "haven't seen it" | "havent seen" | "not seen" | "unseen"
            | "skip" | "🤷" | "u" | "?" => Some(QuizAnswer::NotSeen),
            _ => None,
        }
    }
}

impl fmt::Display for QuizAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Answers with stars at which the picks count as personal (the "show my picks" point).
pub const PERSONAL_AFTER: usize = 5;
/// Answers with stars at which the quiz ends by itself.
pub const ENOUGH: usize = 10;
/// The most films one quiz asks about (answered or not seen).
pub const MAX_ASKED: usize = 16;

/// Whether someone with `rated` ratings (explicit, imported or from a quiz) should still be
/// offered the quiz on their first picks.
pub const fn worth_offering(rated: usize) -> bool {
    rated < PERSONAL_AFTER
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_typed_answers_round_trip() {
        for a in QuizAnswer::ALL {
            assert_eq!(QuizAnswer::from_key(a.key()), Some(a));
            assert_eq!(QuizAnswer::parse(a.label()), Some(a));
            assert_eq!(QuizAnswer::parse(a.emoji()), Some(a));
        }
        assert_eq!(QuizAnswer::parse("maybe"), None);
        assert_eq!(QuizAnswer::NotSeen.stars(), None);
        assert!(QuizAnswer::Liked.stars() > QuizAnswer::NotForMe.stars());
    }
}
