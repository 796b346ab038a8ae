//! The use cases, and the composition root: the only module that names concrete outbound
//! adapters.
//!
//! - [`App::open`] wires everything from a [`Config`]; there is no other composition.
//! - [`App::handle`] is the one door: every front end turns what a person did into a
//!   [`Command`] with a [`Caller`], and renders the [`Reply`].
//! - Background work (retraining, overdue votes, experiment changes made by other processes)
//!   runs through [`jobs`] and the `App` methods it calls.
//!
//! One file per feature: [`picks`], [`feedback`], [`profile`], [`ask`], [`party`], [`lab`],
//! [`catalog`], [`training`], [`import`]. Features share [`services::Services`] (the
//! store, the catalog, the models, the clock); a feature with state of its own owns it
//! ([`lab::Lab`], [`ask::Conversations`]). [`guard`] refuses a press on a list that is not the
//! presser's, whichever front end it came through.

pub mod ask;
pub mod catalog;
pub mod command;
pub mod feedback;
pub mod guard;
pub mod help;
pub mod history;
pub mod import;
pub mod jobs;
pub mod lab;
pub mod party;
pub mod picks;
pub mod privacy;
pub mod profile;
pub mod prompts;
pub mod quiz;
pub mod reply;
pub mod retention;
pub mod services;
pub mod training;

pub use command::{
    Caller, Command, Filters, ImportSource, LOCAL_SERVER, LabCommand, ListId, PartyCommand,
    PartyStart, Person, PrivacyCommand, QuizStep, Source, Steer, local_server,
};
pub use reply::Reply;
pub use services::Who;

/// The largest history export accepted (see [`history`]).
pub const HISTORY_MAX_BYTES: u64 = crate::outbound::import::history::MAX_FILE as u64;

use crate::config::Config;
use crate::domain::experiment::ExperimentFile;
use crate::domain::feedback::ReactionMap;
use crate::domain::ids::GuildId;
use crate::domain::ports::{CatalogRepo as _, Clock};
use crate::outbound::clock::{SteppingClock, SystemClock};
use crate::outbound::starter_catalog::{starter_movies, starter_prior};
use crate::outbound::storage::{Store, redact_url};
use anyhow::Context as _;
use reply::Winner;
use services::Services;
use std::sync::Arc;

/// When the demo's evening starts: Friday 5 June 2026, 19:00 UTC.
const DEMO_START_MS: i64 = 1_780_686_000_000;

/// What the app is assembled from besides its store.
#[derive(Debug, Clone)]
pub struct Options {
    /// How reactions read as ratings.
    pub reactions: ReactionMap,
    /// The conversation's wording.
    pub prompts: prompts::Prompts,
    /// The experiments that may run.
    pub experiments: ExperimentFile,
    /// Where "now" comes from.
    pub clock: Arc<dyn Clock>,
    /// How long data is kept.
    pub retention: retention::Retention,
}

impl Options {
    /// The options a configuration names (the prompts folder and the experiments file are read
    /// and checked here).
    ///
    /// # Errors
    /// The prompts or the experiments file cannot be read or are invalid; the message names
    /// the file.
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        Ok(Options {
            reactions: config.reactions.clone(),
            prompts: prompts::Prompts::load(config.prompts_dir.as_deref())?,
            experiments: lab::load_file(config.experiments_file.as_deref())?,
            clock: Arc::new(SystemClock),
            retention: config.retention,
        })
    }
}

impl Default for Options {
    /// The default reactions, the built-in wording, the shipped experiments and the system
    /// clock.
    fn default() -> Self {
        Options {
            reactions: ReactionMap::default(),
            prompts: prompts::Prompts::builtin(),
            experiments: lab::load_file(None)
                .expect("the shipped experiments.toml is valid (a unit test checks it)"),
            clock: Arc::new(SystemClock),
            retention: retention::Retention::default(),
        }
    }
}

/// Marquee: every use case behind one door.
#[derive(Debug)]
pub struct App {
    services: Services,
    lab: lab::Lab,
    conversations: ask::Conversations,
    retention: retention::Retention,
}

impl App {
    /// Opens the configured database (bringing its schema up to date and filling an empty
    /// catalog with the starter films) and assembles the app.
    ///
    /// # Errors
    /// The database cannot be opened, or a configured file is invalid; the message says how to
    /// fix it.
    pub async fn open(config: &Config) -> anyhow::Result<Self> {
        let options = Options::from_config(config)?;
        let store = Store::connect(&config.database_url).await?;
        tracing::debug!(database = %redact_url(&config.database_url), "storage ready");
        match App::on_store(store.clone(), options).await {
            Ok(app) => Ok(app),
            Err(e) => {
                store.close().await;
                Err(e)
            }
        }
    }

    /// A Marquee of its own for `marquee demo`: a new SQLite database in the folder `dir` (the
    /// caller makes it and deletes it afterwards) with the starter catalog and the shipped
    /// settings (reactions, wording, experiments), on a clock that starts at a fixed evening and
    /// moves one second each time it is read, so the demo prints the same every time. The
    /// configured database is never opened.
    ///
    /// # Errors
    /// The database cannot be created in `dir`.
    pub async fn open_demo(dir: &std::path::Path) -> anyhow::Result<Self> {
        // The path as a URL: `%`, `?` and `#` would otherwise be read as escapes or parameters.
        let path = dir
            .join("demo.db")
            .display()
            .to_string()
            .replace('%', "%25")
            .replace('?', "%3F")
            .replace('#', "%23");
        let store = Store::connect(&format!("sqlite://{path}")).await?;
        let options = Options {
            clock: Arc::new(SteppingClock::new(DEMO_START_MS, 1_000)),
            ..Options::default()
        };
        match App::on_store(store.clone(), options).await {
            Ok(app) => Ok(app),
            Err(e) => {
                store.close().await;
                Err(e)
            }
        }
    }

    /// Assembles the app on an open store (what [`App::open`] does after connecting; tests
    /// call it with a store of their own and, where time matters, a clock of their own).
    ///
    /// # Errors
    /// Storage fails.
    pub async fn on_store(store: Store, options: Options) -> anyhow::Result<Self> {
        seed_starter_catalog(&store).await?;
        let services = Services::new(store, options.reactions, options.clock).await?;
        let lab = lab::Lab::default();
        lab.sync(&services, &options.experiments).await?;
        Ok(App {
            services,
            lab,
            conversations: ask::Conversations::new(options.prompts),
            retention: options.retention,
        })
    }

    /// Closes the database connections (the last thing a command does).
    pub async fn close(&self) {
        self.services.store.close().await;
    }

    /// The shared services, for tests and offline tools that check what a feature did
    /// (front ends only ever call [`App::handle`]).
    pub fn services(&self) -> &Services {
        &self.services
    }

    /// The experiments feature, for tests that check assignments directly.
    pub fn lab(&self) -> &lab::Lab {
        &self.lab
    }

    /// The reaction map feedback is read with (front ends offer its emoji under lists).
    pub fn reactions(&self) -> &ReactionMap {
        &self.services.reactions
    }

    /// The refusal of a command the caller may not run at all, decided from the caller alone
    /// (no storage), so a front end can answer it at once instead of acknowledging first.
    /// [`App::handle`] refuses the same commands the same way.
    pub fn refusal(caller: &Caller, command: &Command) -> Option<Reply> {
        match command {
            Command::Lab(lab) => lab::Lab::refuse(caller, lab),
            _ => None,
        }
    }

    /// Runs one command for `caller`.
    ///
    /// # Errors
    /// Only failures of storage, the models or drawing; every mistake in the input is a
    /// [`Reply`] (`Invalid`, `NotFound`, …).
    pub async fn handle(&self, caller: &Caller, command: Command) -> anyhow::Result<Reply> {
        let s = &self.services;
        // A press on a list that was not shown to the caller here is refused before anything
        // is stored (see [`guard`]).
        if let Some(refusal) = guard::list_refusal(s, caller, &command).await? {
            return Ok(refusal);
        }
        // The caller as stored (created on first sight), only for commands about them.
        macro_rules! who {
            () => {
                &match s.user(caller).await? {
                    Ok(user) => Who { user, caller },
                    Err(reply) => return Ok(reply),
                }
            };
        }
        match command {
            Command::Recommend {
                filters,
                instead_of,
            } => Box::pin(quiz::recommend(s, &self.lab, who!(), &filters, instead_of)).await,
            Command::Similar { title, count } => picks::similar(s, who!(), &title, count).await,
            Command::MoreLike { list, position } => {
                picks::more_like(s, who!(), list, position).await
            }
            Command::Rate { title, stars } => feedback::rate_film(s, who!(), &title, stars).await,
            Command::Seen { title } => feedback::seen_film(s, who!(), &title).await,
            Command::Review { title, text } => {
                feedback::review_film(s, who!(), &title, &text).await
            }
            Command::React {
                list,
                position,
                emoji,
                removed,
            } => {
                // A reaction on another message, or an emoji that means nothing, is not
                // feedback: nothing is stored, not even the person.
                if let Some(list) = list {
                    use crate::domain::ports::ImpressionRepo as _;
                    if s.reactions.get(&emoji).is_none() {
                        return Ok(Reply::Ignored);
                    }
                    let Some(shown) = s.store.impression(list, 1).await? else {
                        return Ok(Reply::Ignored);
                    };
                    // An old reaction of someone who asked to be forgotten, delivered again.
                    if privacy::predates_forgetting(s, caller, shown.shown.created_at_ms).await? {
                        return Ok(Reply::Ignored);
                    }
                }
                feedback::react_to(s, who!(), list, position, (&emoji, removed)).await
            }
            Command::Feedback {
                list,
                position,
                button,
            } => feedback::press(s, who!(), list, position, button).await,
            Command::FeedbackFor { list, position } => {
                feedback::feedback_for(s, list, position).await
            }
            Command::FindFilm { title } => Ok(catalog::find_film(&s.films, &title)),
            Command::Autocomplete { partial, limit } => {
                Ok(Reply::Choices(s.films.autocomplete(&partial, limit)))
            }
            Command::Profile => profile::profile(s, who!()).await,
            Command::Taste => profile::taste(s, who!()).await,
            Command::TasteMap => profile::taste_map(s, who!()).await,
            Command::TasteGroups { imported } => {
                let scope = if imported {
                    None
                } else {
                    services::scope_of(caller)
                };
                profile::groups(s, scope).await
            }
            Command::Ask { text, fresh } => self.conversations.ask(s, who!(), &text, fresh).await,
            Command::Steer { list, steer } => {
                self.conversations.steer(s, who!(), list, steer).await
            }
            Command::Party(party) => party::handle(s, &self.lab, caller, party).await,
            Command::Lab(lab) => self.lab.handle(s, caller, lab).await,
            Command::Privacy(privacy) => privacy::handle(s, caller, privacy).await,
            Command::Posted { list, message } => {
                use crate::domain::ports::ImpressionRepo as _;
                s.store.move_impressions(list, message).await?;
                Ok(Reply::Done)
            }
            Command::SearchCatalog { query, limit } => {
                Ok(Reply::Hits(s.films.search(&query, limit)))
            }
            Command::CatalogStats => Ok(Reply::Stats(Box::new(s.store.catalog_stats().await?))),
            Command::Import { source, quiet } => import::import(s, &source, quiet).await,
            Command::ImportHistory {
                name,
                bytes,
                expected,
            } => history::import(s, who!(), (&name, &bytes), expected).await,
            Command::ChooseHistory { choice, movie } => {
                history::choose(s, who!(), choice, movie).await
            }
            Command::Train => Ok(Reply::Trained(Box::new(training::retrain(s).await?))),
            Command::Help => Ok(Reply::Help(help::COMMANDS.to_vec())),
            Command::Quiz(step) => Box::pin(quiz::step(s, who!(), step)).await,
        }
    }

    /// Retrains the recommender and the taste groups and swaps them in (see [`jobs`]).
    ///
    /// # Errors
    /// Storage or training fails; the old model stays.
    pub async fn retrain(&self) -> anyhow::Result<training::TrainReport> {
        training::retrain(&self.services).await
    }

    /// The version of the model served (the stored snapshot's id; 0 for a catalog-only model
    /// never stored), or `None` before it is loaded.
    pub fn model_version(&self) -> Option<i64> {
        self.services.loaded_models().map(services::Models::version)
    }

    /// Whether this process trains: `serve --no-train` only loads what a `marquee trainer`
    /// stores. Call before the first command.
    pub fn set_trains(&self, trains: bool) {
        self.services.set_trains(trains);
    }

    /// Waits for this process's turn to IDENTIFY on Discord's gateway in rate-limit bucket
    /// `bucket`, shared with every process on the database (see
    /// [`IdentifyTurn`](crate::outbound::storage::IdentifyTurn)); release it once the shards
    /// have identified and the limit's 5 s have passed.
    ///
    /// # Errors
    /// Storage fails.
    pub async fn identify_turn(
        &self,
        bucket: u32,
    ) -> anyhow::Result<crate::outbound::storage::IdentifyTurn> {
        Ok(self.services.store.identify_turn(bucket).await?)
    }

    /// Loads the newest stored models when they are newer than the ones served (see
    /// [`training::follow_stored`]); the version now served.
    ///
    /// # Errors
    /// Storage fails.
    pub async fn follow_models(&self) -> anyhow::Result<i64> {
        training::follow_stored(&self.services).await
    }

    /// Closes every vote whose deadline passed (also one that passed while the bot was down);
    /// the front end announces the winners.
    ///
    /// # Errors
    /// Storage fails.
    pub async fn close_due_parties(&self) -> anyhow::Result<Vec<Winner>> {
        party::close_due(&self.services).await
    }

    /// Marquee is in `server` (again): a pending deletion of its data is called off.
    ///
    /// # Errors
    /// Storage fails.
    pub async fn server_joined(&self, server: GuildId, name: &str) -> anyhow::Result<()> {
        retention::joined(&self.services, server, name).await
    }

    /// Marquee was removed from `server`: its data is deleted after the grace period.
    ///
    /// # Errors
    /// Storage fails.
    pub async fn server_left(&self, server: GuildId) -> anyhow::Result<()> {
        retention::left(&self.services, server).await
    }

    /// Notes the servers Marquee was removed from while it was not running: those `mine` covers
    /// that are missing from `present` (Discord's list at connection).
    ///
    /// # Errors
    /// Storage fails.
    pub async fn servers_present(
        &self,
        present: &[GuildId],
        mine: impl Fn(GuildId) -> bool,
    ) -> anyhow::Result<Vec<GuildId>> {
        retention::reconcile(&self.services, present, mine).await
    }

    /// Deletes the servers whose grace period ended and purges what is kept only for a while
    /// (see [`jobs`]).
    ///
    /// # Errors
    /// Storage fails.
    pub async fn sweep(&self) -> anyhow::Result<retention::Swept> {
        retention::sweep(&self.services, &self.retention).await
    }

    /// Re-reads which experiments run (another process may have started or stopped one).
    ///
    /// # Errors
    /// Storage fails.
    pub async fn reload_experiments(&self) -> anyhow::Result<()> {
        self.lab.reload(&self.services).await
    }
}

/// Why the database is out of reach, when that is what `error` (from [`App::open`] or
/// [`App::handle`]) comes down to: the server is down, starting up or the connection broke, so
/// the same thing may work later. `None` for any other failure.
pub fn database_unreachable(error: &anyhow::Error) -> Option<String> {
    use crate::domain::error::StoreError;
    use crate::outbound::storage::ConnectError;
    error.chain().find_map(|cause| {
        if let Some(StoreError::Unavailable(why)) = cause.downcast_ref::<StoreError>() {
            return Some(why.clone());
        }
        cause
            .downcast_ref::<ConnectError>()
            .and_then(ConnectError::unreachable)
            .map(str::to_owned)
    })
}

/// Loads the starter catalog (with its prior votes) into an empty database. On a database
/// with films, the starter films that have no votes yet (loaded by an older version) get the
/// prior's; films with votes keep theirs.
///
/// # Errors
/// The films cannot be stored.
pub async fn seed_starter_catalog(store: &Store) -> anyhow::Result<()> {
    let bad = |errors: Vec<crate::outbound::starter_catalog::StarterRowError>| {
        anyhow::anyhow!(
            "the built-in catalog has {} bad rows, first: {}",
            errors.len(),
            errors[0]
        )
    };
    if store.movie_count().await? > 0 {
        let filled = store
            .fill_missing_votes(&starter_prior().map_err(bad)?)
            .await
            .context("loading the starter catalog's votes")?;
        if filled > 0 {
            tracing::info!(films = filled, "gave starter films their prior votes");
        }
        return Ok(());
    }
    let movies = starter_movies().map_err(bad)?;
    // Another process starting at the same time may have loaded it: then nothing happens.
    if let Some(summary) = store
        .seed_movies(&movies)
        .await
        .context("loading the starter catalog")?
    {
        tracing::info!(
            films = summary.inserted,
            "loaded the starter catalog into an empty database"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests;
