"""Real files that failed to import (issue 22, item 4), each from a public repository (tests/fixtures/real/SOURCES.md
names repository, path, commit and date):

- an InferenceX `agg_bmk.json` whose row [9] is a failed run (0 requests, no output_tput_per_gpu) was refused whole
  ("0 of 1 files valid"): its 22 other rows import, the failed row is named in a warning;
- InferenceX-app's supplemental benchmark rows, figures nested in a `metrics` object, were "unrecognised content";
- an SGLang prefill/decode-disaggregated run behind SGLang's PD router (1 prefill + 2 decode workers): the router's
  `get_server_info` lists only its decode servers, so the replica was counted without its prefill GPU.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from calculator.cli import main
from calculator.data.importers import Overrides, import_bytes, import_path

REAL = Path(__file__).parents[1] / "fixtures" / "real"
FAILED_ROW = REAL / "inferencex" / "agg_bmk_kimik25_b200_vllm_agentic_failed_run.json"
SUPPLEMENTAL = REAL / "inferencex" / "supplemental_bmk_glm47_gaudi3_metrics_nested.json"
SGLANG_055 = REAL / "sglang" / "tonyli_sglang055_gh200_qwen25_3b_agg_c32.jsonl"


def test_an_aggregate_file_with_one_failed_run_imports_its_other_rows_and_names_the_failed_one(capsys) -> None:
    rows = json.loads(FAILED_ROW.read_text(encoding="utf-8"))
    assert len(rows) == 23 and "output_tput_per_gpu" not in rows[9] and rows[9]["num_requests_successful"] == 0
    result = import_path(FAILED_ROW, Overrides(mode="ar"))
    assert not result.problems, result.problems
    assert [w.where for w in result.warnings if "failed run" in w.message] == ["[9]"]
    good = [r for i, r in enumerate(rows) if i != 9]
    imported = sorted(p.output_tok_s for prof in result.profiles for p in prof.points)
    # the replica's output tok/s of the 22 good rows (rows repeated at one setting become their median: fewer points)
    assert len(imported) <= 22 and imported
    assert max(imported) == pytest.approx(max(float(r["output_tput_tps"]) for r in good), rel=1e-9)
    assert {prof.gpu for prof in result.profiles} == {"b200"}
    code = main(["validate", str(FAILED_ROW), "--mode", "ar"])
    err = capsys.readouterr()
    assert code == 0 and "1 of 1 files valid" in err.err
    assert f"{FAILED_ROW}:[9]: warning: a failed run (conc 32: num_requests_successful 0" in err.out


def test_a_row_without_its_output_figure_that_is_no_failed_run_is_still_a_problem_naming_it() -> None:
    rows = json.loads(FAILED_ROW.read_text(encoding="utf-8"))
    bad = copy.deepcopy(rows[:3])
    for key in ("output_tput_per_gpu", "output_tput_tps"):
        bad[1].pop(key)
    result = import_bytes(json.dumps(bad).encode(), "agg.json", Overrides(mode="ar"))
    assert [p.where for p in result.problems] == ["[1].output_tput_per_gpu"]
    assert sum(len(p.points) for p in result.profiles) == 2


def test_supplemental_rows_with_their_figures_in_a_metrics_object_import() -> None:
    rows = json.loads(SUPPLEMENTAL.read_text(encoding="utf-8"))
    result = import_path(SUPPLEMENTAL, Overrides(gpu="gaudi3"))
    assert result.format == "inferencex" and not result.problems, result.problems
    (profile,) = result.profiles
    assert (profile.gpu, profile.model, profile.precision, profile.gpus_per_replica) == ("gaudi3", "glm-4.7", "bf16", 8)
    assert profile.engine == "vllm-gaudi" and profile.mode == "ar"
    points = {p.concurrency: p for p in profile.points}
    assert sorted(points) == [r["conc"] for r in rows]
    for row in rows:
        point, metrics = points[row["conc"]], row["metrics"]
        assert point.output_tok_s == pytest.approx(metrics["output_tput_per_gpu"] * 8, rel=1e-9)
        assert point.total_tok_s == pytest.approx(metrics["tput_per_gpu"] * 8, rel=1e-9)
        assert point.ttft_ms_p50 == pytest.approx(metrics["median_ttft"] * 1000, rel=1e-9)
        assert point.tpot_ms_p99 == pytest.approx(metrics["p99_tpot"] * 1000, rel=1e-9)
    assert (profile.workload.isl, profile.workload.osl) == (1024, 1024)


def _pd_record(*, shape: str) -> dict[str, Any]:
    """The real SGLang 0.5.5 record with its server_info as SGLang's PD router returns it for 1 prefill + 2 decode
    servers of one GPU each: `{internal_states, decode_servers}` (sgl-router's get_server_info: decode servers only),
    or a router listing `prefill` as one object and `decode` as a list."""
    record = json.loads(SGLANG_055.read_text(encoding="utf-8").splitlines()[0])
    info = record["server_info"]
    decode = [dict(info, disaggregation_mode="decode") for _ in range(2)]
    if shape == "decode_servers":
        record["server_info"] = {"internal_states": info["internal_states"], "decode_servers": decode}
    else:
        record["server_info"] = {"prefill": dict(info, disaggregation_mode="prefill"), "decode": decode}
    return record


def test_an_sglang_pd_run_counts_its_prefill_and_both_decode_gpus() -> None:
    record = _pd_record(shape="prefill_object")
    result = import_bytes(json.dumps(record).encode(), "pd.jsonl", Overrides(gpu="h100-sxm"))
    assert not result.problems, result.problems
    (profile,) = result.profiles
    assert profile.gpus_per_replica == 3  # was 2: the prefill server given as one object was not counted
    assert "1 prefill + 2 decode servers, 3 GPUs in all" in profile.provenance.notes


def test_an_sglang_pd_router_listing_only_its_decode_servers_counts_a_prefill_gpu_and_says_so() -> None:
    record = _pd_record(shape="decode_servers")
    result = import_bytes(json.dumps(record).encode(), "pd.jsonl", Overrides(gpu="h100-sxm"))
    assert not result.problems, result.problems
    (profile,) = result.profiles
    assert profile.gpus_per_replica == 3 and profile.model == "qwen2.5-3b-instruct"
    assert any("prefill" in w.message and "assumed 3" in w.message for w in result.warnings)
    given = import_bytes(json.dumps(record).encode(), "pd.jsonl", Overrides(gpu="h100-sxm", gpus_per_replica=5))
    assert given.profiles[0].gpus_per_replica == 5  # the user's count fills in what the file does not say


def test_one_server_of_a_pd_deployment_is_not_taken_for_the_whole_replica() -> None:
    record = json.loads(SGLANG_055.read_text(encoding="utf-8").splitlines()[0])
    record["server_info"]["disaggregation_mode"] = "decode"
    result = import_bytes(json.dumps(record).encode(), "one.jsonl", Overrides(gpu="h100-sxm"))
    assert any("decode server of a prefill/decode-disaggregated" in w.message for w in result.warnings)
