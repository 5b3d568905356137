"""Files of the same tools and versions as the real ones (tests/data/test_importers_real.py), written here with
another model, GPU, concurrency or setting, to show the rules are about the formats and not about those 17
files: old SGLang clients, SGLang router (PD) runs, vLLM sweeps over a serve parameter, vLLM speculative
runs, GuideLLM <= 0.3 and 0.4+ sweeps, AIPerf 0.10+ phases and its CSV export, InferenceX agentic and nested
rows, llmperf fork summaries, the NLD harness summary, and our CSV template without a precision column."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from calculator.data.importers import ImportResult, Overrides, import_bytes, import_path
from calculator.data.schema import Profile

REAL = Path(__file__).parents[1] / "fixtures" / "real"
FIXTURES = Path(__file__).parents[1] / "fixtures" / "imports"
FORM = Overrides(gpu="b200", model="qwen3-8b", mode="ar")


def load(name: str, data: Any, overrides: Overrides = FORM) -> ImportResult:
    text = data if isinstance(data, str) else json.dumps(data)
    result = import_bytes(text.encode(), name, overrides)
    for profile in result.profiles:
        Profile.model_validate(profile.model_dump())
    return result


def real(rel: str) -> Any:
    return json.loads((REAL / rel).read_text(encoding="utf-8"), parse_constant=float)


def warned(result: ImportResult, *words: str) -> bool:
    return any(all(w in f"{x.where} {x.message}" for w in words) for x in result.warnings)


# --- SGLang -----------------------------------------------------------------------------------


def old_sglang_line(rate: float, completed: int, mean_e2e_ms: float, duration: float, out: float) -> dict[str, Any]:
    """A line of the late-2024 bench_serving (no max_concurrency, server_info, concurrency or TPOT)."""
    return {
        "backend": "sglang",
        "dataset_name": "random",
        "request_rate": rate,
        "max_concurrency": None,
        "total_input_tokens": completed * 2000,
        "total_output_tokens": completed * 250,
        "mean_e2e_latency_ms": mean_e2e_ms,
        "median_e2e_latency_ms": mean_e2e_ms * 0.97,
        "median_ttft_ms": 61.0,
        "median_itl_ms": 9.5,
        "output_throughput": out,
        "random_input_len": 4000,
        "random_output_len": 500,
        "random_range_ratio": 0.0,
        "duration": duration,
        "completed": completed,
    }


def test_old_sglang_rate_sweep_for_another_model_uses_littles_law() -> None:
    lines = [old_sglang_line(2.0, 240, 3000.0, 120.0, 500.0), old_sglang_line(10.0, 1200, 6400.0, 125.0, 2400.0)]
    result = load("qwen_b200.jsonl", "\n".join(json.dumps(line) for line in lines))
    (profile,) = result.profiles
    assert [p.concurrency for p in profile.points] == [6, 61]  # 240 x 3 s / 120 s; 1200 x 6.4 s / 125 s
    assert [p.tpot_ms_p50 for p in profile.points] == [9.5, 9.5] and profile.model == "qwen3-8b"
    assert (profile.workload.isl, profile.workload.osl) == (2000, 250)
    assert warned(result, "max_concurrency", "derived")


def router_server(tp: int, dp: int = 1, *, version: str = "0.5.9", dp_attention: bool = False) -> dict[str, Any]:
    return {
        "model_path": "deepseek-ai/DeepSeek-V3.2-FP8",
        "tp_size": tp,
        "pp_size": 1,
        "dp_size": dp,
        "enable_dp_attention": dp_attention,
        "dtype": "auto",
        "quantization": None,
        "speculative_algorithm": "EAGLE",
        "speculative_num_draft_tokens": 4,
        "version": version,
        "internal_states": [{"avg_spec_accept_length": 2.71}],
    }


def test_sglang_router_pd_run_sums_the_gpus_of_its_prefill_and_decode_servers() -> None:
    line = copy.deepcopy(real("sglang/tonyli_sglang055_gh200_qwen25_3b_agg_c32.jsonl"))
    line.update(max_concurrency=256, accept_length=None, tag="pd-1p1d")
    line["server_info"] = {
        "prefill": [router_server(8), router_server(8)],
        "decode": [router_server(16, 16, version="0.5.10", dp_attention=True)],
    }
    result = load("pd.jsonl", line, Overrides(gpu="h200"))
    (profile,) = result.profiles
    assert (profile.gpus_per_replica, profile.tp, profile.pp, profile.dp) == (32, 32, 1, 1)  # 8 + 8 + 16 (DP attn)
    assert (profile.model, profile.precision, profile.mode) == ("deepseek-v3.2", "fp8", "spec_eagle")
    assert profile.engine_version == "0.5.9 / 0.5.10"
    assert profile.points[0].accept_length == 2.71  # from the decode server
    assert "2 prefill + 1 decode servers, 32 GPUs" in profile.provenance.notes
    assert not warned(result, "gpus_per_replica")


def test_sglang_router_servers_without_their_gpus_are_assumed_one_each_and_said() -> None:
    line = copy.deepcopy(real("sglang/tonyli_sglang055_gh200_qwen25_3b_agg_c32.jsonl"))
    line["server_info"] = {"prefill": [{"url": "http://p1:8080"}], "decode": [router_server(4)]}
    result = load("pd.jsonl", line, Overrides(gpu="h200"))
    (profile,) = result.profiles
    assert profile.gpus_per_replica == 5 and warned(result, "gpus_per_replica", "assumed 5")


def test_sglang_speculative_run_with_quantization_and_a_multi_gpu_server() -> None:
    line = copy.deepcopy(real("sglang/tonyli_sglang055_gh200_qwen25_3b_agg_c32.jsonl"))
    line.update(max_concurrency=16, accept_length=3.1)  # a c32 run: at 8 its own TPOT contradicts its tok/s
    line["server_info"].update(
        model_path="meta-llama/Llama-3.1-70B-Instruct", tp_size=4, quantization="fp8", speculative_algorithm="EAGLE3"
    )
    result = load("eagle.jsonl", line, Overrides(gpu="h100-sxm"))
    (profile,) = result.profiles
    assert (profile.gpus_per_replica, profile.precision, profile.mode) == (4, "fp8", "spec_eagle3")
    assert (profile.points[0].concurrency, profile.points[0].accept_length) == (16, 3.1)
    assert not warned(result, "precision") and not warned(result, "gpus_per_replica")


# --- vLLM -------------------------------------------------------------------------------------


def vllm_run(conc: int, out: float, **extra: Any) -> dict[str, Any]:
    run = copy.deepcopy(real("vllm/er0080_vllm0251_bench_serve_opt125m_c2.json"))
    run.update(model_id="Qwen/Qwen3-8B-AWQ", max_concurrency=conc, output_throughput=out)
    run["total_token_throughput"] = out * 3
    run.update(extra)
    return run


def test_vllm_sweep_over_a_serve_parameter_keeps_its_settings_apart_and_merges_its_repeats() -> None:
    runs = [
        vllm_run(8, 100.0, max_num_seqs=8, run_number=0),
        vllm_run(8, 110.0, max_num_seqs=8, run_number=1),
        vllm_run(8, 210.0, max_num_seqs=64, run_number=0),
        vllm_run(16, 180.0, max_num_seqs=8, run_number=0),
    ]
    result = load("summary.json", runs)
    assert not result.problems
    by_seqs = {p.provenance.notes.split("label max_num_seqs=")[1][:2].strip(";"): p for p in result.profiles}
    assert set(by_seqs) == {"8", "64"}
    assert [(p.concurrency, p.output_tok_s) for p in by_seqs["8"].points] == [(8, 105.0), (16, 180.0)]
    assert [(p.concurrency, p.output_tok_s) for p in by_seqs["64"].points] == [(8, 210.0)]
    assert {p.precision for p in result.profiles} == {"int4_awq"} and {p.model for p in result.profiles} == {"qwen3-8b"}
    assert warned(result, "2 runs at concurrency 8", "merged")


def test_vllm_speculative_run_reads_acceptance_length_and_input_throughput() -> None:
    run = vllm_run(4, 300.0, spec_decode_acceptance_length=2.4, input_throughput=150.0)
    result = load("spec.json", run, Overrides(gpu="h100-sxm", mode="spec_eagle3"))
    point = result.profiles[0].points[0]
    assert (point.accept_length, point.input_tok_s, point.total_tok_s) == (2.4, 150.0, 900.0)


def test_vllm_run_at_a_request_rate_is_placed_at_its_littles_law_concurrency() -> None:
    run = vllm_run(1, 500.0, request_rate=4.0, completed=400, duration=100.0, mean_e2el_ms=5000.0)
    run["max_concurrency"] = None
    result = load("rate.json", run)
    point = result.profiles[0].points[0]
    assert point.concurrency == 20 and "Little's law" in result.profiles[0].provenance.notes  # 400 x 5 s / 100 s


# --- GuideLLM ---------------------------------------------------------------------------------


def test_guidellm_03_concurrent_sweep_derives_each_benchmarks_throughput() -> None:
    doc = real("guidellm/guidellm_repo_test_asset_v03_benchmarks_stripped.json")
    base = doc["benchmarks"][0]
    benchmarks = []
    for streams, duration in ((4, 40.0), (16, 60.0)):
        bench = copy.deepcopy(base)
        bench["args"]["strategy"] = {"type_": "concurrent", "streams": streams}
        bench["duration"] = duration
        bench["worker"]["backend_model"] = "mistralai/Ministral-8B-Instruct-2410"
        benchmarks.append(bench)
    result = load("sweep.json", {"benchmarks": benchmarks})
    (profile,) = result.profiles
    out_tokens = base["metrics"]["output_token_count"]["successful"]["total_sum"]
    assert [(p.concurrency, p.output_tok_s) for p in profile.points] == [
        (4, pytest.approx(out_tokens / 40.0)),
        (16, pytest.approx(out_tokens / 60.0)),
    ]
    assert profile.model == "ministral-8b-instruct-2410"


def test_guidellm_04_constant_rate_benchmark_sits_at_its_measured_concurrency() -> None:
    doc = copy.deepcopy(real("guidellm/danielkorat_guidellm050dev_qwen3_4b_xpu_sync_benchmarks.json"))
    bench = doc["benchmarks"][0]
    bench["config"]["strategy"] = {"type_": "constant", "rate": 2.0}
    bench["metrics"]["request_concurrency"]["successful"]["mean"] = 11.6
    doc["args"]["model"] = "Qwen/Qwen3-8B-FP8"
    result = load("rate.json", doc)
    (profile,) = result.profiles
    assert (profile.points[0].concurrency, profile.model, profile.precision) == (12, "qwen3-8b", "fp8")
    assert warned(result, "request_concurrency", "derived")


# --- AIPerf -----------------------------------------------------------------------------------


def test_aiperf_010_reads_the_profiling_phase_and_the_models_list() -> None:
    doc = copy.deepcopy(real("aiperf/inferencex_aiperf080_kimik27_mi355x_c1.json"))
    doc["aiperf_version"] = "0.10.0"
    doc["input_config"] = {
        "models": {"strategy": "round_robin", "items": [{"name": "nvidia/Nemotron-Labs-Diffusion-8B"}]},
        "phases": [
            {"name": "warmup", "kind": "warmup", "type": "concurrency", "requests": 10, "concurrency": 4},
            {"name": "profiling", "kind": "profiling", "type": "concurrency", "requests": 500, "concurrency": 32},
        ],
    }
    result = load("profile_export_aiperf.json", doc, Overrides(gpu="h100-sxm", mode="self_spec"))
    (profile,) = result.profiles
    assert (profile.points[0].concurrency, profile.model, profile.precision) == (32, "nld-8b", "bf16")
    assert profile.provenance.notes.startswith("aiperf 0.10.0")


def test_aiperf_csv_export_of_another_run() -> None:
    result = import_path(FIXTURES / "aiperf_profile_export_aiperf.csv", FORM)
    (profile,) = result.profiles
    point = profile.points[0]
    assert (point.concurrency, point.output_tok_s, point.input_tok_s) == (
        16,
        4696.13,
        9392.26,
    )  # 320 x 1.744 s / 34.89 s
    assert (point.ttft_ms_p50, point.tpot_ms_p99, point.e2e_ms_p50) == (95.04, 3.39, 1726.94)
    assert (profile.workload.isl, profile.workload.osl, point.requests_completed) == (1024, 512, 320)


def test_aiperf_csv_with_an_unknown_unit_is_refused_by_row() -> None:
    text = (
        (FIXTURES / "aiperf_profile_export_aiperf.csv")
        .read_text()
        .replace("Time to First Token (ms)", "Time to First Token (fortnights)")
    )
    result = load("export.csv", text)
    assert any("unknown unit 'fortnights'" in p.message for p in result.problems)


# --- InferenceX -------------------------------------------------------------------------------


def test_inferencex_agentic_rows_with_users_and_another_gpu() -> None:
    rows = copy.deepcopy(real("inferencex/agg_bmk_kimik25_mi355x_vllm_agentic.json")[:4])
    for row in rows:
        row["users"] = row.pop("conc") * 2
        row.update(hw="b200-nb", tp=8, model="nvidia/DeepSeek-R1-0528-NVFP4", precision="fp4")
    result = load("agg_bmk.json", rows, Overrides())
    assert not result.problems and not result.missing
    assert {p.gpu for p in result.profiles} == {"b200"} and {p.gpus_per_replica for p in result.profiles} == {8}
    concurrencies = sorted(pt.concurrency for p in result.profiles for pt in p.points)
    assert concurrencies == sorted(r["users"] for r in rows)
    assert {p.model for p in result.profiles} == {"deepseek-r1-0528"}


def test_inferencex_multinode_disaggregated_row_counts_prefill_and_decode_gpus() -> None:
    row = copy.deepcopy(real("inferencex/agg_kimik25_8k1k_mi355x_mtp_c32.json"))
    row.update(is_multinode=True, num_prefill_gpu=8, num_decode_gpu=16, disagg=True, hw="gb200")
    result = load("agg.json", [row], Overrides())
    (profile,) = result.profiles
    point = profile.points[0]
    assert profile.gpus_per_replica == 24
    assert point.output_tok_s == pytest.approx(row["output_tput_per_gpu"] * 16)
    assert point.input_tok_s == pytest.approx(row["input_tput_per_gpu"] * 8)
    assert "disagg true" in profile.provenance.notes


def test_inferencex_nested_rows_as_a_list_for_another_gpu_and_concurrency() -> None:
    base = real("inferencex/agg_v2_nested_agentic_h100_dsv41flash_sglang_c4.json")
    rows = []
    for conc, out in ((8, 50.0), (16, 90.0)):
        row = copy.deepcopy(base)
        row.update(hw="cluster:b200-dgxc", conc=conc, num_gpus=4, tp=4, kv_offloading="cpu")
        row["request_metrics"]["throughput"]["output"]["tokens_per_second"] = out
        rows.append(row)
    result = load("agg_v2.json", rows, Overrides())
    (profile,) = result.profiles
    assert (profile.gpu, profile.gpus_per_replica) == ("b200", 4)
    assert [(p.concurrency, p.output_tok_s) for p in profile.points] == [(8, 50.0), (16, 90.0)]
    assert "kv-offload cpu" in profile.provenance.notes


# --- llmperf and NLD --------------------------------------------------------------------------


def test_llmperf_fork_summary_for_another_engine() -> None:
    doc = {
        str(c): {
            "concurrency": c,
            "input_token_length": 1000,
            "output_token_length": 200,
            "first-time-to-token_mean_in_ms": 90.0 * c,
            "throughput_token_per_s": 40.0 * c,
            "latency_ms_per_token": 20.0 + c,
        }
        for c in (1, 4, 16)
    }
    result = load("vllm_summary.json", doc)
    (profile,) = result.profiles
    assert [(p.concurrency, p.output_tok_s) for p in profile.points] == [(1, 40.0), (4, 160.0), (16, 640.0)]
    assert "c16: TTFT 1440 ms, TPOT 36 ms" in profile.provenance.notes


def test_nld_summary_of_another_run() -> None:
    result = import_path(
        FIXTURES / "nld_sglang_metrics_summary.json", Overrides(gpu="b200", model="nld-14b", mode="diffusion")
    )
    (profile,) = result.profiles
    point = profile.points[0]
    assert (point.concurrency, point.output_tok_s, point.tokens_per_forward) == (4, 409.6, 6.0952)  # 160.4 s / 40 s
    assert (point.requests_completed, point.requests_failed, profile.workload.dataset) == (64, 1, "humaneval")
    assert point.ttft_ms_p50 == 105.0 and point.tpot_ms_p99 == 11.2


# --- our CSV template -------------------------------------------------------------------------


def test_csv_template_without_a_precision_column_assumes_bf16_and_reads_it_from_the_model_name() -> None:
    text = "gpu,model,mode,concurrency,output_tok_s\nh100-sxm,qwen3-8b,ar,1,100\nh100-sxm,Qwen/Qwen3-8B-FP8,ar,2,190\n"
    result = load("p.csv", text, Overrides())
    assert not result.missing and not result.problems
    by_precision = {p.precision: p for p in result.profiles}
    assert set(by_precision) == {"bf16", "fp8"}
    assert "precision bf16 assumed" in by_precision["bf16"].provenance.notes
    assert warned(result, "precision", "assumed bf16")


def test_csv_template_cells_win_over_given_values_which_only_fill_empty_ones() -> None:
    text = "gpu,model,mode,precision,concurrency,output_tok_s\nb200,qwen3-8b,ar,fp8,1,100\n,qwen3-8b,ar,fp8,2,190\n"
    result = load("p.csv", text, Overrides(gpu="h100-sxm", precision="bf16"))
    assert sorted((p.gpu, p.precision, len(p.points)) for p in result.profiles) == [
        ("b200", "fp8", 1),
        ("h100-sxm", "fp8", 1),
    ]
    assert warned(result, "row 2, gpu", "the file says gpu 'b200'") and warned(
        result, "row 2, precision", "not applied"
    )
