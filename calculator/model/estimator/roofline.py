"""The forward-time model: what one forward reads and computes, and how long it takes on a GPU (two rooflines over
the datasheet's memory bandwidth and peak FLOP/s, one for the GEMMs and one for attention, with fitted efficiencies
and overheads).

One forward at batch B, q new tokens per sequence and KV context L takes

    t(B, q, L) = overhead + B x overhead_per_seq
                 + max(gemm_bytes / (HBM x η_bw), gemm_flops / (peak x gain x η_fl))        GEMMs (weights)
                 + max(kv_bytes / (HBM x η_kv), attention_flops / (peak_bf16 x η_fl))        attention (KV cache)
    gemm_bytes      = weights read + B x q x activation_bytes_per_token
    gemm_flops      = B x q x 2 x (layer + LM-head params)
    kv_bytes        = B x (L + q) x kv_bytes_per_token
    attention_flops = B x q x 4 x layers x heads x head_dim x L_att,  L_att = L + q/2 (causal mask) or L + q (block)

The GEMMs and attention run as separate kernels, so their times add; each is memory- or compute-bound on its own.
KV reads are gathers over a paged cache and reach a lower fraction of the bandwidth than streamed weights (η_kv,
engine-dependent: decode attention at 28K tokens of context ran at ~0.2-1.6 TB/s on A100s across vLLM versions).

- weights read per forward: decoder layers at the precision's bytes per parameter (bf16/fp16 2, fp8/int8 1,
  int4/int4_awq 0.5 + group-128 scales and zeros ≈ 0.52, fp4/nvfp4 0.5625) plus the LM head, which quantised
  checkpoints keep in bf16; the input embedding is a gather (held in memory, not read).
- KV cache in bf16 (2 B per element) unless kv_precision="fp8"; kv_bytes_per_token = 2 x layers x kv_heads x
  head_dim x bytes.
- activations ≈ 2 B x layers x (4 x hidden + 2 x intermediate) per token (hidden state and MLP intermediates
  written and read once per layer; rough, it only matters near the ridge point).
- gain: the fitted fp8 gain (≤ the datasheet's fp8/bf16 ratio) for fp8/int8 (and fp4) GEMMs on GPUs with those
  tensor cores; for weight-only quantised GEMMs (int4/AWQ everywhere, fp8/fp4 without their tensor cores: the
  weights are dequantised to bf16 inside the GEMM) a fitted factor <= 1 for the dequantisation work. Attention
  computes in bf16.
- overhead: fixed engine time per forward (scheduling, sampling, launches); overhead_per_seq: the part that grows
  with the number of running sequences (per-request bookkeeping, sampling, streaming).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from calculator.data.schema import GpuSpec, ModelArch

FloatArray = npt.NDArray[np.float64]

GB = 1e9
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

# GPU families: architecture x memory class. GPUs of one family share their fitted efficiencies and overheads and
# differ only by their datasheet (bandwidth, FLOP/s, memory), so within a family a GPU whose figures are all >=
# another's is never estimated slower. Memory class matters: GDDR and LPDDR parts reach a different fraction of their
# bandwidth and run at lower power than HBM parts of the same architecture. Two parts sit apart from their
# architecture: the H20 (an export part with 78 of the H100's 132 SMs, too few to keep its HBM busy: AccelMark
# measured it slower than an H100 at batch 1 despite more bandwidth) and the L4 (72 W: it cannot hold its clocks under
# load, POWER_LIMIT_TFLOPS_PER_W; its efficiencies and overheads are kept apart too: a low-power card's host and
# board differ).
GPU_FAMILIES: dict[str, str] = {
    "a100-40gb": "ampere",
    "a100-80gb": "ampere",
    "a800-80gb": "ampere",
    "a10g": "ampere-gddr",
    "rtx-3090": "ampere-gddr",
    "rtx-a6000": "ampere-gddr",
    "h100-sxm": "hopper",
    "h100-pcie": "hopper",
    "h100-nvl": "hopper",
    "h200": "hopper",
    "h20-3e": "hopper-cut",
    "gh200": "hopper",
    "b200": "blackwell",
    "gb200": "blackwell",
    "b300": "blackwell",
    "gb300": "blackwell",
    "rtx-pro-6000": "blackwell-gddr",
    "rtx-5090": "blackwell-gddr",
    "dgx-spark": "blackwell-lpddr",
    "l40s": "ada",
    "l4": "ada-lowpower",
    "rtx-4090": "ada",
    "rtx-4090d": "ada",
    "rtx-6000-ada": "ada",
    "v100-pcie-32gb": "volta",
    "v100s-pcie-32gb": "volta",
    "mi300x": "amd",
    "mi325x": "amd",
    "mi355x": "amd",
}
_FAMILY_NAME_HINTS: tuple[tuple[str, str], ...] = (
    ("gh200", "hopper"),
    ("h100", "hopper"),
    ("h200", "hopper"),
    ("h20", "hopper-cut"),
    ("h800", "hopper"),
    ("gb10", "blackwell-lpddr"),
    ("spark", "blackwell-lpddr"),
    ("rtx pro", "blackwell-gddr"),
    ("rtx 50", "blackwell-gddr"),
    ("b200", "blackwell"),
    ("b300", "blackwell"),
    ("blackwell", "blackwell"),
    ("a100", "ampere"),
    ("a800", "ampere"),
    ("a30", "ampere"),
    ("rtx 30", "ampere-gddr"),
    ("a6000", "ampere-gddr"),
    ("a40", "ampere-gddr"),
    ("a10", "ampere-gddr"),
    ("v100", "volta"),
    ("l40", "ada"),
    ("l4 ", "ada-lowpower"),
    ("l4", "ada"),
    ("rtx 40", "ada"),
    ("ada", "ada"),
)


def gpu_family(spec: GpuSpec) -> str:
    """The GPU's family (architecture x memory class, GPU_FAMILIES): by id, else by vendor and name; "other"."""
    if spec.id in GPU_FAMILIES:
        return GPU_FAMILIES[spec.id]
    if spec.vendor == "amd":
        return "amd"
    name = f"{spec.id} {spec.name}".casefold().replace("-", " ")
    for hint, family in _FAMILY_NAME_HINTS:
        if hint in name:
            return family
    return "other"


POWER_LIMIT_TFLOPS_PER_W: dict[str, float] = {"ada": 330.3 / 450.0}
"""Tensor FLOP/s per watt an architecture sustains, where its smaller-power parts cannot hold the clocks their
datasheet peak assumes: Ada's, from its full-power part (the RTX 4090: 330 TFLOPS FP16-accumulate at 450 W, 0.73
TFLOPS/W). A part whose full tensor rate exceeds TDP x that runs its tensor cores at the lower clocks its power allows
(L40S 0.71 of its datasheet, RTX 6000 Ada 0.60, L4 0.43). Memory bandwidth is not affected. Data-centre HBM parts run
their datasheet rates at their TDP (no entry)."""


def power_clock_factor(spec: GpuSpec) -> float:
    """The fraction of its datasheet tensor rates a GPU sustains under its power limit (POWER_LIMIT_TFLOPS_PER_W): 1
    unless its full tensor rate (the larger of bf16 and FP16-accumulate) exceeds TDP x its architecture's sustainable
    TFLOPS per watt."""
    per_w = POWER_LIMIT_TFLOPS_PER_W.get(gpu_family(spec).split("-")[0])
    if per_w is None:
        return 1.0
    full = max(spec.fp16_accumulate_tflops or spec.bf16_tflops, spec.bf16_tflops)
    return min(1.0, spec.tdp_w * per_w / full)


def sustained_bf16_flops(spec: GpuSpec) -> float:
    """The bf16 tensor FLOP/s the estimator uses: the datasheet's x power_clock_factor."""
    return spec.bf16_tflops * 1e12 * power_clock_factor(spec)


SM_STREAM_TB_S: dict[str, float] = {"hopper": 4.8 / 132}
"""Memory bandwidth one SM of an architecture is known to draw when the memory is saturated (TB/s): Hopper's from the
H200, 4.8 TB/s over 132 SMs. A part with fewer SMs (sm_count) streams at most sm_count x that: the H20-3e, 78 SMs on
H200's 4.8 TB/s of HBM3e, gets 2.84 TB/s (AccelMark: its batch-1 decode, 12.8 ms, was slower than an H100's, 7.7 ms).
An assumption from the H200's own datasheet (an SM may draw more; none is known to), no fitted factor."""


def streaming_bandwidth(spec: GpuSpec) -> float:
    """The memory bandwidth the estimator uses (bytes/s): the datasheet's, or fewer where the part has too few SMs to
    draw it (SM_STREAM_TB_S)."""
    per_sm = SM_STREAM_TB_S.get(gpu_family(spec).split("-")[0])
    if per_sm is None or spec.sm_count is None:
        return spec.hbm_tb_s * 1e12
    return min(spec.hbm_tb_s, spec.sm_count * per_sm) * 1e12


def bandwidth_text(spec: GpuSpec) -> str:
    """The datasheet bandwidth in words, with what the SMs stream where that is less (streaming_bandwidth)."""
    used = streaming_bandwidth(spec) / 1e12
    if used < spec.hbm_tb_s:
        return f"{spec.hbm_tb_s:g} TB/s, {used:.2f} streamed by its {spec.sm_count} SMs"
    return f"{spec.hbm_tb_s:g} TB/s"


def dominates(a: GpuSpec, b: GpuSpec) -> bool:
    """Whether GPU a's datasheet figures are all >= b's (bandwidth, bf16/fp8/fp4 and FP16-accumulate tensor rates,
    memory) and both run the same vendor's software stack: then a is never estimated slower than b."""
    if a.id == b.id or a.vendor != b.vendor:
        return False

    def at_least(x: float | None, y: float | None) -> bool:
        return y is None or (x is not None and x >= y)

    return (
        a.hbm_tb_s >= b.hbm_tb_s
        and a.bf16_tflops >= b.bf16_tflops
        and a.memory_gb >= b.memory_gb
        and at_least(a.fp8_tflops, b.fp8_tflops)
        and at_least(a.fp4_tflops, b.fp4_tflops)
        and (a.fp16_accumulate_tflops or a.bf16_tflops) >= (b.fp16_accumulate_tflops or b.bf16_tflops)
    )


def weight_only(spec: GpuSpec, compute_class: str) -> bool:
    """True when the precision's compute needs tensor cores the GPU lacks (fp8 without fp8 tensor cores: A100, A10G,
    A6000, RTX 3090, V100; fp4 without fp4 ones: everything before Blackwell): engines then run the quantised weights
    weight-only (e.g. vLLM's Marlin W8A16 / W4A16 kernels), i.e. the small weights are read and compute is 16-bit."""
    if compute_class == "fp8":
        return spec.fp8_tflops is None
    if compute_class == "fp4":
        return spec.fp4_tflops is None
    return False


def weight_only_bits(spec: GpuSpec, cost: ModelCost) -> int:
    """Bits of weights dequantised inside a 16-bit GEMM (8 or 4), or 0 when the GEMM computes at its precision:
    int4/AWQ weights everywhere, fp8/fp4 where the GPU lacks those tensor cores."""
    if cost.compute_class == "bf16" and cost.weight_bits < 16:
        return cost.weight_bits
    if weight_only(spec, cost.compute_class):
        return cost.weight_bits
    return 0


def weight_only_ratio(spec: GpuSpec) -> float:
    """Peak of a weight-only quantised GEMM (16-bit activations) / the bf16 peak: the FP16-accumulate rate where the GPU
    has a faster one (GeForce cards: 2x), else 1; the fitted weight-only factor then covers the dequantisation."""
    return max(spec.fp16_accumulate_tflops or spec.bf16_tflops, spec.bf16_tflops) / spec.bf16_tflops


def tensor_core_ratio(spec: GpuSpec, compute_class: str) -> float:
    """Datasheet peak of the compute class / bf16 peak (1 for bf16 and for weight-only quantisation)."""
    if weight_only(spec, compute_class):
        return 1.0
    if compute_class == "fp8" and spec.fp8_tflops:
        return spec.fp8_tflops / spec.bf16_tflops
    if compute_class == "fp4" and spec.fp4_tflops:
        return spec.fp4_tflops / spec.bf16_tflops
    return 1.0


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
    weight_bits: int = 16  # bits per weight of the decoder layers: 16 (or 32), 8, 4


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
        weight_bits=8 if bpp == 1.0 else 4 if bpp < 1.0 else 16,
    )


def peak_flops(spec: GpuSpec, compute_class: str, fp8_gain: float) -> tuple[float, str]:
    """Usable peak FLOP/s for a compute class: bf16 TFLOPS x min(fitted fp8 gain, datasheet ratio) where the GPU has
    the tensor cores (weight_only otherwise: bf16); the bf16 rate is the sustained one (power_clock_factor)."""
    bf16 = sustained_bf16_flops(spec)
    clock = power_clock_factor(spec)
    name = f"bf16 x {clock:.2f} (power-limited at {spec.tdp_w:g} W)" if clock < 1.0 else "bf16"
    if compute_class == "fp32":
        return bf16 * 0.5, f"{name}/2 (fp32 via tf32)"
    ratio = tensor_core_ratio(spec, compute_class)
    if compute_class in ("fp8", "fp4") and ratio > 1.0:
        gain = min(fp8_gain, ratio)
        return bf16 * gain, f"{name} x {gain:.2f} ({compute_class} gain)"
    return bf16, name


def roofline_terms(
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
    eta_kv: npt.ArrayLike | None = None,
    gemm_gain: npt.ArrayLike = 1.0,
    extra_gemm_bytes: npt.ArrayLike = 0.0,
    extra_gemm_flops: npt.ArrayLike = 0.0,
    extra_kv_bytes: npt.ArrayLike = 0.0,
    extra_attention_flops: npt.ArrayLike = 0.0,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """(GEMM memory time, GEMM compute time, attention memory time, attention compute time) of forwards, s, vectorised.

    The extras carry chunked-prefill tokens riding in a forward (their activations, FLOPs and KV writes).
    `peak_flops_s` is the bf16 peak; `gemm_gain` multiplies it for the GEMMs (fp8 gain, weight-only factor).
    """
    b = np.asarray(batch, dtype=np.float64)
    q = np.asarray(query_tokens, dtype=np.float64)
    ctx = np.asarray(context_tokens, dtype=np.float64)
    tokens = b * q
    l_att = ctx + np.where(np.asarray(block_attention, dtype=bool), q, 0.5 * q)
    bw = np.asarray(hbm_bytes_s, dtype=np.float64)
    peak = np.asarray(peak_flops_s, dtype=np.float64)
    e_fl = np.asarray(eta_fl, dtype=np.float64)
    e_kv = np.asarray(eta_bw if eta_kv is None else eta_kv, dtype=np.float64)
    gemm_bytes = (
        np.asarray(weight_bytes) + tokens * np.asarray(activation_bytes_per_token) + np.asarray(extra_gemm_bytes)
    )
    gemm_flops = tokens * np.asarray(dense_flops_per_token) + np.asarray(extra_gemm_flops)
    kv_bytes = b * (ctx + q) * np.asarray(kv_bytes_per_token) + np.asarray(extra_kv_bytes)
    att_flops = tokens * np.asarray(attention_flops_per_token_ctx) * l_att + np.asarray(extra_attention_flops)
    gm: FloatArray = gemm_bytes / (bw * np.asarray(eta_bw, dtype=np.float64))
    gf: FloatArray = gemm_flops / (peak * np.asarray(gemm_gain, dtype=np.float64) * e_fl)
    am: FloatArray = kv_bytes / (bw * e_kv)
    af: FloatArray = att_flops / (peak * e_fl)
    return gm, gf, am, af


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
    eta_kv: npt.ArrayLike | None = None,
    gemm_gain: npt.ArrayLike = 1.0,
) -> FloatArray:
    """t = overhead + B x overhead_per_seq + max(GEMM memory, GEMM compute) + max(attention memory, attention compute),
    vectorised (the module docstring; eta_kv defaults to eta_bw)."""
    gm, gf, am, af = roofline_terms(
        batch=batch,
        query_tokens=query_tokens,
        context_tokens=context_tokens,
        block_attention=block_attention,
        weight_bytes=weight_bytes,
        kv_bytes_per_token=kv_bytes_per_token,
        activation_bytes_per_token=activation_bytes_per_token,
        dense_flops_per_token=dense_flops_per_token,
        attention_flops_per_token_ctx=attention_flops_per_token_ctx,
        hbm_bytes_s=hbm_bytes_s,
        peak_flops_s=peak_flops_s,
        eta_bw=eta_bw,
        eta_fl=eta_fl,
        eta_kv=eta_kv,
        gemm_gain=gemm_gain,
    )
    b = np.asarray(batch, dtype=np.float64)
    fixed = np.asarray(overhead_s, dtype=np.float64) + b * np.asarray(overhead_per_seq_s, dtype=np.float64)
    out: FloatArray = fixed + np.maximum(gm, gf) + np.maximum(am, af)
    return out


def row_times(
    rows: Mapping[str, npt.NDArray[Any]],
    *,
    eta_bw: FloatArray,
    eta_fl: FloatArray,
    eta_kv: FloatArray,
    fixed_s: FloatArray,
    gain: FloatArray,
) -> tuple[FloatArray, tuple[FloatArray, FloatArray, FloatArray, FloatArray]]:
    """(t, (GEMM memory, GEMM compute, attention memory, attention compute)) of each forward row
    (observations.cycle_rows): the rooflines above with the row's chunked-prefill extras; `gain` multiplies the GEMMs'
    peak (fp8 gain, weight-only factor)."""
    terms = roofline_terms(
        batch=rows["batch"],
        query_tokens=rows["q"],
        context_tokens=rows["ctx"],
        block_attention=rows["block"],
        weight_bytes=rows["W"],
        kv_bytes_per_token=rows["kv"],
        activation_bytes_per_token=rows["act"],
        dense_flops_per_token=rows["F"],
        attention_flops_per_token_ctx=rows["A"],
        hbm_bytes_s=rows["hbm"],
        peak_flops_s=rows["peak"],
        eta_bw=eta_bw,
        eta_fl=eta_fl,
        eta_kv=eta_kv,
        gemm_gain=gain,
        extra_gemm_bytes=rows["xBg"],
        extra_gemm_flops=rows["xFd"],
        extra_kv_bytes=rows["xBa"],
        extra_attention_flops=rows["xFa"],
    )
    gm, gf, am, af = terms
    t: FloatArray = fixed_s + np.maximum(gm, gf) + np.maximum(am, af)
    return t, terms
