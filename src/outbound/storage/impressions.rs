//! The impression port on both backends: which film was shown at which position of which
//! suggestion message, so a reaction on the message finds its film.

use super::{Store, retry, with_pool};
use crate::domain::error::StoreError;
use crate::domain::ids::{GuildId, MovieId, UserId};
use crate::domain::ports::{Impression, ImpressionRepo, NewImpression, StoreResult, Surface};

const COLUMNS: &str =
    "id, message_id, channel_id, guild_id, user_id, movie_id, position, surface, created_at";

#[derive(Debug, sqlx::FromRow)]
struct ImpressionRow {
    id: i64,
    message_id: i64,
    channel_id: Option<i64>,
    guild_id: Option<i64>,
    user_id: i64,
    movie_id: i64,
    position: i64,
    surface: String,
    created_at: i64,
}

impl TryFrom<ImpressionRow> for Impression {
    type Error = StoreError;

    fn try_from(r: ImpressionRow) -> Result<Self, Self::Error> {
        let surface = Surface::parse(&r.surface).ok_or_else(|| {
            StoreError::Invalid(format!(
                "impression {}: unknown surface {:?}",
                r.id, r.surface
            ))
        })?;
        let position = u32::try_from(r.position).map_err(|_| {
            StoreError::Invalid(format!("impression {}: position {}", r.id, r.position))
        })?;
        Ok(Impression {
            id: r.id,
            shown: NewImpression {
                message_id: r.message_id,
                channel: r.channel_id,
                guild: r.guild_id.map(GuildId),
                user: UserId(r.user_id),
                movie: MovieId(r.movie_id),
                position,
                surface,
                created_at_ms: r.created_at,
            },
        })
    }
}

impl ImpressionRepo for Store {
    async fn record_impressions(&self, rows: &[NewImpression]) -> StoreResult<u64> {
        if rows.is_empty() {
            return Ok(0);
        }
        with_pool!(self, pool => retry("record impressions", || async move {
            let mut tx = pool.begin().await?;
            let mut added = 0;
            for r in rows {
                added += sqlx::query(
                    "INSERT INTO impressions (message_id, channel_id, guild_id, user_id, movie_id, \
                     position, surface, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                     ON CONFLICT (message_id, position) DO NOTHING",
                )
                .bind(r.message_id)
                .bind(r.channel)
                .bind(r.guild.map(|g| g.0))
                .bind(r.user.0)
                .bind(r.movie.0)
                .bind(i64::from(r.position))
                .bind(r.surface.as_str())
                .bind(r.created_at_ms)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            }
            tx.commit().await?;
            Ok(added)
        }).await)
    }

    async fn impression(&self, message_id: i64, position: u32) -> StoreResult<Option<Impression>> {
        let row = with_pool!(self, pool => retry("find impression", || async move {
            sqlx::query_as::<_, ImpressionRow>(&format!(
                "SELECT {COLUMNS} FROM impressions WHERE message_id = $1 AND position = $2"
            ))
            .bind(message_id)
            .bind(i64::from(position))
            .fetch_optional(pool)
            .await
        }).await)?;
        row.map(Impression::try_from).transpose()
    }

    async fn impressions_of_message(&self, message_id: i64) -> StoreResult<Vec<Impression>> {
        let rows = with_pool!(self, pool => retry("list impressions", || async move {
            sqlx::query_as::<_, ImpressionRow>(&format!(
                "SELECT {COLUMNS} FROM impressions WHERE message_id = $1 ORDER BY position"
            ))
            .bind(message_id)
            .fetch_all(pool)
            .await
        }).await)?;
        rows.into_iter().map(Impression::try_from).collect()
    }

    async fn latest_message_for(&self, user: UserId) -> StoreResult<Option<i64>> {
        with_pool!(self, pool => retry("latest list of a user", || async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT message_id FROM impressions WHERE user_id = $1 \
                 ORDER BY created_at DESC, id DESC LIMIT 1",
            )
            .bind(user.0)
            .fetch_optional(pool)
            .await
        }).await)
    }

    async fn move_impressions(&self, from: i64, to: i64) -> StoreResult<u64> {
        with_pool!(self, pool => retry("move impressions", || async move {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "DELETE FROM impressions WHERE message_id = $1 \
                 AND EXISTS (SELECT 1 FROM impressions WHERE message_id = $2)",
            )
            .bind(from)
            .bind(to)
            .execute(&mut *tx)
            .await?;
            let moved = sqlx::query("UPDATE impressions SET message_id = $2 WHERE message_id = $1")
                .bind(from)
                .bind(to)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            // An /ask list's conversation goes with it (or is dropped when `to` has one).
            sqlx::query(
                "DELETE FROM conversation_lists WHERE message_id = $1 \
                 AND EXISTS (SELECT 1 FROM conversation_lists WHERE message_id = $2)",
            )
            .bind(from)
            .bind(to)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE conversation_lists SET message_id = $2 WHERE message_id = $1")
                .bind(from)
                .bind(to)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(moved)
        }).await)
    }
}
