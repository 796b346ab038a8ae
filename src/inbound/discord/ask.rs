//! `/ask request:<text> [new]`: a conversation. The answer is a public list (reactions count for
//! #1, as under `/recommend`) with critique buttons; `/ask` again in the same channel within the
//! conversation's lifetime refines it ("seen it", "less violent", "more like the second one").

use super::custom_id::{AskAction, ComponentId};
use super::render::{EmbedSpec, Out, clip, escape, pick_line};
use super::{Acked, Handler, Ix, snowflake};
use crate::app::commands::Caller;
use crate::app::conversation::AskReply;
use crate::domain::conversation::wish::Critique;
use serenity::all::{
    ButtonStyle, CommandDataOptionValue, CommandInteraction, CommandOptionType,
    ComponentInteraction, Context, CreateActionRow, CreateButton, CreateCommand,
    CreateCommandOption, InteractionContext,
};

/// The `/ask` command.
pub fn command() -> CreateCommand {
    CreateCommand::new("ask")
        .description(
            "Say what you're in the mood for (\"like Alien but funnier\"); refine with /ask again",
        )
        .contexts(vec![InteractionContext::Guild])
        .add_option(
            CreateCommandOption::new(
                CommandOptionType::String,
                "request",
                "what you feel like watching, in your own words",
            )
            .required(true)
            .max_length(4000),
        )
        .add_option(CreateCommandOption::new(
            CommandOptionType::Boolean,
            "new",
            "start a new conversation instead of refining the last one",
        ))
}

fn button(action: AskAction, label: &str) -> CreateButton {
    CreateButton::new(ComponentId::Ask(action).encode())
        .label(label)
        .style(ButtonStyle::Secondary)
}

/// An answer as a message.
pub fn render(reply: &AskReply) -> Out {
    match reply {
        AskReply::Picks {
            intro,
            notes,
            items,
            steer,
            ..
        } => {
            let mut description: Vec<String> = notes.iter().map(|n| clip(n, 300)).collect();
            description.extend(items.iter().map(pick_line));
            let more: Vec<CreateButton> = items
                .iter()
                .take(3)
                .map(|i| {
                    button(
                        AskAction::More(i.position),
                        &format!("More like #{}", i.position),
                    )
                    .style(ButtonStyle::Primary)
                })
                .collect();
            let mut components = Vec::new();
            if !more.is_empty() {
                components.push(CreateActionRow::Buttons(more));
            }
            components.push(CreateActionRow::Buttons(vec![
                button(AskAction::Funnier, "Funnier"),
                button(AskAction::Darker, "Darker"),
                button(AskAction::Older, "Older"),
                button(AskAction::Newer, "Newer"),
                button(AskAction::Shorter, "Shorter"),
            ]));
            components.push(CreateActionRow::Buttons(vec![
                button(AskAction::Else, "Something else"),
                button(AskAction::Seen(1), "Seen #1"),
            ]));
            Out {
                embed: Some(
                    EmbedSpec {
                        title: clip(intro.trim_end_matches(':'), 256),
                        description: description.join("\n"),
                        footer: clip(steer, 2048),
                        ..EmbedSpec::default()
                    }
                    .fit(),
                ),
                components,
                ..Out::default()
            }
        }
        AskReply::Clarify { question, genres } => {
            let mut buttons: Vec<CreateButton> = genres
                .iter()
                .take(4)
                .map(|g| button(AskAction::Genre(g.name().to_owned()), g.name()))
                .collect();
            buttons.push(button(AskAction::Else, "Surprise me"));
            Out {
                content: escape(question),
                components: vec![CreateActionRow::Buttons(buttons)],
                ..Out::default()
            }
        }
        AskReply::Text(text) => Out::text(text.clone(), true),
    }
}

impl Handler {
    /// Shows an answer in a public deferral: a list is stored under its message id and gets the
    /// feedback reactions; a plain answer goes privately.
    async fn show_answer(&self, ctx: &Context, ix: Ix<'_>, reply: &AskReply) -> anyhow::Result<()> {
        let out = render(reply);
        if out.ephemeral {
            ix.delete(ctx).await?;
            ix.followup(ctx, &out).await?;
            return Ok(());
        }
        let message = ix.edit(ctx, &out).await?;
        if let AskReply::Picks { message_id, .. } = reply {
            self.session
                .bind_message(*message_id, snowflake(message.id.get()))
                .await?;
            self.add_reactions(ctx, message.channel_id, message.id);
        }
        Ok(())
    }

    /// `/ask`.
    pub(super) async fn ask(
        &self,
        ctx: &Context,
        cmd: &CommandInteraction,
        acked: &mut Acked,
    ) -> anyhow::Result<()> {
        let ix = Ix::Command(cmd);
        ix.defer(ctx, false, acked).await?;
        let text = cmd
            .data
            .options
            .iter()
            .find(|o| o.name == "request")
            .and_then(|o| o.value.as_str())
            .unwrap_or_default()
            .to_owned();
        let fresh = cmd
            .data
            .options
            .iter()
            .any(|o| o.name == "new" && o.value == CommandDataOptionValue::Boolean(true));
        let caller = self
            .caller(&cmd.user, cmd.guild_id, cmd.channel_id, cmd.id.get())
            .await?;
        let reply = self.session.ask(&caller, &text, fresh).await?;
        self.show_answer(ctx, ix, &reply).await
    }

    /// A critique or clarifying button under an answer.
    pub(super) async fn ask_button(
        &self,
        ctx: &Context,
        c: &ComponentInteraction,
        action: AskAction,
        acked: &mut Acked,
    ) -> anyhow::Result<()> {
        let ix = Ix::Component(c);
        ix.defer(ctx, false, acked).await?;
        let caller: Caller = self
            .caller(&c.user, c.guild_id, c.channel_id, c.id.get())
            .await?;
        let list = snowflake(c.message.id.get());
        let film = |n: u32| async move {
            self.session
                .shown_film(list, n)
                .await
                .map(|f| f.map(|(m, _)| m))
        };
        let critique = match action {
            AskAction::More(n) => match film(n).await? {
                Some(m) => Critique::MoreLike(m),
                None => Critique::SomethingElse,
            },
            AskAction::Seen(n) => match film(n).await? {
                Some(m) => Critique::Seen(m),
                None => Critique::SomethingElse,
            },
            AskAction::Funnier => Critique::Funnier,
            AskAction::Darker => Critique::Darker,
            AskAction::Older => Critique::Older,
            AskAction::Newer => Critique::Newer,
            AskAction::Shorter => Critique::Shorter,
            AskAction::Else => Critique::SomethingElse,
            AskAction::Genre(g) => Critique::Text(g),
        };
        let reply = self.session.steer(&caller, &critique).await?;
        self.show_answer(ctx, ix, &reply).await
    }
}
