"""Reading the benchmark clients' results into profile points: SGLang's JSON lines (both client versions),
vLLM's result JSON, the acceptance length from /server_info, mode parameters and model ids."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

from calculator.data.errors import InputError, fail
from calculator.data.loader import decode_text, parse_json, parse_yaml, read_bytes, validate_as
from calculator.data.schema import ModeParams, ProfilePoint, slug

# ---------------------------------------------------------------------------------------------
# Results


def parse_bench_lines(text: str, file: str) -> list[dict[str, Any]]:
    """The benchmark client's JSON lines (one object per run; Infinity allowed for request_rate)."""
    rows: list[dict[str, Any]] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        row = parse_json(line, f"{file}:{n}", allow_infinity=True)
        if not isinstance(row, dict):
            raise fail(file, f"line {n}", "expected one JSON object per line")
        rows.append(row)
    return rows


def parse_bench_lines_tolerant(text: str, file: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Like parse_bench_lines, but a line that is not one JSON object (e.g. truncated when a run was killed) is
    skipped and named, so one broken line never blocks the sweep or a later --resume."""
    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = parse_json(line, f"{file}:{n}", allow_infinity=True)
        except InputError as e:
            problems.append(f"{file}: skipped an unreadable line ({'; '.join(str(p) for p in e.problems)[:200]})")
            continue
        if isinstance(row, dict):
            rows.append(row)
        else:
            problems.append(f"{file}: skipped a line that is not a JSON object")
    return rows, problems


def _num(row: dict[str, Any], *keys: str) -> float | None:
    """The first present, finite, positive number among keys (names differ between client versions)."""
    for key in keys:
        value = row.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if value == value and value not in (float("inf"), float("-inf")) and value > 0:
            return float(value)
    return None


def accept_length_from_server_info(info: Any) -> float | None:
    """internal_states[0].avg_spec_accept_length of /server_info (PD setups nest it under decode[0])."""
    if not isinstance(info, dict):
        return None
    if isinstance(info.get("decode"), list) and info["decode"]:
        info = info["decode"][0]
    states = info.get("internal_states") if isinstance(info, dict) else None
    if isinstance(states, list) and states and isinstance(states[0], dict):
        return _num(states[0], "avg_spec_accept_length")
    return None


def point_from_row(row: dict[str, Any], concurrency: int, num_prompts: int, file: str,
                   accept_length: float | None = None) -> ProfilePoint:
    """A ProfilePoint from one result of sglang.benchmark.serving / sglang.bench_serving / vllm bench serve."""
    output = _num(row, "output_throughput")
    if output is None:
        completed = row.get("completed")
        raise fail(file, f"max_concurrency {concurrency}",
                   f"no output throughput ({completed!r} requests completed); see the server and benchmark logs")
    completed = row.get("completed") if isinstance(row.get("completed"), int) else None
    accept = _num(row, "accept_length") or accept_length or accept_length_from_server_info(row.get("server_info"))
    data = {
        "concurrency": concurrency,
        "output_tok_s": output,
        "total_tok_s": _num(row, "total_throughput", "total_token_throughput"),
        "input_tok_s": _num(row, "input_throughput"),
        "ttft_ms_p50": _num(row, "median_ttft_ms"),
        "ttft_ms_p99": _num(row, "p99_ttft_ms"),
        "tpot_ms_p50": _num(row, "median_tpot_ms"),
        "tpot_ms_p99": _num(row, "p99_tpot_ms"),
        "e2e_ms_p50": _num(row, "median_e2e_latency_ms", "median_e2el_ms"),
        "accept_length": accept,
        "requests_completed": completed,
        "requests_failed": max(num_prompts - completed, 0) if completed is not None else None,
    }
    return validate_as(ProfilePoint, {k: v for k, v in data.items() if v is not None}, file,
                       prefix=f"max_concurrency {concurrency}")


def read_mode_params(args: argparse.Namespace) -> ModeParams:
    """Mode parameters for the profile: the algorithm name and, from its config file, block size,
    threshold and whether a LoRA drafter is set (the file itself is passed to SGLang untouched)."""
    data: dict[str, Any] = {}
    if args.dllm_config is not None:
        name = str(args.dllm_config)
        parsed = parse_yaml(decode_text(read_bytes(args.dllm_config), name), name)
        if not isinstance(parsed, dict):
            raise fail(name, "file", "expected a YAML mapping like `block_size: 32`")
        for key in ("block_size", "threshold"):
            if key in parsed:
                data[key] = parsed[key]
        if parsed.get("lora_path"):
            data["lora"] = True
    if args.dllm_algorithm:
        data["algorithm"] = args.dllm_algorithm
    return validate_as(ModeParams, data, str(args.dllm_config or "--dllm-algorithm"))


_MODEL_IDS = (
    (re.compile(r"nemotron-labs-diffusion-(\d+b)", re.I), "nld-{}"),
    (re.compile(r"qwen3-(\d+(?:\.\d+)?b)\b", re.I), "qwen3-{}"),
    (re.compile(r"qwen3\.5-(\d+b)\b", re.I), "qwen3.5-{}"),
)


def model_id_for(model: str) -> str:
    """Our model id for a repo id or local path: nld-8b, qwen3-8b, ... or a slug of its last part."""
    for pattern, template in _MODEL_IDS:
        m = pattern.search(model)
        if m:
            return template.format(m.group(1).lower())
    return slug(Path(model.rstrip("/")).name or model)[:64]


