//! Reactions on Marquee's lists: an emoji added to (or taken back from) a list is feedback on
//! its first film. Reactions from bots (Discord sends the bot's own back to it) are ignored;
//! the app ignores reactions on other messages and emoji that mean nothing.
//!
//! Order matters: a quick add then remove must end with no reaction. serenity runs every event
//! handler in a task of its own, so handlers may run in any order. A collector registered on
//! the shard sees events synchronously, in the gateway's order, and puts each reaction in a
//! queue: one lane per (message, user, emoji) key (hashed over a few lanes), worked in order.
//! The handler only takes the reactions the collector did not see (those before it was
//! registered at READY). A lane whose write fails because the database is unreachable waits
//! and tries again, so reactions received during an outage are stored once it is back (while
//! the process lives); the app's state check makes every retry safe to repeat.

use super::interaction::snowflake;
use crate::app::{App, Caller, Command, Person, Reply, Source};
use crate::domain::error::StoreError;
use crate::domain::ids::GuildId as DomainGuild;
use serenity::all::{Reaction, ReactionType, UserId};
use serenity::gateway::CollectorCallback;
use serenity::model::event::Event;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;
use tokio::sync::mpsc;

/// Lanes worked in parallel; a key always goes to the same lane.
const LANES: usize = 16;

/// The longest wait between two tries of a write while the database is unreachable.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// One reaction to store.
#[derive(Debug)]
struct Pending {
    user: u64,
    caller: Caller,
    message: i64,
    emoji: String,
    removed: bool,
}

/// What identifies an event for the collector/handler hand-over.
type Fingerprint = (u64, u64, String, bool);

/// The reactions waiting to be stored, in order per key.
#[derive(Debug)]
pub(super) struct ReactionQueue {
    lanes: Vec<mpsc::UnboundedSender<Pending>>,
    /// Events the collector queued whose handler has not run yet.
    collected: Mutex<HashMap<Fingerprint, u32>>,
    /// Queued and not yet stored (or given up on).
    waiting: Arc<AtomicUsize>,
    /// The bot's own user id (its reactions are ignored).
    me: Arc<OnceLock<UserId>>,
    /// The newest collector of each shard: a READY on a runner that already has one (a new
    /// session on the same runner) retires the older, so no event is queued twice.
    generations: Mutex<HashMap<u32, u64>>,
}

impl ReactionQueue {
    /// A queue whose lanes store reactions through `app`; `me` is set at READY.
    pub(super) fn start(app: &Arc<App>, me: Arc<OnceLock<UserId>>) -> Arc<Self> {
        let waiting = Arc::new(AtomicUsize::new(0));
        let lanes = (0..LANES)
            .map(|_| {
                let (tx, rx) = mpsc::unbounded_channel();
                tokio::spawn(work(app.clone(), rx, waiting.clone()));
                tx
            })
            .collect();
        Arc::new(ReactionQueue {
            lanes,
            collected: Mutex::new(HashMap::new()),
            waiting,
            me,
            generations: Mutex::new(HashMap::new()),
        })
    }

    /// The collector to register on shard `shard` at every READY (a new session may run on a
    /// new runner, or on the same one: then the older collector retires at its next event,
    /// without queueing it).
    pub(super) fn collector(self: &Arc<Self>, shard: u32) -> CollectorCallback {
        let queue = self.clone();
        let generation = {
            let mut generations = self
                .generations
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let g = generations.entry(shard).or_default();
            *g += 1;
            *g
        };
        CollectorCallback(Box::new(move |event| {
            let newest = queue
                .generations
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get(&shard)
                .copied();
            if newest != Some(generation) {
                return false;
            }
            match event {
                Event::ReactionAdd(e) => queue.collect(&e.reaction, false),
                Event::ReactionRemove(e) => queue.collect(&e.reaction, true),
                _ => {}
            }
            true
        }))
    }

    fn collect(&self, r: &Reaction, removed: bool) {
        let Some(p) = self.pending(r, removed) else {
            return;
        };
        *self
            .collected
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(fingerprint(r, removed))
            .or_default() += 1;
        self.push(p);
    }

    /// A reaction event's handler: queued already by the collector, or queued now.
    pub(super) fn handled(&self, r: &Reaction, removed: bool) {
        let key = fingerprint(r, removed);
        {
            let mut collected = self
                .collected
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if let Some(n) = collected.get_mut(&key) {
                *n -= 1;
                if *n == 0 {
                    collected.remove(&key);
                }
                return;
            }
        }
        if let Some(p) = self.pending(r, removed) {
            self.push(p);
        }
    }

    fn pending(&self, r: &Reaction, removed: bool) -> Option<Pending> {
        let user = r.user_id?;
        let from_bot = r.member.as_ref().is_some_and(|m| m.user.bot);
        if self.me.get() == Some(&user) || from_bot {
            return None;
        }
        let ReactionType::Unicode(emoji) = &r.emoji else {
            return None;
        };
        Some(Pending {
            user: user.get(),
            caller: caller(r, user),
            message: snowflake(r.message_id.get()),
            emoji: emoji.clone(),
            removed,
        })
    }

    fn push(&self, p: Pending) {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (p.message, p.user, &p.emoji).hash(&mut h);
        let lane = (h.finish() % LANES as u64) as usize;
        self.waiting.fetch_add(1, Ordering::SeqCst);
        tracing::debug!(message = p.message, removed = p.removed, "reaction queued");
        if self.lanes[lane].send(p).is_err() {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            tracing::error!("the reaction queue stopped; a reaction was not recorded");
        }
    }

    /// Reactions queued and not stored yet.
    pub(super) fn waiting(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }
}

fn fingerprint(r: &Reaction, removed: bool) -> Fingerprint {
    (
        r.message_id.get(),
        r.user_id.map_or(0, UserId::get),
        r.emoji.to_string(),
        removed,
    )
}

/// One lane: stores its reactions one after the other, waiting out database outages.
async fn work(app: Arc<App>, mut rx: mpsc::UnboundedReceiver<Pending>, waiting: Arc<AtomicUsize>) {
    while let Some(p) = rx.recv().await {
        let command = Command::React {
            list: Some(p.message),
            position: 1,
            emoji: p.emoji.clone(),
            removed: p.removed,
        };
        let mut backoff = Duration::from_millis(200);
        let mut warned = false;
        loop {
            match app.handle(&p.caller, command.clone()).await {
                Ok(reply) => {
                    let outcome = match reply {
                        Reply::Reacted { repeated: true, .. } => "repeated",
                        Reply::Reacted { .. } => "recorded",
                        _ => "ignored",
                    };
                    tracing::info!(
                        message = p.message,
                        removed = p.removed,
                        outcome,
                        "reaction"
                    );
                    if warned {
                        tracing::info!(
                            message = p.message,
                            "the database is back; reaction stored"
                        );
                    }
                    break;
                }
                Err(e) if unavailable(&e) => {
                    if !warned {
                        tracing::warn!(error = %format!("{e:#}"), "the database is unreachable; the reaction waits and is stored when it is back");
                        warned = true;
                    }
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
                Err(e) => {
                    tracing::error!(error = %format!("{e:#}"), "reaction not recorded");
                    break;
                }
            }
        }
        waiting.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Whether an app error is the database being out of reach (worth trying again later).
pub(super) fn unavailable(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        matches!(
            cause.downcast_ref::<StoreError>(),
            Some(StoreError::Unavailable(_))
        )
    })
}

/// The caller of a reaction (reactions have no interaction id: their events are keyed by the
/// app, see [`crate::app::feedback::react`]).
fn caller(r: &Reaction, user: UserId) -> Caller {
    let name = r
        .member
        .as_ref()
        .map(|m| {
            m.user
                .global_name
                .clone()
                .unwrap_or_else(|| m.user.name.clone())
        })
        .unwrap_or_default();
    Caller {
        person: Person::Discord {
            id: user.get(),
            name,
        },
        source: Source::Discord,
        server: r.guild_id.map(|g| DomainGuild(snowflake(g.get()))),
        channel: Some(snowflake(r.channel_id.get())),
        delivery_key: None,
        manages_server: false,
        operator: false,
    }
}
