"""Per-era rank correlation: train on soft Spearman and judge the model era by era.

Quant tournaments score a model by its Spearman correlation within each era, and watch the
mean, the spread and their ratio (the per-era "Sharpe").  This script trains LightGBM with
boostrank's soft Spearman and with plain regression on generated era data, records the
per-era Spearman on held-out eras while training, and prints and plots the era-wise summary.

    python examples/era_spearman.py [--plots DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import lightgbm as lgb
import pandas as pd

import boostrank as br
from boostrank.datasets import make_eras


def main(plots: Path | None) -> None:
    data = make_eras(n_eras=140, era_size=100, seed=0)
    frame = pd.DataFrame(data["X"], columns=[f"f{i}" for i in range(data["X"].shape[1])])
    frame["era"], frame["target"] = data["qid"], data["y"]
    train, test = frame[frame["era"] < 100], frame[frame["era"] >= 100]
    features = [c for c in frame.columns if c.startswith("f")]
    print(f"{train['era'].nunique()} training eras, {test['era'].nunique()} test eras "
          f"of {data['group'][0]} rows")

    held_out = (test[features].to_numpy(), test["target"].to_numpy(),
                test.groupby("era", sort=True).size().to_numpy())
    params = {"learning_rate": 0.05, "num_leaves": 15, "verbose": -1, "num_threads": 2}
    models, curves = {}, {}
    for name, objective in [("soft_spearman", br.soft_spearman), ("regression", "regression")]:
        curves[name] = br.LearningCurve({"test": held_out}, metrics=["spearman"], every=10)
        train_set = lgb.Dataset(train[features], train["target"],
                                group=train.groupby("era", sort=True).size().to_numpy())
        models[name] = lgb.train({**params, "objective": objective}, train_set, 150,
                                 callbacks=[curves[name]])
        test = test.assign(**{name: models[name].predict(test[features], raw_score=True)})

    print("\nper-era Spearman on the test eras:")
    summaries = {name: br.summarize(br.evaluate(test, label="target", pred=name, by="era",
                                                metrics=["spearman"]))
                 for name in models}
    table = pd.concat(summaries, names=["objective"]).droplevel("metric")
    print(table[["groups", "mean", "std", "sharpe", "min", "q10", "median",
                 "share_positive"]].round(4).to_string())

    if plots is not None:
        import matplotlib.pyplot as plt

        from boostrank import plotting

        plots.mkdir(parents=True, exist_ok=True)
        fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), layout="constrained")
        for name, curve in curves.items():
            history = curve.history.assign(dataset=name)
            plotting.plot_learning_curve(history, "spearman", ax=axes[0], band=None)
        per_era = br.evaluate(test, label="target", pred="soft_spearman", by="era",
                              metrics=["spearman"])
        plotting.plot_group_metric(per_era, "spearman", ax=axes[1], bins=15)
        axes[1].set_title("soft_spearman: Spearman per test era")
        fig.savefig(plots / "era_spearman.png", dpi=100)
        print(f"plots written to {plots}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plots", type=Path, help="folder to write PNG plots to")
    main(parser.parse_args().plots)
