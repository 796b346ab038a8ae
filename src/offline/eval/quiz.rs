//! `marquee eval quiz`: how much the taste quiz teaches Marquee about a newcomer (protocol in
//! `docs/PROTOCOLS.md`, "Taste quiz").
//!
//! A fifth of the users (by `draw(42, user, 0)`) are held out of training. Each held-out user's
//! ratings are split 80/20 by the protocol's `per_user_split(·, 42)`: the 20 % are the films to
//! find (top-k NDCG, as in the top-N protocol), the 80 % answer the quiz (5★ → loved, 3.5–4.5★ →
//! liked, ≤ 3★ → not for me, a film not among them → haven't seen). The quiz asks one film at a
//! time, each answer is folded into the model exactly as the bot stores it, and the picks the
//! bot would then show are scored after 5 and after 10 answers with stars. The film-selection
//! strategies compared: random, popularity (most rated first), popularity × entropy (Rashid et
//! al. 2002) and Marquee's own ([`ModelSnapshot::quiz_next`]). The references: no answers (the
//! cold start and plain popularity) and the user's whole 80 % history.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::Path;
use std::time::Instant;

use anyhow::bail;
use serde::Serialize;

use crate::domain::catalog::{Movie, MovieInfo, VoteSource};
use crate::domain::events::{FeedbackEvent, FeedbackKind};
use crate::domain::group_signal::personal_picks;
use crate::domain::ids::{MovieId, UserId};
use crate::domain::quiz::{ENOUGH, MAX_ASKED, PERSONAL_AFTER, QuizAnswer};
use crate::domain::recommend::cold::{Baseline, ColdStart};
use crate::domain::recommend::metrics::{TopNMetrics, topn_metrics};
use crate::domain::recommend::snapshot::{ModelSnapshot, RecRequest, TrainParams, train};
use crate::domain::rng::{SplitMix64, draw, per_user_split};
use crate::offline::eval::rating_event;
use crate::offline::eval::ratings::read_rows;
use crate::outbound::import::movielens::read_films;

/// One rating row: user, film, stars.
type Row = (i64, i64, f32);

/// Options of `marquee eval quiz`.
#[derive(Debug, Clone)]
pub struct QuizEvalOptions {
    /// List length.
    pub k: usize,
    /// Films one quiz asks about at most (the bot's own limit by default).
    pub max_asked: usize,
    /// Hold out users of the training users (seed 43) instead of the test users, for tuning.
    pub validate: bool,
    /// Model settings (`name=value`, see [`TrainParams`]).
    pub params: TrainParams,
}

impl Default for QuizEvalOptions {
    fn default() -> Self {
        Self {
            k: 10,
            max_asked: MAX_ASKED,
            validate: false,
            params: TrainParams::default(),
        }
    }
}

/// How quiz films are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Selection {
    Random,
    Popularity,
    PopEntropy,
    Marquee,
}

impl Selection {
    const ALL: [Selection; 4] = [
        Selection::Random,
        Selection::Popularity,
        Selection::PopEntropy,
        Selection::Marquee,
    ];

    const fn name(self) -> &'static str {
        match self {
            Selection::Random => "random",
            Selection::Popularity => "popularity",
            Selection::PopEntropy => "popularity × entropy",
            Selection::Marquee => "Marquee (adaptive)",
        }
    }
}

/// One line of the report.
#[derive(Debug, Clone, Serialize)]
pub struct QuizLine {
    /// What was measured.
    pub condition: String,
    /// Quiz answers with stars the picks were made from (mean over users).
    pub answers: f64,
    /// Quiz films shown (mean over users).
    pub asked: f64,
    pub metrics: TopNMetrics,
    /// Distinct decades among the picks (mean over users).
    pub decades: f64,
    /// Share of the NDCG gap between the cold start and the full history that is closed.
    pub gap_closed: Option<f64>,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct QuizReport {
    pub data: String,
    pub on: String,
    pub users: usize,
    pub k: usize,
    pub max_asked: usize,
    pub lines: Vec<QuizLine>,
    pub seconds: f64,
}

/// A held-out user: who, the answers they can give, the films to find.
struct Newcomer {
    id: i64,
    knows: HashMap<i64, f32>,
    relevant: HashSet<i64>,
}

impl Newcomer {
    /// Every film of the user's 80 %.
    fn seen(&self) -> Vec<MovieId> {
        self.knows.keys().map(|&m| MovieId(m)).collect()
    }
}

/// The films, the training events and the held-out users.
struct Setup {
    movies: Vec<Movie>,
    events: Vec<FeedbackEvent>,
    train_rows: Vec<Row>,
    newcomers: Vec<Newcomer>,
}

/// Users whose `draw(seed, user, 0)` is among the lowest fifth (n/5 rounded).
fn held_out(rows: &[Row], seed: u64) -> HashSet<i64> {
    let mut users: Vec<i64> = rows.iter().map(|r| r.0).collect();
    users.sort_unstable();
    users.dedup();
    users.sort_by_key(|&u| (draw(seed, u as u64, 0), u));
    let n = (users.len() + 2) / 5;
    users.into_iter().take(n).collect()
}

/// Films with the training ratings as their votes (what a MovieLens import stores), and any
/// rated film the films file lacks under a made-up title.
fn catalog(films: Vec<(i64, MovieInfo)>, train_rows: &[Row], all_rows: &[Row]) -> Vec<Movie> {
    let mut votes: HashMap<i64, (i64, f64)> = HashMap::new();
    for r in train_rows {
        let v = votes.entry(r.1).or_default();
        v.0 += 1;
        v.1 += f64::from(r.2);
    }
    let mut movies: Vec<Movie> = films
        .into_iter()
        .map(|(id, info)| Movie {
            id: MovieId(id),
            info,
        })
        .collect();
    let known: HashSet<i64> = movies.iter().map(|m| m.id.0).collect();
    let mut missing: Vec<i64> = all_rows
        .iter()
        .map(|r| r.1)
        .filter(|m| !known.contains(m))
        .collect();
    missing.sort_unstable();
    missing.dedup();
    movies.extend(missing.into_iter().map(|m| Movie {
        id: MovieId(m),
        info: MovieInfo {
            title: format!("Film {m}"),
            ..MovieInfo::default()
        },
    }));
    for m in &mut movies {
        if let Some(&(count, sum)) = votes.get(&m.id.0) {
            m.info.vote_count = count;
            m.info.vote_average = Some(2.0 * sum / count as f64);
            m.info.vote_source = Some(VoteSource::MovieLens);
        } else {
            m.info.vote_count = 0;
            m.info.vote_average = None;
            m.info.vote_source = None;
        }
    }
    movies
}

fn setup(dir: &Path, validate: bool) -> anyhow::Result<(Setup, &'static str)> {
    let (films, ratings) = read_films(dir)?;
    if ratings.extension().is_some_and(|e| e == "dat") {
        bail!("eval quiz reads MovieLens 100K (u.data) and CSV (ratings.csv) folders");
    }
    let rows = read_rows(&ratings)?;
    let test_users = held_out(&rows, 42);
    let (pool, newcomer_rows, on): (Vec<Row>, Vec<Row>, _) = if validate {
        let train_users: Vec<Row> = rows
            .iter()
            .filter(|r| !test_users.contains(&r.0))
            .copied()
            .collect();
        let val = held_out(&train_users, 43);
        let (a, b) = train_users.into_iter().partition(|r| !val.contains(&r.0));
        (
            a,
            b,
            "validation users (a fifth of the training users, seed 43)",
        )
    } else {
        let (a, b) = rows.iter().partition(|r| !test_users.contains(&r.0));
        (a, b, "held-out users (a fifth of all users, seed 42)")
    };
    let (answers, targets) = per_user_split(&newcomer_rows, 42);
    let mut by_user: HashMap<i64, Newcomer> = HashMap::new();
    for r in &answers {
        by_user
            .entry(r.0)
            .or_insert_with(|| Newcomer {
                id: r.0,
                knows: HashMap::new(),
                relevant: HashSet::new(),
            })
            .knows
            .insert(r.1, r.2);
    }
    for r in &targets {
        if let Some(n) = by_user.get_mut(&r.0) {
            n.relevant.insert(r.1);
        }
    }
    let mut newcomers: Vec<Newcomer> = by_user
        .into_values()
        .filter(|n| !n.relevant.is_empty())
        .collect();
    newcomers.sort_by_key(|n| n.id);
    let movies = catalog(films, &pool, &rows);
    let events = pool
        .iter()
        .enumerate()
        .map(|(n, r)| rating_event(n, r.0, r.1, r.2, FeedbackKind::Historical))
        .collect();
    Ok((
        Setup {
            movies,
            events,
            train_rows: pool,
            newcomers,
        },
        on,
    ))
}

/// The quiz's answer for a film the user rated `stars` (or did not rate).
fn answer(stars: Option<f32>) -> QuizAnswer {
    match stars {
        Some(s) if s >= 4.75 => QuizAnswer::Loved,
        Some(s) if s >= 3.5 => QuizAnswer::Liked,
        Some(_) => QuizAnswer::NotForMe,
        None => QuizAnswer::NotSeen,
    }
}

/// Fixed quiz orders of the non-adaptive strategies: most rated first, and Rashid et al.'s
/// `ln(count) × entropy of the film's star distribution`.
struct Orders {
    popularity: Vec<i64>,
    pop_entropy: Vec<i64>,
    films: Vec<i64>,
}

impl Orders {
    fn new(train_rows: &[Row], movies: &[Movie]) -> Self {
        let mut hist: HashMap<i64, [u32; 10]> = HashMap::new();
        for r in train_rows {
            let bucket = ((r.2 * 2.0).round() as usize).clamp(1, 10) - 1;
            hist.entry(r.1).or_default()[bucket] += 1;
        }
        let count = |m: &i64| hist.get(m).map_or(0, |h| h.iter().sum::<u32>());
        let entropy = |m: &i64| {
            let Some(h) = hist.get(m) else { return 0.0 };
            let n = f64::from(h.iter().sum::<u32>());
            h.iter()
                .filter(|&&c| c > 0)
                .map(|&c| {
                    let p = f64::from(c) / n;
                    -p * p.log2()
                })
                .sum::<f64>()
        };
        let films: Vec<i64> = movies.iter().map(|m| m.id.0).collect();
        let mut popularity = films.clone();
        popularity.sort_by_key(|m| (std::cmp::Reverse(count(m)), *m));
        let mut pop_entropy = films.clone();
        let key = |m: &i64| f64::from(count(m)).ln_1p() * entropy(m);
        pop_entropy.sort_by(|a, b| key(b).total_cmp(&key(a)).then(a.cmp(b)));
        Orders {
            popularity,
            pop_entropy,
            films,
        }
    }
}

/// What one simulated quiz gave at a checkpoint.
#[derive(Debug, Clone, Default)]
struct Checkpoint {
    list: Vec<i64>,
    /// The list had the bot known every film of the user's 80 % (what they have seen) without
    /// their stars: how much of the whole history's lead is knowing what not to show.
    oracle: Vec<i64>,
    answers: usize,
    asked: usize,
}

/// The serving side: the model and the cold start, as the bot has them.
struct Bot<'a> {
    snap: ModelSnapshot,
    cold: &'a ColdStart,
    k: usize,
    next_event: usize,
}

impl Bot<'_> {
    /// The picks the bot shows `user` now (its own path: the model for someone with likes,
    /// the cold start otherwise), as film ids.
    fn picks(&self, user: UserId, events: &[FeedbackEvent], exclude: Vec<MovieId>) -> Vec<i64> {
        let baseline = Baseline {
            cold: self.cold,
            here: &[],
            now_year: 2026,
        };
        let request = RecRequest {
            count: self.k,
            exclude,
            ..RecRequest::default()
        };
        personal_picks(&self.snap, None, &baseline, user, events, &request, |_| {
            None
        })
        .into_iter()
        .map(|p| p.movie.0)
        .collect()
    }

    /// Stores an answer with stars as the quiz does (an explicit rating) and folds it in.
    fn store(&mut self, user: UserId, movie: i64, stars: f64) -> FeedbackEvent {
        self.next_event += 1;
        let e = rating_event(
            self.next_event,
            user.0,
            movie,
            stars as f32,
            FeedbackKind::Rating,
        );
        self.snap.fold_in(user, std::slice::from_ref(&e));
        e
    }

    /// Runs one quiz for `who` as `user`, returning the picks after `PERSONAL_AFTER` and after
    /// `ENOUGH` answers with stars (or at the end of the quiz, when it ends first).
    fn quiz(
        &mut self,
        who: &Newcomer,
        user: UserId,
        selection: Selection,
        orders: &Orders,
        max_asked: usize,
    ) -> [Checkpoint; 2] {
        let mut events: Vec<FeedbackEvent> = Vec::new();
        let mut not_seen: Vec<MovieId> = Vec::new();
        let mut asked: HashSet<i64> = HashSet::new();
        let mut rng = SplitMix64::new(draw(7, who.id as u64, 0));
        let mut out: [Checkpoint; 2] = Default::default();
        let mut done = [false; 2];
        let mut answers = 0;
        while answers < ENOUGH && asked.len() < max_asked {
            let next = match selection {
                Selection::Marquee => {
                    let cold = self.cold;
                    self.snap
                        .quiz_next(user, &not_seen, who.id as u64, |m| cold.renown(m))
                }
                Selection::Random => {
                    let left: Vec<i64> = orders
                        .films
                        .iter()
                        .copied()
                        .filter(|m| !asked.contains(m))
                        .collect();
                    (!left.is_empty()).then(|| MovieId(left[rng.below(left.len())]))
                }
                Selection::Popularity | Selection::PopEntropy => {
                    let order = if selection == Selection::Popularity {
                        &orders.popularity
                    } else {
                        &orders.pop_entropy
                    };
                    order
                        .iter()
                        .find(|m| !asked.contains(m))
                        .map(|&m| MovieId(m))
                }
            };
            let Some(film) = next else { break };
            asked.insert(film.0);
            match answer(who.knows.get(&film.0).copied()).stars() {
                Some(stars) => {
                    events.push(self.store(user, film.0, stars));
                    answers += 1;
                }
                None => not_seen.push(film),
            }
            for (slot, at) in [PERSONAL_AFTER, ENOUGH].into_iter().enumerate() {
                if !done[slot] && answers == at {
                    done[slot] = true;
                    out[slot] = Checkpoint {
                        list: self.picks(user, &events, Vec::new()),
                        oracle: self.picks(user, &events, who.seen()),
                        answers,
                        asked: asked.len(),
                    };
                }
            }
        }
        for slot in 0..2 {
            if !done[slot] {
                out[slot] = Checkpoint {
                    list: self.picks(user, &events, Vec::new()),
                    oracle: self.picks(user, &events, who.seen()),
                    answers,
                    asked: asked.len(),
                };
            }
        }
        out
    }
}

/// Applies one `name=value` model setting (`history_damping`, `cf_share`, `content_floor`,
/// `prior_weight`, `factors`, `iterations`, `reg`, `alpha`).
///
/// # Errors
/// An unknown name or a value that is not a number.
pub fn apply_setting(params: &mut TrainParams, setting: &str) -> anyhow::Result<()> {
    let Some((name, value)) = setting.split_once('=') else {
        bail!("expected name=value, got {setting:?}");
    };
    let v: f32 = value
        .trim()
        .parse()
        .map_err(|_| anyhow::anyhow!("{name}: {value:?} is not a number"))?;
    match name.trim() {
        "history_damping" => params.history_damping = v,
        "cf_share" => params.cf_share = v,
        "content_floor" => params.content_floor = v,
        "prior_weight" => params.prior_weight = v,
        "factors" => params.als.factors = v as usize,
        "iterations" => params.als.iterations = v as usize,
        "reg" => params.als.reg = v,
        "alpha" => params.als.alpha = v,
        other => bail!(
            "unknown setting {other:?}; known: history_damping, cf_share, content_floor, prior_weight, factors, iterations, reg, alpha"
        ),
    }
    Ok(())
}

/// Scores the lists (or, with `oracle`, the lists with the 80 % left out) of every newcomer.
fn score(
    lists: &HashMap<i64, Checkpoint>,
    oracle: bool,
    newcomers: &[Newcomer],
    k: usize,
    years: &HashMap<i64, i32>,
) -> (TopNMetrics, [f64; 3]) {
    let relevant: HashMap<i64, HashSet<i64>> = newcomers
        .iter()
        .map(|w| (w.id, w.relevant.clone()))
        .collect();
    let list = |c: &Checkpoint| {
        if oracle {
            c.oracle.clone()
        } else {
            c.list.clone()
        }
    };
    let plain: HashMap<i64, Vec<i64>> = lists.iter().map(|(u, c)| (*u, list(c))).collect();
    let m = topn_metrics(&plain, &relevant, k, years.len());
    let users = lists.len().max(1) as f64;
    let mean = |f: &dyn Fn(&Checkpoint) -> f64| lists.values().map(f).sum::<f64>() / users;
    let decades = |c: &Checkpoint| {
        let d: HashSet<i32> = list(c)
            .iter()
            .take(k)
            .filter_map(|m| years.get(m).map(|y| y / 10))
            .collect();
        d.len() as f64
    };
    let figures = [
        mean(&|c| c.answers as f64),
        mean(&|c| c.asked as f64),
        mean(&decades),
    ];
    (m, figures)
}

/// Lists per newcomer for one condition.
type Lists = HashMap<i64, Checkpoint>;

impl Bot<'_> {
    /// No answers: the bot's cold start, and the most rated films.
    fn no_answers(&self, newcomers: &[Newcomer], orders: &Orders) -> (Lists, Lists) {
        let mut cold = Lists::new();
        let mut popular = Lists::new();
        for w in newcomers {
            let user = UserId(-w.id);
            let list = self.picks(user, &[], Vec::new());
            let oracle = self.picks(user, &[], w.seen());
            cold.insert(
                w.id,
                Checkpoint {
                    list,
                    oracle,
                    ..Checkpoint::default()
                },
            );
            let list = orders.popularity.iter().take(self.k).copied().collect();
            popular.insert(
                w.id,
                Checkpoint {
                    list,
                    ..Checkpoint::default()
                },
            );
        }
        (cold, popular)
    }

    /// Every newcomer's quiz under `selection`: the lists after 5 and after 10 answers.
    fn quizzes(
        &mut self,
        newcomers: &[Newcomer],
        selection: Selection,
        orders: &Orders,
        max_asked: usize,
    ) -> [Lists; 2] {
        let s = Selection::ALL
            .iter()
            .position(|x| *x == selection)
            .unwrap_or(0) as i64;
        let mut got: [Lists; 2] = Default::default();
        for w in newcomers {
            let user = UserId(-(w.id + 1_000_000 * (s + 1)));
            let [a, b] = self.quiz(w, user, selection, orders, max_asked);
            got[0].insert(w.id, a);
            got[1].insert(w.id, b);
        }
        got
    }

    /// Every newcomer with their whole 80 % stored as ratings.
    fn whole_history(&mut self, newcomers: &[Newcomer]) -> Lists {
        let mut out = Lists::new();
        for w in newcomers {
            let user = UserId(-(w.id + 9_000_000));
            let mut films: Vec<(&i64, &f32)> = w.knows.iter().collect();
            films.sort_unstable_by_key(|f| *f.0);
            let events: Vec<FeedbackEvent> = films
                .into_iter()
                .map(|(&m, &s)| self.store(user, m, f64::from(s)))
                .collect();
            let list = self.picks(user, &events, Vec::new());
            let answers = events.len();
            let oracle = list.clone();
            out.insert(
                w.id,
                Checkpoint {
                    list,
                    oracle,
                    answers,
                    asked: answers,
                },
            );
        }
        out
    }
}

/// Runs the benchmark on a MovieLens folder (100K or CSV) and writes the report.
///
/// # Errors
/// The data cannot be read or the model cannot be trained.
pub fn run_eval_quiz(
    dir: &Path,
    opts: &QuizEvalOptions,
    json: bool,
    mut out: impl Write,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let (setup, on) = setup(dir, opts.validate)?;
    let snap = train(&setup.movies, &setup.events, &opts.params)?;
    let cold = ColdStart::new(&setup.movies, |m| snap.liked_by(m));
    let orders = Orders::new(&setup.train_rows, &setup.movies);
    let years: HashMap<i64, i32> = setup
        .movies
        .iter()
        .map(|m| (m.id.0, m.info.year.unwrap_or(0)))
        .collect();
    let k = opts.k;
    let mut bot = Bot {
        snap,
        cold: &cold,
        k,
        next_event: setup.events.len() + 1,
    };
    let (cold_lists, popular) = bot.no_answers(&setup.newcomers, &orders);
    let mut conditions: Vec<(String, Lists, bool)> = vec![
        (
            "no answers: Marquee's cold start".into(),
            cold_lists.clone(),
            false,
        ),
        (
            "no answers: most rated (MostPopular)".into(),
            popular,
            false,
        ),
    ];
    let (mut after5, mut after10, mut oracle) = (Vec::new(), Vec::new(), None);
    for selection in Selection::ALL {
        let [a, b] = bot.quizzes(&setup.newcomers, selection, &orders, opts.max_asked);
        if selection == Selection::Marquee {
            oracle = Some(a.clone());
        }
        after5.push((
            format!("after {PERSONAL_AFTER} answers: {}", selection.name()),
            a,
            false,
        ));
        after10.push((
            format!("after {ENOUGH} answers: {}", selection.name()),
            b,
            false,
        ));
    }
    conditions.extend(after5);
    conditions.extend(after10);
    conditions.push((
        "no answers: cold start, seen films left out".into(),
        cold_lists,
        true,
    ));
    if let Some(a) = oracle {
        let name = format!("after {PERSONAL_AFTER} answers: Marquee, seen films left out");
        conditions.push((name, a, true));
    }
    let full = bot.whole_history(&setup.newcomers);
    conditions.push((
        "whole history (80 % of the user's ratings)".into(),
        full,
        false,
    ));
    let mut lines: Vec<QuizLine> = conditions
        .iter()
        .map(|(condition, lists, oracle)| {
            let (metrics, [answers, asked, decades]) =
                score(lists, *oracle, &setup.newcomers, k, &years);
            QuizLine {
                condition: condition.clone(),
                answers,
                asked,
                metrics,
                decades,
                gap_closed: None,
            }
        })
        .collect();
    let (c, f) = (
        lines[0].metrics.ndcg,
        lines.last().map_or(0.0, |l| l.metrics.ndcg),
    );
    for l in &mut lines {
        l.gap_closed = (f > c).then(|| (l.metrics.ndcg - c) / (f - c));
    }
    let report = QuizReport {
        data: dir.display().to_string(),
        on: on.to_owned(),
        users: setup.newcomers.len(),
        k,
        max_asked: opts.max_asked,
        lines,
        seconds: started.elapsed().as_secs_f64(),
    };
    write_report(&report, json, &mut out)
}

fn write_report(report: &QuizReport, json: bool, out: &mut impl Write) -> anyhow::Result<()> {
    if json {
        serde_json::to_writer_pretty(&mut *out, report)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(
        out,
        "Taste quiz on {} ({}, {} users, k = {}, at most {} films asked)",
        report.data, report.on, report.users, report.k, report.max_asked
    )?;
    writeln!(
        out,
        "{:<50} {:>7} {:>6} {:>7} {:>8} {:>6} {:>6}",
        "condition", "answers", "asked", "decades", "NDCG@k", "HR@k", "gap"
    )?;
    for l in &report.lines {
        let gap = l
            .gap_closed
            .map_or_else(|| "-".to_owned(), |g| format!("{:.1} %", 100.0 * g));
        writeln!(
            out,
            "{:<50} {:>7.2} {:>6.2} {:>7.1} {:>8.4} {:>6.3} {:>6}",
            l.condition, l.answers, l.asked, l.decades, l.metrics.ndcg, l.metrics.hit_rate, gap
        )?;
    }
    writeln!(out, "{:.1} s", report.seconds)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_follow_the_stars() {
        assert_eq!(answer(Some(5.0)), QuizAnswer::Loved);
        assert_eq!(answer(Some(4.0)), QuizAnswer::Liked);
        assert_eq!(answer(Some(4.5)), QuizAnswer::Liked);
        assert_eq!(answer(Some(3.5)), QuizAnswer::Liked);
        assert_eq!(answer(Some(3.0)), QuizAnswer::NotForMe);
        assert_eq!(answer(Some(0.5)), QuizAnswer::NotForMe);
        assert_eq!(answer(None), QuizAnswer::NotSeen);
    }

    #[test]
    fn a_fifth_of_the_users_is_held_out_the_same_way_every_time() {
        let rows: Vec<Row> = (1..=50).map(|u| (u, 1, 4.0)).collect();
        let a = held_out(&rows, 42);
        assert_eq!(a.len(), 10);
        assert_eq!(a, held_out(&rows, 42));
        assert_ne!(a, held_out(&rows, 43));
    }

    #[test]
    fn settings_change_the_model_and_bad_ones_are_refused() {
        let mut p = TrainParams::default();
        apply_setting(&mut p, "history_damping=2.5").unwrap();
        assert!((p.history_damping - 2.5).abs() < 1e-6);
        apply_setting(&mut p, "factors=16").unwrap();
        assert_eq!(p.als.factors, 16);
        assert!(apply_setting(&mut p, "nope=1").is_err());
        assert!(apply_setting(&mut p, "cf_share").is_err());
        assert!(apply_setting(&mut p, "cf_share=lots").is_err());
    }
}

#[cfg(test)]
mod generated {
    use std::fmt::Write as _;

    use super::*;

    /// A MovieLens 100K folder of 60 people in three planted tastes over 90 films (seeded):
    /// each rates most films of their taste 4–5★, a few well-known films of the others 1–3★.
    fn folder() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut items = String::new();
        for m in 1..=90 {
            // Genre flags: unknown, Action, Adventure, Animation, Children's, Comedy, …
            let flag = [1, 5, 11][(m % 3) as usize];
            let flags: Vec<&str> = (0..19).map(|g| if g == flag { "1" } else { "0" }).collect();
            let year = 1950 + (m * 7) % 50;
            writeln!(
                items,
                "{m}|Film {m} ({year})|01-Jan-{year}||http://x|{}",
                flags.join("|")
            )
            .expect("write");
        }
        std::fs::write(dir.path().join("u.item"), items).expect("u.item");
        let mut rng = SplitMix64::new(11);
        let mut data = String::new();
        for u in 1..=60_i64 {
            for m in 1..=90_i64 {
                let mine = m % 3 == u % 3;
                // Lower ids are better known: seen more often.
                let seen =
                    rng.next_f32() < if mine { 0.75 } else { 0.35 } * (1.0 - m as f32 / 120.0);
                if seen {
                    let stars = if mine {
                        4 + rng.below(2)
                    } else {
                        1 + rng.below(3)
                    };
                    writeln!(data, "{u}\t{m}\t{stars}\t0").expect("write");
                }
            }
        }
        std::fs::write(dir.path().join("u.data"), data).expect("u.data");
        dir
    }

    #[test]
    fn the_quiz_benchmark_runs_on_a_folder_and_every_figure_is_consistent() {
        let dir = folder();
        let mut out = Vec::new();
        run_eval_quiz(dir.path(), &QuizEvalOptions::default(), true, &mut out).expect("runs");
        let report: serde_json::Value = serde_json::from_slice(&out).expect("json");
        assert_eq!(report["users"], 12, "a fifth of 60 people are held out");
        let lines = report["lines"].as_array().expect("lines");
        assert_eq!(lines.len(), 13);
        let line = |name: &str| {
            lines
                .iter()
                .find(|l| l["condition"].as_str() == Some(name))
                .unwrap_or_else(|| panic!("no line {name:?}"))
        };
        let ndcg = |name: &str| line(name)["metrics"]["ndcg"].as_f64().expect("ndcg");
        let cold = ndcg("no answers: Marquee's cold start");
        let full = ndcg("whole history (80 % of the user's ratings)");
        assert!(
            full > cold,
            "a whole history beats knowing nothing: {full} vs {cold}"
        );
        let adaptive = line("after 5 answers: Marquee (adaptive)");
        let random = line("after 5 answers: random");
        assert!(adaptive["answers"].as_f64() > random["answers"].as_f64());
        assert!(adaptive["asked"].as_f64().expect("asked") <= MAX_ASKED as f64);
        assert!(
            ndcg("after 5 answers: Marquee (adaptive)") > cold,
            "five answers in a world of three plain tastes beat knowing nothing"
        );
        assert_eq!(lines[0]["gap_closed"].as_f64(), Some(0.0));
        assert_eq!(lines[12]["gap_closed"].as_f64(), Some(1.0));
    }

    #[test]
    fn the_text_report_names_every_strategy_and_a_bad_folder_is_refused() {
        let dir = folder();
        let mut out = Vec::new();
        run_eval_quiz(dir.path(), &QuizEvalOptions::default(), false, &mut out).expect("runs");
        let text = String::from_utf8(out).expect("utf-8");
        for s in Selection::ALL {
            assert!(text.contains(s.name()), "{text}");
        }
        let empty = tempfile::tempdir().expect("temp dir");
        let err = run_eval_quiz(empty.path(), &QuizEvalOptions::default(), false, Vec::new())
            .expect_err("no MovieLens files");
        assert!(err.to_string().contains("MovieLens"), "{err}");
    }
}
