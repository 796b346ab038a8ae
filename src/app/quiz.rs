//! The taste quiz (`/quiz`, the console's `quiz`, the button under someone's first picks):
//! well-known films one at a time, each answered "loved", "liked", "not for me" or "haven't
//! seen". An answer with stars is stored as a rating at once (persist, then show the next
//! film), so the picks change with every answer; the next film is chosen from everything known
//! about the person so far ([`crate::domain::recommend::snapshot::ModelSnapshot::quiz_next`]).
//! The quiz keeps no state of its own: the front end hands back [`QuizStep`].

use crate::app::command::QuizStep;
use crate::app::feedback::rate;
use crate::app::reply::Reply;
use crate::app::services::{Services, Who};
use crate::domain::events::{FeedbackEvent, FeedbackKind};
use crate::domain::feedback::Stars;
use crate::domain::ids::{MovieId, UserId};
use crate::domain::ports::ImpressionRepo as _;
use crate::domain::quiz::{ENOUGH, MAX_ASKED, PERSONAL_AFTER, QuizAnswer, worth_offering};
use std::collections::HashSet;

/// The film the quiz asks about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuizFilm {
    pub movie: MovieId,
    /// "Alien (1979)".
    pub title_with_year: String,
    /// Up to three genre names.
    pub genres: Vec<String>,
    pub directors: Vec<String>,
    /// The one-line premise ("" when the catalog has none).
    pub overview: String,
}

/// One screen of the quiz: the next film, or the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuizCard {
    /// The film to answer; `None` when the quiz is over.
    pub film: Option<QuizFilm>,
    /// Where the quiz stands, to hand back with the answer to `film`.
    pub step: QuizStep,
    /// Films rated in all (the quiz's answers and everything before).
    pub rated_in_all: usize,
    /// What the last answer did ("Alien (1979): loved it, stored as 5★.").
    pub note: Option<String>,
}

impl QuizCard {
    /// Whether the picks count as personal now.
    pub fn personal(&self) -> bool {
        self.rated_in_all >= PERSONAL_AFTER
    }
}

/// Films the person has rated in any way (stars, an import, a review, a reaction, a button).
pub fn rated_films(events: &[FeedbackEvent]) -> usize {
    events
        .iter()
        .filter(|e| {
            matches!(
                e.event.kind,
                FeedbackKind::Rating
                    | FeedbackKind::Historical
                    | FeedbackKind::Review
                    | FeedbackKind::Reaction
                    | FeedbackKind::Button
            ) && e.event.value.is_some()
        })
        .map(|e| e.event.movie)
        .collect::<HashSet<_>>()
        .len()
}

/// Whether someone's list should offer the quiz: it is the first list they are shown here and
/// Marquee knows too little about them yet.
///
/// # Errors
/// Storage fails.
pub async fn offer_due(s: &Services, who: &Who<'_>) -> anyhow::Result<bool> {
    if s.store.latest_message_for(who.user).await?.is_some() {
        return Ok(false);
    }
    let events = s.events_of(who.user).await?;
    Ok(worth_offering(rated_films(&events)))
}

/// `/recommend`, with the quiz offered under someone's first list.
///
/// # Errors
/// Storage or the model fails.
pub async fn recommend(
    s: &Services,
    lab: &crate::app::lab::Lab,
    who: &Who<'_>,
    filters: &crate::app::Filters,
    instead_of: Option<crate::app::ListId>,
) -> anyhow::Result<Reply> {
    let offer = instead_of.is_none() && offer_due(s, who).await?;
    let mut reply = crate::app::picks::recommend(s, lab, who, filters, instead_of).await?;
    if let Reply::Picks {
        quiz_offer, items, ..
    } = &mut reply
    {
        *quiz_offer = offer && !items.is_empty();
    }
    Ok(reply)
}

/// A per-person salt, so two people starting the quiz are not asked the same films.
fn salt(user: UserId) -> u64 {
    (user.0 as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5155_495A
}

/// One step: stores the answer (if any), then shows the next film or the end.
///
/// # Errors
/// Storage or the model fails.
pub async fn step(s: &Services, who: &Who<'_>, mut step: QuizStep) -> anyhow::Result<Reply> {
    let mut note = None;
    if let Some((movie, answer)) = step.answer.take() {
        let Some(film) = s.films.movie(movie) else {
            return Ok(Reply::Invalid(
                "That film is no longer in the catalog; type /quiz to go on with another."
                    .to_owned(),
            ));
        };
        let title = film.info.display_title();
        if let Some(stars) = answer.stars().and_then(|v| Stars::new(v).ok()) {
            rate(&s.store, s.clock.as_ref(), who, movie, stars).await?;
            s.refresh(who.user).await?;
            step.rated = step.rated.saturating_add(1);
            note = Some(format!(
                "{title}: {}, stored as {}★.",
                answer.label().to_lowercase(),
                stars.value()
            ));
        } else {
            if !step.not_seen.contains(&movie) {
                step.not_seen.push(movie);
            }
            note = Some(format!("{title}: not seen yet, nothing stored."));
        }
    }
    let events = s.events_of(who.user).await?;
    let rated_in_all = rated_films(&events);
    let asked = step.rated as usize + step.not_seen.len();
    let next = if step.stop || step.rated as usize >= ENOUGH || asked >= MAX_ASKED {
        None
    } else {
        let models = s.models().await?;
        let cold = s.cold_start().await?;
        let snapshot = models.snapshot();
        snapshot.quiz_next(who.user, &step.not_seen, salt(who.user), |m| cold.renown(m))
    };
    let film = next.and_then(|id| s.films.movie(id)).map(|m| QuizFilm {
        movie: m.id,
        title_with_year: m.info.display_title(),
        genres: m.info.genre_names(3),
        directors: m.info.directors.iter().take(2).cloned().collect(),
        overview: m.info.overview.clone(),
    });
    Ok(Reply::Quiz(Box::new(QuizCard {
        film,
        step,
        rated_in_all,
        note,
    })))
}

/// The sentence at the end of a quiz.
pub fn ending(card: &QuizCard) -> String {
    let n = card.step.rated;
    let answers = if n == 1 {
        "1 answer is".to_owned()
    } else {
        format!("{n} answers are")
    };
    if card.step.stop && n == 0 {
        return "Quiz stopped; nothing was stored. Type /quiz any time to start again.".to_owned();
    }
    let start = if card.step.stop {
        format!("Quiz stopped. Your {answers} stored")
    } else {
        format!("Thanks! Your {answers} stored")
    };
    if card.personal() {
        format!("{start}, and your picks are personal now.")
    } else {
        let more = PERSONAL_AFTER - card.rated_in_all;
        format!(
            "{start}. {more} more rating{} and your picks become personal; /quiz goes on any time.",
            if more == 1 { "" } else { "s" }
        )
    }
}

/// The answers' one-line legend ("😍 Loved it · 👍 Liked it · …").
pub fn legend() -> String {
    QuizAnswer::ALL
        .iter()
        .map(|a| format!("{} {}", a.emoji(), a.label()))
        .collect::<Vec<_>>()
        .join(" · ")
}
