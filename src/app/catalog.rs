//! The catalog use cases: finding the one film a person names (with suggestions when the name
//! fits none or several), autocomplete, search and counts. [`Films`] is the in-memory catalog
//! every use case shares: films by id and the title index.

use crate::app::reply::{CatalogHit, Choice, Reply};
use crate::domain::catalog::Movie;
use crate::domain::catalog::search::{Lookup, TitleIndex, autocomplete_label};
use crate::domain::ids::MovieId;

/// The longest title looked up (longer input is refused, not searched).
pub const MAX_TITLE_CHARS: usize = 200;

/// How a front end names a film it already knows (an autocomplete choice's value): any
/// title argument of the form `film:<id>` names that film directly.
pub const FILM_TOKEN: &str = "film:";

/// The title argument that names film `id` directly; see [`FILM_TOKEN`].
pub fn film_token(id: MovieId) -> String {
    format!("{FILM_TOKEN}{id}")
}

/// The catalog in memory: films sorted by id, and their title index.
#[derive(Debug)]
pub struct Films {
    movies: Vec<Movie>,
    index: TitleIndex,
}

impl Films {
    /// Indexes `movies` (sorted by id, as storage returns them).
    pub fn new(mut movies: Vec<Movie>) -> Self {
        movies.sort_by_key(|m| m.id);
        let index = TitleIndex::from_movies(&movies);
        Films { movies, index }
    }

    /// Every film, by id.
    pub fn all(&self) -> &[Movie] {
        &self.movies
    }

    /// The title index.
    pub fn index(&self) -> &TitleIndex {
        &self.index
    }

    /// One film by id.
    pub fn movie(&self, id: MovieId) -> Option<&Movie> {
        self.movies
            .binary_search_by_key(&id, |m| m.id)
            .ok()
            .map(|i| &self.movies[i])
    }

    /// "Heat (1995)", or "film #12" for an id the catalog does not hold.
    pub fn title(&self, id: MovieId) -> String {
        self.movie(id)
            .map_or_else(|| format!("film #{id}"), |m| m.info.display_title())
    }

    /// The film a title argument names, or the reply that explains why there is not exactly
    /// one (empty, too long, unknown with suggestions, or ambiguous).
    ///
    /// # Errors
    /// The reply to show instead.
    pub fn find(&self, query: &str) -> Result<&Movie, Reply> {
        let query = query.trim();
        if query.is_empty() {
            return Err(Reply::Invalid(
                "Name a film, e.g. \"Heat\" or \"dune 1984\".".to_owned(),
            ));
        }
        if query.chars().count() > MAX_TITLE_CHARS {
            return Err(Reply::Invalid(format!(
                "That title is longer than {MAX_TITLE_CHARS} characters; name the film in a few words."
            )));
        }
        if let Some(m) = query
            .strip_prefix(FILM_TOKEN)
            .and_then(|n| n.parse::<i64>().ok())
            .and_then(|id| self.movie(MovieId(id)))
        {
            return Ok(m);
        }
        let titles = |ids: &mut dyn Iterator<Item = MovieId>| -> Vec<String> {
            ids.filter_map(|id| self.movie(id))
                .map(|m| m.info.display_title())
                .collect()
        };
        match self.index.lookup(query, 5) {
            Lookup::Found(hit) => self.movie(hit.id).ok_or_else(|| Reply::NotFound {
                query: query.to_owned(),
                suggestions: Vec::new(),
            }),
            Lookup::Ambiguous(hits) => Err(Reply::Ambiguous {
                query: query.to_owned(),
                candidates: titles(&mut hits.iter().map(|h| h.id)),
            }),
            Lookup::Suggestions(hits) => Err(Reply::NotFound {
                query: query.to_owned(),
                suggestions: titles(&mut hits.iter().map(|h| h.id)),
            }),
        }
    }

    /// Up to `limit` films whose title starts like (or resembles) `partial`; an empty
    /// `partial` gives the best-known films.
    pub fn autocomplete(&self, partial: &str, limit: usize) -> Vec<Choice> {
        let partial: String = partial.chars().take(MAX_TITLE_CHARS).collect();
        if partial.trim().is_empty() {
            let mut popular: Vec<&Movie> = self.movies.iter().collect();
            popular.sort_by(|a, b| {
                b.info
                    .vote_count
                    .cmp(&a.info.vote_count)
                    .then_with(|| a.info.title.cmp(&b.info.title))
            });
            return popular
                .into_iter()
                .take(limit)
                .map(|m| Choice {
                    label: autocomplete_label(&m.info.title, m.info.year),
                    value: film_token(m.id),
                })
                .collect();
        }
        self.index
            .search(&partial, limit)
            .into_iter()
            .map(|hit| Choice {
                label: hit.label(),
                value: film_token(hit.id),
            })
            .collect()
    }

    /// Films matching `query`, best first.
    pub fn search(&self, query: &str, limit: usize) -> Vec<CatalogHit> {
        self.index
            .search(query, limit)
            .into_iter()
            .filter_map(|h| {
                self.movie(h.id).map(|m| CatalogHit {
                    movie: m.clone(),
                    score: h.score,
                    kind: h.kind,
                })
            })
            .collect()
    }
}

/// `FindFilm`: the one film a title names, or why not.
pub fn find_film(films: &Films, title: &str) -> Reply {
    match films.find(title) {
        Ok(m) => Reply::Film {
            movie: m.id,
            title: m.info.display_title(),
        },
        Err(reply) => reply,
    }
}
