"""Measured energy and goodput shown where they inform cost (issue 22): on Compare rows the measured J per output
token, its electricity per million output tokens at the user's $/kWh, SLO attainment and goodput (only where some
row has them); on the Measurements page each upload's ranges of them. The file is InferenceX-app's real PowerX
export (tests/fixtures/inferencex_api/, SOURCES.md there)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from calculator.answers.compare import EXPORT_COLUMNS, MEASURED_EXTRAS, with_measured_extras
from calculator.data.importers import Overrides, import_path
from calculator.data.uploads import make_upload, uploads_summary
from calculator.model.cost import energy_usd_per_mtok

POWERX = Path(__file__).parents[1] / "fixtures" / "inferencex_api" / "powerx_api010_dsv4_b200_trimmed.json"


def test_energy_dollars_per_million_tokens_at_the_users_power_price() -> None:
    # 3.6 J/token is 1 kWh per million tokens: $0.08 at $0.08/kWh
    assert float(energy_usd_per_mtok(3.6, 0.08)) == pytest.approx(0.08)
    table = pd.DataFrame({"joules_per_output_token": [4.016292, None], "slo_attainment": [None, None]})
    out, shown = with_measured_extras(table, 0.12)
    assert out["energy_usd_per_mtok"].iloc[0] == pytest.approx(4.016292 * 1e6 / 3.6e6 * 0.12)
    assert pd.isna(out["energy_usd_per_mtok"].iloc[1])
    assert shown == ["joules_per_output_token", "energy_usd_per_mtok"]  # no SLO column: no row has one
    _, none = with_measured_extras(pd.DataFrame({"output_tok_s": [1.0]}), 0.12)
    assert none == []
    assert set(MEASURED_EXTRAS) <= set(EXPORT_COLUMNS)


def test_the_measurements_summary_lists_an_uploads_measured_energy() -> None:
    result = import_path(POWERX, Overrides(mode="ar"))
    upload = make_upload("u1", result.name, result.format, result.profiles)
    assert upload is not None
    row = uploads_summary([upload]).iloc[0]
    assert row["J/output token"] == "2.62–4.29"  # 2.620838 (conc 128) to 4.28517 (the disaggregated row)
    assert row["SLO attainment"] == "" and row["goodput req/s"] == ""


def test_the_measurements_summary_names_gpus_models_and_modes_and_a_single_concurrency_once() -> None:
    """Walkthrough: "In this session" listed ids (h100-sxm, self_spec) and a range "2–2" for one concurrency."""
    result = import_path(POWERX, Overrides(mode="ar"))
    upload = make_upload("u1", result.name, result.format, result.profiles)
    assert upload is not None
    one = dataclasses.replace(upload, points=upload.points.assign(concurrency=2, gpu="h100-sxm"))
    row = uploads_summary([one]).iloc[0]
    assert row["gpus"] == "H100 SXM" and row["modes"] == "AR" and row["concurrency"] == "2"
    assert "–" in uploads_summary([upload]).iloc[0]["concurrency"]
