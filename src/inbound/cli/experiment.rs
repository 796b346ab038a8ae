//! `marquee experiment list|start|stop|report`: the admin actions of `/experiment`, for the
//! person who runs this machine.

use super::args::ExperimentCommand;
use crate::app::reply::ExperimentStatus;
use crate::app::{App, Caller, Command, LabCommand, Reply};
use std::process::ExitCode;

/// Runs one experiment command.
pub(super) async fn experiment(
    app: &App,
    admin: &Caller,
    command: ExperimentCommand,
) -> anyhow::Result<ExitCode> {
    let lab = async |command: LabCommand| app.handle(admin, Command::Lab(command)).await;
    match command {
        ExperimentCommand::List => {
            let Reply::Experiments(rows) = lab(LabCommand::List).await? else {
                anyhow::bail!("the app answered the experiment list with something else");
            };
            if rows.is_empty() {
                println!("No experiments: add some to experiments.toml.");
            }
            for r in rows {
                println!(
                    "{:<20} {:<8} {}  (layer {}, per {})",
                    r.key, r.status, r.split, r.layer, r.unit
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        ExperimentCommand::Start { key, all_servers } => changed(
            lab(LabCommand::Start {
                key,
                everywhere: all_servers,
            })
            .await?,
        ),
        ExperimentCommand::Stop { key, all_servers } => changed(
            lab(LabCommand::Stop {
                key,
                everywhere: all_servers,
            })
            .await?,
        ),
        ExperimentCommand::Report {
            key,
            charts,
            json,
            all_servers,
        } => {
            let keys: Vec<String> = match key {
                Some(k) => vec![k],
                None => match lab(LabCommand::List).await? {
                    Reply::Experiments(rows) => rows.into_iter().map(|r| r.key).collect(),
                    other => anyhow::bail!("the app answered the experiment list with {other:?}"),
                },
            };
            let mut reports = Vec::new();
            for k in keys {
                let status = LabCommand::Status {
                    key: k,
                    everywhere: all_servers,
                };
                match lab(status).await? {
                    Reply::ExperimentStatus(status) => {
                        if let Some(dir) = &charts {
                            std::fs::create_dir_all(dir)?;
                            std::fs::write(dir.join(format!("{}.png", status.key)), &status.chart)?;
                        }
                        reports.push(*status);
                    }
                    Reply::Invalid(text) if !json => println!("{text}"),
                    _ => {}
                }
            }
            if json {
                let rows: Vec<serde_json::Value> = reports
                    .iter()
                    .map(|s| serde_json::json!({"key": s.key, "days": s.days, "report": s.report}))
                    .collect();
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                let mut out = std::io::stdout().lock();
                for status in &reports {
                    write_status(&mut out, status)?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// A start or stop: the sentence on standard output, or the refusal on standard error with
/// exit code 2.
fn changed(reply: Reply) -> anyhow::Result<ExitCode> {
    match reply {
        Reply::ExperimentChanged(text) => {
            println!("{text}");
            Ok(ExitCode::SUCCESS)
        }
        Reply::Invalid(text) => {
            eprintln!("{text}");
            Ok(ExitCode::from(2))
        }
        other => anyhow::bail!("the app answered an experiment change with {other:?}"),
    }
}

/// An experiment's figures: its verdict, then one line per variant.
pub(super) fn write_status(
    out: &mut impl std::io::Write,
    status: &ExperimentStatus,
) -> std::io::Result<()> {
    let report = &status.report;
    writeln!(
        out,
        "{} ({:.1} days): {}",
        status.key, status.days, report.summary
    )?;
    for a in &report.arms {
        writeln!(
            out,
            "  {:<16} {:>6} shown  likes {:>5.1}% [{:.1}, {:.1}]  not interested {:>4.1}%  refreshed {:>4.1}%  rated {}",
            a.name,
            a.exposures,
            a.like_rate * 100.0,
            a.like_ci.0 * 100.0,
            a.like_ci.1 * 100.0,
            a.not_interested_rate * 100.0,
            a.refresh_rate * 100.0,
            a.ratings
        )?;
    }
    Ok(())
}
