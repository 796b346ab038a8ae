//! What every front end hands the app: a [`Command`] (what a person asked for) and a [`Caller`]
//! (who asked, and from where). Front ends parse their own input into these; nothing here knows
//! Discord, the terminal or clap.

use crate::domain::feedback::Button;
use crate::domain::ids::{GuildId, MovieId, PartyId};
use std::path::PathBuf;

/// The id of a shown list: the message it is shown in (a Discord message id), or until the
/// front end knows that id, the provisional one the app gave it ([`crate::app::Reply::Picks`]).
pub type ListId = i64;

/// The server of people on this machine when no `--server` is given (also where people known
/// before servers were kept apart went).
pub const LOCAL_SERVER: GuildId = GuildId(0);

/// The server a name given to `--server` stands for on this machine: `local` (or nothing) is
/// [`LOCAL_SERVER`]; a positive number is the Discord server of that id (so the operator can act
/// on a Discord server's data); any other name a stable negative id of its own (Discord's ids
/// are positive, so the two never meet).
pub fn local_server(name: &str) -> GuildId {
    let name = name.trim().to_lowercase();
    if name.is_empty() || name == "local" {
        return LOCAL_SERVER;
    }
    // A Discord server, by its id (what the operator sees in Discord).
    if let Ok(id) = name.parse::<i64>()
        && id > 0
    {
        return GuildId(id);
    }
    // FNV-1a: stable across builds and platforms.
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    GuildId(-1 - i64::try_from(hash >> 2).unwrap_or(0))
}

/// Which front end a command came through; kept on every stored event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    Discord,
    Console,
    Cli,
}

impl Source {
    /// The stable name stored with events.
    pub const fn as_str(self) -> &'static str {
        match self {
            Source::Discord => "discord",
            Source::Console => "console",
            Source::Cli => "cli",
        }
    }
}

/// The person behind a command, as the front end knows them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Person {
    /// A Discord user: their snowflake and display name (kept up to date).
    Discord { id: u64, name: String },
    /// A person typing on this machine, by the name they give (`--user kim`).
    Local(String),
    /// A historical rater of an imported MovieLens data set (`--movielens-user 1`).
    MovieLens(i64),
}

impl Person {
    /// Whether both name the same person (display names aside).
    pub fn same_as(&self, other: &Person) -> bool {
        match (self, other) {
            (Person::Discord { id: a, .. }, Person::Discord { id: b, .. }) => a == b,
            (Person::Local(a), Person::Local(b)) => a.trim() == b.trim(),
            (Person::MovieLens(a), Person::MovieLens(b)) => a == b,
            _ => false,
        }
    }
}

/// Who sent a command, and from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub person: Person,
    pub source: Source,
    /// The server: a Discord server, or one on this machine ([`local_server`]). Everything
    /// about a person is kept per server. `None` only for a Discord direct message.
    pub server: Option<GuildId>,
    pub channel: Option<i64>,
    /// A key naming this delivery (a Discord interaction id): delivered twice, stored once.
    pub delivery_key: Option<String>,
    /// Whether the caller may run the server's experiments (Discord: the Manage Server
    /// permission; a person at this machine: yes).
    pub manages_server: bool,
    /// Whether the caller runs the bot (may start experiments in every server): the person at
    /// this machine, or a Discord user named in `MARQUEE_OPERATORS`.
    pub operator: bool,
}

impl Caller {
    /// A person typing in the console.
    pub fn console(name: &str) -> Self {
        Caller::local(Source::Console, Person::Local(name.to_owned()))
    }

    /// A person running one `marquee …` command.
    pub fn cli(person: Person) -> Self {
        Caller::local(Source::Cli, person)
    }

    fn local(source: Source, person: Person) -> Self {
        Caller {
            person,
            source,
            server: Some(LOCAL_SERVER),
            channel: None,
            delivery_key: None,
            manages_server: true,
            operator: true,
        }
    }

    /// The same person in server `server` (`--server NAME` on this machine).
    #[must_use]
    pub fn in_server(self, server: GuildId) -> Self {
        Caller {
            server: Some(server),
            ..self
        }
    }

    /// The same place and delivery, another person (a friend voting on the console with
    /// `as:NAME`, a member invited to a watch party).
    #[must_use]
    pub fn as_person(&self, person: Person) -> Self {
        Caller {
            person,
            ..self.clone()
        }
    }
}

/// The filters of a `/recommend` (also kept on its "Refresh" button).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Filters {
    /// A genre name ("comedy", "Sci-Fi"); checked by the app.
    pub genre: Option<String>,
    /// How many picks; [`crate::app::picks::DEFAULT_COUNT`] when `None`.
    pub count: Option<usize>,
    pub min_year: Option<i32>,
    pub max_year: Option<i32>,
}

/// A critique of the last `/ask` answer (a button, or `steer …` on the console).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Steer {
    /// More like the answer's film N (1-based).
    MoreLike(u32),
    /// "Seen it" for the answer's film N.
    Seen(u32),
    Funnier,
    Darker,
    Older,
    Newer,
    Shorter,
    /// Something else entirely ("Surprise me" under the clarifying question).
    SomethingElse,
    /// A genre chosen under the clarifying question.
    Genre(String),
}

/// Someone the host names for a watch party.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitee {
    pub person: Person,
    /// How to show them: a Discord mention (`<@123>`, shown as their name and never pinging),
    /// or a name typed on the console.
    pub label: String,
    pub bot: bool,
    /// Whether they are a member of the server (`None`: not known).
    pub member: Option<bool>,
}

impl Invitee {
    /// A friend named on the console (the person at the keyboard speaks for them).
    pub fn local(name: &str) -> Self {
        Invitee {
            person: Person::Local(name.to_owned()),
            label: name.to_owned(),
            bot: false,
            member: Some(true),
        }
    }
}

/// The options of a new watch party.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PartyStart {
    /// The people the host names. On Discord they are invited and count only once they press
    /// Join; friends named on the console join at once.
    pub invited: Vec<Invitee>,
    /// A strategy name ("approval", "least_misery"); the server's experiment or the default
    /// when `None`.
    pub strategy: Option<String>,
    /// Longest runtime in minutes.
    pub max_runtime: Option<i32>,
    /// A genre name.
    pub genre: Option<String>,
    /// When the movie night starts, as typed ("in 2h", "2026-12-05 20:00"), for a scheduled
    /// event.
    pub when: Option<String>,
    /// How long the vote stays open; the default when `None`.
    pub vote_minutes: Option<u32>,
    /// Tallies hidden until the vote closes.
    pub anonymous: bool,
}

/// A watch-party action. A button's action (`Join` … `Close`) names the party it is for and,
/// on Discord, the `message` the button was pressed on: the app acts only on a party of the
/// caller's server, and only through its lobby or vote message once that is known (`None`: the
/// console, where there are no messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartyCommand {
    /// Open a lobby hosted by the caller.
    Start(PartyStart),
    Join {
        party: PartyId,
        message: Option<i64>,
    },
    Leave {
        party: PartyId,
        message: Option<i64>,
    },
    /// The host closes the lobby: the shortlist is computed and the vote opens.
    Pick {
        party: PartyId,
        message: Option<i64>,
    },
    /// Approve (or take back approval of) shortlist film `position` (1-based).
    Vote {
        party: PartyId,
        position: u32,
        message: Option<i64>,
    },
    /// The host ends the vote now.
    Close {
        party: PartyId,
        message: Option<i64>,
    },
    /// This server's last movie nights.
    History,
    /// The front end showed the lobby (`vote == false`) or the vote in `message`.
    Posted {
        party: PartyId,
        vote: bool,
        message: i64,
    },
    /// The front end made a scheduled event for the party.
    EventCreated { party: PartyId, event: i64 },
}

/// An experiment action (server admins only). `everywhere` acts on the run in every server,
/// which only the bot's operator may start or stop (and see pooled).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabCommand {
    List,
    Start {
        key: String,
        everywhere: bool,
    },
    Stop {
        key: String,
        everywhere: bool,
    },
    /// The analysis so far, with a chart.
    Status {
        key: String,
        everywhere: bool,
    },
}

/// A privacy request about the caller in their server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrivacyCommand {
    /// What is kept, with counts.
    Show,
    /// Everything, as JSON a person can read.
    Export,
    /// Delete everything (in every server with `everywhere`); without `confirmed` the answer
    /// asks to confirm.
    Forget { everywhere: bool, confirmed: bool },
}

/// A public data set to import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportSource {
    /// A MovieLens folder (100K, 1M, 10M, 20M, 25M, latest-small; detected from its files).
    MovieLens(PathBuf),
    /// TMDB's `tmdb_5000_movies.csv`.
    Tmdb(PathBuf),
}

/// Everything a person can ask Marquee for, from any front end.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Personal picks. `instead_of`: a list shown before, whose films are left out ("Refresh");
    /// it must have been shown to the caller in their server ([`crate::app::guard`]).
    Recommend {
        filters: Filters,
        instead_of: Option<ListId>,
    },
    /// Films like the one named; `count` defaults to [`crate::app::picks::DEFAULT_COUNT`].
    Similar {
        title: String,
        count: Option<usize>,
    },
    /// Films like the one at `position` (1-based) of a list shown to the caller ("More like #1").
    MoreLike {
        list: ListId,
        position: u32,
    },
    /// An explicit rating (0.5 to 5 in half steps; checked by the app).
    Rate {
        title: String,
        stars: f64,
    },
    /// "I have seen it".
    Seen {
        title: String,
    },
    /// A review, read with VADER.
    Review {
        title: String,
        text: String,
    },
    /// An emoji added to (or taken back from) the film at `position` of a list (`None`: the
    /// caller's latest list).
    React {
        list: Option<ListId>,
        position: u32,
        emoji: String,
        removed: bool,
    },
    /// A feedback button pressed on the film at `position` of a list shown to the caller.
    Feedback {
        list: ListId,
        position: u32,
        button: Button,
    },
    /// The feedback buttons for the film at `position` of a list shown to the caller (the menu
    /// under a list).
    FeedbackFor {
        list: ListId,
        position: u32,
    },
    /// The film a title names (before opening a review form).
    FindFilm {
        title: String,
    },
    /// Films whose title starts like (or resembles) `partial`, for an autocomplete menu.
    Autocomplete {
        partial: String,
        limit: usize,
    },
    /// Top genres, taste group and counts.
    Profile,
    /// The caller's taste group.
    Taste,
    /// The server's taste map as a picture, with the caller on it.
    TasteMap,
    /// The taste groups of the caller's server at the last training (`imported`: those of the
    /// imported raters, the shared base).
    TasteGroups {
        imported: bool,
    },
    /// A conversation turn: a new wish, or (unless `fresh`) a refinement of the open one.
    Ask {
        text: String,
        fresh: bool,
    },
    /// A critique of an `/ask` answer shown to the caller in `list` (`None`: the caller's latest
    /// list).
    Steer {
        list: Option<ListId>,
        steer: Steer,
    },
    Party(PartyCommand),
    Lab(LabCommand),
    Privacy(PrivacyCommand),
    /// The front end showed list `list` in message `message`: reactions on it now find its
    /// films.
    Posted {
        list: ListId,
        message: i64,
    },
    /// Films matching a query, best first.
    SearchCatalog {
        query: String,
        limit: usize,
    },
    /// Counts of films, links, people and feedback.
    CatalogStats,
    /// Import a public data set.
    Import {
        source: ImportSource,
        quiet: bool,
    },
    /// Import the caller's history from another site's export (`name`, the file's name, only
    /// names it in messages); `expected` is the site they said it comes from.
    ImportHistory {
        name: String,
        bytes: Vec<u8>,
        expected: Option<crate::domain::history::HistorySource>,
    },
    /// The film the caller meant for a row of their history import that fit several (`choice`:
    /// the row's id from [`crate::app::history::Ambiguity::choice`]); `None`: none of them.
    ChooseHistory {
        choice: i64,
        movie: Option<MovieId>,
    },
    /// Retrain the recommender and the taste groups now.
    Train,
    /// Every command, one line each.
    Help,
    /// A step of the taste quiz: start it, answer its current film, or stop it.
    Quiz(QuizStep),
}

impl Command {
    /// `/recommend count:N`, no other filter.
    pub fn recommend(count: usize) -> Self {
        Command::Recommend {
            filters: Filters {
                count: Some(count),
                ..Filters::default()
            },
            instead_of: None,
        }
    }

    /// `emoji` added to film `position` of the caller's latest list.
    pub fn react(position: u32, emoji: &str) -> Self {
        Command::React {
            list: None,
            position,
            emoji: emoji.to_owned(),
            removed: false,
        }
    }
}

/// Where a taste quiz stands. The front end keeps it (in the buttons of the quiz message, or
/// the console's session) and hands it back with each answer; the answers with stars are
/// stored as ratings, so nothing else needs keeping.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuizStep {
    /// The film just answered, and how (`None`: start, or go on where it stood).
    pub answer: Option<(MovieId, crate::domain::quiz::QuizAnswer)>,
    /// Answers with stars given so far in this quiz.
    pub rated: u32,
    /// Films asked in this quiz that the person had not seen (never asked again).
    pub not_seen: Vec<MovieId>,
    /// Stop now (the answers given so far stay).
    pub stop: bool,
}
