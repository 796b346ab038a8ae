//! `marquee bench taste`: taste-group clustering speed and quality on seeded synthetic users.
//!
//! 100,000 users × 32 dimensions with 8 planted tastes ([`planted_users`], noise 0.45 so the
//! groups overlap and the ARI says something), L2-normalised in f64 and stored as f32, as the
//! domain does. Times linfa k-means (k = 8, k-means++, 10 runs, scikit-learn's default relative
//! tolerance 1e-4 converted to linfa's absolute one) on rayon's global pool (`RAYON_NUM_THREADS`
//! sets its size) in f32 (what the domain uses) and in f64 (the same values widened), reports
//! inertia (linfa's mean and scikit-learn's sum, always in f64) and the adjusted Rand index
//! against the planted groups, then runs the full pipeline (k chosen by silhouette over 2..=10;
//! skipped with `MARQUEE_BENCH_PIPELINE=0`). The f32 data and the planted labels are written as
//! `.npy` files for `scripts/sklearn_kmeans_bench.py`, which times scikit-learn on the same
//! values (as float32 and widened to float64).

use crate::domain::taste::{
    TasteParams, absolute_tolerance, adjusted_rand_index, cluster_rows, fit_kmeans, planted_users,
};
use anyhow::Context as _;
use ndarray::Array2;
use std::io::Write as _;
use std::path::Path;
use std::time::Instant;

/// Users generated.
pub const USERS: usize = 100_000;
/// Dimensions per user.
pub const DIM: usize = 32;
/// Planted groups (and the k of the timed fit).
pub const GROUPS: usize = 8;
/// Noise standard deviation around each planted taste.
pub const NOISE: f64 = 0.45;
/// Seed of the data.
pub const SEED: u64 = 0x5EED_0006;
/// k-means restarts.
pub const RUNS: usize = 10;
/// Timed repetitions of the fit (the fastest and the median are shown).
const REPEATS: usize = 5;

/// Writes a float32 C-order `.npy` file.
fn write_npy_f32(path: &Path, rows: usize, cols: usize, data: &[f32]) -> anyhow::Result<()> {
    write_npy(
        path,
        "<f4",
        &format!("({rows}, {cols})"),
        &data
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect::<Vec<u8>>(),
    )
}

fn write_npy(path: &Path, descr: &str, shape: &str, body: &[u8]) -> anyhow::Result<()> {
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat((64 - unpadded % 64) % 64));
    header.push('\n');
    let mut f = std::io::BufWriter::new(
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
    );
    f.write_all(b"\x93NUMPY\x01\x00")?;
    f.write_all(&u16::try_from(header.len())?.to_le_bytes())?;
    f.write_all(header.as_bytes())?;
    f.write_all(body)?;
    f.flush()?;
    Ok(())
}

/// Generates the data, writes it to `data_dir` (`taste_x.npy`, `taste_labels.npy`), times the
/// fits and writes the figures to `out`.
///
/// # Errors
/// Writing the data files or to `out` failed.
pub fn run(mut out: impl std::io::Write, data_dir: &Path) -> anyhow::Result<()> {
    // `MARQUEE_BENCH_NOISE` overrides the noise (0.3 was the first, well-separated version).
    let noise = std::env::var("MARQUEE_BENCH_NOISE")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(NOISE);
    let (raw, truth) = planted_users(USERS, GROUPS, DIM, noise, SEED);
    let mut data = Vec::with_capacity(raw.len());
    for r in raw.chunks_exact(DIM) {
        let norm = r
            .iter()
            .map(|&v| f64::from(v).powi(2))
            .sum::<f64>()
            .sqrt()
            .max(1e-12);
        data.extend(r.iter().map(|&v| (f64::from(v) / norm) as f32));
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    write_npy_f32(&data_dir.join("taste_x.npy"), USERS, DIM, &data)?;
    let labels: Vec<u8> = truth
        .iter()
        .flat_map(|&l| (l as i64).to_le_bytes())
        .collect();
    write_npy(
        &data_dir.join("taste_labels.npy"),
        "<i8",
        &format!("({USERS},)"),
        &labels,
    )?;
    let x32 = Array2::from_shape_vec((USERS, DIM), data)?;
    let x64 = x32.mapv(f64::from);
    let tol = absolute_tolerance(&x32, 1e-4);
    writeln!(
        out,
        "taste-group benchmark: {USERS} users × {DIM} dims, {GROUPS} planted groups, noise {noise}, seed {SEED:#x}"
    )?;
    writeln!(
        out,
        "data written to {} (taste_x.npy float32, taste_labels.npy)",
        data_dir.display()
    )?;
    writeln!(
        out,
        "linfa k-means: k = {GROUPS}, own k-means++ seeding, {RUNS} runs in parallel, tolerance {tol:.6} (absolute; = sklearn tol 1e-4), rayon threads {}",
        std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "default (all cores)".to_owned())
    )?;
    // f32 and f64 fits interleaved, so both see the same machine load.
    let mut times = [Vec::new(), Vec::new()];
    for seed in 0..REPEATS as u64 {
        for (slot, name) in [(0, "f32"), (1, "f64")] {
            let t = Instant::now();
            let fit = if slot == 0 {
                fit_kmeans(&x32, GROUPS, RUNS, seed, tol, 300)
            } else {
                fit_kmeans(&x64, GROUPS, RUNS, seed, tol, 300)
            }
            .context("linfa refused the fit")?;
            let secs = t.elapsed().as_secs_f64();
            times[slot].push(secs);
            let ari = adjusted_rand_index(&truth, &fit.labels);
            writeln!(
                out,
                "  {name} seed {seed}: {secs:.3} s  inertia sum {:.3}  mean {:.6}  ARI {ari:.4}",
                fit.inertia_sum, fit.inertia_mean
            )?;
        }
    }
    for (slot, name) in [(0, "f32"), (1, "f64")] {
        let t = &mut times[slot];
        t.sort_by(f64::total_cmp);
        writeln!(
            out,
            "  {name} fit time (labels included): min {:.3} s, median {:.3} s",
            t[0],
            t[t.len() / 2]
        )?;
    }
    if std::env::var("MARQUEE_BENCH_PIPELINE").is_ok_and(|v| v == "0") {
        return Ok(());
    }
    let t = Instant::now();
    let c = cluster_rows(&raw, DIM, &TasteParams::default());
    let secs = t.elapsed().as_secs_f64();
    let l: Vec<usize> = c.labels.iter().map(|l| l.unwrap_or(usize::MAX)).collect();
    writeln!(
        out,
        "full pipeline (k sweep 2..=10 on a 10k sample, silhouette on 2k, final fit): {secs:.2} s, chosen k = {} (planted {GROUPS}), ARI {:.4}, inertia mean {:.6}",
        c.k,
        adjusted_rand_index(&truth, &l),
        c.inertia_mean
    )?;
    let sil: Vec<String> = c
        .silhouettes
        .iter()
        .map(|(k, s)| format!("{k}:{s:.3}"))
        .collect();
    writeln!(out, "  silhouettes {}", sil.join(" "))?;
    for w in &c.warnings {
        writeln!(out, "  warning: {w}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    /// The benchmark itself: `cargo test --release --lib offline::bench::taste -- --ignored --nocapture`.
    #[test]
    #[ignore = "a benchmark: minutes in debug builds"]
    fn bench_taste_runs() {
        let dir =
            std::env::var("MARQUEE_BENCH_DIR").unwrap_or_else(|_| "target/bench_taste".to_owned());
        super::run(std::io::stdout().lock(), std::path::Path::new(&dir)).expect("runs");
    }
}
