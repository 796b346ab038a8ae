//! Feedback: a rating, a reaction, a button, a review or a "seen"/"not interested" becomes a
//! stored event (idempotent: a delivery seen twice is stored once) and an updated implicit
//! rating, and the person's next picks reflect it at once. The first half answers commands
//! (`/rate`, `/seen`, `/review`, reactions, buttons); the second records the events.

use crate::app::command::ListId;
use crate::app::reply::{Mood, Reply};
use crate::app::services::{Services, Who};
use crate::domain::events::{Appended, FeedbackKind, NewFeedbackEvent, NewReview};
use crate::domain::feedback::{
    Button, ImplicitRating, Meaning, ReactionMap, Signal, Stars, build_event, combine,
    normalize_emoji,
};
use crate::domain::ids::{MovieId, UserId};
use crate::domain::ports::{
    Clock, ConversationRepo as _, FeedbackRepo, ImpressionRepo as _, StoreResult, Surface,
};
use crate::domain::sentiment::{MAX_REVIEW_CHARS, ReviewError, ReviewSentiment, SentimentScorer};

fn round_half(x: f64) -> f64 {
    (x * 2.0).round() / 2.0
}

/// "4★", "seen", "not interested".
pub fn describe_meaning(meaning: Meaning) -> String {
    match meaning {
        Meaning::Rating(r) => format!("{r}★"),
        Meaning::Seen => "seen".to_owned(),
        Meaning::NotInterested => "not interested".to_owned(),
    }
}

/// The rating from which feedback on an `/ask` suggestion accepts it (👍 and ❤️, 4★ or more).
pub const ACCEPTS_FROM: f64 = 4.0;

/// Whether feedback meaning `meaning` accepts a suggestion.
fn accepts(meaning: Meaning) -> bool {
    matches!(meaning, Meaning::Rating(r) if r >= ACCEPTS_FROM)
}

/// `/rate`: an explicit rating, 0.5 to 5 stars in half steps.
///
/// # Errors
/// Storage or the model fails.
pub async fn rate_film(
    s: &Services,
    who: &Who<'_>,
    title: &str,
    stars: f64,
) -> anyhow::Result<Reply> {
    let Ok(stars) = Stars::new(stars) else {
        return Ok(Reply::Invalid(format!(
            "Ratings go from 0.5 to 5 stars in half steps (4 or 4.5, say); {stars} is not one."
        )));
    };
    let film = match s.films.find(title) {
        Ok(m) => m,
        Err(reply) => return Ok(reply),
    };
    rate(&s.store, s.clock.as_ref(), who, film.id, stars).await?;
    if accepts(Meaning::Rating(stars.value())) {
        // A good rating of a film suggested by /ask accepts it, later as well.
        s.store
            .accept_suggestion(None, who.user, film.id, s.now_ms())
            .await?;
    }
    s.refresh(who.user).await?;
    Ok(Reply::Rated {
        title: film.info.display_title(),
        stars: stars.value(),
    })
}

/// `/seen`: never suggested again.
///
/// # Errors
/// Storage or the model fails.
pub async fn seen_film(s: &Services, who: &Who<'_>, title: &str) -> anyhow::Result<Reply> {
    let film = match s.films.find(title) {
        Ok(m) => m,
        Err(reply) => return Ok(reply),
    };
    mark(
        &s.store,
        s.clock.as_ref(),
        who,
        film.id,
        &Signal::Seen,
        None,
    )
    .await?;
    s.refresh(who.user).await?;
    Ok(Reply::Seen {
        title: film.info.display_title(),
    })
}

/// `/review`: the text read with VADER, stored with its scores and the implied rating.
///
/// # Errors
/// Storage or the model fails.
pub async fn review_film(
    s: &Services,
    who: &Who<'_>,
    title: &str,
    text: &str,
) -> anyhow::Result<Reply> {
    let film = match s.films.find(title) {
        Ok(m) => m,
        Err(reply) => return Ok(reply),
    };
    let recorded = review(&s.store, s.clock.as_ref(), &s.vader, (who, film.id), text).await;
    let r = match recorded {
        Ok(r) => r,
        Err(ReviewRefused::Review(ReviewError::Empty)) => {
            return Ok(Reply::Invalid(format!(
                "The review of {} is empty: write a few words after the title.",
                film.info.display_title()
            )));
        }
        Err(ReviewRefused::Review(ReviewError::TooLong { chars, .. })) => {
            return Ok(Reply::Invalid(format!(
                "That review is {chars} characters long; keep it under {MAX_REVIEW_CHARS}."
            )));
        }
        Err(ReviewRefused::Store(e)) => return Err(e.into()),
    };
    s.refresh(who.user).await?;
    let sentiment = &r.sentiment;
    Ok(Reply::Reviewed {
        title: film.info.display_title(),
        movie: film.id,
        mood: Mood::of(sentiment),
        stars: round_half(sentiment.rating).clamp(0.5, 5.0),
        compound: sentiment.scores.compound,
    })
}

/// Whether `emoji` counts as feedback, or the reply listing the ones that do.
pub fn check_emoji(map: &ReactionMap, emoji: &str) -> Result<Meaning, Reply> {
    map.get(emoji).ok_or_else(|| {
        let known: Vec<String> = map
            .iter()
            .map(|(e, m)| format!("{e} {}", describe_meaning(m)))
            .collect();
        Reply::Invalid(format!(
            "I don't read that reaction. These count: {}.",
            known.join(", ")
        ))
    })
}

/// A reaction added to (or taken back from) the film at `position` of `list` (`None`: the
/// caller's latest list).
///
/// # Errors
/// Storage or the model fails.
pub async fn react_to(
    s: &Services,
    who: &Who<'_>,
    list: Option<ListId>,
    position: u32,
    (emoji, removed): (&str, bool),
) -> anyhow::Result<Reply> {
    let meaning = match check_emoji(&s.reactions, emoji) {
        Ok(m) => m,
        Err(reply) => return Ok(reply),
    };
    let list = match list {
        Some(l) => Some(l),
        None => s.store.latest_message_for(who.user).await?,
    };
    let Some(list) = list else {
        return Ok(Reply::Text(
            "There is no list to react to yet: ask for /recommend first, then react to a film by its number."
                .to_owned(),
        ));
    };
    let Some(shown) = s.store.impression(list, position).await? else {
        let size = s.store.impressions_of_message(list).await?.len();
        return Ok(Reply::Invalid(if size == 0 {
            "That list has no films to react to; ask for /recommend again.".to_owned()
        } else {
            format!("There is no film number {position} in your last list: pick 1 to {size}.")
        }));
    };
    let movie = shown.shown.movie;
    let recorded = react(
        &s.store,
        s.clock.as_ref(),
        &s.reactions,
        (who, movie),
        &Reaction { emoji, removed },
        Some(list),
    )
    .await?;
    if !removed && shown.shown.surface == Surface::Ask && accepts(meaning) {
        // 👍 or ❤️ on an /ask suggestion: the conversation's films go with it.
        s.store
            .accept_suggestion(Some(list), who.user, movie, s.now_ms())
            .await?;
    }
    s.refresh(who.user).await?;
    Ok(Reply::Reacted {
        title: s.films.title(movie),
        position,
        emoji: normalize_emoji(emoji),
        meaning: describe_meaning(meaning),
        removed,
        repeated: recorded.is_some_and(|r| r.appended == Appended::Duplicate),
    })
}

/// A feedback button pressed on the film at `position` of `list`.
///
/// # Errors
/// Storage or the model fails.
pub async fn press(
    s: &Services,
    who: &Who<'_>,
    list: ListId,
    position: u32,
    button: Button,
) -> anyhow::Result<Reply> {
    let movie = match s.shown(list, position).await? {
        Ok(movie) => movie,
        Err(reply) => return Ok(reply),
    };
    mark(
        &s.store,
        s.clock.as_ref(),
        who,
        movie,
        &Signal::Button(button),
        Some(list),
    )
    .await?;
    if accepts(button.meaning()) {
        // Only a film of an /ask list is noted (the store checks where it was shown).
        s.store
            .accept_suggestion(Some(list), who.user, movie, s.now_ms())
            .await?;
    }
    s.refresh(who.user).await?;
    Ok(Reply::Noted {
        list,
        position,
        title: s.films.title(movie),
        meaning: describe_meaning(button.meaning()),
    })
}

/// The film at `position` of `list`, for its feedback buttons.
///
/// # Errors
/// Storage fails.
pub async fn feedback_for(s: &Services, list: ListId, position: u32) -> anyhow::Result<Reply> {
    Ok(match s.shown(list, position).await? {
        Ok(movie) => Reply::FeedbackFor {
            list,
            position,
            title: s.films.title(movie),
        },
        Err(reply) => reply,
    })
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
    clock: &(impl Clock + ?Sized),
    who: &Who<'_>,
    movie: MovieId,
    stars: Stars,
) -> StoreResult<Recorded> {
    let key = who
        .caller
        .delivery_key
        .as_ref()
        .map(|k| format!("rate:{k}"));
    let ctx = who.context(movie, None, clock.now_ms(), key);
    let event = build_event(&Signal::Rating(stars), &ReactionMap::empty(), ctx)
        .expect("a star rating always maps to an event");
    append_and_combine(store, &event).await
}

/// Records "seen it" or "not interested" (given on list `list`, if any).
pub async fn mark(
    store: &impl FeedbackRepo,
    clock: &(impl Clock + ?Sized),
    who: &Who<'_>,
    movie: MovieId,
    signal: &Signal,
    list: Option<ListId>,
) -> StoreResult<Option<Recorded>> {
    let key = who
        .caller
        .delivery_key
        .as_ref()
        .map(|k| format!("mark:{k}"));
    let ctx = who.context(movie, list, clock.now_ms(), key);
    match build_event(signal, &ReactionMap::empty(), ctx) {
        Some(event) => append_and_combine(store, &event).await.map(Some),
        None => Ok(None),
    }
}

/// Records a reaction added (`removed == false`) or taken back on suggestion list `list`.
/// Emoji the map does not know are ignored (`None`). Discord may deliver the same reaction event
/// twice (after a gateway resume): the event is keyed by the message, user, emoji and the number
/// of earlier add/remove events for them, so a repeated delivery computes the same key and is
/// stored once, while a real add → remove → add is three events.
pub async fn react(
    store: &impl FeedbackRepo,
    clock: &(impl Clock + ?Sized),
    map: &ReactionMap,
    (who, movie): (&Who<'_>, MovieId),
    reaction: &Reaction<'_>,
    list: Option<ListId>,
) -> StoreResult<Option<Recorded>> {
    let user = who.user;
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
                && e.message_id == list
                // 👀 and 🚫 reactions are stored as Seen / NotInterested, with their emoji.
                && matches!(
                    e.kind,
                    FeedbackKind::Reaction
                        | FeedbackKind::ReactionRemoved
                        | FeedbackKind::Seen
                        | FeedbackKind::NotInterested
                )
                && e.raw.as_deref().map(normalize_emoji).as_deref() == Some(emoji.as_str())
        })
        .collect();
    // The state after the stored events: a repeated "add" on an added reaction (or "remove" on
    // a removed one) is the same delivery again.
    let currently_added = history
        .last()
        .is_some_and(|e| e.kind != FeedbackKind::ReactionRemoved);
    if currently_added != removed {
        let implicit = implicit_rating(store, user, movie).await?;
        return Ok(Some(Recorded {
            appended: Appended::Duplicate,
            implicit,
        }));
    }
    let key = format!(
        "reaction:{}:{}:{}:{}:{}",
        list.unwrap_or(0),
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
    let ctx = who.context(movie, list, clock.now_ms(), Some(key));
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
    clock: &(impl Clock + ?Sized),
    scorer: &impl SentimentScorer,
    (who, movie): (&Who<'_>, MovieId),
    text: &str,
) -> Result<ReviewRecorded, ReviewRefused> {
    let sentiment = scorer.score_review(text)?;
    let key = who
        .caller
        .delivery_key
        .as_ref()
        .map(|k| format!("review:{k}"));
    let ctx = who.context(movie, None, clock.now_ms(), key);
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
    let implicit = implicit_rating(store, who.user, movie).await?;
    Ok(ReviewRecorded {
        sentiment,
        recorded: Recorded { appended, implicit },
    })
}
