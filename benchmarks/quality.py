"""Real-data quality study: every boostrank objective against the hosts' built-ins, one protocol.

    python benchmarks/quality.py                       # default study (~40 min, 2 cores)
    python benchmarks/quality.py --quick               # smoke run: fold 1, 30 rounds, MQ2008 + wine
    python benchmarks/quality.py --tasks letor --hosts xgboost --folds 1 2 --rounds 300
    python benchmarks/quality.py --tasks chem97,ordinal --seeds 0 1 2 --extended

Protocol (the same for every contender of a task):

* One tree setting per host.  XGBoost: ``tree_method=hist``, ``eta=0.1``, ``max_depth=6``,
  other parameters at their defaults (``min_child_weight=1``, ``lambda=1``), no row or column
  sampling.  LightGBM: ``learning_rate=0.1``, ``num_leaves=31``, other parameters at their
  defaults (``min_data_in_leaf=20``), no bagging.  Two threads.  Without sampling a fit is
  deterministic, so ``--seeds`` only changes the data splits (chem97, ordinal, Yahoo validation).
* At most ``--rounds`` (default 500) boosting rounds, early stopping with patience ``--patience``
  (default 30) on a validation set the test set never touches, monitored with one boostrank
  metric for every contender (built-ins too): NDCG@10 for ranking, mean per-school Spearman for
  chem97, RPS for ordinal.  The test prediction uses the best iteration.
* LETOR (MQ2008, OHSUMED): the official five folds, train on parts k..k+2, early-stop on k+3,
  test on k+4.  Yahoo sample (LightGBM example): a seeded 20% of the training queries validate,
  the test file tests.  Metrics NDCG@1/3/5/10 and MAP over the whole list, LETOR convention: a
  query with no relevant document scores 0 (``no_relevant_score=0``).  Column ``ndcg@10*`` is
  NDCG@10 over the queries that do have a relevant document only (the convention of
  scikit-learn/LightGBM's own metric which skips them).  Exponential gain 2^y - 1.
* chem97 (schools as groups): 5-fold cross-validation over schools (a seeded permutation); the
  early-stopping set is a seeded 20% of the training schools.  Test metric: Spearman per school
  (schools with fewer than two rows or constant labels/predictions have none and are left out),
  its mean (and std over schools) per fold.
* Ordinal (wine quality 3..9 -> 0..6, chem97 score 0,2..10 -> 0..5, anes96 0..6): stratified
  5-fold cross-validation (seeded), early-stopping set a stratified 20% of the training folds.
  Test: RPS (unnormalised, lower is better), accuracy of the arg-max class, MAE of the expected
  class value, from the (n, K) margins (built-ins' margins are their softmax inputs).  The
  regression contender predicts a number: its RPS/accuracy are not defined, its MAE is that of
  the prediction.
* Tables: mean +- std over folds (x seeds) of the fold means; per-fold values of the main
  metric; paired per-fold differences against the best built-in of the same host (by mean):
  mean, std and t = mean / (std / sqrt(n)).  "Beyond fold noise" below means t > 2.78 (the
  two-sided 5% point of Student's t with 4 degrees of freedom for 5 folds).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import lightgbm as lgb
import numpy as np
import xgboost as xgb
from _data import letor_fold, load, stratified_split

import boostrank as br

XGB_TREES = {"tree_method": "hist", "eta": 0.1, "max_depth": 6, "nthread": 2}
LGB_TREES = {"learning_rate": 0.1, "num_leaves": 31, "num_threads": 2, "verbose": -1}
RANK_METRICS = ["ndcg@1", "ndcg@3", "ndcg@5", "ndcg@10", "map"]
ORD_METRICS = ["rps", "accuracy", "mae"]


# ------------------------------------------------------------------------------- fitting
def fit_predict(host: str, obj: Any, train: tuple, valid: tuple, test_x: np.ndarray,
                metric: Any, rounds: int, patience: int, seed: int,
                extra: dict[str, Any] | None = None) -> tuple[np.ndarray, int, float]:
    """Train with early stopping on ``valid`` (monitored by ``metric``); margins of test_x at
    the best iteration, the number of trees used, and the seconds the fit took."""
    extra = extra or {}
    x, y, g = train
    xv, yv, gv = valid
    t0 = time.perf_counter()
    if host == "xgboost":
        dtrain = xgb.DMatrix(x, y, group=g) if g is not None else xgb.DMatrix(x, y)
        dvalid = xgb.DMatrix(xv, yv, group=gv) if gv is not None else xgb.DMatrix(xv, yv)
        p = {**XGB_TREES, "seed": seed, "disable_default_eval_metric": 1, **extra}
        builtin = isinstance(obj, str)
        if builtin:
            p["objective"] = obj
        # XGBoost guesses the direction from the metric's name and minimises any name it does
        # not know ("spearman" included): pass it explicitly
        maximize = bool(getattr(metric, "higher_is_better", False))
        bst = xgb.train(p, dtrain, num_boost_round=rounds, obj=None if builtin else obj,
                        evals=[(dvalid, "valid")], custom_metric=metric,
                        early_stopping_rounds=patience, maximize=maximize, verbose_eval=False)
        best = bst.best_iteration + 1
        pred = bst.predict(xgb.DMatrix(test_x), output_margin=True, iteration_range=(0, best))
    else:
        ds = lgb.Dataset(x, y, group=g, free_raw_data=False)
        dv = lgb.Dataset(xv, yv, group=gv, reference=ds, free_raw_data=False)
        p = {**LGB_TREES, "seed": seed, "objective": obj, "metric": "None", **extra}
        bst = lgb.train(p, ds, num_boost_round=rounds, valid_sets=[dv], valid_names=["valid"],
                        feval=metric, callbacks=[lgb.early_stopping(patience, verbose=False)])
        best = bst.best_iteration or rounds
        pred = bst.predict(test_x, raw_score=True, num_iteration=best)
    return np.asarray(pred), best, time.perf_counter() - t0


# --------------------------------------------------------------------------- contenders
Contender = tuple[str, str, Any]  # (host, label, objective: built-in name or boostrank object)


def ranking_contenders(hosts: list[str], extended: bool) -> list[Contender]:
    objs: list[tuple[str, Any]] = [
        ("pairwise_soft_zero_one", br.pairwise_soft_zero_one),
        ("pairwise_soft_zero_one(ndcg)", br.PairwiseSoftZeroOne(lambda_weight="ndcg")),
        ("pairwise_logistic", br.pairwise_logistic),
        ("pairwise_logistic(ndcg)", br.PairwiseLogistic(lambda_weight="ndcg")),
        ("softmax_ranking", br.softmax_ranking),
    ]
    if extended:
        objs += [
            ("pairwise_soft_zero_one(hessian=exact)", br.PairwiseSoftZeroOne(hessian="exact")),
            ("pairwise_soft_zero_one(ndcg,hessian=exact)",
             br.PairwiseSoftZeroOne(lambda_weight="ndcg", hessian="exact")),
            ("pairwise_soft_zero_one(T=0.5)", br.PairwiseSoftZeroOne(temperature=0.5)),
            ("pairwise_soft_zero_one(T=2)", br.PairwiseSoftZeroOne(temperature=2.0)),
            ("pairwise_soft_zero_one(ndcg,T=0.5)",
             br.PairwiseSoftZeroOne(lambda_weight="ndcg", temperature=0.5)),
            ("pairwise_soft_zero_one(ndcg,T=2)",
             br.PairwiseSoftZeroOne(lambda_weight="ndcg", temperature=2.0)),
            ("pairwise_logistic(ndcg,T=0.5)",
             br.PairwiseLogistic(lambda_weight="ndcg", temperature=0.5)),
            ("pairwise_logistic(ndcg,T=2)",
             br.PairwiseLogistic(lambda_weight="ndcg", temperature=2.0)),
            ("pairwise_logistic(ndcg,group_scale=None)",
             br.PairwiseLogistic(lambda_weight="ndcg", group_scale=None)),
        ]
    builtins = {"xgboost": ["rank:ndcg", "rank:pairwise"],
                "lightgbm": ["lambdarank", "rank_xendcg"]}
    out: list[Contender] = []
    for h in hosts:
        out += [(h, b, b) for b in builtins[h]]
        out += [(h, name, o) for name, o in objs]
    return out


def spearman_contenders(hosts: list[str], extended: bool) -> list[Contender]:
    objs: list[tuple[str, Any]] = [
        ("soft_spearman", br.soft_spearman),
        ("soft_spearman(pair_magnitude)", br.SoftSpearman(hessian="pair_magnitude")),
        ("combined_loss", br.combined_loss),
    ]
    if extended:  # tau relative to the scores' spread; CombinedLoss is MSE-led at large tau
        objs += [("soft_spearman(reg=1e-2)", br.SoftSpearman(regularization_strength=1e-2)),
                 ("soft_spearman(reg=1e-1)", br.SoftSpearman(regularization_strength=1e-1)),
                 ("soft_spearman(reg=1)", br.SoftSpearman(regularization_strength=1.0)),
                 ("combined_loss(reg=1e-1)", br.CombinedLoss(regularization_strength=1e-1)),
                 ("combined_loss(reg=1)", br.CombinedLoss(regularization_strength=1.0)),
                 ("combined_loss(reg=1,mse=1)",
                  br.CombinedLoss(mse_weight=1.0, regularization_strength=1.0))]
    builtins = {"xgboost": ["reg:squarederror"], "lightgbm": ["regression"]}
    out: list[Contender] = []
    for h in hosts:
        out += [(h, b, b) for b in builtins[h]]
        out += [(h, name, o) for name, o in objs]
    return out


def ordinal_contenders(hosts: list[str], extended: bool) -> list[Contender]:
    objs: list[tuple[str, Any]] = [
        ("rps", br.rps),
    ]
    if extended:  # the exact Hessian costs about 4x the time of the default per round
        objs += [("rps(hessian=exact)", br.RankedProbabilityScore(hessian="exact"))]
    builtins = {"xgboost": ["multi:softprob", "reg:squarederror"],
                "lightgbm": ["multiclass", "regression"]}
    out: list[Contender] = []
    for h in hosts:
        out += [(h, b, b) for b in builtins[h]]
        out += [(h, name, o) for name, o in objs]
    return out


BUILTINS = {"rank:ndcg", "rank:pairwise", "lambdarank", "rank_xendcg", "reg:squarederror",
            "regression", "multi:softprob", "multiclass"}

# results[task][(host, label)] = list of per-fold dicts {metric: value, "trees":, "secs":}
Results = dict[str, dict[tuple[str, str], list[dict[str, float]]]]


ONLY: list[str] = []  # --only: labels to run besides the built-ins (empty: all)


def selected(contenders: list[Contender]) -> list[Contender]:
    return [c for c in contenders if not ONLY or c[1] in BUILTINS or c[1] in ONLY]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------- tasks
def rank_scores(y: np.ndarray, pred: np.ndarray, sizes: np.ndarray) -> dict[str, float]:
    t = br.evaluate(y, pred, group=sizes, metrics=RANK_METRICS, k=None, no_relevant_score=0.0)
    out = {m: float(t[m].mean()) for m in RANK_METRICS}
    rel = br.evaluate(y, pred, group=sizes, metrics=["ndcg@10"], k=None, no_relevant_score=None)
    out["ndcg@10*"] = float(np.nanmean(rel["ndcg@10"]))
    return out


def run_letor(name: str, args: argparse.Namespace, res: Results) -> None:
    for fold in args.folds:
        d = letor_fold(name, fold)
        (x, y, g), valid, (xt, yt, gt) = d["train"], d["valid"], d["test"]
        for host, label, obj in selected(ranking_contenders(args.hosts, args.extended)):
            pred, trees, secs = fit_predict(host, obj, (x, y, g), valid, xt, br.NDCG(k=10),
                                            args.rounds, args.patience, 0)
            s = rank_scores(yt, pred, gt) | {"trees": trees, "secs": secs}
            res[name][(host, label)].append(s)
            log(f"{name} fold {fold} {host} {label}: ndcg@10 {s['ndcg@10']:.4f} "
                f"trees {trees} {secs:.1f}s")


def run_yahoo(args: argparse.Namespace, res: Results) -> None:
    tr, te = load("lgb_rank_train"), load("lgb_rank_test")
    x, y, g = tr["X"], tr["y"].astype(np.float64), tr["group"]
    xt, yt, gt = te["X"], te["y"].astype(np.float64), te["group"]
    for seed in args.seeds:
        is_valid = np.random.default_rng(seed).random(g.size) < 0.2
        rows = np.repeat(is_valid, g)
        train = (x[~rows], y[~rows], g[~is_valid])
        valid = (x[rows], y[rows], g[is_valid])
        for host, label, obj in selected(ranking_contenders(args.hosts, args.extended)):
            pred, trees, secs = fit_predict(host, obj, train, valid, xt, br.NDCG(k=10),
                                            args.rounds, args.patience, seed)
            s = rank_scores(yt, pred, gt) | {"trees": trees, "secs": secs}
            res["yahoo"][(host, label)].append(s)
            log(f"yahoo seed {seed} {host} {label}: ndcg@10 {s['ndcg@10']:.4f} trees {trees}")


def group_folds(n_groups: int, n_folds: int, seed: int) -> np.ndarray:
    """Fold number of each group, a seeded balanced assignment."""
    perm = np.random.default_rng(seed).permutation(n_groups)
    fold = np.empty(n_groups, dtype=int)
    fold[perm] = np.arange(n_groups) % n_folds
    return fold


def stratified_folds(y: np.ndarray, n_folds: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    fold = np.empty(y.size, dtype=int)
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        rng.shuffle(idx)
        fold[idx] = (np.arange(idx.size) + rng.integers(n_folds)) % n_folds
    return fold


def run_chem97_spearman(args: argparse.Namespace, res: Results) -> None:
    d = load("chem97")
    x, y, sizes = d["X"], d["y"].astype(np.float64), d["group"]
    for seed in args.seeds:
        gfold = group_folds(sizes.size, 5, seed)
        inner = np.random.default_rng(seed + 1000).random(sizes.size) < 0.2
        for fold in args.folds:
            te_g = gfold == fold - 1
            va_g = ~te_g & inner
            tr_g = ~te_g & ~inner
            sel = {k: np.repeat(m, sizes) for k, m in (("tr", tr_g), ("va", va_g), ("te", te_g))}
            train = (x[sel["tr"]], y[sel["tr"]], sizes[tr_g])
            valid = (x[sel["va"]], y[sel["va"]], sizes[va_g])
            yt = y[sel["te"]]
            for host, label, obj in selected(spearman_contenders(args.hosts, args.extended)):
                pred, trees, secs = fit_predict(host, obj, train, valid, x[sel["te"]],
                                                br.SpearmanMetric(), args.rounds,
                                                args.patience, seed)
                t = br.evaluate(yt, pred, group=sizes[te_g], metrics=["spearman"])
                s = {"spearman": float(t["spearman"].mean()),
                     "spearman std over schools": float(t["spearman"].std()),
                     "schools": float(t["spearman"].notna().sum()), "trees": trees, "secs": secs}
                res["chem97 spearman"][(host, label)].append(s)
                log(f"chem97 seed {seed} fold {fold} {host} {label}: spearman "
                    f"{s['spearman']:.4f} trees {trees} {secs:.1f}s")


def ordinal_data(name: str) -> tuple[np.ndarray, np.ndarray]:
    d = load(name)
    y = d["y"].astype(np.float64)
    if name == "wine_quality":
        y = y - 3
    elif name == "chem97":
        y = y / 2
    return d["X"], y


def run_ordinal(name: str, args: argparse.Namespace, res: Results) -> None:
    x, y = ordinal_data(name)
    k = int(y.max()) + 1
    task = f"{name} ordinal"
    for seed in args.seeds:
        fold_of = stratified_folds(y, 5, seed)
        for fold in args.folds:
            te = fold_of == fold - 1
            inner = stratified_split(y[~te], 0.2, seed + 1000)
            xtr, ytr = x[~te], y[~te]
            train = (xtr[~inner], ytr[~inner], None)
            valid = (xtr[inner], ytr[inner], None)
            for host, label, obj in selected(ordinal_contenders(args.hosts, args.extended)):
                regression = label in ("reg:squarederror", "regression")
                extra = {} if regression else {"num_class": k}
                metric = _mae_metric(host) if regression else br.RPSMetric()
                pred, trees, secs = fit_predict(host, obj, train, valid, x[te], metric,
                                                args.rounds, args.patience, seed, extra)
                if regression:
                    s = {"rps": np.nan, "accuracy": np.nan,
                         "mae": float(np.mean(np.abs(pred - y[te])))}
                else:
                    t = br.evaluate(y[te], pred, metrics=ORD_METRICS, input="margin")
                    s = {m: float(t[m].mean()) for m in ORD_METRICS}
                s |= {"trees": trees, "secs": secs}
                res[task][(host, label)].append(s)
                log(f"{task} seed {seed} fold {fold} {host} {label}: rps {s['rps']:.4f} "
                    f"mae {s['mae']:.4f} trees {trees} {secs:.1f}s")


def _mae_metric(host: str) -> Callable[..., Any]:
    """Early-stopping metric of the regression contender of the ordinal tasks (RPS needs K
    columns): mean absolute error of the prediction."""
    if host == "xgboost":
        def mae(pred: np.ndarray, dmat: Any) -> tuple[str, float]:
            return "mae", float(np.mean(np.abs(pred - dmat.get_label())))
        return mae

    def mae_lgb(pred: np.ndarray, ds: Any) -> tuple[str, float, bool]:
        return "mae", float(np.mean(np.abs(pred - ds.get_label()))), False
    return mae_lgb


# ------------------------------------------------------------------------------ tables
def fmt(vals: list[float]) -> str:
    a = np.asarray(vals, dtype=float)
    if np.isnan(a).all():
        return "-"
    return f"{np.mean(a):.4f} ± {np.std(a, ddof=1) if a.size > 1 else 0.0:.4f}"


def tables(task: str, rows: dict[tuple[str, str], list[dict[str, float]]],
           metrics: list[str], main: str, higher: bool) -> None:
    print(f"\n### {task}\n")
    print("| host | objective | " + " | ".join(metrics) + " | trees | s/fit |")
    print("|---|---|" + "---|" * (len(metrics) + 2))
    for (host, label), folds in rows.items():
        cells = [fmt([f[m] for f in folds]) for m in metrics]
        print(f"| {host} | {label} | " + " | ".join(cells)
              + f" | {np.mean([f['trees'] for f in folds]):.0f}"
              + f" | {np.mean([f['secs'] for f in folds]):.1f} |")
    # paired differences against the best built-in of the same host, per fold
    print(f"\nPer fold {main} and paired difference against the best built-in of the same host "
          f"({'higher' if higher else 'lower'} is better; t = mean / (std / sqrt(n))):\n")
    print(f"| host | objective | per fold {main} | diff vs best built-in | t |")
    print("|---|---|---|---|---|")
    for host in dict.fromkeys(h for h, _ in rows):
        cands = {lab: np.array([f[main] for f in folds], dtype=float)
                 for (h, lab), folds in rows.items() if h == host}
        bis = {lab: v for lab, v in cands.items() if lab in BUILTINS and not np.isnan(v).all()}
        if not bis:
            continue
        best = (max if higher else min)(bis, key=lambda lab: bis[lab].mean())
        for lab, v in cands.items():
            per = " ".join(f"{a:.4f}" for a in v)
            if np.isnan(v).all() or v.size != bis[best].size:
                print(f"| {host} | {lab} | {per} | - | - |")
                continue
            diff = v - bis[best]
            sd = diff.std(ddof=1) if diff.size > 1 else np.nan
            t = diff.mean() / (sd / np.sqrt(diff.size)) if sd and sd > 0 else np.nan
            if lab == best:
                print(f"| {host} | {lab} (best built-in) | {per} | reference | - |")
                continue
            tag = ""
            print(f"| {host} | {lab}{tag} | {per} | {diff.mean():+.4f} ± {sd:.4f} | {t:+.2f} |")
    sys.stdout.flush()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", default="letor,chem97,ordinal",
                    help="comma list of letor, yahoo, chem97, ordinal (default: %(default)s)")
    ap.add_argument("--letor", default="mq2008,ohsumed_querylevelnorm",
                    help="LETOR data sets (default: %(default)s)")
    ap.add_argument("--ordinal", default="wine_quality",
                    help="ordinal data sets: wine_quality, chem97, anes96 (default: %(default)s)")
    ap.add_argument("--hosts", default="xgboost,lightgbm")
    ap.add_argument("--folds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0],
                    help="data-split seeds of chem97, ordinal and Yahoo (LETOR folds are fixed)")
    ap.add_argument("--rounds", type=int, default=500, help="maximum boosting rounds")
    ap.add_argument("--patience", type=int, default=30, help="early-stopping patience")
    ap.add_argument("--extended", action="store_true",
                    help="also temperature, Hessian, regularisation and group-scale variants")
    ap.add_argument("--only", default="",
                    help="semicolon list of objective labels to run (built-ins always run)")
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: fold 1, 30 rounds, patience 5, MQ2008 and wine only")
    args = ap.parse_args()
    args.hosts = args.hosts.split(",")
    ONLY.extend(x for x in args.only.split(";") if x)
    tasks = args.tasks.split(",")
    if args.quick:
        args.folds, args.rounds, args.patience = [1], 30, 5
        args.letor, args.ordinal = "mq2008", "wine_quality"
        tasks = [t for t in tasks if t in ("letor", "ordinal")]
    print(f"`python benchmarks/quality.py {' '.join(sys.argv[1:])}`\n")
    print(f"xgboost {xgb.__version__}, lightgbm {lgb.__version__}, boostrank {br.__version__}, "
          f"numpy {np.__version__}, python {platform.python_version()}, "
          f"{os.cpu_count()} cpus; rounds <= {args.rounds}, patience {args.patience}, "
          f"folds {args.folds}, seeds {args.seeds}")
    res: Results = defaultdict(lambda: defaultdict(list))
    t0 = time.perf_counter()
    for task in tasks:
        if task == "letor":
            for name in args.letor.split(","):
                run_letor(name, args, res)
                tables(name, res[name], [*RANK_METRICS, "ndcg@10*"], "ndcg@10", True)
        elif task == "yahoo":
            run_yahoo(args, res)
            tables("yahoo", res["yahoo"], [*RANK_METRICS, "ndcg@10*"], "ndcg@10", True)
        elif task == "chem97":
            run_chem97_spearman(args, res)
            tables("chem97 spearman", res["chem97 spearman"],
                   ["spearman", "spearman std over schools"], "spearman", True)
        elif task == "ordinal":
            for name in args.ordinal.split(","):
                run_ordinal(name, args, res)
                tables(f"{name} ordinal", res[f"{name} ordinal"], ORD_METRICS, "rps", False)
        else:
            raise SystemExit(f"unknown task {task!r}")
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
