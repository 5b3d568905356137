"""Shared machinery of the importers: the result types, lenient readers for numbers and ids, and the
one function that turns a format's points into validated Profiles (overrides, missing fields,
grouping, duplicated points, provenance).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from pydantic import TypeAdapter, ValidationError

from calculator.loader import Problem, problems_from_validation
from calculator.schema import PRECISIONS, PROVENANCE_KINDS, Id, ModeId, Profile, ProfilePoint, slug

# ---------------------------------------------------------------------------------------------
# Public result types (re-exported by calculator.importers)


@dataclass(frozen=True)
class Overrides:
    """What a foreign format may lack, given by the user (app form or CLI flags).

    An override replaces what a foreign file says (the user knows better than a guessed model path);
    our own profile files are complete and ignore overrides.
    """

    gpu: str | None = None
    model: str | None = None
    mode: str | None = None
    precision: str | None = None
    gpus_per_replica: int | None = None
    engine: str | None = None


@dataclass
class ImportResult:
    """What one file yielded: its detected format, the good profiles, and every problem."""

    file: str
    format: str  # e.g. "profile", "csv", "sglang", "vllm", "guidellm", "aiperf", "llmperf", "inferencex", "unknown"
    profiles: list[Profile] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # fields the user must supply (gpu, model, mode, ...)

    @property
    def ok(self) -> bool:
        return bool(self.profiles) and not self.problems


# The fields every Profile needs that foreign formats often lack, in the order a form asks for them.
REQUIRED_META: tuple[str, ...] = ("gpu", "model", "mode", "precision")

SUPPLY_HINT: dict[str, str] = {
    "gpu": "give --gpu ID (e.g. h100-sxm) on the command line, or pick the GPU in the upload form",
    "model": "give --model ID (e.g. qwen3-8b, nld-8b) on the command line, or pick the model in the upload form",
    "mode": "give --mode ID (ar, diffusion, self_spec, spec_eagle3, spec_mtp, ...) or pick it in the upload form",
    "precision": f"give --precision ({', '.join(PRECISIONS)}) or pick it in the upload form",
}

MAX_PROBLEMS_PER_KIND = 20  # per field and message; the rest are summarised in one problem

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

    `point` holds ProfilePoint fields; `meta` the profile-level fields (gpu, model, mode, precision,
    engine, engine_version, tp, pp, dp, gpus_per_replica, isl, osl, lengths_measured, dataset,
    block_size, algorithm, draft_tokens); `sources` maps a field to where it sits in the file.
    """

    where: str
    point: dict[str, float | int] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)


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
    """Collects problems while reading loosely-typed foreign data."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self.reported: set[str] = set()  # where-paths already given a problem

    def problem(self, where: str, message: str) -> None:
        self.problems.append(Problem(self.file, where, message))
        self.reported.add(where)

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
                self.problem(where, f"expected a number, got {_shown(value)}")
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
        self.problem(where, f"expected a number, got {_shown(value)}")
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
        self.problem(sub(prefix, key), f"expected text, got {_shown(value)}")
        return None


def _shown(value: Any) -> str:
    text = repr(value) if not isinstance(value, dict | list) else type(value).__name__
    return text if len(text) <= 60 else text[:57] + "..."


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
    """x x factor without binary noise in the last digits (0.007857 s -> 7.857 ms, not 7.856999...)."""
    return float(f"{x * factor:.12g}")


def whole(x: float | None) -> int | None:
    """A concurrency or length given as a float, as the nearest int (None stays None)."""
    return None if x is None else round(x)


# ---------------------------------------------------------------------------------------------
# Ids: models, GPUs, modes, precisions named the way tools name them

_ID_ADAPTER: TypeAdapter[str] = TypeAdapter(Id)
_MODE_ADAPTER: TypeAdapter[str] = TypeAdapter(ModeId)

MODEL_ALIASES: dict[str, str] = {
    "nemotron-labs-diffusion-3b": "nld-3b",
    "nemotron-labs-diffusion-8b": "nld-8b",
    "nemotron-labs-diffusion-14b": "nld-14b",
    "qwen3-8b-fp8": "qwen3-8b",
}
_REPO_PATH_RE = re.compile(r"^[\w.-]+(/[\w.-]+)+/?$")

# Unambiguous GPU names as tools print them; ambiguous ones (a100: 40 or 80 GB?) are left to the user.
GPU_ALIASES: dict[str, str] = {
    "h100": "h100-sxm",
    "h100-sxm": "h100-sxm",
    "h100-sxm5": "h100-sxm",
    "h100-pcie": "h100-pcie",
    "h100-nvl": "h100-nvl",
    "h200": "h200",
    "b200": "b200",
    "gb200": "gb200",
    "b300": "b300",
    "gb300": "gb300",
    "mi300x": "mi300x",
    "mi325x": "mi325x",
    "mi355x": "mi355x",
    "l40s": "l40s",
    "l4": "l4",
    "a100-40gb": "a100-40gb",
    "a100-80gb": "a100-80gb",
}

PRECISION_ALIASES: dict[str, str] = {
    "bfloat16": "bf16",
    "float16": "fp16",
    "half": "fp16",
    "float32": "fp32",
    "float": "fp32",
    "fp8_e4m3": "fp8",
    "w8a8_fp8": "fp8",
    "modelopt_fp8": "fp8",
    "mxfp4": "fp4",
    "modelopt_fp4": "nvfp4",
    "awq": "int4_awq",
    "awq_marlin": "int4_awq",
    "w8a8_int8": "int8",
}

SPEC_MODES: dict[str, str] = {
    "": "ar",
    "none": "ar",
    "null": "ar",
    "false": "ar",
    "eagle3": "spec_eagle3",
    "eagle-3": "spec_eagle3",
    "mtp": "spec_mtp",
    "nextn": "spec_mtp",
    "linearspec": "self_spec",
    "linear_spec": "self_spec",
    "self_spec": "self_spec",
    "fastdiffuser": "diffusion",
}


def model_id(name: str) -> str:
    """Our model id for a model named by a tool: the last part of a repo path, lowercased, aliased.

    Nothing else is rewritten: a name that is not an id is rejected later with a clear message.
    """
    text = name.strip()
    if _REPO_PATH_RE.match(text.lstrip("/")):
        text = text.rstrip("/").rsplit("/", 1)[-1]
    text = text.lower()
    return MODEL_ALIASES.get(text, text)


def gpu_id(name: str) -> str | None:
    """Our gpu id for a hardware name such as InferenceX's 'h100-cw' or 'b200-nb'; None if unsure."""
    text = name.strip().lower().replace(" ", "-").replace("_", "-")
    if text in GPU_ALIASES:
        return GPU_ALIASES[text]
    head = text.split("-", 1)[0]
    return GPU_ALIASES.get(head) if head != "a100" else None


def precision_id(name: str) -> str | None:
    """Our precision id for a dtype or quantization name; None if it maps to none of ours."""
    text = name.strip().lower()
    text = PRECISION_ALIASES.get(text, text)
    return text if text in PRECISIONS else None


def mode_from_algorithm(name: str | None) -> str:
    """Our mode id for a speculative/diffusion algorithm name (None or 'none' = plain AR)."""
    text = (name or "").strip().lower()
    if text in SPEC_MODES:
        return SPEC_MODES[text]
    if text.startswith("eagle"):
        return "spec_" + re.sub(r"[^a-z0-9_]+", "_", text).strip("_")
    return "spec_" + (re.sub(r"[^a-z0-9_]+", "_", text).strip("_") or "unknown")


def normalise_override(key: str, value: str) -> str:
    """A user-given value as an id: lowercased; a model repo path keeps its last part; bfloat16 -> bf16."""
    text = value.strip()
    if key == "engine":
        return text
    if key == "model":
        return model_id(text)
    if key == "precision":
        return precision_id(text) or text.lower()
    return text.lower()


def id_problem(kind: str, value: str) -> str | None:
    """Why `value` cannot be a `kind` id (gpu, model, mode, precision), or None if it can."""
    if kind == "precision":
        if value in PRECISIONS:
            return None
        return f"precision {_shown(value)} is not one of {', '.join(PRECISIONS)}"
    adapter = _MODE_ADAPTER if kind == "mode" else _ID_ADAPTER
    try:
        adapter.validate_python(value)
    except ValidationError:
        if kind == "mode":
            return f"mode {_shown(value)} is not a mode id: lowercase letters, digits and _ (e.g. ar, self_spec)"
        return (
            f"{kind} {_shown(value)} is not an id: up to 64 lowercase letters, digits and . _ - "
            f"starting with a letter or digit (e.g. {'h100-sxm' if kind == 'gpu' else 'qwen3-8b'})"
        )
    return None


# ---------------------------------------------------------------------------------------------
# CSV headers


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def header_cells(text: str, delimiter: str) -> list[str] | None:
    """The cells of the first line, split as pandas' C reader splits lines; None if it is not CSV."""
    first = _LINE_BREAK.split(text.lstrip("\ufeff"), maxsplit=1)[0]
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


def json_stream(text: str, reader: Reader) -> list[tuple[str, Any]]:
    """Every JSON value in `text`, each with 'line N' where it starts; bad stretches become problems."""
    decoder = json.JSONDecoder(parse_constant=json_constant)
    out: list[tuple[str, Any]] = []
    pos, end = 0, len(text)
    while pos < end:
        while pos < end and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= end:
            break
        line = text.count("\n", 0, pos) + 1
        try:
            value, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as e:
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


# ---------------------------------------------------------------------------------------------
# Assembly: raw points -> validated Profiles

_POINT_FIELDS: tuple[str, ...] = tuple(ProfilePoint.model_fields)
_REQUIRED_POINT_FIELDS = frozenset(n for n, f in ProfilePoint.model_fields.items() if f.is_required())
_GROUP_FIELDS: tuple[str, ...] = (
    "gpu",
    "model",
    "mode",
    "precision",
    "engine",
    "engine_version",
    "gpus_per_replica",
    "tp",
    "pp",
    "dp",
    "dataset",
    "category",
    "block_size",
    "threshold",
    "algorithm",
    "draft_tokens",
    "lora",
    "label",
)


def bucket(x: float | None) -> float | None:
    """A measured mean length rounded to 2 significant digits, so run-to-run noise keeps one profile."""
    if x is None or x <= 0:
        return None
    return float(f"{x:.2g}")


# provenance_kind value that keeps what our own profile files declare (foreign formats get "uploaded").
DECLARED = "declared"


def check_provenance_kind(ctx: Context) -> Problem | None:
    if ctx.provenance_kind in PROVENANCE_KINDS or ctx.provenance_kind == DECLARED:
        return None
    return Problem(
        ctx.file, "provenance", f"unknown provenance kind {ctx.provenance_kind!r}; one of {PROVENANCE_KINDS}"
    )


def apply_overrides(meta: dict[str, Any], ov: Overrides) -> None:
    """Overrides replace what a foreign file says; a GPU count that no longer matches tp x pp x dp resets them."""
    for key in ("gpu", "model", "mode", "precision", "engine"):
        value = getattr(ov, key)
        if value is not None and str(value).strip():
            meta[key] = normalise_override(key, str(value))
    if ov.gpus_per_replica is not None:
        meta["gpus_per_replica"] = ov.gpus_per_replica
    gpus = meta.get("gpus_per_replica")
    tp, pp, dp = (int(meta.get(k) or 1) for k in ("tp", "pp", "dp"))
    if gpus is None:
        meta["gpus_per_replica"] = tp * pp * dp
    elif tp * pp * dp != gpus:
        meta["tp"], meta["pp"], meta["dp"] = gpus, 1, 1
    for k in ("tp", "pp", "dp"):
        meta.setdefault(k, 1)


def missing_problems(ctx: Context, missing: list[str]) -> list[Problem]:
    return [
        Problem(ctx.file, name, f"not in this {ctx.fmt} file: {SUPPLY_HINT.get(name, 'supply it')}") for name in missing
    ]


def validate_point(raw: RawPoint, reader: Reader) -> ProfilePoint | None:
    """The raw point as a ProfilePoint. Bad optional fields are dropped (each a problem); a bad
    concurrency or throughput, or inconsistent values, drop the point."""
    data = {k: v for k, v in raw.point.items() if v is not None}
    for _ in range(len(data) + 1):
        try:
            return ProfilePoint.model_validate(data)
        except ValidationError as err:
            bad_optional: list[str] = []
            fatal = False
            for e in err.errors(include_url=False):
                name = str(e["loc"][0]) if e["loc"] else ""
                where = raw.sources.get(name, sub(raw.where, name) if name else raw.where)
                msg = str(e["msg"]).removeprefix("Value error, ")
                if e["type"] != "missing" and name and "input" in e:
                    msg = f"{msg} (got {_shown(e['input'])})"
                if e["type"] == "missing":
                    msg = f"missing {name}; the point needs it"
                if not (e["type"] == "missing" and where in reader.reported):  # e.g. already "NaN is not a number"
                    reader.problem(where, msg)
                if not name or name in _REQUIRED_POINT_FIELDS:
                    fatal = True
                else:
                    bad_optional.append(name)
            if fatal or not bad_optional:
                return None
            for name in bad_optional:
                data.pop(name, None)
    return None


def profile_id(ctx: Context, meta: Mapping[str, Any], key: tuple[Any, ...]) -> str:
    """A readable, unique, valid id: file stem, model, mode, gpu, and a hash of file bytes and group."""
    digest = hashlib.sha256(repr((ctx.file, ctx.digest, key)).encode()).hexdigest()[:8]
    stem = slug(PurePath(ctx.name).stem)
    parts = [stem[:20], str(meta.get("model", ""))[:16], str(meta.get("mode", ""))[:12], str(meta.get("gpu", ""))[:12]]
    head = "-".join(slug(p) for p in parts if p).strip("-._")[: 64 - 9]
    head = re.sub(r"^[^a-z0-9]+", "", head)
    return f"{head}-{digest}" if head else f"u-{digest}"


def make_profile(
    ctx: Context,
    meta: Mapping[str, Any],
    key: tuple[Any, ...],
    points: list[ProfilePoint],
    notes: Iterable[str],
    reader: Reader,
) -> Profile | None:
    """Validate a profile's header once, then attach already-validated points without re-validating."""
    mode_params = {
        k: meta[k] for k in ("block_size", "threshold", "algorithm", "draft_tokens", "lora") if meta.get(k) is not None
    }
    workload = {k: meta[k] for k in ("isl", "osl", "dataset", "category") if meta.get(k) not in (None, "")}
    note_text = "; ".join(dict.fromkeys(n for n in notes if n))
    if len(note_text) > 2000:
        note_text = note_text[:1997] + "..."
    pid = profile_id(ctx, meta, key)
    header = {
        "id": pid,
        "gpu": meta.get("gpu"),
        "gpus_per_replica": meta.get("gpus_per_replica", 1),
        "tp": meta.get("tp", 1),
        "pp": meta.get("pp", 1),
        "dp": meta.get("dp", 1),
        "engine": meta.get("engine") or "unknown",
        "engine_version": meta.get("engine_version") or "",
        "model": meta.get("model"),
        "precision": meta.get("precision"),
        "mode": meta.get("mode"),
        "mode_params": mode_params,
        "workload": workload,
        "provenance": {
            "kind": ctx.provenance_kind,
            "source": f"{ctx.fmt} result file {ctx.name}"[:2000],
            "date": ctx.today,
            "notes": note_text,
        },
        "points": [{"concurrency": 1, "output_tok_s": 1.0}],  # stand-in; real points are validated already
    }
    try:
        checked = Profile.model_validate(header)
    except ValidationError as err:
        reader.problems.extend(problems_from_validation(err, ctx.file, f"profile {pid}"))
        return None
    points = sorted(points, key=lambda p: p.concurrency)
    return checked.model_copy(update={"points": points})


def assemble(ctx: Context, raws: list[RawPoint], reader: Reader, notes: Iterable[str] = ()) -> ImportResult:
    """Overrides, missing fields, point validation, grouping into profiles, duplicated points."""
    result = ImportResult(ctx.file, ctx.fmt)
    file_notes = list(notes)
    for raw in raws:
        apply_overrides(raw.meta, ctx.overrides)

    missing = [name for name in REQUIRED_META if any(not raw.meta.get(name) for raw in raws)]
    # Check every distinct id once; a bad one drops its points with one problem.
    bad_values: set[tuple[str, str]] = set()
    for name in REQUIRED_META:
        if name in missing:
            continue
        seen: set[str] = set()
        for raw in raws:
            value = str(raw.meta[name])
            if value in seen:
                continue
            seen.add(value)
            why = id_problem(name, value)
            if why is not None:
                bad_values.add((name, value))
                from_override = getattr(ctx.overrides, name) is not None
                reader.problem(name if from_override else raw.sources.get(name, sub(raw.where, name)), why)

    good: list[tuple[RawPoint, ProfilePoint]] = []
    for raw in raws:
        point = validate_point(raw, reader)
        if point is not None:
            good.append((raw, point))

    if not raws and not reader.problems:
        reader.problem("file", f"no benchmark results found in this {ctx.fmt} file")
    if missing:
        result.missing = missing
        reader.problems.extend(missing_problems(ctx, missing))
        result.problems = reader.problems
        return result

    groups: dict[tuple[Any, ...], list[tuple[RawPoint, ProfilePoint]]] = {}
    for raw, point in good:
        if any((name, str(raw.meta[name])) in bad_values for name in REQUIRED_META):
            continue
        key = tuple(raw.meta.get(k) for k in _GROUP_FIELDS) + _length_key(raw.meta)
        groups.setdefault(key, []).append((raw, point))

    for key, members in groups.items():
        meta = dict(members[0][0].meta)
        for length in ("isl", "osl"):
            values = [v for m in members if isinstance(v := m[0].meta.get(length), int | float) and v > 0]
            meta[length] = max(1, round(sum(values) / len(values))) if values else None
        first_at: dict[int, str] = {}
        points: list[ProfilePoint] = []
        for raw, point in members:
            if point.concurrency in first_at:
                reader.problem(
                    raw.sources.get("concurrency", raw.where),
                    f"duplicated point: concurrency {point.concurrency} already read at {first_at[point.concurrency]}"
                    " (kept the first)",
                )
                continue
            first_at[point.concurrency] = raw.where
            points.append(point)
        point_notes = [n for m in members for n in m[0].meta.get("notes", ())]
        profile = make_profile(ctx, meta, key, points, [*file_notes, *point_notes], reader)
        if profile is not None:
            result.profiles.append(profile)
    result.problems = reader.problems
    return result


def _length_key(meta: Mapping[str, Any]) -> tuple[Any, ...]:
    isl, osl = meta.get("isl"), meta.get("osl")
    if meta.get("lengths_measured"):
        return (bucket(isl), bucket(osl))
    return (isl, osl)


def note_once(notes: list[str]) -> Callable[[str], None]:
    """A function that appends a note unless it is already there."""

    def add(text: str) -> None:
        if text not in notes:
            notes.append(text)

    return add
