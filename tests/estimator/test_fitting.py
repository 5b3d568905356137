"""calculator/estimator/fitting.py (and parameters.py, observations.py): the fit to the bundled points,
its defaults without data, a measured forward surface, the analytic Jacobian and leave-out refits."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from calculator.catalog import load_catalog, load_models
from calculator.estimator import DEFAULTS, fit, forward_time_s, model_cost
from calculator.schema import DeviceInfo, ForwardCost, ForwardPoint, Provenance

CATALOG = load_catalog()
MODELS = load_models()


def test_fit_uses_the_bundled_points_and_stays_physical():
    result = fit(CATALOG)
    assert result.n_points >= 60
    assert {"b200", "gb200", "rtx-pro-6000", "dgx-spark"} <= set(result.gpus)
    for eff in [result.pooled, *result.families.values(), *result.gpus.values()]:
        assert 0.3 < eff.eta_bw < 1.0 and 0.1 < eff.eta_fl < 1.0
        assert 0.1 < eff.overhead_ms < 10.0
    assert 1.0 <= result.fp8_gain <= 2.0
    assert any("qwen3.5-9b" in why for why in result.excluded)  # no architecture: listed, not silently dropped
    assert fit(CATALOG) is result  # cached by content


def test_no_data_means_the_documented_defaults():
    empty = dataclasses.replace(CATALOG, points=CATALOG.points.iloc[0:0], forward_costs=[])
    result = fit(empty)
    assert result.n_points == 0
    eff, basis = result.efficiency(CATALOG.gpu("h100-sxm"))
    assert eff == DEFAULTS and "defaults" in basis


def test_a_measured_forward_surface_pins_its_gpus_efficiency():
    """Synthetic H100 surface timed with η_bw 0.88, η_fl 0.65: the fit recovers them for H100 (a family
    with no serving data) and the bare-forward overhead does not leak into the serving overhead."""
    arch = MODELS["nld-8b"].arch
    cost = model_cost(arch, "bf16")
    spec = CATALOG.gpu("h100-sxm")
    points = []
    for b in (1, 4, 16, 64, 256):
        for q in (1, 32):
            for ctx in (0, 4096):
                t = forward_time_s(
                    batch=b,
                    query_tokens=q,
                    context_tokens=ctx,
                    block_attention=False,
                    weight_bytes=cost.weight_bytes,
                    kv_bytes_per_token=cost.kv_bytes_per_token,
                    activation_bytes_per_token=cost.activation_bytes_per_token,
                    dense_flops_per_token=cost.dense_flops_per_token,
                    attention_flops_per_token_ctx=cost.attention_flops_per_token_ctx,
                    hbm_bytes_s=spec.hbm_tb_s * 1e12,
                    peak_flops_s=spec.bf16_tflops * 1e12,
                    eta_bw=0.88,
                    eta_fl=0.65,
                    overhead_s=0.2e-3,
                )
                points.append(
                    ForwardPoint(
                        batch=b, query_tokens=q, context_tokens=ctx, attention="causal", time_ms_median=float(t) * 1e3
                    )
                )
    surface = ForwardCost(
        id="synthetic-h100",
        gpu="h100-sxm",
        device=DeviceInfo(name="NVIDIA H100 80GB HBM3"),
        model="nld-8b",
        arch=arch,
        precision="bf16",
        provenance=Provenance(kind="measured", source="synthetic test surface", date="2026"),
        points=points,
    )
    result = fit(dataclasses.replace(CATALOG, forward_costs=[surface]))
    h100 = result.gpus["h100-sxm"]
    assert h100.eta_bw == pytest.approx(0.88, abs=0.05)
    assert h100.eta_fl == pytest.approx(0.65, abs=0.08)
    assert h100.overhead_ms > 0.5  # serving overhead, not the bare forward's 0.2 ms


def test_the_analytic_jacobian_matches_finite_differences():
    """The fit's d residuals / dθ (parameters.evaluate) agrees with central differences at the fitted θ and at
    the start, for every parameter (the solver trusts it; a wrong column would silently bias the fit)."""
    from calculator.estimator.fitting import fitted, residual_jacobian, residuals
    from calculator.estimator.parameters import theta_start

    _, state = fitted(CATALOG)
    for theta in (state.theta, theta_start(state.layout) + 0.01):
        jac = residual_jacobian(state.obs, state.layout, theta, state.weight)
        step = 1e-6
        numeric = np.empty_like(jac)
        for k in range(len(theta)):
            up, down = theta.copy(), theta.copy()
            up[k] += step
            down[k] -= step
            diff = residuals(state.obs, state.layout, up, state.weight) - residuals(
                state.obs, state.layout, down, state.weight
            )
            numeric[:, k] = diff / (2 * step)
        assert np.allclose(jac, numeric, rtol=1e-4, atol=1e-5), np.abs(jac - numeric).max()


def test_a_refit_without_points_gives_them_no_weight_and_moves_their_gpu():
    from calculator.estimator.fitting import fitted, refit

    result, state = fitted(CATALOG)
    gb200 = (state.obs.meta["gpu"] == "gb200").to_numpy()
    without = refit(state, gb200)
    assert not without.weight[gb200].any() and (without.weight[~gb200] == state.weight[~gb200]).all()
    assert not np.allclose(without.theta, state.theta)
    assert fitted(CATALOG)[0] is result  # the full fit is cached, not replaced by the refit


def test_the_fit_is_keyed_by_content_not_by_catalog_object():
    first = fit(CATALOG)
    same_content = dataclasses.replace(CATALOG, points=CATALOG.points.copy())
    assert fit(same_content) is first
    fewer = dataclasses.replace(CATALOG, points=CATALOG.points.iloc[:-1])
    assert fit(fewer) is not first and fit(fewer).n_points <= first.n_points
