//! The privacy port on both backends: everything stored about a user (to show and export it),
//! deleting it all in one transaction, and the keyed hashes of people who asked to be
//! forgotten.

use super::feedback::ReviewRow;
use super::parties::without_invitations;
use super::{Store, retry, with_pool};
use crate::domain::events::StoredReview;
use crate::domain::ids::{GuildId, MovieId, PartyId, UserId};
use crate::domain::ports::{
    FeedbackRepo as _, PartyStatus, PartyTrace, PersonalData, PrivacyRepo, StoreResult,
};
use serde_json::Value;

/// A watch party as read for a person: id, created, status, host, winner.
type PartyRow = (i64, i64, String, i64, Option<i64>);

/// `value` without any trace of user `id` called `name`: object keys equal to the id, the id as
/// an array element (a watch party's per-member predictions hold both), and the name in a
/// shortlist film's reason ("a pick for Kim").
fn scrub(value: &mut Value, id: i64, name: &str) {
    match value {
        Value::Object(map) => {
            map.remove(&id.to_string());
            if !name.is_empty()
                && map.get("reason").and_then(Value::as_str) == Some(&format!("a pick for {name}"))
            {
                map.insert("reason".to_owned(), Value::from(FORMER_MEMBER));
            }
            for v in map.values_mut() {
                scrub(v, id, name);
            }
        }
        Value::Array(items) => {
            items.retain(|v| v.as_i64() != Some(id));
            for v in items.iter_mut() {
                scrub(v, id, name);
            }
        }
        _ => {}
    }
}

/// The reason a shortlist film keeps when the member it was picked for is forgotten.
const FORMER_MEMBER: &str = "a pick for a member who has left";

impl PrivacyRepo for Store {
    async fn personal_data(&self, user: UserId) -> StoreResult<PersonalData> {
        let events = self.events_for_user(user).await?;
        let unit = format!("user:{user}");
        let (id, unit) = (user.0, &unit);
        let (name, reviews, shown, parties, votes, conversations, experiments, debt, choices) = with_pool!(self, pool => retry("read a person's data", || async move {
            let name: Option<String> = sqlx::query_scalar("SELECT display_name FROM users WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?;
            let reviews: Vec<ReviewRow> = sqlx::query_as(
                "SELECT id, event_id, user_id, movie_id, body, neg, neu, pos, compound, rating, created_at \
                 FROM reviews WHERE user_id = $1 ORDER BY created_at, id",
            )
            .bind(id)
            .fetch_all(pool)
            .await?;
            let shown: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM impressions WHERE user_id = $1")
                .bind(id)
                .fetch_one(pool)
                .await?;
            let parties: Vec<PartyRow> = sqlx::query_as(
                "SELECT id, created_at, status, host_user_id, winner_movie_id FROM watch_parties \
                 WHERE host_user_id = $1 OR id IN (SELECT party_id FROM watch_party_members WHERE user_id = $1) \
                 ORDER BY id",
            )
            .bind(id)
            .fetch_all(pool)
            .await?;
            let votes: Vec<(i64, i64)> = sqlx::query_as(
                "SELECT party_id, movie_id FROM watch_party_votes WHERE user_id = $1 ORDER BY party_id, movie_id",
            )
            .bind(id)
            .fetch_all(pool)
            .await?;
            let conversations: Vec<String> = sqlx::query_scalar(
                "SELECT state FROM conversations WHERE user_id = $1 ORDER BY channel_id",
            )
            .bind(id)
            .fetch_all(pool)
            .await?;
            let experiments: Vec<(String, String)> = sqlx::query_as(
                "SELECT experiment_key, variant FROM experiment_assignments WHERE unit_id = $1 \
                 ORDER BY experiment_key",
            )
            .bind(unit)
            .fetch_all(pool)
            .await?;
            let debt: Option<f64> = sqlx::query_scalar("SELECT debt FROM guild_fairness WHERE user_id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?;
            let choices: Vec<(String, Option<i64>)> = sqlx::query_as(
                "SELECT details, chosen FROM history_choices WHERE user_id = $1 ORDER BY id",
            )
            .bind(id)
            .fetch_all(pool)
            .await?;
            Ok((name, reviews, shown, parties, votes, conversations, experiments, debt, choices))
        }).await)?;
        let parties = parties
            .into_iter()
            .map(|(party, created_at_ms, status, host, winner)| PartyTrace {
                party: PartyId(party),
                created_at_ms,
                status: PartyStatus::parse(&status).unwrap_or(PartyStatus::Cancelled),
                hosted: host == id,
                winner: winner.map(MovieId),
                votes: votes
                    .iter()
                    .filter(|(p, _)| *p == party)
                    .map(|(_, m)| MovieId(*m))
                    .collect(),
            })
            .collect();
        Ok(PersonalData {
            display_name: name.unwrap_or_default(),
            events,
            reviews: reviews.into_iter().map(StoredReview::from).collect(),
            films_shown: u64::try_from(shown).unwrap_or(0),
            parties,
            conversations,
            experiments,
            fairness_debt: debt,
            history_choices: choices,
        })
    }

    async fn forget_users(&self, users: &[UserId]) -> StoreResult<u64> {
        let ids: Vec<i64> = users.iter().map(|u| u.0).collect();
        let ids = &ids;
        with_pool!(self, pool => retry("forget a person", || async move {
            let mut tx = pool.begin().await?;
            let mut gone = 0;
            for &id in ids {
                let (kind, person, guild, name): (String, String, Option<i64>, String) = match sqlx::query_as(
                    "SELECT kind, person, guild_id, display_name FROM users WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                {
                    Some(row) => row,
                    None => continue,
                };
                // An invitation to a lobby in their server (a mention of their Discord id).
                if kind == "discord" {
                    let label = format!("<@{person}>");
                    let lobbies: Vec<(i64, String)> = sqlx::query_as(
                        "SELECT id, params FROM watch_parties WHERE guild_id = $1 AND status = 'lobby'",
                    )
                    .bind(guild)
                    .fetch_all(&mut *tx)
                    .await?;
                    for (party, params) in lobbies {
                        if let Some(params) = without_invitations(&params, Some(&label)) {
                            sqlx::query("UPDATE watch_parties SET params = $2 WHERE id = $1")
                                .bind(party)
                                .bind(params)
                                .execute(&mut *tx)
                                .await?;
                        }
                    }
                }
                // Their predicted enjoyment in parties they were part of (others' parties stay).
                let details: Vec<(i64, i64, String)> = sqlx::query_as(
                    "SELECT c.party_id, c.movie_id, c.details FROM watch_party_candidates c \
                     WHERE c.party_id IN (SELECT party_id FROM watch_party_members WHERE user_id = $1)",
                )
                .bind(id)
                .fetch_all(&mut *tx)
                .await?;
                for (party, movie, json) in details {
                    let Ok(mut value) = serde_json::from_str::<Value>(&json) else {
                        continue;
                    };
                    scrub(&mut value, id, &name);
                    sqlx::query(
                        "UPDATE watch_party_candidates SET details = $3 WHERE party_id = $1 AND movie_id = $2",
                    )
                    .bind(party)
                    .bind(movie)
                    .bind(value.to_string())
                    .execute(&mut *tx)
                    .await?;
                }
                sqlx::query("DELETE FROM experiment_assignments WHERE unit_id = $1")
                    .bind(format!("user:{id}"))
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM watch_parties WHERE host_user_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                // The rest hangs off the user row (ON DELETE CASCADE): events, reviews, lists,
                // conversations, fairness debts, party membership and votes, rows of a history import
                // waiting for a choice.
                gone += sqlx::query("DELETE FROM users WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            }
            tx.commit().await?;
            Ok(gone)
        }).await)
    }

    async fn remember_forgotten(
        &self,
        person_hash: &str,
        server: Option<GuildId>,
        at_ms: i64,
    ) -> StoreResult<()> {
        let server = server.map(|g| g.0);
        with_pool!(self, pool => retry("remember a forgotten person", || async move {
            sqlx::query("INSERT INTO forgotten (person_hash, guild_id, forgotten_at) VALUES ($1, $2, $3)")
                .bind(person_hash)
                .bind(server)
                .bind(at_ms)
                .execute(pool)
                .await
                .map(|_| ())
        }).await)
    }

    async fn forgotten_at(&self, person_hash: &str, server: GuildId) -> StoreResult<Option<i64>> {
        with_pool!(self, pool => retry("look a forgotten person up", || async move {
            sqlx::query_scalar::<_, Option<i64>>(
                "SELECT MAX(forgotten_at) FROM forgotten WHERE person_hash = $1 \
                 AND (guild_id IS NULL OR guild_id = $2)",
            )
            .bind(person_hash)
            .bind(server.0)
            .fetch_one(pool)
            .await
        }).await)
    }

    async fn secret(&self, name: &str, candidate: &[u8]) -> StoreResult<Vec<u8>> {
        with_pool!(self, pool => retry("read a secret", || async move {
            sqlx::query("INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
                .bind(name)
                .bind(candidate)
                .execute(pool)
                .await?;
            sqlx::query_scalar::<_, Vec<u8>>("SELECT value FROM secrets WHERE name = $1")
                .bind(name)
                .fetch_one(pool)
                .await
        }).await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scrubbed_party_detail_keeps_the_others() {
        let mut v: Value = serde_json::json!({
            "reason": "a pick for Kim",
            "enjoyment": {"7": 0.9, "8": 0.4},
            "new": [7, 9]
        });
        scrub(&mut v, 8, "Lee");
        assert_eq!(
            v,
            serde_json::json!({"reason": "a pick for Kim", "enjoyment": {"7": 0.9}, "new": [7, 9]}),
            "Kim's pick stays Kim's"
        );
        scrub(&mut v, 7, "Kim");
        assert_eq!(
            v,
            serde_json::json!({"reason": FORMER_MEMBER, "enjoyment": {}, "new": [9]})
        );
    }
}
