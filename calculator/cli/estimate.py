"""`estimate`: estimated throughput for any GPU, mode, concurrency and context from the calibrated roofline
(calculator.model.estimator); with --forward the device time of one bare forward (to hold against `measurements
forward`);
with --validate the estimator's own leave-one-out error (median and p90 per mode and per GPU).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from calculator.answers.checks import error_pct
from calculator.answers.estimate_errors import estimate_errors
from calculator.cli.common import (
    EXIT_BAD_DATA,
    EXIT_OK,
    MAX_TPF,
    MIN_TPF,
    UsageError,
    add_data_argument,
    add_format_argument,
    bounded_int,
    finite_float,
    length_arg,
    parse_concurrency,
    render,
    write_output,
)
from calculator.data.catalog import load_catalog
from calculator.model.estimator import (
    BYTES_PER_PARAM,
    ENGINE_CLASSES,
    FORWARD_COLUMNS,
    GROUPING_WORDS,
    GROUPINGS,
    KV_BYTES_PER_ELEMENT,
    error_summary,
    estimate_points,
    fit,
    forward_estimates,
    leave_one_out,
    summarise_headline,
)
from calculator.model.estimator.engines import engine_words, resolve_engine
from calculator.model.modes import MODEL_MODES

CLI_COLUMNS = [
    "gpu",
    "concurrency",
    "running_batch",
    "block_size",
    "output_tok_s",
    "est_error_pct",
    "output_tok_s_per_gpu",
    "tok_s_user",
    "ttft_ms",
    "queue_ms",
    "tokens_per_forward",
    "tpf_assumed",
    "weight_only",
    "provenance",
    "basis",
]


def _block_arg(text: str) -> int | str:
    """--block: "auto" or an integer block size."""
    return "auto" if text.strip().casefold() == "auto" else bounded_int(1, 4096)(text)


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `estimate` on the CLI's subparsers."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "estimate",
        help="estimated throughput for any GPU, mode, concurrency and context (roofline fitted to our points)",
        description="Estimate throughput with the calibrated roofline; --validate prints its leave-one-out error.",
    )
    p.add_argument("--gpu", action="append", default=[], metavar="ID", help="gpu id (repeat or comma-separate)")
    p.add_argument("--model", metavar="ID", help="model id (nld-3b, nld-8b, nld-14b, qwen3-8b)")
    p.add_argument("--mode", metavar="MODE", help=f"decoding mode: {', '.join(MODEL_MODES)}")
    p.add_argument(
        "--block",
        type=_block_arg,
        default="auto",
        metavar="K|auto",
        help="block size (self_spec, diffusion): 8, 16, 32, ... or auto (default: per GPU and concurrency the"
        " self-speculation block with the highest throughput, named in the block_size column and the basis;"
        " diffusion: 32)",
    )
    tpf = p.add_mutually_exclusive_group()
    tpf.add_argument(
        "--tpf", type=finite_float(MIN_TPF, MAX_TPF), metavar="X", help="tokens per forward (self_spec: acceptance / 2)"
    )
    tpf.add_argument(
        "--workload",
        metavar="NAME",
        help="SPEED-Bench category or benchmark for the TPF (default: SPEED-Bench average)",
    )
    p.add_argument(
        "--concurrency",
        nargs="+",
        default=["1"],
        metavar="N",
        help="concurrencies, comma- or space-separated: 1,4,16,64 or 1 4 16 64",
    )
    p.add_argument(
        "--isl", type=length_arg(), default=1024, metavar="N", help="input tokens per request (default 1024)"
    )
    p.add_argument(
        "--osl", type=length_arg(), default=1024, metavar="N", help="output tokens per request (default 1024)"
    )
    p.add_argument(
        "--context",
        type=length_arg(0),
        metavar="N",
        help="KV tokens per sequence when decoding starts (default: ISL); with --forward: tokens already cached",
    )
    p.add_argument("--precision", default="bf16", choices=list(BYTES_PER_PARAM), help="weight precision")
    p.add_argument(
        "--kv-precision",
        default=None,
        choices=list(KV_BYTES_PER_ELEMENT),
        help="KV cache precision (default: the engine's for the checkpoint: fp8 on TensorRT-LLM with fp8/fp4 weights,"
        " else bf16)",
    )
    p.add_argument(
        "--engine",
        choices=list(ENGINE_CLASSES),
        default=None,
        help="serving engine class (generation) the estimate is for (default: sglang, 0.4 and later: the engine of"
        " every NLD serving figure)",
    )
    p.add_argument(
        "--engine-version",
        default=None,
        metavar="X.Y",
        help="the engine's version: picks its generation (vllm before 0.10: vllm-v0; sglang before 0.4: sglang-0.3;"
        " trt-llm 1.0 and later: trt-llm-pytorch); the basis names the generation assumed",
    )
    add_format_argument(p)
    fw = p.add_argument_group("--forward: the device time of one bare forward (as `python -m measurements forward`)")
    fw.add_argument(
        "--forward",
        action="store_true",
        help="estimate one forward per --batch instead of served throughput (needs --gpu, --model)",
    )
    fw.add_argument("--batch", nargs="+", default=["1"], metavar="N", help="batch sizes, comma- or space-separated")
    fw.add_argument(
        "--query-tokens", type=length_arg(), default=1, metavar="Q", help="new tokens per sequence (default 1)"
    )
    fw.add_argument(
        "--attention", choices=["causal", "block"], default="causal", help="mask of the forward (default causal)"
    )
    p.add_argument(
        "--validate",
        action="store_true",
        help="print the estimator's leave-one-out error instead: by default both groupings (a point of a GPU we"
        " have data for; a GPU we have no data for)",
    )
    p.add_argument(
        "--group",
        choices=list(GROUPINGS),
        default=None,
        help="with --validate: only this grouping, per GPU and mode (leave out a point, a profile or a GPU)",
    )
    p.add_argument("--details", action="store_true", help="with --validate: every point, not just the summary")
    add_data_argument(p, "extra profile / forward-cost files")
    return p


def _run_validate(args: argparse.Namespace) -> int:
    """`estimate --validate`: the headline leave-one-out errors (both groupings), or one grouping's table."""
    catalog = load_catalog(args.data)
    for note in catalog.skipped:  # what the --data folders held that was not read
        print(note, file=sys.stderr)
    result = fit(catalog)
    fitted_text = f"pooled {result.pooled.text()}; fp8 gain {result.fp8_gain:.2f}"
    if args.group is not None:
        loo = leave_one_out(catalog, group=args.group)
        write_output(render(loo if args.details else error_summary(loo), args.format, float_digits=1))
        print(
            f"leave-one-{args.group}-out ({GROUPING_WORDS[args.group]}) over {len(loo)} points"
            f" ({int(loo['in_fit'].sum()) if len(loo) else 0} fitted); {fitted_text}",
            file=sys.stderr,
        )
        return EXIT_OK
    loos = {g: leave_one_out(catalog, group=g) for g in ("point", "gpu", "source", "split")}
    headline = summarise_headline(loos)
    if args.format != "md":
        write_output(render(headline, args.format, float_digits=1))
    else:
        print("Estimator error, leave-one-out (each figure predicted by a fit that did not see it):\n")
        print(render(headline, "md", float_digits=1))
        for grouping, loo in loos.items():
            table = loo if args.details else error_summary(loo)
            print(f"Predicting {GROUPING_WORDS[grouping]} (leave-one-{grouping}-out), per GPU and mode:\n")
            print(render(table, "md", float_digits=1))
    print(
        "leave-one-point-out: error on a point of a GPU we have data for; leave-one-gpu-out: error on a GPU we"
        " have no data for; leave-one-source-out: error on a harness or publication never seen (the figure quoted"
        f" beside estimates); split: the held-out test split; {fitted_text}",
        file=sys.stderr,
    )
    return EXIT_OK


def _run_forward(args: argparse.Namespace) -> int:
    """`estimate --forward`: one row per batch size (FORWARD_COLUMNS), the bare forward's device time."""
    catalog = load_catalog(args.data)
    gpus = _gpu_ids(args.gpu)
    try:
        if len(gpus) != 1 or not args.model:
            raise ValueError("--forward needs one --gpu and a --model")
        df = forward_estimates(
            catalog,
            gpus[0],
            args.model,
            precision=args.precision,
            batch=parse_concurrency(args.batch),
            query_tokens=args.query_tokens,
            context_tokens=args.context if args.context is not None else 0,
            attention=args.attention,
            kv_precision=args.kv_precision or "bf16",
        )
    except (ValueError, LookupError) as e:
        raise UsageError(e.args[0] if e.args else e) from None
    if _nothing_left(df, "batch"):
        return EXIT_BAD_DATA
    write_output(render(df[FORWARD_COLUMNS], args.format))
    return EXIT_OK


def _gpu_ids(values: list[str]) -> list[str]:
    """The --gpu values, repeated or comma-separated, as a list of ids."""
    return [g for item in values for g in item.split(",") if g]


def _nothing_left(df: Any, what: str) -> bool:
    """Say on stderr what was skipped, and whether every row was (nothing to print)."""
    for line in df.attrs.get("skipped", []):
        print(f"skipped: {line}", file=sys.stderr)
    if df.empty:
        print(f"no estimate: every {what} was skipped", file=sys.stderr)
    return bool(df.empty)


def run(args: argparse.Namespace) -> int:
    """The `estimate` command: 0 ok, 1 nothing to show (all skipped) or bad data, 2 bad arguments."""
    if args.validate:
        return _run_validate(args)
    if args.forward:
        return _run_forward(args)
    catalog = load_catalog(args.data)
    for note in catalog.skipped:  # what the --data folders held that was not read
        print(note, file=sys.stderr)
    try:
        missing = [
            flag for flag, value in (("--gpu", args.gpu), ("--model", args.model), ("--mode", args.mode)) if not value
        ]
        if missing:
            raise ValueError(f"missing {', '.join(missing)} (or give --validate)")
        gpus = _gpu_ids(args.gpu)
        engine = resolve_engine(args.engine, args.engine_version)
        if args.engine_version:
            print(f"engine generation: {engine} ({engine_words(engine or '')})", file=sys.stderr)
        df = estimate_points(
            catalog,
            gpus,
            args.model,
            args.mode,
            concurrency=parse_concurrency(args.concurrency),
            isl=args.isl,
            osl=args.osl,
            context_tokens=args.context,
            precision=args.precision,
            block_size=args.block,
            tpf=args.tpf,
            workload=args.workload,
            kv_precision=args.kv_precision,
            engine=engine,
        )
    except (ValueError, LookupError) as e:
        raise UsageError(e.args[0] if e.args else e) from None
    if _nothing_left(df, "configuration"):
        return EXIT_BAD_DATA
    # The row's error figure (held-out source, its mode on its engine class), the same as on every page.
    err = error_pct(estimate_errors(catalog), args.mode, engine)
    table = df.assign(
        est_error_pct=err if err is not None else float("nan"),
        output_tok_s_per_gpu=df["output_tok_s"] / df["gpus_per_replica"],
        tok_s_user=1000.0 / df["tpot_ms_p50"],
        ttft_ms=df["ttft_ms_p50"],
    )[CLI_COLUMNS]
    write_output(render(table, args.format))
    return EXIT_OK
