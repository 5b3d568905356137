"""A user's uploaded files as the app holds them: one Upload per file (its points, provenance `uploaded`), the
import problems of a file as a table in row order, and the summary of what a session holds. Nothing here touches
disk; the app keeps Uploads in its session state.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from calculator.catalog import normalise_points, profiles_to_points
from calculator.loader import Problem
from calculator.schema import Profile


@dataclass
class Upload:
    """One file's points added to a session (provenance `uploaded`); never written to disk."""

    uid: str
    file: str
    fmt: str
    n_profiles: int
    points: pd.DataFrame


def digest(data: bytes) -> str:
    """A short content digest of an upload's bytes."""
    return hashlib.sha256(data).hexdigest()[:16]


def make_upload(uid: str, name: str, fmt: str, profiles: Sequence[Profile]) -> Upload | None:
    """An Upload of a file's good profiles (None when they hold no point)."""
    pts = profiles_to_points(profiles, [name] * len(profiles))
    if pts.empty:
        return None
    return Upload(uid=uid, file=name, fmt=fmt, n_profiles=len(profiles), points=pts)


def uploaded_points(uploads: Iterable[Upload]) -> pd.DataFrame:
    """Every upload's points in one canonical frame."""
    frames = [u.points for u in uploads]
    if not frames:
        return normalise_points(pd.DataFrame())
    return normalise_points(pd.concat(frames, ignore_index=True))


def problems_frame(problems: Sequence[Problem | Any]) -> pd.DataFrame:
    """Each problem once (file, where, message), sorted by row number (row 3 before row 4 before row 10), then
    by where; problems without a row (file-level) first. Column `row` holds the parsed row number."""
    df = pd.DataFrame(
        [{"file": p.file, "where": p.where, "problem": p.message} for p in problems],
        columns=["file", "where", "problem"],
    ).drop_duplicates()
    df["row"] = pd.to_numeric(df["where"].str.extract(r"(?i)\brow\s+(\d+)", expand=False), errors="coerce")
    return df.sort_values(["row", "where", "problem"], na_position="first", kind="stable").reset_index(drop=True)


def uploads_summary(uploads: Iterable[Upload]) -> pd.DataFrame:
    """One row per upload: file, format, profiles, points, GPUs, models, modes, concurrency range, uid."""
    return pd.DataFrame(
        [
            {
                "file": u.file,
                "format": u.fmt,
                "profiles": u.n_profiles,
                "points": len(u.points),
                "gpus": ", ".join(sorted(set(u.points["gpu"]))),
                "models": ", ".join(sorted(set(u.points["model"]))),
                "modes": ", ".join(sorted(set(u.points["mode"]))),
                "concurrency": f"{u.points['concurrency'].min()}–{u.points['concurrency'].max()}",
                "uid": u.uid,
            }
            for u in uploads
        ]
    )
