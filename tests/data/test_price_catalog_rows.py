"""The two catalog readers (SkyPilot, gpuhunt) read their CSV rows through one helper (`_offers.catalog_rows`): the
same header check and the same bound on rows, so a limit or a message changed in one place holds for both."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from calculator.data.catalog import load_gpu_specs
from calculator.data.price_catalogs import _offers, import_catalog
from calculator.data.price_catalogs._offers import CatalogImport, catalog_rows

SKY = Path(__file__).parents[1] / "fixtures" / "price_catalogs" / "skypilot"
KNOWN = {g.id for g in load_gpu_specs()}
TODAY = date(2026, 12, 5)
GPUHUNT_HEADER = "instance_name,location,price,cpu,memory,gpu_count,gpu_name,gpu_memory,spot\n"
GPUHUNT_ROW = "gpu_1x_h100_sxm5,us-east-1,2.99,26,225,1,H100,80,false\n"


def test_catalog_rows_counts_rows_and_names_missing_columns() -> None:
    result = CatalogImport(file="x.csv", fmt="test")
    got = list(catalog_rows(" a , b \n1,2\n3,4\n", result, required=("a", "b"), what="a test table"))
    assert got == [{"a": "1", "b": "2"}, {"a": "3", "b": "4"}] and result.rows == 2 and not result.problems
    missing = CatalogImport(file="x.csv", fmt="test")
    assert list(catalog_rows("a\n1\n", missing, required=("a", "b", "c"), what="a test table")) == []
    (problem,) = missing.problems
    assert (problem.where, problem.message) == ("row 1", "not a test table: no column b, c")


@pytest.mark.parametrize("fmt", ["skypilot", "gpuhunt"])
def test_both_readers_stop_at_the_one_row_limit(fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_offers, "MAX_CATALOG_ROWS", 3)
    if fmt == "skypilot":
        data, name = (SKY / "lambda_vms.csv").read_bytes(), "lambda_vms.csv"
    else:
        data, name = (GPUHUNT_HEADER + GPUHUNT_ROW * 10).encode(), "lambdalabs.csv"
    result = import_catalog(data, name, as_of="2026-11-20", known_gpus=KNOWN, today=TODAY)
    assert result.fmt == fmt and result.rows == 3
    assert [p.where for p in result.problems] == ["row 5"]
    assert "more than 3 rows: the rest not read" in result.problems[0].message


SKY_HEADER = "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,Price,Region,GpuInfo,SpotPrice\n"


@pytest.mark.parametrize("price", ["5e-324", "0.0001", "9000", "1e308", "inf", "-3"])
@pytest.mark.parametrize("fmt", ["skypilot", "gpuhunt"])
def test_a_catalog_price_outside_the_price_bounds_is_skipped_with_the_reason_never_a_traceback(
    fmt: str, price: str
) -> None:
    # Issue 21: prices are bounded to $0.0001-$1,000 per GPU-hour; a catalog row of 8 GPUs at $5e-324 (or $0.0001,
    # $9,000) an instance-hour raised PriceOffer's ValidationError out of the import (a traceback in the CLI).
    if fmt == "skypilot":
        data, name = f"{SKY_HEADER}gpu_8x_h100_sxm5,H100,8.0,208.0,1800.0,{price},us-south-3,,\n", "lambda_vms.csv"
    else:
        data, name = f"{GPUHUNT_HEADER}gpu_8x_h100_sxm5,us-east-1,{price},26,225,8,H100,80,false\n", "lambdalabs.csv"
    result = import_catalog(data.encode(), name, as_of="2026-11-20", known_gpus=KNOWN, today=TODAY)
    assert result.offers == []
    (why,) = result.skipped
    assert why.startswith("H100: ") and ("per GPU-hour" in why or "not a price" in why), why
    if price not in ("inf", "-3"):
        assert "outside $0.0001-$1,000" in why, why


def test_cli_prices_import_of_a_tiny_catalog_price_is_no_traceback(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "lambda_vms.csv"
    path.write_text(f"{SKY_HEADER}gpu_8x_h100_sxm5,H100,8.0,208.0,1800.0,5e-324,us-south-3,,\n")
    done = subprocess.run(
        [sys.executable, "-m", "calculator", "prices", "import", str(path), "--as-of", "2026-11-01"],
        cwd=Path(__file__).parents[2], capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert "Traceback" not in done.stderr and done.returncode == 1, done.stderr
    assert "per GPU-hour, outside $0.0001-$1,000" in done.stdout + done.stderr
