"""Throughput-per-GPU vs tokens/s/user curves: monotone interpolation between the concurrencies a source reports,
Pareto frontiers, latency targets (SLO), the cheapest mode meeting them, and the self-spec vs AR crossover.

A *curve* is one profile (gpu x model x mode x precision x engine settings) across concurrency.
Interpolation is a shape-preserving cubic (PCHIP, calculator/model/interpolation.py) in log2(concurrency); it never
goes beyond a curve's data concurrencies: outside them there is no row (refused, not guessed).
Rows carry `point_basis`: "data point" (a concurrency the source reports, whatever its provenance:
measured here, uploaded, vendor-reported, community), "estimated" (a concurrency the estimator computed),
or "interpolated" (between two of those; the row's `provenance` still says whose curve it is). The word
"measured" is kept for the provenance kind (this tool's own measurements), never for a point's basis.
Everything is vectorised over DataFrames; no per-row Python loops.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from calculator.model.interpolation import monotone_interpolate

CURVE_KEYS: tuple[str, ...] = ("profile_id", "gpu", "model", "mode", "precision")
DATA_POINT = "data point"
POINT_BASES: tuple[str, ...] = (DATA_POINT, "interpolated", "estimated")

# Columns interpolated between data concurrencies (each on the points where it is known).
INTERPOLATED_COLUMNS: tuple[str, ...] = (
    "output_tok_s",
    "total_tok_s",
    "input_tok_s",
    "ttft_ms_p50",
    "ttft_ms_p99",
    "tpot_ms_p50",
    "tpot_ms_p99",
    "e2e_ms_p50",
    "tokens_per_forward",
    "accept_length",
    "joules_per_output_token",
    "slo_attainment",
)
MEASURED_ONLY_COLUMNS: tuple[str, ...] = ("goodput_req_s", "prefix_hit_rate")
"""Per-run figures that are not interpolated: blank on an interpolated row (never the first point's figure)."""


# ---------------------------------------------------------------------------------------------
# Per-GPU rates


def tok_s_user(df: pd.DataFrame) -> np.ndarray:
    """Tokens/s per user = 1000 / TPOT p50 where TPOT is reported, else output tok/s / concurrency.

    The same definition as cost.add_costs (InferenceX's interactivity = 1000 / TPOT).
    """
    output = df["output_tok_s"].to_numpy(dtype="float64")
    conc = df["concurrency"].to_numpy(dtype="float64")
    tpot = _floats(df, "tpot_ms_p50")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.isnan(tpot), output / conc, 1000.0 / tpot)


def with_rates(df: pd.DataFrame) -> pd.DataFrame:
    """Add output_tok_s_per_gpu (replica tok/s / gpus_per_replica) and tok_s_user where missing."""
    out = df.copy()
    if "output_tok_s_per_gpu" not in out:
        out["output_tok_s_per_gpu"] = out["output_tok_s"].to_numpy(dtype="float64") / out["gpus_per_replica"].to_numpy(
            dtype="float64"
        )
    if "tok_s_user" not in out:
        out["tok_s_user"] = tok_s_user(out)
    return out


# ---------------------------------------------------------------------------------------------
# Interpolation between a curve's data concurrencies


def concurrency_grid(points: pd.DataFrame, *, dense: bool = True, per_octave: int = 8) -> np.ndarray:
    """Concurrencies to evaluate curves at: every data one, plus (dense) every integer up to 16 and
    `per_octave` steps per doubling above (16 x 2^(k / per_octave), about 9 % apart), within the overall data range.
    The steps are anchored at 16, so any range's grid holds the same concurrencies where ranges overlap (ESTIMATE_GRID,
    where estimates are computed, is a part of every grid reaching 128)."""
    known = np.unique(points["concurrency"].to_numpy(dtype="int64"))
    if len(known) == 0 or not dense:
        return known
    return np.unique(np.concatenate([known, _dense_steps(int(known.min()), int(known.max()), per_octave)]))


def _dense_steps(lo: int, hi: int, per_octave: int = 8) -> np.ndarray:
    small = np.arange(lo, min(hi, 16) + 1)
    if hi <= 16:
        return small
    steps = np.round(16.0 * np.exp2(np.arange(int(np.ceil(np.log2(hi / 16) * per_octave)) + 1) / per_octave))
    big = steps.astype("int64")
    return np.concatenate([small, big[(big >= lo) & (big <= hi)]])


ESTIMATE_GRID: tuple[int, ...] = tuple(int(c) for c in np.unique(_dense_steps(1, 128)))
"""The concurrencies every estimated curve is computed at (every integer to 16, then 8 steps per doubling to 128): an
estimate is computed at each concurrency it is shown at, never interpolated between two estimates (the estimator's
serving model is not smooth: its running batch is capped by the KV cache), so a page, an export and `estimate` give
one number for one question."""


def interpolate_points(
    points: pd.DataFrame,
    concurrencies: Sequence[int] | np.ndarray | None = None,
    *,
    keys: Sequence[str] = CURVE_KEYS,
) -> pd.DataFrame:
    """Each curve evaluated at `concurrencies` (default: concurrency_grid) within its data range.

    Rows at a source concurrency are the source rows unchanged; rows between two data
    concurrencies are interpolated (PCHIP in log2 concurrency) column by column over INTERPOLATED_COLUMNS,
    each from the points where that column is known. Outside a curve's range: no row (never extrapolated).
    An estimated curve is never interpolated: it has rows only where the estimator computed it (ESTIMATE_GRID; with
    the default grid all of them), so its figure at a concurrency is the estimator's own there.
    Adds `point_basis`: "data point" or "estimated" at a source concurrency, else "interpolated".
    """
    if points.empty:
        out = points.copy()
        out["point_basis"] = pd.Series(dtype="object")
        return out
    grid = concurrency_grid(points) if concurrencies is None else np.unique(np.asarray(concurrencies, dtype="int64"))
    grid = grid[grid >= 1]
    keys = list(keys)
    pts = points.reset_index(drop=True)
    curve = pts.groupby(keys, sort=False, dropna=False).ngroup().to_numpy()
    pts_x = np.log2(pts["concurrency"].to_numpy(dtype="float64"))
    lo = pd.Series(pts["concurrency"].to_numpy(), index=curve).groupby(level=0).min()
    hi = pd.Series(pts["concurrency"].to_numpy(), index=curve).groupby(level=0).max()

    # Candidate (curve, concurrency) pairs inside each curve's range, not already a data point.
    n_curves = int(curve.max()) + 1
    cq = np.repeat(np.arange(n_curves), len(grid))
    xq = np.tile(grid, n_curves)
    inside = (xq > lo.reindex(cq).to_numpy()) & (xq < hi.reindex(cq).to_numpy())
    already = pd.MultiIndex.from_arrays([cq, xq]).isin(
        pd.MultiIndex.from_arrays([curve, pts["concurrency"].to_numpy()])
    )
    estimated = (
        (pts["provenance"].astype(str) == "estimated").to_numpy() if "provenance" in pts else np.zeros(len(pts), bool)
    )
    est_curve = pd.Series(estimated, index=curve).groupby(level=0).all()
    new = inside & ~already & ~est_curve.reindex(cq).to_numpy(dtype=bool)
    cq, xq = cq[new], xq[new]

    keep = pts["concurrency"].isin(grid).to_numpy() | (estimated if concurrencies is None else False)
    source_rows = pts[keep].copy()
    source_rows["point_basis"] = np.where(source_rows["provenance"] == "estimated", "estimated", DATA_POINT)
    if len(cq) == 0:
        return source_rows.sort_values([*keys, "concurrency"]).reset_index(drop=True)

    # Profile-level columns from the curve's first row; point columns interpolated.
    first = pts.groupby(curve, sort=True).head(1)
    first_curve = curve[first.index.to_numpy()]
    template = first.set_index(first_curve).reindex(cq).reset_index(drop=True)
    template["concurrency"] = xq
    log_q = np.log2(xq.astype("float64"))
    for col in INTERPOLATED_COLUMNS:
        if col in pts:
            template[col] = monotone_interpolate(pts_x, pts[col].to_numpy(dtype="float64"), curve, log_q, cq)
    for col in ("requests_completed", "requests_failed"):
        if col in template:
            template[col] = pd.NA
    for col in MEASURED_ONLY_COLUMNS:
        if col in template:
            template[col] = np.nan
    template["point_basis"] = "interpolated"
    out = pd.concat([source_rows, template.astype(source_rows.dtypes.to_dict(), errors="ignore")], ignore_index=True)
    return out.sort_values([*keys, "concurrency"]).reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Pareto frontier


def pareto_mask(
    df: pd.DataFrame, x: str = "tok_s_user", y: str = "output_tok_s_per_gpu", by: Sequence[str] | None = CURVE_KEYS
) -> pd.Series:
    """True for rows no other row of their group beats on both x and y (higher is better on both)."""
    if df.empty:
        return pd.Series(dtype=bool, index=df.index)
    group = (
        df.groupby(list(by), sort=False, dropna=False).ngroup().to_numpy() if by else np.zeros(len(df), dtype="int64")
    )
    xs = df[x].to_numpy(dtype="float64")
    ys = df[y].to_numpy(dtype="float64")
    # Sort by group, x descending, y descending; a row is on the frontier if its y beats every row before it.
    order = np.lexsort((-ys, -xs, group))
    ys_sorted = pd.Series(ys[order])
    g_sorted = pd.Series(group[order])
    prev_best = ys_sorted.groupby(g_sorted.to_numpy()).cummax().groupby(g_sorted.to_numpy()).shift(1)
    on = (prev_best.isna() | (ys_sorted > prev_best)).to_numpy() & ~np.isnan(ys[order]) & ~np.isnan(xs[order])
    mask = np.zeros(len(df), dtype=bool)
    mask[order] = on
    return pd.Series(mask, index=df.index)


def pareto_frontier(
    df: pd.DataFrame, x: str = "tok_s_user", y: str = "output_tok_s_per_gpu", by: Sequence[str] | None = CURVE_KEYS
) -> pd.DataFrame:
    """The frontier rows of each group, sorted by group then x."""
    front = df[pareto_mask(df, x, y, by)]
    return front.sort_values([*(by or []), x]).reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Latency targets


UNCHECKED_PASSED = "TTFT not reported: target not checked"
UNCHECKED_FAILED = "TTFT not reported: counted as failed"


@dataclass(frozen=True)
class Slo:
    """Latency targets; None means no target. TTFT in ms (p50), interactivity in tokens/s per user."""

    max_ttft_ms: float | None = None
    min_tok_s_user: float | None = None

    def describe(self) -> str:
        parts = []
        if self.max_ttft_ms is not None:
            parts.append(f"TTFT p50 <= {self.max_ttft_ms:,.0f} ms")
        if self.min_tok_s_user is not None:
            parts.append(f">= {self.min_tok_s_user:,.0f} tok/s per user")
        return " and ".join(parts) or "no latency target"


def slo_check(df: pd.DataFrame, slo: Slo, *, require_ttft: bool = False) -> pd.DataFrame:
    """Add meets_tok_s_user, ttft_known, meets_slo and slo_note.

    A TTFT target on a row whose source gives no TTFT cannot be checked: with require_ttft (the safe
    choice) the row fails and slo_note says "TTFT not reported: counted as failed"; without it the row
    passes and slo_note says "TTFT not reported: target not checked" (never "met").
    """
    out = with_rates(df)
    n = len(out)
    user = out["tok_s_user"].to_numpy(dtype="float64")
    ttft = _floats(out, "ttft_ms_p50")
    meets_user = np.ones(n, dtype=bool) if slo.min_tok_s_user is None else user >= slo.min_tok_s_user
    known = ~np.isnan(ttft)
    if slo.max_ttft_ms is None:
        meets_ttft = np.ones(n, dtype=bool)
        note = np.full(n, "", dtype=object)
    else:
        meets_ttft = np.where(known, ttft <= slo.max_ttft_ms, not require_ttft)
        note = np.where(known, "", UNCHECKED_FAILED if require_ttft else UNCHECKED_PASSED)
    out["meets_tok_s_user"] = meets_user
    out["ttft_known"] = known
    out["meets_slo"] = meets_user & meets_ttft
    out["slo_note"] = note
    return out


# ---------------------------------------------------------------------------------------------
# Workload lengths: does a curve's throughput reflect the user's input/output lengths?

# SPEED-Bench qualitative split as the bundled profiles ran it (prompts of ~250 tokens plus the chat
# template, mean generation ~640 tokens; calculator/model/estimator/observations.py uses the same figures).
SPEED_BENCH_TYPICAL_ISL = 300
SPEED_BENCH_TYPICAL_OSL = 640
LENGTH_TOLERANCE = 4.0  # a curve "reflects" the user's lengths when both are within this factor
LENGTH_CHECK_COLUMNS = [
    "profile_id",
    "profile_isl",
    "profile_osl",
    "lengths_basis",
    "isl_ratio",
    "osl_ratio",
    "lengths_status",
    "lengths_note",
]


def fill_lengths(points: pd.DataFrame, isl: int, osl: int) -> pd.DataFrame:
    """ISL/OSL where a source does not state them, by one rule for every page and the CLI: a SPEED-Bench run takes
    that benchmark's typical lengths (SPEED_BENCH_TYPICAL_ISL/OSL), anything else the user's; stated lengths stay.
    (The total-token and input/output-split denominators need them.)"""
    if points.empty:
        return points
    speed = (
        points["dataset"].astype(str).str.contains("speed-bench", case=False, regex=False)
        if "dataset" in points
        else pd.Series(False, index=points.index)
    )
    fill_isl = np.where(speed, float(SPEED_BENCH_TYPICAL_ISL), float(isl))
    fill_osl = np.where(speed, float(SPEED_BENCH_TYPICAL_OSL), float(osl))
    out_isl = pd.to_numeric(points["isl"], errors="coerce").astype("float64")
    out_osl = pd.to_numeric(points["osl"], errors="coerce").astype("float64")
    return points.assign(
        isl=out_isl.fillna(pd.Series(fill_isl, index=points.index)).round().astype("Int64"),
        osl=out_osl.fillna(pd.Series(fill_osl, index=points.index)).round().astype("Int64"),
    )


def length_check(points: pd.DataFrame, isl: int, osl: int, *, tolerance: float = LENGTH_TOLERANCE) -> pd.DataFrame:
    """Per curve (profile_id): the input/output lengths its throughput was reported at, against `isl`/`osl`.

    A curve's lengths are its own isl/osl; where it states none and ran SPEED-Bench, that benchmark's typical
    lengths (SPEED_BENCH_TYPICAL_ISL/OSL, lengths_basis "SPEED-Bench typical"); else unknown. ratio =
    max(user / curve, curve / user) per length. lengths_status: "match" (both within `tolerance`), "differ"
    (either beyond it: the curve's throughput does not reflect the user's workload) or "unknown".
    Pass the points as the source gave them (before filling missing lengths). Columns: LENGTH_CHECK_COLUMNS.
    """
    if points.empty:
        return pd.DataFrame(columns=LENGTH_CHECK_COLUMNS)
    first = points.groupby("profile_id", sort=True, dropna=False).head(1).reset_index(drop=True)
    n = len(first)
    speed = (
        first["dataset"].astype(str).str.contains("speed-bench", case=False, regex=False).to_numpy()
        if "dataset" in first
        else np.zeros(n, dtype=bool)
    )
    isl_src, osl_src = _floats(first, "isl"), _floats(first, "osl")
    p_isl = np.where(np.isnan(isl_src) & speed, float(SPEED_BENCH_TYPICAL_ISL), isl_src)
    p_osl = np.where(np.isnan(osl_src) & speed, float(SPEED_BENCH_TYPICAL_OSL), osl_src)
    n_stated = (~np.isnan(isl_src)).astype(int) + (~np.isnan(osl_src)).astype(int)
    basis = np.select(
        [n_stated == 2, (n_stated == 1) & speed, n_stated == 1, speed],
        ["stated", "partly stated, rest SPEED-Bench typical", "partly stated", "SPEED-Bench typical"],
        default="not stated",
    )

    def ratio(user: float, curve: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.float64(user) / curve
            return np.maximum(r, 1.0 / r)

    r_isl, r_osl = ratio(float(isl), p_isl), ratio(float(osl), p_osl)
    known = ~np.isnan(r_isl) & ~np.isnan(r_osl)
    differ = known & ((r_isl > tolerance) | (r_osl > tolerance))
    status = np.where(~known, "unknown", np.where(differ, "differ", "match"))

    def fmt(v: np.ndarray) -> list[str]:
        return ["?" if np.isnan(x) else f"{x:,.0f}" for x in v]

    ai = np.where(np.isnan(isl_src) & speed, "~", "")
    ao = np.where(np.isnan(osl_src) & speed, "~", "")
    note = [
        f"reported at ISL {a}{i} / OSL {b}{o} ({w}); yours {isl:,} / {osl:,}"
        for a, i, b, o, w in zip(ai, fmt(p_isl), ao, fmt(p_osl), basis, strict=True)
    ]
    return pd.DataFrame(
        {
            "profile_id": first["profile_id"].to_numpy(),
            "profile_isl": p_isl,
            "profile_osl": p_osl,
            "lengths_basis": basis,
            "isl_ratio": r_isl,
            "osl_ratio": r_osl,
            "lengths_status": status,
            "lengths_note": note,
        }
    )[LENGTH_CHECK_COLUMNS]


# ---------------------------------------------------------------------------------------------
# Crossover


CROSSOVER_COLUMNS = [
    "challenger_profile",
    "baseline_profile",
    "challenger_label",
    "baseline_label",
    "status",
    "last_win_concurrency",
    "first_loss_concurrency",
    "crossover_concurrency",
    "advantage_at_min",
    "advantage_at_max",
    "common_min_concurrency",
    "common_max_concurrency",
    "basis",
    "challenger_precision",
    "baseline_precision",
    "like_precision",
]


def curve_label(df: pd.DataFrame) -> pd.Series:
    """A short human label per row: model mode precision [block N]."""
    block = (
        pd.to_numeric(df["block_size"], errors="coerce") if "block_size" in df else pd.Series(np.nan, index=df.index)
    )
    suffix = np.where(block.notna(), " b" + block.fillna(0).astype("int64").astype(str), "")
    return df["model"].astype(str) + " " + df["mode"].astype(str) + " " + df["precision"].astype(str) + suffix


def crossover(
    df: pd.DataFrame,
    *,
    challenger: str = "self_spec",
    baseline: str = "ar",
    by: Sequence[str] = ("gpu",),
    metric: str = "output_tok_s_per_gpu",
    higher_is_better: bool = True,
) -> pd.DataFrame:
    """Where each `challenger`-mode curve stops beating each `baseline`-mode curve of the same group.

    Both curves are evaluated (monotone interpolation, never beyond either's range) at the union of
    their data concurrencies inside the common range. advantage = challenger / baseline metric
    (inverted when lower is better); the crossover is the first concurrency after a win where the
    advantage is <= 1, located between the last win and the first loss by linear interpolation of
    the advantage in log2(concurrency). status: "crosses", "challenger wins throughout",
    "baseline wins throughout", or "one common concurrency or none" (nothing to compare across).
    One row per (group, challenger curve, baseline curve); columns: by + CROSSOVER_COLUMNS, where
    like_precision says whether the two curves share a precision (compare like with like: an fp8 challenger
    against a bf16 baseline mixes a precision gain into the mode's).
    """
    by = list(by)
    columns = [*by, *CROSSOVER_COLUMNS]
    if df.empty or metric not in df:
        return pd.DataFrame(columns=columns)
    curve_keys = [*by, "profile_id"]
    data = df.reset_index(drop=True).copy()
    data["_label"] = curve_label(data)
    precision_of = (
        data.drop_duplicates("profile_id").set_index("profile_id")["precision"].astype(str)
        if "precision" in data
        else pd.Series(dtype=str)
    )
    chal = data[data["mode"] == challenger]
    base = data[data["mode"] == baseline]
    if chal.empty or base.empty:
        return pd.DataFrame(columns=columns)

    # Pair curves within each group; the pair's grid is the union of both curves' concurrencies.
    chal_c = chal[[*curve_keys, "concurrency", "_label"]].rename(columns={"profile_id": "c_id", "_label": "c_label"})
    base_c = base[[*curve_keys, "concurrency", "_label"]].rename(columns={"profile_id": "b_id", "_label": "b_label"})
    c_rng = chal_c.groupby([*by, "c_id", "c_label"], dropna=False)["concurrency"].agg(["min", "max"]).reset_index()
    b_rng = base_c.groupby([*by, "b_id", "b_label"], dropna=False)["concurrency"].agg(["min", "max"]).reset_index()
    pairs = (
        c_rng.merge(b_rng, on=by, suffixes=("_c", "_b"))
        if by
        else c_rng.merge(b_rng, how="cross", suffixes=("_c", "_b"))
    )
    if pairs.empty:
        return pd.DataFrame(columns=columns)
    pairs["lo"] = np.maximum(pairs["min_c"], pairs["min_b"])
    pairs["hi"] = np.minimum(pairs["max_c"], pairs["max_b"])
    pairs["pair"] = np.arange(len(pairs))
    grid = pd.concat(
        [
            pairs[[*by, "c_id", "pair"]].merge(chal_c[[*by, "c_id", "concurrency"]], on=[*by, "c_id"]),
            pairs[[*by, "b_id", "pair"]].merge(base_c[[*by, "b_id", "concurrency"]], on=[*by, "b_id"]),
        ]
    )[["pair", "concurrency"]].drop_duplicates()
    grid = grid.merge(pairs[["pair", "lo", "hi", "c_id", "b_id", *by]], on="pair")
    grid = grid[(grid["concurrency"] >= grid["lo"]) & (grid["concurrency"] <= grid["hi"])]

    # Evaluate each curve's metric on its pairs' grid points.
    curve_id = data.groupby(curve_keys, sort=False, dropna=False).ngroup()
    ids = data[curve_keys].assign(_cid=curve_id.to_numpy()).drop_duplicates(curve_keys)
    x_known = np.log2(data["concurrency"].to_numpy(dtype="float64"))
    y_known = data[metric].to_numpy(dtype="float64")

    def evaluate(id_col: str) -> np.ndarray:
        q = (
            grid[[*by, id_col, "concurrency"]]
            .rename(columns={id_col: "profile_id"})
            .merge(ids, on=curve_keys, how="left")
        )
        return monotone_interpolate(
            x_known,
            y_known,
            curve_id.to_numpy(),
            np.log2(q["concurrency"].to_numpy(dtype="float64")),
            q["_cid"].to_numpy(),
        )

    grid = grid.reset_index(drop=True)
    grid["c_val"] = evaluate("c_id")
    grid["b_val"] = evaluate("b_id")
    with np.errstate(divide="ignore", invalid="ignore"):
        grid["adv"] = grid["c_val"] / grid["b_val"] if higher_is_better else grid["b_val"] / grid["c_val"]
    grid = grid.dropna(subset=["adv"]).sort_values(["pair", "concurrency"]).reset_index(drop=True)

    win = grid["adv"] > 1.0
    prev_win = win.groupby(grid["pair"]).shift(1, fill_value=False).astype(bool)
    loss_after_win = ~win & prev_win
    grid["_x"] = np.log2(grid["concurrency"].astype("float64"))
    grid["_prev_x"] = grid.groupby("pair")["_x"].shift(1)
    grid["_prev_adv"] = grid.groupby("pair")["adv"].shift(1)
    grid["_prev_c"] = grid.groupby("pair")["concurrency"].shift(1)
    first_loss = grid[loss_after_win].groupby("pair").head(1).set_index("pair")

    summary = grid.groupby("pair").agg(
        n=("adv", "size"),
        any_win=("adv", lambda s: bool((s > 1.0).any())),
        all_win=("adv", lambda s: bool((s > 1.0).all())),
        adv_min=("adv", "first"),
        adv_max=("adv", "last"),
        cmin=("concurrency", "min"),
        cmax=("concurrency", "max"),
    )
    out = (
        pairs.set_index("pair")
        .join(summary, how="left")
        .join(first_loss[["concurrency", "_prev_c", "_prev_x", "_x", "_prev_adv", "adv"]], how="left")
    )
    frac = (out["_prev_adv"] - 1.0) / (out["_prev_adv"] - out["adv"])
    cross = np.exp2((out["_prev_x"] + frac * (out["_x"] - out["_prev_x"])).to_numpy(dtype="float64"))
    n = out["n"].fillna(0)
    status = np.select(
        [
            n < 2,
            out["concurrency"].notna(),
            out["all_win"].fillna(False).astype(bool),
            ~out["any_win"].fillna(False).astype(bool),
        ],
        ["one common concurrency or none", "crosses", "challenger wins throughout", "baseline wins throughout"],
        default="challenger wins, then loses, without a clean crossing",
    )
    basis = np.where(
        status == "crosses",
        "interpolated between concurrencies "
        + out["_prev_c"].fillna(0).astype("int64").astype(str)
        + " and "
        + out["concurrency"].fillna(0).astype("int64").astype(str)
        + " (log-linear in the advantage); outside the curves' common range nothing is claimed",
        "compared at concurrencies "
        + out["cmin"].fillna(0).astype("int64").astype(str)
        + "-"
        + out["cmax"].fillna(0).astype("int64").astype(str)
        + " only",
    )
    result = pd.DataFrame(
        {
            **{k: out[k].to_numpy() for k in by},
            "challenger_profile": out["c_id"].to_numpy(),
            "baseline_profile": out["b_id"].to_numpy(),
            "challenger_label": out["c_label"].to_numpy(),
            "baseline_label": out["b_label"].to_numpy(),
            "status": status,
            "last_win_concurrency": out["_prev_c"].to_numpy(dtype="float64"),
            "first_loss_concurrency": out["concurrency"].to_numpy(dtype="float64"),
            "crossover_concurrency": np.where(status == "crosses", cross, np.nan),
            "advantage_at_min": out["adv_min"].to_numpy(dtype="float64"),
            "advantage_at_max": out["adv_max"].to_numpy(dtype="float64"),
            "common_min_concurrency": out["cmin"].to_numpy(dtype="float64"),
            "common_max_concurrency": out["cmax"].to_numpy(dtype="float64"),
            "basis": basis,
        }
    )
    result["challenger_precision"] = result["challenger_profile"].map(precision_of).to_numpy()
    result["baseline_precision"] = result["baseline_profile"].map(precision_of).to_numpy()
    result["like_precision"] = (result["challenger_precision"] == result["baseline_precision"]).to_numpy(dtype=bool)
    return result[columns].reset_index(drop=True)


def _floats(df: pd.DataFrame, name: str) -> np.ndarray:
    if name not in df:
        return np.full(len(df), np.nan)
    return pd.to_numeric(df[name], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
