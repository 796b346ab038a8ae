//! `marquee eval conversation --dialogues FILE`: the ReDial offline protocol of
//! `docs/PROTOCOLS.md` (strict rule: targets are movies new to the dialogue).
//!
//! The catalog is MovieLens `ml-latest-small` (read from `../ml-latest-small/` next to the
//! dialogues' folder), the model is trained on its ratings, and ReDial movies are mapped onto it
//! with `redial_to_ml_latest_small.csv` (`simple`/`alt` matches) from the dialogues' folder. For
//! each sample, the films mentioned so far are the wish's references (and are excluded), the
//! Seeker's words (with film mentions blanked out) are parsed with `parse_wish`, and
//! `rank_for_wish` ranks the catalog for an anonymous user.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, bail};
use serde::Serialize;

use crate::domain::catalog::search::TitleIndex;
use crate::domain::catalog::{Genre, Movie, MovieInfo};
use crate::domain::conversation::{Together, Wish, parse_wish, rank_for_wish_with};
use crate::domain::events::{FeedbackEvent, FeedbackKind, NewFeedbackEvent};
use crate::domain::ids::{EventId, MovieId, UserId};
use crate::domain::recommend::snapshot::{TrainParams, train};

/// Recall at one cut-off, in one scope.
#[derive(Debug, Clone, Serialize)]
pub struct RecallRow {
    /// "ALL" or "CATALOGUE".
    pub scope: String,
    /// "sample" or "turn".
    pub level: String,
    /// Samples (or turns) scored.
    pub n: usize,
    /// `(k, recall)` pairs.
    pub recall: Vec<(usize, f64)>,
}

/// The report printed by the command.
#[derive(Debug, Clone, Serialize)]
pub struct ConversationReport {
    /// The dialogues file.
    pub dialogues: String,
    /// Dialogues read.
    pub dialogue_count: usize,
    /// Recall rows.
    pub rows: Vec<RecallRow>,
    /// Seconds to load data and train the model.
    pub train_secs: f64,
    /// Seconds to rank every sample.
    pub rank_secs: f64,
}

fn csv_fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// `ml-latest-small` as a catalog (vote count = number of ratings) and its ratings as events.
#[allow(clippy::many_single_char_names)]
fn movielens(dir: &Path) -> anyhow::Result<(Vec<Movie>, Vec<FeedbackEvent>)> {
    let ratings = read(&dir.join("ratings.csv"))?;
    let mut events = Vec::new();
    let mut counts: HashMap<i64, i64> = HashMap::new();
    for line in ratings.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let (Some(u), Some(m), Some(r), Some(t)) = (
            f.first().and_then(|x| x.parse::<i64>().ok()),
            f.get(1).and_then(|x| x.parse::<i64>().ok()),
            f.get(2).and_then(|x| x.parse::<f64>().ok()),
            f.get(3).and_then(|x| x.trim().parse::<i64>().ok()),
        ) else {
            continue;
        };
        *counts.entry(m).or_default() += 1;
        events.push(FeedbackEvent {
            id: EventId(events.len() as i64 + 1),
            event: NewFeedbackEvent {
                user: UserId(u),
                movie: MovieId(m),
                kind: FeedbackKind::Historical,
                value: Some(r),
                weight: 1.0,
                raw: None,
                source: "movielens".into(),
                guild: None,
                message_id: None,
                created_at_ms: t * 1000,
                idempotency_key: None,
            },
        });
    }
    let text = read(&dir.join("movies.csv"))?;
    let mut movies = Vec::new();
    for line in text.lines().skip(1) {
        let f = csv_fields(line);
        let [id, title, genres] = f.as_slice() else {
            continue;
        };
        let Ok(id) = id.parse::<i64>() else { continue };
        let title = title.trim();
        let (name, year) = match title.rsplit_once(" (") {
            Some((n, y)) if y.len() == 5 && y.ends_with(')') => (n.to_owned(), y[..4].parse().ok()),
            _ => (title.to_owned(), None),
        };
        movies.push(Movie {
            id: MovieId(id),
            info: MovieInfo {
                title: name,
                year,
                genres: Genre::parse_list(genres, '|'),
                vote_count: counts.get(&id).copied().unwrap_or(0),
                ..MovieInfo::default()
            },
        });
    }
    Ok((movies, events))
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&gt;", ">")
        .replace("&lt;", "<")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Splits `text` into plain parts and `@id` tags.
fn tags(text: &str) -> (Vec<String>, String) {
    let mut ids = Vec::new();
    let mut blanked = String::with_capacity(text.len());
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '@' {
            let rest = &text[i + 1..];
            let n = rest.bytes().take_while(u8::is_ascii_digit).count();
            if n > 0 {
                ids.push(rest[..n].to_owned());
                blanked.push_str(" that film ");
                for _ in 0..n {
                    chars.next();
                }
                continue;
            }
        }
        blanked.push(c);
    }
    (ids, unescape(&blanked))
}

struct Turn {
    seeker: bool,
    ids: Vec<String>,
    text: String,
}

fn turns(d: &serde_json::Value) -> Vec<Turn> {
    let seeker_id = d.get("initiatorWorkerId").cloned();
    let mut out: Vec<Turn> = Vec::new();
    for m in d
        .get("messages")
        .and_then(|m| m.as_array())
        .into_iter()
        .flatten()
    {
        let seeker = m.get("senderWorkerId").cloned() == seeker_id;
        let (ids, text) = tags(m.get("text").and_then(|t| t.as_str()).unwrap_or(""));
        match out.last_mut() {
            Some(t) if t.seeker == seeker => {
                t.ids.extend(ids);
                t.text.push(' ');
                t.text.push_str(&text);
            }
            _ => out.push(Turn { seeker, ids, text }),
        }
    }
    out
}

/// Past conversations for `/ask` to learn from ([`Together`]).
#[derive(Debug, Clone, Default)]
pub struct History {
    /// ReDial dialogues whose mentions are learned (e.g. the training dialogues).
    pub file: Option<PathBuf>,
    /// Cross-validation on the dialogues themselves: each of this many folds (dialogue `i` is
    /// in fold `i % folds`) is scored with the other folds as history (for choosing settings
    /// on training dialogues, never on test).
    pub folds: Option<usize>,
    /// The weight of the conversation signal (default: the bot's).
    pub weight: Option<f64>,
    /// The weight of being talked about (default: the bot's).
    pub talked_weight: Option<f64>,
}

/// The films mentioned in a dialogue, mapped to the catalog.
fn mentions(d: &serde_json::Value, to_ml: &HashMap<String, MovieId>) -> Vec<MovieId> {
    turns(d)
        .iter()
        .flat_map(|t| t.ids.iter())
        .filter_map(|id| to_ml.get(id).copied())
        .collect()
}

/// What `dialogues` teach, weighing `weight` (or the bot's weight).
fn learn<'a>(
    dialogues: impl IntoIterator<Item = &'a serde_json::Value>,
    to_ml: &HashMap<String, MovieId>,
    history: &History,
) -> Together {
    let mut t = Together::new();
    if let Some(w) = history.weight {
        t = t.weighing(w);
    }
    if let Some(w) = history.talked_weight {
        t = t.talked_weighing(w);
    }
    for d in dialogues {
        t.add(&mentions(d, to_ml));
    }
    t
}

fn read_dialogues(path: &Path) -> anyhow::Result<Vec<serde_json::Value>> {
    read(path)?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).context("a dialogue line"))
        .collect()
}

/// Runs the protocol and prints the report (text, or JSON with `json`).
#[allow(clippy::too_many_lines)]
pub fn run_eval_conversation(
    dialogues: &Path,
    ks: &[usize],
    history: &History,
    json: bool,
    mut out: impl Write,
) -> anyhow::Result<ConversationReport> {
    if ks.is_empty() || ks.contains(&0) {
        bail!("--k needs positive cut-offs, e.g. 1,10,50");
    }
    let max_k = ks.iter().copied().max().unwrap_or(50);
    let started = Instant::now();
    let redial_dir = dialogues
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let ml_dir = redial_dir.join("../ml-latest-small");
    let (movies, events) = movielens(&ml_dir)?;
    let model = train(&movies, &events, &TrainParams::default())?;
    let index = TitleIndex::from_movies(&movies);
    let mut to_ml: HashMap<String, MovieId> = HashMap::new();
    for line in read(&redial_dir.join("redial_to_ml_latest_small.csv"))?
        .lines()
        .skip(1)
    {
        let f = csv_fields(line);
        if let [rid, _, ml, _, kind] = f.as_slice()
            && (kind == "simple" || kind == "alt")
            && let Ok(ml) = ml.parse::<i64>()
        {
            to_ml.insert(rid.clone(), MovieId(ml));
        }
    }
    let all = read_dialogues(dialogues)?;
    let folds = history.folds.filter(|&f| f >= 2);
    let mut plan: Vec<(Together, Vec<&serde_json::Value>)> = Vec::new();
    if let Some(k) = folds {
        for f in 0..k {
            let (test, rest): (Vec<(usize, &serde_json::Value)>, Vec<_>) =
                all.iter().enumerate().partition(|(i, _)| i % k == f);
            let together = learn(rest.into_iter().map(|(_, d)| d), &to_ml, history);
            plan.push((together, test.into_iter().map(|(_, d)| d).collect()));
        }
    } else {
        let past = match &history.file {
            Some(f) => read_dialogues(f)?,
            None => Vec::new(),
        };
        plan.push((learn(&past, &to_ml, history), all.iter().collect()));
    }
    let train_secs = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let dialogue_count = all.len();
    // Per sample: (mapped, rank of the target or None); per turn: (any mapped, best rank).
    let mut samples: Vec<(bool, Option<usize>)> = Vec::new();
    let mut turn_rows: Vec<(bool, Option<usize>)> = Vec::new();
    for (together, d) in plan
        .iter()
        .flat_map(|(t, ds)| ds.iter().map(move |d| (t, *d)))
    {
        let ts = turns(d);
        let mut mentioned: Vec<String> = Vec::new();
        let mut seeker_text = String::new();
        for (k, t) in ts.iter().enumerate() {
            let new: Vec<&String> = {
                let mut seen_here = HashSet::new();
                t.ids
                    .iter()
                    .filter(|id| !mentioned.contains(id) && seen_here.insert(*id))
                    .collect()
            };
            if !t.seeker && k > 0 && !new.is_empty() {
                let mut wish = parse_wish(&seeker_text, &index, &movies, 2018);
                wish.references = Vec::new();
                for id in mentioned.iter().rev() {
                    if let Some(&m) = to_ml.get(id)
                        && !wish.references.contains(&m)
                    {
                        wish.references.push(m);
                    }
                }
                wish.references.truncate(8);
                let exclude: HashSet<MovieId> = mentioned
                    .iter()
                    .filter_map(|id| to_ml.get(id).copied())
                    .collect();
                let rank = |w: &Wish| {
                    rank_for_wish_with(&model, together, UserId(-1), w, &movies, &exclude, max_k)
                };
                let mut picks = rank(&wish);
                let mut w = wish;
                while picks.len() < max_k {
                    let Some(r) = w.relaxed() else { break };
                    w = r;
                    let have: HashSet<MovieId> = picks.iter().map(|p| p.movie).collect();
                    let more = rank(&w);
                    picks.extend(more.into_iter().filter(|p| !have.contains(&p.movie)));
                }
                picks.truncate(max_k);
                let mut turn_best: Option<usize> = None;
                let mut turn_mapped = false;
                for id in &new {
                    let target = to_ml.get(*id).copied();
                    let rank = target.and_then(|t| picks.iter().position(|p| p.movie == t));
                    turn_mapped |= target.is_some();
                    turn_best = match (turn_best, rank) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                    samples.push((target.is_some(), rank));
                }
                turn_rows.push((turn_mapped, turn_best));
            }
            for id in &t.ids {
                if !mentioned.contains(id) {
                    mentioned.push(id.clone());
                }
            }
            if t.seeker {
                seeker_text.push_str(&t.text);
                seeker_text.push_str(". ");
            }
        }
    }
    let rank_secs = started.elapsed().as_secs_f64();
    let row = |scope: &str, level: &str, rows: &[(bool, Option<usize>)], catalogue: bool| {
        let kept: Vec<Option<usize>> = rows
            .iter()
            .filter(|r| !catalogue || r.0)
            .map(|r| r.1)
            .collect();
        let n = kept.len();
        RecallRow {
            scope: scope.to_owned(),
            level: level.to_owned(),
            n,
            recall: ks
                .iter()
                .map(|&k| {
                    let hits = kept.iter().filter(|r| r.is_some_and(|r| r < k)).count();
                    (k, if n == 0 { 0.0 } else { hits as f64 / n as f64 })
                })
                .collect(),
        }
    };
    let report = ConversationReport {
        dialogues: dialogues.display().to_string(),
        dialogue_count,
        rows: vec![
            row("ALL", "sample", &samples, false),
            row("CATALOGUE", "sample", &samples, true),
            row("ALL", "turn", &turn_rows, false),
        ],
        train_secs,
        rank_secs,
    };
    if json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "ReDial, strict rule, {} dialogues ({}), catalogue ml-latest-small",
            report.dialogue_count, report.dialogues
        )?;
        for r in &report.rows {
            let cells: Vec<String> = r
                .recall
                .iter()
                .map(|(k, v)| format!("R@{k} {v:.3}"))
                .collect();
            writeln!(
                out,
                "{:<9} {:<6} n={:<5} {}",
                r.scope,
                r.level,
                r.n,
                cells.join("  ")
            )?;
        }
        writeln!(
            out,
            "load+train {:.1}s, ranking {:.1}s",
            report.train_secs, report.rank_secs
        )?;
    }
    Ok(report)
}
