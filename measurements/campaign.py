"""`python -m measurements campaign`: everything the planner needs for the NLD-vs-baseline decision on this GPU, in
one resumable command.

Steps (each an ordinary `python -m measurements ...` command, run one after another, each resumable):
1. `forward` surfaces of NLD-8B and Qwen3-8B (bf16, CUDA graphs, roofline check);
2. `serve` sweeps of Qwen3-8B (AR baseline) and NLD-8B in every mode each installed engine can serve today
   (vLLM: ar, diffusion with PR #48279; SGLang: ar, diffusion, self_spec with PR #25803), skipped with the reason
   when the engine or its NLD support is missing;
3. `tpf` of NLD-8B per mode when local weights and a prompts file are given.

A step whose file is complete is skipped; a partial one is continued with --resume. The plan and a time estimate
(rough: the step durations below, labelled as estimates) are printed first; `--dry-run` stops there, on any machine.
Everything lands in hardware_profiles/measured/ (installed with pip: ./measured/), with `campaign-<gpu>.md` listing
what ran, what was skipped and why, and each step's file.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from measurements import engines
from measurements.common import EXIT_FAILED, EXIT_OK, MEASURED_DIR, MEASURED_TPF_DIR, UserError, today

CONCURRENCY = "1,2,4,8,16,32,64"
ISL, OSL = 1024, 1024
NLD_HUB, QWEN_HUB = "nvidia/Nemotron-Labs-Diffusion-8B", "Qwen/Qwen3-8B"
# Modules that exist only in engine builds with NLD support (the open PRs); their presence is how a step knows.
NLD_PROBES = {
    "sglang": "sglang.srt.dllm.algorithm.linear_spec",
    "vllm": "vllm.model_executor.models.nemotron_dllm",
}
# Rough durations on an 8B model on one H100-class GPU, minutes (estimates, not measurements): forward grid with
# CUDA graphs; server start (weights load, graph capture); one sweep of 7 concurrencies x 1024/1024 tokens; tpf of
# ~100 prompts x 512 tokens.
EST_MIN = {"forward": 4.0, "serve": 25.0, "tpf": 15.0}


@dataclass
class Step:
    """One command of the campaign."""

    name: str
    kind: str  # forward | serve | tpf
    argv: list[str]
    out: Path
    skip_reason: str = ""
    est_min: float = 0.0
    status: str = "planned"
    seconds: float = 0.0
    extra: list[str] = field(default_factory=list)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Flags of `campaign`."""
    p.add_argument("--dry-run", action="store_true", help="print the plan and the time estimate, run nothing")
    p.add_argument("--gpu", help="our gpu id (default: detected; required with --dry-run on a machine without one)")
    p.add_argument("--nld-weights", default=NLD_HUB, help=f"NLD-8B: a local folder or hub id (default {NLD_HUB})")
    p.add_argument("--qwen-weights", default=QWEN_HUB, help=f"Qwen3-8B: a local folder or hub id (default {QWEN_HUB})")
    p.add_argument("--prompts", type=Path, help="JSONL prompts for `tpf` (needs --nld-weights as a local folder)")
    p.add_argument("--sglang-python", help="Python of a venv with SGLang (default: this one if it has sglang)")
    p.add_argument("--vllm-python", help="Python of a venv with vLLM (default: this one if it has vllm)")
    p.add_argument("--concurrency", default=CONCURRENCY, help=f"serve sweeps' concurrencies (default {CONCURRENCY})")
    p.add_argument("--skip", action="append", default=[], choices=("forward", "serve", "tpf"),
                   help="leave out a kind of step (repeatable)")


def _has_module(python: str, module: str) -> bool:
    code = "import importlib.util, sys; sys.exit(importlib.util.find_spec(sys.argv[1]) is None)"
    try:
        return subprocess.run([python, "-c", code, module], capture_output=True, timeout=120,
                              check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _engine_python(name: str, given: str | None) -> str | None:
    python = given or sys.executable
    return python if _has_module(python, name) else None


def plan(args: argparse.Namespace, gpu: str) -> list[Step]:
    """The campaign's steps for this GPU, with skipped ones carrying their reason."""
    steps: list[Step] = []
    for model in ("nld-8b", "qwen3-8b"):
        out = MEASURED_DIR / f"forward-{model}-{gpu}-bf16.yaml"
        steps.append(Step(f"forward {model}", "forward",
                          ["forward", "--model-config", model, "--check-roofline", "--out", str(out)], out,
                          est_min=EST_MIN["forward"]))
    sweeps = [("qwen3-8b", args.qwen_weights, "ar")] + [("nld-8b", args.nld_weights, m)
                                                         for m in ("ar", "diffusion", "self_spec")]
    for engine_name, given in (("sglang", args.sglang_python), ("vllm", args.vllm_python)):
        spec = engines.spec(engine_name)
        python = _engine_python(spec.import_name, given)
        nld_build = python is not None and _has_module(python, NLD_PROBES[engine_name])
        for model, weights, mode in sweeps:
            out = MEASURED_DIR / f"serve-{model}-{mode}-{gpu}-bf16-isl{ISL}-osl{OSL}-{engine_name}.yaml"
            argv = ["serve", "--engine", engine_name, "--model", weights, "--model-id", model, "--mode", mode,
                    "--gpu", gpu, "--concurrency", args.concurrency, "--isl", str(ISL), "--osl", str(OSL),
                    "--out", str(out)]
            if python:
                argv += ["--python", python]
            refusal = engines.unsupported_mode(spec, mode, weights) if model == "nld-8b" else None
            reason = refusal or ""
            if reason:
                pass
            elif python is None:
                reason = f"{spec.label} is not installed (give --{engine_name}-python PATH)"
            elif model == "nld-8b":
                if not nld_build:
                    reason = f"this {spec.label} build has no NLD support ({NLD_PROBES[engine_name]} missing): " \
                             + spec.nld_support
                else:
                    argv += ["--trust-remote-code"]
                    if engine_name == "sglang" and mode != "ar":
                        argv += ["--dllm-algorithm", "LinearSpec" if mode == "self_spec" else "FastDiffuser"]
                    if mode == "ar":
                        override = "--json-model-override-args" if engine_name == "sglang" else "--hf-overrides"
                        argv += [f"--engine-arg={override} '{{\"ar_mode\": true}}'"]
            steps.append(Step(f"serve {model} {mode} ({spec.label})", "serve", argv, out, reason, EST_MIN["serve"]))
    local = Path(args.nld_weights)
    for mode in ("ar", "diffusion", "self_spec"):
        out = MEASURED_TPF_DIR / f"measured-tpf-nld-8b-{mode}-{gpu}.yaml"
        argv = ["tpf", "--model", str(local), "--mode", mode, "--block", "32", "--trust-remote-code",
                "--out", str(out)]
        if args.prompts:
            argv += ["--prompts", str(args.prompts)]
        if mode == "self_spec":
            argv += ["--lora", str(local / "linear_spec_lora")]
        reason = ""
        if not (local / "config.json").is_file():
            reason = "needs --nld-weights as a local folder with the weights (e.g. huggingface-cli download)"
        elif args.prompts is None:
            reason = "needs --prompts FILE (JSONL: prompt, category)"
        steps.append(Step(f"tpf nld-8b {mode}", "tpf", argv, out, reason, EST_MIN["tpf"]))
    for step in steps:
        if step.kind in args.skip:
            step.skip_reason = step.skip_reason or "left out with --skip"
    return steps


def _print_plan(steps: Sequence[Step], gpu: str) -> None:
    todo = [s for s in steps if not s.skip_reason]
    total = sum(s.est_min for s in todo)
    print(f"campaign on {gpu}: {len(todo)} steps to run, {len(steps) - len(todo)} skipped; "
          f"estimated {total:.0f} min (~{total / 60:.1f} h; rough estimates per step, not measurements)")
    for i, s in enumerate(steps, start=1):
        head = f"  {i:2d}. {s.name:<36}"
        if s.skip_reason:
            print(f"{head} skipped: {s.skip_reason}")
        else:
            print(f"{head} ~{s.est_min:.0f} min -> {s.out}")
            print(f"      python -m measurements {shlex.join(s.argv)}")


def _complete(step: Step, concurrency: str) -> bool:
    """True when a serve step's file already holds every concurrency (its server need not start again);
    forward/tpf steps continue with --resume, which skips finished points by itself."""
    if step.kind != "serve" or not step.out.is_file():
        return False
    from calculator.data.errors import InputError
    from calculator.data.schema import Profile
    from measurements.common import read_model_yaml

    try:
        done = {p.concurrency for p in read_model_yaml(step.out, Profile).points}
    except InputError:
        return False
    return {int(c) for c in concurrency.split(",") if c.strip()} <= done


def _summary(steps: Sequence[Step], gpu: str, path: Path) -> None:
    lines = [f"# Measurement campaign on {gpu} ({today()})", "",
             "Written by `python -m measurements campaign`. Files in this folder load in the app by themselves.", "",
             "| step | status | seconds | file / reason |", "|---|---|---|---|"]
    for s in steps:
        detail = s.skip_reason if s.skip_reason else str(s.out.name)
        lines.append(f"| {s.name} | {s.status} | {s.seconds:.0f} | {detail} |")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(args: argparse.Namespace, argv: Sequence[str] | None = None) -> int:
    """Entry point of `campaign`."""
    del argv
    gpu = args.gpu
    if gpu is None:
        from measurements.sglang_process import detect_local_gpu

        gpu, name = detect_local_gpu()
        if gpu is None:
            if args.dry_run:
                gpu = "h100-sxm"
                print("note: no GPU with a gpu id here; planning for h100-sxm (give --gpu ID for another)")
            else:
                raise UserError(("the device " + repr(name) + " has no gpu id" if name else "no CUDA GPU here")
                                + "; the campaign measures a GPU (give --gpu ID, or --dry-run to see the plan)")
    steps = plan(args, gpu)
    _print_plan(steps, gpu)
    if args.dry_run:
        return EXIT_OK
    summary = MEASURED_DIR / f"campaign-{gpu}.md"
    todo = [s for s in steps if not s.skip_reason]
    started = time.monotonic()
    failed = 0
    for i, s in enumerate(todo, start=1):
        left = sum(t.est_min for t in todo[i - 1:])
        print(f"\n== campaign [{i}/{len(todo)}] {s.name} (elapsed {(time.monotonic() - started) / 60:.0f} min, "
              f"~{left:.0f} min left by the estimate)", flush=True)
        if _complete(s, args.concurrency):
            s.status = "done earlier"
            print(f"   {s.out} is complete; skipped")
            continue
        cmd = [sys.executable, "-m", "measurements", *s.argv]
        if s.out.is_file():
            cmd.append("--resume")
        t0 = time.monotonic()
        code = subprocess.run(cmd, check=False).returncode
        s.seconds = time.monotonic() - t0
        s.status = "done" if code == 0 else f"failed (exit {code})"
        failed += code != 0
        _summary(steps, gpu, summary)
        if code in (130, 143, 129):
            print(f"campaign interrupted; rerun the same command to continue (finished steps are kept): {summary}")
            return code
    for s in steps:
        if s.skip_reason:
            s.status = "skipped"
    _summary(steps, gpu, summary)
    print(f"\ncampaign: {len(todo) - failed} of {len(todo)} steps done in {(time.monotonic() - started) / 60:.0f} "
          f"min; summary: {summary}")
    return EXIT_FAILED if failed == len(todo) and todo else EXIT_OK
