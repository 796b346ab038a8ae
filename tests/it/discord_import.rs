//! `/import` through the real binary and the fake Discord: an uploaded Letterboxd ZIP and an
//! IMDb CSV are fetched from the (fake) CDN, imported privately with a summary, a row that fits
//! two films comes with a menu and is stored for the film chosen, the person's picks change, and
//! importing the same file again stores nothing and asks nothing. A file past 25 MB is refused
//! before it is fetched.
#![allow(clippy::too_many_lines)] // one story, told in order

use crate::fake_discord::{APP_ID, Bot, Call, FakeDiscord, GUILD_ID, command, select};
use marquee::domain::events::FeedbackKind;
use marquee::outbound::storage::Store;
use serde_json::{Value, json};

const KIM: &str = "320000000000000001";
const LEE: &str = "320000000000000002";

struct Scene {
    fake: FakeDiscord,
    bot: Bot,
}

/// What an `/import` showed: the summary (the placeholder's edit) and the menu messages.
struct Imported {
    summary: String,
    menus: Vec<Call>,
}

impl Scene {
    fn id(&self) -> String {
        self.fake.snowflake()
    }

    /// `/import` by `user` with `attachment` (as from `host_file`, or made up).
    async fn import(&self, user: &str, attachment: Value) -> Imported {
        let token = format!("tok-import-{}", self.id());
        let file_id = attachment["id"].as_str().expect("attachment id").to_owned();
        let mut d = command(
            &self.id(),
            &token,
            user,
            "import",
            json!([{"name": "file", "type": 11, "value": file_id}]),
        );
        d["data"]["resolved"] = json!({"attachments": {file_id: attachment}});
        let (callback, from) = self.fake.interact(&self.bot, d).await;
        assert_eq!(callback.body["type"], 5, "deferred: {:?}", callback.body);
        assert_eq!(
            callback.body["data"]["flags"].as_u64().unwrap_or(0) & 64,
            64,
            "an import is private: {:?}",
            callback.body
        );
        // The last edit of the placeholder is the summary (a progress line may come first).
        let original = format!("/api/v10/webhooks/{APP_ID}/{token}/messages/@original");
        let summary = self
            .fake
            .wait_call(&self.bot, from, crate::fake_discord::SCENARIO_WAIT, |c| {
                c.method == "PATCH"
                    && c.path == original
                    && c.body["content"]
                        .as_str()
                        .is_some_and(|t| !t.starts_with("Importing "))
            })
            .await;
        assert_eq!(summary.body["allowed_mentions"]["parse"], json!([]));
        let text = summary.body["content"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        // Menus follow the summary; wait for as many as it announces.
        let wanted = if text.contains("for that row") {
            1
        } else {
            text.split("for the first ")
                .nth(1)
                .and_then(|r| r.split(' ').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0)
        };
        let followups = format!("/api/v10/webhooks/{APP_ID}/{token}");
        let mut menus: Vec<Call> = Vec::new();
        for _ in 0..wanted {
            let seen: Vec<std::time::Instant> = menus.iter().map(|m| m.at).collect();
            let menu = self
                .fake
                .wait_call(&self.bot, from, crate::fake_discord::SCENARIO_WAIT, |c| {
                    c.method == "POST" && c.path == followups && !seen.contains(&c.at)
                })
                .await;
            menus.push(menu);
        }
        Imported {
            summary: text,
            menus,
        }
    }

    /// The films on a list `/recommend` shows `user` ("**1. Title (Year)** …" lines).
    async fn picks(&self, user: &str) -> Vec<String> {
        let token = format!("tok-rec-{}", self.id());
        let (callback, from) = self
            .fake
            .interact(
                &self.bot,
                command(&self.id(), &token, user, "recommend", json!([])),
            )
            .await;
        assert_eq!(callback.body["type"], 5);
        let list = self.fake.edit_of(&self.bot, &token, from).await;
        list.body["embeds"][0]["description"]
            .as_str()
            .unwrap_or_default()
            .lines()
            .filter(|l| l.starts_with("**"))
            .map(str::to_owned)
            .collect()
    }

    /// Chooses `value` in the menu of `menu` as `user`: the click's answer.
    async fn choose(&self, user: &str, menu: &Call, value: &str) -> Value {
        let custom_id = menu.body["components"][0]["components"][0]["custom_id"]
            .as_str()
            .expect("a menu")
            .to_owned();
        let token = format!("tok-choose-{}", self.id());
        let message = menu.response.clone();
        let (callback, _) = self
            .fake
            .interact(
                &self.bot,
                select(&self.id(), &token, user, &custom_id, &[value], message),
            )
            .await;
        callback.body
    }
}

/// The `(label, value)` options of a menu message.
fn options(menu: &Call) -> Vec<(String, String)> {
    menu.body["components"][0]["components"][0]["options"]
        .as_array()
        .expect("options")
        .iter()
        .map(|o| {
            (
                o["label"].as_str().unwrap_or_default().to_owned(),
                o["value"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

async fn events(store: &Store, snowflake: &str) -> Vec<(FeedbackKind, String)> {
    crate::helpers::discord_events(store, snowflake)
        .await
        .iter()
        .map(|e| (e.event.kind, e.event.source.clone()))
        .collect()
}

#[tokio::test]
async fn an_uploaded_letterboxd_zip_and_imdb_csv_become_picks_with_a_choice_for_an_ambiguous_row() {
    crate::helpers::with_sqlite_url(|url, store| async move {
        let fake = FakeDiscord::start().await;
        let (bot, _, registration) = fake
            .connect(&url, &[("DISCORD_DEV_GUILD_ID", GUILD_ID)])
            .await;
        let s = Scene { fake, bot };
        // /import is registered with a required attachment option.
        let import = registration.body["commands"]
            .as_array()
            .or_else(|| registration.body.as_array())
            .and_then(|c| c.iter().find(|c| c["name"] == "import").cloned())
            .expect("/import registered");
        assert_eq!(import["options"][0]["type"], 11, "{import}");
        assert_eq!(import["options"][0]["required"], true, "{import}");

        let before = s.picks(KIM).await;
        assert_eq!(before.len(), 5, "{before:?}");

        // A Letterboxd export: sci-fi loved, a title without a year that fits two films, a
        // film the catalog does not have, and the profile (never read).
        let ratings = "\u{feff}Date,Name,Year,Letterboxd URI,Rating\n\
            2024-01-02,Alien,1979,https://boxd.it/1,5\n\
            2024-01-02,Aliens,1986,https://boxd.it/2,5\n\
            2024-01-03,Blade Runner,1982,https://boxd.it/3,4.5\n\
            2024-01-04,The Terminator,1984,https://boxd.it/4,5\n\
            2024-01-06,Dune,,https://boxd.it/6,4.5\n\
            2024-01-07,Zzyzx Road,2006,https://boxd.it/7,2\n";
        let zip = crate::helpers::zip_of(&[
            ("ratings.csv", ratings),
            (
                "profile.csv",
                "Date Joined,Username,Email Address\n2020-01-01,kim,kim@example.com\n",
            ),
        ]);
        let file = s.fake.host_file("letterboxd-kim-2024-03-01-utc.zip", &zip);
        let from = s.fake.calls().len();
        let first = s.import(KIM, file.clone()).await;
        assert!(
            s.fake.calls()[from..]
                .iter()
                .any(|c| c.method == "GET" && c.path.starts_with("/attachments/")),
            "the attachment was fetched from the CDN"
        );
        let text = &first.summary;
        assert!(
            text.contains("Imported your Letterboxd history: 6 rows, 4 matched"),
            "{text}"
        );
        assert!(text.contains("Zzyzx Road (2006)"), "not in the catalog: {text}");
        assert!(text.contains("Dune"), "{text}");
        assert!(!text.contains("kim@example.com"), "{text}");
        assert_eq!(first.menus.len(), 1, "one menu, for Dune: {text}");
        let menu = &first.menus[0];
        assert_eq!(menu.body["flags"].as_u64().unwrap_or(0) & 64, 64, "private");
        let choices = options(menu);
        let labels: Vec<&str> = choices.iter().map(|(l, _)| l.as_str()).collect();
        assert!(
            labels.contains(&"Dune (1984)") && labels.contains(&"Dune (2021)"),
            "{labels:?}"
        );
        assert_eq!(labels.last(), Some(&"None of these"));
        let id = menu.body["components"][0]["components"][0]["custom_id"]
            .as_str()
            .unwrap_or_default();
        assert!(id.starts_with("mq:hc:") && id.len() <= 100, "{id}");
        let stored = events(&store, KIM).await;
        assert_eq!(stored.len(), 4, "four ratings, nothing guessed for Dune");

        // Someone else cannot choose for Kim's row.
        let dune_2021 = &choices
            .iter()
            .find(|(l, _)| l == "Dune (2021)")
            .expect("Dune (2021)")
            .1;
        let refused = s.choose(LEE, menu, dune_2021).await;
        assert_eq!(refused["type"], 4, "a private refusal: {refused}");
        assert!(
            refused["data"]["content"]
                .as_str()
                .unwrap_or_default()
                .contains("someone else's import"),
            "{refused}"
        );
        assert_eq!(events(&store, KIM).await.len(), 4);

        // Kim chooses Dune (2021): stored, then the menu is replaced by the confirmation.
        let chosen = s.choose(KIM, menu, dune_2021).await;
        assert_eq!(chosen["type"], 7, "the menu message is updated: {chosen}");
        let said = chosen["data"]["content"].as_str().unwrap_or_default();
        assert!(
            said.contains("Stored for Dune (2021)") && said.contains("4.5★"),
            "{said}"
        );
        assert_eq!(chosen["data"]["components"], json!([]), "{chosen}");
        let stored = events(&store, KIM).await;
        assert_eq!(stored.len(), 5, "{stored:?}");
        assert!(
            stored
                .iter()
                .all(|(k, source)| *k == FeedbackKind::Rating && source == "letterboxd"),
            "{stored:?}"
        );
        // Choosing again changes nothing.
        let again = s.choose(KIM, menu, &choices[0].1).await;
        assert!(
            again["data"]["content"]
                .as_str()
                .unwrap_or_default()
                .contains("already chose Dune (2021)"),
            "{again}"
        );
        assert_eq!(events(&store, KIM).await.len(), 5);

        // An IMDb CSV (the current 14 columns) adds more, and a series is left out.
        let imdb = "Const,Your Rating,Date Rated,Title,Original Title,URL,Title Type,IMDb Rating,Runtime (mins),Year,Genres,Num Votes,Release Date,Directors\n\
            tt0088247,9,2024-02-01,The Terminator,The Terminator,https://www.imdb.com/title/tt0088247/,Movie,8.1,107,1984,\"Action, Sci-Fi\",900000,1984-10-26,James Cameron\n\
            tt0133093,10,2024-02-02,The Matrix,The Matrix,https://www.imdb.com/title/tt0133093/,Movie,8.7,136,1999,\"Action, Sci-Fi\",2000000,1999-03-31,Lana Wachowski\n\
            tt0903747,10,2024-02-03,Breaking Bad,Breaking Bad,https://www.imdb.com/title/tt0903747/,TV Series,9.5,49,2008,Drama,2000000,2008-01-20,\n";
        let file_imdb = s.fake.host_file("ratings.csv", imdb.as_bytes());
        let second = s.import(KIM, file_imdb).await;
        assert!(
            second.summary.contains("Imported your IMDb history: 2 rows, 2 matched"),
            "{}",
            second.summary
        );
        assert!(second.summary.contains("1 series or episodes left out"));
        assert!(second.menus.is_empty());
        let stored = events(&store, KIM).await;
        assert_eq!(stored.len(), 7, "{stored:?}");

        let after = s.picks(KIM).await;
        assert_eq!(after.len(), 5);
        assert_ne!(after, before, "the history changed Kim's picks");
        for film in ["Alien (1979)", "Dune (2021)", "The Matrix (1999)", "Matrix, The (1999)"] {
            assert!(
                !after.iter().any(|l| l.contains(film)),
                "a film from the history is not picked again: {film} in {after:?}"
            );
        }

        // The same export again: nothing new, and Dune is not asked again.
        let third = s.import(KIM, file).await;
        assert!(
            third.summary.contains("0 new feedback stored, 5 already there"),
            "{}",
            third.summary
        );
        assert!(third.menus.is_empty(), "{}", third.summary);
        assert_eq!(events(&store, KIM).await.len(), 7);

        // Something else than an export: refused whole, with what Marquee reads.
        let other = s.fake.host_file(
            "watchlist.csv",
            b"=HYPERLINK(\"http://x.invalid\"),name\n1,2\n",
        );
        let refused = s.import(KIM, other).await;
        assert!(
            refused.summary.contains("could not be imported")
                && refused.summary.contains("Letterboxd's export"),
            "{}",
            refused.summary
        );
        assert_eq!(events(&store, KIM).await.len(), 7);

        // An address that has expired: said so, nothing stored.
        let mut gone = s.fake.host_file("ratings.csv", imdb.as_bytes());
        let url = gone["url"].as_str().unwrap_or_default().replace("/ratings.csv", "/expired.csv");
        gone["url"] = json!(url);
        let expired = s.import(KIM, gone).await;
        assert!(
            expired.summary.contains("couldn't fetch ratings.csv from Discord (Discord answered 404)")
                && !expired.summary.contains("127.0.0.1"),
            "{}",
            expired.summary
        );
        assert_eq!(events(&store, KIM).await.len(), 7);

        // 50 MB: refused before anything is fetched.
        let from = s.fake.calls().len();
        let big = json!({
            "id": s.id(),
            "filename": "huge.zip",
            "size": 50 << 20,
            "url": "http://127.0.0.1:9/attachments/none/huge.zip",
            "proxy_url": "http://127.0.0.1:9/attachments/none/huge.zip",
        });
        let refused = s.import(KIM, big).await;
        assert!(
            refused.summary.contains("up to 25 MB") && refused.summary.contains("Nothing was imported"),
            "{}",
            refused.summary
        );
        assert!(
            !s.fake.calls()[from..]
                .iter()
                .any(|c| c.path.starts_with("/attachments/")),
            "nothing fetched"
        );
        assert_eq!(events(&store, KIM).await.len(), 7);
        s.bot.assert_no_unknown_events();
    })
    .await;
}
