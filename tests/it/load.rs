//! Load through the fake Discord (issue 19): the real `marquee serve` gets a steady stream of
//! reactions (with some re-sent, as Discord does after a resume) and slash commands at the same
//! time, and we check that every distinct reaction is stored exactly once, how fast commands are
//! acknowledged, and how much memory the bot needed.
//!
//! [`run_load`] drives one run: `owners` people each get a `/recommend` list first (so there are
//! bot messages with stored films to react to), then, for `duration`, reactions go out at
//! `reactions_per_sec` and commands at `commands_per_sec`, in batches every 10 ms. Each distinct
//! reaction is a new (user, list, emoji) combination, so it should become exactly one feedback
//! event; every `duplicate_every`-th reaction re-sends an earlier one, which must not be stored
//! again. Afterwards the store's event count is compared with the number of distinct reactions.
//!
//! CI runs only the short version (about 3 s, low rates) and asserts counts only. The full one
//! (30 s, 1,000 reactions and 20 commands per second) is `#[ignore]`d:
//! `cargo test --release --test it load_full -- --ignored --nocapture --test-threads=1`.

use crate::fake_discord::{Bot, FakeDiscord, SCENARIO_WAIT, command, reaction};
use marquee::domain::ports::FeedbackRepo as _;
use marquee::outbound::storage::Store;
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::time::{Duration, Instant};
use tokio::time::MissedTickBehavior;

/// The emoji Marquee puts under its lists, each a different feedback.
const EMOJI: [&str; 6] = ["❤️", "👍", "😐", "👎", "👀", "🚫"];
/// How far back (in distinct reactions) a re-sent reaction reaches at most.
const DUPLICATE_REACH: u64 = 500;
/// How often the store and the bot's log are looked at after the load.
const POLL: Duration = Duration::from_millis(250);

/// What one run does.
#[derive(Clone, Debug)]
pub struct LoadConfig {
    /// How long reactions and commands are sent for.
    pub duration: Duration,
    pub reactions_per_sec: u64,
    pub commands_per_sec: u64,
    /// People who each get one `/recommend` list before the load: the lists reacted to.
    pub owners: usize,
    /// People who react (each to many lists, with several emoji).
    pub reactors: usize,
    /// Every this-many-th reaction re-sends an earlier one (20: 5%).
    pub duplicate_every: u64,
    /// How long after the last event to wait for the bot to store everything.
    pub settle_timeout: Duration,
}

impl LoadConfig {
    /// The CI version: about 3 s at low rates.
    pub fn short() -> LoadConfig {
        LoadConfig {
            duration: Duration::from_secs(3),
            reactions_per_sec: 100,
            commands_per_sec: 5,
            owners: 10,
            reactors: 50,
            duplicate_every: 20,
            settle_timeout: Duration::from_secs(60),
        }
    }

    /// The benchmark: 30 s of 1,000 reactions and 20 commands per second. `MARQUEE_LOAD_SECONDS`,
    /// `MARQUEE_LOAD_REACTIONS` and `MARQUEE_LOAD_COMMANDS` (per second) override it.
    pub fn full() -> LoadConfig {
        let env = |name: &str, default: u64| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(default)
        };
        LoadConfig {
            duration: Duration::from_secs(env("MARQUEE_LOAD_SECONDS", 30)),
            reactions_per_sec: env("MARQUEE_LOAD_REACTIONS", 1_000),
            commands_per_sec: env("MARQUEE_LOAD_COMMANDS", 20),
            owners: 50,
            reactors: 1_000,
            duplicate_every: 20,
            settle_timeout: Duration::from_secs(300),
        }
    }

    fn total(&self, per_sec: u64) -> u64 {
        (per_sec as f64 * self.duration.as_secs_f64()).round() as u64
    }
}

/// What one run measured.
#[derive(Clone, Debug, Default)]
pub struct LoadReport {
    pub backend: &'static str,
    /// How long sending took (the configured duration, unless the driver fell behind).
    pub send_seconds: f64,
    pub reactions_sent: u64,
    /// Re-sends of an earlier reaction among `reactions_sent`.
    pub duplicates_sent: u64,
    /// Distinct (user, list, emoji) combinations sent.
    pub distinct_sent: u64,
    /// Feedback events the store gained during the load.
    pub stored: u64,
    /// From the bot's log: reactions it recorded, found repeated, ignored, or failed to record.
    pub recorded: u64,
    pub repeated: u64,
    pub ignored: u64,
    pub failed: u64,
    /// From the end of sending until everything was stored (or the wait gave up).
    pub drain_seconds: f64,
    pub commands_sent: u64,
    pub commands_acked: u64,
    pub ack_p50: Duration,
    pub ack_p99: Duration,
    pub ack_max: Duration,
    /// Acknowledgements in 0–10, 10–40, 40–100 and 100+ ms.
    pub ack_histogram: [u64; 4],
    /// The bot's peak resident memory (VmHWM), in KiB.
    pub peak_rss_kib: Option<u64>,
    /// Payloads serenity could not parse (dropped silently).
    pub unknown_events: usize,
    /// The bot's first warning and error lines.
    pub problems: Vec<String>,
}

impl LoadReport {
    /// The CI check: every distinct reaction stored once, every command acknowledged.
    pub fn assert_counts(&self) {
        assert_eq!(
            self.stored, self.distinct_sent,
            "stored events != distinct reactions sent\n{self}"
        );
        assert_eq!(
            self.commands_acked, self.commands_sent,
            "not every command was acknowledged\n{self}"
        );
        assert_eq!(self.unknown_events, 0, "unparsed payloads\n{self}");
    }
}

impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = |d: Duration| d.as_secs_f64() * 1_000.0;
        writeln!(
            f,
            "load through the fake Discord: {}, {:.1} s of sending",
            self.backend, self.send_seconds
        )?;
        writeln!(
            f,
            "  reactions: {} sent ({} re-sent duplicates), {} distinct, {} stored; \
             the bot logged {} recorded, {} repeated, {} ignored, {} failed; \
             stored {:.1} s after the last was sent",
            self.reactions_sent,
            self.duplicates_sent,
            self.distinct_sent,
            self.stored,
            self.recorded,
            self.repeated,
            self.ignored,
            self.failed,
            self.drain_seconds
        )?;
        writeln!(
            f,
            "  commands: {} sent, {} acknowledged; ack p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            self.commands_sent,
            self.commands_acked,
            ms(self.ack_p50),
            ms(self.ack_p99),
            ms(self.ack_max)
        )?;
        let [fast, mid, slow, late] = self.ack_histogram;
        writeln!(
            f,
            "  acks: {fast} under 10 ms, {mid} in 10-40 ms, {slow} in 40-100 ms, {late} at 100 ms or more"
        )?;
        match self.peak_rss_kib {
            Some(kib) => writeln!(f, "  bot peak RSS (VmHWM): {:.1} MiB", kib as f64 / 1024.0)?,
            None => writeln!(f, "  bot peak RSS: unknown")?,
        }
        if self.unknown_events > 0 {
            writeln!(f, "  unparsed payloads: {}", self.unknown_events)?;
        }
        for line in &self.problems {
            writeln!(f, "  bot: {line}")?;
        }
        Ok(())
    }
}

/// The reaction of distinct combination `j`: (reactor, list, emoji) indexes. Reactor `j %
/// reactors` reacts for the `j / reactors`-th time; its combinations walk (list, emoji) pairs
/// from an offset of its own, so no pair repeats while it has fewer than `lists * 6` reactions.
fn combination(j: u64, reactors: u64, lists: u64) -> (u64, u64, u64) {
    let pairs = lists * EMOJI.len() as u64;
    let reactor = j % reactors;
    let round = j / reactors;
    let pair = (round + reactor * 17) % pairs;
    (reactor, pair % lists, pair / lists)
}

/// Which distinct reaction slot `slot` sends, and whether it is a re-send; `distinct` counts the
/// distinct ones sent so far (and is advanced).
fn slot_reaction(slot: u64, every: u64, distinct: &mut u64) -> (u64, bool) {
    if every > 0 && slot % every == every - 1 && *distinct > 0 {
        let back = (slot * 31) % (*distinct).min(DUPLICATE_REACH);
        (*distinct - 1 - back, true)
    } else {
        *distinct += 1;
        (*distinct - 1, false)
    }
}

fn owner_id(i: usize) -> String {
    format!("31{:016}", i + 1)
}

fn reactor_id(i: u64) -> String {
    format!("32{:016}", i + 1)
}

/// Each owner runs `/recommend count:3` (all at once); returns the list messages, once the bot has
/// stored each under its message id (it adds its reactions after that).
async fn make_lists(fake: &FakeDiscord, bot: &Bot, owners: usize) -> Vec<String> {
    let from = fake.calls().len();
    let mut tokens = Vec::with_capacity(owners);
    for i in 0..owners {
        let id = fake.snowflake();
        let token = format!("tok-list-{id}");
        let options = json!([{"name": "count", "type": 4, "value": 3}]);
        let d = command(&id, &token, &owner_id(i), "recommend", options);
        fake.dispatch("INTERACTION_CREATE", d).await;
        tokens.push(token);
    }
    let mut lists = Vec::with_capacity(owners);
    for token in &tokens {
        let edit = fake.edit_of(bot, token, from).await;
        let message = edit.response["id"]
            .as_str()
            .expect("the list's message id")
            .to_owned();
        let prefix = format!("/messages/{message}/reactions/");
        fake.wait_call(bot, from, SCENARIO_WAIT, |c| {
            c.method == "PUT" && c.path.contains(&prefix)
        })
        .await;
        lists.push(message);
    }
    lists
}

/// The bot's reaction log lines so far: (recorded, repeated, ignored, failed).
fn reaction_outcomes(bot: &Bot) -> (u64, u64, u64, u64) {
    let mut counts = (0, 0, 0, 0);
    for line in bot.log() {
        if line.contains("reaction not recorded") {
            counts.3 += 1;
        } else if line.contains("outcome=") && line.contains("reaction") {
            if line.contains("recorded") {
                counts.0 += 1;
            } else if line.contains("repeated") {
                counts.1 += 1;
            } else {
                counts.2 += 1;
            }
        }
    }
    counts
}

/// `VmHWM` of process `pid`, in KiB.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The nearest-rank percentile `p` (0–100) of sorted `values`.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// How many of `latencies` fall in 0–10, 10–40, 40–100 and 100+ ms.
fn histogram(latencies: &[Duration]) -> [u64; 4] {
    let mut buckets = [0; 4];
    for d in latencies {
        let bucket = match d.as_millis() {
            0..10 => 0,
            10..40 => 1,
            40..100 => 2,
            _ => 3,
        };
        buckets[bucket] += 1;
    }
    buckets
}

/// A command sent during the load: its callback path and when it went out.
struct SentCommand {
    callback: String,
    at: Instant,
}

/// Starts the bot on `url` against a fake Discord, makes the lists, sends the load, waits for the
/// store to settle and reports. `store` is the same database, to count events.
#[allow(clippy::too_many_lines)] // one run reads as one story: setup, load, drain, measure
pub async fn run_load(url: &str, store: Store, cfg: LoadConfig) -> LoadReport {
    let backend = if url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let fake = FakeDiscord::start().await;
    let (bot, _, _) = fake.connect(url, &[]).await;
    let lists = make_lists(&fake, &bot, cfg.owners).await;
    let reactors = cfg.reactors as u64;
    let pairs = lists.len() as u64 * EMOJI.len() as u64;
    let total_reactions = cfg.total(cfg.reactions_per_sec);
    let total_commands = cfg.total(cfg.commands_per_sec);
    assert!(
        reactors * pairs >= total_reactions,
        "{} reactors on {} lists cannot make {total_reactions} distinct reactions",
        cfg.reactors,
        lists.len()
    );
    let baseline = store.event_count().await.expect("count events");
    let before = reaction_outcomes(&bot);

    let mut distinct = 0u64;
    let mut seen = HashSet::new();
    let mut duplicates = 0u64;
    let mut sent_reactions = 0u64;
    let mut commands: Vec<SentCommand> = Vec::new();
    let mut ticker = tokio::time::interval(Duration::from_millis(10));
    ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let start = Instant::now();
    loop {
        ticker.tick().await;
        let elapsed = start.elapsed().min(cfg.duration).as_secs_f64();
        let due_reactions = ((cfg.reactions_per_sec as f64 * elapsed) as u64).min(total_reactions);
        let due_commands = ((cfg.commands_per_sec as f64 * elapsed) as u64).min(total_commands);
        while sent_reactions < due_reactions {
            let (j, again) = slot_reaction(sent_reactions, cfg.duplicate_every, &mut distinct);
            let (reactor, list, emoji) = combination(j, reactors, lists.len() as u64);
            if again {
                duplicates += 1;
            } else {
                seen.insert((reactor, list, emoji));
            }
            let d = reaction(
                &reactor_id(reactor),
                &lists[list as usize],
                EMOJI[emoji as usize],
                false,
            );
            fake.dispatch("MESSAGE_REACTION_ADD", d).await;
            sent_reactions += 1;
        }
        while (commands.len() as u64) < due_commands {
            let n = commands.len();
            let id = fake.snowflake();
            let token = format!("tok-load-{id}");
            let d = if n % 2 == 0 {
                let options = json!([{"name": "count", "type": 4, "value": 3}]);
                command(
                    &id,
                    &token,
                    &owner_id(n / 2 % cfg.owners),
                    "recommend",
                    options,
                )
            } else {
                let user = reactor_id((n as u64 / 2) % reactors);
                command(&id, &token, &user, "profile", json!([]))
            };
            let callback = format!("/api/v10/interactions/{id}/{token}/callback");
            let at = Instant::now();
            fake.dispatch("INTERACTION_CREATE", d).await;
            commands.push(SentCommand { callback, at });
        }
        if sent_reactions >= total_reactions && commands.len() as u64 >= total_commands {
            break;
        }
    }
    let send_seconds = start.elapsed().as_secs_f64();
    let sent_at = Instant::now();

    // Drain: until the bot has handled every reaction and acknowledged every command, the store
    // has every distinct reaction, or nothing moves for 20 s, or the time is up.
    let deadline = sent_at + cfg.settle_timeout;
    let mut last_change = Instant::now();
    let mut last = (u64::MAX, u64::MAX, usize::MAX);
    let (stored, outcomes, acks, drain_seconds) = loop {
        let stored = (store.event_count().await.expect("count events") - baseline).max(0) as u64;
        let now = reaction_outcomes(&bot);
        let outcomes = (
            now.0 - before.0,
            now.1 - before.1,
            now.2 - before.2,
            now.3 - before.3,
        );
        let handled = outcomes.0 + outcomes.1 + outcomes.2 + outcomes.3;
        let acks: HashMap<String, Instant> = fake
            .calls()
            .into_iter()
            .filter(|c| c.method == "POST" && c.path.ends_with("/callback"))
            .map(|c| (c.path, c.at))
            .collect();
        let acked = commands
            .iter()
            .filter(|c| acks.contains_key(&c.callback))
            .count();
        let drained = sent_at.elapsed().as_secs_f64();
        let all_handled = handled >= sent_reactions && acked == commands.len();
        if all_handled && stored >= seen.len() as u64 {
            break (stored, outcomes, acks, drained);
        }
        if (stored, handled, acked) != last {
            last = (stored, handled, acked);
            last_change = Instant::now();
        }
        let stalled = last_change.elapsed() > Duration::from_secs(20);
        if (all_handled && last_change.elapsed() > Duration::from_secs(2))
            || stalled
            || Instant::now() > deadline
        {
            break (stored, outcomes, acks, drained);
        }
        tokio::time::sleep(POLL).await;
    };

    let mut latencies: Vec<Duration> = commands
        .iter()
        .filter_map(|c| acks.get(&c.callback).map(|at| at.duration_since(c.at)))
        .collect();
    latencies.sort();
    let peak_rss_kib = bot.pid().and_then(peak_rss_kib);
    let log = bot.log();
    let unknown_events = log
        .iter()
        .filter(|l| l.to_lowercase().contains("unknown event"))
        .count();
    let problems = log
        .iter()
        .filter(|l| l.contains(" WARN ") || l.contains(" ERROR "))
        .filter(|l| !l.contains("DISCORD_API_BASE is set"))
        .take(10)
        .cloned()
        .collect();
    bot.kill().await;
    LoadReport {
        backend,
        send_seconds,
        reactions_sent: sent_reactions,
        duplicates_sent: duplicates,
        distinct_sent: seen.len() as u64,
        stored,
        recorded: outcomes.0,
        repeated: outcomes.1,
        ignored: outcomes.2,
        failed: outcomes.3,
        drain_seconds,
        commands_sent: commands.len() as u64,
        commands_acked: latencies.len() as u64,
        ack_p50: percentile(&latencies, 50.0),
        ack_p99: percentile(&latencies, 99.0),
        ack_max: latencies.last().copied().unwrap_or_default(),
        ack_histogram: histogram(&latencies),
        peak_rss_kib,
        unknown_events,
        problems,
    }
}

#[test]
fn the_plan_never_repeats_a_combination_and_resends_only_earlier_ones() {
    for cfg in [LoadConfig::short(), LoadConfig::full()] {
        let lists = cfg.owners as u64;
        let mut distinct = 0;
        let mut seen = HashSet::new();
        for slot in 0..cfg.total(cfg.reactions_per_sec) {
            let (j, again) = slot_reaction(slot, cfg.duplicate_every, &mut distinct);
            let c = combination(j, cfg.reactors as u64, lists);
            assert!(c.1 < lists && c.2 < EMOJI.len() as u64);
            assert_eq!(seen.insert(c), !again, "slot {slot}: {c:?}");
        }
        assert_eq!(seen.len() as u64, distinct);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_load_stores_every_reaction_once_on_sqlite() {
    crate::helpers::with_sqlite_url(|url, store| async move {
        let report = run_load(&url, store, LoadConfig::short()).await;
        println!("{report}");
        report.assert_counts();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_load_stores_every_reaction_once_on_postgres() {
    crate::helpers::with_postgres_url(|url, store| async move {
        let report = run_load(&url, store, LoadConfig::short()).await;
        println!("{report}");
        report.assert_counts();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a 30 s benchmark: cargo test --release --test it load_full -- --ignored --nocapture --test-threads=1"]
async fn load_full_30s_sqlite() {
    crate::helpers::with_sqlite_url(|url, store| async move {
        let report = run_load(&url, store, LoadConfig::full()).await;
        println!("{report}");
        report.assert_counts();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a 30 s benchmark: cargo test --release --test it load_full -- --ignored --nocapture --test-threads=1"]
async fn load_full_30s_postgres() {
    crate::helpers::with_postgres_url(|url, store| async move {
        let report = run_load(&url, store, LoadConfig::full()).await;
        println!("{report}");
        report.assert_counts();
    })
    .await;
}
