//! Keeping data only as long as it is needed: a server that removed Marquee is deleted after
//! a grace period (in case it was a mistake); expired `/ask` state and old lists are purged;
//! lobbies that never started are called off. A background job runs [`sweep`].

use crate::app::privacy;
use crate::app::services::Services;
use crate::domain::ids::GuildId;
use crate::domain::ports::{PrivacyRepo as _, Purged, RetentionRepo as _};

const DAY_MS: i64 = 86_400_000;

/// How long things are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Days a removed server's data is kept before it is deleted (default 30).
    pub server_grace_days: u32,
    /// Days a shown list is kept (what reactions on it need; default 90).
    pub list_days: u32,
    /// Hours a watch-party lobby may wait for its Pick (default 24).
    pub lobby_hours: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            server_grace_days: 30,
            list_days: 90,
            lobby_hours: 24,
        }
    }
}

/// What one sweep deleted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Swept {
    /// Servers whose grace period ended, deleted with everyone's data there.
    pub servers: Vec<GuildId>,
    pub purged: Purged,
}

/// Marquee is in `server` (again); a pending deletion is called off.
///
/// # Errors
/// Storage fails.
pub async fn joined(s: &Services, server: GuildId, name: &str) -> anyhow::Result<()> {
    Ok(s.store.server_joined(server, name, s.now_ms()).await?)
}

/// Marquee was removed from `server`: its data goes after the grace period.
///
/// # Errors
/// Storage fails.
pub async fn left(s: &Services, server: GuildId) -> anyhow::Result<()> {
    Ok(s.store.server_left(server, s.now_ms()).await?)
}

/// Discord's list of the servers Marquee is in, at connection (`present`, for the servers
/// `mine` says this connection serves: one shard sees only its own): a server Marquee was
/// removed from while it was not running is noted as left now. Returns those servers.
///
/// # Errors
/// Storage fails.
pub async fn reconcile(
    s: &Services,
    present: &[GuildId],
    mine: impl Fn(GuildId) -> bool,
) -> anyhow::Result<Vec<GuildId>> {
    let mut gone = Vec::new();
    for server in s.store.servers_present().await? {
        if server.0 > 0 && mine(server) && !present.contains(&server) {
            s.store.server_left(server, s.now_ms()).await?;
            gone.push(server);
        }
    }
    Ok(gone)
}

/// Deletes the servers whose grace period ended and purges what is kept only for a while.
///
/// # Errors
/// Storage fails.
pub async fn sweep(s: &Services, keep: &Retention) -> anyhow::Result<Swept> {
    let now = s.now_ms();
    let cutoff = now - i64::from(keep.server_grace_days) * DAY_MS;
    let servers = s.store.servers_left_before(cutoff).await?;
    for server in &servers {
        let users = s.store.users_of_server(*server).await?;
        s.store.forget_users(&users).await?;
        privacy::scrub_models(s, &users).await?;
        s.forget_cached_users(&users);
        s.store.delete_server(*server).await?;
        tracing::info!(server = %server, people = users.len(), "deleted a server Marquee left");
    }
    let purged = s
        .store
        .purge(
            now,
            now - i64::from(keep.list_days) * DAY_MS,
            now - i64::from(keep.lobby_hours) * 3_600_000,
        )
        .await?;
    Ok(Swept { servers, purged })
}
