//! The command line: `marquee …` parsed by clap ([`args`]) into commands for the app, and the
//! replies printed (text, or JSON with `--json`). `eval`, `bench` and `sentiment` hand over to
//! the offline tools, which never touch the app.

pub mod args;
mod catalog;
mod demo;
mod experiment;
mod feedback;
mod offline;
mod picks;
mod privacy;
mod serve;
mod taste;

use crate::app::{App, Caller, Person, Reply};
use crate::config::Config;
use args::{Cli, Command, Who};
use std::process::ExitCode;

/// Runs one command line.
///
/// # Errors
/// Whatever stopped the command, with context, for `main` to print on one line.
pub async fn run(args: Cli, mut config: Config) -> anyhow::Result<ExitCode> {
    if let Some(url) = args.database_url {
        config.set_database_url(url)?;
    }
    let server = crate::app::local_server(&args.server);
    let me = || Caller::cli(Person::Local("me".into())).in_server(server);
    let caller = |who: &Who| caller(who).in_server(server);
    let command = args.command.unwrap_or(if config.discord_token.is_some() {
        Command::Serve(args::ServeArgs::default())
    } else if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        Command::Console { user: "me".into() }
    } else {
        Command::Demo
    });
    match command {
        Command::Serve(options) => serve::serve(config, options).await,
        Command::Trainer { health } => serve::trainer(config, health).await,
        Command::Eval { command } => offline::evaluate(command),
        Command::Bench { command } => offline::bench(command).await,
        Command::Sentiment => offline::sentiment(),
        Command::Demo => demo::demo(&config).await,
        Command::Console { user } => {
            with_app(&config, async |app| console(app, &user, server).await).await
        }
        Command::Catalog { command } => {
            with_app(&config, async |app| {
                catalog::catalog(app, &me(), command).await
            })
            .await
        }
        Command::Import { command } => {
            with_app(&config, async |app| {
                catalog::import(app, &me(), server, command).await
            })
            .await
        }
        Command::Train { json } => {
            with_app(&config, async |app| taste::train(app, &me(), json).await).await
        }
        Command::Recommend {
            who,
            count,
            genre,
            min_year,
            max_year,
            json,
        } => {
            let filters = crate::app::Filters {
                genre,
                count: Some(usize::from(count)),
                min_year,
                max_year,
            };
            with_app(&config, async |app| {
                picks::recommend(app, &caller(&who), filters, json).await
            })
            .await
        }
        Command::Similar { who, title, count } => {
            with_app(&config, async |app| {
                picks::similar(app, &caller(&who), &title, usize::from(count)).await
            })
            .await
        }
        Command::Rate { who, title, stars } => {
            with_app(&config, async |app| {
                feedback::rate(app, &caller(&who), &title, &stars).await
            })
            .await
        }
        Command::Review { who, title, text } => {
            with_app(&config, async |app| {
                feedback::review(app, &caller(&who), &title, &text).await
            })
            .await
        }
        Command::Taste { command } => {
            with_app(&config, async |app| taste::taste(app, &me(), command).await).await
        }
        Command::Privacy { command } => {
            let (who, command) = privacy::parse(command);
            with_app(&config, async |app| {
                let caller = Caller::cli(privacy::person(&who)).in_server(server);
                privacy::privacy(app, &caller, command).await
            })
            .await
        }
        Command::Experiment { command } => {
            with_app(&config, async |app| {
                experiment::experiment(app, &me(), command).await
            })
            .await
        }
    }
}

/// `marquee console`: a terminal session on standard input and output.
async fn console(
    app: &App,
    user: &str,
    server: crate::domain::ids::GuildId,
) -> anyhow::Result<ExitCode> {
    let input = std::io::BufReader::new(std::io::stdin());
    let interactive = std::io::IsTerminal::is_terminal(&std::io::stdin());
    let out = std::io::stdout();
    crate::inbound::console::run(app, (user, server), input, out, interactive).await?;
    Ok(ExitCode::SUCCESS)
}

/// Opens the app, runs `body` and closes the app, also when `body` fails.
async fn with_app(
    config: &Config,
    body: impl AsyncFnOnce(&App) -> anyhow::Result<ExitCode>,
) -> anyhow::Result<ExitCode> {
    let app = App::open(config).await?;
    let result = body(&app).await;
    app.close().await;
    result
}

/// The caller a `--user NAME` / `--movielens-user ID` names.
fn caller(who: &Who) -> Caller {
    Caller::cli(match who.movielens_user {
        Some(id) => Person::MovieLens(id),
        None => Person::Local(who.user.clone()),
    })
}

/// Prints a reply that refuses the command (a mistake in the input, a title that is not one
/// film) on standard error and gives the exit code for it; `None` for any other reply.
fn refused(reply: &Reply) -> Option<ExitCode> {
    let text = match reply {
        Reply::Invalid(text) => text.clone(),
        other => other.not_one_film()?,
    };
    eprintln!("error: {text}");
    Some(ExitCode::from(2))
}
