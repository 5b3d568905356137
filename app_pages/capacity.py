"""Capacity: a token volume (per day or month) and a peak-to-average factor, with the scenario's latency
targets, become an operating point per curve, replicas (ceil), GPUs and a monthly bill per mode, GPU and
price offer; a two-band mixed plan (AR at peak, self-speculation off-peak) where it helps; and the monthly
volume at which self-hosting breaks even with an API price per million tokens. A TTFT target is only claimed where
it was checked (sources without TTFT fail it, or pass flagged, per the toggle), and data curves reported at lengths
far from the demand's ISL/OSL give way to estimates at those lengths (toggle).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages import cached, state
from app_pages import widgets as w
from calculator.answers import decision as dc
from calculator.answers import planning
from calculator.data import vocabulary as vb
from calculator.data.schema import TIERS
from calculator.model import capacity as cap
from calculator.model.cost import DEFAULT_DENOMINATOR
from calculator.present import charts, export, links

st.title("Capacity and monthly bill")

points_key, points = state.all_points()
prices_key, prices = state.all_prices()
w.price_age_note(prices)

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
    # Streamlit's number input cannot group digits: the volume as read, with separators, right under it.
    r1[0].caption(f"= {vb.fmt_int(float(volume))} output tokens per {unit} ({vb.fmt_tokens(float(volume))})")
    isl, osl = w.length_inputs()
    # the Decision page's defaults (workload, GPU, tok/s per user), so the same inputs give the same $/M on both pages;
    # the TTFT target is the one Scenario shares (same key and link parameter, so one default: 0 = none): two
    # defaults for one shared key made Capacity's first draw and its rerun disagree after a visit to Scenario
    targets = w.target_inputs(tps_default=round(dc.DEFAULT_TOK_S_USER))
    r3 = st.columns([2, 2, 2, 1.2])
    gpu_options = sorted(set(prices["gpu"]))
    state.url_value_notice("cap_gpu", gpu_options, "GPUs with a price", multi=True)
    sel_gpus = r3[0].multiselect(
        "GPUs",
        gpu_options,
        default=[g for g in dc.DEFAULT_GPUS if g in gpu_options],
        key="cap_gpu",
        bind="query-params",
        placeholder="Every priced GPU",
        help="GPUs without data for a configuration are planned on estimates of it (badged 'estimated', with the "
        "estimator's error), exactly as Compare shows them.",
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
    sel_models = w.model_filter(points["model"], container=r3[2])
    autoscale = r3[3].toggle(
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
if state.cost_settings().denominator != DEFAULT_DENOMINATOR:
    st.info(
        f"The cost denominator ({state.cost_settings().cost_label}) does not apply here: a capacity plan sizes and "
        "bills the fleet for output tokens, and its $/M is per output token.",
        icon=":material/info:",
    )
request = planning.PlanRequest(
    demand=demand, targets=targets, gpus=tuple(sorted(sel_gpus)), tiers=tuple(sorted(sel_tiers)), utilisation=util,
    autoscale=bool(autoscale), models=tuple(sorted(sel_models)),
)  # fmt: skip
errors = cached.estimate_errors_by_mode()
plan = cached.capacity_plan(points_key, prices_key, request, errors, points, prices)
st.caption(cached.derived(plan, "basis_text", lambda: planning.basis_text(plan)))
w.show_notices(plan.notices)
if plan.problems:
    st.caption("; ".join(plan.problems))
if plan.ops.empty:
    st.warning(
        "No curve meets the latency targets within its data range"
        + (f" ({plan.unranked} curve(s) that cannot be checked are not counted)" if plan.unranked else "")
        + ". Relax a target.",
        icon=":material/block:",
    )
    st.stop()
plans = plan.plans
if plans.empty and plan.too_large:
    st.warning(
        f"No plan: every priced curve would need more than {cap.MAX_FLEET_GPUS:,} GPUs for this volume. Lower the "
        "volume or check the uploaded throughput.",
        icon=":material/block:",
    )
    st.stop()
if plans.empty:
    st.warning("No price offer for these GPUs and tiers. Widen the filters or add a price.", icon=":material/sell:")
    st.stop()

best = cached.derived(plans, "best", lambda: plans.iloc[0])
m = st.columns(4)
m[0].metric("Cheapest monthly bill", vb.fmt_usd(best["monthly_usd"], 0), border=True, help="Whole instances, 730 h")
m[1].metric(
    "GPUs billed",
    f"{int(best['gpus_billed']):,}",
    border=True,
    help=f"{planning.fleet_text(best)} at peak; {int(best['instances_offpeak'])} instance(s) off-peak",
)
m[2].metric("Effective $/M output tokens", vb.fmt_usd(best["usd_per_mtok_effective"]), border=True)
m[3].metric("Average fleet utilisation", f"{best['fleet_utilisation']:.0%}", border=True)
st.markdown(vb.escape_dollars(planning.best_plan_text(best)))
w.show_notices(cached.derived(plan, "plan_notices", lambda: planning.plan_notices(plan, best)))

# Lazy tabs (only the open one runs; the chart tab loads Plotly's script): the plans table is the answer.
tab_plans, tab_chart = st.tabs(list(links.TABS["cap_tab"]), key="cap_tab", bind="query-params")
with tab_chart:
    if tab_chart.open:
        st.plotly_chart(
            charts.literal_figure(charts.monthly_bill_figure(planning.cheapest_per_curve(plans))),
            key="capacity_chart",
            config={"displaylogo": False},
        )
single_point = cached.derived(plan, "single_point", plan.single_point_options)
if single_point:
    st.caption(
        f"{len(single_point)} curve(s) have a figure at one concurrency only (e.g. the vendor's batch-1 table), so "
        "their plans run every replica at that concurrency: "
        + ", ".join(single_point[:6])
        + ("…" if len(single_point) > 6 else "")
    )


@st.fragment
def plans_table(plans: pd.DataFrame) -> None:
    """The plans table; its "Every offer" toggle reruns only this fragment (issue 21, load)."""
    every_offer = st.toggle(
        "Every offer",
        value=False,
        key="cap_all_offers",
        help="Off: each curve with its cheapest offer per provider. On: every offer (instance type, region, tier).",
    )
    rows = cached.derived(plans, ("plan_rows", every_offer), lambda: planning.plan_rows(plans, every_offer=every_offer))
    w.table(
        rows,
        "capacity_table",
        [
            "gpu", "curve", "provider", "instance", "tier_label", "monthly_usd", "usd_per_mtok_effective", "badge",
            "est_error", "monthly_usd_low", "monthly_usd_high", "replicas", "gpus_per_replica", "instances",
            "gpus_per_instance", "gpus_billed",
            "replicas_offpeak", "instances_offpeak", "concurrency", "point_basis", "tok_s_user", "ttft_ms_p50",
            "queue_ms", "slo_note", "check_note", "replica_output_tok_s", "fleet_utilisation", "usd_per_gpu_hour",
            "price_as_of", "source",
        ],
        keep=["provenance", "profile_id", "offer_id", "tier", "gpus", "model", "mode"],
        alt="Fleet plans per curve and offer",
        shared=True,  # kept per shared plan (cached.derived)
    )  # fmt: skip


with tab_plans:
    if tab_plans.open:
        plans_table(plans)

with st.expander("Download this plan", icon=":material/download:"):
    plan_table, used_offers = cached.derived(plan, "download", lambda: planning.plan_download(plan, prices))
    name = f"nld-capacity-isl{isl}-osl{osl}"
    for col, ext in zip(st.columns(2), ("csv", "xlsx"), strict=True):
        col.download_button(
            f"Download {export.DOCUMENT_FORMATS[ext]}",
            data=lambda ext=ext: export.document(
                ext, plan_table, planning.plan_assumptions(plan), export.cost_notes(), used_offers,
                title="Capacity plan",
            ),
            file_name=f"{name}.{ext}", mime=export.MIME_TYPES[ext], key=f"cap_dl_{ext}", on_click="ignore",
            icon=":material/download:", width="stretch",
        )  # fmt: skip
    st.caption("Every offer's plan, with the demand, targets, fleet and basis as assumed_* columns (Excel: an "
               "Assumptions sheet), the same file as `python -m calculator plan --out plan.xlsx`.")  # fmt: skip

# ---------------------------------------------------------------------------------------------
st.subheader("Mixed plan: one mode at peak, another off-peak")
mixed = plan.mixed
if mixed.empty:
    st.caption(
        "No mixed plan beats the best single mode for this demand and these targets (with the off-peak fleet "
        "scaled down): run one mode throughout."
    )
else:
    headline_usd = float(plan.plans["monthly_usd"].iloc[0])
    text = planning.mixed_text(mixed.iloc[0], headline_usd, headline_autoscaled=plan.request.autoscale)
    st.markdown(vb.escape_dollars(text))
    w.table(
        mixed,
        "mixed_table",
        [
            "gpu", "provider", "tier", "peak_label", "peak_replicas", "offpeak_label", "offpeak_replicas",
            "mixed_monthly_usd", "best_single_label", "best_single_monthly_usd", "saving_usd", "benefit",
            "peak_tok_s_user", "offpeak_tok_s_user", "best_single_offpeak_tok_s_user", "usd_per_gpu_hour",
        ],
        shared=True,  # plan.mixed: a frame of the shared plan (cached.capacity_plan)
    )  # fmt: skip
st.caption(
    "Mixed plans assume an autoscaled fleet (each band sized on its own mode), so they are made only on rented "
    "on-demand or spot offers: owned and reserved GPUs are paid for all day. Same-weights switching "
    "(NLD AR ↔ self-spec) needs one deployment, different models need two."
)

# ---------------------------------------------------------------------------------------------
st.subheader("Break-even against an API")
b = st.columns([1, 1, 2])
api_out = b[0].number_input(
    "API price, $ per M output tokens (example)",
    min_value=0.001,
    max_value=1000.0,
    value=0.40,
    step=0.05,
    format="%.3f",
    key="api_out",
    bind="query-params",
    help="An example price (0.40 $/M output, 0.10 $/M input), not a quote from any provider: enter your API's price.",
)
api_in = b[1].number_input(
    "API price, $ per M input tokens (example)",
    min_value=0.0,
    max_value=1000.0,
    value=0.10,
    step=0.05,
    format="%.3f",
    key="api_in",
    bind="query-params",
)
be = cached.derived(
    plan,
    ("break_even", demand, api_out, api_in, util),
    lambda: planning.api_break_even(best, demand, api_out=api_out, api_in=api_in, utilisation=util),
)
with b[2]:
    st.caption(
        vb.escape_dollars(
            f"API cost per M output tokens with input at ISL/OSL = {isl}/{osl}: "
            f"**{vb.fmt_usd(be.api_usd_per_mtok_output)}**. Self-hosting ({vb.md(best['option'])}, "
            f"{vb.md(best['provider'])}, "
            "fixed fleet sized for peak, whole instances) costs at least "
            f"**{vb.fmt_usd(be.self_host_usd_per_mtok_at_scale)}** per M output tokens at full instances."
        )
    )
    verdict = vb.escape_dollars(planning.break_even_verdict(be))
    if be.self_hosting_cheaper:
        st.success(verdict, icon=":material/check_circle:")
    else:
        st.warning(verdict, icon=":material/cloud:")
chart = st.expander(
    "Monthly cost against volume (chart)", icon=":material/show_chart:", key="cap_be", on_change="rerun"
)
with chart:
    if chart.open:
        st.plotly_chart(
            charts.literal_figure(charts.break_even_figure(be.curve, demand.output_tokens_per_month)),
            key="breakeven_chart",
            config={"displaylogo": False},
        )
