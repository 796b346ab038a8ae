#!/usr/bin/env python3
"""Times scikit-learn KMeans on the data written by `marquee bench taste`.

Usage: python3 scripts/sklearn_kmeans_bench.py [DATA_DIR]   (default: target/bench_taste)
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

REPEATS = 3


def main() -> None:
    data_dir = sys.argv[1] if len(sys.argv) > 1 else "target/bench_taste"
    x = np.load(os.path.join(data_dir, "taste_x.npy"))
    truth = np.load(os.path.join(data_dir, "taste_labels.npy"))
    print(f"scikit-learn {sklearn.__version__}, numpy {np.__version__}; data {x.shape} {x.dtype}; "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'default')} "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'default')}")
    times = []
    for seed in range(REPEATS):
        km = KMeans(n_clusters=8, n_init=10, algorithm="lloyd", init="k-means++", max_iter=300,
                    tol=1e-4, random_state=seed)
        t = time.perf_counter()
        km.fit(x)
        labels = km.labels_
        times.append(time.perf_counter() - t)
        print(f"  seed {seed}: {times[-1]:.3f} s  inertia sum {km.inertia_:.3f}  "
              f"mean {km.inertia_ / len(x):.6f}  ARI {adjusted_rand_score(truth, labels):.4f}  "
              f"iterations {km.n_iter_}")
    times.sort()
    print(f"  fit time: min {times[0]:.3f} s, median {times[len(times) // 2]:.3f} s")


if __name__ == "__main__":
    main()
