"""Shared machinery of the importers: the result types, the intermediate point every format's parser
produces, lenient readers for numbers and text that collect problems, warnings and the fields a file holds
that were not read, and JSON/CSV helpers. Assembly into Profiles is in `_assemble.py`.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from calculator.data.errors import Problem
from calculator.data.importers._ids import shown
from calculator.data.loader import JSON_HOOKS
from calculator.data.schema import PRECISIONS, Profile

# ---------------------------------------------------------------------------------------------
# Public result types (re-exported by calculator.data.importers)


@dataclass(frozen=True)
class Overrides:
    """What a foreign format may lack, given by the user (app form or CLI flags).

    A value given here only FILLS IN what a file does not say: it never relabels a file's own gpu, model,
    mode, precision, engine or GPU count. Where the file states a different value, the file's is kept and
    the import reports a warning. Our own profile files are complete: nothing is filled in there.
    """

    gpu: str | None = None
    model: str | None = None
    mode: str | None = None
    precision: str | None = None
    gpus_per_replica: int | None = None
    engine: str | None = None


MAX_REPORTED_IGNORED = 40  # field names shown in the report line; the rest are counted


@dataclass
class ImportResult:
    """What one file yielded: its detected format, the good profiles, every problem, and the report.

    `problems` are errors (a point or a file was refused); `warnings` say what was assumed, derived or
    not applied (they do not stop an import); `ignored` lists the fields the file holds that were not read.
    """

    file: str
    format: str  # e.g. "profile", "csv", "sglang", "vllm", "guidellm", "aiperf", "llmperf", "inferencex", "unknown"
    profiles: list[Profile] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # fields the user must supply (gpu, model, mode)
    warnings: list[Problem] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.profiles) and not self.problems

    @property
    def name(self) -> str:
        """The file's base name (what tables and exports show), never a server's absolute path."""
        return PurePath(self.file).name or self.file

    def report(self) -> list[str]:
        """The import report as lines: what was read, each problem and warning, and `ignored: ...`."""
        points = sum(len(p.points) for p in self.profiles)
        lines = [f"{self.name}: {self.format}, {len(self.profiles)} profile(s), {points} point(s)"]
        lines += [f"problem: {p.where}: {p.message}" for p in self.problems]
        lines += [f"warning: {w.where}: {w.message}" for w in self.warnings]
        if self.ignored:
            shown_names = ", ".join(self.ignored[:MAX_REPORTED_IGNORED])
            more = len(self.ignored) - MAX_REPORTED_IGNORED
            lines.append(f"ignored: {shown_names}" + (f" (+{more} more)" if more > 0 else ""))
        return lines


# The fields every Profile needs; foreign formats often lack them. Precision never blocks an import (it is
# assumed bf16, with a warning), so only gpu, model and mode can end up in ImportResult.missing.
REQUIRED_META: tuple[str, ...] = ("gpu", "model", "mode", "precision")
ASSUMED_PRECISION = "bf16"

SUPPLY_HINT: dict[str, str] = {
    "gpu": "give --gpu ID (e.g. h100-sxm) on the command line, or pick the GPU in the upload form",
    "model": "give --model ID (e.g. qwen3-8b, nld-8b) on the command line, or pick the model in the upload form",
    "mode": "give --mode ID (ar, diffusion, self_spec, spec_eagle3, spec_mtp, ...) or pick it in the upload form",
    "precision": f"give --precision ({', '.join(PRECISIONS)}) or pick it in the upload form",
    "gpus_per_replica": "give --gpus-per-replica N (TP x PP x DP GPUs of one replica) or set it in the upload form",
}

MAX_PROBLEMS_PER_KIND = 20  # per field and message; the rest are summarised in one problem
MAX_IGNORED = 1000  # distinct ignored field names kept per file (a hostile file cannot grow the report)
# What one file may hold, so that every reader stays linear and bounded in time and memory (issue 13; figures in
# benchmarks/bench_hostile.py). Each is checked before the work it bounds, with a message saying what to do.
MAX_PROBLEMS = 200  # problems per file: reading stops at the next one (a file this broken needs fixing first)
MAX_RECORDS = 10_000  # results records (runs, benchmarks, rows) of a foreign format per file
MAX_TABLE_ROWS = 200_000  # lines of a CSV table (the design's upload is 100,000 rows)
MAX_COLUMNS = 500  # columns of a CSV table (ours has 24; InferenceX and AIPerf exports well under 100)


class TooManyProblems(Exception):
    """Raised by Reader.problem past MAX_PROBLEMS: the import stops and reports what it found so far."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(f"more than {MAX_PROBLEMS} problems")


# ---------------------------------------------------------------------------------------------
# The intermediate record every foreign-format parser produces


@dataclass(frozen=True)
class Context:
    """Everything about the file being imported that the shared assembly needs."""

    file: str
    fmt: str
    overrides: Overrides
    provenance_kind: str
    digest: str  # short hash of the file's bytes: identical re-uploads get identical profile ids
    today: str

    @property
    def name(self) -> str:
        return PurePath(self.file).name or self.file


@dataclass
class RawPoint:
    """One operating point read from a foreign file, before validation.

    `point` holds ProfilePoint fields; `meta` the profile-level fields the FILE states (gpu, model,
    model_name, mode, precision, engine, engine_version, tp, pp, dp, gpus_per_replica, isl, osl,
    lengths_measured, dataset, category, block_size, algorithm, draft_tokens, label, notes); `assumed`
    maps a field to (value, why) for a value the format implies but the file does not state (used only
    where the user gives nothing); `sources` maps a field to where it sits in the file.
    """

    where: str
    point: dict[str, float | int] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    assumed: dict[str, tuple[Any, str]] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    def note(self, text: str) -> None:
        """A provenance note for the profile this point lands in."""
        self.meta.setdefault("notes", []).append(text)


def sub(prefix: str, key: str | int) -> str:
    """Where-path of `key` inside `prefix`: 'line 3, median_ttft_ms', 'benchmarks[2].metrics', '[4].conc'."""
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    if not prefix:
        return key
    if prefix.startswith(("line ", "row ")) and "," not in prefix:
        return f"{prefix}, {key}"
    return f"{prefix}.{key}"


class Reader:
    """Collects problems, warnings and unread fields while reading loosely-typed foreign data."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.reported: set[str] = set()  # where-paths already given a problem
        self.ignored: dict[str, None] = {}
        self.ignored_beyond = 0
        self._warned: set[tuple[str, str]] = set()

    def problem(self, where: str, message: str) -> None:
        """An error at `where`; past MAX_PROBLEMS, the last one says reading stopped (TooManyProblems)."""
        if len(self.problems) >= MAX_PROBLEMS:
            stop = Problem(self.file, where, f"more than {MAX_PROBLEMS} problems: not read further (fix these first)")
            raise TooManyProblems([*self.problems, stop])
        self.problems.append(Problem(self.file, where, message))
        self.reported.add(where)

    def warn(self, where: str, message: str) -> None:
        """A warning (assumed, derived, not applied), once per place and message."""
        if (where, message) not in self._warned:
            self._warned.add((where, message))
            self.warnings.append(Problem(self.file, where, message))

    def warn_once(self, where: str, message: str) -> None:
        """A warning given once per file, at the first place it applies (the same for every row)."""
        if ("", message) not in self._warned:
            self._warned.add(("", message))
            self.warn(where, message)

    def unread(self, obj: Any, read: Collection[str], prefix: str = "") -> None:
        """List the keys of `obj` not in `read` as ignored (`prefix.key`), each name once, boundedly."""
        if not isinstance(obj, Mapping):
            return
        for key in obj:
            if key in read:
                continue
            name = f"{prefix}.{key}" if prefix else str(key)
            if name in self.ignored:
                continue
            if len(self.ignored) >= MAX_IGNORED:
                self.ignored_beyond += 1
                continue
            self.ignored[name[:120]] = None

    def ignored_names(self) -> list[str]:
        names = list(self.ignored)
        if self.ignored_beyond:
            names.append(f"... {self.ignored_beyond} more field names")
        return names

    def num(self, obj: Any, key: str, prefix: str, *, strings: bool = False, required: bool = False) -> float | None:
        """A finite number at obj[key]; None when absent (a problem when required) or not a number."""
        where = sub(prefix, key)
        value = obj.get(key) if isinstance(obj, Mapping) else None
        if value is None:
            if required:
                self.problem(where, "missing; this field is needed")
            return None
        return self.as_number(value, where, strings=strings)

    def as_number(self, value: Any, where: str, *, strings: bool = False) -> float | None:
        """`value` as a finite float, or None with a problem saying what was wrong."""
        if isinstance(value, bool):
            self.problem(where, f"expected a number, got {json.dumps(value)}")
            return None
        if isinstance(value, str) and strings:
            text = value.strip()
            if not text:
                return None
            try:
                value = float(text)
            except ValueError:
                self.problem(where, f"expected a number, got {shown(value)}")
                return None
        if isinstance(value, int):
            return float(value)
        if isinstance(value, float):
            if math.isnan(value):
                self.problem(where, "NaN is not a number")
                return None
            if math.isinf(value):
                self.problem(where, "infinite value")
                return None
            return value
        self.problem(where, f"expected a number, got {shown(value)}")
        return None

    def text(self, obj: Any, key: str, prefix: str) -> str | None:
        """A non-empty string at obj[key], or None (a problem when present but not a string)."""
        value = obj.get(key) if isinstance(obj, Mapping) else None
        if value is None:
            return None
        if isinstance(value, str):
            return value.strip() or None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        self.problem(sub(prefix, key), f"expected text, got {shown(value)}")
        return None


def dig(obj: Any, *path: str | int) -> Any:
    """obj[path[0]][path[1]]... or None where any step is missing or of the wrong type."""
    for key in path:
        if isinstance(key, int):
            if not isinstance(obj, list) or not -len(obj) <= key < len(obj):
                return None
            obj = obj[key]
        else:
            if not isinstance(obj, Mapping):
                return None
            obj = obj.get(key)
    return obj


def first_of(obj: Any, paths: Iterable[tuple[str | int, ...]]) -> Any:
    """The first non-None value among several candidate paths (formats move fields between versions)."""
    for path in paths:
        value = dig(obj, *path)
        if value is not None:
            return value
    return None


def scaled(x: float, factor: float) -> float:
    """x x factor without binary noise in the last digits (0.007857 s -> 7.857 ms, not 7.856999...); a
    factor of 1 keeps the file's number exactly."""
    if factor == 1.0:
        return x
    return float(f"{x * factor:.12g}")


def whole(x: float | None) -> int | None:
    """A concurrency or length given as a float, as the nearest int (None stays None)."""
    return None if x is None else round(x)


def stated_count(value: float, where: str, reader: Reader) -> int | None:
    """A concurrency the file states (max_concurrency, streams, conc): the int, or None and a problem when it is
    fractional (1.5 is no number of requests in flight; rounding it would hide a wrong field)."""
    if float(value).is_integer():
        return int(value)
    reader.problem(where, f"expected a whole number of concurrent requests, got {value:g}")
    return None


def littles_law(completed: float | None, mean_latency_s: float | None, duration_s: float | None) -> float | None:
    """Mean requests in flight by Little's law, L = completed x mean latency / duration (None when any is
    missing or not positive). What a run without a fixed concurrency ran at, on average."""
    if not completed or not mean_latency_s or not duration_s or min(completed, mean_latency_s, duration_s) <= 0:
        return None
    return completed * mean_latency_s / duration_s


DERIVED_CONCURRENCY_CAP = 10_000_000  # past ProfilePoint.concurrency's bound: refused there, by the source field


def derived_concurrency(value: float) -> int:
    """A derived mean concurrency as a point's whole concurrency (at least 1). A value past any bound (1e300 requests
    x 1e300 ms gave inf, and OverflowError) becomes DERIVED_CONCURRENCY_CAP, which validation refuses by field."""
    if not math.isfinite(value) or value > DERIVED_CONCURRENCY_CAP:
        return DERIVED_CONCURRENCY_CAP
    return max(1, round(value))


def set_concurrency(
    rec: Mapping[str, Any], key: str, where: str, raw: RawPoint, reader: Reader
) -> tuple[bool, int | None]:
    """(present, value) of the concurrency a run was set to (`max_concurrency`); a value that is not a
    number gives (True, None) and a problem."""
    raw.sources["concurrency"] = sub(where, key)
    value = reader.num(rec, key, where)
    if value is not None:
        return True, stated_count(value, sub(where, key), reader)
    return rec.get(key) is not None, None


def littles_law_concurrency(
    rec: Mapping[str, Any], latency_ms_key: str, where: str, raw: RawPoint, reader: Reader, read: set[str]
) -> int | None:
    """A run record's concurrency by Little's law from its `completed`, mean latency (ms) and `duration`
    (s), with a note saying so; None when any of them is missing; 0, with a problem naming the fields, when they give
    an impossible concurrency (1e300 x 1e300 ms)."""
    completed = reader.num(rec, "completed", where)
    mean_ms = reader.num(rec, latency_ms_key, where)
    duration = reader.num(rec, "duration", where)
    little = littles_law(completed, mean_ms / 1e3 if mean_ms else None, duration)
    if little is None:
        return None
    if not math.isfinite(little) or little > DERIVED_CONCURRENCY_CAP:
        reader.problem(
            sub(where, "completed"),
            f"completed {completed:g} x {latency_ms_key} {mean_ms:g} ms / duration {duration:g} s gives"
            f" {little:.3g} requests in flight (Little's law): not a run any engine served; check these fields",
        )
        return 0
    read.update({latency_ms_key, "duration"})
    raw.sources["concurrency"] = sub(where, "completed")
    value = derived_concurrency(little)
    raw.note(
        f"{where or 'the run'}: concurrency {value} derived by Little's law (no --max-concurrency):"
        f" completed {completed or 0:g} x mean {latency_ms_key} {(mean_ms or 0) / 1e3:.4g} s"
        f" / duration {duration or 0:.4g} s = {little:.4g}"
    )
    return value


def image_tag(image: str | None) -> str:
    """The version part of a container image: 'vllm/vllm-openai-rocm:v0.21.0' -> 'v0.21.0' (no digest)."""
    if not image:
        return ""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else ""


# ---------------------------------------------------------------------------------------------
# CSV headers


def first_line(text: str) -> str:
    """The text up to its first line break (CR, LF or CRLF), found at C speed without copying the rest."""
    lf = text.find("\n")
    cr = text.find("\r", 0, lf if lf >= 0 else len(text))
    ends = [i for i in (lf, cr) if i >= 0]
    return text[: min(ends)] if ends else text


def header_cells(text: str, delimiter: str) -> list[str] | None:
    """The cells of the first line, split as pandas' C reader splits lines; None if it is not CSV."""
    first = first_line(text.lstrip("\ufeff"))
    try:
        return next(csv.reader(io.StringIO(first), delimiter=delimiter), [])
    except csv.Error:
        return None


# ---------------------------------------------------------------------------------------------
# JSON: one document, or a stream of them (JSON lines, or objects written one after another)


def json_constant(name: str) -> float:
    """parse_constant for foreign JSON: SGLang and vLLM write Infinity (an unlimited request rate), and
    a NaN is better refused where it is read, with its field, than as an unreadable file."""
    return {"Infinity": math.inf, "-Infinity": -math.inf}.get(name, math.nan)


_BETWEEN_VALUES = re.compile(r"[ \t\r\n,]*")


def json_stream(text: str, reader: Reader, limit: int = MAX_RECORDS + 1) -> list[tuple[str, Any]]:
    """Every JSON value in `text`, each with 'line N' where it starts; bad stretches become problems.

    Line numbers are counted incrementally, so a file of many records is read in linear time; reading stops after
    MAX_PROBLEMS_PER_KIND invalid stretches (json's error message counts lines from the start each time), and
    after `limit` values (one more than a file may hold, so that the caller can say so without reading them all)."""
    decoder = json.JSONDecoder(parse_constant=json_constant, **JSON_HOOKS)
    out: list[tuple[str, Any]] = []
    pos, end = 0, len(text)
    counted_to, line, bad = 0, 1, 0
    while pos < end and len(out) < limit:
        pos = _BETWEEN_VALUES.match(text, pos).end()  # type: ignore[union-attr]  # (matches the empty string)
        if pos >= end:
            break
        line += text.count("\n", counted_to, pos)
        counted_to = pos
        try:
            value, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as e:
            bad += 1
            if bad > MAX_PROBLEMS_PER_KIND:  # each error's line number costs a scan from the start: stop here
                reader.problem(f"line {e.lineno}", f"over {MAX_PROBLEMS_PER_KIND} invalid stretches: not read further")
                break
            reader.problem(f"line {e.lineno}", f"invalid JSON: {e.msg} (column {e.colno})")
            nxt = text.find("\n", max(pos, e.pos if e.lineno == line else pos))
            pos = end if nxt < 0 else nxt + 1
            continue
        except (ValueError, RecursionError) as e:
            reader.problem(f"line {line}", f"invalid JSON: {e}" if isinstance(e, ValueError) else "nested too deeply")
            nxt = text.find("\n", pos)
            pos = end if nxt < 0 else nxt + 1
            continue
        out.append((f"line {line}", value))
    return out
