//! The fake Discord's payloads, read by serenity's own types: a fixture serenity cannot parse
//! would be dropped by the bot without a trace (`Event::Unknown`), so each one is checked here,
//! first as its model type (the error names the missing field), then as a whole gateway frame.
//! Then the fake itself: its REST side through serenity's own `Http`, and its gateway side
//! through a hand-written WebSocket client.

use std::time::Duration;

use serde_json::{Value, json};
use serenity::all::{
    ActionRowComponent, ApplicationId, ChannelId, Command, CommandDataOptionValue,
    CommandInteraction, CommandOptionType, CommandType, ComponentInteraction,
    ComponentInteractionDataKind, CreateActionRow, CreateAttachment, CreateAutocompleteResponse,
    CreateButton, CreateCommand, CreateCommandOption, CreateEmbed, CreateInputText,
    CreateInteractionResponse, CreateInteractionResponseFollowup, CreateInteractionResponseMessage,
    CreateMessage, CreateModal, CreateSelectMenu, CreateSelectMenuKind, CreateSelectMenuOption,
    EditInteractionResponse, EditMessage, Event, GatewayEvent, GuildId, HttpBuilder,
    InputTextStyle, Interaction, InteractionContext, Message, ModalInteraction, Reaction,
    ReactionType, Ready, UserId,
};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::fake_discord::{
    APP_ID, CHANNEL_ID, COMMAND_ID, DM_CHANNEL_ID, FakeDiscord, GUILD_ID, TOKEN, autocomplete,
    command, command_echo, command_in_dm, component, in_dm, member, message, modal_submit,
    reaction, reaction_removed, ready, scheduled_event, select, user, user_name, voice_state,
};

const ALICE: &str = "300000000000000001";
const WAIT: Duration = Duration::from_secs(10);

fn id(text: &str) -> u64 {
    text.parse().expect("a snowflake")
}

/// `d` as `T`, failing with serenity's own error (which names the field).
fn parse<T: serde::de::DeserializeOwned>(what: &str, d: &Value) -> T {
    serde_json::from_value(d.clone())
        .unwrap_or_else(|e| panic!("serenity cannot read {what}: {e}\n{d:#}"))
}

/// The dispatch frame `{op: 0, s, t, d}` read the way serenity's shard reads it; it must not end
/// up as `Event::Unknown`, the silent drop.
fn parse_dispatch(t: &str, d: &Value) -> Event {
    let frame = json!({"op": 0, "s": 7, "t": t, "d": d});
    let text = frame.to_string();
    match serde_json::from_str::<GatewayEvent>(&text) {
        Ok(GatewayEvent::Dispatch(7, Event::Unknown(_))) => {
            panic!("serenity reads this {t} as an unknown event:\n{d:#}")
        }
        Ok(GatewayEvent::Dispatch(7, event)) => event,
        Ok(other) => panic!("not a dispatch: {other:?}"),
        Err(e) => panic!("serenity cannot read the {t} frame: {e}\n{d:#}"),
    }
}

fn interaction_event(d: &Value) -> Interaction {
    let direct: Interaction = parse("the interaction", d);
    match parse_dispatch("INTERACTION_CREATE", d) {
        Event::InteractionCreate(e) => assert_eq!(e.interaction.id(), direct.id()),
        other => panic!("INTERACTION_CREATE read as {other:?}"),
    }
    direct
}

fn bot_message_with_button() -> Value {
    message(
        "500000000000000014",
        APP_ID,
        "Tonight: Alien (1979)",
        json!([{"type": 1, "components": [
            {"type": 2, "style": 1, "label": "Seen it", "custom_id": "seen:42"}
        ]}]),
        json!([{"title": "Alien", "description": "In space no one can hear you scream."}]),
    )
}

fn command_interaction(interaction: Interaction) -> CommandInteraction {
    match interaction {
        Interaction::Command(c) => c,
        other => panic!("expected a command interaction, got {other:?}"),
    }
}

fn component_interaction(interaction: Interaction) -> ComponentInteraction {
    match interaction {
        Interaction::Component(c) => c,
        other => panic!("expected a component interaction, got {other:?}"),
    }
}

fn modal_interaction(interaction: Interaction) -> ModalInteraction {
    match interaction {
        Interaction::Modal(m) => m,
        other => panic!("expected a modal interaction, got {other:?}"),
    }
}

#[test]
fn ready_reads_as_serenity_ready() {
    let d = ready("ws://127.0.0.1:1");
    let ready: Ready = parse("READY", &d);
    assert_eq!(ready.user.id.get(), id(APP_ID));
    assert!(ready.user.bot);
    assert_eq!(ready.application.id.get(), id(APP_ID));
    assert!(ready.guilds.is_empty());
    assert_eq!(ready.session_id, "fake-session-1");
    assert!(matches!(parse_dispatch("READY", &d), Event::Ready(_)));
}

#[test]
fn users_and_members_read_as_serenity_types() {
    let u: serenity::all::User = parse("a user", &user(ALICE, "alice", false));
    assert_eq!(u.id.get(), id(ALICE));
    assert_eq!(u.name, "alice");
    assert!(!u.bot);
    let m: serenity::all::Member = parse("a member", &member(ALICE, "alice"));
    assert_eq!(m.user.id.get(), id(ALICE));
    assert_eq!(user_name(ALICE), "user0001");
}

#[test]
fn slash_commands_read_with_their_options_in_a_guild_and_in_a_dm() {
    let options = json!([
        {"name": "title", "type": 3, "value": "Alien"},
        {"name": "stars", "type": 10, "value": 4.5},
        {"name": "year", "type": 4, "value": 1979},
        {"name": "friend", "type": 6, "value": "300000000000000002"},
    ]);
    let guild = command(
        "510000000000000001",
        "tok-rate",
        ALICE,
        "rate",
        options.clone(),
    );
    let c = command_interaction(interaction_event(&guild));
    assert_eq!(c.id.get(), 510_000_000_000_000_001);
    assert_eq!(c.token, "tok-rate");
    assert_eq!(c.data.name, "rate");
    assert_eq!(c.data.id.get(), id(COMMAND_ID));
    assert_eq!(c.user.id.get(), id(ALICE), "serenity copies member.user");
    assert_eq!(c.guild_id.map(GuildId::get), Some(id(GUILD_ID)));
    assert_eq!(c.channel_id.get(), id(CHANNEL_ID));
    assert!(c.member.is_some());
    assert_eq!(c.context, Some(InteractionContext::Guild));
    let values: Vec<(&str, &CommandDataOptionValue)> = c
        .data
        .options
        .iter()
        .map(|o| (o.name.as_str(), &o.value))
        .collect();
    assert!(matches!(values[0], ("title", CommandDataOptionValue::String(s)) if s == "Alien"));
    assert!(
        matches!(values[1], ("stars", CommandDataOptionValue::Number(n)) if (*n - 4.5).abs() < 1e-9)
    );
    assert!(matches!(
        values[2],
        ("year", CommandDataOptionValue::Integer(1979))
    ));
    assert!(
        matches!(values[3], ("friend", CommandDataOptionValue::User(u)) if u.get() == 300_000_000_000_000_002)
    );
    let friend = UserId::new(300_000_000_000_000_002);
    assert_eq!(c.data.resolved.users[&friend].name, "user0002");

    let dm = command_in_dm("510000000000000002", "tok-dm", ALICE, "rate", options);
    let c = command_interaction(interaction_event(&dm));
    assert_eq!(c.guild_id, None);
    assert!(c.member.is_none());
    assert_eq!(c.user.id.get(), id(ALICE), "the DM user is read");
    assert_eq!(c.channel_id.get(), id(DM_CHANNEL_ID));
    assert_eq!(c.context, Some(InteractionContext::BotDm));
    assert_eq!(c.data.options.len(), 4);
}

#[test]
fn subcommands_read_with_their_nested_options() {
    let options = json!([
        {"name": "add", "type": 1, "options": [{"name": "title", "type": 3, "value": "Heat"}]},
    ]);
    for d in [
        command(
            "510000000000000003",
            "tok-sub",
            ALICE,
            "watchlist",
            options.clone(),
        ),
        command_in_dm(
            "510000000000000004",
            "tok-sub-dm",
            ALICE,
            "watchlist",
            options.clone(),
        ),
    ] {
        let c = command_interaction(interaction_event(&d));
        let [sub] = c.data.options.as_slice() else {
            panic!("one subcommand: {:?}", c.data.options)
        };
        assert_eq!(sub.name, "add");
        let CommandDataOptionValue::SubCommand(inner) = &sub.value else {
            panic!("a subcommand: {:?}", sub.value)
        };
        assert!(matches!(&inner[0].value, CommandDataOptionValue::String(s) if s == "Heat"));
    }
    // An empty subcommand must still carry "options": [].
    let empty = json!([{"name": "show", "type": 1, "options": []}]);
    let c = command_interaction(interaction_event(&command(
        "510000000000000005",
        "tok-show",
        ALICE,
        "watchlist",
        empty,
    )));
    assert!(
        matches!(&c.data.options[0].value, CommandDataOptionValue::SubCommand(v) if v.is_empty())
    );
}

#[test]
fn autocomplete_reads_with_its_focused_option_in_a_guild_and_in_a_dm() {
    let options = json!([{"name": "title", "type": 3, "value": "ali", "focused": true}]);
    let guild = autocomplete("510000000000000006", "tok-ac", ALICE, "rate", options);
    for d in [guild.clone(), in_dm(guild)] {
        let Interaction::Autocomplete(c) = interaction_event(&d) else {
            panic!("an autocomplete interaction")
        };
        assert_eq!(c.data.name, "rate");
        let focused = c.data.autocomplete().expect("a focused option");
        assert_eq!(focused.name, "title");
        assert_eq!(focused.value, "ali");
        assert_eq!(focused.kind, CommandOptionType::String);
        assert_eq!(c.user.id.get(), id(ALICE));
    }
}

#[test]
fn button_clicks_read_with_their_message_in_a_guild_and_in_a_dm() {
    let guild = component(
        "510000000000000007",
        "tok-btn",
        ALICE,
        "seen:42",
        bot_message_with_button(),
    );
    for (d, channel) in [(guild.clone(), CHANNEL_ID), (in_dm(guild), DM_CHANNEL_ID)] {
        let c = component_interaction(interaction_event(&d));
        assert_eq!(c.data.custom_id, "seen:42");
        assert!(matches!(c.data.kind, ComponentInteractionDataKind::Button));
        assert_eq!(c.user.id.get(), id(ALICE));
        assert_eq!(c.message.id.get(), 500_000_000_000_000_014);
        assert_eq!(c.message.channel_id.get(), id(channel));
        assert_eq!(c.message.author.id.get(), id(APP_ID));
        let ActionRowComponent::Button(button) = &c.message.components[0].components[0] else {
            panic!("a button")
        };
        assert_eq!(button.label.as_deref(), Some("Seen it"));
    }
    // Without a message the builder puts a bot message there.
    let c = component_interaction(interaction_event(&component(
        "510000000000000008",
        "tok-btn2",
        ALICE,
        "x",
        Value::Null,
    )));
    assert_eq!(c.message.author.id.get(), id(APP_ID));
}

#[test]
fn select_menus_read_with_their_values_in_a_guild_and_in_a_dm() {
    let guild = select(
        "510000000000000009",
        "tok-sel",
        ALICE,
        "pick",
        &["42", "7"],
        Value::Null,
    );
    for d in [guild.clone(), in_dm(guild)] {
        let c = component_interaction(interaction_event(&d));
        assert_eq!(c.data.custom_id, "pick");
        let ComponentInteractionDataKind::StringSelect { values } = &c.data.kind else {
            panic!("a string select: {:?}", c.data.kind)
        };
        assert_eq!(values, &["42", "7"]);
    }
}

#[test]
fn modal_submits_read_with_their_text_in_a_guild_and_in_a_dm() {
    let guild = modal_submit(
        "510000000000000010",
        "tok-modal",
        ALICE,
        "review:42",
        &[("text", "Loved the cat."), ("stars", "5")],
    );
    for d in [guild.clone(), in_dm(guild)] {
        let m = modal_interaction(interaction_event(&d));
        assert_eq!(m.data.custom_id, "review:42");
        assert_eq!(m.user.id.get(), id(ALICE));
        let texts: Vec<(String, Option<String>)> = m
            .data
            .components
            .iter()
            .flat_map(|row| &row.components)
            .map(|c| match c {
                ActionRowComponent::InputText(t) => (t.custom_id.clone(), t.value.clone()),
                other => panic!("a text input: {other:?}"),
            })
            .collect();
        assert_eq!(
            texts,
            [
                ("text".to_owned(), Some("Loved the cat.".to_owned())),
                ("stars".to_owned(), Some("5".to_owned()))
            ]
        );
    }
}

#[test]
fn reactions_read_as_added_and_removed() {
    let added = reaction(ALICE, "500000000000000014", "🍿", false);
    let r: Reaction = parse("a reaction", &added);
    assert_eq!(r.user_id.map(UserId::get), Some(id(ALICE)));
    assert_eq!(r.message_id.get(), 500_000_000_000_000_014);
    assert_eq!(r.channel_id.get(), id(CHANNEL_ID));
    assert_eq!(r.guild_id.map(GuildId::get), Some(id(GUILD_ID)));
    assert_eq!(r.message_author_id.map(UserId::get), Some(id(APP_ID)));
    assert!(matches!(&r.emoji, ReactionType::Unicode(e) if e == "🍿"));
    let m = r.member.expect("a member on add");
    assert!(!m.user.bot);
    assert_eq!(m.guild_id.get(), id(GUILD_ID), "serenity fills it in");
    match parse_dispatch("MESSAGE_REACTION_ADD", &added) {
        Event::ReactionAdd(e) => assert_eq!(e.reaction.user_id, r.user_id),
        other => panic!("read as {other:?}"),
    }

    let by_bot: Reaction = parse("a bot's reaction", &reaction(APP_ID, "5", "👀", true));
    assert!(by_bot.member.expect("member").user.bot);

    let custom: Reaction = parse(
        "a custom emoji",
        &reaction(ALICE, "5", "popcorn:800000000000000001", false),
    );
    assert!(
        matches!(&custom.emoji, ReactionType::Custom { id, name, .. } if id.get() == 800_000_000_000_000_001 && name.as_deref() == Some("popcorn"))
    );

    let removed = reaction_removed(ALICE, "500000000000000014", "🍿");
    let r: Reaction = parse("a removed reaction", &removed);
    assert!(r.member.is_none());
    assert_eq!(r.user_id.map(UserId::get), Some(id(ALICE)));
    assert!(matches!(&r.emoji, ReactionType::Unicode(e) if e == "🍿"));
    match parse_dispatch("MESSAGE_REACTION_REMOVE", &removed) {
        Event::ReactionRemove(e) => {
            assert_eq!(e.reaction.message_id.get(), 500_000_000_000_000_014);
        }
        other => panic!("read as {other:?}"),
    }
}

#[test]
fn messages_read_with_components_and_embeds() {
    let m: Message = parse("a message", &bot_message_with_button());
    assert_eq!(m.id.get(), 500_000_000_000_000_014);
    assert_eq!(m.channel_id.get(), id(CHANNEL_ID));
    assert!(m.author.bot);
    assert_eq!(m.content, "Tonight: Alien (1979)");
    assert_eq!(m.embeds[0].title.as_deref(), Some("Alien"));
    let ActionRowComponent::Button(b) = &m.components[0].components[0] else {
        panic!("a button")
    };
    assert_eq!(b.label.as_deref(), Some("Seen it"));

    // What serenity's builders send comes back readable: the fake echoes them.
    let components = serde_json::to_value(vec![
        CreateActionRow::Buttons(vec![
            CreateButton::new("seen:1").label("Seen"),
            CreateButton::new_link("https://example.com").label("Link"),
        ]),
        CreateActionRow::SelectMenu(
            CreateSelectMenu::new(
                "pick",
                CreateSelectMenuKind::String {
                    options: vec![CreateSelectMenuOption::new("Alien", "42")],
                },
            )
            .placeholder("Pick one"),
        ),
    ])
    .expect("serialize");
    let embeds = serde_json::to_value(vec![
        CreateEmbed::new()
            .title("Picks")
            .field("Alien", "1979", true)
            .image("attachment://chart.png")
            .colour(0x00E5_A00D),
    ])
    .expect("serialize");
    let echoed: Message = parse(
        "an echo of serenity's builders",
        &message("5", ALICE, "", components, embeds),
    );
    assert_eq!(echoed.components.len(), 2);
    assert_eq!(echoed.author.name, "user0001");
    assert!(!echoed.author.bot);
    assert!(matches!(
        &echoed.components[1].components[0],
        ActionRowComponent::SelectMenu(s) if s.options[0].value == "42"
    ));
    assert_eq!(echoed.embeds[0].fields[0].name, "Alien");
}

#[test]
fn command_echoes_read_as_serenity_commands() {
    let slash = serde_json::to_value(
        CreateCommand::new("rate")
            .description("Rate a film")
            .add_option(
                CreateCommandOption::new(CommandOptionType::String, "title", "The film")
                    .required(true)
                    .set_autocomplete(true),
            )
            .add_option(CreateCommandOption::new(
                CommandOptionType::SubCommand,
                "show",
                "Show",
            )),
    )
    .expect("serialize");
    let c: Command = parse("a slash command echo", &command_echo(&slash, "1234", None));
    assert_eq!(c.id.get(), 1234);
    assert_eq!(c.kind, CommandType::ChatInput);
    assert_eq!(c.application_id.get(), id(APP_ID));
    assert_eq!(c.guild_id, None);
    assert_eq!(c.description, "Rate a film");
    assert_eq!(c.options.len(), 2);

    let user_command =
        serde_json::to_value(CreateCommand::new("Recommend to").kind(CommandType::User))
            .expect("serialize");
    let c: Command = parse(
        "a user command echo",
        &command_echo(&user_command, "1235", Some(GUILD_ID)),
    );
    assert_eq!(c.kind, CommandType::User);
    assert_eq!(c.description, "");
    assert_eq!(c.guild_id.map(GuildId::get), Some(id(GUILD_ID)));
}

// ---------------------------------------------------------------------------------------------
// The running fake
// ---------------------------------------------------------------------------------------------

/// A plain HTTP/1.1 GET over a socket: (status, body).
async fn raw_get(port: u16, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("send the request");
    let mut response = Vec::new();
    tokio::time::timeout(WAIT, stream.read_to_end(&mut response))
        .await
        .expect("an answer in time")
        .expect("read the answer");
    let text = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("headers and body");
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    (status, body.to_owned())
}

fn port_of(fake: &FakeDiscord) -> u16 {
    fake.base_url()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("a port")
}

#[tokio::test]
async fn the_rest_side_tells_the_gateway_url() {
    let fake = FakeDiscord::start().await;
    let port = port_of(&fake);
    let (status, body) = raw_get(port, "/api/v10/gateway").await;
    assert_eq!(status, 200, "{body}");
    let json: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(json["url"], format!("ws://127.0.0.1:{port}"));
    assert_eq!(json["url"], fake.gateway_url());

    let (status, body) = raw_get(port, "/api/v10/no/such/route").await;
    assert_eq!(status, 404);
    assert!(body.contains("fake: unknown route"), "{body}");

    let calls = fake.calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].method, "GET");
    assert_eq!(calls[0].path, "/api/v10/gateway");
    assert_eq!(calls[0].body, Value::Null);
    assert_eq!(calls[1].status, 404);
}

/// A tiny PNG header: enough for the fake to read the size.
fn png(width: u32, height: u32) -> Vec<u8> {
    let mut data = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR".to_vec();
    data.extend_from_slice(&width.to_be_bytes());
    data.extend_from_slice(&height.to_be_bytes());
    data.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
    data
}

/// Every REST answer the bot can get is read by serenity's own client into its own types.
#[tokio::test]
#[allow(clippy::too_many_lines)] // one walk through the routes, in the order a bot uses them
async fn the_rest_side_answers_serenity_http_with_readable_objects() {
    let fake = FakeDiscord::start().await;
    let http = HttpBuilder::new(TOKEN)
        .proxy(fake.base_url())
        .ratelimiter_disabled(true)
        .application_id(ApplicationId::new(id(APP_ID)))
        .build();

    let gateway = http.get_gateway().await.expect("GET /gateway");
    assert_eq!(gateway.url, fake.gateway_url());

    // Command registration, global and per guild; ids stay on re-registration.
    let commands = vec![
        CreateCommand::new("rate")
            .description("Rate a film")
            .add_option(CreateCommandOption::new(
                CommandOptionType::String,
                "title",
                "The film",
            )),
        CreateCommand::new("Recommend to").kind(CommandType::User),
    ];
    let global = Command::set_global_commands(&http, commands.clone())
        .await
        .expect("global commands");
    assert_eq!(global.len(), 2);
    assert_eq!(global[1].kind, CommandType::User);
    let again = Command::set_global_commands(&http, commands.clone())
        .await
        .expect("global commands again");
    assert_eq!(again[0].id, global[0].id);
    let guild = GuildId::new(id(GUILD_ID))
        .set_commands(&http, commands)
        .await
        .expect("guild commands");
    assert_eq!(guild[0].guild_id.map(GuildId::get), Some(id(GUILD_ID)));

    // A slash command: reply, read it back, edit it, follow up with a file.
    let d = command("520000000000000001", "tok-a", ALICE, "rate", json!([]));
    fake.remember("INTERACTION_CREATE", &d);
    let cmd = command_interaction(parse("the command", &d));
    cmd.create_response(
        &http,
        CreateInteractionResponse::Message(
            CreateInteractionResponseMessage::new()
                .content("Rated")
                .ephemeral(true)
                .button(CreateButton::new("again").label("Again")),
        ),
    )
    .await
    .expect("callback");
    let original = cmd.get_response(&http).await.expect("GET @original");
    assert_eq!(original.content, "Rated");
    assert_eq!(original.channel_id.get(), id(CHANNEL_ID));
    assert!(
        original.flags.is_some_and(|f| f.bits() & 64 != 0),
        "ephemeral"
    );
    let edited = cmd
        .edit_response(
            &http,
            EditInteractionResponse::new().content("Rated again").embed(
                CreateEmbed::new()
                    .title("Alien")
                    .field("Stars", "4.5", true),
            ),
        )
        .await
        .expect("PATCH @original");
    assert_eq!(edited.id, original.id, "one original per token");
    assert_eq!(edited.embeds[0].title.as_deref(), Some("Alien"));
    assert!(edited.edited_timestamp.is_some());
    let chart = png(640, 360);
    let followup = cmd
        .create_followup(
            &http,
            CreateInteractionResponseFollowup::new()
                .content("Your chart")
                .add_file(CreateAttachment::bytes(chart.clone(), "chart.png")),
        )
        .await
        .expect("followup");
    assert_ne!(followup.id, original.id);
    let attachment = &followup.attachments[0];
    assert_eq!(attachment.filename, "chart.png");
    assert_eq!(attachment.size as usize, chart.len());
    assert_eq!(
        (attachment.width, attachment.height),
        (Some(640), Some(360))
    );
    let followup_edit = cmd
        .edit_followup(
            &http,
            followup.id,
            CreateInteractionResponseFollowup::new().content("Your chart, again"),
        )
        .await
        .expect("PATCH followup");
    assert_eq!(followup_edit.id, followup.id);
    // Serenity's followup builder always sends "embeds": [] and "attachments": [], so editing a
    // followup with it drops its files and embeds (on Discord too) unless they are given again.
    assert!(followup_edit.attachments.is_empty());
    cmd.delete_followup(&http, followup.id)
        .await
        .expect("DELETE followup");

    // A deferred reply, then its edit.
    let d = command_in_dm("520000000000000002", "tok-b", ALICE, "rate", json!([]));
    fake.remember("INTERACTION_CREATE", &d);
    let deferred = command_interaction(parse("the DM command", &d));
    deferred
        .defer_ephemeral(&http)
        .await
        .expect("deferred callback");
    let done = deferred
        .edit_response(&http, EditInteractionResponse::new().content("Done"))
        .await
        .expect("PATCH @original after a deferral");
    assert_eq!(done.content, "Done");
    assert_eq!(done.channel_id.get(), id(DM_CHANNEL_ID));

    // A button on a message: updating it keeps the message's id.
    let d = component(
        "520000000000000003",
        "tok-c",
        ALICE,
        "seen:42",
        bot_message_with_button(),
    );
    fake.remember("INTERACTION_CREATE", &d);
    let click = component_interaction(parse("the click", &d));
    click
        .create_response(
            &http,
            CreateInteractionResponse::UpdateMessage(
                CreateInteractionResponseMessage::new()
                    .content("Marked as seen")
                    .components(vec![]),
            ),
        )
        .await
        .expect("update callback");
    let updated = click.get_response(&http).await.expect("GET @original");
    assert_eq!(updated.id.get(), 500_000_000_000_000_014);
    assert_eq!(updated.content, "Marked as seen");
    assert!(updated.components.is_empty());
    assert_eq!(updated.embeds.len(), 1, "untouched fields stay");

    // Autocomplete and modal callbacks.
    let d = autocomplete(
        "520000000000000004",
        "tok-d",
        ALICE,
        "rate",
        json!([{"name": "title", "type": 3, "value": "al", "focused": true}]),
    );
    let Interaction::Autocomplete(ac) = parse("autocomplete", &d) else {
        panic!("autocomplete")
    };
    ac.create_response(
        &http,
        CreateInteractionResponse::Autocomplete(
            CreateAutocompleteResponse::new().add_string_choice("Alien (1979)", "42"),
        ),
    )
    .await
    .expect("autocomplete callback");
    cmd.create_response(
        &http,
        CreateInteractionResponse::Modal(CreateModal::new("review:42", "Review").components(vec![
            CreateActionRow::InputText(CreateInputText::new(
                InputTextStyle::Paragraph,
                "Review",
                "text",
            )),
        ])),
    )
    .await
    .expect("modal callback");

    // Channel messages with an embed and an image, an edit, a reaction, a DM.
    let channel = ChannelId::new(id(CHANNEL_ID));
    let sent = channel
        .send_message(
            &http,
            CreateMessage::new()
                .content("Movie night: vote!")
                .embed(CreateEmbed::new().image("attachment://poster.png"))
                .add_file(CreateAttachment::bytes(png(10, 20), "poster.png")),
        )
        .await
        .expect("POST message");
    assert_eq!(sent.attachments[0].filename, "poster.png");
    assert_eq!(sent.attachments[0].height, Some(20));
    let sent_edit = channel
        .edit_message(
            &http,
            sent.id,
            EditMessage::new().content("Movie night: closed"),
        )
        .await
        .expect("PATCH message");
    assert_eq!(sent_edit.id, sent.id);
    assert_eq!(sent_edit.content, "Movie night: closed");
    assert_eq!(sent_edit.embeds.len(), 1);
    http.create_reaction(channel, sent.id, &ReactionType::Unicode("🍿".to_owned()))
        .await
        .expect("PUT reaction");
    let dm = UserId::new(id(ALICE))
        .create_dm_channel(&http)
        .await
        .expect("POST DM channel");
    assert_eq!(dm.recipient.id.get(), id(ALICE));
    let dm_message = dm
        .id
        .say(&http, "Your picks are ready")
        .await
        .expect("DM message");
    assert_eq!(dm_message.channel_id, dm.id);

    // An unknown route is a Discord-style error.
    let err = http
        .get_guild(GuildId::new(id(GUILD_ID)))
        .await
        .expect_err("not served");
    assert!(err.to_string().contains("fake: unknown route"), "{err}");

    // And it was all recorded.
    let calls = fake.calls();
    assert!(
        calls
            .iter()
            .all(|c| c.auth.as_deref() == Some(&*format!("Bot {TOKEN}")))
    );
    let callback_types: Vec<u64> = calls
        .iter()
        .filter(|c| c.path.ends_with("/callback"))
        .map(|c| {
            assert_eq!(c.status, 204);
            assert_eq!(c.response, Value::Null);
            c.body["type"].as_u64().expect("a callback type")
        })
        .collect();
    assert_eq!(callback_types, [4, 5, 7, 8, 9]);
    let upload = calls
        .iter()
        .find(|c| {
            c.method == "POST" && c.path == format!("/api/v10/channels/{CHANNEL_ID}/messages")
        })
        .expect("the channel message");
    assert_eq!(upload.body["content"], "Movie night: vote!");
    assert_eq!(
        upload.files,
        [(
            "files[0]".to_owned(),
            "poster.png".to_owned(),
            png(10, 20).len()
        )]
    );
    let react = calls
        .iter()
        .find(|c| c.path.contains("/reactions/"))
        .expect("the reaction");
    assert_eq!(react.status, 204);
    assert!(react.path.contains("%F0%9F%8D%BF"), "{}", react.path);
    assert_eq!(
        react.decoded_path(),
        format!(
            "/api/v10/channels/{CHANNEL_ID}/messages/{}/reactions/🍿/@me",
            sent.id
        )
    );
    assert_eq!(calls.last().expect("calls").status, 404);

    // Snowflakes go up; the fake's own ids came from the same counter.
    let next: u64 = fake.snowflake().parse().expect("a number");
    assert_eq!(fake.snowflake().len(), 19);
    assert!(next > dm_message.id.get() && next > sent.id.get());
}

// ---------------------------------------------------------------------------------------------
// The gateway, through a hand-written WebSocket client
// ---------------------------------------------------------------------------------------------

/// A minimal RFC 6455 client: text frames, masked as clients must.
struct RawWs {
    stream: BufReader<TcpStream>,
}

impl RawWs {
    async fn connect(port: u16) -> RawWs {
        let stream = TcpStream::connect(("127.0.0.1", port))
            .await
            .expect("connect");
        let mut stream = BufReader::new(stream);
        let request = format!(
            "GET /?v=10 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
             Sec-WebSocket-Version: 13\r\n\r\n"
        );
        stream
            .get_mut()
            .write_all(request.as_bytes())
            .await
            .expect("send the upgrade");
        let mut status = String::new();
        stream.read_line(&mut status).await.expect("status line");
        assert!(status.contains(" 101 "), "no upgrade: {status}");
        loop {
            let mut line = String::new();
            stream.read_line(&mut line).await.expect("a header");
            if line == "\r\n" || line.is_empty() {
                break;
            }
        }
        RawWs { stream }
    }

    async fn send(&mut self, frame: &Value) {
        let payload = frame.to_string().into_bytes();
        let mask = [0x12_u8, 0x34, 0x56, 0x78];
        let mut out = vec![0x81]; // FIN, text
        let len = payload.len();
        if len < 0x7e {
            out.push(0x80 | len as u8);
        } else if let Ok(len) = u16::try_from(len) {
            out.push(0x80 | 0x7e);
            out.extend_from_slice(&len.to_be_bytes());
        } else {
            out.push(0x80 | 0x7f);
            out.extend_from_slice(&(len as u64).to_be_bytes());
        }
        out.extend_from_slice(&mask);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.stream
            .get_mut()
            .write_all(&out)
            .await
            .expect("send a frame");
    }

    /// The next text frame as JSON; `None` when the server closes.
    async fn recv(&mut self) -> Option<Value> {
        tokio::time::timeout(WAIT, self.recv_inner())
            .await
            .expect("a frame in time")
    }

    async fn recv_inner(&mut self) -> Option<Value> {
        loop {
            let mut head = [0_u8; 2];
            self.stream.read_exact(&mut head).await.ok()?;
            let opcode = head[0] & 0x0f;
            let len = match head[1] & 0x7f {
                126 => u64::from(self.stream.read_u16().await.ok()?),
                127 => self.stream.read_u64().await.ok()?,
                n => u64::from(n),
            };
            let mut payload = vec![0; usize::try_from(len).ok()?];
            self.stream.read_exact(&mut payload).await.ok()?;
            match opcode {
                1 => return Some(serde_json::from_slice(&payload).expect("JSON text frame")),
                8 => return None,
                _ => {} // ping, pong: the server's business
            }
        }
    }
}

fn gateway_event(frame: &Value) -> GatewayEvent {
    serde_json::from_value(frame.clone())
        .unwrap_or_else(|e| panic!("serenity cannot read the frame: {e}\n{frame:#}"))
}

#[tokio::test]
async fn the_gateway_side_speaks_the_protocol_serenity_reads() {
    let fake = FakeDiscord::start().await;
    let port = port_of(&fake);
    let mut ws = RawWs::connect(port).await;

    let hello = ws.recv().await.expect("HELLO");
    assert!(matches!(gateway_event(&hello), GatewayEvent::Hello(41_250)));

    ws.send(&json!({"op": 2, "d": {"token": format!("Bot {TOKEN}"), "intents": 1}}))
        .await;
    ws.send(&json!({"op": 1, "d": null})).await;
    let ack = ws.recv().await.expect("heartbeat ACK");
    assert!(matches!(gateway_event(&ack), GatewayEvent::HeartbeatAck));
    let identify = fake.wait_gateway_op(None, 2, WAIT).await;
    assert_eq!(identify["d"]["token"], format!("Bot {TOKEN}"));
    assert!(
        fake.gateway_frames().iter().all(|f| f["op"] != 1),
        "heartbeats are answered, not recorded"
    );

    fake.send_ready().await;
    let frame = ws.recv().await.expect("READY");
    let GatewayEvent::Dispatch(1, Event::Ready(ready)) = gateway_event(&frame) else {
        panic!("READY with s 1: {frame}")
    };
    assert_eq!(ready.ready.application.id.get(), id(APP_ID));
    assert_eq!(ready.ready.resume_gateway_url, fake.gateway_url());

    fake.dispatch(
        "INTERACTION_CREATE",
        command("530000000000000001", "tok-g", ALICE, "rate", json!([])),
    )
    .await;
    let frame = ws.recv().await.expect("INTERACTION_CREATE");
    let GatewayEvent::Dispatch(2, Event::InteractionCreate(e)) = gateway_event(&frame) else {
        panic!("INTERACTION_CREATE with s 2: {frame}")
    };
    assert_eq!(e.interaction.id().get(), 530_000_000_000_000_001);

    fake.dispatch(
        "MESSAGE_REACTION_ADD",
        reaction(ALICE, "500000000000000014", "🍿", false),
    )
    .await;
    let frame = ws.recv().await.expect("MESSAGE_REACTION_ADD");
    assert!(matches!(
        gateway_event(&frame),
        GatewayEvent::Dispatch(3, Event::ReactionAdd(_))
    ));
    assert_eq!(fake.seq(), 3);

    // A new connection takes over: the old one is closed, RESUME is seen, numbers go on.
    let mut second = RawWs::connect(port).await;
    assert!(matches!(
        gateway_event(&second.recv().await.expect("HELLO")),
        GatewayEvent::Hello(_)
    ));
    assert_eq!(ws.recv().await, None, "the old connection is closed");
    second
        .send(&json!({"op": 6, "d": {"token": format!("Bot {TOKEN}"), "session_id": "fake-session-1", "seq": 3}}))
        .await;
    let resume = fake.wait_gateway_op(None, 6, WAIT).await;
    assert_eq!(resume["d"]["seq"], 3);
    fake.dispatch("RESUMED", json!({})).await;
    assert!(matches!(
        gateway_event(&second.recv().await.expect("RESUMED")),
        GatewayEvent::Dispatch(4, Event::Resumed(_))
    ));

    fake.send_raw(json!({"op": 7, "d": null})).await;
    assert!(matches!(
        gateway_event(&second.recv().await.expect("RECONNECT")),
        GatewayEvent::Reconnect
    ));
    fake.close_gateway(4000).await;
    assert_eq!(second.recv().await, None, "closed by the fake");
}

#[test]
fn voice_states_and_scheduled_events_read_as_serenity_types() {
    let v: serenity::all::VoiceState = parse(
        "a voice state",
        &voice_state(ALICE, Some("400000000000000001"), false),
    );
    assert_eq!(v.user_id.get(), id(ALICE));
    assert_eq!(
        v.channel_id.map(ChannelId::get),
        Some(400_000_000_000_000_001)
    );
    assert!(matches!(
        parse_dispatch("VOICE_STATE_UPDATE", &voice_state(ALICE, None, true)),
        Event::VoiceStateUpdate(_)
    ));
    let body = json!({"name": "Movie night: Heat (1995)", "entity_type": 3, "privacy_level": 2,
        "scheduled_start_time": "2026-12-05T20:00:00Z", "scheduled_end_time": "2026-12-05T22:30:00Z",
        "entity_metadata": {"location": "Watch party"}});
    let e: serenity::all::ScheduledEvent = parse(
        "a scheduled event",
        &scheduled_event("600000000000000009", GUILD_ID, &body),
    );
    assert_eq!(e.name, "Movie night: Heat (1995)");
    assert_eq!(e.guild_id.get(), id(GUILD_ID));
}
