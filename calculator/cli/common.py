"""What every command of the command line shares: usage errors and exit codes, the flags for what a foreign
result file lacks, number and concurrency arguments, reading users' files (`--data`, `validate FILE`: one reader,
`check_file`, so both give one verdict), and writing the output.

Exit codes: 0 ok; 1 bad data (every problem printed as `FILE:WHERE: message`); 2 a command-line mistake.
Output is rendered by calculator.present.export.render (md, csv or json), to stdout or to `--out FILE`.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from calculator.data.errors import InputError, Problem
from calculator.data.importers import SUFFIXES, ImportResult, Overrides, suffix_problem
from calculator.data.loader import read_bytes
from calculator.data.schema import KNOWN_MODELS, KNOWN_MODES, Profile

EXIT_OK = 0
EXIT_BAD_DATA = 1
EXIT_USAGE = 2
OVERRIDE_FIELDS = ("gpu", "model", "mode", "precision", "gpus_per_replica")
MAX_CONCURRENCY = 1_000_000  # ProfilePoint.concurrency's bound
MAX_LENGTH = 10_000_000  # tokens of a prompt or an output: Workload.isl/osl's bound
MIN_TPF, MAX_TPF = 0.5, 4096.0  # self-speculation's least (1 accepted / 2 forwards); the largest block
FORMATS_DOC = "docs/formats.md"


class UsageError(Exception):
    """A command-line mistake: printed as one line, exit code 2."""


# ---------------------------------------------------------------------------------------------
# Arguments


def add_override_flags(p: argparse.ArgumentParser, prefix: str = "") -> None:
    """Flags that supply what a foreign result file lacks; `table` prefixes them with --data- (its own
    --gpu/--model/--mode only filter rows, and never fill in or relabel a file's)."""
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
            type=bounded_int(1, 4096) if name == "gpus-per-replica" else str,
            metavar=meta,
            help=f"{text} for files that do not name one (a file's own value is kept, with a warning)",
        )


def overrides_from(args: argparse.Namespace) -> Overrides:
    """The Overrides the override flags give (only those: a filter is never an override)."""
    return Overrides(**{name: getattr(args, f"ov_{name}", None) for name in OVERRIDE_FIELDS})


def add_data_argument(p: argparse.ArgumentParser, help_text: str) -> None:
    """`--data PATH ...`: users' files added to the bundled data."""
    p.add_argument("--data", nargs="+", default=[], type=Path, metavar="PATH", help=help_text)


def add_format_argument(p: argparse.ArgumentParser, choices: Sequence[str] = ("md", "csv", "json")) -> None:
    """`--format md|csv|json` (default md), rendered by calculator.present.export.render."""
    p.add_argument("--format", choices=list(choices), default="md")


def parse_concurrency(text: str | Sequence[str]) -> list[int]:
    """Concurrencies from "1,4,16", "1 4 16" or ["1", "4", "16"] (argparse nargs="+"), or any mix; each in
    1..MAX_CONCURRENCY."""
    joined = text if isinstance(text, str) else " ".join(text)
    try:
        values = [int(x) for x in joined.replace(",", " ").split() if len(x) <= 20]
    except ValueError:
        raise ValueError(f"--concurrency must be integers separated by commas or spaces, got {joined!r}") from None
    if not values or min(values) < 1:
        raise ValueError(f"--concurrency must be integers >= 1, got {joined!r}")
    if max(values) > MAX_CONCURRENCY:
        raise ValueError(f"--concurrency must be at most {MAX_CONCURRENCY:,}, got {max(values):,}")
    return values


def finite_float(low: float, high: float = math.inf, *, low_open: bool = False) -> Callable[[str], float]:
    """An argparse type: a finite number in [low, high] ((low, high] with low_open); inf, nan, 1e400 and
    subnormal nonsense such as 1e-320 for a fraction are refused with the range in words."""
    shown = f"{'more than' if low_open else 'at least'} {low:g}" + (f" and at most {high:g}" if high < math.inf else "")

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        inside = (value > low if low_open else value >= low) and value <= high
        if not math.isfinite(value) or not inside:
            raise argparse.ArgumentTypeError(f"expected a finite number {shown}, got {text!r}")
        return value

    return parse


def length_arg(low: int = 1) -> Callable[[str], int]:
    """An argparse type: a token length in [low, MAX_LENGTH] (10**30 and 9223372036854775808 gave tracebacks)."""
    return bounded_int(low, MAX_LENGTH)


def bounded_int(low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse type: an integer in [low, high]."""
    shown = f"at least {low}" + (f" and at most {high:,}" if high is not None else "")

    def parse(text: str) -> int:
        try:
            value = int(text) if len(text) <= 20 else None
        except ValueError:
            value = None
        if value is None or value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"expected an integer {shown}, got {text[:40]!r}")
        return value

    return parse


# ---------------------------------------------------------------------------------------------
# Users' files


def expand_paths(paths: Sequence[Path]) -> tuple[list[Path], list[Problem]]:
    """Files to read, and what was not: each file named is kept (check_file says if it cannot be read); a folder
    gives its importable files, recursively, never following a symbolic link (to a file or a folder, inside or
    out); links, FIFOs, devices and sockets in it are named as skipped, other suffixes counted. InputError for a
    path that does not exist."""
    files: list[Path] = []
    skipped: list[Problem] = []
    for p in paths:
        if p.is_dir():  # a folder named on the command line is read even through a link; links inside it are not
            from calculator.data.catalog import folder_files

            found, notes = folder_files(p, SUFFIXES)
            files += found
            skipped += notes
        elif p.exists() or p.is_symlink():
            files.append(p)
        else:
            raise InputError([Problem(str(p), "file", "no such file or folder")])
    return files, skipped


@dataclass
class FileCheck:
    """One users' file as `validate` and `table --data` read it: one reader (check_file), one verdict.

    `problems` make the file invalid; `warnings` (assumed, not applied, unknown model or mode ids) and `ignored`
    (fields not read) do not; `summary` is the OK line."""

    name: str
    kind: str
    profiles: list[Profile] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    summary: str = ""
    result: ImportResult | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def notes(self) -> list[str]:
        """Each warning as `FILE:WHERE: warning: message`, then `FILE: ignored: ...` (the fields not read)."""
        out = [f"{w.file}:{w.where}: warning: {w.message}" for w in self.warnings]
        if self.result is not None:
            out += [f"{self.name}: {line}" for line in self.result.report() if line.startswith("ignored:")]
        return out

    def lines(self) -> list[str]:
        """What `validate` prints for the file: each problem, the notes, then the summary when the file is valid."""
        return [str(p) for p in self.problems] + self.notes() + ([self.summary] if self.ok and self.summary else [])


def check_file(path: Path, overrides: Overrides, gpus: set[str], models: set[str] | None = None) -> FileCheck:
    """Read one file as the CLI does everywhere: a supported suffix, a regular file within the size limit, the
    format detected from its content (our profile, CSV template or a foreign result file via the importers, else
    one of our own data files: GPUs, prices, workloads, models, forward-cost surfaces), then unknown GPU ids (an
    error: they cannot be priced) and unknown model or mode ids (warnings). `gpus` empty: not checked; `models`
    None: not checked."""
    name = str(path)
    not_read = suffix_problem(name)
    if not_read is not None:
        return FileCheck(name, "unknown", problems=[not_read])
    try:
        data = read_bytes(path)
    except InputError as e:
        return FileCheck(name, "unknown", problems=e.problems)
    from calculator.data.importers import import_bytes

    result: ImportResult = import_bytes(data, name, overrides)
    if result.format == "unknown":
        own = _own_document(data, name, gpus, yaml=path.suffix.lower() in (".yaml", ".yml"))
        if own is not None:
            return own
    check = FileCheck(name, result.format, list(result.profiles), list(result.problems), list(result.warnings))
    check.ignored, check.result = list(result.ignored), result
    if result.missing and not check.problems:
        missing = ", ".join(result.missing)
        check.problems.append(Problem(name, "file", f"missing {missing}: give --{result.missing[0]} ID"))
    if not result.profiles and not check.problems:
        check.problems.append(Problem(name, "file", "no points found"))
    unknown = unknown_gpus(name, result.profiles, gpus)
    check.problems += unknown
    bad_ids = {u.where.split(" ", 1)[1].rsplit(".", 1)[0] for u in unknown}
    check.profiles = [p for p in result.profiles if p.id not in bad_ids]
    check.warnings += id_warnings(name, result.profiles, models) if models else []
    n = sum(len(p.points) for p in result.profiles)
    check.summary = f"{name}: OK ({result.format}, {len(result.profiles)} profiles, {n} points)"
    return check


def _own_document(data: bytes, name: str, gpus: set[str], *, yaml: bool) -> FileCheck | None:
    """One of our own non-measurement data files (GPUs, prices, workloads, models, a forward-cost surface),
    validated; None when the content is none of them. Only our own formats are YAML, so for a .yaml file that
    does not parse, the parse error is the answer."""
    from calculator.data.catalog import document_kind, validate_document
    from calculator.data.loader import decode_text, parse_structured

    try:
        doc = parse_structured(decode_text(data, name), name)
    except InputError as e:
        return FileCheck(name, "unknown", problems=e.problems) if yaml else None
    kind = document_kind(doc)
    if kind in ("unknown", "profiles", "profile"):
        return None
    try:
        summary, problems = validate_document(kind, doc, name, gpus)
    except InputError as e:
        return FileCheck(name, kind, problems=e.problems)
    return FileCheck(name, kind, problems=problems, summary=f"{name}: OK ({kind}: {summary})")


def import_path(path: Path, overrides: Overrides) -> ImportResult:
    """Any supported result file → profiles + problems (importers load lazily: the CLI starts fast)."""
    from calculator.data.importers import import_path as _import

    result: ImportResult = _import(path, overrides)
    return result


def add_prices_flag(p: argparse.ArgumentParser) -> None:
    """--prices FILE: offers of a prices.yaml (such as `prices import --out` writes) priced beside the bundled ones."""
    p.add_argument(
        "--prices",
        type=Path,
        metavar="FILE",
        help="also price from this prices.yaml (e.g. from `prices import --out`); its offers replace bundled ones of "
        "the same id",
    )


def catalog_prices(catalog: Any, path: Path | None) -> pd.DataFrame:
    """The offer table to price from: the bundled offers plus those of `path` (its offers win on an id); their
    age is said on stderr when any is past STALE_AFTER_DAYS. Raises InputError for a bad file, UsageError for an
    offer of a GPU we do not know."""
    from datetime import date

    from calculator.data.catalog import load_offers, prices_frame
    from calculator.data.price_catalogs import price_age

    if path is None:
        return catalog.prices  # type: ignore[no-any-return]
    extra = load_offers(path)
    known = set(catalog.gpus["id"])
    unknown = sorted({o.gpu for o in extra if o.gpu not in known})
    if unknown:
        raise UsageError(f"--prices {path}: offers of unknown gpu ids {', '.join(map(repr, unknown))}")
    merged = {o.id: o for o in catalog.offers}
    merged.update({o.id: o for o in extra})
    age = price_age([o.as_of for o in extra], date.today())
    if age.any_stale:
        print(f"warning: --prices {path}: {age.text()}", file=sys.stderr)
    return prices_frame(list(merged.values()))


def known_gpus() -> set[str]:
    """The gpu ids in the bundled gpus.yaml."""
    from calculator.data.catalog import load_gpu_specs

    return {g.id for g in load_gpu_specs()}


def known_models() -> set[str]:
    """Model ids the product knows: the named ones, the estimator's architectures, the bundled profiles'."""
    from calculator.data.catalog import bundled_profile_paths, load_models, load_profile_files

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
                    f"model id {p.model!r} is not one we know "
                    f"({', '.join(sorted(models))}); fine for your own model, else a typo",
                )
            )
        if p.mode not in KNOWN_MODES:
            out.append(
                Problem(
                    name,
                    f"profile {p.id}.mode",
                    f"mode {p.mode!r} is not one we know "
                    f"({', '.join(KNOWN_MODES)}); fine for your own engine's mode, else a typo",
                )
            )
    return out


# ---------------------------------------------------------------------------------------------
# Output


def render(df: pd.DataFrame, fmt: str, *, float_digits: int = 4) -> str:
    """A table as the CLI prints it: md, csv or json (calculator.present.export.render)."""
    from calculator.present.export import render as export_render

    return export_render(df, fmt, float_digits=float_digits)


def add_out_arguments(p: argparse.ArgumentParser) -> None:
    """`--out FILE` and `--overwrite` (an existing FILE is replaced only with it, as the measurement tool does)."""
    p.add_argument("--out", type=Path, metavar="FILE", help="write to FILE instead of stdout (a new file)")
    p.add_argument("--overwrite", action="store_true", help="replace --out FILE when it exists")


def input_files(args: argparse.Namespace) -> list[tuple[str, Path]]:
    """The files a command reads, each with the flag that named it (--data, --prices, the positional FILEs):
    --out never names one of them (check_out)."""
    found = [("--data", Path(p)) for p in getattr(args, "data", None) or []]
    if getattr(args, "prices", None):
        found.append(("--prices", Path(args.prices)))
    found += [("FILE", Path(p)) for p in getattr(args, "files", None) or []]
    return found


def check_out(out: Path, *, overwrite: bool = False, inputs: Sequence[Path | tuple[str, Path]] = ()) -> None:
    """UsageError unless `out` can be written as a new regular file (or replaced with `overwrite`): never one of
    `inputs` (paths read by --data, or (flag, path) pairs: input_files), never a folder, link, FIFO or device
    (/dev/full), and its folder must exist."""
    if out.is_symlink():
        raise UsageError(f"--out {out}: a symbolic link; name a regular file")
    if out.exists():
        if out.is_dir():
            raise UsageError(f"--out {out}: a folder; name a file in it")
        if not out.is_file():
            raise UsageError(f"--out {out}: not a regular file (a FIFO, socket or device); name a regular file")
        for item in inputs:
            flag, given = item if isinstance(item, tuple) else ("--data", item)
            try:
                same = given.exists() and out.samefile(given)
            except OSError:
                same = False
            if same or (given.is_dir() and out.resolve().is_relative_to(given.resolve())):
                raise UsageError(f"--out {out}: that is an input ({flag} {given}); write somewhere else")
        if not overwrite:
            raise UsageError(f"--out {out}: exists; give --overwrite to replace it, or choose another --out")
    elif not out.parent.is_dir():
        raise UsageError(f"--out {out}: no folder {out.parent}; create it first")


def write_output(
    text: str,
    out: Path | None = None,
    *,
    rows: int = 0,
    overwrite: bool = False,
    inputs: Sequence[Path | tuple[str, Path]] = (),
) -> None:
    """The command's output: to `out` (checked by check_out; saying so on stderr) or to stdout, ending with a
    newline. A write that fails (permissions, a full disk) is a UsageError naming the file, never a traceback."""
    if out:
        check_out(out, overwrite=overwrite, inputs=inputs)
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as e:
            raise UsageError(f"--out {out}: could not write ({e.strerror or e})") from None
        print(f"wrote {rows} rows to {out}", file=sys.stderr)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
