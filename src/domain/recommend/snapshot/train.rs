//! Training a [`ModelSnapshot`] from the catalog and the whole event log: per-user histories
//! from [`combine`], recency-weighted popularity and the implicit-ALS fit.

use std::collections::HashMap;

use crate::domain::catalog::Movie;
use crate::domain::events::FeedbackEvent;
use crate::domain::feedback::{ImplicitRating, combine};
use crate::domain::ids::{MovieId, UserId};

use super::{
    Entry, ModelSnapshot, NOT_INTERESTED, RATED, SEEN, SIGNAL, Serve, TrainParams, genre_bit,
    zscore_in_place,
};
use crate::domain::recommend::data::{Csr, IdMap, Ratings};
use crate::domain::recommend::digest::LogDigest;
use crate::domain::recommend::{Checked, FitError, Params, finite_or};

/// Turns one user's combined state of one film into a history entry (`None` = no state).
fn entry_of(r: &ImplicitRating, item: u32, serve: &Serve) -> Option<Entry> {
    let mut flags = SIGNAL;
    if r.seen {
        flags |= SEEN;
    }
    if r.explicit {
        flags |= RATED;
    }
    if r.not_interested {
        flags |= NOT_INTERESTED;
    }
    let strength = if r.not_interested {
        0.0
    } else {
        match r.value {
            Some(v) if v as f32 >= serve.like_threshold => {
                let w = if r.explicit { 1.0 } else { r.weight as f32 };
                (w * ((v as f32 - 2.5) / 2.5).max(0.2)).max(if r.seen {
                    serve.seen_strength
                } else {
                    0.0
                })
            }
            None if r.seen => serve.seen_strength,
            _ => 0.0,
        }
    };
    let any = r.value.is_some() || r.seen || r.not_interested;
    any.then_some(Entry {
        item,
        strength: finite_or(strength, 0.0),
        flags,
    })
}

/// Groups `events` by (user, catalog film) in log order and combines each group.
pub(super) fn combine_all(
    events: &[FeedbackEvent],
    movies: &IdMap<MovieId>,
    serve: &Serve,
) -> HashMap<UserId, Vec<Entry>> {
    let mut groups: HashMap<(UserId, u32), Vec<crate::domain::events::NewFeedbackEvent>> =
        HashMap::new();
    for e in events {
        if let Some(i) = movies.get(e.event.movie) {
            groups
                .entry((e.event.user, i))
                .or_default()
                .push(e.event.clone());
        }
    }
    let mut out: HashMap<UserId, Vec<Entry>> = HashMap::new();
    for ((u, i), evs) in groups {
        if let Some(entry) = entry_of(&combine(&evs), i, serve) {
            out.entry(u).or_default().push(entry);
        }
    }
    for h in out.values_mut() {
        h.sort_unstable_by_key(|e| e.item);
    }
    out
}

/// Each film's year (0 when unknown) and genre bits.
fn years_and_genres(movies: &[Movie]) -> (Vec<i32>, Vec<u32>) {
    movies
        .iter()
        .map(|m| {
            let g = m.info.genres.iter().fold(0u32, |a, &g| a | genre_bit(g));
            (m.info.year.unwrap_or(0), g)
        })
        .unzip()
}

/// Trains a snapshot from the catalog and the whole event log (in log order). Events about films
/// outside `catalog` are ignored; duplicate catalog ids keep the first. An empty log gives a
/// popularity-and-content model (no collaborative part). The same as [`train_digest`] on the
/// log's [`LogDigest`].
///
/// # Errors
/// [`FitError::Params`] when `params` are out of range.
pub fn train(
    catalog: &[Movie],
    events: &[FeedbackEvent],
    params: &TrainParams,
) -> Result<ModelSnapshot, FitError> {
    let log = LogDigest::of_events(catalog, events, params.pop_half_life_days);
    train_digest(catalog, &log, params)
}

/// The serving settings `p` gives (the fit fills in the frequency scaling).
fn serve_of(p: &TrainParams) -> Serve {
    Serve {
        like_threshold: p.like_threshold,
        seen_strength: p.seen_strength,
        history_damping: p.history_damping,
        cf_share: p.cf_share,
        content_floor: p.content_floor,
        mmr_pool: p.mmr_pool,
        reg: p.als.reg,
        alpha: p.als.alpha,
        reg_exponent: 0.0,
        mass_items: 0.0,
        mass_mean: 0.0,
    }
}

/// Trains a snapshot from the catalog and the combined log, built over the same `catalog`
/// with `params.pop_half_life_days` (what training at scale streams; see [`LogDigest`]).
///
/// # Errors
/// [`FitError::Params`] when `params` are out of range.
pub fn train_digest(
    catalog: &[Movie],
    log: &LogDigest,
    params: &TrainParams,
) -> Result<ModelSnapshot, FitError> {
    let p = params.clone().check()?.0;
    let mut serve = serve_of(&p);
    let mut movies = IdMap::default();
    let mut unique: Vec<Movie> = Vec::with_capacity(catalog.len());
    for m in catalog {
        if movies.get(m.id).is_none() {
            movies.insert(m.id);
            unique.push(m.clone());
        }
    }
    debug_assert_eq!(movies.ids(), log.films(), "the digest is of this catalog");
    let content = Checked(p.content.clone()).fit(&unique);
    let mut users = IdMap::default();
    let mut histories: Vec<Vec<Entry>> = Vec::with_capacity(log.user_count());
    for (u, pairs) in log.users() {
        users.insert(u);
        histories.push(
            pairs
                .iter()
                .filter_map(|c| entry_of(&LogDigest::rating(c), c.item(), &serve))
                .collect(),
        );
    }
    let n = movies.len();
    let liked = || {
        histories.iter().enumerate().flat_map(|(u, h)| {
            h.iter()
                .filter(|e| e.strength > 0.0)
                .map(move |e| (u as u32, e.item, e.strength))
        })
    };
    let mut pop_raw = vec![0f32; n];
    for (_, i, s) in liked() {
        pop_raw[i as usize] += s;
    }
    for (i, raw) in pop_raw.iter_mut().enumerate() {
        *raw *= log.recency(i as u32);
    }
    let mut pop: Vec<f32> = pop_raw
        .iter()
        .zip(&unique)
        .map(|(s, m)| s.ln_1p() + p.prior_weight * (m.info.vote_count.max(0) as f32).ln_1p())
        .collect();
    zscore_in_place(&mut pop);
    for v in &mut pop {
        *v = v.clamp(-3.0, 3.0);
    }
    let k = p.als.factors;
    let mut item_factors = vec![0f32; n * k];
    let mut user_factors = vec![0f32; users.len() * k];
    let data = Ratings::from_unique(liked().map(|(u, i, s)| (users.id(u), movies.id(i), s)))?;
    if data.nnz() > 0 {
        let als = Checked(p.als.clone()).fit(&data)?;
        (serve.reg_exponent, serve.mass_mean, serve.mass_items) = als.reg_scaling();
        for (ai, &m) in als.items.ids().iter().enumerate() {
            if let Some(i) = movies.get(m) {
                let i = i as usize;
                item_factors[i * k..(i + 1) * k].copy_from_slice(&als.y[ai * k..(ai + 1) * k]);
            }
        }
        for (au, &u) in als.users.ids().iter().enumerate() {
            if let Some(i) = users.get(u) {
                let i = i as usize;
                user_factors[i * k..(i + 1) * k].copy_from_slice(&als.x[au * k..(au + 1) * k]);
            }
        }
    }
    drop(data);
    let (years, genres) = years_and_genres(&unique);
    let mut snap = ModelSnapshot {
        serve,
        movies,
        years,
        genres,
        pop,
        k,
        item_factors,
        users,
        user_factors,
        histories,
        content,
        events_seen: log.events(),
        last_event: log.last_event(),
        liked_by: Vec::new(),
        seen_by: Vec::new(),
        item_norms: Vec::new(),
        gram: Vec::new(),
        postings: Csr::default(),
    };
    snap.derive();
    Ok(snap)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::Genre;
    use crate::domain::events::FeedbackKind;
    use crate::domain::recommend::snapshot::RecRequest;
    use crate::domain::recommend::snapshot::tests::{ev, film, ids, params, world};

    #[test]
    fn a_frequency_scaled_snapshot_keeps_its_scaling_and_still_folds_in() {
        let (movies, events) = world();
        let mut p = params();
        p.als.reg_exponent = 1.0;
        let s = train(&movies, &events, &p).expect("trains");
        assert!((s.serve.reg_exponent - 1.0).abs() < f32::EPSILON);
        assert!(s.serve.mass_mean > 0.0 && s.serve.mass_items > 0.0);
        let mut back = ModelSnapshot::from_bytes(&s.to_bytes()).expect("reads back");
        assert_eq!(back.serve, s.serve);
        let plain = train(&movies, &events, &params()).expect("trains");
        assert!(plain.serve.reg_exponent.abs() < f32::EPSILON);
        // Fold-in on the restored snapshot uses the scaled λ and still follows the new likes.
        let likes: Vec<FeedbackEvent> = (10..13)
            .map(|m| ev(20_000 + m, 777, m, FeedbackKind::Reaction, Some(5.0)))
            .collect();
        back.fold_in(UserId(777), &likes);
        let req = RecRequest {
            count: 5,
            ..RecRequest::default()
        };
        let after = back.recommend(UserId(777), &req);
        assert!(
            ids(&after).iter().any(|m| (13..16).contains(m)),
            "{after:?}"
        );
    }

    #[test]
    fn tiny_and_empty_inputs_do_not_panic() {
        let one = vec![film(1, Genre::Drama, "x", "Someone", 2001)];
        let s = train(&one, &[], &TrainParams::default()).expect("trains");
        let picks = s.recommend(UserId(1), &RecRequest::default());
        assert_eq!(ids(&picks), vec![1]);
        assert!(picks[0].score.is_finite());
        assert!(s.similar(MovieId(1), 5).is_empty());
        let back = ModelSnapshot::from_bytes(&s.to_bytes()).expect("round trip");
        assert_eq!(back.recommend(UserId(1), &RecRequest::default()).len(), 1);
        let mut empty = train(&[], &[], &TrainParams::default()).expect("trains");
        assert!(
            empty
                .recommend(UserId(1), &RecRequest::default())
                .is_empty()
        );
        empty.fold_in(UserId(1), &[ev(1, 1, 5, FeedbackKind::Rating, Some(4.0))]);
        assert!(ModelSnapshot::from_bytes(&empty.to_bytes()).is_ok());
        // A user whose only film is not in the catalog.
        let s = train(
            &one,
            &[ev(1, 2, 77, FeedbackKind::Rating, Some(5.0))],
            &TrainParams::default(),
        )
        .expect("trains");
        assert_eq!(s.recommend(UserId(2), &RecRequest::default()).len(), 1);
    }

    #[test]
    fn a_cold_start_user_sees_this_years_favourite_before_an_old_one() {
        let day = 86_400_000i64;
        let films = vec![
            film(1, Genre::Drama, "x", "A", 2001),
            film(2, Genre::Drama, "y", "B", 2002),
        ];
        // Film 1: eight fans two years ago; film 2: eight fans this month.
        let mut events = Vec::new();
        for u in 0..8 {
            let mut old = ev(u + 1, u + 1, 1, FeedbackKind::Rating, Some(5.0));
            old.event.created_at_ms = u * day;
            let mut new = ev(u + 100, u + 100, 2, FeedbackKind::Rating, Some(5.0));
            new.event.created_at_ms = 730 * day + u * day;
            events.extend([old, new]);
        }
        let s = train(&films, &events, &TrainParams::default()).expect("trains");
        assert_eq!(
            ids(&s.recommend(UserId(9999), &RecRequest::default()))[0],
            2
        );
        let flat = TrainParams {
            pop_half_life_days: 0.0,
            ..TrainParams::default()
        };
        let s = train(&films, &events, &flat).expect("trains");
        // Without decay the tie goes to the smaller id.
        assert_eq!(
            ids(&s.recommend(UserId(9999), &RecRequest::default()))[0],
            1
        );
    }
}
