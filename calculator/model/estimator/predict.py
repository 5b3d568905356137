"""Prediction with the fitted estimator: estimated profile points for any GPU, model, mode, concurrency and context
(with their basis in words), and every observation predicted the way an estimate is made (for validation).

Served throughput at concurrency B is R x a / cycle time at the running batch R = min(B, KV capacity) (serving.py):
an engine runs what its KV cache holds and queues the rest. The cycle's last target forward also carries the
R x a x ISL / OSL prompt tokens of the requests that replace finished ones (chunked prefill); a speculative or diffusion
cycle adds the serving calibration's engine time per cycle and takes its TPF moved to what the calibration sources
measured (FitResult.calibration). TTFT = queue wait + half a cycle of the running batch + the forward that carries the
new prompt alongside the running batch + the engine's request overhead; it grows with concurrency. fp8/fp4 on GPUs
without those tensor cores is modelled as weight-only (column weight_only). Every estimate is labelled "estimated" and
carries its basis; estimates are for the reference engine (SGLang) unless another is asked for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from calculator.data.catalog import Catalog, normalise_points
from calculator.data.schema import GpuSpec, ModelEntry, WorkloadTable, slug
from calculator.model.estimator.engines import ENGINE_CLASSES, engine_words, mixes_prefill
from calculator.model.estimator.fitting import FitState, carry_unfitted_engines, fit, mode_calibrations, model_entries
from calculator.model.estimator.observations import SPEC_MODES, cycle_rows
from calculator.model.estimator.parameters import evaluate, mode_engine_terms
from calculator.model.estimator.result import Efficiency, FitResult
from calculator.model.estimator.roofline import (
    BYTES_PER_PARAM,
    GB,
    FloatArray,
    bandwidth_text,
    dominates,
    model_cost,
    peak_flops,
    row_times,
    weight_only,
    weight_only_bits,
)
from calculator.model.estimator.serving import (
    USABLE_MEMORY_FRACTION,
    admission_words,
    admits_on_current_length,
    default_kv_precision,
    kv_capacity_sequences,
    kv_tokens_per_sequence,
    queue_wait_s,
    running_batch,
    usable_bytes,
)
from calculator.model.modes import (
    DEFAULT_BLOCK_SIZE,
    MODEL_MODES,
    SPEED_BENCH,
    Cycle,
    Forward,
    TpfChoice,
    accept_length_of,
    cycle_for,
    decode_context_tokens,
    decode_tok_s,
    mean_decode_kv_tokens,
    prefill_tokens_per_cycle,
    resolve_tpf,
)

ESTIMATOR_VERSION = "2"
TPF_PUBLISHED_CONTEXT_TOKENS = 4096
"""Prompt + output tokens covered by the published TPF tables (SPEED-Bench qualitative prompts of a few
hundred tokens with <= 1024 output tokens; the paper's benchmarks a few thousand). Beyond it TPF is assumed."""

EXTRA_COLUMNS = [
    "basis", "tpf_assumed", "tpf_source", "context_tokens", "memory_gb_required", "running_batch", "queue_ms",
    "weight_only",
]  # fmt: skip
"""Columns estimates carry beyond the points table: running_batch is the batch the engine runs (the concurrency capped
by the KV cache; above it the other requests only queue); queue_ms is the part of TTFT p50 spent waiting for a slot in
that batch (0 below the cap); weight_only is True where fp8/fp4 runs weight-only for lack of tensor cores (exclude
such rows from "cheapest" unless asked)."""
_PER_GPU_COLUMNS = (
    "profile_id", "gpu", "source", "provenance_notes", "concurrency", "output_tok_s", "ttft_ms_p50", "tpot_ms_p50",
    "basis", "memory_gb_required", "running_batch", "queue_ms", "weight_only",
)  # fmt: skip
_PER_GPU_NUMBERS = {
    "concurrency", "output_tok_s", "ttft_ms_p50", "tpot_ms_p50", "memory_gb_required", "running_batch", "queue_ms",
}  # fmt: skip
_ALGORITHMS = {"diffusion": "FastDiffuser", "self_spec": "LinearSpec", "spec_eagle3": "EAGLE3", "spec_mtp": "MTP"}
_MODE_WORDS = {"self_spec": "self-speculation", "diffusion": "diffusion", "spec_eagle3": "EAGLE-3", "spec_mtp": "MTP"}


def predict_observations(state: FitState) -> FloatArray:
    """Each observation predicted the way estimate_points predicts: a speculative/diffusion point's engine time per
    cycle is the serving calibration's (of this fit), not its own data source's; its TPF and engine class are its own.
    Tok/s for throughput observations, seconds for forward and TTFT ones."""
    layout, theta, obs = state.layout, state.theta, state.obs
    cal = mode_calibrations(state)
    fixed = np.zeros(len(obs.actual))
    per_seq = np.zeros(len(obs.actual))
    models = obs.meta["model"].to_numpy() if len(obs.actual) else np.zeros(0, dtype=object)
    for j, mode in enumerate(SPEC_MODES):
        sel = obs.mode_code == j + 1
        for model in pd.unique(models[sel]):
            at = sel & (models == model)
            if mode in cal:
                fixed[at], per_seq[at] = cal[mode].engine_terms(str(model))
            else:
                fixed[at], per_seq[at] = mode_engine_terms(layout, theta, j + 1)
    engine_s = fixed / 1e3 + obs.batch * per_seq / 1e6
    theta = carry_unfitted_engines(state)
    return evaluate(obs, layout, theta, mode_overhead_s=np.where(obs.mode_code > 0, engine_s, 0.0))[0]


def gemm_gain(rows: Mapping[str, npt.NDArray[Any]], result: FitResult) -> FloatArray:
    """Each row's GEMM peak factor: the fp8 gain (capped at the datasheet ratio) where the GPU computes at fp8/fp4,
    the weight-only factor where it dequantises 8- or 4-bit weights, else 1."""
    fast = rows["fast"].astype(bool)
    wo = rows["wo"].astype(np.int64)
    factor = np.where(wo == 8, result.weight_only_factor[8], np.where(wo == 4, result.weight_only_factor[4], 1.0))
    factor = np.where(wo > 0, factor * rows["wor"], factor)
    out: FloatArray = np.where(fast, np.minimum(result.fp8_gain, rows["ratio"]), 1.0) * factor
    return out


def cycle_time_s(rows: Mapping[str, npt.NDArray[Any]], n: int, eff: Efficiency, result: FitResult) -> FloatArray:
    """Σ count x scale x t over each batch size's forward rows, with one parameter set."""
    fixed = eff.overhead_ms / 1e3 + rows["batch"] * eff.overhead_per_seq_us / 1e6
    m = len(fixed)
    t, _ = row_times(
        rows,
        eta_bw=np.full(m, eff.eta_bw),
        eta_fl=np.full(m, eff.eta_fl),
        eta_kv=np.full(m, eff.eta_kv),
        fixed_s=fixed,
        gain=gemm_gain(rows, result),
    )
    scale = np.array([1.0, result.draft_fraction["draft_eagle3"], result.draft_fraction["draft_mtp"]])
    role = rows["role"].astype(np.int64)
    out = np.bincount(rows["obs"].astype(np.int64), weights=rows["count"] * scale[role] * t, minlength=n)
    return np.asarray(out, dtype=np.float64)


def _engine_basis(result: FitResult, gpu: str, mode: str, model: str) -> str:
    """The basis clause on the engine time per cycle (speculative/diffusion modes): where it comes from and whether
    this GPU has serving data of the mode."""
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
    fixed, per_seq = cal.engine_terms(model)
    whose = f"{model}'s own sweep" if model in cal.by_model else "the sweeps pooled"
    per_seq_words = f"{per_seq:.0f} µs per running sequence"
    if fixed >= 0.05:
        engine = f"{fixed:.1f} ms + {per_seq_words}, {whose}"
    elif fixed * 1000 >= 0.5:  # never a bare "0.0 ms"
        engine = f"{fixed * 1000:.0f} µs + {per_seq_words}, {whose}"
    else:
        engine = f"no fixed part, {per_seq_words}, {whose}"
    carried = f"engine time per cycle ({engine}) and TPF carried from {cal.label}"
    if not own:
        return f"; no {words} serving data on this GPU; {carried}"
    if any(src in own for src in cal.sources):
        return f"; engine time per cycle ({engine}) and TPF from this GPU's own data, {cal.label}"
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
    """The table's TPF moved to what the serving calibration measured: x (the calibration sources' measured TPF on
    SPEED-Bench / the table's SPEED-Bench figure), for the closest (model, block, precision) they measured. On
    SPEED-Bench with an exact match this is the measured figure itself. Unchanged when nothing calibrates."""
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
    value = choice.tokens_per_forward * factor
    if mode == "self_spec" and block is not None:
        value = min(value, block / 2.0)
    exact = rank(best) == (False, False, False) and len(ties) == 1 and lora is not False
    on_speed_bench = choice.workload == SPEED_BENCH
    blocks = "/".join(str(b) for b in sorted({k[1] for k in ties}))
    what = f"{best[0]} {'/'.join(sorted({k[2] for k in ties}))} block {blocks}"
    if on_speed_bench and exact:
        source = f"measured TPF {measured:.2f} ({what}, SPEED-Bench) in {cal.label}"
        return TpfChoice(value, accept_length_of(mode, value), source, False, choice.workload, choice.notes)
    source = (
        f"{choice.source}; x {factor:.3f} to SGLang serving: {cal.label} measured TPF {measured:.2f} ({what},"
        f" SPEED-Bench) vs the table's {table_figure:.2f}"
    )
    assumed = choice.assumed or (on_speed_bench and not exact)
    return TpfChoice(value, accept_length_of(mode, value), source, assumed, choice.workload, choice.notes)


@dataclass(frozen=True)
class _Request:
    """One estimate_points call's configuration, checked."""

    model: str
    entry: ModelEntry
    mode: str
    concurrency: FloatArray
    isl: int
    osl: int
    context: int
    precision: str
    kv_precision: str
    engine: str | None


def _check(
    catalog: Catalog, gpus: Sequence[str], model_map: Mapping[str, ModelEntry], model: str, mode: str, **kw: Any
) -> None:
    """Raise ValueError naming the first bad argument of estimate_points."""
    if model not in model_map:
        raise ValueError(f"unknown model {model!r}; known: {', '.join(sorted(model_map))}")
    entry = model_map[model]
    if mode not in MODEL_MODES:
        raise ValueError(f"unknown mode {mode!r}; the estimator models: {', '.join(MODEL_MODES)}")
    if mode != "ar" and mode not in entry.modes:
        raise ValueError(f"{model} does not serve {mode}; its modes: {', '.join(entry.modes)}")
    if kw["block_size"] is not None and mode not in ("diffusion", "self_spec"):
        raise ValueError(f"a block size applies to diffusion and self_spec, not {mode}")
    if kw["precision"] not in BYTES_PER_PARAM:
        raise ValueError(f"unknown precision {kw['precision']!r}; the estimator models: {', '.join(BYTES_PER_PARAM)}")
    conc = list(kw["concurrency"])
    if not conc or min(int(c) for c in conc) < 1 or max(int(c) for c in conc) > 1_000_000:
        raise ValueError(f"concurrency must be integers in 1..1000000, got {conc!r}")
    if int(kw["isl"]) < 1 or int(kw["osl"]) < 1:
        raise ValueError(f"isl and osl must be >= 1 tokens, got isl={kw['isl']}, osl={kw['osl']}")
    if kw["context_tokens"] is not None and int(kw["context_tokens"]) < 0:
        raise ValueError(f"context_tokens must be >= 0, got {kw['context_tokens']}")
    if kw["engine"] is not None and kw["engine"] not in ENGINE_CLASSES:
        raise ValueError(f"unknown engine class {kw['engine']!r}; known: {', '.join(ENGINE_CLASSES)}")
    specs = {g.id for g in catalog.gpu_specs}
    unknown = [g for g in gpus if g not in specs]
    if unknown or not gpus:
        raise ValueError(f"unknown gpu id(s) {', '.join(unknown) or '(none given)'}; known: {', '.join(specs)}")


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
    kv_precision: str | None = None,
    lora: bool | None = None,
    engine: str | None = None,
    fitted: FitResult | None = None,
    models: Mapping[str, ModelEntry] | None = None,
) -> pd.DataFrame:
    """Estimated profile points, one per GPU x requested concurrency (priceable like any other).

    Columns: catalog.POINTS_COLUMNS (provenance "estimated", source = the basis) plus EXTRA_COLUMNS: basis, tpf_assumed
    (TPF not an exact table figure, or context + OSL beyond TPF_PUBLISHED_CONTEXT_TOKENS), tpf_source, context_tokens,
    memory_gb_required (weights + KV of the running batch), running_batch (the concurrency capped by the KV cache: an
    engine runs what fits and queues the rest, so throughput stays at the cap and TTFT grows with the queue), queue_ms
    (the part of TTFT spent in that queue) and weight_only. Only real impossibilities are skipped, listed with why in
    `df.attrs["skipped"]`: the weights and one sequence's KV do not fit in USABLE_MEMORY_FRACTION of memory_gb, or
    context + OSL exceeds the model's positions.

    context_tokens: KV tokens per sequence when decoding starts (modes.decode_context_tokens: the prompt unless a longer
    context is given). The prefill computes the ISL new tokens attending to context - ISL cached ones; decode reads the
    KV of context + OSL/2 tokens on average. engine: an engine class (engines.ENGINE_CLASSES), default the reference.
    Raises ValueError (bad argument) or LookupError (no TPF figure for the workload).
    """
    model_map = model_entries(models)
    _check(
        catalog, gpus, model_map, model, mode, block_size=block_size, precision=precision, concurrency=concurrency,
        isl=isl, osl=osl, context_tokens=context_tokens, engine=engine,
    )  # fmt: skip
    result = fitted or fit(catalog, model_map)
    choice: TpfChoice = resolve_tpf(
        catalog.workloads, model, mode, workload=workload, block_size=block_size, lora=lora, tpf=tpf, engine=engine
    )
    if tpf is None:
        choice = _serving_tpf(choice, result, catalog.workloads, model, mode, block_size, precision, lora)
    cycle = cycle_for(
        mode, tokens_per_forward=choice.tokens_per_forward, accept_length=choice.accept_length, block_size=block_size
    )
    req = _Request(
        model=model, entry=model_map[model], mode=mode, concurrency=np.asarray([int(c) for c in concurrency], float),
        isl=int(isl), osl=int(osl), context=decode_context_tokens(int(isl), context_tokens), precision=precision,
        kv_precision=kv_precision or default_kv_precision(engine or result.reference_engine, precision),
        engine=engine,
    )  # fmt: skip
    beyond = mode != "ar" and req.context + req.osl > TPF_PUBLISHED_CONTEXT_TOKENS
    tpf_assumed = mode != "ar" and (choice.assumed or beyond)
    specs = {g.id: g for g in catalog.gpu_specs}
    skipped: list[str] = []
    wanted = list(dict.fromkeys(gpus))
    below = {g: [b for b in specs if dominates(specs[g], specs[b])] for g in wanted}
    raw: dict[str, dict[str, Any] | None] = {}
    for gpu in dict.fromkeys([*wanted, *(b for g in wanted for b in below[g])]):
        said = skipped if gpu in wanted else []
        raw[gpu] = _estimate_on(specs[gpu], req, cycle, choice, result, beyond, tpf_assumed, said)
    frames = [f for f in (_never_below(raw, g, below[g]) for g in wanted) if f is not None]
    out = _frame(frames, req, cycle, choice, tpf_assumed, workload, tpf, lora)
    out.attrs["skipped"] = skipped
    return out


def _never_below(raw: Mapping[str, dict[str, Any] | None], gpu: str, below: Sequence[str]) -> dict[str, Any] | None:
    """A GPU's rows, each raised to the best estimate among the GPUs its datasheet dominates (roofline.dominates) where
    that one is faster: silicon whose every figure is >= another's is never estimated slower (its own family's fitted
    efficiencies can put it below a GPU of another family). A raised row takes that GPU's figures and says so."""
    own = raw.get(gpu)
    if own is None:
        return None
    out = dict(own)
    best = np.asarray(own["output_tok_s"], dtype=np.float64).copy()
    source = np.full(len(best), gpu, dtype=object)
    for b in below:
        other = raw.get(b)
        if other is None:
            continue
        faster = np.asarray(other["output_tok_s"], dtype=np.float64) > best * (1 + 1e-9)
        best = np.where(faster, other["output_tok_s"], best)
        source = np.where(faster, b, source)
    if (source == gpu).all():
        return out
    for col in ("output_tok_s", "ttft_ms_p50", "tpot_ms_p50", "memory_gb_required", "running_batch", "queue_ms"):
        out[col] = np.select(
            [source == b for b in dict.fromkeys(source)],
            [np.broadcast_to(np.asarray((raw[b] or own)[col]), best.shape) for b in dict.fromkeys(source)],
        )
    own_basis = str(own["basis"])
    texts = {
        str(s): own_basis
        if s == gpu
        else f"{(raw[str(s)] or own)['basis']}; shown for {gpu}: its datasheet figures are all >= {s}'s, so it is not"
        f" estimated below {s} (its own family fit gives less: {own_basis})"
        for s in dict.fromkeys(source)
    }
    basis = [texts[str(s)] for s in source]
    out["basis"] = basis
    out["source"] = basis
    return out


def _ttft_s(
    spec: GpuSpec,
    req: _Request,
    cycle: Cycle,
    eff: Efficiency,
    result: FitResult,
    running: FloatArray,
    cycle_s: FloatArray,
    cost: Any,
) -> FloatArray:
    """Time to first token at each running batch R (serving.py): after half a cycle of waiting for the forward in flight
    (R > 1), the new prompt's ISL tokens (with the others' prefill share of a cycle) run in a forward of the R - 1
    decoding sequences on an engine that mixes prefill into decode forwards, else in a prefill forward of their own;
    plus the engine's request overhead. The queue wait beyond the KV cap is added by the caller."""
    engine = req.engine or result.reference_engine
    last = max((f for f in cycle.forwards if f.role == "target"), key=lambda f: cycle.forwards.index(f))
    others = np.maximum(running - 1.0, 0.0)
    steady = prefill_tokens_per_cycle(running, cycle.tokens_per_cycle, req.isl, req.osl) * others / running
    carrier = Cycle("prefill", (Forward(last.query_tokens, last.attention, 1.0),), 1.0, 1.0)
    rows = cycle_rows(
        carrier,
        others if mixes_prefill(engine) else np.zeros_like(others),
        decode_context=mean_decode_kv_tokens(req.context, req.osl),
        prefill_tokens=steady + float(req.isl),
        prefill_attention_context=(req.context - req.isl) + req.isl / 2.0,
        cost=cost,
        spec=spec,
        engine="vllm",  # one forward carrying the prompt (mixed with decodes or, at batch 0, a prefill forward)
    )
    mixed = cycle_time_s(rows, len(running), eff, result)
    out: FloatArray = mixed + np.where(running > 1, 0.5 * cycle_s, 0.0) + result.ttft_overhead(req.engine) / 1e3
    return out


def _estimate_on(
    spec: GpuSpec,
    req: _Request,
    cycle: Cycle,
    choice: TpfChoice,
    result: FitResult,
    beyond: bool,
    tpf_assumed: bool,
    skipped: list[str],
) -> dict[str, Any] | None:
    """One GPU's estimated rows (column arrays), or None (skipped, said why in `skipped`)."""
    entry, isl, osl, ctx = req.entry, req.isl, req.osl, req.context
    gpu = spec.id
    cost = model_cost(entry.arch, req.precision, tied_embeddings=entry.tied_embeddings, kv_precision=req.kv_precision)
    eff, fit_basis = result.efficiency(spec, req.engine)
    _, peak_text = peak_flops(spec, cost.compute_class, result.fp8_gain)
    weights_only = weight_only(spec, cost.compute_class)
    wo_bits = weight_only_bits(spec, cost)
    if wo_bits:
        peak_text = f"{peak_text} x {result.weight_only_factor[wo_bits]:.2f} (dequantising {wo_bits}-bit weights)"
    if weights_only:
        peak_text = (
            f"bf16: no {cost.compute_class} tensor cores on {spec.id}, so {req.precision} is modelled as weight-only"
            f" ({req.precision} weights read, bf16 compute, as Marlin kernels run it; x"
            f" {result.weight_only_factor[wo_bits]:.2f} for the dequantisation)"
        )
    if entry.max_context_tokens is not None and ctx + osl > entry.max_context_tokens:
        skipped.append(f"{gpu}: context {ctx} + OSL {osl} exceeds {req.model}'s {entry.max_context_tokens} positions")
        return None
    draft_bytes = 0.05 * entry.arch.params * 2.0 if req.mode == "spec_eagle3" else 0.0
    resident = cost.memory_bytes + draft_bytes
    one = resident + (ctx + osl + cycle.max_query_tokens) * cost.kv_bytes_per_token
    if one > usable_bytes(spec):
        skipped.append(
            f"{gpu}: needs {one / GB:.1f} GB (weights + KV of one sequence of {ctx + osl} tokens) >"
            f" {usable_bytes(spec) / GB:.1f} GB usable of {spec.memory_gb:g} GB"
        )
        return None
    kv_tokens = mean_decode_kv_tokens(ctx, osl)
    engine = req.engine or result.reference_engine
    current = admits_on_current_length(engine)  # estimates: B clients in steady state (a long run)
    held = kv_tokens_per_sequence(ctx, osl, cycle.max_query_tokens, current_length=current)
    capacity = kv_capacity_sequences(spec, cost, resident_bytes=resident, tokens_per_sequence=held, engine=engine)
    batch = req.concurrency
    running = running_batch(batch, capacity)
    rows = cycle_rows(
        cycle,
        running,
        decode_context=kv_tokens,
        prefill_tokens=prefill_tokens_per_cycle(running, cycle.tokens_per_cycle, isl, osl),
        prefill_attention_context=(ctx - isl) + isl / 2.0,
        cost=cost,
        spec=spec,
        engine=req.engine or result.reference_engine,
        prompt_tokens=float(isl),
        own_prompt_share=1.0 / running,
    )
    cycle_s = cycle_time_s(rows, len(batch), eff, result) + result.mode_overhead_s(req.mode, running, req.model)
    output = decode_tok_s(running, cycle.tokens_per_cycle, cycle_s)
    tpot_ms = cycle_s / cycle.tokens_per_cycle * 1e3
    ttft_service = _ttft_s(spec, req, cycle, eff, result, running, cycle_s, cost)
    wait = queue_wait_s(batch, running, ttft_service + osl * cycle_s / cycle.tokens_per_cycle)
    memory = resident + running * held * cost.kv_bytes_per_token
    capped = bool((running < batch).any())
    cap_text = (
        f"; the KV cache ({req.kv_precision}) holds {int(np.floor(float(capacity)))} sequences of {held:.0f}"
        f" tokens ({admission_words(current)}): above that the running batch is capped and the other requests"
        " queue (throughput at the cap, TTFT includes the wait)"
        if capped
        else ""
    )
    basis = (
        f"estimated (roofline) on the {spec.id} spec ({bandwidth_text(spec)}, {spec.bf16_tflops:g} TFLOPS bf16,"
        f" peak {peak_text}); {eff.text()}, {fit_basis}; for {engine_words(req.engine or result.reference_engine)};"
        f" {req.mode} cycle: {cycle.description}{_engine_basis(result, spec.id, req.mode, req.model)};"
        f" TPF {choice.tokens_per_forward:.2f} from {choice.source}"
        + (
            f"; context {ctx} + OSL {osl} beyond the published {TPF_PUBLISHED_CONTEXT_TOKENS}: TPF assumed"
            if beyond
            else ""
        )
        + cap_text
        + f"; TTFT: the prompt's prefill sharing a forward with the running batch, half a cycle's wait and"
        f" {result.ttft_overhead(req.engine):.1f} ms request overhead"
    )
    notes = [f"TPF {'assumed' if tpf_assumed else 'from the tables'}", f"kv cache {req.kv_precision}"]
    if weights_only:
        notes.append(f"weight-only {req.precision} (no {cost.compute_class} tensor cores: bf16 compute)")
    if capped:
        notes.append("running batch capped by KV capacity")
    return {
        "profile_id": slug(
            f"estimate-{gpu}-{req.model}-{req.precision}-{req.mode}"
            + (f"-b{cycle.block_size}" if cycle.block_size else "")
            + (f"-{req.engine}" if req.engine else "")
        )[:64],
        "gpu": gpu,
        "source": basis,
        "provenance_notes": "; ".join(notes),
        "concurrency": batch.astype(np.int64),
        "output_tok_s": output,
        "ttft_ms_p50": (wait + ttft_service) * 1e3,
        "tpot_ms_p50": tpot_ms,
        "basis": basis,
        "memory_gb_required": memory / GB,
        "running_batch": running.astype(np.int64),
        "queue_ms": wait * 1e3,
        "weight_only": weights_only,
    }


def _frame(
    frames: list[dict[str, Any]],
    req: _Request,
    cycle: Cycle,
    choice: TpfChoice,
    tpf_assumed: bool,
    workload: str | None,
    tpf: float | None,
    lora: bool | None,
) -> pd.DataFrame:
    """One frame for all GPUs (built column-wise: this runs on every slider move in the app)."""
    sizes = [len(f["concurrency"]) for f in frames]
    columns: dict[str, Any] = {
        k: np.concatenate([np.broadcast_to(np.asarray(f[k]), (n,)) for f, n in zip(frames, sizes, strict=True)])
        if frames
        else np.zeros(0, dtype=np.float64 if k in _PER_GPU_NUMBERS else object)
        for k in _PER_GPU_COLUMNS
    }
    output_all = columns["output_tok_s"]
    mode = req.mode
    raw = pd.DataFrame(
        {
            **columns,
            "gpus_per_replica": 1,
            "engine": "estimator (roofline)",
            "engine_version": ESTIMATOR_VERSION,
            "model": req.model,
            "precision": req.precision,
            "mode": mode,
            "block_size": cycle.block_size,
            "lora": (lora if lora is not None else True) if mode == "self_spec" else None,
            "algorithm": _ALGORITHMS.get(mode, ""),
            "dataset": "SPEED-Bench" if (workload is None and tpf is None) else "",
            "category": workload or "",
            "isl": req.isl,
            "osl": req.osl,
            "provenance": "estimated",
            "as_of": date.today().isoformat(),
            "input_tok_s": output_all * req.isl / req.osl,
            "total_tok_s": output_all * (req.isl + req.osl) / req.osl,
            "e2e_ms_p50": columns["ttft_ms_p50"] + req.osl * columns["tpot_ms_p50"],
            "tokens_per_forward": cycle.tokens_per_forward,
            "accept_length": cycle.tokens_per_cycle if mode in ("self_spec", "spec_eagle3", "spec_mtp") else np.nan,
            "tpf_assumed": tpf_assumed,
            "tpf_source": choice.source,
            "context_tokens": req.context,
        },
        index=pd.RangeIndex(int(sum(sizes))),
    )
    out = normalise_points(raw)
    for c in EXTRA_COLUMNS:
        out[c] = raw[c].to_numpy()
    out["tpf_assumed"] = out["tpf_assumed"].astype(bool)
    out["weight_only"] = out["weight_only"].astype(bool)
    out["memory_gb_required"] = out["memory_gb_required"].astype(np.float64)
    out["context_tokens"] = out["context_tokens"].astype(np.int64)
    out["running_batch"] = out["running_batch"].astype(np.int64)
    out["queue_ms"] = out["queue_ms"].astype(np.float64)
    return out


__all__ = ["ESTIMATOR_VERSION", "EXTRA_COLUMNS", "TPF_PUBLISHED_CONTEXT_TOKENS", "USABLE_MEMORY_FRACTION",
           "cycle_time_s", "estimate_points", "predict_observations"]  # fmt: skip
