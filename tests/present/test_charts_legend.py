"""Charts default to at most 8 legend entries (charts.MAX_LEGEND): on a real scenario with more curves than that,
the frontier and cost figures keep the most relevant ones and say how many they left out; asked, they show all."""

from __future__ import annotations

import pytest

from calculator.answers import scenario
from calculator.data.catalog import load_catalog
from calculator.present import charts


@pytest.fixture(scope="module")
def result():
    cat = load_catalog()
    inputs = scenario.ScenarioInputs(gpu="b200")
    return scenario.build_scenario(cat, cat.points, cat.prices, inputs, price_ratio=4.0)


def test_the_scenario_has_more_curves_than_a_legend_holds(result):
    assert result.dense["option"].nunique() > charts.MAX_LEGEND == 8


def test_frontier_keeps_eight_legend_entries_and_says_what_it_left_out(result):
    n = result.dense["option"].nunique()
    fig = charts.frontier_figure(result.dense)
    entries = charts.legend_entries(fig)
    assert len(entries) == 8
    text = charts.left_out_text(fig, "Show every curve to see them.")
    assert f"{n - 8} left out" in text and "Show every curve" in text
    # the most relevant: the highest throughput per GPU is kept
    best = result.dense.loc[result.dense["output_tok_s_per_gpu"].idxmax(), "option"]
    assert any(e.startswith(str(best)) for e in entries)
    # on request: every curve, nothing said
    every = charts.frontier_figure(result.dense, limit=None)
    assert len(charts.legend_entries(every)) == n and charts.left_out_text(every) == ""
    # the dict the app draws (literal_figure) keeps the count and the note
    assert len(charts.legend_entries(charts.literal_figure(fig))) == 8
    assert charts.left_out_text(charts.literal_figure(fig))


def test_cost_chart_keeps_the_eight_cheapest(result):
    priced = result.priced
    fig = charts.cost_figure(priced, "usd_per_mtok_output", "$/M output tokens")
    entries = charts.legend_entries(fig)
    assert len(entries) == 8
    cheapest = priced.loc[priced["usd_per_mtok_output"].idxmin(), "option"]
    assert any(e.startswith(str(cheapest)) for e in entries)


def test_limit_legend_drops_traces_past_the_limit_with_their_group():
    import plotly.graph_objects as go

    fig = go.Figure()
    for i in range(12):
        fig.add_trace(go.Scatter(x=[0], y=[i], name=f"line {i}", legendgroup=f"g{i}"))
        fig.add_trace(go.Scatter(x=[0], y=[i], name=f"points {i}", legendgroup=f"g{i}", showlegend=False))
    charts.limit_legend(fig)
    assert charts.legend_entries(fig) == [f"line {i}" for i in range(8)] and len(fig.data) == 16
    assert "4 left out" in charts.left_out_text(fig)


def test_compare_bar_chart_lists_each_mode_once_and_keeps_every_bar():
    """Every model, estimates included: data and estimated bars of a mode share one legend entry, so the legend stays
    within 8 entries without dropping a bar."""
    from calculator.answers.compare import CompareQuery, cheapest_per_option, compare_view, estimate_pool
    from calculator.model.cost import CostSettings

    cat = load_catalog()
    pool, _ = estimate_pool(cat, cat.points, cat.prices, isl=1024, osl=1024)
    view = compare_view(pool, cat.prices, CompareQuery(tiers=("on_demand",)), CostSettings(), {})
    per_option, _ = cheapest_per_option(view, "usd_per_mtok_output")
    assert (per_option["provenance"] == "estimated").any() and (per_option["provenance"] != "estimated").any()
    fig = charts.cheapest_offer_figure(per_option, "usd_per_mtok_output", "$/M output tokens")
    entries = charts.legend_entries(fig)
    assert 0 < len(entries) <= 8 and len(entries) == per_option["mode"].nunique()
    assert sum(len(t.y) for t in fig.data) == len(per_option) and charts.left_out_text(fig) == ""
