"""The decision page (landing) answers the three user questions on its first screen at 1280x800, without
scrolling, in Chromium: each question is a link; the cards (verdict, both sides' $/M, ratio, provenance, error
range) must lie inside the first 800 pixels. The figures go to test-artifacts/decision_answers.json and a
screenshot of each first screen to test-artifacts/decision-q*.png (look at them).

1. A100 vs H100 vs GB200 for NLD-8B self-speculation;
2. beyond 16K context on H100 (a 32K prompt);
3. 10 B output tokens a month vs Qwen3-8B on H100 at >= 50 tok/s per user.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.browser.streamlit_server import exception_texts, wait_for_idle

pytestmark = pytest.mark.browser

ANSWERS: dict[str, object] = {}
QUESTIONS = {
    "q1_a100_h100_gb200": "/?d_gpus=a100-80gb&d_gpus=h100-sxm&d_gpus=gb200&d_mode=self_spec",
    "q2_h100_32k": "/?d_gpus=h100-sxm&d_isl=32768&d_osl=1024&d_mode=self_spec",
    "q3_h100_10b_month": "/?d_gpus=h100-sxm&d_vol=10&d_tps=50&d_mode=self_spec",
    "q3_h100_10b_month_best_mode": "/?d_gpus=h100-sxm&d_vol=10&d_tps=50",
}
USD = re.compile(r"\$\d[\d,]*\.\d{2,3}")
RATIO = re.compile(r"ratio (\d+\.\d\d)x")


@pytest.fixture(scope="module", autouse=True)
def _write_answers(artifacts: Path):
    yield
    (artifacts / "decision_answers.json").write_text(json.dumps(ANSWERS, indent=2), encoding="utf-8")


def first_screen_cards(page: Page) -> list[str]:
    """The text of every card whose table lies fully inside the 1280x800 viewport."""
    out = []
    for table in page.locator('[data-testid="stTable"]').filter(has_text="$/M output tokens").all():
        card = table.locator('xpath=ancestor::*[@data-testid="stVerticalBlock"][1]')
        box = card.bounding_box()
        assert box is not None
        assert box["y"] + box["height"] <= 800, f"a card ends at y={box['y'] + box['height']:.0f}: below the fold"
        out.append(card.inner_text())
    return out


@pytest.mark.parametrize("name", list(QUESTIONS))
def test_question_answered_on_the_first_screen(page: Page, artifacts: Path, name: str) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(QUESTIONS[name])
    wait_for_idle(page, ready='[data-testid="stTable"]')
    page.screenshot(path=str(artifacts / f"decision-{name}.png"))  # the first screen only
    assert exception_texts(page) == []
    cards = first_screen_cards(page)
    n_gpus = QUESTIONS[name].count("d_gpus=")
    assert len(cards) == n_gpus
    for text in cards:
        assert RATIO.search(text), text
        assert len(USD.findall(text)) >= 2, text  # both sides' $/M
        assert "costs" in text and "Provenance" in text and "Qwen3-8B" in text
    if name.startswith("q3_"):
        assert "Monthly bill" in cards[0] and "GPUs for the volume" in cards[0]
    ANSWERS[name] = {"url": QUESTIONS[name], "cards": cards}
