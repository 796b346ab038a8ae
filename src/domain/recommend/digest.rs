//! The event log in the compact form training reads: every (user, film) pair's combined state,
//! built by streaming the log once, page by page, instead of holding it whole.
//!
//! [`LogDigestBuilder::push`] keeps 40 bytes per event about a catalog film (people and raw
//! inputs are interned) and the popularity recency sums; [`LogDigestBuilder::finish`] sorts them
//! by (user, film, time, log order), combines each pair with the one rule of
//! [`combine_by`], and keeps 16 bytes per pair. Training ([`super::snapshot::train_digest`]) and
//! the taste groups read the digest; `snapshot::train` on a slice of events goes through the
//! very same path, so both give the same model.

use std::collections::HashMap;

use crate::domain::catalog::Movie;
use crate::domain::events::{FeedbackEvent, FeedbackKind, LoggedEvent};
use crate::domain::feedback::{EventView, ImplicitRating, combine_by};
use crate::domain::ids::{EventId, MovieId, UserId};
use crate::domain::recommend::data::IdMap;

/// One event about a catalog film, as kept until [`LogDigestBuilder::finish`].
#[derive(Debug, Clone, Copy)]
struct Compact {
    /// The person's rank by id (after `finish` remaps it; first-seen index before).
    user: u32,
    /// The film's index in catalog order.
    item: u32,
    at: i64,
    /// NaN = no value.
    value: f64,
    weight: f64,
    /// Position in the log, so equal times keep log order.
    seq: u32,
    /// The kind (high 4 bits) and the interned raw input (low 28 bits; 0 = none).
    kind_raw: u32,
}

const RAW_BITS: u32 = 28;
const RAW_MASK: u32 = (1 << RAW_BITS) - 1;

/// One (user, film) pair's combined state: 16 bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Combined {
    /// The film's index in catalog order (low 29 bits) and the flags (high 3 bits).
    item_flags: u32,
    /// Confidence in `value` (0–1; 0 when none), as training reads it.
    pub weight: f32,
    /// NaN = no value.
    value: f64,
}

const EXPLICIT: u32 = 1 << 31;
const SEEN: u32 = 1 << 30;
const NOT_INTERESTED: u32 = 1 << 29;
const ITEM_MASK: u32 = NOT_INTERESTED - 1;

impl Combined {
    fn new(item: u32, r: &ImplicitRating) -> Self {
        let mut item_flags = item & ITEM_MASK;
        if r.explicit {
            item_flags |= EXPLICIT;
        }
        if r.seen {
            item_flags |= SEEN;
        }
        if r.not_interested {
            item_flags |= NOT_INTERESTED;
        }
        Combined {
            item_flags,
            weight: r.weight as f32,
            value: r.value.unwrap_or(f64::NAN),
        }
    }

    /// The film's index in catalog order (the order of the catalog given to the builder,
    /// duplicate ids dropped).
    pub fn item(&self) -> u32 {
        self.item_flags & ITEM_MASK
    }

    /// The rating, 0.5–5, if any.
    pub fn value(&self) -> Option<f64> {
        (!self.value.is_nan()).then_some(self.value)
    }

    /// The value comes from stars (a rating or an imported one).
    pub fn explicit(&self) -> bool {
        self.item_flags & EXPLICIT != 0
    }

    /// The person has seen the film.
    pub fn seen(&self) -> bool {
        self.item_flags & SEEN != 0
    }

    /// The person is not interested in the film.
    pub fn not_interested(&self) -> bool {
        self.item_flags & NOT_INTERESTED != 0
    }
}

/// Collects the log, event by event in log order (see the module docs).
#[derive(Debug)]
pub struct LogDigestBuilder {
    films: IdMap<MovieId>,
    users: HashMap<UserId, u32>,
    user_ids: Vec<UserId>,
    raws: HashMap<String, u32>,
    kept: Vec<Compact>,
    events: u64,
    last_event: Option<EventId>,
    newest_ms: Option<i64>,
}

impl LogDigestBuilder {
    /// A builder for the films of `catalog` (duplicate ids keep the first, as training does).
    pub fn new(catalog: &[Movie]) -> Self {
        let mut films = IdMap::default();
        for m in catalog {
            films.insert(m.id);
        }
        LogDigestBuilder {
            films,
            users: HashMap::new(),
            user_ids: Vec::new(),
            raws: HashMap::new(),
            kept: Vec::new(),
            events: 0,
            last_event: None,
            newest_ms: None,
        }
    }

    /// Reserves room for `more` events (a page about to be pushed, or the whole log's count).
    pub fn reserve(&mut self, more: usize) {
        self.kept.reserve(more);
    }

    /// Adds the next event of the log (events must come in log order).
    pub fn push(&mut self, e: &LoggedEvent) {
        self.add(
            e.id,
            e.user,
            e.movie,
            EventView {
                kind: e.kind,
                value: e.value,
                weight: e.weight,
                raw: e.raw.as_deref(),
                created_at_ms: e.created_at_ms,
            },
        );
    }

    /// [`push`](Self::push) for an event as stored.
    pub fn push_event(&mut self, e: &FeedbackEvent) {
        self.add(
            e.id,
            e.event.user,
            e.event.movie,
            EventView {
                kind: e.event.kind,
                value: e.event.value,
                weight: e.event.weight,
                raw: e.event.raw.as_deref(),
                created_at_ms: e.event.created_at_ms,
            },
        );
    }

    fn add(&mut self, id: EventId, user: UserId, movie: MovieId, v: EventView<&str>) {
        self.events += 1;
        self.last_event = Some(self.last_event.map_or(id, |l| l.max(id)));
        self.newest_ms = Some(
            self.newest_ms
                .map_or(v.created_at_ms, |t| t.max(v.created_at_ms)),
        );
        let Some(item) = self.films.get(movie) else {
            return;
        };
        let next = self.user_ids.len() as u32;
        let user = *self.users.entry(user).or_insert_with(|| {
            self.user_ids.push(user);
            next
        });
        let raw = v.raw.map_or(0, |r| {
            if let Some(&id) = self.raws.get(r) {
                id
            } else {
                let id = (self.raws.len() as u32 + 1).min(RAW_MASK);
                self.raws.insert(r.to_owned(), id);
                id
            }
        });
        let kind = FeedbackKind::ALL
            .iter()
            .position(|k| *k == v.kind)
            .unwrap_or(0) as u32;
        let seq = self.kept.len() as u32;
        self.kept.push(Compact {
            user,
            item,
            at: v.created_at_ms,
            value: v.value.unwrap_or(f64::NAN),
            weight: v.weight,
            seq,
            kind_raw: (kind << RAW_BITS) | raw,
        });
    }

    /// Events pushed so far (about any film).
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Combines every (user, film) pair. `pop_half_life_days` is the recency half-life of the
    /// popularity (see [`super::baseline::decayed_counts`]; 0 = no decay).
    pub fn finish(self, pop_half_life_days: f32) -> LogDigest {
        let LogDigestBuilder {
            films,
            user_ids,
            mut kept,
            events,
            last_event,
            newest_ms,
            ..
        } = self;
        let recency = recency(&kept, films.len(), newest_ms, pop_half_life_days);
        // People by id, as training orders them.
        let mut order: Vec<u32> = (0..user_ids.len() as u32).collect();
        order.sort_unstable_by_key(|&u| user_ids[u as usize]);
        let mut rank = vec![0u32; user_ids.len()];
        for (r, &u) in order.iter().enumerate() {
            rank[u as usize] = r as u32;
        }
        for c in &mut kept {
            c.user = rank[c.user as usize];
        }
        kept.sort_unstable_by_key(|c| (c.user, c.item, c.at, c.seq));
        let mut users = Vec::new();
        let mut starts = Vec::new();
        let mut pairs = Vec::new();
        for group in kept.chunk_by(|a, b| a.user == b.user && a.item == b.item) {
            let r = combine_by(group, |c| EventView {
                kind: FeedbackKind::ALL[(c.kind_raw >> RAW_BITS) as usize],
                value: (!c.value.is_nan()).then_some(c.value),
                weight: c.weight,
                raw: match c.kind_raw & RAW_MASK {
                    0 => None,
                    raw => Some(raw),
                },
                created_at_ms: c.at,
            });
            if r.value.is_none() && !r.seen && !r.not_interested {
                continue;
            }
            let user = user_ids[order[group[0].user as usize] as usize];
            if users.last() != Some(&user) {
                users.push(user);
                starts.push(pairs.len());
            }
            pairs.push(Combined::new(group[0].item, &r));
        }
        drop(kept);
        starts.push(pairs.len());
        LogDigest {
            films: films.ids().to_vec(),
            users,
            starts,
            pairs,
            recency,
            events,
            last_event,
        }
    }
}

/// Each film's popularity recency factor: its events' mean weight `0.5^((newest − t) /
/// half-life)`, summed in log order exactly as [`super::baseline::decayed_counts`] does (1 for a
/// film with no event).
fn recency(
    kept: &[Compact],
    films: usize,
    newest_ms: Option<i64>,
    half_life_days: f32,
) -> Vec<f32> {
    let half_life_ms = f64::from(half_life_days) * 86_400_000.0;
    let decay = half_life_ms.is_finite() && half_life_ms > 0.0;
    let t_ref = newest_ms.unwrap_or(0);
    let mut decayed = vec![0f64; films];
    let mut plain = vec![0f64; films];
    for c in kept {
        let w = if decay {
            0.5f64.powf((t_ref - c.at).max(0) as f64 / half_life_ms)
        } else {
            1.0
        };
        decayed[c.item as usize] += w;
        plain[c.item as usize] += 1.0;
    }
    decayed
        .iter()
        .zip(&plain)
        .map(|(&d, &c)| if c > 0.0 { (d / c) as f32 } else { 1.0 })
        .collect()
}

/// The combined log (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct LogDigest {
    /// The catalog's film ids, in the order [`Combined::item`] indexes.
    films: Vec<MovieId>,
    /// People with at least one combined pair, by id.
    users: Vec<UserId>,
    /// `pairs[starts[u]..starts[u + 1]]` are `users[u]`'s pairs, by film index.
    starts: Vec<usize>,
    pairs: Vec<Combined>,
    /// Each film's popularity recency factor (see [`recency`]).
    recency: Vec<f32>,
    events: u64,
    last_event: Option<EventId>,
}

impl LogDigest {
    /// The digest of `events` (in log order) over `catalog`.
    pub fn of_events(catalog: &[Movie], events: &[FeedbackEvent], pop_half_life_days: f32) -> Self {
        let mut b = LogDigestBuilder::new(catalog);
        b.reserve(events.len());
        for e in events {
            b.push_event(e);
        }
        b.finish(pop_half_life_days)
    }

    /// Every person with a combined pair, by id, with their pairs by film index.
    pub fn users(&self) -> impl Iterator<Item = (UserId, &[Combined])> + '_ {
        self.users
            .iter()
            .enumerate()
            .map(|(u, &id)| (id, &self.pairs[self.starts[u]..self.starts[u + 1]]))
    }

    /// The `i`th person (by id) with their pairs.
    pub fn user(&self, i: usize) -> (UserId, &[Combined]) {
        (
            self.users[i],
            &self.pairs[self.starts[i]..self.starts[i + 1]],
        )
    }

    /// How many people have a combined pair.
    pub fn user_count(&self) -> usize {
        self.users.len()
    }

    /// How many (user, film) pairs have a state.
    pub fn pair_count(&self) -> usize {
        self.pairs.len()
    }

    /// The film at catalog index `item`.
    pub fn film(&self, item: u32) -> MovieId {
        self.films[item as usize]
    }

    /// The catalog's films, in index order.
    pub fn films(&self) -> &[MovieId] {
        &self.films
    }

    /// Film `item`'s popularity recency factor.
    pub fn recency(&self, item: u32) -> f32 {
        self.recency.get(item as usize).copied().unwrap_or(1.0)
    }

    /// Events read (about any film, in the catalog or not).
    pub fn events(&self) -> u64 {
        self.events
    }

    /// The newest event's id.
    pub fn last_event(&self) -> Option<EventId> {
        self.last_event
    }

    /// The state of `pair` as [`combine_by`] gave it (the kind that supplied the value is not
    /// kept).
    pub fn rating(pair: &Combined) -> ImplicitRating {
        ImplicitRating {
            value: pair.value(),
            weight: f64::from(pair.weight),
            source_kind: None,
            explicit: pair.explicit(),
            seen: pair.seen(),
            not_interested: pair.not_interested(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::events::NewFeedbackEvent;
    use crate::domain::feedback::combine;
    use crate::domain::rng::SplitMix64;

    fn film(id: i64) -> Movie {
        Movie {
            id: MovieId(id),
            info: crate::domain::catalog::MovieInfo {
                title: format!("Film {id}"),
                ..crate::domain::catalog::MovieInfo::default()
            },
        }
    }

    #[test]
    fn every_pair_combines_as_the_stored_events_do() {
        // A seeded log with every kind, removals, equal times and films outside the catalog.
        let catalog: Vec<Movie> = (1..=12).map(film).collect();
        let mut rng = SplitMix64::new(7);
        let emojis = ["👍", "❤️", "👎", "👀"];
        let mut events = Vec::new();
        for id in 0..3_000 {
            let kind = FeedbackKind::ALL[rng.below(FeedbackKind::ALL.len())];
            let value = (rng.below(3) > 0).then(|| 0.5 * (1 + rng.below(10)) as f64);
            events.push(FeedbackEvent {
                id: EventId(id),
                event: NewFeedbackEvent {
                    user: UserId(1 + rng.below(9) as i64 * 7 % 11),
                    movie: MovieId(1 + rng.below(14) as i64),
                    kind,
                    value,
                    weight: rng.below(11) as f64 / 10.0,
                    raw: (rng.below(2) == 0).then(|| emojis[rng.below(4)].to_owned()),
                    source: "test".into(),
                    guild: None,
                    message_id: None,
                    created_at_ms: rng.below(40) as i64,
                    idempotency_key: None,
                },
            });
        }
        let digest = LogDigest::of_events(&catalog, &events, 365.0);
        assert_eq!(digest.events(), 3_000);
        assert_eq!(digest.last_event(), Some(EventId(2_999)));
        let mut users = 0;
        let mut pairs = 0;
        for (user, combined) in digest.users() {
            users += 1;
            for pair in combined {
                pairs += 1;
                let movie = digest.film(pair.item());
                let theirs: Vec<NewFeedbackEvent> = events
                    .iter()
                    .filter(|e| e.event.user == user && e.event.movie == movie)
                    .map(|e| e.event.clone())
                    .collect();
                let want = combine(&theirs);
                let got = LogDigest::rating(pair);
                assert_eq!(got.value, want.value, "{user} {movie}");
                assert!((got.weight - want.weight).abs() < 1e-6);
                assert_eq!(
                    (got.explicit, got.seen, got.not_interested),
                    (want.explicit, want.seen, want.not_interested)
                );
            }
            assert!(combined.windows(2).all(|w| w[0].item() < w[1].item()));
        }
        assert!(users > 5 && pairs > 50, "{users} people, {pairs} pairs");
        let ids: Vec<UserId> = digest.users().map(|(u, _)| u).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "people by id");
        // Films 13 and 14 are not in the catalog: never a pair.
        assert!(digest.users().all(|(_, c)| c.iter().all(|p| p.item() < 12)));
    }

    #[test]
    fn recency_matches_the_decayed_counts() {
        let catalog: Vec<Movie> = (1..=3).map(film).collect();
        let day = 86_400_000;
        let stamped = [(1, 0), (1, 400 * day), (2, 10 * day), (9, 800 * day)];
        let events: Vec<FeedbackEvent> = stamped
            .iter()
            .enumerate()
            .map(|(i, &(m, t))| FeedbackEvent {
                id: EventId(i as i64),
                event: NewFeedbackEvent {
                    user: UserId(1),
                    movie: MovieId(m),
                    kind: FeedbackKind::Rating,
                    value: Some(4.0),
                    weight: 1.0,
                    raw: None,
                    source: "test".into(),
                    guild: None,
                    message_id: None,
                    created_at_ms: t,
                    idempotency_key: None,
                },
            })
            .collect();
        let digest = LogDigest::of_events(&catalog, &events, 365.0);
        let pairs: Vec<(MovieId, i64)> = stamped.iter().map(|&(m, t)| (MovieId(m), t)).collect();
        let half_life = 365.0 * 86_400_000.0;
        let d = super::super::baseline::decayed_counts(&pairs, half_life);
        let c = super::super::baseline::decayed_counts(&pairs, 0.0);
        for (i, m) in [1, 2].into_iter().enumerate() {
            let want = (d[&MovieId(m)] / c[&MovieId(m)]) as f32;
            assert!((digest.recency(i as u32) - want).abs() < f32::EPSILON);
        }
        // Film 3 has no event; the newest event (film 9, outside the catalog) sets "now".
        assert!((digest.recency(2) - 1.0).abs() < f32::EPSILON);
        assert!(digest.recency(1) < 0.3, "{}", digest.recency(1));
    }
}
