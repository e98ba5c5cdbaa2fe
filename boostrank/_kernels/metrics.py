"""Per-group metric kernels.  Undefined groups are written as NaN; the Python layer applies
the documented convention (skip or a fixed score) before averaging.  Sorting goes through the
shared ``_sort.radix_argsort`` (stable, as ``np.argsort(kind="stable")``), not Numba's
``np.sort`` / ``np.argsort``, which compile a sort of their own for each use."""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from .._config import PARALLEL, SERIAL
from ._math import ndcg_discount
from ._sort import radix_argsort


@nb.njit(**SERIAL)
def _valid_slice(
    scores: np.ndarray, labels: np.ndarray, valid: np.ndarray, start: int, end: int
) -> tuple[np.ndarray, np.ndarray]:
    m = 0
    for i in range(start, end):
        if valid[i]:
            m += 1
    x = np.empty(m, dtype=np.float64)
    y = np.empty(m, dtype=np.float64)
    t = 0
    for i in range(start, end):
        if valid[i]:
            x[t] = scores[i]
            y[t] = labels[i]
            t += 1
    return x, y


@nb.njit(**SERIAL)
def _gain(label: float, exponential: bool) -> float:
    return 2.0**label - 1.0 if exponential else label


@nb.njit(**SERIAL)
def _descending(x: np.ndarray) -> np.ndarray:
    """A stable argsort of x by descending value (equal values in row order)."""
    neg = np.empty(x.size)
    for i in range(x.size):
        neg[i] = -x[i]
    return radix_argsort(neg)


@nb.njit(**SERIAL)
def _tie_averaged_dcg(x: np.ndarray, y: np.ndarray, k: int, exponential: bool) -> float:
    """DCG@k of ordering by descending x; items with equal x share their block's mean gain
    (the expected DCG over random tie orders, as scikit-learn's ``ndcg_score``)."""
    m = x.size
    order = _descending(x)
    dcg = 0.0
    r = 0
    while r < m:
        e = r + 1
        while e < m and x[order[e]] == x[order[r]]:
            e += 1
        gain_sum = 0.0
        disc_sum = 0.0
        for t in range(r, e):
            gain_sum += _gain(y[order[t]], exponential)
            disc_sum += ndcg_discount(t + 1, k)
        dcg += gain_sum / (e - r) * disc_sum
        r = e
    return dcg


@nb.njit(**PARALLEL)
def ndcg_groups(
    scores: np.ndarray,
    labels: np.ndarray,
    valid: np.ndarray,
    offsets: np.ndarray,
    k: int,
    exponential: bool,
    out: np.ndarray,
) -> None:
    """NDCG@k per group; NaN where the ideal DCG is 0 (no relevant row) or no valid row."""
    for g in nb.prange(offsets.size - 1):
        x, y = _valid_slice(scores, labels, valid, offsets[g], offsets[g + 1])
        ideal = 0.0
        by_label = _descending(y)
        for r in range(y.size):
            ideal += _gain(y[by_label[r]], exponential) * ndcg_discount(r + 1, k)
        if ideal <= 0.0:
            out[g] = np.nan
        else:
            out[g] = _tie_averaged_dcg(x, y, k, exponential) / ideal


@nb.njit(**SERIAL)
def average_ranks(x: np.ndarray) -> np.ndarray:
    """1-based ranks with ties given their average rank (scipy ``rankdata``)."""
    m = x.size
    order = radix_argsort(x)
    ranks = np.empty(m, dtype=np.float64)
    r = 0
    while r < m:
        e = r + 1
        while e < m and x[order[e]] == x[order[r]]:
            e += 1
        avg = 0.5 * (r + e - 1) + 1.0
        for t in range(r, e):
            ranks[order[t]] = avg
        r = e
    return ranks


@nb.njit(**SERIAL)
def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation; NaN when b is constant, 0 when only a is.  Constancy is decided on
    the values themselves: centring by a rounded mean leaves ~1e-17 residues (0.7 seven times
    has a mean of 0.7 + 1 ulp), which must not pass for variation."""
    m = a.size
    a_varies = False
    b_varies = False
    for i in range(1, m):
        a_varies |= a[i] != a[0]
        b_varies |= b[i] != b[0]
    if not b_varies:
        return np.nan
    if not a_varies:
        return 0.0
    ma = 0.0
    mb = 0.0
    for i in range(m):
        ma += a[i]
        mb += b[i]
    ma /= m
    mb /= m
    sab = 0.0
    saa = 0.0
    sbb = 0.0
    for i in range(m):
        da = a[i] - ma
        db = b[i] - mb
        sab += da * db
        saa += da * da
        sbb += db * db
    return sab / math.sqrt(saa * sbb)


@nb.njit(**PARALLEL)
def spearman_groups(
    scores: np.ndarray, labels: np.ndarray, valid: np.ndarray, offsets: np.ndarray, out: np.ndarray
) -> None:
    """Spearman correlation per group (exact ranks, ties averaged).  NaN when the group has
    fewer than 2 valid rows or constant labels; 0 when labels vary but scores are constant."""
    for g in nb.prange(offsets.size - 1):
        x, y = _valid_slice(scores, labels, valid, offsets[g], offsets[g + 1])
        if x.size < 2:
            out[g] = np.nan
        else:
            out[g] = _pearson(average_ranks(x), average_ranks(y))


@nb.njit(**PARALLEL)
def pearson_groups(
    scores: np.ndarray, labels: np.ndarray, valid: np.ndarray, offsets: np.ndarray, out: np.ndarray
) -> None:
    """Pearson correlation per group; NaN / 0 as for ``spearman_groups``."""
    for g in nb.prange(offsets.size - 1):
        x, y = _valid_slice(scores, labels, valid, offsets[g], offsets[g + 1])
        out[g] = np.nan if x.size < 2 else _pearson(x, y)


@nb.njit(**PARALLEL)
def pairwise_accuracy_groups(
    scores: np.ndarray, labels: np.ndarray, valid: np.ndarray, offsets: np.ndarray, out: np.ndarray
) -> None:
    """Share of pairs with y_i > y_j ordered s_i > s_j (score ties count 1/2); NaN if no pair."""
    for g in nb.prange(offsets.size - 1):
        x, y = _valid_slice(scores, labels, valid, offsets[g], offsets[g + 1])
        pairs = 0.0
        good = 0.0
        for i in range(x.size):
            for j in range(i + 1, x.size):
                if y[i] == y[j]:
                    continue
                pairs += 1.0
                d = (x[i] - x[j]) if y[i] > y[j] else (x[j] - x[i])
                if d > 0.0:
                    good += 1.0
                elif d == 0.0:
                    good += 0.5
        out[g] = good / pairs if pairs > 0.0 else np.nan


@nb.njit(**SERIAL)
def _tie_averaged_ap_rr(x: np.ndarray, y: np.ndarray, k: int) -> tuple[float, float]:
    """Average precision@k and reciprocal rank@k of ordering by descending x, each the exact
    expectation over random orders of tied scores.  Relevant means label > 0.

    For a block of b tied rows at positions p+1..p+b holding h relevant rows, with H relevant
    rows ranked above it, linearity of expectation gives the block's AP contribution
    sum_t (h/b) (H + 1 + (t-1)(h-1)/(b-1)) / (p+t), and the first relevant row lies at offset j
    with probability prod_{u<j} (b-h-u)/(b-u) * h/(b-j).  AP@k divides by min(k, R) (R relevant
    rows), so a perfect ranking scores 1.  NaN when R = 0.
    """
    m = x.size
    n_rel = 0
    for i in range(m):
        if y[i] > 0.0:
            n_rel += 1
    if n_rel == 0:
        return np.nan, np.nan
    cut = m if k <= 0 else min(k, m)
    order = _descending(x)
    ap_sum = 0.0
    rr = 0.0
    above = 0  # relevant rows in earlier blocks
    r = 0
    while r < cut:
        e = r + 1
        while e < m and x[order[e]] == x[order[r]]:
            e += 1
        b = e - r
        h = 0
        for t in range(r, e):
            if y[order[t]] > 0.0:
                h += 1
        if h > 0:
            for t in range(1, b + 1):
                if r + t > cut:
                    break
                extra = (t - 1) * (h - 1) / (b - 1) if b > 1 else 0.0
                ap_sum += h / b * (above + 1.0 + extra) / (r + t)
            if above == 0:
                q = 1.0  # probability that the first j rows of the block are not relevant
                for j in range(b - h + 1):
                    if r + j + 1 > cut:
                        break
                    rr += q * h / (b - j) / (r + j + 1)
                    q *= (b - h - j) / (b - j)
        above += h
        r = e
    return ap_sum / min(n_rel, cut), rr


@nb.njit(**PARALLEL)
def ap_rr_groups(
    scores: np.ndarray,
    labels: np.ndarray,
    valid: np.ndarray,
    offsets: np.ndarray,
    k: int,
    ap_out: np.ndarray,
    rr_out: np.ndarray,
) -> None:
    """Average precision@k and reciprocal rank@k per group (see ``_tie_averaged_ap_rr``)."""
    for g in nb.prange(offsets.size - 1):
        x, y = _valid_slice(scores, labels, valid, offsets[g], offsets[g + 1])
        ap_out[g], rr_out[g] = _tie_averaged_ap_rr(x, y, k)
