"""Which format a file is in, from its content (never its name): our profile YAML/JSON, our CSV
template, or the result files of SGLang, vLLM, GuideLLM, AIPerf/GenAI-Perf (JSON or CSV export),
llmperf, InferenceX, and NLD's SGLang metrics summary.

`sniff()` also hands back what it parsed so an importer does not parse the file twice.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from calculator.data.errors import InputError, Problem, TooLarge
from calculator.data.importers._common import (
    MAX_COLUMNS,
    MAX_RECORDS,
    MAX_TABLE_ROWS,
    Reader,
    first_line,
    header_cells,
    json_constant,
    json_stream,
)
from calculator.data.importers.aiperf import is_aiperf_csv
from calculator.data.importers.inferencex import is_metrics_row, is_nested_row
from calculator.data.importers.inferencex_api import POWERX_CSV_REASON, is_api_export, is_powerx_csv
from calculator.data.importers.inferencex_feed import is_feed
from calculator.data.importers.llmperf import is_fork_summary
from calculator.data.importers.nld_summary import is_nld_summary
from calculator.data.loader import JSON_HOOKS, check_json_size, parse_yaml

FORMATS: tuple[str, ...] = (
    "profile",
    "csv",
    "sglang",
    "vllm",
    "guidellm",
    "aiperf",
    "llmperf",
    "inferencex",
    "nld_summary",
)

# Metric blocks AIPerf and GenAI-Perf write at the top level of their profile export.
AIPERF_METRICS: frozenset[str] = frozenset(
    {
        "output_token_throughput",
        "output_token_throughput_per_user",
        "time_to_first_token",
        "inter_token_latency",
        "request_latency",
        "request_throughput",
        "input_sequence_length",
        "output_sequence_length",
    }
)
_OTHER_DOCUMENTS: dict[str, str] = {
    "gpus": "a GPU catalog (hardware_profiles/gpus.yaml), not measurements",
    "offers": "a price list (hardware_profiles/prices.yaml), not measurements",
    "tpf": "a workload table (tokens per forward), not throughput measurements",
    "accuracy": "a workload table (accuracy), not throughput measurements",
}


@dataclass
class Sniffed:
    """A detected format with what detection already parsed: one document, or a stream of records."""

    fmt: str
    doc: Any = None
    records: list[tuple[str, Any]] | None = None
    reason: str = ""  # why the format is unknown, for the problem shown to the user
    delimiter: str = ","
    problems: list[Problem] = field(default_factory=list)  # bad stretches of a JSON stream


def detect(text: str, file: str) -> str:
    """The format of `text` by its content: one of FORMATS, or "unknown". Never raises."""
    try:
        return sniff(text, file).fmt
    except Exception:  # detection is a guess; a failure here must never take the caller down
        return "unknown"


def sniff(text: str, file: str) -> Sniffed:
    """Detect the format and keep the parsed content."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped:
        return Sniffed("unknown", reason="the file is empty")
    if stripped[0] in "{[":
        return _sniff_json(text, file)
    header = first_line(stripped)
    delimiter = csv_delimiter(header)
    cells = None
    if delimiter and header.count(delimiter) >= MAX_COLUMNS:  # not split into cells: a line of 10M cells is 800 MB
        lowered = header.lower()
        if ("concurrency" in lowered and "output_tok_s" in lowered) or "tput_per_gpu" in lowered:
            check_table_size(stripped, header.count(delimiter) + 1, file)
    elif delimiter:
        cells = header_cells(header, delimiter)
    if delimiter and cells is not None:
        columns = {c.strip().strip('"').strip().lower() for c in cells}
        table = ""
        if {"concurrency", "output_tok_s"} <= columns:
            table = "csv"
        elif "tput_per_gpu" in columns or "output_tput_per_gpu" in columns:
            table = "inferencex"
        elif is_aiperf_csv(cells):
            table = "aiperf"
        elif is_powerx_csv(columns):
            return Sniffed("unknown", reason=POWERX_CSV_REASON)
        if table:
            check_table_size(stripped, len(cells), file, MAX_TABLE_ROWS if table == "csv" else MAX_RECORDS)
            return Sniffed(table, delimiter=delimiter)
    try:
        doc = parse_yaml(text, file)
    except TooLarge:
        raise
    except InputError as e:
        first = e.problems[0]
        if delimiter:
            return Sniffed("unknown", reason="a table whose header is neither our CSV template nor InferenceX rows")
        return Sniffed("unknown", reason=f"not a format we read ({first.where}: {first.message})")
    fmt, reason = classify_document(doc)
    if fmt == "unknown" and delimiter:
        reason = "a table whose header is neither our CSV template (concurrency, output_tok_s, ...) nor InferenceX rows"
    return Sniffed(fmt, doc=doc, reason=reason)


def _sniff_json(text: str, file: str) -> Sniffed:
    check_json_size(text, file)
    try:
        doc = json.loads(text, parse_constant=json_constant, **JSON_HOOKS)
    except json.JSONDecodeError as e:
        reader = Reader(file)
        records = json_stream(text, reader)
        if records and isinstance(records[0][1], Mapping):
            fmt = classify_record(records[0][1])
            if fmt != "unknown":
                return Sniffed(fmt, records=records, problems=reader.problems)
        return Sniffed("unknown", reason=f"invalid JSON at line {e.lineno}, column {e.colno}: {e.msg}")
    except (ValueError, RecursionError) as e:
        return Sniffed(
            "unknown", reason=f"invalid JSON: {e}" if isinstance(e, ValueError) else "JSON nested too deeply"
        )
    fmt, reason = classify_document(doc)
    return Sniffed(fmt, doc=doc, reason=reason)


def classify_document(doc: Any) -> tuple[str, str]:
    """(format, reason-if-unknown) of one parsed JSON/YAML document."""
    if isinstance(doc, list):
        if doc and all(isinstance(r, Mapping) for r in doc):
            first = doc[0]
            flat = "tput_per_gpu" in first or "output_tput_per_gpu" in first
            if flat or is_nested_row(first) or is_metrics_row(first):
                return "inferencex", ""
            fmt = classify_record(first)
            if fmt != "unknown":
                return fmt, ""
        return "unknown", "a JSON list that is not InferenceX rows nor benchmark results"
    if not isinstance(doc, Mapping):
        return "unknown", "plain text or a single value, not a results document"
    if "profiles" in doc or ("points" in doc and ("provenance" in doc or "gpu" in doc)):
        if doc.get("kind") == "forward_cost":
            return "unknown", "a forward-cost surface (measurements/ output), not throughput measurements"
        return "profile", ""
    if doc.get("kind") == "forward_cost":
        return "unknown", "a forward-cost surface (measurements/ output), not throughput measurements"
    for key, what in _OTHER_DOCUMENTS.items():
        if key in doc:
            return "unknown", what
    if isinstance(doc.get("benchmarks"), list):
        return "guidellm", ""
    if is_nld_summary(doc):
        return "nld_summary", ""
    if is_nested_row(doc) or is_metrics_row(doc) or is_feed(doc) or is_api_export(doc):
        return "inferencex", ""
    records = doc.get("records")
    metrics: Mapping[Any, Any] = records if isinstance(records, Mapping) else doc
    if any(isinstance(metrics.get(k), Mapping) for k in AIPERF_METRICS):
        return "aiperf", ""
    if "num_concurrent_requests" in doc or any(str(k).startswith("results_") for k in doc) or is_fork_summary(doc):
        return "llmperf", ""
    if "tput_per_gpu" in doc or "output_tput_per_gpu" in doc:
        return "inferencex", ""
    fmt = classify_record(doc)
    if fmt != "unknown":
        return fmt, ""
    return "unknown", "none of the formats we read"


_SGLANG_KEY = re.compile(r"_(e2e_latency_ms)$")
_VLLM_KEY = re.compile(r"_(e2el_ms)$")


def classify_record(rec: Mapping[Any, Any]) -> str:
    """sglang or vllm for one benchmark-serving result object; "unknown" otherwise."""
    keys = [str(k) for k in rec]
    if "total_throughput" in rec or "server_info" in rec or any(_SGLANG_KEY.search(k) for k in keys):
        return "sglang"
    if "total_token_throughput" in rec or any(_VLLM_KEY.search(k) for k in keys):
        return "vllm"
    if "output_throughput" in rec:
        return "vllm" if "model_id" in rec else "sglang"
    return "unknown"


def check_table_size(text: str, columns: int, file: str, max_rows: int = MAX_TABLE_ROWS) -> None:
    """InputError for a table of more than MAX_COLUMNS columns or `max_rows` lines (our template: MAX_TABLE_ROWS,
    read column-wise; a foreign table's rows are records, MAX_RECORDS), before it is parsed."""
    if columns > MAX_COLUMNS:
        raise InputError(
            [Problem(file, "row 1", f"{columns:,} columns: at most {MAX_COLUMNS} are read (leave out the others)")]
        )
    lines = text.count("\n") or text.count("\r")
    if lines > max_rows + 1:
        raise InputError(
            [Problem(file, "file", f"{lines:,} lines: at most {max_rows:,} rows are read from a file (split it)")]
        )


def csv_delimiter(header: str) -> str:
    """The delimiter a CSV header line uses (, ; or tab), or "" if it does not look like a table header."""
    best, count = "", 0
    for d in (",", ";", "\t"):
        n = header.count(d)
        if n > count:
            best, count = d, n
    if count == 0 or header.lstrip().startswith(("-", "#", "{", "[")):
        return ""
    return best
