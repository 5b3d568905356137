"""Export: the current scenario's cost table (the Scenario page's inputs, from this session and the URL) as
CSV, Excel (cost table, assumptions and prices used, sources), Markdown and JSON, and its charts as
interactive HTML. Spreadsheet-safe: text cells a spreadsheet would run as a formula are neutralised.
"""

from __future__ import annotations

import streamlit as st

from app_pages import common as c
from calculator import export

st.title("Export")

inputs = c.scenario_from_state()
result = c.build_scenario(inputs)
table = c.scenario_table(result)
cost_col, cost_label = c.denominator()

st.markdown(
    f"**Scenario:** {c.model_label(inputs.model)} and the AR baselines on **{c.gpu_name(inputs.gpu)}**, "
    f"{c.TIER_LABELS.get(inputs.tier, inputs.tier)} price"
    + ("" if inputs.provider == c.CHEAPEST else f" from {inputs.provider}")
    + f", ISL/OSL {inputs.isl}/{inputs.osl}, {inputs.targets.slo().describe()}, utilisation {inputs.util}%. "
    "Change it on the Scenario page; its address is a shareable link to the same scenario."
)

if table.empty:
    st.warning(
        "This scenario has no priced rows (no data or no price for this GPU and tier): nothing to export. "
        "Pick another GPU or tier on the Scenario page, or add a price on the Prices page.",
        icon=":material/database_off:",
    )
    st.stop()

stem = f"nld-cost-{inputs.gpu}-{inputs.tier}-{inputs.model}"
assumptions = {
    **inputs.as_dict(),
    "cost formula": (
        "usd_per_mtok = usd_per_gpu_hour x gpus_per_replica / (tok_s_per_replica x utilisation x 3600) x 1e6"
    ),
    "interpolation": "monotone (PCHIP) in log2(concurrency) between measured concurrencies; never extrapolated",
    "tokens per second per user": "1000 / TPOT p50 where reported, else output tok/s / concurrency",
    "provenance": "vendor = NVIDIA-reported, unconfirmed; vendor_internal = pre-release sweep; estimated = model",
}

st.metric("Rows", f"{len(table):,}", help="One row per curve x concurrency (measured and interpolated).")


@st.cache_data(show_spinner=False, max_entries=16)
def _file(key: str, ext: str, _table, _assumptions, _prices) -> bytes:  # type: ignore[no-untyped-def]
    """One export file, built when first asked for and cached per scenario and format."""
    if ext == "csv":
        return export.to_csv(_table).encode("utf-8")
    if ext == "xlsx":
        return export.to_xlsx(_table, _assumptions, _prices, export.sources_frame(_table))
    if ext == "md":
        return export.to_markdown(_table).encode("utf-8")
    return export.to_json(_table).encode("utf-8")


key = f"{inputs}|{c.all_prices()[0]}|{c.all_points()[0]}|{cost_col}"
cols = st.columns(4)
labels = {"csv": "CSV", "xlsx": "Excel", "md": "Markdown", "json": "JSON"}
for col, (ext, label) in zip(cols, labels.items(), strict=True):
    col.download_button(
        f"Download {label}",
        # Built on click (a callable), so opening the page stays fast.
        data=lambda ext=ext: _file(key, ext, table, assumptions, result.offer),
        file_name=f"{stem}.{ext}",
        mime=export.MIME_TYPES[ext],
        key=f"dl_{ext}",
        on_click="ignore",
        icon=":material/download:",
        width="stretch",
    )

st.subheader("Charts (interactive HTML, open offline)")
targets = inputs.targets
frontier_fig = c.frontier_figure(result.dense, targets)
frontier_fig.update_layout(title=f"Throughput vs interactivity on {c.gpu_name(inputs.gpu)}")
cost_fig = c.cost_figure(result.priced, cost_col, cost_label)
cost_fig.update_layout(title=f"{cost_label} by concurrency on {c.gpu_name(inputs.gpu)}")
h = st.columns(2)
h[0].download_button(
    "Download the frontier chart",
    data=lambda: export.chart_html(frontier_fig).encode("utf-8"),
    file_name=f"{stem}-frontier.html",
    mime=export.MIME_TYPES["html"],
    key="dl_frontier_html",
    on_click="ignore",
    icon=":material/show_chart:",
    width="stretch",
)
h[1].download_button(
    "Download the cost chart",
    data=lambda: export.chart_html(cost_fig).encode("utf-8"),
    file_name=f"{stem}-cost.html",
    mime=export.MIME_TYPES["html"],
    key="dl_cost_html",
    on_click="ignore",
    icon=":material/show_chart:",
    width="stretch",
)

st.subheader("Preview")
st.dataframe(
    table.head(200),
    key="export_preview",
    hide_index=True,
    column_config={
        "usd_per_mtok_output": c.usd_column("$/M output"),
        "usd_per_mtok_total": c.usd_column("$/M total"),
        "usd_per_mtok_input_r": c.usd_column("$/M input (1/R)"),
        "usd_per_mtok_output_r": c.usd_column("$/M output (R split)"),
        "usd_per_gpu_hour": st.column_config.NumberColumn("$/GPU-hour", format="$%.3f"),
        "output_tok_s": c.rate_column("Output tok/s (replica)"),
        "output_tok_s_per_gpu": c.rate_column("Output tok/s per GPU"),
    },
)
st.caption(f"Showing the first {min(200, len(table))} of {len(table):,} rows; the files hold all of them.")
