"""New fields read where a file has them (issue 22): InferenceX's measured energy per output token (only where
`power_valid` is 1; missing or invalid power stays blank), owned-hardware power from it instead of TDP, and
GuideLLM goodput profiles' SLO attainment and request goodput."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from calculator.data.catalog import profiles_to_points
from calculator.data.importers import Overrides, import_bytes, import_path
from calculator.data.schema import OwnedTco
from calculator.model.cost import measured_kw_per_gpu, owned_usd_per_gpu_hour

REAL = Path(__file__).parents[1] / "fixtures" / "real"
NESTED = REAL / "inferencex" / "agg_v2_nested_agentic_h100_dsv41flash_sglang_c4.json"
GUIDELLM = REAL / "guidellm" / "danielkorat_guidellm050dev_qwen3_4b_xpu_sync_benchmarks.json"


def test_measured_energy_per_output_token_is_read_where_power_is_valid() -> None:
    doc = json.loads(NESTED.read_text(encoding="utf-8"))
    assert doc["power_valid"] == 1
    result = import_path(NESTED, Overrides())
    (point,) = result.profiles[0].points
    assert point.joules_per_output_token == pytest.approx(doc["joules_per_output_token"], rel=1e-12)
    frame = profiles_to_points(result.profiles)
    assert frame["joules_per_output_token"].iloc[0] == pytest.approx(100.204662)
    assert "joules_per_output_token" not in result.ignored and "power_valid" not in result.ignored


@pytest.mark.parametrize("change", ["invalid", "missing"])
def test_invalid_or_missing_power_leaves_the_energy_blank(change: str) -> None:
    doc = json.loads(NESTED.read_text(encoding="utf-8"))
    if change == "invalid":
        doc["power_valid"] = 0
    else:
        doc.pop("joules_per_output_token")
    result = import_bytes(json.dumps(doc).encode(), "agg.json", Overrides())
    assert not result.problems
    assert result.profiles[0].points[0].joules_per_output_token is None
    if change == "invalid":
        assert "measured energy left blank" in result.profiles[0].provenance.notes


def test_owned_cost_can_use_the_measured_power_instead_of_tdp() -> None:
    doc = json.loads(NESTED.read_text(encoding="utf-8"))
    profile = import_path(NESTED, Overrides()).profiles[0]
    point = profile.points[0]
    kw = measured_kw_per_gpu(point.joules_per_output_token or 0, point.output_tok_s, profile.gpus_per_replica)
    # J/token x tokens/s over 8 GPUs: within 15 % of the run's own mean GPU power (the windows differ)
    assert kw == pytest.approx(doc["avg_power_w"] / 1000, rel=0.15)
    tdp = OwnedTco(capex_usd_per_gpu=25_000, power_kw_per_gpu=1.2)
    measured = tdp.model_copy(update={"power_kw_per_gpu": kw})
    saved = (1.2 - kw) * tdp.pue * tdp.usd_per_kwh
    assert owned_usd_per_gpu_hour(tdp) - owned_usd_per_gpu_hour(measured) == pytest.approx(saved, rel=1e-9)
    with pytest.raises(ValueError):
        measured_kw_per_gpu(0, 10, 1)


def test_a_guidellm_goodput_profile_gives_slo_attainment_and_request_goodput() -> None:
    """The real GuideLLM 0.5 file with a goodput block added as GuideLLM's console report reads it
    (`metrics.slo.slo_attainment`, `metrics.slo.request_goodput`); no published 0.8 goodput file was found."""
    doc = json.loads(GUIDELLM.read_text(encoding="utf-8"))
    with_slo = copy.deepcopy(doc)
    with_slo["benchmarks"][0]["metrics"]["slo"] = {"slo_attainment": 0.92, "request_goodput": 0.31}
    result = import_bytes(json.dumps(with_slo).encode(), GUIDELLM.name, Overrides(gpu="h100-sxm", mode="ar"))
    assert not result.problems, result.problems
    point = result.profiles[0].points[0]
    assert (point.slo_attainment, point.goodput_req_s) == (0.92, 0.31)
    plain = import_path(GUIDELLM, Overrides(gpu="h100-sxm", mode="ar")).profiles[0].points[0]
    assert plain.slo_attainment is None and plain.goodput_req_s is None
    with_slo["benchmarks"][0]["metrics"]["slo"]["slo_attainment"] = 92
    bad = import_bytes(json.dumps(with_slo).encode(), GUIDELLM.name, Overrides(gpu="h100-sxm", mode="ar"))
    assert any("not a share between 0 and 1" in p.message for p in bad.problems)


def test_guidellm_goodput_fields_as_guidellm_writes_them_and_the_runs_slo_are_read() -> None:
    """GuideLLM (vllm-project/guidellm main, 2026) writes goodput flat in a benchmark's metrics —
    `metrics.slo_attainment` (a share), `metrics.request_goodput` (a distribution: `successful.mean` req/s; its e2e
    test tests/e2e/test_successful_benchmark.py reads `metrics["slo_attainment"]`) — and the objectives in
    `config.slo` (`GoodputSLO`: ttft_ms, tpot_ms, e2el_ms, per request; src/guidellm/schemas/benchmark/goodput.py at
    1a145a40306de0b70cadff08ffebdf59adf032bb). Added here to the real GuideLLM 0.5 file; the run's objectives are
    kept on every point (goodput_slo_*_ms), so a plan can check them against the user's targets."""
    doc = json.loads(GUIDELLM.read_text(encoding="utf-8"))
    bench = doc["benchmarks"][0]
    bench["metrics"]["slo_attainment"] = 0.75
    bench["metrics"]["slo_determined_requests"] = 40
    bench["metrics"]["request_goodput"] = {"successful": {"mean": 0.42, "median": 0.4}}
    bench["config"]["slo"] = {"ttft_ms": 500.0, "tpot_ms": 40.0, "e2el_ms": None}
    result = import_bytes(json.dumps(doc).encode(), GUIDELLM.name, Overrides(gpu="h100-sxm", mode="ar"))
    assert not result.problems, result.problems
    point = result.profiles[0].points[0]
    assert (point.slo_attainment, point.goodput_req_s) == (0.75, 0.42)
    assert (point.goodput_slo_ttft_ms, point.goodput_slo_tpot_ms, point.goodput_slo_e2el_ms) == (500.0, 40.0, None)
    frame = profiles_to_points(result.profiles)
    assert frame["goodput_slo_ttft_ms"].iloc[0] == 500.0 and frame["goodput_slo_tpot_ms"].iloc[0] == 40.0
    bench["config"]["slo"]["ttft_ms"] = -5
    bad = import_bytes(json.dumps(doc).encode(), GUIDELLM.name, Overrides(gpu="h100-sxm", mode="ar"))
    assert any("not a latency objective" in p.message for p in bad.problems)
