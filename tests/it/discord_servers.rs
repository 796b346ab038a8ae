//! Two servers sharing members, end to end through the fake Discord: what a fan did in the
//! first server (thirty people's ratings, trained into taste groups) shows nowhere in the
//! second — not in `/profile`, the picks and their reasons, the taste map, `/ask`, a watch
//! party's shortlist — and an experiment started in the first does not run in the second.
//! Then `/privacy export` hands the fan their data of the first server only, and `/privacy
//! forget` (after its button) deletes it from every table, for good across a restart, while
//! the second server keeps its own.
#![allow(clippy::too_many_lines)] // one end-to-end story

use crate::discord_e2e::seed_three_tastes;
use crate::fake_discord::{
    Bot, Call, FakeDiscord, GUILD_ID, command, component, custom_ids, reaction, shown_message,
};
use crate::privacy::{Pool, TABLES, traces};
use marquee::domain::ids::GuildId;
use marquee::domain::ports::{ExperimentRepo as _, FeedbackRepo as _, UserKind, UserRepo as _};
use marquee::outbound::storage::Store;
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);
/// The second server, and a text channel in it.
const GUILD_B: &str = "100000000000000002";
const CHANNEL_B: &str = "200000000000000009";
const ADMIN: &str = "300000000000000009";
/// Two people who never used Marquee anywhere.
const NEW_1: &str = "300000000000000071";
const NEW_2: &str = "300000000000000072";
const NEW_3: &str = "300000000000000073";
/// Two members of the first server who rate a film.
const MEMBER_1: &str = "300000000000000081";
const MEMBER_2: &str = "300000000000000082";
/// Manage Server.
const MANAGE_GUILD: &str = "32";
/// What a reason says when it comes from the person's own taste.
const PERSONAL: [&str; 3] = ["because you liked", "matches:", "taste group"];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Server {
    A,
    B,
}

/// Moves an interaction or reaction built for the first server into the second.
pub(crate) fn in_b(mut d: Value) -> Value {
    d["guild_id"] = json!(GUILD_B);
    d["channel_id"] = json!(CHANNEL_B);
    if d["channel"].is_object() {
        d["channel"]["id"] = json!(CHANNEL_B);
        d["channel"]["guild_id"] = json!(GUILD_B);
    }
    if d["authorizing_integration_owners"].is_object() {
        d["authorizing_integration_owners"] = json!({"0": GUILD_B});
    }
    if let Some(data) = d["data"].as_object_mut() {
        data.remove("guild_id");
    }
    if d["message"].is_object() {
        d["message"]["channel_id"] = json!(CHANNEL_B);
    }
    d
}

fn place(d: Value, server: Server) -> Value {
    match server {
        Server::A => d,
        Server::B => in_b(d),
    }
}

struct Scene {
    fake: FakeDiscord,
    bot: Bot,
}

impl Scene {
    /// A slash command; returns the message that answers it (the callback's, or the edit
    /// after a deferral).
    async fn run(
        &self,
        server: Server,
        user: &str,
        name: &str,
        options: Value,
        admin: bool,
    ) -> Call {
        self.answer(server, user, name, options, admin).await.1
    }

    /// [`Scene::run`], with whether only the caller sees the answer.
    async fn answer(
        &self,
        server: Server,
        user: &str,
        name: &str,
        options: Value,
        admin: bool,
    ) -> (bool, Call) {
        let id = self.fake.snowflake();
        let token = format!("tok-{id}");
        let mut d = command(&id, &token, user, name, options);
        if admin {
            d["member"]["permissions"] = json!(MANAGE_GUILD);
        }
        let (callback, from) = self.fake.interact(&self.bot, place(d, server)).await;
        let private = callback.body["data"]["flags"].as_u64().unwrap_or(0) & 64 != 0;
        if callback.body["type"] == 5 {
            (private, self.fake.edit_of(&self.bot, &token, from).await)
        } else {
            (private, callback)
        }
    }

    /// A click on a button of `shown`; returns the message as its answer (type 7, once the
    /// change is stored) updated it.
    async fn click(&self, server: Server, user: &str, custom_id: &str, shown: &Call) -> Call {
        let id = self.fake.snowflake();
        let token = format!("tok-{id}");
        let d = component(&id, &token, user, custom_id, shown_message(shown));
        let (callback, _) = self.fake.interact(&self.bot, place(d, server)).await;
        self.fake.updated(&callback)
    }

    /// `/recommend` for `user`: the list, once the bot has stored it (it puts its reactions
    /// under the list after that).
    async fn list(&self, server: Server, user: &str) -> (Call, String) {
        let from = self.fake.calls().len();
        let list = self
            .run(
                server,
                user,
                "recommend",
                json!([{"name": "count", "type": 4, "value": 5}]),
                false,
            )
            .await;
        let message = list.response["id"].as_str().expect("id").to_owned();
        self.fake
            .wait_call(&self.bot, from, WAIT, |c| {
                c.method == "PUT" && c.path.contains(&format!("/messages/{message}/reactions/"))
            })
            .await;
        (list, message)
    }

    /// A lobby hosted by `host` with `guest` named, joined by the guest and picked: the
    /// shortlist's titles.
    async fn party(&self, server: Server, host: &str, guest: &str) -> Vec<String> {
        let lobby = self
            .run(
                server,
                host,
                "watchparty",
                json!([{"name": "start", "type": 1, "options": [
                    {"name": "members", "type": 3, "value": format!("<@{guest}>")}
                ]}]),
                false,
            )
            .await;
        let ids = custom_ids(&lobby.body);
        let (join, pick) = (&ids[0], &ids[2]);
        assert!(
            join.ends_with(":join") && pick.ends_with(":pick"),
            "{ids:?}"
        );
        let joined = self.click(server, guest, join, &lobby).await;
        assert!(text(&joined).contains("In (2)"), "{}", text(&joined));
        let vote = self.click(server, host, pick, &joined).await;
        shortlist(&vote)
    }
}

/// Everything a message says, embeds included.
fn text(call: &Call) -> String {
    format!("{} {}", call.body["content"], call.body["embeds"])
}

/// The films of a shortlist, in order.
fn shortlist(call: &Call) -> Vec<String> {
    let description = call.body["embeds"][0]["description"]
        .as_str()
        .unwrap_or_default();
    let films: Vec<String> = description
        .split("**")
        .filter(|part| part.len() > 3 && part.as_bytes()[0].is_ascii_digit() && part.contains(". "))
        .map(|part| part.split_once(". ").map_or("", |(_, t)| t).to_owned())
        .collect();
    assert!(films.len() >= 3, "a shortlist: {description}");
    films
}

fn personal(text: &str) -> bool {
    PERSONAL.iter().any(|p| text.contains(p))
}

/// The films of a list and their reasons, in order.
fn picks_of(call: &Call) -> Vec<(String, String)> {
    let description = call.body["embeds"][0]["description"]
        .as_str()
        .unwrap_or_default();
    let mut out = Vec::new();
    let mut lines = description.lines();
    while let Some(line) = lines.next() {
        if let Some(rest) = line.strip_prefix("**") {
            let numbered = rest.split("**").next().unwrap_or_default();
            let title = numbered.split_once(". ").map_or(numbered, |(_, t)| t);
            let reason = lines
                .next()
                .and_then(|l| l.strip_prefix("↳ "))
                .unwrap_or_default();
            out.push((title.to_owned(), reason.to_owned()));
        }
    }
    out
}

/// The year of "Title (1999)".
fn year_of(title: &str) -> i32 {
    title
        .rsplit_once('(')
        .and_then(|(_, y)| y.trim_end_matches(')').parse().ok())
        .unwrap_or_else(|| panic!("no year in {title}"))
}

fn guild_a() -> GuildId {
    GuildId(GUILD_ID.parse().expect("a snowflake"))
}

fn guild_b() -> GuildId {
    GuildId(GUILD_B.parse().expect("a snowflake"))
}

async fn connect(fake: &FakeDiscord, url: &str, experiments: &str) -> Bot {
    fake.connect(
        url,
        &[
            ("DISCORD_DEV_GUILD_ID", GUILD_ID),
            ("MARQUEE_EXPERIMENTS", experiments),
        ],
    )
    .await
    .0
}

#[tokio::test]
async fn two_servers_sharing_members_never_see_each_others_data_and_forgetting_is_for_good() {
    crate::helpers::with_sqlite_url(|url, store: Store| async move {
        let fans = seed_three_tastes(&store).await;
        let (fan, friend) = (fans[0].clone(), fans[3].clone());
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("experiments.toml");
        std::fs::write(
            &file,
            "version = 1\n\n[[experiment]]\nkey = \"variety\"\nlayer = \"recommend\"\n\
             [[experiment.variants]]\nname = \"control\"\nweight = 0.5\nconfig = { diversity_lambda = 0.8 }\n\
             [[experiment.variants]]\nname = \"varied\"\nweight = 0.5\nconfig = { diversity_lambda = 0.5 }\n",
        )
        .expect("write");
        let experiments = file.display().to_string();
        let fake = FakeDiscord::start().await;
        let bot = connect(&fake, &url, &experiments).await;
        let s = Scene { fake, bot };

        // An admin of the first server starts an experiment there.
        let started = s
            .run(Server::A, ADMIN, "experiment", json!([{"name": "start", "type": 1, "options": [{"name": "key", "type": 3, "value": "variety"}]}]), true)
            .await;
        assert!(text(&started).contains("started in this server"), "{}", text(&started));

        // Profile: the fan's ratings are known in the first server only.
        let here = s.run(Server::A, &fan, "profile", json!([]), false).await;
        let there = s.run(Server::B, &fan, "profile", json!([]), false).await;
        assert!(!text(&here).contains("I don't know your taste yet"), "{}", text(&here));
        assert!(text(&there).contains("I don't know your taste yet"), "{}", text(&there));

        // Picks and their reasons: personal in the first server, none of it in the second.
        let (here, list_a) = s.list(Server::A, &fan).await;
        let (there, _) = s.list(Server::B, &fan).await;
        assert!(personal(&text(&here)), "{}", text(&here));
        assert!(!personal(&text(&there)), "no reason in B reflects A: {}", text(&there));
        // The second server's picks are the cold start: well-known films, none of them said to
        // be liked on this server (the first server's likes are not the second's).
        assert!(text(&there).contains("MovieLens ratings"), "{}", text(&there));
        assert!(!text(&there).contains("on this server"), "{}", text(&there));
        assert!(!text(&there).contains("popular right now"), "{}", text(&there));

        // The experiment runs in the first server only: the list there counts, the list in
        // the second does not, and the second's admins see it has not started.
        let exposures = |server| {
            let store = store.clone();
            async move {
                store
                    .variant_outcomes("variety", Some(server), None)
                    .await
                    .expect("outcomes")
                    .iter()
                    .map(|v| v.exposures)
                    .sum::<u64>()
            }
        };
        assert_eq!(exposures(guild_a()).await, 5, "the list in A is in the experiment");
        assert_eq!(exposures(guild_b()).await, 0, "nothing in B is");
        let status = s
            .run(Server::B, ADMIN, "experiment", json!([{"name": "status", "type": 1, "options": [{"name": "key", "type": 3, "value": "variety"}]}]), true)
            .await;
        assert!(text(&status).contains("has not started"), "{}", text(&status));

        // The taste map: the first server's groups, no map in the second.
        let map = s.run(Server::A, &fan, "tastemap", json!([]), false).await;
        assert_eq!(map.files.len(), 1, "{}", text(&map));
        let no_map = s.run(Server::B, &fan, "tastemap", json!([]), false).await;
        assert!(no_map.files.is_empty());
        assert!(text(&no_map).contains("no taste map yet"), "{}", text(&no_map));

        // /ask: a conversation in the first server is not continued in the second.
        let ask = |request: &str, fresh: bool| {
            let mut options = vec![json!({"name": "request", "type": 3, "value": request})];
            if fresh {
                options.push(json!({"name": "new", "type": 5, "value": true}));
            }
            Value::Array(options)
        };
        let title = |call: &Call| call.body["embeds"][0]["title"].as_str().unwrap_or_default().to_lowercase();
        let opened = s.run(Server::A, &fan, "ask", ask("a horror movie", true), false).await;
        assert!(title(&opened).contains("horror"), "{}", text(&opened));
        let follow_up = s.run(Server::A, &fan, "ask", ask("from the 90s", false), false).await;
        assert!(
            title(&follow_up).contains("horror") && title(&follow_up).contains("90s"),
            "in A the follow-up refines the wish: {}",
            text(&follow_up)
        );
        let elsewhere = s.run(Server::B, &fan, "ask", ask("a comedy from the 90s", false), false).await;
        assert!(!title(&elsewhere).is_empty(), "{}", text(&elsewhere));
        assert!(!title(&elsewhere).contains("horror"), "B starts afresh: {}", text(&elsewhere));

        // A watch party in the second server: the fan's shortlist there is the one two people
        // new to Marquee get; in the first server it is the fan's own.
        let fans_in_b = s.party(Server::B, &fan, &friend).await;
        let newcomers_in_b = s.party(Server::B, NEW_1, NEW_2).await;
        assert_eq!(fans_in_b, newcomers_in_b, "in B they are newcomers too");
        let fans_in_a = s.party(Server::A, &fan, &friend).await;
        assert_ne!(fans_in_a, fans_in_b, "in A their taste counts");

        // The fan reacts to the list in A and rates a film in B.
        s.fake
            .dispatch("MESSAGE_REACTION_ADD", reaction(&fan, &list_a, "👍", false))
            .await;
        let rated = s
            .run(Server::B, &fan, "rate", json!([{"name": "movie", "type": 3, "value": "Alien"}, {"name": "stars", "type": 10, "value": 4.0}]), false)
            .await;
        assert!(text(&rated).contains("Alien"), "{}", text(&rated));
        let users = store.users_of_person(UserKind::Discord, &fan).await.expect("users");
        let user_in = |server| users.iter().find(|(_, g)| *g == Some(server)).map(|(u, _)| *u).expect("a user");
        let (fan_a, fan_b) = (user_in(guild_a()), user_in(guild_b()));
        let deadline = tokio::time::Instant::now() + WAIT;
        let events_a = loop {
            let events = store.events_for_user(fan_a).await.expect("events");
            if events.iter().any(|e| e.event.raw.as_deref() == Some("👍")) {
                break events;
            }
            assert!(tokio::time::Instant::now() < deadline, "the reaction is stored");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };

        // /privacy export in A: a file with the fan's feedback there, none of B's.
        let export = s.run(Server::A, &fan, "privacy", json!([{"name": "export", "type": 1, "options": []}]), false).await;
        assert_eq!(export.files.len(), 1, "{}", text(&export));
        assert_eq!(export.files[0].1, "marquee-my-data.json");
        let doc: Value = serde_json::from_slice(&export.file_data[0]).expect("JSON");
        let feedback = doc["feedback"].as_array().expect("feedback");
        assert_eq!(feedback.len(), events_a.len(), "every event of A: {doc}");
        assert!(feedback.iter().any(|e| e["emoji"] == "👍"), "{doc}");
        assert!(
            feedback.iter().all(|e| e["film"].as_str() != Some("Alien") || e["what"] != "rating"),
            "nothing of B: {doc}"
        );
        assert_eq!(doc["server"], json!(guild_a().0));
        assert!(doc["taste_group"].is_string(), "the fan's group in A: {doc}");
        let empty = s.run(Server::A, NEW_1, "privacy", json!([{"name": "export", "type": 1, "options": []}]), false).await;
        assert!(text(&empty).contains("keeps nothing about you"), "{}", text(&empty));

        // /privacy forget in A asks first, then deletes; a second time there is nothing left.
        let (private, asked) = s.answer(Server::A, &fan, "privacy", json!([{"name": "forget", "type": 1, "options": []}]), false).await;
        assert!(private, "only the fan sees it");
        let button = custom_ids(&asked.body);
        assert_eq!(button, ["mq:forget:here"]);
        assert!(!store.events_for_user(fan_a).await.expect("events").is_empty(), "nothing deleted before the click");
        let done = s.click(Server::A, &fan, &button[0], &asked).await;
        assert!(text(&done).contains("is deleted"), "{}", text(&done));
        assert!(custom_ids(&done.body).is_empty(), "the button is gone");
        let again = s.run(Server::A, &fan, "privacy", json!([{"name": "forget", "type": 1, "options": []}]), false).await;
        assert!(text(&again).contains("nothing to delete"), "{}", text(&again));

        // A restart: the fan stays forgotten in A, and B keeps its rating.
        s.bot.kill().await;
        let bot = connect(&s.fake, &url, &experiments).await;
        let s = Scene { fake: s.fake, bot };
        let shown = s.run(Server::A, &fan, "privacy", json!([{"name": "show", "type": 1, "options": []}]), false).await;
        assert!(text(&shown).contains("keeps no data about you in this server"), "{}", text(&shown));
        assert!(text(&shown).contains("Other servers keep their own"), "{}", text(&shown));
        let profile = s.run(Server::A, &fan, "profile", json!([]), false).await;
        assert!(text(&profile).contains("I don't know your taste yet"), "{}", text(&profile));
        let (fresh, _) = s.list(Server::A, &fan).await;
        assert!(!personal(&text(&fresh)), "no trace of the fan in the model: {}", text(&fresh));
        let shown_b = s.run(Server::B, &fan, "privacy", json!([{"name": "show", "type": 1, "options": []}]), false).await;
        assert!(text(&shown_b).contains("1 rating ·"), "{}", text(&shown_b));
        let pool = Pool::open(&url).await;
        assert_eq!(pool.tables().await, TABLES);
        for table in TABLES {
            assert_eq!(traces(&pool, table, fan_a).await, 0, "{table} still names the fan");
        }
        assert!(traces(&pool, "feedback_events", fan_b).await > 0, "B keeps its own");
        pool.close().await;
        s.bot.assert_no_unknown_events();
    })
    .await;
}

#[tokio::test]
async fn a_new_server_starts_with_well_known_films_and_its_favourites_stay_in_it() {
    crate::helpers::with_sqlite_url(|url, _store: Store| async move {
        let fake = FakeDiscord::start().await;
        let (bot, _, _) = fake
            .connect(&url, &[("DISCORD_DEV_GUILD_ID", GUILD_ID)])
            .await;
        let s = Scene { fake, bot };

        // The very first /recommend of a new server: well-known, well-liked films from many
        // decades, each saying where that is known from.
        let (first, _) = s.list(Server::A, NEW_1).await;
        let picks = picks_of(&first);
        assert_eq!(picks.len(), 5, "{}", text(&first));
        let decades: std::collections::HashSet<i32> =
            picks.iter().map(|(t, _)| year_of(t) / 10).collect();
        assert!(decades.len() >= 4, "{picks:?}");
        for (title, reason) in &picks {
            assert!(
                reason.contains("MovieLens ratings") || reason.contains("TMDB votes"),
                "{title}: {reason}"
            );
            assert!(!reason.contains("popular"), "{title}: {reason}");
        }

        // Two members of the first server love a film that was not on that list.
        for member in [MEMBER_1, MEMBER_2] {
            let rated = s
                .run(
                    Server::A,
                    member,
                    "rate",
                    json!([
                        {"name": "movie", "type": 3, "value": "Heat 1995"},
                        {"name": "stars", "type": 10, "value": 5}
                    ]),
                    false,
                )
                .await;
            assert!(
                text(&rated).contains("Rated **Heat (1995)**"),
                "{}",
                text(&rated)
            );
        }
        assert!(picks.iter().all(|(t, _)| t != "Heat (1995)"));

        // A newcomer to the first server sees it first, the two counted, never named.
        let (here, _) = s.list(Server::A, NEW_2).await;
        let here = picks_of(&here);
        assert_eq!(
            here[0],
            (
                "Heat (1995)".to_owned(),
                "liked by 2 people on this server this month".to_owned()
            ),
            "{here:?}"
        );
        assert_eq!(here.len(), 5);

        // A newcomer to the second server sees none of it: the list a new server gets.
        let (there, _) = s.list(Server::B, NEW_3).await;
        assert!(!text(&there).contains("on this server"), "{}", text(&there));
        assert_eq!(picks_of(&there), picks);
    })
    .await;
}
