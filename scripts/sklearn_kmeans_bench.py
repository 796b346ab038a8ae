#!/usr/bin/env python3
"""Times scikit-learn KMeans on the data written by `marquee bench taste`.

Usage: python3 scripts/sklearn_kmeans_bench.py [DATA_DIR] [DTYPES]
  DATA_DIR defaults to target/bench_taste; DTYPES is a comma list of float32 and/or float64
  (default: both). taste_x.npy holds the float32 values the Rust side clusters; float64 runs on
  the same values widened, which is what sklearn would do with float64 input.
Set OPENBLAS_NUM_THREADS=1 (see /work/shared/notes/linfa.md §2.4: OpenMP + OpenBLAS
oversubscription on 2 cores); OMP_NUM_THREADS sets sklearn's own threads.
"""
import os
import sys
import time

import numpy as np
import sklearn
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

REPEATS = int(os.environ.get("REPEATS", "5"))


def main() -> None:
    data_dir = sys.argv[1] if len(sys.argv) > 1 else "target/bench_taste"
    dtypes = (sys.argv[2] if len(sys.argv) > 2 else "float32,float64").split(",")
    x32 = np.load(os.path.join(data_dir, "taste_x.npy"))
    truth = np.load(os.path.join(data_dir, "taste_labels.npy"))
    print(f"scikit-learn {sklearn.__version__}, numpy {np.__version__}; data {x32.shape} {x32.dtype}; "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'default')} "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'default')}")
    xs = {d: np.ascontiguousarray(x32, dtype=d) for d in dtypes}
    times = {d: [] for d in dtypes}
    # dtypes interleaved, so both see the same machine load.
    for seed in range(REPEATS):
        for d in dtypes:
            x = xs[d]
            km = KMeans(n_clusters=8, n_init=10, algorithm="lloyd", init="k-means++", max_iter=300,
                        tol=1e-4, random_state=seed)
            t = time.perf_counter()
            km.fit(x)
            labels = km.labels_
            times[d].append(time.perf_counter() - t)
            # inertia recomputed in float64 from the fitted centroids, as the Rust side reports it
            c = km.cluster_centers_.astype(np.float64)
            inertia = float(((x32.astype(np.float64) - c[labels]) ** 2).sum())
            print(f"  {d} seed {seed}: {times[d][-1]:.3f} s  inertia sum {inertia:.3f}  "
                  f"mean {inertia / len(x):.6f}  ARI {adjusted_rand_score(truth, labels):.4f}  "
                  f"iterations {km.n_iter_}")
    for d in dtypes:
        t = sorted(times[d])
        print(f"  {d} fit time: min {t[0]:.3f} s, median {t[len(t) // 2]:.3f} s")


if __name__ == "__main__":
    main()
