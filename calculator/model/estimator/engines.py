"""Serving engines as the estimator sees them: each measured point's engine (name + version) falls in one engine class,
whose fitted offsets on the efficiencies and overheads are shared across GPUs; estimates are made for one class.

An engine build changes what the same GPU delivers (vLLM 0.7.3 vs 0.20.1 on one A100 80GB: 2,701 vs 3,871 output tok/s
on the same 100-request batch), so the fit separates the engine from the hardware: a held-out GPU is predicted with its
own points' engine (known when you measure), and estimates use REFERENCE_ENGINE, the class of every NLD serving figure
(SGLang: the only engine with the NLD modes), so that modes and baselines are compared on one engine.
"""

from __future__ import annotations

import re

REFERENCE_ENGINE = "sglang"
ENGINE_CLASSES: tuple[str, ...] = ("sglang", "vllm", "vllm-v0", "trt-llm", "llama.cpp", "torch", "other")
ENGINE_WORDS: dict[str, str] = {
    "sglang": "SGLang",
    "vllm": "vLLM (V1 engine, 0.10 and later)",
    "vllm-v0": "vLLM before 0.10 (V0 engine, e.g. 0.7.3)",
    "trt-llm": "TensorRT-LLM",
    "llama.cpp": "llama.cpp",
    "torch": "a bare PyTorch forward (python -m measurements forward)",
    "other": "another engine",
}
_VLLM_V1_FROM = (0, 10)
MIXES_PREFILL: frozenset[str] = frozenset({"vllm", "trt-llm"})
"""Engine classes whose scheduler runs prompt chunks inside the decode forwards by default (vLLM V1's chunked prefill,
TensorRT-LLM's in-flight batching with chunked context). The others (SGLang without --enable-mixed-chunk, vLLM V0,
llama.cpp) run a prefill in forwards of its own, during which the running batch does not decode."""
PREFILL_CHUNK_TOKENS: dict[str, int] = {"sglang": 8192}
"""Most prompt tokens one prefill forward carries (SGLang's chunked_prefill_size on large GPUs; vLLM V0's
max_num_batched_tokens is max(max_model_len, 2048), 4096 in the bundled runs); default DEFAULT_PREFILL_CHUNK."""
DEFAULT_PREFILL_CHUNK = 4096


def _version_tuple(version: str) -> tuple[int, int] | None:
    m = re.match(r"\s*v?(\d+)\.(\d+)", version)
    return (int(m.group(1)), int(m.group(2))) if m else None


def engine_class(engine: str, version: str = "") -> str:
    """The engine class of a point's engine and version: sglang | vllm | vllm-v0 | trt-llm | llama.cpp | torch | other.

    vLLM before 0.10 ran the V0 engine (a different scheduler and per-step overhead); forks of an engine (1Cat-vLLM,
    a llama.cpp fork) count as "other" unless their name is the engine's own.
    """
    name = engine.casefold().strip()
    if name.startswith("sglang"):
        return "sglang"
    if name in ("vllm", "vllm-openai") or name.startswith("vllm "):
        v = _version_tuple(version)
        return "vllm-v0" if v is not None and v < _VLLM_V1_FROM else "vllm"
    if name.replace("-", "").replace("_", "").startswith(("trtllm", "tensorrtllm")):
        return "trt-llm"
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


def mixes_prefill(engine: str) -> bool:
    """Whether the engine class runs prompt chunks inside decode forwards (else in forwards of their own)."""
    return engine in MIXES_PREFILL


def prefill_chunk_tokens(engine: str) -> int:
    """The most prompt tokens one prefill forward of the engine class carries."""
    return PREFILL_CHUNK_TOKENS.get(engine, DEFAULT_PREFILL_CHUNK)


def engine_words(engine: str) -> str:
    """An engine class in words (e.g. "SGLang")."""
    return ENGINE_WORDS.get(engine, engine)
