"""Times Python `implicit`'s CPU ALS on the matrix `marquee bench als --export DIR` wrote.

    python -m venv VENV && VENV/bin/pip install implicit==0.7.3 numpy scipy threadpoolctl
    cargo run --release -- bench als --export target/bench_als
    OPENBLAS_NUM_THREADS=1 VENV/bin/python scripts/implicit_als_bench.py target/bench_als

Same settings as the Rust side: 64 factors, conjugate gradient with 3 steps, regularization
0.01, confidence 2 for every interaction (implicit uses the matrix values as confidence, ours
is 1 + alpha * 1 with alpha 1), 3 sweeps on 2 threads then on 1. Prints seconds per sweep.
"""

import resource
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from implicit.cpu.als import AlternatingLeastSquares


def load(folder: Path) -> sp.csr_matrix:
    indptr = np.fromfile(folder / "als_indptr.u64", dtype="<u8").astype(np.int64)
    indices = np.fromfile(folder / "als_indices.u32", dtype="<u4").astype(np.int32)
    data = np.full(indices.shape[0], 2.0, dtype=np.float32)
    items = int(indices.max()) + 1
    return sp.csr_matrix((data, indices, indptr), shape=(indptr.shape[0] - 1, items))


def main() -> None:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "target/bench_als")
    iterations = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    t = time.perf_counter()
    m = load(folder)
    print(f"loaded {m.shape[0]} users x {m.shape[1]} films, {m.nnz} interactions in {time.perf_counter() - t:.1f} s")
    for threads in (2, 1):
        times = []
        last = [time.perf_counter()]

        def tick(_iteration, _elapsed, _loss):
            now = time.perf_counter()
            times.append(now - last[0])
            last[0] = now

        model = AlternatingLeastSquares(
            factors=64,
            regularization=0.01,
            alpha=1.0,
            iterations=iterations,
            use_cg=True,
            calculate_training_loss=False,
            num_threads=threads,
            random_state=42,
        )
        model.cg_steps = 3  # implicit 0.7.3's default, set here so a change would show
        last[0] = time.perf_counter()
        model.fit(m, show_progress=False, callback=tick)
        per = sorted(times)
        print(
            f"implicit {threads} thread(s): {per[len(per) // 2]:.2f} s/iteration "
            f"(median of [{', '.join(f'{x:.2f}' for x in times)}] s)"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
