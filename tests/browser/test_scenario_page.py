"""Scenario page in Chromium: inputs changed in the page land in the URL, and that URL opened in a new
session (a colleague's browser) shows the same scenario and the same cheapest mode."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.streamlit_server import exception_texts, wait_for_idle

pytestmark = pytest.mark.browser

CHART = '[data-testid="stDataFrame"]'  # the first tab: the tables (charts are lazy tabs)


def metric_values(page: Page) -> list[str]:
    return [t.strip() for t in page.locator('[data-testid="stMetricValue"]').all_inner_texts()]


def test_scenario_url_round_trips(page: Page, browser: Browser) -> None:
    page.goto("/scenario")
    wait_for_idle(page, ready=CHART)
    before = metric_values(page)

    page.get_by_label("GPU", exact=True).click()
    page.get_by_role("option", name=re.compile("gb200", re.I)).first.click()
    wait_for_idle(page, ready=CHART)
    page.get_by_role("radiogroup", name="Model size").get_by_role("radio", name="3B", exact=True).click()
    wait_for_idle(page, ready=CHART)
    out_len = page.get_by_label("Output length (tokens)")
    out_len.fill("512")
    out_len.press("Enter")
    wait_for_idle(page, ready=CHART)
    assert exception_texts(page) == []

    url = page.url
    for param in ("gpu=gb200", "size=3B", "osl=512"):
        assert param in url, url
    shared = metric_values(page)
    assert shared and shared != before, "the scenario's results did not change with its inputs"

    ctx = browser.new_context(viewport={"width": 1440, "height": 1000})
    try:
        other = ctx.new_page()
        other.set_default_timeout(45_000)
        other.goto(url)
        wait_for_idle(other, ready=CHART)
        expect(other.get_by_label("Output length (tokens)")).to_have_value("512")
        expect(other.get_by_role("combobox", name="GPU", exact=True)).to_have_value(re.compile("gb200", re.I))
        assert metric_values(other) == shared
    finally:
        ctx.close()


def test_the_frontier_tab_draws_its_chart_when_opened_and_is_a_link(page: Page) -> None:
    page.goto("/scenario")
    wait_for_idle(page, ready=CHART)
    assert page.locator('[data-testid="stPlotlyChart"]').count() == 0  # charts are drawn only when their tab opens
    page.get_by_role("tab", name="Frontier").click()
    wait_for_idle(page, ready='[data-testid="stPlotlyChart"]')
    assert exception_texts(page) == []
    assert "sc_tab=" in page.url
    other = page.context.new_page()
    other.goto(page.url)
    wait_for_idle(other, ready='[data-testid="stPlotlyChart"]')  # the link opens on the same tab
    other.close()
