//! The use cases, and the composition root: the only module that names concrete outbound
//! adapters.

pub mod commands;
pub mod conversation;
pub mod experiments;
pub mod feedback;
pub mod models;
pub mod party;
pub mod prompts;

use crate::config::Config;
use crate::domain::ports::CatalogRepo as _;
use crate::outbound::starter_catalog::starter_movies;
use crate::outbound::storage::{Store, redact_url};
use anyhow::Context as _;

/// Opens the configured database, brings its schema up to date, and fills an empty catalog
/// with the starter films.
///
/// # Errors
/// The database cannot be opened or migrated; the message says how to fix it.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let store = Store::connect(&config.database_url).await?;
    tracing::debug!(database = %redact_url(&config.database_url), "storage ready");
    seed_starter_catalog(&store).await?;
    Ok(store)
}

/// Loads the starter catalog into an empty database; a database with films is left alone.
///
/// # Errors
/// The films cannot be stored.
pub async fn seed_starter_catalog(store: &Store) -> anyhow::Result<()> {
    if store.movie_count().await? > 0 {
        return Ok(());
    }
    let movies = starter_movies().map_err(|errors| {
        anyhow::anyhow!(
            "the built-in catalog has {} bad rows, first: {}",
            errors.len(),
            errors[0]
        )
    })?;
    let summary = store
        .upsert_movies(&movies)
        .await
        .context("loading the starter catalog")?;
    tracing::info!(
        films = summary.inserted,
        "loaded the starter catalog into an empty database"
    );
    Ok(())
}
