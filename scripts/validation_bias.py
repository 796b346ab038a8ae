"""Diagnostic for docs/BENCHMARKS.md: why protocol v1's validation (per_user_split(train, 43))
prefers implicit ALS to EASE on ml-latest-small while test.csv does not.

It fits EASE (λ 500, the 4,000 most-watched films, as ours) and implicit ALS (64 f, reg 30, α 4,
exact solves) on the sub-train and on train.csv, and prints per-user NDCG@10 four ways:

1. fit on sub-train, relevant = the validation films: protocol v1's validation;
2. the same, with the test films removed from the candidates (the first diagnostic);
3. the same fit, relevant = the test films, validation films left among the candidates as
   misses: the mirror image of 1 (validation and test films are both uniform random draws of a
   user's films, so 1 and 3 differ only by the luck of the draw);
4. fit on train.csv, relevant = the test films: the protocol's test;

and ALS − EASE by the user's history size for 1 and 4. Items 2–4 read test.csv, so none of this
can choose anything: it only explains why validation and test disagree.

    python3 -m venv VENV && VENV/bin/pip install numpy
    VENV/bin/python scripts/validation_bias.py ../shared ml-latest-small   # about 2 minutes

numpy only, float64.
"""
import os
import sys

import numpy as np

ROOT, DS = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(ROOT, "notes"))
from make_splits import per_user_split  # noqa: E402

K = 10
DISC = 1 / np.log2(np.arange(2, K + 2))


def load(part):
    rows = []
    with open(os.path.join(ROOT, "data", "splits", f"{DS}-topn", f"{part}.csv")) as f:
        next(f)
        for line in f:
            u, i, r, t = line.rstrip().split(",")
            rows.append((int(u), int(i), r, int(t)))
    return rows


class Fit:
    """A binary user × film matrix of `rows`, on its own catalogue."""

    def __init__(self, rows):
        self.users = sorted({r[0] for r in rows})
        self.items = np.array(sorted({r[1] for r in rows}))
        self.ui = {u: j for j, u in enumerate(self.users)}
        self.ii = {i: j for j, i in enumerate(self.items)}
        self.X = np.zeros((len(self.users), len(self.items)))
        for u, i, _, _ in rows:
            self.X[self.ui[u], self.ii[i]] = 1

    def mask(self, rows):
        """The matrix plus `rows` (films removed from the candidates)."""
        M = self.X.copy()
        for u, i, _, _ in rows:
            if i in self.ii:
                M[self.ui[u], self.ii[i]] = 1
        return M

    def ndcg(self, S, seen, rel_rows):
        """Per-user NDCG@10 (sorted by user id) and each user's history size in the fit."""
        rel = {}
        for u, i, _, _ in rel_rows:
            rel.setdefault(u, set()).add(i)
        S = np.where(seen > 0, -np.inf, S)
        out, sizes = [], []
        for u in sorted(rel):
            row = S[self.ui[u]]
            top = np.argsort(-row, kind="stable")[:K]
            hits = np.array([1.0 if i in rel[u] else 0.0 for i in self.items[top]])
            out.append((hits * DISC).sum() / DISC[: min(K, len(rel[u]))].sum())
            sizes.append(self.X[self.ui[u]].sum())
        return np.array(out), np.array(sizes)


def ease(X, lam=500.0, maxn=4000):
    cnt = X.sum(0)
    keep = np.sort(np.lexsort((np.arange(len(cnt)), -cnt))[:maxn])
    Xs = X[:, keep]
    P = np.linalg.inv(Xs.T @ Xs + lam * np.eye(len(keep)))
    B = P / (-np.diag(P))
    np.fill_diagonal(B, 0)
    S = np.zeros(X.shape)
    S[:, keep] = Xs @ B
    return S


def als(X, k=64, reg=30.0, alpha=4.0, iters=15, seed=1):
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


def line(name, e, a):
    d = a - e
    se = d.std() / np.sqrt(len(d))
    print(f"{DS} {name}: EASE λ500 {e.mean():.4f}, ALS {a.mean():.4f}, ALS − EASE {d.mean():+.4f} ± {se:.4f}")


def by_history(name, e, a, sizes):
    bins = [0, 30, 60, 120, 250, 500, 10**9]
    cells = []
    for lo, hi in zip(bins, bins[1:]):
        m = (sizes >= lo) & (sizes < hi)
        if m.any():
            d = (a - e)[m]
            label = f"{lo}+" if hi == 10**9 else f"{lo}–{hi - 1}"
            cells.append(f"{label}: {d.mean():+.3f} ± {d.std() / np.sqrt(m.sum()):.3f} ({m.sum()} users)")
    print(f"{DS} ALS − EASE by films in the fit, {name}: " + "; ".join(cells))


train, test = load("train"), load("test")
sub, val = per_user_split(train, 43)

s = Fit(sub)
E, A = ease(s.X), als(s.X)
e1, n1 = s.ndcg(E, s.X, val)
a1, _ = s.ndcg(A, s.X, val)
line("1. validation as protocol v1", e1, a1)
hidden = s.mask(test)
line("2. validation, test films removed from the candidates", s.ndcg(E, hidden, val)[0], s.ndcg(A, hidden, val)[0])
line("3. same fit, relevant = test films (validation films stay candidates)", s.ndcg(E, s.X, test)[0], s.ndcg(A, s.X, test)[0])

t = Fit(train)
E, A = ease(t.X), als(t.X)
e4, n4 = t.ndcg(E, t.X, test)
a4, _ = t.ndcg(A, t.X, test)
line("4. test as protocol v1 (fit on train.csv)", e4, a4)
by_history("1. validation", e1, a1, n1)
by_history("4. test", e4, a4, n4)
