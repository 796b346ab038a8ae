//! Many processes, one database: processes starting together on a new database all succeed,
//! apply each migration once and load one starter catalog; lists shown by two processes never
//! share an id.

use marquee::app::{App, Caller, Command, Filters, Options, Reply};
use marquee::domain::ports::{CatalogRepo as _, FeedbackRepo as _, ImpressionRepo as _};
use marquee::outbound::storage::Store;

/// Starts `n` `marquee rate` processes at once on `url`; each must succeed.
async fn rate_together(url: &str, n: usize) {
    let dir = tempfile::tempdir().expect("dir");
    let children: Vec<_> = (0..n)
        .map(|i| {
            let mut cmd = crate::helpers::marquee_binary(dir.path());
            cmd.args([
                "--database-url",
                url,
                "rate",
                "--user",
                &format!("p{i}"),
                "Alien (1979)",
                "4",
            ]);
            tokio::process::Command::from(cmd).output()
        })
        .collect();
    let outputs = futures_join(children).await;
    for (i, out) in outputs.iter().enumerate() {
        assert!(
            out.status.success(),
            "process {i} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

async fn futures_join<F, T>(futures: Vec<F>) -> Vec<T>
where
    F: std::future::Future<Output = std::io::Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.expect("task").expect("process"));
    }
    out
}

/// One catalog: as many films as one process loads alone, no title twice, every rating kept.
async fn one_catalog(url: &str, raters: usize) {
    let store = Store::connect(url).await.expect("open");
    let alone = {
        let dir = tempfile::tempdir().expect("dir");
        let single = Store::connect(&format!("sqlite://{}", dir.path().join("one.db").display()))
            .await
            .expect("one");
        marquee::app::seed_starter_catalog(&single)
            .await
            .expect("seed");
        let n = single.movie_count().await.expect("count");
        single.close().await;
        n
    };
    assert_eq!(
        store.movie_count().await.expect("count"),
        alone,
        "one starter catalog"
    );
    let movies = store.all_movies().await.expect("movies");
    let mut titles: Vec<String> = movies.iter().map(|m| m.info.display_title()).collect();
    titles.sort();
    let before = titles.len();
    titles.dedup();
    assert_eq!(titles.len(), before, "no film twice");
    assert_eq!(
        usize::try_from(store.event_count().await.expect("events")).expect("count"),
        raters,
        "every process's rating is stored"
    );
    store.close().await;
}

#[tokio::test]
async fn eight_processes_starting_together_on_a_new_sqlite_file_all_succeed_with_one_catalog() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("new.db").display());
    rate_together(&url, 8).await;
    one_catalog(&url, 8).await;
}

#[tokio::test]
async fn four_processes_starting_together_on_a_new_postgres_database_all_succeed_with_one_catalog()
{
    crate::helpers::with_postgres_url(|url, store| async move {
        // The helper migrated it; empty it back to a brand-new database.
        store.close().await;
        let raw = sqlx::PgPool::connect(&url).await.expect("raw");
        sqlx::raw_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
            .execute(&raw)
            .await
            .expect("emptied");
        raw.close().await;
        rate_together(&url, 4).await;
        one_catalog(&url, 4).await;
    })
    .await;
}

/// Two processes (here two apps on one database) each show a list: both lists are stored,
/// under different ids.
async fn lists_of_two_processes_never_share_an_id(store: Store) {
    let one = App::on_store(store.clone(), Options::default())
        .await
        .expect("one");
    let two = App::on_store(store.clone(), Options::default())
        .await
        .expect("two");
    let recommend = Command::Recommend {
        filters: Filters::default(),
        instead_of: None,
    };
    let list_of = |reply: Reply| match reply {
        Reply::Picks { list, .. } => list,
        other => panic!("picks, got {other:?}"),
    };
    let a = list_of(
        one.handle(&Caller::console("kim"), recommend.clone())
            .await
            .expect("kim"),
    );
    let b = list_of(
        two.handle(&Caller::console("lee"), recommend)
            .await
            .expect("lee"),
    );
    assert_ne!(a, b);
    for list in [a, b] {
        assert!(
            store.impression(list, 1).await.expect("db").is_some(),
            "list {list} is stored"
        );
    }
    one.close().await;
    two.close().await;
}

crate::helpers::on_both_backends!(lists_of_two_processes_never_share_an_id);

/// Every process's deadline tick closes the votes that are due; two processes (two pools on one
/// database) closing the same eight votes at the same moment, each with keys of its own, close
/// each exactly once: one of them is told it closed it, the other that it was already closed.
async fn due_votes_close_once_across_processes(url: String, first: Store) {
    use marquee::domain::ids::{GuildId, MovieId};
    use marquee::domain::ports::{
        NewParty, PartyCandidate, PartyClose, PartyRepo as _, PartyStatus, UserKind, UserRepo as _,
    };
    let second = Store::connect(&url).await.expect("a second process's pool");
    marquee::app::seed_starter_catalog(&first)
        .await
        .expect("seed");
    let films: Vec<MovieId> = first
        .all_movies()
        .await
        .expect("films")
        .iter()
        .take(3)
        .map(|m| m.id)
        .collect();
    let server = Some(GuildId(7));
    let host = first
        .ensure_user(UserKind::Discord, "1", "host", server)
        .await
        .expect("host");
    let mut parties = Vec::new();
    for p in 0..8 {
        let party = first
            .create_party(&NewParty {
                guild: GuildId(7),
                channel: 70,
                host,
                strategy: "average".into(),
                params: "{}".into(),
                created_at_ms: 1_000,
                key: Some(format!("party:{p}")),
            })
            .await
            .expect("party");
        let candidates: Vec<PartyCandidate> = films
            .iter()
            .zip(0..)
            .map(|(m, position)| PartyCandidate {
                movie: *m,
                position,
                group_score: 0.5,
                details: "{}".into(),
            })
            .collect();
        assert!(
            first
                .open_vote(party, &candidates, 2_000)
                .await
                .expect("open")
        );
        parties.push(party);
    }
    let due = first.parties_due(5_000).await.expect("due");
    assert_eq!(due.len(), 8);
    let close = |store: Store, who: &'static str| {
        let parties = parties.clone();
        let winner = films[0];
        tokio::spawn(async move {
            let mut closed = Vec::new();
            for id in parties {
                let c = PartyClose {
                    id,
                    winner,
                    now_ms: 5_000,
                    debts: vec![(host, 0.5)],
                    key: format!("close:{}:{who}", id.0),
                };
                closed.push(store.close_party(&c).await.expect("close"));
            }
            closed
        })
    };
    let (a, b) = (close(first.clone(), "a"), close(second.clone(), "b"));
    let (a, b) = (a.await.expect("a"), b.await.expect("b"));
    for (i, (a, b)) in a.iter().zip(&b).enumerate() {
        assert!(a ^ b, "party {i}: closed by a {a}, by b {b}");
    }
    for id in &parties {
        let p = first.party(*id).await.expect("read").expect("there");
        assert_eq!(p.status, PartyStatus::Closed);
    }
    assert!(first.parties_due(9_000).await.expect("due").is_empty());
    second.close().await;
}

#[tokio::test]
async fn due_votes_close_once_across_processes_on_sqlite() {
    crate::helpers::with_sqlite_url(due_votes_close_once_across_processes).await;
}

#[tokio::test]
async fn due_votes_close_once_across_processes_on_postgres() {
    crate::helpers::with_postgres_url(due_votes_close_once_across_processes).await;
}

/// Two processes (two pools) on one PostgreSQL database take turns to identify: the second waits
/// while the first holds its bucket's turn, gets it once the first gives it up, and a process in
/// another bucket never waits.
#[tokio::test]
async fn processes_take_turns_to_identify_per_bucket() {
    crate::helpers::with_postgres_url(|url, first| async move {
        let second = Store::connect(&url).await.expect("a second process's pool");
        let held = first.identify_turn(0).await.expect("the first turn");
        let mut waiting = Box::pin(second.identify_turn(0));
        assert!(
            tokio::time::timeout(std::time::Duration::from_millis(300), &mut waiting)
                .await
                .is_err(),
            "the second process waits while the first identifies"
        );
        let other_bucket =
            tokio::time::timeout(std::time::Duration::from_secs(10), second.identify_turn(1))
                .await
                .expect("another bucket does not wait")
                .expect("its turn");
        held.release().await;
        let turn = tokio::time::timeout(std::time::Duration::from_secs(10), waiting)
            .await
            .expect("the turn passes on")
            .expect("the second turn");
        turn.release().await;
        other_bucket.release().await;
        second.close().await;
    })
    .await;
}
