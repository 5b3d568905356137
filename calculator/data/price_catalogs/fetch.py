"""Fetching the current catalogs where the machine is online (`prices refresh`): SkyPilot's vms.csv of a cloud
with the time of the commit that last wrote it (its date), and a gpuhunt provider's latest published catalog with
its version and the date its zip was written. Nothing here runs in tests against the network: the base URLs come
from the environment (SKYPILOT_CATALOG_URL, SKYPILOT_CATALOG_COMMITS_URL, GPUHUNT_CATALOG_URL) so a test serves
them from 127.0.0.1.
"""

from __future__ import annotations

import io
import json
import os
import urllib.request
import zipfile
from dataclasses import dataclass
from datetime import date

from calculator.data.loader import MAX_FILE_BYTES

SKYPILOT_RAW = "https://raw.githubusercontent.com/skypilot-org/skypilot-catalog/master"
SKYPILOT_COMMITS = "https://api.github.com/repos/skypilot-org/skypilot-catalog/commits"
GPUHUNT_URL = "https://dstack-gpu-pricing.s3.eu-west-1.amazonaws.com/v3"
TIMEOUT_S = 30.0


class FetchError(Exception):
    """A catalog could not be fetched (offline, not found, too large, not what was expected)."""


@dataclass(frozen=True)
class Fetched:
    """One fetched catalog file: its bytes, the name to read it by, its date and where it came from."""

    data: bytes
    name: str
    as_of: str
    ref: str


def _get(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
            data: bytes = response.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        raise FetchError(f"{url}: {e}") from e
    if len(data) > MAX_FILE_BYTES:
        raise FetchError(f"{url}: over {MAX_FILE_BYTES // 1_000_000} MB")
    return data


def skypilot(cloud: str) -> Fetched:
    """catalogs/v8/<cloud>/vms.csv and the date of the last commit that touched it."""
    path = f"catalogs/v8/{cloud}/vms.csv"
    raw = os.getenv("SKYPILOT_CATALOG_URL", SKYPILOT_RAW).rstrip("/")
    commits = os.getenv("SKYPILOT_CATALOG_COMMITS_URL", SKYPILOT_COMMITS)
    data = _get(f"{raw}/{path}")
    try:
        log = json.loads(_get(f"{commits}?path={path}&per_page=1"))
        sha = str(log[0]["sha"])
        when = str(log[0]["commit"]["committer"]["date"])[:10]
        date.fromisoformat(when)
    except (ValueError, KeyError, IndexError, TypeError) as e:
        raise FetchError(f"the commit date of {path} could not be read: {e}") from e
    return Fetched(data, path, when, f"skypilot-org/skypilot-catalog commit {sha[:12]} of {when}")


def gpuhunt(provider: str) -> Fetched:
    """A provider's latest gpuhunt catalog: `<base>/<provider>/version`, then `<base>/<provider>/<version>/
    catalog.zip` holding `<provider>.csv`; its date is the time the zip stored for that file."""
    base = os.getenv("GPUHUNT_CATALOG_URL", GPUHUNT_URL).rstrip("/")
    version = _get(f"{base}/{provider}/version").decode("utf-8", "replace").strip()
    if not version or len(version) > 100 or "/" in version:
        raise FetchError(f"{provider}: an unexpected catalog version {version[:40]!r}")
    blob = _get(f"{base}/{provider}/{version}/catalog.zip")
    try:
        with zipfile.ZipFile(io.BytesIO(blob)) as z:
            info = z.getinfo(f"{provider}.csv")
            if info.file_size > MAX_FILE_BYTES:
                raise FetchError(f"{provider}.csv is over {MAX_FILE_BYTES // 1_000_000} MB")
            data = z.read(info)
            y, m, d = info.date_time[:3]
    except (zipfile.BadZipFile, KeyError) as e:
        raise FetchError(f"{provider} catalog {version}: {e}") from e
    when = date(y, m, d).isoformat()
    return Fetched(data, f"{provider}.csv", when, f"gpuhunt catalog version {version}, written {when}")
