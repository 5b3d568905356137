"""The observations the estimator fits and checks: every catalog point and forward-surface point we hold,
each turned into the rows of forwards of its decoding-mode cycle (built once per catalog).

Observations are every serving profile point (vendor, vendor_internal, community, measured, uploaded; not
estimated ones) and every measured ForwardCost point. A serving point is predicted as B x a / cycle time through
the decoding-mode model (calculator/modes.py): each forward of its cycle reads the KV of context + OSL/2 tokens
per sequence (the mean over a request), and the cycle's last target forward also carries the B x a x ISL / OSL
prompt tokens of the requests that replace finished ones (chunked prefill: their FLOPs and KV writes join that
forward's roofline). A forward-surface point is one timed forward. Points the estimator cannot model are listed
in `excluded` with why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from calculator.catalog import Catalog
from calculator.estimator.roofline import BYTES_PER_PARAM, FloatArray, ModelCost, gpu_family, model_cost
from calculator.modes import (
    MODEL_MODES,
    Cycle,
    Forward,
    accept_length_of,
    cycle_for,
    prefill_tokens_per_cycle,
    resolve_tpf,
)
from calculator.schema import GpuSpec, ModelEntry, WorkloadTable

# SPEED-Bench qualitative split as the bundled profiles ran it: prompts average ~1 KB of text (~250 tokens)
# plus the chat template; mean generation 638 tokens (the B200 sweep's authors; the 1024 in the profiles is the cap).
SPEED_BENCH_ISL = 300
SPEED_BENCH_OSL = 640
DEFAULT_ISL = 1024  # for a profile that states neither its lengths nor its dataset
DEFAULT_OSL = 1024
SPEC_MODES = ("diffusion", "self_spec", "spec_eagle3", "spec_mtp")
"""Modes with an extra engine time per cycle (fitted); an observation's mode_code is its index here + 1."""


@dataclass
class Observations:
    """Points to fit/predict (one per profile point or forward-surface point) and their forward rows."""

    meta: pd.DataFrame  # one row per observation
    serving: npt.NDArray[np.bool_]
    actual: FloatArray  # tok/s (serving) or seconds (forward)
    batch: FloatArray
    tokens_per_cycle: FloatArray
    mode_code: npt.NDArray[np.int64]  # index into SPEC_MODES + 1; 0 = no mode overhead
    unit: npt.NDArray[np.int64]  # index into units (gpu ids)
    source: npt.NDArray[np.int64]  # index into sources (provenance source: one engine build / publication)
    sources: list[str]
    in_fit: npt.NDArray[np.bool_]
    group_size: FloatArray
    units: list[str]
    unit_family: list[str]
    rows: dict[str, npt.NDArray[Any]]  # per forward row, see ROW_FIELDS
    excluded: list[str]


ROW_FIELDS = (
    "obs",
    "count",
    "role",
    "batch",
    "q",
    "ctx",
    "block",
    "W",
    "kv",
    "act",
    "F",
    "A",
    "xF",
    "xB",
    "hbm",
    "peak",
    "ratio",
    "fp8",
)
_META_COLUMNS = (
    "label",
    "group",
    "gpu",
    "model",
    "mode",
    "precision",
    "block_size",
    "concurrency",
    "provenance",
    "note",
    "engine",
    "tpf",
    "tpf_stated",
    "speed_bench",
    "source_notes",
    "serving",
    "actual",
    "batch",
    "a",
    "mode_code",
    "in_fit",
)
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
) -> dict[str, FloatArray]:
    """Forward rows of one cycle at each batch size (row obs = index into `batch`), ready for roofline.row_times.

    Each forward reads the KV of `decode_context` tokens per sequence (serving: context + OSL/2, the mean
    over a request). `prefill_tokens` per cycle (serving: B x a x ISL / OSL, modes.prefill_tokens_per_cycle,
    the prompts of the requests that replace finished ones) ride in the cycle's last target forward as
    chunked prefill does: their FLOPs (attending to `prefill_attention_context` tokens) and KV writes join
    that forward's roofline; they read no extra weights and add no overhead.
    """
    n = len(batch)
    prefill = np.zeros(n) if prefill_tokens is None else prefill_tokens
    last_target = max(i for i, f in enumerate(cycle.forwards) if f.role == "target")
    ratio = 1.0
    if cost.compute_class in ("fp8", "fp4") and spec.fp8_tflops:
        ratio = spec.fp8_tflops / spec.bf16_tflops
    parts: list[dict[str, FloatArray]] = []
    for i, f in enumerate(cycle.forwards):
        extra = prefill if i == last_target else np.zeros(n)
        parts.append(
            {
                "obs": np.arange(n, dtype=np.float64),
                "count": np.full(n, f.count),
                "role": np.full(n, float(_ROLE_CODE[f.role])),
                "batch": batch.astype(np.float64),
                "q": np.full(n, float(f.query_tokens)),
                "ctx": np.full(n, decode_context),
                "block": np.full(n, float(f.attention == "block")),
                "xF": extra
                * (cost.dense_flops_per_token + cost.attention_flops_per_token_ctx * prefill_attention_context),
                "xB": extra * (cost.kv_bytes_per_token + cost.activation_bytes_per_token),
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
        "hbm": np.full(m, spec.hbm_tb_s * 1e12),
        "peak": np.full(m, spec.bf16_tflops * 1e12 * (0.5 if cost.compute_class == "fp32" else 1.0)),
        "ratio": np.full(m, ratio),
        "fp8": np.full(m, float(cost.compute_class in ("fp8", "fp4") and spec.fp8_tflops is not None)),
    }
    return out


def _is_speed_bench(dataset: str) -> bool:
    return "speedbench" in "".join(ch for ch in dataset.casefold() if ch.isalnum())


def _lengths(row: Mapping[str, Any]) -> tuple[int, int, str]:
    """ISL and OSL a profile point was served at (SPEED-Bench: its known means; else the profile's)."""
    if _is_speed_bench(str(row.get("dataset", ""))):
        return SPEED_BENCH_ISL, SPEED_BENCH_OSL, ""
    isl, osl = row.get("isl"), row.get("osl")
    if pd.notna(isl) and pd.notna(osl):
        return int(isl), int(osl), ""
    return DEFAULT_ISL, DEFAULT_OSL, f"ISL/OSL not stated: {DEFAULT_ISL}/{DEFAULT_OSL} assumed"


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


def observations(
    catalog: Catalog, models: Mapping[str, ModelEntry], *, include_unfittable: bool = True
) -> Observations:
    """Turn the catalog's points and forward surfaces into observations and forward rows (built once)."""
    specs = {g.id: g for g in catalog.gpu_specs}
    meta: list[dict[str, Any]] = []
    row_parts: list[dict[str, FloatArray]] = []
    excluded: list[str] = []
    units: list[str] = []
    obs_unit: list[int] = []
    sources: list[str] = []
    obs_source: list[int] = []

    def source_of(text: str) -> int:
        if text not in sources:
            sources.append(text)
        return sources.index(text)

    def unit_of(gpu: str) -> int:
        if gpu not in units:
            units.append(gpu)
        return units.index(gpu)

    def add_rows(obs: int, part: dict[str, FloatArray]) -> None:
        row_parts.append(part | {"obs": part["obs"] + obs})

    records: list[dict[str, Any]] = [{str(k): v for k, v in r.items()} for r in catalog.points.to_dict("records")]
    for rec in records:
        label = f"{rec['profile_id']}@{rec['concurrency']}"
        mode = str(rec["mode"])
        why = _why_not_modelled(rec, specs, models)
        if why:
            excluded.append(f"{label}: {why}")
            continue
        try:
            cycle, tpf_assumed, tpf_source = _point_cycle(rec, catalog.workloads)
        except (LookupError, ValueError) as e:
            excluded.append(f"{label}: {e}")
            continue
        spec = specs[str(rec["gpu"])]
        entry = models[str(rec["model"])]
        cost = model_cost(entry.arch, str(rec["precision"]), tied_embeddings=entry.tied_embeddings)
        isl, osl, length_note = _lengths(rec)
        b = float(rec["concurrency"])
        notes = [n for n in (length_note,) if n]
        in_fit = True
        if tpf_assumed:
            in_fit = False
            notes.append(f"TPF assumed ({tpf_source}): predicted, not fitted")
        if "custom" in str(rec["engine"]).casefold():
            in_fit = False
            notes.append("custom kernels, not a standard engine: predicted, not fitted")
        if not in_fit and not include_unfittable:
            continue
        obs = len(meta)
        meta.append(
            {
                "label": label,
                "group": str(rec["profile_id"]),
                "gpu": str(rec["gpu"]),
                "model": str(rec["model"]),
                "mode": mode,
                "precision": str(rec["precision"]),
                "block_size": cycle.block_size,
                "concurrency": int(rec["concurrency"]),
                "provenance": str(rec["provenance"]),
                "note": "; ".join(notes),
                "engine": str(rec["engine"]),
                "tpf": cycle.tokens_per_forward,
                "tpf_stated": tpf_source.startswith("the point's"),
                "speed_bench": _is_speed_bench(str(rec.get("dataset") or "")) and not str(rec.get("category") or ""),
                "source_notes": str(rec.get("provenance_notes") or ""),
                "serving": True,
                "actual": float(rec["output_tok_s"]),
                "batch": b,
                "a": cycle.tokens_per_cycle,
                "mode_code": SPEC_MODES.index(mode) + 1 if mode in SPEC_MODES else 0,
                "in_fit": in_fit,
            }
        )
        obs_unit.append(unit_of(spec.id))
        obs_source.append(source_of(str(rec["source"])))
        batch = np.array([b])
        rows = cycle_rows(
            cycle,
            batch,
            decode_context=isl + osl / 2.0,
            prefill_tokens=prefill_tokens_per_cycle(batch, cycle.tokens_per_cycle, isl, osl),
            prefill_attention_context=isl / 2.0,
            cost=cost,
            spec=spec,
        )
        add_rows(obs, rows)

    for fc in catalog.forward_costs:
        if fc.gpu is None or fc.gpu not in specs:
            excluded.append(f"{fc.id}: device {fc.device.name!r} has no gpu spec (gpu {fc.gpu!r})")
            continue
        if fc.precision not in BYTES_PER_PARAM:
            excluded.append(f"{fc.id}: precision {fc.precision!r} not modelled")
            continue
        spec = specs[fc.gpu]
        entry_for = models.get(fc.model)
        cost = model_cost(fc.arch, fc.precision, tied_embeddings=entry_for.tied_embeddings if entry_for else False)
        for p in fc.points:
            obs = len(meta)
            meta.append(
                {
                    "label": f"{fc.id}@B{p.batch}q{p.query_tokens}L{p.context_tokens}{p.attention[0]}",
                    "group": fc.id,
                    "gpu": fc.gpu,
                    "model": fc.model,
                    "mode": f"forward_{p.attention}",
                    "precision": fc.precision,
                    "block_size": None,
                    "concurrency": p.batch,
                    "provenance": fc.provenance.kind,
                    "note": f"forward q={p.query_tokens} L={p.context_tokens}",
                    "engine": "",
                    "tpf": float(p.query_tokens),
                    "tpf_stated": False,
                    "speed_bench": False,
                    "source_notes": "",
                    "serving": False,
                    "actual": p.time_ms_median / 1e3,
                    "batch": float(p.batch),
                    "a": float(p.query_tokens),
                    "mode_code": 0,
                    "in_fit": True,
                }
            )
            obs_unit.append(unit_of(spec.id))
            obs_source.append(source_of(fc.provenance.source))
            single = Cycle("forward", (Forward(p.query_tokens, p.attention, 1.0),), 1.0, 1.0)
            batch = np.array([float(p.batch)])
            add_rows(obs, cycle_rows(single, batch, decode_context=p.context_tokens, cost=cost, spec=spec))

    return _assemble(meta, row_parts, obs_unit, obs_source, sources, units, specs, excluded)


def _assemble(
    meta: list[dict[str, Any]],
    row_parts: list[dict[str, FloatArray]],
    obs_unit: list[int],
    obs_source: list[int],
    sources: list[str],
    units: list[str],
    specs: Mapping[str, GpuSpec],
    excluded: list[str],
) -> Observations:
    """The observation records and row parts as the arrays the fit works on."""
    meta_df = pd.DataFrame(meta)
    if meta_df.empty:
        meta_df = pd.DataFrame(columns=[*_META_COLUMNS])
    group_size = (
        meta_df.groupby("group")["label"].transform("size").to_numpy(dtype=np.float64) if len(meta_df) else np.zeros(0)
    )
    row_arrays: dict[str, npt.NDArray[Any]] = {
        k: np.concatenate([part[k] for part in row_parts]) if row_parts else np.zeros(0) for k in ROW_FIELDS
    }
    row_arrays["obs"] = row_arrays["obs"].astype(np.int64)
    row_arrays["role"] = row_arrays["role"].astype(np.int64)
    row_arrays["block"] = row_arrays["block"].astype(bool)
    row_arrays["fp8"] = row_arrays["fp8"].astype(bool)
    unit_arr = np.asarray(obs_unit, dtype=np.int64)
    row_arrays["unit"] = unit_arr[row_arrays["obs"]] if len(unit_arr) else np.zeros(0, dtype=np.int64)
    return Observations(
        meta=meta_df,
        serving=meta_df["serving"].to_numpy(dtype=bool) if len(meta_df) else np.zeros(0, dtype=bool),
        actual=meta_df["actual"].to_numpy(dtype=np.float64) if len(meta_df) else np.zeros(0),
        batch=meta_df["batch"].to_numpy(dtype=np.float64) if len(meta_df) else np.zeros(0),
        tokens_per_cycle=meta_df["a"].to_numpy(dtype=np.float64) if len(meta_df) else np.zeros(0),
        mode_code=meta_df["mode_code"].to_numpy(dtype=np.int64) if len(meta_df) else np.zeros(0, dtype=np.int64),
        unit=unit_arr,
        source=np.asarray(obs_source, dtype=np.int64),
        sources=sources,
        in_fit=meta_df["in_fit"].to_numpy(dtype=bool) if len(meta_df) else np.zeros(0, dtype=bool),
        group_size=group_size,
        units=units,
        unit_family=[gpu_family(specs[u]) for u in units],
        rows=row_arrays,
        excluded=excluded,
    )
