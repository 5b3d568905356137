"""Export page in Chromium: the scenario set by a URL is what the downloads hold. CSV and Excel are
downloaded and read back (pandas, openpyxl); JSON and the chart HTML are checked too."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from playwright.sync_api import Page

from tests.browser.streamlit_server import exception_texts, full_screenshot, nav_to, wait_for_idle

pytestmark = pytest.mark.browser

DOWNLOAD = '[data-testid="stDownloadButton"]'
SCENARIO = "/scenario?gpu=gb200&tier=on_demand&util=50"


def download(page: Page, label: str, artifacts: Path) -> bytes:
    """Click the download button whose text is `label`; keep a copy of the file in test-artifacts/."""
    button = page.locator(DOWNLOAD).filter(has_text=re.compile(rf"{re.escape(label)}$")).get_by_role("button")
    with page.expect_download() as info:
        button.click()
    dl = info.value
    dl.save_as(artifacts / "downloads" / dl.suggested_filename)
    return Path(dl.path()).read_bytes()


def rows_shown(page: Page) -> int:
    metric = page.locator('[data-testid="stMetric"]').filter(has_text=re.compile(r"^Rows"))
    return int(metric.locator('[data-testid="stMetricValue"]').inner_text().replace(",", ""))


@pytest.fixture
def export_page(page: Page, artifacts: Path) -> Page:
    """The Export page reached the way a user does: a shared scenario link, then the navigation."""
    page.goto(SCENARIO)
    wait_for_idle(page, ready='[data-testid="stDataFrame"]')
    nav_to(page, "Export", ready=DOWNLOAD)
    full_screenshot(page, artifacts / "page-export-scenario.png")
    assert exception_texts(page) == []
    return page


def test_csv_download_holds_the_scenarios_cost_table(export_page: Page, artifacts: Path) -> None:
    table = pd.read_csv(io.BytesIO(download(export_page, "Download CSV", artifacts)))
    assert len(table) == rows_shown(export_page) > 0
    shown = export_page.locator('[data-testid="stMarkdownContainer"]').filter(has_text="Scenario:").first.inner_text()
    assert set(table["gpu"]) == {"gb200"}, f"the export is not the scenario's GPU; page says: {shown}"
    assert set(table["tier"]) == {"on_demand"}
    cost = table["usd_per_mtok_output"]
    assert pd.api.types.is_float_dtype(cost) and (cost.dropna() > 0).all() and cost.notna().any()
    # Utilisation 50 % from the URL: the $/M is the GPU price over half the measured throughput.
    expected = table["usd_per_gpu_hour"] / (table["output_tok_s_per_gpu"] * 0.5 * 3600) * 1e6
    np.testing.assert_allclose(cost, expected, rtol=1e-9)
    assert table["source"].astype(str).str.len().gt(0).all()


def test_excel_download_has_table_assumptions_and_sources(export_page: Page, artifacts: Path) -> None:
    csv_table = pd.read_csv(io.BytesIO(download(export_page, "Download CSV", artifacts)))
    wb = openpyxl.load_workbook(io.BytesIO(download(export_page, "Download Excel", artifacts)))
    assert wb.sheetnames == ["Cost table", "Assumptions", "Sources"]

    rows = list(wb["Cost table"].iter_rows(values_only=True))
    assert list(rows[0]) == list(csv_table.columns)
    assert len(rows) == len(csv_table) + 1
    cost_idx = list(rows[0]).index("usd_per_mtok_output")
    costs = [r[cost_idx] for r in rows[1:]]
    assert all(isinstance(v, int | float) for v in costs if v is not None)
    np.testing.assert_allclose(
        np.array([np.nan if v is None else v for v in costs], dtype=float),
        csv_table["usd_per_mtok_output"].to_numpy(dtype=float),
        rtol=1e-12,
    )
    numeric_cells = [c for c in next(wb["Cost table"].iter_cols(cost_idx + 1, cost_idx + 1, 2)) if c.value is not None]
    assert numeric_cells and all(c.data_type == "n" for c in numeric_cells)

    assumptions = {r[0]: r[1] for r in wb["Assumptions"].iter_rows(values_only=True) if r[0]}
    assert assumptions.get("gpu") == "gb200"
    assert assumptions.get("utilisation") == pytest.approx(0.5)
    assert "Prices used" in assumptions

    sources = list(wb["Sources"].iter_rows(values_only=True))
    header = list(sources[0])
    listed = {r[header.index("source")] for r in sources[1:]}
    assert set(csv_table["source"]) <= listed
    assert set(csv_table["price_source"]) <= listed


def test_json_and_chart_html_downloads(export_page: Page, artifacts: Path) -> None:
    doc = json.loads(download(export_page, "Download JSON", artifacts))
    records = doc["rows"] if isinstance(doc, dict) else doc  # a bare row list, or rows with their assumptions
    assert isinstance(records, list) and len(records) == rows_shown(export_page)
    assert all(isinstance(r["usd_per_mtok_output"], int | float) for r in records)
    markdown = download(export_page, "Download Markdown", artifacts).decode("utf-8")
    table_lines = markdown.rstrip("\n").split("\n\n")[-1].splitlines()  # the last block is the cost table
    assert table_lines[0].startswith("| ") and len(table_lines) == len(records) + 2
    html = download(export_page, "Download the cost chart", artifacts).decode("utf-8")
    assert "Plotly.newPlot" in html and not re.search(r"<script[^>]+src=", html)


def test_a_shared_export_link_holds_the_scenario(page: Page, artifacts: Path) -> None:
    """Opening /export?gpu=...&util=... directly (the Scenario page never opened) exports that scenario."""
    page.goto("/export?gpu=gb200&tier=on_demand&util=50")
    wait_for_idle(page, ready=DOWNLOAD)
    table = pd.read_csv(io.BytesIO(download(page, "Download CSV", artifacts)))
    assert set(table["gpu"]) == {"gb200"}
    expected = table["usd_per_gpu_hour"] / (table["output_tok_s_per_gpu"] * 0.5 * 3600) * 1e6
    np.testing.assert_allclose(table["usd_per_mtok_output"], expected, rtol=1e-9)


def test_reloading_the_export_page_keeps_the_scenario(export_page: Page, artifacts: Path) -> None:
    """After Scenario → Export, the Export page's own address must still be a link to the same scenario."""
    export_page.reload()
    wait_for_idle(export_page, ready=DOWNLOAD)
    table = pd.read_csv(io.BytesIO(download(export_page, "Download CSV", artifacts)))
    assert set(table["gpu"]) == {"gb200"}, f"the Export page's URL lost the scenario: {export_page.url}"


@pytest.mark.parametrize("label", ["Download the frontier chart", "Download the cost chart"])
def test_exported_chart_draws_its_title_clear_of_the_legend_and_every_tick_inside(
    export_page: Page, artifacts: Path, label: str
) -> None:
    """The downloaded HTML opened on its own in Chromium: the title box does not overlap the legend box, and no
    axis tick label is cut off at the page's edge."""
    html = download(export_page, label, artifacts)
    path = artifacts / "downloads" / f"opened-{label.split()[-2]}.html"
    path.write_bytes(html)
    chart = export_page.context.new_page()
    chart.set_viewport_size({"width": 1100, "height": 700})
    chart.goto(path.resolve().as_uri())
    chart.wait_for_selector(".main-svg .legend", timeout=60_000)
    title = chart.locator(".gtitle").bounding_box()
    legend = chart.locator(".legend").first.bounding_box()
    assert title and legend
    overlap = not (
        title["y"] + title["height"] <= legend["y"]
        or legend["y"] + legend["height"] <= title["y"]
        or title["x"] + title["width"] <= legend["x"]
        or legend["x"] + legend["width"] <= title["x"]
    )
    assert not overlap, (title, legend)
    width = chart.viewport_size["width"]
    for tick in chart.locator(".xtick text, .ytick text").all():
        box = tick.bounding_box()
        if box:
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, (tick.inner_text(), box)
    chart.screenshot(path=str(artifacts / f"chart-{label.split()[-2]}.png"))
    chart.close()


def test_a_shared_export_link_leads_to_the_same_scenario(page: Page) -> None:
    """A colleague opens an Export link, then goes to change the scenario: it is still theirs, not the defaults."""
    page.goto("/export?gpu=h100-sxm&isl=2048&osl=512")
    wait_for_idle(page, ready=DOWNLOAD)
    page.get_by_role("link", name=re.compile("Change this scenario")).click()
    wait_for_idle(page, ready='[data-testid="stDataFrame"]')
    assert "gpu=h100-sxm" in page.url and "isl=2048" in page.url, page.url
    gpu = page.get_by_role("combobox", name="GPU", exact=True)
    assert "h100" in (gpu.input_value() or "").lower()
    assert page.get_by_role("spinbutton", name="Input length (tokens)").input_value() == "2048"
