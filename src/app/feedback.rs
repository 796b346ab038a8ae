//! Feedback use cases: a rating, a reaction, a button, a review or a "seen"/"not interested"
//! becomes a stored event (idempotent) and an updated implicit rating. Every front end (the
//! command line now, Discord and the console later) calls these.

use crate::domain::events::{Appended, FeedbackKind, NewFeedbackEvent, NewReview};
use crate::domain::feedback::{
    EventContext, ImplicitRating, ReactionMap, Signal, Stars, build_event, combine, normalize_emoji,
};
use crate::domain::ids::{GuildId, MovieId, UserId};
use crate::domain::ports::{Clock, FeedbackRepo, StoreResult};
use crate::domain::sentiment::{ReviewError, ReviewSentiment, SentimentScorer};

/// Where a signal came from, for the event log.
#[derive(Debug, Clone)]
pub struct Origin {
    /// `discord`, `console`, `cli`, …
    pub source: String,
    pub guild: Option<GuildId>,
    /// The suggestion message the signal was given on.
    pub message_id: Option<i64>,
    /// A key that names this delivery (a Discord interaction id): delivered twice, stored once.
    pub delivery_key: Option<String>,
}

impl Origin {
    /// A signal typed on this machine (no message, no delivery key).
    pub fn local(source: &str) -> Self {
        Origin {
            source: source.to_owned(),
            guild: None,
            message_id: None,
            delivery_key: None,
        }
    }
}

/// What recording a signal did.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    /// Whether the event was new or a repeated delivery.
    pub appended: Appended,
    /// The user's combined view of the film after it.
    pub implicit: ImplicitRating,
}

/// A review as read.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewRecorded {
    pub sentiment: ReviewSentiment,
    pub recorded: Recorded,
}

/// Why a review was not stored.
#[derive(Debug, thiserror::Error)]
pub enum ReviewRefused {
    #[error(transparent)]
    Review(#[from] ReviewError),
    #[error(transparent)]
    Store(#[from] crate::domain::error::StoreError),
}

fn context(
    user: UserId,
    movie: MovieId,
    origin: &Origin,
    now_ms: i64,
    key: Option<String>,
) -> EventContext {
    EventContext {
        user,
        movie,
        guild: origin.guild,
        source: origin.source.clone(),
        message_id: origin.message_id,
        created_at_ms: now_ms,
        idempotency_key: key,
    }
}

/// The user's combined rating of one film from their stored events.
pub async fn implicit_rating(
    store: &impl FeedbackRepo,
    user: UserId,
    movie: MovieId,
) -> StoreResult<ImplicitRating> {
    let events: Vec<NewFeedbackEvent> = store
        .events_for_user(user)
        .await?
        .into_iter()
        .map(|e| e.event)
        .filter(|e| e.movie == movie)
        .collect();
    Ok(combine(&events))
}

async fn append_and_combine(
    store: &impl FeedbackRepo,
    event: &NewFeedbackEvent,
) -> StoreResult<Recorded> {
    let appended = store.append_event(event).await?;
    let implicit = implicit_rating(store, event.user, event.movie).await?;
    Ok(Recorded { appended, implicit })
}

/// The services feedback needs, bundled so each use case takes what it is about.
#[derive(Debug, Clone, Copy)]
pub struct Desk<'a, S, C, V> {
    pub store: &'a S,
    pub clock: &'a C,
    pub reactions: &'a ReactionMap,
    pub scorer: &'a V,
}

impl<S: FeedbackRepo, C: Clock, V: SentimentScorer> Desk<'_, S, C, V> {
    /// See [`rate`].
    pub async fn rate(
        &self,
        user: UserId,
        movie: MovieId,
        stars: Stars,
        origin: &Origin,
    ) -> StoreResult<Recorded> {
        rate(self.store, self.clock, user, movie, stars, origin).await
    }

    /// See [`mark`].
    pub async fn mark(
        &self,
        user: UserId,
        movie: MovieId,
        signal: &Signal,
        origin: &Origin,
    ) -> StoreResult<Option<Recorded>> {
        mark(self.store, self.clock, user, movie, signal, origin).await
    }

    /// See [`react`].
    pub async fn react(
        &self,
        user: UserId,
        movie: MovieId,
        reaction: &Reaction<'_>,
        origin: &Origin,
    ) -> StoreResult<Option<Recorded>> {
        react(
            self.store,
            self.clock,
            self.reactions,
            (user, movie),
            reaction,
            origin,
        )
        .await
    }

    /// See [`review`].
    pub async fn review(
        &self,
        user: UserId,
        movie: MovieId,
        text: &str,
        origin: &Origin,
    ) -> Result<ReviewRecorded, ReviewRefused> {
        review(
            self.store,
            self.clock,
            self.scorer,
            (user, movie),
            text,
            origin,
        )
        .await
    }
}

/// An emoji added to, or taken back from, a suggestion message.
#[derive(Debug, Clone, Copy)]
pub struct Reaction<'a> {
    pub emoji: &'a str,
    pub removed: bool,
}

/// Records an explicit star rating.
///
/// # Panics
/// Never: a star rating always maps to an event.
pub async fn rate(
    store: &impl FeedbackRepo,
    clock: &impl Clock,
    user: UserId,
    movie: MovieId,
    stars: Stars,
    origin: &Origin,
) -> StoreResult<Recorded> {
    let key = origin.delivery_key.as_ref().map(|k| format!("rate:{k}"));
    let ctx = context(user, movie, origin, clock.now_ms(), key);
    let event = build_event(&Signal::Rating(stars), &ReactionMap::empty(), ctx)
        .expect("a star rating always maps to an event");
    append_and_combine(store, &event).await
}

/// Records "seen it" or "not interested".
pub async fn mark(
    store: &impl FeedbackRepo,
    clock: &impl Clock,
    user: UserId,
    movie: MovieId,
    signal: &Signal,
    origin: &Origin,
) -> StoreResult<Option<Recorded>> {
    let key = origin.delivery_key.as_ref().map(|k| format!("mark:{k}"));
    let ctx = context(user, movie, origin, clock.now_ms(), key);
    match build_event(signal, &ReactionMap::empty(), ctx) {
        Some(event) => append_and_combine(store, &event).await.map(Some),
        None => Ok(None),
    }
}

/// Records a reaction added (`removed == false`) or taken back on a suggestion message.
/// Emoji the map does not know are ignored (`None`). Discord may deliver the same reaction event
/// twice (after a gateway resume): the event is keyed by the message, user, emoji and the number
/// of earlier add/remove events for them, so a repeated delivery computes the same key and is
/// stored once, while a real add → remove → add is three events.
pub async fn react(
    store: &impl FeedbackRepo,
    clock: &impl Clock,
    map: &ReactionMap,
    (user, movie): (UserId, MovieId),
    reaction: &Reaction<'_>,
    origin: &Origin,
) -> StoreResult<Option<Recorded>> {
    let removed = reaction.removed;
    let emoji = normalize_emoji(reaction.emoji);
    if map.get(&emoji).is_none() {
        return Ok(None);
    }
    let history: Vec<NewFeedbackEvent> = store
        .events_for_user(user)
        .await?
        .into_iter()
        .map(|e| e.event)
        .filter(|e| {
            e.movie == movie
                && e.message_id == origin.message_id
                && matches!(
                    e.kind,
                    FeedbackKind::Reaction | FeedbackKind::ReactionRemoved
                )
                && e.raw.as_deref().map(normalize_emoji).as_deref() == Some(emoji.as_str())
        })
        .collect();
    // The state after the stored events: a repeated "add" on an added reaction (or "remove" on
    // a removed one) is the same delivery again.
    let currently_added = history
        .last()
        .is_some_and(|e| e.kind == FeedbackKind::Reaction);
    if currently_added != removed {
        let implicit = implicit_rating(store, user, movie).await?;
        return Ok(Some(Recorded {
            appended: Appended::Duplicate,
            implicit,
        }));
    }
    let key = format!(
        "reaction:{}:{}:{}:{}:{}",
        origin.message_id.unwrap_or(0),
        user,
        movie,
        emoji,
        history.len()
    );
    let signal = if removed {
        Signal::ReactionRemoved(emoji)
    } else {
        Signal::Reaction(emoji)
    };
    let ctx = context(user, movie, origin, clock.now_ms(), Some(key));
    match build_event(&signal, map, ctx) {
        Some(event) => append_and_combine(store, &event).await.map(Some),
        None => Ok(None),
    }
}

/// Scores a review with VADER, stores the text, its raw scores and the implied rating.
///
/// # Panics
/// Never: a scored review always maps to an event.
pub async fn review(
    store: &impl FeedbackRepo,
    clock: &impl Clock,
    scorer: &impl SentimentScorer,
    (user, movie): (UserId, MovieId),
    text: &str,
    origin: &Origin,
) -> Result<ReviewRecorded, ReviewRefused> {
    let sentiment = scorer.score_review(text)?;
    let key = origin.delivery_key.as_ref().map(|k| format!("review:{k}"));
    let ctx = context(user, movie, origin, clock.now_ms(), key);
    let event = build_event(&Signal::Review(sentiment), &ReactionMap::empty(), ctx)
        .expect("a scored review always maps to an event");
    let body: String = text
        .chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .collect();
    let appended = store
        .record_review(&NewReview {
            event,
            body,
            scores: sentiment.scores,
        })
        .await?;
    let implicit = implicit_rating(store, user, movie).await?;
    Ok(ReviewRecorded {
        sentiment,
        recorded: Recorded { appended, implicit },
    })
}
