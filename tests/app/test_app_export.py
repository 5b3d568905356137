"""AppTest: the Export page offers the current scenario's table and charts as downloads."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


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
    assert set(preview["gpu"]) == {"B200 (HGX)"}  # its display name on screen; the files keep the id


def test_export_follows_the_scenario_in_the_url() -> None:
    at = open_page(gpu="gb200")
    assert not at.exception
    assert set(at.dataframe[0].value["gpu"]) == {"GB200 (per GPU, NVL72)"}


def test_export_without_a_price_says_why() -> None:
    at = open_page(gpu="dgx-spark")
    assert not at.exception
    assert any("no priced rows" in w.value for w in at.warning)  # not only the prices' age


def test_hostile_url_values_are_clamped_or_ignored() -> None:
    at = open_page(util="99999", isl="-5", osl="abc", ctx="1e9", gpu="../../etc/passwd", tier="gold", size="1T")
    assert not at.exception


def test_exports_carry_the_assumptions(downloads: dict[str, Callable[[], bytes]]) -> None:
    at = open_page(util="50", isl="2048", ttft="300", gpu="gb200")
    assert not at.exception
    stem = "nld-cost-gb200-on_demand-nld-8b_isl2048_osl1024"
    csv = pd.read_csv(io.BytesIO(downloads[f"{stem}.csv"]()))
    assert (csv["assumed_utilisation"] == 0.5).all()
    assert (csv["assumed_isl_tokens"] == 2048).all() and (csv["assumed_max_ttft_p50_ms"] == 300).all()
    assert (csv["assumed_price_ratio_r"] == 4).all()
    assert {"total_is_derived", "target_check", "meets_targets", "lengths_note", "point_basis"} <= set(csv.columns)
    assert "measured" not in set(csv["point_basis"])
    doc = json.loads(downloads[f"{stem}.json"]())
    assert doc["assumptions"]["utilisation"] == 0.5 and doc["assumptions"]["ISL tokens"] == 2048
    assert "cost formula" in " ".join(doc["assumptions"])
    assert len(doc["rows"]) == len(csv)
    md = downloads[f"{stem}.md"]().decode("utf-8")
    assert "## Assumptions" in md and "| utilisation | 0.5 |" in md and "## Cost table" in md


def test_compare_view_can_be_exported_with_its_assumptions(downloads: dict[str, Callable[[], bytes]]) -> None:
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["util"] = "80"
    at.switch_page("app_pages/compare.py")  # the decision page is the landing page now
    at.run()
    assert not at.exception
    csv = pd.read_csv(io.BytesIO(downloads["nld-cost-compare_isl1024_osl1024.csv"]()))
    assert (csv["assumed_utilisation"] == 0.8).all()
    assert "estimated" in set(csv["provenance"]) and csv["usd_per_mtok_output"].notna().all()
    assert {"c_dl_csv", "c_dl_xlsx", "c_dl_md", "c_dl_json"} <= {b.key for b in at.get("download_button")}


def test_export_page_writes_every_scenario_input_into_its_url() -> None:
    at = AppTest.from_file(APP, default_timeout=180)
    at.switch_page("app_pages/scenario.py")
    at.run()
    at.selectbox(key="gpu").set_value("gb200").run()
    at.number_input(key="tps").set_value(20).run()
    at.toggle(key="strict").set_value(False).run()
    at.switch_page("app_pages/export.py")
    at.run()
    assert not at.exception
    # A rerun on Export (the Scenario widgets are gone from the session by now) keeps the scenario, from the URL.
    at.slider(key="util").set_value(50).run()
    assert not at.exception
    q = at.query_params
    assert (q.get("gpu"), q.get("tps"), q.get("strict")) == ("gb200", "20", "false"), dict(q)
    assert "GB200" in at.markdown[0].value and ">= 20 tok/s per user" in at.markdown[0].value


def test_the_preview_cuts_long_text_and_the_files_keep_all_of_it(downloads: dict[str, Callable[[], bytes]]) -> None:
    """An estimate's basis runs to ~600 characters; 200 preview rows of it slowed the page's first render (the grid
    measures every cell). The preview shows at most PREVIEW_TEXT_CHARS of a cell; the CSV has the whole text."""
    from calculator.present.labels import PREVIEW_TEXT_CHARS

    at = open_page(gpu="h100-sxm")  # no data on H100 for NLD: estimated rows with long bases
    assert not at.exception
    preview = at.dataframe[0].value
    shown = preview["basis"].astype(str)
    assert shown.str.len().max() <= PREVIEW_TEXT_CHARS
    assert shown.str.endswith("…").any()
    csv = pd.read_csv(io.BytesIO(downloads["nld-cost-h100-sxm-on_demand-nld-8b_isl1024_osl1024.csv"]()))
    full = csv["basis"].dropna().astype(str)
    assert full.str.len().max() > PREVIEW_TEXT_CHARS and not full.str.endswith("…").any()
    cut = shown[shown.str.endswith("…")].iloc[0][:-1]
    assert any(b.startswith(cut) for b in full)  # the cut text is the start of a file's row
