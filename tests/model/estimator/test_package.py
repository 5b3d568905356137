"""calculator/model/estimator/__init__.py: the public surface the app and the CLI import."""

from __future__ import annotations

import calculator.model.estimator as estimator

PUBLIC = {
    "estimate_points", "gap_estimates", "GAP_CONFIGS", "GAP_CONCURRENCY", "leave_one_out", "error_summary",
    "headline_errors", "summarise_headline", "fit", "FitResult", "ModeCalibration", "Efficiency", "DEFAULTS",
    "ModelCost", "model_cost", "forward_time_s", "peak_flops", "gpu_family", "GPU_FAMILIES", "fit_table",
    "describe_fit", "GROUPING_WORDS", "HEADLINE_COLUMNS", "LOO_COLUMNS", "EXTRA_COLUMNS",
    "TPF_PUBLISHED_CONTEXT_TOKENS", "BYTES_PER_PARAM", "KV_BYTES_PER_ELEMENT", "USABLE_MEMORY_FRACTION",
    "ESTIMATOR_VERSION", "SUMMARY_COLUMNS", "FORWARD_COLUMNS", "forward_estimates", "estimated_forward_ms",
    "weight_only", "ENGINE_CLASSES", "REFERENCE_ENGINE", "engine_class", "gap_configs", "reference_configs",
    "held_out_error", "held_out_errors", "HeldOutError", "GROUPINGS", "test_split_sources",
}  # fmt: skip


def test_the_package_exports_the_public_names_and_nothing_private():
    assert set(estimator.__all__) >= PUBLIC
    assert all(hasattr(estimator, name) for name in estimator.__all__)
    assert not [name for name in estimator.__all__ if name.startswith("_")]
