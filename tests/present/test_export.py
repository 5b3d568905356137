"""Exports round-trip (CSV via pandas, XLSX via openpyxl, JSON, Markdown, HTML) and are spreadsheet-safe:
text cells that a spreadsheet would run as a formula are neutralised, numbers stay numbers."""

from __future__ import annotations

import csv
import io
import json
import math
import re

import numpy as np
import openpyxl
import pandas as pd
import plotly.graph_objects as go
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calculator.data.catalog import load_catalog
from calculator.model.cost import price_table
from calculator.present import export

INJECTIONS = ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]
DANGEROUS = tuple(export.DANGEROUS_PREFIXES)


def sample_frame() -> pd.DataFrame:
    """Text with injections and pipes, floats with a negative and a NaN, nullable ints, bools."""
    n = len(INJECTIONS) + 2
    return pd.DataFrame(
        {
            "provider": [*INJECTIONS, "plain | piped", "café"],
            "usd_per_mtok_output": [1.25, -2.5, float("nan"), 0.001, 3.0, 4.5, 1e6, -0.125],
            "concurrency": np.arange(1, n + 1, dtype="int64"),
            "block_size": pd.array([16, None, 32, None, 8, 4, 2, 1], dtype="Int64"),
            "lora": [True, False, True, False, True, False, True, False],
        }
    )


def xlsx_rows(data: bytes, sheet: str) -> list[list[openpyxl.cell.cell.Cell]]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    return [list(r) for r in wb[sheet].iter_rows()]


def excel_text(value: object) -> str:
    """A string cell as Excel shows it: the file stores control characters as _xHHHH_ (openpyxl keeps that form)."""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m[1], 16)), str(value))


def xlsx_of(df: pd.DataFrame) -> bytes:
    return export.to_xlsx(df, {"utilisation": 0.7}, pd.DataFrame({"provider": ["=x"], "usd": [-1.0]}), df.head(0))


# ---------------------------------------------------------------------------------------------
# neutralise


@pytest.mark.parametrize("text", INJECTIONS)
def test_neutralise_prefixes_a_quote_to_formula_starts(text: str) -> None:
    assert export.neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["", "plain", "a=b", " =1", "'=1", "2-3", "café"])
def test_neutralise_leaves_other_text_unchanged(text: str) -> None:
    assert export.neutralise(text) == text


def test_safe_frame_keeps_numbers_in_object_columns() -> None:
    df = pd.DataFrame({"mixed": pd.Series(["=1", -3, 2.5, None], dtype=object)})
    out = export.safe_frame(df)
    assert out["mixed"].tolist()[:3] == ["'=1", -3, 2.5]
    assert out["mixed"].isna().tolist()[3]


# ---------------------------------------------------------------------------------------------
# CSV


def test_csv_round_trips_through_pandas_with_text_neutralised_and_numbers_numeric() -> None:
    df = sample_frame()
    back = pd.read_csv(io.StringIO(export.to_csv(df)), keep_default_na=False, na_values=[""])
    assert list(back.columns) == list(df.columns)
    assert back["provider"].tolist() == [export.neutralise(t) for t in df["provider"]]
    assert pd.api.types.is_float_dtype(back["usd_per_mtok_output"])
    assert back["usd_per_mtok_output"].iloc[1] == -2.5  # a negative NUMBER stays a number
    assert math.isnan(back["usd_per_mtok_output"].iloc[2])
    assert back["concurrency"].tolist() == df["concurrency"].tolist()
    assert back["block_size"].iloc[0] == 16 and math.isnan(back["block_size"].iloc[1])
    assert back["lora"].tolist() == df["lora"].tolist()


@pytest.mark.parametrize("text", INJECTIONS)
def test_csv_neutralises_each_injection(text: str) -> None:
    rows = list(csv.reader(io.StringIO(export.to_csv(pd.DataFrame({"note": [text], "x": [-2]})), newline="")))
    assert rows[1] == ["'" + text, "-2"]


def test_csv_neutralises_dangerous_header_names() -> None:
    rows = list(csv.reader(io.StringIO(export.to_csv(pd.DataFrame({"=cmd": ["a"]})))))
    assert rows[0] == ["'=cmd"]


# ---------------------------------------------------------------------------------------------
# Markdown


def split_md_row(line: str) -> list[str]:
    assert line.startswith("| ") and line.endswith(" |")
    return [c.strip() for c in re.split(r"(?<!\\)\|", line[2:-2])]


def test_markdown_is_a_table_with_escaped_pipes_and_aligned_numbers() -> None:
    df = sample_frame()
    lines = export.to_markdown(df).splitlines()
    assert len(lines) == len(df) + 2
    assert split_md_row(lines[0]) == list(df.columns)
    assert split_md_row(lines[1]) == ["---", "---:", "---:", "---:", "---"]
    cells = [split_md_row(line) for line in lines[2:]]
    assert all(len(c) == len(df.columns) for c in cells)
    assert cells[6][0] == r"plain \| piped"
    assert cells[1][1] == "-2.5" and cells[2][1] == "" and cells[6][1] == "1000000"
    assert cells[1][3] == ""  # <NA>
    assert cells[0][4] == "true"


def test_markdown_escapes_html_and_line_breaks() -> None:
    line = export.to_markdown(pd.DataFrame({"t": ["<script>x</script>\nnext"]})).splitlines()[2]
    assert line == r"| \<script\>x\</script\><br>next |"


# ---------------------------------------------------------------------------------------------
# JSON


def test_json_is_a_list_of_row_objects_with_null_for_missing_and_numbers_as_numbers() -> None:
    df = sample_frame()
    df.loc[0, "usd_per_mtok_output"] = float("inf")
    rows = json.loads(export.to_json(df))
    assert isinstance(rows, list) and len(rows) == len(df)
    assert list(rows[0]) == list(df.columns)
    assert rows[0]["usd_per_mtok_output"] is None  # inf has no JSON form
    assert rows[1]["usd_per_mtok_output"] == -2.5
    assert rows[2]["usd_per_mtok_output"] is None
    assert rows[1]["block_size"] is None and rows[0]["block_size"] == 16
    assert isinstance(rows[0]["concurrency"], int) and rows[0]["lora"] is True
    assert [r["provider"] for r in rows] == df["provider"].tolist()  # JSON is data: text verbatim


def test_json_is_strict_json() -> None:
    text = export.to_json(sample_frame())
    assert "NaN" not in text and "Infinity" not in text
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard constant {c}"))


# ---------------------------------------------------------------------------------------------
# XLSX


def test_xlsx_has_the_three_sheets_with_headers_values_and_numeric_cells() -> None:
    df = sample_frame()
    data = export.to_xlsx(df, {"utilisation": 0.7, "tier": "on_demand"}, df[["provider"]], df.head(0))
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Cost table", "Assumptions", "Sources"]
    rows = xlsx_rows(data, "Cost table")
    assert [c.value for c in rows[0]] == list(df.columns)
    assert len(rows) == len(df) + 1
    assert [excel_text(r[0].value) for r in rows[1:]] == [export.neutralise(t) for t in df["provider"]]
    money = [r[1] for r in rows[1:]]
    assert money[1].data_type == "n" and money[1].value == -2.5  # a negative NUMBER stays a number
    assert money[2].value is None
    assert money[0].number_format == "$#,##0.000"
    assert all(r[2].data_type == "n" for r in rows[1:])
    assert [r[4].value for r in rows[1:]] == df["lora"].tolist()
    assert not any(c.data_type == "f" for sheet in wb.worksheets for row in sheet.iter_rows() for c in row)


@pytest.mark.parametrize("text", INJECTIONS)
def test_xlsx_neutralises_each_injection(text: str) -> None:
    rows = xlsx_rows(xlsx_of(pd.DataFrame({"note": [text], "x": [-2]})), "Cost table")
    cell = rows[1][0]
    assert cell.data_type == "s" and str(cell.value).startswith("'")
    assert rows[1][1].value == -2 and rows[1][1].data_type == "n"


def test_xlsx_assumptions_sheet_lists_inputs_then_prices_used() -> None:
    prices = pd.DataFrame({"provider": ["=evil", "AWS"], "usd_per_gpu_hour": [-1.0, 3.5]})
    data = export.to_xlsx(
        pd.DataFrame({"a": [1]}),
        {"utilisation": 0.7, "tiers": ["on_demand", "spot"], "targets": {"max_ttft_ms": 500}},
        prices,
        pd.DataFrame({"source": ["x"]}),
    )
    values = [[c.value for c in r] for r in xlsx_rows(data, "Assumptions")]
    assert values[0][0] == "Scenario inputs"
    assert values[1][:2] == ["assumption", "value"]
    assert values[2][:2] == ["utilisation", 0.7]
    assert values[3][:2] == ["tiers", "on_demand, spot"]
    assert values[4][:2] == ["targets.max_ttft_ms", 500]
    start = next(i for i, v in enumerate(values) if v[0] == "Prices used")
    assert values[start + 1][:2] == ["provider", "usd_per_gpu_hour"]
    assert values[start + 2][:2] == ["'=evil", -1]
    assert values[start + 3][:2] == ["AWS", 3.5]


def test_xlsx_accepts_assumptions_as_a_frame() -> None:
    data = export.to_xlsx(
        pd.DataFrame({"a": [1]}), pd.DataFrame({"k": ["+x"], "v": [2]}), pd.DataFrame(), pd.DataFrame()
    )
    values = [[c.value for c in r] for r in xlsx_rows(data, "Assumptions")]
    assert values[1][:2] == ["k", "v"] and values[2][:2] == ["'+x", 2]


# ---------------------------------------------------------------------------------------------
# The bundled data end to end


@pytest.fixture(scope="module")
def bundled_table() -> tuple[pd.DataFrame, pd.DataFrame]:
    cat = load_catalog()
    return price_table(cat.points, cat.prices, utilisation=0.7), cat.prices


def test_sources_frame_covers_every_profile_and_offer_of_the_table(
    bundled_table: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    table, _ = bundled_table
    src = export.sources_frame(table)
    assert list(src.columns) == ["what", "id", "provenance", "source", "as_of", "notes"]
    assert set(src.loc[src["what"] == "throughput", "id"]) == set(table["profile_id"])
    assert set(src.loc[src["what"] == "price", "id"]) == set(table["offer_id"])
    assert set(src["source"]) >= set(table["source"]) | set(table["price_source"])
    assert not src.duplicated().any()


def test_bundled_cost_table_exports_to_every_format(bundled_table: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    table, prices = bundled_table
    sources = export.sources_frame(table)
    data = export.to_xlsx(table, {"utilisation": 0.7}, prices, sources)
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    assert wb["Cost table"].max_row == len(table) + 1
    assert wb["Sources"].max_row == len(sources) + 1
    wb.close()
    back = pd.read_csv(io.StringIO(export.to_csv(table)))
    assert back.shape == table.shape
    np.testing.assert_allclose(back["usd_per_mtok_output"], table["usd_per_mtok_output"], rtol=1e-12)
    assert len(json.loads(export.to_json(table))) == len(table)
    assert export.to_markdown(table).count("\n") == len(table) + 2


# ---------------------------------------------------------------------------------------------
# HTML chart


def test_chart_html_is_self_contained_and_interactive() -> None:
    fig = go.Figure(go.Bar(x=["ar", "self_spec"], y=[1.5, 0.5]), layout={"title": {"text": "$/M <by> mode"}})
    html = export.chart_html(fig)
    assert html.lstrip().lower().startswith(("<!doctype html>", "<html>")) and html.rstrip().endswith("</html>")
    assert "<title>$/M &lt;by&gt; mode</title>" in html
    assert not re.search(r"<script[^>]+src=", html)  # plotly.js inlined: opens offline
    assert len(html) > 1_000_000 and "Plotly.newPlot" in html and "self_spec" in html


# ---------------------------------------------------------------------------------------------
# Property: no exported cell starts with a dangerous character


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(max_size=12), min_size=1, max_size=5))
def test_no_exported_text_cell_starts_with_a_dangerous_character(texts: list[str]) -> None:
    df = pd.DataFrame({"t": texts, "n": np.arange(len(texts), dtype="float64") - 1})
    rows = list(csv.reader(io.StringIO(export.to_csv(df), newline="")))
    assert len(rows) == len(texts) + 1
    assert not any(r[0].startswith(DANGEROUS) for r in rows[1:])
    for row in xlsx_rows(xlsx_of(df), "Cost table")[1:]:
        value = row[0].value
        assert row[0].data_type != "f"
        assert value is None or not str(value).startswith(DANGEROUS)
        assert row[1].data_type == "n"
    assert [r["t"] for r in json.loads(export.to_json(df))] == texts


def test_sources_frame_says_whose_price_each_offer_is(bundled_table: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    """A price row's provenance is whose price it is (list price, TCO model, yours), with the tier beside it."""
    table, _ = bundled_table
    quote = table.head(2).assign(price_source="your own price", tier="on_demand", offer_id=["q1", "q2"])
    src = export.sources_frame(pd.concat([table, quote], ignore_index=True))
    prices = src[src["what"] == "price"].set_index("id")["provenance"]
    assert prices["q1"] == "your price (on_demand)"
    tiers = table.drop_duplicates("offer_id").set_index("offer_id")["tier"]
    assert prices[tiers.index[tiers == "owned"][0]] == "TCO model (owned)"
    assert prices[tiers.index[tiers == "on_demand"][0]] == "list price (on_demand)"


def test_markdown_rounds_numbers_for_reading() -> None:
    """Rates keep their integer part and lose noise digits; small $ figures keep four decimals."""
    df = pd.DataFrame({"x": [15223.4141, 91.9844, 1.95, 0.0552, 0.000049, 1234567.8, -12.345]})
    cells = [split_md_row(line)[0] for line in export.to_markdown(df).splitlines()[2:]]
    assert cells == ["15223", "91.98", "1.95", "0.0552", "0", "1234568", "-12.35"]
