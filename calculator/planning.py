"""A capacity plan from a token demand and latency targets: the curves of the chosen GPUs that have a price (data,
plus estimated counterparts at the demand's lengths for data curves that cannot be checked), each run at its best
concurrency meeting the targets, sized into replicas and GPUs and billed per offer (calculator/capacity.py); the
two-band mixed plan; and the break-even against an API price. The Capacity page and the `plan` command run this.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from calculator import capacity as cap
from calculator import frontier
from calculator.catalog import Catalog
from calculator.checks import Notice, Targets, check_notices, with_counterparts
from calculator.labels import add_labels


@dataclass(frozen=True)
class PlanRequest:
    """What to plan for: the demand, the targets, which GPUs (empty = all with data and a price) and price tiers
    (empty = all), the utilisation a replica is loaded to at peak, and whether the fleet scales down off-peak."""

    demand: cap.Demand
    targets: Targets
    gpus: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ("on_demand",)
    utilisation: float = 1.0
    autoscale: bool = False

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


def plan_capacity(catalog: Catalog, points: pd.DataFrame, prices: pd.DataFrame, request: PlanRequest) -> CapacityPlan:
    """Curves → operating points → fleet plans per offer → mixed plans (see the module docstring)."""
    isl, osl, targets, util = request.isl, request.osl, request.targets, request.utilisation
    pts = points[points["gpu"].isin(request.gpus)] if request.gpus else points
    pts = pts[pts["gpu"].isin(set(prices["gpu"]))].reset_index(drop=True)
    pts, checks, problems = with_counterparts(catalog, pts, isl=isl, osl=osl, targets=targets)
    ranked_ids = set(checks.loc[checks["ranked"], "profile_id"])
    filled = pts.assign(isl=pts["isl"].fillna(isl), osl=pts["osl"].fillna(osl)).reset_index(drop=True)
    dense = frontier.with_rates(frontier.interpolate_points(filled))
    labelled = add_labels(pts.drop_duplicates("profile_id"))
    names = {str(k): str(v) for k, v in zip(labelled["profile_id"], labelled["option"], strict=True)}
    notices, differ = check_notices(checks, targets, isl, osl, names)
    plan = CapacityPlan(
        request=request, points=pts, dense=dense, checks=checks, names=names, notices=notices, differ=differ,
        problems=problems,
    )  # fmt: skip
    ops = cap.operating_points(dense[dense["profile_id"].isin(ranked_ids)], targets.slo(), require_ttft=targets.strict)
    if ops.empty:
        return plan
    ops = add_labels(ops)
    ops["label"] = ops["option"]
    ops["check_note"] = ops["profile_id"].map(checks.set_index("profile_id")["check_note"]).to_numpy()
    plan.ops = ops
    offers = prices[prices["tier"].isin(request.tiers)] if request.tiers else prices
    plans = cap.fleet_plans(ops, offers, request.demand, utilisation=util, autoscale=request.autoscale)
    if plans.empty:
        return plan
    plan.plans = add_labels(plans)
    auto = (
        plan.plans
        if request.autoscale
        else add_labels(cap.fleet_plans(ops, offers, request.demand, utilisation=util, autoscale=True))
    )
    plan.mixed = cap.mixed_plans(auto, request.demand, dense)
    return plan


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


def api_break_even(
    plan: pd.Series, demand: cap.Demand, *, api_out: float, api_in: float, utilisation: float
) -> BreakEven:
    """Break-even of one plan row (a fixed fleet sized for peak) against an API priced per M output and input."""
    api_per_out = cap.api_usd_per_mtok_output(api_out, api_in, demand.isl, demand.osl)
    be = cap.break_even(plan.to_frame().T, demand, api_per_out, utilisation=utilisation).iloc[0]
    above = float(be["cheaper_above_tokens_per_month"])
    hi = max(demand.output_tokens_per_month, np.nan_to_num(above, nan=0.0)) * 4
    grid = np.geomspace(max(1e6, hi / 1e4), max(hi, 1e7), 400)
    curve = cap.cost_curve(
        grid,
        replica_output_tok_s=float(plan["output_tok_s"]),
        gpus_per_replica=int(plan["gpus_per_replica"]),
        usd_per_gpu_hour=float(plan["usd_per_gpu_hour"]),
        peak_to_average=float(demand.peak_to_average),
        api_usd_per_mtok=api_per_out,
        utilisation=utilisation,
    )
    return BreakEven(
        api_usd_per_mtok_output=api_per_out,
        self_host_usd_per_mtok_at_scale=float(be["self_host_usd_per_mtok_at_scale"]),
        break_even_tokens_per_month=float(be["break_even_tokens_per_month"]),
        cheaper_above_tokens_per_month=above,
        curve=curve,
    )
