"""Issue 21: `--out` never overwrites silently, never writes over an input, and a path it cannot write (a folder,
/dev/full, a FIFO, a link, a missing folder, a file the system refuses) is a usage error naming it, never a
traceback; `schema --out` an existing file likewise."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CSV = "gpu,model,mode,precision,concurrency,output_tok_s\nh100-sxm,qwen3-8b,ar,bf16,1,100\n"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "r.csv"
    path.write_text(CSV)
    return path


def table(run_cli, data: Path, out: str, *more: str):  # type: ignore[no-untyped-def]
    return run_cli("table", "--data", str(data), "--no-estimates", "--format", "csv", "--out", out, *more)


def test_table_never_writes_over_its_own_input(run_cli, data: Path) -> None:
    for extra in ((), ("--overwrite",)):
        done = table(run_cli, data, str(data), *extra)
        assert done.returncode == 2 and "that is an input (--data" in done.stderr, done.stderr
        assert data.read_text() == CSV  # was: replaced by the table


def test_an_existing_out_file_needs_overwrite(run_cli, data: Path, tmp_path: Path) -> None:
    out = tmp_path / "t.csv"
    out.write_text("mine")
    done = table(run_cli, data, str(out))
    assert done.returncode == 2 and "exists; give --overwrite" in done.stderr and out.read_text() == "mine"
    done = table(run_cli, data, str(out), "--overwrite")
    assert done.returncode == 0 and out.read_text().startswith("gpu,")
    new = tmp_path / "new.csv"
    assert table(run_cli, data, str(new)).returncode == 0 and new.read_text().startswith("gpu,")


def test_paths_that_cannot_be_written_are_usage_errors(run_cli, data: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    link = tmp_path / "link.csv"
    link.symlink_to(tmp_path / "elsewhere.csv")
    cases = {
        str(tmp_path): "a folder",
        "/dev/full": "not a regular file",
        str(fifo): "not a regular file",
        str(link): "a symbolic link",
        str(tmp_path / "missing" / "t.csv"): "no folder",
    }
    for out, said in cases.items():
        done = table(run_cli, data, out, "--overwrite")
        assert done.returncode == 2 and said in done.stderr and "Traceback" not in done.stderr, (out, done.stderr)
    assert not (tmp_path / "elsewhere.csv").exists()


def test_a_write_the_system_refuses_is_a_usage_error(run_cli, data: Path) -> None:
    done = table(run_cli, data, "/proc/version", "--overwrite")  # a regular file no one may write
    assert done.returncode == 2 and "could not write" in done.stderr and "Traceback" not in done.stderr


def test_plan_refuses_to_overwrite_without_overwrite(run_cli, tmp_path: Path) -> None:
    out = tmp_path / "plan.csv"
    out.write_text("mine")
    done = run_cli("plan", "--output-tokens-per-month", "1e9", "--format", "csv", "--out", str(out))
    assert done.returncode == 2 and "exists; give --overwrite" in done.stderr and out.read_text() == "mine"


def test_schema_out_an_existing_file_is_a_usage_error(run_cli, tmp_path: Path) -> None:
    out = tmp_path / "f"
    out.write_text("x")
    done = run_cli("schema", "--out", str(out))
    assert done.returncode == 2 and "not a folder" in done.stderr and "FileExistsError" not in done.stderr


def test_out_never_writes_over_the_prices_file_it_reads(run_cli, tmp_path: Path) -> None:
    prices = tmp_path / "mine.yaml"
    prices.write_text((Path(__file__).parents[2] / "hardware_profiles" / "prices.yaml").read_text())
    before = prices.read_text()
    for args in (
        ("table", "--no-estimates", "--format", "csv"),
        ("plan", "--output-tokens-per-month", "1e9", "--format", "csv"),
    ):
        done = run_cli(*args, "--prices", str(prices), "--out", str(prices), "--overwrite")
        assert done.returncode == 2 and "that is an input (--prices" in done.stderr, done.stderr
        assert prices.read_text() == before  # was: replaced by the table, even by plan


SKY = Path(__file__).parents[1] / "fixtures" / "price_catalogs" / "skypilot" / "lambda_vms.csv"


def test_prices_import_out_refuses_its_input_an_existing_file_and_unwritable_paths(run_cli, tmp_path: Path) -> None:
    catalog = tmp_path / "lambda_vms.csv"
    catalog.write_bytes(SKY.read_bytes())
    imp = ("prices", "import", str(catalog), "--as-of", "2026-11-01", "--out")
    for extra in ((), ("--overwrite",)):
        done = run_cli(*imp, str(catalog), *extra)
        assert done.returncode == 2 and "that is an input (FILE" in done.stderr, done.stderr
        assert catalog.read_bytes() == SKY.read_bytes()  # was: replaced by the prices.yaml it wrote
    out = tmp_path / "prices.yaml"
    out.write_text("mine")
    done = run_cli(*imp, str(out))
    assert done.returncode == 2 and "exists; give --overwrite" in done.stderr and out.read_text() == "mine"
    done = run_cli(*imp, str(out), "--overwrite")
    assert done.returncode == 0 and "offers:" in out.read_text()
    for bad, said in (("/dev/full", "not a regular file"), (str(tmp_path), "a folder"), ("/proc/version", "write")):
        done = run_cli(*imp, bad, "--overwrite")
        assert done.returncode == 2 and said in done.stderr and "Traceback" not in done.stderr, (bad, done.stderr)
