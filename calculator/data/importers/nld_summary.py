"""The `sglang_metrics_summary.json` that Nemotron-Labs-Diffusion's SGLang evaluation harness writes per
benchmark run: a `serving` block (request window, tokens, TTFT/TPOT/latency distributions in seconds) and a
`decode` block (forward passes, blocks, tokens per forward pass, acceptance rate).

One point per file. Read: the request window's output tokens/s (tokens over the time requests were in
flight; the wall-clock figures include the harness's idle time and are listed as ignored), TTFT, TPOT and
latency (s -> ms), request and failure counts, the mean prompt/completion lengths, and tokens per forward
pass. Concurrency is derived by Little's law (the requests' summed latency / the request window), noted.
The model, mode and GPU are not in the file; the engine is SGLang (the harness's), noted as assumed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from calculator.data.importers._common import Context, RawPoint, Reader, derived_concurrency, scaled

_SERVING_READ = frozenset(
    {"request_window_output_tokens_per_s", "request_window_time_s", "sum_request_latency_s", "completion_tokens"}
    | {"prompt_tokens", "request_count", "failed_request_count", "ttft_s", "tpot_s", "latency_s"}
)
_DECODE_READ = frozenset(
    {"tokens_per_forward_pass", "mean_tokens_per_block", "mean_forward_passes_per_block", "mean_acceptance_rate"}
)


def is_nld_summary(doc: Mapping[str, Any]) -> bool:
    return (
        isinstance(doc.get("serving"), Mapping)
        and isinstance(doc.get("decode"), Mapping)
        and "tokens_per_forward_pass" in doc["decode"]
    )


def parse_nld_summary(doc: Mapping[str, Any], ctx: Context, reader: Reader) -> tuple[list[RawPoint], list[str]]:
    """One RawPoint for the run; problems go to `reader`."""
    serving, decode = doc["serving"], doc["decode"]
    raw = RawPoint("serving")
    p = raw.point

    def num(key: str, obj: Mapping[str, Any] = serving, at: str = "serving", *, required: bool = False) -> float | None:
        return reader.num(obj, key, at, required=required)

    out = num("request_window_output_tokens_per_s", required=True)
    raw.sources["output_tok_s"] = "serving.request_window_output_tokens_per_s"
    window = num("request_window_time_s", required=True)
    busy = num("sum_request_latency_s", required=True)
    raw.sources["concurrency"] = "serving.sum_request_latency_s"
    if out is None or not window or busy is None or window <= 0:
        return [], []
    mean_in_flight = busy / window  # Little's law: the summed latency of the requests over their window
    p.update(concurrency=derived_concurrency(mean_in_flight), output_tok_s=out)
    raw.note(
        f"concurrency {p['concurrency']} derived by Little's law: summed request latency {busy:.4g} s / "
        f"request window {window:.4g} s = {mean_in_flight:.4g}"
    )
    reader.warn("concurrency", f"not in this file: concurrency {p['concurrency']} derived by Little's law")
    prompt = num("prompt_tokens")
    if prompt is not None:
        p["input_tok_s"] = prompt / window
        p["total_tok_s"] = prompt / window + out
    for target, block, stat in (
        ("ttft_ms_p50", "ttft_s", "p50"),
        ("ttft_ms_p99", "ttft_s", "p99"),
        ("tpot_ms_p50", "tpot_s", "p50"),
        ("tpot_ms_p99", "tpot_s", "p99"),
        ("e2e_ms_p50", "latency_s", "p50"),
    ):
        raw.sources[target] = f"serving.{block}.{stat}"
        value = reader.num(serving.get(block), stat, f"serving.{block}")
        if value is not None:
            p[target] = scaled(value, 1e3)  # seconds -> ms
    requests, failed = num("request_count"), num("failed_request_count")
    if requests is not None:
        p["requests_completed"] = round(requests - (failed or 0))
    if failed is not None:
        p["requests_failed"] = round(failed)
    tpf = reader.num(decode, "tokens_per_forward_pass", "decode")
    raw.sources["tokens_per_forward"] = "decode.tokens_per_forward_pass"
    if tpf is not None:
        p["tokens_per_forward"] = tpf
    completion = num("completion_tokens")
    if requests:
        raw.meta.update(
            isl=prompt / requests if prompt else None,
            osl=completion / requests if completion else None,
            lengths_measured=True,
        )
    benchmark = reader.text(doc, "benchmark", "")
    raw.meta["dataset"] = benchmark or ""
    raw.assumed["engine"] = ("sglang", "the NLD evaluation harness serves with SGLang")
    parts = [
        f"{label} {v:.4g}"
        for label, key in (
            ("tokens per block", "mean_tokens_per_block"),
            ("forward passes per block", "mean_forward_passes_per_block"),
            ("acceptance rate", "mean_acceptance_rate"),
        )
        if (v := reader.num(decode, key, "decode")) is not None
    ]
    notes = ["NLD SGLang metrics summary: output tokens/s over the request window"]
    if parts:
        notes.append("decode: " + ", ".join(parts))
    reader.unread(doc, {"serving", "decode", "benchmark"})
    reader.unread(serving, _SERVING_READ, "serving")
    reader.unread(decode, _DECODE_READ, "decode")
    return [raw], notes
