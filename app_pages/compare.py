"""Compare (landing page): $ per million tokens for Nemotron-Labs-Diffusion's modes and the AR baselines,
per GPU and price offer: a sortable table with a provenance badge and source on every row, the cheapest option
per GPU highlighted, a bar chart of the cheapest offer per option, and downloads of the view. By default each
curve is shown at its cheapest data point (its busiest reported concurrency) next to its cost at concurrency 1,
and GPUs without data get estimated rows (badged), as in the CLI table.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from app_pages import common as c
from calculator import export, frontier
from calculator.cost import cheapest

st.title("Compare cost per million tokens")

points_key, points = c.all_points()
prices_key, prices = c.all_prices()
cost_col, cost_label = c.denominator()
has_estimator = c.optional_module("estimate") is not None

st.caption(
    "The headline Nemotron-Labs-Diffusion figures are **vendor-reported** (NVIDIA) and not independently confirmed; "
    "every row carries its provenance badge and source. Only rows **measured here** (this tool) and **uploaded** "
    "rows are independent; **estimated** rows come from a model."
)
with st.expander("How to read this", expanded=False, icon=":material/help:"):
    st.markdown(
        f"Each row prices one throughput figure (a GPU, model, decoding mode and precision at one concurrency) "
        f"with one price offer: **{cost_label}** = $/GPU-hour / (tokens/s per GPU x utilisation x 3600) x 1e6, "
        f"at the utilisation in the sidebar ({c.utilisation():.0%}). The denominator is chosen in the sidebar.\n\n"
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
data_conc = {int(x) for x in points["concurrency"].unique()}
conc_options = ["best", *[str(x) for x in sorted(data_conc | set(c.EST_CONCURRENCY))], "highest"]
gpu_options = sorted(set(points["gpu"]) | set(prices["gpu"]))
tier_options = [t for t in c.TIERS if t in set(prices["tier"])]
model_options = sorted(set(points["model"]) | {m for m, *_ in c.GAP_CONFIGS})
prov_options = [p for p in c.PROVENANCE_LABELS if p in set(points["provenance"]) or p == "estimated"]

c.url_value_notice("c_conc", conc_options, "a concurrency with data, best or highest")
c.url_value_notice("c_gpu", gpu_options, "GPUs with data or a price", multi=True)
c.url_value_notice("c_tier", tier_options, "price tiers with an offer", multi=True)
c.url_value_notice("c_model", model_options, "models with data", multi=True)
c.url_value_notice("c_prov", prov_options, "provenance kinds", multi=True)

f1, f2, f3, f4, f5 = st.columns([1, 2, 2, 2, 2])
conc_choice = f1.selectbox(
    "Concurrency",
    conc_options,
    key="c_conc",
    bind="query-params",
    help="Requests in flight per replica. 'best': each curve at its cheapest data point (highest throughput per "
    "GPU), with its concurrency-1 cost beside it. 'highest': each curve's highest reported concurrency. A number: "
    "only curves with a point there.",
)
sel_gpus = f2.multiselect("GPUs", gpu_options, key="c_gpu", bind="query-params", placeholder="All GPUs")
sel_tiers = f3.multiselect(
    "Price tiers",
    tier_options,
    default=["on_demand"],
    key="c_tier",
    bind="query-params",
    placeholder="All tiers",
)
sel_models = f4.multiselect("Models", model_options, key="c_model", bind="query-params", placeholder="All models")
sel_prov = f5.multiselect(
    "Provenance",
    prov_options,
    key="c_prov",
    bind="query-params",
    placeholder="All provenance",
)
with_est = st.toggle(
    "Include estimates where a GPU has no data",
    value=True,
    key="c_est",
    bind="query-params",
    disabled=not has_estimator,
    help="As the CLI table does: for every priced GPU without data for a configuration (Qwen3-8B AR and EAGLE-3, "
    "NLD-8B AR, diffusion and self-speculation), a row from the roofline estimator at the Scenario page's ISL/OSL, "
    "badged 'estimated', its basis in the source column.",
)

isl, osl = int(st.session_state.get("isl", 1024)), int(st.session_state.get("osl", 1024))
est_problems: list[str] = []
pool = points
pool_key = points_key
if with_est and has_estimator:
    priced_gpus = tuple(sorted(set(prices["gpu"]) & set(c.known_gpus())))
    est, est_problems = c.gap_estimates(points_key, priced_gpus, isl, osl, points)
    if not est.empty:
        pool = c.concat_points([points, est])
        pool_key = f"{points_key}+est|{priced_gpus}|{isl}|{osl}"

# Filters first (cheap), then the concurrency choice.
at = pool
if sel_gpus:
    at = at[at["gpu"].isin(sel_gpus)]
if sel_models:
    at = at[at["model"].isin(sel_models)]
if sel_prov:
    at = at[at["provenance"].isin(sel_prov)]
at = frontier.with_rates(at)
span = at.groupby("profile_id")["concurrency"].agg(["min", "max"])
data_at = (span["min"].astype(str) + "–" + span["max"].astype(str)).where(
    span["min"] != span["max"], span["min"].astype(str) + " only"
)
if conc_choice in ("best", "highest"):
    metric = "output_tok_s_per_gpu" if conc_choice == "best" else "concurrency"
    idx = at.groupby("profile_id")[metric].idxmax().dropna()
    chosen = at.loc[idx.to_numpy()]
else:
    try:
        chosen = at[at["concurrency"] == int(conc_choice)]
    except (TypeError, ValueError):
        chosen = at[at["concurrency"] == 1]
sel_key = f"{pool_key}|{conc_choice}|{sorted(sel_gpus)}|{sorted(sel_models)}|{sorted(sel_prov)}|{isl}|{osl}"

chosen = c.with_workload(chosen, isl, osl)  # for the total / split denominators where a profile gives no lengths
with_c1 = conc_choice in ("best", "highest")
# One pricing pass (only the chosen tiers' offers) for the chosen points and, in the best/highest views, the same
# curves at concurrency 1 (the single-request cost shown beside the cost under load).
to_price = chosen.assign(_c1=False)
if with_c1:
    to_price = pd.concat([to_price, c.with_workload(at[at["concurrency"] == 1], isl, osl).assign(_c1=True)])
tier_prices = prices[prices["tier"].isin(sel_tiers)] if sel_tiers else prices
priced_all = c.priced_table(
    f"{sel_key}|{with_c1}",
    to_price.reset_index(drop=True),
    utilisation=c.utilisation(),
    prices=tier_prices,
    prices_key=f"{prices_key}|{sorted(sel_tiers)}",
)
table = c.add_labels(priced_all[~priced_all["_c1"].astype(bool)].reset_index(drop=True))
# (price_table returns categorical text columns: map through plain objects so "" is a valid value)
table["data_at"] = table["profile_id"].astype(object).map(data_at).fillna("").astype(str)
is_est = (table["provenance"].astype(object) == "estimated").to_numpy()
modes = table["mode"].astype(str).to_numpy()
err_by_mode = {m: c.estimate_error_text(m) for m in set(modes[is_est])}
table["est_error"] = [err_by_mode[m] if e else "" for m, e in zip(modes, is_est, strict=True)]

if with_c1 and not table.empty:
    c1 = priced_all[priced_all["_c1"].astype(bool)].set_index(["profile_id", "offer_id"])[cost_col]
    table["usd_at_c1"] = c1.reindex(pd.MultiIndex.from_frame(table[["profile_id", "offer_id"]])).to_numpy()

unpriced = sorted(set(chosen["gpu"]) - set(prices["gpu"]))
missing_profiles = at["profile_id"].nunique() - chosen["profile_id"].nunique()
no_rows_gpus = sorted(set(sel_gpus) - set(table["gpu"])) if sel_gpus else []

if table.empty:
    st.warning(
        "No rows match these filters. Widen the GPU, tier or provenance filters, pick another concurrency, "
        "turn on estimates where a GPU has no data, or add a price on the Prices page.",
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
    delta=top["provenance_label"] + (", pre-release" if top["prerelease"] else ""),
    delta_color="off",
    delta_arrow="off",
    help=f"{top['option']} on {top['provider']} {top['instance']} ({top['tier_label']}); "
    f"provenance: {top['provenance_label']}.",
    border=True,
)
from_data = table[table["provenance"] != "estimated"]
if top["provenance"] == "estimated" and not from_data.empty:
    d = from_data.iloc[0]
    m2.metric(
        "Cheapest with data (not estimated)",
        c.fmt_usd(d[cost_col]),
        delta=d["provenance_label"] + (", pre-release" if d["prerelease"] else ""),
        delta_color="off",
        delta_arrow="off",
        help=f"{d['option']} at concurrency {int(d['concurrency'])} on {d['provider']} {d['instance']} "
        f"({d['tier_label']}).",
        border=True,
    )
else:
    m2.metric("Options x offers", f"{len(table):,}", border=True)
m3.metric("GPUs compared", f"{table['gpu'].nunique()}", border=True)
n_est = int((table["provenance"] == "estimated").sum())
conc_text = {
    "best": "each curve at its cheapest data point (highest throughput per GPU)",
    "highest": "each curve at its highest reported concurrency",
}.get(conc_choice, f"concurrency {conc_choice}")
st.caption(
    c.md_dollars(
        f"Cheapest: **{top['option']}** at concurrency {int(top['concurrency'])}, {top['provenance_label']}"
        + (", pre-release checkpoint" if top["prerelease"] else "")
        + f". Showing **{cost_label}** at utilisation {c.utilisation():.0%}, {conc_text}. ★ marks the cheapest option "
        "on each GPU."
        + (
            " *$/M at concurrency 1* is the same curve serving one request: batch-1 figures look cheap or dear there, "
            "but serving cost is set under load."
            if "usd_at_c1" in table
            else " At a single concurrency, curves without a point there are left out; 'best' compares each at its "
            "cheapest point."
        )
        + (
            f" {n_est:,} estimated row(s) (badged) for GPUs without data, at ISL/OSL {isl}/{osl}; on a GPU it has not "
            f"seen the estimator is off by {c.estimate_error_text()} (leave-one-GPU-out check; per mode in the "
            "*Estimate error* column): treat them as rough."
            if n_est
            else ""
        )
        + (
            f" Profiles that state no input/output lengths use ISL/OSL {isl}/{osl} (Scenario page)."
            if cost_col != "usd_per_mtok_output"
            else ""
        )
        + (f" {missing_profiles} curve(s) have no point at this concurrency." if missing_profiles else "")
        + (f" No price offer for: {', '.join(unpriced)} (add a quote on the Prices page)." if unpriced else "")
    )
)
if no_rows_gpus:
    st.info(
        f"No rows for {', '.join(no_rows_gpus)} with these filters"
        + ("" if with_est else ": turn on estimates where a GPU has no data")
        + ".",
        icon=":material/info:",
    )
for p in est_problems:
    st.caption(f"Not estimated: {p}")


shown = c.dash_missing(
    table.assign(star=table["cheapest_on_gpu"].map({True: "★", False: ""})), {"usd_at_c1": "$%.3f"}
)  # a curve without a point at concurrency 1 shows "—"
total_shown = cost_col == "usd_per_mtok_total"
columns = [
    "star",
    "gpu",
    "model",
    "mode",
    "precision",
    "block",
    "concurrency",
    cost_col,
    *(["usd_at_c1"] if "usd_at_c1" in shown else []),
    *(["total_is_derived"] if total_shown and "total_is_derived" in shown else []),
    "badge",
    "est_error",
    "data_at",
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
]
hidden = ["provenance", "profile_id", "offer_id", "cheapest_on_gpu"]  # in the data (tests, CSV), not shown
st.dataframe(
    # ★ (pinned) marks the cheapest option per GPU; a row tint (a pandas Styler) would cost ~0.4 s per rerun here.
    shown[columns + hidden],
    key="compare_table",
    hide_index=True,
    column_order=columns,
    column_config={
        "star": st.column_config.TextColumn("★", width=30, help="Cheapest option on this GPU", pinned=True),
        "gpu": "GPU",
        "model": "Model",
        "mode": "Mode",
        "precision": "Precision",
        "block": st.column_config.TextColumn("Block", help="Block size (diffusion, self-speculation); — for none"),
        "concurrency": st.column_config.NumberColumn("Concurrency", format="%d"),
        cost_col: c.usd_column(cost_label, c.denominator_help()),
        "usd_at_c1": (
            c.usd_column("$/M at concurrency 1", "The same curve and offer serving a single request.")
            if "usd_at_c1" not in shown or pd.api.types.is_numeric_dtype(shown["usd_at_c1"])
            else st.column_config.TextColumn("$/M at concurrency 1", help="The same curve and offer, one request.")
        ),
        "total_is_derived": st.column_config.CheckboxColumn(
            "Total derived", help="The source gave output tokens only; input tokens/s come from ISL/OSL."
        ),
        "data_at": st.column_config.TextColumn("Data at", help="Concurrencies the curve has points for"),
        "est_error": st.column_config.TextColumn(
            "Estimate error",
            help="Estimated rows only: the estimator's error on a GPU it has no data for (leave-one-GPU-out, median "
            "and worst absolute error over the points we hold, for this mode).",
        ),
        "output_tok_s_per_gpu": c.rate_column("Output tok/s per GPU"),
        "tok_s_user": st.column_config.NumberColumn("Tok/s per user", format="%,.1f"),
        "provider": "Provider",
        "instance": "Instance",
        "tier_label": "Tier",
        "usd_per_gpu_hour": st.column_config.NumberColumn("$/GPU-hour", format="$%.3f"),
        "price_as_of": "Price as of",
        "badge": c.provenance_column(),
        "as_of": "Figure date",
        "source": st.column_config.TextColumn("Throughput source / estimate basis", width="medium"),
        "price_source": st.column_config.TextColumn("Price source", width="medium"),
        "provenance_notes": st.column_config.TextColumn("Notes", width="large"),
    },
    alt="Cost per million tokens by GPU, model, mode and price offer",
)
st.caption("Hover a cell to read long sources and notes in full; sort by any column header.")


# The chart comes after the table: the table is the answer, and Plotly's script (several MB) then loads
# while the reader is already reading it (first render in headless Chromium: see docs/app.md).
# Off by default: Plotly's script costs ~2.4 s of browser time on first render (measured with
# benchmarks/bench_app.py: 2.7 s without it, 5.1 s with it), and the table above is the answer.
def compare_figure() -> tuple[go.Figure, int, int]:
    """The cheapest offer per option (the 30 cheapest options), as horizontal bars coloured by mode;
    estimated bars are pale and hatched, and every bar's provenance is written beside it."""
    per_option = cheapest(table.dropna(subset=[cost_col]), by=["option"], value=cost_col).sort_values(cost_col)
    n_options = len(per_option)
    per_option = per_option.head(30).sort_values(cost_col, ascending=False)
    per_option["is_best"] = per_option["option"].isin(table.loc[table["cheapest_on_gpu"], "option"])
    per_option["y"] = per_option["option"].where(~per_option["is_best"], "★ " + per_option["option"])
    fig = go.Figure()
    for (mode, is_est), g in per_option.groupby(["mode", per_option["provenance"] == "estimated"], sort=False):
        color = c.mode_color(str(mode))
        fig.add_trace(
            go.Bar(
                x=g[cost_col],
                y=g["y"],
                orientation="h",
                name=c.mode_label(str(mode)) + (" (estimated)" if is_est else ""),
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
        margin={"r": 140},
        yaxis={"categoryorder": "array", "categoryarray": list(per_option["y"])},
    )
    return fig, n_options, len(per_option)


if st.toggle(
    "Show the chart", key="c_chart", bind="query-params", help="A bar chart of the cheapest offer per option."
):
    fig, n_options, n_drawn = compare_figure()
    st.plotly_chart(fig, key="compare_chart", config={"displaylogo": False})
    if n_options > n_drawn:
        st.caption(f"The chart shows the {n_drawn} cheapest of {n_options} options; the table holds all.")

# ---------------------------------------------------------------------------------------------
# Download this view (with the assumptions it was computed with)

export_cols = [
    "gpu", "model", "mode", "precision", "block_size", "prerelease", "concurrency", "data_at", "est_error",
    "output_tok_s",
    "output_tok_s_per_gpu", "tok_s_user", "ttft_ms_p50", "usd_per_mtok_output", "usd_per_mtok_total",
    "total_is_derived", "usd_per_mtok_input_r", "usd_per_mtok_output_r", "usd_at_c1", "cheapest_on_gpu", "provider",
    "instance", "tier", "usd_per_gpu_hour", "price_as_of", "price_source", "provenance", "source", "as_of",
    "provenance_notes", "profile_id", "offer_id",
]  # fmt: skip
view = table[[col for col in export_cols if col in table]].rename(columns={"usd_at_c1": f"{cost_col}_at_c1"})
assumptions = {
    "view": "Compare",
    "concurrency": conc_text,
    "gpus": sel_gpus or "all",
    "price tiers": sel_tiers or "all",
    "models": sel_models or "all",
    "provenance": sel_prov or "all",
    "estimates for GPUs without data": bool(with_est and has_estimator),
    "ISL tokens": isl,
    "OSL tokens": osl,
    "utilisation": c.utilisation(),
    **c.cost_settings(),
}
notes = c.cost_notes()


@st.cache_data(show_spinner=False, max_entries=16)
def _view_file(
    key: str, ext: str, _view: pd.DataFrame, _assumptions: dict[str, object], _prices: pd.DataFrame
) -> bytes:
    """One export of the Compare view, built on click and cached per view."""
    documented = {**_assumptions, "notes": notes}
    if ext == "csv":
        return export.to_csv(export.with_assumptions(_view, _assumptions)).encode("utf-8")
    if ext == "xlsx":
        return export.to_xlsx(
            export.with_assumptions(_view, _assumptions), documented, _prices, export.sources_frame(_view)
        )
    if ext == "md":
        title = "Cost per million tokens: Compare view"
        return export.to_markdown_document(_view, documented, title=title).encode("utf-8")
    return export.to_json_document(_view, documented).encode("utf-8")


used_prices = prices[prices["id"].isin(set(view["offer_id"]))]
with st.expander("Download this view", icon=":material/download:"):
    view_key = f"{sel_key}|{prices_key}|{sorted(sel_tiers)}|{c.utilisation()}|{cost_col}"
    cols = st.columns(4)
    for col, (ext, label) in zip(
        cols, {"csv": "CSV", "xlsx": "Excel", "md": "Markdown", "json": "JSON"}.items(), strict=True
    ):
        col.download_button(
            f"Download {label}",
            data=lambda ext=ext: _view_file(view_key, ext, view, assumptions, used_prices),
            file_name=f"nld-cost-compare.{ext}",
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
