"""llmperf's `*_summary.json` (token_benchmark_ray.py): one run, one concurrency, flat keys, times
in seconds.

Read: num_concurrent_requests, results_mean_output_throughput_token_per_s (tok/s of the whole run),
results_ttft_s_quantiles_{p50,p99}, results_inter_token_latency_s_quantiles_{p50,p99} (= TPOT),
results_end_to_end_latency_s_quantiles_p50, results_num_completed_requests, results_number_errors,
results_num_completed_requests_per_min, mean_input_tokens, mean_output_tokens, model.
Input tokens/s is derived as completed requests per second x mean input tokens.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from calculator.importers._common import Context, RawPoint, Reader, model_id, scaled, sub, whole


def parse_llmperf(doc: Mapping[str, Any], ctx: Context, reader: Reader) -> tuple[list[RawPoint], list[str]]:
    """One RawPoint for the run; problems go to `reader`."""
    notes: list[str] = []
    raw = RawPoint("file")
    p = raw.point
    conc = reader.num(doc, "num_concurrent_requests", "", required=True)
    raw.sources["concurrency"] = "num_concurrent_requests"
    if conc is None:
        return [], notes
    p["concurrency"] = whole(conc) or 0
    for target, key, scale in (
        ("output_tok_s", "results_mean_output_throughput_token_per_s", 1.0),
        ("ttft_ms_p50", "results_ttft_s_quantiles_p50", 1e3),
        ("ttft_ms_p99", "results_ttft_s_quantiles_p99", 1e3),
        ("tpot_ms_p50", "results_inter_token_latency_s_quantiles_p50", 1e3),
        ("tpot_ms_p99", "results_inter_token_latency_s_quantiles_p99", 1e3),
        ("e2e_ms_p50", "results_end_to_end_latency_s_quantiles_p50", 1e3),
    ):
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
        raw.meta["model"] = model_id(name)
        raw.sources["model"] = sub("", "model")
    raw.meta.update(isl=isl, osl=osl, lengths_measured=True)
    return [raw], notes
