//! What the app answers: one [`Reply`] for every command, carrying data and plain sentences.
//! No Discord or terminal formatting lives here; each front end renders replies its own way.

use crate::app::command::ListId;
use crate::app::help::CommandHelp;
use crate::domain::catalog::search::MatchKind;
use crate::domain::catalog::{CatalogStats, Genre, Movie};
use crate::domain::experiment::Report;
use crate::domain::group::Strategy;
use crate::domain::ids::{GuildId, MovieId, PartyId};
use crate::domain::ports::Surface;
use crate::domain::taste::TasteGroups;
use serde::{Deserialize, Serialize};

pub use crate::app::training::TrainReport;
pub use crate::outbound::import::ImportSummary;

/// One numbered film of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct PickLine {
    /// 1-based, as shown; what `react N` names.
    pub position: u32,
    pub movie: MovieId,
    /// "Heat".
    pub title: String,
    pub year: Option<i32>,
    /// "Heat (1995)".
    pub title_with_year: String,
    /// Up to three genre names.
    pub genres: Vec<String>,
    /// Why it was picked, one line ("because you liked Alien (1979)").
    pub reason: String,
}

impl std::fmt::Display for PickLine {
    /// The plain-text line of a list: `  1. Heat (1995)  [Action, Crime]  — because …`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:>3}. {}  [{}]  — {}",
            self.position,
            self.title_with_year,
            self.genres.join(", "),
            self.reason
        )
    }
}

/// How a review was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mood {
    Loved,
    Liked,
    Neutral,
    NotForYou,
}

impl Mood {
    /// How a scored review reads: neutral inside VADER's ±0.05 band, else by the implied
    /// rating (4★ and up loved, 3★ and up liked).
    pub fn of(review: &crate::domain::sentiment::ReviewSentiment) -> Self {
        if review.is_neutral() {
            Mood::Neutral
        } else if review.rating >= 4.0 {
            Mood::Loved
        } else if review.rating >= 3.0 {
            Mood::Liked
        } else {
            Mood::NotForYou
        }
    }

    /// The phrase for the reply: "sounds like you loved it".
    pub const fn phrase(self) -> &'static str {
        match self {
            Mood::Loved => "sounds like you loved it",
            Mood::Liked => "sounds like you liked it",
            Mood::Neutral => "sounds neutral",
            Mood::NotForYou => "sounds like it was not for you",
        }
    }
}

/// A genre and how many of the films someone liked have it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenreCount {
    pub genre: String,
    pub films: usize,
}

/// The caller's profile.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// Genres of the films they liked, most first.
    pub top_genres: Vec<GenreCount>,
    /// Their taste group's name, when the last training placed them.
    pub taste_group: Option<String>,
    /// Their best-rated films, best first (at most three).
    pub favourites: Vec<String>,
    /// Films they gave any feedback on.
    pub films: usize,
    pub ratings: usize,
    pub reviews: usize,
    /// Reactions still standing (added and not taken back).
    pub reactions: usize,
    pub seen: usize,
    pub not_interested: usize,
}

/// One entry of an autocomplete menu.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// "Heat (1995)".
    pub label: String,
    /// The title argument that names the film directly ([`crate::app::catalog::film_token`]).
    pub value: String,
}

/// The taste map, drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct TasteMap {
    pub png: Vec<u8>,
    /// Taste groups on the map.
    pub groups: usize,
    /// People on the map.
    pub people: usize,
    /// What the picture shows, in a sentence or two (whether the caller is on it, why
    /// everyone is in one group).
    pub caption: String,
}

impl TasteMap {
    /// "2 people, 1 group".
    pub fn counts(&self) -> String {
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        format!(
            "{}, {}",
            plural(self.people, "person", "people"),
            plural(self.groups, "group", "groups")
        )
    }
}

/// One film found in the catalog.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogHit {
    pub movie: Movie,
    pub score: f64,
    pub kind: MatchKind,
}

/// The options of a watch party, stored with it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartyOptions {
    /// Longest runtime in minutes (films of unknown runtime pass).
    pub max_runtime: Option<i32>,
    /// A genre name.
    pub genre: Option<String>,
    /// When the movie night starts (ms since the epoch), for a scheduled event.
    pub when_ms: Option<i64>,
    /// Tallies hidden until the vote closes.
    pub anonymous: bool,
    /// How long the vote stays open.
    pub vote_minutes: u32,
    /// The people the host invited (shown until the party starts; they count once they join).
    #[serde(default)]
    pub invited: Vec<String>,
}

/// One member's predicted stars for a shortlisted film.
#[derive(Debug, Clone, PartialEq)]
pub struct Guess {
    pub member: String,
    /// 0.5–5 in half steps; `None` when Marquee knows nothing about them yet ("new to you").
    pub stars: Option<f64>,
}

/// One film of a shortlist, as shown.
#[derive(Debug, Clone, PartialEq)]
pub struct ShortFilm {
    /// 1-based.
    pub position: u32,
    pub movie: MovieId,
    pub title: String,
    /// Why it is on the list, one line.
    pub reason: String,
    pub guesses: Vec<Guess>,
    /// Approvals so far (hidden in anonymous votes until the close).
    pub votes: Option<usize>,
}

/// A watch party gathering people.
#[derive(Debug, Clone, PartialEq)]
pub struct Lobby {
    pub party: PartyId,
    pub host: String,
    /// Who is in (joined).
    pub members: Vec<String>,
    pub strategy: Strategy,
    pub options: PartyOptions,
    /// What just happened ("Kim joined").
    pub note: String,
}

/// A watch party's open vote.
#[derive(Debug, Clone, PartialEq)]
pub struct VoteState {
    pub party: PartyId,
    pub shortlist: Vec<ShortFilm>,
    pub members: Vec<String>,
    pub voted: Vec<String>,
    pub deadline_ms: i64,
    pub anonymous: bool,
    pub strategy: Strategy,
    /// Filters dropped because nothing fit them, said plainly.
    pub widened: Option<String>,
    /// What just happened ("Kim voted for Heat (1995).").
    pub note: String,
}

/// A closed vote.
#[derive(Debug, Clone, PartialEq)]
pub struct Winner {
    pub party: PartyId,
    pub movie: MovieId,
    pub title: String,
    /// The shortlist with final tallies.
    pub shortlist: Vec<ShortFilm>,
    pub members: Vec<String>,
    /// When the movie night starts and ends (the winner's runtime, or a usual length when it is
    /// unknown), when a start time was given.
    pub when_ms: Option<i64>,
    pub ends_ms: Option<i64>,
    /// Where the announcement goes.
    pub channel: i64,
    pub server: GuildId,
    /// The vote message, to take its buttons away.
    pub vote_message: Option<i64>,
    /// The list the announcement's film is stored under (post it, then send
    /// [`crate::app::Command::Posted`]).
    pub list: ListId,
    /// "everyone voted", "the deadline passed", "the host closed it".
    pub why: String,
}

/// One past movie night.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastNight {
    /// When it closed (or was started, if it never closed).
    pub at_ms: i64,
    /// The winner's title, or the state it was left in ("(vote open)").
    pub what: String,
    pub members: usize,
}

/// One experiment and its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExperimentRow {
    pub key: String,
    /// "draft", "running", "stopped".
    pub status: String,
    /// "control 50% · more_variety 50%".
    pub split: String,
    pub layer: String,
    /// "user" or "server".
    pub unit: String,
}

/// An experiment's analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct ExperimentStatus {
    pub key: String,
    pub report: Report,
    /// Days since it started (to its stop, if stopped).
    pub days: f64,
    /// The like rate over time, as a PNG.
    pub chart: Vec<u8>,
}

/// What `/privacy show` counts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PrivacySummary {
    pub ratings: usize,
    pub reviews: usize,
    /// Reactions added and taken back.
    pub reactions: usize,
    /// Seen, not interested, feedback buttons, watched together.
    pub marks: usize,
    pub films_shown: u64,
    pub watch_parties: usize,
    pub conversations: usize,
    pub experiments: usize,
    /// Other servers that keep something about the same person.
    pub other_servers: usize,
}

/// What a command answers.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// A numbered list of films, stored as impressions of `list`. `items` is empty when nothing
    /// passes the filters (`intro` says so).
    Picks {
        intro: String,
        items: Vec<PickLine>,
        list: ListId,
        surface: Surface,
        /// Offer the taste quiz under the list (someone's first list, while Marquee knows
        /// little about them).
        quiz_offer: bool,
    },
    /// A step of the taste quiz: the next film to answer, or the end.
    Quiz(Box<crate::app::quiz::QuizCard>),
    /// A rating was stored.
    Rated {
        title: String,
        stars: f64,
    },
    /// "Seen it" was stored.
    Seen {
        title: String,
    },
    /// A review was stored and read: `stars` is the implied rating rounded to a half star.
    Reviewed {
        title: String,
        movie: MovieId,
        mood: Mood,
        stars: f64,
        compound: f64,
    },
    /// A reaction was stored (or was already stored: `repeated`).
    Reacted {
        title: String,
        position: u32,
        emoji: String,
        /// What the emoji stands for: "4★", "seen", "not interested".
        meaning: String,
        removed: bool,
        repeated: bool,
    },
    /// A feedback button was stored: `meaning` is "5★", "seen", "not interested".
    Noted {
        list: ListId,
        position: u32,
        title: String,
        meaning: String,
    },
    /// The film at `position` of `list`, for its feedback buttons.
    FeedbackFor {
        list: ListId,
        position: u32,
        title: String,
    },
    /// The one film a title names.
    Film {
        movie: MovieId,
        title: String,
    },
    /// Autocomplete entries, best first.
    Choices(Vec<Choice>),
    Profile(Profile),
    /// The caller's taste group.
    Taste {
        group: String,
        members: usize,
        traits: Vec<String>,
    },
    TasteMap(TasteMap),
    TasteGroups(Box<TasteGroups>),
    /// An answer to a wish, stored as list `list`.
    Asked {
        intro: String,
        /// Notes before the list (a relaxed filter, an unknown title, a contradiction).
        notes: Vec<String>,
        items: Vec<PickLine>,
        list: ListId,
        /// How to steer the next turn.
        steer: String,
    },
    /// One clarifying question with a few genres to choose from.
    Clarify {
        question: String,
        genres: Vec<Genre>,
    },
    /// A watch party's lobby (after start, join or leave).
    Lobby(Box<Lobby>),
    /// A watch party's open vote.
    Vote(Box<VoteState>),
    /// A vote closed.
    Closed(Box<Winner>),
    /// The server's past movie nights, newest first.
    History(Vec<PastNight>),
    Experiments(Vec<ExperimentRow>),
    /// An experiment started or stopped: the sentence saying so.
    ExperimentChanged(String),
    ExperimentStatus(Box<ExperimentStatus>),
    /// What is kept about the caller in this server.
    PrivacySummary(Box<PrivacySummary>),
    /// Everything about the caller in this server, as a JSON file.
    PrivacyExport {
        file_name: String,
        json: String,
        /// Nothing is kept about the caller here (the file has only empty lists).
        empty: bool,
    },
    /// "Delete all this?" (a button, or `privacy forget yes`).
    ConfirmForget {
        everywhere: bool,
        summary: String,
    },
    /// The caller was forgotten; the sentence saying so.
    Forgotten(String),
    /// Catalog search results, best first.
    Hits(Vec<CatalogHit>),
    Stats(Box<CatalogStats>),
    Imported(Box<ImportSummary>),
    /// What a history import did.
    HistoryImported(Box<crate::app::history::HistorySummary>),
    Trained(Box<TrainReport>),
    Help(Vec<CommandHelp>),
    /// No film fits the title; the closest titles ("Heat (1995)"), maybe none.
    NotFound {
        query: String,
        suggestions: Vec<String>,
    },
    /// Several films fit the title equally; add the year.
    Ambiguous {
        query: String,
        candidates: Vec<String>,
    },
    /// The input cannot be used, or it is the wrong moment; the sentence says what to do.
    Invalid(String),
    /// A plain answer (nothing to react to yet, no history yet, …).
    Text(String),
    /// Nothing to say (a front end's bookkeeping was stored).
    Done,
    /// The event was not for Marquee (a reaction on another message); nothing was stored.
    Ignored,
}

impl Reply {
    /// The sentence for a title that is not one film, as the command line prints it.
    pub fn not_one_film(&self) -> Option<String> {
        match self {
            Reply::NotFound { query, suggestions } if suggestions.is_empty() => Some(format!(
                "No film called \"{query}\" is in the catalog. Check the spelling, or import more films."
            )),
            Reply::NotFound { query, suggestions } => Some(format!(
                "No film called \"{query}\". Did you mean: {}?",
                suggestions.join(", ")
            )),
            Reply::Ambiguous { query, candidates } => Some(format!(
                "\"{query}\" could be {}. Add the year, e.g. \"{}\".",
                candidates.join(", "),
                candidates.first().map_or(query.as_str(), String::as_str)
            )),
            _ => None,
        }
    }
}
