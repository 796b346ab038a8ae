//! What conversations teach about films: films people mention together when they ask for
//! something (and suggestions they accept after naming a film) are related, whatever their
//! genres or ratings say. It is about films, never about people, so it may be learned across
//! servers.
//!
//! Each conversation counts once per pair of the films in it (however often they are named),
//! and a pair's strength is its count over the geometric mean of the two films' conversation
//! counts (cosine of the film-by-conversation incidence), so a film named everywhere does not
//! relate to everything.

use std::collections::{HashMap, HashSet};

use crate::domain::ids::MovieId;

/// How much what conversations taught weighs in `/ask` against the references' neighbours
/// (0.62), the model (0.23) and the attributes (0.15); chosen by cross-validation on ReDial's
/// training dialogues (docs/BENCHMARKS.md).
pub const TOGETHER_WEIGHT: f64 = 1.0;

/// How much being talked about at all (in many conversations) weighs in `/ask`, with or
/// without reference films; chosen like [`TOGETHER_WEIGHT`].
pub const TALKED_WEIGHT: f64 = 1.0;

/// How many conversations it takes before what they taught weighs fully in the bot: with
/// fewer, both weights are scaled by `conversations / FULL_AT` ([`Together::ramped`]), so a
/// handful of conversations cannot steer every answer. ReDial's 901 training dialogues, on
/// which the weights were chosen, are past it.
pub const FULL_AT: u32 = 500;

/// Film-to-film co-mentions learned from conversations.
#[derive(Debug, Clone)]
pub struct Together {
    weight: f64,
    talked_weight: f64,
    /// Conversations each film appears in.
    films: HashMap<MovieId, u32>,
    /// Conversations each pair appears in, both ways.
    pairs: HashMap<MovieId, HashMap<MovieId, u32>>,
    conversations: u32,
    /// The most conversations any film is in.
    top: u32,
}

impl Default for Together {
    fn default() -> Self {
        Together {
            weight: TOGETHER_WEIGHT,
            talked_weight: TALKED_WEIGHT,
            films: HashMap::new(),
            pairs: HashMap::new(),
            conversations: 0,
            top: 0,
        }
    }
}

impl Together {
    /// Nothing learned yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The same, weighing `weight` in `/ask` (finite, at least 0; for measuring).
    #[must_use]
    pub fn weighing(mut self, weight: f64) -> Self {
        if weight.is_finite() && weight >= 0.0 {
            self.weight = weight;
        }
        self
    }

    /// How much it weighs in `/ask`.
    pub fn weight(&self) -> f64 {
        self.weight
    }

    /// The same, with being talked about weighing `weight` (finite, at least 0).
    #[must_use]
    pub fn talked_weighing(mut self, weight: f64) -> Self {
        if weight.is_finite() && weight >= 0.0 {
            self.talked_weight = weight;
        }
        self
    }

    /// How much being talked about weighs in `/ask`.
    pub fn talked_weight(&self) -> f64 {
        self.talked_weight
    }

    /// How much `film` is talked about, in [0, 1]: `ln(1 + its conversations)` over the most
    /// talked-about film's.
    pub fn talked_about(&self, film: MovieId) -> f64 {
        if self.top == 0 {
            return 0.0;
        }
        let n = self.films.get(&film).copied().unwrap_or(0);
        f64::from(n).ln_1p() / f64::from(self.top).ln_1p()
    }

    /// Learns from one conversation: the films named or accepted in it, in any order.
    pub fn add(&mut self, films: &[MovieId]) {
        let set: Vec<MovieId> = {
            let mut seen = HashSet::new();
            films.iter().copied().filter(|m| seen.insert(*m)).collect()
        };
        if set.is_empty() {
            return;
        }
        self.conversations += 1;
        for &a in &set {
            let n = self.films.entry(a).or_default();
            *n += 1;
            self.top = self.top.max(*n);
            let row = self.pairs.entry(a).or_default();
            for &b in &set {
                if a != b {
                    *row.entry(b).or_default() += 1;
                }
            }
        }
    }

    /// Conversations learned from.
    pub fn conversations(&self) -> u32 {
        self.conversations
    }

    /// The same, with both weights scaled by `min(1, conversations / FULL_AT)`: what few
    /// conversations taught counts a little, what many taught counts fully.
    #[must_use]
    pub fn ramped(mut self) -> Self {
        let share = (f64::from(self.conversations) / f64::from(FULL_AT)).min(1.0);
        self.weight *= share;
        self.talked_weight *= share;
        self
    }

    /// How strongly each film goes with `references`: the mean over the references of the
    /// pair's cosine, in [0, 1]. Films never named with them are absent.
    pub fn with(&self, references: &[MovieId]) -> HashMap<MovieId, f64> {
        let mut out: HashMap<MovieId, f64> = HashMap::new();
        if references.is_empty() {
            return out;
        }
        let n = references.len() as f64;
        for r in references {
            let (Some(row), Some(&nr)) = (self.pairs.get(r), self.films.get(r)) else {
                continue;
            };
            for (m, &c) in row {
                let nm = f64::from(self.films.get(m).copied().unwrap_or(1).max(1));
                let cos = f64::from(c) / (f64::from(nr) * nm).sqrt();
                *out.entry(*m).or_default() += cos / n;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[i64]) -> Vec<MovieId> {
        v.iter().map(|&i| MovieId(i)).collect()
    }

    #[test]
    fn films_named_together_go_together_and_a_film_named_everywhere_counts_less() {
        let mut t = Together::new();
        t.add(&ids(&[1, 2]));
        t.add(&ids(&[1, 2, 2, 1]));
        t.add(&ids(&[1, 3]));
        for k in 10..20 {
            t.add(&ids(&[3, k]));
        }
        assert_eq!(t.conversations(), 13);
        let w = t.with(&ids(&[1]));
        assert!(w[&MovieId(2)] > w[&MovieId(3)], "{w:?}");
        assert!(
            !w.contains_key(&MovieId(1)),
            "a film does not go with itself"
        );
        assert!(!w.contains_key(&MovieId(10)), "never named with film 1");
        assert!(w.values().all(|v| (0.0..=1.0).contains(v)));
        assert!(t.with(&[]).is_empty());
        assert!(
            (t.talked_about(MovieId(3)) - 1.0).abs() < 1e-9,
            "film 3 is in 12 of 13"
        );
        assert!(t.talked_about(MovieId(2)) < t.talked_about(MovieId(1)));
        assert!(t.talked_about(MovieId(99)).abs() < 1e-9);
        assert!(Together::new().talked_about(MovieId(1)).abs() < 1e-9);
        assert!(t.with(&ids(&[99])).is_empty());
        t.add(&[]);
        assert_eq!(
            t.conversations(),
            13,
            "an empty conversation teaches nothing"
        );
    }
}
