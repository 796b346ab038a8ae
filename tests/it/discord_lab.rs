//! An A/B experiment end to end through the fake Discord: a non-admin is turned away, an
//! admin starts the experiment (twice: the second time changes nothing), people get lists
//! (each exposure attributed to their variant) and react to them, and `/experiment status`
//! shows the per-variant figures, the verdict in plain words and a PNG chart.

use crate::fake_discord::{Bot, Call, FakeDiscord, GUILD_ID, command, reaction};
use marquee::domain::ports::ExperimentRepo as _;
use marquee::outbound::storage::Store;
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);
const ADMIN: &str = "300000000000000009";
/// Manage Server.
const MANAGE_GUILD: &str = "32";

async fn connect(fake: &FakeDiscord, url: &str, experiments: &str) -> Bot {
    let (bot, _, put) = fake
        .connect(
            url,
            &[
                ("DISCORD_DEV_GUILD_ID", GUILD_ID),
                ("MARQUEE_EXPERIMENTS", experiments),
            ],
        )
        .await;
    let experiment = put
        .body
        .as_array()
        .expect("commands")
        .iter()
        .find(|c| c["name"] == "experiment")
        .expect("/experiment registered")
        .clone();
    assert_eq!(
        experiment["default_member_permissions"], MANAGE_GUILD,
        "admins only by default"
    );
    bot
}

/// A command from `user`, as an admin or not; returns the edit after the deferral.
async fn run(
    fake: &FakeDiscord,
    bot: &Bot,
    user: &str,
    admin: bool,
    name: &str,
    options: Value,
) -> (Call, Option<Call>) {
    let id = fake.snowflake();
    let token = format!("tok-{id}");
    let mut d = command(&id, &token, user, name, options);
    if admin {
        d["member"]["permissions"] = json!(MANAGE_GUILD);
    }
    let (callback, from) = fake.interact(bot, d).await;
    if callback.body["type"] != 5 {
        return (callback, None);
    }
    let edit = fake.edit_of(bot, &token, from).await;
    (callback, Some(edit))
}

fn sub(name: &str, key: Option<&str>) -> Value {
    let options = key.map_or_else(
        || json!([]),
        |k| json!([{"name": "key", "type": 3, "value": k}]),
    );
    json!([{"name": name, "type": 1, "options": options}])
}

#[tokio::test]
async fn an_experiment_buckets_people_attributes_reactions_and_reports_a_verdict_with_a_chart() {
    crate::helpers::with_sqlite_url(|url, store: Store| async move {
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("experiments.toml");
        std::fs::write(
            &file,
            "version = 1\n\n[[experiment]]\nkey = \"variety\"\nlayer = \"recommend\"\nmin_exposures_per_variant = 1000\n\
             [[experiment.variants]]\nname = \"control\"\nweight = 0.5\nconfig = { diversity_lambda = 0.8 }\n\
             [[experiment.variants]]\nname = \"varied\"\nweight = 0.5\nconfig = { diversity_lambda = 0.5 }\n",
        )
        .expect("write");
        let fake = FakeDiscord::start().await;
        let bot = connect(&fake, &url, &file.display().to_string()).await;

        // Not an admin: refused at once, nothing changes.
        let (refusal, _) = run(&fake, &bot, "300000000000000001", false, "experiment", sub("start", Some("variety"))).await;
        assert_eq!(refusal.body["type"], 4);
        assert_eq!(refusal.body["data"]["flags"], 64);
        assert!(refusal.body["data"]["content"].as_str().expect("text").contains("Manage Server"));
        let runs = store.experiment_runs().await.expect("runs");
        assert!(runs.is_empty(), "nothing started: {runs:?}");

        let (_, list) = run(&fake, &bot, ADMIN, true, "experiment", sub("list", None)).await;
        let list = list.expect("edit");
        assert!(list.body["embeds"][0]["description"].as_str().expect("list").contains("variety"));
        let (_, started) = run(&fake, &bot, ADMIN, true, "experiment", sub("start", Some("variety"))).await;
        assert!(started.expect("edit").body["content"].as_str().expect("text").contains("started"));
        let (_, again) = run(&fake, &bot, ADMIN, true, "experiment", sub("start", Some("variety"))).await;
        assert!(again.expect("edit").body["content"].as_str().expect("text").contains("already running"));
        let (_, unknown) = run(&fake, &bot, ADMIN, true, "experiment", sub("status", Some("nope"))).await;
        assert!(unknown.expect("edit").body["content"].as_str().expect("text").contains("variety"));

        // Twelve people get a list each; everyone reacts 👍 to their #1.
        for i in 0..12 {
            let user = format!("3100000000000000{i:02}");
            let (_, list) = run(&fake, &bot, &user, false, "recommend", json!([{"name": "count", "type": 4, "value": 3}])).await;
            let message = list.expect("list").response["id"].as_str().expect("id").to_owned();
            fake.wait_call(&bot, 0, WAIT, |c| c.method == "PUT" && c.path.contains(&format!("/messages/{message}/reactions/"))).await;
            fake.dispatch("MESSAGE_REACTION_ADD", reaction(&user, &message, "👍", false)).await;
        }
        let deadline = tokio::time::Instant::now() + WAIT;
        let outcomes = loop {
            let o = store.variant_outcomes("variety", None, None).await.expect("outcomes");
            if o.iter().map(|v| v.likes).sum::<u64>() >= 12 {
                break o;
            }
            assert!(tokio::time::Instant::now() < deadline, "{o:?}\n{}", bot.log().join("\n"));
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(outcomes.iter().map(|v| v.exposures).sum::<u64>(), 36, "3 films × 12 lists");
        assert_eq!(outcomes.iter().map(|v| v.units).sum::<u64>(), 12);
        assert!(outcomes.len() == 2, "both variants got people: {outcomes:?}");

        let (_, status) = run(&fake, &bot, ADMIN, true, "experiment", sub("status", Some("variety"))).await;
        let status = status.expect("edit");
        let embed = &status.body["embeds"][0];
        assert_eq!(embed["fields"].as_array().expect("fields").len(), 2);
        assert!(embed["description"].as_str().expect("verdict").contains("Not enough data"), "{embed}");
        assert_eq!(embed["image"]["url"], "attachment://experiment.png");
        assert_eq!(status.files.len(), 1);
        assert_eq!(status.files[0].1, "experiment.png");
        assert!(status.files[0].2 > 1_000);
        bot.assert_no_unknown_events();
    })
    .await;
}
