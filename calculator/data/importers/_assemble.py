"""From a format's raw points to validated Profiles: what the user gave fills in what the file does not
say (never relabels it), assumptions are noted and warned about, points are validated and grouped into
profiles, and repeated runs of one setting become one point (their median, the spread in the notes).
"""

from __future__ import annotations

import hashlib
import re
import statistics
from collections.abc import Iterable, Mapping
from pathlib import PurePath
from typing import Any

from pydantic import ValidationError

from calculator.data.errors import Problem
from calculator.data.importers._common import (
    ASSUMED_PRECISION,
    REQUIRED_META,
    SUPPLY_HINT,
    Context,
    ImportResult,
    Overrides,
    RawPoint,
    Reader,
    sub,
)
from calculator.data.importers._ids import id_problem, normalise_override, precision_from_name, shown
from calculator.data.loader import problems_from_validation
from calculator.data.schema import PROVENANCE_KINDS, Profile, ProfilePoint, slug

_REQUIRED_POINT_FIELDS = frozenset(n for n, f in ProfilePoint.model_fields.items() if f.is_required())
_INT_POINT_FIELDS = frozenset({"concurrency", "requests_completed", "requests_failed"})
# The fields a user may give for a whole file (Overrides), in the order a form asks for them.
FILLABLE: tuple[str, ...] = ("gpu", "model", "mode", "precision", "engine")
# Fields a profile cannot do without and no default can stand in for: they end up in ImportResult.missing.
ASKED: tuple[str, ...] = ("gpu", "model", "mode")
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
MAX_MERGE_WHERES = 6  # places named in a "runs merged" note


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


def given_value(ov: Overrides, key: str) -> str | None:
    """The user's value for `key`, read like a file's (Qwen/Qwen3-8B -> qwen3-8b), or None if not given."""
    value = getattr(ov, key)
    if value is None or not str(value).strip():
        return None
    return normalise_override(key, str(value))


def not_applied(key: str, stated: Any, given: Any) -> str:
    """The warning for a given value the file contradicts (the file's value is kept)."""
    return (
        f"the file says {key} {shown(stated)}; the given {shown(given)} was not applied "
        "(a value you give only fills in what a file does not say)"
    )


def resolve_meta(raw: RawPoint, ctx: Context, reader: Reader) -> None:
    """The profile fields of one point: the file's own, else the user's, else a noted assumption."""
    meta, ov = raw.meta, ctx.overrides
    name = meta.get("model_name")
    if not meta.get("precision") and isinstance(name, str):
        from_name = precision_from_name(name)
        if from_name:
            meta["precision"] = from_name
            raw.sources["precision"] = raw.sources.get("model", "model")
            raw.note(f"precision {from_name} read from the model name {name!r}")
    for key in FILLABLE:
        given, stated = given_value(ov, key), meta.get(key)
        if stated not in (None, ""):
            if given is not None and given != str(stated):
                reader.warn_once(raw.sources.get(key, sub(raw.where, key)), not_applied(key, stated, given))
            continue
        if given is not None:
            meta[key] = given
            raw.sources[key] = key
            raw.note(f"{key} {given} given at import (not in the file)")
        elif key in raw.assumed:
            value, why = raw.assumed[key]
            meta[key] = value
            raw.note(f"{key} {value} assumed: {why}")
    if not meta.get("precision"):
        from_given_model = precision_from_name(str(ov.model)) if ov.model else None
        meta["precision"] = from_given_model or ASSUMED_PRECISION
        if from_given_model:
            raw.note(f"precision {from_given_model} read from the given model name {ov.model!r}")
        else:
            raw.note(f"precision {ASSUMED_PRECISION} assumed: not in the file")
            reader.warn(
                "precision", f"not in this {ctx.fmt} file: assumed {ASSUMED_PRECISION}; {SUPPLY_HINT['precision']}"
            )
    _resolve_gpus(raw, ctx, reader)


def _resolve_gpus(raw: RawPoint, ctx: Context, reader: Reader) -> None:
    meta, given = raw.meta, ctx.overrides.gpus_per_replica
    stated = meta.get("gpus_per_replica")
    if stated is not None:
        if given is not None and given != stated:
            where = raw.sources.get("gpus_per_replica", sub(raw.where, "gpus_per_replica"))
            reader.warn_once(where, not_applied("gpus_per_replica", stated, given))
        tp, pp, dp = (int(meta.get(k) or 1) for k in ("tp", "pp", "dp"))
        if tp * pp * dp != stated:
            meta.update(tp=stated, pp=1, dp=1)
    elif given is not None:
        meta.update(gpus_per_replica=given, tp=given, pp=1, dp=1)
        raw.note(f"gpus_per_replica {given} given at import (not in the file)")
    elif "gpus_per_replica" in raw.assumed:
        value, why = raw.assumed["gpus_per_replica"]
        meta.update(gpus_per_replica=value, tp=value, pp=1, dp=1)
        raw.note(f"gpus_per_replica {value} assumed: {why}")
        reader.warn("gpus_per_replica", f"assumed {value}: {why}; {SUPPLY_HINT['gpus_per_replica']}")
    else:
        meta.update(gpus_per_replica=1, tp=1, pp=1, dp=1)
        raw.note("gpus_per_replica 1 assumed: not in the file")
        reader.warn("gpus_per_replica", f"not in this {ctx.fmt} file: assumed 1; {SUPPLY_HINT['gpus_per_replica']}")
    for k in ("tp", "pp", "dp"):
        meta.setdefault(k, 1)


def missing_problems(ctx: Context, missing: list[str]) -> list[Problem]:
    return [
        Problem(ctx.file, name, f"not in this {ctx.fmt} file: {SUPPLY_HINT.get(name, 'supply it')}") for name in missing
    ]


def point_where(raw: RawPoint, data: Mapping[str, Any], msg: str) -> str:
    """Where a problem of the whole point lies (a check across fields, e.g. p99 below p50): the file's own names of
    the fields the message names, else the point's place, else "the file's one record" (a one-run file)."""
    named = [raw.sources.get(k, sub(raw.where, k)) for k in data if re.search(rf"\b{re.escape(k)}\b", msg)]
    return " and ".join(dict.fromkeys(named)) or raw.where or "the file's one record"


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
                msg = str(e["msg"]).removeprefix("Value error, ")
                where = raw.sources.get(name, sub(raw.where, name)) if name else point_where(raw, data, msg)
                if e["type"] != "missing" and name and "input" in e:
                    msg = f"{msg} (got {shown(e['input'])})"
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
    # The measurement's date is the file's own where it states one; the upload date is said beside it, never in its
    # place.
    when = (
        f"measured {meta['file_date']} (the file's date), uploaded {ctx.today}"
        if meta.get("file_date")
        else f"dated {ctx.today}: the upload date (the file states none)"
    )
    note_text = "; ".join(dict.fromkeys(n for n in [*notes, when] if n))
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
            "date": meta.get("file_date") or ctx.today,
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


def median_point(points: list[ProfilePoint]) -> ProfilePoint | None:
    """One point from repeated runs: the median of each figure the runs report (None if that is not valid)."""
    fields = dict.fromkeys(name for p in points for name in p.model_fields_set)
    data: dict[str, float | int] = {}
    for name in fields:
        values = [v for p in points if (v := getattr(p, name)) is not None]
        if values:
            middle = statistics.median(values)
            data[name] = round(middle) if name in _INT_POINT_FIELDS else float(middle)
    try:
        return ProfilePoint.model_validate(data)
    except ValidationError:
        return None


def merge_repeats(members: list[tuple[RawPoint, ProfilePoint]], reader: Reader) -> tuple[list[ProfilePoint], list[str]]:
    """A profile's points, one per concurrency: runs repeated at one concurrency (the same settings: they
    are in one profile) become their median, with the spread noted and warned about."""
    by_concurrency: dict[int, list[tuple[RawPoint, ProfilePoint]]] = {}
    for raw, point in members:
        by_concurrency.setdefault(point.concurrency, []).append((raw, point))
    points: list[ProfilePoint] = []
    notes: list[str] = []
    for concurrency, runs in by_concurrency.items():
        if len(runs) == 1:
            points.append(runs[0][1])
            continue
        outputs = [p.output_tok_s for _, p in runs]
        wheres = ", ".join(r.where for r, _ in runs[:MAX_MERGE_WHERES]) + (
            " ..." if len(runs) > MAX_MERGE_WHERES else ""
        )
        spread = f"output_tok_s {min(outputs):.6g} to {max(outputs):.6g}"
        merged = median_point([p for _, p in runs])
        where = runs[1][0].sources.get("concurrency", runs[1][0].where)
        if merged is None:
            points.append(runs[0][1])
            reader.warn(
                where,
                f"{len(runs)} runs at concurrency {concurrency} ({wheres}); their median is not a "
                f"consistent point, so the first is kept ({spread})",
            )
            notes.append(f"concurrency {concurrency}: {len(runs)} runs, the first kept ({spread})")
            continue
        points.append(merged)
        notes.append(f"concurrency {concurrency}: {len(runs)} repeated runs ({wheres}) merged as the median; {spread}")
        reader.warn(
            where,
            f"{len(runs)} runs at concurrency {concurrency} with the same settings ({wheres}) merged into one point, "
            f"the median of each figure; {spread}",
        )
    return points, notes


def assemble(ctx: Context, raws: list[RawPoint], reader: Reader, notes: Iterable[str] = ()) -> ImportResult:
    """Fill-in values, missing fields, point validation, grouping into profiles, repeated runs."""
    result = ImportResult(ctx.file, ctx.fmt)
    file_notes = list(notes)
    for raw in raws:
        resolve_meta(raw, ctx, reader)

    missing = [name for name in ASKED if any(not raw.meta.get(name) for raw in raws)]
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
                reader.problem(raw.sources.get(name, sub(raw.where, name)), why)

    good: list[tuple[RawPoint, ProfilePoint]] = []
    for raw in raws:
        point = validate_point(raw, reader)
        if point is not None:
            good.append((raw, point))
            if point.accept_length is not None and raw.meta.get("mode") == "ar":
                reader.warn(
                    raw.sources.get("accept_length", raw.where),
                    "the run reports a speculative acceptance length but its mode is ar",
                )

    if not raws and not reader.problems:
        reader.problem("file", f"no benchmark results found in this {ctx.fmt} file")
    if missing:
        result.missing = missing
        reader.problems.extend(missing_problems(ctx, missing))
        return _finish(result, reader)

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
        points, merge_notes = merge_repeats(members, reader)
        point_notes = [n for m in members for n in m[0].meta.get("notes", ())]
        profile = make_profile(ctx, meta, key, points, [*file_notes, *point_notes, *merge_notes], reader)
        if profile is not None:
            result.profiles.append(profile)
    return _finish(result, reader)


def _finish(result: ImportResult, reader: Reader) -> ImportResult:
    result.problems = reader.problems
    result.warnings = reader.warnings
    result.ignored = reader.ignored_names()
    return result


def _length_key(meta: Mapping[str, Any]) -> tuple[Any, ...]:
    """What splits profiles by workload length: the configured lengths where the file states them (a
    random dataset's settings), a named dataset or category as such (its measured mean lengths vary with
    the requests sampled), else the measured means rounded (run-to-run noise keeps one profile)."""
    if meta.get("length_key") is not None:
        return ("configured", meta["length_key"])
    isl, osl = meta.get("isl"), meta.get("osl")
    if meta.get("lengths_measured"):
        if meta.get("dataset") or meta.get("category"):
            return ("named",)
        return (bucket(isl), bucket(osl))
    return (isl, osl)
