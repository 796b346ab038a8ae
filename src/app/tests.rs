//! The app's commands end to end on a SQLite file: lists and reactions, friendly refusals,
//! reviews, profiles, filters and help (the front ends are tested on top of these in
//! `tests/it`).

use super::*;
use crate::app::help::COMMANDS;
use crate::app::profile::NO_HISTORY;
use crate::app::reply::{Mood, PickLine};
use crate::domain::ids::MovieId;
use std::collections::HashSet;

async fn session() -> (tempfile::TempDir, App, Caller) {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("m.db").display());
    let store = Store::connect(&url).await.expect("store");
    let app = App::on_store(store, Options::default()).await.expect("app");
    (dir, app, Caller::console("kim"))
}

fn picks(reply: &Reply) -> Vec<PickLine> {
    match reply {
        Reply::Picks { items, .. } => items.clone(),
        other => panic!("expected picks, got {other:?}"),
    }
}

#[tokio::test]
async fn a_list_is_numbered_from_one_and_a_reaction_finds_its_film_and_hides_it_next_time() {
    let (_dir, s, me) = session().await;
    let first = picks(&s.handle(&me, Command::recommend(5)).await.expect("picks"));
    assert_eq!(first.len(), 5);
    assert_eq!(
        first.iter().map(|p| p.position).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );
    let reply = s.handle(&me, Command::react(2, "👍")).await.expect("react");
    let Reply::Reacted { title, meaning, .. } = reply else {
        panic!("{reply:?}")
    };
    assert_eq!(title, first[1].title_with_year);
    assert_eq!(meaning, "4★");
    let next = picks(&s.handle(&me, Command::recommend(10)).await.expect("picks"));
    assert!(next.iter().all(|p| p.movie != first[1].movie), "{next:?}");
}

#[tokio::test]
async fn reacting_to_a_number_outside_the_last_list_or_before_any_list_is_explained() {
    let (_dir, s, me) = session().await;
    let before = s.handle(&me, Command::react(1, "👍")).await.expect("reply");
    assert!(
        matches!(&before, Reply::Text(t) if t.contains("/recommend")),
        "{before:?}"
    );
    s.handle(&me, Command::recommend(3)).await.expect("picks");
    let reply = s.handle(&me, Command::react(9, "👍")).await.expect("reply");
    assert!(
        matches!(&reply, Reply::Invalid(t) if t.contains("1 to 3")),
        "{reply:?}"
    );
    let reply = s.handle(&me, Command::react(1, "🦄")).await.expect("reply");
    assert!(
        matches!(&reply, Reply::Invalid(t) if t.contains("👍")),
        "{reply:?}"
    );
}

#[tokio::test]
async fn ratings_outside_the_scale_and_unknown_or_ambiguous_titles_get_friendly_replies() {
    let (_dir, s, me) = session().await;
    let rate = |title: &str, stars: f64| Command::Rate {
        title: title.to_owned(),
        stars,
    };
    let reply = s.handle(&me, rate("Heat", 7.0)).await.expect("reply");
    assert!(
        matches!(&reply, Reply::Invalid(t) if t.contains("0.5 to 5")),
        "{reply:?}"
    );
    let reply = s
        .handle(&me, rate("the godfahter", 5.0))
        .await
        .expect("reply");
    let Reply::NotFound { suggestions, .. } = &reply else {
        panic!("{reply:?}")
    };
    assert!(
        suggestions.iter().any(|t| t == "The Godfather (1972)"),
        "{suggestions:?}"
    );
    let reply = s.handle(&me, rate("dune", 4.0)).await.expect("reply");
    assert!(
        matches!(&reply, Reply::Ambiguous { candidates, .. } if candidates.len() >= 2),
        "{reply:?}"
    );
    let reply = s.handle(&me, rate("heat 1995", 4.5)).await.expect("reply");
    assert_eq!(
        reply,
        Reply::Rated {
            title: "Heat (1995)".into(),
            stars: 4.5
        }
    );
}

#[tokio::test]
async fn a_review_says_how_it_was_read_and_empty_or_huge_reviews_are_refused() {
    let (_dir, s, me) = session().await;
    let review = |text: &str| Command::Review {
        title: "Heat".to_owned(),
        text: text.to_owned(),
    };
    let reply = s
        .handle(&me, review("Absolutely loved it!!!"))
        .await
        .expect("reply");
    let Reply::Reviewed { mood, stars, .. } = reply else {
        panic!("{reply:?}")
    };
    assert!(matches!(mood, Mood::Loved | Mood::Liked), "{mood:?}");
    assert!(stars >= 3.5, "{stars}");
    for text in ["", "   ", &"a".repeat(4_001)] {
        let reply = s.handle(&me, review(text)).await.expect("reply");
        assert!(matches!(reply, Reply::Invalid(_)), "{reply:?}");
    }
}

#[tokio::test]
async fn a_new_user_gets_a_friendly_profile_and_then_counts_after_feedback() {
    let (_dir, s, me) = session().await;
    assert_eq!(
        s.handle(&me, Command::Profile).await.expect("reply"),
        Reply::Text(NO_HISTORY.to_owned())
    );
    assert!(matches!(
        s.handle(&me, Command::Taste).await.expect("reply"),
        Reply::Text(_)
    ));
    s.handle(
        &me,
        Command::Rate {
            title: "Alien".into(),
            stars: 5.0,
        },
    )
    .await
    .expect("rate");
    s.handle(
        &me,
        Command::Seen {
            title: "Heat".into(),
        },
    )
    .await
    .expect("seen");
    let Reply::Profile(p) = s.handle(&me, Command::Profile).await.expect("reply") else {
        panic!("a profile")
    };
    assert_eq!((p.films, p.ratings, p.seen), (2, 1, 2));
    assert_eq!(p.favourites, ["Alien (1979)"]);
    assert!(!p.top_genres.is_empty());
}

#[tokio::test]
async fn bad_filters_are_explained_and_similar_lists_are_numbered() {
    let (_dir, s, me) = session().await;
    let bad = [
        (Some("cowboy opera"), Some(5), None, None),
        (None, Some(0), None, None),
        (None, Some(500), None, None),
        (None, None, Some(2000), Some(1990)),
    ];
    for (genre, count, min_year, max_year) in bad {
        let reply = s
            .handle(
                &me,
                Command::Recommend {
                    filters: Filters {
                        genre: genre.map(str::to_owned),
                        count,
                        min_year,
                        max_year,
                    },
                    instead_of: None,
                },
            )
            .await
            .expect("reply");
        assert!(matches!(reply, Reply::Invalid(_)), "{reply:?}");
    }
    let similar = picks(
        &s.handle(
            &me,
            Command::Similar {
                title: "Heat".into(),
                count: None,
            },
        )
        .await
        .expect("reply"),
    );
    assert!(!similar.is_empty());
    assert_eq!(similar[0].position, 1);
    assert_eq!(
        s.handle(&me, Command::Help).await.expect("help"),
        Reply::Help(COMMANDS.to_vec())
    );
}

#[tokio::test]
async fn a_local_name_is_checked_before_anything_is_stored() {
    use crate::domain::ports::CatalogRepo as _;
    let (_dir, s, _) = session().await;
    let long = "x".repeat(65);
    for bad in ["", "   ", "a\u{7}b", long.as_str()] {
        let reply = s
            .handle(&Caller::console(bad), Command::Profile)
            .await
            .expect("reply");
        assert!(
            matches!(&reply, Reply::Invalid(t) if t.contains("1 to 64")),
            "{bad:?}: {reply:?}"
        );
    }
    let stats = s.services().store.catalog_stats().await.expect("stats");
    assert_eq!(stats.users, 0, "no user was created for a bad name");
}

#[tokio::test]
async fn only_the_host_closes_a_vote_and_experiments_need_the_manage_server_right() {
    let (_dir, s, host) = session().await;
    let start = PartyStart {
        invited: vec![crate::app::command::Invitee::local("lee")],
        ..PartyStart::default()
    };
    let Reply::Lobby(lobby) = s
        .handle(&host, Command::Party(PartyCommand::Start(start)))
        .await
        .expect("start")
    else {
        panic!("a lobby")
    };
    let Reply::Vote(_) = s
        .handle(
            &host,
            Command::Party(PartyCommand::Pick {
                party: lobby.party,
                message: None,
            }),
        )
        .await
        .expect("pick")
    else {
        panic!("a vote")
    };
    let lee = host.as_person(Person::Local("lee".into()));
    let refused = s
        .handle(
            &lee,
            Command::Party(PartyCommand::Close {
                party: lobby.party,
                message: None,
            }),
        )
        .await
        .expect("close");
    assert!(
        matches!(&refused, Reply::Invalid(t) if t.contains("Only the host")),
        "{refused:?}"
    );
    let closed = s
        .handle(
            &host,
            Command::Party(PartyCommand::Close {
                party: lobby.party,
                message: None,
            }),
        )
        .await
        .expect("close");
    assert!(matches!(closed, Reply::Closed(_)), "{closed:?}");

    let mut member = Caller::console("kim");
    member.manages_server = false;
    let refused = s
        .handle(&member, Command::Lab(LabCommand::List))
        .await
        .expect("lab");
    assert!(
        matches!(&refused, Reply::Invalid(t) if t.contains("Manage Server")),
        "{refused:?}"
    );
    assert_eq!(
        App::refusal(&member, &Command::Lab(LabCommand::List)),
        Some(refused)
    );
    assert!(matches!(
        s.handle(&host, Command::Lab(LabCommand::List))
            .await
            .expect("lab"),
        Reply::Experiments(_)
    ));
}

#[tokio::test]
async fn a_critique_by_position_finds_the_film_of_the_latest_answer() {
    let (_dir, s, me) = session().await;
    let Reply::Asked { items, .. } = s
        .handle(
            &me,
            Command::Ask {
                text: "a funny movie from the 90s".into(),
                fresh: true,
            },
        )
        .await
        .expect("ask")
    else {
        panic!("an answer")
    };
    let Reply::Asked { intro, .. } = s
        .handle(
            &me,
            Command::Steer {
                list: None,
                steer: Steer::MoreLike(2),
            },
        )
        .await
        .expect("steer")
    else {
        panic!("an answer")
    };
    assert!(
        intro.contains(&items[1].title),
        "\"more like #2\" is about {}: {intro}",
        items[1].title
    );
}

#[tokio::test]
async fn what_a_person_does_in_one_server_never_shows_in_another() {
    use crate::domain::ids::GuildId;
    let (_dir, s, kim) = session().await;
    let (here, there) = (kim.clone().in_server(GuildId(1)), kim.in_server(GuildId(2)));
    s.handle(
        &here,
        Command::Rate {
            title: "Alien".into(),
            stars: 5.0,
        },
    )
    .await
    .expect("rate");
    let Reply::Profile(p) = s.handle(&here, Command::Profile).await.expect("profile") else {
        panic!("a profile here")
    };
    assert_eq!(p.ratings, 1);
    assert_eq!(
        s.handle(&there, Command::Profile).await.expect("profile"),
        Reply::Text(NO_HISTORY.to_owned()),
        "nothing of server 1 in server 2"
    );
    let cold = picks(
        &s.handle(&there, Command::recommend(10))
            .await
            .expect("picks"),
    );
    assert!(
        cold.iter().all(|p| !p.reason.contains("Alien")),
        "no reason in server 2 names a film rated in server 1: {cold:?}"
    );
    let warm = picks(
        &s.handle(&here, Command::recommend(10))
            .await
            .expect("picks"),
    );
    assert!(
        warm.iter().all(|p| p.title != "Alien"),
        "rated, so not suggested"
    );
    assert_ne!(
        cold.iter().map(|p| p.movie).collect::<Vec<_>>(),
        warm.iter().map(|p| p.movie).collect::<Vec<_>>(),
        "the rating changes picks where it was given"
    );
}

/// Someone forgotten while a training ran is in what that training saved (the training read
/// their events first); the check after saving takes them out of the stored snapshots and of
/// the model about to be served.
#[tokio::test]
async fn a_person_forgotten_during_a_training_is_taken_out_of_what_it_saved() {
    use crate::domain::ports::{ModelRepo as _, PrivacyRepo as _, UserKind, UserRepo as _};
    use crate::domain::recommend::snapshot::ModelSnapshot;
    use crate::domain::taste::ServerTaste;
    let (_dir, app, kim) = session().await;
    for title in ["Alien", "Heat", "Jaws"] {
        let rate = Command::Rate {
            title: title.into(),
            stars: 5.0,
        };
        app.handle(&kim, rate).await.expect("rate");
    }
    let store = &app.services().store;
    let known: HashSet<_> = store
        .user_servers()
        .await
        .expect("users")
        .into_iter()
        .map(|(u, _)| u)
        .collect();
    let (mut model, _) = training::train_and_save(store, 1).await.expect("trained");
    let users = store
        .users_of_person(UserKind::Console, "kim")
        .await
        .expect("kim");
    let kim_id = users[0].0;
    assert!(
        model.user_vector(kim_id).is_some(),
        "Kim is in the new model"
    );
    // The forget's first step (the rows) lands while the training runs.
    store.forget_users(&[kim_id]).await.expect("deleted");
    let gone = training::drop_deleted(store, &known, &mut model, 2)
        .await
        .expect("checked");
    assert_eq!(gone, [kim_id]);
    assert!(model.user_vector(kim_id).is_none(), "not served");
    let stored = store
        .latest_model(training::RECOMMENDER)
        .await
        .expect("db")
        .expect("a model");
    let stored = ModelSnapshot::from_bytes(&stored.data).expect("readable");
    assert!(stored.user_vector(kim_id).is_none(), "not stored");
    let taste = store
        .latest_model(training::TASTE)
        .await
        .expect("db")
        .expect("groups");
    let taste = ServerTaste::from_bytes(&taste.data).expect("readable");
    assert!(
        taste
            .scopes()
            .iter()
            .all(|s| s.groups.group_of(kim_id).is_none()),
        "in no taste group"
    );
}

/// (exposures, refreshes) of the shipped `diversity` experiment on this machine's server.
async fn diversity_figures(app: &App) -> (u64, u64) {
    use crate::domain::ports::ExperimentRepo as _;
    let rows = app
        .services()
        .store
        .variant_outcomes("diversity", Some(LOCAL_SERVER), None)
        .await
        .expect("outcomes");
    (
        rows.iter().map(|v| v.exposures).sum(),
        rows.iter().map(|v| v.refreshes).sum(),
    )
}

#[tokio::test]
async fn a_press_on_someone_elses_list_is_refused_and_stores_nothing() {
    use crate::app::guard::NOT_YOUR_LIST;
    use crate::domain::feedback::Button;
    use crate::domain::ids::GuildId;
    use crate::domain::ports::{FeedbackRepo as _, ImpressionRepo as _, UserKind, UserRepo as _};
    let (_dir, s, kim) = session().await;
    let start = LabCommand::Start {
        key: "diversity".into(),
        everywhere: false,
    };
    s.handle(&kim, Command::Lab(start)).await.expect("start");
    let Reply::Picks { list, items, .. } =
        s.handle(&kim, Command::recommend(5)).await.expect("picks")
    else {
        panic!("a list")
    };
    let store = &s.services().store;
    let shown = store.impressions_of_message(list).await.expect("list");
    assert_eq!(shown.len(), 5);
    assert_eq!(diversity_figures(&s).await, (5, 0), "Kim's list is counted");

    let refresh = |list| Command::Recommend {
        filters: Filters {
            count: Some(5),
            ..Filters::default()
        },
        instead_of: Some(list),
    };
    let love = |list| Command::Feedback {
        list,
        position: 2,
        button: Button::Love,
    };
    let lee = kim.as_person(Person::Local("lee".into()));
    let refused = Reply::Invalid(NOT_YOUR_LIST.to_owned());
    for command in [
        refresh(list),
        Command::MoreLike { list, position: 1 },
        love(list),
        Command::FeedbackFor { list, position: 2 },
    ] {
        let reply = s.handle(&lee, command.clone()).await.expect("reply");
        assert_eq!(reply, refused, "Lee: {command:?}");
    }
    // Kim in another server, and a list nobody was shown: told the same.
    let elsewhere = kim.clone().in_server(GuildId(5));
    assert_eq!(
        s.handle(&elsewhere, love(list)).await.expect("reply"),
        refused
    );
    assert_eq!(
        s.handle(&elsewhere, refresh(list)).await.expect("reply"),
        refused
    );
    assert_eq!(s.handle(&kim, love(-77)).await.expect("reply"), refused);

    // Nothing was stored: not Lee, not Kim in the other server, no feedback, no list, no
    // refresh in the experiment's figures.
    let lee_users = store
        .users_of_person(UserKind::Console, "lee")
        .await
        .expect("users");
    assert!(lee_users.is_empty(), "{lee_users:?}");
    let kims = store
        .users_of_person(UserKind::Console, "kim")
        .await
        .expect("users");
    assert_eq!(kims.len(), 1, "Kim in this machine's server only: {kims:?}");
    assert!(
        store
            .events_for_user(kims[0].0)
            .await
            .expect("events")
            .is_empty()
    );
    assert_eq!(
        store.latest_message_for(kims[0].0).await.expect("db"),
        Some(list)
    );
    assert_eq!(
        store.impressions_of_message(list).await.expect("list"),
        shown
    );
    assert_eq!(diversity_figures(&s).await, (5, 0));

    // Kim's own presses work, and her refresh counts.
    let reply = s
        .handle(&kim, Command::FeedbackFor { list, position: 2 })
        .await
        .expect("menu");
    assert!(
        matches!(&reply, Reply::FeedbackFor { title, .. } if *title == items[1].title_with_year),
        "{reply:?}"
    );
    let reply = s.handle(&kim, love(list)).await.expect("button");
    assert!(matches!(reply, Reply::Noted { .. }), "{reply:?}");
    let fresh = picks(&s.handle(&kim, refresh(list)).await.expect("refresh"));
    assert!(
        fresh
            .iter()
            .all(|p| items.iter().all(|old| old.movie != p.movie)),
        "the refresh leaves out the old list: {fresh:?}"
    );
    assert_eq!(diversity_figures(&s).await, (10, 5));
}

#[tokio::test]
async fn a_critique_of_someone_elses_answer_is_refused_but_the_clarifying_buttons_are_not() {
    use crate::app::guard::NOT_YOUR_ANSWER;
    let (_dir, s, kim) = session().await;
    let Reply::Asked { list, .. } = s
        .handle(
            &kim,
            Command::Ask {
                text: "a funny movie from the 90s".into(),
                fresh: true,
            },
        )
        .await
        .expect("ask")
    else {
        panic!("an answer")
    };
    let lee = kim.as_person(Person::Local("lee".into()));
    for steer in [Steer::MoreLike(1), Steer::Seen(1), Steer::Funnier] {
        let command = Command::Steer {
            list: Some(list),
            steer: steer.clone(),
        };
        assert_eq!(
            s.handle(&lee, command).await.expect("reply"),
            Reply::Invalid(NOT_YOUR_ANSWER.to_owned()),
            "{steer:?}"
        );
    }
    // A clarifying question shows no list: its buttons steer the presser's own conversation
    // (Lee has none), while a critique by position of a message without a list is refused.
    let question = -999;
    let reply = s
        .handle(
            &lee,
            Command::Steer {
                list: Some(question),
                steer: Steer::Genre("Comedy".into()),
            },
        )
        .await
        .expect("reply");
    assert!(
        matches!(&reply, Reply::Text(_)),
        "Lee's own (expired) conversation: {reply:?}"
    );
    let reply = s
        .handle(
            &lee,
            Command::Steer {
                list: Some(question),
                steer: Steer::MoreLike(1),
            },
        )
        .await
        .expect("reply");
    assert_eq!(reply, Reply::Invalid(NOT_YOUR_ANSWER.to_owned()));
    // Kim's own critique works.
    let reply = s
        .handle(
            &kim,
            Command::Steer {
                list: Some(list),
                steer: Steer::Older,
            },
        )
        .await
        .expect("steer");
    assert!(matches!(reply, Reply::Asked { .. }), "{reply:?}");
}

#[tokio::test]
async fn a_party_button_acts_only_in_its_server_and_on_its_own_message() {
    use crate::app::party::NO_PARTY;
    use crate::domain::ids::GuildId;
    use crate::domain::ports::{PartyRepo as _, UserKind, UserRepo as _};
    let (_dir, s, host) = session().await;
    let start = PartyStart {
        invited: vec![crate::app::command::Invitee::local("lee")],
        ..PartyStart::default()
    };
    let Reply::Lobby(lobby) = s
        .handle(&host, Command::Party(PartyCommand::Start(start)))
        .await
        .expect("start")
    else {
        panic!("a lobby")
    };
    let party = lobby.party;
    let posted = PartyCommand::Posted {
        party,
        vote: false,
        message: 777,
    };
    s.handle(&host, Command::Party(posted))
        .await
        .expect("posted");
    let store = &s.services().store;
    let members = || async { store.party_members(party).await.expect("members").len() };
    assert_eq!(members().await, 2);
    let no_party = Reply::Invalid(NO_PARTY.to_owned());

    // Someone in another server presses a button naming this party, even on its message.
    let stranger = Caller::console("max").in_server(GuildId(9));
    for command in [
        PartyCommand::Join {
            party,
            message: Some(777),
        },
        PartyCommand::Pick {
            party,
            message: None,
        },
    ] {
        let reply = s
            .handle(&stranger, Command::Party(command))
            .await
            .expect("reply");
        assert_eq!(reply, no_party);
    }
    let max = store
        .users_of_person(UserKind::Console, "max")
        .await
        .expect("users");
    assert!(
        max.is_empty(),
        "nothing stored for a refused press: {max:?}"
    );
    // A member presses Leave on another message carrying the party's button: told the same.
    let lee = host.as_person(Person::Local("lee".into()));
    let leave = |message| {
        Command::Party(PartyCommand::Leave {
            party,
            message: Some(message),
        })
    };
    assert_eq!(s.handle(&lee, leave(778)).await.expect("reply"), no_party);
    assert_eq!(members().await, 2, "nobody left");
    // On the lobby's own message it works.
    let reply = s.handle(&lee, leave(777)).await.expect("leave");
    assert!(
        matches!(&reply, Reply::Lobby(l) if l.note.contains("left")),
        "{reply:?}"
    );
    assert_eq!(members().await, 1);
}

fn asked(reply: &Reply) -> (Vec<PickLine>, ListId) {
    match reply {
        Reply::Asked { items, list, .. } => (items.clone(), *list),
        other => panic!("expected an /ask answer, got {other:?}"),
    }
}

#[tokio::test]
async fn what_an_ask_names_and_what_is_accepted_from_it_is_noted_without_the_person() {
    use crate::domain::ports::ConversationRepo as _;
    let (_dir, s, me) = session().await;
    let ask = |text: &str| Command::Ask {
        text: text.into(),
        fresh: true,
    };
    let (items, list) = asked(
        &s.handle(&me, ask("something like Alien"))
            .await
            .expect("ask"),
    );
    let alien = s.services().films.find("Alien").expect("Alien").id;
    let react = |position: u32, emoji: &str| Command::React {
        list: Some(list),
        position,
        emoji: emoji.into(),
        removed: false,
    };
    s.handle(&me, react(1, "👍")).await.expect("👍");
    s.handle(&me, react(3, "😐")).await.expect("😐");
    s.handle(
        &me,
        Command::Steer {
            list: Some(list),
            steer: Steer::MoreLike(2),
        },
    )
    .await
    .expect("more like #2");
    let later = s
        .services()
        .films
        .movie(items[3].movie)
        .expect("film 4")
        .info
        .title
        .clone();
    s.handle(
        &me,
        Command::Rate {
            title: later,
            stars: 4.5,
        },
    )
    .await
    .expect("a later rating");
    let noted = s
        .services()
        .store
        .conversation_films()
        .await
        .expect("noted");
    let conversations: HashSet<i64> = noted.iter().map(|(c, _)| *c).collect();
    assert_eq!(conversations.len(), 1, "one conversation: {noted:?}");
    let films: HashSet<MovieId> = noted.iter().map(|(_, m)| *m).collect();
    let want: HashSet<MovieId> = [alien, items[0].movie, items[1].movie, items[3].movie]
        .into_iter()
        .collect();
    assert_eq!(films, want, "named, 👍, more like, rated 4.5; not the 😐");
    // A fresh wish is another conversation.
    s.handle(&me, ask("a 90s horror movie like Scream"))
        .await
        .expect("ask");
    let noted = s
        .services()
        .store
        .conversation_films()
        .await
        .expect("noted");
    assert_eq!(
        noted.iter().map(|(c, _)| *c).collect::<HashSet<_>>().len(),
        2
    );
    s.retrain().await.expect("retrain");
    let models = s.services().models().await.expect("models");
    assert_eq!(models.together().conversations(), 2);
}

#[tokio::test]
async fn films_many_conversations_named_together_come_up_in_ask() {
    use crate::domain::conversation::together::FULL_AT;
    use crate::domain::ports::ConversationRepo as _;
    let (_dir, s, me) = session().await;
    let films = &s.services().films;
    let alien = films.find("Alien").expect("Alien").id;
    let odd = films.find("Amélie").expect("Amélie").id;
    let ask = Command::Ask {
        text: "something like Alien".into(),
        fresh: true,
    };
    let (before, _) = asked(&s.handle(&me, ask.clone()).await.expect("ask"));
    assert!(before.iter().all(|p| p.movie != odd), "{before:?}");
    // Other servers' conversations (no person is stored) that named both.
    for c in 1..=i64::from(FULL_AT) {
        s.services()
            .store
            .remember_turn(c, None, &[alien, odd], 1_000)
            .await
            .expect("noted");
    }
    s.retrain().await.expect("retrain");
    let (after, _) = asked(&s.handle(&me, ask).await.expect("ask"));
    assert!(after.iter().any(|p| p.movie == odd), "{after:?}");
    assert!(after.iter().all(|p| p.movie != alien), "{after:?}");
}

#[tokio::test]
async fn hard_parts_hold_while_films_meet_them_and_what_is_let_go_is_said_per_pick() {
    let (_dir, s, me) = session().await;
    let reply = s
        .handle(
            &me,
            Command::Ask {
                text: "a nolan film under 2 hours".into(),
                fresh: true,
            },
        )
        .await
        .expect("ask");
    let Reply::Asked { items, notes, .. } = reply else {
        panic!("{reply:?}")
    };
    assert_eq!(items.len(), 5);
    let films = &s.services().films;
    let nolan = |m: MovieId| {
        films
            .movie(m)
            .is_some_and(|f| f.info.directors.iter().any(|d| d == "Christopher Nolan"))
    };
    let short = |m: MovieId| {
        films
            .movie(m)
            .and_then(|f| f.info.runtime_min)
            .is_some_and(|r| r <= 120)
    };
    let strict = items
        .iter()
        .filter(|i| nolan(i.movie) && short(i.movie))
        .count();
    let catalog = films
        .all()
        .iter()
        .filter(|m| nolan(m.id) && short(m.id))
        .count();
    assert!(
        (1..5).contains(&catalog),
        "the catalog's short Nolans: {catalog}"
    );
    assert_eq!(strict, catalog, "every film meeting it all is shown first");
    for (k, item) in items.iter().enumerate() {
        assert!(nolan(item.movie), "the person holds: {item:?}");
        if k < strict {
            assert!(
                short(item.movie) && !item.reason.contains("not "),
                "{item:?}"
            );
        } else {
            assert!(item.reason.ends_with("; not under 2 hours"), "{item:?}");
        }
    }
    assert!(
        notes
            .iter()
            .any(|n| n.contains(&format!("Only {catalog} film")) && n.contains("“under 2 hours”")),
        "{notes:?}"
    );
}
