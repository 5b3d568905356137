"""A catalog file's date kept beside it: `<file>.source.json`, `{"as_of": "YYYY-MM-DD", "ref": "...", "cloud": ...}`.
A file whose date is not known says so: `"as_of": null` with a `note` (why); it then imports only with `--as-of`.

A SkyPilot `vms.csv` and a gpuhunt `<provider>.csv` carry no date; their date is the commit that wrote the file
(SkyPilot) or the catalog version's (gpuhunt). `prices refresh --save-dir` writes each fetched file with this
sidecar (the commit time it read), and `prices import` takes the date from it when no `--as-of` is given, so the
age of the prices is counted from the catalog's real date, not from the day of the import."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from calculator.data.errors import Problem

SUFFIX = ".source.json"
MAX_SIDECAR_BYTES = 10_000
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Sidecar:
    """A catalog file's date (None: not known, `note` says why) and where it came from."""

    as_of: str | None
    ref: str = ""
    cloud: str = ""
    note: str = ""


def sidecar_path(catalog: Path) -> Path:
    return catalog.with_name(catalog.name + SUFFIX)


def write_sidecar(catalog: Path, sidecar: Sidecar) -> Path:
    """Write `<catalog>.source.json` beside the catalog file; returns its path."""
    path = sidecar_path(catalog)
    doc: dict[str, str | None] = {"as_of": sidecar.as_of, "ref": sidecar.ref, "cloud": sidecar.cloud}
    if sidecar.note:
        doc["note"] = sidecar.note
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return path


def read_sidecar(catalog: Path) -> tuple[Sidecar | None, Problem | None]:
    """The sidecar of a catalog file: (None, None) when there is none, (None, problem) when it cannot be used."""
    path = sidecar_path(catalog)
    if not path.is_file() or path.is_symlink():
        return None, None
    name = path.name
    try:
        if path.stat().st_size > MAX_SIDECAR_BYTES:
            return None, Problem(name, "file", f"over {MAX_SIDECAR_BYTES:,} bytes: not a catalog's date")
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        return None, Problem(name, "file", f"not readable as JSON: {e}")
    if not isinstance(doc, dict):
        return None, Problem(name, "file", 'expected an object {"as_of": "YYYY-MM-DD", "ref": "..."}')
    as_of = doc.get("as_of")
    ref, cloud, note = doc.get("ref", ""), doc.get("cloud", ""), doc.get("note", "")
    ref, cloud, note = str(ref)[:500] if ref else "", str(cloud)[:40] if cloud else "", str(note)[:500] if note else ""
    if as_of is None:
        return Sidecar(None, ref, cloud, note or "the catalog's date is not known"), None
    if not isinstance(as_of, str) or not _DATE.match(as_of):
        return None, Problem(name, "as_of", f"the catalog's date must be YYYY-MM-DD, got {as_of!r}")
    try:
        date.fromisoformat(as_of)
    except ValueError:
        return None, Problem(name, "as_of", f"not a calendar date: {as_of!r}")
    return Sidecar(as_of, ref, cloud, note), None
