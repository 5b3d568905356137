"""AppTest: the Compare page renders on the bundled data and its widgets change the result."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def open_page(page: str = "app_pages/compare.py") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.switch_page(page)
    return at.run()


def cheapest_value(at: AppTest) -> str:
    return next(m.value for m in at.metric if m.label.startswith("Cheapest here"))


def table(at: AppTest) -> pd.DataFrame:
    """The cost table (the dataframe with the ★ column)."""
    return next(d.value for d in at.dataframe if "star" in d.value.columns)


def test_compare_is_the_landing_page_and_renders_without_exception() -> None:
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception
    assert at.title[0].value == "Compare cost per million tokens"
    assert cheapest_value(at).startswith("$")
    t = table(at)
    assert len(t) > 10
    assert {"usd_per_mtok_output", "badge", "source", "price_source", "price_as_of"} <= set(t.columns)
    assert all(len(b) == 1 for b in t["badge"])  # a provenance badge on every row


def test_utilisation_changes_dollars_per_million() -> None:
    at = open_page()
    full = cheapest_value(at)
    at.slider(key="util").set_value(50).run()
    assert not at.exception
    half = cheapest_value(at)
    assert float(half.strip("$").replace(",", "")) == pytest.approx(
        float(full.strip("$").replace(",", "")) * 2, rel=1e-3
    )


def test_tier_filter_changes_rows() -> None:
    at = open_page()
    on_demand = table(at)
    assert set(on_demand["tier_label"]) == {"on-demand"}
    at.multiselect(key="c_tier").set_value(["on_demand", "spot", "owned"]).run()
    assert not at.exception
    more = table(at)
    assert len(more) > len(on_demand)
    assert {"spot", "owned (TCO)"} <= set(more["tier_label"])


def test_cheapest_per_gpu_is_marked() -> None:
    t = table(open_page())
    stars = t[t["star"] == "★"]
    assert sorted(stars["gpu"]) == sorted(t["gpu"].unique())


def test_concurrency_and_denominator_change_the_table() -> None:
    at = open_page()
    at.selectbox(key="c_conc").set_value("32").run()
    t = table(at)
    assert set(t["concurrency"]) == {32}
    at.selectbox(key="denom").set_value("total tokens").run()
    assert not at.exception
    assert "usd_per_mtok_total" in table(at).columns
    assert "$/M total tokens" in cheapest_label(at)


def cheapest_label(at: AppTest) -> str:
    return next(m.label for m in at.metric if m.label.startswith("Cheapest here"))


def test_bad_url_values_fall_back_instead_of_crashing() -> None:
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["c_conc"] = "not-a-number"
    at.query_params["util"] = "9999"
    at.query_params["c_gpu"] = ["no-such-gpu"]
    at.run()
    assert not at.exception, at.exception[0].stack_trace if at.exception else ""
