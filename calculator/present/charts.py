"""The Plotly figures the app draws and the Export page downloads as HTML: the throughput-vs-interactivity
frontier, cost by concurrency, the cheapest offer per option, the same configuration across GPUs, the monthly
bill per option and the API break-even. Units on every axis; every point's provenance and source in its hover.

Pure functions of DataFrames (no Streamlit): the same inputs give the same figure on every page and in exports.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape as html_escape
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from calculator.data.vocabulary import TIER_LABELS, fmt_tokens, fmt_usd, mode_label
from calculator.model import frontier
from calculator.model.naming import block_text
from calculator.present.labels import PROVENANCE_COLORS, mode_color


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
    # automargin: the margins grow to fit tick labels and axis titles (a standalone HTML page has no container to
    # hide them in; with 10 px margins the ticks were clipped).
    fig.update_xaxes(title_text=x_title, showgrid=True, automargin=True)
    fig.update_yaxes(title_text=y_title, showgrid=True, separatethousands=True, automargin=True)
    return fig


def titled(fig: go.Figure, title: str) -> go.Figure:
    """A figure for a page of its own (the Export HTML): the title on top, the legend moved below the plot so the
    two never overlap, and room for both."""
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "y": 0.98, "yanchor": "top"},
        legend={"orientation": "h", "yanchor": "top", "y": -0.18, "x": 0, "xanchor": "left"},
        margin={"l": 60, "r": 30, "t": 70, "b": 60},
    )
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


def target_line(fig: go.Figure, min_tok_s_user: float | None) -> go.Figure:
    """The interactivity target as a labelled vertical line on a frontier figure (none without a target)."""
    if min_tok_s_user:
        log_vline(fig, min_tok_s_user, f"target ≥ {min_tok_s_user:,.0f} tok/s/user")
    return fig


MAX_LEGEND = 8
"""Charts show at most this many legend entries by default (the most relevant curves); the rest are left out and
named in the figure's meta (left_out_text says so in a caption)."""


def top_options(
    df: pd.DataFrame,
    y: str,
    *,
    lower_is_better: bool,
    limit: int | None = MAX_LEGEND,
    faded: frozenset[str] = frozenset(),
) -> tuple[list[str], list[str]]:
    """(kept, left out) options: at most `limit` (None: every one), the most relevant first: curves at the user's
    lengths before faded ones, then by their best value of `y` (the cheapest, or the highest throughput)."""
    if df.empty or "option" not in df:
        return [], []
    best = pd.to_numeric(df[y], errors="coerce").groupby(df["option"].astype(str), sort=False)
    score = best.min() if lower_is_better else -best.max()
    ranked = sorted(score.index, key=lambda o: (o in faded, np.nan_to_num(score[o], nan=np.inf), o))
    if limit is None or len(ranked) <= limit:
        return ranked, []
    return ranked[:limit], ranked[limit:]


def _note_left_out(fig: go.Figure, left_out: Sequence[str], shown: int) -> None:
    fig.update_layout(meta={"left_out": list(left_out), "shown": shown})


def left_out_text(fig: go.Figure | dict[str, Any], how: str = "") -> str:
    """A caption for a chart that left legend entries out ("" when none was): how many, which, how to show them."""
    meta = (fig.get("layout", {}) if isinstance(fig, dict) else fig.to_dict().get("layout", {})).get("meta") or {}
    left = list(meta.get("left_out") or []) if isinstance(meta, dict) else []
    if not left:
        return ""
    names = ", ".join(left[:4]) + ("…" if len(left) > 4 else "")
    return (
        f"The chart shows the {meta.get('shown', MAX_LEGEND)} most relevant entries; {len(left)} left out ({names})."
        + (f" {how}" if how else "")
    )


def legend_entries(fig: go.Figure | dict[str, Any]) -> list[str]:
    """The names a figure's legend lists (one per trace that shows in the legend)."""
    data = fig.get("data", []) if isinstance(fig, dict) else [t.to_plotly_json() for t in fig.data]
    return [str(t.get("name", "")) for t in data if t.get("showlegend", True) is not False]


def limit_legend(fig: go.Figure, limit: int | None = MAX_LEGEND) -> go.Figure:
    """Keep the first `limit` legend entries' traces (and the unlisted traces grouped with them) and drop the rest,
    noting what was left out (left_out_text). None: keep every trace."""
    shown = [t for t in fig.data if t.showlegend is not False]
    if limit is None or len(shown) <= limit:
        return fig
    kept_ids = {id(t) for t in shown[:limit]}
    groups = {t.legendgroup for t in shown[:limit] if t.legendgroup}
    fig.data = tuple(t for t in fig.data if id(t) in kept_ids or (t.showlegend is False and t.legendgroup in groups))
    _note_left_out(fig, [str(t.name) for t in shown[limit:]], limit)
    return fig


def _curve_traces(
    fig: go.Figure,
    df: pd.DataFrame,
    x: str,
    y: str,
    hover: list[str],
    faded: frozenset[str] = frozenset(),
    *,
    lower_is_better: bool = False,
    limit: int | None = MAX_LEGEND,
) -> None:
    """One line per option (styled by curve_styles) and, for curves that are not estimated, markers on the
    source's data points (never on interpolated or estimated concurrencies). Options in `faded` (data at other
    lengths than the user's) are drawn pale, for reference."""
    wanted = ("option", "model", "mode", "precision", "block_size", "provenance", "point_basis", x, y)
    cols = [c for c in wanted if c in df]
    df = df[list(dict.fromkeys(cols))].assign(_hover=hover)
    styles = curve_styles(df)  # on every curve: a curve keeps its colour whichever others are shown
    kept, left_out = top_options(df, y, lower_is_better=lower_is_better, limit=limit, faded=faded)
    if left_out:
        _note_left_out(fig, left_out, len(kept))
    order = sorted(kept, key=lambda o: (styles[o].estimated, o))
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


FRONTIER_CAPTION = (
    "Markers: the concurrencies a source reports (its data points: vendor, community, measured here or uploaded). "
    "Solid and dashed lines interpolate monotonically between them and never go beyond. Dotted lines without markers: "
    "estimated curves (roofline model at your lengths). Colour = decoding mode (shades tell its configurations apart; "
    "a data curve and its estimate share a shade); dashed = fp8. Tokens/s per user = 1000 / TPOT where reported, else "
    "output tok/s / concurrency."
)


def frontier_figure(
    dense: pd.DataFrame,
    min_tok_s_user: float | None = None,
    faded: frozenset[str] = frozenset(),
    limit: int | None = MAX_LEGEND,
) -> go.Figure:
    """Throughput per GPU vs tokens/s per user, one line per curve; markers on the source's data points only
    (estimated curves are dotted, without markers). A log y axis where the curves span more than 20x. At most
    `limit` curves (the highest throughput per GPU; None: every curve)."""
    fig = go.Figure()
    dense = dense.sort_values("concurrency")
    _curve_traces(fig, dense, "tok_s_user", "output_tok_s_per_gpu", hover_text(dense), faded, limit=limit)
    target_line(fig, min_tok_s_user)
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
    limit: int | None = MAX_LEGEND,
) -> go.Figure:
    """Cost per million tokens vs concurrency, one line per curve; markers on the source's data points. At most
    `limit` curves (the cheapest; None: every curve)."""
    fig = go.Figure()
    priced = priced.sort_values("concurrency")
    _curve_traces(
        fig, priced, "concurrency", cost_col, hover_text(priced, cost_col, cost_label), faded,
        lower_is_better=True, limit=limit,
    )  # fmt: skip
    for x in crossings:
        log_vline(fig, x, f"crossover ≈ {x:,.0f}")
    base_layout(fig, x_title="Concurrency (requests in flight per replica)", y_title=f"{cost_label} (USD)")
    fig.update_xaxes(type="log", tickvals=[1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024])
    fig.update_yaxes(type="log", tickprefix="$")
    return fig


def cheapest_offer_figure(per_option: pd.DataFrame, cost_col: str, cost_label: str) -> go.Figure:
    """The cheapest offer per option as horizontal bars coloured by mode (rows in drawing order, the best on each
    GPU starred in `y`); estimated bars are pale and hatched, and every bar's provenance is written beside it."""
    fig = go.Figure()
    listed: set[str] = set()  # one legend entry per mode: estimated bars (pale, hatched, labelled) share it
    for (mode, is_est), g in per_option.groupby(["mode", per_option["provenance"] == "estimated"], sort=False):
        color = mode_color(str(mode))
        first = str(mode) not in listed
        listed.add(str(mode))
        fig.add_trace(
            go.Bar(
                x=g[cost_col],
                y=g["y"],
                orientation="h",
                name=mode_label(str(mode)) + (" (estimated: hatched)" if is_est else ""),
                legendgroup=str(mode),
                showlegend=first,
                marker={
                    "color": color,
                    "opacity": 0.45 if is_est else 1.0,
                    "pattern": {"shape": "/" if is_est else "", "fgcolor": color, "fgopacity": 1.0},
                },
                text=[
                    f"{lbl}{' · pre-release' if pre else ''}"
                    for lbl, pre in zip(g["provenance_label"], g["prerelease"], strict=True)
                ],
                textposition="outside",
                cliponaxis=False,
                hovertext=hover_text(g, cost_col, cost_label),
                hoverinfo="text",
            )
        )
    base_layout(
        fig,
        x_title=f"{cost_label} (USD), cheapest offer per option",
        y_title="GPU · model mode precision",
        height=max(320, 28 * len(per_option) + 120),
    )
    fig.update_xaxes(tickprefix="$", tickformat=",.3f")
    fig.update_layout(
        barmode="overlay",
        margin={"r": 140},
        yaxis={"categoryorder": "array", "categoryarray": list(per_option["y"])},
    )
    return limit_legend(fig)


def gpu_comparison_figure(table: pd.DataFrame, concurrency: int, estimate_error_pct: float | None) -> go.Figure:
    """Output tok/s per GPU of one configuration on each GPU: solid bars for data points (provenance above the
    bar), pale hatched bars for estimates with the estimator's held-out-source median error as error bars."""
    fig = go.Figure()
    for kind, g in table.groupby("kind", sort=False):
        colors = [PROVENANCE_COLORS.get(p, "#64748B") for p in g["provenance"]]
        est_kind = kind == "estimated"
        pct = estimate_error_pct if est_kind else None
        fig.add_trace(
            go.Bar(
                x=g["option"],
                y=g["output_tok_s_per_gpu"],
                name="estimated (hatched)" if est_kind else "data point (provenance above the bar)",
                marker={
                    "color": colors,
                    "opacity": 0.5 if est_kind else 1.0,
                    "pattern": {"shape": "/" if est_kind else "", "fgcolor": "#334155", "fgopacity": 0.9},
                    "line": {"color": colors, "width": 1.5},
                },
                # Labels sit above the bars, never on the hatching, so they stay legible in both themes.
                text=[
                    f"{lbl}{'<br>pre-release' if pre else ''}"
                    for lbl, pre in zip(g["provenance_label"], g["prerelease"], strict=True)
                ],
                textfont={"size": 11},
                error_y=(
                    {"type": "percent", "value": pct, "color": "#475569", "thickness": 1.5, "width": 6}
                    if pct is not None
                    else None
                ),
                textposition="outside",
                cliponaxis=False,
                hovertext=hover_text(g),
                hoverinfo="text",
            )
        )
    base_layout(
        fig,
        x_title="GPU · model mode precision block",
        y_title=f"Output tok/s per GPU at concurrency {concurrency}",
        height=420,
    )
    fig.update_layout(barmode="group", uniformtext={"minsize": 10, "mode": "show"})
    return fig


def monthly_bill_figure(per_curve: pd.DataFrame) -> go.Figure:
    """The monthly bill of the cheapest offer per curve (a row per curve, in drawing order), bars by mode."""
    fig = go.Figure()
    for mode, g in per_curve.groupby("mode", sort=False):
        fig.add_trace(
            go.Bar(
                x=g["monthly_usd"],
                y=g["option"],
                orientation="h",
                name=mode_label(str(mode)),
                marker_color=mode_color(str(mode)),
                text=[f"{int(n)} GPU" for n in g["gpus"]],
                textposition="auto",
                hovertext=[
                    f"{h}<br>replicas {int(r)} ({int(ro)} off-peak), GPUs {int(n)}<br>monthly ${usd:,.0f}"
                    for h, r, ro, n, usd in zip(
                        hover_text(g, "usd_per_mtok_effective", "effective $/M"),
                        g["replicas"],
                        g["replicas_offpeak"],
                        g["gpus"],
                        g["monthly_usd"],
                        strict=True,
                    )
                ],
                hoverinfo="text",
            )
        )
    base_layout(
        fig,
        x_title="Monthly bill (USD per 730 h month), cheapest offer per option",
        y_title="GPU · model mode precision",
        height=max(320, 28 * len(per_curve) + 120),
    )
    fig.update_xaxes(tickprefix="$", tickformat=",.0f")
    return limit_legend(fig)


def break_even_figure(curve: pd.DataFrame, volume_tokens_per_month: float) -> go.Figure:
    """Self-hosted (whole replicas, a step) and API monthly cost against output tokens per month, on log axes,
    with the user's volume marked."""
    fig = go.Figure()
    x = curve["output_tokens_per_month"]
    fig.add_trace(
        go.Scatter(x=x, y=curve["self_host_usd"], name="Self-hosted (whole replicas)", line={"shape": "hv", "width": 2})
    )
    fig.add_trace(go.Scatter(x=x, y=curve["api_usd"], name="API", line={"width": 2}))
    log_vline(fig, volume_tokens_per_month, "your volume")
    base_layout(fig, x_title="Output tokens per month", y_title="Monthly cost (USD)", height=380)
    log_axis_ticks(fig, "x", float(x.iloc[0]), float(x.iloc[-1]))
    ys = np.concatenate([curve["self_host_usd"].to_numpy(), curve["api_usd"].to_numpy()])
    log_axis_ticks(fig, "y", float(ys[ys > 0].min()), float(ys.max()), prefix="$")
    return fig


def forward_surface_figure(surface: pd.DataFrame, provenance_kind: str) -> go.Figure:
    """Time of one forward against context, one line per (batch, query tokens), p10-p90 error bars; the estimator's
    bare-forward time for the same shapes (column `estimated_ms`, where known) as dashed lines labelled estimated."""
    fig = go.Figure()
    for (batch, query), g in surface.groupby(["batch", "query_tokens"], sort=True):
        g = g.sort_values("context_tokens")
        fig.add_trace(
            go.Scatter(
                x=g["context_tokens"],
                y=g["time_ms_median"],
                mode="lines+markers",
                name=f"batch {batch}, {query} query tokens",
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": (g["time_ms_p90"] - g["time_ms_median"]).tolist(),
                    "arrayminus": (g["time_ms_median"] - g["time_ms_p10"]).tolist(),
                },
                hovertemplate="context %{x:,} tokens<br>%{y:.3f} ms per forward (median; bars p10-p90)"
                f"<br>provenance: {provenance_kind}<extra></extra>",
            )
        )
        if "estimated_ms" in g and g["estimated_ms"].notna().any():
            fig.add_trace(
                go.Scatter(
                    x=g["context_tokens"],
                    y=g["estimated_ms"],
                    mode="lines",
                    line={"dash": "dash"},
                    name=f"estimated: batch {batch}, {query} query tokens",
                    hovertemplate="context %{x:,} tokens<br>%{y:.3f} ms per forward<br>provenance: estimated"
                    " (estimate --forward)<extra></extra>",
                )
            )
    x_title = "Context already in the KV cache (tokens per sequence)"
    return limit_legend(base_layout(fig, x_title=x_title, y_title="Time per forward (ms)"))


# The Plotly markup our own hover and bar texts use; everything else in a trace's text is shown literally.
_OWN_MARKUP = ("<br>", "<b>", "</b>", "<i>", "</i>")


def plotly_literal(text: str, *, keep_markup: bool = True) -> str:
    """Text made literal for Plotly's pseudo-HTML: `<`, `>` and `&` escaped (a file named `<a href=...>` is no link,
    `<span style=...>` no style), then our own line breaks and bold kept where `keep_markup`."""
    out = html_escape(text, quote=False)
    if keep_markup:
        for tag in _OWN_MARKUP:
            out = out.replace(html_escape(tag), tag)
    return out


def _literal(value: Any, keep_markup: bool) -> Any:
    if isinstance(value, str):
        return plotly_literal(value, keep_markup=keep_markup)
    if isinstance(value, list | tuple | np.ndarray | pd.Series):
        return [_literal(v, keep_markup) for v in value]
    return value


def literal_figure(fig: Any) -> dict[str, Any]:
    """A Plotly figure as a dict (what st.plotly_chart and plotly.io.to_html draw; the figure is not changed) whose
    every trace name (legend), legend group, hover text, text and annotation shows user text (upload file names,
    offer providers) literally: see plotly_literal."""
    out: dict[str, Any] = fig.to_dict() if hasattr(fig, "to_dict") else dict(fig)
    for trace in out.get("data", []):
        for attr, keep in (("name", False), ("legendgroup", False), ("hovertext", True), ("text", True)):
            if trace.get(attr) is not None:
                trace[attr] = _literal(trace[attr], keep)
    for note in out.get("layout", {}).get("annotations", []) or []:
        if note.get("text") is not None:
            note["text"] = plotly_literal(str(note["text"]))
    return out
