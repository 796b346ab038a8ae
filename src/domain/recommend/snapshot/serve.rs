//! Serving a [`ModelSnapshot`]: the blended score, `recommend` (filters, bounded-heap top-N,
//! MMR and reasons), `enjoyment`, `similar` ("more like this") and the per-user fold-in.

use std::collections::{HashMap, HashSet};

use crate::domain::events::FeedbackEvent;
use crate::domain::ids::{MovieId, UserId};

use super::train::combine_all;
use super::{Entry, ModelSnapshot, RecRequest, genre_bit, zscore_in_place};
use crate::domain::recommend::als::{confidence_mass, scaled_reg};
use crate::domain::recommend::content::FeatureKind;
use crate::domain::recommend::linalg::cholesky_solve;
use crate::domain::recommend::{Pick, Reason, dot, finite_or, top_k};

/// Scratch and inputs of one scoring pass.
pub(super) struct Scored {
    pub(super) total: Vec<f32>,
    liked: Vec<(u32, f32)>,
    has_cf: bool,
    profile: Vec<(u32, f32)>,
}

impl ModelSnapshot {
    fn title(&self, i: u32) -> String {
        self.content
            .titles
            .get(i as usize)
            .cloned()
            .unwrap_or_else(|| format!("film {}", self.movies.id(i)))
    }

    pub(super) fn history(&self, user: UserId) -> &[Entry] {
        self.users
            .get(user)
            .map_or(&[], |u| self.histories[u as usize].as_slice())
    }

    /// True when film `i` passes the request's genre and year filters.
    fn passes(&self, i: usize, req: &RecRequest, genre_mask: u32) -> bool {
        if genre_mask != 0 && self.genres[i] & genre_mask == 0 {
            return false;
        }
        let y = self.years[i];
        if (req.min_year.is_some() || req.max_year.is_some()) && y == 0 {
            return false;
        }
        req.min_year.is_none_or(|m| y >= m) && req.max_year.is_none_or(|m| y <= m)
    }

    /// The implicit-ALS score of every film for user vector `xu`, z-scored.
    pub(super) fn cf_scores(&self, xu: &[f32]) -> Vec<f32> {
        let mut cf: Vec<f32> = self
            .item_factors
            .chunks_exact(self.k)
            .map(|y| dot(xu, y))
            .collect();
        zscore_in_place(&mut cf);
        cf
    }

    /// The blended score of every film for a history and an optional user vector.
    pub(super) fn score(&self, hist: &[Entry], xu: Option<&[f32]>) -> Scored {
        let n = self.movies.len();
        let liked: Vec<(u32, f32)> = hist
            .iter()
            .filter(|e| e.strength > 0.0)
            .map(|e| (e.item, e.strength))
            .collect();
        let nh = liked.len() as f32;
        let s = &self.serve;
        let w = nh / (nh + s.history_damping);
        let mut total: Vec<f32> = self.pop.iter().map(|p| (1.0 - w) * p).collect();
        let has_cf = !liked.is_empty() && xu.is_some_and(|x| x.iter().any(|v| *v != 0.0));
        if let (true, Some(xu)) = (has_cf, xu) {
            let cf = self.cf_scores(xu);
            let a = w * s.cf_share;
            for (t, c) in total.iter_mut().zip(&cf) {
                *t += a * c;
            }
        }
        let mut profile = Vec::new();
        if !liked.is_empty() {
            let a_ct = if has_cf { w * (1.0 - s.cf_share) } else { w } + s.content_floor;
            profile = self.profile(&liked);
            let mut content = vec![0f32; n];
            for &(f, pw) in &profile {
                let (films, vals) = self.postings.row(f as usize);
                for (&i, &v) in films.iter().zip(vals) {
                    content[i as usize] += pw * v;
                }
            }
            for (t, c) in total.iter_mut().zip(&content) {
                *t += 3.0 * a_ct * finite_or(*c, 0.0);
            }
        }
        Scored {
            total,
            liked,
            has_cf,
            profile,
        }
    }

    /// The normalised sparse content profile of liked films: (feature, weight).
    fn profile(&self, liked: &[(u32, f32)]) -> Vec<(u32, f32)> {
        let mut acc: HashMap<u32, f32> = HashMap::new();
        for &(i, w) in liked {
            let (fs, vs) = self.content.vectors.row(i as usize);
            for (&f, &v) in fs.iter().zip(vs) {
                *acc.entry(f).or_default() += w * v;
            }
        }
        let norm = acc.values().map(|v| v * v).sum::<f32>().sqrt();
        let mut out: Vec<(u32, f32)> = acc
            .into_iter()
            .map(|(f, v)| (f, if norm > 0.0 { v / norm } else { 0.0 }))
            .collect();
        out.sort_unstable_by_key(|e| e.0);
        out
    }

    /// Similarity of two films for diversity and explanations: ALS cosine when both have
    /// vectors, else content cosine.
    pub(super) fn similarity(&self, a: u32, b: u32) -> f32 {
        let (na, nb) = (self.item_norms[a as usize], self.item_norms[b as usize]);
        if na > 0.0 && nb > 0.0 {
            let k = self.k;
            let (a, b) = (a as usize, b as usize);
            let d = dot(
                &self.item_factors[a * k..(a + 1) * k],
                &self.item_factors[b * k..(b + 1) * k],
            );
            return finite_or(d / (na * nb), 0.0);
        }
        self.content.similarity(a, b)
    }

    /// The `req.count` best films for `user`, best first, each with a finite score and a reason.
    ///
    /// Never returns a film in the user's history (rated, seen, reacted to, not interested) or
    /// in `req.exclude`; honours the genre and year filters. A user with no history gets popular
    /// films. Fewer than `count` picks only when fewer films pass the filters. Cost: one dot
    /// product per film, a sparse content pass, a bounded-heap selection of `mmr_pool`
    /// candidates and MMR over those only.
    pub fn recommend(&self, user: UserId, req: &RecRequest) -> Vec<Pick> {
        if req.count == 0 || self.movies.is_empty() {
            return Vec::new();
        }
        let hist = self.history(user);
        let sc = self.score(hist, self.user_vector(user));
        let banned: HashSet<u32> = hist
            .iter()
            .map(|e| e.item)
            .chain(req.exclude.iter().filter_map(|m| self.movies.get(*m)))
            .collect();
        let genre_mask = req.genre.map_or(0, genre_bit);
        let pool = top_k(
            &sc.total,
            self.serve.mmr_pool.max(req.count),
            |i| self.movies.id(i).0,
            |i| banned.contains(&i) || !self.passes(i as usize, req, genre_mask),
        );
        let lambda = if req.diversity_lambda.is_finite() {
            req.diversity_lambda.clamp(0.0, 1.0)
        } else {
            1.0
        };
        self.mmr(&pool, req.count, lambda)
            .into_iter()
            .map(|(i, s)| Pick {
                movie: self.movies.id(i),
                score: finite_or(s, 0.0),
                reason: self.reason(i, &sc),
            })
            .collect()
    }

    /// The model's own non-personal ranking (popularity and the content prior) with the
    /// filters and exclusions of `req`, each pick with [`Reason::Baseline`]. What people
    /// without likes are shown is [`crate::domain::recommend::cold`]'s, not this.
    pub fn popular(&self, req: &RecRequest) -> Vec<Pick> {
        // No user has this id, so it has no history and no vector.
        self.recommend(UserId(i64::MIN), req)
    }

    /// Whether `user` likes anything the model knows of (a rating or reaction of at least the
    /// like threshold, or a film seen): without, their picks are the cold start.
    pub fn has_likes(&self, user: UserId) -> bool {
        self.history(user).iter().any(|e| e.strength > 0.0)
    }

    /// How many of the people in the model (trained on or folded in) like `movie` (0 for a
    /// film it does not know).
    pub fn liked_by(&self, movie: MovieId) -> u32 {
        self.movies
            .get(movie)
            .and_then(|i| self.liked_by.get(i as usize))
            .copied()
            .unwrap_or(0)
    }

    /// Each film's predicted enjoyment for `user` in [0, 1]: the percentile of the film's blended
    /// score among the user's scores for all catalog films (1 = their top film, 0 = their
    /// bottom film; tied scores share the middle of their ranks). Comparable across users, which
    /// is what group picks need. A user with no history still gets values (the popularity and
    /// content cold start). Films not in the model get 0.5, and so does every film of a
    /// one-film catalog. Always finite. Films in the user's own history are scored too (the
    /// caller filters). Cost: one scoring pass and one sort of the catalog, then a binary
    /// search per requested film, so ask for all the films you need in one call.
    pub fn enjoyment(&self, user: UserId, movies: &[MovieId]) -> Vec<f64> {
        let n = self.movies.len();
        if n < 2 {
            return vec![0.5; movies.len()];
        }
        let total: Vec<f32> = self
            .score(self.history(user), self.user_vector(user))
            .total
            .into_iter()
            .map(|t| finite_or(t, 0.0))
            .collect();
        let mut sorted = total.clone();
        sorted.sort_unstable_by(f32::total_cmp);
        let span = (n - 1) as f64;
        movies
            .iter()
            .map(|m| {
                self.movies.get(*m).map_or(0.5, |i| {
                    let s = total[i as usize];
                    let below = sorted.partition_point(|&x| x < s);
                    let ties = sorted.partition_point(|&x| x <= s) - below;
                    ((below as f64 + (ties.max(1) - 1) as f64 / 2.0) / span).clamp(0.0, 1.0)
                })
            })
            .collect()
    }

    /// Greedy MMR over `pool` (relevance rescaled to [0, 1]) with a running max-similarity per
    /// candidate: O(pool × count) similarities.
    fn mmr(&self, pool: &[(u32, f32)], count: usize, lambda: f32) -> Vec<(u32, f32)> {
        if lambda >= 1.0 {
            return pool.iter().take(count).copied().collect();
        }
        let (lo, hi) = pool
            .iter()
            .fold((f32::MAX, f32::MIN), |(a, b), p| (a.min(p.1), b.max(p.1)));
        let span = if hi > lo { hi - lo } else { 1.0 };
        let mut left: Vec<(u32, f32, f32)> = pool.iter().map(|&(i, s)| (i, s, 0.0)).collect();
        let mut out = Vec::with_capacity(count.min(pool.len()));
        while out.len() < count && !left.is_empty() {
            let mut best = (f32::MIN, 0usize);
            for (n, &(_, s, red)) in left.iter().enumerate() {
                let v = lambda * (s - lo) / span - (1.0 - lambda) * red;
                if v > best.0 {
                    best = (v, n);
                }
            }
            let (pi, ps, _) = left.remove(best.1);
            out.push((pi, ps));
            for c in &mut left {
                c.2 = c.2.max(self.similarity(c.0, pi));
            }
        }
        out
    }

    fn reason(&self, i: u32, sc: &Scored) -> Reason {
        if sc.has_cf {
            let mut best: Vec<(f32, u32)> = sc
                .liked
                .iter()
                .map(|&(j, _)| (self.similarity(i, j), j))
                .filter(|p| p.0 > 0.2)
                .collect();
            best.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            if !best.is_empty() {
                return Reason::BecauseYouLiked(
                    best.iter().take(2).map(|p| self.title(p.1)).collect(),
                );
            }
        }
        let (fs, vs) = self.content.vectors.row(i as usize);
        let mut shared: Vec<(f32, u32)> = fs
            .iter()
            .zip(vs)
            .filter_map(|(&f, &v)| {
                sc.profile
                    .binary_search_by_key(&f, |e| e.0)
                    .ok()
                    .map(|p| (sc.profile[p].1 * v, f))
            })
            .filter(|p| p.0 > 0.0)
            .collect();
        shared.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        if shared.is_empty() {
            Reason::Baseline
        } else {
            Reason::Matches(
                shared
                    .iter()
                    .take(2)
                    .map(|p| self.content.features[p.1 as usize].clone())
                    .collect(),
            )
        }
    }

    /// The `count` films most like `movie` ("more like this"): `0.6·ALS cosine + 0.4·content
    /// cosine` when the film has a vector, content alone otherwise, plus a small popularity
    /// tie-break. Each pick says why: "same director: …", "also liked by fans of …" or
    /// "shares: …". Unknown film: empty.
    pub fn similar(&self, movie: MovieId, count: usize) -> Vec<Pick> {
        let Some(m) = self.movies.get(movie) else {
            return Vec::new();
        };
        let n = self.movies.len();
        let mi = m as usize;
        let mut content = vec![0f32; n];
        let (fs, vs) = self.content.vectors.row(mi);
        for (&f, &v) in fs.iter().zip(vs) {
            let (films, vals) = self.postings.row(f as usize);
            for (&i, &w) in films.iter().zip(vals) {
                content[i as usize] += v * w;
            }
        }
        let k = self.k;
        let ym = &self.item_factors[mi * k..(mi + 1) * k];
        let nm = self.item_norms[mi];
        let mut cf = vec![0f32; n];
        if nm > 0.0 {
            for ((c, y), &ny) in cf
                .iter_mut()
                .zip(self.item_factors.chunks_exact(k))
                .zip(&self.item_norms)
            {
                if ny > 0.0 {
                    *c = finite_or(dot(ym, y) / (nm * ny), 0.0);
                }
            }
        }
        let total: Vec<f32> = (0..n)
            .map(|i| {
                let base = if nm > 0.0 {
                    0.6 * cf[i] + 0.4 * content[i]
                } else {
                    content[i]
                };
                finite_or(base + 0.02 * self.pop[i], 0.0)
            })
            .collect();
        top_k(&total, count, |i| self.movies.id(i).0, |i| i == m)
            .into_iter()
            .map(|(i, s)| Pick {
                movie: self.movies.id(i),
                score: s,
                reason: self.similar_reason(m, i, cf[i as usize], content[i as usize]),
            })
            .collect()
    }

    fn similar_reason(&self, m: u32, i: u32, cf: f32, content: f32) -> Reason {
        let (fm, _) = self.content.vectors.row(m as usize);
        let (fi, vi) = self.content.vectors.row(i as usize);
        let mut shared: Vec<(f32, u32)> = fi
            .iter()
            .zip(vi)
            .filter(|(f, _)| fm.binary_search(f).is_ok())
            .map(|(&f, &v)| (v, f))
            .collect();
        shared.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        if let Some(&(_, f)) = shared
            .iter()
            .find(|p| self.content.kinds[p.1 as usize] == FeatureKind::Director)
        {
            return Reason::SameDirector(self.content.features[f as usize].clone());
        }
        if cf > 0.0 && 0.6 * cf >= 0.4 * content || shared.is_empty() {
            return Reason::AlsoLikedByFansOf(self.title(m));
        }
        Reason::Shares(
            shared
                .iter()
                .take(3)
                .map(|p| self.content.features[p.1 as usize].clone())
                .collect(),
        )
    }

    /// Updates one user from their events: for every catalog film that appears in `events`, that
    /// film's state is recomputed by [`combine`](crate::domain::feedback::combine) from the
    /// given events (so pass all of the user's events about those films — the user's whole log
    /// is simplest); other films keep their state. Then the user's vector is re-solved against the fixed film factors (one
    /// k×k Cholesky, well under a millisecond). Events of other users are ignored.
    pub fn fold_in(&mut self, user: UserId, events: &[FeedbackEvent]) {
        let mine: Vec<FeedbackEvent> = events
            .iter()
            .filter(|e| e.event.user == user)
            .cloned()
            .collect();
        self.events_seen += mine.len() as u64;
        self.last_event = self.last_event.max(mine.iter().map(|e| e.id).max());
        let fresh = combine_all(&mine, &self.movies, &self.serve);
        let mut touched: HashSet<u32> = mine
            .iter()
            .filter_map(|e| self.movies.get(e.event.movie))
            .collect();
        let u = if let Some(u) = self.users.get(user) {
            u as usize
        } else {
            self.users.insert(user);
            self.histories.push(Vec::new());
            self.user_factors.extend(std::iter::repeat_n(0.0, self.k));
            self.users.len() - 1
        };
        let hist = &mut self.histories[u];
        for e in hist.iter() {
            if e.strength > 0.0
                && let Some(n) = self.liked_by.get_mut(e.item as usize)
            {
                *n = n.saturating_sub(1);
            }
            if let Some(n) = self.seen_by.get_mut(e.item as usize) {
                *n = n.saturating_sub(1);
            }
        }
        hist.retain(|e| !touched.contains(&e.item));
        for e in fresh.get(&user).into_iter().flatten() {
            touched.remove(&e.item);
            hist.push(*e);
        }
        hist.sort_unstable_by_key(|e| e.item);
        for e in hist.iter() {
            if e.strength > 0.0
                && let Some(n) = self.liked_by.get_mut(e.item as usize)
            {
                *n += 1;
            }
            if let Some(n) = self.seen_by.get_mut(e.item as usize) {
                *n += 1;
            }
        }
        let liked: Vec<(u32, f32)> = hist
            .iter()
            .filter(|e| e.strength > 0.0)
            .map(|e| (e.item, e.strength))
            .collect();
        let x = self.solve_user(&liked);
        self.user_factors[u * self.k..(u + 1) * self.k].copy_from_slice(&x);
    }

    /// The implicit-ALS user vector for liked films with the film factors fixed.
    #[allow(clippy::many_single_char_names, reason = "normal-equation notation")]
    fn solve_user(&self, liked: &[(u32, f32)]) -> Vec<f32> {
        let k = self.k;
        let mut a = self.gram.clone();
        let mut b = vec![0f64; k];
        let mut any = false;
        let mut strength = 0f64;
        for &(i, s) in liked {
            let y = &self.item_factors[i as usize * k..(i as usize + 1) * k];
            if self.item_norms[i as usize] == 0.0 {
                continue;
            }
            any = true;
            strength += f64::from(s);
            let c = 1.0 + f64::from(self.serve.alpha) * f64::from(s);
            for r in 0..k {
                let yr = f64::from(y[r]);
                b[r] += c * yr;
                let row = &mut a[r * k..(r + 1) * k];
                for (ars, &ys) in row.iter_mut().zip(y) {
                    *ars += (c - 1.0) * yr * f64::from(ys);
                }
            }
        }
        if !any {
            return vec![0.0; k];
        }
        let sv = &self.serve;
        let reg = scaled_reg(
            sv.reg,
            sv.reg_exponent,
            confidence_mass(f64::from(sv.mass_items), sv.alpha, strength),
            sv.mass_mean,
        );
        for d in 0..k {
            a[d * k + d] += reg;
        }
        if cholesky_solve(&mut a, &mut b, k) {
            b.iter().map(|&v| finite_or(v as f32, 0.0)).collect()
        } else {
            vec![0.0; k]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::Genre;
    use crate::domain::events::FeedbackKind;
    use crate::domain::ids::EventId;
    use crate::domain::recommend::snapshot::tests::{ev, ids, params, world};
    use crate::domain::recommend::snapshot::{TrainParams, train};

    #[test]
    fn a_fan_of_three_space_films_gets_a_fourth_in_their_top_5() {
        let (movies, events) = world();
        let s = train(&movies, &events, &params()).expect("trains");
        let picks = s.recommend(
            UserId(900),
            &RecRequest {
                count: 5,
                ..RecRequest::default()
            },
        );
        assert!(ids(&picks).iter().any(|m| (3..6).contains(m)), "{picks:?}");
        assert!(ids(&picks).iter().all(|m| !(0..3).contains(m)));
        assert!(picks.iter().all(|p| p.score.is_finite()));
        assert!(
            matches!(picks[0].reason, Reason::BecauseYouLiked(_)),
            "{:?}",
            picks[0]
        );
    }

    #[test]
    fn enjoyment_is_a_percentile_that_agrees_with_the_ranking() {
        let (movies, events) = world();
        let s = train(&movies, &events, &params()).expect("trains");
        let all: Vec<MovieId> = movies.iter().map(|m| m.id).collect();
        let first = RecRequest {
            count: 1,
            diversity_lambda: 1.0,
            ..RecRequest::default()
        };
        for u in [900, 12_345] {
            let e = s.enjoyment(UserId(u), &all);
            assert_eq!(e.len(), all.len());
            assert!(e.iter().all(|x| x.is_finite() && (0.0..=1.0).contains(x)));
            // Over the whole catalog the percentiles average one half.
            let mean = e.iter().sum::<f64>() / e.len() as f64;
            assert!((mean - 0.5).abs() < 1e-9, "{mean}");
            // The top pick is the best-enjoyed film outside the history.
            let top = s.recommend(UserId(u), &first)[0].movie;
            let at = |m: MovieId| e[all.iter().position(|x| *x == m).expect("in catalog")];
            let best_unseen = all
                .iter()
                .filter(|m| {
                    s.history(UserId(u))
                        .iter()
                        .all(|h| s.movies.id(h.item) != **m)
                })
                .map(|m| at(*m))
                .fold(0.0, f64::max);
            assert!((at(top) - best_unseen).abs() < 1e-12, "{u}: {e:?}");
        }
        // The space fan enjoys the other space films more than the westerns.
        let e = s.enjoyment(UserId(900), &all);
        let mean_of = |ids: std::ops::Range<i64>| {
            let v: Vec<f64> = ids
                .map(|m| e[all.iter().position(|x| x.0 == m).expect("in catalog")])
                .collect();
            v.iter().sum::<f64>() / v.len() as f64
        };
        assert!(mean_of(3..6) > mean_of(10..16) + 0.2, "{e:?}");
        assert!(e.iter().any(|x| (*x - 1.0).abs() < 1e-12));
        // Unknown films, empty requests and tiny catalogs.
        let unknown = s.enjoyment(UserId(900), &[MovieId(9_999), MovieId(0)]);
        assert!(
            (unknown[0] - 0.5).abs() < 1e-12 && unknown[1] > 0.5,
            "{unknown:?}"
        );
        assert!(s.enjoyment(UserId(900), &[]).is_empty());
        let one = train(&movies[..1], &[], &TrainParams::default()).expect("trains");
        assert_eq!(one.enjoyment(UserId(1), &[movies[0].id]), vec![0.5]);
        let empty = train(&[], &[], &TrainParams::default()).expect("trains");
        assert_eq!(empty.enjoyment(UserId(1), &[MovieId(1)]), vec![0.5]);
    }

    #[test]
    fn a_not_interested_film_never_comes_back() {
        let (movies, mut events) = world();
        events.push(ev(10_000, 900, 3, FeedbackKind::NotInterested, None));
        let mut s = train(&movies, &events, &params()).expect("trains");
        let all = RecRequest {
            count: 100,
            ..RecRequest::default()
        };
        assert!(!ids(&s.recommend(UserId(900), &all)).contains(&3));
        // Also when it arrives by fold-in, and after a round trip.
        s.fold_in(
            UserId(900),
            &[ev(10_001, 900, 4, FeedbackKind::NotInterested, None)],
        );
        let s = ModelSnapshot::from_bytes(&s.to_bytes()).expect("reads back");
        let got = ids(&s.recommend(UserId(900), &all));
        assert!(!got.contains(&3) && !got.contains(&4), "{got:?}");
        assert_eq!(got.len(), movies.len() - 5);
    }

    #[test]
    fn a_forgotten_user_leaves_no_vector_and_the_others_keep_theirs() {
        let (movies, events) = world();
        let mut s = train(&movies, &events, &params()).expect("trains");
        let req = RecRequest {
            count: 5,
            ..RecRequest::default()
        };
        let kept: Vec<f32> = s.user_vector(UserId(35)).expect("user 35").to_vec();
        let picks_of_35 = ids(&s.recommend(UserId(35), &req));
        assert!(s.user_vector(UserId(3)).is_some());
        // Users 0, 3, 6, … like the space films (user 3 all but film 4).
        let fans = s.liked_by(MovieId(0));
        assert!(fans >= 10, "{fans}");
        assert!(s.forget_user(UserId(3)));
        assert_eq!(s.liked_by(MovieId(0)), fans - 1);
        assert!(!s.forget_user(UserId(3)), "once");
        assert!(s.user_vector(UserId(3)).is_none());
        assert_eq!(
            s.user_vector(UserId(35)),
            Some(kept.as_slice()),
            "the last user moved intact"
        );
        assert_eq!(ids(&s.recommend(UserId(35), &req)), picks_of_35);
        let s = ModelSnapshot::from_bytes(&s.to_bytes()).expect("reads back");
        assert!(
            s.user_vector(UserId(3)).is_none(),
            "gone from the stored bytes too"
        );
        assert!(
            s.recommend(UserId(3), &req)
                .iter()
                .all(|p| p.reason == Reason::Baseline),
            "a forgotten user is a stranger"
        );
    }

    #[test]
    fn fold_in_changes_the_next_recommendation() {
        let (movies, events) = world();
        let mut s = train(&movies, &events, &params()).expect("trains");
        let req = RecRequest {
            count: 5,
            ..RecRequest::default()
        };
        let before = s.recommend(UserId(777), &req);
        let fans = s.liked_by(MovieId(10));
        assert!(before.iter().all(|p| p.reason == Reason::Baseline));
        assert!(!s.has_likes(UserId(777)));
        let likes: Vec<FeedbackEvent> = (10..13)
            .map(|m| ev(20_000 + m, 777, m, FeedbackKind::Reaction, Some(5.0)))
            .collect();
        s.fold_in(UserId(777), &likes);
        let after = s.recommend(UserId(777), &req);
        assert_ne!(ids(&before), ids(&after));
        assert!(
            ids(&after).iter().any(|m| (13..16).contains(m)),
            "{after:?}"
        );
        assert!(
            s.user_vector(UserId(777))
                .is_some_and(|v| v.iter().any(|x| *x != 0.0))
        );
        assert_eq!(s.last_event_id(), Some(EventId(20_012)));
        assert!(s.has_likes(UserId(777)));
        assert_eq!(s.liked_by(MovieId(10)), fans + 1);
        // Folding the same events in again counts them once.
        s.fold_in(UserId(777), &likes);
        assert_eq!(s.liked_by(MovieId(10)), fans + 1);
    }

    #[test]
    fn genre_and_year_filters_hold() {
        let (movies, events) = world();
        let s = train(&movies, &events, &params()).expect("trains");
        let req = RecRequest {
            count: 50,
            genre: Some(Genre::SciFi),
            min_year: Some(1990),
            max_year: Some(2010),
            ..RecRequest::default()
        };
        for u in [1, 900, 4242] {
            let picks = s.recommend(UserId(u), &req);
            assert!(!picks.is_empty());
            for p in &picks {
                let m = movies.iter().find(|m| m.id == p.movie).expect("in catalog");
                assert!(m.info.genres.contains(&Genre::SciFi));
                assert!((1990..=2010).contains(&m.info.year.unwrap_or(0)), "{m:?}");
            }
        }
        let excl = RecRequest {
            count: 100,
            exclude: vec![MovieId(26), MovieId(27)],
            ..RecRequest::default()
        };
        assert!(
            s.recommend(UserId(4242), &excl)
                .iter()
                .all(|p| p.movie.0 != 26 && p.movie.0 != 27)
        );
    }

    #[test]
    fn similar_films_explain_themselves() {
        let (movies, events) = world();
        let s = train(&movies, &events, &params()).expect("trains");
        let sim = s.similar(MovieId(0), 4);
        assert_eq!(sim.len(), 4);
        assert!(ids(&sim).iter().all(|m| (1..6).contains(m)), "{sim:?}");
        assert!(
            sim.iter()
                .all(|p| p.score.is_finite() && p.movie != MovieId(0))
        );
        // Films 0, 2, 4 share "Dir S0".
        let same = sim
            .iter()
            .find(|p| p.movie == MovieId(2))
            .expect("film 2 is similar");
        assert_eq!(same.reason.to_string(), "same director: Dir S0");
        assert!(s.similar(MovieId(999), 3).is_empty());
    }
}
