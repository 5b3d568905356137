"""InferenceX's `tco-feed` (`/api/v1/tco-feed`, JSON or CSV): per hardware, the output tokens/s per GPU read off
the Pareto frontier at fixed interactivity tiers (tok/s per user), with provenance (`boundary`, `frontier_points`,
`evidence_date`). Each row becomes one point of an uploaded curve per hardware and workload:

- GPUs per replica 1: the figures are per GPU; output_tok_s = `output_tput_per_gpu`;
- TPOT = 1000 / tier ms (the tier is the median tok/s per user);
- concurrency derived by Little's law, output tok/s / tok/s per user (said in the notes);
- `workload` `1024x1024` gives the input/output lengths; the feed's `model` the model;
- rows the frontier cannot reach (`boundary: unreachable`, or 0 tok/s) are left out with a warning; a tier
  clamped to the frontier's edge is kept and noted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from calculator.data.importers._common import RawPoint, Reader, sub
from calculator.data.importers._ids import gpu_id, model_id

_READ = frozenset(
    {"hardware", "workload", "tier", "output_tput_per_gpu", "boundary", "is_interpolated", "frontier_points"}
    | {"frontier_min_interactivity", "frontier_max_interactivity", "latest_date", "oldest_frontier_date"}
    | {"evidence_date", "evidence_date_from", "evidence_date_to", "model", "date"}
)
_WORKLOAD = re.compile(r"^\s*(\d+)\s*x\s*(\d+)\s*$")


def is_feed_row(rec: Mapping[str, Any]) -> bool:
    return "tier" in rec and "output_tput_per_gpu" in rec and "hardware" in rec and "conc" not in rec


def is_feed(doc: Any) -> bool:
    rows = doc.get("rows") if isinstance(doc, Mapping) else None
    return isinstance(rows, list) and bool(rows) and isinstance(rows[0], Mapping) and is_feed_row(rows[0])


def feed_records(doc: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The feed's rows, each with the feed's model and date where the row has none."""
    top = {k: doc.get(k) for k in ("model", "date") if isinstance(doc.get(k), str)}
    return [(f"rows[{i}]", {**top, **row} if isinstance(row, Mapping) else row) for i, row in enumerate(doc["rows"])]


def parse_feed(records: list[tuple[str, Any]], reader: Reader) -> list[RawPoint]:
    raws: list[RawPoint] = []
    for where, rec in records:
        if not isinstance(rec, Mapping):
            reader.problem(where, "expected an object (one tco-feed row)")
            continue
        raw = _row(rec, where, reader)
        if raw is not None:
            raws.append(raw)
        reader.unread(rec, _READ)
    return raws


def _row(rec: Mapping[str, Any], where: str, reader: Reader) -> RawPoint | None:
    tier = reader.num(rec, "tier", where, strings=True, required=True)
    per_gpu = reader.num(rec, "output_tput_per_gpu", where, strings=True, required=True)
    if tier is None or per_gpu is None:
        return None
    boundary = str(rec.get("boundary") or "").strip().lower()
    hardware = str(rec.get("hardware") or "").strip()
    if tier <= 0:
        reader.problem(sub(where, "tier"), f"{tier:g} tok/s per user: must be > 0")
        return None
    if per_gpu <= 0 or boundary == "unreachable":
        reader.warn(where, f"{hardware} at {tier:g} tok/s per user: the frontier does not reach it; left out")
        return None
    raw = RawPoint(where)
    p, meta = raw.point, raw.meta
    p["output_tok_s"] = per_gpu
    raw.sources["output_tok_s"] = sub(where, "output_tput_per_gpu")
    p["tpot_ms_p50"] = 1000.0 / tier
    raw.sources["tpot_ms_p50"] = sub(where, "tier")
    p["concurrency"] = max(1, round(per_gpu / tier))
    raw.sources["concurrency"] = sub(where, "tier")
    gpu = gpu_id(hardware) if hardware else None
    if gpu:
        meta["gpu"] = gpu
        raw.sources["gpu"] = sub(where, "hardware")
    elif hardware:
        raw.note(f"hardware {hardware!r} is not a GPU id we can map")
    model = rec.get("model")
    if isinstance(model, str) and model.strip():
        meta.update(model=model_id(model), model_name=model)
        raw.sources["model"] = "model"
    m = _WORKLOAD.match(str(rec.get("workload") or ""))
    if m:
        meta.update(isl=int(m.group(1)), osl=int(m.group(2)))
    meta.update(tp=1, pp=1, dp=1, gpus_per_replica=1, engine="inferencex")
    raw.assumed["mode"] = ("ar", "the tco-feed does not name the decoding of its frontier")
    meta["label"] = "tco-feed"
    raw.sources["gpus_per_replica"] = sub(where, "output_tput_per_gpu")
    evidence = rec.get("evidence_date")
    span = (
        f"{evidence.get('from')} to {evidence.get('to')}"
        if isinstance(evidence, Mapping)
        else str(rec.get("latest_date") or "")
    )
    raw.note(
        f"InferenceX tco-feed {rec.get('date', '')}: {per_gpu:g} output tok/s per GPU at {tier:g} tok/s per user "
        f"({boundary or 'frontier'}, {rec.get('frontier_points', '?')} frontier points, evidence {span}); "
        "per GPU (gpus_per_replica 1); concurrency derived as tok/s / tok/s per user"
    )
    return raw
