//! Retention on both backends, with a clock the test moves: a server that removed Marquee keeps
//! its data through the grace period (and for good if Marquee comes back), then loses it all;
//! expired conversations, old lists and lobbies that never started are swept away.

use crate::helpers::on_both_backends;
use marquee::app::reply::PrivacySummary;
use marquee::app::{
    App, Caller, Command, Filters, Options, PartyCommand, PartyStart, PrivacyCommand, Reply,
};
use marquee::domain::ids::GuildId;
use marquee::domain::ports::{
    Clock, ExperimentRepo as _, ImpressionRepo as _, PartyRepo as _, PartyStatus, UserKind,
    UserRepo as _,
};
use marquee::outbound::storage::Store;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

const DAY: i64 = 86_400_000;
const GONE: GuildId = GuildId(21);
const STAYS: GuildId = GuildId(22);

/// A clock the test moves by hand.
#[derive(Debug)]
pub(crate) struct TestClock(AtomicI64);

impl TestClock {
    pub(crate) fn at(ms: i64) -> Self {
        TestClock(AtomicI64::new(ms))
    }

    pub(crate) fn advance(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

async fn shown(app: &App, who: &Caller) -> PrivacySummary {
    match app
        .handle(who, Command::Privacy(PrivacyCommand::Show))
        .await
        .expect("show")
    {
        Reply::PrivacySummary(s) => *s,
        other => panic!("{other:?}"),
    }
}

#[allow(clippy::too_many_lines)] // one story over 95 days
async fn a_removed_server_is_deleted_after_the_grace_period_and_old_data_is_swept(store: Store) {
    let clock = Arc::new(TestClock::at(1_800_000_000_000));
    let options = Options {
        clock: clock.clone(),
        ..Options::default()
    };
    let app = App::on_store(store.clone(), options).await.expect("app");
    let (ana, ben) = (
        Caller::console("ana").in_server(GONE),
        Caller::console("ben").in_server(STAYS),
    );
    for who in [&ana, &ben] {
        let rate = Command::Rate {
            title: "Alien".into(),
            stars: 5.0,
        };
        app.handle(who, rate).await.expect("rate");
    }
    let list = Command::Recommend {
        filters: Filters::default(),
        instead_of: None,
    };
    let Reply::Picks { list, .. } = app.handle(&ben, list).await.expect("picks") else {
        panic!("picks")
    };
    let ask = Command::Ask {
        text: "a funny movie from the 90s".into(),
        fresh: true,
    };
    app.handle(&ben, ask).await.expect("ask");
    let Reply::Lobby(lobby) = app
        .handle(
            &ben,
            Command::Party(PartyCommand::Start(PartyStart::default())),
        )
        .await
        .expect("lobby")
    else {
        panic!("a lobby")
    };

    // Cy asks to be forgotten: the record that keeps a re-delivered reaction of Cy's out is
    // kept as long as the lists Cy could react to.
    let cy = Caller::console("cy").in_server(STAYS);
    let rate = Command::Rate {
        title: "Heat".into(),
        stars: 4.0,
    };
    app.handle(&cy, rate).await.expect("rate");
    let forget = PrivacyCommand::Forget {
        everywhere: false,
        confirmed: true,
    };
    app.handle(&cy, Command::Privacy(forget))
        .await
        .expect("forget");

    // An assignment of a person no longer stored (another process's moment of stale memory)
    // goes; a stored person's stays.
    let key = store.experiments().await.expect("experiments")[0]
        .key
        .clone();
    let ben_id = store
        .users_of_person(UserKind::Console, "ben")
        .await
        .expect("ben")[0]
        .0;
    for unit in [
        "user:999999999".to_owned(),
        format!("user:{}", ben_id.0),
        format!("guild:{}", STAYS.0),
    ] {
        store
            .assign_variant(&key, &unit, "control", 1)
            .await
            .expect("assigned");
    }

    app.server_joined(GONE, "gone").await.expect("joined");
    app.server_left(GONE).await.expect("left");
    clock.advance(29 * DAY);
    let swept = app.sweep().await.expect("sweep");
    assert!(swept.servers.is_empty(), "still in the grace period");
    // 29 days on: the conversation (30 minutes) and the lobby (a day) went; the list (90
    // days) stays.
    assert!(swept.purged.conversations >= 1, "{swept:?}");
    assert_eq!(swept.purged.lobbies, 1);
    assert_eq!(swept.purged.stray_assignments, 1, "{swept:?}");
    assert_eq!(
        store
            .assignments_of(&format!("user:{}", ben_id.0))
            .await
            .expect("ben's")
            .len(),
        1
    );
    assert_eq!(
        store
            .assignments_of(&format!("guild:{}", STAYS.0))
            .await
            .expect("the server's")
            .len(),
        1
    );
    assert_eq!(
        store
            .party(lobby.party)
            .await
            .expect("db")
            .expect("party")
            .status,
        PartyStatus::Cancelled
    );
    assert!(store.impression(list, 1).await.expect("db").is_some());
    assert_eq!(shown(&app, &ana).await.ratings, 1);
    // Back before the end of the grace period: nothing is deleted.
    app.server_joined(GONE, "gone").await.expect("back");
    clock.advance(5 * DAY);
    assert!(app.sweep().await.expect("sweep").servers.is_empty());
    // Removed again, for good this time.
    app.server_left(GONE).await.expect("left again");
    clock.advance(31 * DAY);
    let swept = app.sweep().await.expect("sweep");
    assert_eq!(swept.servers, [GONE]);
    assert_eq!(
        shown(&app, &ana).await,
        PrivacySummary::default(),
        "nothing is kept about the deleted server's people"
    );
    assert_eq!(shown(&app, &ben).await.ratings, 1, "the other server stays");
    // 65 days on, the list (90 days) is still there; 95 days on, it is gone.
    assert!(store.impression(list, 1).await.expect("db").is_some());
    clock.advance(30 * DAY);
    let swept = app.sweep().await.expect("sweep");
    assert!(swept.purged.impressions >= 1, "{swept:?}");
    assert_eq!(
        swept.purged.tombstones, 1,
        "Cy's record goes with the lists"
    );
    assert!(store.impression(list, 1).await.expect("db").is_none());
    app.close().await;
}

/// Marquee removed from a server while it was not running: at the next connection Discord's
/// list lacks that server, and its grace period starts then. A server another shard serves is
/// not this connection's to judge.
async fn a_server_that_removed_marquee_while_it_was_down_is_noticed_at_connection(store: Store) {
    let clock = Arc::new(TestClock::at(1_800_000_000_000));
    let options = Options {
        clock: clock.clone(),
        ..Options::default()
    };
    let app = App::on_store(store.clone(), options).await.expect("app");
    let ana = Caller::console("ana").in_server(GONE);
    let rate = Command::Rate {
        title: "Alien".into(),
        stars: 5.0,
    };
    app.handle(&ana, rate).await.expect("rate");
    let other_shard = GuildId(23);
    for (server, name) in [(GONE, "gone"), (STAYS, "stays"), (other_shard, "elsewhere")] {
        app.server_joined(server, name).await.expect("joined");
    }
    let gone = app
        .servers_present(&[STAYS], |g| g != other_shard)
        .await
        .expect("compared");
    assert_eq!(gone, [GONE]);
    clock.advance(31 * DAY);
    let swept = app.sweep().await.expect("sweep");
    assert_eq!(
        swept.servers,
        [GONE],
        "only the server that removed Marquee"
    );
    assert_eq!(shown(&app, &ana).await, PrivacySummary::default());
    app.close().await;
}

on_both_backends!(
    a_removed_server_is_deleted_after_the_grace_period_and_old_data_is_swept,
    a_server_that_removed_marquee_while_it_was_down_is_noticed_at_connection,
);
