"""calculator/model/estimator/roofline.py: the bytes and FLOPs of one forward, the two rooflines (GEMMs, attention), GPU
families and weight-only precisions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calculator.data.catalog import load_catalog, load_models
from calculator.model.estimator import forward_time_s, gpu_family, model_cost, weight_only
from calculator.model.estimator.roofline import (
    peak_flops,
    power_clock_factor,
    row_times,
    weight_only_bits,
    weight_only_ratio,
)

CATALOG = load_catalog()
MODELS = load_models()


def timing(**overrides: float) -> float:
    args = {
        "batch": 1.0,
        "query_tokens": 1.0,
        "context_tokens": 1000.0,
        "block_attention": False,
        "weight_bytes": 16e9,
        "kv_bytes_per_token": 139264.0,
        "activation_bytes_per_token": 4e6,
        "dense_flops_per_token": 17e9,
        "attention_flops_per_token_ctx": 557056.0,
        "hbm_bytes_s": 3.35e12,
        "peak_flops_s": 989e12,
        "eta_bw": 0.8,
        "eta_fl": 0.5,
        "overhead_s": 1e-3,
        "overhead_per_seq_s": 1e-5,
    }
    args.update(overrides)
    return float(forward_time_s(**args))  # type: ignore[arg-type]


def test_model_cost_counts_layers_at_the_precision_and_the_lm_head_in_bf16():
    arch = MODELS["nld-8b"].arch
    bf16, fp8, int4 = (model_cost(arch, p) for p in ("bf16", "fp8", "int4_awq"))
    head = arch.vocab_size * arch.hidden_size
    layers = arch.params - 2 * head
    assert bf16.weight_bytes == pytest.approx(2 * (layers + head))
    assert fp8.weight_bytes == pytest.approx(layers + 2 * head)  # LM head stays bf16
    assert int4.weight_bytes < fp8.weight_bytes < bf16.weight_bytes
    assert bf16.memory_bytes == pytest.approx(bf16.weight_bytes + 2 * head)  # + the embedding, held not read
    assert bf16.kv_bytes_per_token == MODELS["nld-8b"].kv_bytes_per_token_bf16 == 139264
    assert model_cost(arch, "bf16", kv_precision="fp8").kv_bytes_per_token == 139264 / 2
    assert (bf16.compute_class, fp8.compute_class, int4.compute_class) == ("bf16", "fp8", "bf16")
    with pytest.raises(ValueError, match="unknown precision"):
        model_cost(arch, "fp3")


def test_forward_time_is_overhead_plus_the_gemm_and_the_attention_rooflines():
    """GEMMs and attention are separate kernels: each takes the larger of its memory and compute time, and they add.
    KV reads run at η_kv (a gather over a paged cache), weights at η_bw; attention computes at the bf16 peak."""
    memory_bound = timing(batch=1.0, eta_kv=0.4)
    gemm = (16e9 + 4e6) / (3.35e12 * 0.8)
    kv = 1001 * 139264 / (3.35e12 * 0.4)
    assert memory_bound == pytest.approx(1e-3 + 1e-5 + gemm + kv)
    compute_bound = timing(batch=512.0, query_tokens=32.0, gemm_gain=2.0)
    dense = 512 * 32 * 17e9 / (989e12 * 2.0 * 0.5)
    attention_flops = 512 * 32 * 557056 * (1000 + 16) / (989e12 * 0.5)
    attention_bytes = 512 * (1000 + 32) * 139264 / (3.35e12 * 0.8)  # the KV of 512 sequences: still memory-bound
    assert attention_bytes > attention_flops
    assert compute_bound == pytest.approx(1e-3 + 512 * 1e-5 + dense + attention_bytes)


@settings(max_examples=80, deadline=None)
@given(
    key=st.sampled_from(["weight_bytes", "kv_bytes_per_token", "dense_flops_per_token", "context_tokens", "batch"]),
    base=st.floats(1.0, 1e3),
    factor=st.floats(1.0, 8.0),
    batch=st.sampled_from([1.0, 16.0, 256.0]),
    q=st.sampled_from([1.0, 32.0]),
)
def test_forward_time_is_monotone_in_bytes_and_flops(key, base, factor, batch, q):
    scale = {"weight_bytes": 1e7, "kv_bytes_per_token": 1e3, "dense_flops_per_token": 1e7, "context_tokens": 10.0}
    unit = scale.get(key, 1.0)
    common = {"batch": batch, "query_tokens": q}
    low = timing(**{**common, key: base * unit})
    high = timing(**{**common, key: base * unit * factor})
    assert high >= low


def test_gpu_families_are_architecture_and_memory_class():
    families = {g: gpu_family(CATALOG.gpu(g)) for g in ("h100-sxm", "h200", "b200", "gb200", "b300", "a100-80gb",
                                                        "l40s", "mi300x", "rtx-4090", "rtx-3090", "rtx-5090",
                                                        "rtx-pro-6000", "v100s-pcie-32gb", "h20-3e", "l4")}  # fmt: skip
    assert families == {
        "h100-sxm": "hopper", "h200": "hopper", "b200": "blackwell", "gb200": "blackwell", "b300": "blackwell",
        "a100-80gb": "ampere", "l40s": "ada", "mi300x": "amd", "rtx-4090": "ada", "rtx-3090": "ampere-gddr",
        "rtx-5090": "blackwell-gddr", "rtx-pro-6000": "blackwell-gddr", "v100s-pcie-32gb": "volta",
        "h20-3e": "hopper-cut", "l4": "ada-lowpower",
    }  # fmt: skip
    odd = CATALOG.gpu("h200").model_copy(update={"id": "my-gpu", "name": "Mystery accelerator"})
    assert gpu_family(odd) == "other"
    upload = CATALOG.gpu("h200").model_copy(update={"id": "my-4090", "name": "NVIDIA GeForce RTX 4090"})
    assert gpu_family(upload) == "ada"


def test_fp8_and_fp4_need_their_tensor_cores_else_they_run_weight_only():
    arch = MODELS["nld-8b"].arch
    fp8, fp4, int4, bf16 = (model_cost(arch, p) for p in ("fp8", "fp4", "int4", "bf16"))
    a100, h100, b200 = (CATALOG.gpu(g) for g in ("a100-80gb", "h100-sxm", "b200"))
    assert weight_only(a100, "fp8") and not weight_only(h100, "fp8")
    assert weight_only(h100, "fp4") and not weight_only(b200, "fp4")
    assert weight_only_bits(a100, fp8) == 8 and weight_only_bits(h100, fp8) == 0
    assert weight_only_bits(h100, fp4) == 4 and weight_only_bits(b200, fp4) == 0
    assert weight_only_bits(b200, int4) == 4  # W4A16 dequantises everywhere
    assert weight_only_bits(b200, bf16) == 0
    assert weight_only_ratio(CATALOG.gpu("rtx-3090")) == pytest.approx(2.0, rel=0.01)  # GeForce: FP16 accumulate
    assert weight_only_ratio(a100) == 1.0


def test_forward_rows_use_the_same_roofline_as_forward_time_s():
    """row_times (the fit's and the estimates' form, over rows of forwards) and forward_time_s are one formula:
    without chunked-prefill extras they give the same time, memory- and compute-bound alike."""
    batch = np.array([1.0, 512.0])
    common = {
        "batch": batch, "q": np.array([1.0, 32.0]), "ctx": np.array([1000.0, 1000.0]),
        "block": np.array([False, True]), "W": np.full(2, 16e9), "kv": np.full(2, 139264.0),
        "act": np.full(2, 4e6), "F": np.full(2, 17e9), "A": np.full(2, 557056.0), "hbm": np.full(2, 3.35e12),
        "peak": np.full(2, 989e12), "xBg": np.zeros(2), "xBa": np.zeros(2), "xFd": np.zeros(2), "xFa": np.zeros(2),
    }  # fmt: skip
    fixed = 1e-3 + batch * 1e-5
    t, (gm, gf, _, _) = row_times(
        common, eta_bw=np.full(2, 0.8), eta_fl=np.full(2, 0.5), eta_kv=np.full(2, 0.8), fixed_s=fixed, gain=np.ones(2)
    )
    expected = [
        timing(batch=1.0),
        timing(batch=512.0, query_tokens=32.0, block_attention=True),  # type: ignore[arg-type]
    ]
    assert t == pytest.approx(expected, rel=1e-12)
    assert gm[0] > gf[0] and gf[1] > gm[1]  # batch 1 reads weights; batch 512 x 32 tokens computes


def test_power_limited_parts_run_their_tensor_cores_at_the_clocks_their_tdp_allows():
    """Ada parts whose full tensor rate exceeds TDP x the RTX 4090's 0.73 TFLOPS/W are slowed (L4 at 72 W to ~0.43,
    RTX 6000 Ada at 300 W to 0.60, L40S to 0.71); the 4090s and every HBM data-centre part run their datasheet."""
    specs = {g.id: g for g in CATALOG.gpu_specs}
    factor = {g: power_clock_factor(specs[g]) for g in ("l4", "rtx-6000-ada", "l40s", "rtx-4090", "rtx-4090d")}
    assert factor["l4"] == pytest.approx(0.437, abs=0.005)
    assert factor["rtx-6000-ada"] == pytest.approx(0.605, abs=0.005)
    assert factor["l40s"] == pytest.approx(0.710, abs=0.005)
    assert factor["rtx-4090"] == pytest.approx(1.0) and factor["rtx-4090d"] == 1.0
    for gpu in ("h100-sxm", "h200", "a100-80gb", "b200", "rtx-5090", "rtx-pro-6000", "v100s-pcie-32gb"):
        assert power_clock_factor(specs[gpu]) == 1.0
    peak, text = peak_flops(specs["l4"], "bf16", 2.0)
    assert peak == pytest.approx(121e12 * factor["l4"]) and "power-limited at 72 W" in text


def test_a_part_with_too_few_sms_streams_less_than_its_memory():
    """The H20-3e's 78 SMs draw at most 78 x the H200's per-SM share (4.8 TB/s / 132) of its 4.8 TB/s; parts without an
    SM count, or with their architecture's full count, keep their datasheet bandwidth."""
    from calculator.model.estimator.roofline import bandwidth_text, streaming_bandwidth

    specs = {g.id: g for g in CATALOG.gpu_specs}
    assert streaming_bandwidth(specs["h20-3e"]) == pytest.approx(78 * 4.8e12 / 132)
    assert "2.84 streamed by its 78 SMs" in bandwidth_text(specs["h20-3e"])
    for gpu in ("h200", "h100-sxm", "gh200", "a100-80gb", "b200", "l4"):
        assert streaming_bandwidth(specs[gpu]) == pytest.approx(specs[gpu].hbm_tb_s * 1e12)
