//! The command line: runs what `marquee …` asks for and prints the answer.

pub mod args;

use crate::config::Config;
use crate::domain::catalog::search::TitleIndex;
use crate::domain::catalog::{CatalogStats, Movie};
use crate::domain::feedback::Stars;
use crate::domain::ids::UserId;
use crate::domain::ports::{CatalogRepo, FeedbackRepo, UserKind, UserRepo};
use crate::domain::recommend::hybrid::Pick;
use crate::domain::recommend::snapshot::RecRequest;
use crate::domain::sentiment::Vader;
use crate::outbound::clock::SystemClock;
use crate::outbound::import::{self, ImportSummary, Reporter};
use crate::outbound::storage::{Store, redact_url};
use anyhow::Context as _;
use args::{
    BenchCommand, CatalogCommand, Cli, Command, EvalCommand, ImportCommand, TasteCommand, Who,
};
use std::io::Write as _;
use std::process::ExitCode;

/// What to do to connect Marquee to Discord, shown whenever it runs without a token.
pub const HOW_TO_CONNECT: &str = "\
To run Marquee as a Discord bot:
  1. Open https://discord.com/developers/applications and press \"New Application\".
  2. In \"Bot\", press \"Reset Token\" and copy the token. Marquee needs no privileged intent:
     leave Presence, Server Members and Message Content switched off.
  3. In \"OAuth2 → URL Generator\", tick the scopes bot and applications.commands, and the
     permissions View Channels, Send Messages, Embed Links, Attach Files, Add Reactions, Read
     Message History, Use External Emojis and Create Events; open the generated link to invite
     the bot.
  4. Put the token in a .env file next to Marquee (see .env.example):
         DISCORD_TOKEN=your-token
     optionally DISCORD_DEV_GUILD_ID=your-server-id for instant command updates while testing.
  5. Run: cargo run --release -- serve";

/// Runs one command line.
///
/// # Errors
/// Whatever stopped the command, with context, for `main` to print on one line.
pub async fn run(cli: Cli, mut config: Config) -> anyhow::Result<ExitCode> {
    if let Some(url) = cli.database_url {
        crate::outbound::storage::Backend::from_url(&url).map_err(anyhow::Error::msg)?;
        config.database_url = url;
    }
    let command = cli.command.unwrap_or(if config.discord_token.is_some() {
        Command::Serve
    } else if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        Command::Console { user: "me".into() }
    } else {
        Command::Demo
    });
    match command {
        Command::Serve => serve(&config).await,
        Command::Eval { command } => evaluate(command),
        Command::Bench { command } => bench(command).await,
        Command::Demo => demo(&config).await,
        Command::Console { user } => console(&config, &user).await,
        Command::Catalog { command } => catalog(&config, command).await,
        Command::Import { command } => import_data(&config, command).await,
        Command::Train { json } => train(&config, json).await,
        Command::Recommend {
            who,
            count,
            genre,
            min_year,
            max_year,
            json,
        } => {
            let genre = match genre {
                None => None,
                Some(g) => Some(g.parse::<crate::domain::catalog::Genre>().map_err(|_| {
                    let all: Vec<&str> = crate::domain::catalog::Genre::ALL
                        .iter()
                        .map(|g| g.name())
                        .collect();
                    anyhow::anyhow!("unknown genre {g:?}; try one of: {}", all.join(", "))
                })?),
            };
            let request = RecRequest {
                count: usize::from(count),
                genre,
                min_year,
                max_year,
                ..RecRequest::default()
            };
            recommend(&config, &who, &request, json).await
        }
        Command::Taste {
            command: TasteCommand::Groups { json },
        } => taste_groups(&config, json).await,
        Command::Experiment { command } => experiment_cmd(&config, command).await,
        Command::Taste {
            command:
                TasteCommand::Map {
                    out,
                    user,
                    movielens_user,
                },
        } => {
            let who = user
                .map(|user| Who {
                    user,
                    movielens_user: None,
                })
                .or(movielens_user.map(|id| Who {
                    user: String::new(),
                    movielens_user: Some(id),
                }));
            taste_map(&config, &out, who.as_ref()).await
        }
        Command::Similar { title, count } => similar(&config, &title, usize::from(count)).await,
        Command::Rate { who, title, stars } => rate(&config, &who, &title, &stars).await,
        Command::Review { who, title, text } => review(&config, &who, &title, &text).await,
        Command::Sentiment => {
            let stdin = std::io::stdin();
            crate::offline::eval::sentiment::run_sentiment_stdin(
                stdin.lock(),
                std::io::stdout().lock(),
            )?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn evaluate(command: EvalCommand) -> anyhow::Result<ExitCode> {
    match command {
        EvalCommand::Conversation { dialogues, k, json } => {
            crate::offline::eval::conversation::run_eval_conversation(
                &dialogues,
                &k,
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
            crate::offline::eval::sentiment::run_eval_sentiment(
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
            crate::offline::eval::ratings::run_eval_rating_folds(
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
            crate::offline::eval::ratings::run_eval_topn(
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
            let defaults = crate::offline::eval::group::GroupEvalOptions::default();
            let opts = crate::offline::eval::group::GroupEvalOptions {
                k: usize::from(k),
                groups: groups as usize,
                seed,
                misery_threshold: misery_threshold.unwrap_or(defaults.misery_threshold),
                approval_threshold: approval_threshold.unwrap_or(defaults.approval_threshold),
                min_rating,
            };
            crate::offline::eval::group::run_eval_group(
                &train,
                test.as_deref(),
                validate,
                &opts,
                json,
                std::io::stdout().lock(),
            )?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn bench(command: BenchCommand) -> anyhow::Result<ExitCode> {
    match command {
        BenchCommand::Search => {
            crate::offline::bench::search::run(std::io::stdout().lock())?;
            Ok(ExitCode::SUCCESS)
        }
        BenchCommand::Als { export, iterations } => {
            crate::offline::bench::als::run(
                export.as_deref(),
                iterations as usize,
                std::io::stdout().lock(),
            )?;
            Ok(ExitCode::SUCCESS)
        }
        BenchCommand::Serving => {
            crate::offline::eval::ratings::run_bench_serving(std::io::stdout().lock())?;
            Ok(ExitCode::SUCCESS)
        }
        BenchCommand::Import { rows, dir } => {
            crate::offline::bench::import::run(rows, dir.as_deref(), std::io::stdout().lock())
                .await?;
            Ok(ExitCode::SUCCESS)
        }
        BenchCommand::Taste { dir } => {
            crate::offline::bench::taste::run(std::io::stdout().lock(), &dir)?;
            Ok(ExitCode::SUCCESS)
        }
        BenchCommand::Experiments { runs, seed, json } => {
            crate::offline::bench::experiments::run(std::io::stdout().lock(), runs, seed, json)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn serve(config: &Config) -> anyhow::Result<ExitCode> {
    if config.discord_token.is_none() {
        eprintln!("marquee serve needs a Discord bot token, and DISCORD_TOKEN is not set.\n");
        eprintln!("{HOW_TO_CONNECT}\n");
        eprintln!("Without a token, try `marquee demo` or `marquee catalog search \"godfather\"`.");
        return Ok(ExitCode::from(2));
    }
    let store = crate::app::open_store(config).await?;
    let result = async {
        let mut session = crate::app::commands::Session::open(store.clone(), config.reactions.clone()).await?;
        session.set_prompts(crate::app::prompts::Prompts::load(config.prompts_dir.as_deref())?);
        let session = std::sync::Arc::new(session);
        session
            .sync_experiments(&crate::app::experiments::load_file(config.experiments_file.as_deref())?)
            .await?;
        let minutes = config.model_refresh_minutes;
        let trainer = {
            let session = session.clone();
            tokio::spawn(async move {
                let period = std::time::Duration::from_secs(minutes * 60);
                let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
                loop {
                    ticks.tick().await;
                    match session.retrain().await {
                        Ok(()) => tracing::info!("model retrained"),
                        Err(e) => tracing::error!(error = %format!("{e:#}"), "retraining failed; the old model stays"),
                    }
                }
            })
        };
        tracing::info!(
            database = %redact_url(&config.database_url),
            retrain_minutes = minutes,
            "connecting to Discord"
        );
        let settings = crate::inbound::discord::Settings {
            token: config.expose_token().unwrap_or_default().to_owned(),
            api_base: config.discord_api_base.clone(),
            dev_guild: config.dev_guild_id,
        };
        let served = crate::inbound::discord::run(settings, session).await;
        trainer.abort();
        served
    }
    .await;
    store.close().await;
    result?;
    Ok(ExitCode::SUCCESS)
}

async fn demo(config: &Config) -> anyhow::Result<ExitCode> {
    let store = crate::app::open_store(config).await?;
    let stats = store.catalog_stats().await?;
    let movies = store.all_movies().await?;
    let events = store.all_events().await?;
    store.close().await;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Marquee — a movie-night bot that learns your server's taste."
    )?;
    writeln!(
        out,
        "No DISCORD_TOKEN is set, so here is a look at it on the built-in catalog"
    )?;
    writeln!(out, "(database: {}).\n", redact_url(&config.database_url))?;
    write_stats(&mut out, &stats)?;
    let index = build_index(&movies);
    for query in ["godfather", "dune 1984", "amelie"] {
        writeln!(out, "\n$ marquee catalog search {query:?}")?;
        write_hits(&mut out, &index, &movies, query, 5)?;
    }
    demo_picks(&mut out, &index, &movies, &events)?;
    writeln!(
        out,
        "\nTry it yourself: `marquee rate --user YOU \"Alien\" 5`, then `marquee recommend --user YOU`."
    )?;
    writeln!(out, "\n{HOW_TO_CONNECT}")?;
    Ok(ExitCode::SUCCESS)
}

async fn console(config: &Config, user: &str) -> anyhow::Result<ExitCode> {
    let store = crate::app::open_store(config).await?;
    let result = async {
        let mut session =
            crate::app::commands::Session::open(store.clone(), config.reactions.clone()).await?;
        session.set_prompts(crate::app::prompts::Prompts::load(
            config.prompts_dir.as_deref(),
        )?);
        session
            .sync_experiments(&crate::app::experiments::load_file(
                config.experiments_file.as_deref(),
            )?)
            .await?;
        let me = crate::app::commands::Caller::console(session.console_user(user).await?);
        let input = std::io::BufReader::new(std::io::stdin());
        let interactive = std::io::IsTerminal::is_terminal(&std::io::stdin());
        crate::inbound::console::run(
            &session,
            &me,
            user.trim(),
            input,
            std::io::stdout(),
            interactive,
        )
        .await
    }
    .await;
    store.close().await;
    result?;
    Ok(ExitCode::SUCCESS)
}

async fn import_data(config: &Config, command: ImportCommand) -> anyhow::Result<ExitCode> {
    let store = crate::app::open_store(config).await?;
    let started = std::time::Instant::now();
    let (result, json) = match command {
        ImportCommand::Movielens { dir, quiet, json } => {
            let mut reporter = Reporter::new(quiet);
            let result = import::movielens::import(&store, &dir, &mut reporter).await;
            reporter.finish();
            (result, json)
        }
        ImportCommand::Tmdb { file, quiet, json } => {
            let mut reporter = Reporter::new(quiet);
            let result = import::tmdb::import(&store, &file, &mut reporter).await;
            reporter.finish();
            (result, json)
        }
    };
    store.close().await;
    let summary: ImportSummary = result?;
    let seconds = started.elapsed().as_secs_f64();
    let mut out = std::io::stdout().lock();
    if json {
        let mut value = serde_json::to_value(&summary)?;
        value["seconds"] = serde_json::json!(seconds);
        serde_json::to_writer_pretty(&mut out, &value)?;
        writeln!(out)?;
    } else {
        write!(out, "{summary}")?;
        writeln!(
            out,
            "  in {seconds:.2} s. Skipped rows were malformed; the lines above say why."
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

async fn train(config: &Config, json: bool) -> anyhow::Result<ExitCode> {
    let store = crate::app::open_store(config).await?;
    let result = crate::app::models::train_and_save(&store).await;
    store.close().await;
    let (_, report) = result?;
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

async fn experiment_cmd(
    config: &Config,
    command: crate::inbound::cli::args::ExperimentCommand,
) -> anyhow::Result<ExitCode> {
    use crate::app::experiments::LabReply;
    use args::ExperimentCommand as E;
    let file = crate::app::experiments::load_file(config.experiments_file.as_deref())?;
    let store = crate::app::open_store(config).await?;
    let result = async {
        let session = crate::app::commands::Session::open(store.clone(), config.reactions.clone()).await?;
        session.sync_experiments(&file).await?;
        let report = matches!(command, E::Report { .. });
        let replies = match command {
            E::List => vec![session.lab_list().await?],
            E::Start { key } => vec![session.lab_switch(&key, true).await?],
            E::Stop { key } => vec![session.lab_switch(&key, false).await?],
            E::Report { key, charts, json } => {
                let keys: Vec<String> = match key {
                    Some(k) => vec![k],
                    None => file.experiments.iter().map(|e| e.key.clone()).collect(),
                };
                let mut out = Vec::new();
                let mut reports = Vec::new();
                for k in keys {
                    let reply = session.lab_status(&k).await?;
                    if let (Some(dir), LabReply::Status { chart, .. }) = (&charts, &reply) {
                        std::fs::create_dir_all(dir)?;
                        std::fs::write(dir.join(format!("{k}.png")), chart)?;
                    }
                    if let LabReply::Status { report, days, .. } = &reply {
                        reports.push(serde_json::json!({"key": k, "days": days, "report": report}));
                    }
                    out.push(reply);
                }
                if json {
                    println!("{}", serde_json::to_string_pretty(&reports)?);
                    return Ok(ExitCode::SUCCESS);
                }
                out
            }
        };
        let mut refused = false;
        for reply in replies {
            match reply {
                LabReply::List(rows) => {
                    if rows.is_empty() {
                        println!("No experiments: add some to experiments.toml.");
                    }
                    for (key, status, split, layer, unit) in rows {
                        println!("{key:<20} {status:<8} {split}  (layer {layer}, per {unit})");
                    }
                }
                LabReply::Changed(text) => println!("{text}"),
                LabReply::Refused(text) if report => println!("{text}"),
                LabReply::Refused(text) => {
                    eprintln!("{text}");
                    refused = true;
                }
                LabReply::Status {
                    key, report, days, ..
                } => {
                    println!("{key} ({days:.1} days): {}", report.summary);
                    for a in &report.arms {
                        println!(
                            "  {:<16} {:>6} shown  likes {:>5.1}% [{:.1}, {:.1}]  not interested {:>4.1}%  refreshed {:>4.1}%  rated {}",
                            a.name,
                            a.exposures,
                            a.like_rate * 100.0,
                            a.like_ci.0 * 100.0,
                            a.like_ci.1 * 100.0,
                            a.not_interested_rate * 100.0,
                            a.refresh_rate * 100.0,
                            a.ratings
                        );
                    }
                }
            }
        }
        Ok(if refused { ExitCode::from(2) } else { ExitCode::SUCCESS })
    }
    .await;
    store.close().await;
    result
}

async fn taste_groups(config: &Config, json: bool) -> anyhow::Result<ExitCode> {
    let store = crate::app::open_store(config).await?;
    let groups = if let Some(groups) = crate::app::models::latest_taste(&store).await? {
        groups
    } else {
        crate::app::models::train_and_save(&store).await?;
        crate::app::models::latest_taste(&store)
            .await?
            .unwrap_or_else(crate::domain::taste::TasteGroups::empty)
    };
    store.close().await;
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

async fn taste_map(
    config: &Config,
    path: &std::path::Path,
    who: Option<&Who>,
) -> anyhow::Result<ExitCode> {
    use crate::domain::taste::{TasteParams, cluster_taste, project, taste_vectors};
    let store = crate::app::open_store(config).await?;
    let highlight = match who {
        Some(who) => Some(user_id(&store, who).await?),
        None => None,
    };
    let model = crate::app::models::load_or_train(&store).await?;
    let previous = crate::app::models::latest_taste(&store).await?;
    let catalog = store.all_movies().await?;
    let events = store.all_events().await?;
    store.close().await;
    let png = tokio::task::spawn_blocking(move || {
        let params = TasteParams::default();
        let vectors = taste_vectors(&model, &catalog, &events, &params);
        let groups = cluster_taste(&vectors, previous.as_ref(), &params);
        let projection = project(&vectors, &groups, 5_000, highlight, 7);
        crate::outbound::charts::taste_map::render_taste_map(
            &groups,
            &projection,
            highlight,
            1000,
            640,
        )
    })
    .await
    .context("the drawing thread stopped")??;
    std::fs::write(path, png).with_context(|| format!("writing {}", path.display()))?;
    println!("Wrote the taste map to {}.", path.display());
    Ok(ExitCode::SUCCESS)
}

async fn user_id(store: &Store, who: &Who) -> anyhow::Result<UserId> {
    if let Some(id) = who.movielens_user {
        return Ok(store
            .ensure_user(UserKind::MovieLens, &id.to_string(), "")
            .await?);
    }
    let name = who.user.trim();
    anyhow::ensure!(
        !name.is_empty() && name.chars().count() <= 64,
        "--user takes a name of 1 to 64 characters"
    );
    Ok(store.ensure_user(UserKind::Console, name, name).await?)
}

/// Resolves a title for a command, or explains what to type instead.
fn resolve<'a>(movies: &'a [Movie], query: &str) -> anyhow::Result<&'a Movie> {
    let index = build_index(movies);
    match crate::app::models::find_film(&index, movies, query) {
        crate::app::models::Named::Film(m) => Ok(m),
        other => anyhow::bail!("{}", crate::app::models::explain_not_found(query, &other)),
    }
}

fn write_picks(
    out: &mut impl std::io::Write,
    movies: &[Movie],
    picks: &[Pick],
) -> anyhow::Result<()> {
    if picks.is_empty() {
        writeln!(
            out,
            "  Nothing left to suggest with these filters; try a wider year range or another genre."
        )?;
    }
    for (i, p) in picks.iter().enumerate() {
        let Some(m) = find(movies, p.movie) else {
            continue;
        };
        let genres: Vec<&str> = m.info.genres.iter().take(3).map(|g| g.name()).collect();
        writeln!(
            out,
            "{:>3}. {}  [{}]  — {}",
            i + 1,
            m.info.display_title(),
            genres.join(", "),
            p.reason
        )?;
    }
    Ok(())
}

async fn recommend(
    config: &Config,
    who: &Who,
    request: &RecRequest,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let store = crate::app::open_store(config).await?;
    let user = user_id(&store, who).await?;
    let mut model = crate::app::models::load_or_train(&store).await?;
    // Fold the user's own latest signals in, so a rating given since the last training
    // already counts.
    let events = store.events_for_user(user).await?;
    model.fold_in(user, &events);
    let movies = store.all_movies().await?;
    let groups = crate::app::models::latest_taste(&store).await?;
    store.close().await;
    let picks =
        crate::app::models::personal_picks(&model, groups.as_ref(), user, &events, request, |id| {
            find(&movies, id)
        });
    let mut out = std::io::stdout().lock();
    if json {
        let rows: Vec<serde_json::Value> = picks
            .iter()
            .filter_map(|p| find(&movies, p.movie).map(|m| (p, m)))
            .map(|(p, m)| serde_json::json!({"id": m.id, "title": m.info.title, "year": m.info.year, "score": p.score, "reason": p.reason.to_string()}))
            .collect();
        serde_json::to_writer_pretty(&mut out, &rows)?;
        writeln!(out)?;
    } else {
        write_picks(&mut out, &movies, &picks)?;
    }
    Ok(ExitCode::SUCCESS)
}

async fn similar(config: &Config, title: &str, count: usize) -> anyhow::Result<ExitCode> {
    let store = crate::app::open_store(config).await?;
    let movies = store.all_movies().await?;
    let film = resolve(&movies, title)?;
    let model = crate::app::models::load_or_train(&store).await?;
    store.close().await;
    let picks = model.similar(film.id, count);
    let mut out = std::io::stdout().lock();
    writeln!(out, "Like {}:", film.info.display_title())?;
    write_picks(&mut out, &movies, &picks)?;
    Ok(ExitCode::SUCCESS)
}

/// What every feedback command starts from: the store, the film the person named (or why it is
/// not one film), and who they are.
async fn feedback_target(
    config: &Config,
    who: &Who,
    title: &str,
) -> anyhow::Result<(Store, Movie, UserId)> {
    let store = crate::app::open_store(config).await?;
    let movies = store.all_movies().await?;
    let film = resolve(&movies, title)?.clone();
    let user = user_id(&store, who).await?;
    Ok((store, film, user))
}

async fn rate(config: &Config, who: &Who, title: &str, stars: &str) -> anyhow::Result<ExitCode> {
    let stars: Stars = stars.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
    let (store, film, user) = feedback_target(config, who, title).await?;
    let vader = Vader::new();
    let desk = crate::app::feedback::Desk {
        store: &store,
        clock: &SystemClock,
        reactions: &config.reactions,
        scorer: &vader,
    };
    let recorded = desk
        .rate(
            user,
            film.id,
            stars,
            &crate::app::feedback::Origin::local("cli"),
        )
        .await;
    store.close().await;
    recorded?;
    println!(
        "Rated {} {}★. Your next `marquee recommend` takes it into account; `marquee train` folds it into everyone's picks.",
        film.info.display_title(),
        stars.value()
    );
    Ok(ExitCode::SUCCESS)
}

async fn review(config: &Config, who: &Who, title: &str, text: &str) -> anyhow::Result<ExitCode> {
    let (store, film, user) = feedback_target(config, who, title).await?;
    let vader = Vader::new();
    let desk = crate::app::feedback::Desk {
        store: &store,
        clock: &SystemClock,
        reactions: &config.reactions,
        scorer: &vader,
    };
    let recorded = desk
        .review(
            user,
            film.id,
            text,
            &crate::app::feedback::Origin::local("cli"),
        )
        .await;
    store.close().await;
    let r = recorded?;
    let s = &r.sentiment;
    let mood = crate::app::commands::Mood::of(s).phrase();
    println!(
        "Review of {} saved: {mood}: {:.1}★ (VADER compound {:+.3}). Use `marquee rate` to set the stars yourself.",
        film.info.display_title(),
        s.rating,
        s.scores.compound
    );
    Ok(ExitCode::SUCCESS)
}

/// Picks for an imaginary fan of three space films, and "more like this", from a model trained
/// in memory (nothing is stored).
fn demo_picks(
    out: &mut impl std::io::Write,
    index: &TitleIndex,
    movies: &[Movie],
    events: &[crate::domain::events::FeedbackEvent],
) -> anyhow::Result<()> {
    use crate::domain::events::{FeedbackEvent, FeedbackKind, NewFeedbackEvent};
    use crate::domain::ids::EventId;
    use crate::domain::recommend::snapshot::{TrainParams, train};
    let mut model = train(movies, events, &TrainParams::default())
        .map_err(|e| anyhow::anyhow!("training failed: {e}"))?;
    let fan = UserId(-1);
    let loved: Vec<&Movie> = ["Alien", "Blade Runner", "The Matrix"]
        .iter()
        .filter_map(|t| match crate::app::models::find_film(index, movies, t) {
            crate::app::models::Named::Film(m) => Some(m),
            _ => None,
        })
        .collect();
    let liked: Vec<FeedbackEvent> = loved
        .iter()
        .enumerate()
        .map(|(i, m)| FeedbackEvent {
            id: EventId(-1 - i as i64),
            event: NewFeedbackEvent {
                user: fan,
                movie: m.id,
                kind: FeedbackKind::Rating,
                value: Some(5.0),
                weight: 1.0,
                raw: None,
                source: "demo".into(),
                guild: None,
                message_id: None,
                created_at_ms: i as i64,
                idempotency_key: None,
            },
        })
        .collect();
    model.fold_in(fan, &liked);
    let names: Vec<String> = loved.iter().map(|m| m.info.display_title()).collect();
    writeln!(
        out,
        "\n$ marquee recommend   (for someone who gave 5 stars to {})",
        names.join(", ")
    )?;
    write_picks(
        out,
        movies,
        &model.recommend(
            fan,
            &RecRequest {
                count: 5,
                ..RecRequest::default()
            },
        ),
    )?;
    if let crate::app::models::Named::Film(heat) =
        crate::app::models::find_film(index, movies, "Heat")
    {
        writeln!(out, "\n$ marquee similar \"Heat\"")?;
        write_picks(out, movies, &model.similar(heat.id, 5))?;
    }
    Ok(())
}

async fn catalog(config: &Config, command: CatalogCommand) -> anyhow::Result<ExitCode> {
    let store = crate::app::open_store(config).await?;
    let mut out = std::io::stdout().lock();
    match command {
        CatalogCommand::Stats { json } => {
            let stats = store.catalog_stats().await?;
            if json {
                serde_json::to_writer_pretty(&mut out, &stats)?;
                writeln!(out)?;
            } else {
                write_stats(&mut out, &stats)?;
            }
        }
        CatalogCommand::Search { query, limit, json } => {
            let movies = store.all_movies().await?;
            let index = build_index(&movies);
            if json {
                let hits: Vec<serde_json::Value> = index
                    .search(&query, usize::from(limit))
                    .into_iter()
                    .filter_map(|h| find(&movies, h.id).map(|m| (h, m)))
                    .map(|(h, m)| {
                        serde_json::json!({
                            "id": m.id, "title": m.info.title, "year": m.info.year,
                            "genres": m.info.genres, "directors": m.info.directors,
                            "score": h.score, "match": format!("{:?}", h.kind),
                        })
                    })
                    .collect();
                serde_json::to_writer_pretty(&mut out, &hits)?;
                writeln!(out)?;
            } else {
                write_hits(&mut out, &index, &movies, &query, usize::from(limit))?;
            }
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

fn build_index(movies: &[Movie]) -> TitleIndex {
    TitleIndex::from_movies(movies)
}

fn find(movies: &[Movie], id: crate::domain::ids::MovieId) -> Option<&Movie> {
    movies
        .binary_search_by_key(&id, |m| m.id)
        .ok()
        .map(|i| &movies[i])
}

fn write_hits(
    out: &mut impl std::io::Write,
    index: &TitleIndex,
    movies: &[Movie],
    query: &str,
    limit: usize,
) -> anyhow::Result<()> {
    let hits = index.search(query, limit);
    if hits.is_empty() {
        writeln!(
            out,
            "  No film matches {query:?}. Try fewer words, or check the spelling."
        )?;
    }
    for hit in hits {
        let Some(m) = find(movies, hit.id) else {
            continue;
        };
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

fn write_stats(out: &mut impl std::io::Write, s: &CatalogStats) -> anyhow::Result<()> {
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
