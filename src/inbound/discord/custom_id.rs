//! The `custom_id` of every button, menu and form the bot sends. Everything a click needs is in
//! the id (or in the message the component sits on), so clicks work after a restart and on any
//! shard: no per-message state is kept in memory.
//!
//! Ids are short ASCII strings under Discord's 100-character limit: `mq:<what>[:<field>…]`.

use crate::domain::feedback::Button;
use crate::domain::ids::{MovieId, PartyId};

/// Discord's limit on a `custom_id`.
pub const MAX_LEN: usize = 100;

pub use crate::app::{Filters, QuizStep, Steer};
use crate::domain::quiz::QuizAnswer;

/// What a component stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ComponentId {
    /// "More like #1" under a list (the list is the message the button sits on).
    MoreLike,
    /// "Not interested" in #1 of the list the button sits on.
    NotInterested,
    /// A new list with the same filters, leaving out the films of this one.
    Refresh(Filters),
    /// The menu under a list that opens the feedback buttons for one of its films.
    Pick,
    /// A feedback button for the film at `position` of list `message`.
    Feedback {
        message: i64,
        position: u32,
        button: Button,
    },
    /// The review form for a film.
    ReviewForm(MovieId),
    /// The "set the stars yourself" menu under a review's reading.
    FixStars(MovieId),
    /// Watch party lobby and vote buttons.
    Party(PartyId, PartyAction),
    /// A critique or clarifying button under an `/ask` answer.
    Ask(Steer),
    /// "Delete everything" under `/privacy forget` (in every server with `everywhere`).
    Forget { everywhere: bool },
    /// A taste-quiz button.
    Quiz(QuizPress),
    /// The menu of films for a row of a history import that fits several (the kept row's id).
    HistoryChoice(i64),
}

/// What a taste-quiz button does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuizPress {
    /// Start a quiz for the clicker (the offer under a first list).
    Start,
    /// An answer: the step carries the film and the answer, and where the quiz stood.
    Answer(QuizStep),
    /// Stop the quiz where it stands.
    Stop(QuizStep),
    /// Show the clicker's picks.
    Picks,
}

fn base36(mut n: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).expect("ascii digits")
}

fn movie36(s: &str) -> Option<MovieId> {
    let n = u64::from_str_radix(s, 36).ok()?;
    i64::try_from(n).ok().map(MovieId)
}

/// `rated:ns.ns.…`: where a quiz stands. The not-seen films are base 36; when they do not fit
/// in `room` characters the oldest are left out (they may be asked again, nothing else).
fn quiz_state(step: &QuizStep, room: usize) -> String {
    let rated = step.rated.min(99).to_string();
    let mut kept: Vec<String> = Vec::new();
    let mut used = rated.len() + 1;
    for m in step.not_seen.iter().rev() {
        let Ok(id) = u64::try_from(m.0) else { continue };
        let id = base36(id);
        if used + id.len() + usize::from(!kept.is_empty()) > room {
            break;
        }
        used += id.len() + usize::from(!kept.is_empty());
        kept.push(id);
    }
    kept.reverse();
    format!("{rated}:{}", kept.join("."))
}

fn parse_quiz_state(rated: &str, not_seen: &str) -> Option<QuizStep> {
    let not_seen = if not_seen.is_empty() {
        Vec::new()
    } else {
        not_seen
            .split('.')
            .map(movie36)
            .collect::<Option<Vec<_>>>()?
    };
    Some(QuizStep {
        answer: None,
        rated: rated.parse().ok()?,
        not_seen,
        stop: false,
    })
}

/// What a watch-party button does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartyAction {
    Join,
    Leave,
    /// The host closes the lobby and opens the vote.
    Pick,
    /// Approve (or withdraw approval of) shortlist film N (1-based).
    Vote(u32),
    /// The host ends the vote now.
    Close,
}

fn opt<T: ToString>(v: Option<&T>) -> String {
    v.map(ToString::to_string).unwrap_or_default()
}

fn parse_opt<T: std::str::FromStr>(s: &str) -> Result<Option<T>, ()> {
    if s.is_empty() {
        Ok(None)
    } else {
        s.parse().map(Some).map_err(|_| ())
    }
}

impl ComponentId {
    /// The id to send.
    pub fn encode(&self) -> String {
        let id = match self {
            ComponentId::MoreLike => "mq:more".to_owned(),
            ComponentId::NotInterested => "mq:nope".to_owned(),
            ComponentId::Refresh(f) => format!(
                "mq:refresh:{}:{}:{}:{}",
                f.genre.as_deref().unwrap_or_default(),
                opt(f.count.as_ref()),
                opt(f.min_year.as_ref()),
                opt(f.max_year.as_ref())
            ),
            ComponentId::Pick => "mq:pick".to_owned(),
            ComponentId::Feedback {
                message,
                position,
                button,
            } => format!("mq:fb:{message}:{position}:{}", button.as_str()),
            ComponentId::ReviewForm(movie) => format!("mq:review:{movie}"),
            ComponentId::FixStars(movie) => format!("mq:fix:{movie}"),
            ComponentId::HistoryChoice(row) => format!("mq:hc:{row}"),
            ComponentId::Ask(action) => match action {
                Steer::MoreLike(n) => format!("mq:ask:more:{n}"),
                Steer::Seen(n) => format!("mq:ask:seen:{n}"),
                Steer::Funnier => "mq:ask:funnier".to_owned(),
                Steer::Darker => "mq:ask:darker".to_owned(),
                Steer::Older => "mq:ask:older".to_owned(),
                Steer::Newer => "mq:ask:newer".to_owned(),
                Steer::Shorter => "mq:ask:shorter".to_owned(),
                Steer::SomethingElse => "mq:ask:else".to_owned(),
                Steer::Genre(g) => format!("mq:ask:genre:{g}"),
            },
            ComponentId::Forget { everywhere } => {
                format!("mq:forget:{}", if *everywhere { "all" } else { "here" })
            }
            ComponentId::Quiz(press) => match press {
                QuizPress::Start => "mq:qz:go".to_owned(),
                QuizPress::Picks => "mq:qz:picks".to_owned(),
                QuizPress::Stop(step) => format!("mq:qz:stop:{}", quiz_state(step, 80)),
                QuizPress::Answer(step) => {
                    let (movie, answer) = step.answer.unwrap_or((MovieId(0), QuizAnswer::NotSeen));
                    let head = format!(
                        "mq:qz:a:{}:{}:",
                        base36(u64::try_from(movie.0).unwrap_or(0)),
                        answer.key()
                    );
                    let state = quiz_state(step, MAX_LEN - head.len());
                    head + &state
                }
            },
            ComponentId::Party(party, action) => match action {
                PartyAction::Join => format!("mq:wp:{party}:join"),
                PartyAction::Leave => format!("mq:wp:{party}:leave"),
                PartyAction::Pick => format!("mq:wp:{party}:pick"),
                PartyAction::Close => format!("mq:wp:{party}:close"),
                PartyAction::Vote(n) => format!("mq:wp:{party}:vote:{n}"),
            },
        };
        debug_assert!(id.len() <= MAX_LEN, "{id}");
        id
    }

    /// Reads an id this module made; `None` for anything else.
    pub fn parse(id: &str) -> Option<Self> {
        let rest = id.strip_prefix("mq:")?;
        let parts: Vec<&str> = rest.split(':').collect();
        let movie = |s: &str| s.parse::<i64>().ok().map(MovieId);
        match parts.as_slice() {
            ["more"] => Some(ComponentId::MoreLike),
            ["nope"] => Some(ComponentId::NotInterested),
            ["pick"] => Some(ComponentId::Pick),
            ["refresh", genre, count, min, max] => Some(ComponentId::Refresh(Filters {
                genre: (!genre.is_empty()).then(|| (*genre).to_owned()),
                count: parse_opt(count).ok()?,
                min_year: parse_opt(min).ok()?,
                max_year: parse_opt(max).ok()?,
            })),
            ["fb", message, position, button] => Some(ComponentId::Feedback {
                message: message.parse().ok()?,
                position: position.parse().ok()?,
                button: button.parse().ok()?,
            }),
            ["review", m] => movie(m).map(ComponentId::ReviewForm),
            ["fix", m] => movie(m).map(ComponentId::FixStars),
            ["hc", row] => row.parse().ok().map(ComponentId::HistoryChoice),
            ["ask", rest @ ..] => Some(ComponentId::Ask(match rest {
                ["more", n] => Steer::MoreLike(n.parse().ok()?),
                ["seen", n] => Steer::Seen(n.parse().ok()?),
                ["funnier"] => Steer::Funnier,
                ["darker"] => Steer::Darker,
                ["older"] => Steer::Older,
                ["newer"] => Steer::Newer,
                ["shorter"] => Steer::Shorter,
                ["else"] => Steer::SomethingElse,
                ["genre", g] if !g.is_empty() && g.len() <= 40 => Steer::Genre((*g).to_owned()),
                _ => return None,
            })),
            ["qz", "go"] => Some(ComponentId::Quiz(QuizPress::Start)),
            ["qz", "picks"] => Some(ComponentId::Quiz(QuizPress::Picks)),
            ["qz", "stop", rated, not_seen] => {
                let mut step = parse_quiz_state(rated, not_seen)?;
                step.stop = true;
                Some(ComponentId::Quiz(QuizPress::Stop(step)))
            }
            ["qz", "a", m, key, rated, not_seen] => {
                let mut step = parse_quiz_state(rated, not_seen)?;
                let mut keys = key.chars();
                let answer = QuizAnswer::from_key(keys.next()?)?;
                if keys.next().is_some() {
                    return None;
                }
                step.answer = Some((movie36(m)?, answer));
                Some(ComponentId::Quiz(QuizPress::Answer(step)))
            }
            ["forget", "here"] => Some(ComponentId::Forget { everywhere: false }),
            ["forget", "all"] => Some(ComponentId::Forget { everywhere: true }),
            ["wp", party, rest @ ..] => {
                let party = PartyId(party.parse().ok()?);
                let action = match rest {
                    ["join"] => PartyAction::Join,
                    ["leave"] => PartyAction::Leave,
                    ["pick"] => PartyAction::Pick,
                    ["close"] => PartyAction::Close,
                    ["vote", n] => PartyAction::Vote(n.parse().ok()?),
                    _ => return None,
                };
                Some(ComponentId::Party(party, action))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_reads_back_as_itself_and_fits_discords_limit() {
        let all = [
            ComponentId::MoreLike,
            ComponentId::NotInterested,
            ComponentId::Pick,
            ComponentId::Refresh(Filters::default()),
            ComponentId::Refresh(Filters {
                genre: Some("Sci-Fi".into()),
                count: Some(25),
                min_year: Some(-2000),
                max_year: Some(i32::MAX),
            }),
            ComponentId::Feedback {
                message: i64::MAX,
                position: 25,
                button: Button::NotInterested,
            },
            ComponentId::ReviewForm(MovieId(i64::MAX)),
            ComponentId::FixStars(MovieId(7)),
            ComponentId::HistoryChoice(i64::MAX),
            ComponentId::Party(PartyId(3), PartyAction::Join),
            ComponentId::Party(PartyId(3), PartyAction::Leave),
            ComponentId::Party(PartyId(3), PartyAction::Pick),
            ComponentId::Party(PartyId(3), PartyAction::Close),
            ComponentId::Party(PartyId(i64::MAX), PartyAction::Vote(5)),
            ComponentId::Ask(Steer::MoreLike(3)),
            ComponentId::Ask(Steer::Seen(1)),
            ComponentId::Ask(Steer::Funnier),
            ComponentId::Ask(Steer::SomethingElse),
            ComponentId::Ask(Steer::Genre("Sci-Fi".into())),
            ComponentId::Forget { everywhere: false },
            ComponentId::Forget { everywhere: true },
        ];
        for id in all {
            let text = id.encode();
            assert!(text.len() <= MAX_LEN, "{text}");
            assert_eq!(ComponentId::parse(&text), Some(id), "{text}");
        }
    }

    #[test]
    fn foreign_or_mangled_ids_are_not_read() {
        for text in [
            "",
            "btn_ok",
            "mq:",
            "mq:more:1",
            "mq:fb:1:2",
            "mq:fb:x:1:love",
            "mq:fb:1:1:adore",
            "mq:refresh:Drama:many::",
            "mq:review:abc",
            "mq:wp:1:dance",
            "mq:wp:x:join",
            "mq:wp:1:vote:",
            "mq:ask:more:x",
            "mq:ask:genre:",
            "mq:ask:sing",
        ] {
            assert_eq!(ComponentId::parse(text), None, "{text}");
        }
    }

    #[test]
    fn quiz_buttons_carry_the_quiz_and_never_outgrow_the_limit() {
        let step = QuizStep {
            answer: Some((MovieId(86_500), QuizAnswer::Liked)),
            rated: 4,
            not_seen: (1..=14).map(|i| MovieId(i * 7_001)).collect(),
            stop: false,
        };
        let id = ComponentId::Quiz(QuizPress::Answer(step.clone())).encode();
        assert!(id.len() <= MAX_LEN, "{id}");
        assert_eq!(
            ComponentId::parse(&id),
            Some(ComponentId::Quiz(QuizPress::Answer(step.clone())))
        );
        let stop = QuizStep {
            answer: None,
            stop: true,
            ..step.clone()
        };
        let id = ComponentId::Quiz(QuizPress::Stop(stop.clone())).encode();
        assert_eq!(
            ComponentId::parse(&id),
            Some(ComponentId::Quiz(QuizPress::Stop(stop)))
        );
        // Ids too big to all fit: the newest not-seen films are kept, the id stays valid.
        let huge = QuizStep {
            not_seen: (0..16).map(|i| MovieId(i64::MAX - i)).collect(),
            ..step
        };
        let id = ComponentId::Quiz(QuizPress::Answer(huge.clone())).encode();
        assert!(id.len() <= MAX_LEN, "{id}");
        let Some(ComponentId::Quiz(QuizPress::Answer(back))) = ComponentId::parse(&id) else {
            panic!("{id} does not read back");
        };
        assert!(!back.not_seen.is_empty() && back.not_seen.len() < huge.not_seen.len());
        assert!(
            huge.not_seen.ends_with(&back.not_seen),
            "the newest are kept"
        );
        for bad in [
            "mq:qz:a:zz:x:1:",
            "mq:qz:a:zz:lk:1:",
            "mq:qz:a:zz:l:one:",
            "mq:qz:stop:1",
        ] {
            assert_eq!(ComponentId::parse(bad), None, "{bad}");
        }
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn config() -> ProptestConfig {
            ProptestConfig {
                cases: 256,
                failure_persistence: None,
                ..ProptestConfig::default()
            }
        }

        /// A genre or steer name as the app uses them: short, ASCII, no `:`.
        fn name() -> impl Strategy<Value = String> {
            "[A-Za-z][A-Za-z -]{0,39}"
        }

        fn steer() -> impl Strategy<Value = Steer> {
            prop_oneof![
                any::<u32>().prop_map(Steer::MoreLike),
                any::<u32>().prop_map(Steer::Seen),
                Just(Steer::Funnier),
                Just(Steer::Darker),
                Just(Steer::Older),
                Just(Steer::Newer),
                Just(Steer::Shorter),
                Just(Steer::SomethingElse),
                name().prop_map(Steer::Genre),
            ]
        }

        fn party_action() -> impl Strategy<Value = PartyAction> {
            prop_oneof![
                Just(PartyAction::Join),
                Just(PartyAction::Leave),
                Just(PartyAction::Pick),
                Just(PartyAction::Close),
                any::<u32>().prop_map(PartyAction::Vote),
            ]
        }

        /// Every variant, with arbitrary ids and numbers.
        fn component() -> impl Strategy<Value = ComponentId> {
            let filters = (
                proptest::option::of(name()),
                any::<Option<usize>>(),
                any::<Option<i32>>(),
                any::<Option<i32>>(),
            )
                .prop_map(|(genre, count, min_year, max_year)| Filters {
                    genre,
                    count,
                    min_year,
                    max_year,
                });
            prop_oneof![
                Just(ComponentId::MoreLike),
                Just(ComponentId::NotInterested),
                Just(ComponentId::Pick),
                filters.prop_map(ComponentId::Refresh),
                (
                    any::<i64>(),
                    any::<u32>(),
                    proptest::sample::select(Button::ALL.to_vec())
                )
                    .prop_map(|(message, position, button)| {
                        ComponentId::Feedback {
                            message,
                            position,
                            button,
                        }
                    }),
                any::<i64>().prop_map(|m| ComponentId::ReviewForm(MovieId(m))),
                any::<i64>().prop_map(|m| ComponentId::FixStars(MovieId(m))),
                (any::<i64>(), party_action())
                    .prop_map(|(p, action)| ComponentId::Party(PartyId(p), action)),
                steer().prop_map(ComponentId::Ask),
                any::<bool>().prop_map(|everywhere| ComponentId::Forget { everywhere }),
            ]
        }

        /// Text that looks like an id: our prefix, then words and numbers between colons.
        fn id_like() -> impl Strategy<Value = String> {
            prop_oneof![
                any::<String>(),
                "mq:[a-z]{0,8}(:[a-zA-Z0-9+_ -]{0,12}){0,5}",
                "mq:(more|nope|pick|refresh|fb|review|fix|ask|forget|wp)(:[0-9a-z+-]{0,21}){0,5}",
            ]
        }

        proptest! {
            #![proptest_config(config())]

            #[test]
            fn every_component_reads_back_as_itself(id in component()) {
                let text = id.encode();
                prop_assert!(text.len() <= MAX_LEN, "{text}");
                prop_assert!(text.is_ascii(), "{text}");
                prop_assert_eq!(ComponentId::parse(&text), Some(id), "{}", text);
            }

            /// Whatever a click carries, reading it never panics, and anything read (within
            /// Discord's length limit) writes back to an id that reads the same.
            #[test]
            fn any_text_is_read_or_refused_without_panicking(text in id_like()) {
                if let Some(id) = ComponentId::parse(&text) {
                    prop_assert!(text.starts_with("mq:"));
                    if text.len() <= MAX_LEN {
                        let again = id.encode();
                        prop_assert_eq!(ComponentId::parse(&again), Some(id), "{}", again);
                    }
                }
            }
        }
    }
}
