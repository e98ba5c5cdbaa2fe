"""Soft Spearman ``grad_hess`` time per call: the exact O(n^2) kernel against the windowed one,
side by side in one process, on W2-shaped data (eras of 5,000 rows, continuous labels in
[0, 1], tau = 1e-3), plus the largest difference of the windowed result to the exact one.

    python benchmarks/spearman_speed.py [--eras 400] [--rows 5000] [--repeats 5]
                                        [--exact-eras 20]

Score kinds: ``round0`` all equal (the first boosting round), ``random`` N(0, 1) draws,
``model`` label + N(0, 0.1) noise (a model that has learnt something; scores as dense as the
labels), ``leaves`` random scores rounded to 1/8 (a few large blocks of ties, as tree
ensembles give in early rounds).  Median of ``--repeats`` calls after one warm-up call, a fresh
score array each call (as the hosts pass); the labels stay the same, as in boosting, so the
windowed method's cached label ranks are reused (``cold`` adds one call with new labels).  The
exact kernel takes ~0.5 s per era of 5,000 rows on 2 cores, so it runs on ``--exact-eras``
eras (default 20), once per score kind: that call is both its timing and the reference of the
accuracy columns (the windowed result on the same scores).  "CPU s/call" is process time over
all threads: on a shared machine the wall time depends on the load, CPU / n_cores is what a
call takes with the cores to itself (perfect scaling over groups).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

import boostrank as br


def median_time(fn: Callable[[np.ndarray], object], make: Callable[[], np.ndarray],
                repeats: int) -> tuple[float, float]:
    """Median wall seconds and median CPU seconds (all threads) per call."""
    fn(make())
    times = []
    cpu = []
    for _ in range(repeats):
        s = make()
        c0 = time.process_time()
        t0 = time.perf_counter()
        fn(s)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return float(np.median(times)), float(np.median(cpu))


def time_calls(obj: br.SoftSpearman, y: np.ndarray, era: np.ndarray, kind: str,
               rng: np.random.Generator, repeats: int) -> tuple[float, float]:
    """Median grad_hess time, fresh scores of ``kind`` each call, the same labels."""
    return median_time(lambda s: obj.grad_hess(y, s, group=era),
                       lambda: scores(kind, y, rng), repeats)


def scores(kind: str, y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n = y.size
    if kind == "round0":
        return np.full(n, 0.5)
    if kind == "random":
        return rng.normal(size=n)
    if kind == "model":
        return y + 0.1 * rng.normal(size=n)
    if kind == "leaves":
        return np.round(rng.normal(size=n) * 8) / 8
    raise ValueError(kind)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--eras", type=int, default=400)
    ap.add_argument("--rows", type=int, default=5000, help="rows per era")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--exact-eras", type=int, default=20)
    ap.add_argument("--kinds", default="round0,random,model,leaves")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    exact = br.SoftSpearman(method="exact")
    win = br.SoftSpearman(method="windowed")
    for obj in (exact, win):  # compile / load the kernels outside the timings
        obj.grad_hess(rng.random(50), rng.random(50), group=[20, 30])
        obj.loss(rng.random(50), rng.random(50), group=[20, 30])

    print("| scores | method | eras x rows | seconds/call | CPU s/call | max abs diff grad "
          "(rel. to max) | max rel diff hess | max abs diff loss |")
    print("|---|---|---|---|---|---|---|---|")
    for kind in args.kinds.split(","):
        # the exact method and the accuracy check on --exact-eras eras
        ne = args.exact_eras
        era = np.full(ne, args.rows)
        y = rng.random(ne * args.rows)
        s = scores(kind, y, rng)
        c0 = time.process_time()
        t0 = time.perf_counter()
        ge, he = exact.grad_hess(y, s, group=era)
        t_exact = time.perf_counter() - t0
        c_exact = time.process_time() - c0
        gw, hw = win.grad_hess(y, s, group=era)
        le = exact.loss(y, s, group=era, reduction="none")
        lw = win.loss(y, s, group=era, reduction="none")
        dg = np.abs(gw - ge).max() / max(np.abs(ge).max(), 1e-300)
        dh = float(np.max(np.abs(hw - he) / he))
        dl = np.abs(lw - le).max()
        acc = f"{dg:.1e} | {dh:.1e} | {dl:.1e}"
        print(f"| {kind} | exact | {ne} x {args.rows:,} | {t_exact:.3f} | {c_exact:.3f} | | | |",
              flush=True)
        t, c = time_calls(win, y, era, kind, rng, args.repeats)
        print(f"| {kind} | windowed | {ne} x {args.rows:,} | {t:.3f} | {c:.3f} | {acc} |",
              flush=True)
        # the windowed method on --eras eras
        era = np.full(args.eras, args.rows)
        y = rng.random(args.eras * args.rows)
        cold = br.SoftSpearman(method="windowed")
        s = scores(kind, y, rng)
        t0 = time.perf_counter()
        cold.grad_hess(y, s, group=era)
        t_cold = time.perf_counter() - t0
        t, c = time_calls(cold, y, era, kind, rng, args.repeats)
        print(f"| {kind} | windowed | {args.eras} x {args.rows:,} | {t:.3f} "
              f"(cold: {t_cold:.3f}) | {c:.3f} | | | |", flush=True)


if __name__ == "__main__":
    main()
