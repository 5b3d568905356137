"""calculator/estimator/validation.py: leave-one-out by point, profile and GPU, the error summaries and
the headline figures users read, predicted the way estimates are made."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from calculator.catalog import load_catalog
from calculator.estimator import (
    HEADLINE_COLUMNS,
    LOO_COLUMNS,
    describe_fit,
    error_summary,
    estimate_points,
    fit,
    fit_table,
    headline_errors,
    leave_one_out,
    summarise_headline,
)

CATALOG = load_catalog()
SPEED_BENCH = {"isl": 300, "osl": 640}  # the lengths the bundled SPEED-Bench profiles ran at (means)


@pytest.fixture(scope="module")
def loo() -> pd.DataFrame:
    return leave_one_out(CATALOG)


def test_batch_1_ar_leave_one_out(loo: pd.DataFrame):
    """Out of sample: GB200 AR within 25 %. RTX Pro 6000 AR is the estimator's worst point (its fp8 path runs
    at ~45 % of the GDDR7 bandwidth while its int4 points run faster); pinned at < 40 % to catch regressions."""
    ar = loo[(loo["mode"] == "ar") & (loo.concurrency == 1)].set_index("gpu")
    assert abs(ar.loc["gb200", "error_pct"]) < 25
    assert abs(ar.loc["rtx-pro-6000", "error_pct"]) < 40


def test_leave_one_out_covers_every_predictable_point(loo: pd.DataFrame):
    assert list(loo.columns) == LOO_COLUMNS
    excluded_points = [why for why in fit(CATALOG).excluded if "@" in why.split(":")[0]]
    assert len(loo) + len(excluded_points) == len(CATALOG.points)  # each point predicted or listed with why
    assert any("qwen3.5-9b" in why for why in excluded_points)  # no architecture in the facts
    assert not loo.in_fit[loo["mode"] == "diffusion"].any()  # TPF on SPEED-Bench is assumed: predicted only
    assert np.isfinite(loo.error_pct).all()


def test_error_summary_has_median_and_worst_per_gpu_and_mode_and_overall(loo: pd.DataFrame):
    summary = error_summary(loo)
    overall = summary[(summary.gpu == "all") & (summary["mode"] == "all")].iloc[0]
    assert overall.points == len(loo)
    assert overall.median_abs_error_pct <= overall.worst_abs_error_pct
    assert overall.median_abs_error_pct < 15  # the target; the figure itself is reported in docs
    assert {("b200", "ar"), ("gb200", "self_spec"), ("all", "ar")} <= set(
        zip(summary.gpu, summary["mode"], strict=True)
    )


def test_headline_errors_give_both_groupings_in_words():
    head = headline_errors(CATALOG)
    assert list(head.columns) == HEADLINE_COLUMNS
    assert list(zip(head.grouping, head.modes, strict=True)) == [
        (g, m) for g in ("point", "gpu") for m in ("all", "ar", "self_spec")
    ]
    words = dict(zip(head.grouping, head.predicting, strict=False))
    assert words == {"point": "a point of a GPU we have data for", "gpu": "a GPU we have no data for"}
    by = head.set_index(["grouping", "modes"])
    assert (by.median_abs_error_pct <= by.worst_abs_error_pct).all()
    # A GPU we have no data for is much harder than a point of a GPU we have: the figure users must see.
    assert by.loc[("gpu", "all"), "median_abs_error_pct"] > 2 * by.loc[("point", "all"), "median_abs_error_pct"]
    assert by.loc[("gpu", "self_spec"), "median_abs_error_pct"] > by.loc[("gpu", "ar"), "median_abs_error_pct"]
    assert by.loc[("point", "all"), "points"] == by.loc[("gpu", "all"), "points"]


def test_leave_one_out_predicts_as_estimates_do(loo: pd.DataFrame):
    """Held-out points are predicted with the serving calibration's engine time, as estimates are: the paper's
    Fig. 9 GB200 self-spec (its build: ~1 ms per cycle) is under-predicted the way the GB200 estimate is."""
    gb200 = loo[(loo.gpu == "gb200") & (loo["mode"] == "self_spec") & ~loo.point.str.contains("custom")]
    est = estimate_points(CATALOG, ["gb200"], "nld-8b", "self_spec", concurrency=[1], precision="fp8", **SPEED_BENCH)
    assert gb200.error_pct.iloc[0] < -30
    assert gb200.predicted_tok_s.iloc[0] == pytest.approx(est.output_tok_s.iloc[0], rel=0.1)


def test_leave_one_gpu_out_predicts_an_unseen_gpu():
    strict = leave_one_out(CATALOG, group="gpu")
    b200_ar = strict[(strict.gpu == "b200") & (strict["mode"] == "ar")]
    assert b200_ar.error_pct.abs().median() < 15  # B200 AR from the other GPUs' batch-1 points only
    with pytest.raises(ValueError, match="group"):
        leave_one_out(CATALOG, group="nonsense")


def test_summarise_headline_gives_headline_errors_from_tables_already_computed(loo: pd.DataFrame):
    tables = {"point": loo, "gpu": leave_one_out(CATALOG, group="gpu")}
    pd.testing.assert_frame_equal(summarise_headline(tables), headline_errors(CATALOG))


def test_fit_table_lists_defaults_pooled_families_and_gpus_and_describe_fit_the_shared_terms():
    result = fit(CATALOG)
    table = fit_table(result)
    assert list(table.level[:2]) == ["defaults", "pooled"]
    assert set(table[table.level == "gpu"].name) == set(result.gpus)
    assert set(table[table.level == "family"].name) == set(result.families)
    assert table.loc[table.level == "pooled", "points"].iloc[0] == result.n_points
    text = describe_fit(result)
    assert f"fp8 compute gain {result.fp8_gain:.2f}x" in text and f"{result.n_points} points fitted" in text
