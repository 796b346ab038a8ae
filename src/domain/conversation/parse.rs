//! Free text → [`Wish`]: reference films, genres and moods, eras, runtime, people, exclusions
//! and audience. Rule based and deterministic: reads at most [`MAX_CHARS`] characters, never
//! panics, and never stores an `@`, `<` or `>`, so nothing it echoes can become a mention.

use std::collections::HashSet;

use super::lexicon::{FILLER, MOODS, NEGATORS, STOPS, TRIGGERS};
use super::tokens::{Tok, tokenize};
use super::wish::{Audience, MAX_CHARS, Wish, push_unique, sanitize};
use crate::domain::catalog::search::{Lookup, TitleIndex};
use crate::domain::catalog::{Genre, Movie};
use crate::domain::ids::MovieId;

/// Parses free text (any length; only the first 4,000 characters are read; never panics).
/// `now_year` for "recent". `movies` is the catalog behind `index` (titles for nothing else
/// than checking that a resolved film exists).
pub fn parse_wish(text: &str, index: &TitleIndex, movies: &[Movie], now_year: i32) -> Wish {
    let text: String = text.chars().take(MAX_CHARS).collect();
    let mut wish = Wish::default();
    let mut quoted_spans = Vec::new();
    let mut unquoted = String::with_capacity(text.len());
    for (i, part) in text.split(['"', '“', '”']).enumerate() {
        if i % 2 == 1 && !part.trim().is_empty() && part.chars().count() <= 80 {
            quoted_spans.push(part.to_owned());
            unquoted.push_str(" ; ");
        } else {
            unquoted.push_str(part);
            unquoted.push_str(" ; ");
        }
    }
    let known: HashSet<MovieId> = movies.iter().map(|m| m.id).collect();
    for q in &quoted_spans {
        match resolve(index, q) {
            Some(id) if known.is_empty() || known.contains(&id) => {
                push_unique(&mut wish.references, id);
            }
            _ => push_unique(&mut wish.unresolved, sanitize(q)),
        }
    }
    let toks = tokenize(&unquoted);
    let mut used = vec![false; toks.len()];
    references(&toks, &mut used, index, &known, &mut wish);
    if toks.windows(2).any(|p| {
        matches!(p[0].low.as_str(), "sequel" | "follow-up")
            && matches!(p[1].low.as_str(), "to" | "of")
    }) {
        sequels(movies, &mut wish);
    }
    people(&toks, &mut used, &mut wish);
    people_in_lower_case(&toks, &mut used, movies, &mut wish);
    years(&toks, &mut used, now_year, &mut wish);
    runtime(&toks, &mut used, &mut wish);
    words(&toks, &used, &mut wish);
    wish.check_contradictions();
    wish
}

/// The fuzzy score of a near miss (one or two letters off) in [`TitleIndex::lookup`].
const TYPO_SCORE: f64 = 0.45;

fn resolve(index: &TitleIndex, query: &str) -> Option<MovieId> {
    match index.lookup(query, 3) {
        Lookup::Found(h) => Some(h.id),
        Lookup::Ambiguous(hs) => hs.first().map(|h| h.id),
        Lookup::Suggestions(_) => None,
    }
}

fn matches_at(toks: &[Tok], i: usize, seq: &[&str]) -> bool {
    seq.iter()
        .enumerate()
        .all(|(k, w)| toks.get(i + k).is_some_and(|t| t.low == *w))
}

fn is_genre_or_mood_word(w: &str) -> bool {
    w.parse::<Genre>().is_ok()
        || MOODS.iter().any(|m| m.words.contains(&w))
        || audience_of(w).is_some()
}

/// The longest span starting at `start` (same clause, at most 8 words) that names a film.
fn longest_title(
    toks: &[Tok],
    start: usize,
    used: &[bool],
    index: &TitleIndex,
    known: &HashSet<MovieId>,
) -> Option<(MovieId, usize)> {
    let clause = toks.get(start)?.clause;
    let mut end = start;
    while end < toks.len() && end - start < 8 && toks[end].clause == clause && !used[end] {
        end += 1;
    }
    // Exact titles first, at every length; then one clear typo ("the godfathr").
    for typo in [false, true] {
        for e in (start + 1..=end).rev() {
            let span = &toks[start..e];
            // A lone short common word is not a title ("like it", "like to").
            if span.len() == 1 && FILLER.contains(&span[0].low.as_str()) {
                continue;
            }
            let q: Vec<&str> = span.iter().map(|t| t.orig.as_str()).collect();
            let q = q.join(" ");
            let id = if typo {
                resolve_typo(index, &q)
            } else {
                resolve(index, &q)
            };
            if let Some(id) = id
                && (known.is_empty() || known.contains(&id))
            {
                return Some((id, e));
            }
        }
    }
    None
}

/// A title typed with a typo: the closest title when it is close (a fuzzy match of at least
/// [`TYPO_SCORE`], with at least five letters typed) and clearly closer than the next one.
fn resolve_typo(index: &TitleIndex, query: &str) -> Option<MovieId> {
    if query.chars().filter(|c| c.is_alphabetic()).count() < 5 {
        return None;
    }
    let Lookup::Suggestions(hits) = index.lookup(query, 2) else {
        return None;
    };
    let first = hits.first().filter(|h| h.score >= TYPO_SCORE)?;
    hits.get(1)
        .is_none_or(|second| second.score < first.score)
        .then_some(first.id)
}

fn references(
    toks: &[Tok],
    used: &mut [bool],
    index: &TitleIndex,
    known: &HashSet<MovieId>,
    wish: &mut Wish,
) {
    let n = toks.len();
    let mut i = 0;
    while i < n {
        // "X meets Y", "X x Y"
        let blend = matches!(toks[i].low.as_str(), "meet" | "x" | "×" | "vs" | "versus");
        if toks[i].low == "meets" || blend && i > 0 {
            let clause = toks[i].clause;
            let mut found_left = false;
            for s in (i.saturating_sub(8)..i).filter(|&s| toks[s].clause == clause && !used[s]) {
                if (s..i).any(|k| used[k]) {
                    continue;
                }
                let q: Vec<&str> = toks[s..i].iter().map(|t| t.orig.as_str()).collect();
                if toks[s..i].len() == 1 && FILLER.contains(&toks[s].low.as_str()) {
                    continue;
                }
                if let Some(id) = resolve(index, &q.join(" "))
                    && (known.is_empty() || known.contains(&id))
                {
                    push_unique(&mut wish.references, id);
                    used[s..i].iter_mut().for_each(|u| *u = true);
                    found_left = true;
                    break;
                }
            }
            if found_left || toks[i].low == "meets" {
                used[i] = true;
                i = take_titles(toks, i + 1, used, index, known, wish);
                continue;
            }
        }
        let trig = TRIGGERS
            .iter()
            .find(|seq| matches_at(toks, i, seq))
            .map(|seq| seq.len());
        if let Some(len) = trig {
            let prev = i.checked_sub(1).map(|p| toks[p].low.as_str());
            let polite = matches!(
                prev,
                Some(
                    "would" | "i'd" | "id" | "we'd" | "you'd" | "feel" | "feels" | "look" | "looks"
                )
            );
            if !polite && i + len < n && toks[i + len].clause == toks[i].clause {
                let next = i + len;
                let first = toks[next].low.as_str();
                if !FILLER.contains(&first) && !is_genre_or_mood_word(first) {
                    used[i..next].iter_mut().for_each(|u| *u = true);
                    i = take_titles(toks, next, used, index, known, wish);
                    continue;
                }
                if first == "the" || first == "a" {
                    // "like The Thing", "like A Quiet Place": try with the article.
                    if let Some((id, e)) = longest_title(toks, next, used, index, known)
                        && e > next + 1
                    {
                        push_unique(&mut wish.references, id);
                        used[i..e].iter_mut().for_each(|u| *u = true);
                        i = e;
                        continue;
                    }
                }
            }
        }
        i += 1;
    }
}

/// "The sequel to Toy Story": the film that continues each reference (the earliest later film
/// whose title starts with the reference's, followed by a number, a colon or "Part") is
/// wanted, when the catalog has one; the reference stays, for the picks after it.
fn sequels(movies: &[Movie], wish: &mut Wish) {
    for k in 0..wish.references.len() {
        let r = wish.references[k];
        let Some(first) = movies.iter().find(|m| m.id == r) else {
            continue;
        };
        let title = first.info.title.to_lowercase();
        let year = first.info.year.unwrap_or(i32::MIN);
        let next = movies
            .iter()
            .filter(|m| m.id != first.id && m.info.year.is_some_and(|y| y >= year))
            .filter(|m| {
                let t = m.info.title.to_lowercase();
                t.strip_prefix(&title).is_some_and(|rest| {
                    let rest = rest.trim_start();
                    rest.starts_with(|c: char| c.is_ascii_digit() || c == ':')
                        || rest.starts_with("part")
                        || rest.starts_with("ii")
                })
            })
            .min_by_key(|m| (m.info.year, m.id));
        if let Some(next) = next {
            push_unique(&mut wish.wanted, next.id);
        }
    }
}

/// Reads titles from `start`: "Alien", "Alien and Heat", "Alien or Aliens". Unknown titles go
/// to `unresolved`. Returns the next token to look at.
fn take_titles(
    toks: &[Tok],
    mut start: usize,
    used: &mut [bool],
    index: &TitleIndex,
    known: &HashSet<MovieId>,
    wish: &mut Wish,
) -> usize {
    loop {
        if start >= toks.len() || used[start] {
            return start;
        }
        if let Some((id, e)) = longest_title(toks, start, used, index, known) {
            push_unique(&mut wish.references, id);
            used[start..e].iter_mut().for_each(|u| *u = true);
            let joiner = toks.get(e).is_some_and(|t| {
                matches!(t.low.as_str(), "and" | "or" | "meets" | "&" | "plus")
                    && t.clause == toks[start].clause
            });
            if joiner && e + 1 < toks.len() {
                let next = toks[e + 1].low.as_str();
                if !FILLER.contains(&next) && !is_genre_or_mood_word(next) {
                    used[e] = true;
                    start = e + 1;
                    continue;
                }
            }
            return e;
        }
        // Not found: keep what looks like a title for "did you mean".
        let clause = toks[start].clause;
        let mut end = start;
        while end < toks.len()
            && end - start < 6
            && toks[end].clause == clause
            && !STOPS.contains(&toks[end].low.as_str())
            && !is_genre_or_mood_word(&toks[end].low)
        {
            end += 1;
        }
        if end > start {
            let words: Vec<&str> = toks[start..end].iter().map(|t| t.orig.as_str()).collect();
            let title = sanitize(&words.join(" "));
            let looks_like_title = toks[start]
                .orig
                .chars()
                .next()
                .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit());
            if !title.is_empty() && looks_like_title {
                push_unique(&mut wish.unresolved, title);
                used[start..end].iter_mut().for_each(|u| *u = true);
            }
            return end;
        }
        return start + 1;
    }
}

fn people(toks: &[Tok], used: &mut [bool], wish: &mut Wish) {
    let triggers: &[&[&str]] = &[
        &["with"],
        &["starring"],
        &["featuring"],
        &["feat"],
        &["by"],
        &["directed", "by"],
        &["director"],
        &["actor"],
        &["actress"],
        &["stars"],
    ];
    let mut i = 0;
    while i < toks.len() {
        let Some(len) = triggers
            .iter()
            .find(|s| matches_at(toks, i, s))
            .map(|s| s.len())
        else {
            i += 1;
            continue;
        };
        let start = i + len;
        let mut end = start;
        while end < toks.len()
            && end - start < 4
            && !used[end]
            && toks[end].clause == toks[i].clause
            && toks[end]
                .orig
                .chars()
                .next()
                .is_some_and(char::is_uppercase)
            && !matches!(toks[end].low.as_str(), "i" | "my" | "the" | "a" | "an")
            && !is_genre_or_mood_word(&toks[end].low)
        {
            end += 1;
        }
        if end > start {
            let name: Vec<&str> = toks[start..end].iter().map(|t| t.orig.as_str()).collect();
            let name = sanitize(&name.join(" "));
            if !name.is_empty() {
                push_unique(&mut wish.people, name);
                used[i..end].iter_mut().for_each(|u| *u = true);
            }
            i = end;
        } else {
            i += 1;
        }
    }
}

/// Words never read as a person's name, however the catalog's people are called.
const NOT_A_NAME: &[&str] = &[
    "i",
    "me",
    "my",
    "the",
    "a",
    "an",
    "some",
    "any",
    "lots",
    "lot",
    "no",
    "more",
    "less",
    "good",
    "great",
    "nice",
    "fun",
    "new",
    "old",
    "big",
    "little",
    "real",
    "true",
    "friends",
    "family",
    "kids",
    "someone",
    "something",
    "anything",
    "everyone",
    "people",
    "time",
    "love",
    "music",
    "action",
    "it",
    "that",
    "this",
    "him",
    "her",
    "them",
    "us",
    "you",
    "your",
    "our",
    "their",
    "short",
    "long",
    "quick",
    "foreign",
    "french",
    "indie",
    "recent",
    "classic",
    "famous",
    "popular",
    "animated",
    "silent",
    "cult",
    "bad",
    "best",
    "better",
    "night",
    "date",
    "movie",
    "film",
    "story",
    "war",
    "man",
    "woman",
    "girl",
    "boy",
    "day",
    "life",
    "world",
    "home",
];

/// A person of the catalog called `words` (lowercase): a director or cast member with exactly
/// that name, or, when `surname` is allowed, a director whose last name it is (at least four
/// letters; "nolan" → "Christopher Nolan"; two directors of that name give the name as typed).
fn catalog_person(movies: &[Movie], words: &str, surname: bool) -> Option<String> {
    if words.split(' ').any(|w| NOT_A_NAME.contains(&w)) {
        return None;
    }
    let mut by_surname: Option<&str> = None;
    let mut several = false;
    for m in movies {
        for name in m.info.directors.iter().chain(&m.info.cast) {
            if name.to_lowercase() == words {
                return Some(sanitize(name));
            }
        }
        if surname && !words.contains(' ') && words.chars().count() >= 4 {
            for name in &m.info.directors {
                let last = name.split_whitespace().last().map(str::to_lowercase);
                if last.as_deref() == Some(words) {
                    match by_surname {
                        None => by_surname = Some(name),
                        Some(n) if n != name => several = true,
                        Some(_) => {}
                    }
                }
            }
        }
    }
    by_surname.map(|n| {
        if several {
            let mut c = words.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect())
                .unwrap_or_default()
        } else {
            sanitize(n)
        }
    })
}

/// People typed in lower case, found in the catalog: "anything with tom hanks", "directed by
/// nolan", "a miyazaki film", "a tom hanks comedy", "some nolan movies". After "with",
/// "starring" or "featuring" a full name is needed; after "by" or "directed by", and in
/// "a … film" (or genre), a director's last name is enough.
fn people_in_lower_case(toks: &[Tok], used: &mut [bool], movies: &[Movie], wish: &mut Wish) {
    let n = toks.len();
    let free = |k: usize, clause: usize, used: &[bool]| {
        k < n && !used[k] && toks[k].clause == clause && !is_genre_or_mood_word(&toks[k].low)
    };
    let mut i = 0;
    while i < n {
        let w = toks[i].low.as_str();
        let (start, surname) = match w {
            "with" | "starring" | "featuring" => (i + 1, false),
            "by" | "a" | "an" | "some" | "any" | "more" => (i + 1, true),
            _ => {
                i += 1;
                continue;
            }
        };
        let article = matches!(w, "a" | "an" | "some" | "any" | "more");
        let clause = toks[i].clause;
        let mut found = None;
        for len in (1..=3).rev() {
            if !(start..start + len).all(|k| free(k, clause, used)) {
                continue;
            }
            // "a miyazaki film", "some nolan movies", "a tom hanks comedy": the name is followed
            // by film/movie/flick or a genre or mood.
            if article
                && !toks.get(start + len).is_some_and(|t| {
                    matches!(
                        t.low.as_str(),
                        "film" | "movie" | "flick" | "films" | "movies" | "flicks"
                    ) || is_genre_or_mood_word(&t.low)
                })
            {
                continue;
            }
            let words: Vec<&str> = toks[start..start + len]
                .iter()
                .map(|t| t.low.as_str())
                .collect();
            if let Some(name) = catalog_person(movies, &words.join(" "), surname) {
                found = Some((name, start + len));
                break;
            }
        }
        if let Some((name, end)) = found {
            push_unique(&mut wish.people, name);
            used[start..end].iter_mut().for_each(|u| *u = true);
            i = end;
        } else {
            i += 1;
        }
    }
}

fn decade_of(w: &str) -> Option<i32> {
    let named = match w {
        "twenties" => Some(1920),
        "thirties" => Some(1930),
        "forties" => Some(1940),
        "fifties" => Some(1950),
        "sixties" => Some(1960),
        "seventies" => Some(1970),
        "eighties" => Some(1980),
        "nineties" => Some(1990),
        "noughties" | "aughts" => Some(2000),
        _ => None,
    };
    if named.is_some() {
        return named;
    }
    let w = w.trim_start_matches('\'').trim_end_matches("'s");
    let digits = w.strip_suffix('s')?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let v: i32 = digits.parse().ok()?;
    match digits.len() {
        2 if v % 10 == 0 => Some(if v >= 30 { 1900 + v } else { 2000 + v }),
        4 if v % 10 == 0 && (1900..2100).contains(&v) => Some(v),
        _ => None,
    }
}

fn year_of(w: &str) -> Option<i32> {
    if w.len() == 4 && w.bytes().all(|b| b.is_ascii_digit()) {
        let y: i32 = w.parse().ok()?;
        (1890..=2100).contains(&y).then_some(y)
    } else {
        None
    }
}

#[allow(clippy::many_single_char_names)]
fn years(toks: &[Tok], used: &mut [bool], now: i32, wish: &mut Wish) {
    let mut lo: Option<i32> = None;
    let mut hi: Option<i32> = None;
    let widen = |a: i32, b: i32, lo: &mut Option<i32>, hi: &mut Option<i32>| {
        *lo = Some(lo.map_or(a, |x| x.min(a)));
        *hi = Some(hi.map_or(b, |x| x.max(b)));
    };
    let n = toks.len();
    let mut i = 0;
    while i < n {
        if used[i] {
            i += 1;
            continue;
        }
        let w = toks[i].low.as_str();
        let prev = i.checked_sub(1).map(|p| toks[p].low.as_str());
        let prev2 = i.checked_sub(2).map(|p| toks[p].low.as_str());
        let bound = match (prev2, prev) {
            (_, Some("before" | "pre" | "until" | "till")) | (Some("before"), Some("the")) => {
                Some(true)
            }
            (Some("older"), Some("than")) => Some(true),
            (_, Some("after" | "since" | "post")) | (Some("after" | "since"), Some("the")) => {
                Some(false)
            }
            (Some("newer"), Some("than")) => Some(false),
            _ => None,
        };
        let someones_age = |p: Option<&str>| {
            matches!(
                p,
                Some("their" | "his" | "her" | "my" | "our" | "your" | "whose")
            )
        };
        let age = someones_age(prev)
            || matches!(prev, Some("early" | "mid" | "late")) && someones_age(prev2);
        if age && decade_of(w).is_some() {
            // "friends in their twenties" is an age, not an era.
            used[i] = true;
        } else if let Some(d) = decade_of(w) {
            used[i] = true;
            let (a, b) = match prev {
                Some("early") => (d, d + 4),
                Some("mid" | "mid-") => (d + 3, d + 6),
                Some("late") => (d + 5, d + 9),
                _ => (d, d + 9),
            };
            match bound {
                Some(true) => hi = Some(d - 1),
                Some(false) => lo = Some(if prev == Some("since") { d } else { d + 10 }),
                None => widen(a, b, &mut lo, &mut hi),
            }
        } else if let Some(y) = year_of(w) {
            used[i] = true;
            match bound {
                Some(true) => hi = Some(y - 1),
                Some(false) => lo = Some(if prev == Some("since") { y } else { y + 1 }),
                None => {
                    if prev == Some("between")
                        && toks
                            .get(i + 1)
                            .is_some_and(|t| t.low == "and" || t.low == "to")
                        && let Some(y2) = toks.get(i + 2).and_then(|t| year_of(&t.low))
                    {
                        used[i + 2] = true;
                        widen(y.min(y2), y.max(y2), &mut lo, &mut hi);
                        i += 3;
                        continue;
                    }
                    widen(y, y, &mut lo, &mut hi);
                }
            }
        } else if let Some((a, b)) = w.split_once('-')
            && let (Some(a), Some(b)) = (year_of(a), year_of(b))
        {
            used[i] = true;
            widen(a.min(b), a.max(b), &mut lo, &mut hi);
        } else {
            match w {
                "recent" | "latest" | "newest" | "new-ish" => {
                    lo = Some(lo.map_or(now - 5, |x| x.max(now - 5)));
                }
                "modern" => lo = Some(lo.map_or(2000, |x| x.max(2000))),
                "classic" | "classics" | "vintage" | "oldie" | "oldies" | "old-school"
                | "old-fashioned" => hi = Some(hi.map_or(now - 40, |x| x.min(now - 40))),
                "old" | "older" if !matches!(prev, Some("year" | "years")) => {
                    hi = Some(hi.map_or(now - 30, |x| x.min(now - 30)));
                }
                "year" if matches!(prev, Some("this")) => widen(now, now, &mut lo, &mut hi),
                "year" if matches!(prev, Some("last")) => widen(now - 1, now - 1, &mut lo, &mut hi),
                _ => {}
            }
        }
        i += 1;
    }
    wish.min_year = lo;
    wish.max_year = hi;
}

fn number_word(w: &str) -> Option<f64> {
    Some(match w {
        "a" | "an" | "one" => 1.0,
        "two" => 2.0,
        "three" => 3.0,
        "four" => 4.0,
        "ninety" => 90.0,
        _ => {
            let v: f64 = w.parse().ok()?;
            if !v.is_finite() || v <= 0.0 {
                return None;
            }
            v
        }
    })
}

/// Minutes from "2 hours", "90 minutes", "2h", "90min", "1.5hrs", "90-minute", "an hour and a half".
fn duration_at(toks: &[Tok], i: usize) -> Option<(i32, usize)> {
    let w = toks.get(i)?.low.as_str();
    let unit_min = |u: &str| -> Option<f64> {
        match u {
            "h" | "hr" | "hrs" | "hour" | "hours" | "hour-long" => Some(60.0),
            "m" | "min" | "mins" | "minute" | "minutes" => Some(1.0),
            _ => None,
        }
    };
    // Glued: "2h", "90min", "90-minute", "2-hour".
    let split = w
        .find(|c: char| c.is_alphabetic())
        .filter(|&p| p > 0)
        .map(|p| w.split_at(p));
    if let Some((num, unit)) = split {
        let num = num.trim_end_matches('-');
        if let (Some(v), Some(u)) = (number_word(num), unit_min(unit)) {
            // No film lasts a thousand minutes; a huge number is no length at all.
            return (v * u < 1_000.0).then(|| ((v * u).round() as i32, i + 1));
        }
    }
    let v = number_word(w)?;
    let u = unit_min(toks.get(i + 1)?.low.as_str())?;
    let mut minutes = v * u;
    let mut next = i + 2;
    if u > 1.0 && matches_at(toks, next, &["and", "a", "half"]) {
        minutes += 30.0;
        next += 3;
    }
    (minutes < 1_000.0).then(|| (minutes.round() as i32, next))
}

/// A bound written after a duration: `Some((true, end))` for "or less", "max", "tops", "at
/// most"; `Some((false, end))` for "plus", "or more", "or longer", "and up", "at least",
/// "minimum"; `end` is the first word after it.
fn trailing_bound(toks: &[Tok], at: usize) -> Option<(bool, usize)> {
    const AFTER: [(&[&str], bool); 12] = [
        (&["or", "less"], true),
        (&["or", "shorter"], true),
        (&["at", "most"], true),
        (&["max"], true),
        (&["maximum"], true),
        (&["tops"], true),
        (&["plus"], false),
        (&["or", "more"], false),
        (&["or", "longer"], false),
        (&["and", "up"], false),
        (&["at", "least"], false),
        (&["minimum"], false),
    ];
    AFTER
        .iter()
        .find(|(seq, _)| matches_at(toks, at, seq))
        .map(|(seq, upper)| (*upper, at + seq.len()))
}

fn runtime(toks: &[Tok], used: &mut [bool], wish: &mut Wish) {
    let n = toks.len();
    let mut i = 0;
    while i < n {
        let w = toks[i].low.as_str();
        let (upper, skip) = if matches!(
            w,
            "under" | "below" | "within" | "max" | "maximum" | "shorter" | "less" | "most"
        ) {
            let skip = usize::from(toks.get(i + 1).is_some_and(|t| t.low == "than"));
            (Some(true), skip)
        } else if matches!(
            w,
            "over" | "longer" | "more" | "least" | "minimum" | "above"
        ) {
            let skip = usize::from(toks.get(i + 1).is_some_and(|t| t.low == "than"));
            (Some(false), skip)
        } else {
            (None, 0)
        };
        if upper.is_none()
            && !used[i]
            && let Some((mins, next)) = duration_at(toks, i)
            && let Some((upper, after)) = trailing_bound(toks, next)
        {
            // "3 hours plus", "2 hours or less", "90 minutes max".
            if upper {
                wish.max_runtime = Some(mins);
            } else {
                wish.min_runtime = Some(mins);
            }
            used[i..after].iter_mut().for_each(|u| *u = true);
            i = after;
            continue;
        }
        if let Some(upper) = upper
            && let Some((mins, next)) = duration_at(toks, i + 1 + skip)
        {
            if upper {
                wish.max_runtime = Some(mins);
            } else {
                wish.min_runtime = Some(mins);
            }
            used[i..next].iter_mut().for_each(|u| *u = true);
            i = next;
            continue;
        }
        if upper.is_none()
            && !used[i]
            && let Some((mins, next)) = duration_at(toks, i)
        {
            // A length with no bound ("an hour and a half long", "about 2 hours", "a 3-hour
            // film") is about that long: up to 20 minutes shorter or 10 longer.
            let after = next
                + usize::from(
                    toks.get(next)
                        .is_some_and(|t| matches!(t.low.as_str(), "long" | "ish" | "or-so")),
                );
            wish.min_runtime = Some((mins - 20).max(1));
            wish.max_runtime = Some(mins + 10);
            used[i..after].iter_mut().for_each(|u| *u = true);
            i = after;
            continue;
        }
        if !used[i] {
            let prev = i.checked_sub(1).map(|p| toks[p].low.as_str());
            let prev2 = i.checked_sub(2).map(|p| toks[p].low.as_str());
            let negated = matches!(prev, Some("not" | "no"))
                || matches!(
                    (prev2, prev),
                    (
                        Some("not" | "nothing" | "isn't"),
                        Some("too" | "very" | "that" | "so")
                    )
                );
            match w {
                "short" | "shorter" | "quick" | "shortish" | "brief" if !negated => {
                    wish.max_runtime = Some(wish.max_runtime.map_or(100, |r| r.min(100)));
                    used[i] = true;
                }
                "long" | "lengthy" | "longer" if negated => {
                    wish.max_runtime = Some(wish.max_runtime.map_or(130, |r| r.min(130)));
                    used[i] = true;
                }
                "long" | "lengthy" | "longer" => {
                    wish.min_runtime = Some(wish.min_runtime.map_or(140, |r| r.max(140)));
                    used[i] = true;
                }
                _ => {}
            }
        }
        i += 1;
    }
}

fn audience_of(w: &str) -> Option<Audience> {
    Some(match w {
        "kids" | "kid" | "children" | "child" | "toddler" | "toddlers" | "kid-friendly"
        | "preschooler" | "7-year-old" | "little" => Audience::Kids,
        "family" | "family-friendly" | "families" => Audience::Family,
        "date" | "girlfriend" | "boyfriend" | "gf" | "bf" | "wife" | "husband" | "partner"
        | "valentine's" | "valentines" => Audience::Date,
        "adults" | "adult" | "grown-ups" | "grownups" | "grown-up" | "mature" | "r-rated" => {
            Audience::Adults
        }
        _ => return None,
    })
}

fn words(toks: &[Tok], used: &[bool], wish: &mut Wish) {
    let negated_at = |i: usize| {
        let clause = toks[i].clause;
        (i.saturating_sub(4)..i).any(|k| {
            toks[k].clause == clause
                && NEGATORS.contains(&toks[k].low.as_str())
                && !(toks[k].low == "anything" && toks.get(k + 1).is_none_or(|t| t.low != "but"))
        })
    };
    let mut i = 0;
    while i < toks.len() {
        if used[i] {
            i += 1;
            continue;
        }
        let w = toks[i].low.as_str();
        let next = toks
            .get(i + 1)
            .filter(|t| t.clause == toks[i].clause && !used[i + 1])
            .map(|t| t.low.as_str());
        let neg = negated_at(i);
        // Two-word phrases first.
        let pair = next.map(|n| format!("{w} {n}"));
        let pair_genres: Option<&[Genre]> = match pair.as_deref() {
            Some("science fiction" | "sci fi") => Some(&[Genre::SciFi]),
            Some("film noir") => Some(&[Genre::FilmNoir]),
            Some("rom com") => Some(&[Genre::Romance, Genre::Comedy]),
            Some("martial arts") => Some(&[Genre::Action]),
            _ => None,
        };
        if let Some(gs) = pair_genres {
            for &g in gs {
                add_genre(wish, g, neg);
            }
            i += 2;
            continue;
        }
        let pair_mood = match pair.as_deref() {
            Some("feel good") => Some("feel-good"),
            Some("mind bending" | "mind blowing" | "mind bender") => Some("mind-bending"),
            Some("edge of") => Some("exciting"),
            Some("outer space") => Some("space"),
            _ => None,
        };
        if let Some(m) = pair_mood {
            add_mood_word(wish, m, neg);
            i += 2;
            continue;
        }
        if matches!(pair.as_deref(), Some("date night" | "movie night")) && w == "date" && !neg {
            wish.audience = Some(Audience::Date);
            i += 2;
            continue;
        }
        if (w == "seen" || w == "watched") && neg
            || w == "unseen"
            || pair.as_deref() == Some("new to")
        {
            wish.exclude_seen = true;
        } else if let Some(a) = audience_of(w) {
            let little = w == "little" && !matches!(next, Some("ones" | "kids" | "one"));
            if !little {
                wish.audience = Some(if neg && a == Audience::Kids {
                    Audience::Adults
                } else if neg {
                    wish.audience.unwrap_or(Audience::Adults)
                } else {
                    a
                });
            }
        } else if let Some(m) = MOODS.iter().find(|m| m.words.contains(&w)) {
            add_mood_word(wish, m.name, neg);
        } else if w == "romcom" || w == "rom-com" || w == "romcoms" || w == "rom-coms" {
            add_genre(wish, Genre::Romance, neg);
            add_genre(wish, Genre::Comedy, neg);
        } else if matches!(w, "cartoon" | "cartoons" | "pixar" | "disney") {
            add_genre(wish, Genre::Animation, neg);
        } else if matches!(w, "whodunit" | "whodunnit" | "detective") {
            add_genre(wish, Genre::Mystery, neg);
        } else if matches!(w, "heist" | "gangster" | "mafia" | "mob") {
            add_genre(wish, Genre::Crime, neg);
        } else if matches!(
            w,
            "doc" | "funny" | "kids" | "children" | "family" | "music"
        ) {
            // Moods and audiences above; "doc"/"music" are too ambiguous alone.
        } else if let Ok(g) = w.parse::<Genre>() {
            add_genre(wish, g, neg);
        }
        i += 1;
    }
}

pub(super) fn add_genre(wish: &mut Wish, g: Genre, negated: bool) {
    if negated {
        wish.genres.retain(|x| *x != g);
        push_unique(&mut wish.not_genres, g);
    } else {
        push_unique(&mut wish.genres, g);
    }
}

pub(super) fn add_mood_word(wish: &mut Wish, mood: &str, negated: bool) {
    if negated {
        wish.drop_mood(mood);
        push_unique(&mut wish.not_moods, mood.to_owned());
    } else {
        wish.add_mood(mood);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::conversation::wish::tests::{NOW, id_of, setup, title};
    use crate::domain::conversation::wish::{Critique, apply_critique};

    fn check(w: &Wish, movies: &[Movie], key: &str, val: &str) -> Result<(), String> {
        let list = |v: &str| -> Vec<String> {
            v.split('|')
                .filter(|x| !x.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let opt = |o: Option<i32>| o.map_or(String::new(), |v| v.to_string());
        let (got, want): (String, String) = match key {
            "refs" => (
                w.references
                    .iter()
                    .map(|&r| title(movies, r))
                    .collect::<Vec<_>>()
                    .join("|"),
                val.to_owned(),
            ),
            "unresolved" => (w.unresolved.join("|"), val.to_owned()),
            "wanted" => (
                w.wanted
                    .iter()
                    .map(|&r| title(movies, r))
                    .collect::<Vec<_>>()
                    .join("|"),
                val.to_owned(),
            ),
            "genres" => {
                let mut g: Vec<String> = w.genres.iter().map(|g| g.name().to_owned()).collect();
                let mut e = list(val);
                g.sort();
                e.sort();
                (g.join("|"), e.join("|"))
            }
            "not_genres" => {
                let mut g: Vec<String> = w.not_genres.iter().map(|g| g.name().to_owned()).collect();
                let mut e = list(val);
                g.sort();
                e.sort();
                (g.join("|"), e.join("|"))
            }
            "moods" => {
                let mut g = w.moods.clone();
                let mut e = list(val);
                g.sort();
                e.sort();
                (g.join("|"), e.join("|"))
            }
            "not_moods" => (w.not_moods.join("|"), val.to_owned()),
            "min_year" => (opt(w.min_year), val.to_owned()),
            "max_year" => (opt(w.max_year), val.to_owned()),
            "max_runtime" => (opt(w.max_runtime), val.to_owned()),
            "min_runtime" => (opt(w.min_runtime), val.to_owned()),
            "people" => (w.people.join("|"), val.to_owned()),
            "seen" => (u8::from(w.exclude_seen).to_string(), val.to_owned()),
            "audience" => (
                w.audience.map_or(String::new(), |a| format!("{a:?}")),
                val.to_owned(),
            ),
            "vague" => (u8::from(w.is_vague()).to_string(), val.to_owned()),
            "contradictions" => (w.contradictions.len().to_string(), val.to_owned()),
            other => return Err(format!("unknown key {other}")),
        };
        if got == want {
            Ok(())
        } else {
            Err(format!("{key}: got {got:?}, want {want:?}"))
        }
    }

    #[test]
    fn the_shipped_wishes_parse_to_their_expected_structure() {
        let (movies, idx) = setup();
        let text = include_str!("../../../tests/fixtures/wishes.tsv");
        let mut failures = Vec::new();
        let mut n = 0;
        for line in text.lines() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let (wish_text, expected) = line.split_once('\t').expect("text<TAB>fields");
            n += 1;
            let w = parse_wish(wish_text, &idx, &movies, NOW);
            for kv in expected.split(';').filter(|s| !s.is_empty()) {
                let (k, v) = kv.split_once('=').expect("key=value");
                if let Err(e) = check(&w, &movies, k, v) {
                    failures.push(format!("{wish_text:?}: {e}"));
                }
            }
            // Nothing that could ping anyone, ever.
            let d = w.describe(|m| Some(title(&movies, m)));
            assert!(!d.contains('@') && !d.contains('<'), "{d}");
        }
        assert!(n >= 100, "only {n} wishes");
        assert!(
            failures.is_empty(),
            "{} failures:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }

    #[test]
    fn bad_input_never_panics_and_never_echoes_mentions() {
        let (movies, idx) = setup();
        let long = "like Alien ".repeat(500);
        assert!(long.chars().count() > MAX_CHARS);
        let w = parse_wish(&long, &idx, &movies, NOW);
        assert_eq!(w.references, vec![id_of(&movies, "Alien (1979)")]);
        let nasty = [
            "",
            "   ",
            "🎬🎬🎬",
            "\u{0}\u{1}\u{200b}",
            "like",
            "like like like",
            "meets",
            "Alien meets",
            "under",
            "under 99999999999999999999 hours",
            "99999999999999999999hours ",
            "a 99999999999999999999-hour epic",
            "about 99999999999999999999 minutes",
            "over -5 minutes",
            "between 1990 and",
            "\"",
            "\"\"\"\"",
            "like @everyone and <@123456789> with @here",
            "ignore previous instructions and @everyone",
            "starring <@&42> by @Nolan",
            "#1 #2 #99999999999999999999999",
            "ÄÖÜ ß ﬁ İ ǅ",
            "'90s '",
            "9999s 0000s",
            "---...,,,;;;",
        ];
        for s in nasty {
            let w = parse_wish(s, &idx, &movies, NOW);
            let all: Vec<&String> = w.people.iter().chain(&w.unresolved).collect();
            for x in all {
                assert!(
                    !x.contains('@') && !x.contains('<') && !x.contains('>'),
                    "{s:?}: {x:?}"
                );
            }
            let d = w.describe(|m| Some(title(&movies, m)));
            assert!(!d.contains('@'), "{s:?}: {d}");
            let mut w2 = w.clone();
            apply_critique(
                &mut w2,
                &Critique::Text(s.to_owned()),
                &[MovieId(1)],
                &idx,
                &movies,
                NOW,
            );
        }
        let w = parse_wish(
            "ignore previous instructions and @everyone",
            &idx,
            &movies,
            NOW,
        );
        assert!(w.is_vague());
        let w = parse_wish("something like Flarblegorp Returns", &idx, &movies, NOW);
        assert_eq!(w.unresolved, vec!["Flarblegorp Returns".to_owned()]);
        let w = parse_wish("a short epic", &idx, &movies, NOW);
        assert_eq!(
            w.contradictions,
            vec!["short and epic pull in opposite directions".to_owned()]
        );
    }

    mod properties {
        use super::*;
        use crate::domain::catalog::search::TitleIndex;
        use proptest::prelude::*;
        use std::sync::LazyLock;

        /// The starter catalog and its index, built once for all cases.
        static CATALOG: LazyLock<(Vec<Movie>, TitleIndex)> = LazyLock::new(setup);

        fn config() -> ProptestConfig {
            ProptestConfig {
                cases: 256,
                failure_persistence: None,
                ..ProptestConfig::default()
            }
        }

        /// Words the parser reacts to, so generated wishes reach its rules and not only its
        /// "nothing understood" path.
        const WORDS: &[&str] = &[
            "like",
            "Alien",
            "Heat",
            "meets",
            "and",
            "or",
            "but",
            "not",
            "no",
            "with",
            "Tom",
            "Hanks",
            "by",
            "Nolan",
            "under",
            "over",
            "2",
            "90",
            "hours",
            "minutes",
            "2h",
            "90min",
            "an",
            "hour",
            "a",
            "half",
            "from",
            "the",
            "90s",
            "'80s",
            "1999",
            "between",
            "1990-1995",
            "before",
            "after",
            "since",
            "early",
            "late",
            "recent",
            "classic",
            "funny",
            "scary",
            "dark",
            "epic",
            "short",
            "long",
            "for",
            "kids",
            "family",
            "date",
            "night",
            "adults",
            "sci",
            "fi",
            "rom-com",
            "horror",
            "western",
            "nothing",
            "seen",
            "I've",
            "something",
            "\"",
            ",",
            ".",
            ";",
            "@everyone",
            "<@1>",
            "🎬",
            "ß",
            "\u{0}",
            "99999999999999999999",
            "-5",
            "0",
            "1.5",
            "than",
            "less",
            "more",
        ];

        /// Any text, or a few hundred characters of wish-like words.
        fn wish_text() -> impl Strategy<Value = String> {
            prop_oneof![
                "\\PC{0,300}",
                any::<String>(),
                proptest::collection::vec(
                    (
                        proptest::sample::select(WORDS),
                        proptest::sample::select(vec![" ", "", ", "])
                    ),
                    0..40,
                )
                .prop_map(|words| words.into_iter().fold(
                    String::new(),
                    |mut text, (w, sep)| {
                        text.push_str(w);
                        text.push_str(sep);
                        text
                    }
                )),
            ]
        }

        /// Genre words that name one genre and nothing else (no mood, no audience).
        const GENRE_WORDS: &[(&str, Genre)] = &[
            ("western", Genre::Western),
            ("horror", Genre::Horror),
            ("thriller", Genre::Thriller),
            ("documentary", Genre::Documentary),
            ("mystery", Genre::Mystery),
            ("fantasy", Genre::Fantasy),
            ("sci-fi", Genre::SciFi),
            ("war", Genre::War),
        ];

        /// Whether a film of the catalog, a person or an unresolved title could ping anyone.
        fn pings(s: &str) -> bool {
            s.contains('@') || s.contains('<') || s.contains('>')
        }

        proptest! {
            #![proptest_config(config())]

            /// Never panics; nothing kept or described can ping anyone; references are films
            /// of the catalog; the description is one non-empty line; a relaxed wish is
            /// never stricter.
            #[test]
            fn any_text_gives_a_sane_wish(text in wish_text()) {
                let (movies, idx) = &*CATALOG;
                let w = parse_wish(&text, idx, movies, NOW);
                for r in &w.references {
                    prop_assert!(movies.iter().any(|m| m.id == *r), "{r:?}");
                }
                for x in w.people.iter().chain(&w.unresolved) {
                    prop_assert!(!pings(x), "{text:?}: {x:?}");
                }
                let d = w.describe(|m| Some(title(movies, m)));
                prop_assert!(!d.is_empty() && !d.contains('\n') && !pings(&d), "{text:?}: {d:?}");
                for runtime in [w.min_runtime, w.max_runtime].into_iter().flatten() {
                    prop_assert!(runtime > 0, "{text:?}: {runtime}");
                }
                if let Some(r) = w.relaxed() {
                    prop_assert_ne!(&r, &w);
                    prop_assert_eq!(&r.not_genres, &w.not_genres);
                }
            }

            /// A genre word put anywhere in any text, as a clause of its own, is understood.
            #[test]
            fn a_genre_word_anywhere_is_found(
                text in "[^\"“”]{0,300}",
                at in any::<proptest::sample::Index>(),
                (word, genre) in proptest::sample::select(GENRE_WORDS),
            ) {
                let (movies, idx) = &*CATALOG;
                let cuts: Vec<usize> = text
                    .char_indices()
                    .map(|(i, _)| i)
                    .chain([text.len()])
                    .collect();
                let cut = *at.get(&cuts);
                let wish_text = format!("{} ; {word} ; {}", &text[..cut], &text[cut..]);
                let w = parse_wish(&wish_text, idx, movies, NOW);
                prop_assert!(w.genres.contains(&genre), "{wish_text:?}: {w:?}");
            }
        }
    }
}
