"""boostrank: ranking and ordinal objectives for XGBoost and LightGBM.

Pass an objective object straight to the host library::

    xgb.train(params, dtrain, obj=boostrank.pairwise_soft_zero_one)
    lgb.train({"objective": boostrank.soft_spearman}, train_set)
    xgb.XGBClassifier(objective=boostrank.rps)
"""

from .metrics import (
    NDCG,
    LossMetric,
    Metric,
    PairwiseAccuracy,
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
)

__version__ = "0.1.0"

pairwise_soft_zero_one = PairwiseSoftZeroOne()
pairwise_logistic = PairwiseLogistic()
softmax_ranking = SoftmaxRanking()
soft_spearman = SoftSpearman()
combined_loss = CombinedLoss()
rps = RankedProbabilityScore()

__all__ = [
    "NDCG",
    "CombinedLoss",
    "LossMetric",
    "Metric",
    "Objective",
    "PairwiseAccuracy",
    "PairwiseLogistic",
    "PairwiseSoftZeroOne",
    "RPSMetric",
    "RankedProbabilityScore",
    "SoftSpearman",
    "SoftmaxRanking",
    "SpearmanMetric",
    "__version__",
    "combined_loss",
    "ndcg",
    "pairwise_accuracy",
    "pairwise_logistic",
    "pairwise_soft_zero_one",
    "rps",
    "rps_score",
    "soft_spearman",
    "softmax_ranking",
    "spearman",
]
