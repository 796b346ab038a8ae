//! Feedback end to end on both backends: a rating, a reaction and a review each become the
//! right stored event and implicit rating.

use crate::helpers::on_both_backends;
use marquee::app::feedback::{Reaction, ReviewRefused, mark, rate, react, review};
use marquee::app::{Caller, Person, Source, Who};
use marquee::domain::catalog::MovieInfo;
use marquee::domain::events::{Appended, FeedbackKind};
use marquee::domain::feedback::{ReactionMap, Signal, Stars};
use marquee::domain::ids::{GuildId, MovieId, UserId};
use marquee::domain::ports::{CatalogRepo, Clock, FeedbackRepo, UserKind, UserRepo};
use marquee::domain::sentiment::{ReviewError, Vader};
use marquee::outbound::storage::Store;
use std::sync::atomic::{AtomicI64, Ordering};

/// A clock that moves one second per reading, so "later beats earlier" is testable.
#[derive(Debug, Default)]
struct SteppingClock(AtomicI64);

impl Clock for SteppingClock {
    fn now_ms(&self) -> i64 {
        1_700_000_000_000 + self.0.fetch_add(1_000, Ordering::Relaxed)
    }
}

async fn setup(store: &Store) -> (UserId, MovieId) {
    let film = MovieInfo {
        title: "Heat".into(),
        year: Some(1995),
        ..MovieInfo::default()
    };
    store.upsert_movies(&[film]).await.expect("film");
    let movie = store.all_movies().await.expect("movies")[0].id;
    let user = store
        .ensure_user(UserKind::Discord, "1001", "ana", Some(GuildId(1)))
        .await
        .expect("user");
    (user, movie)
}

/// A person on Discord (the user made in `setup`), without a server.
fn discord() -> Caller {
    let mut caller = Caller::cli(Person::Discord {
        id: 1001,
        name: "ana".into(),
    });
    caller.source = Source::Discord;
    caller
}

/// The same person giving a signal on the command line.
fn cli() -> Caller {
    Caller::cli(Person::Discord {
        id: 1001,
        name: "ana".into(),
    })
}

async fn a_rating_is_stored_as_an_explicit_event(store: Store) {
    let (user, movie) = setup(&store).await;
    let clock = SteppingClock::default();
    let mut delivered = cli();
    delivered.delivery_key = Some("interaction-1".into());
    let once = Who {
        user,
        caller: &delivered,
    };
    let r = rate(
        &store,
        &clock,
        &once,
        movie,
        "4.5".parse::<Stars>().expect("stars"),
    )
    .await
    .expect("rate");
    assert!(matches!(r.appended, Appended::New(_)));
    assert_eq!(r.implicit.value, Some(4.5));
    assert!(r.implicit.explicit);
    let again = rate(
        &store,
        &clock,
        &once,
        movie,
        Stars::new(4.5).expect("stars"),
    )
    .await
    .expect("again");
    assert_eq!(
        again.appended,
        Appended::Duplicate,
        "the same interaction delivered twice counts once"
    );
    let events = store.events_for_user(user).await.expect("events");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event.kind, FeedbackKind::Rating);
    assert_eq!(events[0].event.value, Some(4.5));
    assert!((events[0].event.weight - 1.0).abs() < 1e-9);
}

async fn a_reaction_counts_once_and_its_removal_undoes_it(store: Store) {
    let (user, movie) = setup(&store).await;
    let (clock, map) = (SteppingClock::default(), ReactionMap::default());
    let on_discord = discord();
    let at_list = Who {
        user,
        caller: &on_discord,
    };
    let like = Reaction {
        emoji: "👍",
        removed: false,
    };
    let r = react(&store, &clock, &map, (&at_list, movie), &like, Some(77))
        .await
        .expect("react")
        .expect("known emoji");
    assert!(matches!(r.appended, Appended::New(_)));
    let liked = r.implicit.value.expect("a like carries a rating");
    assert!(liked >= 3.5, "{liked}");
    let dup = react(&store, &clock, &map, (&at_list, movie), &like, Some(77))
        .await
        .expect("dup")
        .expect("known");
    assert_eq!(
        dup.appended,
        Appended::Duplicate,
        "a resumed gateway delivers it again"
    );
    let removed = Reaction {
        emoji: "👍",
        removed: true,
    };
    let r = react(&store, &clock, &map, (&at_list, movie), &removed, Some(77))
        .await
        .expect("remove")
        .expect("known");
    assert_eq!(r.implicit.value, None, "removal undoes the like");
    let r = react(&store, &clock, &map, (&at_list, movie), &like, Some(77))
        .await
        .expect("re-add")
        .expect("known");
    assert!(
        matches!(r.appended, Appended::New(_)),
        "a real second add is a new event"
    );
    assert_eq!(r.implicit.value, Some(liked));
    assert_eq!(store.events_for_user(user).await.expect("events").len(), 3);

    let unknown = Reaction {
        emoji: "🦄",
        removed: false,
    };
    assert!(
        react(&store, &clock, &map, (&at_list, movie), &unknown, Some(77))
            .await
            .expect("unknown")
            .is_none()
    );
    let heart = Reaction {
        emoji: "❤\u{fe0f}",
        removed: false,
    };
    let r = react(&store, &clock, &map, (&at_list, movie), &heart, Some(77))
        .await
        .expect("heart")
        .expect("❤️ is known");
    assert_eq!(
        r.implicit.value,
        Some(5.0),
        "the later, stronger reaction wins"
    );
}

async fn an_explicit_rating_beats_a_later_reaction_and_not_interested_excludes(store: Store) {
    let (user, movie) = setup(&store).await;
    let (clock, map) = (SteppingClock::default(), ReactionMap::default());
    let (on_discord, on_cli) = (discord(), cli());
    let (at_list, typed) = (
        Who {
            user,
            caller: &on_discord,
        },
        Who {
            user,
            caller: &on_cli,
        },
    );
    rate(
        &store,
        &clock,
        &typed,
        movie,
        Stars::new(2.0).expect("stars"),
    )
    .await
    .expect("rate");
    let r = react(
        &store,
        &clock,
        &map,
        (&at_list, movie),
        &Reaction {
            emoji: "❤️",
            removed: false,
        },
        Some(5),
    )
    .await
    .expect("react")
    .expect("known");
    assert_eq!(r.implicit.value, Some(2.0));
    let r = mark(&store, &clock, &typed, movie, &Signal::NotInterested, None)
        .await
        .expect("mark")
        .expect("event");
    assert!(r.implicit.not_interested && r.implicit.excludes_future_picks());
}

async fn a_review_is_scored_stored_with_its_raw_scores_and_becomes_a_rating(store: Store) {
    let (user, movie) = setup(&store).await;
    let (clock, vader) = (SteppingClock::default(), Vader::new());
    let on_cli = cli();
    let typed = Who {
        user,
        caller: &on_cli,
    };
    let text = "Absolutely LOVED it!!! The heist scene is amazing ❤️";
    let r = review(&store, &clock, &vader, (&typed, movie), text)
        .await
        .expect("review");
    assert!(r.sentiment.scores.compound > 0.8, "{:?}", r.sentiment);
    assert!(matches!(r.recorded.appended, Appended::New(_)));
    assert_eq!(r.recorded.implicit.value, Some(r.sentiment.rating));
    assert!(r.sentiment.rating > 4.0, "{}", r.sentiment.rating);
    let stored = store.reviews_of(user, movie).await.expect("reviews");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].body, text);
    assert!(
        (stored[0].scores.compound - r.sentiment.scores.compound).abs() < 1e-12,
        "raw scores kept"
    );
    assert_eq!(stored[0].rating, Some(r.sentiment.rating));
    let events = store.events_for_user(user).await.expect("events");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event.kind, FeedbackKind::Review);
    assert_eq!(stored[0].event_id, Some(events[0].id));

    let bad = review(&store, &clock, &vader, (&typed, movie), "   ")
        .await
        .unwrap_err();
    assert!(
        matches!(bad, ReviewRefused::Review(ReviewError::Empty)),
        "{bad:?}"
    );
    let long = "great ".repeat(700);
    let bad = review(&store, &clock, &vader, (&typed, movie), &long)
        .await
        .unwrap_err();
    assert!(
        matches!(bad, ReviewRefused::Review(ReviewError::TooLong { .. })),
        "{bad:?}"
    );
    assert_eq!(
        store.reviews_of(user, movie).await.expect("reviews").len(),
        1,
        "refused reviews store nothing"
    );
}

on_both_backends!(
    a_rating_is_stored_as_an_explicit_event,
    a_reaction_counts_once_and_its_removal_undoes_it,
    an_explicit_rating_beats_a_later_reaction_and_not_interested_excludes,
    a_review_is_scored_stored_with_its_raw_scores_and_becomes_a_rating,
);
