"""InferenceX's API exports (`/api/v1/benchmarks` as InferenceX-app's `inferencex-api` package writes them,
e.g. the PowerX export `powerx.json`): `{"metadata": {...}, "rows": [...]}` where each row names its settings per
role (`prefill_tp`, `decode_tp`, `decode_ep`, `decode_dp_attention`, `spec_method`, `offload_mode`) and keeps the
figures in a `metrics` object (throughput per GPU, latencies in seconds, and with PowerX the measured
`joules_per_output_token` with `power_valid`).

Each row is rewritten into the classic aggregated row that `inferencex` reads: the decode side's TP/EP/DP-attention
(the side that produces output tokens; a multinode disaggregated row is counted by its prefill + decode GPUs), the
spec method as `spec_decoding`, offloading only where it is on. Energy stays blank where `power_valid` is not 1.

The PowerX **CSV** export holds the power columns only (no throughput, no latency): it cannot be a curve, and
`powerx_csv_problem` says so and points to the JSON export of the same query.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# PowerX CSV columns that tell it apart: power figures and a config key, but no throughput column.
_POWERX_CSV = frozenset({"joules_per_output_token", "power_valid", "hardware", "conc"})


def is_api_export(doc: Any) -> bool:
    """An API export envelope: `rows` of rows whose figures are in a `metrics` object."""
    if not isinstance(doc, Mapping):
        return False
    rows = doc.get("rows")
    if not isinstance(rows, list) or not rows or not isinstance(rows[0], Mapping):
        return False
    metrics = rows[0].get("metrics")
    return isinstance(metrics, Mapping) and ("output_tput_per_gpu" in metrics or "tput_per_gpu" in metrics)


def _classic(row: Mapping[str, Any]) -> dict[str, Any]:
    """One API row as a classic row with its `metrics` kept (flattened later by `inferencex`)."""
    out: dict[str, Any] = dict(row)
    if "tp" not in out and row.get("decode_tp") is not None:
        out["tp"] = row.get("decode_tp")
    metrics = row.get("metrics")
    if "pp" not in out and isinstance(metrics, Mapping):
        pp = metrics.get("pp", metrics.get("decode_pp"))
        if pp is not None:
            out["pp"] = pp
    if "ep" not in out and row.get("decode_ep") is not None:
        out["ep"] = row.get("decode_ep")
    if "dp_attention" not in out and row.get("decode_dp_attention") is not None:
        out["dp_attention"] = row.get("decode_dp_attention")
    if "spec_decoding" not in out and row.get("spec_method") is not None:
        out["spec_decoding"] = row.get("spec_method")
    offload = str(row.get("offload_mode") or "").strip().lower()
    if "offloading" not in out and offload not in ("", "off", "none", "false"):
        out["offloading"] = offload
    for key in (
        "decode_tp",
        "decode_ep",
        "decode_dp_attention",
        "spec_method",
        "offload_mode",
        "prefill_tp",
        "prefill_ep",
        "prefill_dp_attention",
        "prefill_num_workers",
        "decode_num_workers",
    ):
        out.pop(key, None)
    if str(out.get("is_multinode", "")).strip().lower() != "true":
        # single-node rows: the API fills num_prefill_gpu/num_decode_gpu with tp x ep; the replica is tp x pp
        out.pop("num_prefill_gpu", None)
        out.pop("num_decode_gpu", None)
    return out


def api_records(doc: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The export's rows as classic rows, each named `rows[i]`."""
    rows = doc["rows"]
    return [(f"rows[{i}]", _classic(row) if isinstance(row, Mapping) else row) for i, row in enumerate(rows)]


def export_note(doc: Mapping[str, Any]) -> str:
    """One line of where the export came from (query, retrieval time), for the profile's provenance notes."""
    meta = doc.get("metadata")
    if not isinstance(meta, Mapping):
        return ""
    parts = [
        f"{label} {meta.get(key)}"
        for key, label in (
            ("package_version", "InferenceX API export"),
            ("query_url", "query"),
            ("retrieved_at", "retrieved"),
        )
        if meta.get(key)
    ]
    return "; ".join(str(p) for p in parts)[:500]


def is_powerx_csv(columns: set[str]) -> bool:
    """The PowerX CSV export: power columns and no throughput column."""
    return columns >= _POWERX_CSV and not ({"tput_per_gpu", "output_tput_per_gpu"} & columns)


POWERX_CSV_REASON = (
    "an InferenceX PowerX CSV export: power and joules per token per configuration, but no throughput or "
    "latency, so it cannot be a curve; import the JSON export of the same query (powerx.json), whose rows "
    "carry the metrics and the measured joules_per_output_token"
)
