//! Every trait the domain needs from the outside world. Reading this file answers "what does
//! Marquee need from a database and a clock?".
//!
//! Dispatch: the traits use return-position `impl Future + Send`, so they are not object-safe.
//! Use cases take the repositories they need as `impl Trait` bounds (static dispatch); the app
//! passes the concrete storage adapter (`Store`, an enum over SQLite and PostgreSQL), and the
//! storage contract tests run the same code against both backends.

use crate::domain::catalog::{CatalogStats, FilmVotes, Movie, MovieInfo, Votes};
use crate::domain::error::StoreError;
use crate::domain::events::{Appended, FeedbackEvent, NewFeedbackEvent, NewReview, StoredReview};
use crate::domain::ids::{GuildId, MovieId, PartyId, UserId};
use std::future::Future;

/// Result of a port call.
pub type StoreResult<T> = Result<T, StoreError>;

/// What an upsert of catalog rows did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UpsertSummary {
    pub inserted: u64,
    pub updated: u64,
    /// Rows identical to what was stored already.
    pub unchanged: u64,
}

/// The film catalog.
pub trait CatalogRepo: Send + Sync {
    /// Number of films.
    fn movie_count(&self) -> impl Future<Output = StoreResult<i64>> + Send;

    /// Stores `movies` only if the catalog is empty, atomically: of several processes starting
    /// together on a new database, exactly one loads them. `None` when films were there.
    ///
    /// # Errors
    /// `Invalid` for a film with an empty title; `Unavailable` after retries.
    fn seed_movies(
        &self,
        movies: &[MovieInfo],
    ) -> impl Future<Output = StoreResult<Option<UpsertSummary>>> + Send;

    /// Inserts new films and merges known ones. A film is "known" when it shares a MovieLens,
    /// TMDB or IMDb id with a stored film, or else its normalised title and year. Merging keeps
    /// stored values where the incoming ones are empty. Running the same upsert twice changes
    /// nothing the second time. Catalog writes of concurrent processes are serialised, so two
    /// of them never both insert the same new film.
    ///
    /// # Errors
    /// `Invalid` for a film with an empty title; `Unavailable` after retries.
    fn upsert_movies(
        &self,
        movies: &[MovieInfo],
    ) -> impl Future<Output = StoreResult<UpsertSummary>> + Send;

    /// Gives each film that has no votes yet (vote count 0) the votes listed for its title and
    /// year (normalised title, same year); films with votes keep theirs, so running it again
    /// changes nothing. Returns how many films changed.
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn fill_missing_votes(
        &self,
        votes: &[FilmVotes],
    ) -> impl Future<Output = StoreResult<u64>> + Send;

    /// Sets the votes of films by id (what an import learned about them) where they replace
    /// the stored ones ([`crate::domain::catalog::votes_replace`]: same data set, or too few
    /// stored). Unknown ids are skipped. Returns how many films changed.
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn set_votes(
        &self,
        votes: &[(MovieId, Votes)],
    ) -> impl Future<Output = StoreResult<u64>> + Send;

    /// One film.
    ///
    /// # Errors
    /// `NotFound` when no film has this id.
    fn movie(&self, id: MovieId) -> impl Future<Output = StoreResult<Movie>> + Send;

    /// Every film, ordered by id. Meant for building in-memory indexes and models.
    fn all_movies(&self) -> impl Future<Output = StoreResult<Vec<Movie>>> + Send;

    /// Counts for `catalog stats`.
    fn catalog_stats(&self) -> impl Future<Output = StoreResult<CatalogStats>> + Send;
}

/// Where a user comes from. Historical raters from public data stay apart from real people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UserKind {
    Discord,
    Console,
    MovieLens,
}

impl UserKind {
    /// The stable name stored in the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            UserKind::Discord => "discord",
            UserKind::Console => "console",
            UserKind::MovieLens => "movielens",
        }
    }
}

/// People. What Marquee knows about a person belongs to (server, person): the same Discord user
/// in two servers is two users, and nothing one of them does reaches the other. Imported raters
/// live in the shared base (no server).
pub trait UserRepo: Send + Sync {
    /// The id of `person` (a Discord snowflake, a console name, a MovieLens id) in `server`
    /// (`None`: the shared base), created on first sight. `display_name` is stored on creation
    /// and refreshed when it changes.
    fn ensure_user(
        &self,
        kind: UserKind,
        person: &str,
        display_name: &str,
        server: Option<GuildId>,
    ) -> impl Future<Output = StoreResult<UserId>> + Send;

    /// Every user of `person`, with the server each belongs to.
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn users_of_person(
        &self,
        kind: UserKind,
        person: &str,
    ) -> impl Future<Output = StoreResult<Vec<(UserId, Option<GuildId>)>>> + Send;

    /// The server of every user (`None`: the shared base), by user id.
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn user_servers(
        &self,
    ) -> impl Future<Output = StoreResult<Vec<(UserId, Option<GuildId>)>>> + Send;
}

/// The append-only feedback log.
pub trait FeedbackRepo: Send + Sync {
    /// Appends one event. An event whose idempotency key is already stored is not stored again
    /// (`Appended::Duplicate`): a Discord event delivered twice counts once.
    ///
    /// # Errors
    /// `Invalid` when the user or film does not exist; `Unavailable` after retries.
    fn append_event(
        &self,
        event: &NewFeedbackEvent,
    ) -> impl Future<Output = StoreResult<Appended>> + Send;

    /// A user's events, oldest first.
    fn events_for_user(
        &self,
        user: UserId,
    ) -> impl Future<Output = StoreResult<Vec<FeedbackEvent>>> + Send;

    /// Number of stored events.
    fn event_count(&self) -> impl Future<Output = StoreResult<i64>> + Send;

    /// Every event, oldest first: what training reads.
    fn all_events(&self) -> impl Future<Output = StoreResult<Vec<FeedbackEvent>>> + Send;

    /// Up to `limit` events after `after` (from the first when `None`), oldest first, in the
    /// compact form training streams the log in (see
    /// [`LogDigest`](crate::domain::recommend::digest::LogDigest)).
    ///
    /// # Errors
    /// `Unavailable` after retries; `Invalid` for a row that cannot be read.
    fn event_log_page(
        &self,
        after: Option<crate::domain::ids::EventId>,
        limit: u32,
    ) -> impl Future<Output = StoreResult<Vec<crate::domain::events::LoggedEvent>>> + Send;

    /// The events of the members of `server` (`None`: of the shared base), oldest first.
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn events_of_server(
        &self,
        server: Option<GuildId>,
    ) -> impl Future<Output = StoreResult<Vec<FeedbackEvent>>> + Send;

    /// What "liked on this server lately" is computed from: the events of the members of
    /// `server` other than `except` about the films each of them gave feedback on at or after
    /// `since_ms` (all of that member's events on such a film, older ones too, so they combine
    /// as usual), oldest first. Nothing of another server, nor of the shared base.
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn recent_events_of_server(
        &self,
        server: GuildId,
        since_ms: i64,
        except: Option<UserId>,
    ) -> impl Future<Output = StoreResult<Vec<FeedbackEvent>>> + Send;

    /// Stores a review and its feedback event together (both or neither). A review whose
    /// event's idempotency key is already stored is not stored again.
    ///
    /// # Errors
    /// `Invalid` when the user or film does not exist; `Unavailable` after retries.
    fn record_review(
        &self,
        review: &NewReview,
    ) -> impl Future<Output = StoreResult<Appended>> + Send;

    /// Stores what a history import brings, in one transaction (all of it or nothing): the
    /// events, and the reviews with their events. Events already stored (same idempotency key)
    /// are left as they are; `settles`, a kept row and the film the person has now chosen for
    /// it (0: none of them) ([`FeedbackRepo::keep_history_choices`]), is marked chosen in the
    /// same transaction. How many were new, and how many were already there.
    ///
    /// # Errors
    /// `Unavailable` after retries; `Invalid` when a film or person is not stored.
    fn record_history(
        &self,
        events: &[NewFeedbackEvent],
        reviews: &[NewReview],
        settles: Option<(i64, i64)>,
    ) -> impl Future<Output = StoreResult<(u64, u64)>> + Send;

    /// Keeps rows of a history import that fit several films until `user` says which one
    /// they meant: `(key, details)`, one row per key (a later import's copy replaces the
    /// earlier one's details and keeps its id and choice). Returns each row's id and the film
    /// chosen for it already, if any (0: none of them), in order.
    ///
    /// # Errors
    /// `Unavailable` after retries; `Invalid` when the person is not stored.
    fn keep_history_choices(
        &self,
        user: UserId,
        rows: &[(String, String)],
        at_ms: i64,
    ) -> impl Future<Output = StoreResult<Vec<(i64, Option<i64>)>>> + Send;

    /// A kept row (see [`FeedbackRepo::keep_history_choices`]): whose it is, its details and
    /// the film chosen for it, if any.
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn history_choice(
        &self,
        id: i64,
    ) -> impl Future<Output = StoreResult<Option<(UserId, String, Option<i64>)>>> + Send;

    /// A user's reviews of a film, oldest first.
    fn reviews_of(
        &self,
        user: UserId,
        movie: MovieId,
    ) -> impl Future<Output = StoreResult<Vec<StoredReview>>> + Send;
}

/// A stored model snapshot's bytes and bookkeeping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredModel {
    pub id: i64,
    /// What the bytes are, e.g. `recommender`.
    pub kind: String,
    /// The format version the bytes were written in.
    pub format: i64,
    pub data: Vec<u8>,
    /// Feedback events the model was trained on.
    pub events_seen: i64,
    pub created_at_ms: i64,
}

/// Trained models, newest wins.
pub trait ModelRepo: Send + Sync {
    /// Stores a snapshot and returns its id.
    fn save_model(
        &self,
        kind: &str,
        format: i64,
        data: &[u8],
        events_seen: i64,
        created_at_ms: i64,
    ) -> impl Future<Output = StoreResult<i64>> + Send;

    /// The newest snapshot of `kind`, if any.
    fn latest_model(
        &self,
        kind: &str,
    ) -> impl Future<Output = StoreResult<Option<StoredModel>>> + Send;

    /// Stores `data` as the only snapshot of `kind`: every older one is deleted with it (after
    /// someone was forgotten, no older snapshot may still hold them).
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn replace_models(
        &self,
        kind: &str,
        format: i64,
        data: &[u8],
        events_seen: i64,
        created_at_ms: i64,
    ) -> impl Future<Output = StoreResult<i64>> + Send;

    /// Deletes every snapshot of `kind`.
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn delete_models(&self, kind: &str) -> impl Future<Output = StoreResult<()>> + Send;

    /// Stores several snapshots (a training's recommender and taste groups) in one transaction,
    /// so a reader sees all or none of them, and tells every process sharing the database that
    /// a new version is there; their ids, in order.
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn save_models(
        &self,
        models: &[ModelToSave<'_>],
        events_seen: i64,
        created_at_ms: i64,
    ) -> impl Future<Output = StoreResult<Vec<i64>>> + Send;

    /// The id of the newest snapshot of `kind` (its version), if any: cheap, for noticing a
    /// new one.
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn latest_model_id(&self, kind: &str) -> impl Future<Output = StoreResult<Option<i64>>> + Send;
}

/// One snapshot for [`ModelRepo::save_models`].
#[derive(Debug, Clone, Copy)]
pub struct ModelToSave<'a> {
    pub kind: &'a str,
    pub format: i64,
    pub data: &'a [u8],
}

/// A watch party someone was part of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartyTrace {
    pub party: PartyId,
    pub created_at_ms: i64,
    pub status: PartyStatus,
    pub hosted: bool,
    pub winner: Option<MovieId>,
    /// The films they voted for.
    pub votes: Vec<MovieId>,
}

/// Everything stored about one user (one person in one server).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PersonalData {
    pub display_name: String,
    /// Ratings, reactions, buttons, seen and not-interested marks, reviews' readings.
    pub events: Vec<FeedbackEvent>,
    /// Reviews with their text.
    pub reviews: Vec<StoredReview>,
    /// How many films were shown to them in lists.
    pub films_shown: u64,
    pub parties: Vec<PartyTrace>,
    /// Open `/ask` conversations (their state, JSON).
    pub conversations: Vec<String>,
    /// (experiment, variant) they were assigned.
    pub experiments: Vec<(String, String)>,
    /// Their watch-party fairness debt in their server (how much weight their wishes get at
    /// the next movie night), if they have one.
    pub fairness_debt: Option<f64>,
    /// Rows of a history import that fit several films (JSON), and the film they chose for
    /// each (0: none of them; `None`: not chosen yet).
    pub history_choices: Vec<(String, Option<i64>)>,
}

/// What a purge removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Purged {
    /// Expired `/ask` conversations.
    pub conversations: u64,
    /// Lists shown before the impression cut-off.
    pub impressions: u64,
    /// Lobbies that never started, called off.
    pub lobbies: u64,
    /// Records of forgotten people older than the impression cut-off: every list they could
    /// react to again is gone by then.
    pub tombstones: u64,
    /// Experiment assignments of people no longer stored (written by another process in the
    /// moment its memory of a forgotten person's id lasted).
    pub stray_assignments: u64,
}

/// The servers Marquee is in, and what it keeps only for a while.
pub trait RetentionRepo: Send + Sync {
    /// Marquee is in `server` (again): a removal pending deletion is called off.
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn server_joined(
        &self,
        server: GuildId,
        name: &str,
        at_ms: i64,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Marquee was removed from `server` at `at_ms`.
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn server_left(
        &self,
        server: GuildId,
        at_ms: i64,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// The servers Marquee left before `cutoff_ms` (their data is due for deletion).
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn servers_left_before(
        &self,
        cutoff_ms: i64,
    ) -> impl Future<Output = StoreResult<Vec<GuildId>>> + Send;

    /// The servers Marquee is in (joined, not removed since).
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn servers_present(&self) -> impl Future<Output = StoreResult<Vec<GuildId>>> + Send;

    /// Deletes what is kept about `server` itself (its watch parties, fairness debts,
    /// experiment runs and assignments, lists shown there, and the server's row); its people
    /// are forgotten with [`PrivacyRepo::forget_users`] first.
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn delete_server(&self, server: GuildId) -> impl Future<Output = StoreResult<()>> + Send;

    /// The users of `server`.
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn users_of_server(
        &self,
        server: GuildId,
    ) -> impl Future<Output = StoreResult<Vec<UserId>>> + Send;

    /// Deletes conversations expired at `now_ms`, lists shown and records of forgotten people
    /// from before `impressions_before_ms`, and experiment assignments of people no longer
    /// stored, and calls off lobbies opened before `lobbies_before_ms` that never started.
    /// Keys of applied writes (see [`PartyClose::key`]) older than a day go too, and rows of a
    /// history import never chosen for, kept since before `impressions_before_ms`.
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn purge(
        &self,
        now_ms: i64,
        impressions_before_ms: i64,
        lobbies_before_ms: i64,
    ) -> impl Future<Output = StoreResult<Purged>> + Send;
}

/// Personal data: what is kept about a person, its removal, and remembering who asked to be
/// forgotten (by a keyed hash, never the id).
pub trait PrivacyRepo: Send + Sync {
    /// Everything stored about `user`.
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn personal_data(&self, user: UserId)
    -> impl Future<Output = StoreResult<PersonalData>> + Send;

    /// Deletes everything about `users` in one transaction: the users, their events, reviews,
    /// lists, conversations, fairness debts, watch parties they hosted, their membership and
    /// votes in others (and their predicted enjoyment there), their experiment assignments.
    /// Returns how many rows went.
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn forget_users(&self, users: &[UserId]) -> impl Future<Output = StoreResult<u64>> + Send;

    /// Remembers that the person with this hash asked to be forgotten in `server` (`None`:
    /// everywhere) at `at_ms`.
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn remember_forgotten(
        &self,
        person_hash: &str,
        server: Option<GuildId>,
        at_ms: i64,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// When the person with this hash last asked to be forgotten in `server` (or everywhere).
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn forgotten_at(
        &self,
        person_hash: &str,
        server: GuildId,
    ) -> impl Future<Output = StoreResult<Option<i64>>> + Send;

    /// The secret named `name`, stored as `candidate` when there is none yet.
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn secret(
        &self,
        name: &str,
        candidate: &[u8],
    ) -> impl Future<Output = StoreResult<Vec<u8>>> + Send;
}

/// Where a list of films was shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Surface {
    /// Personal picks (`/recommend`).
    Recommend,
    /// "More like this" (`/similar`).
    Similar,
    /// A watch party's winner, announced to the group.
    WatchParty,
    /// Picks for a wish in a conversation (`/ask`).
    Ask,
}

impl Surface {
    /// The stable name stored in the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            Surface::Recommend => "recommend",
            Surface::Similar => "similar",
            Surface::WatchParty => "watchparty",
            Surface::Ask => "ask",
        }
    }

    /// The surface a stored name stands for.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "recommend" => Some(Surface::Recommend),
            "similar" => Some(Surface::Similar),
            "watchparty" => Some(Surface::WatchParty),
            "ask" => Some(Surface::Ask),
            _ => None,
        }
    }
}

/// One film shown at one position of a suggestion message, to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewImpression {
    /// The message the list was shown in (a Discord message id, or a console counter).
    pub message_id: i64,
    pub channel: Option<i64>,
    pub guild: Option<GuildId>,
    /// Who the list was shown to.
    pub user: UserId,
    pub movie: MovieId,
    /// 1-based position in the list, as numbered to the user.
    pub position: u32,
    pub surface: Surface,
    pub created_at_ms: i64,
}

/// A stored [`NewImpression`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Impression {
    pub id: i64,
    pub shown: NewImpression,
}

/// Films shown in suggestion messages: reactions on a message find their film here.
pub trait ImpressionRepo: Send + Sync {
    /// Stores the films of one or more messages. A (message, position) already stored is left
    /// as it is (a repeated delivery stores nothing new); returns how many rows were new.
    ///
    /// # Errors
    /// `Invalid` when a user or film does not exist; `Unavailable` after retries.
    fn record_impressions(
        &self,
        rows: &[NewImpression],
    ) -> impl Future<Output = StoreResult<u64>> + Send;

    /// The film shown at `position` of message `message_id`, if any.
    fn impression(
        &self,
        message_id: i64,
        position: u32,
    ) -> impl Future<Output = StoreResult<Option<Impression>>> + Send;

    /// Every film of one message, by position.
    fn impressions_of_message(
        &self,
        message_id: i64,
    ) -> impl Future<Output = StoreResult<Vec<Impression>>> + Send;

    /// The message of the newest list shown to `user`, if any.
    fn latest_message_for(
        &self,
        user: UserId,
    ) -> impl Future<Output = StoreResult<Option<i64>>> + Send;

    /// Moves the films stored under message `from` to message `to` (a list is stored before
    /// the front end knows the id of the message that shows it). When `to` already holds a
    /// list (a repeated delivery), the rows of `from` are dropped instead. Returns the rows moved.
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn move_impressions(&self, from: i64, to: i64)
    -> impl Future<Output = StoreResult<u64>> + Send;
}

/// Everything the app needs from storage, as one bound.
/// Where a watch party is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartyStatus {
    /// Gathering members.
    Lobby,
    /// The shortlist is out; members vote.
    Voting,
    /// The winner is chosen.
    Closed,
    /// Called off.
    Cancelled,
}

impl PartyStatus {
    /// The stable name stored in the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            PartyStatus::Lobby => "lobby",
            PartyStatus::Voting => "voting",
            PartyStatus::Closed => "closed",
            PartyStatus::Cancelled => "cancelled",
        }
    }

    /// The status a stored name stands for.
    pub fn parse(name: &str) -> Option<Self> {
        [
            PartyStatus::Lobby,
            PartyStatus::Voting,
            PartyStatus::Closed,
            PartyStatus::Cancelled,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
    }
}

/// A watch party to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewParty {
    pub guild: GuildId,
    pub channel: i64,
    pub host: UserId,
    /// The aggregation strategy's name.
    pub strategy: String,
    /// The options as JSON (runtime, genre, when, anonymous, vote minutes).
    pub params: String,
    pub created_at_ms: i64,
    /// Names this attempt (e.g. the interaction's id): the same key again returns the party
    /// the first try made, so a retry or a re-delivered command never makes a second one.
    pub key: Option<String>,
}

/// A vote closing with its winner, and everything that must change with it at once.
#[derive(Debug, Clone, PartialEq)]
pub struct PartyClose {
    pub id: PartyId,
    pub winner: MovieId,
    pub now_ms: i64,
    /// The members' new fairness debts in the party's server.
    pub debts: Vec<(UserId, f64)>,
    /// Names this attempt: a retry of it (after a lost commit acknowledgement) is told it
    /// closed the vote, so the winner is still announced.
    pub key: String,
}

/// A stored watch party.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party {
    pub id: PartyId,
    pub guild: GuildId,
    pub channel: i64,
    pub lobby_message: Option<i64>,
    pub vote_message: Option<i64>,
    pub host: UserId,
    pub status: PartyStatus,
    pub strategy: String,
    pub params: String,
    pub deadline_ms: Option<i64>,
    pub winner: Option<MovieId>,
    pub scheduled_event: Option<i64>,
    pub created_at_ms: i64,
    pub closed_at_ms: Option<i64>,
}

/// One film of a party's shortlist.
#[derive(Debug, Clone, PartialEq)]
pub struct PartyCandidate {
    pub movie: MovieId,
    /// 0-based place in the shortlist (0 = best group score).
    pub position: u32,
    pub group_score: f64,
    /// JSON: per-member predictions and the reason.
    pub details: String,
}

/// Watch parties, their members, shortlists, votes, and fairness across nights.
pub trait PartyRepo: Send + Sync {
    /// Stores a new party in the lobby state, with its host as the first member.
    ///
    /// # Errors
    /// `Invalid` when the host does not exist; `Unavailable` after retries.
    fn create_party(&self, party: &NewParty) -> impl Future<Output = StoreResult<PartyId>> + Send;

    /// One party.
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn party(&self, id: PartyId) -> impl Future<Output = StoreResult<Option<Party>>> + Send;

    /// Records the message a party's lobby or vote is shown in.
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn set_party_message(
        &self,
        id: PartyId,
        vote: bool,
        message_id: i64,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Adds (or re-adds) a member while the party is in the lobby; true when they were not an
    /// active member before (false too when the vote has opened: nothing changes then).
    ///
    /// # Errors
    /// `Invalid` when the user does not exist; `Unavailable` after retries.
    fn join_party(
        &self,
        id: PartyId,
        user: UserId,
        now_ms: i64,
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    /// Marks a member as gone; their votes are withdrawn. True when they were an active member.
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn leave_party(
        &self,
        id: PartyId,
        user: UserId,
        now_ms: i64,
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    /// The active members, in joining order.
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn party_members(&self, id: PartyId) -> impl Future<Output = StoreResult<Vec<UserId>>> + Send;

    /// Stores the shortlist and opens the vote (lobby → voting) until `deadline_ms`, in one
    /// transaction; false when the party was not in the lobby any more (someone else picked).
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn open_vote(
        &self,
        id: PartyId,
        candidates: &[PartyCandidate],
        deadline_ms: i64,
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    /// The shortlist, by position.
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn party_candidates(
        &self,
        id: PartyId,
    ) -> impl Future<Output = StoreResult<Vec<PartyCandidate>>> + Send;

    /// Approves a film, or withdraws the approval when it was given: true when the member now
    /// approves it. `key` names the click: the same key again changes nothing and returns what
    /// the first try returned, so a retry never flips the vote back.
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn toggle_vote(
        &self,
        id: PartyId,
        user: UserId,
        movie: MovieId,
        at: (i64, &str),
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    /// Every standing approval: (member, film).
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn party_votes(
        &self,
        id: PartyId,
    ) -> impl Future<Output = StoreResult<Vec<(UserId, MovieId)>>> + Send;

    /// Closes a vote with its winner and stores the new fairness debts, in one transaction;
    /// false when it was not open (closed already, by another process or an earlier click),
    /// so exactly one caller announces it. A retry with the same key is told true.
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn close_party(&self, close: &PartyClose) -> impl Future<Output = StoreResult<bool>> + Send;

    /// Records the Discord scheduled event created for a party.
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn set_scheduled_event(
        &self,
        id: PartyId,
        event_id: i64,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Votes whose deadline has passed and are still open.
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn parties_due(&self, now_ms: i64) -> impl Future<Output = StoreResult<Vec<Party>>> + Send;

    /// A server's parties, newest first.
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn guild_parties(
        &self,
        guild: GuildId,
        limit: u32,
    ) -> impl Future<Output = StoreResult<Vec<Party>>> + Send;

    /// The display name of each of `users` (empty when unknown).
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn user_names(&self, users: &[UserId])
    -> impl Future<Output = StoreResult<Vec<String>>> + Send;

    /// The fairness debt of each of `users` in a server (0 when none is stored).
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn fairness(
        &self,
        guild: GuildId,
        users: &[UserId],
    ) -> impl Future<Output = StoreResult<Vec<f64>>> + Send;

    /// Stores new fairness debts.
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn set_fairness(
        &self,
        guild: GuildId,
        debts: &[(UserId, f64)],
        now_ms: i64,
    ) -> impl Future<Output = StoreResult<()>> + Send;
}

/// An experiment as stored: its definition (JSON of [`crate::domain::experiment::Experiment`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredExperiment {
    pub key: String,
    pub definition: String,
    /// The definition file's version it came from.
    pub version: i64,
}

/// Where an experiment runs: in one server (its admins start it), or in every server (only the
/// bot's operator starts those).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunScope {
    Everywhere,
    Server(GuildId),
}

impl RunScope {
    /// Whether a run of this scope applies in `server`.
    pub fn covers(self, server: Option<GuildId>) -> bool {
        match self {
            RunScope::Everywhere => true,
            RunScope::Server(s) => server == Some(s),
        }
    }
}

/// One experiment's run in one scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExperimentRun {
    pub key: String,
    pub scope: RunScope,
    /// Running now (else stopped).
    pub running: bool,
    pub started_at_ms: i64,
    pub stopped_at_ms: Option<i64>,
}

/// What happened to the suggestions one variant showed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VariantOutcomes {
    pub variant: String,
    /// Distinct users (or servers) shown at least one suggestion.
    pub units: u64,
    /// Suggestions shown (one per film and list).
    pub exposures: u64,
    /// Shown suggestions that got a standing like (a reaction or button worth 3.5★ or more).
    pub likes: u64,
    /// Shown suggestions turned down ("not interested").
    pub not_interested: u64,
    /// Shown suggestions whose list was replaced with "Refresh".
    pub refreshes: u64,
    /// Shown suggestions the user later rated explicitly.
    pub ratings: u64,
}

/// Experiments, sticky assignments and the outcomes of what each variant showed.
pub trait ExperimentRepo: Send + Sync {
    /// Stores an experiment's definition: a new key starts as a draft; a known one keeps its
    /// status and gets the new definition.
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn sync_experiment(
        &self,
        key: &str,
        layer: &str,
        unit: &str,
        definition: &str,
        version: i64,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Every stored experiment, by key.
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn experiments(&self) -> impl Future<Output = StoreResult<Vec<StoredExperiment>>> + Send;

    /// Every run of every experiment, in every scope.
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn experiment_runs(&self) -> impl Future<Output = StoreResult<Vec<ExperimentRun>>> + Send;

    /// Starts (`running`) or stops an experiment in one scope, stamping the time: a restart
    /// keeps the first start time; a stop keeps the stop time.
    ///
    /// # Errors
    /// `NotFound` for an unknown key; `Unavailable` after retries.
    fn set_experiment_run(
        &self,
        key: &str,
        scope: RunScope,
        running: bool,
        now_ms: i64,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Assigns `unit` to `variant` unless it has a variant already; returns the stored one
    /// (assignments are sticky).
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn assign_variant(
        &self,
        key: &str,
        unit: &str,
        variant: &str,
        now_ms: i64,
    ) -> impl Future<Output = StoreResult<String>> + Send;

    /// Every stored assignment of `unit`: (experiment key, variant).
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn assignments_of(
        &self,
        unit: &str,
    ) -> impl Future<Output = StoreResult<Vec<(String, String)>>> + Send;

    /// Attributes the films shown in message `message_id` to an experiment's variant.
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn tag_impressions(
        &self,
        message_id: i64,
        key: &str,
        variant: &str,
    ) -> impl Future<Output = StoreResult<u64>> + Send;

    /// Marks the list shown in `message_id` as replaced by "Refresh".
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn mark_refreshed(&self, message_id: i64) -> impl Future<Output = StoreResult<u64>> + Send;

    /// Outcomes per variant of an experiment, by variant name: of what was shown in `server`
    /// (`None`: everywhere); with `until_ms`, only what was shown before then (for a chart over
    /// time).
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn variant_outcomes(
        &self,
        key: &str,
        server: Option<GuildId>,
        until_ms: Option<i64>,
    ) -> impl Future<Output = StoreResult<Vec<VariantOutcomes>>> + Send;
}

/// Conversation state per user and channel (`/ask`), kept until it expires.
pub trait ConversationRepo: Send + Sync {
    /// The state (JSON) of `user`'s conversation in `channel`, unless it expired before `now_ms`.
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn conversation(
        &self,
        user: UserId,
        channel: i64,
        now_ms: i64,
    ) -> impl Future<Output = StoreResult<Option<String>>> + Send;

    /// Stores (or replaces) the state, valid until `expires_ms`.
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn save_conversation(
        &self,
        user: UserId,
        channel: i64,
        state: &str,
        now_ms: i64,
        expires_ms: i64,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Notes one answer of conversation `conversation`: the films its wish names, and the list
    /// `list` its suggestions were shown as (so accepting one later finds the conversation).
    /// Nothing about the person is stored. Repeating it changes nothing.
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn remember_turn(
        &self,
        conversation: i64,
        list: Option<i64>,
        named: &[MovieId],
        now_ms: i64,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Notes that `movie`, suggested in a conversation, was accepted: shown in list `list` when
    /// given, else in any `/ask` list shown to `user` that is still kept. Returns the
    /// conversations it was added to (0 when it was not an `/ask` suggestion).
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn accept_suggestion(
        &self,
        list: Option<i64>,
        user: UserId,
        movie: MovieId,
        now_ms: i64,
    ) -> impl Future<Output = StoreResult<u64>> + Send;

    /// Every (conversation, film) noted, named or accepted, by conversation: what
    /// [`crate::domain::conversation::together::Together`] learns from.
    ///
    /// # Errors
    /// `Unavailable` after retries.
    fn conversation_films(&self) -> impl Future<Output = StoreResult<Vec<(i64, MovieId)>>> + Send;
}

/// The time, handed to the domain rather than read by it.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> i64;
}
