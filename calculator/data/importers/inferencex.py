"""InferenceX (SemiAnalysis) aggregated result rows, as a JSON list (or one object) or a CSV table, in
the three layouts seen in the field:

- classic rows: hw, model, framework, precision, spec_decoding, isl, osl, conc, tp, pp, ep,
  tput_per_gpu, output_tput_per_gpu, input_tput_per_gpu, median/p99 ttft and tpot, median_e2el,
  median_intvty (times in seconds);
- agentic rows (`agg_bmk.json`): the same plus `offloading`, request counts, measured token means, the
  replica's `*_tput_tps`, and latencies as means and p75-p95 only (kept in the notes, never as medians);
- the nested agentic schema: `request_metrics.{throughput, latency, tokens}` (seconds), `num_gpus`,
  `kv_offloading`, power and cache figures (listed as ignored); `users` may stand in for `conc`;
- supplemental / API rows: the settings at the top, the figures of the classic rows in a `metrics` object
  (InferenceX-app's `supplemental-bmk.json`, its `/api/v1/benchmarks` rows).

A row of a failed run (0 requests succeeded, no throughput) is left out with a warning naming it; the other
rows import. Measured energy (`joules_per_output_token`) is read only where `power_valid` is 1.

Throughputs per GPU are multiplied back to the replica: by tp x pp (or num_gpus); multinode
disaggregated rows as InferenceX divides them (total over prefill + decode GPUs, output over decode GPUs,
input over prefill GPUs). Rows that differ in a setting (ep, dp-attention, disagg, offloading) become
separate profiles.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

from calculator.data.importers._common import (
    Context,
    RawPoint,
    Reader,
    dig,
    image_tag,
    scaled,
    stated_count,
    sub,
    whole,
)
from calculator.data.importers._ids import gpu_id, mode_from_algorithm, model_id, precision_id
from calculator.data.importers.inferencex_api import api_records, export_note, is_api_export
from calculator.data.importers.inferencex_feed import feed_records, is_feed, is_feed_row, parse_feed

_THROUGHPUTS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    # field, per-GPU key, replica key (agentic rows), nested throughput block
    ("total_tok_s", "tput_per_gpu", "total_tput_tps", ("total", "tokens_per_second")),
    ("output_tok_s", "output_tput_per_gpu", "output_tput_tps", ("output", "tokens_per_second")),
    ("input_tok_s", "input_tput_per_gpu", "input_tput_tps", ("input", "tokens_per_second")),
)
_NESTED_PER_GPU: dict[str, str] = {
    "tput_per_gpu": "total_tput_tps",
    "output_tput_per_gpu": "output_tput_tps",
    "input_tput_per_gpu": "input_tput_tps",
}
_LATENCIES: tuple[tuple[str, str, str, str], ...] = (
    # field, flat key, nested block, nested stat
    ("ttft_ms_p50", "median_ttft", "ttft", "p50"),
    ("ttft_ms_p99", "p99_ttft", "ttft", "p99"),
    ("tpot_ms_p50", "median_tpot", "tpot", "p50"),
    ("tpot_ms_p99", "p99_tpot", "tpot", "p99"),
    ("e2e_ms_p50", "median_e2el", "e2el", "p50"),
)
_READ = frozenset(
    {"hw", "conc", "users", "image", "model", "infmax_model_prefix", "framework", "precision", "spec_decoding"}
    | {"mtp", "disagg", "isl", "osl", "is_multinode", "tp", "pp", "ep", "dp_attention", "num_gpus"}
    | {"num_prefill_gpu", "num_decode_gpu", "offloading", "kv_offloading", "kv_offload_backend", "scenario_type"}
    | {"num_requests_total", "num_requests_successful", "total_requests_completed", "request_accounting"}
    | {"mean_input_tokens", "mean_output_tokens_actual", "dataset", "request_metrics", "median_intvty"}
    | {"power_valid", "joules_per_output_token"}
    | {key for _, key, _, _ in _LATENCIES}
    | {key for _, key, _, _ in _THROUGHPUTS}
    | {key for _, _, key, _ in _THROUGHPUTS}
)
_SETTINGS: tuple[tuple[str, str], ...] = (
    ("ep", "ep"),
    ("dp_attention", "dp-attn"),
    ("disagg", "disagg"),
    ("offloading", "offload"),
    ("kv_offloading", "kv-offload"),
    ("kv_offload_backend", "kv-offload-backend"),
)


def rows_from_csv(text: str, delimiter: str, reader: Reader) -> list[tuple[str, Any]]:
    """CSV rows as dicts with lowercased column names, each with 'row N' (the header is row 1)."""
    out: list[tuple[str, Any]] = []
    try:
        rows = csv.reader(io.StringIO(text), delimiter=delimiter)
        header = [h.strip().lower() for h in next(rows, [])]
        for n, row in enumerate(rows, start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                reader.problem(f"row {n}", f"{len(row)} cells where the header has {len(header)} columns")
                continue
            out.append((f"row {n}", dict(zip(header, row, strict=True))))
    except csv.Error as e:
        reader.problem("file", f"malformed CSV: {e}")
    return out


def is_metrics_row(rec: Mapping[str, Any]) -> bool:
    """A supplemental/API row: InferenceX's figures (tput_per_gpu, ...) in a `metrics` object."""
    metrics = rec.get("metrics")
    return (
        isinstance(metrics, Mapping)
        and ("tput_per_gpu" in metrics or "output_tput_per_gpu" in metrics)
        and any(k in rec for k in ("hw", "hardware", "conc", "model"))
    )


def flatten_metrics(rec: Mapping[str, Any]) -> dict[str, Any]:
    """A supplemental/API row as a classic row: its `metrics` figures at the top (settings win on a clash); the
    API's `hardware` names the runner where `hw` is absent."""
    flat = {k: v for k, v in rec.items() if k != "metrics"}
    metrics = rec["metrics"]
    for key, value in metrics.items():
        flat.setdefault(str(key), value)
    if "hw" not in flat and isinstance(rec.get("hardware"), str):
        flat["hw"] = flat.pop("hardware")
    return flat


def is_nested_row(rec: Mapping[str, Any]) -> bool:
    """The current agentic schema: metrics under request_metrics, identified by InferenceX's own keys."""
    return isinstance(rec.get("request_metrics"), Mapping) and ("hw" in rec or "infmax_model_prefix" in rec)


def parse_inferencex(records: list[tuple[str, Any]], ctx: Context, reader: Reader) -> tuple[list[RawPoint], list[str]]:
    """One RawPoint per aggregated row; numbers may be strings (CSV). A tco-feed (JSON or CSV) goes to
    inferencex_feed."""
    if len(records) == 1 and is_feed(records[0][1]):
        return parse_feed(feed_records(records[0][1]), reader), []
    notes: list[str] = []
    if len(records) == 1 and is_api_export(records[0][1]):
        doc = records[0][1]
        notes = [n for n in (export_note(doc),) if n]
        records = api_records(doc)
    if records and all(isinstance(r, Mapping) and is_feed_row(r) for _, r in records):
        return parse_feed(records, reader), []
    raws: list[RawPoint] = []
    means_only = False
    for where, rec in records:
        if not isinstance(rec, Mapping):
            reader.problem(where, "expected an object (one aggregated row)")
            continue
        if is_metrics_row(rec):
            rec = flatten_metrics(rec)
        raw = _row(rec, where, reader)
        if raw is not None:
            means_only |= bool(raw.meta.pop("means_only", False))
            raws.append(raw)
    if means_only:
        reader.warn("file", "latencies given as means and p75-p95 only: kept in the notes, not stored as medians")
    return raws, notes


def _row(rec: Mapping[str, Any], where: str, reader: Reader) -> RawPoint | None:
    def num(key: str, *, required: bool = False, obj: Any = rec, at: str = where) -> float | None:
        return reader.num(obj, key, at, strings=True, required=required)

    raw = RawPoint(where)
    p = raw.point
    key = "conc" if rec.get("conc") is not None or rec.get("users") is None else "users"
    conc = num(key, required=True)
    raw.sources["concurrency"] = sub(where, key)
    count = None if conc is None else stated_count(conc, sub(where, key), reader)
    if count is None:
        return None
    p["concurrency"] = count
    divisors = _gpus(rec, where, raw, reader)
    if divisors is None:
        return None
    metrics = rec.get("request_metrics")
    nested = metrics if isinstance(metrics, Mapping) else None
    mw = sub(where, "request_metrics")
    no_output = nested is None and rec.get("output_tput_per_gpu") is None and rec.get("output_tput_tps") is None
    if no_output and _failed_run(rec, where, reader):
        return None
    for target, per_gpu, replica, block in _THROUGHPUTS:
        if nested is not None and dig(nested, "throughput", *block) is not None:
            raw.sources[target] = sub(mw, "throughput." + ".".join(block))
            p_value = reader.as_number(dig(nested, "throughput", *block), raw.sources[target], strings=True)
        elif rec.get(replica) is not None:
            raw.sources[target] = sub(where, replica)
            p_value = num(replica)
        else:
            nested_per_gpu = dig(nested, "throughput", "per_gpu", _NESTED_PER_GPU[per_gpu])
            at = sub(mw, f"throughput.per_gpu.{_NESTED_PER_GPU[per_gpu]}") if nested_per_gpu is not None else None
            raw.sources[target] = at or sub(where, per_gpu)
            value = (
                reader.as_number(nested_per_gpu, at, strings=True)
                if at is not None
                else num(per_gpu, required=target == "output_tok_s")
            )
            p_value = scaled(value, divisors[per_gpu]) if value is not None else None
        if p_value is not None:
            p[target] = p_value
    if "output_tok_s" not in p:
        if raw.sources["output_tok_s"] not in reader.reported:
            reader.problem(raw.sources["output_tok_s"], "missing; this field is needed")
        return None
    _latencies(rec, nested, where, raw, reader)
    _energy(rec, where, raw, reader)
    _requests_and_lengths(rec, nested, where, raw, reader)
    _meta(rec, where, raw, reader)
    reader.unread(rec, _READ)
    if nested is not None:
        reader.unread(nested, {"throughput", "latency", "tokens"}, "request_metrics")
        reader.unread(nested.get("latency"), {"ttft", "tpot", "e2el"}, "request_metrics.latency")
    return raw


def _failed_run(rec: Mapping[str, Any], where: str, reader: Reader) -> bool:
    """A row of a run in which no request succeeded (InferenceX writes it with counts of 0 and no throughput): left
    out with a warning that names it, so the file's other rows import."""
    for key in ("num_requests_successful", "total_requests_completed"):
        value = rec.get(key)
        if isinstance(value, int | float | str) and not isinstance(value, bool) and str(value).strip() in ("0", "0.0"):
            conc = rec.get("conc", rec.get("users"))
            reader.warn(
                where,
                f"a failed run (conc {conc}: {key} 0, no throughput): left out; the other rows are imported",
            )
            return True
    return False


def _gpus(rec: Mapping[str, Any], where: str, raw: RawPoint, reader: Reader) -> dict[str, float] | None:
    """GPUs of the replica into meta; the divisor of each per-GPU throughput (None: the row is refused)."""
    meta = raw.meta

    def num(key: str, required: bool = False) -> float | None:
        return reader.num(rec, key, where, strings=True, required=required)

    if str(rec.get("is_multinode", "")).strip().lower() == "true":
        prefill, decode = num("num_prefill_gpu", True), num("num_decode_gpu", True)
        if not prefill or not decode:
            return None
        gpus = round(prefill + decode)
        meta.update(tp=gpus, pp=1, dp=1, gpus_per_replica=gpus)
        raw.sources["gpus_per_replica"] = sub(where, "num_prefill_gpu")
        raw.note(f"multinode: {prefill:g} prefill + {decode:g} decode GPUs")
        return {"tput_per_gpu": prefill + decode, "output_tput_per_gpu": decode, "input_tput_per_gpu": prefill}
    tp = whole(num("tp")) or 1
    pp = whole(num("pp")) or 1
    gpus = whole(num("num_gpus")) or tp * pp
    if gpus != tp * pp:
        tp, pp = gpus, 1
    meta.update(tp=tp, pp=pp, dp=1, gpus_per_replica=gpus)
    raw.sources["gpus_per_replica"] = sub(where, "num_gpus" if rec.get("num_gpus") is not None else "tp")
    return dict.fromkeys(("tput_per_gpu", "output_tput_per_gpu", "input_tput_per_gpu"), float(gpus))


def _latencies(
    rec: Mapping[str, Any], nested: Mapping[str, Any] | None, where: str, raw: RawPoint, reader: Reader
) -> None:
    p = raw.point
    lw = sub(where, "request_metrics.latency")
    for target, flat, block, stat in _LATENCIES:
        value: float | None = None
        if nested is not None and dig(nested, "latency", block, stat) is not None:
            raw.sources[target] = sub(lw, f"{block}.{stat}")
            value = reader.as_number(dig(nested, "latency", block, stat), raw.sources[target], strings=True)
        elif rec.get(flat) is not None:
            raw.sources[target] = sub(where, flat)
            value = reader.num(rec, flat, where, strings=True)
        if value is not None:
            p[target] = scaled(value, 1e3)  # seconds -> ms
    if "tpot_ms_p50" not in p:
        intvty = reader.num(rec, "median_intvty", where, strings=True)
        if intvty:
            p["tpot_ms_p50"] = scaled(1e3, 1 / intvty)
            raw.sources["tpot_ms_p50"] = sub(where, "median_intvty")
    if "ttft_ms_p50" not in p and "tpot_ms_p50" not in p:
        means = [
            f"{label} mean {v:.4g} s"
            for label, key in (("TTFT", "mean_ttft"), ("TPOT", "mean_tpot"), ("e2e", "mean_e2el"))
            if (v := reader.num(rec, key, where, strings=True)) is not None
        ]
        if means:
            raw.note(f"c{p['concurrency']}: latencies given as means only (not stored as medians): {', '.join(means)}")
            raw.meta["means_only"] = True


def _energy(rec: Mapping[str, Any], where: str, raw: RawPoint, reader: Reader) -> None:
    """Measured joules per output token of the whole deployment (InferenceX's power aggregation), only where
    `power_valid` is 1: invalid or missing telemetry leaves the energy blank, never a guess."""
    value = rec.get("joules_per_output_token")
    if value is None:
        return
    valid = reader.num(rec, "power_valid", where, strings=True)
    if valid != 1:
        raw.note("power telemetry not valid (power_valid is not 1): measured energy left blank")
        return
    joules = reader.num(rec, "joules_per_output_token", where, strings=True)
    if joules is not None and joules > 0:
        raw.point["joules_per_output_token"] = joules
        raw.sources["joules_per_output_token"] = sub(where, "joules_per_output_token")


def _requests_and_lengths(
    rec: Mapping[str, Any], nested: Mapping[str, Any] | None, where: str, raw: RawPoint, reader: Reader
) -> None:
    p, meta = raw.point, raw.meta

    def num(key: str, obj: Any = rec, at: str = where) -> float | None:
        return reader.num(obj, key, at, strings=True)

    done = num("num_requests_successful")
    if done is None:
        done = num("total_requests_completed")
    if done is not None:
        p["requests_completed"] = round(done)
    accounting = rec.get("request_accounting")
    errors = num("records_error_dropped", accounting, sub(where, "request_accounting")) if accounting else None
    total = num("num_requests_total")
    if errors is None and total is not None and done is not None and accounting is None and total >= done:
        errors = total - done
    if errors is not None:
        p["requests_failed"] = round(errors)
    isl, osl = whole(num("isl")), whole(num("osl"))
    if isl or osl:
        meta.update(isl=isl, osl=osl)
        return
    tokens = dig(nested, "tokens") if nested is not None else None
    tw = sub(where, "request_metrics.tokens")
    mean_in = num("mean", dig(tokens, "input"), sub(tw, "input")) if tokens else num("mean_input_tokens")
    mean_out = num("mean", dig(tokens, "output_actual"), sub(tw, "output_actual")) if tokens else None
    if mean_out is None:
        mean_out = num("mean_output_tokens_actual")
    meta.update(isl=mean_in, osl=mean_out, lengths_measured=True)


def _meta(rec: Mapping[str, Any], where: str, raw: RawPoint, reader: Reader) -> None:
    meta = raw.meta
    hw = reader.text(rec, "hw", where)
    if hw:
        gpu = gpu_id(hw)
        if gpu:
            meta["gpu"] = gpu
            raw.sources["gpu"] = sub(where, "hw")
        else:
            raw.note(f"hardware {hw!r} is not a GPU id we can map")
    name = reader.text(rec, "model", where) or reader.text(rec, "infmax_model_prefix", where)
    if name:
        meta.update(model=model_id(name), model_name=name)
        raw.sources["model"] = sub(where, "model")
    framework = reader.text(rec, "framework", where)
    if framework:
        meta["engine"] = framework
    image = reader.text(rec, "image", where)
    if image:
        meta["engine_version"] = image_tag(image)
        raw.note(f"image {image}")
    precision = reader.text(rec, "precision", where)
    if precision:
        meta["precision"] = precision_id(precision) or precision.lower()
        raw.sources["precision"] = sub(where, "precision")
    spec = reader.text(rec, "spec_decoding", where) or reader.text(rec, "mtp", where)
    meta["mode"] = mode_from_algorithm(spec)
    raw.sources["mode"] = sub(where, "spec_decoding")
    if spec and meta["mode"] != "ar":
        meta["algorithm"] = spec
    scenario = reader.text(rec, "scenario_type", where)
    if scenario:
        meta["category"] = scenario
    dataset = rec.get("dataset")
    if isinstance(dataset, Mapping):
        meta["dataset"] = str(dataset.get("hf_dataset_name") or dataset.get("loader") or "")[:200]
    elif isinstance(dataset, str):
        meta["dataset"] = dataset[:200]
    settings = [
        f"{label} {str(value).lower()}"
        for key, label in _SETTINGS
        if isinstance(value := rec.get(key), str | int | float | bool) and str(value).strip()
    ]
    if settings:
        meta["label"] = " ".join(settings)
        raw.note(meta["label"])
