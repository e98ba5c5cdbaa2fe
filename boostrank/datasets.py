"""Seeded synthetic data for examples, tests and benchmarks (no download needed).

Every generator returns a dict with ``X`` (float32), ``y`` and, for grouped data, ``group``
(sizes of consecutive groups) and ``qid`` (per-row group id).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["make_eras", "make_ordinal", "make_ranking"]


def _groups(n_groups: int, group_size: int | tuple[int, int], rng: np.random.Generator) -> Any:
    if isinstance(group_size, tuple):
        lo, hi = group_size
        return rng.integers(lo, hi + 1, size=n_groups)
    return np.full(n_groups, group_size)


def make_ranking(n_groups: int = 200, group_size: int | tuple[int, int] = (5, 50),
                 n_features: int = 20, n_grades: int = 5, noise: float = 1.0,
                 seed: int = 0) -> dict[str, np.ndarray]:
    """Learning-to-rank data: graded relevance 0..n_grades-1 from a noisy nonlinear score.

    Relevance is the quantile bin of ``f(x) + noise * eps`` within each query, with a query-level
    offset so labels are only comparable inside a query (as in LETOR).

    >>> d = make_ranking(n_groups=3, group_size=4, seed=1)
    >>> d["X"].shape, d["group"].tolist()
    ((12, 20), [4, 4, 4])
    """
    rng = np.random.default_rng(seed)
    sizes = _groups(n_groups, group_size, rng)
    n = int(sizes.sum())
    x = rng.normal(size=(n, n_features)).astype(np.float32)
    coef = rng.normal(size=n_features) / np.sqrt(n_features)
    signal = x @ coef + 0.5 * np.sin(2 * x[:, 0]) + 0.3 * x[:, 1] * x[:, 2]
    qid = np.repeat(np.arange(n_groups), sizes)
    latent = signal + noise * rng.normal(size=n) + rng.normal(size=n_groups)[qid]
    y = np.empty(n)
    start = 0
    cuts = np.linspace(0, 1, n_grades + 1)[1:-1] ** 0.5  # fewer relevant than irrelevant rows
    for size in sizes:
        seg = latent[start:start + size]
        y[start:start + size] = np.searchsorted(np.quantile(seg, cuts), seg, side="right")
        start += size
    return {"X": x, "y": y.astype(np.float64), "group": sizes.astype(np.int64), "qid": qid}


def make_eras(n_eras: int = 100, era_size: int = 200, n_features: int = 20, noise: float = 3.0,
              seed: int = 0) -> dict[str, np.ndarray]:
    """Per-era regression in the style of quant tournaments: a weak, era-varying signal and a
    target in [0, 1] given as within-era rank quantiles.

    >>> d = make_eras(n_eras=2, era_size=5, seed=0)
    >>> float(d["y"].min()) >= 0 and float(d["y"].max()) <= 1
    True
    """
    rng = np.random.default_rng(seed)
    n = n_eras * era_size
    x = rng.normal(size=(n, n_features)).astype(np.float32)
    era = np.repeat(np.arange(n_eras), era_size)
    base = rng.normal(size=n_features) / np.sqrt(n_features)
    drift = 0.5 * rng.normal(size=(n_eras, n_features)) / np.sqrt(n_features)
    signal = np.einsum("ij,ij->i", x, base + drift[era]) + 0.5 * np.tanh(x[:, 0] * x[:, 1])
    latent = signal + noise * rng.normal(size=n) + 5 * rng.normal(size=n_eras)[era]
    y = np.empty(n)
    for e in range(n_eras):
        seg = slice(e * era_size, (e + 1) * era_size)
        y[seg] = (np.argsort(np.argsort(latent[seg])) + 0.5) / era_size
    return {"X": x, "y": y, "group": np.full(n_eras, era_size, dtype=np.int64), "qid": era}


def make_ordinal(n_samples: int = 5000, n_features: int = 10, n_classes: int = 7,
                 noise: float = 1.0, seed: int = 0) -> dict[str, np.ndarray]:
    """Ordered classes 0..n_classes-1 from thresholds on a noisy latent score (ordinal
    probit-style), with more mass in the middle classes as in wine-quality data.

    >>> d = make_ordinal(n_samples=100, n_classes=5, seed=0)
    >>> sorted(set(d["y"].astype(int).tolist())) == list(range(5))
    True
    """
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n_samples, n_features)).astype(np.float32)
    coef = rng.normal(size=n_features) / np.sqrt(n_features)
    latent = x @ coef + 0.4 * np.sin(3 * x[:, 0]) + noise * rng.normal(size=n_samples)
    cuts = latent.mean() + latent.std() * np.linspace(-1.8, 1.8, n_classes - 1)
    y = np.searchsorted(cuts, latent, side="right").astype(np.float64)
    return {"X": x, "y": y}
