//! What a recommender hands out: a [`Pick`] (film, score) and the [`Reason`] shown with it.

use crate::domain::ids::MovieId;

/// Why a film was picked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// Similar (by learned taste) to these films the user liked.
    BecauseYouLiked(Vec<String>),
    /// Shares these features with the user's liked films.
    Matches(Vec<String>),
    /// Popular with everyone (cold start).
    Popular,
    /// A similar film by the same director (for "more like this").
    SameDirector(String),
    /// Collaborative similarity: people who liked this film also liked the pick.
    AlsoLikedByFansOf(String),
    /// Content features the pick shares with the film asked about.
    Shares(Vec<String>),
    /// Liked by many in the user's taste group (named).
    PopularInYourGroup(String),
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::BecauseYouLiked(t) => write!(f, "because you liked {}", t.join(" and ")),
            Reason::Matches(t) => write!(f, "matches: {}", t.join(", ")),
            Reason::Popular => f.write_str("popular right now"),
            Reason::SameDirector(d) => write!(f, "same director: {d}"),
            Reason::AlsoLikedByFansOf(t) => write!(f, "also liked by fans of {t}"),
            Reason::Shares(t) => write!(f, "shares: {}", t.join(", ")),
            Reason::PopularInYourGroup(g) => {
                write!(f, "popular with your taste group \u{201c}{g}\u{201d}")
            }
        }
    }
}

/// One recommendation.
#[derive(Debug, Clone, PartialEq)]
pub struct Pick {
    pub movie: MovieId,
    /// Blended relevance, finite.
    pub score: f32,
    pub reason: Reason,
}
