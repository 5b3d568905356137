"""AppTest: the Forward passes page shows a surface recorded by the real `measurements forward` command, and the
bundled third-party B200 surface with the estimator's bare-forward time beside it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import calculator.data.catalog as catalog_module
from app_pages import cached as common

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "app_pages" / "forward_passes.py")


@pytest.fixture(scope="module")
def measured_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("measured")
    cmd = [sys.executable, "-m", "measurements", "forward", "--model-config", "tiny", "--device", "cpu",
           "--batch", "1,4", "--query", "1,8", "--context", "64,256", "--repeats", "2",
           "--out", str(out / "forward-tiny-cpu.yaml")]  # fmt: skip
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "Forward passes page" in proc.stderr  # the tool says where to look next
    return out


@pytest.fixture
def with_measured(monkeypatch: pytest.MonkeyPatch, measured_dir: Path):  # type: ignore[no-untyped-def]
    bundled = catalog_module.bundled_profile_paths()
    monkeypatch.setattr(catalog_module, "bundled_profile_paths", lambda: [*bundled, measured_dir])
    common.bundled_catalog.clear()
    yield
    common.bundled_catalog.clear()


def test_page_without_surfaces_says_how_to_make_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalog_module, "bundled_profile_paths", lambda: [])
    common.bundled_catalog.clear()
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception
    assert any("No forward-cost surfaces yet" in i.value for i in at.info)
    common.bundled_catalog.clear()


def test_page_draws_the_bundled_b200_surface_with_the_estimate_beside_it() -> None:
    common.bundled_catalog.clear()
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception
    at.selectbox(key="fp_surface").set_value("umass-b200-nld-14b-bf16-linearspec-forward").run()
    assert not at.exception
    assert any("community" in m.value and "nld-14b" in m.value for m in at.markdown)
    table = at.dataframe[0].value
    assert len(table) == 14 and table["estimated_ms"].notna().all()
    ratio = table["estimated_ms"] / table["time_ms_median"]
    assert ratio.between(0.5, 1.5).all()


def test_page_shows_a_measured_cpu_surface(with_measured) -> None:  # type: ignore[no-untyped-def]
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception
    tiny = next(fc.id for fc in common.bundled_catalog().forward_costs if fc.model == "tiny")
    at.selectbox(key="fp_surface").set_value(tiny).run()
    assert not at.exception
    assert any("measured" in m.value and "tiny" in m.value for m in at.markdown)
    table = at.dataframe[0].value
    assert len(table) == 2 * 2 * 2  # batch x query x context, causal
    assert (table["time_ms_median"] > 0).all()
    assert (table["estimated_ms"] == "—").all()  # a CPU: no gpu id, nothing to estimate on (a dash, not "None")
    at.segmented_control(key="fp_attention").set_value("block").run()
    assert not at.exception
    assert set(at.dataframe[0].value["query_tokens"]) == {8}  # block attention is timed for q > 1 only


def test_the_chart_is_built_only_when_its_tab_is_open() -> None:
    """The table tab opens first (no Plotly script to load); a link with fp_tab=Chart opens the chart."""
    common.bundled_catalog.clear()
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception
    assert not at.get("plotly_chart") and len(at.dataframe) == 1
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.query_params["fp_tab"] = "Chart"
    at.run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 1 and not at.dataframe
