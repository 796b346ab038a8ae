//! Bulk paths for importers: many rows per statement, one transaction per batch, so a crash or
//! Ctrl-C leaves whole batches or nothing. Not part of the domain's ports: only importers need them.

use super::{Pool, Store, retry};
use crate::domain::ids::{MovieId, UserId};
use crate::domain::ports::{StoreResult, UserKind};
use std::collections::HashMap;

/// One imported rating: (user, film, rating on the source's scale, time in ms since the epoch).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HistoricalRating {
    pub user: UserId,
    pub movie: MovieId,
    pub rating: f64,
    pub rated_at_ms: i64,
}

/// Rows per statement. SQLite binds at most 32,766 parameters; 4 per row.
const SQLITE_ROWS_PER_STATEMENT: usize = 4_000;

impl Store {
    /// Films by MovieLens id, for joining ratings to the catalog.
    pub async fn movielens_ids(&self) -> StoreResult<HashMap<i64, MovieId>> {
        let rows: Vec<(i64, i64)> = super::with_pool!(self, pool => retry("list MovieLens ids", || async move {
            sqlx::query_as::<_, (i64, i64)>("SELECT movielens_id, id FROM movies WHERE movielens_id IS NOT NULL")
                .fetch_all(pool)
                .await
        }).await)?;
        Ok(rows.into_iter().map(|(ml, id)| (ml, MovieId(id))).collect())
    }

    /// The ids of users of one kind by external id, creating those not seen before.
    pub async fn ensure_users_bulk(
        &self,
        kind: UserKind,
        external_ids: &[String],
    ) -> StoreResult<HashMap<String, UserId>> {
        let now = super::catalog::now_ms();
        let mut out = HashMap::with_capacity(external_ids.len());
        for chunk in external_ids.chunks(2_000) {
            let rows: Vec<(i64, String)> = super::with_pool!(self, pool => retry("create users", || async move {
                let mut tx = pool.begin().await?;
                let mut insert = String::from("INSERT INTO users (kind, external_id, display_name, created_at) VALUES ");
                let mut select = String::from("SELECT id, external_id FROM users WHERE kind = $1 AND external_id IN (");
                for i in 0..chunk.len() {
                    if i > 0 {
                        insert.push(',');
                        select.push(',');
                    }
                    insert.push_str(&format!("($1, ${}, '', $2)", i + 3));
                    select.push_str(&format!("${}", i + 2));
                }
                insert.push_str(" ON CONFLICT (kind, external_id) DO NOTHING");
                select.push(')');
                let mut q = sqlx::query(&insert).bind(kind.as_str()).bind(now);
                for id in chunk {
                    q = q.bind(id);
                }
                q.execute(&mut *tx).await?;
                let mut s = sqlx::query_as::<_, (i64, String)>(&select).bind(kind.as_str());
                for id in chunk {
                    s = s.bind(id);
                }
                let rows = s.fetch_all(&mut *tx).await?;
                tx.commit().await?;
                Ok(rows)
            }).await)?;
            out.extend(rows.into_iter().map(|(id, ext)| (ext, UserId(id))));
        }
        Ok(out)
    }

    /// Stores imported ratings as `historical` feedback events from `source` in one
    /// transaction. A (user, film, source) already stored is left as it is, so importing the
    /// same file twice stores nothing the second time. Returns how many rows were new.
    pub async fn insert_historical_ratings(&self, source: &str, rows: &[HistoricalRating]) -> StoreResult<u64> {
        if rows.is_empty() {
            return Ok(0);
        }
        match &self.pool {
            Pool::Sqlite(pool) => {
                retry("import ratings", || async move {
                    let mut tx = pool.begin().await?;
                    let mut inserted = 0;
                    for chunk in rows.chunks(SQLITE_ROWS_PER_STATEMENT) {
                        let mut sql = String::with_capacity(64 + chunk.len() * 48);
                        sql.push_str(
                            "INSERT INTO feedback_events (user_id, movie_id, kind, value, weight, source, created_at) VALUES ",
                        );
                        for i in 0..chunk.len() {
                            if i > 0 {
                                sql.push(',');
                            }
                            sql.push_str("(?, ?, 'historical', ?, 1.0, ?, ?)");
                        }
                        sql.push_str(" ON CONFLICT DO NOTHING");
                        let mut q = sqlx::query(&sql);
                        for r in chunk {
                            q = q.bind(r.user.0).bind(r.movie.0).bind(r.rating).bind(source).bind(r.rated_at_ms);
                        }
                        inserted += q.execute(&mut *tx).await?.rows_affected();
                    }
                    tx.commit().await?;
                    Ok(inserted)
                })
                .await
            }
            Pool::Postgres(pool) => {
                let users: Vec<i64> = rows.iter().map(|r| r.user.0).collect();
                let movies: Vec<i64> = rows.iter().map(|r| r.movie.0).collect();
                let values: Vec<f64> = rows.iter().map(|r| r.rating).collect();
                let times: Vec<i64> = rows.iter().map(|r| r.rated_at_ms).collect();
                let (users, movies, values, times) = (&users, &movies, &values, &times);
                retry("import ratings", || async move {
                    let done = sqlx::query(
                        "INSERT INTO feedback_events (user_id, movie_id, kind, value, weight, source, created_at) \
                         SELECT u, m, 'historical', v, 1.0, $5, t \
                         FROM UNNEST($1::BIGINT[], $2::BIGINT[], $3::DOUBLE PRECISION[], $4::BIGINT[]) AS r (u, m, v, t) \
                         ON CONFLICT DO NOTHING",
                    )
                    .bind(users)
                    .bind(movies)
                    .bind(values)
                    .bind(times)
                    .bind(source)
                    .execute(pool)
                    .await?;
                    Ok(done.rows_affected())
                })
                .await
            }
        }
    }
}
