//! Importers on the shipped fixtures (with broken rows), on both backends.

use crate::helpers::on_both_backends;
use marquee::domain::catalog::{Genre, Movie, VoteSource};
use marquee::domain::ports::{CatalogRepo, FeedbackRepo};
use marquee::outbound::import::{FileSummary, Reporter, movielens, tmdb};
use marquee::outbound::storage::Store;
use std::path::{Path, PathBuf};

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path)
}

fn counts(s: &FileSummary) -> (u64, u64, u64, u64, u64) {
    (s.rows_read, s.imported, s.updated, s.unchanged, s.skipped)
}

fn find<'a>(movies: &'a [Movie], title: &str, year: i32) -> &'a Movie {
    movies
        .iter()
        .find(|m| m.info.title == title && m.info.year == Some(year))
        .unwrap_or_else(|| panic!("{title} ({year}) not imported"))
}

async fn movielens_csv_imports_films_links_tags_and_ratings_and_skips_broken_rows(store: Store) {
    let mut reporter = Reporter::new(true);
    let summary = movielens::import(&store, &fixture("movielens/csv"), &mut reporter)
        .await
        .expect("import");
    let errors = reporter.finish();
    let by_file = |name: &str| {
        summary
            .files
            .iter()
            .find(|f| f.file == name)
            .expect(name)
            .clone()
    };
    assert_eq!(counts(&by_file("movies.csv")), (8, 6, 0, 0, 2));
    assert_eq!(counts(&by_file("ratings.csv")), (10, 6, 0, 0, 4));
    assert_eq!(by_file("tags.csv").skipped, 1, "the row with invalid UTF-8");
    let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
    for expected in [
        "movies.csv:7: expected 3 columns, found 2",
        "movies.csv:8: movieId \"x\"",
        "ratings.csv:7: rating \"seven\"",
        "ratings.csv:8: film 99 is not in the films file",
        "ratings.csv:9: expected 4 fields, found 3",
        "ratings.csv:11: rating \"9.5\"",
        "tags.csv:6: invalid UTF-8",
    ] {
        assert!(
            lines.iter().any(|l| l.starts_with(expected)),
            "no {expected:?} in {lines:#?}"
        );
    }

    let movies = store.all_movies().await.expect("movies");
    let toy = find(&movies, "Toy Story", 1995);
    assert_eq!(toy.info.external.tmdb, Some(862));
    assert_eq!(toy.info.external.imdb.as_deref(), Some("tt0114709"));
    assert_eq!(
        toy.info.keywords,
        vec!["pixar".to_owned()],
        "tags become keywords, case folded"
    );
    assert!(
        toy.info.genres.contains(&Genre::Family) && toy.info.genres.contains(&Genre::Animation)
    );
    let dune84 = find(&movies, "Dune", 1984);
    let dune21 = find(&movies, "Dune", 2021);
    assert_ne!(dune84.id, dune21.id);
    assert_eq!(
        dune84.info.keywords,
        vec!["desert planet".to_owned(), "sand, worms".to_owned()]
    );
    find(&movies, "The Godfather", 1972);
    find(&movies, "The City of Lost Children", 1995);
    assert_eq!(store.event_count().await.expect("events"), 6);
    // What the ratings say about each film becomes its votes (the broken rows not counted).
    let votes = |m: &Movie| (m.info.vote_count, m.info.vote_average, m.info.vote_source);
    let ml = Some(VoteSource::MovieLens);
    assert_eq!(votes(find(&movies, "Alien", 1979)), (2, Some(9.0), ml));
    assert_eq!(votes(toy), (1, Some(8.0), ml));
    assert_eq!(votes(dune21), (1, Some(7.0), ml));
    let lost = find(&movies, "The City of Lost Children", 1995);
    assert_eq!(
        votes(lost),
        (0, None, None),
        "its one rating is a broken row"
    );

    // The same import again changes nothing and duplicates nothing.
    let again = movielens::import(&store, &fixture("movielens/csv"), &mut Reporter::new(true))
        .await
        .expect("again");
    let by_file = |name: &str| {
        again
            .files
            .iter()
            .find(|f| f.file == name)
            .expect(name)
            .clone()
    };
    assert_eq!(counts(&by_file("movies.csv")), (8, 0, 0, 6, 2));
    assert_eq!(counts(&by_file("ratings.csv")), (10, 0, 0, 6, 4));
    assert_eq!(
        store.all_movies().await.expect("movies").len(),
        movies.len()
    );
    assert_eq!(store.event_count().await.expect("events"), 6);
}

async fn movielens_dat_files_import_with_latin1_titles(store: Store) {
    let mut reporter = Reporter::new(true);
    let summary = movielens::import(&store, &fixture("movielens/dat"), &mut reporter)
        .await
        .expect("import");
    let errors = reporter.finish();
    assert_eq!(summary.format, "MovieLens 1M/10M");
    assert_eq!(counts(&summary.files[0]), (4, 3, 0, 0, 1));
    assert_eq!(counts(&summary.files[1]), (5, 4, 0, 0, 1));
    assert!(
        errors
            .iter()
            .any(|e| e.to_string().starts_with("movies.dat:3:")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.to_string().starts_with("ratings.dat:4:")),
        "{errors:?}"
    );
    let movies = store.all_movies().await.expect("movies");
    find(&movies, "La Cité des enfants perdus", 1995);
    find(&movies, "Heat", 1995);
}

async fn movielens_100k_imports_genre_flags_and_tab_separated_ratings(store: Store) {
    let mut reporter = Reporter::new(true);
    let summary = movielens::import(&store, &fixture("movielens/100k"), &mut reporter)
        .await
        .expect("import");
    reporter.finish();
    assert_eq!(summary.format, "MovieLens 100K");
    assert_eq!(counts(&summary.files[0]), (4, 3, 0, 0, 1));
    assert_eq!(
        counts(&summary.files[1]),
        (5, 3, 0, 0, 2),
        "a bad rating and an unknown film"
    );
    let movies = store.all_movies().await.expect("movies");
    let toy = find(&movies, "Toy Story", 1995);
    assert_eq!(
        toy.info.genres,
        vec![Genre::Animation, Genre::Family, Genre::Comedy]
    );
    find(&movies, "La Cité des enfants perdus", 1995);
}

async fn tmdb_rows_merge_with_movielens_films_and_broken_json_is_skipped(store: Store) {
    movielens::import(&store, &fixture("movielens/csv"), &mut Reporter::new(true))
        .await
        .expect("movielens");
    let before = store.all_movies().await.expect("movies").len();
    let mut reporter = Reporter::new(true);
    let summary = tmdb::import(&store, &fixture("tmdb/tmdb_small.csv"), &mut reporter)
        .await
        .expect("tmdb");
    let errors = reporter.finish();
    assert_eq!(counts(&summary.files[0]), (6, 1, 2, 0, 3), "{errors:?}");
    let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("tmdb_small.csv:4: column genres is not valid JSON")),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("tmdb_small.csv:6: runtime")),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("tmdb_small.csv:7: expected 20 columns")),
        "{lines:?}"
    );
    let movies = store.all_movies().await.expect("movies");
    assert_eq!(
        movies.len(),
        before + 1,
        "Toy Story and Alien merged, Blade Runner added"
    );
    let toy = find(&movies, "Toy Story", 1995);
    assert_eq!(
        toy.info.overview,
        "Toys come to life when people leave the room."
    );
    assert_eq!(toy.info.vote_count, 5415);
    assert_eq!(
        toy.info.vote_source,
        Some(VoteSource::Tmdb),
        "TMDB's votes replace a single MovieLens rating, and say so"
    );
    assert_eq!(
        toy.info.external.movielens,
        Some(1),
        "still the MovieLens film"
    );
    let alien = find(&movies, "Alien", 1979);
    assert_eq!(alien.info.countries, vec!["GB".to_owned(), "US".to_owned()]);
    assert_eq!(alien.info.runtime_min, Some(117));
    let blade = find(&movies, "Blade Runner", 1982);
    assert!(
        blade.info.genres.contains(&Genre::SciFi),
        "Science Fiction is Sci-Fi"
    );

    let again = tmdb::import(
        &store,
        &fixture("tmdb/tmdb_small.csv"),
        &mut Reporter::new(true),
    )
    .await
    .expect("again");
    assert_eq!(counts(&again.files[0]), (6, 0, 0, 3, 3));
}

async fn a_folder_without_movielens_files_gets_a_clear_message(store: Store) {
    let err = movielens::import(&store, &fixture("tmdb"), &mut Reporter::new(true))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("movies.csv") && err.contains("ratings.dat") && err.contains("u.data"),
        "{err}"
    );
    let err = tmdb::import(
        &store,
        &fixture("movielens/csv/movies.csv"),
        &mut Reporter::new(true),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(err.contains("missing column"), "{err}");
    assert_eq!(
        store.movie_count().await.expect("count"),
        0,
        "nothing half-imported"
    );
}

on_both_backends!(
    movielens_csv_imports_films_links_tags_and_ratings_and_skips_broken_rows,
    movielens_dat_files_import_with_latin1_titles,
    movielens_100k_imports_genre_flags_and_tab_separated_ratings,
    tmdb_rows_merge_with_movielens_films_and_broken_json_is_skipped,
    a_folder_without_movielens_files_gets_a_clear_message,
);
