//! The first five minutes of a new server, end to end through the fake Discord: `/tastemap`
//! says how many ratings it still needs (for the caller and for the others), two members rate
//! five films each, and then the map is a PNG; the bot retrains on its own soon after (a short
//! debounce here), so `/taste` places both members in a group without anyone running
//! `marquee train`.
#![allow(clippy::too_many_lines)] // one end-to-end story

use crate::fake_discord::{Bot, Call, FakeDiscord, GUILD_ID, command};
use serde_json::{Value, json};
use std::time::Duration;

/// How long the retrain may take to show (the brief: within a minute).
const WITHIN: Duration = Duration::from_secs(60);
const ALICE: &str = "300000000000000001";
const BOB: &str = "300000000000000002";

struct Scene {
    fake: FakeDiscord,
    bot: Bot,
}

impl Scene {
    /// A slash command by `user`: the message that answers it (the edit after a deferral).
    async fn run(&self, user: &str, name: &str, options: Value) -> Call {
        let id = self.fake.snowflake();
        let token = format!("tok-{id}");
        let (callback, from) = self
            .fake
            .interact(&self.bot, command(&id, &token, user, name, options))
            .await;
        if callback.body["type"] == 5 {
            self.fake.edit_of(&self.bot, &token, from).await
        } else {
            callback
        }
    }

    async fn rate(&self, user: &str, title: &str, stars: f64) {
        let answer = self
            .run(
                user,
                "rate",
                json!([
                    {"name": "movie", "type": 3, "value": title},
                    {"name": "stars", "type": 10, "value": stars}
                ]),
            )
            .await;
        assert!(
            text(&answer).contains("Rated **"),
            "{title}: {}",
            text(&answer)
        );
    }

    async fn map(&self, user: &str) -> Call {
        self.run(user, "tastemap", json!([])).await
    }
}

/// Everything a message says, embeds included.
fn text(call: &Call) -> String {
    format!("{} {}", call.body["content"], call.body["embeds"])
}

#[tokio::test]
async fn a_new_server_gets_its_taste_map_after_two_people_rate_five_films_and_groups_follow_within_a_minute()
 {
    crate::helpers::with_sqlite_url(|url, _store| async move {
        let fake = FakeDiscord::start().await;
        let (bot, _, _) = fake
            .connect(
                &url,
                &[
                    ("DISCORD_DEV_GUILD_ID", GUILD_ID),
                    ("MARQUEE_RETRAIN_QUIET_SECONDS", "1"),
                    ("MARQUEE_RETRAIN_MAX_WAIT_SECONDS", "2"),
                ],
            )
            .await;
        let s = Scene { fake, bot };

        // Nobody has rated anything: the whole way to go.
        let first = s.map(ALICE).await;
        assert!(first.files.is_empty(), "no picture yet");
        assert!(
            text(&first).contains(
                "it needs two people here with at least 5 rated films each (stars, a review or a reaction). You have none yet (5 more), and nobody else here has rated a film yet."
            ),
            "{}",
            text(&first)
        );

        // Three of Alice's, two of Bob's: the numbers follow, for each of them.
        for title in ["Alien 1979", "Heat 1995", "The Godfather 1972"] {
            s.rate(ALICE, title, 5.0).await;
        }
        for title in ["Toy Story 1995", "Groundhog Day 1993"] {
            s.rate(BOB, title, 4.5).await;
        }
        let alice = text(&s.map(ALICE).await);
        assert!(
            alice.contains(
                "You have 3 (2 more), and nobody else here has 5 yet (the closest has 2: 3 more)."
            ),
            "{alice}"
        );
        let bob = text(&s.map(BOB).await);
        assert!(
            bob.contains(
                "You have 2 (3 more), and nobody else here has 5 yet (the closest has 3: 2 more)."
            ),
            "{bob}"
        );

        // Alice reaches five; Bob is told one other person has enough.
        for title in ["Blade Runner 1982", "The Matrix 1999"] {
            s.rate(ALICE, title, 4.5).await;
        }
        let bob = text(&s.map(BOB).await);
        assert!(
            bob.contains("You have 2 (3 more), and one other person here has 5 already."),
            "{bob}"
        );
        for title in ["Airplane! 1980", "The Princess Bride 1987", "Amélie 2001"] {
            s.rate(BOB, title, 4.5).await;
        }
        let last_rating = tokio::time::Instant::now();

        // Two people with five ratings each: a picture, with Alice on it.
        let deadline = tokio::time::Instant::now() + WITHIN;
        let map = loop {
            let map = s.map(ALICE).await;
            if !map.files.is_empty() {
                break map;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no taste map within {WITHIN:?}: {}",
                text(&map)
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        };
        assert_eq!(map.files.len(), 1, "{:?}", map.files);
        assert_eq!(map.files[0].1, "tastemap.png");
        assert!(
            map.file_data[0].starts_with(b"\x89PNG\r\n\x1a\n"),
            "a PNG image"
        );
        assert_eq!(
            map.body["embeds"][0]["image"]["url"],
            "attachment://tastemap.png"
        );
        let caption = map.body["embeds"][0]["description"]
            .as_str()
            .unwrap_or_default();
        assert!(
            caption.contains("Everyone is in one taste group for now")
                && caption.contains("at least 10 people"),
            "two people are one group, and the caption says so: {caption}"
        );
        assert!(!caption.contains("not on it"), "{caption}");

        // Nobody ran `marquee train`: the bot retrained on its own, so the taste groups (what
        // `/taste`, group favourites and watch parties use) have both of them.
        for who in [ALICE, BOB] {
            let deadline = tokio::time::Instant::now() + WITHIN;
            loop {
                let taste = s.run(who, "taste", json!([])).await;
                let said = text(&taste);
                if !said.contains("not in a taste group yet") {
                    assert!(
                        said.contains("Your taste group") && said.contains("2 people in this group"),
                        "{who} is in the group of both: {said}"
                    );
                    break;
                }
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "no taste group within {WITHIN:?} of the last rating: {said}\n{}",
                    s.bot.log().join("\n")
                );
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
        eprintln!(
            "both people were in a taste group {:.1} s after the last rating",
            last_rating.elapsed().as_secs_f64()
        );
        assert!(
            s.bot.log_contains("model retrained"),
            "{}",
            s.bot.log().join("\n")
        );
        s.bot.assert_no_unknown_events();
    })
    .await;
}
