"""Ordinal classes with the ranked probability score: wine quality 3..9.

Predicting 6 for a wine rated 7 is better than predicting 4; the ranked probability score
(RPS) rewards probability mass near the true class.  This script trains LightGBM with
boostrank's RPS objective next to the built-in multiclass one, compares RPS, accuracy and the
error of the expected quality for red and white wines separately, and plots the per-class
calibration.  Uses the UCI wine quality data from ../shared/data (or $BOOSTRANK_DATA) when
present, otherwise data the package generates.

    python examples/ordinal_wine.py [--plots DIR]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd

import boostrank as br
from boostrank.datasets import make_ordinal

DATA = Path(os.environ.get("BOOSTRANK_DATA", Path(__file__).resolve().parents[2] / "shared/data"))


def load() -> tuple[str, np.ndarray, np.ndarray, np.ndarray, int]:
    """(description, X, classes 0..K-1, colour, lowest quality)."""
    path = DATA / "wine_quality.npz"
    if path.exists():
        with np.load(path) as f:
            y = f["y"].astype(np.int64)
            colour = np.where(f["is_red"] == 1, "red", "white")
            return "UCI wine quality", f["X"], y - y.min(), colour, int(y.min())
    d = make_ordinal(n_samples=6000, n_classes=7, seed=0)
    colour = np.where(np.arange(d["y"].size) % 4 == 0, "red", "white")
    return "generated (make_ordinal)", d["X"], d["y"].astype(np.int64), colour, 3


def main(plots: Path | None) -> None:
    name, x, y, colour, lowest = load()
    n_classes = int(y.max()) + 1
    test = np.random.default_rng(0).random(y.size) < 0.25
    print(f"{name}: {(~test).sum()} training and {test.sum()} test wines, {n_classes} classes "
          f"(quality {lowest}..{lowest + n_classes - 1})")

    params = {"num_class": n_classes, "learning_rate": 0.1, "num_leaves": 15, "verbose": -1,
              "num_threads": 2}
    train_set = lgb.Dataset(x[~test], y[~test])
    margins = {}
    for label, objective in [("rps", br.rps), ("multiclass", "multiclass")]:
        model = lgb.train({**params, "objective": objective}, train_set, 150)
        margins[label] = model.predict(x[test], raw_score=True)

    quality = np.arange(n_classes) + lowest
    frame = pd.DataFrame({"quality_class": y[test], "colour": colour[test]})
    print("\ntest wines by colour (rps and mae: lower is better; mae of the expected quality):")
    for label, z in margins.items():
        columns = [f"{label}_{k}" for k in range(n_classes)]
        frame[columns] = z
        table = br.evaluate(frame, label="quality_class", pred=columns, by="colour",
                            class_values=quality)
        print(f"  {label:<10s} " + "   ".join(
            f"{row.colour}: rps {row.rps:.4f} acc {row.accuracy:.3f} mae {row.mae:.3f}"
            for row in table.itertuples()))
    expected = br.expected_value(margins["rps"], class_values=quality)
    print(f"\nmean expected quality (rps model) {expected.mean():.3f}; mean true quality "
          f"{(y[test] + lowest).mean():.3f}; mean of arg-max predictions "
          f"{(margins['rps'].argmax(axis=1) + lowest).mean():.3f}")

    if plots is not None:
        from boostrank import plotting

        plots.mkdir(parents=True, exist_ok=True)
        fig = plotting.plot_ordinal_calibration(y[test], margins["rps"], class_names=quality)
        fig.savefig(plots / "ordinal_calibration.png", dpi=100)
        print(f"plots written to {plots}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plots", type=Path, help="folder to write PNG plots to")
    main(parser.parse_args().plots)
