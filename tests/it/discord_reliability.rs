//! Nothing acknowledged is lost, through the fake Discord: a vote acknowledged just before the
//! bot is killed is stored; a burst of joins racing the host's Pick ends on the vote view; add
//! and remove storms end in Discord's final state; SIGTERM stops the bot cleanly after storing
//! what it had received.
#![allow(clippy::too_many_lines)] // each end-to-end scenario reads as one story

use crate::discord_party::{button_ids, click, connect, description};
use crate::fake_discord::{
    Bot, Call, FakeDiscord, GUILD_ID, command, component, reaction, reaction_removed, shown_message,
};
use marquee::domain::events::FeedbackKind;
use marquee::domain::feedback::normalize_emoji;
use marquee::domain::ids::{GuildId, PartyId};
use marquee::domain::ports::{FeedbackRepo as _, PartyRepo as _, UserKind, UserRepo as _};
use marquee::outbound::storage::Store;
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);
const HOST: &str = "310000000000000001";
const GUEST: &str = "310000000000000002";

fn guild() -> GuildId {
    GuildId(GUILD_ID.parse().expect("a snowflake"))
}

async fn stored_user(store: &Store, snowflake: &str) -> marquee::domain::ids::UserId {
    store
        .ensure_user(UserKind::Discord, snowflake, "", Some(guild()))
        .await
        .expect("user")
}

fn party_of(ids: &[String]) -> PartyId {
    PartyId(
        ids[0]
            .strip_prefix("mq:wp:")
            .and_then(|r| r.split(':').next())
            .and_then(|p| p.parse().ok())
            .expect("party id"),
    )
}

/// `/watchparty start` by the host naming `invited`; the lobby as shown.
async fn lobby(fake: &FakeDiscord, bot: &Bot, invited: &[String]) -> Call {
    let names: Vec<String> = invited.iter().map(|u| format!("<@{u}>")).collect();
    let token = format!("tok-{}", fake.snowflake());
    let (callback, from) = fake
        .interact(
            bot,
            command(
                &fake.snowflake(),
                &token,
                HOST,
                "watchparty",
                json!([{"name": "start", "type": 1, "options": [
                    {"name": "members", "type": 3, "value": names.join(" ")}
                ]}]),
            ),
        )
        .await;
    assert_eq!(callback.body["type"], 5);
    fake.edit_of(bot, &token, from).await
}

/// A lobby the guest joined, turned into a vote by the host: the vote as shown.
async fn open_vote(fake: &FakeDiscord, bot: &Bot) -> Call {
    let lobby = lobby(fake, bot, &[GUEST.to_owned()]).await;
    let ids = button_ids(&lobby);
    let (joined, _, _) = click(fake, bot, GUEST, &ids[0], &lobby).await;
    let joined = fake.updated(&joined);
    let (vote, _, _) = click(fake, bot, HOST, &ids[2], &joined).await;
    fake.updated(&vote)
}

async fn a_vote_survives_a_kill_right_after_its_acknowledgement(url: String, store: Store) {
    let fake = FakeDiscord::start().await;
    let bot = connect(&fake, &url).await;
    let vote = open_vote(&fake, &bot).await;
    let ids = button_ids(&vote);
    let party = party_of(&ids);
    let first = ids
        .iter()
        .find(|id| id.ends_with(":vote:1"))
        .expect("a vote button")
        .clone();
    // The guest votes; the moment Discord has the answer, the bot is killed (SIGKILL).
    let (callback, _, _) = click(&fake, &bot, GUEST, &first, &vote).await;
    bot.kill().await;
    assert_eq!(callback.body["type"], 7, "{:?}", callback.body);
    let shown = callback.body["data"]["embeds"][0]["fields"][0]["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(shown.contains("1/2"), "the answer shows the vote: {shown}");
    let guest = stored_user(&store, GUEST).await;
    let votes = store.party_votes(party).await.expect("votes");
    assert_eq!(
        votes.iter().filter(|(u, _)| *u == guest).count(),
        1,
        "the vote the guest was shown is stored: {votes:?}"
    );

    // A restarted bot carries the vote on: the host's vote closes it (everyone voted).
    let bot = connect(&fake, &url).await;
    let (closed, _, _) = click(&fake, &bot, HOST, &first, &vote).await;
    let closed = fake.updated(&closed);
    let title = closed.body["embeds"][0]["title"]
        .as_str()
        .unwrap_or_default();
    assert!(title.ends_with("wins"), "{:?}", closed.body);
    bot.kill().await;
}

#[tokio::test]
async fn a_vote_survives_a_kill_right_after_its_acknowledgement_on_sqlite() {
    crate::helpers::with_sqlite_url(a_vote_survives_a_kill_right_after_its_acknowledgement).await;
}

#[tokio::test]
async fn a_vote_survives_a_kill_right_after_its_acknowledgement_on_postgres() {
    crate::helpers::with_postgres_url(a_vote_survives_a_kill_right_after_its_acknowledgement).await;
}

/// The callback of the interaction with `token`.
async fn callback_of(fake: &FakeDiscord, bot: &Bot, token: &str) -> Call {
    fake.wait_call(bot, 0, WAIT, |c| {
        c.method == "POST" && c.path.ends_with(&format!("/{token}/callback"))
    })
    .await
}

#[tokio::test]
async fn a_burst_of_joins_during_a_pick_ends_on_the_vote_view() {
    crate::helpers::with_sqlite_url(|url, store| async move {
        let fake = FakeDiscord::start().await;
        let bot = connect(&fake, &url).await;
        let late: Vec<String> = (10..22).map(|i| format!("3100000000000000{i}")).collect();
        let mut invited = vec![GUEST.to_owned()];
        invited.extend(late.iter().cloned());
        let lobby = lobby(&fake, &bot, &invited).await;
        let ids = button_ids(&lobby);
        let party = party_of(&ids);
        let (joined, _, _) = click(&fake, &bot, GUEST, &ids[0], &lobby).await;
        let joined = fake.updated(&joined);
        let message = shown_message(&joined);

        // Six join before the host's Pick and six after, all sent at once, without waiting.
        let mut tokens = Vec::new();
        for (i, user) in late.iter().enumerate() {
            if i == late.len() / 2 {
                let token = format!("tok-pick-{}", fake.snowflake());
                let d = component(&fake.snowflake(), &token, HOST, &ids[2], message.clone());
                fake.dispatch("INTERACTION_CREATE", d).await;
                tokens.push((HOST.to_owned(), token));
            }
            let token = format!("tok-join-{}", fake.snowflake());
            let d = component(&fake.snowflake(), &token, user, &ids[0], message.clone());
            fake.dispatch("INTERACTION_CREATE", d).await;
            tokens.push((user.clone(), token));
        }
        let mut refused = 0;
        let mut last_view = Value::Null;
        for (user, token) in &tokens {
            let callback = callback_of(&fake, &bot, token).await;
            match callback.body["type"].as_u64() {
                Some(7) => last_view = callback.body["data"].clone(),
                Some(4) => {
                    assert_eq!(callback.body["data"]["flags"], 64, "{:?}", callback.body);
                    let text = callback.body["data"]["content"]
                        .as_str()
                        .unwrap_or_default();
                    assert!(text.contains("Too late"), "{user}: {text}");
                    refused += 1;
                }
                other => panic!("{user}: answered with {other:?}: {:?}", callback.body),
            }
        }
        assert!(!last_view.is_null());
        // The message as Discord now shows it: the vote, with its buttons.
        let shown = fake.updated(&callback_of(&fake, &bot, &tokens[late.len() / 2].1).await);
        let buttons = button_ids(&shown);
        assert!(
            buttons.iter().any(|b| b.contains(":vote:")),
            "the vote view stays: {:?}\n{}",
            shown.response,
            description(&shown)
        );
        assert!(
            !buttons.iter().any(|b| b.ends_with(":join")),
            "no lobby over the vote: {buttons:?}"
        );
        // Every join either counted before the Pick or was refused, never both or neither.
        let members = store.party_members(party).await.expect("members");
        assert_eq!(
            members.len() + refused,
            late.len() + 2,
            "host and guest, then each late click counted once: {members:?}, {refused} refused"
        );
        bot.kill().await;
    })
    .await;
}

/// The reaction events stored for `user` on `emoji`, as added (true) or removed (false).
async fn reaction_states(store: &Store, user: &str, emoji: &str) -> Vec<bool> {
    let user = stored_user(store, user).await;
    store
        .events_for_user(user)
        .await
        .expect("events")
        .into_iter()
        .filter(|e| e.event.raw.as_deref().map(normalize_emoji) == Some(normalize_emoji(emoji)))
        .filter_map(|e| match e.event.kind {
            FeedbackKind::Reaction | FeedbackKind::Seen | FeedbackKind::NotInterested => Some(true),
            FeedbackKind::ReactionRemoved => Some(false),
            _ => None,
        })
        .collect()
}

async fn storms_end_in_discords_final_state(url: String, store: Store) {
    let fake = FakeDiscord::start().await;
    let bot = connect(&fake, &url).await;
    let token = format!("tok-{}", fake.snowflake());
    let (_, from) = fake
        .interact(
            &bot,
            command(&fake.snowflake(), &token, HOST, "recommend", json!([])),
        )
        .await;
    let list = fake.edit_of(&bot, &token, from).await;
    let message = list.response["id"].as_str().expect("message id").to_owned();
    // Wait until the list is stored under its message (the bot reacts under it then).
    fake.wait_call(&bot, from, WAIT, |c| {
        c.method == "PUT" && c.path.contains(&format!("/messages/{message}/reactions/"))
    })
    .await;
    // Storms, all sent back to back: ❤️ ends added (an odd number of events), 👍 ends removed,
    // and 👎 gets a re-delivered add in the middle (counted once).
    let mut sent = 0;
    for i in 0..25 {
        let (t, d) = if i % 2 == 0 {
            (
                "MESSAGE_REACTION_ADD",
                reaction(GUEST, &message, "❤️", false),
            )
        } else {
            (
                "MESSAGE_REACTION_REMOVE",
                reaction_removed(GUEST, &message, "❤️"),
            )
        };
        fake.dispatch(t, d).await;
        sent += 1;
        let (t, d) = if i % 2 == 0 {
            (
                "MESSAGE_REACTION_ADD",
                reaction(GUEST, &message, "👍", false),
            )
        } else {
            (
                "MESSAGE_REACTION_REMOVE",
                reaction_removed(GUEST, &message, "👍"),
            )
        };
        fake.dispatch(t, d).await;
        sent += 1;
    }
    fake.dispatch(
        "MESSAGE_REACTION_REMOVE",
        reaction_removed(GUEST, &message, "👍"),
    )
    .await;
    sent += 1;
    for d in [
        reaction(GUEST, &message, "👎", false),
        reaction(GUEST, &message, "👎", false),
    ] {
        fake.dispatch("MESSAGE_REACTION_ADD", d).await;
        sent += 1;
    }
    // 🚫 (not interested) and 👀 (seen) are taken back like any other reaction.
    for emoji in ["🚫", "👀"] {
        fake.dispatch(
            "MESSAGE_REACTION_ADD",
            reaction(GUEST, &message, emoji, false),
        )
        .await;
        fake.dispatch(
            "MESSAGE_REACTION_REMOVE",
            reaction_removed(GUEST, &message, emoji),
        )
        .await;
        sent += 2;
    }
    // Every event is handled (recorded, or judged a repeat), then the stored state is read.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let handled = bot
            .log()
            .iter()
            .filter(|l| l.contains("reaction") && l.contains("outcome="))
            .count();
        if handled >= sent {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{handled} of {sent} reactions handled\n{}",
            bot.log().join("\n")
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let love = reaction_states(&store, GUEST, "❤️").await;
    assert_eq!(love.len(), 25, "each change once: {love:?}");
    assert_eq!(love.last(), Some(&true), "❤️ ends added");
    assert!(
        love.windows(2).all(|w| w[0] != w[1]),
        "in the order sent: {love:?}"
    );
    let like = reaction_states(&store, GUEST, "👍").await;
    assert_eq!(like.len(), 26, "{like:?}");
    assert_eq!(like.last(), Some(&false), "👍 ends removed");
    assert_eq!(
        reaction_states(&store, GUEST, "👎").await,
        [true],
        "counted once"
    );
    for emoji in ["🚫", "👀"] {
        assert_eq!(
            reaction_states(&store, GUEST, emoji).await,
            [true, false],
            "{emoji} taken back"
        );
    }
    bot.kill().await;
}

#[tokio::test]
async fn add_remove_storms_end_in_discords_final_state_on_sqlite() {
    crate::helpers::with_sqlite_url(storms_end_in_discords_final_state).await;
}

#[tokio::test]
async fn add_remove_storms_end_in_discords_final_state_on_postgres() {
    crate::helpers::with_postgres_url(storms_end_in_discords_final_state).await;
}

#[tokio::test]
async fn sigterm_stores_every_reaction_received_and_exits_0() {
    crate::helpers::with_sqlite_url(|url, store| async move {
        let fake = FakeDiscord::start().await;
        let mut bot = connect(&fake, &url).await;
        let token = format!("tok-{}", fake.snowflake());
        let (_, from) = fake
            .interact(
                &bot,
                command(&fake.snowflake(), &token, HOST, "recommend", json!([])),
            )
            .await;
        let list = fake.edit_of(&bot, &token, from).await;
        let message = list.response["id"].as_str().expect("message id").to_owned();
        fake.wait_call(&bot, from, WAIT, |c| {
            c.method == "PUT" && c.path.contains(&format!("/messages/{message}/reactions/"))
        })
        .await;
        // A stream of reactions by many people, and SIGTERM as soon as the first is queued:
        // the bot stops reading, stores what it received, and exits 0.
        let people: Vec<String> = (0..300).map(|i| format!("32000000000000{i:04}")).collect();
        let sender = {
            let fake = fake.clone();
            let (message, people) = (message.clone(), people.clone());
            tokio::spawn(async move {
                for person in &people {
                    fake.dispatch(
                        "MESSAGE_REACTION_ADD",
                        reaction(person, &message, "❤️", false),
                    )
                    .await;
                }
            })
        };
        bot.wait_log("reaction queued", WAIT).await;
        let pid = bot.pid().expect("running");
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        let exit = bot.wait_exit(WAIT).await;
        sender.abort();
        assert_eq!(exit.code(), Some(0), "{}", bot.log().join("\n"));
        assert!(bot.log_contains("SIGTERM"), "{}", bot.log().join("\n"));
        let queued = bot
            .log()
            .iter()
            .filter(|l| l.contains("reaction queued"))
            .count();
        let mut stored = 0;
        for person in &people {
            let known = store
                .users_of_person(UserKind::Discord, person)
                .await
                .expect("users");
            if !known.is_empty() {
                stored += reaction_states(&store, person, "❤️").await.len();
            }
        }
        assert!(queued >= 1);
        assert_eq!(stored, queued, "every reaction received is stored, once");
    })
    .await;
}

#[tokio::test]
async fn after_a_new_session_each_reaction_is_queued_once() {
    crate::helpers::with_sqlite_url(|url, store| async move {
        let fake = FakeDiscord::start().await;
        let bot = connect(&fake, &url).await;
        let token = format!("tok-{}", fake.snowflake());
        let (_, from) = fake
            .interact(
                &bot,
                command(&fake.snowflake(), &token, HOST, "recommend", json!([])),
            )
            .await;
        let list = fake.edit_of(&bot, &token, from).await;
        let message = list.response["id"].as_str().expect("message id").to_owned();
        fake.wait_call(&bot, from, WAIT, |c| {
            c.method == "PUT" && c.path.contains(&format!("/messages/{message}/reactions/"))
        })
        .await;
        // Discord ends the session (op 9, not resumable): the bot identifies again and gets a
        // second READY, maybe on the same shard runner.
        fake.send_raw(json!({"op": 9, "d": false})).await;
        fake.wait_gateway_op(Some(&bot), 2, WAIT).await;
        fake.send_ready().await;
        bot.wait_log("commands registered", WAIT).await;
        let registered = || {
            bot.log()
                .iter()
                .filter(|l| l.contains("commands registered"))
                .count()
        };
        let deadline = tokio::time::Instant::now() + WAIT;
        while registered() < 2 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{}",
                bot.log().join("\n")
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        fake.dispatch(
            "MESSAGE_REACTION_ADD",
            reaction(GUEST, &message, "❤️", false),
        )
        .await;
        bot.wait_log("outcome=", WAIT).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let queued = bot
            .log()
            .iter()
            .filter(|l| l.contains("reaction queued"))
            .count();
        assert_eq!(queued, 1, "{}", bot.log().join("\n"));
        assert_eq!(reaction_states(&store, GUEST, "❤️").await, [true]);
        bot.kill().await;
    })
    .await;
}
