//! The console: a line-oriented terminal session over the app ([`crate::app::App`]), for
//! people without a Discord bot token. It reads commands from
//! standard input, one a line, and prints the replies. It works the same with piped input (for
//! scripts and tests); the prompt is shown only on a terminal.
//!
//! Syntax (also in `help`): a command, with or without a leading `/`, then its arguments.
//! Text in double quotes stays together (`"The Godfather"`); `key:value` options as on Discord
//! (`genre:comedy count:5`), or plain words (`recommend comedy 5`). `rate` takes the stars last
//! (`rate heat 1995 4.5`); `review` takes the title in quotes, then the text.

pub mod import;
pub mod party;
pub mod quiz;

use crate::app::help::COMMANDS;
use crate::app::picks::MAX_COUNT;
use crate::app::reply::Profile;
use crate::app::{App, Caller, Command, Filters, PrivacyCommand, Reply, Steer};
use crate::domain::feedback::{Meaning, ReactionMap, Stars};
use std::io::{BufRead, Write};

/// What one typed line asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    /// Nothing but spaces.
    Empty,
    /// `quit`, `exit`, `q`.
    Quit,
    /// A command for the app (`ask TEXT` and `ask new TEXT` are conversation turns; `steer
    /// funnier|darker|older|newer|shorter|else`, `steer more N`, `steer seen N` critique the
    /// last answer).
    Command(Command),
    /// A watch-party command (`party …`).
    Party(party::PartyLine),
    /// `import FILE`: a Letterboxd, IMDb or Trakt export ([`import`]).
    Import(std::path::PathBuf),
    /// The line cannot be understood; what to type instead.
    Error(String),
}

/// One word of a line, and where it ends in the line (to take the rest of it verbatim).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Token {
    text: String,
    /// Whether any part of the word was in double quotes.
    quoted: bool,
    /// Byte offset just after the token.
    end: usize,
}

fn is_quote(c: char) -> bool {
    matches!(c, '"' | '\u{201c}' | '\u{201d}')
}

/// Splits a line into words: whitespace separates, double quotes (straight or curly) group.
/// An unclosed quote runs to the end of the line.
fn tokenize(line: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut current: Option<Token> = None;
    let mut in_quotes = false;
    for (i, c) in line.char_indices() {
        let after = i + c.len_utf8();
        if is_quote(c) {
            in_quotes = !in_quotes;
            let t = current.get_or_insert_with(|| Token {
                text: String::new(),
                quoted: true,
                end: after,
            });
            t.quoted = true;
            t.end = after;
        } else if c.is_whitespace() && !in_quotes {
            if let Some(t) = current.take() {
                tokens.push(t);
            }
        } else {
            let t = current.get_or_insert_with(|| Token {
                text: String::new(),
                quoted: false,
                end: after,
            });
            t.text.push(c);
            t.end = after;
        }
    }
    tokens.extend(current);
    tokens
}

/// Control characters become spaces (tabs too), so nothing typed can move the cursor.
fn clean(line: &str) -> String {
    line.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// `key:value` for one of `keys` (case-insensitive key), else `None`.
fn option<'a>(token: &'a Token, keys: &[&str]) -> Option<(String, &'a str)> {
    let (key, value) = token.text.split_once(':')?;
    let key = key.to_lowercase();
    keys.contains(&key.as_str()).then_some((key, value))
}

/// The stars in a word: `4`, `4.5`, `4,5`, `4½`, `4.5★`, `4/5`. A number outside the scale is
/// still returned (the app explains the scale); `None` when it is not a number.
fn stars(word: &str) -> Option<f64> {
    let w = word.trim().trim_end_matches(['★', '*']);
    let w = w.strip_suffix("/5").unwrap_or(w);
    if let Ok(s) = w.parse::<Stars>() {
        return Some(s.value());
    }
    w.replace(',', ".")
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
}

fn join(tokens: &[Token]) -> String {
    tokens
        .iter()
        .map(|t| t.text.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Parses one typed line.
pub fn parse_line(line: &str) -> Line {
    let line = clean(line);
    let tokens = tokenize(&line);
    let Some((head, args)) = tokens.split_first() else {
        return Line::Empty;
    };
    let name = head.text.trim_start_matches('/').to_lowercase();
    let title_or = |what: &str| {
        let title = args
            .iter()
            .find_map(|t| option(t, &["movie", "title"]).map(|(_, v)| v.to_owned()))
            .unwrap_or_else(|| join(args));
        if title.trim().is_empty() {
            Err(Line::Error(format!(
                "Which film? Type {what} \"Title\", e.g. {what} \"Heat\"."
            )))
        } else {
            Ok(title)
        }
    };
    match name.as_str() {
        "quit" | "exit" | "q" | "bye" => Line::Quit,
        "help" | "?" | "h" => Line::Command(Command::Help),
        "profile" | "me" => Line::Command(Command::Profile),
        "quiz" => Line::Command(Command::Quiz(crate::app::QuizStep::default())),
        "taste"
            if args
                .first()
                .is_some_and(|t| t.text.eq_ignore_ascii_case("map")) =>
        {
            Line::Command(Command::TasteMap)
        }
        "taste" => Line::Command(Command::Taste),
        "tastemap" => Line::Command(Command::TasteMap),
        "recommend" | "rec" | "picks" => parse_recommend(args),
        "similar" | "like" => match title_or("similar") {
            Ok(title) => Line::Command(Command::Similar { title, count: None }),
            Err(e) => e,
        },
        "seen" => match title_or("seen") {
            Ok(title) => Line::Command(Command::Seen { title }),
            Err(e) => e,
        },
        "rate" => parse_rate(args),
        "review" => parse_review(&line, args),
        "ask" => {
            let fresh = args
                .first()
                .is_some_and(|t| t.text.eq_ignore_ascii_case("new"));
            let rest = if fresh { &args[1..] } else { args };
            let text = join(rest);
            if text.trim().is_empty() {
                Line::Error(
                    "What are you in the mood for? e.g. ask something like Alien but funnier"
                        .to_owned(),
                )
            } else {
                Line::Command(Command::Ask { text, fresh })
            }
        }
        "steer" => parse_steer(args),
        "party" | "watchparty" => {
            let words: Vec<String> = args.iter().map(|t| t.text.clone()).collect();
            match party::parse(&words) {
                Ok(p) => Line::Party(p),
                Err(e) => Line::Error(e),
            }
        }
        "privacy" => parse_privacy(args),
        "import" => {
            let path = match args {
                [] => String::new(),
                [one] => one.text.clone(),
                _ => line[head.end..].trim().trim_matches(is_quote).to_owned(),
            };
            if path.trim().is_empty() {
                Line::Error(
                    "Which file? Type import PATH, e.g. import letterboxd-kim.zip (Letterboxd ZIP or CSV, IMDb ratings.csv, Trakt ZIP or JSON)."
                        .to_owned(),
                )
            } else {
                Line::Import(path.into())
            }
        }
        "react" => parse_react(args, false),
        "unreact" => parse_react(args, true),
        _ => Line::Error(format!(
            "I don't know the command \"{}\". Type help for the list.",
            head.text.chars().take(40).collect::<String>()
        )),
    }
}

fn parse_privacy(args: &[Token]) -> Line {
    let words: Vec<String> = args.iter().map(|t| t.text.to_lowercase()).collect();
    let has = |w: &str| words.iter().any(|x| x == w);
    let command = match words.first().map(String::as_str) {
        None | Some("show") => PrivacyCommand::Show,
        Some("export") => PrivacyCommand::Export,
        Some("forget") => PrivacyCommand::Forget {
            everywhere: has("everywhere"),
            confirmed: has("yes"),
        },
        Some(_) => {
            return Line::Error(
                "privacy show, privacy export, or privacy forget [everywhere] [yes]".to_owned(),
            );
        }
    };
    Line::Command(Command::Privacy(command))
}

fn parse_steer(args: &[Token]) -> Line {
    let word = args.first().map(|t| t.text.to_lowercase());
    let steer = match word.as_deref() {
        Some("funnier") => Steer::Funnier,
        Some("darker") => Steer::Darker,
        Some("older") => Steer::Older,
        Some("newer") => Steer::Newer,
        Some("shorter") => Steer::Shorter,
        Some("else") => Steer::SomethingElse,
        Some(w @ ("more" | "seen")) => match args.get(1).and_then(|t| t.text.parse::<u32>().ok()) {
            Some(n) if w == "more" => Steer::MoreLike(n),
            Some(n) => Steer::Seen(n),
            None => return Line::Error(format!("Which one? steer {w} 2")),
        },
        _ => {
            return Line::Error(
                "steer funnier, darker, older, newer, shorter, else, more N or seen N".to_owned(),
            );
        }
    };
    Line::Command(Command::Steer { list: None, steer })
}

fn parse_recommend(args: &[Token]) -> Line {
    let (mut genre, mut count, mut min_year, mut max_year) = (None, None, None, None);
    let mut genre_words = Vec::new();
    for t in args {
        let number = |v: &str| v.trim().parse::<i64>().ok();
        if let Some((key, value)) = option(t, &["genre", "count", "min_year", "max_year"]) {
            let bad = || Line::Error(format!("{key} takes a number, not \"{value}\"."));
            match key.as_str() {
                "genre" => genre = Some(value.to_owned()),
                "count" => match number(value).and_then(|n| usize::try_from(n).ok()) {
                    Some(n) => count = Some(n),
                    None => return bad(),
                },
                "min_year" => match number(value).and_then(|n| i32::try_from(n).ok()) {
                    Some(n) => min_year = Some(n),
                    None => return bad(),
                },
                _ => match number(value).and_then(|n| i32::try_from(n).ok()) {
                    Some(n) => max_year = Some(n),
                    None => return bad(),
                },
            }
        } else if let Some(n) = number(&t.text) {
            if count.is_some() {
                return Line::Error(format!(
                    "One count only, 1 to {MAX_COUNT}; for years write min_year:1990 max_year:1999."
                ));
            }
            count = Some(usize::try_from(n).unwrap_or(usize::MAX));
        } else {
            genre_words.push(t.text.clone());
        }
    }
    if !genre_words.is_empty() {
        if genre.is_some() {
            return Line::Error(format!(
                "I don't understand \"{}\" there. Try: recommend genre:comedy count:5",
                genre_words.join(" ")
            ));
        }
        genre = Some(genre_words.join(" "));
    }
    Line::Command(Command::Recommend {
        filters: Filters {
            genre,
            count,
            min_year,
            max_year,
        },
        instead_of: None,
    })
}

fn parse_rate(args: &[Token]) -> Line {
    const HOW: &str =
        "Type rate \"Title\" stars, e.g. rate \"Heat\" 4.5 (0.5 to 5, half stars allowed).";
    let named_title = args
        .iter()
        .find_map(|t| option(t, &["movie", "title"]).map(|(_, v)| v.to_owned()));
    let named_stars = args
        .iter()
        .find_map(|t| option(t, &["stars", "rating"]).map(|(_, v)| v.to_owned()));
    if let (Some(title), Some(s)) = (&named_title, &named_stars) {
        return match stars(s) {
            Some(stars) => Line::Command(Command::Rate {
                title: title.clone(),
                stars,
            }),
            None => Line::Error(HOW.to_owned()),
        };
    }
    let Some((last, title)) = args.split_last() else {
        return Line::Error(HOW.to_owned());
    };
    match stars(&last.text) {
        Some(stars) if !title.is_empty() && !last.quoted => Line::Command(Command::Rate {
            title: join(title),
            stars,
        }),
        _ => Line::Error(HOW.to_owned()),
    }
}

fn parse_review(line: &str, args: &[Token]) -> Line {
    const HOW: &str =
        "Type review \"Title\" then your words, e.g. review \"Heat\" Loved every minute!";
    let Some(first) = args.first() else {
        return Line::Error(HOW.to_owned());
    };
    let (title, rest) = if let Some((_, value)) = option(first, &["movie", "title"]) {
        (value.to_owned(), &line[first.end..])
    } else if first.quoted {
        (first.text.clone(), &line[first.end..])
    } else {
        return Line::Error(format!("Put the title in quotes. {HOW}"));
    };
    let rest = rest.trim();
    let text = rest
        .strip_prefix("text:")
        .map_or(rest, str::trim_start)
        .to_owned();
    Line::Command(Command::Review { title, text })
}

fn parse_react(args: &[Token], removed: bool) -> Line {
    let verb = if removed { "unreact" } else { "react" };
    let how = format!(
        "Type {verb} NUMBER EMOJI, e.g. {verb} 2 👍, with the number of a film in your last list."
    );
    let [a, b] = args else {
        return Line::Error(how);
    };
    let (number, emoji) = match (a.text.parse::<u32>(), b.text.parse::<u32>()) {
        (Ok(n), Err(_)) => (n, &b.text),
        (Err(_), Ok(n)) => (n, &a.text),
        _ => return Line::Error(how),
    };
    if number == 0 {
        return Line::Error(how);
    }
    Line::Command(Command::React {
        list: None,
        position: number,
        emoji: emoji.clone(),
        removed,
    })
}

/// How the console writes each command of [`COMMANDS`].
fn usage(name: &str) -> &'static str {
    match name {
        "recommend" => {
            "recommend [genre] [count]   or  /recommend genre:comedy count:5 min_year:1990 max_year:1999"
        }
        "similar" => "similar \"Title\"",
        "rate" => "rate \"Title\" 4.5            or  rate heat 1995 4.5",
        "seen" => "seen \"Title\"",
        "review" => "review \"Title\" your words",
        "profile" => "profile",
        "quiz" => {
            "quiz          (then 1 loved · 2 liked · 3 not for me · 4 haven't seen · picks · stop)"
        }
        "taste" => "taste",
        "tastemap" => {
            "tastemap      (or taste map: whether the map can be drawn; `marquee taste map --out map.png` writes the picture)"
        }
        "ask" => {
            "ask TEXT / ask new TEXT / steer funnier|darker|older|newer|shorter|else|more N|seen N"
        }
        "watchparty" => {
            "party start NAME NAME… / party join NAME / party pick / party vote N [as:NAME] / party close / party history   (/watchparty on Discord)"
        }
        "experiment" => "experiment   (on this machine: marquee experiment list|start|stop|report)",
        "privacy" => "privacy show | privacy export | privacy forget [everywhere] [yes]",
        "import" => {
            "import FILE   (a Letterboxd ZIP or CSV, IMDb ratings.csv, Trakt ZIP or JSON; then a number for each row that fits several films)"
        }
        _ => "help",
    }
}

/// "❤️ 5★, 👍 4★, …, 🚫 not interested": what each offered reaction means.
fn reaction_legend(reactions: &ReactionMap) -> String {
    reactions
        .offered()
        .map(|(emoji, meaning)| match meaning {
            Meaning::Rating(r) => format!("{emoji} {r}★"),
            Meaning::Seen => format!("{emoji} seen"),
            Meaning::NotInterested => format!("{emoji} not interested"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// What `privacy show` prints.
fn privacy_summary(p: &crate::app::reply::PrivacySummary) -> String {
    let n = |count: u64, one: &str, many: &str| {
        format!("{count} {}", if count == 1 { one } else { many })
    };
    let nothing = crate::app::reply::PrivacySummary {
        other_servers: p.other_servers,
        ..crate::app::reply::PrivacySummary::default()
    };
    let kept = if *p == nothing {
        "nothing".to_owned()
    } else {
        [
            n(p.ratings as u64, "rating", "ratings"),
            n(p.reviews as u64, "review", "reviews"),
            n(p.reactions as u64, "reaction", "reactions"),
            n(p.marks as u64, "other mark", "other marks"),
            n(p.films_shown, "film shown in lists", "films shown in lists"),
            n(p.watch_parties as u64, "watch party", "watch parties"),
            n(p.conversations as u64, "conversation", "conversations"),
            n(
                p.experiments as u64,
                "experiment group",
                "experiment groups",
            ),
        ]
        .join(", ")
    };
    let elsewhere = if p.other_servers > 0 {
        format!(" Other servers keep their own: {}.", p.other_servers)
    } else {
        String::new()
    };
    format!(
        "Kept about you here: {kept}.{elsewhere}\n\
         privacy export shows it all; privacy forget deletes it (see PRIVACY.md)."
    )
}

/// The console's help: every command (from the same list Discord registers) with its syntax
/// here, the console's own lines, and the quoting rules.
pub fn help_text(reactions: &ReactionMap) -> String {
    use std::fmt::Write as _;
    let mut out = String::from("Commands (the leading / is optional):\n");
    for c in COMMANDS {
        let _ = writeln!(out, "  {}\n      {}", usage(c.name), c.summary);
    }
    let _ = writeln!(
        out,
        "  react N EMOJI / unreact N EMOJI\n      react to film N of your last list: {}",
        reaction_legend(reactions)
    );
    out.push_str(
        "  quit\n      leave\n\
         Quoting: words in double quotes stay together (\"The Godfather\"); add the year for remakes (\"dune 1984\").\n\
         Options are key:value with no spaces around the colon; quote a value with spaces (genre:\"film noir\").",
    );
    out
}

fn write_profile(out: &mut impl Write, p: &Profile) -> std::io::Result<()> {
    writeln!(out, "Your profile:")?;
    if !p.top_genres.is_empty() {
        let genres: Vec<String> = p
            .top_genres
            .iter()
            .map(|g| format!("{} ({})", g.genre, g.films))
            .collect();
        writeln!(out, "  Top genres:  {}", genres.join(", "))?;
    }
    writeln!(
        out,
        "  Taste group: {}",
        p.taste_group
            .as_deref()
            .unwrap_or("not placed yet (groups are found at each training)")
    )?;
    if !p.favourites.is_empty() {
        writeln!(out, "  Favourites:  {}", p.favourites.join(", "))?;
    }
    writeln!(
        out,
        "  Feedback:    {} films; {} ratings, {} reviews, {} reactions, {} seen, {} not interested",
        p.films, p.ratings, p.reviews, p.reactions, p.seen, p.not_interested
    )
}

/// The answer to a rating, a "seen", a review, a reaction or a feedback button.
fn render_feedback(out: &mut impl Write, reply: &Reply) -> std::io::Result<()> {
    match reply {
        Reply::Rated { title, stars } => writeln!(
            out,
            "Rated {title} {stars}★. Your next recommend takes it into account."
        ),
        Reply::Seen { title } => writeln!(out, "Marked {title} as seen; I won't suggest it again."),
        Reply::Reviewed {
            title,
            mood,
            stars,
            compound,
            ..
        } => writeln!(
            out,
            "Review of {title} saved: {}: {stars}★ (VADER compound {compound:+.3}).\n\
             Not quite right? Set the stars yourself: rate \"{title}\" 4",
            mood.phrase()
        ),
        Reply::Reacted {
            title,
            position,
            emoji,
            meaning,
            removed,
            repeated,
        } => {
            let again = if *repeated { " (already counted)" } else { "" };
            if *removed && *repeated {
                writeln!(
                    out,
                    "There was no {emoji} on {position}. {title} to take back."
                )
            } else if *removed {
                writeln!(out, "Took back {emoji} on {position}. {title}.")
            } else {
                writeln!(
                    out,
                    "{emoji} on {position}. {title}: read as {meaning}{again}."
                )
            }
        }
        Reply::Noted {
            title,
            position,
            meaning,
            ..
        } => writeln!(out, "Noted for {position}. {title}: {meaning}."),
        _ => Ok(()),
    }
}

/// Prints a reply as the console shows it.
///
/// # Errors
/// Writing fails.
pub fn render(out: &mut impl Write, reply: &Reply, reactions: &ReactionMap) -> std::io::Result<()> {
    match reply {
        Reply::Picks {
            intro,
            items,
            quiz_offer,
            ..
        } => {
            writeln!(out, "{intro}")?;
            for p in items {
                writeln!(out, "{p}")?;
            }
            if !items.is_empty() {
                writeln!(
                    out,
                    "React with: react 1 👍   ({})",
                    reaction_legend(reactions)
                )?;
            }
            if *quiz_offer {
                writeln!(
                    out,
                    "New here? Type quiz: a few well-known films, one answer each, and these picks become yours."
                )?;
            }
            Ok(())
        }
        Reply::Asked {
            intro,
            notes,
            items,
            ..
        } => {
            for n in notes {
                writeln!(out, "{}", n.replace("**", ""))?;
            }
            writeln!(out, "{intro}")?;
            for p in items {
                writeln!(out, "{p}")?;
            }
            writeln!(
                out,
                "Steer with: steer funnier|darker|older|newer|shorter|else, steer more N, steer seen N, or ask again"
            )
        }
        Reply::Clarify { question, genres } => {
            let names: Vec<&str> = genres.iter().map(|g| g.name()).collect();
            writeln!(out, "{question}\n  (e.g. ask {})", names.join(" / ask "))
        }
        Reply::Rated { .. }
        | Reply::Seen { .. }
        | Reply::Reviewed { .. }
        | Reply::Reacted { .. }
        | Reply::Noted { .. } => render_feedback(out, reply),
        Reply::Profile(p) => write_profile(out, p),
        Reply::Taste {
            group,
            members,
            traits,
        } => writeln!(
            out,
            "Your taste group: {group} ({members} members){}",
            if traits.is_empty() {
                String::new()
            } else {
                format!(": {}", traits.join(", "))
            }
        ),
        Reply::Help(_) => writeln!(out, "{}", help_text(reactions)),
        Reply::NotFound { query, suggestions } if suggestions.is_empty() => writeln!(
            out,
            "No film called \"{query}\" is in the catalog. Check the spelling, or try fewer words."
        ),
        Reply::NotFound { .. } | Reply::Ambiguous { .. } => {
            writeln!(out, "{}", reply.not_one_film().unwrap_or_default())
        }
        Reply::Lobby(_) | Reply::Vote(_) | Reply::Closed(_) | Reply::History(_) => {
            party::render(out, reply)
        }
        Reply::Quiz(card) => quiz::render(out, card),
        Reply::Invalid(text)
        | Reply::Text(text)
        | Reply::ExperimentChanged(text)
        | Reply::Forgotten(text) => writeln!(out, "{text}"),
        Reply::PrivacySummary(p) => writeln!(out, "{}", privacy_summary(p)),
        Reply::PrivacyExport { json, .. } => writeln!(out, "{json}"),
        Reply::ConfirmForget {
            everywhere,
            summary,
        } => writeln!(
            out,
            "{summary}\nTo go ahead: privacy forget{} yes (on the command line: --yes).",
            if *everywhere { " everywhere" } else { "" }
        ),
        other => writeln!(out, "{}", other_reply(other)),
    }
}

/// Replies the console's own commands never ask for, in one plain line.
fn other_reply(reply: &Reply) -> String {
    match reply {
        Reply::Film { title, .. } | Reply::FeedbackFor { title, .. } => title.clone(),
        Reply::Choices(choices) => choices
            .iter()
            .map(|c| c.label.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        Reply::Hits(hits) => hits
            .iter()
            .map(|h| h.movie.info.display_title())
            .collect::<Vec<_>>()
            .join(", "),
        Reply::Experiments(rows) => rows
            .iter()
            .map(|r| format!("{} ({})", r.key, r.status))
            .collect::<Vec<_>>()
            .join(", "),
        Reply::ExperimentStatus(status) => format!("{}: {}", status.key, status.report.summary),
        Reply::TasteMap(map) => format!(
            "The taste map is ready ({}). {} `marquee taste map --out map.png` writes it as a picture.",
            map.counts(),
            map.caption
        ),
        Reply::TasteGroups(groups) => groups
            .groups()
            .iter()
            .map(|g| format!("{} ({})", g.name, g.size))
            .collect::<Vec<_>>()
            .join(", "),
        Reply::Stats(stats) => format!("{} films, {} users", stats.movies, stats.users),
        Reply::Imported(summary) => summary.to_string(),
        Reply::HistoryImported(summary) => summary.to_string(),
        Reply::Trained(report) => format!("Retrained on {} events.", report.events),
        _ => String::new(),
    }
}

/// Runs the session until `quit` or the end of the input, as `name` in `server`.
/// `interactive` shows a prompt (a terminal); otherwise each line read is echoed after `> `, so
/// a piped transcript reads well. Failures of storage are printed and the session goes on.
///
/// # Errors
/// The name cannot be used, or reading the input or writing the output fails.
pub async fn run(
    app: &App,
    (name, server): (&str, crate::domain::ids::GuildId),
    mut input: impl BufRead,
    mut out: impl Write,
    interactive: bool,
) -> anyhow::Result<()> {
    let name = crate::app::services::check_local_name(name).map_err(anyhow::Error::msg)?;
    let caller = Caller::console(name).in_server(server);
    writeln!(
        out,
        "Marquee console — you are \"{name}\". Type help for the commands, quit to leave."
    )?;
    let mut buffer = Vec::new();
    let mut current_party = None;
    let mut pending_quiz: Option<quiz::Pending> = None;
    let mut choosing = import::Choosing::default();
    loop {
        if interactive {
            write!(out, "marquee> ")?;
        }
        out.flush()?;
        buffer.clear();
        if input.read_until(b'\n', &mut buffer)? == 0 {
            if interactive {
                writeln!(out)?;
            }
            break;
        }
        let line = String::from_utf8_lossy(&buffer);
        let line = line.trim_end_matches(['\n', '\r']);
        if !interactive && !line.trim().is_empty() {
            let shown: String = clean(line).chars().take(200).collect();
            writeln!(out, "> {shown}")?;
        }
        let answer = if choosing.asking() {
            match choosing.read(line) {
                import::Answer::Choose(command) => Some(command),
                import::Answer::Skipped => {
                    choosing.ask(&mut out)?;
                    continue;
                }
                import::Answer::OutOfRange(n) => {
                    writeln!(out, "Type a number from 0 to {n}, or skip.")?;
                    continue;
                }
                import::Answer::Other => None,
            }
        } else {
            pending_quiz.take().and_then(|p| p.read(line))
        };
        let command = match answer {
            Some(command) => Some((caller.clone(), command)),
            None => match parse_line(line) {
                Line::Empty => None,
                Line::Quit => break,
                Line::Error(text) => {
                    writeln!(out, "{text}")?;
                    None
                }
                Line::Command(command) => Some((caller.clone(), command)),
                Line::Party(line) => match party::command(&caller, current_party, line) {
                    Ok(pair) => Some(pair),
                    Err(text) => {
                        writeln!(out, "{text}")?;
                        None
                    }
                },
                Line::Import(path) => match import::read(&path, &mut out) {
                    Ok(command) => Some((caller.clone(), command)),
                    Err(text) => {
                        writeln!(out, "{text}")?;
                        None
                    }
                },
            },
        };
        if let Some((who, command)) = command {
            match app.handle(&who, command).await {
                Ok(reply) => {
                    if let Reply::Lobby(lobby) = &reply {
                        current_party = Some(lobby.party);
                    }
                    if let Reply::Quiz(card) = &reply {
                        pending_quiz = quiz::Pending::of(card);
                    }
                    render(&mut out, &reply, app.reactions())?;
                    if let Reply::HistoryImported(summary) = &reply {
                        choosing = import::Choosing::of(&summary.ambiguous);
                    }
                    choosing.ask(&mut out)?;
                }
                Err(e) => writeln!(out, "Something went wrong: {e:#}. Try again.")?,
            }
        }
        if !interactive {
            writeln!(out)?;
        }
    }
    writeln!(out, "Bye!")?;
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(line: &str) -> Command {
        match parse_line(line) {
            Line::Command(r) => r,
            other => panic!("{line:?}: {other:?}"),
        }
    }

    #[test]
    fn import_takes_a_path_quoted_or_not() {
        let path = |line: &str| match parse_line(line) {
            Line::Import(p) => p.display().to_string(),
            other => panic!("{line:?}: {other:?}"),
        };
        assert_eq!(path("import letterboxd.zip"), "letterboxd.zip");
        assert_eq!(path("/import \"my export.zip\""), "my export.zip");
        assert_eq!(path("import my export.zip"), "my export.zip");
        assert!(matches!(parse_line("import"), Line::Error(e) if e.contains("Which file")));
    }

    #[test]
    fn slash_options_and_plain_words_give_the_same_recommend_request() {
        let recommend = |genre: Option<&str>, count, min_year, max_year| Command::Recommend {
            filters: Filters {
                genre: genre.map(str::to_owned),
                count,
                min_year,
                max_year,
            },
            instead_of: None,
        };
        let expected = recommend(Some("comedy"), Some(5), None, None);
        assert_eq!(command("/recommend genre:comedy count:5"), expected);
        assert_eq!(command("recommend comedy 5"), expected);
        assert_eq!(command("  RECOMMEND   comedy   5  "), expected);
        assert_eq!(
            command("/recommend min_year:1990 max_year:1999"),
            recommend(None, None, Some(1990), Some(1999))
        );
        assert_eq!(
            command("recommend genre:\"film noir\""),
            recommend(Some("film noir"), None, None, None)
        );
        assert!(matches!(parse_line("recommend count:lots"), Line::Error(_)));
    }

    #[test]
    fn rate_takes_the_stars_last_with_or_without_quotes() {
        let rate = |title: &str, stars: f64| Command::Rate {
            title: title.into(),
            stars,
        };
        assert_eq!(command("/rate \"Heat\" 4.5"), rate("Heat", 4.5));
        assert_eq!(command("rate heat 1995 4.5"), rate("heat 1995", 4.5));
        assert_eq!(
            command("rate “The Godfather” 4½"),
            rate("The Godfather", 4.5)
        );
        assert_eq!(command("rate movie:Alien stars:5"), rate("Alien", 5.0));
        assert_eq!(command("rate Alien 5/5"), rate("Alien", 5.0));
        assert_eq!(
            command("rate Alien 9"),
            rate("Alien", 9.0),
            "the app explains the scale"
        );
        for bad in ["rate", "rate 4", "rate \"Heat\"", "rate Heat great"] {
            assert!(matches!(parse_line(bad), Line::Error(_)), "{bad}");
        }
    }

    #[test]
    fn a_review_keeps_its_text_verbatim_after_the_quoted_title() {
        assert_eq!(
            command("/review \"Heat\" Absolutely loved it!!! \"best\" ever"),
            Command::Review {
                title: "Heat".into(),
                text: "Absolutely loved it!!! \"best\" ever".into(),
            }
        );
        assert_eq!(
            command("review \"Heat\""),
            Command::Review {
                title: "Heat".into(),
                text: String::new(),
            },
            "an empty review reaches the app, which explains"
        );
        assert!(
            matches!(parse_line("review Heat loved it"), Line::Error(e) if e.contains("quotes"))
        );
    }

    #[test]
    fn react_and_unreact_take_a_number_and_an_emoji_in_either_order() {
        let react = |position: u32, emoji: &str, removed: bool| Command::React {
            list: None,
            position,
            emoji: emoji.into(),
            removed,
        };
        assert_eq!(command("react 1 👍"), react(1, "👍", false));
        assert_eq!(command("react ❤️ 2"), react(2, "❤️", false));
        assert_eq!(command("unreact 1 👍"), react(1, "👍", true));
        for bad in ["react", "react 1", "react 0 👍", "react a b", "react 1 2"] {
            assert!(matches!(parse_line(bad), Line::Error(_)), "{bad}");
        }
    }

    #[test]
    fn every_command_has_a_short_name_and_unknown_words_point_to_help() {
        assert_eq!(command("help"), Command::Help);
        assert_eq!(command("/profile"), Command::Profile);
        assert_eq!(command("taste"), Command::Taste);
        assert_eq!(command("taste map"), Command::TasteMap);
        assert_eq!(command("/tastemap"), Command::TasteMap);
        assert_eq!(
            command("similar blade runner"),
            Command::Similar {
                title: "blade runner".into(),
                count: None
            }
        );
        assert_eq!(
            command("/seen \"Heat\""),
            Command::Seen {
                title: "Heat".into()
            }
        );
        assert_eq!(parse_line("quit"), Line::Quit);
        assert_eq!(parse_line("   "), Line::Empty);
        assert!(matches!(parse_line("dance"), Line::Error(e) if e.contains("help")));
    }

    #[test]
    fn no_input_makes_the_parser_panic() {
        let long = "x".repeat(10_000);
        let lines = [
            "",
            "\u{0}\u{7}\u{1b}[2J",
            "👍👍👍",
            "\"",
            "rate \"",
            "review \"",
            "review \"unclosed title and text",
            "react 99999999999999 👍",
            "recommend count:99999999999999999999",
            "/",
            "//",
            "\u{202e}rate heat 5",
            long.as_str(),
        ];
        for line in lines {
            let _ = parse_line(line);
        }
        let _ = parse_line(&format!("rate {long} 4"));
        let _ = parse_line(&format!("review \"Heat\" {long}"));
        assert!(clean("a\u{1b}[2Jb\tc").chars().all(|c| !c.is_control()));
    }

    #[test]
    fn help_lists_every_command_and_the_quoting_rule() {
        let help = help_text(&ReactionMap::default());
        for c in COMMANDS {
            assert!(help.contains(c.name), "{}", c.name);
        }
        assert!(help.contains("react N") && help.contains("double quotes"));
        assert!(help.contains("👍 4★") && help.contains("🚫 not interested"));
    }

    #[test]
    fn steer_lines_become_critiques_of_the_latest_answer() {
        let steer = |line: &str| match parse_line(line) {
            Line::Command(Command::Steer { list: None, steer }) => steer,
            other => panic!("{line}: {other:?}"),
        };
        assert_eq!(steer("steer funnier"), Steer::Funnier);
        assert_eq!(steer("steer more 2"), Steer::MoreLike(2));
        assert_eq!(steer("steer seen 1"), Steer::Seen(1));
        for bad in ["steer", "steer more", "steer louder"] {
            assert!(matches!(parse_line(bad), Line::Error(_)), "{bad}");
        }
    }
}
