"""Start `streamlit run app.py` on a free port as a subprocess, wait for `/_stcore/health`, stop it.

Shared by the browser tests' fixture and `benchmarks/bench_app.py`; also the Chromium launch settings
(Debian's /usr/bin/chromium, never a downloaded browser) and helpers to wait for Streamlit to settle.
"""

from __future__ import annotations

import contextlib
import os
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


def wait_for_idle(page: Any, timeout_ms: float = 60_000, quiet_ms: float = 300) -> None:
    """Wait until the app has rendered and no script run is in progress (the "Running..." widget is gone).

    Requires the widget to stay absent for `quiet_ms`, because a rerun can start a moment after an input event.
    """
    page.wait_for_selector(APP_VIEW, state="visible", timeout=timeout_ms)
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
