//! Critiques and follow-ups that refine a [`Wish`] over the conversation ("funnier", "older",
//! "more like the second one", "seen it").

use serde::{Deserialize, Serialize};

use super::lexicon::NEGATORS;
use super::parse::{add_genre, add_mood_word, parse_wish};
use super::tokens::{Tok, tokenize};
use super::wish::{MAX_CHARS, Wish, push_unique};
use crate::domain::catalog::Movie;
use crate::domain::catalog::search::TitleIndex;
use crate::domain::ids::MovieId;

/// A critique or follow-up in the conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Critique {
    /// "More like #2": the film becomes the only reference.
    MoreLike(MovieId),
    /// Adds the funny mood (drops dark and sad).
    Funnier,
    /// Adds the dark mood (drops funny, feel-good and light).
    Darker,
    /// Moves the era back.
    Older,
    /// Moves the era forward.
    Newer,
    /// Lowers the runtime bound.
    Shorter,
    /// Same wish, other films (the caller excludes what was shown).
    SomethingElse,
    /// The user has seen this film: never pick it.
    Seen(MovieId),
    /// Free text ("less violent", "more like the second one", "seen it").
    Text(String),
}

fn ordinal(toks: &[Tok]) -> Option<usize> {
    for (i, t) in toks.iter().enumerate() {
        let w = t.low.trim_start_matches('#');
        let n = match w {
            "first" | "1st" => Some(0),
            "second" | "2nd" => Some(1),
            "third" | "3rd" => Some(2),
            "fourth" | "4th" => Some(3),
            "fifth" | "5th" => Some(4),
            "last" => Some(usize::MAX),
            _ => None,
        };
        if n.is_some() {
            return n;
        }
        if (t.orig.starts_with('#') || i > 0 && toks[i - 1].low == "number")
            && let Ok(v) = w.parse::<usize>()
            && v >= 1
        {
            return Some(v - 1);
        }
    }
    None
}

/// Applies a critique to the wish (Text is parsed like a wish and merged: "less violent", "more
/// like the second one" — the caller passes the films shown last turn so "the second one"
/// resolves).
pub fn apply_critique(
    wish: &mut Wish,
    critique: &Critique,
    last_shown: &[MovieId],
    index: &TitleIndex,
    movies: &[Movie],
    now_year: i32,
) {
    match critique {
        Critique::MoreLike(m) => wish.references = vec![*m],
        Critique::Funnier => {
            wish.drop_mood("dark");
            wish.drop_mood("sad");
            wish.add_mood("funny");
        }
        Critique::Darker => {
            for m in ["funny", "feel-good", "light"] {
                wish.drop_mood(m);
            }
            wish.add_mood("dark");
        }
        Critique::Older => {
            let (lo, hi) = (wish.min_year, wish.max_year);
            let shown = shown_median(last_shown, movies, |m| m.info.year);
            let width = match (lo, hi) {
                (Some(a), Some(b)) if b >= a => (b - a + 1).clamp(5, 30),
                _ => 10,
            };
            match (lo, hi) {
                (Some(a), _) => {
                    wish.max_year = Some(a - 1);
                    wish.min_year = Some(a - width);
                }
                (None, Some(b)) => {
                    wish.max_year = Some(shown.map_or(b - 10, |m| (b - 10).min(m - 1)));
                }
                // Older than what was shown: before the middle of the last list.
                (None, None) => wish.max_year = Some(shown.map_or(now_year - 15, |m| m - 1)),
            }
        }
        Critique::Newer => {
            let (lo, hi) = (wish.min_year, wish.max_year);
            let shown = shown_median(last_shown, movies, |m| m.info.year);
            let width = match (lo, hi) {
                (Some(a), Some(b)) if b >= a => (b - a + 1).clamp(5, 30),
                _ => 10,
            };
            match (lo, hi) {
                (_, Some(b)) => {
                    let start = (b + 1).min(now_year);
                    wish.min_year = Some(start);
                    wish.max_year = Some((b + width).min(now_year).max(start));
                }
                (Some(a), None) => {
                    let from = shown.map_or(a + 10, |m| (a + 10).max(m + 1));
                    wish.min_year = Some(from.min(now_year));
                }
                (None, None) => {
                    wish.min_year = Some(shown.map_or(now_year - 10, |m| (m + 1).min(now_year)));
                }
            }
        }
        Critique::Shorter => {
            let shown = shown_median(last_shown, movies, |m| m.info.runtime_min);
            let r = shown
                .map_or(wish.max_runtime.unwrap_or(130) - 20, |m| {
                    (wish.max_runtime.unwrap_or(m) - 20).min(m - 5)
                })
                .max(60);
            wish.max_runtime = Some(r);
            if wish.min_runtime.is_some_and(|m| m > r) {
                wish.min_runtime = None;
            }
        }
        Critique::SomethingElse => {}
        Critique::Seen(m) => {
            push_unique(&mut wish.seen, *m);
            wish.references.retain(|r| r != m);
        }
        Critique::Text(text) => apply_text(wish, text, last_shown, index, movies, now_year),
    }
    wish.check_contradictions();
}

/// The median of `field` over the films shown last (`None` when none of them has it).
fn shown_median(
    shown: &[MovieId],
    movies: &[Movie],
    field: impl Fn(&Movie) -> Option<i32>,
) -> Option<i32> {
    let mut v: Vec<i32> = shown
        .iter()
        .filter_map(|id| movies.iter().find(|m| m.id == *id))
        .filter_map(&field)
        .collect();
    v.sort_unstable();
    v.get(v.len() / 2).copied()
}

fn apply_text(
    wish: &mut Wish,
    text: &str,
    last_shown: &[MovieId],
    index: &TitleIndex,
    movies: &[Movie],
    now_year: i32,
) {
    let text: String = text.chars().take(MAX_CHARS).collect();
    let toks = tokenize(&text.replace('#', " number "));
    let low: Vec<&str> = toks.iter().map(|t| t.low.as_str()).collect();
    let has = |w: &str| low.contains(&w);
    let picked = ordinal(&toks).and_then(|o| {
        if o == usize::MAX {
            last_shown.last().copied()
        } else {
            last_shown.get(o).copied()
        }
    });
    let seen_it = (has("seen") || has("watched") || has("saw"))
        && !toks.iter().enumerate().any(|(i, t)| {
            (t.low == "seen" || t.low == "watched")
                && (i.saturating_sub(3)..i).any(|k| NEGATORS.contains(&low[k]))
        });
    if seen_it {
        match picked {
            Some(m) => apply_seen(wish, m),
            None if has("all") || has("them") || has("those") => {
                for &m in last_shown {
                    apply_seen(wish, m);
                }
            }
            None => {
                if let Some(&m) = last_shown.first() {
                    apply_seen(wish, m);
                }
            }
        }
    } else if let Some(m) = picked
        && (has("like") || has("more") || has("similar"))
    {
        wish.references = vec![m];
    }
    let simple = [
        ("funnier", Critique::Funnier),
        ("darker", Critique::Darker),
        ("older", Critique::Older),
        ("newer", Critique::Newer),
        ("shorter", Critique::Shorter),
    ];
    for (w, c) in &simple {
        if has(w) {
            apply_critique(wish, c, last_shown, index, movies, now_year);
        }
    }
    let mut parsed = parse_wish(&text, index, movies, now_year);
    // The simple critiques above already moved the era and runtime.
    if has("older") || has("newer") {
        parsed.min_year = None;
        parsed.max_year = None;
    }
    if has("shorter") {
        parsed.max_runtime = None;
    }
    if !seen_it {
        // "more like Alien" (a new named film) replaces the references.
        if !parsed.references.is_empty() && picked.is_none() {
            wish.references = std::mem::take(&mut parsed.references);
        }
    }
    merge(wish, parsed);
}

fn apply_seen(wish: &mut Wish, m: MovieId) {
    push_unique(&mut wish.seen, m);
    wish.references.retain(|r| *r != m);
}

fn merge(wish: &mut Wish, new: Wish) {
    for r in new.references {
        push_unique(&mut wish.references, r);
    }
    for u in new.unresolved {
        push_unique(&mut wish.unresolved, u);
    }
    for g in new.not_genres {
        add_genre(wish, g, true);
    }
    for g in new.genres {
        wish.not_genres.retain(|x| *x != g);
        add_genre(wish, g, false);
    }
    for m in new.not_moods {
        add_mood_word(wish, &m, true);
    }
    for m in new.moods {
        wish.add_mood(&m);
    }
    if new.min_year.is_some() || new.max_year.is_some() {
        wish.min_year = new.min_year;
        wish.max_year = new.max_year;
    }
    if new.max_runtime.is_some() {
        wish.max_runtime = new.max_runtime;
    }
    if new.min_runtime.is_some() {
        wish.min_runtime = new.min_runtime;
    }
    for p in new.people {
        push_unique(&mut wish.people, p);
    }
    wish.exclude_seen |= new.exclude_seen;
    if new.audience.is_some() {
        wish.audience = new.audience;
    }
    for s in new.seen {
        push_unique(&mut wish.seen, s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::{Genre, Movie};
    use crate::domain::conversation::wish::tests::{NOW, id_of, setup};

    #[test]
    fn older_newer_and_shorter_move_away_from_the_films_shown() {
        let (movies, idx) = setup();
        let shown: Vec<MovieId> = movies
            .iter()
            .filter(|m| m.info.year.is_some_and(|y| (1971..=1983).contains(&y)))
            .filter(|m| m.info.runtime_min.is_some())
            .map(|m| m.id)
            .take(5)
            .collect();
        assert_eq!(shown.len(), 5);
        let median = |f: &dyn Fn(&Movie) -> Option<i32>| {
            let mut v: Vec<i32> = shown
                .iter()
                .filter_map(|id| movies.iter().find(|m| m.id == *id).and_then(f))
                .collect();
            v.sort_unstable();
            v[2]
        };
        let (year, minutes) = (median(&|m| m.info.year), median(&|m| m.info.runtime_min));
        let steer = |c: Critique| {
            let mut w = Wish::default();
            apply_critique(&mut w, &c, &shown, &idx, &movies, NOW);
            w
        };
        let older = steer(Critique::Older);
        assert!(
            older.max_year.is_some_and(|y| y < year),
            "{older:?} (median {year})"
        );
        let newer = steer(Critique::Newer);
        assert!(
            newer.min_year.is_some_and(|y| y > year),
            "{newer:?} (median {year})"
        );
        let shorter = steer(Critique::Shorter);
        assert!(
            shorter.max_runtime.is_some_and(|r| r < minutes),
            "{shorter:?} (median {minutes} min)"
        );
    }

    #[test]
    fn critiques_refine_the_wish() {
        let (movies, idx) = setup();
        let alien = id_of(&movies, "Alien (1979)");
        let heat = id_of(&movies, "Heat (1995)");
        let fargo = id_of(&movies, "Fargo (1996)");
        let mut w = parse_wish("like Alien from the 90s", &idx, &movies, NOW);
        let crit = |w: &mut Wish, c: Critique, shown: &[MovieId]| {
            apply_critique(w, &c, shown, &idx, &movies, NOW);
        };
        crit(&mut w, Critique::Funnier, &[]);
        assert!(w.moods.contains(&"funny".to_owned()));
        crit(&mut w, Critique::Darker, &[]);
        assert!(w.moods.contains(&"dark".to_owned()) && !w.moods.contains(&"funny".to_owned()));
        crit(&mut w, Critique::Older, &[]);
        assert_eq!((w.min_year, w.max_year), (Some(1980), Some(1989)));
        crit(&mut w, Critique::Newer, &[]);
        assert_eq!((w.min_year, w.max_year), (Some(1990), Some(1999)));
        crit(&mut w, Critique::Shorter, &[]);
        assert_eq!(w.max_runtime, Some(110));
        crit(&mut w, Critique::Shorter, &[]);
        assert_eq!(w.max_runtime, Some(90));
        crit(&mut w, Critique::Seen(heat), &[]);
        assert!(w.seen.contains(&heat));
        crit(&mut w, Critique::MoreLike(fargo), &[]);
        assert_eq!(w.references, vec![fargo]);
        // Free text: ordinals resolve against the films shown last.
        let shown = [heat, alien, fargo];
        crit(
            &mut w,
            Critique::Text("more like the second one".into()),
            &shown,
        );
        assert_eq!(w.references, vec![alien]);
        crit(&mut w, Critique::Text("seen #3".into()), &shown);
        assert!(w.seen.contains(&fargo));
        crit(&mut w, Critique::Text("less violent".into()), &shown);
        assert!(w.not_moods.contains(&"violent".to_owned()));
        crit(&mut w, Critique::Text("no horror".into()), &shown);
        assert!(w.not_genres.contains(&Genre::Horror));
        crit(
            &mut w,
            Critique::Text("actually, horror is fine".into()),
            &shown,
        );
        assert!(w.genres.contains(&Genre::Horror) && !w.not_genres.contains(&Genre::Horror));
        crit(&mut w, Critique::Text("more like Heat".into()), &shown);
        assert_eq!(w.references, vec![heat]);
        let mut v = Wish::default();
        crit(&mut v, Critique::Older, &[]);
        assert_eq!(v.max_year, Some(NOW - 15));
        crit(&mut v, Critique::SomethingElse, &[]);
        assert_eq!(v.max_year, Some(NOW - 15));
        let mut v = Wish::default();
        crit(&mut v, Critique::Text("seen it".into()), &shown);
        assert_eq!(v.seen, vec![heat]);
    }
}
