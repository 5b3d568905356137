"""Two users, one server (issue 13, item 2): the same public result file uploaded in two browser contexts with a
different GPU chosen for it is priced with each user's own GPU. Nothing an upload leads to (its points, the
priced table, the caches behind Compare) is shared between sessions, and re-applying a choice replaces it."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.streamlit_server import NO_SAVE_PICKER, dataframe_csv, exception_texts, nav_to, wait_for_idle

pytestmark = pytest.mark.browser

SGLANG = Path(__file__).resolve().parents[1] / "fixtures" / "imports" / "sglang_bench_serving.jsonl"  # no GPU in it
FILE_INPUT = '[data-testid="stFileUploaderDropzoneInput"]'
TABLE = '[data-testid="stDataFrame"]'


def open_session(browser: Browser, base_url: str, context_args: dict[str, Any]) -> Page:
    context = browser.new_context(**context_args)
    context.add_init_script(NO_SAVE_PICKER)
    page = context.new_page()
    page.set_default_timeout(45_000)
    page.goto(f"{base_url}/measurements")
    wait_for_idle(page, ready='[data-testid="stFileUploader"]')
    return page


def upload_with_gpu(page: Page, gpu_name: str) -> None:
    """Upload the SGLang file (it names no GPU), supply what the form asks for, apply."""
    page.locator(FILE_INPUT).set_input_files(SGLANG)
    wait_for_idle(page, ready='[data-testid="stForm"]')
    choose(page, "GPU", gpu_name)
    for label, option in (("Model", "qwen3-8b"), ("Mode", "ar")):  # asked only where the file does not say
        if page.get_by_label(label, exact=True).count():
            choose(page, label, option)
    page.get_by_role("button", name="Apply and import").click()
    expect(page.get_by_role("heading", name="In this session")).to_be_visible()
    wait_for_idle(page, ready=TABLE)


def choose(page: Page, label: str, option: str) -> None:
    page.get_by_label(label, exact=True).first.click()
    page.get_by_role("option", name=option, exact=True).click()


def session_gpus(page: Page) -> set[str]:
    """The GPUs of this session's uploads, from the "In this session" table (it names GPUs by display name)."""
    listed = pd.read_csv(io.StringIO(dataframe_csv(page, page.locator(TABLE).filter(visible=True).last)))
    return set(listed["gpus"])


def uploaded_rows_gpus(page: Page) -> set[str]:
    """The GPUs of the uploaded rows Compare prices in this session (Provenance filtered to uploaded)."""
    nav_to(page, "Compare", ready=TABLE)
    page.get_by_label("Provenance").click()
    page.get_by_role("option", name="uploaded", exact=True).click()
    page.keyboard.press("Escape")
    wait_for_idle(page, ready=TABLE)
    table = pd.read_csv(io.StringIO(dataframe_csv(page, page.locator(TABLE).first)))
    return set(table["gpu"])


def test_the_same_file_with_another_gpu_in_another_session_keeps_each_sessions_gpu(
    browser: Browser, base_url: str, browser_context_args: dict[str, Any]
) -> None:
    first = open_session(browser, base_url, browser_context_args)
    upload_with_gpu(first, "H100 SXM")
    assert session_gpus(first) == {"H100 SXM"}

    second = open_session(browser, base_url, browser_context_args)
    upload_with_gpu(second, "B200 (HGX)")
    assert session_gpus(second) == {"B200 (HGX)"}  # was H100 SXM: the first session's cached import

    assert uploaded_rows_gpus(second) == {"b200"}
    assert uploaded_rows_gpus(first) == {"h100-sxm"}  # the second upload changed nothing here
    assert exception_texts(first) == [] and exception_texts(second) == []
    first.context.close()
    second.context.close()
