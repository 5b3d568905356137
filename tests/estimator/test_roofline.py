"""calculator/estimator/roofline.py: the bytes and FLOPs of one forward, the roofline time, GPU families."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calculator.catalog import load_catalog, load_models
from calculator.estimator import forward_time_s, gpu_family, model_cost
from calculator.estimator.roofline import row_times

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


def test_forward_time_is_overhead_plus_the_larger_roofline_term():
    memory_bound = timing(batch=1.0)
    assert memory_bound == pytest.approx(1e-3 + 1e-5 + (16e9 + 1001 * 139264 + 4e6) / (3.35e12 * 0.8))
    compute_bound = timing(batch=512.0, query_tokens=32.0)
    flops = 512 * 32 * (17e9 + 557056 * (1000 + 16))
    assert compute_bound == pytest.approx(1e-3 + 512 * 1e-5 + flops / (989e12 * 0.5))


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


def test_gpu_families():
    assert [gpu_family(CATALOG.gpu(g)) for g in ("h100-sxm", "b200", "a100-80gb", "l40s", "mi300x")] == [
        "hopper",
        "blackwell",
        "ampere",
        "ada",
        "amd",
    ]
    odd = CATALOG.gpu("h200").model_copy(update={"id": "my-gpu", "name": "Mystery accelerator"})
    assert gpu_family(odd) == "other"


def test_forward_rows_use_the_same_roofline_as_forward_time_s():
    """row_times (the fit's and the estimates' form, over rows of forwards) and forward_time_s are one formula:
    without chunked-prefill extras and fp8 gain they give the same time, memory- and compute-bound alike."""
    batch = np.array([1.0, 512.0])
    common = {
        "batch": batch, "q": np.array([1.0, 32.0]), "ctx": np.array([1000.0, 1000.0]),
        "block": np.array([False, True]), "W": np.full(2, 16e9), "kv": np.full(2, 139264.0),
        "act": np.full(2, 4e6), "F": np.full(2, 17e9), "A": np.full(2, 557056.0), "hbm": np.full(2, 3.35e12),
        "peak": np.full(2, 989e12), "xB": np.zeros(2), "xF": np.zeros(2),
    }  # fmt: skip
    fixed = 1e-3 + batch * 1e-5
    t, mem, fl = row_times(common, eta_bw=np.full(2, 0.8), eta_fl=np.full(2, 0.5), fixed_s=fixed, gain=np.ones(2))
    expected = [
        timing(batch=1.0),
        timing(batch=512.0, query_tokens=32.0, block_attention=True),  # type: ignore[arg-type]
    ]
    assert t == pytest.approx(expected, rel=1e-12)
    assert mem[0] > fl[0] and fl[1] > mem[1]  # batch 1 reads weights; batch 512 x 32 tokens computes
