"""calculator.answers.planning without Streamlit: a demand and targets become operating points, fleet plans, mixed plans
and an API break-even on the bundled data (the Capacity page shows exactly these)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from calculator.answers.checks import Targets
from calculator.answers.planning import (
    PlanRequest,
    api_break_even,
    curves_request,
    plan_capacity,
    plan_curves,
    plan_fleets,
)
from calculator.data.catalog import load_catalog
from calculator.model.capacity import Demand


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def request(tokens_per_day: float = 1e9, **kw) -> PlanRequest:
    demand = Demand.per_day(tokens_per_day, peak_to_average=2.0, peak_hours_per_day=8.0, isl=1024, osl=1024)
    return PlanRequest(demand=demand, targets=Targets(max_ttft_ms=None, min_tok_s_user=50.0), **kw)


def test_plans_are_sized_for_peak_and_sorted_by_bill(catalog):
    plan = plan_capacity(catalog, catalog.points, catalog.prices, request())
    plans = plan.plans
    assert not plans.empty and plans.loc[plans["eligible"], "monthly_usd"].is_monotonic_increasing
    assert (plans["gpus"] == plans["replicas"] * plans["gpus_per_replica"]).all()
    capacity = plans["replica_output_tok_s"] * plans["replicas"]
    assert (capacity >= request().demand.peak_output_tok_s * (1 - 1e-9)).all()
    assert (plans["tok_s_user"] >= 50).all()


def test_more_volume_never_needs_fewer_gpus(catalog):
    small = plan_capacity(catalog, catalog.points, catalog.prices, request(1e9)).plans
    big = plan_capacity(catalog, catalog.points, catalog.prices, request(1e10)).plans
    merged = small.merge(big, on=["profile_id", "offer_id"])
    assert (merged["gpus_y"] >= merged["gpus_x"]).all() and (merged["gpus_y"] > merged["gpus_x"]).any()


def test_a_gpu_filter_plans_only_those_gpus(catalog):
    plan = plan_capacity(catalog, catalog.points, catalog.prices, request(gpus=("b200",)))
    assert set(plan.plans["gpu"]) == {"b200"}


def test_impossible_targets_give_no_plan_and_say_why(catalog):
    req = PlanRequest(demand=request().demand, targets=Targets(max_ttft_ms=None, min_tok_s_user=50_000.0))
    plan = plan_capacity(catalog, catalog.points, catalog.prices, req)
    assert plan.ops.empty and plan.plans.empty


def test_break_even_volume_is_where_the_fleet_costs_what_the_api_does(catalog):
    plan = plan_capacity(catalog, catalog.points, catalog.prices, request())
    best = plan.plans.iloc[0]
    be = api_break_even(best, request().demand, api_out=10.0, api_in=0.0, utilisation=1.0)
    replica_month = best["gpus_per_replica"] * best["usd_per_gpu_hour"] * 730.0
    assert be.break_even_tokens_per_month == pytest.approx(replica_month / (10.0 / 1e6))
    curve = be.curve
    assert np.all(np.diff(curve["self_host_usd"]) >= 0)
    cheap = api_break_even(best, request().demand, api_out=1e-6, api_in=0.0, utilisation=1.0)
    assert math.isnan(cheap.break_even_tokens_per_month)


def test_a_long_prompt_is_said_to_be_beyond_published_figures_and_mixed_plans_never_cost_more(catalog):
    demand = Demand.per_day(1e9, isl=32768, osl=1024)
    plan = plan_capacity(
        catalog, catalog.points, catalog.prices, PlanRequest(demand=demand, targets=Targets(None, 20.0))
    )
    assert any("beyond any published" in n.text for n in plan.notices)
    plan = plan_capacity(catalog, catalog.points, catalog.prices, request())
    if not plan.mixed.empty:
        assert (plan.mixed["mixed_monthly_usd"] <= plan.plans["monthly_usd"].min() + 1e-6).all()


def test_the_mixed_plan_says_how_it_relates_to_a_fixed_headline():
    import pandas as pd

    from calculator.answers.planning import mixed_text

    top = pd.Series(
        {"gpu": "h100-sxm", "provider": "P", "tier": "on_demand", "peak_label": "AR", "peak_replicas": 3,
         "offpeak_label": "self-spec", "offpeak_replicas": 1, "mixed_monthly_usd": 3747.0,
         "best_single_label": "AR", "best_single_monthly_usd": 4000.0, "saving_usd": 253.0, "benefit": "cheaper",
         "offpeak_tok_s_user": 90.0, "best_single_offpeak_tok_s_user": 60.0, "same_model": True}
    )  # fmt: skip
    text = mixed_text(top, 5621.0)
    assert "$5,621" in text and "fixed fleet sized for peak" in text and "$4,000" in text and "$253" in text
    assert "owned and reserved" in text
    assert "autoscaled fleet too" in mixed_text(top, 4000.0, headline_autoscaled=True)


def test_one_plan_curves_serves_every_volume_utilisation_tier_and_autoscaling(catalog):
    """Issue 21: the app computes the curves once (plan_curves on curves_request) and only the fleets per change of
    volume, utilisation, tiers or autoscaling; that gives exactly plan_capacity's plan."""
    base = request()
    curves = plan_curves(catalog, catalog.points, catalog.prices, curves_request(base))
    for req in (
        base,
        request(3e9, utilisation=0.6),
        request(2e8, tiers=(), autoscale=True),
        request(tiers=("spot",), utilisation=0.35),
    ):
        assert curves_request(req) == curves_request(base)
        want = plan_capacity(catalog, catalog.points, catalog.prices, req, {"all": "±20 %"})
        got = plan_fleets(curves, catalog.prices, req, {"all": "±20 %"})
        assert got.request == req and got.notices == want.notices and got.problems == want.problems
        for name in ("points", "dense", "checks", "ops", "plans", "mixed"):
            pd.testing.assert_frame_equal(getattr(got, name), getattr(want, name), obj=name)
    assert curves.plan.plans.empty, "plan_fleets leaves the shared curves as they were"
