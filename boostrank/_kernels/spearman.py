r"""Soft Spearman correlation per group (centimators ``SpearmanCorrelation``).

For a group with m valid rows, soft ranks with strength tau (j = i included, sigma(0) = 1/2):

    r_i(x) = sum_j sigma((x_i - x_j) / tau)

a = r(s) - mean, b = r(y) - mean, A = sum a^2, B = sum b^2, N = sum a b,
D = sqrt(A B + 1e-7), corr = N / D and the group's loss is l_g = -wbar_g * corr, wbar_g the
mean weight of its valid rows.

Gradient.  d corr / d r_k = c_k = b_k / D - N B a_k / D^3 (centring drops out because
sum c = 0), and d r_i / d s_k = -sigma'_ik / tau (i != k), sum_{j != k} sigma'_kj / tau (i = k)
with sigma'_kj = sigma(u) sigma(-u), u = (s_k - s_j) / tau.  Hence

    d l_g / d s_k = -wbar_g * sum_{j != k} sigma'_kj (c_k - c_j) / tau.

Hessian surrogates (the exact one is indefinite):

* GAUSS_NEWTON (default): corr = <a_hat, b_hat> = 1 - |a_hat - b_hat|^2 / 2 for unit vectors;
  the Gauss-Newton diagonal of that least-squares form is

      h_k = wbar_g * (B / D_h^2) * max(|v_k|^2 - (a_hat . v_k)^2, 0.1 |v_k|^2),

  v_k = d r / d s_k (column k of the soft-rank Jacobian), with two safeguards.  The projection
  may remove at most 90% of |v_k|^2 (with two rows it removes all of it and the step would
  explode).  D_h^2 = max(D^2, tie_step sqrt(1e-7 B m) (m - 1) / 4): from all-equal scores the
  plain Gauss-Newton step is ~1e-9, below the float32 resolution of XGBoost's margins at its
  0.5 start, so training would never leave the tie; with the floor, rows first move by about
  tie_step * tau.  Away from ties h_k is the plain Gauss-Newton diagonal, whose steps are
  proportional to the current spread of the soft ranks (the loss is scale-free there).
* PAIR_MAGNITUDE: h_k = wbar_g * sum_j sigma'_kj |c_k - c_j| / tau^2, which bounds each row's
  Newton step by tau (sign-like steps; measured worse, kept for comparison).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from .._config import HESSIAN_FLOOR, PARALLEL, SERIAL
from ._math import sigmoid

HESS_PAIR_MAGNITUDE = 0
HESS_GAUSS_NEWTON = 1
CORR_EPS = 1e-7
#: The projection in the Gauss-Newton diagonal may remove at most this share's complement of
#: |v_k|^2: with two rows (or v_k along a) it would otherwise vanish and the step explode.
GN_DAMPING = 0.1


@nb.njit(**SERIAL)
def soft_rank(x: np.ndarray, tau: float, out: np.ndarray) -> None:
    """out_i = sum_j sigma((x_i - x_j) / tau), each unordered pair evaluated once."""
    m = x.size
    inv = 1.0 / tau
    for i in range(m):
        out[i] = 0.5
    for i in range(m):
        xi = x[i]
        for j in range(i + 1, m):
            s = sigmoid((xi - x[j]) * inv)
            out[i] += s
            out[j] += 1.0 - s


@nb.njit(**SERIAL)
def _group_corr_parts(
    scores: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray,
    valid: np.ndarray,
    start: int,
    end: int,
    tau: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float, float, float, float]:
    """Valid-row indices, scores, centred soft ranks a, b, and A, B, N, wbar."""
    m = 0
    wsum = 0.0
    for i in range(start, end):
        if valid[i]:
            m += 1
            wsum += weights[i]
    idx = np.empty(m, dtype=np.int64)
    x = np.empty(m, dtype=np.float64)
    y = np.empty(m, dtype=np.float64)
    t = 0
    for i in range(start, end):
        if valid[i]:
            idx[t] = i
            x[t] = scores[i]
            y[t] = labels[i]
            t += 1
    a = np.empty(m, dtype=np.float64)
    b = np.empty(m, dtype=np.float64)
    soft_rank(x, tau, a)
    soft_rank(y, tau, b)
    mean = 0.5 * m  # soft ranks always sum to m^2 / 2
    big_a = 0.0
    big_b = 0.0
    big_n = 0.0
    for i in range(m):
        a[i] -= mean
        b[i] -= mean
        big_a += a[i] * a[i]
        big_b += b[i] * b[i]
        big_n += a[i] * b[i]
    wbar = wsum / m if m > 0 else 0.0
    return idx, x, a, b, big_a, big_b, big_n, wbar


@nb.njit(**PARALLEL)
def spearman_loss_groups(
    scores: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray,
    valid: np.ndarray,
    offsets: np.ndarray,
    tau: float,
    out: np.ndarray,
) -> None:
    n_groups = offsets.size - 1
    for g in nb.prange(n_groups):
        _, _, _, _, big_a, big_b, big_n, wbar = _group_corr_parts(
            scores, labels, weights, valid, offsets[g], offsets[g + 1], tau
        )
        out[g] = -wbar * big_n / math.sqrt(big_a * big_b + CORR_EPS)


@nb.njit(**PARALLEL)
def spearman_grad_hess(
    scores: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray,
    valid: np.ndarray,
    offsets: np.ndarray,
    tau: float,
    hess_kind: int,
    tie_step: float,
    grad: np.ndarray,
    hess: np.ndarray,
) -> None:
    n_groups = offsets.size - 1
    inv = 1.0 / tau
    for g in nb.prange(n_groups):
        start = offsets[g]
        end = offsets[g + 1]
        for i in range(start, end):
            grad[i] = 0.0
            hess[i] = HESSIAN_FLOOR
        idx, x, a, b, big_a, big_b, big_n, wbar = _group_corr_parts(
            scores, labels, weights, valid, start, end, tau
        )
        m = idx.size
        if m < 2 or wbar == 0.0:
            continue
        d = math.sqrt(big_a * big_b + CORR_EPS)
        c = np.empty(m, dtype=np.float64)
        for i in range(m):
            c[i] = b[i] / d - big_n * big_b * a[i] / (d * d * d)
        gsum = np.zeros(m, dtype=np.float64)
        habs = np.zeros(m, dtype=np.float64)
        dsum = np.zeros(m, dtype=np.float64)  # sum_j sigma'_kj
        dsq = np.zeros(m, dtype=np.float64)  # sum_j sigma'_kj^2
        adot = np.zeros(m, dtype=np.float64)  # sum_j sigma'_kj (a_k - a_j)
        for i in range(m):
            xi = x[i]
            for j in range(i + 1, m):
                s = sigmoid((xi - x[j]) * inv)
                sd = s * (1.0 - s)
                if sd == 0.0:
                    continue
                t = sd * (c[i] - c[j])
                gsum[i] += t
                gsum[j] -= t
                if hess_kind == HESS_PAIR_MAGNITUDE:
                    habs[i] += abs(t)
                    habs[j] += abs(t)
                else:
                    dsum[i] += sd
                    dsum[j] += sd
                    dsq[i] += sd * sd
                    dsq[j] += sd * sd
                    da = sd * (a[i] - a[j])
                    adot[i] += da
                    adot[j] -= da
        inv_norm_a = 1.0 / math.sqrt(big_a) if big_a > 0.0 else 0.0
        # floor of D^2 in the Gauss-Newton diagonal: from all-equal scores, the Newton step of
        # row k is then tie_step * tau * b_k * sqrt(m) / |b| (rows move ~tie_step * tau)
        tie_d2 = tie_step * math.sqrt(CORR_EPS * big_b * m) * (m - 1) / 4.0
        for i in range(m):
            row = idx[i]
            grad[row] = -wbar * gsum[i] * inv
            if hess_kind == HESS_PAIR_MAGNITUDE:
                h = wbar * habs[i] * inv * inv
            else:
                vv = (dsum[i] * dsum[i] + dsq[i]) * inv * inv
                av = adot[i] * inv * inv_norm_a
                d2 = max(big_a * big_b + CORR_EPS, tie_d2)
                h = wbar * big_b / d2 * max(vv - av * av, GN_DAMPING * vv)
            hess[row] = h if h > HESSIAN_FLOOR else HESSIAN_FLOOR
