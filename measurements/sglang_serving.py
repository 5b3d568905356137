"""`python -m measurements serve`: sweep concurrency against a vLLM or SGLang server with that engine's own
benchmark client and write one Profile (provenance measured), point by point.

Launches the engine's server (or attaches to `--url`), waits for /health, asks the server who it is
(/server_info for SGLang, /version for vLLM, /v1/models), runs the engine's client once per concurrency
(`sglang.benchmark.serving`, `vllm bench serve`), reads the client's result file, reads /server_info for the
acceptance length, and stops the server and client it started on every exit path (Ctrl-C, SIGTERM, SIGHUP).
The benchmark runner and the server launcher are injectable seams
(`ServeDeps`) so the sweep logic is testable without a GPU.
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import shlex
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from calculator.data.errors import InputError
from calculator.data.loader import parse_json, validate_as
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
from measurements import engines
from measurements.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_UNAVAILABLE,
    MEASURED_DIR,
    UserError,
    command_line,
    host_name,
    int_list,
    interrupted_code,
    interrupted_message,
    prepare_out,
    read_model_yaml,
    report_input_error,
    signals_interrupt,
    today,
    write_model_yaml,
)
from measurements.serve_results import (
    accept_length_from_server_info,
    model_id_for,
    parse_bench_lines,
    parse_bench_lines_tolerant,
    point_from_row,
    read_mode_params,
)
from measurements.sglang_process import (
    BENCH_TIMED_OUT,
    ServeDeps,
    ServerHandle,
    open_private,
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


def _engine(args: argparse.Namespace) -> engines.EngineSpec:
    return engines.spec(getattr(args, "engine", None) or "sglang")


def _port(args: argparse.Namespace) -> int:
    return int(args.port) if args.port is not None else _engine(args).default_port


def server_command(args: argparse.Namespace, python: str = sys.executable) -> list[str]:
    """The engine's launch command for --model, --mode, the dLLM algorithm and the engine args."""
    return engines.server_command(_engine(args), argparse.Namespace(**{**vars(args), "port": _port(args)}), python)


default_num_prompts = engines.default_num_prompts


def bench_command(args: argparse.Namespace, module: str, base_url: str, concurrency: int, output_file: Path,
                  python: str = sys.executable, served_model: str = "", tokenizer: str = "") -> list[str]:
    """The engine's own benchmark-client command for one concurrency (fixed lengths)."""
    return engines.bench_command(_engine(args), args, module, base_url, concurrency, output_file, python,
                                 served_model, tokenizer)


# ---------------------------------------------------------------------------------------------
# The command


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Flags of `serve`."""
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--url", help="attach to a running vLLM, SGLang or OpenAI-compatible server, "
                                   "e.g. http://127.0.0.1:8000")
    src.add_argument("--model", metavar="PATH_OR_ID", help="launch the engine's server for this model")
    p.add_argument("--engine", choices=engines.ENGINES, default="sglang",
                   help="engine whose server is launched and whose own benchmark client drives it: sglang "
                        "(sglang.benchmark.serving) or vllm (vllm bench serve); default sglang")
    p.add_argument("--python", metavar="PATH", help="Python of the venv the engine is installed in "
                   "(default: this one), e.g. .venv-engine/bin/python")
    p.add_argument("--mode", default="ar",
                   help=f"decoding mode recorded in the profile ({', '.join(KNOWN_MODES)} or your own id)")
    p.add_argument("--model-id", help="model id for the profile (default: derived, e.g. nld-8b, qwen3-8b)")
    p.add_argument("--tokenizer", help="tokenizer for vLLM's client (default: the served model)")
    p.add_argument("--dllm-algorithm", metavar="NAME",
                   help="passed to --dllm-algorithm untouched (FastDiffuser, LinearSpec, LowConfidence, ...)")
    p.add_argument("--dllm-config", type=Path, metavar="FILE", help="passed to --dllm-algorithm-config untouched")
    p.add_argument("--trust-remote-code", action="store_true", help="pass --trust-remote-code (needed by NLD)")
    p.add_argument("--engine-arg", action="append", default=[], metavar="ARG",
                   help="extra server argument(s), repeatable: --engine-arg='--tp 2' "
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
    p.add_argument("--gpu", help="our gpu id (h100-sxm, b200, cpu, ...); default: detected from this machine's GPU")
    p.add_argument("--precision", default="bf16", choices=PRECISIONS, help="recorded in the profile")
    p.add_argument("--host", default="127.0.0.1", help="host the launched server binds to")
    p.add_argument("--port", type=int, help="port of the launched server (default: sglang 30000, vllm 8000)")
    p.add_argument("--startup-timeout", type=float, default=1800.0, help="seconds to wait for /health")
    p.add_argument("--bench-timeout", type=float, default=3600.0,
                   help="seconds one benchmark-client run may take before it is ended (default 3600)")
    p.add_argument("--info-timeout", type=float, default=10.0,
                   help="seconds to wait for each of /server_info, /version, /v1/models (default 10)")
    p.add_argument("--out", type=Path, help="default: hardware_profiles/measured/serve-<model>-<mode>-<gpu>-....yaml"
                   " (installed with pip: ./measured/...)")
    p.add_argument("--resume", action="store_true", help="continue --out, skipping finished concurrencies")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out")


def check_args(args: argparse.Namespace) -> None:
    """Refuse flag combinations that cannot work, before anything starts."""
    if not _MODE_RE.match(args.mode):
        raise UserError(f"--mode {args.mode!r}: use a lowercase id like ar, diffusion, self_spec, spec_eagle3")
    refusal = engines.unsupported_mode(_engine(args), args.mode, args.model or "")
    if refusal:
        raise UserError(refusal)
    if (args.model and _engine(args).name == "sglang" and args.mode in ("diffusion", "self_spec")
            and not args.dllm_algorithm):
        raise UserError(
            f"--mode {args.mode} needs --dllm-algorithm: FastDiffuser (diffusion) or LinearSpec (self_spec) "
            "for Nemotron-Labs-Diffusion in SGLang builds with PR #25803; LowConfidence/JointThreshold for "
            "LLaDA2/SDAR in released SGLang"
        )
    if args.dllm_algorithm and _engine(args).name != "sglang":
        raise UserError("--dllm-algorithm is an SGLang flag; for vLLM pass its own flags with --engine-arg")
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
    for name in ("bench_timeout", "info_timeout", "startup_timeout"):
        value = getattr(args, name)
        if not 0 < value < 1e7:
            raise UserError(f"--{name.replace('_', '-')} must be a positive number of seconds")


def _parallelism(engine: Sequence[str], info: Any) -> tuple[int, int, int]:
    """(tp, pp, dp) from the engine args, else from /server_info (whole numbers 1..1024 only), else 1."""
    def pick(flags: tuple[str, ...], key: str) -> int:
        value = flag_value(engine, *flags)
        if value is not None:
            checked = engines.clean_parallel(value)
            if checked is None:
                raise UserError(f"{flags[0]} {value!r}: expected a whole number from 1 to {engines.MAX_PARALLEL}")
            return checked
        if isinstance(info, dict) and key in info:
            checked = engines.clean_parallel(info.get(key))
            if checked is None:
                print(f"warning: /server_info {key} {str(info.get(key))[:40]!r} is not a whole number from 1 to "
                      f"{engines.MAX_PARALLEL}; recorded as 1", file=sys.stderr)
            return checked or 1
        return 1

    tp, pp, dp = (pick(("--tp", "--tp-size", "--tensor-parallel-size"), "tp_size"),
                  pick(("--pp", "--pp-size", "--pipeline-parallel-size"), "pp_size"),
                  pick(("--dp", "--dp-size", "--data-parallel-size"), "dp_size"))
    if tp * pp * dp > 4096:
        raise UserError(f"tp {tp} x pp {pp} x dp {dp} = {tp * pp * dp} GPUs per replica; at most 4096 are recorded")
    return tp, pp, dp


def wait_healthy(base_url: str, deps: ServeDeps, timeout_s: float, server: ServerHandle | None,
                 log_path: Path | None) -> None:
    """Poll /health until it answers 200; fail early if the launched server exits."""
    deadline = time.monotonic() + timeout_s
    while True:
        if deps.health_ok(base_url + "/health"):
            return
        if server is not None and server.poll() is not None:
            tail = _tail(log_path) if log_path else ""
            raise UserError(f"the server exited with code {server.poll()} before it was healthy; "
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


def _get(base_url: str, paths: Sequence[str], deps: ServeDeps, timeout_s: float,
         errors: list[str] | None = None) -> Any:
    """The first JSON document one of `paths` answers; None when none does (each failure noted in `errors`)."""
    for path in paths:
        try:
            return deps.get_json(base_url + path, timeout_s)
        except (OSError, InputError, ValueError, urllib.error.URLError) as e:
            reason = "timed out" if isinstance(e, TimeoutError) or "timed out" in str(e) else str(e)[:200]
            if errors is not None:
                errors.append(f"{path}: {reason}")
    return None


def server_info(base_url: str, deps: ServeDeps, timeout_s: float = 10.0,
                errors: list[str] | None = None) -> dict[str, Any]:
    """/server_info, falling back to the deprecated /get_server_info; {} when neither answers a JSON object."""
    info = _get(base_url, ("/server_info", "/get_server_info"), deps, timeout_s, errors)
    return info if isinstance(info, dict) else {}


def identify(base_url: str, deps: ServeDeps, timeout_s: float) -> tuple[engines.ServerIdentity, dict[str, Any]]:
    """The server's engine, version and model from its own endpoints, and its /server_info ({} for vLLM)."""
    errors: list[str] = []
    info = server_info(base_url, deps, timeout_s, errors)
    version_doc = None if info else _get(base_url, ("/version",), deps, timeout_s, errors)
    models = _get(base_url, ("/v1/models",), deps, timeout_s, errors)
    who = engines.identity_from(info, version_doc, models)
    if who is None:
        raise UserError(f"{base_url} answered none of /server_info, /version and /v1/models "
                        f"({'; '.join(errors) or 'no JSON object'}); is it a vLLM/SGLang server? "
                        f"(raise --info-timeout if it is busy)")
    return who, info


def run(args: argparse.Namespace, argv: Sequence[str] | None = None, deps: ServeDeps | None = None) -> int:
    """Run the sweep; returns the exit code. `deps` replaces the processes and HTTP in tests."""
    deps = deps or ServeDeps()
    spec = _engine(args)
    python = args.python or sys.executable
    client_version = deps.engine_version(spec.import_name, spec.distributions, python)
    if client_version is None:
        where = f" in {python}" if args.python else " here"
        raise UserError(f"`serve --engine {spec.name}` needs {spec.label} (its server and benchmark client), "
                        f"which is not installed{where}. "
                        + (f"On a GPU machine: {INSTALL_HINT}" if spec.name == "sglang" else
                           "On a GPU machine: pip install vllm; on a CPU: pip install -r requirements-engine-cpu.txt"
                           " into its own venv and give --python"))
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
        args.resolved_out = out  # for main's message after an interruption
    base_url = args.url.rstrip("/") if args.url else f"http://{args.host}:{_port(args)}"

    server: ServerHandle | None = None
    log_path: Path | None = None
    try:
        if args.model:
            log_path = (out or default_out("model")).with_suffix(".server.log")
            cmd = server_command(args, python)
            print(f"serve: launching {shlex.join(cmd)}\n  log: {log_path}", file=sys.stderr)
            server = deps.launch(cmd, log_path)
        wait_healthy(base_url, deps, args.startup_timeout, server, log_path)
        who, info = identify(base_url, deps, args.info_timeout)
        if model_id is None:
            if not who.model:
                raise UserError(f"{base_url} does not name the model it serves (no model_path in /server_info, "
                                "no /v1/models); give --model-id")
            model_id = model_id_for(who.model)
            out = out or default_out(model_id)
            resuming = prepare_out(out, args.resume, args.overwrite)
            args.resolved_out = out
        if out is None:
            raise UserError("no output path; give --out")
        if args.model and who.engine not in (spec.name, "openai"):
            raise UserError(f"launched {spec.label} but {base_url}{who.source} says {who.engine}: another server "
                            f"holds port {_port(args)}; stop it or give --port")
        client = (f"{'vllm bench serve' if spec.name == 'vllm' else deps.bench_module()} "
                  f"({spec.distributions[0] if spec.name == 'sglang' else 'vllm'} {client_version or '?'})")
        run_info = RunInfo(base_url, model_id, gpu, who, client, mode_params, _parallelism(engine, info),
                           served_model=who.model or (args.model or ""),
                           tokenizer=args.tokenizer or (args.model or who.model), python=python)
        return _sweep(args, argv, deps, out, resuming, run_info)
    finally:
        if server is not None:
            print(f"serve: stopping the {spec.label} server it started", file=sys.stderr)
            server.stop()


@dataclass(frozen=True)
class RunInfo:
    """What the sweep needs to know about the server and the client."""

    base_url: str
    model_id: str
    gpu: str
    server: engines.ServerIdentity
    client: str  # the benchmark client and its version, e.g. "vllm bench serve (vllm 0.32.0)"
    mode_params: ModeParams
    parallel: tuple[int, int, int]
    served_model: str
    tokenizer: str
    python: str


def run_id() -> str:
    """A stamp unique to this run (UTC time to the second + 4 random hex digits), so two runs that differ only
    in --category or --out never write the same profile id."""
    return time.strftime("%y%m%d%H%M%S", time.gmtime()) + secrets.token_hex(2)


def profile_id(base: str, stamp: str) -> str:
    """`base-stamp` within the 64 characters of an id; a base too long loses whole trailing parts, never half."""
    room = 64 - len(stamp) - 1
    text = slug(base)
    if len(text) > room:
        text = text[: room + 1].rsplit("-", 1)[0][:room]
    return text.rstrip("-._") + "-" + stamp


def _new_rows(raw: Path, start: int) -> list[dict[str, Any]]:
    """The JSON lines the client appended after byte `start`; a broken line is skipped with a warning."""
    try:
        with open(raw, "rb") as f:
            f.seek(start)
            text = f.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return []
    rows, problems = parse_bench_lines_tolerant(text, str(raw))
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)
    return rows


def _end_with_newline(raw: Path) -> int:
    """Make sure the next line the client appends starts on a line of its own (a run killed mid-write leaves a
    truncated last line); returns the size after."""
    if not raw.exists():
        return 0
    with open(raw, "rb+") as f:
        f.seek(0, 2)
        size = f.tell()
        if size:
            f.seek(size - 1)
            if f.read(1) != b"\n":
                f.write(b"\n")
                size += 1
    return size


def _sweep(args: argparse.Namespace, argv: Sequence[str] | None, deps: ServeDeps, out: Path, resuming: bool,
           ri: RunInfo) -> int:
    from tqdm import tqdm

    spec = _engine(args)
    tp, pp, dp = ri.parallel
    base_id = (f"serve-{ri.model_id}-{args.mode}-{ri.gpu}-{args.precision}"
               + (f"-isl{args.isl}-osl{args.osl}" if args.isl and args.osl else ""))
    profile_fields: dict[str, Any] = {
        "id": profile_id(base_id, run_id()),
        "gpu": ri.gpu, "gpus_per_replica": tp * pp * dp, "tp": tp, "pp": pp, "dp": dp,
        "engine": ri.server.engine, "engine_version": ri.server.version, "model": ri.model_id,
        "precision": args.precision, "mode": args.mode, "mode_params": ri.mode_params,
        "workload": Workload(isl=args.isl, osl=args.osl, dataset=args.dataset, category=args.category),
    }
    points: dict[int, ProfilePoint] = {}
    if resuming:
        old = read_model_yaml(out, Profile)
        mismatch = [k for k in ("gpu", "model", "precision", "mode", "workload", "engine")
                    if getattr(old, k) != profile_fields[k]]
        if mismatch:
            raise UserError(f"--resume: {out} differs from this run in {', '.join(mismatch)}; choose another --out")
        profile_fields["id"] = old.id
        points = {p.concurrency: p for p in old.points}
    todo = [c for c in args.concurrency if c not in points]
    raw = out.with_suffix(".bench.jsonl")
    bench_log = out.with_suffix(".bench.log")
    out.parent.mkdir(parents=True, exist_ok=True)
    module = deps.bench_module() if spec.name == "sglang" else "vllm.entrypoints.cli.main"
    source = f"measurements serve on {ri.gpu} ({host_name()})"
    server_said = (f"server: {ri.server.engine} {ri.server.version or '(version not reported)'} "
                   f"per {ri.server.source}")
    notes = f"{command_line(argv)}; {server_said}; benchmark client: {ri.client}; raw lines in {raw.name}"
    print(f"serve: {ri.model_id} {args.mode} on {ri.gpu}: {len(todo)} concurrencies to run, {len(points)} already "
          f"in {out}\n  {server_said}; client {ri.client}", file=sys.stderr)
    failures: list[str] = []
    for concurrency in tqdm(todo, unit="concurrency", disable=None, file=sys.stderr):
        num_prompts = args.num_prompts or default_num_prompts(concurrency)
        before = _end_with_newline(raw)
        result = engines.result_file(spec, raw, concurrency)
        if result != raw:
            result.unlink(missing_ok=True)
        cmd = bench_command(args, module, ri.base_url, concurrency, result, ri.python, ri.served_model, ri.tokenizer)
        code = deps.run_bench(cmd, bench_log, args.bench_timeout)
        if result != raw:
            before = _copy_result(result, raw)
        new = [r for r in _new_rows(raw, before) if r.get("max_concurrency") == concurrency]
        if code != 0 or not new:
            why = (f"ran past --bench-timeout {args.bench_timeout:.0f} s and was ended" if code == BENCH_TIMED_OUT
                   else f"exited {code}")
            failures.append(f"concurrency {concurrency}: benchmark client {why}"
                            + ("" if new else ", no result line") + f"; see {bench_log}")
            print(f"warning: {failures[-1]}", file=sys.stderr)
            continue
        accept = accept_length_from_server_info(server_info(ri.base_url, deps, args.info_timeout))
        try:
            point = point_from_row(new[-1], concurrency, num_prompts, str(raw), accept)
            profile = validate_as(Profile, {
                **profile_fields,
                "provenance": Provenance(kind="measured", source=source, date=today(), notes=notes),
                "points": sorted([*points.values(), point], key=lambda p: p.concurrency),
            }, str(out))
        except InputError as e:
            failures.append(str(e))
            print(f"warning: {e}", file=sys.stderr)
            continue
        points[concurrency] = point
        write_model_yaml(out, profile, header="Serving sweep written by `python -m measurements serve`.")
    print(f"wrote {out}: {len(points)} concurrencies" if points else "no concurrency finished; nothing written",
          file=sys.stderr)
    if points:
        print(f"profile: {out}")
    return EXIT_FAILED if failures and not points else EXIT_OK


def _copy_result(result: Path, raw: Path) -> int:
    """vLLM's client writes one JSON object per run: append it to the .bench.jsonl as one line (so the raw lines
    of every engine sit in one file); returns the size of .bench.jsonl before the append."""
    before = _end_with_newline(raw)
    try:
        doc = parse_json(result.read_text(encoding="utf-8", errors="replace"), str(result), allow_infinity=True)
    except (OSError, InputError) as e:
        if result.exists():
            print(f"warning: {result}: {e}", file=sys.stderr)
        return before
    with open_private(raw) as f:
        f.write((json.dumps(doc, separators=(",", ":"), allow_nan=True) + "\n").encode())
    return before


def main(args: argparse.Namespace, argv: Sequence[str] | None = None, deps: ServeDeps | None = None) -> int:
    """Entry point of `serve`: exit 2 for what the user must fix, 130 on Ctrl-C (128 + n on signal n), the
    server and client it started ended on every exit."""
    try:
        with signals_interrupt():
            return run(args, argv, deps)
    except InputError as e:
        return report_input_error(e)
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except KeyboardInterrupt as e:
        # the profile is written after each finished point only: its existence means points were kept
        print(f"\n{interrupted_message(e, getattr(args, 'resolved_out', None), 'concurrencies')}", file=sys.stderr)
        return interrupted_code(e)


__all__ = [
    "accept_length_from_server_info",
    "add_arguments",
    "bench_command",
    "main",
    "model_id_for",
    "parse_bench_lines",
    "point_from_row",
    "run",
    "server_command",
]
