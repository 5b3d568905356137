"""Issue 21: Streamlit's full garbage collection after every script run is off (a quarter of the server's time
under load) and the app collects at most every few seconds instead (app_pages/housekeeping.py, called by app.py)."""

from __future__ import annotations

import gc
import os
import tomllib
from pathlib import Path

import pytest

from app_pages import housekeeping

ROOT = Path(__file__).resolve().parents[2]


def test_streamlits_collection_after_every_run_is_off_and_the_app_calls_its_own() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False
    assert "collect_garbage_now_and_then()" in (ROOT / "app.py").read_text()


def test_the_app_collects_at_most_once_per_period(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr(gc, "collect", lambda *a: calls.append(1) or 0)
    assert housekeeping.collect_garbage_now_and_then(every_s=0.0)
    assert not housekeeping.collect_garbage_now_and_then(every_s=3600.0)
    assert not housekeeping.collect_garbage_now_and_then(every_s=3600.0)
    assert len(calls) == 1


def test_when_idle_the_per_choice_caches_are_dropped_once_and_memory_released(monkeypatch: pytest.MonkeyPatch) -> None:
    cleared: list[int] = []
    released: list[int] = []
    monkeypatch.setattr(housekeeping, "release_memory", lambda: released.append(1))
    housekeeping.note_run()
    assert not housekeeping.sweep_if_idle(lambda: cleared.append(1), idle_s=3600.0)  # in use: nothing
    monkeypatch.setattr(housekeeping, "_last_release", 0.0)
    assert housekeeping.sweep_if_idle(lambda: cleared.append(1), idle_s=0.0)
    monkeypatch.setattr(housekeeping, "_last_release", 0.0)
    assert housekeeping.sweep_if_idle(lambda: cleared.append(1), idle_s=0.0)
    assert cleared == [1] and released == [1, 1]  # caches once per idle spell, memory each time
    housekeeping.note_run()
    monkeypatch.setattr(housekeeping, "_last_release", 0.0)
    assert housekeeping.sweep_if_idle(lambda: cleared.append(1), idle_s=0.0)
    assert cleared == [1, 1]


def test_the_idle_sweep_clears_the_apps_per_choice_caches_outside_a_script_run() -> None:
    from app_pages import cached

    cached.clear_per_choice_caches()  # from the sweeper's thread there is no ScriptRunContext: must not raise


def test_a_per_choice_cache_does_not_grow_past_its_max_entries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 21 (memory): thirty users each with their own utilisation, volume, filters leave one entry per choice;
    a bounded cache keeps the last max_entries of them (the least recently used are dropped: asked again, they are
    computed again) and the idle sweep empties it."""
    import streamlit as st

    from app_pages import cached
    from calculator.data.catalog import load_catalog, prices_frame
    from calculator.model.cost import CostSettings

    cat = load_catalog()
    points, prices = cat.points.head(8), prices_frame(cat.offers).head(8)
    computed: list[int] = []
    real = cached.price_table
    monkeypatch.setattr(cached, "price_table", lambda *a, **k: computed.append(1) or real(*a, **k))

    def ask(i: int) -> None:
        cached.priced(f"points-{i}", "prices", CostSettings(utilisation=0.5), points, prices)

    st.cache_data.clear()
    try:
        for i in range(40):  # 40 sessions' choices, past the cache's max_entries (32)
            ask(i)
        assert len(computed) == 40
        for i in reversed(range(8, 40)):  # the last 32 are held
            ask(i)
        assert len(computed) == 40
        ask(0)  # the first was dropped
        assert len(computed) == 41
        cached.clear_per_choice_caches()
        ask(39)
        assert len(computed) == 42
    finally:
        st.cache_data.clear()


def test_every_cache_with_arguments_in_the_app_is_bounded() -> None:
    """No cache in app_pages/ keyed on a user's choices grows without bound: each cached function with arguments
    names max_entries (a function without arguments holds one entry)."""
    import ast

    unbounded = []
    for path in sorted((ROOT / "app_pages").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef) or not (node.args.args or node.args.kwonlyargs):
                continue
            for dec in node.decorator_list:
                name = ast.unparse(dec.func if isinstance(dec, ast.Call) else dec)
                keywords = {k.arg for k in dec.keywords} if isinstance(dec, ast.Call) else set()
                if name in ("st.cache_data", "st.cache_resource") and "max_entries" not in keywords:
                    unbounded.append(f"{path.name}:{node.name}")
    assert not unbounded, unbounded


def test_releasing_memory_also_empties_arrows_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    """pandas' text columns and st.dataframe's tables are allocated in Arrow's own pool (mimalloc or jemalloc),
    which glibc's malloc_trim does not reach: the idle sweep hands its free pages back too."""
    import pyarrow

    released: list[int] = []

    class Pool:
        def release_unused(self) -> None:
            released.append(1)

    monkeypatch.setattr(pyarrow, "default_memory_pool", lambda: Pool())
    housekeeping.release_memory()
    assert released == [1]
    assert housekeeping.rss_mb() > 0


def test_disconnected_sessions_past_their_reconnect_time_are_dropped_when_idle(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 21 (memory): Streamlit keeps disconnected sessions in a TTL cache (its 1.67 MemorySessionStorage) that
    drops an expired one only when next touched, by a new connection; after a busy spell nobody connects, so all of
    them stayed in memory. The idle sweep expires them."""
    from types import SimpleNamespace

    from streamlit.runtime import Runtime
    from streamlit.runtime.memory_session_storage import MemorySessionStorage

    storage = MemorySessionStorage(maxsize=128, ttl_seconds=0.05)
    for i in range(3):
        storage.save(SimpleNamespace(session=SimpleNamespace(id=f"s{i}")))  # type: ignore[arg-type]
    manager = SimpleNamespace(_session_storage=storage, _storage_lock=None)
    monkeypatch.setattr(Runtime, "exists", classmethod(lambda cls: True))
    monkeypatch.setattr(Runtime, "instance", classmethod(lambda cls: SimpleNamespace(_session_mgr=manager)))
    assert housekeeping.drop_expired_sessions() == 0  # within their reconnect time: kept
    import time

    time.sleep(0.1)
    assert len(storage._cache._expirations) == 3  # type: ignore[attr-defined]  # expired, still held
    assert housekeeping.drop_expired_sessions() == 3
    assert len(storage._cache._expirations) == 0  # type: ignore[attr-defined]


def test_without_a_runtime_nothing_is_dropped() -> None:
    assert housekeeping.drop_expired_sessions() == 0


def test_streamlits_session_manager_holds_its_storage_where_the_sweep_looks() -> None:
    """Pins the installed Streamlit's internals drop_expired_sessions reaches (a new version moving them makes the
    sweep a no-op: this fails first)."""
    import inspect

    from streamlit.runtime import runtime
    from streamlit.runtime.memory_session_storage import MemorySessionStorage
    from streamlit.runtime.websocket_session_manager import WebsocketSessionManager

    assert "self._session_mgr = " in inspect.getsource(runtime.Runtime.__init__)
    manager = WebsocketSessionManager(MemorySessionStorage(), None, None, None)  # type: ignore[arg-type]
    assert manager._session_storage._cache.expire() == []  # type: ignore[attr-defined]
    with manager._storage_lock:
        pass


FRAGMENTED = """
import gc, sys
sys.path.insert(0, sys.argv[1])
from app_pages.housekeeping import release_memory, rss_mb
import pyarrow  # release_memory's own import, out of the measured growth
base = rss_mb()
objs = [("x" * 60) + str(i) for i in range(2_000_000)]  # many small objects, as a busy spell's frames leave
keep = objs[::200]  # a few survive (a cache entry, a session's state), scattered over every page
del objs
gc.collect()
peak = rss_mb()
release_memory()
print((peak - rss_mb()) / (peak - base))
"""


@pytest.mark.parametrize(("allocators", "handed_back"), [("deploy", True), ("default", False)])
def test_memory_freed_around_survivors_goes_back_on_the_deploy_allocators(allocators: str, handed_back: bool) -> None:
    """Issue 21 (memory after load): Python's own small-object allocator (pymalloc) keeps a 1 MiB arena while one
    object in it lives, and malloc_trim cannot reach it; on glibc's malloc (PYTHONMALLOC=malloc, docs/deploy.md) the
    idle sweep's malloc_trim hands back every free page around the survivors. bench_load.py runs the apps so."""
    import subprocess
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench_load

    env = {k: v for k, v in os.environ.items() if k not in bench_load.DEPLOY_ALLOCATORS}
    env.update(bench_load.DEPLOY_ALLOCATORS if allocators == "deploy" else {})
    out = subprocess.run([sys.executable, "-c", FRAGMENTED, str(ROOT)], env=env, capture_output=True, text=True,
                         timeout=120, check=True)  # fmt: skip
    share = float(out.stdout.strip().splitlines()[-1])
    assert (share > 0.6) if handed_back else (share < 0.3), share


def test_the_deploy_doc_sets_the_allocators_the_load_bench_measured() -> None:
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench_load

    doc = (ROOT / "docs" / "deploy.md").read_text()
    for name, value in {**bench_load.DEPLOY_ALLOCATORS, "MALLOC_ARENA_MAX": "2"}.items():
        assert f"Environment={name}={value}" in doc and f"-e {name}={value}" in doc, name


def test_the_idle_sweep_empties_every_cache_of_per_choice_results():
    """Every cached function of app_pages/cached.py is either emptied by the idle sweep (clear_per_choice_caches) or
    named as computed once per process (ONCE_PER_PROCESS): a new per-choice cache left out of the sweep keeps its
    entries after a busy spell (session 5's Compare page cache did: RSS 1.39x warm 300 s after the load)."""
    import inspect
    import re

    from app_pages import cached

    funcs = {n: v for n, v in vars(cached).items() if type(v).__name__.endswith("CachedFunc")}
    swept = set(re.split(r"[^A-Za-z0-9_]+", inspect.getsource(cached.clear_per_choice_caches)))
    missing = sorted(n for n in funcs if n not in swept and n not in cached.ONCE_PER_PROCESS)
    assert not missing, f"cached functions neither swept when idle nor once per process: {missing}"
    assert "_compare_page" in swept
