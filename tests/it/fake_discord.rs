//! A fake Discord for end-to-end tests of the real `marquee` binary: the REST API and the gateway
//! WebSocket on one `127.0.0.1` port, the bot as a child process, and builders for the payloads
//! Discord sends.
//!
//! The recipe and its traps are in shared/notes/fake-discord.md. `discord_payloads.rs` checks
//! every payload built here against serenity's own types, so a fixture that serenity would drop
//! silently (as `Event::Unknown`) fails there with the exact missing field.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::process::{ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value, json};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::sync::{Notify, mpsc};
use tokio::time::Instant;

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

// ---------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------

/// One REST request the bot made, with what the fake answered.
#[derive(Clone, Debug)]
pub struct Call {
    pub method: String,
    /// As received, so percent-encoded (see [`Call::decoded_path`]).
    pub path: String,
    /// Without the `?`; serenity starts it with `&`.
    pub query: String,
    pub auth: Option<String>,
    /// The JSON body, or the `payload_json` of a multipart body; `Null` when there is none.
    pub body: Value,
    /// `(field name, filename, bytes)` of each file of a multipart body, e.g. `("files[0]", "chart.png", 1234)`.
    pub files: Vec<(String, String, usize)>,
    /// The HTTP status the fake answered.
    pub status: u16,
    /// The JSON the fake answered; `Null` for 204.
    pub response: Value,
}

impl Call {
    /// The path with `%XX` escapes decoded (emoji in reaction routes).
    pub fn decoded_path(&self) -> String {
        percent_decode(&self.path)
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
    frames_changed: Notify,
    /// Frames before this index were handed out by `wait_gateway_op`.
    frames_taken: AtomicUsize,
    /// The sender of the current gateway connection.
    outgoing: Mutex<Option<mpsc::Sender<Outgoing>>>,
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
}

#[derive(Debug)]
enum Outgoing {
    Text(String),
    Close(u16),
}

/// A file of a multipart body.
#[derive(Debug)]
struct Upload {
    field: String,
    filename: String,
    content_type: Option<String>,
    data: Vec<u8>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
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
            frames_changed: Notify::new(),
            frames_taken: AtomicUsize::new(0),
            outgoing: Mutex::new(None),
            send_lock: tokio::sync::Mutex::new(()),
            seq: AtomicU64::new(0),
            next_id: AtomicU64::new(FIRST_SNOWFLAKE),
            rest: Mutex::new(RestState::default()),
        });
        let app = Router::new()
            .route("/", get(gateway_upgrade))
            .fallback(rest_handler)
            .layer(DefaultBodyLimit::max(64 << 20))
            .with_state(Arc::clone(&shared));
        tokio::spawn(async move {
            axum::serve(listener, app)
                .await
                .expect("the fake Discord server stopped");
        });
        FakeDiscord { shared }
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
    #[allow(clippy::unused_async)] // async like the rest of the API; callers need not care
    pub async fn spawn_bot(&self, database_url: &str, extra_env: &[(&str, &str)]) -> Bot {
        let cwd = tempfile::tempdir().expect("a folder for the bot");
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_marquee"));
        cmd.arg("serve")
            .current_dir(cwd.path())
            .env("DISCORD_TOKEN", TOKEN)
            .env("DISCORD_API_BASE", self.base_url())
            .env("DATABASE_URL", database_url)
            .env("RUST_LOG", "info,serenity::client::dispatch=debug")
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
        let id = d["id"].as_str().expect("interaction id").to_owned();
        let token = d["token"].as_str().expect("interaction token").to_owned();
        let from = self.calls().len();
        self.dispatch("INTERACTION_CREATE", d).await;
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

    /// The next snowflake (19 digits, increasing from 6000000000000000001). The fake takes its
    /// message, attachment and command ids from here too.
    pub fn snowflake(&self) -> String {
        self.shared.snowflake()
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

impl Shared {
    fn snowflake(&self) -> String {
        self.next_id.fetch_add(1, Ordering::SeqCst).to_string()
    }

    fn gateway_url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.port)
    }

    /// Answers one REST call: (status, JSON body; `Null` with 204).
    fn answer(&self, method: &Method, path: &str, body: &Value, files: &[Upload]) -> (u16, Value) {
        let Some(route) = path.strip_prefix("/api/v10/") else {
            return not_found();
        };
        let segments: Vec<&str> = route.split('/').collect();
        let mut rest = lock(&self.rest);
        let rest = &mut *rest;
        match (method.as_str(), segments.as_slice()) {
            ("GET", ["gateway"]) => (200, json!({"url": self.gateway_url()})),
            ("GET", ["gateway", "bot"]) => (
                200,
                json!({"url": self.gateway_url(), "shards": 1, "session_start_limit":
                    {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}}),
            ),
            ("GET", ["users", "@me"]) => (200, user(APP_ID, BOT_NAME, true)),
            ("POST", ["users", "@me", "channels"]) => (200, self.dm_channel(rest, body)),
            ("POST", ["interactions", _, token, "callback"]) => {
                self.callback(rest, token, body, files);
                (204, Value::Null)
            }
            ("GET" | "PATCH", ["webhooks", _, token, "messages", "@original"]) => {
                let edit = (method == Method::PATCH).then_some(body);
                (200, self.original(rest, token, edit, files))
            }
            ("POST", ["webhooks", _, token]) => {
                let channel = interaction_channel(rest, token);
                (200, self.new_message(rest, &channel, true, body, files))
            }
            ("PATCH", ["webhooks", _, token, "messages", id]) => {
                let channel = interaction_channel(rest, token);
                (
                    200,
                    self.edit_message(rest, &channel, id, true, body, files),
                )
            }
            ("GET", ["webhooks", _, _, "messages", id] | ["channels", _, "messages", id]) => {
                rest.messages.get(*id).cloned().map_or_else(
                    || (404, json!({"code": 10008, "message": "Unknown Message"})),
                    |m| (200, m),
                )
            }
            ("POST", ["channels", channel, "messages"]) => {
                (200, self.new_message(rest, channel, false, body, files))
            }
            ("PATCH", ["channels", channel, "messages", id]) => (
                200,
                self.edit_message(rest, channel, id, false, body, files),
            ),
            ("PUT", ["applications", _, "commands"]) => (200, self.commands(rest, body, None)),
            ("PUT", ["applications", _, "guilds", guild, "commands"]) => {
                (200, self.commands(rest, body, Some(guild)))
            }
            ("POST", ["applications", _, "commands"]) => (200, self.command(rest, body, None)),
            ("POST", ["applications", _, "guilds", guild, "commands"]) => {
                (200, self.command(rest, body, Some(guild)))
            }
            ("POST", ["guilds", guild, "scheduled-events"]) => {
                (200, scheduled_event(&self.snowflake(), guild, body))
            }
            ("PUT", ["channels", _, "messages", _, "reactions", _, "@me"]) | ("DELETE", _) => {
                (204, Value::Null)
            }
            _ => not_found(),
        }
    }

    /// `POST /interactions/{id}/{token}/callback`: a message (4), or an update of the component's
    /// message (7), becomes the interaction's original response; a deferral (5, 6) reserves it.
    fn callback(&self, rest: &mut RestState, token: &str, body: &Value, files: &[Upload]) {
        let data = &body["data"];
        match body["type"].as_u64() {
            Some(4 | 5) => {
                let id = self.snowflake();
                let channel = interaction_channel(rest, token);
                let mut message = bot_message(&id, &channel, true);
                self.apply(&mut message, data, files, false);
                rest.messages.insert(id.clone(), message);
                rest.originals.insert(token.to_owned(), id);
            }
            Some(kind @ (6 | 7)) => {
                let base = rest
                    .interactions
                    .get(token)
                    .map(|i| i["message"].clone())
                    .filter(|m| m["id"].is_string());
                let id = match base {
                    Some(m) => {
                        let id = m["id"].as_str().unwrap_or_default().to_owned();
                        rest.messages.entry(id.clone()).or_insert(m);
                        id
                    }
                    None => self.original_id(rest, token),
                };
                if kind == 7 {
                    if let Some(message) = rest.messages.get_mut(&id) {
                        self.apply(message, data, files, true);
                    }
                }
                rest.originals.insert(token.to_owned(), id);
            }
            _ => {}
        }
    }

    /// The id of the interaction's original response, made (empty) on first use.
    fn original_id(&self, rest: &mut RestState, token: &str) -> String {
        if let Some(id) = rest.originals.get(token) {
            if rest.messages.contains_key(id) {
                return id.clone();
            }
        }
        let id = self.snowflake();
        let channel = interaction_channel(rest, token);
        rest.messages
            .insert(id.clone(), bot_message(&id, &channel, true));
        rest.originals.insert(token.to_owned(), id.clone());
        id
    }

    fn original(
        &self,
        rest: &mut RestState,
        token: &str,
        edit: Option<&Value>,
        files: &[Upload],
    ) -> Value {
        let id = self.original_id(rest, token);
        let message = rest.messages.get_mut(&id).expect("stored just now");
        if let Some(body) = edit {
            self.apply(message, body, files, true);
        }
        message.clone()
    }

    fn new_message(
        &self,
        rest: &mut RestState,
        channel: &str,
        webhook: bool,
        body: &Value,
        files: &[Upload],
    ) -> Value {
        let id = self.snowflake();
        let mut message = bot_message(&id, channel, webhook);
        self.apply(&mut message, body, files, false);
        rest.messages.insert(id, message.clone());
        message
    }

    fn edit_message(
        &self,
        rest: &mut RestState,
        channel: &str,
        id: &str,
        webhook: bool,
        body: &Value,
        files: &[Upload],
    ) -> Value {
        let message = rest
            .messages
            .entry(id.to_owned())
            .or_insert_with(|| bot_message(id, channel, webhook));
        self.apply(message, body, files, true);
        message.clone()
    }

    /// Merges a message body (create or edit) into a stored message.
    fn apply(&self, message: &mut Value, body: &Value, files: &[Upload], edit: bool) {
        for key in ["content", "embeds", "components", "flags", "tts"] {
            if let Some(value) = body.get(key).filter(|v| !v.is_null()) {
                message[key] = value.clone();
            }
        }
        if let Some(wanted) = body.get("attachments").and_then(Value::as_array) {
            let old = message["attachments"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let attachments: Vec<Value> = wanted
                .iter()
                .filter_map(|a| {
                    if a.get("filename").is_some() {
                        Some(self.attachment(a, files))
                    } else {
                        let id = id_string(&a["id"]);
                        old.iter().find(|o| id_string(&o["id"]) == id).cloned()
                    }
                })
                .collect();
            message["attachments"] = Value::Array(attachments);
        } else if !files.is_empty() {
            let attachments: Vec<Value> = files
                .iter()
                .map(|f| self.attachment(&json!({"filename": f.filename}), files))
                .collect();
            message["attachments"] = Value::Array(attachments);
        }
        if edit {
            message["edited_timestamp"] = json!(TIMESTAMP);
        }
    }

    /// A full Attachment for a new-attachment entry `{"id": N, "filename": ...}` of a body.
    fn attachment(&self, wanted: &Value, files: &[Upload]) -> Value {
        let filename = wanted["filename"].as_str().unwrap_or("file").to_owned();
        let field = format!("files[{}]", id_string(&wanted["id"]).unwrap_or_default());
        let upload = files
            .iter()
            .find(|f| f.field == field)
            .or_else(|| files.iter().find(|f| f.filename == filename));
        let id = self.snowflake();
        let url = format!("http://127.0.0.1:{}/attachments/{id}/{filename}", self.port);
        let (width, height) = upload
            .and_then(|u| png_size(&u.data))
            .map_or((Value::Null, Value::Null), |(w, h)| (json!(w), json!(h)));
        json!({
            "id": id,
            "filename": filename,
            "description": wanted.get("description").cloned().unwrap_or(Value::Null),
            "size": upload.map_or(0, |u| u.data.len()),
            "url": url,
            "proxy_url": url,
            "content_type": upload.and_then(|u| u.content_type.clone()),
            "width": width,
            "height": height,
        })
    }

    fn commands(&self, rest: &mut RestState, body: &Value, guild: Option<&str>) -> Value {
        let items = body.as_array().cloned().unwrap_or_default();
        Value::Array(
            items
                .iter()
                .map(|item| self.command(rest, item, guild))
                .collect(),
        )
    }

    fn command(&self, rest: &mut RestState, item: &Value, guild: Option<&str>) -> Value {
        let name = item["name"].as_str().unwrap_or_default().to_owned();
        let id = rest
            .command_ids
            .entry((guild.map(str::to_owned), name))
            .or_insert_with(|| self.snowflake())
            .clone();
        command_echo(item, &id, guild)
    }

    fn dm_channel(&self, rest: &mut RestState, body: &Value) -> Value {
        let recipient = id_string(&body["recipient_id"]).unwrap_or_default();
        let id = rest
            .dm_channels
            .entry(recipient.clone())
            .or_insert_with(|| self.snowflake())
            .clone();
        json!({
            "id": id,
            "type": 1,
            "last_message_id": null,
            "recipients": [user(&recipient, &user_name(&recipient), false)],
        })
    }
}

/// The channel an interaction came from (its original response and followups go there).
fn interaction_channel(rest: &RestState, token: &str) -> String {
    rest.interactions
        .get(token)
        .and_then(|i| i["channel_id"].as_str())
        .unwrap_or(CHANNEL_ID)
        .to_owned()
}

fn not_found() -> (u16, Value) {
    (404, json!({"code": 0, "message": "fake: unknown route"}))
}

async fn rest_handler(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    raw: Bytes,
) -> Response {
    let header_text = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let content_type = header_text(header::CONTENT_TYPE).unwrap_or_default();
    let (body, uploads) = parse_body(&content_type, &raw);
    let (status, response) = shared.answer(&method, uri.path(), &body, &uploads);
    let call = Call {
        method: method.as_str().to_owned(),
        path: uri.path().to_owned(),
        query: uri.query().unwrap_or_default().to_owned(),
        auth: header_text(header::AUTHORIZATION),
        body,
        files: uploads
            .iter()
            .map(|u| (u.field.clone(), u.filename.clone(), u.data.len()))
            .collect(),
        status,
        response: response.clone(),
    };
    lock(&shared.calls).push(call);
    shared.calls_changed.notify_waiters();
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if status == StatusCode::NO_CONTENT {
        status.into_response()
    } else {
        (status, axum::Json(response)).into_response()
    }
}

/// The JSON of a body (`payload_json` for multipart) and its files.
fn parse_body(content_type: &str, raw: &[u8]) -> (Value, Vec<Upload>) {
    if let Some(boundary) = multipart_boundary(content_type) {
        let mut json_body = Value::Null;
        let mut uploads = Vec::new();
        for part in multipart_parts(raw, &boundary) {
            if part.filename.is_none() && part.name == "payload_json" {
                json_body = parse_json(&part.data);
            } else {
                uploads.push(Upload {
                    field: part.name,
                    filename: part.filename.unwrap_or_default(),
                    content_type: part.content_type,
                    data: part.data,
                });
            }
        }
        (json_body, uploads)
    } else if raw.is_empty() {
        (Value::Null, Vec::new())
    } else {
        (parse_json(raw), Vec::new())
    }
}

fn parse_json(raw: &[u8]) -> Value {
    serde_json::from_slice(raw)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(raw).into_owned()))
}

fn multipart_boundary(content_type: &str) -> Option<String> {
    let mut params = content_type.split(';');
    if !params
        .next()?
        .trim()
        .eq_ignore_ascii_case("multipart/form-data")
    {
        return None;
    }
    params.find_map(|p| {
        let (key, value) = p.trim().split_once('=')?;
        key.eq_ignore_ascii_case("boundary")
            .then(|| value.trim_matches('"').to_owned())
    })
}

#[derive(Debug)]
struct Part {
    name: String,
    filename: Option<String>,
    content_type: Option<String>,
    data: Vec<u8>,
}

/// The parts of a `multipart/form-data` body (RFC 7578), enough for what reqwest sends.
fn multipart_parts(raw: &[u8], boundary: &str) -> Vec<Part> {
    // Every delimiter is CRLF "--" boundary; prefixing CRLF makes the first one alike.
    let mut body = b"\r\n".to_vec();
    body.extend_from_slice(raw);
    let delimiter = format!("\r\n--{boundary}").into_bytes();
    let mut parts = Vec::new();
    let Some(mut at) = find_delimiter(&body, &delimiter, 0) else {
        return parts;
    };
    loop {
        let start = at + delimiter.len();
        if body[start..].starts_with(b"--") {
            break; // the closing delimiter
        }
        let Some(next) = find_delimiter(&body, &delimiter, start) else {
            break;
        };
        let part = &body[start..next];
        let part = part.strip_prefix(b"\r\n").unwrap_or(part);
        if let Some(split) = find(part, b"\r\n\r\n", 0) {
            let head = String::from_utf8_lossy(&part[..split]);
            let mut parsed = Part {
                name: String::new(),
                filename: None,
                content_type: None,
                data: part[split + 4..].to_vec(),
            };
            for line in head.lines() {
                let Some((key, value)) = line.split_once(':') else {
                    continue;
                };
                if key.trim().eq_ignore_ascii_case("content-disposition") {
                    for param in value.split(';').skip(1) {
                        if let Some((k, v)) = param.trim().split_once('=') {
                            let v = v.trim().trim_matches('"').to_owned();
                            match k.trim() {
                                "name" => parsed.name = v,
                                "filename" => parsed.filename = Some(v),
                                _ => {}
                            }
                        }
                    }
                } else if key.trim().eq_ignore_ascii_case("content-type") {
                    parsed.content_type = Some(value.trim().to_owned());
                }
            }
            parts.push(parsed);
        }
        at = next;
    }
    parts
}

/// The next delimiter: CRLF "--" boundary, then CRLF (or "--" at the end).
fn find_delimiter(body: &[u8], delimiter: &[u8], mut from: usize) -> Option<usize> {
    loop {
        let at = find(body, delimiter, from)?;
        let after = &body[at + delimiter.len()..];
        if after.starts_with(b"\r\n") || after.starts_with(b"--") {
            return Some(at);
        }
        from = at + 1;
    }
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(data: &[u8]) -> Option<(u32, u32)> {
    if data.len() < 24 || !data.starts_with(b"\x89PNG\r\n\x1a\n") || &data[12..16] != b"IHDR" {
        return None;
    }
    let be = |at: usize| u32::from_be_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]]);
    Some((be(16), be(20)))
}

/// Decodes `%XX` escapes (UTF-8); anything malformed stays as it is.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A snowflake given as a JSON string or number, as a string.
fn id_string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(max).collect();
        format!("{cut}…")
    }
}

// ---------------------------------------------------------------------------------------------
// The gateway
// ---------------------------------------------------------------------------------------------

async fn gateway_upgrade(State(shared): State<Arc<Shared>>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| gateway_connection(shared, socket))
}

/// One gateway connection: HELLO, then frames out from the harness and frames in from the bot.
/// A newer connection takes over the outgoing channel, which ends this one.
async fn gateway_connection(shared: Arc<Shared>, mut socket: WebSocket) {
    let (sender, mut outgoing) = mpsc::channel(256);
    *lock(&shared.outgoing) = Some(sender);
    let hello =
        json!({"op": 10, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}, "s": null, "t": null});
    if socket
        .send(WsMessage::Text(hello.to_string().into()))
        .await
        .is_err()
    {
        return;
    }
    loop {
        tokio::select! {
            out = outgoing.recv() => {
                let (message, closing) = match out {
                    None => break,
                    Some(Outgoing::Text(text)) => (WsMessage::Text(text.into()), false),
                    Some(Outgoing::Close(code)) => (
                        WsMessage::Close(Some(CloseFrame {
                            code,
                            reason: "closed by the fake Discord".into(),
                        })),
                        true,
                    ),
                };
                if socket.send(message).await.is_err() || closing {
                    break;
                }
            }
            incoming = socket.recv() => match incoming {
                Some(Ok(WsMessage::Text(text))) => {
                    let frame = serde_json::from_str::<Value>(text.as_str()).unwrap_or_else(
                        |e| json!({"op": null, "unparsed": text.as_str(), "error": e.to_string()}),
                    );
                    if frame["op"] == 1 {
                        let ack = json!({"op": 11});
                        if socket.send(WsMessage::Text(ack.to_string().into())).await.is_err() {
                            break;
                        }
                    } else {
                        lock(&shared.frames).push(frame);
                        shared.frames_changed.notify_waiters();
                    }
                }
                Some(Ok(WsMessage::Close(_)) | Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The bot process
// ---------------------------------------------------------------------------------------------

/// The running `marquee serve`; killed when dropped.
#[derive(Debug)]
pub struct Bot {
    child: tokio::process::Child,
    output: Arc<Output>,
    _cwd: tempfile::TempDir,
}

/// The bot's stdout and stderr lines, in arrival order.
#[derive(Debug)]
struct Output {
    lines: Mutex<Vec<String>>,
    changed: Notify,
    open_pipes: AtomicUsize,
}

impl Output {
    fn closed(&self) -> bool {
        self.open_pipes.load(Ordering::SeqCst) == 0
    }
}

async fn read_lines(pipe: impl AsyncRead + Unpin, output: Arc<Output>) {
    let mut reader = BufReader::new(pipe);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                let line = strip_ansi(String::from_utf8_lossy(&buf).trim_end());
                lock(&output.lines).push(line);
                output.changed.notify_waiters();
            }
        }
    }
    output.open_pipes.fetch_sub(1, Ordering::SeqCst);
    output.changed.notify_waiters();
}

/// Removes terminal colour codes (`ESC [ ... letter`).
fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            chars.next();
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

impl Bot {
    /// The log lines so far (stdout and stderr).
    pub fn log(&self) -> Vec<String> {
        lock(&self.output.lines).clone()
    }

    pub fn log_contains(&self, needle: &str) -> bool {
        lock(&self.output.lines).iter().any(|l| l.contains(needle))
    }

    /// Fails when serenity logged a payload it could not parse ("An unknown event was received"),
    /// which it otherwise drops silently.
    pub fn assert_no_unknown_events(&self) {
        let lines = self.log();
        let unknown: Vec<&String> = lines
            .iter()
            .filter(|l| l.to_lowercase().contains("unknown event"))
            .collect();
        assert!(
            unknown.is_empty(),
            "serenity could not parse {} event(s):\n{}\n{}",
            unknown.len(),
            unknown
                .iter()
                .map(|l| l.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
            self.log_report()
        );
    }

    /// Waits for a log line containing `needle`.
    pub async fn wait_log(&self, needle: &str, timeout: Duration) {
        let output = &*self.output;
        let found = wait_for(&output.changed, Some(output), timeout, || {
            lock(&output.lines)
                .iter()
                .any(|l| l.contains(needle))
                .then_some(())
        })
        .await;
        if let Err(missed) = found {
            panic!(
                "no log line contains {needle:?} ({missed}).\n{}",
                self.log_report()
            );
        }
    }

    /// Whether the bot's output has ended (it exited).
    pub fn exited(&self) -> bool {
        self.output.closed()
    }

    /// Waits for the bot to exit by itself, and returns its status.
    pub async fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        match tokio::time::timeout(timeout, self.child.wait()).await {
            Ok(Ok(status)) => status,
            Ok(Err(e)) => panic!("waiting for the bot: {e}\n{}", self.log_report()),
            Err(elapsed) => panic!(
                "the bot still runs ({elapsed} after {timeout:?}).\n{}",
                self.log_report()
            ),
        }
    }

    /// Kills the bot and waits for it to go.
    pub async fn kill(mut self) {
        let _ = self.child.kill().await;
    }

    fn log_report(&self) -> String {
        let lines = self.log();
        let skip = lines.len().saturating_sub(400);
        let mut out = format!("--- bot log ({} lines", lines.len());
        if skip > 0 {
            let _ = write!(out, ", the first {skip} left out");
        }
        out.push_str("):\n");
        for line in &lines[skip..] {
            out.push_str("  ");
            out.push_str(line);
            out.push('\n');
        }
        if self.output.closed() {
            out.push_str("--- (the bot's output has ended: it exited)\n");
        }
        out
    }
}

/// Why a wait gave up.
#[derive(Debug)]
enum Missed {
    Timeout(Duration),
    BotExited,
}

impl std::fmt::Display for Missed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Missed::Timeout(t) => write!(f, "timed out after {t:?}"),
            Missed::BotExited => f.write_str("the bot exited"),
        }
    }
}

/// Re-checks `check` each time `changed` (or the bot's output) is notified, until it gives a value,
/// the timeout passes, or the bot's output ends.
async fn wait_for<T>(
    changed: &Notify,
    bot: Option<&Output>,
    timeout: Duration,
    mut check: impl FnMut() -> Option<T>,
) -> Result<T, Missed> {
    let deadline = Instant::now() + timeout;
    loop {
        let primary = changed.notified();
        let secondary = bot.map(|o| o.changed.notified());
        tokio::pin!(primary, secondary);
        primary.as_mut().enable();
        if let Some(s) = secondary.as_mut().as_pin_mut() {
            s.enable();
        }
        if let Some(found) = check() {
            return Ok(found);
        }
        if bot.is_some_and(Output::closed) {
            return Err(Missed::BotExited);
        }
        let either = async {
            match secondary.as_mut().as_pin_mut() {
                Some(s) => tokio::select! {
                    () = primary => {},
                    () = s => {},
                },
                None => primary.await,
            }
        };
        if tokio::time::timeout_at(deadline, either).await.is_err() {
            return check().ok_or(Missed::Timeout(timeout));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Payload builders: the `d` of gateway dispatches, and the objects in them
// ---------------------------------------------------------------------------------------------

/// The name the builders give a user id: [`BOT_NAME`] for [`APP_ID`], else "user" and its last
/// four digits.
pub fn user_name(user_id: &str) -> String {
    if user_id == APP_ID {
        BOT_NAME.to_owned()
    } else {
        let tail = user_id
            .get(user_id.len().saturating_sub(4)..)
            .unwrap_or(user_id);
        format!("user{tail}")
    }
}

pub fn user(id: &str, name: &str, bot: bool) -> Value {
    json!({
        "id": id,
        "username": name,
        "discriminator": "0",
        "global_name": name,
        "avatar": null,
        "bot": bot,
        "public_flags": 0,
    })
}

/// A (non-bot) guild member.
pub fn member(user_id: &str, name: &str) -> Value {
    json!({
        "user": user(user_id, name, false),
        "nick": null,
        "avatar": null,
        "roles": [],
        "joined_at": TIMESTAMP,
        "premium_since": null,
        "deaf": false,
        "mute": false,
        "flags": 0,
        "pending": false,
        "permissions": PERMISSIONS,
        "communication_disabled_until": null,
    })
}

/// The `d` of READY: the bot user, no guilds, application [`APP_ID`].
pub fn ready(gateway_url: &str) -> Value {
    json!({
        "v": 10,
        "user": {
            "id": APP_ID, "username": BOT_NAME, "discriminator": "0", "global_name": BOT_NAME,
            "avatar": null, "bot": true, "verified": true, "mfa_enabled": false, "flags": 0,
        },
        "guilds": [],
        "session_id": "fake-session-1",
        "resume_gateway_url": gateway_url,
        "shard": [0, 1],
        "application": {"id": APP_ID, "flags": 0},
    })
}

/// An INTERACTION_CREATE `d` of `kind` in [`GUILD_ID`]/[`CHANNEL_ID`] from `user_id`.
fn interaction(kind: u8, id: &str, token: &str, user_id: &str, data: Value) -> Value {
    let mut d = json!({
        "id": id,
        "application_id": APP_ID,
        "type": kind,
        "token": token,
        "version": 1,
        "guild_id": GUILD_ID,
        "channel_id": CHANNEL_ID,
        "channel": {
            "id": CHANNEL_ID, "type": 0, "name": "movie-night", "guild_id": GUILD_ID,
            "permissions": PERMISSIONS,
        },
        "member": member(user_id, &user_name(user_id)),
        "app_permissions": PERMISSIONS,
        "locale": "en-US",
        "guild_locale": "en-US",
        "entitlements": [],
        "authorizing_integration_owners": {"0": GUILD_ID},
        "context": 0,
        "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
    });
    d["data"] = data;
    d
}

/// The `data` of a slash command (type 1) with `options` as Discord sends them; the users of user
/// options (type 6, at any depth) are added to `resolved`.
fn command_data(name: &str, options: Value) -> Value {
    let options = if options.is_null() {
        json!([])
    } else {
        options
    };
    let mut users = Map::new();
    collect_user_options(&options, &mut users);
    let mut data = json!({
        "id": COMMAND_ID,
        "name": name,
        "type": 1,
        "guild_id": GUILD_ID,
        "options": options,
    });
    if !users.is_empty() {
        data["resolved"] = json!({"users": users});
    }
    data
}

fn collect_user_options(options: &Value, users: &mut Map<String, Value>) {
    for option in options.as_array().into_iter().flatten() {
        if option["type"] == 6 {
            if let Some(id) = option["value"].as_str() {
                users.insert(id.to_owned(), user(id, &user_name(id), false));
            }
        }
        collect_user_options(&option["options"], users);
    }
}

/// INTERACTION_CREATE type 2 (slash command) in the guild. Subcommand options need
/// `"options": []` even when empty, or serenity drops the event.
pub fn command(id: &str, token: &str, user_id: &str, name: &str, options: Value) -> Value {
    interaction(2, id, token, user_id, command_data(name, options))
}

/// [`command`] in the bot's DM with `user_id`.
pub fn command_in_dm(id: &str, token: &str, user_id: &str, name: &str, options: Value) -> Value {
    in_dm(command(id, token, user_id, name, options))
}

/// INTERACTION_CREATE type 4 (autocomplete); mark the focused option with `"focused": true`.
pub fn autocomplete(id: &str, token: &str, user_id: &str, name: &str, options: Value) -> Value {
    interaction(4, id, token, user_id, command_data(name, options))
}

/// The message a component sits on: `message` as given, or a bot message if `Null`.
fn component_message(message: Value) -> Value {
    if message.is_null() {
        self::message(
            DEFAULT_COMPONENT_MESSAGE_ID,
            APP_ID,
            "",
            json!([]),
            json!([]),
        )
    } else {
        message
    }
}

/// INTERACTION_CREATE type 3, a button click (component_type 2) on `message` (a full Message, as
/// from [`message`]; `Null` for a default bot message).
pub fn component(id: &str, token: &str, user_id: &str, custom_id: &str, message: Value) -> Value {
    let data = json!({"custom_id": custom_id, "component_type": 2});
    let mut d = interaction(3, id, token, user_id, data);
    d["message"] = component_message(message);
    d
}

/// INTERACTION_CREATE type 3, a string select (component_type 3) choosing `values`.
pub fn select(
    id: &str,
    token: &str,
    user_id: &str,
    custom_id: &str,
    values: &[&str],
    message: Value,
) -> Value {
    let data = json!({"custom_id": custom_id, "component_type": 3, "values": values});
    let mut d = interaction(3, id, token, user_id, data);
    d["message"] = component_message(message);
    d
}

/// INTERACTION_CREATE type 5, a modal submitted with `(custom_id, value)` text inputs, one action
/// row each.
pub fn modal_submit(
    id: &str,
    token: &str,
    user_id: &str,
    custom_id: &str,
    fields: &[(&str, &str)],
) -> Value {
    let rows: Vec<Value> = fields
        .iter()
        .map(|(field, value)| {
            json!({"type": 1, "components": [{"type": 4, "custom_id": field, "value": value}]})
        })
        .collect();
    let data = json!({"custom_id": custom_id, "components": rows});
    interaction(5, id, token, user_id, data)
}

/// Moves any interaction built here into the bot's DM with its user: no `guild_id` or `member`,
/// a `user`, [`DM_CHANNEL_ID`] (type 1), `"context": 1`.
pub fn in_dm(mut interaction: Value) -> Value {
    let user = interaction["member"]["user"].clone();
    if let Some(d) = interaction.as_object_mut() {
        d.remove("guild_id");
        d.remove("member");
        d.remove("guild_locale");
        d.insert(
            "channel".to_owned(),
            json!({"id": DM_CHANNEL_ID, "type": 1, "recipients": [user.clone()]}),
        );
        d.insert("user".to_owned(), user);
        d.insert("channel_id".to_owned(), json!(DM_CHANNEL_ID));
        d.insert("context".to_owned(), json!(1));
        d.insert(
            "authorizing_integration_owners".to_owned(),
            json!({"0": "0"}),
        );
    }
    if let Some(data) = interaction["data"].as_object_mut() {
        data.remove("guild_id");
    }
    if let Some(message) = interaction
        .get_mut("message")
        .and_then(Value::as_object_mut)
    {
        message.insert("channel_id".to_owned(), json!(DM_CHANNEL_ID));
        message.remove("guild_id");
    }
    interaction
}

/// A full Message object in `channel_id`.
fn message_in(
    channel_id: &str,
    id: &str,
    author: Value,
    content: &str,
    components: Value,
    embeds: Value,
) -> Value {
    let or_empty = |v: Value| if v.is_null() { json!([]) } else { v };
    let mut message = json!({
        "id": id,
        "channel_id": channel_id,
        "content": content,
        "timestamp": TIMESTAMP,
        "edited_timestamp": null,
        "tts": false,
        "mention_everyone": false,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": or_empty(embeds),
        "reactions": [],
        "pinned": false,
        "type": 0,
        "flags": 0,
        "components": or_empty(components),
    });
    message["author"] = author;
    message
}

/// A message the bot made over REST; `webhook` for interaction responses and followups.
fn bot_message(id: &str, channel_id: &str, webhook: bool) -> Value {
    let author = user(APP_ID, BOT_NAME, true);
    let mut message = message_in(channel_id, id, author, "", json!([]), json!([]));
    if webhook {
        message["webhook_id"] = json!(APP_ID);
        message["application_id"] = json!(APP_ID);
    }
    message
}

/// A full Message object in [`CHANNEL_ID`] by `author_id` (a bot when it is [`APP_ID`]);
/// `components` and `embeds` are JSON arrays (`Null` for none).
pub fn message(
    id: &str,
    author_id: &str,
    content: &str,
    components: Value,
    embeds: Value,
) -> Value {
    let author = user(author_id, &user_name(author_id), author_id == APP_ID);
    message_in(CHANNEL_ID, id, author, content, components, embeds)
}

/// A reaction emoji: `name:id` is a custom emoji, anything else a unicode one.
fn emoji_json(emoji: &str) -> Value {
    match emoji.rsplit_once(':') {
        Some((name, id)) if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) => {
            json!({"id": id, "name": name, "animated": false})
        }
        _ => json!({"id": null, "name": emoji}),
    }
}

/// The `d` of MESSAGE_REACTION_ADD: `user_id` (a bot if `bot`) reacted with `emoji` (unicode, or
/// `name:id` for a custom one) to the bot's message `message_id` in [`CHANNEL_ID`].
pub fn reaction(user_id: &str, message_id: &str, emoji: &str, bot: bool) -> Value {
    let mut member = member(user_id, &user_name(user_id));
    member["user"]["bot"] = json!(bot);
    json!({
        "user_id": user_id,
        "channel_id": CHANNEL_ID,
        "message_id": message_id,
        "guild_id": GUILD_ID,
        "member": member,
        "emoji": emoji_json(emoji),
        "message_author_id": APP_ID,
        "burst": false,
        "burst_colors": [],
        "type": 0,
    })
}

/// The `d` of MESSAGE_REACTION_REMOVE (Discord sends no member, author or colours there).
pub fn reaction_removed(user_id: &str, message_id: &str, emoji: &str) -> Value {
    json!({
        "user_id": user_id,
        "channel_id": CHANNEL_ID,
        "message_id": message_id,
        "guild_id": GUILD_ID,
        "emoji": emoji_json(emoji),
        "burst": false,
        "type": 0,
    })
}

/// What the fake answers for one registered command: the posted `item` with `id`,
/// `application_id`, `version` and `guild_id`, and `type` (1) and `description` ("") when missing,
/// as serenity's `Command` requires them.
/// A VOICE_STATE_UPDATE `d`: `user_id` is now in voice channel `channel` (or left, `None`).
pub fn voice_state(user_id: &str, channel: Option<&str>, bot: bool) -> Value {
    let mut m = member(user_id, &user_name(user_id));
    m["user"]["bot"] = json!(bot);
    json!({
        "guild_id": GUILD_ID,
        "channel_id": channel,
        "user_id": user_id,
        "member": m,
        "session_id": format!("voice-{user_id}"),
        "deaf": false, "mute": false, "self_deaf": false, "self_mute": false,
        "self_stream": false, "self_video": false, "suppress": false,
        "request_to_speak_timestamp": null
    })
}

/// How long a scenario step may take before the harness gives up (with the bot's log).
pub const SCENARIO_WAIT: Duration = Duration::from_secs(60);

/// Every `custom_id` in a message body's component rows, in order.
pub fn custom_ids(body: &Value) -> Vec<String> {
    body["components"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .filter_map(|c| c["custom_id"].as_str().map(str::to_owned))
        .collect()
}

/// The bot's message as the fake stored it after `call` (its response), as a component
/// interaction carries it: for clicking a button on it.
pub fn shown_message(call: &Call) -> Value {
    message(
        call.response["id"].as_str().expect("a message id"),
        APP_ID,
        "",
        call.response["components"].clone(),
        call.response["embeds"].clone(),
    )
}

/// A GuildScheduledEvent echoing what the bot posted.
pub fn scheduled_event(id: &str, guild: &str, body: &Value) -> Value {
    json!({
        "id": id,
        "guild_id": guild,
        "channel_id": body.get("channel_id").cloned().unwrap_or(Value::Null),
        "creator_id": APP_ID,
        "name": body["name"],
        "description": body.get("description").cloned().unwrap_or(Value::Null),
        "scheduled_start_time": body["scheduled_start_time"],
        "scheduled_end_time": body.get("scheduled_end_time").cloned().unwrap_or(Value::Null),
        "privacy_level": body.get("privacy_level").cloned().unwrap_or(json!(2)),
        "status": 1,
        "entity_type": body["entity_type"],
        "entity_id": null,
        "entity_metadata": body.get("entity_metadata").cloned().unwrap_or(Value::Null),
        "user_count": null,
        "image": null
    })
}

pub fn command_echo(item: &Value, id: &str, guild_id: Option<&str>) -> Value {
    let mut command = item.as_object().cloned().unwrap_or_default();
    command.insert("id".to_owned(), json!(id));
    command.insert("application_id".to_owned(), json!(APP_ID));
    command.insert("version".to_owned(), json!(id));
    command.insert("guild_id".to_owned(), json!(guild_id));
    command.entry("type").or_insert(json!(1));
    if command.get("description").is_none_or(Value::is_null) {
        command.insert("description".to_owned(), json!(""));
    }
    Value::Object(command)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_codes_are_stripped_from_log_lines() {
        assert_eq!(
            strip_ansi("\u{1b}[2m2024\u{1b}[0m \u{1b}[32m INFO\u{1b}[0m ready"),
            "2024  INFO ready"
        );
    }

    #[test]
    fn multipart_bodies_give_payload_json_and_files() {
        let raw =
            b"--XyZ\r\nContent-Disposition: form-data; name=\"files[0]\"; filename=\"a.png\"\r\n\
Content-Type: image/png\r\n\r\n\x89PNG\r\n--XyZ-not\r\n--XyZ\r\nContent-Disposition: form-data; \
name=\"payload_json\"\r\n\r\n{\"content\":\"hi\"}\r\n--XyZ--\r\n";
        let (body, files) = parse_body("multipart/form-data; boundary=XyZ", raw);
        assert_eq!(body, json!({"content": "hi"}));
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].field, "files[0]");
        assert_eq!(files[0].filename, "a.png");
        assert_eq!(files[0].content_type.as_deref(), Some("image/png"));
        assert_eq!(files[0].data, b"\x89PNG\r\n--XyZ-not");
    }

    #[test]
    fn percent_escapes_are_decoded() {
        assert_eq!(percent_decode("/r/%F0%9F%8D%BF/@me"), "/r/🍿/@me");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }
}
