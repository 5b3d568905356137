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


def kv_tokens_per_sequence(context_tokens: float, osl: float, query_tokens: float) -> float:
    """KV tokens the engine holds for one running request: its whole length, context + OSL + the cycle's query tokens.

    Schedulers admit a request only while they can finish it: TensorRT-LLM's default guaranteed-no-evict policy reserves
    the whole length, SGLang reserves ahead of the generation, vLLM preempts (and later recomputes) requests when the
    cache runs out, which costs about as much as not admitting them; requests sent together grow together and peak at
    their whole length. Staggered steady-state traffic averages context + OSL/2, so this is conservative there.
    (Issue 19 tried admission on current length, context + OSL/2, for vLLM and SGLang: leave-one-source-out AR on the
    bundled data went from 12.3 % to 15.0 % median, because its closed batches (AccelMark's 100 requests sent at once)
    do grow together; a run's arrival pattern would have to be an input first.)"""
    return float(context_tokens) + float(osl) + float(query_tokens)


def default_kv_precision(engine: str, precision: str) -> str:
    """The KV-cache precision an engine uses by default for a checkpoint: TensorRT-LLM stores the KV cache in fp8 when
    the weights are fp8 (or fp4) (its quantised checkpoints set kv_cache_quant_algo FP8); vLLM and SGLang keep the
    model's 16-bit dtype unless told (--kv-cache-dtype fp8)."""
    if engine == "trt-llm" and precision in ("fp8", "fp4", "nvfp4"):
        return "fp8"
    return "bf16"


def kv_capacity_sequences(
    spec: GpuSpec, cost: ModelCost, *, resident_bytes: float, tokens_per_sequence: npt.ArrayLike
) -> FloatArray:
    """Sequences whose KV cache fits beside the weights (fractional; < 1 when not even one fits)."""
    free = usable_bytes(spec) - ENGINE_WORKSPACE_GB * GB - resident_bytes
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
