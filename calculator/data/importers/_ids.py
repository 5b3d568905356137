"""Names as tools write them, turned into our ids: models, GPUs, modes and precisions.

A mapping is applied only where it is certain; a name that is not an id after it is refused later with a
message, never rewritten silently. A precision is read from a model name only from a whole token (`-FP8`).
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import TypeAdapter, ValidationError

from calculator.data.schema import PRECISIONS, Id, ModeId

_ID_ADAPTER: TypeAdapter[str] = TypeAdapter(Id)
_MODE_ADAPTER: TypeAdapter[str] = TypeAdapter(ModeId)

MODEL_ALIASES: dict[str, str] = {
    "nemotron-labs-diffusion-3b": "nld-3b",
    "nemotron-labs-diffusion-8b": "nld-8b",
    "nemotron-labs-diffusion-14b": "nld-14b",
    "qwen3-8b-fp8": "qwen3-8b",
}
_REPO_PATH_RE = re.compile(r"^[\w.-]+(/[\w.-]+)+/?$")
# A Hugging Face cache path: .../models--openai--gpt-oss-120b/snapshots/<hash>/ names the model in its folder.
_HF_CACHE_RE = re.compile(r"models--[\w.-]+?--([\w.-]+?)(?:/|$)")

# Unambiguous GPU names as tools print them; ambiguous ones (a100: 40 or 80 GB?) are left to the user.
GPU_ALIASES: dict[str, str] = {
    "h100": "h100-sxm",
    "h100-sxm": "h100-sxm",
    "h100-sxm5": "h100-sxm",
    "h100-pcie": "h100-pcie",
    "h100-nvl": "h100-nvl",
    "h200": "h200",
    "b200": "b200",
    "gb200": "gb200",
    "b300": "b300",
    "gb300": "gb300",
    "mi300x": "mi300x",
    "mi325x": "mi325x",
    "mi355x": "mi355x",
    "l40s": "l40s",
    "l4": "l4",
    "a100-40gb": "a100-40gb",
    "a100-80gb": "a100-80gb",
}

PRECISION_ALIASES: dict[str, str] = {
    "bfloat16": "bf16",
    "float16": "fp16",
    "half": "fp16",
    "float32": "fp32",
    "float": "fp32",
    "fp8_e4m3": "fp8",
    "w8a8_fp8": "fp8",
    "modelopt_fp8": "fp8",
    "mxfp4": "fp4",
    "modelopt_fp4": "nvfp4",
    "awq": "int4_awq",
    "awq_marlin": "int4_awq",
    "w8a8_int8": "int8",
}

# Whole tokens of a model name that say its weights' precision ("Qwen3-30B-A3B-FP8", "Kimi-K2.5-MXFP4").
NAME_PRECISIONS: dict[str, str] = {
    "fp8": "fp8",
    "nvfp4": "nvfp4",
    "mxfp4": "fp4",
    "fp4": "fp4",
    "awq": "int4_awq",
    "gptq": "int4",
    "int4": "int4",
    "w4a16": "int4",
    "int8": "int8",
    "w8a8": "int8",
    "bf16": "bf16",
    "fp16": "fp16",
}
_NAME_TOKEN = re.compile(r"[-_.]")
# A trailing precision in a model name (with the qualifiers quantizers add) is not part of the model id.
_PRECISION_SUFFIX = re.compile(
    r"[-_.](?:" + "|".join(NAME_PRECISIONS) + r")(?:[-_.](?:dynamic|static|block|marlin|int4|int8|w4a16))*$"
)

SPEC_MODES: dict[str, str] = {
    "": "ar",
    "none": "ar",
    "null": "ar",
    "false": "ar",
    "eagle3": "spec_eagle3",
    "eagle-3": "spec_eagle3",
    "mtp": "spec_mtp",
    "nextn": "spec_mtp",
    "linearspec": "self_spec",
    "linear_spec": "self_spec",
    "self_spec": "self_spec",
    "fastdiffuser": "diffusion",
}


def shown(value: Any) -> str:
    """A value as a message quotes it: repr, or the type for containers, at most 60 characters."""
    text = repr(value) if not isinstance(value, dict | list) else type(value).__name__
    return text if len(text) <= 60 else text[:57] + "..."


def _model_leaf(name: str) -> str:
    """The part of a model name or path that names the model (repo path -> last part, HF cache -> its folder)."""
    text = name.strip()
    cached = _HF_CACHE_RE.search(text)
    if cached:
        return cached.group(1)
    if _REPO_PATH_RE.match(text.lstrip("/")):
        return text.rstrip("/").rsplit("/", 1)[-1]
    return text


def model_id(name: str) -> str:
    """Our model id for a model named by a tool: the last part of a repo path, lowercased, aliased, without
    a trailing precision (`Qwen3-30B-A3B-FP8` -> `qwen3-30b-a3b`: the precision is its own field).

    Nothing else is rewritten: a name that is not an id is rejected later with a clear message.
    """
    text = _model_leaf(name).lower()
    text = MODEL_ALIASES.get(text, text)
    stripped = _PRECISION_SUFFIX.sub("", text)
    return MODEL_ALIASES.get(stripped, stripped) if stripped else text


def precision_from_name(name: str) -> str | None:
    """The precision a model name states with a whole token (`-FP8`, `-NVFP4`, `-AWQ`, `-MXFP4`), or None."""
    for token in reversed(_NAME_TOKEN.split(_model_leaf(name).lower())):
        if token in NAME_PRECISIONS:
            return NAME_PRECISIONS[token]
    return None


def gpu_id(name: str) -> str | None:
    """Our gpu id for a hardware name such as InferenceX's 'h100-cw', 'b200-nb' or 'cluster:h100-dgxc'; None
    if unsure."""
    text = name.strip().lower().rsplit(":", 1)[-1].replace(" ", "-").replace("_", "-")
    if text in GPU_ALIASES:
        return GPU_ALIASES[text]
    head = text.split("-", 1)[0]
    return GPU_ALIASES.get(head) if head != "a100" else None


def precision_id(name: str) -> str | None:
    """Our precision id for a dtype or quantization name; None if it maps to none of ours."""
    text = name.strip().lower()
    text = PRECISION_ALIASES.get(text, text)
    return text if text in PRECISIONS else None


def mode_from_algorithm(name: str | None) -> str:
    """Our mode id for a speculative/diffusion algorithm name (None or 'none' = plain AR)."""
    text = (name or "").strip().lower()
    if text in SPEC_MODES:
        return SPEC_MODES[text]
    if text.startswith("eagle"):
        return "spec_" + re.sub(r"[^a-z0-9_]+", "_", text).strip("_")
    return "spec_" + (re.sub(r"[^a-z0-9_]+", "_", text).strip("_") or "unknown")


def normalise_override(key: str, value: str) -> str:
    """A user-given value as an id: lowercased; a model repo path keeps its last part; bfloat16 -> bf16."""
    text = value.strip()
    if key == "engine":
        return text
    if key == "model":
        return model_id(text)
    if key == "precision":
        return precision_id(text) or text.lower()
    return text.lower()


def id_problem(kind: str, value: str) -> str | None:
    """Why `value` cannot be a `kind` id (gpu, model, mode, precision), or None if it can."""
    if kind == "precision":
        if value in PRECISIONS:
            return None
        return f"precision {shown(value)} is not one of {', '.join(PRECISIONS)}"
    adapter = _MODE_ADAPTER if kind == "mode" else _ID_ADAPTER
    try:
        adapter.validate_python(value)
    except ValidationError:
        if kind == "mode":
            return f"mode {shown(value)} is not a mode id: lowercase letters, digits and _ (e.g. ar, self_spec)"
        return (
            f"{kind} {shown(value)} is not an id: up to 64 lowercase letters, digits and . _ - "
            f"starting with a letter or digit (e.g. {'h100-sxm' if kind == 'gpu' else 'qwen3-8b'})"
        )
    return None
