"""calculator/model/estimator/observations.py: every catalog point becomes an observation or is excluded with why,
and a cycle's prompt tokens ride in its last target forward (chunked prefill)."""

from __future__ import annotations

import numpy as np
import pytest

from calculator.data.catalog import load_catalog, load_models
from calculator.model.estimator import model_cost
from calculator.model.estimator.observations import cycle_rows, observations
from calculator.model.modes import cycle_for

CATALOG = load_catalog()
MODELS = load_models()


def test_every_point_is_an_observation_or_excluded_with_why():
    obs = observations(CATALOG, MODELS)
    excluded_points = [why for why in obs.excluded if "@" in why.split(":")[0]]
    throughput = int((obs.kind == 0).sum())
    assert throughput + len(excluded_points) == len(CATALOG.points)  # one throughput observation per modelled point
    assert all(": " in why for why in obs.excluded)
    assert set(obs.rows["obs"]) == set(range(len(obs.meta)))  # every observation has its forwards
    assert not obs.in_fit[(obs.meta["mode"] == "diffusion").to_numpy()].any()  # TPF assumed: predicted only
    assert set(obs.meta["kind"]) == {"throughput", "forward", "ttft", "tpot"}


def test_points_that_cannot_be_trusted_are_predicted_not_fitted_and_say_why():
    obs = observations(CATALOG, MODELS)
    meta = obs.meta.set_index("label")
    unknown = meta.loc["yobitel-h100-llama-3.1-8b-fp16-vllm-0.21.0@16"]
    assert not unknown.in_fit and "lengths unknown" in unknown.note
    small = meta.loc["umass-b200-nld-14b-self_spec-b8-aime25@64"]
    assert not small.in_fit and "cannot keep 64 slots busy" in small.note
    idle = meta.loc["umass-b200-nld-14b-self_spec-b32-gsm8k@4"]  # System TPS includes the harness's idle gaps
    assert not idle.in_fit and "TPOT is fitted instead" in idle.note and meta.loc[f"{idle.name}:tpot"].in_fit
    assert meta.loc["accelmark-a-h100-sxm-vllm-0.7.3-serving@1:ttft"].in_fit  # batch-1 TTFT: a lone prefill


def test_a_concurrency_beyond_the_kv_cache_runs_at_the_cap():
    """AccelMark Suite D: 50 requests of ~29K tokens at once; an 80 GB A100 holds ~14 of them, the rest queue."""
    obs = observations(CATALOG, MODELS)
    meta = obs.meta.set_index("label")
    row = meta.loc["accelmark-d-a100-80gb-vllm-0.7.3-batch50@50"]
    assert row.concurrency == 50 and 10 <= row.running_batch < 20 and "running batch capped" in row.note


def test_prompt_tokens_ride_in_the_last_target_forward_on_a_mixing_engine_and_run_apart_otherwise():
    cycle = cycle_for("self_spec", tokens_per_forward=3.0, accept_length=6.0, block_size=32)
    cost = model_cost(MODELS["nld-8b"].arch, "bf16")
    kw = {
        "decode_context": 1500.0, "cost": cost, "spec": CATALOG.gpu("h100-sxm"),
        "prefill_tokens": np.array([10.0, 80.0]), "prefill_attention_context": 500.0, "prompt_tokens": 1000.0,
    }  # fmt: skip
    mixed = cycle_rows(cycle, np.array([1.0, 8.0]), engine="vllm", **kw)  # type: ignore[arg-type]
    assert len(mixed["obs"]) == 2 * len(cycle.forwards)
    carrying = mixed["xBa"] > 0
    assert carrying.sum() == 2  # one forward per batch size: the verify (last target) forward
    assert mixed["xBa"][carrying] == pytest.approx(np.array([10.0, 80.0]) * cost.kv_bytes_per_token)
    apart = cycle_rows(cycle, np.array([1.0, 8.0]), engine="sglang", **kw)  # type: ignore[arg-type]
    assert len(apart["obs"]) == 3 * 2  # + one prefill forward row per batch size
    prefill = apart["batch"] == 0
    assert apart["count"][prefill] == pytest.approx([10.0 / 1000.0, 80.0 / 1000.0])  # a 1000-token prompt a forward
    assert apart["xBa"][prefill] == pytest.approx(1000.0 * cost.kv_bytes_per_token)
    assert (apart["ctx"][~prefill] == 1500.0).all()
