//! The catalog port on both backends.

use super::{CatalogLock as _, Store, join_list, retry, split_list, with_pool};
use crate::domain::catalog::merge::{Match, choose_match, merge};
use crate::domain::catalog::search::normalize_title;
use crate::domain::catalog::{
    CatalogStats, ExternalIds, FilmVotes, Genre, Movie, MovieInfo, VOTES_KEPT_FROM, VoteSource,
    Votes,
};
use crate::domain::error::StoreError;
use crate::domain::ids::MovieId;
use crate::domain::ports::{CatalogRepo, StoreResult, UpsertSummary};
use std::collections::BTreeMap;

const MOVIE_COLUMNS: &str = "id, title, year, genres, overview, keywords, directors, cast_names, \
     countries, runtime_min, movielens_id, tmdb_id, imdb_id, vote_count, vote_average, vote_source";

#[derive(Debug, sqlx::FromRow)]
struct MovieRow {
    id: i64,
    title: String,
    year: Option<i64>,
    genres: String,
    overview: String,
    keywords: String,
    directors: String,
    cast_names: String,
    countries: String,
    runtime_min: Option<i64>,
    movielens_id: Option<i64>,
    tmdb_id: Option<i64>,
    imdb_id: Option<String>,
    vote_count: i64,
    vote_average: Option<f64>,
    vote_source: Option<String>,
}

impl From<MovieRow> for Movie {
    fn from(r: MovieRow) -> Self {
        Movie {
            id: MovieId(r.id),
            info: MovieInfo {
                title: r.title,
                year: r.year.map(|y| y as i32),
                genres: Genre::parse_list(&r.genres, '|'),
                overview: r.overview,
                keywords: split_list(&r.keywords),
                directors: split_list(&r.directors),
                cast: split_list(&r.cast_names),
                countries: split_list(&r.countries),
                runtime_min: r.runtime_min.map(|m| m as i32),
                external: ExternalIds {
                    movielens: r.movielens_id,
                    tmdb: r.tmdb_id,
                    imdb: r.imdb_id,
                },
                vote_count: r.vote_count,
                vote_average: r.vote_average,
                vote_source: r.vote_source.as_deref().and_then(VoteSource::parse),
            },
        }
    }
}

/// Upserts one film inside an open transaction. `$conn` is `&mut *tx` of either backend.
macro_rules! upsert_one {
    ($conn:expr, $m:expr, $now:expr, $summary:expr) => {{
        let m: &MovieInfo = $m;
        let norm = normalize_title(&m.title);
        let year = m.year.map(i64::from);
        let candidates: Vec<Movie> = sqlx::query_as::<_, MovieRow>(&format!(
            "SELECT {MOVIE_COLUMNS} FROM movies \
             WHERE movielens_id = $1 OR tmdb_id = $2 OR imdb_id = $3 \
                OR (norm_title = $4 AND (year = $5 OR (year IS NULL AND $5 IS NULL))) \
             ORDER BY id"
        ))
        .bind(m.external.movielens)
        .bind(m.external.tmdb)
        .bind(m.external.imdb.as_deref())
        .bind(&norm)
        .bind(year)
        .fetch_all(&mut *$conn)
        .await?
        .into_iter()
        .map(Movie::from)
        .collect();
        let (found, m) = match choose_match(m, &norm, candidates) {
            Match::Existing(stored, cleared) => (Some(*stored), cleared),
            Match::New(cleared) => (None, cleared),
        };
        let m: &MovieInfo = &m;
        match found {
            Some(stored) => {
                let merged = merge(&stored.info, m);
                if merged == stored.info {
                    $summary.unchanged += 1;
                } else {
                    sqlx::query(
                        "UPDATE movies SET title = $1, norm_title = $2, year = $3, genres = $4, \
                         overview = $5, keywords = $6, directors = $7, cast_names = $8, countries = $9, \
                         runtime_min = $10, movielens_id = $11, tmdb_id = $12, imdb_id = $13, \
                         vote_count = $14, vote_average = $15, vote_source = $16, updated_at = $17 \
                         WHERE id = $18",
                    )
                    .bind(&merged.title)
                    .bind(normalize_title(&merged.title))
                    .bind(merged.year.map(i64::from))
                    .bind(join_list(&merged.genres.iter().map(|g| g.name()).collect::<Vec<_>>()))
                    .bind(&merged.overview)
                    .bind(join_list(&merged.keywords))
                    .bind(join_list(&merged.directors))
                    .bind(join_list(&merged.cast))
                    .bind(join_list(&merged.countries))
                    .bind(merged.runtime_min.map(i64::from))
                    .bind(merged.external.movielens)
                    .bind(merged.external.tmdb)
                    .bind(merged.external.imdb.as_deref())
                    .bind(merged.vote_count)
                    .bind(merged.vote_average)
                    .bind(merged.vote_source.map(VoteSource::as_str))
                    .bind($now)
                    .bind(stored.id.0)
                    .execute(&mut *$conn)
                    .await?;
                    $summary.updated += 1;
                }
            }
            None => {
                sqlx::query(
                    "INSERT INTO movies (title, norm_title, year, genres, overview, keywords, directors, \
                     cast_names, countries, runtime_min, movielens_id, tmdb_id, imdb_id, vote_count, \
                     vote_average, vote_source, source, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18)",
                )
                .bind(m.title.trim())
                .bind(&norm)
                .bind(year)
                .bind(join_list(&m.genres.iter().map(|g| g.name()).collect::<Vec<_>>()))
                .bind(&m.overview)
                .bind(join_list(&m.keywords))
                .bind(join_list(&m.directors))
                .bind(join_list(&m.cast))
                .bind(join_list(&m.countries))
                .bind(m.runtime_min.map(i64::from))
                .bind(m.external.movielens)
                .bind(m.external.tmdb)
                .bind(m.external.imdb.as_deref())
                .bind(m.vote_count)
                .bind(m.vote_average)
                .bind(m.vote_source.map(VoteSource::as_str))
                .bind(source_of(m))
                .bind($now)
                .execute(&mut *$conn)
                .await?;
                $summary.inserted += 1;
            }
        }
    }};
}

impl Store {
    /// Stores votes by film id in one transaction; with `only_missing`, only on films that
    /// have none, otherwise where they replace the stored ones
    /// ([`crate::domain::catalog::votes_replace`]). A film whose votes are already these is
    /// not written. Returns how many changed.
    async fn write_votes(
        &self,
        votes: &[(MovieId, Votes)],
        only_missing: bool,
    ) -> StoreResult<u64> {
        if votes.is_empty() {
            return Ok(0);
        }
        let sql = format!(
            "UPDATE movies SET vote_count = $1, vote_average = $2, vote_source = $3, \
             updated_at = $4 WHERE id = $5 AND {}",
            if only_missing {
                "vote_count = 0".to_owned()
            } else {
                format!(
                    "(vote_count < {VOTES_KEPT_FROM} OR vote_source IS NULL OR vote_source = $3) \
                     AND (vote_count <> $1 OR vote_average IS NULL OR vote_average <> $2 \
                     OR vote_source IS NULL OR vote_source <> $3)"
                )
            }
        );
        let (sql, now) = (&sql, now_ms());
        with_pool!(self, pool => retry("store votes", || async move {
            let mut tx = pool.begin().await?;
            let mut changed = 0;
            for (id, v) in votes {
                changed += sqlx::query(sql)
                    .bind(v.count)
                    .bind(v.average)
                    .bind(v.source.as_str())
                    .bind(now)
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            }
            tx.commit().await?;
            Ok(changed)
        }).await)
    }
}

fn source_of(m: &MovieInfo) -> &'static str {
    if m.external.movielens.is_some() {
        "movielens"
    } else if m.external.tmdb.is_some() {
        "tmdb"
    } else {
        "catalog"
    }
}

/// Bookkeeping timestamps of rows (created, updated), from the clock adapter.
pub(super) fn now_ms() -> i64 {
    use crate::domain::ports::Clock;
    crate::outbound::clock::SystemClock.now_ms()
}

impl CatalogRepo for Store {
    async fn movie_count(&self) -> StoreResult<i64> {
        with_pool!(self, pool => retry("count movies", || async move {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM movies").fetch_one(pool).await
        }).await)
    }

    async fn upsert_movies(&self, movies: &[MovieInfo]) -> StoreResult<UpsertSummary> {
        if let Some(bad) = movies.iter().position(|m| m.title.trim().is_empty()) {
            return Err(StoreError::Invalid(format!(
                "film #{} has an empty title",
                bad + 1
            )));
        }
        let now = now_ms();
        with_pool!(self, pool => retry("upsert movies", || async move {
            let mut summary = UpsertSummary::default();
            let mut tx = pool.begin_catalog_write().await?;
            for m in movies {
                upsert_one!(&mut *tx, m, now, summary);
            }
            tx.commit().await?;
            Ok(summary)
        }).await)
    }

    async fn seed_movies(&self, movies: &[MovieInfo]) -> StoreResult<Option<UpsertSummary>> {
        if let Some(bad) = movies.iter().position(|m| m.title.trim().is_empty()) {
            return Err(StoreError::Invalid(format!(
                "film #{} has an empty title",
                bad + 1
            )));
        }
        let now = now_ms();
        with_pool!(self, pool => retry("load the starter catalog", || async move {
            let mut tx = pool.begin_catalog_write().await?;
            let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM movies")
                .fetch_one(&mut *tx)
                .await?;
            if stored > 0 {
                tx.rollback().await?;
                return Ok(None);
            }
            let mut summary = UpsertSummary::default();
            for m in movies {
                upsert_one!(&mut *tx, m, now, summary);
            }
            tx.commit().await?;
            Ok(Some(summary))
        }).await)
    }

    async fn fill_missing_votes(&self, votes: &[FilmVotes]) -> StoreResult<u64> {
        let by_key: std::collections::HashMap<(String, i64), Votes> = votes
            .iter()
            .map(|v| ((normalize_title(&v.title), i64::from(v.year)), v.votes))
            .collect();
        let by_key = &by_key;
        // Read first: on a database that has them already, nothing is written.
        let missing: Vec<(i64, String, Option<i64>)> = with_pool!(self, pool => retry("find films without votes", || async move {
            sqlx::query_as("SELECT id, norm_title, year FROM movies WHERE vote_count = 0")
                .fetch_all(pool)
                .await
        }).await)?;
        let todo: Vec<(MovieId, Votes)> = missing
            .into_iter()
            .filter_map(|(id, norm, year)| by_key.get(&(norm, year?)).map(|v| (MovieId(id), *v)))
            .collect();
        self.write_votes(&todo, true).await
    }

    async fn set_votes(&self, votes: &[(MovieId, Votes)]) -> StoreResult<u64> {
        self.write_votes(votes, false).await
    }

    async fn movie(&self, id: MovieId) -> StoreResult<Movie> {
        let sql = format!("SELECT {MOVIE_COLUMNS} FROM movies WHERE id = $1");
        let row = with_pool!(self, pool => retry("find movie", || async {
            sqlx::query_as::<_, MovieRow>(&sql).bind(id.0).fetch_optional(pool).await
        }).await)?;
        row.map(Movie::from).ok_or_else(|| StoreError::NotFound {
            what: format!("movie {id}"),
        })
    }

    async fn all_movies(&self) -> StoreResult<Vec<Movie>> {
        let sql = format!("SELECT {MOVIE_COLUMNS} FROM movies ORDER BY id");
        let rows = with_pool!(self, pool => retry("list movies", || async {
            sqlx::query_as::<_, MovieRow>(&sql).fetch_all(pool).await
        }).await)?;
        Ok(rows.into_iter().map(Movie::from).collect())
    }

    async fn catalog_stats(&self) -> StoreResult<CatalogStats> {
        with_pool!(self, pool => retry("catalog stats", || async move {
            let count = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql).fetch_one(pool);
            let mut stats = CatalogStats {
                movies: count("SELECT COUNT(*) FROM movies").await?,
                movies_with_year: count("SELECT COUNT(*) FROM movies WHERE year IS NOT NULL").await?,
                movies_with_overview: count("SELECT COUNT(*) FROM movies WHERE overview <> ''").await?,
                movielens_linked: count("SELECT COUNT(*) FROM movies WHERE movielens_id IS NOT NULL").await?,
                tmdb_linked: count("SELECT COUNT(*) FROM movies WHERE tmdb_id IS NOT NULL").await?,
                imdb_linked: count("SELECT COUNT(*) FROM movies WHERE imdb_id IS NOT NULL").await?,
                users: count("SELECT COUNT(*) FROM users").await?,
                feedback_events: count("SELECT COUNT(*) FROM feedback_events").await?,
                reviews: count("SELECT COUNT(*) FROM reviews").await?,
                ..CatalogStats::default()
            };
            stats.per_decade = sqlx::query_as::<_, (i64, i64)>(
                "SELECT (year / 10) * 10 AS decade, COUNT(*) FROM movies \
                 WHERE year IS NOT NULL GROUP BY (year / 10) * 10 ORDER BY decade",
            )
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(|(d, n)| (d as i32, n))
            .collect();
            let genre_lists = sqlx::query_as::<_, (String, i64)>(
                "SELECT genres, COUNT(*) FROM movies GROUP BY genres",
            )
            .fetch_all(pool)
            .await?;
            let mut per_genre: BTreeMap<Genre, i64> = BTreeMap::new();
            for (list, n) in genre_lists {
                for g in Genre::parse_list(&list, '|') {
                    *per_genre.entry(g).or_default() += n;
                }
            }
            let mut per_genre: Vec<(Genre, i64)> = per_genre.into_iter().collect();
            per_genre.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            stats.per_genre = per_genre;
            Ok(stats)
        }).await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(id: i64, title: &str, year: i32, ml: Option<i64>, tmdb: Option<i64>) -> Movie {
        Movie {
            id: MovieId(id),
            info: MovieInfo {
                title: title.into(),
                year: Some(year),
                external: ExternalIds {
                    movielens: ml,
                    tmdb,
                    imdb: None,
                },
                ..MovieInfo::default()
            },
        }
    }

    fn incoming(title: &str, year: i32, ml: Option<i64>, tmdb: Option<i64>) -> MovieInfo {
        MovieInfo {
            title: title.into(),
            year: Some(year),
            external: ExternalIds {
                movielens: ml,
                tmdb,
                imdb: None,
            },
            ..MovieInfo::default()
        }
    }

    fn chosen(m: &Match<'_>) -> Option<i64> {
        match m {
            Match::Existing(movie, _) => Some(movie.id.0),
            Match::New(_) => None,
        }
    }

    #[test]
    fn a_movielens_film_listed_twice_under_two_ids_stays_two_films() {
        let first = stored(1, "Emma", 1996, Some(838), None);
        let m = incoming("Emma", 1996, Some(26958), None);
        assert_eq!(chosen(&choose_match(&m, "emma", vec![first])), None);
    }

    #[test]
    fn ids_win_over_titles_and_title_year_matches_fill_in_missing_ids() {
        let starter = stored(1, "Heat", 1995, None, None);
        let other = stored(2, "Heat (renamed)", 1990, Some(6), None);
        let m = incoming("Heat", 1995, Some(6), None);
        assert_eq!(
            chosen(&choose_match(&m, "heat", vec![starter.clone(), other])),
            Some(2)
        );
        let m = incoming("Heat", 1995, Some(6), None);
        assert_eq!(chosen(&choose_match(&m, "heat", vec![starter])), Some(1));
    }

    #[test]
    fn an_id_taken_by_a_different_film_is_cleared_on_the_new_row() {
        // Two MovieLens films linked to one TMDB id: the second keeps its MovieLens id only.
        let first = stored(1, "A", 2000, Some(10), Some(99));
        let m = incoming("B", 2001, Some(11), Some(99));
        match choose_match(&m, "b", vec![first]) {
            Match::New(cleared) => {
                assert_eq!(cleared.external.tmdb, None);
                assert_eq!(cleared.external.movielens, Some(11));
            }
            Match::Existing(..) => panic!("a different film"),
        }
        // Importing that film again merges into its own row and still leaves the id alone.
        let second = stored(2, "B", 2001, Some(11), None);
        let first = stored(1, "A", 2000, Some(10), Some(99));
        match choose_match(&m, "b", vec![first, second]) {
            Match::Existing(movie, cleared) => {
                assert_eq!(movie.id, MovieId(2));
                assert_eq!(cleared.external.tmdb, None);
            }
            Match::New(_) => panic!("the same film"),
        }
    }

    #[test]
    fn merging_keeps_stored_values_where_the_incoming_are_empty() {
        let stored = MovieInfo {
            title: "Heat".into(),
            year: Some(1995),
            directors: vec!["Michael Mann".into()],
            overview: "Cops and robbers.".into(),
            ..MovieInfo::default()
        };
        let incoming = MovieInfo {
            title: "Heat".into(),
            year: None,
            external: ExternalIds {
                tmdb: Some(949),
                ..ExternalIds::default()
            },
            ..MovieInfo::default()
        };
        let merged = merge(&stored, &incoming);
        assert_eq!(merged.year, Some(1995));
        assert_eq!(merged.directors, vec!["Michael Mann".to_owned()]);
        assert_eq!(merged.overview, "Cops and robbers.");
        assert_eq!(merged.external.tmdb, Some(949));
        assert_eq!(merge(&merged, &merged), merged);
    }
}
