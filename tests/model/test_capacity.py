"""calculator.model.capacity: demand -> operating point -> replicas (ceil) -> GPUs -> monthly bill; mixed plans;
API break-even arithmetic."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from calculator.data.catalog import normalise_points
from calculator.model import capacity as cap
from calculator.model import frontier as fr


def points(profile_id: str, conc: list[int], out: list[float], *, mode: str = "ar", gpus: int = 1) -> pd.DataFrame:
    return normalise_points(
        pd.DataFrame(
            {
                "profile_id": profile_id,
                "gpu": "b200",
                "gpus_per_replica": gpus,
                "model": "nld-8b",
                "mode": mode,
                "precision": "fp8",
                "provenance": "vendor_internal",
                "concurrency": conc,
                "output_tok_s": out,
            }
        )
    )


def offers(usd: float = 2.0, gpus_per_instance: int = 1) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["o1"],
            "provider": ["P"],
            "instance": ["i"],
            "gpu": ["b200"],
            "gpus_per_instance": [gpus_per_instance],
            "tier": ["on_demand"],
            "usd_per_gpu_hour": [usd],
            "as_of": ["2026"],
            "source": ["s"],
            "notes": [""],
        }
    )


def test_demand_rates_and_two_level_day() -> None:
    d = cap.Demand(output_tokens_per_month=730 * 3600 * 1000.0, peak_to_average=2.0, peak_hours_per_day=6)
    assert d.average_output_tok_s == pytest.approx(1000.0)
    assert d.peak_output_tok_s == pytest.approx(2000.0)
    # 24 x 1000 = 6 x 2000 + 18 x off-peak
    assert d.offpeak_output_tok_s == pytest.approx(12000 / 18)
    assert cap.Demand.per_day(1e9).output_tokens_per_month == pytest.approx(1e9 * 730 / 24)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"output_tokens_per_month": 0},
        {"output_tokens_per_month": float("nan")},
        {"output_tokens_per_month": 1e9, "peak_to_average": 0.5},
        {"output_tokens_per_month": 1e9, "peak_to_average": 4, "peak_hours_per_day": 8},
    ],
)
def test_demand_rejects_impossible_inputs(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        cap.Demand(**kwargs)


def test_replicas_are_the_ceiling_of_peak_over_replica_throughput() -> None:
    ops = cap.operating_points(points("a", [1, 8], [100.0, 1000.0], gpus=2), fr.Slo())
    d = cap.Demand(output_tokens_per_month=730 * 3600 * 1250.0, peak_to_average=2.0)  # peak 2500 tok/s
    plan = cap.fleet_plans(ops, offers(2.0), d).iloc[0]
    assert plan["concurrency"] == 8
    assert plan["replicas"] == math.ceil(2500 / 1000) == 3
    assert plan["gpus"] == 6
    assert plan["monthly_usd"] == pytest.approx(6 * 2.0 * 730)
    assert plan["fleet_utilisation"] == pytest.approx(1250 / 3000)
    assert plan["usd_per_mtok_effective"] == pytest.approx(6 * 2.0 * 730 / (730 * 3600 * 1250.0) * 1e6)


def test_an_offer_of_8_gpu_instances_bills_whole_instances() -> None:
    ops = cap.operating_points(points("a", [1, 8], [100.0, 1000.0], gpus=2), fr.Slo())
    d = cap.Demand(output_tokens_per_month=730 * 3600 * 1250.0, peak_to_average=2.0)  # peak 2500 tok/s: 3 replicas
    plan = cap.fleet_plans(ops, offers(2.0, gpus_per_instance=8), d).iloc[0]
    assert (plan["replicas"], plan["gpus"], plan["instances"], plan["gpus_billed"]) == (3, 6, 1, 8)
    assert plan["monthly_usd"] == pytest.approx(8 * 2.0 * 730)  # the whole 8-GPU instance, not 6 GPUs


@pytest.mark.parametrize(
    ("replicas", "gpus_per_replica", "gpus_per_instance", "instances"),
    [(1, 1, 8, 1), (8, 1, 8, 1), (9, 1, 8, 2), (3, 3, 8, 2), (1, 16, 8, 2), (3, 16, 8, 6), (5, 2, 1, 10)],
)
def test_replicas_pack_into_instances_or_span_several(replicas, gpus_per_replica, gpus_per_instance, instances):
    got = cap.instances_for(np.array([replicas]), np.array([gpus_per_replica]), np.array([gpus_per_instance]))
    assert int(got[0]) == instances


def test_a_replica_wider_than_an_instance_spans_several() -> None:
    ops = cap.operating_points(points("a", [8], [1000.0], gpus=16), fr.Slo())
    d = cap.Demand(output_tokens_per_month=730 * 3600 * 1000.0, peak_to_average=1.0)  # one replica
    plan = cap.fleet_plans(ops, offers(1.0, gpus_per_instance=8), d).iloc[0]
    assert (plan["replicas"], plan["instances"], plan["gpus_billed"]) == (1, 2, 16)


def test_utilisation_adds_replicas() -> None:
    ops = cap.operating_points(points("a", [8], [1000.0]), fr.Slo())
    d = cap.Demand(output_tokens_per_month=730 * 3600 * 1000.0, peak_to_average=1.0)
    assert cap.fleet_plans(ops, offers(), d, utilisation=1.0).iloc[0]["replicas"] == 1
    assert cap.fleet_plans(ops, offers(), d, utilisation=0.5).iloc[0]["replicas"] == 2


def test_slo_moves_the_operating_point() -> None:
    pts = fr.interpolate_points(points("a", [1, 8, 64], [100.0, 700.0, 3200.0]))
    loose = cap.operating_points(pts, fr.Slo())
    tight = cap.operating_points(pts, fr.Slo(min_tok_s_user=80))
    assert loose.iloc[0]["concurrency"] == 64
    assert tight.iloc[0]["concurrency"] < 64
    assert tight.iloc[0]["tok_s_user"] >= 80


def test_autoscaled_fleet_pays_off_peak_hours_at_the_smaller_fleet() -> None:
    ops = cap.operating_points(points("a", [8], [1000.0]), fr.Slo())
    d = cap.Demand(output_tokens_per_month=730 * 3600 * 1000.0, peak_to_average=2.0, peak_hours_per_day=12)
    plan = cap.fleet_plans(ops, offers(1.0), d, autoscale=True).iloc[0]
    assert plan["replicas"] == 2  # 2000 tok/s at peak
    assert plan["replicas_offpeak"] == 1  # 0 tok/s off-peak still keeps one replica
    assert plan["gpu_hours_per_month"] == pytest.approx((2 * 12 + 1 * 12) * 730 / 24)


def test_mixed_plan_ar_at_peak_self_spec_off_peak_when_faster_at_equal_cost() -> None:
    ar = points("ar", [1, 8, 64], [100.0, 800.0, 4000.0])
    spec = points("ss", [1, 8, 64], [300.0, 1500.0, 2000.0], mode="self_spec")
    dense = fr.interpolate_points(pd.concat([ar, spec]))
    ops = cap.operating_points(dense, fr.Slo())
    ops["label"] = ops["mode"]
    d = cap.Demand(output_tokens_per_month=730 * 3600 * 1500.0, peak_to_average=2.0, peak_hours_per_day=8)
    plans = cap.fleet_plans(ops, offers(), d, autoscale=True)
    mixed = cap.mixed_plans(plans, d, dense)
    assert len(mixed) == 1
    row = mixed.iloc[0]
    assert (row["peak_label"], row["offpeak_label"]) == ("ar", "self_spec")
    assert row["benefit"] == "same cost, faster off-peak"
    assert row["offpeak_tok_s_user"] > row["best_single_offpeak_tok_s_user"]


def test_mixed_plan_cheaper_when_off_peak_needs_fewer_replicas_of_another_mode() -> None:
    # Peak 8000 tok/s: A (cap 4000) needs 2, B (cap 3000) needs 3. Off-peak 2000: A needs 1 ... B needs 1.
    # Make B the better off-peak choice by cost: B needs 1 where A needs 2 at off-peak 3500 tok/s.
    a = points("a", [64], [4000.0])
    b = points("b", [64], [3600.0], mode="self_spec")
    ops = cap.operating_points(pd.concat([a, b]), fr.Slo())
    ops["label"] = ops["profile_id"]
    d = cap.Demand(output_tokens_per_month=730 * 3600 * 5000.0, peak_to_average=1.6, peak_hours_per_day=12)
    # peak 8000 (a: 2, b: 3), off-peak 2000 (a: 1, b: 1)
    plans = cap.fleet_plans(ops, offers(), d, autoscale=True)
    assert cap.mixed_plans(plans, d).empty  # b never beats a: a throughout is the best single plan


def test_break_even_math() -> None:
    # One replica: 1 GPU at $1/h -> c = $730/month; 1000 tok/s x 730 h x 3600 / peak 1 -> V = 2.628e9 tokens/month.
    ops = cap.operating_points(points("a", [8], [1000.0]), fr.Slo())
    d = cap.Demand(output_tokens_per_month=1e9, peak_to_average=1.0)
    plans = cap.fleet_plans(ops, offers(1.0), d)
    api = 0.5  # $/M: p V = 1314 > c = 730
    be = cap.break_even(plans, d, api).iloc[0]
    c, v, p = 730.0, 1000 * 730 * 3600.0, api / 1e6
    assert be["self_host_usd_per_mtok_at_scale"] == pytest.approx(c / v * 1e6)
    assert be["break_even_tokens_per_month"] == pytest.approx(c / p)
    n = math.ceil(p * v / (p * v - c))
    assert be["cheaper_above_tokens_per_month"] == pytest.approx((n - 1) * c / p)
    # Check against the step cost curve: at and beyond the sustained point self-hosting is never dearer.
    grid = np.linspace(be["cheaper_above_tokens_per_month"], 20 * v, 2000)
    curve = cap.cost_curve(
        grid,
        replica_output_tok_s=1000.0,
        gpus_per_replica=1,
        usd_per_gpu_hour=1.0,
        peak_to_average=1.0,
        api_usd_per_mtok=api,
    )
    assert (curve["self_host_usd"] <= curve["api_usd"] + 1e-6).all()
    just_below = cap.cost_curve(
        np.array([be["break_even_tokens_per_month"] * 0.99]),
        replica_output_tok_s=1000.0,
        gpus_per_replica=1,
        usd_per_gpu_hour=1.0,
        peak_to_average=1.0,
        api_usd_per_mtok=api,
    )
    assert (just_below["self_host_usd"] > just_below["api_usd"]).all()


def test_break_even_grows_by_whole_instances() -> None:
    # 1-GPU replicas on 8-GPU instances: the unit is one instance ($8/h -> c = $5840/month) serving 8 replicas.
    ops = cap.operating_points(points("a", [8], [1000.0]), fr.Slo())
    d = cap.Demand(output_tokens_per_month=1e9, peak_to_average=1.0)
    be = cap.break_even(cap.fleet_plans(ops, offers(1.0, gpus_per_instance=8), d), d, 0.5).iloc[0]
    c, v, p = 8 * 730.0, 8 * 1000 * 730 * 3600.0, 0.5 / 1e6
    assert be["break_even_tokens_per_month"] == pytest.approx(c / p)
    assert be["self_host_usd_per_mtok_at_scale"] == pytest.approx(c / v * 1e6)
    curve = cap.cost_curve(
        np.array([1e6, c / p * 1.01]), replica_output_tok_s=1000.0, gpus_per_replica=1, usd_per_gpu_hour=1.0,
        peak_to_average=1.0, api_usd_per_mtok=0.5, gpus_per_instance=8,
    )  # fmt: skip
    assert curve["self_host_usd"].tolist() == pytest.approx([c, c])
    assert curve["instances"].tolist() == [1, 1]


def test_break_even_never_when_api_is_cheaper_than_self_hosting_at_scale() -> None:
    ops = cap.operating_points(points("a", [8], [1000.0]), fr.Slo())
    d = cap.Demand(output_tokens_per_month=1e9, peak_to_average=1.0)
    be = cap.break_even(cap.fleet_plans(ops, offers(1.0), d), d, 0.1).iloc[0]  # floor is $0.278/M
    assert np.isnan(be["break_even_tokens_per_month"])
    assert np.isnan(be["cheaper_above_tokens_per_month"])


def test_api_price_folds_in_input_tokens() -> None:
    assert cap.api_usd_per_mtok_output(2.0, 0.5, isl=1000, osl=500) == pytest.approx(3.0)
    assert cap.api_usd_per_mtok_output(2.0, 0.5) == pytest.approx(2.0)


def test_at_load_reads_the_curve() -> None:
    dense = fr.interpolate_points(points("a", [1, 2, 4], [100.0, 180.0, 300.0]), [1, 2, 3, 4])
    got = cap.at_load(dense, pd.Series(["a", "a", "a"]), np.array([50.0, 180.0, 1000.0]))
    assert got["concurrency"].iloc[0] == 1
    assert got["concurrency"].iloc[1] == 2
    assert np.isnan(got["concurrency"].iloc[2])


def test_operating_points_without_ttft_fail_a_required_ttft_target() -> None:
    pts = fr.interpolate_points(points("a", [1, 8, 64], [100.0, 700.0, 3200.0]))
    assert len(cap.operating_points(pts, fr.Slo(max_ttft_ms=200))) == 1  # passes unchecked (flagged)
    assert cap.operating_points(pts, fr.Slo(max_ttft_ms=200), require_ttft=True).empty
    with_ttft = pts.assign(ttft_ms_p50=np.where(pts["concurrency"] <= 8, 150.0, 400.0))
    op = cap.operating_points(with_ttft, fr.Slo(max_ttft_ms=200), require_ttft=True)
    assert op.iloc[0]["concurrency"] == 8 and op.iloc[0]["slo_note"] == ""


@pytest.mark.parametrize("tier", ["owned", "reserved_1y", "reserved_3y", "rental_3y"])
def test_committed_hardware_is_never_scaled_down_off_peak(tier: str) -> None:
    """Issue 18 item 7: owned (or reserved) GPUs cannot be handed back at night: an autoscaled fleet on such an offer
    keeps its peak fleet all day, and no mixed plan is made on it (the mixed plan showed $851/month for owned H100s
    under a $1,277 owned fleet)."""
    ar = points("ar", [1, 8, 64], [100.0, 800.0, 4000.0])
    spec = points("ss", [1, 8, 64], [300.0, 1500.0, 2000.0], mode="self_spec")
    dense = fr.interpolate_points(pd.concat([ar, spec]))
    ops = cap.operating_points(dense, fr.Slo())
    ops["label"] = ops["mode"]
    d = cap.Demand(output_tokens_per_month=730 * 3600 * 1500.0, peak_to_average=2.0, peak_hours_per_day=8)
    rented = offers()
    committed = offers().assign(id="o2", tier=tier)
    plans = cap.fleet_plans(ops, pd.concat([rented, committed], ignore_index=True), d, autoscale=True)
    mine = plans[plans["tier"] == tier]
    assert (mine["replicas_offpeak"] == mine["replicas"]).all()
    assert (mine["instances_offpeak"] == mine["instances"]).all()
    fixed = cap.fleet_plans(ops, committed, d, autoscale=False)
    assert sorted(mine["monthly_usd"]) == pytest.approx(sorted(fixed["monthly_usd"]))
    mixed = cap.mixed_plans(plans, d, dense)
    assert set(mixed["tier"]) <= set(cap.SCALABLE_TIERS)
