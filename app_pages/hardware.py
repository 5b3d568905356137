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
from calculator.answers import checks, gpu_compare
from calculator.present import charts, links

st.title("Hardware: A100 vs H100 vs H200 vs B200 vs GB200")

points_key, points = state.all_points()
prices_key, prices = state.all_prices()
w.price_age_note(prices)  # how old the prices in use are; a warning past 30 days (issue 22)
settings = state.cost_settings()
cost_col, cost_label = settings.cost_column, settings.cost_label

with st.container(border=True):
    r = st.columns([1.3, 1.2, 1, 1, 1.6])
    model = r[0].selectbox("Model", list(gpu_compare.MODELS), key="hw_model", bind="query-params")
    mode = r[1].selectbox("Mode", list(gpu_compare.MODES), key="hw_mode", bind="query-params")
    precision = r[2].selectbox("Precision", list(gpu_compare.PRECISIONS), key="hw_prec", bind="query-params")
    conc = r[3].selectbox("Concurrency", list(gpu_compare.CONCURRENCIES), key="hw_conc", bind="query-params")
    all_gpus = r[4].toggle("Every GPU in the catalog", value=False, key="hw_all", bind="query-params")
    isl, osl = w.length_inputs()  # the Scenario's lengths (one key each, in the session and the URL)

gpus = tuple(state.known_gpus()) if all_gpus else gpu_compare.FOCUS_GPUS
result, show = cached.gpu_comparison_rows(
    points_key, prices_key, model, mode, precision, int(conc), gpus, settings, points, prices, isl, osl
)
if result.mode != mode:
    st.info("Qwen3-8B is autoregressive: showing AR.", icon=":material/info:")
    mode = result.mode
table = result.table
for p in result.problems:
    st.warning(p, icon=":material/warning:")

errors = cached.estimator_errors()
error_text = cached.estimate_error_text(mode)
# Lazy tabs (only the open one runs; the chart tab loads Plotly's script): the table is the answer.
tab_table, tab_chart = st.tabs(list(links.TABS["hw_tab"]), key="hw_tab", bind="query-params")
with tab_chart:
    if tab_chart.open and not table.empty:
        pct = checks.error_pct(errors, mode)  # the same figure as the rows' (held-out source, SGLang)
        st.plotly_chart(
            charts.literal_figure(charts.gpu_comparison_figure(table, int(conc), pct)),
            key="hardware_chart",
            config={"displaylogo": False},
        )
        st.caption(
            "Solid bars: data points (their provenance above the bar: vendor-reported, vendor internal, community, "
            "measured here or uploaded). Pale hatched bars: estimated by the roofline model"
            + (f", off by {error_text} on a source it has not seen (error bars: the median)" if error_text else "")
            + "."
        )


with tab_table:
    if tab_table.open:
        w.table(
            show,
            "hardware_table",
            ["gpu_name", "kind", "badge", "engine", "block", "lengths", "output_tok_s_per_gpu", "tok_s_user", cost_col,
             "provider", "tpf_assumed", "basis", "source"],
            keep=["gpu", "provenance", "profile_id", "model", "mode"],
            alt="One configuration across GPUs",
            shared=True,  # cached.gpu_comparison_rows
            overrides={
                cost_col: w.column_config(cost_col, show) | {"label": f"{cost_label}, cheapest on-demand"},
                "provider": st.column_config.TextColumn("Cheapest on-demand provider"),
            },
        )  # fmt: skip
st.caption(
    f"Data points are the source's own figures at its own lengths (the ISL / OSL column); estimates are made at your "
    f"ISL/OSL {isl:,}/{osl:,} (decode context = the prompt), as are the costs of profiles that state no lengths. "
    "Prices: each GPU's cheapest on-demand offer. Estimates follow the roofline: at low "
    "concurrency a forward is bound by memory bandwidth (H200 ahead of H100), at high concurrency by dense compute, "
    "where GPUs with the same tensor cores (H100 and H200) come out close."
)
for line in result.skipped:
    st.caption(f"Skipped: {line}")

st.subheader("How far to trust the estimates")
try:
    loo, summary, _headline = cached.loo_tables()
except (ValueError, LookupError) as ex:
    st.warning(f"The leave-one-out check failed: {ex}", icon=":material/warning:")
else:
    for text in cached.trust_texts():
        st.markdown(text)
    w.table(summary, "loo_table", list(summary.columns), shared=True)  # once per process (cached.loo_tables)
    with st.expander("Every leave-one-out prediction", icon=":material/table:"):
        w.table(loo, "loo_points_table", list(loo.columns), shared=True)
