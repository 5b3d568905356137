"""Issue 21: Streamlit's full garbage collection after every script run is off (a quarter of the server's time
under load) and the app collects at most every few seconds instead (app_pages/housekeeping.py, called by app.py)."""

from __future__ import annotations

import gc
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
