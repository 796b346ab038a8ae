//! The training matrix: a compact sparse ratings matrix in CSR form twice (by user and by item)
//! with dense index maps between Marquee's ids and the models' 0-based indices.

use std::collections::HashMap;

use crate::domain::events::{FeedbackEvent, FeedbackKind};
use crate::domain::ids::{MovieId, UserId};

use super::DataError;

/// A two-way map between ids and dense indices `0..len`, in first-seen order.
#[derive(Debug, Clone)]
pub struct IdMap<T> {
    ids: Vec<T>,
    index: HashMap<T, u32>,
}

impl<T> Default for IdMap<T> {
    fn default() -> Self {
        Self {
            ids: Vec::new(),
            index: HashMap::new(),
        }
    }
}

impl<T: Copy + Eq + std::hash::Hash> IdMap<T> {
    /// The dense index of `id`, if known.
    pub fn get(&self, id: T) -> Option<u32> {
        self.index.get(&id).copied()
    }

    /// The id at dense index `idx` (panics only on an index the map never handed out).
    pub fn id(&self, idx: u32) -> T {
        self.ids[idx as usize]
    }

    /// Removes `id`; the last id takes over its dense index. Returns the index `id` had.
    pub fn swap_remove(&mut self, id: T) -> Option<u32> {
        let i = self.index.remove(&id)?;
        self.ids.swap_remove(i as usize);
        if let Some(&moved) = self.ids.get(i as usize) {
            self.index.insert(moved, i);
        }
        Some(i)
    }

    /// Every id, in index order.
    pub fn ids(&self) -> &[T] {
        &self.ids
    }

    /// How many ids.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// No ids at all.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The index of `id`, adding it when new.
    pub fn insert(&mut self, id: T) -> u32 {
        if let Some(&i) = self.index.get(&id) {
            return i;
        }
        let i = self.ids.len() as u32;
        self.ids.push(id);
        self.index.insert(id, i);
        i
    }
}

/// One compressed sparse row matrix: row `r` holds `idx[ptr[r]..ptr[r+1]]` (sorted) and values.
#[derive(Debug, Clone, Default)]
pub struct Csr {
    pub ptr: Vec<usize>,
    pub idx: Vec<u32>,
    pub val: Vec<f32>,
}

impl Csr {
    /// Row `r`'s column indices and values.
    pub fn row(&self, r: usize) -> (&[u32], &[f32]) {
        let (a, b) = (self.ptr[r], self.ptr[r + 1]);
        (&self.idx[a..b], &self.val[a..b])
    }

    /// Number of stored entries in row `r`.
    pub fn row_len(&self, r: usize) -> usize {
        self.ptr[r + 1] - self.ptr[r]
    }

    /// A matrix with `n_rows` rows from `(row, column, value)` entries (columns sorted per row).
    pub fn from_entries(n_rows: usize, entries: &[(u32, u32, f32)]) -> Self {
        Self::build(n_rows, entries)
    }

    fn build(n_rows: usize, entries: &[(u32, u32, f32)]) -> Self {
        let mut ptr = vec![0usize; n_rows + 1];
        for e in entries {
            ptr[e.0 as usize + 1] += 1;
        }
        for r in 0..n_rows {
            ptr[r + 1] += ptr[r];
        }
        let mut next = ptr.clone();
        let mut idx = vec![0u32; entries.len()];
        let mut val = vec![0f32; entries.len()];
        for e in entries {
            let p = &mut next[e.0 as usize];
            idx[*p] = e.1;
            val[*p] = e.2;
            *p += 1;
        }
        for r in 0..n_rows {
            let (a, b) = (ptr[r], ptr[r + 1]);
            let mut pairs: Vec<(u32, f32)> = idx[a..b]
                .iter()
                .copied()
                .zip(val[a..b].iter().copied())
                .collect();
            pairs.sort_unstable_by_key(|p| p.0);
            for (k, (i, v)) in pairs.into_iter().enumerate() {
                idx[a + k] = i;
                val[a + k] = v;
            }
        }
        Self { ptr, idx, val }
    }
}

/// A user × film matrix of values (star ratings, or implicit confidences), indexed both ways.
///
/// Contract: every value is finite; a (user, film) pair occurs at most once (the last one given
/// wins); users and films are indexed in first-seen order.
#[derive(Debug, Clone, Default)]
pub struct Ratings {
    pub users: IdMap<UserId>,
    pub items: IdMap<MovieId>,
    /// Rows are users, columns films.
    pub by_user: Csr,
    /// Rows are films, columns users.
    pub by_item: Csr,
    /// Mean of all values (0 when empty).
    pub global_mean: f64,
}

impl Ratings {
    /// Builds the matrix from `(user, film, value)` triples.
    ///
    /// # Errors
    /// [`DataError::NonFinite`] when a value is NaN or infinite.
    pub fn from_triples(rows: &[(UserId, MovieId, f32)]) -> Result<Self, DataError> {
        let mut users = IdMap::default();
        let mut items = IdMap::default();
        let mut seen: HashMap<(u32, u32), usize> = HashMap::with_capacity(rows.len());
        let mut entries: Vec<(u32, u32, f32)> = Vec::with_capacity(rows.len());
        for &(u, m, v) in rows {
            if !v.is_finite() {
                return Err(DataError::NonFinite { user: u, movie: m });
            }
            let (ui, ii) = (users.insert(u), items.insert(m));
            if let Some(&p) = seen.get(&(ui, ii)) {
                entries[p].2 = v;
            } else {
                seen.insert((ui, ii), entries.len());
                entries.push((ui, ii, v));
            }
        }
        Ok(Self::assemble(users, items, entries))
    }

    /// [`from_triples`](Self::from_triples) for triples known to hold each (user, film) pair
    /// once (a user's combined history): the same matrix, without the memory of checking.
    ///
    /// # Errors
    /// [`DataError::NonFinite`] when a value is NaN or infinite.
    pub fn from_unique(
        rows: impl IntoIterator<Item = (UserId, MovieId, f32)>,
    ) -> Result<Self, DataError> {
        let mut users = IdMap::default();
        let mut items = IdMap::default();
        let mut entries: Vec<(u32, u32, f32)> = Vec::new();
        for (u, m, v) in rows {
            if !v.is_finite() {
                return Err(DataError::NonFinite { user: u, movie: m });
            }
            entries.push((users.insert(u), items.insert(m), v));
        }
        Ok(Self::assemble(users, items, entries))
    }

    /// The matrix of `entries` (user index, film index, value; each pair once), indexed both
    /// ways; `entries` is reused for the film-major copy.
    fn assemble(
        users: IdMap<UserId>,
        items: IdMap<MovieId>,
        mut entries: Vec<(u32, u32, f32)>,
    ) -> Self {
        let global_mean = if entries.is_empty() {
            0.0
        } else {
            entries.iter().map(|e| f64::from(e.2)).sum::<f64>() / entries.len() as f64
        };
        let by_user = Csr::build(users.len(), &entries);
        for e in &mut entries {
            *e = (e.1, e.0, e.2);
        }
        let by_item = Csr::build(items.len(), &entries);
        Self {
            users,
            items,
            by_user,
            by_item,
            global_mean,
        }
    }

    /// Number of users.
    pub fn n_users(&self) -> usize {
        self.users.len()
    }

    /// Number of films.
    pub fn n_items(&self) -> usize {
        self.items.len()
    }

    /// Number of stored values.
    pub fn nnz(&self) -> usize {
        self.by_user.idx.len()
    }

    /// Every entry as `(user index, item index, value)`, user-major.
    pub fn entries(&self) -> impl Iterator<Item = (u32, u32, f32)> + '_ {
        (0..self.n_users()).flat_map(move |u| {
            let (idx, val) = self.by_user.row(u);
            idx.iter().zip(val).map(move |(&i, &v)| (u as u32, i, v))
        })
    }
}

/// What a user's event log says, folded: explicit stars, implicit confidence, and exclusions.
#[derive(Debug, Clone, Default)]
pub struct Signals {
    /// Star ratings (0.5–5) from `Rating`, `Historical` and `Review` events; the latest wins.
    pub explicit: Vec<(UserId, MovieId, f32)>,
    /// Implicit positive confidence per (user, film): the sum of event weights of liked signals.
    pub implicit: Vec<(UserId, MovieId, f32)>,
    /// Films each user must never be shown again (`NotInterested`, plus everything rated/seen).
    pub excluded: HashMap<UserId, Vec<MovieId>>,
}

impl Signals {
    /// Folds an event log (in append order) into training signals. A `Reaction` or `Button`
    /// with a value ≥ 3 counts as a like with its weight; `ReactionRemoved` cancels the earlier
    /// reaction's weight; `Seen` and `WatchedTogether` are weak positives (weight × 0.5);
    /// events with a non-finite value or weight are skipped.
    pub fn from_events(events: &[FeedbackEvent]) -> Self {
        let mut explicit: HashMap<(UserId, MovieId), f32> = HashMap::new();
        let mut implicit: HashMap<(UserId, MovieId), f32> = HashMap::new();
        let mut excluded: HashMap<UserId, Vec<MovieId>> = HashMap::new();
        let mut order: Vec<(UserId, MovieId)> = Vec::new();
        for e in events {
            let ev = &e.event;
            let key = (ev.user, ev.movie);
            let w = if ev.weight.is_finite() {
                ev.weight.clamp(0.0, 10.0) as f32
            } else {
                continue;
            };
            let value = ev.value.filter(|v| v.is_finite()).map(|v| v as f32);
            if !explicit.contains_key(&key) && !implicit.contains_key(&key) {
                order.push(key);
            }
            match ev.kind {
                FeedbackKind::Rating | FeedbackKind::Historical | FeedbackKind::Review => {
                    if let Some(v) = value {
                        explicit.insert(key, v.clamp(0.5, 5.0));
                        if v >= 3.0 {
                            *implicit.entry(key).or_default() += w.max(0.5);
                        }
                    }
                    excluded.entry(ev.user).or_default().push(ev.movie);
                }
                FeedbackKind::Reaction | FeedbackKind::Button => {
                    if value.is_none_or(|v| v >= 3.0) {
                        *implicit.entry(key).or_default() += w;
                    }
                }
                FeedbackKind::ReactionRemoved => {
                    if let Some(c) = implicit.get_mut(&key) {
                        *c = (*c - w).max(0.0);
                    }
                }
                FeedbackKind::Seen | FeedbackKind::WatchedTogether => {
                    *implicit.entry(key).or_default() += 0.5 * w;
                    excluded.entry(ev.user).or_default().push(ev.movie);
                }
                FeedbackKind::NotInterested => {
                    implicit.remove(&key);
                    excluded.entry(ev.user).or_default().push(ev.movie);
                }
            }
        }
        let mut out = Signals {
            excluded,
            ..Signals::default()
        };
        for key in order {
            if let Some(&v) = explicit.get(&key) {
                out.explicit.push((key.0, key.1, v));
            }
            if let Some(&c) = implicit.get(&key).filter(|c| **c > 0.0) {
                out.implicit.push((key.0, key.1, c));
            }
        }
        for list in out.excluded.values_mut() {
            list.sort_unstable();
            list.dedup();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_keep_the_last_value_and_rows_are_sorted() {
        let r = Ratings::from_triples(&[
            (UserId(1), MovieId(20), 3.0),
            (UserId(1), MovieId(10), 4.0),
            (UserId(1), MovieId(20), 5.0),
        ])
        .expect("finite");
        assert_eq!(r.nnz(), 2);
        let (idx, val) = r.by_user.row(0);
        assert_eq!(idx, &[0, 1]);
        assert_eq!(val, &[5.0, 4.0]);
        assert!((r.global_mean - 4.5).abs() < 1e-9);
    }

    #[test]
    fn a_nan_rating_is_refused() {
        assert!(Ratings::from_triples(&[(UserId(1), MovieId(1), f32::NAN)]).is_err());
    }

    #[test]
    fn an_empty_matrix_is_fine() {
        let r = Ratings::from_triples(&[]).expect("empty is valid");
        assert_eq!((r.n_users(), r.n_items(), r.nnz()), (0, 0, 0));
    }
}
