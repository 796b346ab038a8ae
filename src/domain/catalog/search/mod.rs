//! Title search over the catalog: typo-tolerant, year-aware ranking of folded titles (see
//! [`normalize_title`]), pure and deterministic. Build a [`TitleIndex`] once, then
//! [`TitleIndex::search`] (ranked hits) or [`TitleIndex::lookup`] (one film, several, or none).

mod index;
mod matching;

pub use super::normalize::{TitleParts, natural_title, normalize_title, split_title};
pub use index::TitleIndex;

use crate::domain::catalog::Movie;
use crate::domain::ids::MovieId;

/// Discord's limit on the length of an autocomplete choice's name, in characters.
pub const AUTOCOMPLETE_LABEL_MAX_CHARS: usize = 100;

/// Discord's limit on the number of autocomplete choices.
pub const AUTOCOMPLETE_MAX_CHOICES: usize = 25;

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

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn entry(id: i64, title: &str, year: i32, popularity: i64) -> TitleEntry {
        TitleEntry::new(MovieId(id), title, Some(year), popularity)
    }

    pub(super) fn catalog() -> TitleIndex {
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

    pub(super) fn ids(hits: &[SearchHit]) -> Vec<i64> {
        hits.iter().map(|h| h.id.0).collect()
    }

    pub(super) fn top(index: &TitleIndex, query: &str) -> SearchHit {
        index
            .search(query, 10)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no hit for {query:?}"))
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
}
