//! The experiment port on both backends: definitions, where each runs (a server, or everywhere),
//! sticky assignments, and the outcomes of what each variant showed, attributed from the
//! feedback on those very suggestions.

use super::{Store, retry, with_pool};
use crate::domain::error::StoreError;
use crate::domain::ids::GuildId;
use crate::domain::ports::{
    ExperimentRepo, ExperimentRun, RunScope, StoreResult, StoredExperiment, VariantOutcomes,
};

/// A run's scope as stored: `all`, or the server's id.
fn scope_text(scope: RunScope) -> String {
    match scope {
        RunScope::Everywhere => "all".to_owned(),
        RunScope::Server(g) => g.0.to_string(),
    }
}

fn scope_of(text: &str) -> Option<RunScope> {
    if text == "all" {
        return Some(RunScope::Everywhere);
    }
    text.parse::<i64>()
        .ok()
        .map(|g| RunScope::Server(GuildId(g)))
}

/// A like: a standing reaction or button worth 3.5★ or more on the shown film, by the person it
/// was shown to (a reaction taken back later does not count).
const LIKED: &str = "EXISTS (SELECT 1 FROM feedback_events f WHERE f.user_id = i.user_id \
     AND f.movie_id = i.movie_id AND f.message_id = i.message_id \
     AND f.kind IN ('reaction', 'button') AND f.value >= 3.5 \
     AND NOT EXISTS (SELECT 1 FROM feedback_events r WHERE r.user_id = f.user_id \
         AND r.movie_id = f.movie_id AND r.message_id = f.message_id \
         AND r.kind = 'reaction_removed' AND r.raw = f.raw AND r.id > f.id))";

const TURNED_DOWN: &str = "EXISTS (SELECT 1 FROM feedback_events f WHERE f.user_id = i.user_id \
     AND f.movie_id = i.movie_id AND f.message_id = i.message_id AND f.kind = 'not_interested')";

const RATED_LATER: &str = "EXISTS (SELECT 1 FROM feedback_events f WHERE f.user_id = i.user_id \
     AND f.movie_id = i.movie_id AND f.kind = 'rating' AND f.created_at >= i.created_at)";

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

impl ExperimentRepo for Store {
    async fn sync_experiment(
        &self,
        key: &str,
        layer: &str,
        unit: &str,
        definition: &str,
        version: i64,
    ) -> StoreResult<()> {
        with_pool!(self, pool => retry("store an experiment", || async move {
            sqlx::query(
                "INSERT INTO experiments (key, layer, unit, definition, version) \
                 VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (key) DO UPDATE SET layer = excluded.layer, unit = excluded.unit, \
                 definition = excluded.definition, version = excluded.version",
            )
            .bind(key)
            .bind(layer)
            .bind(unit)
            .bind(definition)
            .bind(version)
            .execute(pool)
            .await
            .map(|_| ())
        }).await)
    }

    async fn experiments(&self) -> StoreResult<Vec<StoredExperiment>> {
        let rows = with_pool!(self, pool => retry("list experiments", || async move {
            sqlx::query_as::<_, (String, String, i64)>(
                "SELECT key, definition, version FROM experiments ORDER BY key",
            )
            .fetch_all(pool)
            .await
        }).await)?;
        Ok(rows
            .into_iter()
            .map(|(key, definition, version)| StoredExperiment {
                key,
                definition,
                version,
            })
            .collect())
    }

    async fn experiment_runs(&self) -> StoreResult<Vec<ExperimentRun>> {
        let rows = with_pool!(self, pool => retry("list experiment runs", || async move {
            sqlx::query_as::<_, (String, String, String, i64, Option<i64>)>(
                "SELECT experiment_key, scope, status, started_at, stopped_at \
                 FROM experiment_runs ORDER BY experiment_key, scope",
            )
            .fetch_all(pool)
            .await
        }).await)?;
        Ok(rows
            .into_iter()
            .filter_map(|(key, scope, status, started_at_ms, stopped_at_ms)| {
                Some(ExperimentRun {
                    key,
                    scope: scope_of(&scope)?,
                    running: status == "running",
                    started_at_ms,
                    stopped_at_ms,
                })
            })
            .collect())
    }

    async fn set_experiment_run(
        &self,
        key: &str,
        scope: RunScope,
        running: bool,
        now_ms: i64,
    ) -> StoreResult<()> {
        let scope = &scope_text(scope);
        let known = with_pool!(self, pool => retry("change where an experiment runs", || async move {
            let mut tx = pool.begin().await?;
            let known: Option<String> = sqlx::query_scalar("SELECT key FROM experiments WHERE key = $1")
                .bind(key)
                .fetch_optional(&mut *tx)
                .await?;
            if known.is_some() {
                let sql = if running {
                    "INSERT INTO experiment_runs (experiment_key, scope, status, started_at, stopped_at) \
                     VALUES ($1, $2, 'running', $3, NULL) ON CONFLICT (experiment_key, scope) \
                     DO UPDATE SET status = 'running', stopped_at = NULL"
                } else {
                    "UPDATE experiment_runs SET status = 'stopped', stopped_at = $3 \
                     WHERE experiment_key = $1 AND scope = $2"
                };
                sqlx::query(sql)
                    .bind(key)
                    .bind(scope)
                    .bind(now_ms)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(known.is_some())
        }).await)?;
        if known {
            Ok(())
        } else {
            Err(StoreError::NotFound {
                what: format!("experiment {key}"),
            })
        }
    }

    async fn assign_variant(
        &self,
        key: &str,
        unit: &str,
        variant: &str,
        now_ms: i64,
    ) -> StoreResult<String> {
        with_pool!(self, pool => retry("assign a variant", || async move {
            sqlx::query(
                "INSERT INTO experiment_assignments (experiment_key, unit_id, variant, assigned_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (experiment_key, unit_id) DO NOTHING",
            )
            .bind(key)
            .bind(unit)
            .bind(variant)
            .bind(now_ms)
            .execute(pool)
            .await?;
            sqlx::query_scalar::<_, String>(
                "SELECT variant FROM experiment_assignments WHERE experiment_key = $1 AND unit_id = $2",
            )
            .bind(key)
            .bind(unit)
            .fetch_one(pool)
            .await
        }).await)
    }

    async fn assignments_of(&self, unit: &str) -> StoreResult<Vec<(String, String)>> {
        with_pool!(self, pool => retry("read a unit's assignments", || async move {
            sqlx::query_as::<_, (String, String)>(
                "SELECT experiment_key, variant FROM experiment_assignments WHERE unit_id = $1 \
                 ORDER BY experiment_key",
            )
            .bind(unit)
            .fetch_all(pool)
            .await
        }).await)
    }

    async fn tag_impressions(&self, message_id: i64, key: &str, variant: &str) -> StoreResult<u64> {
        with_pool!(self, pool => retry("attribute a list to a variant", || async move {
            sqlx::query(
                "UPDATE impressions SET experiment_key = $2, variant = $3 WHERE message_id = $1",
            )
            .bind(message_id)
            .bind(key)
            .bind(variant)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
        }).await)
    }

    async fn mark_refreshed(&self, message_id: i64) -> StoreResult<u64> {
        with_pool!(self, pool => retry("mark a list refreshed", || async move {
            sqlx::query("UPDATE impressions SET refreshed = 1 WHERE message_id = $1")
                .bind(message_id)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        }).await)
    }

    async fn variant_outcomes(
        &self,
        key: &str,
        server: Option<GuildId>,
        until_ms: Option<i64>,
    ) -> StoreResult<Vec<VariantOutcomes>> {
        let sql = format!(
            "SELECT i.variant, COUNT(DISTINCT i.user_id), COUNT(*), \
             COALESCE(SUM(CASE WHEN {LIKED} THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN {TURNED_DOWN} THEN 1 ELSE 0 END), 0), \
             COALESCE(CAST(SUM(i.refreshed) AS BIGINT), 0), \
             COALESCE(SUM(CASE WHEN {RATED_LATER} THEN 1 ELSE 0 END), 0) \
             FROM impressions i WHERE i.experiment_key = $1 AND i.variant IS NOT NULL \
             AND i.created_at <= $2 AND ($3 IS NULL OR i.guild_id = $3) \
             GROUP BY i.variant ORDER BY i.variant"
        );
        let until = until_ms.unwrap_or(i64::MAX);
        let rows = with_pool!(self, pool => retry("count experiment outcomes", || async {
            sqlx::query_as::<_, (String, i64, i64, i64, i64, i64, i64)>(&sql)
                .bind(key)
                .bind(until)
                .bind(server.map(|g| g.0))
                .fetch_all(pool)
                .await
        }).await)?;
        Ok(rows
            .into_iter()
            .map(
                |(variant, units, exposures, likes, nopes, refreshes, ratings)| VariantOutcomes {
                    variant,
                    units: count(units),
                    exposures: count(exposures),
                    likes: count(likes),
                    not_interested: count(nopes),
                    refreshes: count(refreshes),
                    ratings: count(ratings),
                },
            )
            .collect())
    }
}

impl crate::domain::ports::ConversationRepo for Store {
    async fn conversation(
        &self,
        user: crate::domain::ids::UserId,
        channel: i64,
        now_ms: i64,
    ) -> StoreResult<Option<String>> {
        with_pool!(self, pool => retry("read a conversation", || async move {
            sqlx::query_scalar::<_, String>(
                "SELECT state FROM conversations WHERE user_id = $1 AND channel_id = $2 \
                 AND expires_at > $3",
            )
            .bind(user.0)
            .bind(channel)
            .bind(now_ms)
            .fetch_optional(pool)
            .await
        }).await)
    }

    async fn save_conversation(
        &self,
        user: crate::domain::ids::UserId,
        channel: i64,
        state: &str,
        now_ms: i64,
        expires_ms: i64,
    ) -> StoreResult<()> {
        with_pool!(self, pool => retry("store a conversation", || async move {
            sqlx::query(
                "INSERT INTO conversations (user_id, channel_id, state, updated_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, channel_id) DO UPDATE SET \
                 state = excluded.state, updated_at = excluded.updated_at, expires_at = excluded.expires_at",
            )
            .bind(user.0)
            .bind(channel)
            .bind(state)
            .bind(now_ms)
            .bind(expires_ms)
            .execute(pool)
            .await
            .map(|_| ())
        }).await)
    }

    async fn remember_turn(
        &self,
        conversation: i64,
        list: Option<i64>,
        named: &[crate::domain::ids::MovieId],
        now_ms: i64,
    ) -> StoreResult<()> {
        with_pool!(self, pool => retry("note a conversation's films", || async move {
            let mut tx = pool.begin().await?;
            if let Some(list) = list {
                sqlx::query(
                    "INSERT INTO conversation_lists (message_id, conversation, created_at) \
                     VALUES ($1, $2, $3) ON CONFLICT (message_id) DO NOTHING",
                )
                .bind(list)
                .bind(conversation)
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
            }
            for m in named {
                sqlx::query(
                    "INSERT INTO conversation_films (conversation, movie_id, accepted, created_at) \
                     VALUES ($1, $2, 0, $3) ON CONFLICT (conversation, movie_id) DO NOTHING",
                )
                .bind(conversation)
                .bind(m.0)
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await
        }).await)
    }

    async fn accept_suggestion(
        &self,
        list: Option<i64>,
        user: crate::domain::ids::UserId,
        movie: crate::domain::ids::MovieId,
        now_ms: i64,
    ) -> StoreResult<u64> {
        with_pool!(self, pool => retry("note an accepted suggestion", || async move {
            let found = match list {
                Some(list) => sqlx::query(
                    "INSERT INTO conversation_films (conversation, movie_id, accepted, created_at) \
                     SELECT l.conversation, i.movie_id, 1, $3 FROM conversation_lists l \
                     JOIN impressions i ON i.message_id = l.message_id \
                     WHERE l.message_id = $1 AND i.movie_id = $2 AND i.surface = 'ask' \
                     ON CONFLICT (conversation, movie_id) DO NOTHING",
                )
                .bind(list)
                .bind(movie.0)
                .bind(now_ms),
                None => sqlx::query(
                    "INSERT INTO conversation_films (conversation, movie_id, accepted, created_at) \
                     SELECT DISTINCT l.conversation, i.movie_id, 1, $3 FROM impressions i \
                     JOIN conversation_lists l ON l.message_id = i.message_id \
                     WHERE i.user_id = $1 AND i.movie_id = $2 AND i.surface = 'ask' \
                     ON CONFLICT (conversation, movie_id) DO NOTHING",
                )
                .bind(user.0)
                .bind(movie.0)
                .bind(now_ms),
            };
            found.execute(pool).await.map(|r| r.rows_affected())
        }).await)
    }

    async fn conversation_films(&self) -> StoreResult<Vec<(i64, crate::domain::ids::MovieId)>> {
        let rows: Vec<(i64, i64)> = with_pool!(self, pool => retry("read conversation films", || async move {
            sqlx::query_as(
                "SELECT conversation, movie_id FROM conversation_films \
                 ORDER BY conversation, movie_id",
            )
            .fetch_all(pool)
            .await
        }).await)?;
        Ok(rows
            .into_iter()
            .map(|(c, m)| (c, crate::domain::ids::MovieId(m)))
            .collect())
    }
}
