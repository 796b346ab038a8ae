//! "Popular with your taste group": mixes the favourites of the user's taste group into their
//! personal picks. Group taste is more personal than global popularity and less narrow than the
//! user's own history, so it fills cold starts and adds a little serendipity to long histories.

use crate::domain::catalog::{Movie, MovieInfo};
use crate::domain::events::FeedbackEvent;
use crate::domain::ids::{MovieId, UserId};
use crate::domain::recommend::cold::Baseline;
use crate::domain::recommend::snapshot::{ModelSnapshot, RecRequest};
use crate::domain::recommend::{Pick, Reason};
use crate::domain::taste::TasteGroups;
use std::collections::HashSet;

/// Share of the list given to group favourites for a user with personal picks (rounded down,
/// at least one when the list has four or more places).
pub const GROUP_SHARE: f32 = 0.2;

/// Mixes group favourites into `picks` (best first), keeping the list at `count`.
///
/// - When no pick is personal (a cold start: the server's favourites and well-known films),
///   the group's favourites come first (they say more about this user than what everyone
///   watches) and the cold-start picks fill the rest.
/// - Otherwise the last `GROUP_SHARE` of the list is given to group favourites.
///
/// `eligible` says whether a film may be shown at all (not in the user's history, not excluded,
/// inside the request's genre and year filters): group favourites that fail it are skipped, as
/// are films already in `picks`. Scores of inserted picks continue the list's order.
pub fn with_group_favourites(
    picks: Vec<Pick>,
    group_name: &str,
    favourites: &[(MovieId, f32)],
    eligible: impl Fn(MovieId) -> bool,
    count: usize,
) -> Vec<Pick> {
    let cold = !picks.is_empty() && picks.iter().all(|p| !p.reason.is_personal());
    let mut shown: HashSet<MovieId> = picks.iter().map(|p| p.movie).collect();
    let group_picks: Vec<MovieId> = favourites
        .iter()
        .map(|&(m, _)| m)
        .filter(|m| !shown.contains(m) && eligible(*m))
        .take(count)
        .collect();
    let reason = || Reason::PopularInYourGroup(group_name.to_owned());
    if cold || picks.is_empty() {
        let mut out: Vec<Pick> = group_picks
            .iter()
            .take(count)
            .enumerate()
            .map(|(i, &movie)| Pick {
                movie,
                score: 2.0 - i as f32 / (count.max(1) as f32),
                reason: reason(),
            })
            .collect();
        shown = out.iter().map(|p| p.movie).collect();
        out.extend(picks.into_iter().filter(|p| !shown.contains(&p.movie)));
        out.truncate(count);
        return out;
    }
    let slots = if count >= 4 {
        ((count as f32 * GROUP_SHARE) as usize).max(1)
    } else {
        0
    };
    let take = slots.min(group_picks.len());
    let mut out: Vec<Pick> = picks.into_iter().take(count - take).collect();
    let floor = out.last().map_or(1.0, |p| p.score);
    out.extend(
        group_picks
            .iter()
            .take(take)
            .enumerate()
            .map(|(i, &movie)| Pick {
                movie,
                score: floor - (i + 1) as f32 * 1e-3,
                reason: reason(),
            }),
    );
    out
}

/// Whether a film passes a request's genre and year filters (a film of unknown year fails a
/// year filter, as in the recommender).
pub fn request_admits(request: &RecRequest, m: &MovieInfo) -> bool {
    request.admits(m.year, &m.genres)
}

/// A user's picks, mixed with their taste group's favourites when they have a group. Someone
/// who likes something gets the model's picks (with the user's `events` already folded in by
/// the caller), their non-personal reasons worded by `baseline`; someone who likes nothing
/// gets the cold start ([`Baseline::picks`]: the server's recent favourites, then well-known
/// films). `movie` looks a film up.
pub fn personal_picks<'a>(
    model: &ModelSnapshot,
    groups: Option<&TasteGroups>,
    baseline: &Baseline<'_>,
    user: UserId,
    events: &[FeedbackEvent],
    request: &RecRequest,
    movie: impl Fn(MovieId) -> Option<&'a Movie>,
) -> Vec<Pick> {
    let history: HashSet<MovieId> = events.iter().map(|e| e.event.movie).collect();
    let picks = if model.has_likes(user) {
        let mut picks = model.recommend(user, request);
        baseline.explain(&mut picks, request.genre);
        picks
    } else {
        baseline.picks(request, |m| history.contains(&m))
    };
    let Some((groups, group)) = groups.and_then(|g| g.group_of(user).map(|group| (g, group)))
    else {
        return picks;
    };
    let eligible = |id: MovieId| {
        !history.contains(&id)
            && !request.exclude.contains(&id)
            && movie(id).is_some_and(|m| request_admits(request, &m.info))
    };
    let favourites = groups.group_favourites(group.key, 50);
    with_group_favourites(picks, &group.name, &favourites, eligible, request.count)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick(id: i64, reason: Reason) -> Pick {
        Pick {
            movie: MovieId(id),
            score: 1.0 - id as f32 / 100.0,
            reason,
        }
    }

    fn liked() -> Reason {
        Reason::BecauseYouLiked(vec!["Alien".into()])
    }

    #[test]
    fn a_cold_start_user_sees_their_group_favourites_first() {
        let picks: Vec<Pick> = (1..=5).map(|i| pick(i, Reason::LikedWidely)).collect();
        let fav = [(MovieId(50), 9.0), (MovieId(51), 8.0)];
        let out = with_group_favourites(picks, "Sci-fi adventure", &fav, |_| true, 5);
        let ids: Vec<i64> = out.iter().map(|p| p.movie.0).collect();
        assert_eq!(ids, vec![50, 51, 1, 2, 3]);
        assert_eq!(
            out[0].reason.to_string(),
            "popular with your taste group \u{201c}Sci-fi adventure\u{201d}"
        );
    }

    #[test]
    fn personal_picks_keep_most_of_the_list() {
        let picks: Vec<Pick> = (1..=10).map(|i| pick(i, liked())).collect();
        let fav = [
            (MovieId(3), 9.0),
            (MovieId(60), 8.0),
            (MovieId(61), 7.0),
            (MovieId(62), 6.0),
        ];
        let out = with_group_favourites(picks, "G", &fav, |_| true, 10);
        assert_eq!(out.len(), 10);
        let ids: Vec<i64> = out.iter().map(|p| p.movie.0).collect();
        assert_eq!(
            ids,
            vec![1, 2, 3, 4, 5, 6, 7, 8, 60, 61],
            "film 3 is not repeated"
        );
        assert!(
            out.windows(2).all(|w| w[0].score >= w[1].score),
            "scores stay in list order"
        );
    }

    #[test]
    fn ineligible_favourites_are_never_inserted() {
        let picks: Vec<Pick> = (1..=5)
            .map(|i| pick(i, Reason::PopularHere { people: 2 }))
            .collect();
        let fav = [(MovieId(70), 9.0), (MovieId(71), 8.0)];
        let out = with_group_favourites(picks, "G", &fav, |m| m != MovieId(70), 5);
        assert!(out.iter().all(|p| p.movie != MovieId(70)));
        assert_eq!(out[0].movie, MovieId(71));
    }

    #[test]
    fn no_favourites_leave_the_picks_alone() {
        let picks: Vec<Pick> = (1..=6).map(|i| pick(i, liked())).collect();
        let out = with_group_favourites(picks.clone(), "G", &[], |_| true, 6);
        assert_eq!(out, picks);
    }

    #[test]
    fn a_newcomer_gets_the_cold_start_and_a_fan_the_model_with_true_reasons() {
        use crate::domain::catalog::{Genre, MovieInfo, VoteSource};
        use crate::domain::events::FeedbackKind;
        use crate::domain::recommend::cold::tests::ev;
        use crate::domain::recommend::cold::{ColdStart, LikedHere};
        use crate::domain::recommend::snapshot::{TrainParams, train};
        let movies: Vec<Movie> = (1..=12_i64)
            .map(|i| Movie {
                id: MovieId(i),
                info: MovieInfo {
                    title: format!("Film {i}"),
                    year: Some(1950 + 5 * i as i32),
                    genres: vec![if i % 2 == 0 {
                        Genre::Drama
                    } else {
                        Genre::Comedy
                    }],
                    keywords: vec![format!("theme{}", i % 3)],
                    vote_count: 10 * i,
                    vote_average: Some(7.0),
                    vote_source: Some(VoteSource::MovieLens),
                    ..MovieInfo::default()
                },
            })
            .collect();
        let fan_events: Vec<FeedbackEvent> = [1, 4]
            .iter()
            .map(|&m| ev(1, m, FeedbackKind::Rating, Some(5.0), m))
            .collect();
        let model = train(&movies, &fan_events, &TrainParams::default()).expect("trains");
        let cold = ColdStart::new(&movies, |m| model.liked_by(m));
        let here = [LikedHere {
            movie: MovieId(3),
            people: 2,
            latest_ms: 0,
        }];
        let baseline = Baseline {
            cold: &cold,
            here: &here,
            now_year: 2025,
        };
        let req = RecRequest {
            count: 5,
            ..RecRequest::default()
        };
        let movie = |id: MovieId| movies.iter().find(|m| m.id == id);
        let newcomer = personal_picks(&model, None, &baseline, UserId(7), &[], &req, movie);
        assert_eq!(newcomer.len(), 5);
        assert_eq!(newcomer[0].movie, MovieId(3));
        assert_eq!(newcomer[0].reason, Reason::PopularHere { people: 2 });
        assert!(
            newcomer[1..]
                .iter()
                .all(|p| matches!(p.reason, Reason::WellLoved(_))),
            "{newcomer:?}"
        );
        let fan = personal_picks(&model, None, &baseline, UserId(1), &fan_events, &req, movie);
        assert_eq!(fan.len(), 5);
        assert!(
            fan.iter().all(|p| p.movie != MovieId(1)
                && p.movie != MovieId(4)
                && p.reason != Reason::Baseline),
            "{fan:?}"
        );
        assert!(fan.iter().any(|p| p.reason.is_personal()), "{fan:?}");
    }
}
