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
# A second badge for figures from a pre-release checkpoint (the B200 sweep's Nemotron rows): not the released model.
PRERELEASE_LABEL = "pre-release checkpoint"
PRERELEASE_COLOR = "#BE185D"
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


def md_dollars(text: str) -> str:
    """Markdown text with "$" escaped, so two prices in one caption do not become a LaTeX formula."""
    return text.replace("\\$", "$").replace("$", "\\$")


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


@st.cache_data(show_spinner=False, max_entries=16)
def _labelled_dense(points_key: str, _points: pd.DataFrame) -> pd.DataFrame:
    """Every curve on a dense concurrency grid, with the display labels (add_labels)."""
    return add_labels(frontier.with_rates(frontier.interpolate_points(_points)))


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
            "Provenance: **vendor** figures are NVIDIA's own and unconfirmed; **vendor internal** is NVIDIA authors' "
            "own sweep (its Nemotron rows on a pre-release checkpoint, badged); **estimated** rows come from a model, "
            "not a measurement; **measured here** means this tool's own runs."
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
    """Latency targets and how to treat curves that cannot be checked against the user's inputs.

    strict: a TTFT target on a curve whose source reports no TTFT counts as failed (else: passed, flagged).
    est_len: a data curve whose lengths differ from the user's (frontier.length_check) is not ranked; estimates
    at the user's lengths are added and ranked instead (else: ranked, flagged).
    """

    max_ttft_ms: float | None
    min_tok_s_user: float | None
    strict: bool = True
    est_len: bool = True

    def slo(self) -> frontier.Slo:
        return frontier.Slo(max_ttft_ms=self.max_ttft_ms, min_tok_s_user=self.min_tok_s_user)


STRICT_LABEL = "Treat unchecked targets as failed"
EST_LEN_LABEL = "Prefer estimates at your lengths"


def target_inputs() -> Targets:
    """Latency targets (shared by Scenario and Capacity; bound to the URL as ttft and tps; 0 = no target) and
    the two checking toggles (strict, est_len)."""
    c1, c2, c3 = st.columns([1, 1, 1.6])
    ttft = c1.number_input(
        "Max time to first token (ms)",
        min_value=0,
        max_value=600_000,
        value=0,
        step=100,
        key="ttft",
        bind="query-params",
        help="p50 TTFT target; 0 = no target. Most published sources report no TTFT: such curves cannot be "
        "checked (see the toggle beside).",
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
    with c3:
        strict = st.toggle(
            STRICT_LABEL,
            value=True,
            key="strict",
            bind="query-params",
            help="On (the safe choice): a curve whose source reports no TTFT fails a TTFT target, so the "
            "recommendation only counts curves that were checked, or estimates (which have a TTFT). Off: such "
            "curves pass unchecked, with a warning.",
        )
        est_len = st.toggle(
            EST_LEN_LABEL,
            value=True,
            key="est_len",
            bind="query-params",
            help=f"On: a data curve reported at input/output lengths more than {frontier.LENGTH_TOLERANCE:g}x from "
            "yours is shown but not ranked; estimated curves at your lengths are added and ranked instead. Off: "
            "such curves are ranked, with a warning.",
        )
    return Targets(
        max_ttft_ms=float(ttft) if ttft else None,
        min_tok_s_user=float(tps) if tps else None,
        strict=bool(strict),
        est_len=bool(est_len),
    )


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
        help="Estimated curves are computed at your lengths; data curves keep the lengths they were reported at "
        f"(flagged when yours differ by more than {frontier.LENGTH_TOLERANCE:g}x). Also fills profiles that state "
        "none (total-token and split denominators, API input price).",
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


def prerelease_mask(df: pd.DataFrame) -> np.ndarray:
    """True for Nemotron-Labs-Diffusion rows whose source says they come from a pre-release checkpoint."""
    if df.empty or "provenance_notes" not in df or "model" not in df:
        return np.zeros(len(df), dtype=bool)
    notes = df["provenance_notes"].astype(str).str.contains("pre-release", case=False, regex=False)
    nld = df["model"].astype(str).str.startswith("nld-")
    return (notes & nld).to_numpy(dtype=bool)


def block_text(df: pd.DataFrame) -> pd.Series:
    """The block size as text for tables: "32", or "—" where the mode has none (never "None")."""
    if "block_size" not in df:
        return pd.Series("—", index=df.index, dtype=object)
    b = pd.to_numeric(df["block_size"], errors="coerce")
    return pd.Series(np.where(b.notna(), b.fillna(0).astype("int64").astype(str), "—"), index=df.index, dtype=object)


LABEL_COLUMNS = ("curve", "prerelease", "option", "provenance_label", "badge", "block")


def _profile_labels(first: pd.DataFrame) -> pd.DataFrame:
    """Label columns for one row per profile (see add_labels)."""
    out = pd.DataFrame(index=first.index)
    curve = frontier.curve_label(first).astype(str)
    pre = prerelease_mask(first)
    curve = pd.Series(np.where(first["provenance"] == "estimated", curve + " (estimated)", curve), index=first.index)
    # Two profiles with one label (e.g. stock vs custom kernels): tell them apart by engine, else by id.
    key = first["gpu"].astype(str) + curve
    clash = key.duplicated(keep=False)
    if clash.any():
        eng_clash = first.groupby(key)["engine"].transform("nunique") > 1
        extra = np.where(eng_clash, first["engine"].astype(str), first["profile_id"].astype(str))
        curve = pd.Series(np.where(clash, curve + " (" + extra + ")", curve), index=first.index)
    curve = pd.Series(np.where(pre, curve + " (pre-release)", curve), index=first.index)
    out["curve"] = curve
    out["prerelease"] = pre
    out["option"] = first["gpu"].astype(str) + " · " + curve
    prov = first["provenance"].astype(object)
    label = prov.map(PROVENANCE_LABELS).fillna(prov).astype(str)
    out["provenance_label"] = label
    out["badge"] = [[p, PRERELEASE_LABEL] if x else [p] for p, x in zip(label, pre, strict=True)]
    out["block"] = block_text(first)
    return out


def add_labels(df: pd.DataFrame) -> pd.DataFrame:
    """Add display columns: curve label, option label (gpu · curve), provenance label, badge list (provenance,
    plus "pre-release checkpoint" where it applies), `prerelease` and `block` (text). Computed once per profile
    and mapped onto the rows (a priced curve grid has hundreds of rows per profile)."""
    out = df.drop(columns=[c for c in LABEL_COLUMNS if c in df.columns])
    if out.empty:
        for col in LABEL_COLUMNS:
            out[col] = pd.Series(dtype=bool if col == "prerelease" else object)
    else:
        first = out.drop_duplicates("profile_id").set_index("profile_id", drop=False)
        labels = _profile_labels(first)
        codes = labels.index.get_indexer(out["profile_id"])
        for col in LABEL_COLUMNS:
            vals = labels[col].to_numpy()[codes]
            out[col] = vals.astype(bool) if col == "prerelease" else vals
    if "tier" in out:
        tier = out["tier"].astype(object)
        out["tier_label"] = tier.map(TIER_LABELS).fillna(tier)
    return out


def provenance_column(label: str = "Provenance") -> Any:
    """A coloured badge column for the provenance kind (MultiselectColumn used read-only)."""
    kinds = list(PROVENANCE_KINDS)
    return st.column_config.MultiselectColumn(
        label,
        options=[PROVENANCE_LABELS[k] for k in kinds] + [PRERELEASE_LABEL],
        color=[PROVENANCE_COLORS[k] for k in kinds] + [PRERELEASE_COLOR],
        help="Where the throughput figure comes from: measured here (this tool), uploaded by you, vendor-reported "
        "(NVIDIA), vendor internal (NVIDIA authors' own sweep), community (independent), or estimated (a model). "
        "A second badge, pre-release checkpoint, marks figures taken on a checkpoint that is not the released model.",
        disabled=True,
    )


def usd_column(label: str, help: str | None = None) -> Any:
    return st.column_config.NumberColumn(label, format="$%.3f", help=help)


def rate_column(label: str, help: str | None = None) -> Any:
    return st.column_config.NumberColumn(label, format="%,.0f", help=help)


# ---------------------------------------------------------------------------------------------
# Charts


def hover_text(df: pd.DataFrame, cost_col: str | None = None, cost_label: str = "$/M") -> list[str]:
    """Hover lines with the point's provenance and source (and its price source where priced)."""
    n = len(df)

    def col(name: str, default: Any = "") -> list[Any]:
        return df[name].tolist() if name in df else [default] * n

    basis = col("point_basis", frontier.DATA_POINT)
    pre = [" · pre-release checkpoint" if p else "" for p in col("prerelease", False)]
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
        + f"<br>provenance: {pl}{pp} ({ao})<br>source: {str(src)[:110]}"
        for o, cc, pb, g, u, cv, pr, pl, pp, ao, src in zip(
            col("option"),
            col("concurrency"),
            basis,
            col("output_tok_s_per_gpu", np.nan),
            col("tok_s_user", np.nan),
            cost,
            price,
            col("provenance_label"),
            pre,
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


# Curve styles: hue = decoding mode (shades tell configurations of one mode apart; a data curve and its
# estimate share a shade), dash = precision (solid bf16, dashed fp8, dash-dot 4-bit), dotted = estimated.
# Mid-luminance colours, readable on light and dark backgrounds.
MODE_SHADES: dict[str, tuple[str, ...]] = {
    "ar": ("#2563EB", "#0EA5E9", "#6366F1", "#38BDF8"),
    "self_spec": ("#7C3AED", "#C026D3", "#A855F7", "#E879F9"),
    "diffusion": ("#059669", "#65A30D", "#10B981", "#0D9488"),
    "spec_eagle3": ("#D97706", "#EA580C", "#CA8A04", "#F59E0B"),
    "spec_mtp": ("#DC2626", "#E11D48", "#B91C1C", "#F43F5E"),
}
OTHER_SHADES: tuple[str, ...] = ("#64748B", "#475569", "#94A3B8", "#334155")
PRECISION_DASH: dict[str, str] = {"bf16": "solid", "fp16": "solid", "fp32": "solid", "fp8": "dash"}
PRECISION_SYMBOL: dict[str, str] = {"bf16": "circle", "fp16": "circle", "fp32": "circle", "fp8": "diamond"}


@dataclass(frozen=True)
class CurveStyle:
    color: str
    dash: str
    symbol: str
    estimated: bool


def curve_styles(df: pd.DataFrame) -> dict[str, CurveStyle]:
    """A style per option (see MODE_SHADES): colour by mode and configuration, dash by precision, dotted and
    without markers when the curve is estimated."""
    if df.empty:
        return {}
    cols = [c for c in ("option", "model", "mode", "precision", "block_size", "provenance") if c in df]
    curves = df[cols].drop_duplicates("option").copy()
    curves["_block"] = block_text(curves) if "block_size" in curves else "—"
    curves["_config"] = (
        curves["model"].astype(str) + "|" + curves["mode"].astype(str) + "|" + curves["precision"].astype(str)
        + "|" + curves["_block"].astype(str)
    )  # fmt: skip
    shade_of: dict[str, str] = {}
    for mode, g in curves.groupby("mode", sort=False):
        shades = MODE_SHADES.get(str(mode), OTHER_SHADES)
        for i, cfg in enumerate(sorted(set(g["_config"]))):
            shade_of[cfg] = shades[i % len(shades)]
    out: dict[str, CurveStyle] = {}
    for opt, cfg, prec, prov in zip(
        curves["option"], curves["_config"], curves["precision"].astype(str), curves["provenance"], strict=True
    ):
        est = prov == "estimated"
        out[str(opt)] = CurveStyle(
            color=shade_of[cfg],
            dash="dot" if est else PRECISION_DASH.get(prec, "dashdot"),
            symbol=PRECISION_SYMBOL.get(prec, "square"),
            estimated=bool(est),
        )
    return out


LOG_TICKS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000]


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


def _curve_traces(
    fig: go.Figure, df: pd.DataFrame, x: str, y: str, hover: list[str], faded: frozenset[str] = frozenset()
) -> None:
    """One line per option (styled by curve_styles) and, for curves that are not estimated, markers on the
    source's data points (never on interpolated or estimated concurrencies). Options in `faded` (data at other
    lengths than the user's) are drawn pale, for reference."""
    wanted = ("option", "model", "mode", "precision", "block_size", "provenance", "point_basis", x, y)
    cols = [c for c in wanted if c in df]
    df = df[list(dict.fromkeys(cols))].assign(_hover=hover)
    styles = curve_styles(df)
    order = sorted(styles, key=lambda o: (styles[o].estimated, o))
    groups = dict(tuple(df.groupby("option", sort=False)))
    for opt in order:
        g = groups[opt]
        stl = styles[opt]
        name = f"{opt} (estimated)" if stl.estimated and "(estimated)" not in opt else opt
        pale = opt in faded
        if pale:
            name += " · other lengths"
        fig.add_trace(
            go.Scatter(
                x=g[x],
                y=g[y],
                mode="lines",
                name=name,
                legendgroup=opt,
                opacity=0.35 if pale else 1.0,
                line={"width": 2.5 if not stl.estimated else 2, "color": stl.color, "dash": stl.dash},
                hovertext=g["_hover"],
                hoverinfo="text",
            )
        )
        if stl.estimated:
            continue
        pts = g[g["point_basis"] == frontier.DATA_POINT]
        fig.add_trace(
            go.Scatter(
                x=pts[x],
                y=pts[y],
                mode="markers",
                name=f"{opt} (data points)",
                legendgroup=opt,
                showlegend=False,
                opacity=0.35 if pale else 1.0,
                marker={"size": 8, "color": stl.color, "symbol": stl.symbol, "line": {"width": 1, "color": "white"}},
                hovertext=pts["_hover"],
                hoverinfo="text",
            )
        )


def frontier_figure(dense: pd.DataFrame, targets: Targets, faded: frozenset[str] = frozenset()) -> go.Figure:
    """Throughput per GPU vs tokens/s per user, one line per curve; markers on the source's data points only
    (estimated curves are dotted, without markers). A log y axis where the curves span more than 20x."""
    fig = go.Figure()
    dense = dense.sort_values("concurrency")
    _curve_traces(fig, dense, "tok_s_user", "output_tok_s_per_gpu", hover_text(dense), faded)
    if targets.min_tok_s_user:
        log_vline(fig, targets.min_tok_s_user, f"target ≥ {targets.min_tok_s_user:,.0f} tok/s/user")
    base_layout(fig, x_title="Tokens/s per user (tok/s)", y_title="Output throughput per GPU (tok/s)")
    fig.update_xaxes(type="log", tickvals=LOG_TICKS)
    ys = pd.to_numeric(dense["output_tok_s_per_gpu"], errors="coerce").to_numpy(dtype="float64")
    ys = ys[np.isfinite(ys) & (ys > 0)]
    if len(ys) and ys.max() / ys.min() > 20:
        fig.update_yaxes(type="log", tickvals=[v * 10**e for e in range(0, 7) for v in (1, 2, 5)], tickformat="~s")
    return fig


def cost_figure(
    priced: pd.DataFrame,
    cost_col: str,
    cost_label: str,
    crossings: Sequence[float] = (),
    faded: frozenset[str] = frozenset(),
) -> go.Figure:
    """Cost per million tokens vs concurrency, one line per curve; markers on the source's data points."""
    fig = go.Figure()
    priced = priced.sort_values("concurrency")
    _curve_traces(fig, priced, "concurrency", cost_col, hover_text(priced, cost_col, cost_label), faded)
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
    strict: bool = True
    est_len: bool = True

    @property
    def model(self) -> str:
        return NLD_SIZES.get(self.size, "nld-8b")

    @property
    def targets(self) -> Targets:
        return Targets(
            max_ttft_ms=self.ttft or None, min_tok_s_user=self.tps or None, strict=self.strict, est_len=self.est_len
        )

    def as_dict(self) -> dict[str, Any]:
        """The scenario's inputs and cost settings, as named assumptions: each becomes an `assumed_*` column of a
        CSV (keep them short); cost_notes() has the longer explanations for the Assumptions sheet and documents."""
        return {
            "model": self.model,
            "gpu": self.gpu,
            "price tier": self.tier,
            "provider": self.provider,
            "ISL tokens": self.isl,
            "OSL tokens": self.osl,
            "context tokens": self.ctx,
            "workload category": self.cat,
            "max TTFT p50 ms": self.ttft,
            "min tok/s per user": self.tps,
            "unchecked targets fail": self.strict,
            "estimates at your lengths": self.est_len,
            "utilisation": self.util / 100.0,
            **cost_settings(),
        }

    def url_params(self) -> dict[str, str]:
        """The inputs that differ from the defaults, as the URL writes them (bool true/false, context 8K)."""
        d = ScenarioInputs()
        out: dict[str, str] = {}
        for k in SCENARIO_URL_KEYS:
            v = getattr(self, k)
            if v != getattr(d, k):
                out[k] = _url_text(k, v)
        return out


# Every scenario input that lives in the URL (util is the sidebar's, bound on every page).
SCENARIO_URL_KEYS: tuple[str, ...] = (
    "size", "gpu", "tier", "provider", "isl", "osl", "ctx", "cat", "ttft", "tps", "strict", "est_len",
)  # fmt: skip


def _url_text(key: str, v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if key == "ctx":
        return f"{int(v) // 1024}K"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def cost_settings() -> dict[str, Any]:
    """The cost settings every export row carries: denominator, its column, the price ratio, the length tolerance."""
    return {
        "cost denominator": denominator()[1],
        "cost column": denominator()[0],
        "price ratio R": price_ratio(),
        "length tolerance x": frontier.LENGTH_TOLERANCE,
    }


def cost_notes() -> dict[str, str]:
    """What the settings mean and how costs are computed (the Assumptions sheet, Markdown and JSON carry these)."""
    return {
        "targets": "0 = no target; TTFT is p50; tok/s per user = 1000 / TPOT p50 where reported, else output tok/s "
        "/ concurrency",
        "unchecked targets fail": "true: a TTFT target on a source without TTFT counts as failed; false: passes, "
        "flagged in target_check",
        "estimates at your lengths": "true: data curves reported at lengths more than the tolerance from yours are "
        "not ranked (ranked = false) and estimates at your lengths stand in",
        "price ratio R": "an output token costs R input tokens (GKE's split, for the 'output, input at 1/R' "
        "denominator)",
        "cost formula": (
            "usd_per_mtok = usd_per_gpu_hour x gpus_per_replica / (tok_s_per_replica x utilisation x 3600) x 1e6"
        ),
        "usd_per_mtok_total": "input + output tokens; total_is_derived = true where the source gave output only "
        "and the input rate comes from ISL/OSL",
        "interpolation": "monotone (PCHIP) in log2(concurrency) between a curve's data points; never extrapolated",
        "length tolerance x": f"a curve reflects your ISL/OSL when both are within {frontier.LENGTH_TOLERANCE:g}x "
        "of the lengths it was reported at (SPEED-Bench typical ~300 in / ~640 out where unstated)",
        "provenance": "measured = this tool; uploaded = yours; vendor = NVIDIA-reported, unconfirmed; vendor_internal "
        "= NVIDIA authors' sweep (NLD rows on a pre-release checkpoint); community; estimated = roofline model",
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
        strict=bool(get("strict", d.strict)),
        est_len=bool(get("est_len", d.est_len)),
    )


def pin_scenario_to_url(inputs: ScenarioInputs) -> None:
    """Write the scenario's inputs into the URL on a page that does not draw them (Export), so that page's own
    address is a link to the same scenario. Parameters bound to a widget on this page are left to it."""
    for k, v in inputs.url_params().items():
        if st.query_params.get(k) == v:
            continue
        try:
            st.query_params[k] = v
        except Exception:  # bound to a widget here: the widget writes it
            continue


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


def url_value_notice(key: str, options: Sequence[Any], what: str, *, multi: bool = False) -> None:
    """Before a bound widget is drawn: if the URL gives it a value that is not one of `options` (a link made for
    another GPU, an old link), say that it was reset, once per session and value (st.info)."""
    if key not in st.query_params:
        return
    raw = st.query_params.get_all(key) if multi else [st.query_params.get(key, "")]
    valid = {str(o) for o in options}
    bad = [str(v) for v in raw if str(v) and str(v) not in valid]
    if not bad:
        return
    seen: set[str] = st.session_state.setdefault("_url_notices", set())
    sig = f"{key}={'&'.join(bad)}"
    if sig in seen:
        return
    seen.add(sig)
    shown = ", ".join(f"`{b[:40]}`" for b in bad[:5])
    st.info(
        f"The link's {key}={shown} is not available here ({what}): "
        + ("dropped from the selection." if multi else "reset to the default."),
        icon=":material/link_off:",
    )


# ---------------------------------------------------------------------------------------------
# Estimates (calculator.estimate), cached per configuration and lengths

EST_CONCURRENCY: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64, 128)
BLOCK_MODES = ("diffusion", "self_spec")


@st.cache_data(show_spinner="Estimating…", max_entries=512)
def _estimate_cfg(
    model: str,
    mode: str,
    precision: str | None,
    block: int | None,
    gpus: tuple[str, ...],
    isl: int,
    osl: int,
    ctx: int | None,
    workload: str | None,
    concurrency: tuple[int, ...],
) -> tuple[pd.DataFrame | None, str]:
    """(estimated points, "") or (None, why not); failures are cached too (they are deterministic)."""
    est = optional_module("estimate")
    if est is None:
        return None, "the estimator is not available"
    kwargs: dict[str, Any] = {"precision": precision} if precision else {}
    try:
        df: pd.DataFrame = est.estimate_points(
            bundled_catalog(),
            list(gpus),
            model,
            mode,
            concurrency=list(concurrency),
            isl=isl,
            osl=osl,
            context_tokens=ctx,
            workload=workload,
            block_size=block,
            **kwargs,
        )
    except Exception as e:
        return None, str(e).splitlines()[0][:200] if str(e) else type(e).__name__
    return df, ""


def estimate_configs(
    configs: pd.DataFrame,
    *,
    isl: int,
    osl: int,
    ctx: int | None = None,
    workload: str | None = None,
    concurrency: Sequence[int] = EST_CONCURRENCY,
) -> tuple[pd.DataFrame, list[str]]:
    """Estimated curves for each configuration row (gpu, model, mode, precision, block_size; precision None =
    the estimator's default) at the given lengths, and one line per configuration the estimator declined."""
    if configs.empty:
        return normalise_points(pd.DataFrame()), []
    cfg = configs[["gpu", "model", "mode", "precision", "block_size"]].copy()
    block = pd.to_numeric(cfg["block_size"], errors="coerce")
    cfg["_block"] = block.where(cfg["mode"].isin(BLOCK_MODES)).fillna(-1).astype("int64")
    cfg["_prec"] = cfg["precision"].astype(object).where(cfg["precision"].notna(), "")
    frames, problems = [], []
    for (model, mode, prec, blk), g in cfg.groupby(["model", "mode", "_prec", "_block"], sort=True):
        b = None if int(blk) < 0 else int(blk)
        df, err = _estimate_cfg(
            str(model), str(mode), str(prec) or None, b, tuple(sorted(set(g["gpu"]))), int(isl), int(osl),
            None if ctx is None else int(ctx), workload, tuple(int(c) for c in concurrency),
        )  # fmt: skip
        if err:
            label = f"{model} {mode}" + (f" {prec}" if prec else "") + (f" b{b}" if b else "")
            problems.append(f"{label}: no estimate ({err})")
        elif df is not None and not df.empty:
            frames.append(df)
    return (concat_points(frames) if frames else normalise_points(pd.DataFrame())), problems


# The configurations the CLI table estimates where data is missing (calculator.estimate.GAP_CONFIGS).
GAP_CONFIGS: tuple[tuple[str, str, str, int | None], ...] = tuple(
    getattr(optional_module("estimate"), "GAP_CONFIGS", ())
)


@st.cache_data(show_spinner="Estimating GPUs without data…", max_entries=16)
def gap_estimates(
    points_key: str, gpus: tuple[str, ...], isl: int, osl: int, _points: pd.DataFrame
) -> tuple[pd.DataFrame, list[str]]:
    """Estimated curves exactly as the CLI table adds them (calculator.estimate.gap_estimates: each GAP_CONFIGS
    entry on each priced GPU without data for it), at EST_CONCURRENCY and the given ISL/OSL; and why not, if not."""
    est = optional_module("estimate")
    if est is None or not hasattr(est, "gap_estimates"):
        return normalise_points(pd.DataFrame()), ["the estimator is not available"]
    try:
        df: pd.DataFrame = est.gap_estimates(
            bundled_catalog(), _points, isl=isl, osl=osl, gpus=list(gpus), concurrency=list(EST_CONCURRENCY)
        )
    except Exception as e:
        return normalise_points(pd.DataFrame()), [str(e).splitlines()[0][:200] if str(e) else type(e).__name__]
    return df, []


@st.cache_resource(show_spinner="Checking the estimator on GPUs it has not seen…")
def estimator_gpu_error() -> pd.DataFrame:
    """The estimator's error on a GPU it has no data for (leave-one-GPU-out: every GPU's points predicted with a
    fit that never saw that GPU), as median and worst absolute % error per mode and over all modes (mode "all").
    About 0.3 s, once per process. Empty when the estimator is missing or the check fails."""
    est = optional_module("estimate")
    cols = ["mode", "points", "median_abs_error_pct", "worst_abs_error_pct"]
    if est is None:
        return pd.DataFrame(columns=cols)
    try:
        loo = est.leave_one_out(bundled_catalog(), group="gpu")
    except Exception:
        return pd.DataFrame(columns=cols)
    if loo.empty:
        return pd.DataFrame(columns=cols)
    err = loo.assign(abs_err=loo["error_pct"].abs())
    per = err.groupby("mode")["abs_err"].agg(points="size", median_abs_error_pct="median", worst_abs_error_pct="max")
    overall = pd.DataFrame(
        {
            "points": [len(err)],
            "median_abs_error_pct": [err["abs_err"].median()],
            "worst_abs_error_pct": [err["abs_err"].max()],
        },
        index=pd.Index(["all"], name="mode"),
    )
    return pd.concat([per, overall]).reset_index()[cols]


def estimate_error_text(mode: str | None = None) -> str:
    """ "±53 % median (worst 176 %)" for estimates on GPUs without data, for a mode where checked, else overall."""
    e = estimator_gpu_error()
    if e.empty:
        return ""
    row = e[e["mode"] == mode] if mode is not None else e.iloc[0:0]
    if row.empty:
        row = e[e["mode"] == "all"]
    r = row.iloc[0]
    return f"±{r['median_abs_error_pct']:.0f} % median (worst {r['worst_abs_error_pct']:.0f} %)"


# ---------------------------------------------------------------------------------------------
# Can a curve be checked against the user's targets and lengths?

CHECK_COLUMNS = [
    "profile_id",
    "provenance",
    "ttft_known",
    "ttft_unchecked",
    "lengths_status",
    "lengths_note",
    "lengths_differ",
    "ranked",
    "check_note",
]


def curve_checks(points: pd.DataFrame, *, isl: int, osl: int, targets: Targets) -> pd.DataFrame:
    """Per curve (profile): does its source report TTFT, do its lengths reflect the user's, and is it ranked
    (a curve that cannot be checked is not ranked when the matching toggle is on)? Columns: CHECK_COLUMNS."""
    if points.empty:
        return pd.DataFrame(columns=CHECK_COLUMNS)
    lc = frontier.length_check(points, isl, osl)
    pid = points["profile_id"]
    ttft_known = points["ttft_ms_p50"].notna().groupby(pid).any() if "ttft_ms_p50" in points else None
    prov = points.groupby("profile_id", sort=False)["provenance"].first()
    out = lc.assign(
        provenance=lc["profile_id"].map(prov).to_numpy(),
        ttft_known=(lc["profile_id"].map(ttft_known).fillna(False) if ttft_known is not None else False),
    )
    out["ttft_known"] = out["ttft_known"].astype(bool)
    est = out["provenance"] == "estimated"
    out["ttft_unchecked"] = bool(targets.max_ttft_ms) & ~out["ttft_known"]
    out["lengths_differ"] = ~est & (out["lengths_status"] == "differ")
    out["ranked"] = ~(targets.strict & out["ttft_unchecked"]) & ~(targets.est_len & out["lengths_differ"])
    ttft_txt = np.where(
        out["ttft_unchecked"],
        np.where(targets.strict, "no TTFT: counted as failed", "no TTFT: target not checked"),
        "",
    )
    len_txt = np.where(
        out["lengths_differ"],
        np.where(targets.est_len, "lengths differ: not ranked (", "lengths differ: ranked anyway (")
        + out["lengths_note"].astype(str)
        + ")",
        "",
    )
    out["check_note"] = [
        "; ".join(t for t in (a, b) if t) or ("estimated at your lengths" if e else "checked")
        for a, b, e in zip(ttft_txt, len_txt, est, strict=True)
    ]
    return out[CHECK_COLUMNS].reset_index(drop=True)


def check_warnings(checks: pd.DataFrame, targets: Targets, isl: int, osl: int, names: Any) -> pd.DataFrame:
    """Say prominently (st.warning) what cannot be checked: a TTFT target on data curves whose sources report no
    TTFT, and data curves reported at lengths far from the user's. `names` maps profile_id to a display name.
    Returns the curve checks of the curves whose lengths differ."""

    def listed(ids: list[str], limit: int = 4) -> str:
        shown = [str(names.get(i, i)) for i in ids[:limit]]
        return ", ".join(shown) + (f" and {len(ids) - limit} more" if len(ids) > limit else "")

    no_ttft = checks.loc[checks["ttft_unchecked"] & (checks["provenance"] != "estimated"), "profile_id"].tolist()
    if targets.max_ttft_ms and no_ttft:
        st.warning(
            f"**TTFT target cannot be checked for {len(no_ttft)} data curve(s)**: their sources report no time to "
            f"first token ({listed(no_ttft)}). "
            + (
                "They count as **failing** the target (*Treat unchecked targets as failed* is on); estimated curves, "
                "which have a TTFT, stand in for them."
                if targets.strict
                else "They are ranked **as if they met it, unchecked** (*Treat unchecked targets as failed* is off)."
            ),
            icon=":material/timer_off:",
        )
    differ = checks[checks["lengths_differ"]]
    if not differ.empty:
        where = str(differ["lengths_note"].iloc[0]).split(";")[0].removeprefix("reported at ")
        st.warning(
            f"**Throughput of {len(differ)} data curve(s) was reported at SPEED-Bench lengths ({where}); your ISL "
            f"{isl:,} / OSL {osl:,} is not reflected in them.** "
            + (
                "Estimated curves at your lengths (dotted) are added and ranked instead; the data curves stay for "
                "reference."
                if targets.est_len
                else "They are ranked anyway: see the estimated curves, or turn on *Prefer estimates at your lengths*."
            ),
            icon=":material/straighten:",
        )
    return differ


def with_counterparts(
    points: pd.DataFrame,
    *,
    isl: int,
    osl: int,
    targets: Targets,
    ctx: int | None = None,
    workload: str | None = None,
    gpus: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """The points plus, for every data curve that cannot be ranked (no TTFT under a strict TTFT target, or
    lengths far from the user's with est_len on), an estimated curve of the same configuration at the user's
    lengths (which has a TTFT). Returns (points, curve_checks of the result, estimator problems)."""
    checks = curve_checks(points, isl=isl, osl=osl, targets=targets)
    need = checks.loc[~checks["ranked"] & (checks["provenance"] != "estimated"), "profile_id"]
    problems: list[str] = []
    if need.empty:
        return points, checks, problems
    configs = points[points["profile_id"].isin(need)].drop_duplicates("profile_id")
    if gpus is not None:
        configs = configs[configs["gpu"].isin(list(gpus))]
    est, problems = estimate_configs(configs, isl=isl, osl=osl, ctx=ctx, workload=workload)
    est = est[~est["profile_id"].isin(set(points["profile_id"]))]
    if est.empty:
        return points, checks, problems
    out = concat_points([points, est])
    return out, curve_checks(out, isl=isl, osl=osl, targets=targets), problems


# ---------------------------------------------------------------------------------------------
# The scenario's curves, priced


@dataclass
class ScenarioResult:
    """What the Scenario page shows and the Export page downloads."""

    inputs: ScenarioInputs
    key: str  # content key of `dense` (cache key for what depends only on the curves)
    dense: pd.DataFrame  # every curve on the GPU, interpolated, with labels
    offer: pd.DataFrame  # the one price offer used (empty when the GPU has none)
    priced: pd.DataFrame  # dense x offer with cost columns and the curve checks (empty without an offer)
    estimate_note: str
    problems: list[str]
    checks: pd.DataFrame  # curve_checks per profile (TTFT known, lengths, ranked)


@st.cache_data(show_spinner=False, max_entries=64)
def _scenario_points(
    points_key: str,
    gpu: str,
    model: str,
    isl: int,
    osl: int,
    ctx: int,
    cat: str,
    ttft_set: bool,
    strict: bool,
    est_len: bool,
    _points: pd.DataFrame,
) -> tuple[pd.DataFrame, str, list[str], pd.DataFrame]:
    points = _points
    targets = Targets(max_ttft_ms=1.0 if ttft_set else None, min_tok_s_user=None, strict=strict, est_len=est_len)
    up_models = set(points.loc[points["provenance"] == "uploaded", "model"])
    models = {model, *BASELINE_MODELS, *up_models}
    pts = points[(points["gpu"] == gpu) & points["model"].isin(models)]
    note, problems = "", []
    workload = None if cat == AS_MEASURED else cat
    if optional_module("estimate") is not None:
        have = set(zip(pts["model"], pts["mode"], strict=True))
        wanted = [(model, m) for m in ("ar", "diffusion", "self_spec")] + [("qwen3-8b", "ar")]
        missing = [mm for mm in wanted if mm not in have]
        if missing:
            cfg = pd.DataFrame(
                {"gpu": gpu, "model": [m for m, _ in missing], "mode": [md for _, md in missing],
                 "precision": None, "block_size": None}
            )  # fmt: skip
            est, problems = estimate_configs(cfg, isl=isl, osl=osl, ctx=ctx, workload=workload)
            if not est.empty:
                pts = concat_points([pts, est])
                note = "Estimated curves (dotted) fill modes with no data on this GPU: " + "; ".join(
                    f"{m} {md}" for m, md in missing
                )
        pts, checks, more = with_counterparts(
            pts.reset_index(drop=True), isl=isl, osl=osl, targets=targets, ctx=ctx, workload=workload
        )
        problems += more
    else:
        checks = curve_checks(pts, isl=isl, osl=osl, targets=targets)
    return pts.reset_index(drop=True), note, problems, checks


def scenario_points(inputs: ScenarioInputs) -> tuple[str, pd.DataFrame, str, list[str], pd.DataFrame]:
    """The curves for a scenario: the chosen NLD size and the baselines on the GPU (plus uploads on it),
    estimates for modes with no data there, and estimated counterparts (at the user's lengths) of data curves
    that cannot be checked. Returns (key, points, note, problems, curve checks)."""
    points_key, points = all_points()
    t = inputs.targets
    # Only whether a TTFT target is set (not its value) changes which curves get estimated counterparts.
    ttft_set = bool(t.max_ttft_ms)
    pts, note, problems, checks = _scenario_points(
        points_key, inputs.gpu, inputs.model, inputs.isl, inputs.osl, inputs.ctx, inputs.cat, ttft_set, t.strict,
        t.est_len, points,
    )  # fmt: skip
    key = (
        f"{points_key}|{inputs.gpu}|{inputs.model}|{inputs.isl}|{inputs.osl}|{inputs.ctx}|{inputs.cat}|"
        f"{ttft_set}|{t.strict}|{t.est_len}"
    )
    return key, pts, note, problems, checks


def offers_for(prices: pd.DataFrame, gpu: str, tier: str | None = None) -> pd.DataFrame:
    out = prices[prices["gpu"] == gpu]
    if tier is not None:
        out = out[out["tier"] == tier]
    return out.sort_values("usd_per_gpu_hour")


def build_scenario(inputs: ScenarioInputs) -> ScenarioResult:
    """Curves on the GPU, interpolated; priced with the chosen offer (the cheapest of the tier by default)."""
    key, pts, note, problems, checks = scenario_points(inputs)
    prices_key, prices = all_prices()
    dense = _labelled_dense(key, with_workload(pts, inputs.isl, inputs.osl)) if not pts.empty else add_labels(pts)
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
                dense.drop(columns=["curve", "option", "provenance_label", "badge", "prerelease", "block"]),
                offer,
            )
        )
        flags = checks.set_index("profile_id")
        for col in ("ranked", "lengths_status", "lengths_note", "check_note"):
            priced[col] = priced["profile_id"].map(flags[col]).to_numpy()
        priced["ranked"] = priced["ranked"].fillna(True).astype(bool)
    return ScenarioResult(
        inputs=inputs,
        key=key,
        dense=dense,
        offer=offer,
        priced=priced,
        estimate_note=note,
        problems=problems,
        checks=checks,
    )


@st.cache_data(show_spinner=False, max_entries=32)
def _curves_figure(key: str, _dense: pd.DataFrame, faded: frozenset[str]) -> go.Figure:
    return frontier_figure(_dense, Targets(max_ttft_ms=None, min_tok_s_user=None), faded)


def faded_options(result: ScenarioResult) -> frozenset[str]:
    """Options of data curves that are not ranked because their lengths differ from the user's (drawn pale)."""
    if result.checks.empty or result.dense.empty:
        return frozenset()
    ids = set(result.checks.loc[result.checks["lengths_differ"] & ~result.checks["ranked"], "profile_id"])
    return frozenset(result.dense.loc[result.dense["profile_id"].isin(ids), "option"].astype(str))


def scenario_frontier_figure(result: ScenarioResult, targets: Targets) -> go.Figure:
    """frontier_figure, the curves cached per scenario (they depend on neither prices nor utilisation)."""
    fig = _curves_figure(result.key, result.dense, faded_options(result))
    if targets.min_tok_s_user:
        log_vline(fig, targets.min_tok_s_user, f"target ≥ {targets.min_tok_s_user:,.0f} tok/s/user")
    return fig


@st.cache_data(show_spinner=False, max_entries=32)
def scenario_crossover(key: str, _dense: pd.DataFrame) -> pd.DataFrame:
    """Self-spec vs AR crossover on the source points of the curves (crossover() interpolates itself)."""
    return frontier.crossover(_dense[_dense["point_basis"] != "interpolated"], by=("gpu",))


def scenario_table(result: ScenarioResult, slo: frontier.Slo | None = None) -> pd.DataFrame:
    """The scenario's cost table for display and export: one row per curve x concurrency (priced), with the
    target check per row (meets_targets, target_check) and the curve check (ranked, lengths)."""
    if result.priced.empty:
        return pd.DataFrame()
    slo = slo if slo is not None else result.inputs.targets.slo()
    checked = frontier.slo_check(result.priced, slo, require_ttft=result.inputs.strict)
    checked = checked.assign(meets_targets=checked["meets_slo"], target_check=checked["slo_note"])
    cols = [
        "gpu", "model", "mode", "precision", "block_size", "prerelease", "concurrency", "point_basis",
        "output_tok_s", "output_tok_s_per_gpu", "tok_s_user", "ttft_ms_p50", "meets_targets", "target_check",
        "ranked", "lengths_status", "lengths_note", "usd_per_mtok_output", "usd_per_mtok_total", "total_is_derived",
        "usd_per_mtok_input_r", "usd_per_mtok_output_r", "provider", "instance", "tier", "usd_per_gpu_hour",
        "price_as_of", "price_source", "provenance", "source", "as_of", "basis", "tpf_assumed", "profile_id",
        "offer_id",
    ]  # fmt: skip
    cols = [c for c in cols if c in checked]
    order = ["model", "mode", "precision", "profile_id", "concurrency"]
    return checked[cols].sort_values(order).reset_index(drop=True)


# Human headers with units for the export table's machine column names (the files keep the machine names).
_MONEY, _RATE, _FINE, _MS = "$%.3f", "%,.0f", "%,.1f", "%,.0f"
EXPORT_LABELS: dict[str, tuple[str, str | None]] = {
    "gpu": ("GPU", None),
    "model": ("Model", None),
    "mode": ("Mode", None),
    "precision": ("Precision", None),
    "block_size": ("Block", None),
    "prerelease": ("Pre-release checkpoint", "bool"),
    "concurrency": ("Concurrency", "%d"),
    "point_basis": ("Point", None),
    "output_tok_s": ("Output tok/s (replica)", _RATE),
    "output_tok_s_per_gpu": ("Output tok/s per GPU", _RATE),
    "tok_s_user": ("Tok/s per user", _FINE),
    "ttft_ms_p50": ("TTFT p50 (ms)", _MS),
    "meets_targets": ("Meets targets", "bool"),
    "target_check": ("TTFT check", None),
    "ranked": ("Ranked", "bool"),
    "lengths_status": ("Lengths vs yours", None),
    "lengths_note": ("Lengths (reported; yours)", None),
    "usd_per_mtok_output": ("$/M output tokens", _MONEY),
    "usd_per_mtok_total": ("$/M total tokens", _MONEY),
    "total_is_derived": ("Total derived from ISL/OSL", "bool"),
    "usd_per_mtok_input_r": ("$/M input tokens (1/R)", _MONEY),
    "usd_per_mtok_output_r": ("$/M output tokens (R split)", _MONEY),
    "provider": ("Provider", None),
    "instance": ("Instance", None),
    "tier": ("Tier", None),
    "usd_per_gpu_hour": ("$/GPU-hour", _MONEY),
    "price_as_of": ("Price as of", None),
    "price_source": ("Price source", None),
    "provenance": ("Provenance", None),
    "source": ("Throughput source / estimate basis", None),
    "as_of": ("Figure date", None),
    "basis": ("Estimate basis", None),
    "tpf_assumed": ("TPF assumed", "bool"),
    "profile_id": ("Profile id", None),
    "offer_id": ("Offer id", None),
}


def dash_missing(df: pd.DataFrame, formats: dict[str, str]) -> pd.DataFrame:
    """Numeric columns that have missing values, as text: formatted like their printf-style format ("%,.0f",
    "$%.3f") and "—" where missing, so a table never shows "None". Columns without a gap stay numbers."""
    out = df.copy()
    for col, fmt in formats.items():
        if col not in out or not pd.api.types.is_numeric_dtype(out[col]) or not out[col].isna().any():
            continue
        prefix = "$" if fmt.startswith("$") else ""
        spec = fmt.removeprefix("$").removeprefix("%").replace("d", ".0f")
        vals = pd.to_numeric(out[col], errors="coerce").to_numpy(dtype="float64")
        out[col] = [("—" if not np.isfinite(v) else f"{prefix}{v:{spec}}") for v in vals]
    return out


def preview_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The export table as shown on screen: block size as text ("—" for none), provenance and tier in words,
    missing numbers as "—"."""
    out = table.copy()
    if "block_size" in out:
        out["block_size"] = block_text(out)
    for col, words in (("provenance", PROVENANCE_LABELS), ("tier", TIER_LABELS)):
        if col in out:
            raw = out[col].astype(object)
            out[col] = raw.map(words).fillna(raw)
    numeric = {k: f for k, (_, f) in EXPORT_LABELS.items() if f and f != "bool"}
    return dash_missing(out, numeric)


def export_column_config(columns: Sequence[str], frame: pd.DataFrame | None = None) -> dict[str, Any]:
    """st.dataframe column_config with EXPORT_LABELS' headers and number formats for the columns present
    (text columns in `frame`, e.g. numbers with gaps shown as "—", get a text column)."""
    cfg: dict[str, Any] = {}
    for col in columns:
        label, fmt = EXPORT_LABELS.get(str(col), (str(col), None))
        numeric = frame is None or col not in frame or pd.api.types.is_numeric_dtype(frame[col])
        if fmt not in (None, "bool") and not numeric:
            fmt = None
        if fmt == "bool":
            cfg[col] = st.column_config.CheckboxColumn(label)
        elif fmt:
            cfg[col] = st.column_config.NumberColumn(label, format=fmt)
        else:
            cfg[col] = st.column_config.TextColumn(label)
    return cfg


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
