"""The error figure of every estimated row, the same on every page and in the CLI: the estimator's held-out-source
error (leave-one-source-out: a whole harness or publication held out at once, validation.held_out_error) for the row's
mode on the row's engine class (the engine generation: vLLM V0 vs V1, ...; estimates are for SGLang unless asked).

One table (`estimate_errors`, ERROR_TABLE_COLUMNS) holds a row per mode x engine class: its scope (the mode on the
engine where it has >= HELD_OUT_MIN_POINTS fitted serving points, else the mode over every engine, else the
multi-token modes' points for a mode other than AR, else every mode) and a note that says what the figure rests on (for
diffusion: no serving data anywhere, so it is the multi-token modes' figure; for self-speculation: three sources, all
on B200). checks.error_pct picks a row's figure from it.

The leave-one-source-out refits take tens of seconds, so the table is computed once per catalog content and code:
shipped for the bundled data (SHIPPED, written by `record_shipped`, checked current by a test), else computed and
cached in memory and on disk (leave_one_out's cache), keyed on the catalog's content fingerprint and the estimator's
code fingerprint.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from calculator.data.catalog import Catalog
from calculator.model.estimator import ENGINE_CLASSES, REFERENCE_ENGINE, held_out_error, leave_one_out
from calculator.model.estimator.cache import code_fingerprint
from calculator.model.estimator.fitting import catalog_key
from calculator.model.estimator.validation import MULTI_TOKEN_SCOPE
from calculator.model.modes import MODEL_MODES

ERROR_TABLE_COLUMNS = [
    "mode", "engine", "scope", "points", "sources", "median_abs_error_pct", "p90_abs_error_pct",
    "worst_abs_error_pct", "note",
]  # fmt: skip
"""One row per mode (MODEL_MODES and "all") x engine class; median/p90/worst |error| % of held-out predictions."""
ROW_STATISTIC = "median_abs_error_pct"
"""The one figure a row carries (est_error_pct, its $ range): the median |error| of held-out-source predictions; the
text beside it gives the p90 and worst too."""
SHIPPED = Path(__file__).with_name("estimate_errors.json")
_MEMORY: dict[str, pd.DataFrame] = {}
_MODE_WORDS = {"ar": "AR", "self_spec": "self-speculation", "diffusion": "diffusion", "spec_eagle3": "EAGLE-3",
               "spec_mtp": "MTP", "all": "every mode"}  # fmt: skip


def content_key(catalog: Catalog) -> str:
    """The catalog's content fingerprint and the estimator's code fingerprint: what the held-out figures depend on."""
    return f"{catalog_key(catalog)}-{code_fingerprint()}"


def estimate_errors(catalog: Catalog) -> pd.DataFrame:
    """The error table of estimated rows (ERROR_TABLE_COLUMNS), once per catalog content (shipped for the bundled
    data, else computed and cached). Empty when the check cannot run."""
    key = content_key(catalog)
    hit = _MEMORY.get(key)
    if hit is None:
        hit = _shipped(key)
        if hit is None:
            try:
                hit = compute_errors(catalog)
            except (ValueError, LookupError):
                hit = pd.DataFrame(columns=ERROR_TABLE_COLUMNS)
        if len(_MEMORY) > 8:
            _MEMORY.clear()
        _MEMORY[key] = hit
    return hit.copy()


def compute_errors(catalog: Catalog) -> pd.DataFrame:
    """The table from the leave-one-source-out predictions (one refit per source; cached by leave_one_out)."""
    loo = leave_one_out(catalog, group="source")
    loo = loo[loo["in_fit"] & (loo["metric"] == "output_tok_s")]
    rows: list[dict[str, Any]] = []
    for mode in (*MODEL_MODES, "all"):
        for engine in ENGINE_CLASSES:
            e = held_out_error(catalog, "__none__" if mode == "all" else mode, engine)
            scope = e.scope
            counts = loo.loc[_in_scope(loo, scope, mode, engine), "gpu"].value_counts()
            gpus = [f"{str(g).upper()} {n}" for g, n in counts.items()]
            rows.append(
                {"mode": mode, "engine": engine, "scope": scope, "points": e.points, "sources": e.sources,
                 "median_abs_error_pct": e.median_pct, "p90_abs_error_pct": e.p90_pct,
                 "worst_abs_error_pct": e.worst_pct, "note": _note(mode, engine, scope, e.points, e.sources, gpus)}
            )  # fmt: skip
    return pd.DataFrame(rows, columns=ERROR_TABLE_COLUMNS)


def _in_scope(loo: pd.DataFrame, scope: str, mode: str, engine: str) -> pd.Series:
    if scope == "all modes":
        return pd.Series(True, index=loo.index)
    if scope in (mode, f"{mode} on an unseen generation"):
        return loo["mode"] == mode
    if scope == MULTI_TOKEN_SCOPE:
        return loo["mode"] != "ar"
    return (loo["mode"] == mode) & (loo["engine"] == engine)


def _note(mode: str, engine: str, scope: str, points: int, sources: int, gpus: list[str]) -> str:
    """What a row's figure rests on, in words (`gpus`: "GPU points" of the scope, most first; named where few)."""
    words = _MODE_WORDS.get(mode, mode)
    base = f"leave-one-source-out, {points} points from {sources} source{'s' if sources != 1 else ''}"
    where = f" (points per GPU: {', '.join(gpus)})" if 0 < len(gpus) <= 4 else ""
    if mode == "all":
        return f"{base}, every mode and engine"
    if scope == f"{mode} on {engine}":
        return f"{base}, {words} on {engine}{where}"
    if scope == f"{mode} on an unseen generation":
        return (
            f"leave-one-generation-out, {points} points from {sources} sources: no {engine} point is held, so the"
            f" figure is the error on an engine generation never measured ({words}; each generation held out)"
        )
    if scope == mode:
        return f"{base}, {words} on every engine (too few {words} points on {engine} to hold out alone){where}"
    if scope == MULTI_TOKEN_SCOPE:
        return (
            f"no {words} serving data held out: the figure is that of the multi-token modes (self-speculation, EAGLE-3;"
            f" {base}), whose error includes tokens per cycle and engine time per cycle as {words}'s does;"
            f" {words}'s own error is not known"
        )
    return f"no {words} serving data held out: the figure is every mode's ({base}); {words}'s own error is not known"


def _shipped(key: str) -> pd.DataFrame | None:
    try:
        doc = json.loads(SHIPPED.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("key") != key:
        return None
    try:
        df = pd.DataFrame(doc["rows"], columns=ERROR_TABLE_COLUMNS)
    except (KeyError, TypeError, ValueError):
        return None
    for col in ("median_abs_error_pct", "p90_abs_error_pct", "worst_abs_error_pct"):
        df[col] = pd.to_numeric(df[col]).astype("float64")
    df["points"] = pd.to_numeric(df["points"]).astype("int64")
    df["sources"] = pd.to_numeric(df["sources"]).astype("int64")
    return df


def record_shipped(catalog: Catalog, path: Path = SHIPPED) -> pd.DataFrame:
    """Compute the table for `catalog` (the bundled data) and write it to `path` with its content key."""
    table = compute_errors(catalog)
    rows = [
        {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
        for r in table.to_dict(orient="records")
    ]
    doc = {"key": content_key(catalog), "rows": rows}
    path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return table


def row_error(errors: pd.DataFrame, mode: str | None, engine: str | None = None) -> pd.Series | None:
    """The error table's row for an estimated row of `mode` on `engine` (None = the reference engine, SGLang): that
    mode's row, else the "all" row; None where the table has neither."""
    if errors.empty:
        return None
    eng = engine or REFERENCE_ENGINE
    sel = errors["engine"] == eng if "engine" in errors else pd.Series(True, index=errors.index)
    for m in (mode, "all"):
        if m is None:
            continue
        row = errors[sel & (errors["mode"] == m)]
        if not row.empty:
            return row.iloc[0]
    return None


__all__ = [
    "ERROR_TABLE_COLUMNS",
    "ROW_STATISTIC",
    "SHIPPED",
    "compute_errors",
    "content_key",
    "estimate_errors",
    "record_shipped",
    "row_error",
]
