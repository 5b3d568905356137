"""Benchmark: what the first widget of each kind adds to a page's cold first render in headless Chromium.

Streamlit's frontend loads each element kind's script lazily, in chunks, when the first element of that kind
arrives; over HTTP/1.1 (six connections to one host) a kind that needs many chunks queues behind the rest. This
times benchmarks/widget_chunks_page.py (bare_page.py plus the widgets named in its `w` parameter) in a fresh
browser context per run, against the page with none, and prints each kind's ratio. It explains the part of
bench_pages.py's ratios that no page of ours can remove (every page but Export needs a selectbox).

Run: `python benchmarks/bench_widget_chunks.py [--runs 5]`. Uses Debian's /usr/bin/chromium (never a download).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_pages import TABLE, settled
from playwright.sync_api import sync_playwright

from tests.browser.streamlit_server import chromium_launch_args, streamlit_app

VARIANTS = [
    "",
    "sidebar_caption",
    "slider",
    "selectbox",
    "multiselect",
    "number_input",
    "segmented_control",
    "toggle",
    "metric",
    "tabs",
    "slider,selectbox,number_input,segmented_control,toggle,metric,tabs",
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5, help="runs of each variant (median reported)")
    args = ap.parse_args()
    with (
        streamlit_app("benchmarks/widget_chunks_page.py", log_name="streamlit-bench-chunks.log") as app,
        sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(**chromium_launch_args())
        times: dict[str, list[float]] = {v: [] for v in VARIANTS}
        try:
            for run in range(args.runs + 1):  # the first round warms the server
                for v in VARIANTS:
                    ctx = browser.new_context(viewport={"width": 1440, "height": 1000})
                    page = ctx.new_page()
                    t0 = time.perf_counter()
                    page.goto(f"{app.url}/?w={v}", wait_until="commit")
                    seconds = settled(page, TABLE, t0)
                    ctx.close()
                    if run:
                        times[v].append(seconds)
        finally:
            browser.close()
    bare = statistics.median(times[""])
    print(f"headless Chromium, fresh context per run, median of {args.runs}; bare page {bare:.3f} s")
    for v in VARIANTS[1:]:
        t = statistics.median(times[v])
        print(f"+ {v:70} {t:6.3f} s  {t / bare:5.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
