//! The model port on both backends: snapshots as blobs, newest wins, older ones pruned.

use super::{Pool, Store, retry, with_pool};
use crate::domain::ports::{ModelRepo, ModelToSave, StoreResult, StoredModel};

/// The PostgreSQL `NOTIFY` channel on which a new model's version (the recommender snapshot's
/// id, as text) is announced, at the commit that stores it.
pub const MODEL_CHANNEL: &str = "marquee_models";

/// Snapshots of one kind kept after a save (the newest ones).
const KEEP: i64 = 3;

#[derive(Debug, sqlx::FromRow)]
struct ModelRow {
    id: i64,
    kind: String,
    format: i64,
    data: Vec<u8>,
    events_seen: i64,
    created_at: i64,
}

impl ModelRepo for Store {
    async fn save_model(
        &self,
        kind: &str,
        format: i64,
        data: &[u8],
        events_seen: i64,
        created_at_ms: i64,
    ) -> StoreResult<i64> {
        let ids = self
            .save_models(
                &[ModelToSave { kind, format, data }],
                events_seen,
                created_at_ms,
            )
            .await?;
        Ok(ids.first().copied().unwrap_or_default())
    }

    async fn replace_models(
        &self,
        kind: &str,
        format: i64,
        data: &[u8],
        events_seen: i64,
        created_at_ms: i64,
    ) -> StoreResult<i64> {
        let postgres = matches!(self.pool, Pool::Postgres(_));
        with_pool!(self, pool => retry("replace models", || async move {
            let mut tx = pool.begin().await?;
            let id = sqlx::query_scalar::<_, i64>(
                "INSERT INTO model_snapshots (kind, format, data, events_seen, created_at) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(kind)
            .bind(format)
            .bind(data)
            .bind(events_seen)
            .bind(created_at_ms)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM model_snapshots WHERE kind = $1 AND id <> $2")
                .bind(kind)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            if postgres {
                sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(MODEL_CHANNEL)
                    .bind(id.to_string())
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(id)
        }).await)
    }

    async fn save_models(
        &self,
        models: &[ModelToSave<'_>],
        events_seen: i64,
        created_at_ms: i64,
    ) -> StoreResult<Vec<i64>> {
        let postgres = matches!(self.pool, Pool::Postgres(_));
        with_pool!(self, pool => retry("save models", || async move {
            let mut tx = pool.begin().await?;
            let mut ids = Vec::with_capacity(models.len());
            for m in models {
                let id = sqlx::query_scalar::<_, i64>(
                    "INSERT INTO model_snapshots (kind, format, data, events_seen, created_at) \
                     VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(m.kind)
                .bind(m.format)
                .bind(m.data)
                .bind(events_seen)
                .bind(created_at_ms)
                .fetch_one(&mut *tx)
                .await?;
                sqlx::query(
                    "DELETE FROM model_snapshots WHERE kind = $1 AND id NOT IN \
                     (SELECT id FROM model_snapshots WHERE kind = $1 ORDER BY id DESC LIMIT $2)",
                )
                .bind(m.kind)
                .bind(KEEP)
                .execute(&mut *tx)
                .await?;
                ids.push(id);
            }
            if postgres && let Some(first) = ids.first() {
                // Delivered at commit, to every listening process; nothing on a rollback.
                sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(MODEL_CHANNEL)
                    .bind(first.to_string())
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(ids)
        }).await)
    }

    async fn latest_model_id(&self, kind: &str) -> StoreResult<Option<i64>> {
        with_pool!(self, pool => retry("newest model version", || async move {
            sqlx::query_scalar::<_, Option<i64>>(
                "SELECT MAX(id) FROM model_snapshots WHERE kind = $1",
            )
            .bind(kind)
            .fetch_one(pool)
            .await
        }).await)
    }

    async fn delete_models(&self, kind: &str) -> StoreResult<()> {
        with_pool!(self, pool => retry("delete models", || async move {
            sqlx::query("DELETE FROM model_snapshots WHERE kind = $1")
                .bind(kind)
                .execute(pool)
                .await
                .map(|_| ())
        }).await)
    }

    async fn latest_model(&self, kind: &str) -> StoreResult<Option<StoredModel>> {
        let row = with_pool!(self, pool => retry("load model", || async move {
            sqlx::query_as::<_, ModelRow>(
                "SELECT id, kind, format, data, events_seen, created_at FROM model_snapshots \
                 WHERE kind = $1 ORDER BY id DESC LIMIT 1",
            )
            .bind(kind)
            .fetch_optional(pool)
            .await
        }).await)?;
        Ok(row.map(|r| StoredModel {
            id: r.id,
            kind: r.kind,
            format: r.format,
            data: r.data,
            events_seen: r.events_seen,
            created_at_ms: r.created_at,
        }))
    }
}
