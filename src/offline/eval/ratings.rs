//! `marquee eval rating` / `marquee eval topn`: the offline protocol of `docs/PROTOCOLS.md`.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, bail};
use serde::Serialize;

use crate::domain::ids::{MovieId, UserId};
use crate::domain::recommend::als::{AlsParams, ImplicitAls};
use crate::domain::recommend::baseline::BaselineParams;
use crate::domain::recommend::baseline::{Popularity, PopularityParams};
use crate::domain::recommend::ease::{Ease, EaseParams};
use crate::domain::recommend::metrics::{TopNMetrics, rmse_mae, topn_metrics};
use crate::domain::recommend::rating::ensemble::EnsembleParams;
use crate::domain::recommend::rating::knn::KnnParams;
use crate::domain::recommend::rating::mf::MfParams;
use crate::domain::recommend::rating::user_knn::UserKnnParams;
use crate::domain::recommend::{Params as _, RatingModel, Ratings, Recommender, top_k};
use crate::domain::rng::per_user_split;

/// One rating row as read: user, item, rating.
type Row = (i64, i64, f32);

/// Reads MovieLens `u.data` style (tab-separated `user item rating timestamp`, no header) or
/// CSV `user_id,item_id,rating,timestamp` with a header line.
pub fn read_rows(path: &Path) -> anyhow::Result<Vec<Row>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut rows = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            continue;
        }
        let mut f = line.split(['\t', ',']);
        let (Some(u), Some(i), Some(r)) = (f.next(), f.next(), f.next()) else {
            bail!("{}:{}: expected user, item, rating", path.display(), n + 1);
        };
        match (
            u.trim().parse::<i64>(),
            i.trim().parse::<i64>(),
            r.trim().parse::<f32>(),
        ) {
            (Ok(u), Ok(i), Ok(r)) if r.is_finite() => rows.push((u, i, r)),
            _ if n == 0 => {} // header
            _ => bail!("{}:{}: cannot parse {line:?}", path.display(), n + 1),
        }
    }
    Ok(rows)
}

fn to_ratings(rows: &[Row]) -> anyhow::Result<Ratings> {
    let triples: Vec<(UserId, MovieId, f32)> = rows
        .iter()
        .map(|r| (UserId(r.0), MovieId(r.1), r.2))
        .collect();
    Ok(Ratings::from_triples(&triples)?)
}

/// The rating models `--model` accepts; the default is `ensemble`.
pub const RATING_MODELS: [&str; 6] = ["ensemble", "baseline", "mf", "svdpp", "knn", "uknn"];

fn fit_rating_model(name: &str, train: &Ratings) -> anyhow::Result<Box<dyn RatingModel>> {
    Ok(match name {
        "ensemble" => Box::new(EnsembleParams::default().check()?.fit(train)?),
        "baseline" => Box::new(BaselineParams::default().check()?.fit(train)?),
        "mf" => Box::new(MfParams::default().check()?.fit(train)?),
        "svdpp" => Box::new(
            EnsembleParams::default()
                .svdpp
                .unwrap_or_default()
                .check()?
                .fit(train)?,
        ),
        "knn" => Box::new(KnnParams::default().check()?.fit(train)?),
        "uknn" => Box::new(UserKnnParams::default().check()?.fit(train)?),
        other => bail!("unknown rating model {other:?}; expected one of {RATING_MODELS:?}"),
    })
}

/// One fold's result.
#[derive(Debug, Clone, Serialize)]
pub struct FoldResult {
    pub train: String,
    pub test: String,
    pub rmse: f64,
    pub mae: f64,
    pub fit_s: f64,
    pub predict_s: f64,
    pub test_rows: usize,
}

/// The rating task over several folds.
#[derive(Debug, Clone, Serialize)]
pub struct RatingReport {
    pub model: String,
    pub folds: Vec<FoldResult>,
    pub mean_rmse: f64,
    pub mean_mae: f64,
    /// Σ (fit + predict) over folds, seconds, 1 thread.
    pub total_s: f64,
    pub threads: usize,
}

fn eval_rating_fold(
    train: &Path,
    test: &Path,
    model: &str,
    predictions: Option<&mut dyn Write>,
) -> anyhow::Result<FoldResult> {
    let train_rows = read_rows(train)?;
    let test_rows = read_rows(test)?;
    let (lo, hi) = train_rows
        .iter()
        .fold((f32::MAX, f32::MIN), |(a, b), r| (a.min(r.2), b.max(r.2)));
    let data = to_ratings(&train_rows)?;
    let t0 = Instant::now();
    let m = fit_rating_model(model, &data)?;
    let t1 = Instant::now();
    let preds: Vec<f32> = test_rows
        .iter()
        .map(|r| m.predict(UserId(r.0), MovieId(r.1)).clamp(lo, hi))
        .collect();
    let t2 = Instant::now();
    let pairs: Vec<(f32, f32)> = test_rows
        .iter()
        .zip(&preds)
        .map(|(r, &p)| (r.2, p))
        .collect();
    let (rmse, mae) = rmse_mae(&pairs);
    if let Some(w) = predictions {
        for (r, p) in test_rows.iter().zip(&preds) {
            writeln!(w, "{},{},{},{p:.6}", r.0, r.1, r.2)?;
        }
    }
    Ok(FoldResult {
        train: train.display().to_string(),
        test: test.display().to_string(),
        rmse,
        mae,
        fit_s: (t1 - t0).as_secs_f64(),
        predict_s: (t2 - t1).as_secs_f64(),
        test_rows: test_rows.len(),
    })
}

/// The rating task (protocol §A) on several folds: fit on train only, predict every test row
/// (unknown users/films get the model's bias fallback), clip to the train scale, report RMSE
/// and MAE per fold and their means, and fit/predict times (parsing excluded). `predictions`
/// receives `user,item,rating,predicted` per test row of every fold, in order.
pub fn run_eval_rating_folds(
    pairs: &[(PathBuf, PathBuf)],
    model: Option<&str>,
    json: bool,
    predictions: Option<&Path>,
    mut out: impl Write,
) -> anyhow::Result<()> {
    let model = model.unwrap_or("ensemble");
    let mut pred_file = match predictions {
        Some(p) => {
            let mut f = std::io::BufWriter::new(
                std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
            );
            writeln!(f, "user,item,rating,predicted")?;
            Some(f)
        }
        None => None,
    };
    let mut folds = Vec::new();
    for (train, test) in pairs {
        let w = pred_file.as_mut().map(|f| f as &mut dyn Write);
        folds.push(eval_rating_fold(train, test, model, w)?);
    }
    if let Some(mut f) = pred_file {
        f.flush()?;
    }
    let n = folds.len().max(1) as f64;
    let report = RatingReport {
        model: model.to_owned(),
        mean_rmse: folds.iter().map(|f| f.rmse).sum::<f64>() / n,
        mean_mae: folds.iter().map(|f| f.mae).sum::<f64>() / n,
        total_s: folds.iter().map(|f| f.fit_s + f.predict_s).sum(),
        threads: 1,
        folds,
    };
    if json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        for f in &report.folds {
            writeln!(
                out,
                "{}  RMSE {:.4}  MAE {:.4}  fit {:.3} s  predict {:.3} s  ({} rows)",
                f.test, f.rmse, f.mae, f.fit_s, f.predict_s, f.test_rows
            )?;
        }
        writeln!(
            out,
            "{}: mean RMSE {:.4}  mean MAE {:.4}  total {:.2} s over {} fold(s), 1 thread",
            report.model,
            report.mean_rmse,
            report.mean_mae,
            report.total_s,
            report.folds.len()
        )?;
    }
    Ok(())
}

/// The top-N models `--model` accepts; the default is `blend` (EASE + implicit ALS +
/// popularity, weights and EASE λ chosen on the validation split).
pub const TOPN_MODELS: [&str; 4] = ["blend", "ease", "als", "pop"];

/// Fitted top-N components on one training matrix.
struct TopN {
    data: Ratings,
    ease: Option<Ease>,
    als: Option<ImplicitAls>,
    pop: Popularity,
}

/// Blend weights of the standardised component scores.
#[derive(Debug, Clone, Copy, Serialize)]
struct Weights {
    ease: f32,
    als: f32,
    pop: f32,
}

impl TopN {
    fn fit(
        data: Ratings,
        ease: Option<EaseParams>,
        als: Option<AlsParams>,
    ) -> anyhow::Result<Self> {
        let ease = match ease {
            Some(p) => Some(p.check()?.fit(&data)?),
            None => None,
        };
        let als = match als {
            Some(p) => Some(p.check()?.fit(&data)?),
            None => None,
        };
        let pop = PopularityParams::default().check()?.fit(&data)?;
        Ok(Self {
            data,
            ease,
            als,
            pop,
        })
    }

    /// Standardised component scores for user index `u` (`(s − mean) / sd` over all films).
    fn components(&self, user: UserId, bufs: &mut [Vec<f32>; 3]) {
        let n = self.data.n_items();
        for b in bufs.iter_mut() {
            b.clear();
            b.resize(n, 0.0);
        }
        if let Some(e) = &self.ease {
            e.score_into(user, &mut bufs[0]);
        }
        if let Some(a) = &self.als {
            a.score_into(user, &mut bufs[1]);
        }
        self.pop.score_into(user, &mut bufs[2]);
        for b in bufs.iter_mut() {
            let mean = b.iter().sum::<f32>() / n.max(1) as f32;
            let var = b.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / n.max(1) as f32;
            let inv = if var > 0.0 { 1.0 / var.sqrt() } else { 0.0 };
            for v in b.iter_mut() {
                *v = (*v - mean) * inv;
            }
        }
    }

    /// Top-k lists (raw item ids) for every user of `users`, train films excluded, ties to the
    /// smaller item id, for each weight setting.
    fn lists(&self, users: &[i64], k: usize, settings: &[Weights]) -> Vec<HashMap<i64, Vec<i64>>> {
        let mut out = vec![HashMap::new(); settings.len()];
        let mut bufs = [Vec::new(), Vec::new(), Vec::new()];
        let mut total = vec![0f32; self.data.n_items()];
        let items = &self.data.items;
        for &u in users {
            let Some(ui) = self.data.users.get(UserId(u)) else {
                continue;
            };
            self.components(UserId(u), &mut bufs);
            let (seen, _) = self.data.by_user.row(ui as usize);
            for (w, lists) in settings.iter().zip(out.iter_mut()) {
                for (i, t) in total.iter_mut().enumerate() {
                    *t = w.ease * bufs[0][i] + w.als * bufs[1][i] + w.pop * bufs[2][i];
                }
                let top = top_k(
                    &total,
                    k,
                    |i| items.id(i).0,
                    |i| seen.binary_search(&i).is_ok(),
                );
                lists.insert(u, top.into_iter().map(|(i, _)| items.id(i).0).collect());
            }
        }
        out
    }
}

fn relevant_of(test: &[Row]) -> HashMap<i64, HashSet<i64>> {
    let mut rel: HashMap<i64, HashSet<i64>> = HashMap::new();
    for r in test {
        rel.entry(r.0).or_default().insert(r.1);
    }
    rel
}

fn binary(rows: &[Row]) -> anyhow::Result<Ratings> {
    let ones: Vec<Row> = rows.iter().map(|r| (r.0, r.1, 1.0)).collect();
    to_ratings(&ones)
}

/// What [`tune_blend`] chose on the validation split.
struct Tuned {
    lambda: f32,
    als: AlsParams,
    weights: Weights,
    val_ndcg: f64,
    val_coverage: f64,
    /// The coverage floor the choice had to meet (see [`tune_blend`]).
    floor: f64,
    /// Validation NDCG and coverage of the chosen ALS alone and of the best EASE alone.
    als_alone: (f64, f64),
    ease_alone: (f64, f64),
}

impl Tuned {
    /// What validation said, for the report line.
    fn describe(&self) -> String {
        format!(
            " · validation NDCG {:.4}, coverage {:.4} (floor {:.4}; alone: ALS {:.4} / {:.4}, EASE {:.4} / {:.4})",
            self.val_ndcg,
            self.val_coverage,
            self.floor,
            self.als_alone.0,
            self.als_alone.1,
            self.ease_alone.0,
            self.ease_alone.1
        )
    }
}

/// The implicit-ALS grid searched on validation: factors {32, 64} × λ {10, 30, 100} × α
/// {0, 4, 9} (our confidence is `1 + α·r`, so α 0 / 4 / 9 are `implicit`'s α 1 / 5 / 10; a first
/// run with λ {1, 10, 30} × α {0, 4} never chose λ 1 and chose the edge λ 30, α 4), 15 sweeps,
/// 3 CG steps, 2 threads (deterministic).
fn als_grid() -> Vec<AlsParams> {
    let mut g = Vec::new();
    for factors in [32usize, 64] {
        for reg in [10.0f32, 30.0, 100.0] {
            for alpha in [0.0f32, 4.0, 9.0] {
                g.push(AlsParams {
                    factors,
                    reg,
                    alpha,
                    iterations: 15,
                    cg_steps: 3,
                    threads: 2,
                    ..AlsParams::default()
                });
            }
        }
    }
    g
}

/// Chooses the components and blend on `per_user_split(train, 43)` only (never on test):
/// 1. implicit ALS: the grid of [`als_grid`], best validation NDCG@k alone;
/// 2. EASE λ ∈ {250, 500, 1000, 2000} × weights (EASE 1, ALS 0–2, popularity −0.3–0.15 of the
///    standardised scores; a negative popularity weight is an explicit popularity debiasing,
///    Abdollahpouri et al. 2017-style re-scoring, that widens coverage);
/// 3. the setting with the best validation NDCG@k whose validation coverage is at least the
///    floor: the validation coverage of the better single model (the chosen ALS alone or the
///    best EASE alone, by validation NDCG) — the blend must beat the best single model without
///    showing a narrower catalogue than it, as the issue asks of the anchors — falling back to
///    the best NDCG when no setting meets the floor.
fn tune_blend(train_rows: &[Row], k: usize) -> anyhow::Result<Tuned> {
    let (sub, val) = per_user_split(train_rows, 43);
    let sub = binary(&sub)?;
    let cat = sub.n_items();
    let rel = relevant_of(&val);
    let mut users: Vec<i64> = rel.keys().copied().collect();
    users.sort_unstable();
    let alone = [Weights {
        ease: 0.0,
        als: 1.0,
        pop: 0.0,
    }];
    let mut best_als: Option<(f64, f64, AlsParams, ImplicitAls)> = None;
    for p in als_grid() {
        let m = TopN::fit(sub.clone(), None, Some(p.clone()))?;
        let lists = m.lists(&users, k, &alone).pop().unwrap_or_default();
        let x = topn_metrics(&lists, &rel, k, cat);
        if best_als.as_ref().is_none_or(|b| x.ndcg > b.0)
            && let Some(a) = m.als
        {
            best_als = Some((x.ndcg, x.coverage, p, a));
        }
    }
    let Some((als_ndcg, als_cov, als_p, als)) = best_als else {
        bail!("no ALS setting could be fitted");
    };
    let lambdas = [250.0f32, 500.0, 1000.0, 2000.0];
    let grid: Vec<Weights> = [0.0f32, 0.15, 0.3, 0.5, 0.8, 1.2, 2.0]
        .iter()
        .flat_map(|&a| {
            [0.0f32, -0.3, -0.2, -0.1, -0.05, 0.05, 0.15]
                .into_iter()
                .map(move |p| Weights {
                    ease: 1.0,
                    als: a,
                    pop: p,
                })
        })
        .collect();
    // (λ, weights, ndcg, coverage) for every setting.
    let mut scored: Vec<(f32, Weights, f64, f64)> = Vec::new();
    let mut ease_best = (f64::MIN, 0.0f64);
    for &lambda in &lambdas {
        let mut m = TopN::fit(
            sub.clone(),
            Some(EaseParams {
                lambda,
                ..EaseParams::default()
            }),
            None,
        )?;
        m.als = Some(als.clone());
        let all = m.lists(&users, k, &grid);
        for (w, lists) in grid.iter().zip(&all) {
            let x = topn_metrics(lists, &rel, k, cat);
            if w.als == 0.0 && w.pop == 0.0 && x.ndcg > ease_best.0 {
                ease_best = (x.ndcg, x.coverage);
            }
            scored.push((lambda, *w, x.ndcg, x.coverage));
        }
    }
    let floor = if als_ndcg > ease_best.0 {
        als_cov
    } else {
        ease_best.1
    };
    let pick = |min_cov: f64| {
        scored
            .iter()
            .filter(|s| s.3 >= min_cov)
            .fold(None::<&(f32, Weights, f64, f64)>, |b, s| match b {
                Some(b) if b.2 >= s.2 => Some(b),
                _ => Some(s),
            })
            .copied()
    };
    let Some((lambda, weights, val_ndcg, val_coverage)) = pick(floor).or_else(|| pick(0.0)) else {
        bail!("no blend setting could be scored");
    };
    Ok(Tuned {
        lambda,
        als: als_p,
        weights,
        val_ndcg,
        val_coverage,
        floor,
        als_alone: (als_ndcg, als_cov),
        ease_alone: ease_best,
    })
}

/// Writes `user,rank,item` rows for every user's list.
fn write_lists(path: &Path, users: &[i64], lists: &HashMap<i64, Vec<i64>>) -> anyhow::Result<()> {
    let mut f = std::io::BufWriter::new(
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
    );
    writeln!(f, "user,rank,item")?;
    for u in users {
        for (j, i) in lists.get(u).into_iter().flatten().enumerate() {
            writeln!(f, "{u},{},{i}", j + 1)?;
        }
    }
    f.flush()?;
    Ok(())
}

/// The top-N report.
#[derive(Debug, Clone, Serialize)]
pub struct TopNReport {
    pub model: String,
    pub k: usize,
    pub metrics: TopNMetrics,
    pub catalogue: usize,
    pub chosen: String,
    pub validation_ndcg: Option<f64>,
    pub tune_s: f64,
    pub fit_s: f64,
    pub recommend_s: f64,
    pub threads: usize,
}

/// The top-N task (protocol §B): binary implicit training signal (ratings ignored), catalogue =
/// train films, candidates = catalogue minus the user's train films, relevant = every test film
/// of the user; P/R/NDCG/MAP/HR@k and coverage. `blend` (the default) chooses EASE's λ and the
/// blend weights on `per_user_split(train, 43)` by validation NDCG@k, then refits on all of
/// train. `predictions` receives `user,rank,item`.
pub fn run_eval_topn(
    train: &Path,
    test: &Path,
    k: usize,
    model: Option<&str>,
    json: bool,
    predictions: Option<&Path>,
    mut out: impl Write,
) -> anyhow::Result<()> {
    let model = model.unwrap_or("blend");
    if !TOPN_MODELS.contains(&model) {
        bail!("unknown top-N model {model:?}; expected one of {TOPN_MODELS:?}");
    }
    let k = k.max(1);
    let train_rows = read_rows(train)?;
    let test_rows = read_rows(test)?;
    let t_tune = Instant::now();
    let mut ease_p = EaseParams::default();
    let mut als_p = AlsParams::default();
    let (ease, als, pop) = match model {
        "als" => (0.0, 1.0, 0.0),
        "pop" => (0.0, 0.0, 1.0),
        _ => (1.0, 0.0, 0.0),
    };
    let mut weights = Weights { ease, als, pop };
    let mut val_ndcg = None;
    let mut val_note = String::new();
    if model == "blend" {
        let t = tune_blend(&train_rows, k)?;
        ease_p.lambda = t.lambda;
        als_p = AlsParams {
            threads: 1,
            ..t.als
        };
        weights = t.weights;
        val_ndcg = Some(t.val_ndcg);
        val_note = t.describe();
    }
    let tune_s = t_tune.elapsed().as_secs_f64();
    let chosen = format!(
        "ease λ {} · als {} f, reg {} (ν {}), α {} · weights ease {} als {} pop {}{val_note}",
        ease_p.lambda,
        als_p.factors,
        als_p.reg,
        als_p.reg_exponent,
        als_p.alpha,
        weights.ease,
        weights.als,
        weights.pop
    );
    let data = binary(&train_rows)?;
    let t0 = Instant::now();
    let m = TopN::fit(
        data,
        (weights.ease != 0.0).then_some(ease_p),
        (weights.als != 0.0).then_some(als_p),
    )?;
    let t1 = Instant::now();
    let rel = relevant_of(&test_rows);
    let mut users: Vec<i64> = rel.keys().copied().collect();
    users.sort_unstable();
    let lists = m.lists(&users, k, &[weights]).pop().unwrap_or_default();
    let t2 = Instant::now();
    let metrics = topn_metrics(&lists, &rel, k, m.data.n_items());
    if let Some(p) = predictions {
        write_lists(p, &users, &lists)?;
    }
    let report = TopNReport {
        model: model.to_owned(),
        k,
        metrics,
        catalogue: m.data.n_items(),
        chosen,
        validation_ndcg: val_ndcg,
        tune_s,
        fit_s: (t1 - t0).as_secs_f64(),
        recommend_s: (t2 - t1).as_secs_f64(),
        threads: 1,
    };
    if json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        let x = &report.metrics;
        writeln!(
            out,
            "{} ({}): P@{k} {:.4}  R@{k} {:.4}  NDCG@{k} {:.4}  MAP@{k} {:.4}  HR@{k} {:.4}  coverage {:.4}  | {} users, catalogue {} | tune {:.2} s, fit {:.2} s, recommend {:.2} s, 1 thread",
            report.model,
            report.chosen,
            x.precision,
            x.recall,
            x.ndcg,
            x.map,
            x.hit_rate,
            x.coverage,
            x.users,
            report.catalogue,
            report.tune_s,
            report.fit_s,
            report.recommend_s
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folds(
        dir: &str,
        n: usize,
        f: impl Fn(usize) -> (String, String),
    ) -> Vec<(PathBuf, PathBuf)> {
        (1..=n)
            .map(|k| {
                let (a, b) = f(k);
                (PathBuf::from(dir).join(a), PathBuf::from(dir).join(b))
            })
            .collect()
    }

    /// Scratch runner for the real data (not part of the normal suite).
    #[test]
    #[ignore = "reads /work/shared/data; run with --ignored in release"]
    fn eval_rating_on_movielens() {
        let model = std::env::var("MODEL").ok();
        let ml = folds("/work/shared/data/ml-100k", 5, |k| {
            (format!("u{k}.base"), format!("u{k}.test"))
        });
        run_eval_rating_folds(&ml, model.as_deref(), false, None, std::io::stdout()).expect("runs");
        let ls = folds("/work/shared/data/splits/ml-latest-small-5fold", 5, |k| {
            (format!("fold{k}.train.csv"), format!("fold{k}.test.csv"))
        });
        run_eval_rating_folds(&ls, model.as_deref(), false, None, std::io::stdout()).expect("runs");
    }

    /// Model selection for the rating ensemble, on validation only: each fold's train is split
    /// by `per_user_split(train, 43)`; every candidate fits on the sub-train and is scored on
    /// the validation rows (test files are never read).
    #[test]
    #[ignore = "reads /work/shared/data; run with --ignored in release"]
    fn rating_ensemble_candidates_on_validation() {
        use crate::domain::recommend::rating::ensemble::EnsembleParams;
        let sets = [
            folds("/work/shared/data/ml-100k", 5, |k| {
                (format!("u{k}.base"), format!("u{k}.test"))
            }),
            folds("/work/shared/data/splits/ml-latest-small-5fold", 5, |k| {
                (format!("fold{k}.train.csv"), format!("fold{k}.test.csv"))
            }),
        ];
        let candidates: [(&str, EnsembleParams); 2] = [
            (
                "without user-kNN",
                EnsembleParams {
                    uknn: None,
                    ..EnsembleParams::default()
                },
            ),
            ("default", EnsembleParams::default()),
        ];
        for set in &sets {
            let mut sums = vec![0f64; candidates.len()];
            for (train, _) in set {
                let rows = read_rows(train).expect("reads");
                let (lo, hi) = rows
                    .iter()
                    .fold((f32::MAX, f32::MIN), |(a, b), r| (a.min(r.2), b.max(r.2)));
                let (sub, val) = per_user_split(&rows, 43);
                let sub = to_ratings(&sub).expect("finite");
                for (n, (name, p)) in candidates.iter().enumerate() {
                    let t0 = Instant::now();
                    let m = p.clone().check().expect("valid").fit(&sub).expect("fits");
                    let fit_s = t0.elapsed().as_secs_f64();
                    let pairs: Vec<(f32, f32)> = val
                        .iter()
                        .map(|r| (r.2, m.predict(UserId(r.0), MovieId(r.1)).clamp(lo, hi)))
                        .collect();
                    let (rmse, _) = rmse_mae(&pairs);
                    sums[n] += rmse;
                    println!(
                        "{} {name}: validation RMSE {rmse:.4}, fit {fit_s:.3} s",
                        train.display()
                    );
                }
            }
            for ((name, _), s) in candidates.iter().zip(&sums) {
                println!("mean validation RMSE {name}: {:.4}", s / set.len() as f64);
            }
        }
    }

    #[test]
    #[ignore = "reads /work/shared/data; run with --ignored in release"]
    fn eval_topn_on_movielens() {
        let model = std::env::var("MODEL").ok();
        for d in ["ml-100k-topn", "ml-latest-small-topn"] {
            let dir = PathBuf::from("/work/shared/data/splits").join(d);
            run_eval_topn(
                &dir.join("train.csv"),
                &dir.join("test.csv"),
                10,
                model.as_deref(),
                false,
                None,
                std::io::stdout(),
            )
            .expect("runs");
        }
    }
}
