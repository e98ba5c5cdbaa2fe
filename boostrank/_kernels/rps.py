r"""Ranked probability score of K ordered classes, on (n, K) margins.

p = softmax(z), P_k = p_0 + ... + p_k, O_k = [k >= y], e_k = P_k - O_k (k = 0..K-2):

    l = w * sum_k e_k^2
    dP_k / dz_c = p_c ([c <= k] - P_k)
    dl/dz_c = 2 w p_c (E_c - S),   E_c = sum_{k >= c} e_k,   S = sum_k e_k P_k

Hessian choices (the exact one is indefinite):

* GAUSS_NEWTON: 2 w sum_k (dP_k/dz_c)^2 = 2 w p_c^2 (sum_{k<c} P_k^2 + sum_{k>=c} (1 - P_k)^2),
  the classic surrogate of a least-squares loss.
* EXACT_CLIPPED: the exact diagonal, GN + (1 - 2 p_c) dl/dz_c, clipped at the floor.

All sums run in O(K) per row with prefix/suffix sums.  Margins and outputs may be C- or
Fortran-ordered (LightGBM's (n, K) view of its class-major buffer); Numba compiles one
version per layout.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from .._config import HESSIAN_FLOOR, PARALLEL, SERIAL
from ._math import exp_inplace

HESS_GAUSS_NEWTON = 0
HESS_EXACT_CLIPPED = 1


#: Rows per parallel chunk (scratch allocated once per chunk: allocating it per row, three small
#: arrays for each of 1,000,000 rows, took most of a call) and rows per block: a block's
#: softmax exponentials go through one vectorised ``exp_inplace`` call (libm's scalar ``exp``
#: was most of a row's cost).  The O(K) recurrences stay per row: run across a block's rows
#: in class-major scratch they measured no faster (BENCHMARKS.md, "Design decisions").
CHUNK_ROWS = 2048
BLOCK_ROWS = 64


@nb.njit(**SERIAL)
def _block_exp(margins: np.ndarray, start: int, m: int, e: np.ndarray, inv: np.ndarray) -> int:
    """e[j * K + c] <- exp(z_jc - max_c z_jc) and inv[j] <- 1 / sum_c e[j * K + c] for the
    rows j < m of the block starting at row ``start`` (so softmax(z_j)_c = e[j K + c] inv[j]);
    returns how many of the block's margins are NaN or infinite (the finite check of the
    input, done here because this pass reads every margin anyway).

    The maximum's own term is exp(0) = 1, so every sum is in [1, K] and no margin (+-1e30
    included) overflows or leaves a row without mass."""
    n_classes = margins.shape[1]
    n_bad = 0
    for j in range(m):
        row = margins[start + j]
        mx = row[0]
        for c in range(n_classes):
            mx = row[c] if row[c] > mx else mx
            n_bad += 0 if abs(row[c]) < np.inf else 1  # NaN compares false
        base = j * n_classes
        for c in range(n_classes):
            e[base + c] = row[c] - mx
    exp_inplace(e[: m * n_classes])
    for j in range(m):
        base = j * n_classes
        acc = 0.0
        for c in range(n_classes):
            acc += e[base + c]
        inv[j] = 1.0 / acc
    return n_bad


@nb.njit(**PARALLEL)
def rps_loss_rows(
    margins: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray,
    valid: np.ndarray,
    scale: float,
    out: np.ndarray,
) -> int:
    """Per-row loss into ``out``; returns the number of NaN or infinite margins (the caller
    raises: the outputs are then meaningless)."""
    n, n_classes = margins.shape
    n_bad = 0
    for chunk in nb.prange((n + CHUNK_ROWS - 1) // CHUNK_ROWS):
        e = np.empty(n_classes * BLOCK_ROWS, dtype=np.float64)
        inv = np.empty(BLOCK_ROWS, dtype=np.float64)
        for start in range(chunk * CHUNK_ROWS, min(n, (chunk + 1) * CHUNK_ROWS), BLOCK_ROWS):
            m = min(BLOCK_ROWS, n - start)
            n_bad += _block_exp(margins, start, m, e, inv)
            for j in range(m):
                i = start + j
                if not valid[i]:
                    out[i] = 0.0
                    continue
                base = j * n_classes
                y = labels[i]
                cum = 0.0
                acc = 0.0
                for k in range(n_classes - 1):
                    cum += e[base + k] * inv[j]
                    d = cum - (1.0 if k >= y else 0.0)
                    acc += d * d
                out[i] = scale * weights[i] * acc
    return n_bad


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
) -> int:
    """Gradient and Hessian into ``grad``, ``hess``; returns the number of NaN or infinite
    margins (the caller raises: the outputs are then meaningless)."""
    n, n_classes = margins.shape
    n_bad = 0
    for chunk in nb.prange((n + CHUNK_ROWS - 1) // CHUNK_ROWS):
        e = np.empty(n_classes * BLOCK_ROWS, dtype=np.float64)
        inv = np.empty(BLOCK_ROWS, dtype=np.float64)
        cum_p = np.empty(n_classes, dtype=np.float64)
        prefix_sq = np.empty(n_classes, dtype=np.float64)
        for start in range(chunk * CHUNK_ROWS, min(n, (chunk + 1) * CHUNK_ROWS), BLOCK_ROWS):
            m = min(BLOCK_ROWS, n - start)
            n_bad += _block_exp(margins, start, m, e, inv)
            for j in range(m):
                i = start + j
                if not valid[i]:
                    for c in range(n_classes):
                        grad[i, c] = 0.0
                        hess[i, c] = HESSIAN_FLOOR
                    continue
                base = j * n_classes
                r = inv[j]
                y = labels[i]
                w2 = 2.0 * scale * weights[i]
                # S = sum_k e_k P_k, and prefix sums of P_k^2 over k < c
                cum = 0.0
                s = 0.0
                sq = 0.0
                for k in range(n_classes - 1):
                    prefix_sq[k] = sq
                    cum += e[base + k] * r
                    cum_p[k] = cum
                    d = cum - (1.0 if k >= y else 0.0)
                    s += d * cum
                    sq += cum * cum
                prefix_sq[n_classes - 1] = sq
                # suffix sums over k = c..K-2 of e_k and (1 - P_k)^2, from the last class down
                suffix_e = 0.0
                suffix_q = 0.0
                for c in range(n_classes - 1, -1, -1):
                    if c < n_classes - 1:
                        q = cum_p[c]
                        suffix_e += q - (1.0 if c >= y else 0.0)
                        suffix_q += (1.0 - q) * (1.0 - q)
                    pc = e[base + c] * r
                    g = w2 * pc * (suffix_e - s)
                    h = w2 * pc * pc * (prefix_sq[c] + suffix_q)
                    if hess_kind == HESS_EXACT_CLIPPED:
                        h += (1.0 - 2.0 * pc) * g
                    grad[i, c] = g
                    hess[i, c] = h if h > HESSIAN_FLOOR else HESSIAN_FLOOR
    return n_bad
