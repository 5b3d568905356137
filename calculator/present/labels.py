"""What users read in tables and charts: every table column's header and format (`COLUMNS`), the export headers,
missing numbers as dashes, the export preview, and the colours of provenances and modes. The words themselves live in
calculator.data.vocabulary and curve names in calculator.model.naming; this module lays them out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from calculator.data.vocabulary import PROVENANCE_LABELS, TIER_LABELS
from calculator.model.naming import block_text

# Colours readable on light and dark backgrounds (badges and chart markers).
PROVENANCE_COLORS: dict[str, str] = {
    "measured": "#16A34A",
    "uploaded": "#2563EB",
    "vendor": "#D97706",
    "vendor_internal": "#DC2626",
    "community": "#7C3AED",
    "estimated": "#64748B",
}
PRERELEASE_COLOR = "#BE185D"
MODE_COLORS: dict[str, str] = {
    "ar": "#2563EB",
    "self_spec": "#7C3AED",
    "diffusion": "#059669",
    "spec_eagle3": "#D97706",
    "spec_mtp": "#DC2626",
}


def mode_color(mode: str) -> str:
    return MODE_COLORS.get(mode, "#64748B")


# ---------------------------------------------------------------------------------------------
# Table headers and missing numbers

# Human headers with units for the export table's machine column names (the files keep the machine names), and
# the printf-style number format each is shown with ("bool" for a checkbox).
_MONEY, _RATE, _FINE, _MS = "$%.3f", "%,.0f", "%,.1f", "%,.0f"
EXPORT_LABELS: dict[str, tuple[str, str | None]] = {
    "gpu": ("GPU", None),
    "model": ("Model", None),
    "mode": ("Mode", None),
    "precision": ("Precision", None),
    "block_size": ("Block", None),
    "prerelease": ("Pre-release checkpoint", "bool"),
    "concurrency": ("Concurrency", "%d"),
    "point_basis": ("Point", None),
    "output_tok_s": ("Output tok/s (replica)", _RATE),
    "output_tok_s_per_gpu": ("Output tok/s per GPU", _RATE),
    "tok_s_user": ("Tok/s per user", _FINE),
    "ttft_ms_p50": ("TTFT p50 (ms)", _MS),
    "queue_ms": ("of which queueing (ms)", _MS),
    "joules_per_output_token": ("Measured J / output token", "%.3g"),
    "energy_usd_per_mtok": ("Electricity $/M output (measured J)", "$%.4f"),
    "slo_attainment": ("SLO attainment (share)", "%.2f"),
    "goodput_req_s": ("Goodput (req/s meeting SLO)", "%.3g"),
    "prefix_hit_rate": ("Prefix-cache hit rate", "%.2f"),
    "sized_on": ("Sized on", None),
    "replica_goodput_tok_s": ("Goodput tok/s (replica)", _RATE),
    "est_error_pct": ("Estimate error (± %, median)", "%.0f"),
    "usd_per_mtok_output_low": ("$/M output, low (estimate error)", _MONEY),
    "usd_per_mtok_output_high": ("$/M output, high (estimate error)", _MONEY),
    "usd_per_mtok_total_low": ("$/M total, low (estimate error)", _MONEY),
    "usd_per_mtok_total_high": ("$/M total, high (estimate error)", _MONEY),
    "monthly_usd_low": ("Monthly bill, low (estimate error)", "$%,.0f"),
    "monthly_usd_high": ("Monthly bill, high (estimate error)", "$%,.0f"),
    "running_batch": ("Running batch (KV cap)", "%d"),
    "meets_targets": ("Meets targets", "bool"),
    "target_check": ("Target check", None),
    "ranked": ("Ranked", "bool"),
    "lengths_status": ("Lengths vs yours", None),
    "lengths_note": ("Lengths (reported; yours)", None),
    "usd_per_mtok_output": ("$/M output tokens", _MONEY),
    "usd_per_mtok_total": ("$/M total tokens", _MONEY),
    "total_is_derived": ("Total derived from ISL/OSL", "bool"),
    "usd_per_mtok_input_r": ("$/M input tokens (1/R)", _MONEY),
    "usd_per_mtok_output_r": ("$/M output tokens (R split)", _MONEY),
    "provider": ("Provider", None),
    "instance": ("Instance", None),
    "tier": ("Tier", None),
    "usd_per_gpu_hour": ("$/GPU-hour", _MONEY),
    "price_as_of": ("Price as of", None),
    "price_source": ("Price source", None),
    "provenance": ("Provenance", None),
    "source": ("Throughput source / estimate basis", None),
    "as_of": ("Figure date", None),
    "basis": ("Estimate basis", None),
    "tpf_assumed": ("TPF assumed", "bool"),
    "profile_id": ("Profile id", None),
    "offer_id": ("Offer id", None),
}


def dash_missing(df: pd.DataFrame, formats: dict[str, str]) -> pd.DataFrame:
    """Numeric columns that have missing values, as text: formatted like their printf-style format ("%,.0f",
    "$%.3f") and "—" where missing, so a table never shows "None". Columns without a gap stay numbers."""
    out = df.copy()
    for col, fmt in formats.items():
        if col not in out or not pd.api.types.is_numeric_dtype(out[col]) or not out[col].isna().any():
            continue
        prefix = "$" if fmt.startswith("$") else ""
        spec = fmt.removeprefix("$").removeprefix("%").replace("d", ".0f")
        vals = pd.to_numeric(out[col], errors="coerce").to_numpy(dtype="float64")
        out[col] = [("—" if not np.isfinite(v) else f"{prefix}{v:{spec}}") for v in vals]
    return out


PREVIEW_TEXT_CHARS = 120
"""Longest text a preview cell shows; the export files hold the whole text. An estimate's basis runs to ~600
characters, and 200 rows of it took the Export page's first render from ~1.3x to ~1.6x a bare page's (the grid
measures every cell's text; benchmarks/bench_pages.py)."""


def preview_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The export table as shown on screen: block size as text ("—" for none), provenance and tier in words,
    missing numbers as "—", text longer than PREVIEW_TEXT_CHARS cut with "…" (the files keep all of it)."""
    out = table.copy()
    for col in out.columns:
        if out[col].dtype == object or isinstance(out[col].dtype, (pd.StringDtype, pd.CategoricalDtype)):
            text = out[col].astype(object)
            long = text.map(lambda v: isinstance(v, str) and len(v) > PREVIEW_TEXT_CHARS).astype(bool)
            if long.any():
                out[col] = text.where(~long, text.str.slice(0, PREVIEW_TEXT_CHARS - 1) + "…")
    if "block_size" in out:
        out["block_size"] = block_text(out)
    for col, words in (("provenance", PROVENANCE_LABELS), ("tier", TIER_LABELS)):
        if col in out:
            raw = out[col].astype(object)
            out[col] = raw.map(words).fillna(raw)
    numeric = {k: f for k, (_, f) in EXPORT_LABELS.items() if f and f != "bool"}
    return dash_missing(out, numeric)


# ---------------------------------------------------------------------------------------------
# Every table column users see: header, how its values are written, and a tooltip. One definition per column,
# so a quantity reads the same on every page. Formats are printf-style; "bool" a checkbox, "badge" the provenance
# badges, "percent" a fraction shown as a percentage, None text.


@dataclass(frozen=True)
class Column:
    header: str
    fmt: str | None = None
    help: str | None = None
    width: str | None = None


_USD_M, _USD_BILL = "$%.3f", "$%,.0f"
COLUMNS: dict[str, Column] = {
    **{k: Column(h, f) for k, (h, f) in EXPORT_LABELS.items()},
    "source": Column("Throughput source / estimate basis", None, width="medium"),
    "price_source": Column("Price source", None, width="medium"),
    "basis": Column("Basis", None, width="large"),
    "provenance_notes": Column("Notes", None, width="large"),
    "badge": Column("Provenance", "badge"),
    "option": Column("Option"),
    "curve": Column("Model mode precision"),
    "block": Column("Block", None, "Block size (diffusion, self-speculation); — for none"),
    "lengths": Column("ISL / OSL", None, "Input / output tokens the row was reported or estimated at; — not stated"),
    "tier_label": Column("Tier"),
    "point_basis": Column(
        "Point", None, "data point (the source reports it), interpolated (between two), or estimated"
    ),
    "slo_note": Column("TTFT check"),
    "check_note": Column("What could be checked", None, width="medium"),
    "est_error": Column(
        "Estimate error",
        None,
        "Estimated rows only: the estimator's error on a source it has never seen (leave-one-source-out: every "
        "point of a harness or publication predicted by a fit without it; median, p90 and worst absolute error for "
        "this mode on SGLang, the engine of estimates, and what the figure rests on).",
    ),
    "data_at": Column("Data at", None, "Concurrencies the curve has points for"),
    "usd_at_c1": Column("$/M at concurrency 1", _USD_M, "The same curve and offer serving a single request."),
    "ranked": Column("Ranked", "bool", "Counted for the recommendation"),
    "meets_floor": Column("≥ floor", "bool", "At or above the tok/s-per-user floor (only such rows may be cheapest)"),
    # capacity
    "monthly_usd": Column("Monthly bill", _USD_BILL, "Whole instances, 730 h a month"),
    "usd_per_mtok_effective": Column("Effective $/M output", _USD_M, "Monthly bill / monthly output tokens x 1e6"),
    "replicas": Column("Replicas (peak)", "%d"),
    "gpus_per_replica": Column("GPUs per replica", "%d"),
    "gpus": Column("GPUs used", "%,d"),
    "instances": Column("Instances (peak)", "%d"),
    "gpus_per_instance": Column("GPUs per instance", "%d"),
    "gpus_billed": Column("GPUs billed", "%,d"),
    "replicas_offpeak": Column("Replicas (off-peak)", "%d"),
    "instances_offpeak": Column("Instances (off-peak)", "%d"),
    "replica_output_tok_s": Column("Replica output tok/s", "%,.0f"),
    "fleet_utilisation": Column("Fleet utilisation", "percent"),
    "peak_label": Column("At peak"),
    "peak_replicas": Column("Peak replicas", "%d"),
    "offpeak_label": Column("Off-peak"),
    "offpeak_replicas": Column("Off-peak replicas", "%d"),
    "mixed_monthly_usd": Column("Mixed monthly", _USD_BILL),
    "best_single_label": Column("Best single mode"),
    "best_single_monthly_usd": Column("Best single monthly", _USD_BILL),
    "saving_usd": Column("Saving", _USD_BILL),
    "benefit": Column("Benefit"),
    "peak_tok_s_user": Column("Peak tok/s per user", "%,.0f"),
    "offpeak_tok_s_user": Column("Off-peak tok/s per user", "%,.0f"),
    "best_single_offpeak_tok_s_user": Column("Single-mode off-peak tok/s per user", "%,.0f"),
    # crossover
    "challenger_label": Column("Self-spec curve"),
    "baseline_label": Column("AR curve"),
    "status": Column("Status"),
    "last_win_concurrency": Column("Last win at", "%d"),
    "first_loss_concurrency": Column("First loss at", "%d"),
    "crossover_concurrency": Column("Crossover ≈", "%.1f"),
    "advantage_at_min": Column("Advantage at min", "%.2fx"),
    "advantage_at_max": Column("Advantage at max", "%.2fx"),
    "like_precision": Column("Like precision", "bool"),
    "uses_estimate": Column("Uses an estimate", "bool"),
    # the estimator's own error
    "points": Column("Points", "%d"),
    "median_abs_error_pct": Column("Median |error|", "%.1f %%"),
    "p90_abs_error_pct": Column("p90 |error|", "%.1f %%"),
    "worst_abs_error_pct": Column("Worst |error|", "%.1f %%"),
    "actual_tok_s": Column("Data (tok/s)", "%,.0f"),
    "predicted_tok_s": Column("Predicted (tok/s)", "%,.0f"),
    "error_pct": Column("Error", "%+.1f %%"),
    # GPU comparison and uploads
    "gpu_name": Column("GPU"),
    "engine": Column("Engine", None, "The serving engine (and build) the figure was taken with"),
    "kind": Column("Figure"),
    "file": Column("File"),
    "where": Column("Row / field"),
    "problem": Column("Problem", None, width="large"),
}


def column(name: str) -> Column:
    """The column's definition (a header from the name where none is defined)."""
    return COLUMNS.get(name, Column(name.replace("_", " ")))


def gap_formats(columns: list[str] | tuple[str, ...]) -> dict[str, str]:
    """printf formats of the numeric columns among `columns` (for dash_missing)."""
    return {c: f for c in columns if (f := column(c).fmt) and f not in ("bool", "badge", "percent")}


def lengths_text(df: pd.DataFrame) -> pd.Series:
    """ "1,024 / 1,024": the input / output lengths of each row (— where a source states none)."""

    def one(v: object) -> str:
        try:
            n = float(str(v))
        except ValueError:
            return "—"
        return "—" if n != n else f"{int(n):,}"  # NaN: not stated

    if "isl" not in df or "osl" not in df:
        return pd.Series("—", index=df.index)
    return df["isl"].map(one) + " / " + df["osl"].map(one)


CROSSOVER_STATUS_WORDS: dict[str, str] = {
    "crosses": "self-speculation leads, then AR",
    "challenger wins throughout": "self-speculation leads at every concurrency both curves cover",
    "baseline wins throughout": "AR leads at every concurrency both curves cover",
    "one common concurrency or none": "the curves share too few concurrencies to compare",
}


def crossover_status_text(status: object) -> str:
    """frontier.crossover's status in plain words (no "challenger" jargon on a page)."""
    return CROSSOVER_STATUS_WORDS.get(str(status), str(status))
