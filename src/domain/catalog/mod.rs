//! The catalog: films, genres and people, and title search over them. No I/O here.

pub mod merge;
mod normalize;
pub mod search;

use crate::domain::ids::MovieId;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A film genre. The union of MovieLens's and TMDB's genre lists, with synonyms folded
/// ("Sci-Fi" = "Science Fiction", "Children's" = "Family", "Music" = "Musical").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Genre {
    Action,
    Adventure,
    Animation,
    Comedy,
    Crime,
    Documentary,
    Drama,
    Family,
    Fantasy,
    FilmNoir,
    History,
    Horror,
    Musical,
    Mystery,
    Romance,
    SciFi,
    Thriller,
    War,
    Western,
}

impl Genre {
    /// Every genre, in display order.
    pub const ALL: [Genre; 19] = [
        Genre::Action,
        Genre::Adventure,
        Genre::Animation,
        Genre::Comedy,
        Genre::Crime,
        Genre::Documentary,
        Genre::Drama,
        Genre::Family,
        Genre::Fantasy,
        Genre::FilmNoir,
        Genre::History,
        Genre::Horror,
        Genre::Musical,
        Genre::Mystery,
        Genre::Romance,
        Genre::SciFi,
        Genre::Thriller,
        Genre::War,
        Genre::Western,
    ];

    /// The name shown to people and stored in the database.
    pub const fn name(self) -> &'static str {
        match self {
            Genre::Action => "Action",
            Genre::Adventure => "Adventure",
            Genre::Animation => "Animation",
            Genre::Comedy => "Comedy",
            Genre::Crime => "Crime",
            Genre::Documentary => "Documentary",
            Genre::Drama => "Drama",
            Genre::Family => "Family",
            Genre::Fantasy => "Fantasy",
            Genre::FilmNoir => "Film-Noir",
            Genre::History => "History",
            Genre::Horror => "Horror",
            Genre::Musical => "Musical",
            Genre::Mystery => "Mystery",
            Genre::Romance => "Romance",
            Genre::SciFi => "Sci-Fi",
            Genre::Thriller => "Thriller",
            Genre::War => "War",
            Genre::Western => "Western",
        }
    }

    /// Parses a list such as MovieLens's `Action|Sci-Fi`, skipping names that are not genres
    /// (`(no genres listed)`, `IMAX`, `TV Movie`, `Foreign`). Duplicates are removed, order kept.
    pub fn parse_list(text: &str, separator: char) -> Vec<Genre> {
        let mut out = Vec::new();
        for g in text
            .split(separator)
            .filter_map(|s| s.trim().parse::<Genre>().ok())
        {
            if !out.contains(&g) {
                out.push(g);
            }
        }
        out
    }
}

impl fmt::Display for Genre {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not one of Marquee's genres.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown genre {0:?}")]
pub struct UnknownGenre(pub String);

impl FromStr for Genre {
    type Err = UnknownGenre;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key: String = s
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        Ok(match key.as_str() {
            "action" => Genre::Action,
            "adventure" => Genre::Adventure,
            "animation" | "animated" | "anime" => Genre::Animation,
            "comedy" | "comedies" | "funny" => Genre::Comedy,
            "crime" => Genre::Crime,
            "documentary" | "documentaries" | "doc" => Genre::Documentary,
            "drama" | "dramas" => Genre::Drama,
            "family" | "children" | "childrens" | "kids" => Genre::Family,
            "fantasy" => Genre::Fantasy,
            "filmnoir" | "noir" => Genre::FilmNoir,
            "history" | "historical" => Genre::History,
            "horror" => Genre::Horror,
            "musical" | "music" | "musicals" => Genre::Musical,
            "mystery" => Genre::Mystery,
            "romance" | "romantic" => Genre::Romance,
            "scifi" | "sciencefiction" | "sf" => Genre::SciFi,
            "thriller" | "thrillers" => Genre::Thriller,
            "war" => Genre::War,
            "western" | "westerns" => Genre::Western,
            _ => return Err(UnknownGenre(s.to_owned())),
        })
    }
}

/// External identifiers that tie a film to public data sets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalIds {
    pub movielens: Option<i64>,
    pub tmdb: Option<i64>,
    /// IMDb id with its `tt` prefix, e.g. `tt0068646`.
    pub imdb: Option<String>,
}

/// Everything Marquee knows about a film, before it has a catalog id.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MovieInfo {
    pub title: String,
    /// Release year, when known.
    pub year: Option<i32>,
    pub genres: Vec<Genre>,
    pub overview: String,
    pub keywords: Vec<String>,
    pub directors: Vec<String>,
    /// A few lead actors, billing order.
    pub cast: Vec<String>,
    /// Production countries, ISO 3166-1 alpha-2 where known.
    pub countries: Vec<String>,
    pub runtime_min: Option<i32>,
    pub external: ExternalIds,
    /// How many people have rated or voted on the film in the source data (0 when unknown).
    pub vote_count: i64,
    /// Mean vote on a 0–10 scale in the source data, when known.
    pub vote_average: Option<f64>,
    /// Where `vote_count` and `vote_average` come from (`None` when nobody knows, or for
    /// votes stored before sources were recorded and not from TMDB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vote_source: Option<VoteSource>,
}

/// Public data a film's votes come from; reasons name it ("from 1,234 MovieLens ratings").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VoteSource {
    /// Star ratings (0.5–5) in a MovieLens data set (GroupLens Research); `vote_average` holds
    /// their mean times two.
    MovieLens,
    /// Votes (0–10) on The Movie Database, as in the TMDB 5000 table.
    Tmdb,
}

/// A film's votes in public data: how many, their mean (0–10) and where they come from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Votes {
    pub count: i64,
    /// The mean on a 0–10 scale (MovieLens stars times two).
    pub average: f64,
    pub source: VoteSource,
}

/// A film keeps the votes of one data set, so films compare within whole data sets: votes
/// from the same data set replace them (a newer copy), another data set's only when the film
/// has fewer than this many (too few to say much).
pub const VOTES_KEPT_FROM: i64 = 10;

/// Whether votes (`count` > 0, from `source`) replace the ones `stored` holds (see
/// [`VOTES_KEPT_FROM`]).
pub fn votes_replace(stored: &MovieInfo, count: i64, source: Option<VoteSource>) -> bool {
    count > 0
        && (stored.vote_count < VOTES_KEPT_FROM
            || stored.vote_source.is_none()
            || stored.vote_source == source)
}

impl Votes {
    /// The votes a film's record holds, if it holds any with a known source.
    pub fn of(info: &MovieInfo) -> Option<Self> {
        match (info.vote_count, info.vote_average, info.vote_source) {
            (count, Some(average), Some(source)) if count > 0 && average.is_finite() => {
                Some(Votes {
                    count,
                    average: average.clamp(0.0, 10.0),
                    source,
                })
            }
            _ => None,
        }
    }
}

/// Votes for the film of a title and year (how a prior shipped as data names its films).
#[derive(Debug, Clone, PartialEq)]
pub struct FilmVotes {
    pub title: String,
    pub year: i32,
    pub votes: Votes,
}

impl VoteSource {
    /// Every source.
    pub const ALL: [VoteSource; 2] = [VoteSource::MovieLens, VoteSource::Tmdb];

    /// The stable name stored in the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            VoteSource::MovieLens => "movielens",
            VoteSource::Tmdb => "tmdb",
        }
    }

    /// The name stored in the database read back (`None` for anything else).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

impl MovieInfo {
    /// The names of the first `n` genres.
    pub fn genre_names(&self, n: usize) -> Vec<String> {
        self.genres
            .iter()
            .take(n)
            .map(|g| g.name().to_owned())
            .collect()
    }

    /// "Title (Year)", or the bare title when the year is unknown.
    pub fn display_title(&self) -> String {
        match self.year {
            Some(y) => format!("{} ({y})", self.title),
            None => self.title.clone(),
        }
    }
}

/// A film in the catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Movie {
    pub id: MovieId,
    #[serde(flatten)]
    pub info: MovieInfo,
}

/// Counts shown by `marquee catalog stats`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogStats {
    pub movies: i64,
    pub movies_with_year: i64,
    pub movies_with_overview: i64,
    pub movielens_linked: i64,
    pub tmdb_linked: i64,
    pub imdb_linked: i64,
    /// Films per decade, e.g. `(1990, 812)`, oldest first.
    pub per_decade: Vec<(i32, i64)>,
    /// Films per genre, most common first.
    pub per_genre: Vec<(Genre, i64)>,
    pub users: i64,
    pub feedback_events: i64,
    pub reviews: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn genre_synonyms_fold_to_one_genre() {
        assert_eq!("Science Fiction".parse::<Genre>(), Ok(Genre::SciFi));
        assert_eq!("Sci-Fi".parse::<Genre>(), Ok(Genre::SciFi));
        assert_eq!("Children's".parse::<Genre>(), Ok(Genre::Family));
        assert_eq!("Film-Noir".parse::<Genre>(), Ok(Genre::FilmNoir));
        assert!("IMAX".parse::<Genre>().is_err());
    }

    #[test]
    fn every_genre_name_parses_back_to_itself() {
        for g in Genre::ALL {
            assert_eq!(g.name().parse::<Genre>(), Ok(g));
        }
    }

    #[test]
    fn genre_lists_skip_non_genres_and_duplicates() {
        let got = Genre::parse_list(
            "Adventure|(no genres listed)|IMAX|Sci-Fi|Science Fiction",
            '|',
        );
        assert_eq!(got, vec![Genre::Adventure, Genre::SciFi]);
    }

    #[test]
    fn display_title_shows_the_year_when_known() {
        let mut m = MovieInfo {
            title: "Dune".into(),
            year: Some(1984),
            ..MovieInfo::default()
        };
        assert_eq!(m.display_title(), "Dune (1984)");
        m.year = None;
        assert_eq!(m.display_title(), "Dune");
    }
}
