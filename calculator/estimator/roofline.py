"""The forward-time model: what one forward reads and computes, and how long it takes on a GPU
(a roofline over the datasheet's HBM bandwidth and peak FLOP/s, with fitted efficiencies and overheads).

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
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from calculator.schema import GpuSpec, ModelArch

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
    extra_bytes: npt.ArrayLike = 0.0,
    extra_flops: npt.ArrayLike = 0.0,
) -> tuple[FloatArray, FloatArray]:
    """(memory time, compute time) of forwards, s: bytes / (HBM x η_bw) and flops / (peak x η_fl), vectorised.

    bytes = W + B x (L + q) x kv + B x q x act + extra;  flops = B x q x (F + A x L_att) + extra, with
    L_att = L + q/2 (causal) or L + q (block). The extras carry chunked-prefill tokens riding in a forward.
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
        + np.asarray(extra_bytes)
    )
    flops = tokens * (np.asarray(dense_flops_per_token) + np.asarray(attention_flops_per_token_ctx) * l_att) + (
        np.asarray(extra_flops)
    )
    t_mem: FloatArray = nbytes / (np.asarray(hbm_bytes_s) * np.asarray(eta_bw))
    t_fl: FloatArray = flops / (np.asarray(peak_flops_s) * np.asarray(eta_fl))
    return t_mem, t_fl


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
    t_mem, t_fl = roofline_terms(
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
    )
    b = np.asarray(batch, dtype=np.float64)
    fixed = np.asarray(overhead_s, dtype=np.float64) + b * np.asarray(overhead_per_seq_s, dtype=np.float64)
    out: FloatArray = fixed + np.maximum(t_mem, t_fl)
    return out


def row_times(
    rows: Mapping[str, npt.NDArray[Any]],
    *,
    eta_bw: FloatArray,
    eta_fl: FloatArray,
    fixed_s: FloatArray,
    gain: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(t, memory term, compute term) of each forward row (observations.cycle_rows): t = fixed + max(memory,
    compute), the roofline above with the row's chunked-prefill bytes and FLOPs and the fp8 gain on peak."""
    mem, fl = roofline_terms(
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
        peak_flops_s=rows["peak"] * gain,
        eta_bw=eta_bw,
        eta_fl=eta_fl,
        extra_bytes=rows["xB"],
        extra_flops=rows["xF"],
    )
    t: FloatArray = fixed_s + np.maximum(mem, fl)
    return t, mem, fl
