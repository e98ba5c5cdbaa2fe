"""LearningCurve under both hosts: what it records equals evaluating the final model."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
import xgboost as xgb
from numpy.testing import assert_allclose

import boostrank as br
from boostrank.datasets import make_ordinal, make_ranking

ROUNDS = 7


@pytest.fixture(scope="module")
def ranking():
    return make_ranking(n_groups=60, seed=0), make_ranking(n_groups=30, seed=1)


def final_summary(curve: br.LearningCurve, dataset: str, metric: str) -> pd.Series:
    h = curve.history
    return h[(h["dataset"] == dataset) & (h["metric"] == metric)].iloc[-1]


@pytest.mark.parametrize("valid_as", ["dmatrix", "tuple", "dict"])
def test_xgboost_records_what_the_final_model_scores(ranking, valid_as):
    train, valid = ranking
    dtrain = xgb.DMatrix(train["X"], train["y"], group=train["group"])
    dvalid = xgb.DMatrix(valid["X"], valid["y"], group=valid["group"])
    data = {"dmatrix": dvalid, "tuple": (valid["X"], valid["y"], valid["group"]),
            "dict": {"X": valid["X"], "y": valid["y"], "qid": valid["qid"]}}[valid_as]
    curve = br.LearningCurve({"valid": data}, every=2, keep_groups=True)
    booster = xgb.train({"max_depth": 3, "nthread": 2}, dtrain, ROUNDS,
                        obj=br.pairwise_logistic, evals=[(dvalid, "valid")], callbacks=[curve],
                        verbose_eval=False)
    assert sorted(curve.history["round"].unique()) == [2, 4, 6]
    # a model of 6 rounds scores what the curve recorded at round 6
    margins = booster.predict(dvalid, output_margin=True, iteration_range=(0, 6))
    expected = br.evaluate(valid["y"], margins, group=valid["group"])
    groups = curve.groups[curve.groups["round"] == 6]
    for metric in ("ndcg@10", "map@10", "mrr@10", "spearman"):
        assert_allclose(groups[metric].to_numpy(), expected[metric].to_numpy(), atol=1e-6)
        assert final_summary(curve, "valid", metric)["mean"] == pytest.approx(
            br.summarize(expected).loc[metric, "mean"], abs=1e-6)


def test_lightgbm_running_margins_equal_full_predictions(ranking):
    train, valid = ranking
    train_set = lgb.Dataset(train["X"], train["y"], group=train["group"])
    valid_set = lgb.Dataset(valid["X"], valid["y"], group=valid["group"], free_raw_data=False)
    constructed = lgb.Dataset(valid["X"], valid["y"], group=valid["group"],
                              free_raw_data=False).construct()
    curve = br.LearningCurve({"valid": valid_set, "constructed": constructed,
                              "tuple": (valid["X"], valid["y"], valid["group"])},
                             every=3, metrics=["ndcg@5", "pairwise_accuracy"], keep_groups=True)
    booster = lgb.train({"objective": br.pairwise_soft_zero_one, "verbose": -1,
                         "num_threads": 2}, train_set, ROUNDS, callbacks=[curve])
    assert sorted(curve.history["round"].unique()) == [3, 6, 7]  # and the last round
    for rounds in (3, 6, 7):
        margins = booster.predict(valid["X"], num_iteration=rounds, raw_score=True)
        expected = br.evaluate(valid["y"], margins, group=valid["group"],
                               metrics=["ndcg@5", "pairwise_accuracy"])
        groups = curve.groups
        for dataset in ("valid", "constructed", "tuple"):
            g = groups[(groups["round"] == rounds) & (groups["dataset"] == dataset)]
            for metric in ("ndcg@5", "pairwise_accuracy"):
                assert_allclose(g[metric].to_numpy(), expected[metric].to_numpy(), atol=1e-12)
    # a second fit starts a fresh history
    lgb.train({"objective": br.pairwise_soft_zero_one, "verbose": -1, "num_threads": 2},
              train_set, 2, callbacks=[curve])
    assert curve.history["round"].max() == 2


def test_lightgbm_builtin_multiclass_and_init_score():
    d = make_ordinal(n_samples=600, n_classes=4, seed=0)
    init = np.random.default_rng(0).normal(size=(600, 4))
    valid = lgb.Dataset(d["X"], d["y"], init_score=init.ravel(order="F"), free_raw_data=False)
    curve = br.LearningCurve({"train": valid})
    booster = lgb.train({"objective": "multiclass", "num_class": 4, "verbose": -1,
                         "num_threads": 2}, lgb.Dataset(d["X"], d["y"]), 4, callbacks=[curve])
    margins = booster.predict(d["X"], raw_score=True) + init
    expected = br.evaluate(d["y"], margins)
    got = curve.history.query("round == 4").set_index("metric")["mean"]
    assert_allclose(got[["rps", "accuracy", "mae"]].to_numpy(),
                    expected[["rps", "accuracy", "mae"]].to_numpy()[0], rtol=1e-10)


def test_sklearn_estimators_and_early_stopping(ranking):
    train, valid = ranking
    held = (valid["X"], valid["y"], valid["group"])
    curve = br.LearningCurve({"valid": held}, metrics=["ndcg"])
    model = xgb.XGBRanker(n_estimators=50, max_depth=3, early_stopping_rounds=2,
                          eval_metric="ndcg@10", callbacks=[curve])
    model.fit(train["X"], train["y"], qid=train["qid"],
              eval_set=[(valid["X"], valid["y"])], eval_qid=[valid["qid"]], verbose=False)
    assert curve.history["round"].max() == model.get_booster().num_boosted_rounds()
    curve = br.LearningCurve({"valid": held}, metrics=["ndcg"])
    lgb.LGBMRanker(n_estimators=3, verbose=-1).fit(train["X"], train["y"], group=train["group"],
                                                   callbacks=[curve])
    assert curve.history["round"].tolist() == [1, 2, 3]


def test_callback_errors(ranking):
    train, valid = ranking
    with pytest.raises(TypeError, match="non-empty mapping"):
        br.LearningCurve([("valid", valid["X"])])
    with pytest.raises(ValueError, match="`every`"):
        br.LearningCurve({"v": (valid["X"], valid["y"])}, every=0)
    with pytest.raises(ValueError, match="`every`"):
        br.LearningCurve({"v": (valid["X"], valid["y"])}, every=float("inf"))
    with pytest.raises(TypeError, match="come from the eval sets"):
        br.LearningCurve({"v": (valid["X"], valid["y"])}, group=valid["group"])
    with pytest.raises(ValueError, match="keys 'X' and 'y'"):
        br.LearningCurve({"v": {"X": valid["X"]}})
    with pytest.raises(TypeError, match=r"expected an xgboost\.DMatrix"):
        br.LearningCurve({"v": valid["X"]})
    freed = lgb.Dataset(valid["X"], valid["y"], group=valid["group"]).construct()
    with pytest.raises(ValueError, match="free_raw_data=False"):
        br.LearningCurve({"v": freed})
    curve = br.LearningCurve({"v": xgb.DMatrix(valid["X"], valid["y"])})
    with pytest.raises(TypeError, match="under LightGBM"):
        lgb.train({"objective": "regression", "verbose": -1},
                  lgb.Dataset(train["X"], train["y"]), 1, callbacks=[curve])
    with pytest.raises(AttributeError, match="keep_groups=True"):
        _ = curve.groups
    assert list(curve.history.columns) == ["round", "dataset", "metric"]


def test_xgboost_two_class_ordinal_margins_are_not_read_as_probabilities():
    """Under a custom objective XGBoost starts both classes at 0.5 and grows mirrored trees,
    so two-class margins sum to 1 like probabilities; the curve must score them as margins."""
    d = make_ordinal(n_samples=400, n_classes=2, seed=1)
    dm = xgb.DMatrix(d["X"], d["y"])
    curve = br.LearningCurve({"t": dm}, keep_groups=True)
    booster = xgb.train({"num_class": 2, "max_depth": 2, "eta": 0.1,
                         "disable_default_eval_metric": 1}, dm, 3, obj=br.rps,
                        callbacks=[curve])
    margins = booster.predict(dm, output_margin=True)
    assert np.allclose(margins.sum(axis=1), 1.0) and (margins >= 0).all()  # the trap is real
    expected = br.evaluate(d["y"], margins, input="margin")
    got = curve.groups.query("round == 3")
    assert_allclose(got[["rps", "accuracy", "mae"]].to_numpy(),
                    expected[["rps", "accuracy", "mae"]].to_numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="ambiguous"):
        br.evaluate(d["y"], margins)


@pytest.mark.parametrize("boosting", ["dart", "rf"])
def test_lightgbm_dart_and_random_forest_predict_the_whole_model(ranking, boosting):
    train, valid = ranking
    params = {"objective": "lambdarank", "boosting": boosting, "verbose": -1, "num_threads": 2,
              "drop_rate": 0.5, "skip_drop": 0.0, "bagging_fraction": 0.7, "bagging_freq": 1}
    curve = br.LearningCurve({"v": (valid["X"], valid["y"], valid["group"])},
                             metrics=["ndcg@5", "pairwise_logistic"])
    booster = lgb.train(params, lgb.Dataset(train["X"], train["y"], group=train["group"]), 5,
                        callbacks=[curve])
    expected = br.evaluate(valid["y"], booster.predict(valid["X"], raw_score=True),
                           group=valid["group"], metrics=["ndcg@5", "pairwise_logistic"])
    for metric in ("ndcg@5", "pairwise_logistic"):
        assert final_summary(curve, "v", metric)["mean"] == pytest.approx(
            expected[metric].mean(), rel=1e-9)


def test_continued_training_counts_rounds_over_the_whole_model(ranking):
    train, _ = ranking
    dm = xgb.DMatrix(train["X"], train["y"], group=train["group"])
    first = xgb.train({"max_depth": 2}, dm, 4, obj=br.pairwise_logistic)
    curve = br.LearningCurve({"t": dm}, metrics=["ndcg"], every=2)
    xgb.train({"max_depth": 2}, dm, 3, obj=br.pairwise_logistic, xgb_model=first,
              callbacks=[curve])
    assert curve.history["round"].tolist() == [6]
    ds = lgb.Dataset(train["X"], train["y"], group=train["group"], free_raw_data=False)
    params = {"objective": br.pairwise_logistic, "verbose": -1}
    first_lgb = lgb.train(params, ds, 4)
    curve = br.LearningCurve({"t": (train["X"], train["y"], train["group"])}, metrics=["ndcg"],
                             every=2)
    lgb.train(params, ds, 3, init_model=first_lgb, callbacks=[curve])
    assert curve.history["round"].tolist() == [6, 7]


def test_per_group_tables_of_a_curve_summarize(ranking):
    _, valid = ranking
    dm = xgb.DMatrix(valid["X"], valid["y"], group=valid["group"])
    curve = br.LearningCurve({"v": dm}, metrics=["ndcg", "spearman"], keep_groups=True)
    xgb.train({"max_depth": 2}, dm, 2, obj=br.pairwise_logistic, callbacks=[curve])
    groups = curve.groups
    summary = br.summarize(groups[groups["round"] == 2])
    assert list(summary.index) == ["ndcg@10", "spearman"]
    assert summary.loc["ndcg@10", "mean"] == pytest.approx(final_summary(curve, "v",
                                                                         "ndcg@10")["mean"])
    with pytest.raises(TypeError, match="always margins"):
        br.LearningCurve({"v": dm}, input="proba")
