"""Rough edges of issue 18 item 8, each pinned: a reload's loss of session data is said (and that shared links do not
carry it); the cost denominator's lack of effect on Capacity is said."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def open_page(page: str, **query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300)
    for k, v in query.items():
        at.query_params[k] = v
    at.switch_page(page)
    return at.run()


@pytest.mark.parametrize(
    ("page", "what"),
    [("app_pages/measurements.py", "Uploaded files"), ("app_pages/prices.py", "private quotes")],
)
def test_session_only_data_says_a_reload_drops_it_and_links_exclude_it(page: str, what: str) -> None:
    at = open_page(page)
    assert not at.exception
    text = " ".join(i.value for i in at.info)
    assert what in text and "reload" in text and "shared link does not carry" in text


def test_capacity_says_the_cost_denominator_does_not_apply() -> None:
    at = open_page("app_pages/capacity.py", denom="total tokens")
    assert not at.exception
    assert any("cost denominator" in i.value and "does not apply" in i.value for i in at.info)
    at = open_page("app_pages/capacity.py")
    assert not any("cost denominator" in i.value for i in at.info)


def test_compare_rows_show_their_lengths_and_the_link_carries_isl_osl() -> None:
    at = open_page("app_pages/compare.py", isl="32768", osl="1024")
    assert not at.exception
    t = next(d.value for d in at.dataframe if "star" in d.value.columns)
    assert "lengths" in t.columns
    est = t[t["badge"].map(lambda b: "estimated" in list(b))]
    assert not est.empty and (est["lengths"] == "32,768 / 1,024").all()
    assert at.query_params["isl"] in ("32768", ["32768"]) and at.query_params["osl"] in ("1024", ["1024"])


def test_no_crossover_jargon_on_scenario() -> None:
    at = open_page("app_pages/scenario.py", gpu="h100-sxm", isl="32768", osl="1024")
    assert not at.exception
    texts = [c.value for c in at.caption] + [m.value for m in at.markdown]
    tables = [d.value for d in at.dataframe if "status" in d.value.columns]
    words = " ".join(texts) + " ".join(" ".join(map(str, t["status"])) for t in tables)
    assert "challenger" not in words and "wins throughout" not in words
