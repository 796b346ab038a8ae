//! `marquee recommend`, `similar`, `rate` and `review`.

use super::refused;
use crate::app::reply::PickLine;
use crate::app::{App, Caller, Command, Filters, Reply};
use crate::domain::feedback::Stars;
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
        writeln!(
            out,
            "{:>3}. {}  [{}]  — {}",
            p.position,
            p.title_with_year,
            p.genres.join(", "),
            p.reason
        )?;
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

/// `marquee rate`.
pub(super) async fn rate(
    app: &App,
    caller: &Caller,
    title: &str,
    stars: &str,
) -> anyhow::Result<ExitCode> {
    let stars: Stars = stars.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
    let command = Command::Rate {
        title: title.to_owned(),
        stars: stars.value(),
    };
    let reply = app.handle(caller, command).await?;
    if let Some(code) = refused(&reply) {
        return Ok(code);
    }
    let Reply::Rated { title, stars } = reply else {
        anyhow::bail!("the app answered rate with something else: {reply:?}");
    };
    println!(
        "Rated {title} {stars}★. Your next `marquee recommend` takes it into account; `marquee train` folds it into everyone's picks."
    );
    Ok(ExitCode::SUCCESS)
}

/// `marquee review`.
pub(super) async fn review(
    app: &App,
    caller: &Caller,
    title: &str,
    text: &str,
) -> anyhow::Result<ExitCode> {
    let command = Command::Review {
        title: title.to_owned(),
        text: text.to_owned(),
    };
    let reply = app.handle(caller, command).await?;
    if let Some(code) = refused(&reply) {
        return Ok(code);
    }
    let Reply::Reviewed {
        title,
        mood,
        stars,
        compound,
        ..
    } = reply
    else {
        anyhow::bail!("the app answered review with something else: {reply:?}");
    };
    println!(
        "Review of {title} saved: {}: {stars}★ (VADER compound {compound:+.3}). Use `marquee rate` to set the stars yourself.",
        mood.phrase()
    );
    Ok(ExitCode::SUCCESS)
}
