"""AppTest: a SkyPilot catalog imported on the Prices page joins the offers every page prices from, with its date;
the age of the prices in use is said on every page that prices (Decision, Compare, Scenario, Capacity, Hardware,
Export, Prices), as a warning past 30 days; a real 2023 SkyPilot v5 catalog uploaded with its commit date is priced
with that date and flagged (issue 22)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")
NEBIUS = Path(__file__).parents[1] / "fixtures" / "price_catalogs" / "skypilot" / "nebius_vms.csv"
AWS_V5 = Path(__file__).parents[1] / "fixtures" / "price_catalogs" / "skypilot_v5" / "aws_vms.csv"


def page(at: AppTest, name: str) -> AppTest:
    at.switch_page(f"app_pages/{name}.py")
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_age_of_the_prices_in_use_is_shown_and_old_ones_warned_about_on_every_pricing_page() -> None:
    at = AppTest.from_file(APP, default_timeout=180)
    for name in ("decision", "prices", "compare", "scenario", "capacity", "hardware", "export"):
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


def test_a_real_2023_aws_catalog_uploaded_with_its_commit_date_is_priced_per_gpu_and_flagged_stale() -> None:
    """AWS's SkyPilot v5 vms.csv at LooproInc/skypilot-catalog@be265a96 (committed 2023-12-13), trimmed."""
    at = page(AppTest.from_file(APP, default_timeout=180), "prices")
    at.file_uploader(key="catalog_file").set_value([("aws_vms.csv", AWS_V5.read_bytes(), "text/csv")])
    at.date_input(key="catalog_date").set_value(date(2023, 12, 13))
    at.button(key="catalog_import").click().run()
    assert not at.exception
    assert any("aws_vms.csv: skypilot, 31 offer(s) from 44 row(s), as of 2023-12-13" in s.value for s in at.success)
    assert any(w.value.startswith("Prices as of 2023-12-13") and "older than 30 days" in w.value for w in at.warning)
    offers = {o.id: o for o in at.session_state["offers_edited"]}  # the prices every page now uses
    p5 = offers["sky-aws-p5.48xlarge-on_demand"]
    assert (p5.gpu, p5.gpus_per_instance, p5.as_of) == ("h100-sxm", 8, "2023-12-13")
    assert abs(p5.usd_per_gpu_hour - 98.32 / 8) < 1e-9  # the whole instance's $98.32/h over its 8 GPUs
    assert "LooproInc" not in p5.source and "aws" in p5.source  # an upload says its file, not a ref it cannot know
    for name in ("compare", "capacity", "decision"):
        at = page(at, name)
        assert any(w.value.startswith("Prices as of 2023-12-13") for w in at.warning), name
