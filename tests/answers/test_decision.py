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


def test_curves_are_computed_apart_from_prices_and_reused_across_utilisation_tier_and_volume(catalog):
    """Issue 21 (load): the price-free curves of a GPU (gpu_curves, ~0.5 s each) depend only on curves_inputs;
    a decision made with a cache of them is the same decision, and a change of utilisation, tier, quote, volume,
    target values or NLD mode finds every curve in the cache."""
    memo: dict[object, tuple[object, list[str]]] = {}
    calls: list[object] = []

    def curves(cat, pts, key, gpu, isl):  # type: ignore[no-untyped-def]
        if (key, gpu, isl) not in memo:
            calls.append((key, gpu, isl))
            memo[(key, gpu, isl)] = decision.gpu_curves(cat, pts, key, gpu, isl)
        return memo[(key, gpu, isl)]

    base = DecisionInputs(gpus=("h100-sxm",))
    sweep = (1024, 4096)
    first = decide(catalog, catalog.points, catalog.prices, base, ERRORS, context_isls=sweep, curves=curves)
    assert len(calls) == 2  # one GPU at two prompt lengths
    plain = decide(catalog, catalog.points, catalog.prices, base, ERRORS, context_isls=sweep)
    assert first.gpus[0].ratio == pytest.approx(plain.gpus[0].ratio, rel=1e-12)
    assert first.gpus[0].crossover_concurrency == plain.gpus[0].crossover_concurrency
    assert first.context["ratio"].tolist() == pytest.approx(plain.context["ratio"].tolist(), rel=1e-12)
    for change in ({"util": 60}, {"tier": "spot"}, {"quote_usd_per_gpu_hour": 1.5}, {"tokens_per_month": 1e10},
                   {"tps": 20.0, "ttft": 5000.0}, {"nld_mode": "ar"}):  # fmt: skip
        other = dataclasses.replace(base, **change)
        d = decide(catalog, catalog.points, catalog.prices, other, ERRORS, context_isls=sweep, curves=curves)
        assert len(calls) == 2, change
        ref = decide(catalog, catalog.points, catalog.prices, other, ERRORS, context_isls=sweep)
        assert d.gpus[0].ratio == ref.gpus[0].ratio, change
    decide(catalog, catalog.points, catalog.prices, dataclasses.replace(base, osl=2048), ERRORS, curves=curves)
    assert len(calls) == 3  # the lengths are part of the curves


def test_the_context_sweep_can_be_limited_to_some_gpus(catalog):
    inputs = DecisionInputs(gpus=("a100-80gb", "h100-sxm"))
    d = decide(catalog, catalog.points, catalog.prices, inputs, ERRORS, context_isls=(1024, 4096),
               context_gpus=("a100-80gb",))  # fmt: skip
    assert [g.gpu for g in d.gpus] == ["a100-80gb", "h100-sxm"]
    assert set(d.context["gpu"]) == {"a100-80gb"} and sorted(d.context["isl"]) == [1024, 4096]


@pytest.mark.parametrize("util", [35, 80])
def test_a_decision_at_full_utilisation_rescaled_is_the_decision_made_at_that_utilisation(catalog, util):
    """Issue 21 (load): the app decides once at 100 % and rescales per user; that must be the same decision (same
    sides, ratios, GPUs and bills for a volume, break-even prices; every $/M x 100/util) as deciding at util."""
    kw = {"gpus": ("a100-80gb", "h100-sxm")}
    full = decide(catalog, catalog.points, catalog.prices, DecisionInputs(**kw), ERRORS, context_isls=(1024, 8192))
    made = decide(catalog, catalog.points, catalog.prices, DecisionInputs(util=util, **kw), ERRORS,
                  context_isls=(1024, 8192))  # fmt: skip
    scaled = decision.at_utilisation(full, util)
    assert scaled.inputs == made.inputs
    for a, b in zip(scaled.gpus, made.gpus, strict=True):
        assert (a.gpu, a.offer, a.like_precision, a.notes) == (b.gpu, b.offer, b.like_precision, b.notes)
        assert a.ratio == pytest.approx(b.ratio, rel=1e-9)
        assert a.break_even_usd_per_gpu_hour == pytest.approx(b.break_even_usd_per_gpu_hour, rel=1e-9)
        assert a.crossover_concurrency == b.crossover_concurrency
        for sa, sb in ((a.nld, b.nld), (a.baseline, b.baseline)):
            assert sa is not None and sb is not None
            assert dataclasses.replace(sa, usd_per_mtok=0.0) == dataclasses.replace(sb, usd_per_mtok=0.0)
            assert sa.usd_per_mtok == pytest.approx(sb.usd_per_mtok, rel=1e-9)
            assert sa.usd_per_mtok == pytest.approx(full_side(full, a.gpu, sa) * 100 / util, rel=1e-9)
    pd.testing.assert_frame_equal(scaled.context, made.context)


def test_a_decision_with_a_volume_is_not_rescaled(catalog):
    """A volume's fleet is sized in whole instances at the utilisation: rescaling its $/M would keep the fleet of
    another utilisation, so at_utilisation refuses it (the app decides such a decision at the user's utilisation)."""
    full = decide(catalog, catalog.points, catalog.prices, DecisionInputs(gpus=("h100-sxm",), tokens_per_month=5e10),
                  ERRORS, context_isls=(1024,))  # fmt: skip
    with pytest.raises(ValueError, match="monthly volume"):
        decision.at_utilisation(full, 50)


def full_side(d, gpu, side):  # type: ignore[no-untyped-def]
    g = next(g for g in d.gpus if g.gpu == gpu)
    s = g.nld if side is None or side.model == g.nld.model else g.baseline
    return s.usd_per_mtok


def test_the_default_best_mode_is_nlds_own_decoding_at_like_precision(catalog):
    """New-user walkthrough: the default ("best") showed NLD's AR mode at 1.00x, the same computation as the baseline,
    hiding self-speculation. It now sets NLD's cheapest self-speculation or diffusion option against the baseline at
    the same precision (fp8 against fp8), says mode, precision and block, and keeps NLD's AR ratio in a note."""
    d = run(catalog, gpus=("h100-sxm", "gb200"))
    for g in d.gpus:
        assert g.nld is not None and g.baseline is not None, g.notes
        assert g.nld.mode in decision.BEST_MODES and g.nld.block_size
        assert g.like_precision and g.baseline.precision == g.nld.precision
        assert g.nld.precision in g.verdict and f"b{g.nld.block_size}" in g.verdict
        assert any("own AR mode" in n for n in g.notes), g.notes
    h100 = d.gpus[0]
    # the baseline's fp8 (estimated) is cheaper than its bf16 on H100: an fp8 NLD is set against it, not against bf16
    assert h100.nld.precision == "fp8" and h100.baseline.precision == "fp8"


def test_an_explicit_nld_ar_mode_is_still_offered(catalog):
    g = run(catalog, gpus=("h100-sxm",), nld_mode="ar").gpus[0]
    assert g.nld is not None and g.nld.mode == "ar" and g.like_precision


def test_the_length_sweep_carries_each_sides_dollars_range_and_provenance(catalog):
    """Walkthrough: the beyond-16K table had ratios only, with no error range or provenance for estimated rows."""
    from calculator.present.decision_cards import context_table

    d = decide(catalog, catalog.points, catalog.prices, DecisionInputs(gpus=("gb200",)), ERRORS,
               context_isls=(1024, 32768))  # fmt: skip
    shown = context_table(d.context, {"gb200": "GB200 (per GPU, NVL72)"})
    assert set(shown["GPU"]) == {"GB200 (per GPU, NVL72)"}
    est = d.context[d.context["nld_provenance"] == "estimated"]
    assert not est.empty
    row = shown.loc[est.index[0]]
    assert "estimated ±" in row["NLD $/M"] and "–" in row["NLD $/M"] and row["NLD $/M"].startswith("$")
    assert "(" in row["NLD ÷ baseline"] and "x–" in row["NLD ÷ baseline"]
    # the sweep's $/M follow the utilisation like the cards' (at_utilisation), ratios stay
    scaled = decision.at_utilisation(d, 50)
    assert scaled.context["nld_usd"].tolist() == pytest.approx((d.context["nld_usd"] * 2).tolist())
    assert scaled.context["ratio"].tolist() == pytest.approx(d.context["ratio"].tolist())


def test_lead_is_said_only_where_nld_leads():
    """Walkthrough: "NLD's lead ends at about 20 concurrent requests" on a card where NLD is dearer."""
    g = decision.GpuDecision("h100-sxm", 2.0, "", None, None, True, crossover_concurrency=20.0)
    assert "lead" not in decision.crossover_text(g) and "20" in decision.crossover_text(g)


def test_where_the_context_flip_is_within_the_estimators_error_the_card_says_it_could_go_either_way(catalog):
    """'What would change the verdict' names the prompt length where NLD and the baseline swap places; where the ratio
    there is within both sides' error of 1 (its range spans 1), it says the flip could go either way instead of
    stating it flat (new-user walkthrough: "from 4,096 prompt tokens NLD is cheaper" on a 0.71-1.36x row)."""
    from calculator.present.decision_cards import what_changes

    inputs = DecisionInputs(gpus=("h100-sxm",))
    d = decide(catalog, catalog.points, catalog.prices, inputs, ERRORS, context_isls=(1024, 2048, 4096, 8192, 16384))
    text = str(what_changes(d).loc[0, "Context length"])
    flip = d.context[(d.context["isl"] > inputs.isl)]
    spans = flip[(flip["ratio_low"] < 1) & (flip["ratio_high"] > 1)]
    assert text.startswith("from ")  # NLD is dearer at 1K on H100 and cheaper from some longer prompt
    at = int(text.split("from ")[1].split(" prompt")[0].replace(",", ""))
    row = flip[flip["isl"] == at].iloc[0]
    assert ("could go either way" in text) == bool(row["ratio_low"] < 1 < row["ratio_high"])
    assert not spans.empty  # the bundled H100 sweep has such a row (errors of ±10-40 %), so the case is exercised
