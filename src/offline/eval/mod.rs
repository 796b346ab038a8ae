//! Offline evaluation against public data sets: rating and top-N accuracy, group picks,
//! conversations, the taste quiz and sentiment.

pub mod conversation;
pub mod group;
pub mod quiz;
pub mod ratings;
pub mod sentiment;

use crate::domain::events::{FeedbackEvent, FeedbackKind, NewFeedbackEvent};
use crate::domain::ids::{EventId, MovieId, UserId};

/// The `n`-th event (id `n + 1`) of a benchmark: `user` gave `movie` `stars`, as `kind`.
pub(crate) fn rating_event(
    n: usize,
    user: i64,
    movie: i64,
    stars: f32,
    kind: FeedbackKind,
) -> FeedbackEvent {
    FeedbackEvent {
        id: EventId(n as i64 + 1),
        event: NewFeedbackEvent {
            user: UserId(user),
            movie: MovieId(movie),
            kind,
            value: Some(f64::from(stars)),
            weight: 1.0,
            raw: None,
            source: "eval".into(),
            guild: None,
            message_id: None,
            created_at_ms: 0,
            idempotency_key: None,
        },
    }
}
