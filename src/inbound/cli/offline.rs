//! `marquee eval`, `marquee bench` and `marquee sentiment`: the offline measuring tools, run
//! straight from the command line (they never touch the app or its database).

use super::args::{BenchCommand, EvalCommand};
use crate::offline::bench;
use crate::offline::eval;
use std::process::ExitCode;

/// Scores each line of standard input with VADER: neg, neu, pos, compound and the rating.
pub(super) fn sentiment() -> anyhow::Result<ExitCode> {
    let stdin = std::io::stdin();
    eval::sentiment::run_sentiment_stdin(stdin.lock(), std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}

pub(super) fn evaluate(command: EvalCommand) -> anyhow::Result<ExitCode> {
    match command {
        EvalCommand::Conversation {
            dialogues,
            k,
            history,
            folds,
            together_weight,
            talked_weight,
            json,
        } => {
            let history = eval::conversation::History {
                file: history,
                folds: folds.map(usize::from),
                weight: together_weight,
                talked_weight,
            };
            eval::conversation::run_eval_conversation(
                &dialogues,
                &k,
                &history,
                json,
                std::io::stdout().lock(),
            )?;
            Ok(ExitCode::SUCCESS)
        }
        EvalCommand::Sentiment {
            dir,
            reference,
            json,
        } => {
            eval::sentiment::run_eval_sentiment(
                &dir,
                reference.as_deref(),
                json,
                std::io::stdout().lock(),
            )?;
            Ok(ExitCode::SUCCESS)
        }
        EvalCommand::Rating {
            train,
            test,
            model,
            json,
            predictions,
        } => {
            if train.len() != test.len() {
                anyhow::bail!(
                    "give one --test for each --train ({} --train, {} --test)",
                    train.len(),
                    test.len()
                );
            }
            let pairs: Vec<_> = train.into_iter().zip(test).collect();
            eval::ratings::run_eval_rating_folds(
                &pairs,
                model.as_deref(),
                json,
                predictions.as_deref(),
                std::io::stdout().lock(),
            )?;
            Ok(ExitCode::SUCCESS)
        }
        EvalCommand::Topn {
            train,
            test,
            k,
            model,
            json,
            predictions,
        } => {
            eval::ratings::run_eval_topn(
                &train,
                &test,
                usize::from(k),
                model.as_deref(),
                json,
                predictions.as_deref(),
                std::io::stdout().lock(),
            )?;
            Ok(ExitCode::SUCCESS)
        }
        EvalCommand::Quiz { .. } | EvalCommand::Group { .. } => evaluate_on_people(command),
    }
}

/// `eval quiz` and `eval group`: benchmarks that simulate people on held-out data.
fn evaluate_on_people(command: EvalCommand) -> anyhow::Result<ExitCode> {
    match command {
        EvalCommand::Quiz {
            data,
            k,
            max_asked,
            validate,
            settings,
            json,
        } => {
            let mut opts = eval::quiz::QuizEvalOptions {
                k: usize::from(k),
                validate,
                ..eval::quiz::QuizEvalOptions::default()
            };
            if let Some(m) = max_asked {
                opts.max_asked = usize::from(m);
            }
            for s in &settings {
                eval::quiz::apply_setting(&mut opts.params, s)?;
            }
            eval::quiz::run_eval_quiz(&data, &opts, json, std::io::stdout().lock())?;
            Ok(ExitCode::SUCCESS)
        }
        EvalCommand::Group {
            train,
            test,
            k,
            groups,
            seed,
            misery_threshold,
            approval_threshold,
            min_rating,
            validate,
            json,
        } => {
            let defaults = eval::group::GroupEvalOptions::default();
            let opts = eval::group::GroupEvalOptions {
                k: usize::from(k),
                groups: groups as usize,
                seed,
                misery_threshold: misery_threshold.unwrap_or(defaults.misery_threshold),
                approval_threshold: approval_threshold.unwrap_or(defaults.approval_threshold),
                min_rating,
            };
            eval::group::run_eval_group(
                &train,
                test.as_deref(),
                validate,
                &opts,
                json,
                std::io::stdout().lock(),
            )?;
            Ok(ExitCode::SUCCESS)
        }
        other => evaluate(other),
    }
}

pub(super) async fn bench(command: BenchCommand) -> anyhow::Result<ExitCode> {
    match command {
        BenchCommand::Search => {
            bench::search::run(std::io::stdout().lock())?;
            Ok(ExitCode::SUCCESS)
        }
        BenchCommand::Als { export, iterations } => {
            bench::als::run(
                export.as_deref(),
                iterations as usize,
                std::io::stdout().lock(),
            )?;
            Ok(ExitCode::SUCCESS)
        }
        BenchCommand::Serving => {
            bench::serving::run_bench_serving(std::io::stdout().lock())?;
            Ok(ExitCode::SUCCESS)
        }
        BenchCommand::History {
            rows,
            movielens,
            seed,
        } => {
            bench::history::run(rows, movielens.as_deref(), seed, std::io::stdout().lock()).await?;
            Ok(ExitCode::SUCCESS)
        }
        BenchCommand::Train { events, db } => {
            bench::train::run(events, db.as_deref(), std::io::stdout().lock()).await?;
            Ok(ExitCode::SUCCESS)
        }
        BenchCommand::Import { rows, dir } => {
            bench::import::run(rows, dir.as_deref(), std::io::stdout().lock()).await?;
            Ok(ExitCode::SUCCESS)
        }
        BenchCommand::Taste { dir } => {
            bench::taste::run(std::io::stdout().lock(), &dir)?;
            Ok(ExitCode::SUCCESS)
        }
        BenchCommand::Experiments { runs, seed, json } => {
            bench::experiments::run(std::io::stdout().lock(), runs, seed, json)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
