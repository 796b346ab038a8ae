//! Bringing a person's history from another site (`/import`, `marquee import letterboxd|imdb|
//! trakt`): the export is read ([`crate::outbound::import::history`]), each row matched to a film
//! ([`HistoryMatcher`]), and what was matched stored in one transaction as the person's feedback
//! in this server: ratings as ratings, watched films as seen, the watchlist as a weak liking that
//! never hides a film, reviews read by VADER like `/review`. Every event carries a key made of
//! whose it is and what it says (person, site, kind, film, value, date), so importing the same
//! export again stores nothing and a newer export adds only what is new. Rows that fit several
//! films are kept with their choices for the person to choose; nothing is guessed.

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
    /// The kept row's id, for [`crate::app::Command::ChooseHistory`] (the person says which
    /// film they meant; kept as long as lists are).
    pub choice: i64,
}

impl Ambiguity {
    /// Whether the person can be asked about it: it is kept (it has an id) and has films to
    /// choose from.
    pub fn askable(&self) -> bool {
        self.choice != 0 && !self.choices.is_empty()
    }

    /// The row's film as the export names it: "Title (Year)", or the title alone.
    pub fn title(&self) -> String {
        label(&self.row.title, self.row.year)
    }

    /// What the row says, in a few words: "rated 4.5★", "watched", ….
    pub fn said(&self) -> String {
        match &self.row.said {
            Said::Rated(stars) => format!("rated {stars}★"),
            Said::Watched => "watched".to_owned(),
            Said::Watchlist => "on your watchlist".to_owned(),
            Said::Reviewed { stars: Some(s), .. } => format!("reviewed, {s}★"),
            Said::Reviewed { stars: None, .. } => "reviewed".to_owned(),
        }
    }
}

/// A row kept until the person chooses, as stored (JSON).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Kept {
    source: Option<HistorySource>,
    row: HistoryRow,
    choices: Vec<(MovieId, String)>,
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
    /// Rows that fit several films where the person said none was meant (at an earlier
    /// import), left out.
    pub none_meant: usize,
}

impl HistorySummary {
    /// Rows matched, all ways together.
    pub fn matched_count(&self) -> usize {
        self.matched.values().sum()
    }
}

impl fmt::Display for HistorySummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let site = self
            .source
            .map_or(String::new(), |s| format!("{} ", s.display()));
        writeln!(
            f,
            "Imported your {site}history: {} {}, {} matched to films ({} new feedback stored, {} already there).",
            self.rows,
            if self.rows == 1 { "row" } else { "rows" },
            self.matched_count(),
            self.stored,
            self.already
        )?;
        if !self.ambiguous.is_empty() {
            let n = self.ambiguous.len();
            writeln!(
                f,
                "{n} {} several films, so nothing was stored for {} yet:",
                if n == 1 { "row fits" } else { "rows fit" },
                if n == 1 { "it" } else { "them" }
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
            let n = self.malformed_count;
            writeln!(
                f,
                "{n} {} could not be read:",
                if n == 1 { "row" } else { "rows" }
            )?;
            for (file, line, why) in &self.malformed {
                writeln!(f, "  {file}:{line}: {why}")?;
            }
        }
        if self.not_films > 0 {
            writeln!(f, "{} series or episodes left out.", self.not_films)?;
        }
        match self.none_meant {
            0 => {}
            1 => writeln!(f, "1 row left out: you said none of its films was the one.")?,
            n => writeln!(
                f,
                "{n} rows left out: you said none of their films was the one."
            )?,
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
/// Storage fails (none of the export's feedback is stored then; rows to choose a film for may
/// be kept, and the next import finds them).
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
    let now = s.now_ms();
    let mut found = Vec::new();
    for row in read.rows {
        match matcher.find(&row) {
            Match::Found(movie, how) => {
                *summary.matched.entry(how_name(how).to_owned()).or_default() += 1;
                found.push((row, movie));
            }
            Match::Ambiguous(ids) => {
                let choices = ids
                    .into_iter()
                    .filter_map(|id| s.films.movie(id).map(|m| (id, m.info.display_title())))
                    .collect();
                summary.ambiguous.push(Ambiguity {
                    row,
                    choices,
                    choice: 0,
                });
            }
            Match::NotInCatalog => {
                summary.not_in_catalog_count += 1;
                if summary.not_in_catalog.len() < NAMED {
                    summary.not_in_catalog.push(label(&row.title, row.year));
                }
            }
        }
    }
    // Rows chosen for at an earlier import count as matched by that choice.
    for (row, chosen) in keep_ambiguous(s, who, source, &mut summary.ambiguous, now).await? {
        match chosen {
            Some(movie) => {
                *summary
                    .matched
                    .entry("by your choice".to_owned())
                    .or_default() += 1;
                found.push((row, movie));
            }
            None => summary.none_meant += 1,
        }
    }
    let (mut events, mut reviews) = (Vec::new(), Vec::new());
    for (row, movie) in &found {
        feedback_of(
            s,
            who,
            source,
            (row, *movie),
            now,
            (&mut events, &mut reviews),
        );
    }
    let (stored, already) = s.store.record_history(&events, &reviews, None).await?;
    summary.stored = stored;
    summary.already = already;
    if stored > 0 {
        s.refresh(who.user).await?;
    }
    Ok(Reply::HistoryImported(Box::new(summary)))
}

/// Keeps the rows that fit several films until the person chooses, and notes each one's id.
/// Rows the person chose for at an earlier import leave `ambiguous` and are returned with
/// their choice (`None`: none of the films).
async fn keep_ambiguous(
    s: &Services,
    who: &Who<'_>,
    source: Option<HistorySource>,
    ambiguous: &mut Vec<Ambiguity>,
    now: i64,
) -> anyhow::Result<Vec<(HistoryRow, Option<MovieId>)>> {
    let site = source.map_or("history", HistorySource::name);
    let mut rows = Vec::with_capacity(ambiguous.len());
    for a in ambiguous.iter() {
        let key = format!(
            "{site}:{}:{}:{}:{}",
            said_key(&a.row.said),
            crate::domain::catalog::search::normalize_title(&a.row.title),
            a.row.year.unwrap_or(0),
            a.row.at_ms.unwrap_or(0)
        );
        let kept = Kept {
            source,
            row: a.row.clone(),
            choices: a.choices.clone(),
        };
        rows.push((key, serde_json::to_string(&kept)?));
    }
    let kept = s.store.keep_history_choices(who.user, &rows, now).await?;
    let mut chosen = Vec::new();
    let mut waiting = Vec::with_capacity(ambiguous.len());
    let mut asked = std::collections::HashSet::new();
    for (mut a, (id, choice)) in std::mem::take(ambiguous).into_iter().zip(kept) {
        match choice {
            // The same row twice in one export (a file repeating itself) is asked once.
            None if !asked.insert(id) => {}
            None => {
                a.choice = id;
                waiting.push(a);
            }
            Some(movie) => chosen.push((a.row, (movie != 0).then_some(MovieId(movie)))),
        }
    }
    *ambiguous = waiting;
    Ok(chosen)
}

/// What a row says, as a key: the kind and the value.
fn said_key(said: &Said) -> String {
    match said {
        Said::Rated(stars) => format!("rated:{stars}"),
        Said::Watched => "seen".to_owned(),
        Said::Watchlist => "watchlist".to_owned(),
        Said::Reviewed { stars, .. } => format!("review:{}", stars.unwrap_or(0.0)),
    }
}

/// What a row brings, in words: "your 4★ rating", "seen", ….
fn said_words(said: &Said) -> String {
    match said {
        Said::Rated(stars) => format!("your {stars}★ rating"),
        Said::Watched => "that you have seen it".to_owned(),
        Said::Watchlist => "that it is on your watchlist".to_owned(),
        Said::Reviewed {
            stars: Some(stars), ..
        } => format!("your review and {stars}★ rating"),
        Said::Reviewed { stars: None, .. } => "your review".to_owned(),
    }
}

/// The film `who` meant for a kept row of their import (`None`: none of the choices): the row
/// is stored as if it had matched that film, and the kept row marked chosen, in one
/// transaction.
///
/// # Errors
/// Storage fails (nothing is stored then, and the row stays to choose again).
pub async fn choose(
    s: &Services,
    who: &Who<'_>,
    choice: i64,
    movie: Option<MovieId>,
) -> anyhow::Result<Reply> {
    let Some((owner, details, chosen)) = s.store.history_choice(choice).await? else {
        return Ok(Reply::Invalid(
            "That row is more than 90 days old and was let go; import the file again to choose."
                .to_owned(),
        ));
    };
    if owner != who.user {
        return Ok(Reply::Invalid(
            "That menu is for someone else's import; use /import to bring your own history."
                .to_owned(),
        ));
    }
    let kept: Kept = serde_json::from_str(&details)?;
    let row_label = label(&kept.row.title, kept.row.year);
    if let Some(chosen) = chosen {
        let film = kept
            .choices
            .iter()
            .find(|(id, _)| id.0 == chosen)
            .map_or("none of them", |(_, film)| film.as_str());
        return Ok(Reply::Invalid(format!(
            "You already chose {film} for \"{row_label}\"; nothing changed. (To change a rating, use /rate.)"
        )));
    }
    let Some(movie) = movie else {
        s.store.record_history(&[], &[], Some((choice, 0))).await?;
        return Ok(Reply::Text(format!(
            "Left out \"{row_label}\": none of those films, so nothing was stored for it."
        )));
    };
    let Some((_, film)) = kept.choices.iter().find(|(id, _)| *id == movie) else {
        return Ok(Reply::Invalid(format!(
            "That film was not one of the choices for \"{row_label}\"; nothing changed."
        )));
    };
    let (mut events, mut reviews) = (Vec::new(), Vec::new());
    feedback_of(
        s,
        who,
        kept.source,
        (&kept.row, movie),
        s.now_ms(),
        (&mut events, &mut reviews),
    );
    let (stored, _) = s
        .store
        .record_history(&events, &reviews, Some((choice, movie.0)))
        .await?;
    let what = said_words(&kept.row.said);
    if stored == 0 {
        return Ok(Reply::Text(format!(
            "{film} already had {what} from an earlier import; nothing new to store."
        )));
    }
    s.refresh(who.user).await?;
    Ok(Reply::Text(format!(
        "Stored for {film}: {what}. Your picks take it into account from now on."
    )))
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
    // Keys are unique across everyone's events: they name the person.
    let key = |what: &str| {
        format!(
            "history:{}:{site}:{what}:{}:{}",
            who.user.0,
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
