//! `marquee serve`: the Discord bot, with the app's background jobs.

use super::args::ServeArgs;
use crate::app::{App, database_unreachable, jobs};
use crate::config::Config;
use crate::inbound::health;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;

/// The first and the longest wait between two tries to reach the database at start.
const FIRST_WAIT: Duration = Duration::from_secs(1);
const LONGEST_WAIT: Duration = Duration::from_secs(5);

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

/// Serves Discord until Ctrl-C or SIGTERM, retraining in the background (or, with
/// `--no-train`, following the models a `marquee trainer` stores). A database out of reach at
/// start is waited for (see [`open_waiting`]).
///
/// # Errors
/// The app cannot be opened for a reason waiting does not fix, the health address cannot be
/// bound, or the Discord connection fails for good.
pub(super) async fn serve(config: Config, options: ServeArgs) -> anyhow::Result<ExitCode> {
    let Some(token) = config.discord_token.clone() else {
        eprintln!("marquee serve needs a Discord bot token, and DISCORD_TOKEN is not set.\n");
        eprintln!("{HOW_TO_CONNECT}\n");
        eprintln!("Without a token, try `marquee demo` or `marquee catalog search \"godfather\"`.");
        return Ok(ExitCode::from(2));
    };
    // Ctrl-C and SIGTERM are listened for from here on: while waiting for the database, and
    // then by the Discord connection.
    let mut stop = tokio::spawn(crate::inbound::discord::stop_signal());
    let Some(app) = open_waiting(&config, &mut stop).await? else {
        tracing::info!("stopped before the database could be reached");
        return Ok(ExitCode::SUCCESS);
    };
    let app = Arc::new(app);
    app.set_trains(!options.no_train);
    let shards = Arc::new(health::Shards::default());
    if let Some(range) = options.shards {
        shards.expect(range.len());
    }
    if let Some(addr) = options.health {
        health::serve(addr, app.clone(), shards.clone(), health::Role::Serve).await?;
    }
    let background = jobs::spawn(
        app.clone(),
        jobs::Jobs {
            retrain: (!options.no_train).then(|| config.retrain_policy()),
            upkeep: true,
        },
    );
    if options.no_train {
        tracing::info!(
            database = %config.database_shown(),
            shards = %options.shards.map_or_else(|| "all".to_owned(), |r| r.to_string()),
            "connecting to Discord; models come from the trainer"
        );
    } else {
        tracing::info!(
            database = %config.database_shown(),
            shards = %options.shards.map_or_else(|| "all".to_owned(), |r| r.to_string()),
            retrain_quiet_seconds = config.retrain_quiet_seconds,
            retrain_max_wait_seconds = config.retrain_max_wait_seconds,
            retrain_minutes = config.model_refresh_minutes,
            "connecting to Discord"
        );
    }
    let settings = crate::inbound::discord::Settings {
        token,
        api_base: config.discord_api_base.clone(),
        dev_guild: config.dev_guild_id,
        operators: config.operators.clone(),
        shards: options.shards,
        health: shards,
    };
    let stop = async move { stop.await.unwrap_or("the stop listener ended") };
    let served = crate::inbound::discord::run(settings, app.clone(), stop).await;
    background.abort();
    app.close().await;
    served?;
    Ok(ExitCode::SUCCESS)
}

/// `marquee trainer`: retrains on a schedule and soon after new feedback (the same rule as a
/// serving process, [`Config::retrain_policy`]), and stores each model for the processes that
/// serve; until Ctrl-C or SIGTERM.
///
/// # Errors
/// The app cannot be opened for a reason waiting does not fix, or the health address cannot
/// be bound.
pub(super) async fn trainer(
    config: Config,
    health_addr: Option<std::net::SocketAddr>,
) -> anyhow::Result<ExitCode> {
    let mut stop = tokio::spawn(crate::inbound::discord::stop_signal());
    let Some(app) = open_waiting(&config, &mut stop).await? else {
        tracing::info!("stopped before the database could be reached");
        return Ok(ExitCode::SUCCESS);
    };
    let app = Arc::new(app);
    if let Some(addr) = health_addr {
        let none = Arc::new(health::Shards::default());
        health::serve(addr, app.clone(), none, health::Role::Trainer).await?;
    }
    if config.database_url.starts_with("sqlite") {
        tracing::warn!(
            "the trainer is on SQLite: serving processes on this file learn of new models only by looking every {} s (PostgreSQL tells them at once)",
            jobs::MODEL_POLL.as_secs()
        );
    }
    tracing::info!(
        database = %config.database_shown(),
        retrain_quiet_seconds = config.retrain_quiet_seconds,
        retrain_max_wait_seconds = config.retrain_max_wait_seconds,
        retrain_minutes = config.model_refresh_minutes,
        "training for the serving processes"
    );
    let background = jobs::spawn(
        app.clone(),
        jobs::Jobs {
            retrain: Some(config.retrain_policy()),
            upkeep: false,
        },
    );
    let signal = stop.await.unwrap_or("the stop listener ended");
    tracing::info!(signal, "stopping");
    background.abort();
    app.close().await;
    Ok(ExitCode::SUCCESS)
}

/// Opens the app, waiting for the database while it is out of reach (a bot started before its
/// database, or during an outage): each failed try is logged with the reason and the next try
/// comes after a growing pause (1 s, 2 s, 4 s, then every 5 s), until it works or `stop`
/// (Ctrl-C, SIGTERM) comes, which gives `None`. Any other failure (a bad URL, a refused
/// password, a missing database, a bad file) ends it at once.
///
/// # Errors
/// The app cannot be opened for a reason waiting does not fix.
async fn open_waiting(
    config: &Config,
    stop: &mut JoinHandle<&'static str>,
) -> anyhow::Result<Option<App>> {
    let mut wait = FIRST_WAIT;
    let mut waited = false;
    loop {
        let opened = tokio::select! {
            opened = App::open(config) => opened,
            _ = &mut *stop => return Ok(None),
        };
        let error = match opened {
            Ok(app) => {
                if waited {
                    tracing::info!(database = %config.database_shown(), "the database is reachable; starting");
                }
                return Ok(Some(app));
            }
            Err(e) => e,
        };
        let Some(why) = database_unreachable(&error) else {
            return Err(error);
        };
        tracing::warn!(
            "waiting for the database at {}: {why}; trying again in {} s",
            config.database_shown(),
            wait.as_secs()
        );
        waited = true;
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            _ = &mut *stop => return Ok(None),
        }
        wait = (wait * 2).min(LONGEST_WAIT);
    }
}
