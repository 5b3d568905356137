"""Scenario: one GPU and one price offer. Shows the throughput-per-GPU vs tokens/s-per-user frontier of every
mode and baseline, the cost at each concurrency, the cheapest mode meeting the latency targets, and the
concurrency where self-speculation stops beating AR (the crossover). Interpolation between a curve's
data points is labelled; nothing is extrapolated. What cannot be checked is said next to the answer: a TTFT target
on a source without TTFT, or input/output lengths far from the ones a curve was reported at (estimated curves at
the user's lengths stand in). Every input is in the URL, so a scenario is a link.
"""

from __future__ import annotations

import streamlit as st

from app_pages import cached, state
from app_pages import widgets as w
from calculator.answers import scenario
from calculator.answers.checks import lengths_warning
from calculator.data import vocabulary as vb
from calculator.data.schema import TIERS
from calculator.model.modes import long_context_note
from calculator.present import charts, links
from calculator.present import labels as lb

st.title("Scenario")

points_key, points = state.all_points()
prices_key, prices = state.all_prices()
w.price_age_note(prices)  # how old the prices in use are; a warning past 30 days (issue 22)
settings = state.cost_settings()
cost_col, cost_label = settings.cost_column, settings.cost_label

# ---------------------------------------------------------------------------------------------
# Inputs (each bound to a query parameter of the same name)

with st.container(border=True):
    r1 = st.columns([1.2, 1.5, 1.5, 1.8])
    r1[0].segmented_control(
        "Model size",
        list(scenario.NLD_SIZES),
        default="8B",
        required=True,
        key="size",
        bind="query-params",
        help="Nemotron-Labs-Diffusion size; the AR baselines (Qwen3-8B, Llama-3.1-8B, Qwen3.5-9B) are always shown.",
    )
    gpu_options = sorted(set(points["gpu"]) | set(state.known_gpus()))
    state.url_value_notice("gpu", gpu_options, "GPUs with data or an estimate")
    gpu = r1[1].selectbox(
        "GPU",
        gpu_options,
        index=gpu_options.index("b200") if "b200" in gpu_options else 0,
        key="gpu",
        bind="query-params",
    )
    gpu_offers = scenario.offers_for(prices, gpu)
    tier_options = [t for t in TIERS if t in set(gpu_offers["tier"])] or ["on_demand"]
    state.url_value_notice("tier", tier_options, f"{gpu} has no offer in that tier")
    tier = r1[2].selectbox("Price tier", tier_options, key="tier", bind="query-params")
    provider_options = [scenario.CHEAPEST, *sorted(set(scenario.offers_for(prices, gpu, tier)["provider"]))]
    state.url_value_notice("provider", provider_options, f"no {vb.tier_label(tier)} offer from it for {gpu}")
    r1[3].selectbox("Provider", provider_options, key="provider", bind="query-params")
    r2 = st.columns([2, 1.2, 1.3, 1.2])
    with r2[0]:
        w.length_inputs()
    r2[1].select_slider(
        "Context length (tokens)",
        options=[0, *scenario.CONTEXT_CHOICES],
        value=0,
        format_func=links.context_label,
        key="ctx",
        bind="query-params",
        help="KV context per sequence when decoding starts. auto (default): the prompt, ISL — the rule every page "
        "and the CLI use. A value overrides it (a cached conversation or document before the prompt; never below "
        "ISL); estimated curves use it, data curves keep the workload they were reported at.",
    )
    cat = r2[2].selectbox(
        "Workload category (SPEED-Bench)",
        [scenario.AS_MEASURED, *scenario.SPEED_BENCH_CATEGORIES],
        key="cat",
        bind="query-params",
        help="Self-speculation's acceptance length depends on the workload (vendor Table 10). Estimated curves use "
        "the category; data curves stay on the SPEED-Bench mix.",
    )
    r2[3].selectbox(
        "Crossover baseline",
        list(scenario.CROSSOVER_BASELINES),
        format_func=scenario.CROSSOVER_BASELINES.get,
        key="base",
        bind="query-params",
        help="The AR curves self-speculation is measured against in 'where it stops beating AR': Qwen3-8B AR "
        "(default), Llama-3.1-8B AR, or the NLD size's own AR mode (same weights). Like precision is preferred.",
    )
    targets = w.target_inputs()

inputs = state.scenario_from_state()
key, result = cached.build_scenario(inputs, points_key, points, prices_key, prices, settings.price_ratio)
in_scenario = result.dense["model"] if not result.dense.empty else []
models = w.model_filter(in_scenario, also=(inputs.baseline_model,), container=st.columns([2, 3])[0])
key, result = cached.scenario_in_view(key, prices_key, settings.price_ratio, result, models)

# ---------------------------------------------------------------------------------------------
# Notes on what is and is not known

notes = []
if inputs.ctx is not None:
    notes.append(f"Context override: {inputs.context_text}. Compare, Capacity and the CLI derive it from ISL.")
if long_context_note(inputs.context_tokens):
    notes.append(long_context_note(inputs.context_tokens))
if cat != scenario.AS_MEASURED:
    text = scenario.category_note(cached.bundled_catalog(), cat)
    if text:
        notes.append(text)
if result.curves.estimate_note:
    notes.append(result.curves.estimate_note)
for n in notes:
    st.info(n, icon=":material/info:")
if result.curves.problems:
    st.caption("; ".join(result.curves.problems))

if result.dense.empty:
    st.warning(
        f"No data for {inputs.model} or the baselines on {state.gpu_name(gpu)}. Pick another GPU, or upload a "
        "measurement on the Measurements page.",
        icon=":material/database_off:",
    )
    st.stop()

# ---------------------------------------------------------------------------------------------
# What cannot be checked, said prominently (before any answer)

slo = targets.slo()
checks = result.checks
view = cached.scenario_headline(key, prices_key, settings.price_ratio, inputs, targets, cost_col, result)
names = view.names
w.show_notices(view.notices)

# ---------------------------------------------------------------------------------------------
# Headline: the cheapest mode meeting the targets, and the crossover

# On the source points (data or estimated); crossover() interpolates monotonically between them itself.
crossings, crosses = view.crossings, view.crosses

h1, h2 = st.columns(2)
with h1.container(border=True):
    st.markdown(f"**Cheapest mode meeting {slo.describe()}**")
    if result.priced.empty:
        st.warning(
            f"No {vb.tier_label(tier)} price for {state.gpu_name(gpu)}: add a quote or TCO on the Prices page.",
            icon=":material/sell:",
        )
    else:
        best = view.best
        if best is None:
            left_out = int((~checks["ranked"]).sum())
            st.warning(
                "No curve meets these targets within its data range"
                + (
                    f" ({left_out} curve(s) that cannot be checked are not counted; see the warnings above)"
                    if left_out
                    else ""
                )
                + ". Relax a target.",
                icon=":material/block:",
            )
        else:
            offer = result.offer.iloc[0]
            st.metric(
                f"{vb.md(best['option'])}",
                vb.fmt_usd(best[cost_col]) + " /M",
                help=f"{cost_label} with {vb.md(offer['provider'])} {vb.md(offer['instance'])} "
                f"({vb.tier_label(offer['tier'])}, ${offer['usd_per_gpu_hour']:,.3f}/GPU-h as of "
                f"{offer['price_as_of'] if 'price_as_of' in offer else offer['as_of']}).",
            )
            ttft_known = bool(best["ttft_known"])
            ttft_text = f"TTFT p50 {best['ttft_ms_p50']:,.0f} ms" if ttft_known else "TTFT not reported by the source"
            st.caption(
                f"at concurrency {int(best['concurrency'])} ({best['point_basis']}), "
                f"{best['tok_s_user']:,.0f} tok/s per user, {best['output_tok_s_per_gpu']:,.0f} output tok/s per GPU, "
                f"{ttft_text}; provenance: {best['provenance_label']}"
                + (", pre-release checkpoint" if best["prerelease"] else "")
                + "."
                + (
                    " Estimated by the roofline model at your lengths; its TTFT is one prefill of the input at "
                    "batch 1 (no queueing)."
                    if best["provenance"] == "estimated"
                    else ""
                )
            )
            if targets.max_ttft_ms and not ttft_known:
                st.warning(
                    f"**TTFT target not checked for this answer**: its source reports no TTFT, so nothing says it "
                    f"meets {targets.max_ttft_ms:,.0f} ms. Turn on *Treat unchecked targets as failed* to rank only "
                    "checked curves and estimates.",
                    icon=":material/timer_off:",
                )
            if best.get("lengths_status") in ("differ", "unknown") and best["provenance"] != "estimated":
                st.warning(
                    lengths_warning(str(best["lengths_status"]), str(best["lengths_note"]), "answer")
                    + " Turn on *Prefer estimates at your lengths* to rank estimated curves at your ISL/OSL instead.",
                    icon=":material/straighten:",
                )
with h2.container(border=True):
    st.markdown(f"**Where {vb.model_label(inputs.model)} self-speculation stops beating {inputs.baseline_text}**")
    if not crosses.empty:
        x = crosses.iloc[0]  # the best self-spec configuration: the latest crossover
        if len(crosses) > 1:
            lo, hi = crosses["crossover_concurrency"].min(), crosses["crossover_concurrency"].max()
            spread = f" Across {len(crosses)} such curve pairs the crossover lies between {lo:,.0f} and {hi:,.0f}."
        else:
            spread = ""
        st.metric(
            f"{vb.md(names.get(x['challenger_profile'], x['challenger_label']))} vs "
            f"{vb.md(names.get(x['baseline_profile'], x['baseline_label']))}",
            f"≈ {x['crossover_concurrency']:,.0f} concurrent requests",
            help=str(x["basis"]),
        )
        st.caption(
            (
                f"Like precision ({x['challenger_precision']} vs {x['baseline_precision']}). "
                if x["like_precision"]
                else f"**Unlike precision** ({x['challenger_precision']} vs {x['baseline_precision']}): no pair of "
                "one precision crosses here, so part of the gap is the precision's. "
            )
            + f"Self-spec wins up to {int(x['last_win_concurrency'])} and loses from "
            f"{int(x['first_loss_concurrency'])} (throughput per GPU; at one price the cost crossover is the same). "
            f"{x['advantage_at_min']:.2f}x at concurrency {int(x['common_min_concurrency'])}, "
            f"{x['advantage_at_max']:.2f}x at {int(x['common_max_concurrency'])}.{spread}"
            + (" Uses an estimated curve." if x["uses_estimate"] else "")
        )
    elif crossings.empty:
        st.caption(
            f"No {vb.model_label(inputs.model)} self-speculation curve and {inputs.baseline_text} curve on this GPU "
            "that both reflect your lengths, to compare."
        )
    else:
        first = crossings.iloc[0]
        kind = "the estimated curves' common range" if first["uses_estimate"] else "the curves' common data range"
        st.caption(
            f"No crossover within {kind}: {lb.crossover_status_text(first['status'])} "
            f"({vb.md(first['challenger_label'])} vs {vb.md(first['baseline_label'])}, {vb.md(first['basis'])})."
        )

# ---------------------------------------------------------------------------------------------
# Charts

# Lazy tabs: only the open tab runs (and only a chart tab loads Plotly's script, ~1 s of browser time), so the
# first render is the answer and its tables (benchmarks/bench_pages.py); the chosen tab is in the URL.
tab_table, tab_frontier, tab_cost = st.tabs(list(links.TABS["sc_tab"]), key="sc_tab", bind="query-params")
EVERY_CURVE = "Every curve in the chart"
MORE = f"Turn on *{EVERY_CURVE}*, or narrow the Models filter, to see them."
with tab_frontier:
    if tab_frontier.open:
        every = st.toggle(EVERY_CURVE, key="sc_every_frontier", help=f"Off: the {charts.MAX_LEGEND} most relevant.")
        fig = cached.frontier_figure(
            key, result.dense, scenario.faded_options(result), None if every else charts.MAX_LEGEND
        )
        st.plotly_chart(
            charts.literal_figure(charts.target_line(fig, targets.min_tok_s_user)),
            key="frontier_chart",
            config={"displaylogo": False},
        )
        st.caption(charts.FRONTIER_CAPTION + " " + charts.left_out_text(fig, MORE))
with tab_cost:
    if tab_cost.open:
        if result.priced.empty:
            st.info("No price for this GPU and tier: add one on the Prices page.", icon=":material/sell:")
        else:
            every = st.toggle(EVERY_CURVE, key="sc_every_cost", help=f"Off: the {charts.MAX_LEGEND} cheapest.")
            fig = charts.cost_figure(
                result.priced,
                cost_col,
                cost_label,
                crosses["crossover_concurrency"].head(1).tolist(),
                scenario.faded_options(result),
                limit=None if every else charts.MAX_LEGEND,
            )
            st.plotly_chart(charts.literal_figure(fig), key="cost_chart", config={"displaylogo": False})
            if charts.left_out_text(fig):
                st.caption(charts.left_out_text(fig, MORE))
with tab_table:
    if tab_table.open:
        st.markdown("**Crossover, self-speculation vs AR** (throughput per GPU)")
        w.table(
            cached.derived(  # kept per shared headline (cached.scenario_headline)
                view,
                "crossings_shown",
                lambda: crossings.assign(status=crossings["status"].map(lb.crossover_status_text)),
            ),
            "crossover_table",
            [
                "gpu", "challenger_label", "baseline_label", "status", "last_win_concurrency", "first_loss_concurrency",
                "crossover_concurrency", "advantage_at_min", "advantage_at_max", "like_precision", "uses_estimate",
                "basis",
            ],
            keep=["challenger_profile", "baseline_profile", "baseline_model"],
            alt="Crossover of self-speculation and AR curves",
            shared=True,
        )  # fmt: skip
        if not result.priced.empty:
            st.markdown(f"**Best operating point per curve meeting {slo.describe()}**")
            w.table(
                view.operating,
                "operating_points_table",
                [
                    "option", "concurrency", "point_basis", cost_col, "output_tok_s_per_gpu", "tok_s_user",
                    "ttft_ms_p50", "queue_ms", "running_batch", "badge", "ranked", "slo_note", "check_note", "source",
                ],
                overrides={cost_col: st.column_config.NumberColumn(cost_label, format="$%.3f")},
                alt="Best operating point per curve",
                shared=True,
            )  # fmt: skip

st.caption("Share this scenario: the page address holds every input. Download its table and charts on the Export page.")
