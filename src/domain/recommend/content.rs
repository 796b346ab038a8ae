//! Content-based filtering: TF-IDF vectors over a film's genres, keywords, overview words,
//! directors and cast (Salton & Buckley 1988 term weighting; Pazzani & Billsus 2007,
//! "Content-based recommendation systems"), cosine item-item similarity, and a user profile
//! that is the weighted sum of the liked films' vectors. Serves new films and new users.

use std::collections::HashMap;

use crate::domain::catalog::Movie;
use crate::domain::ids::MovieId;

use super::data::{Csr, IdMap};
use super::{Checked, ParamError, Params, ensure};

/// Hyper-parameters of [`ContentIndex`]: the weight of each field before IDF.
#[derive(Debug, Clone)]
pub struct ContentParams {
    pub genre_weight: f32,
    pub keyword_weight: f32,
    pub overview_weight: f32,
    pub director_weight: f32,
    pub cast_weight: f32,
    /// Lead actors used per film.
    pub cast_limit: usize,
}

impl Default for ContentParams {
    fn default() -> Self {
        Self {
            genre_weight: 1.0,
            keyword_weight: 1.0,
            overview_weight: 0.3,
            director_weight: 1.0,
            cast_weight: 0.5,
            cast_limit: 5,
        }
    }
}

impl Params for ContentParams {
    fn check(self) -> Result<Checked<Self>, ParamError> {
        for (name, w) in [
            ("genre_weight", self.genre_weight),
            ("keyword_weight", self.keyword_weight),
            ("overview_weight", self.overview_weight),
            ("director_weight", self.director_weight),
            ("cast_weight", self.cast_weight),
        ] {
            ensure(w >= 0.0 && w.is_finite(), "content", name, "≥ 0", w)?;
        }
        Ok(Checked(self))
    }
}

const STOP: [&str; 40] = [
    "the", "a", "an", "and", "or", "of", "to", "in", "on", "for", "with", "his", "her", "their",
    "is", "are", "as", "at", "by", "from", "who", "that", "this", "it", "its", "into", "be", "has",
    "have", "he", "she", "they", "them", "but", "when", "after", "while", "about", "one", "two",
];

/// Which field of the film a content feature comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum FeatureKind {
    Genre = 0,
    Keyword = 1,
    Director = 2,
    Cast = 3,
    /// A word of the overview.
    Word = 4,
}

impl FeatureKind {
    /// The kind stored as `code` by `as u8`, if valid.
    pub fn from_code(code: u8) -> Option<Self> {
        [
            Self::Genre,
            Self::Keyword,
            Self::Director,
            Self::Cast,
            Self::Word,
        ]
        .into_iter()
        .find(|k| *k as u8 == code)
    }
}

/// Film vectors (L2-normalised TF-IDF) over named features.
#[derive(Debug, Clone)]
pub struct ContentIndex {
    pub items: IdMap<MovieId>,
    pub titles: Vec<String>,
    /// Human-readable feature names ("sci-fi", "space", "Ridley Scott"); see `kinds`.
    pub features: Vec<String>,
    /// The field of each feature (same length as `features`).
    pub kinds: Vec<FeatureKind>,
    /// Row per film: feature indices and weights.
    pub vectors: Csr,
}

fn lower(s: &str) -> String {
    s.trim().to_lowercase()
}

impl Checked<ContentParams> {
    /// Builds the index. Films with no features get an empty vector (they score 0).
    pub fn fit(&self, movies: &[Movie]) -> ContentIndex {
        let p = &self.0;
        let mut items = IdMap::default();
        let mut titles = Vec::new();
        let mut names: IdMap<u32> = IdMap::default();
        let mut features: Vec<String> = Vec::new();
        let mut kinds: Vec<FeatureKind> = Vec::new();
        let mut key_of: HashMap<String, u32> = HashMap::new();
        let mut raw: Vec<Vec<(u32, f32)>> = Vec::new();
        for m in movies {
            if items.get(m.id).is_some() {
                continue;
            }
            items.insert(m.id);
            titles.push(m.info.title.clone());
            let mut tf: HashMap<u32, f32> = HashMap::new();
            let mut add = |key: String, label: String, w: f32| {
                if w <= 0.0 || key.len() < 3 {
                    return;
                }
                let next = key_of.len() as u32;
                let kind = match key.as_bytes()[0] {
                    b'g' => FeatureKind::Genre,
                    b'k' => FeatureKind::Keyword,
                    b'd' => FeatureKind::Director,
                    b'c' => FeatureKind::Cast,
                    _ => FeatureKind::Word,
                };
                let f = *key_of.entry(key).or_insert_with(|| {
                    features.push(label);
                    kinds.push(kind);
                    next
                });
                names.insert(f);
                *tf.entry(f).or_default() += w;
            };
            for g in &m.info.genres {
                add(
                    format!("g:{}", g.name()),
                    g.name().to_lowercase(),
                    p.genre_weight,
                );
            }
            for kw in &m.info.keywords {
                add(format!("k:{}", lower(kw)), lower(kw), p.keyword_weight);
            }
            for d in &m.info.directors {
                add(
                    format!("d:{}", lower(d)),
                    d.trim().to_owned(),
                    p.director_weight,
                );
            }
            for c in m.info.cast.iter().take(p.cast_limit) {
                add(
                    format!("c:{}", lower(c)),
                    c.trim().to_owned(),
                    p.cast_weight,
                );
            }
            for w in m
                .info
                .overview
                .split(|c: char| !c.is_alphanumeric())
                .map(str::to_lowercase)
            {
                if w.len() > 3 && !STOP.contains(&w.as_str()) {
                    add(format!("w:{w}"), w, p.overview_weight);
                }
            }
            raw.push(tf.into_iter().collect());
        }
        let n = raw.len().max(1) as f32;
        let mut df = vec![0u32; features.len()];
        for v in &raw {
            for &(f, _) in v {
                df[f as usize] += 1;
            }
        }
        let mut ptr = vec![0usize];
        let (mut idx, mut val) = (Vec::new(), Vec::new());
        for mut v in raw {
            for e in &mut v {
                e.1 = (1.0 + e.1.ln_1p()) * (n / df[e.0 as usize] as f32).ln_1p();
            }
            let norm = v.iter().map(|e| e.1 * e.1).sum::<f32>().sqrt();
            v.sort_unstable_by_key(|e| e.0);
            for (f, w) in v {
                idx.push(f);
                val.push(if norm > 0.0 { w / norm } else { 0.0 });
            }
            ptr.push(idx.len());
        }
        ContentIndex {
            items,
            titles,
            features,
            kinds,
            vectors: Csr { ptr, idx, val },
        }
    }
}

impl ContentIndex {
    /// A dense user profile: Σ weight × film vector over `liked` (unknown films skipped).
    pub fn profile(&self, liked: &[(MovieId, f32)]) -> Vec<f32> {
        let mut prof = vec![0f32; self.features.len()];
        for &(m, w) in liked {
            let Some(i) = self.items.get(m) else { continue };
            if !w.is_finite() {
                continue;
            }
            let (fs, vs) = self.vectors.row(i as usize);
            for (&f, &v) in fs.iter().zip(vs) {
                prof[f as usize] += w * v;
            }
        }
        let norm = prof.iter().map(|v| v * v).sum::<f32>().sqrt();
        if norm > 0.0 {
            for v in &mut prof {
                *v /= norm;
            }
        }
        prof
    }

    /// Cosine of every film with `profile` into `out` (one per film, finite, in [−1, 1]).
    pub fn score_profile(&self, profile: &[f32], out: &mut [f32]) {
        for (i, o) in out.iter_mut().enumerate() {
            let (fs, vs) = self.vectors.row(i);
            let s: f32 = fs
                .iter()
                .zip(vs)
                .map(|(&f, &v)| profile.get(f as usize).copied().unwrap_or(0.0) * v)
                .sum();
            *o = super::finite_or(s, 0.0);
        }
    }

    /// The transpose of `vectors`: row `f` lists the films having feature `f` (an inverted
    /// index, so a profile scores only the films sharing one of its features).
    pub fn postings(&self) -> Csr {
        let entries: Vec<(u32, u32, f32)> = (0..self.items.len())
            .flat_map(|i| {
                let (fs, vs) = self.vectors.row(i);
                fs.iter()
                    .zip(vs)
                    .map(move |(&f, &v)| (f, i as u32, v))
                    .collect::<Vec<_>>()
            })
            .collect();
        Csr::from_entries(self.features.len(), &entries)
    }

    /// Cosine similarity of two films by index.
    #[allow(clippy::many_single_char_names, reason = "merge-join indices")]
    pub fn similarity(&self, a: u32, b: u32) -> f32 {
        let (fa, va) = self.vectors.row(a as usize);
        let (fb, vb) = self.vectors.row(b as usize);
        let (mut i, mut j, mut s) = (0, 0, 0f32);
        while i < fa.len() && j < fb.len() {
            match fa[i].cmp(&fb[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    s += va[i] * vb[j];
                    i += 1;
                    j += 1;
                }
            }
        }
        s
    }

    /// The `n` features that contribute most to film `i`'s match with `profile`.
    pub fn top_matches(&self, profile: &[f32], i: u32, n: usize) -> Vec<&str> {
        let (fs, vs) = self.vectors.row(i as usize);
        let mut c: Vec<(f32, u32)> = fs
            .iter()
            .zip(vs)
            .map(|(&f, &v)| (profile.get(f as usize).copied().unwrap_or(0.0) * v, f))
            .filter(|p| p.0 > 0.0)
            .collect();
        c.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        c.into_iter()
            .take(n)
            .map(|(_, f)| self.features[f as usize].as_str())
            .collect()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::catalog::{Genre, MovieInfo};

    pub(crate) fn film(id: i64, title: &str, genres: &[Genre], keywords: &[&str]) -> Movie {
        Movie {
            id: MovieId(id),
            info: MovieInfo {
                title: title.into(),
                genres: genres.to_vec(),
                keywords: keywords.iter().map(|s| (*s).to_owned()).collect(),
                ..MovieInfo::default()
            },
        }
    }

    #[test]
    fn a_space_profile_prefers_a_space_film_and_says_why() {
        let movies = vec![
            film(
                1,
                "Alien",
                &[Genre::SciFi, Genre::Horror],
                &["space", "alien"],
            ),
            film(2, "Solaris", &[Genre::SciFi], &["space", "planet"]),
            film(3, "Heat", &[Genre::Crime], &["heist"]),
            film(4, "Moon", &[Genre::SciFi], &["space"]),
        ];
        let c = ContentParams::default()
            .check()
            .expect("valid")
            .fit(&movies);
        let prof = c.profile(&[(MovieId(1), 1.0), (MovieId(2), 1.0)]);
        let mut s = vec![0f32; 4];
        c.score_profile(&prof, &mut s);
        assert!(s[3] > s[2]);
        assert!(c.top_matches(&prof, 3, 2).contains(&"space"));
        assert!(c.similarity(0, 3) > c.similarity(0, 2));
    }
}
