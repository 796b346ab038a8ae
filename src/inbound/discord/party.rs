//! `/watchparty` on Discord: the lobby message with Join / Leave / Pick, the same message
//! turned into the vote (one button per film, approval voting, Close for the host), the
//! winner's announcement (with the feedback reactions, so people rate it afterwards), the
//! Discord scheduled event when a time was given, and the deadline watcher that closes overdue
//! votes, also after a restart.

use super::Handler;
use super::custom_id::{ComponentId, PartyAction};
use super::interaction::{Acked, Answer, Ix, snowflake};
use super::render::{EmbedSpec, Out, clip, escape, escape_keeping_mentions};
use super::spec::{integer, string};
use crate::app::command::Invitee;
use crate::app::reply::{Lobby, PartyOptions, PastNight, ShortFilm, VoteState, Winner};
use crate::app::{App, Command, PartyCommand, PartyStart, Person, Reply};
use crate::domain::group::Strategy;
use crate::domain::ids::PartyId;
use serenity::all::{
    ButtonStyle, ChannelId, CommandDataOption, CommandDataOptionValue, CommandInteraction,
    CommandOptionType, ComponentInteraction, Context, CreateActionRow, CreateAllowedMentions,
    CreateButton, CreateCommand, CreateCommandOption, CreateMessage, CreateScheduledEvent,
    EditMessage, GuildId, Http, MessageId, ScheduledEventType, Timestamp,
};
use std::sync::Arc;

/// `/watchparty`'s `start` and `history` subcommands.
pub fn options(command: CreateCommand) -> CreateCommand {
    let mut strategy = CreateCommandOption::new(
        CommandOptionType::String,
        "strategy",
        "how the group's tastes are combined (default: average without misery)",
    );
    for s in Strategy::ALL {
        strategy = strategy.add_string_choice(s.label(), s.name());
    }
    let genre = super::spec::genre_option("only films of this genre");
    let start = CreateCommandOption::new(
        CommandOptionType::SubCommand,
        "start",
        "gather people and find one film for all of you",
    )
    .add_sub_option(
        CreateCommandOption::new(
            CommandOptionType::Channel,
            "voice_channel",
            "everyone in this voice channel joins",
        )
        .channel_types(vec![
            serenity::all::ChannelType::Voice,
            serenity::all::ChannelType::Stage,
        ]),
    )
    .add_sub_option(CreateCommandOption::new(
        CommandOptionType::String,
        "members",
        "mention the people who are in (@Kim @Lee)",
    ))
    .add_sub_option(strategy)
    .add_sub_option(
        CreateCommandOption::new(
            CommandOptionType::Integer,
            "max_runtime",
            "longest film, in minutes",
        )
        .min_int_value(30)
        .max_int_value(600),
    )
    .add_sub_option(genre)
    .add_sub_option(CreateCommandOption::new(
        CommandOptionType::String,
        "when",
        "start time for a server event: \"in 2h\" or \"2026-12-05 20:00\" (UTC)",
    ))
    .add_sub_option(
        CreateCommandOption::new(
            CommandOptionType::Integer,
            "minutes",
            "how long the vote stays open (default 15)",
        )
        .min_int_value(1)
        .max_int_value(1440),
    )
    .add_sub_option(CreateCommandOption::new(
        CommandOptionType::Boolean,
        "anonymous",
        "hide the tallies until the vote closes",
    ));
    let history = CreateCommandOption::new(
        CommandOptionType::SubCommand,
        "history",
        "this server's past movie nights",
    );
    command.add_option(start).add_option(history)
}

/// The user ids mentioned in a text (`<@123>` or `<@!123>`).
pub fn mentioned(text: &str) -> Vec<u64> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("<@") {
        rest = &rest[i + 2..];
        let digits: String = rest
            .trim_start_matches('!')
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let after = rest.trim_start_matches('!')[digits.len()..].starts_with('>');
        if after {
            if let Ok(id) = digits.parse::<u64>() {
                if id > 0 && !out.contains(&id) {
                    out.push(id);
                }
            }
        }
    }
    out
}

fn lobby_buttons(party: PartyId) -> Vec<CreateActionRow> {
    let b = |action, label: &str, style| {
        CreateButton::new(ComponentId::Party(party, action).encode())
            .label(label)
            .style(style)
    };
    vec![CreateActionRow::Buttons(vec![
        b(PartyAction::Join, "Join", ButtonStyle::Success),
        b(PartyAction::Leave, "Leave", ButtonStyle::Secondary),
        b(PartyAction::Pick, "Pick", ButtonStyle::Primary),
    ])]
}

fn vote_buttons(party: PartyId, shortlist: &[ShortFilm]) -> Vec<CreateActionRow> {
    let films: Vec<CreateButton> = shortlist
        .iter()
        .take(5)
        .map(|f| {
            CreateButton::new(ComponentId::Party(party, PartyAction::Vote(f.position)).encode())
                .label(clip(&format!("{}. {}", f.position, f.title), 80))
                .style(ButtonStyle::Secondary)
        })
        .collect();
    vec![
        CreateActionRow::Buttons(films),
        CreateActionRow::Buttons(vec![
            CreateButton::new(ComponentId::Party(party, PartyAction::Close).encode())
                .label("Close the vote")
                .style(ButtonStyle::Danger),
            CreateButton::new(ComponentId::Party(party, PartyAction::Leave).encode())
                .label("Leave")
                .style(ButtonStyle::Secondary),
        ]),
    ]
}

fn film_lines(shortlist: &[ShortFilm], show_votes: bool) -> String {
    shortlist
        .iter()
        .map(|f| {
            let guesses: Vec<String> = f
                .guesses
                .iter()
                .map(|g| match g.stars {
                    Some(s) => format!("{} {s}★", escape(&g.member)),
                    None => format!("{} new to you", escape(&g.member)),
                })
                .collect();
            let votes = match (show_votes, f.votes) {
                (true, Some(n)) => format!(" · **{n} vote{}**", if n == 1 { "" } else { "s" }),
                _ => String::new(),
            };
            format!(
                "**{}. {}**{votes}\n↳ {}\n{}",
                f.position,
                escape(&f.title),
                escape(&clip(&f.reason, 150)),
                clip(&guesses.join(" · "), 300)
            )
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn options_line(strategy: Strategy, o: &PartyOptions) -> String {
    let mut parts = vec![format!("Strategy: {}", strategy.label())];
    if let Some(g) = &o.genre {
        parts.push(format!("genre {g}"));
    }
    if let Some(r) = o.max_runtime {
        parts.push(format!("at most {r} min"));
    }
    if let Some(w) = o.when_ms {
        parts.push(format!("starts <t:{}:f>", w / 1000));
    }
    if o.anonymous {
        parts.push("anonymous vote".to_owned());
    }
    parts.join(" · ")
}

/// The lobby message.
pub fn lobby(l: &Lobby) -> Out {
    Out {
        embed: Some(
            EmbedSpec {
                title: "🍿 Watch party".to_owned(),
                description: format!(
                    "Hosted by **{}**. {}\n\n**In ({}):** {}{}",
                    escape(&l.host),
                    escape_keeping_mentions(&l.note),
                    l.members.len(),
                    l.members
                        .iter()
                        .map(|m| escape(m))
                        .collect::<Vec<_>>()
                        .join(", "),
                    if l.options.invited.is_empty() {
                        String::new()
                    } else {
                        // Mentions show as names and never ping (no allowed mentions).
                        format!(
                            "\n**Invited** (press Join to count): {}",
                            l.options.invited.join(", ")
                        )
                    }
                ),
                footer: options_line(l.strategy, &l.options),
                ..EmbedSpec::default()
            }
            .fit(),
        ),
        components: lobby_buttons(l.party),
        ..Out::default()
    }
}

/// The server's past movie nights (for the caller only).
pub fn history(nights: &[PastNight]) -> Out {
    Out {
        embed: Some(
            EmbedSpec {
                title: "Movie nights on this server".to_owned(),
                description: if nights.is_empty() {
                    "No watch party yet: start one with /watchparty start.".to_owned()
                } else {
                    nights
                        .iter()
                        .map(|n| {
                            format!(
                                "<t:{}:d> · **{}** · {} people",
                                n.at_ms / 1000,
                                escape(&n.what),
                                n.members
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("\n")
                },
                ..EmbedSpec::default()
            }
            .fit(),
        ),
        ephemeral: true,
        ..Out::default()
    }
}

/// The vote message.
pub fn vote(v: &VoteState) -> Out {
    let mut head = Vec::new();
    if let Some(w) = &v.widened {
        head.push(w.clone());
    }
    if !v.note.is_empty() {
        head.push(escape(&v.note));
    }
    Out {
        embed: Some(
            EmbedSpec {
                title: "🍿 Watch party: vote!".to_owned(),
                description: format!(
                    "{}\n\n{}",
                    head.join("\n"),
                    film_lines(&v.shortlist, !v.anonymous)
                )
                .trim_start()
                .to_owned(),
                fields: vec![(
                    format!("Voted ({}/{})", v.voted.len(), v.members.len()),
                    if v.voted.is_empty() {
                        "nobody yet".to_owned()
                    } else {
                        v.voted
                            .iter()
                            .map(|name| escape(name))
                            .collect::<Vec<_>>()
                            .join(", ")
                    },
                    false,
                )],
                footer: format!(
                    "{} · closes when everyone has voted, or at the deadline",
                    v.strategy.label()
                ),
            }
            .fit(),
        ),
        content: format!("Vote closes <t:{}:R>.", v.deadline_ms / 1000),
        components: vote_buttons(v.party, &v.shortlist),
        ephemeral: false,
    }
}

/// The vote message once closed: final tallies, no buttons.
pub fn closed_vote(w: &Winner) -> Out {
    Out {
        content: String::new(),
        embed: Some(
            EmbedSpec {
                title: format!("🍿 Watch party: {} wins", w.title),
                description: film_lines(&w.shortlist, true),
                footer: format!("The vote closed: {}.", w.why),
                ..EmbedSpec::default()
            }
            .fit(),
        ),
        components: Vec::new(),
        ephemeral: false,
    }
}

/// The winner's announcement in the channel.
fn announcement(w: &Winner, legend: &str) -> CreateMessage {
    let when = w
        .when_ms
        .map(|ms| format!(" Starts <t:{}:F>.", ms / 1000))
        .unwrap_or_default();
    let embed = EmbedSpec {
        title: format!("🎬 Movie night: {}", w.title),
        description: format!(
            "Chosen by {} ({}).{when}",
            w.members
                .iter()
                .map(|m| escape(m))
                .collect::<Vec<_>>()
                .join(", "),
            w.why
        ),
        footer: format!("After watching, react to rate it: {legend}"),
        ..EmbedSpec::default()
    }
    .fit()
    .build();
    CreateMessage::new()
        .embed(embed)
        .allowed_mentions(CreateAllowedMentions::new().empty_users().empty_roles())
}

impl Handler {
    /// `/watchparty start|history`.
    pub(super) async fn watchparty(
        &self,
        ctx: &Context,
        cmd: &CommandInteraction,
        acked: &mut Acked,
    ) -> anyhow::Result<()> {
        let ix = Ix::Command(cmd);
        let Some(sub) = cmd.data.options.first() else {
            return Ok(());
        };
        let CommandDataOptionValue::SubCommand(options) = &sub.value else {
            return Ok(());
        };
        let caller = self.caller(ix);
        if sub.name == "history" {
            ix.defer(ctx, true, acked).await?;
            let reply = self
                .app
                .handle(&caller, Command::Party(PartyCommand::History))
                .await?;
            return self.show(ctx, ix, *acked, &reply, None).await;
        }
        ix.defer(ctx, false, acked).await?;
        let start = PartyStart {
            invited: self.invited(ctx, cmd, options).await,
            strategy: string(options, "strategy"),
            max_runtime: integer(options, "max_runtime").map(|n| i32::try_from(n).unwrap_or(0)),
            genre: string(options, "genre"),
            when: string(options, "when"),
            vote_minutes: integer(options, "minutes").map(|n| u32::try_from(n).unwrap_or(0)),
            anonymous: super::spec::find(options, "anonymous")
                == Some(&CommandDataOptionValue::Boolean(true)),
        };
        let reply = self
            .app
            .handle(&caller, Command::Party(PartyCommand::Start(start)))
            .await?;
        self.show(ctx, ix, *acked, &reply, None).await
    }

    /// The people a `/watchparty start` names: mentioned people, else everyone in the given
    /// voice channel, else everyone in the caller's voice channel. Each is looked up in the
    /// server, so the app can leave out bots and people who are not members (and say so).
    async fn invited(
        &self,
        ctx: &Context,
        cmd: &CommandInteraction,
        options: &[CommandDataOption],
    ) -> Vec<Invitee> {
        let guild = cmd.guild_id.map_or(0, GuildId::get);
        let mut named: Vec<u64> = string(options, "members")
            .map(|t| mentioned(&t))
            .unwrap_or_default();
        if let Some(channel) = options.iter().find_map(|o| match o.value {
            CommandDataOptionValue::Channel(c) if o.name == "voice_channel" => Some(c),
            _ => None,
        }) {
            named.extend(self.voice.in_channel(guild, channel.get()));
        } else if named.is_empty() {
            // Nobody named: whoever is in the caller's voice channel is invited.
            if let Some(channel) = self.voice.channel_of(guild, cmd.user.id.get()) {
                named.extend(self.voice.in_channel(guild, channel));
            }
        }
        let mut seen = std::collections::HashSet::new();
        named.retain(|id| seen.insert(*id));
        let me = self.me.get().map(|u| u.get());
        let mut invited = Vec::with_capacity(named.len());
        for id in named {
            let user = serenity::all::UserId::new(id);
            let (member, bot) = match cmd.guild_id {
                Some(g) => match g.member(&ctx.http, user).await {
                    Ok(m) => (Some(true), m.user.bot),
                    Err(serenity::Error::Http(e))
                        if e.status_code().is_some_and(|s| s.as_u16() == 404) =>
                    {
                        (Some(false), false)
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "could not look a member up");
                        (None, false)
                    }
                },
                None => (None, false),
            };
            let name = cmd
                .data
                .resolved
                .users
                .get(&user)
                .map(|u| u.global_name.clone().unwrap_or_else(|| u.name.clone()))
                .unwrap_or_default();
            invited.push(Invitee {
                person: Person::Discord { id, name },
                label: format!("<@{id}>"),
                bot: bot || Some(id) == me || self.voice.is_bot(id),
                member,
            });
        }
        invited
    }

    /// A lobby or vote button. Clicks on one party are worked one at a time (see
    /// [`super::interaction::Serial`]); each is answered once its change is committed, with
    /// the party as it then stands, so an acknowledged vote survives a crash and an older
    /// view never replaces a newer one.
    pub(super) async fn party_button(
        &self,
        ctx: &Context,
        c: &ComponentInteraction,
        (party, action): (PartyId, PartyAction),
        (since, acked): (std::time::Instant, &mut Acked),
    ) -> anyhow::Result<()> {
        let ix = Ix::Component(c);
        // The message pressed: the app checks it is this party's lobby or vote.
        let message = Some(snowflake(c.message.id.get()));
        let command = match action {
            PartyAction::Join => PartyCommand::Join { party, message },
            PartyAction::Leave => PartyCommand::Leave { party, message },
            PartyAction::Pick => PartyCommand::Pick { party, message },
            PartyAction::Vote(position) => PartyCommand::Vote {
                party,
                position,
                message,
            },
            PartyAction::Close => PartyCommand::Close { party, message },
        };
        let caller = self.caller(ix);
        let work = Box::pin(async {
            let turn = self.serial.turn(party.0).await;
            let reply = self.app.handle(&caller, Command::Party(command)).await?;
            if action == PartyAction::Pick && matches!(reply, Reply::Vote(_)) {
                // The vote lives in the clicked message: recorded before anyone is told, so
                // the deadline watcher can close it whatever happens next.
                let posted = PartyCommand::Posted {
                    party,
                    vote: true,
                    message: snowflake(c.message.id.get()),
                };
                self.app.handle(&caller, Command::Party(posted)).await?;
            }
            Ok((turn, reply))
        });
        let ((turn, reply), late) = ix.persist_then_answer(ctx, since, acked, work).await?;
        let answer = match &reply {
            Reply::Closed(w) => Answer::Update(closed_vote(w)),
            Reply::Lobby(l) => Answer::Update(lobby(l)),
            Reply::Vote(v) => Answer::Update(vote(v)),
            other => Answer::Private(super::render::reply(other)),
        };
        ix.deliver(ctx, acked, late, &answer).await?;
        drop(turn);
        match &reply {
            Reply::Closed(w) => announce(&ctx.http, &self.app, w).await?,
            Reply::Vote(v) if matches!(action, PartyAction::Vote(_)) => {
                ix.followup(ctx, &Out::text(format!("Noted. {}", v.note), true))
                    .await?;
            }
            _ => {}
        }
        Ok(())
    }
}

/// Posts the winner, adds the feedback reactions under it, and creates the scheduled event
/// when the party has a start time.
pub(super) async fn announce(http: &Arc<Http>, app: &App, w: &Winner) -> anyhow::Result<()> {
    let channel = ChannelId::new(u64::try_from(w.channel).unwrap_or(1).max(1));
    let legend = super::render::reaction_legend(app.reactions());
    let message = channel.send_message(http, announcement(w, &legend)).await?;
    let system = super::interaction::system_caller(w.server);
    let posted = Command::Posted {
        list: w.list,
        message: snowflake(message.id.get()),
    };
    app.handle(&system, posted).await?;
    for (emoji, _) in app.reactions().offered() {
        if let Err(e) = http
            .create_reaction(
                channel,
                message.id,
                &serenity::all::ReactionType::Unicode(emoji.to_owned()),
            )
            .await
        {
            tracing::warn!(error = %e, "could not add a reaction under the winner");
            break;
        }
    }
    if let (Some(when), Some(ends)) = (w.when_ms, w.ends_ms) {
        let guild = GuildId::new(u64::try_from(w.server.0).unwrap_or(1).max(1));
        let start = Timestamp::from_millis(when)?;
        let end = Timestamp::from_millis(ends)?;
        let event = CreateScheduledEvent::new(
            ScheduledEventType::External,
            clip(&format!("Movie night: {}", w.title), 100),
            start,
        )
        .end_time(end)
        .location("Watch party")
        .description(format!("Marquee's pick for {}.", w.members.join(", ")));
        match guild.create_scheduled_event(http, event).await {
            Ok(e) => {
                let created = PartyCommand::EventCreated {
                    party: w.party,
                    event: snowflake(e.id.get()),
                };
                app.handle(&system, Command::Party(created)).await?;
            }
            Err(e) => tracing::warn!(error = %e, "could not create the scheduled event"),
        }
    }
    Ok(())
}

/// Closes the votes whose deadline passed (also right after a restart) and announces them.
pub(super) async fn close_due(http: &Arc<Http>, app: &App) {
    let closed = match app.close_due_parties().await {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "checking watch-party deadlines failed");
            return;
        }
    };
    for w in closed {
        if let Some(message) = w.vote_message {
            let channel = ChannelId::new(u64::try_from(w.channel).unwrap_or(1).max(1));
            let out = closed_vote(&w);
            let mut edit = EditMessage::new()
                .components(Vec::new())
                .allowed_mentions(CreateAllowedMentions::new().empty_users().empty_roles());
            if let Some(e) = &out.embed {
                edit = edit.embed(e.build());
            }
            let id = MessageId::new(u64::try_from(message).unwrap_or(1).max(1));
            if let Err(e) = channel.edit_message(http, id, edit).await {
                tracing::warn!(error = %e, "could not update a closed vote");
            }
        }
        if let Err(e) = announce(http, app, &w).await {
            tracing::error!(error = %format!("{e:#}"), "could not announce a watch party's winner");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_are_read_from_text() {
        assert_eq!(mentioned("<@123> and <@!456>, <@123>"), [123, 456]);
        assert!(mentioned("@everyone <@> <@abc> <@12").is_empty());
    }

    #[test]
    fn the_command_has_start_and_history() {
        let json = serde_json::to_value(options(CreateCommand::new("watchparty"))).expect("json");
        let subs: Vec<&str> = json["options"]
            .as_array()
            .expect("subcommands")
            .iter()
            .map(|o| o["name"].as_str().expect("name"))
            .collect();
        assert_eq!(subs, ["start", "history"]);
    }
}
