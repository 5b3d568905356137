"""Start `streamlit run app.py` on a free port as a subprocess, wait for `/_stcore/health`, stop it.

Shared by the browser tests' fixture and `benchmarks/bench_app.py`; also the Chromium launch settings
(Debian's /usr/bin/chromium, never a downloaded browser) and helpers to wait for Streamlit to settle.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts"
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
STARTUP_TIMEOUT_S = 90.0  # first start imports pandas/plotly/pydantic on a 2-core machine


def chromium_launch_args() -> dict[str, Any]:
    """Keyword arguments for Playwright's `chromium.launch` (Debian's browser, headless)."""
    return {"executable_path": str(CHROMIUM), "headless": True, "args": list(CHROMIUM_ARGS)}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class AppServer:
    """A running Streamlit server: its base URL, process and log file."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
            return bool(r.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@contextlib.contextmanager
def streamlit_app(
    app: str = "app.py", *, log_name: str = "streamlit.log", extra_args: tuple[str, ...] = ()
) -> Iterator[AppServer]:
    """Run the app until the block exits; raises RuntimeError (with the server log) if it never gets healthy."""
    ARTIFACTS.mkdir(exist_ok=True)
    port = free_port()
    log_path = ARTIFACTS / log_name
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        app,
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
        *extra_args,
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
    server = AppServer(url=f"http://127.0.0.1:{port}", process=proc, log_path=log_path)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not _healthy(server.url):
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{server.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"streamlit not healthy after {STARTUP_TIMEOUT_S:.0f} s:\n{server.log_tail()}")
            time.sleep(0.25)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


# ---------------------------------------------------------------------------------------------
# Waiting for Streamlit in the page (typed loosely: Playwright's Page)

APP_VIEW = '[data-testid="stAppViewContainer"]'
RUNNING = '[data-testid="stStatusWidget"]'
SKELETON = '[data-testid="stSkeleton"], [data-testid="stAppSkeleton"]'
MAIN_ELEMENT = '[data-testid="stMain"] [data-testid="stElementContainer"]'


def wait_for_idle(page: Any, timeout_ms: float = 60_000, quiet_ms: float = 500, ready: str | None = None) -> None:
    """Wait until the app has drawn its page and no script run is in progress ("Running..." widget gone).

    "Drawn" means an element in the main area (and `ready`, a selector, when given): before the websocket
    connects there is no running widget either. The widget must stay absent for `quiet_ms`, because a rerun
    can start a moment after an input event.
    """
    page.wait_for_selector(APP_VIEW, state="visible", timeout=timeout_ms)
    page.wait_for_selector(MAIN_ELEMENT, state="attached", timeout=timeout_ms)
    if ready:
        page.wait_for_selector(ready, state="visible", timeout=timeout_ms)
    deadline = time.monotonic() + timeout_ms / 1000
    quiet_since: float | None = None
    while time.monotonic() < deadline:
        busy = page.locator(RUNNING).count() > 0 or page.locator(SKELETON).count() > 0
        if busy:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif (time.monotonic() - quiet_since) * 1000 >= quiet_ms:
            return
        page.wait_for_timeout(50)
    raise TimeoutError(f"the app was still running after {timeout_ms / 1000:.0f} s")


def exception_texts(page: Any) -> list[str]:
    """The text of every Streamlit exception box on the page (empty when the page rendered cleanly)."""
    boxes = page.locator('[data-testid="stException"]')
    return [boxes.nth(i).inner_text() for i in range(boxes.count())]


def nav_to(page: Any, title: str, ready: str | None = None) -> None:
    """Open a page through the top navigation (keeps the session: uploads and edits survive) and wait for it."""
    link = page.locator('[data-testid="stTopNavLink"]').filter(has_text=re.compile(rf"{re.escape(title)}$"))
    link.first.click()
    page.wait_for_url(re.compile(rf"/{re.escape(title.lower())}(\?|$)") if title != "Compare" else re.compile(r".*"))
    wait_for_idle(page, ready=ready)


def full_screenshot(page: Any, path: Path, max_height: int = 8000) -> None:
    """Screenshot the whole page. Streamlit scrolls inside its main area, so grow the viewport to its height."""
    size = page.viewport_size or {"width": 1440, "height": 1000}
    height = int(page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]')?.scrollHeight ?? 0"))
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], min(height, max_height))})
    try:
        page.wait_for_timeout(600)  # let charts and grids re-layout to the new size
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path))
    finally:
        page.set_viewport_size(size)


# Chromium would otherwise save st.dataframe's CSV through the File System Access picker, not a download.
NO_SAVE_PICKER = "delete window.showSaveFilePicker;"


def dataframe_csv(page: Any, frame: Any, alt: str | None = None) -> str:
    """The CSV of an st.dataframe (`frame`, a locator) from its toolbar's "Download as CSV": its cells are
    canvas-drawn, not DOM text. `alt`: the dataframe's alt text, which names its toolbar buttons.

    Needs NO_SAVE_PICKER as an init script of the page's context.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    # Centred, not merely in view: at the top edge the toolbar sits under Streamlit's sticky header, which then
    # takes the click (seen as a flaky timeout on Capacity's fleet table, on main as well).
    frame.evaluate("el => el.scrollIntoView({block: 'center'})")
    frame.hover()
    name = r"^Download as CSV" + (f": {re.escape(alt)}" if alt else "")
    button = page.get_by_role("button", name=re.compile(name)).first
    try:
        with page.expect_download(timeout=15_000) as info:
            button.click(timeout=10_000)
    except PlaywrightTimeout:  # still covered (the grid re-laid out under the pointer): click the button itself
        with page.expect_download() as info:
            button.dispatch_event("click")
    return with_gpu_ids(Path(info.value.path()).read_text(encoding="utf-8-sig"))


def with_gpu_ids(csv_text: str) -> str:
    """A grid's CSV with a `gpu` id column added where the grid shows only GPU display names (`gpu_name`: the app
    shows names, its links and files keep ids), so that tests can select rows by id."""
    import io

    import pandas as pd

    from calculator.data.catalog import load_catalog

    frame = pd.read_csv(io.StringIO(csv_text))
    if "gpu_name" not in frame.columns or "gpu" in frame.columns:
        return csv_text
    ids = {g.name: g.id for g in load_catalog().gpu_specs}
    frame.insert(0, "gpu", frame["gpu_name"].map(lambda n: ids.get(str(n), n)))
    return frame.to_csv(index=False)
