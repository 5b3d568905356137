"""Shape-preserving monotone cubic interpolation (PCHIP, Fritsch-Carlson) of many independent curves at once,
vectorised over numpy arrays: what calculator/model/frontier.py interpolates throughput and latency with.

Each curve is a group of knots (x, y); it is evaluated only within its own [min x, max x] (NaN outside, never
extrapolated), and monotone knots give a monotone interpolant (no overshoot), as scipy's PchipInterpolator does.
"""

from __future__ import annotations

import numpy as np

_GROUP_STRIDE = 1024.0  # > the log2 span of any concurrency range (log2(1e6) ~ 20)


def _pchip_slopes(x: np.ndarray, y: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Fritsch-Carlson derivatives at knots sorted by (group, x); groups are independent curves."""
    n = len(x)
    d = np.zeros(n)
    if n < 2:
        return d
    same = g[1:] == g[:-1]  # segment k joins knot k and k+1 of one curve
    h = np.where(same, x[1:] - x[:-1], np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = np.where(same, (y[1:] - y[:-1]) / h, np.nan)
    # Segment on the left (k-1) and right (k) of each knot; NaN where the knot is a curve end.
    dl = np.concatenate([[np.nan], delta])
    dr = np.concatenate([delta, [np.nan]])
    hl = np.concatenate([[np.nan], h])
    hr = np.concatenate([h, [np.nan]])
    interior = ~np.isnan(dl) & ~np.isnan(dr)
    with np.errstate(divide="ignore", invalid="ignore"):
        w1 = 2 * hr + hl
        w2 = hr + 2 * hl
        harmonic = (w1 + w2) / (w1 / dl + w2 / dr)
    d = np.where(interior & (dl * dr > 0), harmonic, 0.0)

    # Curve ends: the three-point formula, shape-limited (as scipy's PchipInterpolator).
    def edge(h0: np.ndarray, h1: np.ndarray, d0: np.ndarray, d1: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            e = ((2 * h0 + h1) * d0 - h0 * d1) / (h0 + h1)
        e = np.where(np.sign(e) != np.sign(d0), 0.0, e)
        e = np.where((np.sign(d0) != np.sign(d1)) & (np.abs(e) > 3 * np.abs(d0)), 3 * d0, e)
        return np.where(np.isnan(d1), d0, e)  # two-knot curve: linear

    hr2 = np.concatenate([hr[1:], [np.nan]])
    dr2 = np.concatenate([dr[1:], [np.nan]])
    left_end = np.isnan(dl) & ~np.isnan(dr)
    d = np.where(left_end, edge(hr, hr2, dr, dr2), d)
    hl2 = np.concatenate([[np.nan], hl[:-1]])
    dl2 = np.concatenate([[np.nan], dl[:-1]])
    right_end = ~np.isnan(dl) & np.isnan(dr)
    d = np.where(right_end, edge(hl, hl2, dl, dl2), d)
    return np.nan_to_num(d)


def monotone_interpolate(
    x: np.ndarray, y: np.ndarray, group: np.ndarray, xq: np.ndarray, group_q: np.ndarray
) -> np.ndarray:
    """PCHIP through (x, y) per group, evaluated at (xq, group_q); NaN outside a group's [min x, max x].

    Monotone data gives a monotone interpolant (no overshoot). Knots need not be sorted; NaN y are ignored.
    """
    x = np.asarray(x, dtype="float64")
    y = np.asarray(y, dtype="float64")
    g = np.asarray(group, dtype="int64")
    xq = np.asarray(xq, dtype="float64")
    gq = np.asarray(group_q, dtype="int64")
    keep = ~np.isnan(y) & ~np.isnan(x)
    x, y, g = x[keep], y[keep], g[keep]
    out = np.full(len(xq), np.nan)
    if len(x) == 0 or len(xq) == 0:
        return out
    order = np.lexsort((x, g))
    x, y, g = x[order], y[order], g[order]
    d = _pchip_slopes(x, y, g)
    lo = float(np.nanmin(np.concatenate([x, xq])))
    key = g * _GROUP_STRIDE + (x - lo)
    key_q = gq * _GROUP_STRIDE + (xq - lo)
    k = np.searchsorted(key, key_q, side="right") - 1
    valid = k >= 0
    k = np.clip(k, 0, len(x) - 1)
    valid &= g[k] == gq
    exact = valid & (x[k] == xq)
    k1 = np.clip(k + 1, 0, len(x) - 1)
    inside = valid & ~exact & (k + 1 < len(x)) & (g[k1] == gq) & (xq < x[k1])
    h = x[k1] - x[k]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        t = (xq - x[k]) / h
        t2, t3 = t * t, t * t * t
        cubic = (
            (2 * t3 - 3 * t2 + 1) * y[k]
            + (t3 - 2 * t2 + t) * h * d[k]
            + (-2 * t3 + 3 * t2) * y[k1]
            + (t3 - t2) * h * d[k1]
        )
    out = np.where(exact, y[k], out)
    out = np.where(inside, cubic, out)
    return out
