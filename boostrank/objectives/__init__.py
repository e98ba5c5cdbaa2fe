r"""Objectives: loss, exact gradient and a positive Hessian, callable by XGBoost and LightGBM.

Every objective is an object with

* ``loss(y_true, y_pred, *, group=None, qid=None, weight=None, where=None, reduction="mean")``
* ``grad_hess(y_true, y_pred, *, group=None, qid=None, weight=None, where=None)``
* ``__call__``: the host libraries' calling conventions (see :mod:`boostrank._hosts`), so the
  object is passed straight to ``xgb.train(obj=...)``, ``lgb.train({"objective": ...})`` and the
  sklearn estimators.

Groups are given as ``group=`` sizes, ``qid=`` per-row ids, a padded 2-D ``(n_lists, list_size)``
``y_pred`` (with an optional boolean ``where`` of the same shape), or not at all (one group of
all rows).  ``grad_hess`` returns the exact gradient of ``loss(..., reduction="sum")`` and the
Hessian diagonal the objective uses; both have ``y_pred``'s shape.  The host libraries receive
exactly these arrays, except that under ``xgb.train`` the ranking losses (pairwise, softmax)
multiply each group's gradient and Hessian by the constant log2(1 + S_g) / S_g,
S_g = sum |grad| over the group, as the hosts' built-in LambdaMART does
(``group_scale="auto"``, the default; see :func:`lambdarank_group_scale` and docs/hosts.md for
the measurements behind it), and that under XGBoost (``xgb.train`` and its sklearn API) the
ranking losses and RPS double the Hessian they hand over, XGBoost's own convention
(``hessian_factor="auto"``; see :class:`PairwiseSoftZeroOne`).

One module per loss, named as its kernels in :mod:`boostrank._kernels` and their CUDA twins in
:mod:`boostrank._cuda`: :mod:`~boostrank.objectives.pairwise`,
:mod:`~boostrank.objectives.hinge` (the pairwise squared hinge),
:mod:`~boostrank.objectives.softmax`, :mod:`~boostrank.objectives.spearman` (soft Spearman and
CombinedLoss), :mod:`~boostrank.objectives.rps` and :mod:`~boostrank.objectives.yetirank`;
:mod:`~boostrank.objectives._base` holds what they share.
"""

from ._base import GROUP_SCALES as GROUP_SCALES
from ._base import LARGE_GROUP as LARGE_GROUP
from ._base import REDUCTIONS as REDUCTIONS
from ._base import XGBOOST_HESSIAN_FACTOR as XGBOOST_HESSIAN_FACTOR
from ._base import XGBOOST_SKLEARN as XGBOOST_SKLEARN
from ._base import Batch as Batch
from ._base import Objective
from ._base import check_hessian_factor as check_hessian_factor
from ._base import host_hessian_factor as host_hessian_factor
from ._base import lambdarank_group_scale as lambdarank_group_scale
from .hinge import PairwiseSquaredHinge
from .pairwise import PairwiseLogistic, PairwiseSoftZeroOne
from .rps import RankedProbabilityScore
from .softmax import SoftmaxRanking
from .spearman import CombinedLoss, SoftSpearman
from .yetirank import YetiRank

__all__ = [
    "CombinedLoss",
    "Objective",
    "PairwiseLogistic",
    "PairwiseSoftZeroOne",
    "PairwiseSquaredHinge",
    "RankedProbabilityScore",
    "SoftSpearman",
    "SoftmaxRanking",
    "YetiRank",
]
