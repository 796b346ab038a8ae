//! `marquee demo`: a small server with planted tastes, played end to end. Members rate, review
//! and react, a newcomer takes the taste quiz, Marquee retrains, the server holds a watch party
//! with a vote, and an admin runs an experiment; each step is a narrator's line (`▸ …`) and
//! what Marquee answers, as the console shows it.
//!
//! Everything goes through [`App::handle`], as on Discord and the console, on a new SQLite
//! database in a temporary folder ([`App::open_demo`]): the configured database is never
//! opened, and the folder is deleted at the end. The app's clock starts at a fixed evening and
//! every choice is scripted, so the demo prints the same every time.

use super::catalog::{write_hits, write_stats};
use super::experiment::write_status;
use super::serve::HOW_TO_CONNECT;
use crate::app::command::Invitee;
use crate::app::quiz::{QuizCard, QuizFilm};
use crate::app::reply::{PickLine, ShortFilm};
use crate::app::{
    App, Caller, Command, Filters, LabCommand, PartyCommand, PartyStart, PrivacyCommand, QuizStep,
    Reply,
};
use crate::config::Config;
use crate::domain::ids::{GuildId, PartyId};
use crate::domain::quiz::QuizAnswer;
use crate::inbound::console;
use anyhow::Context as _;
use std::io::Write;
use std::process::ExitCode;

/// The demo server's name (its id is the one `--server "Movie Club"` names).
const SERVER: &str = "Movie Club";

/// A member of the demo server and the taste planted in them.
#[derive(Debug)]
struct Member {
    name: &'static str,
    /// How the narrator introduces them: "sci-fi fan".
    taste: &'static str,
    /// The genres they love, as the catalog names them.
    loves: &'static [&'static str],
    /// Their first ratings: title, year, stars.
    ratings: &'static [(&'static str, i32, f64)],
}

impl Member {
    /// How many of `genres` they love.
    fn fits(&self, genres: &[String]) -> usize {
        genres
            .iter()
            .filter(|g| self.loves.contains(&g.as_str()))
            .count()
    }
}

const ANA: Member = Member {
    name: "Ana",
    taste: "sci-fi fan",
    loves: &["Sci-Fi"],
    ratings: &[
        ("Alien", 1979, 5.0),
        ("Blade Runner", 1982, 5.0),
        ("The Matrix", 1999, 4.5),
        ("2001: A Space Odyssey", 1968, 4.0),
        ("Interstellar", 2014, 4.5),
        ("Notting Hill", 1999, 2.0),
    ],
};

const BEN: Member = Member {
    name: "Ben",
    taste: "comedy fan",
    loves: &["Comedy"],
    ratings: &[
        ("Groundhog Day", 1993, 5.0),
        ("Airplane!", 1980, 4.5),
        ("The Big Lebowski", 1998, 5.0),
        ("Monty Python and the Holy Grail", 1975, 4.5),
        ("Superbad", 2007, 4.0),
        ("The Exorcist", 1973, 1.5),
    ],
};

const CLEO: Member = Member {
    name: "Cleo",
    taste: "horror fan",
    loves: &["Horror"],
    ratings: &[
        ("The Shining", 1980, 5.0),
        ("Halloween", 1978, 4.5),
        ("The Exorcist", 1973, 5.0),
        ("Get Out", 2017, 4.5),
        ("Hereditary", 2018, 4.0),
        ("Love Actually", 2003, 1.5),
    ],
};

const DEV: Member = Member {
    name: "Dev",
    taste: "drama and classics fan",
    loves: &["Drama", "Crime"],
    ratings: &[
        ("The Godfather", 1972, 5.0),
        ("12 Angry Men", 1957, 5.0),
        ("Tokyo Story", 1953, 4.5),
        ("The Godfather Part II", 1974, 4.5),
        ("Rashomon", 1950, 4.0),
        ("Superbad", 2007, 1.5),
    ],
};

/// The newcomer: no ratings yet, so she takes the quiz.
const FAY: Member = Member {
    name: "Fay",
    taste: "new here; loves comedies and romances",
    loves: &["Comedy", "Romance"],
    ratings: &[],
};

/// The members who rate first, in the order they do.
const RATERS: [&Member; 4] = [&ANA, &BEN, &CLEO, &DEV];
/// Everyone, the newcomer last.
const EVERYONE: [&Member; 5] = [&ANA, &BEN, &CLEO, &DEV, &FAY];

/// The newcomer has not seen one film older than this the quiz asks about.
const FAY_SEEN_FROM: i32 = 1960;
/// The quiz films the newcomer answers at most (the quiz itself may ask more).
const QUIZ_FILMS: usize = 8;

/// The starts of lines the console prints under every answer of a kind (how to react, how to
/// answer the quiz, …): the demo shows each once.
const HINTS: [&str; 6] = [
    "React with:",
    "  Answer:",
    "Not quite right?",
    "Next: party join",
    "New here? Type quiz",
    "Type recommend for your picks",
];

/// `marquee demo`: plays the story on a temporary database and prints it.
///
/// # Errors
/// The temporary database cannot be made, or a step fails in storage or the models.
pub(super) async fn demo(config: &Config) -> anyhow::Result<ExitCode> {
    let dir = tempfile::Builder::new()
        .prefix("marquee-demo-")
        .tempdir()
        .context("making a temporary folder for the demo's database")?;
    let app = App::open_demo(dir.path()).await?;
    let result = play(&app, &config.database_shown(), std::io::stdout()).await;
    app.close().await;
    result.map(|()| ExitCode::SUCCESS)
}

/// Plays the whole story on `app` (a demo app: its database is thrown away), writing it to
/// `out`; `database` is the configured database, named to say it is not touched.
///
/// # Errors
/// A step fails in storage or the models, or writing fails.
async fn play(app: &App, database: &str, out: impl Write) -> anyhow::Result<()> {
    let mut story = Story {
        app,
        out,
        server: crate::app::local_server(SERVER),
        hints_shown: Vec::new(),
        chapters: 0,
    };
    opening(&mut story, database).await?;
    ratings(&mut story).await?;
    review_and_reaction(&mut story).await?;
    quiz(&mut story).await?;
    training(&mut story).await?;
    watch_party(&mut story).await?;
    experiment(&mut story).await?;
    closing(&mut story).await?;
    story.out.flush()?;
    Ok(())
}

/// The story being told: the app, where it is written, and what was shown already.
struct Story<'a, W: Write> {
    app: &'a App,
    out: W,
    server: GuildId,
    /// The [`HINTS`] already shown.
    hints_shown: Vec<&'static str>,
    chapters: u32,
}

impl<W: Write> Story<'_, W> {
    /// `member` does `command` in the demo server; Marquee's answer.
    async fn run(&self, member: &Member, command: Command) -> anyhow::Result<Reply> {
        let caller = Caller::console(member.name).in_server(self.server);
        self.app.handle(&caller, command).await
    }

    /// `member` does `command`, and the answer is shown.
    async fn show_run(&mut self, member: &Member, command: Command) -> anyhow::Result<Reply> {
        let reply = self.run(member, command).await?;
        self.show(&reply)?;
        Ok(reply)
    }

    /// A chapter's title.
    fn chapter(&mut self, title: &str) -> std::io::Result<()> {
        self.chapters += 1;
        writeln!(self.out, "\n━━ {}. {title} ━━", self.chapters)
    }

    /// A narrator's line: what someone does.
    fn act(&mut self, what: &str) -> std::io::Result<()> {
        writeln!(self.out, "▸ {what}")
    }

    /// Text from Marquee, indented under the narrator's line (each hint once).
    fn bot(&mut self, text: &str) -> std::io::Result<()> {
        for line in text.lines() {
            if let Some(hint) = HINTS.iter().find(|h| line.starts_with(**h)) {
                if self.hints_shown.contains(hint) {
                    continue;
                }
                self.hints_shown.push(hint);
            }
            writeln!(self.out, "    {line}")?;
        }
        Ok(())
    }

    /// A reply as the console shows it.
    fn show(&mut self, reply: &Reply) -> std::io::Result<()> {
        let mut text = Vec::new();
        console::render(&mut text, reply, self.app.reactions())?;
        self.bot(&String::from_utf8_lossy(&text))
    }
}

/// Titles joined for a narrator's line: "Alien 5★, Heat 4★".
fn rated_list(ratings: &[(&str, i32, f64)]) -> String {
    ratings
        .iter()
        .map(|(title, _, stars)| format!("{title} {stars}★"))
        .collect::<Vec<_>>()
        .join(", ")
}

async fn opening<W: Write>(story: &mut Story<'_, W>, database: &str) -> anyhow::Result<()> {
    let Reply::Stats(stats) = story.run(&ANA, Command::CatalogStats).await? else {
        anyhow::bail!("the app answered catalog stats with something else");
    };
    writeln!(
        story.out,
        "Marquee — a movie-night bot that learns your server's taste.\n\
         No DISCORD_TOKEN is set, so here is a small Discord server, \"{SERVER}\", played end to end:\n\
         five members with planted tastes, on the built-in catalog ({} films), in a temporary\n\
         database of its own (your database, {database}, is not touched).\n\
         ▸ lines are what members do; the indented lines are what Marquee answers.",
        stats.movies
    )?;
    story.chapter("Finding films")?;
    let query = "godfahter";
    story.act(&format!(
        "Ana looks a film up the way people type it: \"{query}\""
    ))?;
    let command = Command::SearchCatalog {
        query: query.to_owned(),
        limit: 3,
    };
    let Reply::Hits(hits) = story.run(&ANA, command).await? else {
        anyhow::bail!("the app answered a search with something else");
    };
    let mut text = Vec::new();
    write_hits(&mut text, query, &hits)?;
    story.bot(&String::from_utf8_lossy(&text))?;
    Ok(())
}

async fn ratings<W: Write>(story: &mut Story<'_, W>) -> anyhow::Result<()> {
    story.chapter("Members rate films")?;
    for (i, member) in RATERS.into_iter().enumerate() {
        story.act(&format!(
            "{} ({}) rates {}",
            member.name,
            member.taste,
            rated_list(member.ratings)
        ))?;
        let mut stored = Vec::new();
        for (j, (title, year, stars)) in member.ratings.iter().enumerate() {
            let command = Command::Rate {
                title: format!("{title} {year}"),
                stars: *stars,
            };
            let reply = story.run(member, command).await?;
            match &reply {
                // The first answer as the console gives it; the others in one line.
                Reply::Rated { .. } if i == 0 && j == 0 => story.show(&reply)?,
                Reply::Rated { title, stars } => stored.push(format!("{title} {stars}★")),
                other => story.show(other)?,
            }
        }
        if !stored.is_empty() {
            story.bot(&format!("Rated {}.", stored.join(" · ")))?;
        }
    }
    Ok(())
}

async fn review_and_reaction<W: Write>(story: &mut Story<'_, W>) -> anyhow::Result<()> {
    story.chapter("A review and a reaction")?;
    let text =
        "Hilarious and weirdly sweet, I laughed the whole way through! Best zombie comedy ever.";
    story.act(&format!(
        "Ben reviews Shaun of the Dead: \"{text}\" (Marquee reads it with VADER)"
    ))?;
    let review = Command::Review {
        title: "Shaun of the Dead 2004".to_owned(),
        text: text.to_owned(),
    };
    story.show_run(&BEN, review).await?;
    story.act("Cleo asks for picks: /recommend count:3")?;
    story.show_run(&CLEO, Command::recommend(3)).await?;
    story.act("Cleo reacts ❤️ under the list (a reaction on a list is about its first film)")?;
    story.show_run(&CLEO, Command::react(1, "❤️")).await?;
    Ok(())
}

/// How the newcomer answers a quiz film: loved if it is a comedy and a romance, liked if one
/// of the two, else not for her, except that she has not seen the first older film of neither
/// kind (`not_seen`: films she has not seen so far in this quiz).
fn fay_answers(film: &QuizFilm, not_seen: usize) -> QuizAnswer {
    let year = film
        .title_with_year
        .rsplit_once('(')
        .and_then(|(_, y)| y.trim_end_matches(')').parse::<i32>().ok());
    match FAY.fits(&film.genres) {
        0 if not_seen == 0 && year.is_some_and(|y| y < FAY_SEEN_FROM) => QuizAnswer::NotSeen,
        0 => QuizAnswer::NotForMe,
        1 => QuizAnswer::Liked,
        _ => QuizAnswer::Loved,
    }
}

async fn quiz<W: Write>(story: &mut Story<'_, W>) -> anyhow::Result<()> {
    story.chapter("A newcomer takes the taste quiz")?;
    story.act(&format!(
        "Fay joins the server ({}) and types /quiz",
        FAY.taste
    ))?;
    let mut reply = story
        .show_run(&FAY, Command::Quiz(QuizStep::default()))
        .await?;
    let mut answered = 0;
    while let Reply::Quiz(card) = &reply {
        let card: &QuizCard = card;
        let Some(film) = &card.film else { break };
        // Once her picks are personal (or after a few films), she stops.
        if card.personal() || answered == QUIZ_FILMS {
            story.act("Fay: stop")?;
            let stop = QuizStep {
                answer: None,
                stop: true,
                ..card.step.clone()
            };
            story.show_run(&FAY, Command::Quiz(stop)).await?;
            break;
        }
        let answer = fay_answers(film, card.step.not_seen.len());
        story.act(&format!("Fay: {} {}", answer.emoji(), answer.label()))?;
        let step = QuizStep {
            answer: Some((film.movie, answer)),
            ..card.step.clone()
        };
        reply = story.show_run(&FAY, Command::Quiz(step)).await?;
        answered += 1;
    }
    story.act("Fay: /recommend count:3")?;
    story.show_run(&FAY, Command::recommend(3)).await?;
    Ok(())
}

async fn training<W: Write>(story: &mut Story<'_, W>) -> anyhow::Result<()> {
    story.chapter("Marquee retrains and finds taste groups")?;
    story.act("Marquee retrains (hourly on Discord; `marquee train` on this machine)")?;
    let Reply::Trained(report) = story.run(&ANA, Command::Train).await? else {
        anyhow::bail!("the app answered train with something else");
    };
    story.bot(&format!(
        "Trained on {} feedback events: {} taste group{}, {} people placed.",
        report.events,
        report.taste_groups,
        if report.taste_groups == 1 { "" } else { "s" },
        report.grouped_users
    ))?;
    story.act("Fay: /taste")?;
    story.show_run(&FAY, Command::Taste).await?;
    story.act("Ana: /profile")?;
    story.show_run(&ANA, Command::Profile).await?;
    Ok(())
}

/// The shortlist positions `member` approves: the (at most) two films Marquee guesses they
/// like best, if it guesses 4★ or more, or else the one it guesses best for them.
fn approvals(member: &Member, shortlist: &[ShortFilm]) -> Vec<u32> {
    let guess = |f: &ShortFilm| {
        f.guesses
            .iter()
            .find(|g| g.member == member.name)
            .and_then(|g| g.stars)
            .unwrap_or(0.0)
    };
    let mut best: Vec<&ShortFilm> = shortlist.iter().collect();
    // Best guess first; the shortlist's order among equals.
    best.sort_by(|a, b| {
        guess(b)
            .total_cmp(&guess(a))
            .then(a.position.cmp(&b.position))
    });
    let liked = best.iter().take_while(|f| guess(f) >= 4.0).count();
    best.iter()
        .take(liked.clamp(1, 2))
        .map(|f| f.position)
        .collect()
}

async fn watch_party<W: Write>(story: &mut Story<'_, W>) -> anyhow::Result<()> {
    story.chapter("A watch party with a vote")?;
    let guests: Vec<&Member> = EVERYONE
        .into_iter()
        .filter(|m| m.name != ANA.name)
        .collect();
    let names: Vec<&str> = guests.iter().map(|m| m.name).collect();
    story.act(&format!(
        "Ana hosts a movie night with {}: /watchparty start (on Discord each presses Join)",
        names.join(", ")
    ))?;
    let start = PartyStart {
        invited: names.iter().map(|n| Invitee::local(n)).collect(),
        ..PartyStart::default()
    };
    let reply = story
        .show_run(&ANA, Command::Party(PartyCommand::Start(start)))
        .await?;
    let Reply::Lobby(lobby) = reply else {
        anyhow::bail!("the app answered the party's start with something else");
    };
    let party = lobby.party;
    story.act(
        "Ana presses Pick: one shortlist for the whole group, with each member's guessed stars",
    )?;
    let pick = PartyCommand::Pick {
        party,
        message: None,
    };
    let Reply::Vote(vote) = story.show_run(&ANA, Command::Party(pick)).await? else {
        anyhow::bail!("the app answered the party's pick with something else");
    };
    // Everyone but Dev approves the films Marquee guesses they'd like; Dev is late.
    let mut last = None;
    for member in EVERYONE.into_iter().filter(|m| m.name != DEV.name) {
        let Some(closed) = votes(story, member, party, &vote.shortlist, &mut last).await? else {
            continue;
        };
        // Everyone voted: the vote closed by itself.
        story.show(&closed)?;
        return Ok(());
    }
    if let Some(tally) = last {
        story.bot(&tally)?;
    }
    story.act("Dev is running late, so Ana closes the vote")?;
    let close = PartyCommand::Close {
        party,
        message: None,
    };
    story.show_run(&ANA, Command::Party(close)).await?;
    Ok(())
}

/// `member` approves their films of `shortlist`: what Marquee answers each vote, in one line
/// each (the vote message itself is updated in place on Discord). `tally` keeps who has voted
/// so far; a vote that closes the party is handed back.
async fn votes<W: Write>(
    story: &mut Story<'_, W>,
    member: &Member,
    party: PartyId,
    shortlist: &[ShortFilm],
    tally: &mut Option<String>,
) -> anyhow::Result<Option<Reply>> {
    let positions = approvals(member, shortlist);
    let titles: Vec<String> = positions
        .iter()
        .filter_map(|p| shortlist.iter().find(|f| f.position == *p))
        .map(|f| format!("{}. {}", f.position, f.title))
        .collect();
    story.act(&format!(
        "{} approves {}",
        member.name,
        titles.join(" and ")
    ))?;
    for position in positions {
        let vote = PartyCommand::Vote {
            party,
            position,
            message: None,
        };
        match story.run(member, Command::Party(vote)).await? {
            Reply::Vote(state) => {
                story.bot(&state.note)?;
                *tally = Some(format!(
                    "Voted {}/{}: {}.",
                    state.voted.len(),
                    state.members.len(),
                    state.voted.join(", ")
                ));
            }
            closed @ Reply::Closed(_) => return Ok(Some(closed)),
            other => story.show(&other)?,
        }
    }
    Ok(None)
}

/// The experiment the demo runs: the first one of the file that splits people.
async fn experiment_key<W: Write>(story: &Story<'_, W>) -> anyhow::Result<Option<String>> {
    let Reply::Experiments(rows) = story.run(&ANA, Command::Lab(LabCommand::List)).await? else {
        anyhow::bail!("the app answered the experiment list with something else");
    };
    Ok(rows.into_iter().find(|r| r.unit == "user").map(|r| r.key))
}

async fn experiment<W: Write>(story: &mut Story<'_, W>) -> anyhow::Result<()> {
    let Some(key) = experiment_key(story).await? else {
        return Ok(());
    };
    story.chapter("An experiment")?;
    story.act(&format!(
        "Ana, the server's admin, starts an A/B test of the recommender: /experiment start {key}"
    ))?;
    let start = LabCommand::Start {
        key: key.clone(),
        everywhere: false,
    };
    story.show_run(&ANA, Command::Lab(start)).await?;
    for member in EVERYONE {
        story.act(&format!("{}: /recommend count:3", member.name))?;
        let reply = story.show_run(member, Command::recommend(3)).await?;
        let Reply::Picks { items, list, .. } = reply else {
            continue;
        };
        react_to_picks(story, member, &items, list).await?;
    }
    story.act("Whose lists count for which variant? Each member's /privacy export says:")?;
    let mut variants = Vec::new();
    for member in EVERYONE {
        if let Reply::PrivacyExport { json, .. } = story
            .run(member, Command::Privacy(PrivacyCommand::Export))
            .await?
        {
            let value: serde_json::Value = serde_json::from_str(&json)?;
            let variant = value["experiments"]
                .as_array()
                .and_then(|all| all.iter().find(|e| e["experiment"] == key.as_str()))
                .and_then(|e| e["variant"].as_str())
                .unwrap_or("none")
                .to_owned();
            variants.push(format!("{} {variant}", member.name));
        }
    }
    story.bot(&variants.join(" · "))?;
    story.act(&format!(
        "Ana: /experiment status {key} (on Discord with a chart of the like rate)"
    ))?;
    let status = LabCommand::Status {
        key,
        everywhere: false,
    };
    match story.run(&ANA, Command::Lab(status)).await? {
        Reply::ExperimentStatus(status) => {
            let mut text = Vec::new();
            write_status(&mut text, &status)?;
            story.bot(&String::from_utf8_lossy(&text))?;
        }
        other => story.show(&other)?,
    }
    Ok(())
}

/// `member` reacts 👍 to the picks of `list` that fit their taste; with none, they turn the
/// first down (🚫) and press Refresh.
async fn react_to_picks<W: Write>(
    story: &mut Story<'_, W>,
    member: &Member,
    items: &[PickLine],
    list: crate::app::ListId,
) -> anyhow::Result<()> {
    let liked: Vec<u32> = items
        .iter()
        .filter(|p| member.fits(&p.genres) > 0)
        .map(|p| p.position)
        .collect();
    if liked.is_empty() {
        story.act(&format!(
            "{} is not interested in #1 (🚫) and presses Refresh",
            member.name
        ))?;
        story.show_run(member, Command::react(1, "🚫")).await?;
        let refresh = Command::Recommend {
            filters: Filters {
                count: Some(items.len()),
                ..Filters::default()
            },
            instead_of: Some(list),
        };
        story.show_run(member, refresh).await?;
        return Ok(());
    }
    let shown: Vec<String> = liked.iter().map(|p| format!("#{p}")).collect();
    story.act(&format!(
        "{} reacts 👍 on {}",
        member.name,
        shown.join(" and ")
    ))?;
    for position in liked {
        story
            .show_run(member, Command::react(position, "👍"))
            .await?;
    }
    Ok(())
}

async fn closing<W: Write>(story: &mut Story<'_, W>) -> anyhow::Result<()> {
    story.chapter("What the server's database holds now")?;
    let Reply::Stats(stats) = story.run(&ANA, Command::CatalogStats).await? else {
        anyhow::bail!("the app answered catalog stats with something else");
    };
    let mut text = Vec::new();
    write_stats(&mut text, &stats)?;
    story.bot(&String::from_utf8_lossy(&text))?;
    writeln!(
        story.out,
        "\nThat database is gone now. Try it yourself: `marquee console --user YOU` has the same\n\
         commands (rate, review, react, quiz, recommend, party start …, help), or\n\
         `marquee rate --user YOU \"Alien\" 5`, then `marquee recommend --user YOU`.\n\n{HOW_TO_CONNECT}"
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quiz_film(title_with_year: &str, genres: &[&str]) -> QuizFilm {
        QuizFilm {
            movie: crate::domain::ids::MovieId(1),
            title_with_year: title_with_year.to_owned(),
            genres: genres.iter().map(|g| (*g).to_owned()).collect(),
            directors: Vec::new(),
            overview: String::new(),
        }
    }

    #[test]
    fn the_newcomer_answers_the_quiz_from_her_planted_taste() {
        let answer = |t: &str, g: &[&str]| fay_answers(&quiz_film(t, g), 0);
        assert_eq!(
            answer("Notting Hill (1999)", &["Comedy", "Romance"]),
            QuizAnswer::Loved
        );
        assert_eq!(answer("Superbad (2007)", &["Comedy"]), QuizAnswer::Liked);
        assert_eq!(answer("Alien (1979)", &["Horror"]), QuizAnswer::NotForMe);
        assert_eq!(answer("Rashomon (1950)", &["Drama"]), QuizAnswer::NotSeen);
        assert_eq!(
            fay_answers(&quiz_film("Rashomon (1950)", &["Drama"]), 1),
            QuizAnswer::NotForMe,
            "she has not seen one old film; the others are not for her"
        );
    }

    #[test]
    fn members_approve_what_they_are_guessed_to_like_or_else_their_best_guess() {
        use crate::app::reply::Guess;
        let film = |position: u32, ana: Option<f64>| ShortFilm {
            position,
            movie: crate::domain::ids::MovieId(i64::from(position)),
            title: format!("Film {position}"),
            reason: String::new(),
            guesses: vec![Guess {
                member: "Ana".to_owned(),
                stars: ana,
            }],
            votes: None,
        };
        let list = [film(1, Some(3.5)), film(2, Some(4.0)), film(3, Some(4.5))];
        assert_eq!(approvals(&ANA, &list), vec![3, 2], "best first");
        let keen = [film(1, Some(4.5)), film(2, Some(5.0)), film(3, Some(4.5))];
        assert_eq!(approvals(&ANA, &keen), vec![2, 1], "two at most");
        let lukewarm = [film(1, Some(3.0)), film(2, None), film(3, Some(3.5))];
        assert_eq!(approvals(&ANA, &lukewarm), vec![3]);
        assert_eq!(approvals(&BEN, &lukewarm), vec![1], "no guess: the first");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_story_plays_the_same_twice() {
        let mut runs = Vec::new();
        for _ in 0..2 {
            let dir = tempfile::tempdir().expect("dir");
            let app = App::open_demo(dir.path()).await.expect("app");
            let mut out = Vec::new();
            play(&app, "sqlite://marquee.db", &mut out)
                .await
                .expect("the story plays");
            app.close().await;
            runs.push(String::from_utf8(out).expect("utf-8"));
        }
        assert!(runs[0].contains("Taste quiz · film"), "{}", runs[0]);
        assert_eq!(runs[0], runs[1], "the demo prints the same every time");
    }
}
