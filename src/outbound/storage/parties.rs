//! The watch-party port on both backends. A party's state lives here, not in memory, so a
//! restart (or another shard) carries on a vote where it stood; state changes are guarded by
//! the status in the same statement, so two processes never open or close one vote twice.

use super::{Store, retry, with_pool};
use crate::domain::error::StoreError;
use crate::domain::ids::{GuildId, MovieId, PartyId, UserId};
use crate::domain::ports::{
    NewParty, Party, PartyCandidate, PartyClose, PartyRepo, PartyStatus, StoreResult,
};

const COLUMNS: &str = "id, guild_id, channel_id, lobby_message_id, vote_message_id, host_user_id, \
     status, strategy, params, deadline_at, winner_movie_id, scheduled_event_id, created_at, closed_at";

#[derive(Debug, sqlx::FromRow)]
struct PartyRow {
    id: i64,
    guild_id: i64,
    channel_id: i64,
    lobby_message_id: Option<i64>,
    vote_message_id: Option<i64>,
    host_user_id: i64,
    status: String,
    strategy: String,
    params: String,
    deadline_at: Option<i64>,
    winner_movie_id: Option<i64>,
    scheduled_event_id: Option<i64>,
    created_at: i64,
    closed_at: Option<i64>,
}

impl TryFrom<PartyRow> for Party {
    type Error = StoreError;

    fn try_from(r: PartyRow) -> Result<Self, Self::Error> {
        let status = PartyStatus::parse(&r.status).ok_or_else(|| {
            StoreError::Invalid(format!(
                "watch party {}: unknown status {:?}",
                r.id, r.status
            ))
        })?;
        Ok(Party {
            id: PartyId(r.id),
            guild: GuildId(r.guild_id),
            channel: r.channel_id,
            lobby_message: r.lobby_message_id,
            vote_message: r.vote_message_id,
            host: UserId(r.host_user_id),
            status,
            strategy: r.strategy,
            params: r.params,
            deadline_ms: r.deadline_at,
            winner: r.winner_movie_id.map(MovieId),
            scheduled_event: r.scheduled_event_id,
            created_at_ms: r.created_at,
            closed_at_ms: r.closed_at,
        })
    }
}

/// A lobby's options (JSON) without the mentions of the people invited (`only`: without that
/// one mention), or `None` when nothing changes. Invitations are kept only while a lobby waits:
/// someone named by the host has not agreed to anything yet.
pub(super) fn without_invitations(params: &str, only: Option<&str>) -> Option<String> {
    let mut value: serde_json::Value = serde_json::from_str(params).ok()?;
    let invited = value.get_mut("invited")?.as_array_mut()?;
    let before = invited.len();
    match only {
        None => invited.clear(),
        Some(label) => invited.retain(|v| v.as_str() != Some(label)),
    }
    (invited.len() != before).then(|| value.to_string())
}

impl PartyRepo for Store {
    async fn create_party(&self, p: &NewParty) -> StoreResult<PartyId> {
        let id = with_pool!(self, pool => retry("create watch party", || async move {
            let mut tx = pool.begin().await?;
            // A retry of this very attempt: the party it made.
            if let Some(key) = &p.key {
                let made: Option<i64> =
                    sqlx::query_scalar("SELECT result FROM applied_actions WHERE key = $1")
                        .bind(key)
                        .fetch_optional(&mut *tx)
                        .await?;
                if let Some(id) = made {
                    tx.rollback().await?;
                    return Ok(id);
                }
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO watch_parties (guild_id, channel_id, host_user_id, status, strategy, \
                 params, created_at) VALUES ($1, $2, $3, 'lobby', $4, $5, $6) RETURNING id",
            )
            .bind(p.guild.0)
            .bind(p.channel)
            .bind(p.host.0)
            .bind(&p.strategy)
            .bind(&p.params)
            .bind(p.created_at_ms)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO watch_party_members (party_id, user_id, joined_at) VALUES ($1, $2, $3)",
            )
            .bind(id)
            .bind(p.host.0)
            .bind(p.created_at_ms)
            .execute(&mut *tx)
            .await?;
            if let Some(key) = &p.key {
                applied(&mut tx, key, id, p.created_at_ms).await?;
            }
            tx.commit().await?;
            Ok(id)
        }).await)?;
        Ok(PartyId(id))
    }

    async fn party(&self, id: PartyId) -> StoreResult<Option<Party>> {
        let row = with_pool!(self, pool => retry("find watch party", || async move {
            sqlx::query_as::<_, PartyRow>(&format!("SELECT {COLUMNS} FROM watch_parties WHERE id = $1"))
                .bind(id.0)
                .fetch_optional(pool)
                .await
        }).await)?;
        row.map(Party::try_from).transpose()
    }

    async fn set_party_message(&self, id: PartyId, vote: bool, message_id: i64) -> StoreResult<()> {
        let sql = if vote {
            "UPDATE watch_parties SET vote_message_id = $2 WHERE id = $1"
        } else {
            "UPDATE watch_parties SET lobby_message_id = $2 WHERE id = $1"
        };
        with_pool!(self, pool => retry("set watch party message", || async move {
            sqlx::query(sql).bind(id.0).bind(message_id).execute(pool).await.map(|_| ())
        }).await)?;
        Ok(())
    }

    async fn join_party(&self, id: PartyId, user: UserId, now_ms: i64) -> StoreResult<bool> {
        with_pool!(self, pool => retry("join watch party", || async move {
            let added = sqlx::query(
                // Only into a lobby: a join that lost a race with the host's Pick changes
                // nothing.
                "INSERT INTO watch_party_members (party_id, user_id, joined_at) \
                 SELECT $1, $2, $3 WHERE EXISTS \
                 (SELECT 1 FROM watch_parties WHERE id = $1 AND status = 'lobby') \
                 ON CONFLICT (party_id, user_id) DO UPDATE SET left_at = NULL, joined_at = excluded.joined_at \
                 WHERE watch_party_members.left_at IS NOT NULL",
            )
            .bind(id.0)
            .bind(user.0)
            .bind(now_ms)
            .execute(pool)
            .await?
            .rows_affected();
            Ok(added > 0)
        }).await)
    }

    async fn leave_party(&self, id: PartyId, user: UserId, now_ms: i64) -> StoreResult<bool> {
        with_pool!(self, pool => retry("leave watch party", || async move {
            let mut tx = pool.begin().await?;
            let left = sqlx::query(
                "UPDATE watch_party_members SET left_at = $3 \
                 WHERE party_id = $1 AND user_id = $2 AND left_at IS NULL",
            )
            .bind(id.0)
            .bind(user.0)
            .bind(now_ms)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            sqlx::query("DELETE FROM watch_party_votes WHERE party_id = $1 AND user_id = $2")
                .bind(id.0)
                .bind(user.0)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(left > 0)
        }).await)
    }

    async fn party_members(&self, id: PartyId) -> StoreResult<Vec<UserId>> {
        let ids = with_pool!(self, pool => retry("list watch party members", || async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT user_id FROM watch_party_members WHERE party_id = $1 AND left_at IS NULL \
                 ORDER BY joined_at, user_id",
            )
            .bind(id.0)
            .fetch_all(pool)
            .await
        }).await)?;
        Ok(ids.into_iter().map(UserId).collect())
    }

    async fn open_vote(
        &self,
        id: PartyId,
        candidates: &[PartyCandidate],
        deadline_ms: i64,
    ) -> StoreResult<bool> {
        with_pool!(self, pool => retry("open watch party vote", || async move {
            let mut tx = pool.begin().await?;
            let opened = sqlx::query(
                "UPDATE watch_parties SET status = 'voting', deadline_at = $2 \
                 WHERE id = $1 AND status = 'lobby'",
            )
            .bind(id.0)
            .bind(deadline_ms)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if opened == 0 {
                tx.rollback().await?;
                return Ok(false);
            }
            for c in candidates {
                sqlx::query(
                    "INSERT INTO watch_party_candidates (party_id, movie_id, position, group_score, details) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(id.0)
                .bind(c.movie.0)
                .bind(i64::from(c.position))
                .bind(c.group_score)
                .bind(&c.details)
                .execute(&mut *tx)
                .await?;
            }
            // The invitations are over: the mentions of whoever did not join go.
            let params: String = sqlx::query_scalar("SELECT params FROM watch_parties WHERE id = $1")
                .bind(id.0)
                .fetch_one(&mut *tx)
                .await?;
            if let Some(params) = without_invitations(&params, None) {
                sqlx::query("UPDATE watch_parties SET params = $2 WHERE id = $1")
                    .bind(id.0)
                    .bind(params)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(true)
        }).await)
    }

    async fn party_candidates(&self, id: PartyId) -> StoreResult<Vec<PartyCandidate>> {
        let rows = with_pool!(self, pool => retry("list watch party candidates", || async move {
            sqlx::query_as::<_, (i64, i64, f64, String)>(
                "SELECT movie_id, position, group_score, details FROM watch_party_candidates \
                 WHERE party_id = $1 ORDER BY position",
            )
            .bind(id.0)
            .fetch_all(pool)
            .await
        }).await)?;
        Ok(rows
            .into_iter()
            .map(|(movie, position, group_score, details)| PartyCandidate {
                movie: MovieId(movie),
                position: u32::try_from(position).unwrap_or(u32::MAX),
                group_score,
                details,
            })
            .collect())
    }

    async fn toggle_vote(
        &self,
        id: PartyId,
        user: UserId,
        movie: MovieId,
        (now_ms, key): (i64, &str),
    ) -> StoreResult<bool> {
        with_pool!(self, pool => retry("vote in watch party", || async move {
            let mut tx = pool.begin().await?;
            // A retry of this very click (its commit was not acknowledged, or Discord sent it
            // twice): what it did, without doing it again.
            let done: Option<i64> =
                sqlx::query_scalar("SELECT result FROM applied_actions WHERE key = $1")
                    .bind(key)
                    .fetch_optional(&mut *tx)
                    .await?;
            if let Some(approved) = done {
                tx.rollback().await?;
                return Ok(approved != 0);
            }
            let removed = sqlx::query(
                "DELETE FROM watch_party_votes WHERE party_id = $1 AND user_id = $2 AND movie_id = $3",
            )
            .bind(id.0)
            .bind(user.0)
            .bind(movie.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if removed == 0 {
                sqlx::query(
                    "INSERT INTO watch_party_votes (party_id, user_id, movie_id, created_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                )
                .bind(id.0)
                .bind(user.0)
                .bind(movie.0)
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
            }
            applied(&mut tx, key, i64::from(removed == 0), now_ms).await?;
            tx.commit().await?;
            Ok(removed == 0)
        }).await)
    }

    async fn party_votes(&self, id: PartyId) -> StoreResult<Vec<(UserId, MovieId)>> {
        let rows = with_pool!(self, pool => retry("list watch party votes", || async move {
            sqlx::query_as::<_, (i64, i64)>(
                "SELECT user_id, movie_id FROM watch_party_votes WHERE party_id = $1 \
                 ORDER BY created_at, user_id, movie_id",
            )
            .bind(id.0)
            .fetch_all(pool)
            .await
        }).await)?;
        Ok(rows
            .into_iter()
            .map(|(u, m)| (UserId(u), MovieId(m)))
            .collect())
    }

    async fn close_party(&self, c: &PartyClose) -> StoreResult<bool> {
        with_pool!(self, pool => retry("close watch party", || async move {
            let mut tx = pool.begin().await?;
            // A retry of this attempt, whose commit was not acknowledged: it did close it.
            let done: Option<i64> =
                sqlx::query_scalar("SELECT result FROM applied_actions WHERE key = $1")
                    .bind(&c.key)
                    .fetch_optional(&mut *tx)
                    .await?;
            if done.is_some() {
                tx.rollback().await?;
                return Ok(true);
            }
            let closed = sqlx::query(
                "UPDATE watch_parties SET status = 'closed', winner_movie_id = $2, closed_at = $3 \
                 WHERE id = $1 AND status = 'voting'",
            )
            .bind(c.id.0)
            .bind(c.winner.0)
            .bind(c.now_ms)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if closed == 0 {
                tx.rollback().await?;
                return Ok(false);
            }
            let guild: i64 = sqlx::query_scalar("SELECT guild_id FROM watch_parties WHERE id = $1")
                .bind(c.id.0)
                .fetch_one(&mut *tx)
                .await?;
            for (user, debt) in &c.debts {
                sqlx::query(
                    "INSERT INTO guild_fairness (guild_id, user_id, debt, updated_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (guild_id, user_id) DO UPDATE SET debt = excluded.debt, updated_at = excluded.updated_at",
                )
                .bind(guild)
                .bind(user.0)
                .bind(*debt)
                .bind(c.now_ms)
                .execute(&mut *tx)
                .await?;
            }
            applied(&mut tx, &c.key, 1, c.now_ms).await?;
            tx.commit().await?;
            Ok(true)
        }).await)
    }

    async fn set_scheduled_event(&self, id: PartyId, event_id: i64) -> StoreResult<()> {
        with_pool!(self, pool => retry("record scheduled event", || async move {
            sqlx::query("UPDATE watch_parties SET scheduled_event_id = $2 WHERE id = $1")
                .bind(id.0)
                .bind(event_id)
                .execute(pool)
                .await
                .map(|_| ())
        }).await)?;
        Ok(())
    }

    async fn parties_due(&self, now_ms: i64) -> StoreResult<Vec<Party>> {
        let rows = with_pool!(self, pool => retry("find due watch parties", || async move {
            sqlx::query_as::<_, PartyRow>(&format!(
                "SELECT {COLUMNS} FROM watch_parties WHERE status = 'voting' AND deadline_at <= $1 \
                 ORDER BY deadline_at, id"
            ))
            .bind(now_ms)
            .fetch_all(pool)
            .await
        }).await)?;
        rows.into_iter().map(Party::try_from).collect()
    }

    async fn guild_parties(&self, guild: GuildId, limit: u32) -> StoreResult<Vec<Party>> {
        let rows = with_pool!(self, pool => retry("list watch parties", || async move {
            sqlx::query_as::<_, PartyRow>(&format!(
                "SELECT {COLUMNS} FROM watch_parties WHERE guild_id = $1 \
                 ORDER BY created_at DESC, id DESC LIMIT $2"
            ))
            .bind(guild.0)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
        }).await)?;
        rows.into_iter().map(Party::try_from).collect()
    }

    async fn user_names(&self, users: &[UserId]) -> StoreResult<Vec<String>> {
        let mut out = Vec::with_capacity(users.len());
        for user in users {
            let name = with_pool!(self, pool => retry("read a user name", || async move {
                sqlx::query_scalar::<_, String>("SELECT display_name FROM users WHERE id = $1")
                    .bind(user.0)
                    .fetch_optional(pool)
                    .await
            }).await)?;
            out.push(name.unwrap_or_default());
        }
        Ok(out)
    }

    async fn fairness(&self, guild: GuildId, users: &[UserId]) -> StoreResult<Vec<f64>> {
        let rows = with_pool!(self, pool => retry("read fairness", || async move {
            sqlx::query_as::<_, (i64, f64)>("SELECT user_id, debt FROM guild_fairness WHERE guild_id = $1")
                .bind(guild.0)
                .fetch_all(pool)
                .await
        }).await)?;
        Ok(users
            .iter()
            .map(|u| {
                rows.iter()
                    .find(|(id, _)| *id == u.0)
                    .map_or(0.0, |(_, d)| *d)
            })
            .collect())
    }

    async fn set_fairness(
        &self,
        guild: GuildId,
        debts: &[(UserId, f64)],
        now_ms: i64,
    ) -> StoreResult<()> {
        with_pool!(self, pool => retry("store fairness", || async move {
            let mut tx = pool.begin().await?;
            for (user, debt) in debts {
                sqlx::query(
                    "INSERT INTO guild_fairness (guild_id, user_id, debt, updated_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (guild_id, user_id) DO UPDATE SET debt = excluded.debt, updated_at = excluded.updated_at",
                )
                .bind(guild.0)
                .bind(user.0)
                .bind(*debt)
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(())
        }).await)
    }
}

/// Records that the attempt named `key` was applied, with what it returned (in the same
/// transaction as the change).
async fn applied<'c, DB>(
    tx: &mut sqlx::Transaction<'c, DB>,
    key: &str,
    result: i64,
    now_ms: i64,
) -> Result<(), sqlx::Error>
where
    DB: sqlx::Database,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'e> &'e mut <DB as sqlx::Database>::Connection: sqlx::Executor<'e, Database = DB>,
{
    sqlx::query::<DB>("INSERT INTO applied_actions (key, result, applied_at) VALUES ($1, $2, $3)")
        .bind(key)
        .bind(result)
        .bind(now_ms)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::without_invitations;

    #[test]
    fn invitations_go_all_at_once_or_one_by_one_and_nothing_else_changes() {
        let params = r#"{"vote_minutes":15,"invited":["<@1>","<@2>"]}"#;
        let one: serde_json::Value =
            serde_json::from_str(&without_invitations(params, Some("<@1>")).expect("changed"))
                .expect("json");
        assert_eq!(
            one,
            serde_json::json!({"vote_minutes": 15, "invited": ["<@2>"]})
        );
        let all: serde_json::Value =
            serde_json::from_str(&without_invitations(params, None).expect("changed"))
                .expect("json");
        assert_eq!(all, serde_json::json!({"vote_minutes": 15, "invited": []}));
        assert_eq!(without_invitations(params, Some("<@3>")), None);
        assert_eq!(without_invitations(r#"{"vote_minutes":15}"#, None), None);
        assert_eq!(without_invitations("not json", None), None);
    }
}
