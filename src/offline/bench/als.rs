//! `marquee bench als`: implicit ALS training speed at MovieLens-20M scale (138,493 users,
//! 26,744 films, 20,000,263 interactions), on synthetic seeded data with power-law film
//! popularity, to compare with the Python `implicit` library (CG solver, 64 factors) on the
//! same machine.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use crate::domain::ids::{MovieId, UserId};
use crate::domain::recommend::als::AlsParams;
use crate::domain::recommend::data::{Csr, IdMap};
use crate::domain::recommend::{Params as _, Ratings};
use crate::domain::rng::SplitMix64;

/// ML-20M's shape.
const USERS: usize = 138_493;
const ITEMS: usize = 26_744;
const INTERACTIONS: usize = 20_000_263;

/// Seeded ML-20M-shaped interactions as a binary [`Ratings`] matrix: film popularity follows a
/// Zipf law (`P(rank r) ∝ (r + 10)^−1.1`, sampled by inverse CDF), user activity is `20 +` a
/// log-uniform extra scaled so the total is exactly [`INTERACTIONS`]; duplicates are redrawn.
/// Built straight into CSR (no hash map), so memory stays near the matrix size.
pub fn synthetic_ml20m(seed: u64) -> Ratings {
    let mut rng = SplitMix64::new(seed);
    // Popularity CDF over film ranks.
    let mut cdf = Vec::with_capacity(ITEMS);
    let mut acc = 0f64;
    for r in 0..ITEMS {
        acc += (r as f64 + 10.0).powf(-1.1);
        cdf.push(acc);
    }
    // A random film id per popularity rank, so popular films are spread over the index range.
    let mut rank_to_item: Vec<u32> = (0..ITEMS as u32).collect();
    rng.shuffle(&mut rank_to_item);
    // Activity: 20 + a heavy-tailed extra, rescaled to the exact total.
    let extra: Vec<f64> = (0..USERS)
        .map(|_| (f64::from(rng.next_f32()) * 7.0).exp() - 1.0)
        .collect();
    let budget = (INTERACTIONS - 20 * USERS) as f64;
    let sum: f64 = extra.iter().sum();
    let mut counts: Vec<usize> = extra
        .iter()
        .map(|e| 20 + ((e / sum * budget) as usize).min(ITEMS / 2))
        .collect();
    let mut missing = INTERACTIONS.saturating_sub(counts.iter().sum());
    let mut u = 0;
    while missing > 0 {
        if counts[u] < ITEMS / 2 {
            counts[u] += 1;
            missing -= 1;
        }
        u = (u + 1) % USERS;
    }
    let mut ptr = Vec::with_capacity(USERS + 1);
    ptr.push(0usize);
    let mut idx: Vec<u32> = Vec::with_capacity(INTERACTIONS);
    let mut mark = vec![false; ITEMS];
    for &n in &counts {
        let start = idx.len();
        while idx.len() - start < n {
            let z = f64::from(rng.next_f32()) * acc;
            let r = cdf.partition_point(|&c| c < z).min(ITEMS - 1);
            let i = rank_to_item[r];
            if !mark[i as usize] {
                mark[i as usize] = true;
                idx.push(i);
            }
        }
        let row = &mut idx[start..];
        for &i in row.iter() {
            mark[i as usize] = false;
        }
        row.sort_unstable();
        ptr.push(idx.len());
    }
    // The transpose, by counting sort (rows come out sorted by user).
    let mut iptr = vec![0usize; ITEMS + 1];
    for &i in &idx {
        iptr[i as usize + 1] += 1;
    }
    for r in 0..ITEMS {
        iptr[r + 1] += iptr[r];
    }
    let mut next = iptr.clone();
    let mut iidx = vec![0u32; idx.len()];
    for u in 0..USERS {
        for &i in &idx[ptr[u]..ptr[u + 1]] {
            iidx[next[i as usize]] = u as u32;
            next[i as usize] += 1;
        }
    }
    let nnz = idx.len();
    let mut users = IdMap::default();
    (0..USERS).for_each(|u| {
        users.insert(UserId(u as i64 + 1));
    });
    let mut items = IdMap::default();
    (0..ITEMS).for_each(|i| {
        items.insert(MovieId(i as i64 + 1));
    });
    Ratings {
        users,
        items,
        by_user: Csr {
            ptr,
            idx,
            val: vec![1.0; nnz],
        },
        by_item: Csr {
            ptr: iptr,
            idx: iidx,
            val: vec![1.0; nnz],
        },
        global_mean: 1.0,
    }
}

/// Peak resident memory (`VmHWM` of `/proc/self/status`) in MiB, when readable.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Fits `iterations` sweeps and returns the seconds of each.
fn time_fit(data: &Ratings, params: AlsParams) -> anyhow::Result<Vec<f64>> {
    let iterations = params.iterations;
    let mut times = Vec::with_capacity(iterations);
    let mut t = Instant::now();
    let model = params.check()?.fit_observed(data, |_, _| {
        times.push(t.elapsed().as_secs_f64());
        t = Instant::now();
    })?;
    anyhow::ensure!(
        model.y.iter().all(|v| v.is_finite()),
        "ALS produced non-finite factors"
    );
    Ok(times)
}

/// Writes the user × film matrix of `data` as CSR into `dir`: `als_indptr.u64` (users + 1
/// offsets) and `als_indices.u32` (film indices), little endian, so another library can be
/// timed on exactly the same interactions.
fn export(data: &Ratings, dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut ptr = BufWriter::new(File::create(dir.join("als_indptr.u64"))?);
    for &p in &data.by_user.ptr {
        ptr.write_all(&(p as u64).to_le_bytes())?;
    }
    ptr.flush()?;
    let mut idx = BufWriter::new(File::create(dir.join("als_indices.u32"))?);
    for &i in &data.by_user.idx {
        idx.write_all(&i.to_le_bytes())?;
    }
    idx.flush()?;
    Ok(())
}

/// `marquee bench als`: generates the ML-20M-shaped data (seed 20), then fits implicit ALS with
/// 64 factors, 3 CG steps per half-step (implicit's default), confidence `1 + 1·r` (= 2 for
/// every interaction), λ 0.01, first on 2 threads then on 1, `iterations` sweeps each, and
/// prints seconds per sweep (median) and the process's peak RSS. With `export`, also writes the
/// matrix there first.
pub fn run(export_to: Option<&Path>, iterations: usize, mut out: impl Write) -> anyhow::Result<()> {
    let t = Instant::now();
    let data = synthetic_ml20m(20);
    if let Some(dir) = export_to {
        export(&data, dir)?;
        writeln!(out, "matrix written to {}", dir.display())?;
    }
    writeln!(
        out,
        "synthetic ML-20M shape: {} users, {} films, {} interactions, generated in {:.1} s",
        data.n_users(),
        data.n_items(),
        data.nnz(),
        t.elapsed().as_secs_f64()
    )?;
    for threads in [2usize, 1] {
        let params = AlsParams {
            factors: 64,
            iterations: iterations.max(1),
            reg: 0.01,
            reg_exponent: 0.0,
            alpha: 1.0,
            cg_steps: 3,
            seed: 42,
            threads,
        };
        let mut times = time_fit(&data, params)?;
        let per_it: Vec<String> = times.iter().map(|s| format!("{s:.2}")).collect();
        times.sort_by(f64::total_cmp);
        writeln!(
            out,
            "implicit ALS, 64 factors, 3 CG steps, {threads} thread(s): {:.2} s/iteration (median of [{}] s)",
            times[times.len() / 2],
            per_it.join(", ")
        )?;
    }
    match peak_rss_mib() {
        Some(m) => writeln!(out, "peak RSS (VmHWM): {m:.0} MiB")?,
        None => writeln!(out, "peak RSS: unavailable (no /proc/self/status)")?,
    }
    writeln!(
        out,
        "reference: Python implicit 0.7.3 on the same matrix: `marquee bench als --export DIR`, then scripts/implicit_als_bench.py DIR"
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    #[ignore = "a timing benchmark (about a minute, ~1.5 GB); run with --ignored in release"]
    fn bench_als() {
        super::run(None, 3, std::io::stdout()).expect("runs");
    }
}
