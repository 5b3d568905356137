"""AppTest: every table a page shows writes its numbers with a format (no "51.21310534868" in a cell): a visible
float column is a number column with a format string, or text formatted by the core (gaps as "—")."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGES = {
    "compare": ("app_pages/compare.py", {}),
    "scenario": ("app_pages/scenario.py", {"ttft": "500"}),
    "scenario-h100": ("app_pages/scenario.py", {"gpu": "h100-sxm"}),
    "capacity": ("app_pages/capacity.py", {"tps": "100", "vol": "10000000000", "vol_unit": "month"}),
    "hardware": ("app_pages/hardware.py", {}),
    "export": ("app_pages/export.py", {}),
}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_every_visible_float_column_has_a_number_format(name):
    page, query = PAGES[name]
    at = AppTest.from_file(APP, default_timeout=180)
    for k, v in query.items():
        at.query_params[k] = v
    at.switch_page(page)
    at.run()
    assert not at.exception
    unformatted = []
    for el in at.dataframe:
        frame: pd.DataFrame = el.value
        config = json.loads(el.proto.columns or "{}")
        visible = list(el.proto.column_order) or list(frame.columns)
        for col in visible:
            if col not in frame or not pd.api.types.is_float_dtype(frame[col]):
                continue
            cfg = config.get(col, {}).get("type_config", {})
            if cfg.get("type") != "number" or not cfg.get("format"):
                unformatted.append(f"{el.proto.id or '?'}:{col}")
    assert not unformatted, unformatted
