"""The calibration fit: maximum a posteriori parameters for the catalog's observations (weighted log errors plus
priors, minimised by scipy's bounded least squares with the analytic Jacobian), cached by content in memory and on disk.

Each point's residual is its weighted log error, sqrt(w) x log(predicted / actual) / σ with σ = 0.12 (reading figures
off plots, run-to-run noise) and w = 1 / sqrt(points in its group), a group being one source's points of one GPU, mode
and kind, so a dense sweep counts more than one point but not 8x; each parameter adds (θ - prior centre) / prior width
(parameters.prior). The fit is a pure function of the catalog and the model architectures; `fit` returns the FitResult,
the package's modules share the FitState behind it (observations, layout, θ, weights), and `refit` fits again without
some points, starting from the full fit (leave-one-out).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.optimize import least_squares

from calculator.data.catalog import Catalog, load_models
from calculator.data.schema import ModelEntry
from calculator.model.estimator import cache
from calculator.model.estimator.engines import REFERENCE_ENGINE, carried_offsets
from calculator.model.estimator.observations import SPEC_MODES, Observations, observations
from calculator.model.estimator.parameters import (
    K,
    Layout,
    bounds,
    evaluate,
    layout_of,
    mode_engine_terms,
    prior,
    source_mode_ms,
    source_multiplier,
    theta_start,
)
from calculator.model.estimator.result import DEFAULTS, FitResult, ModeCalibration
from calculator.model.estimator.roofline import FloatArray

_SIGMA = 0.12  # expected log error of one point (reading figures off plots, run-to-run noise)
_MAX_EVALUATIONS = 2000
# Relative tolerances on the cost, the step and the gradient, and of LSMR's inner solve of each trust-region step.
# LSMR's own defaults (atol = btol = 1e-6) leave each step inexact by ~1e-6; near the optimum, where the steps are that
# small, the outer loop then stops on "cost reduction < ftol" wherever the inexact steps stall, and where that is
# depends on the BLAS kernel's rounding: leave-one-out refits moved by up to 0.18 % between OpenBLAS's SkylakeX and
# Haswell kernels (issue 19). With the inner solve at 1e-14 the steps are exact to rounding and every refit ends at the
# optimum: predictions agree to ~1e-6 across kernels (tests/estimator/test_fitting.py).
_TOLERANCE = 1e-12
_LSMR_TOLERANCE = 1e-14


@dataclass(frozen=True, eq=False)
class FitState:
    """The fit as the estimator's modules share it: the observations, θ's layout, the fitted θ and the weights it was
    fitted with (0 for points left out or not fittable). FitResult is its public summary."""

    obs: Observations
    layout: Layout
    theta: FloatArray
    weight: FloatArray


def point_weights(obs: Observations, drop: npt.NDArray[np.bool_] | None = None) -> FloatArray:
    """Each point weighs 1 / sqrt(points in its group: one source's points of one GPU, mode and kind)."""
    sizes = np.bincount(obs.weight_group, weights=obs.in_fit.astype(np.float64)) if len(obs.actual) else np.zeros(0)
    w = np.where(obs.in_fit, 1.0 / np.sqrt(np.maximum(sizes[obs.weight_group], 1.0)), 0.0) if len(sizes) else sizes
    if drop is not None:
        w = np.where(drop, 0.0, w)
    out: FloatArray = np.asarray(w, dtype=np.float64)
    return out


def residuals(obs: Observations, layout: Layout, theta: FloatArray, weight: FloatArray) -> FloatArray:
    """Weighted log errors of the points, then the prior terms (θ - centre) / width."""
    pred, _ = evaluate(obs, layout, theta)
    centre, width = prior(layout)
    out: FloatArray = np.concatenate([np.sqrt(weight) * np.log(pred / obs.actual) / _SIGMA, (theta - centre) / width])
    return out


def residual_jacobian(obs: Observations, layout: Layout, theta: FloatArray, weight: FloatArray) -> FloatArray:
    """d residuals / dθ, from the model's analytic d log(prediction) / dθ (parameters.evaluate)."""
    _, jac = evaluate(obs, layout, theta, jacobian=True)
    assert jac is not None
    _, width = prior(layout)
    out: FloatArray = np.vstack([(np.sqrt(weight) / _SIGMA)[:, None] * jac, np.diag(1.0 / width)])
    return out


def solve(obs: Observations, layout: Layout, weight: FloatArray, theta0: FloatArray | None = None) -> FloatArray:
    """Minimise ½ Σ residuals² within the bounds: scipy.optimize.least_squares, trust-region reflective with the
    analytic Jacobian and LSMR steps (the priors keep the problem well conditioned)."""
    lo, hi = bounds(layout)
    theta = np.clip(theta_start(layout) if theta0 is None else theta0, lo, hi)
    if not np.any(weight > 0):
        return theta
    solution = least_squares(
        lambda x: residuals(obs, layout, x, weight),
        theta,
        jac=lambda x: residual_jacobian(obs, layout, x, weight),
        bounds=(lo, hi),
        method="trf",
        tr_solver="lsmr",  # not an SVD per step: the same optimum, and no threaded LAPACK call on a busy machine
        tr_options={"atol": _LSMR_TOLERANCE, "btol": _LSMR_TOLERANCE},
        ftol=_TOLERANCE,
        xtol=_TOLERANCE,
        gtol=_TOLERANCE,
        max_nfev=_MAX_EVALUATIONS,
    )
    out: FloatArray = np.asarray(solution.x, dtype=np.float64)
    return out


def carry_unfitted_engines(state: FitState) -> FloatArray:
    """θ with each engine class that has no fitted point (a generation held out) given what an estimate for it gets
    (engines.carried_offsets: a fitted sibling generation's offsets with its host time scaled; its request overhead)."""
    layout, obs = state.layout, state.obs
    theta = state.theta.copy()
    weight_by_engine = np.bincount(obs.engine, weights=state.weight, minlength=len(layout.engines))
    fitted_offsets = {
        e: tuple(float(x) for x in layout.engine_offset(theta, i))
        for i, e in enumerate(layout.engines)
        if weight_by_engine[i] > 0
    }
    for i, e in enumerate(layout.engines):
        if e in fitted_offsets:
            continue
        offsets, source = carried_offsets(e, fitted_offsets)
        if source is None:
            continue
        start = K * (1 + len(layout.families) + i)
        theta[start : start + K] = offsets
        theta[layout.ttft_start + i] = theta[layout.ttft_start + layout.engines.index(source)]
    return theta


_ENGINE_NAMES = {"sglang": "SGLang", "vllm": "vLLM", "trt-llm": "TensorRT-LLM", "tensorrt-llm": "TensorRT-LLM"}


def _source_label(meta: pd.DataFrame, source: str) -> str:
    """A data source in words, e.g. "the B200 SGLang sweep (vendor-internal, pre-release checkpoint)"."""
    gpus = "/".join(g.upper() for g in sorted(pd.unique(meta["gpu"])))
    engines = "/".join(_ENGINE_NAMES.get(e.casefold(), e) for e in sorted(pd.unique(meta["engine"])) if e)
    kinds = ", ".join(k.replace("_", "-") for k in sorted(pd.unique(meta["provenance"])))
    models = "/".join(m.upper().replace("NLD-", "NLD-") for m in sorted(pd.unique(meta["model"])))
    sweep = bool((meta["concurrency"] > 1).any())
    what = "sweep" if sweep else "batch-1 figures"
    extra = ", pre-release checkpoint" if meta["source_notes"].str.contains("pre-release", case=False).any() else ""
    cite = source.split(" (http")[0] if not source.startswith("http") else ""
    return f"the {gpus} {engines} {models} {what} ({kinds}{extra}{'; ' + cite if cite else ''})".replace("  ", " ")


def mode_calibrations(state: FitState) -> dict[str, ModeCalibration]:
    """Per speculative/diffusion mode with fitted serving points: the sources estimates are calibrated to (those with
    fitted points at concurrency > 1, the serving sweeps; else the one with the most points), their point-weighted
    geometric-mean engine time per cycle and the TPF they measured on SPEED-Bench (ModeCalibration)."""
    obs, layout, theta = state.obs, state.layout, state.theta
    meta = obs.meta
    if meta.empty:
        return {}
    used = np.isin(obs.kind, (0, 3)) & (state.weight > 0)
    out: dict[str, ModeCalibration] = {}
    for j, mode in enumerate(SPEC_MODES):
        sel = used & (meta["mode"] == mode).to_numpy()
        if not sel.any():
            continue
        sweep = sel & (obs.batch > 1)
        counts = np.bincount(obs.source[sweep if sweep.any() else sel], minlength=len(obs.sources))
        chosen = np.flatnonzero(counts) if sweep.any() else np.array([int(np.argmax(counts))])
        chosen = chosen[np.argsort(-counts[chosen], kind="stable")]
        ms = np.array([source_mode_ms(layout, theta, int(s), j + 1) for s in chosen])
        mult = np.array([source_multiplier(layout, theta, int(s), j + 1) for s in chosen])
        weights = counts[chosen].astype(np.float64)
        pooled = np.exp(np.sum(weights[:, None] * np.log(mult), axis=0) / weights.sum())
        fixed_ms, us_per_seq = mode_engine_terms(layout, theta, j + 1)
        rows = meta[sel & np.isin(obs.source, chosen)]
        tpf: dict[tuple[str, int, str], float] = {}
        stated = rows[rows["tpf_stated"].astype(bool) & rows["speed_bench"].astype(bool)]
        for key, g in stated.groupby(["model", "block_size", "precision"], dropna=False):
            model, block, precision = cast(tuple[Any, Any, Any], key)
            if pd.notna(block):
                tpf[(str(model), int(block), str(precision))] = float(g["tpf"].mean())
        labels = [_source_label(meta[obs.source == s], obs.sources[s]) for s in chosen]
        by_model: dict[str, tuple[float, float]] = {}
        for model in sorted(pd.unique(meta.loc[sel & np.isin(obs.source, chosen), "model"])):
            own = np.array(
                [bool(((obs.source == s) & sel & (meta["model"] == model).to_numpy()).any()) for s in chosen]
            )
            m_w = weights * own
            m_pool = np.exp(np.sum(m_w[:, None] * np.log(mult), axis=0) / m_w.sum())
            by_model[str(model)] = (fixed_ms * float(m_pool[0]), us_per_seq * float(m_pool[1]))
        out[mode] = ModeCalibration(
            mode=mode,
            source=obs.sources[int(chosen[0])],
            label=" and ".join(labels),
            engine_ms=fixed_ms * float(pooled[0]),
            engine_us_per_seq=us_per_seq * float(pooled[1]),
            gpus=tuple(sorted(pd.unique(rows["gpu"]))),
            points=len(rows),
            serving_sweep=bool((rows["concurrency"] > 1).any()),
            tpf=tpf,
            sources=tuple(obs.sources[int(s)] for s in chosen),
            source_ms=tuple(float(x) for x in ms),
            by_model=by_model,
        )
    return out


def _fit_result(state: FitState) -> FitResult:
    obs, layout, theta, weight = state.obs, state.layout, state.theta, state.weight
    used = weight > 0
    meta = obs.meta

    def counts(codes: npt.NDArray[np.int64], names: list[str]) -> dict[str, int]:
        c = np.bincount(codes[used], minlength=len(names)) if len(codes) else np.zeros(0, dtype=np.int64)
        return {n: int(c[i]) for i, n in enumerate(names) if c[i] > 0}

    by_family, by_engine, by_gpu = counts(obs.family, obs.families), counts(obs.engine, obs.engines), {}
    if len(meta):
        by_gpu = {str(k): int(v) for k, v in meta[used]["gpu"].value_counts().items()}
    gpus_by_family = {
        str(f): tuple(sorted(pd.unique(g["gpu"]))) for f, g in meta[used].groupby("family")
    } if len(meta) else {}  # fmt: skip
    sources_by_gpu: dict[str, dict[str, tuple[str, ...]]] = {}
    if len(meta):
        served = meta[used & np.isin(obs.kind, (0, 3))]
        for (gpu, mode), rows in served.groupby(["gpu", "mode"]):
            sources_by_gpu.setdefault(str(gpu), {})[str(mode)] = tuple(dict.fromkeys(rows["source_text"]))
    n = int(used.sum())
    shared = theta[layout.shared_start : layout.shared_start + 5]
    source_modes: dict[str, dict[str, float]] = {}
    for s, m in layout.source_modes:
        source_modes.setdefault(obs.sources[s], {})[SPEC_MODES[m - 1]] = source_mode_ms(layout, theta, s, m)
    return FitResult(
        defaults=DEFAULTS,
        theta_pooled=tuple(float(x) for x in layout.pooled(theta)),
        theta_family={
            f: tuple(float(x) for x in layout.family_offset(theta, i))
            for i, f in enumerate(layout.families)
            if f in by_family
        },
        theta_engine={
            e: tuple(float(x) for x in layout.engine_offset(theta, i))
            for i, e in enumerate(layout.engines)
            if e in by_engine
        },
        reference_engine=REFERENCE_ENGINE,
        fp8_gain=float(math.exp(shared[0])),
        weight_only_factor={8: float(math.exp(shared[3])), 4: float(math.exp(shared[4]))},
        draft_fraction={"draft_eagle3": float(math.exp(shared[1])), "draft_mtp": float(math.exp(shared[2]))},
        mode_overhead_ms={m: mode_engine_terms(layout, theta, i + 1)[0] for i, m in enumerate(SPEC_MODES)},
        mode_overhead_us_per_seq={m: mode_engine_terms(layout, theta, i + 1)[1] for i, m in enumerate(SPEC_MODES)},
        source_mode_overhead_ms=source_modes,
        ttft_overhead_ms={
            e: float(math.exp(theta[layout.ttft_start + i])) for i, e in enumerate(layout.engines) if e in by_engine
        },
        forward_overhead_factor={
            obs.sources[s]: float(math.exp(theta[layout.forward_start + i]))
            for i, s in enumerate(layout.forward_sources)
        },
        forward_engines={
            obs.sources[s]: obs.engines[int(obs.engine[np.flatnonzero(obs.source == s)[0]])]
            for s in layout.forward_sources
        },
        forward_points={
            obs.sources[s]: int(((obs.source == s) & (obs.kind == 1) & used).sum()) for s in layout.forward_sources
        },
        n_points=n,
        points_by_family=by_family,
        points_by_gpu=by_gpu,
        points_by_engine=by_engine,
        generations_by_engine={
            e: tuple(sorted(pd.unique(obs.meta["generation"][(obs.engine == i) & used & obs.serving])))
            for i, e in enumerate(obs.engines)
            if e in by_engine
        },
        excluded=tuple(obs.excluded),
        calibration=mode_calibrations(state),
        mode_sources_by_gpu=sources_by_gpu,
        gpus_by_family=gpus_by_family,
    )


# ---------------------------------------------------------------------------------------------
# The content-keyed cache (the app calls fit on every page; the CLI once): in memory, then on disk

_FIT_CACHE: dict[str, FitResult] = {}
_STATE_CACHE: dict[str, FitState] = {}
_KEY_BY_IDENTITY: dict[int, tuple[Catalog, int, int, str]] = {}
_MODELS_CACHE: dict[str, ModelEntry] = {}


def _fingerprint(catalog: Catalog, models: Mapping[str, ModelEntry]) -> str:
    h = hashlib.sha256()
    points = catalog.points.astype(str)
    if "file" in points.columns:  # the same data from another checkout folder is the same data
        points["file"] = [Path(f).name for f in points["file"]]
    h.update(pd.util.hash_pandas_object(points, index=False).to_numpy().tobytes())
    for g in catalog.gpu_specs:
        h.update(g.model_dump_json().encode())
    for p in catalog.profiles:
        if p.kv_cache_precision:
            h.update(f"{p.id}:{p.kv_cache_precision}".encode())
    for fc in catalog.forward_costs:
        h.update(fc.model_dump_json().encode())
    h.update(catalog.workloads.model_dump_json().encode())
    for m in models.values():
        h.update(m.model_dump_json().encode())
    return h.hexdigest()


def catalog_key(catalog: Catalog, models: Mapping[str, ModelEntry] | None = None) -> str:
    """The content fingerprint of a catalog and model architectures, remembered per catalog object."""
    models = model_entries(models)
    if models is not _MODELS_CACHE:
        return _fingerprint(catalog, models)
    hit = _KEY_BY_IDENTITY.get(id(catalog))
    if hit is not None and hit[0] is catalog and hit[1:3] == (len(catalog.points), len(catalog.forward_costs)):
        return hit[3]
    key = _fingerprint(catalog, models)
    if len(_KEY_BY_IDENTITY) > 32:
        _KEY_BY_IDENTITY.clear()
    _KEY_BY_IDENTITY[id(catalog)] = (catalog, len(catalog.points), len(catalog.forward_costs), key)
    return key


def model_entries(models: Mapping[str, ModelEntry] | None) -> Mapping[str, ModelEntry]:
    """The given model architectures, else the bundled models.yaml (loaded once)."""
    if models is not None:
        return models
    if not _MODELS_CACHE:
        _MODELS_CACHE.update(load_models())
    return _MODELS_CACHE


def fitted(catalog: Catalog, models: Mapping[str, ModelEntry] | None = None) -> tuple[FitResult, FitState]:
    """The fit of the catalog (and model architectures) and the state behind it, cached by content (θ on disk)."""
    models = model_entries(models)
    key = catalog_key(catalog, models)
    if key not in _STATE_CACHE:
        obs = observations(catalog, models)
        layout = layout_of(obs)
        weight = point_weights(obs)
        stored = cache.load(key, "theta")
        theta = np.asarray(stored, dtype=np.float64) if isinstance(stored, list) else None
        if theta is None or theta.shape != (layout.n_theta,):
            theta = solve(obs, layout, weight)
            cache.save(key, "theta", [float(x) for x in theta])
        state = FitState(obs, layout, theta, weight)
        if len(_STATE_CACHE) > 16:
            _STATE_CACHE.clear()
        _STATE_CACHE[key] = state
        if key not in _FIT_CACHE:
            _FIT_CACHE[key] = _fit_result(state)
            cache.save(key, "fit", _FIT_CACHE[key].to_dict())
    return fit(catalog, models), _STATE_CACHE[key]


def fit(catalog: Catalog, models: Mapping[str, ModelEntry] | None = None) -> FitResult:
    """Fit η_bw, η_fl and overheads (pooled, per GPU family, per engine class) and the shared terms to the catalog's
    points. A pure function of the catalog (and model architectures); cached by content, in memory and on disk."""
    models = model_entries(models)
    key = catalog_key(catalog, models)
    if key in _FIT_CACHE:
        return _FIT_CACHE[key]
    stored = cache.load(key, "fit")
    if isinstance(stored, dict):
        try:
            result = FitResult.from_dict(stored)
        except (KeyError, TypeError, ValueError):
            result = None
        if result is not None:
            if len(_FIT_CACHE) > 16:
                _FIT_CACHE.clear()
            _FIT_CACHE[key] = result
            return result
    return fitted(catalog, models)[0]


def refit(state: FitState, drop: npt.NDArray[np.bool_]) -> FitState:
    """The same fit without the observations in `drop` (their weight 0), started from `state`'s θ."""
    weight = point_weights(state.obs, drop)
    return FitState(state.obs, state.layout, solve(state.obs, state.layout, weight, state.theta), weight)


__all__ = ["FitState", "K", "catalog_key", "fit", "fitted", "mode_calibrations", "model_entries", "refit", "solve"]
