"""End-to-end: every objective trains real XGBoost and LightGBM models, through every calling
convention, and its held-out metric improves over the constant start."""

from __future__ import annotations

from typing import Any

import lightgbm as lgb
import numpy as np
import pytest
import xgboost as xgb

import boostrank as br
from boostrank.datasets import make_eras, make_ordinal, make_ranking

ROUNDS = 30


_CALLS: dict[int, int] = {}


class Counting:
    """Wraps an objective and counts the host's calls, so a test fails loudly if the custom
    objective is never invoked.  Keeps the 4-parameter signature the hosts inspect.  The count
    lives outside the instance because LightGBM deep-copies its params."""

    _next = 0

    def __init__(self, obj: Any) -> None:
        self.obj = obj
        Counting._next += 1
        self.key = Counting._next
        _CALLS[self.key] = 0

    @property
    def calls(self) -> int:
        return _CALLS[self.key]

    def __call__(self, a: Any, b: Any, sample_weight: Any = None, group: Any = None) -> Any:
        _CALLS[self.key] += 1
        return self.obj(a, b, sample_weight, group)


def split_by_group(d: dict[str, np.ndarray], test_every: int = 4):
    sizes = d["group"]
    is_test = np.arange(sizes.size) % test_every == 0
    rows = np.repeat(is_test, sizes)
    tr = (d["X"][~rows], d["y"][~rows], sizes[~is_test])
    te = (d["X"][rows], d["y"][rows], sizes[is_test])
    return tr, te


RANKING = [br.pairwise_soft_zero_one, br.pairwise_logistic, br.softmax_ranking,
           br.PairwiseLogistic(lambda_weight="ndcg", k=10),
           br.PairwiseSoftZeroOne(lambda_weight="ndcg"), br.yetirank,
           br.pairwise_squared_hinge, br.PairwiseSquaredHinge(lambda_weight="ndcg",
                                                              hessian="upper_bound")]


@pytest.fixture(scope="module")
def ranking_data():
    return split_by_group(make_ranking(n_groups=120, group_size=(5, 30), seed=3))


@pytest.fixture(scope="module")
def era_data():
    return split_by_group(make_eras(n_eras=40, era_size=60, noise=1.0, seed=4))


@pytest.mark.parametrize("obj", RANKING, ids=repr)
def test_ranking_objectives_train_xgboost_and_lightgbm(obj, ranking_data):
    (x, y, g), (xt, yt, gt) = ranking_data
    start = br.ndcg(yt, np.zeros(yt.size), group=gt, k=10)  # constant scores: tie-averaged
    counted = Counting(obj)
    bst = xgb.train({"nthread": 2, "disable_default_eval_metric": 1},
                    xgb.DMatrix(x, y, group=g), ROUNDS, obj=counted)
    xgb_ndcg = br.ndcg(yt, bst.predict(xgb.DMatrix(xt), output_margin=True), group=gt, k=10)
    assert counted.calls == ROUNDS
    counted = Counting(obj)
    model = lgb.train({"objective": counted, "verbose": -1, "num_threads": 2},
                      lgb.Dataset(x, y, group=g), ROUNDS)
    lgb_ndcg = br.ndcg(yt, model.predict(xt, raw_score=True), group=gt, k=10)
    assert counted.calls == ROUNDS
    assert xgb_ndcg > start + 0.1 and lgb_ndcg > start + 0.1, (start, xgb_ndcg, lgb_ndcg)


@pytest.mark.parametrize("obj", [br.soft_spearman, br.combined_loss,
                                 br.SoftSpearman(hessian="pair_magnitude")], ids=repr)
def test_spearman_objectives_train_xgboost_and_lightgbm(obj, era_data):
    (x, y, g), (xt, yt, gt) = era_data
    bst = xgb.train({"nthread": 2, "disable_default_eval_metric": 1},
                    xgb.DMatrix(x, y, group=g), ROUNDS, obj=obj)
    xgb_corr = br.spearman(yt, bst.predict(xgb.DMatrix(xt), output_margin=True), group=gt)
    model = lgb.train({"objective": obj, "verbose": -1, "num_threads": 2},
                      lgb.Dataset(x, y, group=g), ROUNDS)
    lgb_corr = br.spearman(yt, model.predict(xt, raw_score=True), group=gt)
    # constant predictions score 0 by convention; the generated signal allows ~0.4
    assert xgb_corr > 0.15 and lgb_corr > 0.15, (xgb_corr, lgb_corr)


def test_combined_loss_mse_term_acts_under_both_hosts(era_data):
    """balance="rows": the MSE term brings the scores to the labels' scale under LightGBM as
    under XGBoost (with balance=None LightGBM's model ignored mse_weight), and the Spearman
    term keeps the ranking."""
    (x, y, g), (xt, yt, gt) = era_data
    spread = float(np.mean((yt - yt.mean()) ** 2))
    model = lgb.train({"objective": br.combined_loss, "verbose": -1, "num_threads": 2},
                      lgb.Dataset(x, y, group=g), ROUNDS)
    pred = model.predict(xt, raw_score=True)
    bst = xgb.train({"nthread": 2, "disable_default_eval_metric": 1},
                    xgb.DMatrix(x, y, group=g), ROUNDS, obj=br.combined_loss)
    pred_xgb = bst.predict(xgb.DMatrix(xt), output_margin=True)
    for p in (pred, pred_xgb):
        assert float(np.mean((p - yt) ** 2)) < 0.9 * spread
        assert br.spearman(yt, p, group=gt) > 0.15
    raw = lgb.train({"objective": br.CombinedLoss(balance=None), "verbose": -1,
                     "num_threads": 2}, lgb.Dataset(x, y, group=g), ROUNDS)
    assert float(np.mean((raw.predict(xt, raw_score=True) - yt) ** 2)) > 0.9 * spread


def test_combined_loss_without_spearman_is_the_hosts_own_regression(era_data):
    """balance="rows" with spearman_weight=0: the hosts receive w (s - y) and w, so the models
    equal reg:squarederror's / LightGBM regression's from the same start."""
    (x, y, g), (xt, _, _) = era_data
    obj = br.CombinedLoss(spearman_weight=0.0)
    params = {"nthread": 2, "base_score": 0.5}
    ours = xgb.train({**params, "disable_default_eval_metric": 1},
                     xgb.DMatrix(x, y, group=g), ROUNDS, obj=obj)
    theirs = xgb.train({**params, "objective": "reg:squarederror"}, xgb.DMatrix(x, y), ROUNDS)
    np.testing.assert_allclose(ours.predict(xgb.DMatrix(xt), output_margin=True),
                               theirs.predict(xgb.DMatrix(xt), output_margin=True),
                               rtol=1e-5, atol=1e-5)
    params = {"verbose": -1, "num_threads": 2, "boost_from_average": False}
    ours = lgb.train({**params, "objective": obj}, lgb.Dataset(x, y, group=g), ROUNDS)
    theirs = lgb.train({**params, "objective": "regression"}, lgb.Dataset(x, y), ROUNDS)
    np.testing.assert_allclose(ours.predict(xt, raw_score=True), theirs.predict(xt),
                               rtol=1e-5, atol=1e-5)


def test_spearman_trains_in_one_group_through_sklearn_apis(era_data):
    """XGBRegressor / LGBMRegressor pass no groups: the whole data set is one group."""
    (x, y, _), (xt, yt, _) = era_data
    for model in (xgb.XGBRegressor(objective=br.soft_spearman, n_estimators=ROUNDS, n_jobs=2),
                  lgb.LGBMRegressor(objective=br.soft_spearman, n_estimators=ROUNDS,
                                    verbose=-1, n_jobs=2)):
        model.fit(x, y)
        assert br.spearman(yt, model.predict(xt)) > 0.15


def test_lgbm_ranker_passes_groups(ranking_data):
    (x, y, g), (xt, yt, gt) = ranking_data
    counted = Counting(br.pairwise_logistic)
    ranker = lgb.LGBMRanker(objective=counted, n_estimators=ROUNDS, verbose=-1, n_jobs=2)
    ranker.fit(x, y, group=g)
    assert counted.calls == ROUNDS
    assert br.ndcg(yt, ranker.predict(xt), group=gt, k=10) > 0.6


@pytest.fixture(scope="module")
def ordinal_data():
    d = make_ordinal(n_samples=3000, n_classes=5, seed=5)
    return (d["X"][:2400], d["y"][:2400]), (d["X"][2400:], d["y"][2400:])


def _uniform_rps(y: np.ndarray, k: int) -> float:
    return br.rps_score(y, np.zeros((y.size, k)), input="margin")


@pytest.mark.parametrize("obj", [br.rps, br.RankedProbabilityScore(normalize=True)], ids=repr)
def test_rps_trains_xgboost_native_and_lightgbm_native(obj, ordinal_data):
    (x, y), (xt, yt) = ordinal_data
    bst = xgb.train({"num_class": 5, "nthread": 2, "disable_default_eval_metric": 1},
                    xgb.DMatrix(x, y), ROUNDS, obj=obj)
    margins = bst.predict(xgb.DMatrix(xt), output_margin=True)
    assert margins.shape == (yt.size, 5)
    model = lgb.train({"objective": obj, "num_class": 5, "verbose": -1, "num_threads": 2},
                      lgb.Dataset(x, y), ROUNDS)
    lgb_margins = model.predict(xt, raw_score=True)
    base = _uniform_rps(yt, 5)
    for m in (margins, lgb_margins):
        assert br.rps_score(yt, m, input="margin") < 0.8 * base


def test_rps_sklearn_classifiers_with_sample_weight(ordinal_data):
    (x, y), (xt, yt) = ordinal_data
    w = np.where(y == 4, 3.0, 1.0)
    counted = Counting(br.rps)
    clf = xgb.XGBClassifier(objective=counted, n_estimators=ROUNDS, n_jobs=2)
    clf.fit(x, y.astype(int), sample_weight=w)
    assert counted.calls == ROUNDS
    proba = clf.predict_proba(xt)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert br.rps_score(yt, proba, input="proba") < 0.8 * _uniform_rps(yt, 5)
    lclf = lgb.LGBMClassifier(objective=br.rps, n_estimators=ROUNDS, verbose=-1, n_jobs=2)
    lclf.fit(x, y.astype(int), sample_weight=w)
    raw = lclf.predict(xt, raw_score=True)
    assert br.rps_score(yt, raw, input="margin") < 0.8 * _uniform_rps(yt, 5)


def test_xgboost_sklearn_sample_weight_reaches_objective(ordinal_data):
    """The sklearn wrapper finds ``sample_weight`` by name: zero weights must zero gradients."""
    (x, y), _ = ordinal_data
    seen = {}

    class Spy(Counting):
        def __call__(self, a, b, sample_weight=None, group=None):
            seen["w"] = sample_weight
            return super().__call__(a, b, sample_weight, group)

    w = np.ones(y.size)
    w[:100] = 0
    xgb.XGBClassifier(objective=Spy(br.rps), n_estimators=2, n_jobs=2).fit(
        x, y.astype(int), sample_weight=w)
    np.testing.assert_array_equal(seen["w"], w)
    g, _ = br.rps(y, np.zeros((y.size, 5)), w)
    assert np.all(g[:100] == 0) and np.any(g[100:] != 0)


def test_xgboost_group_weights_and_lightgbm_row_weights_are_honoured(ranking_data):
    (x, y, g), _ = ranking_data
    obj = br.PairwiseLogistic(group_scale=None, hessian_factor=1.0)  # grad_hess's arrays
    rng = np.random.default_rng(0)
    gw = rng.uniform(0.5, 2.0, size=g.size)
    preds = rng.normal(size=y.size)
    dm = xgb.DMatrix(x, y, group=g, weight=gw)
    ds = lgb.Dataset(x, y, group=g, weight=np.repeat(gw, g)).construct()
    expected = obj.grad_hess(y, preds, group=g, weight=np.repeat(gw, g))
    for host_arrays in (obj(preds.astype(np.float32), dm), obj(preds, ds)):
        np.testing.assert_allclose(host_arrays[0], expected[0], rtol=1e-5, atol=1e-9)
        np.testing.assert_allclose(host_arrays[1], expected[1], rtol=1e-5, atol=1e-9)


def test_metrics_as_custom_metric_and_feval(ranking_data):
    (x, y, g), (xt, yt, gt) = ranking_data
    dtrain, dtest = xgb.DMatrix(x, y, group=g), xgb.DMatrix(xt, yt, group=gt)
    log: dict[str, Any] = {}
    xgb.train({"nthread": 2, "disable_default_eval_metric": 1}, dtrain, 5,
              obj=br.pairwise_logistic, evals=[(dtest, "test")],
              custom_metric=br.NDCG(k=5), evals_result=log, verbose_eval=False)
    assert len(log["test"]["ndcg@5"]) == 5
    log = {}
    lgb.train({"objective": br.pairwise_logistic, "verbose": -1, "metric": "None"},
              lgb.Dataset(x, y, group=g), 5,
              valid_sets=[lgb.Dataset(xt, yt, group=gt)], valid_names=["test"],
              feval=[br.NDCG(k=5), br.pairwise_logistic.metric],
              callbacks=[lgb.record_evaluation(log)])
    assert len(log["test"]["ndcg@5"]) == 5 and len(log["test"]["pairwise_logistic"]) == 5
    assert log["test"]["ndcg@5"][-1] > log["test"]["ndcg@5"][0] - 1e-12
    assert log["test"]["pairwise_logistic"][-1] < log["test"]["pairwise_logistic"][0]


def test_two_training_runs_in_threads_match_sequential_runs(ranking_data):
    """Kernel launches are serialised by a lock (Numba's workqueue layer must not be entered
    concurrently); two threads training at once give the sequential models."""
    import pickle
    from concurrent.futures import ThreadPoolExecutor

    (x, y, g), (xt, _, _) = ranking_data
    obj = pickle.loads(pickle.dumps(br.PairwiseLogistic(lambda_weight="ndcg")))
    assert obj == br.PairwiseLogistic(lambda_weight="ndcg")

    def fit(_: int) -> np.ndarray:
        bst = xgb.train({"nthread": 1, "disable_default_eval_metric": 1},
                        xgb.DMatrix(x, y, group=g), 10, obj=obj)
        return bst.predict(xgb.DMatrix(xt), output_margin=True)

    sequential = fit(0)
    with ThreadPoolExecutor(2) as pool:
        parallel = list(pool.map(fit, range(2)))
    for p in parallel:
        np.testing.assert_array_equal(p, sequential)


# --------------------------------------------------------------------------- real data
def test_mq2008_pairwise_objectives_rank_like_lambdamart():
    """MQ2008 Fold 1 (train S1-S3, test S5), 30 rounds: boostrank's pairwise objectives reach
    NDCG@10 within 5% of the same host's built-in LambdaMART."""
    from conftest import shared_data

    d = shared_data("mq2008.npz")
    part, qid = d["part"], d["qid"]
    train, test = np.isin(part, [1, 2, 3]), part == 5

    def sizes(mask: np.ndarray) -> np.ndarray:
        q = qid[mask]
        return np.diff(np.flatnonzero(np.r_[True, q[1:] != q[:-1], True]))

    x, y, g = d["X"][train], d["y"][train].astype(float), sizes(train)
    xt, yt, gt = d["X"][test], d["y"][test].astype(float), sizes(test)
    rounds = 30

    def xgb_ndcg(params, obj=None):
        bst = xgb.train({"nthread": 2, **params}, xgb.DMatrix(x, y, group=g), rounds, obj=obj)
        return br.ndcg(yt, bst.predict(xgb.DMatrix(xt), output_margin=True), group=gt, k=10)

    def lgb_ndcg(obj):
        model = lgb.train({"objective": obj, "verbose": -1, "num_threads": 2},
                          lgb.Dataset(x, y, group=g), rounds)
        return br.ndcg(yt, model.predict(xt, raw_score=True), group=gt, k=10)

    xgb_base, lgb_base = xgb_ndcg({"objective": "rank:ndcg"}), lgb_ndcg("lambdarank")
    assert xgb_base > 0.4 and lgb_base > 0.4  # the split and metric are the LETOR ones
    for obj in (br.pairwise_soft_zero_one, br.PairwiseLogistic(lambda_weight="ndcg")):
        assert xgb_ndcg({"disable_default_eval_metric": 1}, obj) > 0.95 * xgb_base
        assert lgb_ndcg(obj) > 0.95 * lgb_base


def test_wine_quality_rps_trains_ordinal_model():
    from conftest import shared_data

    d = shared_data("wine_quality.npz")
    x, y = d["X"], d["y"].astype(float) - 3  # quality 3..9 -> classes 0..6
    test = np.arange(y.size) % 5 == 0
    model = lgb.train({"objective": br.rps, "num_class": 7, "verbose": -1, "num_threads": 2},
                      lgb.Dataset(x[~test], y[~test]), ROUNDS)
    prior = np.log(np.bincount(y[~test].astype(int), minlength=7) + 1.0)
    base = br.rps_score(y[test], np.tile(prior, (test.sum(), 1)), input="margin")
    assert br.rps_score(y[test], model.predict(x[test], raw_score=True), input="margin") < (
        0.9 * base)


def test_host_data_static_parts_are_validated_once_and_cached(ranking_data, monkeypatch):
    """Labels, groups and weights of a DMatrix / Dataset are read and checked on the first
    round only; later rounds reuse them, each data set keeps its own, and the cache neither
    changes results nor travels with pickling."""
    import pickle

    (x, y, g), _ = ranking_data
    rng = np.random.default_rng(1)
    obj = br.PairwiseLogistic()
    dm = xgb.DMatrix(x, y, group=g)
    ds = lgb.Dataset(x, y, group=g).construct()
    preds = rng.normal(size=y.size)
    first = obj(preds.astype(np.float32), dm)
    first_lgb = obj(preds, ds)
    reads = {"n": 0}
    real = xgb.DMatrix.get_label

    def counting_get_label(self):
        reads["n"] += 1
        return real(self)

    monkeypatch.setattr(xgb.DMatrix, "get_label", counting_get_label)
    again = obj(preds.astype(np.float32), dm)
    assert reads["n"] == 0  # served from the cache
    np.testing.assert_array_equal(again[0], first[0])
    np.testing.assert_array_equal(obj(preds, ds)[0], first_lgb[0])
    # another DMatrix with other labels gets its own static parts
    other = xgb.DMatrix(x, y[::-1].copy(), group=g[::-1].copy())
    assert not np.array_equal(obj(preds.astype(np.float32), other)[0], first[0])
    # new predictions are still validated every round
    bad = preds.astype(np.float32)
    bad[3] = np.nan
    with pytest.raises(ValueError, match="y_pred"):
        obj(bad, dm)
    clone = pickle.loads(pickle.dumps(obj))
    assert clone == obj and hash(clone) == hash(obj)
    assert "_static_cache" not in vars(clone)


def _grad_in_subprocess(args):
    obj, y, s, g = args
    return obj.grad_hess(y, s, group=g)[0]


def test_objectives_survive_joblib_sklearn_estimators_and_processes(ordinal_data, ranking_data,
                                                                     tmp_path):
    """A fitted XGBClassifier holding ``rps`` round-trips through joblib and predicts the same;
    objectives pickle into worker processes and compute the same gradients there."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    joblib = pytest.importorskip("joblib")
    (x, y), (xt, _) = ordinal_data
    clf = xgb.XGBClassifier(objective=br.rps, n_estimators=5, n_jobs=2).fit(x, y.astype(int))
    path = tmp_path / "model.joblib"
    joblib.dump(clf, path)
    np.testing.assert_array_equal(joblib.load(path).predict_proba(xt), clf.predict_proba(xt))

    (xr, yr, g), _ = ranking_data
    s = np.random.default_rng(2).normal(size=yr.size)
    obj = br.PairwiseSoftZeroOne(lambda_weight="ndcg", k=5)
    obj(s.astype(np.float32), xgb.DMatrix(xr, yr, group=g))  # populate the per-data-set cache
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=ctx) as pool:
        remote = pool.submit(_grad_in_subprocess, (obj, yr, s, g)).result(timeout=300)
    # to rounding, not bit for bit: with a cold Numba cache the parent runs the kernel it
    # compiled while the worker loads it from the cache, and the two were seen to differ by
    # 1 ulp in 1 of 1,573 rows
    np.testing.assert_allclose(remote, obj.grad_hess(yr, s, group=g)[0], rtol=1e-14, atol=0)


def test_dmatrix_without_groups_is_one_group(ranking_data):
    """Decision (issue 7): a group objective on a DMatrix without groups ranks all rows as one
    group, as centimators does for soft Spearman (and warns above 50,000 rows)."""
    (x, y, _), _ = ranking_data
    s = np.random.default_rng(3).normal(size=y.size)
    obj = br.PairwiseLogistic()
    grad, _ = obj(s.astype(np.float32), xgb.DMatrix(x, y))
    from boostrank.objectives import lambdarank_group_scale

    expected = lambdarank_group_scale(*obj.grad_hess(y, s.astype(np.float32)),
                                      np.array([0, y.size]))[0]
    np.testing.assert_allclose(grad, expected, rtol=1e-10)


def test_soft_spearman_keeps_learning_under_xgboost(era_data):
    """XGBoost's float32 margins around 0.5 froze soft Spearman after a few trees (steps of
    ~1e-7); in the documented score unit later trees still change the ranking."""
    (x, y, g), (xt, yt, gt) = era_data
    bst = xgb.train({"nthread": 2, "disable_default_eval_metric": 1, "eta": 0.1},
                    xgb.DMatrix(x, y, group=g), 40, obj=br.soft_spearman)
    dt = xgb.DMatrix(xt)
    p10 = bst.predict(dt, output_margin=True, iteration_range=(0, 10))
    p40 = bst.predict(dt, output_margin=True)
    assert np.std(p40) > 1e-2, np.std(p40)  # not ~1e-7 around 0.5 (frozen)
    assert np.mean(np.argsort(p10) != np.argsort(p40)) > 0.1
    assert br.spearman(yt, p40, group=gt) > 0.15
