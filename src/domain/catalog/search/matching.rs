//! Candidate matching for one reading of a query: exact and prefix matches from the sorted
//! keys, an unfinished roman numeral, then word matches from the inverted index (any order,
//! unfinished last word, typos found by trigrams and edit distance), each scored with its year fit.

use super::index::TitleIndex;
use super::{MatchKind, YearFit};
use crate::domain::catalog::normalize::to_roman;

/// At most this many titles are scored precisely from the word index for one query.
const CANDIDATE_CAP: usize = 4_000;
/// At most this many titles are taken from one prefix range of the sorted keys.
const PREFIX_RANGE_CAP: usize = 20_000;

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

/// A film matched by one of its names, with how and how well.
#[derive(Debug, Clone, Copy)]
pub(super) struct Cand {
    pub(super) film: u32,
    pub(super) kind: MatchKind,
    pub(super) fit: YearFit,
    pub(super) score: f64,
}

fn tri_key(a: char, b: char, c: char) -> u64 {
    (u64::from(a) << 42) | (u64::from(b) << 21) | u64::from(c)
}

/// The distinct padded trigrams of a word (`^` and `$` as padding).
pub(super) fn word_trigrams(chars: &[char]) -> Vec<u64> {
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

impl TitleIndex {
    /// Adds the candidates for one reading of the query (its words, and maybe a year).
    pub(super) fn match_words(
        &self,
        toks: &[String],
        year: Option<i32>,
        limit: usize,
        out: &mut Vec<Cand>,
    ) {
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
    use crate::domain::catalog::search::Lookup;
    use crate::domain::catalog::search::tests::{catalog, ids, top};
    use crate::domain::ids::MovieId;

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
    fn an_unfinished_roman_numeral_completes_as_the_user_types() {
        let index = catalog();
        let hits = index.search("rocky i", 3);
        assert_eq!(ids(&hits[..2]), vec![10, 11]);
        assert!(hits[..2].iter().all(|h| h.kind == MatchKind::Prefix));
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
    fn edit_distance_counts_transpositions_as_one() {
        let c = |s: &str| s.chars().collect::<Vec<_>>();
        assert_eq!(osa_within(&c("godfahter"), &c("godfather"), 2), Some(1));
        assert_eq!(osa_within(&c("kitten"), &c("sitting"), 2), None);
        assert_eq!(osa_within(&c("kitten"), &c("sitting"), 3), Some(3));
        assert_eq!(osa_within(&c("abc"), &c("abc"), 0), Some(0));
    }
}
