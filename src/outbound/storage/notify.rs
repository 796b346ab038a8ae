//! News of models stored by another process: PostgreSQL `LISTEN` on
//! [`MODEL_CHANNEL`](super::models::MODEL_CHANNEL). The trainer's `NOTIFY` is delivered at the
//! commit that stores a model and names only its version; a notification sent while the
//! connection was down is lost, so a reconnect is news too (the listener must look again). On
//! SQLite there is no other process to hear from: the watch waits forever, and the caller's own
//! slow poll is all there is.

use super::models::MODEL_CHANNEL;
use super::{Pool, Store, describe, map_err};
use crate::domain::error::StoreError;
use sqlx::postgres::PgListener;
use std::time::Duration;

/// What a [`ModelWatch`] heard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelNews {
    /// A model was stored with this version.
    Stored(i64),
    /// The connection was lost and is being made again: news may have been missed.
    Reconnected,
}

/// A listener for [`ModelNews`] (see the module docs).
#[derive(Debug)]
pub struct ModelWatch {
    listener: Option<PgListener>,
}

impl Store {
    /// Starts listening for new models (on SQLite, a watch that never hears anything).
    ///
    /// # Errors
    /// The listening connection cannot be made.
    pub async fn watch_models(&self) -> Result<ModelWatch, StoreError> {
        match &self.pool {
            Pool::Sqlite(_) => Ok(ModelWatch { listener: None }),
            Pool::Postgres(pool) => {
                let op = "listen for new models";
                let mut listener = PgListener::connect_with(pool)
                    .await
                    .map_err(|e| map_err(op, &e))?;
                listener
                    .listen(MODEL_CHANNEL)
                    .await
                    .map_err(|e| map_err(op, &e))?;
                Ok(ModelWatch {
                    listener: Some(listener),
                })
            }
        }
    }
}

impl ModelWatch {
    /// Waits for the next news. After [`ModelNews::Reconnected`] the next call connects again
    /// (and listens again), waiting a second between failed tries.
    pub async fn next(&mut self) -> ModelNews {
        let Some(listener) = self.listener.as_mut() else {
            return std::future::pending().await;
        };
        match listener.try_recv().await {
            Ok(Some(n)) => n
                .payload()
                .trim()
                .parse()
                .map_or(ModelNews::Reconnected, ModelNews::Stored),
            Ok(None) => ModelNews::Reconnected,
            Err(e) => {
                tracing::warn!(error = %describe(&e), "listening for new models failed; trying again");
                tokio::time::sleep(Duration::from_secs(1)).await;
                ModelNews::Reconnected
            }
        }
    }
}

/// A turn to IDENTIFY on Discord's gateway, shared by every process on the database: Discord
/// allows one IDENTIFY per 5 s per rate-limit bucket, and processes started together would
/// otherwise all identify at once. On PostgreSQL it is a session advisory lock per bucket, on a
/// connection of its own (freed by [`IdentifyTurn::release`], or by the database when the
/// process dies); on SQLite (one process) it is free at once.
#[derive(Debug)]
pub struct IdentifyTurn {
    held: Option<(sqlx::pool::PoolConnection<sqlx::Postgres>, i64)>,
}

/// The advisory lock key of identify bucket 0 ("MQid"); bucket `b` is this plus `b`.
const IDENTIFY_LOCK_KEY: i64 = 0x004d_5169_6400;

impl Store {
    /// Waits for the turn of identify bucket `bucket` (see [`IdentifyTurn`]).
    ///
    /// # Errors
    /// The database cannot be reached.
    pub async fn identify_turn(&self, bucket: u32) -> Result<IdentifyTurn, StoreError> {
        match &self.pool {
            Pool::Sqlite(_) => Ok(IdentifyTurn { held: None }),
            Pool::Postgres(pool) => {
                let op = "wait for the turn to identify";
                let key = IDENTIFY_LOCK_KEY + i64::from(bucket);
                let mut conn = pool.acquire().await.map_err(|e| map_err(op, &e))?;
                sqlx::query("SELECT pg_advisory_lock($1)")
                    .bind(key)
                    .execute(&mut *conn)
                    .await
                    .map_err(|e| map_err(op, &e))?;
                Ok(IdentifyTurn {
                    held: Some((conn, key)),
                })
            }
        }
    }
}

impl IdentifyTurn {
    /// Gives the turn to the next process.
    pub async fn release(self) {
        if let Some((mut conn, key)) = self.held {
            let freed = sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(key)
                .execute(&mut *conn)
                .await;
            if freed.is_err() {
                // The lock lives as long as the session: end it rather than return it locked.
                let _ = conn.detach();
            }
        }
    }
}
