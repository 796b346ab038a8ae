//! The real `marquee serve` binary against the fake Discord: it connects, registers its
//! commands, and answers every kind of interaction and reaction; the assertions are on the
//! REST calls it makes and on what it stored.

#![allow(clippy::too_many_lines)] // each end-to-end scenario reads as one story

use crate::fake_discord::{
    self as fd, APP_ID, Bot, Call, FakeDiscord, GUILD_ID, autocomplete, command, command_in_dm,
    component, modal_submit, reaction, reaction_removed, select,
};
use marquee::domain::events::FeedbackKind;
use marquee::domain::ports::{FeedbackRepo as _, UserKind, UserRepo as _};
use marquee::outbound::storage::Store;
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);
const ALICE: &str = "300000000000000001";
const OTHER_BOT: &str = "300000000000000099";

/// A running bot that has identified, received READY and registered its commands.
struct Scene {
    fake: FakeDiscord,
    bot: Bot,
    /// The body of the command registration.
    registered: Value,
}

async fn start(database_url: &str) -> Scene {
    let fake = FakeDiscord::start().await;
    let (bot, identify, registration) = fake
        .connect(database_url, &[("DISCORD_DEV_GUILD_ID", GUILD_ID)])
        .await;
    let intents = identify["intents"].as_u64().expect("intents");
    assert_eq!(
        intents,
        1 | (1 << 7) | (1 << 10),
        "GUILDS, GUILD_VOICE_STATES and GUILD_MESSAGE_REACTIONS only"
    );
    for privileged in [1 << 1, 1 << 8, 1 << 15] {
        assert_eq!(intents & privileged, 0, "no privileged intent");
    }
    assert!(
        registration
            .path
            .ends_with(&format!("/guilds/{GUILD_ID}/commands")),
        "registered in the dev server: {}",
        registration.path
    );
    Scene {
        fake,
        bot,
        registered: registration.body,
    }
}

impl Scene {
    /// Sends an interaction and returns its callback (and the index to look for more from).
    async fn interact(&self, d: Value) -> (Call, usize) {
        self.fake.interact(&self.bot, d).await
    }

    /// The edit of the interaction's original message after a deferral.
    async fn edit_of(&self, token: &str, from: usize) -> Call {
        self.fake.edit_of(&self.bot, token, from).await
    }

    /// A deferred interaction: checks the deferral (type 5, private or not) and returns the edit.
    async fn deferred(&self, d: Value, private: bool) -> Call {
        let token = d["token"].as_str().expect("token").to_owned();
        let (callback, from) = self.interact(d).await;
        assert_eq!(callback.body["type"], 5, "deferred: {:?}", callback.body);
        assert_eq!(
            callback.body["data"]["flags"].as_u64().unwrap_or(0) & 64 != 0,
            private,
            "{:?}",
            callback.body
        );
        self.edit_of(&token, from).await
    }

    /// A `/recommend` with `options`: the list's edit and its message id, once the bot has put
    /// its reactions under it (it does so after storing the list under that id).
    async fn list(&self, options: Value) -> (Call, String) {
        let list = self
            .deferred(
                command(&self.id(), "tok-rec", ALICE, "recommend", options),
                false,
            )
            .await;
        let message_id = list.response["id"].as_str().expect("message id").to_owned();
        wait_reactions(self, &message_id).await;
        (list, message_id)
    }

    fn id(&self) -> String {
        self.fake.snowflake()
    }
}

fn no_pings(body: &Value) {
    assert_eq!(
        body["allowed_mentions"]["parse"],
        json!([]),
        "allowed_mentions must be empty: {body}"
    );
}

fn content(call: &Call) -> String {
    call.body["content"].as_str().unwrap_or_default().to_owned()
}

/// The test server, as the app stores it.
fn guild() -> marquee::domain::ids::GuildId {
    marquee::domain::ids::GuildId(GUILD_ID.parse().expect("a snowflake"))
}

async fn discord_user(store: &Store, snowflake: &str) -> marquee::domain::ids::UserId {
    store
        .ensure_user(UserKind::Discord, snowflake, "", Some(guild()))
        .await
        .expect("user")
}

async fn kinds(store: &Store, snowflake: &str) -> Vec<FeedbackKind> {
    let user = discord_user(store, snowflake).await;
    store
        .events_for_user(user)
        .await
        .expect("events")
        .into_iter()
        .map(|e| e.event.kind)
        .collect()
}

/// Waits until the user's stored events number `n` (a reaction has no reply to wait for).
async fn wait_events(store: &Store, bot: &Bot, snowflake: &str, n: usize) -> Vec<FeedbackKind> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let k = kinds(store, snowflake).await;
        if k.len() >= n {
            return k;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "expected {n} events, have {k:?}\nbot log:\n{}",
            bot.log().join("\n")
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the bot has put its reactions under list `message_id` (it does so after
/// storing the list under that id), and returns the reacted emojis.
async fn wait_reactions(s: &Scene, message_id: &str) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let emojis: Vec<String> = s
            .fake
            .calls()
            .iter()
            .filter(|c| {
                c.method == "PUT"
                    && c.path
                        .contains(&format!("/messages/{message_id}/reactions/"))
            })
            .map(Call::decoded_path)
            .collect();
        if emojis.len() >= 6 {
            return emojis;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "reactions: {emojis:?}\n{}",
            s.fake.report(Some(&s.bot))
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn registered_names(registered: &Value) -> Vec<String> {
    registered
        .as_array()
        .expect("a list of commands")
        .iter()
        .map(|c| c["name"].as_str().expect("name").to_owned())
        .collect()
}

/// The value autocomplete offers for `typed` whose label is `label`.
async fn pick(scene: &Scene, typed: &str, label: &str) -> String {
    let (callback, _) = scene
        .interact(autocomplete(
            &scene.id(),
            "tok-ac",
            ALICE,
            "rate",
            json!([{"name": "movie", "type": 3, "value": typed, "focused": true}]),
        ))
        .await;
    assert_eq!(callback.body["type"], 8);
    let choices = callback.body["data"]["choices"]
        .as_array()
        .expect("choices");
    assert!(!choices.is_empty() && choices.len() <= 25, "{choices:?}");
    choices
        .iter()
        .find(|c| c["name"] == label)
        .unwrap_or_else(|| panic!("{label} among {choices:?}"))["value"]
        .as_str()
        .expect("value")
        .to_owned()
}

#[tokio::test]
async fn the_bot_registers_its_commands_and_answers_each_of_them() {
    crate::helpers::with_sqlite_url(|url, store| async move {
        let s = start(&url).await;
        let names = registered_names(&s.registered);
        for name in [
            "recommend",
            "similar",
            "rate",
            "seen",
            "review",
            "profile",
            "taste",
            "tastemap",
            "help",
            "watchparty",
        ] {
            assert!(names.iter().any(|n| n == name), "{name} in {names:?}");
        }
        let rate = s
            .registered
            .as_array()
            .expect("list")
            .iter()
            .find(|c| c["name"] == "rate")
            .expect("rate");
        let options: Vec<&str> = rate["options"]
            .as_array()
            .expect("options")
            .iter()
            .map(|o| o["name"].as_str().expect("name"))
            .collect();
        assert_eq!(options, ["movie", "stars"]);
        assert_eq!(rate["options"][0]["autocomplete"], true);

        // Autocomplete, then a rating by the chosen value.
        let godfather = pick(&s, "godfa", "The Godfather (1972)").await;
        let edit = s
            .deferred(
                command(
                    &s.id(),
                    "tok-rate",
                    ALICE,
                    "rate",
                    json!([
                        {"name": "movie", "type": 3, "value": godfather},
                        {"name": "stars", "type": 10, "value": 4.5}
                    ]),
                ),
                true,
            )
            .await;
        assert!(
            content(&edit).contains("Rated **The Godfather (1972)** 4.5★"),
            "{}",
            content(&edit)
        );
        no_pings(&edit.body);
        assert_eq!(kinds(&store, ALICE).await, [FeedbackKind::Rating]);

        // /help answers at once, privately.
        let (help, _) = s
            .interact(command(&s.id(), "tok-help", ALICE, "help", json!([])))
            .await;
        assert_eq!(help.body["type"], 4);
        assert_eq!(help.body["data"]["flags"], 64);
        let help_text = help.body["data"]["embeds"][0]["description"]
            .as_str()
            .expect("help");
        for name in ["/recommend", "/rate", "/review", "/tastemap"] {
            assert!(help_text.contains(name), "{help_text}");
        }

        // /seen and /profile are private.
        let edit = s
            .deferred(
                command(
                    &s.id(),
                    "tok-seen",
                    ALICE,
                    "seen",
                    json!([{"name": "movie", "type": 3, "value": "Heat 1995"}]),
                ),
                true,
            )
            .await;
        assert!(content(&edit).contains("Heat (1995)"), "{}", content(&edit));
        let edit = s
            .deferred(
                command(&s.id(), "tok-prof", ALICE, "profile", json!([])),
                true,
            )
            .await;
        let embed = &edit.body["embeds"][0];
        assert_eq!(embed["title"], "What I have learned about you");
        assert!(
            embed.to_string().contains("The Godfather (1972)"),
            "{embed}"
        );

        // /taste and /tastemap before any training found groups: a friendly sentence.
        let edit = s
            .deferred(
                command(&s.id(), "tok-taste", ALICE, "taste", json!([])),
                true,
            )
            .await;
        assert!(content(&edit).contains("taste group"), "{}", content(&edit));
        let edit = s
            .deferred(
                command(&s.id(), "tok-map", ALICE, "tastemap", json!([])),
                true,
            )
            .await;
        assert!(
            content(&edit).contains("no taste map yet"),
            "{}",
            content(&edit)
        );

        s.bot.assert_no_unknown_events();
        assert!(
            !s.bot.log_contains(fd::TOKEN),
            "the token must never be logged"
        );
    })
    .await;
}

#[tokio::test]
async fn a_list_gets_reactions_buttons_and_a_menu_and_each_of_them_teaches_marquee() {
    crate::helpers::with_sqlite_url(|url, store| async move {
        let s = start(&url).await;
        let (list, message_id) = s
            .list(json!([{"name": "count", "type": 4, "value": 3}]))
            .await;
        no_pings(&list.body);
        let embed = &list.body["embeds"][0];
        let description = embed["description"].as_str().expect("description");
        assert!(description.starts_with("**1. "), "{description}");
        assert!(
            description.contains("**3. ") && !description.contains("**4. "),
            "{description}"
        );
        let ids: Vec<String> = list.body["components"][0]["components"]
            .as_array()
            .expect("buttons")
            .iter()
            .map(|b| b["custom_id"].as_str().expect("id").to_owned())
            .collect();
        assert_eq!(ids[0], "mq:more");

        // The six feedback reactions are added under the list.
        let emojis = wait_reactions(&s, &message_id).await;
        for e in ["❤️", "👍", "😐", "👎", "👀", "🚫"] {
            assert!(
                emojis
                    .iter()
                    .any(|p| p.contains(&format!("/reactions/{e}/@me"))),
                "{e} in {emojis:?}"
            );
        }

        // The bot's own reactions come back from Discord: ignored. Another bot's too.
        s.fake
            .dispatch(
                "MESSAGE_REACTION_ADD",
                reaction(APP_ID, &message_id, "👍", true),
            )
            .await;
        s.fake
            .dispatch(
                "MESSAGE_REACTION_ADD",
                reaction(OTHER_BOT, &message_id, "👍", true),
            )
            .await;
        // A reaction on a message that is not a Marquee list: ignored.
        s.fake
            .dispatch(
                "MESSAGE_REACTION_ADD",
                reaction(ALICE, "555555555555555555", "❤️", false),
            )
            .await;
        // Alice likes #1, the same event arrives twice (a resume), then she takes it back.
        s.fake
            .dispatch(
                "MESSAGE_REACTION_ADD",
                reaction(ALICE, &message_id, "👍", false),
            )
            .await;
        s.fake
            .dispatch(
                "MESSAGE_REACTION_ADD",
                reaction(ALICE, &message_id, "👍", false),
            )
            .await;
        let k = wait_events(&store, &s.bot, ALICE, 1).await;
        assert_eq!(k, [FeedbackKind::Reaction]);
        s.fake
            .dispatch(
                "MESSAGE_REACTION_REMOVE",
                reaction_removed(ALICE, &message_id, "👍"),
            )
            .await;
        let k = wait_events(&store, &s.bot, ALICE, 2).await;
        assert_eq!(k, [FeedbackKind::Reaction, FeedbackKind::ReactionRemoved]);
        for bot in [APP_ID, OTHER_BOT] {
            assert!(
                kinds(&store, bot).await.is_empty(),
                "reactions from bots are ignored"
            );
        }

        // "More like #1": a new public list.
        let list_message = fd::message(
            &message_id,
            APP_ID,
            "",
            list.body["components"].clone(),
            list.body["embeds"].clone(),
        );
        let more = s
            .deferred(
                component(&s.id(), "tok-more", ALICE, "mq:more", list_message.clone()),
                false,
            )
            .await;
        let title = more.body["embeds"][0]["title"].as_str().expect("title");
        assert!(title.starts_with("Like "), "{title}");

        // The menu opens private feedback buttons for pick #2, and one of them is stored.
        let buttons = s
            .deferred(
                select(
                    &s.id(),
                    "tok-pick",
                    ALICE,
                    "mq:pick",
                    &["2"],
                    list_message.clone(),
                ),
                true,
            )
            .await;
        let fb: Vec<String> = buttons.body["components"]
            .as_array()
            .expect("rows")
            .iter()
            .flat_map(|r| r["components"].as_array().expect("row").clone())
            .map(|b| b["custom_id"].as_str().expect("id").to_owned())
            .collect();
        let love = format!("mq:fb:{message_id}:2:love");
        assert!(fb.contains(&love), "{fb:?}");
        let private_message = fd::message(
            &s.id(),
            APP_ID,
            "",
            buttons.body["components"].clone(),
            json!([]),
        );
        let (ack, _) = s
            .interact(component(
                &s.id(),
                "tok-love",
                ALICE,
                &love,
                private_message,
            ))
            .await;
        assert_eq!(
            ack.body["type"], 7,
            "a button on a private message updates it, once the feedback is stored"
        );
        let noted = s.fake.updated(&ack);
        assert!(content(&noted).contains("5★"), "{}", content(&noted));
        assert_eq!(
            kinds(&store, ALICE).await.last(),
            Some(&FeedbackKind::Button)
        );

        // "Not interested" in #1, then "Refresh": the new list leaves out the old one's films.
        let edit = s
            .deferred(
                component(&s.id(), "tok-nope", ALICE, "mq:nope", list_message.clone()),
                true,
            )
            .await;
        assert!(
            content(&edit).contains("not interested"),
            "{}",
            content(&edit)
        );
        let refreshed = s
            .deferred(
                component(
                    &s.id(),
                    "tok-refresh",
                    ALICE,
                    "mq:refresh::3::",
                    list_message,
                ),
                false,
            )
            .await;
        let fresh = refreshed.body["embeds"][0]["description"]
            .as_str()
            .expect("list");
        let old_titles: Vec<&str> = description
            .lines()
            .filter(|l| l.starts_with("**"))
            .map(|l| l.split("**").nth(1).expect("title"))
            .map(|t| t.split_once(". ").expect("numbered").1)
            .collect();
        for t in old_titles {
            assert!(!fresh.contains(t), "{t} again in {fresh}");
        }
        s.bot.assert_no_unknown_events();
    })
    .await;
}

#[tokio::test]
async fn a_review_opens_a_form_is_read_and_can_be_corrected() {
    crate::helpers::with_sqlite_url(|url, store| async move {
        let s = start(&url).await;
        let heat = pick(&s, "heat", "Heat (1995)").await;
        let (modal, _) = s
            .interact(command(
                &s.id(),
                "tok-rev",
                ALICE,
                "review",
                json!([{"name": "movie", "type": 3, "value": heat}]),
            ))
            .await;
        assert_eq!(modal.body["type"], 9, "{:?}", modal.body);
        let custom_id = modal.body["data"]["custom_id"]
            .as_str()
            .expect("custom id")
            .to_owned();
        assert!(custom_id.starts_with("mq:review:"), "{custom_id}");
        assert!(
            modal.body["data"]["title"]
                .as_str()
                .expect("title")
                .chars()
                .count()
                <= 45
        );
        let input = &modal.body["data"]["components"][0]["components"][0];
        assert_eq!(input["max_length"], 4000);

        let edit = s
            .deferred(
                modal_submit(
                    &s.id(),
                    "tok-sub",
                    ALICE,
                    &custom_id,
                    &[(
                        "text",
                        "An absolute masterpiece, I loved every minute of it!",
                    )],
                ),
                true,
            )
            .await;
        let text = content(&edit);
        assert!(
            (text.contains("loved it") || text.contains("liked it")) && text.contains('★'),
            "{text}"
        );
        assert_eq!(
            edit.body["components"][0]["components"][0]["custom_id"],
            custom_id.replace("review", "fix")
        );
        assert_eq!(kinds(&store, ALICE).await, [FeedbackKind::Review]);

        // The reading is corrected with the menu: an explicit rating.
        let message = fd::message(
            &s.id(),
            APP_ID,
            &text,
            edit.body["components"].clone(),
            json!([]),
        );
        let fix = custom_id.replace("review", "fix");
        let (ack, _) = s
            .interact(select(&s.id(), "tok-fix", ALICE, &fix, &["3.5"], message))
            .await;
        assert_eq!(ack.body["type"], 7, "updated once the rating is stored");
        let fixed = s.fake.updated(&ack);
        assert!(content(&fixed).contains("3.5★"), "{}", content(&fixed));
        assert_eq!(
            kinds(&store, ALICE).await,
            [FeedbackKind::Review, FeedbackKind::Rating]
        );

        // A blank review (spaces pass Discord's required check) is refused kindly.
        let edit = s
            .deferred(
                modal_submit(&s.id(), "tok-blank", ALICE, &custom_id, &[("text", "   ")]),
                true,
            )
            .await;
        assert!(content(&edit).contains("empty"), "{}", content(&edit));
        assert_eq!(kinds(&store, ALICE).await.len(), 2);
        s.bot.assert_no_unknown_events();
    })
    .await;
}

#[tokio::test]
async fn bad_input_gets_a_friendly_private_answer() {
    crate::helpers::with_sqlite_url(|url, store| async move {
        let s = start(&url).await;
        let rate = |token: &str, title: &str, stars: f64| {
            command(
                &s.id(),
                token,
                ALICE,
                "rate",
                json!([
                    {"name": "movie", "type": 3, "value": title},
                    {"name": "stars", "type": 10, "value": stars}
                ]),
            )
        };
        let edit = s
            .deferred(rate("tok-typo", "The Godfahter", 5.0), true)
            .await;
        assert!(
            content(&edit).contains("The Godfather (1972)"),
            "{}",
            content(&edit)
        );
        let edit = s.deferred(rate("tok-range", "Heat 1995", 7.0), true).await;
        assert!(content(&edit).contains("0.5 to 5"), "{}", content(&edit));
        let edit = s.deferred(rate("tok-dune", "Dune", 4.0), true).await;
        assert!(
            content(&edit).contains("Several films"),
            "{}",
            content(&edit)
        );

        // An unknown film for /review: no form, the closest titles instead.
        let (callback, _) = s
            .interact(command(
                &s.id(),
                "tok-rv",
                ALICE,
                "review",
                json!([{"name": "movie", "type": 3, "value": "Alein"}]),
            ))
            .await;
        assert_eq!(callback.body["type"], 4);
        assert_eq!(callback.body["data"]["flags"], 64);
        assert!(
            callback.body["data"]["content"]
                .as_str()
                .expect("text")
                .contains("Alien (1979)")
        );

        // A bad genre on a public command: the placeholder goes, a private answer comes.
        let token = "tok-genre";
        let (callback, from) = s
            .interact(command(
                &s.id(),
                token,
                ALICE,
                "recommend",
                json!([{"name": "genre", "type": 3, "value": "cowboy opera"}]),
            ))
            .await;
        assert_eq!(callback.body["type"], 5);
        let followup = s
            .fake
            .wait_call(&s.bot, from, WAIT, |c| {
                c.method == "POST" && c.path == format!("/api/v10/webhooks/{APP_ID}/{token}")
            })
            .await;
        assert_eq!(followup.body["flags"], 64);
        assert!(
            content(&followup).contains("not a genre"),
            "{}",
            content(&followup)
        );
        assert!(s.fake.calls().iter().any(|c| {
            c.method == "DELETE"
                && c.path
                    .ends_with(&format!("/webhooks/{APP_ID}/{token}/messages/@original"))
        }));

        // A command in a direct message.
        let (callback, _) = s
            .interact(command_in_dm(
                &s.id(),
                "tok-dm",
                ALICE,
                "recommend",
                json!([]),
            ))
            .await;
        assert_eq!(callback.body["type"], 4);
        assert!(
            callback.body["data"]["content"]
                .as_str()
                .expect("text")
                .contains("inside a server")
        );

        // Someone Marquee has never seen asks for their profile.
        let edit = s
            .deferred(
                command(
                    &s.id(),
                    "tok-new",
                    "300000000000000077",
                    "profile",
                    json!([]),
                ),
                true,
            )
            .await;
        assert!(
            content(&edit).contains("don't know your taste yet"),
            "{}",
            content(&edit)
        );

        // A review longer than Discord's form allows (a hostile client): refused, not cut.
        let form = format!(
            "mq:review:{}",
            pick(&s, "heat", "Heat (1995)")
                .await
                .trim_start_matches("film:")
        );
        let long = "great ".repeat(700);
        let edit = s
            .deferred(
                modal_submit(&s.id(), "tok-long", ALICE, &form, &[("text", &long)]),
                true,
            )
            .await;
        assert!(
            content(&edit).contains("keep it under 4000"),
            "{}",
            content(&edit)
        );

        // A stale button from an older build.
        let msg = fd::message(&s.id(), APP_ID, "", json!([]), json!([]));
        let (callback, _) = s
            .interact(component(&s.id(), "tok-old", ALICE, "btn_ok", msg))
            .await;
        assert_eq!(callback.body["data"]["flags"], 64);

        assert!(
            kinds(&store, ALICE).await.is_empty(),
            "nothing was stored for bad input"
        );
        s.bot.assert_no_unknown_events();
    })
    .await;
}

#[tokio::test]
async fn the_bot_works_on_postgresql() {
    crate::helpers::with_postgres_url(|url, store| async move {
        let s = start(&url).await;
        let edit = s
            .deferred(
                command(
                    &s.id(),
                    "tok-rate",
                    ALICE,
                    "rate",
                    json!([
                        {"name": "movie", "type": 3, "value": "Alien"},
                        {"name": "stars", "type": 10, "value": 5.0}
                    ]),
                ),
                true,
            )
            .await;
        assert!(
            content(&edit).contains("Alien (1979)"),
            "{}",
            content(&edit)
        );
        let (_, message_id) = s.list(json!([])).await;
        s.fake
            .dispatch(
                "MESSAGE_REACTION_ADD",
                reaction(ALICE, &message_id, "❤️", false),
            )
            .await;
        let k = wait_events(&store, &s.bot, ALICE, 2).await;
        assert_eq!(k, [FeedbackKind::Rating, FeedbackKind::Reaction]);
        s.bot.assert_no_unknown_events();
    })
    .await;
}

#[tokio::test]
async fn after_a_resume_a_redelivered_reaction_counts_once() {
    crate::helpers::with_sqlite_url(|url, store| async move {
        let s = start(&url).await;
        let (_, message_id) = s.list(json!([])).await;
        let love = reaction(ALICE, &message_id, "❤️", false);
        s.fake.dispatch("MESSAGE_REACTION_ADD", love.clone()).await;
        s.bot.wait_log("outcome=\"recorded\"", WAIT).await;
        // The connection drops; serenity resumes the session and Discord replays the event.
        s.fake.close_gateway(4000).await;
        let resume = s.fake.wait_gateway_op(Some(&s.bot), 6, WAIT).await;
        assert_eq!(resume["d"]["session_id"], "fake-session-1", "{resume}");
        s.fake.dispatch("RESUMED", json!({})).await;
        s.fake.dispatch("MESSAGE_REACTION_ADD", love).await;
        s.bot.wait_log("outcome=\"repeated\"", WAIT).await;
        assert_eq!(kinds(&store, ALICE).await, [FeedbackKind::Reaction]);
        assert!(!s.bot.exited());
        s.bot.assert_no_unknown_events();
        s.bot.kill().await;
    })
    .await;
}

#[tokio::test]
async fn a_malformed_token_stops_the_bot_with_a_clear_message_that_does_not_echo_it() {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("m.db").display());
    let secret = "Bot abc.def.this-is-not-a-token-but-must-not-be-printed";
    let mut bot = fake.spawn_bot(&url, &[("DISCORD_TOKEN", secret)]).await;
    bot.wait_log("DISCORD_TOKEN", WAIT).await;
    let status = bot.wait_exit(WAIT).await;
    assert_eq!(status.code(), Some(2), "{}", bot.log().join("\n"));
    assert!(
        !bot.log_contains("this-is-not-a-token"),
        "{}",
        bot.log().join("\n")
    );
    assert!(fake.calls().is_empty(), "nothing reached Discord");
}

/// Ratings of 30 Discord users in three clear tastes (8 films of "their" genre loved, 4 of
/// another disliked), so training finds taste groups.
pub(crate) async fn seed_three_tastes(store: &Store) -> Vec<String> {
    use marquee::app::feedback::rate;
    use marquee::app::{Caller, Person, Who};
    use marquee::domain::catalog::Genre;
    use marquee::domain::feedback::Stars;
    use marquee::domain::ports::CatalogRepo as _;
    marquee::app::seed_starter_catalog(store)
        .await
        .expect("catalog");
    let movies = store.all_movies().await.expect("movies");
    let of = |g: Genre| -> Vec<marquee::domain::ids::MovieId> {
        movies
            .iter()
            .filter(|m| m.info.genres.first() == Some(&g))
            .map(|m| m.id)
            .take(14)
            .collect()
    };
    let tastes = [
        (of(Genre::Horror), of(Genre::Romance)),
        (of(Genre::Romance), of(Genre::Horror)),
        (of(Genre::Animation), of(Genre::War)),
    ];
    let clock = marquee::outbound::clock::SystemClock;
    let mut users = Vec::new();
    for i in 0..30_usize {
        let snowflake = format!("3100000000000000{i:02}");
        let user = store
            .ensure_user(
                UserKind::Discord,
                &snowflake,
                &format!("fan{i}"),
                Some(guild()),
            )
            .await
            .expect("user");
        let caller = Caller::cli(Person::Discord {
            id: snowflake.parse().expect("a snowflake"),
            name: format!("fan{i}"),
        })
        .in_server(guild());
        let who = Who {
            user,
            caller: &caller,
        };
        let (loved, disliked) = &tastes[i % 3];
        for (j, movie) in loved.iter().enumerate() {
            if (i + j) % 7 != 0 {
                rate(store, &clock, &who, *movie, Stars::new(5.0).expect("stars"))
                    .await
                    .expect("rate");
            }
        }
        for movie in disliked.iter().take(4) {
            rate(store, &clock, &who, *movie, Stars::new(1.0).expect("stars"))
                .await
                .expect("rate");
        }
        users.push(snowflake);
    }
    marquee::app::training::train_and_save(store, 1_700_000_000_000)
        .await
        .expect("train");
    users
}

#[tokio::test]
async fn taste_groups_and_the_taste_map_reach_discord() {
    crate::helpers::with_sqlite_url(|url, store| async move {
        let fans = seed_three_tastes(&store).await;
        let s = start(&url).await;
        let fan = &fans[0];
        let edit = s
            .deferred(command(&s.id(), "tok-taste", fan, "taste", json!([])), true)
            .await;
        let title = edit.body["embeds"][0]["title"].as_str().unwrap_or_default();
        assert!(title.starts_with("Your taste group: "), "{}", edit.body);

        let edit = s
            .deferred(
                command(&s.id(), "tok-map", fan, "tastemap", json!([])),
                true,
            )
            .await;
        assert_eq!(edit.files.len(), 1, "one attachment: {:?}", edit.files);
        let (field, name, bytes) = &edit.files[0];
        assert!(field.starts_with("files["), "{field}");
        assert_eq!(name, "tastemap.png");
        assert!(*bytes > 1_000, "a real picture: {bytes} bytes");
        assert_eq!(
            edit.body["embeds"][0]["image"]["url"],
            "attachment://tastemap.png"
        );
        s.bot.assert_no_unknown_events();
    })
    .await;
}
