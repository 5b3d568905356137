"""Our own profile format (YAML or JSON): one Profile, or a ProfileSet of several.

Validated strictly (`extra="forbid"`); each profile of a set stands or falls alone, so one bad
profile does not hide the good ones. The file's own provenance is kept (a user may load a vendor file).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from calculator.importers._common import Context, ImportResult
from calculator.loader import Problem, problems_from_validation
from calculator.schema import Profile, ProfileSet


def import_profile(doc: Any, ctx: Context) -> ImportResult:
    """Profiles from a parsed profile document; overrides do not apply (the file is complete)."""
    result = ImportResult(ctx.file, "profile")
    if not isinstance(doc, Mapping):
        result.problems.append(Problem(ctx.file, "file", "expected a profile (a mapping with id, gpu, ..., points)"))
        return result
    if "profiles" not in doc:
        try:
            result.profiles.append(Profile.model_validate(doc))
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
        result.profiles.append(profile)
    return result


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
