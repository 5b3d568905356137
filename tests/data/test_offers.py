"""calculator.data.offers (the Prices table's validation) and the editor's columns: an invalid edit is refused with a
message naming the row, the offer and the field in words (never a regular expression), and the grid does not
silently change what was typed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from calculator.data.catalog import load_catalog
from calculator.data.offers import offers_frame, validate_offer_rows

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()




@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("usd_per_gpu_hour", -5.0, "greater than or equal to 0.0001"),
        ("usd_per_gpu_hour", float("inf"), "finite"),
        ("as_of", "2026-13-45", "a date as YYYY, YYYY-MM or YYYY-MM-DD"),
        ("gpu", "h100", "unknown gpu id 'h100'"),
        ("gpus_per_instance", 0, "greater than or equal to 1"),
        ("id", "Bad Id!", "an id of lower-case letters"),
    ],
)
def test_a_bad_cell_is_refused_with_row_offer_and_field(catalog, field, value, words):
    df = offers_frame(catalog.offers[:3]).astype(object)
    df.loc[1, field] = value
    offers, problems = validate_offer_rows(df, [g.id for g in catalog.gpu_specs])
    assert len(offers) == 2 and len(problems) == 1
    assert problems[0].startswith("row 2") and field in problems[0] and words in problems[0]
    assert "^" not in problems[0] and "\\d" not in problems[0]  # no regular expression shown


def test_duplicate_ids_are_refused(catalog):
    df = offers_frame([catalog.offers[0], catalog.offers[0]])
    _, problems = validate_offer_rows(df, [g.id for g in catalog.gpu_specs])
    assert problems == [f"row 2 ({catalog.offers[0].id}), id: duplicate {catalog.offers[0].id!r} (also row 1)"]


def test_the_price_editor_does_not_clamp_what_is_typed():
    at = AppTest.from_file(APP, default_timeout=180)
    at.switch_page("app_pages/prices.py")
    at.run()
    assert not at.exception
    editor = next(el for el in at.dataframe if el.proto.editing_mode and "usd_per_gpu_hour" in el.proto.columns)
    config = json.loads(editor.proto.columns)
    for col in ("usd_per_gpu_hour", "usd_per_gpu_hour_low", "usd_per_gpu_hour_high", "gpus_per_instance"):
        assert "min_value" not in config[col].get("type_config", {}), col


def test_an_edited_price_says_it_was_edited_and_when(catalog):
    from datetime import date

    df = offers_frame(catalog.offers[:2]).astype(object)
    df.loc[0, "usd_per_gpu_hour"] = 5.0
    df.loc[0, "usd_per_gpu_hour_low"] = None
    df.loc[0, "usd_per_gpu_hour_high"] = None
    offers, problems = validate_offer_rows(df, [g.id for g in catalog.gpu_specs], catalog.offers)
    assert not problems
    edited, untouched = offers
    assert edited.source.startswith("edited by you (usd_per_gpu_hour") and edited.as_of == date.today().isoformat()
    assert catalog.offers[0].source in edited.source
    assert untouched == catalog.offers[1]


def test_a_price_outside_its_range_names_the_fields_to_fix(catalog):
    ranged = next(o for o in catalog.offers if o.usd_per_gpu_hour_low is not None)
    df = offers_frame([ranged]).astype(object)
    df.loc[0, "usd_per_gpu_hour"] = ranged.usd_per_gpu_hour_low / 2
    _, problems = validate_offer_rows(df, [g.id for g in catalog.gpu_specs])
    assert len(problems) == 1 and "usd_per_gpu_hour / low / high" in problems[0] and "file" not in problems[0]
