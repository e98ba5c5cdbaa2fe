"""Loading the shared real data sets (read from ../shared/data, never copied here)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

DATA_DIR = Path(os.environ.get("BOOSTRANK_DATA",
                               Path(__file__).resolve().parents[1].parent / "shared" / "data"))


def load(name: str) -> dict[str, Any]:
    path = DATA_DIR / f"{name}.npz"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: set BOOSTRANK_DATA to the shared data folder")
    with np.load(path) as f:
        return {k: f[k] for k in f.files}


def sizes_of(qid: np.ndarray) -> np.ndarray:
    """Group sizes of contiguous query ids."""
    starts = np.flatnonzero(np.r_[True, qid[1:] != qid[:-1]])
    return np.diff(np.r_[starts, qid.size])


def letor_fold(name: str, fold: int) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """LETOR fold k: train on parts k, k+1, k+2, validate on k+3, test on k+4 (mod 5)."""
    d = load(name)
    parts = {"train": [(fold - 1 + i) % 5 + 1 for i in range(3)],
             "valid": [(fold + 2) % 5 + 1], "test": [(fold + 3) % 5 + 1]}
    out = {}
    for split, ps in parts.items():
        m = np.isin(d["part"], ps)
        out[split] = (d["X"][m], d["y"][m].astype(np.float64), sizes_of(d["qid"][m]))
    return out


def split_groups(sizes: np.ndarray, test_share: float, seed: int) -> np.ndarray:
    """Boolean row mask of the test groups, a seeded random share of whole groups."""
    rng = np.random.default_rng(seed)
    is_test = rng.random(sizes.size) < test_share
    return np.repeat(is_test, sizes)


def stratified_split(y: np.ndarray, test_share: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    test = np.zeros(y.size, dtype=bool)
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        rng.shuffle(idx)
        test[idx[: round(test_share * idx.size)]] = True
    return test


def make_binned_eras(n_eras: int = 120, sizes: tuple[int, int] = (300, 900), n_features: int = 30,
                     noise: float = 4.0, seed: int = 0) -> dict[str, np.ndarray]:
    """Generated eras of another kind than ``boostrank.datasets.make_eras``, in the style of
    tournament data: era sizes drawn uniformly from [sizes[0], sizes[1]), every feature binned
    per era into 5 quantile levels (0, 0.25, ..., 1), a linear signal whose weights change
    from era to era plus an interaction, heavy noise, and the target binned per era into 5
    tied levels (5%, 20%, 50%, 20%, 5% of the rows).  Keys X, y, group (no qid)."""
    rng = np.random.default_rng(seed)
    group = rng.integers(sizes[0], sizes[1], n_eras)
    era = np.repeat(np.arange(n_eras), group)
    x = rng.normal(size=(group.sum(), n_features))
    weights = rng.normal(size=n_features) / np.sqrt(n_features)
    drift = 0.7 * rng.normal(size=(n_eras, n_features)) / np.sqrt(n_features)
    signal = np.einsum("ij,ij->i", x, weights + drift[era]) + 0.5 * np.sin(2 * x[:, 0]) * x[:, 1]
    latent = signal + noise * rng.normal(size=era.size)
    binned, y = np.empty_like(x), np.empty(era.size)
    for start, end in zip(np.r_[0, np.cumsum(group)[:-1]], np.cumsum(group), strict=True):
        share = np.argsort(np.argsort(x[start:end], axis=0), axis=0) / (end - start)
        binned[start:end] = np.floor(share * 5) / 4
        rank = np.argsort(np.argsort(latent[start:end])) / (end - start)
        y[start:end] = np.digitize(rank, [0.05, 0.25, 0.75, 0.95]) / 4
    return {"X": binned.astype(np.float32), "y": y, "group": group.astype(np.int64)}
