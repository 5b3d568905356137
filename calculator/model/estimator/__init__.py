"""Forward-pass cost estimator (a calibrated roofline) and throughput estimates for any GPU, mode, concurrency, context
and engine, with its own leave-one-out error (DESIGN.md §6); this is its public surface.

Shaped like a scikit-learn estimator: `fit` returns a fitted object (FitResult), prediction asks it pure questions
(`estimate_points`, `forward_estimates`), and validation (`leave_one_out`) only calls fit and predict. One module each:

- roofline.py      the forward-time model t(B, q, L): bytes, FLOPs, peak FLOP/s, GPU families, weight-only precisions
- engines.py       engine classes (SGLang, vLLM V0/V1, TensorRT-LLM, ...) and the reference engine of estimates
- serving.py       KV-cache capacity (the running batch), queueing and time to first token under load
- observations.py  catalog points and forward surfaces as observations and rows of forwards
- result.py        the fitted object: Efficiency, DEFAULTS, ModeCalibration, FitResult
- parameters.py    the parameter vector θ: layout, priors, bounds, predictions and analytic Jacobian
- fitting.py       the calibration fit: residuals, solver (scipy least_squares), content-keyed cache
- cache.py         the on-disk cache of fits and leave-one-out tables (JSON, keyed by data and code)
- predict.py       estimate_points at one block size, its basis text and TPF calibration
- blocks.py        estimate_points with block_size="auto": the self-speculation block per operating point
- gaps.py          GAP_CONFIGS and gap_estimates (estimates where the data have gaps)
- forward.py       forward_estimates: the bare-forward device time (estimate --forward)
- validation.py    leave-one-out, error summaries, headline errors, fit tables
"""

from __future__ import annotations

from calculator.model.estimator.blocks import AUTO_BLOCKS, estimate_points
from calculator.model.estimator.engines import ENGINE_CLASSES, REFERENCE_ENGINE, engine_class
from calculator.model.estimator.fitting import fit
from calculator.model.estimator.forward import FORWARD_COLUMNS, estimated_forward_ms, forward_estimates
from calculator.model.estimator.gaps import GAP_CONCURRENCY, GAP_CONFIGS, gap_configs, gap_estimates, reference_configs
from calculator.model.estimator.predict import (
    ESTIMATOR_VERSION,
    EXTRA_COLUMNS,
    TPF_PUBLISHED_CONTEXT_TOKENS,
    USABLE_MEMORY_FRACTION,
)
from calculator.model.estimator.result import DEFAULTS, Efficiency, FitResult, ModeCalibration
from calculator.model.estimator.roofline import (
    BYTES_PER_PARAM,
    GPU_FAMILIES,
    KV_BYTES_PER_ELEMENT,
    ModelCost,
    forward_time_s,
    gpu_family,
    model_cost,
    peak_flops,
    weight_only,
)
from calculator.model.estimator.validation import (
    GROUPING_WORDS,
    GROUPINGS,
    HEADLINE_COLUMNS,
    LOO_COLUMNS,
    SUMMARY_COLUMNS,
    HeldOutError,
    describe_fit,
    error_summary,
    fit_table,
    headline_errors,
    held_out_error,
    held_out_errors,
    leave_one_out,
    summarise_headline,
    test_split_sources,
)

__all__ = [
    "AUTO_BLOCKS",
    "BYTES_PER_PARAM",
    "DEFAULTS",
    "ENGINE_CLASSES",
    "ESTIMATOR_VERSION",
    "EXTRA_COLUMNS",
    "FORWARD_COLUMNS",
    "GAP_CONCURRENCY",
    "GAP_CONFIGS",
    "GPU_FAMILIES",
    "GROUPINGS",
    "GROUPING_WORDS",
    "HEADLINE_COLUMNS",
    "KV_BYTES_PER_ELEMENT",
    "LOO_COLUMNS",
    "REFERENCE_ENGINE",
    "SUMMARY_COLUMNS",
    "TPF_PUBLISHED_CONTEXT_TOKENS",
    "USABLE_MEMORY_FRACTION",
    "Efficiency",
    "FitResult",
    "HeldOutError",
    "ModeCalibration",
    "ModelCost",
    "describe_fit",
    "engine_class",
    "error_summary",
    "estimate_points",
    "estimated_forward_ms",
    "fit",
    "fit_table",
    "forward_estimates",
    "forward_time_s",
    "gap_configs",
    "gap_estimates",
    "gpu_family",
    "headline_errors",
    "held_out_error",
    "held_out_errors",
    "leave_one_out",
    "model_cost",
    "peak_flops",
    "reference_configs",
    "summarise_headline",
    "test_split_sources",
    "weight_only",
]
