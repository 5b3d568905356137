"""calculator.answers.compare and calculator.answers.gpu_compare without Streamlit: the Compare view (best point
per curve, its
concurrency-1 cost, the cheapest option per GPU, estimates badged with their error) and the GPU comparison."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from calculator.answers.compare import CompareQuery, compare_view, estimate_pool, export_frame, filter_options
from calculator.answers.gpu_compare import FOCUS_GPUS, compare_gpus
from calculator.data.catalog import load_catalog
from calculator.model.cost import CostSettings


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def pool(catalog):
    pts, problems = estimate_pool(catalog, catalog.points, catalog.prices, isl=1024, osl=1024)
    assert not problems
    return pts


def test_best_view_shows_each_curve_once_per_offer_with_its_concurrency_1_cost(pool, catalog):
    view = compare_view(pool, catalog.prices, CompareQuery(), CostSettings(), {"all": "±10 %"})
    table = view.table
    assert not table.duplicated(["profile_id", "offer_id"]).any()
    assert (table["tier"] == "on_demand").all()
    with_c1 = table.dropna(subset=["usd_at_c1"])
    assert (with_c1["usd_at_c1"] >= with_c1["usd_per_mtok_output"] - 1e-12).all()  # batching never costs more
    assert table["usd_per_mtok_output"].is_monotonic_increasing


def test_exactly_one_cheapest_option_per_gpu(pool, catalog):
    table = compare_view(pool, catalog.prices, CompareQuery(), CostSettings(), {}).table
    starred = table[table["cheapest_on_gpu"]]
    assert starred["gpu"].is_unique and set(starred["gpu"]) == set(table["gpu"])
    eligible = table[table["eligible"]]  # a weight-only estimate (e.g. Qwen3-8B fp8 on an A100) is never starred
    for gpu, row in starred.set_index("gpu").iterrows():
        assert row["usd_per_mtok_output"] == pytest.approx(
            eligible.loc[eligible["gpu"] == gpu, "usd_per_mtok_output"].min()
        )


def test_estimated_rows_carry_the_estimators_error_for_their_mode(pool, catalog):
    errors = {"ar": "±5 % median (worst 9 %)", "all": "±20 %"}
    table = compare_view(pool, catalog.prices, CompareQuery(), CostSettings(), errors).table
    est = table[table["provenance"] == "estimated"]
    assert not est.empty
    assert (est.loc[est["mode"] == "ar", "est_error"] == errors["ar"]).all()
    assert (table.loc[table["provenance"] != "estimated", "est_error"] == "").all()


def test_a_fixed_concurrency_keeps_only_curves_with_a_point_there(pool, catalog):
    view = compare_view(pool, catalog.prices, CompareQuery(concurrency="16"), CostSettings(), {})
    assert set(view.table["concurrency"]) == {16}
    assert "usd_at_c1" not in view.table
    assert view.curves_without_point > 0


def test_utilisation_scales_every_cost(pool, catalog):
    full = compare_view(pool, catalog.prices, CompareQuery(gpus=("b200",)), CostSettings(), {}).table
    half = compare_view(pool, catalog.prices, CompareQuery(gpus=("b200",)), CostSettings(utilisation=0.5), {}).table
    merged = full.merge(half, on=["profile_id", "offer_id"])
    assert (merged["usd_per_mtok_output_y"] / merged["usd_per_mtok_output_x"]).to_numpy() == pytest.approx(2.0)


def test_filter_options_list_every_priced_gpu_and_estimated_provenance(catalog):
    options = filter_options(catalog.points, catalog.prices)
    assert set(catalog.prices["gpu"]) <= set(options["gpu"])
    assert "estimated" in options["provenance"] and options["concurrency"][0] == "best"


def test_export_frame_names_the_concurrency_1_cost_after_its_denominator(pool, catalog):
    view = compare_view(pool, catalog.prices, CompareQuery(), CostSettings(), {})
    out = export_frame(view, "usd_per_mtok_output")
    assert "usd_per_mtok_output_at_c1" in out and "usd_at_c1" not in out
    assert view.assumptions["view"] == "Compare" and view.assumptions["utilisation"] == 1.0


def test_gpu_comparison_has_data_on_gb200_and_estimates_elsewhere(catalog):
    res = compare_gpus(
        catalog, catalog.points, catalog.prices, model="nld-8b", mode="self_spec", precision="fp8", concurrency=1,
        gpus=FOCUS_GPUS, settings=CostSettings(),
    )  # fmt: skip
    kinds = res.table.groupby("gpu")["kind"].first()
    assert kinds["gb200"] == "data point"
    assert (kinds.drop("gb200").isin(["estimated", "data point"])).all()
    assert set(res.table["gpu"]) | set(res.no_data) == set(FOCUS_GPUS)


def test_gpu_comparison_of_an_ar_only_model_compares_ar(catalog):
    res = compare_gpus(
        catalog, catalog.points, catalog.prices, model="qwen3-8b", mode="self_spec", precision="bf16", concurrency=8,
        gpus=("b200", "h100-sxm"), settings=CostSettings(),
    )  # fmt: skip
    assert res.mode == "ar" and set(res.table["mode"]) == {"ar"}


def test_every_model_with_an_architecture_can_be_picked_and_gets_estimates(catalog):
    options = filter_options(catalog.points, catalog.prices)
    assert {"nld-3b", "nld-14b", "llama-3.1-8b"} <= set(options["model"])
    pool, _ = estimate_pool(catalog, catalog.points, catalog.prices, isl=1024, osl=1024, models=("nld-14b",))
    view = compare_view(pool, catalog.prices, CompareQuery(models=("nld-14b",)), CostSettings(), {})
    est = view.table[view.table["provenance"] == "estimated"]
    assert not est.empty and {"ar", "self_spec"} <= set(est["mode"])


def test_a_weight_only_estimate_is_never_the_star_unless_allowed(pool, catalog):
    query = CompareQuery(gpus=("a100-80gb", "a100-40gb", "a10g", "l4"))
    table = compare_view(pool, catalog.prices, query, CostSettings(), {}).table
    wo = table["weight_only"].astype("boolean").fillna(False).astype(bool)
    assert wo.any(), "no weight-only estimate on these GPUs"
    assert not (table["cheapest_on_gpu"] & wo).any()
    allowed = compare_view(pool, catalog.prices, dataclasses.replace(query, weight_only=True), CostSettings(), {})
    starred = allowed.table[allowed.table["cheapest_on_gpu"]]
    for gpu, row in starred.set_index("gpu").iterrows():
        assert row["usd_per_mtok_output"] == pytest.approx(
            allowed.table.loc[allowed.table["gpu"] == gpu, "usd_per_mtok_output"].min()
        )


@pytest.mark.parametrize("denominator", ["output", "total"])
@pytest.mark.parametrize("concurrency", ["best", "highest"])
def test_a_view_priced_at_full_utilisation_rescaled_is_the_view_priced_at_that_utilisation(
    pool, catalog, denominator, concurrency
):
    """Issue 21 (load): the app prices the Compare view at 100 % once and rescales per user's utilisation; that must
    be the same table (rows, order, stars, every column) as pricing at that utilisation."""
    from calculator.answers.compare import at_utilisation, unseen_gpu_errors
    from calculator.model.cost import DENOMINATORS

    denom = next(k for k, (col, _) in DENOMINATORS.items() if col == f"usd_per_mtok_{denominator}")
    errors = unseen_gpu_errors(catalog)
    query = CompareQuery(concurrency=concurrency, tiers=())
    full = compare_view(pool, catalog.prices, query, CostSettings(denominator=denom), {"all": "±10 %"}, errors)
    for util in (0.35, 0.8):
        made = compare_view(
            pool, catalog.prices, query, CostSettings(utilisation=util, denominator=denom), {"all": "±10 %"}, errors
        )
        scaled = at_utilisation(full, util)
        pd.testing.assert_frame_equal(scaled.table, made.table, rtol=1e-12)
        assert scaled.assumptions == made.assumptions
        assert (scaled.unpriced_gpus, scaled.estimated_rows) == (made.unpriced_gpus, made.estimated_rows)
        assert (scaled.top["profile_id"], scaled.top["offer_id"]) == (made.top["profile_id"], made.top["offer_id"])


def test_a_gpu_comparison_priced_at_full_utilisation_rescaled_is_the_one_priced_at_that_utilisation(catalog):
    """Issue 21 (load): the Hardware page prices at 100 % once and rescales per user; the same table as pricing at
    that utilisation."""
    from calculator.answers.gpu_compare import at_utilisation

    kw = {"model": "nld-8b", "mode": "self_spec", "precision": "fp8", "concurrency": 8, "gpus": FOCUS_GPUS}
    full = compare_gpus(catalog, catalog.points, catalog.prices, settings=CostSettings(), **kw)
    for util in (0.35, 0.8):
        made = compare_gpus(catalog, catalog.points, catalog.prices, settings=CostSettings(utilisation=util), **kw)
        pd.testing.assert_frame_equal(at_utilisation(full, 1.0, util).table, made.table, rtol=1e-12)
        assert at_utilisation(full, 1.0, util).no_data == made.no_data
