//! The serving recommender: blends implicit ALS (collaborative), content TF-IDF and popularity
//! per user — the collaborative weight grows with the user's history, `n / (n + history_damping)`
//! — removes what the user rated, saw or marked not interested, re-ranks the head for
//! diversity with maximal marginal relevance (Carbonell & Goldstein 1998,
//! `λ·rel − (1 − λ)·max sim to picked`) and explains every pick.

use std::collections::{HashMap, HashSet};

use crate::domain::ids::{MovieId, UserId};

use super::als::ImplicitAls;
use super::baseline::Popularity;
use super::content::ContentIndex;
use super::data::{IdMap, Signals};
use super::{Checked, ParamError, Params, dot, ensure, finite_or, top_k};

/// Hyper-parameters of [`Hybrid`].
#[derive(Debug, Clone)]
pub struct HybridParams {
    /// History size at which collaborative and other signals weigh the same.
    pub history_damping: f32,
    /// MMR λ: 1 = pure relevance, 0 = pure diversity.
    pub mmr_lambda: f32,
    /// How many of the best candidates MMR re-ranks (at least k).
    pub mmr_pool: usize,
}

impl Default for HybridParams {
    fn default() -> Self {
        Self {
            history_damping: 5.0,
            mmr_lambda: 0.8,
            mmr_pool: 50,
        }
    }
}

impl Params for HybridParams {
    fn check(self) -> Result<Checked<Self>, ParamError> {
        ensure(
            self.history_damping > 0.0 && self.history_damping.is_finite(),
            "hybrid",
            "history_damping",
            "> 0",
            self.history_damping,
        )?;
        ensure(
            (0.0..=1.0).contains(&self.mmr_lambda),
            "hybrid",
            "mmr_lambda",
            "in [0, 1]",
            self.mmr_lambda,
        )?;
        Ok(Checked(self))
    }
}

/// Why a film was picked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// Similar (by learned taste) to these films the user liked.
    BecauseYouLiked(Vec<String>),
    /// Shares these features with the user's liked films.
    Matches(Vec<String>),
    /// Popular with everyone (cold start).
    Popular,
    /// A similar film by the same director (for "more like this").
    SameDirector(String),
    /// Collaborative similarity: people who liked this film also liked the pick.
    AlsoLikedByFansOf(String),
    /// Content features the pick shares with the film asked about.
    Shares(Vec<String>),
    /// Liked by many in the user's taste group (named).
    PopularInYourGroup(String),
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::BecauseYouLiked(t) => write!(f, "because you liked {}", t.join(" and ")),
            Reason::Matches(t) => write!(f, "matches: {}", t.join(", ")),
            Reason::Popular => f.write_str("popular right now"),
            Reason::SameDirector(d) => write!(f, "same director: {d}"),
            Reason::AlsoLikedByFansOf(t) => write!(f, "also liked by fans of {t}"),
            Reason::Shares(t) => write!(f, "shares: {}", t.join(", ")),
            Reason::PopularInYourGroup(g) => {
                write!(f, "popular with your taste group \u{201c}{g}\u{201d}")
            }
        }
    }
}

/// One recommendation.
#[derive(Debug, Clone, PartialEq)]
pub struct Pick {
    pub movie: MovieId,
    /// Blended relevance, finite.
    pub score: f32,
    pub reason: Reason,
}

/// The hybrid model over a catalog.
#[derive(Debug, Clone)]
pub struct Hybrid {
    params: HybridParams,
    /// The catalog: every film that can be recommended.
    pub items: IdMap<MovieId>,
    titles: Vec<String>,
    /// Standardised popularity per catalog film.
    pop: Vec<f32>,
    als: Option<(ImplicitAls, Vec<Option<u32>>)>,
    content: Option<(ContentIndex, Vec<Option<u32>>)>,
    likes: HashMap<UserId, Vec<(MovieId, f32)>>,
    excluded: HashMap<UserId, HashSet<MovieId>>,
}

fn zscore(v: &mut [f32]) {
    let n = v.len().max(1) as f32;
    let mean = v.iter().sum::<f32>() / n;
    let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f32>() / n;
    let inv = if var > 1e-12 { 1.0 / var.sqrt() } else { 0.0 };
    for x in v.iter_mut() {
        *x = finite_or((*x - mean) * inv, 0.0);
    }
}

impl Checked<HybridParams> {
    /// Assembles the hybrid. The catalog is `catalog` (in order), plus any film the
    /// components know; `signals` gives likes and exclusions. Titles come from `content`.
    pub fn build(
        &self,
        catalog: &[MovieId],
        pop: &Popularity,
        als: Option<ImplicitAls>,
        content: Option<ContentIndex>,
        signals: &Signals,
    ) -> Hybrid {
        let mut items = IdMap::default();
        for &m in catalog {
            items.insert(m);
        }
        for &m in pop.items.ids() {
            items.insert(m);
        }
        if let Some(a) = &als {
            a.items.ids().iter().for_each(|&m| {
                items.insert(m);
            });
        }
        if let Some(c) = &content {
            c.items.ids().iter().for_each(|&m| {
                items.insert(m);
            });
        }
        let map = |other: &IdMap<MovieId>| {
            items
                .ids()
                .iter()
                .map(|&m| other.get(m))
                .collect::<Vec<_>>()
        };
        let pop_map = map(&pop.items);
        let popv: Vec<f32> = pop_map
            .iter()
            .map(|s| s.map_or(0.0, |i| pop.score[i as usize]))
            .collect();
        let titles = items
            .ids()
            .iter()
            .map(|&m| {
                content
                    .as_ref()
                    .and_then(|c| c.items.get(m).map(|i| c.titles[i as usize].clone()))
                    .unwrap_or_else(|| format!("film {m}"))
            })
            .collect();
        let als = als.map(|a| {
            let m = map(&a.items);
            (a, m)
        });
        let content = content.map(|c| {
            let m = map(&c.items);
            (c, m)
        });
        let mut likes: HashMap<UserId, Vec<(MovieId, f32)>> = HashMap::new();
        for &(u, m, w) in &signals.implicit {
            likes.entry(u).or_default().push((m, w));
        }
        let excluded = signals
            .excluded
            .iter()
            .map(|(u, v)| (*u, v.iter().copied().collect()))
            .collect();
        let mut pop = popv;
        zscore(&mut pop);
        Hybrid {
            params: self.0.clone(),
            items,
            titles,
            pop,
            als,
            content,
            likes,
            excluded,
        }
    }
}

impl Hybrid {
    /// The `k` picks for `user` (fewer only when the catalog minus exclusions is smaller),
    /// best first, each with a reason. Never includes a film the user rated, saw, liked or
    /// marked not interested. Unknown users get popular films; every score is finite.
    pub fn recommend(&self, user: UserId, k: usize) -> Vec<Pick> {
        let n = self.items.len();
        let empty = Vec::new();
        let likes = self.likes.get(&user).unwrap_or(&empty);
        let nh = likes.len() as f32;
        let mut total = self.pop.clone();
        let w_cf = nh / (nh + self.params.history_damping);
        let mut w_pop = 1.0 - w_cf;
        let mut buf = vec![0f32; n];
        let mut user_vec: Option<Vec<f32>> = None;
        if let Some((als, map)) = &self.als
            && !likes.is_empty()
        {
            let xu = match als.users.get(user) {
                Some(u) => als.x[u as usize * als.k..(u as usize + 1) * als.k].to_vec(),
                None => als.fold_in(likes),
            };
            for (b, s) in buf.iter_mut().zip(map) {
                *b = s.map_or(0.0, |i| {
                    dot(&xu, &als.y[i as usize * als.k..(i as usize + 1) * als.k])
                });
            }
            zscore(&mut buf);
            let w = if self.content.is_some() {
                0.8 * w_cf
            } else {
                w_cf
            };
            total
                .iter_mut()
                .zip(&buf)
                .for_each(|(t, b)| *t = (1.0 - w_cf) * *t + w * b);
            w_pop = 1.0 - w_cf;
            user_vec = Some(xu);
        }
        let mut profile: Option<Vec<f32>> = None;
        if let Some((c, map)) = &self.content
            && !likes.is_empty()
        {
            let prof = c.profile(likes);
            let mut cs = vec![0f32; c.items.len()];
            c.score_profile(&prof, &mut cs);
            for (b, s) in buf.iter_mut().zip(map) {
                *b = s.map_or(0.0, |i| cs[i as usize]);
            }
            zscore(&mut buf);
            let w = if self.als.is_some() {
                0.2 * w_cf + 0.5 * w_pop
            } else {
                w_cf
            };
            total.iter_mut().zip(&buf).for_each(|(t, b)| *t += w * b);
            profile = Some(prof);
        }
        let excluded = self.excluded.get(&user);
        let liked: HashSet<MovieId> = likes.iter().map(|l| l.0).collect();
        let skip = |i: u32| {
            let m = self.items.id(i);
            liked.contains(&m) || excluded.is_some_and(|e| e.contains(&m))
        };
        let pool = top_k(
            &total,
            self.params.mmr_pool.max(k),
            |i| self.items.id(i).0,
            skip,
        );
        let picked = self.mmr(&pool, k);
        picked
            .into_iter()
            .map(|(i, s)| Pick {
                movie: self.items.id(i),
                score: finite_or(s, 0.0),
                reason: self.reason(i, likes, user_vec.as_deref(), profile.as_deref()),
            })
            .collect()
    }

    /// Similarity of two catalog films: cosine of ALS factors, else content cosine, else 0.
    fn similarity(&self, a: u32, b: u32) -> f32 {
        if let Some((als, map)) = &self.als
            && let (Some(x), Some(y)) = (map[a as usize], map[b as usize])
        {
            let k = als.k;
            let (va, vb) = (
                &als.y[x as usize * k..(x as usize + 1) * k],
                &als.y[y as usize * k..(y as usize + 1) * k],
            );
            let d = (dot(va, va) * dot(vb, vb)).sqrt();
            return if d > 0.0 {
                finite_or(dot(va, vb) / d, 0.0)
            } else {
                0.0
            };
        }
        if let Some((c, map)) = &self.content
            && let (Some(x), Some(y)) = (map[a as usize], map[b as usize])
        {
            return c.similarity(x, y);
        }
        0.0
    }

    /// Greedy MMR over the pool (relevance rescaled to [0, 1]).
    fn mmr(&self, pool: &[(u32, f32)], k: usize) -> Vec<(u32, f32)> {
        let lambda = self.params.mmr_lambda;
        let (lo, hi) = pool
            .iter()
            .fold((f32::MAX, f32::MIN), |(a, b), p| (a.min(p.1), b.max(p.1)));
        let span = if hi > lo { hi - lo } else { 1.0 };
        let mut left: Vec<(u32, f32)> = pool.to_vec();
        let mut out: Vec<(u32, f32)> = Vec::with_capacity(k.min(pool.len()));
        while out.len() < k && !left.is_empty() {
            let mut best = (f32::MIN, 0usize);
            for (n, &(i, s)) in left.iter().enumerate() {
                let rel = (s - lo) / span;
                let red = out
                    .iter()
                    .map(|&(j, _)| self.similarity(i, j))
                    .fold(0f32, f32::max);
                let v = lambda * rel - (1.0 - lambda) * red;
                if v > best.0 {
                    best = (v, n);
                }
            }
            out.push(left.remove(best.1));
        }
        out
    }

    fn reason(
        &self,
        i: u32,
        likes: &[(MovieId, f32)],
        user_vec: Option<&[f32]>,
        profile: Option<&[f32]>,
    ) -> Reason {
        if user_vec.is_some() {
            let mut sims: Vec<(f32, u32)> = likes
                .iter()
                .filter_map(|l| self.items.get(l.0))
                .map(|j| (self.similarity(i, j), j))
                .filter(|p| p.0 > 0.1)
                .collect();
            sims.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            if !sims.is_empty() {
                return Reason::BecauseYouLiked(
                    sims.iter()
                        .take(2)
                        .map(|p| self.titles[p.1 as usize].clone())
                        .collect(),
                );
            }
        }
        if let (Some(prof), Some((c, map))) = (profile, &self.content)
            && let Some(ci) = map[i as usize]
        {
            let m = c.top_matches(prof, ci, 2);
            if !m.is_empty() {
                return Reason::Matches(m.into_iter().map(str::to_owned).collect());
            }
        }
        Reason::Popular
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::Genre;
    use crate::domain::events::{FeedbackEvent, FeedbackKind, NewFeedbackEvent};
    use crate::domain::ids::EventId;
    use crate::domain::recommend::Ratings;
    use crate::domain::recommend::als::AlsParams;
    use crate::domain::recommend::baseline::PopularityParams;
    use crate::domain::recommend::content::ContentParams;
    use crate::domain::recommend::content::tests::film;

    fn event(user: i64, movie: i64, kind: FeedbackKind, value: Option<f64>) -> FeedbackEvent {
        FeedbackEvent {
            id: EventId(0),
            event: NewFeedbackEvent {
                user: UserId(user),
                movie: MovieId(movie),
                kind,
                value,
                weight: 1.0,
                raw: None,
                source: "test".into(),
                guild: None,
                message_id: None,
                created_at_ms: 0,
                idempotency_key: None,
            },
        }
    }

    /// 20 films: 0..5 space sci-fi, 5..10 westerns, 10..20 dramas; 30 users who each like one
    /// group; user 900 liked three space films and marked film 8 not interested.
    fn world() -> (Hybrid, Vec<MovieId>) {
        let mut movies = Vec::new();
        for i in 0..20 {
            let (g, kw) = if i < 5 {
                (Genre::SciFi, "space")
            } else if i < 10 {
                (Genre::Western, "cowboy")
            } else {
                (Genre::Drama, "family")
            };
            movies.push(film(i, &format!("Film {i}"), &[g], &[kw]));
        }
        let mut events = Vec::new();
        for u in 0..30 {
            let group = u % 3;
            for m in group * 5..group * 5 + 5 {
                events.push(event(u, m, FeedbackKind::Reaction, None));
            }
        }
        for m in 0..3 {
            events.push(event(900, m, FeedbackKind::Rating, Some(5.0)));
        }
        events.push(event(900, 8, FeedbackKind::NotInterested, None));
        let signals = Signals::from_events(&events);
        let data = Ratings::from_triples(&signals.implicit).expect("finite");
        let pop = PopularityParams::default()
            .check()
            .expect("valid")
            .fit(&data)
            .expect("fits");
        let als = AlsParams {
            factors: 4,
            reg: 0.1,
            iterations: 15,
            ..AlsParams::default()
        }
        .check()
        .expect("valid")
        .fit(&data)
        .expect("fits");
        let content = ContentParams::default()
            .check()
            .expect("valid")
            .fit(&movies);
        let catalog: Vec<MovieId> = movies.iter().map(|m| m.id).collect();
        let h = HybridParams::default().check().expect("valid").build(
            &catalog,
            &pop,
            Some(als),
            Some(content),
            &signals,
        );
        (h, catalog)
    }

    #[test]
    fn a_fan_of_three_space_films_gets_the_fourth_in_their_top_5() {
        let (h, _) = world();
        let picks = h.recommend(UserId(900), 5);
        assert!(
            picks
                .iter()
                .any(|p| p.movie == MovieId(3) || p.movie == MovieId(4)),
            "{picks:?}"
        );
        assert!(picks.iter().all(|p| !p.reason.to_string().is_empty()));
    }

    #[test]
    fn rated_and_not_interested_films_are_never_recommended() {
        let (h, _) = world();
        let picks = h.recommend(UserId(900), 100);
        for banned in [0, 1, 2, 8] {
            assert!(
                picks.iter().all(|p| p.movie != MovieId(banned)),
                "{banned} in {picks:?}"
            );
        }
        assert_eq!(picks.len(), 16);
    }

    #[test]
    fn a_cold_start_user_still_gets_n_results() {
        let (h, _) = world();
        let picks = h.recommend(UserId(12345), 7);
        assert_eq!(picks.len(), 7);
        assert!(picks.iter().all(|p| p.reason == Reason::Popular));
    }

    #[test]
    fn scores_are_always_finite() {
        let (h, catalog) = world();
        for u in [0, 5, 900, 12345] {
            assert!(
                h.recommend(UserId(u), catalog.len())
                    .iter()
                    .all(|p| p.score.is_finite())
            );
        }
        // A catalog of one film with no signals at all.
        let data = Ratings::from_triples(&[]).expect("empty");
        let pop = PopularityParams::default()
            .check()
            .expect("valid")
            .fit(&data)
            .expect("fits");
        let one = HybridParams::default().check().expect("valid").build(
            &[MovieId(1)],
            &pop,
            None,
            None,
            &Signals::default(),
        );
        let picks = one.recommend(UserId(1), 10);
        assert_eq!(picks.len(), 1);
        assert!(picks[0].score.is_finite());
    }

    #[test]
    fn k_larger_than_the_catalog_returns_the_whole_catalog() {
        let (h, catalog) = world();
        assert_eq!(h.recommend(UserId(12345), 1000).len(), catalog.len());
    }
}
