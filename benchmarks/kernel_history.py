"""Steady-state speed of every objective against the package of an earlier commit, side by
side in one process: ``grad_hess`` and the host path, per call, after the first (compiling)
call.

    python benchmarks/kernel_history.py [--rev 45fbcea] [--repeats 7] [--scale 1.0]
                                        [--only W1,W2,W2s,W3,W4]

The earlier ``boostrank/`` is extracted with ``git archive REV`` into a temporary folder
under another package name and imported beside the working tree's (so this needs the git
history).  Calls alternate between the two, each pair on the same fresh scores (as the hosts
pass), and the table gives the median milliseconds per call of each and their ratio, wall
and process CPU time (both threads; less disturbed by other jobs on a shared machine); the
first call of each is checked to give the same arrays (to rounding) and is not timed.  Workloads
(``--scale`` multiplies the row counts) as in ``kernel_speed.py``: W1 1,000,000 rows in
groups of 100 with 5 grades; W2 40 eras of 5,000 rows; W3 1,000,000 rows of 10 classes (C
order as XGBoost passes, Fortran order as LightGBM's view); W4 skewed group sizes; W2s 4 eras
of 5,000 rows, for the exact O(n^2) soft Spearman and CombinedLoss's host path (its margins in
units of 1e-6 put every pair of an era in the window).  "host"
rows call the objective as ``xgb.train`` does, on a ``DMatrix`` (the pairwise kernels then
fuse the per-group LambdaMART scaling and the Hessian factor).
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numba
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: (workload, label, objective expression with ``br`` the package, host call)
CASES = [
    ("W1", "pairwise_logistic", "br.pairwise_logistic", False),
    ("W1", "pairwise_soft_zero_one", "br.pairwise_soft_zero_one", False),
    ("W1", "pairwise_logistic(ndcg)", "br.PairwiseLogistic(lambda_weight='ndcg')", False),
    ("W1", "pairwise_soft_zero_one, host (xgb.train)", "br.pairwise_soft_zero_one", True),
    ("W1", "softmax_ranking", "br.softmax_ranking", False),
    ("W2", "soft_spearman (windowed)", "br.soft_spearman", False),
    ("W2s", "soft_spearman (exact)", "br.SoftSpearman(method='exact')", False),
    ("W2s", "combined_loss, host (xgb.train)", "br.combined_loss", True),
    # the Hessian of the earlier default (the default is now the Gershgorin bound: docs/rps.md)
    ("W3", "rps(hessian='gauss_newton') (C order)",
     "br.RankedProbabilityScore(hessian='gauss_newton')", False),
    ("W3", "rps(hessian='gauss_newton') (Fortran order, LightGBM)",
     "br.RankedProbabilityScore(hessian='gauss_newton')", False),
    ("W4", "pairwise_logistic", "br.pairwise_logistic", False),
    ("W4", "pairwise_logistic(truncation_level=30)",
     "br.PairwiseLogistic(truncation_level=30)", False),
    ("W4", "pairwise_logistic(pairs_per_row=8)", "br.PairwiseLogistic(pairs_per_row=8)", False),
]


def workload(name: str, scale: float, rng: np.random.Generator) -> dict[str, Any]:
    """Labels, groups and a score maker of one workload."""
    if name == "W1":
        n_groups = max(2, int(10_000 * scale))
        sizes = np.full(n_groups, 100)
        n = int(sizes.sum())
        return {"y": rng.integers(0, 5, n).astype(np.float64), "group": sizes,
                "scores": lambda: rng.normal(size=n)}
    if name in ("W2", "W2s"):  # W2s: 4 eras, for the O(n^2) cases
        sizes = np.full(max(1, int((40 if name == "W2" else 4) * scale)), 5000)
        n = int(sizes.sum())
        return {"y": rng.random(n), "group": sizes, "scores": lambda: rng.normal(size=n)}
    if name == "W3":
        n = max(10, int(1_000_000 * scale))
        return {"y": rng.integers(0, 10, n).astype(np.float64), "group": None,
                "scores": lambda: rng.normal(size=(n, 10))}
    sizes = rng.integers(10, 51, max(10, int(40_000 * scale)))
    big = rng.random(sizes.size) < 1e-3
    big[0] = True
    sizes[big] = rng.integers(5000, 8001, int(big.sum()))
    n = int(sizes.sum())
    return {"y": rng.integers(0, 5, n).astype(np.float64), "group": sizes,
            "scores": lambda: rng.normal(size=n)}


def caller(br: Any, expr: str, host: bool, data: dict[str, Any]) -> Any:
    """A function of the scores that runs one call of the objective."""
    obj = eval(expr)
    y, group = data["y"], data["group"]
    if not host:
        return lambda s: obj.grad_hess(y, s, group=group)
    import xgboost as xgb

    dtrain = xgb.DMatrix(np.zeros((y.size, 1)), y, group=group)
    return lambda s: obj(s, dtrain)


def import_earlier(rev: str, tmp: Path) -> Any:
    """The package of commit ``rev`` as ``boostrank_<rev>``."""
    name = f"boostrank_{rev}"
    archive = subprocess.run(["git", "archive", rev, "boostrank"], cwd=ROOT, check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive, check=True)
    (tmp / "boostrank").rename(tmp / name)
    sys.path.insert(0, str(tmp))
    return importlib.import_module(name)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rev", default="45fbcea", help="the earlier commit")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--only", default="W1,W2,W2s,W3,W4", help="workloads to run")
    args = ap.parse_args()
    only = set(args.only.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        before = import_earlier(args.rev, Path(tmp))
        import boostrank as now

        print(f"before = {args.rev}, now = working tree; {numba.get_num_threads()} Numba "
              f"threads; load average {Path('/proc/loadavg').read_text().split()[:3]}")
        print("| workload | objective | rows | before (ms) | now (ms) | before / now | "
              "CPU before (ms) | CPU now (ms) | CPU before / now |")
        print("|---|---|---|---|---|---|---|---|---|")
        rng = np.random.default_rng(0)
        data: dict[str, dict[str, Any]] = {}
        for wl, label, expr, host in CASES:
            if wl not in only:
                continue
            d = data.setdefault(wl, workload(wl, args.scale, rng))
            fortran = "Fortran" in label
            make = (lambda d=d: np.asfortranarray(d["scores"]())) if fortran else d["scores"]
            f_before = caller(before, expr, host, d)
            f_now = caller(now, expr, host, d)
            s = make()
            g0, h0 = (np.asarray(a) for a in f_before(s))
            g1, h1 = (np.asarray(a) for a in f_now(s))
            scale_g = max(float(np.abs(g0).max()), 1e-300)
            np.testing.assert_allclose(g1, g0, rtol=1e-9, atol=1e-12 * scale_g)
            np.testing.assert_allclose(h1, h0, rtol=1e-9)
            times: dict[Any, list[tuple[float, float]]] = {f_before: [], f_now: []}
            for r in range(args.repeats):
                s = make()
                for f in (f_before, f_now) if r % 2 == 0 else (f_now, f_before):
                    t0, c0 = time.perf_counter(), time.process_time()
                    f(s)
                    times[f].append((time.perf_counter() - t0, time.process_time() - c0))
            (b, bc), (a, ac) = (1e3 * np.median(times[f], axis=0) for f in (f_before, f_now))
            print(f"| {wl} | {label} | {np.asarray(d['y']).size:,} | {b:.1f} | {a:.1f} | "
                  f"{b / a:.2f}x | {bc:.1f} | {ac:.1f} | {bc / ac:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
