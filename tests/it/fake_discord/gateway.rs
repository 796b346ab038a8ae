//! The gateway WebSocket: HELLO, the frames the harness queues, heartbeat ACKs, and a record of
//! every other frame the bot sends.

use std::sync::Arc;

use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::{HEARTBEAT_INTERVAL_MS, Outgoing, ShardLink, Shared, lock};

pub(super) async fn gateway_upgrade(
    State(shared): State<Arc<Shared>>,
    ws: WebSocketUpgrade,
) -> Response {
    ws.on_upgrade(move |socket| gateway_connection(shared, socket))
}

/// One gateway connection: HELLO, then frames out from the harness and frames in from the bot.
/// A newer connection takes over the outgoing channel, which ends this one.
async fn gateway_connection(shared: Arc<Shared>, mut socket: WebSocket) {
    let (sender, mut outgoing) = mpsc::channel(256);
    let own = sender.downgrade();
    *lock(&shared.outgoing) = Some(sender);
    let hello =
        json!({"op": 10, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}, "s": null, "t": null});
    if socket
        .send(WsMessage::Text(hello.to_string().into()))
        .await
        .is_err()
    {
        return;
    }
    loop {
        tokio::select! {
            out = outgoing.recv() => {
                let (message, closing) = match out {
                    None => break,
                    Some(Outgoing::Text(text)) => (WsMessage::Text(text.into()), false),
                    Some(Outgoing::Close(code)) => (
                        WsMessage::Close(Some(CloseFrame {
                            code,
                            reason: "closed by the fake Discord".into(),
                        })),
                        true,
                    ),
                };
                if socket.send(message).await.is_err() || closing {
                    break;
                }
            }
            incoming = socket.recv() => match incoming {
                Some(Ok(WsMessage::Text(text))) => {
                    let frame = serde_json::from_str::<Value>(text.as_str()).unwrap_or_else(
                        |e| json!({"op": null, "unparsed": text.as_str(), "error": e.to_string()}),
                    );
                    if frame["op"] == 1 {
                        let ack = json!({"op": 11});
                        if socket.send(WsMessage::Text(ack.to_string().into())).await.is_err() {
                            break;
                        }
                    } else {
                        // A shard's connection is known by its IDENTIFY (`shard: [id, n]`) or
                        // by the session it RESUMEs (`fake-session-shard-{id}`).
                        // Only bots that run shards of several (a single shard's connection
                        // is the one `outgoing` names, and ends when a newer one takes over).
                        let shard = match frame["op"].as_u64() {
                            Some(2) if frame["d"]["shard"][1].as_u64() > Some(1) => {
                                frame["d"]["shard"][0].as_u64()
                            }
                            Some(6) => frame["d"]["session_id"]
                                .as_str()
                                .and_then(|s| s.strip_prefix("fake-session-shard-"))
                                .and_then(|id| id.parse().ok()),
                            _ => None,
                        };
                        if let (Some(shard), Some(sender)) = (shard, own.upgrade()) {
                            lock(&shared.shard_links)
                                .insert(shard, ShardLink { sender, seq: 0 });
                        }
                        lock(&shared.frame_times).push(std::time::Instant::now());
                        lock(&shared.frames).push(frame);
                        shared.frames_changed.notify_waiters();
                    }
                }
                Some(Ok(WsMessage::Close(_)) | Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
        }
    }
}
