//! Payload builders: the `d` of gateway dispatches, the objects in them, and what the fake
//! answers for registered commands and scheduled events.

use serde_json::{Map, Value, json};

use super::{
    APP_ID, ATTACHMENT_SIZE_LIMIT, BOT_NAME, CHANNEL_ID, COMMAND_ID, Call,
    DEFAULT_COMPONENT_MESSAGE_ID, DM_CHANNEL_ID, GUILD_ID, PERMISSIONS, TIMESTAMP,
};

/// The name the builders give a user id: [`BOT_NAME`] for [`APP_ID`], else "user" and its last
/// four digits.
pub fn user_name(user_id: &str) -> String {
    if user_id == APP_ID {
        BOT_NAME.to_owned()
    } else {
        let tail = user_id
            .get(user_id.len().saturating_sub(4)..)
            .unwrap_or(user_id);
        format!("user{tail}")
    }
}

pub fn user(id: &str, name: &str, bot: bool) -> Value {
    json!({
        "id": id,
        "username": name,
        "discriminator": "0",
        "global_name": name,
        "avatar": null,
        "bot": bot,
        "public_flags": 0,
    })
}

/// A (non-bot) guild member.
pub fn member(user_id: &str, name: &str) -> Value {
    json!({
        "user": user(user_id, name, false),
        "nick": null,
        "avatar": null,
        "roles": [],
        "joined_at": TIMESTAMP,
        "premium_since": null,
        "deaf": false,
        "mute": false,
        "flags": 0,
        "pending": false,
        "permissions": PERMISSIONS,
        "communication_disabled_until": null,
    })
}

/// The `d` of READY: the bot user, no guilds, application [`APP_ID`].
pub fn ready(gateway_url: &str) -> Value {
    json!({
        "v": 10,
        "user": {
            "id": APP_ID, "username": BOT_NAME, "discriminator": "0", "global_name": BOT_NAME,
            "avatar": null, "bot": true, "verified": true, "mfa_enabled": false, "flags": 0,
        },
        "guilds": [],
        "session_id": "fake-session-1",
        "resume_gateway_url": gateway_url,
        "shard": [0, 1],
        "application": {"id": APP_ID, "flags": 0},
    })
}

/// An INTERACTION_CREATE `d` of `kind` in [`GUILD_ID`]/[`CHANNEL_ID`] from `user_id`.
fn interaction(kind: u8, id: &str, token: &str, user_id: &str, data: Value) -> Value {
    let mut d = json!({
        "id": id,
        "application_id": APP_ID,
        "type": kind,
        "token": token,
        "version": 1,
        "guild_id": GUILD_ID,
        "channel_id": CHANNEL_ID,
        "channel": {
            "id": CHANNEL_ID, "type": 0, "name": "movie-night", "guild_id": GUILD_ID,
            "permissions": PERMISSIONS,
        },
        "member": member(user_id, &user_name(user_id)),
        "app_permissions": PERMISSIONS,
        "locale": "en-US",
        "guild_locale": "en-US",
        "entitlements": [],
        "authorizing_integration_owners": {"0": GUILD_ID},
        "context": 0,
        "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
    });
    d["data"] = data;
    d
}

/// The `data` of a slash command (type 1) with `options` as Discord sends them; the users of user
/// options (type 6, at any depth) are added to `resolved`.
fn command_data(name: &str, options: Value) -> Value {
    let options = if options.is_null() {
        json!([])
    } else {
        options
    };
    let mut users = Map::new();
    collect_user_options(&options, &mut users);
    let mut data = json!({
        "id": COMMAND_ID,
        "name": name,
        "type": 1,
        "guild_id": GUILD_ID,
        "options": options,
    });
    if !users.is_empty() {
        data["resolved"] = json!({"users": users});
    }
    data
}

fn collect_user_options(options: &Value, users: &mut Map<String, Value>) {
    for option in options.as_array().into_iter().flatten() {
        if option["type"] == 6 {
            if let Some(id) = option["value"].as_str() {
                users.insert(id.to_owned(), user(id, &user_name(id), false));
            }
        }
        collect_user_options(&option["options"], users);
    }
}

/// INTERACTION_CREATE type 2 (slash command) in the guild. Subcommand options need
/// `"options": []` even when empty, or serenity drops the event.
pub fn command(id: &str, token: &str, user_id: &str, name: &str, options: Value) -> Value {
    interaction(2, id, token, user_id, command_data(name, options))
}

/// [`command`] in the bot's DM with `user_id`.
pub fn command_in_dm(id: &str, token: &str, user_id: &str, name: &str, options: Value) -> Value {
    in_dm(command(id, token, user_id, name, options))
}

/// INTERACTION_CREATE type 4 (autocomplete); mark the focused option with `"focused": true`.
pub fn autocomplete(id: &str, token: &str, user_id: &str, name: &str, options: Value) -> Value {
    interaction(4, id, token, user_id, command_data(name, options))
}

/// The message a component sits on: `message` as given, or a bot message if `Null`.
fn component_message(message: Value) -> Value {
    if message.is_null() {
        self::message(
            DEFAULT_COMPONENT_MESSAGE_ID,
            APP_ID,
            "",
            json!([]),
            json!([]),
        )
    } else {
        message
    }
}

/// INTERACTION_CREATE type 3, a button click (component_type 2) on `message` (a full Message, as
/// from [`message`]; `Null` for a default bot message).
pub fn component(id: &str, token: &str, user_id: &str, custom_id: &str, message: Value) -> Value {
    let data = json!({"custom_id": custom_id, "component_type": 2});
    let mut d = interaction(3, id, token, user_id, data);
    d["message"] = component_message(message);
    d
}

/// INTERACTION_CREATE type 3, a string select (component_type 3) choosing `values`.
pub fn select(
    id: &str,
    token: &str,
    user_id: &str,
    custom_id: &str,
    values: &[&str],
    message: Value,
) -> Value {
    let data = json!({"custom_id": custom_id, "component_type": 3, "values": values});
    let mut d = interaction(3, id, token, user_id, data);
    d["message"] = component_message(message);
    d
}

/// INTERACTION_CREATE type 5, a modal submitted with `(custom_id, value)` text inputs, one action
/// row each.
pub fn modal_submit(
    id: &str,
    token: &str,
    user_id: &str,
    custom_id: &str,
    fields: &[(&str, &str)],
) -> Value {
    let rows: Vec<Value> = fields
        .iter()
        .map(|(field, value)| {
            json!({"type": 1, "components": [{"type": 4, "custom_id": field, "value": value}]})
        })
        .collect();
    let data = json!({"custom_id": custom_id, "components": rows});
    interaction(5, id, token, user_id, data)
}

/// Moves any interaction built here into the bot's DM with its user: no `guild_id` or `member`,
/// a `user`, [`DM_CHANNEL_ID`] (type 1), `"context": 1`.
pub fn in_dm(mut interaction: Value) -> Value {
    let user = interaction["member"]["user"].clone();
    if let Some(d) = interaction.as_object_mut() {
        d.remove("guild_id");
        d.remove("member");
        d.remove("guild_locale");
        d.insert(
            "channel".to_owned(),
            json!({"id": DM_CHANNEL_ID, "type": 1, "recipients": [user.clone()]}),
        );
        d.insert("user".to_owned(), user);
        d.insert("channel_id".to_owned(), json!(DM_CHANNEL_ID));
        d.insert("context".to_owned(), json!(1));
        d.insert(
            "authorizing_integration_owners".to_owned(),
            json!({"0": "0"}),
        );
    }
    if let Some(data) = interaction["data"].as_object_mut() {
        data.remove("guild_id");
    }
    if let Some(message) = interaction
        .get_mut("message")
        .and_then(Value::as_object_mut)
    {
        message.insert("channel_id".to_owned(), json!(DM_CHANNEL_ID));
        message.remove("guild_id");
    }
    interaction
}

/// A full Message object in `channel_id`.
fn message_in(
    channel_id: &str,
    id: &str,
    author: Value,
    content: &str,
    components: Value,
    embeds: Value,
) -> Value {
    let or_empty = |v: Value| if v.is_null() { json!([]) } else { v };
    let mut message = json!({
        "id": id,
        "channel_id": channel_id,
        "content": content,
        "timestamp": TIMESTAMP,
        "edited_timestamp": null,
        "tts": false,
        "mention_everyone": false,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": or_empty(embeds),
        "reactions": [],
        "pinned": false,
        "type": 0,
        "flags": 0,
        "components": or_empty(components),
    });
    message["author"] = author;
    message
}

/// A message the bot made over REST; `webhook` for interaction responses and followups.
pub(super) fn bot_message(id: &str, channel_id: &str, webhook: bool) -> Value {
    let author = user(APP_ID, BOT_NAME, true);
    let mut message = message_in(channel_id, id, author, "", json!([]), json!([]));
    if webhook {
        message["webhook_id"] = json!(APP_ID);
        message["application_id"] = json!(APP_ID);
    }
    message
}

/// A full Message object in [`CHANNEL_ID`] by `author_id` (a bot when it is [`APP_ID`]);
/// `components` and `embeds` are JSON arrays (`Null` for none).
pub fn message(
    id: &str,
    author_id: &str,
    content: &str,
    components: Value,
    embeds: Value,
) -> Value {
    let author = user(author_id, &user_name(author_id), author_id == APP_ID);
    message_in(CHANNEL_ID, id, author, content, components, embeds)
}

/// A reaction emoji: `name:id` is a custom emoji, anything else a unicode one.
fn emoji_json(emoji: &str) -> Value {
    match emoji.rsplit_once(':') {
        Some((name, id)) if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) => {
            json!({"id": id, "name": name, "animated": false})
        }
        _ => json!({"id": null, "name": emoji}),
    }
}

/// The `d` of MESSAGE_REACTION_ADD: `user_id` (a bot if `bot`) reacted with `emoji` (unicode, or
/// `name:id` for a custom one) to the bot's message `message_id` in [`CHANNEL_ID`].
pub fn reaction(user_id: &str, message_id: &str, emoji: &str, bot: bool) -> Value {
    let mut member = member(user_id, &user_name(user_id));
    member["user"]["bot"] = json!(bot);
    json!({
        "user_id": user_id,
        "channel_id": CHANNEL_ID,
        "message_id": message_id,
        "guild_id": GUILD_ID,
        "member": member,
        "emoji": emoji_json(emoji),
        "message_author_id": APP_ID,
        "burst": false,
        "burst_colors": [],
        "type": 0,
    })
}

/// The `d` of MESSAGE_REACTION_REMOVE (Discord sends no member, author or colours there).
pub fn reaction_removed(user_id: &str, message_id: &str, emoji: &str) -> Value {
    json!({
        "user_id": user_id,
        "channel_id": CHANNEL_ID,
        "message_id": message_id,
        "guild_id": GUILD_ID,
        "emoji": emoji_json(emoji),
        "burst": false,
        "type": 0,
    })
}

/// A VOICE_STATE_UPDATE `d`: `user_id` is now in voice channel `channel` (or left, `None`).
pub fn voice_state(user_id: &str, channel: Option<&str>, bot: bool) -> Value {
    let mut m = member(user_id, &user_name(user_id));
    m["user"]["bot"] = json!(bot);
    json!({
        "guild_id": GUILD_ID,
        "channel_id": channel,
        "user_id": user_id,
        "member": m,
        "session_id": format!("voice-{user_id}"),
        "deaf": false, "mute": false, "self_deaf": false, "self_mute": false,
        "self_stream": false, "self_video": false, "suppress": false,
        "request_to_speak_timestamp": null
    })
}

/// Every `custom_id` in a message body's component rows, in order.
pub fn custom_ids(body: &Value) -> Vec<String> {
    body["components"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .filter_map(|c| c["custom_id"].as_str().map(str::to_owned))
        .collect()
}

/// The bot's message as the fake stored it after `call` (its response), as a component
/// interaction carries it: for clicking a button on it.
pub fn shown_message(call: &Call) -> Value {
    message(
        call.response["id"].as_str().expect("a message id"),
        APP_ID,
        "",
        call.response["components"].clone(),
        call.response["embeds"].clone(),
    )
}

/// A GuildScheduledEvent echoing what the bot posted.
pub fn scheduled_event(id: &str, guild: &str, body: &Value) -> Value {
    json!({
        "id": id,
        "guild_id": guild,
        "channel_id": body.get("channel_id").cloned().unwrap_or(Value::Null),
        "creator_id": APP_ID,
        "name": body["name"],
        "description": body.get("description").cloned().unwrap_or(Value::Null),
        "scheduled_start_time": body["scheduled_start_time"],
        "scheduled_end_time": body.get("scheduled_end_time").cloned().unwrap_or(Value::Null),
        "privacy_level": body.get("privacy_level").cloned().unwrap_or(json!(2)),
        "status": 1,
        "entity_type": body["entity_type"],
        "entity_id": null,
        "entity_metadata": body.get("entity_metadata").cloned().unwrap_or(Value::Null),
        "user_count": null,
        "image": null
    })
}

/// What the fake answers for one registered command: the posted `item` with `id`,
/// `application_id`, `version` and `guild_id`, and `type` (1) and `description` ("") when missing,
/// as serenity's `Command` requires them.
pub fn command_echo(item: &Value, id: &str, guild_id: Option<&str>) -> Value {
    let mut command = item.as_object().cloned().unwrap_or_default();
    command.insert("id".to_owned(), json!(id));
    command.insert("application_id".to_owned(), json!(APP_ID));
    command.insert("version".to_owned(), json!(id));
    command.insert("guild_id".to_owned(), json!(guild_id));
    command.entry("type").or_insert(json!(1));
    if command.get("description").is_none_or(Value::is_null) {
        command.insert("description".to_owned(), json!(""));
    }
    Value::Object(command)
}
