"""Hardware: the seed article's open question. The same model, mode and precision at one concurrency on
A100, H100, H200, B200, GB200 and MI300X (and others on request), side by side: a data point (measured here,
uploaded, vendor-reported or community, its provenance badged) where one exists, estimated (clearly labelled,
with its basis) elsewhere, "no data" where neither. The estimator's own leave-one-out error is shown, whatever it
is: on points of GPUs it has data for, and on GPUs it has never seen (the figure that applies to most estimates).
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from app_pages import common as c
from calculator import frontier

st.title("Hardware: A100 vs H100 vs H200 vs B200 vs GB200")

FOCUS_GPUS = ["a100-80gb", "h100-sxm", "h200", "b200", "gb200", "mi300x"]
points_key, points = c.all_points()
prices_key, prices = c.all_prices()
cost_col, cost_label = c.denominator()
est = c.optional_module("estimate")


@st.cache_resource(show_spinner="Checking the estimator against every point we hold (leave-one-out)…")
def loo_tables() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Leave-one-out predictions, their error summary per GPU and mode, and the headline errors (a point of a GPU
    with data; a GPU without data), computed once per process."""
    assert est is not None
    cat = c.bundled_catalog()
    loo = est.leave_one_out(cat)
    if hasattr(est, "_headline"):
        headline = est._headline({"point": loo, "gpu": est.leave_one_out(cat, group="gpu")})
    elif hasattr(est, "headline_errors"):
        headline = est.headline_errors(cat)
    else:
        headline = pd.DataFrame()
    return loo, est.error_summary(loo), headline


with st.container(border=True):
    r = st.columns([1.3, 1.2, 1, 1, 1.6])
    models = ["nld-8b", "nld-3b", "nld-14b", "qwen3-8b"]
    model = r[0].selectbox("Model", models, key="hw_model", bind="query-params")
    mode = r[1].selectbox("Mode", ["self_spec", "ar", "diffusion"], key="hw_mode",
                          bind="query-params")  # fmt: skip
    precision = r[2].selectbox("Precision", ["fp8", "bf16"], key="hw_prec", bind="query-params")
    conc = r[3].selectbox("Concurrency", [1, 2, 4, 8, 16, 32, 64, 128], key="hw_conc", bind="query-params")
    all_gpus = r[4].toggle("Every GPU in the catalog", value=False, key="hw_all", bind="query-params")

gpus = c.known_gpus() if all_gpus else FOCUS_GPUS
if model == "qwen3-8b" and mode != "ar":
    st.info("Qwen3-8B is autoregressive: showing AR.", icon=":material/info:")
    mode = "ar"

measured = points[
    points["gpu"].isin(gpus)
    & (points["model"] == model)
    & (points["mode"] == mode)
    & (points["precision"] == precision)
    & (points["concurrency"] == conc)
]
have = set(measured["gpu"])
rows = [
    measured.assign(
        basis=measured["provenance"].map(c.PROVENANCE_LABELS).fillna(measured["provenance"]) + " figure",
        tpf_assumed=False,
    )
]
skipped: list[str] = []
problems: list[str] = []
if est is not None:
    todo = [g for g in gpus if g not in have]
    if todo:
        try:
            e = c.estimate_for_gpus(model, mode, tuple(todo), precision, conc)
            rows.append(e)
            skipped = list(e.attrs.get("skipped", []))
        except Exception as ex:
            problems.append(f"No estimate: {ex}")
table = c.concat_points(rows)
if not table.empty:
    table = frontier.with_rates(table)
    priced = c.priced_table(
        f"hw|{points_key}|{model}|{mode}|{precision}|{conc}|{sorted(gpus)}", table, utilisation=c.utilisation()
    )
    priced = priced[priced["tier"] == "on_demand"]
    best_price = (
        priced.sort_values(cost_col).groupby("profile_id", sort=False).head(1)[["profile_id", cost_col, "provider"]]
        if not priced.empty
        else pd.DataFrame(columns=["profile_id", cost_col, "provider"])
    )
    table = c.add_labels(table.merge(best_price, on="profile_id", how="left"))

# One row per GPU: a figure, or "no data".
no_data = [g for g in gpus if table.empty or g not in set(table["gpu"])]
for p in problems:
    st.warning(p, icon=":material/warning:")
if est is None:
    st.info("The estimator is not available in this build: GPUs without a measurement show 'no data'.",
            icon=":material/construction:")  # fmt: skip

if not table.empty:
    table["kind"] = table["provenance"].map(lambda k: "estimated" if k == "estimated" else "data point")
    table = table.sort_values(["gpu", "profile_id"]).reset_index(drop=True)
    fig = go.Figure()
    for kind, g in table.groupby("kind", sort=False):
        colors = [c.PROVENANCE_COLORS.get(p, "#64748B") for p in g["provenance"]]
        est_kind = kind == "estimated"
        # Estimated bars carry the estimator's median error on a GPU it has not seen, as an error bar.
        err = c.estimator_gpu_error() if est_kind else None
        pct = (
            float(err.loc[err["mode"].isin([mode, "all"]), "median_abs_error_pct"].iloc[0])
            if err is not None and not err.empty
            else None
        )
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
                hovertext=c.hover_text(g),
                hoverinfo="text",
            )
        )
    c.base_layout(
        fig,
        x_title="GPU · model mode precision block",
        y_title=f"Output tok/s per GPU at concurrency {conc}",
        height=420,
    )
    fig.update_layout(barmode="group", uniformtext={"minsize": 10, "mode": "show"})
    st.plotly_chart(fig, key="hardware_chart", config={"displaylogo": False})
    st.caption(
        "Solid bars: data points (their provenance above the bar: vendor-reported, vendor internal, community, "
        "measured here or uploaded). Pale hatched bars: estimated by the roofline model"
        + (
            f", off by {c.estimate_error_text(mode)} on a GPU it has not seen (error bars: the median)"
            if c.estimate_error_text(mode)
            else ""
        )
        + "."
    )

show = table.copy() if not table.empty else pd.DataFrame(columns=["gpu"])
if no_data:
    show = pd.concat(
        [show, pd.DataFrame({"gpu": no_data, "kind": "no data", "basis": "no data point, no estimate"})],
        ignore_index=True,
    )
show["gpu_name"] = show["gpu"].map(c.gpu_name)
show["block"] = show["block"].fillna("—") if "block" in show else "—"
if "badge" in show:
    show["badge"] = show["badge"].apply(lambda v: v if isinstance(v, list) else [])
numbers = {"output_tok_s_per_gpu": "%,.0f", "tok_s_user": "%,.1f", cost_col: "$%.3f"}
show = c.dash_missing(show, numbers)  # "no data" rows: "—", never "None"


def _num(col: str, label: str, fmt: str, help: str | None = None) -> object:
    if col in show and not pd.api.types.is_numeric_dtype(show[col]):
        return st.column_config.TextColumn(label, help=help)
    return st.column_config.NumberColumn(label, format=fmt, help=help)


st.dataframe(
    show,
    key="hardware_table",
    hide_index=True,
    column_order=[
        "gpu_name",
        "kind",
        "badge",
        "block",
        "output_tok_s_per_gpu",
        "tok_s_user",
        cost_col,
        "provider",
        "tpf_assumed",
        "basis",
        "source",
    ],
    column_config={
        "gpu_name": "GPU",
        "kind": "Figure",
        "badge": c.provenance_column(),
        "block": st.column_config.TextColumn("Block"),
        "output_tok_s_per_gpu": _num("output_tok_s_per_gpu", "Output tok/s per GPU", "%,.0f"),
        "tok_s_user": _num("tok_s_user", "Tok/s per user", "%,.1f"),
        cost_col: _num(cost_col, f"{cost_label}, cheapest on-demand", "$%.3f"),
        "provider": "Cheapest on-demand provider",
        "tpf_assumed": st.column_config.CheckboxColumn("TPF assumed"),
        "basis": st.column_config.TextColumn("Basis", width="large"),
        "source": st.column_config.TextColumn("Source", width="medium"),
    },
)
for s in skipped:
    st.caption(f"Skipped: {s}")

st.subheader("How far to trust the estimates")
if est is None:
    st.caption("No estimator yet, so no error table.")
else:
    try:
        loo, summary, headline = loo_tables()
    except Exception as ex:
        st.warning(f"The leave-one-out check failed: {ex}", icon=":material/warning:")
    else:
        overall = summary[(summary["gpu"] == "all") & (summary["mode"] == "all")]
        unseen = (
            headline[(headline["grouping"] == "gpu") & (headline["modes"] == "all")] if not headline.empty else headline
        )
        if not unseen.empty:
            u = unseen.iloc[0]
            per_mode = headline[(headline["grouping"] == "gpu") & (headline["modes"] != "all")]
            st.markdown(
                f"**On a GPU it has no data for** (most estimated rows: every GPU's points predicted by a fit that "
                f"never saw that GPU): median absolute error **{u['median_abs_error_pct']:.0f} %**, worst "
                f"**{u['worst_abs_error_pct']:.0f} %** over {int(u['points'])} points"
                + (
                    " ("
                    + "; ".join(
                        f"{c.mode_label(str(r['modes']))} {r['median_abs_error_pct']:.0f} % median"
                        for _, r in per_mode.iterrows()
                    )
                    + ")"
                    if not per_mode.empty
                    else ""
                )
                + ". Read estimated bars as a range, not a number."
            )
        if not overall.empty:
            o = overall.iloc[0]
            st.markdown(
                f"**On a point of a GPU it has data for** (leave-one-out over the **{int(o['points'])}** points we "
                f"hold, each predicted with the estimator refitted without it): median absolute error "
                f"**{o['median_abs_error_pct']:.1f} %**, worst "
                f"**{o['worst_abs_error_pct']:.1f} %**. Most of these points are vendor figures, so this checks the "
                "model against the vendor, not against independent hardware."
            )
        st.dataframe(
            summary,
            key="loo_table",
            hide_index=True,
            column_config={
                "gpu": "GPU",
                "mode": "Mode",
                "points": st.column_config.NumberColumn("Points", format="%d"),
                "median_abs_error_pct": st.column_config.NumberColumn("Median |error|", format="%.1f %%"),
                "worst_abs_error_pct": st.column_config.NumberColumn("Worst |error|", format="%.1f %%"),
            },
        )
        with st.expander("Every leave-one-out prediction", icon=":material/table:"):
            st.dataframe(loo, key="loo_points_table", hide_index=True)
