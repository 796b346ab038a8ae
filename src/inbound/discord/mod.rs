//! The Discord adapter: serenity's gateway and HTTP client around the shared command layer
//! ([`crate::app::commands::Session`]).
//!
//! - Intents: `GUILDS` and `GUILD_MESSAGE_REACTIONS` only; no privileged intent, no message
//!   content. Reviews come in through a form (modal), never by reading chat.
//! - Every interaction is acknowledged before any storage or model work: lists and personal
//!   answers are deferred (public or ephemeral) and then edited; autocomplete, `/help` and the
//!   review form answer at once from memory.
//! - Every message carries an empty `allowed_mentions`: the bot never pings anyone.
//! - Reactions count only on Marquee's own lists, never from bots (Discord sends the bot's own
//!   reactions back to it), once per user, film and emoji (a gateway re-delivery after a resume
//!   is recognised), and taking a reaction back undoes it.
//! - Only `ctx.http` (the client built in [`run`]) talks to Discord, so `DISCORD_API_BASE` (a
//!   test server) reaches every call.

pub mod ask;
pub mod custom_id;
pub mod lab;
pub mod party;
pub mod render;
pub mod spec;

use crate::app::commands::{Caller, Reply, Request, Session, film_token};
use crate::domain::feedback::Button;
use crate::domain::ids::GuildId as DomainGuild;
use custom_id::{ComponentId, Filters};
use render::Out;
use serenity::all::{
    ActionRowComponent, AutocompleteChoice, ChannelId, ClientBuilder, Command, CommandInteraction,
    ComponentInteraction, ComponentInteractionDataKind, Context, CreateActionRow, CreateAttachment,
    CreateAutocompleteResponse, CreateInputText, CreateInteractionResponse,
    CreateInteractionResponseMessage, CreateModal, EventHandler, GatewayIntents, GuildId,
    HttpBuilder, InputTextStyle, Interaction, Message, MessageId, ModalInteraction, Reaction,
    ReactionType, Ready, User,
};
use spec::Invocation;
use std::sync::{Arc, OnceLock};

/// The gateway intents Marquee asks for: none of them privileged.
pub const INTENTS: GatewayIntents = GatewayIntents::GUILDS
    .union(GatewayIntents::GUILD_MESSAGE_REACTIONS)
    .union(GatewayIntents::GUILD_VOICE_STATES);

/// How often overdue watch-party votes are looked for (also once right after connecting).
const DEADLINE_TICK: std::time::Duration = std::time::Duration::from_secs(10);

/// Who is in which voice channel, from GUILD_CREATE and VOICE_STATE_UPDATE (serenity's cache
/// is not compiled in), for `/watchparty start` with a voice channel.
#[derive(Debug, Default)]
struct VoiceRoster {
    /// guild → user → voice channel.
    channels: std::sync::Mutex<std::collections::HashMap<u64, std::collections::HashMap<u64, u64>>>,
    bots: std::sync::Mutex<std::collections::HashSet<u64>>,
}

impl VoiceRoster {
    fn set(&self, guild: u64, user: u64, channel: Option<u64>, bot: bool) {
        let mut all = self
            .channels
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let guild = all.entry(guild).or_default();
        match channel {
            Some(c) => {
                guild.insert(user, c);
            }
            None => {
                guild.remove(&user);
            }
        }
        if bot {
            self.bots
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(user);
        }
    }

    fn is_bot(&self, user: u64) -> bool {
        self.bots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains(&user)
    }

    fn channel_of(&self, guild: u64, user: u64) -> Option<u64> {
        self.channels
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&guild)
            .and_then(|g| g.get(&user).copied())
    }

    /// The people (not bots) in a voice channel, in id order.
    fn in_channel(&self, guild: u64, channel: u64) -> Vec<u64> {
        let mut users: Vec<u64> = self
            .channels
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&guild)
            .map(|g| {
                g.iter()
                    .filter(|(_, c)| **c == channel)
                    .map(|(u, _)| *u)
                    .collect()
            })
            .unwrap_or_default();
        users.retain(|u| !self.is_bot(*u));
        users.sort_unstable();
        users
    }
}

/// What a user sees when something failed on Marquee's side.
pub const SORRY: &str =
    "Something went wrong on my side (not yours); nothing was lost. Please try again in a moment.";

/// What a command in a direct message gets.
pub const SERVER_ONLY: &str = "I work inside a server, where I can learn what your friends like too: use my commands in a channel there. Your ratings follow you from server to server. (`/help` works here.)";

/// Where to connect and what to register.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The bot token (never logged).
    pub token: String,
    /// Another base URL for the REST API and the gateway (a test server); it turns serenity's
    /// rate limiter off, which only a test server may do.
    pub api_base: Option<String>,
    /// Register commands in this server only (instant updates while developing).
    pub dev_guild: Option<u64>,
}

/// Connects to Discord and serves until Ctrl-C (or the connection ends for good).
///
/// # Errors
/// The gateway cannot be reached or the token is refused.
pub async fn run(settings: Settings, session: Arc<Session>) -> anyhow::Result<()> {
    let mut http = HttpBuilder::new(&settings.token);
    if let Some(base) = &settings.api_base {
        tracing::warn!(
            base = %base,
            "DISCORD_API_BASE is set: talking to a test server, rate limiter off"
        );
        http = http.proxy(base.as_str()).ratelimiter_disabled(true);
    }
    let handler = Handler {
        session,
        dev_guild: settings.dev_guild,
        me: OnceLock::new(),
        voice: VoiceRoster::default(),
        watcher: OnceLock::new(),
    };
    let mut client = ClientBuilder::new_with_http(http.build(), INTENTS)
        .event_handler(handler)
        .await
        .map_err(|e| anyhow::anyhow!("cannot reach Discord's gateway: {e}"))?;
    let shards = client.shard_manager.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            tracing::info!("Ctrl-C: disconnecting");
            shards.shutdown_all().await;
        }
    });
    client
        .start_autosharded()
        .await
        .map_err(|e| anyhow::anyhow!("the Discord connection ended: {e}"))
}

struct Handler {
    session: Arc<Session>,
    dev_guild: Option<u64>,
    /// The bot's own user id, from READY.
    me: OnceLock<serenity::all::UserId>,
    voice: VoiceRoster,
    /// Set once the deadline watcher runs (READY comes again after a reconnect).
    watcher: OnceLock<()>,
}

/// The three kinds of interaction that can be answered with a message.
#[derive(Clone, Copy)]
enum Ix<'a> {
    Command(&'a CommandInteraction),
    Component(&'a ComponentInteraction),
    Modal(&'a ModalInteraction),
}

impl Ix<'_> {
    async fn respond(
        self,
        ctx: &Context,
        response: CreateInteractionResponse,
    ) -> serenity::Result<()> {
        match self {
            Ix::Command(i) => i.create_response(&ctx.http, response).await,
            Ix::Component(i) => i.create_response(&ctx.http, response).await,
            Ix::Modal(i) => i.create_response(&ctx.http, response).await,
        }
    }

    /// A "thinking…" placeholder for a new message, public or only for the caller; records in
    /// `acked` how the interaction was acknowledged, so an error later is reported the right way.
    async fn defer(
        self,
        ctx: &Context,
        ephemeral: bool,
        acked: &mut Acked,
    ) -> serenity::Result<()> {
        self.respond(
            ctx,
            CreateInteractionResponse::Defer(
                CreateInteractionResponseMessage::new().ephemeral(ephemeral),
            ),
        )
        .await?;
        *acked = if ephemeral {
            Acked::Private
        } else {
            Acked::Public
        };
        Ok(())
    }

    async fn edit(self, ctx: &Context, out: &Out) -> serenity::Result<Message> {
        self.edit_with(ctx, out.edit()).await
    }

    async fn edit_with(
        self,
        ctx: &Context,
        edit: serenity::all::EditInteractionResponse,
    ) -> serenity::Result<Message> {
        match self {
            Ix::Command(i) => i.edit_response(&ctx.http, edit).await,
            Ix::Component(i) => i.edit_response(&ctx.http, edit).await,
            Ix::Modal(i) => i.edit_response(&ctx.http, edit).await,
        }
    }

    async fn delete(self, ctx: &Context) -> serenity::Result<()> {
        match self {
            Ix::Command(i) => i.delete_response(&ctx.http).await,
            Ix::Component(i) => i.delete_response(&ctx.http).await,
            Ix::Modal(i) => i.delete_response(&ctx.http).await,
        }
    }

    async fn followup(self, ctx: &Context, out: &Out) -> serenity::Result<Message> {
        let f = out.followup();
        match self {
            Ix::Command(i) => i.create_followup(&ctx.http, f).await,
            Ix::Component(i) => i.create_followup(&ctx.http, f).await,
            Ix::Modal(i) => i.create_followup(&ctx.http, f).await,
        }
    }

    fn user(self) -> &'static str {
        match self {
            Ix::Command(_) => "command",
            Ix::Component(_) => "button or menu",
            Ix::Modal(_) => "form",
        }
    }
}

/// How far an interaction got, so a failure is reported in the right way.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Acked {
    No,
    /// Deferred: the placeholder is public.
    Public,
    /// Deferred, or answered, only for the caller.
    Private,
    /// Acknowledged as an update of the clicked message (which may be public, e.g. a vote):
    /// a failure is told in a private follow-up, never by overwriting that message.
    Updated,
}

fn snowflake(id: u64) -> i64 {
    i64::try_from(id).unwrap_or(i64::MAX)
}

impl Handler {
    async fn caller(
        &self,
        user: &User,
        guild: Option<GuildId>,
        channel: ChannelId,
        delivery: u64,
    ) -> anyhow::Result<Caller> {
        let name = user.global_name.as_deref().unwrap_or(&user.name);
        let id = self.session.discord_user(user.id.get(), name).await?;
        Ok(Caller {
            user: id,
            source: "discord".to_owned(),
            guild: guild.map(|g| DomainGuild(snowflake(g.get()))),
            channel: Some(snowflake(channel.get())),
            delivery_key: Some(delivery.to_string()),
        })
    }

    /// Tells the user something failed, in whatever way the interaction still allows.
    async fn report(&self, ctx: &Context, ix: Ix<'_>, acked: Acked, error: &anyhow::Error) {
        tracing::error!(error = %format!("{error:#}"), kind = ix.user(), "interaction failed");
        let out = Out::text(SORRY, true);
        let sent = match acked {
            Acked::No => {
                ix.respond(ctx, CreateInteractionResponse::Message(out.response()))
                    .await
            }
            Acked::Private => ix.edit(ctx, &out).await.map(|_| ()),
            Acked::Updated => ix.followup(ctx, &out).await.map(|_| ()),
            Acked::Public => {
                let _ = ix.delete(ctx).await;
                ix.followup(ctx, &out).await.map(|_| ())
            }
        };
        if let Err(e) = sent {
            tracing::warn!(error = %e, "could not tell the user about the failure");
        }
    }

    /// Shows a reply in a deferred interaction. A list becomes the list message (its films are
    /// stored under the real message id, and the feedback reactions are added); anything else
    /// meant for the caller only replaces a public placeholder with a private follow-up.
    async fn finish(
        &self,
        ctx: &Context,
        ix: Ix<'_>,
        acked: Acked,
        reply: &Reply,
        filters: &Filters,
    ) -> anyhow::Result<()> {
        if let Reply::Picks {
            intro,
            items,
            message_id,
            ..
        } = reply
        {
            if !items.is_empty() {
                let out = render::picks(intro, items, filters, self.session.reactions());
                let message = ix.edit(ctx, &out).await?;
                self.session
                    .bind_message(*message_id, snowflake(message.id.get()))
                    .await?;
                self.add_reactions(ctx, message.channel_id, message.id);
                return Ok(());
            }
        }
        let out = render::reply(reply);
        if acked == Acked::Public && out.ephemeral {
            ix.delete(ctx).await?;
            ix.followup(ctx, &out).await?;
        } else {
            ix.edit(ctx, &out).await?;
        }
        Ok(())
    }

    /// Adds the feedback reactions under a list, in the map's order, in the background.
    fn add_reactions(&self, ctx: &Context, channel: ChannelId, message: MessageId) {
        let emojis: Vec<String> = self
            .session
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
        let ix = Ix::Command(cmd);
        let mut acked = Acked::No;
        if let Err(e) = self.command(ctx, cmd, &mut acked).await {
            self.report(ctx, ix, acked, &e).await;
        }
    }

    async fn command(
        &self,
        ctx: &Context,
        cmd: &CommandInteraction,
        acked: &mut Acked,
    ) -> anyhow::Result<()> {
        let ix = Ix::Command(cmd);
        let invocation = spec::invocation(&cmd.data.name, &cmd.data.options);
        tracing::info!(command = %cmd.data.name, interaction = %cmd.id, "slash command");
        if cmd.data.name == "watchparty" && cmd.guild_id.is_some() {
            return self.watchparty(ctx, cmd, acked).await;
        }
        if cmd.data.name == "ask" && cmd.guild_id.is_some() {
            return self.ask(ctx, cmd, acked).await;
        }
        if cmd.data.name == "experiment" && cmd.guild_id.is_some() {
            return self.experiment(ctx, cmd, acked).await;
        }
        if invocation == Invocation::Run(Request::Help) {
            let out = render::reply(&Reply::Help(crate::app::commands::COMMANDS.to_vec()));
            *acked = Acked::Private;
            ix.respond(ctx, CreateInteractionResponse::Message(out.response()))
                .await?;
            return Ok(());
        }
        if cmd.guild_id.is_none() {
            *acked = Acked::Private;
            ix.respond(
                ctx,
                CreateInteractionResponse::Message(Out::text(SERVER_ONLY, true).response()),
            )
            .await?;
            return Ok(());
        }
        match invocation {
            Invocation::ReviewForm { title } => {
                let modal = match self.session.resolve(&title) {
                    Ok((movie, title)) => review_form(movie, &title),
                    Err(reply) => {
                        *acked = Acked::Private;
                        let out = render::reply(&reply);
                        return Ok(ix
                            .respond(ctx, CreateInteractionResponse::Message(out.response()))
                            .await?);
                    }
                };
                *acked = Acked::Private;
                ix.respond(ctx, CreateInteractionResponse::Modal(modal))
                    .await?;
            }
            Invocation::Unknown(name) => {
                *acked = Acked::Private;
                let out = Out::text(
                    format!("I don't have a /{name} command any more; /help lists what I can do."),
                    true,
                );
                ix.respond(ctx, CreateInteractionResponse::Message(out.response()))
                    .await?;
            }
            Invocation::TasteMap => {
                ix.defer(ctx, true, acked).await?;
                let caller = self
                    .caller(&cmd.user, cmd.guild_id, cmd.channel_id, cmd.id.get())
                    .await?;
                self.taste_map(ctx, ix, &caller).await?;
            }
            Invocation::Run(request) => {
                let public = matches!(request, Request::Recommend { .. } | Request::Similar { .. });
                let filters = match &request {
                    Request::Recommend {
                        genre,
                        count,
                        min_year,
                        max_year,
                        ..
                    } => Filters {
                        genre: genre.clone(),
                        count: *count,
                        min_year: *min_year,
                        max_year: *max_year,
                    },
                    _ => Filters::default(),
                };
                ix.defer(ctx, !public, acked).await?;
                let caller = self
                    .caller(&cmd.user, cmd.guild_id, cmd.channel_id, cmd.id.get())
                    .await?;
                let reply = self.session.handle(&caller, request).await?;
                self.finish(ctx, ix, *acked, &reply, &filters).await?;
            }
        }
        Ok(())
    }

    async fn taste_map(&self, ctx: &Context, ix: Ix<'_>, caller: &Caller) -> anyhow::Result<()> {
        match self.session.taste_map(Some(caller.user)).await? {
            None => {
                ix.edit(ctx, &Out::text(NO_MAP, true)).await?;
            }
            Some(png) => {
                let embed = render::EmbedSpec {
                    title: "This server's taste map".to_owned(),
                    description:
                        "Each dot is a person, each colour a taste group; the ringed dot is you."
                            .to_owned(),
                    ..render::EmbedSpec::default()
                }
                .fit()
                .build()
                .image("attachment://tastemap.png");
                let edit = serenity::all::EditInteractionResponse::new()
                    .embed(embed)
                    .new_attachment(CreateAttachment::bytes(png, "tastemap.png"))
                    .allowed_mentions(serenity::all::CreateAllowedMentions::new());
                ix.edit_with(ctx, edit).await?;
            }
        }
        Ok(())
    }

    /// A feedback button on the private message a list's menu opened: the buttons stay, so a
    /// second thought is one click away.
    async fn feedback(
        &self,
        ctx: &Context,
        ix: Ix<'_>,
        caller: &Caller,
        (message, position, button): (i64, u32, Button),
    ) -> anyhow::Result<()> {
        let reply = self
            .session
            .handle(
                caller,
                Request::Feedback {
                    message_id: message,
                    position,
                    button,
                },
            )
            .await?;
        let mut out = render::reply(&reply);
        if matches!(reply, Reply::Noted { .. }) {
            let title = self
                .session
                .shown_film(message, position)
                .await?
                .map(|(_, t)| t)
                .unwrap_or_default();
            out.components = render::feedback_buttons(message, position, &title).components;
        }
        ix.edit(ctx, &out).await?;
        Ok(())
    }

    /// "More like #1" or "Refresh" under list `list`: a new list message.
    async fn another_list(
        &self,
        ctx: &Context,
        ix: Ix<'_>,
        caller: &Caller,
        id: ComponentId,
        list: i64,
    ) -> anyhow::Result<()> {
        let (request, filters) = match id {
            ComponentId::Refresh(f) => (
                Request::Recommend {
                    genre: f.genre.clone(),
                    count: f.count,
                    min_year: f.min_year,
                    max_year: f.max_year,
                    instead_of: Some(list),
                },
                f,
            ),
            _ => (
                Request::MoreLike {
                    message_id: list,
                    position: 1,
                },
                Filters::default(),
            ),
        };
        let reply = self.session.handle(caller, request).await?;
        self.finish(ctx, ix, Acked::Public, &reply, &filters).await
    }

    async fn on_autocomplete(&self, ctx: &Context, cmd: &CommandInteraction) {
        let Some(focused) = cmd.data.autocomplete() else {
            return;
        };
        let choices: Vec<AutocompleteChoice> = if focused.name == "movie" {
            self.session
                .autocomplete(focused.value, 25)
                .into_iter()
                .map(|(label, value)| AutocompleteChoice::new(label, value))
                .collect()
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

    async fn on_component(&self, ctx: &Context, c: &ComponentInteraction) {
        let ix = Ix::Component(c);
        let mut acked = Acked::No;
        if let Err(e) = self.component(ctx, c, &mut acked).await {
            self.report(ctx, ix, acked, &e).await;
        }
    }

    async fn component(
        &self,
        ctx: &Context,
        c: &ComponentInteraction,
        acked: &mut Acked,
    ) -> anyhow::Result<()> {
        let ix = Ix::Component(c);
        let Some(id) = ComponentId::parse(&c.data.custom_id) else {
            tracing::warn!(custom_id = %c.data.custom_id, "a component Marquee did not make");
            *acked = Acked::Private;
            let out = Out::text("That button is not mine any more; try /help.", true);
            ix.respond(ctx, CreateInteractionResponse::Message(out.response()))
                .await?;
            return Ok(());
        };
        let list = snowflake(c.message.id.get());
        let caller = || self.caller(&c.user, c.guild_id, c.channel_id, c.id.get());
        match id {
            ComponentId::MoreLike | ComponentId::Refresh(_) => {
                ix.defer(ctx, false, acked).await?;
                let caller = caller().await?;
                self.another_list(ctx, ix, &caller, id, list).await?;
            }
            ComponentId::NotInterested => {
                ix.defer(ctx, true, acked).await?;
                let caller = caller().await?;
                let reply = self
                    .session
                    .handle(
                        &caller,
                        Request::Feedback {
                            message_id: list,
                            position: 1,
                            button: Button::NotInterested,
                        },
                    )
                    .await?;
                ix.edit(ctx, &render::reply(&reply)).await?;
            }
            ComponentId::Pick => {
                ix.defer(ctx, true, acked).await?;
                let position = first_choice(c).and_then(|v| v.parse::<u32>().ok());
                let shown = match position {
                    Some(p) => self.session.shown_film(list, p).await?.map(|f| (p, f)),
                    None => None,
                };
                let out = match shown {
                    Some((p, (_, title))) => render::feedback_buttons(list, p, &title),
                    None => Out::text(
                        "I don't have that list any more; ask for /recommend to get a fresh one.",
                        true,
                    ),
                };
                ix.edit(ctx, &out).await?;
            }
            ComponentId::Feedback {
                message,
                position,
                button,
            } => {
                ix.respond(ctx, CreateInteractionResponse::Acknowledge)
                    .await?;
                *acked = Acked::Updated;
                let caller = caller().await?;
                self.feedback(ctx, ix, &caller, (message, position, button))
                    .await?;
            }
            ComponentId::FixStars(movie) => {
                ix.respond(ctx, CreateInteractionResponse::Acknowledge)
                    .await?;
                *acked = Acked::Updated;
                let stars = first_choice(c)
                    .and_then(|v| v.parse::<f64>().ok())
                    .unwrap_or(f64::NAN);
                let caller = caller().await?;
                let reply = self
                    .session
                    .handle(
                        &caller,
                        Request::Rate {
                            title: film_token(movie),
                            stars,
                        },
                    )
                    .await?;
                ix.edit(ctx, &render::reply(&reply)).await?;
            }
            ComponentId::Party(party, action) => {
                self.party_button(ctx, c, (party, action), acked).await?;
            }
            ComponentId::Ask(action) => {
                self.ask_button(ctx, c, action, acked).await?;
            }
            ComponentId::ReviewForm(_) => {
                *acked = Acked::Private;
                let out = Out::text("Use /review to write a review.", true);
                ix.respond(ctx, CreateInteractionResponse::Message(out.response()))
                    .await?;
            }
        }
        Ok(())
    }

    async fn on_modal(&self, ctx: &Context, m: &ModalInteraction) {
        let ix = Ix::Modal(m);
        let mut acked = Acked::No;
        if let Err(e) = self.modal(ctx, m, &mut acked).await {
            self.report(ctx, ix, acked, &e).await;
        }
    }

    async fn modal(
        &self,
        ctx: &Context,
        m: &ModalInteraction,
        acked: &mut Acked,
    ) -> anyhow::Result<()> {
        let ix = Ix::Modal(m);
        ix.defer(ctx, true, acked).await?;
        let Some(ComponentId::ReviewForm(movie)) = ComponentId::parse(&m.data.custom_id) else {
            ix.edit(ctx, &Out::text("That form is not mine any more.", true))
                .await?;
            return Ok(());
        };
        let text: String = m
            .data
            .components
            .iter()
            .flat_map(|row| row.components.iter())
            .find_map(|c| match c {
                ActionRowComponent::InputText(t) if t.custom_id == REVIEW_FIELD => t.value.clone(),
                _ => None,
            })
            .unwrap_or_default();
        let caller = self
            .caller(&m.user, m.guild_id, m.channel_id, m.id.get())
            .await?;
        let reply = self
            .session
            .handle(
                &caller,
                Request::Review {
                    title: film_token(movie),
                    text,
                },
            )
            .await?;
        ix.edit(ctx, &render::reply(&reply)).await?;
        Ok(())
    }

    async fn on_reaction(&self, reaction: &Reaction, removed: bool) {
        if let Err(e) = self.reaction(reaction, removed).await {
            tracing::error!(error = %format!("{e:#}"), "reaction not recorded");
        }
    }

    async fn reaction(&self, r: &Reaction, removed: bool) -> anyhow::Result<()> {
        let Some(user) = r.user_id else {
            return Ok(());
        };
        let from_bot = r.member.as_ref().is_some_and(|m| m.user.bot);
        if self.me.get() == Some(&user) || from_bot {
            return Ok(());
        }
        let ReactionType::Unicode(emoji) = &r.emoji else {
            return Ok(());
        };
        if self.session.reactions().get(emoji).is_none() {
            return Ok(());
        }
        let message = snowflake(r.message_id.get());
        if !self.session.is_list(message).await? {
            return Ok(());
        }
        let name = r
            .member
            .as_ref()
            .map(|m| {
                m.user
                    .global_name
                    .clone()
                    .unwrap_or_else(|| m.user.name.clone())
            })
            .unwrap_or_default();
        let id = self.session.discord_user(user.get(), &name).await?;
        let caller = Caller {
            user: id,
            source: "discord".to_owned(),
            guild: r.guild_id.map(|g| DomainGuild(snowflake(g.get()))),
            channel: Some(snowflake(r.channel_id.get())),
            delivery_key: None,
        };
        let reply = self
            .session
            .handle(
                &caller,
                Request::React {
                    message_id: Some(message),
                    position: 1,
                    emoji: emoji.clone(),
                    removed,
                },
            )
            .await?;
        tracing::info!(message, removed, outcome = ?reply_kind(&reply), "reaction");
        Ok(())
    }
}

/// The first value chosen in a string menu.
fn first_choice(c: &ComponentInteraction) -> Option<&str> {
    match &c.data.kind {
        ComponentInteractionDataKind::StringSelect { values } => values.first().map(String::as_str),
        _ => None,
    }
}

fn reply_kind(reply: &Reply) -> &'static str {
    match reply {
        Reply::Reacted { repeated: true, .. } => "repeated",
        Reply::Reacted { .. } => "recorded",
        _ => "ignored",
    }
}

/// The review form's text field.
const REVIEW_FIELD: &str = "text";

/// What `/tastemap` says before the first training found groups.
pub const NO_MAP: &str = "There is no taste map yet: groups are found when the model is retrained (hourly), once a few people have rated some films. Rate a few with /rate!";

fn review_form(movie: crate::domain::ids::MovieId, title: &str) -> CreateModal {
    CreateModal::new(
        ComponentId::ReviewForm(movie).encode(),
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
        let mut commands = spec::commands();
        commands.push(party::command());
        commands.push(lab::command());
        commands.push(ask::command());
        let registered = match self.dev_guild {
            Some(g) => GuildId::new(g)
                .set_commands(&ctx.http, commands)
                .await
                .map(|c| (c.len(), format!("in server {g}"))),
            None => Command::set_global_commands(&ctx.http, commands)
                .await
                .map(|c| (c.len(), "globally".to_owned())),
        };
        if self.watcher.set(()).is_ok() {
            let (http, session) = (ctx.http.clone(), self.session.clone());
            tokio::spawn(async move {
                let mut ticks = tokio::time::interval(DEADLINE_TICK);
                loop {
                    ticks.tick().await;
                    party::close_due(&http, &session).await;
                    if let Err(e) = session.reload_experiments().await {
                        tracing::warn!(error = %format!("{e:#}"), "could not reload experiments");
                    }
                }
            });
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

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        match interaction {
            Interaction::Command(c) => self.on_command(&ctx, &c).await,
            Interaction::Autocomplete(c) => self.on_autocomplete(&ctx, &c).await,
            Interaction::Component(c) => self.on_component(&ctx, &c).await,
            Interaction::Modal(m) => self.on_modal(&ctx, &m).await,
            _ => {}
        }
    }

    async fn guild_create(&self, _ctx: Context, guild: serenity::all::Guild, _new: Option<bool>) {
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
        self.on_reaction(&reaction, false).await;
    }

    async fn reaction_remove(&self, _ctx: Context, reaction: Reaction) {
        self.on_reaction(&reaction, true).await;
    }
}
