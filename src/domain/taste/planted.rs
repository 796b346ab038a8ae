//! Synthetic planted worlds for tests, demos and the benchmark: seeded users with known tastes,
//! as raw rows ([`planted_users`]) or as a catalog and event log ([`planted_world`]).

use rand_xoshiro::Xoshiro256Plus;
use rand_xoshiro::rand_core::{RngCore, SeedableRng};

#[cfg(test)]
use super::TasteParams;
use crate::domain::catalog::{Genre, Movie};
use crate::domain::events::{FeedbackEvent, NewFeedbackEvent};
use crate::domain::ids::{MovieId, UserId};

/// Seeded synthetic users with planted tastes, for tests and the benchmark: `groups` tastes,
/// each a random mix over `dim` dimensions, users drawn around them with Gaussian noise of
/// standard deviation `noise`. Returns (rows, planted labels).
pub fn planted_users(
    users: usize,
    groups: usize,
    dim: usize,
    noise: f64,
    seed: u64,
) -> (Vec<f32>, Vec<usize>) {
    let mut rng = Xoshiro256Plus::seed_from_u64(seed);
    let mut uniform = move || (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    // Each taste: one favourite dimension ("genre") of its own, plus two weaker random ones.
    let mut centres = vec![0f64; groups * dim];
    for g in 0..groups {
        centres[g * dim + g % dim.max(1)] += 2.0;
        for _ in 0..2 {
            let d = (uniform() * dim as f64) as usize % dim.max(1);
            centres[g * dim + d] += 0.4 + 0.6 * uniform();
        }
    }
    let mut gauss = move || {
        let (u1, u2) = (uniform().max(1e-300), uniform());
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    };
    let mut rows = Vec::with_capacity(users * dim);
    let mut labels = Vec::with_capacity(users);
    for i in 0..users {
        let g = i % groups.max(1);
        labels.push(g);
        for d in 0..dim {
            rows.push((centres[g * dim + d] + noise * gauss()) as f32);
        }
    }
    (rows, labels)
}

const PLANTED_GENRES: [Genre; 6] = [
    Genre::SciFi,
    Genre::Action,
    Genre::Animation,
    Genre::Romance,
    Genre::Horror,
    Genre::Documentary,
];

/// A seeded synthetic world for tests, demos and the taste map: 12 films in each of six genres,
/// and `users` users of three planted tastes (sci-fi + action, animation + romance,
/// horror + documentary), each rating 14 films, 80 % from their taste. With `nineties`, the
/// action films are from the 1990s.
pub fn planted_world(users: i64, seed: u64, nineties: bool) -> (Vec<Movie>, Vec<FeedbackEvent>) {
    use crate::domain::catalog::MovieInfo;
    use crate::domain::events::FeedbackKind;
    use crate::domain::ids::EventId;
    let mut catalog = Vec::new();
    for (gi, &g) in PLANTED_GENRES.iter().enumerate() {
        for j in 0..12 {
            let id = (gi * 12 + j + 1) as i64;
            catalog.push(Movie {
                id: MovieId(id),
                info: MovieInfo {
                    title: format!("Film {id}"),
                    year: Some(if nineties && gi == 1 {
                        1990 + j as i32 % 10
                    } else {
                        1960 + (j as i32 * 5)
                    }),
                    genres: vec![g],
                    keywords: vec![format!("kw{gi}")],
                    directors: vec![format!("Director {gi}")],
                    ..MovieInfo::default()
                },
            });
        }
    }
    let mut rng = Xoshiro256Plus::seed_from_u64(seed);
    let mut events = Vec::new();
    let mut next = 1;
    for u in 0..users {
        let taste = (u % 3) as usize; // three planted tastes: genres 2t and 2t+1
        for _ in 0..14 {
            let r = rng.next_u64();
            let gi = if r % 10 < 8 {
                2 * taste + (r as usize / 10) % 2
            } else {
                (r as usize / 20) % PLANTED_GENRES.len()
            };
            let film = (gi * 12 + (r as usize >> 8) % 12 + 1) as i64;
            events.push(FeedbackEvent {
                id: EventId(next),
                event: NewFeedbackEvent {
                    user: UserId(u + 1),
                    movie: MovieId(film),
                    kind: FeedbackKind::Rating,
                    value: Some(if gi / 2 == taste { 5.0 } else { 3.5 }),
                    weight: 1.0,
                    raw: None,
                    source: "test".to_owned(),
                    guild: None,
                    message_id: None,
                    created_at_ms: next,
                    idempotency_key: None,
                },
            });
            next += 1;
        }
    }
    (catalog, events)
}

/// One stored event of `user` on `movie` (weight 1), for tests.
#[cfg(test)]
pub(super) fn event(
    id: i64,
    user: i64,
    movie: i64,
    kind: crate::domain::events::FeedbackKind,
    value: Option<f64>,
) -> FeedbackEvent {
    FeedbackEvent {
        id: crate::domain::ids::EventId(id),
        event: NewFeedbackEvent {
            user: UserId(user),
            movie: MovieId(movie),
            kind,
            value,
            weight: 1.0,
            raw: None,
            source: "test".to_owned(),
            guild: None,
            message_id: None,
            created_at_ms: id,
            idempotency_key: None,
        },
    }
}

/// Few runs: the greedy k-means++ seeding rarely needs more on planted data, and the tests
/// run in debug builds on 2 CI cores.
#[cfg(test)]
pub(super) fn small() -> TasteParams {
    TasteParams {
        n_runs: 3,
        sweep_runs: 3,
        k_max: 8,
        silhouette_sample: 400,
        ..TasteParams::default()
    }
}

/// [`small`] restricted to the genre/decade content space (factor vectors never used).
#[cfg(test)]
pub(super) fn content_params() -> TasteParams {
    TasteParams {
        min_factor_users: usize::MAX,
        ..small()
    }
}
