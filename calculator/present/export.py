"""Exports of cost tables and charts: CSV, Markdown, JSON, Excel (table + assumptions + sources) and
interactive HTML, all spreadsheet-safe (text cells that a spreadsheet would run as a formula are neutralised).

Pure: takes DataFrames and Plotly figures, returns str or bytes; the app offers them as downloads.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Mapping
from datetime import date, datetime
from html import escape as html_escape
from typing import Any, cast

import numpy as np
import pandas as pd
import xlsxwriter

from calculator.model.frontier import LENGTH_TOLERANCE

# A spreadsheet (Excel, LibreOffice, Google Sheets) may run a cell that starts with one of these as a
# formula (OWASP "CSV injection"). The full-width forms are included because some locales' Excel accepts them.
DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
NEUTRALISER = "'"

SHEET_TABLE = "Cost table"
SHEET_ASSUMPTIONS = "Assumptions"
SHEET_SOURCES = "Sources"

MIME_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "md": "text/markdown",
    "json": "application/json",
    "html": "text/html",
}

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_CELL_CHARS = 32_767
_EXCEL_MAX_COL_WIDTH = 60


# ---------------------------------------------------------------------------------------------
# Spreadsheet safety


def neutralise(text: str) -> str:
    """Prefix a single quote to text that a spreadsheet would treat as a formula; other text is unchanged."""
    return NEUTRALISER + text if text.startswith(DANGEROUS_PREFIXES) else text


def is_text_column(series: pd.Series) -> bool:
    """True for object, string and categorical columns: the ones whose cells are neutralised (numbers, bools and
    dates are not). price_table returns its text columns (source, engine, dataset, ...) as categoricals."""
    dtype = series.dtype
    return bool(
        isinstance(dtype, pd.CategoricalDtype)
        or pd.api.types.is_string_dtype(dtype)
        or pd.api.types.is_object_dtype(dtype)
    )


def _neutralise_cell(value: Any) -> Any:
    return neutralise(value) if isinstance(value, str) else value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy with every str cell of every text column neutralised; numeric columns are left as they are.

    In an object column only the str cells change, so a number stored there stays a number. A categorical
    column comes back as an object column (two categories may neutralise to one text).
    """
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if is_text_column(s):
            if isinstance(s.dtype, pd.CategoricalDtype):
                s = s.astype(object)
            out[col] = s.map(_neutralise_cell, na_action="ignore")
    return out


def _column_names(df: pd.DataFrame) -> list[str]:
    return [str(c) for c in df.columns]


# ---------------------------------------------------------------------------------------------
# Text formats


def to_csv(df: pd.DataFrame) -> str:
    """Comma-separated (RFC 4180, CRLF), header row, no index, empty cells for missing values, text neutralised."""
    out = safe_frame(df)
    out.columns = [neutralise(c) for c in _column_names(df)]
    # CRLF (RFC 4180): the csv module then quotes any cell holding a CR or LF, so a bare CR cannot split a row.
    return str(out.to_csv(index=False, lineterminator="\r\n"))


def _markdown_cell(value: Any, float_digits: int) -> str:
    """One cell as Markdown text: missing → empty; floats rounded for reading; text escaped for a table cell."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        v = float(value)
        if math.isnan(v):
            return ""
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        # `float_digits` significant digits for |v| >= 1 (15223.4141 -> 15223, 91.9844 -> 91.98), `float_digits`
        # decimals below 1 (0.0552); the integer part is never cut.
        whole = len(str(int(abs(v)))) if abs(v) >= 1 else 0
        text = f"{v:.{max(0, float_digits - whole)}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    return escape_markdown(str(value))


def escape_markdown(text: str) -> str:
    r"""Make text literal inside a GFM table cell: backslashes, pipes, angle brackets (HTML, <autolinks>) and square
    brackets (links, images, reference definitions: no `[x](javascript:...)` or `![i](http://host/i.png)` survives)
    escaped, line breaks as <br>. A bare https URL stays a URL (sources are links)."""
    for ch in ("\\", "|", "<", ">", "[", "]"):
        text = text.replace(ch, "\\" + ch)
    return text.replace("\r\n", "<br>").replace("\n", "<br>").replace("\r", "<br>")


def render(df: pd.DataFrame, fmt: str, *, float_digits: int = 4) -> str:
    """The CLI's output formats: "csv", "json" (a list of row objects) or Markdown (anything else)."""
    if fmt == "csv":
        return to_csv(df)
    if fmt == "json":
        return to_json(df)
    return to_markdown(df, float_digits=float_digits)


def to_markdown(df: pd.DataFrame, *, float_digits: int = 4) -> str:
    """A GitHub-flavoured Markdown table (numeric columns right-aligned; floats at `float_digits` significant digits,
    or decimals below 1, never cutting the integer part)."""
    header = [escape_markdown(c) for c in _column_names(df)]
    aligns = ["---:" if _is_number_column(df[c]) else "---" for c in df.columns]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(aligns) + " |"]
    for row in df.itertuples(index=False, name=None):
        lines.append("| " + " | ".join(_markdown_cell(v, float_digits) for v in row) + " |")
    return "\n".join(lines) + "\n"


def _is_number_column(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype)


def _json_default(value: Any) -> Any:
    """Turn numpy and pandas scalars into JSON values (json.dumps calls this for types it does not know)."""
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return _finite_or_none(float(value))
    if isinstance(value, pd.Timestamp | datetime | date):
        return value.isoformat()
    if isinstance(value, pd.Timedelta):
        return value.isoformat()
    return str(value)


def _finite_or_none(v: float) -> float | None:
    return v if math.isfinite(v) else None


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts with missing values (NaN, NA, NaT, ±inf) as None and numbers as Python numbers."""
    obj = df.astype(object)
    obj = obj.where(df.notna(), None)
    records = cast(list[dict[str, Any]], obj.to_dict(orient="records"))
    for rec in records:
        for k, v in rec.items():
            if isinstance(v, float | np.floating) and not math.isfinite(float(v)):
                rec[k] = None
    return records


def to_json(df: pd.DataFrame, *, indent: int | None = 2) -> str:
    """A JSON array of row objects; missing and infinite values are null, numbers stay numbers, text is verbatim."""
    frame = df.copy()
    frame.columns = _column_names(df)
    return json.dumps(_records(frame), default=_json_default, allow_nan=False, ensure_ascii=False, indent=indent)


# ---------------------------------------------------------------------------------------------
# Assumptions travel with the numbers (a table without its utilisation, lengths and targets misleads)

ASSUMPTION_PREFIX = "assumed_"


def cost_notes() -> dict[str, str]:
    """What the settings mean and how costs are computed (the Assumptions sheet, Markdown and JSON carry these)."""
    return {
        "targets": "0 = no target; TTFT is p50; tok/s per user = 1000 / TPOT p50 where reported, else output tok/s "
        "/ concurrency",
        "unchecked targets fail": "true: a TTFT target on a source without TTFT counts as failed; false: passes, "
        "flagged in target_check",
        "estimates at your lengths": "true: data curves reported at lengths more than the tolerance from yours are "
        "not ranked (ranked = false) and estimates at your lengths stand in",
        "price ratio R": "an output token costs R input tokens (GKE's split, for the 'output, input at 1/R' "
        "denominator)",
        "cost formula": (
            "usd_per_mtok = usd_per_gpu_hour x gpus_per_replica / (tok_s_per_replica x utilisation x 3600) x 1e6"
        ),
        "usd_per_mtok_total": "input + output tokens; total_is_derived = true where the source gave output only "
        "and the input rate comes from ISL/OSL",
        "interpolation": "monotone (PCHIP) in log2(concurrency) between a curve's data points; never extrapolated",
        "length tolerance x": f"a curve reflects your ISL/OSL when both are within {LENGTH_TOLERANCE:g}x "
        "of the lengths it was reported at (SPEED-Bench typical ~300 in / ~640 out where unstated)",
        "provenance": "measured = this tool; uploaded = yours; vendor = NVIDIA-reported, unconfirmed; vendor_internal "
        "= NVIDIA authors' sweep (NLD rows on a pre-release checkpoint); community; estimated = roofline model",
    }


def assumption_column(name: str) -> str:
    """An assumption's name as a column name: `assumed_` + lower-case words joined by underscores."""
    words = "".join(ch if ch.isalnum() else " " for ch in str(name).lower()).split()
    return ASSUMPTION_PREFIX + "_".join(words)


def _scalar(value: Any) -> Any:
    """A value fit for one cell: lists and sets joined by commas, mappings as JSON text."""
    if isinstance(value, Mapping):
        return json.dumps(value, default=_json_default, ensure_ascii=False, sort_keys=True)
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return ", ".join(str(v) for v in items)
    return value


def with_assumptions(table: pd.DataFrame, assumptions: Mapping[str, Any]) -> pd.DataFrame:
    """A copy of `table` with one constant column per assumption (`assumed_<name>`), appended on the right,
    so a CSV row carries the utilisation, lengths, targets and price basis it was computed with.
    Columns the table already has are left as they are."""
    out = table.copy()
    for name, value in assumptions.items():
        col = assumption_column(name)
        if col not in out.columns:
            out[col] = [_scalar(value)] * len(out)
    return out


def _assumption_records(assumptions: Mapping[str, Any]) -> dict[str, Any]:
    frame = assumptions_frame(assumptions)
    return {str(k): v for k, v in zip(frame["assumption"], frame["value"], strict=True)}


def to_json_document(
    table: pd.DataFrame,
    assumptions: Mapping[str, Any],
    *,
    prices: pd.DataFrame | None = None,
    sources: pd.DataFrame | None = None,
    indent: int | None = 2,
) -> str:
    """`{"assumptions": {...}, "rows": [...], "prices": [...], "sources": [...]}`: the scenario's inputs, the rows as
    `to_json` writes them (each with its source, provenance and date and the price it used: offer, tier, $/GPU-hour,
    price date), the price offers used (as Excel's Assumptions sheet lists them) and every source behind the rows
    (`sources_frame`, Excel's Sources sheet). `prices` and `sources` are left out when not given.

    (`to_json` keeps writing a bare list of rows, for the CLI.)"""
    frame = table.copy()
    frame.columns = _column_names(table)
    doc: dict[str, Any] = {"assumptions": _assumption_records(assumptions), "rows": _records(frame)}
    for name, part in (("prices", prices), ("sources", sources)):
        if part is not None:
            extra = part.copy()
            extra.columns = _column_names(part)
            doc[name] = _records(extra)
    return json.dumps(doc, default=_json_default, allow_nan=False, ensure_ascii=False, indent=indent)


def to_markdown_document(
    table: pd.DataFrame, assumptions: Mapping[str, Any], *, title: str | None = None, float_digits: int = 4
) -> str:
    """A Markdown document: an optional `# title`, an "Assumptions" section (a two-column table) and the
    "Cost table" section (`to_markdown`)."""
    parts = [f"# {escape_markdown(title)}\n"] if title else []
    frame = assumptions_frame(assumptions)
    parts.append("## Assumptions\n")
    parts.append(to_markdown(frame.astype(object).map(_scalar), float_digits=float_digits))
    parts.append("## Cost table\n")
    parts.append(to_markdown(table, float_digits=float_digits))
    return "\n".join(parts)


# ---------------------------------------------------------------------------------------------
# Excel


def assumptions_frame(assumptions: Mapping[str, Any] | pd.DataFrame) -> pd.DataFrame:
    """Scenario inputs as a two-column (assumption, value) frame; nested mappings become dotted keys."""
    if isinstance(assumptions, pd.DataFrame):
        return assumptions
    rows: list[tuple[str, Any]] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        elif isinstance(value, list | tuple | set | frozenset):
            items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
            rows.append((prefix, ", ".join(str(v) for v in items)))
        else:
            rows.append((prefix, value))

    walk("", assumptions)
    return pd.DataFrame(rows, columns=["assumption", "value"], dtype=object)


def price_provenance(table: pd.DataFrame) -> pd.Series:
    """Whose price a row uses, with its tier: "your price (tier)" for a quote the user entered or an offer they edited,
    "list price (tier)" for a provider's published price, "TCO model (tier)" for the owned / rental tiers."""
    src = table["price_source"].astype(str)
    tier = table["tier"].astype(str) if "tier" in table.columns else pd.Series("", index=table.index)
    yours = src.str.startswith(("your quote", "your own price", "your TCO inputs", "edited by you"))
    tco = tier.isin(["owned", "rental_3y"])
    kind = pd.Series("list price", index=table.index).mask(tco, "TCO model").mask(yours, "your price")
    return kind + tier.map(lambda t: f" ({t})" if t and t != "nan" else "")


def sources_frame(table: pd.DataFrame) -> pd.DataFrame:
    """Every distinct throughput provenance and price source behind a cost table, with its date.

    Columns: what (throughput | price), id (profile_id | offer_id), provenance (throughput: measured,
    vendor, community, ...; price: `price_provenance`), source, as_of, notes. Throughput rows first, each part
    sorted by id.
    Built from the cost table's columns where present (profile_id, provenance, source, as_of,
    provenance_notes; offer_id, provider, tier, price_source, price_as_of, price_notes).
    """
    parts: list[pd.DataFrame] = []

    def pick(cols: Mapping[str, str], what: str) -> None:
        present = {dst: src for dst, src in cols.items() if src in table.columns}
        if "source" not in present:
            return
        part = pd.DataFrame({dst: table[src] for dst, src in present.items()}).reindex(
            columns=["id", "provenance", "source", "as_of", "notes"]
        )
        part.insert(0, "what", what)
        part = part.astype(object).where(part.notna(), "").drop_duplicates()
        parts.append(part.sort_values("id", kind="stable", key=lambda s: s.astype(str)))

    pick(
        {
            "id": "profile_id",
            "provenance": "provenance",
            "source": "source",
            "as_of": "as_of",
            "notes": "provenance_notes",
        },
        "throughput",
    )
    if "price_source" in table.columns:
        table = table.assign(_price_provenance=price_provenance(table))
    pick(
        {
            "id": "offer_id",
            "provenance": "_price_provenance",
            "source": "price_source",
            "as_of": "price_as_of",
            "notes": "price_notes",
        },
        "price",
    )
    if not parts:
        return pd.DataFrame(columns=["what", "id", "provenance", "source", "as_of", "notes"])
    return pd.concat(parts, ignore_index=True)


def _excel_number_format(name: str) -> str | None:
    """Display format for a numeric column by its unit suffix ($/M to 3 decimals, rates with separators)."""
    if name.startswith("usd_per_mtok") or name.startswith("usd_per_gpu_hour") or name.startswith("usd_"):
        return "$#,##0.000"
    if name.endswith(("_tok_s", "_tok_s_per_gpu")) or name == "tok_s_user":
        return "#,##0.0"
    if name.endswith("_ms") or "_ms_" in name:
        return "#,##0.0"
    return None


def _xml_safe(text: str) -> str:
    """Trim to Excel's cell limit (XML control characters are escaped by xlsxwriter itself)."""
    return text if len(text) <= EXCEL_MAX_CELL_CHARS else text[: EXCEL_MAX_CELL_CHARS - 1] + "…"


def _write_frame(ws: Any, wb: Any, df: pd.DataFrame, first_row: int, header_fmt: Any) -> int:
    """Write a header row and the frame's cells with typed writes; returns the next free row."""
    if len(df) + first_row + 1 > EXCEL_MAX_ROWS:
        raise ValueError(f"{len(df):,} rows do not fit in an Excel sheet (limit {EXCEL_MAX_ROWS:,})")
    safe = safe_frame(df)
    widths: list[int] = []
    for j, name in enumerate(_column_names(df)):
        ws.write_string(first_row, j, _xml_safe(neutralise(name)), header_fmt)
        col = safe.iloc[:, j]
        fmt_spec = _excel_number_format(name) if _is_number_column(col) else None
        cell_fmt = wb.add_format({"num_format": fmt_spec}) if fmt_spec else None
        width = len(name)
        for i, v in enumerate(col.tolist(), start=first_row + 1):
            width = max(width, _write_cell(ws, i, j, v, cell_fmt))
        widths.append(min(width + 2, _EXCEL_MAX_COL_WIDTH))
    for j, w in enumerate(widths):
        ws.set_column(j, j, w)
    return first_row + len(df) + 1


def _write_cell(ws: Any, row: int, col: int, value: Any, fmt: Any) -> int:
    """Write one cell with the writer for its type (never as a formula); returns its display width."""
    if value is None or value is pd.NA or value is pd.NaT:
        ws.write_blank(row, col, None, fmt)
        return 0
    if isinstance(value, bool | np.bool_):
        ws.write_boolean(row, col, bool(value), fmt)
        return 5
    if isinstance(value, int | float | np.integer | np.floating):
        v = float(value)
        if not math.isfinite(v):
            ws.write_blank(row, col, None, fmt)
            return 0
        ws.write_number(row, col, v, fmt)
        return min(len(f"{v:,.3f}"), 16)
    if isinstance(value, pd.Timestamp | datetime | date):
        text = value.isoformat()
    else:
        text = _xml_safe(_neutralise_cell(str(value)))
    ws.write_string(row, col, text, fmt)
    return len(text)


def to_xlsx(
    table: pd.DataFrame,
    assumptions: Mapping[str, Any] | pd.DataFrame,
    prices: pd.DataFrame,
    sources: pd.DataFrame,
) -> bytes:
    """An Excel workbook with three sheets.

    - "Cost table": the table as given (header row frozen, autofilter, $/M shown as $0.000);
    - "Assumptions": the scenario inputs (a mapping becomes assumption/value rows), then the prices used;
    - "Sources": every provenance, source and date (see `sources_frame`).
    Text cells are neutralised and every cell is written with a typed writer, so nothing becomes a formula.
    """
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(
        buf,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    header = wb.add_format({"bold": True, "bottom": 1, "text_wrap": False})
    title = wb.add_format({"bold": True, "font_size": 12})

    ws = wb.add_worksheet(SHEET_TABLE)
    _write_frame(ws, wb, table, 0, header)
    ws.freeze_panes(1, 0)
    if len(table.columns):
        ws.autofilter(0, 0, max(len(table), 1), len(table.columns) - 1)

    ws = wb.add_worksheet(SHEET_ASSUMPTIONS)
    ws.write_string(0, 0, "Scenario inputs", title)
    next_row = _write_frame(ws, wb, assumptions_frame(assumptions), 1, header)
    ws.write_string(next_row + 1, 0, "Prices used", title)
    _write_frame(ws, wb, prices, next_row + 2, header)

    ws = wb.add_worksheet(SHEET_SOURCES)
    _write_frame(ws, wb, sources, 0, header)
    ws.freeze_panes(1, 0)

    wb.close()
    return buf.getvalue()


DOCUMENT_FORMATS: dict[str, str] = {"csv": "CSV", "xlsx": "Excel", "md": "Markdown", "json": "JSON"}


def file_stem(base: str, isl: int, osl: int, ctx: int | None = None) -> str:
    """A download's file name without extension, with the lengths it was computed at, so exports at 1K and 32K do
    not collide: `nld-cost-b200_isl1024_osl1024` (and `_ctx32768` with a context override)."""
    return f"{base}_isl{int(isl)}_osl{int(osl)}" + (f"_ctx{int(ctx)}" if ctx else "")


def document(
    ext: str,
    table: pd.DataFrame,
    assumptions: Mapping[str, Any],
    notes: Mapping[str, str],
    prices: pd.DataFrame,
    *,
    title: str,
) -> bytes:
    """A cost table as a downloadable document that carries its assumptions: CSV (assumed_* columns), Excel
    (those columns plus the Assumptions and Sources sheets), Markdown (a header section) or JSON (an
    "assumptions" object). `notes` (cost_notes) explain the settings in the Excel, Markdown and JSON files."""
    documented = {**assumptions, "notes": notes}
    if ext == "csv":
        return to_csv(with_assumptions(table, assumptions)).encode("utf-8")
    if ext == "xlsx":
        return to_xlsx(with_assumptions(table, assumptions), documented, prices, sources_frame(table))
    if ext == "md":
        return to_markdown_document(table, documented, title=title).encode("utf-8")
    if ext == "json":
        return to_json_document(table, documented, prices=prices, sources=sources_frame(table)).encode("utf-8")
    raise ValueError(f"unknown document format {ext!r}; known: {', '.join(DOCUMENT_FORMATS)}")


# ---------------------------------------------------------------------------------------------
# Charts


def chart_html(fig: Any, *, title: str | None = None) -> str:
    """A self-contained interactive HTML page for a Plotly figure (plotly.js inlined: opens offline); user text in
    its traces is literal (literal_figure)."""
    import plotly.io as pio

    from calculator.present.charts import literal_figure

    config = {"displaylogo": False, "responsive": True}
    html = str(pio.to_html(literal_figure(fig), full_html=True, include_plotlyjs=True, config=config))
    page_title = title if title is not None else _figure_title(fig)
    if page_title:
        html = html.replace("<head>", f"<head><title>{html_escape(page_title)}</title>", 1)
    return html


def _figure_title(fig: Any) -> str:
    try:
        text = fig.layout.title.text
    except AttributeError:
        return ""
    return str(text) if text else ""
