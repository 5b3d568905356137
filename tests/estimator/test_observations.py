"""calculator/estimator/observations.py: every catalog point becomes an observation or is excluded with why,
and a cycle's prompt tokens ride in its last target forward (chunked prefill)."""

from __future__ import annotations

import numpy as np
import pytest

from calculator.catalog import load_catalog, load_models
from calculator.estimator import model_cost
from calculator.estimator.observations import cycle_rows, observations
from calculator.modes import cycle_for

CATALOG = load_catalog()
MODELS = load_models()


def test_every_point_is_an_observation_or_excluded_with_why():
    obs = observations(CATALOG, MODELS)
    excluded_points = [why for why in obs.excluded if "@" in why.split(":")[0]]
    assert len(obs.meta) - int((~obs.serving).sum()) + len(excluded_points) == len(CATALOG.points)
    assert all(": " in why for why in obs.excluded)
    assert set(obs.rows["obs"]) == set(range(len(obs.meta)))  # every observation has its forwards
    assert not obs.in_fit[(obs.meta["mode"] == "diffusion").to_numpy()].any()  # TPF assumed: predicted only


def test_prompt_tokens_ride_in_the_cycles_last_target_forward():
    cycle = cycle_for("self_spec", tokens_per_forward=3.0, accept_length=6.0, block_size=32)
    cost = model_cost(MODELS["nld-8b"].arch, "bf16")
    rows = cycle_rows(
        cycle, np.array([1.0, 8.0]), decode_context=1500.0, cost=cost, spec=CATALOG.gpu("h100-sxm"),
        prefill_tokens=np.array([10.0, 80.0]), prefill_attention_context=500.0,
    )  # fmt: skip
    assert len(rows["obs"]) == 2 * len(cycle.forwards)
    carrying = rows["xB"] > 0
    assert carrying.sum() == 2  # one forward per batch size: the verify (last target) forward
    assert rows["xB"][carrying] == pytest.approx(
        np.array([10.0, 80.0]) * (cost.kv_bytes_per_token + cost.activation_bytes_per_token)
    )
    assert (rows["ctx"] == 1500.0).all()
