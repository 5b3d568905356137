"""calculator/model/estimator/serving.py: the mechanisms of a serving engine's KV admission and of a finite run, each
stated as physics (issue 19), not as a fitted point."""

from __future__ import annotations

import pytest

from calculator.data.catalog import load_catalog, load_gpu_specs, load_models
from calculator.model.estimator import estimate_points, model_cost
from calculator.model.estimator.observations import observations
from calculator.model.estimator.serving import (
    admits_on_current_length,
    kv_capacity_sequences,
    kv_pool_bytes,
    kv_tokens_per_sequence,
    run_fill_factor,
    steady_state,
)

SPECS = {g.id: g for g in load_gpu_specs()}
MODELS = load_models()


def _capacity(isl: int, osl: int, *, current: bool, engine: str = "vllm") -> float:
    cost = model_cost(MODELS["llama-3.1-8b"].arch, "bf16")
    held = kv_tokens_per_sequence(isl, osl, 1, current_length=current)
    return float(kv_capacity_sequences(SPECS["h100-sxm"], cost, resident_bytes=cost.memory_bytes,
                                       tokens_per_sequence=held, engine=engine))  # fmt: skip


def test_a_paged_engine_in_steady_state_runs_up_to_twice_the_sequences_of_a_whole_length_reservation():
    # Requests at staggered points of their lives hold context + OSL/2 on average: a short prompt and a long output
    # give (128 + 2048) / (128 + 1024) = 1.89x, the 1.7-1.9x measured on vLLM and SGLang (issue 19, item 2); a long
    # prompt and a short output gain little.
    long_out = _capacity(128, 2048, current=True) / _capacity(128, 2048, current=False)
    long_in = _capacity(4096, 128, current=True) / _capacity(4096, 128, current=False)
    assert long_out == pytest.approx((128 + 2048 + 1) / (128 + 1024 + 1), rel=1e-9)
    assert 1.7 < long_out < 2.0
    assert 1.0 < long_in < 1.02


def test_which_engines_admit_on_current_length():
    assert (
        admits_on_current_length("vllm") and admits_on_current_length("vllm-v0") and admits_on_current_length("sglang")
    )
    assert not admits_on_current_length("trt-llm")  # GUARANTEED_NO_EVICT (trtllm-bench's default too) reserves
    assert not admits_on_current_length("llama.cpp")  # a fixed context per slot


def test_a_closed_batch_is_not_steady_state_and_a_long_run_is():
    assert not steady_state(100, 100)  # AccelMark: 100 requests handed to the engine at once grow together
    assert not steady_state(None, 8)  # unknown: the conservative reading
    assert steady_state(30_000, 3_000) and steady_state(400, 100)


def test_a_finite_run_delivers_less_than_steady_state_by_its_drain_and_a_long_run_converges():
    # The drain costs half a request's duration: W waves take W + 1/2 durations.
    assert run_fill_factor(1000, 512) == pytest.approx((1000 / 512) / (1000 / 512 + 0.5))
    assert run_fill_factor(1000, 512) < 0.8  # ~1,000 requests at 512 slots: over-predicted ~25 % as steady state
    assert run_fill_factor(100_000, 64) > 0.999
    assert run_fill_factor(None, 64) == 1.0 and run_fill_factor(50, 1) == 1.0  # unknown length; one at a time
    # Doubling the requests never lowers the fraction, and the factor is on throughput, not on the step time.
    assert all(run_fill_factor(2 * n, 64) > run_fill_factor(n, 64) for n in (64, 128, 256, 1024))


def test_a_fitted_point_of_a_short_run_is_predicted_with_its_drain():
    obs = observations(load_catalog(), MODELS)
    meta = obs.meta.reset_index(drop=True)
    i = meta.index[meta["label"] == "umass-b200-nld-14b-self_spec-b16-humaneval@32"][0]
    # self-spec: a = 2 x TPF tokens per cycle; the run had 164 requests over 32 slots
    assert obs.tokens_per_cycle[i] == pytest.approx(2 * meta.loc[i, "tpf"] * run_fill_factor(164, 32), rel=1e-9)


def test_tensorrt_llm_takes_its_kv_pool_from_the_memory_left_after_the_weights():
    spec, weights = SPECS["h100-sxm"], 9e9
    assert kv_pool_bytes(spec, weights, "trt-llm") > kv_pool_bytes(spec, weights, "vllm")


def test_an_estimate_on_a_paged_engine_runs_more_sequences_than_on_one_that_reserves_and_says_so():
    kw = {"isl": 128, "osl": 2048, "concurrency": [1024], "precision": "bf16"}
    catalog = load_catalog()
    paged = estimate_points(catalog, ["h100-sxm"], "llama-3.1-8b", "ar", engine="vllm", **kw)
    reserved = estimate_points(catalog, ["h100-sxm"], "llama-3.1-8b", "ar", engine="trt-llm", **kw)
    ratio = float(paged["running_batch"].iloc[0]) / float(reserved["running_batch"].iloc[0])
    assert 1.6 < ratio < 2.0  # 1.89x the sequences, less TensorRT-LLM's larger pool (0.95 of what is left)
    assert "admitted on current length" in paged["basis"].iloc[0]
    assert "whole length reserved" in reserved["basis"].iloc[0]
