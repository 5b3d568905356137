"""The observations the estimator fits and checks: every catalog point and forward-surface point we hold, each turned
into the rows of forwards of its decoding-mode cycle (built once per catalog).

Four kinds of observation (KINDS):
- throughput: a serving point's output tok/s, predicted as R x a / cycle time through the decoding-mode model
  (calculator/model/modes.py) at the running batch R (the point's concurrency capped by the KV cache, serving.py): each
  forward reads the KV of context + OSL/2 tokens per sequence, and each cycle also prefills the R x a x ISL / OSL
  prompt tokens of the requests that replace finished ones: inside its last target forward on engines that mix
  prefill chunks into decode forwards (vLLM V1, TensorRT-LLM), in prefill forwards of their own on the others;
- tpot: a point's time per output token (cycle time / a), fitted instead of its throughput where the throughput is
  below concurrency x the per-stream rate (the run did not keep its slots busy: a harness's idle gaps);
- ttft: a batch-1 point's time to first token, a lone prefill forward plus the engine's request overhead;
- forward: one timed forward of a forward-cost surface (device time: no serving engine around it).
Each observation carries its engine class (engines.py), its data source and its GPU family. Points the estimator
cannot model are listed in `excluded`; points it models but should not fit on (rules in `_not_fitted`) are predicted
and reported with why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from calculator.data.catalog import Catalog
from calculator.data.schema import GpuSpec, ModelEntry, Profile, WorkloadTable
from calculator.model.estimator.engines import (
    engine_class,
    engine_generation,
    mixes_prefill,
    prefill_chunk_tokens,
)
from calculator.model.estimator.roofline import (
    BYTES_PER_PARAM,
    FloatArray,
    ModelCost,
    gpu_family,
    model_cost,
    streaming_bandwidth,
    sustained_bf16_flops,
    tensor_core_ratio,
    weight_only,
    weight_only_bits,
    weight_only_ratio,
)
from calculator.model.estimator.serving import (
    admits_on_current_length,
    default_kv_precision,
    kv_capacity_sequences,
    kv_tokens_per_sequence,
    run_fill_factor,
    running_batch,
    steady_state,
)
from calculator.model.modes import (
    MODEL_MODES,
    Cycle,
    Forward,
    accept_length_of,
    cycle_for,
    decode_context_tokens,
    mean_decode_kv_tokens,
    prefill_tokens_per_cycle,
    resolve_tpf,
)

# Mean lengths of datasets whose profiles state none. SPEED-Bench qualitative split as the bundled profiles ran it:
# prompts average ~1 KB of text (~250 tokens) plus the chat template; mean generation 638 tokens (the B200 sweep's
# authors; the 1024 in the profiles is the cap). The NLD benchmark suite of the independent B200 sweep (GSM8K, MATH500,
# ...): lengths not stated; its companion forward sweep built decode contexts of ~750 tokens on average (prompt + a
# random prefix of the stored responses), i.e. ISL + OSL/2 ~ 750: assumed ISL 250 / OSL 1000.
SPEED_BENCH_ISL = 300
SPEED_BENCH_OSL = 640
BENCHMARK_ISL = 250
BENCHMARK_OSL = 1000
_BENCHMARKS = {
    "gsm8k",
    "mmlu",
    "lcbcpp",
    "livecodebenchcpp",
    "math500",
    "humaneval",
    "mbpp",
    "gpqa",
    "ifeval",
    "aime25",
}
MIN_REQUESTS_PER_SLOT = 4
"""A point whose run had fewer than this many requests per concurrency slot cannot have kept the slots busy."""
SPEC_MODES = ("diffusion", "self_spec", "spec_eagle3", "spec_mtp")
"""Modes with an extra engine time per cycle (fitted); an observation's mode_code is its index here + 1."""
KINDS = ("throughput", "forward", "ttft", "tpot")
METRICS = {"throughput": "output_tok_s", "forward": "forward_ms", "ttft": "ttft_ms", "tpot": "tpot_ms"}
BUSY_FRACTION = 0.9
"""A point whose throughput is below this fraction of concurrency x 1000 / TPOT did not keep its slots busy."""


@dataclass
class Observations:
    """Points to fit/predict (one per profile point, TTFT or forward-surface point) and their forward rows."""

    meta: pd.DataFrame  # one row per observation (_META_COLUMNS)
    kind: npt.NDArray[np.int64]  # index into KINDS
    actual: FloatArray  # tok/s (throughput) or seconds (forward, ttft)
    batch: FloatArray  # the running batch (KV-capped)
    tokens_per_cycle: FloatArray  # a: tokens per cycle (throughput, tpot)
    divisor: FloatArray  # a predicted time is the cycle time / this (a for tpot, else 1)
    numerator: FloatArray  # a time observation as a rate: this / time (forward: batch x q; ttft: ISL; tpot: 1)
    mode_code: npt.NDArray[np.int64]  # index into SPEC_MODES + 1; 0 = no mode overhead
    unit: npt.NDArray[np.int64]  # index into units (gpu ids)
    family: npt.NDArray[np.int64]  # index into families
    engine: npt.NDArray[np.int64]  # index into engines (engine classes)
    source: npt.NDArray[np.int64]  # index into sources (provenance source: one engine build / publication)
    in_fit: npt.NDArray[np.bool_]
    weight_group: npt.NDArray[np.int64]  # weighting group: (source, gpu, mode, kind)
    units: list[str]
    families: list[str]
    engines: list[str]
    sources: list[str]
    rows: dict[str, npt.NDArray[Any]]  # per forward row, see ROW_FIELDS
    excluded: list[str]

    @property
    def rate(self) -> npt.NDArray[np.bool_]:
        """Observations measured as a rate (tok/s) rather than a time."""
        out: npt.NDArray[np.bool_] = self.kind == 0
        return out

    @property
    def serving(self) -> npt.NDArray[np.bool_]:
        """Observations made through a serving engine (its overheads apply), i.e. not bare forwards."""
        out: npt.NDArray[np.bool_] = self.kind != 1
        return out


ROW_FIELDS = (
    "obs", "count", "role", "batch", "q", "ctx", "block", "W", "kv", "act", "F", "A", "xFd", "xFa", "xBg", "xBa",
    "hbm", "peak", "ratio", "fast", "wo", "wor",
)  # fmt: skip
_META_COLUMNS = (
    "label", "group", "gpu", "family", "model", "mode", "precision", "block_size", "concurrency", "running_batch",
    "provenance", "note", "engine", "engine_class", "generation", "source_text", "kind", "metric", "isl", "osl", "tpf",
    "tpf_stated", "speed_bench", "source_notes", "actual", "batch", "a", "divisor", "numerator", "mode_code", "in_fit",
)  # fmt: skip
_ROLE_CODE = {"target": 0, "draft_eagle3": 1, "draft_mtp": 2}


def cycle_rows(
    cycle: Cycle,
    batch: FloatArray,
    *,
    decode_context: float,
    cost: ModelCost,
    spec: GpuSpec,
    prefill_tokens: FloatArray | None = None,
    prefill_attention_context: float = 0.0,
    engine: str = "sglang",
    prompt_tokens: float = 1.0,
    own_prompt_share: FloatArray | float = 0.0,
) -> dict[str, FloatArray]:
    """Forward rows of one cycle at each batch size (row obs = index into `batch`), ready for roofline.row_times.

    Each forward reads the KV of `decode_context` tokens per sequence (serving: context + OSL/2, the mean over a
    request). `prefill_tokens` per cycle (serving: B x a x ISL / OSL, modes.prefill_tokens_per_cycle) are prompt
    tokens attending to `prefill_attention_context` tokens each: on an engine that mixes prefill into decode forwards
    (engines.MIXES_PREFILL) they ride in the cycle's last target forward (their FLOPs, activations and KV writes join
    its rooflines, no extra weight reads or overhead); on the others they run in prefill forwards of their own, each of
    min(chunk, max(ISL, tokens per cycle)) tokens (`prompt_tokens` = ISL), which read the weights and pay the
    fixed overhead again. `own_prompt_share` of the prefill (steady state: 1 / B) is the prompts of the batch's own
    sequences: a request's prompt cannot ride in its own decode forwards, so on a mixing engine that share, too, runs
    in prefill forwards of their own (at B = 1 all of it: a lone request prefills, then decodes).
    """
    n = len(batch)
    zeros = np.zeros(n)
    prefill = zeros if prefill_tokens is None else np.asarray(prefill_tokens, dtype=np.float64)
    last_target = max(i for i, f in enumerate(cycle.forwards) if f.role == "target")
    ratio = tensor_core_ratio(spec, cost.compute_class)
    fast = cost.compute_class in ("fp8", "fp4") and not weight_only(spec, cost.compute_class)
    mixing = mixes_prefill(engine)
    pac = prefill_attention_context
    own = prefill * np.clip(np.asarray(own_prompt_share, dtype=np.float64), 0.0, 1.0) if mixing else prefill
    mixed = prefill - own

    def extras(tokens: FloatArray) -> dict[str, FloatArray]:
        return {
            "xFd": tokens * cost.dense_flops_per_token,
            "xFa": tokens * cost.attention_flops_per_token_ctx * pac,
            "xBg": tokens * cost.activation_bytes_per_token,
            "xBa": tokens * cost.kv_bytes_per_token,
        }

    parts: list[dict[str, FloatArray]] = []
    for i, f in enumerate(cycle.forwards):
        parts.append(
            {
                "obs": np.arange(n, dtype=np.float64),
                "count": np.full(n, f.count),
                "role": np.full(n, float(_ROLE_CODE[f.role])),
                "batch": batch.astype(np.float64),
                "q": np.full(n, float(f.query_tokens)),
                "ctx": np.full(n, decode_context),
                "block": np.full(n, float(f.attention == "block")),
                **extras(mixed if i == last_target else zeros),
            }
        )
    if np.any(own > 0):
        per_forward = np.minimum(float(prefill_chunk_tokens(engine)), np.maximum(own, max(prompt_tokens, 1.0)))
        parts.append(
            {
                "obs": np.arange(n, dtype=np.float64),
                "count": own / per_forward,
                "role": zeros,
                "batch": zeros,
                "q": zeros,
                "ctx": zeros,
                "block": zeros,
                **extras(per_forward),
            }
        )
    out = {k: np.concatenate([part[k] for part in parts]) for k in parts[0]}
    m = len(out["obs"])
    out |= {
        "W": np.full(m, cost.weight_bytes),
        "kv": np.full(m, cost.kv_bytes_per_token),
        "act": np.full(m, cost.activation_bytes_per_token),
        "F": np.full(m, cost.dense_flops_per_token),
        "A": np.full(m, cost.attention_flops_per_token_ctx),
        "hbm": np.full(m, streaming_bandwidth(spec)),
        "peak": np.full(m, sustained_bf16_flops(spec) * (0.5 if cost.compute_class == "fp32" else 1.0)),
        "ratio": np.full(m, ratio),
        "fast": np.full(m, float(fast)),
        "wo": np.full(m, float(weight_only_bits(spec, cost))),
        "wor": np.full(m, weight_only_ratio(spec)),
    }
    return out


def prefill_rows(isl: int, prefix: int, *, cost: ModelCost, spec: GpuSpec) -> dict[str, FloatArray]:
    """The row of one lone prefill forward: ISL new tokens at batch 1, causal, attending to `prefix` cached ones."""
    single = Cycle("prefill", (Forward(int(isl), "causal", 1.0),), 1.0, 1.0)
    return cycle_rows(single, np.ones(1), decode_context=float(prefix), cost=cost, spec=spec, engine="vllm")


def _squash(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def _is_speed_bench(dataset: str) -> bool:
    return "speedbench" in _squash(dataset)


def lengths_of(row: Mapping[str, Any]) -> tuple[int, int, str, bool]:
    """ISL and OSL a profile point was served at, a note, and whether they are known well enough to fit on:
    the profile's own; SPEED-Bench's known means; the NLD benchmark suite's assumed ones; else 1024/1024, not fitted."""
    dataset = str(row.get("dataset") or "")
    isl, osl = row.get("isl"), row.get("osl")
    if pd.notna(isl) and pd.notna(osl):
        return int(isl), int(osl), "", True
    if _is_speed_bench(dataset):
        return SPEED_BENCH_ISL, SPEED_BENCH_OSL, "", True
    if _squash(dataset) in _BENCHMARKS:
        note = f"lengths not stated: {BENCHMARK_ISL}/{BENCHMARK_OSL} assumed (the NLD benchmark suite)"
        return BENCHMARK_ISL, BENCHMARK_OSL, note, True
    return 1024, 1024, "ISL/OSL not stated: 1024/1024 assumed, predicted, not fitted", False


def _point_cycle(row: Mapping[str, Any], workloads: WorkloadTable) -> tuple[Cycle, bool, str]:
    """The cycle a profile point ran, with whether its TPF is assumed and the TPF source."""
    mode = str(row["mode"])
    block = int(row["block_size"]) if pd.notna(row.get("block_size")) else None
    draft = int(row["draft_tokens"]) if pd.notna(row.get("draft_tokens")) else None
    tpf = row.get("tokens_per_forward")
    accept = row.get("accept_length")
    if pd.notna(accept) and mode in ("self_spec", "spec_eagle3", "spec_mtp"):
        a = float(accept)
        per_forward = a / 2.0 if mode == "self_spec" else a
        cycle = cycle_for(mode, tokens_per_forward=per_forward, accept_length=a, block_size=block, draft_tokens=draft)
        return cycle, False, "the point's acceptance length"
    if pd.notna(tpf) and mode != "ar":
        a_or_none = accept_length_of(mode, float(tpf))
        cycle = cycle_for(
            mode, tokens_per_forward=float(tpf), accept_length=a_or_none, block_size=block, draft_tokens=draft
        )
        return cycle, False, "the point's tokens per forward"
    lora = row.get("lora")
    category = str(row.get("category") or "") or None
    choice = resolve_tpf(
        workloads,
        str(row["model"]),
        mode,
        workload=category,
        block_size=block,
        lora=None if lora is None or pd.isna(lora) else bool(lora),
    )
    cycle = cycle_for(
        mode,
        tokens_per_forward=choice.tokens_per_forward,
        accept_length=choice.accept_length,
        block_size=block,
        draft_tokens=draft,
    )
    return cycle, choice.assumed, choice.source


def _why_not_modelled(rec: Mapping[str, Any], specs: Mapping[str, GpuSpec], models: Mapping[str, ModelEntry]) -> str:
    """Why a profile point cannot be an observation ("" when it can)."""
    mode = str(rec["mode"])
    if rec["provenance"] == "estimated":
        return "an estimate, not a measurement"
    if mode not in MODEL_MODES:
        return f"mode {mode!r} has no cycle model"
    if rec["gpu"] not in specs:
        return f"gpu {rec['gpu']!r} not in gpus.yaml"
    if rec["model"] not in models:
        return f"no architecture for model {rec['model']!r} in models.yaml"
    if int(rec["gpus_per_replica"]) != 1:
        return "multi-GPU replica (the estimator models one GPU)"
    if rec["precision"] not in BYTES_PER_PARAM:
        return f"precision {rec['precision']!r} not modelled"
    return ""


def _not_fitted(rec: Mapping[str, Any], *, tpf_assumed: str, lengths_known: bool) -> list[str]:
    """Why a modelled point is predicted but not fitted on (empty: fitted)."""
    why = []
    if tpf_assumed:
        why.append(f"TPF assumed ({tpf_assumed}): predicted, not fitted")
    if "custom" in str(rec["engine"]).casefold():
        why.append("custom kernels, not a standard engine: predicted, not fitted")
    if not lengths_known:
        why.append("lengths unknown: predicted, not fitted")
    requests = rec.get("requests_completed")
    if pd.notna(requests) and float(requests) < MIN_REQUESTS_PER_SLOT * float(rec["concurrency"]):
        why.append(f"{int(requests)} requests cannot keep {int(rec['concurrency'])} slots busy: predicted, not fitted")
    return why


class _Builder:
    """Accumulates observations, their rows and their index lists (units, families, engines, sources, groups)."""

    def __init__(self, specs: Mapping[str, GpuSpec]) -> None:
        self.specs = specs
        self.meta: list[dict[str, Any]] = []
        self.rows: list[dict[str, FloatArray]] = []
        self.index: dict[str, list[str]] = {"unit": [], "family": [], "engine": [], "source": [], "group": []}
        self.codes: dict[str, list[int]] = {k: [] for k in self.index}
        self.excluded: list[str] = []

    def code(self, what: str, key: str) -> int:
        keys = self.index[what]
        if key not in keys:
            keys.append(key)
        return keys.index(key)

    def add(self, record: dict[str, Any], rows: dict[str, FloatArray], *, source: str) -> None:
        obs = len(self.meta)
        spec = self.specs[record["gpu"]]
        record["family"] = gpu_family(spec)
        self.meta.append(record)
        self.rows.append(rows | {"obs": rows["obs"] + obs})
        group = f"{source}|{record['gpu']}|{record['mode']}|{record['kind']}"
        for what, key in (
            ("unit", spec.id),
            ("family", record["family"]),
            ("engine", record["engine_class"]),
            ("source", source),
            ("group", group),
        ):
            self.codes[what].append(self.code(what, key))


def observations(catalog: Catalog, models: Mapping[str, ModelEntry]) -> Observations:
    """Turn the catalog's points and forward surfaces into observations and forward rows (built once per catalog)."""
    specs = {g.id: g for g in catalog.gpu_specs}
    profiles: dict[str, Profile] = {p.id: p for p in catalog.profiles}
    b = _Builder(specs)
    records: list[dict[str, Any]] = [{str(k): v for k, v in r.items()} for r in catalog.points.to_dict("records")]
    for rec in records:
        label = f"{rec['profile_id']}@{rec['concurrency']}"
        why = _why_not_modelled(rec, specs, models)
        if why:
            b.excluded.append(f"{label}: {why}")
            continue
        try:
            cycle, tpf_assumed, tpf_source = _point_cycle(rec, catalog.workloads)
        except (LookupError, ValueError) as e:
            b.excluded.append(f"{label}: {e}")
            continue
        _add_point(b, rec, label, cycle, tpf_source if tpf_assumed else "", tpf_source, models, profiles)
    for fc in catalog.forward_costs:
        if fc.gpu is None or fc.gpu not in specs:
            b.excluded.append(f"{fc.id}: device {fc.device.name!r} has no gpu spec (gpu {fc.gpu!r})")
            continue
        if fc.precision not in BYTES_PER_PARAM:
            b.excluded.append(f"{fc.id}: precision {fc.precision!r} not modelled")
            continue
        spec = specs[fc.gpu]
        entry_for = models.get(fc.model)
        cost = model_cost(fc.arch, fc.precision, tied_embeddings=entry_for.tied_embeddings if entry_for else False)
        engine = "sglang" if "sglang" in f"{fc.command} {fc.provenance.notes}".casefold() else "torch"
        for p in fc.points:
            single = Cycle("forward", (Forward(p.query_tokens, p.attention, 1.0),), 1.0, 1.0)
            rows = cycle_rows(single, np.array([float(p.batch)]), decode_context=p.context_tokens, cost=cost, spec=spec)
            record = _record(
                label=f"{fc.id}@B{p.batch}q{p.query_tokens}L{p.context_tokens}{p.attention[0]}", group=fc.id,
                gpu=fc.gpu, model=fc.model, mode=f"forward_{p.attention}", precision=fc.precision, block_size=None,
                concurrency=p.batch, running=float(p.batch), provenance=fc.provenance.kind,
                note=f"forward q={p.query_tokens} L={p.context_tokens}", engine="", engine_cls=engine,
                source=fc.provenance.source, kind="forward", isl=None, osl=None, tpf=float(p.query_tokens),
                tpf_stated=False, speed_bench=False, source_notes="", actual=p.time_ms_median / 1e3,
                a=1.0, divisor=1.0, numerator=float(p.batch * p.query_tokens), mode_code=0, in_fit=True,
            )  # fmt: skip
            b.add(record, rows, source=fc.provenance.source)
    return _assemble(b)


def _record(**kw: Any) -> dict[str, Any]:
    """One observation's meta record (the _META_COLUMNS)."""
    return {
        "label": kw["label"], "group": kw["group"], "gpu": kw["gpu"], "model": kw["model"], "mode": kw["mode"],
        "precision": kw["precision"], "block_size": kw["block_size"], "concurrency": int(kw["concurrency"]),
        "running_batch": float(kw["running"]), "provenance": kw["provenance"], "note": kw["note"],
        "engine": kw["engine"], "engine_class": kw["engine_cls"], "generation": kw.get("generation", kw["engine_cls"]),
        "source_text": kw["source"], "kind": kw["kind"],
        "metric": METRICS[kw["kind"]], "isl": kw["isl"], "osl": kw["osl"], "tpf": kw["tpf"],
        "tpf_stated": kw["tpf_stated"], "speed_bench": kw["speed_bench"], "source_notes": kw["source_notes"],
        "actual": kw["actual"], "batch": float(kw["running"]), "a": kw["a"], "divisor": kw["divisor"],
        "numerator": kw["numerator"], "mode_code": kw["mode_code"], "in_fit": kw["in_fit"],
    }  # fmt: skip


def _add_point(
    b: _Builder,
    rec: Mapping[str, Any],
    label: str,
    cycle: Cycle,
    tpf_assumed: str,
    tpf_source: str,
    models: Mapping[str, ModelEntry],
    profiles: Mapping[str, Profile],
) -> None:
    """A profile point as a throughput observation (and a TTFT one where it is a batch-1 point with a TTFT)."""
    mode = str(rec["mode"])
    spec = b.specs[str(rec["gpu"])]
    entry = models[str(rec["model"])]
    profile = profiles.get(str(rec["profile_id"]))
    kv_precision = (
        profile.kv_cache_precision
        if profile is not None and profile.kv_cache_precision
        else default_kv_precision(
            engine_class(str(rec["engine"]), str(rec.get("engine_version") or "")), str(rec["precision"])
        )
    )
    cost = model_cost(
        entry.arch, str(rec["precision"]), tied_embeddings=entry.tied_embeddings, kv_precision=kv_precision
    )
    isl, osl, length_note, lengths_known = lengths_of(rec)
    ctx = decode_context_tokens(isl)
    kv_tokens = mean_decode_kv_tokens(ctx, osl)
    draft_bytes = 0.05 * entry.arch.params * 2.0 if mode == "spec_eagle3" else 0.0
    engine_cls = engine_class(str(rec["engine"]), str(rec.get("engine_version") or ""))
    conc = float(rec["concurrency"])
    requests = float(rec["requests_completed"]) if pd.notna(rec.get("requests_completed")) else None
    current = admits_on_current_length(engine_cls) and steady_state(requests, conc)
    capacity = kv_capacity_sequences(
        spec,
        cost,
        resident_bytes=cost.memory_bytes + draft_bytes,
        tokens_per_sequence=kv_tokens_per_sequence(ctx, osl, cycle.max_query_tokens, current_length=current),
        engine=engine_cls,
    )
    running = float(running_batch(conc, capacity))
    why = _not_fitted(rec, tpf_assumed=tpf_assumed, lengths_known=lengths_known)
    output = float(rec["output_tok_s"])
    tpot = rec.get("tpot_ms_p50")
    tpot_s = float(tpot) / 1e3 if pd.notna(tpot) and float(tpot) > 0 else 0.0
    idle = tpot_s > 0 and output < BUSY_FRACTION * conc / tpot_s
    cap_note = f"KV cache holds {running:g} of {int(conc)} sequences: running batch capped" if running < conc else ""
    idle_note = "throughput below concurrency x the per-stream rate (idle slots): its TPOT is fitted instead"
    notes = [n for n in (length_note, *why, idle_note if idle else "", cap_note) if n]
    if float(capacity) < 1.0:
        b.excluded.append(f"{label}: one sequence's KV cache does not fit beside the weights on {spec.id}")
        return
    common = {
        "group": str(rec["profile_id"]), "gpu": spec.id, "model": str(rec["model"]), "precision": str(rec["precision"]),
        "block_size": cycle.block_size, "concurrency": conc, "provenance": str(rec["provenance"]),
        "engine": str(rec["engine"]), "engine_cls": engine_cls, "source": str(rec["source"]), "isl": isl, "osl": osl,
        "generation": engine_generation(str(rec["engine"]), str(rec.get("engine_version") or "")),
        "source_notes": str(rec.get("provenance_notes") or ""),
    }  # fmt: skip
    batch = np.array([running])
    rows = cycle_rows(
        cycle,
        batch,
        decode_context=kv_tokens,
        prefill_tokens=prefill_tokens_per_cycle(batch, cycle.tokens_per_cycle, isl, osl),
        prefill_attention_context=isl / 2.0,
        cost=cost,
        spec=spec,
        engine=engine_cls,
        prompt_tokens=float(isl),
        own_prompt_share=1.0 / batch,
    )
    mode_code = SPEC_MODES.index(mode) + 1 if mode in SPEC_MODES else 0
    record = _record(
        label=label, mode=mode, running=running, note="; ".join(notes), kind="throughput",
        tpf=cycle.tokens_per_forward, tpf_stated=tpf_source.startswith("the point's"),
        speed_bench=_is_speed_bench(str(rec.get("dataset") or "")) and not str(rec.get("category") or ""),
        actual=output, a=cycle.tokens_per_cycle * run_fill_factor(requests, conc), divisor=1.0, numerator=1.0,
        mode_code=mode_code,
        in_fit=not why and not idle, **common,
    )  # fmt: skip
    b.add(record, rows, source=str(rec["source"]))
    if idle:
        # A request's time per output token includes the other requests' prefills (non-mixing engines stall for them)
        # but not its own: the steady-state prefill share of the R - 1 others.
        rows = cycle_rows(
            cycle,
            batch,
            decode_context=kv_tokens,
            prefill_tokens=prefill_tokens_per_cycle(batch, cycle.tokens_per_cycle, isl, osl) * (running - 1) / running,
            prefill_attention_context=isl / 2.0,
            cost=cost,
            spec=spec,
            engine=engine_cls,
            prompt_tokens=float(isl),
        )
        record = _record(
            label=f"{label}:tpot", mode=mode, running=running, note="; ".join(n for n in notes if n != idle_note),
            kind="tpot", tpf=cycle.tokens_per_forward, tpf_stated=tpf_source.startswith("the point's"),
            speed_bench=False, actual=tpot_s, a=cycle.tokens_per_cycle, divisor=cycle.tokens_per_cycle,
            numerator=1.0, mode_code=mode_code, in_fit=not why, **common,
        )  # fmt: skip
        b.add(record, rows, source=str(rec["source"]))
    ttft = rec.get("ttft_ms_p50")
    if conc == 1 and pd.notna(ttft) and float(ttft) > 0:
        ttft_notes = [
            n for n in (length_note, "lengths unknown: predicted, not fitted" if not lengths_known else "") if n
        ]
        record = _record(
            label=f"{label}:ttft", mode="prefill", running=1.0, note="; ".join(ttft_notes), kind="ttft", tpf=1.0,
            tpf_stated=False, speed_bench=False, actual=float(ttft) / 1e3, a=1.0, divisor=1.0, numerator=float(isl),
            mode_code=0, in_fit=lengths_known, **common,
        )  # fmt: skip
        b.add(record, prefill_rows(isl, ctx - isl, cost=cost, spec=spec), source=str(rec["source"]))


def _assemble(b: _Builder) -> Observations:
    """The observation records and row parts as the arrays the fit works on."""
    meta_df = pd.DataFrame(b.meta, columns=list(_META_COLUMNS))
    row_arrays: dict[str, npt.NDArray[Any]] = {
        k: np.concatenate([part[k] for part in b.rows]) if b.rows else np.zeros(0) for k in ROW_FIELDS
    }
    for k, dtype in (("obs", np.int64), ("role", np.int64), ("block", bool), ("fast", bool), ("wo", np.int64)):
        row_arrays[k] = row_arrays[k].astype(dtype)

    def codes(what: str) -> npt.NDArray[np.int64]:
        return np.asarray(b.codes[what], dtype=np.int64)

    unit = codes("unit")
    row_arrays["unit"] = unit[row_arrays["obs"]] if len(unit) else np.zeros(0, dtype=np.int64)
    kinds: npt.NDArray[np.int64] = np.asarray([KINDS.index(k) for k in meta_df["kind"]], dtype=np.int64)
    return Observations(
        meta=meta_df,
        kind=kinds,
        actual=meta_df["actual"].to_numpy(dtype=np.float64),
        batch=meta_df["batch"].to_numpy(dtype=np.float64),
        tokens_per_cycle=meta_df["a"].to_numpy(dtype=np.float64),
        divisor=meta_df["divisor"].to_numpy(dtype=np.float64),
        numerator=meta_df["numerator"].to_numpy(dtype=np.float64),
        mode_code=meta_df["mode_code"].to_numpy(dtype=np.int64),
        unit=unit,
        family=codes("family"),
        engine=codes("engine"),
        source=codes("source"),
        in_fit=meta_df["in_fit"].to_numpy(dtype=bool),
        weight_group=codes("group"),
        units=b.index["unit"],
        families=b.index["family"],
        engines=b.index["engine"],
        sources=b.index["source"],
        rows=row_arrays,
        excluded=b.excluded,
    )
