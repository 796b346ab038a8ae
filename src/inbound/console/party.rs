//! Watch parties on the console: the same flow as on Discord, typed. The person at the
//! keyboard hosts; friends are named (`party start kim lee`) and act with `as:NAME`.
//!
//! ```text
//! party start kim lee [strategy:least_misery] [genre:comedy] [max_runtime:120] [anonymous]
//! party join NAME          party leave [NAME]
//! party pick               party vote N [as:NAME]
//! party close              party history
//! ```

use crate::app::command::Invitee;
use crate::app::reply::ShortFilm;
use crate::app::{Caller, Command, PartyCommand, PartyStart, Person, Reply};
use crate::domain::ids::PartyId;
use std::io::Write;

/// A typed `party …` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartyLine {
    Start {
        names: Vec<String>,
        strategy: Option<String>,
        max_runtime: Option<i32>,
        genre: Option<String>,
        anonymous: bool,
    },
    Join(String),
    Leave(Option<String>),
    Pick,
    Vote {
        position: u32,
        as_name: Option<String>,
    },
    Close,
    History,
}

/// How to write each `party` command.
pub const USAGE: &str = "party start NAME… [strategy:…] [genre:…] [max_runtime:N] [anonymous] · party join NAME · party leave [NAME] · party pick · party vote N [as:NAME] · party close · party history";

/// Parses the words after `party`.
///
/// # Errors
/// What to type instead.
pub fn parse(words: &[String]) -> Result<PartyLine, String> {
    let Some((verb, rest)) = words.split_first() else {
        return Err(format!("Which party command? {USAGE}"));
    };
    let option = |key: &str| {
        rest.iter()
            .find_map(|w| w.strip_prefix(key).map(str::to_owned))
    };
    let plain: Vec<String> = rest.iter().filter(|w| !w.contains(':')).cloned().collect();
    match verb.to_lowercase().as_str() {
        "start" => {
            let max_runtime = match option("max_runtime:") {
                Some(n) => Some(n.parse::<i32>().map_err(|_| {
                    format!("max_runtime takes minutes, e.g. max_runtime:120 (not {n:?}).")
                })?),
                None => None,
            };
            Ok(PartyLine::Start {
                names: plain
                    .iter()
                    .filter(|w| !w.eq_ignore_ascii_case("anonymous"))
                    .cloned()
                    .collect(),
                strategy: option("strategy:"),
                max_runtime,
                genre: option("genre:"),
                anonymous: plain.iter().any(|w| w.eq_ignore_ascii_case("anonymous")),
            })
        }
        "join" => plain
            .first()
            .map(|n| PartyLine::Join(n.clone()))
            .ok_or_else(|| "Who joins? party join NAME".to_owned()),
        "leave" => Ok(PartyLine::Leave(plain.first().cloned())),
        "pick" => Ok(PartyLine::Pick),
        "vote" => {
            let position = plain
                .first()
                .and_then(|n| n.parse::<u32>().ok())
                .ok_or_else(|| {
                    "Vote for which film? party vote 2 (as:NAME to vote for a friend)".to_owned()
                })?;
            Ok(PartyLine::Vote {
                position,
                as_name: option("as:"),
            })
        }
        "close" => Ok(PartyLine::Close),
        "history" => Ok(PartyLine::History),
        other => Err(format!(
            "I don't know \"party {}\". {USAGE}",
            other.chars().take(30).collect::<String>()
        )),
    }
}

/// The command a party line stands for, and who gives it: the person at the keyboard, or a
/// friend they name (`party join kim`, `party vote 2 as:kim`). `current` is the console's open
/// party.
///
/// # Errors
/// What to type instead (no party yet).
pub fn command(
    me: &Caller,
    current: Option<PartyId>,
    line: PartyLine,
) -> Result<(Caller, Command), String> {
    let friend = |name: Option<String>| match name {
        Some(n) => me.as_person(Person::Local(n)),
        None => me.clone(),
    };
    let (who, command) = match line {
        PartyLine::Start {
            names,
            strategy,
            max_runtime,
            genre,
            anonymous,
        } => (
            me.clone(),
            PartyCommand::Start(PartyStart {
                invited: names.iter().map(|n| Invitee::local(n)).collect(),
                strategy,
                max_runtime,
                genre,
                anonymous,
                ..PartyStart::default()
            }),
        ),
        PartyLine::History => (me.clone(), PartyCommand::History),
        other => {
            let party = current
                .ok_or_else(|| "There is no watch party yet: party start NAME NAME…".to_owned())?;
            match other {
                PartyLine::Join(n) => (
                    friend(Some(n)),
                    PartyCommand::Join {
                        party,
                        message: None,
                    },
                ),
                PartyLine::Leave(n) => (
                    friend(n),
                    PartyCommand::Leave {
                        party,
                        message: None,
                    },
                ),
                PartyLine::Pick => (
                    me.clone(),
                    PartyCommand::Pick {
                        party,
                        message: None,
                    },
                ),
                PartyLine::Vote { position, as_name } => (
                    friend(as_name),
                    PartyCommand::Vote {
                        party,
                        position,
                        message: None,
                    },
                ),
                _ => (
                    me.clone(),
                    PartyCommand::Close {
                        party,
                        message: None,
                    },
                ),
            }
        }
    };
    Ok((who, Command::Party(command)))
}

fn write_films(out: &mut impl Write, films: &[ShortFilm]) -> std::io::Result<()> {
    for f in films {
        let votes = f
            .votes
            .map(|n| format!("  [{n} vote{}]", if n == 1 { "" } else { "s" }))
            .unwrap_or_default();
        writeln!(out, "{:>3}. {}{votes}", f.position, f.title)?;
        writeln!(out, "     {}", f.reason)?;
        let guesses: Vec<String> = f
            .guesses
            .iter()
            .map(|g| match g.stars {
                Some(s) => format!("{} {s}★", g.member),
                None => format!("{} new to you", g.member),
            })
            .collect();
        writeln!(out, "     {}", guesses.join(" · "))?;
    }
    Ok(())
}

/// Prints a watch-party reply.
///
/// # Errors
/// Writing fails.
pub fn render(out: &mut impl Write, reply: &Reply) -> std::io::Result<()> {
    match reply {
        Reply::Lobby(lobby) => writeln!(
            out,
            "Watch party hosted by {} ({}). {}\nIn ({}): {}\nNext: party join NAME, then party pick.",
            lobby.host,
            lobby.strategy.label(),
            lobby.note,
            lobby.members.len(),
            lobby.members.join(", ")
        ),
        Reply::Vote(vote) => {
            if let Some(w) = &vote.widened {
                writeln!(out, "{w}")?;
            }
            if !vote.note.is_empty() {
                writeln!(out, "{}", vote.note)?;
            }
            write_films(out, &vote.shortlist)?;
            writeln!(
                out,
                "Voted {}/{}: {}. Vote with: party vote N [as:NAME]",
                vote.voted.len(),
                vote.members.len(),
                if vote.voted.is_empty() {
                    "nobody yet".to_owned()
                } else {
                    vote.voted.join(", ")
                }
            )
        }
        Reply::Closed(w) => {
            writeln!(
                out,
                "The vote closed ({}). Movie night: {}!",
                w.why, w.title
            )?;
            write_films(out, &w.shortlist)
        }
        Reply::History(nights) => {
            if nights.is_empty() {
                return writeln!(out, "No watch party yet: party start NAME NAME…");
            }
            for night in nights {
                writeln!(out, "  {} ({} people)", night.what, night.members)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn party_lines_parse() {
        assert_eq!(
            parse(&words(
                "start kim lee strategy:borda max_runtime:120 anonymous"
            )),
            Ok(PartyLine::Start {
                names: vec!["kim".into(), "lee".into()],
                strategy: Some("borda".into()),
                max_runtime: Some(120),
                genre: None,
                anonymous: true,
            })
        );
        assert_eq!(
            parse(&words("vote 2 as:kim")),
            Ok(PartyLine::Vote {
                position: 2,
                as_name: Some("kim".into())
            })
        );
        assert!(parse(&words("vote")).is_err());
        assert!(parse(&words("start max_runtime:long")).is_err());
        assert!(parse(&words("dance")).is_err());
        assert!(parse(&[]).is_err());
    }

    #[test]
    fn friends_act_as_themselves_and_party_lines_need_an_open_party() {
        let me = Caller::console("ana");
        let vote = PartyLine::Vote {
            position: 2,
            as_name: Some("kim".into()),
        };
        let (who, command) = super::command(&me, Some(PartyId(7)), vote).expect("a party");
        assert_eq!(who.person, Person::Local("kim".into()));
        assert_eq!(
            command,
            Command::Party(PartyCommand::Vote {
                party: PartyId(7),
                position: 2,
                message: None,
            })
        );
        let (who, _) = super::command(&me, Some(PartyId(7)), PartyLine::Close).expect("a party");
        assert_eq!(
            who, me,
            "the person at the keyboard closes; the app checks they host"
        );
        assert!(super::command(&me, None, PartyLine::Pick).is_err());
    }
}
