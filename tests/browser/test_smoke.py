"""Smoke test: the app starts under `streamlit run`, renders its landing page in Chromium without an
exception box, and answers its health check."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.browser.streamlit_server import AppServer, exception_texts, wait_for_idle

pytestmark = pytest.mark.browser


def test_health_endpoint_answers_ok(app_server: AppServer) -> None:
    with urllib.request.urlopen(f"{app_server.url}/_stcore/health", timeout=10) as r:
        assert r.status == 200


def test_landing_page_renders_without_exceptions(page: Page, artifacts: Path) -> None:
    page.goto("/")
    wait_for_idle(page)
    page.screenshot(path=str(artifacts / "smoke-landing.png"), full_page=True)
    assert exception_texts(page) == []
    assert page.locator('[data-testid="stMain"], [data-testid="stAppViewContainer"]').first.is_visible()
