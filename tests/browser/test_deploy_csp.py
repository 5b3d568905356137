"""The proxy settings of docs/deploy.md, in Chromium: the app runs under the Content-Security-Policy that page
recommends (read from it), Compare and Scenario draw their tables and charts with no violation but the page icon,
and a WebSocket asking for a host outside server.allowedHosts is refused."""

from __future__ import annotations

import base64
import http.client
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from playwright.sync_api import BrowserType, Route

from tests.browser.streamlit_server import AppServer, chromium_launch_args, exception_texts, nav_to, wait_for_idle

pytestmark = pytest.mark.browser

DEPLOY = Path(__file__).resolve().parents[2] / "docs" / "deploy.md"
PAGE_ICON = "fonts.gstatic.com"  # st.set_page_config's Material icon: fetched from Google, blocked by img-src


def documented_csp() -> str:
    match = re.search(r'add_header Content-Security-Policy "([^"]+)"', DEPLOY.read_text())
    assert match
    return match.group(1)


def test_the_app_runs_under_the_documented_content_security_policy(
    browser_type: BrowserType, app_server: AppServer, browser_context_args: dict[str, Any]
) -> None:
    csp = documented_csp()
    args = chromium_launch_args()
    # A response Playwright fulfils counts as coming from the public internet: Chromium's local-network checks
    # would then block the app's own WebSocket to 127.0.0.1. A real proxy does not change the address space.
    args["args"] = [*args["args"], "--disable-features=LocalNetworkAccessChecks"]
    browser = browser_type.launch(**args)
    try:
        context = browser.new_context(**browser_context_args)
        page = context.new_page()
        page.set_default_timeout(45_000)
        violations: list[str] = []
        page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)

        def with_csp(route: Route) -> None:
            if route.request.resource_type != "document":
                route.continue_()
                return
            response = route.fetch()
            headers = {k: v for k, v in response.headers.items() if k not in ("content-encoding", "content-length")}
            route.fulfill(response=response, headers={**headers, "content-security-policy": csp})

        page.route("**/*", with_csp)
        page.goto(app_server.url + "/compare")
        wait_for_idle(page, ready='[data-testid="stDataFrame"]')
        page.get_by_text("Show the chart").first.click()
        wait_for_idle(page, ready=".js-plotly-plot")
        nav_to(page, "Scenario")
        frontier_tab = page.get_by_role("tab", name="Frontier")
        if frontier_tab.count():  # charts in lazy tabs: open one
            frontier_tab.first.click()
        wait_for_idle(page, ready=".js-plotly-plot")
        assert page.locator(".js-plotly-plot").count() >= 1
        assert exception_texts(page) == []
        assert [v for v in violations if PAGE_ICON not in v] == []
    finally:
        browser.close()


def websocket_handshake(url: str, host: str) -> int:
    """The HTTP status of a WebSocket upgrade to the app's stream asking for `host` (101: accepted)."""
    parsed = urlparse(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=20)
    try:
        conn.request("GET", "/_stcore/stream", headers={
            "Host": host, "Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
        })  # fmt: skip
        return conn.getresponse().status
    finally:
        conn.close()


def test_a_websocket_for_a_host_outside_allowed_hosts_is_refused(app_server: AppServer) -> None:
    port = urlparse(app_server.url).port
    assert websocket_handshake(app_server.url, f"127.0.0.1:{port}") == 101
    assert websocket_handshake(app_server.url, f"rebound.example.com:{port}") != 101
