"""The error figure of every estimated row is the held-out-source one (leave-one-source-out, per mode and engine
class), computed once per catalog content: shipped for the bundled data (and current), cached otherwise; modes without
held-out serving data say what their figure rests on."""

from __future__ import annotations

import time

import pandas as pd
import pytest

from calculator.answers import estimate_errors as ee
from calculator.answers.checks import error_pct, estimate_error_text, with_error_range
from calculator.data.catalog import load_catalog
from calculator.model.estimator import held_out_error


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def table(catalog):
    return ee.estimate_errors(catalog)


def test_the_shipped_table_is_current(catalog):
    """Fails when the estimator, its data or this table's rules changed without re-recording it
    (`NLD_COST_CACHE=off python -m tests.golden.cli_golden --record` rewrites it with the goldens)."""
    shipped = ee._shipped(ee.content_key(catalog))
    assert shipped is not None, "estimate_errors.json was recorded for other data or estimator code: re-record it"
    pd.testing.assert_frame_equal(shipped, ee.compute_errors(catalog), check_exact=False, rtol=1e-6)


@pytest.mark.parametrize(("mode", "engine"), [("ar", None), ("ar", "vllm-v0"), ("ar", "trt-llm"), ("self_spec", None)])
def test_a_rows_figure_is_the_held_out_source_median_of_its_mode_on_its_engine(catalog, table, mode, engine):
    expected = held_out_error(catalog, mode, engine)
    assert error_pct(table, mode, engine) == pytest.approx(expected.median_pct, rel=1e-9)
    assert f"±{expected.median_pct:.0f} % median, p90 {expected.p90_pct:.0f} %" in estimate_error_text(
        table, mode, engine
    )


def test_the_engine_generation_changes_the_figure(table):
    assert error_pct(table, "ar", "trt-llm") != error_pct(table, "ar", "sglang")
    assert error_pct(table, "ar") == error_pct(table, "ar", "sglang")  # estimates are for SGLang


def test_a_generation_without_data_quotes_the_unseen_generation_figure(table):
    """No point of vLLM 0.10-0.13 (V1 engine, synchronous scheduling) is held: its rows quote the error of predicting an
    engine generation never measured (leave-one-generation-out of the mode), not vLLM V1's own source figure. Both
    TensorRT-LLM generations have data of their own (the 0.17 and 1.0 tables): each quotes its own figure."""
    text = estimate_error_text(table, "ar", "vllm-sync")
    assert "leave-one-generation-out" in text and "never measured" in text
    assert error_pct(table, "ar", "vllm-sync") == error_pct(table, "ar", "sglang-0.3")
    assert error_pct(table, "ar", "vllm-sync") != error_pct(table, "ar", "vllm")
    assert "never measured" not in estimate_error_text(table, "ar", "trt-llm-pytorch")
    assert error_pct(table, "ar", "trt-llm-pytorch") != error_pct(table, "ar", "vllm-sync")


def test_modes_without_held_out_serving_data_say_what_their_figure_rests_on(table):
    """Diffusion has no held-out serving data: its rows quote the multi-token modes' figure (self-speculation and
    EAGLE-3 held out by source), not AR's, since a multi-token mode's error includes tokens per cycle and engine time
    per cycle that AR points never test; the note says so and that diffusion's own error is not known."""
    text = estimate_error_text(table, "diffusion")
    assert "no diffusion serving data held out" in text and "multi-token modes" in text and "not known" in text
    assert error_pct(table, "diffusion") != error_pct(table, "all")
    assert error_pct(table, "diffusion") > error_pct(table, "ar")  # a multi-token mode is not quoted AR's error
    row = table[(table["mode"] == "diffusion") & (table["engine"] == "sglang")].iloc[0]
    assert row["scope"] == "multi-token modes" and row["points"] >= 80
    spec = estimate_error_text(table, "self_spec")
    assert "3 sources" in spec and "B200" in spec  # self-speculation's held-out data: B200 sweeps and Fig. 9


def test_one_figure_per_row_as_a_dollar_range(table):
    rows = pd.DataFrame(
        {"provenance": ["estimated", "estimated", "vendor"], "mode": ["ar", "self_spec", "ar"],
         "usd_per_mtok_output": [1.0, 1.0, 1.0]}
    )  # fmt: skip
    out = with_error_range(rows, table, "usd_per_mtok_output")
    ar, spec = error_pct(table, "ar"), error_pct(table, "self_spec")
    assert out["est_error_pct"].iloc[:2].tolist() == pytest.approx([ar, spec]) and pd.isna(out["est_error_pct"][2])
    assert out["usd_per_mtok_output_low"][0] == pytest.approx(1 / (1 + ar / 100))
    assert out["usd_per_mtok_output_high"][1] == pytest.approx(1 / (1 - spec / 100))
    assert out["usd_per_mtok_output_low"][2] == out["usd_per_mtok_output_high"][2] == 1.0


def test_computed_once_per_content_then_from_memory(catalog, monkeypatch):
    calls = []
    real = ee.compute_errors
    monkeypatch.setattr(ee, "_MEMORY", {})
    monkeypatch.setattr(ee, "_shipped", lambda key: None)  # as for data other than the bundled
    monkeypatch.setattr(ee, "compute_errors", lambda cat: calls.append(1) or real(cat))
    first = ee.estimate_errors(catalog)
    started = time.perf_counter()
    again = ee.estimate_errors(catalog)
    assert time.perf_counter() - started < 0.05
    assert calls == [1]
    pd.testing.assert_frame_equal(first, again)


def test_the_shipped_table_is_read_without_any_refit(catalog, monkeypatch):
    monkeypatch.setattr(ee, "_MEMORY", {})
    monkeypatch.setattr(ee, "compute_errors", lambda cat: pytest.fail("refit on the bundled data"))
    assert not ee.estimate_errors(catalog).empty
