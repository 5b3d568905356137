"""Hardware: the seed article's open question. The same model, mode and precision at one concurrency on
A100, H100, H200, B200, GB200 and MI300X (and others on request), side by side: measured or published where
such a figure exists, estimated (clearly labelled, with its basis) elsewhere, "no data" where neither.
The estimator's own leave-one-out error is shown, whatever it is.
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
def loo_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Leave-one-out predictions and their error summary (computed once per process)."""
    assert est is not None
    loo = est.leave_one_out(c.bundled_catalog())
    return loo, est.error_summary(loo)


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
rows = [measured.assign(basis="as published / measured", tpf_assumed=False)]
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
    table["kind"] = table["provenance"].map(lambda k: "estimated" if k == "estimated" else "measured / published")
    table = table.sort_values(["gpu", "profile_id"]).reset_index(drop=True)
    fig = go.Figure()
    for kind, g in table.groupby("kind", sort=False):
        fig.add_trace(
            go.Bar(
                x=g["option"],
                y=g["output_tok_s_per_gpu"],
                name=str(kind),
                marker={
                    "color": [c.PROVENANCE_COLORS.get(p, "#64748B") for p in g["provenance"]],
                    "pattern": {"shape": "/" if kind == "estimated" else ""},
                },
                text=g["provenance_label"],
                textposition="auto",
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
    fig.update_layout(barmode="group")
    st.plotly_chart(fig, key="hardware_chart", config={"displaylogo": False})
    st.caption("Solid bars: measured or published figures (their provenance on the bar). Hatched grey bars: estimated.")

show = table.copy() if not table.empty else pd.DataFrame(columns=["gpu"])
if no_data:
    show = pd.concat(
        [show, pd.DataFrame({"gpu": no_data, "kind": "no data", "basis": "no measurement, no estimate"})],
        ignore_index=True,
    )
show["gpu_name"] = show["gpu"].map(c.gpu_name)
if "badge" in show:
    show["badge"] = show["badge"].apply(lambda v: v if isinstance(v, list) else [])
st.dataframe(
    show,
    key="hardware_table",
    hide_index=True,
    column_order=[
        "gpu_name",
        "kind",
        "badge",
        "block_size",
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
        "block_size": st.column_config.NumberColumn("Block", format="%d"),
        "output_tok_s_per_gpu": c.rate_column("Output tok/s per GPU"),
        "tok_s_user": st.column_config.NumberColumn("Tok/s per user", format="%,.1f"),
        cost_col: c.usd_column(f"{cost_label}, cheapest on-demand"),
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
        loo, summary = loo_tables()
    except Exception as ex:
        st.warning(f"The leave-one-out check failed: {ex}", icon=":material/warning:")
    else:
        overall = summary[(summary["gpu"] == "all") & (summary["mode"] == "all")]
        if not overall.empty:
            o = overall.iloc[0]
            st.markdown(
                f"Leave-one-out over the **{int(o['points'])}** points we hold (each predicted with the estimator "
                f"refitted without it): median absolute error **{o['median_abs_error_pct']:.1f} %**, worst "
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
