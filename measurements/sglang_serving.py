"""`python -m measurements serve`: sweep concurrency against an SGLang server with SGLang's own
benchmark client and write one Profile (provenance measured), point by point.

Launches `python -m sglang.launch_server` (or attaches to `--url`), waits for /health, runs
`python -m sglang.benchmark.serving` (or the older `sglang.bench_serving`) once per concurrency,
parses its JSON lines, reads /server_info for the acceptance length, and stops the server it
started on every exit path. The benchmark runner and the server launcher are injectable seams
(`ServeDeps`) so the sweep logic is testable without a GPU.
"""

from __future__ import annotations

import argparse
import re
import shlex
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from calculator.data.errors import InputError, fail
from calculator.data.loader import decode_text, parse_json, parse_yaml, read_bytes, validate_as
from calculator.data.schema import (
    KNOWN_MODES,
    PRECISIONS,
    ModeParams,
    Profile,
    ProfilePoint,
    Provenance,
    Workload,
    slug,
)
from measurements.common import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_UNAVAILABLE,
    MEASURED_DIR,
    UserError,
    command_line,
    host_name,
    int_list,
    prepare_out,
    read_model_yaml,
    report_input_error,
    today,
    write_model_yaml,
)
from measurements.sglang_process import (
    ServeDeps,
    ServerHandle,
)

INSTALL_HINT = "pip install -r requirements-gpu.txt"
RANDOM_DATASETS = ("random", "random-ids")
_MODE_RE = re.compile(r"^[a-z][a-z0-9_]*$")


# ---------------------------------------------------------------------------------------------
# Commands


def split_args(values: Sequence[str]) -> list[str]:
    """Each --engine-arg/--bench-arg value shell-split, so '--tp 2' and '--tp=2' both work."""
    out: list[str] = []
    for value in values:
        out.extend(shlex.split(value))
    return out


def has_flag(args: Sequence[str], *names: str) -> bool:
    """True when any of `names` is among the args (as '--x' or '--x=value')."""
    return any(a in names or a.split("=", 1)[0] in names for a in args)


def flag_value(args: Sequence[str], *names: str) -> str | None:
    """The value of the first of `names` in args ('--x v' or '--x=v'), or None."""
    for i, a in enumerate(args):
        key, _, value = a.partition("=")
        if key in names:
            if value:
                return value
            if i + 1 < len(args):
                return args[i + 1]
    return None


def server_command(args: argparse.Namespace, python: str = sys.executable) -> list[str]:
    """The `sglang.launch_server` command for --model, --mode, the dLLM algorithm and the engine args."""
    engine = split_args(args.engine_arg)
    cmd = [python, "-m", "sglang.launch_server", "--model-path", args.model, "--host", args.host,
           "--port", str(args.port)]
    if args.trust_remote_code:
        cmd.append("--trust-remote-code")
    if args.dllm_algorithm:
        cmd += ["--dllm-algorithm", args.dllm_algorithm]
        if args.dllm_config:
            cmd += ["--dllm-algorithm-config", str(args.dllm_config)]
        if not has_flag(engine, "--max-running-requests"):
            # released SGLang's dLLM path runs one request at a time unless told otherwise
            cmd += ["--max-running-requests", str(max(args.concurrency))]
    return cmd + engine


def default_num_prompts(concurrency: int) -> int:
    """Enough requests for a steady state: 4 per concurrent slot, at least 16."""
    return max(16, 4 * concurrency)


def bench_command(args: argparse.Namespace, module: str, base_url: str, concurrency: int, output_file: Path,
                  python: str = sys.executable) -> list[str]:
    """The benchmark-client command for one concurrency (fixed lengths: --random-range-ratio 1.0)."""
    num_prompts = args.num_prompts or default_num_prompts(concurrency)
    cmd = [python, "-m", module, "--backend", "sglang", "--base-url", base_url,
           "--dataset-name", args.dataset, "--num-prompts", str(num_prompts),
           "--max-concurrency", str(concurrency), "--output-file", str(output_file)]
    if args.dataset_path:
        cmd += ["--dataset-path", str(args.dataset_path)]
    if args.isl is not None:
        cmd += ["--random-input-len", str(args.isl)]
    if args.osl is not None:
        cmd += ["--random-output-len", str(args.osl)]
    if args.isl is not None or args.osl is not None:
        cmd += ["--random-range-ratio", "1.0"]
    return cmd + split_args(args.bench_arg)


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
    """A ProfilePoint from one JSON line of sglang.benchmark.serving / sglang.bench_serving."""
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
        "e2e_ms_p50": _num(row, "median_e2e_latency_ms"),
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


# ---------------------------------------------------------------------------------------------
# The command


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Flags of `serve`."""
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--url", help="attach to a running SGLang server, e.g. http://127.0.0.1:30000")
    src.add_argument("--model", metavar="PATH_OR_ID", help="launch sglang.launch_server for this model")
    p.add_argument("--mode", default="ar",
                   help=f"decoding mode recorded in the profile ({', '.join(KNOWN_MODES)} or your own id)")
    p.add_argument("--model-id", help="model id for the profile (default: derived, e.g. nld-8b, qwen3-8b)")
    p.add_argument("--dllm-algorithm", metavar="NAME",
                   help="passed to --dllm-algorithm untouched (FastDiffuser, LinearSpec, LowConfidence, ...)")
    p.add_argument("--dllm-config", type=Path, metavar="FILE", help="passed to --dllm-algorithm-config untouched")
    p.add_argument("--trust-remote-code", action="store_true", help="pass --trust-remote-code (needed by NLD)")
    p.add_argument("--engine-arg", action="append", default=[], metavar="ARG",
                   help="extra launch_server argument(s), repeatable: --engine-arg='--tp 2' "
                        "--engine-arg=--load-format=dummy")
    p.add_argument("--bench-arg", action="append", default=[], metavar="ARG",
                   help="extra benchmark-client argument(s), repeatable")
    p.add_argument("--concurrency", type=int_list, required=True, help="max concurrent requests, e.g. 1,2,4,8,16")
    p.add_argument("--isl", type=int, help="input tokens per request (random datasets)")
    p.add_argument("--osl", type=int, help="output tokens per request (random datasets)")
    p.add_argument("--num-prompts", type=int, help="requests per concurrency (default max(16, 4 x concurrency))")
    p.add_argument("--dataset", default="random-ids",
                   help="benchmark dataset: random-ids (no download), speed-bench, ...")
    p.add_argument("--dataset-path", help="local dataset file for the benchmark client")
    p.add_argument("--category", default="", help="workload category recorded in the profile (e.g. coding)")
    p.add_argument("--gpu", help="our gpu id (h100-sxm, b200, ...); default: detected from this machine's GPU")
    p.add_argument("--precision", default="bf16", choices=PRECISIONS, help="recorded in the profile")
    p.add_argument("--host", default="127.0.0.1", help="host the launched server binds to")
    p.add_argument("--port", type=int, default=30000, help="port of the launched server")
    p.add_argument("--startup-timeout", type=float, default=1800.0, help="seconds to wait for /health")
    p.add_argument("--out", type=Path, help="default: hardware_profiles/measured/serve-<model>-<mode>-<gpu>-....yaml"
                   " (installed with pip: ./measured/...)")
    p.add_argument("--resume", action="store_true", help="continue --out, skipping finished concurrencies")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out")


def check_args(args: argparse.Namespace) -> None:
    """Refuse flag combinations that cannot work, before anything starts."""
    if not _MODE_RE.match(args.mode):
        raise UserError(f"--mode {args.mode!r}: use a lowercase id like ar, diffusion, self_spec, spec_eagle3")
    if args.model and args.mode in ("diffusion", "self_spec") and not args.dllm_algorithm:
        raise UserError(
            f"--mode {args.mode} needs --dllm-algorithm: FastDiffuser (diffusion) or LinearSpec (self_spec) "
            "for Nemotron-Labs-Diffusion in SGLang builds with PR #25803; LowConfidence/JointThreshold for "
            "LLaDA2/SDAR in released SGLang"
        )
    if args.dllm_config is not None and not args.dllm_config.is_file():
        raise UserError(f"--dllm-config {args.dllm_config}: no such file")
    if args.dllm_config is not None and not args.dllm_algorithm:
        raise UserError("--dllm-config needs --dllm-algorithm")
    if args.dataset in RANDOM_DATASETS and (args.isl is None or args.osl is None):
        raise UserError(f"--dataset {args.dataset} needs --isl and --osl (tokens per request)")
    for name in ("isl", "osl", "num_prompts"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise UserError(f"--{name.replace('_', '-')} must be at least 1")


def _parallelism(engine: Sequence[str], info: Any) -> tuple[int, int, int]:
    """(tp, pp, dp) from the engine args, else from /server_info, else 1."""
    def pick(flags: tuple[str, ...], key: str) -> int:
        value = flag_value(engine, *flags)
        if value is None and isinstance(info, dict):
            value = info.get(key)
        try:
            return max(int(value), 1) if value is not None else 1
        except (TypeError, ValueError):
            return 1

    return (pick(("--tp", "--tp-size", "--tensor-parallel-size"), "tp_size"),
            pick(("--pp", "--pp-size", "--pipeline-parallel-size"), "pp_size"),
            pick(("--dp", "--dp-size", "--data-parallel-size"), "dp_size"))


def wait_healthy(base_url: str, deps: ServeDeps, timeout_s: float, server: ServerHandle | None,
                 log_path: Path | None) -> None:
    """Poll /health until it answers 200; fail early if the launched server exits."""
    deadline = time.monotonic() + timeout_s
    while True:
        if deps.health_ok(base_url + "/health"):
            return
        if server is not None and server.poll() is not None:
            tail = _tail(log_path) if log_path else ""
            raise UserError(f"the SGLang server exited with code {server.poll()} before it was healthy; "
                            f"last lines of {log_path}:\n{tail}")
        if time.monotonic() > deadline:
            raise UserError(f"{base_url}/health did not answer 200 within {timeout_s:.0f} s "
                            f"(raise --startup-timeout; see {log_path or 'the server log'})")
        deps.sleep(2.0)


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def server_info(base_url: str, deps: ServeDeps) -> dict[str, Any]:
    """/server_info, falling back to the deprecated /get_server_info; {} when neither answers."""
    for path in ("/server_info", "/get_server_info"):
        try:
            info = deps.get_json(base_url + path)
        except (OSError, InputError, urllib.error.URLError):
            continue
        if isinstance(info, dict):
            return info
    return {}


def run(args: argparse.Namespace, argv: Sequence[str] | None = None, deps: ServeDeps | None = None) -> int:
    """Run the sweep; returns the exit code. `deps` replaces the processes and HTTP in tests."""
    deps = deps or ServeDeps()
    if not deps.sglang_available():
        raise UserError("`serve` needs SGLang (a GPU-only package, with its benchmark client), which is not "
                        f"installed here. On a GPU machine: {INSTALL_HINT}")
    check_args(args)
    mode_params = read_mode_params(args)
    engine = split_args(args.engine_arg)

    model_id = args.model_id or (model_id_for(args.model) if args.model else None)
    gpu = args.gpu
    if gpu is None:
        if args.url:
            raise UserError("--url: give --gpu ID (the server may run on another machine), e.g. --gpu h100-sxm")
        gpu, name = deps.detect_gpu()
        if gpu is None:
            seen = f"the device {name!r} has no gpu id" if name else "no CUDA device was detected"
            raise UserError(f"{seen}; give --gpu ID (ids as in hardware_profiles/gpus.yaml, e.g. h100-sxm)")
    if slug(gpu) != gpu:
        raise UserError(f"--gpu {gpu!r}: use an id like h100-sxm (lowercase letters, digits, . _ -)")
    lengths = f"-isl{args.isl}-osl{args.osl}" if args.isl and args.osl else ""

    def default_out(model: str) -> Path:
        return MEASURED_DIR / f"serve-{model}-{args.mode}-{gpu}-{args.precision}{lengths}.yaml"

    out: Path | None = args.out
    resuming = False
    if model_id is not None:  # known before the server starts: check --out before spending minutes on it
        out = out or default_out(model_id)
        resuming = prepare_out(out, args.resume, args.overwrite)
    base_url = args.url.rstrip("/") if args.url else f"http://{args.host}:{args.port}"

    server: ServerHandle | None = None
    log_path: Path | None = None
    try:
        if args.model:
            log_path = (out or default_out("model")).with_suffix(".server.log")
            cmd = server_command(args)
            print(f"serve: launching {shlex.join(cmd)}\n  log: {log_path}", file=sys.stderr)
            server = deps.launch(cmd, log_path)
        wait_healthy(base_url, deps, args.startup_timeout, server, log_path)
        info = server_info(base_url, deps)
        if model_id is None:
            model_path = info.get("model_path") or info.get("served_model_name") or ""
            if not model_path:
                raise UserError(f"{base_url}/server_info does not name the model; give --model-id")
            model_id = model_id_for(str(model_path))
            out = out or default_out(model_id)
            resuming = prepare_out(out, args.resume, args.overwrite)
        if out is None:
            raise UserError("no output path; give --out")
        engine_version = str(info.get("version") or _sglang_version())
        tp, pp, dp = _parallelism(engine, info)
        return _sweep(args, argv, deps, out, resuming, base_url, model_id, gpu, engine_version, mode_params,
                      (tp, pp, dp))
    finally:
        if server is not None:
            print("serve: stopping the SGLang server it started", file=sys.stderr)
            server.stop()


def _sglang_version() -> str:
    try:
        from importlib.metadata import version

        return version("sglang")
    except Exception:  # any metadata problem just leaves the version unknown
        return ""


def _sweep(args: argparse.Namespace, argv: Sequence[str] | None, deps: ServeDeps, out: Path, resuming: bool,
           base_url: str, model_id: str, gpu: str, engine_version: str, mode_params: ModeParams,
           parallel: tuple[int, int, int]) -> int:
    from tqdm import tqdm

    tp, pp, dp = parallel
    profile_fields: dict[str, Any] = {
        "id": slug(f"serve-{model_id}-{args.mode}-{gpu}-{args.precision}"
                   + (f"-isl{args.isl}-osl{args.osl}" if args.isl and args.osl else ""))[:64],
        "gpu": gpu, "gpus_per_replica": tp * pp * dp, "tp": tp, "pp": pp, "dp": dp,
        "engine": "sglang", "engine_version": engine_version, "model": model_id,
        "precision": args.precision, "mode": args.mode, "mode_params": mode_params,
        "workload": Workload(isl=args.isl, osl=args.osl, dataset=args.dataset, category=args.category),
    }
    points: dict[int, ProfilePoint] = {}
    if resuming:
        old = read_model_yaml(out, Profile)
        mismatch = [k for k in ("gpu", "model", "precision", "mode", "workload")
                    if getattr(old, k) != profile_fields[k]]
        if mismatch:
            raise UserError(f"--resume: {out} differs from this run in {', '.join(mismatch)}; choose another --out")
        points = {p.concurrency: p for p in old.points}
    todo = [c for c in args.concurrency if c not in points]
    raw = out.with_suffix(".bench.jsonl")
    bench_log = out.with_suffix(".bench.log")
    module = deps.bench_module()
    source = f"measurements serve on {gpu} ({host_name()})"
    print(f"serve: {model_id} {args.mode} on {gpu}: {len(todo)} concurrencies to run, {len(points)} already in {out}",
          file=sys.stderr)
    failures: list[str] = []
    for concurrency in tqdm(todo, unit="concurrency", disable=None, file=sys.stderr):
        num_prompts = args.num_prompts or default_num_prompts(concurrency)
        before = raw.read_text(encoding="utf-8").count("\n") if raw.exists() else 0
        cmd = bench_command(args, module, base_url, concurrency, raw)
        code = deps.run_bench(cmd, bench_log)
        rows = parse_bench_lines(raw.read_text(encoding="utf-8"), str(raw)) if raw.exists() else []
        new = [r for r in rows[before:] if r.get("max_concurrency") == concurrency]
        if code != 0 or not new:
            failures.append(f"concurrency {concurrency}: benchmark client exited {code}"
                            + ("" if new else ", no result line") + f"; see {bench_log}")
            print(f"warning: {failures[-1]}", file=sys.stderr)
            continue
        accept = accept_length_from_server_info(server_info(base_url, deps))
        try:
            point = point_from_row(new[-1], concurrency, num_prompts, str(raw), accept)
        except InputError as e:
            failures.append(str(e))
            print(f"warning: {e}", file=sys.stderr)
            continue
        points[concurrency] = point
        profile = Profile(
            **profile_fields,
            provenance=Provenance(kind="measured", source=source, date=today(),
                                  notes=f"{command_line(argv)}; benchmark client {module}; raw lines in {raw.name}"),
            points=sorted(points.values(), key=lambda p: p.concurrency),
        )
        write_model_yaml(out, profile, header="Serving sweep written by `python -m measurements serve`.")
    print(f"wrote {out}: {len(points)} concurrencies" if points else "no concurrency finished; nothing written",
          file=sys.stderr)
    return EXIT_FAILED if failures and not points else EXIT_OK


def main(args: argparse.Namespace, argv: Sequence[str] | None = None, deps: ServeDeps | None = None) -> int:
    """Entry point of `serve`: exit 2 for what the user must fix, 130 on Ctrl-C (finished points kept)."""
    try:
        return run(args, argv, deps)
    except InputError as e:
        return report_input_error(e)
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except KeyboardInterrupt:
        print("\ninterrupted: finished concurrencies are kept; rerun with --resume to continue", file=sys.stderr)
        return EXIT_INTERRUPTED
