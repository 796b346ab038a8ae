//! `marquee bench import`: rating import throughput and peak memory on a generated MovieLens
//! file of ML-25M shape (162,541 users, 59,047 films, 25M ratings by default), into a fresh
//! SQLite database. The generator is seeded, so every run imports the same file.

use crate::domain::rng::SplitMix64;
use crate::outbound::import::{Reporter, movielens};
use crate::outbound::storage::Store;
use anyhow::Context as _;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

const USERS: u64 = 162_541;
const FILMS: u64 = 59_047;
const SEED: u64 = 0x25_25_25;

/// Generates the files (unless already there), imports them, and prints the figures.
///
/// # Errors
/// The files cannot be written or the import fails.
pub async fn run(rows: u64, dir: Option<&Path>, mut out: impl Write) -> anyhow::Result<()> {
    let dir = dir.map_or_else(
        || std::env::temp_dir().join(format!("marquee-bench-import-{}", std::process::id())),
        Path::to_path_buf,
    );
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let data = dir.join("ml-25m-shape");
    std::fs::create_dir_all(&data)?;
    let started = Instant::now();
    let ratings_path = data.join("ratings.csv");
    let wanted = format!("{rows}");
    let marker = data.join("rows.txt");
    if std::fs::read_to_string(&marker).ok().as_deref() != Some(wanted.as_str()) {
        generate(&data, rows)?;
        std::fs::write(&marker, &wanted)?;
    }
    let size = std::fs::metadata(&ratings_path).map_or(0, |m| m.len());
    writeln!(
        out,
        "generated {rows} ratings ({:.0} MB) in {:.1} s",
        size as f64 / 1e6,
        started.elapsed().as_secs_f64()
    )?;

    let db = dir.join("bench.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let store = Store::connect(&format!("sqlite://{}", db.display())).await?;
    let mut reporter = Reporter::new(false);
    let t0 = Instant::now();
    let summary = movielens::import(&store, &data, &mut reporter).await?;
    reporter.finish();
    let seconds = t0.elapsed().as_secs_f64();
    store.close().await;
    let ratings = summary
        .files
        .iter()
        .find(|f| f.file == "ratings.csv")
        .map_or(0, |f| f.imported);
    write!(out, "{summary}")?;
    writeln!(
        out,
        "import: {seconds:.1} s in all, {:.0} ratings/s",
        ratings as f64 / seconds
    )?;
    if let Some(kb) = peak_rss_kb() {
        writeln!(out, "peak RSS: {:.0} MB", kb as f64 / 1024.0)?;
    }
    if dir.starts_with(std::env::temp_dir()) {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}

/// Writes `movies.csv` and `ratings.csv`: film popularity is Zipf-like and user activity
/// long-tailed, as in MovieLens; each (user, film) pair occurs once.
fn generate(dir: &Path, rows: u64) -> anyhow::Result<()> {
    let mut rng = SplitMix64::new(SEED);
    let mut movies = BufWriter::new(std::fs::File::create(dir.join("movies.csv"))?);
    writeln!(movies, "movieId,title,genres")?;
    let genres = [
        "Action",
        "Comedy",
        "Drama",
        "Sci-Fi",
        "Horror",
        "Romance",
        "Thriller",
        "Animation",
    ];
    for id in 1..=FILMS {
        let year = 1920 + rng.below(105);
        let g1 = genres[rng.below(genres.len())];
        let g2 = genres[rng.below(genres.len())];
        writeln!(movies, "{id},Film number {id} ({year}),{g1}|{g2}")?;
    }
    movies.flush()?;

    let mut ratings =
        BufWriter::with_capacity(1 << 20, std::fs::File::create(dir.join("ratings.csv"))?);
    writeln!(ratings, "userId,movieId,rating,timestamp")?;
    let per_user = rows / USERS;
    let mut written = 0;
    let mut seen = std::collections::HashSet::new();
    for user in 1..=USERS {
        let left = rows - written;
        let users_left = USERS - user + 1;
        let n = if user == USERS {
            left
        } else {
            (per_user / 2 + rng.below((per_user * 3 / 2) as usize) as u64).min(left)
        };
        let n = n.min(left.saturating_sub(users_left - 1)).max(1).min(left);
        seen.clear();
        let mut made = 0;
        while made < n {
            // Zipf-ish: squaring a uniform draw favours low ids.
            let u = rng.next_f32();
            let film = 1 + ((u * u) * FILMS as f32) as u64 % FILMS;
            if seen.insert(film) {
                write_rating(&mut ratings, user, film, &mut rng)?;
            } else {
                let film = 1 + rng.below(FILMS as usize) as u64;
                if !seen.insert(film) {
                    continue;
                }
                write_rating(&mut ratings, user, film, &mut rng)?;
            }
            made += 1;
        }
        written += made;
        if written >= rows {
            break;
        }
    }
    ratings.flush()?;
    Ok(())
}

fn write_rating(
    out: &mut impl Write,
    user: u64,
    film: u64,
    rng: &mut SplitMix64,
) -> std::io::Result<()> {
    let half_stars = 1 + rng.below(10);
    let ts = 1_000_000_000 + rng.below(600_000_000) as u64;
    writeln!(
        out,
        "{user},{film},{}.{},{ts}",
        half_stars / 2,
        if half_stars % 2 == 1 { 5 } else { 0 }
    )
}

/// Peak resident memory of this process (Linux), in kB.
fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}
