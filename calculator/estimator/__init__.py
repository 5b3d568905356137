"""Forward-pass cost estimator (a calibrated roofline) and throughput estimates for any GPU, mode,
concurrency and context, with its own leave-one-out error (DESIGN.md §6); this is its public surface.

Shaped like a scikit-learn estimator: `fit` returns a fitted object (FitResult), prediction asks it pure
questions (`estimate_points`), and validation (`leave_one_out`) only calls fit and predict. One module each:

- roofline.py      the forward-time model t(B, q, L): bytes, FLOPs, peak FLOP/s, GPU families
- observations.py  catalog points and forward surfaces as observations and rows of forwards
- result.py        the fitted object: Efficiency, DEFAULTS, ModeCalibration, FitResult
- parameters.py    the parameter vector θ: layout, priors, bounds, predictions and analytic Jacobian
- fitting.py       the calibration fit: residuals, solver (scipy least_squares), content-keyed cache
- predict.py       estimate_points, its basis text and TPF calibration, gap_estimates
- validation.py    leave-one-out, error summaries, headline errors, fit tables
"""

from __future__ import annotations

from calculator.estimator.fitting import fit
from calculator.estimator.predict import (
    ESTIMATOR_VERSION,
    EXTRA_COLUMNS,
    GAP_CONCURRENCY,
    GAP_CONFIGS,
    TPF_PUBLISHED_CONTEXT_TOKENS,
    USABLE_MEMORY_FRACTION,
    estimate_points,
    gap_estimates,
)
from calculator.estimator.result import DEFAULTS, Efficiency, FitResult, ModeCalibration
from calculator.estimator.roofline import (
    BYTES_PER_PARAM,
    GPU_FAMILIES,
    KV_BYTES_PER_ELEMENT,
    ModelCost,
    forward_time_s,
    gpu_family,
    model_cost,
    peak_flops,
)
from calculator.estimator.validation import (
    GROUPING_WORDS,
    HEADLINE_COLUMNS,
    LOO_COLUMNS,
    describe_fit,
    error_summary,
    fit_table,
    headline_errors,
    leave_one_out,
    summarise_headline,
)

__all__ = [
    "BYTES_PER_PARAM",
    "DEFAULTS",
    "ESTIMATOR_VERSION",
    "EXTRA_COLUMNS",
    "GAP_CONCURRENCY",
    "GAP_CONFIGS",
    "GPU_FAMILIES",
    "GROUPING_WORDS",
    "HEADLINE_COLUMNS",
    "KV_BYTES_PER_ELEMENT",
    "LOO_COLUMNS",
    "TPF_PUBLISHED_CONTEXT_TOKENS",
    "USABLE_MEMORY_FRACTION",
    "Efficiency",
    "FitResult",
    "ModeCalibration",
    "ModelCost",
    "describe_fit",
    "error_summary",
    "estimate_points",
    "fit",
    "fit_table",
    "forward_time_s",
    "gap_estimates",
    "gpu_family",
    "headline_errors",
    "leave_one_out",
    "model_cost",
    "peak_flops",
    "summarise_headline",
]
