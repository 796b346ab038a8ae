//! Training and serving: build a model snapshot from the event log, store it, load the newest,
//! and answer "recommend for this user" and "more like this film" from it. Training is CPU
//! work, so it runs on a blocking thread and never holds up the async runtime.

use crate::domain::catalog::search::{Lookup, TitleIndex};
use crate::domain::catalog::{Movie, MovieInfo};
use crate::domain::events::FeedbackEvent;
use crate::domain::group_signal::with_group_favourites;
use crate::domain::ids::MovieId;
use crate::domain::ids::UserId;
use crate::domain::ports::{CatalogRepo, Clock as _, FeedbackRepo, ModelRepo};
use crate::domain::recommend::hybrid::Pick;
use crate::domain::recommend::snapshot::RecRequest;
use crate::domain::recommend::snapshot::{self, ModelSnapshot, TrainParams};
use crate::domain::taste::{self, TasteGroups, TasteParams};
use crate::outbound::clock::SystemClock;
use anyhow::Context as _;
use std::collections::HashSet;
use std::time::Instant;

/// The `kind` under which recommender snapshots are stored.
pub const RECOMMENDER: &str = "recommender";
/// The `kind` under which taste groups are stored, recomputed after each training.
pub const TASTE: &str = "taste-groups";

/// What a training run did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TrainReport {
    pub films: usize,
    pub events: usize,
    pub seconds: f64,
    pub bytes: usize,
    pub snapshot_id: i64,
    /// Taste groups found, and users placed in one.
    pub taste_groups: usize,
    pub grouped_users: usize,
    /// What the clustering wants known (too few users, odd vectors, …).
    pub warnings: Vec<String>,
}

/// Trains a snapshot from every stored event and saves it.
///
/// # Errors
/// Storage fails, or the catalog is empty.
pub async fn train_and_save(
    store: &(impl CatalogRepo + FeedbackRepo + ModelRepo),
) -> anyhow::Result<(ModelSnapshot, TrainReport)> {
    let catalog = store.all_movies().await?;
    let events = store.all_events().await?;
    let (films, n_events) = (catalog.len(), events.len());
    let started = Instant::now();
    let previous = latest_taste(store).await?;
    let (model, groups) = tokio::task::spawn_blocking(move || {
        let model = snapshot::train(&catalog, &events, &TrainParams::default())?;
        let groups = taste::compute_groups(
            &model,
            &catalog,
            &events,
            previous.as_ref(),
            &TasteParams::default(),
        );
        Ok::<_, crate::domain::recommend::FitError>((model, groups))
    })
    .await
    .context("the training thread stopped")?
    .map_err(|e| anyhow::anyhow!("training failed: {e}"))?;
    let seconds = started.elapsed().as_secs_f64();
    for w in groups.warnings() {
        tracing::info!(warning = %w, "taste groups");
    }
    let bytes = model.to_bytes();
    let id = store
        .save_model(
            RECOMMENDER,
            i64::from(snapshot::VERSION),
            &bytes,
            i64::try_from(n_events).unwrap_or(i64::MAX),
            SystemClock.now_ms(),
        )
        .await?;
    store
        .save_model(
            TASTE,
            1,
            &groups.to_bytes(),
            i64::try_from(n_events).unwrap_or(i64::MAX),
            SystemClock.now_ms(),
        )
        .await?;
    let report = TrainReport {
        films,
        events: n_events,
        seconds,
        bytes: bytes.len(),
        snapshot_id: id,
        taste_groups: groups.groups().len(),
        grouped_users: groups.user_count(),
        warnings: groups.warnings().to_vec(),
    };
    Ok((model, report))
}

/// The newest stored taste groups, if any can be read.
///
/// # Errors
/// Storage fails.
pub async fn latest_taste(store: &impl ModelRepo) -> anyhow::Result<Option<TasteGroups>> {
    Ok(store.latest_model(TASTE).await?.and_then(|stored| match TasteGroups::from_bytes(&stored.data) {
        Ok(groups) => Some(groups),
        Err(e) => {
            tracing::warn!(error = %e, "the stored taste groups cannot be read; they will be recomputed");
            None
        }
    }))
}

/// The newest stored snapshot, or a fresh one trained now when there is none (or it cannot be
/// read, e.g. written by an older version).
///
/// # Errors
/// Storage fails, or training fails.
pub async fn load_or_train(
    store: &(impl CatalogRepo + FeedbackRepo + ModelRepo),
) -> anyhow::Result<ModelSnapshot> {
    if let Some(stored) = store.latest_model(RECOMMENDER).await? {
        match ModelSnapshot::from_bytes(&stored.data) {
            Ok(model) => return Ok(model),
            Err(e) => {
                tracing::warn!(error = %e, "the stored model cannot be read; training a new one");
            }
        }
    }
    Ok(train_and_save(store).await?.0)
}

/// A film named by a person, or what to tell them instead.
#[derive(Debug)]
pub enum Named<'a> {
    Film(&'a Movie),
    /// Nothing matched well; the closest titles.
    Unknown(Vec<&'a Movie>),
    /// Several films fit equally (same title, different years).
    Ambiguous(Vec<&'a Movie>),
}

/// Finds the film a person named, with suggestions when the name does not fit one film.
pub fn find_film<'a>(index: &TitleIndex, movies: &'a [Movie], query: &str) -> Named<'a> {
    let by_id = |id: MovieId| {
        movies
            .binary_search_by_key(&id, |m| m.id)
            .ok()
            .map(|i| &movies[i])
    };
    match index.lookup(query, 5) {
        Lookup::Found(hit) => by_id(hit.id).map_or(Named::Unknown(Vec::new()), Named::Film),
        Lookup::Ambiguous(hits) => {
            Named::Ambiguous(hits.iter().filter_map(|h| by_id(h.id)).collect())
        }
        Lookup::Suggestions(hits) => {
            Named::Unknown(hits.iter().filter_map(|h| by_id(h.id)).collect())
        }
    }
}

/// The friendly sentence for a name that is not one film.
pub fn explain_not_found(query: &str, named: &Named<'_>) -> String {
    let list = |films: &[&Movie]| {
        films
            .iter()
            .map(|m| m.info.display_title())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match named {
        Named::Film(m) => m.info.display_title(),
        Named::Ambiguous(films) => {
            format!(
                "\"{query}\" could be {}. Add the year, e.g. \"{}\".",
                list(films),
                films[0].info.display_title()
            )
        }
        Named::Unknown(films) if films.is_empty() => {
            format!(
                "No film called \"{query}\" is in the catalog. Check the spelling, or import more films."
            )
        }
        Named::Unknown(films) => {
            format!("No film called \"{query}\". Did you mean: {}?", list(films))
        }
    }
}

/// Whether a film passes a request's genre and year filters (a film of unknown year fails a
/// year filter, as in the recommender).
pub fn request_admits(request: &RecRequest, m: &MovieInfo) -> bool {
    request.genre.is_none_or(|g| m.genres.contains(&g))
        && request
            .min_year
            .is_none_or(|y| m.year.is_some_and(|my| my >= y))
        && request
            .max_year
            .is_none_or(|y| m.year.is_some_and(|my| my <= y))
}

/// A user's picks: the model's (with the user's `events` already folded in by the caller),
/// mixed with their taste group's favourites when they have a group. `movie` looks a film up.
pub fn personal_picks<'a>(
    model: &ModelSnapshot,
    groups: Option<&TasteGroups>,
    user: UserId,
    events: &[FeedbackEvent],
    request: &RecRequest,
    movie: impl Fn(MovieId) -> Option<&'a Movie>,
) -> Vec<Pick> {
    let picks = model.recommend(user, request);
    let Some((groups, group)) = groups.and_then(|g| g.group_of(user).map(|group| (g, group)))
    else {
        return picks;
    };
    let history: HashSet<MovieId> = events.iter().map(|e| e.event.movie).collect();
    let eligible = |id: MovieId| {
        !history.contains(&id)
            && !request.exclude.contains(&id)
            && movie(id).is_some_and(|m| request_admits(request, &m.info))
    };
    let favourites = groups.group_favourites(group.key, 50);
    with_group_favourites(picks, &group.name, &favourites, eligible, request.count)
}
