"""boostrank's ranking objectives on XGBoost and LightGBM against CatBoost's rankers.

    python benchmarks/catboost_compare.py                          # the whole table
    python benchmarks/catboost_compare.py --hosts catboost --data mq2008
    python benchmarks/catboost_compare.py --only "YetiRankPairwise;yetirank" --folds 1 2
    python benchmarks/catboost_compare.py --extended --only "YetiRank(bernoulli)"

Protocol (the same for every contender):

* MQ2008 and OHSUMED (query-level normalised) from ``../shared/data``, five folds: fold f
  trains on parts f+1, f+2, f+3 and tests on part f (mod 5); the remaining part is unused.
  No early stopping.
* Learning rate 0.1, 200 rounds.  Trees: ``max_depth=6`` for XGBoost; ``max_depth=6,
  num_leaves=63`` for LightGBM; ``depth=6`` (oblivious, 64 leaves) for CatBoost,
  ``random_seed=0``.  Every other parameter at its default (threads included).
* ``--threads N`` sets every host's thread count (default: the hosts' defaults).
* ``--validation`` scores each fold's validation split instead: train on parts f+1 and f+2,
  score part f+3 (the fold's test part f is not used).  Options and defaults are chosen on
  these splits, never on the test parts.
* NDCG@10, exponential gain 2^y - 1, LETOR convention: a query with no relevant document
  scores 0 (``boostrank.ndcg``).
* Table: mean and standard deviation (ddof 1) over the folds; the paired difference per fold
  against the best CatBoost row of the same data set (by mean), its mean, standard deviation
  and t = mean / (std / sqrt(n)).  |t| > 2.78 is beyond fold noise (two-sided 5% point of
  Student's t with 4 degrees of freedom).

CatBoost is optional: ``pip install "boostrank[bench]"`` (catboost 1.2.10, the version the
figures in ``docs/yetirank.md`` come from).  Without it the CatBoost rows are skipped with a
message, and no t-statistics are printed.

``--extended`` adds the ablations behind ``docs/yetirank.md``: CatBoost's YetiRank and
YetiRankPairwise with each other's sampling and leaf estimation, and variants of
``YetiRank``'s options.  ``--cache FILE`` keeps per-fold results in a JSON file and reuses
them (delete it after changing code).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import xgboost as xgb
from _data import load, sizes_of

import boostrank as br

DATA = {"mq2008": "MQ2008", "ohsumed_querylevelnorm": "OHSUMED"}
ROUNDS = 200
LEARNING_RATE = 0.1
XGB_PARAMS = {"eta": LEARNING_RATE, "max_depth": 6}
LGB_PARAMS = {"learning_rate": LEARNING_RATE, "max_depth": 6, "num_leaves": 63, "verbose": -1}
CB_PARAMS = {"learning_rate": LEARNING_RATE, "depth": 6, "iterations": ROUNDS,
             "random_seed": 0, "verbose": 0, "allow_writing_files": False}
NO_CATBOOST = ("catboost is not installed, so the CatBoost rows are skipped: "
               'pip install "boostrank[bench]" (or catboost==1.2.10), or pass '
               "--hosts xgboost,lightgbm.")

# A contender: (host, label, spec).  spec is a CatBoost parameter dict, an XGBoost / LightGBM
# built-in objective name, or a factory of a fresh boostrank objective (one per fit, so that
# objectives that count boosting rounds start from round 0 every time).
Contender = tuple[str, str, Any]


def boostrank_objectives(extended: bool) -> list[tuple[str, Callable[[], Any]]]:
    objs: list[tuple[str, Callable[[], Any]]] = [
        ("pairwise_soft_zero_one", lambda: br.PairwiseSoftZeroOne()),
        ("pairwise_soft_zero_one(ndcg)", lambda: br.PairwiseSoftZeroOne(lambda_weight="ndcg")),
        ("pairwise_logistic", lambda: br.PairwiseLogistic()),
        ("pairwise_logistic(ndcg)", lambda: br.PairwiseLogistic(lambda_weight="ndcg")),
        ("softmax_ranking", lambda: br.SoftmaxRanking()),
        ("yetirank", lambda: br.YetiRank()),
        ("pairwise_squared_hinge", lambda: br.PairwiseSquaredHinge()),
    ]
    if extended:
        objs += [
            ("yetirank(hessian=logistic)", lambda: br.YetiRank(hessian="logistic")),
            ("yetirank(weights=ndcg)", lambda: br.YetiRank(weights="ndcg")),
            ("yetirank(group_scale=query)", lambda: br.YetiRank(group_scale="query")),
            ("yetirank(group_scale=lambdarank)",
             lambda: br.YetiRank(group_scale="lambdarank")),
            ("yetirank(group_scale=None)", lambda: br.YetiRank(group_scale=None)),
            ("yetirank(seed=1)", lambda: br.YetiRank(seed=1)),
            ("yetirank(seed=2)", lambda: br.YetiRank(seed=2)),
            ("pairwise_squared_hinge(hessian=upper_bound)",
             lambda: br.PairwiseSquaredHinge(hessian="upper_bound")),
            ("pairwise_squared_hinge(ndcg)",
             lambda: br.PairwiseSquaredHinge(lambda_weight="ndcg")),
        ]
    return objs


def catboost_rankers(extended: bool) -> list[tuple[str, dict[str, Any]]]:
    rows: list[tuple[str, dict[str, Any]]] = [
        ("YetiRankPairwise", {"loss_function": "YetiRankPairwise"}),
        ("LambdaMart", {"loss_function": "LambdaMart"}),
        ("YetiRank", {"loss_function": "YetiRank"}),
        ("QuerySoftMax", {"loss_function": "QuerySoftMax"}),
    ]
    if extended:
        # YetiRankPairwise's defaults differ from YetiRank's in more than the leaf estimation
        # and split scoring (CatBoost 1.2.10, ``get_all_params``): Bernoulli subsample 0.5 of
        # the queries (YetiRank: MVS 0.8 of the documents), border_count 32 (254),
        # random_strength 0 (1).  Each row below moves one of them across.
        rows += [
            ("YetiRank(Bernoulli 0.5)",
             {"loss_function": "YetiRank", "bootstrap_type": "Bernoulli", "subsample": 0.5}),
            ("YetiRank(border_count 32, random_strength 0)",
             {"loss_function": "YetiRank", "border_count": 32, "random_strength": 0}),
            ("YetiRank(no bootstrap)", {"loss_function": "YetiRank", "bootstrap_type": "No"}),
            ("YetiRank(all three)",
             {"loss_function": "YetiRank", "bootstrap_type": "Bernoulli", "subsample": 0.5,
              "border_count": 32, "random_strength": 0}),
            ("YetiRankPairwise(MVS 0.8)",
             {"loss_function": "YetiRankPairwise", "bootstrap_type": "MVS", "subsample": 0.8}),
            ("YetiRankPairwise(no bootstrap)",
             {"loss_function": "YetiRankPairwise", "bootstrap_type": "No"}),
        ]
    return rows


def contenders(hosts: list[str], extended: bool) -> list[Contender]:
    out: list[Contender] = []
    if "catboost" in hosts:
        out += [("catboost", label, spec) for label, spec in catboost_rankers(extended)]
    if "xgboost" in hosts:
        out.append(("xgboost", "rank:ndcg", "rank:ndcg"))
    if "lightgbm" in hosts:
        out.append(("lightgbm", "lambdarank", "lambdarank"))
    for host in ("xgboost", "lightgbm"):
        if host in hosts:
            out += [(host, label, make) for label, make in boostrank_objectives(extended)]
    return out


# ------------------------------------------------------------------------------- fitting
def fold_split(name: str, fold: int,
               validation: bool) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    """(X, y, group sizes, qid) of fold ``fold``'s training parts f+1..f+3 and test part f; with
    ``validation``, of parts f+1, f+2 and f+3 instead: the fold's own training parts split
    into training and validation, the test part untouched."""
    d = load(name)
    parts = [(fold + i - 1) % 5 + 1 for i in (1, 2, 3)]
    train_parts, held_out = (parts[:2], parts[2]) if validation else (parts, fold)
    out = []
    for mask in (np.isin(d["part"], train_parts), d["part"] == held_out):
        qid = d["qid"][mask]
        out.append((d["X"][mask], d["y"][mask].astype(np.float64), sizes_of(qid), qid))
    return out[0], out[1]


def fit_predict(host: str, spec: Any, train: tuple[np.ndarray, ...], test_x: np.ndarray,
                threads: int | None) -> np.ndarray:
    x, y, sizes, qid = train
    if host == "catboost":
        import catboost

        extra = {} if threads is None else {"thread_count": threads}
        model = catboost.CatBoost({**CB_PARAMS, **spec, **extra})
        model.fit(catboost.Pool(x, y, group_id=qid))
        return np.asarray(model.predict(test_x))
    if host == "xgboost":
        dtrain = xgb.DMatrix(x, y, group=sizes)
        builtin = isinstance(spec, str)
        params = {**XGB_PARAMS, **({"objective": spec} if builtin else {}),
                  **({} if threads is None else {"nthread": threads})}
        bst = xgb.train(params, dtrain, ROUNDS, obj=None if builtin else spec())
        return np.asarray(bst.predict(xgb.DMatrix(test_x), output_margin=True))
    objective = spec if isinstance(spec, str) else spec()
    ds = lgb.Dataset(x, y, group=sizes)
    extra = {} if threads is None else {"num_threads": threads}
    model = lgb.train({**LGB_PARAMS, "objective": objective, **extra}, ds, ROUNDS)
    return np.asarray(model.predict(test_x, raw_score=True))


def have_catboost() -> bool:
    try:
        import catboost  # noqa: F401
    except ImportError:
        return False
    return True


# ------------------------------------------------------------------------------ tables
def t_stat(diff: np.ndarray) -> float:
    sd = diff.std(ddof=1)
    return float(diff.mean() / (sd / np.sqrt(diff.size))) if sd > 0 else float("nan")


def print_tables(results: dict[str, dict[str, list[float]]],
                 rows: list[tuple[str, str]]) -> None:
    """One summary table (mean ± std, paired diff and t against the best CatBoost row per data
    set) and one table of per-fold values."""
    names = [n for n in DATA if n in results]
    best: dict[str, str] = {}
    for n in names:
        cb = {k: np.mean(v) for k, v in results[n].items() if k.startswith("catboost ")}
        if cb:
            best[n] = max(cb, key=lambda k: cb[k])
    head = "| host | contender |"
    rule = "|---|---|"
    for n in names:
        head += f" {DATA[n]} NDCG@10 | vs best CatBoost | t |"
        rule += "---|---|---|"
    print(head)
    print(rule)
    for host, label in rows:
        key = f"{host} {label}"
        line = f"| {host} | {label} |"
        for n in names:
            v = np.asarray(results[n].get(key, []))
            if v.size == 0:
                line += " - | - | - |"
                continue
            line += f" {v.mean():.4f} ± {v.std(ddof=1) if v.size > 1 else 0.0:.4f} |"
            ref = np.asarray(results[n].get(best.get(n, ""), []))
            if key == best.get(n):
                line += " reference | - |"
            elif ref.size == v.size and v.size > 1:
                d = v - ref
                line += f" {d.mean():+.4f} ± {d.std(ddof=1):.4f} | {t_stat(d):+.2f} |"
            else:
                line += " - | - |"
        print(line)
    print("\nPer fold NDCG@10 (folds in the order run):\n")
    print("| host | contender | " + " | ".join(DATA[n] for n in names) + " |")
    print("|---|---|" + "---|" * len(names))
    for host, label in rows:
        key = f"{host} {label}"
        cells = [" ".join(f"{a:.4f}" for a in results[n].get(key, [])) or "-" for n in names]
        print(f"| {host} | {label} | " + " | ".join(cells) + " |")
    sys.stdout.flush()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=",".join(DATA),
                    help="comma list of data sets (default: %(default)s)")
    ap.add_argument("--hosts", default="catboost,xgboost,lightgbm",
                    help="comma list of hosts to run (default: %(default)s)")
    ap.add_argument("--only", default="",
                    help="semicolon list of contender labels to run (default: all)")
    ap.add_argument("--folds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    ap.add_argument("--extended", action="store_true",
                    help="also the ablations and option variants of docs/yetirank.md")
    ap.add_argument("--validation", action="store_true",
                    help="score on each fold's validation split (train on parts f+1, f+2, "
                         "score part f+3) instead of its test part: where options are chosen")
    ap.add_argument("--threads", type=int, default=None,
                    help="threads of every host (default: each host's own default); on a "
                         "loaded machine 1 avoids OpenMP spinning.  CatBoost's models do not "
                         "depend on it; XGBoost's and LightGBM's may in the last digits")
    ap.add_argument("--cache", type=Path, default=None,
                    help="JSON file of per-fold results to reuse and extend")
    args = ap.parse_args()
    hosts = args.hosts.split(",")
    if "catboost" in hosts and not have_catboost():
        print(NO_CATBOOST, file=sys.stderr)
        hosts.remove("catboost")
    only = [s for s in args.only.split(";") if s]
    chosen = [c for c in contenders(hosts, args.extended) if not only or c[1] in only]
    unknown = set(only) - {c[1] for c in chosen}
    if unknown:
        raise SystemExit(f"unknown contender labels {sorted(unknown)} for hosts {hosts}; "
                         f"run with --extended for the ablations")
    cache: dict[str, float] = {}
    if args.cache is not None and args.cache.exists():
        cache = json.loads(args.cache.read_text())
    print(f"`python benchmarks/catboost_compare.py {' '.join(sys.argv[1:])}`\n")
    versions = f"xgboost {xgb.__version__}, lightgbm {lgb.__version__}"
    if "catboost" in hosts:
        import catboost

        versions += f", catboost {catboost.__version__}"
    print(f"{versions}, boostrank {br.__version__}, numpy {np.__version__}, "
          f"python {platform.python_version()}, {os.cpu_count()} cpus; folds {args.folds}\n")
    results: dict[str, dict[str, list[float]]] = {}
    t0 = time.perf_counter()
    for name in args.data.split(","):
        if name not in DATA:
            raise SystemExit(f"unknown data set {name!r}; choose from {list(DATA)}")
        results[name] = {}
        for fold in args.folds:
            train, (xt, yt, gt, _) = fold_split(name, fold, args.validation)
            for host, label, spec in chosen:
                key = f"{host} {label}"
                ck = f"{name}|{key}|{fold}" + ("|validation" if args.validation else "")
                if ck not in cache:
                    t = time.perf_counter()
                    pred = fit_predict(host, spec, train, xt, args.threads)
                    cache[ck] = br.ndcg(yt, pred, group=gt, k=10)
                    print(f"{name} fold {fold} {key}: {cache[ck]:.4f} "
                          f"({time.perf_counter() - t:.1f} s)", file=sys.stderr, flush=True)
                    if args.cache is not None:
                        args.cache.write_text(json.dumps(cache, indent=0))
                results[name].setdefault(key, []).append(cache[ck])
    print_tables(results, [(h, lab) for h, lab, _ in chosen])
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
