//! A fake Discord for end-to-end tests of the real `marquee` binary: the REST API and the gateway
//! WebSocket on one `127.0.0.1` port, the bot as a child process, and builders for the payloads
//! Discord sends.
//!
//! The bot reaches the fake through `DISCORD_API_BASE` (serenity keeps the `/api/v10` prefix and
//! takes the gateway URL from `GET /api/v10/gateway`, so the fake must listen before the bot
//! starts). On the gateway the fake sends HELLO, the bot IDENTIFYs, and READY (no guilds) is
//! enough for interactions and reactions; heartbeats are ACKed. REST answers are full objects
//! (an empty body makes the bot's call fail); interaction callbacks answer 204. Serenity drops a
//! payload it cannot parse silently (as `Event::Unknown`), so `discord_payloads.rs` checks every
//! payload built here against serenity's own types and fails there with the exact missing field.
//!
//! This module holds the handle the tests drive ([`FakeDiscord`]) and the state it shares with
//! the server; `rest` answers the REST API (with `multipart` for bodies with files), `gateway`
//! serves the WebSocket, `bot` runs the child process, and `payloads` builds what Discord sends.

mod bot;
mod gateway;
mod multipart;
mod payloads;
mod rest;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use serde_json::{Value, json};
use tokio::sync::{Notify, mpsc};

pub use bot::Bot;
use bot::{Output, read_lines, wait_for};
use gateway::gateway_upgrade;
pub use payloads::{
    autocomplete, command, command_echo, command_in_dm, component, custom_ids, in_dm, member,
    message, modal_submit, reaction, reaction_removed, ready, scheduled_event, select,
    shown_message, user, user_name, voice_state,
};
pub use rest::Call;
use rest::{rest_handler, shorten};

/// The application id, which is also the bot user's id.
pub const APP_ID: &str = "900000000000000001";
/// The one guild the fake knows.
pub const GUILD_ID: &str = "100000000000000001";
/// The guild text channel interactions and reactions come from.
pub const CHANNEL_ID: &str = "200000000000000001";
/// The DM channel of interactions made with [`in_dm`].
pub const DM_CHANNEL_ID: &str = "200000000000000002";
/// The command id in the `data` of [`command`] and [`autocomplete`].
pub const COMMAND_ID: &str = "700000000000000001";
/// The bot token handed to the bot. It has the shape of a real one (three base64url parts),
/// because the bot's configuration rejects anything else; IDENTIFY carries `"Bot " + TOKEN`.
pub const TOKEN: &str = "ZmFrZS1kaXNjb3JkLXRlc3Q.ZmFrZQ.fake-token-for-tests-0123456789abcdef";
/// The bot user's name (READY, and the author of every message the bot makes).
pub const BOT_NAME: &str = "Marquee";

const TIMESTAMP: &str = "2024-01-01T00:00:00.000000+00:00";
const PERMISSIONS: &str = "2248473465835073";
const HEARTBEAT_INTERVAL_MS: u64 = 41_250;
const ATTACHMENT_SIZE_LIMIT: u32 = 10_485_760;
const FIRST_SNOWFLAKE: u64 = 6_000_000_000_000_000_001; // 19 digits, below i64::MAX
/// The message a component interaction is attached to when the caller gives none.
const DEFAULT_COMPONENT_MESSAGE_ID: &str = "500000000000000001";

/// How long a scenario step may take before the harness gives up (with the bot's log).
pub const SCENARIO_WAIT: Duration = Duration::from_secs(60);

impl Bot {
    /// The bot process's id while it runs (for `/proc/<pid>/status`).
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }
}

/// A handle on a running fake Discord; clones share it.
#[derive(Clone, Debug)]
pub struct FakeDiscord {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    port: u16,
    calls: Mutex<Vec<Call>>,
    calls_changed: Notify,
    /// Gateway frames the bot sent, heartbeats excepted (IDENTIFY, RESUME, ...).
    frames: Mutex<Vec<Value>>,
    /// When each of `frames` arrived.
    frame_times: Mutex<Vec<std::time::Instant>>,
    frames_changed: Notify,
    /// Frames before this index were handed out by `wait_gateway_op`.
    frames_taken: AtomicUsize,
    /// The sender of the current gateway connection.
    outgoing: Mutex<Option<mpsc::Sender<Outgoing>>>,
    /// Shard id → its newest connection (the one that last IDENTIFYed or RESUMEd as it) and
    /// the sequence number of its last dispatch, for bots that run shards.
    shard_links: Mutex<HashMap<u64, ShardLink>>,
    /// How many ports the fake listens on.
    doors: AtomicUsize,
    /// Held while a frame gets its sequence number and is queued, so numbers go out in order.
    send_lock: tokio::sync::Mutex<()>,
    seq: AtomicU64,
    next_id: AtomicU64,
    rest: Mutex<RestState>,
}

#[derive(Debug, Default)]
struct RestState {
    /// Interaction token → the `d` of its INTERACTION_CREATE.
    interactions: HashMap<String, Value>,
    /// Interaction token → id of its original response message.
    originals: HashMap<String, String>,
    /// Message id → message, for every message the fake made or saw.
    messages: HashMap<String, Value>,
    /// Command name (and guild) → id, so re-registration keeps ids.
    command_ids: HashMap<(Option<String>, String), String>,
    /// Recipient id → DM channel id.
    dm_channels: HashMap<String, String>,
    /// Users who are not members of the test server (`GET /guilds/{id}/members/{user}` 404s).
    strangers: std::collections::HashSet<String>,
    /// Path → bytes of the attachments the fake's CDN serves ([`FakeDiscord::host_file`]).
    files: HashMap<String, Vec<u8>>,
}

/// Which port of the fake a REST call came through (see [`Call::door`]).
#[derive(Debug, Clone, Copy)]
struct Door(usize);

/// One shard's gateway connection.
#[derive(Debug)]
struct ShardLink {
    sender: mpsc::Sender<Outgoing>,
    seq: u64,
}

#[derive(Debug)]
enum Outgoing {
    Text(String),
    Close(u16),
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Serves the REST API and the gateway on `listener`, marking REST calls with `door`.
fn serve_door(listener: tokio::net::TcpListener, shared: Arc<Shared>, door: usize) {
    let app = Router::new()
        .route("/", get(gateway_upgrade))
        .fallback(rest_handler)
        .layer(axum::Extension(Door(door)))
        .layer(DefaultBodyLimit::max(64 << 20))
        .with_state(shared);
    tokio::spawn(async move {
        axum::serve(listener, app)
            .await
            .expect("the fake Discord server stopped");
    });
}

impl FakeDiscord {
    /// Binds `127.0.0.1:0` and serves the REST API (any path) and the gateway WebSocket (`/`).
    pub async fn start() -> FakeDiscord {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake Discord on 127.0.0.1");
        let port = listener.local_addr().expect("local address").port();
        let shared = Arc::new(Shared {
            port,
            calls: Mutex::new(Vec::new()),
            calls_changed: Notify::new(),
            frames: Mutex::new(Vec::new()),
            frame_times: Mutex::new(Vec::new()),
            frames_changed: Notify::new(),
            frames_taken: AtomicUsize::new(0),
            outgoing: Mutex::new(None),
            shard_links: Mutex::new(HashMap::new()),
            doors: AtomicUsize::new(1),
            send_lock: tokio::sync::Mutex::new(()),
            seq: AtomicU64::new(0),
            next_id: AtomicU64::new(FIRST_SNOWFLAKE),
            rest: Mutex::new(RestState::default()),
        });
        serve_door(listener, Arc::clone(&shared), 0);
        FakeDiscord { shared }
    }

    /// Listens on one more port with the same state (the gateway URL stays the first port's),
    /// and returns its base URL: a bot given it as `DISCORD_API_BASE` has its REST calls marked
    /// with this door's number ([`Call::door`]: 1, 2, …).
    pub async fn open_door(&self) -> (String, usize) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind another door of the fake Discord");
        let port = listener.local_addr().expect("local address").port();
        let door = self.shared.doors.fetch_add(1, Ordering::SeqCst);
        serve_door(listener, Arc::clone(&self.shared), door);
        (format!("http://127.0.0.1:{port}"), door)
    }

    /// Sends READY to shard `shard` of `total` (its session id names the shard, so a RESUME
    /// finds it again), with sequence number 1 on that shard.
    pub async fn send_ready_to(&self, shard: u64, total: u64) {
        let mut d = ready(&self.gateway_url());
        d["shard"] = json!([shard, total]);
        d["session_id"] = json!(format!("fake-session-shard-{shard}"));
        self.send_to_shard(shard, |seq| {
            *seq = 1;
            json!({"op": 0, "s": 1, "t": "READY", "d": d})
        })
        .await;
    }

    /// Sends the dispatch `{op: 0, s: next of that shard, t, d}` on shard `shard`'s connection
    /// (remembered as [`FakeDiscord::dispatch`] does).
    pub async fn dispatch_to(&self, shard: u64, t: &str, d: Value) {
        self.remember(t, &d);
        self.send_to_shard(shard, |seq| {
            *seq += 1;
            json!({"op": 0, "s": *seq, "t": t, "d": d})
        })
        .await;
    }

    async fn send_to_shard(&self, shard: u64, frame: impl FnOnce(&mut u64) -> Value) {
        let (sender, text) = {
            let mut links = lock(&self.shared.shard_links);
            let Some(link) = links.get_mut(&shard) else {
                drop(links);
                panic!(
                    "no gateway connection identified as shard {shard}.\n{}",
                    self.report(None)
                );
            };
            let text = frame(&mut link.seq).to_string();
            (link.sender.clone(), text)
        };
        assert!(
            sender.send(Outgoing::Text(text)).await.is_ok(),
            "shard {shard}'s gateway connection is closed.\n{}",
            self.report(None)
        );
    }

    /// Waits until shard `shard` has IDENTIFYed `count` times in all; returns those IDENTIFYs.
    pub async fn wait_shard_identify(&self, bot: &Bot, shard: u64, count: usize) -> Vec<Value> {
        let shared = &self.shared;
        let found = wait_for(
            &shared.frames_changed,
            Some(&bot.output),
            SCENARIO_WAIT,
            || {
                let frames = lock(&shared.frames);
                let mine: Vec<Value> = frames
                    .iter()
                    .filter(|f| f["op"] == 2 && f["d"]["shard"][0] == shard)
                    .cloned()
                    .collect();
                (mine.len() >= count).then_some(mine)
            },
        )
        .await;
        found.unwrap_or_else(|missed| {
            panic!(
                "shard {shard} did not IDENTIFY {count} times ({missed}).\n{}",
                self.report(Some(bot))
            )
        })
    }

    /// Waits until `count` IDENTIFYs (of any shard) have come, from any bot; returns each with
    /// when it arrived.
    pub async fn wait_identifies(
        &self,
        bots: &[&Bot],
        count: usize,
    ) -> Vec<(std::time::Instant, Value)> {
        let shared = &self.shared;
        let found = wait_for(&shared.frames_changed, None, SCENARIO_WAIT, || {
            let frames = lock(&shared.frames);
            let times = lock(&shared.frame_times);
            let identifies: Vec<(std::time::Instant, Value)> = frames
                .iter()
                .zip(times.iter())
                .filter(|(f, _)| f["op"] == 2)
                .map(|(f, t)| (*t, f.clone()))
                .collect();
            (identifies.len() >= count).then_some(identifies)
        })
        .await;
        found.unwrap_or_else(|missed| {
            let logs: Vec<String> = bots.iter().map(|b| b.log_report()).collect();
            panic!(
                "fewer than {count} IDENTIFYs ({missed}).\n{}\n{}",
                self.report(None),
                logs.join("\n")
            )
        })
    }

    /// Dispatches INTERACTION_CREATE `d` on shard `shard` and waits for its callback.
    pub async fn interact_on(&self, bot: &Bot, shard: u64, d: Value) -> (Call, usize) {
        self.interact_via(bot, Some(shard), d).await
    }

    /// `http://127.0.0.1:PORT`, the value of `DISCORD_API_BASE`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.shared.port)
    }

    /// `ws://127.0.0.1:PORT`, what `GET /api/v10/gateway` answers.
    pub fn gateway_url(&self) -> String {
        self.shared.gateway_url()
    }

    /// Starts `marquee serve` against this fake. The token is [`TOKEN`]; `extra_env` comes last, so
    /// it can override anything. The bot runs in a fresh empty folder, so no `.env` file of the
    /// developer's is read.
    pub async fn spawn_bot(&self, database_url: &str, extra_env: &[(&str, &str)]) -> Bot {
        self.spawn_marquee(&["serve"], database_url, extra_env)
            .await
    }

    /// Starts `marquee ARGS…` as [`FakeDiscord::spawn_bot`] starts `marquee serve` (a shard
    /// process, a trainer).
    #[allow(clippy::unused_async)] // async like the rest of the API; callers need not care
    pub async fn spawn_marquee(
        &self,
        args: &[&str],
        database_url: &str,
        extra_env: &[(&str, &str)],
    ) -> Bot {
        let cwd = tempfile::tempdir().expect("a folder for the bot");
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_marquee"));
        cmd.args(args)
            .current_dir(cwd.path())
            .env("DISCORD_TOKEN", TOKEN)
            .env("DISCORD_API_BASE", self.base_url())
            .env("DATABASE_URL", database_url)
            .env(
                "RUST_LOG",
                "info,serenity::client::dispatch=debug,marquee::inbound::discord::reactions=debug",
            )
            .env("NO_COLOR", "1")
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("no_proxy", "127.0.0.1,localhost");
        for proxy in [
            "HTTP_PROXY",
            "http_proxy",
            "HTTPS_PROXY",
            "https_proxy",
            "ALL_PROXY",
            "all_proxy",
        ] {
            cmd.env_remove(proxy);
        }
        if !extra_env.iter().any(|(k, _)| *k == "DISCORD_DEV_GUILD_ID") {
            cmd.env_remove("DISCORD_DEV_GUILD_ID");
        }
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd.spawn().expect("start the marquee binary");
        let output = Arc::new(Output {
            lines: Mutex::new(Vec::new()),
            changed: Notify::new(),
            open_pipes: AtomicUsize::new(2),
        });
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        tokio::spawn(read_lines(stdout, Arc::clone(&output)));
        tokio::spawn(read_lines(stderr, Arc::clone(&output)));
        Bot {
            child,
            output,
            _cwd: cwd,
        }
    }

    /// Waits for the bot's IDENTIFY (op 2) and returns its `d`.
    pub async fn wait_identify(&self, bot: &Bot, timeout: Duration) -> Value {
        self.wait_gateway_op(Some(bot), 2, timeout).await["d"].take()
    }

    /// Waits for the next gateway frame with opcode `op` that no earlier wait handed out (frames
    /// before it are skipped), and returns the whole frame. `bot` only adds its log to a failure.
    pub async fn wait_gateway_op(&self, bot: Option<&Bot>, op: u64, timeout: Duration) -> Value {
        let shared = &self.shared;
        let found = wait_for(
            &shared.frames_changed,
            bot.map(|b| &*b.output),
            timeout,
            || {
                let frames = lock(&shared.frames);
                let from = shared.frames_taken.load(Ordering::SeqCst);
                let (i, frame) = frames
                    .iter()
                    .enumerate()
                    .skip(from)
                    .find(|(_, f)| f["op"] == op)?;
                shared.frames_taken.store(i + 1, Ordering::SeqCst);
                Some(frame.clone())
            },
        )
        .await;
        found.unwrap_or_else(|missed| {
            panic!(
                "no gateway frame with op {op} ({missed}).\n{}",
                self.report(bot)
            )
        })
    }

    /// Every gateway frame the bot sent so far, heartbeats excepted.
    pub fn gateway_frames(&self) -> Vec<Value> {
        lock(&self.shared.frames).clone()
    }

    /// Sends READY (no guilds, so no GUILD_CREATE is needed) with sequence number 1.
    pub async fn send_ready(&self) {
        let _order = self.shared.send_lock.lock().await;
        self.shared.seq.store(1, Ordering::SeqCst);
        let frame = json!({"op": 0, "s": 1, "t": "READY", "d": ready(&self.gateway_url())});
        self.queue(Outgoing::Text(frame.to_string())).await;
    }

    /// Sends the dispatch `{op: 0, s: next, t, d}`. Interactions and messages in it are
    /// remembered, so later REST calls about them (an update of a component's message, say) answer
    /// with the right ids.
    pub async fn dispatch(&self, t: &str, d: Value) {
        self.remember(t, &d);
        let _order = self.shared.send_lock.lock().await;
        let s = self.shared.seq.fetch_add(1, Ordering::SeqCst) + 1;
        let frame = json!({"op": 0, "s": s, "t": t, "d": d});
        self.queue(Outgoing::Text(frame.to_string())).await;
    }

    /// Sends any frame as it is (op 7 RECONNECT, op 9 INVALID_SESSION, ...).
    pub async fn send_raw(&self, frame: Value) {
        let _order = self.shared.send_lock.lock().await;
        self.queue(Outgoing::Text(frame.to_string())).await;
    }

    /// Closes the current gateway connection with `code` (4000 makes serenity RESUME).
    pub async fn close_gateway(&self, code: u16) {
        let _order = self.shared.send_lock.lock().await;
        self.queue(Outgoing::Close(code)).await;
    }

    /// The sequence number of the last dispatch sent.
    pub fn seq(&self) -> u64 {
        self.shared.seq.load(Ordering::SeqCst)
    }

    async fn queue(&self, out: Outgoing) {
        let sender = lock(&self.shared.outgoing).clone();
        let Some(sender) = sender else {
            panic!(
                "the bot has not opened a gateway connection, so {out:?} cannot be sent.\n{}",
                self.report(None)
            );
        };
        assert!(
            sender.send(out).await.is_ok(),
            "the gateway connection is closed, so the frame cannot be sent.\n{}",
            self.report(None)
        );
    }

    /// Remembers a dispatch's `d` as [`FakeDiscord::dispatch`] does, without sending it (for REST
    /// calls about an interaction that never went through the gateway).
    pub fn remember(&self, t: &str, d: &Value) {
        let mut rest = lock(&self.shared.rest);
        if t == "INTERACTION_CREATE" {
            if let Some(token) = d["token"].as_str() {
                rest.interactions.insert(token.to_owned(), d.clone());
            }
            if let Some(id) = d["message"]["id"].as_str() {
                rest.messages.insert(id.to_owned(), d["message"].clone());
            }
        } else if t == "MESSAGE_CREATE" {
            if let Some(id) = d["id"].as_str() {
                rest.messages.insert(id.to_owned(), d.clone());
            }
        }
    }

    /// Every REST call so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        lock(&self.shared.calls).clone()
    }

    /// Waits until a call at index `from` or later matches `pred`, and returns it.
    pub async fn wait_call(
        &self,
        bot: &Bot,
        from: usize,
        timeout: Duration,
        pred: impl Fn(&Call) -> bool,
    ) -> Call {
        let shared = &self.shared;
        let found = wait_for(&shared.calls_changed, Some(&bot.output), timeout, || {
            lock(&shared.calls)
                .iter()
                .skip(from)
                .find(|c| pred(c))
                .cloned()
        })
        .await;
        found.unwrap_or_else(|missed| {
            panic!(
                "no matching REST call from #{from} on ({missed}).\n{}",
                self.report(Some(bot))
            )
        })
    }

    /// Spawns the bot (see [`FakeDiscord::spawn_bot`]), waits for its IDENTIFY, sends READY and
    /// waits for its command registration: the bot, IDENTIFY's `d`, and the registration call.
    pub async fn connect(
        &self,
        database_url: &str,
        extra_env: &[(&str, &str)],
    ) -> (Bot, Value, Call) {
        let bot = self.spawn_bot(database_url, extra_env).await;
        let identify = self.wait_identify(&bot, SCENARIO_WAIT).await;
        let from = self.calls().len();
        self.send_ready().await;
        let registration = self
            .wait_call(&bot, from, SCENARIO_WAIT, |c| {
                c.method == "PUT" && c.path.ends_with("/commands")
            })
            .await;
        (bot, identify, registration)
    }

    /// Dispatches INTERACTION_CREATE `d` and waits for its callback: the callback, and the index
    /// of the calls to look for the rest of the answer from.
    pub async fn interact(&self, bot: &Bot, d: Value) -> (Call, usize) {
        self.interact_via(bot, None, d).await
    }

    /// [`FakeDiscord::interact`] on the connection of `shard` (or the current one).
    async fn interact_via(&self, bot: &Bot, shard: Option<u64>, d: Value) -> (Call, usize) {
        let id = d["id"].as_str().expect("interaction id").to_owned();
        let token = d["token"].as_str().expect("interaction token").to_owned();
        let from = self.calls().len();
        match shard {
            Some(shard) => self.dispatch_to(shard, "INTERACTION_CREATE", d).await,
            None => self.dispatch("INTERACTION_CREATE", d).await,
        }
        let callback = self
            .wait_call(bot, from, SCENARIO_WAIT, |c| {
                c.method == "POST"
                    && c.path == format!("/api/v10/interactions/{id}/{token}/callback")
            })
            .await;
        (callback, from)
    }

    /// The edit of interaction `token`'s original message, at or after call `from`.
    pub async fn edit_of(&self, bot: &Bot, token: &str, from: usize) -> Call {
        self.wait_call(bot, from, SCENARIO_WAIT, |c| {
            c.method == "PATCH"
                && c.path == format!("/api/v10/webhooks/{APP_ID}/{token}/messages/@original")
        })
        .await
    }

    /// What a click answered with an update of its message (type 7) shows: a call whose body
    /// is the update and whose response is the message as it now stands (as an edit's would
    /// be). Panics when the click was answered some other way.
    pub fn updated(&self, callback: &Call) -> Call {
        assert_eq!(
            callback.body["type"], 7,
            "a click answered with its message updated: {:?}",
            callback.body
        );
        let token = callback
            .path
            .trim_end_matches("/callback")
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        let rest = lock(&self.shared.rest);
        let message = rest
            .originals
            .get(&token)
            .and_then(|id| rest.messages.get(id))
            .cloned()
            .unwrap_or(Value::Null);
        Call {
            body: callback.body["data"].clone(),
            response: message,
            ..callback.clone()
        }
    }

    /// The next snowflake (19 digits, increasing from 6000000000000000001). The fake takes its
    /// message, attachment and command ids from here too.
    /// Makes `user` someone outside the test server: a member lookup answers 404.
    pub fn add_stranger(&self, user: &str) {
        lock(&self.shared.rest).strangers.insert(user.to_owned());
    }

    pub fn snowflake(&self) -> String {
        self.shared.snowflake()
    }

    /// Serves `bytes` as an uploaded attachment named `name`, as Discord's CDN would (a GET of
    /// the address answers them; the fetch is a [`Call`] like any other): the attachment
    /// object an interaction's `resolved.attachments` carries.
    pub fn host_file(&self, name: &str, bytes: &[u8]) -> Value {
        let id = self.snowflake();
        let path = format!("/attachments/{CHANNEL_ID}/{id}/{name}");
        lock(&self.shared.rest)
            .files
            .insert(path.clone(), bytes.to_vec());
        let url = format!(
            "http://127.0.0.1:{}{path}?ex=6a00000&is=69f0000&hm=0f",
            self.shared.port
        );
        serde_json::json!({
            "id": id,
            "filename": name,
            "size": bytes.len(),
            "url": url,
            "proxy_url": url,
            "content_type": if name.to_ascii_lowercase().ends_with(".zip") { "application/zip" } else { "text/csv; charset=utf-8" },
        })
    }

    /// The REST calls, the gateway frames and (given a bot) the bot's log, for failure messages.
    pub fn report(&self, bot: Option<&Bot>) -> String {
        let mut out = String::new();
        let calls = self.calls();
        let _ = writeln!(out, "--- REST calls seen ({}):", calls.len());
        for (i, c) in calls.iter().enumerate() {
            let query = if c.query.is_empty() {
                String::new()
            } else {
                format!("?{}", c.query)
            };
            let files = if c.files.is_empty() {
                String::new()
            } else {
                format!(" files {:?}", c.files)
            };
            let _ = writeln!(
                out,
                "  #{i} {} {}{query} -> {} | body {}{files} | answer {}",
                c.method,
                c.decoded_path(),
                c.status,
                shorten(&c.body.to_string(), 400),
                shorten(&c.response.to_string(), 200),
            );
        }
        let frames = self.gateway_frames();
        let _ = writeln!(
            out,
            "--- gateway frames from the bot ({}), heartbeats excepted:",
            frames.len()
        );
        for f in &frames {
            let _ = writeln!(out, "  {}", shorten(&f.to_string(), 300));
        }
        if let Some(bot) = bot {
            let _ = writeln!(out, "{}", bot.log_report());
        }
        out
    }
}
