"""boostrank: ranking and ordinal objectives for XGBoost and LightGBM.

Pass an objective object straight to the host library::

    xgb.train(params, dtrain, obj=boostrank.pairwise_soft_zero_one)
    lgb.train({"objective": boostrank.soft_spearman}, train_set)
    xgb.XGBClassifier(objective=boostrank.rps)
"""

from typing import Any

from ._config import CompileWarning
from .metrics import (
    MAP,
    MRR,
    NDCG,
    LossMetric,
    Metric,
    PairwiseAccuracy,
    PearsonMetric,
    RPSMetric,
    SpearmanMetric,
    ndcg,
    pairwise_accuracy,
    rps_score,
    spearman,
)
from .objectives import (
    CombinedLoss,
    Objective,
    PairwiseLogistic,
    PairwiseSoftZeroOne,
    PairwiseSquaredHinge,
    RankedProbabilityScore,
    SoftmaxRanking,
    SoftSpearman,
    YetiRank,
)
from .ordinal import expected_value, predict_proba

__version__ = "0.1.0"

#: Imported on first use (module ``__getattr__``): ``callbacks`` imports XGBoost (and with it
#: scikit-learn, ~1-2 s), ``evaluation`` and ``plotting`` pandas, none of which a first
#: ``grad_hess`` needs.
_LAZY = ("LearningCurve", "evaluate", "summarize", "plotting")


def __getattr__(name: str) -> Any:
    value: Any
    if name == "LearningCurve":
        from .callbacks import LearningCurve as value
    elif name in ("evaluate", "summarize"):
        from . import evaluation

        value = getattr(evaluation, name)
    elif name == "plotting":
        # (``from . import plotting`` would look the name up here again, recursively)
        from .plotting import plot_group_metric  # noqa: F401  imports the submodule

        value = globals()["plotting"]  # set by the import system on the package
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))

pairwise_soft_zero_one = PairwiseSoftZeroOne()
pairwise_logistic = PairwiseLogistic()
pairwise_squared_hinge = PairwiseSquaredHinge()
softmax_ranking = SoftmaxRanking()
soft_spearman = SoftSpearman()
combined_loss = CombinedLoss()
rps = RankedProbabilityScore()
yetirank = YetiRank()

__all__ = [
    "MAP",
    "MRR",
    "NDCG",
    "CombinedLoss",
    "CompileWarning",
    "LearningCurve",
    "LossMetric",
    "Metric",
    "Objective",
    "PairwiseAccuracy",
    "PairwiseLogistic",
    "PairwiseSoftZeroOne",
    "PairwiseSquaredHinge",
    "PearsonMetric",
    "RPSMetric",
    "RankedProbabilityScore",
    "SoftSpearman",
    "SoftmaxRanking",
    "SpearmanMetric",
    "YetiRank",
    "__version__",
    "combined_loss",
    "evaluate",
    "expected_value",
    "ndcg",
    "pairwise_accuracy",
    "pairwise_logistic",
    "pairwise_soft_zero_one",
    "pairwise_squared_hinge",
    "plotting",
    "predict_proba",
    "rps",
    "rps_score",
    "soft_spearman",
    "softmax_ranking",
    "spearman",
    "summarize",
    "yetirank",
]
