//! Replies as Discord messages: embeds that respect Discord's limits, the buttons and menus
//! under a list, and the text of every other answer. Every message built here carries an empty
//! `allowed_mentions`, so nothing the bot echoes (a title, a review, a typed query) can ping.

use super::custom_id::{ComponentId, Filters};
use crate::app::Reply;
use crate::app::help::CommandHelp;
use crate::app::reply::{Mood, PickLine, Profile};
use crate::domain::feedback::{Button, Meaning, ReactionMap};
use crate::domain::ids::MovieId;
use serenity::all::{
    ButtonStyle, Colour, CreateActionRow, CreateAllowedMentions, CreateButton, CreateEmbed,
    CreateEmbedFooter, CreateInteractionResponseFollowup, CreateInteractionResponseMessage,
    CreateSelectMenu, CreateSelectMenuKind, CreateSelectMenuOption, EditInteractionResponse,
    ReactionType,
};

/// Discord's embed limits.
pub mod limits {
    pub const TITLE: usize = 256;
    pub const DESCRIPTION: usize = 4096;
    pub const FIELDS: usize = 25;
    pub const FIELD_NAME: usize = 256;
    pub const FIELD_VALUE: usize = 1024;
    pub const FOOTER: usize = 2048;
    /// Characters across title, description, field names and values and footer.
    pub const TOTAL: usize = 6000;
    /// Message content.
    pub const CONTENT: usize = 2000;
    /// A button label, a select option's label or description.
    pub const LABEL: usize = 80;
    pub const OPTION_LABEL: usize = 100;
    /// A modal title.
    pub const MODAL_TITLE: usize = 45;
}

/// Marquee's accent colour (a cinema-curtain red).
const COLOUR: Colour = Colour(0x00B2_2234);

/// `text` cut to at most `max` characters (not bytes), ending in "…" when cut.
pub fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// `text` with Discord's markdown characters escaped, so a title such as `*batteries not
/// included` or a typed query shows as written.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '*' | '_' | '~' | '`' | '|' | '>' | '#' | '[' | ']'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// [`escape`]d, except user mentions (`<@123>`), which show as names and never ping (every
/// message carries an empty `allowed_mentions`).
pub fn escape_keeping_mentions(text: &str) -> String {
    let escaped = escape(text);
    let mut out = String::with_capacity(escaped.len());
    let mut rest = escaped.as_str();
    while let Some(i) = rest.find("<@") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let digits = after.chars().take_while(char::is_ascii_digit).count();
        if digits > 0 && after[digits..].starts_with("\\>") {
            out.push_str("<@");
            out.push_str(&after[..digits]);
            out.push('>');
            rest = &after[digits + 2..];
        } else {
            out.push_str("<@");
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// An embed's parts, fitted to Discord's limits before it is built.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EmbedSpec {
    pub title: String,
    pub description: String,
    /// (name, value, inline)
    pub fields: Vec<(String, String, bool)>,
    pub footer: String,
}

impl EmbedSpec {
    /// Characters counted against [`limits::TOTAL`].
    pub fn total_chars(&self) -> usize {
        let count = |s: &str| s.chars().count();
        count(&self.title)
            + count(&self.description)
            + count(&self.footer)
            + self
                .fields
                .iter()
                .map(|(n, v, _)| count(n) + count(v))
                .sum::<usize>()
    }

    /// The same embed within every limit: each part clipped, at most 25 fields, and the
    /// description shortened (then fields dropped) until the whole fits in 6,000 characters.
    #[must_use]
    pub fn fit(mut self) -> Self {
        self.title = clip(&self.title, limits::TITLE);
        self.description = clip(&self.description, limits::DESCRIPTION);
        self.footer = clip(&self.footer, limits::FOOTER);
        self.fields.truncate(limits::FIELDS);
        for (name, value, _) in &mut self.fields {
            *name = clip(name, limits::FIELD_NAME);
            *value = clip(value, limits::FIELD_VALUE);
        }
        let total = self.total_chars();
        if total > limits::TOTAL {
            let over = total - limits::TOTAL;
            let keep = self.description.chars().count().saturating_sub(over);
            self.description = clip(&self.description, keep.max(1));
        }
        while self.total_chars() > limits::TOTAL && !self.fields.is_empty() {
            self.fields.pop();
        }
        self
    }

    /// The serenity builder (call [`EmbedSpec::fit`] first).
    pub fn build(&self) -> CreateEmbed {
        let mut e = CreateEmbed::new().colour(COLOUR);
        if !self.title.is_empty() {
            e = e.title(&self.title);
        }
        if !self.description.is_empty() {
            e = e.description(&self.description);
        }
        for (name, value, inline) in &self.fields {
            e = e.field(name, value, *inline);
        }
        if !self.footer.is_empty() {
            e = e.footer(CreateEmbedFooter::new(&self.footer));
        }
        e
    }
}

/// One message to send: text, at most one embed, components, and whether only the caller
/// sees it.
#[derive(Debug, Clone, Default)]
pub struct Out {
    pub content: String,
    pub embed: Option<EmbedSpec>,
    pub components: Vec<CreateActionRow>,
    pub ephemeral: bool,
}

fn no_pings() -> CreateAllowedMentions {
    CreateAllowedMentions::new()
        .empty_users()
        .empty_roles()
        .replied_user(false)
}

impl Out {
    /// A plain sentence.
    pub fn text(content: impl Into<String>, ephemeral: bool) -> Self {
        Out {
            content: content.into(),
            ephemeral,
            ..Out::default()
        }
    }

    fn content(&self) -> String {
        clip(&self.content, limits::CONTENT)
    }

    /// As an interaction response (callback type 4 or 7).
    pub fn response(&self) -> CreateInteractionResponseMessage {
        let mut m = CreateInteractionResponseMessage::new()
            .content(self.content())
            .components(self.components.clone())
            .allowed_mentions(no_pings())
            .ephemeral(self.ephemeral);
        if let Some(e) = &self.embed {
            m = m.embed(e.build());
        }
        m
    }

    /// As the update of the clicked message that answers a click (everything replaced: no
    /// embed or no buttons means none are left).
    pub fn update(&self) -> CreateInteractionResponseMessage {
        let m = CreateInteractionResponseMessage::new()
            .content(self.content())
            .components(self.components.clone())
            .allowed_mentions(no_pings());
        match &self.embed {
            Some(e) => m.embed(e.build()),
            None => m.embeds(Vec::new()),
        }
    }

    /// As an edit of a message in a channel (a public message whose click was answered late).
    pub fn message_edit(&self) -> serenity::all::EditMessage {
        let m = serenity::all::EditMessage::new()
            .content(self.content())
            .components(self.components.clone())
            .allowed_mentions(no_pings());
        match &self.embed {
            Some(e) => m.embed(e.build()),
            None => m.embeds(Vec::new()),
        }
    }

    /// As an edit of a deferred response.
    pub fn edit(&self) -> EditInteractionResponse {
        let mut m = EditInteractionResponse::new()
            .content(self.content())
            .components(self.components.clone())
            .allowed_mentions(no_pings());
        m = match &self.embed {
            Some(e) => m.embed(e.build()),
            None => m.embeds(Vec::new()),
        };
        m
    }

    /// As a follow-up message.
    pub fn followup(&self) -> CreateInteractionResponseFollowup {
        let mut m = CreateInteractionResponseFollowup::new()
            .content(self.content())
            .components(self.components.clone())
            .allowed_mentions(no_pings())
            .ephemeral(self.ephemeral);
        if let Some(e) = &self.embed {
            m = m.embed(e.build());
        }
        m
    }
}

/// "❤️ loved · 👍 liked · …" from the reaction map.
pub fn reaction_legend(map: &ReactionMap) -> String {
    map.offered()
        .map(|(emoji, meaning)| {
            let what = match meaning {
                Meaning::Rating(r) if r >= 4.5 => "loved".to_owned(),
                Meaning::Rating(r) if r >= 3.5 => "liked".to_owned(),
                Meaning::Rating(r) if r >= 2.5 => "so-so".to_owned(),
                Meaning::Rating(r) => format!("{r}★"),
                Meaning::Seen => "seen it".to_owned(),
                Meaning::NotInterested => "not for me".to_owned(),
            };
            format!("{emoji} {what}")
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// One numbered film of a list: title, genres, and the reason on its own line.
pub fn pick_line(p: &PickLine) -> String {
    let genres = if p.genres.is_empty() {
        String::new()
    } else {
        format!(" · {}", p.genres.join(", "))
    };
    format!(
        "**{}. {}**{}\n↳ {}",
        p.position,
        escape(&clip(&p.title_with_year, 120)),
        genres,
        escape(&clip(&p.reason, 160))
    )
}

/// The list message: an embed with one line per film, the three buttons (four with the taste
/// quiz's offer), and a menu that opens the feedback buttons for any film of the list.
pub fn picks(
    intro: &str,
    items: &[PickLine],
    (filters, quiz_offer): (&Filters, bool),
    map: &ReactionMap,
) -> Out {
    let title = intro.trim_end_matches(':').trim();
    if items.is_empty() {
        // Nothing to react to, refresh or pick from: the sentence alone (its buttons would act
        // on a list that holds no film).
        return Out {
            embed: Some(
                EmbedSpec {
                    title: title.to_owned(),
                    ..EmbedSpec::default()
                }
                .fit(),
            ),
            ..Out::default()
        };
    }
    let description = items.iter().map(pick_line).collect::<Vec<_>>().join("\n");
    let footer = format!(
        "React to tell me about #1: {}. Use the menu for the others.",
        reaction_legend(map)
    );
    let embed = EmbedSpec {
        title: title.to_owned(),
        description,
        fields: Vec::new(),
        footer,
    }
    .fit();
    let mut buttons = vec![
        CreateButton::new(ComponentId::MoreLike.encode())
            .label("More like #1")
            .style(ButtonStyle::Primary),
        CreateButton::new(ComponentId::NotInterested.encode())
            .label("Not interested in #1")
            .emoji(ReactionType::Unicode("🚫".to_owned()))
            .style(ButtonStyle::Secondary),
        CreateButton::new(ComponentId::Refresh(filters.clone()).encode())
            .label("Refresh")
            .emoji(ReactionType::Unicode("🔄".to_owned()))
            .style(ButtonStyle::Secondary),
    ];
    if quiz_offer {
        buttons.push(super::quiz::offer());
    }
    let buttons = CreateActionRow::Buttons(buttons);
    let options: Vec<CreateSelectMenuOption> = items
        .iter()
        .take(25)
        .map(|p| {
            CreateSelectMenuOption::new(
                clip(
                    &format!("{}. {}", p.position, p.title_with_year),
                    limits::OPTION_LABEL,
                ),
                p.position.to_string(),
            )
        })
        .collect();
    let mut components = vec![buttons];
    if !options.is_empty() {
        components.push(CreateActionRow::SelectMenu(
            CreateSelectMenu::new(
                ComponentId::Pick.encode(),
                CreateSelectMenuKind::String { options },
            )
            .placeholder("Seen one of these? Tell me what you thought…"),
        ));
    }
    Out {
        content: String::new(),
        embed: Some(embed),
        components,
        ephemeral: false,
    }
}

/// The feedback buttons for one film of a list (shown to the clicker only).
pub fn feedback_buttons(message: i64, position: u32, title: &str) -> Out {
    let label = |b: Button| match b {
        Button::Love => ("❤️", "Loved it"),
        Button::Like => ("👍", "Liked it"),
        Button::Meh => ("😐", "Meh"),
        Button::Dislike => ("👎", "Not for me"),
        Button::Seen => ("👀", "Seen it"),
        Button::NotInterested => ("🚫", "Not interested"),
    };
    let button = |b: Button| {
        let (emoji, text) = label(b);
        CreateButton::new(
            ComponentId::Feedback {
                message,
                position,
                button: b,
            }
            .encode(),
        )
        .label(text)
        .emoji(ReactionType::Unicode(emoji.to_owned()))
        .style(ButtonStyle::Secondary)
    };
    let (ratings, flags) = Button::ALL.split_at(4);
    Out {
        content: format!("What did you think of **{}**?", escape(title)),
        embed: None,
        components: vec![
            CreateActionRow::Buttons(ratings.iter().copied().map(button).collect()),
            CreateActionRow::Buttons(flags.iter().copied().map(button).collect()),
        ],
        ephemeral: true,
    }
}

/// The menu under a review's reading: set the stars by hand.
pub fn fix_stars(movie: MovieId, current: f64) -> CreateActionRow {
    let options = (1..=10)
        .map(|half| {
            let stars = f64::from(half) / 2.0;
            let label = format!("{stars}★");
            CreateSelectMenuOption::new(label, stars.to_string())
                .default_selection((stars - current).abs() < 0.01)
        })
        .collect();
    CreateActionRow::SelectMenu(
        CreateSelectMenu::new(
            ComponentId::FixStars(movie).encode(),
            CreateSelectMenuKind::String { options },
        )
        .placeholder("Not quite? Set the stars yourself"),
    )
}

fn profile(p: &Profile) -> Out {
    let mut fields = Vec::new();
    if !p.top_genres.is_empty() {
        let genres: Vec<String> = p
            .top_genres
            .iter()
            .map(|g| format!("{} ({})", g.genre, g.films))
            .collect();
        fields.push(("Top genres".to_owned(), genres.join(", "), false));
    }
    fields.push((
        "Taste group".to_owned(),
        p.taste_group.clone().map_or_else(
            || "not placed yet (groups are found at the next retraining)".to_owned(),
            |g| escape(&g),
        ),
        false,
    ));
    if !p.favourites.is_empty() {
        let favourites: Vec<String> = p.favourites.iter().map(|t| escape(t)).collect();
        fields.push(("Favourites".to_owned(), favourites.join("\n"), false));
    }
    fields.push((
        "So far".to_owned(),
        format!(
            "{} films · {} ratings · {} reviews · {} reactions · {} seen · {} not interested",
            p.films, p.ratings, p.reviews, p.reactions, p.seen, p.not_interested
        ),
        false,
    ));
    Out {
        embed: Some(
            EmbedSpec {
                title: "What I have learned about you".to_owned(),
                fields,
                ..EmbedSpec::default()
            }
            .fit(),
        ),
        ephemeral: true,
        ..Out::default()
    }
}

fn taste(group: &str, members: usize, traits: &[String]) -> Out {
    Out {
        embed: Some(
            EmbedSpec {
                title: format!("Your taste group: {group}"),
                description: traits
                    .iter()
                    .map(|t| format!("• {}", escape(t)))
                    .collect::<Vec<_>>()
                    .join("\n"),
                footer: format!(
                    "{members} {} in this group · /tastemap shows them all",
                    if members == 1 { "person" } else { "people" }
                ),
                ..EmbedSpec::default()
            }
            .fit(),
        ),
        ephemeral: true,
        ..Out::default()
    }
}

fn reviewed(title: &str, movie: MovieId, mood: Mood, stars: f64) -> Out {
    let mut phrase = mood.phrase().to_owned();
    if let Some(first) = phrase.get(..1) {
        phrase.replace_range(..1, &first.to_uppercase());
    }
    Out {
        content: format!(
            "Thanks for the review of **{}**. {phrase}: **{stars}★**.",
            escape(title)
        ),
        components: vec![fix_stars(movie, stars)],
        ephemeral: true,
        ..Out::default()
    }
}

/// What `/privacy show` answers.
fn privacy(p: &crate::app::reply::PrivacySummary) -> Out {
    let nothing = crate::app::reply::PrivacySummary {
        other_servers: p.other_servers,
        ..crate::app::reply::PrivacySummary::default()
    };
    let mut lines = if *p == nothing {
        vec!["Nothing: Marquee keeps no data about you in this server.".to_owned()]
    } else {
        let n = |count: u64, one: &str, many: &str| {
            format!("{count} {}", if count == 1 { one } else { many })
        };
        vec![
            format!(
                "{} · {} (with their text) · {}",
                n(p.ratings as u64, "rating", "ratings"),
                n(p.reviews as u64, "review", "reviews"),
                n(p.reactions as u64, "reaction", "reactions")
            ),
            format!(
                "{} (seen, not interested, buttons, watched together)",
                n(p.marks as u64, "other mark", "other marks")
            ),
            format!(
                "{} shown to you in lists",
                n(p.films_shown, "film", "films")
            ),
            format!(
                "{} · {} · {}",
                n(p.watch_parties as u64, "watch party", "watch parties"),
                n(
                    p.conversations as u64,
                    "open conversation",
                    "open conversations"
                ),
                n(
                    p.experiments as u64,
                    "experiment group",
                    "experiment groups"
                )
            ),
        ]
    };
    if p.other_servers > 0 {
        lines.push(format!(
            "Other servers keep their own, separate data about you ({}); nothing there reaches here.",
            p.other_servers
        ));
    }
    Out {
        embed: Some(
            EmbedSpec {
                title: "What Marquee keeps about you in this server".to_owned(),
                description: lines.join("\n"),
                footer: "/privacy export downloads it all · /privacy forget deletes it · the privacy policy on my profile (PRIVACY.md) says why and for how long".to_owned(),
                ..EmbedSpec::default()
            }
            .fit(),
        ),
        ephemeral: true,
        ..Out::default()
    }
}

/// "Delete everything?" with the one button that does it.
fn confirm_forget(everywhere: bool, summary: &str) -> Out {
    Out {
        content: clip(summary, limits::CONTENT),
        components: vec![CreateActionRow::Buttons(vec![
            CreateButton::new(ComponentId::Forget { everywhere }.encode())
                .label(if everywhere {
                    "Delete everything, in every server"
                } else {
                    "Delete everything here"
                })
                .style(ButtonStyle::Danger),
        ])],
        ephemeral: true,
        ..Out::default()
    }
}

/// The `/help` list.
pub fn help(commands: &[CommandHelp]) -> Out {
    let lines: Vec<String> = commands
        .iter()
        .map(|c| {
            if c.args.is_empty() {
                format!("`/{}` — {}", c.name, c.summary)
            } else {
                format!("`/{} {}` — {}", c.name, c.args, c.summary)
            }
        })
        .collect();
    Out {
        embed: Some(
            EmbedSpec {
                title: "Marquee commands".to_owned(),
                description: lines.join("\n"),
                footer: "React to a list to teach me; I never read your messages. What I keep about you stays in this server: /privacy shows, exports or deletes it; the privacy policy (PRIVACY.md) is linked on my profile.".to_owned(),
                ..EmbedSpec::default()
            }
            .fit(),
        ),
        ephemeral: true,
        ..Out::default()
    }
}

/// The answer to a rating, a "seen", a review, a reaction or a feedback button (only for the
/// caller).
fn feedback(reply: &Reply) -> Out {
    match reply {
        Reply::Rated { title, stars } => Out::text(
            format!(
                "Rated **{}** {stars}★. Your next /recommend takes it into account.",
                escape(title)
            ),
            true,
        ),
        Reply::Seen { title } => Out::text(
            format!(
                "Marked **{}** as seen; I won't suggest it again.",
                escape(title)
            ),
            true,
        ),
        Reply::Reviewed {
            title,
            movie,
            mood,
            stars,
            ..
        } => reviewed(title, *movie, *mood, *stars),
        Reply::Reacted {
            title,
            emoji,
            meaning,
            removed,
            ..
        } => Out::text(
            if *removed {
                format!("Took back {emoji} on **{}**.", escape(title))
            } else {
                format!("{emoji} on **{}**: read as {meaning}.", escape(title))
            },
            true,
        ),
        Reply::Noted { title, meaning, .. } => Out::text(
            format!(
                "Noted: **{}**, {meaning}. Your next /recommend takes it into account.",
                escape(title)
            ),
            true,
        ),
        _ => Out::text("Noted.", true),
    }
}

/// A reply as a message. Lists are rendered by [`picks`] (which needs the filters and the
/// reaction map) and pictures by the handler (they carry an attachment); here they get a
/// plain fallback.
pub fn reply(reply: &Reply) -> Out {
    match reply {
        Reply::Picks {
            intro,
            items,
            quiz_offer,
            ..
        } => picks(
            intro,
            items,
            (&Filters::default(), *quiz_offer),
            &ReactionMap::default(),
        ),
        Reply::Quiz(card) => super::quiz::card(card),
        Reply::Asked {
            intro,
            notes,
            items,
            steer,
            ..
        } => super::ask::answer(intro, notes, items, steer),
        Reply::Clarify { question, genres } => super::ask::clarify(question, genres),
        Reply::Lobby(lobby) => super::party::lobby(lobby),
        Reply::Vote(vote) => super::party::vote(vote),
        Reply::Closed(winner) => super::party::closed_vote(winner),
        Reply::History(nights) => super::party::history(nights),
        Reply::Experiments(rows) => super::lab::list(rows),
        Reply::FeedbackFor {
            list,
            position,
            title,
        } => feedback_buttons(*list, *position, title),
        Reply::Film { title, .. } => Out::text(format!("**{}**", escape(title)), true),
        Reply::PrivacySummary(p) => privacy(p),
        Reply::ConfirmForget {
            everywhere,
            summary,
        } => confirm_forget(*everywhere, summary),
        Reply::Forgotten(text) => Out::text(text.clone(), true),
        Reply::PrivacyExport { .. } => Out::text("Here is your data.", true),
        Reply::TasteMap(_) => Out::text(NO_MAP, true),
        Reply::ExperimentStatus(status) => Out::text(status.report.summary.clone(), true),
        Reply::Rated { .. }
        | Reply::Seen { .. }
        | Reply::Reviewed { .. }
        | Reply::Reacted { .. }
        | Reply::Noted { .. } => feedback(reply),
        Reply::Profile(p) => profile(p),
        Reply::Taste {
            group,
            members,
            traits,
        } => taste(group, *members, traits),
        Reply::Help(commands) => help(commands),
        Reply::NotFound { query, suggestions } => Out::text(
            if suggestions.is_empty() {
                format!(
                    "I couldn't find a film called \"{}\". Check the spelling, or start typing and pick from the list.",
                    escape(&clip(query, 100))
                )
            } else {
                format!(
                    "I couldn't find \"{}\". Did you mean {}?",
                    escape(&clip(query, 100)),
                    list_titles(suggestions)
                )
            },
            true,
        ),
        Reply::Ambiguous { query, candidates } => Out::text(
            format!(
                "Several films are called \"{}\": {}. Pick one from the list as you type, or add the year (\"{} {}\").",
                escape(&clip(query, 100)),
                list_titles(candidates),
                escape(&clip(query, 100)),
                candidates
                    .first()
                    .and_then(|t| t.rsplit_once('(').map(|(_, y)| y.trim_end_matches(')')))
                    .unwrap_or("1984"),
            ),
            true,
        ),
        Reply::Invalid(text) | Reply::Text(text) | Reply::ExperimentChanged(text) => {
            Out::text(text.clone(), true)
        }
        Reply::HistoryImported(summary) => super::import::summary(summary),
        Reply::Choices(_)
        | Reply::TasteGroups(_)
        | Reply::Hits(_)
        | Reply::Stats(_)
        | Reply::Imported(_)
        | Reply::Trained(_)
        | Reply::Done
        | Reply::Ignored => Out::text("Done.", true),
    }
}

/// What `/tastemap` says before anyone has rated enough for taste groups.
pub const NO_MAP: &str = "There is no taste map yet: groups are found once a few people have rated some films. Rate a few with /rate!";

fn list_titles(titles: &[String]) -> String {
    titles
        .iter()
        .take(5)
        .map(|t| format!("**{}**", escape(t)))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::help::COMMANDS;

    fn line(position: u32, title: &str, reason: &str) -> PickLine {
        PickLine {
            position,
            movie: MovieId(i64::from(position)),
            title: title.to_owned(),
            year: None,
            title_with_year: title.to_owned(),
            genres: vec!["Drama".into(), "Crime".into()],
            reason: reason.to_owned(),
        }
    }

    #[test]
    fn clip_counts_characters_and_marks_the_cut() {
        assert_eq!(clip("héllo", 5), "héllo");
        assert_eq!(clip("héllo wörld", 5), "héll…");
        assert_eq!(clip("🎬🎬🎬", 2), "🎬…");
    }

    #[test]
    fn mentions_survive_escaping_as_mentions_and_nothing_else_does() {
        assert_eq!(
            escape_keeping_mentions("<@123> and *<@45>* <@x> <@"),
            "<@123> and \\*<@45>\\* <@x\\> <@"
        );
    }

    #[test]
    fn markdown_in_titles_is_escaped() {
        assert_eq!(
            escape("*batteries not included"),
            "\\*batteries not included"
        );
        assert_eq!(escape("a_b|c"), "a\\_b\\|c");
    }

    #[test]
    fn a_huge_embed_is_fitted_within_every_discord_limit() {
        let spec = EmbedSpec {
            title: "t".repeat(1_000),
            description: "d".repeat(10_000),
            fields: (0..40)
                .map(|i| (format!("{i}{}", "n".repeat(300)), "v".repeat(2_000), false))
                .collect(),
            footer: "f".repeat(5_000),
        }
        .fit();
        assert!(spec.title.chars().count() <= limits::TITLE);
        assert!(spec.description.chars().count() <= limits::DESCRIPTION);
        assert!(spec.footer.chars().count() <= limits::FOOTER);
        assert!(spec.fields.len() <= limits::FIELDS);
        assert!(
            spec.fields
                .iter()
                .all(|(n, v, _)| n.chars().count() <= limits::FIELD_NAME
                    && v.chars().count() <= limits::FIELD_VALUE)
        );
        assert!(
            spec.total_chars() <= limits::TOTAL,
            "{}",
            spec.total_chars()
        );
    }

    #[test]
    fn an_empty_list_is_a_sentence_without_buttons_or_a_reaction_legend() {
        let out = picks(
            "Nothing left to suggest with these filters; try a wider year range or another genre.",
            &[],
            (&Filters::default(), false),
            &ReactionMap::default(),
        );
        assert!(out.components.is_empty());
        let embed = out.embed.expect("an embed");
        assert!(embed.title.starts_with("Nothing left"), "{}", embed.title);
        assert!(embed.footer.is_empty(), "{}", embed.footer);
    }

    #[test]
    fn a_list_of_25_long_picks_fits_and_has_buttons_and_a_menu_of_every_pick() {
        let items: Vec<PickLine> = (1..=25)
            .map(|i| line(i, &"Long Title ".repeat(30), &"because ".repeat(60)))
            .collect();
        let out = picks(
            "Picks for you:",
            &items,
            (&Filters::default(), false),
            &ReactionMap::default(),
        );
        let embed = out.embed.clone().expect("an embed");
        assert!(embed.total_chars() <= limits::TOTAL);
        assert_eq!(embed.title, "Picks for you");
        assert!(embed.footer.contains("❤️"), "{}", embed.footer);
        let json = serde_json::to_value(out.response()).expect("json");
        let rows = json["components"].as_array().expect("rows");
        assert_eq!(rows.len(), 2);
        let ids: Vec<&str> = rows[0]["components"]
            .as_array()
            .expect("buttons")
            .iter()
            .filter_map(|b| b["custom_id"].as_str())
            .collect();
        assert_eq!(ids, ["mq:more", "mq:nope", "mq:refresh::::"]);
        let options = rows[1]["components"][0]["options"]
            .as_array()
            .expect("options");
        assert_eq!(options.len(), 25);
        assert!(
            options
                .iter()
                .all(|o| o["label"].as_str().unwrap().chars().count() <= 100)
        );
        assert_eq!(json["allowed_mentions"]["parse"], serde_json::json!([]));
    }

    #[test]
    fn every_reply_kind_renders_without_pings_and_personal_ones_privately() {
        let replies = [
            Reply::Rated {
                title: "Heat (1995)".into(),
                stars: 4.5,
            },
            Reply::Reviewed {
                title: "Heat (1995)".into(),
                movie: MovieId(3),
                mood: Mood::Loved,
                stars: 4.5,
                compound: 0.9,
            },
            Reply::NotFound {
                query: "@everyone godfahter".into(),
                suggestions: vec!["The Godfather (1972)".into()],
            },
            Reply::Ambiguous {
                query: "dune".into(),
                candidates: vec!["Dune (2021)".into(), "Dune (1984)".into()],
            },
            Reply::Help(COMMANDS.to_vec()),
            Reply::Invalid("no".into()),
        ];
        for r in &replies {
            let out = reply(r);
            assert!(out.ephemeral, "{r:?}");
            let json = serde_json::to_value(out.response()).expect("json");
            assert_eq!(
                json["allowed_mentions"]["parse"],
                serde_json::json!([]),
                "{r:?}"
            );
            assert_eq!(json["flags"], 64, "{r:?}");
        }
        let reviewed = reply(&replies[1]);
        assert!(
            reviewed
                .content
                .contains("Sounds like you loved it: **4.5★**"),
            "{}",
            reviewed.content
        );
        let json = serde_json::to_value(reviewed.response()).expect("json");
        assert_eq!(
            json["components"][0]["components"][0]["custom_id"],
            "mq:fix:3"
        );
        let suggestion = reply(&replies[2]).content;
        assert!(
            suggestion.contains("**The Godfather (1972)**"),
            "{suggestion}"
        );
        let ambiguous = reply(&replies[3]).content;
        assert!(ambiguous.contains("\"dune 2021\""), "{ambiguous}");
    }

    #[test]
    fn the_feedback_buttons_carry_the_list_and_position() {
        let out = feedback_buttons(42, 3, "Heat (1995)");
        let json = serde_json::to_value(out.response()).expect("json");
        let ids: Vec<String> = json["components"]
            .as_array()
            .expect("rows")
            .iter()
            .flat_map(|row| row["components"].as_array().expect("buttons").clone())
            .map(|b| b["custom_id"].as_str().expect("id").to_owned())
            .collect();
        assert_eq!(ids.len(), 6);
        assert!(
            ids.iter().all(|id| id.starts_with("mq:fb:42:3:")),
            "{ids:?}"
        );
    }
}
