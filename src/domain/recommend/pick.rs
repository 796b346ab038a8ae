//! What a recommender hands out: a [`Pick`] (film, score) and the [`Reason`] shown with it.
//! Every reason is a fact about the pick; the non-personal ones are worded from what is known
//! about the film ([`Acclaim`]).

use crate::domain::catalog::{Genre, VoteSource, Votes};
use crate::domain::ids::MovieId;
use std::fmt;

/// A film at least this many years old (when picked) that is well loved is "a classic".
pub const CLASSIC_YEARS: i32 = 25;
/// Fewer votes than this and a film is described by its numbers only, never as "well-loved"
/// or "widely liked".
pub const MIN_VOTES_FOR_WORDS: i64 = 10;

/// Why a film was picked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// Similar (by learned taste) to these films the user liked.
    BecauseYouLiked(Vec<String>),
    /// Shares these features with the user's liked films.
    Matches(Vec<String>),
    /// Well liked in public data (the catalog's votes); the words come from the facts.
    WellLoved(Acclaim),
    /// Liked lately by this many people (at least two) of the caller's server, the caller not
    /// counted.
    PopularHere { people: u32 },
    /// No votes known, but many of the people Marquee learned from (imported ratings and every
    /// server) liked it; never a count, since they may be anywhere.
    LikedWidely,
    /// Nothing is known about how well liked it is: a film of the catalog to start with.
    StartWith {
        decade: Option<i32>,
        genre: Option<Genre>,
    },
    /// Ranked by the model's non-personal part (popularity); the caller replaces it by what is
    /// known about the film (see [`super::cold::Baseline::explain`]).
    Baseline,
    /// A similar film by the same director (for "more like this").
    SameDirector(String),
    /// Collaborative similarity: people who liked this film also liked the pick.
    AlsoLikedByFansOf(String),
    /// Content features the pick shares with the film asked about.
    Shares(Vec<String>),
    /// Liked by many in the user's taste group (named).
    PopularInYourGroup(String),
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::BecauseYouLiked(t) => write!(f, "because you liked {}", t.join(" and ")),
            Reason::Matches(t) => write!(f, "matches: {}", t.join(", ")),
            Reason::WellLoved(a) => a.fmt(f),
            Reason::PopularHere { people } => write!(
                f,
                "liked by {people} {} on this server this month",
                if *people == 1 { "person" } else { "people" }
            ),
            Reason::LikedWidely => f.write_str("liked by many people Marquee has learned from"),
            Reason::StartWith { decade, genre } => {
                let (noun, mass) = genre.map_or(("film", false), genre_noun);
                let what = match decade {
                    Some(d) => format!("{d}s {noun}"),
                    None => noun.to_owned(),
                };
                write!(f, "{} to start with", with_article(&what, mass))
            }
            Reason::Baseline => f.write_str("a film to start with"),
            Reason::SameDirector(d) => write!(f, "same director: {d}"),
            Reason::AlsoLikedByFansOf(t) => write!(f, "also liked by fans of {t}"),
            Reason::Shares(t) => write!(f, "shares: {}", t.join(", ")),
            Reason::PopularInYourGroup(g) => {
                write!(f, "popular with your taste group \u{201c}{g}\u{201d}")
            }
        }
    }
}

impl Reason {
    /// Whether the reason is about the person (their likes, their taste group) rather than
    /// about the film alone.
    pub fn is_personal(&self) -> bool {
        matches!(
            self,
            Reason::BecauseYouLiked(_)
                | Reason::Matches(_)
                | Reason::PopularInYourGroup(_)
                | Reason::SameDirector(_)
                | Reason::AlsoLikedByFansOf(_)
                | Reason::Shares(_)
        )
    }
}

/// What public data says about how well liked a film is, and what the film is: the facts a
/// [`Reason::WellLoved`] is worded from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Acclaim {
    /// Ratings or votes.
    pub count: i64,
    /// Their mean on the source's own scale (MovieLens stars 0.5–5, TMDB 0–10), in hundredths.
    pub mean_centi: i32,
    pub source: VoteSource,
    /// The film's decade (1950 for the 1950s), when its year is known.
    pub decade: Option<i32>,
    /// At least [`CLASSIC_YEARS`] old when picked.
    pub old: bool,
    /// The kind of film named (the genre asked for, or its first genre).
    pub genre: Option<Genre>,
    /// Whether `genre` is the one the person asked for (then even a classic is named by it).
    pub genre_asked: bool,
}

/// How much a film is liked, from its mean and count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Liking {
    Loved,
    Liked,
    /// Only the numbers are said.
    Rated,
}

impl Acclaim {
    /// The facts of `votes` for a film of `year` and `genre` (`asked`: the genre the person
    /// asked for), picked in `now_year`.
    pub fn new(
        votes: Votes,
        year: Option<i32>,
        (genre, genre_asked): (Option<Genre>, bool),
        now_year: i32,
    ) -> Self {
        let mean = match votes.source {
            VoteSource::MovieLens => votes.average / 2.0,
            VoteSource::Tmdb => votes.average,
        };
        Acclaim {
            count: votes.count,
            mean_centi: (mean * 100.0).round() as i32,
            source: votes.source,
            decade: year.map(|y| y / 10 * 10),
            old: year.is_some_and(|y| now_year - y >= CLASSIC_YEARS),
            genre,
            genre_asked: genre_asked && genre.is_some(),
        }
    }

    fn liking(&self) -> Liking {
        let (loved, liked) = match self.source {
            VoteSource::MovieLens => (400, 350),
            VoteSource::Tmdb => (750, 680),
        };
        if self.count < MIN_VOTES_FOR_WORDS {
            Liking::Rated
        } else if self.mean_centi >= loved {
            Liking::Loved
        } else if self.mean_centi >= liked {
            Liking::Liked
        } else {
            Liking::Rated
        }
    }
}

impl fmt::Display for Acclaim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (noun, mass) = self.genre.map_or(("film", false), genre_noun);
        let decade = self.decade.map(|d| format!("{d}s "));
        let old_decade = if self.old { decade.clone() } else { None };
        let what = match self.liking() {
            Liking::Loved => match &old_decade {
                Some(d) => {
                    let kind = match self.genre {
                        Some(g) if self.genre_asked => format!("{} ", genre_adjective(g)),
                        _ => String::new(),
                    };
                    with_article(&format!("well-loved {d}{kind}classic"), false)
                }
                None => with_article(&format!("well-loved {noun}"), mass),
            },
            Liking::Liked => with_article(
                &format!("widely liked {}{noun}", old_decade.unwrap_or_default()),
                mass,
            ),
            Liking::Rated => with_article(&format!("{}{noun}", decade.unwrap_or_default()), mass),
        };
        let mean = f64::from(self.mean_centi) / 100.0;
        let (scale, unit) = match self.source {
            VoteSource::MovieLens => ("★", "MovieLens rating"),
            VoteSource::Tmdb => ("/10", "TMDB vote"),
        };
        write!(
            f,
            "{what}: {mean:.1}{scale} from {} {unit}{}",
            grouped(self.count),
            if self.count == 1 { "" } else { "s" }
        )
    }
}

/// How a reason names a genre: the noun, and whether it takes no article ("sci-fi").
fn genre_noun(g: Genre) -> (&'static str, bool) {
    match g {
        Genre::Action => ("action film", false),
        Genre::Adventure => ("adventure", false),
        Genre::Animation => ("animated film", false),
        Genre::Comedy => ("comedy", false),
        Genre::Crime => ("crime film", false),
        Genre::Documentary => ("documentary", false),
        Genre::Drama => ("drama", false),
        Genre::Family => ("family film", false),
        Genre::Fantasy => ("fantasy", true),
        Genre::FilmNoir => ("film noir", false),
        Genre::History => ("historical film", false),
        Genre::Horror => ("horror film", false),
        Genre::Musical => ("musical", false),
        Genre::Mystery => ("mystery", false),
        Genre::Romance => ("romance", false),
        Genre::SciFi => ("sci-fi", true),
        Genre::Thriller => ("thriller", false),
        Genre::War => ("war film", false),
        Genre::Western => ("western", false),
    }
}

/// How a genre qualifies a classic ("a well-loved 1970s sci-fi classic").
fn genre_adjective(g: Genre) -> &'static str {
    match g {
        Genre::Action => "action",
        Genre::Adventure => "adventure",
        Genre::Animation => "animated",
        Genre::Comedy => "comedy",
        Genre::Crime => "crime",
        Genre::Documentary => "documentary",
        Genre::Drama => "drama",
        Genre::Family => "family",
        Genre::Fantasy => "fantasy",
        Genre::FilmNoir => "noir",
        Genre::History => "historical",
        Genre::Horror => "horror",
        Genre::Musical => "musical",
        Genre::Mystery => "mystery",
        Genre::Romance => "romantic",
        Genre::SciFi => "sci-fi",
        Genre::Thriller => "thriller",
        Genre::War => "war",
        Genre::Western => "western",
    }
}

/// "a drama", "an adventure", "sci-fi" (a mass noun takes no article).
fn with_article(phrase: &str, mass: bool) -> String {
    if mass {
        phrase.to_owned()
    } else if phrase.starts_with(['a', 'e', 'i', 'o', 'u']) {
        format!("an {phrase}")
    } else {
        format!("a {phrase}")
    }
}

/// 1234567 → "1,234,567".
fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// One recommendation.
#[derive(Debug, Clone, PartialEq)]
pub struct Pick {
    pub movie: MovieId,
    /// Blended relevance, finite.
    pub score: f32,
    pub reason: Reason,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acclaim(count: i64, mean: f64, source: VoteSource, year: i32, genre: Genre) -> String {
        let average = if source == VoteSource::MovieLens {
            mean * 2.0
        } else {
            mean
        };
        let votes = Votes {
            count,
            average,
            source,
        };
        Reason::WellLoved(Acclaim::new(votes, Some(year), (Some(genre), false), 2025)).to_string()
    }

    #[test]
    fn acclaim_is_worded_from_its_facts() {
        use Genre::{Action, Adventure, Comedy, Drama, Fantasy, SciFi};
        use VoteSource::{MovieLens as Ml, Tmdb};
        for (got, want) in [
            (
                acclaim(251, 4.23, Ml, 1977, Action),
                "a well-loved 1970s classic: 4.2★ from 251 MovieLens ratings",
            ),
            (
                acclaim(143, 4.07, Ml, 2010, SciFi),
                "well-loved sci-fi: 4.1★ from 143 MovieLens ratings",
            ),
            (
                acclaim(120, 4.18, Ml, 2001, Adventure),
                "a well-loved adventure: 4.2★ from 120 MovieLens ratings",
            ),
            (
                acclaim(62, 3.69, Ml, 1978, Comedy),
                "a widely liked 1970s comedy: 3.7★ from 62 MovieLens ratings",
            ),
            (
                acclaim(44, 3.43, Ml, 1961, Drama),
                "a 1960s drama: 3.4★ from 44 MovieLens ratings",
            ),
            // Too few ratings for words, however high the mean.
            (
                acclaim(3, 4.5, Ml, 2011, Action),
                "a 2010s action film: 4.5★ from 3 MovieLens ratings",
            ),
            (
                acclaim(1, 5.0, Ml, 2016, Fantasy),
                "2010s fantasy: 5.0★ from 1 MovieLens rating",
            ),
            (
                acclaim(12_345, 7.9, Tmdb, 1994, Drama),
                "a well-loved 1990s classic: 7.9/10 from 12,345 TMDB votes",
            ),
            (
                acclaim(883, 7.0, Tmdb, 2014, Comedy),
                "a widely liked comedy: 7.0/10 from 883 TMDB votes",
            ),
        ] {
            assert_eq!(got, want);
        }
        // A classic is named by the genre the person asked for.
        let votes = Votes {
            count: 251,
            average: 8.46,
            source: Ml,
        };
        let asked = Acclaim::new(votes, Some(1977), (Some(SciFi), true), 2025);
        assert_eq!(
            asked.to_string(),
            "a well-loved 1970s sci-fi classic: 4.2★ from 251 MovieLens ratings"
        );
    }

    #[test]
    fn the_other_film_reasons_say_what_is_known() {
        let start = |decade, genre| Reason::StartWith { decade, genre }.to_string();
        assert_eq!(
            start(Some(2020), Some(Genre::Drama)),
            "a 2020s drama to start with"
        );
        assert_eq!(
            start(None, Some(Genre::Animation)),
            "an animated film to start with"
        );
        assert_eq!(start(Some(1990), None), "a 1990s film to start with");
        assert_eq!(
            Reason::PopularHere { people: 2 }.to_string(),
            "liked by 2 people on this server this month"
        );
        assert!(!Reason::LikedWidely.is_personal());
        assert!(Reason::BecauseYouLiked(vec![]).is_personal());
        assert_eq!(grouped(1_234_567), "1,234,567");
        assert_eq!(grouped(999), "999");
    }
}
