//! `marquee demo`: a tour of Marquee on this catalog. Searches, and picks for an imaginary fan
//! of three space films from a model trained in memory: nothing is stored.

use crate::app::reply::{PickLine, Reply, Tour, TourSearch, TourSimilar};
use crate::app::services::Services;
use crate::domain::catalog::Movie;
use crate::domain::events::{FeedbackEvent, FeedbackKind, NewFeedbackEvent};
use crate::domain::ids::{EventId, UserId};
use crate::domain::ports::{CatalogRepo as _, FeedbackRepo as _};
use crate::domain::recommend::Pick;
use crate::domain::recommend::cold::{Baseline, ColdStart};
use crate::domain::recommend::snapshot::{RecRequest, TrainParams, train};
use anyhow::Context as _;

/// The searches the tour shows.
const SEARCHES: [&str; 3] = ["godfather", "dune 1984", "amelie"];
/// The films the imaginary fan loves.
const FAN_LOVES: [&str; 3] = ["Alien", "Blade Runner", "The Matrix"];

/// The tour.
///
/// # Errors
/// Storage or training fails.
pub async fn tour(s: &Services) -> anyhow::Result<Reply> {
    let stats = s.store.catalog_stats().await?;
    let events = s.store.all_events().await?;
    let searches = SEARCHES
        .iter()
        .map(|q| TourSearch {
            query: (*q).to_owned(),
            hits: s.films.search(q, 5),
        })
        .collect();
    let loved: Vec<&Movie> = FAN_LOVES
        .iter()
        .filter_map(|t| s.films.find(t).ok())
        .collect();
    let movies = s.films.all().to_vec();
    let fan = UserId(-1);
    let liked: Vec<FeedbackEvent> = loved
        .iter()
        .enumerate()
        .map(|(i, m)| FeedbackEvent {
            id: EventId(-1 - i as i64),
            event: NewFeedbackEvent {
                user: fan,
                movie: m.id,
                kind: FeedbackKind::Rating,
                value: Some(5.0),
                weight: 1.0,
                raw: None,
                source: "demo".into(),
                guild: None,
                message_id: None,
                created_at_ms: i as i64,
                idempotency_key: None,
            },
        })
        .collect();
    let heat = s.films.find("Heat").ok().map(|m| m.id);
    let now_year = s.year();
    let (picks, similar) = tokio::task::spawn_blocking(move || {
        let mut model = train(&movies, &events, &TrainParams::default())
            .map_err(|e| anyhow::anyhow!("training failed: {e}"))?;
        model.fold_in(fan, &liked);
        let mut picks = model.recommend(
            fan,
            &RecRequest {
                count: 5,
                ..RecRequest::default()
            },
        );
        // Picks ranked by popularity say what is known about the film.
        let cold = ColdStart::new(&movies, |m| model.liked_by(m));
        let baseline = Baseline {
            cold: &cold,
            here: &[],
            now_year,
        };
        baseline.explain(&mut picks, None);
        let similar = heat.map(|h| (h, model.similar(h, 5)));
        Ok::<_, anyhow::Error>((picks, similar))
    })
    .await
    .context("the training thread stopped")??;
    let lines = |picks: &[Pick]| -> Vec<PickLine> {
        s.pick_lines(picks.iter().map(|p| (p.movie, p.reason.to_string())))
    };
    Ok(Reply::Tour(Box::new(Tour {
        stats,
        searches,
        fan_loves: loved.iter().map(|m| m.info.display_title()).collect(),
        fan_picks: lines(&picks),
        similar: similar.map(|(h, picks)| TourSimilar {
            title: s.films.title(h),
            picks: lines(&picks),
        }),
    })))
}
