"""calculator.answers.decision without Streamlit: NLD vs a like-for-like baseline per GPU, in dollars, on the
bundled data (the decision page draws exactly this)."""

from __future__ import annotations

import dataclasses
import math

import pandas as pd
import pytest

from calculator.answers import decision
from calculator.answers.decision import DecisionInputs, decide
from calculator.data.catalog import load_catalog

ERRORS = {"ar": 10.0, "self_spec": 40.0, "spec_eagle3": 30.0, "diffusion": 20.0, "all": 15.0}


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def run(catalog, **kw):  # type: ignore[no-untyped-def]
    return decide(catalog, catalog.points, catalog.prices, DecisionInputs(**kw), ERRORS)


def test_one_verdict_per_gpu_with_like_precision_baseline_and_arithmetic(catalog):
    d = run(catalog, gpus=("a100-80gb", "h100-sxm", "gb200"), nld_mode="self_spec")
    assert [g.gpu for g in d.gpus] == ["a100-80gb", "h100-sxm", "gb200"]
    for g in d.gpus:
        assert g.nld is not None and g.baseline is not None, g.notes
        assert g.nld.mode == "self_spec" and g.baseline.mode in ("ar", "spec_eagle3")
        assert g.baseline.model == "qwen3-8b"
        assert g.like_precision and g.baseline.precision == g.nld.precision
        # $/M = $/GPU-h / (tok/s per GPU x 3600) x 1e6, to 0.1 %
        for s in (g.nld, g.baseline):
            assert s.usd_per_mtok == pytest.approx(g.usd_per_gpu_hour / (s.tok_s_per_gpu * 3600) * 1e6, rel=1e-3)
            assert s.tok_s_user >= 50.0 and (s.ttft_ms is None or s.ttft_ms <= decision.DEFAULT_TTFT_MS)
        assert g.ratio == pytest.approx(g.nld.usd_per_mtok / g.baseline.usd_per_mtok)
        lo, hi = g.ratio_range
        assert lo <= g.ratio <= hi
        assert f"{g.ratio:.2f}x" in g.verdict


def test_fp8_baseline_is_estimated_where_no_data_has_it(catalog):
    """No Qwen3-8B fp8 curve is bundled on H100: the decision estimates one, labelled estimated, with a $ range."""
    assert catalog.points.query("gpu == 'h100-sxm' and model == 'qwen3-8b' and precision == 'fp8'").empty
    d = run(catalog, gpus=("h100-sxm",), nld_mode="self_spec")
    g = d.gpus[0]
    if g.nld.precision == "fp8":
        assert g.baseline.precision == "fp8" and g.baseline.provenance == "estimated"
        lo, hi = g.baseline.usd_range
        assert lo < g.baseline.usd_per_mtok < hi


@pytest.mark.parametrize("peak", [1.0, 2.0, 3.5])
def test_volume_gives_gpus_and_monthly_bill_sized_for_the_peak(catalog, peak):
    d = run(catalog, gpus=("h100-sxm",), tokens_per_month=10e9, peak_to_average=peak)
    g = d.gpus[0]
    for s in (g.nld, g.baseline):
        need = 10e9 / (730 * 3600) * peak  # the peak rate, tok/s
        assert s.gpus_for_volume == math.ceil(need / s.tok_s_per_gpu / s.gpus_per_replica) * s.gpus_per_replica
        assert s.monthly_usd == pytest.approx(s.gpus_for_volume * g.usd_per_gpu_hour * 730)


def test_default_peak_factor_is_two():
    assert DecisionInputs().peak_to_average == 2.0 == decision.DEFAULT_PEAK_TO_AVERAGE


def test_volume_bills_whole_instances_as_the_capacity_plan_does(catalog):
    """An offer that rents 8-GPU instances bills whole instances: the decision's GPUs and bill are the capacity
    code's (fleet_plans: gpus_billed, monthly_usd) for the same operating point, demand and offer."""
    from calculator.model.capacity import fleet_plans

    prices = catalog.prices.copy()
    h100 = (prices["gpu"] == "h100-sxm") & (prices["tier"] == "on_demand")
    prices.loc[h100, "gpus_per_instance"] = 8
    inputs = DecisionInputs(gpus=("h100-sxm",), tokens_per_month=10e9, nld_mode="self_spec")
    g = decide(catalog, catalog.points, prices, inputs, ERRORS).gpus[0]
    for s in (g.nld, g.baseline):
        assert s.gpus_per_instance == 8 and s.gpus_for_volume % 8 == 0 and s.gpus_for_volume >= 8
        assert s.gpus_for_volume == s.instances * 8
        assert s.monthly_usd == pytest.approx(s.gpus_for_volume * g.usd_per_gpu_hour * 730)
        op = pd.DataFrame([{"gpu": "h100-sxm", "output_tok_s": s.tok_s_per_gpu * s.gpus_per_replica,
                            "gpus_per_replica": s.gpus_per_replica}])  # fmt: skip
        offer = prices[h100].sort_values("usd_per_gpu_hour").head(1)
        plan = fleet_plans(op, offer, inputs.demand()).iloc[0]
        assert s.gpus_for_volume == plan["gpus_billed"] and s.monthly_usd == pytest.approx(plan["monthly_usd"])


def test_any_bundled_ar_model_can_be_the_baseline(catalog):
    options = decision.baseline_options(catalog.points)
    assert options[0] == "qwen3-8b"
    assert {"llama-3-8b", "llama-3.1-8b"} <= set(options) and not any(m.startswith("nld") for m in options)
    d = run(catalog, gpus=("h100-sxm",), baseline="llama-3-8b")
    g = d.gpus[0]
    assert g.baseline is not None and g.baseline.model == "llama-3-8b", g.notes
    assert "Llama" in g.verdict


def test_own_quote_prices_both_sides_and_break_even_price(catalog):
    d = run(catalog, gpus=("h100-sxm",), quote_usd_per_gpu_hour=2.0, nld_mode="self_spec")
    g = d.gpus[0]
    assert g.usd_per_gpu_hour == 2.0 and "Your quote" in g.offer
    assert g.break_even_usd_per_gpu_hour == pytest.approx(2.0 / g.ratio)


def test_context_sweep_says_where_the_advantage_ends(catalog):
    d = decide(catalog, catalog.points, catalog.prices, DecisionInputs(gpus=("h100-sxm",), nld_mode="self_spec"),
               ERRORS, context_isls=(1024, 32768))  # fmt: skip
    assert list(d.context["isl"]) == [1024, 32768]
    ratios = d.context.set_index("isl")["ratio"]
    end = decision.advantage_ends(d.context, "h100-sxm", nld_cheaper=False)
    assert ratios[1024] >= 1 and end == 32768 and ratios[32768] < 1  # dearer at 1K, cheaper at 32K (above)
    assert decision.advantage_ends(d.context, "h100-sxm", nld_cheaper=True) == 1024
    # from the user's 32K on, only longer prompts count: none swept here
    assert decision.advantage_ends(d.context, "h100-sxm", nld_cheaper=True, above=32768) is None


def test_no_jargon_in_crossover_words():
    g = decision.GpuDecision("h100-sxm", 1.0, "", None, None, False, crossover_status="challenger wins throughout")
    assert "challenger" not in decision.crossover_text(g)


def test_verdict_words_at_parity_and_either_side():
    side = decision.Side("nld-8b", "ar", "bf16", None, 8, 1.0, 1.0, 50.0, None, "vendor", "", "", "data point", 1, None)
    other = dataclasses.replace(side, model="qwen3-8b", usd_per_mtok=1.004)
    g = decision.GpuDecision("h100-sxm", 1.0, "", side, other, True)
    assert "about the same" in g.verdict and "both sides from data" in g.verdict
    g = decision.GpuDecision("h100-sxm", 1.0, "", side, dataclasses.replace(other, usd_per_mtok=2.0), True)
    assert "0.50x" in g.verdict and "50% cheaper" in g.verdict
