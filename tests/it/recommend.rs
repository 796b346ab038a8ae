//! Training from the event log and recommending, on both backends.

use crate::helpers::on_both_backends;
use marquee::app::training as models;
use marquee::domain::ports::{CatalogRepo, FeedbackRepo, ModelRepo, UserKind, UserRepo};
use marquee::domain::recommend::snapshot::RecRequest;
use marquee::outbound::import::{Reporter, movielens};
use marquee::outbound::storage::Store;
use std::path::Path;

async fn train_then_recommend_for_a_movielens_user(store: Store) {
    marquee::app::seed_starter_catalog(&store)
        .await
        .expect("starter");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/movielens/csv");
    movielens::import(&store, &fixture, &mut Reporter::new(true))
        .await
        .expect("import");
    let (_, report) = models::train_and_save(&store, 1_700_000_000_000)
        .await
        .expect("train");
    assert_eq!(report.events, 6);
    assert!(report.films >= 500);
    let stored = store
        .latest_model(models::RECOMMENDER)
        .await
        .expect("load")
        .expect("saved");
    assert_eq!(stored.id, report.snapshot_id);
    assert!(
        store
            .latest_model(models::TASTE)
            .await
            .expect("load")
            .is_some(),
        "taste groups saved with it"
    );

    let model = models::load_or_train(&store, 1_700_000_000_000)
        .await
        .expect("load");
    let user = store
        .ensure_user(UserKind::MovieLens, "1", "", None)
        .await
        .expect("user 1");
    let picks = model.recommend(
        user,
        &RecRequest {
            count: 10,
            ..RecRequest::default()
        },
    );
    assert_eq!(picks.len(), 10);
    let rated: Vec<_> = store
        .events_for_user(user)
        .await
        .expect("events")
        .iter()
        .map(|e| e.event.movie)
        .collect();
    assert_eq!(rated.len(), 3);
    assert!(
        picks.iter().all(|p| !rated.contains(&p.movie)),
        "rated films are not suggested again"
    );
    assert!(picks.iter().all(|p| p.score.is_finite()));
    let movies = store.all_movies().await.expect("movies");
    assert!(picks.iter().all(|p| movies.iter().any(|m| m.id == p.movie)));

    // Training again keeps a bounded history of snapshots and loads the newest.
    for _ in 0..4 {
        models::train_and_save(&store, 1_700_000_000_000)
            .await
            .expect("retrain");
    }
    let newest = store
        .latest_model(models::RECOMMENDER)
        .await
        .expect("load")
        .expect("saved");
    assert!(newest.id > stored.id);
}

on_both_backends!(train_then_recommend_for_a_movielens_user);
