//! A button acts only for the person and on the message it belongs to, end to end through the
//! fake Discord. Someone else's "Refresh", "More like #1", "Not interested", menu and feedback
//! button on a list are refused privately and store nothing (no person, no list, no feedback,
//! no experiment outcome); a feedback button naming a list of another server is refused the
//! same way; the owner's own "Refresh" still works (and counts). A watch-party button naming a
//! party of another server, or attached to another message than the party's, is refused like
//! an unknown party and changes nothing.
#![allow(clippy::too_many_lines)] // each end-to-end scenario reads as one story

use crate::discord_servers::in_b;
use crate::fake_discord::{
    self as fd, APP_ID, Bot, Call, FakeDiscord, GUILD_ID, command, component, custom_ids, select,
    shown_message,
};
use marquee::domain::ids::{GuildId, PartyId};
use marquee::domain::ports::{
    ExperimentRepo as _, FeedbackRepo as _, ImpressionRepo as _, PartyRepo as _, UserKind,
    UserRepo as _,
};
use marquee::outbound::storage::Store;
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);
const ALICE: &str = "300000000000000031";
const BOB: &str = "300000000000000032";
const DAN: &str = "300000000000000034";
const ADMIN: &str = "300000000000000039";
/// Manage Server.
const MANAGE_GUILD: &str = "32";
/// What every refusal of a list that is not the clicker's says.
const NOT_YOURS: &str = "someone else's, or one I no longer have";
/// What a refused watch-party button says.
const NO_PARTY: &str = "can't find that watch party";

fn guild_a() -> GuildId {
    GuildId(GUILD_ID.parse().expect("a snowflake"))
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

fn content(call: &Call) -> String {
    call.body["content"].as_str().unwrap_or_default().to_owned()
}

/// A click refused in its answer (type 4, only for the clicker; the clicked message stays as it
/// is): the answer's message, as a call whose body is that message.
fn private_answer(callback: &Call) -> Call {
    assert_eq!(callback.body["type"], 4, "{:?}", callback.body);
    let data = &callback.body["data"];
    assert_eq!(data["flags"], 64, "only the clicker sees it: {data:?}");
    assert_eq!(data["allowed_mentions"]["parse"], json!([]));
    Call {
        body: data.clone(),
        ..callback.clone()
    }
}

/// The private follow-up of interaction `token` (a public placeholder replaced by a private
/// answer, or a private note after a button's update).
async fn private_followup(fake: &FakeDiscord, bot: &Bot, token: &str, from: usize) -> Call {
    let call = fake
        .wait_call(bot, from, WAIT, |c| {
            c.method == "POST" && c.path == format!("/api/v10/webhooks/{APP_ID}/{token}")
        })
        .await;
    assert_eq!(
        call.body["flags"], 64,
        "only the clicker sees it: {:?}",
        call.body
    );
    assert_eq!(call.body["allowed_mentions"]["parse"], json!([]));
    call
}

/// The users Marquee keeps for a Discord person, in any server.
async fn users(
    store: &Store,
    person: &str,
) -> Vec<(marquee::domain::ids::UserId, Option<GuildId>)> {
    store
        .users_of_person(UserKind::Discord, person)
        .await
        .expect("users")
}

/// (exposures, refreshes) of experiment `variety` in the first server.
async fn outcomes(store: &Store) -> (u64, u64) {
    let rows = store
        .variant_outcomes("variety", Some(guild_a()), None)
        .await
        .expect("outcomes");
    (
        rows.iter().map(|v| v.exposures).sum(),
        rows.iter().map(|v| v.refreshes).sum(),
    )
}

fn experiments_file(dir: &tempfile::TempDir) -> String {
    let file = dir.path().join("experiments.toml");
    std::fs::write(
        &file,
        "version = 1\n\n[[experiment]]\nkey = \"variety\"\nlayer = \"recommend\"\n\
         [[experiment.variants]]\nname = \"control\"\nweight = 0.5\nconfig = { diversity_lambda = 0.8 }\n\
         [[experiment.variants]]\nname = \"varied\"\nweight = 0.5\nconfig = { diversity_lambda = 0.5 }\n",
    )
    .expect("write");
    file.display().to_string()
}

async fn someone_elses_list_buttons_are_refused_and_change_nothing(url: String, store: Store) {
    let dir = tempfile::tempdir().expect("dir");
    let experiments = experiments_file(&dir);
    let fake = FakeDiscord::start().await;
    let bot = connect(&fake, &url, &experiments).await;

    // An admin starts the experiment, so lists count towards its figures.
    let id = fake.snowflake();
    let token = format!("tok-{id}");
    let mut start = command(
        &id,
        &token,
        ADMIN,
        "experiment",
        json!([{"name": "start", "type": 1, "options": [{"name": "key", "type": 3, "value": "variety"}]}]),
    );
    start["member"]["permissions"] = json!(MANAGE_GUILD);
    let (_, from) = fake.interact(&bot, start).await;
    let started = fake.edit_of(&bot, &token, from).await;
    assert!(content(&started).contains("started"), "{:?}", started.body);

    // Alice's list, stored under its message once the bot has put its reactions under it.
    let (_, from) = fake
        .interact(
            &bot,
            command(
                &fake.snowflake(),
                "tok-list",
                ALICE,
                "recommend",
                json!([{"name": "count", "type": 4, "value": 5}]),
            ),
        )
        .await;
    let list = fake.edit_of(&bot, "tok-list", from).await;
    let list_id = list.response["id"].as_str().expect("id").to_owned();
    fake.wait_call(&bot, from, WAIT, |c| {
        c.method == "PUT" && c.path.contains(&format!("/messages/{list_id}/reactions/"))
    })
    .await;
    let buttons = custom_ids(&list.body);
    assert_eq!(buttons[..3], ["mq:more", "mq:nope", "mq:refresh::5::"]);
    let list_message = shown_message(&list);
    let list_key: i64 = list_id.parse().expect("a snowflake");
    let shown_before = store.impressions_of_message(list_key).await.expect("list");
    assert_eq!(shown_before.len(), 5);
    assert_eq!(
        outcomes(&store).await,
        (5, 0),
        "Alice's list is in the experiment"
    );

    // Bob presses "Refresh" and "More like #1" under Alice's list: the public placeholder goes,
    // a private refusal comes.
    for custom_id in ["mq:refresh::5::", "mq:more"] {
        let id = fake.snowflake();
        let token = format!("tok-{id}");
        let (callback, from) = fake
            .interact(
                &bot,
                component(&id, &token, BOB, custom_id, list_message.clone()),
            )
            .await;
        assert_eq!(callback.body["type"], 5, "{custom_id}: {:?}", callback.body);
        let refusal = private_followup(&fake, &bot, &token, from).await;
        assert!(
            content(&refusal).contains(NOT_YOURS),
            "{custom_id}: {}",
            content(&refusal)
        );
        assert!(
            content(&refusal).contains("/recommend"),
            "{}",
            content(&refusal)
        );
        assert!(
            custom_ids(&refusal.body).is_empty(),
            "no buttons: {:?}",
            refusal.body
        );
    }

    // "Not interested in #1" and the menu: refused in the private answer.
    let id = fake.snowflake();
    let (callback, from) = fake
        .interact(
            &bot,
            component(
                &id,
                &format!("tok-{id}"),
                BOB,
                "mq:nope",
                list_message.clone(),
            ),
        )
        .await;
    assert_eq!(callback.body["data"]["flags"], 64, "{:?}", callback.body);
    let nope = fake.edit_of(&bot, &format!("tok-{id}"), from).await;
    assert!(content(&nope).contains(NOT_YOURS), "{}", content(&nope));
    let id = fake.snowflake();
    let (callback, from) = fake
        .interact(
            &bot,
            select(
                &id,
                &format!("tok-{id}"),
                BOB,
                "mq:pick",
                &["2"],
                list_message.clone(),
            ),
        )
        .await;
    assert_eq!(callback.body["data"]["flags"], 64, "{:?}", callback.body);
    let menu = fake.edit_of(&bot, &format!("tok-{id}"), from).await;
    assert!(content(&menu).contains(NOT_YOURS), "{}", content(&menu));
    assert!(
        custom_ids(&menu.body).is_empty(),
        "no feedback buttons: {:?}",
        menu.body
    );

    // A feedback button naming Alice's list, pressed by Bob on a private message of his.
    let mut private = fd::message(
        &fake.snowflake(),
        APP_ID,
        "What did you think?",
        json!([]),
        json!([]),
    );
    private["flags"] = json!(64);
    let love = format!("mq:fb:{list_id}:2:love");
    let id = fake.snowflake();
    let (callback, _) = fake
        .interact(
            &bot,
            component(&id, &format!("tok-{id}"), BOB, &love, private.clone()),
        )
        .await;
    let refused = private_answer(&callback);
    assert!(
        content(&refused).contains(NOT_YOURS),
        "{}",
        content(&refused)
    );
    assert!(
        custom_ids(&refused.body).is_empty(),
        "no buttons: {:?}",
        refused.body
    );

    // Alice presses the same button from the second server: a list of another server.
    let id = fake.snowflake();
    let d = in_b(component(
        &id,
        &format!("tok-{id}"),
        ALICE,
        &love,
        private.clone(),
    ));
    let (callback, _) = fake.interact(&bot, d).await;
    let elsewhere = private_answer(&callback);
    assert!(
        content(&elsewhere).contains(NOT_YOURS),
        "{}",
        content(&elsewhere)
    );
    // An unknown list reads the same.
    let id = fake.snowflake();
    let unknown = "mq:fb:123456789012345678:1:love";
    let (callback, _) = fake
        .interact(
            &bot,
            component(&id, &format!("tok-{id}"), ALICE, unknown, private),
        )
        .await;
    let nowhere = private_answer(&callback);
    assert_eq!(
        content(&nowhere),
        content(&elsewhere),
        "nothing told about the list"
    );

    // Nothing was stored: Bob is not even a person Marquee keeps, Alice has no feedback and
    // no person in the second server, her list is as it was, and the experiment counts one
    // list, never refreshed.
    assert!(
        users(&store, BOB).await.is_empty(),
        "{:?}",
        users(&store, BOB).await
    );
    let alice = users(&store, ALICE).await;
    assert_eq!(alice.len(), 1, "Alice in the first server only: {alice:?}");
    assert!(
        store
            .events_for_user(alice[0].0)
            .await
            .expect("events")
            .is_empty()
    );
    assert_eq!(
        store.impressions_of_message(list_key).await.expect("list"),
        shown_before
    );
    assert_eq!(
        outcomes(&store).await,
        (5, 0),
        "no exposure, no refresh counted"
    );

    // Alice's own "Refresh" still works, and counts: a new list, the old one refreshed.
    let id = fake.snowflake();
    let token = format!("tok-{id}");
    let (_, from) = fake
        .interact(
            &bot,
            component(&id, &token, ALICE, "mq:refresh::5::", list_message),
        )
        .await;
    let fresh = fake.edit_of(&bot, &token, from).await;
    assert!(
        fresh.body["embeds"][0]["description"]
            .as_str()
            .is_some_and(|d| d.starts_with("**1. ")),
        "{:?}",
        fresh.body
    );
    let deadline = tokio::time::Instant::now() + WAIT;
    while outcomes(&store).await != (10, 5) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the owner's refresh counts: {:?}",
            outcomes(&store).await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bot.assert_no_unknown_events();
}

async fn party_buttons_of_another_server_or_message_are_refused(url: String, store: Store) {
    let dir = tempfile::tempdir().expect("dir");
    let experiments = experiments_file(&dir);
    let fake = FakeDiscord::start().await;
    let bot = connect(&fake, &url, &experiments).await;
    let (_, from) = fake
        .interact(
            &bot,
            command(
                &fake.snowflake(),
                "tok-wp",
                ALICE,
                "watchparty",
                json!([{"name": "start", "type": 1, "options": [
                    {"name": "members", "type": 3, "value": format!("<@{BOB}>")}
                ]}]),
            ),
        )
        .await;
    let lobby = fake.edit_of(&bot, "tok-wp", from).await;
    let ids = custom_ids(&lobby.body);
    let join = ids[0].clone();
    assert!(join.ends_with(":join"), "{ids:?}");
    let party = PartyId(
        join.strip_prefix("mq:wp:")
            .and_then(|r| r.split(':').next())
            .and_then(|p| p.parse().ok())
            .expect("party id"),
    );
    // The bot remembers the lobby's message right after showing it.
    let lobby_id: i64 = lobby.response["id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("id");
    let deadline = tokio::time::Instant::now() + WAIT;
    while store
        .party(party)
        .await
        .expect("db")
        .and_then(|p| p.lobby_message)
        != Some(lobby_id)
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the lobby message is stored"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let members = || async { store.party_members(party).await.expect("members").len() };
    assert_eq!(members().await, 1);

    // Dan, in the second server, presses Join with the first server's party id.
    let click = |user: &str, message: Value| {
        let id = fake.snowflake();
        let token = format!("tok-{id}");
        (component(&id, &token, user, &join, message), token)
    };
    let (d, _) = click(DAN, shown_message(&lobby));
    let (callback, _) = fake.interact(&bot, in_b(d)).await;
    let refusal = private_answer(&callback);
    assert!(
        content(&refusal).contains(NO_PARTY),
        "{}",
        content(&refusal)
    );
    let unknown_party = content(&refusal);
    assert!(
        users(&store, DAN).await.is_empty(),
        "nobody is stored for a refused click"
    );
    assert_eq!(members().await, 1, "nobody joined");

    // Bob presses Join on another message of the first server carrying the same button.
    let mut elsewhere = shown_message(&lobby);
    elsewhere["id"] = json!(fake.snowflake());
    let (d, _) = click(BOB, elsewhere);
    let (callback, _) = fake.interact(&bot, d).await;
    let refusal = private_answer(&callback);
    assert_eq!(
        content(&refusal),
        unknown_party,
        "told as an unknown party: nothing about the party is revealed"
    );
    assert_eq!(members().await, 1, "nobody joined");
    assert!(
        users(&store, BOB).await.is_empty(),
        "nothing stored about Bob"
    );

    // On the lobby itself, Join works.
    let (d, _) = click(BOB, shown_message(&lobby));
    let (callback, _) = fake.interact(&bot, d).await;
    let joined = fake.updated(&callback);
    let text = joined.body["embeds"][0]["description"]
        .as_str()
        .unwrap_or_default();
    assert!(text.contains("In (2)"), "{text}");
    assert_eq!(members().await, 2);
    bot.assert_no_unknown_events();
}

#[tokio::test]
async fn someone_elses_list_buttons_are_refused_and_change_nothing_on_sqlite() {
    crate::helpers::with_sqlite_url(someone_elses_list_buttons_are_refused_and_change_nothing)
        .await;
}

#[tokio::test]
async fn someone_elses_list_buttons_are_refused_and_change_nothing_on_postgres() {
    crate::helpers::with_postgres_url(someone_elses_list_buttons_are_refused_and_change_nothing)
        .await;
}

#[tokio::test]
async fn party_buttons_of_another_server_or_message_are_refused_on_sqlite() {
    crate::helpers::with_sqlite_url(party_buttons_of_another_server_or_message_are_refused).await;
}

#[tokio::test]
async fn party_buttons_of_another_server_or_message_are_refused_on_postgres() {
    crate::helpers::with_postgres_url(party_buttons_of_another_server_or_message_are_refused).await;
}
