//! `marquee serve`: the Discord bot, with the app's background jobs.

use crate::app::{App, jobs};
use crate::config::Config;
use std::process::ExitCode;
use std::sync::Arc;

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

/// Serves Discord until Ctrl-C, retraining in the background.
///
/// # Errors
/// The database cannot be opened, or the Discord connection fails for good.
pub(super) async fn serve(config: Config) -> anyhow::Result<ExitCode> {
    let Some(token) = config.discord_token.clone() else {
        eprintln!("marquee serve needs a Discord bot token, and DISCORD_TOKEN is not set.\n");
        eprintln!("{HOW_TO_CONNECT}\n");
        eprintln!("Without a token, try `marquee demo` or `marquee catalog search \"godfather\"`.");
        return Ok(ExitCode::from(2));
    };
    let app = Arc::new(App::open(&config).await?);
    let minutes = config.model_refresh_minutes;
    let background = jobs::spawn(app.clone(), std::time::Duration::from_secs(minutes * 60));
    tracing::info!(
        database = %config.database_shown(),
        retrain_minutes = minutes,
        "connecting to Discord"
    );
    let settings = crate::inbound::discord::Settings {
        token,
        api_base: config.discord_api_base.clone(),
        dev_guild: config.dev_guild_id,
        operators: config.operators.clone(),
    };
    let served = crate::inbound::discord::run(settings, app.clone()).await;
    background.abort();
    app.close().await;
    served?;
    Ok(ExitCode::SUCCESS)
}
