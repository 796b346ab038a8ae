//! `/import file:<attachment>`: a Letterboxd, IMDb or Trakt export, uploaded, becomes the
//! person's history in this server. The answer is private. The attachment is fetched at once
//! (its CDN address is signed and expires), within the size exports are accepted at; files
//! of a megabyte or more get a progress line first. The summary replaces the placeholder, and
//! each row that fits several films comes as a private message of its own with a menu of the
//! candidates (and "none of these"); choosing stores that row for the film chosen.

use super::Handler;
use super::custom_id::ComponentId;
use super::interaction::{Acked, Ix};
use super::render::{self, Out, clip, limits};
use crate::app::history::{Ambiguity, HistorySummary};
use crate::app::{Command, HISTORY_MAX_BYTES, Reply};
use crate::domain::ids::MovieId;
use serenity::all::{
    AttachmentId, CommandInteraction, ComponentInteraction, Context, CreateActionRow,
    CreateSelectMenu, CreateSelectMenuKind, CreateSelectMenuOption,
};
use std::fmt::Write as _;
use std::time::Duration;

/// The most rows asked about with a menu after one import (a message each); the rest are
/// listed in the summary and asked again at the next import of the file.
pub const MAX_MENUS: usize = 10;

/// Files of this size or more get a progress line while they are fetched and matched.
const PROGRESS_FROM: u64 = 1 << 20;

/// How long fetching an attachment may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(60);

/// The select value for "none of these".
pub const NONE_OF_THESE: &str = "none";

/// Why an attachment could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("it is larger than 25 MB")]
    TooLarge,
    #[error("Discord answered {0}")]
    Status(u16),
    /// Without the address (signed: it is not logged).
    #[error("{0}")]
    Http(reqwest::Error),
}

impl From<reqwest::Error> for FetchError {
    fn from(e: reqwest::Error) -> Self {
        FetchError::Http(e.without_url())
    }
}

/// The bytes at `url`, refused past `limit` (without reading further).
///
/// # Errors
/// The request fails, Discord does not answer 200, or the file is larger than `limit`.
pub async fn fetch(url: &str, limit: u64) -> Result<Vec<u8>, FetchError> {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    let client = CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .build()
            .unwrap_or_default()
    });
    let mut response = client.get(url).send().await?;
    if !response.status().is_success() {
        return Err(FetchError::Status(response.status().as_u16()));
    }
    if response.content_length().is_some_and(|n| n > limit) {
        return Err(FetchError::TooLarge);
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if (bytes.len() + chunk.len()) as u64 > limit {
            return Err(FetchError::TooLarge);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// "4.5 MB".
fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / f64::from(1 << 20))
}

/// The menu message for a row that fits several films.
pub fn choice_menu(a: &Ambiguity) -> Out {
    let (title, said) = (a.title(), a.said());
    let mut options: Vec<CreateSelectMenuOption> = a
        .choices
        .iter()
        .take(24)
        .map(|(movie, film)| {
            CreateSelectMenuOption::new(clip(film, limits::OPTION_LABEL), movie.0.to_string())
        })
        .collect();
    options.push(
        CreateSelectMenuOption::new("None of these", NONE_OF_THESE)
            .description("Leave this row out"),
    );
    let menu = CreateSelectMenu::new(
        ComponentId::HistoryChoice(a.choice).encode(),
        CreateSelectMenuKind::String { options },
    )
    .placeholder(clip(&format!("Which film is \"{title}\"?"), 150));
    Out {
        content: clip(
            &format!(
                "**{}** ({said}; {} line {}) fits several films. Which one did you mean?",
                render::escape(&title),
                render::escape(&a.row.file),
                a.row.line
            ),
            limits::CONTENT,
        ),
        components: vec![CreateActionRow::SelectMenu(menu)],
        ephemeral: true,
        ..Out::default()
    }
}

/// The summary as the placeholder's replacement: the counts, and what happens to the rows
/// that fit several films.
pub fn summary(summary: &HistorySummary) -> Out {
    let asked = summary
        .ambiguous
        .iter()
        .filter(|a| Ambiguity::askable(a))
        .count();
    let shown = asked.min(MAX_MENUS);
    // What to do next comes last and is never cut: the counts and lists above it are.
    let mut next = String::new();
    if shown == 1 {
        next.push_str("Choose the film for that row in the message below.");
    } else if shown > 1 {
        let _ = write!(
            next,
            "Choose the film for the first {shown} rows in the messages below."
        );
    }
    if asked > shown {
        let _ = write!(
            next,
            " The other {} stay waiting: /import the file again to choose for them.",
            asked - shown
        );
    }
    if summary.stored > 0 {
        if !next.is_empty() {
            next.push('\n');
        }
        next.push_str("Your /recommend picks now use this history.");
    }
    let room = limits::CONTENT - next.chars().count() - 1;
    let text = summary.to_string();
    // Titles and reasons come from the file: shown as written, never as markdown.
    let text = clip(&render::escape(text.trim_end()), room);
    Out::text(
        if next.is_empty() {
            text
        } else {
            format!("{text}\n{next}")
        },
        true,
    )
}

impl Handler {
    /// A film chosen in the menu of a row that fits several: stored, then the menu message
    /// says so (a refusal, such as someone else's row, comes privately).
    pub(super) async fn choose(
        &self,
        ctx: &Context,
        c: &ComponentInteraction,
        choice: i64,
        (since, acked): (std::time::Instant, &mut Acked),
    ) -> anyhow::Result<()> {
        let movie = match super::components::first_choice(c) {
            Some(NONE_OF_THESE) => Some(None),
            Some(v) => v.parse::<i64>().ok().map(|m| Some(MovieId(m))),
            None => None,
        };
        let Some(movie) = movie else {
            let out = Out::text("Pick a film from the menu.", true);
            return Ok(Ix::Component(c).answer(ctx, &out, acked).await?);
        };
        let command = Command::ChooseHistory { choice, movie };
        let no_menu = |_: &Reply, out: &mut Out| out.components.clear();
        self.update_after(ctx, Ix::Component(c), (since, acked), command, no_menu)
            .await
    }

    /// `/import`: fetches the attachment, imports it, shows the summary and a menu for each
    /// row that fits several films.
    pub(super) async fn import(
        &self,
        ctx: &Context,
        cmd: &CommandInteraction,
        attachment: Option<AttachmentId>,
        acked: &mut Acked,
    ) -> anyhow::Result<()> {
        let ix = Ix::Command(cmd);
        ix.defer(ctx, true, acked).await?;
        let Some(file) = attachment.and_then(|id| cmd.data.resolved.attachments.get(&id)) else {
            let out = Out::text(
                "Attach your export to /import: Letterboxd's ZIP (Settings → Import & Export → Export your data), IMDb's ratings.csv (Your ratings → Export) or Trakt's ZIP.",
                true,
            );
            ix.edit(ctx, &out).await?;
            return Ok(());
        };
        let shown = render::escape(&file.filename);
        let size = u64::from(file.size);
        if size > HISTORY_MAX_BYTES {
            let out = Out::text(
                format!(
                    "{shown} is {}; exports up to 25 MB are accepted. Nothing was imported. (Letterboxd's and Trakt's ZIPs are far smaller: check it is the export.)",
                    megabytes(size)
                ),
                true,
            );
            ix.edit(ctx, &out).await?;
            return Ok(());
        }
        if size >= PROGRESS_FROM {
            let out = Out::text(
                format!(
                    "Importing {shown} ({}): reading it and matching every row to a film. The summary comes here in a few seconds.",
                    megabytes(size)
                ),
                true,
            );
            ix.edit(ctx, &out).await?;
        }
        let bytes = match fetch(&file.url, HISTORY_MAX_BYTES).await {
            Ok(bytes) => bytes,
            Err(e) => {
                tracing::warn!(error = %e, "could not fetch an uploaded export");
                let out = Out::text(
                    format!(
                        "I couldn't fetch {shown} from Discord ({e}). Nothing was imported; please upload it again."
                    ),
                    true,
                );
                ix.edit(ctx, &out).await?;
                return Ok(());
            }
        };
        let command = Command::ImportHistory {
            name: file.filename.clone(),
            bytes,
            expected: None,
        };
        let reply = self.app.handle(&self.caller(ix), command).await?;
        let Reply::HistoryImported(done) = &reply else {
            ix.edit(ctx, &render::reply(&reply)).await?;
            return Ok(());
        };
        ix.edit(ctx, &summary(done)).await?;
        for a in done
            .ambiguous
            .iter()
            .filter(|a| Ambiguity::askable(a))
            .take(MAX_MENUS)
        {
            ix.followup(ctx, &choice_menu(a)).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::history::{HistoryRow, Said};

    fn row(title: &str, choices: usize, choice: i64) -> Ambiguity {
        Ambiguity {
            row: HistoryRow {
                file: "diary.csv".into(),
                line: 12,
                title: title.into(),
                year: Some(1999),
                imdb: None,
                tmdb: None,
                said: Said::Reviewed {
                    text: "ok".into(),
                    stars: Some(3.5),
                },
                at_ms: None,
            },
            choices: (0..choices)
                .map(|i| {
                    (
                        MovieId(i as i64 + 1),
                        format!("{} {i} (1999)", "T".repeat(120)),
                    )
                })
                .collect(),
            choice,
        }
    }

    #[test]
    fn a_menu_stays_within_discords_limits_and_offers_none_of_these() {
        let out = choice_menu(&row(&"Long title ".repeat(30), 40, i64::MAX));
        let json = serde_json::to_value(out.response()).expect("json");
        let menu = &json["components"][0]["components"][0];
        let options = menu["options"].as_array().expect("options");
        assert_eq!(options.len(), 25, "Discord's most");
        assert_eq!(options[24]["value"], NONE_OF_THESE);
        assert!(options.iter().all(|o| {
            o["label"]
                .as_str()
                .is_some_and(|l| l.chars().count() <= 100)
        }));
        assert!(
            menu["placeholder"]
                .as_str()
                .expect("placeholder")
                .chars()
                .count()
                <= 150
        );
        assert!(menu["custom_id"].as_str().expect("id").len() <= 100);
        assert_eq!(json["flags"], 64, "private");
        assert!(
            out.content.contains("reviewed, 3.5★; diary.csv line 12"),
            "{}",
            out.content
        );
    }

    #[test]
    fn the_summary_says_where_to_choose_and_what_waits() {
        let mut summary = HistorySummary {
            rows: 20,
            ambiguous: (0..12).map(|i| row("Heat", 2, i + 1)).collect(),
            ..HistorySummary::default()
        };
        let text = super::summary(&summary).content;
        assert!(text.chars().count() <= 2000, "{text}");
        assert!(text.starts_with("Imported your history: 20 rows"), "{text}");
        assert!(
            text.contains("for the first 10 rows in the messages below")
                && text.contains("The other 2 stay waiting"),
            "{text}"
        );
        summary.ambiguous.truncate(1);
        let text = super::summary(&summary).content;
        assert!(
            text.contains("for that row in the message below."),
            "{text}"
        );
        assert!(!text.contains("recommend"), "nothing stored: {text}");
        summary.ambiguous.clear();
        summary.stored = 3;
        summary.not_in_catalog = vec!["*batteries not included [1987](https://x.invalid)".into()];
        summary.not_in_catalog_count = 1;
        let text = super::summary(&summary).content;
        assert!(
            text.contains(r"\*batteries not included \[1987\](https://x.invalid)"),
            "a title from the file is shown as written, not as markdown: {text}"
        );
        assert!(
            !text.contains("Choose") && text.contains("/recommend"),
            "{text}"
        );
    }
}
