//! `/ask`: a conversation about what to watch. Each turn parses the text into a wish (or
//! applies a critique button), keeps the wish and everything shown or mentioned per user and
//! channel for [`TTL_MINUTES`], and answers with picks that meet the wish, each saying which
//! part it meets, or (at most once per conversation) one clarifying question. The wording comes
//! from `prompts/` ([`Prompts`]); the understanding and ranking are the pure
//! [`crate::domain::conversation`].

use crate::app::commands::{Caller, PickLine, Session};
use crate::app::prompts::Prompts;
use crate::domain::catalog::Genre;
use crate::domain::conversation::rank::rank_for_wish;
use crate::domain::conversation::wish::{Critique, Wish, apply_critique, parse_wish};
use crate::domain::ids::MovieId;
use crate::domain::ports::{ConversationRepo as _, Surface};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// How long a conversation lasts after its last turn.
pub const TTL_MINUTES: i64 = 30;
/// Picks per answer.
pub const PICKS: usize = 5;
/// The genres offered by the clarifying question.
pub const CLARIFY_GENRES: [Genre; 5] = [
    Genre::Comedy,
    Genre::Thriller,
    Genre::SciFi,
    Genre::Romance,
    Genre::Animation,
];

/// What a conversation remembers between turns.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct State {
    pub wish: Wish,
    /// Every film shown or mentioned so far: never suggested again.
    pub seen_here: Vec<MovieId>,
    /// The films of the last answer, in order ("more like the second one").
    pub last: Vec<MovieId>,
    /// Whether the one clarifying question was asked already.
    pub asked: bool,
    pub turns: u32,
}

/// An answer in a conversation.
#[derive(Debug, Clone, PartialEq)]
pub enum AskReply {
    /// Picks, stored as a list under `message_id` (so reactions and buttons find them).
    Picks {
        intro: String,
        /// Notes before the list (a relaxed filter, an unknown title, a contradiction).
        notes: Vec<String>,
        items: Vec<PickLine>,
        message_id: i64,
        /// How to steer the next turn.
        steer: String,
    },
    /// One clarifying question with a few genres to choose from.
    Clarify {
        question: String,
        genres: Vec<Genre>,
    },
    /// A plain answer.
    Text(String),
}

fn year_now(ms: i64) -> i32 {
    // 365.2425 days a year since 1970: exact enough for "recent".
    1970 + i32::try_from(ms / 31_556_952_000).unwrap_or(0)
}

impl Session {
    async fn load_state(&self, caller: &Caller) -> anyhow::Result<Option<State>> {
        let channel = caller.channel.unwrap_or(0);
        Ok(self
            .store()
            .conversation(caller.user, channel, self.now_ms())
            .await?
            .and_then(|s| serde_json::from_str(&s).ok()))
    }

    async fn save_state(&self, caller: &Caller, state: &State) -> anyhow::Result<()> {
        let now = self.now_ms();
        self.store()
            .save_conversation(
                caller.user,
                caller.channel.unwrap_or(0),
                &serde_json::to_string(state)?,
                now,
                now + TTL_MINUTES * 60_000,
            )
            .await?;
        Ok(())
    }

    /// A free-text turn: a new wish, or (when a conversation is open and `fresh` is false) a
    /// follow-up that refines it ("funnier", "seen it", "more like the second one").
    ///
    /// # Errors
    /// Storage fails.
    pub async fn ask(&self, caller: &Caller, text: &str, fresh: bool) -> anyhow::Result<AskReply> {
        let now_year = year_now(self.now_ms());
        let open = if fresh {
            None
        } else {
            self.load_state(caller).await?
        };
        let mut state = match open {
            Some(mut s) => {
                let last = s.last.clone();
                apply_critique(
                    &mut s.wish,
                    &Critique::Text(text.to_owned()),
                    &last,
                    self.title_index(),
                    self.movies(),
                    now_year,
                );
                s
            }
            None => State {
                wish: parse_wish(text, self.title_index(), self.movies(), now_year),
                ..State::default()
            },
        };
        self.answer(caller, &mut state).await
    }

    /// A critique button (or a clarifying answer) in the open conversation.
    ///
    /// # Errors
    /// Storage fails.
    pub async fn steer(&self, caller: &Caller, critique: &Critique) -> anyhow::Result<AskReply> {
        let prompts = &self.prompts;
        let Some(mut state) = self.load_state(caller).await? else {
            return Ok(AskReply::Text(
                prompts.render("ask_expired", &[("minutes", &TTL_MINUTES.to_string())]),
            ));
        };
        let last = state.last.clone();
        apply_critique(
            &mut state.wish,
            critique,
            &last,
            self.title_index(),
            self.movies(),
            year_now(self.now_ms()),
        );
        if let Critique::Seen(m) = critique {
            state.seen_here.push(*m);
        }
        if *critique == Critique::SomethingElse {
            state.seen_here.extend(last);
        }
        self.answer(caller, &mut state).await
    }

    /// Picks for `wish`; when nothing fits, its hard constraints are dropped one at a time
    /// ([`Wish::relaxed`]) and the second value names what was dropped.
    fn relaxing(
        &self,
        caller: &Caller,
        wish: &Wish,
        exclude: &HashSet<MovieId>,
    ) -> (
        Vec<crate::domain::conversation::rank::WishPick>,
        Option<String>,
    ) {
        let model = self.model();
        let mut current = wish.clone();
        let mut dropped = Vec::new();
        loop {
            let picks = rank_for_wish(&model, caller.user, &current, self.movies(), exclude, PICKS);
            if !picks.is_empty() {
                return (picks, (!dropped.is_empty()).then(|| dropped.join(", ")));
            }
            let Some(next) = current.relaxed() else {
                return (picks, None);
            };
            if next.people != current.people {
                dropped.push("the people");
            } else if next.max_runtime != current.max_runtime
                || next.min_runtime != current.min_runtime
            {
                dropped.push("the runtime");
            } else if next.min_year != current.min_year || next.max_year != current.max_year {
                dropped.push("the years");
            } else {
                dropped.push("the genres");
            }
            current = next;
        }
    }

    /// Answers the current wish (or asks the one clarifying question) and saves the state.
    async fn answer(&self, caller: &Caller, state: &mut State) -> anyhow::Result<AskReply> {
        let prompts: &Prompts = &self.prompts;
        state.turns += 1;
        state
            .seen_here
            .extend(state.wish.references.iter().copied());
        if state.wish.is_vague() && !state.asked {
            state.asked = true;
            self.save_state(caller, state).await?;
            return Ok(AskReply::Clarify {
                question: prompts.render("ask_clarify", &[]),
                genres: CLARIFY_GENRES.to_vec(),
            });
        }
        let events = self.events_of(caller.user).await?;
        let mut exclude: HashSet<MovieId> = state.seen_here.iter().copied().collect();
        exclude.extend(events.iter().map(|e| e.event.movie));
        let title_of = |id: MovieId| self.movie(id).map(|m| m.info.display_title());
        let mut notes = Vec::new();
        for t in &state.wish.unresolved {
            let suggestions: Vec<String> = self
                .title_index()
                .search(t, 3)
                .into_iter()
                .map(|h| format!("**{}**", h.label()))
                .collect();
            if !suggestions.is_empty() {
                notes.push(prompts.render(
                    "ask_unknown_title",
                    &[
                        ("title", &t.chars().take(80).collect::<String>()),
                        ("suggestions", &suggestions.join(", ")),
                    ],
                ));
            }
        }
        for c in &state.wish.contradictions {
            notes.push(prompts.render("ask_contradiction", &[("problem", c)]));
        }
        let (picks, dropped) = self.relaxing(caller, &state.wish, &exclude);
        if let Some(dropped) = dropped {
            notes.push(prompts.render("ask_relaxed", &[("dropped", &dropped)]));
        }
        let described = state.wish.describe(title_of);
        if picks.is_empty() {
            self.save_state(caller, state).await?;
            return Ok(AskReply::Text(
                prompts.render("ask_nothing", &[("wish", &described)]),
            ));
        }
        let items: Vec<PickLine> = self.pick_lines(picks.iter().map(|p| {
            let reason = if p.meets.is_empty() {
                "a good fit for you".to_owned()
            } else {
                format!("meets: {}", p.meets.join(", "))
            };
            (p.movie, reason)
        }));
        state.last = items.iter().map(|i| i.movie).collect();
        state.seen_here.extend(state.last.iter().copied());
        self.save_state(caller, state).await?;
        let message_id = self.next_message_id();
        self.record_shown(caller, message_id, Surface::Ask, &items)
            .await?;
        Ok(AskReply::Picks {
            intro: prompts.render("ask_intro", &[("wish", &described)]),
            notes,
            items,
            message_id,
            steer: prompts.render("ask_steer", &[]),
        })
    }
}
