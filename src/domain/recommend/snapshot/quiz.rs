//! Choosing the taste quiz's next film (see [`crate::domain::quiz`]).

use std::collections::HashSet;

use super::{Entry, ModelSnapshot, zscore_in_place};
use crate::domain::ids::{MovieId, UserId};
use crate::domain::rng::SplitMix64;

/// How much the quiz's choice varies between people, on the z-scale of how likely a film has
/// been seen: enough to vary the opening films among near-equals, not enough to ask about an
/// obscure film (chosen with `marquee eval quiz --validate`, docs/BENCHMARKS.md).
const JITTER: f32 = 0.15;

impl ModelSnapshot {
    /// How likely anyone has seen each film, z-scored: the mean of how well known it is in
    /// public data (`renown`, 0–1 within its data set) and how many people in the model have
    /// it in their history. Either part is left out when it does not vary (a new server has no
    /// histories).
    fn seen_prior(&self, renown: &impl Fn(MovieId) -> Option<f32>) -> Vec<f32> {
        let mut known: Vec<f32> = (0..self.movies.len() as u32)
            .map(|i| renown(self.movies.id(i)).unwrap_or(0.0))
            .collect();
        let mut here: Vec<f32> = self.seen_by.iter().map(|&n| (n as f32).ln_1p()).collect();
        zscore_in_place(&mut known);
        zscore_in_place(&mut here);
        let parts = [&known, &here]
            .into_iter()
            .filter(|v| v.iter().any(|x| *x != 0.0))
            .count()
            .max(1) as f32;
        known
            .iter()
            .zip(&here)
            .map(|(a, b)| (a + b) / parts)
            .collect()
    }

    /// How likely `hist`'s owner has seen each film: the prior blended with the implicit-ALS
    /// score (a model of what people watch) as likes come in.
    fn seen_likelihood(&self, hist: &[Entry], prior: Vec<f32>, xu: Option<&[f32]>) -> Vec<f32> {
        let nh = hist.iter().filter(|e| e.strength > 0.0).count() as f32;
        let w = nh / (nh + self.serve.history_damping);
        let mut out = prior;
        if let Some(xu) = xu.filter(|x| nh > 0.0 && x.iter().any(|v| *v != 0.0)) {
            for (o, c) in out.iter_mut().zip(&self.cf_scores(xu)) {
                *o = (1.0 - w) * *o + w * c;
            }
        }
        out
    }

    /// The next film to ask `user` about, or `None` when nothing is left to ask: the film
    /// they have most likely seen among those not in their history and not in `asked` (films
    /// asked before in this quiz that they had not seen). `renown(film)` says how well known a
    /// film is in public data (0–1, see [`ColdStart::renown`](crate::domain::recommend::cold::ColdStart::renown)).
    ///
    /// Strategy ("ask about what we would show"): a newcomer is asked about the best-known
    /// films; every like moves their implicit-ALS vector, and the next film is the one that
    /// vector and the prior say they most likely watched. So answers come quickly (few "haven't
    /// seen"), each answer with stars teaches the model where their taste lies, and films they
    /// have seen leave their picks. `salt` varies the choice a little among near-equal films
    /// (±[`JITTER`]), so two people starting the quiz do not see the same list. On ML-100k
    /// users held out of training this beat random, popularity and popularity × entropy
    /// selection (docs/BENCHMARKS.md, "Taste quiz"); the alternatives tried there
    /// (a redundancy penalty against films already asked, a bonus for genres not yet asked,
    /// the full serving score with its content part) did worse on validation users.
    pub fn quiz_next(
        &self,
        user: UserId,
        asked: &[MovieId],
        salt: u64,
        renown: impl Fn(MovieId) -> Option<f32>,
    ) -> Option<MovieId> {
        let hist = self.history(user);
        let seen = self.seen_likelihood(hist, self.seen_prior(&renown), self.user_vector(user));
        let banned: HashSet<u32> = hist
            .iter()
            .map(|e| e.item)
            .chain(asked.iter().filter_map(|m| self.movies.get(*m)))
            .collect();
        let mut rng = SplitMix64::new(salt ^ ((banned.len() as u64) << 32));
        let mut best: Option<(f32, u32)> = None;
        for (i, s) in seen.iter().enumerate() {
            let jitter = JITTER * rng.next_f32();
            let i = i as u32;
            if banned.contains(&i) || !s.is_finite() {
                continue;
            }
            let s = s + jitter;
            if best.is_none_or(|b| s > b.0) {
                best = Some((s, i));
            }
        }
        best.map(|b| self.movies.id(b.1))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use crate::domain::events::FeedbackKind;
    use crate::domain::ids::{MovieId, UserId};
    use crate::domain::recommend::snapshot::tests::{ev, params, world};
    use crate::domain::recommend::snapshot::train;

    /// Nothing is known from public data.
    fn unknown(_: MovieId) -> Option<f32> {
        None
    }

    #[test]
    fn a_newcomer_is_asked_about_films_many_people_have_seen_never_twice() {
        let (movies, events) = world();
        let s = train(&movies, &events, &params()).expect("trains");
        let mut asked = Vec::new();
        for _ in 0..12 {
            let next = s
                .quiz_next(UserId(5000), &asked, 1, unknown)
                .expect("films are left");
            assert!(!asked.contains(&next), "{next:?} asked twice");
            asked.push(next);
        }
        // Films 0..26 are rated by a dozen people each, 26..30 by nobody: the rated come first.
        assert!(asked.iter().all(|m| m.0 < 26), "{asked:?}");
        let all: Vec<MovieId> = movies.iter().map(|m| m.id).collect();
        assert_eq!(
            s.quiz_next(UserId(5000), &all, 1, unknown),
            None,
            "nothing is left to ask"
        );
    }

    #[test]
    fn each_like_steers_the_next_film_towards_the_same_taste() {
        let (movies, events) = world();
        let mut s = train(&movies, &events, &params()).expect("trains");
        // A western fan answers two westerns with "loved it".
        let mine = [
            ev(9001, 5001, 10, FeedbackKind::Rating, Some(5.0)),
            ev(9002, 5001, 11, FeedbackKind::Rating, Some(5.0)),
        ];
        s.fold_in(UserId(5001), &mine);
        for salt in 0..8 {
            let next = s
                .quiz_next(UserId(5001), &[], salt, unknown)
                .expect("films are left");
            assert!(
                (12..16).contains(&next.0),
                "salt {salt}: {next:?} is not one of the other westerns"
            );
        }
        // A space fan is steered the other way.
        let theirs = [
            ev(9003, 5002, 0, FeedbackKind::Rating, Some(5.0)),
            ev(9004, 5002, 1, FeedbackKind::Rating, Some(4.0)),
        ];
        s.fold_in(UserId(5002), &theirs);
        let next = s.quiz_next(UserId(5002), &[], 0, unknown).expect("left");
        assert!((2..6).contains(&next.0), "{next:?}");
    }

    #[test]
    fn on_a_new_server_public_renown_decides_and_people_do_not_all_get_the_same_film() {
        let (movies, _) = world();
        let s = train(&movies, &[], &params()).expect("trains without events");
        // Films 20..26 are the best known; the rest are barely known.
        let renown = |m: MovieId| Some(if (20..26).contains(&m.0) { 0.99 } else { 0.1 });
        let firsts: HashSet<i64> = (0..40)
            .map(|salt| {
                s.quiz_next(UserId(5003), &[], salt, renown)
                    .expect("films")
                    .0
            })
            .collect();
        assert!(firsts.iter().all(|m| (20..26).contains(m)), "{firsts:?}");
        assert!(
            firsts.len() >= 2,
            "every newcomer gets the same film: {firsts:?}"
        );
    }
}
