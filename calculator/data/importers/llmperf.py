"""llmperf's `*_summary.json` (token_benchmark_ray.py): one run, one concurrency, flat keys, times
in seconds; and the summaries of llmperf forks that key one entry per concurrency
(`{"1": {"concurrency": 1, "throughput_token_per_s": ..., "first-time-to-token_mean_in_ms": ...}, ...}`).

Read: num_concurrent_requests, results_mean_output_throughput_token_per_s (tok/s of the whole run),
results_ttft_s_quantiles_{p50,p99}, results_inter_token_latency_s_quantiles_{p50,p99} (= TPOT),
results_end_to_end_latency_s_quantiles_p50, results_num_completed_requests, results_number_errors,
results_num_completed_requests_per_min, mean_input_tokens, mean_output_tokens, model, framework (the
engine or hosted API). Input tokens/s is derived as completed requests per second x mean input tokens.
The forks give means only: they are kept in the notes, never stored as medians.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from calculator.data.importers._common import Context, RawPoint, Reader, scaled, stated_count, whole
from calculator.data.importers._ids import model_id

_METRICS: tuple[tuple[str, str, float], ...] = (
    ("output_tok_s", "results_mean_output_throughput_token_per_s", 1.0),
    ("ttft_ms_p50", "results_ttft_s_quantiles_p50", 1e3),
    ("ttft_ms_p99", "results_ttft_s_quantiles_p99", 1e3),
    ("tpot_ms_p50", "results_inter_token_latency_s_quantiles_p50", 1e3),
    ("tpot_ms_p99", "results_inter_token_latency_s_quantiles_p99", 1e3),
    ("e2e_ms_p50", "results_end_to_end_latency_s_quantiles_p50", 1e3),
)
_READ = frozenset(
    {key for _, key, _ in _METRICS}
    | {"num_concurrent_requests", "results_num_completed_requests", "results_number_errors", "model", "framework"}
    | {"results_num_completed_requests_per_min", "mean_input_tokens", "mean_output_tokens", "version"}
)
# A fork's per-concurrency entry: our field <- its key (the means are noted, not stored)
_FORK_READ = frozenset({"concurrency", "input_token_length", "output_token_length", "throughput_token_per_s"})
_FORK_MEANS: tuple[tuple[str, str], ...] = (
    ("TTFT", "first-time-to-token_mean_in_ms"),
    ("TPOT", "latency_ms_per_token"),
)


def is_fork_summary(doc: Mapping[str, Any]) -> bool:
    """A dict of per-concurrency entries, as llmperf forks write them."""
    first = next(iter(doc.values()), None) if doc else None
    return isinstance(first, Mapping) and "throughput_token_per_s" in first and "concurrency" in first


def parse_llmperf(doc: Mapping[str, Any], ctx: Context, reader: Reader) -> tuple[list[RawPoint], list[str]]:
    """One RawPoint for the run (or one per concurrency of a fork's summary); problems go to `reader`."""
    if is_fork_summary(doc):
        return _parse_fork(doc, reader)
    notes: list[str] = []
    raw = RawPoint("file")
    p = raw.point
    conc = reader.num(doc, "num_concurrent_requests", "", required=True)
    raw.sources["concurrency"] = "num_concurrent_requests"
    in_flight = None if conc is None else stated_count(conc, "num_concurrent_requests", reader)
    if in_flight is None:
        return [], notes
    p["concurrency"] = in_flight
    for target, key, scale in _METRICS:
        raw.sources[target] = key
        value = reader.num(doc, key, "")
        if value is not None:
            p[target] = scaled(value, scale)
    for target, key in (
        ("requests_completed", "results_num_completed_requests"),
        ("requests_failed", "results_number_errors"),
    ):
        count = reader.num(doc, key, "")
        if count is not None:
            p[target] = round(count)
    isl = reader.num(doc, "mean_input_tokens", "")
    osl = reader.num(doc, "mean_output_tokens", "")
    per_min = reader.num(doc, "results_num_completed_requests_per_min", "")
    if isl is not None and per_min is not None and "output_tok_s" in p:
        p["input_tok_s"] = scaled(isl * per_min, 1 / 60.0)
        p["total_tok_s"] = p["input_tok_s"] + p["output_tok_s"]
        notes.append("input and total tokens/s derived as completed requests/s x mean_input_tokens")
    name = reader.text(doc, "model", "")
    if name:
        raw.meta.update(model=model_id(name), model_name=name)
        raw.sources["model"] = "model"
    framework = reader.text(doc, "framework", "")
    if framework:
        raw.meta["engine"] = framework
    version = reader.text(doc, "version", "")
    if version:
        notes.append(f"llmperf {version}")
    raw.meta.update(isl=isl, osl=osl, lengths_measured=True)
    reader.unread(doc, _READ)
    return [raw], notes


def _parse_fork(doc: Mapping[str, Any], reader: Reader) -> tuple[list[RawPoint], list[str]]:
    raws: list[RawPoint] = []
    means: list[str] = []
    for key, entry in doc.items():
        where = str(key)
        if not isinstance(entry, Mapping):
            reader.problem(where, "expected an object (one concurrency's summary)")
            continue
        raw = RawPoint(where)
        conc = reader.num(entry, "concurrency", where, required=True)
        raw.sources["concurrency"] = f"{where}.concurrency"
        out = reader.num(entry, "throughput_token_per_s", where, required=True)
        raw.sources["output_tok_s"] = f"{where}.throughput_token_per_s"
        count = None if conc is None else stated_count(conc, f"{where}.concurrency", reader)
        if count is None or out is None:
            continue
        raw.point.update(concurrency=count, output_tok_s=out)
        isl = reader.num(entry, "input_token_length", where)
        osl = reader.num(entry, "output_token_length", where)
        raw.meta.update(isl=isl, osl=osl, lengths_measured=True)
        shown = [f"{label} {v:.4g} ms" for label, k in _FORK_MEANS if (v := reader.num(entry, k, where)) is not None]
        if shown:
            means.append(f"c{whole(conc)}: {', '.join(shown)}")
        reader.unread(entry, _FORK_READ | {k for _, k in _FORK_MEANS}, "<concurrency>")
        raws.append(raw)
    notes = ["summary of an llmperf fork (one entry per concurrency): output tokens/s = the run's mean throughput"]
    if means:
        notes.append("means only, not stored as medians: " + "; ".join(means))
        reader.warn("file", "this summary gives TTFT and TPOT as means only: kept in the notes, not as p50 latencies")
    return raws, notes
