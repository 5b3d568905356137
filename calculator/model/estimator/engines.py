"""Serving engines as the estimator sees them: each measured point's engine (name + version) falls in one engine class,
whose fitted offsets on the efficiencies and overheads are shared across GPUs; estimates are made for one class.

An engine build changes what the same GPU delivers (vLLM 0.7.3 vs 0.20.1 on one A100 80GB: 2,701 vs 3,871 output tok/s
on the same 100-request batch), so the fit separates the engine from the hardware: a held-out GPU is predicted with its
own points' engine (known when you measure), and estimates use REFERENCE_ENGINE, the class of every NLD serving figure
(SGLang: the only engine with the NLD modes), so that modes and baselines are compared on one engine.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping, Sequence

REFERENCE_ENGINE = "sglang"
ENGINE_CLASSES: tuple[str, ...] = (
    "sglang", "sglang-0.3", "vllm", "vllm-sync", "vllm-v0", "trt-llm", "trt-llm-pytorch", "llama.cpp", "torch", "other",
)  # fmt: skip
"""Engine classes: one per engine *generation* where the architecture of the serving loop changed (issue 19 item 4):
vLLM's V0 engine (before 0.10), its V1 engine with synchronous scheduling (0.10-0.13) and with asynchronous scheduling
on by default (0.14 and later); SGLang before its overlap scheduler (0.3 and earlier) vs 0.4 and later;
TensorRT-LLM's TensorRT-engine backend (before 1.0) vs its PyTorch backend (the default from 1.0)."""
ENGINE_WORDS: dict[str, str] = {
    "sglang": "SGLang 0.4 and later (overlap scheduler)",
    "sglang-0.3": "SGLang before 0.4 (no overlap scheduler)",
    "vllm": "vLLM 0.14 and later (V1 engine, asynchronous scheduling)",
    "vllm-sync": "vLLM 0.10-0.13 (V1 engine, synchronous scheduling)",
    "vllm-v0": "vLLM before 0.10 (V0 engine, e.g. 0.7.3)",
    "trt-llm": "TensorRT-LLM before 1.0 (TensorRT-engine backend, C++ runtime)",
    "trt-llm-pytorch": "TensorRT-LLM 1.0 and later (PyTorch backend, overlap scheduler)",
    "llama.cpp": "llama.cpp",
    "torch": "a bare PyTorch forward (python -m measurements forward)",
    "other": "another engine",
}
ENGINE_OF: dict[str, str] = {
    "sglang-0.3": "sglang", "vllm-sync": "vllm", "vllm-v0": "vllm", "trt-llm-pytorch": "trt-llm",
}  # fmt: skip
"""A generation's engine (the class of its other generations' name); a class not listed is its own engine."""
HOST_SCALE: dict[str, float] = {
    "sglang": 0.5,
    "sglang-0.3": 1.0,
    "vllm": 0.5,
    "vllm-sync": 0.75,
    "vllm-v0": 1.0,
    "trt-llm": 0.5,
    "trt-llm-pytorch": 0.5,
    "llama.cpp": 1.0,
    "torch": 1.0,
    "other": 1.0,
}
"""Per-step host time of an engine generation relative to a CPU-bound scheduler (prior, from the architecture, not from
data; docs/estimator.md §4): 1.0 where the host prepares each step after the previous one finished and the GPU waits
(vLLM V0's Python scheduler and input preparation in the API process; SGLang before its overlap scheduler; llama.cpp's
synchronous loop); 0.5 where the host's work for step n+1 runs while the GPU executes step n or leaves Python (vLLM's
asynchronous scheduling, on by default from 0.14; SGLang 0.4's overlap scheduler; TensorRT-LLM's C++ batch manager;
TensorRT-LLM 1.0's PyTorch executor with its overlap scheduler on by default); 0.75 between them for vLLM V1 before
0.14 (the engine core runs in its own process and keeps a persistent batch, so detokenising and streaming overlap the
GPU, but scheduling and input preparation of step n+1 still wait for step n). It is the prior centre of the
generation's offset on the fixed and per-sequence overheads (pooled = 1.0), and what carries a sibling generation's fit
to a generation without data (`host_scale_step`)."""
_VLLM_V1_FROM = (0, 10)
_VLLM_ASYNC_FROM = (0, 14)
_SGLANG_OVERLAP_FROM = (0, 4)
_TRTLLM_PYTORCH_FROM = (1, 0)
MIXES_PREFILL: frozenset[str] = frozenset({"vllm", "vllm-sync", "trt-llm", "trt-llm-pytorch"})
"""Engine classes whose scheduler runs prompt chunks inside the decode forwards by default (vLLM V1's chunked prefill,
TensorRT-LLM's in-flight batching with chunked context). The others (SGLang without --enable-mixed-chunk, vLLM V0,
llama.cpp) run a prefill in forwards of its own, during which the running batch does not decode."""
PREFILL_CHUNK_TOKENS: dict[str, int] = {"sglang": 8192, "sglang-0.3": 8192}
"""Most prompt tokens one prefill forward carries (SGLang's chunked_prefill_size on large GPUs; vLLM V0's
max_num_batched_tokens is max(max_model_len, 2048), 4096 in the bundled runs); default DEFAULT_PREFILL_CHUNK."""
DEFAULT_PREFILL_CHUNK = 4096


def _version_tuple(version: str) -> tuple[int, int] | None:
    m = re.match(r"\s*v?(\d+)\.(\d+)", version)
    return (int(m.group(1)), int(m.group(2))) if m else None


def engine_class(engine: str, version: str = "") -> str:
    """The engine class (generation) of a point's engine and version: sglang | sglang-0.3 | vllm | vllm-sync | vllm-v0 |
    trt-llm | trt-llm-pytorch | llama.cpp | torch | other (ENGINE_CLASSES).

    vLLM before 0.10 ran the V0 engine, 0.10-0.13 the V1 engine with synchronous scheduling; SGLang before 0.4 had no
    overlap scheduler; TensorRT-LLM from 1.0 serves with its PyTorch backend by default. An unstated version reads as
    the current generation. Forks of an engine (1Cat-vLLM, a llama.cpp fork) count as "other" unless their name is the
    engine's own; a class name is its own class.
    """
    name = engine.casefold().strip()
    if name in ENGINE_CLASSES and name in ENGINE_OF:
        return name
    v = _version_tuple(version)
    if name.startswith("sglang"):
        return "sglang-0.3" if v is not None and v < _SGLANG_OVERLAP_FROM else "sglang"
    if name in ("vllm", "vllm-openai") or name.startswith("vllm "):
        if v is None or v >= _VLLM_ASYNC_FROM:
            return "vllm"
        return "vllm-v0" if v < _VLLM_V1_FROM else "vllm-sync"
    if name.replace("-", "").replace("_", "").startswith(("trtllm", "tensorrtllm")):
        if "pytorch" in name:
            return "trt-llm-pytorch"
        return "trt-llm-pytorch" if v is not None and v >= _TRTLLM_PYTORCH_FROM else "trt-llm"
    if name.startswith(("llama.cpp", "llamacpp", "llama-cpp")):
        return "llama.cpp"
    if name in ("torch", "pytorch"):
        return "torch"
    return "other"


def engine_generation(engine: str, version: str = "") -> str:
    """A point's engine generation: its engine class and the major.minor of its version ("vllm 0.20", "trt-llm 0.17",
    "sglang" when the version is not stated). A generation changes what the same GPU delivers (per-step host work,
    kernels, scheduler), so each estimate's basis names the generations its engine class was calibrated on."""
    cls = engine_class(engine, version)
    v = _version_tuple(version)
    return f"{cls} {v[0]}.{v[1]}" if v is not None else cls


def generations_text(engine: str, generations: tuple[str, ...]) -> str:
    """The generations an engine class was calibrated on, in words ("calibrated on vllm 0.19, vllm 0.20"); the
    unversioned ones are counted as "version not stated"."""
    named = [g for g in generations if g != engine]
    parts = [*named, *(["version not stated"] if len(named) < len(generations) else [])]
    return "calibrated on " + ", ".join(parts) if parts else "no data for this engine class"


def engine_of(engine_cls: str) -> str:
    """The engine a class is a generation of ("vllm-v0" -> "vllm", "sglang-0.3" -> "sglang"; others: themselves)."""
    return ENGINE_OF.get(engine_cls, engine_cls)


def host_scale(engine_cls: str) -> float:
    """The generation's per-step host time relative to a CPU-bound scheduler (HOST_SCALE; unknown classes 1.0)."""
    return HOST_SCALE.get(engine_cls, 1.0)


def sibling_generations(engine_cls: str) -> tuple[str, ...]:
    """The other generations of the same engine, newest-first in ENGINE_CLASSES order."""
    mine = engine_of(engine_cls)
    return tuple(c for c in ENGINE_CLASSES if c != engine_cls and engine_of(c) == mine)


def host_scale_step(engine_cls: str, sibling: str) -> float:
    """log(host scale of engine_cls / host scale of sibling): what carries a sibling's fitted overheads to a
    generation without data."""
    return math.log(host_scale(engine_cls) / host_scale(sibling))


def carried_offsets(engine_cls: str, fitted: Mapping[str, Sequence[float]]) -> tuple[list[float], str | None]:
    """An engine class's offsets on (logit η_bw, logit η_fl, log overhead, log per-sequence overhead, logit η_kv) and
    the class they come from: its own fitted ones; else a fitted sibling generation's (same kernels) with the fixed
    and per-sequence overheads moved by the ratio of their HOST_SCALEs; else the prior (0 on the efficiencies, log
    HOST_SCALE on the overheads, relative to the pooled set), with None."""
    source = offset_source(engine_cls, fitted)
    if source is None:
        log_scale = math.log(host_scale(engine_cls))
        return [0.0, 0.0, log_scale, log_scale, 0.0], None
    out = list(fitted[source])
    step = host_scale_step(engine_cls, source)
    out[2] += step
    out[3] += step
    return out, source


def offset_source(engine_cls: str, fitted: Collection[str]) -> str | None:
    """The fitted class an engine class takes its offsets from: itself, else a fitted sibling generation, else None."""
    if engine_cls in fitted:
        return engine_cls
    return next((s for s in sibling_generations(engine_cls) if s in fitted), None)


def resolve_engine(engine: str | None, version: str | None) -> str | None:
    """The engine class an estimate is for, from an engine (a class or an engine name) and an optional version
    ("vllm", "0.7.3" -> "vllm-v0"; "vllm", "0.11" -> "vllm-sync"; "trt-llm", "1.0" -> "trt-llm-pytorch";
    "sglang", "0.3.6" -> "sglang-0.3")."""
    if not version:
        return engine
    return engine_class(engine_of(engine or REFERENCE_ENGINE), version)


def mixes_prefill(engine: str) -> bool:
    """Whether the engine class runs prompt chunks inside decode forwards (else in forwards of their own)."""
    return engine in MIXES_PREFILL


def prefill_chunk_tokens(engine: str) -> int:
    """The most prompt tokens one prefill forward of the engine class carries."""
    return PREFILL_CHUNK_TOKENS.get(engine, DEFAULT_PREFILL_CHUNK)


def engine_words(engine: str) -> str:
    """An engine class in words (e.g. "SGLang")."""
    return ENGINE_WORDS.get(engine, engine)
