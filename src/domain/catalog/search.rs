//! Title search: normalisation, and typo-tolerant, year-aware ranking over the catalog.
//!
//! Pure and deterministic: the same catalog and query always give the same hits in the same
//! order. Build a [`TitleIndex`] once from the catalog, then [`TitleIndex::search`] (ranked hits,
//! for `catalog search` and Discord autocomplete) or [`TitleIndex::lookup`] (did the person name
//! one film, several, or only something close to one).
//!
//! Matching works on *folded* titles (see [`normalize_title`]): lower case, no accents or
//! punctuation, `&` read as "and", a leading article dropped ("The", "A", "Les", …),
//! `MovieLens`-style trailing articles ("Godfather, The") moved to the front first, and roman
//! numerals from II to XXXIX read as digits ("Rocky II" = "Rocky 2").

use crate::domain::catalog::Movie;
use crate::domain::ids::MovieId;
use std::cmp::Reverse;
use std::collections::{HashMap, HashSet};
use std::fmt;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Discord's limit on the length of an autocomplete choice's name, in characters.
pub const AUTOCOMPLETE_LABEL_MAX_CHARS: usize = 100;

/// Discord's limit on the number of autocomplete choices.
pub const AUTOCOMPLETE_MAX_CHOICES: usize = 25;

/// Queries are cut to this many characters before parsing.
const MAX_QUERY_CHARS: usize = 200;
/// Queries are cut to this many words.
const MAX_QUERY_TOKENS: usize = 12;
/// Longer words are cut to this many characters (no title word is longer).
const MAX_TOKEN_CHARS: usize = 40;
/// At most this many titles are scored precisely from the word index for one query.
const CANDIDATE_CAP: usize = 4_000;
/// At most this many titles are taken from one prefix range of the sorted keys.
const PREFIX_RANGE_CAP: usize = 20_000;
/// A number in this range at the end of a query may be a release year.
const YEARS: std::ops::RangeInclusive<i32> = 1870..=2100;

/// Articles dropped at the start of a folded title (after folding, so `l'` is `l`).
const LEADING_ARTICLES: &[&str] = &[
    "the", "a", "an", "le", "la", "les", "l", "el", "los", "las", "il", "lo", "gli", "un", "une",
];

/// Articles that `MovieLens` writes at the end (`Godfather, The`); matched case-sensitively.
const TRAILING_ARTICLES: &[&str] = &[
    "The", "A", "An", "Les", "La", "Le", "L'", "Il", "El", "Los", "Las", "Lo", "Gli", "Die", "Der",
    "Das", "Den", "Det", "Het", "Un", "Une", "Una", "Uno", "Ein", "Eine",
];

/// Words after which a lone `i` is the numeral one ("Part I", "Vol. I") and number words are
/// digits ("Part Two").
const NUMERAL_CONTEXT: &[&str] = &["part", "chapter", "vol", "volume", "episode", "book", "act"];

/// Number words read as digits after a [`NUMERAL_CONTEXT`] word.
const NUMBER_WORDS: &[&str] = &[
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve",
];

// ---------------------------------------------------------------------------------------------
// Normalisation
// ---------------------------------------------------------------------------------------------

/// Folds a title into the key used to match titles: lower case, accents removed, punctuation
/// removed, words separated by single spaces.
///
/// On top of that: a `MovieLens`-style trailing article is moved to the front
/// (`Godfather, The` = `The Godfather`), a leading article is dropped when other words follow
/// (`The Godfather` → `godfather`), apostrophes join words (`Schindler's` → `schindlers`) except
/// after a one-letter elision (`L'Avventura` → `avventura`), dotted acronyms join
/// (`L.A.` → `la`), `&` reads as `and`, and roman numerals II–XXXIX become digits
/// (`Rocky II` → `rocky 2`; a lone `I` only after "Part", "Chapter", "Vol." and the like).
///
/// The result is deterministic and stable: it is stored as a key to match imported titles, so
/// changing this function means re-keying stored films. An input with no letters or digits gives
/// the empty string.
pub fn normalize_title(title: &str) -> String {
    fold_tokens(&natural_title(title)).join(" ")
}

/// The title in natural word order: a `MovieLens`-style trailing article is moved to the front,
/// both in the title and in a trailing parenthesised alternative title
/// (`City of Lost Children, The (Cité des enfants perdus, La)` →
/// `The City of Lost Children (La Cité des enfants perdus)`). Anything else is returned trimmed
/// but unchanged.
pub fn natural_title(raw: &str) -> String {
    let raw = raw.trim();
    if let Some((main, alt)) = split_trailing_parenthetical(raw) {
        let main_n = move_trailing_article(main);
        let alt_n = move_trailing_article(alt);
        if main_n != main || alt_n != alt {
            return format!("{main_n} ({alt_n})");
        }
        return raw.to_owned();
    }
    move_trailing_article(raw)
}

/// A raw title split into its main title and the alternative titles written after it in
/// parentheses, as `MovieLens` does: `City of Lost Children, The (Cité des enfants perdus, La)`
/// gives main `The City of Lost Children` and alternative `La Cité des enfants perdus`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TitleParts {
    /// The main title, in natural word order.
    pub main: String,
    /// Alternative titles (a leading `a.k.a.` removed), in natural word order, outermost last.
    pub alternatives: Vec<String>,
}

/// Splits a raw title into [`TitleParts`]. At most three trailing parenthesised groups are
/// taken as alternatives; a title that is only a parenthesis is kept whole as the main title.
pub fn split_title(raw: &str) -> TitleParts {
    let mut rest = raw.trim();
    let mut alternatives = Vec::new();
    for _ in 0..3 {
        let Some((main, alt)) = split_trailing_parenthetical(rest) else {
            break;
        };
        let alt = strip_aka(alt);
        if !alt.is_empty() {
            alternatives.push(move_trailing_article(alt));
        }
        rest = main;
    }
    alternatives.reverse();
    TitleParts {
        main: move_trailing_article(rest),
        alternatives,
    }
}

/// "Title (Year)" (or the bare title when the year is unknown) for a Discord autocomplete
/// choice: at most [`AUTOCOMPLETE_LABEL_MAX_CHARS`] characters, cut on a character boundary
/// with an ellipsis when the title is too long (the year is always kept), control characters
/// replaced by spaces, never empty.
pub fn autocomplete_label(title: &str, year: Option<i32>) -> String {
    let clean: String = title
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let clean = clean.split_whitespace().collect::<Vec<_>>().join(" ");
    let clean = if clean.is_empty() {
        "(untitled)".to_owned()
    } else {
        clean
    };
    let suffix = year.map(|y| format!(" ({y})")).unwrap_or_default();
    let budget = AUTOCOMPLETE_LABEL_MAX_CHARS.saturating_sub(suffix.chars().count());
    if clean.chars().count() <= budget {
        return format!("{clean}{suffix}");
    }
    let cut: String = clean.chars().take(budget.saturating_sub(1)).collect();
    format!("{}…{suffix}", cut.trim_end())
}

fn split_trailing_parenthetical(s: &str) -> Option<(&str, &str)> {
    let body = s.strip_suffix(')')?;
    let mut depth = 0usize;
    for (i, c) in body.char_indices().rev() {
        match c {
            ')' => depth += 1,
            '(' if depth == 0 => {
                let main = body[..i].trim_end();
                let alt = body[i + 1..].trim();
                return (!main.is_empty() && !alt.is_empty()).then_some((main, alt));
            }
            '(' => depth -= 1,
            _ => {}
        }
    }
    None
}

fn strip_aka(alt: &str) -> &str {
    for prefix in ["a.k.a.", "aka", "a.k.a"] {
        if alt.len() > prefix.len()
            && alt.is_char_boundary(prefix.len())
            && alt[..prefix.len()].eq_ignore_ascii_case(prefix)
            && alt[prefix.len()..].starts_with(' ')
        {
            return alt[prefix.len()..].trim();
        }
    }
    alt
}

fn move_trailing_article(s: &str) -> String {
    let s = s.trim();
    if let Some(comma) = s.rfind(", ") {
        let (head, tail) = (s[..comma].trim_end(), s[comma + 2..].trim());
        if !head.is_empty() && TRAILING_ARTICLES.contains(&tail) {
            return if tail.ends_with('\'') {
                format!("{tail}{head}")
            } else {
                format!("{tail} {head}")
            };
        }
    }
    s.to_owned()
}

fn is_apostrophe(c: char) -> bool {
    matches!(
        c,
        '\'' | '\u{2019}' | '\u{2018}' | '`' | '\u{2bc}' | '\u{b4}'
    )
}

/// Pushes the folded, lower-case form of one character (several for ß, æ, œ, þ).
fn push_folded(c: char, out: &mut String) {
    match c {
        'ß' => out.push_str("ss"),
        'æ' | 'Æ' => out.push_str("ae"),
        'œ' | 'Œ' => out.push_str("oe"),
        'þ' | 'Þ' => out.push_str("th"),
        'ø' | 'Ø' => out.push('o'),
        'ł' | 'Ł' => out.push('l'),
        'đ' | 'Đ' | 'ð' | 'Ð' => out.push('d'),
        'ı' => out.push('i'),
        _ => out.extend(c.to_lowercase().filter(|l| !is_combining_mark(*l))),
    }
}

/// Splits text into folded words, then applies the numeral and leading-article rules.
fn fold_tokens(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.nfkd().filter(|c| !is_combining_mark(*c)).collect();
    let mut tokens: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut acronym = false;
    // `L.A. Confidential`: an acronym is not an article.
    let mut first_is_acronym = false;
    let mut flush = |cur: &mut String, tokens: &mut Vec<String>, acronym: &mut bool| {
        if !cur.is_empty() {
            first_is_acronym |= tokens.is_empty() && *acronym;
            tokens.push(std::mem::take(cur));
        }
        *acronym = false;
    };
    for (i, &c) in chars.iter().enumerate() {
        let next = chars.get(i + 1).copied();
        if c.is_alphanumeric() {
            push_folded(c, &mut cur);
        } else if is_apostrophe(c) {
            // `L'Avventura`, `d'Arc`: elision, a word break; `Schindler's`: joined.
            if cur.chars().count() == 1 && next.is_some_and(char::is_alphabetic) {
                flush(&mut cur, &mut tokens, &mut acronym);
            }
        } else if c == '.' {
            let after = chars.get(i + 2).copied();
            let single_letter_next =
                next.is_some_and(char::is_alphabetic) && !after.is_some_and(char::is_alphanumeric);
            let in_acronym =
                acronym || (cur.chars().count() == 1 && cur.chars().all(char::is_alphabetic));
            if single_letter_next && in_acronym {
                acronym = true;
            } else {
                flush(&mut cur, &mut tokens, &mut acronym);
            }
        } else if c == '&' {
            flush(&mut cur, &mut tokens, &mut acronym);
            tokens.push("and".to_owned());
        } else {
            flush(&mut cur, &mut tokens, &mut acronym);
        }
    }
    flush(&mut cur, &mut tokens, &mut acronym);
    for i in 0..tokens.len() {
        let after_context = i > 0 && NUMERAL_CONTEXT.contains(&tokens[i - 1].as_str());
        if let Some(n) = roman_value(&tokens[i], after_context) {
            tokens[i] = n.to_string();
        } else if let Some(k) = NUMBER_WORDS
            .iter()
            .position(|w| *w == tokens[i])
            .filter(|_| after_context)
        {
            tokens[i] = (k + 1).to_string();
        }
    }
    if tokens.len() > 1 && !first_is_acronym && LEADING_ARTICLES.contains(&tokens[0].as_str()) {
        tokens.remove(0);
    }
    tokens
}

/// The value of a canonical roman numeral made of i, v and x, from 2 to 39; a lone `i` (one)
/// only when `one_allowed`.
fn roman_value(token: &str, one_allowed: bool) -> Option<u32> {
    if token.is_empty()
        || token.len() > 8
        || !token.bytes().all(|b| matches!(b, b'i' | b'v' | b'x'))
    {
        return None;
    }
    (1..=39u32)
        .find(|&n| to_roman(n) == token)
        .filter(|&n| n >= 2 || one_allowed)
}

fn to_roman(n: u32) -> String {
    let tens = ["", "x", "xx", "xxx"];
    let ones = ["", "i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix"];
    format!("{}{}", tens[(n / 10) as usize % 4], ones[(n % 10) as usize])
}

// ---------------------------------------------------------------------------------------------
// Index input and results
// ---------------------------------------------------------------------------------------------

/// One film to put in a [`TitleIndex`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TitleEntry {
    pub id: MovieId,
    /// The title as stored; `MovieLens` style (`City of Lost Children, The (Cité des enfants
    /// perdus, La)`) is understood: the parenthesised part is searchable as an alternative title
    /// and the article is shown in front.
    pub title: String,
    pub year: Option<i32>,
    /// How well known the film is, e.g. its vote count; higher ranks first among equal matches.
    pub popularity: i64,
    /// Other titles the film is known by (original-language title, working title …).
    pub alternative_titles: Vec<String>,
}

impl TitleEntry {
    /// An entry with no extra alternative titles.
    pub fn new(id: MovieId, title: impl Into<String>, year: Option<i32>, popularity: i64) -> Self {
        Self {
            id,
            title: title.into(),
            year,
            popularity,
            alternative_titles: Vec::new(),
        }
    }

    /// The entry for a catalog film; its popularity is the vote count.
    pub fn from_movie(movie: &Movie) -> Self {
        Self::new(
            movie.id,
            movie.info.title.clone(),
            movie.info.year,
            movie.info.vote_count,
        )
    }
}

/// How a title matched the query, best first (the derived order is the ranking order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum MatchKind {
    /// The folded title equals the folded query (articles, accents, case, punctuation, spaces
    /// and roman numerals aside): `the godfather` → The Godfather, `spiderman` → Spider-Man.
    Exact,
    /// The folded title starts with the folded query, the last word possibly unfinished:
    /// `the godf` → The Godfather, The Godfather Part II.
    Prefix,
    /// Every query word is a word of the title, in any order (the last one possibly
    /// unfinished): `redemption shawshank` → The Shawshank Redemption.
    Token,
    /// Close but not the same: typos (`intersteller`) or some query words missing from the
    /// title. Only ever a suggestion.
    Fuzzy,
}

/// How the film's year relates to a year given in the query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum YearFit {
    /// The query gave no year (or the number was read as part of the title).
    NotAsked,
    /// Same year.
    Exact,
    /// One year off (release years differ between sources).
    Near,
    /// The film's year is unknown.
    Unknown,
    /// More than one year off.
    Differs,
}

/// One ranked result of [`TitleIndex::search`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SearchHit {
    pub id: MovieId,
    /// The title in natural word order (see [`natural_title`]), ready to show.
    pub title: String,
    pub year: Option<i32>,
    /// The popularity the film was indexed with.
    pub popularity: i64,
    pub kind: MatchKind,
    pub year_fit: YearFit,
    /// Match quality in `[0, 1]`, always finite, higher is better: 1.0 exact, 0.8 prefix,
    /// 0.6 all words, at most 0.5 fuzzy; minus up to 0.1 when the year does not fit. Equal
    /// scores are ordered by popularity.
    pub score: f64,
}

impl SearchHit {
    /// True when the hit is what the person named: an exact title match whose year does not
    /// contradict a year given in the query. Anything else is only a suggestion.
    pub fn is_confident(&self) -> bool {
        self.kind == MatchKind::Exact && self.year_fit != YearFit::Differs
    }

    /// "Title (Year)" for an autocomplete choice; see [`autocomplete_label`].
    pub fn label(&self) -> String {
        autocomplete_label(&self.title, self.year)
    }
}

/// What a query names, for commands that need one film ([`TitleIndex::lookup`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    /// Exactly one film is a confident match.
    Found(SearchHit),
    /// Several films are equally confident matches (`dune` without a year), best first.
    Ambiguous(Vec<SearchHit>),
    /// No confident match: the closest titles, best first (possibly none).
    Suggestions(Vec<SearchHit>),
}

// ---------------------------------------------------------------------------------------------
// The index
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct FilmRec {
    id: MovieId,
    title: Box<str>,
    year: Option<i32>,
    popularity: i64,
    /// Position in the (title, id) order, the last tie-break.
    title_rank: u32,
}

/// A searchable index of catalog titles, built once (a 60,000-film catalog takes about half a
/// second) and then queried read-only; it is `Send + Sync` and can be shared.
///
/// Each film is indexed under its folded title, its `MovieLens` main and alternative titles, and
/// any [`TitleEntry::alternative_titles`]. Lookups use sorted folded keys (exact and prefix
/// matches), an inverted index from words to titles, and a trigram index over the word
/// dictionary to correct typos in query words; only a few thousand titles at most are scored
/// precisely per query.
#[derive(Clone)]
pub struct TitleIndex {
    films: Vec<FilmRec>,
    /// For each name: its film.
    name_film: Vec<u32>,
    /// Name `n`'s words are `name_toks[name_tok_off[n]..name_tok_off[n + 1]]`.
    name_tok_off: Vec<u32>,
    name_toks: Vec<u32>,
    /// Folded words joined by single spaces.
    name_key: Vec<Box<str>>,
    /// Folded words joined with no space.
    name_compact: Vec<Box<str>>,
    /// Total characters of the name's words.
    name_chars: Vec<u32>,
    /// The word dictionary, sorted; a word's id is its position.
    tokens: Vec<Box<str>>,
    token_chars: Vec<Box<[char]>>,
    /// Word `t` occurs in names `post[post_off[t]..post_off[t + 1]]` (ascending, distinct).
    post_off: Vec<u32>,
    post: Vec<u32>,
    /// Trigram → range of `tri_post`, the words containing it.
    trigrams: HashMap<u64, (u32, u32)>,
    tri_post: Vec<u32>,
    /// Name ids sorted by key, and by compact key.
    by_key: Vec<u32>,
    by_compact: Vec<u32>,
}

impl fmt::Debug for TitleIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TitleIndex")
            .field("films", &self.films.len())
            .field("names", &self.name_film.len())
            .field("words", &self.tokens.len())
            .field("trigrams", &self.trigrams.len())
            .finish_non_exhaustive()
    }
}

/// One query word with what it can match in the dictionary.
#[derive(Debug)]
struct QTok {
    chars: u32,
    exact: Option<u32>,
    /// Word ids starting with this word (the last query word only).
    prefix: Option<(u32, u32)>,
    /// Misspelling corrections: word id and edit distance, sorted by id.
    fuzzy: Vec<(u32, u8)>,
}

#[derive(Debug, Clone, Copy)]
struct Cand {
    film: u32,
    kind: MatchKind,
    fit: YearFit,
    score: f64,
}

fn tri_key(a: char, b: char, c: char) -> u64 {
    (u64::from(a) << 42) | (u64::from(b) << 21) | u64::from(c)
}

/// The distinct padded trigrams of a word (`^` and `$` as padding).
fn word_trigrams(chars: &[char]) -> Vec<u64> {
    let mut padded = Vec::with_capacity(chars.len() + 2);
    padded.push('\u{1}');
    padded.extend_from_slice(chars);
    padded.push('\u{2}');
    let mut out: Vec<u64> = padded
        .windows(3)
        .map(|w| tri_key(w[0], w[1], w[2]))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Optimal-string-alignment distance (edits and adjacent transpositions) if at most `max`.
fn osa_within(a: &[char], b: &[char], max: usize) -> Option<usize> {
    const W: usize = 64;
    if a.len().abs_diff(b.len()) > max || a.len() >= W || b.len() >= W {
        return None;
    }
    let m = b.len();
    let mut prev2 = [0u8; W];
    let mut prev: [u8; W] = std::array::from_fn(|j| j as u8);
    let mut cur = [0u8; W];
    for i in 1..=a.len() {
        cur[0] = i as u8;
        let mut row_min = cur[0];
        for j in 1..=m {
            let cost = u8::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
            row_min = row_min.min(v);
        }
        if usize::from(row_min) > max {
            return None;
        }
        prev2[..=m].copy_from_slice(&prev[..=m]);
        prev[..=m].copy_from_slice(&cur[..=m]);
    }
    let d = usize::from(prev[m]);
    (d <= max).then_some(d)
}

/// The names in `sorted` whose key starts with `q` (a contiguous range).
fn prefix_range<'a>(sorted: &'a [u32], key: impl Fn(u32) -> &'a str, q: &str) -> &'a [u32] {
    let lo = sorted.partition_point(|&n| key(n) < q);
    let hi = sorted.partition_point(|&n| {
        let k = key(n);
        k < q || k.starts_with(q)
    });
    &sorted[lo..hi.max(lo)]
}

/// The films to index, ranked by (title, id), and every distinct folded name of each.
fn collect_names(
    entries: impl IntoIterator<Item = TitleEntry>,
) -> (Vec<FilmRec>, Vec<(u32, Vec<String>)>) {
    let mut films = Vec::new();
    let mut names: Vec<(u32, Vec<String>)> = Vec::new();
    for e in entries {
        let film = films.len() as u32;
        let parts = split_title(&e.title);
        let mut variants: Vec<Vec<String>> = Vec::new();
        let mut add = |text: &str| {
            let toks = fold_tokens(&natural_title(text));
            if !toks.is_empty() && !variants.contains(&toks) {
                variants.push(toks);
            }
        };
        add(&e.title);
        add(&parts.main);
        for alt in parts.alternatives.iter().chain(&e.alternative_titles) {
            add(alt);
        }
        names.extend(variants.into_iter().map(|v| (film, v)));
        films.push(FilmRec {
            id: e.id,
            title: natural_title(&e.title).into_boxed_str(),
            year: e.year,
            popularity: e.popularity,
            title_rank: 0,
        });
    }

    let mut order: Vec<usize> = (0..films.len()).collect();
    order.sort_by(|&a, &b| {
        films[a]
            .title
            .cmp(&films[b].title)
            .then(films[a].id.cmp(&films[b].id))
    });
    for (rank, &f) in order.iter().enumerate() {
        films[f].title_rank = rank as u32;
    }
    (films, names)
}

/// The trigram index over the word dictionary: trigram → range of the returned word ids.
fn trigram_index(token_chars: &[Box<[char]>]) -> (HashMap<u64, (u32, u32)>, Vec<u32>) {
    let mut tri_pairs: Vec<(u64, u32)> = Vec::new();
    for (id, chars) in token_chars.iter().enumerate() {
        tri_pairs.extend(word_trigrams(chars).into_iter().map(|g| (g, id as u32)));
    }
    tri_pairs.sort_unstable();
    let mut trigrams = HashMap::new();
    let mut tri_post = Vec::with_capacity(tri_pairs.len());
    let mut start = 0;
    while start < tri_pairs.len() {
        let gram = tri_pairs[start].0;
        let begin = tri_post.len() as u32;
        while start < tri_pairs.len() && tri_pairs[start].0 == gram {
            tri_post.push(tri_pairs[start].1);
            start += 1;
        }
        trigrams.insert(gram, (begin, tri_post.len() as u32));
    }
    (trigrams, tri_post)
}

/// Sorts `ranked` and returns the first candidate of each film, at most `limit`.
fn top_distinct<K: Ord + Copy>(ranked: &mut [(K, u32, Cand)], limit: usize) -> Vec<Cand> {
    ranked.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut seen: HashSet<u32> = HashSet::new();
    let mut out = Vec::new();
    for &(_, film, c) in ranked.iter() {
        if out.len() == limit {
            break;
        }
        if seen.insert(film) {
            out.push(c);
        }
    }
    out
}

fn year_fit(film_year: Option<i32>, asked: Option<i32>) -> YearFit {
    match (asked, film_year) {
        (None, _) => YearFit::NotAsked,
        (Some(_), None) => YearFit::Unknown,
        (Some(a), Some(y)) => match a.abs_diff(y) {
            0 => YearFit::Exact,
            1 => YearFit::Near,
            _ => YearFit::Differs,
        },
    }
}

fn score_of(kind: MatchKind, similarity: f64, fit: YearFit) -> f64 {
    let base = match kind {
        MatchKind::Exact => 1.0,
        MatchKind::Prefix => 0.8,
        MatchKind::Token => 0.6,
        // Coarse steps so that popularity orders near-equal suggestions.
        MatchKind::Fuzzy => 0.5 * ((similarity.clamp(0.0, 1.0) * 20.0).floor() / 20.0),
    };
    let penalty = match fit {
        YearFit::NotAsked | YearFit::Exact => 0.0,
        YearFit::Near => 0.02,
        YearFit::Unknown => 0.05,
        YearFit::Differs => 0.1,
    };
    let s = base - penalty;
    if s.is_finite() {
        s.clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// Splits a query into folded words, cut to the query limits.
fn query_tokens(query: &str) -> Vec<String> {
    let cut: String = query.chars().take(MAX_QUERY_CHARS).collect();
    let mut toks = fold_tokens(&natural_title(&cut));
    toks.truncate(MAX_QUERY_TOKENS);
    for t in &mut toks {
        if t.chars().count() > MAX_TOKEN_CHARS {
            *t = t.chars().take(MAX_TOKEN_CHARS).collect();
        }
    }
    toks
}

impl TitleIndex {
    /// Indexes every catalog film under its title, with its vote count as popularity.
    pub fn from_movies(movies: &[Movie]) -> Self {
        Self::build(movies.iter().map(TitleEntry::from_movie))
    }

    /// Indexes the given films. Titles that fold to nothing (no letters or digits) are kept for
    /// display but can never match.
    pub fn build(entries: impl IntoIterator<Item = TitleEntry>) -> Self {
        let (films, names) = collect_names(entries);
        let mut dict: Vec<&str> = names
            .iter()
            .flat_map(|(_, t)| t.iter().map(String::as_str))
            .collect();
        dict.sort_unstable();
        dict.dedup();
        let tokens: Vec<Box<str>> = dict.iter().map(|&s| Box::from(s)).collect();
        let token_chars: Vec<Box<[char]>> = tokens.iter().map(|t| t.chars().collect()).collect();

        let mut name_film = Vec::with_capacity(names.len());
        let mut name_tok_off = Vec::with_capacity(names.len() + 1);
        let mut name_toks = Vec::new();
        let mut name_key = Vec::with_capacity(names.len());
        let mut name_compact = Vec::with_capacity(names.len());
        let mut name_chars = Vec::with_capacity(names.len());
        let mut postings: Vec<Vec<u32>> = vec![Vec::new(); tokens.len()];
        name_tok_off.push(0);
        for (n, (film, toks)) in names.iter().enumerate() {
            name_film.push(*film);
            for t in toks {
                // Every word is in the dictionary by construction.
                let id = tokens
                    .binary_search_by(|p| p.as_ref().cmp(t.as_str()))
                    .unwrap_or(0) as u32;
                name_toks.push(id);
                let list = &mut postings[id as usize];
                if list.last() != Some(&(n as u32)) {
                    list.push(n as u32);
                }
            }
            name_tok_off.push(name_toks.len() as u32);
            name_key.push(toks.join(" ").into_boxed_str());
            name_compact.push(toks.concat().into_boxed_str());
            name_chars.push(toks.iter().map(|t| t.chars().count() as u32).sum());
        }
        let mut post_off = Vec::with_capacity(tokens.len() + 1);
        let mut post = Vec::new();
        post_off.push(0);
        for list in postings {
            post.extend(list);
            post_off.push(post.len() as u32);
        }

        let (trigrams, tri_post) = trigram_index(&token_chars);

        let mut by_key: Vec<u32> = (0..name_film.len() as u32).collect();
        by_key.sort_by(|&a, &b| {
            name_key[a as usize]
                .cmp(&name_key[b as usize])
                .then(a.cmp(&b))
        });
        let mut by_compact: Vec<u32> = (0..name_film.len() as u32).collect();
        by_compact.sort_by(|&a, &b| {
            name_compact[a as usize]
                .cmp(&name_compact[b as usize])
                .then(a.cmp(&b))
        });

        Self {
            films,
            name_film,
            name_tok_off,
            name_toks,
            name_key,
            name_compact,
            name_chars,
            tokens,
            token_chars,
            post_off,
            post,
            trigrams,
            tri_post,
            by_key,
            by_compact,
        }
    }

    /// How many films are indexed.
    pub fn len(&self) -> usize {
        self.films.len()
    }

    /// True when no film is indexed.
    pub fn is_empty(&self) -> bool {
        self.films.is_empty()
    }

    /// The best matches for `query`, best first, at most `limit` (one hit per film).
    ///
    /// The query may end with a year, bare or in parentheses (`dune 1984`, `Dune (2021)`); it is
    /// also read as part of the title, so `Blade Runner 2049` and `1917` still work. Ranking:
    /// [`SearchHit::score`] (match kind, fuzzy similarity, year fit), then match kind, then
    /// popularity, then closeness to the asked year, then title and id. An empty query, or one
    /// with no letters or digits, gives no hits; nothing panics whatever the input. Only the first
    /// 200 characters and 12 words of the query are read.
    pub fn search(&self, query: &str, limit: usize) -> Vec<SearchHit> {
        if limit == 0 || self.films.is_empty() {
            return Vec::new();
        }
        let toks = query_tokens(query);
        if toks.is_empty() {
            return Vec::new();
        }
        let asked_year = if toks.len() >= 2 {
            toks.last()
                .filter(|t| t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|t| t.parse::<i32>().ok())
                .filter(|y| YEARS.contains(y))
        } else {
            None
        };
        let mut cands = Vec::new();
        self.match_words(&toks, None, limit, &mut cands);
        if let Some(year) = asked_year {
            self.match_words(&toks[..toks.len() - 1], Some(year), limit, &mut cands);
        }

        // Rank every candidate, then keep the first (best) one of each film.
        let year_distance = |film: &FilmRec| match (asked_year, film.year) {
            (Some(a), Some(y)) => a.abs_diff(y),
            (Some(_), None) => u32::MAX,
            (None, _) => 0,
        };
        let rank_key = |c: &Cand| {
            let f = &self.films[c.film as usize];
            // Scores are finite and non-negative, so their bits order like the numbers.
            (
                Reverse(c.score.to_bits()),
                c.kind,
                Reverse(f.popularity),
                year_distance(f),
                f.title_rank,
                c.fit,
            )
        };
        let mut ranked: Vec<_> = cands.iter().map(|c| (rank_key(c), c.film, *c)).collect();
        let window = limit.saturating_mul(16);
        if ranked.len() > window {
            ranked.select_nth_unstable_by(window - 1, |a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
        }
        let mut picked = top_distinct(&mut ranked[..window.min(cands.len())], limit);
        if picked.len() < limit && ranked.len() > window {
            picked = top_distinct(&mut ranked, limit);
        }
        picked
            .into_iter()
            .map(|c| {
                let f = &self.films[c.film as usize];
                SearchHit {
                    id: f.id,
                    title: f.title.to_string(),
                    year: f.year,
                    popularity: f.popularity,
                    kind: c.kind,
                    year_fit: c.fit,
                    score: c.score,
                }
            })
            .collect()
    }

    /// Resolves a query that should name one film: [`Lookup::Found`] when exactly one film is
    /// the best confident match ([`SearchHit::is_confident`]), [`Lookup::Ambiguous`] when several
    /// are equally good (at most `max(max_results, 2)`), otherwise [`Lookup::Suggestions`] with
    /// the closest titles (at most `max_results`, possibly none).
    pub fn lookup(&self, query: &str, max_results: usize) -> Lookup {
        let mut hits = self.search(query, max_results.max(AUTOCOMPLETE_MAX_CHOICES));
        let best = hits
            .iter()
            .filter(|h| h.is_confident())
            .map(|h| h.score)
            .fold(None, |m: Option<f64>, s| Some(m.map_or(s, |m| m.max(s))));
        let Some(best) = best else {
            hits.truncate(max_results);
            return Lookup::Suggestions(hits);
        };
        let mut top: Vec<SearchHit> = hits
            .into_iter()
            .filter(|h| h.is_confident() && h.score.total_cmp(&best).is_eq())
            .collect();
        if top.len() == 1 {
            return Lookup::Found(top.remove(0));
        }
        top.truncate(max_results.max(2));
        Lookup::Ambiguous(top)
    }

    /// Adds the candidates for one reading of the query (its words, and maybe a year).
    fn match_words(&self, toks: &[String], year: Option<i32>, limit: usize, out: &mut Vec<Cand>) {
        if toks.is_empty() {
            return;
        }
        let key = toks.join(" ");
        let compact = toks.concat();
        let first = out.len();
        let cand = |name: u32, kind: MatchKind, similarity: f64| {
            let film = self.name_film[name as usize];
            let fit = year_fit(self.films[film as usize].year, year);
            Cand {
                film,
                kind,
                fit,
                score: score_of(kind, similarity, fit),
            }
        };

        // Exact and prefix matches from the sorted keys, with and without spaces.
        for &n in prefix_range(&self.by_key, |n| &self.name_key[n as usize], &key)
            .iter()
            .take(PREFIX_RANGE_CAP)
        {
            let kind = if *self.name_key[n as usize] == *key {
                MatchKind::Exact
            } else {
                MatchKind::Prefix
            };
            out.push(cand(n, kind, 1.0));
        }
        if compact.chars().count() >= 3 {
            for &n in prefix_range(
                &self.by_compact,
                |n| &self.name_compact[n as usize],
                &compact,
            )
            .iter()
            .take(PREFIX_RANGE_CAP)
            {
                let kind = if *self.name_compact[n as usize] == *compact {
                    MatchKind::Exact
                } else {
                    MatchKind::Prefix
                };
                out.push(cand(n, kind, 1.0));
            }
        }

        // An unfinished roman numeral at the end: `rocky i` is on its way to `Rocky II` (`rocky 2`).
        let roman_tail = toks.split_last().filter(|(last, _)| {
            !last.is_empty()
                && last.len() <= 6
                && last.bytes().all(|b| matches!(b, b'i' | b'v' | b'x'))
        });
        if let Some((last, head)) = roman_tail {
            for value in 2..=39u32 {
                if !to_roman(value).starts_with(last.as_str()) {
                    continue;
                }
                let mut whole = head.join(" ");
                if !whole.is_empty() {
                    whole.push(' ');
                }
                whole.push_str(&value.to_string());
                let range = prefix_range(&self.by_key, |n| &self.name_key[n as usize], &whole);
                for &n in range.iter().take(PREFIX_RANGE_CAP) {
                    let key = &self.name_key[n as usize];
                    if key.len() == whole.len() || key.as_bytes().get(whole.len()) == Some(&b' ') {
                        out.push(cand(n, MatchKind::Prefix, 1.0));
                    }
                }
            }
        }

        // Word matches score at most 0.6, below any prefix match (0.7 or more): when the keys
        // already gave `limit` films, they cannot make the cut.
        let mut key_films: Vec<u32> = out[first..].iter().map(|c| c.film).collect();
        key_films.sort_unstable();
        key_films.dedup();
        if key_films.len() >= limit {
            return;
        }

        // Word matches, in any order and with typos, from the inverted index.
        let qtoks: Vec<QTok> = toks
            .iter()
            .enumerate()
            .map(|(i, t)| self.expand(t, i + 1 == toks.len()))
            .collect();
        for n in self.word_candidates(&qtoks) {
            if let Some((kind, similarity)) = self.score_words(n, &qtoks) {
                out.push(cand(n, kind, similarity));
            }
        }
    }

    /// What one query word can match: itself, longer words (if last), close misspellings.
    fn expand(&self, word: &str, is_last: bool) -> QTok {
        let chars: Vec<char> = word.chars().collect();
        let exact = self
            .tokens
            .binary_search_by(|t| t.as_ref().cmp(word))
            .ok()
            .map(|i| i as u32);
        let prefix = is_last
            .then(|| {
                let lo = self.tokens.partition_point(|t| t.as_ref() < word);
                let hi = self
                    .tokens
                    .partition_point(|t| t.as_ref() < word || t.starts_with(word));
                (lo as u32, hi.max(lo) as u32)
            })
            .filter(|(lo, hi)| hi > lo);
        let mut fuzzy = Vec::new();
        let len = chars.len();
        if len >= 4 && !chars.iter().all(char::is_ascii_digit) {
            let max = if len <= 7 { 1 } else { 2 };
            let grams = word_trigrams(&chars);
            // Words sharing trigrams with this one, of a close length; counted by sorting.
            let mut shared: Vec<u32> = Vec::new();
            for g in &grams {
                let Some(&(a, b)) = self.trigrams.get(g) else {
                    continue;
                };
                shared.extend(
                    self.tri_post[a as usize..b as usize]
                        .iter()
                        .filter(|&&t| self.token_chars[t as usize].len().abs_diff(len) <= max),
                );
            }
            shared.sort_unstable();
            // Each edit destroys at most 3 trigrams, a transposition 4.
            let need = grams.len().saturating_sub(4 * max).max(1);
            for run in shared.chunk_by(|a, b| a == b) {
                let t = run[0];
                if run.len() < need || Some(t) == exact {
                    continue;
                }
                if let Some(d) = osa_within(&chars, &self.token_chars[t as usize], max) {
                    fuzzy.push((t, d as u8));
                }
            }
        }
        QTok {
            chars: len as u32,
            exact,
            prefix,
            fuzzy,
        }
    }

    fn postings(&self, token: u32) -> &[u32] {
        &self.post
            [self.post_off[token as usize] as usize..self.post_off[token as usize + 1] as usize]
    }

    /// Names containing some query word, at most about [`CANDIDATE_CAP`]: rare words first,
    /// unfinished-word expansions only while they fit, and only until the words taken make up
    /// more than half of the query's letters (a title matching none of them could not reach the
    /// half coverage [`Self::score_words`] asks for).
    fn word_candidates(&self, qtoks: &[QTok]) -> Vec<u32> {
        let plain = |q: &QTok| -> usize {
            q.exact.map_or(0, |t| self.postings(t).len())
                + q.fuzzy
                    .iter()
                    .map(|&(t, _)| self.postings(t).len())
                    .sum::<usize>()
        };
        let ranged = |q: &QTok| -> usize {
            q.prefix.map_or(0, |(lo, hi)| {
                (self.post_off[hi as usize] - self.post_off[lo as usize]) as usize
            })
        };
        let total_chars: u32 = qtoks.iter().map(|q| q.chars).sum();
        let mut order: Vec<usize> = (0..qtoks.len()).collect();
        order.sort_by_key(|&i| (plain(&qtoks[i]).max(ranged(&qtoks[i])), i));
        let mut out: Vec<u32> = Vec::new();
        let mut budget = CANDIDATE_CAP;
        let mut covered = 0u32;
        for i in order {
            let q = &qtoks[i];
            let (p, r) = (plain(q), ranged(q));
            let was_empty = out.is_empty();
            let mut complete = true;
            let mut take = |list: &[u32], budget: &mut usize| {
                let n = list.len().min(*budget);
                complete &= n == list.len();
                out.extend_from_slice(&list[..n]);
                *budget -= n;
            };
            if let Some((lo, hi)) = q.prefix.filter(|_| r <= budget) {
                // The prefix range includes the exact word; corrections are added apart.
                take(
                    &self.post
                        [self.post_off[lo as usize] as usize..self.post_off[hi as usize] as usize],
                    &mut budget,
                );
                for &(t, _) in &q.fuzzy {
                    take(self.postings(t), &mut budget);
                }
            } else if p <= budget || was_empty {
                for t in q.exact.into_iter().chain(q.fuzzy.iter().map(|&(t, _)| t)) {
                    take(self.postings(t), &mut budget);
                }
                complete &= q.prefix.is_none() || r == 0;
            } else {
                complete = false;
            }
            if complete {
                covered += q.chars;
            }
            if budget == 0 || covered * 2 > total_chars {
                break;
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Scores a name against the query words: `Token` when every word is in the title, `Fuzzy`
    /// (with a similarity in `[0, 1]`) when at least half of the query's letters match.
    fn score_words(&self, name: u32, qtoks: &[QTok]) -> Option<(MatchKind, f64)> {
        let words = &self.name_toks[self.name_tok_off[name as usize] as usize
            ..self.name_tok_off[name as usize + 1] as usize];
        let mut used = 0u64;
        let mut cost = 0u32;
        let mut total = 0u32;
        let mut all_exact = true;
        for q in qtoks {
            total += q.chars;
            let mut best: Option<(u32, usize)> = None;
            for (j, &w) in words.iter().enumerate().take(64) {
                let c = if Some(w) == q.exact
                    || q.prefix.is_some_and(|(lo, hi)| (lo..hi).contains(&w))
                {
                    0
                } else if let Ok(k) = q.fuzzy.binary_search_by_key(&w, |&(t, _)| t) {
                    u32::from(q.fuzzy[k].1)
                } else {
                    continue;
                };
                let free = used & (1 << j) == 0;
                if best.is_none_or(|(bc, bj)| c < bc || (c == bc && free && used & (1 << bj) != 0))
                {
                    best = Some((c, j));
                }
            }
            if let Some((c, j)) = best {
                cost += c;
                all_exact &= c == 0;
                used |= 1 << j;
            } else {
                cost += q.chars;
                all_exact = false;
            }
        }
        if all_exact {
            return Some((MatchKind::Token, 1.0));
        }
        let query_cover = 1.0 - f64::from(cost) / f64::from(total.max(1));
        if query_cover < 0.5 {
            return None;
        }
        let matched: u32 = words
            .iter()
            .enumerate()
            .take(64)
            .filter(|(j, _)| used & (1 << j) != 0)
            .map(|(_, &w)| self.token_chars[w as usize].len() as u32)
            .sum();
        let name_cover = f64::from(matched) / f64::from(self.name_chars[name as usize].max(1));
        Some((
            MatchKind::Fuzzy,
            0.7 * query_cover + 0.3 * name_cover.min(1.0),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: i64, title: &str, year: i32, popularity: i64) -> TitleEntry {
        TitleEntry::new(MovieId(id), title, Some(year), popularity)
    }

    fn catalog() -> TitleIndex {
        TitleIndex::build([
            entry(1, "The Godfather", 1972, 2_000_000),
            entry(2, "The Godfather Part II", 1974, 1_300_000),
            entry(3, "The Godfather Part III", 1990, 450_000),
            entry(4, "Dune", 1984, 150_000),
            entry(5, "Dune", 2021, 900_000),
            entry(6, "Dune: Part Two", 2024, 600_000),
            entry(7, "Shawshank Redemption, The", 1994, 2_800_000),
            entry(8, "Interstellar", 2014, 2_100_000),
            entry(9, "Rocky", 1976, 600_000),
            entry(10, "Rocky II", 1979, 250_000),
            entry(11, "Rocky III", 1982, 220_000),
            entry(12, "Amélie", 2001, 800_000),
            entry(13, "1917", 2019, 700_000),
            entry(14, "2001: A Space Odyssey", 1968, 750_000),
            entry(15, "Blade Runner", 1982, 850_000),
            entry(16, "Blade Runner 2049", 2017, 650_000),
            entry(
                17,
                "City of Lost Children, The (Cité des enfants perdus, La)",
                1995,
                60_000,
            ),
            entry(18, "Spider-Man", 2002, 800_000),
            entry(19, "Star Wars", 1977, 1_400_000),
            entry(20, "Rogue One: A Star Wars Story", 2016, 700_000),
            entry(21, "Schindler's List", 1993, 1_500_000),
            entry(22, "L.A. Confidential", 1997, 600_000),
            entry(23, "Fast & Furious", 2009, 300_000),
            entry(24, "Godzilla", 2014, 400_000),
        ])
    }

    fn ids(hits: &[SearchHit]) -> Vec<i64> {
        hits.iter().map(|h| h.id.0).collect()
    }

    fn top(index: &TitleIndex, query: &str) -> SearchHit {
        index
            .search(query, 10)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no hit for {query:?}"))
    }

    #[test]
    fn normalisation_folds_case_accents_punctuation_and_articles() {
        assert_eq!(normalize_title("The Godfather"), "godfather");
        assert_eq!(normalize_title("Godfather, The"), "godfather");
        assert_eq!(normalize_title("  AMÉLIE!! "), "amelie");
        assert_eq!(normalize_title("Schindler's List"), "schindlers list");
        assert_eq!(normalize_title("L'Avventura"), "avventura");
        assert_eq!(normalize_title("Avventura, L'"), "avventura");
        assert_eq!(normalize_title("L.A. Confidential"), "la confidential");
        assert_eq!(normalize_title("Fast & Furious"), "fast and furious");
        assert_eq!(normalize_title("Rocky IV"), "rocky 4");
        assert_eq!(normalize_title("Kill Bill: Vol. I"), "kill bill vol 1");
        assert_eq!(normalize_title("I, Robot"), "i robot");
        assert_eq!(normalize_title("The"), "the");
        assert_eq!(normalize_title("Straße"), "strasse");
        assert_eq!(normalize_title("🎬 —"), "");
    }

    #[test]
    fn normalisation_is_stable_and_idempotent() {
        for t in [
            "The Godfather Part II",
            "Amélie",
            "City of Lost Children, The",
            "2001: A Space Odyssey",
        ] {
            let once = normalize_title(t);
            assert_eq!(normalize_title(&once), once, "{t}");
            assert_eq!(normalize_title(t), once);
        }
    }

    #[test]
    fn movielens_titles_are_split_and_shown_in_natural_order() {
        let parts = split_title("City of Lost Children, The (Cité des enfants perdus, La)");
        assert_eq!(parts.main, "The City of Lost Children");
        assert_eq!(
            parts.alternatives,
            vec!["La Cité des enfants perdus".to_owned()]
        );
        assert_eq!(
            natural_title("City of Lost Children, The (Cité des enfants perdus, La)"),
            "The City of Lost Children (La Cité des enfants perdus)"
        );
        assert_eq!(
            split_title("Seven (a.k.a. Se7en)").alternatives,
            vec!["Se7en".to_owned()]
        );
        assert_eq!(natural_title("Me, Myself & I"), "Me, Myself & I");
    }

    #[test]
    fn an_exact_title_is_a_confident_hit() {
        let index = catalog();
        let hit = top(&index, "the godfather");
        assert_eq!(hit.id, MovieId(1));
        assert_eq!(hit.kind, MatchKind::Exact);
        assert!(hit.is_confident());
        assert!((hit.score - 1.0).abs() < 1e-9);
    }

    #[test]
    fn a_year_in_the_query_picks_the_right_dune() {
        let index = catalog();
        for (query, want) in [
            ("dune 1984", 4),
            ("Dune (1984)", 4),
            ("Dune (2021)", 5),
            ("dune 2021", 5),
        ] {
            let hits = index.search(query, 5);
            assert_eq!(hits[0].id, MovieId(want), "{query}");
            assert_eq!(hits[0].year_fit, YearFit::Exact, "{query}");
            assert!(hits[0].is_confident());
            assert!(
                !hits[1].is_confident() || hits[1].id != MovieId(9 - want),
                "the other Dune is not confident"
            );
        }
        assert_eq!(
            index.lookup("dune 1984", 5),
            Lookup::Found(top(&index, "dune 1984"))
        );
        assert!(matches!(index.lookup("dune", 5), Lookup::Ambiguous(h) if ids(&h) == vec![5, 4]));
    }

    #[test]
    fn a_wrong_year_turns_an_exact_title_into_a_suggestion() {
        let index = catalog();
        let hit = top(&index, "interstellar 1990");
        assert_eq!(hit.id, MovieId(8));
        assert_eq!(hit.year_fit, YearFit::Differs);
        assert!(!hit.is_confident());
        assert!(
            matches!(index.lookup("interstellar 1990", 3), Lookup::Suggestions(h) if h[0].id == MovieId(8))
        );
        // One year off is still the film (sources disagree on release years).
        assert!(top(&index, "interstellar 2015").is_confident());
    }

    #[test]
    fn a_typo_still_finds_the_film() {
        let index = catalog();
        for (query, want) in [
            ("godfahter", 1),
            ("shawshank redemtion", 7),
            ("intersteller", 8),
            ("amelei", 12),
        ] {
            let hit = top(&index, query);
            assert_eq!(hit.id, MovieId(want), "{query}");
            assert_eq!(hit.kind, MatchKind::Fuzzy, "{query}");
            assert!(!hit.is_confident(), "a typo is a suggestion: {query}");
        }
        assert!(
            matches!(index.lookup("intersteller", 3), Lookup::Suggestions(h) if h[0].id == MovieId(8))
        );
    }

    #[test]
    fn unknown_titles_get_no_confident_hit() {
        let index = catalog();
        assert!(index.search("zzqx wplk", 10).is_empty());
        assert_eq!(
            index.lookup("zzqx wplk", 5),
            Lookup::Suggestions(Vec::new())
        );
    }

    #[test]
    fn leading_articles_do_not_matter() {
        let index = catalog();
        for q in [
            "shawshank redemption",
            "the shawshank redemption",
            "Shawshank Redemption, The",
        ] {
            let hit = top(&index, q);
            assert_eq!((hit.id, hit.kind), (MovieId(7), MatchKind::Exact), "{q}");
        }
        assert_eq!(top(&index, "godfather").id, MovieId(1));
        assert_eq!(
            top(&index, "the shawshank redemption").title,
            "The Shawshank Redemption"
        );
    }

    #[test]
    fn roman_numerals_match_digits() {
        let index = catalog();
        let hit = top(&index, "rocky 2");
        assert_eq!((hit.id, hit.kind), (MovieId(10), MatchKind::Exact));
        assert_eq!(top(&index, "Rocky III").id, MovieId(11));
        assert_eq!(top(&index, "the godfather part 2").id, MovieId(2));
        assert_eq!(top(&index, "godfather 2").id, MovieId(2));
    }

    #[test]
    fn an_unfinished_roman_numeral_completes_as_the_user_types() {
        let index = catalog();
        let hits = index.search("rocky i", 3);
        assert_eq!(ids(&hits[..2]), vec![10, 11]);
        assert!(hits[..2].iter().all(|h| h.kind == MatchKind::Prefix));
    }

    #[test]
    fn number_words_after_part_match_digits() {
        assert_eq!(normalize_title("Dune: Part Two"), "dune part 2");
        let hit = top(&catalog(), "dune part 2");
        assert_eq!((hit.id, hit.kind), (MovieId(6), MatchKind::Exact));
    }

    #[test]
    fn accents_do_not_matter() {
        let index = catalog();
        let hit = top(&index, "amelie");
        assert_eq!((hit.id, hit.kind), (MovieId(12), MatchKind::Exact));
        assert_eq!(hit.title, "Amélie");
        assert_eq!(top(&index, "AMÉLIE").id, MovieId(12));
    }

    #[test]
    fn punctuation_and_spacing_do_not_matter() {
        let index = catalog();
        for q in ["spiderman", "spider man", "Spider-Man"] {
            assert_eq!(top(&index, q).id, MovieId(18), "{q}");
            assert_eq!(top(&index, q).kind, MatchKind::Exact, "{q}");
        }
        assert_eq!(top(&index, "schindlers list").id, MovieId(21));
        assert_eq!(top(&index, "la confidential").id, MovieId(22));
        assert_eq!(top(&index, "fast and furious").id, MovieId(23));
    }

    #[test]
    fn a_title_that_is_a_year_is_not_taken_as_a_year() {
        let index = catalog();
        let hit = top(&index, "1917");
        assert_eq!((hit.id, hit.kind), (MovieId(13), MatchKind::Exact));
        assert_eq!(top(&index, "2001").id, MovieId(14));
        assert_eq!(top(&index, "2001 a space odyssey").kind, MatchKind::Exact);
        assert_eq!(
            top(&index, "2001: A Space Odyssey (1968)").year_fit,
            YearFit::Exact
        );
        let hits = index.search("blade runner 2049", 5);
        assert_eq!(hits[0].id, MovieId(16));
        assert!(hits[0].is_confident());
        assert_eq!(top(&index, "1917 (2019)").id, MovieId(13));
    }

    #[test]
    fn a_prefix_finds_films_as_the_user_types() {
        let index = catalog();
        let hits = index.search("the godf", 25);
        assert_eq!(ids(&hits[..3]), vec![1, 2, 3]);
        assert!(hits[..3].iter().all(|h| h.kind == MatchKind::Prefix));
        assert_eq!(top(&index, "inters").id, MovieId(8));
        // An unfinished word later in the title.
        assert_eq!(top(&index, "redemp").id, MovieId(7));
        assert_eq!(top(&index, "redemp").kind, MatchKind::Token);
    }

    #[test]
    fn words_in_any_order_match_all_of_them() {
        let index = catalog();
        let hit = top(&index, "redemption shawshank");
        assert_eq!((hit.id, hit.kind), (MovieId(7), MatchKind::Token));
        let star_wars = ids(&index.search("star wars", 5));
        assert_eq!(&star_wars[..2], &[19, 20]);
    }

    #[test]
    fn alternative_titles_are_searchable() {
        let index = catalog();
        let hit = top(&index, "cite des enfants perdus");
        assert_eq!((hit.id, hit.kind), (MovieId(17), MatchKind::Exact));
        assert_eq!(
            hit.title,
            "The City of Lost Children (La Cité des enfants perdus)"
        );
        assert_eq!(top(&index, "the city of lost children").id, MovieId(17));
        let extra = TitleIndex::build([TitleEntry {
            alternative_titles: vec!["Le fabuleux destin d'Amélie Poulain".into()],
            ..entry(1, "Amélie", 2001, 10)
        }]);
        assert_eq!(top(&extra, "fabuleux destin").id, MovieId(1));
    }

    #[test]
    fn more_popular_films_rank_first_among_equal_matches() {
        let index = TitleIndex::build([
            entry(1, "Heat", 1986, 5_000),
            entry(2, "Heat", 1995, 700_000),
            entry(3, "Heat", 1972, 900),
        ]);
        let hits = index.search("heat", 10);
        assert_eq!(ids(&hits), vec![2, 1, 3]);
        assert!(hits.iter().all(|h| h.kind == MatchKind::Exact));
        // Match quality comes before popularity.
        let index = TitleIndex::build([
            entry(1, "Heat", 1995, 10),
            entry(2, "Heatwave", 2000, 1_000_000),
        ]);
        assert_eq!(ids(&index.search("heat", 10)), vec![1, 2]);
    }

    #[test]
    fn ties_are_broken_deterministically() {
        let index = TitleIndex::build([
            entry(3, "Heat", 1995, 10),
            entry(1, "Heat", 1995, 10),
            entry(2, "Heat", 1995, 10),
        ]);
        assert_eq!(ids(&index.search("heat", 10)), vec![1, 2, 3]);
        let a = catalog().search("godfather", 25);
        let b = catalog().search("godfather", 25);
        assert_eq!(a, b);
    }

    #[test]
    fn an_empty_or_hostile_query_returns_nothing_without_panicking() {
        let index = catalog();
        for q in [
            "",
            "   ",
            "🎬🍿🎥",
            "\u{0}\u{7}\n\t\u{1b}[0m",
            "%_'",
            "'; DROP TABLE movies; --",
            "()",
            "(1984)",
        ] {
            let hits = index.search(q, 25);
            assert!(hits.len() <= 25, "{q:?}");
            if q.chars().all(|c| !c.is_alphanumeric()) {
                assert!(hits.is_empty(), "{q:?}");
            }
        }
        let long = "godfather ".repeat(400);
        assert_eq!(long.chars().count(), 4_000);
        assert!(index.search(&long, 25).len() <= 25);
        assert!(index.search(&"x".repeat(4_000), 25).is_empty());
        assert!(index.search(&"é".repeat(4_000), 25).is_empty());
        assert!(TitleIndex::build([]).search("godfather", 25).is_empty());
        for hit in index.search("a", 25) {
            assert!(hit.score.is_finite() && (0.0..=1.0).contains(&hit.score));
        }
    }

    #[test]
    fn results_never_exceed_the_limit() {
        let index = catalog();
        for limit in [0, 1, 2, 5, 25] {
            for q in [
                "a",
                "the",
                "godfather",
                "dune",
                "r",
                "star wars",
                "intersteller",
            ] {
                assert!(index.search(q, limit).len() <= limit, "{q} {limit}");
            }
        }
        assert_eq!(index.search("godfather", 2).len(), 2);
        assert!(index.search("godfather", usize::MAX).len() <= index.len());
    }

    #[test]
    fn one_film_appears_once_even_under_several_titles() {
        let index = catalog();
        let hits = index.search("city", 25);
        let mut seen = ids(&hits);
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), hits.len());
    }

    #[test]
    fn autocomplete_labels_fit_discord() {
        assert_eq!(autocomplete_label("Dune", Some(2021)), "Dune (2021)");
        assert_eq!(autocomplete_label("Dune", None), "Dune");
        assert_eq!(autocomplete_label("", None), "(untitled)");
        assert_eq!(autocomplete_label("a\nb", None), "a b");
        let long = "é".repeat(300);
        let label = autocomplete_label(&long, Some(1999));
        assert_eq!(label.chars().count(), AUTOCOMPLETE_LABEL_MAX_CHARS);
        assert!(label.ends_with("… (1999)"));
        let exact = "x".repeat(93);
        assert_eq!(autocomplete_label(&exact, Some(1999)).chars().count(), 100);
        assert!(!autocomplete_label(&exact, Some(1999)).contains('…'));
        assert_eq!(top(&catalog(), "amelie").label(), "Amélie (2001)");
    }

    #[test]
    fn edit_distance_counts_transpositions_as_one() {
        let c = |s: &str| s.chars().collect::<Vec<_>>();
        assert_eq!(osa_within(&c("godfahter"), &c("godfather"), 2), Some(1));
        assert_eq!(osa_within(&c("kitten"), &c("sitting"), 2), None);
        assert_eq!(osa_within(&c("kitten"), &c("sitting"), 3), Some(3));
        assert_eq!(osa_within(&c("abc"), &c("abc"), 0), Some(0));
    }
}
