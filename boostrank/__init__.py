"""boostrank: ranking and ordinal objectives for XGBoost and LightGBM.

Pass an objective object straight to the host library::

    xgb.train(params, dtrain, obj=boostrank.pairwise_soft_zero_one)
    lgb.train({"objective": boostrank.soft_spearman}, train_set)
    xgb.XGBClassifier(objective=boostrank.rps)
"""

from . import plotting
from .callbacks import LearningCurve
from .evaluation import evaluate, summarize
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
    RankedProbabilityScore,
    SoftmaxRanking,
    SoftSpearman,
    YetiRank,
)
from .ordinal import expected_value, predict_proba

__version__ = "0.1.0"

pairwise_soft_zero_one = PairwiseSoftZeroOne()
pairwise_logistic = PairwiseLogistic()
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
    "LearningCurve",
    "LossMetric",
    "Metric",
    "Objective",
    "PairwiseAccuracy",
    "PairwiseLogistic",
    "PairwiseSoftZeroOne",
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
