"""Compare (landing page): $ per million tokens for Nemotron-Labs-Diffusion's modes and the AR baselines,
per GPU and price offer: a sortable table with a provenance badge and source on every row, the cheapest option
per GPU highlighted, a bar chart of the cheapest offer per option, and downloads of the view. By default each
curve is shown at its operating point (the lowest concurrency within 2 % of its best throughput per GPU, never one
that only queues behind a KV-capped batch) next to its cost at concurrency 1,
and GPUs without data get estimated rows (badged), as in the CLI table.
"""

from __future__ import annotations

import copy

import pandas as pd
import streamlit as st

from app_pages import cached, state
from app_pages import widgets as w
from calculator.answers import compare, scenario
from calculator.data import vocabulary as vb
from calculator.present import charts, export

st.title("Compare cost per million tokens")

points_key, points = state.all_points()
prices_key, prices = state.all_prices()
w.price_age_note(prices)
settings = state.cost_settings()
cost_col, cost_label = settings.cost_column, settings.cost_label

st.caption(
    "The headline Nemotron-Labs-Diffusion figures are **vendor-reported** (NVIDIA) and not independently confirmed; "
    "every row carries its provenance badge and source. Only rows **measured here** (this tool) and **uploaded** "
    "rows are independent; **estimated** rows come from a model."
)
with st.expander("How to read this", expanded=False, icon=":material/help:"):
    st.markdown(
        f"Each row prices one throughput figure (a GPU, model, decoding mode and precision at one concurrency) "
        f"with one price offer: **{cost_label}** = $/GPU-hour / (tokens/s per GPU x utilisation x 3600) x 1e6, "
        f"at the utilisation in the sidebar ({settings.utilisation:.0%}). The denominator is chosen in the sidebar.\n\n"
        "**Concurrency matters more than anything else.** At concurrency 1 a GPU serves one request and most of it "
        "idles; under serving load it batches many. The default view (**best**) shows each curve at its cheapest "
        "data point (highest throughput per GPU), with its cost at concurrency 1 beside it. Curves with data at "
        "concurrency 1 only (the vendor's batch-1 figures, Fig. 9) cannot show what serving many users costs; the "
        "*Data at* column says so.\n\n"
        "**Provenance matters.** The headline Nemotron-Labs-Diffusion speedups are **vendor-reported** (NVIDIA's "
        "paper, Fig. 9, batch 1) and not independently confirmed; the B200 concurrency sweep is **vendor internal** "
        "(NVIDIA authors) and its Nemotron rows ran a **pre-release checkpoint** (second badge). Only rows "
        "**measured here** and **uploaded** rows are independent. **Estimated** rows (GPUs without data) come from "
        "the roofline estimator at the Scenario page's ISL/OSL; their basis is in the source column."
    )

# Filters: bound to the URL so the view is a link. Options do not depend on other filters, so links stay whole.
options = compare.filter_options(points, prices)
state.url_value_notice("c_conc", options["concurrency"], "a concurrency with data, best or highest")
state.url_value_notice("c_gpu", options["gpu"], "GPUs with data or a price", multi=True)
state.url_value_notice("c_tier", options["tier"], "price tiers with an offer", multi=True)
state.url_value_notice("c_prov", options["provenance"], "provenance kinds", multi=True)

f1, f2, f3, f4, f5 = st.columns([1, 2, 2, 2, 2])
conc_choice = f1.selectbox(
    "Concurrency",
    options["concurrency"],
    key="c_conc",
    bind="query-params",
    help="Requests in flight per replica. 'best': each curve at its operating point (the lowest concurrency within 2 % "
    "of its best throughput per GPU; never one whose extra requests only queue behind a KV-capped batch), with its "
    "concurrency-1 cost beside it. 'highest': each curve's highest reported concurrency. A number: only curves with a "
    "point there.",
)
sel_gpus = f2.multiselect("GPUs", options["gpu"], key="c_gpu", bind="query-params", placeholder="All GPUs")
sel_tiers = f3.multiselect(
    "Price tiers", options["tier"], default=["on_demand"], key="c_tier", bind="query-params", placeholder="All tiers"
)
sel_models = w.model_filter(options["model"], container=f4, legacy="c_model")  # NLD and the baseline unless widened
sel_prov = f5.multiselect(
    "Provenance", options["provenance"], key="c_prov", bind="query-params", placeholder="All provenance"
)
with_est = st.toggle(
    "Include estimates where a GPU has no data",
    value=True,
    key="c_est",
    bind="query-params",
    help="As the CLI table does: for every priced GPU without data for a configuration (Qwen3-8B AR and EAGLE-3, "
    "NLD-8B AR, diffusion and self-speculation), a row from the roofline estimator at the Scenario page's ISL/OSL, "
    "badged 'estimated', its basis in the source column.",
)

weight_only = st.toggle(
    "Let weight-only fp8 be the cheapest",
    value=False,
    key="c_wo",
    bind="query-params",
    help="On GPUs without fp8 tensor cores (A100, A10G, L4, ...) fp8 runs weight-only (fp8 weights, 16-bit compute): "
    "such estimated rows are listed but, by default, never starred as the cheapest option.",
)
# The lengths estimates use: the Scenario's (session, else the link's); written into this page's URL so a shared
# Compare link shows the same estimates.
lengths = state.scenario_from_state()
isl, osl = lengths.isl, lengths.osl
# The tok/s-per-user floor: the Scenario's target (one key, "tps", in the session and the URL), editable here.
floor = st.number_input(
    "Min tokens/s per user (floor)",
    min_value=0,
    max_value=100_000,
    value=int(scenario.ScenarioInputs().tps),
    step=10,
    key="tps",
    bind="query-params",
    help="Rows below this interactivity (tokens/s per user) are listed but never starred or headlined as the "
    "cheapest; in the 'best' view each curve is shown at its operating point among the points at or above it. The "
    "same target as the Scenario page's; 0 = no floor.",
)
state.pin_scenario_to_url(scenario.ScenarioInputs(isl=isl, osl=osl))
query = compare.CompareQuery(
    concurrency=str(conc_choice), gpus=tuple(sorted(sel_gpus)), tiers=tuple(sorted(sel_tiers)),
    models=tuple(sorted(sel_models)), provenance=tuple(sorted(sel_prov)), isl=isl, osl=osl, with_estimates=with_est,
    weight_only=weight_only, min_tok_s_user=float(floor or 0),
)  # fmt: skip
est_problems: list[str] = []
pool, pool_key = points, points_key
if with_est:
    asked = w.models_added(query.models)  # as `table --model`: only models beyond the default get extra estimates
    pool, est_problems = cached.compare_pool(points_key, prices_key, isl, osl, asked, points, prices)
    pool_key = f"{points_key}+est|{prices_key}|{isl}|{osl}|{asked}"
errors = cached.estimate_errors_by_mode()
usd_per_kwh = float(st.session_state.get("tco_kwh", 0.08))  # measured energy's electricity (the Prices page's)
made = cached.compare_page(pool_key, prices_key, query, settings, errors, usd_per_kwh, pool, prices)
view = made.view
table = view.table

if table.empty:
    st.warning(
        "No rows match these filters. Widen the GPU, tier or provenance filters, pick another concurrency, "
        "turn on estimates where a GPU has no data, or add a price on the Prices page.",
        icon=":material/filter_alt_off:",
    )
    st.stop()

if not made.any_eligible:
    st.warning(
        f"No row here meets the floor ({query.floor_text()}): the rows below are listed for reference and none is "
        "starred. Lower the floor, pick another concurrency, or widen the filters.",
        icon=":material/speed:",
    )
m1, m2, m3 = st.columns(3)
top = made.top
assert top is not None  # the table has rows
m1.metric(
    f"Cheapest here ({cost_label})",
    vb.fmt_usd(top[cost_col]),
    delta=top["provenance_label"] + (", pre-release" if top["prerelease"] else ""),
    delta_color="off",
    delta_arrow="off",
    help=f"{vb.md(top['option'])} on {vb.md(top['provider'])} {vb.md(top['instance'])} ({top['tier_label']}); "
    f"provenance: {top['provenance_label']}.",
    border=True,
)
d = made.top_with_data
if d is not None:
    m2.metric(
        "Cheapest with data (not estimated)",
        vb.fmt_usd(d[cost_col]),
        delta=d["provenance_label"] + (", pre-release" if d["prerelease"] else ""),
        delta_color="off",
        delta_arrow="off",
        help=f"{vb.md(d['option'])} at concurrency {int(d['concurrency'])} on {vb.md(d['provider'])} "
        f"{vb.md(d['instance'])} "
        f"({d['tier_label']}).",
        border=True,
    )
else:
    m2.metric("Options x offers", f"{len(table):,}", border=True)
m3.metric("GPUs compared", f"{table['gpu'].nunique()}", border=True)
n_est = view.estimated_rows
st.caption(
    vb.escape_dollars(
        f"Cheapest: **{vb.md(top['option'])}** at concurrency {int(top['concurrency'])}"
        + ("" if top["provenance"] == "estimated" else f", {top['provenance_label']}")
        + (", pre-release checkpoint" if top["prerelease"] else "")
        + (f" ({top['tok_s_user']:,.1f} tok/s per user)" if pd.notna(top["tok_s_user"]) else "")
        + f". Showing **{cost_label}** at utilisation "
        f"{settings.utilisation:.0%}, {query.concurrency_text()}, {query.floor_text()}. ★ marks the cheapest option on "
        "each GPU at or above the floor."
        + (
            " *$/M at concurrency 1* is the same curve serving one request: batch-1 figures look cheap or dear there, "
            "but serving cost is set under load."
            if "usd_at_c1" in table
            else " At a single concurrency, curves without a point there are left out; 'best' compares each at its "
            "cheapest point."
        )
        + (
            f" {n_est:,} estimated row(s) (badged) for GPUs without data, at ISL/OSL {isl}/{osl}; on a harness or "
            "publication it has not seen the estimator is off by the figure in each row's *Estimate error* column "
            "(its mode's leave-one-source-out median on SGLang, the same figure on every page, with what it rests "
            "on): treat them as rough."
            if n_est
            else ""
        )
        + (
            f" Profiles that state no input/output lengths use ISL/OSL {isl}/{osl} (Scenario page)."
            if cost_col != "usd_per_mtok_output"
            else ""
        )
        + (
            f" {view.curves_without_point} curve(s) have no point at this concurrency."
            if view.curves_without_point
            else ""
        )
        + (
            f" No price offer for: {', '.join(view.unpriced_gpus)} (add a quote on the Prices page)."
            if view.unpriced_gpus
            else ""
        )
    )
)
if view.gpus_without_rows:
    st.info(
        f"No rows for {', '.join(view.gpus_without_rows)} with these filters"
        + ("" if with_est else ": turn on estimates where a GPU has no data")
        + ".",
        icon=":material/info:",
    )
for p in est_problems:
    st.caption(f"Not estimated: {p}")
# Measured energy (its electricity at the Prices page's $/kWh) and goodput, where an uploaded file has them.
table, extras = made.table, made.extras

# The offer (provider, tier) beside the cost, on the first screen: rows of one curve differ only by their offer.
columns = [
    "star", "gpu", "model", "mode", "precision", "block", "concurrency", cost_col, "provider", "tier_label",
    "lengths", "usd_at_c1", *(["total_is_derived"] if cost_col == "usd_per_mtok_total" else []),
    "badge", "est_error", f"{cost_col}_low", f"{cost_col}_high", "data_at", "output_tok_s_per_gpu", "tok_s_user",
    "meets_floor", "ttft_ms_p50", "queue_ms", *extras, "instance",
    "usd_per_gpu_hour", "price_as_of", "as_of", "source", "price_source", "provenance_notes",
]  # fmt: skip
w.table(
    # ★ (pinned) marks the cheapest option per GPU; a row tint (a pandas Styler) would cost ~0.4 s per rerun here.
    table,  # with the ★ and the lengths in words (cached.compare_page)
    "compare_table",
    columns,
    keep=["provenance", "profile_id", "offer_id", "cheapest_on_gpu"],  # in the data (tests, CSV), not shown
    overrides={
        "star": st.column_config.TextColumn("★", width=30, help="Cheapest option on this GPU", pinned=True),
        cost_col: st.column_config.NumberColumn(cost_label, format="$%.3f", help=settings.help),
    },
    alt="Cost per million tokens by GPU, model, mode and price offer",
    shared=True,
)
st.caption("Hover a cell to read long sources and notes in full; sort by any column header.")

# The chart comes after the table, behind a toggle (off by default): Plotly's script costs ~2.4 s of browser time
# on first render (benchmarks/bench_app.py), and the table above is the answer.
if st.toggle(
    "Show the chart", key="c_chart", bind="query-params", help="A bar chart of the cheapest offer per option."
):

    def chart() -> tuple[pd.DataFrame, int, dict[str, object]]:
        per_option, n_options = compare.cheapest_per_option(view, cost_col)
        figure = charts.literal_figure(charts.cheapest_offer_figure(per_option, cost_col, cost_label))
        return per_option, n_options, figure

    per_option, n_options, figure = cached.derived(made, ("chart", cost_col, cost_label), chart)  # once per view
    st.plotly_chart(
        copy.deepcopy(figure),  # the kept figure stays as made, whatever drawing it does to its input
        key="compare_chart",
        config={"displaylogo": False},
    )
    if n_options > len(per_option):
        st.caption(f"The chart shows the {len(per_option)} cheapest of {n_options} options; the table holds all.")

# ---------------------------------------------------------------------------------------------
# Download this view (with the assumptions it was computed with)

download = made.download
notes = export.cost_notes()


@st.cache_data(show_spinner=False, max_entries=16)
def _view_file(
    key: str, ext: str, _view: pd.DataFrame, _assumptions: dict[str, object], _prices: pd.DataFrame
) -> bytes:
    """One export of the Compare view, built on click and cached per view."""
    return export.document(ext, _view, _assumptions, notes, _prices, title="Cost per million tokens: Compare view")


used_prices = made.used_prices
with st.expander("Download this view", icon=":material/download:"):
    view_key = f"{pool_key}|{prices_key}|{query}|{settings}"
    cols = st.columns(4)
    for col, (ext, label) in zip(cols, export.DOCUMENT_FORMATS.items(), strict=True):
        col.download_button(
            f"Download {label}",
            data=lambda ext=ext: _view_file(view_key, ext, download, view.assumptions, used_prices),
            file_name=f"{export.file_stem('nld-cost-compare', isl, osl)}.{ext}",
            mime=export.MIME_TYPES[ext],
            key=f"c_dl_{ext}",
            on_click="ignore",
            icon=":material/download:",
            width="stretch",
        )
    st.caption(
        "Every file carries the assumptions (utilisation, lengths, concurrency, filters, denominator, price ratio): "
        "as assumed_* columns in CSV and Excel (plus an Assumptions sheet), a header section in Markdown and an "
        '"assumptions" object in JSON.'
    )
