//! The taste quiz through the real binary and the fake Discord: offered under a newcomer's
//! first list, run privately with buttons (each answer stored before the next film shows),
//! and the picks after it are different and personal.

use crate::fake_discord::{
    Bot, Call, FakeDiscord, GUILD_ID, command, component, custom_ids, shown_message,
};
use marquee::domain::events::FeedbackKind;
use marquee::outbound::storage::Store;
use serde_json::{Value, json};

const KIM: &str = "310000000000000001";
const LEE: &str = "310000000000000002";

struct Scene {
    fake: FakeDiscord,
    bot: Bot,
}

impl Scene {
    async fn start(url: &str) -> Scene {
        let fake = FakeDiscord::start().await;
        let (bot, _, _) = fake
            .connect(url, &[("DISCORD_DEV_GUILD_ID", GUILD_ID)])
            .await;
        Scene { fake, bot }
    }

    fn id(&self) -> String {
        self.fake.snowflake()
    }

    /// A deferred interaction's edit, after checking the deferral is private or public.
    async fn deferred(&self, d: Value, private: bool) -> Call {
        let token = d["token"].as_str().expect("token").to_owned();
        let (callback, from) = self.fake.interact(&self.bot, d).await;
        assert_eq!(callback.body["type"], 5, "deferred: {:?}", callback.body);
        assert_eq!(
            callback.body["data"]["flags"].as_u64().unwrap_or(0) & 64 != 0,
            private,
            "{:?}",
            callback.body
        );
        self.fake.edit_of(&self.bot, &token, from).await
    }

    /// `/recommend` by `user`: the list message.
    async fn recommend(&self, user: &str) -> Call {
        let token = format!("tok-rec-{}", self.id());
        self.deferred(
            command(&self.id(), &token, user, "recommend", json!([])),
            false,
        )
        .await
    }

    /// Clicks `custom_id` on `message` as `user` and returns the message as the click left it
    /// (answered by an update, type 7).
    async fn click_update(&self, user: &str, custom_id: &str, message: &Call) -> Call {
        let token = format!("tok-click-{}", self.id());
        let (callback, _) = self
            .fake
            .interact(
                &self.bot,
                component(&self.id(), &token, user, custom_id, shown_message(message)),
            )
            .await;
        self.fake.updated(&callback)
    }
}

/// Discord's component limits: at most 5 rows of at most 5 buttons, ids of at most 100
/// characters, labels of at most 80.
fn within_limits(body: &Value) {
    let rows = body["components"].as_array().cloned().unwrap_or_default();
    assert!(rows.len() <= 5, "{body}");
    for row in rows {
        let items = row["components"].as_array().cloned().unwrap_or_default();
        assert!((1..=5).contains(&items.len()), "{row}");
        for c in items {
            let id = c["custom_id"].as_str().unwrap_or_default();
            assert!(id.len() <= 100, "{id}");
            let label = c["label"].as_str().unwrap_or_default();
            assert!(label.chars().count() <= 80, "{label}");
        }
    }
}

/// The lines of a list message: "**1. Title (Year)** · genres", then "↳ reason".
fn lines(list: &Call) -> Vec<String> {
    list.body["embeds"][0]["description"]
        .as_str()
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn titles(list: &Call) -> Vec<String> {
    lines(list)
        .into_iter()
        .filter(|l| l.starts_with("**"))
        .collect()
}

fn quiz_title(card: &Call) -> String {
    card.body["embeds"][0]["title"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The film a quiz card asks about (the first line of its description, without the bold).
fn asked_film(card: &Call) -> String {
    card.body["embeds"][0]["description"]
        .as_str()
        .unwrap_or_default()
        .lines()
        .next()
        .unwrap_or_default()
        .trim_matches('*')
        .to_owned()
}

/// The id of the answer button `key` (l, k, n, u) on a quiz card.
fn answer_id(card: &Call, key: char) -> String {
    custom_ids(&card.body)
        .into_iter()
        .find(|id| {
            id.starts_with("mq:qz:a:") && id.split(':').nth(4) == Some(key.to_string().as_str())
        })
        .unwrap_or_else(|| panic!("no answer {key} on {:?}", card.body))
}

async fn ratings(store: &Store, snowflake: &str) -> usize {
    crate::helpers::discord_events(store, snowflake)
        .await
        .iter()
        .filter(|e| e.event.kind == FeedbackKind::Rating)
        .count()
}

#[tokio::test]
async fn a_newcomer_is_offered_the_quiz_answers_it_with_buttons_and_gets_personal_picks() {
    crate::helpers::with_sqlite_url(|url, store| async move {
        let s = Scene::start(&url).await;

        // The first list offers the quiz; the offer is a button of the list.
        let first = s.recommend(KIM).await;
        let ids = custom_ids(&first.body);
        assert!(ids.iter().any(|id| id == "mq:qz:go"), "{ids:?}");
        let before = titles(&first);
        assert_eq!(before.len(), 5, "{before:?}");

        // The offer opens a private quiz.
        let token = format!("tok-go-{}", s.id());
        let mut card = s
            .deferred(
                component(&s.id(), &token, KIM, "mq:qz:go", shown_message(&first)),
                true,
            )
            .await;
        assert_eq!(quiz_title(&card), "Taste quiz · film 1", "{:?}", card.body);
        within_limits(&card.body);
        assert_eq!(card.body["allowed_mentions"]["parse"], json!([]));

        // Seven answers: five with stars, two "haven't seen"; every film asked once.
        let answers = ['l', 'u', 'l', 'k', 'n', 'u', 'l'];
        let mut asked = vec![asked_film(&card)];
        for (i, key) in answers.into_iter().enumerate() {
            card = s.click_update(KIM, &answer_id(&card, key), &card).await;
            assert!(
                card.body["content"]
                    .as_str()
                    .unwrap_or_default()
                    .starts_with('✓'),
                "the answer is confirmed: {:?}",
                card.body
            );
            if i + 1 < answers.len() {
                assert_eq!(quiz_title(&card), format!("Taste quiz · film {}", i + 2));
                let film = asked_film(&card);
                assert!(!asked.contains(&film), "{film} asked twice: {asked:?}");
                asked.push(film);
            }
        }
        assert_eq!(ratings(&store, KIM).await, 5, "stored before each answer");
        let footer = card.body["embeds"][0]["footer"]["text"]
            .as_str()
            .unwrap_or_default();
        assert!(footer.contains("personal now"), "{footer}");

        // Stop: the quiz ends, the answers stay.
        let stop = custom_ids(&card.body)
            .into_iter()
            .find(|id| id.starts_with("mq:qz:stop:"))
            .expect("a Stop button");
        let end = s.click_update(KIM, &stop, &card).await;
        let text = end.body["content"].as_str().unwrap_or_default();
        assert!(
            text.contains("Quiz stopped") && text.contains("5 answers"),
            "{text}"
        );
        assert_eq!(custom_ids(&end.body), ["mq:qz:picks"]);

        // "Show my picks": a public list, different from the first and explained by the answers.
        let token = format!("tok-picks-{}", s.id());
        let after = s
            .deferred(
                component(&s.id(), &token, KIM, "mq:qz:picks", shown_message(&end)),
                false,
            )
            .await;
        let after_titles = titles(&after);
        assert_eq!(after_titles.len(), 5);
        assert_ne!(after_titles, before, "the quiz changed the picks");
        let reasons = lines(&after);
        assert!(
            reasons
                .iter()
                .any(|l| l.contains("because you liked") || l.contains("matches")),
            "{reasons:?}"
        );
        // A film answered with stars is in the person's history; "haven't seen" ones may come back.
        for (film, key) in asked.iter().zip(answers) {
            assert!(
                key == 'u' || !after_titles.iter().any(|l| l.contains(film.as_str())),
                "a rated film is not picked again: {film}"
            );
        }
        assert!(
            !custom_ids(&after.body).iter().any(|id| id == "mq:qz:go"),
            "no second offer"
        );

        // Someone else pressing the offer on Kim's list gets a quiz of their own.
        let token = format!("tok-go-lee-{}", s.id());
        let lee = s
            .deferred(
                component(&s.id(), &token, LEE, "mq:qz:go", shown_message(&first)),
                true,
            )
            .await;
        let lee = s.click_update(LEE, &answer_id(&lee, 'k'), &lee).await;
        assert_eq!(quiz_title(&lee), "Taste quiz · film 2");
        assert_eq!(ratings(&store, LEE).await, 1);
        assert_eq!(ratings(&store, KIM).await, 5);
        s.bot.assert_no_unknown_events();
    })
    .await;
}

#[tokio::test]
async fn slash_quiz_is_private_and_a_forged_answer_is_refused_politely() {
    crate::helpers::with_sqlite_url(|url, store| async move {
        let s = Scene::start(&url).await;
        let token = format!("tok-quiz-{}", s.id());
        let card = s
            .deferred(command(&s.id(), &token, KIM, "quiz", json!([])), true)
            .await;
        assert_eq!(quiz_title(&card), "Taste quiz · film 1");
        // An answer naming a film that does not exist stores nothing and says so privately.
        let (callback, _) = s
            .fake
            .interact(
                &s.bot,
                component(
                    &s.id(),
                    "tok-forged",
                    KIM,
                    "mq:qz:a:zzzzzz:l:0:",
                    shown_message(&card),
                ),
            )
            .await;
        assert_eq!(callback.body["type"], 4, "{:?}", callback.body);
        assert_eq!(callback.body["data"]["flags"], 64);
        assert_eq!(ratings(&store, KIM).await, 0);
    })
    .await;
}
