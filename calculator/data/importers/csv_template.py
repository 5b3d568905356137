"""Our CSV template: one row per operating point, validated column by column with pandas (a
100,000-row file in well under a second or two), then turned into Profiles grouped by
(gpu, model, mode, precision, gpus_per_replica, isl, osl, engine, engine_version, block_size).

Rows are numbered as a spreadsheet shows them: the header is row 1, the first data row is row 2.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from calculator.data.importers._assemble import given_value, make_profile, missing_problems, not_applied
from calculator.data.importers._common import (
    ASSUMED_PRECISION,
    MAX_PROBLEMS_PER_KIND,
    REQUIRED_META,
    SUPPLY_HINT,
    Context,
    ImportResult,
    Reader,
    header_cells,
)
from calculator.data.importers._ids import id_problem, normalise_override, precision_from_name
from calculator.data.schema import (
    MAX_MS,
    MAX_REQUESTS,
    MAX_TOK_S,
    MAX_TOKENS_PER_FORWARD,
    MIN_TOK_S,
    TPOT_RATE_FACTOR,
    ProfilePoint,
)

CSV_TEMPLATE_COLUMNS: tuple[str, ...] = (
    "gpu",
    "model",
    "mode",
    "precision",
    "gpus_per_replica",
    "concurrency",
    "output_tok_s",
    "total_tok_s",
    "input_tok_s",
    "ttft_ms_p50",
    "ttft_ms_p99",
    "tpot_ms_p50",
    "tpot_ms_p99",
    "e2e_ms_p50",
    "tokens_per_forward",
    "accept_length",
    "requests_completed",
    "requests_failed",
    "isl",
    "osl",
    "engine",
    "engine_version",
    "block_size",
    "notes",
)
REQUIRED_COLUMNS: tuple[str, ...] = ("concurrency", "output_tok_s")
ID_COLUMNS: tuple[str, ...] = REQUIRED_META  # gpu, model, mode, precision: a column, or an override
TEXT_COLUMNS: tuple[str, ...] = ("engine", "engine_version", "notes")
MAX_TEXT = 2000


@dataclass(frozen=True)
class Rule:
    """What a numeric column accepts."""

    integer: bool
    minimum: float
    exclusive: bool  # minimum itself is refused (> instead of >=)
    maximum: float | None = None
    floor: float | None = None  # a positive value below it is refused too (schema.MIN_TOK_S)


NUMERIC_RULES: dict[str, Rule] = {
    "concurrency": Rule(True, 1, False, 1_000_000),
    "gpus_per_replica": Rule(True, 1, False, 4096),
    "isl": Rule(True, 1, False, 10_000_000),
    "osl": Rule(True, 1, False, 10_000_000),
    "block_size": Rule(True, 1, False, 4096),
    "requests_completed": Rule(True, 0, False, MAX_REQUESTS),
    "requests_failed": Rule(True, 0, False, MAX_REQUESTS),
    "output_tok_s": Rule(False, 0, True, MAX_TOK_S, MIN_TOK_S),
    "total_tok_s": Rule(False, 0, True, MAX_TOK_S, MIN_TOK_S),
    "input_tok_s": Rule(False, 0, False, MAX_TOK_S),
    "ttft_ms_p50": Rule(False, 0, True, MAX_MS),
    "ttft_ms_p99": Rule(False, 0, True, MAX_MS),
    "tpot_ms_p50": Rule(False, 0, True, MAX_MS),
    "tpot_ms_p99": Rule(False, 0, True, MAX_MS),
    "e2e_ms_p50": Rule(False, 0, True, MAX_MS),
    "tokens_per_forward": Rule(False, 0, True, MAX_TOKENS_PER_FORWARD),
    "accept_length": Rule(False, 0, True, MAX_TOKENS_PER_FORWARD),
}
POINT_COLUMNS: tuple[str, ...] = tuple(c for c in CSV_TEMPLATE_COLUMNS if c in ProfilePoint.model_fields)
GROUP_COLUMNS: tuple[str, ...] = (
    "gpu",
    "model",
    "mode",
    "precision",
    "gpus_per_replica",
    "isl",
    "osl",
    "engine",
    "engine_version",
    "block_size",
)
_NAN_WORDS = frozenset({"nan", "na", "n/a", "null", "none", "-nan"})
_LEADING_BLANK_LINES = re.compile(r"\A(?:[ \t]*(?:\r\n|\r|\n))+")
_PARSER_LINE = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def csv_template() -> str:
    """The downloadable template: the header row of CSV_TEMPLATE_COLUMNS (see docs/formats.md)."""
    return ",".join(CSV_TEMPLATE_COLUMNS) + "\n"


class _Problems:
    """Row problems grouped by column and message, capped, so a 100,000-row mistake stays readable."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader

    def rows(self, rows: Iterable[int], column: str, message: str, values: pd.Series | None = None) -> None:
        """One problem per row for the first MAX_PROBLEMS_PER_KIND rows, then one summary."""
        rows = list(rows)
        for n in rows[:MAX_PROBLEMS_PER_KIND]:
            shown = ""
            if values is not None:
                text = str(values.loc[n])
                shown = f" (got {text!r})" if len(text) <= 60 else f" (got {text[:57]!r}...)"
            self.reader.problem(f"row {n}, {column}", message + shown)
        if len(rows) > MAX_PROBLEMS_PER_KIND:
            self.reader.problem(
                f"rows {rows[MAX_PROBLEMS_PER_KIND]}-{rows[-1]}, {column}",
                f"{message}: {len(rows) - MAX_PROBLEMS_PER_KIND:,} more rows like the above",
            )


def read_table(text: str, delimiter: str, reader: Reader) -> pd.DataFrame | None:
    """The table indexed by spreadsheet row number, or None if it is unreadable.

    Fast path: the C parser reads numeric columns straight into float64 (empty cells = NaN). If any
    numeric cell is not plain number text ("abc", "nan", " "), the whole table is read again as
    text so every bad cell can be reported with its row.
    """
    before = len(reader.problems)
    cells = header_cells(text, delimiter)
    if cells is None:
        reader.problem("row 1", "the header row is not valid CSV")
        return None
    names = [c.strip().lower() for c in cells]
    dupes = sorted(n for n, count in Counter(names).items() if count > 1)  # (list.count per name is quadratic)
    if dupes:
        reader.problem("row 1", f"column(s) {', '.join(map(repr, dupes))} appear more than once")
        return None
    if "" in names:
        reader.problem("row 1", f"column {names.index('') + 1} has no name")
        return None
    numeric = {raw: "float64" for raw, name in zip(cells, names, strict=True) if name in NUMERIC_RULES}
    texts = {raw: str for raw in cells if raw not in numeric}
    try:
        df = _read(text, delimiter, {**texts, **numeric}, {raw: [""] for raw in numeric}, reader)
    except ValueError:
        df = None  # a numeric column holds something that is not a number: read as text, report per cell
    if df is None and len(reader.problems) == before:
        try:
            df = _read(text, delimiter, str, None, reader)
        except ValueError as e:
            reader.problem("file", f"malformed CSV: {_first_line(e)}")
    if df is None or len(reader.problems) > before:
        return None
    df.columns = pd.Index(names if len(names) == len(df.columns) else [str(c).strip().lower() for c in df.columns])
    df.index = pd.RangeIndex(2, len(df) + 2)
    blank = pd.Series(True, index=df.index)
    for column in df.columns:
        if df[column].dtype == "float64":
            blank &= df[column].isna()
        else:
            df[column] = df[column].str.strip()
            blank &= df[column] == ""
    table: pd.DataFrame = df.loc[~blank]
    return table


def _read(text: str, delimiter: str, dtype: Any, na_values: Any, reader: Reader) -> pd.DataFrame | None:
    """pandas' C parser with nothing guessed; its warnings and parse errors become problems."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            df = pd.read_csv(
                io.StringIO(text),
                sep=delimiter,
                dtype=dtype,
                keep_default_na=False,
                na_values=na_values,
                na_filter=na_values is not None,
                skip_blank_lines=False,
                index_col=False,
                engine="c",
            )
    except pd.errors.ParserError as e:
        m = _PARSER_LINE.search(str(e))
        if m:
            reader.problem(f"row {m.group(2)}", f"{m.group(3)} cells where the header has {m.group(1)} columns")
        else:
            reader.problem("file", f"malformed CSV: {_first_line(e)}")
        return None
    except (pd.errors.EmptyDataError, UnicodeError, csv.Error, OverflowError) as e:
        reader.problem("file", f"malformed CSV: {_first_line(e)}")
        return None
    for w in caught:
        if issubclass(w.category, pd.errors.ParserWarning):
            reader.problem("file", f"malformed CSV: {_first_line(w.message)} (rows with more cells than the header?)")
            return None
    return df


def _first_line(e: object) -> str:
    text = str(e)
    return text.splitlines()[0] if text else type(e).__name__


def import_csv(text: str, ctx: Context, delimiter: str = ",") -> ImportResult:
    """Profiles from our CSV template; never raises for bad content."""
    reader = Reader(ctx.file)
    result = ImportResult(ctx.file, "csv", warnings=reader.warnings)
    text = _LEADING_BLANK_LINES.sub("", text.lstrip("\ufeff"))
    df = read_table(text, delimiter, reader)
    result.problems = reader.problems
    if df is None:
        return result
    known = set(CSV_TEMPLATE_COLUMNS)
    for column in df.columns:
        if column not in known:
            reader.problem(
                f"row 1, {column}",
                f"unknown column {column!r} (ignored); the template's columns are in docs/formats.md",
            )
    absent = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if absent:
        reader.problem("row 1", f"missing required column(s): {', '.join(absent)}")
        return result
    if df.empty:
        reader.problem("file", "no data rows under the header")
        return result

    problems = _Problems(reader)
    bad = pd.Series(False, index=df.index)
    numbers = _check_numbers(df, problems, bad)
    meta, missing, precision_assumed = _check_ids(df, ctx, problems, bad)
    for column in TEXT_COLUMNS:
        if column in df.columns:
            too_long = df[column].str.len() > MAX_TEXT
            if too_long.any():
                problems.rows(df.index[too_long], column, f"longer than {MAX_TEXT} characters")
                bad |= too_long
    _check_consistency(numbers, problems, bad)

    if missing:
        result.missing = missing
        reader.problems.extend(missing_problems(ctx, missing))
        return result

    good = ~bad
    frame = pd.DataFrame({c: numbers[c] for c in numbers}, index=df.index).loc[good]
    for column, values in meta.items():
        frame[column] = values.loc[good]
    frame["gpus_per_replica"] = _gpus(frame, ctx, reader)
    frame["_precision_assumed"] = precision_assumed.loc[good]
    for column in ("isl", "osl", "block_size"):
        if column not in frame.columns:
            frame[column] = np.nan
    keys = list(GROUP_COLUMNS)
    dup = frame.duplicated(subset=[*keys, "concurrency"], keep="first")
    if dup.any():
        rows = pd.Series(frame.index, index=frame.index)
        first = rows.groupby([frame[k] for k in [*keys, "concurrency"]], dropna=False, sort=False).transform("first")
        dup_rows = frame.index[dup]
        for n in dup_rows[:MAX_PROBLEMS_PER_KIND]:
            reader.problem(
                f"row {n}, concurrency",
                f"duplicated point: same profile and concurrency as row {first.loc[n]} (kept the first)",
            )
        if len(dup_rows) > MAX_PROBLEMS_PER_KIND:
            reader.problem(
                f"rows {dup_rows[MAX_PROBLEMS_PER_KIND]}-{dup_rows[-1]}, concurrency",
                f"duplicated point: {len(dup_rows) - MAX_PROBLEMS_PER_KIND:,} more rows like the above",
            )
        frame = frame.loc[~dup]
    if frame.empty:
        if not reader.problems:
            reader.problem("file", "no valid rows to import")
        return result

    points = build_points(frame)
    notes = df["notes"].loc[frame.index] if "notes" in df.columns else None
    assumed_gpus = "gpus_per_replica" not in df.columns and ctx.overrides.gpus_per_replica is None
    if assumed_gpus:
        reader.warn("gpus_per_replica", f"not in this csv file: assumed 1; {SUPPLY_HINT['gpus_per_replica']}")
    for key, positions in frame.groupby(keys, dropna=False, sort=False).indices.items():
        first = frame.iloc[positions[0]]
        group_meta: dict[str, Any] = {k: _plain(first[k]) for k in keys}
        group_meta["engine"] = group_meta["engine"] or "unknown"
        gpus = int(group_meta["gpus_per_replica"])
        group_meta.update(tp=gpus, pp=1, dp=1)
        group_notes = ["gpus_per_replica not given: assumed 1"] if assumed_gpus else []
        if frame["_precision_assumed"].iloc[positions].any():
            group_notes.append(f"precision {ASSUMED_PRECISION} assumed: not in the file")
        if notes is not None:
            group_notes += [str(n) for n in notes.iloc[positions].unique() if n]
        group_points = [points[i] for i in positions]
        if len(group_points) > 100_000:
            reader.problem("file", f"more than 100,000 points in one profile ({len(group_points):,}); split the file")
            continue
        key_tuple = tuple(_plain(k) for k in (key if isinstance(key, tuple) else (key,)))
        profile = make_profile(ctx, group_meta, key_tuple, group_points, group_notes, reader)
        if profile is not None:
            result.profiles.append(profile)
    return result


def _check_numbers(df: pd.DataFrame, problems: _Problems, bad: pd.Series) -> dict[str, pd.Series]:
    """Each numeric column as float64 (NaN = empty), with every bad cell reported and its row marked."""
    out: dict[str, pd.Series] = {}
    for column, rule in NUMERIC_RULES.items():
        if column not in df.columns:
            continue
        issues: list[tuple[pd.Series, str, bool]] = []
        if df[column].dtype == "float64":  # parsed by the C reader: every cell is a number or empty
            values = df[column]
            text = values  # shown as numbers in messages
            empty = values.isna()
            not_number = pd.Series(False, index=df.index)
        else:
            text = df[column]
            empty = text == ""
            filled = text[~empty]
            try:
                parsed = filled.astype("float64")  # fast when every filled cell is number text
            except ValueError:
                parsed = pd.to_numeric(filled, errors="coerce").astype("float64")
            values = parsed.reindex(df.index)
            not_number = values.isna() & ~empty  # "abc", and "nan"/"null" words (parsed as NaN)
        if not_number.any():
            nan_word = pd.Series(False, index=df.index)
            nan_word[not_number] = text[not_number].str.lower().isin(_NAN_WORDS)
            issues.append((not_number & nan_word, "NaN is not a number", True))
            issues.append((not_number & ~nan_word, "not a number", True))
        finite = pd.Series(np.isfinite(values.to_numpy()), index=values.index)
        issues.append((values.notna() & ~finite, "infinite value", True))
        if rule.exclusive:
            issues.append((finite & (values == 0), f"must be greater than {rule.minimum:g} (got 0)", False))
            issues.append((finite & (values < 0), f"must be greater than {rule.minimum:g}, not negative", True))
        else:
            issues.append((finite & (values < rule.minimum), f"must be at least {rule.minimum:g}", True))
        if rule.floor is not None:
            issues.append((finite & (values > 0) & (values < rule.floor), f"must be at least {rule.floor:g}", True))
        if rule.maximum is not None:
            issues.append((finite & (values > rule.maximum), f"must be at most {rule.maximum:,.0f}", True))
        if rule.integer:
            issues.append((finite & (values % 1 != 0), "must be a whole number", True))
        if column in REQUIRED_COLUMNS:
            issues.append((empty, "missing value (this column is required)", False))
        for mask, message, show in issues:
            if mask.any():
                problems.rows(df.index[mask], column, message, text if show else None)
                bad |= mask
        out[column] = values.where(finite)
    return out


def _check_ids(
    df: pd.DataFrame, ctx: Context, problems: _Problems, bad: pd.Series
) -> tuple[dict[str, pd.Series], list[str], pd.Series]:
    """gpu, model, mode, precision per row (the column's value, else the given one), engine texts; which
    are missing; and which rows' precision is assumed (bf16: no precision in the row, its model name or given)."""
    meta: dict[str, pd.Series] = {}
    missing: list[str] = []
    assumed = pd.Series(False, index=df.index)
    for column in ID_COLUMNS:
        given = given_value(ctx.overrides, column)
        if column in df.columns:
            values = df[column].str.lower().astype(object)
            if column in ("model", "precision"):
                values = values.map({u: normalise_override(column, u) if u else "" for u in values.unique()})
        else:
            values = pd.Series("", index=df.index, dtype=object)
        empty = values == ""
        if column == "precision" and empty.any() and "model" in df.columns:
            by_name = df["model"].map({u: precision_from_name(u) or "" for u in df["model"].unique()})
            values = values.where(~empty, by_name)
            empty = values == ""
        if given is not None:
            conflict = ~empty & (values != given)
            if conflict.any():
                rows = df.index[conflict]
                message = not_applied(column, values.loc[rows[0]], given) + f" ({len(rows)} rows)"
                problems.reader.warn(f"row {rows[0]}, {column}", message)
            values = values.where(~empty, given)
            empty = values == ""
        if column == "precision" and empty.any():
            assumed = empty.copy()
            values = values.where(~empty, ASSUMED_PRECISION)
            problems.reader.warn(
                "precision", f"not in this csv file: assumed {ASSUMED_PRECISION}; {SUPPLY_HINT['precision']}"
            )
            empty = values == ""
        if empty.all() and column not in df.columns:
            missing.append(column)
            continue
        if empty.any():
            problems.rows(df.index[empty], column, "empty: fill the column or give the value for the whole file")
            missing.append(column)
        for value in values[~empty].unique():
            why = id_problem(column, value)
            if why is not None:
                mask = values == value
                problems.rows(df.index[mask], column, why)
                bad |= mask
        meta[column] = values
    for column, default in (("engine", ctx.overrides.engine or "unknown"), ("engine_version", "")):
        if column in df.columns:
            meta[column] = df[column].astype(object).where(df[column] != "", default)
        else:
            meta[column] = pd.Series(default, index=df.index, dtype=object)
    return meta, missing, assumed


def _check_consistency(numbers: dict[str, pd.Series], problems: _Problems, bad: pd.Series) -> None:
    """total >= output; p99 >= p50; output tok/s within what concurrency and TPOT allow (the same rules as
    ProfilePoint, on whole columns)."""
    pairs = (
        ("output_tok_s", "total_tok_s", "total_tok_s is below output_tok_s; total includes output"),
        ("ttft_ms_p50", "ttft_ms_p99", "ttft_ms_p99 is below ttft_ms_p50"),
        ("tpot_ms_p50", "tpot_ms_p99", "tpot_ms_p99 is below tpot_ms_p50"),
    )
    for low, high, message in pairs:
        if low in numbers and high in numbers:
            mask = (numbers[high] < numbers[low] * (1 - 1e-9)).fillna(False) & ~bad
            if mask.any():
                problems.rows(mask.index[mask], high, message)
                bad |= mask
    if {"output_tok_s", "tpot_ms_p50", "concurrency"} <= numbers.keys():
        out, tpot, conc = numbers["output_tok_s"], numbers["tpot_ms_p50"], numbers["concurrency"]
        mask = (out > TPOT_RATE_FACTOR * conc * 1000.0 / tpot).fillna(False) & ~bad
        if mask.any():
            message = (
                "contradicts the row's tpot_ms_p50: concurrency users at tpot_ms_p50 ms per token make at most"
                f" concurrency x 1000 / tpot_ms_p50 tok/s (x{TPOT_RATE_FACTOR:g} allowed)"
            )
            problems.rows(mask.index[mask], "output_tok_s", message, out)
        bad |= mask


def _gpus(frame: pd.DataFrame, ctx: Context, reader: Reader) -> pd.Series:
    """GPUs per replica per row: the column's value, else the given one, else 1 (noted by the caller)."""
    given = ctx.overrides.gpus_per_replica
    fill = int(given) if given is not None else 1
    if "gpus_per_replica" not in frame.columns:
        return pd.Series(fill, index=frame.index)
    column = frame["gpus_per_replica"]
    if given is not None:
        conflict = column.notna() & (column != given)
        if conflict.any():
            row = frame.index[conflict][0]
            reader.warn(f"row {row}, gpus_per_replica", not_applied("gpus_per_replica", int(column.loc[row]), given))
    return column.fillna(fill).astype("int64")


def _plain(value: Any) -> Any:
    """numpy scalars and NaN as plain Python values (None for NaN), for pydantic and hashing."""
    if isinstance(value, float | np.floating):
        if np.isnan(value):
            return None
        return int(value) if float(value).is_integer() else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def build_points(frame: pd.DataFrame) -> list[ProfilePoint]:
    """ProfilePoints for rows whose every value was already validated column-wise above.

    No second, per-row validation runs (that would cost seconds at 100,000 rows): rows sharing the
    same set of filled columns are built together, each as `model_construct` would build it.
    """
    columns = [c for c in POINT_COLUMNS if c in frame.columns]
    present = frame[columns].notna().to_numpy()
    weights = 1 << np.arange(len(columns), dtype=np.int64)
    pattern = present.astype(np.int64) @ weights
    points: list[ProfilePoint] = [_PLACEHOLDER] * len(frame)
    for code in np.unique(pattern):
        rows = np.flatnonzero(pattern == code)
        names = [c for c, w in zip(columns, weights, strict=True) if code & w]
        lists = []
        for name in names:
            values = frame[name].to_numpy()[rows]
            lists.append(values.astype(np.int64).tolist() if NUMERIC_RULES[name].integer else values.tolist())
        for i, made in zip(rows.tolist(), construct_many(names, zip(*lists, strict=True)), strict=True):
            points[i] = made
    return points


_PLACEHOLDER = ProfilePoint.model_construct(concurrency=1, output_tok_s=1.0)
_DEFAULTS: dict[str, Any] = {
    name: f.get_default(call_default_factory=True)
    for name, f in ProfilePoint.model_fields.items()
    if not f.is_required()
}
# model_construct's own steps, minus its per-call overhead; valid only for a plain model like ProfilePoint.
_PLAIN_MODEL = (
    not ProfilePoint.__pydantic_post_init__
    and not ProfilePoint.__private_attributes__
    and ProfilePoint.model_config.get("extra") != "allow"
)


def construct_many(names: list[str], rows: Iterable[tuple[Any, ...]]) -> list[ProfilePoint]:
    """ProfilePoints from already-validated value tuples (same fields each), as model_construct makes them."""
    if not _PLAIN_MODEL:
        return [ProfilePoint.model_construct(**dict(zip(names, vals, strict=True))) for vals in rows]
    new, setattr_ = object.__new__, object.__setattr__
    fields_set = set(names)
    out: list[ProfilePoint] = []
    for vals in rows:
        values = _DEFAULTS.copy()
        values.update(zip(names, vals, strict=True))
        point = new(ProfilePoint)
        setattr_(point, "__dict__", values)
        setattr_(point, "__pydantic_fields_set__", set(fields_set))
        setattr_(point, "__pydantic_extra__", None)
        setattr_(point, "__pydantic_private__", None)
        out.append(point)
    return out
