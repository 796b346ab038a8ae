//! `marquee eval group`: the group-pick ("watch party") strategies of [`crate::domain::group`]
//! on synthetic groups of MovieLens raters, in the spirit of the offline protocols of Baltrunas
//! et al. (RecSys 2010) and Kaya et al. (RecSys 2020, `GFAR_python/create_group.py`).
//!
//! - One [`crate::domain::recommend::snapshot::ModelSnapshot`] (default [`TrainParams`]) is
//!   trained on the train rows, each row an imported (`Historical`) rating on a catalogue of the
//!   train films (no content features).
//! - Test users are the users with at least one test row and a train history. Each one's
//!   [`enjoyment`](crate::domain::recommend::snapshot::ModelSnapshot::enjoyment) of every
//!   catalogue film is computed once (one scoring pass and one sort per user).
//! - Groups of 2, 4 and 8 test users, `groups` per (kind, size), seeded:
//!   - **random**: members drawn uniformly;
//!   - **similar**: a random first member, then from a random pool of 100 other test users the
//!     one whose *lowest* Pearson correlation with the members so far is the highest, until
//!     full;
//!   - **divergent**: the same, adding the one whose *highest* correlation with the members is
//!     the lowest.
//!
//!   Pearson correlation is over co-rated train films (at least 5, else 0), the similarity
//!   used by the literature's group generators.
//! - For each group and strategy: candidates = catalogue films no member rated in train; the
//!   group's list = the top `k` of [`crate::domain::group::rank`] (neutral weights); each
//!   member's NDCG@k of that list against their held-out test films (relevance as in the eval
//!   protocol's top-N task: every test film, whatever its rating).
//! - Reported per (kind, size, strategy): the mean member NDCG@k and the mean over groups of the
//!   worst-off member's NDCG@k; per strategy the mean of those over the nine cells; and whether
//!   the default strategy is within 5 % of the best on both.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::Path;
use std::time::Instant;

use anyhow::Context as _;
use serde::Serialize;

use crate::domain::catalog::{Movie, MovieInfo};
use crate::domain::events::{FeedbackEvent, FeedbackKind};
use crate::domain::group::{self, GroupParams, Member, Strategy};
use crate::domain::ids::{MovieId, UserId};
use crate::domain::recommend::metrics::topn_metrics;
use crate::domain::recommend::snapshot::{ModelSnapshot, TrainParams, train};
use crate::domain::rng::{SplitMix64, mix64, per_user_split};
use crate::offline::eval::rating_event;
use crate::offline::eval::ratings::read_rows;

/// Group sizes evaluated.
pub const GROUP_SIZES: [usize; 3] = [2, 4, 8];
/// Candidate members drawn per similar or divergent group.
const POOL: usize = 100;
/// Co-rated films below which two users' correlation counts as 0.
const MIN_CO_RATED: usize = 5;
/// The share of the best figure the default strategy must reach.
const TARGET_RATIO: f64 = 0.95;

/// How a synthetic group's members are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Uniformly at random.
    Random,
    /// High taste similarity (greedy max-min Pearson).
    Similar,
    /// Low taste similarity (greedy min-max Pearson).
    Divergent,
}

impl Kind {
    /// Every kind, in report order.
    pub const ALL: [Kind; 3] = [Kind::Random, Kind::Similar, Kind::Divergent];

    /// The name in reports.
    pub const fn name(self) -> &'static str {
        match self {
            Kind::Random => "random",
            Kind::Similar => "similar",
            Kind::Divergent => "divergent",
        }
    }
}

/// Settings of [`evaluate_groups`].
#[derive(Debug, Clone, PartialEq)]
pub struct GroupEvalOptions {
    /// List length.
    pub k: usize,
    /// Groups per (kind, size).
    pub groups: usize,
    /// Seed of the group draws.
    pub seed: u64,
    /// [`GroupParams::misery_threshold`] for every strategy.
    pub misery_threshold: f64,
    /// [`GroupParams::approval_threshold`] for every strategy.
    pub approval_threshold: f64,
    /// Count only test films rated at least this as relevant (`None`: every test film, as in
    /// the protocol's top-N task).
    pub min_rating: Option<f32>,
}

impl Default for GroupEvalOptions {
    fn default() -> Self {
        let p = GroupParams::default();
        Self {
            k: 10,
            groups: 200,
            seed: 7,
            misery_threshold: p.misery_threshold,
            approval_threshold: p.approval_threshold,
            min_rating: None,
        }
    }
}

/// One strategy's figures in one cell (or averaged over cells).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StrategyResult {
    /// [`Strategy::name`].
    pub strategy: String,
    /// Mean over groups of the mean member NDCG@k.
    pub mean_ndcg: f64,
    /// Mean over groups of the worst-off member's NDCG@k.
    pub worst_ndcg: f64,
    /// Seconds spent in [`group::rank`] for this strategy (summed over the groups).
    pub rank_s: f64,
}

/// One (kind, size) cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cell {
    pub kind: Kind,
    pub size: usize,
    /// Groups evaluated.
    pub groups: usize,
    /// Mean within-group Pearson correlation over all member pairs (0 for pairs with fewer
    /// than 5 co-rated films).
    pub mean_pearson: f64,
    /// Mean candidates per group.
    pub mean_candidates: f64,
    /// Reference: the members' NDCG@k of their own personal top-k (their own train films
    /// excluded), averaged over the members of every group.
    pub individual_ndcg: f64,
    /// One entry per [`Strategy::ALL`], same order.
    pub strategies: Vec<StrategyResult>,
}

/// Is the default strategy good enough in one scope ("all" cells or one kind)?
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// `all` or a kind's name.
    pub scope: String,
    /// The default strategy's name.
    pub default: String,
    pub default_mean: f64,
    pub default_worst: f64,
    pub best_mean_strategy: String,
    pub best_mean: f64,
    pub best_worst_strategy: String,
    pub best_worst: f64,
    /// Default mean ≥ 95 % of the best mean and default worst-off ≥ 95 % of the best worst-off.
    pub within_5_percent: bool,
    /// The default has the best worst-off figure of all strategies.
    pub best_on_worst: bool,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupReport {
    pub k: usize,
    pub groups_per_cell: usize,
    pub seed: u64,
    /// `test` or `validation` (`per_user_split(train, 43)`; the test file is not read).
    pub evaluated_on: String,
    pub misery_threshold: f64,
    pub approval_threshold: f64,
    /// Relevance: `None` = every test film, else test films rated at least this.
    pub min_rating: Option<f32>,
    pub default_strategy: String,
    pub train_rows: usize,
    pub test_rows: usize,
    /// Test users (with test rows and a train history).
    pub users: usize,
    pub catalogue: usize,
    pub cells: Vec<Cell>,
    /// Per strategy, averaged over every cell (kind `all`) and over the sizes of each kind.
    pub summary: Vec<(String, Vec<StrategyResult>)>,
    pub verdicts: Vec<Verdict>,
    pub train_s: f64,
    pub enjoyment_s: f64,
    pub groups_s: f64,
    pub threads: usize,
}

/// One test user's data.
struct UserData {
    id: i64,
    /// Enjoyment of every catalogue film (catalogue order).
    enjoy: Vec<f64>,
    /// (catalogue index, rating) of the train rows, by index.
    train: Vec<(u32, f32)>,
    /// Test films (raw ids, possibly outside the catalogue).
    relevant: HashSet<i64>,
    /// NDCG@k of the user's own top-k.
    individual_ndcg: f64,
}

/// NDCG@k of `list` against `relevant`, exactly as the protocol's top-N metrics compute it.
fn ndcg(list: &[i64], relevant: &HashSet<i64>, k: usize) -> f64 {
    let lists = HashMap::from([(0i64, list.to_vec())]);
    let rel = HashMap::from([(0i64, relevant.clone())]);
    topn_metrics(&lists, &rel, k, 1).ndcg
}

/// Pearson correlation of two users' ratings over co-rated films; 0 with fewer than
/// [`MIN_CO_RATED`] co-rated films or no variance.
fn pearson(left: &[(u32, f32)], right: &[(u32, f32)]) -> f64 {
    let mut pairs: Vec<(f64, f64)> = Vec::new();
    let (mut li, mut ri) = (0, 0);
    while li < left.len() && ri < right.len() {
        match left[li].0.cmp(&right[ri].0) {
            std::cmp::Ordering::Less => li += 1,
            std::cmp::Ordering::Greater => ri += 1,
            std::cmp::Ordering::Equal => {
                pairs.push((f64::from(left[li].1), f64::from(right[ri].1)));
                li += 1;
                ri += 1;
            }
        }
    }
    if pairs.len() < MIN_CO_RATED {
        return 0.0;
    }
    let count = pairs.len() as f64;
    let (mean_l, mean_r) = pairs
        .iter()
        .fold((0.0, 0.0), |(x, y), p| (x + p.0 / count, y + p.1 / count));
    let (mut cov, mut var_l, mut var_r) = (0.0, 0.0, 0.0);
    for (x, y) in pairs {
        cov += (x - mean_l) * (y - mean_r);
        var_l += (x - mean_l) * (x - mean_l);
        var_r += (y - mean_r) * (y - mean_r);
    }
    if var_l <= 0.0 || var_r <= 0.0 {
        0.0
    } else {
        cov / (var_l * var_r).sqrt()
    }
}

/// Pairwise similarities, computed on demand and kept.
struct Similarity<'a> {
    users: &'a [UserData],
    cache: HashMap<(usize, usize), f64>,
}

impl Similarity<'_> {
    fn get(&mut self, a: usize, b: usize) -> f64 {
        let key = (a.min(b), a.max(b));
        let users = self.users;
        *self
            .cache
            .entry(key)
            .or_insert_with(|| pearson(&users[key.0].train, &users[key.1].train))
    }

    /// Mean correlation over every pair of `group`.
    fn mean_within(&mut self, group: &[usize]) -> f64 {
        let pairs = group.len() * group.len().saturating_sub(1) / 2;
        if pairs == 0 {
            return 0.0;
        }
        let mut sum = 0.0;
        for (a, &x) in group.iter().enumerate() {
            for &y in &group[a + 1..] {
                sum += self.get(x, y);
            }
        }
        sum / pairs as f64
    }
}

/// `count` distinct indices of `0..n` other than `except`, drawn uniformly (partial
/// Fisher–Yates).
fn sample(n: usize, count: usize, except: usize, rng: &mut SplitMix64) -> Vec<usize> {
    let mut all: Vec<usize> = (0..n).filter(|&i| i != except).collect();
    let count = count.min(all.len());
    for i in 0..count {
        let j = i + rng.below(all.len() - i);
        all.swap(i, j);
    }
    all.truncate(count);
    all
}

/// One synthetic group (indices into the users), `size` ≤ number of users.
fn build_group(
    kind: Kind,
    size: usize,
    sim: &mut Similarity<'_>,
    rng: &mut SplitMix64,
) -> Vec<usize> {
    let n = sim.users.len();
    let first = rng.below(n);
    if kind == Kind::Random {
        let mut g = vec![first];
        g.extend(sample(n, size - 1, first, rng));
        return g;
    }
    let pool = sample(n, POOL.max(size - 1), first, rng);
    let mut g = vec![first];
    while g.len() < size {
        let mut best: Option<(f64, usize)> = None;
        for &c in &pool {
            if g.contains(&c) {
                continue;
            }
            let sims: Vec<f64> = g.iter().map(|&m| sim.get(m, c)).collect();
            let (agg, better) = if kind == Kind::Similar {
                let v = sims.iter().copied().fold(f64::INFINITY, f64::min);
                (v, best.is_none_or(|b| v > b.0))
            } else {
                let v = sims.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                (v, best.is_none_or(|b| v < b.0))
            };
            if better {
                best = Some((agg, c));
            }
        }
        match best {
            Some((_, c)) => g.push(c),
            None => break,
        }
    }
    g
}

/// Accumulates one strategy's figures over groups.
#[derive(Debug, Clone, Copy, Default)]
struct Acc {
    mean: f64,
    worst: f64,
    rank_s: f64,
}

/// The catalogue (the train films, by id) and the train rows as imported-rating events.
fn snapshot_inputs(train_rows: &[(i64, i64, f32)]) -> (Vec<i64>, Vec<Movie>, Vec<FeedbackEvent>) {
    let mut catalogue: Vec<i64> = train_rows.iter().map(|r| r.1).collect();
    catalogue.sort_unstable();
    catalogue.dedup();
    let movies = catalogue
        .iter()
        .map(|&m| Movie {
            id: MovieId(m),
            info: MovieInfo {
                title: format!("Film {m}"),
                ..MovieInfo::default()
            },
        })
        .collect();
    let events = train_rows
        .iter()
        .enumerate()
        .map(|(n, r)| rating_event(n, r.0, r.1, r.2, FeedbackKind::Historical))
        .collect();
    (catalogue, movies, events)
}

/// The test users (test rows, relevant under `min_rating`, and a train history), by id, with
/// their enjoyment of the whole catalogue from `snap`.
fn test_users(
    train_rows: &[(i64, i64, f32)],
    test_rows: &[(i64, i64, f32)],
    catalogue: &[i64],
    snap: &ModelSnapshot,
    k: usize,
    min_rating: Option<f32>,
) -> Vec<UserData> {
    let index: HashMap<i64, u32> = catalogue
        .iter()
        .enumerate()
        .map(|(i, &m)| (m, i as u32))
        .collect();
    let mut train_of: HashMap<i64, Vec<(u32, f32)>> = HashMap::new();
    for r in train_rows {
        train_of.entry(r.0).or_default().push((index[&r.1], r.2));
    }
    let mut relevant: HashMap<i64, HashSet<i64>> = HashMap::new();
    for r in test_rows {
        if train_of.contains_key(&r.0) && min_rating.is_none_or(|m| r.2 >= m) {
            relevant.entry(r.0).or_default().insert(r.1);
        }
    }
    let mut ids: Vec<i64> = relevant.keys().copied().collect();
    ids.sort_unstable();
    let movie_ids: Vec<MovieId> = catalogue.iter().map(|&m| MovieId(m)).collect();
    ids.iter()
        .map(|&u| {
            let mut tr = train_of.remove(&u).unwrap_or_default();
            tr.sort_unstable_by_key(|e| e.0);
            tr.dedup_by_key(|e| e.0);
            let enjoy = snap.enjoyment(UserId(u), &movie_ids);
            let rel = relevant.remove(&u).unwrap_or_default();
            let own = top_k_unrated(&enjoy, &tr, k, catalogue);
            UserData {
                id: u,
                individual_ndcg: ndcg(&own, &rel, k),
                enjoy,
                train: tr,
                relevant: rel,
            }
        })
        .collect()
}

/// What one cell shares: the users, their similarities, the catalogue and the strategies.
struct Bench<'a> {
    users: &'a [UserData],
    sim: Similarity<'a>,
    catalogue: &'a [i64],
    params: Vec<GroupParams>,
    k: usize,
}

impl Bench<'_> {
    /// `groups` groups of one kind and size: every strategy's figures.
    fn cell(
        &mut self,
        kind: Kind,
        size: usize,
        groups: usize,
        rng: &mut SplitMix64,
    ) -> anyhow::Result<Cell> {
        let users = self.users;
        let mut acc = vec![Acc::default(); self.params.len()];
        let (mut pearson_sum, mut cand_sum, mut own_sum) = (0.0, 0.0, 0.0);
        let mut in_train = vec![false; self.catalogue.len()];
        for _ in 0..groups {
            let g = build_group(kind, size, &mut self.sim, rng);
            pearson_sum += self.sim.mean_within(&g);
            own_sum += g.iter().map(|&m| users[m].individual_ndcg).sum::<f64>() / g.len() as f64;
            in_train.fill(false);
            for &m in &g {
                for &(i, _) in &users[m].train {
                    in_train[i as usize] = true;
                }
            }
            let cands: Vec<usize> = (0..in_train.len()).filter(|&i| !in_train[i]).collect();
            cand_sum += cands.len() as f64;
            let members: Vec<Member> = g
                .iter()
                .map(|&m| Member {
                    user: UserId(users[m].id),
                    enjoyment: cands.iter().map(|&c| users[m].enjoy[c]).collect(),
                    weight: 1.0,
                })
                .collect();
            for (p, a) in self.params.iter().zip(acc.iter_mut()) {
                let t = Instant::now();
                let ranked = group::rank(&members, p)?;
                a.rank_s += t.elapsed().as_secs_f64();
                let list: Vec<i64> = ranked
                    .iter()
                    .take(self.k)
                    .map(|s| self.catalogue[cands[s.candidate]])
                    .collect();
                let scores: Vec<f64> = g
                    .iter()
                    .map(|&m| ndcg(&list, &users[m].relevant, self.k))
                    .collect();
                a.mean += scores.iter().sum::<f64>() / scores.len() as f64;
                a.worst += scores.iter().copied().fold(f64::INFINITY, f64::min);
            }
        }
        let n = groups.max(1) as f64;
        Ok(Cell {
            kind,
            size,
            groups,
            mean_pearson: pearson_sum / n,
            mean_candidates: cand_sum / n,
            individual_ndcg: own_sum / n,
            strategies: self
                .params
                .iter()
                .zip(&acc)
                .map(|(p, a)| StrategyResult {
                    strategy: p.strategy.name().to_owned(),
                    mean_ndcg: a.mean / n,
                    worst_ndcg: a.worst / n,
                    rank_s: a.rank_s,
                })
                .collect(),
        })
    }
}

/// Runs the benchmark on rows in memory (see the module docs). `train_rows` and `test_rows` are
/// `(user, item, rating)`.
///
/// # Errors
/// When the snapshot cannot be trained or a threshold is out of range.
pub fn evaluate_groups(
    train_rows: &[(i64, i64, f32)],
    test_rows: &[(i64, i64, f32)],
    opts: &GroupEvalOptions,
) -> anyhow::Result<GroupReport> {
    let k = opts.k.max(1);
    let base = GroupParams::default()
        .misery_threshold(opts.misery_threshold)?
        .approval_threshold(opts.approval_threshold)?;
    let (catalogue, movies, events) = snapshot_inputs(train_rows);
    let t0 = Instant::now();
    let snap = train(&movies, &events, &TrainParams::default())?;
    let train_s = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let users = test_users(train_rows, test_rows, &catalogue, &snap, k, opts.min_rating);
    let enjoyment_s = t1.elapsed().as_secs_f64();

    let t2 = Instant::now();
    let mut bench = Bench {
        users: &users,
        sim: Similarity {
            users: &users,
            cache: HashMap::new(),
        },
        catalogue: &catalogue,
        params: Strategy::ALL
            .iter()
            .map(|&strategy| GroupParams {
                strategy,
                ..base.clone()
            })
            .collect(),
        k,
    };
    let mut cells = Vec::new();
    for (kn, kind) in Kind::ALL.into_iter().enumerate() {
        for size in GROUP_SIZES.into_iter().filter(|&s| s <= users.len()) {
            let mut rng =
                SplitMix64::new(mix64(opts.seed ^ ((kn as u64 + 1) << 32) ^ (size as u64)));
            cells.push(bench.cell(kind, size, opts.groups, &mut rng)?);
        }
    }
    let groups_s = t2.elapsed().as_secs_f64();

    let mut summary = vec![("all".to_owned(), average(&cells.iter().collect::<Vec<_>>()))];
    for kind in Kind::ALL {
        let of_kind: Vec<&Cell> = cells.iter().filter(|c| c.kind == kind).collect();
        if !of_kind.is_empty() {
            summary.push((kind.name().to_owned(), average(&of_kind)));
        }
    }
    let verdicts = summary
        .iter()
        .map(|(scope, results)| verdict(scope, results))
        .collect();
    Ok(GroupReport {
        k,
        groups_per_cell: opts.groups,
        seed: opts.seed,
        evaluated_on: "test".into(),
        misery_threshold: base.misery_threshold,
        approval_threshold: base.approval_threshold,
        min_rating: opts.min_rating,
        default_strategy: Strategy::default().name().to_owned(),
        train_rows: train_rows.len(),
        test_rows: test_rows.len(),
        users: users.len(),
        catalogue: catalogue.len(),
        cells,
        summary,
        verdicts,
        train_s,
        enjoyment_s,
        groups_s,
        threads: 1,
    })
}

/// A user's own top-k raw ids: highest enjoyment among films they did not rate in train, ties
/// to the smaller id.
fn top_k_unrated(enjoy: &[f64], train: &[(u32, f32)], k: usize, catalogue: &[i64]) -> Vec<i64> {
    let mut c: Vec<usize> = (0..enjoy.len())
        .filter(|&i| train.binary_search_by_key(&(i as u32), |e| e.0).is_err())
        .collect();
    c.sort_by(|&a, &b| {
        enjoy[b]
            .total_cmp(&enjoy[a])
            .then(catalogue[a].cmp(&catalogue[b]))
    });
    c.into_iter().take(k).map(|i| catalogue[i]).collect()
}

/// Per strategy, the mean over `cells` of each figure (rank time summed).
fn average(cells: &[&Cell]) -> Vec<StrategyResult> {
    let n = cells.len().max(1) as f64;
    Strategy::ALL
        .iter()
        .enumerate()
        .map(|(s, st)| StrategyResult {
            strategy: st.name().to_owned(),
            mean_ndcg: cells.iter().map(|c| c.strategies[s].mean_ndcg).sum::<f64>() / n,
            worst_ndcg: cells
                .iter()
                .map(|c| c.strategies[s].worst_ndcg)
                .sum::<f64>()
                / n,
            rank_s: cells.iter().map(|c| c.strategies[s].rank_s).sum(),
        })
        .collect()
}

fn verdict(scope: &str, results: &[StrategyResult]) -> Verdict {
    let default = Strategy::default().name();
    let find = |name: &str| results.iter().find(|r| r.strategy == name);
    let d = find(default).cloned().unwrap_or(StrategyResult {
        strategy: default.to_owned(),
        mean_ndcg: 0.0,
        worst_ndcg: 0.0,
        rank_s: 0.0,
    });
    // The first strategy (in `Strategy::ALL` order) with the highest figure.
    let best = |f: fn(&StrategyResult) -> f64| {
        results
            .iter()
            .fold(None::<&StrategyResult>, |b, r| match b {
                Some(b) if f(b) >= f(r) => Some(b),
                _ => Some(r),
            })
            .map_or((String::new(), 0.0), |r| (r.strategy.clone(), f(r)))
    };
    let (best_mean_strategy, best_mean) = best(|r| r.mean_ndcg);
    let (best_worst_strategy, best_worst) = best(|r| r.worst_ndcg);
    Verdict {
        scope: scope.to_owned(),
        default: default.to_owned(),
        default_mean: d.mean_ndcg,
        default_worst: d.worst_ndcg,
        within_5_percent: d.mean_ndcg >= TARGET_RATIO * best_mean
            && d.worst_ndcg >= TARGET_RATIO * best_worst,
        best_on_worst: d.worst_ndcg >= best_worst,
        best_mean_strategy,
        best_mean,
        best_worst_strategy,
        best_worst,
    }
}

/// Prints `report` as a table.
fn write_table(r: &GroupReport, mut out: impl Write) -> std::io::Result<()> {
    let k = r.k;
    writeln!(
        out,
        "Group picks, {} groups per cell, seed {}, evaluated on {}{}: {} users with held-out ratings, catalogue {} films, misery threshold {}, approval threshold {}",
        r.groups_per_cell,
        r.seed,
        r.evaluated_on,
        r.min_rating
            .map(|m| format!(" (relevant: rated ≥ {m})"))
            .unwrap_or_default(),
        r.users,
        r.catalogue,
        r.misery_threshold,
        r.approval_threshold
    )?;
    writeln!(
        out,
        "mean member NDCG@{k} / mean worst-off member NDCG@{k}; own = each member's personal top-{k} (reference)"
    )?;
    write!(
        out,
        "{:<14} {:>4} {:>7} {:>6} ",
        "kind", "size", "pearson", "own"
    )?;
    for st in Strategy::ALL {
        write!(out, " {:>15}", short(st))?;
    }
    writeln!(out)?;
    for c in &r.cells {
        write!(
            out,
            "{:<14} {:>4} {:>7.3} {:>6.4} ",
            c.kind.name(),
            c.size,
            c.mean_pearson,
            c.individual_ndcg
        )?;
        for s in &c.strategies {
            write!(out, " {:>6.4} / {:.4}", s.mean_ndcg, s.worst_ndcg)?;
        }
        writeln!(out)?;
    }
    for (scope, results) in &r.summary {
        write!(
            out,
            "{:<14} {:>4} {:>7} {:>6} ",
            format!("mean {scope}"),
            "",
            "",
            ""
        )?;
        for s in results {
            write!(out, " {:>6.4} / {:.4}", s.mean_ndcg, s.worst_ndcg)?;
        }
        writeln!(out)?;
    }
    for v in &r.verdicts {
        writeln!(
            out,
            "{}: default {} mean {:.4} = {:.1} % of best ({} {:.4}), worst-off {:.4} = {:.1} % of best ({} {:.4}): {}{}",
            v.scope,
            v.default,
            v.default_mean,
            100.0 * v.default_mean / v.best_mean.max(f64::MIN_POSITIVE),
            v.best_mean_strategy,
            v.best_mean,
            v.default_worst,
            100.0 * v.default_worst / v.best_worst.max(f64::MIN_POSITIVE),
            v.best_worst_strategy,
            v.best_worst,
            if v.within_5_percent {
                "within 5 % on both"
            } else {
                "NOT within 5 % on both"
            },
            if v.best_on_worst {
                ", best on the worst-off member"
            } else {
                ""
            }
        )?;
    }
    let rank_s: f64 = r
        .summary
        .first()
        .map_or(0.0, |(_, s)| s.iter().map(|x| x.rank_s).sum());
    writeln!(
        out,
        "time: train {:.2} s, enjoyment of {} users {:.2} s, groups {:.2} s (of which rank {:.2} s), 1 thread",
        r.train_s, r.users, r.enjoyment_s, r.groups_s, rank_s
    )
}

/// A column title of at most 15 characters.
fn short(st: Strategy) -> &'static str {
    match st {
        Strategy::AverageWithoutMisery => "avg w/o misery",
        other => other.name(),
    }
}

/// `marquee eval group`: reads `train` (and `test`, unless `validate`, which scores on
/// `per_user_split(train, 43)` instead, for tuning without the test file), runs
/// [`evaluate_groups`] and prints a table or JSON.
///
/// # Errors
/// Unreadable files, an untrainable snapshot or bad thresholds.
pub fn run_eval_group(
    train: &Path,
    test: Option<&Path>,
    validate: bool,
    opts: &GroupEvalOptions,
    json: bool,
    mut out: impl Write,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let rows = read_rows(train)?;
    let (train_rows, test_rows, on) = if validate {
        let (sub, val) = per_user_split(&rows, 43);
        (sub, val, "validation (per_user_split(train, 43))")
    } else {
        let test = test.context("give --test FILE (or --validate)")?;
        (rows, read_rows(test)?, "test")
    };
    let mut report = evaluate_groups(&train_rows, &test_rows, opts)?;
    on.clone_into(&mut report.evaluated_on);
    if json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        write_table(&report, &mut out)?;
        writeln!(
            out,
            "wall time with file reading: {:.2} s",
            started.elapsed().as_secs_f64()
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    type Rows = Vec<(i64, i64, f32)>;

    /// 60 users in two taste camps over 80 films: camp A rates films 0..40 high and 40..80 low,
    /// camp B the reverse; each user rates 30 films (seeded), 6 of their liked ones held out.
    fn camps() -> (Rows, Rows) {
        let mut rng = SplitMix64::new(11);
        let (mut train, mut test) = (Vec::new(), Vec::new());
        for u in 0..60i64 {
            let a = u % 2 == 0;
            let mut films: Vec<i64> = (0..80).collect();
            rng.shuffle(&mut films);
            let mut held = 0;
            for &m in films.iter().take(30) {
                let liked = (m < 40) == a;
                let r = if liked {
                    4.0 + (m % 2) as f32
                } else {
                    1.0 + (m % 2) as f32
                };
                if liked && held < 6 {
                    held += 1;
                    test.push((u, m, r));
                } else {
                    train.push((u, m, r));
                }
            }
        }
        (train, test)
    }

    #[test]
    fn the_benchmark_runs_on_generated_camps() {
        let (train, test) = camps();
        let opts = GroupEvalOptions {
            groups: 12,
            ..GroupEvalOptions::default()
        };
        let r = evaluate_groups(&train, &test, &opts).expect("runs");
        assert_eq!(r.users, 60);
        assert_eq!(r.cells.len(), 9);
        for c in &r.cells {
            assert_eq!(c.strategies.len(), Strategy::ALL.len());
            for s in &c.strategies {
                assert!((0.0..=1.0).contains(&s.mean_ndcg), "{c:?}");
                assert!(s.worst_ndcg <= s.mean_ndcg + 1e-12, "{c:?}");
            }
        }
        let cell = |kind: Kind, size: usize| {
            r.cells
                .iter()
                .find(|c| c.kind == kind && c.size == size)
                .expect("cell")
        };
        // Similar pairs come from one camp, divergent pairs from both.
        assert!(
            cell(Kind::Similar, 2).mean_pearson > 0.5,
            "{:?}",
            cell(Kind::Similar, 2)
        );
        assert!(
            cell(Kind::Divergent, 2).mean_pearson < -0.5,
            "{:?}",
            cell(Kind::Divergent, 2)
        );
        // One camp agrees: the average serves similar pairs far better than divergent ones.
        let avg = |c: &Cell| c.strategies[0].mean_ndcg;
        assert!(avg(cell(Kind::Similar, 2)) > avg(cell(Kind::Divergent, 2)));
        // The same seed gives the same figures; the table and JSON print.
        let again = evaluate_groups(&train, &test, &opts).expect("runs");
        let figures = |r: &GroupReport| -> Vec<[f64; 3]> {
            r.cells
                .iter()
                .flat_map(|c| {
                    c.strategies
                        .iter()
                        .map(|s| [c.mean_pearson, s.mean_ndcg, s.worst_ndcg])
                })
                .collect()
        };
        assert_eq!(figures(&r), figures(&again));
        let mut text = Vec::new();
        write_table(&r, &mut text).expect("writes");
        let text = String::from_utf8(text).expect("utf-8");
        assert!(
            text.contains("mean all") && text.contains("avg w/o misery"),
            "{text}"
        );
        assert!(serde_json::to_string(&r).is_ok());
    }

    #[test]
    fn helpers_follow_the_protocol() {
        // The protocol's worked example: Rel = {a, b, c}, L = (a, x, b, y, …).
        let rel = HashSet::from([1, 2, 3]);
        let got = ndcg(&[1, 10, 2, 11, 12, 13, 14, 15, 16, 17], &rel, 10);
        assert!((got - 0.703_918).abs() < 1e-6, "{got}");
        let a = [(0, 1.0), (1, 2.0), (2, 3.0), (3, 4.0), (4, 5.0), (9, 1.0)];
        let b = [(0, 2.0), (1, 4.0), (2, 6.0), (3, 8.0), (4, 10.0)];
        let c = [(0, 5.0), (1, 4.0), (2, 3.0), (3, 2.0), (4, 1.0)];
        assert!((pearson(&a, &b) - 1.0).abs() < 1e-12);
        assert!((pearson(&a, &c) + 1.0).abs() < 1e-12);
        assert!(pearson(&a[..4], &b).abs() < 1e-12, "fewer than 5 co-rated");
        let mut rng = SplitMix64::new(1);
        let s = sample(10, 4, 3, &mut rng);
        assert_eq!(s.len(), 4);
        assert!(!s.contains(&3) && s.iter().all(|&i| i < 10));
        assert_eq!(sample(3, 9, 0, &mut rng).len(), 2);
    }
}
