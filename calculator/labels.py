"""What users read: the words for provenance, tiers, modes and models, a profile's curve and option labels,
and how money, rates, token volumes and missing numbers are written (tables, charts, exports and the app).

Pure pandas; the app's column configs and the Plotly figures (calculator/charts.py) use these labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import numpy as np
import pandas as pd

from calculator import frontier
from calculator.schema import KNOWN_MODELS

PROVENANCE_LABELS: dict[str, str] = {
    "measured": "measured here",
    "uploaded": "uploaded",
    "vendor": "vendor-reported",
    "vendor_internal": "vendor internal",
    "community": "community",
    "estimated": "estimated",
}
# Colours readable on light and dark backgrounds (badges and chart markers).
PROVENANCE_COLORS: dict[str, str] = {
    "measured": "#16A34A",
    "uploaded": "#2563EB",
    "vendor": "#D97706",
    "vendor_internal": "#DC2626",
    "community": "#7C3AED",
    "estimated": "#64748B",
}
# A second badge for figures from a pre-release checkpoint (the B200 sweep's Nemotron rows): not the released model.
PRERELEASE_LABEL = "pre-release checkpoint"
PRERELEASE_COLOR = "#BE185D"
TIER_LABELS: dict[str, str] = {
    "on_demand": "on-demand",
    "spot": "spot",
    "reserved_1y": "1-yr reserved",
    "reserved_3y": "3-yr reserved",
    "owned": "owned (TCO)",
    "rental_3y": "3-yr rental",
}
MODE_LABELS: dict[str, str] = {
    "ar": "AR",
    "diffusion": "diffusion",
    "self_spec": "self-speculation",
    "spec_eagle3": "EAGLE-3",
    "spec_mtp": "MTP",
}
MODE_COLORS: dict[str, str] = {
    "ar": "#2563EB",
    "self_spec": "#7C3AED",
    "diffusion": "#059669",
    "spec_eagle3": "#D97706",
    "spec_mtp": "#DC2626",
}


def mode_color(mode: str) -> str:
    return MODE_COLORS.get(mode, "#64748B")


def mode_label(mode: str) -> str:
    return MODE_LABELS.get(mode, mode)


def model_label(model: str) -> str:
    return KNOWN_MODELS.get(model, model)


def tier_label(tier: str) -> str:
    return TIER_LABELS.get(tier, tier)


def fmt_usd(x: float | None, digits: int = 3) -> str:
    """$0.000 style; an em dash for a missing value."""
    if x is None or not np.isfinite(x):
        return "—"
    return f"${x:,.{digits}f}"


def fmt_int(x: float | None) -> str:
    if x is None or not np.isfinite(x):
        return "—"
    return f"{x:,.0f}"


def fmt_tokens(x: float) -> str:
    """Token volumes in words: 1.2 B, 350 M."""
    for unit, scale in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(x) >= scale:
            return f"{x / scale:,.2f} {unit}"
    return f"{x:,.0f}"


_MARKDOWN_PUNCTUATION = frozenset("\\`*_{}[]()#!|<>~$:&")


def md_escape(text: str, limit: int = 200) -> str:
    """User-controlled text (a URL value, a file or profile name, a note) made literal in Markdown: every ASCII
    punctuation mark that Markdown or Streamlit's directives (:red[...], :material/...:) and autolinks read is
    backslash-escaped (an underscore inside a word, which GFM never reads as emphasis, is kept: `self_spec`), line
    breaks become spaces, and the text is cut to `limit` characters. No link (autolinks included), image or HTML
    survives."""
    flat = " ".join(str(text)[: max(limit, 0) + 1].split())
    cut = flat[:limit] + ("…" if len(flat) > limit else "")
    out = []
    for i, ch in enumerate(cut):
        intraword = ch == "_" and 0 < i < len(cut) - 1 and cut[i - 1].isalnum() and cut[i + 1].isalnum()
        out.append("\\" + ch if ch in _MARKDOWN_PUNCTUATION and not intraword else ch)
    # GFM's autolink literals (http://..., www....) survive backslash escapes: a zero-width space breaks them.
    text = "".join(out)
    for marker in ("//", "www.", "WWW."):
        text = text.replace(marker, marker[0] + "\u200b" + marker[1:])
    return text


def md(value: object, limit: int = 200) -> str:
    """Any value as literal Markdown text (md_escape of its str)."""
    return md_escape(str(value), limit)


def escape_dollars(text: str) -> str:
    """Markdown text with "$" escaped, so two prices in one caption do not become a LaTeX formula."""
    return text.replace("\\$", "$").replace("$", "\\$")


# ---------------------------------------------------------------------------------------------
# Curve labels (one per profile, mapped onto its rows)


def prerelease_mask(df: pd.DataFrame) -> np.ndarray:
    """True for Nemotron-Labs-Diffusion rows whose source says they come from a pre-release checkpoint."""
    if df.empty or "provenance_notes" not in df or "model" not in df:
        return np.zeros(len(df), dtype=bool)
    notes = df["provenance_notes"].astype(str).str.contains("pre-release", case=False, regex=False)
    nld = df["model"].astype(str).str.startswith("nld-")
    return (notes & nld).to_numpy(dtype=bool)


def block_text(df: pd.DataFrame) -> pd.Series:
    """The block size as text for tables: "32", or "—" where the mode has none (never "None")."""
    if "block_size" not in df:
        return pd.Series("—", index=df.index, dtype=object)
    b = pd.to_numeric(df["block_size"], errors="coerce")
    return pd.Series(np.where(b.notna(), b.fillna(0).astype("int64").astype(str), "—"), index=df.index, dtype=object)


LABEL_COLUMNS = ("curve", "prerelease", "option", "provenance_label", "badge", "block")


def _profile_labels(first: pd.DataFrame) -> pd.DataFrame:
    """Label columns for one row per profile (see add_labels)."""
    out = pd.DataFrame(index=first.index)

    def text(values: pd.Series[Any]) -> np.ndarray:
        return values.astype(str).to_numpy(dtype=object)

    pre = prerelease_mask(first)
    curve = text(frontier.curve_label(first))
    curve = np.where((first["provenance"] == "estimated").to_numpy(), curve + " (estimated)", curve)
    # Two profiles with one label (e.g. stock vs custom kernels): tell them apart by engine, else by id.
    key = text(first["gpu"]) + curve
    clash = pd.Series(key).duplicated(keep=False).to_numpy()
    if clash.any():
        eng_clash = (first.groupby(key)["engine"].transform("nunique") > 1).to_numpy()
        # Otherwise by the file an upload came from, else by the profile id (never shown where a name exists).
        ids = text(first["profile_id"])
        files = text(first["file"].map(lambda f: PurePath(str(f)).name)) if "file" in first else None
        fallback = ids if files is None else np.where(files != "", files, ids)
        extra = np.where(eng_clash, text(first["engine"]), fallback)
        curve = np.where(clash, curve + " (" + extra + ")", curve)
    curve = np.where(pre, curve + " (pre-release)", curve)
    out["curve"] = curve
    out["prerelease"] = pre
    out["option"] = text(first["gpu"]) + " · " + curve
    prov = first["provenance"].astype(object)
    label = prov.map(PROVENANCE_LABELS).fillna(prov).astype(str)
    out["provenance_label"] = label
    out["badge"] = [[p, PRERELEASE_LABEL] if x else [p] for p, x in zip(label, pre, strict=True)]
    out["block"] = block_text(first)
    return out


def add_labels(df: pd.DataFrame) -> pd.DataFrame:
    """Add display columns: curve label, option label (gpu · curve), provenance label, badge list (provenance,
    plus "pre-release checkpoint" where it applies), `prerelease` and `block` (text). Computed once per profile
    and mapped onto the rows (a priced curve grid has hundreds of rows per profile)."""
    out = df.drop(columns=[c for c in LABEL_COLUMNS if c in df.columns])
    if out.empty:
        for col in LABEL_COLUMNS:
            out[col] = pd.Series(dtype=bool if col == "prerelease" else object)
    else:
        first = out.drop_duplicates("profile_id").set_index("profile_id", drop=False)
        labels = _profile_labels(first)
        codes = labels.index.get_indexer(pd.Index(out["profile_id"]))
        for col in LABEL_COLUMNS:
            vals = labels[col].to_numpy()[codes]
            out[col] = vals.astype(bool) if col == "prerelease" else vals
    if "tier" in out:
        tier = out["tier"].astype(object)
        out["tier_label"] = tier.map(TIER_LABELS).fillna(tier)
    return out


def without_labels(df: pd.DataFrame) -> pd.DataFrame:
    """The frame without the display columns add_labels adds (before pricing or concatenating)."""
    return df.drop(columns=[c for c in (*LABEL_COLUMNS, "tier_label") if c in df.columns])


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
    "meets_targets": ("Meets targets", "bool"),
    "target_check": ("TTFT check", None),
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
    "tier_label": Column("Tier"),
    "point_basis": Column(
        "Point", None, "data point (the source reports it), interpolated (between two), or estimated"
    ),
    "slo_note": Column("TTFT check"),
    "check_note": Column("What could be checked", None, width="medium"),
    "est_error": Column(
        "Estimate error",
        None,
        "Estimated rows only: the estimator's error on a GPU it has no data for "
        "(leave-one-GPU-out, median and worst absolute error over the points we hold, for this mode).",
    ),
    "data_at": Column("Data at", None, "Concurrencies the curve has points for"),
    "usd_at_c1": Column("$/M at concurrency 1", _USD_M, "The same curve and offer serving a single request."),
    "ranked": Column("Ranked", "bool", "Counted for the recommendation"),
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


def estimate_error_text(errors: pd.DataFrame, mode: str | None = None) -> str:
    """ "±10 % median, p90 28 % (worst 95 %)" for estimates on GPUs without data, from a table of mode, median, p90
    and worst absolute % error (leave-one-GPU-out): the mode's row where it was checked, else the "all" row. Where
    the row has a note (which GPUs were not held out, and why), the text ends with it, so a figure never reads as
    more than it is."""
    if errors.empty:
        return ""
    row = errors[errors["mode"] == mode] if mode is not None else errors.iloc[0:0]
    if row.empty:
        row = errors[errors["mode"] == "all"]
    if row.empty:
        return ""
    r = row.iloc[0]
    has_p90 = "p90_abs_error_pct" in r and pd.notna(r["p90_abs_error_pct"])
    p90 = f", p90 {r['p90_abs_error_pct']:.0f} %" if has_p90 else ""
    note = str(r["note"]) if "note" in r and pd.notna(r["note"]) and str(r["note"]) else ""
    return f"±{r['median_abs_error_pct']:.0f} % median{p90} (worst {r['worst_abs_error_pct']:.0f} %" + (
        f"; {note})" if note else ")"
    )


def lengths_warning(lengths_status: str, lengths_note: str, what: str) -> str:
    """The warning beside an answer (`what`: "answer", "plan") built on a data curve whose lengths differ from the
    user's ("differ") or are not stated ("unknown")."""
    if lengths_status == "unknown":
        return (
            f"**Your lengths may not be reflected in this {what}**: its source does not state the lengths it was run "
            f"at ({lengths_note})."
        )
    return f"**Your lengths are not reflected in this {what}**: {lengths_note}."
