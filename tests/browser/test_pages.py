"""Every page opens in Chromium on the bundled data without an exception box; a full-page screenshot of each
goes to test-artifacts/ to be looked at."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.streamlit_server import exception_texts, full_screenshot, wait_for_idle

pytestmark = pytest.mark.browser

PAGES = [
    "decision", "compare", "scenario", "capacity", "measurements", "prices", "hardware", "forward_passes", "export",
]  # fmt: skip


@pytest.mark.parametrize("name", PAGES)
def test_page_renders_cleanly(page: Page, artifacts: Path, name: str) -> None:
    page.goto("/" if name == "decision" else f"/{name}")
    wait_for_idle(page, ready='[data-testid="stHeading"]')
    full_screenshot(page, artifacts / f"page-{name}.png")
    expect(page.locator('[data-testid="stTopNavLink"]').first).to_be_visible()
    assert exception_texts(page) == [], f"{name}: exception on the page"
    errors = page.locator('[data-testid="stAlertContentError"]')
    assert errors.count() == 0, f"{name}: error box: {errors.all_inner_texts()}"
