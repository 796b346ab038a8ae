//! Experiments through the app layer, on both backends: sticky bucketing, exclusive layers,
//! start/stop rules, a server-level experiment choosing the watch-party strategy, and the bandit
//! shifting new people towards the variant that gets more likes.

use crate::helpers::on_both_backends;
use marquee::app::commands::{Caller, Reply, Request, Session};
use marquee::app::experiments::LabReply;
use marquee::app::party::{PartyOptions, PartyReply};
use marquee::domain::experiment::ExperimentFile;
use marquee::domain::feedback::ReactionMap;
use marquee::domain::ids::GuildId;
use marquee::domain::ports::{UserKind, UserRepo as _};
use marquee::outbound::storage::Store;

const FILE: &str = r#"
version = 1

[[experiment]]
key = "alpha"
layer = "recommend"
[[experiment.variants]]
name = "a"
weight = 0.5
[[experiment.variants]]
name = "b"
weight = 0.5
config = { diversity_lambda = 0.5 }

[[experiment]]
key = "beta"
layer = "recommend"
[[experiment.variants]]
name = "x"
weight = 0.5
[[experiment.variants]]
name = "y"
weight = 0.5

[[experiment]]
key = "parties"
unit = "guild"
layer = "groups"
[[experiment.variants]]
name = "usual"
weight = 0.5
config = { group_strategy = "borda" }
[[experiment.variants]]
name = "gentle"
weight = 0.5
config = { group_strategy = "least_misery" }

[[experiment]]
key = "bandit"
layer = "solo"
bandit = true
[[experiment.variants]]
name = "plain"
weight = 0.5
config = { model = "popularity" }
[[experiment.variants]]
name = "smart"
weight = 0.5
"#;

async fn session(store: &Store) -> Session {
    marquee::app::seed_starter_catalog(store)
        .await
        .expect("catalog");
    let s = Session::open(store.clone(), ReactionMap::default())
        .await
        .expect("session");
    let file: ExperimentFile = toml::from_str(FILE).expect("toml");
    file.validate().expect("valid");
    s.sync_experiments(&file).await.expect("sync");
    s
}

async fn user(store: &Store, n: usize) -> marquee::domain::ids::UserId {
    store
        .ensure_user(UserKind::Console, &format!("p{n}"), "")
        .await
        .expect("user")
}

async fn layers_are_exclusive_and_assignments_sticky(store: Store) {
    let s = session(&store).await;
    // People assigned while alpha ran alone stay in alpha when beta joins the layer.
    s.lab_switch("alpha", true).await.expect("start");
    let early = user(&store, 9_000).await;
    assert_eq!(
        s.arm_for(early).await.expect("arm").expect("arm").key,
        "alpha"
    );
    s.lab_switch("alpha", false).await.expect("stop");
    s.lab_switch("alpha", true).await.expect("restart");
    for (key, run) in [("beta", true)] {
        assert!(matches!(
            s.lab_switch(key, run).await.expect("start"),
            LabReply::Changed(_)
        ));
    }
    assert!(matches!(
        s.lab_switch("alpha", true).await.expect("again"),
        LabReply::Refused(t) if t.contains("already running")
    ));
    assert!(matches!(
        s.lab_switch("gamma", true).await.expect("unknown"),
        LabReply::Refused(t) if t.contains("alpha")
    ));
    let mut per_experiment = std::collections::HashMap::new();
    for n in 0..200 {
        let u = user(&store, n).await;
        let arm = s.arm_for(u).await.expect("arm").expect("an experiment");
        let again = s.arm_for(u).await.expect("arm").expect("the same");
        assert_eq!(arm, again, "sticky");
        *per_experiment.entry(arm.key.clone()).or_insert(0) += 1;
    }
    assert_eq!(
        s.arm_for(early).await.expect("arm").expect("arm").key,
        "alpha"
    );
    // Each person is in exactly one experiment of the layer, and the layer is split.
    assert_eq!(per_experiment.values().sum::<i32>(), 200);
    assert!(
        per_experiment.values().all(|n| *n > 60),
        "{per_experiment:?}"
    );
    s.lab_switch("alpha", false).await.expect("stop");
    s.lab_switch("beta", false).await.expect("stop");
    assert_eq!(s.arm_for(user(&store, 1).await).await.expect("arm"), None);
    assert!(matches!(
        s.lab_switch("alpha", false).await.expect("stop again"),
        LabReply::Refused(_)
    ));
}

async fn a_server_experiment_picks_the_watch_party_strategy(store: Store) {
    let s = session(&store).await;
    s.lab_switch("parties", true).await.expect("start");
    let host = user(&store, 1).await;
    let guild = GuildId(4242);
    let arm = s
        .guild_arm(guild)
        .await
        .expect("arm")
        .expect("in the experiment");
    let expected = arm.config.group_strategy.expect("a strategy");
    let PartyReply::Lobby { strategy, .. } = s
        .party_start((guild, 1), host, &[], None, PartyOptions::default())
        .await
        .expect("start")
    else {
        panic!("a lobby")
    };
    assert_eq!(strategy.name(), expected);
    // An explicit strategy still wins.
    let PartyReply::Lobby { strategy, .. } = s
        .party_start(
            (guild, 1),
            host,
            &[],
            Some("average"),
            PartyOptions::default(),
        )
        .await
        .expect("start")
    else {
        panic!("a lobby")
    };
    assert_eq!(strategy.name(), "average");
}

async fn the_bandit_sends_new_people_to_the_variant_that_gets_liked(store: Store) {
    let s = session(&store).await;
    s.lab_switch("bandit", true).await.expect("start");
    // 40 people get a list; only those on "smart" like their first pick.
    for n in 0..40 {
        let me = Caller::console(user(&store, n).await);
        let arm = s.arm_for(me.user).await.expect("arm").expect("arm");
        let reply = s
            .handle(
                &me,
                Request::Recommend {
                    genre: None,
                    count: Some(3),
                    min_year: None,
                    max_year: None,
                    instead_of: None,
                },
            )
            .await
            .expect("picks");
        assert!(matches!(reply, Reply::Picks { .. }));
        if arm.variant == "smart" {
            s.handle(
                &me,
                Request::React {
                    message_id: None,
                    position: 1,
                    emoji: "👍".into(),
                    removed: false,
                },
            )
            .await
            .expect("react");
        }
    }
    s.reload_experiments().await.expect("reload");
    let mut smart = 0;
    for n in 1000..1200 {
        let arm = s
            .arm_for(user(&store, n).await)
            .await
            .expect("arm")
            .expect("arm");
        if arm.variant == "smart" {
            smart += 1;
        }
    }
    assert!(
        smart > 150,
        "the bandit favours the liked variant: {smart}/200"
    );
}

on_both_backends!(
    layers_are_exclusive_and_assignments_sticky,
    a_server_experiment_picks_the_watch_party_strategy,
    the_bandit_sends_new_people_to_the_variant_that_gets_liked,
);
