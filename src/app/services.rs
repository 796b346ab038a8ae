//! What every use case works on, loaded once per process: the store, the catalog, the models
//! (loaded on first use, so `marquee catalog search` never waits for a model), the reaction
//! map, the VADER scorer and the clock. Feature state (running experiments, conversation
//! wording) is owned by its feature module, not here.

use crate::app::catalog::Films;
use crate::app::command::{Caller, LOCAL_SERVER, ListId, Person};
use crate::app::reply::{PickLine, Reply};
use crate::app::training;
use crate::domain::conversation::together::Together;
use crate::domain::events::FeedbackEvent;
use crate::domain::feedback::{EventContext, ReactionMap};
use crate::domain::ids::{GuildId, MovieId, UserId};
use crate::domain::ports::{
    Clock, FeedbackRepo as _, ImpressionRepo as _, NewImpression, PartyRepo as _, Surface,
    UserKind, UserRepo as _,
};
use crate::domain::recommend::cold::{self, ColdStart, LikedHere};
use crate::domain::recommend::snapshot::ModelSnapshot;
use crate::domain::sentiment::Vader;
use crate::domain::taste::ServerTaste;
use crate::domain::time::{DAY_MS, year_of};
use crate::outbound::storage::Store;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use tokio::sync::OnceCell;

/// The longest user name accepted.
pub const MAX_NAME_CHARS: usize = 64;

/// Where what is known about the caller lives: imported raters in the shared base (`None`),
/// everyone else in their server.
pub fn scope_of(caller: &Caller) -> Option<GuildId> {
    match caller.person {
        Person::MovieLens(_) => None,
        _ => Some(caller.server.unwrap_or(LOCAL_SERVER)),
    }
}

/// A name a person on this machine goes by (`--user`), trimmed, or why it cannot be one.
///
/// # Errors
/// The sentence to show: empty, longer than [`MAX_NAME_CHARS`], or with control characters.
pub fn check_local_name(name: &str) -> Result<&str, String> {
    let name = name.trim();
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(format!(
            "A user name has 1 to {MAX_NAME_CHARS} characters, none of them control characters."
        ));
    }
    Ok(name)
}

/// A resolved caller: who they are in storage, and where they called from.
#[derive(Debug, Clone, Copy)]
pub struct Who<'a> {
    pub user: UserId,
    pub caller: &'a Caller,
}

impl Who<'_> {
    /// Where what is known about this person lives: their server, or the shared base for an
    /// imported rater.
    pub fn scope(&self) -> Option<GuildId> {
        scope_of(self.caller)
    }

    /// Where a signal on `movie` (given on list `list`, if any) came from, for the event log.
    pub fn context(
        &self,
        movie: MovieId,
        list: Option<ListId>,
        now_ms: i64,
        key: Option<String>,
    ) -> EventContext {
        EventContext {
            user: self.user,
            movie,
            guild: self.caller.server,
            source: self.caller.source.as_str().to_owned(),
            message_id: list,
            created_at_ms: now_ms,
            idempotency_key: key,
        }
    }
}

/// The serving model, the taste groups of the last training, how many events they were trained
/// on, which users' newest events are folded in, and the cold-start ranking of the catalog for
/// this model (built on first use).
#[derive(Debug)]
pub struct Models {
    snapshot: RwLock<ModelSnapshot>,
    groups: RwLock<Option<Arc<ServerTaste>>>,
    events_seen: AtomicI64,
    folded: Mutex<HashSet<UserId>>,
    /// The cold-start ranking, with the generation of the model it was built from.
    cold: RwLock<Option<(u64, Arc<ColdStart>)>>,
    /// Counts model swaps and forgets: a ranking built from an older model is not kept.
    generation: std::sync::atomic::AtomicU64,
    /// Which films go together, learned from past `/ask` conversations (rebuilt at training).
    together: RwLock<Arc<Together>>,
    /// The stored recommender snapshot's id (its version; 0 for one that was never stored).
    version: AtomicI64,
}

fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

impl Models {
    /// The serving model (read-locked; never hold it across an await).
    pub fn snapshot(&self) -> RwLockReadGuard<'_, ModelSnapshot> {
        read(&self.snapshot)
    }

    /// The taste groups of every server at the last training (cheap to hold: shared).
    pub fn taste(&self) -> Option<Arc<ServerTaste>> {
        read(&self.groups).clone()
    }

    /// Which films go together, as learned from past conversations (cheap to hold: shared).
    pub fn together(&self) -> Arc<Together> {
        read(&self.together).clone()
    }

    /// Swaps in what was learned from conversations.
    pub fn replace_together(&self, together: Together) {
        *write(&self.together) = Arc::new(together);
    }

    /// How many stored events the model was trained on (what
    /// [`FeedbackRepo::event_count`](crate::domain::ports::FeedbackRepo::event_count) said then).
    pub fn events_seen(&self) -> i64 {
        self.events_seen.load(Ordering::Relaxed)
    }

    /// The version served: the stored recommender snapshot's id (0 when it was never stored).
    pub fn version(&self) -> i64 {
        self.version.load(Ordering::Relaxed)
    }

    /// Swaps in a newly trained model and groups, trained on `events_seen` events, stored as
    /// `version`; every user is folded in again on first use.
    pub fn replace(
        &self,
        snapshot: ModelSnapshot,
        groups: Option<ServerTaste>,
        events_seen: i64,
        version: i64,
    ) {
        // Both swapped under both locks, so no reader sees the new model with the old groups;
        // the old ones are dropped after the locks (a large model takes a while to free).
        let old = {
            let mut serving = write(&self.snapshot);
            let mut grouped = write(&self.groups);
            let old = (
                std::mem::replace(&mut *serving, snapshot),
                std::mem::replace(&mut *grouped, groups.map(Arc::new)),
            );
            self.version.store(version, Ordering::Relaxed);
            self.events_seen.store(events_seen, Ordering::Relaxed);
            self.generation.fetch_add(1, Ordering::SeqCst);
            *write(&self.cold) = None;
            self.folded
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clear();
            old
        };
        drop(old);
    }

    /// Takes `users` out of the running model and taste groups (they asked to be forgotten).
    pub fn forget(&self, users: &[UserId]) {
        let mut snapshot = write(&self.snapshot);
        for u in users {
            snapshot.forget_user(*u);
        }
        drop(snapshot);
        self.generation.fetch_add(1, Ordering::SeqCst);
        *write(&self.cold) = None;
        let mut groups = write(&self.groups);
        if let Some(taste) = groups.as_mut() {
            let taste = Arc::make_mut(taste);
            for u in users {
                taste.forget(*u);
            }
        }
        drop(groups);
        let mut folded = self.folded.lock().unwrap_or_else(PoisonError::into_inner);
        for u in users {
            folded.remove(u);
        }
    }

    fn fold_in(&self, user: UserId, events: &[FeedbackEvent]) {
        write(&self.snapshot).fold_in(user, events);
        self.folded
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(user);
    }

    fn is_folded(&self, user: UserId) -> bool {
        self.folded
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(&user)
    }
}

/// The shared services of every use case.
#[derive(Debug)]
pub struct Services {
    pub store: Store,
    pub films: Films,
    pub reactions: ReactionMap,
    pub vader: Vader,
    pub clock: Arc<dyn Clock>,
    models: OnceCell<Models>,
    /// Held while training, so trainings never overlap (see [`training::retrain`]).
    pub(crate) training: tokio::sync::Mutex<()>,
    /// Whether this process trains (see [`Services::set_trains`]).
    trains: std::sync::atomic::AtomicBool,
    next_list: AtomicI64,
    /// Stored ids of people seen lately, with when they were looked up (see [`USER_CACHE_MS`]).
    users: Mutex<UserCache>,
}

/// Where this process's provisional list ids start: a random 24-bit tag of the process in the
/// high bits and a counter below (2^38 lists per process), all negative. Processes sharing a
/// database (shards, a console beside the bot) never hand out the same id.
fn provisional_lists() -> ListId {
    let mut tag = [0_u8; 4];
    // Without randomness, the clock tells processes apart nearly as well.
    if getrandom::fill(&mut tag).is_err() {
        tag = (std::process::id()
            ^ std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos()))
        .to_le_bytes();
    }
    let tag = i64::from(u32::from_le_bytes(tag) & 0x00ff_ffff);
    -((tag << 38) | 1)
}

/// (person, server) → (stored id, when it was looked up).
type UserCache = HashMap<(Person, Option<GuildId>), (UserId, i64)>;

/// How long a person's stored id is reused without asking storage again: another process may
/// have deleted it (`/privacy forget`, a server's deletion), and a write with a deleted id is
/// refused by the database, so it must not be kept for long.
pub const USER_CACHE_MS: i64 = 60_000;

impl Services {
    /// Services over `store`, with the films loaded.
    ///
    /// # Errors
    /// Storage fails.
    pub async fn new(
        store: Store,
        reactions: ReactionMap,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        use crate::domain::ports::CatalogRepo as _;
        let films = Films::new(store.all_movies().await?);
        let first_list = provisional_lists();
        Ok(Services {
            store,
            films,
            reactions,
            vader: Vader::new(),
            clock,
            models: OnceCell::new(),
            training: tokio::sync::Mutex::new(()),
            trains: std::sync::atomic::AtomicBool::new(true),
            next_list: AtomicI64::new(first_list),
            users: Mutex::new(HashMap::new()),
        })
    }

    /// Whether this process trains: when not (`serve --no-train`, beside a `marquee trainer`),
    /// it only loads the stored models. Set before the models are first used.
    pub fn set_trains(&self, trains: bool) {
        self.trains.store(trains, Ordering::Relaxed);
    }

    /// Whether this process trains (see [`Services::set_trains`]).
    pub fn trains(&self) -> bool {
        self.trains.load(Ordering::Relaxed)
    }

    /// Milliseconds since the epoch, from the app's clock.
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// The models, loaded (or trained, when none is stored) on first use.
    ///
    /// # Errors
    /// Storage or training fails.
    pub async fn models(&self) -> anyhow::Result<&Models> {
        self.models
            // Boxed: loading runs once, and every command awaits this future.
            .get_or_try_init(|| {
                Box::pin(async {
                    // Training when none is stored counts as a training: never two at once.
                    let _one_at_a_time = self.training.lock().await;
                    let loaded = if self.trains() {
                        training::load_or_train_counted(&self.store, self.now_ms()).await?
                    } else {
                        training::load_stored(&self.store).await?
                    };
                    let (snapshot, events_seen, version) = loaded;
                    let groups = training::latest_taste(&self.store).await?;
                    let together = training::learn_together(&self.store).await?;
                    Ok::<_, anyhow::Error>(Models {
                        snapshot: RwLock::new(snapshot),
                        groups: RwLock::new(groups.map(Arc::new)),
                        events_seen: AtomicI64::new(events_seen),
                        folded: Mutex::new(HashSet::new()),
                        cold: RwLock::new(None),
                        generation: std::sync::atomic::AtomicU64::new(0),
                        together: RwLock::new(Arc::new(together)),
                        version: AtomicI64::new(version),
                    })
                })
            })
            .await
    }

    /// The cold-start ranking of the catalog with the current model's likes (built once per
    /// model: after a training or a forget it is built again on first use).
    ///
    /// # Errors
    /// Storage or loading the model fails.
    pub async fn cold_start(&self) -> anyhow::Result<Arc<ColdStart>> {
        let models = self.models().await?;
        let generation = models.generation.load(Ordering::SeqCst);
        if let Some((built_from, cold)) = read(&models.cold).clone()
            && built_from == generation
        {
            return Ok(cold);
        }
        let built = {
            let snapshot = models.snapshot();
            Arc::new(ColdStart::new(self.films.all(), |m| snapshot.liked_by(m)))
        };
        // A model swapped or a person forgotten meanwhile: serve this one, keep none.
        let mut cache = write(&models.cold);
        if models.generation.load(Ordering::SeqCst) == generation {
            *cache = Some((generation, Arc::clone(&built)));
        }
        Ok(built)
    }

    /// The films other people of the caller's server liked lately (see
    /// [`crate::domain::recommend::cold::liked_here`]); none for an imported rater, who has no
    /// server.
    ///
    /// # Errors
    /// Storage fails.
    pub async fn liked_here(&self, who: &Who<'_>) -> anyhow::Result<Vec<LikedHere>> {
        let Some(server) = who.scope() else {
            return Ok(Vec::new());
        };
        self.liked_in(server, Some(who.user)).await
    }

    /// The films people of `server` (other than `except`) liked lately.
    ///
    /// # Errors
    /// Storage fails.
    pub async fn liked_in(
        &self,
        server: GuildId,
        except: Option<UserId>,
    ) -> anyhow::Result<Vec<LikedHere>> {
        let since = self.now_ms() - cold::RECENT_DAYS * DAY_MS;
        let events = self
            .store
            .recent_events_of_server(server, since, except)
            .await?;
        Ok(cold::liked_here(&events, since, except))
    }

    /// The current year, for what counts as a classic.
    pub fn year(&self) -> i32 {
        year_of(self.now_ms())
    }

    /// The models if they are loaded already (a retrain before first use just loads them).
    pub fn loaded_models(&self) -> Option<&Models> {
        self.models.get()
    }

    /// The stored id of the person behind `caller` (created on first sight, their display name
    /// kept up to date), or the reply explaining why the name cannot be used.
    ///
    /// # Errors
    /// Storage fails.
    pub async fn user(&self, caller: &Caller) -> anyhow::Result<Result<UserId, Reply>> {
        let server = scope_of(caller);
        let key = (caller.person.clone(), server);
        let now = self.now_ms();
        if let Some((id, at)) = self
            .users
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
            && (0..USER_CACHE_MS).contains(&(now - at))
        {
            return Ok(Ok(*id));
        }
        let (kind, external, name) = match &caller.person {
            Person::Discord { id, name } => {
                let name: String = name
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(MAX_NAME_CHARS)
                    .collect();
                (UserKind::Discord, id.to_string(), name)
            }
            Person::Local(name) => match check_local_name(name) {
                Ok(name) => (UserKind::Console, name.to_owned(), name.to_owned()),
                Err(text) => return Ok(Err(Reply::Invalid(text))),
            },
            Person::MovieLens(id) => (UserKind::MovieLens, id.to_string(), String::new()),
        };
        let id = self
            .store
            .ensure_user(kind, &external, &name, server)
            .await?;
        self.users
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, (id, now));
        Ok(Ok(id))
    }

    /// Forgets the cached ids of `person` (their users were deleted).
    pub fn forget_cached(&self, person: &Person) {
        self.users
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|(p, _), _| !p.same_as(person));
    }

    /// Forgets the cached ids that are among `users` (deleted with their server).
    pub fn forget_cached_users(&self, users: &[UserId]) {
        let gone: HashSet<UserId> = users.iter().copied().collect();
        self.users
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|_, (id, _)| !gone.contains(id));
    }

    /// Display names of `users`, in order ("member 12" for a person without one).
    ///
    /// # Errors
    /// Storage fails.
    pub async fn names(&self, users: &[UserId]) -> anyhow::Result<Vec<String>> {
        let names = self.store.user_names(users).await?;
        Ok(names
            .into_iter()
            .zip(users)
            .map(|(n, u)| {
                if n.trim().is_empty() {
                    format!("member {u}")
                } else {
                    n
                }
            })
            .collect())
    }

    /// One display name.
    ///
    /// # Errors
    /// Storage fails.
    pub async fn name(&self, user: UserId) -> anyhow::Result<String> {
        Ok(self.names(&[user]).await?.remove(0))
    }

    /// The user's stored events; folded into the model on the first call for this user.
    ///
    /// # Errors
    /// Storage or loading the model fails.
    pub async fn events_of(&self, user: UserId) -> anyhow::Result<Vec<FeedbackEvent>> {
        let models = self.models().await?;
        let events = self.store.events_for_user(user).await?;
        if !models.is_folded(user) {
            models.fold_in(user, &events);
        }
        Ok(events)
    }

    /// Folds the user's whole log into the model again, after new feedback, so their next
    /// picks reflect it at once.
    ///
    /// # Errors
    /// Storage or loading the model fails.
    pub async fn refresh(&self, user: UserId) -> anyhow::Result<()> {
        let models = self.models().await?;
        let events = self.store.events_for_user(user).await?;
        models.fold_in(user, &events);
        Ok(())
    }

    /// A fresh id for a list, until the front end knows the message it is shown in (a console
    /// list keeps it): negative, so it never meets a Discord message id, and unique across
    /// processes (see [`provisional_lists`]).
    pub fn new_list_id(&self) -> ListId {
        self.next_list.fetch_sub(1, Ordering::Relaxed)
    }

    /// A new conversation's id: 62 random bits, positive, so conversations of every process
    /// and every run stay apart (falls back to the clock and a list id without randomness).
    pub fn new_conversation_id(&self) -> i64 {
        let mut bytes = [0_u8; 8];
        let raw = if getrandom::fill(&mut bytes).is_ok() {
            i64::from_le_bytes(bytes)
        } else {
            self.now_ms().wrapping_mul(1_000_003) ^ self.new_list_id()
        };
        (raw & 0x3fff_ffff_ffff_ffff).max(1)
    }

    /// A key naming one attempt at a write (`what:p<n>`), unique across processes, for writes
    /// that must happen once when a retry repeats them (see `applied_actions`).
    pub fn fresh_key(&self, what: &str) -> String {
        format!("{what}:p{}", self.new_list_id().unsigned_abs())
    }

    /// Numbered list lines (from 1) for (film, reason) pairs; films not in the catalog are
    /// skipped.
    pub fn pick_lines(&self, picks: impl IntoIterator<Item = (MovieId, String)>) -> Vec<PickLine> {
        picks
            .into_iter()
            .filter_map(|(id, reason)| self.films.movie(id).map(|m| (m, reason)))
            .enumerate()
            .map(|(i, (m, reason))| PickLine {
                position: u32::try_from(i + 1).unwrap_or(u32::MAX),
                movie: m.id,
                title: m.info.title.clone(),
                year: m.info.year,
                title_with_year: m.info.display_title(),
                genres: m.info.genre_names(3),
                reason,
            })
            .collect()
    }

    /// Stores the films of a shown list under `list`, so reactions on it find them.
    ///
    /// # Errors
    /// Storage fails.
    pub async fn record_shown(
        &self,
        who: &Who<'_>,
        list: ListId,
        surface: Surface,
        items: &[PickLine],
    ) -> anyhow::Result<()> {
        let place = (who.caller.server, who.caller.channel);
        self.record_list(who.user, place, (list, surface), items)
            .await
    }

    /// Stores the films of a list shown to `user` in a (server, channel).
    ///
    /// # Errors
    /// Storage fails.
    pub async fn record_list(
        &self,
        user: UserId,
        (server, channel): (Option<GuildId>, Option<i64>),
        (list, surface): (ListId, Surface),
        items: &[PickLine],
    ) -> anyhow::Result<()> {
        let now = self.now_ms();
        let rows: Vec<NewImpression> = items
            .iter()
            .map(|item| NewImpression {
                message_id: list,
                channel,
                guild: server,
                user,
                movie: item.movie,
                position: item.position,
                surface,
                created_at_ms: now,
            })
            .collect();
        self.store.record_impressions(&rows).await?;
        Ok(())
    }

    /// The film at `position` of a shown list, or the reply explaining there is none.
    ///
    /// # Errors
    /// Storage fails.
    pub async fn shown(
        &self,
        list: ListId,
        position: u32,
    ) -> anyhow::Result<Result<MovieId, Reply>> {
        if let Some(shown) = self.store.impression(list, position).await? {
            return Ok(Ok(shown.shown.movie));
        }
        let size = self.store.impressions_of_message(list).await?.len();
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
}
