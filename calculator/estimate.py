"""Forward-pass cost estimator (a calibrated roofline) and throughput estimates for any GPU, mode,
concurrency and context, with its own leave-one-out error (DESIGN.md §6).

One forward at batch B, q new tokens per sequence and KV context L takes

    t(B, q, L) = overhead + B x overhead_per_seq + max(bytes / (hbm_tb_s x η_bw), flops / (peak x η_fl))
    bytes      = weights read + B x (L + q) x kv_bytes_per_token + B x q x activation_bytes_per_token
    flops      = B x q x (2 x (layer + LM-head params) + 4 x layers x heads x head_dim x L_att),
                 L_att = L + q/2 (causal mask) or L + q (block mask)

- weights read per forward: decoder layers at the precision's bytes per parameter (bf16/fp16 2, fp8/int8 1,
  int4/int4_awq 0.5 + group-128 scales and zeros ≈ 0.52, fp4/nvfp4 0.5625) plus the LM head, which
  quantised checkpoints keep in bf16; the input embedding is a gather (held in memory, not read).
- KV cache in bf16 (2 B per element) unless kv_precision="fp8"; kv_bytes_per_token = 2 x layers x
  kv_heads x head_dim x bytes.
- activations ≈ 2 B x layers x (4 x hidden + 2 x intermediate) per token (hidden state and MLP
  intermediates written and read once per layer; rough, it only matters near the ridge point).
- peak: bf16 dense TFLOPS, times the fitted fp8 gain (≤ the datasheet's fp8/bf16 ratio) for fp8/int8
  (and fp4) compute on GPUs with those tensor cores; weight-only int4 (AWQ) computes in bf16.
- overhead: fixed engine time per forward (scheduling, sampling, launches); overhead_per_seq: the part
  that grows with the number of running sequences (per-request bookkeeping, sampling, streaming).

η_bw, η_fl, overhead and overhead_per_seq are fitted (maximum a posteriori, in logit/log space, by
Levenberg-Marquardt with an analytic Jacobian) to every point we hold: serving profiles (vendor,
vendor_internal, community, measured, uploaded) through the decoding-mode model (calculator/modes.py),
and measured ForwardCost surfaces directly. They are hierarchical: a pooled set over all data, an offset
per GPU family (hopper, blackwell, ampere, ada, amd, other) and an offset per GPU with its own data, each
offset shrunk towards zero by a prior. A GPU without data takes its family's set; a family without data
the pooled set; with no data at all the documented defaults hold (η_bw 0.85: measured HBM bandwidth
reaches 90-92 % of peak, decode GEMVs a little less; η_fl 0.6: dense GEMM reaches 55-80 % of peak and
serving forwards add non-GEMM work; overhead 1.5 ms + 10 µs per sequence: per-step time of a CUDA-graph
serving engine). The pooled efficiencies have wide priors and the family offsets narrow ones, so that with
data from one family (all ours are SGLang on Blackwell) an unseen family inherits what the serving data
show instead of datasheet-level defaults. Shared across GPUs: the fp8 compute gain, the draft-model step
cost (EAGLE-3, MTP) and an extra engine time per cycle for each speculative/diffusion mode, which each data
source (one engine build) may scale by its own factor. Estimates are calibrated to the serving evidence
(ModeCalibration): for each mode, the engine time per cycle and the measured TPF of the source with the most
fitted serving points at concurrency > 1 (the B200 SGLang sweep), the same for every GPU, so GPUs rank by
hardware rather than by which engine build happened to measure them; the basis says so. fp8 on GPUs without
fp8 tensor cores (A100, A10G) is modelled as weight-only fp8 (fp8 weights read, bf16 compute).

Served throughput at concurrency B is B x a / cycle time, where the cycle's last target forward also
carries the B x a x ISL / OSL prompt tokens of the requests that replace finished ones (chunked prefill:
their FLOPs and KV writes join that forward's roofline). TTFT = t(1, ISL, prefix), a lone prefill (no
queueing). Every estimate is labelled "estimated" and carries its basis.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from calculator.catalog import Catalog, load_models, normalise_points
from calculator.loader import InputError
from calculator.modes import (
    DEFAULT_BLOCK_SIZE,
    DEFAULT_DRAFT_FRACTION,
    MODEL_MODES,
    SPEED_BENCH,
    Cycle,
    Forward,
    ForwardTimeFn,
    TpfChoice,
    accept_length_of,
    cycle_for,
    decode_tok_s,
    prefill_tokens_per_cycle,
    resolve_tpf,
)
from calculator.schema import Attention, GpuSpec, ModelArch, ModelEntry, WorkloadTable, slug

FloatArray = npt.NDArray[np.float64]

ESTIMATOR_VERSION = "1"
GB = 1e9
USABLE_MEMORY_FRACTION = 0.90  # of memory_gb: CUDA context, activations, graphs and fragmentation take the rest
TPF_PUBLISHED_CONTEXT_TOKENS = 4096
"""Prompt + output tokens covered by the published TPF tables (SPEED-Bench qualitative prompts of a few
hundred tokens with <= 1024 output tokens; the paper's benchmarks a few thousand). Beyond it TPF is assumed."""
# SPEED-Bench qualitative split as the bundled profiles ran it: prompts average ~1 KB of text (~250 tokens)
# plus the chat template; mean generation 638 tokens (the B200 sweep's authors; the 1024 in the profiles is the cap).
SPEED_BENCH_ISL = 300
SPEED_BENCH_OSL = 640
DEFAULT_ISL = 1024  # for a profile that states neither its lengths nor its dataset
DEFAULT_OSL = 1024

BYTES_PER_PARAM: dict[str, float] = {
    "fp32": 4.0,
    "fp16": 2.0,
    "bf16": 2.0,
    "fp8": 1.0,
    "int8": 1.0,
    "int4_awq": 0.5 + 2.5 / 128,  # 4-bit weights + fp16 scale and 4-bit zero per group of 128
    "int4": 0.5 + 2.5 / 128,
    "fp4": 0.5 + 1.0 / 16,  # 4-bit weights + an fp8 scale per 16
    "nvfp4": 0.5 + 1.0 / 16,
}
KV_BYTES_PER_ELEMENT: dict[str, float] = {"bf16": 2.0, "fp16": 2.0, "fp8": 1.0}
_QUANTISED = {"fp8", "int8", "int4_awq", "int4", "fp4", "nvfp4"}  # LM head stays bf16
_FP8_COMPUTE = {"fp8", "int8"}
_FP4_COMPUTE = {"fp4", "nvfp4"}

GPU_FAMILIES: dict[str, str] = {
    "a100-40gb": "ampere",
    "a100-80gb": "ampere",
    "a10g": "ampere",
    "h100-sxm": "hopper",
    "h100-pcie": "hopper",
    "h100-nvl": "hopper",
    "h200": "hopper",
    "b200": "blackwell",
    "gb200": "blackwell",
    "b300": "blackwell",
    "gb300": "blackwell",
    "rtx-pro-6000": "blackwell",
    "dgx-spark": "blackwell",
    "l40s": "ada",
    "l4": "ada",
    "mi300x": "amd",
    "mi325x": "amd",
    "mi355x": "amd",
}
_FAMILY_NAME_HINTS: tuple[tuple[str, str], ...] = (
    ("gh200", "hopper"),
    ("h100", "hopper"),
    ("h200", "hopper"),
    ("h20", "hopper"),
    ("h800", "hopper"),
    ("b200", "blackwell"),
    ("b300", "blackwell"),
    ("gb10", "blackwell"),
    ("blackwell", "blackwell"),
    ("rtx pro", "blackwell"),
    ("a100", "ampere"),
    ("a800", "ampere"),
    ("a10", "ampere"),
    ("a40", "ampere"),
    ("a6000", "ampere"),
    ("l40", "ada"),
    ("l4", "ada"),
    ("ada", "ada"),
)


def gpu_family(spec: GpuSpec) -> str:
    """hopper | blackwell | ampere | ada | amd | other: by id, else by vendor and name."""
    if spec.id in GPU_FAMILIES:
        return GPU_FAMILIES[spec.id]
    if spec.vendor == "amd":
        return "amd"
    name = f"{spec.id} {spec.name}".casefold()
    for hint, family in _FAMILY_NAME_HINTS:
        if hint in name:
            return family
    return "other"


# ---------------------------------------------------------------------------------------------
# What a forward reads and computes


@dataclass(frozen=True)
class ModelCost:
    """Per-forward cost coefficients of one model at one precision (see the module docstring)."""

    weight_bytes: float  # read per forward: layers at the precision + LM head
    memory_bytes: float  # held: + the input embedding
    kv_bytes_per_token: float
    activation_bytes_per_token: float
    dense_flops_per_token: float  # 2 x (layer + LM head params)
    attention_flops_per_token_ctx: float  # 4 x layers x heads x head_dim
    compute_class: str  # bf16 | fp8 | fp4 | fp32


def model_cost(
    arch: ModelArch, precision: str, *, tied_embeddings: bool = False, kv_precision: str = "bf16"
) -> ModelCost:
    """Bytes and FLOPs coefficients of one forward for `arch` at `precision` (weights) and `kv_precision`."""
    if precision not in BYTES_PER_PARAM:
        raise ValueError(f"unknown precision {precision!r}; known: {', '.join(BYTES_PER_PARAM)}")
    if kv_precision not in KV_BYTES_PER_ELEMENT:
        raise ValueError(f"unknown KV cache precision {kv_precision!r}; known: {', '.join(KV_BYTES_PER_ELEMENT)}")
    head = float(arch.vocab_size * arch.hidden_size)
    embed = 0.0 if tied_embeddings else head
    layers = max(arch.params - head - embed, 0.1 * arch.params)
    bpp = BYTES_PER_PARAM[precision]
    head_bpp = 2.0 if precision in _QUANTISED else bpp
    weight_bytes = layers * bpp + head * head_bpp
    kv = 2.0 * arch.num_layers * arch.num_kv_heads * arch.head_dim * KV_BYTES_PER_ELEMENT[kv_precision]
    act = 2.0 * arch.num_layers * (4.0 * arch.hidden_size + 2.0 * arch.intermediate_size)
    if precision in _FP8_COMPUTE:
        compute_class = "fp8"
    elif precision in _FP4_COMPUTE:
        compute_class = "fp4"
    elif precision == "fp32":
        compute_class = "fp32"
    else:
        compute_class = "bf16"  # bf16/fp16, and weight-only int4 (dequantised to bf16 in the GEMM)
    return ModelCost(
        weight_bytes=weight_bytes,
        memory_bytes=weight_bytes + embed * 2.0,
        kv_bytes_per_token=kv,
        activation_bytes_per_token=act,
        dense_flops_per_token=2.0 * (layers + head),
        attention_flops_per_token_ctx=4.0 * arch.num_layers * arch.num_attention_heads * arch.head_dim,
        compute_class=compute_class,
    )


def peak_flops(spec: GpuSpec, compute_class: str, fp8_gain: float) -> tuple[float, str]:
    """Usable peak FLOP/s for a compute class: bf16 TFLOPS x min(fitted fp8 gain, datasheet ratio)."""
    bf16 = spec.bf16_tflops * 1e12
    if compute_class == "fp32":
        return bf16 * 0.5, "bf16/2 (fp32 via tf32)"
    if compute_class in ("fp8", "fp4") and spec.fp8_tflops:
        ratio = (spec.fp4_tflops if compute_class == "fp4" and spec.fp4_tflops else spec.fp8_tflops) / spec.bf16_tflops
        gain = min(fp8_gain, ratio)
        return bf16 * gain, f"bf16 x {gain:.2f} ({compute_class} gain)"
    return bf16, "bf16"


def forward_time_s(
    *,
    batch: npt.ArrayLike,
    query_tokens: npt.ArrayLike,
    context_tokens: npt.ArrayLike,
    block_attention: npt.ArrayLike,
    weight_bytes: npt.ArrayLike,
    kv_bytes_per_token: npt.ArrayLike,
    activation_bytes_per_token: npt.ArrayLike,
    dense_flops_per_token: npt.ArrayLike,
    attention_flops_per_token_ctx: npt.ArrayLike,
    hbm_bytes_s: npt.ArrayLike,
    peak_flops_s: npt.ArrayLike,
    eta_bw: npt.ArrayLike,
    eta_fl: npt.ArrayLike,
    overhead_s: npt.ArrayLike,
    overhead_per_seq_s: npt.ArrayLike = 0.0,
) -> FloatArray:
    """t = overhead + B x overhead_per_seq + max(bytes / (HBM x η_bw), flops / (peak x η_fl)), vectorised.

    bytes = W + B x (L + q) x kv + B x q x act;  flops = B x q x (F + A x (L + q/2 causal | L + q block)).
    """
    b = np.asarray(batch, dtype=np.float64)
    q = np.asarray(query_tokens, dtype=np.float64)
    ctx = np.asarray(context_tokens, dtype=np.float64)
    tokens = b * q
    l_att = ctx + np.where(np.asarray(block_attention, dtype=bool), q, 0.5 * q)
    nbytes = (
        np.asarray(weight_bytes)
        + b * (ctx + q) * np.asarray(kv_bytes_per_token)
        + tokens * np.asarray(activation_bytes_per_token)
    )
    flops = tokens * (np.asarray(dense_flops_per_token) + np.asarray(attention_flops_per_token_ctx) * l_att)
    t_mem = nbytes / (np.asarray(hbm_bytes_s) * np.asarray(eta_bw))
    t_fl = flops / (np.asarray(peak_flops_s) * np.asarray(eta_fl))
    fixed = np.asarray(overhead_s, dtype=np.float64) + b * np.asarray(overhead_per_seq_s, dtype=np.float64)
    out: FloatArray = fixed + np.maximum(t_mem, t_fl)
    return out


# ---------------------------------------------------------------------------------------------
# Fitted parameters


@dataclass(frozen=True)
class Efficiency:
    """Achieved fractions of the datasheet and the fixed time per forward."""

    eta_bw: float
    eta_fl: float
    overhead_ms: float
    overhead_per_seq_us: float = 0.0

    def text(self) -> str:
        return (
            f"η_bw {self.eta_bw:.2f}, η_fl {self.eta_fl:.2f}, overhead {self.overhead_ms:.2f} ms"
            f" + {self.overhead_per_seq_us:.0f} µs per sequence"
        )


DEFAULTS = Efficiency(eta_bw=0.85, eta_fl=0.60, overhead_ms=1.5, overhead_per_seq_us=10.0)
DEFAULT_FP8_GAIN = 1.6
# Prior widths (logit η, log overhead) of the pooled set around the defaults, and of the offsets.
# The pooled efficiencies are wide (1.0) and the family offsets narrow (0.3): with serving data from one
# family only, what it shows (mostly the serving engine and the model's forward shapes, not the silicon) is
# carried to families without data, ~92 % of it, instead of falling back to datasheet-level defaults that
# flatter compute-bound modes (self-speculation at high concurrency). A family's own data still moves it.
_K = 4  # per-unit parameters: logit η_bw, logit η_fl, log overhead ms, log overhead per sequence µs
_PRIOR_WIDTH_POOLED = np.array([1.0, 1.0, 1.0, 1.5])
_PRIOR_WIDTH_FAMILY = np.array([0.3, 0.3, 0.3, 0.3])
_PRIOR_WIDTH_GPU = np.array([0.5, 0.5, 0.5, 0.5])
_PRIOR_WIDTH_FP8_GAIN = 0.4  # log
_PRIOR_WIDTH_DRAFT = 0.7  # log
_PRIOR_WIDTH_MODE_OVERHEAD_MS = 3.0
_PRIOR_WIDTH_SOURCE_MODE_OVERHEAD = 1.0  # log multiplier of one data source's per-mode overhead
_PRIOR_WIDTH_FORWARD_OVERHEAD = 2.0  # log factor: a timed bare forward vs a serving engine's step
_MAX_ITERATIONS = 200
_TOLERANCE = 1e-6  # stop when an iteration lowers the cost by less than this fraction
_SIGMA = 0.12  # expected log error of one point (reading figures off plots, run-to-run noise)
_SPEC_MODES = ("diffusion", "self_spec", "spec_eagle3", "spec_mtp")


@dataclass(frozen=True)
class ModeCalibration:
    """What serving estimates of a speculative/diffusion mode take from the serving evidence: the engine time
    per cycle and the tokens per forward of one data source (the one with the most fitted serving points of
    the mode at concurrency > 1, i.e. a serving sweep; else the one with the most points)."""

    mode: str
    source: str  # provenance source text of the data
    label: str  # in words, e.g. "the B200 SGLang sweep (vendor-internal, pre-release checkpoint)"
    engine_ms: float  # that source's fitted engine time per cycle
    gpus: tuple[str, ...]  # GPUs the source measured
    points: int  # its fitted serving points of this mode
    serving_sweep: bool  # it has points at concurrency > 1
    tpf: Mapping[tuple[str, int, str], float] = field(default_factory=dict)
    """Its measured tokens per forward on SPEED-Bench, by (model, block size, precision)."""


@dataclass(frozen=True)
class FitResult:
    """Fitted estimator parameters: pooled, per family and per GPU with data, plus shared terms."""

    defaults: Efficiency
    pooled: Efficiency
    families: Mapping[str, Efficiency]
    gpus: Mapping[str, Efficiency]
    fp8_gain: float
    draft_fraction: Mapping[str, float]
    mode_overhead_ms: Mapping[str, float]
    source_mode_overhead_ms: Mapping[str, Mapping[str, float]]
    n_points: int
    points_by_family: Mapping[str, int]
    points_by_gpu: Mapping[str, int]
    excluded: tuple[str, ...] = ()
    calibration: Mapping[str, ModeCalibration] = field(default_factory=dict)
    """Per mode: the serving evidence estimates are calibrated to (engine time per cycle, TPF)."""
    mode_sources_by_gpu: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    """gpu -> mode -> the data sources of its fitted serving points of that mode."""

    def mode_overhead(self, mode: str) -> float:
        """Extra engine time per cycle of `mode` used by estimates, ms: the serving calibration's (the engine
        build of the serving sweep, the same for every GPU so that GPUs rank by hardware, not by which engine
        build measured them); the shared fitted value when no data calibrate the mode."""
        cal = self.calibration.get(mode)
        return cal.engine_ms if cal is not None else self.mode_overhead_ms.get(mode, 0.0)

    def efficiency(self, spec: GpuSpec) -> tuple[Efficiency, str]:
        """The parameters for a GPU and how they were obtained (the basis text)."""
        family = gpu_family(spec)
        if spec.id in self.gpus:
            basis = (
                f"fitted on {self.points_by_gpu[spec.id]} {spec.id} points"
                f" (family {family}: {self.points_by_family.get(family, 0)}; all: {self.n_points})"
            )
            return self.gpus[spec.id], basis
        if family in self.families:
            basis = (
                f"no {spec.id} data: family {family} fit ({self.points_by_family[family]} points; all: {self.n_points})"
            )
            return self.families[family], basis
        if self.n_points:
            have = ", ".join(sorted(self.points_by_family))
            return self.pooled, (
                f"no {spec.id} or other {family} data: pooled fit over all {self.n_points} points (families: {have})"
            )
        return self.defaults, "no data: documented defaults"


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def _sigmoid(x: npt.ArrayLike) -> FloatArray:
    out: FloatArray = 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))
    return out


_THETA0 = np.array(
    [
        _logit(DEFAULTS.eta_bw),
        _logit(DEFAULTS.eta_fl),
        math.log(DEFAULTS.overhead_ms),
        math.log(DEFAULTS.overhead_per_seq_us),
    ]
)


def _efficiency(theta: FloatArray) -> Efficiency:
    s = _sigmoid(theta[:2])
    return Efficiency(float(s[0]), float(s[1]), float(math.exp(theta[2])), float(math.exp(theta[3])))


# ---------------------------------------------------------------------------------------------
# Observations: every point we hold, as rows of forwards


@dataclass
class _Observations:
    """Points to fit/predict (one per profile point or forward-surface point) and their forward rows."""

    meta: pd.DataFrame  # one row per observation
    serving: npt.NDArray[np.bool_]
    actual: FloatArray  # tok/s (serving) or seconds (forward)
    batch: FloatArray
    tokens_per_cycle: FloatArray
    mode_code: npt.NDArray[np.int64]  # index into _SPEC_MODES + 1; 0 = no mode overhead
    unit: npt.NDArray[np.int64]  # index into units (gpu ids)
    source: npt.NDArray[np.int64]  # index into sources (provenance source: one engine build / publication)
    sources: list[str]
    in_fit: npt.NDArray[np.bool_]
    group_size: FloatArray
    units: list[str]
    unit_family: list[str]
    rows: dict[str, npt.NDArray[Any]]  # per forward row, see _row_fields
    excluded: list[str]


_ROW_FIELDS = (
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


def _cycle_rows(
    cycle: Cycle,
    batch: FloatArray,
    *,
    decode_context: float,
    cost: ModelCost,
    spec: GpuSpec,
    prefill_tokens: FloatArray | None = None,
    prefill_attention_context: float = 0.0,
) -> dict[str, FloatArray]:
    """Forward rows of one cycle at each batch size (row obs = index into `batch`), ready for _row_times.

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


def _row_times(
    r: Mapping[str, npt.NDArray[Any]],
    *,
    eta_bw: FloatArray,
    eta_fl: FloatArray,
    fixed_s: FloatArray,
    gain: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(t, memory term, compute term) of each forward row: t = fixed + max(bytes / (HBM η_bw), flops / (peak η_fl))."""
    b, q, ctx = r["batch"], r["q"], r["ctx"]
    tokens = b * q
    l_att = ctx + np.where(r["block"].astype(bool), q, 0.5 * q)
    mem = (r["W"] + b * (ctx + q) * r["kv"] + tokens * r["act"] + r["xB"]) / (r["hbm"] * eta_bw)
    fl = (tokens * (r["F"] + r["A"] * l_att) + r["xF"]) / (r["peak"] * gain * eta_fl)
    t: FloatArray = fixed_s + np.maximum(mem, fl)
    return t, mem, fl


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


def _observations(
    catalog: Catalog, models: Mapping[str, ModelEntry], *, include_unfittable: bool = True
) -> _Observations:
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

    points = catalog.points
    records: list[dict[str, Any]] = [{str(k): v for k, v in r.items()} for r in points.to_dict("records")]
    for rec in records:
        label = f"{rec['profile_id']}@{rec['concurrency']}"
        mode = str(rec["mode"])
        why = ""
        if rec["provenance"] == "estimated":
            why = "an estimate, not a measurement"
        elif mode not in MODEL_MODES:
            why = f"mode {mode!r} has no cycle model"
        elif rec["gpu"] not in specs:
            why = f"gpu {rec['gpu']!r} not in gpus.yaml"
        elif rec["model"] not in models:
            why = f"no architecture for model {rec['model']!r} in models.yaml"
        elif int(rec["gpus_per_replica"]) != 1:
            why = "multi-GPU replica (the estimator models one GPU)"
        elif rec["precision"] not in BYTES_PER_PARAM:
            why = f"precision {rec['precision']!r} not modelled"
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
            }
        )
        obs_unit.append(unit_of(spec.id))
        obs_source.append(source_of(str(rec["source"])))
        batch = np.array([b])
        rows = _cycle_rows(
            cycle,
            batch,
            decode_context=isl + osl / 2.0,
            prefill_tokens=prefill_tokens_per_cycle(batch, cycle.tokens_per_cycle, isl, osl),
            prefill_attention_context=isl / 2.0,
            cost=cost,
            spec=spec,
        )
        add_rows(obs, rows)
        meta[-1].update(
            serving=True,
            actual=float(rec["output_tok_s"]),
            batch=b,
            a=cycle.tokens_per_cycle,
            mode_code=_SPEC_MODES.index(mode) + 1 if mode in _SPEC_MODES else 0,
            in_fit=in_fit,
        )

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
            add_rows(obs, _cycle_rows(single, batch, decode_context=p.context_tokens, cost=cost, spec=spec))

    meta_df = pd.DataFrame(meta)
    if meta_df.empty:
        meta_df = pd.DataFrame(columns=[*_META_COLUMNS])
    group_size = (
        meta_df.groupby("group")["label"].transform("size").to_numpy(dtype=np.float64) if len(meta_df) else np.zeros(0)
    )
    row_arrays: dict[str, npt.NDArray[Any]] = {
        k: np.concatenate([part[k] for part in row_parts]) if row_parts else np.zeros(0) for k in _ROW_FIELDS
    }
    row_arrays["obs"] = row_arrays["obs"].astype(np.int64)
    row_arrays["role"] = row_arrays["role"].astype(np.int64)
    row_arrays["block"] = row_arrays["block"].astype(bool)
    row_arrays["fp8"] = row_arrays["fp8"].astype(bool)
    unit_arr = np.asarray(obs_unit, dtype=np.int64)
    row_arrays["unit"] = unit_arr[row_arrays["obs"]] if len(unit_arr) else np.zeros(0, dtype=np.int64)
    return _Observations(
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


# ---------------------------------------------------------------------------------------------
# The fit


@dataclass(frozen=True, eq=False)
class _Layout:
    """Where each parameter lives in the flat vector θ."""

    families: list[str]
    unit_family_index: npt.NDArray[np.int64]
    n_units: int
    n_sources: int

    @property
    def n_theta(self) -> int:
        return (
            _K * (1 + len(self.families) + self.n_units) + 3 + len(_SPEC_MODES) * (1 + self.n_sources) + self.n_sources
        )

    def source_mode_offsets(self, theta: FloatArray) -> FloatArray:
        """Per-source log multipliers of the per-mode cycle overhead (n_sources x modes)."""
        start = _K * (1 + len(self.families) + self.n_units) + 3 + len(_SPEC_MODES)
        out: FloatArray = theta[start : start + self.n_sources * len(_SPEC_MODES)].reshape(
            self.n_sources, len(_SPEC_MODES)
        )
        return out

    def forward_overhead_factors(self, theta: FloatArray) -> FloatArray:
        """Per-source log factor on the fixed overheads for forward-surface points (a bare timed forward
        carries no serving-engine time; serving points leave these at 0)."""
        out: FloatArray = theta[self.n_theta - self.n_sources :]
        return out

    def split(self, theta: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
        nf, nu = len(self.families), self.n_units
        g = theta[:_K]
        fam = theta[_K : _K * (1 + nf)].reshape(nf, _K)
        base = _K * (1 + nf + nu)
        unit = theta[_K * (1 + nf) : base].reshape(nu, _K)
        shared = theta[base : base + 3]
        mode_oh = theta[base + 3 : base + 3 + len(_SPEC_MODES)]
        return g, fam, unit, shared, mode_oh

    def unit_theta(self, theta: FloatArray) -> FloatArray:
        g, fam, unit, _, _ = self.split(theta)
        if self.n_units == 0:
            return np.zeros((0, _K))
        out: FloatArray = g[None, :] + fam[self.unit_family_index] + unit
        return out


def _layout(obs: _Observations) -> _Layout:
    families = sorted(set(obs.unit_family))
    index = np.asarray([families.index(f) for f in obs.unit_family], dtype=np.int64)
    return _Layout(families, index, len(obs.units), len(obs.sources))


def _theta_start(layout: _Layout) -> FloatArray:
    theta = np.zeros(layout.n_theta)
    theta[:_K] = _THETA0
    base = _K * (1 + len(layout.families) + layout.n_units)
    theta[base] = math.log(DEFAULT_FP8_GAIN)
    theta[base + 1] = math.log(DEFAULT_DRAFT_FRACTION["draft_eagle3"])
    theta[base + 2] = math.log(DEFAULT_DRAFT_FRACTION["draft_mtp"])
    return theta


def _bounds(layout: _Layout) -> tuple[FloatArray, FloatArray]:
    lo = np.full(layout.n_theta, -np.inf)
    hi = np.full(layout.n_theta, np.inf)
    base = _K * (1 + len(layout.families) + layout.n_units)
    lo[base], hi[base] = 0.0, math.log(2.0)  # fp8 gain in [1, 2]
    lo[base + 1 : base + 3], hi[base + 1 : base + 3] = math.log(0.01), 0.0  # draft fraction in [0.01, 1]
    lo[base + 3 : base + 3 + len(_SPEC_MODES)] = 0.0  # mode overhead ms in [0, 100]
    hi[base + 3 : base + 3 + len(_SPEC_MODES)] = 100.0
    lo[base + 3 + len(_SPEC_MODES) :], hi[base + 3 + len(_SPEC_MODES) :] = -5.0, 5.0
    return lo, hi


def _evaluate(
    obs: _Observations,
    layout: _Layout,
    theta: FloatArray,
    *,
    jacobian: bool = False,
    mode_overhead_s: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray | None]:
    """Predicted tok/s (serving observations) or seconds (forward observations) for θ, and optionally
    d log(prediction) / dθ (analytic: the model is a sum of max() terms, so the fit needs no finite differences).

    mode_overhead_s: per observation, the engine time per cycle to use instead of its own data source's (to
    predict a point the way an estimate is made); not with jacobian."""
    r = obs.rows
    n_obs = len(obs.meta)
    if n_obs == 0:
        return np.zeros(0), (np.zeros((0, layout.n_theta)) if jacobian else None)
    ut = layout.unit_theta(theta)
    _, _, _, shared, mode_oh = layout.split(theta)
    offsets = layout.source_mode_offsets(theta)
    eff = _sigmoid(ut[:, :2])
    c0 = np.exp(ut[:, 2]) / 1e3
    cseq = np.exp(ut[:, 3]) / 1e6
    u = r["unit"]
    gain_raw = math.exp(shared[0])
    gain_capped = r["fp8"] & (gain_raw < r["ratio"])
    gain = np.where(r["fp8"], np.minimum(gain_raw, r["ratio"]), 1.0)
    b = r["batch"]
    row_source = obs.source[r["obs"]]
    row_forward = ~obs.serving[r["obs"]]
    factor = np.where(row_forward, np.exp(layout.forward_overhead_factors(theta)[row_source]), 1.0)
    fixed = (c0[u] + b * cseq[u]) * factor
    t, mem, fl = _row_times(r, eta_bw=eff[u, 0], eta_fl=eff[u, 1], fixed_s=fixed, gain=gain)
    mem_bound = mem >= fl
    draft = np.array([1.0, math.exp(shared[1]), math.exp(shared[2])])
    weight_row = r["count"] * draft[r["role"]]
    per_obs = np.bincount(r["obs"], weights=weight_row * t, minlength=n_obs)
    source_oh = mode_oh[None, :] * np.exp(offsets)  # n_sources x modes, ms
    oh_table = np.concatenate([np.zeros((layout.n_sources, 1)), source_oh], axis=1) / 1e3
    oh = oh_table[obs.source, obs.mode_code] * obs.serving
    if mode_overhead_s is not None:
        if jacobian:
            raise ValueError("mode_overhead_s is for predictions, not for the fit's Jacobian")
        oh = np.asarray(mode_overhead_s, dtype=np.float64) * obs.serving
    cycle = per_obs + oh
    pred: FloatArray = np.where(obs.serving, obs.batch * obs.tokens_per_cycle / cycle, cycle)
    if not jacobian:
        return pred, None

    def per_obs_sum(values: FloatArray) -> FloatArray:
        out = np.bincount(r["obs"], weights=weight_row * values, minlength=n_obs)
        return np.asarray(out, dtype=np.float64)

    eta_bw, eta_fl = eff[u, 0], eff[u, 1]
    unit_derivs = (
        per_obs_sum(np.where(mem_bound, -mem * (1.0 - eta_bw), 0.0)),
        per_obs_sum(np.where(mem_bound, 0.0, -fl * (1.0 - eta_fl))),
        per_obs_sum(c0[u] * factor),
        per_obs_sum(b * cseq[u] * factor),
    )
    jac = np.zeros((n_obs, layout.n_theta))
    rows_i = np.arange(n_obs)
    nf = len(layout.families)
    fam_of_obs = layout.unit_family_index[obs.unit]
    for k, d in enumerate(unit_derivs):
        jac[:, k] = d
        jac[rows_i, _K + fam_of_obs * _K + k] = d
        jac[rows_i, _K * (1 + nf) + obs.unit * _K + k] = d
    base = _K * (1 + nf + layout.n_units)
    jac[:, base] = per_obs_sum(np.where(~mem_bound & gain_capped, -fl, 0.0))
    jac[:, base + 1] = per_obs_sum(np.where(r["role"] == 1, t, 0.0))
    jac[:, base + 2] = per_obs_sum(np.where(r["role"] == 2, t, 0.0))
    with_mode = obs.serving & (obs.mode_code > 0)
    mode_i = obs.mode_code[with_mode] - 1
    source_i = obs.source[with_mode]
    idx = rows_i[with_mode]
    n_modes = len(_SPEC_MODES)
    jac[idx, base + 3 + mode_i] = np.exp(offsets[source_i, mode_i]) / 1e3
    jac[idx, base + 3 + n_modes + source_i * n_modes + mode_i] = oh[with_mode]
    forward_rows = np.flatnonzero(row_forward)
    if len(forward_rows):
        contrib = weight_row[forward_rows] * fixed[forward_rows]
        cols = layout.n_theta - layout.n_sources + row_source[forward_rows]
        np.add.at(jac, (r["obs"][forward_rows], cols), contrib)
    sign = np.where(obs.serving, -1.0, 1.0)
    jac *= (sign / cycle)[:, None]
    return pred, jac


def _predict(obs: _Observations, layout: _Layout, theta: FloatArray) -> FloatArray:
    """Predicted tok/s (serving observations) or seconds (forward observations) for θ."""
    return _evaluate(obs, layout, theta)[0]


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


def _calibrations(
    obs: _Observations, layout: _Layout, theta: FloatArray, weight: FloatArray
) -> dict[str, ModeCalibration]:
    """Per speculative/diffusion mode with fitted serving points: the source estimates are calibrated to (the
    one with the most fitted points at concurrency > 1, a serving sweep; else the one with the most points),
    its fitted engine time per cycle and its measured TPF on SPEED-Bench (ModeCalibration)."""
    meta = obs.meta
    if meta.empty:
        return {}
    _, _, _, _, mode_oh = layout.split(theta)
    offsets = layout.source_mode_offsets(theta)
    used = obs.serving & (weight > 0)
    out: dict[str, ModeCalibration] = {}
    for j, mode in enumerate(_SPEC_MODES):
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


def _predict_as_estimated(obs: _Observations, layout: _Layout, theta: FloatArray, weight: FloatArray) -> FloatArray:
    """Predictions made the way estimate_points makes them: each speculative/diffusion point's engine time per
    cycle is the serving calibration's (of the fit with these weights), not its own data source's."""
    _, _, _, _, mode_oh = layout.split(theta)
    cal = _calibrations(obs, layout, theta, weight)
    per_mode = np.zeros(len(_SPEC_MODES) + 1)
    for j, mode in enumerate(_SPEC_MODES):
        per_mode[j + 1] = cal[mode].engine_ms if mode in cal else float(mode_oh[j])
    return _evaluate(obs, layout, theta, mode_overhead_s=per_mode[obs.mode_code] / 1e3)[0]


@functools.lru_cache(maxsize=64)
def _prior(layout: _Layout) -> tuple[FloatArray, FloatArray]:
    """Prior centre and width of every entry of θ, in θ's order (cached per layout)."""
    nf, nu, n_modes = len(layout.families), layout.n_units, len(_SPEC_MODES)
    centre = np.concatenate(
        [
            _THETA0,
            np.zeros(_K * (nf + nu)),
            [math.log(DEFAULT_FP8_GAIN)],
            np.log([DEFAULT_DRAFT_FRACTION["draft_eagle3"], DEFAULT_DRAFT_FRACTION["draft_mtp"]]),
            np.zeros(n_modes * (1 + layout.n_sources)),
            np.zeros(layout.n_sources),
        ]
    )
    width = np.concatenate(
        [
            _PRIOR_WIDTH_POOLED,
            np.tile(_PRIOR_WIDTH_FAMILY, nf),
            np.tile(_PRIOR_WIDTH_GPU, nu),
            [_PRIOR_WIDTH_FP8_GAIN, _PRIOR_WIDTH_DRAFT, _PRIOR_WIDTH_DRAFT],
            np.full(n_modes, _PRIOR_WIDTH_MODE_OVERHEAD_MS),
            np.full(n_modes * layout.n_sources, _PRIOR_WIDTH_SOURCE_MODE_OVERHEAD),
            np.full(layout.n_sources, _PRIOR_WIDTH_FORWARD_OVERHEAD),
        ]
    )
    return centre, width


def _residuals(obs: _Observations, layout: _Layout, theta: FloatArray, weight: FloatArray) -> FloatArray:
    """Weighted log errors of the points, then the prior terms (θ - centre) / width."""
    pred, _ = _evaluate(obs, layout, theta)
    centre, width = _prior(layout)
    out: FloatArray = np.concatenate([np.sqrt(weight) * np.log(pred / obs.actual) / _SIGMA, (theta - centre) / width])
    return out


def _residual_jacobian(obs: _Observations, layout: _Layout, theta: FloatArray, weight: FloatArray) -> FloatArray:
    _, jac = _evaluate(obs, layout, theta, jacobian=True)
    assert jac is not None
    _, width = _prior(layout)
    out: FloatArray = np.vstack([(np.sqrt(weight) / _SIGMA)[:, None] * jac, np.diag(1.0 / width)])
    return out


def _weights(obs: _Observations, drop: npt.NDArray[np.bool_] | None = None) -> FloatArray:
    """Each point weighs 1 / sqrt(points in its profile): a dense sweep counts more than one point, not 8x."""
    w = np.where(obs.in_fit, 1.0 / np.sqrt(np.maximum(obs.group_size, 1.0)), 0.0)
    if drop is not None:
        w = np.where(drop, 0.0, w)
    out: FloatArray = w
    return out


def _solve(obs: _Observations, layout: _Layout, weight: FloatArray, theta0: FloatArray | None = None) -> FloatArray:
    """Minimise ½ Σ residuals² by projected Levenberg-Marquardt on the normal equations (θ has ~50 entries;
    the priors keep JᵀJ well conditioned; bounds are enforced by clipping each step)."""
    lo, hi = _bounds(layout)
    theta = np.clip(_theta_start(layout) if theta0 is None else theta0, lo, hi)
    if not np.any(weight > 0):
        return theta
    res = _residuals(obs, layout, theta, weight)
    cost = 0.5 * float(res @ res)
    damping = 1e-3
    for _ in range(_MAX_ITERATIONS):
        jac = _residual_jacobian(obs, layout, theta, weight)
        normal = jac.T @ jac
        grad = jac.T @ res
        scale = np.diag(normal).copy()
        improved = False
        while damping < 1e10:
            step = np.linalg.solve(normal + damping * np.diag(scale), grad)
            candidate = np.clip(theta - step, lo, hi)
            res_new = _residuals(obs, layout, candidate, weight)
            cost_new = 0.5 * float(res_new @ res_new)
            if np.isfinite(cost_new) and cost_new <= cost:
                improved = True
                break
            damping *= 4.0
        if not improved:
            break
        done = cost - cost_new <= _TOLERANCE * (1.0 + cost)
        theta, res, cost = candidate, res_new, cost_new
        damping = max(damping / 3.0, 1e-9)
        if done:
            break
    return theta


def _fit_result(obs: _Observations, layout: _Layout, theta: FloatArray, weight: FloatArray) -> FitResult:
    g, fam, _, shared, mode_oh = layout.split(theta)
    offsets = layout.source_mode_offsets(theta)
    used = weight > 0
    unit_points = np.bincount(obs.unit[used], minlength=layout.n_units) if len(obs.unit) else np.zeros(0, dtype=int)
    ut = layout.unit_theta(theta)
    gpus = {u: _efficiency(ut[i]) for i, u in enumerate(obs.units) if unit_points[i] > 0}
    by_gpu = {u: int(unit_points[i]) for i, u in enumerate(obs.units) if unit_points[i] > 0}
    by_family: dict[str, int] = {}
    for i, family in enumerate(obs.unit_family):
        by_family[family] = by_family.get(family, 0) + int(unit_points[i])
    families = {f: _efficiency(g + fam[j]) for j, f in enumerate(layout.families) if by_family.get(f, 0) > 0}
    n = int(used.sum())
    sources_by_gpu: dict[str, dict[str, tuple[str, ...]]] = {}
    if len(obs.meta):
        served = obs.meta[used & obs.serving].assign(source=[obs.sources[i] for i in obs.source[used & obs.serving]])
        for (gpu, mode), rows in served.groupby(["gpu", "mode"]):
            sources_by_gpu.setdefault(str(gpu), {})[str(mode)] = tuple(dict.fromkeys(rows["source"]))
    return FitResult(
        defaults=DEFAULTS,
        pooled=_efficiency(g) if n else DEFAULTS,
        families=families,
        gpus=gpus,
        fp8_gain=float(math.exp(shared[0])),
        draft_fraction={"draft_eagle3": float(math.exp(shared[1])), "draft_mtp": float(math.exp(shared[2]))},
        mode_overhead_ms={m: float(mode_oh[i]) for i, m in enumerate(_SPEC_MODES)},
        source_mode_overhead_ms={
            src: {m: float(mode_oh[j] * math.exp(offsets[i, j])) for j, m in enumerate(_SPEC_MODES)}
            for i, src in enumerate(obs.sources)
        },
        n_points=n,
        points_by_family={k: v for k, v in by_family.items() if v > 0},
        points_by_gpu=by_gpu,
        excluded=tuple(obs.excluded),
        calibration=_calibrations(obs, layout, theta, weight),
        mode_sources_by_gpu=sources_by_gpu,
    )


_FIT_CACHE: dict[str, tuple[FitResult, _Observations, _Layout, FloatArray]] = {}


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


_KEY_BY_IDENTITY: dict[int, tuple[Catalog, int, int, str]] = {}


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


def _fitted(
    catalog: Catalog, models: Mapping[str, ModelEntry] | None = None
) -> tuple[FitResult, _Observations, _Layout, FloatArray]:
    models = _models(models)
    key = _catalog_key(catalog, models) if models is _MODELS_CACHE else _fingerprint(catalog, models)
    if key not in _FIT_CACHE:
        obs = _observations(catalog, models)
        layout = _layout(obs)
        weight = _weights(obs)
        theta = _solve(obs, layout, weight)
        if len(_FIT_CACHE) > 16:
            _FIT_CACHE.clear()
        _FIT_CACHE[key] = (_fit_result(obs, layout, theta, weight), obs, layout, theta)
    return _FIT_CACHE[key]


def fit(catalog: Catalog, models: Mapping[str, ModelEntry] | None = None) -> FitResult:
    """Fit η_bw, η_fl and overhead (pooled, per family, per GPU) and the shared terms to the catalog's points.

    A pure function of the catalog (and model architectures); results are cached by content.
    """
    return _fitted(catalog, models)[0]


_MODELS_CACHE: dict[str, ModelEntry] = {}


def _models(models: Mapping[str, ModelEntry] | None) -> Mapping[str, ModelEntry]:
    if models is not None:
        return models
    if not _MODELS_CACHE:
        _MODELS_CACHE.update(load_models())
    return _MODELS_CACHE


# ---------------------------------------------------------------------------------------------
# Estimates for the app and the CLI

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
    t, _, _ = _row_times(
        rows, eta_bw=np.full(len(fixed), eff.eta_bw), eta_fl=np.full(len(fixed), eff.eta_fl), fixed_s=fixed, gain=gain
    )
    scale = np.array([1.0, result.draft_fraction["draft_eagle3"], result.draft_fraction["draft_mtp"]])
    role = rows["role"].astype(np.int64)
    out = np.bincount(rows["obs"].astype(np.int64), weights=rows["count"] * scale[role] * t, minlength=n)
    return np.asarray(out, dtype=np.float64)


_MODE_WORDS = {
    "self_spec": "self-speculation",
    "diffusion": "diffusion",
    "spec_eagle3": "EAGLE-3",
    "spec_mtp": "MTP",
}


def _engine_basis(result: FitResult, gpu: str, mode: str) -> str:
    """The basis clause on the engine time per cycle (speculative/diffusion modes): where it comes from and
    whether this GPU has serving data of the mode."""
    if mode not in _SPEC_MODES:
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
    model_map = _models(models)
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

        rows = _cycle_rows(
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


# ---------------------------------------------------------------------------------------------
# Validation shown to users

LOO_COLUMNS = [
    "gpu",
    "model",
    "mode",
    "precision",
    "block_size",
    "concurrency",
    "provenance",
    "actual_tok_s",
    "predicted_tok_s",
    "error_pct",
    "in_fit",
    "point",
    "note",
]


def leave_one_out(
    catalog: Catalog, *, group: str = "point", models: Mapping[str, ModelEntry] | None = None
) -> pd.DataFrame:
    """Predict every point we hold with the estimator refitted without it (group="point"), without its
    whole profile ("profile"), or without every point of its GPU ("gpu": how well it does on a GPU it has
    never seen). Points not used in the fit (TPF assumed, custom kernels) are predicted with the full fit.
    Predictions are made as estimates are: a speculative/diffusion point's engine time per cycle is the
    serving calibration's of that refit (ModeCalibration), not its own data source's; its TPF is its own.

    Columns: LOO_COLUMNS; error_pct = (predicted - actual) / actual x 100. For forward-surface points
    actual/predicted are tokens/s of that forward (batch x q / time).
    """
    if group not in ("point", "profile", "gpu"):
        raise ValueError(f"group must be point, profile or gpu, got {group!r}")
    _, obs, layout, theta_full = _fitted(catalog, models)
    meta = obs.meta
    if meta.empty:
        return pd.DataFrame(columns=LOO_COLUMNS)
    keys = meta["label"] if group == "point" else meta["group"] if group == "profile" else meta["gpu"]
    predicted = _predict_as_estimated(obs, layout, theta_full, _weights(obs)).copy()
    for key in pd.unique(keys):
        drop = (keys == key).to_numpy()
        if not np.any(drop & obs.in_fit):
            continue
        weight = _weights(obs, drop)
        theta = _solve(obs, layout, weight, theta_full)
        predicted[drop] = _predict_as_estimated(obs, layout, theta, weight)[drop]
    to_tok_s = np.where(obs.serving, 1.0, obs.batch * obs.tokens_per_cycle)
    actual = np.where(obs.serving, obs.actual, to_tok_s / obs.actual)
    pred = np.where(obs.serving, predicted, to_tok_s / predicted)
    out = pd.DataFrame(
        {
            "gpu": meta["gpu"],
            "model": meta["model"],
            "mode": meta["mode"],
            "precision": meta["precision"],
            "block_size": pd.to_numeric(meta["block_size"]).astype("Int64"),
            "concurrency": meta["concurrency"].astype(np.int64),
            "provenance": meta["provenance"],
            "actual_tok_s": actual,
            "predicted_tok_s": pred,
            "error_pct": (pred - actual) / actual * 100.0,
            "in_fit": obs.in_fit,
            "point": meta["label"],
            "note": meta["note"],
        }
    )
    return out[LOO_COLUMNS]


def error_summary(loo_df: pd.DataFrame) -> pd.DataFrame:
    """Median and worst absolute % error per GPU and mode, per mode over all GPUs, and overall."""
    cols = ["gpu", "mode", "points", "median_abs_error_pct", "worst_abs_error_pct"]
    if loo_df.empty:
        return pd.DataFrame(columns=cols)
    df = loo_df.assign(abs_error_pct=loo_df["error_pct"].abs())

    def summarise(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
        g = frame.groupby(keys, sort=True)["abs_error_pct"]
        return g.agg(points="size", median_abs_error_pct="median", worst_abs_error_pct="max").reset_index()

    per = summarise(df, ["gpu", "mode"])
    by_mode = summarise(df, ["mode"]).assign(gpu="all")
    overall = summarise(df.assign(gpu="all", mode="all"), ["gpu", "mode"])
    return pd.concat([per, by_mode, overall], ignore_index=True)[cols]


GROUPING_WORDS: dict[str, str] = {
    "point": "a point of a GPU we have data for",
    "profile": "a configuration (whole profile) we have no data for, on a GPU we have data for",
    "gpu": "a GPU we have no data for",
}
HEADLINE_COLUMNS = [
    "grouping",
    "predicting",
    "modes",
    "points",
    "median_abs_error_pct",
    "worst_abs_error_pct",
    "worst_point",
]


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


def headline_errors(
    catalog: Catalog,
    *,
    groupings: Sequence[str] = ("point", "gpu"),
    models: Mapping[str, ModelEntry] | None = None,
) -> pd.DataFrame:
    """The estimator's error as users should read it: median and worst absolute % error of leave-one-out
    predictions, per grouping ("point": a point of a GPU we have data for; "gpu": a GPU we have no data for,
    the figure that applies to an estimate on such a GPU), over all modes and for AR and self_spec separately.

    Columns: HEADLINE_COLUMNS (grouping, predicting in words, modes, points, median/worst abs error %, and
    the worst point's label). Predictions are made as estimates are (calibration engine time per cycle).
    """
    return _headline({g: leave_one_out(catalog, group=g, models=models) for g in groupings})


def _headline(loos: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """headline_errors from leave_one_out tables by grouping."""
    rows: list[dict[str, Any]] = []
    for grouping, loo in loos.items():
        for modes in ("all", "ar", "self_spec"):
            sel = loo if modes == "all" else loo[loo["mode"] == modes]
            err = sel["error_pct"].abs()
            rows.append(
                {
                    "grouping": grouping,
                    "predicting": GROUPING_WORDS[grouping],
                    "modes": modes,
                    "points": len(sel),
                    "median_abs_error_pct": float(err.median()) if len(sel) else math.nan,
                    "worst_abs_error_pct": float(err.max()) if len(sel) else math.nan,
                    "worst_point": str(sel["point"].to_numpy()[int(np.argmax(err.to_numpy()))]) if len(sel) else "",
                }
            )
    return pd.DataFrame(rows, columns=HEADLINE_COLUMNS)


# ---------------------------------------------------------------------------------------------
# CLI: python -m calculator estimate ...

CLI_COLUMNS = [
    "gpu",
    "concurrency",
    "output_tok_s",
    "output_tok_s_per_gpu",
    "tok_s_user",
    "ttft_ms",
    "tokens_per_forward",
    "tpf_assumed",
    "provenance",
    "basis",
]


def add_estimate_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `estimate` on the CLI's subparsers."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "estimate",
        help="estimated throughput for any GPU, mode, concurrency and context (roofline fitted to our points)",
        description="Estimate throughput with the calibrated roofline; --validate prints its leave-one-out error.",
    )
    p.add_argument("--gpu", action="append", default=[], metavar="ID", help="gpu id (repeat or comma-separate)")
    p.add_argument("--model", metavar="ID", help="model id (nld-3b, nld-8b, nld-14b, qwen3-8b)")
    p.add_argument("--mode", metavar="MODE", help=f"decoding mode: {', '.join(MODEL_MODES)}")
    p.add_argument("--block", type=int, metavar="K", help="block size (diffusion, self_spec); default 32")
    tpf = p.add_mutually_exclusive_group()
    tpf.add_argument("--tpf", type=float, metavar="X", help="tokens per forward (self_spec: acceptance length / 2)")
    tpf.add_argument(
        "--workload",
        metavar="NAME",
        help="SPEED-Bench category or benchmark for the TPF (default: SPEED-Bench average)",
    )
    p.add_argument(
        "--concurrency",
        nargs="+",
        default=["1"],
        metavar="N",
        help="concurrencies, comma- or space-separated: 1,4,16,64 or 1 4 16 64",
    )
    p.add_argument("--isl", type=int, default=1024, metavar="N", help="input tokens per request (default 1024)")
    p.add_argument("--osl", type=int, default=1024, metavar="N", help="output tokens per request (default 1024)")
    p.add_argument(
        "--context", type=int, metavar="N", help="KV tokens per sequence when decoding starts (default: ISL)"
    )
    p.add_argument("--precision", default="bf16", choices=list(BYTES_PER_PARAM), help="weight precision")
    p.add_argument("--kv-precision", default="bf16", choices=list(KV_BYTES_PER_ELEMENT), help="KV cache precision")
    p.add_argument("--format", choices=["md", "csv", "json"], default="md")
    p.add_argument(
        "--validate",
        action="store_true",
        help="print the estimator's leave-one-out error instead: by default both groupings (a point of a GPU we"
        " have data for; a GPU we have no data for)",
    )
    p.add_argument(
        "--group",
        choices=["point", "profile", "gpu"],
        default=None,
        help="with --validate: only this grouping, per GPU and mode (leave out a point, a profile or a GPU)",
    )
    p.add_argument("--details", action="store_true", help="with --validate: every point, not just the summary")
    p.add_argument(
        "--data", nargs="+", default=[], type=Path, metavar="PATH", help="extra profile / forward-cost files"
    )
    return p


def _render_table(df: pd.DataFrame, fmt: str, *, float_digits: int = 4) -> str:
    from calculator.export import render

    return render(df, fmt, float_digits=float_digits)


def parse_concurrency(text: str | Sequence[str]) -> list[int]:
    """Concurrencies from "1,4,16", "1 4 16" or ["1", "4", "16"] (argparse nargs="+"), or any mix."""
    joined = text if isinstance(text, str) else " ".join(text)
    try:
        values = [int(x) for x in joined.replace(",", " ").split()]
    except ValueError:
        raise ValueError(f"--concurrency must be integers separated by commas or spaces, got {joined!r}") from None
    if not values or min(values) < 1:
        raise ValueError(f"--concurrency must be integers >= 1, got {joined!r}")
    return values


def run_estimate(args: argparse.Namespace) -> int:
    """The `estimate` command: 0 ok, 1 nothing to show (all skipped) or bad data, 2 bad arguments."""
    from calculator.catalog import load_catalog

    try:
        catalog = load_catalog(args.data)
    except InputError as e:
        for p in e.problems:
            print(p, file=sys.stderr)
        return 1
    if args.validate:
        result = fit(catalog)
        fitted_text = f"pooled {result.pooled.text()}; fp8 gain {result.fp8_gain:.2f}"
        if args.group is not None:
            loo = leave_one_out(catalog, group=args.group)
            table = loo if args.details else error_summary(loo)
            print(_render_table(table, args.format, float_digits=1), end="")
            print(
                f"leave-one-{args.group}-out ({GROUPING_WORDS[args.group]}) over {len(loo)} points"
                f" ({int(loo['in_fit'].sum()) if len(loo) else 0} fitted); {fitted_text}",
                file=sys.stderr,
            )
            return 0
        loos = {g: leave_one_out(catalog, group=g) for g in ("point", "gpu")}
        headline = _headline(loos)
        if args.format != "md":
            print(_render_table(headline, args.format, float_digits=1), end="")
        else:
            print("Estimator error, leave-one-out (each figure predicted by a fit that did not see it):\n")
            print(_render_table(headline, "md", float_digits=1))
            for grouping, loo in loos.items():
                table = loo if args.details else error_summary(loo)
                print(f"Predicting {GROUPING_WORDS[grouping]} (leave-one-{grouping}-out), per GPU and mode:\n")
                print(_render_table(table, "md", float_digits=1))
        print(
            "leave-one-point-out: error on a point of a GPU we have data for; leave-one-gpu-out: error on a GPU we"
            f" have no data for (the figure that applies to estimates on such GPUs); {fitted_text}",
            file=sys.stderr,
        )
        return 0
    try:
        missing = [
            flag for flag, value in (("--gpu", args.gpu), ("--model", args.model), ("--mode", args.mode)) if not value
        ]
        if missing:
            raise ValueError(f"missing {', '.join(missing)} (or give --validate)")
        gpus = [g for item in args.gpu for g in item.split(",") if g]
        df = estimate_points(
            catalog,
            gpus,
            args.model,
            args.mode,
            concurrency=parse_concurrency(args.concurrency),
            isl=args.isl,
            osl=args.osl,
            context_tokens=args.context,
            precision=args.precision,
            block_size=args.block,
            tpf=args.tpf,
            workload=args.workload,
            kv_precision=args.kv_precision,
        )
    except (ValueError, LookupError) as e:
        print(f"error: {e.args[0] if e.args else e}", file=sys.stderr)
        return 2
    for line in df.attrs.get("skipped", []):
        print(f"skipped: {line}", file=sys.stderr)
    if df.empty:
        print("no estimate: every configuration was skipped", file=sys.stderr)
        return 1
    table = df.assign(
        output_tok_s_per_gpu=df["output_tok_s"] / df["gpus_per_replica"],
        tok_s_user=1000.0 / df["tpot_ms_p50"],
        ttft_ms=df["ttft_ms_p50"],
    )[CLI_COLUMNS]
    print(_render_table(table, args.format), end="")
    return 0


def fit_table(result: FitResult) -> pd.DataFrame:
    """The fitted parameters as a table (level, name, η_bw, η_fl, overhead_ms, points) for docs and the app."""
    rows = [{"level": "defaults", "name": "documented defaults", **_eff_dict(result.defaults), "points": 0}]
    rows.append({"level": "pooled", "name": "all data", **_eff_dict(result.pooled), "points": result.n_points})
    rows += [
        {"level": "family", "name": f, **_eff_dict(e), "points": result.points_by_family.get(f, 0)}
        for f, e in sorted(result.families.items())
    ]
    rows += [
        {"level": "gpu", "name": g, **_eff_dict(e), "points": result.points_by_gpu.get(g, 0)}
        for g, e in sorted(result.gpus.items())
    ]
    return pd.DataFrame(rows)


def _eff_dict(e: Efficiency) -> dict[str, float]:
    return {
        "eta_bw": e.eta_bw,
        "eta_fl": e.eta_fl,
        "overhead_ms": e.overhead_ms,
        "overhead_per_seq_us": e.overhead_per_seq_us,
    }


def describe_fit(result: FitResult) -> str:
    """One paragraph: the shared fitted terms (fp8 gain, draft step cost, per-mode cycle overhead)."""
    modes = ", ".join(f"{m} {v:.2f} ms" for m, v in result.mode_overhead_ms.items())
    return (
        f"fp8 compute gain {result.fp8_gain:.2f}x bf16; draft step = {result.draft_fraction['draft_eagle3']:.2f}"
        f" (EAGLE-3) / {result.draft_fraction['draft_mtp']:.2f} (MTP) of a target forward;"
        f" extra per-cycle overhead: {modes};"
        f" {result.n_points} points fitted, {len(result.excluded)} excluded"
    )


__all__ = [
    "DEFAULTS",
    "GPU_FAMILIES",
    "GROUPING_WORDS",
    "HEADLINE_COLUMNS",
    "TPF_PUBLISHED_CONTEXT_TOKENS",
    "Efficiency",
    "FitResult",
    "ModeCalibration",
    "ModelCost",
    "add_estimate_parser",
    "describe_fit",
    "error_summary",
    "estimate_points",
    "fit",
    "fit_table",
    "forward_time_s",
    "gpu_family",
    "headline_errors",
    "leave_one_out",
    "model_cost",
    "run_estimate",
]

summarise_headline = _headline  # public name (the estimator package keeps it)
