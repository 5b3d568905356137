"""The models a page shows by default (scenario.default_models, the rule the app's model filter and the CLI share)
and the views narrowed to the chosen models (in_view, result_in_view)."""

from __future__ import annotations

import pandas as pd
import pytest

from calculator.answers import scenario
from calculator.data.catalog import load_catalog

AVAILABLE = ["llama-3-8b", "llama-3.1-8b", "nld-14b", "nld-8b", "qwen3-8b", "qwen3.5-9b"]


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def test_default_is_nld_and_the_baseline_among_what_is_there():
    assert scenario.default_models(AVAILABLE) == ("nld-8b", "nld-14b", "qwen3-8b")
    assert scenario.default_models(AVAILABLE, "llama-3.1-8b") == ("nld-8b", "nld-14b", "llama-3.1-8b")
    # the user's own files' models are shown too, as the CLI's models_in_view does
    assert scenario.default_models(AVAILABLE, own={"qwen3.5-9b"}) == ("nld-8b", "nld-14b", "qwen3-8b", "qwen3.5-9b")
    # a baseline that is not there is not invented; none of them there: every model (empty)
    assert scenario.default_models(["nld-8b"], "qwen3-8b") == ("nld-8b",)
    assert scenario.default_models(["llama-3-8b"]) == ()


def test_the_cli_default_is_the_same_rule():
    every = [*scenario.NLD_SIZES.values(), *AVAILABLE]
    assert set(scenario.default_models(every)) == set(scenario.models_in_view([]))


def test_in_view_keeps_the_chosen_models_and_empty_keeps_all():
    df = pd.DataFrame({"model": ["nld-8b", "qwen3-8b", "llama-3-8b"], "x": [1, 2, 3]})
    assert list(scenario.in_view(df, ["nld-8b", "llama-3-8b"])["x"]) == [1, 3]
    assert len(scenario.in_view(df, [])) == 3


def test_result_in_view_narrows_every_frame_of_a_scenario(catalog):
    inputs = scenario.ScenarioInputs(gpu="b200")
    full = scenario.build_scenario(catalog, catalog.points, catalog.prices, inputs, price_ratio=4.0)
    assert {"nld-8b", "qwen3-8b", "llama-3.1-8b"} <= set(full.dense["model"])
    view = scenario.result_in_view(full, ["nld-8b"])
    assert set(view.dense["model"]) == {"nld-8b"} and set(view.priced["model"]) == {"nld-8b"}
    assert set(view.curves.points["model"]) == {"nld-8b"}
    assert set(view.checks["profile_id"]) <= set(view.dense["profile_id"])
    table = scenario.scenario_table(view)
    assert set(table["model"]) == {"nld-8b"}
    assert scenario.result_in_view(full, []) is full
