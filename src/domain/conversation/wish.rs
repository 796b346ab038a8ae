//! A [`Wish`]: what someone is in the mood for, and how it describes, relaxes and checks
//! itself. Parsing ([`parse_wish`]) and critiques ([`apply_critique`]) live in sibling modules
//! and are re-exported here, as are the mood look-ups ranking uses.

use serde::{Deserialize, Serialize};

use super::lexicon::MOODS;
use crate::domain::catalog::Genre;
use crate::domain::ids::MovieId;

pub use super::critique::{Critique, apply_critique};
pub use super::lexicon::{mood_genres, mood_keywords};
pub use super::parse::parse_wish;

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
    /// Films asked for by what they are rather than their title ("the sequel to Toy Story" →
    /// Toy Story 2): shown first when they meet the rest of the wish.
    #[serde(default)]
    pub wanted: Vec<MovieId>,
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

    /// The reference films' titles, sanitised (no mention can ride in a title).
    pub(super) fn reference_titles(
        &self,
        title_of: impl Fn(MovieId) -> Option<String>,
    ) -> Vec<String> {
        self.references
            .iter()
            .filter_map(|&m| title_of(m))
            .map(|t| sanitize(&t))
            .collect()
    }

    /// One line describing the wish ("funny sci-fi like Alien (1979), from the 90s").
    pub fn describe(&self, title_of: impl Fn(MovieId) -> Option<String>) -> String {
        let mut head: Vec<String> = self.moods.iter().map(|m| mood_label(m)).collect();
        head.extend(self.genres.iter().map(|g| g.name().to_lowercase()));
        let mut out = head.join(" ");
        let wanted: Vec<String> = self
            .wanted
            .iter()
            .filter_map(|&m| title_of(m))
            .map(|t| sanitize(&t))
            .collect();
        let refs = self.reference_titles(title_of);
        if !refs.is_empty() {
            if out.is_empty() {
                out.push_str("something");
            }
            out.push_str(" like ");
            out.push_str(&join_or(&refs, "and"));
        }
        if !wanted.is_empty() {
            let then = if out.is_empty() {
                String::new()
            } else {
                format!(", then {}", out.trim_start())
            };
            out = format!("{}{then}", join_or(&wanted, "and"));
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

    /// A looser wish for when the hard constraints leave too few films: drops, in order, the
    /// runtime bounds, the era, the people, the wanted genres (a person named is more the
    /// subject of a wish than its length or years); `None` when nothing is left to drop. The
    /// exclusions (`not_genres`, moods to avoid, the audience) are kept.
    pub fn relaxed(&self) -> Option<Wish> {
        let mut w = self.clone();
        if w.max_runtime.is_some() || w.min_runtime.is_some() {
            w.max_runtime = None;
            w.min_runtime = None;
        } else if w.min_year.is_some() || w.max_year.is_some() {
            w.min_year = None;
            w.max_year = None;
        } else if !w.people.is_empty() {
            w.people.clear();
        } else if !w.genres.is_empty() {
            w.genres.clear();
        } else {
            return None;
        }
        Some(w)
    }

    /// [`Wish::relaxed`], with the part it dropped in words ("with Tom Hanks", "under 90
    /// minutes", "from the 1990s", "horror or comedy").
    pub fn relaxed_part(&self) -> Option<(Wish, String)> {
        let next = self.relaxed()?;
        let part = if next.people != self.people {
            format!("with {}", join_or(&self.people, "and"))
        } else if next.max_runtime != self.max_runtime || next.min_runtime != self.min_runtime {
            let mut bounds = Vec::new();
            if let Some(r) = self.min_runtime {
                bounds.push(format!("over {}", minutes_phrase(r)));
            }
            if let Some(r) = self.max_runtime {
                bounds.push(format!("under {}", minutes_phrase(r)));
            }
            bounds.join(" and ")
        } else if next.min_year != self.min_year || next.max_year != self.max_year {
            era_phrase(self.min_year, self.max_year).unwrap_or_else(|| "the years".to_owned())
        } else {
            let names: Vec<String> = self
                .genres
                .iter()
                .map(|g| g.name().to_lowercase())
                .collect();
            join_or(&names, "or")
        };
        Some((next, part))
    }

    /// Recomputes [`Wish::contradictions`] from the other fields.
    pub(super) fn check_contradictions(&mut self) {
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

    pub(super) fn add_mood(&mut self, name: &str) {
        if let Some(m) = MOODS.iter().find(|m| m.name == name) {
            push_unique(&mut self.moods, m.name.to_owned());
            self.not_moods.retain(|x| x != m.name);
            for k in m.keywords {
                push_unique(&mut self.keywords, (*k).to_owned());
            }
        }
    }

    pub(super) fn drop_mood(&mut self, name: &str) {
        if let Some(m) = MOODS.iter().find(|m| m.name == name) {
            self.moods.retain(|x| x != name);
            self.keywords.retain(|k| !m.keywords.contains(&k.as_str()));
        }
    }
}

pub(super) fn mood_label(name: &str) -> String {
    match name {
        "romantic-mood" => "romantic".to_owned(),
        other => other.to_owned(),
    }
}

pub(super) fn push_unique<T: PartialEq>(v: &mut Vec<T>, x: T) {
    if !v.contains(&x) {
        v.push(x);
    }
}

/// "a", "a or b", "a, b or c" (with `word` between the last two).
pub fn join_or(items: &[String], word: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} {word} {last}", init.join(", ")),
    }
}

pub(super) fn era_phrase(lo: Option<i32>, hi: Option<i32>) -> Option<String> {
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

pub(super) fn minutes_phrase(m: i32) -> String {
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
pub(super) fn sanitize(s: &str) -> String {
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::catalog::search::TitleIndex;
    use crate::domain::catalog::{Movie, MovieInfo};

    pub(crate) const NOW: i32 = 2025;

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

    pub(crate) fn setup() -> (Vec<Movie>, TitleIndex) {
        let m = starter();
        let idx = TitleIndex::from_movies(&m);
        (m, idx)
    }

    pub(crate) fn title(movies: &[Movie], id: MovieId) -> String {
        movies
            .iter()
            .find(|m| m.id == id)
            .map(|m| m.info.display_title())
            .unwrap_or_default()
    }

    pub(crate) fn id_of(movies: &[Movie], display: &str) -> MovieId {
        movies
            .iter()
            .find(|m| m.info.display_title() == display)
            .map_or_else(|| panic!("{display} not in the starter catalog"), |m| m.id)
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
}
