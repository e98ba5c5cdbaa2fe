"""Slow, obviously-correct float64 references for every loss, Hessian and metric.

Plain Python loops over groups, rows and pairs, written from the formulas in the docstrings of
``boostrank.objectives`` / ``boostrank.metrics`` and the original libraries (keras-rs, rax,
centimators, scikit-learn, scipy).  Nothing here calls boostrank (only the Hessian floor
constant is shared).  Inputs are flat float64 arrays plus ``offsets`` (``n_groups + 1`` group
boundaries); ``where`` is a boolean mask of rows to use (None: all rows).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import numpy as np
from scipy import stats

from boostrank._config import HESSIAN_FLOOR

CORR_EPS = 1e-7


# --------------------------------------------------------------------------- helpers
def sigmoid(u: float) -> float:
    if u >= 0:
        return 1.0 / (1.0 + math.exp(-u))
    e = math.exp(u)
    return e / (1.0 + e)


def log1p_exp_neg(u: float) -> float:
    """log(1 + exp(-u))."""
    return max(-u, 0.0) + math.log1p(math.exp(-abs(u)))


def floor_hess(h: float) -> float:
    return h if h > HESSIAN_FLOOR else HESSIAN_FLOOR


def _prep(scores, labels, offsets, weights, where):
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    n = y.shape[0]
    off = [int(o) for o in offsets]
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    m = np.ones(n, dtype=bool) if where is None else np.asarray(where, dtype=bool)
    return s, y, off, w, m


def group_ranges(offsets: Sequence[int]) -> Iterator[tuple[int, int]]:
    for g in range(len(offsets) - 1):
        yield int(offsets[g]), int(offsets[g + 1])


def valid_rows(labels, where, start, end, ignore_negative: bool) -> list[int]:
    rows = []
    for i in range(start, end):
        if where is not None and not where[i]:
            continue
        if ignore_negative and labels[i] < 0:
            continue
        rows.append(i)
    return rows


def exp_gain(y: float) -> float:
    return 2.0**y - 1.0


def discount(rank: int, k: int | None) -> float:
    """1 / log2(1 + rank), rank 1-based; 0 beyond the cut-off k."""
    if k is not None and rank > k:
        return 0.0
    return 1.0 / math.log2(1.0 + rank)


# --------------------------------------------------------------------------- pairwise
def _pairs(s, y, off, w, m, temperature, ndcg, k):
    """Yield (hi, lo, c, u) for every pair with y_hi > y_lo among valid rows."""
    for start, end in group_ranges(off):
        rows = valid_rows(y, m, start, end, ignore_negative=True)
        rank = {}
        inv_idcg = 1.0
        if ndcg:
            by_score = sorted(rows, key=lambda i: (-s[i], i))  # stable: ties by row order
            for r, i in enumerate(by_score):
                rank[i] = r + 1
            ideal = sorted((y[i] for i in rows), reverse=True)
            idcg = sum(exp_gain(g) * discount(r + 1, k) for r, g in enumerate(ideal))
            inv_idcg = 1.0 / idcg if idcg > 0 else 0.0
        for i in rows:
            for j in rows:
                if not y[i] > y[j]:
                    continue
                c = w[i]
                if ndcg:
                    dg = exp_gain(y[i]) - exp_gain(y[j])
                    dd = discount(rank[i], k) - discount(rank[j], k)
                    c *= abs(dg * dd) * inv_idcg
                yield i, j, c, (s[i] - s[j]) / temperature


def pairwise_rows(scores, labels, offsets, weights=None, where=None, *, kind="soft_zero_one",
                  temperature=1.0, ndcg=False, k=None) -> np.ndarray:
    """Per row i: sum over pairs where i is the preferred item of c_ij * phi(u_ij)."""
    s, y, off, w, m = _prep(scores, labels, offsets, weights, where)
    out = np.zeros(y.shape[0])
    for i, _j, c, u in _pairs(s, y, off, w, m, temperature, ndcg, k):
        if kind == "soft_zero_one":
            out[i] += c * (1.0 - sigmoid(u))
        else:
            out[i] += c * log1p_exp_neg(u)
    return out


def pairwise_hess(scores, labels, offsets, weights=None, where=None, *, kind="soft_zero_one",
                  temperature=1.0, ndcg=False, k=None, hessian="logistic") -> np.ndarray:
    """Hessian diagonal: per pair c q / T^2 (hessian="logistic") or c phi''(u) / T^2
    ("exact"), added to both rows of the pair, then floored."""
    s, y, off, w, m = _prep(scores, labels, offsets, weights, where)
    h = np.zeros(y.shape[0])
    t2 = temperature * temperature
    for i, j, c, u in _pairs(s, y, off, w, m, temperature, ndcg, k):
        q = sigmoid(u) * sigmoid(-u)
        if hessian == "logistic" or kind == "logistic":
            d2 = q
        else:  # exact soft zero-one: phi(u) = 1 - sigma(u), phi'' = q (2 sigma(u) - 1)
            d2 = q * (2.0 * sigmoid(u) - 1.0)
        h[i] += c * d2 / t2
        h[j] += c * d2 / t2
    return np.array([floor_hess(v) for v in h])


# --------------------------------------------------------------------------- squared hinge
def squared_hinge_rows(scores, labels, offsets, weights=None, where=None, *, margin=1.0,
                       ndcg=False, k=None) -> np.ndarray:
    """Per row i: sum over pairs where i is the preferred item of c_ij max(0, m - d_ij)^2,
    d_ij = s_i - s_j."""
    s, y, off, w, m = _prep(scores, labels, offsets, weights, where)
    out = np.zeros(y.shape[0])
    for i, _j, c, d in _pairs(s, y, off, w, m, 1.0, ndcg, k):
        out[i] += c * max(0.0, margin - d) ** 2
    return out


def squared_hinge_grad_hess(scores, labels, offsets, weights=None, where=None, *, margin=1.0,
                            ndcg=False, k=None,
                            hessian="exact") -> tuple[np.ndarray, np.ndarray]:
    """Gradient of the summed loss, and the documented Hessian: per pair 2 c if d < m
    (hessian="exact") or always ("upper_bound"), on both rows; floored."""
    s, y, off, w, m = _prep(scores, labels, offsets, weights, where)
    g = np.zeros(y.shape[0])
    h = np.zeros(y.shape[0])
    for i, j, c, d in _pairs(s, y, off, w, m, 1.0, ndcg, k):
        slack = margin - d
        if slack > 0:
            g[i] -= 2.0 * c * slack
            g[j] += 2.0 * c * slack
        if slack > 0 or hessian == "upper_bound":
            h[i] += 2.0 * c
            h[j] += 2.0 * c
    return g, np.array([floor_hess(v) for v in h])


# --------------------------------------------------------------------------- YetiRank
_MASK64 = (1 << 64) - 1


def _splitmix(x: int) -> int:
    """SplitMix64's output function of x + 0x9E3779B97F4A7C15 (Steele, Lea, Flood 2014), on
    Python integers modulo 2^64."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)


def yetirank_uniform(seed: int, rnd: int, group: int, perm: int, position: int) -> float:
    """The documented draw: the top 52 bits k of the hash of (seed, round, group, permutation,
    position), u = (k + 1/2) / 2^52."""
    key = _splitmix(_splitmix(_splitmix(seed) ^ rnd) ^ group)
    k = _splitmix(_splitmix(key ^ perm) ^ position) >> 12
    return (k + 0.5) / 2.0**52


def yetirank_pairs(scores, labels, offsets, weights=None, where=None, *, permutations=10,
                   decay=0.99, weights_kind="classic", seed=0, rnd=0):
    """Yield (hi, lo, c) for every neighbour pair of every perturbed ranking: rows sorted by
    s + log(u / (1 - u)) descending (ties by position), neighbours with different labels,
    c = w_hi lambda_k / P."""
    s, y, off, w, m = _prep(scores, labels, offsets, weights, where)
    for g, (start, end) in enumerate(group_ranges(off)):
        rows = valid_rows(y, m, start, end, ignore_negative=True)
        ideal = sorted((y[i] for i in rows), reverse=True)
        idcg = sum(exp_gain(v) / math.log2(r + 2) for r, v in enumerate(ideal))
        for p in range(permutations):
            z = {}
            for i in rows:
                u = yetirank_uniform(seed, rnd, g, p, i - start)
                z[i] = s[i] + math.log(u / (1.0 - u))
            ranking = sorted(rows, key=lambda i: (-z[i], i))
            for k in range(len(ranking) - 1):
                a, b = ranking[k], ranking[k + 1]
                if y[a] == y[b]:
                    continue
                hi, lo = (a, b) if y[a] > y[b] else (b, a)
                if weights_kind == "classic":
                    lam = decay**k * abs(y[a] - y[b])
                else:
                    swap = 1.0 / math.log2(k + 2) - 1.0 / math.log2(k + 3)
                    lam = abs((exp_gain(y[a]) - exp_gain(y[b])) * swap) / idcg
                yield hi, lo, w[hi] * lam / permutations


def yetirank_rows(scores, labels, offsets, weights=None, where=None, **options) -> np.ndarray:
    """Per row i: sum of c log(1 + exp(-(s_i - s_lo))) over its pairs as the higher label."""
    s = np.asarray(scores, dtype=np.float64)
    out = np.zeros(s.shape[0])
    for hi, lo, c in yetirank_pairs(scores, labels, offsets, weights, where, **options):
        out[hi] += c * log1p_exp_neg(s[hi] - s[lo])
    return out


def yetirank_grad_hess(scores, labels, offsets, weights=None, where=None, *,
                       hessian="pair_weight", floor=True,
                       **options) -> tuple[np.ndarray, np.ndarray]:
    """Gradient of the summed loss with the pairs fixed, and the documented Hessian: per pair
    c (hessian="pair_weight") or c sigma(u) sigma(-u) ("logistic") on both rows; floored
    unless ``floor=False``."""
    s = np.asarray(scores, dtype=np.float64)
    g = np.zeros(s.shape[0])
    h = np.zeros(s.shape[0])
    for hi, lo, c in yetirank_pairs(scores, labels, offsets, weights, where, **options):
        u = s[hi] - s[lo]
        g[hi] -= c * sigmoid(-u)
        g[lo] += c * sigmoid(-u)
        curv = c if hessian == "pair_weight" else c * sigmoid(u) * sigmoid(-u)
        h[hi] += curv
        h[lo] += curv
    return g, np.array([floor_hess(v) for v in h]) if floor else h


def query_group_scale(grad, hess, offsets, hess_factor=1.0) -> tuple[np.ndarray, np.ndarray]:
    """YetiRank's per-query scaling: each group's gradient and Hessian times 1 / H_g, H_g the
    sum of its Hessians before the floor (1 when H_g = 0); each Hessian floored, scaled and
    floored, then times ``hess_factor`` and floored."""
    g = np.array(grad, dtype=np.float64)
    h = np.array(hess, dtype=np.float64)
    for start, end in group_ranges(offsets):
        total = sum(h[start:end])
        scale = 1.0 / total if total > 0 else 1.0
        for i in range(start, end):
            g[i] *= scale
            h[i] = floor_hess(floor_hess(floor_hess(h[i]) * scale) * hess_factor)
    return g, h


# --------------------------------------------------------------------------- softmax
def _log_softmax(values: list[float]) -> list[float]:
    mx = max(values)
    lse = mx + math.log(sum(math.exp(v - mx) for v in values))
    return [v - lse for v in values]


def softmax_groups(scores, labels, offsets, weights=None, where=None) -> np.ndarray:
    """Per group: -sum_i w_i y_i log softmax(s)_i over valid rows (0 if sum w y == 0)."""
    s, y, off, w, m = _prep(scores, labels, offsets, weights, where)
    out = []
    for start, end in group_ranges(off):
        rows = valid_rows(y, m, start, end, ignore_negative=True)
        total = sum(w[i] * y[i] for i in rows)
        if not rows or total == 0:
            out.append(0.0)
            continue
        logp = _log_softmax([s[i] for i in rows])
        out.append(-sum(w[i] * y[i] * lp for i, lp in zip(rows, logp, strict=True)))
    return np.array(out)


def softmax_hess(scores, labels, offsets, weights=None, where=None) -> np.ndarray:
    """Exact diagonal A p (1 - p), A = sum w y over the group's valid rows; floored."""
    s, y, off, w, m = _prep(scores, labels, offsets, weights, where)
    h = np.zeros(y.shape[0])
    for start, end in group_ranges(off):
        rows = valid_rows(y, m, start, end, ignore_negative=True)
        total = sum(w[i] * y[i] for i in rows)
        if not rows or total == 0:
            continue
        logp = _log_softmax([s[i] for i in rows])
        for i, lp in zip(rows, logp, strict=True):
            p = math.exp(lp)
            h[i] = total * p * (1.0 - p)
    return np.array([floor_hess(v) for v in h])


# --------------------------------------------------------------------------- soft Spearman
def soft_rank(x: list[float], tau: float) -> list[float]:
    """r_i = sum_j sigma((x_i - x_j) / tau), j = i included."""
    return [sum(sigmoid((xi - xj) / tau) for xj in x) for xi in x]


def _spearman_parts(x, yv, tau):
    ra = soft_rank(x, tau)
    rb = soft_rank(yv, tau)
    ma = sum(ra) / len(ra)
    mb = sum(rb) / len(rb)
    a = [v - ma for v in ra]
    b = [v - mb for v in rb]
    big_a = sum(v * v for v in a)
    big_b = sum(v * v for v in b)
    big_n = sum(p * q for p, q in zip(a, b, strict=True))
    return a, b, big_a, big_b, big_n


def soft_spearman_groups(scores, labels, offsets, weights=None, where=None, *,
                         tau=1e-3) -> np.ndarray:
    """Per group: -wbar * sum(a b) / sqrt(sum a^2 sum b^2 + 1e-7) (labels never ignored)."""
    s, y, off, w, m = _prep(scores, labels, offsets, weights, where)
    out = []
    for start, end in group_ranges(off):
        rows = valid_rows(y, m, start, end, ignore_negative=False)
        if not rows:
            out.append(0.0)
            continue
        wbar = sum(w[i] for i in rows) / len(rows)
        _, _, big_a, big_b, big_n = _spearman_parts([s[i] for i in rows], [y[i] for i in rows],
                                                    tau)
        out.append(-wbar * big_n / math.sqrt(big_a * big_b + CORR_EPS))
    return np.array(out)


def soft_spearman_hess(scores, labels, offsets, weights=None, where=None, *, tau=1e-3,
                       hessian="gauss_newton", tie_step=None, floor=True) -> np.ndarray:
    """The documented surrogates, with c_k = b_k / D - N B a_k / D^3 and
    sigma'_kj = sigma(u) sigma(-u), u = (s_k - s_j) / tau:

    pair_magnitude: wbar * sum_{j != k} sigma'_kj |c_k - c_j| / tau^2
    gauss_newton:   wbar * B / D_h^2 * max(|v_k|^2 - (a_hat . v_k)^2, 0.1 |v_k|^2),
                    v_k = d r(s) / d s_k, D_h^2 = max(D^2, tie_step sqrt(1e-7 B m) (m - 1) / 4)
                    (D_h = D when tie_step is None)
    """
    s, y, off, w, m = _prep(scores, labels, offsets, weights, where)
    h = np.zeros(y.shape[0])
    for start, end in group_ranges(off):
        rows = valid_rows(y, m, start, end, ignore_negative=False)
        nv = len(rows)
        if nv < 2:
            continue
        wbar = sum(w[i] for i in rows) / nv
        x = [s[i] for i in rows]
        a, b, big_a, big_b, big_n = _spearman_parts(x, [y[i] for i in rows], tau)
        d = math.sqrt(big_a * big_b + CORR_EPS)
        c = [b[t] / d - big_n * big_b * a[t] / d**3 for t in range(nv)]

        def sd(p, q, x=x):
            u = (x[p] - x[q]) / tau
            return sigmoid(u) * sigmoid(-u)

        for kk in range(nv):
            if hessian == "pair_magnitude":
                val = sum(sd(kk, j) * abs(c[kk] - c[j]) for j in range(nv) if j != kk) / tau**2
            else:
                v = [0.0] * nv  # v[i] = d r_i / d s_k
                for i in range(nv):
                    if i == kk:
                        v[i] = sum(sd(kk, j) for j in range(nv) if j != kk) / tau
                    else:
                        v[i] = -sd(i, kk) / tau
                vv = sum(t * t for t in v)
                av = sum(a[i] * v[i] for i in range(nv)) / math.sqrt(big_a) if big_a > 0 else 0.0
                d2 = d**2 if tie_step is None else max(
                    d**2, tie_step * math.sqrt(CORR_EPS * big_b * nv) * (nv - 1) / 4)
                val = big_b / d2 * max(vv - av * av, 0.1 * vv)
            h[rows[kk]] = wbar * val
    return np.array([floor_hess(v) for v in h]) if floor else h


def combined_groups(scores, labels, offsets, weights=None, where=None, *, tau=1e-3,
                    mse_weight=2.0, spearman_weight=1.0) -> np.ndarray:
    """Per group: alpha / n_valid * sum w (s - y)^2 + beta * soft Spearman loss."""
    s, y, off, w, m = _prep(scores, labels, offsets, weights, where)
    sp = soft_spearman_groups(s, y, off, w, m, tau=tau)
    out = []
    for g, (start, end) in enumerate(group_ranges(off)):
        rows = valid_rows(y, m, start, end, ignore_negative=False)
        mse = sum(w[i] * (s[i] - y[i]) ** 2 for i in rows) / len(rows) if rows else 0.0
        out.append(mse_weight * mse + spearman_weight * sp[g])
    return np.array(out)


def combined_hess(scores, labels, offsets, weights=None, where=None, *, tau=1e-3,
                  mse_weight=2.0, spearman_weight=1.0, hessian="gauss_newton",
                  tie_step=1e-3) -> np.ndarray:
    """Exact MSE diagonal 2 alpha w / n_valid plus beta times the Spearman surrogate; floored."""
    s, y, off, w, m = _prep(scores, labels, offsets, weights, where)
    sp = soft_spearman_hess(s, y, off, w, m, tau=tau, hessian=hessian, tie_step=tie_step,
                            floor=False)
    h = spearman_weight * sp
    for start, end in group_ranges(off):
        rows = valid_rows(y, m, start, end, ignore_negative=False)
        for i in rows:
            h[i] += 2.0 * mse_weight * w[i] / len(rows)
    return np.array([floor_hess(v) for v in h])


# --------------------------------------------------------------------------- RPS
def softmax_row(z) -> list[float]:
    mx = max(z)
    e = [math.exp(v - mx) for v in z]
    tot = sum(e)
    return [v / tot for v in e]


def rps_from_proba(p: Sequence[float], y: float) -> float:
    """sum_{k=0}^{K-2} (P_k - [k >= y])^2, P the cumulative probabilities."""
    cum = 0.0
    acc = 0.0
    for kk in range(len(p) - 1):
        cum += p[kk]
        acc += (cum - (1.0 if kk >= y else 0.0)) ** 2
    return acc


def rps_rows(margins, labels, weights=None, where=None, *, normalize=False) -> np.ndarray:
    z = np.asarray(margins, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    n, n_classes = z.shape
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    scale = 1.0 / (n_classes - 1) if normalize else 1.0
    out = np.zeros(n)
    for i in range(n):
        if (where is not None and not where[i]) or y[i] < 0:
            continue
        out[i] = scale * w[i] * rps_from_proba(softmax_row(list(z[i])), y[i])
    return out


def rps_hess_gauss_newton(margins, labels, weights=None, where=None, *,
                          normalize=False) -> np.ndarray:
    """2 w sum_k (dP_k / dz_c)^2 with dP_k / dz_c = p_c ([c <= k] - P_k); floored."""
    z = np.asarray(margins, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    n, n_classes = z.shape
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    scale = 1.0 / (n_classes - 1) if normalize else 1.0
    h = np.zeros((n, n_classes))
    for i in range(n):
        if (where is not None and not where[i]) or y[i] < 0:
            continue
        p = softmax_row(list(z[i]))
        cum = np.cumsum(p)
        for c in range(n_classes):
            acc = 0.0
            for kk in range(n_classes - 1):
                acc += (p[c] * ((1.0 if c <= kk else 0.0) - cum[kk])) ** 2
            h[i, c] = 2.0 * scale * w[i] * acc
    return np.vectorize(floor_hess)(h)



def rps_gauss_newton_matrix(z, weight: float = 1.0, scale: float = 1.0) -> np.ndarray:
    """The (K, K) Gauss-Newton matrix 2 w J^T J of one row's RPS, built from the Jacobian
    J_kc = dP_k / dz_c = p_c ([c <= k] - P_k), k = 0..K-2, entry by entry."""
    p = softmax_row(list(z))
    n_classes = len(p)
    cum = np.cumsum(p)
    jac = np.zeros((n_classes - 1, n_classes))
    for kk in range(n_classes - 1):
        for c in range(n_classes):
            jac[kk, c] = p[c] * ((1.0 if c <= kk else 0.0) - cum[kk])
    return 2.0 * scale * weight * jac.T @ jac


def rps_hess_gershgorin(margins, labels, weights=None, where=None, *,
                        normalize=False) -> np.ndarray:
    """Row sums of |H_cc'| of each row's Gauss-Newton matrix (``rps_gauss_newton_matrix``);
    floored."""
    z = np.asarray(margins, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    n, n_classes = z.shape
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    scale = 1.0 / (n_classes - 1) if normalize else 1.0
    h = np.zeros((n, n_classes))
    for i in range(n):
        if (where is not None and not where[i]) or y[i] < 0:
            continue
        h[i] = np.abs(rps_gauss_newton_matrix(z[i], w[i], scale)).sum(axis=1)
    return np.vectorize(floor_hess)(h)

# --------------------------------------------------------------------------- reductions
def reduce_rows(parts: np.ndarray, reduction: str) -> float | np.ndarray:
    """Row-wise losses: "mean" divides the sum by the number of rows passed."""
    if reduction == "none":
        return parts
    if reduction == "sum":
        return float(parts.sum())
    return float(parts.sum() / parts.shape[0])


def reduce_groups(parts: np.ndarray, n_valid_per_group: Sequence[int],
                  reduction: str) -> float | np.ndarray:
    """Group-wise losses: "mean" averages over groups having at least one valid row."""
    if reduction == "none":
        return parts
    if reduction == "sum":
        return float(parts.sum())
    keep = [g for g, c in enumerate(n_valid_per_group) if c > 0]
    return float(sum(parts[g] for g in keep) / len(keep)) if keep else 0.0


def count_valid(labels, offsets, where=None, ignore_negative=True) -> list[int]:
    y = np.asarray(labels, dtype=np.float64)
    return [len(valid_rows(y, where, a, b, ignore_negative)) for a, b in group_ranges(offsets)]


# --------------------------------------------------------------------------- metrics
def ndcg_group(scores, labels, k=None, gain="exponential") -> float:
    """NDCG@k of one group; score ties get their expected DCG over random tie orders (each tied
    block shares its mean gain over the block's discounts).  NaN when the ideal DCG is 0."""
    gain_fn = exp_gain if gain == "exponential" else float
    x = [float(v) for v in scores]
    yv = [float(v) for v in labels]
    order = sorted(range(len(x)), key=lambda i: -x[i])
    dcg = 0.0
    r = 0
    while r < len(order):
        e = r
        while e < len(order) and x[order[e]] == x[order[r]]:
            e += 1
        mean_gain = sum(gain_fn(yv[order[t]]) for t in range(r, e)) / (e - r)
        dcg += mean_gain * sum(discount(t + 1, k) for t in range(r, e))
        r = e
    ideal = sorted(yv, reverse=True)
    idcg = sum(gain_fn(g) * discount(r + 1, k) for r, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else float("nan")


def spearman_group(scores, labels) -> float:
    """scipy's Spearman (ties averaged); NaN for < 2 rows or constant labels, 0 for constant
    scores with varying labels (boostrank's documented convention)."""
    x = np.asarray(scores, dtype=np.float64)
    yv = np.asarray(labels, dtype=np.float64)
    if x.size < 2 or np.all(yv == yv[0]):
        return float("nan")
    if np.all(x == x[0]):
        return 0.0
    return float(stats.spearmanr(x, yv).statistic)


def pairwise_accuracy_group(scores, labels) -> float:
    """Share of pairs y_i > y_j with s_i > s_j (score ties count 1/2); NaN without pairs."""
    pairs = 0.0
    good = 0.0
    for i in range(len(labels)):
        for j in range(len(labels)):
            if labels[i] > labels[j]:
                pairs += 1
                if scores[i] > scores[j]:
                    good += 1
                elif scores[i] == scores[j]:
                    good += 0.5
    return good / pairs if pairs else float("nan")


# --------------------------------------------------------------------------- host scaling
def lambdarank_group_scale(grad, hess, offsets) -> tuple[np.ndarray, np.ndarray]:
    """XGBoost / LightGBM LambdaMART per-query normalisation: each group's gradient and
    Hessian times log2(1 + S) / S, S = sum |grad| over the group (1 when S = 0); the Hessian
    floored again."""
    g = np.array(grad, dtype=np.float64)
    h = np.array(hess, dtype=np.float64)
    for start, end in group_ranges(offsets):
        total = sum(abs(v) for v in g[start:end])
        scale = math.log2(1.0 + total) / total if total > 0 else 1.0
        for i in range(start, end):
            g[i] *= scale
            h[i] = floor_hess(h[i] * scale)
    return g, h
