"""Importers: each format's fixture (written in the tool's real layout) detected by content and
read into Profiles with the right values, units, grouping, overrides and provenance."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from calculator.data.importers import (
    CSV_TEMPLATE_COLUMNS,
    FORMATS,
    ImportResult,
    Overrides,
    csv_template,
    detect,
    import_bytes,
    import_path,
)
from calculator.data.importers.csv_template import construct_many
from calculator.data.schema import Profile, ProfilePoint

FIXTURES = Path(__file__).parents[1] / "fixtures" / "imports"
H100 = Overrides(gpu="h100-sxm")
FULL = Overrides(gpu="h100-sxm", mode="ar", precision="bf16")
EVERYTHING = Overrides(gpu="h100-sxm", model="qwen3-8b", mode="ar", precision="bf16")

EXPECTED_FORMAT = {
    "sglang_bench_serving.jsonl": "sglang",
    "sglang_nld_linearspec.jsonl": "sglang",
    "vllm_bench_serve.json": "vllm",
    "guidellm_benchmarks.json": "guidellm",
    "aiperf_profile_export_aiperf.json": "aiperf",
    "aiperf_profile_export_aiperf.csv": "aiperf",
    "genai_perf_profile_export.json": "aiperf",
    "llmperf_summary.json": "llmperf",
    "inferencex_agg.json": "inferencex",
    "inferencex_agg.csv": "inferencex",
    "profile_vendor.yaml": "profile",
    "template_points.csv": "csv",
    "nld_sglang_metrics_summary.json": "nld_summary",
}


def load(name: str, overrides: Overrides = Overrides(), **kw: str) -> ImportResult:  # noqa: B008
    return import_path(FIXTURES / name, overrides, **kw)


def only_profile(result: ImportResult) -> Profile:
    assert not result.problems, result.problems
    assert len(result.profiles) == 1, result.profiles
    return result.profiles[0]


def test_every_fixture_is_covered() -> None:
    assert sorted(p.name for p in FIXTURES.iterdir()) == sorted(EXPECTED_FORMAT)
    assert set(EXPECTED_FORMAT.values()) == set(FORMATS)


@pytest.mark.parametrize("name", sorted(EXPECTED_FORMAT))
def test_detect_reads_the_content_not_the_file_name(name: str) -> None:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    assert detect(text, "upload.txt") == EXPECTED_FORMAT[name]
    assert import_bytes(text.encode(), "no-extension").format == EXPECTED_FORMAT[name]


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("gpus:\n  - {id: h100-sxm}\n", "GPU catalog"),
        ('{"kind": "forward_cost", "id": "x", "points": []}', "forward-cost"),
        ("just some words\n", "not a results document"),
        ('{"model_path": "Qwen/Qwen3-8B", "tp_size": 1}', "none of the formats"),
        ("a,b,c\n1,2,3\n", "neither our CSV template"),
    ],
)
def test_other_content_is_unknown_with_a_reason(text: str, why: str) -> None:
    assert detect(text, "f") == "unknown"
    result = import_bytes(text.encode(), "f")
    assert result.format == "unknown" and not result.profiles
    assert why in result.problems[0].message


FILE_DATES = {"vllm_bench_serve.json": "2026-11-09"}  # fixtures whose runs state their own date


@pytest.mark.parametrize("name", sorted(EXPECTED_FORMAT))
def test_every_imported_profile_validates_and_is_uploaded(name: str) -> None:
    overrides = Overrides() if name.startswith(("inferencex", "profile", "template")) else EVERYTHING
    result = load(name, overrides)
    assert result.profiles and not result.missing, result.problems
    assert not result.problems, result.problems
    for profile in result.profiles:
        Profile.model_validate(profile.model_dump())
        if name != "profile_vendor.yaml":
            assert profile.provenance.kind == "uploaded"
            # the file's own date where it states one (vLLM's "date"), else the upload date; both in the notes
            today = date.today().isoformat()
            assert profile.provenance.date == (FILE_DATES.get(name) or today)
            assert f"uploaded {today}" in profile.provenance.notes or f"dated {today}" in profile.provenance.notes
            assert profile.provenance.source.endswith(f"result file {name}")
            assert [p.concurrency for p in profile.points] == sorted(p.concurrency for p in profile.points)


def test_sglang_json_lines_become_one_profile_with_a_point_per_run() -> None:
    profile = only_profile(load("sglang_bench_serving.jsonl", H100))
    lines = [json.loads(line) for line in (FIXTURES / "sglang_bench_serving.jsonl").read_text().splitlines()]
    assert [p.concurrency for p in profile.points] == [line["max_concurrency"] for line in lines]
    assert (profile.model, profile.mode, profile.precision, profile.gpu) == ("qwen3-8b", "ar", "bf16", "h100-sxm")
    assert (profile.engine, profile.engine_version, profile.gpus_per_replica) == ("sglang", "0.5.23", 1)
    assert (profile.workload.isl, profile.workload.osl, profile.workload.dataset) == (1024, 1024, "random-ids")
    first, line = profile.points[0], lines[0]
    assert first.output_tok_s == line["output_throughput"]
    assert first.total_tok_s == line["total_throughput"]
    assert first.input_tok_s == line["input_throughput"]
    assert (first.ttft_ms_p50, first.ttft_ms_p99) == (line["median_ttft_ms"], line["p99_ttft_ms"])
    assert (first.tpot_ms_p50, first.tpot_ms_p99) == (line["median_tpot_ms"], line["p99_tpot_ms"])
    assert first.e2e_ms_p50 == line["median_e2e_latency_ms"]
    assert first.requests_completed == line["completed"]
    assert "Infinity" in (FIXTURES / "sglang_bench_serving.jsonl").read_text()  # an unlimited request rate


def test_sglang_reads_the_diffusion_algorithm_and_acceptance_length() -> None:
    profile = only_profile(load("sglang_nld_linearspec.jsonl", H100))
    assert (profile.model, profile.mode, profile.mode_params.algorithm) == ("nld-8b", "self_spec", "LinearSpec")
    assert [p.accept_length for p in profile.points] == [3.41, 3.38, 3.35]
    assert "tag nld8b-linearspec" in profile.provenance.notes


def test_sglang_newer_client_layout_reads_total_input_and_output() -> None:
    line = json.loads((FIXTURES / "sglang_bench_serving.jsonl").read_text().splitlines()[0])
    line["total_input"], line["total_output"] = line.pop("total_input_tokens"), line.pop("total_output_tokens")
    line.pop("server_info")
    line["random_range_ratio"] = 0.0
    result = import_bytes(json.dumps(line).encode(), "new.jsonl", FULL)
    assert result.missing == ["model"]  # the newer client writes no server_info
    profile = only_profile(import_bytes(json.dumps(line).encode(), "new.jsonl", replace(FULL, model="qwen3-8b")))
    assert (profile.workload.isl, profile.workload.osl) == (1024, 1024)
    assert profile.engine == "sglang"


def test_sglang_run_without_max_concurrency_uses_the_measured_concurrency() -> None:
    line = json.loads((FIXTURES / "sglang_bench_serving.jsonl").read_text().splitlines()[1])
    line["max_concurrency"] = None
    profile = only_profile(import_bytes(json.dumps(line).encode(), "r.jsonl", H100))
    assert profile.points[0].concurrency == round(line["concurrency"])
    assert "measured mean concurrency" in profile.provenance.notes


def test_vllm_result_lacks_gpu_and_mode_and_says_how_to_supply_them() -> None:
    result = load("vllm_bench_serve.json")
    assert result.format == "vllm" and not result.profiles
    assert result.missing == ["gpu", "mode"]  # precision never blocks an import: it is assumed bf16, with a warning
    assert {p.where for p in result.problems} == {"gpu", "mode"}
    assert "--gpu" in next(p.message for p in result.problems if p.where == "gpu")
    assert "upload form" in result.problems[0].message
    assert any(w.where == "precision" and "assumed bf16" in w.message for w in result.warnings)


def test_vllm_with_overrides_maps_its_own_field_names() -> None:
    profile = only_profile(load("vllm_bench_serve.json", FULL))
    raw = json.loads((FIXTURES / "vllm_bench_serve.json").read_text(), parse_constant=float)
    point = profile.points[0]
    assert (profile.model, profile.engine, point.concurrency) == ("qwen3-8b", "vllm", 32)
    assert point.total_tok_s == raw["total_token_throughput"]  # SGLang calls it total_throughput
    assert point.input_tok_s == pytest.approx(raw["total_token_throughput"] - raw["output_throughput"])
    assert point.e2e_ms_p50 == raw["median_e2el_ms"]
    assert (point.requests_completed, point.requests_failed) == (320, 0)
    assert profile.workload.isl == 1000


def test_given_values_fill_in_but_never_relabel_what_a_foreign_file_says() -> None:
    result = load("sglang_nld_linearspec.jsonl", Overrides(gpu="b200", model="my-nld", mode="ar", precision="fp8"))
    profile = only_profile(result)
    # gpu is not in the file: filled in; model, mode and precision are the file's, each with a warning
    assert (profile.gpu, profile.model, profile.mode, profile.precision) == ("b200", "nld-8b", "self_spec", "bf16")
    assert "gpu b200 given at import" in profile.provenance.notes
    conflicts = {w.where: w.message for w in result.warnings if "was not applied" in w.message}
    assert set(conflicts) == {
        "line 1, server_info.model_path",
        "line 1, server_info.dllm_algorithm",
        "line 1, server_info.dtype",
    }
    assert (
        "the file says model 'nld-8b'; the given 'my-nld' was not applied"
        in conflicts["line 1, server_info.model_path"]
    )


def test_gpus_per_replica_override_resets_the_parallelism() -> None:
    profile = only_profile(
        load("vllm_bench_serve.json", Overrides(gpu="h100-sxm", mode="ar", precision="bf16", gpus_per_replica=4))
    )
    assert (profile.gpus_per_replica, profile.tp, profile.pp, profile.dp) == (4, 4, 1, 1)


def test_guidellm_reads_each_benchmark_of_the_sweep() -> None:
    profile = only_profile(load("guidellm_benchmarks.json", FULL))
    doc = json.loads((FIXTURES / "guidellm_benchmarks.json").read_text())
    assert [p.concurrency for p in profile.points] == [1, 8, 32]
    metrics = doc["benchmarks"][2]["metrics"]
    point = profile.points[2]
    assert point.output_tok_s == metrics["output_tokens_per_second"]["successful"]["mean"]
    assert point.ttft_ms_p99 == metrics["time_to_first_token_ms"]["successful"]["percentiles"]["p99"]
    assert point.e2e_ms_p50 == pytest.approx(metrics["request_latency"]["successful"]["median"] * 1000)  # s -> ms
    assert point.requests_failed == 1
    assert (profile.model, profile.workload.isl, profile.workload.osl) == ("qwen3-8b", 2048, 256)


def test_guidellm_rate_based_benchmark_sits_at_its_measured_concurrency() -> None:
    doc = json.loads((FIXTURES / "guidellm_benchmarks.json").read_text())
    doc["benchmarks"] = doc["benchmarks"][2:]
    doc["benchmarks"][0]["config"]["strategy"] = {"type_": "constant", "rate": 12.5}
    profile = only_profile(import_bytes(json.dumps(doc).encode(), "b.json", FULL))
    mean = doc["benchmarks"][0]["metrics"]["request_concurrency"]["successful"]["mean"]
    assert profile.points[0].concurrency == round(mean)
    assert "measured mean concurrency" in profile.provenance.notes


def test_aiperf_reads_metric_blocks_and_input_config() -> None:
    profile = only_profile(load("aiperf_profile_export_aiperf.json", FULL))
    doc = json.loads((FIXTURES / "aiperf_profile_export_aiperf.json").read_text())
    point = profile.points[0]
    assert (profile.model, point.concurrency) == ("nld-8b", 16)
    assert point.output_tok_s == doc["output_token_throughput"]["avg"]
    assert point.tpot_ms_p50 == doc["inter_token_latency"]["p50"]
    assert point.input_tok_s == pytest.approx(doc["request_throughput"]["avg"] * doc["input_sequence_length"]["avg"])
    assert (profile.workload.isl, profile.workload.osl) == (1024, 512)


def test_genai_perf_times_in_nanoseconds_are_converted_to_ms() -> None:
    profile = only_profile(load("genai_perf_profile_export.json", FULL))
    doc = json.loads((FIXTURES / "genai_perf_profile_export.json").read_text())
    assert doc["time_to_first_token"]["unit"] == "ns"
    assert profile.points[0].ttft_ms_p50 == pytest.approx(doc["time_to_first_token"]["p50"] / 1e6)
    assert (profile.model, profile.points[0].concurrency) == ("qwen3-8b", 8)


def test_aiperf_time_in_seconds_is_converted_to_ms() -> None:
    doc = json.loads((FIXTURES / "aiperf_profile_export_aiperf.json").read_text())
    doc["request_latency"] = {"unit": "sec", "avg": 1.5, "p50": 1.25}
    profile = only_profile(import_bytes(json.dumps(doc).encode(), "a.json", FULL))
    assert profile.points[0].e2e_ms_p50 == 1250.0


def test_llmperf_summary_times_in_seconds() -> None:
    profile = only_profile(load("llmperf_summary.json", FULL))
    doc = json.loads((FIXTURES / "llmperf_summary.json").read_text())
    point = profile.points[0]
    assert point.concurrency == doc["num_concurrent_requests"]
    assert point.output_tok_s == doc["results_mean_output_throughput_token_per_s"]
    assert point.ttft_ms_p50 == pytest.approx(doc["results_ttft_s_quantiles_p50"] * 1000)
    assert point.tpot_ms_p99 == pytest.approx(doc["results_inter_token_latency_s_quantiles_p99"] * 1000)
    assert (profile.workload.isl, profile.workload.osl) == (550, 500)


def test_inferencex_rows_scale_per_gpu_figures_to_the_replica() -> None:
    result = load("inferencex_agg.json")
    assert not result.problems and not result.missing
    by_gpu = {p.gpu: p for p in result.profiles}
    assert set(by_gpu) == {"h100-sxm", "b200", "h200"}  # h100-cw, b200-nb, h200-nb runner names
    rows = [r for r in json.loads((FIXTURES / "inferencex_agg.json").read_text()) if r["hw"] == "h200-nb"]
    h200 = by_gpu["h200"]
    assert (h200.gpus_per_replica, h200.tp, h200.precision, h200.engine) == (2, 2, "fp8", "sglang")
    point, row = h200.points[0], rows[0]
    assert point.output_tok_s == pytest.approx(row["output_tput_per_gpu"] * 2)
    assert point.total_tok_s == pytest.approx(row["tput_per_gpu"] * 2)
    assert point.ttft_ms_p50 == pytest.approx(row["median_ttft"] * 1000)  # s -> ms
    assert point.tpot_ms_p50 == pytest.approx(row["median_tpot"] * 1000)
    assert (h200.workload.isl, h200.workload.osl, h200.mode) == (1024, 1024, "ar")


def test_inferencex_csv_gives_the_same_points_as_the_json_rows() -> None:
    from_csv = load("inferencex_agg.csv")
    from_json = load("inferencex_agg.json")
    assert not from_csv.problems
    json_by_gpu = {p.gpu: p for p in from_json.profiles}
    for profile in from_csv.profiles:
        other = json_by_gpu[profile.gpu]
        for a, b in zip(profile.points, other.points, strict=True):
            assert a.output_tok_s == pytest.approx(b.output_tok_s)
            assert a.tpot_ms_p50 == pytest.approx(b.tpot_ms_p50)


def test_inferencex_multinode_row_divides_as_inferencex_does() -> None:
    row = {
        "hw": "gb200-nv",
        "conc": 256,
        "model": "nvidia/Nemotron-Labs-Diffusion-14B",
        "framework": "dynamo-sglang",
        "precision": "fp4",
        "spec_decoding": "mtp",
        "isl": 8192,
        "osl": 1024,
        "is_multinode": True,
        "num_prefill_gpu": 4,
        "num_decode_gpu": 8,
        "tput_per_gpu": 1000.0,
        "output_tput_per_gpu": 200.0,
        "input_tput_per_gpu": 2600.0,
        "median_ttft": 1.2,
    }
    profile = only_profile(import_bytes(json.dumps([row]).encode(), "agg.json"))
    point = profile.points[0]
    assert (profile.gpu, profile.gpus_per_replica, profile.model, profile.mode) == ("gb200", 12, "nld-14b", "spec_mtp")
    assert (point.total_tok_s, point.output_tok_s, point.input_tok_s) == (12000.0, 1600.0, 10400.0)
    assert point.ttft_ms_p50 == 1200.0


def test_inferencex_unknown_hardware_asks_for_the_gpu() -> None:
    row = json.loads((FIXTURES / "inferencex_agg.json").read_text())[0] | {"hw": "a100-ab"}
    result = import_bytes(json.dumps([row]).encode(), "agg.json")
    assert result.missing == ["gpu"] and not result.profiles


def test_profile_file_declared_provenance_becomes_uploaded_with_a_note() -> None:
    result = load("profile_vendor.yaml")
    assert result.ok and {p.provenance.kind for p in result.profiles} == {"uploaded"}
    assert all(p.provenance.notes.startswith("declared in the file as vendor") for p in result.profiles)


def test_profile_file_keeps_its_own_provenance_when_declared_and_ignores_overrides() -> None:
    result = load("profile_vendor.yaml", Overrides(gpu="b200", mode="ar"), provenance_kind="declared")
    assert not result.problems
    assert [p.id for p in result.profiles] == ["fixture-nld-8b-self-spec-h100", "fixture-nld-8b-ar-h100"]
    assert {p.provenance.kind for p in result.profiles} == {"vendor"}
    assert result.profiles[0].gpu == "h100-sxm" and result.profiles[0].mode == "self_spec"
    # the given values contradict the file: each is reported once, where the file states its own
    assert [w.where for w in result.warnings] == ["profiles[0].gpu", "profiles[0].mode"]
    assert "the file says gpu 'h100-sxm'; the given 'b200' was not applied" in result.warnings[0].message


def test_profile_set_keeps_the_good_profiles_when_one_is_bad() -> None:
    text = (FIXTURES / "profile_vendor.yaml").read_text().replace("output_tok_s: 256", "output_tok_s: -256")
    result = import_bytes(text.encode(), "vendor.yaml")
    assert [p.id for p in result.profiles] == ["fixture-nld-8b-self-spec-h100"]
    assert [p.where for p in result.problems] == ["profiles[1].points[0].output_tok_s"]


def test_single_profile_json_is_read() -> None:
    result = load("profile_vendor.yaml")
    doc = result.profiles[1].model_dump(mode="json")
    again = import_bytes(json.dumps(doc).encode(), "one.json")
    assert again.format == "profile" and again.profiles == [result.profiles[1]]


def test_csv_template_is_the_header_of_the_documented_columns() -> None:
    assert csv_template() == ",".join(CSV_TEMPLATE_COLUMNS) + "\n"
    assert CSV_TEMPLATE_COLUMNS[:4] == ("gpu", "model", "mode", "precision")
    assert {"concurrency", "output_tok_s", "tokens_per_forward", "notes"} <= set(CSV_TEMPLATE_COLUMNS)
    docs = (Path(__file__).parents[2] / "docs" / "formats.md").read_text()
    assert ",".join(CSV_TEMPLATE_COLUMNS) in docs
    empty = import_bytes(csv_template().encode(), "template.csv")
    assert empty.format == "csv" and "no data rows" in empty.problems[0].message


def test_csv_rows_group_into_profiles_by_mode() -> None:
    result = load("template_points.csv")
    assert not result.problems
    by_mode = {p.mode: p for p in result.profiles}
    spec = by_mode["self_spec"]
    assert [p.concurrency for p in spec.points] == [1, 8, 32]
    assert (spec.mode_params.block_size, spec.engine_version, spec.workload.isl) == (8, "0.5.23", 512)
    assert spec.points[0].accept_length == 3.4 and spec.points[0].requests_completed == 64
    assert isinstance(spec.points[0].concurrency, int) and isinstance(spec.points[0].requests_completed, int)
    assert "our lab run 2026-11-08" in spec.provenance.notes
    assert by_mode["ar"].points[0].accept_length is None
    for profile in result.profiles:
        Profile.model_validate(profile.model_dump())


def test_csv_overrides_fill_a_missing_column() -> None:
    text = "model,mode,precision,concurrency,output_tok_s\nqwen3-8b,ar,bf16,1,100\nqwen3-8b,ar,bf16,2,190\n"
    result = import_bytes(text.encode(), "m.csv")
    assert result.missing == ["gpu"] and not result.profiles
    assert "--gpu" in result.problems[0].message
    profile = only_profile(import_bytes(text.encode(), "m.csv", H100))
    assert profile.gpu == "h100-sxm" and [p.output_tok_s for p in profile.points] == [100.0, 190.0]
    assert "gpus_per_replica not given: assumed 1" in profile.provenance.notes


def test_csv_empty_id_cells_are_missing_with_their_rows() -> None:
    text = (
        "gpu,model,mode,precision,concurrency,output_tok_s\nh100-sxm,qwen3-8b,ar,bf16,1,100\n,qwen3-8b,ar,bf16,2,190\n"
    )
    result = import_bytes(text.encode(), "m.csv")
    assert result.missing == ["gpu"]
    assert any(p.where == "row 3, gpu" for p in result.problems)


def test_csv_is_case_insensitive_for_ids_and_accepts_semicolons() -> None:
    text = "GPU;Model;Mode;Precision;Concurrency;Output_tok_s\nH100-SXM;Qwen/Qwen3-8B;AR;BF16;4;400.5\n"
    result = import_bytes(text.encode(), "eu.csv")
    profile = only_profile(result)
    assert (profile.gpu, profile.model, profile.mode, profile.precision) == ("h100-sxm", "qwen3-8b", "ar", "bf16")


def test_unknown_csv_column_is_reported_but_the_rest_imports() -> None:
    text = "gpu,model,mode,precision,concurrency,output_tok_s,colour\nh100-sxm,qwen3-8b,ar,bf16,1,100,red\n"
    result = import_bytes(text.encode(), "c.csv")
    assert len(result.profiles) == 1
    assert [p.where for p in result.problems] == ["row 1, colour"]


def test_profile_ids_are_valid_stable_and_distinct_per_file() -> None:
    data = (FIXTURES / "sglang_bench_serving.jsonl").read_bytes()
    a = import_bytes(data, "run.jsonl", H100).profiles[0].id
    assert a == import_bytes(data, "run.jsonl", H100).profiles[0].id
    assert a != import_bytes(data, "other.jsonl", H100).profiles[0].id
    assert a.startswith("run-qwen3-8b-ar-h100-sxm-") and len(a) <= 64
    long_name = "_" + "x" * 200 + ".jsonl"
    Profile.model_validate(import_bytes(data, long_name, H100).profiles[0].model_dump())


def test_provenance_kind_can_be_chosen_and_is_checked() -> None:
    profile = load("vllm_bench_serve.json", FULL, provenance_kind="community").profiles[0]
    assert profile.provenance.kind == "community"
    result = load("vllm_bench_serve.json", FULL, provenance_kind="rumour")
    assert any(p.where == "provenance" for p in result.problems) and not result.profiles


def test_invalid_override_is_reported_by_name() -> None:
    result = load("vllm_bench_serve.json", Overrides(gpu="H100 SXM!", mode="ar", precision="bf16"))
    assert not result.profiles
    assert [p.where for p in result.problems] == ["gpu"]
    assert "not an id" in result.problems[0].message


def test_import_path_reports_a_missing_file_instead_of_raising(tmp_path: Path) -> None:
    result = import_path(tmp_path / "nope.json")
    assert result.format == "unknown" and "cannot read" in result.problems[0].message


def test_fast_point_construction_matches_model_construct() -> None:
    names = ["concurrency", "output_tok_s", "ttft_ms_p50"]
    values = (8, 123.5, 40.0)
    fast = construct_many(names, [values])[0]
    slow = ProfilePoint.model_construct(**dict(zip(names, values, strict=True)))
    assert fast == slow
    assert fast.model_fields_set == slow.model_fields_set
    assert fast.model_dump() == slow.model_dump()
    assert fast.model_dump(exclude_unset=True) == dict(zip(names, values, strict=True))
    ProfilePoint.model_validate(fast.model_dump())
    fast.ttft_ms_p99 = 80.0  # assignment still validates and marks the field set on this point only
    assert (
        "ttft_ms_p99" in fast.model_fields_set
        and "ttft_ms_p99" not in construct_many(names, [values])[0].model_fields_set
    )


def test_overrides_are_read_like_the_names_tools_write() -> None:
    given = Overrides(gpu="H100-SXM", model="Qwen/Qwen3-8B", mode="AR", precision="bfloat16")
    profile = only_profile(load("vllm_bench_serve.json", given))
    assert (profile.gpu, profile.model, profile.mode, profile.precision) == ("h100-sxm", "qwen3-8b", "ar", "bf16")
    text = "gpu,model,mode,precision,concurrency,output_tok_s\n"
    text += "h100-sxm,nvidia/Nemotron-Labs-Diffusion-8B,ar,BFloat16,1,10\n"
    profile = only_profile(import_bytes(text.encode(), "x.csv"))
    assert (profile.model, profile.precision) == ("nld-8b", "bf16")


def test_docs_state_the_fill_in_rule_and_every_format() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "formats.md").read_text()
    assert "only fills in what a file does not say" in docs and "never relabels" in docs
    assert "Precision never blocks an import" in docs
    for fmt in FORMATS:
        assert f"| `{fmt}`" in docs, fmt
