"""Our own profile format (YAML or JSON): one Profile, or a ProfileSet of several.

Validated strictly (`extra="forbid"`); each profile of a set stands or falls alone, so one bad
profile does not hide the good ones. A profile states everything, so values the user gives fill in
nothing here; one that contradicts the file is reported as a warning, never applied. A file's declared
provenance cannot be checked, so it becomes the import's kind (`uploaded` by default) with the declared
kind kept in the notes; `provenance_kind="declared"` keeps it as written (for files the operator vouches for).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from calculator.data.errors import Problem
from calculator.data.importers._assemble import DECLARED, FILLABLE, given_value, not_applied
from calculator.data.importers._common import MAX_TABLE_ROWS, Context, ImportResult
from calculator.data.loader import problems_from_validation
from calculator.data.schema import Profile, ProfileSet


def import_profile(doc: Any, ctx: Context) -> ImportResult:
    """Profiles from a parsed profile document; given values fill in nothing (the file is complete)."""
    result = ImportResult(ctx.file, "profile")
    result.warnings = _not_applied(doc, ctx)
    if not isinstance(doc, Mapping):
        result.problems.append(Problem(ctx.file, "file", "expected a profile (a mapping with id, gpu, ..., points)"))
        return result
    n_points = _count_points(doc)
    if n_points > MAX_TABLE_ROWS:  # before validation: a million point models would take a GB
        message = f"{n_points:,} points: at most {MAX_TABLE_ROWS:,} are read from one file (split it)"
        result.problems.append(Problem(ctx.file, "file", message))
        return result
    if "profiles" not in doc:
        try:
            result.profiles.append(_relabel(Profile.model_validate(doc), ctx))
        except ValidationError as err:
            result.problems.extend(problems_from_validation(err, ctx.file))
        return result

    profiles = doc.get("profiles")
    # Validate the set's own fields with a stand-in list, then each profile on its own.
    shell = {k: v for k, v in doc.items() if k != "profiles"}
    try:
        ProfileSet.model_validate({**shell, "profiles": [_STAND_IN]})
    except ValidationError as err:
        result.problems.extend(problems_from_validation(err, ctx.file))
    if not isinstance(profiles, list) or not profiles:
        result.problems.append(Problem(ctx.file, "profiles", "expected a non-empty list of profiles"))
        return result
    seen: dict[str, int] = {}
    for i, item in enumerate(profiles):
        try:
            profile = Profile.model_validate(item)
        except ValidationError as err:
            result.problems.extend(problems_from_validation(err, ctx.file, f"profiles[{i}]"))
            continue
        if profile.id in seen:
            result.problems.append(
                Problem(
                    ctx.file,
                    f"profiles[{i}].id",
                    f"duplicate id {profile.id!r} (first at profiles[{seen[profile.id]}])",
                )
            )
            continue
        seen[profile.id] = i
        result.profiles.append(_relabel(profile, ctx))
    return result


def _count_points(doc: Mapping[str, Any]) -> int:
    """The points a profile document lists, counted without validating them."""
    items = doc.get("profiles") if "profiles" in doc else [doc]
    if not isinstance(items, list):
        return 0
    return sum(len(p["points"]) for p in items if isinstance(p, Mapping) and isinstance(p.get("points"), list))


def _not_applied(doc: Any, ctx: Context) -> list[Problem]:
    """A warning for each given value that a profile of the file states otherwise (once per field and value)."""
    in_set = isinstance(doc, Mapping) and "profiles" in doc
    items = doc.get("profiles") if in_set else [doc]
    given: dict[str, object] = {key: given_value(ctx.overrides, key) for key in FILLABLE}
    given["gpus_per_replica"] = ctx.overrides.gpus_per_replica
    warnings: dict[tuple[str, str], Problem] = {}
    for i, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, Mapping):
            continue
        for key, value in given.items():
            stated = item.get(key)
            if value is not None and stated is not None and str(stated).strip().lower() != str(value).lower():
                at = f"profiles[{i}].{key}" if in_set else key
                warnings.setdefault((key, str(stated)), Problem(ctx.file, at, not_applied(key, stated, value)))
    return list(warnings.values())


def _relabel(profile: Profile, ctx: Context) -> Profile:
    """The import's provenance kind (uploaded), unless the caller keeps what the file declares. Only the
    provenance kind is relabelled; the profile's gpu, model, mode and precision are the file's."""
    declared = profile.provenance
    if ctx.provenance_kind == DECLARED or declared.kind == ctx.provenance_kind:
        return profile
    notes = f"declared in the file as {declared.kind}" + (f"; {declared.notes}" if declared.notes else "")
    provenance = declared.model_copy(update={"kind": ctx.provenance_kind, "notes": notes[:2000]})
    return profile.model_copy(update={"provenance": provenance})


_STAND_IN: dict[str, Any] = {
    "id": "stand-in",
    "gpu": "x",
    "engine": "x",
    "model": "x",
    "precision": "bf16",
    "mode": "ar",
    "provenance": {"kind": "estimated", "source": "x", "date": "2026"},
    "points": [{"concurrency": 1, "output_tok_s": 1.0}],
}
