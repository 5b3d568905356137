"""`table`: the cost table, one row per (profile point x matching price offer), from the bundled data plus
users' files, with estimated rows for priced GPUs that have no data (labelled so), filtered and sorted.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from calculator.answers.checks import with_error_range
from calculator.answers.estimate_errors import estimate_errors
from calculator.answers.scenario import ALL_MODELS, models_in_view
from calculator.cli.common import (
    EXIT_BAD_DATA,
    EXIT_OK,
    FORMATS_DOC,
    UsageError,
    add_data_argument,
    add_format_argument,
    add_out_arguments,
    add_override_flags,
    add_prices_flag,
    bounded_int,
    catalog_prices,
    check_file,
    expand_paths,
    finite_float,
    input_files,
    known_gpus,
    known_models,
    length_arg,
    overrides_from,
    parse_concurrency,
    render,
    write_output,
)
from calculator.data.catalog import Catalog, load_catalog, normalise_points
from calculator.data.errors import Problem
from calculator.data.importers import Overrides
from calculator.data.schema import TIERS, Profile
from calculator.model import frontier
from calculator.model.cost import DEFAULT_PRICE_RATIO, price_table, quote_offers

MIN_UTILISATION = 0.01  # below 1 % of paid time doing work, $/M tokens says nothing useful (1e-320 gave inf)

TABLE_COLUMNS = [
    "gpu",
    "provider",
    "instance",
    "tier",
    "model",
    "mode",
    "precision",
    "block_size",
    "concurrency",
    "gpus_per_replica",
    "output_tok_s",
    "output_tok_s_per_gpu",
    "total_tok_s_per_gpu",
    "tok_s_user",
    "usd_per_gpu_hour",
    "usd_per_mtok_output",
    "est_error_pct",
    "usd_per_mtok_output_low",
    "usd_per_mtok_output_high",
    "usd_per_mtok_total",
    "usd_per_mtok_input_r",
    "usd_per_mtok_output_r",
    "provenance",
    "source",
    "as_of",
    "price_as_of",
    "price_source",
    "profile_id",
]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `table` on the CLI's subparsers."""
    t: argparse.ArgumentParser = subparsers.add_parser(
        "table", help="cost table: one row per (profile point x matching price offer)"
    )
    t.add_argument("--gpu", nargs="+", default=[], metavar="ID", help="only these gpu ids")
    t.add_argument(
        "--model", nargs="+", default=[], metavar="ID",
        help="these model ids (default: Nemotron-Labs-Diffusion and the baseline, Qwen3-8B, plus your --data's "
        "models); name others to widen, or --model all for every model",
    )  # fmt: skip
    t.add_argument(
        "--mode", nargs="+", default=[], metavar="ID", help="only these modes (ar, diffusion, self_spec, ...)"
    )
    t.add_argument("--precision", nargs="+", default=[], metavar="P", help="only these precisions")
    t.add_argument(
        "--tier", nargs="+", default=[], choices=TIERS, metavar="T", help=f"only these tiers: {', '.join(TIERS)}"
    )
    t.add_argument("--provider", nargs="+", default=[], metavar="P", help="only these providers (case-insensitive)")
    add_prices_flag(t)
    t.add_argument(
        "--concurrency",
        nargs="+",
        default=[],
        metavar="N",
        help="only these concurrencies (1 4 16 or 1,4,16)",
    )
    t.add_argument("--provenance", nargs="+", default=[], metavar="KIND", help="only these provenance kinds")
    t.add_argument(
        "--price-usd-per-gpu-hour",
        type=finite_float(0, low_open=True),
        metavar="X",
        help="price every row at your own quote instead of the catalog",
    )
    t.add_argument(
        "--utilisation",
        type=finite_float(MIN_UTILISATION, 1.0),
        default=1.0,
        metavar="U",
        help=f"fraction of paid GPU time doing work ({MIN_UTILISATION:g}-1)",
    )
    t.add_argument(
        "--price-ratio",
        type=finite_float(0, low_open=True),
        default=DEFAULT_PRICE_RATIO,
        metavar="R",
        help="output/input token price ratio",
    )
    add_data_argument(t, "extra profile/result files or folders")
    t.add_argument(
        "--no-estimates",
        dest="estimates",
        action="store_false",
        help="only published and measured points (by default GPUs without data get estimated rows, labelled so)",
    )
    t.add_argument("--isl", type=length_arg(), default=1024, metavar="N", help="input tokens per request for estimates")
    t.add_argument(
        "--osl", type=length_arg(), default=1024, metavar="N", help="output tokens per request for estimates"
    )
    t.add_argument("--sort", default="usd_per_mtok_output", metavar="COLUMN", help="sort by this column")
    t.add_argument("--limit", type=bounded_int(0), metavar="N", help="print at most N rows")
    add_format_argument(t, ("csv", "json", "md"))
    add_out_arguments(t)
    t.add_argument("--all-columns", action="store_true", help="every column, not just the main ones")
    add_override_flags(t, prefix="data-")
    return t


def load_extra_points(paths: Sequence[Path], overrides: Overrides) -> tuple[pd.DataFrame, list[Problem]]:
    """Points from users' files in any supported format, read by check_file as `validate` reads them (the `file`
    column holds each file's base name, never a path); warnings and what folders held that was not read go to
    stderr; every problem is returned, nothing raised."""
    from calculator.data.catalog import profiles_to_points

    profiles: list[Profile] = []
    files: list[str] = []
    problems: list[Problem] = []
    gpus = known_gpus()
    models = known_models()
    found, skipped = expand_paths(paths)
    for note in skipped:
        print(note, file=sys.stderr)
    for f in found:
        check = check_file(f, overrides, gpus, models)
        if check.result is None and check.ok:  # one of our own data files, valid but no measurements
            message = f"a {check.kind} file, not measurements: --data reads profiles and result files"
            check.problems.append(Problem(check.name, "file", message))
        problems.extend(_table_flags(p) for p in check.problems)
        check.warnings = [_table_flags(w) for w in check.warnings]
        for line in check.notes():
            print(line, file=sys.stderr)
        name = check.result.name if check.result is not None else f.name
        profiles.extend(check.profiles)
        files.extend([name] * len(check.profiles))
    return profiles_to_points(profiles, files), problems


def _table_flags(problem: Problem) -> Problem:
    """Importers name validate's flags (--gpu ...); on `table` the same values are given as --data-gpu ..."""
    message = problem.message
    for name in ("gpu", "model", "mode", "precision", "gpus-per-replica"):
        message = message.replace(f"give --{name} ", f"give --data-{name} ")
    return Problem(problem.file, problem.where, message)


def _filter(df: pd.DataFrame, column: str, wanted: Sequence[object], *, casefold: bool = False) -> pd.DataFrame:
    if not wanted:
        return df
    if casefold:
        keys = {str(w).casefold() for w in wanted}
        return df[df[column].astype(str).str.casefold().isin(keys)]
    return df[df[column].isin(list(wanted))]


def _check_ids(catalog: Catalog, points: pd.DataFrame, args: argparse.Namespace) -> None:
    known = {
        "gpu": set(catalog.gpus["id"]),
        "model": set(points["model"]),
        "mode": set(points["mode"]),
        "precision": set(points["precision"]),
    }
    for name in ("gpu", "model", "mode", "precision"):
        unknown = [x for x in getattr(args, name) if x not in known[name]]
        if unknown:
            raise UsageError(
                f"--{name}: unknown {', '.join(map(repr, unknown))}; known: {', '.join(sorted(known[name]))}"
            )


def build_table(args: argparse.Namespace) -> tuple[pd.DataFrame, list[Problem]]:
    """The priced, filtered, sorted table for `args`, and the problems in their --data files."""
    catalog = load_catalog()
    for p in catalog.problems:  # a bad file in hardware_profiles/measured/ is skipped, never fatal
        print(f"note: skipped {p}", file=sys.stderr)
    points = catalog.points
    problems: list[Problem] = []
    if args.data:
        extra, problems = load_extra_points(args.data, overrides_from(args))
        points = normalise_points(pd.concat([points, extra], ignore_index=True))
    try:
        args.concurrency = parse_concurrency(args.concurrency) if args.concurrency else []
    except ValueError as e:
        raise UsageError(str(e)) from None
    own = set(extra["model"]) if args.data else set()
    shown = models_in_view(args.model, own)  # NLD and the baseline unless --model widens
    args.model = [m for m in args.model if m != ALL_MODELS]
    _check_ids(catalog, points, args)
    if args.isl < 1 or args.osl < 1:
        raise UsageError("--isl and --osl must be at least 1 token")
    if args.estimates and (not args.provenance or "estimated" in args.provenance):
        from calculator.model.estimator import gap_estimates

        estimated = gap_estimates(
            catalog,
            points,
            isl=args.isl,
            osl=args.osl,
            gpus=args.gpu,
            models=args.model,
            modes=args.mode,
            precisions=args.precision,
            concurrency=args.concurrency,
        )
        points = normalise_points(pd.concat([points, estimated], ignore_index=True))
    for col in ("gpu", "mode", "precision", "concurrency"):
        points = _filter(points, col, getattr(args, col))
    points = _filter(points, "model", list(shown))
    points = _filter(points, "provenance", args.provenance)

    if args.price_usd_per_gpu_hour is not None:
        if not args.price_usd_per_gpu_hour > 0:
            raise UsageError("--price-usd-per-gpu-hour must be a positive number")
        prices = quote_offers(sorted(set(points["gpu"])), args.price_usd_per_gpu_hour)
        prices["tier"] = "quote"  # not a catalog tier: your own price
    else:
        prices = catalog_prices(catalog, args.prices)
        prices = _filter(prices, "tier", args.tier)
        prices = _filter(prices, "provider", args.provider, casefold=True)
    if not 0 < args.utilisation <= 1:
        raise UsageError(f"--utilisation must be in (0, 1], got {args.utilisation}")
    if not args.price_ratio > 0:
        raise UsageError(f"--price-ratio must be > 0, got {args.price_ratio}")
    points = frontier.fill_lengths(points, args.isl, args.osl)  # the same rule as every page
    table = price_table(points, prices, utilisation=args.utilisation, price_ratio=args.price_ratio)
    # Each estimated row's error (held-out source, its mode on SGLang) and its $/M output as a range, as on every page.
    has_estimates = bool((table["provenance"].astype(object) == "estimated").any()) if not table.empty else False
    errors = estimate_errors(catalog) if has_estimates else pd.DataFrame()
    table = with_error_range(table, errors, "usd_per_mtok_output")
    if args.sort not in table.columns:
        raise UsageError(f"--sort: no column {args.sort!r}")
    table = table.sort_values([args.sort, "gpu", "provider"], kind="stable").reset_index(drop=True)
    if args.limit is not None:
        table = table.head(args.limit)
    if not args.all_columns:
        table = table[[c for c in TABLE_COLUMNS if c in table.columns]]
    return table, problems


def run(args: argparse.Namespace) -> int:
    """The `table` command: 0 ok (also when no row matched, said on stderr), 1 problems in --data."""
    table, problems = build_table(args)
    if problems:  # never price a partial upload silently: automation must see the failure
        for p in problems:
            print(p, file=sys.stderr)
        said = any(FORMATS_DOC in p.message for p in problems)  # the reference once, not on every line
        print(
            f"error: {len(problems)} problem(s) in --data; fix them"
            + ("" if said else f" ({FORMATS_DOC} says what each format needs)")
            + " and run again",
            file=sys.stderr,
        )
        return EXIT_BAD_DATA
    write_output(
        render(table, args.format), args.out, rows=len(table), overwrite=args.overwrite, inputs=input_files(args)
    )
    if table.empty:
        print("no rows: no profile point matched an offer with these filters", file=sys.stderr)
    return EXIT_OK
