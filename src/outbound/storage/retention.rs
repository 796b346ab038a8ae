//! The retention port on both backends: the servers Marquee is in (and when it was removed), a
//! server's deletion, and purging what is kept only for a while.

use super::parties::without_invitations;
use super::{Store, retry, with_pool};
use crate::domain::ids::{GuildId, UserId};
use crate::domain::ports::{Purged, RetentionRepo, StoreResult};

impl RetentionRepo for Store {
    async fn server_joined(&self, server: GuildId, name: &str, at_ms: i64) -> StoreResult<()> {
        with_pool!(self, pool => retry("remember a server", || async move {
            sqlx::query(
                "INSERT INTO servers (id, name, joined_at, left_at) VALUES ($1, $2, $3, NULL) \
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, left_at = NULL",
            )
            .bind(server.0)
            .bind(name)
            .bind(at_ms)
            .execute(pool)
            .await
            .map(|_| ())
        }).await)
    }

    async fn server_left(&self, server: GuildId, at_ms: i64) -> StoreResult<()> {
        with_pool!(self, pool => retry("note a server left", || async move {
            sqlx::query(
                "INSERT INTO servers (id, name, joined_at, left_at) VALUES ($1, '', $2, $2) \
                 ON CONFLICT (id) DO UPDATE SET left_at = excluded.left_at",
            )
            .bind(server.0)
            .bind(at_ms)
            .execute(pool)
            .await
            .map(|_| ())
        }).await)
    }

    async fn servers_left_before(&self, cutoff_ms: i64) -> StoreResult<Vec<GuildId>> {
        let ids: Vec<i64> = with_pool!(self, pool => retry("servers to delete", || async move {
            sqlx::query_scalar("SELECT id FROM servers WHERE left_at IS NOT NULL AND left_at < $1 ORDER BY id")
                .bind(cutoff_ms)
                .fetch_all(pool)
                .await
        }).await)?;
        Ok(ids.into_iter().map(GuildId).collect())
    }

    async fn servers_present(&self) -> StoreResult<Vec<GuildId>> {
        let ids: Vec<i64> = with_pool!(self, pool => retry("servers present", || async move {
            sqlx::query_scalar("SELECT id FROM servers WHERE left_at IS NULL ORDER BY id")
                .fetch_all(pool)
                .await
        }).await)?;
        Ok(ids.into_iter().map(GuildId).collect())
    }

    async fn delete_server(&self, server: GuildId) -> StoreResult<()> {
        let id = server.0;
        with_pool!(self, pool => retry("delete a server", || async move {
            let mut tx = pool.begin().await?;
            for sql in [
                "DELETE FROM watch_parties WHERE guild_id = $1",
                "DELETE FROM guild_fairness WHERE guild_id = $1",
                "DELETE FROM impressions WHERE guild_id = $1",
                "DELETE FROM forgotten WHERE guild_id = $1",
                "DELETE FROM servers WHERE id = $1",
            ] {
                sqlx::query(sql).bind(id).execute(&mut *tx).await?;
            }
            sqlx::query("DELETE FROM experiment_runs WHERE scope = $1")
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM experiment_assignments WHERE unit_id = $1")
                .bind(format!("guild:{id}"))
                .execute(&mut *tx)
                .await?;
            tx.commit().await
        }).await)
    }

    async fn users_of_server(&self, server: GuildId) -> StoreResult<Vec<UserId>> {
        let ids: Vec<i64> = with_pool!(self, pool => retry("a server's users", || async move {
            sqlx::query_scalar("SELECT id FROM users WHERE guild_id = $1 ORDER BY id")
                .bind(server.0)
                .fetch_all(pool)
                .await
        }).await)?;
        Ok(ids.into_iter().map(UserId).collect())
    }

    async fn purge(
        &self,
        now_ms: i64,
        impressions_before_ms: i64,
        lobbies_before_ms: i64,
    ) -> StoreResult<Purged> {
        with_pool!(self, pool => retry("purge old data", || async move {
            let conversations = sqlx::query("DELETE FROM conversations WHERE expires_at <= $1")
                .bind(now_ms)
                .execute(pool)
                .await?
                .rows_affected();
            let impressions = sqlx::query("DELETE FROM impressions WHERE created_at < $1")
                .bind(impressions_before_ms)
                .execute(pool)
                .await?
                .rows_affected();
            sqlx::query("DELETE FROM conversation_lists WHERE created_at < $1")
                .bind(impressions_before_ms)
                .execute(pool)
                .await?;
            // Rows of a history import never chosen for: as long as a list's films.
            sqlx::query("DELETE FROM history_choices WHERE chosen IS NULL AND created_at < $1")
                .bind(impressions_before_ms)
                .execute(pool)
                .await?;
            let stale: Vec<(i64, String)> = sqlx::query_as(
                "SELECT id, params FROM watch_parties WHERE status = 'lobby' AND created_at < $1",
            )
            .bind(lobbies_before_ms)
            .fetch_all(pool)
            .await?;
            let mut lobbies = 0;
            for (id, params) in stale {
                let params = without_invitations(&params, None).unwrap_or(params);
                lobbies += sqlx::query(
                    "UPDATE watch_parties SET status = 'cancelled', closed_at = $2, params = $3 \
                     WHERE id = $1 AND status = 'lobby'",
                )
                .bind(id)
                .bind(now_ms)
                .bind(params)
                .execute(pool)
                .await?
                .rows_affected();
            }
            // Keys of writes that must happen once: a retry comes within seconds, so a day
            // is plenty.
            sqlx::query("DELETE FROM applied_actions WHERE applied_at < $1")
                .bind(now_ms - 86_400_000)
                .execute(pool)
                .await?;
            let tombstones = sqlx::query("DELETE FROM forgotten WHERE forgotten_at < $1")
                .bind(impressions_before_ms)
                .execute(pool)
                .await?
                .rows_affected();
            let stray_assignments = sqlx::query(
                // CASE: the cast must never see another kind of unit ('guild:…').
                "DELETE FROM experiment_assignments WHERE unit_id LIKE 'user:%' AND NOT EXISTS \
                 (SELECT 1 FROM users WHERE users.id = CASE WHEN experiment_assignments.unit_id LIKE 'user:%' \
                 THEN CAST(SUBSTR(experiment_assignments.unit_id, 6) AS BIGINT) END)",
            )
            .execute(pool)
            .await?
            .rows_affected();
            Ok(Purged {
                conversations,
                impressions,
                lobbies,
                tombstones,
                stray_assignments,
            })
        }).await)
    }
}
