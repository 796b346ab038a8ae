//! `marquee bench taste`: taste-group clustering speed and quality on seeded synthetic users.
//!
//! 100,000 users × 32 dimensions with 8 planted tastes ([`planted_users`]), L2-normalised as the
//! domain does. Times linfa k-means (k = 8, k-means++, 10 runs, scikit-learn's default relative
//! tolerance 1e-4 converted to linfa's absolute one) on rayon's global pool (`RAYON_NUM_THREADS`
//! sets its size), reports inertia (linfa's mean and scikit-learn's sum) and the adjusted Rand
//! index against the planted groups, then runs the full pipeline (k chosen by silhouette over
//! 2..=10). The normalised data and the planted labels are written as `.npy` files for
//! `scripts/sklearn_kmeans_bench.py`, which times scikit-learn on the same data.

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
pub const NOISE: f64 = 0.3;
/// Seed of the data.
pub const SEED: u64 = 0x5EED_0006;
/// k-means restarts.
pub const RUNS: usize = 10;
/// Timed repetitions of the fit (the fastest and the median are shown).
const REPEATS: usize = 3;

/// Writes a float64 C-order `.npy` file.
fn write_npy_f64(path: &Path, rows: usize, cols: usize, data: &[f64]) -> anyhow::Result<()> {
    write_npy(
        path,
        "<f8",
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
    let (raw, truth) = planted_users(USERS, GROUPS, DIM, NOISE, SEED);
    let mut data = Vec::with_capacity(raw.len());
    for r in raw.chunks_exact(DIM) {
        let norm = r
            .iter()
            .map(|&v| f64::from(v).powi(2))
            .sum::<f64>()
            .sqrt()
            .max(1e-12);
        data.extend(r.iter().map(|&v| f64::from(v) / norm));
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    write_npy_f64(&data_dir.join("taste_x.npy"), USERS, DIM, &data)?;
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
    let x = Array2::from_shape_vec((USERS, DIM), data)?;
    let tol = absolute_tolerance(&x, 1e-4);
    writeln!(
        out,
        "taste-group benchmark: {USERS} users × {DIM} dims, {GROUPS} planted groups, noise {NOISE}, seed {SEED:#x}"
    )?;
    writeln!(
        out,
        "data written to {} (taste_x.npy, taste_labels.npy)",
        data_dir.display()
    )?;
    writeln!(
        out,
        "linfa k-means: k = {GROUPS}, k-means++, n_runs = {RUNS}, tolerance {tol:.6} (absolute; = sklearn tol 1e-4), rayon threads {}",
        std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "default (all cores)".to_owned())
    )?;
    let mut times = Vec::new();
    let mut last = None;
    for seed in 0..REPEATS as u64 {
        let t = Instant::now();
        let fit = fit_kmeans(&x, GROUPS, RUNS, seed, tol, 300).context("linfa refused the fit")?;
        times.push(t.elapsed().as_secs_f64());
        let ari = adjusted_rand_index(&truth, &fit.labels);
        writeln!(
            out,
            "  seed {seed}: {:.3} s  inertia sum {:.3}  mean {:.6}  ARI {ari:.4}",
            times[times.len() - 1],
            fit.inertia_sum,
            fit.inertia_mean
        )?;
        last = Some(fit);
    }
    times.sort_by(f64::total_cmp);
    writeln!(
        out,
        "  fit time (predict included): min {:.3} s, median {:.3} s",
        times[0],
        times[times.len() / 2]
    )?;
    drop(last);
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
    /// The benchmark itself: `cargo test --release --lib app::bench_taste -- --ignored --nocapture`.
    #[test]
    #[ignore = "a benchmark: minutes in debug builds"]
    fn bench_taste_runs() {
        let dir =
            std::env::var("MARQUEE_BENCH_DIR").unwrap_or_else(|_| "target/bench_taste".to_owned());
        super::run(std::io::stdout().lock(), std::path::Path::new(&dir)).expect("runs");
    }
}
