"""AppTest: a SkyPilot catalog imported on the Prices page joins the offers every page prices from, with its date;
the age of the prices in use is said on Prices, Compare and Capacity, as a warning past 30 days (issue 22)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")
NEBIUS = Path(__file__).parents[1] / "fixtures" / "price_catalogs" / "skypilot" / "nebius_vms.csv"


def page(at: AppTest, name: str) -> AppTest:
    at.switch_page(f"app_pages/{name}.py")
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_age_of_the_prices_in_use_is_shown_and_old_ones_warned_about_on_every_pricing_page() -> None:
    at = AppTest.from_file(APP, default_timeout=180)
    for name in ("prices", "compare", "capacity"):
        page(at, name)
        texts = [w.value for w in at.warning] + [c.value for c in at.caption]
        assert any(t.startswith("Prices as of ") for t in texts), name
        # the bundled November 2026 table holds offers dated months earlier: flagged
        assert any("older than 30 days" in w.value for w in at.warning), name


def test_a_skypilot_catalog_imported_on_the_prices_page_is_priced_on_compare_with_its_date() -> None:
    at = page(AppTest.from_file(APP, default_timeout=180), "prices")
    at.file_uploader(key="catalog_file").set_value([("nebius_vms.csv", NEBIUS.read_bytes(), "text/csv")])
    at.date_input(key="catalog_date").set_value(date.today())
    at.button(key="catalog_import").click().run()
    assert not at.exception
    assert any("nebius_vms.csv: skypilot, 21 offer(s) from 61 row(s)" in s.value for s in at.success)
    at = page(at, "compare")
    tables = [d.value for d in at.dataframe if "star" in d.value.columns]
    assert tables
    table = tables[0]
    imported = table[table["instance"].astype(str).str.startswith("gpu-h200-sxm_8gpu")]
    assert len(imported), "the imported Nebius 8x H200 instance is priced"
    assert set(imported["price_as_of"].astype(str)) == {date.today().isoformat()}


def test_a_catalog_without_its_date_is_refused_and_changes_nothing() -> None:
    at = page(AppTest.from_file(APP, default_timeout=180), "prices")
    at.file_uploader(key="catalog_file").set_value([("nebius_vms.csv", NEBIUS.read_bytes(), "text/csv")])
    at.button(key="catalog_import").click().run()
    assert any("its date" in e.value for e in at.error)
    assert at.session_state["offers_edited"] is None
