"""Cold first-call time of every objective: what a new user waits for before the first
gradient, Numba compiles included.

    python benchmarks/first_call.py [--cases all|NAME,...] [--rev REV] [--quickstart]

Each case runs in a fresh Python process with a fresh, empty ``NUMBA_CACHE_DIR`` (a temporary
folder), so every kernel it needs is compiled.  Timed inside that process with
``time.perf_counter``: ``import`` (``import boostrank``; NumPy is imported first, the hosts
too for the host cases), then ``first call``: from before ``import boostrank`` to the end of
the first ``grad_hess`` on 300 rows in 3 groups of 100 (5 grades; RPS: 300 rows, 5 classes),
or, for the host cases, to the end of one boosting round of ``xgb.train`` / ``lgb.train`` on
the same data.  ``warm`` repeats the case in another fresh process on the cache the cold run
left (what every later process pays: import plus loading the cached kernels).

``--rev REV`` runs the cases against the package of an earlier commit, extracted with
``git archive`` into a temporary folder (needs the git history), for a before/after table.
``--quickstart`` also times ``examples/quickstart.py`` (100 rounds of every objective on both
hosts) from the start to the end of its process, cold and warm, with the CPU seconds the
process spent compiling (Numba's compile events; the training itself is multi-threaded, so on
a busy machine its wall time says little).  ``cat /proc/loadavg`` is
printed before and after: compile times are CPU-bound, so quote them from a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: name -> (objective expression, host): host "" is a direct ``grad_hess`` call.
CASES: dict[str, tuple[str, str]] = {
    "pairwise_soft_zero_one": ("br.pairwise_soft_zero_one", ""),
    "pairwise_logistic": ("br.pairwise_logistic", ""),
    "pairwise_logistic(ndcg)": ("br.PairwiseLogistic(lambda_weight='ndcg')", ""),
    "soft_spearman": ("br.soft_spearman", ""),
    "combined_loss": ("br.combined_loss", ""),
    "rps": ("br.rps", ""),
    "softmax_ranking": ("br.softmax_ranking", ""),
    "yetirank": ("br.yetirank", ""),
    "pairwise_squared_hinge": ("br.pairwise_squared_hinge", ""),
    "xgb.train pairwise_soft_zero_one": ("br.pairwise_soft_zero_one", "xgb"),
    "lgb.train pairwise_logistic(ndcg)": ("br.PairwiseLogistic(lambda_weight='ndcg')", "lgb"),
    "xgb.train soft_spearman": ("br.soft_spearman", "xgb"),
    "lgb.train combined_loss": ("br.combined_loss", "lgb"),
    "xgb.train rps": ("br.rps", "xgb"),
    "lgb.train rps": ("br.rps", "lgb"),
    "xgb.train softmax_ranking": ("br.softmax_ranking", "xgb"),
}

#: The program each case runs; prints one JSON line of seconds.
CHILD = r"""
import json, sys, time
import numpy as np
HOST = sys.argv[2]
if HOST == "xgb":
    import xgboost as xgb
elif HOST == "lgb":
    import lightgbm as lgb
t0, c0 = time.perf_counter(), time.process_time()
import boostrank as br
t1 = time.perf_counter()
obj = eval(sys.argv[1])
rng = np.random.default_rng(0)
n, sizes, n_classes = 300, np.array([100, 100, 100]), 5
multiclass = obj.multiclass
y = rng.integers(0, n_classes, n).astype(np.float64)
x = rng.normal(size=(n, 4))
if not HOST:
    s = rng.normal(size=(n, n_classes)) if multiclass else rng.normal(size=n)
    obj.grad_hess(y, s, group=None if multiclass else sizes)
elif HOST == "xgb":
    params = {"nthread": 2, "disable_default_eval_metric": 1}
    if multiclass:
        params["num_class"] = n_classes
    d = xgb.DMatrix(x, y, group=None if multiclass else sizes)
    xgb.train(params, d, 1, obj=obj)
else:
    params = {"objective": obj, "verbose": -1, "num_threads": 2}
    if multiclass:
        params["num_class"] = n_classes
    lgb.train(params, lgb.Dataset(x, y, group=None if multiclass else sizes), 1)
t2, c2 = time.perf_counter(), time.process_time()
print(json.dumps({"import": t1 - t0, "first": t2 - t0, "cpu": c2 - c0}))
"""


def child_env(package_root: Path, cache: str) -> dict[str, str]:
    env = dict(os.environ)
    env["NUMBA_CACHE_DIR"] = cache
    env["PYTHONPATH"] = os.pathsep.join([str(package_root), env.get("PYTHONPATH", "")])
    return env


def run_case(package_root: Path, expr: str, host: str, cache: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", CHILD, expr, host], cwd=package_root,
                         env=child_env(package_root, cache), check=True, capture_output=True,
                         text=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


#: Runs a script (argv[1]) and prints, as its last line, the CPU seconds its process spent in
#: Numba compiles (outermost ``numba:compile`` events: loads from the cache are not compiles).
SCRIPT_CHILD = r"""
import json, runpy, sys, time
from numba.core import event
spent = [0.0]
depth = [0, 0.0]
class Compiles(event.Listener):
    def on_start(self, ev):
        depth[0] += 1
        if depth[0] == 1:
            depth[1] = time.process_time()
    def on_end(self, ev):
        depth[0] -= 1
        if depth[0] == 0:
            spent[0] += time.process_time() - depth[1]
event.register("numba:compile", Compiles())
script = sys.argv[1]
sys.argv = [script]
runpy.run_path(script, run_name="__main__")
print(json.dumps({"compile_cpu": spent[0]}))
"""


def run_script(package_root: Path, script: Path, cache: str) -> tuple[float, float]:
    """Wall seconds of the whole process and CPU seconds it spent compiling."""
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", SCRIPT_CHILD, str(script)], cwd=package_root,
                         env=child_env(package_root, cache), check=True, capture_output=True,
                         text=True)
    wall = time.perf_counter() - t0
    return wall, float(json.loads(out.stdout.strip().splitlines()[-1])["compile_cpu"])


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def extract(rev: str, dest: Path) -> Path:
    """The package and examples of commit ``rev``, extracted into ``dest``."""
    archive = subprocess.run(["git", "archive", rev, "boostrank", "examples"], cwd=ROOT,
                             check=True, capture_output=True).stdout
    dest.mkdir()
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", default="all",
                    help="comma-separated case names (see CASES), 'all', 'direct' or 'host'")
    ap.add_argument("--rev", default=None, help="time the package of this commit instead")
    ap.add_argument("--quickstart", action="store_true",
                    help="also time examples/quickstart.py cold and warm")
    ap.add_argument("--no-warm", action="store_true", help="skip the warm-cache runs")
    args = ap.parse_args()
    if args.cases == "all":
        names = list(CASES)
    elif args.cases in ("direct", "host"):
        names = [k for k, (_, host) in CASES.items() if bool(host) == (args.cases == "host")]
    elif args.cases == "none":
        names = []
    else:
        names = args.cases.split(",")
        unknown = [k for k in names if k not in CASES]
        if unknown:
            ap.error(f"unknown cases {unknown}; choose from {list(CASES)}")
    with tempfile.TemporaryDirectory() as tmp:
        root = extract(args.rev, Path(tmp) / "src") if args.rev else ROOT
        label = args.rev or "working tree"
        print(f"boostrank: {label}; python {sys.version.split()[0]}; "
              f"{os.cpu_count()} CPUs; load average before: {loadavg()}")
        print("| case | import (s) | first call, cold (s) | CPU, cold (s) | "
              "first call, warm cache (s) |")
        print("|---|---|---|---|---|")
        for name in names:
            expr, host = CASES[name]
            cache = tempfile.mkdtemp(dir=tmp, prefix="numba-cache-")
            cold = run_case(root, expr, host, cache)
            warm = None if args.no_warm else run_case(root, expr, host, cache)
            shutil.rmtree(cache)
            warm_s = "" if warm is None else f"{warm['first']:.2f}"
            print(f"| {name} | {cold['import']:.2f} | {cold['first']:.2f} | "
                  f"{cold['cpu']:.2f} | {warm_s} |",
                  flush=True)
        if args.quickstart:
            script = root / "examples" / "quickstart.py"
            cache = tempfile.mkdtemp(dir=tmp, prefix="numba-cache-")
            cold_s, cold_compile = run_script(root, script, cache)
            warm = None if args.no_warm else run_script(root, script, cache)
            shutil.rmtree(cache)
            warm_s = "" if warm is None else f"{warm[0]:.1f}"
            warm_c = "" if warm is None else f"{warm[1]:.1f}"
            print("\n| examples/quickstart.py | cold (s) | of which compiling, CPU (s) | "
                  "warm cache (s) | of which compiling, CPU (s) |\n|---|---|---|---|---|\n"
                  f"| whole process | {cold_s:.1f} | {cold_compile:.1f} | {warm_s} | "
                  f"{warm_c} |")
        print(f"load average after: {loadavg()}")


if __name__ == "__main__":
    main()
