//! Training: build a model snapshot and the taste groups from the event log, store them, load
//! the newest, and swap a retrained model into the running app. Training is CPU work, so it runs
//! on a blocking thread and never holds up the async runtime; serving goes on from the old model
//! meanwhile.

use crate::app::services::Services;
use crate::domain::catalog::Movie;
use crate::domain::conversation::together::Together;
use crate::domain::ids::{GuildId, MovieId, UserId};
use crate::domain::ports::{
    CatalogRepo, ConversationRepo, FeedbackRepo, ModelRepo, ModelToSave, UserRepo,
};
use crate::domain::recommend::digest::{LogDigest, LogDigestBuilder};
use crate::domain::recommend::snapshot::{self, ModelSnapshot, TrainParams};
use crate::domain::taste::{self, ServerTaste, TasteParams};
use anyhow::Context as _;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

/// The `kind` under which recommender snapshots are stored.
pub const RECOMMENDER: &str = "recommender";
/// The `kind` under which the taste groups of every server are stored, recomputed after each
/// training.
pub const TASTE: &str = "taste-groups-by-server";

/// What a training run did.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TrainReport {
    pub films: usize,
    pub events: usize,
    pub seconds: f64,
    pub bytes: usize,
    pub snapshot_id: i64,
    /// Taste groups found (in every server together), and users placed in one.
    pub taste_groups: usize,
    pub grouped_users: usize,
    /// What the clustering wants known (too few users, odd vectors, …).
    pub warnings: Vec<String>,
}

/// Events read from the log per page when training streams it.
const LOG_PAGE: u32 = 50_000;

/// Reads the whole event log, page by page, into its compact combined form (see
/// [`LogDigest`]): memory grows with the (user, film) pairs, not with the stored rows.
///
/// # Errors
/// Storage fails.
pub async fn read_log(
    store: &impl FeedbackRepo,
    catalog: &[Movie],
    pop_half_life_days: f32,
) -> anyhow::Result<LogDigest> {
    let mut log = LogDigestBuilder::new(catalog);
    if let Ok(count) = store.event_count().await {
        log.reserve(usize::try_from(count).unwrap_or(0));
    }
    let mut after = None;
    loop {
        let page = store.event_log_page(after, LOG_PAGE).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        for e in &page {
            log.push(e);
        }
        if page.len() < LOG_PAGE as usize {
            break;
        }
    }
    tokio::task::spawn_blocking(move || log.finish(pop_half_life_days))
        .await
        .context("the training thread stopped")
}

/// Trains a snapshot from every stored event and saves it with the taste groups (one
/// transaction; other processes are told of the new version).
///
/// # Errors
/// Storage fails, or the catalog is empty.
pub async fn train_and_save(
    store: &(impl CatalogRepo + FeedbackRepo + ModelRepo + UserRepo),
    now_ms: i64,
) -> anyhow::Result<(ModelSnapshot, TrainReport)> {
    let catalog = store.all_movies().await?;
    let params = TrainParams::default();
    let started = Instant::now();
    let log = read_log(store, &catalog, params.pop_half_life_days).await?;
    tracing::debug!(
        events = log.events(),
        pairs = log.pair_count(),
        seconds = started.elapsed().as_secs_f64(),
        "event log read"
    );
    let servers: HashMap<UserId, Option<GuildId>> =
        store.user_servers().await?.into_iter().collect();
    let known: HashSet<UserId> = servers.keys().copied().collect();
    let (films, n_events) = (
        catalog.len(),
        usize::try_from(log.events()).unwrap_or(usize::MAX),
    );
    let previous = latest_taste(store).await?;
    let (model, groups) = tokio::task::spawn_blocking(move || {
        let fit = Instant::now();
        let model = snapshot::train_digest(&catalog, &log, &params)?;
        tracing::debug!(seconds = fit.elapsed().as_secs_f64(), "recommender trained");
        let grouping = Instant::now();
        // Films are learned from everyone; people are grouped only with their own server.
        let mut by_scope: BTreeMap<Option<GuildId>, Vec<usize>> = BTreeMap::new();
        for (i, (user, _)) in log.users().enumerate() {
            let scope = servers.get(&user).copied().flatten();
            by_scope.entry(scope).or_default().push(i);
        }
        let groups = ServerTaste::new(by_scope.into_iter().map(|(server, people)| {
            let before = previous.as_ref().and_then(|p| p.of(server));
            let found = taste::compute_groups_of(
                &model,
                &catalog,
                people.into_iter().map(|i| log.user(i)),
                before,
                &TasteParams::default(),
            );
            (server, found)
        }));
        tracing::debug!(
            seconds = grouping.elapsed().as_secs_f64(),
            "taste groups found"
        );
        Ok::<_, crate::domain::recommend::FitError>((model, groups))
    })
    .await
    .context("the training thread stopped")?
    .map_err(|e| anyhow::anyhow!("training failed: {e}"))?;
    let seconds = started.elapsed().as_secs_f64();
    // Debug, not info: the bot retrains within a minute of new feedback, for every server.
    for scoped in groups.scopes() {
        for w in scoped.groups.warnings() {
            tracing::debug!(server = ?scoped.server, warning = %w, "taste groups");
        }
    }
    let bytes = model.to_bytes();
    let ids = store
        .save_models(
            &[
                ModelToSave {
                    kind: RECOMMENDER,
                    format: i64::from(snapshot::VERSION),
                    data: &bytes,
                },
                ModelToSave {
                    kind: TASTE,
                    format: 1,
                    data: &groups.to_bytes(),
                },
            ],
            i64::try_from(n_events).unwrap_or(i64::MAX),
            now_ms,
        )
        .await?;
    let id = ids.first().copied().unwrap_or_default();
    tracing::debug!(
        bytes = bytes.len(),
        seconds = started.elapsed().as_secs_f64(),
        "models stored"
    );
    // Someone forgotten (or a server deleted) while this ran is in what was just saved: their
    // deletion came first, so they are missing now; take them out again.
    let mut model = model;
    drop_deleted(store, &known, &mut model, now_ms).await?;
    let report = TrainReport {
        films,
        events: n_events,
        seconds,
        bytes: bytes.len(),
        snapshot_id: id,
        taste_groups: groups.group_count(),
        grouped_users: groups.user_count(),
        warnings: groups
            .scopes()
            .iter()
            .flat_map(|s| s.groups.warnings().iter().cloned())
            .collect(),
    };
    Ok((model, report))
}

/// What past `/ask` conversations teach about films: each stored conversation's named and
/// accepted films, learned the way `marquee eval conversation --history` learns ReDial's, and
/// weighing fully from [`FULL_AT`](crate::domain::conversation::together::FULL_AT)
/// conversations on.
///
/// # Errors
/// Storage fails.
pub async fn learn_together(store: &impl ConversationRepo) -> anyhow::Result<Together> {
    let rows = store.conversation_films().await?;
    let mut together = Together::new();
    for chunk in rows.chunk_by(|a, b| a.0 == b.0) {
        let films: Vec<MovieId> = chunk.iter().map(|(_, m)| *m).collect();
        together.add(&films);
    }
    Ok(together.ramped())
}

/// The newest stored taste groups, if any can be read.
///
/// # Errors
/// Storage fails.
pub async fn latest_taste(store: &impl ModelRepo) -> anyhow::Result<Option<ServerTaste>> {
    Ok(store.latest_model(TASTE).await?.and_then(|stored| match ServerTaste::from_bytes(&stored.data) {
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
    store: &(impl CatalogRepo + FeedbackRepo + ModelRepo + UserRepo),
    now_ms: i64,
) -> anyhow::Result<ModelSnapshot> {
    Ok(load_or_train_counted(store, now_ms).await?.0)
}

/// [`load_or_train`], with the number of events the model was trained on and its version (the
/// stored snapshot's id).
///
/// # Errors
/// Storage fails, or training fails.
pub async fn load_or_train_counted(
    store: &(impl CatalogRepo + FeedbackRepo + ModelRepo + UserRepo),
    now_ms: i64,
) -> anyhow::Result<(ModelSnapshot, i64, i64)> {
    if let Some(loaded) = load_newest(store).await? {
        return Ok(loaded);
    }
    let (model, report) = train_and_save(store, now_ms).await?;
    Ok((
        model,
        i64::try_from(report.events).unwrap_or(i64::MAX),
        report.snapshot_id,
    ))
}

/// The newest stored snapshot with its event count and version, if one can be read.
///
/// # Errors
/// Storage fails.
pub async fn load_newest(
    store: &impl ModelRepo,
) -> anyhow::Result<Option<(ModelSnapshot, i64, i64)>> {
    let Some(stored) = store.latest_model(RECOMMENDER).await? else {
        return Ok(None);
    };
    let id = stored.id;
    let events = stored.events_seen;
    match tokio::task::spawn_blocking(move || ModelSnapshot::from_bytes(&stored.data))
        .await
        .context("the loading thread stopped")?
    {
        Ok(model) => Ok(Some((model, events, id))),
        Err(e) => {
            tracing::warn!(error = %e, "the stored model cannot be read");
            Ok(None)
        }
    }
}

/// For a process that does not train (`serve --no-train`): the newest stored snapshot, or,
/// until the trainer stores one, a model of the catalog alone (popularity and content, no
/// collaborative part; version 0, never stored).
///
/// # Errors
/// Storage fails.
pub async fn load_stored(
    store: &(impl CatalogRepo + ModelRepo),
) -> anyhow::Result<(ModelSnapshot, i64, i64)> {
    if let Some(loaded) = load_newest(store).await? {
        return Ok(loaded);
    }
    tracing::info!("no stored model yet: serving the catalog alone until the trainer stores one");
    let catalog = store.all_movies().await?;
    let model = tokio::task::spawn_blocking(move || {
        snapshot::train(&catalog, &[], &TrainParams::default())
    })
    .await
    .context("the loading thread stopped")?
    .map_err(|e| anyhow::anyhow!("the catalog model failed: {e}"))?;
    Ok((model, 0, 0))
}

/// Loads the newest stored models when their version differs from the one served, and swaps
/// them in; the version now served. What a process that does not train calls when told of a
/// new model (and after every reconnect, and now and then).
///
/// # Errors
/// Storage fails.
pub async fn follow_stored(s: &Services) -> anyhow::Result<i64> {
    let models = s.models().await?;
    let newest = s.store.latest_model_id(RECOMMENDER).await?.unwrap_or(0);
    if newest == models.version() {
        return Ok(newest);
    }
    let Some((model, events, version)) = load_newest(&s.store).await? else {
        return Ok(models.version());
    };
    let groups = latest_taste(&s.store).await?;
    let together = learn_together(&s.store).await?;
    models.replace_together(together);
    models.replace(model, groups, events, version);
    Ok(version)
}

/// Retrains the model and the taste groups from every stored event and swaps them into the
/// running app; commands keep being served from the old model meanwhile. One training at a time
/// per process: a second call waits for the first to end, then trains again (on the events
/// that came meanwhile).
///
/// # Errors
/// Storage or training fails (the old model stays).
pub async fn retrain(s: &Services) -> anyhow::Result<TrainReport> {
    let _one_at_a_time = s.training.lock().await;
    let known: HashSet<UserId> = s
        .store
        .user_servers()
        .await?
        .into_iter()
        .map(|(u, _)| u)
        .collect();
    let (model, report) = train_and_save(&s.store, s.now_ms()).await?;
    let groups = latest_taste(&s.store).await?;
    let together = learn_together(&s.store).await?;
    if let Some(models) = s.loaded_models() {
        models.replace_together(together);
        models.replace(
            model,
            groups,
            i64::try_from(report.events).unwrap_or(i64::MAX),
            report.snapshot_id,
        );
        // A forget between the last check and the swap scrubbed the old model: again.
        let gone = deleted_since(&s.store, &known).await?;
        if !gone.is_empty() {
            models.forget(&gone);
        }
    }
    Ok(report)
}

/// Takes the users of `known` that are no longer stored out of the saved snapshots and out of
/// `model`; returns them.
///
/// # Errors
/// Storage fails.
pub(crate) async fn drop_deleted(
    store: &(impl ModelRepo + UserRepo),
    known: &HashSet<UserId>,
    model: &mut ModelSnapshot,
    now_ms: i64,
) -> anyhow::Result<Vec<UserId>> {
    let gone = deleted_since(store, known).await?;
    if !gone.is_empty() {
        scrub_stored(store, &gone, now_ms).await?;
        for u in &gone {
            model.forget_user(*u);
        }
    }
    Ok(gone)
}

/// Which of `known` users are no longer stored.
async fn deleted_since(
    store: &impl UserRepo,
    known: &HashSet<UserId>,
) -> anyhow::Result<Vec<UserId>> {
    let now: HashSet<UserId> = store
        .user_servers()
        .await?
        .into_iter()
        .map(|(u, _)| u)
        .collect();
    let mut gone: Vec<UserId> = known.difference(&now).copied().collect();
    gone.sort_unstable();
    Ok(gone)
}

/// Takes `users` out of every stored snapshot: the newest of each kind is rewritten without
/// them and the older ones are deleted. A snapshot that cannot be read is deleted too (it
/// cannot be cleaned; the next training replaces it).
///
/// # Errors
/// Storage fails.
pub(crate) async fn scrub_stored(
    store: &impl ModelRepo,
    users: &[UserId],
    now_ms: i64,
) -> anyhow::Result<()> {
    if let Some(stored) = store.latest_model(RECOMMENDER).await? {
        match ModelSnapshot::from_bytes(&stored.data) {
            Ok(mut model) => {
                for u in users {
                    model.forget_user(*u);
                }
                store
                    .replace_models(
                        RECOMMENDER,
                        i64::from(snapshot::VERSION),
                        &model.to_bytes(),
                        stored.events_seen,
                        now_ms,
                    )
                    .await?;
            }
            Err(_) => store.delete_models(RECOMMENDER).await?,
        }
    }
    if let Some(stored) = store.latest_model(TASTE).await? {
        match ServerTaste::from_bytes(&stored.data) {
            Ok(mut taste) => {
                for u in users {
                    taste.forget(*u);
                }
                store
                    .replace_models(TASTE, 1, &taste.to_bytes(), stored.events_seen, now_ms)
                    .await?;
            }
            Err(_) => store.delete_models(TASTE).await?,
        }
    }
    Ok(())
}
