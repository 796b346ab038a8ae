//! `marquee recommend` and `marquee similar`.

use super::refused;
use crate::app::reply::PickLine;
use crate::app::{App, Caller, Command, Filters, Reply};
use std::io::Write as _;
use std::process::ExitCode;

/// Numbered picks, one a line: "  1. Heat (1995)  [Action, Crime]  — because …".
pub(super) fn write_picks(out: &mut impl std::io::Write, picks: &[PickLine]) -> anyhow::Result<()> {
    if picks.is_empty() {
        writeln!(
            out,
            "  Nothing left to suggest with these filters; try a wider year range or another genre."
        )?;
    }
    for p in picks {
        writeln!(out, "{p}")?;
    }
    Ok(())
}

/// `marquee recommend`.
pub(super) async fn recommend(
    app: &App,
    caller: &Caller,
    filters: Filters,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let command = Command::Recommend {
        filters,
        instead_of: None,
    };
    let reply = app.handle(caller, command).await?;
    if let Some(code) = refused(&reply) {
        return Ok(code);
    }
    let Reply::Picks { items, .. } = reply else {
        anyhow::bail!("the app answered recommend with something else: {reply:?}");
    };
    let mut out = std::io::stdout().lock();
    if json {
        let rows: Vec<serde_json::Value> = items
            .iter()
            .map(|p| {
                serde_json::json!({
                    "position": p.position, "id": p.movie, "title": p.title, "year": p.year,
                    "genres": p.genres, "reason": p.reason,
                })
            })
            .collect();
        serde_json::to_writer_pretty(&mut out, &rows)?;
        writeln!(out)?;
    } else {
        write_picks(&mut out, &items)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `marquee similar`: films like one, without the ones the caller turned down.
pub(super) async fn similar(
    app: &App,
    caller: &Caller,
    title: &str,
    count: usize,
) -> anyhow::Result<ExitCode> {
    let command = Command::Similar {
        title: title.to_owned(),
        count: Some(count),
    };
    let reply = app.handle(caller, command).await?;
    if let Some(code) = refused(&reply) {
        return Ok(code);
    }
    let Reply::Picks { intro, items, .. } = reply else {
        anyhow::bail!("the app answered similar with something else: {reply:?}");
    };
    let mut out = std::io::stdout().lock();
    writeln!(out, "{intro}")?;
    write_picks(&mut out, &items)?;
    Ok(ExitCode::SUCCESS)
}
