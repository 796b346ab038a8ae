//! Watch parties through the app layer, on both backends: the awkward cases (a party of one,
//! filters nothing passes, someone leaving mid-vote, votes from outsiders or after the close)
//! and what a closed vote stores.

use crate::helpers::on_both_backends;
use marquee::app::command::Invitee;
use marquee::app::{App, Caller, Command, Options, PartyCommand, PartyStart, Person, Reply};
use marquee::domain::events::FeedbackKind;
use marquee::domain::ids::{GuildId, PartyId, UserId};
use marquee::domain::ports::{FeedbackRepo as _, PartyRepo as _, PartyStatus};
use marquee::outbound::storage::Store;

const GUILD: GuildId = GuildId(77);
const CHANNEL: i64 = 88;

/// The app, and the named people as callers in the test server (with their stored ids).
async fn setup(store: &Store, names: &[&str]) -> (App, Vec<Caller>, Vec<UserId>) {
    let app = App::on_store(store.clone(), Options::default())
        .await
        .expect("app");
    let mut callers = Vec::new();
    let mut users = Vec::new();
    for n in names {
        let mut caller = Caller::console(n);
        caller.server = Some(GUILD);
        caller.channel = Some(CHANNEL);
        users.push(
            app.services()
                .user(&caller)
                .await
                .expect("storage")
                .expect("a valid name"),
        );
        callers.push(caller);
    }
    (app, callers, users)
}

async fn party(app: &App, who: &Caller, command: PartyCommand) -> Reply {
    app.handle(who, Command::Party(command))
        .await
        .expect("party command")
}

fn options(start: PartyStart, others: &[&Caller]) -> PartyCommand {
    PartyCommand::Start(PartyStart {
        invited: others
            .iter()
            .map(|c| match &c.person {
                Person::Local(name) => Invitee::local(name),
                other => panic!("console friends only: {other:?}"),
            })
            .collect(),
        ..start
    })
}

async fn start(app: &App, host: &Caller, others: &[&Caller], start: PartyStart) -> PartyId {
    match party(app, host, options(start, others)).await {
        Reply::Lobby(lobby) => {
            assert_eq!(lobby.members.len(), 1 + others.len());
            lobby.party
        }
        other => panic!("a lobby, got {other:?}"),
    }
}

fn invalid(reply: &Reply, needle: &str) {
    match reply {
        Reply::Invalid(text) => assert!(text.contains(needle), "{text}"),
        other => panic!("expected a refusal with {needle:?}, got {other:?}"),
    }
}

async fn a_party_of_one_and_bad_options_are_refused_kindly(store: Store) {
    let (s, c, _) = setup(&store, &["ann", "ben"]).await;
    let id = start(&s, &c[0], &[], PartyStart::default()).await;
    invalid(
        &party(
            &s,
            &c[0],
            PartyCommand::Pick {
                party: id,
                message: None,
            },
        )
        .await,
        "at least two",
    );
    let vote = PartyCommand::Vote {
        party: id,
        position: 1,
        message: None,
    };
    invalid(&party(&s, &c[0], vote).await, "Pick first");
    let dictatorship = PartyStart {
        strategy: Some("dictatorship".into()),
        ..PartyStart::default()
    };
    invalid(
        &party(&s, &c[0], options(dictatorship, &[])).await,
        "average",
    );
    let short = PartyStart {
        max_runtime: Some(5),
        ..PartyStart::default()
    };
    invalid(&party(&s, &c[0], options(short, &[])).await, "30 to 600");
    // Ben joins; only the host may start the vote, and only the host may close it.
    party(
        &s,
        &c[1],
        PartyCommand::Join {
            party: id,
            message: None,
        },
    )
    .await;
    invalid(
        &party(
            &s,
            &c[1],
            PartyCommand::Pick {
                party: id,
                message: None,
            },
        )
        .await,
        "Only",
    );
    invalid(
        &party(
            &s,
            &c[1],
            PartyCommand::Close {
                party: id,
                message: None,
            },
        )
        .await,
        "Only the host",
    );
}

async fn filters_nothing_passes_are_dropped_and_said_so(store: Store) {
    let (s, c, _) = setup(&store, &["ann", "ben"]).await;
    let strict = PartyStart {
        genre: Some("Western".into()),
        max_runtime: Some(30),
        ..PartyStart::default()
    };
    let id = start(&s, &c[0], &[&c[1]], strict).await;
    match party(
        &s,
        &c[0],
        PartyCommand::Pick {
            party: id,
            message: None,
        },
    )
    .await
    {
        Reply::Vote(vote) => {
            assert!(!vote.shortlist.is_empty());
            assert!(vote.widened.expect("said").contains("dropped"));
        }
        other => panic!("a vote, got {other:?}"),
    }
}

async fn a_vote_closes_when_everyone_left_has_voted_and_stores_the_night(store: Store) {
    let (s, c, u) = setup(&store, &["ann", "ben", "cid", "dot"]).await;
    let id = start(&s, &c[0], &[&c[1], &c[2]], PartyStart::default()).await;
    let Reply::Vote(vote) = party(
        &s,
        &c[0],
        PartyCommand::Pick {
            party: id,
            message: None,
        },
    )
    .await
    else {
        panic!("a vote")
    };
    let shortlist = vote.shortlist;
    let vote = |position| PartyCommand::Vote {
        party: id,
        position,
        message: None,
    };
    // An outsider cannot vote; members vote; a vote for a film not on the list is explained.
    invalid(&party(&s, &c[3], vote(1)).await, "not in");
    invalid(&party(&s, &c[0], vote(9)).await, "no film number 9");
    assert!(matches!(party(&s, &c[0], vote(2)).await, Reply::Vote(_)));
    assert!(matches!(party(&s, &c[1], vote(2)).await, Reply::Vote(_)));
    // Cid leaves without voting: everyone left has voted, so the vote closes.
    let Reply::Closed(w) = party(
        &s,
        &c[2],
        PartyCommand::Leave {
            party: id,
            message: None,
        },
    )
    .await
    else {
        panic!("closed")
    };
    assert_eq!(w.movie, shortlist[1].movie, "film 2 had every vote");
    assert_eq!(w.shortlist[1].votes, Some(2));
    assert_eq!(w.members.len(), 2);
    invalid(&party(&s, &c[0], vote(1)).await, "closed");
    invalid(
        &party(
            &s,
            &c[0],
            PartyCommand::Close {
                party: id,
                message: None,
            },
        )
        .await,
        "closed already",
    );
    let stored = store.party(id).await.expect("party").expect("stored");
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
    let next = start(&s, &c[0], &[&c[1]], PartyStart::default()).await;
    let Reply::Vote(vote) = party(
        &s,
        &c[0],
        PartyCommand::Pick {
            party: next,
            message: None,
        },
    )
    .await
    else {
        panic!("a vote")
    };
    assert!(vote.shortlist.iter().all(|f| f.movie != w.movie));
    let Reply::History(nights) = party(&s, &c[0], PartyCommand::History).await else {
        panic!("history")
    };
    assert_eq!(nights.len(), 2);
    assert!(nights.iter().any(|n| n.what == w.title));
}

on_both_backends!(
    a_party_of_one_and_bad_options_are_refused_kindly,
    filters_nothing_passes_are_dropped_and_said_so,
    a_vote_closes_when_everyone_left_has_voted_and_stores_the_night,
);
