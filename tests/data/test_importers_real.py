"""Importers on real result files from the field: each file in tests/fixtures/real/ (copied as published;
SOURCES.md there names the repository, path and commit of each) is imported with only what the upload form
asks for (gpu, model, mode: `Overrides`), and its figures are checked against the file's own values, read
here independently of the importers: throughput, concurrency, latencies in ms, GPUs per replica, request
counts, engine version, precision (and whether it or the concurrency was assumed or derived)."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from statistics import median
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calculator.data.catalog import profiles_to_points
from calculator.data.importers import ImportResult, Overrides, import_bytes, import_path
from calculator.data.schema import Profile, ProfilePoint

REAL = Path(__file__).parents[1] / "fixtures" / "real"
REAL_FILES = sorted(p.relative_to(REAL).as_posix() for p in REAL.rglob("*") if p.is_file() and p.suffix != ".md")
# What a user picks in the upload form for a file that names none of them.
FORM = Overrides(gpu="h100-sxm", model="their-model", mode="ar")


def imported(rel: str, overrides: Overrides = FORM) -> ImportResult:
    return import_path(REAL / rel, overrides)


def raw(rel: str) -> Any:
    return json.loads((REAL / rel).read_text(encoding="utf-8"), parse_constant=float)


def raw_lines(rel: str) -> list[dict[str, Any]]:
    text = (REAL / rel).read_text(encoding="utf-8")
    return [json.loads(line, parse_constant=float) for line in text.splitlines() if line.strip()]


def warned(result: ImportResult, *words: str) -> bool:
    return any(all(w in f"{x.where} {x.message}" for w in words) for x in result.warnings)


def single(result: ImportResult) -> tuple[Profile, ProfilePoint]:
    """The one profile of a one-run file, and its one point."""
    (profile,) = result.profiles
    (point,) = profile.points
    return profile, point


def by_concurrency(profile: Profile) -> dict[int, ProfilePoint]:
    return {p.concurrency: p for p in profile.points}


def ms(seconds: float) -> float:
    return pytest.approx(seconds * 1000, rel=1e-9)


# --- every file ------------------------------------------------------------------------------


def test_every_real_file_has_its_sources_row() -> None:
    sources = (REAL / "SOURCES.md").read_text(encoding="utf-8")
    assert len(REAL_FILES) == 19
    for rel in REAL_FILES:
        folder, name = rel.split("/")
        assert f"| {folder} | {name} |" in sources, rel


@pytest.mark.parametrize("rel", REAL_FILES)
def test_every_real_file_imports_with_only_gpu_model_and_mode_given(rel: str) -> None:
    result = imported(rel)
    assert result.format != "unknown" and not result.missing, result.problems
    assert not result.problems, result.problems
    assert result.profiles
    for profile in result.profiles:
        Profile.model_validate(profile.model_dump())
        assert profile.provenance.kind == "uploaded"
        assert profile.provenance.source.endswith(Path(rel).name)  # the file's name, not a server path


@pytest.mark.parametrize("rel", REAL_FILES)
def test_precision_and_gpu_count_are_read_or_said_to_be_assumed(rel: str) -> None:
    result = imported(rel)
    for profile in result.profiles:
        notes = profile.provenance.notes
        if "precision bf16 assumed" in notes:
            assert warned(result, "precision", "assumed bf16")
        if "gpus_per_replica 1 assumed" in notes:
            assert profile.gpus_per_replica == 1 and warned(result, "gpus_per_replica", "assumed 1")


@pytest.mark.parametrize("rel", REAL_FILES)
def test_the_report_lists_what_the_file_holds_but_was_not_read(rel: str) -> None:
    result = imported(rel)
    report = result.report()
    assert report[0].startswith(f"{Path(rel).name}: {result.format}, {len(result.profiles)} profile(s)")
    if result.ignored:
        assert report[-1].startswith("ignored: ") and result.ignored[0] in report[-1]


def test_the_file_column_is_the_base_name_not_a_server_path() -> None:
    result = import_path(REAL.resolve() / "vllm" / "er0080_vllm0251_bench_serve_opt125m_c2.json", FORM)
    assert result.file.startswith("/") and result.name == "er0080_vllm0251_bench_serve_opt125m_c2.json"
    points = profiles_to_points(result.profiles, [result.name] * len(result.profiles))
    assert set(points["file"]) == {"er0080_vllm0251_bench_serve_opt125m_c2.json"}
    assert "/" not in result.profiles[0].provenance.source


# --- SGLang -----------------------------------------------------------------------------------
# Source: datacrunch-research/h200-benchmarks @ c091ef530a525d2e788bc41c39a4450b09c9f2ad
#   sglang/outputs/llama_3_3_70b_online_output.jsonl


def test_sglang_old_client_rate_sweep_is_placed_at_littles_law_concurrency() -> None:
    rel = "sglang/datacrunch_h200_llama33_70b_online_rate_sweep.jsonl"
    result, lines = imported(rel, Overrides(gpu="h200", model="llama-3.3-70b", mode="ar")), raw_lines(rel)
    assert len(lines) == 7 and all(line["max_concurrency"] is None for line in lines)
    by_dataset = {p.workload.dataset: p for p in result.profiles}
    assert set(by_dataset) == {"random", "sharegpt"}  # a different dataset is a different workload
    for line in lines:
        little = line["completed"] * line["mean_e2e_latency_ms"] / 1000 / line["duration"]
        point = by_concurrency(by_dataset[line["dataset_name"]])[round(little)]
        assert point.output_tok_s == line["output_throughput"]
        assert point.ttft_ms_p50 == line["median_ttft_ms"] and point.e2e_ms_p50 == line["median_e2e_latency_ms"]
        assert point.tpot_ms_p50 == line["median_itl_ms"]  # this client writes no TPOT: the median ITL, noted
        assert point.requests_completed == line["completed"]
    profile = by_dataset["random"]
    assert [p.concurrency for p in profile.points] == [8, 16, 52, 360, 1245]
    assert (profile.gpu, profile.model, profile.precision, profile.gpus_per_replica) == (
        "h200",
        "llama-3.3-70b",
        "bf16",
        1,
    )
    assert "derived by Little's law" in profile.provenance.notes and "median ITL" in profile.provenance.notes
    assert warned(result, "max_concurrency", "derived") and warned(result, "gpus_per_replica", "assumed 1")
    assert "request_rate" in result.ignored


# Source: TonyLi15/sglang-benchmark @ 8864250509bbe4905beb95ab0fdb0f14da6f600e
#   benchmarks/results/agg_n100_in512_out128_c32.jsonl


def test_sglang_055_run_with_server_info() -> None:
    rel = "sglang/tonyli_sglang055_gh200_qwen25_3b_agg_c32.jsonl"
    result, (line,) = imported(rel), raw_lines(rel)
    (profile,) = result.profiles
    info = line["server_info"]
    assert (info["tp_size"], info["dtype"], info["quantization"], info["version"]) == (1, "auto", None, "0.5.5.post3")
    assert (profile.model, profile.engine, profile.engine_version) == ("qwen2.5-3b-instruct", "sglang", "0.5.5.post3")
    assert (profile.gpus_per_replica, profile.mode) == (1, "ar")  # tp_size 1 and no speculative algorithm: stated
    assert profile.precision == "bf16" and warned(result, "precision", "assumed bf16")  # dtype auto says nothing
    assert not warned(result, "gpus_per_replica", "assumed")
    assert warned(result, "server_info.model_path", "not applied")  # the form's model does not relabel the file's
    (point,) = profile.points
    assert point.concurrency == line["max_concurrency"] == 32
    assert (point.output_tok_s, point.input_tok_s, point.total_tok_s) == (
        line["output_throughput"],
        line["input_throughput"],
        line["total_throughput"],
    )
    assert (point.ttft_ms_p50, point.ttft_ms_p99) == (line["median_ttft_ms"], line["p99_ttft_ms"])
    assert (point.tpot_ms_p50, point.tpot_ms_p99) == (line["median_tpot_ms"], line["p99_tpot_ms"])
    assert point.e2e_ms_p50 == line["median_e2e_latency_ms"] and point.requests_completed == line["completed"] == 100
    assert point.accept_length is None
    assert "tag agg_n100_in512_out128_c32" in profile.provenance.notes
    assert {"concurrency", "mean_ttft_ms", "server_info.tokenizer_path"} <= set(result.ignored)


# Source: lukaLLM/vLLM_vs_SGLang_benchmarks @ 9792eae5591a6bae1bb150ad87a98e3cfbd2ed1d
#   sglang_0128_1000_sharegpt.jsonl


def test_sglang_unbounded_run_sits_at_its_measured_concurrency_and_fp8_from_the_model_name() -> None:
    rel = "sglang/lukallm_sglang_sharegpt_unbounded.jsonl"
    result, (line,) = imported(rel, Overrides(gpu="l40s")), raw_lines(rel)
    (profile,) = result.profiles
    assert line["max_concurrency"] is None and line["concurrency"] == pytest.approx(449.78, abs=0.01)
    (point,) = profile.points
    assert point.concurrency == round(line["concurrency"]) == 450
    assert "derived" in profile.provenance.notes and "measured mean concurrency 449.8" in profile.provenance.notes
    assert line["server_info"]["model_path"].endswith("-FP8") and line["server_info"]["quantization"] is None
    assert (profile.model, profile.precision, profile.engine_version) == (
        "qwen3-coder-30b-a3b-instruct",
        "fp8",
        "0.5.8",
    )
    assert not warned(result, "precision")
    assert (point.output_tok_s, point.total_tok_s) == (line["output_throughput"], line["total_throughput"])
    assert point.ttft_ms_p50 == line["median_ttft_ms"] and point.tpot_ms_p99 == line["p99_tpot_ms"]
    assert point.requests_completed == 1000 and profile.gpus_per_replica == 1


# --- vLLM -------------------------------------------------------------------------------------
# Source: er0080/vllm-benchmarking @ 35d37799380d8acc17607202959a5f17999ef30e
#   packages/protocol/tests/fixtures/bench_serve_v0.25.1.json


def test_vllm_0251_bench_serve() -> None:
    rel = "vllm/er0080_vllm0251_bench_serve_opt125m_c2.json"
    result, doc = imported(rel), raw(rel)
    profile, point = single(result)
    assert point.concurrency == doc["max_concurrency"] == 2
    assert point.output_tok_s == doc["output_throughput"] and point.total_tok_s == doc["total_token_throughput"]
    assert point.input_tok_s == pytest.approx(doc["total_token_throughput"] - doc["output_throughput"])
    assert (point.ttft_ms_p50, point.ttft_ms_p99) == (doc["median_ttft_ms"], doc["p99_ttft_ms"])
    assert (point.tpot_ms_p50, point.tpot_ms_p99) == (doc["median_tpot_ms"], doc["p99_tpot_ms"])
    assert point.e2e_ms_p50 is None  # this version writes no e2el
    assert (point.requests_completed, point.requests_failed) == (doc["completed"], doc["failed"]) == (8, 0)
    assert (profile.model, profile.engine, profile.gpu, profile.mode) == ("opt-125m", "vllm", "h100-sxm", "ar")
    assert profile.precision == "bf16" and profile.gpus_per_replica == 1
    assert warned(result, "gpus_per_replica", "assumed 1") and warned(result, "precision", "assumed bf16")
    assert {"rtfx", "max_concurrent_requests", "mean_ttft_ms"} <= set(result.ignored)


# Source: er0080/vllm-benchmarking @ 57cb02c0f59b49515898b7782a057b4eba3e47a2
#   .../summary.json


def test_vllm_sweep_summary_repeats_become_their_median() -> None:
    rel = "vllm/er0080_vllm0251_sweep_summary_list_opt125m_c2.json"
    result, runs = imported(rel), raw(rel)
    assert len(runs) == 2 and {r["max_concurrency"] for r in runs} == {2} and [r["run_number"] for r in runs] == [0, 1]
    assert not result.problems
    profile, point = single(result)
    assert point.concurrency == 2
    assert point.output_tok_s == pytest.approx(median(r["output_throughput"] for r in runs))
    assert point.total_tok_s == pytest.approx(median(r["total_token_throughput"] for r in runs))
    assert point.ttft_ms_p50 == pytest.approx(median(r["median_ttft_ms"] for r in runs))
    assert point.e2e_ms_p50 == pytest.approx(median(r["median_e2el_ms"] for r in runs))
    assert point.requests_completed == 8
    low, high = sorted(r["output_throughput"] for r in runs)
    assert f"output_tok_s {low:.6g} to {high:.6g}" in profile.provenance.notes
    assert warned(result, "2 runs at concurrency 2", "merged")
    assert profile.engine == "vllm" and "backend 'openai'" in profile.provenance.notes  # assumed, and said so
    assert "run_number" in result.ignored and "max_num_seqs" in result.ignored  # constant: not a varied setting


# Source: SemiAnalysisAI/InferenceX @ bf0309600723b5fd9274f47438bed146e9df55c7
#   local-results/fixed-ar-mtp-8k1k/kimik2.5_8k1k_fixed_ar_mtp_conc32.json


def test_inferencex_client_result_for_an_mtp_run() -> None:
    rel = "vllm/inferencex_kimik25_mtp_8k1k_c32.json"
    result, doc = imported(rel, Overrides(gpu="mi355x", model="kimi-k2.5", mode="spec_mtp")), raw(rel)
    profile, point = single(result)
    assert (point.concurrency, point.output_tok_s) == (doc["max_concurrency"], doc["output_throughput"])
    assert point.total_tok_s == doc["total_token_throughput"] and point.e2e_ms_p50 == doc["median_e2el_ms"]
    assert (point.tpot_ms_p50, point.ttft_ms_p99) == (doc["median_tpot_ms"], doc["p99_ttft_ms"])
    assert point.requests_completed == 320 and point.requests_failed is None  # the fork writes no `failed`
    assert (profile.model, profile.mode, profile.workload.isl, profile.workload.osl) == (
        "kimi-k2.5",
        "spec_mtp",
        8192,
        1024,
    )
    assert profile.gpus_per_replica == 1 and warned(result, "gpus_per_replica", "assumed 1")  # TP8 is not in the file
    assert "request_goodput:" in result.ignored and "p99.9_ttft_ms" in result.ignored
    assert not result.warnings or not warned(result, "not applied")


# Source: SemiAnalysisAI/InferenceX @ 24b02df54323b15ee3b171e8ce3f345c81bdd078
#   benchmarks/multi_node/results/gpt-oss-120b/concurrency_32_req_rate_inf_gpus_16_ctx_8_gen_8.json


def test_inferencex_multinode_result_names_its_gpus_in_its_original_file_name() -> None:
    rel = "vllm/inferencex_multinode_gptoss120b_c32.json"
    doc = raw(rel)
    assert doc["model_id"].startswith("/models/models--openai--gpt-oss-120b/snapshots/")
    result = imported(rel, Overrides(gpu="b200", mode="ar"))
    (profile,) = result.profiles
    assert profile.model == "gpt-oss-120b"  # the Hugging Face cache folder, not the snapshot hash
    assert profile.gpus_per_replica == 1 and warned(result, "gpus_per_replica", "assumed 1")
    original = "concurrency_32_req_rate_inf_gpus_16_ctx_8_gen_8.json"
    named = import_bytes((REAL / rel).read_bytes(), original, Overrides(gpu="b200", mode="ar"))
    (profile,) = named.profiles
    assert (profile.gpus_per_replica, profile.tp) == (16, 16) and not warned(named, "gpus_per_replica")
    assert "8 context + 8 generation GPUs" in profile.provenance.notes
    (point,) = profile.points
    assert (point.concurrency, point.output_tok_s) == (32, doc["output_throughput"])
    assert point.ttft_ms_p50 == doc["median_ttft_ms"] and point.e2e_ms_p50 == doc["median_e2el_ms"]


# --- GuideLLM ---------------------------------------------------------------------------------
# Source: vllm-project/guidellm @ a1fe883aa062ed0225d60e0ae9f0f6340ce1742a
#   tests/unit/entrypoints/assets/benchmarks_stripped.json


def test_guidellm_03_throughput_is_derived_from_token_counts_and_duration() -> None:
    rel = "guidellm/guidellm_repo_test_asset_v03_benchmarks_stripped.json"
    result, doc = imported(rel), raw(rel)
    (bench,) = doc["benchmarks"]
    metrics = bench["metrics"]
    profile, point = single(result)
    assert bench["args"]["strategy"]["type_"] == "synchronous" and point.concurrency == 1
    out_tokens = metrics["output_token_count"]["successful"]["total_sum"]
    in_tokens = metrics["prompt_token_count"]["successful"]["total_sum"]
    assert point.output_tok_s == pytest.approx(out_tokens / bench["duration"])
    assert point.input_tok_s == pytest.approx(in_tokens / bench["duration"])
    assert point.total_tok_s == pytest.approx((in_tokens + out_tokens) / bench["duration"])
    assert point.total_tok_s != pytest.approx(metrics["tokens_per_second"]["successful"]["mean"], rel=0.1)
    assert point.ttft_ms_p50 == metrics["time_to_first_token_ms"]["successful"]["median"]
    assert point.tpot_ms_p99 == metrics["time_per_output_token_ms"]["successful"]["percentiles"]["p99"]
    assert point.e2e_ms_p50 == ms(metrics["request_latency"]["successful"]["median"])
    assert (
        (point.requests_completed, point.requests_failed)
        == (46, 0)
        == (
            bench["request_totals"]["successful"],
            bench["request_totals"]["errored"],
        )
    )
    assert profile.model == "example_model"  # the file's (anonymised) model; the form's is not applied
    assert warned(result, "worker.backend_model", "not applied")
    assert "GuideLLM <= 0.3" in profile.provenance.notes
    assert "metrics.tokens_per_second" in result.ignored  # read, compared, not used


# Source: danielkorat/guidellm-bench @ 8f24116d0d1b21073be686c2cce9d796f5c1b59e
#   guidellm_results/20260302_1917/Qwen_Qwen3-4B-Thinking-2507_tp2_quant-fp8_benchmarks.json


def test_guidellm_05_synchronous_benchmark() -> None:
    rel = "guidellm/danielkorat_guidellm050dev_qwen3_4b_xpu_sync_benchmarks.json"
    result, doc = imported(rel), raw(rel)
    (bench,) = doc["benchmarks"]
    metrics = bench["metrics"]
    profile, point = single(result)
    assert bench["config"]["strategy"]["type_"] == "synchronous" and point.concurrency == 1
    assert point.output_tok_s == metrics["output_tokens_per_second"]["successful"]["mean"]
    assert point.ttft_ms_p50 == metrics["time_to_first_token_ms"]["successful"]["median"]
    assert point.e2e_ms_p50 == ms(metrics["request_latency"]["successful"]["median"])
    assert (point.requests_completed, point.requests_failed) == (26, 0)
    assert (profile.model, profile.precision) == ("qwen3-4b-thinking-2507", "bf16")  # fp8 is only in the original name
    assert warned(result, "precision", "assumed bf16") and "guidellm 0.5.0.dev0" in profile.provenance.notes
    fp8 = imported(rel, Overrides(gpu="h100-sxm", mode="ar", precision="fp8", gpus_per_replica=2)).profiles[0]
    assert (fp8.precision, fp8.gpus_per_replica) == ("fp8", 2)  # what the file does not say, the user fills in


# --- AIPerf -----------------------------------------------------------------------------------
# Source: SemiAnalysisAI/InferenceX @ 6c128cd22b0c4d1066a9fc70a6ec54eb21bd9343
#   tp4_sweep_29003473063/agentic_kimik2.7_tp4_conc1_..._mi355x-amds_01/aiperf_artifacts/
#   profile_export_aiperf.json and .csv


def test_aiperf_080_json_export() -> None:
    rel = "aiperf/inferencex_aiperf080_kimik27_mi355x_c1.json"
    result, doc = imported(rel, Overrides(gpu="mi355x", mode="ar")), raw(rel)
    profile, point = single(result)
    assert point.concurrency == doc["input_config"]["loadgen"]["concurrency"] == 1
    assert point.output_tok_s == pytest.approx(doc["output_token_throughput"]["avg"])
    assert point.input_tok_s == pytest.approx(doc["input_token_throughput"]["avg"])
    assert point.total_tok_s == pytest.approx(doc["total_token_throughput"]["avg"])
    assert point.ttft_ms_p50 == pytest.approx(doc["time_to_first_token"]["p50"])  # unit "ms"
    assert point.ttft_ms_p99 == pytest.approx(doc["time_to_first_token"]["p99"])
    assert point.tpot_ms_p50 == pytest.approx(doc["inter_token_latency"]["p50"])
    assert point.e2e_ms_p50 == pytest.approx(doc["request_latency"]["p50"])
    assert (point.requests_completed, point.requests_failed) == (195, 0)  # error_summary is empty
    assert doc["input_config"]["endpoint"]["model_names"] == ["amd/Kimi-K2.7-Code-MXFP4"]
    assert (profile.model, profile.precision) == ("kimi-k2.7-code", "fp4")  # MXFP4 from the model name
    assert profile.workload.isl == round(doc["input_sequence_length"]["avg"])
    assert profile.gpus_per_replica == 1 and warned(result, "gpus_per_replica", "assumed 1")  # TP4 is in the path only
    assert "aiperf 0.8.0" in profile.provenance.notes and "http_req_duration" in result.ignored


def test_aiperf_csv_export_reads_like_the_json_and_derives_its_concurrency() -> None:
    rel = "aiperf/inferencex_aiperf080_kimik27_mi355x_c1.csv"
    cells: dict[tuple[str, str], float] = {}  # (metric name, column) -> value, over both sections of the export
    with (REAL / rel).open(encoding="utf-8", newline="") as f:
        header: list[str] = []
        for row in csv.reader(f):
            if row and row[0] == "Metric":
                header = row
            elif row:
                cells.update({(row[0], col): float(v) for col, v in zip(header[1:], row[1:], strict=False) if v})

    def cell(name: str, stat: str = "avg") -> float:
        return cells.get((name, stat), cells.get((name, "Value"), math.nan))

    result = imported(rel, Overrides(gpu="mi355x", model="kimi-k2.7-code", mode="ar"))
    profile, point = single(result)
    little = cell("Request Count") * cell("Request Latency (ms)") / 1000 / cell("Benchmark Duration (sec)")
    assert point.concurrency == round(little) == 1 and "Little's law" in profile.provenance.notes
    assert warned(result, "concurrency", "derived")
    assert point.output_tok_s == cell("Output Token Throughput (tokens/sec)") == 58.68
    assert point.input_tok_s == cell("Input Token Throughput (tokens/sec)")
    assert point.ttft_ms_p50 == cell("Time to First Token (ms)", "p50")
    assert point.ttft_ms_p99 == cell("Time to First Token (ms)", "p99")
    assert point.tpot_ms_p50 == cell("Inter Token Latency (ms)", "p50")
    assert point.e2e_ms_p50 == cell("Request Latency (ms)", "p50")
    assert point.requests_completed == 195 and profile.model == "kimi-k2.7-code"
    json_point = imported(rel.replace(".csv", ".json"), Overrides(gpu="mi355x", mode="ar")).profiles[0].points[0]
    assert point.output_tok_s == pytest.approx(json_point.output_tok_s, abs=0.01)  # the CSV rounds to 2 decimals


# --- llmperf ----------------------------------------------------------------------------------
# Source: ray-project/llmperf-leaderboard @ 23af37e3750cc5c7d4a6f8c9dafad186f6c9a7d8
#   raw_data/summary/anyscale_70b.json


def test_llmperf_leaderboard_summary() -> None:
    rel = "llmperf/leaderboard_anyscale_llama2_70b_summary.json"
    result, doc = imported(rel), raw(rel)
    profile, point = single(result)
    assert point.concurrency == doc["num_concurrent_requests"] == 5
    assert point.output_tok_s == doc["results_mean_output_throughput_token_per_s"]
    assert point.ttft_ms_p50 == ms(doc["results_ttft_s_quantiles_p50"])
    assert point.tpot_ms_p99 == ms(doc["results_inter_token_latency_s_quantiles_p99"])
    assert point.e2e_ms_p50 == ms(doc["results_end_to_end_latency_s_quantiles_p50"])
    assert (point.requests_completed, point.requests_failed) == (150, 0)
    assert point.input_tok_s == pytest.approx(
        doc["mean_input_tokens"] * doc["results_num_completed_requests_per_min"] / 60
    )
    assert (profile.model, profile.engine) == ("llama-2-70b-chat-hf", "anyscale")
    assert (profile.workload.isl, profile.workload.osl) == (550, 150)
    assert "llmperf 2023-08-31" in profile.provenance.notes and "results_ttft_s_mean" in result.ignored


# Source: philschmid/llmperf-bench @ e099ae4614c451e48d6f0904c1b237eca8a41fa0
#   results/2.0.1/meta-llama_Meta-Llama-3-8B-Instruct_tp_1_summary.json


def test_llmperf_fork_summary_keyed_by_concurrency_keeps_its_means_in_the_notes() -> None:
    rel = "llmperf/philschmid_tgi201_llama3_8b_tp1_summary.json"
    result, doc = imported(rel, Overrides(gpu="h100-sxm", model="llama-3-8b-instruct", mode="ar")), raw(rel)
    (profile,) = result.profiles
    assert [p.concurrency for p in profile.points] == [entry["concurrency"] for entry in doc.values()]
    for entry in doc.values():
        point = by_concurrency(profile)[entry["concurrency"]]
        assert point.output_tok_s == entry["throughput_token_per_s"]
        assert point.ttft_ms_p50 is None and point.tpot_ms_p50 is None  # means are not medians
    first = doc["1"]
    assert f"c1: TTFT {first['first-time-to-token_mean_in_ms']:.4g} ms" in profile.provenance.notes
    assert warned(result, "means only")
    assert (profile.model, profile.workload.isl, profile.workload.osl) == ("llama-3-8b-instruct", 750, 150)


# --- InferenceX aggregated rows ---------------------------------------------------------------
# Source: SemiAnalysisAI/InferenceX @ bf0309600723b5fd9274f47438bed146e9df55c7
#   agg_kimik2.5_8k1k_int4_vllm_tp8-ep1-dpafalse_disagg-false_spec-mtp_conc32_MI355-...json


def test_inferencex_single_flat_row_keeps_its_own_gpu_model_and_mode() -> None:
    rel = "inferencex/agg_kimik25_8k1k_mi355x_mtp_c32.json"
    result, row = imported(rel), raw(rel)
    profile, point = single(result)
    assert (profile.gpu, profile.model, profile.mode, profile.precision) == ("mi355x", "kimi-k2.5", "spec_mtp", "int4")
    assert warned(result, "hw", "gpu 'mi355x'", "not applied") and warned(result, "spec_decoding", "not applied")
    assert (profile.gpus_per_replica, profile.tp) == (row["tp"], row["tp"]) == (8, 8)
    assert (profile.engine, profile.engine_version) == ("vllm", "v0.21.0")
    assert point.concurrency == row["conc"] == 32
    assert point.output_tok_s == pytest.approx(row["output_tput_per_gpu"] * 8)
    assert point.total_tok_s == pytest.approx(row["tput_per_gpu"] * 8)
    assert point.input_tok_s == pytest.approx(row["input_tput_per_gpu"] * 8)
    assert point.ttft_ms_p50 == ms(row["median_ttft"]) and point.ttft_ms_p99 == ms(row["p99_ttft"])
    assert point.tpot_ms_p50 == ms(row["median_tpot"]) and point.e2e_ms_p50 == ms(row["median_e2el"])
    assert (profile.workload.isl, profile.workload.osl) == (8192, 1024)


# Source: ajith-sirra-amd/InferenceMAX_Rocm_Team @ 598828615e7701f3f4f8ac5b1da2dbb49fe11460
#   results/0604/kimik2.5-fp4-mi355x-vllm-agentic-lmcache/results_bmk/agg_bmk.json


def test_inferencex_agentic_rows_split_by_offloading() -> None:
    rel = "inferencex/agg_bmk_kimik25_mi355x_vllm_agentic.json"
    result, rows = imported(rel), raw(rel)
    assert len(rows) == 20 and not result.problems
    by_offload = {p.provenance.notes.split("offload ")[1].split(";")[0]: p for p in result.profiles}
    assert set(by_offload) == {"none", "lmcache"}
    for row in rows:
        profile = by_offload[row["offloading"]]
        point = by_concurrency(profile)[row["conc"]]
        assert point.output_tok_s == row["output_tput_tps"] == pytest.approx(row["output_tput_per_gpu"] * row["tp"])
        assert point.total_tok_s == row["total_tput_tps"] and point.input_tok_s == row["input_tput_tps"]
        assert point.requests_completed == row["num_requests_successful"] and point.requests_failed == 0
        assert point.ttft_ms_p50 is None  # means and p75-p95 only: never stored as medians ...
        assert f"c{row['conc']}: latencies given as means only" in profile.provenance.notes  # ... but kept
    for profile in result.profiles:
        assert len(profile.points) == 10
        assert (profile.gpu, profile.gpus_per_replica, profile.precision) == ("mi355x", 4, "fp4")
        assert (profile.model, profile.workload.category) == ("kimi-k2.5", "agentic-coding")
    assert warned(result, "means") and {"mean_ttft", "p95_tpot", "server_gpu_cache_hit_rate"} <= set(result.ignored)


# Source: SemiAnalysisAI/InferenceX-app @ 43307969f98362cef1a3ad0d07d4ef5045a26026
#   packages/db/src/etl/__fixtures__/h100-retry/attempt1.json


def test_inferencex_nested_agentic_schema() -> None:
    rel = "inferencex/agg_v2_nested_agentic_h100_dsv41flash_sglang_c4.json"
    result, row = imported(rel), raw(rel)
    metrics = row["request_metrics"]
    profile, point = single(result)
    assert (profile.gpu, profile.gpus_per_replica, profile.tp) == ("h100-sxm", row["num_gpus"], 8)  # cluster:h100-dgxc
    assert (profile.engine, profile.engine_version) == ("sglang", "nightly-dev-cu13-20260923-06008c17")
    assert (profile.model, profile.precision, profile.mode) == ("deepseek-v4.1-flash", "fp4", "spec_mtp")
    assert point.concurrency == row["conc"] == 4
    throughput = metrics["throughput"]
    assert point.output_tok_s == throughput["output"]["tokens_per_second"]
    assert point.output_tok_s == pytest.approx(throughput["per_gpu"]["output_tput_tps"] * 8, rel=1e-3)
    assert point.total_tok_s == throughput["total"]["tokens_per_second"]
    latency = metrics["latency"]
    assert point.ttft_ms_p50 == ms(latency["ttft"]["p50"]) and point.tpot_ms_p50 == ms(latency["tpot"]["p50"])
    assert point.e2e_ms_p50 == ms(latency["e2el"]["p50"]) and point.ttft_ms_p99 is None  # p95 is the highest given
    assert (point.requests_completed, point.requests_failed) == (112, 0)  # 44 warm-up records dropped, no errors
    assert profile.workload.isl == round(metrics["tokens"]["input"]["mean"])
    assert profile.workload.dataset == "semianalysisai/cc-traces-weka-062126"
    assert {"avg_power_w", "server_metrics", "request_metrics.qps"} <= set(result.ignored)


# --- Nemotron-Labs-Diffusion ------------------------------------------------------------------
# Source: linyewei526/Nemotron-Labs-Diffusion @ 9a6c93e0a7962397b88c0951995aebd4305e4eae
#   configs/sglang_pytorch_diff/results/sglang_base_graph/linearspec_confidence_20260831_174408/
#   eval_runs/gsm8k/eval_20260831_174408/artifacts/gsm8k/sglang_metrics_summary.json


def test_nld_sglang_metrics_summary_gives_tokens_per_forward() -> None:
    rel = "nld/linyewei_nld_sglang_linearspec_gsm8k_metrics_summary.json"
    result, doc = imported(rel, Overrides(gpu="h100-sxm", model="nld-8b", mode="self_spec")), raw(rel)
    serving, decode = doc["serving"], doc["decode"]
    profile, point = single(result)
    assert point.concurrency == round(serving["sum_request_latency_s"] / serving["request_window_time_s"]) == 1
    assert "Little's law" in profile.provenance.notes and warned(result, "concurrency", "derived")
    assert point.output_tok_s == serving["request_window_output_tokens_per_s"]
    assert point.output_tok_s == pytest.approx(
        serving["completion_tokens"] / serving["request_window_time_s"], rel=1e-4
    )
    assert point.ttft_ms_p50 == ms(serving["ttft_s"]["p50"]) and point.tpot_ms_p99 == ms(serving["tpot_s"]["p99"])
    assert point.e2e_ms_p50 == ms(serving["latency_s"]["p50"])
    assert point.tokens_per_forward == decode["tokens_per_forward_pass"] == pytest.approx(3.3243)
    assert (point.requests_completed, point.requests_failed) == (2, 0)
    assert (profile.model, profile.mode, profile.workload.dataset) == ("nld-8b", "self_spec", "gsm8k")
    assert profile.engine == "sglang" and "engine sglang assumed" in profile.provenance.notes
    assert "serving.wall_output_tokens_per_s" in result.ignored  # includes the harness's idle time: not used


# --- given values fill in, never relabel ------------------------------------------------------


@pytest.mark.parametrize(
    ("rel", "field", "stated"),
    [
        ("inferencex/agg_kimik25_8k1k_mi355x_mtp_c32.json", "gpu", "mi355x"),
        ("inferencex/agg_kimik25_8k1k_mi355x_mtp_c32.json", "precision", "int4"),
        ("inferencex/agg_kimik25_8k1k_mi355x_mtp_c32.json", "gpus_per_replica", 8),
        ("sglang/tonyli_sglang055_gh200_qwen25_3b_agg_c32.jsonl", "model", "qwen2.5-3b-instruct"),
        ("sglang/tonyli_sglang055_gh200_qwen25_3b_agg_c32.jsonl", "mode", "ar"),
        ("sglang/tonyli_sglang055_gh200_qwen25_3b_agg_c32.jsonl", "gpus_per_replica", 1),
        ("sglang/lukallm_sglang_sharegpt_unbounded.jsonl", "precision", "fp8"),
        ("aiperf/inferencex_aiperf080_kimik27_mi355x_c1.json", "model", "kimi-k2.7-code"),
        ("vllm/er0080_vllm0251_bench_serve_opt125m_c2.json", "model", "opt-125m"),
    ],
)
def test_a_given_value_never_relabels_what_the_file_states(rel: str, field: str, stated: object) -> None:
    other: dict[str, object] = {
        "gpu": "b200",
        "model": "someone-else",
        "mode": "self_spec",
        "precision": "fp32",
        "gpus_per_replica": 64,
    }
    given = Overrides(**{"gpu": "h100-sxm", "mode": "ar", "model": "m", field: other[field]})  # type: ignore[arg-type]
    result = imported(rel, given)
    assert result.profiles and all(getattr(p, field) == stated for p in result.profiles)
    assert warned(result, f"the file says {field}", "was not applied")


def test_what_a_file_does_not_say_is_filled_in_from_the_given_values() -> None:
    given = Overrides(gpu="b200", model="opt-125m", mode="spec_eagle3", precision="fp8", gpus_per_replica=2)
    result = imported("vllm/er0080_vllm0251_bench_serve_opt125m_c2.json", given)
    (profile,) = result.profiles
    assert (profile.gpu, profile.mode, profile.precision, profile.gpus_per_replica) == ("b200", "spec_eagle3", "fp8", 2)
    assert not result.warnings  # nothing assumed, nothing contradicted
    for text in ("gpu b200 given", "mode spec_eagle3 given", "precision fp8 given", "gpus_per_replica 2 given"):
        assert text in profile.provenance.notes


def test_real_figures_survive_as_finite_numbers() -> None:
    for rel in REAL_FILES:
        for profile in imported(rel).profiles:
            for point in profile.points:
                values = [v for v in point.model_dump().values() if isinstance(v, float)]
                assert all(math.isfinite(v) and v > 0 for v in values), (rel, point)


SMALL_REAL = [rel for rel in REAL_FILES if (REAL / rel).stat().st_size < 30_000]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.sampled_from(SMALL_REAL), st.data())
def test_mutated_real_files_never_raise_and_what_comes_back_validates(rel: str, data: st.DataObject) -> None:
    blob = bytearray((REAL / rel).read_bytes())
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(blob) - 1))
        op = data.draw(st.sampled_from(["flip", "cut", "delete", "token"]))
        if op == "flip":
            blob[pos] = data.draw(st.integers(0, 255))
        elif op == "cut":
            del blob[pos:]
        elif op == "delete":
            del blob[pos : pos + data.draw(st.integers(1, 60))]
        else:
            blob[pos : pos + data.draw(st.integers(0, 8))] = data.draw(st.sampled_from([b"NaN", b"-1", b"0", b"null"]))
        if not blob:
            blob = bytearray(b"{}")
    result = import_bytes(bytes(blob), Path(rel).name, FORM)
    assert not any("internal error" in p.message for p in result.problems), result.problems
    for profile in result.profiles:
        Profile.model_validate(profile.model_dump())
