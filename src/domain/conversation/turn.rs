//! Whether a message in an open conversation starts a new wish or refines the one on the table,
//! and how to say what a refinement changed.
//!
//! A message that brings its own subject (a film to start from, a genre, an audience or a
//! person) and no word that points back at the conversation starts over: after "a 90s horror
//! movie", "a romantic comedy for date night" is a new wish, not "horror romance comedy from the
//! 90s". Words such as "funnier", "seen it", "less violent", "something else", "the second one"
//! or "instead" refine. Comparatives ("funnier", "older") refine the list shown, unless the
//! message names a film of its own to compare with ("like Blade Runner, but newer" is a new
//! wish); "more like …" always refines.

use super::tokens::tokenize;
use super::wish::{Wish, era_phrase, join_or, minutes_phrase, mood_label};
use crate::domain::ids::MovieId;

/// How a message relates to the conversation so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Turn {
    /// A wish of its own: the conversation starts over.
    Fresh,
    /// A change to the wish on the table.
    Refine,
}

/// Words that only make sense against what was said or shown before.
const BACK_REFERENCES: &[&str] = &[
    "seen", "watched", "saw", "else", "another", "instead", "too", "actually", "also", "again",
    "same", "rather", "first", "second", "third", "fourth", "fifth", "last", "these", "those",
    "them", "ones",
];

/// Words a message may start with to continue the last one ("but shorter", "and no horror").
const CONTINUERS: &[&str] = &[
    "but", "and", "or", "no", "not", "without", "except", "only", "plus", "ok", "okay", "hmm",
    "nah", "now",
];

/// Comparatives: they refine the list shown unless the message names its own film.
const COMPARATIVES: &[&str] = &[
    "funnier", "darker", "older", "newer", "shorter", "longer", "lighter", "scarier", "sadder",
    "happier", "calmer", "slower", "faster", "weirder", "gentler", "earlier", "later", "less",
    "more", "fewer",
];

/// Reads `text` (already parsed into `parsed`) against the wish on the table, `current`.
pub fn turn_kind(text: &str, parsed: &Wish, current: &Wish) -> Turn {
    let toks = tokenize(text);
    let low: Vec<&str> = toks.iter().map(|t| t.low.as_str()).collect();
    let has = |w: &str| low.contains(&w);
    if low.first().is_some_and(|w| CONTINUERS.contains(w))
        || BACK_REFERENCES.iter().any(|w| has(w))
        || low
            .windows(2)
            .any(|p| matches!(p, ["more" | "less", "like"]))
    {
        return Turn::Refine;
    }
    let own_film = parsed
        .references
        .iter()
        .any(|r| !current.references.contains(r));
    if !own_film && COMPARATIVES.iter().any(|w| has(w)) {
        return Turn::Refine;
    }
    let subject = own_film
        || !parsed.genres.is_empty()
        || parsed.audience.is_some()
        || !parsed.people.is_empty();
    if subject { Turn::Fresh } else { Turn::Refine }
}

/// The parts `old` and `new` share (what a refinement kept).
pub fn common(old: &Wish, new: &Wish) -> Wish {
    let both = |a: &[String], b: &[String]| -> Vec<String> {
        a.iter().filter(|x| b.contains(x)).cloned().collect()
    };
    let same = |a, b| if a == b { a } else { None };
    Wish {
        references: if old.references == new.references {
            new.references.clone()
        } else {
            Vec::new()
        },
        genres: old
            .genres
            .iter()
            .filter(|g| new.genres.contains(g))
            .copied()
            .collect(),
        not_genres: old
            .not_genres
            .iter()
            .filter(|g| new.not_genres.contains(g))
            .copied()
            .collect(),
        moods: both(&old.moods, &new.moods),
        not_moods: both(&old.not_moods, &new.not_moods),
        min_year: same(old.min_year, new.min_year).filter(|_| old.max_year == new.max_year),
        max_year: same(old.max_year, new.max_year).filter(|_| old.min_year == new.min_year),
        max_runtime: same(old.max_runtime, new.max_runtime),
        min_runtime: same(old.min_runtime, new.min_runtime),
        people: both(&old.people, &new.people),
        audience: if old.audience == new.audience {
            new.audience
        } else {
            None
        },
        exclude_seen: old.exclude_seen && new.exclude_seen,
        ..Wish::default()
    }
}

/// What `new` adds to or changes in `old`, in words ("funny, from before 1977", "no horror",
/// "without a film you've seen"), or `None` when the wish is the same (other films were asked
/// for).
pub fn change_from(
    old: &Wish,
    new: &Wish,
    title_of: impl Fn(MovieId) -> Option<String>,
) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    parts.extend(
        new.moods
            .iter()
            .filter(|m| !old.moods.contains(m))
            .map(|m| mood_label(m)),
    );
    parts.extend(
        new.genres
            .iter()
            .filter(|g| !old.genres.contains(g))
            .map(|g| g.name().to_lowercase()),
    );
    if new.references != old.references {
        let refs = new.reference_titles(&title_of);
        if !refs.is_empty() {
            parts.push(format!("like {}", join_or(&refs, "and")));
        }
    }
    if (new.min_year, new.max_year) != (old.min_year, old.max_year)
        && let Some(era) = era_phrase(new.min_year, new.max_year)
    {
        parts.push(era);
    }
    if new.max_runtime != old.max_runtime
        && let Some(r) = new.max_runtime
    {
        parts.push(format!("under {}", minutes_phrase(r)));
    }
    if new.min_runtime != old.min_runtime
        && let Some(r) = new.min_runtime
    {
        parts.push(format!("over {}", minutes_phrase(r)));
    }
    let people: Vec<String> = new
        .people
        .iter()
        .filter(|p| !old.people.contains(p))
        .cloned()
        .collect();
    if !people.is_empty() {
        parts.push(format!("with {}", join_or(&people, "and")));
    }
    if new.audience != old.audience
        && let Some(a) = new.audience
    {
        parts.push(a.phrase().to_owned());
    }
    let not_genres: Vec<String> = new
        .not_genres
        .iter()
        .filter(|g| !old.not_genres.contains(g))
        .map(|g| g.name().to_lowercase())
        .collect();
    if !not_genres.is_empty() {
        parts.push(format!("no {}", join_or(&not_genres, "or")));
    }
    let not_moods: Vec<String> = new
        .not_moods
        .iter()
        .filter(|m| !old.not_moods.contains(m))
        .map(|m| mood_label(m))
        .collect();
    if !not_moods.is_empty() {
        parts.push(format!("nothing too {}", join_or(&not_moods, "or")));
    }
    let seen = new.seen.iter().filter(|m| !old.seen.contains(m)).count();
    if seen > 0 || (new.exclude_seen && !old.exclude_seen) {
        parts.push(
            if seen == 1 {
                "without the film you've seen"
            } else {
                "without the films you've seen"
            }
            .to_owned(),
        );
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::conversation::critique::apply_critique;
    use crate::domain::conversation::parse::parse_wish;
    use crate::domain::conversation::wish::Critique;
    use crate::domain::conversation::wish::tests::{NOW, id_of, setup};

    fn kind(before: &str, text: &str) -> Turn {
        let (movies, idx) = setup();
        let current = parse_wish(before, &idx, &movies, NOW);
        let parsed = parse_wish(text, &idx, &movies, NOW);
        turn_kind(text, &parsed, &current)
    }

    #[test]
    fn a_message_with_its_own_subject_starts_over() {
        for (before, text) in [
            ("a 90s horror movie", "a romantic comedy for date night"),
            ("a 90s horror movie", "something for the kids"),
            ("like Alien", "like Heat"),
            ("something funny", "a western"),
            ("a 90s horror movie", "similar to Blade Runner, but newer"),
            ("a comedy", "anything with Tom Hanks"),
        ] {
            assert_eq!(kind(before, text), Turn::Fresh, "{before:?} then {text:?}");
        }
    }

    #[test]
    fn refinement_words_keep_the_wish() {
        for (before, text) in [
            ("a 90s horror movie", "funnier"),
            ("a 90s horror movie", "something older"),
            ("a 90s horror movie", "less violent"),
            ("a 90s horror movie", "seen it"),
            ("a 90s horror movie", "more like the second one"),
            ("a 90s horror movie", "more like Heat"),
            ("a 90s horror movie", "but a comedy instead"),
            ("a 90s horror movie", "no gore please"),
            ("a 90s horror movie", "under 2 hours"),
            ("a 90s horror movie", "something else"),
            ("like Alien", "the same but a comedy"),
        ] {
            assert_eq!(kind(before, text), Turn::Refine, "{before:?} then {text:?}");
        }
    }

    #[test]
    fn a_refinement_is_said_in_words_and_nothing_new_says_nothing() {
        let (movies, idx) = setup();
        let title = |m: MovieId| {
            movies
                .iter()
                .find(|x| x.id == m)
                .map(|x| x.info.display_title())
        };
        let old = parse_wish("a horror movie from the 90s", &idx, &movies, NOW);
        let mut new = old.clone();
        apply_critique(&mut new, &Critique::Funnier, &[], &idx, &movies, NOW);
        assert_eq!(change_from(&old, &new, title).as_deref(), Some("funny"));
        let mut new = old.clone();
        apply_critique(
            &mut new,
            &Critique::Text("no gore, under 2 hours".into()),
            &[],
            &idx,
            &movies,
            NOW,
        );
        let said = change_from(&old, &new, title).expect("a change");
        assert!(said.contains("under 2 hours"), "{said}");
        assert!(said.contains("nothing too"), "{said}");
        let heat = id_of(&movies, "Heat (1995)");
        let mut new = old.clone();
        apply_critique(&mut new, &Critique::Seen(heat), &[], &idx, &movies, NOW);
        assert_eq!(
            change_from(&old, &new, title).as_deref(),
            Some("without the film you've seen")
        );
        assert_eq!(change_from(&old, &old.clone(), title), None);
    }
}
