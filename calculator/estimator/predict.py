"""Prediction with the fitted estimator: estimated profile points for any GPU, model, mode, concurrency and
context (with their basis in words), the gap-filling estimates the table and the app add, and observations.

Served throughput at concurrency B is B x a / cycle time, where the cycle's last target forward also carries
the B x a x ISL / OSL prompt tokens of the requests that replace finished ones (chunked prefill: their FLOPs
and KV writes join that forward's roofline); a speculative/diffusion cycle adds the serving calibration's engine
time per cycle and takes its TPF moved to what the calibration source measured (FitResult.calibration). TTFT =
t(1, ISL, prefix), a lone prefill (no queueing). fp8 on GPUs without fp8 tensor cores (A100, A10G) is modelled
as weight-only fp8 (fp8 weights read, bf16 compute). Every estimate is labelled "estimated" and carries its basis.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from calculator.catalog import Catalog, normalise_points
from calculator.estimator.fitting import FitState, fit, mode_calibrations, model_entries
from calculator.estimator.observations import SPEC_MODES, cycle_rows
from calculator.estimator.parameters import evaluate
from calculator.estimator.result import Efficiency, FitResult
from calculator.estimator.roofline import (
    BYTES_PER_PARAM,
    GB,
    FloatArray,
    ModelCost,
    forward_time_s,
    model_cost,
    peak_flops,
    row_times,
)
from calculator.modes import (
    DEFAULT_BLOCK_SIZE,
    MODEL_MODES,
    SPEED_BENCH,
    ForwardTimeFn,
    TpfChoice,
    accept_length_of,
    cycle_for,
    decode_tok_s,
    prefill_tokens_per_cycle,
    resolve_tpf,
)
from calculator.schema import Attention, GpuSpec, ModelEntry, WorkloadTable, slug

ESTIMATOR_VERSION = "1"
USABLE_MEMORY_FRACTION = 0.90  # of memory_gb: CUDA context, activations, graphs and fragmentation take the rest
TPF_PUBLISHED_CONTEXT_TOKENS = 4096
"""Prompt + output tokens covered by the published TPF tables (SPEED-Bench qualitative prompts of a few
hundred tokens with <= 1024 output tokens; the paper's benchmarks a few thousand). Beyond it TPF is assumed."""

EXTRA_COLUMNS = ["basis", "tpf_assumed", "tpf_source", "context_tokens", "memory_gb_required"]
_PER_GPU_COLUMNS = (
    "profile_id",
    "gpu",
    "source",
    "provenance_notes",
    "concurrency",
    "output_tok_s",
    "ttft_ms_p50",
    "tpot_ms_p50",
    "basis",
    "memory_gb_required",
)
_PER_GPU_NUMBERS = {"concurrency", "output_tok_s", "ttft_ms_p50", "tpot_ms_p50", "memory_gb_required"}
_ALGORITHMS = {"diffusion": "FastDiffuser", "self_spec": "LinearSpec", "spec_eagle3": "EAGLE3", "spec_mtp": "MTP"}
_MODE_WORDS = {
    "self_spec": "self-speculation",
    "diffusion": "diffusion",
    "spec_eagle3": "EAGLE-3",
    "spec_mtp": "MTP",
}


def predict_observations(state: FitState) -> FloatArray:
    """Each observation predicted the way estimate_points predicts: a speculative/diffusion point's engine time
    per cycle is the serving calibration's (of this fit), not its own data source's; its TPF is its own.
    Tok/s for serving observations, seconds for forward-surface ones."""
    _, _, _, _, mode_oh = state.layout.split(state.theta)
    cal = mode_calibrations(state)
    per_mode = np.zeros(len(SPEC_MODES) + 1)
    for j, mode in enumerate(SPEC_MODES):
        per_mode[j + 1] = cal[mode].engine_ms if mode in cal else float(mode_oh[j])
    return evaluate(state.obs, state.layout, state.theta, mode_overhead_s=per_mode[state.obs.mode_code] / 1e3)[0]


def _forward_time_fn(spec: GpuSpec, cost: ModelCost, eff: Efficiency, peak_flops_s: float) -> ForwardTimeFn:
    """t(B, q, L, attention) for one GPU, model cost and fitted efficiency (for Cycle.time_s)."""

    def t(b: FloatArray, q: FloatArray, context: FloatArray, attention: Attention) -> FloatArray:
        return forward_time_s(
            batch=b,
            query_tokens=q,
            context_tokens=context,
            block_attention=attention == "block",
            weight_bytes=cost.weight_bytes,
            kv_bytes_per_token=cost.kv_bytes_per_token,
            activation_bytes_per_token=cost.activation_bytes_per_token,
            dense_flops_per_token=cost.dense_flops_per_token,
            attention_flops_per_token_ctx=cost.attention_flops_per_token_ctx,
            hbm_bytes_s=spec.hbm_tb_s * 1e12,
            peak_flops_s=peak_flops_s,
            eta_bw=eff.eta_bw,
            eta_fl=eff.eta_fl,
            overhead_s=eff.overhead_ms / 1e3,
            overhead_per_seq_s=eff.overhead_per_seq_us / 1e6,
        )

    return t


def _cycle_time_s(rows: Mapping[str, npt.NDArray[Any]], n: int, eff: Efficiency, result: FitResult) -> FloatArray:
    """Σ count x scale x t over each batch size's forward rows, with one GPU's fitted parameters."""
    fp8 = rows["fp8"].astype(bool)
    gain = np.where(fp8, np.minimum(result.fp8_gain, rows["ratio"]), 1.0)
    fixed = eff.overhead_ms / 1e3 + rows["batch"] * eff.overhead_per_seq_us / 1e6
    t, _, _ = row_times(
        rows, eta_bw=np.full(len(fixed), eff.eta_bw), eta_fl=np.full(len(fixed), eff.eta_fl), fixed_s=fixed, gain=gain
    )
    scale = np.array([1.0, result.draft_fraction["draft_eagle3"], result.draft_fraction["draft_mtp"]])
    role = rows["role"].astype(np.int64)
    out = np.bincount(rows["obs"].astype(np.int64), weights=rows["count"] * scale[role] * t, minlength=n)
    return np.asarray(out, dtype=np.float64)


def _engine_basis(result: FitResult, gpu: str, mode: str) -> str:
    """The basis clause on the engine time per cycle (speculative/diffusion modes): where it comes from and
    whether this GPU has serving data of the mode."""
    if mode not in SPEC_MODES:
        return ""
    words = _MODE_WORDS.get(mode, mode)
    own = result.mode_sources_by_gpu.get(gpu, {}).get(mode, ())
    cal = result.calibration.get(mode)
    if cal is None:
        return (
            f"; no {words} serving data fitted on any GPU: engine time per cycle"
            f" {result.mode_overhead(mode):.1f} ms (the prior; unknown)"
        )
    carried = f"engine time per cycle ({cal.engine_ms:.1f} ms) and TPF carried from {cal.label}"
    if not own:
        return f"; no {words} serving data on this GPU; {carried}"
    if cal.source in own:
        return f"; engine time per cycle ({cal.engine_ms:.1f} ms) and TPF from this GPU's own data, {cal.label}"
    theirs = ", ".join(
        f"{src.split(' (http')[0]} ran {result.source_mode_overhead_ms.get(src, {}).get(mode, 0.0):.1f} ms"
        for src in own
    )
    return f"; this GPU's {words} data came from another engine build ({theirs} per cycle); {carried}"


def _serving_tpf(
    choice: TpfChoice,
    result: FitResult,
    table: WorkloadTable,
    model: str,
    mode: str,
    block_size: int | None,
    precision: str,
    lora: bool | None,
) -> TpfChoice:
    """The table's TPF moved to what the serving calibration measured: x (the calibration source's measured
    TPF on SPEED-Bench / the table's SPEED-Bench figure), for the closest (model, block, precision) it measured.
    On SPEED-Bench with an exact match this is the measured figure itself. Unchanged when nothing calibrates."""
    cal = result.calibration.get(mode)
    if cal is None or not cal.tpf:
        return choice
    block = block_size or (DEFAULT_BLOCK_SIZE if mode in ("diffusion", "self_spec") else None)

    def rank(key: tuple[str, int, str]) -> tuple[int, int, int]:
        return (key[0] != model, key[1] != block, key[2] != precision)

    best = min(cal.tpf, key=rank)
    ties = [k for k in cal.tpf if rank(k) == rank(best)]
    try:
        # The table's figure for what the source ran (its drafter setting is not stated: the default, LoRA on).
        references = [resolve_tpf(table, k[0], mode, block_size=k[1]).tokens_per_forward for k in ties]
    except LookupError:
        return choice
    measured = float(np.mean([cal.tpf[k] for k in ties]))
    table_figure = float(np.mean(references))
    factor = float(np.mean([cal.tpf[k] / r for k, r in zip(ties, references, strict=True)]))
    ref_model = best[0]
    value = choice.tokens_per_forward * factor
    if mode == "self_spec" and block is not None:
        value = min(value, block / 2.0)
    exact = rank(best) == (False, False, False) and len(ties) == 1 and lora is not False
    on_speed_bench = choice.workload == SPEED_BENCH
    blocks = "/".join(str(b) for b in sorted({k[1] for k in ties}))
    what = f"{ref_model} {'/'.join(sorted({k[2] for k in ties}))} block {blocks}"
    if on_speed_bench and exact:
        source = f"measured TPF {measured:.2f} ({what}, SPEED-Bench) in {cal.label}"
        return TpfChoice(value, accept_length_of(mode, value), source, False, choice.workload, choice.notes)
    source = (
        f"{choice.source}; x {factor:.3f} to SGLang serving: {cal.label} measured TPF {measured:.2f} ({what},"
        f" SPEED-Bench) vs the table's {table_figure:.2f}"
    )
    assumed = choice.assumed or (on_speed_bench and not exact)
    return TpfChoice(value, accept_length_of(mode, value), source, assumed, choice.workload, choice.notes)


def estimate_points(
    catalog: Catalog,
    gpus: Sequence[str],
    model: str,
    mode: str,
    *,
    concurrency: Sequence[int],
    isl: int,
    osl: int,
    context_tokens: int | None = None,
    precision: str = "bf16",
    block_size: int | None = None,
    tpf: float | None = None,
    workload: str | None = None,
    kv_precision: str = "bf16",
    lora: bool | None = None,
    fitted: FitResult | None = None,
    models: Mapping[str, ModelEntry] | None = None,
) -> pd.DataFrame:
    """Estimated profile points (one per GPU x concurrency that fits in memory), priceable like any other.

    Columns: catalog.POINTS_COLUMNS (provenance "estimated", source = the basis) plus basis, tpf_assumed
    (TPF not an exact table figure, or context + OSL beyond TPF_PUBLISHED_CONTEXT_TOKENS), tpf_source,
    context_tokens and memory_gb_required. Configurations that do not fit in GPU memory (weights + KV of
    B x (context + OSL + block) tokens within USABLE_MEMORY_FRACTION of memory_gb) are skipped and listed,
    with why, in `df.attrs["skipped"]`.

    context_tokens: KV tokens per sequence when decoding starts (a long conversation or document); defaults
    to ISL and is raised to ISL if smaller. The prefill computes the ISL new tokens attending to
    context - ISL cached ones; decode reads the KV of context + OSL/2 tokens on average.
    Raises ValueError (bad argument) or LookupError (no TPF figure for the workload).
    """
    model_map = model_entries(models)
    if model not in model_map:
        raise ValueError(f"unknown model {model!r}; known: {', '.join(sorted(model_map))}")
    entry = model_map[model]
    if mode not in MODEL_MODES:
        raise ValueError(f"unknown mode {mode!r}; the estimator models: {', '.join(MODEL_MODES)}")
    if mode != "ar" and mode not in entry.modes:
        raise ValueError(f"{model} does not serve {mode}; its modes: {', '.join(entry.modes)}")
    if block_size is not None and mode not in ("diffusion", "self_spec"):
        raise ValueError(f"a block size applies to diffusion and self_spec, not {mode}")
    if precision not in BYTES_PER_PARAM:
        raise ValueError(f"unknown precision {precision!r}; the estimator models: {', '.join(BYTES_PER_PARAM)}")
    conc = [int(c) for c in concurrency]
    if not conc or min(conc) < 1 or max(conc) > 1_000_000:
        raise ValueError(f"concurrency must be integers in 1..1000000, got {list(concurrency)!r}")
    if int(isl) < 1 or int(osl) < 1:
        raise ValueError(f"isl and osl must be >= 1 tokens, got isl={isl}, osl={osl}")
    if context_tokens is not None and int(context_tokens) < 0:
        raise ValueError(f"context_tokens must be >= 0, got {context_tokens}")
    specs = {g.id: g for g in catalog.gpu_specs}
    unknown = [g for g in gpus if g not in specs]
    if unknown or not gpus:
        raise ValueError(f"unknown gpu id(s) {', '.join(unknown) or '(none given)'}; known: {', '.join(specs)}")

    result = fitted or fit(catalog, model_map)
    choice: TpfChoice = resolve_tpf(
        catalog.workloads, model, mode, workload=workload, block_size=block_size, lora=lora, tpf=tpf
    )
    if tpf is None:
        choice = _serving_tpf(choice, result, catalog.workloads, model, mode, block_size, precision, lora)
    cycle = cycle_for(
        mode,
        tokens_per_forward=choice.tokens_per_forward,
        accept_length=choice.accept_length,
        block_size=block_size,
    )
    isl_i, osl_i = int(isl), int(osl)
    ctx = max(int(context_tokens) if context_tokens is not None else isl_i, isl_i)
    beyond = mode != "ar" and ctx + osl_i > TPF_PUBLISHED_CONTEXT_TOKENS
    tpf_assumed = mode != "ar" and (choice.assumed or beyond)
    cost = model_cost(entry.arch, precision, tied_embeddings=entry.tied_embeddings, kv_precision=kv_precision)
    draft_bytes = 0.05 * entry.arch.params * 2.0 if mode == "spec_eagle3" else 0.0
    batch = np.asarray(conc, dtype=np.float64)
    today = date.today().isoformat()

    frames: list[dict[str, Any]] = []
    skipped: list[str] = []
    for gpu in dict.fromkeys(gpus):
        spec = specs[gpu]
        eff, fit_basis = result.efficiency(spec)
        peak, peak_text = peak_flops(spec, cost.compute_class, result.fp8_gain)
        weight_only = cost.compute_class in ("fp8", "fp4") and not spec.fp8_tflops
        if weight_only:
            peak_text = (
                f"bf16: no fp8 tensor cores on {spec.id}, so {precision} is modelled as weight-only"
                f" (W8A16: {precision} weights read, bf16 compute, as Marlin kernels run it)"
            )

        rows = cycle_rows(
            cycle,
            batch,
            decode_context=ctx + osl_i / 2.0,
            prefill_tokens=prefill_tokens_per_cycle(batch, cycle.tokens_per_cycle, isl_i, osl_i),
            prefill_attention_context=(ctx - isl_i) + isl_i / 2.0,
            cost=cost,
            spec=spec,
        )
        cycle_s = _cycle_time_s(rows, len(batch), eff, result) + result.mode_overhead(mode) / 1e3
        output = decode_tok_s(batch, cycle.tokens_per_cycle, cycle_s)
        tpot_ms = cycle_s / cycle.tokens_per_cycle * 1e3
        t_fn = _forward_time_fn(spec, cost, eff, peak)
        prefill_s = t_fn(np.ones(1), np.full(1, float(isl_i)), np.full(1, float(ctx - isl_i)), "causal")
        ttft_ms = np.broadcast_to(prefill_s * 1e3, batch.shape)
        memory = (
            cost.memory_bytes + draft_bytes + batch * (ctx + osl_i + cycle.max_query_tokens) * cost.kv_bytes_per_token
        )
        capacity = USABLE_MEMORY_FRACTION * spec.memory_gb * GB
        fits = memory <= capacity
        if entry.max_context_tokens is not None and ctx + osl_i > entry.max_context_tokens:
            fits[:] = False
            skipped.append(f"{gpu}: context {ctx} + OSL {osl_i} exceeds {model}'s {entry.max_context_tokens} positions")
        for b_i, m_i in zip(batch[~fits & (memory > capacity)], memory[~fits & (memory > capacity)], strict=True):
            skipped.append(
                f"{gpu} concurrency {int(b_i)}: needs {m_i / GB:.1f} GB (weights + KV of {int(b_i)} x"
                f" {ctx + osl_i} tokens) > {capacity / GB:.1f} GB usable of {spec.memory_gb:g} GB"
            )
        basis = (
            f"estimated (roofline) on the {spec.id} spec ({spec.hbm_tb_s:g} TB/s, {spec.bf16_tflops:g} TFLOPS bf16,"
            f" peak {peak_text}); {eff.text()}, {fit_basis}; {mode} cycle: {cycle.description}"
            f"{_engine_basis(result, spec.id, mode)}; TPF {choice.tokens_per_forward:.2f} from {choice.source}"
            + (
                f"; context {ctx} + OSL {osl_i} beyond the published {TPF_PUBLISHED_CONTEXT_TOKENS}: TPF assumed"
                if beyond
                else ""
            )
        )
        n = int(fits.sum())
        if n == 0:
            continue
        notes = [f"TPF {'assumed' if tpf_assumed else 'from the tables'}", f"kv cache {kv_precision}"]
        if weight_only:
            notes.append(f"weight-only {precision} (no fp8 tensor cores: bf16 compute)")
        frames.append(
            {
                "profile_id": slug(
                    f"estimate-{gpu}-{model}-{precision}-{mode}" + (f"-b{cycle.block_size}" if cycle.block_size else "")
                )[:64],
                "gpu": gpu,
                "source": basis,
                "provenance_notes": "; ".join(notes),
                "concurrency": batch[fits].astype(np.int64),
                "output_tok_s": output[fits],
                "ttft_ms_p50": ttft_ms[fits],
                "tpot_ms_p50": tpot_ms[fits],
                "basis": basis,
                "memory_gb_required": memory[fits] / GB,
            }
        )
    # One frame for all GPUs (built column-wise: this runs on every slider move in the app).
    sizes = [len(f["concurrency"]) for f in frames]
    columns: dict[str, Any] = {
        k: np.concatenate([np.broadcast_to(np.asarray(f[k]), (n,)) for f, n in zip(frames, sizes, strict=True)])
        if frames
        else np.zeros(0, dtype=np.float64 if k in _PER_GPU_NUMBERS else object)
        for k in _PER_GPU_COLUMNS
    }
    output_all = columns["output_tok_s"]
    raw = pd.DataFrame(
        {
            **columns,
            "gpus_per_replica": 1,
            "engine": "estimator (roofline)",
            "engine_version": ESTIMATOR_VERSION,
            "model": model,
            "precision": precision,
            "mode": mode,
            "block_size": cycle.block_size,
            "lora": (lora if lora is not None else True) if mode == "self_spec" else None,
            "algorithm": _ALGORITHMS.get(mode, ""),
            "dataset": "SPEED-Bench" if (workload is None and tpf is None) else "",
            "category": workload or "",
            "isl": isl_i,
            "osl": osl_i,
            "provenance": "estimated",
            "as_of": today,
            "input_tok_s": output_all * isl_i / osl_i,
            "total_tok_s": output_all * (isl_i + osl_i) / osl_i,
            "e2e_ms_p50": columns["ttft_ms_p50"] + osl_i * columns["tpot_ms_p50"],
            "tokens_per_forward": cycle.tokens_per_forward,
            "accept_length": cycle.tokens_per_cycle if mode in ("self_spec", "spec_eagle3", "spec_mtp") else np.nan,
            "tpf_assumed": tpf_assumed,
            "tpf_source": choice.source,
            "context_tokens": ctx,
        },
        index=pd.RangeIndex(int(sum(sizes))),
    )
    out = normalise_points(raw)
    for c in EXTRA_COLUMNS:
        out[c] = raw[c].to_numpy()
    out["tpf_assumed"] = out["tpf_assumed"].astype(bool)
    out["memory_gb_required"] = out["memory_gb_required"].astype(np.float64)
    out["context_tokens"] = out["context_tokens"].astype(np.int64)
    out.attrs["skipped"] = skipped
    return out


# Configurations estimated on GPUs that have offers but no published or measured point for them:
# (model, mode, precision, block size), the ones the seed article asks about. The CLI table and the
# app's Compare page both fill gaps with exactly these.
GAP_CONFIGS: tuple[tuple[str, str, str, int | None], ...] = (
    ("qwen3-8b", "ar", "bf16", None),
    ("qwen3-8b", "spec_eagle3", "bf16", None),
    ("nld-8b", "ar", "bf16", None),
    ("nld-8b", "diffusion", "bf16", 32),
    ("nld-8b", "self_spec", "bf16", 32),
    ("nld-8b", "self_spec", "fp8", 32),
)
GAP_CONCURRENCY: tuple[int, ...] = (1, 4, 16, 64)


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
    """Estimated points for each GAP_CONFIGS entry on every priced GPU lacking data for it.

    `points` is what the user already has (bundled + uploads): a GPU with any point for a configuration's
    (model, mode, precision) keeps its data and gets no estimate for it. Empty filters mean "all".
    """
    priced = set(catalog.prices["gpu"])
    frames = []
    for model, mode, precision, block in GAP_CONFIGS:
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
    return normalise_points(pd.concat(frames, ignore_index=True))
