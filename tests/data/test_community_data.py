"""The independent data bundled under hardware_profiles/community/ (and the engine vendors' figures under vendor/):
each profile carries its source URL, commit or date and its caveats, and the golden figures are the facts' figures
(facts/independent_data.md)."""

from __future__ import annotations

import pytest

from calculator.data.catalog import load_catalog
from calculator.data.schema import Profile

CATALOG = load_catalog()
PROFILES = {p.id: p for p in CATALOG.profiles}
FILES = dict(zip((p.id for p in CATALOG.profiles), CATALOG.points.drop_duplicates("profile_id")["file"], strict=False))


def point(profile_id: str, concurrency: int) -> dict[str, float]:
    p = PROFILES[profile_id]
    return next(pt.model_dump() for pt in p.points if pt.concurrency == concurrency)


def independent() -> list[Profile]:
    vendor_ids = ("trtllm", "sglang-doc")
    return [p for p in CATALOG.profiles if p.provenance.kind == "community" or p.id.startswith(vendor_ids)]


def test_the_independent_data_is_bundled_with_its_provenance():
    kinds = {p.provenance.kind for p in independent()}
    assert kinds == {"community", "vendor"}
    assert len([p for p in CATALOG.profiles if p.provenance.kind == "community"]) >= 120
    for p in independent():
        assert p.provenance.source.startswith("http"), p.id
        assert len(p.provenance.notes) > 80, p.id  # the source's caveats
        assert p.provenance.date
    accel = [p for p in CATALOG.profiles if p.id.startswith("accelmark")]
    assert all("5797fc42745be2494e6213938d9e5afa0c6c5bef" in p.provenance.source for p in accel)
    assert all("Result dir" in p.provenance.notes for p in accel)
    community_gpus = {p.gpu for p in CATALOG.profiles if p.provenance.kind == "community"}
    assert {"a100-40gb", "a100-80gb", "h100-sxm", "h200", "h20-3e", "rtx-3090", "rtx-4090", "rtx-5090",
            "rtx-6000-ada", "rtx-a6000", "l4", "v100s-pcie-32gb", "b200"} <= community_gpus  # fmt: skip


def test_accelmark_offline_points_are_100_request_batches_at_their_mean_running_batch():
    """The offline scenario hands 100 requests to the engine at once (client concurrency 8/32/128 are the same run);
    the batch drains as requests finish, so the point is recorded at 100 x 344 / 512 = 67 and says so."""
    p = PROFILES["accelmark-a-h100-sxm-vllm-0.7.3-batch100"]
    assert [pt.concurrency for pt in p.points] == [67]
    assert point(p.id, 67)["output_tok_s"] == 5128.31 and point(p.id, 67)["total_tok_s"] == 8934.81
    assert "5128.31 / 5117.78 / 5113.45" in p.provenance.notes and "mean running batch" in p.provenance.notes
    assert (p.workload.isl, p.workload.osl) == (255, 344)
    serving = PROFILES["accelmark-a-h100-sxm-vllm-0.7.3-serving"]
    c1 = point(serving.id, 1)
    assert (c1["ttft_ms_p50"], c1["tpot_ms_p50"]) == (20.08, 7.74)
    assert point(serving.id, 8)["output_tok_s"] == 907.1
    assert "QPS 5: TTFT p50/p99 26.79/42.46 ms" in serving.provenance.notes  # open-loop runs kept as notes


def test_accelmark_suites_c_and_d_and_the_weight_only_caveat():
    fp8 = PROFILES["accelmark-c-a100-80gb-vllm-0.7.3-fp8-batch100"]
    assert point(fp8.id, 67)["output_tok_s"] == 2822.31  # median of 2823.04 / 2822.31 / 2820.85
    assert "weight-only" in fp8.provenance.notes
    assert PROFILES["accelmark-c-a100-80gb-vllm-0.7.3-int4-batch100"].precision == "int4"
    assert PROFILES["accelmark-a-v100s-pcie-32gb-vllm-0.7.3-batch100"].precision == "fp16"  # Volta: no BF16
    d = PROFILES["accelmark-d-h100-sxm-vllm-0.7.3-batch50"]
    assert (d.workload.isl, d.workload.osl) == (28650, 256) and point(d.id, 50)["output_tok_s"] == 160.38
    assert point("accelmark-d-h100-sxm-vllm-0.7.3-serving", 1)["ttft_ms_p50"] == 1076.72


def test_the_independent_nld_14b_b200_sweep_keeps_its_tpf_and_changing_block_size():
    gsm = {b: PROFILES[f"umass-b200-nld-14b-self_spec-b{b}-gsm8k"] for b in (32, 16, 8)}
    assert {b: [pt.concurrency for pt in p.points] for b, p in gsm.items()} == {
        32: [1, 2, 4], 16: [8, 16, 32], 8: [64, 128],
    }  # fmt: skip
    c1 = point(gsm[32].id, 1)
    assert (c1["output_tok_s"], c1["tokens_per_forward"]) == (500.9824, 6.1696)
    assert c1["tpot_ms_p50"] == pytest.approx(1000 / 691.7923, rel=1e-3)
    assert gsm[32].mode_params.lora is True and gsm[32].model == "nld-14b"
    assert "30faa71" in gsm[32].provenance.source and "block size changes with C" in gsm[32].provenance.notes
    assert point("umass-b200-nld-14b-self_spec-b8-aime25", 64)["requests_completed"] == 30
    assert len([p for p in CATALOG.profiles if p.id.startswith("umass-")]) == 27


def test_the_nld_14b_b200_forward_times_are_a_community_surface():
    (fc,) = [f for f in CATALOG.forward_costs if f.id == "umass-b200-nld-14b-bf16-linearspec-forward"]
    assert fc.provenance.kind == "community" and fc.gpu == "b200" and fc.model == "nld-14b"
    by = {(p.batch, p.query_tokens): p.time_ms_median for p in fc.points}
    assert by[(1, 8)] == 6.992498 and by[(128, 8)] == 34.461168 and by[(32, 16)] == 19.410725
    assert len(fc.points) == 14 and "graph.replay" in fc.provenance.notes


def test_tensorrt_llm_saturation_points_are_vendor_output_throughput():
    p = PROFILES["trtllm-0.17-h100-sxm-llama-3.1-8b-fp8-128-128"]
    assert p.provenance.kind == "vendor" and p.engine == "trt-llm" and p.kv_cache_precision == "fp8"
    assert point(p.id, 4096)["output_tok_s"] == 28836.77
    assert "output tokens/s" in p.provenance.notes and "not stated" in p.provenance.notes
    assert PROFILES["trtllm-0.17-a100-80gb-llama-3.1-8b-fp16-20000-2000"].points[0].concurrency == 1000
    assert len([x for x in CATALOG.profiles if x.id.startswith("trtllm-0.17")]) == 45


def test_the_other_sweeps_and_eagle3_points():
    y = PROFILES["yobitel-h100-llama-3.1-8b-fp16-vllm-0.21.0"]
    assert [pt.ttft_ms_p50 for pt in y.points] == [13.98, 22.75, 41.69, 86.92]  # TTFT grows with concurrency
    assert point("sglang-docs-h100-llama-3.1-8b-bf16-spec_eagle3", 1)["output_tok_s"] == 373.25
    assert point("tengyunw-rtx-5090-qwen3-8b-bf16-spec_eagle3", 1)["output_tok_s"] == 220
    assert point("buun-llamacpp-rtx-3090-nld-14b-q8-self_spec-k4-code-t0", 1)["output_tok_s"] == 50
