"""calculator.answers.scenario without Streamlit: a scenario's curves, pricing, cost table, cheapest option and
crossover
on the bundled data (the Scenario and Export pages draw exactly these)."""

from __future__ import annotations

import dataclasses

import pytest

from calculator.answers.checks import Targets, curve_checks
from calculator.answers.scenario import (
    ScenarioInputs,
    build_scenario,
    cheapest_option,
    headline_crossovers,
    scenario_crossover,
    scenario_curves,
    scenario_table,
)
from calculator.data.catalog import load_catalog


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def b200(catalog):
    return build_scenario(catalog, catalog.points, catalog.prices, ScenarioInputs(), price_ratio=4.0)


def test_b200_scenario_has_data_and_estimates_for_the_modes_without_data(b200):
    dense = b200.dense
    data = dense[dense["provenance"] != "estimated"]
    est = dense[dense["provenance"] == "estimated"]
    assert set(data["model"]) >= {"nld-8b", "qwen3-8b"}
    assert {"ar", "diffusion"} <= set(est.loc[est["model"] == "nld-8b", "mode"])  # no NLD-8B AR/diffusion data
    assert "ar" in b200.curves.estimate_note and "diffusion" in b200.curves.estimate_note
    assert set(dense["point_basis"]) == {"data point", "interpolated", "estimated"}


def test_pricing_uses_the_cheapest_offer_of_the_tier(b200, catalog):
    offers = catalog.prices[(catalog.prices["gpu"] == "b200") & (catalog.prices["tier"] == "on_demand")]
    assert len(b200.offer) == 1
    assert b200.offer["usd_per_gpu_hour"].iloc[0] == pytest.approx(offers["usd_per_gpu_hour"].min())
    assert set(b200.priced["offer_id"]) == set(b200.offer["id"])
    assert len(b200.priced) == len(b200.dense)


def test_a_provider_choice_prices_with_that_provider(catalog):
    offers = catalog.prices[(catalog.prices["gpu"] == "b200") & (catalog.prices["tier"] == "on_demand")]
    dearest = offers.sort_values("usd_per_gpu_hour").iloc[-1]
    res = build_scenario(
        catalog, catalog.points, catalog.prices, ScenarioInputs(provider=dearest["provider"]), price_ratio=4.0
    )
    assert res.offer["provider"].iloc[0] == dearest["provider"]


def test_cost_table_checks_every_row_against_the_targets(b200):
    table = scenario_table(b200)
    assert len(table) == len(b200.priced)
    assert {"meets_targets", "target_check", "ranked", "usd_per_mtok_output", "provenance", "source"} <= set(table)
    tps = table["tok_s_user"]
    assert (table.loc[tps < 50, "meets_targets"] == False).all()  # noqa: E712 (numpy bools)


def test_cheapest_option_meets_the_targets_and_is_the_cheapest_ranked_point(b200):
    targets = b200.inputs.targets
    best = cheapest_option(b200, targets, "usd_per_mtok_output")
    assert best is not None and best["tok_s_user"] >= 50
    table = scenario_table(b200)
    ok = table[table["meets_targets"] & table["ranked"]]
    assert best["usd_per_mtok_output"] == pytest.approx(ok["usd_per_mtok_output"].min())


def test_b200_crossover_headline_is_like_precision_near_16(b200):
    crossings, crosses = headline_crossovers(scenario_crossover(b200.dense), b200)
    assert {"uses_estimate", "ranked_pair"} <= set(crossings)
    x = crosses.iloc[0]
    assert x["like_precision"] and 8 <= x["crossover_concurrency"] <= 32


def test_curves_do_not_depend_on_the_ttft_value_only_on_whether_one_is_set(catalog):
    a = scenario_curves(catalog, catalog.points, ScenarioInputs(ttft=500))
    b = scenario_curves(catalog, catalog.points, ScenarioInputs(ttft=2000))
    assert a.points["profile_id"].tolist() == b.points["profile_id"].tolist()


def test_long_inputs_add_estimated_counterparts_for_curves_at_other_lengths(catalog):
    res = scenario_curves(catalog, catalog.points, ScenarioInputs(isl=8192, osl=256))
    differ = res.checks[res.checks["lengths_differ"]]
    assert not differ.empty and not differ["ranked"].any()
    est = res.points[res.points["provenance"] == "estimated"]
    assert (est["isl"] == 8192).all() and (est["osl"] == 256).all()


def test_strict_ttft_target_unranks_curves_without_ttft(catalog):
    pts = catalog.points[catalog.points["gpu"] == "gb200"]
    strict = curve_checks(pts, isl=300, osl=640, targets=Targets(max_ttft_ms=500.0, min_tok_s_user=None))
    lax = curve_checks(pts, isl=300, osl=640, targets=Targets(max_ttft_ms=500.0, min_tok_s_user=None, strict=False))
    no_ttft = ~strict["ttft_known"]
    assert no_ttft.any()
    assert not strict.loc[no_ttft, "ranked"].any() and lax.loc[no_ttft, "ranked"].all()


def test_the_crossover_is_measured_against_the_chosen_baseline(catalog):
    for base, model in (("qwen3-8b", "qwen3-8b"), ("own", "nld-8b")):
        res = build_scenario(catalog, catalog.points, catalog.prices, ScenarioInputs(base=base), price_ratio=4.0)
        crossings, crosses = headline_crossovers(scenario_crossover(res.dense), res)
        assert not crosses.empty
        assert set(crosses["baseline_model"]) == {model} and set(crosses["challenger_model"]) == {"nld-8b"}
        assert set(crossings["baseline_model"]) == {model}  # only the chosen baseline's pairs are shown
    assert ScenarioInputs().baseline_text == "Qwen3-8B AR"
    assert ScenarioInputs(size="14B", base="own").baseline_text == "NLD-14B's own AR mode"


def test_the_crossover_never_pairs_curves_at_different_lengths(catalog):
    res = build_scenario(catalog, catalog.points, catalog.prices, ScenarioInputs(isl=32768), price_ratio=4.0)
    crossings, _ = headline_crossovers(scenario_crossover(res.dense), res)
    ranked = set(res.checks.loc[res.checks["ranked"], "profile_id"])
    assert not crossings.empty
    assert crossings["challenger_profile"].isin(ranked).all() and crossings["baseline_profile"].isin(ranked).all()
    assert crossings["challenger_label"].str.contains("(estimated)", regex=False).all()  # B200 data is at ~300 in
    assert not crossings.duplicated(["challenger_label", "baseline_label"]).any()


def test_a_context_override_is_checked_like_a_long_prompt(catalog):
    res = scenario_curves(catalog, catalog.points, ScenarioInputs(ctx=32768))
    data = res.checks[res.checks["provenance"] != "estimated"]
    assert not data.empty and not data["ranked"].any()  # short-prompt data does not reflect a 32K context


def test_data_without_stated_lengths_does_not_answer_a_32k_prompt(catalog):
    """Yobitel's H100 Llama-3.1-8B sweep states no lengths (a short-chat workload): at a 32K prompt it is shown but
    not ranked, an estimate of the same configuration at 32K stands in, and the cheapest answer is not that sweep.
    (It was the cheapest answer to "beyond 16K on H100" before lengths_unknown.)"""
    inputs = ScenarioInputs(gpu="h100-sxm", isl=32768, osl=1024)
    res = build_scenario(catalog, catalog.points, catalog.prices, inputs, price_ratio=4.0)
    checks = res.checks.set_index("profile_id")
    yob = "yobitel-h100-llama-3.1-8b-fp16-vllm-0.21.0"
    assert checks.loc[yob, "lengths_status"] == "unknown" and bool(checks.loc[yob, "lengths_unknown"])
    assert not checks.loc[yob, "ranked"] and "lengths not stated: not ranked" in checks.loc[yob, "check_note"]
    est = res.curves.points[res.curves.points["provenance"] == "estimated"]
    twin = est[(est["model"] == "llama-3.1-8b") & (est["precision"] == "fp16") & (est["mode"] == "ar")]
    assert not twin.empty and (twin["isl"] == 32768).all()
    best = cheapest_option(res, inputs.targets, "usd_per_mtok_output")
    assert best is not None and best["profile_id"] != yob
    # With the toggle off the user asked for data at any lengths: it is ranked again, with its note.
    lax = build_scenario(
        catalog, catalog.points, catalog.prices, ScenarioInputs(gpu="h100-sxm", isl=32768, osl=1024, est_len=False),
        price_ratio=4.0,
    )  # fmt: skip
    row = lax.checks.set_index("profile_id").loc[yob]
    assert row["ranked"] and "lengths not stated: ranked anyway" in row["check_note"]


@pytest.mark.parametrize("gpu", ["h100-sxm", "a100-80gb"])
def test_every_precision_nld_is_shown_at_has_a_like_precision_baseline(gpu):
    """Issue 18 item 3: NLD fp8 used to be set against Qwen3-8B bf16 only; Qwen3-8B AR and EAGLE-3 now come at every
    precision NLD is shown at (estimated, and labelled so, where no data exists), and the crossover has a like pair."""
    c = load_catalog()
    r = build_scenario(c, c.points, c.prices, ScenarioInputs(gpu=gpu, isl=1024, osl=1024), price_ratio=1.0)
    curves = r.dense.drop_duplicates("profile_id")
    nld = curves[curves["model"] == "nld-8b"]
    qwen = curves[curves["model"] == "qwen3-8b"]
    for precision in set(nld["precision"]):
        for mode in ("ar", "spec_eagle3"):
            like = qwen[(qwen["precision"] == precision) & (qwen["mode"] == mode)]
            assert not like.empty, (precision, mode)
            assert (like["provenance"] != "estimated").all() or like["curve"].str.contains("estimated").all()
    crossings, _ = headline_crossovers(scenario_crossover(r.dense), r)
    fp8 = crossings[crossings["challenger_precision"] == "fp8"]
    assert fp8["like_precision"].any()


def test_one_estimator_error_figure_per_row_as_a_dollar_range():
    """Issue 18 item 6: self-speculation read ±43 % on badges, 132 % on Hardware and ±11 % on Compare's caption; a row's
    figure is now error_pct of its mode (the estimator's error table), its text and its $ range built from it."""
    import pandas as pd

    from calculator.answers.checks import error_pct, estimate_error_text, usd_range, with_error_range

    errors = pd.DataFrame(
        {"mode": ["self_spec", "all"], "points": [10, 50], "median_abs_error_pct": [43.0, 11.0],
         "p90_abs_error_pct": [80.0, 30.0], "worst_abs_error_pct": [132.0, 140.0], "note": ["", ""]}
    )  # fmt: skip
    assert error_pct(errors, "self_spec") == 43.0 and error_pct(errors, "diffusion") == 11.0
    assert estimate_error_text(errors, "self_spec").startswith("±43 %")
    low, high = usd_range(1.0, 43.0)
    assert low == pytest.approx(1 / 1.43) and high == pytest.approx(1 / 0.57)
    assert usd_range(2.0, None) == (2.0, 2.0) and usd_range(1.0, 150.0)[1] == float("inf")
    table = pd.DataFrame(
        {"mode": ["self_spec", "ar"], "provenance": ["estimated", "vendor"], "usd_per_mtok_output": [1.0, 2.0]}
    )
    out = with_error_range(table, errors, "usd_per_mtok_output")
    assert out["est_error_pct"].iloc[0] == 43.0 and pd.isna(out["est_error_pct"].iloc[1])
    assert out["usd_per_mtok_output_low"].tolist() == pytest.approx([1 / 1.43, 2.0])
    assert out["usd_per_mtok_output_high"].tolist() == pytest.approx([1 / 0.57, 2.0])


def test_hardware_trust_text_reads_each_mode_as_its_rows_do():
    import pandas as pd

    from calculator.answers.gpu_compare import trust_texts

    headline = pd.DataFrame(
        {"grouping": ["gpu", "gpu"], "modes": ["all", "self_spec"], "median_abs_error_pct": [20.0, 132.0],
         "worst_abs_error_pct": [300.0, 300.0], "points": [100, 10]}
    )  # fmt: skip
    errors = pd.DataFrame({"mode": ["self_spec", "all"], "median_abs_error_pct": [43.0, 11.0]})
    text = trust_texts(pd.DataFrame(), headline, errors)[0]
    assert "43 % median" in text and "132 % median" not in text


def test_a_scenario_priced_at_full_utilisation_rescaled_is_the_scenario_priced_at_that_utilisation(catalog):
    """Issue 21 (load): the app prices a scenario's curves at 100 % once per offer and rescales per user; that must
    be the same priced frame (and so the same cheapest option) as pricing at that utilisation."""
    import pandas as pd

    from calculator.answers.scenario import price_scenario, priced_at_utilisation

    curves = scenario_curves(catalog, catalog.points, ScenarioInputs(gpu="h100-sxm"))
    full = price_scenario(curves, catalog.prices, ScenarioInputs(gpu="h100-sxm"), price_ratio=4.0)
    for util in (35, 80):
        inputs = ScenarioInputs(gpu="h100-sxm", util=util)
        made = price_scenario(curves, catalog.prices, inputs, price_ratio=4.0)
        scaled = priced_at_utilisation(full.priced, 100, util)
        pd.testing.assert_frame_equal(scaled, made.priced, rtol=1e-12)
        a = cheapest_option(dataclasses.replace(made, priced=scaled), inputs.targets, "usd_per_mtok_output")
        b = cheapest_option(made, inputs.targets, "usd_per_mtok_output")
        assert (a is None) == (b is None) and (a is None or a["profile_id"] == b["profile_id"])
