"""What an engine does with a batch: how many sequences its KV cache holds (the running batch is capped there and the
rest of the requests queue), and the time to first token under load (queueing, and the prefill sharing a forward
with the running batch). Shared by the observations the fit reads and the estimates it makes.

    capacity (sequences) = (USABLE_MEMORY_FRACTION x memory - workspace - weights) / (kv_bytes_per_token x tokens held)
    running batch R      = min(B, floor(capacity))            tokens held = context + OSL + q (a whole request)
    TTFT(B)              = queue wait + [R > 1] x cycle / 2 + t_mixed + request overhead
    queue wait           = max(B / R - 1, 0) x service time   (closed loop: B clients, R slots; Little's law)
    t_mixed              = one forward of the R - 1 decoding sequences carrying the new prompt's ISL tokens and the
                           others' prefill share of that forward (chunked prefill)
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from calculator.data.schema import GpuSpec
from calculator.model.estimator.roofline import GB, FloatArray, ModelCost

USABLE_MEMORY_FRACTION = 0.90  # of memory_gb: what engines let themselves use (gpu_memory_utilization 0.9)
ENGINE_WORKSPACE_GB = 2.0
"""Taken from that before the KV cache: the engine's activation and sampler buffers for its largest batch (profiled at
start-up), CUDA graphs and the CUDA context. It decides the KV capacity of 24 GB cards serving an 8B model."""


def usable_bytes(spec: GpuSpec) -> float:
    """Memory an engine can give to weights and KV cache, bytes."""
    return USABLE_MEMORY_FRACTION * spec.memory_gb * GB


PAGED_ADMISSION: frozenset[str] = frozenset({"vllm", "vllm-sync", "vllm-v0", "sglang", "sglang-0.3"})
"""Engine classes whose scheduler admits a request on its current length and preempts (vLLM: recompute; SGLang:
retract) when the paged KV cache runs out. TensorRT-LLM's default capacity policy (GUARANTEED_NO_EVICT, also
trtllm-bench throughput's default) reserves each request's whole length; llama.cpp gives each slot a fixed context."""
STEADY_WAVES = 4.0
"""A run of at least this many requests per concurrency slot is in steady state: its requests start and finish at
staggered times (the ramp and drain are a small part of it). Fewer: a closed batch whose requests grow together."""
TRT_KV_FREE_FRACTION = 0.95
"""TensorRT-LLM's KV pool: kv_cache_free_gpu_mem_fraction (0.9 by default, 0.95 in its published throughput tables,
as the bundled TensorRT-LLM 0.17 profiles state) of the memory left after the weights and the runtime's buffers."""


def admits_on_current_length(engine: str) -> bool:
    """Whether the engine class admits on a request's current length (paged, preempting): PAGED_ADMISSION."""
    return engine in PAGED_ADMISSION


def steady_state(requests: float | None, concurrency: float) -> bool:
    """Whether a run is in steady state (staggered arrivals): at least STEADY_WAVES requests per concurrency slot.
    Unknown request count: False (a closed batch, the conservative reading)."""
    return requests is not None and float(requests) >= STEADY_WAVES * float(concurrency)


def kv_tokens_per_sequence(
    context_tokens: float, osl: float, query_tokens: float, *, current_length: bool = False
) -> float:
    """KV tokens the engine holds per running request.

    Reserved (`current_length=False`): its whole length, context + OSL + the cycle's query tokens. TensorRT-LLM's
    default GUARANTEED_NO_EVICT reserves it; and in a closed batch (requests sent together, AccelMark's 100 at once)
    every engine's requests grow together and peak there.
    Admitted on current length (`current_length=True`: a paged engine, vLLM or SGLang, in steady state, where requests
    start and finish at staggered times): on average context + OSL/2 + q, so the cache runs (context + OSL) /
    (context + OSL/2) times more sequences, up to 2x for short prompts and long outputs (issue 19: vLLM and SGLang were
    measured running 1.7-1.9x more sequences than the whole-length reservation allows). Issue 19 first applied it to
    every vLLM/SGLang point and leave-one-source-out went from 12.3 % to 15.0 % median: the bundled closed batches do
    grow together, so a point's arrival pattern (`steady_state`) decides it."""
    out = float(context_tokens) + float(query_tokens)
    return out + (float(osl) / 2.0 if current_length else float(osl))


def admission_words(current_length: bool) -> str:
    """How the estimate's KV cache admits requests, in words (for a basis)."""
    if current_length:
        return "admitted on current length, as a paged engine in steady state does: context + OSL/2 on average"
    return "each request's whole length reserved, as this engine or a closed batch does"


def default_kv_precision(engine: str, precision: str) -> str:
    """The KV-cache precision an engine uses by default for a checkpoint: TensorRT-LLM stores the KV cache in fp8 when
    the weights are fp8 (or fp4) (its quantised checkpoints set kv_cache_quant_algo FP8); vLLM and SGLang keep the
    model's 16-bit dtype unless told (--kv-cache-dtype fp8)."""
    if engine in ("trt-llm", "trt-llm-pytorch") and precision in ("fp8", "fp4", "nvfp4"):
        return "fp8"
    return "bf16"


def kv_pool_bytes(spec: GpuSpec, resident_bytes: float, engine: str = "") -> float:
    """Bytes of KV cache the engine allocates beside `resident_bytes` of weights: USABLE_MEMORY_FRACTION of the memory
    less the workspace and weights (vLLM's gpu_memory_utilization, SGLang's mem_fraction_static); TensorRT-LLM takes
    TRT_KV_FREE_FRACTION of what is left after the weights and workspace."""
    if engine in ("trt-llm", "trt-llm-pytorch"):
        return TRT_KV_FREE_FRACTION * (spec.memory_gb * GB - ENGINE_WORKSPACE_GB * GB - resident_bytes)
    return usable_bytes(spec) - ENGINE_WORKSPACE_GB * GB - resident_bytes


def kv_capacity_sequences(
    spec: GpuSpec,
    cost: ModelCost,
    *,
    resident_bytes: float,
    tokens_per_sequence: npt.ArrayLike,
    engine: str = "",
) -> FloatArray:
    """Sequences whose KV cache fits beside the weights (fractional; < 1 when not even one fits)."""
    free = kv_pool_bytes(spec, resident_bytes, engine)
    per_seq = np.maximum(np.asarray(tokens_per_sequence, dtype=np.float64), 1.0) * cost.kv_bytes_per_token
    out: FloatArray = np.maximum(free, 0.0) / per_seq
    return out


def running_batch(concurrency: npt.ArrayLike, capacity: npt.ArrayLike) -> FloatArray:
    """The engine's running batch: the requested concurrency, capped by the KV capacity (at least 1)."""
    out: FloatArray = np.minimum(
        np.asarray(concurrency, dtype=np.float64), np.maximum(np.floor(np.asarray(capacity, dtype=np.float64)), 1.0)
    )
    return out


def queue_wait_s(concurrency: npt.ArrayLike, running: npt.ArrayLike, service_s: npt.ArrayLike) -> FloatArray:
    """Time a request waits for a slot in a closed loop of B clients and R slots: (B / R - 1) x service time, >= 0.

    Little's law: each slot completes one request per service time, so the loop's latency is B / R service times."""
    b = np.asarray(concurrency, dtype=np.float64)
    r = np.asarray(running, dtype=np.float64)
    out: FloatArray = np.maximum(b / r - 1.0, 0.0) * np.asarray(service_s, dtype=np.float64)
    return out


def run_fill_factor(requests: float | None, concurrency: float) -> float:
    """The fraction of the steady-state throughput a finite run of `requests` at `concurrency` slots delivers.

    Once the queue empties, the last `concurrency` requests drain with on average half their output left: the batch
    shrinks while each forward (memory-bound: its time barely depends on the batch) costs the same, so the drain takes
    a whole request's duration D to do D/2 of steady-state work. With W = requests / concurrency waves the run takes
    (W + 1/2) x D for W x D of work: factor W / (W + 1/2) (W = 1: 0.67, 2: 0.80, 4: 0.89, 100: 0.995). Unknown request
    count: 1 (a long run). Issue 19: runs of ~1,000 requests with 128-token outputs at high concurrency were
    over-predicted by 30-80 % when taken as steady state."""
    if requests is None or float(concurrency) <= 1.0:
        return 1.0
    waves = max(float(requests), 1.0) / float(concurrency)
    return waves / (waves + 0.5)
