"""Measurements page in Chromium: uploading one of our profile files (set_input_files) adds its points to
the session; they are listed on the page and priced on the Compare page with their provenance badge."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import FIXTURES
from tests.browser.streamlit_server import (
    dataframe_csv,
    exception_texts,
    full_screenshot,
    nav_to,
    wait_for_idle,
)

pytestmark = pytest.mark.browser

UPLOAD = FIXTURES / "upload_profile.yaml"
FILE_INPUT = '[data-testid="stFileUploaderDropzoneInput"]'


def test_uploaded_profile_is_listed_and_priced_on_compare(page: Page, artifacts: Path) -> None:
    page.goto("/measurements")
    wait_for_idle(page, ready='[data-testid="stFileUploader"]')
    page.locator(FILE_INPUT).set_input_files(UPLOAD)
    expect(page.get_by_role("heading", name="In this session")).to_be_visible()
    wait_for_idle(page, ready='[data-testid="stDataFrame"]')
    expect(page.get_by_text(UPLOAD.name).first).to_be_visible()
    expect(page.get_by_text("added", exact=True).first).to_be_visible()
    full_screenshot(page, artifacts / "page-measurements-uploaded.png")
    assert exception_texts(page) == []

    listed = pd.read_csv(
        io.StringIO(dataframe_csv(page, page.locator('[data-testid="stDataFrame"]').filter(visible=True).first))
    )
    row = listed[listed["file"] == UPLOAD.name]
    assert len(row) == 1, listed
    assert row["gpus"].item() == "H100 SXM" and int(row["points"].item()) == 3  # by name, not id

    # Same session, another page: the uploaded point is priced next to the bundled data.
    nav_to(page, "Compare", ready='[data-testid="stDataFrame"]')
    page.get_by_label("GPUs").click()
    # The list is long (and virtualised) since the community data: type to bring the option into view.
    page.keyboard.type("h100-sxm")
    page.get_by_role("option", name="h100-sxm", exact=True).click()
    page.keyboard.press("Escape")
    wait_for_idle(page, ready='[data-testid="stDataFrame"]')
    table = pd.read_csv(io.StringIO(dataframe_csv(page, page.locator('[data-testid="stDataFrame"]').first)))
    # H100 also gets estimated rows for configurations without data (badged "estimated"): leave them aside.
    mine = table[
        (table["gpu"] == "h100-sxm")
        & (table["model"] == "qwen3-8b")
        & ~table["badge"].astype(str).str.contains("estimated")
    ]
    assert len(mine) > 0, table[["gpu", "model", "badge"]]
    # Our own profile format keeps the file's provenance (calculator/data/importers/profile_file.py), here `measured`;
    # other formats come in as `uploaded`.
    assert mine["badge"].astype(str).isin(["measured here", "uploaded"]).all(), mine["badge"]
    assert re.fullmatch(r"\$\d[\d,]*\.\d{3}", page.locator('[data-testid="stMetricValue"]').first.inner_text())
