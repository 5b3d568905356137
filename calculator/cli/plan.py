"""`plan`: a token volume and latency targets → a fleet and a monthly bill per (model, mode, GPU, offer), in whole
instances, with provenance and basis — the same core as the Capacity page
(calculator.answers.planning.plan_capacity), so
the page and the command give the same bill for the same inputs.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import pandas as pd

from calculator.answers.checks import Targets
from calculator.answers.compare import error_texts
from calculator.answers.estimate_errors import estimate_errors
from calculator.answers.planning import (
    PLAN_EXPORT_COLUMNS,
    PlanRequest,
    api_break_even,
    basis_text,
    break_even_verdict,
    goodput_text,
    plan_assumptions,
    plan_capacity,
    plan_rows,
)
from calculator.answers.scenario import models_in_view
from calculator.cli.common import (
    EXIT_BAD_DATA,
    EXIT_OK,
    UsageError,
    add_data_argument,
    add_format_argument,
    add_out_arguments,
    add_override_flags,
    add_prices_flag,
    bounded_int,
    catalog_prices,
    check_out,
    finite_float,
    input_files,
    overrides_from,
    render,
    write_output,
)
from calculator.data.catalog import load_catalog, normalise_points
from calculator.data.schema import TIERS
from calculator.model.capacity import DAYS_PER_MONTH, MAX_FLEET_GPUS, Demand
from calculator.model.estimator import GAP_CONFIGS
from calculator.present.export import DOCUMENT_FORMATS, cost_notes, document

PLAN_COLUMNS = PLAN_EXPORT_COLUMNS


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `plan` on the CLI's subparsers."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "plan",
        help="capacity plan: replicas, whole instances, GPUs and a monthly bill per (model, mode, GPU, offer)",
        description="Size a fleet for a token volume and latency targets, as the app's Capacity page does.",
    )
    vol = p.add_mutually_exclusive_group(required=True)
    volume = finite_float(0, 1e18, low_open=True)
    vol.add_argument("--output-tokens-per-month", type=volume, metavar="N", help="output tokens per month")
    vol.add_argument("--output-tokens-per-day", type=volume, metavar="N", help="output tokens per day (x 30.42)")
    p.add_argument(
        "--peak-factor", type=finite_float(1, 100), default=2.0, metavar="F", help="peak / average demand (default 2)"
    )
    p.add_argument(
        "--peak-hours", type=finite_float(0, 24, low_open=True), default=8.0, metavar="H", help="peak hours per day"
    )
    length = bounded_int(1, 1_000_000)
    p.add_argument("--isl", type=length, default=1024, metavar="N", help="input tokens per request (default 1024)")
    p.add_argument("--osl", type=length, default=1024, metavar="N", help="output tokens per request (default 1024)")
    p.add_argument(
        "--min-tok-s-user", type=finite_float(0, 1e6), default=50.0, metavar="X", help="tokens/s per user (0: none)"
    )
    p.add_argument(
        "--max-ttft-ms", type=finite_float(0, 1e7), default=0.0, metavar="Y", help="TTFT p50 target in ms (0: none)"
    )
    p.add_argument(
        "--unchecked-pass",
        action="store_true",
        help="a TTFT target on a source without TTFT passes, flagged (default: it fails, as on the page)",
    )
    p.add_argument(
        "--rank-other-lengths",
        action="store_true",
        help="rank data reported at lengths far from yours (default: estimates at your lengths stand in)",
    )
    p.add_argument("--gpu", nargs="+", default=[], metavar="ID", help="only these gpu ids (default: every priced GPU)")
    p.add_argument(
        "--model", nargs="+", default=[], metavar="ID",
        help="these model ids (default: Nemotron-Labs-Diffusion and the baseline, Qwen3-8B, plus your --data's "
        "models); name others to widen, or --model all for every model",
    )  # fmt: skip
    p.add_argument(
        "--tier", nargs="+", default=["on_demand"], choices=TIERS, metavar="T", help="price tiers (default on_demand)"
    )
    p.add_argument(
        "--utilisation", type=finite_float(0.01, 1), default=1.0, metavar="U", help="replica load at peak, 0.01-1"
    )
    p.add_argument("--autoscale", action="store_true", help="the off-peak hours run a smaller fleet")
    p.add_argument("--no-estimates", dest="estimates", action="store_false", help="plan on data only")
    p.add_argument(
        "--cheapest-per-provider",
        action="store_true",
        help="each curve's cheapest offer per provider and tier (the page's default view) instead of every offer",
    )
    p.add_argument(
        "--api-usd-per-mtok-output", type=finite_float(0, 1e6, low_open=True), metavar="X",
        help="also say the break-even with an API",
    )  # fmt: skip
    p.add_argument(
        "--api-usd-per-mtok-input", type=finite_float(0, 1e6), default=0.0, metavar="X", help="the API's input price"
    )
    p.add_argument("--limit", type=bounded_int(1), metavar="N", help="print at most N rows (cheapest first)")
    add_data_argument(p, "your own profile/result files or folders, planned with the bundled data")
    add_prices_flag(p)
    add_format_argument(p, ("md", "csv", "json"))
    add_out_arguments(p)
    add_override_flags(p, prefix="data-")
    return p


def build_request(args: argparse.Namespace, own_models: set[str] | None = None) -> PlanRequest:
    """The plan's inputs (every flag is range-checked by its argparse type; a usage error names it)."""
    per_month = (
        args.output_tokens_per_month
        if args.output_tokens_per_month is not None
        else args.output_tokens_per_day * DAYS_PER_MONTH
    )
    try:
        demand = Demand(
            output_tokens_per_month=per_month,
            peak_to_average=args.peak_factor,
            peak_hours_per_day=args.peak_hours,
            isl=args.isl,
            osl=args.osl,
        )
    except ValueError as e:
        raise UsageError(str(e)) from None
    targets = Targets(
        max_ttft_ms=args.max_ttft_ms or None,
        min_tok_s_user=args.min_tok_s_user or None,
        strict=not args.unchecked_pass,
        est_len=not args.rank_other_lengths,
    )
    return PlanRequest(
        demand=demand, targets=targets, gpus=tuple(sorted(args.gpu)), tiers=tuple(sorted(args.tier)),
        utilisation=args.utilisation, autoscale=args.autoscale, with_estimates=args.estimates,
        models=models_in_view(args.model, own_models or set()),
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """The `plan` command: 0 ok (also when no curve meets the targets, said on stderr), 1 problems in --data."""
    from calculator.cli.table import load_extra_points

    request = build_request(args)
    catalog = load_catalog()
    unknown = [g for g in args.gpu if g not in set(catalog.gpus["id"])]
    if unknown:
        raise UsageError(f"--gpu: unknown {', '.join(map(repr, unknown))}; known: {', '.join(catalog.gpus['id'])}")
    points = catalog.points
    if args.data:
        extra, problems = load_extra_points(args.data, overrides_from(args))
        if problems:
            for p in problems:
                print(p, file=sys.stderr)
            print(f"error: {len(problems)} problem(s) in --data; fix them and run again", file=sys.stderr)
            return EXIT_BAD_DATA
        points = normalise_points(pd.concat([points, extra], ignore_index=True))
        request = build_request(args, set(extra["model"]))
    wanted = [m for m in args.model if m != "all"]
    unknown_models = sorted(set(wanted) - set(points["model"]) - {m for m, *_ in GAP_CONFIGS})
    if unknown_models:
        raise UsageError(f"--model: unknown {', '.join(map(repr, unknown_models))}; known: "
                         f"{', '.join(sorted(set(points['model'])))}, or all")  # fmt: skip
    prices = catalog_prices(catalog, args.prices)
    table = estimate_errors(catalog) if request.with_estimates else None
    errors = error_texts(table) if table is not None else {}
    plan = plan_capacity(catalog, points, prices, request, errors, table)
    print(basis_text(plan).replace("**", ""), file=sys.stderr)
    for n in plan.notices:
        print("note: " + n.text.replace("**", "").replace("*", ""), file=sys.stderr)
    for line in plan.problems:
        print(f"note: {line}", file=sys.stderr)
    if plan.plans.empty:
        why = (
            "no curve meets the targets within its data range"
            if plan.ops.empty
            else f"every priced curve would need more than {MAX_FLEET_GPUS:,} GPUs for this volume"
            if plan.too_large
            else "no price offer matched"
        )
        print(f"no plan: {why}", file=sys.stderr)
        write_output(
            render(pd.DataFrame(columns=PLAN_COLUMNS), args.format),
            args.out,
            rows=0,
            overwrite=args.overwrite,
            inputs=input_files(args),
        )
        return EXIT_OK
    rows = plan_rows(plan.plans, every_offer=not args.cheapest_per_provider)
    if not rows.empty and goodput_text(rows.iloc[0]):  # sized on goodput, or a file's goodput not used and why
        print("note: the cheapest plan is" + goodput_text(rows.iloc[0]).replace("**", ""), file=sys.stderr)
    if args.limit is not None:
        rows = rows.head(args.limit)
    table = rows[[c for c in PLAN_COLUMNS if c in rows.columns]].reset_index(drop=True)
    ext = args.out.suffix.lower().lstrip(".") if args.out else ""
    if args.out and ext in DOCUMENT_FORMATS:
        # FILE.csv / .xlsx / .md / .json: the plan as a document carrying its assumptions, as the Capacity page
        # downloads it (the same --out checks as every other output).
        check_out(args.out, overwrite=args.overwrite, inputs=input_files(args))
        used = prices[prices["id"].isin(set(table["offer_id"]))]
        data = document(ext, table, plan_assumptions(plan), cost_notes(), used, title="Capacity plan")
        try:
            args.out.write_bytes(data)
        except OSError as e:
            raise UsageError(f"--out {args.out}: could not write ({e.strerror or e})") from None
        print(f"wrote {len(table)} rows to {args.out} (with the plan's assumptions)", file=sys.stderr)
    else:
        write_output(
            render(table, args.format), args.out, rows=len(table), overwrite=args.overwrite, inputs=input_files(args)
        )
    if args.api_usd_per_mtok_output is not None:
        api_out, api_in = args.api_usd_per_mtok_output, args.api_usd_per_mtok_input
        be = api_break_even(plan.plans.iloc[0], request.demand, api_out=api_out, api_in=api_in,
                            utilisation=request.utilisation)  # fmt: skip
        print(break_even_verdict(be).replace("**", ""), file=sys.stderr)
    return EXIT_OK
