//! A PostgreSQL outage while the real `marquee serve` runs against the fake Discord (issue 19).
//! The bot reaches PostgreSQL through a TCP proxy on 127.0.0.1 ([`PgProxy`]) that the test stops
//! (no listener, every open connection cut) and starts again on the same port.
//!
//! While the database is away, every interaction must still be acknowledged within Discord's 3 s,
//! what the person finally sees must say that the database is unreachable and nothing was saved
//! (and it must be true: nothing is stored), and reactions must wait in the bot. Once the proxy is
//! back, every reaction is stored exactly once with the right final state and commands work again,
//! without restarting the bot. A bot started while the database is down waits for it (saying so
//! in its log) instead of exiting.
//!
//! CI runs a short outage (8 s: longer than the pool's 5 s timeout, so the reactions are tried
//! again while the database is still away). The full 60 s one is `#[ignore]`d:
//! `cargo test --test it outage::a_60_s_outage -- --ignored --nocapture`.

#![allow(clippy::too_many_lines)] // each scenario reads as one story

use crate::fake_discord::{
    self as fd, APP_ID, Bot, Call, FakeDiscord, GUILD_ID, SCENARIO_WAIT, autocomplete, command,
    component, modal_submit, reaction, reaction_removed,
};
use marquee::domain::events::FeedbackKind::{self, Reaction as Add, ReactionRemoved as Removed};
use marquee::domain::ports::{FeedbackRepo as _, UserKind, UserRepo as _};
use marquee::outbound::storage::Store;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::task::JoinHandle;

const ALICE: &str = "300000000000000001";
const BOB: &str = "300000000000000002";
const CAROL: &str = "300000000000000003";

/// Discord's bound on acknowledging an interaction.
const ACK_BOUND: Duration = Duration::from_secs(3);
/// How long the final answer of an interaction may take while the database is down: the pool
/// gives up after `ACQUIRE_TIMEOUT` (5 s); this leaves a wide margin for a busy machine.
const FINAL_BOUND: Duration = Duration::from_secs(25);
/// What the person sees when the database is out of reach (the parts the test insists on).
const UNREACHABLE: &str = "can't reach my database";
const NOT_SAVED: &str = "not saved";
/// The reassurance that must never be given: after a failed write it is not true.
const FALSE_COMFORT: &str = "nothing was lost";
/// The password put in the database URL of the startup test: it must never be logged.
const SECRET: &str = "s3cret-outage-pw";

// ---------------------------------------------------------------------------------------------
// The proxy
// ---------------------------------------------------------------------------------------------

/// Ports taken by the proxies of this test process, so two never share one.
static TAKEN: Mutex<Vec<u16>> = Mutex::new(Vec::new());

/// A TCP proxy from `127.0.0.1:port` to PostgreSQL that can be stopped (the port refuses
/// connections and every open one is cut) and started again on the same port.
struct PgProxy {
    port: u16,
    upstream: String,
    running: Option<Running>,
}

struct Running {
    accept: JoinHandle<()>,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl PgProxy {
    /// A running proxy to the server of `database_url`, on a port below the system's ephemeral
    /// range (so no outgoing connection of another process can take it while it is stopped).
    /// Call it inside a Tokio runtime (it spawns the proxy's tasks).
    fn start(database_url: &str) -> PgProxy {
        let (_, upstream, _) = split_url(database_url);
        let low = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
            .ok()
            .and_then(|r| r.split_whitespace().next()?.parse::<u16>().ok())
            .unwrap_or(32768)
            .max(12_000);
        let span = u32::from(low - 10_000);
        let seed = std::process::id()
            ^ std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos());
        for i in 0..span {
            let port = 10_000 + u16::try_from((seed.wrapping_add(i * 7)) % span).unwrap_or(0);
            if TAKEN
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .contains(&port)
            {
                continue;
            }
            if let Ok(listener) = bind(port) {
                TAKEN
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(port);
                let mut proxy = PgProxy {
                    port,
                    upstream: upstream.clone(),
                    running: None,
                };
                proxy.serve(listener);
                return proxy;
            }
        }
        panic!("no free port for the proxy below {low}");
    }

    fn serve(&mut self, listener: TcpListener) {
        let links: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let upstream = self.upstream.clone();
        let accept = tokio::spawn({
            let links = links.clone();
            async move {
                while let Ok((mut inbound, _)) = listener.accept().await {
                    let upstream = upstream.clone();
                    let link = tokio::spawn(async move {
                        if let Ok(mut outbound) = TcpStream::connect(&upstream).await {
                            let _ =
                                tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                        }
                    });
                    links
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(link);
                }
            }
        });
        self.running = Some(Running { accept, links });
    }

    /// Stops: when this returns, the port refuses connections and every connection made
    /// through the proxy is closed.
    async fn stop(&mut self) {
        let Some(running) = self.running.take() else {
            return;
        };
        running.accept.abort();
        let _ = running.accept.await;
        let links: Vec<JoinHandle<()>> =
            std::mem::take(&mut *running.links.lock().unwrap_or_else(PoisonError::into_inner));
        for link in links {
            link.abort();
            let _ = link.await;
        }
        assert!(
            TcpStream::connect(("127.0.0.1", self.port)).await.is_err(),
            "the stopped proxy's port still accepts connections"
        );
    }

    /// Starts again on the same port.
    async fn restart(&mut self) {
        assert!(self.running.is_none(), "the proxy runs already");
        let deadline = Instant::now() + Duration::from_secs(10);
        let listener = loop {
            match bind(self.port) {
                Ok(l) => break l,
                Err(e) => {
                    assert!(
                        Instant::now() < deadline,
                        "cannot listen on port {} again: {e}",
                        self.port
                    );
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        };
        self.serve(listener);
    }

    /// `database_url` with the proxy in place of the server (and `password`, if given).
    fn url(&self, database_url: &str, password: Option<&str>) -> String {
        let (user, _, rest) = split_url(database_url);
        let user = match password {
            Some(p) => format!("{user}:{p}@"),
            None if user.is_empty() => String::new(),
            None => format!("{user}@"),
        };
        format!("postgres://{user}127.0.0.1:{}{rest}", self.port)
    }
}

impl Drop for PgProxy {
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            running.accept.abort();
            for link in running
                .links
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .drain(..)
            {
                link.abort();
            }
        }
    }
}

fn bind(port: u16) -> std::io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(std::net::SocketAddr::from(([127, 0, 0, 1], port)))?;
    socket.listen(128)
}

/// `postgres://user[:pw]@host:port/db?x` → (user without password, "host:port", "/db?x").
fn split_url(url: &str) -> (String, String, String) {
    let after = url.split_once("://").expect("a URL with a scheme").1;
    let (authority, rest) = after
        .find('/')
        .map_or((after, ""), |i| (&after[..i], &after[i..]));
    let (user, host) = authority.rsplit_once('@').unwrap_or(("", authority));
    let user = user.split(':').next().unwrap_or_default();
    let host = if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:5432")
    };
    (user.to_owned(), host, rest.to_owned())
}

// ---------------------------------------------------------------------------------------------
// Helpers on the fake Discord
// ---------------------------------------------------------------------------------------------

/// An interaction sent to the bot, and when.
struct Sent {
    what: &'static str,
    id: String,
    token: String,
    at: Instant,
    /// The index of the calls from which its answer is looked for.
    from: usize,
}

async fn send(fake: &FakeDiscord, what: &'static str, d: Value) -> Sent {
    let id = d["id"].as_str().expect("interaction id").to_owned();
    let token = d["token"].as_str().expect("token").to_owned();
    let from = fake.calls().len();
    let at = Instant::now();
    fake.dispatch("INTERACTION_CREATE", d).await;
    Sent {
        what,
        id,
        token,
        at,
        from,
    }
}

/// The interaction's callback, checked to have come within Discord's 3 s of sending it.
async fn acked(fake: &FakeDiscord, bot: &Bot, sent: &Sent) -> Call {
    let path = format!("/api/v10/interactions/{}/{}/callback", sent.id, sent.token);
    let call = fake
        .wait_call(bot, sent.from, SCENARIO_WAIT, |c| {
            c.method == "POST" && c.path == path
        })
        .await;
    let took = call.at.duration_since(sent.at);
    eprintln!("  {} acknowledged in {took:?}", sent.what);
    assert!(
        took < ACK_BOUND,
        "{} was acknowledged after {took:?} (Discord allows 3 s)",
        sent.what
    );
    call
}

/// The first message shown for the interaction after its acknowledgement: an edit of its
/// original response or a follow-up.
async fn shown_after_ack(fake: &FakeDiscord, bot: &Bot, sent: &Sent) -> Call {
    let original = format!(
        "/api/v10/webhooks/{APP_ID}/{}/messages/@original",
        sent.token
    );
    let followup = format!("/api/v10/webhooks/{APP_ID}/{}", sent.token);
    fake.wait_call(bot, sent.from, SCENARIO_WAIT, |c| {
        (c.method == "PATCH" && c.path == original) || (c.method == "POST" && c.path == followup)
    })
    .await
}

fn content(call: &Call) -> String {
    call.body["content"].as_str().unwrap_or_default().to_owned()
}

/// Checks that what the person was shown says the database is unreachable and nothing was
/// saved, only to them (a private follow-up, or the edit of a private deferral), within
/// [`FINAL_BOUND`].
fn assert_honest(sent: &Sent, callback: &Call, shown: &Call) {
    let text = content(shown);
    assert!(
        text.contains(UNREACHABLE) && text.contains(NOT_SAVED) && !text.contains(FALSE_COMFORT),
        "{} showed {text:?}",
        sent.what
    );
    let flags = if shown.method == "PATCH" {
        &callback.body["data"]["flags"]
    } else {
        &shown.body["flags"]
    };
    assert_eq!(
        flags.as_u64().unwrap_or(0) & 64,
        64,
        "{}: the failure is told only to the person: {} after {}",
        sent.what,
        shown.body,
        callback.body
    );
    let took = shown.at.duration_since(sent.at);
    eprintln!("  {} answered in {took:?}: {text}", sent.what);
    assert!(
        took < FINAL_BOUND,
        "{} got its answer only after {took:?}",
        sent.what
    );
}

/// A slash command that defers and then shows its result; the edit.
async fn deferred(fake: &FakeDiscord, bot: &Bot, what: &'static str, d: Value) -> Call {
    let sent = send(fake, what, d).await;
    let callback = acked(fake, bot, &sent).await;
    assert_eq!(
        callback.body["type"], 5,
        "{what} deferred: {}",
        callback.body
    );
    fake.edit_of(bot, &sent.token, sent.from).await
}

/// `/rate Alien 5` by `user`.
fn rate_alien(fake: &FakeDiscord, token: &str, user: &str) -> Value {
    command(
        &fake.snowflake(),
        token,
        user,
        "rate",
        json!([
            {"name": "movie", "type": 3, "value": "Alien"},
            {"name": "stars", "type": 10, "value": 5.0}
        ]),
    )
}

/// Waits until the bot put its reactions under list `message_id` (it does so after storing the
/// list under that id).
async fn wait_reactions(fake: &FakeDiscord, bot: &Bot, message_id: &str) {
    let deadline = Instant::now() + SCENARIO_WAIT;
    let prefix = format!("/messages/{message_id}/reactions/");
    while fake
        .calls()
        .iter()
        .filter(|c| c.method == "PUT" && c.path.contains(&prefix))
        .count()
        < 6
    {
        assert!(Instant::now() < deadline, "{}", fake.report(Some(bot)));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// How many log lines contain `needle`.
fn count_log(bot: &Bot, needle: &str) -> usize {
    bot.log().iter().filter(|l| l.contains(needle)).count()
}

async fn wait_log_count(bot: &Bot, needle: &str, n: usize, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    while count_log(bot, needle) < n {
        assert!(
            Instant::now() < deadline && !bot.exited(),
            "expected {n} log lines with {needle:?}, have {}:\n{}",
            count_log(bot, needle),
            bot.log().join("\n")
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The test server, as the app stores it.
fn guild() -> marquee::domain::ids::GuildId {
    marquee::domain::ids::GuildId(GUILD_ID.parse().expect("a snowflake"))
}

/// A person's stored feedback: per emoji (or "" for other kinds) the kinds in order.
async fn feedback(store: &Store, snowflake: &str) -> BTreeMap<String, Vec<FeedbackKind>> {
    let user = store
        .ensure_user(UserKind::Discord, snowflake, "", Some(guild()))
        .await
        .expect("user");
    let mut out: BTreeMap<String, Vec<FeedbackKind>> = BTreeMap::new();
    for e in store.events_for_user(user).await.expect("events") {
        let key = match e.event.kind {
            FeedbackKind::Reaction | FeedbackKind::ReactionRemoved => {
                e.event.raw.clone().unwrap_or_default()
            }
            _ => String::new(),
        };
        out.entry(key).or_default().push(e.event.kind);
    }
    out
}

/// The feedback [`feedback`] should find: per emoji the kinds in order.
fn expected(pairs: &[(&str, &[FeedbackKind])]) -> BTreeMap<String, Vec<FeedbackKind>> {
    pairs
        .iter()
        .map(|(e, k)| ((*e).to_owned(), k.to_vec()))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The scenarios
// ---------------------------------------------------------------------------------------------

/// The reactions sent while the database is down: (user, emoji, removed).
/// (👀 and 🚫 are left out: they are stored as "seen" and "not interested", not as reactions.)
const DURING: [(&str, &str, bool); 8] = [
    (ALICE, "👍", false),
    (BOB, "👍", false),
    (ALICE, "😐", false),
    (CAROL, "👎", false),
    (BOB, "👍", true),
    (ALICE, "😐", true),
    // The same add delivered twice (as after a gateway resume): stored once.
    (CAROL, "👎", false),
    (ALICE, "😐", false),
];

/// Runs the whole outage story; the database is away for at least `outage`.
async fn outage_story(outage: Duration) {
    crate::helpers::with_postgres_url(move |url, store| async move {
        let mut proxy = PgProxy::start(&url);
        let fake = FakeDiscord::start().await;
        let (bot, _, _) = fake
            .connect(&proxy.url(&url, None), &[("DISCORD_DEV_GUILD_ID", GUILD_ID)])
            .await;
        let pid = bot.pid();

        // A list to react to, made while the database is up.
        let list = deferred(
            &fake,
            &bot,
            "/recommend",
            command(
                &fake.snowflake(),
                "tok-list",
                ALICE,
                "recommend",
                json!([{"name": "count", "type": 4, "value": 3}]),
            ),
        )
        .await;
        let message_id = list.response["id"].as_str().expect("message id").to_owned();
        wait_reactions(&fake, &bot, &message_id).await;
        let list_message = fd::message(
            &message_id,
            APP_ID,
            "",
            list.body["components"].clone(),
            list.body["embeds"].clone(),
        );

        // The database goes away.
        proxy.stop().await;
        let stopped = Instant::now();

        for (user, emoji, removed) in DURING {
            if removed {
                fake.dispatch(
                    "MESSAGE_REACTION_REMOVE",
                    reaction_removed(user, &message_id, emoji),
                )
                .await;
            } else {
                fake.dispatch(
                    "MESSAGE_REACTION_ADD",
                    reaction(user, &message_id, emoji, false),
                )
                .await;
            }
        }

        // Autocomplete and the review form answer from memory, at once.
        let typed = send(
            &fake,
            "autocomplete",
            autocomplete(
                &fake.snowflake(),
                "tok-ac",
                ALICE,
                "review",
                json!([{"name": "movie", "type": 3, "value": "heat", "focused": true}]),
            ),
        )
        .await;
        let choices = acked(&fake, &bot, &typed).await;
        assert_eq!(choices.body["type"], 8, "{}", choices.body);
        let heat = choices.body["data"]["choices"]
            .as_array()
            .expect("choices")
            .iter()
            .find(|c| c["name"] == "Heat (1995)")
            .unwrap_or_else(|| panic!("Heat among {}", choices.body))["value"]
            .as_str()
            .expect("value")
            .to_owned();
        let review = send(
            &fake,
            "/review",
            command(
                &fake.snowflake(),
                "tok-review",
                ALICE,
                "review",
                json!([{"name": "movie", "type": 3, "value": heat}]),
            ),
        )
        .await;
        let form = acked(&fake, &bot, &review).await;
        assert_eq!(form.body["type"], 9, "the form opens: {}", form.body);
        let form_id = form.body["data"]["custom_id"]
            .as_str()
            .expect("the form's id")
            .to_owned();

        // Then everything that needs the database, sent together.
        writes_while_down(&fake, &bot, 1, &message_id, &list_message, &form_id).await;
        // The reactions wait in the bot; nothing reached the database (the test's own
        // connection does not go through the proxy).
        bot.wait_log("the reaction waits and is stored when it is back", SCENARIO_WAIT)
            .await;
        for who in [ALICE, BOB, CAROL] {
            assert!(
                feedback(&store, who).await.is_empty(),
                "nothing is stored while the database is unreachable"
            );
        }
        assert_eq!(count_log(&bot, "outcome="), 0, "no reaction was handled yet");

        // A long outage: the same again near its end, while the reactions wait in long
        // back-offs and every pooled connection is long gone.
        if outage > Duration::from_secs(30) {
            tokio::time::sleep_until((stopped + outage.saturating_sub(Duration::from_secs(12))).into()).await;
            writes_while_down(&fake, &bot, 2, &message_id, &list_message, &form_id).await;
        }
        // One more reaction just before the database comes back after `outage`.
        tokio::time::sleep_until((stopped + outage).into()).await;
        fake.dispatch(
            "MESSAGE_REACTION_ADD",
            reaction(CAROL, &message_id, "😐", false),
        )
        .await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(
            feedback(&store, CAROL).await.is_empty(),
            "nothing is stored while the database is unreachable"
        );
        proxy.restart().await;
        let back = Instant::now();
        eprintln!(
            "database away for {:?}; reactions stored after it came back:",
            back.duration_since(stopped)
        );

        // Every reaction is handled once: 8 stored, the repeated delivery recognised.
        let handled = DURING.len() + 1;
        wait_log_count(&bot, "outcome=", handled, SCENARIO_WAIT).await;
        eprintln!("  all {handled} handled {:?} after", back.elapsed());
        assert_eq!(
            count_log(&bot, "outcome=\"recorded\""),
            handled - 1,
            "{}",
            bot.log().join("\n")
        );
        assert_eq!(count_log(&bot, "outcome=\"repeated\""), 1);
        assert_eq!(
            feedback(&store, ALICE).await,
            expected(&[("👍", &[Add]), ("😐", &[Add, Removed, Add])])
        );
        assert_eq!(
            feedback(&store, BOB).await,
            expected(&[("👍", &[Add, Removed])])
        );
        assert_eq!(
            feedback(&store, CAROL).await,
            expected(&[("👎", &[Add]), ("😐", &[Add])])
        );

        // The bot recovered by itself: the same process answers commands again.
        let edit = deferred(&fake, &bot, "/rate", rate_alien(&fake, "tok-rate-up", ALICE)).await;
        assert!(
            content(&edit).contains("Alien (1979)"),
            "{}",
            content(&edit)
        );
        let after = feedback(&store, ALICE).await;
        assert_eq!(
            after.get(""),
            Some(&vec![FeedbackKind::Rating]),
            "only the rating made after the outage is stored: what was reported unsaved was not saved"
        );
        let list = deferred(
            &fake,
            &bot,
            "/recommend",
            command(&fake.snowflake(), "tok-rec-up", BOB, "recommend", json!([])),
        )
        .await;
        assert!(list.body["embeds"][0]["description"].is_string(), "{}", list.body);
        assert!(!bot.exited());
        assert_eq!(bot.pid(), pid, "the same process, not restarted");
        bot.assert_no_unknown_events();
        bot.kill().await;
    })
    .await;
}

/// Sends, while the database is down, two commands, two buttons and the review form together;
/// checks each is acknowledged within Discord's 3 s and then told, privately and truthfully,
/// that the database is unreachable and nothing was saved.
async fn writes_while_down(
    fake: &FakeDiscord,
    bot: &Bot,
    round: u32,
    message_id: &str,
    list_message: &Value,
    form_id: &str,
) {
    let token = |what: &str| format!("tok-{what}-down-{round}");
    let private = fd::message(&fake.snowflake(), APP_ID, "", json!([]), json!([]));
    let love = format!("mq:fb:{message_id}:2:love");
    let writes = vec![
        send(fake, "/rate", rate_alien(fake, &token("rate"), ALICE)).await,
        send(
            fake,
            "/recommend",
            command(
                &fake.snowflake(),
                &token("rec"),
                BOB,
                "recommend",
                json!([]),
            ),
        )
        .await,
        send(
            fake,
            "the not-interested button",
            component(
                &fake.snowflake(),
                &token("nope"),
                ALICE,
                "mq:nope",
                list_message.clone(),
            ),
        )
        .await,
        send(
            fake,
            "a feedback button",
            component(&fake.snowflake(), &token("love"), ALICE, &love, private),
        )
        .await,
        send(
            fake,
            "the review form",
            modal_submit(
                &fake.snowflake(),
                &token("form"),
                ALICE,
                form_id,
                &[("text", "Loved every minute of it.")],
            ),
        )
        .await,
    ];
    let mut callbacks = Vec::new();
    for sent in &writes {
        callbacks.push(acked(fake, bot, sent).await);
    }
    for (sent, callback) in writes.iter().zip(&callbacks) {
        let shown = shown_after_ack(fake, bot, sent).await;
        assert_honest(sent, callback, &shown);
    }
    let everything: String = fake.calls().iter().map(|c| c.body.to_string()).collect();
    assert!(
        !everything.contains(FALSE_COMFORT),
        "the bot claimed nothing was lost"
    );
}

#[tokio::test]
async fn a_short_outage_loses_nothing_and_every_interaction_is_answered_honestly() {
    outage_story(Duration::from_secs(8)).await;
}

#[tokio::test]
#[ignore = "a 60 s database outage: cargo test --test it outage::a_60_s_outage -- --ignored --nocapture"]
async fn a_60_s_outage_loses_nothing_and_every_interaction_is_answered_honestly() {
    outage_story(Duration::from_secs(60)).await;
}

#[tokio::test]
async fn serve_started_before_the_database_waits_for_it_then_connects() {
    crate::helpers::with_postgres_url(|url, _store| async move {
        let mut proxy = PgProxy::start(&url);
        proxy.stop().await;
        let proxied = proxy.url(&url, Some(SECRET));
        let fake = FakeDiscord::start().await;
        let bot = fake
            .spawn_bot(&proxied, &[("DISCORD_DEV_GUILD_ID", GUILD_ID)])
            .await;

        // It says what it waits for, why, and when it tries again; it keeps trying.
        let waiting = "waiting for the database at ";
        wait_log_count(&bot, waiting, 3, SCENARIO_WAIT).await;
        let line = bot
            .log()
            .into_iter()
            .find(|l| l.contains(waiting))
            .expect("the waiting line");
        assert!(
            line.contains(&format!("@127.0.0.1:{}/", proxy.port))
                && line.contains("connection refused")
                && line.contains("trying again in 1 s"),
            "{line}"
        );
        assert!(!bot.exited(), "the bot waits instead of exiting");
        assert!(
            fake.gateway_frames().is_empty(),
            "no Discord connection before the database is there"
        );

        proxy.restart().await;
        let identify = fake.wait_identify(&bot, SCENARIO_WAIT).await;
        assert!(identify["token"].is_string());
        let from = fake.calls().len();
        fake.send_ready().await;
        let registration = fake
            .wait_call(&bot, from, SCENARIO_WAIT, |c| {
                c.method == "PUT" && c.path.ends_with("/commands")
            })
            .await;
        assert!(
            registration.body.as_array().is_some_and(|c| !c.is_empty()),
            "{}",
            registration.body
        );
        bot.wait_log("the database is reachable; starting", SCENARIO_WAIT)
            .await;
        let edit = deferred(&fake, &bot, "/rate", rate_alien(&fake, "tok-rate", ALICE)).await;
        assert!(
            content(&edit).contains("Alien (1979)"),
            "{}",
            content(&edit)
        );
        assert!(
            !bot.log_contains(SECRET),
            "the database password must never be logged"
        );
        bot.kill().await;
    })
    .await;
}

#[tokio::test]
async fn serve_waiting_for_the_database_stops_on_sigterm() {
    crate::helpers::with_postgres_url(|url, _store| async move {
        let mut proxy = PgProxy::start(&url);
        proxy.stop().await;
        let fake = FakeDiscord::start().await;
        let mut bot = fake.spawn_bot(&proxy.url(&url, None), &[]).await;
        bot.wait_log("waiting for the database at ", SCENARIO_WAIT)
            .await;
        let pid = bot.pid().expect("the bot runs").to_string();
        let killed = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("run kill");
        assert!(killed.success());
        let status = bot.wait_exit(Duration::from_secs(30)).await;
        assert!(status.success(), "{status:?}\n{}", bot.log().join("\n"));
        assert!(bot.log_contains("stopped before the database could be reached"));
    })
    .await;
}

#[tokio::test]
async fn other_commands_fail_fast_when_the_database_is_down() {
    crate::helpers::with_postgres_url(|url, _store| async move {
        let mut proxy = PgProxy::start(&url);
        proxy.stop().await;
        let dir = tempfile::tempdir().expect("a folder");
        let out = crate::helpers::marquee_binary(dir.path())
            .args(["catalog", "stats"])
            .env("DATABASE_URL", proxy.url(&url, Some(SECRET)))
            .output()
            .expect("run marquee");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{stderr}");
        // The reason itself, from one refused connection, not the pool's "timed out".
        assert!(
            stderr.contains("cannot reach PostgreSQL at")
                && stderr.contains("connection refused")
                && !stderr.contains(SECRET),
            "{stderr}"
        );
    })
    .await;
}

#[test]
fn database_urls_are_split_and_rebuilt_around_the_proxy() {
    let (user, host, rest) = split_url("postgres://postgres:pw@127.0.0.1:5432/db?x=1");
    assert_eq!(
        (user.as_str(), host.as_str(), rest.as_str()),
        ("postgres", "127.0.0.1:5432", "/db?x=1")
    );
    let (_, host, _) = split_url("postgres://localhost/db");
    assert_eq!(host, "localhost:5432");
    let proxy = PgProxy {
        port: 15432,
        upstream: host,
        running: None,
    };
    assert_eq!(
        proxy.url("postgres://postgres@127.0.0.1:5432/db", Some("p")),
        "postgres://postgres:p@127.0.0.1:15432/db"
    );
}
