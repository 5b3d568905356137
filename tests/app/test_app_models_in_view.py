"""Issue 18 item 5, models in view: every page that lists or charts models has the same model filter (key and link
parameter `models`); by default it shows Nemotron-Labs-Diffusion and the decision page's baseline (Qwen3-8B), other
models on request (an empty filter: every model); the choice follows the user from page to page and rides in the
page's link."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")
DEFAULT = {"nld-3b", "nld-8b", "nld-14b", "qwen3-8b"}  # the NLD sizes, and the baseline


def open_page(page: str, **query: str | list[str]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300)
    for k, v in query.items():
        at.query_params[k] = v
    at.switch_page(page)
    return at.run()


def compare_table(at: AppTest) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if "star" in d.value.columns)


def capacity_table(at: AppTest) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if "gpus_billed" in d.value.columns)


def test_compare_shows_nld_and_the_baseline_by_default_and_others_on_request() -> None:
    at = open_page("app_pages/compare.py")
    assert not at.exception, at.exception
    f = at.multiselect(key="models")
    assert set(f.value) <= DEFAULT and {"nld-8b", "qwen3-8b"} <= set(f.value)
    assert {"llama-3-8b", "llama-3.1-8b"} <= set(f.options)  # others on request
    shown = set(compare_table(at)["model"].astype(str))
    assert not any("llama" in m.lower() for m in shown), shown
    f.set_value([]).run()  # cleared: every model
    assert any("llama" in m.lower() for m in compare_table(at)["model"].astype(str))


def test_the_choice_follows_the_user_to_the_next_page() -> None:
    at = open_page("app_pages/compare.py")
    at.multiselect(key="models").set_value(["llama-3.1-8b", "nld-8b"]).run()
    at.switch_page("app_pages/capacity.py").run()
    assert not at.exception, at.exception
    assert at.multiselect(key="models").value == ["llama-3.1-8b", "nld-8b"] or set(
        at.multiselect(key="models").value
    ) == {"llama-3.1-8b", "nld-8b"}
    assert set(capacity_table(at)["model"]) <= {"llama-3.1-8b", "nld-8b"}
    at.switch_page("app_pages/scenario.py").run()
    assert not at.exception, at.exception
    assert set(at.multiselect(key="models").value) == {"llama-3.1-8b", "nld-8b"}


def test_a_link_gives_the_models() -> None:
    at = open_page("app_pages/capacity.py", models=["llama-3-8b"])
    assert not at.exception, at.exception
    assert at.multiselect(key="models").value == ["llama-3-8b"]
    assert set(capacity_table(at)["model"]) == {"llama-3-8b"}


def test_the_decision_pages_baseline_is_the_other_pages_default() -> None:
    at = AppTest.from_file(APP, default_timeout=300).run()
    at.selectbox(key="d_base").set_value("llama-3.1-8b").run()
    assert not at.exception, at.exception
    at.switch_page("app_pages/compare.py").run()
    assert "llama-3.1-8b" in at.multiselect(key="models").value and "qwen3-8b" not in at.multiselect(key="models").value


def test_export_and_scenario_charts_speak_of_the_models_in_view() -> None:
    at = open_page("app_pages/scenario.py", models=["nld-8b"], sc_tab="Frontier")
    assert not at.exception, at.exception
    names = [t.get("name", "") for t in json.loads(at.get("plotly_chart")[0].proto.spec)["data"]]
    assert names and all("nld-8b" in n for n in names), names
    at.switch_page("app_pages/export.py").run()
    assert not at.exception, at.exception
    preview = next(d.value for d in at.dataframe)
    assert set(preview["model"].astype(str)) == {"nld-8b"}


def test_an_older_compare_link_keeps_its_models() -> None:
    at = open_page("app_pages/compare.py", c_model=["llama-3.1-8b"])
    assert not at.exception, at.exception
    assert at.multiselect(key="models").value == ["llama-3.1-8b"]
    assert {m.lower() for m in compare_table(at)["model"].astype(str)} == {"llama-3.1-8b"}


def test_compare_estimates_as_the_cli_table_does() -> None:
    """By default (as `table` without --model) no NLD-3B rows, which have no data anywhere, are estimated; naming it
    (as `table --model nld-3b`) estimates its reference configurations."""
    at = open_page("app_pages/compare.py")
    assert "nld-3b" not in {m.lower() for m in compare_table(at)["model"].astype(str)}
    at.multiselect(key="models").set_value(["nld-3b"]).run()
    assert not at.exception, at.exception
    shown = compare_table(at)
    assert {m.lower() for m in shown["model"].astype(str)} == {"nld-3b"}
    assert {b[0] for b in shown["badge"]} == {"estimated"}


def test_at_its_default_the_filter_follows_the_scenarios_nld_size() -> None:
    """The default is not a choice: after the NLD size changes, the Scenario shows that size and the baseline (as a
    fresh link to it does), not the baseline alone."""
    at = open_page("app_pages/scenario.py")
    assert set(at.multiselect(key="models").value) == {"nld-8b", "qwen3-8b"}
    at.segmented_control(key="size").set_value("3B").run()
    assert not at.exception, at.exception
    assert set(at.multiselect(key="models").value) == {"nld-3b", "qwen3-8b"}
