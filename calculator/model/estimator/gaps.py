"""The estimates the CLI table and the app add where the data have gaps: each GAP_CONFIGS configuration (and each
reference configuration of a model a filter names) on every priced GPU that lacks data for it.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from calculator.data.catalog import Catalog, concat_points, normalise_points
from calculator.model.estimator.fitting import model_entries
from calculator.model.estimator.predict import estimate_points

Config = tuple[str, str, str, int | None]
# Configurations estimated on GPUs that have offers but no published or measured point for them: (model, mode,
# precision, block size), the ones the seed article asks about, and Llama-3.1-8B AR, the baseline with the most
# independent measurements. The CLI table and the app's Compare page both fill gaps with exactly these. Every precision
# NLD is shown at has its Qwen3-8B AR and EAGLE-3 baseline at that precision (a like-for-like comparison: an fp8 NLD
# against a bf16 baseline mixes the precision's gain into the mode's); on a GPU without fp8 tensor cores both sides are
# weight-only estimates, kept off the headline alike (weight_only).
GAP_CONFIGS: tuple[Config, ...] = (
    ("qwen3-8b", "ar", "bf16", None),
    ("qwen3-8b", "spec_eagle3", "bf16", None),
    ("qwen3-8b", "ar", "fp8", None),
    ("qwen3-8b", "spec_eagle3", "fp8", None),
    ("llama-3.1-8b", "ar", "bf16", None),
    ("nld-8b", "ar", "bf16", None),
    ("nld-8b", "diffusion", "bf16", 32),
    ("nld-8b", "self_spec", "bf16", 32),
    ("nld-8b", "self_spec", "fp8", 32),
)
GAP_CONCURRENCY: tuple[int, ...] = (1, 4, 16, 64)


def reference_configs(model: str) -> tuple[Config, ...]:
    """A model's reference configurations: AR bf16 and, where it serves them, self-speculation and diffusion bf16 at
    block 32 (what a models filter adds for a model outside GAP_CONFIGS); () without an architecture."""
    entry = model_entries(None).get(model)
    if entry is None:
        return ()
    out: list[Config] = [(model, "ar", "bf16", None)]
    for mode in ("self_spec", "diffusion"):
        if mode in entry.modes:
            out.append((model, mode, "bf16", 32))
    return tuple(out)


def gap_configs(models: Sequence[str] = ()) -> tuple[Config, ...]:
    """GAP_CONFIGS, plus the reference configurations of every model in `models` that GAP_CONFIGS lacks."""
    have = {m for m, *_ in GAP_CONFIGS}
    extra = [c for m in dict.fromkeys(models) if m not in have for c in reference_configs(m)]
    return GAP_CONFIGS + tuple(extra)


def gap_estimates(
    catalog: Catalog,
    points: pd.DataFrame,
    *,
    isl: int,
    osl: int,
    gpus: Sequence[str] = (),
    models: Sequence[str] = (),
    modes: Sequence[str] = (),
    precisions: Sequence[str] = (),
    concurrency: Sequence[int] = GAP_CONCURRENCY,
) -> pd.DataFrame:
    """Estimated points for each gap configuration (gap_configs(models)) on every priced GPU lacking data for it.

    `points` is what the user already has (bundled + uploads): a GPU with any point for a configuration's (model, mode,
    precision) keeps its data and gets no estimate for it. Empty filters mean "all". The rows keep the estimator's extra
    columns (basis, running_batch, weight_only, ...).
    """
    priced = set(catalog.prices["gpu"]) & {g.id for g in catalog.gpu_specs}
    frames = []
    for model, mode, precision, block in gap_configs(models):
        if (
            (models and model not in models)
            or (modes and mode not in modes)
            or (precisions and precision not in precisions)
        ):
            continue
        have = points[(points["model"] == model) & (points["mode"] == mode) & (points["precision"] == precision)]
        todo = sorted(g for g in priced - set(have["gpu"]) if not gpus or g in gpus)
        if todo:
            frames.append(
                estimate_points(
                    catalog,
                    todo,
                    model,
                    mode,
                    concurrency=concurrency or GAP_CONCURRENCY,
                    isl=isl,
                    osl=osl,
                    precision=precision,
                    block_size=block,
                )
            )
    if not frames:
        return normalise_points(points.iloc[0:0])
    return concat_points(frames)
