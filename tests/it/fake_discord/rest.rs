//! The fake's REST API: the record of each call ([`Call`]), the router that answers every route
//! the bot uses (and remembers the messages, commands and DM channels it made), and its helpers.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::multipart::{Upload, parse_body};
use super::payloads::{bot_message, command_echo, member, scheduled_event, user, user_name};
use super::{APP_ID, BOT_NAME, CHANNEL_ID, RestState, Shared, TIMESTAMP, lock};

/// One REST request the bot made, with what the fake answered.
#[derive(Clone, Debug)]
pub struct Call {
    pub method: String,
    /// As received, so percent-encoded (see [`Call::decoded_path`]).
    pub path: String,
    /// Without the `?`; serenity starts it with `&`.
    pub query: String,
    pub auth: Option<String>,
    /// The JSON body, or the `payload_json` of a multipart body; `Null` when there is none.
    pub body: Value,
    /// `(field name, filename, bytes)` of each file of a multipart body, e.g. `("files[0]", "chart.png", 1234)`.
    pub files: Vec<(String, String, usize)>,
    /// The content of each file, in the order of `files`.
    pub file_data: Vec<Vec<u8>>,
    /// The HTTP status the fake answered.
    pub status: u16,
    /// The JSON the fake answered; `Null` for 204.
    pub response: Value,
    /// When the fake received the request (its body read), for latencies.
    pub at: std::time::Instant,
    /// Which of the fake's ports it came through (0: [`FakeDiscord::base_url`](super::FakeDiscord::base_url);
    /// then each [`FakeDiscord::open_door`](super::FakeDiscord::open_door)), to tell bot
    /// processes apart.
    pub door: usize,
}

impl Call {
    /// The path with `%XX` escapes decoded (emoji in reaction routes).
    pub fn decoded_path(&self) -> String {
        percent_decode(&self.path)
    }
}

impl Shared {
    pub(super) fn snowflake(&self) -> String {
        self.next_id.fetch_add(1, Ordering::SeqCst).to_string()
    }

    pub(super) fn gateway_url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.port)
    }

    /// Answers one REST call: (status, JSON body; `Null` with 204).
    fn answer(&self, method: &Method, path: &str, body: &Value, files: &[Upload]) -> (u16, Value) {
        let Some(route) = path.strip_prefix("/api/v10/") else {
            return not_found();
        };
        let segments: Vec<&str> = route.split('/').collect();
        let mut rest = lock(&self.rest);
        let rest = &mut *rest;
        match (method.as_str(), segments.as_slice()) {
            ("GET", ["gateway"]) => (200, json!({"url": self.gateway_url()})),
            ("GET", ["gateway", "bot"]) => (
                200,
                json!({"url": self.gateway_url(), "shards": 1, "session_start_limit":
                    {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}}),
            ),
            ("GET", ["users", "@me"]) => (200, user(APP_ID, BOT_NAME, true)),
            ("POST", ["users", "@me", "channels"]) => (200, self.dm_channel(rest, body)),
            ("POST", ["interactions", _, token, "callback"]) => {
                self.callback(rest, token, body, files);
                (204, Value::Null)
            }
            ("GET" | "PATCH", ["webhooks", _, token, "messages", "@original"]) => {
                let edit = (method == Method::PATCH).then_some(body);
                (200, self.original(rest, token, edit, files))
            }
            ("POST", ["webhooks", _, token]) => {
                let channel = interaction_channel(rest, token);
                (200, self.new_message(rest, &channel, true, body, files))
            }
            ("PATCH", ["webhooks", _, token, "messages", id]) => {
                let channel = interaction_channel(rest, token);
                (
                    200,
                    self.edit_message(rest, &channel, id, true, body, files),
                )
            }
            ("GET", ["webhooks", _, _, "messages", id] | ["channels", _, "messages", id]) => {
                rest.messages.get(*id).cloned().map_or_else(
                    || (404, json!({"code": 10008, "message": "Unknown Message"})),
                    |m| (200, m),
                )
            }
            ("POST", ["channels", channel, "messages"]) => {
                (200, self.new_message(rest, channel, false, body, files))
            }
            ("PATCH", ["channels", channel, "messages", id]) => (
                200,
                self.edit_message(rest, channel, id, false, body, files),
            ),
            ("PUT", ["applications", _, "commands"]) => (200, self.commands(rest, body, None)),
            ("PUT", ["applications", _, "guilds", guild, "commands"]) => {
                (200, self.commands(rest, body, Some(guild)))
            }
            ("POST", ["applications", _, "commands"]) => (200, self.command(rest, body, None)),
            ("POST", ["applications", _, "guilds", guild, "commands"]) => {
                (200, self.command(rest, body, Some(guild)))
            }
            ("GET", ["guilds", _, "members", user]) => {
                if rest.strangers.contains(*user) {
                    (404, json!({"code": 10007, "message": "Unknown Member"}))
                } else {
                    (200, member(user, &user_name(user)))
                }
            }
            ("POST", ["guilds", guild, "scheduled-events"]) => {
                (200, scheduled_event(&self.snowflake(), guild, body))
            }
            ("PUT", ["channels", _, "messages", _, "reactions", _, "@me"]) | ("DELETE", _) => {
                (204, Value::Null)
            }
            _ => not_found(),
        }
    }

    /// `POST /interactions/{id}/{token}/callback`: a message (4), or an update of the component's
    /// message (7), becomes the interaction's original response; a deferral (5, 6) reserves it.
    fn callback(&self, rest: &mut RestState, token: &str, body: &Value, files: &[Upload]) {
        let data = &body["data"];
        match body["type"].as_u64() {
            Some(4 | 5) => {
                let id = self.snowflake();
                let channel = interaction_channel(rest, token);
                let mut message = bot_message(&id, &channel, true);
                self.apply(&mut message, data, files, false);
                rest.messages.insert(id.clone(), message);
                rest.originals.insert(token.to_owned(), id);
            }
            Some(kind @ (6 | 7)) => {
                let base = rest
                    .interactions
                    .get(token)
                    .map(|i| i["message"].clone())
                    .filter(|m| m["id"].is_string());
                let id = match base {
                    Some(m) => {
                        let id = m["id"].as_str().unwrap_or_default().to_owned();
                        rest.messages.entry(id.clone()).or_insert(m);
                        id
                    }
                    None => self.original_id(rest, token),
                };
                if kind == 7 {
                    if let Some(message) = rest.messages.get_mut(&id) {
                        self.apply(message, data, files, true);
                    }
                }
                rest.originals.insert(token.to_owned(), id);
            }
            _ => {}
        }
    }

    /// The id of the interaction's original response, made (empty) on first use.
    fn original_id(&self, rest: &mut RestState, token: &str) -> String {
        if let Some(id) = rest.originals.get(token) {
            if rest.messages.contains_key(id) {
                return id.clone();
            }
        }
        let id = self.snowflake();
        let channel = interaction_channel(rest, token);
        rest.messages
            .insert(id.clone(), bot_message(&id, &channel, true));
        rest.originals.insert(token.to_owned(), id.clone());
        id
    }

    fn original(
        &self,
        rest: &mut RestState,
        token: &str,
        edit: Option<&Value>,
        files: &[Upload],
    ) -> Value {
        let id = self.original_id(rest, token);
        let message = rest.messages.get_mut(&id).expect("stored just now");
        if let Some(body) = edit {
            self.apply(message, body, files, true);
        }
        message.clone()
    }

    fn new_message(
        &self,
        rest: &mut RestState,
        channel: &str,
        webhook: bool,
        body: &Value,
        files: &[Upload],
    ) -> Value {
        let id = self.snowflake();
        let mut message = bot_message(&id, channel, webhook);
        self.apply(&mut message, body, files, false);
        rest.messages.insert(id, message.clone());
        message
    }

    fn edit_message(
        &self,
        rest: &mut RestState,
        channel: &str,
        id: &str,
        webhook: bool,
        body: &Value,
        files: &[Upload],
    ) -> Value {
        let message = rest
            .messages
            .entry(id.to_owned())
            .or_insert_with(|| bot_message(id, channel, webhook));
        self.apply(message, body, files, true);
        message.clone()
    }

    /// Merges a message body (create or edit) into a stored message.
    fn apply(&self, message: &mut Value, body: &Value, files: &[Upload], edit: bool) {
        for key in ["content", "embeds", "components", "flags", "tts"] {
            if let Some(value) = body.get(key).filter(|v| !v.is_null()) {
                message[key] = value.clone();
            }
        }
        if let Some(wanted) = body.get("attachments").and_then(Value::as_array) {
            let old = message["attachments"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let attachments: Vec<Value> = wanted
                .iter()
                .filter_map(|a| {
                    if a.get("filename").is_some() {
                        Some(self.attachment(a, files))
                    } else {
                        let id = id_string(&a["id"]);
                        old.iter().find(|o| id_string(&o["id"]) == id).cloned()
                    }
                })
                .collect();
            message["attachments"] = Value::Array(attachments);
        } else if !files.is_empty() {
            let attachments: Vec<Value> = files
                .iter()
                .map(|f| self.attachment(&json!({"filename": f.filename}), files))
                .collect();
            message["attachments"] = Value::Array(attachments);
        }
        if edit {
            message["edited_timestamp"] = json!(TIMESTAMP);
        }
    }

    /// A full Attachment for a new-attachment entry `{"id": N, "filename": ...}` of a body.
    fn attachment(&self, wanted: &Value, files: &[Upload]) -> Value {
        let filename = wanted["filename"].as_str().unwrap_or("file").to_owned();
        let field = format!("files[{}]", id_string(&wanted["id"]).unwrap_or_default());
        let upload = files
            .iter()
            .find(|f| f.field == field)
            .or_else(|| files.iter().find(|f| f.filename == filename));
        let id = self.snowflake();
        let url = format!("http://127.0.0.1:{}/attachments/{id}/{filename}", self.port);
        let (width, height) = upload
            .and_then(|u| png_size(&u.data))
            .map_or((Value::Null, Value::Null), |(w, h)| (json!(w), json!(h)));
        json!({
            "id": id,
            "filename": filename,
            "description": wanted.get("description").cloned().unwrap_or(Value::Null),
            "size": upload.map_or(0, |u| u.data.len()),
            "url": url,
            "proxy_url": url,
            "content_type": upload.and_then(|u| u.content_type.clone()),
            "width": width,
            "height": height,
        })
    }

    fn commands(&self, rest: &mut RestState, body: &Value, guild: Option<&str>) -> Value {
        let items = body.as_array().cloned().unwrap_or_default();
        Value::Array(
            items
                .iter()
                .map(|item| self.command(rest, item, guild))
                .collect(),
        )
    }

    fn command(&self, rest: &mut RestState, item: &Value, guild: Option<&str>) -> Value {
        let name = item["name"].as_str().unwrap_or_default().to_owned();
        let id = rest
            .command_ids
            .entry((guild.map(str::to_owned), name))
            .or_insert_with(|| self.snowflake())
            .clone();
        command_echo(item, &id, guild)
    }

    fn dm_channel(&self, rest: &mut RestState, body: &Value) -> Value {
        let recipient = id_string(&body["recipient_id"]).unwrap_or_default();
        let id = rest
            .dm_channels
            .entry(recipient.clone())
            .or_insert_with(|| self.snowflake())
            .clone();
        json!({
            "id": id,
            "type": 1,
            "last_message_id": null,
            "recipients": [user(&recipient, &user_name(&recipient), false)],
        })
    }
}

/// The channel an interaction came from (its original response and followups go there).
fn interaction_channel(rest: &RestState, token: &str) -> String {
    rest.interactions
        .get(token)
        .and_then(|i| i["channel_id"].as_str())
        .unwrap_or(CHANNEL_ID)
        .to_owned()
}

fn not_found() -> (u16, Value) {
    (404, json!({"code": 0, "message": "fake: unknown route"}))
}

pub(super) async fn rest_handler(
    State(shared): State<Arc<Shared>>,
    door: Option<axum::Extension<super::Door>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    raw: Bytes,
) -> Response {
    let at = std::time::Instant::now();
    let header_text = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let content_type = header_text(header::CONTENT_TYPE).unwrap_or_default();
    let (body, uploads) = parse_body(&content_type, &raw);
    // The CDN: attachments put there with `host_file`.
    let hosted = if method == Method::GET && uri.path().starts_with("/attachments/") {
        Some(lock(&shared.rest).files.get(uri.path()).cloned())
    } else {
        None
    };
    let (status, response) = match &hosted {
        Some(Some(bytes)) => (200, Value::from(bytes.len())),
        Some(None) => (404, serde_json::json!({"message": "404: Not Found"})),
        None => shared.answer(&method, uri.path(), &body, &uploads),
    };
    let call = Call {
        method: method.as_str().to_owned(),
        path: uri.path().to_owned(),
        query: uri.query().unwrap_or_default().to_owned(),
        auth: header_text(header::AUTHORIZATION),
        body,
        files: uploads
            .iter()
            .map(|u| (u.field.clone(), u.filename.clone(), u.data.len()))
            .collect(),
        file_data: uploads.iter().map(|u| u.data.clone()).collect(),
        status,
        response: response.clone(),
        at,
        door: door.map_or(0, |d| d.0.0),
    };
    lock(&shared.calls).push(call);
    shared.calls_changed.notify_waiters();
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Some(Some(bytes)) = hosted {
        return (
            status,
            [(header::CONTENT_TYPE, "application/octet-stream")],
            bytes,
        )
            .into_response();
    }
    if status == StatusCode::NO_CONTENT {
        status.into_response()
    } else {
        (status, axum::Json(response)).into_response()
    }
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(data: &[u8]) -> Option<(u32, u32)> {
    if data.len() < 24 || !data.starts_with(b"\x89PNG\r\n\x1a\n") || &data[12..16] != b"IHDR" {
        return None;
    }
    let be = |at: usize| u32::from_be_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]]);
    Some((be(16), be(20)))
}

/// Decodes `%XX` escapes (UTF-8); anything malformed stays as it is.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A snowflake given as a JSON string or number, as a string.
fn id_string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub(super) fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(max).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_escapes_are_decoded() {
        assert_eq!(percent_decode("/r/%F0%9F%8D%BF/@me"), "/r/🍿/@me");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }
}
