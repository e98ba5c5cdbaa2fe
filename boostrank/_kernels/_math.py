"""Scalar device-free maths shared by the kernels (numerically stable forms)."""

from __future__ import annotations

import math

import numba as nb

from .._config import SERIAL


@nb.njit(**SERIAL)
def sigmoid(u: float) -> float:
    """1 / (1 + exp(-u)) without overflow for any finite u."""
    if u >= 0.0:
        return 1.0 / (1.0 + math.exp(-u))
    e = math.exp(u)
    return e / (1.0 + e)


@nb.njit(**SERIAL)
def sigmoid_both(u: float) -> tuple[float, float]:
    """(sigma(u), sigma(-u)) from one exponential, both to full relative precision."""
    e = math.exp(-abs(u))
    inv = 1.0 / (1.0 + e)
    if u >= 0.0:
        return inv, e * inv
    return e * inv, inv


@nb.njit(**SERIAL)
def softplus_neg(u: float) -> float:
    """log(1 + exp(-u)) without overflow: max(-u, 0) + log1p(exp(-|u|))."""
    return max(-u, 0.0) + math.log1p(math.exp(-abs(u)))


@nb.njit(**SERIAL)
def ndcg_discount(rank: int, k: int) -> float:
    """1 / log2(1 + rank) for 1-based ``rank``; 0 beyond the cut-off ``k`` (k <= 0: none)."""
    if k > 0 and rank > k:
        return 0.0
    return 1.0 / math.log2(1.0 + rank)


@nb.njit(**SERIAL)
def ndcg_gain(label: float) -> float:
    """Exponential gain 2^y - 1."""
    return 2.0**label - 1.0
