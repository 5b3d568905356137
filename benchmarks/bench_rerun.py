"""Benchmark: what one WARM script run costs, page by page, for one session (issue 21, "Load").

With one app process every session's script runs share one core (the GIL), so the runs per second the process can
do under load is about 1 / (a run's CPU time). This measures that time without a server or a browser: Streamlit's
AppTest runs app.py in-process, switches to each page, runs it once to fill the caches, then times `--runs` more
runs of the same page (the script run only, from the start of the script to its end, read inside the script
thread; AppTest's own parsing of the result is outside the clock). With `--profile` it also collects a cProfile
of the timed runs, per page, and prints the functions with the most cumulative and own time.

Run: `python benchmarks/bench_rerun.py [--runs 15] [--profile] [--root DIR] [--out rerun.json]`; `--root` times
another checkout of the app (e.g. `git archive <commit> | tar -x -C DIR`) with this same benchmark.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Any

PAGES = [
    "decision",
    "compare",
    "scenario",
    "capacity",
    "measurements",
    "prices",
    "hardware",
    "forward_passes",
    "export",
]


class Clock:
    """Wraps ScriptRunner._run_script: times each script run in its own thread, optionally under cProfile."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.profile: cProfile.Profile | None = None

    def install(self) -> None:
        from streamlit.runtime.scriptrunner import script_runner

        original = script_runner.ScriptRunner._run_script
        clock = self

        def timed(runner: Any, rerun_data: Any) -> None:
            prof = clock.profile
            t0 = time.perf_counter()
            if prof is not None:
                prof.enable()
            try:
                original(runner, rerun_data)
            finally:
                if prof is not None:
                    prof.disable()
                clock.times.append(time.perf_counter() - t0)

        script_runner.ScriptRunner._run_script = timed  # type: ignore[method-assign]


def top(prof: cProfile.Profile, key: str, n: int, runs: int) -> str:
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.strip_dirs().sort_stats(key).print_stats(n)
    text = out.getvalue()
    start = text.find("   ncalls")
    return f"(totals over {runs} runs)\n" + text[start:]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--warm", type=int, default=2, help="untimed runs per page before the timed ones")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--pages", nargs="*", default=PAGES)
    ap.add_argument("--root", default=str(Path(__file__).resolve().parent.parent))
    ap.add_argument("--out", default="")
    args = ap.parse_args()

    root = Path(args.root).resolve()
    os.chdir(root)
    sys.path.insert(0, str(root))
    from streamlit.testing.v1 import AppTest

    clock = Clock()
    clock.install()
    at = AppTest.from_file(str(root / "app.py"), default_timeout=300)
    at.run()  # the landing page: imports, bundled data
    # every page once, so process-wide caches that one page fills for another are warm for all
    for name in args.pages:
        at.switch_page(f"app_pages/{name}.py")
        at.run()
        assert not at.exception, (name, [e.value for e in at.exception])
    results: dict[str, dict[str, float]] = {}
    profiles: dict[str, str] = {}
    for name in args.pages:
        at.switch_page(f"app_pages/{name}.py")
        for _ in range(args.warm):
            at.run()
        clock.times.clear()
        if args.profile:
            clock.profile = cProfile.Profile()
        for _ in range(args.runs):
            at.run()
        assert not at.exception, (name, [e.value for e in at.exception])
        prof, clock.profile = clock.profile, None
        ms = [t * 1000 for t in clock.times]
        results[name] = {
            "median_ms": round(statistics.median(ms), 1),
            "mean_ms": round(statistics.fmean(ms), 1),
            "min_ms": round(min(ms), 1),
            "elements": float(len(at.main) + len(at.sidebar)),
        }
        if prof is not None:
            cumulative, own = (top(prof, k, args.top, args.runs) for k in ("cumulative", "tottime"))
            profiles[name] = cumulative + "\n" + own
    print(f"{'page':16} {'median ms':>10} {'mean ms':>9} {'min ms':>8}")
    for name, r in results.items():
        print(f"{name:16} {r['median_ms']:10.1f} {r['mean_ms']:9.1f} {r['min_ms']:8.1f}")
    mean_all = statistics.fmean(r["median_ms"] for r in results.values())
    print(f"{'mean of pages':16} {mean_all:10.1f}")
    for name, text in profiles.items():
        print(f"\n===== {name} =====\n{text}")
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
