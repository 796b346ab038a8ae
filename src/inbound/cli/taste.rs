//! `marquee train` and `marquee taste groups|map`.

use super::args::TasteCommand;
use super::{caller, refused};
use crate::app::{App, Caller, Command, Reply};
use std::io::Write as _;
use std::process::ExitCode;

/// `marquee train`: retrain the recommender and the taste groups now.
pub(super) async fn train(app: &App, me: &Caller, json: bool) -> anyhow::Result<ExitCode> {
    let Reply::Trained(report) = app.handle(me, Command::Train).await? else {
        anyhow::bail!("the app answered train with something else");
    };
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "Taste groups: {} ({} people placed).",
            report.taste_groups, report.grouped_users
        )?;
        writeln!(
            out,
            "Trained on {} films and {} feedback events in {:.2} s; saved snapshot #{} ({:.1} MB).",
            report.films,
            report.events,
            report.seconds,
            report.snapshot_id,
            report.bytes as f64 / 1e6
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `marquee taste groups|map`.
pub(super) async fn taste(
    app: &App,
    me: &Caller,
    command: TasteCommand,
) -> anyhow::Result<ExitCode> {
    match command {
        TasteCommand::Groups { imported, json } => groups(app, me, imported, json).await,
        TasteCommand::Map {
            out,
            user,
            movielens_user,
        } => {
            let who = super::args::Who {
                user: user.unwrap_or_else(|| "me".to_owned()),
                movielens_user,
            };
            let caller = caller(&who).in_server(me.server.unwrap_or(crate::app::LOCAL_SERVER));
            let reply = app.handle(&caller, Command::TasteMap).await?;
            if let Some(code) = refused(&reply) {
                return Ok(code);
            }
            let map = match reply {
                Reply::TasteMap(map) => map,
                // Not enough ratings yet: what is missing, and no file.
                Reply::Text(missing) => {
                    eprintln!("{missing}");
                    return Ok(ExitCode::from(1));
                }
                _ => anyhow::bail!("the app answered taste map with something else"),
            };
            std::fs::write(&out, &map.png)
                .map_err(|e| anyhow::anyhow!("writing {}: {e}", out.display()))?;
            println!(
                "Wrote the taste map to {} ({}). {}",
                out.display(),
                map.counts(),
                map.caption
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn groups(app: &App, me: &Caller, imported: bool, json: bool) -> anyhow::Result<ExitCode> {
    let Reply::TasteGroups(groups) = app.handle(me, Command::TasteGroups { imported }).await?
    else {
        anyhow::bail!("the app answered taste groups with something else");
    };
    let mut out = std::io::stdout().lock();
    if json {
        let rows: Vec<serde_json::Value> = groups
            .groups()
            .iter()
            .map(|g| serde_json::json!({"key": g.key, "name": g.name, "size": g.size, "traits": g.traits}))
            .collect();
        serde_json::to_writer_pretty(
            &mut out,
            &serde_json::json!({"groups": rows, "warnings": groups.warnings()}),
        )?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    if groups.groups().is_empty() {
        writeln!(
            out,
            "No taste groups yet: they need a few people with a few ratings each."
        )?;
    }
    for g in groups.groups() {
        writeln!(
            out,
            "{:<32} {:>6} members   {}",
            g.name,
            g.size,
            g.traits.join(", ")
        )?;
    }
    for w in groups.warnings() {
        writeln!(out, "note: {w}")?;
    }
    Ok(ExitCode::SUCCESS)
}
