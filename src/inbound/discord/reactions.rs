//! Reactions on Marquee's lists: an emoji added to (or taken back from) a list is feedback on
//! its first film. Reactions from bots (Discord sends the bot's own back to it) are ignored;
//! the app ignores reactions on other messages and emoji that mean nothing.

use super::Handler;
use super::interaction::snowflake;
use crate::app::{Caller, Command, Person, Reply, Source};
use crate::domain::ids::GuildId as DomainGuild;
use serenity::all::{Reaction, ReactionType, UserId};

/// The caller of a reaction (reactions have no interaction id: their events are keyed by the
/// app, see [`crate::app::feedback::react`]).
fn caller(r: &Reaction, user: UserId) -> Caller {
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
    Caller {
        person: Person::Discord {
            id: user.get(),
            name,
        },
        source: Source::Discord,
        server: r.guild_id.map(|g| DomainGuild(snowflake(g.get()))),
        channel: Some(snowflake(r.channel_id.get())),
        delivery_key: None,
        manages_server: false,
        operator: false,
    }
}

impl Handler {
    pub(super) async fn on_reaction(&self, reaction: &Reaction, removed: bool) {
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
        let message = snowflake(r.message_id.get());
        let command = Command::React {
            list: Some(message),
            position: 1,
            emoji: emoji.clone(),
            removed,
        };
        let reply = self.app.handle(&caller(r, user), command).await?;
        let outcome = match reply {
            Reply::Reacted { repeated: true, .. } => "repeated",
            Reply::Reacted { .. } => "recorded",
            _ => "ignored",
        };
        tracing::info!(message, removed, outcome, "reaction");
        Ok(())
    }
}
