r"""Ranked probability score of K ordered classes, on (n, K) margins.

p = softmax(z), P_k = p_0 + ... + p_k, O_k = [k >= y], e_k = P_k - O_k (k = 0..K-2):

    l = w * sum_k e_k^2
    dP_k / dz_c = p_c ([c <= k] - P_k)
    dl/dz_c = 2 w p_c (E_c - S),   E_c = sum_{k >= c} e_k,   S = sum_k e_k P_k

The Gauss-Newton matrix H = 2 w J^T J, J_kc = dP_k/dz_c, is, for c <= c',

    H_cc' = 2 w p_c p_c' S_cc',
    S_cc' = sum_{k<c} P_k^2 - sum_{c<=k<c'} P_k (1 - P_k) + sum_{c'<=k<=K-2} (1 - P_k)^2

(symmetric).  Neighbouring classes move the same cumulative probabilities, so the entries
between neighbouring classes are large and positive, and a Newton step on the diagonal
alone overshoots.  Hessian choices (the exact one is indefinite):

* GERSHGORIN: the Gershgorin bound of each row of H, h_c = sum_c' |H_cc'|
  = 2 w p_c sum_c' p_c' |S_cc'|.  diag(h) - H is diagonally dominant, hence positive
  semi-definite: the quadratic model with diag(h) lies above the Gauss-Newton model for every
  step, so the diagonal Newton step (its minimiser) lowers the Gauss-Newton model.  XGBoost's
  own multi:softprob Hessian 2 p (1 - p) is the same bound of the softmax cross-entropy
  Hessian diag(p) - p p^T.  For K = 2, H is [[a, -a], [-a, a]] and h is twice its diagonal.
* GAUSS_NEWTON: the diagonal of H, 2 w sum_k (dP_k/dz_c)^2
  = 2 w p_c^2 (sum_{k<c} P_k^2 + sum_{k>=c} (1 - P_k)^2), the classic surrogate of a
  least-squares loss.
* EXACT_CLIPPED: the exact diagonal, GN + (1 - 2 p_c) dl/dz_c, clipped at the floor.

The gradient and the two diagonals run in O(K) per row with prefix/suffix sums.  The
Gershgorin bound does too, although it sums K terms per class: with u_c = sum_{k<c} P_k and
v_c = sum_{c<=k<=K-2} (1 - P_k)^2 - sum_{k<c} P_k (1 - P_k), S_cc' = u_min(c,c') + v_max(c,c').
u rises by P_c and v falls by 1 - P_c from c to c + 1, so for fixed c, S_cc' is largest at
c' = c and never rises as c' moves away from c on either side: it is >= 0 on one run
lo_c <= c' <= hi_c and negative outside, and neither lo_c nor hi_c decreases as c grows.
With RP_c = sum_{c'<c} p_c', RU_c = sum_{c'<c} p_c' u_c', SP_c = sum_{c'>=c} p_c' and
SV_c = sum_{c'>=c} p_c' v_c',

    sum_c' p_c' |S_cc'| = u_c (SP_c - 2 SP_{hi+1}) + SV_c - 2 SV_{hi+1}
                          + RU_c - 2 RU_lo + v_c (RP_c - 2 RP_lo),

the runs found by two pointers moving up with c.  Margins and outputs may be C- or
Fortran-ordered (LightGBM's (n, K) view of its class-major buffer); Numba compiles one
version per layout.
"""

from __future__ import annotations

from typing import Any

import numba as nb
import numpy as np

from .._config import HESSIAN_FLOOR, PARALLEL, SERIAL
from ._math import exp_inplace

HESS_GAUSS_NEWTON = 0
HESS_EXACT_CLIPPED = 1
HESS_GERSHGORIN = 2


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


@nb.njit(**SERIAL)
def _gershgorin_pass(e: np.ndarray, base: int, r: float, cum_p: np.ndarray, v: np.ndarray,
                     sp: np.ndarray, sv: np.ndarray, w2: float, hess: np.ndarray,
                     i: int) -> None:
    """hess[i, c] <- max(w2 p_c sum_c' p_c' |S_cc'|, floor) for every class c of row i, in
    O(K) (module docstring): p_c = e[base + c] r, P_k = cum_p[k] (k <= K - 2), and v, SP, SV
    in ``v``, ``sp``, ``sv`` (SP_K = SV_K = 0).  u and RU are running sums here, kept at c
    and at the lower pointer lo; RP_c is P_{c-1}."""
    last = hess.shape[1] - 1
    u_c = 0.0
    ru_c = 0.0
    u_lo = 0.0
    ru_lo = 0.0
    lo = 0
    hi = 0
    for c in range(last + 1):
        hi = max(hi, c)
        while hi < last and u_c + v[hi + 1] >= 0.0:
            hi += 1
        while lo < c and u_lo + v[c] < 0.0:
            ru_lo += e[base + lo] * r * u_lo
            u_lo += cum_p[lo]
            lo += 1
        rp_c = cum_p[c - 1] if c > 0 else 0.0
        rp_lo = cum_p[lo - 1] if lo > 0 else 0.0
        total = (u_c * (sp[c] - 2.0 * sp[hi + 1]) + sv[c] - 2.0 * sv[hi + 1]
                 + ru_c - 2.0 * ru_lo + v[c] * (rp_c - 2.0 * rp_lo))
        pc = e[base + c] * r
        h = w2 * pc * total
        hess[i, c] = h if h > HESSIAN_FLOOR else HESSIAN_FLOOR
        if c < last:
            ru_c += pc * u_c
            u_c += cum_p[c]


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


def _make_grad_hess_kernel(hess_kind: int) -> Any:
    """The gradient-and-Hessian kernel of one Hessian choice, compiled on its first call.
    ``hess_kind`` is a constant of the closure, so the branches between the choices are
    removed before compiling: the Gauss-Newton kernel carries no trace of the Gershgorin
    bound's passes (with a run-time flag it ran 5% slower than a kernel without them)."""
    gershgorin = hess_kind == HESS_GERSHGORIN
    exact = hess_kind == HESS_EXACT_CLIPPED

    @nb.njit(**PARALLEL)
    def kernel(margins: np.ndarray, labels: np.ndarray, weights: np.ndarray,
               valid: np.ndarray, scale: float, grad: np.ndarray, hess: np.ndarray) -> int:
        n, n_classes = margins.shape
        n_bad = 0
        for chunk in nb.prange((n + CHUNK_ROWS - 1) // CHUNK_ROWS):
            e = np.empty(n_classes * BLOCK_ROWS, dtype=np.float64)
            inv = np.empty(BLOCK_ROWS, dtype=np.float64)
            cum_p = np.empty(n_classes, dtype=np.float64)
            prefix = np.empty(n_classes, dtype=np.float64)
            v = np.empty(n_classes, dtype=np.float64)
            sp = np.empty(n_classes + 1, dtype=np.float64)
            sv = np.empty(n_classes + 1, dtype=np.float64)
            sp[n_classes] = 0.0
            sv[n_classes] = 0.0
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
                    # S = sum_k e_k P_k, and prefix sums over k < c of P_k^2 (the diagonals) or
                    # of P_k (1 - P_k) (B_c, Gershgorin)
                    cum = 0.0
                    s = 0.0
                    acc = 0.0
                    for k in range(n_classes - 1):
                        prefix[k] = acc
                        cum += e[base + k] * r
                        cum_p[k] = cum
                        d = cum - (1.0 if k >= y else 0.0)
                        s += d * cum
                        acc += cum * (1.0 - cum if gershgorin else cum)
                    prefix[n_classes - 1] = acc
                    # suffix sums over k = c..K-2 of e_k and (1 - P_k)^2, from the last class
                    # down; Gershgorin: v_c and the suffix sums SP_c, SV_c of p and p v
                    suffix_e = 0.0
                    suffix_q = 0.0
                    suffix_p = 0.0
                    suffix_pv = 0.0
                    for c in range(n_classes - 1, -1, -1):
                        if c < n_classes - 1:
                            q = cum_p[c]
                            suffix_e += q - (1.0 if c >= y else 0.0)
                            suffix_q += (1.0 - q) * (1.0 - q)
                        pc = e[base + c] * r
                        g = w2 * pc * (suffix_e - s)
                        grad[i, c] = g
                        if gershgorin:
                            v[c] = suffix_q - prefix[c]
                            suffix_p += pc
                            suffix_pv += pc * v[c]
                            sp[c] = suffix_p
                            sv[c] = suffix_pv
                        else:
                            h = w2 * pc * pc * (prefix[c] + suffix_q)
                            if exact:
                                h += (1.0 - 2.0 * pc) * g
                            hess[i, c] = h if h > HESSIAN_FLOOR else HESSIAN_FLOOR
                    if gershgorin:
                        _gershgorin_pass(e, base, r, cum_p, v, sp, sv, w2, hess, i)
        return n_bad

    return kernel


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
    margins (the caller raises: the outputs are then meaningless).  Runs the kernel of
    ``hess_kind`` (``_GRAD_HESS_KERNELS``)."""
    return int(_GRAD_HESS_KERNELS[int(hess_kind)](margins, labels, weights, valid,
                                                  float(scale), grad, hess))


#: The kernel of each Hessian choice; made at import, compiled on first call.
_GRAD_HESS_KERNELS = {kind: _make_grad_hess_kernel(kind)
                      for kind in (HESS_GAUSS_NEWTON, HESS_EXACT_CLIPPED, HESS_GERSHGORIN)}
