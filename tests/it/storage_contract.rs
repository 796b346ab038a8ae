//! The storage contract: every port behaves the same on SQLite and on PostgreSQL.

use crate::helpers::on_both_backends;
use marquee::domain::catalog::{ExternalIds, Genre, MovieInfo, VoteSource, Votes};
use marquee::domain::error::StoreError;
use marquee::domain::events::{Appended, FeedbackKind, NewFeedbackEvent};
use marquee::domain::ids::{GuildId, MovieId, UserId};
use marquee::domain::ports::{
    CatalogRepo, ConversationRepo, ExperimentRepo, FeedbackRepo, ImpressionRepo, NewImpression,
    NewParty, PartyCandidate, PartyClose, PartyRepo, PartyStatus, RetentionRepo, RunScope, Surface,
    UserKind, UserRepo,
};
use marquee::outbound::storage::Store;

fn film(title: &str, year: i32) -> MovieInfo {
    MovieInfo {
        title: title.to_owned(),
        year: Some(year),
        genres: vec![Genre::SciFi, Genre::Adventure],
        overview: format!("{title} overview"),
        keywords: vec!["space".into(), "desert planet".into()],
        directors: vec!["Someone".into()],
        cast: vec!["A".into(), "B".into()],
        countries: vec!["US".into()],
        runtime_min: Some(120),
        ..MovieInfo::default()
    }
}

fn event(user: UserId, movie: MovieId, at: i64, key: Option<&str>) -> NewFeedbackEvent {
    NewFeedbackEvent {
        user,
        movie,
        kind: FeedbackKind::Reaction,
        value: Some(4.0),
        weight: 0.6,
        raw: Some("👍".into()),
        source: "discord".into(),
        guild: None,
        message_id: Some(1_234_567_890_123_456_789),
        created_at_ms: at,
        idempotency_key: key.map(str::to_owned),
    }
}

async fn the_starter_catalog_fills_an_empty_database_once(store: Store) {
    marquee::app::seed_starter_catalog(&store)
        .await
        .expect("seed");
    let n = store.movie_count().await.expect("count");
    assert!(n >= 500, "{n}");
    marquee::app::seed_starter_catalog(&store)
        .await
        .expect("seed again");
    assert_eq!(store.movie_count().await.expect("count"), n);
    let all = store.all_movies().await.expect("all");
    let godfather = all
        .iter()
        .find(|m| m.info.title == "The Godfather" && m.info.year == Some(1972))
        .expect("The Godfather");
    // Loaded with its prior: MovieLens ratings, their mean on the 0–10 scale.
    assert_eq!(godfather.info.vote_source, Some(VoteSource::MovieLens));
    assert!(godfather.info.vote_count > 50, "{:?}", godfather.info);
    assert!(godfather.info.vote_average.is_some_and(|a| a > 7.0));
}

async fn starter_films_stored_before_the_prior_get_its_votes_once(store: Store) {
    use marquee::outbound::starter_catalog::{starter_movies, starter_prior};
    // What an older version stored: the starter films without votes, and one film whose
    // votes a TMDB import brought.
    let mut old: Vec<MovieInfo> = starter_movies().expect("starter films");
    for m in &mut old {
        m.vote_count = 0;
        m.vote_average = None;
        m.vote_source = None;
        if m.title == "Heat" && m.year == Some(1995) {
            m.vote_count = 4000;
            m.vote_average = Some(7.7);
            m.vote_source = Some(VoteSource::Tmdb);
        }
    }
    store.upsert_movies(&old).await.expect("old catalog");
    marquee::app::seed_starter_catalog(&store)
        .await
        .expect("start");
    let all = store.all_movies().await.expect("all");
    let find = |title: &str, year| {
        all.iter()
            .find(|m| m.info.title == title && m.info.year == Some(year))
            .unwrap_or_else(|| panic!("{title}"))
            .info
            .clone()
    };
    let star_wars = find("Star Wars", 1977);
    assert_eq!(star_wars.vote_source, Some(VoteSource::MovieLens));
    assert!(star_wars.vote_count > 100, "{star_wars:?}");
    let heat = find("Heat", 1995);
    assert_eq!(
        (heat.vote_count, heat.vote_source),
        (4000, Some(VoteSource::Tmdb)),
        "votes already there are kept"
    );
    let prior = starter_prior().expect("prior");
    let with_votes = all.iter().filter(|m| m.info.vote_count > 0).count();
    let heat_in_prior = prior.iter().any(|f| f.title == "Heat" && f.year == 1995);
    assert_eq!(with_votes, prior.len() + usize::from(!heat_in_prior));
    // Once is enough: the next start writes nothing.
    assert_eq!(store.fill_missing_votes(&prior).await.expect("again"), 0);
}

async fn votes_set_by_an_import_replace_and_repeat_as_nothing(store: Store) {
    store
        .upsert_movies(&[film("Alien", 1979), film("Dune", 2021)])
        .await
        .expect("films");
    let movies = store.all_movies().await.expect("all");
    let ml = |count, average| Votes {
        count,
        average,
        source: VoteSource::MovieLens,
    };
    let votes = [(movies[0].id, ml(120, 8.2)), (movies[1].id, ml(3, 7.0))];
    assert_eq!(store.set_votes(&votes).await.expect("set"), 2);
    assert_eq!(store.set_votes(&votes).await.expect("again"), 0);
    let alien = store.movie(movies[0].id).await.expect("alien").info;
    assert_eq!(
        (alien.vote_count, alien.vote_average, alien.vote_source),
        (120, Some(8.2), Some(VoteSource::MovieLens))
    );
    assert_eq!(
        store
            .set_votes(&[(MovieId(999_999), ml(1, 1.0))])
            .await
            .expect("unknown film"),
        0
    );
    // Another data set's votes replace too few votes only.
    let tmdb = Votes {
        count: 900,
        average: 7.1,
        source: VoteSource::Tmdb,
    };
    let votes = [(movies[0].id, tmdb), (movies[1].id, tmdb)];
    assert_eq!(store.set_votes(&votes).await.expect("tmdb"), 1);
    let kept = |id| {
        let store = store.clone();
        async move { store.movie(id).await.expect("film").info.vote_source }
    };
    assert_eq!(kept(movies[0].id).await, Some(VoteSource::MovieLens));
    assert_eq!(kept(movies[1].id).await, Some(VoteSource::Tmdb));
}

async fn a_servers_recent_events_are_its_own_and_whole_per_film(store: Store) {
    let (one, two) = (GuildId(1), GuildId(2));
    store
        .upsert_movies(&[film("Alien", 1979), film("Dune", 2021), film("Heat", 1995)])
        .await
        .expect("films");
    let movies = store.all_movies().await.expect("all");
    let (alien, dune, heat) = (movies[0].id, movies[1].id, movies[2].id);
    let user = |name: &'static str, server| {
        let store = store.clone();
        async move {
            store
                .ensure_user(UserKind::Discord, name, name, server)
                .await
                .expect("user")
        }
    };
    let (ana, bo, cy) = (
        user("ana", Some(one)).await,
        user("bo", Some(one)).await,
        user("cy", Some(one)).await,
    );
    let (dee, base) = (user("dee", Some(two)).await, user("ml", None).await);
    for (who, movie, at) in [
        (ana, alien, 100), // old, then recent on the same film: both come back
        (ana, alien, 1_000),
        (ana, dune, 200),    // old only: not back
        (bo, heat, 1_500),   // recent
        (cy, heat, 1_600),   // the caller's: not back
        (dee, heat, 1_700),  // another server's: not back
        (base, heat, 1_800), // the shared base's: not back
    ] {
        store
            .append_event(&event(who, movie, at, None))
            .await
            .expect("event");
    }
    let got: Vec<(UserId, MovieId, i64)> = store
        .recent_events_of_server(one, 1_000, Some(cy))
        .await
        .expect("recent")
        .into_iter()
        .map(|e| (e.event.user, e.event.movie, e.event.created_at_ms))
        .collect();
    assert_eq!(
        got,
        [(ana, alien, 100), (ana, alien, 1_000), (bo, heat, 1_500)]
    );
    let everyone = store
        .recent_events_of_server(one, 1_000, None)
        .await
        .expect("recent");
    assert_eq!(everyone.len(), 4);
}

async fn a_stored_film_reads_back_field_for_field(store: Store) {
    let mut dune = film("Dune", 1984);
    dune.external = ExternalIds {
        movielens: Some(2021),
        tmdb: Some(841),
        imdb: Some("tt0087182".into()),
    };
    dune.vote_count = 1234;
    dune.vote_average = Some(6.5);
    dune.vote_source = Some(VoteSource::Tmdb);
    let summary = store
        .upsert_movies(std::slice::from_ref(&dune))
        .await
        .expect("upsert");
    assert_eq!(summary.inserted, 1);
    let all = store.all_movies().await.expect("all");
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].info, dune);
    assert_eq!(store.movie(all[0].id).await.expect("by id").info, dune);
}

async fn upserting_the_same_films_twice_changes_nothing(store: Store) {
    let films = vec![film("Dune", 1984), film("Dune", 2021), film("Alien", 1979)];
    let first = store.upsert_movies(&films).await.expect("first");
    assert_eq!((first.inserted, first.updated, first.unchanged), (3, 0, 0));
    let second = store.upsert_movies(&films).await.expect("second");
    assert_eq!(
        (second.inserted, second.updated, second.unchanged),
        (0, 0, 3)
    );
    assert_eq!(store.movie_count().await.expect("count"), 3);
}

async fn same_named_films_of_different_years_stay_apart_and_ids_merge(store: Store) {
    store
        .upsert_movies(&[film("Dune", 1984), film("Dune", 2021)])
        .await
        .expect("insert");
    // A MovieLens row for the 1984 film, written MovieLens-style, merges by normalised title + year.
    let mut ml = MovieInfo {
        title: "dune".into(),
        year: Some(1984),
        ..MovieInfo::default()
    };
    ml.external.movielens = Some(2021);
    let s = store.upsert_movies(&[ml]).await.expect("merge");
    assert_eq!((s.inserted, s.updated), (0, 1));
    // Then a TMDB row that knows the MovieLens id merges by id, even with another title.
    let mut tmdb = MovieInfo {
        title: "Dune".into(),
        ..MovieInfo::default()
    };
    tmdb.external = ExternalIds {
        movielens: Some(2021),
        tmdb: Some(841),
        imdb: None,
    };
    tmdb.overview = "A new overview".into();
    store.upsert_movies(&[tmdb]).await.expect("merge by id");
    let all = store.all_movies().await.expect("all");
    assert_eq!(all.len(), 2);
    let old = all
        .iter()
        .find(|m| m.info.year == Some(1984))
        .expect("1984 film");
    assert_eq!(old.info.external.movielens, Some(2021));
    assert_eq!(old.info.external.tmdb, Some(841));
    assert_eq!(old.info.overview, "A new overview");
    assert_eq!(
        old.info.directors,
        vec!["Someone".to_owned()],
        "stored values survive empty incoming ones"
    );
    let new = all
        .iter()
        .find(|m| m.info.year == Some(2021))
        .expect("2021 film");
    assert_eq!(new.info.external.tmdb, None);
}

async fn a_film_without_a_title_is_refused_and_nothing_is_stored(store: Store) {
    let err = store
        .upsert_movies(&[film("Heat", 1995), film("  ", 2000)])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    assert_eq!(store.movie_count().await.expect("count"), 0);
}

async fn an_unknown_film_is_not_found(store: Store) {
    let err = store.movie(MovieId(987_654)).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
}

async fn users_are_created_once_per_kind_person_and_server(store: Store) {
    let (one, two) = (Some(GuildId(1)), Some(GuildId(2)));
    let a = store
        .ensure_user(UserKind::Discord, "42", "alice", one)
        .await
        .expect("a");
    let again = store
        .ensure_user(UserKind::Discord, "42", "", one)
        .await
        .expect("again");
    let elsewhere = store
        .ensure_user(UserKind::Discord, "42", "alice", two)
        .await
        .expect("in server 2");
    let ml = store
        .ensure_user(UserKind::MovieLens, "42", "", None)
        .await
        .expect("ml");
    assert_eq!(a, again);
    assert_ne!(
        a, elsewhere,
        "the same person in another server is another user"
    );
    assert_ne!(a, ml, "historical raters stay apart from Discord users");
    let mut mine = store
        .users_of_person(UserKind::Discord, "42")
        .await
        .expect("the person's users");
    mine.sort();
    assert_eq!(mine, [(a, one), (elsewhere, two)]);
    let servers = store.user_servers().await.expect("servers");
    assert!(servers.contains(&(ml, None)), "the base has no server");
    assert!(servers.contains(&(elsewhere, two)));
}

async fn an_event_delivered_twice_is_stored_once(store: Store) {
    store
        .upsert_movies(&[film("Alien", 1979)])
        .await
        .expect("film");
    let movie = store.all_movies().await.expect("all")[0].id;
    let user = store
        .ensure_user(UserKind::Discord, "7", "bob", Some(GuildId(1)))
        .await
        .expect("user");
    let e = event(user, movie, 1_000, Some("reaction:msg1:7:👍"));
    assert!(matches!(
        store.append_event(&e).await.expect("first"),
        Appended::New(_)
    ));
    assert_eq!(
        store.append_event(&e).await.expect("second"),
        Appended::Duplicate
    );
    // Events without a key are always new.
    let mut unkeyed = event(user, movie, 500, None);
    unkeyed.kind = FeedbackKind::Rating;
    unkeyed.value = Some(4.5);
    store.append_event(&unkeyed).await.expect("unkeyed");
    store.append_event(&unkeyed).await.expect("unkeyed again");
    let events = store.events_for_user(user).await.expect("events");
    assert_eq!(events.len(), 3);
    assert!(
        events
            .windows(2)
            .all(|w| w[0].event.created_at_ms <= w[1].event.created_at_ms),
        "oldest first"
    );
    let reaction = events
        .iter()
        .find(|e| e.event.kind == FeedbackKind::Reaction)
        .expect("reaction");
    assert_eq!(reaction.event, e);
    assert_eq!(store.event_count().await.expect("count"), 3);
}

async fn an_event_for_an_unknown_film_is_refused(store: Store) {
    let user = store
        .ensure_user(UserKind::Console, "me", "me", Some(GuildId(0)))
        .await
        .expect("user");
    let err = store
        .append_event(&event(user, MovieId(999), 1, None))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
}

async fn catalog_stats_count_films_decades_and_genres(store: Store) {
    store
        .upsert_movies(&[film("Dune", 1984), film("Dune", 2021), film("Alien", 1979)])
        .await
        .expect("films");
    let stats = store.catalog_stats().await.expect("stats");
    assert_eq!(stats.movies, 3);
    assert_eq!(stats.movies_with_year, 3);
    assert_eq!(stats.per_decade, vec![(1970, 1), (1980, 1), (2020, 1)]);
    assert!(
        stats.per_genre.contains(&(Genre::SciFi, 3)),
        "{:?}",
        stats.per_genre
    );
}

/// What people do is read back per server: a server's events are its members' only, the base
/// (imported raters) is apart, an experiment run in one server covers only that server, and its
/// figures count only what was shown there.
async fn events_experiment_runs_and_outcomes_are_scoped_by_server(store: Store) {
    let (one, two) = (GuildId(1), GuildId(2));
    store
        .upsert_movies(&[film("Alien", 1979), film("Dune", 2021)])
        .await
        .expect("films");
    let movies = store.all_movies().await.expect("all");
    let (alien, dune) = (movies[0].id, movies[1].id);
    let here = store
        .ensure_user(UserKind::Discord, "42", "ana", Some(one))
        .await
        .expect("here");
    let there = store
        .ensure_user(UserKind::Discord, "42", "ana", Some(two))
        .await
        .expect("there");
    let base = store
        .ensure_user(UserKind::MovieLens, "9", "", None)
        .await
        .expect("base");
    for (user, movie, at) in [(here, alien, 1), (there, dune, 2), (base, dune, 3)] {
        store
            .append_event(&event(user, movie, at, None))
            .await
            .expect("event");
    }
    let of = |server| {
        let store = store.clone();
        async move {
            store
                .events_of_server(server)
                .await
                .expect("events")
                .into_iter()
                .map(|e| (e.event.user, e.event.movie))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(of(Some(one)).await, [(here, alien)]);
    assert_eq!(of(Some(two)).await, [(there, dune)]);
    assert_eq!(of(None).await, [(base, dune)], "the base stands apart");
    assert!(of(Some(GuildId(3))).await.is_empty());

    store
        .sync_experiment("variety", "recommend", "user", "{}", 1)
        .await
        .expect("experiment");
    store
        .set_experiment_run("variety", RunScope::Server(one), true, 10)
        .await
        .expect("run");
    let runs = store.experiment_runs().await.expect("runs");
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0].scope, RunScope::Server(one));
    assert!(runs[0].scope.covers(Some(one)) && !runs[0].scope.covers(Some(two)));
    for (message, user, server) in [(100, here, one), (200, there, two)] {
        let shown = [alien, dune].map(|movie| NewImpression {
            message_id: message,
            channel: Some(5),
            guild: Some(server),
            user,
            movie,
            position: if movie == alien { 1 } else { 2 },
            surface: Surface::Recommend,
            created_at_ms: 20,
        });
        store.record_impressions(&shown).await.expect("shown");
        store
            .tag_impressions(message, "variety", "control")
            .await
            .expect("tagged");
    }
    let exposures = |server| {
        let store = store.clone();
        async move {
            store
                .variant_outcomes("variety", server, None)
                .await
                .expect("outcomes")
                .iter()
                .fold((0, 0), |(u, e), v| (u + v.units, e + v.exposures))
        }
    };
    assert_eq!(
        exposures(Some(one)).await,
        (1, 2),
        "server 1's figures only"
    );
    assert_eq!(exposures(Some(two)).await, (1, 2));
    assert_eq!(
        exposures(None).await,
        (2, 4),
        "everywhere, for the operator"
    );
}

/// A retry of a party write (its commit acknowledgement lost, or Discord delivering the click
/// twice) repeats nothing: the same party, the same vote, one close that still counts as
/// "closed by me", fairness moved once; joins after the vote opened change nothing.
#[allow(clippy::too_many_lines)] // one party, step by step
async fn party_writes_are_safe_to_repeat(store: Store) {
    let server = Some(GuildId(7));
    let host = store
        .ensure_user(UserKind::Discord, "1", "host", server)
        .await
        .expect("host");
    let guest = store
        .ensure_user(UserKind::Discord, "2", "guest", server)
        .await
        .expect("guest");
    let late = store
        .ensure_user(UserKind::Discord, "3", "late", server)
        .await
        .expect("late");
    let a = store
        .upsert_movies(&[film("Dune", 2021), film("Arrival", 2016)])
        .await
        .expect("films");
    assert_eq!(a.inserted, 2);
    let films: Vec<MovieId> = store
        .all_movies()
        .await
        .expect("all")
        .iter()
        .map(|m| m.id)
        .collect();
    let new = NewParty {
        guild: GuildId(7),
        channel: 70,
        host,
        strategy: "average".into(),
        params: "{}".into(),
        created_at_ms: 1_000,
        key: Some("party:900".into()),
    };
    let party = store.create_party(&new).await.expect("party");
    assert_eq!(
        store.create_party(&new).await.expect("again"),
        party,
        "the same party"
    );
    assert!(store.join_party(party, guest, 1_100).await.expect("join"));
    let candidates: Vec<PartyCandidate> = films
        .iter()
        .enumerate()
        .map(|(i, m)| PartyCandidate {
            movie: *m,
            position: u32::try_from(i).expect("small"),
            group_score: 0.5,
            details: "{}".into(),
        })
        .collect();
    assert!(
        store
            .open_vote(party, &candidates, 99_000)
            .await
            .expect("open")
    );
    assert!(
        !store
            .join_party(party, late, 1_200)
            .await
            .expect("join late"),
        "no joining once the vote is open"
    );
    assert_eq!(
        store.party_members(party).await.expect("members"),
        [host, guest]
    );

    // A vote tried twice under one key stays a vote; a new click takes it back.
    assert!(
        store
            .toggle_vote(party, guest, films[0], (2_000, "vote:1"))
            .await
            .expect("vote")
    );
    assert!(
        store
            .toggle_vote(party, guest, films[0], (2_000, "vote:1"))
            .await
            .expect("retry")
    );
    assert_eq!(
        store.party_votes(party).await.expect("votes"),
        [(guest, films[0])]
    );
    assert!(
        !store
            .toggle_vote(party, guest, films[0], (2_100, "vote:2"))
            .await
            .expect("back")
    );
    assert!(store.party_votes(party).await.expect("votes").is_empty());

    let close = PartyClose {
        id: party,
        winner: films[1],
        now_ms: 3_000,
        debts: vec![(host, 0.25), (guest, -0.25)],
        key: "close:1:p1".into(),
    };
    assert!(store.close_party(&close).await.expect("close"));
    assert!(
        store.close_party(&close).await.expect("retry"),
        "a retry is told it closed it"
    );
    let other = PartyClose {
        key: "close:1:p2".into(),
        debts: vec![(host, 9.0)],
        ..close.clone()
    };
    assert!(
        !store.close_party(&other).await.expect("another"),
        "closed once"
    );
    let stored = store.party(party).await.expect("party").expect("there");
    assert_eq!(stored.status, PartyStatus::Closed);
    assert_eq!(stored.winner, Some(films[1]));
    assert_eq!(
        store
            .fairness(GuildId(7), &[host, guest])
            .await
            .expect("debts"),
        [0.25, -0.25],
        "the debts of the one close"
    );
}

async fn conversations_note_films_without_people_and_accepts_find_their_list(store: Store) {
    store
        .upsert_movies(&[
            film("Alien", 1979),
            film("Aliens", 1986),
            film("Heat", 1995),
        ])
        .await
        .expect("films");
    let id = |title: &str, all: &[marquee::domain::catalog::Movie]| {
        all.iter()
            .find(|m| m.info.title == title)
            .expect("stored")
            .id
    };
    let all = store.all_movies().await.expect("all");
    let (alien, aliens, heat) = (id("Alien", &all), id("Aliens", &all), id("Heat", &all));
    let user = store
        .ensure_user(UserKind::Discord, "42", "alice", Some(GuildId(1)))
        .await
        .expect("user");
    let shown = |message_id: i64, movie: MovieId, position: u32| NewImpression {
        message_id,
        channel: Some(5),
        guild: Some(GuildId(1)),
        user,
        movie,
        position,
        surface: Surface::Ask,
        created_at_ms: 1_000,
    };
    // An /ask answer under a provisional list id, then moved to the message that shows it.
    store
        .record_impressions(&[shown(-7, aliens, 1), shown(-7, heat, 2)])
        .await
        .expect("shown");
    store
        .remember_turn(11, Some(-7), &[alien], 1_000)
        .await
        .expect("turn");
    store
        .remember_turn(11, Some(-7), &[alien], 1_000)
        .await
        .expect("the same turn again");
    store.move_impressions(-7, 900).await.expect("moved");
    assert_eq!(
        store.conversation_films().await.expect("films"),
        [(11, alien)],
        "the named film, once"
    );
    // 👍 on the moved list's film 1 finds the conversation; twice is once.
    for _ in 0..2 {
        store
            .accept_suggestion(Some(900), user, aliens, 2_000)
            .await
            .expect("accept");
    }
    // A film not shown in that list is not accepted from it.
    assert_eq!(
        store
            .accept_suggestion(Some(900), user, alien, 2_000)
            .await
            .expect("not shown there"),
        0
    );
    // A later rating of Heat, with no list: found through the person's /ask lists.
    assert_eq!(
        store
            .accept_suggestion(None, user, heat, 3_000)
            .await
            .expect("rated later"),
        1
    );
    let mut films = store.conversation_films().await.expect("films");
    films.sort();
    let mut want = vec![(11, alien), (11, aliens), (11, heat)];
    want.sort();
    assert_eq!(films, want);
    // Someone else's rating of Heat was never an /ask suggestion to them.
    let other = store
        .ensure_user(UserKind::Discord, "43", "bob", Some(GuildId(1)))
        .await
        .expect("bob");
    assert_eq!(
        store
            .accept_suggestion(None, other, heat, 3_000)
            .await
            .expect("bob rates"),
        0
    );
    // Purging the lists with the impressions leaves what was learned, with no way back to
    // the list (and so to the person).
    store.purge(10_000, 5_000, 0).await.expect("purge");
    assert_eq!(
        store
            .accept_suggestion(Some(900), user, heat, 11_000)
            .await
            .expect("gone"),
        0
    );
    assert_eq!(store.conversation_films().await.expect("films").len(), 3);
}

/// Training reads the log page by page: every event once, in log order, with every field it
/// needs exactly as stored (a value with all its digits, none, a raw input with quotes and an
/// emoji), and nothing after the last page.
async fn the_event_log_reads_back_exactly_page_by_page(store: Store) {
    use marquee::domain::ids::EventId;
    store
        .upsert_movies(&[film("Alien", 1979), film("Heat", 1995)])
        .await
        .expect("films");
    let films: Vec<MovieId> = store
        .all_movies()
        .await
        .expect("all")
        .iter()
        .map(|m| m.id)
        .collect();
    let user = store
        .ensure_user(UserKind::Discord, "7", "bob", Some(GuildId(1)))
        .await
        .expect("user");
    let values = [
        Some(0.1 + 0.2),
        None,
        Some(3.0 + 1.0 / 7.0),
        Some(5.0),
        Some(1.0 / 3.0),
    ];
    let raws = [
        Some("👍"),
        None,
        Some("say \"hi\" \\ ,;|"),
        Some("🍿"),
        None,
    ];
    let mut stored = Vec::new();
    for (i, (value, raw)) in values.iter().zip(raws).enumerate() {
        let mut e = event(user, films[i % 2], 1_000 + i as i64, None);
        e.kind = FeedbackKind::ALL[i % FeedbackKind::ALL.len()];
        e.value = *value;
        e.weight = 0.7 + i as f64 / 7.0;
        e.raw = raw.map(str::to_owned);
        let Appended::New(id) = store.append_event(&e).await.expect("append") else {
            panic!("a new event")
        };
        stored.push((id, e));
    }
    let mut read = Vec::new();
    let mut after = None;
    loop {
        let page = store.event_log_page(after, 2).await.expect("a page");
        assert!(page.len() <= 2);
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        read.extend(page);
    }
    assert_eq!(read.len(), stored.len());
    for (got, (id, want)) in read.iter().zip(&stored) {
        assert_eq!(got.id, *id);
        assert_eq!(
            (got.user, got.movie, got.kind),
            (want.user, want.movie, want.kind)
        );
        assert_eq!(
            got.value.map(f64::to_bits),
            want.value.map(f64::to_bits),
            "{got:?}"
        );
        assert_eq!(got.weight.to_bits(), want.weight.to_bits());
        assert_eq!(got.raw, want.raw);
        assert_eq!(got.created_at_ms, want.created_at_ms);
    }
    assert!(
        store
            .event_log_page(Some(EventId(i64::MAX)), 10)
            .await
            .expect("past the end")
            .is_empty()
    );
}

async fn history_rows_to_choose_for_are_kept_once_and_chosen_once(store: Store) {
    store
        .upsert_movies(&[film("Dune", 1984), film("Dune", 2021)])
        .await
        .expect("films");
    let dune = store.all_movies().await.expect("all")[1].id;
    let user = store
        .ensure_user(UserKind::Discord, "7", "bob", Some(GuildId(1)))
        .await
        .expect("user");
    let rows = [
        (
            "letterboxd:rated:4.5:dune:0:1".to_owned(),
            "{\"a\":1}".to_owned(),
        ),
        (
            "letterboxd:seen:dune:0:2".to_owned(),
            "{\"b\":2}".to_owned(),
        ),
    ];
    let kept = store
        .keep_history_choices(user, &rows, 1_000)
        .await
        .expect("kept");
    assert_eq!(kept.len(), 2);
    assert!(kept.iter().all(|(_, chosen)| chosen.is_none()), "{kept:?}");
    // The same rows again (a newer export): same ids, the newer details.
    let again = [(rows[0].0.clone(), "{\"a\":2}".to_owned())];
    let kept_again = store
        .keep_history_choices(user, &again, 2_000)
        .await
        .expect("kept again");
    assert_eq!(kept_again, vec![kept[0]]);
    let (owner, details, chosen) = store
        .history_choice(kept[0].0)
        .await
        .expect("read")
        .expect("there");
    assert_eq!((owner, details.as_str(), chosen), (user, "{\"a\":2}", None));
    // Chosen: the event and the choice in one transaction; a second choice stores nothing.
    let mut e = event(user, dune, 1_500, Some("history:letterboxd:rated:4.5:x:0"));
    e.kind = FeedbackKind::Rating;
    e.value = Some(4.5);
    let settle = Some((kept[0].0, dune.0));
    let first = store
        .record_history(std::slice::from_ref(&e), &[], settle)
        .await
        .expect("chosen");
    assert_eq!(first, (1, 0));
    let mut other = e.clone();
    other.idempotency_key = Some("history:letterboxd:rated:4.5:y:0".into());
    let second = store
        .record_history(std::slice::from_ref(&other), &[], Some((kept[0].0, 1)))
        .await
        .expect("chosen again");
    assert_eq!(second.0, 0, "a row is chosen for once");
    assert_eq!(store.events_for_user(user).await.expect("events").len(), 1);
    let kept_third = store
        .keep_history_choices(user, &rows, 3_000)
        .await
        .expect("kept a third time");
    assert_eq!(kept_third[0], (kept[0].0, Some(dune.0)), "the choice stays");
    assert_eq!(kept_third[1], (kept[1].0, None));
    // The purge lets go of rows never chosen for, and keeps the choices.
    store.purge(10_000, 5_000, 0).await.expect("purge");
    assert!(
        store
            .history_choice(kept[1].0)
            .await
            .expect("read")
            .is_none()
    );
    assert!(
        store
            .history_choice(kept[0].0)
            .await
            .expect("read")
            .is_some()
    );
}

on_both_backends!(
    history_rows_to_choose_for_are_kept_once_and_chosen_once,
    the_starter_catalog_fills_an_empty_database_once,
    a_stored_film_reads_back_field_for_field,
    upserting_the_same_films_twice_changes_nothing,
    same_named_films_of_different_years_stay_apart_and_ids_merge,
    a_film_without_a_title_is_refused_and_nothing_is_stored,
    an_unknown_film_is_not_found,
    users_are_created_once_per_kind_person_and_server,
    an_event_delivered_twice_is_stored_once,
    an_event_for_an_unknown_film_is_refused,
    catalog_stats_count_films_decades_and_genres,
    events_experiment_runs_and_outcomes_are_scoped_by_server,
    party_writes_are_safe_to_repeat,
    starter_films_stored_before_the_prior_get_its_votes_once,
    votes_set_by_an_import_replace_and_repeat_as_nothing,
    a_servers_recent_events_are_its_own_and_whole_per_film,
    conversations_note_films_without_people_and_accepts_find_their_list,
    the_event_log_reads_back_exactly_page_by_page,
);
