//! Choosing the taste quiz's next film (see [`crate::domain::quiz`]).

use std::collections::HashSet;

use super::ModelSnapshot;
use crate::domain::ids::{MovieId, UserId};
use crate::domain::rng::SplitMix64;

impl ModelSnapshot {
    /// The next film to ask `user` about, or `None` when nothing is left to ask: a well-known
    /// film not in their history and not in `asked` (films asked before in this quiz that they
    /// had not seen). `salt` varies the choice among near-equal films, so two people starting
    /// the quiz do not see the same list.
    ///
    /// Strategy: popularity (how likely the person has seen it) times how much the film's
    /// genres are new to what the person has answered so far.
    pub fn quiz_next(&self, user: UserId, asked: &[MovieId], salt: u64) -> Option<MovieId> {
        let hist = self.history(user);
        let banned: HashSet<u32> = hist
            .iter()
            .map(|e| e.item)
            .chain(asked.iter().filter_map(|m| self.movies.get(*m)))
            .collect();
        let covered: u32 = hist
            .iter()
            .fold(0, |acc, e| acc | self.genres[e.item as usize]);
        let mut scored: Vec<(f32, u32)> = (0..self.movies.len() as u32)
            .filter(|i| !banned.contains(i))
            .map(|i| {
                let new = (self.genres[i as usize] & !covered).count_ones() as f32;
                (self.pop[i as usize] + 0.5 * new.min(2.0), i)
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let top = scored.len().min(3);
        if top == 0 {
            return None;
        }
        let mut rng = SplitMix64::new(salt ^ (hist.len() as u64) ^ ((asked.len() as u64) << 32));
        let pick = rng.below(top);
        Some(self.movies.id(scored[pick].1))
    }
}
