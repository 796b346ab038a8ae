//! `--health HOST:PORT`: `GET /healthz` (the process is alive) and `GET /readyz` (it serves:
//! the model is loaded and every shard it runs is connected), for a supervisor or a container
//! orchestrator. Both answer JSON; `/readyz` answers 503 until ready.

use crate::app::App;
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

/// What the process is, as `/healthz` and `/readyz` name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// `marquee serve`: the Discord bot.
    Serve,
    /// `marquee trainer`: no Discord connection.
    Trainer,
}

impl Role {
    fn name(self) -> &'static str {
        match self {
            Role::Serve => "serve",
            Role::Trainer => "trainer",
        }
    }
}

/// The shards' states as the gateway reports them, shared with the Discord adapter.
#[derive(Debug, Default)]
pub struct Shards {
    /// Shard id → its connection stage (`Connected`, `Identifying`, `Resuming`, …).
    stages: Mutex<BTreeMap<u32, String>>,
    /// How many shards this process runs, when known before they start.
    expected: Mutex<Option<u32>>,
}

impl Shards {
    /// This process runs `n` shards.
    pub fn expect(&self, n: u32) {
        *self.expected.lock().unwrap_or_else(PoisonError::into_inner) = Some(n);
    }

    /// Shard `id` is now at `stage`.
    pub fn set(&self, id: u32, stage: &str) {
        self.stages
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, stage.to_owned());
    }

    /// Whether every shard this process runs is connected.
    pub fn all_connected(&self) -> bool {
        self.report().1
    }

    /// Every shard's stage, and whether all the expected ones are connected.
    fn report(&self) -> (BTreeMap<u32, String>, bool) {
        let stages = self
            .stages
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let expected = *self.expected.lock().unwrap_or_else(PoisonError::into_inner);
        let connected = stages.values().filter(|s| *s == "Connected").count();
        let all = match expected {
            Some(n) => connected == n as usize,
            None => !stages.is_empty() && connected == stages.len(),
        };
        (stages, all)
    }
}

#[derive(Clone)]
struct Probe {
    app: Arc<App>,
    shards: Arc<Shards>,
    role: Role,
}

/// Binds `addr` and answers the probes in the background until the process ends.
///
/// # Errors
/// The address cannot be bound (in use, not local, no permission).
pub async fn serve(
    addr: SocketAddr,
    app: Arc<App>,
    shards: Arc<Shards>,
    role: Role,
) -> anyhow::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot answer health checks on {addr}: {e}"))?;
    let bound = listener.local_addr()?;
    let router = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(Probe { app, shards, role });
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            tracing::error!(error = %e, "the health endpoint stopped");
        }
    });
    tracing::info!(address = %bound, "answering /healthz and /readyz");
    Ok(bound)
}

async fn healthz(State(p): State<Probe>) -> Json<Value> {
    Json(json!({"status": "alive", "role": p.role.name()}))
}

async fn readyz(State(p): State<Probe>) -> (StatusCode, Json<Value>) {
    let version = p.app.model_version();
    let (stages, connected) = p.shards.report();
    let ready = version.is_some() && (p.role == Role::Trainer || connected);
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "ready": ready,
        "role": p.role.name(),
        "model_version": version,
        "shards": stages,
    });
    (status, Json(body))
}
