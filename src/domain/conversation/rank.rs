//! Ranks the catalog for a [`Wish`]: hard constraints first, then the hybrid model for the
//! user blended with similarity to the reference films and the wished moods and keywords.

use std::collections::{HashMap, HashSet};

use crate::domain::catalog::{Genre, Movie};
use crate::domain::conversation::together::Together;
use crate::domain::conversation::wish::{Audience, Wish, mood_genres, mood_keywords};
use crate::domain::ids::{MovieId, UserId};
use crate::domain::recommend::snapshot::ModelSnapshot;

/// One recommended film and the parts of the wish it meets.
#[derive(Debug, Clone, PartialEq)]
pub struct WishPick {
    /// The film.
    pub movie: MovieId,
    /// Blended score, finite, higher is better.
    pub score: f64,
    /// Which parts of the wish it meets, short phrases: "like Alien", "comedy", "from the 90s",
    /// "under 2 hours".
    pub meets: Vec<String>,
}

/// Each soft part of a wish (a mood, the reference films) shows in at least this share of the
/// picks (3 of 5) when enough films show it.
const SOFT_SHARE: (usize, usize) = (3, 5);

/// How deep in the ranking the soft parts may reach for films that show them.
const SOFT_POOL: usize = 60;

/// How many neighbours of each reference film are scored.
const NEIGHBOURS: usize = 400;

/// Blend weights with reference films: similarity, model, attributes.
const W_REF: (f64, f64, f64) = (0.62, 0.23, 0.15);
/// Blend weights without reference films: model, attributes.
const W_NOREF: (f64, f64) = (0.55, 0.45);

fn folded(s: &str) -> String {
    s.to_lowercase()
}

fn person_matches(movie: &Movie, person: &str) -> bool {
    let p = folded(person);
    if p.is_empty() {
        return true;
    }
    movie
        .info
        .directors
        .iter()
        .chain(&movie.info.cast)
        .any(|name| {
            let n = folded(name);
            n == p || n.split_whitespace().any(|w| w == p) || n.contains(&p) && p.contains(' ')
        })
}

/// True when the film satisfies the wish's hard constraints.
fn passes(wish: &Wish, m: &Movie) -> bool {
    let g = &m.info.genres;
    if !wish.genres.is_empty() && !wish.genres.iter().any(|x| g.contains(x)) {
        return false;
    }
    if wish.not_genres.iter().any(|x| g.contains(x)) {
        return false;
    }
    if wish.min_year.is_some() || wish.max_year.is_some() {
        let Some(y) = m.info.year else { return false };
        if wish.min_year.is_some_and(|lo| y < lo) || wish.max_year.is_some_and(|hi| y > hi) {
            return false;
        }
    }
    if let Some(hi) = wish.max_runtime
        && m.info.runtime_min.is_some_and(|r| r > hi)
    {
        return false;
    }
    if let Some(lo) = wish.min_runtime
        && m.info.runtime_min.is_some_and(|r| r < lo)
    {
        return false;
    }
    if !wish.people.iter().all(|p| person_matches(m, p)) {
        return false;
    }
    match wish.audience {
        Some(Audience::Kids) => {
            (g.contains(&Genre::Family) || g.contains(&Genre::Animation))
                && ![Genre::Horror, Genre::Crime, Genre::War, Genre::Thriller]
                    .iter()
                    .any(|x| g.contains(x))
        }
        Some(Audience::Family) => !g.contains(&Genre::Horror),
        _ => true,
    }
}

fn era_meets(wish: &Wish) -> Option<String> {
    match (wish.min_year, wish.max_year) {
        (Some(a), Some(b)) if a % 10 == 0 && b == a + 9 && (1900..2000).contains(&a) => {
            Some(format!("from the {}s", a - 1900))
        }
        (Some(a), Some(b)) if a % 10 == 0 && b == a + 9 => Some(format!("from the {a}s")),
        (Some(a), Some(b)) if a == b => Some(format!("from {a}")),
        (Some(a), Some(b)) => Some(format!("{a}–{b}")),
        (Some(a), None) => Some(format!("since {a}")),
        (None, Some(b)) => Some(format!("before {}", b + 1)),
        (None, None) => None,
    }
}

fn runtime_phrase(m: i32) -> String {
    if m % 60 == 0 {
        let h = m / 60;
        format!("{h} hour{}", if h == 1 { "" } else { "s" })
    } else {
        format!("{m} minutes")
    }
}

/// How well the film's genres, keywords and overview match the wished genres and moods, in
/// [0, 1], with the phrases it earned.
fn attribute_score(wish: &Wish, m: &Movie) -> (f64, Vec<String>) {
    let mut meets = Vec::new();
    let mut got = 0.0;
    let mut total = 0.0;
    for g in &wish.genres {
        total += 1.0;
        if m.info.genres.contains(g) {
            got += 1.0;
            meets.push(g.name().to_lowercase());
        }
    }
    let text = || {
        let mut t = m.info.keywords.join(" | ").to_lowercase();
        t.push(' ');
        t.push_str(&m.info.overview.to_lowercase());
        t
    };
    let mut haystack: Option<String> = None;
    for mood in &wish.moods {
        total += 1.0;
        let gs = mood_genres(mood);
        let genre_hit = gs.iter().any(|g| m.info.genres.contains(g));
        let h = haystack.get_or_insert_with(text);
        let kw_hit = mood_keywords(mood).iter().any(|k| h.contains(k));
        let s = 0.7 * f64::from(u8::from(genre_hit)) + 0.3 * f64::from(u8::from(kw_hit));
        if s > 0.0 {
            got += s;
            meets.push(if mood == "romantic-mood" {
                "romantic".to_owned()
            } else {
                mood.clone()
            });
        }
    }
    let mut penalty = 0.0;
    for mood in &wish.not_moods {
        let h = haystack.get_or_insert_with(text);
        if mood_keywords(mood).iter().any(|k| h.contains(k)) {
            penalty += 0.5;
        }
        if mood_genres(mood)
            .first()
            .is_some_and(|g| m.info.genres.contains(g))
        {
            penalty += 0.3;
        }
    }
    if wish.audience == Some(Audience::Date)
        && (m.info.genres.contains(&Genre::Romance) || m.info.genres.contains(&Genre::Comedy))
    {
        got += 0.5;
        total += 0.5;
        meets.push("date night".to_owned());
    } else if wish.audience == Some(Audience::Date) {
        total += 0.5;
    }
    let base = if total > 0.0 { got / total } else { 0.0 };
    ((base - penalty).clamp(-1.0, 1.0), meets)
}

/// Films that satisfy the hard constraints (genres/not_genres, years, runtime, people when
/// given, audience rules) and are not in `exclude` (already shown or mentioned in the
/// conversation, and the user's history when exclude_seen — the caller includes it in
/// `exclude`) nor in the wish's references or `seen`, ranked by the hybrid model for `user`
/// blended with similarity to the reference films and the wished moods/keywords. Always finite
/// scores; at most `count`; when the hard constraints leave nothing, returns an empty list (the
/// caller relaxes, e.g. with [`Wish::relaxed`], and says so).
#[allow(clippy::implicit_hasher)]
pub fn rank_for_wish(
    model: &ModelSnapshot,
    user: UserId,
    wish: &Wish,
    movies: &[Movie],
    exclude: &HashSet<MovieId>,
    count: usize,
) -> Vec<WishPick> {
    rank_for_wish_with(
        model,
        &Together::default(),
        user,
        wish,
        movies,
        exclude,
        count,
    )
}

/// [`rank_for_wish`] with what past conversations taught ([`Together`]): with reference
/// films, films people named together with them gain up to `together.weight()` (their
/// strength relative to the best such film), beside the model, the references' neighbours
/// and the attributes.
#[allow(clippy::implicit_hasher)]
pub fn rank_for_wish_with(
    model: &ModelSnapshot,
    together: &Together,
    user: UserId,
    wish: &Wish,
    movies: &[Movie],
    exclude: &HashSet<MovieId>,
    count: usize,
) -> Vec<WishPick> {
    if count == 0 || movies.is_empty() {
        return Vec::new();
    }
    let refs: HashSet<MovieId> = wish.references.iter().copied().collect();
    let seen: HashSet<MovieId> = wish.seen.iter().copied().collect();
    let mut taken = HashSet::new();
    let cands: Vec<&Movie> = movies
        .iter()
        .filter(|m| {
            !exclude.contains(&m.id)
                && !refs.contains(&m.id)
                && !seen.contains(&m.id)
                && passes(wish, m)
                && taken.insert(m.id)
        })
        .collect();
    if cands.is_empty() {
        return Vec::new();
    }
    let ids: Vec<MovieId> = cands.iter().map(|m| m.id).collect();
    let enjoy = model.enjoyment(user, &ids);
    let titles: HashMap<MovieId, &str> = movies
        .iter()
        .map(|m| (m.id, m.info.title.as_str()))
        .collect();
    // Similarity to each reference, normalised by that reference's best neighbour, averaged.
    let mut sim: HashMap<MovieId, f64> = HashMap::new();
    let mut best_ref: HashMap<MovieId, (f64, MovieId)> = HashMap::new();
    let nrefs = wish.references.len();
    for &r in &wish.references {
        let picks = model.similar(r, NEIGHBOURS);
        let top = picks.iter().map(|p| f64::from(p.score)).fold(0.0, f64::max);
        if top <= 0.0 {
            continue;
        }
        for p in picks {
            let s = (f64::from(p.score) / top).clamp(0.0, 1.0);
            if !s.is_finite() {
                continue;
            }
            *sim.entry(p.movie).or_default() += s / nrefs as f64;
            let e = best_ref.entry(p.movie).or_insert((0.0, r));
            if s > e.0 {
                *e = (s, r);
            }
        }
    }
    let talked = together.with(&wish.references);
    let talked_top = talked.values().copied().fold(0.0, f64::max);
    let era = era_meets(wish);
    let mut scored: Vec<WishPick> = cands
        .iter()
        .zip(&enjoy)
        .map(|(m, &e)| {
            let (attr, mut meets) = attribute_score(wish, m);
            let e = if e.is_finite() { e } else { 0.5 };
            let score = if nrefs > 0 {
                let s = sim.get(&m.id).copied().unwrap_or(0.0);
                if let Some(&(v, r)) = best_ref.get(&m.id)
                    && v >= 0.5
                    && let Some(t) = titles.get(&r)
                {
                    meets.insert(0, format!("like {t}"));
                }
                let t = if talked_top > 0.0 {
                    talked.get(&m.id).copied().unwrap_or(0.0) / talked_top
                } else {
                    0.0
                };
                W_REF.0 * s + W_REF.1 * e + W_REF.2 * attr + together.weight() * t
            } else {
                W_NOREF.0 * e + W_NOREF.1 * attr
            } + together.talked_weight() * together.talked_about(m.id);
            if let Some(era) = &era {
                meets.push(era.clone());
            }
            if let Some(r) = wish.max_runtime
                && m.info.runtime_min.is_some()
            {
                meets.push(format!("under {}", runtime_phrase(r)));
            }
            for p in &wish.people {
                meets.push(format!("with {p}"));
            }
            if let Some(a) = wish.audience
                && a != Audience::Date
            {
                meets.push(a.phrase().to_owned());
            }
            WishPick {
                movie: m.id,
                score: if score.is_finite() { score } else { 0.0 },
                meets,
            }
        })
        .collect();
    scored.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.movie.cmp(&b.movie)));
    wanted_first(wish, scored, count)
}

/// Films asked for by what they are ("the sequel to …") first, when they fit; then the
/// ranking, with the soft parts showing.
fn wanted_first(wish: &Wish, mut scored: Vec<WishPick>, count: usize) -> Vec<WishPick> {
    let mut first: Vec<WishPick> = Vec::new();
    for w in &wish.wanted {
        if let Some(k) = scored.iter().position(|p| p.movie == *w) {
            let mut pick = scored.remove(k);
            pick.meets.insert(0, "the one you asked for".to_owned());
            first.push(pick);
        }
    }
    first.truncate(count);
    let rest = count - first.len();
    first.extend(with_soft_parts(scored, &soft_parts(wish), rest));
    first
}

/// The soft parts of a wish as the `meets` phrases that show them: each mood, and "like …"
/// for the reference films.
fn soft_parts(wish: &Wish) -> Vec<String> {
    let mut parts: Vec<String> = wish
        .moods
        .iter()
        .map(|m| {
            if m == "romantic-mood" {
                "romantic".to_owned()
            } else {
                m.clone()
            }
        })
        .collect();
    if !wish.references.is_empty() {
        parts.push("like ".to_owned());
    }
    parts
}

fn shows(pick: &WishPick, part: &str) -> bool {
    if part == "like " {
        pick.meets.iter().any(|m| m.starts_with("like "))
    } else {
        pick.meets.iter().any(|m| m == part)
    }
}

/// The best `count` of `ranked` (best first) such that each soft part shows in at least
/// three of five picks ([`SOFT_SHARE`]) when enough of the [`SOFT_POOL`] best films show it:
/// while a part is short, the next pick is the best film that shows the most of the parts still
/// short (a funny film like Alien before a funny one and one like Alien, a funny one before one
/// like Alien); once none is short, the best films fill the list. Returned best first.
fn with_soft_parts(ranked: Vec<WishPick>, parts: &[String], count: usize) -> Vec<WishPick> {
    let quota = (count * SOFT_SHARE.0).div_ceil(SOFT_SHARE.1);
    let pool = ranked.len().min(SOFT_POOL.max(count));
    let need: Vec<usize> = parts
        .iter()
        .map(|p| quota.min(ranked[..pool].iter().filter(|c| shows(c, p)).count()))
        .collect();
    let mut have = vec![0usize; parts.len()];
    let mut rest = ranked;
    let mut out: Vec<WishPick> = Vec::with_capacity(count);
    while out.len() < count && !rest.is_empty() {
        let short: Vec<&String> = parts
            .iter()
            .zip(need.iter().zip(&have))
            .filter(|(_, (n, h))| h < n)
            .map(|(p, _)| p)
            .collect();
        // The words the person added (moods) before the reference films, when both are short
        // and no film shows both: the reference's neighbours lead the ranking anyway.
        let cover = |c: &WishPick| -> f32 {
            short
                .iter()
                .filter(|p| shows(c, p))
                .map(|p| if p.as_str() == "like " { 0.9 } else { 1.0 })
                .sum()
        };
        let window = rest.len().min(pool);
        let mut at = 0;
        for i in 1..window {
            if cover(&rest[i]) > cover(&rest[at]) {
                at = i;
            }
        }
        let c = rest.remove(at);
        for (i, p) in parts.iter().enumerate() {
            have[i] += usize::from(shows(&c, p));
        }
        out.push(c);
    }
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.movie.cmp(&b.movie)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::search::TitleIndex;
    use crate::domain::conversation::wish::{parse_wish, tests::starter};
    use crate::domain::events::{FeedbackEvent, FeedbackKind, NewFeedbackEvent};
    use crate::domain::ids::EventId;
    use crate::domain::recommend::snapshot::{TrainParams, train};

    fn ev(id: i64, user: i64, movie: MovieId) -> FeedbackEvent {
        FeedbackEvent {
            id: EventId(id),
            event: NewFeedbackEvent {
                user: UserId(user),
                movie,
                kind: FeedbackKind::Rating,
                value: Some(5.0),
                weight: 1.0,
                raw: None,
                source: "test".into(),
                guild: None,
                message_id: None,
                created_at_ms: id,
                idempotency_key: None,
            },
        }
    }

    /// The starter catalog; 40 users each love most films of one genre (sci-fi, comedy, crime,
    /// horror), seeded deterministically.
    fn world() -> (Vec<Movie>, ModelSnapshot) {
        let movies = starter();
        let groups = [Genre::SciFi, Genre::Comedy, Genre::Crime, Genre::Horror];
        let mut events = Vec::new();
        for u in 0..40i64 {
            let g = groups[(u % 4) as usize];
            for (k, m) in movies
                .iter()
                .filter(|m| m.info.genres.contains(&g))
                .enumerate()
            {
                if (k as i64 + u) % 3 != 0 {
                    events.push(ev(events.len() as i64 + 1, u, m.id));
                }
            }
        }
        let model = train(&movies, &events, &TrainParams::default()).expect("trains");
        (movies, model)
    }

    #[test]
    fn every_soft_part_shows_in_three_of_five_picks_when_films_allow() {
        let (movies, model) = world();
        let idx = TitleIndex::from_movies(&movies);
        let none = HashSet::new();
        for text in [
            "something like Alien but funnier",
            "a scary movie like Heat",
            "feel-good and mind-bending",
        ] {
            let w = parse_wish(text, &idx, &movies, 2025);
            let parts = soft_parts(&w);
            assert!(!parts.is_empty(), "{text}: {w:?}");
            let all = rank_for_wish(&model, UserId(12_345), &w, &movies, &none, movies.len());
            let picks = rank_for_wish(&model, UserId(12_345), &w, &movies, &none, 5);
            assert_eq!(picks.len(), 5, "{text}");
            for part in &parts {
                let available = all
                    .iter()
                    .take(SOFT_POOL)
                    .filter(|p| shows(p, part))
                    .count();
                let shown = picks.iter().filter(|p| shows(p, part)).count();
                assert!(
                    shown >= available.min(3),
                    "{text}: {part:?} in {shown} of 5 ({available} could): {picks:?}"
                );
            }
            assert!(picks.windows(2).all(|p| p[0].score >= p[1].score), "{text}");
        }
    }

    #[test]
    fn films_people_named_together_rise_and_nothing_learned_changes_nothing() {
        let (movies, model) = world();
        let idx = TitleIndex::from_movies(&movies);
        let none = HashSet::new();
        let w = parse_wish("something like Alien", &idx, &movies, 2025);
        let alien = w.references[0];
        let plain = rank_for_wish(&model, UserId(12_345), &w, &movies, &none, 5);
        // A comedy nobody would call "like Alien" that people keep naming with it.
        let odd = movies
            .iter()
            .find(|m| m.info.genres == vec![Genre::Comedy] && plain.iter().all(|p| p.movie != m.id))
            .expect("a comedy")
            .id;
        let mut together = Together::new();
        for k in 0..20 {
            together.add(&[alien, odd]);
            together.add(&[movies[k].id, movies[k + 1].id]);
        }
        let talked = rank_for_wish_with(&model, &together, UserId(12_345), &w, &movies, &none, 5);
        assert!(talked.iter().any(|p| p.movie == odd), "{talked:?}");
        assert!(talked.iter().all(|p| p.movie != alien));
        let empty = rank_for_wish_with(
            &model,
            &Together::new(),
            UserId(12_345),
            &w,
            &movies,
            &none,
            5,
        );
        assert_eq!(empty, plain);
    }

    #[test]
    fn a_part_no_film_shows_does_not_empty_the_list() {
        let picks: Vec<WishPick> = (0..8)
            .map(|i| WishPick {
                movie: MovieId(i),
                score: 1.0 - i as f64 / 10.0,
                meets: if i >= 6 {
                    vec!["funny".into()]
                } else {
                    Vec::new()
                },
            })
            .collect();
        let out = with_soft_parts(picks.clone(), &["funny".into(), "scary".into()], 5);
        let ids: Vec<i64> = out.iter().map(|p| p.movie.0).collect();
        assert_eq!(
            ids,
            vec![0, 1, 2, 6, 7],
            "both funny films make it, best first"
        );
        let out = with_soft_parts(picks, &[], 5);
        assert_eq!(out.len(), 5);
        assert_eq!(out[0].movie, MovieId(0));
    }

    #[test]
    fn hard_constraints_hold_and_reference_neighbours_come_first() {
        let (movies, model) = world();
        let idx = TitleIndex::from_movies(&movies);
        let by_id: HashMap<MovieId, &Movie> = movies.iter().map(|m| (m.id, m)).collect();
        let none = HashSet::new();
        let w = parse_wish(
            "a comedy from the 90s under 2 hours, no horror",
            &idx,
            &movies,
            2025,
        );
        let picks = rank_for_wish(&model, UserId(7), &w, &movies, &none, 20);
        assert!(!picks.is_empty());
        for p in &picks {
            let m = by_id[&p.movie];
            assert!(m.info.genres.contains(&Genre::Comedy), "{m:?}");
            assert!(!m.info.genres.contains(&Genre::Horror));
            assert!((1990..=1999).contains(&m.info.year.unwrap_or(0)));
            assert!(m.info.runtime_min.is_none_or(|r| r <= 120));
            assert!(p.score.is_finite());
            assert!(p.meets.contains(&"comedy".to_owned()), "{p:?}");
            assert!(p.meets.contains(&"from the 90s".to_owned()), "{p:?}");
        }
        // A reference's neighbours (same taste cluster) come first; the reference never.
        let w = parse_wish("something like Alien", &idx, &movies, 2025);
        let alien = w.references[0];
        let picks = rank_for_wish(&model, UserId(12_345), &w, &movies, &none, 5);
        assert_eq!(picks.len(), 5);
        for p in &picks {
            assert_ne!(p.movie, alien);
            let g = &by_id[&p.movie].info.genres;
            assert!(
                g.contains(&Genre::SciFi) || g.contains(&Genre::Horror),
                "{g:?}"
            );
        }
        assert!(
            picks[0].meets.iter().any(|m| m == "like Alien"),
            "{:?}",
            picks[0]
        );
        // Exclusions, seen films and kids' rules.
        let excl: HashSet<MovieId> = picks.iter().map(|p| p.movie).collect();
        let again = rank_for_wish(&model, UserId(12_345), &w, &movies, &excl, 5);
        assert!(again.iter().all(|p| !excl.contains(&p.movie)));
        let kids = parse_wish("something for kids", &idx, &movies, 2025);
        for p in rank_for_wish(&model, UserId(1), &kids, &movies, &none, 30) {
            let g = &by_id[&p.movie].info.genres;
            assert!(g.contains(&Genre::Family) || g.contains(&Genre::Animation));
            assert!(!g.contains(&Genre::Horror));
        }
        // Nothing passes: empty, and the relaxed wish finds films.
        let w = parse_wish("a western with Nobody Atall", &idx, &movies, 2025);
        assert!(rank_for_wish(&model, UserId(1), &w, &movies, &none, 5).is_empty());
        let relaxed = w.relaxed().expect("can relax");
        assert!(!rank_for_wish(&model, UserId(1), &relaxed, &movies, &none, 5).is_empty());
        assert!(rank_for_wish(&model, UserId(1), &w, &movies, &none, 0).is_empty());
        assert!(rank_for_wish(&model, UserId(1), &w, &[], &none, 5).is_empty());
    }
}
