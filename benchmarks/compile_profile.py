"""Where one objective's cold first call spends its compile time: per compiled function and
per compiler pass, from Numba's event API (``numba.core.event``).

    python benchmarks/compile_profile.py pairwise_logistic [--top 25] [--rev 45fbcea]

Runs the case of ``first_call.py`` named on the command line in a fresh process with an empty
``NUMBA_CACHE_DIR``, records every ``numba:compile`` (one function, one signature) and
``numba:run_pass`` event and prints (``--rev REV``: for the package of an earlier commit,
extracted as ``first_call.py --rev`` does):

* per compiled specialisation: its signature, its total time (callees included) and its self
  time (callees' compiles subtracted), largest first;
* per compiler pass (summed over all functions): self time, largest first.  LLVM's
  optimisation and machine-code generation are inside the lowering passes
  (``NativeLowering``, ``NativeParforLowering``).

Times are CPU seconds of the process (``time.process_time``; a compile runs on one thread
while the others wait for Numba's compiler lock), which other jobs on a shared machine
disturb less than wall time.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))


class _Recorder:
    """Nested timing of compile and pass events (numba.core.event.Listener protocol).  A
    function's self time is the time of its own passes (its callees' compiles, which run
    inside them, subtracted)."""

    def __init__(self) -> None:
        self.stack: list[list[Any]] = []  # [label, start, child seconds]
        self.total: dict[str, float] = defaultdict(float)
        self.self_time: dict[str, float] = defaultdict(float)
        self.count: dict[str, int] = defaultdict(int)

    def on_start(self, label: str) -> None:
        self.stack.append([label, time.process_time(), 0.0])

    def on_end(self) -> None:
        label, start, children = self.stack.pop()
        dur = time.process_time() - start
        self.total[label] += dur
        self.self_time[label] += dur - children
        self.count[label] += 1
        if self.stack:
            self.stack[-1][2] += dur
        if label.startswith("P "):  # attribute the pass to the function it compiles
            owner = next((f[0] for f in reversed(self.stack) if f[0].startswith("F ")), None)
            if owner is not None:
                self.self_time[owner] += dur - children


def profile(expr: str, host: str, top: int) -> None:
    from numba.core import event

    rec = _Recorder()

    class Listener(event.Listener):
        def on_start(self, ev: Any) -> None:
            if ev.kind == "numba:compile":
                disp = ev.data["dispatcher"]
                args = ", ".join(str(a) for a in ev.data["args"])
                rec.on_start(f"F {disp.py_func.__module__}.{disp.py_func.__qualname__}({args})")
            else:
                rec.on_start(f"P {ev.data['name'].split(' [')[0]}")

        def on_end(self, ev: Any) -> None:
            rec.on_end()

    listener = Listener()
    event.register("numba:compile", listener)
    event.register("numba:run_pass", listener)
    from first_call import CHILD

    t0, c0 = time.perf_counter(), time.process_time()
    sys.argv = ["child", expr, host]
    exec(compile(CHILD, "first_call_child", "exec"), {"__name__": "child"})
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    funcs = sorted((k for k in rec.total if k.startswith("F ")), key=lambda k: -rec.total[k])
    passes = sorted((k for k in rec.total if k.startswith("P ")),
                    key=lambda k: -rec.self_time[k])
    compiled = sum(rec.self_time[k] for k in passes)
    print(f"case {expr} {host or 'grad_hess'}: {wall:.2f} s wall, {cpu:.2f} s CPU ("
          f"process), {len(funcs)} specialisations compiled, {compiled:.2f} s CPU in compiler "
          "passes")
    print("\n| function (signature) | compiles | total (s) | self (s) |\n|---|---|---|---|")
    for k in funcs[:top]:
        print(f"| `{k[2:][:150]}` | {rec.count[k]} | {rec.total[k]:.2f} | "
              f"{rec.self_time[k]:.2f} |")
    print("\n| compiler pass | self time (s) | runs |\n|---|---|---|")
    for k in passes[:top]:
        print(f"| {k[2:]} | {rec.self_time[k]:.2f} | {rec.count[k]} |")


def main() -> None:
    from first_call import CASES, extract

    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("case", choices=list(CASES))
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--rev", default=None, help="profile the package of this commit instead")
    ap.add_argument("--in-process", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    expr, host = CASES[args.case]
    if args.in_process:
        profile(expr, host, args.top)
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = extract(args.rev, Path(tmp) / "src") if args.rev else ROOT
        cache = Path(tmp) / "numba-cache"
        env = {**os.environ, "NUMBA_CACHE_DIR": str(cache),
               "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
        subprocess.run([sys.executable, __file__, args.case, "--top", str(args.top),
                        "--in-process"], env=env, check=True, cwd=root)


if __name__ == "__main__":
    main()
