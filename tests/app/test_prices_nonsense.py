"""Issue 21: the Prices editor refuses $1e308 and $5e-324 per GPU-hour (they priced every row at inf or $0 and
starred it), and two private quotes with the same long label never replace each other while the page says Added."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from calculator.data.catalog import load_gpu_specs, load_offers
from calculator.data.offers import offers_frame, quote_id, validate_offer_rows

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("price", "said"), [(1e308, "less than or equal to 1000"), (5e-324, "greater than")])
def test_the_price_editor_refuses_impossible_prices_by_row_and_field(price: float, said: str) -> None:
    offers = load_offers()
    df = offers_frame(offers)
    df.loc[0, "usd_per_gpu_hour"] = price
    df.loc[0, ["usd_per_gpu_hour_low", "usd_per_gpu_hour_high"]] = None
    _, problems = validate_offer_rows(df, [g.id for g in load_gpu_specs()], offers)
    assert len(problems) == 1 and "row 1" in problems[0] and "usd_per_gpu_hour" in problems[0], problems
    assert said in problems[0]


def test_quote_ids_differ_for_long_labels_sharing_64_characters_and_stay_valid() -> None:
    long = "A very long provider label that goes on and on and on and on and on"
    a, b = quote_id(long + " one", "h100-sxm", "on_demand"), quote_id(long + " two", "h100-sxm", "on_demand")
    assert a != b and len(a) <= 64 and len(b) <= 64
    assert quote_id("Acme!", "b200", "spot") != quote_id("Acme?", "b200", "spot")  # one slug, two labels
    assert quote_id(long, "b200", "spot") == quote_id(long, "b200", "spot")


def test_two_private_quotes_with_the_same_long_label_prefix_are_both_kept() -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.switch_page("app_pages/prices.py")
    at.run()
    base = "Our negotiated three-year enterprise agreement with the regional cloud, batch"
    for i, usd in ((1, 1.5), (2, 1.7)):
        at.text_input(key="quote_provider").set_value(f"{base} {i}")
        at.number_input(key="quote_usd").set_value(usd)
        at.button(key="add_quote").click().run()
        assert not at.exception
        assert any(s.value.startswith("Added") for s in at.success)
    assert [q.usd_per_gpu_hour for q in at.session_state["quotes"]] == [1.5, 1.7]  # was [1.7]: replaced
    at.number_input(key="quote_usd").set_value(1.9)  # the same label again: replaced, and said so
    at.button(key="add_quote").click().run()
    assert [q.usd_per_gpu_hour for q in at.session_state["quotes"]] == [1.5, 1.9]
    assert any(s.value.startswith("Replaced") for s in at.success)
