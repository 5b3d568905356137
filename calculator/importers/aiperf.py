"""NVIDIA AIPerf `profile_export_aiperf.json` and GenAI-Perf `profile_export_genai_perf.json`: one
run (one concurrency) per file, one block per metric `{unit, avg, p50, p99, ...}`.

Units are converted from a closed table; a unit not in it is refused with a problem (never guessed).
Read: output_token_throughput (tokens/sec), output_token_throughput_per_user, time_to_first_token,
inter_token_latency (= TPOT), request_latency, request_throughput, input/output_sequence_length,
request_count, error_request_count; concurrency and model from the run's `input_config`.
Input tokens/s is derived as request_throughput x mean input length (AIPerf does not write it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from calculator.importers._common import Context, RawPoint, Reader, dig, model_id, scaled, sub, whole

# The closed table: unit (lowercase) -> factor to our unit, per kind of quantity.
TIME_TO_MS: dict[str, float] = {
    "ns": 1e-6,
    "nanoseconds": 1e-6,
    "us": 1e-3,
    "µs": 1e-3,
    "μs": 1e-3,
    "microseconds": 1e-3,
    "ms": 1.0,
    "milliseconds": 1.0,
    "s": 1e3,
    "sec": 1e3,
    "seconds": 1e3,
}
TOKEN_RATE: dict[str, float] = {"tokens/sec": 1.0, "tokens/s": 1.0, "tok/s": 1.0, "tokens/second": 1.0}
USER_TOKEN_RATE: dict[str, float] = {"tokens/sec/user": 1.0, "tokens/s/user": 1.0, "tok/s/user": 1.0}
REQUEST_RATE: dict[str, float] = {"requests/sec": 1.0, "requests/s": 1.0, "req/s": 1.0, "req/sec": 1.0}
TOKEN_COUNT: dict[str, float] = {"tokens": 1.0, "tokens/request": 1.0}
REQUEST_COUNT: dict[str, float] = {"requests": 1.0, "count": 1.0}

UNIT_TABLES: dict[str, tuple[str, dict[str, float]]] = {
    "time": ("a time unit (ns, us, ms, s)", TIME_TO_MS),
    "token_rate": ("tokens/sec", TOKEN_RATE),
    "user_rate": ("tokens/sec/user", USER_TOKEN_RATE),
    "request_rate": ("requests/sec", REQUEST_RATE),
    "tokens": ("tokens", TOKEN_COUNT),
    "requests": ("requests", REQUEST_COUNT),
}
# metric -> (kind of quantity, the unit the tools document when the block has none)
METRIC_KINDS: dict[str, tuple[str, str]] = {
    "output_token_throughput": ("token_rate", "tokens/sec"),
    "output_token_throughput_per_user": ("user_rate", "tokens/sec/user"),
    "time_to_first_token": ("time", "ms"),
    "inter_token_latency": ("time", "ms"),
    "request_latency": ("time", "ms"),
    "request_throughput": ("request_rate", "requests/sec"),
    "input_sequence_length": ("tokens", "tokens"),
    "output_sequence_length": ("tokens", "tokens"),
    "request_count": ("requests", "requests"),
    "error_request_count": ("requests", "requests"),
}

_CONCURRENCY_PATHS: tuple[tuple[str | int, ...], ...] = (
    ("input_config", "loadgen", "concurrency"),  # AIPerf
    ("input_config", "concurrency"),  # GenAI-Perf
    ("input_config", "perf_analyzer", "stimulus", "concurrency"),  # GenAI-Perf config files
)
_MODEL_PATHS: tuple[tuple[str | int, ...], ...] = (
    ("input_config", "endpoint", "model_names", 0),
    ("input_config", "model_names", 0),
    ("input_config", "model", 0),
    ("input_config", "model"),
    ("input_config", "models", "items", 0, "name"),
)


def metric_value(metrics: Mapping[str, Any], name: str, stat: str, where: str, reader: Reader) -> float | None:
    """metrics[name][stat] converted to our unit (ms, tokens/s, ...), or None with a problem."""
    block = metrics.get(name)
    if not isinstance(block, Mapping) or block.get(stat) is None:
        return None
    bw = sub(where, name) if where else name
    kind, default_unit = METRIC_KINDS[name]
    expected, table = UNIT_TABLES[kind]
    unit = block.get("unit", default_unit)
    if not isinstance(unit, str):
        reader.problem(sub(bw, "unit"), f"expected a unit such as {expected!r}, got {unit!r}")
        return None
    factor = table.get(unit.strip().lower())
    if factor is None:
        known = ", ".join(sorted(table))
        reader.problem(sub(bw, "unit"), f"unknown unit {unit!r} for {name}: expected {expected} (one of {known})")
        return None
    value = reader.as_number(block.get(stat), sub(bw, stat))
    return None if value is None else scaled(value, factor)


def parse_aiperf(doc: Mapping[str, Any], ctx: Context, reader: Reader) -> tuple[list[RawPoint], list[str]]:
    """One RawPoint for the run; problems go to `reader`."""
    notes: list[str] = []
    records = doc.get("records")
    metrics: Mapping[str, Any] = records if isinstance(records, Mapping) else doc
    where = "records" if metrics is records else ""
    raw = RawPoint(where or "file")
    p = raw.point
    for target, name, stat in (
        ("output_tok_s", "output_token_throughput", "avg"),
        ("ttft_ms_p50", "time_to_first_token", "p50"),
        ("ttft_ms_p99", "time_to_first_token", "p99"),
        ("tpot_ms_p50", "inter_token_latency", "p50"),
        ("tpot_ms_p99", "inter_token_latency", "p99"),
        ("e2e_ms_p50", "request_latency", "p50"),
    ):
        raw.sources[target] = sub(sub(where, name) if where else name, stat)
        value = metric_value(metrics, name, stat, where, reader)
        if value is not None:
            p[target] = value
    for target, name in (("requests_completed", "request_count"), ("requests_failed", "error_request_count")):
        count = metric_value(metrics, name, "avg", where, reader)
        if count is not None:
            p[target] = round(count)
    isl = metric_value(metrics, "input_sequence_length", "avg", where, reader)
    osl = metric_value(metrics, "output_sequence_length", "avg", where, reader)
    req_rate = metric_value(metrics, "request_throughput", "avg", where, reader)
    if isl is not None and req_rate is not None and "output_tok_s" in p:
        p["input_tok_s"] = isl * req_rate
        p["total_tok_s"] = isl * req_rate + p["output_tok_s"]
        notes.append("input and total tokens/s derived as request_throughput x mean input length")

    conc_path = next((path for path in _CONCURRENCY_PATHS if dig(doc, *path) is not None), None)
    if conc_path is not None:
        where_conc = ".".join(map(str, conc_path))
        raw.sources["concurrency"] = where_conc
        value = reader.as_number(dig(doc, *conc_path), where_conc)
        if value is None:
            return [], notes
        p["concurrency"] = whole(value) or 0
    else:
        per_user = metric_value(metrics, "output_token_throughput_per_user", "avg", where, reader)
        if per_user and "output_tok_s" in p:
            p["concurrency"] = max(1, round(p["output_tok_s"] / per_user))
            raw.sources["concurrency"] = (
                sub(where, "output_token_throughput_per_user") if where else "output_token_throughput_per_user"
            )
            notes.append("concurrency not in input_config: estimated as throughput / per-user throughput")
        else:
            reader.problem(
                "input_config", "no concurrency in input_config (loadgen.concurrency); cannot place the point"
            )
            return [], notes

    meta = raw.meta
    model_path = next((path for path in _MODEL_PATHS if isinstance(dig(doc, *path), str)), None)
    if model_path is not None and str(dig(doc, *model_path)).strip():
        meta["model"] = model_id(str(dig(doc, *model_path)))
        raw.sources["model"] = ".".join(f"[{k}]" if isinstance(k, int) else k for k in model_path).replace(".[", "[")
    meta.update(isl=isl, osl=osl, lengths_measured=True)
    tool = doc.get("aiperf_version") or dig(doc, "input_config", "genai_perf_version")
    if isinstance(tool, str):
        notes.append(f"aiperf {tool}")
    return [raw], notes
