"""Command line: `python -m calculator table|validate|schema|estimate ...`.

Prints cost tables from the bundled data (plus your own files), validates files with
`FILE:WHERE: message` lines, and exports the JSON Schemas of our file formats.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from pydantic import BaseModel

from calculator.catalog import BUNDLED_DIR, Catalog, document_kind, load_catalog, load_document, normalise_points
from calculator.cost import DEFAULT_PRICE_RATIO, price_table, quote_offers
from calculator.importers import ImportResult, Overrides
from calculator.loader import InputError, Problem, decode_text, parse_structured, read_bytes
from calculator.schema import (
    KNOWN_MODELS,
    KNOWN_MODES,
    TIERS,
    ForwardCost,
    GpuCatalog,
    ModelCatalog,
    PriceCatalog,
    Profile,
    ProfileSet,
    WorkloadTable,
)

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
IMPORTABLE_SUFFIXES = (".yaml", ".yml", ".json", ".jsonl", ".csv")


class UsageError(Exception):
    """A command-line mistake: printed as one line, exit code 2."""


def import_path(path: Path, overrides: Overrides) -> ImportResult:
    """Any supported result file → profiles + problems (importers load lazily: the CLI starts fast)."""
    from calculator.importers import import_path as _import

    result: ImportResult = _import(path, overrides)
    return result


OVERRIDE_FIELDS = ("gpu", "model", "mode", "precision", "gpus_per_replica")


def _add_overrides(p: argparse.ArgumentParser, prefix: str = "") -> None:
    """Flags that supply what a foreign result file lacks; `table` prefixes them with --data- (its
    --gpu/--model/--mode filter rows; a single filter value also serves as the override)."""
    g = p.add_argument_group("what a foreign result file lacks (SGLang, vLLM, GuideLLM, AIPerf, ...)")
    for name, meta, text in (
        ("gpu", "ID", "gpu id"),
        ("model", "ID", "model id"),
        ("mode", "ID", "decoding mode"),
        ("precision", "P", "precision"),
        ("gpus-per-replica", "N", "GPUs per replica"),
    ):
        g.add_argument(
            f"--{prefix}{name}",
            dest=f"ov_{name.replace('-', '_')}",
            type=int if name == "gpus-per-replica" else str,
            metavar=meta,
            help=f"{text} for files that do not name one",
        )


def _overrides(args: argparse.Namespace) -> Overrides:
    values: dict[str, object] = {}
    for name in OVERRIDE_FIELDS:
        value = getattr(args, f"ov_{name}", None)
        filter_values = getattr(args, name, None) if args.command == "table" else None
        if value is None and isinstance(filter_values, list) and len(filter_values) == 1:
            value = filter_values[0]
        values[name] = value
    return Overrides(**values)  # type: ignore[arg-type]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m calculator",
        description="Cost per million tokens for diffusion and autoregressive LLM serving.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    t = sub.add_parser("table", help="cost table: one row per (profile point x matching price offer)")
    t.add_argument("--gpu", nargs="+", default=[], metavar="ID", help="only these gpu ids")
    t.add_argument("--model", nargs="+", default=[], metavar="ID", help="only these model ids")
    t.add_argument(
        "--mode", nargs="+", default=[], metavar="ID", help="only these modes (ar, diffusion, self_spec, ...)"
    )
    t.add_argument("--precision", nargs="+", default=[], metavar="P", help="only these precisions")
    t.add_argument(
        "--tier", nargs="+", default=[], choices=TIERS, metavar="T", help=f"only these tiers: {', '.join(TIERS)}"
    )
    t.add_argument("--provider", nargs="+", default=[], metavar="P", help="only these providers (case-insensitive)")
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
        type=float,
        metavar="X",
        help="price every row at your own quote instead of the catalog",
    )
    t.add_argument(
        "--utilisation", type=float, default=1.0, metavar="U", help="fraction of paid GPU time doing work (0-1]"
    )
    t.add_argument(
        "--price-ratio", type=float, default=DEFAULT_PRICE_RATIO, metavar="R", help="output/input token price ratio"
    )
    t.add_argument(
        "--data", nargs="+", default=[], type=Path, metavar="PATH", help="extra profile/result files or folders"
    )
    t.add_argument(
        "--no-estimates",
        dest="estimates",
        action="store_false",
        help="only published and measured points (by default GPUs without data get estimated rows, labelled so)",
    )
    t.add_argument("--isl", type=int, default=1024, metavar="N", help="input tokens per request for estimates")
    t.add_argument("--osl", type=int, default=1024, metavar="N", help="output tokens per request for estimates")
    t.add_argument("--sort", default="usd_per_mtok_output", metavar="COLUMN", help="sort by this column")
    t.add_argument("--limit", type=int, metavar="N", help="print at most N rows")
    t.add_argument("--format", choices=["csv", "json", "md"], default="md")
    t.add_argument("--out", type=Path, metavar="FILE", help="write to FILE instead of stdout")
    t.add_argument("--all-columns", action="store_true", help="every column, not just the main ones")
    _add_overrides(t, prefix="data-")

    v = sub.add_parser("validate", help="check data files; one line per problem: FILE:WHERE: message")
    v.add_argument("files", nargs="*", type=Path, metavar="FILE", help="files or folders (default: the bundled data)")
    _add_overrides(v)

    s = sub.add_parser("schema", help="write the JSON Schemas of our file formats")
    s.add_argument("--out", type=Path, default=Path("docs/schema"), metavar="DIR")

    try:
        from calculator.estimate import add_estimate_parser
    except ImportError:  # estimator not present in this checkout
        pass
    else:
        add_estimate_parser(sub)
    return parser


# ---------------------------------------------------------------------------------------------
# table


def _expand(paths: Sequence[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*") if q.is_file() and q.suffix.lower() in IMPORTABLE_SUFFIXES))
        elif p.exists():
            out.append(p)
        else:
            raise InputError([Problem(str(p), "file", "no such file or folder")])
    return out


def load_extra_points(paths: Sequence[Path], overrides: Overrides) -> tuple[pd.DataFrame, list[Problem]]:
    """Points from users' files in any supported format; every problem is returned, nothing raised."""
    from calculator.catalog import profiles_to_points

    profiles: list[Profile] = []
    files: list[str] = []
    problems: list[Problem] = []
    from calculator.catalog import load_gpu_specs

    gpus = {g.id for g in load_gpu_specs()}
    models = known_models()
    for f in _expand(paths):
        result = import_path(f, overrides)
        problems.extend(_table_flags(p) for p in result.problems)
        if not result.profiles and not result.problems:
            problems.append(Problem(str(f), "file", "no points found"))
        unknown = _unknown_gpus(str(f), result.profiles, gpus)
        problems.extend(unknown)
        bad = {pr.where.split(" ", 1)[1].rsplit(".", 1)[0] for pr in unknown}
        kept = [p for p in result.profiles if p.id not in bad]
        for w in id_warnings(str(f), kept, models):
            print(w, file=sys.stderr)
        profiles.extend(kept)
        files.extend([str(f)] * len(kept))
    return profiles_to_points(profiles, files), problems


def _table_flags(problem: Problem) -> Problem:
    """Importers name validate's flags (--gpu ...); on `table` the same values are given as --data-gpu ..."""
    message = problem.message
    for name in ("gpu", "model", "mode", "precision"):
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
    catalog = load_catalog()
    points = catalog.points
    problems: list[Problem] = []
    if args.data:
        extra, problems = load_extra_points(args.data, _overrides(args))
        points = normalise_points(pd.concat([points, extra], ignore_index=True))
    from calculator.estimate import parse_concurrency

    try:
        args.concurrency = parse_concurrency(args.concurrency) if args.concurrency else []
    except ValueError as e:
        raise UsageError(str(e)) from None
    _check_ids(catalog, points, args)
    if args.isl < 1 or args.osl < 1:
        raise UsageError("--isl and --osl must be at least 1 token")
    if args.estimates and (not args.provenance or "estimated" in args.provenance):
        from calculator.estimate import gap_estimates

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
    for col in ("gpu", "model", "mode", "precision", "concurrency"):
        points = _filter(points, col, getattr(args, col))
    points = _filter(points, "provenance", args.provenance)

    if args.price_usd_per_gpu_hour is not None:
        if not args.price_usd_per_gpu_hour > 0:
            raise UsageError("--price-usd-per-gpu-hour must be a positive number")
        prices = quote_offers(sorted(set(points["gpu"])), args.price_usd_per_gpu_hour)
        prices["tier"] = "quote"  # not a catalog tier: your own price
    else:
        prices = catalog.prices
        prices = _filter(prices, "tier", args.tier)
        prices = _filter(prices, "provider", args.provider, casefold=True)
    if not 0 < args.utilisation <= 1:
        raise UsageError(f"--utilisation must be in (0, 1], got {args.utilisation}")
    if not args.price_ratio > 0:
        raise UsageError(f"--price-ratio must be > 0, got {args.price_ratio}")
    table = price_table(points, prices, utilisation=args.utilisation, price_ratio=args.price_ratio)
    if args.sort not in table.columns:
        raise UsageError(f"--sort: no column {args.sort!r}")
    table = table.sort_values([args.sort, "gpu", "provider"], kind="stable").reset_index(drop=True)
    if args.limit is not None:
        table = table.head(args.limit)
    if not args.all_columns:
        table = table[[c for c in TABLE_COLUMNS if c in table.columns]]
    return table, problems


def cmd_table(args: argparse.Namespace) -> int:
    table, problems = build_table(args)
    if problems:  # never price a partial upload silently: automation must see the failure
        for p in problems:
            print(p, file=sys.stderr)
        print(
            f"error: {len(problems)} problem(s) in --data; fix them (see docs/formats.md) and run again",
            file=sys.stderr,
        )
        return 1
    from calculator.export import render

    text = render(table, args.format)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {len(table)} rows to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    if table.empty:
        print("no rows: no profile point matched an offer with these filters", file=sys.stderr)
    return 0


# ---------------------------------------------------------------------------------------------
# validate


def validate_file(
    path: Path, overrides: Overrides, known_gpus: set[str], models: set[str] | None = None
) -> tuple[list[Problem], str]:
    """Problems in one file (ours or a foreign result file) and a one-line summary when it is fine.

    Problems whose message starts with "warning:" (unknown model or mode ids) do not make the file invalid.
    """
    name = str(path)
    try:
        data = parse_structured(decode_text(read_bytes(path), name), name) if path.suffix.lower() != ".csv" else None
    except InputError as e:
        if path.suffix.lower() in (".yaml", ".yml"):  # only our own formats are YAML: the parse error is the answer
            return e.problems, ""
        data = None
    kind = document_kind(data) if data is not None else "unknown"
    if kind == "unknown":  # a foreign format, our CSV template, or broken: the importers say which
        result = import_path(path, overrides)
        problems = list(result.problems)
        if result.missing and not problems:
            problems.append(Problem(name, "file", f"missing {', '.join(result.missing)}: give --{result.missing[0]}"))
        if not result.profiles and not problems:
            problems.append(Problem(name, "file", "no points found"))
        n = sum(len(p.points) for p in result.profiles)
        problems += _unknown_gpus(name, result.profiles, known_gpus)
        problems += id_warnings(name, result.profiles, models) if models else []
        return problems, f"{name}: OK ({result.format}, {len(result.profiles)} profiles, {n} points)"
    try:
        kind, doc = load_document(path)
    except InputError as e:
        return e.problems, ""
    problems = []
    if isinstance(doc, ProfileSet | Profile):
        profiles = doc.profiles if isinstance(doc, ProfileSet) else [doc]
        problems += _unknown_gpus(name, profiles, known_gpus)
        problems += id_warnings(name, profiles, models) if models else []
        summary = f"{len(profiles)} profiles, {sum(len(p.points) for p in profiles)} points"
    elif isinstance(doc, PriceCatalog):
        problems += [
            Problem(name, f"offers[{i}].gpu", f"unknown gpu id {o.gpu!r} (not in gpus.yaml)")
            for i, o in enumerate(doc.offers)
            if known_gpus and o.gpu not in known_gpus
        ]
        summary = f"{len(doc.offers)} offers"
    elif isinstance(doc, GpuCatalog):
        summary = f"{len(doc.gpus)} gpus"
    elif isinstance(doc, WorkloadTable):
        summary = f"{len(doc.tpf)} tokens-per-forward entries, {len(doc.accuracy)} accuracy entries"
    elif isinstance(doc, ModelCatalog):
        summary = f"{len(doc.models)} model architectures"
    elif isinstance(doc, ForwardCost):
        summary = f"forward-cost surface, {len(doc.points)} points"
    else:
        summary = kind
    return problems, f"{name}: OK ({kind}: {summary})"


def _unknown_gpus(name: str, profiles: Sequence[Profile], known: set[str]) -> list[Problem]:
    """An unknown gpu id cannot be priced: an error."""
    if not known:
        return []
    return [
        Problem(
            name,
            f"profile {p.id}.gpu",
            f"unknown gpu id {p.gpu!r} (not in gpus.yaml; known: {', '.join(sorted(known))})",
        )
        for p in profiles
        if p.gpu not in known
    ]


def known_models() -> set[str]:
    """Model ids the product knows: the named ones, the estimator's architectures, the bundled profiles'."""
    from calculator.catalog import bundled_profile_paths, load_models, load_profile_files

    ids = set(KNOWN_MODELS)
    try:
        ids |= set(load_models())
        ids |= {p.model for p in load_profile_files(bundled_profile_paths(), strict=False).profiles}
    except InputError:
        pass
    return ids


def id_warnings(name: str, profiles: Sequence[Profile], models: set[str]) -> list[Problem]:
    """Model and mode ids we do not know: allowed (your own model or engine mode) but likely typos, so said."""
    out = []
    for p in profiles:
        if p.model not in models:
            out.append(
                Problem(
                    name,
                    f"profile {p.id}.model",
                    f"warning: model id {p.model!r} is not one we know "
                    f"({', '.join(sorted(models))}); fine for your own model, else a typo",
                )
            )
        if p.mode not in KNOWN_MODES:
            out.append(
                Problem(
                    name,
                    f"profile {p.id}.mode",
                    f"warning: mode {p.mode!r} is not one we know "
                    f"({', '.join(KNOWN_MODES)}); fine for your own engine's mode, else a typo",
                )
            )
    return out


def cmd_validate(args: argparse.Namespace) -> int:
    targets = args.files or [BUNDLED_DIR]
    try:
        files = _expand(targets)
        if not args.files:  # the bundled data; templates are blank forms, not data
            files = [f for f in files if "templates" not in f.relative_to(BUNDLED_DIR).parts]
    except InputError as e:
        for p in e.problems:
            print(p)
        return 1
    try:
        from calculator.catalog import load_gpu_specs

        known = {g.id for g in load_gpu_specs()}
    except InputError:
        known = set()
    models = known_models()
    bad = 0
    for f in files:
        if f.suffix.lower() not in IMPORTABLE_SUFFIXES:
            continue
        problems, summary = validate_file(f, _overrides(args), known, models)
        errors = [p for p in problems if not p.message.startswith("warning:")]
        for p in problems:
            print(p)
        if errors:
            bad += 1
        else:
            print(summary)
    print(f"{len(files) - bad} of {len(files)} files valid", file=sys.stderr)
    return 1 if bad else 0


# ---------------------------------------------------------------------------------------------
# schema


SCHEMAS: dict[str, type[BaseModel]] = {
    "profile.schema.json": ProfileSet,
    "profile-single.schema.json": Profile,
    "forward-cost.schema.json": ForwardCost,
    "gpus.schema.json": GpuCatalog,
    "prices.schema.json": PriceCatalog,
    "workloads.schema.json": WorkloadTable,
}


def schema_texts() -> dict[str, str]:
    return {name: json.dumps(model.model_json_schema(), indent=2) + "\n" for name, model in SCHEMAS.items()}


def cmd_schema(args: argparse.Namespace) -> int:
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in schema_texts().items():
        (args.out / name).write_text(text, encoding="utf-8")
        print(f"wrote {args.out / name}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handlers = {"table": cmd_table, "validate": cmd_validate, "schema": cmd_schema}
    try:
        if args.command in handlers:
            return handlers[args.command](args)
        from calculator.estimate import run_estimate

        return int(run_estimate(args))
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except InputError as e:
        for p in e.problems:
            print(p, file=sys.stderr)
        return 1
    except BrokenPipeError:  # `| head`
        return 0


if __name__ == "__main__":
    sys.exit(main())
