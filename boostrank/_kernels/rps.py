r"""Ranked probability score of K ordered classes, on (n, K) margins.

p = softmax(z), P_k = p_0 + ... + p_k, O_k = [k >= y], e_k = P_k - O_k (k = 0..K-2):

    l = w * sum_k e_k^2
    dP_k / dz_c = p_c ([c <= k] - P_k)
    dl/dz_c = 2 w p_c (E_c - S),   E_c = sum_{k >= c} e_k,   S = sum_k e_k P_k

Hessian choices (the exact one is indefinite):

* GAUSS_NEWTON: 2 w sum_k (dP_k/dz_c)^2 = 2 w p_c^2 (sum_{k<c} P_k^2 + sum_{k>=c} (1 - P_k)^2),
  the classic surrogate of a least-squares loss.
* EXACT_CLIPPED: the exact diagonal, GN + (1 - 2 p_c) dl/dz_c, clipped at the floor.

All sums run in O(K) per row with prefix/suffix sums.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from .._config import HESSIAN_FLOOR, PARALLEL, SERIAL

HESS_GAUSS_NEWTON = 0
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
def rps_loss_rows(
    margins: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray,
    valid: np.ndarray,
    scale: float,
    out: np.ndarray,
) -> None:
    n, n_classes = margins.shape
    for chunk in nb.prange((n + CHUNK_ROWS - 1) // CHUNK_ROWS):
        p = np.empty(n_classes, dtype=np.float64)
        for i in range(chunk * CHUNK_ROWS, min(n, (chunk + 1) * CHUNK_ROWS)):
            if not valid[i]:
                out[i] = 0.0
                continue
            _softmax_row(margins[i], p)
            y = labels[i]
            cum = 0.0
            acc = 0.0
            for k in range(n_classes - 1):
                cum += p[k]
                e = cum - (1.0 if k >= y else 0.0)
                acc += e * e
            out[i] = scale * weights[i] * acc


@nb.njit(**PARALLEL)
def rps_grad_hess(
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
