"""Compare page (/compare) in Chromium: the cost table shows $/M numbers with provenance; moving the
utilisation slider re-prices the table; the URL carries the view, so a shared link reopens it."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.streamlit_server import (
    NO_SAVE_PICKER,
    dataframe_csv,
    exception_texts,
    full_screenshot,
    wait_for_idle,
)

pytestmark = pytest.mark.browser

TABLE = '[data-testid="stDataFrame"]'
TABLE_ALT = "Cost per million tokens by GPU, model, mode and price offer"
UTILISATION = "Utilisation (%)"
HEADLINE_LABEL = re.compile(r"^Cheapest here")
USD = re.compile(r"^\$\d[\d,]*\.\d{3}$")
PROVENANCE_LABELS = {"measured here", "uploaded", "vendor-reported", "vendor internal", "community", "estimated"}


def open_compare(page: Page, query: str = "") -> None:
    page.goto("/compare" + query)
    wait_for_idle(page, ready=TABLE)


def headline(page: Page) -> str:
    metric = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=HEADLINE_LABEL)
    )
    return metric.locator('[data-testid="stMetricValue"]').inner_text().strip()


def cost_table(page: Page) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(dataframe_csv(page, page.locator(TABLE).first, TABLE_ALT)))


def usd(text: str) -> float:
    return float(text.replace("$", "").replace(",", ""))


def set_utilisation(page: Page, percent: int) -> None:
    """Move the sidebar slider with the keyboard (5 % steps), as a user would, and wait for the rerun."""
    slider = page.get_by_role("slider", name=UTILISATION)
    current = int(slider.input_value())
    slider.focus()
    key = "ArrowLeft" if percent < current else "ArrowRight"
    for _ in range(abs(current - percent) // 5):
        page.keyboard.press(key)
    expect(slider).to_have_value(str(percent))
    wait_for_idle(page, ready=TABLE)


def test_landing_page_shows_usd_per_mtok_with_provenance(page: Page, artifacts: Path) -> None:
    open_compare(page)
    full_screenshot(page, artifacts / "page-compare.png")
    assert exception_texts(page) == []
    expect(page.get_by_role("heading", name=re.compile("cost per million tokens", re.I))).to_be_visible()
    top = headline(page)
    assert USD.match(top), top

    table = cost_table(page)
    cost_cols = [c for c in table.columns if c.startswith("usd_per_mtok")]
    assert cost_cols, list(table.columns)
    cost = table[cost_cols[0]]
    assert len(table) > 0 and np.isfinite(cost).all() and (cost > 0).all()
    floor_ok = table["meets_floor"].astype(str).str.lower() == "true"  # at or above the tok/s-per-user floor
    assert floor_ok.any() and not floor_ok.all()
    assert cost[floor_ok].min() == pytest.approx(usd(top), abs=0.0005)  # the headline: the cheapest above the floor
    badges = table["badge"].astype(str)
    assert all(any(label in b for label in PROVENANCE_LABELS) for b in badges), badges.unique()
    assert table["source"].astype(str).str.len().gt(0).all()
    assert table["price_source"].astype(str).str.len().gt(0).all()


def test_utilisation_slider_reprices_the_table(page: Page) -> None:
    open_compare(page)
    before_top, before = headline(page), cost_table(page)
    set_utilisation(page, 50)
    expect(page.locator('[data-testid="stMetricValue"]').first).not_to_have_text(before_top)
    after_top, after = headline(page), cost_table(page)
    # $/M = $/GPU-h / (tok/s x utilisation x 3600) x 1e6: halving utilisation doubles every cost.
    assert usd(after_top) == pytest.approx(2 * usd(before_top), abs=0.002)
    col = next(c for c in before.columns if c.startswith("usd_per_mtok"))
    np.testing.assert_allclose(np.sort(after[col].to_numpy()), 2 * np.sort(before[col].to_numpy()), rtol=1e-9)
    assert re.search(r"[?&]util=50\b", page.url), page.url


def test_shared_url_reopens_the_same_view(page: Page, browser: Browser, base_url: str) -> None:
    open_compare(page)
    set_utilisation(page, 75)
    page.get_by_label("GPUs").click()
    page.get_by_role("option", name="b200", exact=True).click()
    page.keyboard.press("Escape")
    wait_for_idle(page, ready=TABLE)
    shared_url, shared_top = page.url, headline(page)
    assert "util=75" in shared_url and "c_gpu=b200" in shared_url, shared_url
    shared_gpus = set(cost_table(page)["gpu_name"])  # the grid shows GPU names (the id is in the URL)
    assert shared_gpus == {"B200 (HGX)"}

    # A colleague opens the link: a new browser context is a new session with nothing in it but the URL.
    ctx = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
    ctx.add_init_script(NO_SAVE_PICKER)
    try:
        other = ctx.new_page()
        other.set_default_timeout(45_000)
        other.goto(shared_url)
        wait_for_idle(other, ready=TABLE)
        expect(other.get_by_role("slider", name=UTILISATION)).to_have_value("75")
        assert headline(other) == shared_top
        assert set(cost_table(other)["gpu_name"]) == shared_gpus
    finally:
        ctx.close()
