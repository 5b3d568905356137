"""Capacity: a token volume (per day or month) and a peak-to-average factor, with the scenario's latency
targets, become an operating point per curve, replicas (ceil), GPUs and a monthly bill per mode, GPU and
price offer; a two-band mixed plan (AR at peak, self-speculation off-peak) where it helps; and the monthly
volume at which self-hosting breaks even with an API price per million tokens. A TTFT target is only claimed where
it was checked (sources without TTFT fail it, or pass flagged, per the toggle), and data curves reported at lengths
far from the demand's ISL/OSL give way to estimates at those lengths (toggle).
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from app_pages import cached, state
from app_pages import widgets as w
from calculator import capacity as cap
from calculator import charts, planning
from calculator import labels as lb
from calculator.schema import TIERS

st.title("Capacity and monthly bill")

points_key, points = state.all_points()
prices_key, prices = state.all_prices()

with st.container(border=True):
    r1 = st.columns([1.6, 1, 1, 1])
    volume = r1[0].number_input(
        "Output tokens",
        min_value=1_000_000.0,
        max_value=1e15,
        value=1e9,
        step=1e8,
        format="%.0f",
        key="vol",
        bind="query-params",
        help="Output tokens generated; input tokens ride along at the ISL/OSL ratio (in the curves' rates).",
    )
    unit = r1[1].segmented_control(
        "Per", ["day", "month"], default="day", required=True, key="vol_unit", bind="query-params"
    )
    peak = r1[2].number_input(
        "Peak-to-average factor",
        min_value=1.0,
        max_value=24.0,
        value=2.0,
        step=0.5,
        key="peak",
        bind="query-params",
        help="Peak demand / average demand. The fleet is sized for the peak.",
    )
    peak_hours = r1[3].number_input(
        "Peak hours per day",
        min_value=1.0,
        max_value=24.0,
        value=8.0,
        step=1.0,
        key="peak_h",
        bind="query-params",
        help="The day is modelled as peak hours at the peak rate and the rest at the rate that keeps the average.",
    )
    isl, osl = w.length_inputs()
    targets = w.target_inputs()
    r3 = st.columns([2, 2, 1.2])
    gpu_options = sorted(set(points["gpu"]) & set(prices["gpu"]))
    state.url_value_notice("cap_gpu", gpu_options, "GPUs with data and a price", multi=True)
    sel_gpus = r3[0].multiselect(
        "GPUs", gpu_options, key="cap_gpu", bind="query-params", placeholder="All GPUs with data and a price"
    )
    tier_options = [t for t in TIERS if t in set(prices["tier"])]
    state.url_value_notice("cap_tier", tier_options, "price tiers with an offer", multi=True)
    sel_tiers = r3[1].multiselect(
        "Price tiers",
        tier_options,
        default=["on_demand"],
        key="cap_tier",
        bind="query-params",
        placeholder="All tiers",
    )
    autoscale = r3[2].toggle(
        "Scale down off-peak",
        value=False,
        key="autoscale",
        bind="query-params",
        help="Off: a fixed fleet sized for peak runs 730 h/month. On: the off-peak hours run a smaller fleet.",
    )

try:
    per_month = float(volume) * (cap.DAYS_PER_MONTH if unit == "day" else 1.0)
    demand = cap.Demand(
        output_tokens_per_month=per_month,
        peak_to_average=float(peak),
        peak_hours_per_day=float(peak_hours),
        isl=isl,
        osl=osl,
    )
except ValueError as e:
    st.error(f"Demand: {e}", icon=":material/error:")
    st.stop()

util = state.utilisation()
slo = targets.slo()
request = planning.PlanRequest(
    demand=demand, targets=targets, gpus=tuple(sorted(sel_gpus)), tiers=tuple(sorted(sel_tiers)), utilisation=util,
    autoscale=bool(autoscale),
)  # fmt: skip
plan = cached.capacity_plan(points_key, prices_key, request, points, prices)
checks = plan.checks

if targets.max_ttft_ms:
    n_unchecked = int((checks["ttft_unchecked"] & checks["ranked"]).sum())
    ttft_basis = (
        f" TTFT p50 <= {targets.max_ttft_ms:,.0f} ms is checked only where a source reports TTFT (and on estimates); "
        + (
            "curves without it are left out."
            if targets.strict
            else f"**{n_unchecked} curve(s) are planned without a TTFT check**."
        )
    )
else:
    ttft_basis = ""
st.caption(
    f"Basis: a month is 730 h ({cap.DAYS_PER_MONTH:.2f} days). Average {demand.average_output_tok_s:,.0f} output "
    f"tok/s, peak {demand.peak_output_tok_s:,.0f} tok/s for {peak_hours:g} h/day, off-peak "
    f"{demand.offpeak_output_tok_s:,.0f} tok/s. Each replica runs at its best concurrency meeting the targets "
    f"({slo.describe()}), loaded to {util:.0%} of its throughput there at peak (utilisation, sidebar); "
    f"replicas = ceil(peak / (replica tok/s x utilisation)).{ttft_basis}"
)
w.show_notices(plan.notices)
differ = plan.differ
if plan.problems:
    st.caption("Not estimated: " + "; ".join(plan.problems))

if plan.ops.empty:
    st.warning(
        "No curve meets the latency targets within its data range"
        + (f" ({plan.unranked} curve(s) that cannot be checked are not counted)" if plan.unranked else "")
        + ". Relax a target.",
        icon=":material/block:",
    )
    st.stop()
plans = plan.plans
if plans.empty:
    st.warning("No price offer for these GPUs and tiers. Widen the filters or add a price.", icon=":material/sell:")
    st.stop()
flags = checks.set_index("profile_id")

best = plans.iloc[0]
m = st.columns(4)
m[0].metric("Cheapest monthly bill", lb.fmt_usd(best["monthly_usd"], 0), border=True)
m[1].metric("GPUs", f"{int(best['gpus']):,}", border=True, help=f"{int(best['replicas'])} replica(s) at peak")
m[2].metric("Effective $/M output tokens", lb.fmt_usd(best["usd_per_mtok_effective"]), border=True)
m[3].metric("Average fleet utilisation", f"{best['fleet_utilisation']:.0%}", border=True)
best_ttft = f"TTFT p50 {best['ttft_ms_p50']:,.0f} ms" if bool(best["ttft_known"]) else "TTFT not reported by the source"
st.caption(
    f"Cheapest: **{best['option']}** at concurrency {int(best['concurrency'])} ({best['point_basis']}, "
    f"{best['tok_s_user']:,.0f} tok/s per user, {best_ttft}) on {best['provider']} {best['instance']} "
    f"({best['tier_label']}, ${best['usd_per_gpu_hour']:,.3f}/GPU-h as of {best['price_as_of']}); provenance: "
    f"{best['provenance_label']}" + (", pre-release checkpoint" if best["prerelease"] else "") + "."
)
if targets.max_ttft_ms and not bool(best["ttft_known"]):
    st.warning(
        f"**TTFT target not checked for this plan**: its source reports no TTFT, so nothing says it meets "
        f"{targets.max_ttft_ms:,.0f} ms. Turn on *Treat unchecked targets as failed* to plan only with checked curves "
        "and estimates.",
        icon=":material/timer_off:",
    )
if best["profile_id"] in set(differ["profile_id"]):
    st.warning(
        f"**Your lengths are not reflected in this plan**: {flags.loc[best['profile_id'], 'lengths_note']}. Turn on "
        "*Prefer estimates at your lengths* to plan with estimated curves at your ISL/OSL.",
        icon=":material/straighten:",
    )

# Chart: monthly bill of the cheapest offer per curve.
fig = charts.monthly_bill_figure(planning.cheapest_per_curve(plans))
st.plotly_chart(fig, key="capacity_chart", config={"displaylogo": False})
single_point = plan.single_point_options()
if single_point:
    st.caption(
        f"{len(single_point)} curve(s) have a figure at one concurrency only (e.g. the vendor's batch-1 table), so "
        "their plans run every replica at that concurrency: "
        + ", ".join(single_point[:6])
        + ("…" if len(single_point) > 6 else "")
    )

st.dataframe(
    lb.dash_missing(plans, {"ttft_ms_p50": "%,.0f"}),
    key="capacity_table",
    hide_index=True,
    column_order=[
        "gpu",
        "curve",
        "concurrency",
        "point_basis",
        "tok_s_user",
        "ttft_ms_p50",
        "slo_note",
        "check_note",
        "replica_output_tok_s",
        "replicas",
        "replicas_offpeak",
        "gpus",
        "monthly_usd",
        "usd_per_mtok_effective",
        "fleet_utilisation",
        "provider",
        "instance",
        "tier_label",
        "usd_per_gpu_hour",
        "price_as_of",
        "badge",
        "source",
    ],
    column_config={
        "gpu": "GPU",
        "curve": "Model mode precision",
        "concurrency": st.column_config.NumberColumn("Concurrency", format="%d"),
        "point_basis": st.column_config.TextColumn(
            "Point", help="data point (the source reports it), interpolated (between two), or estimated"
        ),
        "tok_s_user": st.column_config.NumberColumn("Tok/s per user", format="%,.1f"),
        "ttft_ms_p50": st.column_config.TextColumn("TTFT p50 (ms)"),
        "slo_note": st.column_config.TextColumn("TTFT check"),
        "check_note": st.column_config.TextColumn("What could be checked", width="medium"),
        "replica_output_tok_s": w.rate_column("Replica output tok/s"),
        "replicas": st.column_config.NumberColumn("Replicas (peak)", format="%d"),
        "replicas_offpeak": st.column_config.NumberColumn("Replicas (off-peak)", format="%d"),
        "gpus": st.column_config.NumberColumn("GPUs", format="%,d"),
        "monthly_usd": st.column_config.NumberColumn("Monthly bill", format="$%,.0f"),
        "usd_per_mtok_effective": w.usd_column("Effective $/M output", "Monthly bill / monthly output tokens x 1e6"),
        "fleet_utilisation": st.column_config.NumberColumn("Fleet utilisation", format="percent"),
        "provider": "Provider",
        "instance": "Instance",
        "tier_label": "Tier",
        "usd_per_gpu_hour": st.column_config.NumberColumn("$/GPU-hour", format="$%.3f"),
        "price_as_of": "Price as of",
        "badge": w.provenance_column(),
        "source": st.column_config.TextColumn("Throughput source", width="medium"),
    },
)

# ---------------------------------------------------------------------------------------------
st.subheader("Mixed plan: one mode at peak, another off-peak")
mixed = plan.mixed
if mixed.empty:
    st.caption(
        "No mixed plan beats the best single mode for this demand and these targets (with the off-peak fleet "
        "scaled down): run one mode throughout."
    )
else:
    top = mixed.iloc[0]
    st.markdown(
        lb.escape_dollars(
            f"**{top['gpu']} on {top['provider']} ({lb.tier_label(top['tier'])})**: "
            f"{top['peak_label']} at peak ({int(top['peak_replicas'])} replica(s)), {top['offpeak_label']} off-peak "
            f"({int(top['offpeak_replicas'])}): {lb.fmt_usd(top['mixed_monthly_usd'], 0)}/month vs "
            f"{lb.fmt_usd(top['best_single_monthly_usd'], 0)} for {top['best_single_label']} throughout "
            f"({top['benefit']}; off-peak {top['offpeak_tok_s_user']:,.0f} vs "
            f"{top['best_single_offpeak_tok_s_user']:,.0f} tok/s per user)."
            + ("" if top["same_model"] else " The two modes are different models: both must be deployed.")
        )
    )
    st.dataframe(
        mixed,
        key="mixed_table",
        hide_index=True,
        column_config={
            "mixed_monthly_usd": st.column_config.NumberColumn("Mixed monthly", format="$%,.0f"),
            "best_single_monthly_usd": st.column_config.NumberColumn("Best single monthly", format="$%,.0f"),
            "saving_usd": st.column_config.NumberColumn("Saving", format="$%,.0f"),
            "usd_per_gpu_hour": st.column_config.NumberColumn("$/GPU-hour", format="$%.3f"),
            "peak_tok_s_user": st.column_config.NumberColumn("Peak tok/s per user", format="%,.0f"),
            "offpeak_tok_s_user": st.column_config.NumberColumn("Off-peak tok/s per user", format="%,.0f"),
            "best_single_offpeak_tok_s_user": st.column_config.NumberColumn(
                "Single-mode off-peak tok/s per user", format="%,.0f"
            ),
        },
    )
st.caption(
    "Mixed plans assume an autoscaled fleet (each band sized on its own mode); same-weights switching "
    "(NLD AR ↔ self-spec) needs one deployment, different models need two."
)

# ---------------------------------------------------------------------------------------------
st.subheader("Break-even against an API")
b = st.columns([1, 1, 2])
api_out = b[0].number_input(
    "API price, $ per M output tokens",
    min_value=0.001,
    max_value=1000.0,
    value=0.40,
    step=0.05,
    format="%.3f",
    key="api_out",
    bind="query-params",
)
api_in = b[1].number_input(
    "API price, $ per M input tokens",
    min_value=0.0,
    max_value=1000.0,
    value=0.10,
    step=0.05,
    format="%.3f",
    key="api_in",
    bind="query-params",
)
be = planning.api_break_even(best, demand, api_out=api_out, api_in=api_in, utilisation=util)
with b[2]:
    st.caption(
        lb.escape_dollars(
            f"API cost per M output tokens with input at ISL/OSL = {isl}/{osl}: "
            f"**{lb.fmt_usd(be.api_usd_per_mtok_output)}**. "
            f"Self-hosting ({best['option']}, {best['provider']}, fixed fleet sized for peak) costs at least "
            f"**{lb.fmt_usd(be.self_host_usd_per_mtok_at_scale)}** per M output tokens at full replicas."
        )
    )
    if np.isnan(be.break_even_tokens_per_month):
        st.warning("Self-hosting never breaks even with this API price at this peak factor.", icon=":material/block:")
    else:
        st.success(
            f"Break-even at **{lb.fmt_tokens(be.break_even_tokens_per_month)} output tokens/month**; self-hosting "
            f"is cheaper at every volume above **{lb.fmt_tokens(be.cheaper_above_tokens_per_month)}**/month. "
            f"Your volume: {lb.fmt_tokens(demand.output_tokens_per_month)}/month.",
            icon=":material/check_circle:",
        )
st.plotly_chart(
    charts.break_even_figure(be.curve, demand.output_tokens_per_month), key="breakeven_chart",
    config={"displaylogo": False},
)  # fmt: skip
