//! `/ask request:<text> [new]`: a conversation. The answer is a public list (reactions count for
//! #1, as under `/recommend`) with critique buttons; `/ask` again in the same channel within the
//! conversation's lifetime refines it ("seen it", "less violent", "more like the second one").
//! The buttons become [`Command::Steer`] on the list they sit under.

use super::custom_id::{ComponentId, Steer};
use super::render::{EmbedSpec, Out, clip, escape, pick_line};
use crate::app::Command;
use crate::app::reply::PickLine;
use crate::domain::catalog::Genre;
use serenity::all::{
    ButtonStyle, CommandDataOption, CommandDataOptionValue, CommandOptionType, CreateActionRow,
    CreateButton, CreateCommand, CreateCommandOption,
};

/// `/ask`'s options.
pub fn options(command: CreateCommand) -> CreateCommand {
    command
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

/// The command an `/ask` invocation stands for.
pub fn command(options: &[CommandDataOption]) -> Command {
    let text = super::spec::string(options, "request").unwrap_or_default();
    let fresh = super::spec::find(options, "new") == Some(&CommandDataOptionValue::Boolean(true));
    Command::Ask { text, fresh }
}

fn button(action: Steer, label: &str) -> CreateButton {
    CreateButton::new(ComponentId::Ask(action).encode())
        .label(label)
        .style(ButtonStyle::Secondary)
}

/// An answer to a wish as a message: the list with critique buttons.
pub fn answer(intro: &str, notes: &[String], items: &[PickLine], steer: &str) -> Out {
    let mut description: Vec<String> = notes.iter().map(|n| clip(n, 300)).collect();
    description.extend(items.iter().map(pick_line));
    let more: Vec<CreateButton> = items
        .iter()
        .take(3)
        .map(|i| {
            button(
                Steer::MoreLike(i.position),
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
        button(Steer::Funnier, "Funnier"),
        button(Steer::Darker, "Darker"),
        button(Steer::Older, "Older"),
        button(Steer::Newer, "Newer"),
        button(Steer::Shorter, "Shorter"),
    ]));
    components.push(CreateActionRow::Buttons(vec![
        button(Steer::SomethingElse, "Something else"),
        button(Steer::Seen(1), "Seen #1"),
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

/// The one clarifying question, with a few genres to choose from.
pub fn clarify(question: &str, genres: &[Genre]) -> Out {
    let mut buttons: Vec<CreateButton> = genres
        .iter()
        .take(4)
        .map(|g| button(Steer::Genre(g.name().to_owned()), g.name()))
        .collect();
    buttons.push(button(Steer::SomethingElse, "Surprise me"));
    Out {
        content: escape(question),
        components: vec![CreateActionRow::Buttons(buttons)],
        ..Out::default()
    }
}
