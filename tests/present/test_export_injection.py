"""Issue 13 item 1 and the Markdown export: a file whose every text field is a spreadsheet formula or a Markdown
link reaches no export live. Each text export path is tested: the CLI's `table --format csv`, the Export page's
CSV and Markdown, and Compare's "Download this view"."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from calculator.cli import main
from calculator.present import export

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
FORMULAS = ROOT / "tests" / "fixtures" / "hostile" / "formula_profile.yaml"
PLANTED = ("HYPERLINK", "+1+1", "@SUM", "-2+3", "cmd|")


def live_cells(text: str) -> list[str]:
    """Every CSV cell a spreadsheet would run as a formula."""
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row if cell.startswith(export.DANGEROUS_PREFIXES)]


def planted_cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row if any(p in cell for p in PLANTED)]


def live_markdown_links(text: str) -> list[str]:
    """Link or image syntax a Markdown renderer would follow: an unescaped `[` or `![`."""
    return re.findall(r"(?<!\\)!?\[[^\]]*\]\([^)]*\)", text)


def test_categorical_text_columns_are_neutralised_in_csv() -> None:
    df = pd.DataFrame({"source": pd.Categorical(["=HYPERLINK(1)", "ok", "=HYPERLINK(1)"]), "x": [1.0, 2.0, 3.0]})
    back = pd.read_csv(io.StringIO(export.to_csv(df)))
    assert back["source"].tolist() == ["'=HYPERLINK(1)", "ok", "'=HYPERLINK(1)"]
    assert export.is_text_column(df["source"]) and not export.is_text_column(df["x"])


def test_markdown_export_escapes_links_and_images() -> None:
    df = pd.DataFrame({"notes": ["![i](http://evil.example/i.png)", "[Log in again](javascript:alert(1))"]})
    text = export.to_markdown_document(df, {"provider": "[x](javascript:alert(1))"}, title="[t](javascript:1)")
    assert live_markdown_links(text) == []
    assert r"\[Log in again\](javascript:alert(1))" in text


def test_cli_table_csv_neutralises_every_text_field_of_an_uploaded_file(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["table", "--data", str(FORMULAS), "--provenance", "uploaded", "--format", "csv", "--all-columns",
         "--no-estimates"]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert len(planted_cells(out)) >= 5, "the planted formulas reach the table (else the test proves nothing)"
    assert live_cells(out) == []


def uploaded_session() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.switch_page("app_pages/measurements.py")
    at.run()
    at.file_uploader(key="upload_files").set_value([(FORMULAS.name, FORMULAS.read_bytes(), "text/plain")])
    at.run()
    assert not at.exception and len(at.session_state["uploads"]) == 1
    return at


def test_export_page_csv_and_markdown_neutralise_an_uploaded_files_text(
    downloads: dict[str, Callable[[], bytes]],
) -> None:
    at = uploaded_session()
    at.query_params["gpu"] = "h100-sxm"
    at.query_params["tier"] = "owned"
    at.switch_page("app_pages/export.py")
    at.run()
    assert not at.exception
    stem = next(n for n in downloads if n.endswith(".csv"))[: -len(".csv")]
    text = downloads[f"{stem}.csv"]().decode("utf-8")
    assert len(planted_cells(text)) >= 1, "the uploaded curve is in the export (else the test proves nothing)"
    assert live_cells(text) == []
    markdown = downloads[f"{stem}.md"]().decode("utf-8")
    assert "evil.example" in markdown and live_markdown_links(markdown) == []


def test_compare_download_neutralises_an_uploaded_files_text(downloads: dict[str, Callable[[], bytes]]) -> None:
    at = uploaded_session()
    at.switch_page("app_pages/compare.py")
    at.run()
    assert not at.exception
    text = downloads["nld-cost-compare_isl1024_osl1024.csv"]().decode("utf-8")
    assert len(planted_cells(text)) >= 1, "the uploaded curve is in the view (else the test proves nothing)"
    assert live_cells(text) == []
    markdown = downloads["nld-cost-compare_isl1024_osl1024.md"]().decode("utf-8")
    assert live_markdown_links(markdown) == []


def test_exported_html_chart_shows_hostile_file_and_provider_names_literally() -> None:
    import plotly.graph_objects as go

    name = '<a href="https:evil.example">CLICK ME<a>.csv <span style="font-size:60px">big</span> & co'
    fig = go.Figure(
        go.Scatter(x=[1], y=[2], name=name, legendgroup=name, hovertext=[f"<b>{name}</b><br>price: {name}"])
    )
    fig.add_trace(go.Bar(x=[1], y=[2], name="bar", text=[name]))
    html = export.chart_html(fig, title="t")
    data = html[html.rindex("Plotly.newPlot(") :]  # the figure (plotly.js itself, inlined above, has links)
    assert "CLICK ME" in data and "<a" not in data and "\\u003ca" not in data and "<span" not in data
    assert "\\u003cspan" not in data
    assert '&lt;a href=\\"https:evil.example\\"&gt;CLICK ME&lt;a&gt;.csv' in data
    assert "&amp; co" in data
    assert "\\u003cb\\u003e&lt;a" in data or "<b>&lt;a" in data  # our own bold and line breaks are kept
    assert fig.data[0].name == name  # the figure the app draws is not changed


def test_in_app_charts_get_the_literal_figure() -> None:
    import plotly.graph_objects as go

    from calculator.present.charts import literal_figure

    name = '<a href="https:evil.example">CLICK ME<a>.csv'
    drawn = literal_figure(go.Figure(go.Scatter(x=[1], y=[2], name=name, hovertext=[f"<b>{name}</b><br>x"])))
    (trace,) = drawn["data"]
    assert trace["name"] == '&lt;a href="https:evil.example"&gt;CLICK ME&lt;a&gt;.csv'
    assert trace["hovertext"] == ['<b>&lt;a href="https:evil.example"&gt;CLICK ME&lt;a&gt;.csv</b><br>x']
    pages = ("capacity", "compare", "hardware", "scenario", "forward_passes")
    for page in pages:  # every st.plotly_chart call draws the literal figure
        text = (ROOT / "app_pages" / f"{page}.py").read_text()
        assert text.count("st.plotly_chart(") == text.count("charts.literal_figure("), page
