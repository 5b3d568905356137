"""AppTest: a link's values that no widget may take (not a number, non-finite, out of range, not an option) are
reset with a notice that names them, before any widget reads them; the page keeps running. Values shown in a
notice are literal (no Markdown link or image survives)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def open_page(page: str, **query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    for k, v in query.items():
        at.query_params[k] = v
    at.switch_page(page)
    return at.run()


def notices(at: AppTest) -> str:
    return " ".join(i.value for i in at.info)


@pytest.mark.parametrize(
    ("page", "key", "value", "widget", "default"),
    [
        ("app_pages/scenario.py", "isl", "-5", "number_input", 1024),
        ("app_pages/scenario.py", "osl", "99999999", "number_input", 1024),
        ("app_pages/scenario.py", "isl", "inf", "number_input", 1024),
        ("app_pages/scenario.py", "isl", "1e400", "number_input", 1024),
        ("app_pages/scenario.py", "ctx", "7K", "select_slider", 0),
        ("app_pages/scenario.py", "ctx", "infK", "select_slider", 0),
        ("app_pages/scenario.py", "cat", "poetry", "selectbox", "as measured (mixed)"),
        ("app_pages/scenario.py", "size", "70B", "segmented_control", "8B"),
        ("app_pages/capacity.py", "vol", "5", "number_input", 1e9),
        ("app_pages/capacity.py", "ttft", "-inf", "number_input", 0),  # the default Scenario shares
        ("app_pages/capacity.py", "peak", "nan", "number_input", 2.0),
    ],
)
def test_a_bad_link_value_is_reset_with_a_notice(page, key, value, widget, default):
    at = open_page(page, **{key: value})
    assert not at.exception, at.exception
    assert f"{key}=" in notices(at) and "reset to the default" in notices(at)
    assert getattr(at, widget)(key=key).value == default


def test_export_with_non_finite_lengths_keeps_running():
    at = open_page("app_pages/export.py", isl="1e400", osl="inf")
    assert not at.exception
    assert "isl=" in notices(at) and "osl=" in notices(at)


def test_a_link_value_in_a_notice_is_literal_text():
    at = open_page("app_pages/export.py", provider="![i](http://host/i.png)", cat="[Log in again](http://evil)")
    assert not at.exception
    text = " ".join(m.value for m in at.markdown) + notices(at)
    assert "](http" not in text.replace("\\]\\(http", "")  # brackets and parentheses are escaped
    assert "![i]" not in text


def test_export_with_a_provider_the_gpu_has_no_offer_from_says_so_and_prices_the_cheapest():
    at = open_page("app_pages/export.py", provider="![x](http://example.com/x.png)", gpu="b200")
    assert not at.exception
    assert any("cheapest offer is used" in i.value for i in at.info)
    assert not any("no priced rows" in w.value for w in at.warning)
    text = " ".join(m.value for m in at.markdown) + notices(at)
    assert "http://" not in text and "](" not in text.replace("\\](", "")


def test_an_unknown_gpu_in_an_export_link_is_literal_text():
    at = open_page("app_pages/export.py", gpu="![i](http://evil.example/i.png)")
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "![i]" not in text and "http://" not in text
