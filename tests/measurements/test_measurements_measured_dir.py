"""A bad or clashing file in hardware_profiles/measured/ (written by `measurements serve`/`forward` or copied there by
a user) is skipped with a notice: `table` keeps working and the app keeps running (issue 20, item 6)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from calculator.data import catalog as catalog_mod

ROOT = Path(__file__).resolve().parents[2]

PROFILE = """id: {id}
gpu: h100-sxm
engine: vllm
engine_version: 0.32.0
model: qwen3-8b
precision: bf16
mode: ar
workload: {{isl: 64, osl: 32, category: {category}}}
provenance: {{kind: measured, source: measurements serve on h100-sxm (test), date: '2026-12-05'}}
points:
- {{concurrency: 1, output_tok_s: 100}}
- {{concurrency: 4, output_tok_s: 300}}
"""


@pytest.fixture
def bundled_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the bundled data whose measured/ folder the test fills (the checkout's stays untouched)."""
    data = tmp_path / "hardware_profiles"
    shutil.copytree(ROOT / "hardware_profiles", data, ignore=shutil.ignore_patterns("measured"))
    (data / "measured").mkdir()
    monkeypatch.setattr(catalog_mod, "BUNDLED_DIR", data)
    yield data / "measured"


def _two_runs_same_id(measured: Path) -> None:
    for category in ("coding", "math"):
        (measured / f"serve-{category}.yaml").write_text(
            PROFILE.format(id="serve-qwen3-8b-ar-h100-sxm-bf16-isl64-osl32", category=category), encoding="utf-8")


def test_a_duplicate_id_and_a_broken_file_in_measured_are_skipped_with_a_notice(bundled_copy: Path) -> None:
    _two_runs_same_id(bundled_copy)
    (bundled_copy / "broken.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    cat = catalog_mod.load_catalog()
    mine = [p for p in cat.profiles if p.model == "qwen3-8b" and p.engine == "vllm"]
    assert len(mine) == 1  # the first file loaded, the clash skipped
    text = " ".join(str(p) for p in cat.problems)
    assert "duplicate profile id" in text and "broken.yaml" in text


def test_a_measured_file_reusing_a_bundled_id_does_not_replace_it(bundled_copy: Path) -> None:
    before = catalog_mod.load_catalog()
    taken = before.profiles[0]
    (bundled_copy / "clash.yaml").write_text(PROFILE.format(id=taken.id, category="coding"), encoding="utf-8")
    after = catalog_mod.load_catalog()
    assert [p for p in after.profiles if p.id == taken.id] == [taken]
    assert any("clash.yaml" in str(p) and "duplicate profile id" in str(p) for p in after.problems)


def test_table_runs_and_names_the_skipped_file(tmp_path: Path) -> None:
    clone = tmp_path / "repo"
    shutil.copytree(ROOT, clone, ignore=shutil.ignore_patterns(".venv*", ".git", "test-artifacts", "__pycache__",
                                                                ".mypy_cache", ".ruff_cache", ".pytest_cache"))
    measured = clone / "hardware_profiles" / "measured"
    measured.mkdir(exist_ok=True)
    _two_runs_same_id(measured)
    proc = subprocess.run([sys.executable, "-m", "calculator", "table", "--model", "qwen3-8b", "--gpu", "h100-sxm",
                           "--limit", "3", "--format", "csv"], cwd=clone, capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "skipped" in proc.stderr and "serve-math.yaml" in proc.stderr and "duplicate profile id" in proc.stderr


def test_the_app_runs_and_shows_the_notice(bundled_copy: Path) -> None:
    import streamlit as st

    _two_runs_same_id(bundled_copy)
    st.cache_resource.clear()  # earlier tests in this process hold the catalog read before the bad files existed
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    st.cache_resource.clear()  # nor may later tests see the bad files' catalog
    st.cache_data.clear()
    assert not at.exception
    notices = " ".join(w.value for w in at.warning)
    assert "serve-math.yaml" in notices and "duplicate profile id" in notices
