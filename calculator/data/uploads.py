"""A user's uploaded files as the app holds them: one Upload per file (its points, provenance `uploaded`), the
import problems of a file as a table in row order, and the summary of what a session holds. Nothing here touches
disk; the app keeps Uploads in its session state.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from calculator.data.catalog import gpu_label, normalise_points, profiles_to_points
from calculator.data.errors import Problem
from calculator.data.importers import ImportResult, Overrides, import_bytes, suffix_problem
from calculator.data.schema import Profile
from calculator.data.vocabulary import mode_label, model_label


@dataclass
class Upload:
    """One file's points added to a session (provenance `uploaded`); never written to disk."""

    uid: str
    file: str
    fmt: str
    n_profiles: int
    points: pd.DataFrame
    content: str = ""  # digest() of the file's bytes: the same bytes are held once, whatever was chosen for them
    uploaded_on: str = ""  # the upload's date (YYYY-MM-DD); the measurement's own date is each point's as_of


def digest(data: bytes) -> str:
    """A short content digest of an upload's bytes."""
    return hashlib.sha256(data).hexdigest()[:16]


def make_upload(uid: str, name: str, fmt: str, profiles: Sequence[Profile], content: str = "") -> Upload | None:
    """An Upload of a file's good profiles (None when they hold no point); `content` is the bytes' digest()."""
    pts = profiles_to_points(profiles, [name] * len(profiles))
    if pts.empty:
        return None
    from datetime import date

    return Upload(
        uid=uid, file=name, fmt=fmt, n_profiles=len(profiles), points=pts, content=content,
        uploaded_on=date.today().isoformat(),
    )  # fmt: skip


def uploaded_points(uploads: Iterable[Upload]) -> pd.DataFrame:
    """Every upload's points in one canonical frame."""
    frames = [u.points for u in uploads]
    if not frames:
        return normalise_points(pd.DataFrame())
    return normalise_points(pd.concat(frames, ignore_index=True))


_CLI_HINT = re.compile(r"give --[a-z-]+ [^;]*? (?:on the command line, )?or (?=pick|set)")
_DOCS_HINT = re.compile(r";? ?\(?see docs/formats\.md(?: for what we read)?\)?")


def app_wording(message: str) -> str:
    """A message the importers word for both the CLI and the app, as the app says it (no --flags, no docs/ paths):
    "give --gpu ID ... on the command line, or pick the GPU in the upload form" -> "pick the GPU in the upload
    form"."""
    return _DOCS_HINT.sub("", _CLI_HINT.sub("", message)).strip()


def problems_frame(problems: Sequence[Problem | Any]) -> pd.DataFrame:
    """Each problem once (file, where, message in the app's words), sorted by row number (row 3 before row 4
    before row 10), then by where; problems without a row (file-level) first. Column `row` holds the row number."""
    df = pd.DataFrame(
        [{"file": p.file, "where": p.where, "problem": app_wording(p.message)} for p in problems],
        columns=["file", "where", "problem"],
    ).drop_duplicates()
    df["row"] = pd.to_numeric(df["where"].str.extract(r"(?i)\brow\s+(\d+)", expand=False), errors="coerce")
    return df.sort_values(["row", "where", "problem"], na_position="first", kind="stable").reset_index(drop=True)


def _span(points: pd.DataFrame, column: str, fmt: str) -> str:
    """The range of a measured column over an upload's points ("" where none has it)."""
    if column not in points:
        return ""
    values = pd.to_numeric(points[column], errors="coerce").dropna()
    if values.empty:
        return ""
    lo, hi = format(values.min(), fmt), format(values.max(), fmt)
    return lo if lo == hi else f"{lo}–{hi}"


def span_text(lo: object, hi: object) -> str:
    """A range as "lo–hi", or the one value where both ends are equal ("2", never "2–2")."""
    return f"{lo}" if lo == hi else f"{lo}–{hi}"


def uploads_summary(uploads: Iterable[Upload]) -> pd.DataFrame:
    """One row per upload: file, format, profiles, points, GPUs, models, modes, concurrency range, the measurement
    date(s) (the file's own where it states one, else the upload date), the upload date, the ranges of the measured
    extras where the file has them (J per output token, SLO attainment, goodput req/s, prefix-cache hit rate; "" where
    not), uid."""
    return pd.DataFrame(
        [
            {
                "file": u.file,
                "format": u.fmt,
                "profiles": u.n_profiles,
                "points": len(u.points),
                "gpus": ", ".join(sorted({gpu_label(str(g)) for g in u.points["gpu"]})),
                "models": ", ".join(sorted({model_label(str(m)) for m in u.points["model"]})),
                "modes": ", ".join(sorted({mode_label(str(m)) for m in u.points["mode"]})),
                "concurrency": span_text(u.points["concurrency"].min(), u.points["concurrency"].max()),
                "J/output token": _span(u.points, "joules_per_output_token", ".3g"),
                "SLO attainment": _span(u.points, "slo_attainment", ".2f"),
                "goodput req/s": _span(u.points, "goodput_req_s", ".3g"),
                "prefix hit rate": _span(u.points, "prefix_hit_rate", ".2f"),
                "measured": ", ".join(sorted({str(d) for d in u.points["as_of"].dropna()})) if "as_of" in u.points
                else "",
                "uploaded": u.uploaded_on,
                "uid": u.uid,
            }
            for u in uploads
        ]
    )


# ---------------------------------------------------------------------------------------------
# One file's import as the upload form sees it


@dataclass
class PendingImport:
    """One uploaded file's import: its bytes, what the user supplied (Overrides) and which of the file's GPU ids
    they mapped to a catalog GPU, and the result (or the error when even reading failed)."""

    file: str
    data: bytes
    overrides: Overrides
    gpu_map: dict[str, str]
    result: ImportResult | None
    error: str | None = None

    def profiles(self) -> list[Profile]:
        """The good profiles, with the user's GPU mapping applied (and said in each profile's notes)."""
        if self.result is None:
            return []
        return map_gpus(self.result.profiles, self.gpu_map)


def run_import(name: str, data: bytes, overrides: Overrides, gpu_map: Mapping[str, str] | None = None) -> PendingImport:
    """Import one file's bytes; a failure is recorded against that file only. A name without a suffix we read
    (notes.txt) is not read at all, whatever its content, as on the command line."""
    not_read = suffix_problem(name)
    if not_read is not None:
        refused = ImportResult(name, "unknown", problems=[not_read])
        return PendingImport(name, data, overrides, dict(gpu_map or {}), refused)
    try:
        result = import_bytes(data, name, overrides)
    except Exception as e:  # a reader bug must not take the page (or other files) down
        return PendingImport(name, data, overrides, dict(gpu_map or {}), None, f"{type(e).__name__}: {e}")
    return PendingImport(name, data, overrides, dict(gpu_map or {}), result)


def map_gpus(profiles: Sequence[Profile], gpu_map: Mapping[str, str]) -> list[Profile]:
    """Profiles whose GPU id the user mapped to a catalog GPU carry the mapped id, and say so in their notes."""
    out = []
    for p in profiles:
        target = gpu_map.get(p.gpu)
        if not target or target == p.gpu:
            out.append(p)
            continue
        note = f"GPU {p.gpu!r} in the file, mapped to {target!r} by the user"
        notes = f"{p.provenance.notes}; {note}" if p.provenance.notes else note
        out.append(p.model_copy(update={"gpu": target, "provenance": p.provenance.model_copy(update={"notes": notes})}))
    return out


def unknown_gpus(profiles: Iterable[Profile], known: Iterable[str]) -> list[str]:
    """GPU ids the profiles name that the catalog has no spec (and so no price) for."""
    known_set = set(known)
    return sorted({p.gpu for p in profiles} - known_set)


ASKED_WHEN_ASSUMED = ("precision", "gpus_per_replica")


FORM_FIELDS = ("gpu", "model", "mode", "precision", "gpus_per_replica")


def fields_to_ask(result: ImportResult, overrides: Overrides = Overrides()) -> list[str]:  # noqa: B008 (frozen)
    """What the upload form asks for: the fields the file lacks (still missing, or already supplied by the user, who
    may correct them), then precision and GPUs per replica where the import had to assume them (a warning names
    them). In the order of FORM_FIELDS."""
    assumed = {w.where for w in result.warnings} & set(ASKED_WHEN_ASSUMED)
    supplied = {f for f in FORM_FIELDS if getattr(overrides, f, None) is not None}
    wanted = set(result.missing) | assumed | supplied
    return [f for f in FORM_FIELDS if f in wanted]


def upload_uid(session_salt: str, data: bytes, overrides: Overrides, gpu_map: Mapping[str, str]) -> str:
    """An upload's id (and cache key): the bytes AND the choices made for them (supplied fields, GPU mapping), salted
    per session, so another session's identical file with another GPU never shares a cache entry with this one."""
    h = hashlib.sha256()
    h.update(session_salt.encode())
    h.update(hashlib.sha256(data).digest())
    h.update(repr(sorted(vars(overrides).items())).encode())
    h.update(repr(sorted(gpu_map.items())).encode())
    return h.hexdigest()[:16]
