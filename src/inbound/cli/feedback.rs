//! `marquee rate` and `marquee review`.

use super::refused;
use crate::app::{App, Caller, Command, Reply};
use crate::domain::feedback::Stars;
use std::process::ExitCode;

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
