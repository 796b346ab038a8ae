//! Beyond one process, end to end: two `marquee serve --no-train` shard processes and one
//! `marquee trainer` on one PostgreSQL database, against the fake Discord. Each shard process
//! connects once as its shard; each server's events arrive only on the shard Discord routes
//! them to (`(server id >> 22) % 2`), and that process answers (its REST calls come through a
//! port of the fake of its own). A rating through one shard is trained by the trainer, and both
//! shard processes serve the new model within 5 s (their `/readyz` says which version). Killing
//! one shard process leaves the other serving; a new process for that shard takes over.
#![allow(clippy::too_many_lines)] // one end-to-end story

use crate::fake_discord::{Bot, Call, FakeDiscord, command};
use crate::helpers::with_postgres_url;
use marquee::domain::ports::ModelRepo as _;
use marquee::outbound::storage::Store;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

const WAIT: Duration = Duration::from_secs(60);
/// On shard 0 of 2 (the fake's usual server).
const SERVER_A: &str = crate::fake_discord::GUILD_ID;
/// On shard 1 of 2: `(id >> 22) % 2 == 1`.
const SERVER_B: &str = "100000000004194305";
const CHANNEL_B: &str = "200000000000000019";
const KIM: &str = "300000000000000031";
const LEE: &str = "300000000000000032";

/// `d` moved into `server` (with a channel of its own for B).
fn in_server(mut d: Value, server: &str) -> Value {
    if server == SERVER_B {
        d["guild_id"] = json!(SERVER_B);
        d["channel_id"] = json!(CHANNEL_B);
        d["channel"]["id"] = json!(CHANNEL_B);
        d["channel"]["guild_id"] = json!(SERVER_B);
        if d["authorizing_integration_owners"].is_object() {
            d["authorizing_integration_owners"] = json!({"0": SERVER_B});
        }
    }
    d
}

/// The shard Discord sends `server`'s events to, of 2.
fn shard_of(server: &str) -> u64 {
    (server.parse::<u64>().expect("a snowflake") >> 22) % 2
}

/// The address a process printed for its health endpoint.
fn health_address(bot: &Bot) -> String {
    let line = bot
        .log()
        .into_iter()
        .find(|l| l.contains("answering /healthz and /readyz"))
        .expect("the health endpoint's address in the log");
    let at = line.find("address=").expect("address=") + "address=".len();
    line[at..]
        .split_whitespace()
        .next()
        .expect("an address")
        .to_owned()
}

/// `GET path` on `address`: the status code and the JSON body.
async fn get(address: &str, path: &str) -> (u16, Value) {
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect to the health endpoint");
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .await
        .expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.expect("read");
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

/// Starts one `serve --no-train` process for shard `shard` of 2, through a door of the fake of
/// its own: the process and its door.
async fn spawn_shard(fake: &FakeDiscord, url: &str, shard: u64) -> (Bot, usize) {
    let (base, door) = fake.open_door().await;
    let range = format!("{shard}/2");
    let bot = fake
        .spawn_marquee(
            &[
                "serve",
                "--no-train",
                "--shards",
                &range,
                "--health",
                "127.0.0.1:0",
            ],
            url,
            &[("DISCORD_API_BASE", &base)],
        )
        .await;
    (bot, door)
}

/// Answers shard `shard`'s IDENTIFY with READY and waits for the command registration of the
/// process behind `door`.
async fn welcome(fake: &FakeDiscord, bot: &Bot, door: usize, shard: u64) {
    let from = fake.calls().len();
    fake.send_ready_to(shard, 2).await;
    fake.wait_call(bot, from, WAIT, |c| {
        c.door == door && c.method == "PUT" && c.path.ends_with("/commands")
    })
    .await;
}

/// `/rate TITLE STARS` by `user` in `server`, sent on that server's shard; the answer (after
/// the deferral), which must come through `door`.
async fn rate(
    fake: &FakeDiscord,
    bot: &Bot,
    door: usize,
    server: &str,
    user: &str,
    title: &str,
) -> Call {
    let id = fake.snowflake();
    let token = format!("tok-rate-{id}");
    let d = in_server(
        command(
            &id,
            &token,
            user,
            "rate",
            json!([
                {"name": "movie", "type": 3, "value": title},
                {"name": "stars", "type": 10, "value": 5}
            ]),
        ),
        server,
    );
    let (callback, from) = fake.interact_on(bot, shard_of(server), d).await;
    assert_eq!(
        callback.door, door,
        "answered by the process of the server's shard"
    );
    assert_eq!(callback.body["type"], 5, "deferred: {:?}", callback.body);
    let edit = fake.edit_of(bot, &token, from).await;
    assert_eq!(edit.door, door, "the answer comes from the same process");
    edit
}

#[tokio::test]
async fn two_shard_processes_and_a_trainer_share_one_postgres() {
    with_postgres_url(|url, store| async move {
        let fake = FakeDiscord::start().await;
        // The trainer first: it trains the first model (the shards wait for none).
        let trainer = fake
            .spawn_marquee(
                &["trainer", "--health", "127.0.0.1:0"],
                &url,
                &[
                    ("MARQUEE_RETRAIN_QUIET_SECONDS", "1"),
                    ("MARQUEE_RETRAIN_MAX_WAIT_SECONDS", "1"),
                ],
            )
            .await;
        trainer.wait_log("answering /healthz", WAIT).await;
        // Both shard processes start together; they identify one after the other, 5 s
        // apart (Discord's limit), and never as a shard that does not exist (serenity 0.12's
        // `start_shard_range` boots its range's end too).
        let (zero, door0) = spawn_shard(&fake, &url, 0).await;
        let (one, door1) = spawn_shard(&fake, &url, 1).await;
        assert_ne!(door0, door1);
        let shard_of_frame = |f: &Value| f["d"]["shard"][0].as_u64().expect("a shard id");
        let first = fake.wait_identifies(&[&zero, &one], 1).await;
        let (at_first, first) = first[0].clone();
        let first_shard = shard_of_frame(&first);
        assert_eq!(first["d"]["shard"][1], 2, "{first}");
        let bot_of = |shard: u64| if shard == 0 { (&zero, door0) } else { (&one, door1) };
        let (bot, door) = bot_of(first_shard);
        welcome(&fake, bot, door, first_shard).await;
        let both = fake.wait_identifies(&[&zero, &one], 2).await;
        let (at_second, second) = both[1].clone();
        let second_shard = shard_of_frame(&second);
        assert_eq!(
            (first_shard + second_shard, second["d"]["shard"][1].as_u64()),
            (1, Some(2)),
            "shards 0 and 1 of 2: {both:?}"
        );
        assert!(
            at_second - at_first >= Duration::from_secs(5),
            "the second IDENTIFY came {:?} after the first",
            at_second - at_first
        );
        let (bot, door) = bot_of(second_shard);
        welcome(&fake, bot, door, second_shard).await;
        let identified: Vec<Value> = fake
            .gateway_frames()
            .into_iter()
            .filter(|f| f["op"] == 2)
            .map(|f| f["d"]["shard"].clone())
            .collect();
        assert_eq!(identified.len(), 2, "one IDENTIFY per shard: {identified:?}");

        // Each server's command is answered by its own shard's process.
        let a = rate(&fake, &zero, door0, SERVER_A, KIM, "Alien 1979").await;
        assert!(
            a.body["content"].as_str().unwrap_or_default().contains("Alien (1979)"),
            "{:?}",
            a.body
        );
        // Every model the trainer stores reaches both shard processes within 5 s.
        let newest = async |store: &Store| {
            store
                .latest_model_id("recommender")
                .await
                .expect("read the version")
                .unwrap_or(0)
        };
        let before = newest(&store).await;
        let b = rate(&fake, &one, door1, SERVER_B, LEE, "Heat 1995").await;
        assert!(
            b.body["content"].as_str().unwrap_or_default().contains("Heat (1995)"),
            "{:?}",
            b.body
        );
        // The trainer notices the new ratings and trains (after a second of quiet).
        let deadline = Instant::now() + WAIT;
        let trained = loop {
            let v = newest(&store).await;
            if v > before {
                break v;
            }
            assert!(
                Instant::now() < deadline,
                "the trainer stored no new model.\n{}",
                fake.report(Some(&trainer))
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let stored_at = Instant::now();
        for (bot, shard) in [(&zero, 0), (&one, 1)] {
            let address = health_address(bot);
            loop {
                let (status, ready) = get(&address, "/readyz").await;
                if status == 200 && ready["model_version"].as_i64() >= Some(trained) {
                    assert_eq!(ready["shards"][shard.to_string()], "Connected", "{ready}");
                    break;
                }
                assert!(
                    stored_at.elapsed() < Duration::from_secs(5),
                    "shard {shard} still serves {ready} 5 s after version {trained} was stored.\n{}",
                    fake.report(Some(bot))
                );
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            let (status, alive) = get(&address, "/healthz").await;
            assert_eq!((status, alive["role"].as_str()), (200, Some("serve")));
        }
        let (status, trainer_ready) = get(&health_address(&trainer), "/readyz").await;
        assert_eq!(status, 200, "{trainer_ready}");
        assert_eq!(trainer_ready["role"], "trainer");

        // Shard 1's process dies; shard 0's keeps serving its server.
        one.kill().await;
        let again = rate(&fake, &zero, door0, SERVER_A, LEE, "Heat 1995").await;
        assert!(
            again.body["content"].as_str().unwrap_or_default().contains("Heat (1995)"),
            "{:?}",
            again.body
        );
        // A new process for shard 1 connects as it and serves its server again.
        let (one, door1b) = spawn_shard(&fake, &url, 1).await;
        let identifies = fake.wait_shard_identify(&one, 1, 2).await;
        assert_eq!(identifies[1]["d"]["shard"], json!([1, 2]));
        welcome(&fake, &one, door1b, 1).await;
        let back = rate(&fake, &one, door1b, SERVER_B, KIM, "Alien 1979").await;
        assert!(
            back.body["content"].as_str().unwrap_or_default().contains("Alien (1979)"),
            "{:?}",
            back.body
        );
        let identified = fake
            .gateway_frames()
            .into_iter()
            .filter(|f| f["op"] == 2)
            .map(|f| f["d"]["shard"].clone())
            .collect::<Vec<_>>();
        assert!(
            identified.iter().all(|s| s[0].as_u64() < Some(2) && s[1] == 2),
            "{identified:?}"
        );
        // Nobody was pinged, whichever process answered.
        for c in fake.calls() {
            if c.method != "GET" && c.body.is_object() && c.body.get("allowed_mentions").is_some() {
                assert_eq!(c.body["allowed_mentions"]["parse"], json!([]), "{:?}", c.body);
            }
        }
        zero.kill().await;
        one.kill().await;
        trainer.kill().await;
    })
    .await;
}
