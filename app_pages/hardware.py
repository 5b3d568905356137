"""Hardware: the seed article's open question. The same model, mode and precision at one concurrency on
A100, H100, H200, B200, GB200 and MI300X (and others on request), side by side: a data point (measured here,
uploaded, vendor-reported or community, its provenance badged) where one exists, estimated (clearly labelled,
with its basis) elsewhere, "no data" where neither. The estimator's own leave-one-out error is shown, whatever it
is: on points of GPUs it has data for, and on GPUs it has never seen (the figure that applies to most estimates).
"""

from __future__ import annotations

import streamlit as st

from app_pages import cached, state
from app_pages import widgets as w
from calculator import charts, gpu_compare
from calculator import labels as lb

st.title("Hardware: A100 vs H100 vs H200 vs B200 vs GB200")

points_key, points = state.all_points()
prices_key, prices = state.all_prices()
settings = state.cost_settings()
cost_col, cost_label = settings.cost_column, settings.cost_label

with st.container(border=True):
    r = st.columns([1.3, 1.2, 1, 1, 1.6])
    model = r[0].selectbox("Model", list(gpu_compare.MODELS), key="hw_model", bind="query-params")
    mode = r[1].selectbox("Mode", list(gpu_compare.MODES), key="hw_mode", bind="query-params")
    precision = r[2].selectbox("Precision", list(gpu_compare.PRECISIONS), key="hw_prec", bind="query-params")
    conc = r[3].selectbox("Concurrency", list(gpu_compare.CONCURRENCIES), key="hw_conc", bind="query-params")
    all_gpus = r[4].toggle("Every GPU in the catalog", value=False, key="hw_all", bind="query-params")

gpus = tuple(state.known_gpus()) if all_gpus else gpu_compare.FOCUS_GPUS
result = cached.gpu_comparison(
    points_key, prices_key, model, mode, precision, int(conc), gpus, settings, points, prices
)
if result.mode != mode:
    st.info("Qwen3-8B is autoregressive: showing AR.", icon=":material/info:")
    mode = result.mode
table = result.table
for p in result.problems:
    st.warning(p, icon=":material/warning:")

errors = cached.estimator_gpu_error()
error_text = lb.estimate_error_text(errors, mode)
if not table.empty:
    row = errors[errors["mode"].isin([mode, "all"])]
    pct = float(row["median_abs_error_pct"].iloc[0]) if not row.empty else None
    st.plotly_chart(
        charts.gpu_comparison_figure(table, int(conc), pct), key="hardware_chart", config={"displaylogo": False}
    )
    st.caption(
        "Solid bars: data points (their provenance above the bar: vendor-reported, vendor internal, community, "
        "measured here or uploaded). Pale hatched bars: estimated by the roofline model"
        + (f", off by {error_text} on a GPU it has not seen (error bars: the median)" if error_text else "")
        + "."
    )

show = gpu_compare.comparison_rows(result, state.gpu_names())
numbers = {"output_tok_s_per_gpu": "%,.0f", "tok_s_user": "%,.1f", cost_col: "$%.3f"}
show = lb.dash_missing(show, numbers)  # "no data" rows: "—", never "None"


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
        "badge": w.provenance_column(),
        "block": st.column_config.TextColumn("Block"),
        "output_tok_s_per_gpu": w.number_or_text_column(show, "output_tok_s_per_gpu", "Output tok/s per GPU", "%,.0f"),
        "tok_s_user": w.number_or_text_column(show, "tok_s_user", "Tok/s per user", "%,.1f"),
        cost_col: w.number_or_text_column(show, cost_col, f"{cost_label}, cheapest on-demand", "$%.3f"),
        "provider": "Cheapest on-demand provider",
        "tpf_assumed": st.column_config.CheckboxColumn("TPF assumed"),
        "basis": st.column_config.TextColumn("Basis", width="large"),
        "source": st.column_config.TextColumn("Source", width="medium"),
    },
)
for line in result.skipped:
    st.caption(f"Skipped: {line}")

st.subheader("How far to trust the estimates")
try:
    loo, summary, headline = cached.loo_tables()
except (ValueError, LookupError) as ex:
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
                    f"{lb.mode_label(str(r['modes']))} {r['median_abs_error_pct']:.0f} % median"
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
        st.dataframe(
            loo,
            key="loo_points_table",
            hide_index=True,
            column_config={
                "actual_tok_s": w.rate_column("Data (tok/s)"),
                "predicted_tok_s": w.rate_column("Predicted (tok/s)"),
                "error_pct": st.column_config.NumberColumn("Error", format="%+.1f %%"),
            },
        )
