"""AIPerf 0.13 and vLLM 0.34 fields (issue 22), read where a file has them.

No published AIPerf 0.13 export nor vLLM 0.34 result with diffusion counters was found in a repository, so these
files are the real ones in tests/fixtures/real/ (AIPerf 0.8.0 from SemiAnalysisAI/InferenceX @6c128cd, vLLM bench
serve 0.25.1 from er0080/vllm-benchmarking @35d3779) with the new metric blocks added, **named and shaped as the
tools write them**: AIPerf's tags and units from the aiperf 0.13.0 wheel (PyPI; `aiperf/metrics/types/
spec_decode_metrics.py`, `power_efficiency_metrics.py` (`nvidia_energy_per_output_token` in mJ/token,
`*_output_tokens_per_joule` in tokens/J), `usage_total_metrics.py` (`total_usage_prompt_cache_read_tokens`,
`total_usage_prompt_cache_miss_tokens`, `overall_usage_prompt_cache_read_pct` in %)); each metric a
`{unit, avg, ...}` block (`JsonMetricResult`); vLLM's Prometheus counters `vllm:diffusion_num_committed_tokens` and
`vllm:diffusion_num_denoising_steps` (vllm 0.34.0 wheel, `vllm/v1/spec_decode/metrics.py`, per
/work/shared/facts/field_update_2026-12.md). The values added are test values, not measurements."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from calculator.data.catalog import profiles_to_points
from calculator.data.importers import Overrides, import_bytes
from calculator.data.schema import ProfilePoint

REAL = Path(__file__).parents[1] / "fixtures" / "real"
AIPERF = REAL / "aiperf" / "inferencex_aiperf080_kimik27_mi355x_c1.json"
VLLM = REAL / "vllm" / "er0080_vllm0251_bench_serve_opt125m_c2.json"
FORM = Overrides(gpu="mi355x", model="their-model", mode="ar")


def aiperf(**blocks: dict[str, Any]) -> dict[str, Any]:
    doc = json.loads(AIPERF.read_text(encoding="utf-8"))
    doc.update(copy.deepcopy(blocks))
    return doc


def point(doc: dict[str, Any], name: str = "profile_export_aiperf.json") -> ProfilePoint:
    result = import_bytes(json.dumps(doc).encode(), name, FORM)
    assert not result.problems, result.problems
    (profile,) = result.profiles
    (only,) = profile.points
    return only


def test_aiperf_013_acceptance_energy_and_prefix_cache_are_read() -> None:
    doc = aiperf(
        spec_decode_acceptance_length={"unit": "ratio", "avg": 2.4, "p50": 2.5},
        spec_decode_token_weighted_acceptance_length={"unit": "ratio", "avg": 2.61},
        nvidia_energy_per_output_token={"unit": "mJ/token", "avg": 850.0},
        nvidia_output_tokens_per_joule={"unit": "tokens/J", "avg": 1.25},
        overall_usage_prompt_cache_read_pct={"unit": "%", "avg": 62.5},
        total_usage_prompt_cache_read_tokens={"unit": "tokens", "avg": 1000.0},
        total_usage_prompt_tokens={"unit": "tokens", "avg": 4000.0},
    )
    p = point(doc)
    assert p.accept_length == pytest.approx(2.61)  # the token-weighted run figure wins over the per-request mean
    assert p.joules_per_output_token == pytest.approx(0.85)  # 850 mJ/token
    assert p.prefix_hit_rate == pytest.approx(0.625)  # the overall % wins over the totals
    frame = profiles_to_points(import_bytes(json.dumps(doc).encode(), "x.json", FORM).profiles)
    assert frame["prefix_hit_rate"].iloc[0] == pytest.approx(0.625)


def test_aiperf_fallbacks_tokens_per_joule_and_cache_totals() -> None:
    p = point(
        aiperf(
            spec_decode_acceptance_length={"unit": "ratio", "avg": 2.4},
            nvidia_output_tokens_per_joule={"unit": "tokens/J", "avg": 1.25},
            total_usage_prompt_cache_read_tokens={"unit": "tokens", "avg": 1000.0},
            total_usage_prompt_tokens={"unit": "tokens", "avg": 4000.0},
        )
    )
    assert p.accept_length == pytest.approx(2.4)
    assert p.joules_per_output_token == pytest.approx(0.8)  # 1 / 1.25 tokens/J
    assert p.prefix_hit_rate == pytest.approx(0.25)
    doc = aiperf(
        total_usage_prompt_cache_read_tokens={"unit": "tokens", "avg": 300.0},
        total_usage_prompt_cache_miss_tokens={"unit": "tokens", "avg": 900.0},
    )
    doc.pop("total_usage_prompt_tokens", None)  # a vendor that reports reads and misses but no prompt total
    miss_only = point(doc)
    assert miss_only.prefix_hit_rate == pytest.approx(0.25)


def test_an_aiperf_file_without_the_new_fields_leaves_them_blank_and_a_bad_unit_is_refused() -> None:
    p = point(aiperf())
    assert p.accept_length is None and p.joules_per_output_token is None and p.prefix_hit_rate is None
    bad = aiperf(nvidia_energy_per_output_token={"unit": "kWh", "avg": 1.0})
    result = import_bytes(json.dumps(bad).encode(), "x.json", FORM)
    assert any("nvidia_energy_per_output_token" in p.where and "kWh" in p.message for p in result.problems)


@pytest.mark.parametrize("where", ["top", "server_metrics"])
def test_vllm_diffusion_counters_give_tokens_per_forward(where: str) -> None:
    doc = json.loads(VLLM.read_text(encoding="utf-8"))
    counters = {"vllm:diffusion_num_committed_tokens": 5120, "vllm:diffusion_num_denoising_steps": 1600}
    if where == "top":
        doc.update(counters)
    else:
        doc["server_metrics"] = counters
    result = import_bytes(json.dumps(doc).encode(), "vllm_result.json", Overrides(gpu="h100-sxm", mode="ar"))
    assert not result.problems, result.problems
    (profile,) = result.profiles
    (p,) = profile.points
    assert p.tokens_per_forward == pytest.approx(3.2)
    assert "committed tokens / 1600 denoising steps" in profile.provenance.notes
    assert not any("diffusion" in name for name in result.ignored)
