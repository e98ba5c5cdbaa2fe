"""The softmax ranking and RPS kernels with libm ``math.exp`` per row instead of the vectorised
``exp_inplace``: the baseline ``kernel_speed.py`` times side by side with the package's kernels
in one process.  Not part of the package; same arguments as the package's kernels."""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from boostrank._config import HESSIAN_FLOOR, PARALLEL, SERIAL

HESS_EXACT_CLIPPED = 1


@nb.njit(**SERIAL)
def _softmax_row(z: np.ndarray, p: np.ndarray) -> None:
    mx = z[0]
    for c in range(1, z.size):
        if z[c] > mx:
            mx = z[c]
    acc = 0.0
    for c in range(z.size):
        p[c] = math.exp(z[c] - mx)
        acc += p[c]
    for c in range(z.size):
        p[c] /= acc


#: Rows per parallel chunk: each chunk allocates its per-row scratch once (allocating it per row,
#: three small arrays for each of 1,000,000 rows, took most of a call).
CHUNK_ROWS = 2048


@nb.njit(**PARALLEL)
def rps_grad_hess_libm(
    margins: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray,
    valid: np.ndarray,
    scale: float,
    hess_kind: int,
    grad: np.ndarray,
    hess: np.ndarray,
) -> None:
    n, n_classes = margins.shape
    for chunk in nb.prange((n + CHUNK_ROWS - 1) // CHUNK_ROWS):
        p = np.empty(n_classes, dtype=np.float64)
        cum_p = np.empty(n_classes, dtype=np.float64)
        prefix_sq = np.empty(n_classes, dtype=np.float64)
        for i in range(chunk * CHUNK_ROWS, min(n, (chunk + 1) * CHUNK_ROWS)):
            if not valid[i]:
                for c in range(n_classes):
                    grad[i, c] = 0.0
                    hess[i, c] = HESSIAN_FLOOR
                continue
            _softmax_row(margins[i], p)
            y = labels[i]
            w2 = 2.0 * scale * weights[i]
            cum = 0.0
            s = 0.0
            for k in range(n_classes - 1):
                cum += p[k]
                cum_p[k] = cum
                e = cum - (1.0 if k >= y else 0.0)
                s += e * cum
            # suffix sums over k = c..K-2 of e_k and (1 - P_k)^2; prefix sums of P_k^2 over k < c
            suffix_e = 0.0
            suffix_q = 0.0
            acc = 0.0
            for c in range(n_classes):
                prefix_sq[c] = acc
                if c < n_classes - 1:
                    acc += cum_p[c] * cum_p[c]
            for c in range(n_classes - 1, -1, -1):
                if c < n_classes - 1:
                    e = cum_p[c] - (1.0 if c >= y else 0.0)
                    suffix_e += e
                    suffix_q += (1.0 - cum_p[c]) * (1.0 - cum_p[c])
                g = w2 * p[c] * (suffix_e - s)
                h = w2 * p[c] * p[c] * (prefix_sq[c] + suffix_q)
                if hess_kind == HESS_EXACT_CLIPPED:
                    h += (1.0 - 2.0 * p[c]) * g
                grad[i, c] = g
                hess[i, c] = h if h > HESSIAN_FLOOR else HESSIAN_FLOOR


@nb.njit(**PARALLEL)
def softmax_grad_hess_libm(
    scores: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray,
    valid: np.ndarray,
    offsets: np.ndarray,
    grad: np.ndarray,
    hess: np.ndarray,
) -> None:
    n_groups = offsets.size - 1
    for g in nb.prange(n_groups):
        start = offsets[g]
        end = offsets[g + 1]
        total = 0.0
        mx = -np.inf
        for i in range(start, end):
            if valid[i]:
                total += weights[i] * labels[i]
                mx = max(mx, scores[i])
        if total == 0.0:  # no weighted label: nothing to learn in this group
            for i in range(start, end):
                grad[i] = 0.0
                hess[i] = HESSIAN_FLOOR
            continue
        # one exponential per row: e_i = exp(s_i - max) kept in grad until the sum is known
        acc = 0.0
        for i in range(start, end):
            e = math.exp(scores[i] - mx) if valid[i] else 0.0
            grad[i] = e
            acc += e
        inv = 1.0 / acc
        for i in range(start, end):
            if valid[i]:
                p = grad[i] * inv
                grad[i] = total * p - weights[i] * labels[i]
                h = total * p * (1.0 - p)
            else:
                grad[i] = 0.0
                h = 0.0
            hess[i] = h if h > HESSIAN_FLOOR else HESSIAN_FLOOR
