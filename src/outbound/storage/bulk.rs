//! Bulk paths for importers: many rows per statement, one transaction per batch, so a crash or
//! Ctrl-C leaves whole batches or nothing. Not part of the domain's ports: only importers need them.

use super::{Pool, Store, retry};
use crate::domain::ids::{MovieId, UserId};
use crate::domain::ports::{StoreResult, UserKind};
use std::collections::HashMap;
use std::fmt::Write as _;

/// One imported rating: (user, film, rating on the source's scale, time in ms since the epoch).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HistoricalRating {
    pub user: UserId,
    pub movie: MovieId,
    pub rating: f64,
    pub rated_at_ms: i64,
}

/// Rows per statement. SQLite binds at most 32,766 parameters; 4 per row.
const SQLITE_ROWS_PER_STATEMENT: usize = 8_000;

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

    /// The ids of users of one kind in the shared base (imported raters) by external id,
    /// creating those not seen before.
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
                let mut insert = String::from("INSERT INTO users (kind, external_id, person, display_name, created_at) VALUES ");
                let mut select = String::from("SELECT id, external_id FROM users WHERE kind = $1 AND external_id IN (");
                for i in 0..chunk.len() {
                    if i > 0 {
                        insert.push(',');
                        select.push(',');
                    }
                    let _ = write!(insert, "($1, ${0}, ${0}, '', $2)", i + 3);
                    let _ = write!(select, "${}", i + 2);
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
    pub async fn insert_historical_ratings(
        &self,
        source: &str,
        rows: &[HistoricalRating],
    ) -> StoreResult<u64> {
        if rows.is_empty() {
            return Ok(0);
        }
        if source.is_empty()
            || !source
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Err(crate::domain::error::StoreError::Invalid(format!(
                "bad source name {source:?}"
            )));
        }
        match &self.pool {
            Pool::Sqlite(pool) => {
                retry("import ratings", || async move {
                    // Every user and film id here was just read from or created in this
                    // database, so the per-row foreign-key lookups (two B-tree searches a row,
                    // a fifth of the import's time) are switched off for this connection's
                    // batch and back on after it. The pragma only takes effect outside a
                    // transaction, hence the dedicated connection.
                    let mut conn = pool.acquire().await?;
                    sqlx::query("PRAGMA foreign_keys = OFF")
                        .execute(&mut *conn)
                        .await?;
                    let outcome = insert_sqlite_batch(&mut conn, source, rows).await;
                    sqlx::query("PRAGMA foreign_keys = ON")
                        .execute(&mut *conn)
                        .await?;
                    outcome
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
                        "INSERT INTO feedback_events (user_id, movie_id, kind, value, weight, source, created_at, once_key) \
                         SELECT u, m, 'historical', v, 1.0, $5, t, $5 \
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

/// The multi-row insert for `rows` rows. The source is checked to be a plain word by the
/// caller, so it can stand in the SQL text: one parameter fewer per row. (Numbered `?NNN`
/// parameters would also save it, but sqlx binds those in quadratic time.)
fn sqlite_insert_sql(source: &str, rows: usize) -> String {
    let row = format!("(?, ?, 'historical', ?, 1.0, '{source}', ?, '{source}')");
    let mut sql = String::with_capacity(128 + rows * row.len());
    sql.push_str("INSERT INTO feedback_events (user_id, movie_id, kind, value, weight, source, created_at, once_key) VALUES ");
    for i in 0..rows {
        if i > 0 {
            sql.push(',');
        }
        sql.push_str(&row);
    }
    sql.push_str(" ON CONFLICT DO NOTHING");
    sql
}

type SqliteQuery<'q> = sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>>;

fn bind_chunk<'q>(sql: &'q str, chunk: &[HistoricalRating]) -> SqliteQuery<'q> {
    let mut q = sqlx::query(sql);
    for r in chunk {
        q = q
            .bind(r.user.0)
            .bind(r.movie.0)
            .bind(r.rating)
            .bind(r.rated_at_ms);
    }
    q
}

/// One transaction of multi-row inserts on a SQLite connection. The next statement's
/// parameters are bound on this thread while SQLite's worker thread runs the current one.
async fn insert_sqlite_batch(
    conn: &mut sqlx::SqliteConnection,
    source: &str,
    rows: &[HistoricalRating],
) -> Result<u64, sqlx::Error> {
    use sqlx::Connection as _;
    let chunks: Vec<&[HistoricalRating]> = rows.chunks(SQLITE_ROWS_PER_STATEMENT).collect();
    let full = sqlite_insert_sql(source, SQLITE_ROWS_PER_STATEMENT);
    let last_len = chunks.last().map_or(0, |c| c.len());
    let last = if last_len == SQLITE_ROWS_PER_STATEMENT {
        String::new()
    } else {
        sqlite_insert_sql(source, last_len)
    };
    let sql_for = |chunk: &[HistoricalRating]| {
        if chunk.len() == SQLITE_ROWS_PER_STATEMENT {
            full.as_str()
        } else {
            last.as_str()
        }
    };

    let mut tx = conn.begin().await?;
    let mut inserted = 0;
    let mut next = chunks.first().map(|c| bind_chunk(sql_for(c), c));
    let mut i = 0;
    while let Some(query) = next.take() {
        let following = chunks.get(i + 1).copied();
        let (done, built) = tokio::join!(query.execute(&mut *tx), async {
            following.map(|c| bind_chunk(sql_for(c), c))
        });
        inserted += done?.rows_affected();
        next = built;
        i += 1;
    }
    tx.commit().await?;
    Ok(inserted)
}
