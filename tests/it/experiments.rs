//! Experiments through the app layer, on both backends: sticky bucketing, exclusive layers,
//! start/stop rules, a server-level experiment choosing the watch-party strategy, and the bandit
//! shifting new people towards the variant that gets more likes.

use crate::helpers::on_both_backends;
use marquee::app::lab::Arm;
use marquee::app::{
    App, Caller, Command, Filters, LOCAL_SERVER, LabCommand, Options, PartyCommand, PartyStart,
    Person, Reply,
};
use marquee::domain::experiment::ExperimentFile;
use marquee::domain::ids::{GuildId, UserId};
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

async fn session(store: &Store) -> App {
    let file: ExperimentFile = toml::from_str(FILE).expect("toml");
    file.validate().expect("valid");
    let options = Options {
        experiments: file,
        ..Options::default()
    };
    App::on_store(store.clone(), options).await.expect("app")
}

/// Starts (`run`) or stops an experiment, as the person at this machine.
async fn switch(app: &App, key: &str, run: bool) -> Reply {
    let key = key.to_owned();
    let command = if run {
        LabCommand::Start {
            key,
            everywhere: false,
        }
    } else {
        LabCommand::Stop {
            key,
            everywhere: false,
        }
    };
    app.handle(&Caller::console("admin"), Command::Lab(command))
        .await
        .expect("lab")
}

async fn arm_for(app: &App, user: UserId) -> Option<Arm> {
    app.lab()
        .arm_for(app.services(), user, Some(LOCAL_SERVER))
        .await
        .expect("arm")
}

async fn user(store: &Store, n: usize) -> marquee::domain::ids::UserId {
    store
        .ensure_user(UserKind::Console, &format!("p{n}"), "", Some(LOCAL_SERVER))
        .await
        .expect("user")
}

async fn layers_are_exclusive_and_assignments_sticky(store: Store) {
    let s = session(&store).await;
    // People assigned while alpha ran alone stay in alpha when beta joins the layer.
    switch(&s, "alpha", true).await;
    let early = user(&store, 9_000).await;
    assert_eq!(arm_for(&s, early).await.expect("arm").key, "alpha");
    switch(&s, "alpha", false).await;
    switch(&s, "alpha", true).await;
    for (key, run) in [("beta", true)] {
        assert!(matches!(
            switch(&s, key, run).await,
            Reply::ExperimentChanged(_)
        ));
    }
    assert!(matches!(
        switch(&s, "alpha", true).await,
        Reply::Invalid(t) if t.contains("already running")
    ));
    assert!(matches!(
        switch(&s, "gamma", true).await,
        Reply::Invalid(t) if t.contains("alpha")
    ));
    let mut per_experiment = std::collections::HashMap::new();
    for n in 0..200 {
        let u = user(&store, n).await;
        let arm = arm_for(&s, u).await.expect("an experiment");
        let again = arm_for(&s, u).await.expect("the same");
        assert_eq!(arm, again, "sticky");
        *per_experiment.entry(arm.key.clone()).or_insert(0) += 1;
    }
    assert_eq!(arm_for(&s, early).await.expect("arm").key, "alpha");
    // Each person is in exactly one experiment of the layer, and the layer is split.
    assert_eq!(per_experiment.values().sum::<i32>(), 200);
    assert!(
        per_experiment.values().all(|n| *n > 60),
        "{per_experiment:?}"
    );
    switch(&s, "alpha", false).await;
    switch(&s, "beta", false).await;
    assert_eq!(arm_for(&s, user(&store, 1).await).await, None);
    assert!(matches!(
        switch(&s, "alpha", false).await,
        Reply::Invalid(_)
    ));
}

async fn a_server_experiment_picks_the_watch_party_strategy(store: Store) {
    let s = session(&store).await;
    let guild = GuildId(4242);
    let admin = Caller::console("admin").in_server(guild);
    let start = LabCommand::Start {
        key: "parties".into(),
        everywhere: false,
    };
    s.handle(&admin, Command::Lab(start)).await.expect("start");
    let arm = s
        .lab()
        .server_arm(s.services(), guild)
        .await
        .expect("arm")
        .expect("in the experiment");
    let expected = arm.config.group_strategy.expect("a strategy");
    let mut host = Caller::console("p1");
    host.server = Some(guild);
    host.channel = Some(1);
    let start = |strategy: Option<&str>| {
        Command::Party(PartyCommand::Start(PartyStart {
            strategy: strategy.map(str::to_owned),
            ..PartyStart::default()
        }))
    };
    let Reply::Lobby(lobby) = s.handle(&host, start(None)).await.expect("start") else {
        panic!("a lobby")
    };
    assert_eq!(lobby.strategy.name(), expected);
    // An explicit strategy still wins.
    let Reply::Lobby(lobby) = s
        .handle(&host, start(Some("average")))
        .await
        .expect("start")
    else {
        panic!("a lobby")
    };
    assert_eq!(lobby.strategy.name(), "average");
}

async fn the_bandit_sends_new_people_to_the_variant_that_gets_liked(store: Store) {
    let s = session(&store).await;
    switch(&s, "bandit", true).await;
    forty_lists_liked_on_smart(&s, &store).await;
    s.reload_experiments().await.expect("reload");
    let smart = smart_of_200(&s, &store, LOCAL_SERVER).await;
    assert!(
        smart > 150,
        "the bandit favours the liked variant: {smart}/200"
    );
}

/// The operator's bandit in every server: each server's newcomers follow what was liked in
/// that server only.
async fn a_bandit_everywhere_follows_each_servers_own_outcomes(store: Store) {
    let s = session(&store).await;
    let start = LabCommand::Start {
        key: "bandit".into(),
        everywhere: true,
    };
    let started = s
        .handle(&Caller::console("admin"), Command::Lab(start))
        .await
        .expect("lab");
    assert!(
        matches!(started, Reply::ExperimentChanged(_)),
        "{started:?}"
    );
    forty_lists_liked_on_smart(&s, &store).await;
    s.reload_experiments().await.expect("reload");
    let here = smart_of_200(&s, &store, LOCAL_SERVER).await;
    assert!(here > 150, "where smart was liked: {here}/200");
    let elsewhere = smart_of_200(&s, &store, GuildId(5)).await;
    assert!(
        (60..=140).contains(&elsewhere),
        "a server with no outcomes keeps the even split: {elsewhere}/200"
    );
}

/// How many of 200 newcomers of `server` the bandit sends to "smart".
async fn smart_of_200(s: &App, store: &Store, server: GuildId) -> usize {
    let mut smart = 0;
    for n in 1000..1200 {
        let person = format!("p{n}");
        let user = store
            .ensure_user(UserKind::Console, &person, "", Some(server))
            .await
            .expect("user");
        let arm = s
            .lab()
            .arm_for(s.services(), user, Some(server))
            .await
            .expect("arm")
            .expect("in the experiment");
        if arm.variant == "smart" {
            smart += 1;
        }
    }
    smart
}

/// 40 people of the local server get a list; only those on "smart" like their first pick.
async fn forty_lists_liked_on_smart(s: &App, store: &Store) {
    for n in 0..40 {
        let me = Caller::cli(Person::Local(format!("p{n}")));
        let arm = arm_for(s, user(store, n).await).await.expect("arm");
        let reply = s
            .handle(
                &me,
                Command::Recommend {
                    filters: Filters {
                        count: Some(3),
                        ..Filters::default()
                    },
                    instead_of: None,
                },
            )
            .await
            .expect("picks");
        assert!(matches!(reply, Reply::Picks { .. }));
        if arm.variant == "smart" {
            s.handle(
                &me,
                Command::React {
                    list: None,
                    position: 1,
                    emoji: "👍".into(),
                    removed: false,
                },
            )
            .await
            .expect("react");
        }
    }
}

async fn an_experiment_started_in_one_server_runs_only_there(store: Store) {
    let s = session(&store).await;
    let (one, two) = (GuildId(1), GuildId(2));
    let admin = |server| {
        let mut caller = Caller::console("admin").in_server(server);
        caller.operator = false;
        caller
    };
    let lab = async |caller: &Caller, command| {
        s.handle(caller, Command::Lab(command)).await.expect("lab")
    };
    let start = |everywhere| LabCommand::Start {
        key: "alpha".into(),
        everywhere,
    };
    assert!(matches!(
        lab(&admin(one), start(false)).await,
        Reply::ExperimentChanged(t) if t.contains("in this server")
    ));
    let person = |server| store.ensure_user(UserKind::Console, "p1", "", Some(server));
    let (here, there) = (
        person(one).await.expect("user"),
        person(two).await.expect("user"),
    );
    let s = &s;
    let arm = |user, server| async move {
        s.lab()
            .arm_for(s.services(), user, Some(server))
            .await
            .expect("arm")
    };
    assert_eq!(
        arm(here, one).await.map(|a| a.key),
        Some("alpha".to_owned())
    );
    assert_eq!(
        arm(there, two).await,
        None,
        "server 2 is not in the experiment"
    );
    let status = |rows: Reply| match rows {
        Reply::Experiments(rows) => {
            rows.into_iter()
                .find(|r| r.key == "alpha")
                .expect("alpha")
                .status
        }
        other => panic!("a list: {other:?}"),
    };
    assert_eq!(status(lab(&admin(one), LabCommand::List).await), "running");
    assert_eq!(status(lab(&admin(two), LabCommand::List).await), "draft");
    // Every server: the operator's decision only.
    assert!(matches!(
        lab(&admin(two), start(true)).await,
        Reply::Invalid(t) if t.contains("operator")
    ));
    let operator = Caller::console("owner").in_server(two);
    assert!(matches!(
        lab(&operator, start(true)).await,
        Reply::ExperimentChanged(t) if t.contains("every server")
    ));
    assert_eq!(
        arm(there, two).await.map(|a| a.key),
        Some("alpha".to_owned())
    );
    assert_eq!(
        status(lab(&admin(two), LabCommand::List).await),
        "running everywhere"
    );
    let stop_here = LabCommand::Stop {
        key: "alpha".into(),
        everywhere: false,
    };
    assert!(matches!(
        lab(&admin(two), stop_here).await,
        Reply::Invalid(t) if t.contains("only the bot's operator")
    ));
}

on_both_backends!(
    layers_are_exclusive_and_assignments_sticky,
    a_server_experiment_picks_the_watch_party_strategy,
    the_bandit_sends_new_people_to_the_variant_that_gets_liked,
    a_bandit_everywhere_follows_each_servers_own_outcomes,
    an_experiment_started_in_one_server_runs_only_there,
);
