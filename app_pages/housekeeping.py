"""The process's garbage collection, at most every few seconds instead of after every script run.

Streamlit runs a full collection (gc.collect(2)) after each script run unless runner.postScriptGC is off. With the
bundled data and the caches in memory that took about a quarter of the server's time under load (30 sessions,
benchmarks/bench_load.py, issue 21), so .streamlit/config.toml turns it off and the app collects here instead:
at the start of a run, when COLLECT_EVERY_S have passed since the last collection (one run does it; the others go
on). Python's own generational collector runs as well.
"""

from __future__ import annotations

import gc
import threading
import time

COLLECT_EVERY_S = 10.0
_lock = threading.Lock()
_last = time.monotonic()


def collect_garbage_now_and_then(every_s: float = COLLECT_EVERY_S) -> bool:
    """gc.collect() when `every_s` have passed since the last time; True when this call collected."""
    global _last
    if time.monotonic() - _last < every_s or not _lock.acquire(blocking=False):
        return False
    try:
        if time.monotonic() - _last < every_s:
            return False
        gc.collect()
        _last = time.monotonic()
        return True
    finally:
        _lock.release()
