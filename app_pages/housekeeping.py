"""The process's garbage collection, at most every few seconds instead of after every script run.

Streamlit runs a full collection (gc.collect(2)) after each script run unless runner.postScriptGC is off. With the
bundled data and the caches in memory that took about a quarter of the server's time under load (30 sessions,
benchmarks/bench_load.py, issue 21), so .streamlit/config.toml turns it off and the app collects here instead:
at the start of a run, when COLLECT_EVERY_S have passed since the last collection (one run does it; the others go
on). Python's own generational collector runs as well.

And when nobody has used the app for IDLE_S, a daemon thread drops the caches of per-choice results (each
utilisation, volume, filter a user tried left an entry; the expensive once-per-process ones stay) and hands the
freed memory back to the system, so that the process returns near its warm size after a busy spell.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import os
import threading
import time
from collections.abc import Callable

_LOG = logging.getLogger(__name__)
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


# ---------------------------------------------------------------------------------------------
# When nobody is using the app: drop what the last users' choices left in the caches, hand memory back


IDLE_S = 60.0
SWEEP_CHECK_S = 10.0
_last_run = time.monotonic()
_swept_since_run = True
_last_release = 0.0
_sweeper: threading.Thread | None = None


def note_run() -> None:
    """Called at the start of every script run (app.py)."""
    global _last_run, _swept_since_run
    _last_run = time.monotonic()
    _swept_since_run = False


def rss_mb() -> float:
    """This process's resident memory in MB (Linux /proc; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


def release_memory() -> None:
    """A full collection, then what the allocators hold free handed back to the system: Arrow's memory pool (pandas'
    text columns and st.dataframe's tables live there, in its own jemalloc/mimalloc heap, which malloc_trim does not
    reach) and glibc's malloc_trim (a no-op elsewhere). Logs the resident memory before and after."""
    before = rss_mb()
    gc.collect()
    with contextlib.suppress(Exception):
        import pyarrow

        pyarrow.default_memory_pool().release_unused()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    _LOG.info("idle: memory released, RSS %.0f -> %.0f MB", before, rss_mb())


def drop_expired_sessions() -> int:
    """Forget the disconnected sessions whose reconnect time (server.disconnectedSessionTTL) has passed; how many.

    Streamlit keeps a disconnected session (its state, its fragments and their arguments) for a browser to reconnect
    to, in a TTL cache that removes an expired entry only when the cache is next touched: by a new connection. After a
    busy spell with nobody arriving, every session of it stays in memory. This expires them, as that next connection
    would (no other change: Streamlit itself does no more when it drops one). Reaches Streamlit's session storage
    (1.67: Runtime._session_mgr._session_storage, a MemorySessionStorage), pinned by tests/app/test_app_housekeeping.py;
    does nothing where that is not there."""
    from streamlit.runtime import Runtime

    if not Runtime.exists():
        return 0
    manager = getattr(Runtime.instance(), "_session_mgr", None)
    cache = getattr(getattr(manager, "_session_storage", None), "_cache", None)
    expire = getattr(cache, "expire", None)
    if expire is None:
        return 0
    with getattr(manager, "_storage_lock", None) or contextlib.nullcontext():
        return len(expire())


def sweep_if_idle(clear: Callable[[], None], idle_s: float = IDLE_S) -> bool:
    """After `idle_s` without a script run: clear() the per-choice caches (once per idle spell), drop the disconnected
    sessions past server.disconnectedSessionTTL and release memory, again every `idle_s` while idle.
    True when it released."""
    global _swept_since_run, _last_release
    now = time.monotonic()
    if now - _last_run < idle_s or now - _last_release < idle_s:
        return False
    if not _swept_since_run:
        _swept_since_run = True
        clear()
    _last_release = now
    dropped = drop_expired_sessions()
    if dropped:
        _LOG.info("idle: %d disconnected session(s) past their reconnect time dropped", dropped)
    release_memory()
    return True


def start_idle_sweeper(clear: Callable[[], None]) -> None:
    """Once per process, a daemon thread that runs sweep_if_idle every SWEEP_CHECK_S seconds."""
    global _sweeper
    with _lock:
        if _sweeper is not None:
            return

        def loop() -> None:
            while True:
                time.sleep(SWEEP_CHECK_S)
                try:
                    sweep_if_idle(clear)
                except Exception:
                    _LOG.exception("idle sweep failed")

        _sweeper = threading.Thread(target=loop, name="planner-idle-sweeper", daemon=True)
        _sweeper.start()
