"""InferenceX's PowerX export (issue 22), from InferenceX-app's own `inferencex-api` 0.1.0 examples (SemiAnalysisAI/
InferenceX-app docs/examples/inferencex-api/0.1.0/powerx.json @2ec9bcc and powerx.csv @6760c53; trimmed copies in
tests/fixtures/inferencex_api/, see SOURCES.md there). The JSON rows import as uploaded curves with the measured
joules per output token as the energy column (only where `power_valid` is 1); the CSV, which holds no throughput,
is refused with a message that says why and what to import instead."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from calculator.data.importers import Overrides, import_bytes, import_path

HERE = Path(__file__).parents[1] / "fixtures" / "inferencex_api"
JSON_FILE = HERE / "powerx_api010_dsv4_b200_trimmed.json"
CSV_FILE = HERE / "powerx_api010_dsv4_b200_trimmed.csv"


def doc() -> Any:
    return json.loads(JSON_FILE.read_text(encoding="utf-8"))


def test_sources_name_both_files() -> None:
    sources = (HERE / "SOURCES.md").read_text(encoding="utf-8")
    assert f"| {JSON_FILE.name} |" in sources and f"| {CSV_FILE.name} |" in sources
    assert "2ec9bcc324b1505c17077ff6833f695119f5d15a" in sources


def test_powerx_json_rows_become_curves_with_measured_energy() -> None:
    raw = doc()
    result = import_path(JSON_FILE, Overrides(mode="ar"))
    assert result.format == "inferencex" and not result.problems, result.problems
    by_gpus = {p.gpus_per_replica: p for p in result.profiles}
    assert sorted(by_gpus) == [8, 16]  # TP8 single node; 8 prefill + 8 decode GPUs disaggregated
    single = by_gpus[8]
    assert single.gpu == "b200" and single.engine == "vllm" and single.tp == 8
    rows = {r["conc"]: r["metrics"] for r in raw["rows"][:2]}
    for point in single.points:
        m = rows[point.concurrency]
        assert point.output_tok_s == pytest.approx(m["output_tput_per_gpu"] * 8, rel=1e-9)
        assert point.tpot_ms_p50 == pytest.approx(m["median_tpot"] * 1000, rel=1e-9)
        assert point.joules_per_output_token == pytest.approx(m["joules_per_output_token"], rel=1e-9)
    (disagg_point,) = by_gpus[16].points
    m = raw["rows"][2]["metrics"]
    assert disagg_point.output_tok_s == pytest.approx(m["output_tput_per_gpu"] * raw["rows"][2]["num_decode_gpu"])
    assert disagg_point.joules_per_output_token == pytest.approx(4.28517)
    assert "InferenceX API export 0.1.0" in single.provenance.notes
    assert "query https://inferencex.semianalysis.com/api/v1/benchmarks" in single.provenance.notes


@pytest.mark.parametrize("change", ["invalid", "missing"])
def test_powerx_energy_stays_blank_unless_power_is_valid(change: str) -> None:
    raw = copy.deepcopy(doc())
    for row in raw["rows"]:
        if change == "invalid":
            row["metrics"]["power_valid"] = 0
        else:
            row["metrics"].pop("joules_per_output_token")
    result = import_bytes(json.dumps(raw).encode(), "powerx.json", Overrides(mode="ar"))
    assert not result.problems and result.profiles
    assert all(pt.joules_per_output_token is None for p in result.profiles for pt in p.points)


def test_powerx_csv_is_refused_with_the_reason_and_what_to_import() -> None:
    result = import_path(CSV_FILE, Overrides(mode="ar"))
    assert not result.profiles
    (problem,) = result.problems
    assert "PowerX CSV export" in problem.message and "no throughput" in problem.message
    assert "powerx.json" in problem.message
