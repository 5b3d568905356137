"""The estimator's on-disk cache: fitted parameters and leave-one-out tables as JSON, keyed by a fingerprint of the
data and of the estimator's own code, so a new process (the CLI, a restarted app) skips the fit it has already made.

Where: $NLD_COST_CACHE_DIR, else $XDG_CACHE_HOME/nld-cost, else ~/.cache/nld-cost. NLD_COST_CACHE=off turns it off.
Files are written atomically (temporary file + rename); a cache that cannot be read or written is ignored (the fit is
then made again), never an error. JSON only: no pickle.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

_PACKAGE = Path(__file__).resolve().parent
_CODE_FILES = (
    *sorted(_PACKAGE.glob("*.py")),
    _PACKAGE.parent / "modes.py",
    _PACKAGE.parent / "block_curves.py",
    _PACKAGE.parents[1] / "data" / "schema.py",
)


def cache_dir() -> Path | None:
    """The cache folder, or None when caching is off."""
    if os.environ.get("NLD_COST_CACHE", "").casefold() in ("off", "0", "no", "false"):
        return None
    if os.environ.get("NLD_COST_CACHE_DIR"):
        return Path(os.environ["NLD_COST_CACHE_DIR"])
    base = Path(os.environ["XDG_CACHE_HOME"]) if os.environ.get("XDG_CACHE_HOME") else Path.home() / ".cache"
    return base / "nld-cost"


@functools.cache
def code_fingerprint() -> str:
    """A digest of the estimator's code (a changed model invalidates every cached fit)."""
    h = hashlib.sha256()
    for f in _CODE_FILES:
        try:
            h.update(f.read_bytes())
        except OSError:
            h.update(str(f).encode())
    return h.hexdigest()[:16]


def _path(key: str, what: str) -> Path | None:
    folder = cache_dir()
    if folder is None:
        return None
    return folder / f"estimator-{code_fingerprint()}-{key[:32]}-{what}.json"


def load(key: str, what: str) -> Any | None:
    """The cached JSON document for a data key and a kind of result, or None."""
    path = _path(key, what)
    if path is None:
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def save(key: str, what: str, document: Any) -> None:
    """Store a JSON document for a data key and a kind of result (atomically; failures are ignored)."""
    path = _path(key, what)
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False, suffix=".tmp") as f:
            json.dump(document, f, allow_nan=True)
            tmp = Path(f.name)
        os.replace(tmp, path)
    except (OSError, TypeError, ValueError):
        return
