"""Group-wise evaluation, summaries and ordinal helpers, against independent implementations:
scikit-learn (``ndcg_score``, ``average_precision_score``), scipy (``spearmanr``,
``pearsonr``, ``softmax``), NumPy's Hazen quantiles, brute force over tie orders, and hand
computations."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy.special import softmax
from scipy.stats import pearsonr, spearmanr
from sklearn.metrics import average_precision_score, ndcg_score

import boostrank as br


def ranking_data(seed: int = 0, sizes: tuple[int, ...] = (1, 2, 7, 3, 12, 5, 30, 4),
                 ties: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = sum(sizes)
    y = rng.integers(0, 4, n).astype(float)
    s = rng.integers(0, 5, n).astype(float) if ties else rng.normal(size=n)
    return y, s, np.array(sizes)


def groups_of(x: np.ndarray, sizes: np.ndarray) -> list[np.ndarray]:
    return np.split(x, np.cumsum(sizes)[:-1])


# --------------------------------------------------------------------------- brute force
def _ap_rr_one_order(rel: np.ndarray, k: int | None) -> tuple[float, float]:
    cut = rel.size if k is None else min(k, rel.size)
    n_rel = rel.sum()
    hits, ap, rr = 0, 0.0, 0.0
    for pos in range(cut):
        if rel[pos]:
            hits += 1
            ap += hits / (pos + 1)
            if hits == 1:
                rr = 1.0 / (pos + 1)
    return ap / min(n_rel, cut), rr


def brute_ap_rr(y: np.ndarray, s: np.ndarray, k: int | None) -> tuple[float, float]:
    """Average over every order of the tied scores (groups of <= 7 rows)."""
    rel = y > 0
    if not rel.any():
        return math.nan, math.nan
    order = np.argsort(-s, kind="stable")
    blocks = [list(g) for _, g in itertools.groupby(order, key=lambda i: s[i])]
    aps, rrs = [], []
    for perms in itertools.product(*(itertools.permutations(b) for b in blocks)):
        ranking = np.array([i for block in perms for i in block])
        ap, rr = _ap_rr_one_order(rel[ranking], k)
        aps.append(ap)
        rrs.append(rr)
    return float(np.mean(aps)), float(np.mean(rrs))


# --------------------------------------------------------------------------- metric values
@pytest.mark.parametrize("k", [None, 1, 3, 10])
@pytest.mark.parametrize("masked", [False, True])
def test_linear_gain_ndcg_matches_sklearn(k, masked):
    y, s, sizes = ranking_data(1)
    where = (np.random.default_rng(1).random(y.size) > 0.25) if masked else np.ones(y.size, bool)
    table = br.evaluate(y, s, group=sizes, where=where, metrics=[br.NDCG(k, gain="linear")])
    name = "ndcg" if k is None else f"ndcg@{k}"
    for g, (yg, sg, mg) in enumerate(zip(groups_of(y, sizes), groups_of(s, sizes),
                                         groups_of(where, sizes), strict=True)):
        if mg.sum() < 2:  # scikit-learn refuses single-document queries
            continue
        expected = ndcg_score([yg[mg]], [sg[mg]], k=k)
        assert table[name].iloc[g] == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("k", [None, 1, 3, 10])
def test_exponential_ndcg_matches_sklearn_on_transformed_labels(k):
    y, s, sizes = ranking_data(2)
    table = br.evaluate(y, s, group=sizes, metrics=["ndcg"], k=k)
    name = "ndcg" if k is None else f"ndcg@{k}"
    for g, (yg, sg) in enumerate(zip(groups_of(y, sizes), groups_of(s, sizes), strict=True)):
        if yg.size < 2:
            continue
        assert table[name].iloc[g] == pytest.approx(ndcg_score([2**yg - 1], [sg], k=k),
                                                    abs=1e-12)


def test_spearman_and_pearson_match_scipy_with_ties_and_masks():
    y, s, sizes = ranking_data(3)
    rng = np.random.default_rng(3)
    where = rng.random(y.size) > 0.2
    table = br.evaluate(y, s, group=sizes, where=where, metrics=["spearman", "pearson"])
    for g, (yg, sg, mg) in enumerate(zip(groups_of(y, sizes), groups_of(s, sizes),
                                         groups_of(where, sizes), strict=True)):
        yg, sg = yg[mg], sg[mg]
        if yg.size < 2 or np.ptp(yg) == 0:
            assert np.isnan(table["spearman"].iloc[g])
            assert np.isnan(table["pearson"].iloc[g])
        elif np.ptp(sg) == 0:
            assert table["spearman"].iloc[g] == 0.0
        else:
            assert table["spearman"].iloc[g] == pytest.approx(spearmanr(yg, sg)[0], abs=1e-12)
            assert table["pearson"].iloc[g] == pytest.approx(pearsonr(yg, sg)[0], abs=1e-12)
        assert table["size"].iloc[g] == mg.sum()


@pytest.mark.parametrize("k", [None, 1, 2, 4])
@pytest.mark.parametrize("seed", range(4))
def test_map_and_mrr_equal_the_average_over_all_tie_orders(k, seed):
    y, s, sizes = ranking_data(seed, sizes=(1, 2, 3, 5, 6, 7, 7, 4))
    table = br.evaluate(y, s, group=sizes, metrics=["map", "mrr"], k=k, no_relevant_score=None)
    suffix = "" if k is None else f"@{k}"
    for g, (yg, sg) in enumerate(zip(groups_of(y, sizes), groups_of(s, sizes), strict=True)):
        ap, rr = brute_ap_rr(yg, sg, k)
        assert_allclose([table["map" + suffix].iloc[g], table["mrr" + suffix].iloc[g]], [ap, rr],
                        atol=1e-12, equal_nan=True)


def test_average_precision_matches_sklearn_without_ties():
    y, s, sizes = ranking_data(5, ties=False)
    table = br.evaluate(y, s, group=sizes, metrics=["map"], k=None, no_relevant_score=None)
    for g, (yg, sg) in enumerate(zip(groups_of(y, sizes), groups_of(s, sizes), strict=True)):
        if (yg > 0).any():
            assert table["map"].iloc[g] == pytest.approx(average_precision_score(yg > 0, sg),
                                                         abs=1e-12)


def test_hand_computed_map_mrr_and_pairwise_accuracy():
    # relevant rows at ranks 2 and 4 of 4: AP = (1/2 + 2/4) / 2, RR = 1/2
    y = [0, 1, 0, 2]
    s = [4.0, 3.0, 2.0, 1.0]
    t = br.evaluate(y, s, metrics=["map", "mrr", "pairwise_accuracy"], k=None)
    assert t["map"].iloc[0] == pytest.approx(0.5)
    assert t["mrr"].iloc[0] == pytest.approx(0.5)
    # 5 pairs with different labels; only row 1 (label 1) above row 2 (label 0) is in order
    assert t["pairwise_accuracy"].iloc[0] == pytest.approx(1 / 5)
    # MAP@2 divides by min(2, R=2): only the hit at rank 2 counts -> (1/2) / 2
    assert br.evaluate(y, s, metrics=["map@2"])["map@2"].iloc[0] == pytest.approx(0.25)
    # all four tied: first relevant at rank 1 w.p. 1/2, 2 w.p. 1/3, 3 w.p. 1/6
    t = br.evaluate(y, [1.0] * 4, metrics=["mrr"], k=None)
    assert t["mrr"].iloc[0] == pytest.approx(1 / 2 + 1 / 3 / 2 + 1 / 6 / 3)


def test_conventions_for_degenerate_groups():
    # groups: one relevant row; one irrelevant row; all labels equal and relevant;
    # all irrelevant; a normal group
    y = np.array([2, 0, 1, 1, 1, 0, 0, 0, 2, 1])
    s = np.array([0.3, 0.1, 0.5, 0.2, 0.9, 0.1, 0.2, 0.3, 0.0, 1.0])
    sizes = [1, 1, 3, 3, 2]
    letor = br.evaluate(y, s, group=sizes, metrics=["ndcg", "map", "mrr", "spearman"])
    assert letor["ndcg@10"].tolist()[:4] == [1.0, 0.0, 1.0, 0.0]
    assert letor["map@10"].tolist()[:4] == [1.0, 0.0, 1.0, 0.0]
    assert letor["mrr@10"].tolist()[:4] == [1.0, 0.0, 1.0, 0.0]
    assert letor["spearman"].isna().tolist() == [True, True, True, True, False]
    xgb_style = br.evaluate(y, s, group=sizes, metrics=["ndcg"], no_relevant_score=1.0)
    assert xgb_style["ndcg@10"].tolist()[:4] == [1.0, 1.0, 1.0, 1.0]
    left_out = br.evaluate(y, s, group=sizes, metrics=["ndcg"], no_relevant_score=None)
    assert left_out["ndcg@10"].isna().tolist() == [False, True, False, True, False]
    refused = br.evaluate(y, s, group=sizes, metrics=["ndcg"], min_size=2)
    assert refused["ndcg@10"].isna().tolist() == [True, True, False, False, False]


def test_ranking_losses_per_group_equal_the_loss_of_each_group_alone():
    y, s, sizes = ranking_data(6, sizes=(2, 7, 3, 12, 5))
    table = br.evaluate(y, s, group=sizes, metrics="all")
    for name in ("pairwise_soft_zero_one", "pairwise_logistic", "softmax_ranking",
                 "soft_spearman"):
        objective = getattr(br, name)
        for g, (yg, sg) in enumerate(zip(groups_of(y, sizes), groups_of(s, sizes),
                                         strict=True)):
            alone = objective.loss(yg, sg)  # mean over rows (pairwise) or the group's loss
            assert table[name].iloc[g] == pytest.approx(alone, rel=1e-12, abs=1e-15), name


def test_objects_as_metrics_and_explicit_cutoffs():
    y, s, sizes = ranking_data(7)
    table = br.evaluate(y, s, group=sizes,
                        metrics=["ndcg@3", br.MRR(k=None), br.PairwiseLogistic(temperature=2.0)])
    assert list(table.columns) == ["group", "size", "ndcg@3", "mrr", "pairwise_logistic"]
    assert table.attrs["higher_is_better"] == {"ndcg@3": True, "mrr": True,
                                               "pairwise_logistic": False}
    assert_allclose(table["ndcg@3"], br.NDCG(3).per_group(y, s, group=sizes))


# --------------------------------------------------------------------------- layouts
def test_unsorted_qid_and_string_keys_give_the_same_groups():
    y, s, sizes = ranking_data(8)
    qid = np.repeat(np.arange(sizes.size) * 10, sizes)
    sorted_table = br.evaluate(y, s, qid=qid)
    perm = np.random.default_rng(8).permutation(y.size)
    shuffled = br.evaluate(y[perm], s[perm], qid=qid[perm])
    pd.testing.assert_frame_equal(sorted_table, shuffled)
    names = np.array([f"query-{q:03d}" for q in qid])
    by_name = br.evaluate(y[perm], s[perm], qid=names[perm])
    assert by_name["qid"].tolist() == sorted(set(names.tolist()))
    assert_allclose(by_name["ndcg@10"], sorted_table["ndcg@10"])


def test_dataframe_input_with_column_names():
    y, s, sizes = ranking_data(9)
    era = np.repeat(np.arange(sizes.size), sizes)
    w = np.random.default_rng(9).random(y.size)
    df = pd.DataFrame({"target": y, "p": s, "era": era, "w": w, "keep": y >= 0})
    from_df = br.evaluate(df, label="target", pred="p", by="era", weight="w", where="keep")
    from_arrays = br.evaluate(y, s, group=sizes, weight=w)
    assert list(from_df.columns[:3]) == ["era", "size", "weight"]
    assert_allclose(from_df.iloc[:, 1:].to_numpy(), from_arrays.iloc[:, 1:].to_numpy())
    assert_allclose(from_df["weight"], [c.mean() for c in groups_of(w, sizes)])


def test_padded_lists_are_one_group_per_row():
    rng = np.random.default_rng(10)
    y = rng.integers(0, 3, (4, 6)).astype(float)
    s = rng.normal(size=(4, 6))
    where = rng.random((4, 6)) > 0.3
    padded = br.evaluate(y, s, where=where)
    flat = br.evaluate(y.ravel(), s.ravel(), group=[6] * 4, where=where.ravel())
    pd.testing.assert_frame_equal(padded, flat)


# --------------------------------------------------------------------------- ordinal
def ordinal_data(seed: int = 0, n: int = 200, n_classes: int = 5):
    rng = np.random.default_rng(seed)
    return rng.integers(0, n_classes, n).astype(float), rng.normal(size=(n, n_classes))


def test_ordinal_metrics_by_hand():
    y, z = ordinal_data()
    key = np.arange(y.size) % 3
    values = np.array([3.0, 4.0, 5.0, 6.0, 8.0])
    table = br.evaluate(y, z, qid=key, class_values=values)
    p = softmax(z, axis=1)
    cdf = np.cumsum(p, axis=1)[:, :-1]
    step = (np.arange(4)[None, :] >= y[:, None]).astype(float)
    rps_rows = ((cdf - step) ** 2).sum(axis=1)
    for g in range(3):
        m = key == g
        assert table["rps"].iloc[g] == pytest.approx(rps_rows[m].mean(), rel=1e-12)
        assert table["accuracy"].iloc[g] == pytest.approx((p[m].argmax(1) == y[m]).mean())
        mae = np.abs(p[m] @ values - values[y[m].astype(int)]).mean()
        assert table["mae"].iloc[g] == pytest.approx(mae, rel=1e-12)
    # probabilities are read as such (input="auto"), and a DataFrame with pred columns works
    assert_allclose(br.evaluate(y, p, qid=key, class_values=values).iloc[:, 2:],
                    table.iloc[:, 2:], rtol=1e-9)
    df = pd.DataFrame(z, columns=list("abcde")).assign(label=y, school=key)
    from_df = br.evaluate(df, label="label", pred=list("abcde"), by="school",
                          class_values=values)
    assert_allclose(from_df.iloc[:, 1:].to_numpy(), table.iloc[:, 1:].to_numpy())


def test_ordinal_masks_and_negative_labels_drop_rows():
    y, z = ordinal_data(1, n=60)
    y[::7] = -1
    where = np.arange(60) % 5 != 0
    table = br.evaluate(y, z, where=where)
    keep = where & (y >= 0)
    direct = br.evaluate(y[keep], z[keep])
    assert table["size"].iloc[0] == keep.sum()
    assert_allclose(table.iloc[:, 2:].to_numpy(), direct.iloc[:, 2:].to_numpy(), rtol=1e-12)


def test_predict_proba_and_expected_value():
    _, z = ordinal_data(2, n=10)
    assert_allclose(br.predict_proba(z), softmax(z, axis=1), rtol=1e-12)
    assert_allclose(br.rps.predict_proba(z), softmax(z, axis=1), rtol=1e-12)
    values = np.array([1.0, 2.0, 4.0, 8.0, 16.0])
    assert_allclose(br.expected_value(z, values), softmax(z, axis=1) @ values, rtol=1e-12)
    assert_allclose(br.expected_value(softmax(z, axis=1), input="proba"),
                    softmax(z, axis=1) @ np.arange(5), rtol=1e-12)
    with pytest.raises(ValueError, match="one value per class"):
        br.expected_value(z, [1, 2])
    with pytest.raises(ValueError, match="n_classes >= 2"):
        br.predict_proba(np.zeros(3))
    with pytest.raises(ValueError, match="negative probabilities"):
        br.rps_score([0], [[-0.5, 1.5]], input="proba")


# --------------------------------------------------------------------------- summaries
def test_summary_matches_numpy():
    rng = np.random.default_rng(11)
    values = rng.normal(0.1, 0.3, 50)
    values[[3, 17]] = np.nan
    table = pd.DataFrame({"era": np.arange(50) + 100, "size": rng.integers(5, 50, 50),
                          "spearman": values})
    s = br.summarize(table, worst=4).loc["spearman"]
    x = values[~np.isnan(values)]
    assert s["groups"] == 48
    assert s["mean"] == pytest.approx(x.mean())
    assert s["std"] == pytest.approx(x.std(ddof=1))
    assert s["sharpe"] == pytest.approx(x.mean() / x.std(ddof=1))
    for q, col in [(0.1, "q10"), (0.25, "q25"), (0.5, "median"), (0.75, "q75"), (0.9, "q90")]:
        assert s[col] == pytest.approx(np.quantile(x, q, method="hazen"))
    assert s["share_positive"] == pytest.approx((x > 0).mean())
    assert s["worst"] == tuple(int(e) for e in (np.argsort(np.nan_to_num(values, nan=9))[:4]
                                                + 100))


def test_weighted_summary():
    table = pd.DataFrame({"g": [0, 1, 2], "size": [1, 2, 5], "spearman": [0.5, -0.1, 0.2]})
    table.attrs["key"] = "g"
    s = br.summarize(table, weights="size").loc["spearman"]
    w, x = np.array([1.0, 2.0, 5.0]), np.array([0.5, -0.1, 0.2])
    mean = np.average(x, weights=w)
    var = (w * (x - mean) ** 2).sum() / (w.sum() - (w**2).sum() / w.sum())
    assert s["mean"] == pytest.approx(mean)
    assert s["std"] == pytest.approx(math.sqrt(var))
    assert s["share_positive"] == pytest.approx(6 / 8)
    # Hazen positions of the sorted values (-0.1, 0.2, 0.5): (1, 4.5, 7.5) / 8
    assert s["median"] == pytest.approx(-0.1 + (0.5 - 1 / 8) / (4.5 / 8 - 1 / 8) * 0.3)
    equal = br.summarize(table, weights=np.ones(3)).loc["spearman"]
    plain = br.summarize(table).loc["spearman"]
    assert_allclose(equal[["mean", "std", "median"]].astype(float),
                    plain[["mean", "std", "median"]].astype(float))


def test_summary_of_losses_lists_the_highest_as_worst():
    y, s, sizes = ranking_data(12, sizes=(4, 5, 6, 7))
    table = br.evaluate(y, s, group=sizes, metrics=["softmax_ranking"])
    worst = br.summarize(table, worst=1).loc["softmax_ranking", "worst"]
    assert worst == (int(table["softmax_ranking"].idxmax()),)


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"metrics": ["ndgc"]}, ValueError, "unknown metric 'ndgc'"),
        ({"metrics": ["spearman@3"]}, ValueError, "unknown metric"),
        ({"metrics": ["ndcg@0"]}, ValueError, "positive integer"),
        ({"metrics": [3]}, TypeError, "names, Metric or Objective"),
        ({"metrics": [br.rps]}, ValueError, "does not fit ranking"),
        ({"metrics": [br.RPSMetric()]}, ValueError, "does not fit ranking"),
        ({"min_size": 0}, ValueError, "min_size"),
        ({"min_size": float("nan")}, ValueError, "min_size"),
        ({"group": [3, 3], "qid": np.zeros(6)}, ValueError, "not both"),
        ({"qid": np.array([1.0, np.nan, 2, 2, 3, 3])}, ValueError, "missing"),
        ({"label": "y"}, TypeError, "DataFrame columns"),
        ({"group": [2, 2]}, ValueError, "sum to 4"),
        ({"metrics": ["ndcg", br.NDCG(10)]}, ValueError, "twice"),
        ({"metrics": ["ndcg@"]}, ValueError, "positive integer"),
    ],
)
def test_bad_arguments_get_clear_errors(kwargs, error, match):
    y = np.array([0, 1, 2, 0, 1, 2.0])
    s = np.array([0.1, 0.2, 0.3, 0.3, 0.2, 0.1])
    with pytest.raises(error, match=match):
        br.evaluate(y, s, **kwargs)


def test_bad_inputs_get_clear_errors():
    df = pd.DataFrame({"y": [1.0, 0.0], "p": [0.2, 0.1]})
    with pytest.raises(KeyError, match="columns are"):
        br.evaluate(df, label="y", pred="score")
    with pytest.raises(TypeError, match=r"label=.*pred="):
        br.evaluate(df)
    with pytest.raises(TypeError, match="do not pass y_pred"):
        br.evaluate(df, [1, 2], label="y", pred="p")
    with pytest.raises(ValueError, match="NaN"):
        br.evaluate([1.0, 0.0], [np.nan, 0.1])
    with pytest.raises(ValueError, match="shape"):
        br.evaluate([1.0, 0.0, 1.0], [0.1, 0.2])
    with pytest.raises(ValueError, match=r"integer class labels 0\.\.2"):
        br.evaluate([0, 3], np.zeros((2, 3)))
    with pytest.raises(ValueError, match="empty"):
        br.evaluate([], [])
    with pytest.raises(ValueError, match="one value per class"):
        br.evaluate([0, 2], np.zeros((2, 3)), metrics=["mae"], class_values=[1, 2])
    with pytest.raises(ValueError, match="rounded probabilities"):
        br.evaluate([0, 2], [[0.7, 0.2, 0.09], [0.1, 0.3, 0.59]])
    assert br.evaluate([0, 2], [[0.7, 0.2, 0.09], [0.1, 0.3, 0.59]], input="proba").size
    for name in ("size", "weight"):
        with pytest.raises(ValueError, match="rename it"):
            br.evaluate(df.assign(**{name: [1, 2]}), label="y", pred="p", by=name)
    with pytest.raises(ValueError, match="rename it"):
        br.evaluate(df.assign(spearman=[1, 2]), label="y", pred="p", by="spearman",
                    metrics=["spearman"])
    table = br.evaluate(df, label="y", pred="p", metrics=["spearman"]).reset_index()
    assert list(br.summarize(table).index) == ["spearman"]  # no "index" metric
    table.attrs.clear()
    assert list(br.summarize(table).index) == ["spearman"]
    with pytest.raises(ValueError, match="`weights`"):
        br.summarize(br.evaluate([1.0, 0.0], [0.2, 0.1]), weights="weight")
    with pytest.raises(ValueError, match="quantiles"):
        br.summarize(br.evaluate([1.0, 0.0], [0.2, 0.1]), quantiles=(0.5, 2.0))
