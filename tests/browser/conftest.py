"""Browser-test fixtures: one Streamlit server per session (`streamlit run app.py` on a free port) and
pytest-playwright's page driving Debian's /usr/bin/chromium (never a downloaded browser).

Tests here are marked `browser`; they are skipped only when /usr/bin/chromium is absent.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.streamlit_server import (
    ARTIFACTS,
    CHROMIUM,
    NO_SAVE_PICKER,
    REPO_ROOT,
    AppServer,
    chromium_launch_args,
    streamlit_app,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"

expect.set_options(timeout=30_000)  # assertions retry up to 30 s: reruns are slow on 2 busy cores


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test in this folder `browser`; skip them (saying why) only where the browser is missing."""
    here = Path(__file__).resolve().parent
    skip = pytest.mark.skip(reason=f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium)")
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)
            if not CHROMIUM.exists():
                item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright's launch options plus Debian's chromium binary and our flags (--headed still works)."""
    args = chromium_launch_args()
    args.pop("headless")
    return {**args, **browser_type_launch_args}


@pytest.fixture(scope="session")
def app_server() -> Iterator[AppServer]:
    """The app, started once for the session from the repository root, and stopped at the end.

    BROWSER_TEST_APP=path/to/other_app.py runs the harness against another script (to debug the harness).
    """
    app = os.environ.get("BROWSER_TEST_APP", "app.py")
    if not (REPO_ROOT / app).exists():
        pytest.fail(f"{app} is missing: the browser tests need the Streamlit app")
    with streamlit_app(app, log_name="streamlit-browser-tests.log") as server:
        yield server


@pytest.fixture(scope="session")
def base_url(app_server: AppServer) -> str:
    """The server as base URL, so page.goto("/") opens the app.

    Overrides pytest-playwright's fallback fixture, whose instance-method form pytest 9 deprecates.
    """
    return app_server.url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """A desktop-sized viewport and downloads accepted (base_url comes from the fixture above)."""
    return {
        **browser_context_args,
        "viewport": {"width": 1440, "height": 1000},
        "accept_downloads": True,
    }


@pytest.fixture(autouse=True)
def _page_settings(request: pytest.FixtureRequest) -> None:
    """Generous timeouts (on 2 cores a first render can take 10 s), and st.dataframe's CSV as a real download."""
    if "page" in request.fixturenames:
        page = request.getfixturevalue("page")
        page.set_default_timeout(45_000)
        page.set_default_navigation_timeout(60_000)
        page.context.add_init_script(NO_SAVE_PICKER)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots and downloads go (git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
