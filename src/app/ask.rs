//! `/ask`: a conversation about what to watch. Each turn parses the text into a wish (or
//! applies a critique button), keeps the wish and everything shown or mentioned per user and
//! channel for [`TTL_MINUTES`], and answers with picks that meet the wish, each saying which
//! part it meets, or (at most once per conversation) one clarifying question. The wording comes
//! from `prompts/` ([`Prompts`]); the understanding and ranking are the pure
//! [`crate::domain::conversation`].

use crate::app::command::{ListId, Steer};
use crate::app::prompts::Prompts;
use crate::app::reply::{PickLine, Reply};
use crate::app::services::{Services, Who};
use crate::domain::catalog::Genre;
use crate::domain::conversation::rank::{WishPick, rank_for_wish_with};
use crate::domain::conversation::turn::{Turn, change_from, common, turn_kind};
use crate::domain::conversation::wish::{Critique, Wish, apply_critique, join_or, parse_wish};
use crate::domain::ids::MovieId;
use crate::domain::ports::{ConversationRepo as _, ImpressionRepo as _, Surface};
use crate::domain::time::{MINUTE_MS, year_of};
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
    /// Which conversation this is, for what conversations teach about films (0 in states
    /// stored before it was kept: a new one is given).
    #[serde(default)]
    pub id: i64,
}

/// How this turn relates to the conversation, for the first words of the answer.
#[derive(Debug, Clone)]
enum Opening {
    /// The first wish of a conversation.
    First,
    /// A wish of its own in an open conversation: it started over.
    Fresh,
    /// The wish on the table was refined; it was this before.
    Refined(Box<Wish>),
}

/// Conversations: the wording they are answered in, and the turns.
#[derive(Debug, Default)]
pub struct Conversations {
    prompts: Prompts,
}

impl Conversations {
    /// Conversations answered in `prompts`' wording.
    pub fn new(prompts: Prompts) -> Self {
        Conversations { prompts }
    }

    async fn load_state(s: &Services, who: &Who<'_>) -> anyhow::Result<Option<State>> {
        let channel = who.caller.channel.unwrap_or(0);
        let stored = s.store.conversation(who.user, channel, s.now_ms()).await?;
        Ok(stored.and_then(|json| match serde_json::from_str(&json) {
            Ok(state) => Some(state),
            Err(e) => {
                tracing::warn!(error = %e, "an unreadable conversation starts over");
                None
            }
        }))
    }

    async fn save_state(s: &Services, who: &Who<'_>, state: &State) -> anyhow::Result<()> {
        let now = s.now_ms();
        s.store
            .save_conversation(
                who.user,
                who.caller.channel.unwrap_or(0),
                &serde_json::to_string(state)?,
                now,
                now + TTL_MINUTES * MINUTE_MS,
            )
            .await?;
        Ok(())
    }

    /// A free-text turn: a new wish, or (when a conversation is open and `fresh` is false) a
    /// follow-up that refines it ("funnier", "seen it", "more like the second one"). A message
    /// with a subject of its own and no word pointing back starts over
    /// ([`turn_kind`]); the answer says which it did.
    ///
    /// # Errors
    /// Storage fails.
    pub async fn ask(
        &self,
        s: &Services,
        who: &Who<'_>,
        text: &str,
        fresh: bool,
    ) -> anyhow::Result<Reply> {
        let now_year = year_of(s.now_ms());
        let (index, movies) = (s.films.index(), s.films.all());
        // "new: …" typed in any front end starts over, like Discord's `new` option.
        let (text, fresh) = match text.trim_start().split_at_checked(4) {
            Some((head, rest)) if head.eq_ignore_ascii_case("new:") => (rest, true),
            _ => (text, fresh),
        };
        let open = if fresh {
            None
        } else {
            Self::load_state(s, who).await?
        };
        let parsed = parse_wish(text, index, movies, now_year);
        let (mut state, opening) = if let Some(mut state) = open {
            match turn_kind(text, &parsed, &state.wish) {
                Turn::Fresh => {
                    // A wish of its own: a new conversation about films, in the same chat.
                    let state = State {
                        wish: parsed,
                        seen_here: state.seen_here,
                        turns: state.turns,
                        id: s.new_conversation_id(),
                        ..State::default()
                    };
                    (state, Opening::Fresh)
                }
                Turn::Refine => {
                    let before = Box::new(state.wish.clone());
                    let last = state.last.clone();
                    let critique = Critique::Text(text.to_owned());
                    apply_critique(&mut state.wish, &critique, &last, index, movies, now_year);
                    (state, Opening::Refined(before))
                }
            }
        } else {
            let state = State {
                wish: parsed,
                id: s.new_conversation_id(),
                ..State::default()
            };
            (state, Opening::First)
        };
        self.answer(s, who, &mut state, &opening).await
    }

    /// The critique a steer stands for: a list position becomes the film shown there (in
    /// `list`, or the caller's latest list), or "something else" when that list is gone.
    async fn critique(
        s: &Services,
        who: &Who<'_>,
        list: Option<ListId>,
        steer: Steer,
    ) -> anyhow::Result<Critique> {
        let film = |position: u32| async move {
            let list = match list {
                Some(l) => Some(l),
                None => s.store.latest_message_for(who.user).await?,
            };
            Ok::<_, anyhow::Error>(match list {
                Some(l) => s.shown(l, position).await?.ok(),
                None => None,
            })
        };
        Ok(match steer {
            Steer::MoreLike(n) => film(n)
                .await?
                .map_or(Critique::SomethingElse, Critique::MoreLike),
            Steer::Seen(n) => film(n)
                .await?
                .map_or(Critique::SomethingElse, Critique::Seen),
            Steer::Funnier => Critique::Funnier,
            Steer::Darker => Critique::Darker,
            Steer::Older => Critique::Older,
            Steer::Newer => Critique::Newer,
            Steer::Shorter => Critique::Shorter,
            Steer::SomethingElse => Critique::SomethingElse,
            Steer::Genre(g) => Critique::Text(g),
        })
    }

    /// A critique button (or a clarifying answer) in the open conversation.
    ///
    /// # Errors
    /// Storage fails.
    pub async fn steer(
        &self,
        s: &Services,
        who: &Who<'_>,
        list: Option<ListId>,
        steer: Steer,
    ) -> anyhow::Result<Reply> {
        let Some(mut state) = Self::load_state(s, who).await? else {
            return Ok(Reply::Text(
                self.prompts
                    .render("ask_expired", &[("minutes", &TTL_MINUTES.to_string())]),
            ));
        };
        let critique = Self::critique(s, who, list, steer).await?;
        if let Critique::MoreLike(m) = critique {
            // "More like this" accepts the suggestion.
            s.store
                .accept_suggestion(list, who.user, m, s.now_ms())
                .await?;
        }
        let last = state.last.clone();
        let before = Box::new(state.wish.clone());
        apply_critique(
            &mut state.wish,
            &critique,
            &last,
            s.films.index(),
            s.films.all(),
            year_of(s.now_ms()),
        );
        if let Critique::Seen(m) = critique {
            state.seen_here.push(m);
        }
        if critique == Critique::SomethingElse {
            state.seen_here.extend(last);
        }
        self.answer(s, who, &mut state, &Opening::Refined(before))
            .await
    }

    /// Picks for `wish`, each with the parts of the wish it leaves out. The hard parts hold
    /// while films meet them: when fewer than [`PICKS`] do, those come first and the rest meet
    /// a looser wish (hard parts dropped one at a time, [`Wish::relaxed_part`]), and the note
    /// says so.
    async fn relaxing(
        &self,
        s: &Services,
        who: &Who<'_>,
        wish: &Wish,
        exclude: &HashSet<MovieId>,
    ) -> anyhow::Result<(Vec<(WishPick, Vec<String>)>, Option<String>)> {
        let models = s.models().await?;
        let together = models.together();
        let model = models.snapshot();
        let rank = |w: &Wish, exclude: &HashSet<MovieId>, count: usize| {
            rank_for_wish_with(
                &model,
                &together,
                who.user,
                w,
                s.films.all(),
                exclude,
                count,
            )
        };
        let mut picks: Vec<(WishPick, Vec<String>)> = rank(wish, exclude, PICKS)
            .into_iter()
            .map(|p| (p, Vec::new()))
            .collect();
        let strict = picks.len();
        let mut exclude = exclude.clone();
        let mut current = wish.clone();
        let mut dropped = Vec::new();
        while picks.len() < PICKS {
            let Some((next, part)) = current.relaxed_part() else {
                break;
            };
            exclude.extend(picks.iter().map(|(p, _)| p.movie));
            dropped.push(part);
            let more = rank(&next, &exclude, PICKS - picks.len());
            picks.extend(more.into_iter().map(|p| (p, dropped.clone())));
            current = next;
        }
        if picks.len() == strict {
            return Ok((picks, None));
        }
        // What each pick misses grows stage by stage: the last pick misses it all.
        let missed = picks.last().map(|(_, m)| m.as_slice()).unwrap_or_default();
        let quoted: Vec<String> = missed.iter().map(|m| format!("“{m}”")).collect();
        let dropped = join_or(&quoted, "and");
        let note = if strict == 0 {
            self.prompts.render("ask_relaxed", &[("dropped", &dropped)])
        } else {
            let only = if strict == 1 {
                "Only 1 film meets".to_owned()
            } else {
                format!("Only {strict} films meet")
            };
            self.prompts.render(
                "ask_relaxed_partly",
                &[("only", &only), ("dropped", &dropped)],
            )
        };
        Ok((picks, Some(note)))
    }

    /// The first words of an answer: what was found, and whether the wish started over or
    /// what a refinement changed ("Keeping: horror, from the 90s; now funny.").
    fn intro(&self, s: &Services, wish: &Wish, opening: &Opening) -> String {
        let title = |id| s.films.movie(id).map(|m| m.info.display_title());
        let described = wish.describe(title);
        let p = &self.prompts;
        match opening {
            Opening::First => p.render("ask_intro", &[("wish", &described)]),
            Opening::Fresh => p.render("ask_intro_fresh", &[("wish", &described)]),
            Opening::Refined(before) => match change_from(before, wish, title) {
                None => p.render("ask_intro_more", &[("wish", &described)]),
                Some(change) => {
                    let kept = common(before, wish);
                    if kept.is_vague() {
                        p.render(
                            "ask_intro_changed",
                            &[("change", &change), ("wish", &described)],
                        )
                    } else {
                        p.render(
                            "ask_intro_refined",
                            &[
                                ("kept", &kept.describe(title)),
                                ("change", &change),
                                ("wish", &described),
                            ],
                        )
                    }
                }
            },
        }
    }

    /// Answers the current wish (or asks the one clarifying question) and saves the state.
    async fn answer(
        &self,
        s: &Services,
        who: &Who<'_>,
        state: &mut State,
        opening: &Opening,
    ) -> anyhow::Result<Reply> {
        let prompts: &Prompts = &self.prompts;
        state.turns += 1;
        if state.id == 0 {
            state.id = s.new_conversation_id();
        }
        state
            .seen_here
            .extend(state.wish.references.iter().copied());
        let mut notes = Vec::new();
        for t in &state.wish.unresolved {
            let title = t.chars().take(80).collect::<String>();
            let suggestions: Vec<String> = s
                .films
                .index()
                .search(t, 3)
                .into_iter()
                .map(|h| format!("**{}**", h.label()))
                .collect();
            notes.push(if suggestions.is_empty() {
                prompts.render("ask_unknown_title_none", &[("title", &title)])
            } else {
                prompts.render(
                    "ask_unknown_title",
                    &[("title", &title), ("suggestions", &suggestions.join(", "))],
                )
            });
        }
        if state.wish.is_vague() && !state.asked {
            state.asked = true;
            Self::save_state(s, who, state).await?;
            notes.push(prompts.render("ask_clarify", &[]));
            return Ok(Reply::Clarify {
                question: notes.join("\n"),
                genres: CLARIFY_GENRES.to_vec(),
            });
        }
        let events = s.events_of(who.user).await?;
        let mut exclude: HashSet<MovieId> = state.seen_here.iter().copied().collect();
        exclude.extend(events.iter().map(|e| e.event.movie));
        for c in &state.wish.contradictions {
            notes.push(prompts.render("ask_contradiction", &[("problem", c)]));
        }
        let (picks, relaxed) = self.relaxing(s, who, &state.wish, &exclude).await?;
        notes.extend(relaxed);
        let described = state
            .wish
            .describe(|id| s.films.movie(id).map(|m| m.info.display_title()));
        if picks.is_empty() {
            Self::save_state(s, who, state).await?;
            return Ok(Reply::Text(
                prompts.render("ask_nothing", &[("wish", &described)]),
            ));
        }
        let items: Vec<PickLine> = s.pick_lines(picks.iter().map(|(p, missed)| {
            let mut reason = if p.meets.is_empty() {
                "a good fit for you".to_owned()
            } else {
                format!("meets: {}", p.meets.join(", "))
            };
            if !missed.is_empty() {
                reason.push_str("; not ");
                reason.push_str(&join_or(missed, "or"));
            }
            (p.movie, reason)
        }));
        state.last = items.iter().map(|i| i.movie).collect();
        state.seen_here.extend(state.last.iter().copied());
        Self::save_state(s, who, state).await?;
        let list = s.new_list_id();
        s.record_shown(who, list, Surface::Ask, &items).await?;
        s.store
            .remember_turn(state.id, Some(list), &state.wish.references, s.now_ms())
            .await?;
        Ok(Reply::Asked {
            intro: self.intro(s, &state.wish, opening),
            notes,
            items,
            list,
            steer: prompts.render("ask_steer", &[]),
        })
    }
}
