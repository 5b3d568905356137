"""Export: the current scenario's cost table (the Scenario page's inputs, from this session and the URL) as
CSV, Excel (cost table, assumptions and prices used, sources), Markdown and JSON, and its charts as
interactive HTML. Every file carries the assumptions (utilisation, lengths, targets, price ratio, denominator):
assumed_* columns in CSV and Excel, a header section in Markdown, an "assumptions" object in JSON. The page
writes the scenario into its own URL, so its address is a link to the same export. Spreadsheet-safe: text
cells a spreadsheet would run as a formula are neutralised.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages import cached, state
from app_pages import widgets as w
from calculator.answers import scenario
from calculator.data import vocabulary as vb
from calculator.present import charts, export, links

st.title("Export")

points_key, points = state.all_points()
prices_key, prices = state.all_prices()
w.price_age_note(prices)  # how old the prices in use are; a warning past 30 days (issue 22)
inputs, resets = scenario.available_choices(prices, state.scenario_from_state())
state.pin_scenario_to_url(inputs)  # this page draws none of the scenario's widgets: keep its address a link
for note in resets:
    st.info(note, icon=":material/link_off:")
settings = state.cost_settings()
cost_col, cost_label = settings.cost_column, settings.cost_label
key, result = cached.build_scenario(inputs, points_key, points, prices_key, prices, settings.price_ratio)
models = w.model_filter(result.dense["model"] if not result.dense.empty else [], also=(inputs.baseline_model,))
view_key, result = cached.scenario_in_view(key, prices_key, settings.price_ratio, result, models)
table, preview = cached.scenario_export(view_key, prices_key, settings.price_ratio, inputs, result)

st.markdown(
    f"**Scenario:** {vb.model_label(inputs.model)} and the AR baselines on **{vb.md(state.gpu_name(inputs.gpu))}**, "
    f"{vb.tier_label(inputs.tier)} price"
    + ("" if inputs.provider == scenario.CHEAPEST else f" from {vb.md_escape(inputs.provider)}")
    + f", ISL/OSL {inputs.isl}/{inputs.osl}, {inputs.targets.slo().describe()}, utilisation {inputs.util}%, "
    f"{cost_label}; unchecked targets {'count as failed' if inputs.strict else 'pass, flagged'}; "
    f"{'estimates at your lengths preferred' if inputs.est_len else 'data curves ranked at their own lengths'}. "
    "This page's address is a shareable link to the same export."
)
st.page_link(
    "app_pages/scenario.py",
    label="Change this scenario on the Scenario page",
    icon=":material/tune:",
    query_params=links.url_params(inputs),  # the top navigation drops a link's values; this keeps them
)
n_unchecked = int((~result.checks["ranked"]).sum()) if not result.checks.empty else 0
if n_unchecked:
    st.caption(
        f"{n_unchecked} curve(s) cannot be checked against these inputs (no TTFT, or lengths far from yours): their "
        "rows say so in target_check / lengths_note and ranked = false."
    )

if table.empty:
    st.warning(
        "This scenario has no priced rows (no data or no price for this GPU and tier): nothing to export. "
        "Pick another GPU or tier on the Scenario page, or add a price on the Prices page.",
        icon=":material/database_off:",
    )
    st.stop()

stem = export.file_stem(f"nld-cost-{inputs.gpu}-{inputs.tier}-{inputs.model}", inputs.isl, inputs.osl, inputs.ctx)
assumptions = {**inputs.assumptions(settings), "models shown": ", ".join(models) or "all"}
notes = export.cost_notes()

st.metric("Rows", f"{len(table):,}", help="One row per curve x concurrency (data points, interpolated, estimated).")


@st.cache_data(show_spinner=False, max_entries=16)
def _file(key: str, ext: str, _table: pd.DataFrame, _assumptions: dict[str, object], _prices: pd.DataFrame) -> bytes:
    """One export file, built when first asked for and cached per scenario and format."""
    title = f"Cost per million tokens: {_assumptions['model']} and baselines on {_assumptions['gpu']}"
    return export.document(ext, _table, _assumptions, notes, _prices, title=title)


file_key = f"{inputs}|{prices_key}|{points_key}|{settings}|{models}"
cols = st.columns(4)
for col, (ext, label) in zip(cols, export.DOCUMENT_FORMATS.items(), strict=True):
    col.download_button(
        f"Download {label}",
        # Built on click (a callable), so opening the page stays fast.
        data=lambda ext=ext: _file(file_key, ext, table, assumptions, result.offer),
        file_name=f"{stem}.{ext}",
        mime=export.MIME_TYPES[ext],
        key=f"dl_{ext}",
        on_click="ignore",
        icon=":material/download:",
        width="stretch",
    )

st.subheader("Charts (interactive HTML, open offline)")
targets = inputs.targets
gpu_title = state.gpu_name(inputs.gpu)


def frontier_html() -> bytes:
    fig = charts.frontier_figure(result.dense, targets.min_tok_s_user)
    return export.chart_html(charts.titled(fig, f"Throughput vs interactivity on {gpu_title}")).encode("utf-8")


def cost_html() -> bytes:
    fig = charts.cost_figure(result.priced, cost_col, cost_label)
    return export.chart_html(charts.titled(fig, f"{cost_label} by concurrency on {gpu_title}")).encode("utf-8")


h = st.columns(2)
h[0].download_button(
    "Download the frontier chart",
    data=frontier_html,
    file_name=f"{stem}-frontier.html",
    mime=export.MIME_TYPES["html"],
    key="dl_frontier_html",
    on_click="ignore",
    icon=":material/show_chart:",
    width="stretch",
)
h[1].download_button(
    "Download the cost chart",
    data=cost_html,
    file_name=f"{stem}-cost.html",
    mime=export.MIME_TYPES["html"],
    key="dl_cost_html",
    on_click="ignore",
    icon=":material/show_chart:",
    width="stretch",
)

st.subheader("Preview")
preview = preview.assign(gpu=preview["gpu"].map(state.gpu_name))  # on screen a GPU's name; the files keep its id
st.dataframe(
    preview,
    key="export_preview",
    hide_index=True,
    column_config=w.export_column_config(table.columns, preview),
    column_order=[c for c in table.columns if c not in ("profile_id", "offer_id")],  # internal ids: files only
)
st.caption(
    f"Showing the first {min(200, len(table))} of {len(table):,} rows with readable headers; the files hold all of "
    "them with machine names (usd_per_mtok_output, tok_s_user, ...) and full precision, plus the assumptions."
)
