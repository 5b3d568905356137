"""Importers for users' own measurement files: our profile format, a CSV template, and the result
files of SGLang, vLLM, GuideLLM, AIPerf/GenAI-Perf, llmperf, InferenceX and NLD's SGLang harness.

`import_bytes()` is the one entry point: it detects the format from the content (not the name),
parses leniently, and returns profiles with provenance `uploaded` plus every problem found, the
warnings (assumed, derived, not applied) and the fields it did not read, never raising for bad input.
Values the user gives (`Overrides`) only fill in what a file does not say. docs/formats.md says what
each format must contain.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from calculator.data.errors import InputError, Problem
from calculator.data.importers._assemble import DECLARED, assemble, check_provenance_kind
from calculator.data.importers._common import (
    MAX_RECORDS,
    Context,
    ImportResult,
    Overrides,
    RawPoint,
    Reader,
    TooManyProblems,
)
from calculator.data.importers.aiperf import parse_aiperf, parse_aiperf_csv
from calculator.data.importers.csv_template import CSV_TEMPLATE_COLUMNS, csv_template, import_csv
from calculator.data.importers.detect import FORMATS, Sniffed, detect, sniff
from calculator.data.importers.guidellm import parse_guidellm
from calculator.data.importers.inferencex import parse_inferencex, rows_from_csv
from calculator.data.importers.llmperf import parse_llmperf
from calculator.data.importers.nld_summary import parse_nld_summary
from calculator.data.importers.profile_file import import_profile
from calculator.data.importers.sglang import parse_sglang
from calculator.data.importers.vllm import parse_vllm
from calculator.data.loader import decode_text, read_bytes

# The file suffixes we read (the content decides the format; a name without one of these is not read at all).
SUFFIXES: tuple[str, ...] = (".yaml", ".yml", ".json", ".jsonl", ".csv")

__all__ = [
    "CSV_TEMPLATE_COLUMNS",
    "FORMATS",
    "SUFFIXES",
    "ImportResult",
    "Overrides",
    "csv_template",
    "detect",
    "import_bytes",
    "import_path",
    "suffix_problem",
]


def suffix_problem(file: str) -> Problem | None:
    """Why a file is not read by its name (`passwd`, `notes.txt`, `blob.bin`), or None for a suffix we read."""
    suffix = Path(file).suffix
    if suffix.lower() in SUFFIXES:
        return None
    said = f"a {suffix!r} file" if suffix else "a file without a suffix"
    return Problem(file, "file", f"not read: {said}; only {', '.join(SUFFIXES)} files are read (see docs/formats.md)")


def import_path(path: Path, overrides: Overrides = Overrides(), *, provenance_kind: str = "uploaded") -> ImportResult:  # noqa: B008 - frozen
    """Import a file from disk (size checked before reading); never raises for bad input."""
    try:
        data = read_bytes(Path(path))
    except InputError as e:
        return ImportResult(str(path), "unknown", problems=e.problems)
    return import_bytes(data, str(path), overrides, provenance_kind=provenance_kind)


def import_bytes(
    data: bytes,
    file: str,
    overrides: Overrides = Overrides(),  # noqa: B008 - frozen dataclass, safe as a default
    *,
    provenance_kind: str = "uploaded",
) -> ImportResult:
    """Detect, parse and validate one file's bytes; every problem goes into the result."""
    fmt = "unknown"
    try:
        text = decode_text(data, file)
        sniffed = sniff(text, file)
        fmt = sniffed.fmt
        ctx = Context(
            file=file,
            fmt=fmt,
            overrides=overrides,
            provenance_kind=provenance_kind,
            digest=hashlib.sha256(data).hexdigest()[:12],
            today=date.today().isoformat(),
        )
        return _screened(_import(text, sniffed, ctx))
    except (InputError, TooManyProblems) as e:
        return ImportResult(file, fmt, problems=e.problems)
    except RecursionError:
        return ImportResult(file, fmt, problems=[Problem(file, "file", "nested too deeply to read")])
    except Exception as e:  # the promise is "never raises": an importer bug still becomes a problem
        return ImportResult(
            file, fmt, problems=[Problem(file, "file", f"internal error while importing ({type(e).__name__}: {e})")]
        )


def _screened(result: ImportResult) -> ImportResult:
    """The result without the points beyond what the GPU's memory allows for the model (calculator.plausibility),
    each one a problem."""
    from calculator.data.plausibility import bundled_specs, screen

    gpus, models = bundled_specs()
    result.profiles, refused = screen(result.profiles, result.file, gpus, models)
    result.problems += refused
    return result


def _import(text: str, sniffed: Sniffed, ctx: Context) -> ImportResult:
    fmt = sniffed.fmt
    bad_kind = check_provenance_kind(ctx)
    if bad_kind is not None:
        return ImportResult(ctx.file, fmt, problems=[bad_kind])
    if fmt != "profile" and ctx.provenance_kind == DECLARED:  # only our own files declare a provenance
        ctx = dataclasses.replace(ctx, provenance_kind="uploaded")
    if fmt == "unknown":
        message = f"unrecognised content: {sniffed.reason}" if sniffed.reason else "unrecognised content"
        return ImportResult(
            ctx.file, fmt, problems=[Problem(ctx.file, "file", message + "; see docs/formats.md for what we read")]
        )
    if fmt == "profile":
        return import_profile(sniffed.doc, ctx)
    if fmt == "csv":
        return import_csv(text, ctx, sniffed.delimiter)

    reader = Reader(ctx.file)
    raws: list[RawPoint]
    notes: list[str]
    if fmt in ("sglang", "vllm", "inferencex"):
        if sniffed.records is not None:
            records = sniffed.records
            reader.problems.extend(sniffed.problems)
        elif sniffed.doc is not None:
            records = _records(sniffed.doc)
        else:
            records = rows_from_csv(text, sniffed.delimiter, reader)
        if len(records) > MAX_RECORDS:
            return _too_many(ctx, fmt, len(records), "records")
        parse = {"sglang": parse_sglang, "vllm": parse_vllm, "inferencex": parse_inferencex}[fmt]
        raws, notes = parse(records, ctx, reader)
    elif fmt == "aiperf" and sniffed.doc is None:
        raws, notes = parse_aiperf_csv(text, ctx, reader)
    else:
        doc = sniffed.doc
        if not isinstance(doc, Mapping):
            reader.problem("file", f"expected a JSON object for a {fmt} file")
            return ImportResult(ctx.file, fmt, problems=reader.problems)
        benchmarks = doc.get("benchmarks")
        if isinstance(benchmarks, list) and len(benchmarks) > MAX_RECORDS:
            return _too_many(ctx, fmt, len(benchmarks), "benchmarks")
        parse_doc = {
            "guidellm": parse_guidellm,
            "aiperf": parse_aiperf,
            "llmperf": parse_llmperf,
            "nld_summary": parse_nld_summary,
        }[fmt]
        raws, notes = parse_doc(doc, ctx, reader)
    return assemble(ctx, raws, reader, notes)


def _too_many(ctx: Context, fmt: str, n: int, what: str) -> ImportResult:
    """The result for a file of more records than one file may hold (said before any is read; a stream of
    records is read only up to one more than the limit)."""
    counted = f"{n:,} {what}" if n != MAX_RECORDS + 1 else f"more than {MAX_RECORDS:,} {what}"
    message = f"{counted}: at most {MAX_RECORDS:,} are read from one file (split it)"
    return ImportResult(ctx.file, fmt, problems=[Problem(ctx.file, "file", message)])


def _records(doc: Any) -> list[tuple[str, Any]]:
    """A parsed document as (where, record) pairs: a list's items, or the one object."""
    if isinstance(doc, list):
        return [(f"[{i}]", item) for i, item in enumerate(doc)]
    return [("", doc)]
