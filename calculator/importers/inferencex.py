"""InferenceX (SemiAnalysis) aggregated result rows, as a JSON list (or one object) or a CSV table.

Each row is one point: hw, model, framework, precision, spec_decoding, isl, osl, conc, tp, pp, ep,
tput_per_gpu, output_tput_per_gpu, input_tput_per_gpu, median/p99 ttft and tpot, median_e2el,
median_intvty. Times are in seconds; throughputs are per GPU, so the replica's figure is
tput_per_gpu x tp x pp (multinode disaggregated rows: total over prefill + decode GPUs, output over
decode GPUs, input over prefill GPUs, as InferenceX divides them).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

from calculator.importers._common import (
    Context,
    RawPoint,
    Reader,
    gpu_id,
    mode_from_algorithm,
    model_id,
    precision_id,
    scaled,
    sub,
    whole,
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


def parse_inferencex(records: list[tuple[str, Any]], ctx: Context, reader: Reader) -> tuple[list[RawPoint], list[str]]:
    """One RawPoint per aggregated row; numbers may be strings (CSV)."""
    raws: list[RawPoint] = []
    notes: list[str] = []
    for where, rec in records:
        if not isinstance(rec, Mapping):
            reader.problem(where, "expected an object (one aggregated row)")
            continue

        def num(key: str, *, required: bool = False, rec: Mapping[str, Any] = rec, where: str = where) -> float | None:
            return reader.num(rec, key, where, strings=True, required=required)

        raw = RawPoint(where)
        p, meta = raw.point, raw.meta
        conc = num("conc", required=True)
        raw.sources["concurrency"] = sub(where, "conc")
        if conc is None:
            continue
        p["concurrency"] = whole(conc) or 0
        multinode = str(rec.get("is_multinode", "")).strip().lower() == "true"
        if multinode:
            prefill, decode = num("num_prefill_gpu", required=True), num("num_decode_gpu", required=True)
            if not prefill or not decode:
                continue
            gpus = round(prefill + decode)
            meta.update(tp=gpus, pp=1, dp=1, gpus_per_replica=gpus)
            divisors = {"tput_per_gpu": prefill + decode, "output_tput_per_gpu": decode, "input_tput_per_gpu": prefill}
        else:
            tp = whole(num("tp")) or 1
            pp = whole(num("pp")) or 1
            meta.update(tp=tp, pp=pp, dp=1, gpus_per_replica=tp * pp)
            divisors = dict.fromkeys(("tput_per_gpu", "output_tput_per_gpu", "input_tput_per_gpu"), float(tp * pp))
        for target, key in (
            ("total_tok_s", "tput_per_gpu"),
            ("output_tok_s", "output_tput_per_gpu"),
            ("input_tok_s", "input_tput_per_gpu"),
        ):
            raw.sources[target] = sub(where, key)
            value = num(key, required=target == "output_tok_s")
            if value is not None:
                p[target] = scaled(value, divisors[key])
        for target, key in (
            ("ttft_ms_p50", "median_ttft"),
            ("ttft_ms_p99", "p99_ttft"),
            ("tpot_ms_p50", "median_tpot"),
            ("tpot_ms_p99", "p99_tpot"),
            ("e2e_ms_p50", "median_e2el"),
        ):
            raw.sources[target] = sub(where, key)
            value = num(key)
            if value is not None:
                p[target] = scaled(value, 1e3)  # seconds -> ms
        if "tpot_ms_p50" not in p:
            intvty = num("median_intvty")
            if intvty:
                p["tpot_ms_p50"] = scaled(1e3, 1 / intvty)
                raw.sources["tpot_ms_p50"] = sub(where, "median_intvty")

        hw = reader.text(rec, "hw", where)
        if hw:
            gpu = gpu_id(hw)
            if gpu:
                meta["gpu"] = gpu
                raw.sources["gpu"] = sub(where, "hw")
            else:
                notes.append(f"hardware {hw!r} is not a GPU id we can map")
        name = reader.text(rec, "model", where) or reader.text(rec, "infmax_model_prefix", where)
        if name:
            meta["model"] = model_id(name)
            raw.sources["model"] = sub(where, "model")
        framework = reader.text(rec, "framework", where)
        meta["engine"] = framework or "unknown"
        precision = reader.text(rec, "precision", where)
        if precision:
            meta["precision"] = precision_id(precision) or precision.lower()
            raw.sources["precision"] = sub(where, "precision")
        spec = reader.text(rec, "spec_decoding", where) or reader.text(rec, "mtp", where)
        meta["mode"] = mode_from_algorithm(spec)
        raw.sources["mode"] = sub(where, "spec_decoding")
        if spec and meta["mode"] != "ar":
            meta["algorithm"] = spec
        meta["isl"] = whole(num("isl"))
        meta["osl"] = whole(num("osl"))
        ep = reader.text(rec, "ep", where)
        image = reader.text(rec, "image", where)
        dp_attention = reader.text(rec, "dp_attention", where)
        meta["label"] = f"ep{ep} dp-attn {dp_attention} {image or ''}".strip() if ep or dp_attention or image else None
        if meta["label"]:
            meta["notes"] = [meta["label"]]
        raws.append(raw)
    return raws, notes
