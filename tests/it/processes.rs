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
