//! The watch-party shortlist: candidates from every member's own picks (with their taste
//! group's favourites), minus anything any member has seen, rated or turned down, ranked for the
//! whole group with this server's fairness weights. When nothing passes the party's filters,
//! they are dropped one at a time (the runtime limit first, then the genre), and the answer says
//! so.

use super::{GroupError, GroupParams, Member, Strategy, rank, weight_of};
use crate::domain::catalog::{Genre, Movie};
use crate::domain::events::FeedbackEvent;
use crate::domain::group_signal::personal_picks;
use crate::domain::ids::{MovieId, UserId};
use crate::domain::recommend::cold::Baseline;
use crate::domain::recommend::snapshot::{ModelSnapshot, RecRequest};
use crate::domain::taste::TasteGroups;
use std::collections::HashSet;

/// Films on a shortlist at most.
pub const SHORTLIST: usize = 5;

/// Picks asked of each member's recommender for the candidate pool.
const PICKS_PER_MEMBER: usize = 15;

/// One member as the shortlist sees them.
#[derive(Debug, Clone, Copy)]
pub struct Voter<'a> {
    pub user: UserId,
    /// Their display name, for the reason line ("Kim's pick: …").
    pub name: &'a str,
    /// Their feedback events (already folded into the model by the caller).
    pub history: &'a [FeedbackEvent],
    /// Their fairness debt on this server ([`super::next_debt`]).
    pub debt: f64,
}

/// The filters a party asked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PartyFilters {
    pub genre: Option<Genre>,
    /// Longest runtime in minutes (films of unknown runtime pass).
    pub max_runtime: Option<i32>,
}

/// One film of a shortlist, best first.
#[derive(Debug, Clone, PartialEq)]
pub struct Shortlisted {
    pub movie: MovieId,
    /// Why it is on the list ("a pick for Kim"; never what Kim rated).
    pub reason: String,
    /// The group score of the strategy.
    pub group_score: f64,
    /// Each member's predicted enjoyment in [0, 1], in the order of the voters.
    pub enjoyment: Vec<f64>,
}

/// A shortlist, and the filters dropped to find it (said plainly), if any.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Shortlist {
    pub films: Vec<Shortlisted>,
    pub widened: Option<&'static str>,
}

/// The filters to try in order, with what to say when the later ones are used.
fn attempts(asked: PartyFilters) -> Vec<(PartyFilters, Option<&'static str>)> {
    let mut out = vec![(asked, None)];
    if asked.max_runtime.is_some() {
        out.push((
            PartyFilters {
                genre: asked.genre,
                max_runtime: None,
            },
            Some("Nothing fit the runtime limit for everyone, so I dropped it."),
        ));
    }
    if asked.genre.is_some() {
        out.push((
            PartyFilters::default(),
            Some("Nothing fit the filters for everyone, so I dropped them."),
        ));
    }
    out
}

/// The shortlist for `voters`: at most [`SHORTLIST`] films, empty when every film is excluded.
///
/// # Errors
/// The strategy's parameters are invalid (a programming error upstream).
pub fn shortlist<'m>(
    voters: &[Voter<'_>],
    strategy: Strategy,
    asked: PartyFilters,
    model: &ModelSnapshot,
    groups: Option<&TasteGroups>,
    baseline: &Baseline<'_>,
    movie: impl Fn(MovieId) -> Option<&'m Movie> + Copy,
) -> Result<Shortlist, GroupError> {
    let excluded: HashSet<MovieId> = voters
        .iter()
        .flat_map(|v| v.history.iter().map(|e| e.event.movie))
        .collect();
    for (filters, widened) in attempts(asked) {
        let pool = pool(voters, &excluded, filters, model, (groups, baseline), movie);
        if pool.is_empty() {
            continue;
        }
        let films = rank_pool(voters, &pool, strategy, model)?;
        return Ok(Shortlist { films, widened });
    }
    Ok(Shortlist::default())
}

/// (film, reason) candidates, in first-seen order.
fn pool<'m>(
    voters: &[Voter<'_>],
    excluded: &HashSet<MovieId>,
    filters: PartyFilters,
    model: &ModelSnapshot,
    (groups, baseline): (Option<&TasteGroups>, &Baseline<'_>),
    movie: impl Fn(MovieId) -> Option<&'m Movie> + Copy,
) -> Vec<(MovieId, String)> {
    let request = RecRequest {
        count: PICKS_PER_MEMBER,
        genre: filters.genre,
        exclude: excluded.iter().copied().collect(),
        ..RecRequest::default()
    };
    let mut seen = HashSet::new();
    let mut pool = Vec::new();
    for v in voters {
        for p in personal_picks(model, groups, baseline, v.user, v.history, &request, movie) {
            let fits = movie(p.movie).is_some_and(|m| {
                filters
                    .max_runtime
                    .is_none_or(|limit| m.info.runtime_min.is_none_or(|r| r <= limit))
            });
            if fits && !excluded.contains(&p.movie) && seen.insert(p.movie) {
                // Public: say whose pick it is, never what they rated to make it one.
                pool.push((p.movie, format!("a pick for {}", v.name)));
            }
        }
    }
    pool
}

fn rank_pool(
    voters: &[Voter<'_>],
    pool: &[(MovieId, String)],
    strategy: Strategy,
    model: &ModelSnapshot,
) -> Result<Vec<Shortlisted>, GroupError> {
    let films: Vec<MovieId> = pool.iter().map(|(m, _)| *m).collect();
    let members: Vec<Member> = voters
        .iter()
        .map(|v| Member {
            user: v.user,
            enjoyment: model.enjoyment(v.user, &films),
            weight: weight_of(v.debt),
        })
        .collect();
    let ranked = rank(&members, &GroupParams::new(strategy))?;
    Ok(ranked
        .iter()
        .take(SHORTLIST)
        .map(|g| Shortlisted {
            movie: pool[g.candidate].0,
            reason: pool[g.candidate].1.clone(),
            group_score: g.score,
            enjoyment: members.iter().map(|m| m.enjoyment[g.candidate]).collect(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_dropped_runtime_first_then_all() {
        let asked = PartyFilters {
            genre: Some(Genre::Comedy),
            max_runtime: Some(90),
        };
        let tried: Vec<(PartyFilters, bool)> = attempts(asked)
            .into_iter()
            .map(|(f, note)| (f, note.is_some()))
            .collect();
        assert_eq!(
            tried,
            [
                (asked, false),
                (
                    PartyFilters {
                        genre: Some(Genre::Comedy),
                        max_runtime: None
                    },
                    true
                ),
                (PartyFilters::default(), true),
            ]
        );
        assert_eq!(attempts(PartyFilters::default()).len(), 1);
    }
}
