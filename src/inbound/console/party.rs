//! Watch parties on the console: the same flow as on Discord, typed. The person at the
//! keyboard hosts; friends are named (`party start kim lee`) and act with `as:NAME`.
//!
//! ```text
//! party start kim lee [strategy:least_misery] [genre:comedy] [max_runtime:120] [anonymous]
//! party join NAME          party leave [NAME]
//! party pick               party vote N [as:NAME]
//! party close              party history
//! ```

use crate::app::commands::Session;
use crate::app::party::{PartyOptions, PartyReply, ShortFilm};
use crate::domain::ids::{GuildId, PartyId, UserId};
use std::io::Write;

/// The console's "server" for watch parties.
const CONSOLE_GUILD: GuildId = GuildId(0);

/// A typed `party …` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartyLine {
    Start {
        names: Vec<String>,
        strategy: Option<String>,
        options: PartyOptions,
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
                options: PartyOptions {
                    genre: option("genre:"),
                    max_runtime,
                    anonymous: plain.iter().any(|w| w.eq_ignore_ascii_case("anonymous")),
                    ..PartyOptions::default()
                },
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

/// Runs one party line for the person at the keyboard (`me`); `current` is the console's open
/// party.
///
/// # Errors
/// Storage fails.
pub async fn run(
    session: &Session,
    me: UserId,
    current: &mut Option<PartyId>,
    line: PartyLine,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let who = |name: Option<String>| async move {
        match name {
            Some(n) => session.console_user(&n).await,
            None => Ok(me),
        }
    };
    let need = |current: &Option<PartyId>| current.ok_or_else(|| anyhow::anyhow!("no party yet"));
    let reply = match line {
        PartyLine::Start {
            names,
            strategy,
            options,
        } => {
            let mut others = Vec::new();
            for n in names {
                others.push(session.console_user(&n).await?);
            }
            let reply = session
                .party_start(
                    (CONSOLE_GUILD, 0),
                    me,
                    &others,
                    strategy.as_deref(),
                    options,
                )
                .await?;
            if let PartyReply::Lobby { party, .. } = &reply {
                *current = Some(*party);
            }
            reply
        }
        PartyLine::History => session.party_history(CONSOLE_GUILD, 10).await?,
        other => {
            let Ok(party) = need(current) else {
                writeln!(out, "There is no watch party yet: party start NAME NAME…")?;
                return Ok(());
            };
            match other {
                PartyLine::Join(n) => session.party_join(party, who(Some(n)).await?).await?,
                PartyLine::Leave(n) => session.party_leave(party, who(n).await?).await?,
                PartyLine::Pick => session.party_pick(party, me).await?,
                PartyLine::Vote { position, as_name } => {
                    session
                        .party_vote(party, who(as_name).await?, position)
                        .await?
                }
                _ => match session.party_close(party, "the host closed it").await? {
                    Some(w) => PartyReply::Closed(Box::new(w)),
                    None => PartyReply::Invalid("That vote is not open.".to_owned()),
                },
            }
        }
    };
    render(out, &reply)?;
    Ok(())
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
            .per_member
            .iter()
            .map(|(n, g)| match g {
                Some(s) => format!("{n} {s}★"),
                None => format!("{n} new to you"),
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
pub fn render(out: &mut impl Write, reply: &PartyReply) -> std::io::Result<()> {
    match reply {
        PartyReply::Lobby {
            host,
            members,
            strategy,
            note,
            ..
        } => writeln!(
            out,
            "Watch party hosted by {host} ({}). {note}\nIn ({}): {}\nNext: party join NAME, then party pick.",
            strategy.label(),
            members.len(),
            members.join(", ")
        ),
        PartyReply::Vote {
            shortlist,
            members,
            voted,
            widened,
            note,
            ..
        } => {
            if let Some(w) = widened {
                writeln!(out, "{w}")?;
            }
            if !note.is_empty() {
                writeln!(out, "{note}")?;
            }
            write_films(out, shortlist)?;
            writeln!(
                out,
                "Voted {}/{}: {}. Vote with: party vote N [as:NAME]",
                voted.len(),
                members.len(),
                if voted.is_empty() {
                    "nobody yet".to_owned()
                } else {
                    voted.join(", ")
                }
            )
        }
        PartyReply::Closed(w) => {
            writeln!(
                out,
                "The vote closed ({}). Movie night: {}!",
                w.why, w.title
            )?;
            write_films(out, &w.shortlist)
        }
        PartyReply::History(lines) => {
            if lines.is_empty() {
                return writeln!(out, "No watch party yet: party start NAME NAME…");
            }
            for (_, what, n) in lines {
                writeln!(out, "  {what} ({n} people)")?;
            }
            Ok(())
        }
        PartyReply::Invalid(text) => writeln!(out, "{text}"),
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
                options: PartyOptions {
                    max_runtime: Some(120),
                    anonymous: true,
                    ..PartyOptions::default()
                },
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
}
