"""The decoding-mode model: cycles of forwards, throughput and latency from a cycle time, and tokens per
forward by workload from the bundled tables (calculator/model/modes.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calculator.data.catalog import load_workloads
from calculator.data.schema import WorkloadTable
from calculator.model.modes import (
    EAGLE3_STEPS,
    EAGLE3_VERIFY_TOKENS,
    ar_cycle,
    block_scale,
    cycle_for,
    decode_tok_s,
    diffusion_cycle,
    prefill_tokens_per_cycle,
    request_latency_s,
    resolve_tpf,
    self_spec_cycle,
    spec_cycle,
    speed_bench_transfer,
)

WORKLOADS = load_workloads()


def constant_forward(seconds: float):
    """t(B, q, L) = seconds, whatever the shape."""

    def t(b, q, ctx, attention):
        return np.full(np.broadcast(b, q, ctx).shape, seconds)

    return t


def linear_in_tokens(per_token_s: float):
    """t(B, q, L) = per_token x B x q: a compute-bound toy."""

    def t(b, q, ctx, attention):
        return per_token_s * np.asarray(b) * np.asarray(q) + 0.0 * np.asarray(ctx)

    return t


# ---------------------------------------------------------------------------------------------
# Cycles


def test_ar_is_one_causal_single_token_forward_per_token():
    c = ar_cycle()
    assert (c.tokens_per_cycle, c.tokens_per_forward, c.target_forwards) == (1.0, 1.0, 1.0)
    assert [(f.query_tokens, f.attention) for f in c.forwards] == [(1, "causal")]


def test_diffusion_runs_b_over_tpf_forwards_per_block_with_one_commit():
    c = diffusion_cycle(32, 2.0)  # s = 32 / 2 - 1 = 15 denoise + 1 commit
    denoise, commit = c.forwards
    assert (denoise.query_tokens, denoise.attention, denoise.count) == (32, "block", 15.0)
    assert (commit.query_tokens, commit.attention, commit.count) == (32, "causal", 1.0)
    assert c.tokens_per_cycle == 32
    assert c.tokens_per_cycle / c.target_forwards == pytest.approx(2.0)


def test_self_spec_acceptance_is_twice_tpf_and_at_most_the_block():
    c = self_spec_cycle(32, tokens_per_forward=3.28)
    assert c.tokens_per_cycle == pytest.approx(6.56)
    assert c.tokens_per_forward == pytest.approx(3.28)
    assert [(f.query_tokens, f.attention) for f in c.forwards] == [(32, "block"), (32, "causal")]
    assert self_spec_cycle(8, accept_length=20.0).tokens_per_cycle == 8.0  # clamped to k
    assert self_spec_cycle(8, accept_length=0.5).tokens_per_cycle == 1.0  # at least the bonus token


def test_eagle3_cycle_is_one_verify_plus_draft_steps():
    c = spec_cycle("spec_eagle3", 2.75)
    verify, draft = c.forwards
    assert (verify.query_tokens, verify.role, verify.count) == (EAGLE3_VERIFY_TOKENS, "target", 1.0)
    assert (draft.role, draft.count) == ("draft_eagle3", float(EAGLE3_STEPS))
    assert c.tokens_per_cycle == 2.75


@pytest.mark.parametrize(
    ("cycle", "forwards_of_t"),
    [
        (ar_cycle(), 1.0),
        (self_spec_cycle(32, tokens_per_forward=3.0), 2.0),
        (diffusion_cycle(32, 4.0), 8.0),
        (spec_cycle("spec_eagle3", 2.0), 1.0 + EAGLE3_STEPS * 0.2),
    ],
)
def test_cycle_time_is_the_sum_of_its_forwards(cycle, forwards_of_t):
    t = cycle.time_s(constant_forward(0.01), np.array([1.0, 8.0]), 1000.0, draft_fraction={"draft_eagle3": 0.2})
    np.testing.assert_allclose(t, forwards_of_t * 0.01)


def test_cycle_for_dispatches_on_mode():
    assert cycle_for("ar").mode == "ar"
    assert cycle_for("self_spec", tokens_per_forward=3.0).tokens_per_cycle == 6.0
    assert cycle_for("diffusion", tokens_per_forward=2.0, block_size=8).block_size == 8
    assert cycle_for("spec_mtp", accept_length=3.0, draft_tokens=3).forwards[0].query_tokens == 4
    with pytest.raises(ValueError, match="no cycle model"):
        cycle_for("quadratic")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: diffusion_cycle(8, 9.0), "exceeds the block size"),
        (lambda: diffusion_cycle(0, 1.0), "block size"),
        (lambda: self_spec_cycle(32), "needs tokens_per_forward"),
        (lambda: self_spec_cycle(32, tokens_per_forward=float("nan")), "positive"),
    ],
)
def test_bad_cycle_parameters_are_refused_with_a_reason(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ---------------------------------------------------------------------------------------------
# Throughput and latency


def test_throughput_latency_formulas():
    assert decode_tok_s(8, 6.56, 0.02) == pytest.approx(8 * 6.56 / 0.02)
    # each cycle finishes B x a / OSL requests, whose replacements bring ISL prompt tokens each
    assert prefill_tokens_per_cycle(8, 2.0, 1000, 500) == pytest.approx(8 * 2.0 * 1000 / 500)
    assert request_latency_s(0.05, 500, 0.01, 2.0) == pytest.approx(0.05 + 500 * 0.01 / 2.0)


def test_self_spec_beats_ar_when_memory_bound_and_loses_when_compute_bound():
    """The crossover in one line each: a k-token forward costs what a 1-token one costs when memory-bound,
    and k times as much when compute-bound, where only a of the k tokens are kept."""
    ss, ar = self_spec_cycle(32, tokens_per_forward=3.3), ar_cycle()
    b = np.array([1.0])
    flat = constant_forward(0.004)
    assert decode_tok_s(b, ss.tokens_per_cycle, ss.time_s(flat, b, 0)) > 3 * decode_tok_s(b, 1, ar.time_s(flat, b, 0))
    steep = linear_in_tokens(1e-5)
    assert decode_tok_s(b, ss.tokens_per_cycle, ss.time_s(steep, b, 0)) < decode_tok_s(b, 1, ar.time_s(steep, b, 0))


@settings(max_examples=60, deadline=None)
@given(
    t1=st.floats(1e-4, 1.0),
    factor=st.floats(1.0, 10.0),
    tpf=st.floats(1.0, 16.0),
    mode=st.sampled_from(["ar", "diffusion", "self_spec", "spec_eagle3"]),
)
def test_cycle_time_grows_with_forward_time(t1, factor, tpf, mode):
    c = cycle_for(mode, tokens_per_forward=tpf, accept_length=tpf, block_size=32)
    b = np.array([4.0])
    assert c.time_s(constant_forward(t1 * factor), b, 0)[0] >= c.time_s(constant_forward(t1), b, 0)[0]


@settings(max_examples=60, deadline=None)
@given(tpf=st.floats(0.1, 100.0), block=st.sampled_from([4, 8, 16, 32, 64]))
def test_self_spec_tpf_stays_within_one_token_and_half_the_block(tpf, block):
    c = self_spec_cycle(block, tokens_per_forward=tpf)
    assert 0.5 <= c.tokens_per_forward <= block / 2


# ---------------------------------------------------------------------------------------------
# Tokens per forward by workload


def test_default_tpf_is_the_speed_bench_average_with_the_lora_drafter():
    c = resolve_tpf(WORKLOADS, "nld-8b", "self_spec")
    assert c.tokens_per_forward == pytest.approx(6.82 / 2)  # Table 10 average acceptance, LoRA, block 32
    assert c.accept_length == pytest.approx(6.82)
    assert not c.assumed
    assert "6.82" in c.source and "vendor" in c.source


def test_tpf_by_speed_bench_category_and_by_benchmark():
    assert resolve_tpf(WORKLOADS, "nld-8b", "self_spec", workload="coding").tokens_per_forward == pytest.approx(4.285)
    assert resolve_tpf(WORKLOADS, "nld-8b", "self_spec", workload="roleplay").tokens_per_forward == pytest.approx(2.77)
    assert resolve_tpf(WORKLOADS, "nld-8b", "self_spec", workload="GPQA").tokens_per_forward == pytest.approx(6.64)
    assert resolve_tpf(WORKLOADS, "nld-8b", "self_spec", workload="average").tokens_per_forward == pytest.approx(5.99)
    no_lora = resolve_tpf(WORKLOADS, "nld-8b", "self_spec", lora=False)
    assert no_lora.tokens_per_forward == pytest.approx(5.46 / 2)


def test_other_block_sizes_scale_by_the_published_curve_and_are_flagged():
    c16 = resolve_tpf(WORKLOADS, "nld-8b", "self_spec", block_size=16)
    assert c16.assumed
    # The SGLang acceptance-vs-block study (NLD-8B, 9 datasets: 8.533 vs 11.359 accepted per round at 16 vs 32).
    assert c16.tokens_per_forward == pytest.approx(3.41 * 8.533 / 11.359, rel=1e-3)
    assert block_scale(WORKLOADS, 32, 32) == 1.0
    assert block_scale(WORKLOADS, 8, 32) < block_scale(WORKLOADS, 16, 32) < 1.0
    assert resolve_tpf(WORKLOADS, "nld-8b", "self_spec", block_size=4).tokens_per_forward <= 2.0  # <= k / 2


def test_smaller_and_larger_models_borrow_nld_8b_figures_scaled_by_their_averages():
    c = resolve_tpf(WORKLOADS, "nld-3b", "self_spec", workload="coding")
    assert c.assumed
    assert c.tokens_per_forward == pytest.approx(8.57 / 2 * 4.36 / 5.99, rel=1e-3)


def test_diffusion_on_speed_bench_carries_the_benchmark_average_over_by_self_specs_ratio():
    ratio = speed_bench_transfer(WORKLOADS, "nld-8b")
    assert ratio == pytest.approx(3.41 / 5.99, rel=1e-3)
    c = resolve_tpf(WORKLOADS, "nld-8b", "diffusion")
    assert c.assumed
    assert c.tokens_per_forward == pytest.approx(2.57 * ratio)
    coding = resolve_tpf(WORKLOADS, "nld-8b", "diffusion", workload="coding")  # moved like self_spec's coding
    assert coding.tokens_per_forward == pytest.approx(2.57 * (8.57 / 2) / 5.99, rel=1e-3)
    small = resolve_tpf(WORKLOADS, "nld-3b", "diffusion", workload="coding")  # sibling's, then the transfer
    assert small.assumed and small.tokens_per_forward == pytest.approx(
        coding.tokens_per_forward * 4.36 / 5.99, rel=1e-3
    )


def test_user_tpf_ar_and_baselines():
    assert resolve_tpf(WORKLOADS, "qwen3-8b", "ar").tokens_per_forward == 1.0
    eagle = resolve_tpf(WORKLOADS, "qwen3-8b", "spec_eagle3", workload="coding")
    assert eagle.accept_length == pytest.approx(3.14)
    given_ = resolve_tpf(WORKLOADS, "nld-8b", "self_spec", tpf=3.28)
    assert (given_.tokens_per_forward, given_.accept_length, given_.assumed) == (3.28, 6.56, False)


def test_unknown_workloads_and_modes_say_what_is_known():
    with pytest.raises(LookupError, match=r"known workloads: .*coding"):
        resolve_tpf(WORKLOADS, "nld-8b", "self_spec", workload="poetry")
    with pytest.raises(LookupError, match="give tpf="):
        resolve_tpf(WORKLOADS, "qwen3-8b", "spec_mtp")
    with pytest.raises(ValueError, match="no cycle model"):
        resolve_tpf(WORKLOADS, "nld-8b", "oracle_sol")
    with pytest.raises(LookupError):
        resolve_tpf(WorkloadTable(), "nld-8b", "self_spec")
