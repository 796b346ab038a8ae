//! The feedback event log's record type: what storage appends and what models learn from.
//! The log is append-only; a removed reaction is a new event that undoes the earlier one.

use crate::domain::ids::{GuildId, MovieId, UserId};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What kind of signal an event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FeedbackKind {
    /// An explicit star rating (`/rate`, the console's `rate`).
    Rating,
    /// An emoji reaction added on a suggestion; `raw` holds the emoji.
    Reaction,
    /// An emoji reaction removed; it undoes the matching `Reaction` (same user, film, emoji).
    ReactionRemoved,
    /// A feedback button pressed; `raw` holds the button's name.
    Button,
    /// A free-text review scored by sentiment; the text itself lives in the reviews table.
    Review,
    /// "I have seen it" without a rating.
    Seen,
    /// "Not interested": the film is excluded from future picks.
    NotInterested,
    /// A rating imported from a public data set (MovieLens); `source` says which.
    Historical,
    /// The film won a watch party the user took part in.
    WatchedTogether,
}

impl FeedbackKind {
    /// Every kind, in a stable order.
    pub const ALL: [FeedbackKind; 9] = [
        FeedbackKind::Rating,
        FeedbackKind::Reaction,
        FeedbackKind::ReactionRemoved,
        FeedbackKind::Button,
        FeedbackKind::Review,
        FeedbackKind::Seen,
        FeedbackKind::NotInterested,
        FeedbackKind::Historical,
        FeedbackKind::WatchedTogether,
    ];

    /// The stable name stored in the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            FeedbackKind::Rating => "rating",
            FeedbackKind::Reaction => "reaction",
            FeedbackKind::ReactionRemoved => "reaction_removed",
            FeedbackKind::Button => "button",
            FeedbackKind::Review => "review",
            FeedbackKind::Seen => "seen",
            FeedbackKind::NotInterested => "not_interested",
            FeedbackKind::Historical => "historical",
            FeedbackKind::WatchedTogether => "watched_together",
        }
    }
}

impl fmt::Display for FeedbackKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FeedbackKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FeedbackKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown feedback kind {s:?}"))
    }
}

/// One event to append to the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewFeedbackEvent {
    pub user: UserId,
    pub movie: MovieId,
    pub kind: FeedbackKind,
    /// The implicit rating on the 0.5–5 scale this event stands for, if it carries one.
    pub value: Option<f64>,
    /// Confidence in `value`, 0–1 (an explicit rating is 1).
    pub weight: f64,
    /// The raw input: an emoji, a button name, a star count as typed.
    pub raw: Option<String>,
    /// Where it came from: `discord`, `console`, `movielens`, …
    pub source: String,
    pub guild: Option<GuildId>,
    /// The Discord message the signal was given on (a suggestion), if any.
    pub message_id: Option<i64>,
    /// Milliseconds since the Unix epoch.
    pub created_at_ms: i64,
    /// Same key twice = same event; the second append is ignored. `None` = always new.
    pub idempotency_key: Option<String>,
}

/// A stored event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedbackEvent {
    pub id: crate::domain::ids::EventId,
    #[serde(flatten)]
    pub event: NewFeedbackEvent,
}

/// One stored event as training reads it, page by page in log order: what
/// [`combine`](crate::domain::feedback::combine) needs, without the fields only the log keeps
/// (source, server, message, idempotency key).
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedEvent {
    pub id: crate::domain::ids::EventId,
    pub user: UserId,
    pub movie: MovieId,
    pub kind: FeedbackKind,
    pub value: Option<f64>,
    pub weight: f64,
    pub raw: Option<String>,
    pub created_at_ms: i64,
}

/// What an append did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appended {
    /// Stored under this id.
    New(crate::domain::ids::EventId),
    /// An event with the same idempotency key was already stored; nothing changed.
    Duplicate,
}

/// A free-text review to store: its feedback event (kind `Review`, carrying the implied rating)
/// and the text with its raw sentiment scores, kept so a recalibration can re-read them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewReview {
    pub event: NewFeedbackEvent,
    pub body: String,
    pub scores: crate::domain::sentiment::SentimentScores,
}

/// A stored review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredReview {
    pub id: i64,
    /// The feedback event stored with it.
    pub event_id: Option<crate::domain::ids::EventId>,
    pub user: UserId,
    pub movie: MovieId,
    pub body: String,
    pub scores: crate::domain::sentiment::SentimentScores,
    /// The rating the review was read as, 0.5–5.
    pub rating: Option<f64>,
    pub created_at_ms: i64,
}
