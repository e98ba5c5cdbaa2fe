"""Shared fixtures: seeded grouped data, the registry of objectives and their references."""

from __future__ import annotations

import os

# The CUDA twins run on numba's simulator unless a GPU run sets NUMBA_ENABLE_CUDASIM=0; tiny
# blocks make the simulator execute multi-block groups.  Numba reads both at import.
os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")
os.environ.setdefault("BOOSTRANK_CUDA_THREADS", "4")

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import reference as ref

import boostrank as br

# --------------------------------------------------------------------------- shared data
DATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def shared_data(name: str) -> Any:
    """Load ``../shared/data/<name>`` (an ``.npz``); skip the test when it is absent."""
    path = DATA_DIR / name
    if not path.is_file():
        pytest.skip(f"shared data set {name!r} not found at {path} (the data sets live outside "
                    "the repository and are not redistributable)")
    return np.load(path, allow_pickle=False)


# --------------------------------------------------------------------------- random data
#: group sizes: a single row, a pair, a larger list, ... (sum 60, <= 30 rows per group)
DEFAULT_SIZES = (1, 2, 7, 3, 12, 5, 30)
SMALL_SIZES = (1, 3, 6, 2, 9, 4)


@dataclass(frozen=True)
class Data:
    """Flat grouped data: labels, scores ((n,) or (n, K) margins), groups, weights, mask."""

    y: np.ndarray
    s: np.ndarray
    sizes: np.ndarray
    w: np.ndarray  # per-row weights
    where: np.ndarray  # boolean mask of rows to use

    @property
    def n(self) -> int:
        return int(self.y.shape[0])

    @property
    def offsets(self) -> np.ndarray:
        return np.concatenate(([0], np.cumsum(self.sizes))).astype(np.int64)

    @property
    def n_groups(self) -> int:
        return int(self.sizes.size)

    @property
    def qid(self) -> np.ndarray:
        # contiguous, not sorted, not starting at 0
        ids = (np.arange(self.n_groups) * 7 + 3) % 101
        return np.repeat(ids, self.sizes)

    def group_weights(self) -> np.ndarray:
        """One weight per group (self.w must be constant within groups)."""
        return self.w[self.offsets[:-1]]


def make_data(
    seed: int,
    sizes: tuple[int, ...] = DEFAULT_SIZES,
    *,
    n_classes: int | None = None,
    label_max: int = 4,
    neg_frac: float = 0.1,
    mask_frac: float = 0.1,
    group_weights: bool = False,
    score_scale: float = 1.5,
) -> Data:
    """Random grouped data.  Labels are grades 0..label_max with some 1.5 (ranking) or classes
    0..K-1 (``n_classes``), a share ``neg_frac`` set to -1 (ignored rows); ``where`` hides a
    share ``mask_frac`` of rows and the whole second group (a group with no valid row);
    the third group has constant labels.  Scores are continuous (no ties)."""
    rng = np.random.default_rng(seed)
    sz = np.asarray(sizes, dtype=np.int64)
    n = int(sz.sum())
    off = np.concatenate(([0], np.cumsum(sz)))
    if n_classes is None:
        y = rng.integers(0, label_max + 1, n).astype(np.float64)
        y[rng.random(n) < 0.1] = 1.5
        s = rng.normal(size=n) * score_scale
    else:
        y = rng.integers(0, n_classes, n).astype(np.float64)
        s = rng.normal(size=(n, n_classes)) * score_scale
    y[rng.random(n) < neg_frac] = -1.0
    if sz.size > 2 and sz[2] > 1:
        y[off[2]:off[3]] = 2.0
    where = rng.random(n) >= mask_frac
    if sz.size > 1:
        where[off[1]:off[2]] = False
    if group_weights:
        w = np.repeat(rng.uniform(0.3, 2.0, sz.size), sz)
    else:
        w = rng.uniform(0.3, 2.0, n)
    return Data(y, s, sz, w, where)


def drop_rows(d: Data, keep: np.ndarray) -> Data:
    """The same data with only the rows ``keep`` (empty groups dropped)."""
    gid = np.repeat(np.arange(d.n_groups), d.sizes)[keep]
    sizes = np.bincount(gid, minlength=d.n_groups)
    return replace(d, y=d.y[keep], s=d.s[keep], sizes=sizes[sizes > 0], w=d.w[keep],
                   where=d.where[keep])


# --------------------------------------------------------------------------- registry
TAU = 0.1  # soft Spearman strength: well conditioned for finite differences

REGISTRY = [
    pytest.param(br.PairwiseSoftZeroOne(), id="softzeroone"),
    pytest.param(br.PairwiseSoftZeroOne(temperature=0.5, lambda_weight="ndcg", k=3),
                 id="softzeroone-T0.5-ndcg@3"),
    pytest.param(br.PairwiseSoftZeroOne(hessian="exact"), id="softzeroone-exacthess"),
    pytest.param(br.PairwiseLogistic(), id="logistic"),
    pytest.param(br.PairwiseLogistic(lambda_weight="ndcg"), id="logistic-ndcg"),
    pytest.param(br.SoftmaxRanking(), id="softmax"),
    pytest.param(br.SoftSpearman(regularization_strength=TAU), id="spearman"),
    pytest.param(br.SoftSpearman(hessian="pair_magnitude", regularization_strength=TAU),
                 id="spearman-pm"),
    pytest.param(br.SoftSpearman(regularization_strength=TAU, tie_step=0.5), id="spearman-tie"),
    pytest.param(br.SoftSpearman(regularization_strength=TAU, method="windowed"),
                 id="spearman-windowed"),
    pytest.param(br.SoftSpearman(hessian="pair_magnitude", regularization_strength=TAU,
                                 method="windowed"), id="spearman-pm-windowed"),
    pytest.param(br.SoftSpearman(regularization_strength=TAU, method="exact"),
                 id="spearman-exact"),
    pytest.param(br.CombinedLoss(regularization_strength=TAU), id="combined"),
    pytest.param(br.CombinedLoss(regularization_strength=TAU, method="windowed"),
                 id="combined-windowed"),
    pytest.param(br.RankedProbabilityScore(), id="rps"),
    pytest.param(br.RankedProbabilityScore(hessian="gauss_newton"), id="rps-gn"),
    pytest.param(br.RankedProbabilityScore(normalize=True, hessian="exact"),
                 id="rps-normalized-exacthess"),
    pytest.param(br.PairwiseSquaredHinge(), id="hinge"),
    pytest.param(br.PairwiseSquaredHinge(margin=0.5, lambda_weight="ndcg", k=3,
                                         hessian="upper_bound"), id="hinge-m0.5-ndcg@3-bound"),
    pytest.param(br.YetiRank(), id="yetirank"),
    pytest.param(br.YetiRank(permutations=3, decay=0.8, weights="ndcg", hessian="logistic",
                             seed=7), id="yetirank-ndcg-logistic"),
]

N_CLASSES = 4


def is_rps(obj: Any) -> bool:
    return isinstance(obj, br.RankedProbabilityScore)


def is_pairwise(obj: Any) -> bool:
    return isinstance(obj, br.PairwiseSoftZeroOne | br.PairwiseLogistic)


def is_spearman_family(obj: Any) -> bool:
    return isinstance(obj, br.SoftSpearman)  # CombinedLoss included


def is_yetirank(obj: Any) -> bool:
    return isinstance(obj, br.YetiRank)


def is_hinge(obj: Any) -> bool:
    return isinstance(obj, br.PairwiseSquaredHinge)


def row_unreduced(obj: Any) -> bool:
    """Pairwise (squared hinge included), YetiRank and RPS: reduction="none" is per row,
    "mean" divides by the rows passed."""
    return is_pairwise(obj) or is_hinge(obj) or is_yetirank(obj) or is_rps(obj)


def counts_rounds(obj: Any) -> bool:
    """YetiRank draws new noise in every host call (boosting round): comparisons of one host
    call with ``grad_hess`` (round 0) use a fresh copy per call."""
    return is_yetirank(obj)


def draws_by_position(obj: Any) -> bool:
    """YetiRank's noise is drawn per (group index, position in the group): reordering rows or
    groups, or removing rows, changes which row gets which draw (masking does not)."""
    return is_yetirank(obj)


def ignores_negative(obj: Any) -> bool:
    """Documented: relevance-label losses and RPS ignore rows with negative labels."""
    return not is_spearman_family(obj)


def shift_invariant(obj: Any) -> bool:
    """Ranking losses see only score differences; the MSE part of CombinedLoss does not."""
    return not isinstance(obj, br.CombinedLoss)


def true_hessian(obj: Any) -> bool:
    """Objectives whose Hessian is the exact diagonal (clipped at the floor)."""
    if isinstance(obj, br.PairwiseLogistic | br.SoftmaxRanking):
        return True
    if is_yetirank(obj):
        return obj.hessian == "logistic"
    return getattr(obj, "hessian", None) == "exact"


def data_for(obj: Any, seed: int, sizes: tuple[int, ...] = DEFAULT_SIZES, **kw: Any) -> Data:
    return make_data(seed, sizes, n_classes=N_CLASSES if is_rps(obj) else None, **kw)


def ref_parts(obj: Any, y, s, offsets, w=None, where=None) -> np.ndarray:
    """Reference unreduced loss: per row (pairwise, RPS) or per group (listwise)."""
    if is_rps(obj):
        return ref.rps_rows(s, y, w, where, normalize=obj.normalize)
    if isinstance(obj, br.CombinedLoss):
        return ref.combined_groups(s, y, offsets, w, where, tau=obj.regularization_strength,
                                   mse_weight=obj.mse_weight,
                                   spearman_weight=obj.spearman_weight)
    if isinstance(obj, br.SoftSpearman):
        return ref.soft_spearman_groups(s, y, offsets, w, where,
                                        tau=obj.regularization_strength)
    if isinstance(obj, br.SoftmaxRanking):
        return ref.softmax_groups(s, y, offsets, w, where)
    if is_yetirank(obj):
        return ref.yetirank_rows(s, y, offsets, w, where, **yetirank_options(obj))
    if is_hinge(obj):
        return ref.squared_hinge_rows(s, y, offsets, w, where, **hinge_options(obj))
    kind = "soft_zero_one" if isinstance(obj, br.PairwiseSoftZeroOne) else "logistic"
    return ref.pairwise_rows(s, y, offsets, w, where, kind=kind, temperature=obj.temperature,
                             ndcg=obj.lambda_weight == "ndcg", k=obj.k)


def yetirank_options(obj: Any, rnd: int = 0) -> dict[str, Any]:
    """The reference's keyword arguments for a YetiRank object's pairs at round ``rnd``."""
    return {"permutations": obj.permutations, "decay": obj.decay, "weights_kind": obj.weights,
            "seed": obj.seed, "rnd": rnd}


def hinge_options(obj: Any) -> dict[str, Any]:
    """The reference's keyword arguments for a PairwiseSquaredHinge object."""
    return {"margin": obj.margin, "ndcg": obj.lambda_weight == "ndcg", "k": obj.k}


def ref_loss(obj: Any, y, s, offsets, w=None, where=None, reduction="mean"):
    parts = ref_parts(obj, y, s, offsets, w, where)
    if row_unreduced(obj):
        return ref.reduce_rows(parts, reduction)
    counts = ref.count_valid(y, offsets, where, ignore_negative=ignores_negative(obj))
    return ref.reduce_groups(parts, counts, reduction)


def ref_hess(obj: Any, y, s, offsets, w=None, where=None) -> np.ndarray:
    """The documented Hessian (exact or surrogate), floored."""
    if is_rps(obj):
        if obj.hessian == "gershgorin":
            return ref.rps_hess_gershgorin(s, y, w, where, normalize=obj.normalize)
        if obj.hessian == "gauss_newton":
            return ref.rps_hess_gauss_newton(s, y, w, where, normalize=obj.normalize)
        raise ValueError("no closed-form reference for the exact RPS Hessian")
    if isinstance(obj, br.CombinedLoss):
        return ref.combined_hess(s, y, offsets, w, where, tau=obj.regularization_strength,
                                 mse_weight=obj.mse_weight, spearman_weight=obj.spearman_weight,
                                 hessian=obj.hessian, tie_step=obj.tie_step)
    if isinstance(obj, br.SoftSpearman):
        return ref.soft_spearman_hess(s, y, offsets, w, where, tau=obj.regularization_strength,
                                      hessian=obj.hessian, tie_step=obj.tie_step)
    if isinstance(obj, br.SoftmaxRanking):
        return ref.softmax_hess(s, y, offsets, w, where)
    if is_yetirank(obj):
        return ref.yetirank_grad_hess(s, y, offsets, w, where, hessian=obj.hessian,
                                      **yetirank_options(obj))[1]
    if is_hinge(obj):
        return ref.squared_hinge_grad_hess(s, y, offsets, w, where, hessian=obj.hessian,
                                           **hinge_options(obj))[1]
    kind = "soft_zero_one" if isinstance(obj, br.PairwiseSoftZeroOne) else "logistic"
    return ref.pairwise_hess(s, y, offsets, w, where, kind=kind, temperature=obj.temperature,
                             ndcg=obj.lambda_weight == "ndcg", k=obj.k, hessian=obj.hessian)


@pytest.fixture(params=REGISTRY)
def objective(request: pytest.FixtureRequest) -> Any:
    return request.param
