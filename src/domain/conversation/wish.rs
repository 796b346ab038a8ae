//! Free text → [`Wish`]: reference films, genres and moods, eras, runtime, people, exclusions
//! and audience; and critiques that refine a wish over the conversation.
//!
//! The parser is rule based and deterministic. It reads at most [`MAX_CHARS`] characters, never
//! panics, and never keeps an `@`, `<` or `>` in the strings it stores, so nothing it echoes can
//! become a Discord mention.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::domain::catalog::search::{Lookup, TitleIndex};
use crate::domain::catalog::{Genre, Movie};
use crate::domain::ids::MovieId;

/// Only this many characters of a wish are read.
pub const MAX_CHARS: usize = 4_000;

/// Who the film is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Audience {
    /// Children: family or animated films only, nothing scary or violent.
    Kids,
    /// The whole family: no horror.
    Family,
    /// A date night: romance and comedy are favoured.
    Date,
    /// Grown-ups only.
    Adults,
}

impl Audience {
    /// "for kids", "for the family", "for a date night", "for adults".
    pub const fn phrase(self) -> &'static str {
        match self {
            Audience::Kids => "for kids",
            Audience::Family => "for the family",
            Audience::Date => "for a date night",
            Audience::Adults => "for adults",
        }
    }
}

/// What someone is in the mood for, as understood from their words.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Wish {
    /// Films named as references ("like Alien", "Heat meets Ocean's Eleven").
    pub references: Vec<MovieId>,
    /// Titles named but not found (for "did you mean"), sanitised (no `@`, `<`, `>`).
    pub unresolved: Vec<String>,
    /// Wanted genres (a film needs at least one of them).
    pub genres: Vec<Genre>,
    /// Excluded genres ("no horror", "not animated").
    pub not_genres: Vec<Genre>,
    /// Canonical mood names: "funny", "scary", "feel-good", "mind-bending", "dark", "sad",
    /// "exciting", "epic", "light", "violent", "romantic-mood" ….
    pub moods: Vec<String>,
    /// Moods to avoid ("less violent", "not scary").
    #[serde(default)]
    pub not_moods: Vec<String>,
    /// Plot/keyword words the moods map to (matched against film keywords and overviews).
    pub keywords: Vec<String>,
    /// Earliest release year.
    pub min_year: Option<i32>,
    /// Latest release year.
    pub max_year: Option<i32>,
    /// Longest runtime in minutes.
    pub max_runtime: Option<i32>,
    /// Shortest runtime in minutes.
    pub min_runtime: Option<i32>,
    /// People named ("with Tom Hanks", "by Nolan"), as typed, trimmed and sanitised.
    pub people: Vec<String>,
    /// "Nothing I've seen": the caller adds the user's history to the exclusions.
    pub exclude_seen: bool,
    /// Who the film is for.
    pub audience: Option<Audience>,
    /// Films the user said during the conversation they have seen (never picked).
    #[serde(default)]
    pub seen: Vec<MovieId>,
    /// Human sentences about parts of the wish that pull against each other.
    pub contradictions: Vec<String>,
}

impl Wish {
    /// Nothing usable was understood (ask one clarifying question).
    pub fn is_vague(&self) -> bool {
        self.references.is_empty()
            && self.genres.is_empty()
            && self.not_genres.is_empty()
            && self.moods.is_empty()
            && self.not_moods.is_empty()
            && self.min_year.is_none()
            && self.max_year.is_none()
            && self.max_runtime.is_none()
            && self.min_runtime.is_none()
            && self.people.is_empty()
            && self.audience.is_none()
    }

    /// One line describing the wish ("funny sci-fi like Alien (1979), from the 90s").
    pub fn describe(&self, title_of: impl Fn(MovieId) -> Option<String>) -> String {
        let mut head: Vec<String> = self.moods.iter().map(|m| mood_label(m)).collect();
        head.extend(self.genres.iter().map(|g| g.name().to_lowercase()));
        let mut out = head.join(" ");
        let refs: Vec<String> = self
            .references
            .iter()
            .filter_map(|&m| title_of(m))
            .map(|t| sanitize(&t))
            .collect();
        if !refs.is_empty() {
            if out.is_empty() {
                out.push_str("something");
            }
            out.push_str(" like ");
            out.push_str(&join_or(&refs, "and"));
        }
        let mut tail = Vec::new();
        if let Some(era) = era_phrase(self.min_year, self.max_year) {
            tail.push(era);
        }
        if let Some(r) = self.max_runtime {
            tail.push(format!("under {}", minutes_phrase(r)));
        }
        if let Some(r) = self.min_runtime {
            tail.push(format!("over {}", minutes_phrase(r)));
        }
        if !self.people.is_empty() {
            tail.push(format!("with {}", join_or(&self.people, "and")));
        }
        if let Some(a) = self.audience {
            tail.push(a.phrase().to_owned());
        }
        if !self.not_genres.is_empty() {
            let names: Vec<String> = self
                .not_genres
                .iter()
                .map(|g| g.name().to_lowercase())
                .collect();
            tail.push(format!("no {}", join_or(&names, "or")));
        }
        if !self.not_moods.is_empty() {
            let names: Vec<String> = self.not_moods.iter().map(|m| mood_label(m)).collect();
            tail.push(format!("nothing too {}", join_or(&names, "or")));
        }
        if self.exclude_seen {
            tail.push("nothing you've seen".to_owned());
        }
        if out.is_empty() {
            out.push_str(if tail.is_empty() {
                "anything good"
            } else {
                "a film"
            });
        }
        for t in tail {
            out.push_str(", ");
            out.push_str(&t);
        }
        out
    }

    /// A looser wish for when the hard constraints leave nothing: drops, in order, people, the
    /// runtime bounds, the era, the wanted genres; `None` when nothing is left to drop. The
    /// exclusions (`not_genres`, audience) are kept.
    pub fn relaxed(&self) -> Option<Wish> {
        let mut w = self.clone();
        if !w.people.is_empty() {
            w.people.clear();
        } else if w.max_runtime.is_some() || w.min_runtime.is_some() {
            w.max_runtime = None;
            w.min_runtime = None;
        } else if w.min_year.is_some() || w.max_year.is_some() {
            w.min_year = None;
            w.max_year = None;
        } else if !w.genres.is_empty() {
            w.genres.clear();
        } else {
            return None;
        }
        Some(w)
    }

    /// Recomputes [`Wish::contradictions`] from the other fields.
    fn check_contradictions(&mut self) {
        let mut c = Vec::new();
        let short = self.max_runtime.is_some_and(|r| r <= 105);
        if short && self.moods.iter().any(|m| m == "epic") {
            c.push("short and epic pull in opposite directions".to_owned());
        }
        if let (Some(lo), Some(hi)) = (self.min_runtime, self.max_runtime)
            && lo > hi
        {
            c.push(format!(
                "over {} and under {} cannot both hold",
                minutes_phrase(lo),
                minutes_phrase(hi)
            ));
        }
        if let (Some(lo), Some(hi)) = (self.min_year, self.max_year)
            && lo > hi
        {
            c.push(format!("no year is both after {lo} and before {hi}"));
        }
        for g in &self.genres {
            if self.not_genres.contains(g) {
                c.push(format!(
                    "{} is both wanted and excluded",
                    g.name().to_lowercase()
                ));
            }
        }
        for m in &self.moods {
            if self.not_moods.contains(m) {
                c.push(format!("{} is both wanted and avoided", mood_label(m)));
            }
        }
        if self.audience == Some(Audience::Kids)
            && (self.genres.contains(&Genre::Horror) || self.moods.iter().any(|m| m == "scary"))
        {
            c.push("scary and for kids pull in opposite directions".to_owned());
        }
        if self.moods.iter().any(|m| m == "funny") && self.moods.iter().any(|m| m == "sad") {
            c.push("funny and sad pull in opposite directions".to_owned());
        }
        self.contradictions = c;
    }

    fn add_mood(&mut self, name: &str) {
        if let Some(m) = MOODS.iter().find(|m| m.name == name) {
            push_unique(&mut self.moods, m.name.to_owned());
            self.not_moods.retain(|x| x != m.name);
            for k in m.keywords {
                push_unique(&mut self.keywords, (*k).to_owned());
            }
        }
    }

    fn drop_mood(&mut self, name: &str) {
        if let Some(m) = MOODS.iter().find(|m| m.name == name) {
            self.moods.retain(|x| x != name);
            self.keywords.retain(|k| !m.keywords.contains(&k.as_str()));
        }
    }
}

/// Soft genre preferences of a mood (used by ranking).
pub fn mood_genres(mood: &str) -> &'static [Genre] {
    MOODS
        .iter()
        .find(|m| m.name == mood)
        .map_or(&[], |m| m.genres)
}

/// Keywords of a mood (used by ranking).
pub fn mood_keywords(mood: &str) -> &'static [&'static str] {
    MOODS
        .iter()
        .find(|m| m.name == mood)
        .map_or(&[], |m| m.keywords)
}

struct Mood {
    name: &'static str,
    words: &'static [&'static str],
    genres: &'static [Genre],
    keywords: &'static [&'static str],
}

const MOODS: &[Mood] = &[
    Mood {
        name: "funny",
        words: &[
            "funny",
            "funnier",
            "hilarious",
            "humorous",
            "humor",
            "humour",
            "comedic",
            "silly",
            "goofy",
            "laugh",
            "laughs",
            "laughing",
            "witty",
            "lol",
        ],
        genres: &[Genre::Comedy],
        keywords: &["comedy", "satire", "parody", "humor", "slapstick"],
    },
    Mood {
        name: "scary",
        words: &[
            "scary",
            "scarier",
            "creepy",
            "frightening",
            "terrifying",
            "spooky",
            "chilling",
            "horrifying",
            "eerie",
        ],
        genres: &[Genre::Horror, Genre::Thriller],
        keywords: &["horror", "monster", "ghost", "haunted", "supernatural"],
    },
    Mood {
        name: "feel-good",
        words: &[
            "feel-good",
            "feelgood",
            "uplifting",
            "heartwarming",
            "wholesome",
            "cheerful",
            "happy",
            "cheer",
            "sweet",
            "charming",
        ],
        genres: &[Genre::Comedy, Genre::Family, Genre::Romance],
        keywords: &["friendship", "family", "hope", "love", "underdog"],
    },
    Mood {
        name: "mind-bending",
        words: &[
            "mind-bending",
            "mindbending",
            "mind-blowing",
            "mindblowing",
            "mind-bender",
            "trippy",
            "twisty",
            "twist",
            "twists",
            "cerebral",
            "surreal",
            "puzzle",
        ],
        genres: &[Genre::SciFi, Genre::Mystery, Genre::Thriller],
        keywords: &[
            "twist ending",
            "dream",
            "time travel",
            "memory",
            "reality",
            "unreliable narrator",
        ],
    },
    Mood {
        name: "dark",
        words: &[
            "dark",
            "darker",
            "bleak",
            "gritty",
            "grim",
            "disturbing",
            "brooding",
            "noir-ish",
        ],
        genres: &[Genre::Crime, Genre::Thriller, Genre::Drama],
        keywords: &["murder", "revenge", "death", "corruption", "obsession"],
    },
    Mood {
        name: "sad",
        words: &[
            "sad",
            "tearjerker",
            "tear-jerker",
            "emotional",
            "moving",
            "heartbreaking",
            "melancholy",
            "cry",
        ],
        genres: &[Genre::Drama, Genre::Romance],
        keywords: &["grief", "loss", "tragedy", "illness", "death"],
    },
    Mood {
        name: "exciting",
        words: &[
            "exciting",
            "action-packed",
            "thrilling",
            "adrenaline",
            "intense",
            "explosive",
            "fast-paced",
            "gripping",
        ],
        genres: &[Genre::Action, Genre::Thriller, Genre::Adventure],
        keywords: &["chase", "heist", "fight", "explosion", "escape"],
    },
    Mood {
        name: "epic",
        words: &["epic", "sweeping", "grand", "epics"],
        genres: &[Genre::Adventure, Genre::History, Genre::War],
        keywords: &["battle", "kingdom", "quest", "empire", "war"],
    },
    Mood {
        name: "light",
        words: &[
            "light",
            "lighthearted",
            "light-hearted",
            "easy",
            "chill",
            "relaxing",
            "cozy",
            "cosy",
            "fun",
            "breezy",
        ],
        genres: &[Genre::Comedy, Genre::Family, Genre::Animation],
        keywords: &["friendship", "small town", "road trip"],
    },
    Mood {
        name: "violent",
        words: &["violent", "violence", "gory", "gore", "bloody", "brutal"],
        genres: &[Genre::Action, Genre::Horror, Genre::Crime],
        keywords: &["violence", "gore", "murder", "serial killer", "revenge"],
    },
    Mood {
        name: "romantic-mood",
        words: &["swoony", "lovey", "lovey-dovey"],
        genres: &[Genre::Romance],
        keywords: &["love", "romance", "wedding"],
    },
    Mood {
        name: "space",
        words: &["space", "outer-space", "spaceship", "galaxy"],
        genres: &[Genre::SciFi],
        keywords: &["space", "alien", "astronaut", "spaceship", "planet"],
    },
    Mood {
        name: "superhero",
        words: &[
            "superhero",
            "superheroes",
            "super-hero",
            "comic-book",
            "marvel",
        ],
        genres: &[Genre::Action, Genre::SciFi],
        keywords: &["superhero", "comic book", "superpower"],
    },
];

fn mood_label(name: &str) -> String {
    match name {
        "romantic-mood" => "romantic".to_owned(),
        other => other.to_owned(),
    }
}

fn push_unique<T: PartialEq>(v: &mut Vec<T>, x: T) {
    if !v.contains(&x) {
        v.push(x);
    }
}

fn join_or(items: &[String], word: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} {word} {last}", init.join(", ")),
    }
}

fn era_phrase(lo: Option<i32>, hi: Option<i32>) -> Option<String> {
    Some(match (lo, hi) {
        (Some(a), Some(b)) if a == b => format!("from {a}"),
        (Some(a), Some(b)) if a.rem_euclid(10) == 0 && b == a + 9 => {
            if (1900..2000).contains(&a) {
                format!("from the {}s", a - 1900)
            } else {
                format!("from the {a}s")
            }
        }
        (Some(a), Some(b)) => format!("from {a} to {b}"),
        (Some(a), None) => format!("from {a} on"),
        (None, Some(b)) => format!("before {}", b.saturating_add(1)),
        (None, None) => return None,
    })
}

fn minutes_phrase(m: i32) -> String {
    if m >= 60 && m % 60 == 0 {
        let h = m / 60;
        format!("{h} hour{}", if h == 1 { "" } else { "s" })
    } else if m >= 60 && m % 30 == 0 {
        format!("{}½ hours", m / 60)
    } else {
        format!("{m} minutes")
    }
}

/// Removes everything that could make a Discord mention or markup, and collapses spaces.
fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if matches!(c, '@' | '<' | '>' | '`' | '*' | '_' | '|' | '#') || c.is_control() {
                ' '
            } else {
                c
            }
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

// ---------------------------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Tok {
    /// Lowercase, without leading/trailing apostrophes.
    low: String,
    /// As typed.
    orig: String,
    /// Clause number; punctuation and "but" start a new clause.
    clause: usize,
}

fn tokenize(text: &str) -> Vec<Tok> {
    let mut out: Vec<Tok> = Vec::new();
    let mut clause = 0usize;
    let mut cur = String::new();
    let flush = |cur: &mut String, out: &mut Vec<Tok>, clause: usize| {
        let w = cur.trim_matches(|c| c == '\'' || c == '-' || c == '’');
        if !w.is_empty() {
            let low = w.to_lowercase().replace('’', "'");
            out.push(Tok {
                low,
                orig: w.to_owned(),
                clause,
            });
        }
        cur.clear();
    };
    for c in text.chars() {
        if c.is_alphanumeric() || matches!(c, '\'' | '’' | '-' | '.' | '&') && !cur.is_empty() {
            // A dot inside a word ("1.5", "St.") stays; a final dot ends the clause below.
            cur.push(c);
        } else if matches!(c, '(' | ')' | ':' | '&' | '+') || c.is_whitespace() {
            flush(&mut cur, &mut out, clause);
        } else {
            flush(&mut cur, &mut out, clause);
            clause += 1;
        }
    }
    flush(&mut cur, &mut out, clause);
    // Trailing dots end a clause ("Alien. Also …").
    let mut fixed = Vec::with_capacity(out.len());
    let mut shift = 0usize;
    for mut t in out {
        t.clause += shift;
        let ended = t.low.ends_with('.') && t.low.chars().rev().nth(1).is_none_or(|c| c != '.');
        t.low = t.low.trim_end_matches('.').to_string();
        t.orig = t.orig.trim_end_matches('.').to_string();
        if t.low.is_empty() {
            continue;
        }
        let but_breaks = t.low == "but"
            && !fixed
                .last()
                .is_some_and(|p: &Tok| matches!(p.low.as_str(), "anything" | "everything"));
        if but_breaks {
            shift += 1;
            t.clause += 1;
        }
        fixed.push(t);
        if ended {
            shift += 1;
        }
    }
    fixed
}

const NEGATORS: &[&str] = &[
    "no", "not", "without", "nothing", "never", "avoid", "hate", "hates", "dislike", "don't",
    "dont", "isn't", "isnt", "except", "skip", "none", "nor", "less", "zero", "anything", "won't",
    "can't", "cant", "haven't", "havent", "hasn't", "didn't", "aren't", "minus", "unlike",
];

/// Words that cannot start a title after "like".
const FILLER: &[&str] = &[
    "a",
    "an",
    "some",
    "something",
    "anything",
    "movies",
    "movie",
    "films",
    "film",
    "that",
    "this",
    "it",
    "them",
    "those",
    "these",
    "to",
    "me",
    "you",
    "i",
    "we",
    "what",
    "how",
    "watching",
    "watch",
    "one",
    "ones",
    "more",
    "most",
    "really",
    "very",
    "so",
    "any",
    "all",
    "stuff",
    "things",
    "kind",
    "sort",
    "type",
    "genre",
    "genres",
    "his",
    "her",
    "their",
    "my",
    "your",
    "other",
    "others",
    "too",
    "when",
    "if",
    "as",
    "well",
    "is",
    "are",
    "and",
    "or",
    "but",
    "with",
    "for",
    "from",
    "of",
    "in",
    "on",
    "at",
    "by",
    "lots",
    "only",
    "just",
    "good",
    "great",
    "best",
    "old",
    "new",
    "recent",
    "the",
    "dark",
    "light",
    "space",
    "action",
    "yes",
    "no",
    "not",
];

const STOPS: &[&str] = &[
    "but", "and", "or", "with", "from", "for", "in", "that", "which", "only", "without", "under",
    "over", "except", "so", "because", "please", "set", "made", "to", "by", "no", "not", "nothing",
    "though", "although", "since", "before", "after", "who", "where", "when", "maybe", "ok",
    "okay",
];

/// Reference triggers: the words that precede a title (lowercase, as token sequences).
const TRIGGERS: &[&[&str]] = &[
    &["like"],
    &["likes"],
    &["liked"],
    &["love"],
    &["loved"],
    &["enjoyed"],
    &["similar", "to"],
    &["similar", "as"],
    &["reminds", "me", "of"],
    &["reminiscent", "of"],
    &["in", "the", "vein", "of"],
    &["in", "the", "style", "of"],
    &["such", "as"],
    &["along", "the", "lines", "of"],
    &["fan", "of"],
    &["as", "good", "as"],
    &["vibes", "of"],
    &["vibe", "of"],
    &["same", "vibe", "as"],
    &["favorite", "is"],
    &["favourite", "is"],
    &["think"],
    &["recommend"],
    &["watched"],
    &["saw"],
];

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

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
    people(&toks, &mut used, &mut wish);
    years(&toks, &mut used, now_year, &mut wish);
    runtime(&toks, &mut used, &mut wish);
    words(&toks, &used, &mut wish);
    wish.check_contradictions();
    wish
}

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
    for e in (start + 1..=end).rev() {
        let span = &toks[start..e];
        // A lone short common word is not a title ("like it", "like to").
        if span.len() == 1 && FILLER.contains(&span[0].low.as_str()) {
            continue;
        }
        let q: Vec<&str> = span.iter().map(|t| t.orig.as_str()).collect();
        if let Some(id) = resolve(index, &q.join(" "))
            && (known.is_empty() || known.contains(&id))
        {
            return Some((id, e));
        }
    }
    None
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
        // "X meets Y"
        if toks[i].low == "meets" || toks[i].low == "meet" && i > 0 {
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
        if let Some(d) = decade_of(w) {
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
            return Some(((v * u).round() as i32, i + 1));
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

fn add_genre(wish: &mut Wish, g: Genre, negated: bool) {
    if negated {
        wish.genres.retain(|x| *x != g);
        push_unique(&mut wish.not_genres, g);
    } else {
        push_unique(&mut wish.genres, g);
    }
}

fn add_mood_word(wish: &mut Wish, mood: &str, negated: bool) {
    if negated {
        wish.drop_mood(mood);
        push_unique(&mut wish.not_moods, mood.to_owned());
    } else {
        wish.add_mood(mood);
    }
}

// ---------------------------------------------------------------------------------------------
// Critiques
// ---------------------------------------------------------------------------------------------

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
            let width = match (lo, hi) {
                (Some(a), Some(b)) if b >= a => (b - a + 1).clamp(5, 30),
                _ => 10,
            };
            match (lo, hi) {
                (Some(a), _) => {
                    wish.max_year = Some(a - 1);
                    wish.min_year = Some(a - width);
                }
                (None, Some(b)) => wish.max_year = Some(b - 10),
                (None, None) => wish.max_year = Some(now_year - 15),
            }
        }
        Critique::Newer => {
            let (lo, hi) = (wish.min_year, wish.max_year);
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
                (Some(a), None) => wish.min_year = Some((a + 10).min(now_year)),
                (None, None) => wish.min_year = Some(now_year - 10),
            }
        }
        Critique::Shorter => {
            let r = (wish.max_runtime.unwrap_or(130) - 20).max(60);
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
pub(crate) mod tests {
    use super::*;
    use crate::domain::catalog::MovieInfo;

    const NOW: i32 = 2025;

    /// The starter catalog, parsed here (the domain does not import adapters): title, year,
    /// genres, directors, cast, runtime, keywords, overview.
    pub(crate) fn starter() -> Vec<Movie> {
        let files = [
            include_str!("../../../catalog/starter-classic.tsv"),
            include_str!("../../../catalog/starter-modern.tsv"),
        ];
        let mut out = Vec::new();
        for text in files {
            for line in text.lines().skip(1) {
                let c: Vec<&str> = line.split('\t').collect();
                if c.len() < 9 {
                    continue;
                }
                let list = |s: &str| -> Vec<String> {
                    s.split('|')
                        .filter(|x| !x.is_empty())
                        .map(str::to_owned)
                        .collect()
                };
                out.push(Movie {
                    id: MovieId(out.len() as i64 + 1),
                    info: MovieInfo {
                        title: c[0].to_owned(),
                        year: c[1].parse().ok(),
                        genres: Genre::parse_list(c[2], '|'),
                        directors: list(c[3]),
                        cast: list(c[4]),
                        runtime_min: c[5].parse().ok(),
                        keywords: list(c[7]),
                        overview: c[8].to_owned(),
                        vote_count: 100,
                        ..MovieInfo::default()
                    },
                });
            }
        }
        out
    }

    fn setup() -> (Vec<Movie>, TitleIndex) {
        let m = starter();
        let idx = TitleIndex::from_movies(&m);
        (m, idx)
    }

    fn title(movies: &[Movie], id: MovieId) -> String {
        movies
            .iter()
            .find(|m| m.id == id)
            .map(|m| m.info.display_title())
            .unwrap_or_default()
    }

    fn id_of(movies: &[Movie], display: &str) -> MovieId {
        movies
            .iter()
            .find(|m| m.info.display_title() == display)
            .map_or_else(|| panic!("{display} not in the starter catalog"), |m| m.id)
    }

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
    fn describe_reads_like_a_sentence() {
        let (movies, idx) = setup();
        let w = parse_wish("funny sci-fi like Alien from the 90s", &idx, &movies, NOW);
        let d = w.describe(|m| Some(title(&movies, m)));
        assert_eq!(d, "funny sci-fi like Alien (1979), from the 90s");
        assert_eq!(Wish::default().describe(|_| None), "anything good");
        let w = parse_wish("no horror, under 2 hours, for kids", &idx, &movies, NOW);
        assert_eq!(
            w.describe(|_| None),
            "a film, under 2 hours, for kids, no horror"
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
