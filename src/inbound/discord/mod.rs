//! The Discord front end: serenity's gateway and HTTP client around the app. Each slash
//! command, button, menu, form and reaction becomes a [`Command`] for [`App::handle`], and the
//! [`Reply`] becomes a message.
//!
//! - Intents: `GUILDS`, `GUILD_MESSAGE_REACTIONS` and `GUILD_VOICE_STATES`; no privileged
//!   intent, no message content. Reviews come in through a form (modal), never by reading chat.
//! - Every interaction is acknowledged before any storage or model work: lists and personal
//!   answers are deferred (public or ephemeral) and then edited; autocomplete, `/help` and the
//!   review form answer at once from memory ([`interaction`]).
//! - Every message carries an empty `allowed_mentions`: the bot never pings anyone.
//! - Reactions count only on Marquee's own lists, never from bots (Discord sends the bot's own
//!   reactions back to it) ([`reactions`]).
//! - Only `ctx.http` (the client built in [`run`]) talks to Discord, so `DISCORD_API_BASE` (a
//!   test server) reaches every call.

pub mod ask;
mod components;
pub mod custom_id;
pub mod import;
pub mod interaction;
pub mod lab;
pub mod party;
pub mod quiz;
mod reactions;
pub mod render;
mod shards;
pub mod spec;
pub mod voice;

use crate::app::{App, Command, Filters, Reply};
use interaction::{Acked, Ix, snowflake};
pub use interaction::{DATABASE_DOWN, SORRY};
use render::Out;
use secrecy::{ExposeSecret as _, SecretString};
use serenity::all::{
    AutocompleteChoice, ChannelId, ClientBuilder, CommandInteraction, Context, CreateActionRow,
    CreateAttachment, CreateAutocompleteResponse, CreateInputText, CreateInteractionResponse,
    CreateModal, EventHandler, GatewayIntents, GuildId, HttpBuilder, InputTextStyle, Interaction,
    MessageId, Reaction, ReactionType, Ready,
};
pub use shards::ShardRange;
use spec::Invocation;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// The gateway intents Marquee asks for: none of them privileged.
pub const INTENTS: GatewayIntents = GatewayIntents::GUILDS
    .union(GatewayIntents::GUILD_MESSAGE_REACTIONS)
    .union(GatewayIntents::GUILD_VOICE_STATES);

/// How often overdue watch-party votes are looked for (also once right after connecting).
const DEADLINE_TICK: std::time::Duration = std::time::Duration::from_secs(10);

/// What a command in a direct message gets.
pub const SERVER_ONLY: &str = "I work inside a server, where I can learn what your friends like too: use my commands in a channel there. (`/help` works here.)";

/// Where to connect and what to register.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The bot token: a secret until the one line that hands it to serenity.
    pub token: SecretString,
    /// Another base URL for the REST API and the gateway (a test server); it turns serenity's
    /// rate limiter off, which only a test server may do.
    pub api_base: Option<String>,
    /// Register commands in this server only (instant updates while developing).
    pub dev_guild: Option<u64>,
    /// The Discord users who run the bot (may start experiments in every server).
    pub operators: Vec<u64>,
    /// The shards this process runs (`None`: all, as many as Discord recommends).
    pub shards: Option<ShardRange>,
    /// Where the shards' states are kept for `/readyz`.
    pub health: Arc<crate::inbound::health::Shards>,
}

/// How long a stopping bot waits for the work in flight (interactions being answered,
/// reactions being stored).
const DRAIN: Duration = Duration::from_secs(10);

/// Connects to Discord and serves until `stop` completes (see [`stop_signal`]: Ctrl-C or
/// SIGTERM), or the connection ends for good. Stopping closes the gateway, so no new events
/// come, finishes the interactions and reactions in flight (for up to [`DRAIN`]) and returns.
///
/// # Errors
/// The gateway cannot be reached or the token is refused.
pub async fn run(
    settings: Settings,
    app: Arc<App>,
    stop: impl std::future::Future<Output = &'static str> + Send + 'static,
) -> anyhow::Result<()> {
    let mut http = HttpBuilder::new(settings.token.expose_secret());
    if let Some(base) = &settings.api_base {
        tracing::warn!(
            base = %base,
            "DISCORD_API_BASE is set: talking to a test server, rate limiter off"
        );
        http = http.proxy(base.as_str()).ratelimiter_disabled(true);
    }
    let me = Arc::new(OnceLock::new());
    let queue = reactions::ReactionQueue::start(&app, me.clone());
    let in_flight = Arc::new(AtomicUsize::new(0));
    let app_for_turn = app.clone();
    let handler = Handler {
        app,
        dev_guild: settings.dev_guild,
        operators: settings.operators,
        health: settings.health.clone(),
        me,
        reactions: queue.clone(),
        in_flight: in_flight.clone(),
        serial: interaction::Serial::default(),
        voice: voice::VoiceRoster::default(),
        watcher: OnceLock::new(),
    };
    let mut client = ClientBuilder::new_with_http(http.build(), INTENTS)
        .event_handler(handler)
        .await
        .map_err(|e| anyhow::anyhow!("cannot reach Discord's gateway: {e}"))?;
    let shards = client.shard_manager.clone();
    let (stopped, mut stopping) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        let signal = stop.await;
        tracing::info!(
            signal,
            "stopping: no new events; finishing the work in flight"
        );
        let _ = stopped.send(true);
        shards.shutdown_all().await;
    });
    if let Some(range) = settings.shards {
        // A stop while waiting for the turn (another process identifying) ends it at once.
        let turn = take_identify_turn(&client.http, &app_for_turn, range, settings.health.clone());
        tokio::select! {
            () = turn => {}
            _ = stopping.wait_for(|s| *s) => {
                tracing::info!("stopped before this process's turn to identify");
                return Ok(());
            }
        }
    }
    let started = match settings.shards {
        Some(range) => {
            tracing::info!(shards = %range, "starting shards {}..={} of {}", range.first, range.last, range.total);
            client
                .start_shard_range(range.serenity_range(), range.total)
                .await
        }
        None => client.start_autosharded().await,
    };
    let served = started.map_err(|e| anyhow::anyhow!("the Discord connection ended: {e}"));
    let deadline = tokio::time::Instant::now() + DRAIN;
    while in_flight.load(Ordering::SeqCst) + queue.waiting() > 0 {
        if tokio::time::Instant::now() >= deadline {
            tracing::warn!(
                interactions = in_flight.load(Ordering::SeqCst),
                reactions = queue.waiting(),
                "stopped before this work was done"
            );
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tracing::info!("stopped");
    served
}

/// Waits until this process may IDENTIFY its shards: Discord allows one IDENTIFY per 5 s per
/// rate-limit bucket (`shard % max_concurrency`, from `GET /gateway/bot`), and processes
/// started together share the turn through the database (see [`App::identify_turn`]). The
/// turn passes on once this process's shards are connected (or a minute plus 5 s a shard has
/// passed) and 5 more seconds have gone by. Also says when the shard count differs from
/// Discord's advice, or few session starts are left today.
async fn take_identify_turn(
    http: &serenity::http::Http,
    app: &Arc<App>,
    range: ShardRange,
    health: Arc<crate::inbound::health::Shards>,
) {
    let max_concurrency = match http.get_bot_gateway().await {
        Ok(g) => {
            if g.shards > range.total {
                tracing::warn!(
                    recommended = g.shards,
                    total = range.total,
                    "Discord recommends more shards than the {} this bot is split into",
                    range.total
                );
            }
            if g.session_start_limit.remaining < u64::from(range.len()) {
                tracing::warn!(
                    remaining = g.session_start_limit.remaining,
                    reset_after_ms = g.session_start_limit.reset_after,
                    "few gateway session starts are left today"
                );
            }
            u32::try_from(g.session_start_limit.max_concurrency.max(1)).unwrap_or(1)
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not read the gateway's limits; identifying one shard at a time");
            1
        }
    };
    let bucket = range.first % max_concurrency;
    let asked = tokio::time::Instant::now();
    let turn = match app.identify_turn(bucket).await {
        Ok(turn) => turn,
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "could not take the turn to identify; identifying now");
            return;
        }
    };
    let waited = asked.elapsed();
    if waited > Duration::from_millis(500) {
        tracing::info!(
            waited_seconds = waited.as_secs_f64(),
            bucket,
            "another process was identifying; this one's turn came"
        );
    }
    let longest = Duration::from_secs(60 + 5 * u64::from(range.len()));
    tokio::spawn(async move {
        let started = tokio::time::Instant::now();
        while !health.all_connected() && started.elapsed() < longest {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        tokio::time::sleep(IDENTIFY_INTERVAL).await;
        turn.release().await;
    });
}

/// Discord's identify limit: one IDENTIFY per this long per bucket.
const IDENTIFY_INTERVAL: Duration = Duration::from_secs(5);

/// Waits for Ctrl-C or SIGTERM; the signal's name.
pub async fn stop_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => "Ctrl-C",
                _ = term.recv() => "SIGTERM",
            }
        } else {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}

/// Counts an interaction as in flight while it lives.
struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    fn new(count: &Arc<AtomicUsize>) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        InFlight(count.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

struct Handler {
    app: Arc<App>,
    dev_guild: Option<u64>,
    operators: Vec<u64>,
    /// The bot's own user id, from READY.
    me: Arc<OnceLock<serenity::all::UserId>>,
    /// Reactions, stored in the gateway's order.
    reactions: Arc<reactions::ReactionQueue>,
    /// Interactions being answered (a stopping bot waits for them).
    in_flight: Arc<AtomicUsize>,
    /// Clicks on one message, one at a time.
    serial: interaction::Serial,
    voice: voice::VoiceRoster,
    /// Set once the deadline watcher runs (READY comes again after a reconnect).
    watcher: OnceLock<()>,
    /// The shards' states, for `/readyz`.
    health: Arc<crate::inbound::health::Shards>,
}

impl Handler {
    /// The caller of an interaction (an operator when named in `MARQUEE_OPERATORS`).
    fn caller(&self, ix: Ix<'_>) -> crate::app::Caller {
        let mut caller = ix.caller();
        caller.operator = matches!(
            caller.person,
            crate::app::Person::Discord { id, .. } if self.operators.contains(&id)
        );
        caller
    }

    /// Shows a reply in a deferred interaction. A list becomes the list message (its films are
    /// stored under the real message id, and the feedback reactions are added); a picture is
    /// attached; a lobby is remembered as the party's message; anything meant for the caller
    /// only replaces a public placeholder with a private follow-up.
    async fn show(
        &self,
        ctx: &Context,
        ix: Ix<'_>,
        acked: Acked,
        reply: &Reply,
        filters: Option<&Filters>,
    ) -> anyhow::Result<()> {
        let list = match reply {
            Reply::Picks {
                intro,
                items,
                list,
                quiz_offer,
                ..
            } if !items.is_empty() => {
                let filters = filters.cloned().unwrap_or_default();
                Some((
                    render::picks(intro, items, (&filters, *quiz_offer), self.app.reactions()),
                    *list,
                ))
            }
            Reply::Asked { list, .. } => Some((render::reply(reply), *list)),
            _ => None,
        };
        if let Some((out, list)) = list {
            let message = ix.edit(ctx, &out).await?;
            let posted = Command::Posted {
                list,
                message: snowflake(message.id.get()),
            };
            self.app.handle(&self.caller(ix), posted).await?;
            self.add_reactions(ctx, message.channel_id, message.id);
            return Ok(());
        }
        match reply {
            Reply::TasteMap(map) if map.groups > 0 => {
                let embed = render::EmbedSpec {
                    title: "This server's taste map".to_owned(),
                    description: map.caption.clone(),
                    ..render::EmbedSpec::default()
                }
                .fit()
                .build()
                .image("attachment://tastemap.png");
                let edit = serenity::all::EditInteractionResponse::new()
                    .embed(embed)
                    .new_attachment(CreateAttachment::bytes(map.png.clone(), "tastemap.png"))
                    .allowed_mentions(serenity::all::CreateAllowedMentions::new());
                ix.edit_with(ctx, edit).await?;
            }
            Reply::ExperimentStatus(status) => {
                ix.edit_with(ctx, lab::status(status)).await?;
            }
            Reply::PrivacyExport {
                file_name,
                json,
                empty,
            } => {
                let edit = serenity::all::EditInteractionResponse::new()
                    .content(if *empty {
                        "Marquee keeps nothing about you in this server: the file has only empty lists."
                    } else {
                        "Everything Marquee keeps about you in this server:"
                    })
                    .new_attachment(CreateAttachment::bytes(
                        json.clone().into_bytes(),
                        file_name.clone(),
                    ))
                    .allowed_mentions(serenity::all::CreateAllowedMentions::new());
                ix.edit_with(ctx, edit).await?;
            }
            Reply::Lobby(lobby) => {
                let message = ix.edit(ctx, &party::lobby(lobby)).await?;
                let posted = crate::app::PartyCommand::Posted {
                    party: lobby.party,
                    vote: false,
                    message: snowflake(message.id.get()),
                };
                self.app
                    .handle(&self.caller(ix), Command::Party(posted))
                    .await?;
            }
            other => ix.show(ctx, acked, &render::reply(other)).await?,
        }
        Ok(())
    }

    /// Adds the feedback reactions under a list, in the map's order, in the background.
    fn add_reactions(&self, ctx: &Context, channel: ChannelId, message: MessageId) {
        let emojis: Vec<String> = self
            .app
            .reactions()
            .offered()
            .map(|(e, _)| e.to_owned())
            .collect();
        let http = ctx.http.clone();
        tokio::spawn(async move {
            for emoji in emojis {
                if let Err(e) = http
                    .create_reaction(channel, message, &ReactionType::Unicode(emoji))
                    .await
                {
                    tracing::warn!(error = %e, "could not add a reaction under a list");
                    break;
                }
            }
        });
    }

    async fn on_command(&self, ctx: &Context, cmd: &CommandInteraction) {
        let mut acked = Acked::No;
        if let Err(e) = Box::pin(self.command(ctx, cmd, &mut acked)).await {
            Ix::Command(cmd).report(ctx, acked, &e).await;
        }
    }

    async fn command(
        &self,
        ctx: &Context,
        cmd: &CommandInteraction,
        acked: &mut Acked,
    ) -> anyhow::Result<()> {
        let ix = Ix::Command(cmd);
        tracing::info!(command = %cmd.data.name, interaction = %cmd.id, "slash command");
        let invocation = spec::invocation(&cmd.data.name, &cmd.data.options);
        let help = Invocation::Run {
            command: Command::Help,
            public: false,
        };
        if invocation == help {
            let reply = self.app.handle(&self.caller(ix), Command::Help).await?;
            return Ok(ix.answer(ctx, &render::reply(&reply), acked).await?);
        }
        if cmd.guild_id.is_none() {
            return Ok(ix.answer(ctx, &Out::text(SERVER_ONLY, true), acked).await?);
        }
        match invocation {
            Invocation::ReviewForm { title } => {
                match self
                    .app
                    .handle(&self.caller(ix), Command::FindFilm { title })
                    .await?
                {
                    Reply::Film { movie, title } => {
                        ix.respond(
                            ctx,
                            CreateInteractionResponse::Modal(review_form(movie, &title)),
                        )
                        .await?;
                        *acked = Acked::Private;
                    }
                    other => ix.answer(ctx, &render::reply(&other), acked).await?,
                }
            }
            Invocation::Unknown(name) => {
                let out = Out::text(
                    format!("I don't have a /{name} command any more; /help lists what I can do."),
                    true,
                );
                ix.answer(ctx, &out, acked).await?;
            }
            Invocation::WatchParty => self.watchparty(ctx, cmd, acked).await?,
            Invocation::Import(file) => self.import(ctx, cmd, file, acked).await?,
            Invocation::Run { command, public } => {
                if let Some(refusal) = App::refusal(&self.caller(ix), &command) {
                    return Ok(ix.answer(ctx, &render::reply(&refusal), acked).await?);
                }
                let filters = match &command {
                    Command::Recommend { filters, .. } => Some(filters.clone()),
                    _ => None,
                };
                ix.defer(ctx, !public, acked).await?;
                let reply = self.app.handle(&self.caller(ix), command).await?;
                self.show(ctx, ix, *acked, &reply, filters.as_ref()).await?;
            }
        }
        Ok(())
    }

    async fn on_autocomplete(&self, ctx: &Context, cmd: &CommandInteraction) {
        let Some(focused) = cmd.data.autocomplete() else {
            return;
        };
        let choices: Vec<AutocompleteChoice> = if focused.name == "movie" {
            let command = Command::Autocomplete {
                partial: focused.value.to_owned(),
                limit: 25,
            };
            match self
                .app
                .handle(&self.caller(Ix::Command(cmd)), command)
                .await
            {
                Ok(Reply::Choices(choices)) => choices
                    .into_iter()
                    .map(|c| AutocompleteChoice::new(c.label, c.value))
                    .collect(),
                Ok(_) => Vec::new(),
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "autocomplete failed");
                    Vec::new()
                }
            }
        } else {
            Vec::new()
        };
        let response = CreateInteractionResponse::Autocomplete(
            CreateAutocompleteResponse::new().set_choices(choices),
        );
        if let Err(e) = cmd.create_response(&ctx.http, response).await {
            tracing::warn!(error = %e, "autocomplete answer failed");
        }
    }
}

/// The review form's text field.
const REVIEW_FIELD: &str = "text";

fn review_form(movie: crate::domain::ids::MovieId, title: &str) -> CreateModal {
    CreateModal::new(
        custom_id::ComponentId::ReviewForm(movie).encode(),
        render::clip(&format!("Review: {title}"), render::limits::MODAL_TITLE),
    )
    .components(vec![CreateActionRow::InputText(
        CreateInputText::new(InputTextStyle::Paragraph, "Your review", REVIEW_FIELD)
            .placeholder("What did you think? A few words are enough.")
            .min_length(1)
            .max_length(u16::try_from(crate::domain::sentiment::MAX_REVIEW_CHARS).unwrap_or(4000))
            .required(true),
    )])
}

#[serenity::async_trait]
impl EventHandler for Handler {
    async fn ready(&self, ctx: Context, ready: Ready) {
        let _ = self.me.set(ready.user.id);
        // Each session gets the collector (a retired older one on the same runner stops).
        ctx.shard
            .add_collector(self.reactions.collector(ctx.shard_id.0));
        let commands = spec::commands();
        let registered = match self.dev_guild {
            Some(g) => GuildId::new(g)
                .set_commands(&ctx.http, commands)
                .await
                .map(|c| (c.len(), format!("in server {g}"))),
            None => serenity::all::Command::set_global_commands(&ctx.http, commands)
                .await
                .map(|c| (c.len(), "globally".to_owned())),
        };
        if self.watcher.set(()).is_ok() {
            let (http, app) = (ctx.http.clone(), self.app.clone());
            tokio::spawn(async move {
                let mut ticks = tokio::time::interval(DEADLINE_TICK);
                loop {
                    ticks.tick().await;
                    party::close_due(&http, &app).await;
                }
            });
        }
        // Servers that removed Marquee while it was not running: their grace period starts now.
        let present: Vec<crate::domain::ids::GuildId> = ready
            .guilds
            .iter()
            .map(|g| crate::domain::ids::GuildId(snowflake(g.id.get())))
            .collect();
        let shard = ready.shard.map(|s| (u64::from(s.id.0), u64::from(s.total)));
        let mine = move |g: crate::domain::ids::GuildId| match (shard, u64::try_from(g.0)) {
            (Some((id, total)), Ok(g)) if total > 1 => (g >> 22) % total == id,
            _ => true,
        };
        match self.app.servers_present(&present, mine).await {
            Ok(gone) if !gone.is_empty() => {
                tracing::info!(
                    servers = gone.len(),
                    "removed from servers while offline; their data goes after the grace period"
                );
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %format!("{e:#}"), "could not compare the servers"),
        }
        match registered {
            Ok((n, where_)) => tracing::info!(
                bot = %ready.user.name,
                servers = ready.guilds.len(),
                "connected; {n} commands registered {where_}"
            ),
            Err(e) => tracing::error!(error = %e, "could not register the slash commands"),
        }
    }

    async fn shard_stage_update(&self, _ctx: Context, event: serenity::all::ShardStageUpdateEvent) {
        let stage = format!("{:?}", event.new);
        self.health.set(event.shard_id.0, &stage);
        tracing::info!(
            shard = event.shard_id.0,
            from = ?event.old,
            to = %stage,
            model_version = ?self.app.model_version(),
            "shard {} is {stage}",
            event.shard_id.0
        );
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        let _counted = InFlight::new(&self.in_flight);
        match interaction {
            Interaction::Command(c) => Box::pin(self.on_command(&ctx, &c)).await,
            Interaction::Autocomplete(c) => self.on_autocomplete(&ctx, &c).await,
            Interaction::Component(c) => self.on_component(&ctx, &c).await,
            Interaction::Modal(m) => self.on_modal(&ctx, &m).await,
            _ => {}
        }
    }

    async fn guild_create(&self, _ctx: Context, guild: serenity::all::Guild, _new: Option<bool>) {
        let server = crate::domain::ids::GuildId(snowflake(guild.id.get()));
        if let Err(e) = self.app.server_joined(server, &guild.name).await {
            tracing::warn!(error = %format!("{e:#}"), "could not note a server");
        }
        for m in guild.members.values() {
            if m.user.bot {
                self.voice.set(guild.id.get(), m.user.id.get(), None, true);
            }
        }
        for v in guild.voice_states.values() {
            let bot = v.member.as_ref().is_some_and(|m| m.user.bot);
            self.voice.set(
                guild.id.get(),
                v.user_id.get(),
                v.channel_id.map(ChannelId::get),
                bot,
            );
        }
    }

    async fn guild_delete(
        &self,
        _ctx: Context,
        incomplete: serenity::all::UnavailableGuild,
        _full: Option<serenity::all::Guild>,
    ) {
        // `unavailable` is an outage, not a removal: the data stays.
        if incomplete.unavailable {
            return;
        }
        let server = crate::domain::ids::GuildId(snowflake(incomplete.id.get()));
        tracing::info!(server = %server, "removed from a server; its data goes after the grace period");
        if let Err(e) = self.app.server_left(server).await {
            tracing::error!(error = %format!("{e:#}"), "could not note that a server left");
        }
    }

    async fn voice_state_update(
        &self,
        _ctx: Context,
        _old: Option<serenity::all::VoiceState>,
        new: serenity::all::VoiceState,
    ) {
        if let Some(guild) = new.guild_id {
            let bot = new.member.as_ref().is_some_and(|m| m.user.bot);
            self.voice.set(
                guild.get(),
                new.user_id.get(),
                new.channel_id.map(ChannelId::get),
                bot,
            );
        }
    }

    async fn reaction_add(&self, _ctx: Context, reaction: Reaction) {
        self.reactions.handled(&reaction, false);
    }

    async fn reaction_remove(&self, _ctx: Context, reaction: Reaction) {
        self.reactions.handled(&reaction, true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bot_asks_for_no_privileged_intent() {
        assert!(!INTENTS.contains(GatewayIntents::MESSAGE_CONTENT));
        assert!(!INTENTS.contains(GatewayIntents::GUILD_MEMBERS));
        assert!(!INTENTS.contains(GatewayIntents::GUILD_PRESENCES));
        assert!(INTENTS.contains(GatewayIntents::GUILD_MESSAGE_REACTIONS));
    }
}
