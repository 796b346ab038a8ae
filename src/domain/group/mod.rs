//! Group picks for a watch party: one ranked list for several people, a vote on a shortlist,
//! and fairness across movie nights.
//!
//! Every member brings their predicted **enjoyment** of each candidate film in [0, 1] (from
//! [`crate::domain::recommend::snapshot::ModelSnapshot::enjoyment`]: the film's percentile in the
//! member's own ranking of the catalog, so values are comparable between people) and a fairness
//! **weight**. [`rank`] aggregates them with one of the social-choice [`Strategy`]s surveyed by
//! Masthoff ("Group Recommender Systems: Aggregation, Satisfaction and Group Attributes",
//! Recommender Systems Handbook, 2015):
//!
//! | strategy | group score of a candidate (w = weight, e = enjoyment) |
//! |---|---|
//! | [`Strategy::Average`] | Σ w·e / Σ w |
//! | [`Strategy::LeastMisery`] | 1 − max w·(1 − e): the most miserable member, misery scaled by weight |
//! | [`Strategy::MostPleasure`] | max w·e |
//! | [`Strategy::AverageWithoutMisery`] | the average, but candidates someone would dislike (e < misery threshold) go last |
//! | [`Strategy::Borda`] | Σ w·(Borda points in [0, 1] from each member's ranking of the candidates) / Σ w |
//! | [`Strategy::Approval`] | Σ w·[e ≥ approval threshold] / Σ w |
//!
//! Ties go to the higher weighted mean enjoyment, then to the smaller candidate index, so a
//! ranking is deterministic.
//!
//! After the night, [`satisfaction`] says how happy each member was with the film chosen, and
//! [`next_debt`] / [`weight_of`] carry it into the next night: a member left unhappy gets a
//! weight above 1 next time (the long-term fairness of Malecek & Peska's EP-FuzzDA, UMAP 2021,
//! reduced to one number per member). [`tally`] counts an approval vote on the shortlist.
//!
//! The default is [`Strategy::Approval`] with a strict threshold (0.99: a member "approves" only
//! films in the top 1 % of their own ranking), so the list starts with the films that are
//! favourites of the most members, ordered among equals by the weighted mean. It was chosen on
//! synthetic MovieLens groups by `marquee eval group --validate` and confirmed on the held-out
//! test ratings: on ML-100k it has the best mean member NDCG@10 and the best worst-off member
//! NDCG@10 of the six strategies (docs/BENCHMARKS.md, "Group picks", which also gives its
//! limits on a larger catalogue).

pub mod shortlist;

use std::cmp::Ordering;
use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use crate::domain::ids::UserId;

/// How the members' enjoyment is turned into one group ranking (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Strategy {
    /// Weighted mean enjoyment: the most total happiness; can bury a minority.
    Average,
    /// The least happy member's enjoyment: nobody hates it; one member can veto.
    LeastMisery,
    /// The happiest member's enjoyment: one fan is enough.
    MostPleasure,
    /// Weighted mean enjoyment, with candidates someone would dislike moved after all others.
    AverageWithoutMisery,
    /// Borda count over each member's ranking of the candidates (ordinal).
    Borda,
    /// Share of members (weighted) whose enjoyment reaches the approval threshold; the
    /// default (see the module docs).
    #[default]
    Approval,
}

impl Strategy {
    /// Every strategy, in a fixed order (the order of reports).
    pub const ALL: [Strategy; 6] = [
        Strategy::Average,
        Strategy::LeastMisery,
        Strategy::MostPleasure,
        Strategy::AverageWithoutMisery,
        Strategy::Borda,
        Strategy::Approval,
    ];

    /// The machine name: `average`, `least_misery`, `most_pleasure`, `average_without_misery`,
    /// `borda`, `approval` (what [`FromStr`] accepts and [`fmt::Display`] prints).
    pub const fn name(self) -> &'static str {
        match self {
            Strategy::Average => "average",
            Strategy::LeastMisery => "least_misery",
            Strategy::MostPleasure => "most_pleasure",
            Strategy::AverageWithoutMisery => "average_without_misery",
            Strategy::Borda => "borda",
            Strategy::Approval => "approval",
        }
    }

    /// The name for people: "Average", "Least misery", "Most pleasure", "Average without
    /// misery", "Borda count", "Approval".
    pub const fn label(self) -> &'static str {
        match self {
            Strategy::Average => "Average",
            Strategy::LeastMisery => "Least misery",
            Strategy::MostPleasure => "Most pleasure",
            Strategy::AverageWithoutMisery => "Average without misery",
            Strategy::Borda => "Borda count",
            Strategy::Approval => "Approval",
        }
    }
}

impl FromStr for Strategy {
    type Err = String;

    /// Accepts [`Strategy::name`]s (and [`Strategy::label`]s) case-insensitively, with `-` or a
    /// space for `_` ("Least misery", "least-misery", "Borda count"). The error lists the valid
    /// names.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = |x: &str| x.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        let wanted = norm(s);
        Strategy::ALL
            .into_iter()
            .find(|st| st.name() == wanted || norm(st.label()) == wanted)
            .ok_or_else(|| {
                let names: Vec<&str> = Strategy::ALL.iter().map(|st| st.name()).collect();
                format!(
                    "unknown group strategy {s:?}; expected one of: {}",
                    names.join(", ")
                )
            })
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a group ranking cannot be made.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum GroupError {
    /// A member's enjoyment list is not as long as the first member's.
    #[error("member {user} has {got} enjoyment values, expected {expected} (one per candidate)")]
    LengthMismatch {
        /// The member.
        user: UserId,
        /// The number of candidates (the first member's list length).
        expected: usize,
        /// This member's list length.
        got: usize,
    },
    /// A member's weight is not a finite number above zero.
    #[error("member {user} has weight {weight}; weights must be finite and above zero")]
    InvalidWeight {
        /// The member.
        user: UserId,
        /// The weight given.
        weight: f64,
    },
    /// A threshold is outside [0, 1] (or not a number).
    #[error("{name} must be between 0 and 1, got {value}")]
    InvalidThreshold {
        /// Which threshold: `misery_threshold` or `approval_threshold`.
        name: &'static str,
        /// The value given.
        value: f64,
    },
}

/// One member of the group: predicted enjoyment of each candidate (same order, in [0, 1]) and
/// their fairness weight (1.0 neutral; > 1 for members left unhappy by earlier nights, see
/// [`weight_of`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// Who.
    pub user: UserId,
    /// Predicted enjoyment of each candidate, in candidate order. NaN or infinite values count
    /// as 0.5 (no opinion); finite values outside [0, 1] are clamped.
    pub enjoyment: Vec<f64>,
    /// How much this member counts: finite and above zero, 1.0 neutral.
    pub weight: f64,
}

/// Default [`GroupParams::misery_threshold`]: an enjoyment in the bottom tenth of a member's
/// own ranking of the catalog counts as "would dislike it". Chosen for that meaning: on the
/// validation groups of `marquee eval group --validate` any value from 0.05 to 0.9 changed
/// [`Strategy::AverageWithoutMisery`]'s mean NDCG by under 1.5 % and its worst-off NDCG by
/// under 1 % (docs/BENCHMARKS.md, "Group picks").
pub const DEFAULT_MISERY_THRESHOLD: f64 = 0.1;

/// Default [`GroupParams::approval_threshold`]: a member approves only films in the top 1 % of
/// their own ranking of the catalog (about 16 films of ML-100k's 1,650). Tuned on the
/// validation groups of `marquee eval group --validate` over 0.5–1.0 (best from 0.98 to 0.995;
/// the old 0.75 made approval no better than the average). The best share depends on the
/// catalogue's size: re-tune with `--validate` on a much larger catalogue.
pub const DEFAULT_APPROVAL_THRESHOLD: f64 = 0.99;

/// How to rank candidates for a group.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupParams {
    /// The aggregation.
    pub strategy: Strategy,
    /// Below this enjoyment (in [0, 1]) a member is predicted to dislike a film: the film is
    /// flagged [`GroupScore::misery`] and, for [`Strategy::AverageWithoutMisery`], ranked last.
    pub misery_threshold: f64,
    /// At or above this enjoyment (in [0, 1]) a member approves a film ([`Strategy::Approval`]).
    pub approval_threshold: f64,
}

impl GroupParams {
    /// `strategy` with [`DEFAULT_MISERY_THRESHOLD`] and [`DEFAULT_APPROVAL_THRESHOLD`].
    pub fn new(strategy: Strategy) -> Self {
        Self {
            strategy,
            misery_threshold: DEFAULT_MISERY_THRESHOLD,
            approval_threshold: DEFAULT_APPROVAL_THRESHOLD,
        }
    }

    /// The same parameters with another misery threshold.
    ///
    /// # Errors
    /// [`GroupError::InvalidThreshold`] when `t` is not in [0, 1].
    pub fn misery_threshold(self, t: f64) -> Result<Self, GroupError> {
        check_threshold("misery_threshold", t)?;
        Ok(Self {
            misery_threshold: t,
            ..self
        })
    }

    /// The same parameters with another approval threshold.
    ///
    /// # Errors
    /// [`GroupError::InvalidThreshold`] when `t` is not in [0, 1].
    pub fn approval_threshold(self, t: f64) -> Result<Self, GroupError> {
        check_threshold("approval_threshold", t)?;
        Ok(Self {
            approval_threshold: t,
            ..self
        })
    }
}

impl Default for GroupParams {
    fn default() -> Self {
        Self::new(Strategy::default())
    }
}

fn check_threshold(name: &'static str, value: f64) -> Result<(), GroupError> {
    if (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(GroupError::InvalidThreshold { name, value })
    }
}

/// One candidate's place in a group ranking.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupScore {
    /// Index of the candidate (position in every member's enjoyment list).
    pub candidate: usize,
    /// The strategy's group score (finite; higher is better).
    pub score: f64,
    /// True when some member is predicted to dislike it (enjoyment < misery threshold).
    pub misery: bool,
}

/// An enjoyment value made safe: NaN and infinities become 0.5, the rest is clamped to [0, 1].
fn clean(e: f64) -> f64 {
    if e.is_finite() {
        e.clamp(0.0, 1.0)
    } else {
        0.5
    }
}

/// All candidates ranked for the group, best first (see the module docs for each strategy).
///
/// - Scores are finite. NaN or infinite enjoyment counts as 0.5; other values are clamped to
///   [0, 1].
/// - Weights scale each member's contribution: a weighted mean for [`Strategy::Average`],
///   [`Strategy::AverageWithoutMisery`], [`Strategy::Borda`] and [`Strategy::Approval`]. For
///   [`Strategy::LeastMisery`] each member's *misery* `1 − e` is multiplied by their weight, so
///   a member with weight 2 counts as the most miserable as soon as their misery is half of
///   anyone else's; the score is `1 − max w·(1 − e)` (it can fall below 0 when weights exceed
///   1). [`Strategy::MostPleasure`] uses `max w·e` likewise.
/// - Ties go to the higher weighted mean enjoyment, then to the smaller candidate index.
/// - [`Strategy::AverageWithoutMisery`]: candidates with [`GroupScore::misery`] come after all
///   others (each part ordered by the weighted mean), so the list is never empty when there are
///   candidates.
/// - Zero members or zero candidates give an empty list.
///
/// # Errors
/// [`GroupError::LengthMismatch`] when members' enjoyment lists differ in length,
/// [`GroupError::InvalidWeight`] for a weight that is not finite and above zero, and
/// [`GroupError::InvalidThreshold`] for a threshold outside [0, 1].
pub fn rank(members: &[Member], params: &GroupParams) -> Result<Vec<GroupScore>, GroupError> {
    check_threshold("misery_threshold", params.misery_threshold)?;
    check_threshold("approval_threshold", params.approval_threshold)?;
    let Some(first) = members.first() else {
        return Ok(Vec::new());
    };
    let n = first.enjoyment.len();
    for m in members {
        if m.enjoyment.len() != n {
            return Err(GroupError::LengthMismatch {
                user: m.user,
                expected: n,
                got: m.enjoyment.len(),
            });
        }
        if !(m.weight.is_finite() && m.weight > 0.0) {
            return Err(GroupError::InvalidWeight {
                user: m.user,
                weight: m.weight,
            });
        }
    }
    if n == 0 {
        return Ok(Vec::new());
    }
    let total_weight: f64 = members.iter().map(|m| m.weight).sum();
    let weighted_mean = |c: usize| {
        members
            .iter()
            .map(|m| m.weight * clean(m.enjoyment[c]))
            .sum::<f64>()
            / total_weight
    };
    let means: Vec<f64> = (0..n).map(weighted_mean).collect();
    let misery: Vec<bool> = (0..n)
        .map(|c| {
            members
                .iter()
                .any(|m| clean(m.enjoyment[c]) < params.misery_threshold)
        })
        .collect();
    let scores = strategy_scores(members, params, &means, total_weight);
    let demote = params.strategy == Strategy::AverageWithoutMisery;
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| {
        let by_misery = if demote {
            misery[a].cmp(&misery[b])
        } else {
            Ordering::Equal
        };
        by_misery
            .then(scores[b].total_cmp(&scores[a]))
            .then(means[b].total_cmp(&means[a]))
            .then(a.cmp(&b))
    });
    Ok(order
        .into_iter()
        .map(|c| GroupScore {
            candidate: c,
            score: if scores[c].is_finite() {
                scores[c]
            } else {
                0.0
            },
            misery: misery[c],
        })
        .collect())
}

/// Each candidate's score under `params.strategy` (see [`rank`]); `means` are the weighted
/// means and `total_weight` the sum of the weights (> 0).
fn strategy_scores(
    members: &[Member],
    params: &GroupParams,
    means: &[f64],
    total_weight: f64,
) -> Vec<f64> {
    let n = means.len();
    match params.strategy {
        Strategy::Average | Strategy::AverageWithoutMisery => means.to_vec(),
        Strategy::LeastMisery => (0..n)
            .map(|c| {
                1.0 - members
                    .iter()
                    .map(|m| m.weight * (1.0 - clean(m.enjoyment[c])))
                    .fold(f64::MIN, f64::max)
            })
            .collect(),
        Strategy::MostPleasure => (0..n)
            .map(|c| {
                members
                    .iter()
                    .map(|m| m.weight * clean(m.enjoyment[c]))
                    .fold(f64::MIN, f64::max)
            })
            .collect(),
        Strategy::Borda => {
            let mut points = vec![0f64; n];
            for m in members {
                for (p, b) in points.iter_mut().zip(borda_points(&m.enjoyment)) {
                    *p += m.weight * b;
                }
            }
            points.into_iter().map(|p| p / total_weight).collect()
        }
        Strategy::Approval => (0..n)
            .map(|c| {
                members
                    .iter()
                    .filter(|m| clean(m.enjoyment[c]) >= params.approval_threshold)
                    .map(|m| m.weight)
                    .sum::<f64>()
                    / total_weight
            })
            .collect(),
    }
}

/// Borda points in [0, 1] for one member's enjoyment list: the favourite gets 1, the least
/// liked 0, evenly spaced by rank; tied candidates share the mean of their ranks' points. One
/// candidate gets 1.
fn borda_points(enjoyment: &[f64]) -> Vec<f64> {
    let n = enjoyment.len();
    if n == 1 {
        return vec![1.0];
    }
    let e: Vec<f64> = enjoyment.iter().map(|&x| clean(x)).collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| e[a].total_cmp(&e[b]));
    let mut points = vec![0f64; n];
    let span = (n - 1) as f64;
    let mut start = 0;
    while start < n {
        let mut end = start + 1;
        while end < n && e[order[end]].total_cmp(&e[order[start]]).is_eq() {
            end += 1;
        }
        // Ascending ranks start..end share their mean rank.
        let p = (start + end - 1) as f64 / 2.0 / span;
        for &c in &order[start..end] {
            points[c] = p;
        }
        start = end;
    }
    points
}

/// How satisfied `member` is with candidate `chosen`: their enjoyment of it relative to their
/// best candidate (`e[chosen] / max e`), in [0, 1]. 1 when nothing was better (also when every
/// candidate has enjoyment 0); 0 when `chosen` is out of range. Enjoyment is cleaned as in
/// [`rank`].
pub fn satisfaction(member: &Member, chosen: usize) -> f64 {
    let Some(&e) = member.enjoyment.get(chosen) else {
        return 0.0;
    };
    let best = member
        .enjoyment
        .iter()
        .map(|&x| clean(x))
        .fold(0.0, f64::max);
    if best <= 0.0 {
        1.0
    } else {
        (clean(e) / best).clamp(0.0, 1.0)
    }
}

/// Lowest and highest weight [`weight_of`] gives.
pub const WEIGHT_RANGE: (f64, f64) = (0.5, 2.0);

/// Share of a member's debt carried into the next night by [`next_debt`].
pub const DEBT_DECAY: f64 = 0.5;

/// A member's fairness weight for the next night from their stored debt: `1 + debt`, clamped
/// to [`WEIGHT_RANGE`] ([0.5, 2]). A debt that is not a number gives the neutral 1. Always
/// finite.
pub fn weight_of(debt: f64) -> f64 {
    if debt.is_finite() {
        (1.0 + debt).clamp(WEIGHT_RANGE.0, WEIGHT_RANGE.1)
    } else {
        1.0
    }
}

/// A member's debt after a night: `DEBT_DECAY · debt + (group_mean_satisfaction −
/// satisfaction)`. Members happier than the group pay debt off; members less happy build it
/// up, and old nights fade by half each night. With satisfactions in [0, 1] the debt stays in
/// [−2, 2] however many nights pass (a geometric series); satisfactions are clamped to [0, 1],
/// a non-finite debt counts as 0 and a non-finite satisfaction adds nothing. Always finite.
pub fn next_debt(debt: f64, satisfaction: f64, group_mean_satisfaction: f64) -> f64 {
    let old = if debt.is_finite() {
        debt.clamp(-2.0, 2.0)
    } else {
        0.0
    };
    let gap = if satisfaction.is_finite() && group_mean_satisfaction.is_finite() {
        group_mean_satisfaction.clamp(0.0, 1.0) - satisfaction.clamp(0.0, 1.0)
    } else {
        0.0
    };
    (DEBT_DECAY * old + gap).clamp(-2.0, 2.0)
}

/// The result of an approval vote on a shortlist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    /// Approvals per shortlist position.
    pub counts: Vec<usize>,
    /// The winning position.
    pub winner: usize,
}

/// Approval voting on a shortlist: `votes` are (member, shortlist position) pairs; a member may
/// approve any number of films, and the same pair twice counts once. Positions outside the
/// shortlist are ignored. The winner has the most approvals; ties go to the earlier position
/// (position 0 has the best group score), so with no votes the top of the shortlist wins.
/// `None` when the shortlist is empty.
pub fn tally(shortlist_len: usize, votes: &[(UserId, usize)]) -> Option<Tally> {
    if shortlist_len == 0 {
        return None;
    }
    let mut counts = vec![0usize; shortlist_len];
    let mut seen: HashSet<(UserId, usize)> = HashSet::new();
    for &(user, pos) in votes {
        if pos < shortlist_len && seen.insert((user, pos)) {
            counts[pos] += 1;
        }
    }
    let mut winner = 0;
    for (pos, &c) in counts.iter().enumerate() {
        if c > counts[winner] {
            winner = pos;
        }
    }
    Some(Tally { counts, winner })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::rng::SplitMix64;

    fn member(user: i64, enjoyment: &[f64]) -> Member {
        Member {
            user: UserId(user),
            enjoyment: enjoyment.to_vec(),
            weight: 1.0,
        }
    }

    fn order(members: &[Member], params: &GroupParams) -> Vec<usize> {
        rank(members, params)
            .expect("ranks")
            .iter()
            .map(|s| s.candidate)
            .collect()
    }

    fn with(strategy: Strategy) -> GroupParams {
        GroupParams::new(strategy)
    }

    /// 3 members × 4 candidates where the strategies disagree:
    /// - c0: two fans, one who hates it (mean 0.6667, min 0.05, max 0.95);
    /// - c1: everyone is fine with it (mean 0.6, min 0.55);
    /// - c2: one huge fan (mean 0.5333, max 1.0);
    /// - c3: mediocre for all (mean 0.4, min 0.35).
    fn trio() -> Vec<Member> {
        vec![
            member(1, &[0.95, 0.6, 1.0, 0.35]),
            member(2, &[0.05, 0.55, 0.3, 0.45]),
            member(3, &[1.0, 0.65, 0.3, 0.4]),
        ]
    }

    fn scores(members: &[Member], params: &GroupParams) -> Vec<f64> {
        let mut by_candidate = rank(members, params).expect("ranks");
        by_candidate.sort_by_key(|s| s.candidate);
        by_candidate.iter().map(|s| s.score).collect()
    }

    fn close(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-9)
    }

    #[test]
    fn average_and_least_misery_disagree_on_the_trio() {
        let t = trio();
        let avg = scores(&t, &with(Strategy::Average));
        assert!(close(&avg, &[2.0 / 3.0, 0.6, 1.6 / 3.0, 0.4]), "{avg:?}");
        assert_eq!(order(&t, &with(Strategy::Average)), vec![0, 1, 2, 3]);
        let lm = scores(&t, &with(Strategy::LeastMisery));
        assert!(close(&lm, &[0.05, 0.55, 0.3, 0.35]), "{lm:?}");
        assert_eq!(order(&t, &with(Strategy::LeastMisery)), vec![1, 3, 2, 0]);
        let mp = scores(&t, &with(Strategy::MostPleasure));
        assert!(close(&mp, &[1.0, 0.65, 1.0, 0.45]), "{mp:?}");
        // c0 and c2 tie on 1.0: c0 has the higher mean.
        assert_eq!(order(&t, &with(Strategy::MostPleasure)), vec![0, 2, 1, 3]);
    }

    #[test]
    fn average_without_misery_puts_a_hated_film_last() {
        let t = trio();
        let p = with(Strategy::AverageWithoutMisery);
        let got = rank(&t, &p).expect("ranks");
        // Member 2 rates c0 at 0.05 < 0.1: c0 goes last despite the best mean.
        assert_eq!(
            got.iter().map(|s| s.candidate).collect::<Vec<_>>(),
            vec![1, 2, 3, 0]
        );
        assert_eq!(
            got.iter().map(|s| s.misery).collect::<Vec<_>>(),
            vec![false, false, false, true]
        );
        assert!((got[3].score - 2.0 / 3.0).abs() < 1e-9);
        // A higher threshold flags c2 (0.3) as well; the flagged part keeps the mean order.
        let strict = p.clone().misery_threshold(0.32).expect("valid");
        assert_eq!(order(&t, &strict), vec![1, 3, 0, 2]);
        // When every candidate is flagged, the list is the plain average, never empty.
        let all = p.misery_threshold(0.99).expect("valid");
        assert_eq!(order(&t, &all), order(&t, &with(Strategy::Average)));
        // The flag is reported by every strategy.
        assert!(rank(&t, &with(Strategy::Average)).expect("ranks")[0].misery);
    }

    #[test]
    fn borda_uses_ranks_not_values() {
        let t = trio();
        // Points per member (ascending ranks 0..3 → 0, 1/3, 2/3, 1):
        // m1: c2 1, c0 2/3, c1 1/3, c3 0; m2: c1 1, c3 2/3, c2 1/3, c0 0;
        // m3: c0 1, c1 2/3, c3 1/3, c2 0.
        let b = scores(&t, &with(Strategy::Borda));
        assert!(
            close(&b, &[5.0 / 9.0, 2.0 / 3.0, 4.0 / 9.0, 1.0 / 3.0]),
            "{b:?}"
        );
        assert_eq!(order(&t, &with(Strategy::Borda)), vec![1, 0, 2, 3]);
        // Ties share points: [0.5, 0.5, 0.1] → 0.75, 0.75, 0.
        assert!(close(&borda_points(&[0.5, 0.5, 0.1]), &[0.75, 0.75, 0.0]));
        assert!(close(&borda_points(&[0.3]), &[1.0]));
    }

    #[test]
    fn approval_counts_members_at_or_above_the_threshold() {
        let t = trio();
        let quarter = with(Strategy::Approval)
            .approval_threshold(0.75)
            .expect("valid");
        let a = scores(&t, &quarter);
        // ≥ 0.75: c0 by m1 and m3, c2 by m1.
        assert!(close(&a, &[2.0 / 3.0, 0.0, 1.0 / 3.0, 0.0]), "{a:?}");
        // c1 and c3 tie on 0: c1 has the higher mean.
        assert_eq!(order(&t, &quarter), vec![0, 2, 1, 3]);
        // The default 0.99: only c0 (m3) and c2 (m1) are anyone's top film; c0 has the higher
        // mean, and the rest follow the mean.
        let a = scores(&t, &with(Strategy::Approval));
        assert!(close(&a, &[1.0 / 3.0, 0.0, 1.0 / 3.0, 0.0]), "{a:?}");
        assert_eq!(order(&t, &GroupParams::default()), vec![0, 2, 1, 3]);
        // A film two members love beats one with a higher mean that nobody loves.
        let m = vec![
            member(1, &[0.995, 0.97]),
            member(2, &[0.992, 0.98]),
            member(3, &[0.2, 0.96]),
        ];
        assert_eq!(order(&m, &with(Strategy::Average)), vec![1, 0]);
        assert_eq!(order(&m, &GroupParams::default()), vec![0, 1]);
        let lax = with(Strategy::Approval)
            .approval_threshold(0.55)
            .expect("valid");
        let a = scores(&t, &lax);
        assert!(close(&a, &[2.0 / 3.0, 1.0, 1.0 / 3.0, 0.0]), "{a:?}");
    }

    #[test]
    fn weights_shift_the_ranking() {
        // Two members who disagree on two films.
        let mut m = vec![member(1, &[0.9, 0.2]), member(2, &[0.3, 0.8])];
        // Neutral: means 0.6 vs 0.5.
        assert_eq!(order(&m, &with(Strategy::Average)), vec![0, 1]);
        // Member 2 lost last time: weight 2 → (0.9 + 0.6) / 3 = 0.5 vs (0.2 + 1.6) / 3 = 0.6.
        m[1].weight = 2.0;
        let s = scores(&m, &with(Strategy::Average));
        assert!(close(&s, &[0.5, 0.6]), "{s:?}");
        assert_eq!(order(&m, &with(Strategy::Average)), vec![1, 0]);
        // Least misery: misery c0 = max(0.1, 2·0.7) = 1.4, c1 = max(0.8, 2·0.2) = 0.8.
        let s = scores(&m, &with(Strategy::LeastMisery));
        assert!(close(&s, &[1.0 - 1.4, 1.0 - 0.8]), "{s:?}");
        assert_eq!(order(&m, &with(Strategy::LeastMisery)), vec![1, 0]);
        // Neutral least misery: min 0.3 vs 0.2 → c0.
        m[1].weight = 1.0;
        assert_eq!(order(&m, &with(Strategy::LeastMisery)), vec![0, 1]);
        // Most pleasure: 0.9 vs 1.6 with weight 2.
        m[1].weight = 2.0;
        assert_eq!(order(&m, &with(Strategy::MostPleasure)), vec![1, 0]);
        // Borda: c0 gets 1 from m1, c1 gets 2 from m2.
        assert_eq!(order(&m, &with(Strategy::Borda)), vec![1, 0]);
        // Equal weights other than 1 change nothing.
        let scaled: Vec<Member> = trio()
            .into_iter()
            .map(|m| Member { weight: 1.7, ..m })
            .collect();
        for st in [
            Strategy::Average,
            Strategy::AverageWithoutMisery,
            Strategy::Borda,
            Strategy::Approval,
        ] {
            assert_eq!(order(&scaled, &with(st)), order(&trio(), &with(st)), "{st}");
        }
    }

    #[test]
    fn ties_break_by_mean_then_index() {
        // All equal: index order.
        let m = vec![member(1, &[0.5, 0.5, 0.5]), member(2, &[0.5, 0.5, 0.5])];
        for st in Strategy::ALL {
            assert_eq!(order(&m, &with(st)), vec![0, 1, 2], "{st}");
        }
        // Least misery ties on min 0.2; the means decide: c2 (0.6) > c1 (0.5) > c0 (0.4).
        let m = vec![member(1, &[0.2, 0.2, 0.2]), member(2, &[0.6, 0.8, 1.0])];
        assert_eq!(order(&m, &with(Strategy::LeastMisery)), vec![2, 1, 0]);
        // And the same ranking twice.
        assert_eq!(
            rank(&trio(), &GroupParams::default()),
            rank(&trio(), &GroupParams::default())
        );
    }

    #[test]
    fn nan_and_out_of_range_enjoyment_is_neutral_or_clamped() {
        let m = vec![
            member(1, &[f64::NAN, 0.9, f64::INFINITY, -3.0]),
            member(2, &[0.5, 0.7, f64::NEG_INFINITY, 7.0]),
        ];
        for st in Strategy::ALL {
            let got = rank(&m, &with(st)).expect("ranks");
            assert_eq!(got.len(), 4, "{st}");
            assert!(got.iter().all(|s| s.score.is_finite()), "{st}: {got:?}");
        }
        // NaN and ±inf count as 0.5; -3 → 0 and 7 → 1: means 0.5, 0.8, 0.5, 0.5.
        let s = scores(&m, &with(Strategy::Average));
        assert!(close(&s, &[0.5, 0.8, 0.5, 0.5]), "{s:?}");
        // -3 → 0 is below the misery threshold.
        let got = rank(&m, &with(Strategy::AverageWithoutMisery)).expect("ranks");
        assert_eq!(got.last().map(|s| (s.candidate, s.misery)), Some((3, true)));
    }

    #[test]
    fn empty_and_invalid_inputs() {
        assert_eq!(rank(&[], &GroupParams::default()), Ok(Vec::new()));
        let none = vec![member(1, &[]), member(2, &[])];
        assert_eq!(rank(&none, &GroupParams::default()), Ok(Vec::new()));
        let bad = vec![member(1, &[0.5, 0.5]), member(2, &[0.5])];
        assert_eq!(
            rank(&bad, &GroupParams::default()),
            Err(GroupError::LengthMismatch {
                user: UserId(2),
                expected: 2,
                got: 1
            })
        );
        for w in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let m = vec![Member {
                weight: w,
                ..member(7, &[0.5])
            }];
            assert!(
                matches!(
                    rank(&m, &GroupParams::default()),
                    Err(GroupError::InvalidWeight {
                        user: UserId(7),
                        ..
                    })
                ),
                "{w}"
            );
        }
        for t in [-0.1, 1.1, f64::NAN] {
            assert!(GroupParams::default().misery_threshold(t).is_err(), "{t}");
            assert!(GroupParams::default().approval_threshold(t).is_err(), "{t}");
        }
        let raw = GroupParams {
            misery_threshold: 2.0,
            ..GroupParams::default()
        };
        assert_eq!(
            rank(&trio(), &raw),
            Err(GroupError::InvalidThreshold {
                name: "misery_threshold",
                value: 2.0
            })
        );
        // A single member and a single candidate.
        let one = vec![member(1, &[0.3])];
        for st in Strategy::ALL {
            assert_eq!(order(&one, &with(st)), vec![0], "{st}");
        }
        let err = GroupError::LengthMismatch {
            user: UserId(2),
            expected: 2,
            got: 1,
        };
        assert!(err.to_string().contains("member 2"), "{err}");
    }

    #[test]
    fn strategy_names_round_trip() {
        for st in Strategy::ALL {
            assert_eq!(st.name().parse::<Strategy>(), Ok(st));
            assert_eq!(st.to_string(), st.name());
            assert_eq!(st.label().parse::<Strategy>(), Ok(st));
        }
        assert_eq!("Least-Misery".parse(), Ok(Strategy::LeastMisery));
        assert_eq!(
            " average without misery ".parse(),
            Ok(Strategy::AverageWithoutMisery)
        );
        let err = "plurality".parse::<Strategy>().expect_err("unknown");
        assert!(
            err.contains("least_misery") && err.contains("approval"),
            "{err}"
        );
        assert_eq!(Strategy::default(), Strategy::Approval);
        assert_eq!(GroupParams::default().strategy, Strategy::default());
        let names: HashSet<&str> = Strategy::ALL.iter().map(|s| s.name()).collect();
        assert_eq!(names.len(), Strategy::ALL.len());
    }

    #[test]
    fn satisfaction_is_relative_to_the_best_candidate() {
        let m = member(1, &[0.8, 0.4, 0.2]);
        assert!((satisfaction(&m, 0) - 1.0).abs() < 1e-12);
        assert!((satisfaction(&m, 1) - 0.5).abs() < 1e-12);
        assert!((satisfaction(&m, 2) - 0.25).abs() < 1e-12);
        assert!(satisfaction(&m, 3).abs() < 1e-12);
        assert!((satisfaction(&member(1, &[0.0, 0.0]), 1) - 1.0).abs() < 1e-12);
        let odd = member(1, &[f64::NAN, 1.0]);
        assert!((satisfaction(&odd, 0) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn an_unhappy_member_weighs_more_next_night() {
        assert!((weight_of(0.0) - 1.0).abs() < 1e-12);
        assert!((weight_of(5.0) - 2.0).abs() < 1e-12);
        assert!((weight_of(-5.0) - 0.5).abs() < 1e-12);
        assert!((weight_of(f64::NAN) - 1.0).abs() < 1e-12);
        // A night where member A got 0.2 and B 1.0 (mean 0.6).
        let a = next_debt(0.0, 0.2, 0.6);
        let b = next_debt(0.0, 1.0, 0.6);
        assert!((a - 0.4).abs() < 1e-12 && (b + 0.4).abs() < 1e-12);
        assert!(weight_of(a) > 1.0 && weight_of(b) < 1.0);
        // An even night halves the debt.
        assert!((next_debt(a, 0.7, 0.7) - 0.2).abs() < 1e-12);
        assert!(next_debt(f64::NAN, f64::INFINITY, 0.5).abs() < 1e-12);
        // The heavier weight changes the next pick to A's favourite: means 0.7 vs 0.675 at
        // weight 1, (0.7 + 0.9) / 2.4 = 0.667 vs (1.26 + 0.45) / 2.4 = 0.7125 at 1.4.
        let night = |wa: f64| {
            let m = vec![
                Member {
                    weight: wa,
                    ..member(1, &[0.5, 0.9])
                },
                member(2, &[0.9, 0.45]),
            ];
            order(&m, &GroupParams::default())[0]
        };
        assert_eq!(night(1.0), 0);
        assert_eq!(night(weight_of(a)), 1);
    }

    #[test]
    fn debt_stays_bounded_over_a_hundred_nights() {
        let mut rng = SplitMix64::new(7);
        let mut debts = [0f64; 4];
        let mut always_unhappy = 0f64;
        for _ in 0..100 {
            let sats: Vec<f64> = (0..4).map(|_| f64::from(rng.next_f32())).collect();
            let mean = sats.iter().sum::<f64>() / 4.0;
            for (d, s) in debts.iter_mut().zip(&sats) {
                *d = next_debt(*d, *s, mean);
                assert!(d.is_finite() && d.abs() <= 2.0, "{d}");
                assert!((0.5..=2.0).contains(&weight_of(*d)));
            }
            // The worst case: always 0 while the group has 1.
            always_unhappy = next_debt(always_unhappy, 0.0, 1.0);
            assert!(always_unhappy <= 2.0);
        }
        assert!((always_unhappy - 2.0).abs() < 1e-9, "{always_unhappy}");
        assert!((weight_of(always_unhappy) - 2.0).abs() < 1e-12);
    }

    #[test]
    fn tally_counts_approvals_once_and_breaks_ties_by_position() {
        assert_eq!(tally(0, &[(UserId(1), 0)]), None);
        assert_eq!(
            tally(3, &[]),
            Some(Tally {
                counts: vec![0, 0, 0],
                winner: 0
            })
        );
        let votes = [
            (UserId(1), 2),
            (UserId(1), 2), // duplicate: once
            (UserId(2), 2),
            (UserId(1), 1),
            (UserId(2), 1),
            (UserId(3), 9), // out of range: ignored
        ];
        let t = tally(3, &votes).expect("shortlist");
        assert_eq!(t.counts, vec![0, 2, 2]);
        assert_eq!(t.winner, 1); // tie 2–2: the earlier position
        let t = tally(3, &[(UserId(1), 2), (UserId(2), 2), (UserId(3), 0)]).expect("shortlist");
        assert_eq!((t.counts, t.winner), (vec![1, 0, 2], 2));
        assert_eq!(tally(1, &[(UserId(1), 1)]).map(|t| t.winner), Some(0));
    }
}
