"""Diagnostic for docs/BENCHMARKS.md ("the validation split underrates EASE"): why protocol v1's
validation (per_user_split(train, 43)) prefers implicit ALS on ml-latest-small while test does not.

On the validation split the films of test.csv are unknown, so they are ordinary candidates that
count as misses. They are real positives, and a model that ranks them high (EASE more than ALS)
loses validation NDCG for it. This script scores EASE and ALS on validation twice: as the
protocol does, and with the test films removed from the candidates (a diagnostic that uses
test.csv, so never a way to choose anything).

    python3 -m venv VENV && VENV/bin/pip install numpy
    VENV/bin/python scripts/validation_bias.py ../shared ml-latest-small   # about 3 minutes

numpy only, float64, EASE on the 4,000 most-watched films (as ours), ALS with exact solves.
"""
import os
import sys

import numpy as np

ROOT, DS = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(ROOT, "notes"))
from make_splits import per_user_split  # noqa: E402

K = 10


def load(part):
    rows = []
    with open(os.path.join(ROOT, "data", "splits", f"{DS}-topn", f"{part}.csv")) as f:
        next(f)
        for line in f:
            u, i, r, t = line.rstrip().split(",")
            rows.append((int(u), int(i), r, int(t)))
    return rows


train, test = load("train"), load("test")
sub, val = per_user_split(train, 43)
users = sorted({r[0] for r in sub})
items = sorted({r[1] for r in sub})
ui = {u: j for j, u in enumerate(users)}
ii = {i: j for j, i in enumerate(items)}
X = np.zeros((len(users), len(items)))
for u, i, _, _ in sub:
    X[ui[u], ii[i]] = 1
rel = {}
for u, i, _, _ in val:
    rel.setdefault(u, set()).add(i)
items = np.array(items)


def ndcg(S, seen):
    S = np.where(seen > 0, -np.inf, S)
    disc = 1 / np.log2(np.arange(2, K + 2))
    tot = 0.0
    for u in sorted(rel):
        top = np.argsort(-S[ui[u]], kind="stable")[:K]
        hits = np.array([1.0 if i in rel[u] else 0.0 for i in items[top]])
        tot += (hits * disc).sum() / disc[: min(K, len(rel[u]))].sum()
    return tot / len(rel)


def ease(lam=500.0, maxn=4000):
    cnt = X.sum(0)
    keep = np.sort(np.lexsort((np.arange(len(cnt)), -cnt))[:maxn])
    Xs = X[:, keep]
    G = Xs.T @ Xs + lam * np.eye(len(keep))
    P = np.linalg.inv(G)
    B = P / (-np.diag(P))
    np.fill_diagonal(B, 0)
    S = np.zeros(X.shape)
    S[:, keep] = Xs @ B
    return S


def als(k=64, reg=30.0, alpha=4.0, iters=15, seed=1):
    rng = np.random.default_rng(seed)
    U = rng.normal(0, 0.01, (X.shape[0], k))
    V = rng.normal(0, 0.01, (X.shape[1], k))
    for _ in range(iters):
        for A, B, M in ((U, V, X), (V, U, X.T)):
            G = B.T @ B + reg * np.eye(k)
            for a in range(A.shape[0]):
                r = np.nonzero(M[a])[0]
                Y = B[r]
                A[a] = np.linalg.solve(G + alpha * Y.T @ Y, (1 + alpha) * Y.sum(0)) if len(r) else 0
    return U @ V.T


hidden = X.copy()
for u, i, _, _ in test:
    if i in ii:
        hidden[ui[u], ii[i]] = 1
E, A = ease(), als()
print(f"{DS} validation NDCG@10, as protocol v1: EASE λ500 {ndcg(E, X):.4f}, ALS {ndcg(A, X):.4f}")
print(f"{DS} test films removed from the candidates: EASE λ500 {ndcg(E, hidden):.4f}, ALS {ndcg(A, hidden):.4f}")
