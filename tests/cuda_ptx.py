"""Compile every CUDA kernel of boostrank._cuda to PTX for an H100 (sm_90), without a GPU.

The simulator runs kernels as Python, so it cannot catch what only the CUDA compiler rejects
(typing of device functions, shared arrays, tuples, mixed int/bool arithmetic).  Run with
NUMBA_ENABLE_CUDASIM=0; needs NVVM and NVRTC (``numba-cuda[cu13]``), not a GPU.  Prints one line
per kernel with a digest of its PTX; exits non-zero on the first failure.  Used by
tests/test_cuda.py, which also compares the digests of two runs at different block sizes
(``BOOSTRANK_CUDA_THREADS``): a kernel cached on disk must not depend on launch settings.
"""

from __future__ import annotations

import hashlib
import sys

from numba import cuda, types
from numba.cuda import dispatcher

from boostrank._cuda import (
    _common,
    backend,
    hinge,
    metrics,
    pairwise,
    rps,
    scaling,
    softmax,
    spearman,
    transfer,
    yetirank,
)

FLT, INT, BOOL = types.float64, types.int64, types.boolean
F1, I1, B1 = types.float64[::1], types.int64[::1], types.boolean[::1]
F2 = types.float64[:, ::1]
ROWS = (F1, F1, F1, B1, I1)  # scores, labels, weights, valid, offsets

KERNELS = [
    (_common.group_sums, (F2, I1, F2)),
    (_common._exponentials, (F1, B1, I1, FLT, B1, F1)),
    (backend._to_float32, (F1, types.float32[::1])),
    (transfer._widen, (types.float32[::1], F1)),
    (pairwise._score_span, (F1, B1, I1, FLT, F1, B1)),
    (pairwise._grad_hess_blocks, (*ROWS, FLT, INT, BOOL, INT, INT, INT, F1, BOOL, FLT, INT, F1,
                                  F1)),
    (pairwise._row_setup, (F1, F1, B1, I1, FLT, BOOL, INT, BOOL, F1, B1, F1, I1, F1, F1)),
    (pairwise._ideal_terms, (F1, B1, I1, INT, F2)),
    (pairwise._invert_positive, (F2, F1)),
    (pairwise._grad_hess_rows, (*ROWS, FLT, INT, BOOL, INT, INT, B1, F1, I1, F1, F1, F1, F1,
                                F1)),
    (pairwise._loss_rows, (*ROWS, FLT, INT, BOOL, INT, B1, F1, I1, F1, F1, F1, F1)),
    (hinge._grad_hess_rows, (*ROWS, FLT, BOOL, INT, F1, F1, F1, F1, F1)),
    (hinge._loss_rows, (*ROWS, FLT, BOOL, F1, F1, F1, F1)),
    (softmax._grad_hess_groups, (*ROWS, F1, F1)),
    (softmax._loss_groups, (*ROWS, F1)),
    (rps._loss_rows, (F2, F1, F1, B1, FLT, F1)),
    (rps._grad_hess_rows, (F2, F1, F1, B1, FLT, INT, F2, F2)),
    (scaling._scale_groups, (F1, F1, I1, FLT)),
    (scaling._scale_floor, (F1, FLT, FLT)),
    (scaling._scale_rows, (F1, F1, F1, F1)),
    (spearman._count_terms, (F1, B1, F2)),
    (spearman._centred_soft_ranks, (F1, F1, B1, B1, I1, FLT, F2, F1, F1, F2)),
    (spearman._loss_from_parts, (F2, F2, F1)),
    (spearman._corr_gradient, (B1, I1, F1, F1, F2, F1)),
    (spearman._grad_hess_rows, (F1, F1, B1, B1, I1, FLT, INT, FLT, F1, F1, F2, F2, F1, F1)),
    (spearman._add_mse_groups, (*ROWS, FLT, FLT, BOOL, F1, F1)),
    (metrics._ndcg_terms, (F1, F1, B1, I1, INT, BOOL, F2)),
    (metrics._ndcg_finish, (F2, F1)),
    (metrics._moment_terms, (F1, F1, B1, I1, BOOL, F2)),
    (metrics._centred_terms, (F2, B1, I1, F2, F2)),
    (metrics._corr_finish, (F2, F2, F1)),
    (metrics._accuracy_terms, (F1, F1, B1, I1, F2)),
    (metrics._ratio_finish, (F2, F1)),
    (metrics._ap_rr_terms, (F1, F1, B1, I1, INT, F2)),
    (metrics._ap_rr_finish, (F2, INT, F1, F1)),
    (yetirank._perturb, (F1, B1, I1, INT, INT, INT, F1)),
    (yetirank._rank, (F1, B1, I1, I1, I1)),
    (yetirank._add_pairs, (*ROWS, I1, I1, INT, FLT, INT, F1, INT, F1, F1)),
    (yetirank._add_loss, (*ROWS, I1, I1, INT, FLT, INT, F1, F1)),
    (yetirank._zero, (F1, F1, BOOL)),
    (yetirank._floor, (F1,)),
    (yetirank._query_scale, (F1, F1, I1, FLT)),
]


def kernels_in_package() -> set[str]:
    """Every CUDA kernel (not device function, not CPU function) defined in the boostrank._cuda
    modules."""
    found = set()
    for module in (_common, backend, hinge, metrics, pairwise, rps, scaling, softmax, spearman,
                   transfer, yetirank):
        for value in vars(module).values():
            options = getattr(value, "targetoptions", None)
            if options is not None and options.get("device") is False and \
                    value.py_func.__module__ == module.__name__:
                found.add(f"{module.__name__}.{value.py_func.__name__}")
    return found


def ptx_digest(ptx: str) -> str:
    """A digest of the PTX's lines, sorted: the order in which NVVM declares module-level
    symbols varies from process to process (it follows Python's string hashing)."""
    return hashlib.sha256("\n".join(sorted(ptx.splitlines())).encode()).hexdigest()[:16]


class _H100:
    compute_capability = (9, 0)


def main() -> int:
    # Device functions are compiled for the current device's compute capability; there is no
    # device here, so name the H100's.  Nothing is launched.
    dispatcher.get_current_device = _H100
    listed = {f"{k.py_func.__module__}.{k.py_func.__name__}" for k, _ in KERNELS}
    missing = kernels_in_package() - listed
    if missing:
        print(f"FAILED: kernels without a signature here: {sorted(missing)}")
        return 1
    for kernel, sig in KERNELS:
        name = f"{kernel.py_func.__module__}.{kernel.py_func.__name__}"
        try:
            ptx, _ = cuda.compile_ptx(kernel.py_func, sig, cc=(9, 0))
        except Exception as exc:
            print(f"FAILED {name}: {type(exc).__name__}: {exc}")
            return 1
        print(f"ok {name} ({len(ptx):,} bytes of PTX, digest {ptx_digest(ptx)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
