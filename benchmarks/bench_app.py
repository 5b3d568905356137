"""Benchmark: the app's first render and slider-change latency in headless Chromium on the bundled data.
Budgets (DESIGN.md §10): first render < 3 s, slider change < 0.5 s.

- first render: a fresh browser session navigates to the landing (Compare) page; the clock stops when the
  cost table and the headline $/M number are visible and the script run has finished. The server's very
  first page load (imports, bundled data, caches) is reported separately as "cold".
- slider change: on a rendered page, one keyboard step of the sidebar's utilisation slider; the clock stops
  when the headline $/M number on the page shows the new value (and, reported apart, when the run settles).

Run: `python benchmarks/bench_app.py [--runs 7] [--url http://host:port]` (without --url it starts
`streamlit run app.py` itself). Uses Debian's /usr/bin/chromium (CHROMIUM_PATH overrides), never a download.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import Page, sync_playwright

from tests.browser.streamlit_server import (
    APP_VIEW,
    AppServer,
    chromium_launch_args,
    streamlit_app,
    wait_for_idle,
)

FIRST_RENDER_BUDGET_S = 3.0
SLIDER_BUDGET_S = 0.5
TABLE = '[data-testid="stDataFrame"]'
HEADLINE = '[data-testid="stMetricValue"]'
SLIDER_LABEL = "Utilisation (%)"


def _new_page(browser: Any) -> tuple[Any, Page]:
    ctx = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = ctx.new_page()
    page.set_default_timeout(60_000)
    return ctx, page


def first_render(browser: Any, url: str) -> dict[str, float]:
    """Seconds from navigation, in a fresh session, to: the HTML and JS loaded (`dom`), the app shell drawn
    (`shell`), the server's last message of the run (`server`: the rest is the browser drawing), the table and
    headline number visible (`visible`), the script run settled (`settled`)."""
    ctx, page = _new_page(browser)
    frames: list[float] = []  # arrival times of the server's websocket messages (deltas of the script run)
    page.on("websocket", lambda ws: ws.on("framereceived", lambda _f: frames.append(time.perf_counter())))
    try:
        t0 = time.perf_counter()
        page.goto(url, wait_until="commit")
        page.locator(APP_VIEW).wait_for(state="visible")
        shell = time.perf_counter() - t0
        page.locator(TABLE).first.wait_for(state="visible")
        page.locator(HEADLINE).first.wait_for(state="visible")
        visible = time.perf_counter() - t0
        wait_for_idle(page, quiet_ms=0)
        settled = time.perf_counter() - t0
        dom_ms = page.evaluate("() => performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd")
        server = max((f for f in frames if f - t0 <= settled), default=t0) - t0
        return {"dom": float(dom_ms) / 1000, "shell": shell, "server": server, "visible": visible, "settled": settled}
    finally:
        ctx.close()


def headline(page: Page) -> str:
    return page.locator(HEADLINE).first.inner_text()


def slider_changes(browser: Any, url: str, runs: int) -> list[tuple[float, float, str, str]]:
    """Per keyboard step: (seconds to the new headline value, seconds to a settled run, before, after)."""
    ctx, page = _new_page(browser)
    out = []
    try:
        page.goto(url)
        page.locator(TABLE).first.wait_for(state="visible")
        wait_for_idle(page)
        slider = page.get_by_role("slider", name=SLIDER_LABEL)
        slider.focus()
        for i in range(runs):
            before = headline(page)
            key = "ArrowLeft" if i % 2 == 0 else "ArrowRight"  # 100 -> 95 -> 100 -> ...
            t0 = time.perf_counter()
            page.keyboard.press(key)
            page.wait_for_function(
                "([sel, before]) => { const e = document.querySelector(sel); return e && e.innerText !== before; }",
                arg=[HEADLINE, before],
                polling="raf",
            )
            changed = time.perf_counter() - t0
            wait_for_idle(page, quiet_ms=0)
            settled = time.perf_counter() - t0
            out.append((changed, settled, before, headline(page)))
            wait_for_idle(page, quiet_ms=300)  # let the rerun finish before the next step
            slider.focus()
    finally:
        ctx.close()
    return out


def _stats(xs: list[float]) -> str:
    return f"median {statistics.median(xs):.3f} s (min {min(xs):.3f}, max {max(xs):.3f}, n={len(xs)})"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7, help="measured runs of each kind (median reported)")
    ap.add_argument("--url", default=None, help="an already running app (default: start `streamlit run app.py`)")
    args = ap.parse_args()

    server_cm: AbstractContextManager[AppServer | None] = (
        nullcontext(None) if args.url else streamlit_app("app.py", log_name="streamlit-bench.log")
    )
    with server_cm as server, sync_playwright() as pw:
        url = args.url or (server.url if server else "")
        browser = pw.chromium.launch(**chromium_launch_args())
        try:
            cold = first_render(browser, url)
            renders = [first_render(browser, url) for _ in range(args.runs)]
            steps = slider_changes(browser, url, args.runs)
        finally:
            browser.close()

    visible = [r["visible"] for r in renders]
    changed = [s[0] for s in steps]
    print(f"app: {url} (bundled data), headless Chromium {chromium_launch_args()['executable_path']}")
    print(
        f"cold first load (server just started, caches empty): table visible {cold['visible']:.3f} s, "
        f"settled {cold['settled']:.3f} s"
    )
    print(
        f"first render (fresh session, warm server), table visible: {_stats(visible)}  "
        f"[budget < {FIRST_RENDER_BUDGET_S:g} s]"
    )
    for phase, what in (
        ("dom", "HTML + JS loaded (DOMContentLoaded)"),
        ("shell", "app shell drawn"),
        ("server", "last message from the server (script run done)"),
        ("settled", "script run settled"),
    ):
        print(f"first render, {what}: {_stats([r[phase] for r in renders])}")
    print(
        f"slider change ({SLIDER_LABEL!r}, one step), new $/M visible: {_stats(changed)}  "
        f"[budget < {SLIDER_BUDGET_S:g} s]"
    )
    print(f"slider change, script run settled: {_stats([s[1] for s in steps])}")
    print(f"headline values seen: {', '.join(f'{s[2]} -> {s[3]}' for s in steps[:4])}")
    ok = statistics.median(visible) < FIRST_RENDER_BUDGET_S and statistics.median(changed) < SLIDER_BUDGET_S
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
