"""Kernels cached on disk at one block size, loaded by a process at another: the GPU must still
agree with the CPU.  Run by benchmarks/gpu_check.sh on a machine with a GPU.

    python benchmarks/gpu_stale_cache.py --reference ref.npz        # CPU gradients, once
    export NUMBA_CACHE_DIR=$(mktemp -d)
    BOOSTRANK_CUDA_THREADS=4 python benchmarks/gpu_stale_cache.py --check ref.npz    # compiles
    BOOSTRANK_CUDA_THREADS=128 python benchmarks/gpu_stale_cache.py --check ref.npz  # loads

Data: groups of 1 to 300 rows (every pairwise objective then runs in one block per group) and
the same with one group of 1,500 rows (the pairwise grid path).  Objectives: softmax ranking,
the pairwise soft zero-one loss with NDCG@3 lambda weights (the case that came out 5.19x off),
the pairwise logistic loss, soft Spearman; gradient and Hessian of each.  ``--check`` prints
the largest relative difference per array and exits 1 when one exceeds 1e-10 (or a kernel
fails).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

import numpy as np

import boostrank as br

OBJECTIVES = {
    "softmax": br.SoftmaxRanking(),
    "softzeroone-T0.5-ndcg@3": br.PairwiseSoftZeroOne(temperature=0.5, lambda_weight="ndcg",
                                                      k=3),
    "logistic": br.PairwiseLogistic(),
    "spearman": br.SoftSpearman(regularization_strength=0.1, method="exact"),
}


def data_sets(smoke: bool) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(0)
    out = {}
    small, large, count = (8, 20, 8) if smoke else (300, 1_500, 60)
    for name, sizes in (("small groups", rng.integers(1, small + 1, count)),
                        ("with a large one", np.r_[rng.integers(1, small + 1, count // 3),
                                                   large])):
        n = int(sizes.sum())
        out[name] = (rng.integers(0, 5, n).astype(np.float64), rng.normal(size=n), sizes)
    return out


def results(device: str, smoke: bool) -> dict[str, np.ndarray]:
    out = {}
    for data_name, (y, s, sizes) in data_sets(smoke).items():
        for obj_name, obj in OBJECTIVES.items():
            obj.device = device
            grad, hess = obj.grad_hess(y, s, group=sizes)
            out[f"{obj_name} | {data_name} | grad"] = grad
            out[f"{obj_name} | {data_name} | hess"] = hess
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reference", help="write the CPU results to this .npz")
    ap.add_argument("--check", help="compare the GPU with the CPU results in this .npz")
    ap.add_argument("--smoke", action="store_true",
                    help="groups of up to 8 and one of 20 rows: checks the script (simulator)")
    args = ap.parse_args()
    if args.reference:
        np.savez(args.reference, **results("cpu", args.smoke))
        return 0
    reference: Any = np.load(args.check)
    label = (f"block {os.environ.get('BOOSTRANK_CUDA_THREADS', '128')}, cache "
             f"{os.environ.get('NUMBA_CACHE_DIR', '(next to the sources)')}")
    try:
        gpu = results("cuda", args.smoke)
    except Exception as exc:  # e.g. CUDA_ERROR_ILLEGAL_ADDRESS from a stale kernel
        print(f"FAILED ({label}): {type(exc).__name__}: {exc}")
        return 1
    worst = 0.0
    for key, cpu in reference.items():
        scale = max(float(np.abs(cpu).max()), 1e-300)
        diff = float(np.abs(gpu[key] - cpu).max()) / scale
        worst = max(worst, diff)
        if diff > 1e-10:
            print(f"  {key}: relative difference {diff:.2e}")
    verdict = "agree" if worst <= 1e-10 else "DISAGREE"
    print(f"{verdict} ({label}): largest relative difference {worst:.2e}")
    return 0 if worst <= 1e-10 else 1


if __name__ == "__main__":
    sys.exit(main())
