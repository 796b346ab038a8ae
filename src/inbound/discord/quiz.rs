//! The taste quiz on Discord: a private message showing one film with four answer buttons, and
//! "Show my picks" / "Stop" under it. Each answer replaces the message with the next film once
//! it is stored; the quiz's state travels in the buttons' ids ([`super::custom_id::QuizPress`]).

use super::custom_id::{ComponentId, QuizPress};
use super::render::{EmbedSpec, Out, clip, escape};
use crate::app::QuizStep;
use crate::app::quiz::{QuizCard, ending};
use crate::domain::quiz::{PERSONAL_AFTER, QuizAnswer};
use serenity::all::{ButtonStyle, CreateActionRow, CreateButton, ReactionType};

/// The offer under someone's first list.
pub fn offer() -> CreateButton {
    CreateButton::new(ComponentId::Quiz(QuizPress::Start).encode())
        .label("Tune these picks: 1-minute taste quiz")
        .emoji(ReactionType::Unicode("🎯".to_owned()))
        .style(ButtonStyle::Success)
}

fn picks_button() -> CreateButton {
    CreateButton::new(ComponentId::Quiz(QuizPress::Picks).encode())
        .label("Show my picks")
        .emoji(ReactionType::Unicode("🍿".to_owned()))
        .style(ButtonStyle::Primary)
}

/// One quiz screen, shown to the person taking it only.
pub fn card(card: &QuizCard) -> Out {
    let note = card
        .note
        .as_deref()
        .map(|n| format!("✓ {}", escape(n)))
        .unwrap_or_default();
    let Some(film) = &card.film else {
        let text = if note.is_empty() {
            ending(card)
        } else {
            format!("{note}\n{}", ending(card))
        };
        return Out {
            content: text,
            embed: None,
            components: vec![CreateActionRow::Buttons(vec![picks_button()])],
            ephemeral: true,
        };
    };
    let step = &card.step;
    let number = step.rated as usize + step.not_seen.len() + 1;
    let mut about = vec![film.genres.join(", ")];
    if !film.directors.is_empty() {
        about.push(format!("by {}", film.directors.join(" and ")));
    }
    let mut description = format!(
        "**{}**\n{}",
        escape(&film.title_with_year),
        escape(&about.join(" · "))
    );
    if !film.overview.is_empty() {
        description = format!("{description}\n*{}*", escape(&clip(&film.overview, 300)));
    }
    description.push_str("\n\nHave you seen it? What did you think?");
    let footer = if card.personal() {
        "Your picks are personal now: show them, or keep going to sharpen them.".to_owned()
    } else {
        let more = PERSONAL_AFTER - card.rated_in_all;
        format!(
            "{more} more answer{} with stars and your picks are personal. \"Haven't seen it\" is fine.",
            if more == 1 { "" } else { "s" }
        )
    };
    let answer = |a: QuizAnswer| {
        let press = QuizPress::Answer(QuizStep {
            answer: Some((film.movie, a)),
            ..step.clone()
        });
        let style = match a {
            QuizAnswer::Loved | QuizAnswer::Liked => ButtonStyle::Primary,
            QuizAnswer::NotForMe | QuizAnswer::NotSeen => ButtonStyle::Secondary,
        };
        CreateButton::new(ComponentId::Quiz(press).encode())
            .label(a.label())
            .emoji(ReactionType::Unicode(a.emoji().to_owned()))
            .style(style)
    };
    let stop = QuizPress::Stop(QuizStep {
        answer: None,
        stop: true,
        ..step.clone()
    });
    Out {
        content: note,
        embed: Some(
            EmbedSpec {
                title: format!("Taste quiz · film {number}"),
                description,
                fields: Vec::new(),
                footer,
            }
            .fit(),
        ),
        components: vec![
            CreateActionRow::Buttons(QuizAnswer::ALL.into_iter().map(answer).collect()),
            CreateActionRow::Buttons(vec![
                picks_button(),
                CreateButton::new(ComponentId::Quiz(stop).encode())
                    .label("Stop")
                    .style(ButtonStyle::Secondary),
            ]),
        ],
        ephemeral: true,
    }
}
