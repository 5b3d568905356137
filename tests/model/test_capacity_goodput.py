"""Plans sized on goodput (issue 22): where a curve's operating point carries goodput (GuideLLM goodput profiles:
requests/s that met the run's SLOs, or the share that did), replicas are counted on the output tok/s of those
requests, not on raw throughput, and the plan says so."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from calculator.answers.planning import PLAN_EXPORT_COLUMNS, goodput_text
from calculator.model.capacity import Demand, fleet_plans, goodput_tok_s

PRICES = pd.DataFrame(
    [{"id": "o1", "gpu": "h100-sxm", "provider": "P", "instance": "i", "tier": "on_demand", "usd_per_gpu_hour": 2.0,
      "gpus_per_instance": 1, "as_of": "2026-11-20", "source": "s", "notes": ""}]
)  # fmt: skip


def ops(**extra: float) -> pd.DataFrame:
    row: dict[str, object] = {
        "profile_id": "p", "gpu": "h100-sxm", "gpus_per_replica": 1, "concurrency": 32, "output_tok_s": 1000.0,
    }  # fmt: skip
    row.update(extra)
    return pd.DataFrame([row])


# 1000 tok/s on average, peak 2x for 8 h/day: a peak of 2000 output tok/s
DEMAND = Demand.per_day(1000.0 * 86_400, peak_to_average=2.0, peak_hours_per_day=8.0)


def test_goodput_in_tokens_per_second_from_requests_or_share() -> None:
    df = pd.DataFrame(
        {"output_tok_s": [1000.0, 1000.0, 1000.0, 1000.0], "goodput_req_s": [2.0, np.nan, 5.0, np.nan],
         "osl": [250.0, 250.0, 1000.0, np.nan], "slo_attainment": [np.nan, 0.8, np.nan, np.nan]}
    )  # fmt: skip
    got = goodput_tok_s(df)
    assert got[:3] == pytest.approx([500.0, 800.0, 1000.0])  # 5 req/s x 1000 tokens is capped at the throughput
    assert np.isnan(got[3])


def test_replicas_are_sized_on_goodput_not_raw_throughput() -> None:
    assert DEMAND.peak_output_tok_s == pytest.approx(2000.0)
    raw = fleet_plans(ops(), PRICES, DEMAND).iloc[0]
    assert raw["sized_on"] == "throughput" and raw["replicas"] == 2  # 2000 peak / 1000 tok/s
    good = fleet_plans(ops(goodput_req_s=2.0, osl=250.0), PRICES, DEMAND).iloc[0]
    assert good["sized_on"] == "goodput" and good["replica_goodput_tok_s"] == pytest.approx(500.0)
    assert good["replicas"] == 4  # 2000 / 500: twice the fleet, because half the tokens missed the SLO
    assert good["monthly_usd"] == pytest.approx(2 * raw["monthly_usd"])
    assert good["replica_output_tok_s"] == pytest.approx(1000.0)  # the raw figure is still shown
    share = fleet_plans(ops(slo_attainment=0.8), PRICES, DEMAND).iloc[0]
    assert share["sized_on"] == "goodput" and share["replicas"] == 3  # ceil(2000 / 800)


def test_the_plan_says_it_was_sized_on_goodput() -> None:
    good = fleet_plans(ops(goodput_req_s=2.0, osl=250.0), PRICES, DEMAND).iloc[0]
    text = goodput_text(good)
    assert "sized on goodput" in text and "500 of the replica's 1,000 output tok/s" in text
    assert goodput_text(fleet_plans(ops(), PRICES, DEMAND).iloc[0]) == ""
    assert {"sized_on", "replica_goodput_tok_s"} <= set(PLAN_EXPORT_COLUMNS)


def test_an_interpolated_row_never_carries_the_first_points_goodput_or_energy() -> None:
    from calculator.data.catalog import normalise_points
    from calculator.model.frontier import interpolate_points

    rows = []
    for conc, out, att, joules, good in ((8, 800.0, 0.9, 2.0, 3.0), (32, 2000.0, 0.5, 1.0, 4.0)):
        rows.append({"profile_id": "p", "gpu": "h100-sxm", "engine": "vllm", "model": "m", "mode": "ar",
                     "precision": "bf16", "gpus_per_replica": 1, "provenance": "uploaded", "concurrency": conc,
                     "output_tok_s": out, "slo_attainment": att, "joules_per_output_token": joules,
                     "goodput_req_s": good, "osl": 256})  # fmt: skip
    dense = interpolate_points(normalise_points(pd.DataFrame(rows)), [8, 16, 32])
    mid = dense[dense["concurrency"] == 16].iloc[0]
    assert mid["point_basis"] == "interpolated"
    assert np.isnan(mid["goodput_req_s"])  # not the c=8 run's 3 req/s
    assert 0.5 < mid["slo_attainment"] < 0.9 and 1.0 < mid["joules_per_output_token"] < 2.0  # between its neighbours
