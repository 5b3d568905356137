"""What every command of the command line shares: usage errors and exit codes, the flags for what a foreign
result file lacks, concurrency lists, reading users' files (`--data`, `validate FILE`), and writing the output.

Exit codes: 0 ok; 1 bad data (every problem printed as `FILE:WHERE: message`); 2 a command-line mistake.
Output is rendered by calculator.export.render (md, csv or json), to stdout or to `--out FILE`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from calculator.importers import ImportResult, Overrides
from calculator.loader import InputError, Problem
from calculator.schema import KNOWN_MODELS, KNOWN_MODES, Profile

EXIT_OK = 0
EXIT_BAD_DATA = 1
EXIT_USAGE = 2
IMPORTABLE_SUFFIXES = (".yaml", ".yml", ".json", ".jsonl", ".csv")
OVERRIDE_FIELDS = ("gpu", "model", "mode", "precision", "gpus_per_replica")


class UsageError(Exception):
    """A command-line mistake: printed as one line, exit code 2."""


# ---------------------------------------------------------------------------------------------
# Arguments


def add_override_flags(p: argparse.ArgumentParser, prefix: str = "") -> None:
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


def overrides_from(args: argparse.Namespace) -> Overrides:
    """The Overrides the override flags give (on `table`, a single --gpu/--model/... filter value too)."""
    values: dict[str, object] = {}
    for name in OVERRIDE_FIELDS:
        value = getattr(args, f"ov_{name}", None)
        filter_values = getattr(args, name, None) if args.command == "table" else None
        if value is None and isinstance(filter_values, list) and len(filter_values) == 1:
            value = filter_values[0]
        values[name] = value
    return Overrides(**values)  # type: ignore[arg-type]


def add_data_argument(p: argparse.ArgumentParser, help_text: str) -> None:
    """`--data PATH ...`: users' files added to the bundled data."""
    p.add_argument("--data", nargs="+", default=[], type=Path, metavar="PATH", help=help_text)


def add_format_argument(p: argparse.ArgumentParser, choices: Sequence[str] = ("md", "csv", "json")) -> None:
    """`--format md|csv|json` (default md), rendered by calculator.export.render."""
    p.add_argument("--format", choices=list(choices), default="md")


def parse_concurrency(text: str | Sequence[str]) -> list[int]:
    """Concurrencies from "1,4,16", "1 4 16" or ["1", "4", "16"] (argparse nargs="+"), or any mix."""
    joined = text if isinstance(text, str) else " ".join(text)
    try:
        values = [int(x) for x in joined.replace(",", " ").split()]
    except ValueError:
        raise ValueError(f"--concurrency must be integers separated by commas or spaces, got {joined!r}") from None
    if not values or min(values) < 1:
        raise ValueError(f"--concurrency must be integers >= 1, got {joined!r}")
    return values


# ---------------------------------------------------------------------------------------------
# Users' files


def expand_paths(paths: Sequence[Path]) -> list[Path]:
    """Files, with folders expanded to the importable files under them; InputError for a missing path."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*") if q.is_file() and q.suffix.lower() in IMPORTABLE_SUFFIXES))
        elif p.exists():
            out.append(p)
        else:
            raise InputError([Problem(str(p), "file", "no such file or folder")])
    return out


def import_path(path: Path, overrides: Overrides) -> ImportResult:
    """Any supported result file → profiles + problems (importers load lazily: the CLI starts fast)."""
    from calculator.importers import import_path as _import

    result: ImportResult = _import(path, overrides)
    return result


def known_gpus() -> set[str]:
    """The gpu ids in the bundled gpus.yaml."""
    from calculator.catalog import load_gpu_specs

    return {g.id for g in load_gpu_specs()}


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


def unknown_gpus(name: str, profiles: Sequence[Profile], known: set[str]) -> list[Problem]:
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


# ---------------------------------------------------------------------------------------------
# Output


def render(df: pd.DataFrame, fmt: str, *, float_digits: int = 4) -> str:
    """A table as the CLI prints it: md, csv or json (calculator.export.render)."""
    from calculator.export import render as export_render

    return export_render(df, fmt, float_digits=float_digits)


def write_output(text: str, out: Path | None = None, *, rows: int = 0) -> None:
    """The command's output: to `out` (saying so on stderr) or to stdout, ending with a newline."""
    if out:
        out.write_text(text, encoding="utf-8")
        print(f"wrote {rows} rows to {out}", file=sys.stderr)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
