"""NVIDIA AIPerf `profile_export_aiperf.json` / `.csv` and GenAI-Perf `profile_export_genai_perf.json` /
`.csv`: one run (one concurrency) per file, one block (or CSV row) per metric `{unit, avg, p50, p99, ...}`.

Units are converted from a closed table; a unit not in it is refused with a problem (never guessed).
Read: output_token_throughput (tokens/sec), input/total_token_throughput (newer versions; else derived as
request_throughput x mean input length), time_to_first_token, inter_token_latency (= TPOT),
request_latency, input/output_sequence_length, request_count, error_request_count (or the error
summary); AIPerf 0.13's speculative-decoding acceptance length (-> accept_length), measured GPU energy per output
token (`nvidia_/amd_energy_per_output_token`, mJ/token, or `*_output_tokens_per_joule` -> joules_per_output_token)
and prefix-cache reads (`overall_usage_prompt_cache_read_pct`, else the cache read / prompt token totals, else read /
(read + miss) -> prefix_hit_rate); concurrency and model from the run's `input_config` (AIPerf 0.10+: the
profiling entry of `phases[]`). The CSV export holds no input_config: its concurrency is derived by Little's law
(request count x mean request latency / benchmark duration) and its model must be given.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from typing import Any

from calculator.data.importers._common import (
    Context,
    RawPoint,
    Reader,
    derived_concurrency,
    dig,
    littles_law,
    scaled,
    stated_count,
    sub,
    whole,
)
from calculator.data.importers._ids import model_id

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
TOKEN_RATE: dict[str, float] = {
    "tokens/sec": 1.0,
    "tokens/s": 1.0,
    "tok/s": 1.0,
    "tokens/second": 1.0,
    "per sec": 1.0,
}
USER_TOKEN_RATE: dict[str, float] = {"tokens/sec/user": 1.0, "tokens/s/user": 1.0, "tok/s/user": 1.0}
REQUEST_RATE: dict[str, float] = {"requests/sec": 1.0, "requests/s": 1.0, "req/s": 1.0, "req/sec": 1.0, "per sec": 1.0}
TOKEN_COUNT: dict[str, float] = {"tokens": 1.0, "tokens/request": 1.0}
REQUEST_COUNT: dict[str, float] = {"requests": 1.0, "count": 1.0}
RATIO: dict[str, float] = {"ratio": 1.0, "": 1.0}
PERCENT: dict[str, float] = {"%": 1.0, "percent": 1.0}
ENERGY_PER_TOKEN: dict[str, float] = {"mj/token": 1e-3, "j/token": 1.0, "joules/token": 1.0}
TOKENS_PER_ENERGY: dict[str, float] = {"tokens/j": 1.0, "tokens/joule": 1.0}

UNIT_TABLES: dict[str, tuple[str, dict[str, float]]] = {
    "time": ("a time unit (ns, us, ms, s)", TIME_TO_MS),
    "token_rate": ("tokens/sec", TOKEN_RATE),
    "user_rate": ("tokens/sec/user", USER_TOKEN_RATE),
    "request_rate": ("requests/sec", REQUEST_RATE),
    "tokens": ("tokens", TOKEN_COUNT),
    "requests": ("requests", REQUEST_COUNT),
    "ratio": ("ratio", RATIO),
    "percent": ("%", PERCENT),
    "energy_per_token": ("mJ/token", ENERGY_PER_TOKEN),
    "tokens_per_energy": ("tokens/J", TOKENS_PER_ENERGY),
}
# AIPerf 0.13 (ai-dynamo/aiperf, wheel aiperf-0.13.0: aiperf/metrics/types/spec_decode_metrics.py,
# power_efficiency_metrics.py, usage_cache_metrics.py, usage_total_metrics.py): tag -> (kind, documented unit)
ACCEPTANCE = ("spec_decode_token_weighted_acceptance_length", "spec_decode_acceptance_length")
ENERGY = ("nvidia_energy_per_output_token", "amd_energy_per_output_token")
TOKENS_PER_JOULE = ("nvidia_output_tokens_per_joule", "amd_output_tokens_per_joule", "output_tokens_per_joule")
CACHE_READ_PCT = "overall_usage_prompt_cache_read_pct"
CACHE_TOTALS = (
    "total_usage_prompt_cache_read_tokens",
    "total_usage_prompt_tokens",
    "total_usage_prompt_cache_miss_tokens",
)
# metric -> (kind of quantity, the unit the tools document when the block has none)
METRIC_KINDS: dict[str, tuple[str, str]] = {
    "output_token_throughput": ("token_rate", "tokens/sec"),
    "input_token_throughput": ("token_rate", "tokens/sec"),
    "total_token_throughput": ("token_rate", "tokens/sec"),
    "output_token_throughput_per_user": ("user_rate", "tokens/sec/user"),
    "time_to_first_token": ("time", "ms"),
    "inter_token_latency": ("time", "ms"),
    "request_latency": ("time", "ms"),
    "benchmark_duration": ("time", "sec"),
    "request_throughput": ("request_rate", "requests/sec"),
    "input_sequence_length": ("tokens", "tokens"),
    "output_sequence_length": ("tokens", "tokens"),
    "request_count": ("requests", "requests"),
    "error_request_count": ("requests", "requests"),
    **dict.fromkeys(ACCEPTANCE, ("ratio", "ratio")),
    **dict.fromkeys(ENERGY, ("energy_per_token", "mJ/token")),
    **dict.fromkeys(TOKENS_PER_JOULE, ("tokens_per_energy", "tokens/J")),
    CACHE_READ_PCT: ("percent", "%"),
    **dict.fromkeys(CACHE_TOTALS, ("tokens", "tokens")),
}

_CONCURRENCY_PATHS: tuple[tuple[str | int, ...], ...] = (
    ("input_config", "loadgen", "concurrency"),  # AIPerf up to 0.9
    ("input_config", "concurrency"),  # GenAI-Perf
    ("input_config", "perf_analyzer", "stimulus", "concurrency"),  # GenAI-Perf config files
)
_MODEL_PATHS: tuple[tuple[str | int, ...], ...] = (
    ("input_config", "endpoint", "model_names", 0),
    ("input_config", "models", "items", 0, "name"),  # AIPerf 0.10+
    ("input_config", "models", 0),
    ("input_config", "model_names", 0),
    ("input_config", "model", 0),
    ("input_config", "model"),
)
_DATASET_PATHS: tuple[tuple[str | int, ...], ...] = (
    ("metadata", "dataset", "loader"),
    ("input_config", "input", "public_dataset"),
)
_DOC_READ = frozenset({*METRIC_KINDS, "records", "input_config", "aiperf_version", "error_summary", "metadata"})


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

    def value(name: str, stat: str) -> float | None:
        return metric_value(metrics, name, stat, where, reader)

    for target, name, stat in (
        ("output_tok_s", "output_token_throughput", "avg"),
        ("input_tok_s", "input_token_throughput", "avg"),
        ("total_tok_s", "total_token_throughput", "avg"),
        ("ttft_ms_p50", "time_to_first_token", "p50"),
        ("ttft_ms_p99", "time_to_first_token", "p99"),
        ("tpot_ms_p50", "inter_token_latency", "p50"),
        ("tpot_ms_p99", "inter_token_latency", "p99"),
        ("e2e_ms_p50", "request_latency", "p50"),
    ):
        raw.sources[target] = sub(sub(where, name) if where else name, stat)
        number = value(name, stat)
        if number is not None:
            p[target] = number
    count = value("request_count", "avg")
    if count is not None:
        p["requests_completed"] = round(count)
    errors = value("error_request_count", "avg")
    summary = doc.get("error_summary")
    if errors is None and isinstance(summary, list):
        errors = sum(float(n) for e in summary if isinstance(n := dig(e, "count"), int | float))
    if errors is not None:
        p["requests_failed"] = round(errors)
    isl = value("input_sequence_length", "avg")
    osl = value("output_sequence_length", "avg")
    req_rate = value("request_throughput", "avg")
    if "input_tok_s" not in p and isl is not None and req_rate is not None and "output_tok_s" in p:
        p["input_tok_s"] = isl * req_rate
        p["total_tok_s"] = isl * req_rate + p["output_tok_s"]
        notes.append("input and total tokens/s derived as request_throughput x mean input length")

    _new_fields(metrics, where, raw, value)
    if not _concurrency(doc, raw, reader, value):
        return [], notes
    meta = raw.meta
    model_path = next((path for path in _MODEL_PATHS if isinstance(dig(doc, *path), str)), None)
    if model_path is not None and str(dig(doc, *model_path)).strip():
        name = str(dig(doc, *model_path))
        meta["model"] = model_id(name)
        meta["model_name"] = name
        raw.sources["model"] = ".".join(f"[{k}]" if isinstance(k, int) else k for k in model_path).replace(".[", "[")
    dataset = next((d for path in _DATASET_PATHS if isinstance(d := dig(doc, *path), str)), None)
    meta.update(isl=isl, osl=osl, lengths_measured=True, dataset=dataset or "")
    tool = doc.get("aiperf_version") or dig(doc, "input_config", "genai_perf_version")
    if isinstance(tool, str):
        notes.append(f"aiperf {tool}")
    reader.unread(metrics, _DOC_READ, "records" if where else "")
    if where:
        reader.unread(doc, _DOC_READ)
    return [raw], notes


def _new_fields(metrics: Mapping[str, Any], where: str, raw: RawPoint, value: Any) -> None:
    """AIPerf 0.13's acceptance length, measured energy per output token and prefix-cache hit rate, where present."""
    p = raw.point

    def at(name: str) -> str:
        return sub(sub(where, name) if where else name, "avg")

    for name in ACCEPTANCE:
        accept = value(name, "avg")
        if accept is not None and accept >= 1:
            p["accept_length"] = accept
            raw.sources["accept_length"] = at(name)
            break
    for name in ENERGY:
        joules = value(name, "avg")
        if joules is not None and joules > 0:
            p["joules_per_output_token"] = joules
            raw.sources["joules_per_output_token"] = at(name)
            break
    else:
        for name in TOKENS_PER_JOULE:
            per_joule = value(name, "avg")
            if per_joule is not None and per_joule > 0:
                p["joules_per_output_token"] = 1 / per_joule
                raw.sources["joules_per_output_token"] = at(name)
                raw.note(f"joules per output token = 1 / {name}")
                break
    pct = value(CACHE_READ_PCT, "avg")
    read, prompt, miss = (value(name, "avg") for name in CACHE_TOTALS)
    rate: float | None = None
    if pct is not None and 0 <= pct <= 100:
        rate, raw.sources["prefix_hit_rate"] = pct / 100, at(CACHE_READ_PCT)
    elif read is not None and prompt and 0 <= read <= prompt:
        rate, raw.sources["prefix_hit_rate"] = read / prompt, at(CACHE_TOTALS[0])
        raw.note("prefix hit rate = cache-read tokens / prompt tokens (API usage totals)")
    elif read is not None and miss is not None and read + miss > 0:
        rate, raw.sources["prefix_hit_rate"] = read / (read + miss), at(CACHE_TOTALS[0])
        raw.note("prefix hit rate = cache-read / (cache-read + cache-miss) tokens (API usage totals)")
    if rate is not None:
        p["prefix_hit_rate"] = rate


def _concurrency(doc: Mapping[str, Any], raw: RawPoint, reader: Reader, value: Any) -> bool:
    """The run's concurrency from its input_config; else derived (Little's law, or throughput per user)."""
    p = raw.point
    phases = dig(doc, "input_config", "phases")
    if isinstance(phases, list):
        profiling = [
            (i, ph)
            for i, ph in enumerate(phases)
            if isinstance(ph, Mapping)
            and ph.get("concurrency") is not None
            and (ph.get("kind") or ph.get("name")) != "warmup"
            and not ph.get("exclude_from_results")
        ]
        levels = {str(ph.get("concurrency")) for _, ph in profiling}
        if len(levels) == 1:
            i, phase = profiling[0]
            where = f"input_config.phases[{i}].concurrency"
            raw.sources["concurrency"] = where
            number = reader.as_number(phase.get("concurrency"), where)
            if number is None:
                return False
            p["concurrency"] = whole(number) or 0
            return True
        if len(levels) > 1:
            raw.note(f"profiling phases at concurrencies {', '.join(sorted(levels))}: the export aggregates them")
    conc_path = next((path for path in _CONCURRENCY_PATHS if dig(doc, *path) is not None), None)
    if conc_path is not None:
        where = ".".join(map(str, conc_path))
        raw.sources["concurrency"] = where
        number = reader.as_number(dig(doc, *conc_path), where)
        conc = None if number is None else stated_count(number, where, reader)
        if conc is None:
            return False
        p["concurrency"] = conc
        return True
    count, latency_ms, duration_ms = (
        value("request_count", "avg"),
        value("request_latency", "avg"),
        value("benchmark_duration", "avg"),
    )
    little = littles_law(count, latency_ms / 1e3 if latency_ms else None, duration_ms / 1e3 if duration_ms else None)
    per_user = value("output_token_throughput_per_user", "avg")
    if little is not None:
        p["concurrency"] = derived_concurrency(little)
        raw.sources["concurrency"] = "request_count"
        raw.note(
            f"concurrency {p['concurrency']} derived by Little's law (no input_config): request count {count:g}"
            f" x mean request latency {(latency_ms or 0) / 1e3:.4g} s"
            f" / benchmark duration {(duration_ms or 0) / 1e3:.4g} s"
        )
    elif per_user and "output_tok_s" in p:
        p["concurrency"] = derived_concurrency(p["output_tok_s"] / per_user)
        raw.sources["concurrency"] = "output_token_throughput_per_user"
        raw.note("concurrency derived as output throughput / per-user output throughput (no input_config)")
    else:
        reader.problem(
            "input_config",
            "no concurrency in input_config (loadgen.concurrency or phases[].concurrency), and no request count, "
            "mean request latency and benchmark duration to derive it from; cannot place the point",
        )
        return False
    reader.warn("concurrency", f"not in this file: concurrency {p['concurrency']} derived (see the profile notes)")
    return True


# ---------------------------------------------------------------------------------------------
# The CSV export: "Metric,avg,min,max,...,p50,...,p99,std" rows, then a "Metric,Value" section

_NAME_UNIT = re.compile(r"^(?P<name>.*?)\s*(?:\((?P<unit>[^()]*)\))?\s*$")


def is_aiperf_csv(cells: list[str]) -> bool:
    """Does a CSV header look like AIPerf's / GenAI-Perf's export (`Metric,avg,...` or `Metric,Value`)?"""
    names = [c.strip().lower() for c in cells]
    return len(names) >= 2 and names[0] == "metric" and ("avg" in names or names[1] == "value")


def metrics_from_csv(text: str, reader: Reader) -> dict[str, Any]:
    """The CSV export as the JSON export's metric blocks: {metric: {unit, avg, p50, ...}}."""
    doc: dict[str, Any] = {}
    columns: list[str] = []
    try:
        for n, row in enumerate(csv.reader(io.StringIO(text.lstrip("\ufeff"))), start=1):
            if not row or not any(cell.strip() for cell in row):
                continue
            if row[0].strip().lower() == "metric":
                columns = ["avg" if c.strip().lower() == "value" else c.strip().lower() for c in row]
                continue
            if not columns:
                reader.problem(f"row {n}", "a metric row before any 'Metric,...' header")
                continue
            match = _NAME_UNIT.match(row[0])
            name = match.group("name") if match else row[0]
            unit = match.group("unit") if match else None
            key = re.sub(r"\s+", "_", name.strip().lower())
            block: dict[str, Any] = {"unit": unit} if unit else {}
            for column, cell in zip(columns[1:], row[1:], strict=False):
                if cell.strip():
                    number = reader.as_number(cell, f"row {n}, {column}", strings=True)
                    if number is not None:
                        block[column] = number
            doc.setdefault(key, block)
    except csv.Error as e:
        reader.problem("file", f"malformed CSV: {e}")
    return doc


def parse_aiperf_csv(text: str, ctx: Context, reader: Reader) -> tuple[list[RawPoint], list[str]]:
    """The CSV export read like the JSON export (it has no input_config: no model, no concurrency)."""
    raws, notes = parse_aiperf(metrics_from_csv(text, reader), ctx, reader)
    notes.append("read from the AIPerf CSV export (the JSON export beside it also names the model and concurrency)")
    return raws, notes
