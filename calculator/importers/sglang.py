"""SGLang's benchmark client (`python -m sglang.benchmark.serving`, formerly `sglang.bench_serving`):
`--output-file` appends one JSON object per run, so a file holds several concurrency points.

Read: max_concurrency, output/input/total_throughput (tok/s), median/p99 TTFT and TPOT, median
end-to-end latency (ms), completed, accept_length, the random-dataset lengths, and from
`server_info` the model path, tp/pp/dp, dtype/quantization, speculative or diffusion algorithm,
version. `request_rate` may be `Infinity` (an unlimited rate). The GPU is never in the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from calculator.importers._common import (
    Context,
    RawPoint,
    Reader,
    dig,
    mode_from_algorithm,
    model_id,
    precision_id,
    sub,
    whole,
)

# SGLang's --backend names for the server the client talked to.
_ENGINES: dict[str, str] = {
    "sglang": "sglang",
    "sglang-native": "sglang",
    "sglang-oai": "sglang",
    "sglang-oai-chat": "sglang",
    "vllm": "vllm",
    "vllm-chat": "vllm",
    "lmdeploy": "lmdeploy",
    "trt": "tensorrt-llm",
    "gserver": "gserver",
    "truss": "truss",
}
# --dllm-algorithm values that decode by block diffusion, and Nemotron's own algorithms.
_DLLM_MODES: dict[str, str] = {
    "lowconfidence": "diffusion",
    "jointthreshold": "diffusion",
    "jointthresholdindel": "diffusion",
    "gemma4renoise": "diffusion",
    "fastdiffuser": "diffusion",
    "linearspec": "self_spec",
}


def parse_sglang(records: list[tuple[str, Any]], ctx: Context, reader: Reader) -> tuple[list[RawPoint], list[str]]:
    """One RawPoint per run object; problems go to `reader`."""
    raws: list[RawPoint] = []
    notes: list[str] = []
    for where, rec in records:
        if not isinstance(rec, Mapping):
            reader.problem(where, "expected a JSON object (one benchmark run)")
            continue
        raw = RawPoint(where)
        conc = reader.num(rec, "max_concurrency", where)
        raw.sources["concurrency"] = sub(where, "max_concurrency")
        if conc is None and rec.get("max_concurrency") is not None:
            continue  # present but not a number: already a problem
        if conc is None:
            measured = reader.num(rec, "concurrency", where)
            if measured is not None and measured >= 0.5:
                conc = measured
                raw.sources["concurrency"] = sub(where, "concurrency")
                notes.append("runs without --max-concurrency are placed at their measured mean concurrency")
            else:
                reader.problem(
                    sub(where, "max_concurrency"),
                    "missing: without --max-concurrency (and no measured concurrency) the run has no concurrency",
                )
                continue
        p = raw.point
        p["concurrency"] = whole(conc) or 0
        for target, key in (
            ("output_tok_s", "output_throughput"),
            ("total_tok_s", "total_throughput"),
            ("input_tok_s", "input_throughput"),
            ("ttft_ms_p50", "median_ttft_ms"),
            ("ttft_ms_p99", "p99_ttft_ms"),
            ("tpot_ms_p50", "median_tpot_ms"),
            ("tpot_ms_p99", "p99_tpot_ms"),
            ("e2e_ms_p50", "median_e2e_latency_ms"),
            ("accept_length", "accept_length"),
            ("requests_completed", "completed"),
        ):
            value = reader.num(rec, key, where, required=target == "output_tok_s")
            raw.sources[target] = sub(where, key)
            if value is not None:
                p[target] = round(value) if target == "requests_completed" else value
        _meta_from_record(rec, where, raw, reader)
        raws.append(raw)
    return raws, notes


def _meta_from_record(rec: Mapping[str, Any], where: str, raw: RawPoint, reader: Reader) -> None:
    meta = raw.meta
    backend = reader.text(rec, "backend", where)
    meta["engine"] = _ENGINES.get((backend or "sglang").lower(), backend or "sglang")
    tag = reader.text(rec, "tag", where)
    if tag:
        meta["label"] = tag
        meta["notes"] = [f"tag {tag}"]
    dataset = reader.text(rec, "dataset_name", where) or ""
    meta["dataset"] = dataset
    completed = reader.num(rec, "completed", where)
    ratio = reader.num(rec, "random_range_ratio", where)
    if dataset.startswith("random") and ratio == 1.0:
        meta["isl"] = whole(reader.num(rec, "random_input_len", where))
        meta["osl"] = whole(reader.num(rec, "random_output_len", where))
    elif completed:
        # sglang.bench_serving writes total_*_tokens; the newer sglang.benchmark.serving total_input/output
        in_key = "total_input_tokens" if "total_input_tokens" in rec else "total_input"
        out_key = "total_output_tokens" if "total_output_tokens" in rec else "total_output"
        total_in = reader.num(rec, in_key, where)
        total_out = reader.num(rec, out_key, where)
        meta["isl"] = total_in / completed if total_in else None
        meta["osl"] = total_out / completed if total_out else None
        meta["lengths_measured"] = True

    info = rec.get("server_info")
    if not isinstance(info, Mapping):
        return
    iw = sub(where, "server_info")
    path = reader.text(info, "model_path", iw) or reader.text(info, "served_model_name", iw)
    if path:
        meta["model"] = model_id(path)
        raw.sources["model"] = sub(iw, "model_path")
    version = reader.text(info, "version", iw)
    if version:
        meta["engine_version"] = version
    tp = whole(reader.num(info, "tp_size", iw)) or 1
    pp = whole(reader.num(info, "pp_size", iw)) or 1
    dp = whole(reader.num(info, "dp_size", iw)) or 1
    if info.get("enable_dp_attention"):
        dp = 1  # DP attention runs inside the TP group: no extra GPUs
    if min(tp, pp, dp) >= 1:
        meta.update(tp=tp, pp=pp, dp=dp, gpus_per_replica=tp * pp * dp)
    quant = reader.text(info, "quantization", iw)
    dtype = reader.text(info, "dtype", iw)
    precision = precision_id(quant) if quant else (precision_id(dtype) if dtype else None)
    if precision:
        meta["precision"] = precision
        raw.sources["precision"] = sub(iw, "quantization" if quant else "dtype")
    spec = reader.text(info, "speculative_algorithm", iw)
    dllm = reader.text(info, "dllm_algorithm", iw)
    if dllm:
        meta["mode"] = _DLLM_MODES.get(dllm.lower(), "diffusion")
        meta["algorithm"] = dllm
    else:
        meta["mode"] = mode_from_algorithm(spec)
        if spec:
            meta["algorithm"] = spec
            meta["draft_tokens"] = whole(reader.num(info, "speculative_num_draft_tokens", iw))
    raw.sources["mode"] = sub(iw, "dllm_algorithm" if dllm else "speculative_algorithm")
    if "accept_length" not in raw.point:
        accept = dig(info, "internal_states", 0, "avg_spec_accept_length")
        if accept is not None and spec:
            value = reader.as_number(accept, sub(iw, "internal_states[0].avg_spec_accept_length"))
            if value is not None:
                raw.point["accept_length"] = value
                raw.sources["accept_length"] = sub(iw, "internal_states[0].avg_spec_accept_length")
