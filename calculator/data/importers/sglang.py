"""SGLang's benchmark client (`python -m sglang.benchmark.serving`, formerly `sglang.bench_serving`):
`--output-file` appends one JSON object per run, so a file holds several concurrency points.

Read: max_concurrency, output/input/total_throughput (tok/s), median/p99 TTFT and TPOT, median
end-to-end latency (ms), completed, accept_length, the random-dataset lengths, and from `server_info`
the model path, tp/pp/dp, dtype/quantization, speculative or diffusion algorithm, block size, version; a
router (PD) run's `server_info` lists its `prefill[]` and `decode[]` servers, whose GPUs are summed.
Clients older than `max_concurrency` (or runs without it) are placed at a derived concurrency: the
client's measured mean `concurrency`, else Little's law (completed x mean e2e latency / duration), noted.
`request_rate` may be `Infinity` (an unlimited rate). The GPU is never in the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from calculator.data.importers._common import (
    Context,
    RawPoint,
    Reader,
    derived_concurrency,
    dig,
    littles_law_concurrency,
    set_concurrency,
    sub,
    whole,
)
from calculator.data.importers._ids import mode_from_algorithm, model_id, precision_id

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
# result key -> ProfilePoint field
_METRICS: tuple[tuple[str, str], ...] = (
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
)
_ALWAYS_READ = frozenset(
    {key for _, key in _METRICS}
    | {"backend", "tag", "dataset_name", "max_concurrency", "random_input_len", "random_output_len"}
    | {"random_range_ratio", "server_info", "total_input_tokens", "total_output_tokens", "total_input"}
    | {"total_output"}
)
_SERVER_KEYS = frozenset(
    {"model_path", "served_model_name", "version", "tp_size", "pp_size", "dp_size", "enable_dp_attention"}
    | {"quantization", "dtype", "speculative_algorithm", "dllm_algorithm", "speculative_num_draft_tokens"}
    | {"dllm_block_size", "internal_states", "prefill", "decode", "prefill_servers", "decode_servers"}
    | {"disaggregation_mode"}
)
MAX_NAMED = 8  # lines named in a file-level warning


def parse_sglang(records: list[tuple[str, Any]], ctx: Context, reader: Reader) -> tuple[list[RawPoint], list[str]]:
    """One RawPoint per run object; problems go to `reader`."""
    raws: list[RawPoint] = []
    derived: list[str] = []
    for where, rec in records:
        if not isinstance(rec, Mapping):
            reader.problem(where, "expected a JSON object (one benchmark run)")
            continue
        raw = RawPoint(where)
        read = set(_ALWAYS_READ)
        conc = _concurrency(rec, where, raw, reader, read)
        if conc is None:
            continue
        if raw.sources["concurrency"] != sub(where, "max_concurrency"):
            derived.append(where or "the run")
        p = raw.point
        p["concurrency"] = conc
        for target, key in _METRICS:
            value = reader.num(rec, key, where, required=target == "output_tok_s")
            raw.sources[target] = sub(where, key)
            if value is not None:
                p[target] = round(value) if target == "requests_completed" else value
        if "tpot_ms_p50" not in p and rec.get("median_itl_ms") is not None:
            itl = reader.num(rec, "median_itl_ms", where)
            read.add("median_itl_ms")
            if itl is not None:
                p["tpot_ms_p50"] = itl
                raw.sources["tpot_ms_p50"] = sub(where, "median_itl_ms")
                raw.note("TPOT p50 taken as the median ITL (this client version writes no TPOT)")
        _meta_from_record(rec, where, raw, reader)
        reader.unread(rec, read)
        raws.append(raw)
    if derived:
        named = ", ".join(derived[:MAX_NAMED]) + (" ..." if len(derived) > MAX_NAMED else "")
        reader.warn(
            "max_concurrency",
            f"runs without --max-concurrency ({named}) are placed at a derived concurrency "
            "(the client's measured mean, else Little's law); see the profile notes",
        )
    return raws, []


def _concurrency(rec: Mapping[str, Any], where: str, raw: RawPoint, reader: Reader, read: set[str]) -> int | None:
    """The run's concurrency: --max-concurrency, else derived (and noted); None with a problem if neither."""
    present, conc = set_concurrency(rec, "max_concurrency", where, raw, reader)
    if present:
        return conc
    measured = reader.num(rec, "concurrency", where)
    if measured is not None and measured > 0:
        read.add("concurrency")
        raw.sources["concurrency"] = sub(where, "concurrency")
        value = derived_concurrency(measured)
        raw.note(
            f"{where or 'the run'}: concurrency {value} derived (no --max-concurrency): the client's measured mean"
            f" concurrency {measured:.4g}"
        )
        return value
    little = littles_law_concurrency(rec, "mean_e2e_latency_ms", where, raw, reader, read)
    if little == 0:  # impossible figures, already said
        return None
    if little is None:
        reader.problem(
            sub(where, "max_concurrency"),
            "missing: a run without --max-concurrency needs completed, mean_e2e_latency_ms and duration "
            "to derive its concurrency",
        )
    return little


def _meta_from_record(rec: Mapping[str, Any], where: str, raw: RawPoint, reader: Reader) -> None:
    meta = raw.meta
    backend = reader.text(rec, "backend", where)
    meta["engine"] = _ENGINES.get((backend or "sglang").lower(), backend or "sglang")
    tag = reader.text(rec, "tag", where)
    if tag:
        meta["label"] = tag
        raw.note(f"tag {tag}")
    dataset = reader.text(rec, "dataset_name", where) or ""
    meta["dataset"] = dataset
    completed = reader.num(rec, "completed", where)
    ratio = reader.num(rec, "random_range_ratio", where)
    if dataset.startswith("random") and ratio == 1.0:
        meta["isl"] = whole(reader.num(rec, "random_input_len", where))
        meta["osl"] = whole(reader.num(rec, "random_output_len", where))
    elif completed:
        if dataset.startswith("random"):  # lengths drawn around the configured ones: one profile per setting
            meta["length_key"] = (rec.get("random_input_len"), rec.get("random_output_len"), ratio)
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
    prefill = _servers(info, "prefill", "prefill_servers")
    decode = _servers(info, "decode", "decode_servers")
    if prefill is not None or decode is not None:
        _router_info(prefill or [], decode or [], iw, raw, reader, prefill_listed=prefill is not None)
        return
    _server_meta(info, iw, raw, reader)
    gpus = _server_gpus(info, iw, reader)
    if gpus is not None:
        tp, pp, dp = gpus
        role = str(info.get("disaggregation_mode") or "null").lower()
        if role in ("prefill", "decode"):  # one server of a PD deployment: the others' GPUs are not in the file
            raw.assumed["gpus_per_replica"] = (
                tp * pp * dp,
                f"the file describes one {role} server of a prefill/decode-disaggregated deployment; the other "
                "servers' GPUs are not in it",
            )
        else:
            meta.update(tp=tp, pp=pp, dp=dp, gpus_per_replica=tp * pp * dp)
            raw.sources["gpus_per_replica"] = sub(iw, "tp_size")
    reader.unread(info, _SERVER_KEYS, "server_info")


def _servers(info: Mapping[str, Any], *keys: str) -> list[Any] | None:
    """A router's list of servers under the first of `keys` present (one server object counts as a list of one)."""
    for key in keys:
        value = info.get(key)
        if isinstance(value, list):
            return value
        if isinstance(value, Mapping):
            return [value]
    return None


def _server_gpus(info: Mapping[str, Any], iw: str, reader: Reader) -> tuple[int, int, int] | None:
    """tp, pp, dp of one server from its server_info (DP attention runs inside the TP group: no extra GPUs)."""
    if info.get("tp_size") is None:
        return None
    tp = whole(reader.num(info, "tp_size", iw)) or 1
    pp = whole(reader.num(info, "pp_size", iw)) or 1
    dp = whole(reader.num(info, "dp_size", iw)) or 1
    if info.get("enable_dp_attention"):
        dp = 1
    return (tp, pp, dp) if min(tp, pp, dp) >= 1 else None


def _server_meta(info: Mapping[str, Any], iw: str, raw: RawPoint, reader: Reader) -> None:
    """Model, version, precision, mode and acceptance length from one server's server_info."""
    meta = raw.meta
    path = reader.text(info, "model_path", iw) or reader.text(info, "served_model_name", iw)
    if path:
        meta["model"] = model_id(path)
        meta["model_name"] = path
        raw.sources["model"] = sub(iw, "model_path")
    version = reader.text(info, "version", iw)
    if version:
        meta.setdefault("engine_version", version)
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
        block = whole(reader.num(info, "dllm_block_size", iw))
        if block:
            meta["block_size"] = block
    elif "speculative_algorithm" in info or "dllm_algorithm" in info:  # the server says which decoding it ran
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


def _router_info(
    prefill: list[Any], decode: list[Any], iw: str, raw: RawPoint, reader: Reader, *, prefill_listed: bool = True
) -> None:
    """A prefill/decode-disaggregated run behind SGLang's router: GPUs summed over its servers. SGLang's PD router
    (sgl-router's get_server_info) returns `{internal_states, decode_servers}` without its prefill servers: their
    GPUs are then at least 1, assumed and warned about, so the user's --gpus-per-replica can fill them in."""
    meta = raw.meta
    servers = [("prefill", i, s) for i, s in enumerate(prefill)] + [("decode", i, s) for i, s in enumerate(decode)]
    gpus, unknown = 0, 0
    versions: dict[str, None] = {}
    for role, i, server in servers:
        if not isinstance(server, Mapping):
            unknown += 1
            continue
        sw = f"{iw}.{role}[{i}]"
        parallel = _server_gpus(server, sw, reader)
        if parallel is None:
            unknown += 1
        else:
            gpus += parallel[0] * parallel[1] * parallel[2]
        version = reader.text(server, "version", sw)
        if version:
            versions[version] = None
        reader.unread(server, _SERVER_KEYS, f"server_info.{role}[]")
    main = next((s for s in [*decode, *prefill] if isinstance(s, Mapping)), None)
    if main is not None:
        role = "decode" if decode and main is decode[0] else "prefill"
        _server_meta(main, f"{iw}.{role}[0]", raw, reader)
    if versions:
        meta["engine_version"] = " / ".join(versions)
    layout = f"disaggregated: {len(prefill)} prefill + {len(decode)} decode servers"
    if not prefill_listed:
        layout = f"disaggregated: {len(decode)} decode servers (prefill servers not listed)"
    meta["label"] = f"{meta['label']} {layout}" if meta.get("label") else layout
    if not prefill_listed:
        total = gpus + unknown + 1
        raw.assumed["gpus_per_replica"] = (
            total,
            f"the router lists its {len(decode)} decode servers ({gpus + unknown} GPUs) but not its prefill "
            "servers: 1 prefill GPU assumed (a lower bound)",
        )
        raw.note(f"{layout}; prefill GPUs not in the file")
        return
    if unknown:
        total = gpus + unknown
        raw.assumed["gpus_per_replica"] = (
            total,
            f"{unknown} of the {len(servers)} router servers do not state their GPUs (1 each assumed)",
        )
        raw.note(f"{layout}; GPUs of {unknown} servers not in the file")
        return
    meta.update(tp=gpus, pp=1, dp=1, gpus_per_replica=gpus)
    raw.sources["gpus_per_replica"] = sub(iw, "prefill")
    raw.note(f"{layout}, {gpus} GPUs in all (prefill + decode, each tp x pp x dp)")
