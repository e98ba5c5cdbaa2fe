"""The label-ordered pairwise kernel of an earlier commit against the current one, side by side
in one process, on the two W1 label layouts (alternating calls, fresh scores each call,
preallocated outputs, median after one warm-up call).

    python benchmarks/pairwise_history.py [--rev b9ba5a5] [--repeats 15] [--scale 1.0]

The earlier ``boostrank/_kernels/pairwise.py`` is read with ``git show REV:...`` and imported
beside the current one from a temporary copy of the package (so this needs the git history:
a clone, not an sdist).  Both kernels' arrays are checked to agree to rounding first.
"""

from __future__ import annotations

import argparse
import inspect
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rev", default="b9ba5a5", help="the earlier commit")
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--scale", type=float, default=1.0)
    args = ap.parse_args()
    old_source = subprocess.run(["git", "show", f"{args.rev}:boostrank/_kernels/pairwise.py"],
                                cwd=ROOT, check=True, capture_output=True, text=True).stdout
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(ROOT / "boostrank", Path(tmp) / "boostrank",
                        ignore=shutil.ignore_patterns("__pycache__"))
        (Path(tmp) / "boostrank" / "_kernels" / "_earlier_pairwise.py").write_text(old_source)
        sys.path.insert(0, tmp)
        run(args.rev, args.repeats, args.scale)


def run(rev: str, repeats: int, scale: float) -> None:
    import numba

    from boostrank._kernels import _earlier_pairwise as before  # type: ignore[attr-defined]
    from boostrank._kernels import pairwise as now

    # kernels before the fifth session lack the trailing host-scaling arguments
    params = inspect.signature(before.pairwise_grad_hess_ordered.py_func).parameters
    extra_before = (False, 1.0) if "group_scale" in params else ()
    rng = np.random.default_rng(0)
    n_groups = max(2, int(10_000 * scale))
    n = n_groups * 100
    offsets = np.arange(n_groups + 1, dtype=np.int64) * 100
    valid, w = np.ones(n, dtype=bool), np.ones(n)
    latent = rng.normal(size=n)
    layouts = {
        "kernel_speed.py W1 (5 uniform grades)": rng.integers(0, 5, n).astype(np.float64),
        "end_to_end.py W1 (skewed grades)": np.digitize(
            latent, np.quantile(latent, [0.5, 0.75, 0.9, 0.97])).astype(np.float64),
    }
    g0, h0, g1, h1 = (np.empty(n) for _ in range(4))
    print(f"{n:,} rows in groups of 100; before = {rev}, now = working tree")
    print("| labels | threads | lambda weights | before (ms) | now (ms) | before / now |")
    print("|---|---|---|---|---|---|")
    for name, y in layouts.items():
        order = now.pairwise_label_order(y, valid, offsets)
        for threads in (1, 2):
            numba.set_num_threads(threads)
            for ndcg in (False, True):
                common = (y, w, valid, offsets, 1.0, now.LOGISTIC, ndcg, 0,
                          now.HESS_LOGISTIC_CURVATURE)
                t_before, t_now = [], []
                for r in range(repeats + 1):
                    s = rng.normal(size=n)
                    t0 = time.perf_counter()
                    before.pairwise_grad_hess_ordered(s, *common, g0, h0, threads, *order, 0, 0,
                                                      0, *extra_before)
                    t1 = time.perf_counter()
                    now.pairwise_grad_hess_ordered(s, *common, g1, h1, threads, *order, 0, 0, 0,
                                                   False, 1.0)
                    t2 = time.perf_counter()
                    if r == 0:  # warm-up call: check the two agree instead
                        scale_g = np.abs(g0).max()
                        np.testing.assert_allclose(g1, g0, rtol=1e-12, atol=1e-13 * scale_g)
                        np.testing.assert_allclose(h1, h0, rtol=1e-12)
                        continue
                    t_before.append(t1 - t0)
                    t_now.append(t2 - t1)
                b, a = 1e3 * np.median(t_before), 1e3 * np.median(t_now)
                print(f"| {name} | {threads} | {'ndcg' if ndcg else 'none'} | {b:.1f} | "
                      f"{a:.1f} | {b / a:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
