//! `marquee bench serving`: recommendation latency and fold-in time on a synthetic
//! 60,000-film model.

use crate::domain::catalog::{Genre, Movie, MovieInfo};
use crate::domain::events::{FeedbackEvent, FeedbackKind, NewFeedbackEvent};
use crate::domain::ids::{EventId, MovieId, UserId};
use crate::domain::recommend::snapshot::{ModelSnapshot, RecRequest, TrainParams, train};
use crate::domain::rng::SplitMix64;
use std::io::Write;
use std::time::Instant;

/// A synthetic catalog of `n` films (seeded): 1–3 of 19 genres, 4 keywords of 3,000, a
/// director of 8,000, 3 actors of 30,000, a year and a vote count.
fn synthetic_catalog(n: usize, rng: &mut SplitMix64) -> Vec<Movie> {
    (0..n)
        .map(|i| {
            let genres = (0..=rng.below(3))
                .map(|_| Genre::ALL[rng.below(Genre::ALL.len())])
                .collect();
            Movie {
                id: MovieId(i as i64 + 1),
                info: MovieInfo {
                    title: format!("Film {i}"),
                    year: Some(1950 + rng.below(75) as i32),
                    genres,
                    keywords: (0..4).map(|_| format!("kw{}", rng.below(3000))).collect(),
                    directors: vec![format!("Director {}", rng.below(8000))],
                    cast: (0..3)
                        .map(|_| format!("Actor {}", rng.below(30_000)))
                        .collect(),
                    vote_count: rng.below(5000) as i64,
                    ..MovieInfo::default()
                },
            }
        })
        .collect()
}

fn synthetic_event(
    id: i64,
    user: i64,
    movie: i64,
    kind: FeedbackKind,
    value: f64,
) -> FeedbackEvent {
    FeedbackEvent {
        id: EventId(id),
        event: NewFeedbackEvent {
            user: UserId(user),
            movie: MovieId(movie),
            kind,
            value: Some(value),
            weight: 1.0,
            raw: None,
            source: "bench".into(),
            guild: None,
            message_id: None,
            created_at_ms: id,
            idempotency_key: None,
        },
    }
}

fn percentiles(v: &mut [f64]) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() as f64 - 1.0) * q).round() as usize];
    (at(0.5), at(0.99), at(1.0))
}

/// `marquee bench serving`: trains a [`ModelSnapshot`] (default [`TrainParams`]) on a synthetic
/// 60,000-film catalog with content features and 2,000 users × 50 ratings (zipf-like film
/// choice, seeded), then on one thread times 2,000 calls of
/// `recommend(user, count 10)` — ALS scoring of every film, the content pass, popularity,
/// exclusions, bounded-heap top-100, MMR and reasons — and 1,000 `fold_in`s of a 50-event user.
/// Prints p50/p99/max in milliseconds.
pub fn run_bench_serving(mut out: impl Write) -> anyhow::Result<()> {
    let (n_items, n_users, likes) = (60_000usize, 2_000usize, 50usize);
    let mut rng = SplitMix64::new(7);
    let catalog = synthetic_catalog(n_items, &mut rng);
    let mut events = Vec::with_capacity(n_users * likes);
    for u in 0..n_users {
        for _ in 0..likes {
            // Squaring a uniform skews choices toward low ids (popular films).
            let r = rng.next_f32();
            let m = ((r * r) * n_items as f32) as i64 + 1;
            let v = 1.0 + rng.below(9) as f64 * 0.5;
            let id = events.len() as i64 + 1;
            events.push(synthetic_event(
                id,
                u as i64 + 1,
                m,
                FeedbackKind::Rating,
                v,
            ));
        }
    }
    let t = Instant::now();
    let params = TrainParams::default();
    let snap = train(&catalog, &events, &params)?;
    let train_s = t.elapsed().as_secs_f64();
    let bytes = snap.to_bytes();
    let t = Instant::now();
    let mut snap = ModelSnapshot::from_bytes(&bytes)?;
    let load_s = t.elapsed().as_secs_f64();
    let req = RecRequest::default();
    let mut times = Vec::with_capacity(n_users);
    let mut checksum = 0f64;
    for u in 0..n_users {
        let t = Instant::now();
        let picks = snap.recommend(UserId(u as i64 + 1), &req);
        times.push(t.elapsed().as_secs_f64() * 1e3);
        checksum += picks.iter().map(|p| f64::from(p.score)).sum::<f64>();
    }
    let user_events: Vec<FeedbackEvent> = events[..likes].to_vec();
    let mut fold = Vec::with_capacity(1000);
    for _ in 0..1000 {
        let t = Instant::now();
        snap.fold_in(UserId(1), &user_events);
        fold.push(t.elapsed().as_secs_f64() * 1e3);
    }
    checksum += snap.user_vector(UserId(1)).map_or(0.0, |v| f64::from(v[0]));
    let (p50, p99, max) = percentiles(&mut times);
    writeln!(
        out,
        "snapshot: {n_items} films, {} factors, {n_users} users x {likes} ratings: train {train_s:.2} s, {} bytes, load {load_s:.3} s",
        snap.factors(),
        bytes.len()
    )?;
    writeln!(
        out,
        "recommend(user, 10), 1 thread, {n_users} calls: p50 {p50:.3} ms  p99 {p99:.3} ms  max {max:.3} ms"
    )?;
    let (p50, p99, max) = percentiles(&mut fold);
    writeln!(
        out,
        "fold_in({likes} events), 1000 calls: p50 {p50:.3} ms  p99 {p99:.3} ms  max {max:.3} ms  (checksum {checksum:.3})"
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[ignore = "a timing benchmark; run with --ignored in release"]
    fn bench_serving() {
        run_bench_serving(std::io::stdout()).expect("runs");
    }
}
