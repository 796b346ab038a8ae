//! When a server has enough for a taste map, and what it still needs, in numbers and in words.
//!
//! A map is drawn once [`MAP_PEOPLE`] people of the server have rated at least [`MAP_RATINGS`]
//! films each (stars, a review or a reaction: anything read as a rating). Everyone with at
//! least [`TasteParams::min_signals`](super::TasteParams::min_signals) films is on it. Taste
//! groups need more people than a map (see [`TasteParams::people_for_groups`](super::TasteParams::people_for_groups)):
//! until then everyone is in one group.

use std::collections::{BTreeMap, HashMap};

use crate::domain::events::{FeedbackEvent, NewFeedbackEvent};
use crate::domain::feedback::combine;
use crate::domain::ids::{MovieId, UserId};

/// People a taste map needs, each with at least [`MAP_RATINGS`] rated films.
pub const MAP_PEOPLE: usize = 2;
/// Rated films each of the [`MAP_PEOPLE`] needs.
pub const MAP_RATINGS: usize = 5;

/// What one person has given, film by film (each film's events combined in log order).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Given {
    /// Films with a star value: rated, reviewed or reacted to.
    pub rated: usize,
    /// Films with any state (a value, seen, not interested): what taste vectors count.
    pub signals: usize,
}

/// What each person of `events` has given.
pub fn given_by_person<'e>(
    events: impl IntoIterator<Item = &'e FeedbackEvent>,
) -> BTreeMap<UserId, Given> {
    let mut per: HashMap<(UserId, MovieId), Vec<NewFeedbackEvent>> = HashMap::new();
    for e in events {
        per.entry((e.event.user, e.event.movie))
            .or_default()
            .push(e.event.clone());
    }
    let mut out: BTreeMap<UserId, Given> = BTreeMap::new();
    for ((user, _), evs) in per {
        let r = combine(&evs);
        let given = out.entry(user).or_default();
        if r.value.is_some() {
            given.rated += 1;
        }
        if r.value.is_some() || r.seen || r.not_interested {
            given.signals += 1;
        }
    }
    out
}

/// How far a server is from its taste map, seen by one person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapProgress {
    /// The person's rated films.
    pub mine: usize,
    /// Other people with at least [`MAP_RATINGS`] rated films.
    pub others_ready: usize,
    /// The most rated films of another person below [`MAP_RATINGS`] (0: nobody).
    pub closest_other: usize,
}

impl MapProgress {
    /// `me`'s view of `given` (every person of the server).
    pub fn new(me: UserId, given: &BTreeMap<UserId, Given>) -> Self {
        let mine = given.get(&me).map_or(0, |g| g.rated);
        let others = given
            .iter()
            .filter(|(u, _)| **u != me)
            .map(|(_, g)| g.rated);
        let (ready, short): (Vec<usize>, Vec<usize>) = others.partition(|&n| n >= MAP_RATINGS);
        MapProgress {
            mine,
            others_ready: ready.len(),
            closest_other: short.into_iter().max().unwrap_or(0),
        }
    }

    /// People with enough rated films, the person included.
    pub fn ready_people(&self) -> usize {
        self.others_ready + usize::from(self.mine >= MAP_RATINGS)
    }

    /// Whether the map can be drawn.
    pub fn ready(&self) -> bool {
        self.ready_people() >= MAP_PEOPLE
    }

    /// Rated films the person still needs to count (0 when they have enough).
    pub fn mine_missing(&self) -> usize {
        MAP_RATINGS.saturating_sub(self.mine)
    }

    /// The fewest rated films, in all, that would make the map: the smallest shortfalls of the
    /// person, the others, and newcomers (who need all [`MAP_RATINGS`]).
    pub fn missing(&self) -> usize {
        let mut shortfalls = vec![self.mine_missing()];
        shortfalls.extend(std::iter::repeat_n(0, self.others_ready));
        if self.closest_other > 0 {
            shortfalls.push(MAP_RATINGS - self.closest_other);
        }
        shortfalls.extend(std::iter::repeat_n(MAP_RATINGS, MAP_PEOPLE));
        shortfalls.sort_unstable();
        shortfalls.iter().take(MAP_PEOPLE).sum()
    }

    /// What the map still needs, in one paragraph; `None` when it can be drawn.
    pub fn sentence(&self) -> Option<String> {
        if self.ready() {
            return None;
        }
        let need = MAP_RATINGS;
        let you = match self.mine {
            0 => format!("You have none yet ({need} more)"),
            n if n < need => format!("You have {n} ({} more)", need - n),
            n => format!("You have {n}"),
        };
        let others = match (self.others_ready, self.closest_other) {
            (0, 0) => "nobody else here has rated a film yet".to_owned(),
            (0, c) => format!(
                "nobody else here has {need} yet (the closest has {c}: {} more)",
                need - c
            ),
            (1, _) => format!("one other person here has {need} already"),
            (n, _) => format!("{n} other people here have {need} already"),
        };
        Some(format!(
            "There is no taste map yet: it needs {} people here with at least {need} rated films each (stars, a review or a reaction). {you}, and {others}.",
            in_words(MAP_PEOPLE)
        ))
    }
}

/// A small count in words ("two"), larger ones in digits.
fn in_words(n: usize) -> String {
    match n {
        2 => "two".to_owned(),
        3 => "three".to_owned(),
        4 => "four".to_owned(),
        n => n.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::events::FeedbackKind;
    use crate::domain::taste::planted::event;

    const ME: UserId = UserId(1);

    fn given(counts: &[(i64, usize)]) -> BTreeMap<UserId, Given> {
        counts
            .iter()
            .map(|&(u, rated)| {
                (
                    UserId(u),
                    Given {
                        rated,
                        signals: rated,
                    },
                )
            })
            .collect()
    }

    fn progress(counts: &[(i64, usize)]) -> MapProgress {
        MapProgress::new(ME, &given(counts))
    }

    #[test]
    fn a_new_server_needs_ten_ratings_and_says_so() {
        let p = progress(&[]);
        assert_eq!((p.mine, p.others_ready, p.closest_other), (0, 0, 0));
        assert!(!p.ready());
        assert_eq!(p.missing(), 10);
        assert_eq!(
            p.sentence().as_deref(),
            Some(
                "There is no taste map yet: it needs two people here with at least 5 rated films each (stars, a review or a reaction). You have none yet (5 more), and nobody else here has rated a film yet."
            )
        );
    }

    #[test]
    fn the_numbers_are_what_each_person_still_needs() {
        let p = progress(&[(1, 3), (2, 4), (3, 1)]);
        assert_eq!((p.mine, p.mine_missing(), p.closest_other), (3, 2, 4));
        assert_eq!(p.missing(), 3);
        let s = p.sentence().expect("not ready");
        assert!(
            s.ends_with(
                "You have 3 (2 more), and nobody else here has 5 yet (the closest has 4: 1 more)."
            ),
            "{s}"
        );
        // Someone else is there already: only my two are missing.
        let p = progress(&[(1, 3), (2, 9)]);
        assert_eq!((p.others_ready, p.missing()), (1, 2));
        assert!(
            p.sentence()
                .expect("not ready")
                .ends_with("You have 3 (2 more), and one other person here has 5 already."),
            "{p:?}"
        );
        // I have enough; the others do not.
        let p = progress(&[(1, 12), (2, 2)]);
        assert_eq!((p.mine_missing(), p.missing()), (0, 3));
        assert!(
            p.sentence().expect("not ready").ends_with(
                "You have 12, and nobody else here has 5 yet (the closest has 2: 3 more)."
            ),
            "{p:?}"
        );
        let p = progress(&[(1, 0), (2, 5), (3, 7)]);
        assert!(p.ready() && p.sentence().is_none(), "two others suffice");
        assert!(progress(&[(1, 5), (2, 5)]).ready());
        assert!(!progress(&[(1, 5), (2, 4)]).ready());
    }

    #[test]
    fn only_films_read_as_ratings_count_as_rated() {
        let events = [
            event(1, 1, 10, FeedbackKind::Rating, Some(4.0)),
            event(2, 1, 10, FeedbackKind::Rating, Some(2.0)),
            event(3, 1, 11, FeedbackKind::Seen, None),
            event(4, 1, 12, FeedbackKind::Rating, Some(5.0)),
            event(5, 2, 10, FeedbackKind::NotInterested, None),
        ];
        let g = given_by_person(&events);
        assert_eq!(
            g[&UserId(1)],
            Given {
                rated: 2,
                signals: 3
            }
        );
        assert_eq!(
            g[&UserId(2)],
            Given {
                rated: 0,
                signals: 1
            }
        );
    }
}
