"""`validate`: check data files, ours or foreign result files, one line per problem (FILE:WHERE: message)
and a one-line summary for each file that is fine; exit 1 when any file is invalid.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from calculator.catalog import BUNDLED_DIR, document_kind, load_document
from calculator.cli.common import (
    EXIT_BAD_DATA,
    EXIT_OK,
    IMPORTABLE_SUFFIXES,
    add_override_flags,
    expand_paths,
    id_warnings,
    import_path,
    known_gpus,
    known_models,
    overrides_from,
    unknown_gpus,
)
from calculator.importers import Overrides
from calculator.loader import InputError, Problem, decode_text, parse_structured, read_bytes
from calculator.schema import (
    ForwardCost,
    GpuCatalog,
    ModelCatalog,
    PriceCatalog,
    Profile,
    ProfileSet,
    WorkloadTable,
)


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `validate` on the CLI's subparsers."""
    v: argparse.ArgumentParser = subparsers.add_parser(
        "validate", help="check data files; one line per problem: FILE:WHERE: message"
    )
    v.add_argument("files", nargs="*", type=Path, metavar="FILE", help="files or folders (default: the bundled data)")
    add_override_flags(v)
    return v


def validate_file(
    path: Path, overrides: Overrides, gpus: set[str], models: set[str] | None = None
) -> tuple[list[Problem], str]:
    """Problems in one file (ours or a foreign result file) and a one-line summary when it is fine; `gpus`
    are the known gpu ids (empty: not checked), `models` the known model ids (None: not checked).

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
        problems += unknown_gpus(name, result.profiles, gpus)
        problems += id_warnings(name, result.profiles, models) if models else []
        return problems, f"{name}: OK ({result.format}, {len(result.profiles)} profiles, {n} points)"
    try:
        kind, doc = load_document(path)
    except InputError as e:
        return e.problems, ""
    problems = []
    if isinstance(doc, ProfileSet | Profile):
        profiles = doc.profiles if isinstance(doc, ProfileSet) else [doc]
        problems += unknown_gpus(name, profiles, gpus)
        problems += id_warnings(name, profiles, models) if models else []
        summary = f"{len(profiles)} profiles, {sum(len(p.points) for p in profiles)} points"
    elif isinstance(doc, PriceCatalog):
        problems += [
            Problem(name, f"offers[{i}].gpu", f"unknown gpu id {o.gpu!r} (not in gpus.yaml)")
            for i, o in enumerate(doc.offers)
            if gpus and o.gpu not in gpus
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


def run(args: argparse.Namespace) -> int:
    """The `validate` command: 0 when every file is valid, 1 otherwise (problems on stdout, count on stderr)."""
    targets = args.files or [BUNDLED_DIR]
    try:
        files = expand_paths(targets)
        if not args.files:  # the bundled data; templates are blank forms, not data
            files = [f for f in files if "templates" not in f.relative_to(BUNDLED_DIR).parts]
    except InputError as e:
        for p in e.problems:
            print(p)
        return EXIT_BAD_DATA
    try:
        known = known_gpus()
    except InputError:
        known = set()
    models = known_models()
    bad = 0
    for f in files:
        if f.suffix.lower() not in IMPORTABLE_SUFFIXES:
            continue
        problems, summary = validate_file(f, overrides_from(args), known, models)
        errors = [p for p in problems if not p.message.startswith("warning:")]
        for p in problems:
            print(p)
        if errors:
            bad += 1
        else:
            print(summary)
    print(f"{len(files) - bad} of {len(files)} files valid", file=sys.stderr)
    return EXIT_BAD_DATA if bad else EXIT_OK
