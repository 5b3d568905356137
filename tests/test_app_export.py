"""AppTest: the Export page offers the current scenario's table and charts as downloads."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def open_page(**query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    for k, v in query.items():
        at.query_params[k] = v
    at.switch_page("app_pages/export.py")
    return at.run()


def test_export_offers_every_format_for_the_scenario() -> None:
    at = open_page()
    assert not at.exception
    labels = {b.label for b in at.get("download_button")}
    assert {
        "Download CSV",
        "Download Excel",
        "Download Markdown",
        "Download JSON",
        "Download the frontier chart",
        "Download the cost chart",
    } <= labels
    preview = at.dataframe[0].value
    assert {"usd_per_mtok_output", "provenance", "source", "point_basis"} <= set(preview.columns)
    assert set(preview["gpu"]) == {"b200"}


def test_export_follows_the_scenario_in_the_url() -> None:
    at = open_page(gpu="gb200")
    assert not at.exception
    assert set(at.dataframe[0].value["gpu"]) == {"gb200"}


def test_export_without_a_price_says_why() -> None:
    at = open_page(gpu="dgx-spark")
    assert not at.exception
    assert at.warning


def test_hostile_url_values_are_clamped_or_ignored() -> None:
    at = open_page(util="99999", isl="-5", osl="abc", ctx="1e9", gpu="../../etc/passwd", tier="gold", size="1T")
    assert not at.exception
