//! A watch party end to end through the fake Discord: a lobby from a voice channel (a bot in it
//! is left out), a late joiner, the host's Pick, approval votes with a withdrawn double click, a
//! restart of the bot in the middle of the vote, the close when everyone has voted, the
//! announcement, the scheduled event, a vote after the close, rating the winner with a reaction,
//! and the server's history. Then a vote whose deadline passed while the bot was down.
#![allow(clippy::too_many_lines)] // each end-to-end scenario reads as one story

use crate::fake_discord::{
    APP_ID, Bot, CHANNEL_ID, Call, FakeDiscord, GUILD_ID, command, component, custom_ids, reaction,
    shown_message, voice_state,
};
use marquee::domain::events::FeedbackKind;
use marquee::domain::ports::{FeedbackRepo as _, UserKind, UserRepo as _};
use marquee::outbound::storage::Store;
use serde_json::json;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);
const ALICE: &str = "300000000000000001";
const BOB: &str = "300000000000000002";
const CARA: &str = "300000000000000003";
const DAN: &str = "300000000000000004";
const MUSIC_BOT: &str = "300000000000000050";
const VOICE: &str = "400000000000000001";

pub(crate) async fn connect(fake: &FakeDiscord, url: &str) -> Bot {
    let (bot, identify, _) = fake
        .connect(url, &[("DISCORD_DEV_GUILD_ID", GUILD_ID)])
        .await;
    let intents = identify["intents"].as_u64().expect("intents");
    assert_eq!(
        intents & (1 << 7),
        1 << 7,
        "GUILD_VOICE_STATES for voice channels"
    );
    for privileged in [1 << 1, 1 << 8, 1 << 15] {
        assert_eq!(intents & privileged, 0, "no privileged intent");
    }
    bot
}

async fn followup(fake: &FakeDiscord, bot: &Bot, token: &str, from: usize) -> Call {
    fake.wait_call(bot, from, WAIT, |c| {
        c.method == "POST" && c.path == format!("/api/v10/webhooks/{APP_ID}/{token}")
    })
    .await
}

/// A click on a button of message `shown` (the last view of it), answered once its change is
/// stored: an update of the message (type 7) or a private message (type 4).
pub(crate) async fn click(
    fake: &FakeDiscord,
    bot: &Bot,
    user: &str,
    custom_id: &str,
    shown: &Call,
) -> (Call, usize, String) {
    let token = format!("tok-{}", fake.snowflake());
    let msg = shown_message(shown);
    let (callback, from) = fake
        .interact(
            bot,
            component(&fake.snowflake(), &token, user, custom_id, msg),
        )
        .await;
    let kind = callback.body["type"].as_u64();
    assert!(kind == Some(7) || kind == Some(4), "{:?}", callback.body);
    (callback, from, token)
}

pub(crate) fn description(call: &Call) -> String {
    call.body["embeds"][0]["description"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

pub(crate) fn button_ids(call: &Call) -> Vec<String> {
    custom_ids(&call.body)
}

async fn user_id(store: &Store, snowflake: &str, name: &str) -> marquee::domain::ids::UserId {
    store
        .ensure_user(
            UserKind::Discord,
            snowflake,
            name,
            Some(marquee::domain::ids::GuildId(
                GUILD_ID.parse().expect("a snowflake"),
            )),
        )
        .await
        .expect("user")
}

#[tokio::test]
async fn a_four_person_watch_party_survives_a_restart_and_picks_one_film() {
    crate::helpers::with_sqlite_url(|url, store| async move {
        let fake = FakeDiscord::start().await;
        let bot = connect(&fake, &url).await;
        // Alice, Bob, Cara and a music bot sit in the voice channel.
        for (user, is_bot) in [(ALICE, false), (BOB, false), (CARA, false), (MUSIC_BOT, true)] {
            fake.dispatch(
                "VOICE_STATE_UPDATE",
                voice_state(user, Some(VOICE), is_bot),
            )
            .await;
        }
        // Bob has seen Heat; Alice loves Alien: neither may be on the shortlist.
        for (token, user, name, options) in [
            ("tok-r1", ALICE, "rate", json!([{"name": "movie", "type": 3, "value": "Alien"}, {"name": "stars", "type": 10, "value": 5.0}])),
            ("tok-r2", BOB, "seen", json!([{"name": "movie", "type": 3, "value": "Heat 1995"}])),
        ] {
            let (_, from) = fake.interact(&bot, command(&fake.snowflake(), token, user, name, options)).await;
            fake.edit_of(&bot, token, from).await;
        }

        let (callback, from) = fake.interact(
            &bot,
            command(
                &fake.snowflake(),
                "tok-wp",
                ALICE,
                "watchparty",
                json!([{"name": "start", "type": 1, "options": [
                    {"name": "voice_channel", "type": 7, "value": VOICE},
                    {"name": "when", "type": 3, "value": "in 2h"},
                    {"name": "minutes", "type": 4, "value": 30}
                ]}]),
            ),
        )
        .await;
        assert_eq!(callback.body["type"], 5);
        let lobby = fake.edit_of(&bot, "tok-wp", from).await;
        let text = description(&lobby);
        assert!(text.contains("In (1)"), "only the host is in until others join: {text}");
        assert!(
            text.contains(&format!("<@{BOB}>")) && text.contains(&format!("<@{CARA}>")),
            "the people in the voice channel are invited: {text}"
        );
        assert!(
            !text.contains(&format!("<@{ALICE}>")) && !text.contains(MUSIC_BOT),
            "neither the host nor the music bot is invited: {text}"
        );
        assert_eq!(lobby.body["allowed_mentions"]["parse"], json!([]), "invites never ping");
        let ids = button_ids(&lobby);
        let party = ids[0]
            .strip_prefix("mq:wp:")
            .and_then(|r| r.split(':').next())
            .expect("party id")
            .to_owned();
        assert_eq!(
            ids,
            [
                format!("mq:wp:{party}:join"),
                format!("mq:wp:{party}:leave"),
                format!("mq:wp:{party}:pick")
            ]
        );

        // Bob and Cara accept; Dan joins late; Bob may not start the vote.
        let mut lobby = lobby;
        for (user, count) in [(BOB, 2), (CARA, 3), (DAN, 4)] {
            let (callback, _, _) = click(&fake, &bot, user, &ids[0], &lobby).await;
            lobby = fake.updated(&callback);
            assert!(
                description(&lobby).contains(&format!("In ({count})")),
                "{}",
                description(&lobby)
            );
        }
        let (refusal, _, _) = click(&fake, &bot, BOB, &ids[2], &lobby).await;
        assert_eq!(refusal.body["type"], 4, "the lobby stays as it is");
        assert_eq!(refusal.body["data"]["flags"], 64);
        assert!(refusal.body["data"]["content"].as_str().expect("text").contains("Only"));

        // Alice picks: the vote opens on the same message.
        let (callback, _, _) = click(&fake, &bot, ALICE, &ids[2], &lobby).await;
        let vote = fake.updated(&callback);
        let shortlist = description(&vote);
        assert!(!shortlist.contains("Alien (1979)") && !shortlist.contains("Heat (1995)"), "{shortlist}");
        let votes: Vec<String> = button_ids(&vote)
            .into_iter()
            .filter(|id| id.contains(":vote:"))
            .collect();
        assert!((3..=5).contains(&votes.len()), "{votes:?}");
        assert!(shortlist.contains("★"), "predicted enjoyment per member: {shortlist}");
        let winner_title = shortlist
            .split("**1. ")
            .nth(1)
            .and_then(|t| t.split("**").next())
            .expect("first film")
            .replace('\\', "");

        // Alice votes #1; Bob double-clicks #2 (vote, then taken back), then votes #1.
        for (user, n, expect) in [
            (ALICE, 0, "voted for"),
            (BOB, 1, "voted for"),
            (BOB, 1, "took back"),
            (BOB, 0, "voted for"),
        ] {
            let (_, from, token) = click(&fake, &bot, user, &votes[n], &vote).await;
            let note = followup(&fake, &bot, &token, from).await;
            assert!(note.body["content"].as_str().expect("text").contains(expect), "{:?}", note.body);
        }

        // The bot restarts in the middle of the vote: nothing is lost.
        bot.kill().await;
        let bot = connect(&fake, &url).await;
        let (callback, _, _) = click(&fake, &bot, CARA, &votes[0], &vote).await;
        let state = fake.updated(&callback);
        assert!(
            state.body["embeds"][0]["fields"][0]["name"].as_str().expect("voted").contains("3/4"),
            "{:?}",
            state.body
        );
        // Dan's vote completes it: the vote closes, the winner is announced and scheduled.
        let (callback, from, _) = click(&fake, &bot, DAN, &votes[2], &vote).await;
        let closed = fake.updated(&callback);
        let title = closed.body["embeds"][0]["title"].as_str().expect("title");
        assert_eq!(title, format!("🍿 Watch party: {winner_title} wins"));
        assert!(button_ids(&closed).is_empty(), "no more buttons");
        let announcement = fake
            .wait_call(&bot, from, WAIT, |c| {
                c.method == "POST" && c.path == format!("/api/v10/channels/{CHANNEL_ID}/messages")
            })
            .await;
        assert!(announcement.body["embeds"][0]["title"].as_str().expect("title").contains(&winner_title));
        assert_eq!(announcement.body["allowed_mentions"]["parse"], json!([]));
        let event = fake
            .wait_call(&bot, from, WAIT, |c| {
                c.method == "POST" && c.path == format!("/api/v10/guilds/{GUILD_ID}/scheduled-events")
            })
            .await;
        assert_eq!(event.body["name"], format!("Movie night: {winner_title}"));
        let announced = announcement.response["id"].as_str().expect("id").to_owned();
        fake.wait_call(&bot, from, WAIT, |c| {
            c.method == "PUT" && c.path.contains(&format!("/messages/{announced}/reactions/"))
        })
        .await;

        // A vote after the close is refused kindly.
        let (late, _, _) = click(&fake, &bot, CARA, &votes[1], &vote).await;
        assert_eq!(late.body["data"]["flags"], 64, "{:?}", late.body);
        assert!(late.body["data"]["content"].as_str().expect("text").contains("closed"), "{:?}", late.body);

        // Everyone watched it together; Dan rates it with a reaction on the announcement.
        for (who, name) in [(ALICE, "a"), (BOB, "b"), (CARA, "c"), (DAN, "d")] {
            let user = user_id(&store, who, name).await;
            let kinds: Vec<FeedbackKind> = store
                .events_for_user(user)
                .await
                .expect("events")
                .into_iter()
                .map(|e| e.event.kind)
                .collect();
            assert!(kinds.contains(&FeedbackKind::WatchedTogether), "{who}: {kinds:?}");
        }
        fake.dispatch("MESSAGE_REACTION_ADD", reaction(DAN, &announced, "❤️", false))
            .await;
        bot.wait_log("outcome=\"recorded\"", WAIT).await;

        // The server's history lists the night.
        let (_, from) = fake.interact(
            &bot,
            command(&fake.snowflake(), "tok-hist", CARA, "watchparty", json!([{"name": "history", "type": 1, "options": []}])),
        )
        .await;
        let history = fake.edit_of(&bot, "tok-hist", from).await;
        assert!(description(&history).contains(&winner_title), "{}", description(&history));
        bot.assert_no_unknown_events();
    })
    .await;
}

#[tokio::test]
async fn a_vote_whose_deadline_passed_while_the_bot_was_down_is_closed_when_it_comes_back() {
    crate::helpers::with_sqlite_url(|url, store| async move {
        use marquee::app::command::Invitee;
        use marquee::app::{
            App, Caller, Command, Options, PartyCommand, PartyStart, Person, Reply, Source,
        };
        use marquee::domain::ids::GuildId;
        use marquee::domain::ports::PartyRepo as _;
        let session = App::on_store(store.clone(), Options::default())
            .await
            .expect("app");
        let on_discord = |id: &str, name: &str| {
            let mut caller = Caller::cli(Person::Discord {
                id: id.parse().expect("a snowflake"),
                name: name.to_owned(),
            });
            caller.source = Source::Discord;
            caller.server = Some(GuildId(GUILD_ID.parse().expect("id")));
            caller.channel = Some(CHANNEL_ID.parse().expect("id"));
            caller
        };
        let (host, guest) = (on_discord(ALICE, "alice"), on_discord(BOB, "bob"));
        let start = PartyStart {
            invited: vec![Invitee {
                person: guest.person.clone(),
                label: format!("<@{BOB}>"),
                bot: false,
                member: Some(true),
            }],
            ..PartyStart::default()
        };
        let Reply::Lobby(lobby) = session
            .handle(&host, Command::Party(PartyCommand::Start(start)))
            .await
            .expect("start")
        else {
            panic!("a lobby")
        };
        assert_eq!(
            lobby.members.len(),
            1,
            "an invited person counts once they join"
        );
        let party = lobby.party;
        session
            .handle(
                &guest,
                Command::Party(PartyCommand::Join {
                    party,
                    message: None,
                }),
            )
            .await
            .expect("join");
        let reply = session
            .handle(
                &host,
                Command::Party(PartyCommand::Pick {
                    party,
                    message: None,
                }),
            )
            .await
            .expect("pick");
        assert!(matches!(reply, Reply::Vote(_)), "{reply:?}");
        let pool = sqlx::SqlitePool::connect(&url).await.expect("pool");
        sqlx::query("UPDATE watch_parties SET deadline_at = 1 WHERE id = $1")
            .bind(party.0)
            .execute(&pool)
            .await
            .expect("deadline in the past");
        pool.close().await;

        let fake = FakeDiscord::start().await;
        let bot = connect(&fake, &url).await;
        let announcement = fake
            .wait_call(&bot, 0, WAIT, |c| {
                c.method == "POST" && c.path == format!("/api/v10/channels/{CHANNEL_ID}/messages")
            })
            .await;
        let text = announcement.body["embeds"][0]["description"]
            .as_str()
            .expect("text");
        assert!(text.contains("the deadline passed"), "{text}");
        let closed = store.party(party).await.expect("party").expect("stored");
        assert_eq!(closed.status, marquee::domain::ports::PartyStatus::Closed);
        bot.assert_no_unknown_events();
    })
    .await;
}

#[tokio::test]
async fn naming_a_stranger_a_bot_or_oneself_gets_a_clear_answer_and_nobody_joins_unasked() {
    crate::helpers::with_sqlite_url(|url, store| async move {
        use marquee::domain::ports::UserRepo as _;
        let fake = FakeDiscord::start().await;
        let bot = connect(&fake, &url).await;
        let stranger = "399999999999999999";
        fake.add_stranger(stranger);
        let (_, from) = fake
            .interact(
                &bot,
                command(
                    &fake.snowflake(),
                    "tok-named",
                    ALICE,
                    "watchparty",
                    json!([{"name": "start", "type": 1, "options": [
                        {"name": "members", "type": 3,
                         "value": format!("<@{ALICE}> <@{stranger}> <@{APP_ID}> <@{BOB}> <@{CARA}>")}
                    ]}]),
                ),
            )
            .await;
        let lobby = fake.edit_of(&bot, "tok-named", from).await;
        let text = description(&lobby);
        assert!(text.contains("you host"), "{text}");
        assert!(
            text.contains(&format!("<@{stranger}> is not in this server")),
            "{text}"
        );
        assert!(text.contains("is a bot"), "{text}");
        assert!(text.contains("In (1)"), "{text}");
        assert!(
            text.contains(&format!("<@{BOB}>")),
            "Bob is invited: {text}"
        );
        // Nothing is stored about the people named until they press Join.
        for person in [stranger, BOB] {
            let users = store
                .users_of_person(UserKind::Discord, person)
                .await
                .expect("users");
            assert!(users.is_empty(), "{person}: {users:?}");
        }
        // Bob accepts, Cara does not; once the vote opens, the invitation of Cara goes.
        let ids = button_ids(&lobby);
        let party = marquee::domain::ids::PartyId(
            ids[0]
                .strip_prefix("mq:wp:")
                .and_then(|r| r.split(':').next())
                .and_then(|p| p.parse().ok())
                .expect("party id"),
        );
        let stored = |store: Store| async move {
            use marquee::domain::ports::PartyRepo as _;
            store.party(party).await.expect("db").expect("party").params
        };
        assert!(stored(store.clone()).await.contains(CARA), "invited while the lobby waits");
        let (callback, _, _) = click(&fake, &bot, BOB, &ids[0], &lobby).await;
        let joined = fake.updated(&callback);
        let (callback, _, _) = click(&fake, &bot, ALICE, &ids[2], &joined).await;
        let vote = fake.updated(&callback);
        assert!(description(&vote).contains("**1. "), "the vote is open: {}", description(&vote));
        let params = stored(store.clone()).await;
        assert!(!params.contains(CARA), "no trace of Cara: {params}");
        bot.assert_no_unknown_events();
    })
    .await;
}
