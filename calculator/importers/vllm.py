"""vLLM's `vllm bench serve --save-result` JSON (one run per file; `--append-result` writes JSON lines).

Read: max_concurrency, output_throughput and total_token_throughput (tok/s; vLLM's
`total_token_throughput` is SGLang's `total_throughput`), median/p99 TTFT and TPOT, median e2el (ms),
completed, failed, model_id, and the mean input/output lengths from the token totals. The GPU,
mode and precision are not in the file.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from calculator.importers._common import Context, RawPoint, Reader, model_id, sub, whole

# `--backend` values naming the server behind the client; the OpenAI-style ones default to vLLM.
_ENGINES: dict[str, str] = {
    "sglang": "sglang",
    "lmdeploy": "lmdeploy",
    "tgi": "tgi",
    "tensorrt-llm": "tensorrt-llm",
    "deepspeed-mii": "deepspeed-mii",
    "llama.cpp": "llama.cpp",
}


def parse_vllm(records: list[tuple[str, Any]], ctx: Context, reader: Reader) -> tuple[list[RawPoint], list[str]]:
    """One RawPoint per result object; problems go to `reader`."""
    raws: list[RawPoint] = []
    notes: list[str] = []
    for where, rec in records:
        if not isinstance(rec, Mapping):
            reader.problem(where, "expected a JSON object (one benchmark run)")
            continue
        raw = RawPoint(where)
        raw.sources["concurrency"] = sub(where, "max_concurrency")
        conc = reader.num(rec, "max_concurrency", where)
        if conc is None and rec.get("max_concurrency") is not None:
            continue  # present but not a number: already a problem
        if conc is None:
            rate = rec.get("request_rate")
            prompts = reader.num(rec, "num_prompts", where)
            unlimited = rate in ("inf", "Infinity") or (isinstance(rate, float) and math.isinf(rate))
            if unlimited and prompts:
                conc = prompts
                raw.sources["concurrency"] = sub(where, "num_prompts")
                notes.append("runs without --max-concurrency at an unlimited rate are placed at num_prompts")
            else:
                reader.problem(
                    sub(where, "max_concurrency"),
                    "missing: a run without --max-concurrency has no fixed concurrency (rerun with --max-concurrency)",
                )
                continue
        p = raw.point
        p["concurrency"] = whole(conc) or 0
        for target, key in (
            ("output_tok_s", "output_throughput"),
            ("total_tok_s", "total_token_throughput"),
            ("ttft_ms_p50", "median_ttft_ms"),
            ("ttft_ms_p99", "p99_ttft_ms"),
            ("tpot_ms_p50", "median_tpot_ms"),
            ("tpot_ms_p99", "p99_tpot_ms"),
            ("e2e_ms_p50", "median_e2el_ms"),
            ("requests_completed", "completed"),
            ("requests_failed", "failed"),
        ):
            value = reader.num(rec, key, where, required=target == "output_tok_s")
            raw.sources[target] = sub(where, key)
            if value is not None:
                p[target] = round(value) if target.startswith("requests_") else value
        total, output = p.get("total_tok_s"), p.get("output_tok_s")
        if total is not None and output is not None and total >= output:
            p["input_tok_s"] = total - output
        meta = raw.meta
        name = reader.text(rec, "model_id", where)
        if name:
            meta["model"] = model_id(name)
            raw.sources["model"] = sub(where, "model_id")
        backend = (reader.text(rec, "backend", where) or "vllm").lower()
        meta["engine"] = _ENGINES.get(backend, "vllm")
        completed = reader.num(rec, "completed", where)
        if completed:
            total_in = reader.num(rec, "total_input_tokens", where)
            total_out = reader.num(rec, "total_output_tokens", where)
            meta["isl"] = total_in / completed if total_in else None
            meta["osl"] = total_out / completed if total_out else None
            meta["lengths_measured"] = True
        label = reader.text(rec, "label", where)
        if label:
            meta["label"] = label
            meta["notes"] = [f"label {label}"]
        raws.append(raw)
    return raws, notes
