//! Watch parties through the app layer, on both backends: the awkward cases (a party of one,
//! filters nothing passes, someone leaving mid-vote, votes from outsiders or after the close)
//! and what a closed vote stores.

use crate::helpers::on_both_backends;
use marquee::app::commands::Session;
use marquee::app::party::{PartyOptions, PartyReply};
use marquee::domain::events::FeedbackKind;
use marquee::domain::ids::{GuildId, PartyId, UserId};
use marquee::domain::ports::{FeedbackRepo as _, PartyRepo as _, PartyStatus, UserKind, UserRepo};
use marquee::outbound::storage::Store;

const GUILD: GuildId = GuildId(77);
const CHANNEL: i64 = 88;

async fn setup(store: &Store, names: &[&str]) -> (Session, Vec<UserId>) {
    marquee::app::seed_starter_catalog(store)
        .await
        .expect("catalog");
    let session = Session::open(
        store.clone(),
        marquee::domain::feedback::ReactionMap::default(),
    )
    .await
    .expect("session");
    let mut users = Vec::new();
    for n in names {
        users.push(
            store
                .ensure_user(UserKind::Discord, n, n)
                .await
                .expect("user"),
        );
    }
    (session, users)
}

async fn start(
    session: &Session,
    host: UserId,
    others: &[UserId],
    options: PartyOptions,
) -> PartyId {
    match session
        .party_start((GUILD, CHANNEL), host, others, None, options)
        .await
        .expect("start")
    {
        PartyReply::Lobby { party, members, .. } => {
            assert_eq!(members.len(), 1 + others.len());
            party
        }
        other => panic!("a lobby, got {other:?}"),
    }
}

fn invalid(reply: &PartyReply, needle: &str) {
    match reply {
        PartyReply::Invalid(text) => assert!(text.contains(needle), "{text}"),
        other => panic!("expected a refusal with {needle:?}, got {other:?}"),
    }
}

async fn a_party_of_one_and_bad_options_are_refused_kindly(store: Store) {
    let (s, u) = setup(&store, &["ann", "ben"]).await;
    let party = start(&s, u[0], &[], PartyOptions::default()).await;
    invalid(
        &s.party_pick(party, u[0]).await.expect("pick"),
        "at least two",
    );
    invalid(
        &s.party_vote(party, u[0], 1).await.expect("vote"),
        "Pick first",
    );
    let bad = s
        .party_start(
            (GUILD, CHANNEL),
            u[0],
            &[],
            Some("dictatorship"),
            PartyOptions::default(),
        )
        .await
        .expect("reply");
    invalid(&bad, "average");
    let bad = s
        .party_start(
            (GUILD, CHANNEL),
            u[0],
            &[],
            None,
            PartyOptions {
                max_runtime: Some(5),
                ..PartyOptions::default()
            },
        )
        .await
        .expect("reply");
    invalid(&bad, "30 to 600");
    // Ben joins; only the host may start the vote.
    s.party_join(party, u[1]).await.expect("join");
    invalid(&s.party_pick(party, u[1]).await.expect("pick"), "Only");
}

async fn filters_nothing_passes_are_dropped_and_said_so(store: Store) {
    let (s, u) = setup(&store, &["ann", "ben"]).await;
    let party = start(
        &s,
        u[0],
        &[u[1]],
        PartyOptions {
            genre: Some("Western".into()),
            max_runtime: Some(30),
            ..PartyOptions::default()
        },
    )
    .await;
    match s.party_pick(party, u[0]).await.expect("pick") {
        PartyReply::Vote {
            shortlist, widened, ..
        } => {
            assert!(!shortlist.is_empty());
            assert!(widened.expect("said").contains("dropped"));
        }
        other => panic!("a vote, got {other:?}"),
    }
}

async fn a_vote_closes_when_everyone_left_has_voted_and_stores_the_night(store: Store) {
    let (s, u) = setup(&store, &["ann", "ben", "cid", "dot"]).await;
    let party = start(&s, u[0], &u[1..3], PartyOptions::default()).await;
    let PartyReply::Vote { shortlist, .. } = s.party_pick(party, u[0]).await.expect("pick") else {
        panic!("a vote")
    };
    // An outsider cannot vote; members vote; a vote for a film not on the list is explained.
    invalid(&s.party_vote(party, u[3], 1).await.expect("vote"), "not in");
    invalid(
        &s.party_vote(party, u[0], 9).await.expect("vote"),
        "no film number 9",
    );
    assert!(matches!(
        s.party_vote(party, u[0], 2).await.expect("vote"),
        PartyReply::Vote { .. }
    ));
    assert!(matches!(
        s.party_vote(party, u[1], 2).await.expect("vote"),
        PartyReply::Vote { .. }
    ));
    // Cid leaves without voting: everyone left has voted, so the vote closes.
    let PartyReply::Closed(w) = s.party_leave(party, u[2]).await.expect("leave") else {
        panic!("closed")
    };
    assert_eq!(w.movie, shortlist[1].movie, "film 2 had every vote");
    assert_eq!(w.shortlist[1].votes, Some(2));
    assert_eq!(w.members.len(), 2);
    invalid(&s.party_vote(party, u[0], 1).await.expect("vote"), "closed");
    assert!(
        s.party_close(party, "again")
            .await
            .expect("close")
            .is_none(),
        "closed once"
    );
    let stored = store.party(party).await.expect("party").expect("stored");
    assert_eq!(stored.status, PartyStatus::Closed);
    assert_eq!(stored.winner, Some(w.movie));
    for member in &u[..2] {
        let seen = store
            .events_for_user(*member)
            .await
            .expect("events")
            .iter()
            .any(|e| e.event.movie == w.movie && e.event.kind == FeedbackKind::WatchedTogether);
        assert!(seen, "watched together");
    }
    let debts = store.fairness(GUILD, &u[..2]).await.expect("fairness");
    assert!(debts.iter().all(|d| d.is_finite()));
    // The next party leaves the film out.
    let next = start(&s, u[0], &[u[1]], PartyOptions::default()).await;
    let PartyReply::Vote { shortlist, .. } = s.party_pick(next, u[0]).await.expect("pick") else {
        panic!("a vote")
    };
    assert!(shortlist.iter().all(|f| f.movie != w.movie));
    let PartyReply::History(lines) = s.party_history(GUILD, 10).await.expect("history") else {
        panic!("history")
    };
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().any(|(_, what, _)| *what == w.title));
}

on_both_backends!(
    a_party_of_one_and_bad_options_are_refused_kindly,
    filters_nothing_passes_are_dropped_and_said_so,
    a_vote_closes_when_everyone_left_has_voted_and_stores_the_night,
);
