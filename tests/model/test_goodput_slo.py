"""Goodput checked against the user's SLO (issue 22): a file's goodput counts the requests that met the *run's*
objectives (GuideLLM's config.slo), so a plan is sized on it only where those objectives are at least as strict as
the user's targets; a looser run (or one that does not state or bound a latency the user bounds) is sized on
throughput, and the plan says why. Mechanism tests: the same point and demand, only the run's objectives differ."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from calculator.answers.checks import Targets
from calculator.answers.planning import PlanRequest, goodput_text, plan_capacity
from calculator.data.catalog import load_catalog
from calculator.model.capacity import Demand, fleet_plans
from calculator.model.goodput_slo import UserLimits, run_slo_check

PRICES = pd.DataFrame(
    [{"id": "o1", "gpu": "h100-sxm", "provider": "P", "instance": "i", "tier": "on_demand", "usd_per_gpu_hour": 2.0,
      "gpus_per_instance": 1, "as_of": "2026-11-20", "source": "s", "notes": ""}]
)  # fmt: skip
DEMAND = Demand.per_day(1000.0 * 86_400, peak_to_average=2.0, peak_hours_per_day=8.0)  # a 2,000 tok/s peak
# The user: TTFT <= 500 ms and >= 20 tok/s per user (TPOT <= 50 ms)
USER = UserLimits.from_targets(max_ttft_ms=500.0, min_tok_s_user=20.0)


def op(**run_slo: float) -> pd.DataFrame:
    """One operating point of 1,000 output tok/s of which half met the run's objectives (2 req/s x 250 tokens)."""
    row: dict[str, object] = {"profile_id": "p", "gpu": "h100-sxm", "gpus_per_replica": 1, "concurrency": 32,
                              "output_tok_s": 1000.0, "goodput_req_s": 2.0, "osl": 250.0}  # fmt: skip
    row.update({f"goodput_slo_{k}_ms": v for k, v in run_slo.items()})
    return pd.DataFrame([row])


def test_the_users_tok_s_floor_is_a_tpot_limit() -> None:
    assert UserLimits(ttft_ms=500.0, tpot_ms=50.0, e2el_ms=None) == USER
    assert UserLimits.from_targets() == UserLimits()


def test_a_run_at_least_as_strict_is_usable_a_looser_or_silent_one_is_not() -> None:
    df = pd.DataFrame(
        {"goodput_slo_ttft_ms": [400.0, 500.0, 2000.0, 400.0, np.nan, 400.0],
         "goodput_slo_tpot_ms": [40.0, 50.0, 40.0, 80.0, 40.0, np.nan],
         "goodput_slo_e2el_ms": [np.nan, 9000.0, np.nan, np.nan, np.nan, np.nan]}
    )  # fmt: skip
    usable, note = run_slo_check(df, USER)
    assert usable.tolist() == [True, True, False, False, False, False]  # equal limits count as as strict
    assert note[0] == "" and note[1] == ""
    assert note[2] == "the run's TTFT objective (2,000 ms) is looser than yours (500 ms)"
    assert note[3] == "the run's TPOT objective (80 ms) is looser than yours (50 ms)"
    assert note[4] == "the run's SLO does not bound TTFT" and note[5] == "the run's SLO does not bound TPOT"
    # a run's E2E limit the user does not set never disqualifies it; one the user sets must be met
    assert run_slo_check(df.iloc[[1]], UserLimits(e2el_ms=10_000.0))[0].tolist() == [True]
    assert run_slo_check(df.iloc[[1]], UserLimits(e2el_ms=5_000.0))[0].tolist() == [False]
    # no user limits: any run's goodput answers the question
    assert run_slo_check(df, UserLimits())[0].all()


def test_a_stricter_runs_goodput_sizes_the_fleet_a_looser_runs_does_not() -> None:
    strict = fleet_plans(op(ttft=300.0, tpot=40.0), PRICES, DEMAND, user_limits=USER).iloc[0]
    assert strict["sized_on"] == "goodput" and strict["replicas"] == 4  # 2,000 / 500 good tok/s
    assert strict["goodput_slo_note"] == ""
    loose = fleet_plans(op(ttft=2000.0, tpot=40.0), PRICES, DEMAND, user_limits=USER).iloc[0]
    assert loose["sized_on"] == "throughput" and loose["replicas"] == 2  # 2,000 / 1,000 raw tok/s
    assert loose["replica_goodput_tok_s"] == pytest.approx(500.0)  # still shown
    assert "looser than yours" in loose["goodput_slo_note"]
    unstated = fleet_plans(op(), PRICES, DEMAND, user_limits=USER).iloc[0]
    assert unstated["sized_on"] == "throughput" and "does not bound TTFT" in unstated["goodput_slo_note"]
    # without user targets the run's goodput is used as before
    assert fleet_plans(op(), PRICES, DEMAND).iloc[0]["sized_on"] == "goodput"


def test_the_plan_says_which_slo_its_goodput_was_measured_against_or_why_it_was_not_used() -> None:
    strict = fleet_plans(op(ttft=300.0, tpot=40.0), PRICES, DEMAND, user_limits=USER).iloc[0]
    text = goodput_text(strict)
    assert "sized on goodput" in text and "TTFT <= 300 ms, TPOT <= 40 ms, at least as strict as your targets" in text
    loose = goodput_text(fleet_plans(op(ttft=2000.0, tpot=40.0), PRICES, DEMAND, user_limits=USER).iloc[0])
    assert loose.startswith(", sized on throughput (goodput not used: the run's TTFT objective (2,000 ms)")


def test_planning_uses_the_users_targets_to_decide() -> None:
    """End to end through plan_capacity: one bundled curve given a goodput of half its throughput, measured under
    objectives stricter or looser than the user's targets."""
    catalog = load_catalog()
    pts = catalog.points
    pick = pts[(pts["gpu"] == "h100-sxm") & pts["ttft_ms_p50"].notna() & pts["osl"].notna()]
    profile = str(pick["profile_id"].iloc[0])
    targets = Targets(max_ttft_ms=5_000.0, min_tok_s_user=5.0, est_len=False)
    demand = Demand.per_day(1e9, peak_to_average=2.0, peak_hours_per_day=8.0, isl=1024, osl=1024)
    request = PlanRequest(demand=demand, targets=targets, gpus=("h100-sxm",), with_estimates=False)

    def plan_with(ttft: float, tpot: float) -> pd.DataFrame:
        mine = pts["profile_id"] == profile
        points = pts.copy()
        points.loc[mine, "goodput_req_s"] = 0.5 * points.loc[mine, "output_tok_s"] / points.loc[mine, "osl"]
        points.loc[mine, "goodput_slo_ttft_ms"] = ttft
        points.loc[mine, "goodput_slo_tpot_ms"] = tpot
        plans = plan_capacity(catalog, points, catalog.prices, request).plans
        return plans[plans["profile_id"] == profile]

    stricter = plan_with(ttft=1_000.0, tpot=100.0)  # the user: TTFT <= 5,000 ms, TPOT <= 200 ms
    assert len(stricter) and (stricter["sized_on"] == "goodput").all()
    looser = plan_with(ttft=10_000.0, tpot=100.0)
    assert len(looser) and (looser["sized_on"] == "throughput").all()
    assert looser["goodput_slo_note"].str.contains("TTFT objective").all()
    merged = stricter.merge(looser, on=["offer_id", "concurrency"], suffixes=("_s", "_l"))
    assert (merged["replicas_s"] >= merged["replicas_l"]).all() and (merged["replicas_s"] > merged["replicas_l"]).any()
