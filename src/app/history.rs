//! Bringing a person's history from another site (`/import`, `marquee import letterboxd|imdb|
//! trakt`): the export is read ([`crate::outbound::import::history`]), each row matched to a film
//! ([`HistoryMatcher`]), and what was matched stored in one transaction as the person's feedback
//! in this server: ratings as ratings, watched films as seen, the watchlist as a weak liking that
//! never hides a film, reviews read by VADER like `/review`. Every event carries a key made of
//! what it says (site, kind, film, value, date), so importing the same export again stores
//! nothing and a newer export adds only what is new. Rows that fit several films are returned
//! with their choices; nothing is guessed.

use crate::app::reply::Reply;
use crate::app::services::{Services, Who};
use crate::domain::events::{FeedbackKind, NewFeedbackEvent, NewReview};
use crate::domain::feedback::{ReactionMap, Signal, Stars, build_event};
use crate::domain::history::{HistoryMatcher, HistoryRow, HistorySource, How, Match, Said};
use crate::domain::ids::MovieId;
use crate::domain::ports::FeedbackRepo as _;
use crate::domain::sentiment::{MAX_REVIEW_CHARS, SentimentScorer as _};
use crate::outbound::import::history::{ExportError, read_export};
use std::collections::BTreeMap;
use std::fmt;

/// The confidence of a watchlist entry: a liking, weaker than any reaction.
const WATCHLIST_WEIGHT: f64 = 0.3;
/// The implicit rating of a watchlist entry.
const WATCHLIST_VALUE: f64 = 4.0;
/// Rows of each kind a summary names (the counts are always whole).
const NAMED: usize = 25;

/// A row that fits several films, with the films it fits.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Ambiguity {
    pub row: HistoryRow,
    /// The candidates, best known first: id and "Title (Year)".
    pub choices: Vec<(MovieId, String)>,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct HistorySummary {
    pub source: Option<HistorySource>,
    /// Rows read (films only).
    pub rows: usize,
    /// Rows matched to a film, by how.
    pub matched: BTreeMap<String, usize>,
    /// Events stored now, and those already stored by an earlier import.
    pub stored: u64,
    pub already: u64,
    pub ambiguous: Vec<Ambiguity>,
    /// Rows about a film the catalog does not have: "Title (Year)" (the first [`NAMED`]) and
    /// how many in all.
    pub not_in_catalog: Vec<String>,
    pub not_in_catalog_count: usize,
    /// Malformed rows: (file, line, why) (the first [`NAMED`]) and how many in all.
    pub malformed: Vec<(String, usize, String)>,
    pub malformed_count: usize,
    /// Rows about series or episodes, left out.
    pub not_films: usize,
}

impl HistorySummary {
    /// Rows matched, all ways together.
    pub fn matched_count(&self) -> usize {
        self.matched.values().sum()
    }
}

impl fmt::Display for HistorySummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let site = self.source.map_or("the", HistorySource::display);
        writeln!(
            f,
            "Imported your {site} history: {} rows, {} matched to films ({} new feedback stored, {} already there).",
            self.rows,
            self.matched_count(),
            self.stored,
            self.already
        )?;
        if !self.ambiguous.is_empty() {
            writeln!(
                f,
                "{} rows fit several films; say which one with `rate`:",
                self.ambiguous.len()
            )?;
            for a in self.ambiguous.iter().take(NAMED) {
                let choices: Vec<&str> = a.choices.iter().map(|(_, l)| l.as_str()).collect();
                writeln!(
                    f,
                    "  {}:{} \"{}\" → {}",
                    a.row.file,
                    a.row.line,
                    label(&a.row.title, a.row.year),
                    choices.join(" | ")
                )?;
            }
        }
        if self.not_in_catalog_count > 0 {
            writeln!(
                f,
                "{} not in the catalog: {}{}",
                self.not_in_catalog_count,
                self.not_in_catalog.join(", "),
                if self.not_in_catalog_count > self.not_in_catalog.len() {
                    ", …"
                } else {
                    ""
                }
            )?;
        }
        if self.malformed_count > 0 {
            writeln!(f, "{} rows could not be read:", self.malformed_count)?;
            for (file, line, why) in &self.malformed {
                writeln!(f, "  {file}:{line}: {why}")?;
            }
        }
        if self.not_films > 0 {
            writeln!(f, "{} series or episodes left out.", self.not_films)?;
        }
        Ok(())
    }
}

fn label(title: &str, year: Option<i32>) -> String {
    year.map_or_else(|| title.to_owned(), |y| format!("{title} ({y})"))
}

/// Imports the export `name` (`bytes`) as `who`'s history; `expected` is the site the person
/// said it comes from (the command line's `letterboxd|imdb|trakt`), if they said.
///
/// # Errors
/// Storage fails (nothing of the export is stored then).
pub async fn import(
    s: &Services,
    who: &Who<'_>,
    (name, bytes): (&str, &[u8]),
    expected: Option<HistorySource>,
) -> anyhow::Result<Reply> {
    let read = match read_export(name, bytes) {
        Ok(read) => read,
        Err(e) => return Ok(Reply::Invalid(refusal(name, &e))),
    };
    if let (Some(expected), Some(found)) = (expected, read.source)
        && expected != found
    {
        return Ok(Reply::Invalid(format!(
            "{name} looks like {} export, not {} one; nothing was imported.",
            found.with_article(),
            expected.with_article()
        )));
    }
    let source = read.source.or(expected);
    let matcher = HistoryMatcher::new(s.films.all(), s.films.index());
    let mut summary = HistorySummary {
        source,
        rows: read.rows.len(),
        malformed_count: read.malformed.len(),
        malformed: read.malformed.iter().take(NAMED).cloned().collect(),
        not_films: read.not_films,
        ..HistorySummary::default()
    };
    let mut events = Vec::new();
    let mut reviews = Vec::new();
    let now = s.now_ms();
    for row in read.rows {
        match matcher.find(&row) {
            Match::Found(movie, how) => {
                *summary.matched.entry(how_name(how).to_owned()).or_default() += 1;
                feedback_of(
                    s,
                    who,
                    source,
                    (&row, movie),
                    now,
                    (&mut events, &mut reviews),
                );
            }
            Match::Ambiguous(ids) => {
                let choices = ids
                    .into_iter()
                    .filter_map(|id| s.films.movie(id).map(|m| (id, m.info.display_title())))
                    .collect();
                summary.ambiguous.push(Ambiguity { row, choices });
            }
            Match::NotInCatalog => {
                summary.not_in_catalog_count += 1;
                if summary.not_in_catalog.len() < NAMED {
                    summary.not_in_catalog.push(label(&row.title, row.year));
                }
            }
        }
    }
    let (stored, already) = s.store.record_history(&events, &reviews).await?;
    summary.stored = stored;
    summary.already = already;
    if stored > 0 {
        s.refresh(who.user).await?;
    }
    Ok(Reply::HistoryImported(Box::new(summary)))
}

/// The message for an export refused whole.
fn refusal(name: &str, e: &ExportError) -> String {
    format!(
        "{name} could not be imported: {e}. Nothing was stored. Marquee reads Letterboxd's export \
         (the ZIP, or its CSV files), IMDb's \"Your ratings\" CSV and Trakt's export (ZIP or JSON)."
    )
}

fn how_name(how: How) -> &'static str {
    match how {
        How::Id => "by id",
        How::TitleAndYear => "by title and year",
        How::TitleNearYear => "by title, a year off",
        How::TitleOnly => "by title",
        How::NearTitle => "by a title a typo away",
    }
}

/// The feedback a matched row gives: events, and reviews with theirs.
fn feedback_of(
    s: &Services,
    who: &Who<'_>,
    source: Option<HistorySource>,
    (row, movie): (&HistoryRow, MovieId),
    now: i64,
    (events, reviews): (&mut Vec<NewFeedbackEvent>, &mut Vec<NewReview>),
) {
    let site = source.map_or("history", HistorySource::name);
    let at = row.at_ms.unwrap_or(now).min(now);
    let key = |what: &str| {
        format!(
            "history:{site}:{what}:{}:{}",
            movie.0,
            row.at_ms.unwrap_or(0)
        )
    };
    let event = |signal: &Signal, what: &str| {
        let mut ctx = who.context(movie, None, at, Some(key(what)));
        site.clone_into(&mut ctx.source);
        build_event(signal, &ReactionMap::empty(), ctx)
    };
    let rated = |stars: f64, out: &mut Vec<NewFeedbackEvent>| {
        if let Ok(stars) = Stars::new(stars)
            && let Some(e) = event(&Signal::Rating(stars), &format!("rated:{}", stars.value()))
        {
            out.push(e);
        }
    };
    match &row.said {
        Said::Rated(stars) => rated(*stars, events),
        Said::Watched => events.extend(event(&Signal::Seen, "seen")),
        Said::Watchlist => {
            let mut ctx = who.context(movie, None, at, Some(key("watchlist")));
            site.clone_into(&mut ctx.source);
            events.push(NewFeedbackEvent {
                user: ctx.user,
                movie,
                kind: FeedbackKind::Button,
                value: Some(WATCHLIST_VALUE),
                weight: WATCHLIST_WEIGHT,
                raw: Some("watchlist".into()),
                source: ctx.source,
                guild: ctx.guild,
                message_id: None,
                created_at_ms: at,
                idempotency_key: ctx.idempotency_key,
            });
        }
        Said::Reviewed { text, stars } => {
            if let Some(stars) = stars {
                rated(*stars, events);
            }
            let text: String = text
                .chars()
                .filter(|c| !c.is_control() || *c == '\n')
                .take(MAX_REVIEW_CHARS)
                .collect();
            if let Ok(sentiment) = s.vader.score_review(&text)
                && let Some(e) = event(&Signal::Review(sentiment), "review")
            {
                reviews.push(NewReview {
                    event: e,
                    body: text,
                    scores: sentiment.scores,
                });
            }
        }
    }
}
