//! The command layer every front end shares: typed requests in, typed replies out. The console
//! parses a typed line into a [`Request`] and prints the [`Reply`]; the Discord adapter will
//! turn a slash command or a reaction into a [`Request`] and the [`Reply`] into a message. No
//! Discord or terminal formatting lives here: replies carry data and plain sentences.
//!
//! A [`Session`] holds what every command needs, loaded once: the store, the film list and
//! title index, the model snapshot (each user's new feedback is folded into it at once, so the
//! next `/recommend` reflects it), the taste groups, the reaction map and the VADER scorer.
//! Each list of picks is stored as impressions (one row per film and position), so a reaction
//! on the list (`react 2 👍` on the console, an emoji on the Discord message) finds its film.

use crate::app::feedback::{Desk, Origin, Reaction, ReviewRefused};
use crate::app::models::{self, Named};
use crate::domain::catalog::search::TitleIndex;
use crate::domain::catalog::{Genre, Movie};
use crate::domain::events::{FeedbackEvent, FeedbackKind, NewFeedbackEvent};
use crate::domain::feedback::{
    Button, Meaning, ReactionMap, Signal, Stars, combine, normalize_emoji,
};
use crate::domain::ids::{GuildId, MovieId, UserId};
use crate::domain::ports::{
    CatalogRepo as _, Clock as _, ExperimentRepo as _, FeedbackRepo as _, ImpressionRepo as _,
    NewImpression, Surface, UserKind, UserRepo as _,
};
use crate::domain::recommend::hybrid::Pick;
use crate::domain::recommend::snapshot::{ModelSnapshot, RecRequest};
use crate::domain::sentiment::{MAX_REVIEW_CHARS, ReviewError, Vader};
use crate::domain::taste::TasteGroups;
use crate::outbound::clock::SystemClock;
use crate::outbound::storage::Store;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, PoisonError, RwLock};

/// Picks per list when the request names no count.
pub const DEFAULT_COUNT: usize = 5;
/// The most picks one list may hold.
pub const MAX_COUNT: usize = 25;
/// The longest title looked up (longer input is refused, not searched).
pub const MAX_TITLE_CHARS: usize = 200;
/// The longest user name the console accepts.
pub const MAX_NAME_CHARS: usize = 64;

/// One command, as any front end hands it over.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// Personal picks, optionally filtered.
    Recommend {
        /// A genre name ("comedy", "sci-fi"); checked here.
        genre: Option<String>,
        /// How many picks, 1 to [`MAX_COUNT`]; [`DEFAULT_COUNT`] when `None`.
        count: Option<usize>,
        min_year: Option<i32>,
        max_year: Option<i32>,
        /// A list shown before (its message id): its films are left out ("Refresh").
        instead_of: Option<i64>,
    },
    /// Films like the one named.
    Similar { title: String },
    /// An explicit rating; checked here (0.5 to 5 in half steps).
    Rate { title: String, stars: f64 },
    /// "I have seen it".
    Seen { title: String },
    /// A review, read with VADER.
    Review { title: String, text: String },
    /// Top genres, taste group and counts.
    Profile,
    /// The caller's taste group.
    Taste,
    /// Every command, one line each.
    Help,
    /// Films like the one at `position` (1-based) of a shown list ("More like #1").
    MoreLike { message_id: i64, position: u32 },
    /// A feedback button pressed on the film at `position` (1-based) of a shown list.
    Feedback {
        message_id: i64,
        position: u32,
        button: Button,
    },
    /// An emoji added to (or taken back from) the film at `position` (1-based) of a list.
    React {
        /// The list's message; `None` means the caller's latest list.
        message_id: Option<i64>,
        position: u32,
        emoji: String,
        removed: bool,
    },
}

/// Who sent a command, and from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user: UserId,
    /// `console`, `discord`, …: kept on every stored event.
    pub source: String,
    pub guild: Option<GuildId>,
    pub channel: Option<i64>,
    /// A key naming this delivery (a Discord interaction id): delivered twice, stored once.
    pub delivery_key: Option<String>,
}

impl Caller {
    /// A person typing on this machine.
    pub fn console(user: UserId) -> Self {
        Caller {
            user,
            source: "console".to_owned(),
            guild: None,
            channel: None,
            delivery_key: None,
        }
    }

    fn origin(&self, message_id: Option<i64>) -> Origin {
        Origin {
            source: self.source.clone(),
            guild: self.guild,
            message_id,
            delivery_key: self.delivery_key.clone(),
        }
    }
}

/// One numbered film of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct PickLine {
    /// 1-based, as shown; what `react N` names.
    pub position: u32,
    pub movie: MovieId,
    /// "Heat (1995)".
    pub title_with_year: String,
    /// Up to three genre names.
    pub genres: Vec<String>,
    /// Why it was picked, one line ("because you liked Alien (1979)").
    pub reason: String,
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

/// The caller's profile.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// Genres of the films they liked, most first, with how many films.
    pub top_genres: Vec<(String, usize)>,
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

/// One command for `/help`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandHelp {
    /// The command's name, without a slash.
    pub name: &'static str,
    /// Its arguments, Discord style ("movie stars").
    pub args: &'static str,
    /// What it does, one line.
    pub summary: &'static str,
}

/// Every command, in the order `/help` lists them.
pub const COMMANDS: [CommandHelp; 8] = [
    CommandHelp {
        name: "recommend",
        args: "[genre] [count] [min_year] [max_year]",
        summary: "picks for you, each with the reason it was picked; react to them to teach Marquee",
    },
    CommandHelp {
        name: "similar",
        args: "movie",
        summary: "films like this one, and why",
    },
    CommandHelp {
        name: "rate",
        args: "movie stars",
        summary: "rate a film from 0.5 to 5 stars, half stars allowed",
    },
    CommandHelp {
        name: "seen",
        args: "movie",
        summary: "mark a film as seen, so it is not suggested again",
    },
    CommandHelp {
        name: "review",
        args: "movie text",
        summary: "write a few words; Marquee reads how much you liked it",
    },
    CommandHelp {
        name: "profile",
        args: "",
        summary: "your top genres, taste group and feedback so far",
    },
    CommandHelp {
        name: "taste",
        args: "",
        summary: "the taste group you belong to, and what sets it apart",
    },
    CommandHelp {
        name: "help",
        args: "",
        summary: "this list",
    },
];

/// What a command answers.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// A numbered list of films (picks or "more like this"), stored as impressions of
    /// `message_id`. `items` is empty when nothing passes the filters (`intro` says so).
    Picks {
        intro: String,
        items: Vec<PickLine>,
        message_id: i64,
        surface: Surface,
    },
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
    Profile(Profile),
    /// The caller's taste group.
    Taste {
        group: String,
        members: usize,
        traits: Vec<String>,
    },
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
    /// The input cannot be used; the sentence says what to type instead.
    Invalid(String),
    /// A feedback button was stored: `meaning` is "5★", "seen", "not interested".
    Noted {
        title: String,
        position: u32,
        meaning: String,
    },
    /// A plain answer (nothing to react to yet, no history yet, …).
    Text(String),
}

/// The state every command works on, loaded once per process. Methods take `&self`: the model
/// is behind a lock held only for in-memory work, never across an await.
#[derive(Debug)]
pub struct Session {
    store: Store,
    movies: Vec<Movie>,
    index: TitleIndex,
    model: RwLock<ModelSnapshot>,
    groups: RwLock<Option<TasteGroups>>,
    reactions: ReactionMap,
    vader: Vader,
    clock: SystemClock,
    /// Users whose stored events are folded into `model` already.
    folded: Mutex<HashSet<UserId>>,
    /// The running experiments, with their start times (see [`crate::app::experiments`]).
    pub(crate) lab: RwLock<Vec<crate::app::experiments::Running>>,
    /// The conversation's wording.
    pub(crate) prompts: crate::app::prompts::Prompts,
    next_message: AtomicI64,
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

fn round_half(x: f64) -> f64 {
    (x * 2.0).round() / 2.0
}

/// "4★", "seen", "not interested".
fn describe_meaning(meaning: Meaning) -> String {
    match meaning {
        Meaning::Rating(r) => format!("{r}★"),
        Meaning::Seen => "seen".to_owned(),
        Meaning::NotInterested => "not interested".to_owned(),
    }
}

impl Session {
    /// Loads the films, the newest model (training one when none is stored) and the taste
    /// groups from `store`.
    ///
    /// # Errors
    /// Storage fails, or training fails.
    pub async fn open(store: Store, reactions: ReactionMap) -> anyhow::Result<Self> {
        let movies = store.all_movies().await?;
        let index = TitleIndex::from_movies(&movies);
        let model = models::load_or_train(&store).await?;
        let groups = models::latest_taste(&store).await?;
        let clock = SystemClock;
        let first_message = store
            .max_message_id()
            .await?
            .map_or(1, |m| m.saturating_add(1))
            .max(clock.now_ms());
        Ok(Session {
            store,
            movies,
            index,
            model: RwLock::new(model),
            groups: RwLock::new(groups),
            reactions,
            vader: Vader::new(),
            clock,
            folded: Mutex::new(HashSet::new()),
            lab: RwLock::new(Vec::new()),
            prompts: crate::app::prompts::Prompts::builtin(),
            next_message: AtomicI64::new(first_message),
        })
    }

    /// Replaces the conversation's wording (from `MARQUEE_PROMPTS_DIR`).
    pub fn set_prompts(&mut self, prompts: crate::app::prompts::Prompts) {
        self.prompts = prompts;
    }

    /// The store the session works on.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The reaction map feedback is read with.
    pub fn reactions(&self) -> &ReactionMap {
        &self.reactions
    }

    /// The id of a person typing on this machine, created on first sight.
    ///
    /// # Errors
    /// The name is empty or longer than [`MAX_NAME_CHARS`] (a message to show), or storage
    /// fails.
    pub async fn console_user(&self, name: &str) -> anyhow::Result<UserId> {
        let name = name.trim();
        anyhow::ensure!(
            !name.is_empty()
                && name.chars().count() <= MAX_NAME_CHARS
                && !name.chars().any(char::is_control),
            "a user name has 1 to {MAX_NAME_CHARS} characters"
        );
        Ok(self
            .store
            .ensure_user(UserKind::Console, name, name)
            .await?)
    }

    /// A fresh message id for a list shown where the front end has no ids of its own (the
    /// console): a counter that starts after every stored one.
    pub fn next_message_id(&self) -> i64 {
        self.next_message.fetch_add(1, Ordering::Relaxed)
    }

    /// Up to `limit` films whose title starts like (or resembles) `partial`, as
    /// ("Title (Year)", value) pairs for an autocomplete menu; the value names the film
    /// directly ([`film_token`]). An empty `partial` gives the best-known films.
    pub fn autocomplete(&self, partial: &str, limit: usize) -> Vec<(String, String)> {
        let partial: String = partial.chars().take(MAX_TITLE_CHARS).collect();
        if partial.trim().is_empty() {
            let mut popular: Vec<&Movie> = self.movies.iter().collect();
            popular.sort_by(|a, b| {
                b.info
                    .vote_count
                    .cmp(&a.info.vote_count)
                    .then_with(|| a.info.title.cmp(&b.info.title))
            });
            return popular
                .into_iter()
                .take(limit)
                .map(|m| {
                    (
                        crate::domain::catalog::search::autocomplete_label(
                            &m.info.title,
                            m.info.year,
                        ),
                        film_token(m.id),
                    )
                })
                .collect();
        }
        self.index
            .search(&partial, limit)
            .into_iter()
            .map(|hit| (hit.label(), film_token(hit.id)))
            .collect()
    }

    /// The film a list shows at `position`, with its display title.
    ///
    /// # Errors
    /// Storage fails.
    pub async fn shown_film(
        &self,
        message_id: i64,
        position: u32,
    ) -> anyhow::Result<Option<(MovieId, String)>> {
        Ok(self
            .store
            .impression(message_id, position)
            .await?
            .map(|i| i.shown.movie)
            .and_then(|id| self.movie(id).map(|m| (id, m.info.display_title()))))
    }

    /// The film a title argument names, with its display title, or the reply explaining why
    /// there is not exactly one (for front ends that ask for more before running a command,
    /// such as the review form).
    ///
    /// # Errors
    /// The reply to show instead.
    pub fn resolve(&self, title: &str) -> Result<(MovieId, String), Reply> {
        self.film(title).map(|m| (m.id, m.info.display_title()))
    }

    /// Moves a shown list from the id [`Session::handle`] gave it to the id the front end
    /// learned after sending it (a Discord message id), so reactions on it find its films.
    ///
    /// # Errors
    /// Storage fails.
    pub async fn bind_message(&self, from: i64, to: i64) -> anyhow::Result<()> {
        self.store.move_impressions(from, to).await?;
        Ok(())
    }

    /// Whether a message is a list Marquee showed (reactions elsewhere are ignored).
    ///
    /// # Errors
    /// Storage fails.
    pub async fn is_list(&self, message_id: i64) -> anyhow::Result<bool> {
        Ok(self.store.impression(message_id, 1).await?.is_some())
    }

    /// The Discord user's id, created on first sight (the display name is kept up to date).
    ///
    /// # Errors
    /// Storage fails.
    pub async fn discord_user(&self, snowflake: u64, name: &str) -> anyhow::Result<UserId> {
        let name: String = name
            .chars()
            .filter(|c| !c.is_control())
            .take(MAX_NAME_CHARS)
            .collect();
        Ok(self
            .store
            .ensure_user(UserKind::Discord, &snowflake.to_string(), &name)
            .await?)
    }

    /// Retrains the model and the taste groups from every stored event and swaps them in;
    /// the commands keep being served from the old model meanwhile.
    ///
    /// # Errors
    /// Storage or training fails (the old model stays).
    pub async fn retrain(&self) -> anyhow::Result<()> {
        let (model, _report) = models::train_and_save(&self.store).await?;
        let groups = models::latest_taste(&self.store).await?;
        *write(&self.model) = model;
        *write(&self.groups) = groups;
        self.folded
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        Ok(())
    }

    /// The server's taste map as a PNG, with `highlight`'s point marked, or `None` when
    /// no taste groups have been found yet.
    ///
    /// # Errors
    /// Storage or drawing fails.
    pub async fn taste_map(&self, highlight: Option<UserId>) -> anyhow::Result<Option<Vec<u8>>> {
        use crate::domain::taste::{TasteParams, project, taste_vectors};
        let Some(groups) = read(&self.groups)
            .clone()
            .filter(|g| !g.groups().is_empty())
        else {
            return Ok(None);
        };
        let events = self.store.all_events().await?;
        let model = read(&self.model).clone();
        let movies = self.movies.clone();
        let png = tokio::task::spawn_blocking(move || {
            let params = TasteParams::default();
            let vectors = taste_vectors(&model, &movies, &events, &params);
            let projection = project(&vectors, &groups, 5_000, highlight, 7);
            crate::outbound::charts::taste_map::render_taste_map(
                &groups,
                &projection,
                highlight,
                1000,
                640,
            )
        })
        .await
        .map_err(|e| anyhow::anyhow!("the drawing thread stopped: {e}"))??;
        Ok(Some(png))
    }

    /// Runs one command.
    ///
    /// # Errors
    /// Only failures of storage or the model; every mistake in the input is a [`Reply`].
    pub async fn handle(&self, caller: &Caller, request: Request) -> anyhow::Result<Reply> {
        match request {
            Request::Recommend {
                genre,
                count,
                min_year,
                max_year,
                instead_of,
            } => {
                let filters = Filters {
                    genre: genre.as_deref(),
                    count,
                    min_year,
                    max_year,
                    instead_of,
                };
                self.recommend(caller, &filters).await
            }
            Request::MoreLike {
                message_id,
                position,
            } => match self.shown(message_id, position).await? {
                Ok(movie) => self.similar(caller, &film_token(movie)).await,
                Err(reply) => Ok(reply),
            },
            Request::Feedback {
                message_id,
                position,
                button,
            } => self.feedback(caller, message_id, position, button).await,
            Request::Similar { title } => self.similar(caller, &title).await,
            Request::Rate { title, stars } => self.rate(caller, &title, stars).await,
            Request::Seen { title } => self.seen(caller, &title).await,
            Request::Review { title, text } => self.review(caller, &title, &text).await,
            Request::Profile => self.profile(caller.user).await,
            Request::Taste => self.taste(caller.user).await,
            Request::Help => Ok(Reply::Help(COMMANDS.to_vec())),
            Request::React {
                message_id,
                position,
                emoji,
                removed,
            } => {
                self.react(caller, message_id, position, &emoji, removed)
                    .await
            }
        }
    }

    /// Stores the films of a shown list under `message_id`, so reactions on it find them.
    /// [`Session::handle`] does this for the lists it makes, under [`Session::next_message_id`];
    /// a front end that learns the real message id only after sending calls this again with it.
    ///
    /// # Errors
    /// Storage fails.
    pub async fn record_shown(
        &self,
        caller: &Caller,
        message_id: i64,
        surface: Surface,
        items: &[PickLine],
    ) -> anyhow::Result<()> {
        let now = self.clock.now_ms();
        let rows: Vec<NewImpression> = items
            .iter()
            .map(|item| NewImpression {
                message_id,
                channel: caller.channel,
                guild: caller.guild,
                user: caller.user,
                movie: item.movie,
                position: item.position,
                surface,
                created_at_ms: now,
            })
            .collect();
        self.store.record_impressions(&rows).await?;
        Ok(())
    }

    /// The serving model (read-locked; never hold it across an await).
    pub(crate) fn model(&self) -> std::sync::RwLockReadGuard<'_, ModelSnapshot> {
        read(&self.model)
    }

    /// The taste groups of the last training (read-locked; never hold it across an await).
    pub(crate) fn taste_groups(&self) -> std::sync::RwLockReadGuard<'_, Option<TasteGroups>> {
        read(&self.groups)
    }

    /// The title index of the catalog.
    pub(crate) fn title_index(&self) -> &TitleIndex {
        &self.index
    }

    /// The catalog, by id.
    pub(crate) fn movies(&self) -> &[Movie] {
        &self.movies
    }

    /// Milliseconds since the epoch.
    pub(crate) fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    pub(crate) fn desk(&self) -> Desk<'_, Store, SystemClock, Vader> {
        Desk {
            store: &self.store,
            clock: &self.clock,
            reactions: &self.reactions,
            scorer: &self.vader,
        }
    }

    pub(crate) fn movie(&self, id: MovieId) -> Option<&Movie> {
        self.movies
            .binary_search_by_key(&id, |m| m.id)
            .ok()
            .map(|i| &self.movies[i])
    }

    /// The film a title names, or the reply that explains why there is not exactly one.
    fn film(&self, query: &str) -> Result<&Movie, Reply> {
        let query = query.trim();
        if query.is_empty() {
            return Err(Reply::Invalid(
                "Name a film, e.g. \"Heat\" or \"dune 1984\".".to_owned(),
            ));
        }
        if query.chars().count() > MAX_TITLE_CHARS {
            return Err(Reply::Invalid(format!(
                "That title is longer than {MAX_TITLE_CHARS} characters; name the film in a few words."
            )));
        }
        if let Some(id) = query
            .strip_prefix(FILM_TOKEN)
            .and_then(|n| n.parse::<i64>().ok())
        {
            if let Some(m) = self.movie(MovieId(id)) {
                return Ok(m);
            }
        }
        let titles = |films: &[&Movie]| films.iter().map(|m| m.info.display_title()).collect();
        match models::find_film(&self.index, &self.movies, query) {
            Named::Film(m) => Ok(m),
            Named::Ambiguous(films) => Err(Reply::Ambiguous {
                query: query.to_owned(),
                candidates: titles(&films),
            }),
            Named::Unknown(films) => Err(Reply::NotFound {
                query: query.to_owned(),
                suggestions: titles(&films),
            }),
        }
    }

    /// The user's stored events; folded into the model on the first call for this user.
    pub(crate) async fn events_of(&self, user: UserId) -> anyhow::Result<Vec<FeedbackEvent>> {
        let events = self.store.events_for_user(user).await?;
        let first = self
            .folded
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(user);
        if first && !events.is_empty() {
            write(&self.model).fold_in(user, &events);
        }
        Ok(events)
    }

    /// Folds the user's whole log into the model again, after new feedback.
    pub(crate) async fn refresh(&self, user: UserId) -> anyhow::Result<()> {
        let events = self.store.events_for_user(user).await?;
        write(&self.model).fold_in(user, &events);
        self.folded
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(user);
        Ok(())
    }

    fn lines(&self, picks: &[Pick]) -> Vec<PickLine> {
        self.pick_lines(picks.iter().map(|p| (p.movie, p.reason.to_string())))
    }

    /// Numbered list lines (from 1) for (film, reason) pairs; films not in the catalog are
    /// skipped.
    pub(crate) fn pick_lines(
        &self,
        picks: impl IntoIterator<Item = (MovieId, String)>,
    ) -> Vec<PickLine> {
        picks
            .into_iter()
            .filter_map(|(id, reason)| self.movie(id).map(|m| (m, reason)))
            .enumerate()
            .map(|(i, (m, reason))| PickLine {
                position: u32::try_from(i + 1).unwrap_or(u32::MAX),
                movie: m.id,
                title_with_year: m.info.display_title(),
                genres: m
                    .info
                    .genres
                    .iter()
                    .take(3)
                    .map(|g| g.name().to_owned())
                    .collect(),
                reason,
            })
            .collect()
    }

    async fn recommend(&self, caller: &Caller, filters: &Filters<'_>) -> anyhow::Result<Reply> {
        let Filters {
            genre,
            count,
            min_year,
            max_year,
            instead_of,
        } = *filters;
        let (count, genre) = match check_filters(count, genre, min_year, max_year) {
            Ok(ok) => ok,
            Err(reply) => return Ok(reply),
        };
        let user = caller.user;
        let events = self.events_of(user).await?;
        let exclude = match instead_of {
            Some(message) => self
                .store
                .impressions_of_message(message)
                .await?
                .into_iter()
                .map(|i| i.shown.movie)
                .collect(),
            None => Vec::new(),
        };
        let arm = self.arm_for(user).await?;
        let mut request = RecRequest {
            count,
            genre,
            min_year,
            max_year,
            exclude,
            ..RecRequest::default()
        };
        if let Some(lambda) = arm.as_ref().and_then(|a| a.config.diversity_lambda) {
            request.diversity_lambda = lambda;
        }
        let popularity_only = arm
            .as_ref()
            .is_some_and(|a| a.config.model.as_deref() == Some("popularity"));
        if popularity_only {
            // The popularity baseline: the model's cold-start ranking, minus the user's history.
            request.exclude.extend(events.iter().map(|e| e.event.movie));
        }
        let picks = if popularity_only {
            read(&self.model).recommend(crate::app::experiments::NOBODY, &request)
        } else {
            models::personal_picks(
                &read(&self.model),
                read(&self.groups).as_ref(),
                user,
                &events,
                &request,
                |id| self.movie(id),
            )
        };
        let items = self.lines(&picks);
        let intro = if items.is_empty() {
            "Nothing left to suggest with these filters; try a wider year range or another genre."
                .to_owned()
        } else {
            let what = genre.map_or_else(|| "Picks".to_owned(), |g| format!("{g} picks"));
            format!("{what} for you:")
        };
        let message_id = self.next_message_id();
        self.record_shown(caller, message_id, Surface::Recommend, &items)
            .await?;
        if let Some(arm) = &arm {
            self.store
                .tag_impressions(message_id, &arm.key, &arm.variant)
                .await?;
        }
        if let Some(old) = instead_of {
            self.store.mark_refreshed(old).await?;
        }
        Ok(Reply::Picks {
            intro,
            items,
            message_id,
            surface: Surface::Recommend,
        })
    }

    async fn similar(&self, caller: &Caller, title: &str) -> anyhow::Result<Reply> {
        let film = match self.film(title) {
            Ok(m) => m,
            Err(reply) => return Ok(reply),
        };
        let events = self.events_of(caller.user).await?;
        let unwanted: HashSet<MovieId> = per_film(&events)
            .into_iter()
            .filter(|(_, mine)| combine(mine).excludes_future_picks())
            .map(|(movie, _)| movie)
            .collect();
        let mut picks = read(&self.model).similar(film.id, DEFAULT_COUNT + unwanted.len());
        picks.retain(|p| !unwanted.contains(&p.movie));
        picks.truncate(DEFAULT_COUNT);
        let items = self.lines(&picks);
        let intro = if items.is_empty() {
            format!(
                "I know too little about {} to find films like it yet.",
                film.info.display_title()
            )
        } else {
            format!("Like {}:", film.info.display_title())
        };
        let message_id = self.next_message_id();
        self.record_shown(caller, message_id, Surface::Similar, &items)
            .await?;
        Ok(Reply::Picks {
            intro,
            items,
            message_id,
            surface: Surface::Similar,
        })
    }

    async fn rate(&self, caller: &Caller, title: &str, stars: f64) -> anyhow::Result<Reply> {
        let Ok(stars) = Stars::new(stars) else {
            return Ok(Reply::Invalid(format!(
                "Ratings go from 0.5 to 5 stars in half steps (4 or 4.5, say); {stars} is not one."
            )));
        };
        let film = match self.film(title) {
            Ok(m) => m,
            Err(reply) => return Ok(reply),
        };
        self.desk()
            .rate(caller.user, film.id, stars, &caller.origin(None))
            .await?;
        self.refresh(caller.user).await?;
        Ok(Reply::Rated {
            title: film.info.display_title(),
            stars: stars.value(),
        })
    }

    async fn seen(&self, caller: &Caller, title: &str) -> anyhow::Result<Reply> {
        let film = match self.film(title) {
            Ok(m) => m,
            Err(reply) => return Ok(reply),
        };
        self.desk()
            .mark(caller.user, film.id, &Signal::Seen, &caller.origin(None))
            .await?;
        self.refresh(caller.user).await?;
        Ok(Reply::Seen {
            title: film.info.display_title(),
        })
    }

    async fn review(&self, caller: &Caller, title: &str, text: &str) -> anyhow::Result<Reply> {
        let film = match self.film(title) {
            Ok(m) => m,
            Err(reply) => return Ok(reply),
        };
        let recorded = self
            .desk()
            .review(caller.user, film.id, text, &caller.origin(None))
            .await;
        let r = match recorded {
            Ok(r) => r,
            Err(ReviewRefused::Review(ReviewError::Empty)) => {
                return Ok(Reply::Invalid(format!(
                    "The review of {} is empty: write a few words after the title.",
                    film.info.display_title()
                )));
            }
            Err(ReviewRefused::Review(ReviewError::TooLong { chars, .. })) => {
                return Ok(Reply::Invalid(format!(
                    "That review is {chars} characters long; keep it under {MAX_REVIEW_CHARS}."
                )));
            }
            Err(ReviewRefused::Store(e)) => return Err(e.into()),
        };
        self.refresh(caller.user).await?;
        let s = &r.sentiment;
        let mood = Mood::of(s);
        Ok(Reply::Reviewed {
            title: film.info.display_title(),
            movie: film.id,
            mood,
            stars: round_half(s.rating).clamp(0.5, 5.0),
            compound: s.scores.compound,
        })
    }

    async fn react(
        &self,
        caller: &Caller,
        message_id: Option<i64>,
        position: u32,
        emoji: &str,
        removed: bool,
    ) -> anyhow::Result<Reply> {
        let Some(meaning) = self.reactions.get(emoji) else {
            let known: Vec<String> = self
                .reactions
                .iter()
                .map(|(e, m)| format!("{e} {}", describe_meaning(m)))
                .collect();
            return Ok(Reply::Invalid(format!(
                "I don't read that reaction. These count: {}.",
                known.join(", ")
            )));
        };
        let message = match message_id {
            Some(m) => Some(m),
            None => self.store.latest_message_for(caller.user).await?,
        };
        let Some(message) = message else {
            return Ok(Reply::Text(
                "There is no list to react to yet: ask for /recommend first, then react to a film by its number."
                    .to_owned(),
            ));
        };
        let Some(shown) = self.store.impression(message, position).await? else {
            let size = self.store.impressions_of_message(message).await?.len();
            return Ok(Reply::Invalid(if size == 0 {
                "That list has no films to react to; ask for /recommend again.".to_owned()
            } else {
                format!("There is no film number {position} in your last list: pick 1 to {size}.")
            }));
        };
        let movie = shown.shown.movie;
        let title = self
            .movie(movie)
            .map_or_else(|| format!("film #{movie}"), |m| m.info.display_title());
        let recorded = self
            .desk()
            .react(
                caller.user,
                movie,
                &Reaction { emoji, removed },
                &caller.origin(Some(message)),
            )
            .await?;
        self.refresh(caller.user).await?;
        Ok(Reply::Reacted {
            title,
            position,
            emoji: normalize_emoji(emoji),
            meaning: describe_meaning(meaning),
            removed,
            repeated: recorded
                .is_some_and(|r| r.appended == crate::domain::events::Appended::Duplicate),
        })
    }

    /// The film at `position` of a shown list, or the reply explaining there is none.
    async fn shown(&self, message: i64, position: u32) -> anyhow::Result<Result<MovieId, Reply>> {
        if let Some(shown) = self.store.impression(message, position).await? {
            return Ok(Ok(shown.shown.movie));
        }
        let size = self.store.impressions_of_message(message).await?.len();
        Ok(Err(if size == 0 {
            Reply::Text(
                "I don't have that list any more; ask for /recommend to get a fresh one."
                    .to_owned(),
            )
        } else {
            Reply::Invalid(format!(
                "There is no film number {position} in that list: pick 1 to {size}."
            ))
        }))
    }

    async fn feedback(
        &self,
        caller: &Caller,
        message: i64,
        position: u32,
        button: Button,
    ) -> anyhow::Result<Reply> {
        let movie = match self.shown(message, position).await? {
            Ok(movie) => movie,
            Err(reply) => return Ok(reply),
        };
        self.desk()
            .mark(
                caller.user,
                movie,
                &Signal::Button(button),
                &caller.origin(Some(message)),
            )
            .await?;
        self.refresh(caller.user).await?;
        Ok(Reply::Noted {
            title: self
                .movie(movie)
                .map_or_else(|| format!("film #{movie}"), |m| m.info.display_title()),
            position,
            meaning: describe_meaning(button.meaning()),
        })
    }

    async fn profile(&self, user: UserId) -> anyhow::Result<Reply> {
        let events = self.events_of(user).await?;
        if events.is_empty() {
            return Ok(Reply::Text(NO_HISTORY.to_owned()));
        }
        let films = per_film(&events);
        let views: Vec<(MovieId, crate::domain::feedback::ImplicitRating)> = films
            .iter()
            .map(|(movie, mine)| (*movie, combine(mine)))
            .collect();
        let mut genres: BTreeMap<&'static str, usize> = BTreeMap::new();
        let mut liked: Vec<(f64, String)> = Vec::new();
        for (movie, view) in &views {
            let (Some(value), Some(m)) = (view.value, self.movie(*movie)) else {
                continue;
            };
            if value >= 3.5 {
                for g in &m.info.genres {
                    *genres.entry(g.name()).or_default() += 1;
                }
                liked.push((value, m.info.display_title()));
            }
        }
        let mut top_genres: Vec<(String, usize)> =
            genres.into_iter().map(|(g, n)| (g.to_owned(), n)).collect();
        top_genres.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        top_genres.truncate(3);
        liked.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        let count = |kind: FeedbackKind| events.iter().filter(|e| e.event.kind == kind).count();
        let reactions =
            count(FeedbackKind::Reaction).saturating_sub(count(FeedbackKind::ReactionRemoved));
        Ok(Reply::Profile(Profile {
            top_genres,
            taste_group: read(&self.groups)
                .as_ref()
                .and_then(|g| g.group_of(user))
                .map(|g| g.name.clone()),
            favourites: liked.into_iter().take(3).map(|(_, t)| t).collect(),
            films: views.len(),
            ratings: count(FeedbackKind::Rating),
            reviews: count(FeedbackKind::Review),
            reactions,
            seen: views.iter().filter(|(_, v)| v.seen).count(),
            not_interested: views.iter().filter(|(_, v)| v.not_interested).count(),
        }))
    }

    async fn taste(&self, user: UserId) -> anyhow::Result<Reply> {
        let known = read(&self.groups)
            .as_ref()
            .and_then(|g| g.group_of(user))
            .map(|group| Reply::Taste {
                group: group.name.clone(),
                members: group.size,
                traits: group.traits.clone(),
            });
        if let Some(reply) = known {
            return Ok(reply);
        }
        let events = self.events_of(user).await?;
        Ok(Reply::Text(if events.is_empty() {
            NO_HISTORY.to_owned()
        } else {
            "You are not in a taste group yet: groups are found when the model is retrained (`marquee train`, or hourly on the bot), among people with a few ratings each. Keep rating!".to_owned()
        }))
    }
}

/// The count and genre of a `/recommend`, or the reply explaining what is wrong with them.
fn check_filters(
    count: Option<usize>,
    genre: Option<&str>,
    min_year: Option<i32>,
    max_year: Option<i32>,
) -> Result<(usize, Option<Genre>), Reply> {
    let count = count.unwrap_or(DEFAULT_COUNT);
    if !(1..=MAX_COUNT).contains(&count) {
        return Err(Reply::Invalid(format!(
            "Ask for 1 to {MAX_COUNT} films (you asked for {count})."
        )));
    }
    let genre = match genre.map(str::trim).filter(|g| !g.is_empty()) {
        None => None,
        Some(name) => {
            let Ok(g) = name.parse::<Genre>() else {
                let all: Vec<&str> = Genre::ALL.iter().map(|g| g.name()).collect();
                return Err(Reply::Invalid(format!(
                    "\"{name}\" is not a genre I know. Try one of: {}.",
                    all.join(", ")
                )));
            };
            Some(g)
        }
    };
    if let (Some(from), Some(to)) = (min_year, max_year) {
        if from > to {
            return Err(Reply::Invalid(format!(
                "The year range {from}–{to} is empty: min_year must not be after max_year."
            )));
        }
    }
    Ok((count, genre))
}

/// The arguments of a `/recommend`.
#[derive(Debug, Clone, Copy)]
struct Filters<'a> {
    genre: Option<&'a str>,
    count: Option<usize>,
    min_year: Option<i32>,
    max_year: Option<i32>,
    instead_of: Option<i64>,
}

/// How a front end names a film it already knows (an autocomplete choice's value): any
/// title argument of the form `film:<id>` names that film directly.
pub const FILM_TOKEN: &str = "film:";

/// The title argument that names film `id` directly; see [`FILM_TOKEN`].
pub fn film_token(id: MovieId) -> String {
    format!("{FILM_TOKEN}{id}")
}

/// The answer to a person Marquee knows nothing about yet.
pub const NO_HISTORY: &str = "I don't know your taste yet: rate a film (/rate \"Alien\" 5), write a review, or react to a few /recommend picks, and ask again.";

/// A user's events grouped by film, in log order.
fn per_film(events: &[FeedbackEvent]) -> HashMap<MovieId, Vec<NewFeedbackEvent>> {
    let mut out: HashMap<MovieId, Vec<NewFeedbackEvent>> = HashMap::new();
    for e in events {
        out.entry(e.event.movie).or_default().push(e.event.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn session() -> (tempfile::TempDir, Session, Caller) {
        let dir = tempfile::tempdir().expect("dir");
        let url = format!("sqlite://{}", dir.path().join("m.db").display());
        let store = Store::connect(&url).await.expect("store");
        crate::app::seed_starter_catalog(&store)
            .await
            .expect("catalog");
        let session = Session::open(store, ReactionMap::default())
            .await
            .expect("session");
        let user = session.console_user("kim").await.expect("user");
        (dir, session, Caller::console(user))
    }

    fn recommend(count: usize) -> Request {
        Request::Recommend {
            genre: None,
            count: Some(count),
            min_year: None,
            max_year: None,
            instead_of: None,
        }
    }

    fn react(position: u32, emoji: &str) -> Request {
        Request::React {
            message_id: None,
            position,
            emoji: emoji.to_owned(),
            removed: false,
        }
    }

    fn picks(reply: &Reply) -> Vec<PickLine> {
        match reply {
            Reply::Picks { items, .. } => items.clone(),
            other => panic!("expected picks, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_list_is_numbered_from_one_and_a_reaction_finds_its_film_and_hides_it_next_time() {
        let (_dir, s, me) = session().await;
        let first = picks(&s.handle(&me, recommend(5)).await.expect("picks"));
        assert_eq!(first.len(), 5);
        assert_eq!(
            first.iter().map(|p| p.position).collect::<Vec<_>>(),
            [1, 2, 3, 4, 5]
        );
        let reply = s.handle(&me, react(2, "👍")).await.expect("react");
        let Reply::Reacted { title, meaning, .. } = reply else {
            panic!("{reply:?}")
        };
        assert_eq!(title, first[1].title_with_year);
        assert_eq!(meaning, "4★");
        let next = picks(&s.handle(&me, recommend(10)).await.expect("picks"));
        assert!(next.iter().all(|p| p.movie != first[1].movie), "{next:?}");
    }

    #[tokio::test]
    async fn reacting_to_a_number_outside_the_last_list_or_before_any_list_is_explained() {
        let (_dir, s, me) = session().await;
        let before = s.handle(&me, react(1, "👍")).await.expect("reply");
        assert!(
            matches!(&before, Reply::Text(t) if t.contains("/recommend")),
            "{before:?}"
        );
        s.handle(&me, recommend(3)).await.expect("picks");
        let reply = s.handle(&me, react(9, "👍")).await.expect("reply");
        assert!(
            matches!(&reply, Reply::Invalid(t) if t.contains("1 to 3")),
            "{reply:?}"
        );
        let reply = s.handle(&me, react(1, "🦄")).await.expect("reply");
        assert!(
            matches!(&reply, Reply::Invalid(t) if t.contains("👍")),
            "{reply:?}"
        );
    }

    #[tokio::test]
    async fn ratings_outside_the_scale_and_unknown_or_ambiguous_titles_get_friendly_replies() {
        let (_dir, s, me) = session().await;
        let rate = |title: &str, stars: f64| Request::Rate {
            title: title.to_owned(),
            stars,
        };
        let reply = s.handle(&me, rate("Heat", 7.0)).await.expect("reply");
        assert!(
            matches!(&reply, Reply::Invalid(t) if t.contains("0.5 to 5")),
            "{reply:?}"
        );
        let reply = s
            .handle(&me, rate("the godfahter", 5.0))
            .await
            .expect("reply");
        let Reply::NotFound { suggestions, .. } = &reply else {
            panic!("{reply:?}")
        };
        assert!(
            suggestions.iter().any(|t| t == "The Godfather (1972)"),
            "{suggestions:?}"
        );
        let reply = s.handle(&me, rate("dune", 4.0)).await.expect("reply");
        assert!(
            matches!(&reply, Reply::Ambiguous { candidates, .. } if candidates.len() >= 2),
            "{reply:?}"
        );
        let reply = s.handle(&me, rate("heat 1995", 4.5)).await.expect("reply");
        assert_eq!(
            reply,
            Reply::Rated {
                title: "Heat (1995)".into(),
                stars: 4.5
            }
        );
    }

    #[tokio::test]
    async fn a_review_says_how_it_was_read_and_empty_or_huge_reviews_are_refused() {
        let (_dir, s, me) = session().await;
        let review = |text: &str| Request::Review {
            title: "Heat".to_owned(),
            text: text.to_owned(),
        };
        let reply = s
            .handle(&me, review("Absolutely loved it!!!"))
            .await
            .expect("reply");
        let Reply::Reviewed { mood, stars, .. } = reply else {
            panic!("{reply:?}")
        };
        assert!(matches!(mood, Mood::Loved | Mood::Liked), "{mood:?}");
        assert!(stars >= 3.5, "{stars}");
        for text in ["", "   ", &"a".repeat(4_001)] {
            let reply = s.handle(&me, review(text)).await.expect("reply");
            assert!(matches!(reply, Reply::Invalid(_)), "{reply:?}");
        }
    }

    #[tokio::test]
    async fn a_new_user_gets_a_friendly_profile_and_then_counts_after_feedback() {
        let (_dir, s, me) = session().await;
        assert_eq!(
            s.handle(&me, Request::Profile).await.expect("reply"),
            Reply::Text(NO_HISTORY.to_owned())
        );
        assert!(matches!(
            s.handle(&me, Request::Taste).await.expect("reply"),
            Reply::Text(_)
        ));
        s.handle(
            &me,
            Request::Rate {
                title: "Alien".into(),
                stars: 5.0,
            },
        )
        .await
        .expect("rate");
        s.handle(
            &me,
            Request::Seen {
                title: "Heat".into(),
            },
        )
        .await
        .expect("seen");
        let Reply::Profile(p) = s.handle(&me, Request::Profile).await.expect("reply") else {
            panic!("a profile")
        };
        assert_eq!((p.films, p.ratings, p.seen), (2, 1, 2));
        assert_eq!(p.favourites, ["Alien (1979)"]);
        assert!(!p.top_genres.is_empty());
    }

    #[tokio::test]
    async fn bad_filters_are_explained_and_similar_lists_are_numbered() {
        let (_dir, s, me) = session().await;
        let bad = [
            (Some("cowboy opera"), Some(5), None, None),
            (None, Some(0), None, None),
            (None, Some(500), None, None),
            (None, None, Some(2000), Some(1990)),
        ];
        for (genre, count, min_year, max_year) in bad {
            let reply = s
                .handle(
                    &me,
                    Request::Recommend {
                        genre: genre.map(str::to_owned),
                        count,
                        min_year,
                        max_year,
                        instead_of: None,
                    },
                )
                .await
                .expect("reply");
            assert!(matches!(reply, Reply::Invalid(_)), "{reply:?}");
        }
        let similar = picks(
            &s.handle(
                &me,
                Request::Similar {
                    title: "Heat".into(),
                },
            )
            .await
            .expect("reply"),
        );
        assert!(!similar.is_empty());
        assert_eq!(similar[0].position, 1);
        assert_eq!(
            s.handle(&me, Request::Help).await.expect("help"),
            Reply::Help(COMMANDS.to_vec())
        );
    }
}
