//! `marquee catalog` and `marquee import`.

use super::args::{CatalogCommand, ImportCommand};
use crate::app::reply::CatalogHit;
use crate::app::{App, Caller, Command, ImportSource, Reply};
use crate::domain::catalog::CatalogStats;
use std::io::Write as _;
use std::process::ExitCode;

/// `marquee catalog stats|search`.
pub(super) async fn catalog(
    app: &App,
    me: &Caller,
    command: CatalogCommand,
) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    match command {
        CatalogCommand::Stats { json } => {
            let Reply::Stats(stats) = app.handle(me, Command::CatalogStats).await? else {
                anyhow::bail!("the app answered catalog stats with something else");
            };
            if json {
                serde_json::to_writer_pretty(&mut out, &stats)?;
                writeln!(out)?;
            } else {
                write_stats(&mut out, &stats)?;
            }
        }
        CatalogCommand::Search { query, limit, json } => {
            let command = Command::SearchCatalog {
                query: query.clone(),
                limit: usize::from(limit),
            };
            let Reply::Hits(hits) = app.handle(me, command).await? else {
                anyhow::bail!("the app answered a search with something else");
            };
            if json {
                let rows: Vec<serde_json::Value> = hits
                    .iter()
                    .map(|h| {
                        let m = &h.movie;
                        serde_json::json!({
                            "id": m.id, "title": m.info.title, "year": m.info.year,
                            "genres": m.info.genres, "directors": m.info.directors,
                            "score": h.score, "match": format!("{:?}", h.kind),
                        })
                    })
                    .collect();
                serde_json::to_writer_pretty(&mut out, &rows)?;
                writeln!(out)?;
            } else {
                write_hits(&mut out, &query, &hits)?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `marquee import movielens|tmdb`.
/// `marquee import letterboxd|imdb|trakt FILE --user NAME`: the person's history from another
/// site, in the server given by `--server`.
async fn import_history(
    app: &App,
    server: crate::domain::ids::GuildId,
    command: ImportCommand,
) -> anyhow::Result<ExitCode> {
    use crate::domain::history::HistorySource;
    use crate::inbound::export_file::FileError;
    let (source, args) = match command {
        ImportCommand::Letterboxd(a) => (HistorySource::Letterboxd, a),
        ImportCommand::Imdb(a) => (HistorySource::Imdb, a),
        ImportCommand::Trakt(a) => (HistorySource::Trakt, a),
        ImportCommand::Movielens { .. } | ImportCommand::Tmdb { .. } => {
            anyhow::bail!("not a history export")
        }
    };
    let (name, bytes) = match crate::inbound::export_file::read(&args.file, &mut std::io::stderr())
    {
        Ok(file) => file,
        Err(FileError::TooLarge(why)) => {
            eprintln!("{why}");
            return Ok(ExitCode::from(2));
        }
        Err(FileError::Unreadable(e)) => {
            anyhow::bail!("cannot read {}: {e}", args.file.display())
        }
    };
    let caller = Caller::cli(crate::app::Person::Local(args.user.clone())).in_server(server);
    let started = std::time::Instant::now();
    let reply = app
        .handle(
            &caller,
            Command::ImportHistory {
                name,
                bytes,
                expected: Some(source),
            },
        )
        .await?;
    let seconds = started.elapsed().as_secs_f64();
    let summary = match reply {
        Reply::HistoryImported(summary) => summary,
        other => {
            if let Some(code) = super::refused(&other) {
                return Ok(code);
            }
            anyhow::bail!("the app answered an import with something else");
        }
    };
    let then = if summary.ambiguous.is_empty() {
        ""
    } else {
        "\nTo choose the film for those rows: `marquee console --user NAME`, then `import FILE` \
         (a numbered list for each), or /import in Discord; or rate the film you meant."
    };
    print_summary(&*summary, args.json, seconds, then)?;
    Ok(ExitCode::SUCCESS)
}

/// Prints an import's summary: JSON with the seconds it took, or its text, the time and `then`.
fn print_summary(
    summary: &(impl serde::Serialize + std::fmt::Display),
    json: bool,
    seconds: f64,
    then: &str,
) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        let mut value = serde_json::to_value(summary)?;
        value["seconds"] = serde_json::json!(seconds);
        serde_json::to_writer_pretty(&mut out, &value)?;
        writeln!(out)?;
    } else {
        write!(out, "{summary}")?;
        writeln!(out, "  in {seconds:.2} s.{then}")?;
    }
    out.flush()?;
    Ok(())
}

pub(super) async fn import(
    app: &App,
    me: &Caller,
    server: crate::domain::ids::GuildId,
    command: ImportCommand,
) -> anyhow::Result<ExitCode> {
    let (source, quiet, json) = match command {
        ImportCommand::Movielens { dir, quiet, json } => {
            (ImportSource::MovieLens(dir), quiet, json)
        }
        ImportCommand::Tmdb { file, quiet, json } => (ImportSource::Tmdb(file), quiet, json),
        history @ (ImportCommand::Letterboxd(_)
        | ImportCommand::Imdb(_)
        | ImportCommand::Trakt(_)) => return import_history(app, server, history).await,
    };
    let what = match &source {
        ImportSource::MovieLens(dir) => dir.display().to_string(),
        ImportSource::Tmdb(file) => file.display().to_string(),
    };
    let started = std::time::Instant::now();
    let reply = app.handle(me, Command::Import { source, quiet }).await?;
    let Reply::Imported(summary) = reply else {
        anyhow::bail!("the app answered an import with something else");
    };
    let seconds = started.elapsed().as_secs_f64();
    print_summary(
        &*summary,
        json,
        seconds,
        " Skipped rows were malformed; the lines above say why.",
    )?;
    // Rows were read but every one of them was skipped: that is a failed import, not a
    // success with nothing in it (an empty file, with nothing to skip, is still fine).
    let skipped = summary.skipped();
    let read: u64 = summary.files.iter().map(|f| f.rows_read).sum();
    if skipped > 0 && skipped >= read {
        let first = summary
            .errors
            .first()
            .map(|e| format!(" The first was {e}."))
            .unwrap_or_default();
        anyhow::bail!(
            "nothing was imported from {what}: all {skipped} rows were skipped as malformed.{first} \
             Check that it is an unchanged MovieLens or TMDB download."
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Films found for `query`, one a line, or what to try when there are none.
pub(super) fn write_hits(
    out: &mut impl std::io::Write,
    query: &str,
    hits: &[CatalogHit],
) -> anyhow::Result<()> {
    if hits.is_empty() {
        writeln!(
            out,
            "  No film matches {query:?}. Try fewer words, or check the spelling."
        )?;
    }
    for hit in hits {
        let m = &hit.movie;
        let genres: Vec<&str> = m.info.genres.iter().map(|g| g.name()).collect();
        let by = m
            .info
            .directors
            .first()
            .map(|d| format!(" — {d}"))
            .unwrap_or_default();
        writeln!(
            out,
            "  {}  [{}]{by}",
            m.info.display_title(),
            genres.join(", ")
        )?;
    }
    Ok(())
}

/// The catalog's counts, five lines.
pub(super) fn write_stats(out: &mut impl std::io::Write, s: &CatalogStats) -> anyhow::Result<()> {
    writeln!(
        out,
        "Catalog: {} films ({} with a year, {} with a plot summary)",
        s.movies, s.movies_with_year, s.movies_with_overview
    )?;
    writeln!(
        out,
        "Linked:  {} MovieLens, {} TMDB, {} IMDb",
        s.movielens_linked, s.tmdb_linked, s.imdb_linked
    )?;
    writeln!(
        out,
        "People:  {} users, {} feedback events, {} reviews",
        s.users, s.feedback_events, s.reviews
    )?;
    let decades: Vec<String> = s
        .per_decade
        .iter()
        .map(|(d, n)| format!("{d}s {n}"))
        .collect();
    writeln!(out, "Decades: {}", decades.join(" · "))?;
    let genres: Vec<String> = s
        .per_genre
        .iter()
        .map(|(g, n)| format!("{g} {n}"))
        .collect();
    writeln!(out, "Genres:  {}", genres.join(" · "))?;
    Ok(())
}
