"""Compare (landing page): $ per million tokens for Nemotron-Labs-Diffusion's modes and the AR baselines,
per GPU and price offer, at one concurrency: a sortable table with a provenance badge and source on every
row, the cheapest option per GPU highlighted, and a bar chart of the cheapest offer per option.
"""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from app_pages import common as c
from calculator.cost import cheapest

st.title("Compare cost per million tokens")

points_key, points = c.all_points()
prices_key, prices = c.all_prices()
cost_col, cost_label = c.denominator()

st.caption(
    "The headline Nemotron-Labs-Diffusion figures are **vendor-reported** (NVIDIA) and not independently confirmed; "
    "every row carries its provenance badge and source. Only **measured** and **uploaded** rows are independent."
)
with st.expander("How to read this", expanded=False, icon=":material/help:"):
    st.markdown(
        f"Each row prices one throughput figure (a GPU, model, decoding mode and precision at one concurrency) "
        f"with one price offer: **{cost_label}** = $/GPU-hour / (tokens/s per GPU x utilisation x 3600) x 1e6, "
        f"at the utilisation in the sidebar ({c.utilisation():.0%}). The denominator is chosen in the sidebar. "
        "Higher concurrency raises throughput per GPU and lowers cost, at the price of tokens/s per user; compare "
        "rows at the same concurrency (the selector below) or use the Scenario page for the whole curve.\n\n"
        "**Provenance matters.** The headline Nemotron-Labs-Diffusion speedups are **vendor-reported** (NVIDIA's "
        "paper, Fig. 9, batch 1) and not independently confirmed; the B200 concurrency sweep is **vendor internal** "
        "(NVIDIA authors, a pre-release checkpoint). Only **measured** (this tool, on real hardware) and "
        "**uploaded** (your own runs) rows are independent. **Estimated** rows come from a model with a stated basis."
    )

# Filters: bound to the URL so the view is a link.
all_concurrencies = sorted(points["concurrency"].unique().tolist())
conc_options = [str(x) for x in all_concurrencies] + ["highest"]
f1, f2, f3, f4, f5 = st.columns([1, 2, 2, 2, 2])
conc_choice = f1.selectbox(
    "Concurrency",
    conc_options,
    key="c_conc",
    bind="query-params",
    help="Requests in flight per replica. 'highest' takes each profile's highest measured concurrency "
    "(its best throughput, its worst latency).",
)
gpu_options = sorted(points["gpu"].unique().tolist())
sel_gpus = f2.multiselect("GPUs", gpu_options, key="c_gpu", bind="query-params", placeholder="All GPUs")
tier_options = [t for t in c.TIERS if t in set(prices["tier"])]
sel_tiers = f3.multiselect(
    "Price tiers",
    tier_options,
    default=["on_demand"],
    key="c_tier",
    bind="query-params",
    placeholder="All tiers",
)
model_options = sorted(points["model"].unique().tolist())
sel_models = f4.multiselect("Models", model_options, key="c_model", bind="query-params", placeholder="All models")
prov_options = [p for p in c.PROVENANCE_LABELS if p in set(points["provenance"])]
sel_prov = f5.multiselect(
    "Provenance",
    prov_options,
    key="c_prov",
    bind="query-params",
    placeholder="All provenance",
)

# Pick the points at the chosen concurrency (measured points only: no interpolation on this page).
if conc_choice == "highest":
    at = points[points["concurrency"] == points.groupby("profile_id")["concurrency"].transform("max")]
else:
    try:
        at = points[points["concurrency"] == int(conc_choice)]
    except (TypeError, ValueError):
        at = points[points["concurrency"] == 1]
if sel_gpus:
    at = at[at["gpu"].isin(sel_gpus)]
if sel_models:
    at = at[at["model"].isin(sel_models)]
if sel_prov:
    at = at[at["provenance"].isin(sel_prov)]
sel_key = f"{points_key}|{conc_choice}|{sorted(sel_gpus)}|{sorted(sel_models)}|{sorted(sel_prov)}"

isl, osl = int(st.session_state.get("isl", 1024)), int(st.session_state.get("osl", 1024))
at = c.with_workload(at, isl, osl)  # for the total / split denominators where a profile gives no lengths
sel_key += f"|{isl}|{osl}"
table = c.priced_table(sel_key, at.reset_index(drop=True), utilisation=c.utilisation())
if sel_tiers:
    table = table[table["tier"].isin(sel_tiers)]
table = c.add_labels(table.reset_index(drop=True))

unpriced = sorted(set(at["gpu"]) - set(prices["gpu"]))
missing_profiles = points["profile_id"].nunique() - at["profile_id"].nunique()

if table.empty:
    st.warning(
        "No rows match these filters. Widen the GPU, tier or provenance filters, pick another concurrency, "
        "or add a price on the Prices page.",
        icon=":material/filter_alt_off:",
    )
    st.stop()

best = cheapest(table.dropna(subset=[cost_col]), by=["gpu"], value=cost_col)
table["cheapest_on_gpu"] = table.index.isin(
    table.reset_index().merge(best[["gpu", "offer_id", "profile_id"]], on=["gpu", "offer_id", "profile_id"])["index"]
)
table = table.sort_values(cost_col, kind="stable").reset_index(drop=True)

m1, m2, m3 = st.columns(3)
top = table.iloc[0]
m1.metric(
    f"Cheapest here ({cost_label})",
    c.fmt_usd(top[cost_col]),
    help=f"{top['option']} on {top['provider']} {top['instance']} ({top['tier_label']}); "
    f"provenance: {top['provenance_label']}.",
    border=True,
)
m2.metric("Options x offers", f"{len(table):,}", border=True)
m3.metric("GPUs compared", f"{table['gpu'].nunique()}", border=True)
st.caption(
    f"Showing **{cost_label}** at utilisation {c.utilisation():.0%}, concurrency "
    f"{'= each profile’s highest' if conc_choice == 'highest' else conc_choice}. "
    f"★ marks the cheapest option on each GPU."
    + (
        f" Profiles that state no input/output lengths use ISL/OSL {isl}/{osl} (Scenario page)."
        if cost_col != "usd_per_mtok_output"
        else ""
    )
    + (f" {missing_profiles} profile(s) have no point at this concurrency." if missing_profiles else "")
    + (f" No price offer for: {', '.join(unpriced)} (add a quote on the Prices page)." if unpriced else "")
)

# Chart: the cheapest offer per option, as horizontal bars, coloured by mode.
per_option = cheapest(table.dropna(subset=[cost_col]), by=["option"], value=cost_col).sort_values(
    cost_col, ascending=False
)
per_option["is_best"] = per_option["option"].isin(table.loc[table["cheapest_on_gpu"], "option"])
fig = go.Figure()
for mode, g in per_option.groupby("mode", sort=False):
    fig.add_trace(
        go.Bar(
            x=g[cost_col],
            y=g["option"].where(~g["is_best"], "★ " + g["option"]),
            orientation="h",
            name=c.mode_label(str(mode)),
            marker_color=c.mode_color(str(mode)),
            text=g["provenance_label"],
            textposition="auto",
            hovertext=c.hover_text(g, cost_col, cost_label),
            hoverinfo="text",
        )
    )
c.base_layout(
    fig,
    x_title=f"{cost_label} (USD), cheapest offer per option",
    y_title="GPU · model mode precision",
    height=max(320, 28 * len(per_option) + 120),
)
fig.update_xaxes(tickprefix="$", tickformat=",.3f")
fig.update_layout(
    barmode="overlay",
    yaxis={
        "categoryorder": "array",
        "categoryarray": list(per_option["option"].where(~per_option["is_best"], "★ " + per_option["option"])),
    },
)
st.plotly_chart(fig, key="compare_chart", config={"displaylogo": False})

shown = table.assign(star=table["cheapest_on_gpu"].map({True: "★", False: ""}))
columns = [
    "star",
    "gpu",
    "model",
    "mode",
    "precision",
    "block_size",
    "concurrency",
    cost_col,
    "badge",
    "output_tok_s_per_gpu",
    "tok_s_user",
    "provider",
    "instance",
    "tier_label",
    "usd_per_gpu_hour",
    "price_as_of",
    "as_of",
    "source",
    "price_source",
    "provenance_notes",
    "cheapest_on_gpu",
]
st.dataframe(
    c.highlight_rows(shown[columns], "cheapest_on_gpu"),
    key="compare_table",
    hide_index=True,
    column_order=columns[:-1],
    column_config={
        "star": st.column_config.TextColumn("★", width=30, help="Cheapest option on this GPU"),
        "gpu": "GPU",
        "model": "Model",
        "mode": "Mode",
        "precision": "Precision",
        "block_size": st.column_config.NumberColumn("Block", format="%d"),
        "concurrency": st.column_config.NumberColumn("Concurrency", format="%d"),
        cost_col: c.usd_column(cost_label, c.denominator_help()),
        "output_tok_s_per_gpu": c.rate_column("Output tok/s per GPU"),
        "tok_s_user": st.column_config.NumberColumn("Tok/s per user", format="%,.1f"),
        "provider": "Provider",
        "instance": "Instance",
        "tier_label": "Tier",
        "usd_per_gpu_hour": st.column_config.NumberColumn("$/GPU-hour", format="$%.3f"),
        "price_as_of": "Price as of",
        "badge": c.provenance_column(),
        "as_of": "Figure date",
        "source": st.column_config.TextColumn("Throughput source", width="medium"),
        "price_source": st.column_config.TextColumn("Price source", width="medium"),
        "provenance_notes": st.column_config.TextColumn("Notes", width="large"),
    },
    alt="Cost per million tokens by GPU, model, mode and price offer",
)
st.caption("Hover a cell to read long sources and notes in full; sort by any column header.")
