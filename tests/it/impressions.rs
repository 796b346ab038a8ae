//! The impression port on both backends: films shown in a suggestion message, found again by
//! message and position when someone reacts.

use crate::helpers::on_both_backends;
use marquee::domain::catalog::MovieInfo;
use marquee::domain::ids::{GuildId, MovieId, UserId};
use marquee::domain::ports::{
    CatalogRepo, ImpressionRepo, NewImpression, Surface, UserKind, UserRepo,
};
use marquee::outbound::storage::Store;

async fn setup(store: &Store) -> (UserId, Vec<MovieId>) {
    let films: Vec<MovieInfo> = ["Heat", "Alien", "Arrival"]
        .iter()
        .map(|t| MovieInfo {
            title: (*t).into(),
            year: Some(1995),
            ..MovieInfo::default()
        })
        .collect();
    store.upsert_movies(&films).await.expect("films");
    let ids = store
        .all_movies()
        .await
        .expect("movies")
        .iter()
        .map(|m| m.id)
        .collect();
    let user = store
        .ensure_user(UserKind::Console, "kim", "kim", Some(GuildId(0)))
        .await
        .expect("user");
    (user, ids)
}

fn shown(message_id: i64, user: UserId, movie: MovieId, position: u32, at: i64) -> NewImpression {
    NewImpression {
        message_id,
        channel: Some(77),
        guild: Some(GuildId(5)),
        user,
        movie,
        position,
        surface: Surface::Recommend,
        created_at_ms: at,
    }
}

async fn a_shown_list_is_found_again_by_message_and_position(store: Store) {
    let (user, films) = setup(&store).await;
    let rows: Vec<NewImpression> = films
        .iter()
        .enumerate()
        .map(|(i, &m)| shown(1_000, user, m, i as u32 + 1, 10))
        .collect();
    assert_eq!(store.record_impressions(&rows).await.expect("record"), 3);
    let second = store
        .impression(1_000, 2)
        .await
        .expect("find")
        .expect("row");
    assert_eq!(second.shown, rows[1]);
    assert!(store.impression(1_000, 4).await.expect("find").is_none());
    assert!(store.impression(999, 1).await.expect("find").is_none());
    let all = store.impressions_of_message(1_000).await.expect("list");
    assert_eq!(
        all.iter().map(|i| i.shown.position).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert!(
        store
            .impressions_of_message(1)
            .await
            .expect("list")
            .is_empty()
    );
}

async fn recording_the_same_message_twice_stores_it_once(store: Store) {
    let (user, films) = setup(&store).await;
    let rows = [
        shown(5, user, films[0], 1, 10),
        shown(5, user, films[1], 2, 10),
    ];
    assert_eq!(store.record_impressions(&rows).await.expect("first"), 2);
    assert_eq!(store.record_impressions(&rows).await.expect("again"), 0);
    assert_eq!(store.record_impressions(&[]).await.expect("nothing"), 0);
    let mut similar = shown(6, user, films[2], 1, 11);
    similar.surface = Surface::Similar;
    similar.guild = None;
    similar.channel = None;
    store
        .record_impressions(std::slice::from_ref(&similar))
        .await
        .expect("similar");
    let found = store.impression(6, 1).await.expect("find").expect("row");
    assert_eq!(found.shown, similar);
}

async fn the_latest_list_of_a_user_is_known_and_snowflakes_fit(store: Store) {
    let (user, films) = setup(&store).await;
    assert_eq!(store.latest_message_for(user).await.expect("latest"), None);
    let other = store
        .ensure_user(UserKind::Console, "ana", "ana", Some(GuildId(0)))
        .await
        .expect("user");
    store
        .record_impressions(&[
            shown(900_000_000_000_000_000, user, films[0], 1, 10),
            shown(20, user, films[1], 1, 30),
            shown(30, other, films[2], 1, 40),
        ])
        .await
        .expect("record");
    assert_eq!(
        store.latest_message_for(user).await.expect("latest"),
        Some(20)
    );
    assert_eq!(
        store.latest_message_for(other).await.expect("latest"),
        Some(30)
    );
    assert!(
        store
            .impression(900_000_000_000_000_000, 1)
            .await
            .expect("db")
            .is_some(),
        "Discord snowflakes fit"
    );
}

async fn an_impression_of_an_unknown_film_is_refused(store: Store) {
    let (user, _) = setup(&store).await;
    let err = store
        .record_impressions(&[shown(1, user, MovieId(999_999), 1, 10)])
        .await
        .expect_err("no such film");
    assert!(
        matches!(err, marquee::domain::error::StoreError::Invalid(_)),
        "{err:?}"
    );
}

on_both_backends!(
    a_shown_list_is_found_again_by_message_and_position,
    recording_the_same_message_twice_stores_it_once,
    the_latest_list_of_a_user_is_known_and_snowflakes_fit,
    an_impression_of_an_unknown_film_is_refused,
);
