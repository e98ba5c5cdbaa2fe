"""grad_hess time per call of each objective against a vectorised float64 NumPy implementation
of the same gradient, side by side in one process.

    python benchmarks/kernel_speed.py [--scale 1.0] [--repeats 5]

Workloads (``--scale`` multiplies the row counts): W1 learning to rank, 1,000,000 rows in
groups of 100 with 5 grades; W2 per-era regression, 400 eras of 5,000 rows (soft Spearman,
O(n^2) per era: scaled down to 40 eras by default); W3 ordinal, 1,000,000 rows, 10 classes.
Median of ``--repeats`` calls after a warm-up, a fresh score array each call (as the hosts
pass).  The NumPy baseline loops over groups in Python with (n_g, n_g) matrices.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import boostrank as br


def median_time(fn: Callable[[np.ndarray], Any], make: Callable[[], np.ndarray],
                repeats: int) -> float:
    fn(make())
    times = []
    for _ in range(repeats):
        s = make()
        t0 = time.perf_counter()
        fn(s)
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def numpy_pairwise_logistic(y: np.ndarray, s: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    grad = np.empty_like(s)
    start = 0
    for m in sizes:
        ys, ss = y[start:start + m], s[start:start + m]
        pref = ys[:, None] > ys[None, :]
        sig_neg = 1.0 / (1.0 + np.exp(ss[:, None] - ss[None, :]))  # sigma(-(s_i - s_j))
        lam = np.where(pref, sig_neg, 0.0)
        grad[start:start + m] = -lam.sum(axis=1) + lam.sum(axis=0)
        start += m
    return grad


def numpy_softmax(y: np.ndarray, s: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    offsets = np.r_[0, np.cumsum(sizes)][:-1]
    mx = np.maximum.reduceat(s, offsets)
    e = np.exp(s - np.repeat(mx, sizes))
    p = e / np.repeat(np.add.reduceat(e, offsets), sizes)
    return np.repeat(np.add.reduceat(y, offsets), sizes) * p - y


def numpy_rps(y: np.ndarray, z: np.ndarray) -> np.ndarray:
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    cum = np.cumsum(p, axis=1)[:, :-1]
    e = cum - (np.arange(z.shape[1] - 1)[None, :] >= y[:, None])
    suffix = np.cumsum(e[:, ::-1], axis=1)[:, ::-1]
    suffix = np.concatenate([suffix, np.zeros((z.shape[0], 1))], axis=1)
    return 2 * p * (suffix - (e * cum).sum(axis=1, keepdims=True))


def numpy_soft_spearman(y: np.ndarray, s: np.ndarray, sizes: np.ndarray,
                        tau: float) -> np.ndarray:
    grad = np.empty_like(s)
    start = 0
    for m in sizes:
        x, t = s[start:start + m], y[start:start + m]
        with np.errstate(over="ignore"):
            sx = 1.0 / (1.0 + np.exp(-(x[:, None] - x[None, :]) / tau))
            sy = 1.0 / (1.0 + np.exp(-(t[:, None] - t[None, :]) / tau))
        a = sx.sum(axis=1) - m / 2
        b = sy.sum(axis=1) - m / 2
        big_a, big_b, big_n = a @ a, b @ b, a @ b
        d = np.sqrt(big_a * big_b + 1e-7)
        c = b / d - big_n * big_b * a / d**3
        sd = sx * (1 - sx)
        grad[start:start + m] = -(sd * (c[:, None] - c[None, :])).sum(axis=1) / tau
        start += m
    return grad


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    rows = []

    n_groups = max(1, int(10_000 * args.scale))
    sizes = np.full(n_groups, 100)
    n = int(sizes.sum())
    y = rng.integers(0, 5, n).astype(np.float64)
    pairs = n_groups * 100 * 99 / 2

    def scores() -> np.ndarray:
        return rng.normal(size=n)

    for name, obj in (("pairwise_logistic", br.pairwise_logistic),
                      ("pairwise_soft_zero_one", br.pairwise_soft_zero_one),
                      ("pairwise_logistic(ndcg)", br.PairwiseLogistic(lambda_weight="ndcg"))):
        t = median_time(lambda s, obj=obj: obj.grad_hess(y, s, group=sizes), scores,
                        args.repeats)
        rows.append(("W1", name, n, t, f"{pairs / t / 1e9:.2f}e9 pairs/s"))
    t_np = median_time(lambda s: numpy_pairwise_logistic(y, s, sizes), scores, 1)
    rows.append(("W1", "NumPy pairwise_logistic (gradient only)", n, t_np,
                 f"{pairs / t_np / 1e9:.2f}e9 pairs/s"))
    t = median_time(lambda s: br.softmax_ranking.grad_hess(y, s, group=sizes), scores,
                    args.repeats)
    t_np = median_time(lambda s: numpy_softmax(y, s, sizes), scores, args.repeats)
    rows.append(("W1", "softmax_ranking", n, t, f"{n / t / 1e6:.0f}e6 rows/s"))
    rows.append(("W1", "NumPy softmax (gradient only)", n, t_np, f"{n / t_np / 1e6:.0f}e6 rows/s"))

    n_eras = max(1, int(40 * args.scale))
    era = np.full(n_eras, 5000)
    n2 = int(era.sum())
    y2 = rng.random(n2)
    exact = br.SoftSpearman(method="exact")  # the default ("auto") is the windowed method here
    t = median_time(lambda s: exact.grad_hess(y2, s, group=era),
                    lambda: rng.normal(size=n2), max(1, args.repeats // 2))
    t_np = median_time(lambda s: numpy_soft_spearman(y2, s, era, 1e-3),
                       lambda: rng.normal(size=n2), 1)
    rows.append(("W2", "soft_spearman (exact O(n^2))", n2, t, f"{n2 / t / 1e6:.2f}e6 rows/s"))
    t = median_time(lambda s: br.soft_spearman.grad_hess(y2, s, group=era),
                    lambda: rng.normal(size=n2), args.repeats)
    rows.append(("W2", "soft_spearman (windowed, default)", n2, t,
                 f"{n2 / t / 1e6:.2f}e6 rows/s"))
    rows.append(("W2", "NumPy soft Spearman (gradient only)", n2, t_np,
                 f"{n2 / t_np / 1e6:.2f}e6 rows/s"))

    n3 = max(10, int(1_000_000 * args.scale))
    y3 = rng.integers(0, 10, n3).astype(np.float64)
    t = median_time(lambda z: br.rps.grad_hess(y3, z), lambda: rng.normal(size=(n3, 10)),
                    args.repeats)
    t_np = median_time(lambda z: numpy_rps(y3, z), lambda: rng.normal(size=(n3, 10)),
                       args.repeats)
    rows.append(("W3", "rps", n3, t, f"{n3 / t / 1e6:.0f}e6 rows/s"))
    rows.append(("W3", "NumPy rps (gradient only)", n3, t_np, f"{n3 / t_np / 1e6:.0f}e6 rows/s"))

    print("| workload | implementation | rows | seconds/call | throughput |")
    print("|---|---|---|---|---|")
    for w, name, nn, t, thr in rows:
        print(f"| {w} | {name} | {nn:,} | {t:.4f} | {thr} |")


if __name__ == "__main__":
    main()
