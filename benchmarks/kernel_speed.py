"""grad_hess time per call of each objective against a vectorised float64 NumPy implementation
of the same gradient, side by side in one process.

    python benchmarks/kernel_speed.py [--scale 1.0] [--repeats 5] [--no-jax]

Workloads (``--scale`` multiplies the row counts): W1 learning to rank, 1,000,000 rows in
groups of 100 with 5 grades; W2 per-era regression, 400 eras of 5,000 rows (soft Spearman,
O(n^2) per era: scaled down to 40 eras by default); W3 ordinal, 1,000,000 rows, 10 classes.
Median of ``--repeats`` calls after a warm-up, a fresh score array each call (as the hosts
pass).  The NumPy baseline loops over groups in Python with (n_g, n_g) matrices.  For each
pairwise loss on W1 the two kernels are also timed alone, side by side: the label-ordered
kernel the objectives use (``pairwise_grad_hess_ordered``) and the row-order one
(``pairwise_grad_hess``, kept as the baseline), with process CPU time.

JAX baselines (only when ``jax`` imports; float64, ``jax.jit``, a NumPy array in and out as
the hosts pass): the same loss written per group (W1, fixed group size 100) or per row (W3),
its gradient by ``jax.grad`` and the Hessian diagonal as the diagonal of
``jax.jacfwd(jax.grad(loss))`` per group / row (forward over reverse, the cheapest generic
autodiff route for a dense per-group Hessian), mapped over groups with ``jax.lax.map``
in batches (a plain vmap of the W1 Hessian would need ~80 GB).  For RPS the Hessian is
the Gauss-Newton diagonal 2 sum_k (dP_k/dz_c)^2 (``hessian="gauss_newton"``) from
``jax.jacfwd`` of the cumulative probabilities.  Each JAX result is checked against
boostrank's on the first rows.

W3 also times the RPS kernel alone with each Hessian, interleaved call by call in one process
(``--only W3`` runs just that): the Gauss-Newton diagonal against the default Gershgorin bound
(O(K) per row with prefix sums), and the Gauss-Newton kernel with libm's ``exp`` (before the
vectorised exponential).  The table ends with the load average (``/proc/loadavg``) before and
after.

W4 skewed groups (a pairwise objective): group sizes from a heavy-tailed distribution (most
10-50 rows, a few of 5,000+), timed with 1 and with 2 Numba threads, then with the opt-in pair
subsets (``truncation_level=30``, ``pairs_per_row=8``).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numba
import numpy as np
from _previous_kernels import rps_grad_hess_libm, softmax_grad_hess_libm

import boostrank as br
from boostrank._kernels.pairwise import (
    pairwise_grad_hess,
    pairwise_grad_hess_ordered,
    pairwise_label_order,
)
from boostrank._kernels.rps import HESS_GAUSS_NEWTON, HESS_GERSHGORIN, rps_grad_hess
from boostrank._kernels.softmax import softmax_grad_hess


def median_time(fn: Callable[[np.ndarray], Any], make: Callable[[], np.ndarray],
                repeats: int) -> float:
    fn(make())
    times = []
    for _ in range(repeats):
        s = make()
        t0 = time.perf_counter()
        fn(s)
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def median_wall_cpu(fn: Callable[[np.ndarray], Any], make: Callable[[], np.ndarray],
                    repeats: int) -> tuple[float, float]:
    """Median wall and process CPU seconds per call (CPU time, both threads, is the figure
    that other jobs on a shared machine disturb least)."""
    fn(make())
    walls, cpus = [], []
    for _ in range(repeats):
        s = make()
        t0, c0 = time.perf_counter(), time.process_time()
        fn(s)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return float(np.median(walls)), float(np.median(cpus))


def interleaved_wall_cpu(fns: dict[str, Callable[[np.ndarray], Any]],
                         make: Callable[[], np.ndarray],
                         repeats: int) -> dict[str, tuple[float, float]]:
    """``median_wall_cpu`` of several functions, called in turn on the same fresh input each
    repeat (the order rotating), so a load that comes and goes on a shared machine falls on
    all of them alike."""
    names = list(fns)
    s = make()
    for name in names:
        fns[name](s)
    walls: dict[str, list[float]] = {name: [] for name in names}
    cpus: dict[str, list[float]] = {name: [] for name in names}
    for rep in range(repeats):
        s = make()
        for name in names[rep % len(names):] + names[:rep % len(names)]:
            t0, c0 = time.perf_counter(), time.process_time()
            fns[name](s)
            walls[name].append(time.perf_counter() - t0)
            cpus[name].append(time.process_time() - c0)
    return {name: (float(np.median(walls[name])), float(np.median(cpus[name])))
            for name in names}


def load_average() -> str:
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "n/a"


def numpy_pairwise_logistic(y: np.ndarray, s: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    grad = np.empty_like(s)
    start = 0
    for m in sizes:
        ys, ss = y[start:start + m], s[start:start + m]
        pref = ys[:, None] > ys[None, :]
        sig_neg = 1.0 / (1.0 + np.exp(ss[:, None] - ss[None, :]))  # sigma(-(s_i - s_j))
        lam = np.where(pref, sig_neg, 0.0)
        grad[start:start + m] = -lam.sum(axis=1) + lam.sum(axis=0)
        start += m
    return grad


def numpy_softmax(y: np.ndarray, s: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    offsets = np.r_[0, np.cumsum(sizes)][:-1]
    mx = np.maximum.reduceat(s, offsets)
    e = np.exp(s - np.repeat(mx, sizes))
    p = e / np.repeat(np.add.reduceat(e, offsets), sizes)
    return np.repeat(np.add.reduceat(y, offsets), sizes) * p - y


def numpy_rps(y: np.ndarray, z: np.ndarray) -> np.ndarray:
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    cum = np.cumsum(p, axis=1)[:, :-1]
    e = cum - (np.arange(z.shape[1] - 1)[None, :] >= y[:, None])
    suffix = np.cumsum(e[:, ::-1], axis=1)[:, ::-1]
    suffix = np.concatenate([suffix, np.zeros((z.shape[0], 1))], axis=1)
    return 2 * p * (suffix - (e * cum).sum(axis=1, keepdims=True))


def numpy_soft_spearman(y: np.ndarray, s: np.ndarray, sizes: np.ndarray,
                        tau: float) -> np.ndarray:
    grad = np.empty_like(s)
    start = 0
    for m in sizes:
        x, t = s[start:start + m], y[start:start + m]
        with np.errstate(over="ignore"):
            sx = 1.0 / (1.0 + np.exp(-(x[:, None] - x[None, :]) / tau))
            sy = 1.0 / (1.0 + np.exp(-(t[:, None] - t[None, :]) / tau))
        a = sx.sum(axis=1) - m / 2
        b = sy.sum(axis=1) - m / 2
        big_a, big_b, big_n = a @ a, b @ b, a @ b
        d = np.sqrt(big_a * big_b + 1e-7)
        c = b / d - big_n * big_b * a / d**3
        sd = sx * (1 - sx)
        grad[start:start + m] = -(sd * (c[:, None] - c[None, :])).sum(axis=1) / tau
        start += m
    return grad


def jax_baselines(batch: int = 250) -> dict[str, Callable[..., Any]] | None:
    """Jitted JAX gradient and gradient + Hessian diagonal of pairwise_logistic, softmax_ranking
    (groups of equal size, as a (n_groups, m) array) and rps (per row); None without JAX."""
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)

    def pairwise(s: Any, y: Any) -> Any:
        u = s[:, None] - s[None, :]
        return jnp.sum(jnp.where(y[:, None] > y[None, :], jax.nn.softplus(-u), 0.0))

    def softmax(s: Any, y: Any) -> Any:
        return -jnp.sum(y * jax.nn.log_softmax(s))

    def grouped(loss: Callable[..., Any], hess: bool) -> Callable[..., Any]:
        g = jax.grad(loss)

        def one(sy: Any) -> Any:
            s, y = sy
            if not hess:
                return g(s, y)
            return g(s, y), jnp.diagonal(jax.jacfwd(g)(s, y))

        @jax.jit
        def run(s: Any, y: Any) -> Any:
            return jax.lax.map(one, (s, y), batch_size=batch)

        return run

    def rps_loss(z: Any, y: Any) -> Any:
        cum = jnp.cumsum(jax.nn.softmax(z))[:-1]
        return jnp.sum((cum - (jnp.arange(z.shape[0] - 1) >= y)) ** 2)

    def rps_cum(z: Any) -> Any:
        return jnp.cumsum(jax.nn.softmax(z))[:-1]

    rps_grad = jax.jit(jax.vmap(jax.grad(rps_loss)))

    @jax.jit
    def rps_grad_hess(z: Any, y: Any) -> Any:
        jac = jax.vmap(jax.jacfwd(rps_cum))(z)  # (n, K-1, K)
        return jax.vmap(jax.grad(rps_loss))(z, y), 2.0 * jnp.sum(jac**2, axis=1)

    return {"pairwise_grad": grouped(pairwise, False), "pairwise_gh": grouped(pairwise, True),
            "softmax_grad": grouped(softmax, False), "softmax_gh": grouped(softmax, True),
            "rps_grad": rps_grad, "rps_gh": rps_grad_hess}


def jax_call(fn: Callable[..., Any], *args: Any) -> Any:
    """Call a jitted function on NumPy inputs and wait for NumPy outputs."""
    out = fn(*args)
    return tuple(np.asarray(o) for o in out) if isinstance(out, tuple) else np.asarray(out)


def check_close(name: str, ours: tuple[np.ndarray, np.ndarray], theirs: tuple[Any, Any]) -> str:
    """Max relative difference of gradient and Hessian (Hessian floored as boostrank does)."""
    g, h = (np.asarray(t).reshape(o.shape) for t, o in zip(theirs, ours, strict=True))
    h = np.maximum(h, 1e-6)
    dg = np.max(np.abs(g - ours[0])) / max(np.max(np.abs(ours[0])), 1e-300)
    dh = np.max(np.abs(h - ours[1]) / ours[1])
    if not (dg < 1e-8 and dh < 1e-8):
        raise AssertionError(f"JAX {name} disagrees with boostrank: grad {dg:.1e}, hess {dh:.1e}")
    return f"agrees to {max(dg, dh):.0e}"


def skewed_sizes(n_groups: int, rng: np.random.Generator) -> np.ndarray:
    """Most groups 10-50 rows, about 1 in 1,000 of 5,000-8,000 rows (heavy tail)."""
    sizes = rng.integers(10, 51, n_groups)
    big = rng.random(n_groups) < 1e-3
    big[rng.integers(0, n_groups)] = True  # at least one large group
    sizes[big] = rng.integers(5000, 8001, int(big.sum()))
    return sizes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--no-jax", action="store_true", help="skip the JAX baselines")
    ap.add_argument("--only", default="W1,W2,W3,W4", help="workloads to run")
    args = ap.parse_args()
    load_before = load_average()
    jx = None if args.no_jax else jax_baselines()
    only = set(args.only.split(","))
    rng = np.random.default_rng(0)
    rows: list[tuple[str, str, int, float, str, str]] = []
    jax_note = "" if jx is not None else "JAX rows skipped (--no-jax, or jax not installed)"

    n_groups = max(1, int(10_000 * args.scale))
    sizes = np.full(n_groups, 100)
    n = int(sizes.sum())
    y = rng.integers(0, 5, n).astype(np.float64)
    pairs = n_groups * 100 * 99 / 2

    def scores() -> np.ndarray:
        return rng.normal(size=n)

    if "W1" in only:
        t_ours = {}
        offsets = np.arange(n_groups + 1, dtype=np.int64) * 100
        valid = np.ones(n, dtype=bool)
        w1 = np.ones(n)
        order = pairwise_label_order(y, valid, offsets)
        nt = numba.get_num_threads()
        g_buf, h_buf = np.empty(n), np.empty(n)
        for name, obj in (("pairwise_logistic", br.pairwise_logistic),
                          ("pairwise_soft_zero_one", br.pairwise_soft_zero_one),
                          ("pairwise_logistic(ndcg)", br.PairwiseLogistic(lambda_weight="ndcg"))):
            t = median_time(lambda s, obj=obj: obj.grad_hess(y, s, group=sizes), scores,
                            args.repeats)
            t_ours[name] = t
            rows.append(("W1", name, n, t, f"{pairs / t / 1e9:.2f}e9 pairs/s",
                         "grad_hess: validation + kernel"))
            # the kernels alone, label-ordered (current) and row-order (baseline), same process
            kargs = (y, w1, valid, offsets, 1.0, obj._loss_kind, obj.lambda_weight == "ndcg",
                     0, obj._hessians[obj.hessian])
            t_new, c_new = median_wall_cpu(lambda s, a=kargs: pairwise_grad_hess_ordered(
                s, *a, g_buf, h_buf, nt, *order, 0, 0, 0, False, 1.0), scores, args.repeats)
            t_old, c_old = median_wall_cpu(lambda s, a=kargs: pairwise_grad_hess(
                s, *a, g_buf, h_buf, nt), scores, args.repeats)
            rows.append(("W1", f"{name}: kernel, label order", n, t_new,
                         f"{pairs / t_new / 1e9:.2f}e9 pairs/s",
                         f"{t_old / t_new:.1f}x the row-order kernel; CPU {c_new:.4f} s/call"
                         f" = {2 * pairs / c_new / 1e9:.2f}e9 pairs/s on 2 free cores"))
            rows.append(("W1", f"{name}: kernel, row order (baseline)", n, t_old,
                         f"{pairs / t_old / 1e9:.2f}e9 pairs/s",
                         f"CPU {c_old:.4f} s/call = {2 * pairs / c_old / 1e9:.2f}e9 pairs/s on "
                         "2 free cores"))
        t_np = median_time(lambda s: numpy_pairwise_logistic(y, s, sizes), scores, 1)
        rows.append(("W1", "NumPy pairwise_logistic (gradient only)", n, t_np,
                     f"{pairs / t_np / 1e9:.2f}e9 pairs/s", ""))
        if jx is not None:
            y2d = y.reshape(n_groups, 100)
            s0 = scores()
            ok = check_close("pairwise", br.pairwise_logistic.grad_hess(y, s0, group=sizes),
                             jax_call(jx["pairwise_gh"], s0.reshape(n_groups, 100), y2d))
            # the O(m^3) Hessian route takes minutes on all of W1: time it on 1,000 groups
            sub = min(n_groups, 1000)
            for key, label, ng in (("pairwise_grad", "gradient only", n_groups),
                                   ("pairwise_gh", "gradient + Hessian diagonal", sub)):
                t = median_time(lambda s, key=key, ng=ng: jax_call(
                    jx[key], s[:ng * 100].reshape(ng, 100), y2d[:ng]), scores, 3)
                t *= n_groups / ng
                note = (f"JAX / boostrank time {t / t_ours['pairwise_logistic']:.1f}x"
                        + (f"; {ok}; timed on {ng:,} groups, scaled" if ng < n_groups else "")
                        + (f"; {ok}" if key == "pairwise_gh" and ng == n_groups else ""))
                rows.append(("W1", f"JAX jit pairwise_logistic ({label})", n, t,
                             f"{pairs / t / 1e9:.2f}e9 pairs/s", note))
        t = median_time(lambda s: br.softmax_ranking.grad_hess(y, s, group=sizes), scores,
                        args.repeats)
        t_np = median_time(lambda s: numpy_softmax(y, s, sizes), scores, args.repeats)
        rows.append(("W1", "softmax_ranking", n, t, f"{n / t / 1e6:.0f}e6 rows/s", ""))
        # the kernel alone, vectorised exp (current) and libm exp (baseline), same process
        kargs = (y, w1, valid, offsets, g_buf, h_buf)
        t_new, c_new = median_wall_cpu(lambda s: softmax_grad_hess(s, *kargs), scores,
                                       args.repeats)
        t_old, c_old = median_wall_cpu(lambda s: softmax_grad_hess_libm(s, *kargs), scores,
                                       args.repeats)
        rows.append(("W1", "softmax_ranking: kernel, vectorised exp", n, t_new,
                     f"{n / t_new / 1e6:.0f}e6 rows/s",
                     f"{t_old / t_new:.2f}x the libm kernel; CPU {c_new:.4f} s/call"))
        rows.append(("W1", "softmax_ranking: kernel, libm exp (baseline)", n, t_old,
                     f"{n / t_old / 1e6:.0f}e6 rows/s", f"CPU {c_old:.4f} s/call"))
        rows.append(("W1", "NumPy softmax (gradient only)", n, t_np,
                     f"{n / t_np / 1e6:.0f}e6 rows/s", ""))
        if jx is not None:
            y2d = y.reshape(n_groups, 100)
            s0 = scores()
            ok = check_close("softmax", br.softmax_ranking.grad_hess(y, s0, group=sizes),
                             jax_call(jx["softmax_gh"], s0.reshape(n_groups, 100), y2d))
            for key, label in (("softmax_grad", "gradient only"),
                               ("softmax_gh", "gradient + Hessian diagonal")):
                tj = median_time(lambda s, key=key: jax_call(jx[key], s.reshape(n_groups, 100),
                                                            y2d), scores, 3)
                note = (f"JAX / boostrank time {tj / t:.1f}x"
                        + (f"; {ok}" if key == "softmax_gh" else ""))
                rows.append(("W1", f"JAX jit softmax_ranking ({label})", n, tj,
                             f"{n / tj / 1e6:.0f}e6 rows/s", note))

    if "W2" in only:
        n_eras = max(1, int(40 * args.scale))
        era = np.full(n_eras, 5000)
        n2 = int(era.sum())
        y2 = rng.random(n2)
        exact = br.SoftSpearman(method="exact")  # the default ("auto") is windowed here
        t = median_time(lambda s: exact.grad_hess(y2, s, group=era),
                        lambda: rng.normal(size=n2), max(1, args.repeats // 2))
        t_np = median_time(lambda s: numpy_soft_spearman(y2, s, era, 1e-3),
                           lambda: rng.normal(size=n2), 1)
        rows.append(("W2", "soft_spearman (exact O(n^2))", n2, t,
                     f"{n2 / t / 1e6:.2f}e6 rows/s", ""))
        t = median_time(lambda s: br.soft_spearman.grad_hess(y2, s, group=era),
                        lambda: rng.normal(size=n2), args.repeats)
        rows.append(("W2", "soft_spearman (windowed, default)", n2, t,
                     f"{n2 / t / 1e6:.2f}e6 rows/s", ""))
        rows.append(("W2", "NumPy soft Spearman (gradient only)", n2, t_np,
                     f"{n2 / t_np / 1e6:.2f}e6 rows/s", ""))

    if "W3" in only:
        n3 = max(10, int(1_000_000 * args.scale))
        y3 = rng.integers(0, 10, n3).astype(np.float64)
        t = median_time(lambda z: br.rps.grad_hess(y3, z), lambda: rng.normal(size=(n3, 10)),
                        args.repeats)
        t_np = median_time(lambda z: numpy_rps(y3, z), lambda: rng.normal(size=(n3, 10)),
                           args.repeats)
        rows.append(("W3", "rps (default: Gershgorin Hessian)", n3, t,
                     f"{n3 / t / 1e6:.0f}e6 rows/s", ""))
        gauss_newton = br.RankedProbabilityScore(hessian="gauss_newton")
        t_gn = median_time(lambda z: gauss_newton.grad_hess(y3, z),
                           lambda: rng.normal(size=(n3, 10)), args.repeats)
        rows.append(("W3", "rps(hessian=gauss_newton)", n3, t_gn,
                     f"{n3 / t_gn / 1e6:.0f}e6 rows/s", f"default / this {t / t_gn:.2f}x"))
        # the kernel alone into preallocated outputs (no first-touch page faults), one call
        # of each in turn: each Hessian, and the Gauss-Newton one with libm exp (before)
        w3, v3 = np.ones(n3), np.ones(n3, dtype=bool)
        g3, h3 = np.empty((n3, 10)), np.empty((n3, 10))
        kernels3 = {
            "gauss_newton": lambda z: rps_grad_hess(z, y3, w3, v3, 1.0, HESS_GAUSS_NEWTON,
                                                    g3, h3),
            "gershgorin": lambda z: rps_grad_hess(z, y3, w3, v3, 1.0, HESS_GERSHGORIN, g3, h3),
            "libm": lambda z: rps_grad_hess_libm(z, y3, w3, v3, 1.0, HESS_GAUSS_NEWTON, g3, h3),
        }
        k3 = interleaved_wall_cpu(kernels3, lambda: rng.normal(size=(n3, 10)),
                                  max(args.repeats, 7))
        (t_new, c_new), (t_ger, c_ger), (t_old, c_old) = (
            k3["gauss_newton"], k3["gershgorin"], k3["libm"])
        rows.append(("W3", "rps: kernel, Gauss-Newton Hessian", n3, t_new,
                     f"{n3 / t_new / 1e6:.0f}e6 rows/s",
                     f"{t_old / t_new:.2f}x the libm kernel; CPU {c_new:.4f} s/call"))
        rows.append(("W3", "rps: kernel, Gershgorin Hessian (default)", n3, t_ger,
                     f"{n3 / t_ger / 1e6:.0f}e6 rows/s",
                     f"{t_ger / t_new:.2f}x the Gauss-Newton kernel's wall time, "
                     f"{c_ger / c_new:.2f}x its CPU time; CPU {c_ger:.4f} s/call"))
        rows.append(("W3", "rps: kernel, Gauss-Newton, libm exp (before)", n3, t_old,
                     f"{n3 / t_old / 1e6:.0f}e6 rows/s", f"CPU {c_old:.4f} s/call"))
        t_c, c_c = median_wall_cpu(lambda z: br.rps.grad_hess(y3, z),
                                   lambda: rng.normal(size=(n3, 10)), args.repeats)
        rows.append(("W3", "rps grad_hess (CPU time)", n3, t_c, "",
                     f"CPU {c_c:.4f} s/call (validation, fresh outputs, kernel)"))
        rows.append(("W3", "NumPy rps (gradient only)", n3, t_np,
                     f"{n3 / t_np / 1e6:.0f}e6 rows/s", ""))
        if jx is not None:
            z0 = rng.normal(size=(n3, 10))
            ok = check_close("rps", gauss_newton.grad_hess(y3, z0),
                             jax_call(jx["rps_gh"], z0, y3))
            for key, label in (("rps_grad", "gradient only"),
                               ("rps_gh", "gradient + Gauss-Newton Hessian")):
                tj = median_time(lambda z, key=key: jax_call(jx[key], z, y3),
                                 lambda: rng.normal(size=(n3, 10)), 3)
                note = (f"JAX / boostrank (gauss_newton) time {tj / t_gn:.1f}x"
                        + (f"; {ok}" if key == "rps_gh" else ""))
                rows.append(("W3", f"JAX jit rps ({label})", n3, tj,
                             f"{n3 / tj / 1e6:.0f}e6 rows/s", note))

    if "W4" in only:
        sizes4 = skewed_sizes(max(10, int(40_000 * args.scale)), np.random.default_rng(4))
        n4 = int(sizes4.sum())
        y4 = rng.integers(0, 5, n4).astype(np.float64)
        pairs4 = float((sizes4 * (sizes4 - 1) / 2).sum())
        big = int((sizes4 >= 5000).sum())
        by_threads = {}
        for threads in (1, 2):
            numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))  # type: ignore[attr-defined]
            c0 = time.process_time()
            t = median_time(lambda s: br.pairwise_logistic.grad_hess(y4, s, group=sizes4),
                            lambda: rng.normal(size=n4), args.repeats)
            cpu = (time.process_time() - c0) / (args.repeats + 1)
            by_threads[threads] = t
            rows.append(("W4", f"pairwise_logistic, {threads} thread(s)", n4, t,
                         f"{pairs4 / t / 1e9:.2f}e9 pairs/s",
                         f"{big} groups >= 5,000 rows of {sizes4.size:,}; CPU {cpu:.3f} s/call"
                         + (f"; speed-up {by_threads[1] / t:.2f}x" if threads == 2 else "")))
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)  # type: ignore[attr-defined]
        for label, obj in (("truncation_level=30", br.PairwiseLogistic(truncation_level=30)),
                           ("pairs_per_row=8", br.PairwiseLogistic(pairs_per_row=8))):
            t = median_time(lambda s, obj=obj: obj.grad_hess(y4, s, group=sizes4),
                            lambda: rng.normal(size=n4), args.repeats)
            rows.append(("W4", f"pairwise_logistic({label}), 2 threads", n4, t, "",
                         f"{by_threads[2] / t:.2f}x the speed of all pairs"))

    if jax_note:
        print(jax_note.strip())
    print(f"load average before: {load_before}, after: {load_average()}")
    print("| workload | implementation | rows | seconds/call | throughput | note |")
    print("|---|---|---|---|---|---|")
    for w, name, nn, t, thr, note in rows:
        print(f"| {w} | {name} | {nn:,} | {t:.4f} | {thr} | {note} |")


if __name__ == "__main__":
    main()
