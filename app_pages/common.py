"""Shared app plumbing: cached loaders, per-session data (uploads, price edits, quotes, owned TCO),
the shared sidebar and scenario inputs (bound to the URL), provenance badges, formatting and charts.

UI only: every number comes from calculator/ (cost, frontier, capacity); nothing here is written to disk.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from calculator import frontier
from calculator.catalog import Catalog, load_catalog, normalise_points, prices_frame
from calculator.cost import DEFAULT_PRICE_RATIO, price_table
from calculator.schema import KNOWN_MODELS, KNOWN_MODES, PROVENANCE_KINDS, TIERS, PriceOffer

# ---------------------------------------------------------------------------------------------
# Labels

PROVENANCE_LABELS: dict[str, str] = {
    "measured": "measured here",
    "uploaded": "uploaded",
    "vendor": "vendor-reported",
    "vendor_internal": "vendor internal",
    "community": "community",
    "estimated": "estimated",
}
# Colours readable on light and dark backgrounds (badges and chart markers).
PROVENANCE_COLORS: dict[str, str] = {
    "measured": "#16A34A",
    "uploaded": "#2563EB",
    "vendor": "#D97706",
    "vendor_internal": "#DC2626",
    "community": "#7C3AED",
    "estimated": "#64748B",
}
TIER_LABELS: dict[str, str] = {
    "on_demand": "on-demand",
    "spot": "spot",
    "reserved_1y": "1-yr reserved",
    "reserved_3y": "3-yr reserved",
    "owned": "owned (TCO)",
    "rental_3y": "3-yr rental",
}
MODE_LABELS: dict[str, str] = {
    "ar": "AR",
    "diffusion": "diffusion",
    "self_spec": "self-speculation",
    "spec_eagle3": "EAGLE-3",
    "spec_mtp": "MTP",
}
MODE_COLORS: dict[str, str] = {
    "ar": "#2563EB",
    "self_spec": "#7C3AED",
    "diffusion": "#059669",
    "spec_eagle3": "#D97706",
    "spec_mtp": "#DC2626",
}
NLD_SIZES: dict[str, str] = {"3B": "nld-3b", "8B": "nld-8b", "14B": "nld-14b"}
BASELINE_MODELS: tuple[str, ...] = ("qwen3-8b", "qwen3.5-9b")
SPEED_BENCH_CATEGORIES: tuple[str, ...] = (
    "coding",
    "math",
    "reasoning",
    "multilingual",
    "humanities",
    "qa",
    "rag",
    "roleplay",
    "stem",
    "summarization",
    "writing",
)
AS_MEASURED = "as measured (mixed)"
CONTEXT_CHOICES: tuple[int, ...] = (1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072)
PUBLISHED_CONTEXT_TOKENS = 16384  # no TPF or throughput is published beyond ~16K context (facts/nemotron.md §8)

# URL value (the option shown) -> (cost column, label on tables and axes).
DENOMINATORS: dict[str, tuple[str, str]] = {
    "output tokens": ("usd_per_mtok_output", "$/M output tokens"),
    "total tokens": ("usd_per_mtok_total", "$/M total tokens"),
    "output, input at 1/R": ("usd_per_mtok_output_r", "$/M output tokens (input priced at 1/R)"),
}
DENOMINATOR_HELP = {
    "output tokens": "All GPU cost charged to output tokens: "
    "$/GPU-h / (output tok/s per GPU x utilisation x 3600) x 1e6.",
    "total tokens": "All GPU cost spread over input + output tokens (input from ISL/OSL where the source gives none).",
    "output, input at 1/R": "Input and output priced apart, an input token costing 1/R of an output token "
    "(GKE's method, R = 4).",
}
DEFAULT_DENOMINATOR = "output tokens"

CHEAPEST = "cheapest"


def mode_color(mode: str) -> str:
    return MODE_COLORS.get(mode, "#64748B")


def mode_label(mode: str) -> str:
    return MODE_LABELS.get(mode, mode)


def model_label(model: str) -> str:
    return KNOWN_MODELS.get(model, model)


def fmt_usd(x: float | None, digits: int = 3) -> str:
    """$0.000 style; an em dash for a missing value."""
    if x is None or not np.isfinite(x):
        return "—"
    return f"${x:,.{digits}f}"


def fmt_int(x: float | None) -> str:
    if x is None or not np.isfinite(x):
        return "—"
    return f"{x:,.0f}"


def fmt_tokens(x: float) -> str:
    """Token volumes in words: 1.2 B, 350 M."""
    for unit, scale in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(x) >= scale:
            return f"{x / scale:,.2f} {unit}"
    return f"{x:,.0f}"


# ---------------------------------------------------------------------------------------------
# Optional modules written by other engineers (wired in when present)


def optional_module(name: str) -> ModuleType | None:
    """Import calculator.<name> if it exists and imports cleanly, else None (the page says "no data")."""
    try:
        return importlib.import_module(f"calculator.{name}")
    except Exception:
        return None


# ---------------------------------------------------------------------------------------------
# Cached loaders (shared by all sessions; treat the results as read-only)


@st.cache_resource(show_spinner="Loading the bundled data…")
def bundled_catalog() -> Catalog:
    """GPUs, prices, profiles and workload tables from hardware_profiles/ (validated once per process)."""
    return load_catalog()


@st.cache_data(show_spinner=False, max_entries=32)
def _priced(
    points_key: str,
    prices_key: str,
    utilisation: float,
    price_ratio: float,
    _points: pd.DataFrame,
    _prices: pd.DataFrame,
) -> pd.DataFrame:
    """price_table, cached per content of its inputs (the keys are digests)."""
    return price_table(_points, _prices, utilisation=utilisation, price_ratio=price_ratio)


@st.cache_data(show_spinner=False, max_entries=16)
def _dense(points_key: str, _points: pd.DataFrame) -> pd.DataFrame:
    """Every curve on a dense concurrency grid (monotone interpolation inside its measured range)."""
    return frontier.with_rates(frontier.interpolate_points(_points))


def frame_digest(df: pd.DataFrame) -> str:
    """A short content digest of a DataFrame (cache key)."""
    if df.empty:
        return "empty:" + ",".join(map(str, df.columns))
    h = pd.util.hash_pandas_object(df.astype(str), index=False).to_numpy()
    return hashlib.sha256(h.tobytes()).hexdigest()[:16]


# ---------------------------------------------------------------------------------------------
# Session data


@dataclass
class Upload:
    """One file's points added to this session (provenance `uploaded`); never written to disk."""

    uid: str
    file: str
    fmt: str
    n_profiles: int
    points: pd.DataFrame


def init_state() -> None:
    """Per-session containers, created once (app.py calls this on every run; it is cheap)."""
    st.session_state.setdefault("uploads", {})  # uid -> Upload
    st.session_state.setdefault("pending", {})  # file digest -> pending import (Measurements page)
    st.session_state.setdefault("offers_edited", None)  # list[PriceOffer] from the Prices editor, or None
    st.session_state.setdefault("quotes", [])  # list[PriceOffer]: private quotes
    st.session_state.setdefault("owned", [])  # list[PriceOffer]: owned-hardware TCO offers


def uploads() -> dict[str, Upload]:
    init_state()
    return st.session_state["uploads"]  # type: ignore[no-any-return]


def concat_points(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate points frames into canonical columns, keeping extra columns (e.g. the estimator's basis)."""
    frames = [f for f in frames if f is not None and not f.empty]
    if not frames:
        return normalise_points(pd.DataFrame())
    raw = pd.concat(frames, ignore_index=True)
    out = normalise_points(raw)
    for col in raw.columns:
        if col not in out:
            out[col] = raw[col].to_numpy()
    return out


def uploaded_points() -> pd.DataFrame:
    ups = list(uploads().values())
    if not ups:
        return normalise_points(pd.DataFrame())
    return normalise_points(pd.concat([u.points for u in ups], ignore_index=True))


def all_points() -> tuple[str, pd.DataFrame]:
    """(cache key, points): bundled profiles plus this session's uploads."""
    cat = bundled_catalog()
    ups = uploads()
    if not ups:
        return "bundled", cat.points
    key = "bundled+" + "+".join(sorted(ups))
    cached = st.session_state.get("_all_points")
    if cached is not None and cached[0] == key:
        return key, cached[1]
    pts = normalise_points(pd.concat([cat.points, uploaded_points()], ignore_index=True))
    st.session_state["_all_points"] = (key, pts)
    return key, pts


def session_offers() -> list[PriceOffer]:
    """The offers this session prices with: bundled (or as edited), private quotes, owned TCO."""
    init_state()
    base = st.session_state["offers_edited"]
    if base is None:
        base = bundled_catalog().offers
    return [*base, *st.session_state["quotes"], *st.session_state["owned"]]


def all_prices() -> tuple[str, pd.DataFrame]:
    """(cache key, prices DataFrame) for this session."""
    init_state()
    sig = (
        id(st.session_state["offers_edited"]),
        tuple(o.id for o in st.session_state["quotes"]),
        tuple(o.id for o in st.session_state["owned"]),
    )
    cached = st.session_state.get("_all_prices")
    if cached is not None and cached[0] == sig:
        return cached[1], cached[2]
    df = prices_frame(session_offers())
    key = "bundled" if sig == (id(None), (), ()) else frame_digest(df)
    st.session_state["_all_prices"] = (sig, key, df)
    return key, df


def prices_changed() -> None:
    """Forget the cached session price frame (after an edit, quote or TCO change)."""
    st.session_state.pop("_all_prices", None)


def priced_table(
    points_key: str,
    points: pd.DataFrame,
    *,
    utilisation: float,
    prices: pd.DataFrame | None = None,
    prices_key: str | None = None,
) -> pd.DataFrame:
    """Points x this session's offers with the cost columns (calculator.cost.price_table), cached."""
    if prices is None or prices_key is None:
        prices_key, prices = all_prices()
    return _priced(points_key, prices_key, float(utilisation), float(price_ratio()), points, prices)


def dense_points(points_key: str, points: pd.DataFrame) -> pd.DataFrame:
    return _dense(points_key, points)


# ---------------------------------------------------------------------------------------------
# Sidebar (rendered by app.py on every page) and shared scenario inputs (bound to the URL)


def sidebar() -> None:
    """Settings every page uses: utilisation and the cost denominator; a note on what was uploaded."""
    with st.sidebar:
        st.slider(
            "Utilisation (%)",
            min_value=5,
            max_value=100,
            value=100,
            step=5,
            key="util",
            bind="query-params",
            help="Share of the measured throughput you sustain on average (idle time, headroom). "
            "$/M = $/GPU-h / (tok/s per GPU x utilisation x 3600) x 1e6. In capacity plans: how hard a "
            "replica is loaded at peak.",
        )
        st.selectbox(
            "Cost denominator",
            options=list(DENOMINATORS),
            key="denom",
            bind="query-params",
            help=" ".join(DENOMINATOR_HELP.values()),
        )
        n_up = len(uploads())
        if n_up:
            st.caption(f":material/upload_file: {n_up} uploaded file(s) in this session (Measurements page).")
        edited = st.session_state.get("offers_edited") is not None
        extras = len(st.session_state.get("quotes", [])) + len(st.session_state.get("owned", []))
        if edited or extras:
            st.caption(":material/sell: Prices edited for this session (Prices page).")
        st.caption(
            "Provenance: **vendor** figures are NVIDIA's own and unconfirmed; **vendor internal** is a "
            "pre-release sweep; **estimated** rows come from a model, not a measurement."
        )


def utilisation() -> float:
    return float(st.session_state.get("util", 100)) / 100.0


def denominator() -> tuple[str, str]:
    """(cost column, label) chosen in the sidebar."""
    key = st.session_state.get("denom", DEFAULT_DENOMINATOR)
    return DENOMINATORS.get(key, DENOMINATORS[DEFAULT_DENOMINATOR])


def denominator_help() -> str:
    key = st.session_state.get("denom", DEFAULT_DENOMINATOR)
    return DENOMINATOR_HELP.get(key, DENOMINATOR_HELP[DEFAULT_DENOMINATOR])


def price_ratio() -> float:
    return DEFAULT_PRICE_RATIO


@dataclass(frozen=True)
class Targets:
    max_ttft_ms: float | None
    min_tok_s_user: float | None

    def slo(self) -> frontier.Slo:
        return frontier.Slo(max_ttft_ms=self.max_ttft_ms, min_tok_s_user=self.min_tok_s_user)


def target_inputs() -> Targets:
    """Latency targets (shared by Scenario and Capacity; bound to the URL as ttft and tps). 0 = no target."""
    c1, c2 = st.columns(2)
    ttft = c1.number_input(
        "Max time to first token (ms)",
        min_value=0,
        max_value=600_000,
        value=0,
        step=100,
        key="ttft",
        bind="query-params",
        help="p50 TTFT target; 0 = no target. Sources that report no TTFT are not checked (flagged).",
    )
    tps = c2.number_input(
        "Min tokens/s per user",
        min_value=0,
        max_value=100_000,
        value=50,
        step=10,
        key="tps",
        bind="query-params",
        help="Interactivity target: 1000 / TPOT where reported, else output tok/s / concurrency. 0 = no target.",
    )
    return Targets(max_ttft_ms=float(ttft) if ttft else None, min_tok_s_user=float(tps) if tps else None)


def current_targets() -> Targets:
    """The targets from session state (for pages that do not draw the inputs)."""
    ttft = st.session_state.get("ttft", 0) or 0
    tps = st.session_state.get("tps", 50)
    return Targets(max_ttft_ms=float(ttft) if ttft else None, min_tok_s_user=float(tps) if tps else None)


def length_inputs() -> tuple[int, int]:
    """ISL / OSL (shared by Scenario and Capacity)."""
    c1, c2 = st.columns(2)
    isl = c1.number_input(
        "Input length (tokens)",
        min_value=1,
        max_value=1_000_000,
        value=1024,
        step=256,
        key="isl",
        bind="query-params",
        help="Fills profiles that do not state it (total-token and split denominators, API input price).",
    )
    osl = c2.number_input(
        "Output length (tokens)", min_value=1, max_value=1_000_000, value=1024, step=256, key="osl", bind="query-params"
    )
    return int(isl), int(osl)


# ---------------------------------------------------------------------------------------------
# Tables


def with_workload(points: pd.DataFrame, isl: int, osl: int) -> pd.DataFrame:
    """Fill ISL/OSL where a profile does not say (for total / input denominators); measured values stay."""
    out = points.copy()
    out["isl"] = out["isl"].fillna(isl)
    out["osl"] = out["osl"].fillna(osl)
    return out


def add_labels(df: pd.DataFrame) -> pd.DataFrame:
    """Add display columns: curve label, option label (gpu · curve), provenance label and badge list."""
    out = df.copy()
    out["curve"] = frontier.curve_label(out) if not out.empty else pd.Series(dtype=str)
    if not out.empty:
        # Two profiles with one label (e.g. stock vs custom kernels): tell them apart by engine, else by id.
        key = out["gpu"].astype(str) + out["curve"].astype(str)
        clash = out.groupby(key)["profile_id"].transform("nunique") > 1
        eng_clash = out.groupby(key)["engine"].transform("nunique") > 1
        extra = np.where(eng_clash, out["engine"].astype(str), out["profile_id"].astype(str))
        out["curve"] = np.where(clash, out["curve"].astype(str) + " (" + extra + ")", out["curve"])
    out["option"] = out["gpu"].astype(str) + " · " + out["curve"].astype(str)
    out["provenance_label"] = out["provenance"].map(PROVENANCE_LABELS).fillna(out["provenance"])
    out["badge"] = [[p] for p in out["provenance_label"]]
    if "tier" in out:
        out["tier_label"] = out["tier"].map(TIER_LABELS).fillna(out["tier"])
    return out


def provenance_column(label: str = "Provenance") -> Any:
    """A coloured badge column for the provenance kind (MultiselectColumn used read-only)."""
    kinds = list(PROVENANCE_KINDS)
    return st.column_config.MultiselectColumn(
        label,
        options=[PROVENANCE_LABELS[k] for k in kinds],
        color=[PROVENANCE_COLORS[k] for k in kinds],
        help="Where the throughput figure comes from: measured here, uploaded by you, vendor-reported (NVIDIA), "
        "vendor internal (a pre-release sweep), community (independent), or estimated (a model).",
        disabled=True,
    )


def usd_column(label: str, help: str | None = None) -> Any:
    return st.column_config.NumberColumn(label, format="$%.3f", help=help)


def rate_column(label: str, help: str | None = None) -> Any:
    return st.column_config.NumberColumn(label, format="%,.0f", help=help)


def highlight_rows(df: pd.DataFrame, flag: str) -> Any:
    """A Styler tinting rows where `flag` is True (a translucent tint reads in light and dark themes)."""
    tint = "background-color: rgba(20, 184, 166, 0.18); font-weight: 600"
    flags = df[flag].to_numpy()

    def style(row: pd.Series) -> list[str]:
        return [tint if flags[row.name] else ""] * len(row)

    return df.reset_index(drop=True).style.apply(style, axis=1)


# ---------------------------------------------------------------------------------------------
# Charts


def hover_text(df: pd.DataFrame, cost_col: str | None = None, cost_label: str = "$/M") -> list[str]:
    """Hover lines with the point's provenance and source (and its price source where priced)."""
    n = len(df)

    def col(name: str, default: Any = "") -> list[Any]:
        return df[name].tolist() if name in df else [default] * n

    basis = col("point_basis", "measured")
    cost = col(cost_col, np.nan) if cost_col else [np.nan] * n
    priced = {"provider", "instance", "tier", "usd_per_gpu_hour", "price_as_of"} <= set(df.columns)
    price = (
        [
            f"<br>price: {p} {i}, {TIER_LABELS.get(t, t)} ${u:,.3f}/GPU-h as of {a}"
            for p, i, t, u, a in zip(
                col("provider"), col("instance"), col("tier"), col("usd_per_gpu_hour"), col("price_as_of"), strict=True
            )
        ]
        if priced
        else [""] * n
    )
    return [
        f"<b>{o}</b><br>concurrency {int(cc)} ({pb})<br>output tok/s per GPU {g:,.0f}<br>tok/s per user {u:,.1f}"
        + (f"<br>{cost_label} {fmt_usd(cv)}" if cost_col else "")
        + pr
        + f"<br>provenance: {pl} ({ao})<br>source: {str(src)[:110]}"
        for o, cc, pb, g, u, cv, pr, pl, ao, src in zip(
            col("option"),
            col("concurrency"),
            basis,
            col("output_tok_s_per_gpu", np.nan),
            col("tok_s_user", np.nan),
            cost,
            price,
            col("provenance_label"),
            col("as_of"),
            col("source"),
            strict=True,
        )
    ]


def base_layout(fig: go.Figure, *, x_title: str, y_title: str, height: int = 460) -> go.Figure:
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        hoverlabel={"align": "left"},
    )
    fig.update_xaxes(title_text=x_title, showgrid=True)
    fig.update_yaxes(title_text=y_title, showgrid=True, separatethousands=True)
    return fig


# Distinguishable on light and dark backgrounds; one colour per curve, in a stable order.
CURVE_COLORS: tuple[str, ...] = (
    "#2563EB", "#DC2626", "#059669", "#D97706", "#7C3AED", "#DB2777", "#0891B2", "#65A30D", "#EA580C", "#4F46E5",
    "#0D9488", "#B45309", "#9333EA", "#E11D48", "#475569",
)  # fmt: skip


LOG_TICKS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000]


def curve_colors(options: Sequence[str]) -> dict[str, str]:
    return {o: CURVE_COLORS[i % len(CURVE_COLORS)] for i, o in enumerate(sorted(set(options)))}


def log_axis_ticks(fig: go.Figure, axis: str, lo: float, hi: float, *, prefix: str = "") -> None:
    """Decade ticks on a log axis, labelled 1K, 10M, 1B ... (with an optional $ prefix)."""
    lo_e, hi_e = int(np.floor(np.log10(max(lo, 1e-9)))), int(np.ceil(np.log10(max(hi, 1e-9))))
    vals = [10.0**e for e in range(lo_e, hi_e + 1)]
    text = [prefix + fmt_tokens(v).replace(".00", "").replace(" ", "") for v in vals]
    getattr(fig, f"update_{axis}axes")(type="log", tickvals=vals, ticktext=text)


def log_vline(fig: go.Figure, x: float, text: str) -> None:
    """A dashed vertical line on a log x axis, labelled (annotations on log axes take log10 positions)."""
    fig.add_vline(x=x, line_dash="dash", line_color="#94A3B8")
    fig.add_annotation(
        x=float(np.log10(x)), y=1.0, xref="x", yref="paper", text=text, showarrow=False, xanchor="left",
        yanchor="bottom", font={"size": 11, "color": "#64748B"},
    )  # fmt: skip


def frontier_figure(dense: pd.DataFrame, targets: Targets) -> go.Figure:
    """Throughput per GPU vs tokens/s per user, one line per curve; markers on measured points only."""
    fig = go.Figure()
    colors = curve_colors(dense["option"].astype(str).tolist())
    dense = dense.sort_values("concurrency").assign(_hover=lambda d: hover_text(d))
    for curve, g in dense.groupby("option", sort=True):
        measured = g[g["point_basis"] != "interpolated"]
        color = colors[str(curve)]
        fig.add_trace(
            go.Scatter(
                x=g["tok_s_user"],
                y=g["output_tok_s_per_gpu"],
                mode="lines",
                name=str(curve),
                legendgroup=str(curve),
                line={"width": 2, "color": color, "dash": "dot" if (g["provenance"] == "estimated").all() else "solid"},
                hovertext=g["_hover"],
                hoverinfo="text",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=measured["tok_s_user"],
                y=measured["output_tok_s_per_gpu"],
                mode="markers",
                name=f"{curve} (measured)",
                legendgroup=str(curve),
                showlegend=False,
                marker={"size": 8, "color": color, "line": {"width": 1, "color": "white"}},
                hovertext=measured["_hover"],
                hoverinfo="text",
            )
        )
    if targets.min_tok_s_user:
        log_vline(fig, targets.min_tok_s_user, f"target ≥ {targets.min_tok_s_user:,.0f} tok/s/user")
    base_layout(fig, x_title="Tokens/s per user (tok/s)", y_title="Output throughput per GPU (tok/s)")
    fig.update_xaxes(type="log", tickvals=LOG_TICKS)
    return fig


def cost_figure(priced: pd.DataFrame, cost_col: str, cost_label: str, crossings: Sequence[float] = ()) -> go.Figure:
    """Cost per million tokens vs concurrency, one line per curve; markers on measured points."""
    fig = go.Figure()
    colors = curve_colors(priced["option"].astype(str).tolist())
    priced = priced.sort_values("concurrency").assign(_hover=lambda d: hover_text(d, cost_col, cost_label))
    for curve, g in priced.groupby("option", sort=True):
        color = colors[str(curve)]
        fig.add_trace(
            go.Scatter(
                x=g["concurrency"],
                y=g[cost_col],
                mode="lines",
                name=str(curve),
                legendgroup=str(curve),
                line={"width": 2, "color": color, "dash": "dot" if (g["provenance"] == "estimated").all() else "solid"},
                hovertext=g["_hover"],
                hoverinfo="text",
            )
        )
        m = g[g["point_basis"] != "interpolated"]
        fig.add_trace(
            go.Scatter(
                x=m["concurrency"],
                y=m[cost_col],
                mode="markers",
                showlegend=False,
                legendgroup=str(curve),
                name=f"{curve} (measured)",
                marker={"size": 8, "color": color, "line": {"width": 1, "color": "white"}},
                hovertext=m["_hover"],
                hoverinfo="text",
            )
        )
    for x in crossings:
        log_vline(fig, x, f"crossover ≈ {x:,.0f}")
    base_layout(fig, x_title="Concurrency (requests in flight per replica)", y_title=f"{cost_label} (USD)")
    fig.update_xaxes(type="log", tickvals=[1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024])
    fig.update_yaxes(type="log", tickprefix="$")
    return fig


def known_gpus() -> list[str]:
    return [g.id for g in bundled_catalog().gpu_specs]


def gpu_name(gpu: str) -> str:
    for g in bundled_catalog().gpu_specs:
        if g.id == gpu:
            return g.name
    return gpu


__all__ = [
    "AS_MEASURED",
    "BASELINE_MODELS",
    "CHEAPEST",
    "CONTEXT_CHOICES",
    "KNOWN_MODES",
    "NLD_SIZES",
    "PUBLISHED_CONTEXT_TOKENS",
    "SPEED_BENCH_CATEGORIES",
    "TIERS",
]


# ---------------------------------------------------------------------------------------------
# The scenario (Scenario page inputs; Export and Capacity read the same state)


@dataclass(frozen=True)
class ScenarioInputs:
    """Everything that defines a scenario; each field is bound to a URL query parameter of the same name."""

    size: str = "8B"
    gpu: str = "b200"
    tier: str = "on_demand"
    provider: str = CHEAPEST
    isl: int = 1024
    osl: int = 1024
    ctx: int = 8192
    cat: str = AS_MEASURED
    ttft: float = 0.0
    tps: float = 50.0
    util: int = 100

    @property
    def model(self) -> str:
        return NLD_SIZES.get(self.size, "nld-8b")

    @property
    def targets(self) -> Targets:
        return Targets(max_ttft_ms=self.ttft or None, min_tok_s_user=self.tps or None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "gpu": self.gpu,
            "price tier": self.tier,
            "provider": self.provider,
            "input length (tokens)": self.isl,
            "output length (tokens)": self.osl,
            "context length (tokens, estimates only)": self.ctx,
            "workload category": self.cat,
            "max TTFT p50 (ms, 0 = none)": self.ttft,
            "min tokens/s per user (0 = none)": self.tps,
            "utilisation": self.util / 100.0,
            "cost denominator": denominator()[1],
        }


def scenario_from_state() -> ScenarioInputs:
    """The scenario as the session (and so the URL) holds it; defaults where a widget was never drawn."""
    d = ScenarioInputs()
    s = st.session_state

    def get(key: str, default: Any) -> Any:
        """Session value, else the URL's (a link opened straight on this page), else the default."""
        v = s.get(key)
        if v is None and key in st.query_params:
            v = _parse_param(st.query_params.get(key, ""), default)
        return default if v is None else v

    def clamp(v: float, lo: float, hi: float) -> float:
        return min(max(v, lo), hi)

    # Values can come from a URL: keep them in the ranges the widgets allow.
    size, tier, cat = get("size", d.size), get("tier", d.tier), get("cat", d.cat)
    return ScenarioInputs(
        size=size if size in NLD_SIZES else d.size,
        gpu=str(get("gpu", d.gpu))[:64],
        tier=tier if tier in TIERS else d.tier,
        provider=str(get("provider", d.provider))[:200],
        isl=int(clamp(int(get("isl", d.isl)), 1, 1_000_000)),
        osl=int(clamp(int(get("osl", d.osl)), 1, 1_000_000)),
        ctx=min(CONTEXT_CHOICES, key=lambda n: abs(n - int(get("ctx", d.ctx)))),
        cat=cat if cat in (AS_MEASURED, *SPEED_BENCH_CATEGORIES) else d.cat,
        ttft=clamp(float(get("ttft", d.ttft)), 0.0, 600_000.0),
        tps=clamp(float(get("tps", d.tps)), 0.0, 100_000.0),
        util=int(clamp(int(get("util", d.util)), 5, 100)),
    )


def _parse_param(raw: str, default: Any) -> Any:
    """A URL value as the type of its default; None (use the default) when it does not parse."""
    raw = str(raw).strip()
    try:
        if isinstance(default, bool):
            return raw.lower() in ("1", "true", "yes")
        if isinstance(default, int):
            if raw.upper().endswith("K"):  # the context slider shows 8K, 64K ...
                return int(float(raw[:-1]) * 1024)
            return int(float(raw))
        if isinstance(default, float):
            v = float(raw)
            return v if np.isfinite(v) else None
    except ValueError:
        return None
    return raw or None


@dataclass
class ScenarioResult:
    """What the Scenario page shows and the Export page downloads."""

    inputs: ScenarioInputs
    key: str  # content key of `dense` (cache key for what depends only on the curves)
    dense: pd.DataFrame  # every curve on the GPU, interpolated, with labels
    offer: pd.DataFrame  # the one price offer used (empty when the GPU has none)
    priced: pd.DataFrame  # dense x offer with cost columns (empty without an offer)
    estimate_note: str
    problems: list[str]


def scenario_points(inputs: ScenarioInputs) -> tuple[str, pd.DataFrame, str, list[str]]:
    """The curves for a scenario: the chosen NLD size and the baselines on the GPU (plus uploads on it), and
    estimates for modes with no profile there when calculator.estimate is available."""
    points_key, points = all_points()
    up_models = set(points.loc[points["provenance"] == "uploaded", "model"])
    models = {inputs.model, *BASELINE_MODELS, *up_models}
    pts = points[(points["gpu"] == inputs.gpu) & points["model"].isin(models)]
    note, problems = "", []
    est = optional_module("estimate")
    if est is not None and hasattr(est, "estimate_points"):
        have = set(zip(pts["model"], pts["mode"], strict=True))
        wanted = [(inputs.model, m) for m in ("ar", "diffusion", "self_spec")] + [("qwen3-8b", "ar")]
        missing = [mm for mm in wanted if mm not in have]
        frames = []
        for model, mode in missing:
            try:
                frames.append(
                    _estimate(
                        model,
                        mode,
                        inputs.gpu,
                        inputs.isl,
                        inputs.osl,
                        inputs.ctx,
                        None if inputs.cat == AS_MEASURED else inputs.cat,
                    )
                )
            except Exception as e:
                problems.append(f"{model} {mode} on {inputs.gpu}: no estimate ({e})")
        frames = [f for f in frames if f is not None and not f.empty]
        if frames:
            pts = concat_points([pts, *frames])
            note = "Estimated curves (dotted) fill modes with no profile on this GPU: " + "; ".join(
                f"{m} {md}" for m, md in missing
            )
    key = f"{points_key}|{inputs.gpu}|{sorted(models)}|{inputs.isl}|{inputs.osl}|{inputs.ctx}|{inputs.cat}"
    return key, pts.reset_index(drop=True), note, problems


@st.cache_data(show_spinner="Estimating…", max_entries=64)
def _estimate(
    model: str, mode: str, gpu: str, isl: int, osl: int, ctx: int, workload: str | None
) -> pd.DataFrame | None:
    est = optional_module("estimate")
    if est is None:
        return None
    df: pd.DataFrame = est.estimate_points(
        bundled_catalog(),
        [gpu],
        model,
        mode,
        concurrency=[1, 2, 4, 8, 16, 32, 64, 128],
        isl=isl,
        osl=osl,
        context_tokens=ctx,
        workload=workload,
    )
    return df


def offers_for(prices: pd.DataFrame, gpu: str, tier: str | None = None) -> pd.DataFrame:
    out = prices[prices["gpu"] == gpu]
    if tier is not None:
        out = out[out["tier"] == tier]
    return out.sort_values("usd_per_gpu_hour")


def build_scenario(inputs: ScenarioInputs) -> ScenarioResult:
    """Curves on the GPU, interpolated; priced with the chosen offer (the cheapest of the tier by default)."""
    key, pts, note, problems = scenario_points(inputs)
    prices_key, prices = all_prices()
    dense = (
        add_labels(dense_points(key, with_workload(pts, inputs.isl, inputs.osl))) if not pts.empty else add_labels(pts)
    )
    offers = offers_for(prices, inputs.gpu, inputs.tier)
    if inputs.provider != CHEAPEST:
        offers = offers[offers["provider"] == inputs.provider]
    offer = offers.head(1)
    priced = pd.DataFrame()
    if not offer.empty and not dense.empty:
        priced = add_labels(
            _priced(
                f"{key}|dense",
                f"{prices_key}|{offer['id'].iloc[0]}",
                inputs.util / 100.0,
                price_ratio(),
                dense.drop(columns=["curve", "option", "provenance_label", "badge"]),
                offer,
            )
        )
    return ScenarioResult(
        inputs=inputs, key=key, dense=dense, offer=offer, priced=priced, estimate_note=note, problems=problems
    )


@st.cache_data(show_spinner=False, max_entries=32)
def _curves_figure(key: str, _dense: pd.DataFrame) -> go.Figure:
    return frontier_figure(_dense, Targets(max_ttft_ms=None, min_tok_s_user=None))


def scenario_frontier_figure(result: ScenarioResult, targets: Targets) -> go.Figure:
    """frontier_figure, the curves cached per scenario (they depend on neither prices nor utilisation)."""
    fig = _curves_figure(result.key, result.dense)
    if targets.min_tok_s_user:
        log_vline(fig, targets.min_tok_s_user, f"target ≥ {targets.min_tok_s_user:,.0f} tok/s/user")
    return fig


@st.cache_data(show_spinner=False, max_entries=32)
def scenario_crossover(key: str, _dense: pd.DataFrame) -> pd.DataFrame:
    """Self-spec vs AR crossover on the source points of the curves (crossover() interpolates itself)."""
    return frontier.crossover(_dense[_dense["point_basis"] != "interpolated"], by=("gpu",))


def scenario_table(result: ScenarioResult) -> pd.DataFrame:
    """The scenario's cost table for display and export: one row per curve x concurrency (priced)."""
    if result.priced.empty:
        return pd.DataFrame()
    cols = [
        "gpu", "model", "mode", "precision", "block_size", "concurrency", "point_basis", "output_tok_s",
        "output_tok_s_per_gpu", "tok_s_user", "ttft_ms_p50", "usd_per_mtok_output", "usd_per_mtok_total",
        "usd_per_mtok_input_r", "usd_per_mtok_output_r", "provider", "instance", "tier", "usd_per_gpu_hour",
        "price_as_of", "price_source", "provenance", "source", "as_of", "basis", "tpf_assumed", "profile_id",
        "offer_id",
    ]  # fmt: skip
    cols = [c for c in cols if c in result.priced]
    order = ["model", "mode", "precision", "profile_id", "concurrency"]
    return result.priced[cols].sort_values(order).reset_index(drop=True)


@st.cache_data(show_spinner="Estimating…", max_entries=64)
def estimate_for_gpus(model: str, mode: str, gpus: tuple[str, ...], precision: str, concurrency: int) -> pd.DataFrame:
    """Estimated points for GPUs without a figure (Hardware page); raises what the estimator raises."""
    est = optional_module("estimate")
    if est is None:
        return normalise_points(pd.DataFrame())
    df: pd.DataFrame = est.estimate_points(
        bundled_catalog(), list(gpus), model, mode, concurrency=[concurrency], isl=1024, osl=1024, precision=precision
    )
    return df
