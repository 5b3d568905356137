"""Benchmark: every page's first render, a widget change and a page switch in headless Chromium (bundled data),
against a bare Streamlit page that shows one small dataframe, measured in the same run (issue 11 budgets).

Budgets: each page's first render <= 1.3x the bare page's; a widget change <= 0.3 s; a page switch <= 1 s.

- first render: a fresh browser context opens the page's URL; the clock stops when the page's last element is
  visible and the script run has finished (the moment the "running" indicator last went away, not after a quiet
  wait). Bare-page and app-page runs are interleaved so machine load falls on both.
- widget change: on Scenario, one keyboard step of the sidebar's utilisation slider, to the settled rerun.
- page switch: a click on a top-navigation link (Compare -> Scenario, Scenario -> Capacity) to the settled page.

- with --returning, also each page's first render for a returning user (a new tab and a new session, Streamlit's
  script chunks already in the browser's HTTP cache): information beside the budget, which is the cold render.

Run: `python benchmarks/bench_pages.py [--runs 5] [--returning]`. Uses Debian's /usr/bin/chromium (never a download).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import Page, sync_playwright

from tests.browser.streamlit_server import (
    APP_VIEW,
    MAIN_ELEMENT,
    RUNNING,
    SKELETON,
    chromium_launch_args,
    streamlit_app,
)

RENDER_RATIO_BUDGET = 1.3
WIDGET_BUDGET_S = 0.3
SWITCH_BUDGET_S = 1.0
TABLE = '[data-testid="stDataFrame"]'
METRIC = '[data-testid="stMetricValue"]'
PAGES: dict[str, tuple[str, str]] = {  # name -> (path, the last element the page draws)
    "Compare": ("/", TABLE),
    "Scenario": ("/scenario", TABLE),
    "Capacity": ("/capacity", '[data-testid="stExpander"]'),
    "Measurements": ("/measurements", '[data-testid="stFileUploader"]'),
    "Prices": ("/prices", TABLE),
    "Hardware": ("/hardware", '[data-testid="stExpander"]'),
    "Forward passes": ("/forward_passes", '[data-testid="stMain"] [data-testid="stElementContainer"]'),
    "Export": ("/export", TABLE),
}


def settled(page: Page, ready: str, t0: float, timeout_s: float = 90.0) -> float:
    """Seconds from t0 to the moment the page was ready and idle (the last busy -> idle transition)."""
    page.wait_for_selector(APP_VIEW, state="visible", timeout=timeout_s * 1000)
    page.wait_for_selector(MAIN_ELEMENT, state="attached", timeout=timeout_s * 1000)
    page.locator(ready).first.wait_for(state="visible", timeout=timeout_s * 1000)
    idle_since: float | None = None
    deadline = time.perf_counter() + timeout_s
    while time.perf_counter() < deadline:
        busy = page.locator(RUNNING).count() > 0 or page.locator(SKELETON).count() > 0
        now = time.perf_counter()
        if busy:
            idle_since = None
        elif idle_since is None:
            idle_since = now
        elif now - idle_since >= 0.4:
            return idle_since - t0
        page.wait_for_timeout(20)
    raise TimeoutError("the page never settled")


def first_render(browser: Any, url: str, ready: str) -> float:
    ctx = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = ctx.new_page()
    try:
        t0 = time.perf_counter()
        page.goto(url, wait_until="commit")
        return settled(page, ready, t0)
    finally:
        ctx.close()


def returning_render(browser: Any, url: str, ready: str) -> float:
    """First render of a page for a returning user: the browser's HTTP cache already holds Streamlit's script
    chunks (an earlier visit in the same profile), but the page is a new tab and a new Streamlit session."""
    ctx = browser.new_context(viewport={"width": 1440, "height": 1000})
    try:
        earlier = ctx.new_page()
        earlier.goto(url, wait_until="commit")
        settled(earlier, ready, time.perf_counter())
        earlier.close()
        page = ctx.new_page()
        t0 = time.perf_counter()
        page.goto(url, wait_until="commit")
        return settled(page, ready, t0)
    finally:
        ctx.close()


def widget_changes(browser: Any, url: str, runs: int) -> list[float]:
    ctx = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = ctx.new_page()
    out = []
    try:
        page.goto(url + "/scenario")
        settled(page, PAGES["Scenario"][1], time.perf_counter())
        slider = page.get_by_role("slider", name="Utilisation (%)")
        for i in range(runs):
            slider.focus()
            before = page.locator(METRIC).first.inner_text()
            t0 = time.perf_counter()
            page.keyboard.press("ArrowLeft" if i % 2 == 0 else "ArrowRight")
            page.wait_for_function(  # the headline $/M shows the new utilisation's cost
                "([sel, before]) => { const e = document.querySelector(sel); return e && e.innerText !== before; }",
                arg=[METRIC, before],
                polling="raf",
            )
            out.append(settled(page, PAGES["Scenario"][1], t0))
    finally:
        ctx.close()
    return out


def page_switches(browser: Any, url: str, runs: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"Compare -> Scenario": [], "Scenario -> Capacity": []}
    for _ in range(runs):
        ctx = browser.new_context(viewport={"width": 1440, "height": 1000})
        page = ctx.new_page()
        try:
            page.goto(url)
            settled(page, TABLE, time.perf_counter())
            for name, target in (("Compare -> Scenario", "Scenario"), ("Scenario -> Capacity", "Capacity")):
                link = page.locator('[data-testid="stTopNavLink"]').filter(has_text=target)
                t0 = time.perf_counter()
                link.first.click()
                page.wait_for_url(f"**{PAGES[target][0]}*")
                out[name].append(settled(page, PAGES[target][1], t0))
        finally:
            ctx.close()
    return out


def med(xs: list[float]) -> float:
    return statistics.median(xs)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5, help="runs of each measurement (median reported)")
    ap.add_argument(
        "--returning",
        action="store_true",
        help="also time each page for a returning user (Streamlit's script chunks already in the browser cache)",
    )
    args = ap.parse_args()
    with (
        streamlit_app("app.py", log_name="streamlit-bench-pages.log") as app,
        streamlit_app("benchmarks/bare_page.py", log_name="streamlit-bench-bare.log") as bare,
        sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(**chromium_launch_args())
        try:
            for path, ready in PAGES.values():  # warm every page once (imports, caches)
                first_render(browser, app.url + path, ready)
            first_render(browser, bare.url, TABLE)
            renders: dict[str, list[float]] = {name: [] for name in PAGES}
            bares: dict[str, list[float]] = {name: [] for name in PAGES}
            renders_back: dict[str, list[float]] = {name: [] for name in PAGES}
            bares_back: dict[str, list[float]] = {name: [] for name in PAGES}
            for _ in range(args.runs):
                for name, (path, ready) in PAGES.items():
                    bares[name].append(first_render(browser, bare.url, TABLE))
                    renders[name].append(first_render(browser, app.url + path, ready))
                    if args.returning:
                        bares_back[name].append(returning_render(browser, bare.url, TABLE))
                        renders_back[name].append(returning_render(browser, app.url + path, ready))
            widgets = widget_changes(browser, app.url, args.runs)
            switches = page_switches(browser, app.url, args.runs)
        finally:
            browser.close()
    ok = True
    print(f"headless Chromium {chromium_launch_args()['executable_path']}; median of {args.runs}; bundled data")
    print(f"{'page':16} {'first render':>13} {'bare page':>10} {'ratio':>6}  budget <= {RENDER_RATIO_BUDGET}x")
    for name in PAGES:
        r, b = med(renders[name]), med(bares[name])
        ok &= r / b <= RENDER_RATIO_BUDGET
        print(f"{name:16} {r:12.3f}s {b:9.3f}s {r / b:6.2f}  {'ok' if r / b <= RENDER_RATIO_BUDGET else 'OVER'}")
    if args.returning:  # information, not the budget: the budget is the cold first render above
        print("returning user (Streamlit's script chunks in the browser cache; information, not the budget):")
        print(f"{'page':16} {'first render':>13} {'bare page':>10} {'ratio':>6}")
        for name in PAGES:
            r, b = med(renders_back[name]), med(bares_back[name])
            print(f"{name:16} {r:12.3f}s {b:9.3f}s {r / b:6.2f}")
    w = med(widgets)
    ok &= w <= WIDGET_BUDGET_S
    print(f"widget change (Scenario, utilisation step): {w:.3f} s (min {min(widgets):.3f}) budget <= {WIDGET_BUDGET_S}")
    for name, xs in switches.items():
        ok &= med(xs) <= SWITCH_BUDGET_S
        print(f"page switch {name}: {med(xs):.3f} s (min {min(xs):.3f}) budget <= {SWITCH_BUDGET_S}")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
