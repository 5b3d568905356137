"""vLLM's `vllm bench serve --save-result` JSON (one run per file; `--append-result` writes JSON lines; a
`vllm bench sweep` summary is a JSON list of runs) and forks of its client (InferenceX's benchmark_serving).

Read: max_concurrency, output_throughput, total_token_throughput (tok/s; vLLM's `total_token_throughput`
is SGLang's `total_throughput`), input_throughput where present (else total - output), median/p99 TTFT and
TPOT, median e2el (ms), completed, failed, spec_decode_acceptance_length, model_id, and the mean
input/output lengths from the token totals. A run without --max-concurrency is placed at its Little's-law
concurrency (completed x mean e2el / duration), noted. Other scalar keys that differ between the runs of
one file (a sweep's serve parameters such as max_num_seqs) are settings: their runs become separate
profiles. The GPU, GPU count, mode and precision are not in the file (an InferenceX multi-node result
names its GPUs in the file name: `..._gpus_16_ctx_8_gen_8.json`).

vLLM 0.34's diffusion (dLLM) counters, where a result carries them (at the top or in a `server_metrics` /
`metrics` object, as scraped from Prometheus: `vllm:diffusion_num_committed_tokens`,
`vllm:diffusion_num_denoising_steps`, with or without the `vllm:` prefix), give tokens per forward = committed
tokens / denoising steps.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from calculator.data.importers._common import (
    Context,
    RawPoint,
    Reader,
    littles_law_concurrency,
    set_concurrency,
    sub,
    whole,
)
from calculator.data.importers._ids import model_id

# `--backend` values naming the server behind the client.
_ENGINES: dict[str, str] = {
    "vllm": "vllm",
    "vllm-chat": "vllm",
    "sglang": "sglang",
    "lmdeploy": "lmdeploy",
    "tgi": "tgi",
    "tensorrt-llm": "tensorrt-llm",
    "deepspeed-mii": "deepspeed-mii",
    "llama.cpp": "llama.cpp",
}
_METRICS: tuple[tuple[str, str], ...] = (
    ("output_tok_s", "output_throughput"),
    ("total_tok_s", "total_token_throughput"),
    ("input_tok_s", "input_throughput"),
    ("ttft_ms_p50", "median_ttft_ms"),
    ("ttft_ms_p99", "p99_ttft_ms"),
    ("tpot_ms_p50", "median_tpot_ms"),
    ("tpot_ms_p99", "p99_tpot_ms"),
    ("e2e_ms_p50", "median_e2el_ms"),
    ("accept_length", "spec_decode_acceptance_length"),
    ("requests_completed", "completed"),
    ("requests_failed", "failed"),
)
# The replica's parallelism where a run states it (vLLM's --metadata tp=8 pp=2 nnodes=2, or a harness's own keys).
_PARALLEL_KEYS: dict[str, tuple[str, ...]] = {
    "tp": ("tensor_parallel_size", "tp_size", "tp"),
    "pp": ("pipeline_parallel_size", "pp_size", "pp"),
    "dp": ("data_parallel_size", "dp_size", "dp"),
    "nodes": ("nnodes", "num_nodes", "nodes"),
}
_READ = frozenset(
    {key for _, key in _METRICS}
    | {"max_concurrency", "model_id", "backend", "label", "total_input_tokens", "total_output_tokens"}
    | {key for keys in _PARALLEL_KEYS.values() for key in keys}
    | {"date"}  # the run's own date: the measurement's date (file_date)
)
# Keys that describe one run (its measurements and bookkeeping), never a setting that splits profiles.
_RUN_KEYS = frozenset(
    _READ
    | {"date", "duration", "request_throughput", "request_goodput", "request_goodput:", "max_output_tokens_per_s"}
    | {"max_concurrent_requests", "rtfx", "run_number", "num_prompts", "tokenizer_id", "endpoint_type"}
    | {"request_rate", "best_of", "start_time", "end_time"}
)
_STAT_KEY = re.compile(
    r"^(mean|median|std|min|max|p\d+(\.\d+)?)_(ttft|tpot|itl|e2el)(_ms)?$|^spec_decode_|^(vllm:)?diffusion_"
)
# InferenceX's multi-node runs name their GPUs in the file name: ..._gpus_16_ctx_8_gen_8.json
_GPUS_IN_NAME = re.compile(r"gpus_(\d+)_ctx_(\d+)_gen_(\d+)")


def parse_vllm(records: list[tuple[str, Any]], ctx: Context, reader: Reader) -> tuple[list[RawPoint], list[str]]:
    """One RawPoint per result object; problems go to `reader`."""
    raws: list[RawPoint] = []
    runs = [(where, rec) for where, rec in records if isinstance(rec, Mapping)]
    settings = _varying_settings([rec for _, rec in runs])
    for where, rec in records:
        if not isinstance(rec, Mapping):
            reader.problem(where, "expected a JSON object (one benchmark run)")
            continue
        raw = RawPoint(where)
        read = set(_READ)
        conc = _concurrency(rec, where, raw, reader, read)
        if conc is None:
            continue
        p = raw.point
        p["concurrency"] = conc
        for target, key in _METRICS:
            value = reader.num(rec, key, where, required=target == "output_tok_s")
            raw.sources[target] = sub(where, key)
            if value is not None:
                p[target] = round(value) if target.startswith("requests_") else value
        total, output = p.get("total_tok_s"), p.get("output_tok_s")
        if "input_tok_s" not in p and total is not None and output is not None and total >= output:
            p["input_tok_s"] = total - output
        read |= _diffusion(rec, where, raw, reader)
        _meta(rec, where, raw, reader, ctx, settings)
        reader.unread(rec, read | settings.keys())
        raws.append(raw)
    return raws, []


_COMMITTED = "diffusion_num_committed_tokens"
_STEPS = "diffusion_num_denoising_steps"


def _diffusion(rec: Mapping[str, Any], where: str, raw: RawPoint, reader: Reader) -> set[str]:
    """Tokens per forward from vLLM's diffusion counters (committed tokens / denoising steps); the keys read."""
    for block_key in ("", "server_metrics", "metrics"):
        block = rec if not block_key else rec.get(block_key)
        if not isinstance(block, Mapping):
            continue
        names = {str(k).removeprefix("vllm:"): k for k in block}
        if _COMMITTED not in names or _STEPS not in names:
            continue
        at = sub(where, block_key) if block_key else where
        committed = reader.num(block, names[_COMMITTED], at, strings=True)
        steps = reader.num(block, names[_STEPS], at, strings=True)
        if committed is not None and steps:
            raw.point["tokens_per_forward"] = committed / steps
            raw.sources["tokens_per_forward"] = sub(at, str(names[_COMMITTED]))
            raw.note(
                f"tokens per forward {committed / steps:.4g} = {committed:g} committed tokens / {steps:g} denoising "
                "steps (vLLM diffusion counters)"
            )
        return {block_key} if block_key else {str(names[_COMMITTED]), str(names[_STEPS])}
    return set()


def _varying_settings(recs: list[Mapping[str, Any]]) -> dict[str, None]:
    """Scalar keys (not measurements) whose values differ between the runs: the settings a sweep varied."""
    values: dict[str, set[Any]] = {}
    for rec in recs:
        for key, value in rec.items():
            if key in _RUN_KEYS or _STAT_KEY.match(str(key)) or not isinstance(value, str | int | float | bool):
                continue
            values.setdefault(key, set()).add(value)
    return {key: None for key, seen in values.items() if len(seen) > 1}


def _concurrency(rec: Mapping[str, Any], where: str, raw: RawPoint, reader: Reader, read: set[str]) -> int | None:
    present, conc = set_concurrency(rec, "max_concurrency", where, raw, reader)
    if present:
        return conc
    value = littles_law_concurrency(rec, "mean_e2el_ms", where, raw, reader, read)
    if value == 0:  # impossible figures, already said
        return None
    if value is not None:
        reader.warn(sub(where, "max_concurrency"), f"no --max-concurrency: concurrency {value} derived by Little's law")
        return value
    rate = rec.get("request_rate")
    prompts = reader.num(rec, "num_prompts", where)
    unlimited = rate in ("inf", "Infinity") or (isinstance(rate, float) and math.isinf(rate))
    if unlimited and prompts:
        read.add("num_prompts")
        raw.sources["concurrency"] = sub(where, "num_prompts")
        raw.note(f"{where or 'run'}: no --max-concurrency at an unlimited rate: placed at num_prompts {prompts:g}")
        reader.warn(sub(where, "max_concurrency"), "no --max-concurrency and no mean_e2el_ms: placed at num_prompts")
        return whole(prompts) or 0
    reader.problem(
        sub(where, "max_concurrency"),
        "missing: a run without --max-concurrency needs completed, mean_e2el_ms and duration to derive its "
        "concurrency (or rerun with --max-concurrency)",
    )
    return None


def _meta(
    rec: Mapping[str, Any], where: str, raw: RawPoint, reader: Reader, ctx: Context, settings: Mapping[str, None]
) -> None:
    meta = raw.meta
    name = reader.text(rec, "model_id", where)
    if name:
        meta["model"] = model_id(name)
        meta["model_name"] = name
        raw.sources["model"] = sub(where, "model_id")
    backend = (reader.text(rec, "backend", where) or "vllm").lower()
    if backend in _ENGINES:
        meta["engine"] = _ENGINES[backend]
    else:
        raw.assumed["engine"] = ("vllm", f"backend {backend!r} names the API the client spoke, not the server")
    completed = reader.num(rec, "completed", where)
    if completed:
        total_in = reader.num(rec, "total_input_tokens", where)
        total_out = reader.num(rec, "total_output_tokens", where)
        meta["isl"] = total_in / completed if total_in else None
        meta["osl"] = total_out / completed if total_out else None
        meta["lengths_measured"] = True
    labels = []
    label = reader.text(rec, "label", where)
    if label:
        labels.append(label)
    labels += [f"{key}={rec[key]}" for key in settings if rec.get(key) is not None]
    if labels:
        meta["label"] = " ".join(labels)
        raw.note(f"label {meta['label']}")
    _parallelism(rec, where, raw, reader)
    stamp = file_date(rec.get("date"))
    if stamp:
        meta["file_date"] = stamp
        raw.sources["date"] = sub(where, "date")
    in_name = _GPUS_IN_NAME.search(ctx.name)
    if in_name:
        gpus, prefill, decode = (int(g) for g in in_name.groups())
        if gpus >= 1:
            meta.update(gpus_per_replica=gpus, tp=gpus, pp=1, dp=1)
            raw.sources["gpus_per_replica"] = "file name"
            meta["label"] = " ".join(filter(None, [meta.get("label"), f"disaggregated {prefill} ctx + {decode} gen"]))
            raw.note(
                f"gpus_per_replica {gpus} read from the file name {ctx.name!r} (InferenceX multi-node naming: "
                f"{prefill} context + {decode} generation GPUs)"
            )


_STAMP = re.compile(r"^(\d{4})(\d{2})(\d{2})-\d{6}$")  # benchmark_serving's "date": 20260428-094424
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")


def file_date(value: Any) -> str | None:
    """A result file's own date as YYYY-MM-DD (benchmark_serving's 20260428-094424, or an ISO date or timestamp);
    None where it has none or it does not read as a calendar date."""
    import datetime as dt

    if not isinstance(value, str):
        return None
    m = _STAMP.match(value.strip()) or _ISO_DATE.match(value.strip())
    if not m:
        return None
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3])).isoformat()
    except ValueError:
        return None


def _parallelism(rec: Mapping[str, Any], where: str, raw: RawPoint, reader: Reader) -> None:
    """GPUs per replica from the run's stated parallelism: TP x PP x DP; where it states nodes but no PP, TP is per
    node and the replica spans the nodes (TP x nodes x DP). Nothing stated: left to the assembly's default (assumed
    1, with a warning)."""
    found: dict[str, int] = {}
    for name, keys in _PARALLEL_KEYS.items():
        for key in keys:
            value = reader.num(rec, key, where, strings=True)
            if value is not None and value >= 1 and float(value).is_integer():
                found[name] = int(value)
                raw.sources.setdefault("gpus_per_replica", sub(where, key))
                break
    if "tp" not in found and "pp" not in found:
        return
    tp, pp, dp, nodes = (found.get(k, 1) for k in ("tp", "pp", "dp", "nodes"))
    if "pp" not in found and nodes > 1:
        pp = nodes
    gpus = tp * pp * dp
    raw.meta.update(gpus_per_replica=gpus, tp=tp, pp=pp, dp=dp)
    stated = ", ".join(f"{k} {v}" for k, v in found.items())
    raw.note(f"gpus_per_replica {gpus} from the run's parallelism ({stated})")
