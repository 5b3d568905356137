"""A capacity plan from a token demand and latency targets: the curves of the chosen priced GPUs (data; estimates,
as Compare adds them, where a GPU has no data for a reference configuration; estimated counterparts at the demand's
lengths for data curves that cannot be checked), each run at its best concurrency meeting the targets, sized into
replicas, whole instances and GPUs and billed per offer (calculator/model/capacity.py); the two-band mixed plan; and the
break-even against an API price. The Capacity page and the `plan` command run exactly this.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from calculator.answers.checks import (
    EST_CONCURRENCY,
    Notice,
    Targets,
    check_notices,
    eligible_for_cheapest,
    lengths_warning,
    with_counterparts,
    with_error_range,
)
from calculator.data.catalog import Catalog, concat_points
from calculator.data.vocabulary import md
from calculator.model import capacity as cap
from calculator.model import frontier
from calculator.model.estimator import gap_estimates
from calculator.model.goodput_slo import UserLimits, run_slo_text
from calculator.model.modes import long_context_note
from calculator.model.naming import curve_names, with_names


@dataclass(frozen=True)
class PlanRequest:
    """What to plan for: the demand, the targets, which GPUs (empty = every priced GPU) and price tiers (empty =
    all), the utilisation a replica is loaded to at peak, whether the fleet scales down off-peak, and whether GPUs
    without data for a reference configuration are planned on estimates of it (as Compare shows them)."""

    demand: cap.Demand
    targets: Targets
    gpus: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ("on_demand",)
    utilisation: float = 1.0
    autoscale: bool = False
    with_estimates: bool = True
    models: tuple[str, ...] = ()  # only these models' curves (empty: every model)

    @property
    def isl(self) -> int:
        return int(self.demand.isl or 1024)

    @property
    def osl(self) -> int:
        return int(self.demand.osl or 1024)


@dataclass
class CapacityPlan:
    """Every curve's operating point, the fleet plans (cheapest first), the mixed plans, and what was checked."""

    request: PlanRequest
    points: pd.DataFrame
    dense: pd.DataFrame
    checks: pd.DataFrame
    names: Mapping[str, str]
    notices: list[Notice]
    differ: pd.DataFrame
    problems: list[str]
    ops: pd.DataFrame = field(default_factory=pd.DataFrame)
    plans: pd.DataFrame = field(default_factory=pd.DataFrame)
    mixed: pd.DataFrame = field(default_factory=pd.DataFrame)
    too_large: list[str] = field(default_factory=list)  # curves an offer prices that would need a fleet past the cap

    @property
    def unranked(self) -> int:
        return int((~self.checks["ranked"]).sum()) if not self.checks.empty else 0

    def single_point_options(self) -> list[str]:
        """Options of curves with a figure at one concurrency only (every replica then runs at it)."""
        if self.ops.empty:
            return []
        n_conc = self.points.groupby("profile_id")["concurrency"].nunique()
        single = n_conc[n_conc == 1].index
        return sorted(set(self.ops.loc[self.ops["profile_id"].isin(single), "option"]))


def plan_capacity(
    catalog: Catalog,
    points: pd.DataFrame,
    prices: pd.DataFrame,
    request: PlanRequest,
    estimate_errors: Mapping[str, str] | None = None,
    error_table: pd.DataFrame | None = None,
) -> CapacityPlan:
    """Curves → operating points → fleet plans per offer → mixed plans (see the module docstring).

    `estimate_errors` maps a mode to the estimator's error text; plans on estimates carry it (column est_error);
    with `error_table` (estimate_errors.estimate_errors) they also carry it as est_error_pct and their bill and $/M
    as ranges (checks.with_error_range: monthly_usd_low/_high, usd_per_mtok_effective_low/_high)."""
    return plan_fleets(plan_curves(catalog, points, prices, request), prices, request, estimate_errors, error_table)


@dataclass
class PlanCurves:
    """What a plan's fleets are computed from (plan_curves): the plan without fleets, its operating points before
    naming, and the curve names."""

    plan: CapacityPlan
    ops: pd.DataFrame
    names: pd.DataFrame


def curves_request(request: PlanRequest) -> PlanRequest:
    """The part of a request its curves and operating points depend on (plan_curves): not the volume, utilisation,
    tiers or autoscaling, so that a change of those reuses them (the app caches plan_curves on this)."""
    demand = cap.Demand(output_tokens_per_month=1.0, isl=request.isl, osl=request.osl)
    return PlanRequest(
        demand=demand,
        targets=request.targets,
        gpus=request.gpus,
        with_estimates=request.with_estimates,
        models=request.models,
    )


def plan_curves(catalog: Catalog, points: pd.DataFrame, prices: pd.DataFrame, request: PlanRequest) -> PlanCurves:
    """The pool, the checks, the dense curves and every curve's operating point at the targets; no fleets yet
    (plan_fleets). Depends on `prices` only through the set of priced GPUs, and on the request only through
    curves_request(request)."""
    isl, osl, targets = request.isl, request.osl, request.targets
    # 1. The pool: the chosen GPUs' curves, estimates where a GPU lacks a reference configuration, estimated
    #    counterparts at the demand's lengths, and what could be checked (checks: one pass).
    pts, checks, problems = _plan_pool(catalog, points, prices, request)
    names = curve_names(pts)  # named once; every frame below takes its names from here
    name_of = {str(k): str(v) for k, v in names["option"].items()}
    notices, differ = check_notices(checks, targets, isl, osl, name_of)
    if long_context_note(isl):
        notices.append(Notice(long_context_note(isl), ":material/info:"))
    # 2. The curves between their data points (model: frontier).
    filled = frontier.fill_lengths(pts, isl, osl).reset_index(drop=True)
    dense = frontier.with_rates(frontier.interpolate_points(filled))
    plan = CapacityPlan(
        request=request, points=pts, dense=dense, checks=checks, names=name_of, notices=notices, differ=differ,
        problems=problems,
    )  # fmt: skip
    # 3. Operating points (model: capacity), unnamed until the end.
    ranked_ids = set(checks.loc[checks["ranked"], "profile_id"])
    ops = cap.operating_points(dense[dense["profile_id"].isin(ranked_ids)], targets.slo(), require_ttft=targets.strict)
    if not ops.empty:
        ops["label"] = ops["profile_id"].map(name_of).to_numpy()
        ops["check_note"] = ops["profile_id"].map(checks.set_index("profile_id")["check_note"]).to_numpy()
        plan.ops = with_names(ops, names)
    return PlanCurves(plan=plan, ops=ops, names=names)


def plan_fleets(
    curves: PlanCurves,
    prices: pd.DataFrame,
    request: PlanRequest,
    estimate_errors: Mapping[str, str] | None = None,
    error_table: pd.DataFrame | None = None,
) -> CapacityPlan:
    """Fleets per offer and mixed plans on the operating points of plan_curves: a new plan (`curves` is left as
    it was, so one PlanCurves serves every volume, utilisation, tier choice and autoscaling)."""
    plan = replace(curves.plan, request=request)
    ops, names, util, dense = curves.ops, curves.names, request.utilisation, curves.plan.dense
    if ops.empty:
        return plan
    offers = prices[prices["tier"].isin(request.tiers)] if request.tiers else prices
    # Goodput only where the run's objectives are at least as strict as the user's targets (model: goodput_slo)
    limits = UserLimits.from_targets(request.targets.max_ttft_ms, request.targets.min_tok_s_user)
    plans = cap.fleet_plans(
        ops, offers, request.demand, utilisation=util, autoscale=request.autoscale, user_limits=limits
    )
    auto = (
        plans
        if request.autoscale
        else cap.fleet_plans(ops, offers, request.demand, utilisation=util, autoscale=True, user_limits=limits)
    )
    # fleet_plans drops a fleet past MAX_FLEET_GPUS (no plan): a priced curve without any plan is said, not lost.
    priced = ops[ops["gpu"].isin(set(offers["gpu"]))]
    gone = priced[~priced["profile_id"].isin(set(plans["profile_id"]))] if not plans.empty else priced
    if not gone.empty:
        plan.too_large = sorted({str(x) for x in gone["label"]})
        more = len(plan.too_large) - 5
        shown = ", ".join(plan.too_large[:5]) + (f" and {more} more" if more > 0 else "")
        plan.notices = [
            *plan.notices,
            Notice(
                f"**Not planned**: {len(plan.too_large)} curve(s) would need more than {cap.MAX_FLEET_GPUS:,} GPUs "
                f"for this volume (their throughput is too low for it): {md(shown, 1000)}.",
                ":material/block:",
            ),
        ]
    # 4. Named once, at the end.
    if plans.empty:
        return plan
    plans = with_names(plans, names)
    # A weight-only estimate (fp8 without fp8 tensor cores) is never the headline plan: listed after the others.
    plans["eligible"] = eligible_for_cheapest(plans).to_numpy()
    plans = plans.sort_values(["eligible", "monthly_usd"], ascending=[False, True], kind="stable")
    plans = plans.reset_index(drop=True)
    errors = estimate_errors or {}
    is_est = (plans["provenance"].astype(object) == "estimated").to_numpy()
    modes = plans["mode"].astype(str).to_numpy()
    plans["est_error"] = [errors.get(m, errors.get("all", "")) if e else "" for m, e in zip(modes, is_est, strict=True)]
    if error_table is not None:
        plans = with_error_range(plans, error_table, "monthly_usd")
        plans = with_error_range(plans, error_table, "usd_per_mtok_effective")
    plan.plans = plans
    mixed = cap.mixed_plans(auto, request.demand, dense)
    # A mixed plan is worth showing only where it beats (or ties, faster) the cheapest plan of all, not merely the
    # best single mode of its own offer.
    plan.mixed = mixed[mixed["mixed_monthly_usd"] <= plan.plans["monthly_usd"].min() + 1e-6].reset_index(drop=True)
    return plan


def _plan_pool(
    catalog: Catalog, points: pd.DataFrame, prices: pd.DataFrame, request: PlanRequest
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """The curves a plan chooses from: the priced GPUs' points (those asked for), estimates for a GPU without data
    for a reference configuration (as Compare adds them), and estimated counterparts at the demand's lengths of data
    curves that cannot be checked; with the checks table and any problem said in words."""
    priced = sorted(set(prices["gpu"]))
    gpus = [g for g in priced if not request.gpus or g in request.gpus]
    pts = points[points["gpu"].isin(gpus)]
    if request.models:
        pts = pts[pts["model"].isin(request.models)]
    pts = pts.reset_index(drop=True)
    problems: list[str] = []
    known = {g.id for g in catalog.gpu_specs}
    if request.with_estimates and any(g in known for g in gpus):
        try:
            est = gap_estimates(
                catalog,
                points,
                isl=request.isl,
                osl=request.osl,
                gpus=[g for g in gpus if g in known],
                concurrency=EST_CONCURRENCY,
            )
        except (ValueError, LookupError) as e:
            problems.append(str(e).splitlines()[0][:200])
        else:
            est = est[est["model"].isin(request.models)] if request.models and not est.empty else est
            pts = concat_points([pts, est]) if not est.empty else pts
    pts, checks, more = with_counterparts(catalog, pts, isl=request.isl, osl=request.osl, targets=request.targets)
    return pts, checks, problems + more


PLAN_EXPORT_COLUMNS = [
    "gpu", "model", "mode", "precision", "block_size", "provider", "instance", "tier", "concurrency", "point_basis",
    "tok_s_user", "ttft_ms_p50", "queue_ms", "running_batch", "replicas", "gpus_per_replica", "gpus", "instances",
    "gpus_per_instance", "gpus_billed", "replicas_offpeak", "instances_offpeak", "replica_output_tok_s", "sized_on",
    "replica_goodput_tok_s", "goodput_slo_note", "monthly_usd",
    "monthly_usd_low", "monthly_usd_high", "usd_per_mtok_effective", "fleet_utilisation", "usd_per_gpu_hour",
    "price_as_of", "provenance", "est_error", "est_error_pct", "source", "check_note", "profile_id", "offer_id",
]  # fmt: skip
"""The columns of a plan as `plan` prints it and the Capacity page downloads it."""


def plan_assumptions(plan: CapacityPlan) -> dict[str, object]:
    """The plan's inputs and basis as named assumptions (the assumed_* columns of its CSV, the Assumptions sheet of its
    Excel file): demand, lengths, targets, GPUs, tiers, utilisation, scaling, estimates, and the basis in words."""
    r, d, t = plan.request, plan.request.demand, plan.request.targets
    return {
        "view": "Capacity plan",
        "output tokens per month": d.output_tokens_per_month,
        "peak / average": d.peak_to_average,
        "peak hours per day": d.peak_hours_per_day,
        "ISL tokens": r.isl,
        "OSL tokens": r.osl,
        "min tok/s per user": t.min_tok_s_user or 0.0,
        "max TTFT p50 ms": t.max_ttft_ms or 0.0,
        "unchecked targets fail": t.strict,
        "estimates at your lengths": t.est_len,
        "gpus": list(r.gpus) or "every priced GPU",
        "models": list(r.models) or "all",
        "price tiers": list(r.tiers) or "all",
        "utilisation": r.utilisation,
        "fleet": "autoscaled off-peak (rented tiers only)" if r.autoscale else "fixed, sized for peak, 730 h",
        "estimates for GPUs without data": r.with_estimates,
        "operating point": "lowest concurrency within 2 % of the best throughput per GPU, never KV-capped queueing",
        "basis": basis_text(plan).replace("**", ""),
    }


def cheapest_per_curve(plans: pd.DataFrame) -> pd.DataFrame:
    """The cheapest offer's plan per curve, dearest first (for a bar chart)."""
    return plans.groupby("option", sort=False).head(1).sort_values("monthly_usd", ascending=False)


@dataclass(frozen=True)
class BreakEven:
    """Self-hosting the cheapest plan against an API: the API's $/M output tokens with input folded in, the
    break-even volumes (capacity.break_even) and a monthly cost curve over a volume grid."""

    api_usd_per_mtok_output: float
    self_host_usd_per_mtok_at_scale: float
    break_even_tokens_per_month: float
    cheaper_above_tokens_per_month: float
    curve: pd.DataFrame
    volume_tokens_per_month: float
    self_host_usd_at_volume: float  # the fixed fleet (whole instances, sized for peak) at the demand's volume
    api_usd_at_volume: float

    @property
    def self_hosting_cheaper(self) -> bool:
        return self.self_host_usd_at_volume < self.api_usd_at_volume


def api_break_even(
    plan: pd.Series, demand: cap.Demand, *, api_out: float, api_in: float, utilisation: float
) -> BreakEven:
    """Break-even of one plan row (a fixed fleet sized for peak) against an API priced per M output and input."""
    api_per_out = cap.api_usd_per_mtok_output(api_out, api_in, demand.isl, demand.osl)
    be = cap.break_even(plan.to_frame().T, demand, api_per_out, utilisation=utilisation).iloc[0]
    above = float(be["cheaper_above_tokens_per_month"])
    hi = max(demand.output_tokens_per_month, np.nan_to_num(above, nan=0.0)) * 4
    grid = np.geomspace(max(1e6, hi / 1e4), max(hi, 1e7), 400)
    grid = np.union1d(grid, [demand.output_tokens_per_month])
    curve = cap.cost_curve(
        grid,
        replica_output_tok_s=float(plan["output_tok_s"]),
        gpus_per_replica=int(plan["gpus_per_replica"]),
        usd_per_gpu_hour=float(plan["usd_per_gpu_hour"]),
        peak_to_average=float(demand.peak_to_average),
        api_usd_per_mtok=api_per_out,
        utilisation=utilisation,
        gpus_per_instance=int(plan.get("gpus_per_instance", 1) or 1),
    )
    at = curve[curve["output_tokens_per_month"] == demand.output_tokens_per_month]
    return BreakEven(
        api_usd_per_mtok_output=api_per_out,
        self_host_usd_per_mtok_at_scale=float(be["self_host_usd_per_mtok_at_scale"]),
        break_even_tokens_per_month=float(be["break_even_tokens_per_month"]),
        cheaper_above_tokens_per_month=above,
        curve=curve,
        volume_tokens_per_month=demand.output_tokens_per_month,
        self_host_usd_at_volume=float(at["self_host_usd"].iloc[0]),
        api_usd_at_volume=float(at["api_usd"].iloc[0]),
    )


# ---------------------------------------------------------------------------------------------
# What the plan says in words (the page and the CLI's Markdown say the same)


def basis_text(plan: CapacityPlan) -> str:
    """How the plan was sized: month, demand levels, operating point, utilisation, replicas and instances."""
    d, t, util = plan.request.demand, plan.request.targets, plan.request.utilisation
    text = (
        f"Basis: a month is 730 h ({cap.DAYS_PER_MONTH:.2f} days). Average {d.average_output_tok_s:,.0f} output "
        f"tok/s, peak {d.peak_output_tok_s:,.0f} tok/s for {d.peak_hours_per_day:g} h/day, off-peak "
        f"{d.offpeak_output_tok_s:,.0f} tok/s. Each replica runs at its best concurrency meeting the targets "
        f"({t.slo().describe()}), loaded to {util:.0%} of its throughput there at peak (utilisation); replicas = "
        "ceil(peak / (replica tok/s x utilisation)), rented as whole instances of the offer (an 8-GPU instance holds "
        "eight 1-GPU replicas; a replica wider than an instance spans several), billed per instance."
    )
    if t.max_ttft_ms:
        checks = plan.checks
        n_unchecked = int((checks["ttft_unchecked"] & checks["ranked"]).sum()) if not checks.empty else 0
        text += (
            f" TTFT p50 <= {t.max_ttft_ms:,.0f} ms is checked only where a source reports TTFT (and on estimates); "
            + ("curves without it are left out." if t.strict else f"**{n_unchecked} curve(s) are planned without a "
               "TTFT check**.")
        )  # fmt: skip
    return text


def fleet_text(row: pd.Series) -> str:
    """ "3 replicas x 2 GPUs = 6 GPUs in 1 instance of 8 GPUs (8 billed)" for a plan row."""
    replicas, gpr = int(row["replicas"]), int(row["gpus_per_replica"])
    instances, billed = int(row["instances"]), int(row["gpus_billed"])
    gpi = int(row.get("gpus_per_instance", 1) or 1)
    text = f"{replicas} replica(s) x {gpr} GPU(s) = {int(row['gpus'])} GPU(s)"
    if gpi > 1 or instances != int(row["gpus"]):
        text += f" in {instances} instance(s) of {gpi} GPU(s) ({billed} billed)"
    return text


def plan_notices(plan: CapacityPlan, best: pd.Series) -> list[Notice]:
    """What the cheapest plan could not check: a TTFT target on a source without TTFT, lengths not reflected."""
    t = plan.request.targets
    out: list[Notice] = []
    if t.max_ttft_ms and not bool(best["ttft_known"]):
        out.append(
            Notice(
                f"**TTFT target not checked for this plan**: its source reports no TTFT, so nothing says it meets "
                f"{t.max_ttft_ms:,.0f} ms. Turn on *Treat unchecked targets as failed* to plan only with checked "
                "curves and estimates.",
                ":material/timer_off:",
            )
        )
    if best["profile_id"] in set(plan.differ["profile_id"]):  # lengths differ or are not stated
        row = plan.checks.set_index("profile_id").loc[best["profile_id"]]
        out.append(
            Notice(
                lengths_warning(str(row["lengths_status"]), str(row["lengths_note"]), "plan")
                + " Turn on *Prefer estimates at your lengths* to plan with estimated curves at your ISL/OSL.",
                ":material/straighten:",
            )
        )
    return out


def break_even_verdict(be: BreakEven) -> str:
    """Which is cheaper at the user's volume, in words (the fixed fleet's bill there, whole instances sized for peak,
    against the API's), then where self-hosting breaks even. be.self_hosting_cheaper gives the colour."""
    from calculator.data.vocabulary import fmt_tokens, fmt_usd

    at_volume = (
        f"At your volume ({fmt_tokens(be.volume_tokens_per_month)} output tokens/month) "
        + ("**self-hosting is cheaper**" if be.self_hosting_cheaper else "**the API is cheaper**")
        + f": {fmt_usd(be.self_host_usd_at_volume, 0)}/month self-hosted (fixed fleet) vs "
        f"{fmt_usd(be.api_usd_at_volume, 0)}/month on the API."
    )
    if np.isnan(be.break_even_tokens_per_month):
        return at_volume + " Self-hosting never breaks even with this API price at this peak factor."
    first, steady = be.break_even_tokens_per_month, be.cheaper_above_tokens_per_month
    if steady <= first * (1 + 1e-9):
        return at_volume + f" Self-hosting is cheaper at every volume above {fmt_tokens(first)} output tokens/month."
    return (
        at_volume
        + f" Self-hosting first costs what the API does at {fmt_tokens(first)} output tokens/month; because the fleet "
        f"grows in whole instances, it is cheaper at every volume only above {fmt_tokens(steady)}/month (below that, "
        "it depends on how full the last instance is)."
    )


def best_plan_text(best: pd.Series) -> str:
    """The cheapest plan in one sentence: curve, operating point, offer, fleet, provenance (and estimate error)."""
    ttft = f"TTFT p50 {best['ttft_ms_p50']:,.0f} ms" if bool(best["ttft_known"]) else "TTFT not reported by the source"
    est = f", off by {best['est_error']} on a source it has not seen" if best.get("est_error") else ""
    return (
        f"Cheapest: **{md(best['option'])}** at concurrency {int(best['concurrency'])} ({best['point_basis']}, "
        f"{best['tok_s_user']:,.0f} tok/s per user, {ttft}) on **{md(best['provider'])} {md(best['instance'])}** "
        f"({best['tier_label']}, ${best['usd_per_gpu_hour']:,.3f}/GPU-h as of {best['price_as_of']}): "
        f"{fleet_text(best)}{goodput_text(best)}. Provenance: {best['provenance_label']}"
        + (", pre-release checkpoint" if best["prerelease"] else "")
        + est
        + "."
    )


def goodput_text(row: pd.Series) -> str:
    """ ", sized on goodput: ..." where a row's replicas were sized on the requests that met the run's SLOs (at least
    as strict as the user's targets); ", sized on throughput: ..." where the file's goodput was not used and why."""
    note = row.get("goodput_slo_note")
    if row.get("sized_on") != "goodput":
        if isinstance(note, str) and note:
            return f", sized on throughput ({note}: its goodput counted requests your targets would not accept)"
        return ""
    run = run_slo_text(row)
    return (
        f", **sized on goodput**: {row['replica_goodput_tok_s']:,.0f} of the replica's "
        f"{row['replica_output_tok_s']:,.0f} output tok/s came from requests that met the run's SLOs"
        + (f" ({run}, at least as strict as your targets)" if run else "")
        + " (the file's goodput), so replicas are counted on that, not on raw throughput"
    )


def mixed_text(top: pd.Series, headline_usd: float | None = None, *, headline_autoscaled: bool = False) -> str:
    """The best mixed plan in one sentence, and how it relates to the headline (the cheapest plan's bill,
    `headline_usd`): a mixed plan is an autoscaled fleet on rented GPUs, compared with the best single mode autoscaled
    the same way; a fixed headline fleet runs its peak size all month, so part of the gap is autoscaling alone."""
    from calculator.data.vocabulary import fmt_usd, tier_label

    relation = ""
    if headline_usd is not None:
        single = float(top["best_single_monthly_usd"])
        relation = (
            f" Both bands run on rented {tier_label(str(top['tier']))} GPUs scaled down off-peak (owned and reserved "
            "GPUs cannot be handed back, so they never get a mixed plan). "
            + (
                f"The headline bill above ({fmt_usd(headline_usd, 0)}) is an autoscaled fleet too."
                if headline_autoscaled
                else f"The headline bill above ({fmt_usd(headline_usd, 0)}) is a fixed fleet sized for peak all "
                f"month; scaling down off-peak alone takes one mode to {fmt_usd(single, 0)}, and mixing modes "
                f"saves {fmt_usd(float(top['saving_usd']), 0)} more."
            )
        )
    return (
        f"**{top['gpu']} on {md(top['provider'])} ({tier_label(str(top['tier']))})**: {md(top['peak_label'])} at peak "
        f"({int(top['peak_replicas'])} replica(s)), {md(top['offpeak_label'])} off-peak "
        f"({int(top['offpeak_replicas'])}): "
        f"{fmt_usd(top['mixed_monthly_usd'], 0)}/month vs {fmt_usd(top['best_single_monthly_usd'], 0)} for "
        f"{md(top['best_single_label'])} throughout ({top['benefit']}; off-peak {top['offpeak_tok_s_user']:,.0f} vs "
        f"{top['best_single_offpeak_tok_s_user']:,.0f} tok/s per user)."
        + ("" if top["same_model"] else " The two modes are different models: both must be deployed.")
        + relation
    )


def plan_download(plan: CapacityPlan, prices: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The plan as a download (PLAN_EXPORT_COLUMNS, every offer) and the price offers it uses."""
    plans = plan.plans
    table = plans[[c for c in PLAN_EXPORT_COLUMNS if c in plans.columns]].reset_index(drop=True)
    return table, prices[prices["id"].isin(set(table["offer_id"]))]


def plan_rows(plans: pd.DataFrame, *, every_offer: bool = False) -> pd.DataFrame:
    """The plans as a table: every offer, or each curve's cheapest offer per provider and tier (plans are sorted
    cheapest first, so the first of each group is its cheapest)."""
    if every_offer or plans.empty:
        return plans
    return plans.drop_duplicates(subset=["profile_id", "provider", "tier"])
