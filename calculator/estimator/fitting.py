"""The calibration fit: maximum a posteriori parameters for the catalog's observations (weighted log errors
plus priors, minimised by scipy's bounded least squares with the analytic Jacobian), cached by content.

Each point's residual is its weighted log error, sqrt(w) x log(predicted / actual) / σ with σ = 0.12 (reading
figures off plots, run-to-run noise) and w = 1 / sqrt(points in its profile), so a dense sweep counts more than one
point but not 8x; each parameter adds (θ - prior centre) / prior width (parameters.prior). The fit is a pure
function of the catalog and the model architectures; `fit` returns the FitResult, the package's modules share
the FitState behind it (observations, layout, θ, weights), and `refit` fits again without some points, starting
from the full fit (leave-one-out).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.optimize import least_squares

from calculator.catalog import Catalog, load_models
from calculator.estimator.observations import SPEC_MODES, Observations, observations
from calculator.estimator.parameters import Layout, bounds, efficiency_of, evaluate, layout_of, prior, theta_start
from calculator.estimator.result import DEFAULTS, FitResult, ModeCalibration
from calculator.estimator.roofline import FloatArray
from calculator.schema import ModelEntry

_SIGMA = 0.12  # expected log error of one point (reading figures off plots, run-to-run noise)
_MAX_EVALUATIONS = 2000
# Relative tolerances on the cost, the step and the gradient: converged, so a warm-started leave-one-out refit
# ends at the same optimum as a cold one (the hand-written solver's 1e-6 stop left refits short of it).
_TOLERANCE = 1e-10


@dataclass(frozen=True, eq=False)
class FitState:
    """The fit as the estimator's modules share it: the observations, θ's layout, the fitted θ and the weights
    it was fitted with (0 for points left out or not fittable). FitResult is its public summary."""

    obs: Observations
    layout: Layout
    theta: FloatArray
    weight: FloatArray


def point_weights(obs: Observations, drop: npt.NDArray[np.bool_] | None = None) -> FloatArray:
    """Each point weighs 1 / sqrt(points in its profile): a dense sweep counts more than one point, not 8x."""
    w = np.where(obs.in_fit, 1.0 / np.sqrt(np.maximum(obs.group_size, 1.0)), 0.0)
    if drop is not None:
        w = np.where(drop, 0.0, w)
    out: FloatArray = w
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
    analytic Jacobian and LSMR steps (θ has ~40 entries; the priors keep the problem well conditioned)."""
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
        ftol=_TOLERANCE,
        xtol=_TOLERANCE,
        gtol=_TOLERANCE,
        max_nfev=_MAX_EVALUATIONS,
    )
    out: FloatArray = np.asarray(solution.x, dtype=np.float64)
    return out


_ENGINE_NAMES = {"sglang": "SGLang", "vllm": "vLLM", "trt-llm": "TensorRT-LLM", "tensorrt-llm": "TensorRT-LLM"}


def _source_label(meta: pd.DataFrame, source: str) -> str:
    """A data source in words, e.g. "the B200 SGLang sweep (vendor-internal, pre-release checkpoint)"."""
    gpus = "/".join(g.upper() for g in sorted(pd.unique(meta["gpu"])))
    engines = "/".join(_ENGINE_NAMES.get(e.casefold(), e) for e in sorted(pd.unique(meta["engine"])) if e)
    kinds = ", ".join(k.replace("_", "-") for k in sorted(pd.unique(meta["provenance"])))
    sweep = bool((meta["concurrency"] > 1).any())
    what = "sweep" if sweep else "batch-1 figures"
    extra = ", pre-release checkpoint" if meta["source_notes"].str.contains("pre-release", case=False).any() else ""
    cite = source.split(" (http")[0] if not source.startswith("http") else ""
    return f"the {gpus} {engines} {what} ({kinds}{extra}{'; ' + cite if cite else ''})".replace("  ", " ")


def mode_calibrations(state: FitState) -> dict[str, ModeCalibration]:
    """Per speculative/diffusion mode with fitted serving points: the source estimates are calibrated to (the
    one with the most fitted points at concurrency > 1, a serving sweep; else the one with the most points),
    its fitted engine time per cycle and its measured TPF on SPEED-Bench (ModeCalibration)."""
    obs, layout, theta = state.obs, state.layout, state.theta
    meta = obs.meta
    if meta.empty:
        return {}
    _, _, _, _, mode_oh = layout.split(theta)
    offsets = layout.source_mode_offsets(theta)
    used = obs.serving & (state.weight > 0)
    out: dict[str, ModeCalibration] = {}
    for j, mode in enumerate(SPEC_MODES):
        sel = used & (meta["mode"] == mode).to_numpy()
        if not sel.any():
            continue
        src = obs.source[sel]
        sweep = obs.batch[sel] > 1
        counts = np.bincount(src[sweep] if sweep.any() else src, minlength=len(obs.sources))
        best = int(np.argmax(counts))
        rows = meta[sel & (obs.source == best)]
        tpf: dict[tuple[str, int, str], float] = {}
        stated = rows[rows["tpf_stated"].astype(bool) & rows["speed_bench"].astype(bool)]
        for (model, block, precision), g in stated.groupby(["model", "block_size", "precision"], dropna=False):
            if pd.notna(block):
                tpf[(str(model), int(block), str(precision))] = float(g["tpf"].mean())
        out[mode] = ModeCalibration(
            mode=mode,
            source=obs.sources[best],
            label=_source_label(meta[obs.source == best], obs.sources[best]),
            engine_ms=float(mode_oh[j] * math.exp(offsets[best, j])),
            gpus=tuple(sorted(pd.unique(rows["gpu"]))),
            points=len(rows),
            serving_sweep=bool((rows["concurrency"] > 1).any()),
            tpf=tpf,
        )
    return out


def _fit_result(state: FitState) -> FitResult:
    obs, layout, theta, weight = state.obs, state.layout, state.theta, state.weight
    g, fam, _, shared, mode_oh = layout.split(theta)
    offsets = layout.source_mode_offsets(theta)
    used = weight > 0
    unit_points = np.bincount(obs.unit[used], minlength=layout.n_units) if len(obs.unit) else np.zeros(0, dtype=int)
    ut = layout.unit_theta(theta)
    gpus = {u: efficiency_of(ut[i]) for i, u in enumerate(obs.units) if unit_points[i] > 0}
    by_gpu = {u: int(unit_points[i]) for i, u in enumerate(obs.units) if unit_points[i] > 0}
    by_family: dict[str, int] = {}
    for i, family in enumerate(obs.unit_family):
        by_family[family] = by_family.get(family, 0) + int(unit_points[i])
    families = {f: efficiency_of(g + fam[j]) for j, f in enumerate(layout.families) if by_family.get(f, 0) > 0}
    n = int(used.sum())
    sources_by_gpu: dict[str, dict[str, tuple[str, ...]]] = {}
    if len(obs.meta):
        served = obs.meta[used & obs.serving].assign(source=[obs.sources[i] for i in obs.source[used & obs.serving]])
        for (gpu, mode), rows in served.groupby(["gpu", "mode"]):
            sources_by_gpu.setdefault(str(gpu), {})[str(mode)] = tuple(dict.fromkeys(rows["source"]))
    return FitResult(
        defaults=DEFAULTS,
        pooled=efficiency_of(g) if n else DEFAULTS,
        families=families,
        gpus=gpus,
        fp8_gain=float(math.exp(shared[0])),
        draft_fraction={"draft_eagle3": float(math.exp(shared[1])), "draft_mtp": float(math.exp(shared[2]))},
        mode_overhead_ms={m: float(mode_oh[i]) for i, m in enumerate(SPEC_MODES)},
        source_mode_overhead_ms={
            src: {m: float(mode_oh[j] * math.exp(offsets[i, j])) for j, m in enumerate(SPEC_MODES)}
            for i, src in enumerate(obs.sources)
        },
        n_points=n,
        points_by_family={k: v for k, v in by_family.items() if v > 0},
        points_by_gpu=by_gpu,
        excluded=tuple(obs.excluded),
        calibration=mode_calibrations(state),
        mode_sources_by_gpu=sources_by_gpu,
    )


# ---------------------------------------------------------------------------------------------
# The content-keyed cache (the app calls fit on every page; the CLI once)

_FIT_CACHE: dict[str, tuple[FitResult, FitState]] = {}
_KEY_BY_IDENTITY: dict[int, tuple[Catalog, int, int, str]] = {}
_MODELS_CACHE: dict[str, ModelEntry] = {}


def _fingerprint(catalog: Catalog, models: Mapping[str, ModelEntry]) -> str:
    h = hashlib.sha256()
    h.update(pd.util.hash_pandas_object(catalog.points.astype(str), index=False).to_numpy().tobytes())
    for g in catalog.gpu_specs:
        h.update(g.model_dump_json().encode())
    for fc in catalog.forward_costs:
        h.update(fc.model_dump_json().encode())
    h.update(catalog.workloads.model_dump_json().encode())
    for m in models.values():
        h.update(m.model_dump_json().encode())
    return h.hexdigest()


def _catalog_key(catalog: Catalog, models: Mapping[str, ModelEntry]) -> str:
    """The content fingerprint, remembered per catalog object (the app keeps one catalog per session)."""
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
    """The fit of the catalog (and model architectures) and the state behind it, cached by content."""
    models = model_entries(models)
    key = _catalog_key(catalog, models) if models is _MODELS_CACHE else _fingerprint(catalog, models)
    if key not in _FIT_CACHE:
        obs = observations(catalog, models)
        layout = layout_of(obs)
        weight = point_weights(obs)
        state = FitState(obs, layout, solve(obs, layout, weight), weight)
        if len(_FIT_CACHE) > 16:
            _FIT_CACHE.clear()
        _FIT_CACHE[key] = (_fit_result(state), state)
    return _FIT_CACHE[key]


def fit(catalog: Catalog, models: Mapping[str, ModelEntry] | None = None) -> FitResult:
    """Fit η_bw, η_fl and overhead (pooled, per family, per GPU) and the shared terms to the catalog's points.

    A pure function of the catalog (and model architectures); results are cached by content.
    """
    return fitted(catalog, models)[0]


def refit(state: FitState, drop: npt.NDArray[np.bool_]) -> FitState:
    """The same fit without the observations in `drop` (their weight 0), started from `state`'s θ."""
    weight = point_weights(state.obs, drop)
    return FitState(state.obs, state.layout, solve(state.obs, state.layout, weight, state.theta), weight)
