//! The [`TitleIndex`]: built once from the catalog (folded names, word dictionary, inverted
//! and trigram indexes, sorted keys), then queried read-only: ranked [`TitleIndex::search`] and
//! one-film [`TitleIndex::lookup`].

use super::matching::{Cand, word_trigrams};
use super::{AUTOCOMPLETE_MAX_CHOICES, Lookup, SearchHit, TitleEntry};
use crate::domain::catalog::Movie;
use crate::domain::catalog::normalize::{fold_tokens, natural_title, split_title};
use crate::domain::ids::MovieId;
use std::cmp::Reverse;
use std::collections::{HashMap, HashSet};
use std::fmt;

/// Queries are cut to this many characters before parsing.
const MAX_QUERY_CHARS: usize = 200;
/// Queries are cut to this many words.
const MAX_QUERY_TOKENS: usize = 12;
/// Longer words are cut to this many characters (no title word is longer).
const MAX_TOKEN_CHARS: usize = 40;
/// A number in this range at the end of a query may be a release year.
const YEARS: std::ops::RangeInclusive<i32> = 1870..=2100;

/// One indexed film: what a hit shows, and how it ranks among equals.
#[derive(Debug, Clone)]
pub(super) struct FilmRec {
    id: MovieId,
    title: Box<str>,
    pub(super) year: Option<i32>,
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
    pub(super) films: Vec<FilmRec>,
    /// For each name: its film.
    pub(super) name_film: Vec<u32>,
    /// Name `n`'s words are `name_toks[name_tok_off[n]..name_tok_off[n + 1]]`.
    pub(super) name_tok_off: Vec<u32>,
    pub(super) name_toks: Vec<u32>,
    /// Folded words joined by single spaces.
    pub(super) name_key: Vec<Box<str>>,
    /// Folded words joined with no space.
    pub(super) name_compact: Vec<Box<str>>,
    /// Total characters of the name's words.
    pub(super) name_chars: Vec<u32>,
    /// The word dictionary, sorted; a word's id is its position.
    pub(super) tokens: Vec<Box<str>>,
    pub(super) token_chars: Vec<Box<[char]>>,
    /// Word `t` occurs in names `post[post_off[t]..post_off[t + 1]]` (ascending, distinct).
    pub(super) post_off: Vec<u32>,
    pub(super) post: Vec<u32>,
    /// Trigram → range of `tri_post`, the words containing it.
    pub(super) trigrams: HashMap<u64, (u32, u32)>,
    pub(super) tri_post: Vec<u32>,
    /// Name ids sorted by key, and by compact key.
    pub(super) by_key: Vec<u32>,
    pub(super) by_compact: Vec<u32>,
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::search::tests::{catalog, entry, ids, top};
    use crate::domain::catalog::search::{MatchKind, YearFit, normalize_title};

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
}
