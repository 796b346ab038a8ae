//! `marquee bench import`: rating import throughput and peak memory on a generated MovieLens
//! file of ML-25M shape (162,541 users, 59,047 films, 25M ratings by default), into a fresh
//! SQLite database. The generator is seeded, so every run imports the same file.

use crate::domain::rng::SplitMix64;
use crate::outbound::import::{Reporter, movielens};
use crate::outbound::storage::Store;
use anyhow::Context as _;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

const USERS: u64 = 162_541;
const FILMS: u64 = 59_047;
const SEED: u64 = 0x25_25_25;

/// Generates the files (unless already there), imports them, and prints the figures.
///
/// Only what the bench itself made is deleted afterwards: the database (in a folder of its
/// own), and, when `dir` is not given or is under the temporary folder, the generated files and
/// the folders it had to create. A folder or file that was there before is never deleted.
///
/// # Errors
/// The files cannot be written or the import fails.
pub async fn run(rows: u64, dir: Option<&Path>, mut out: impl Write) -> anyhow::Result<()> {
    let keep_data = dir.is_some_and(|d| !d.starts_with(std::env::temp_dir()));
    let dir = dir.map_or_else(
        || std::env::temp_dir().join(format!("marquee-bench-import-{}", std::process::id())),
        Path::to_path_buf,
    );
    // The generated files, kept for the next run when `dir` was given outside the temporary
    // folder; the database, never kept.
    let mut data_made = Made::default();
    let mut db_made = Made::default();
    let outcome = async {
        data_made
            .dir(&dir)
            .with_context(|| format!("creating {}", dir.display()))?;
        let data = dir.join("ml-25m-shape");
        data_made
            .dir(&data)
            .with_context(|| format!("creating {}", data.display()))?;
        let started = Instant::now();
        let ratings_path = data.join("ratings.csv");
        let wanted = format!("{rows}");
        let marker = data.join("rows.txt");
        if std::fs::read_to_string(&marker).ok().as_deref() != Some(wanted.as_str()) {
            for name in ["movies.csv", "ratings.csv", "rows.txt"] {
                data_made.file(&data.join(name));
            }
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

        let db_dir = db_made
            .fresh_dir(&dir, "bench-db")
            .with_context(|| format!("creating a database folder in {}", dir.display()))?;
        let db = db_dir.join("bench.db");
        for suffix in ["", "-wal", "-shm", "-journal"] {
            db_made.file(Path::new(&format!("{}{suffix}", db.display())));
        }
        let store = Store::connect(&format!("sqlite://{}", db.display())).await?;
        let mut reporter = Reporter::new(false);
        let t0 = Instant::now();
        let summary = movielens::import(&store, &data, &mut reporter).await;
        reporter.finish();
        let seconds = t0.elapsed().as_secs_f64();
        store.close().await;
        let summary = summary?;
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
        anyhow::Ok(())
    }
    .await;
    db_made.remove();
    if !keep_data {
        data_made.remove();
    }
    outcome
}

/// What the bench made on disk, so that cleaning up removes that and nothing else.
#[derive(Debug, Default)]
struct Made {
    /// Files written that were not there before.
    files: Vec<PathBuf>,
    /// Folders created, outermost first.
    dirs: Vec<PathBuf>,
}

impl Made {
    /// Creates `dir` and its missing parents, noting the folders that were not there.
    fn dir(&mut self, dir: &Path) -> std::io::Result<()> {
        let mut missing: Vec<PathBuf> = dir
            .ancestors()
            .take_while(|a| !a.as_os_str().is_empty() && !a.exists())
            .map(Path::to_path_buf)
            .collect();
        std::fs::create_dir_all(dir)?;
        missing.reverse();
        self.dirs.extend(missing);
        Ok(())
    }

    /// Creates a new folder in `parent` whose name starts with `prefix` and that did not exist
    /// before (never one that was already there), and returns it.
    fn fresh_dir(&mut self, parent: &Path, prefix: &str) -> std::io::Result<PathBuf> {
        let pid = std::process::id();
        for n in 0..1_000 {
            let dir = parent.join(format!("{prefix}-{pid}-{n}"));
            match std::fs::create_dir(&dir) {
                Ok(()) => {
                    self.dirs.push(dir.clone());
                    return Ok(dir);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e),
            }
        }
        Err(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            format!("no free {prefix}-{pid}-N name in {}", parent.display()),
        ))
    }

    /// Notes that `file` is about to be written: it is removed later unless it is already there.
    fn file(&mut self, file: &Path) {
        if !file.exists() {
            self.files.push(file.to_path_buf());
        }
    }

    /// Removes the noted files, then the created folders, innermost first and only when they
    /// are empty, so anything someone else put there stays.
    fn remove(self) {
        for file in &self.files {
            let _ = std::fs::remove_file(file);
        }
        for dir in self.dirs.iter().rev() {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// Writes `movies.csv` and `ratings.csv`: film popularity is Zipf-like and user activity
/// long-tailed, as in MovieLens; each (user, film) pair occurs once.
pub(super) fn generate(dir: &Path, rows: u64) -> anyhow::Result<()> {
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
    vm_hwm_kb(&std::fs::read_to_string("/proc/self/status").ok()?)
}

/// `VmHWM` (peak resident memory) of a `/proc/PID/status` text, in kB.
pub(super) fn vm_hwm_kb(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("read the folder")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn cleaning_up_removes_only_what_the_bench_made() {
        let root = tempfile::tempdir().expect("temporary folder");
        let root = root.path();
        std::fs::write(root.join("mine.txt"), "keep me").expect("write");

        let mut made = Made::default();
        made.dir(root).expect("an existing folder is fine");
        made.dir(&root.join("a/b")).expect("create a/b");
        made.file(&root.join("a/b/generated.csv"));
        std::fs::write(root.join("a/b/generated.csv"), "1,2").expect("write");
        made.file(&root.join("mine.txt"));
        let db = made.fresh_dir(root, "bench-db").expect("a fresh folder");
        let db2 = made.fresh_dir(root, "bench-db").expect("another");
        assert_ne!(db, db2, "a fresh folder is never one already there");
        made.file(&db.join("bench.db"));
        std::fs::write(db.join("bench.db"), "x").expect("write");
        // Someone else puts a file in a folder the bench made: it stays, and so does the folder.
        std::fs::write(root.join("a/theirs.txt"), "theirs").expect("write");

        made.remove();
        assert_eq!(names(root), ["a", "mine.txt"]);
        assert_eq!(names(&root.join("a")), ["theirs.txt"]);
        assert_eq!(
            std::fs::read_to_string(root.join("mine.txt")).expect("still there"),
            "keep me"
        );
    }

    /// The folder given with `--dir` is under the temporary folder here, where the bench used
    /// to delete it whole.
    #[tokio::test]
    async fn a_given_folder_and_what_was_in_it_survive_the_bench() {
        let dir = tempfile::tempdir().expect("temporary folder");
        std::fs::write(dir.path().join("mine.txt"), "keep me").expect("write");
        let mut out = Vec::new();
        run(20, Some(dir.path()), &mut out).await.expect("bench");
        let out = String::from_utf8(out).expect("UTF-8");
        assert!(out.contains("generated 20 ratings"), "{out}");
        assert!(out.contains("ratings.csv"), "{out}");
        assert_eq!(
            names(dir.path()),
            ["mine.txt"],
            "the folder stays, with only what was there before"
        );
    }
}
