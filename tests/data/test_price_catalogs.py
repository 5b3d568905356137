"""Price catalogs (issue 22): SkyPilot vms.csv files of three clouds (real, trimmed: tests/fixtures/price_catalogs/
SOURCES.md), gpuhunt's CSV format, `prices import|refresh|age`, `plan --prices` pricing whole instances, and the age
of the prices in use (stale past 30 days)."""

from __future__ import annotations

import csv
import http.server
import io
import json
import threading
import typing
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from calculator.cli import main
from calculator.data.catalog import load_gpu_specs, load_offers
from calculator.data.price_catalogs import STALE_AFTER_DAYS, age_days, import_catalog, price_age

SKY = Path(__file__).parents[1] / "fixtures" / "price_catalogs" / "skypilot"
KNOWN = {g.id for g in load_gpu_specs()}
TODAY = date(2026, 12, 5)
AS_OF = "2026-11-20"


def sky(cloud: str, **kw: object):  # type: ignore[no-untyped-def]
    path = SKY / f"{cloud}_vms.csv"
    return import_catalog(path.read_bytes(), str(path), as_of=AS_OF, known_gpus=KNOWN, today=TODAY, **kw)  # type: ignore[arg-type]


def rows(cloud: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((SKY / f"{cloud}_vms.csv").read_text(encoding="utf-8"))))


@pytest.mark.parametrize("cloud", ["lambda", "nebius", "runpod"])
def test_every_gpu_row_we_price_becomes_a_dated_offer_priced_per_gpu_from_the_whole_instance(cloud: str) -> None:
    result = sky(cloud)
    assert result.fmt == "skypilot" and not result.problems and result.offers
    by_instance = {(o.instance, o.tier): o for o in result.offers}
    for row in rows(cloud):
        if not row["AcceleratorName"] or row["AcceleratorName"] == "V100":
            continue
        offer = by_instance[(row["InstanceType"], "on_demand")]
        n = float(row["AcceleratorCount"])
        assert offer.gpus_per_instance == n
        assert offer.usd_per_gpu_hour * offer.gpus_per_instance == pytest.approx(float(row["Price"]), rel=1e-12)
        if row.get("SpotPrice"):
            spot = by_instance[(row["InstanceType"], "spot")]
            assert spot.usd_per_gpu_hour * n == pytest.approx(float(row["SpotPrice"]), rel=1e-12)
    for offer in result.offers:
        assert offer.as_of == AS_OF and f"SkyPilot {cloud} catalog" in offer.source
        assert offer.gpu in KNOWN


def test_instance_types_map_to_our_gpu_ids_and_what_we_do_not_price_is_counted() -> None:
    lam = {o.instance: o.gpu for o in sky("lambda").offers}
    assert lam["gpu_8x_h100_sxm5"] == "h100-sxm" and lam["gpu_1x_gh200"] == "gh200"
    assert lam["gpu_4x_a6000"] == "rtx-a6000" and lam["gpu_8x_b200_sxm6"] == "b200"
    skipped = sky("lambda").skipped
    assert skipped == {"no accelerator (CPU-only instance)": 3, "V100: not a GPU we price": 3}
    assert {o.gpu for o in sky("runpod").offers} == {"a100-80gb"}
    neb = {o.instance: o for o in sky("nebius").offers if o.tier == "on_demand"}
    assert neb["gpu-h200-sxm_8gpu-128vcpu-1600gb"].gpu == "h200"
    assert neb["gpu-h200-sxm_8gpu-128vcpu-1600gb"].usd_per_gpu_hour == pytest.approx(28.0 / 8)
    assert neb["gpu-h200-sxm_8gpu-128vcpu-1600gb"].region == "eu-north1 (+2 more)"  # one price in three regions


def test_a_catalog_needs_its_date_and_a_cloud_and_bad_input_is_a_problem_not_a_traceback() -> None:
    data = (SKY / "lambda_vms.csv").read_bytes()
    no_date = import_catalog(data, "lambda_vms.csv", as_of="", known_gpus=KNOWN, today=TODAY)
    assert [p.where for p in no_date.problems] == ["as_of"] and not no_date.offers
    future = import_catalog(data, "lambda_vms.csv", as_of="2027-01-01", known_gpus=KNOWN, today=TODAY)
    assert "in the future" in future.problems[0].message
    nameless = import_catalog(data, "catalog.csv", as_of=AS_OF, known_gpus=KNOWN, today=TODAY)
    assert "which cloud" in nameless.problems[0].message
    given = import_catalog(data, "catalog.csv", as_of=AS_OF, known_gpus=KNOWN, today=TODAY, cloud="lambda")
    assert len(given.offers) == len(sky("lambda").offers)
    other = import_catalog(b"a,b\n1,2\n", "x.csv", as_of=AS_OF, known_gpus=KNOWN, today=TODAY)
    assert "not a price catalog" in other.problems[0].message
    hostile = data.replace(b",31.92,", b",NaN,").replace(b",6.99,", b",-1,")
    bad = import_catalog(hostile, "lambda_vms.csv", as_of=AS_OF, known_gpus=KNOWN, today=TODAY)
    assert not bad.problems and bad.skipped["H100: on_demand price 'NaN' is not a price"] == 3
    assert bad.skipped["B200: on_demand price '-1' is not a price"] == 3
    assert all(o.usd_per_gpu_hour > 0 for o in bad.offers)


MEMORY_GB = {"V100": "16.0", "A6000": "48.0", "H100": "80.0", "B200": "180.0", "GH200": "96.0"}  # from GpuInfo


def _gpuhunt_csv() -> bytes:
    """The lambda rows in gpuhunt 0.1.34's catalog format (its storage.CATALOG_V2_FIELDS, in order)."""
    fields = ["instance_name", "location", "price", "cpu", "memory", "gpu_count", "gpu_name", "gpu_memory", "spot"]
    fields += ["disk_size", "gpu_vendor", "flags", "cpu_arch", "provider_data"]
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=fields)
    w.writeheader()
    for r in rows("lambda"):
        n = int(float(r["AcceleratorCount"] or 0))
        w.writerow(
            {
                "instance_name": r["InstanceType"], "location": r["Region"], "price": r["Price"],
                "cpu": int(float(r["vCPUs"])), "memory": r["MemoryGiB"], "gpu_count": n,
                "gpu_name": r["AcceleratorName"], "gpu_memory": MEMORY_GB.get(r["AcceleratorName"], ""),
                "spot": "False",
                "disk_size": "", "gpu_vendor": "nvidia" if n else "", "flags": "", "cpu_arch": "x86",
                "provider_data": "{}",
            }
        )  # fmt: skip
    return out.getvalue().encode()


def test_a_gpuhunt_provider_catalog_imports_like_skypilots() -> None:
    result = import_catalog(_gpuhunt_csv(), "lambdalabs.csv", as_of=AS_OF, known_gpus=KNOWN, today=TODAY)
    assert result.fmt == "gpuhunt" and not result.problems
    assert {(o.instance, o.gpu, o.gpus_per_instance) for o in result.offers} == {
        (o.instance, o.gpu, o.gpus_per_instance) for o in sky("lambda").offers
    }
    assert all(o.provider == "Lambda" and "gpuhunt catalog lambdalabs.csv" in o.source for o in result.offers)


def test_age_is_days_since_as_of_and_stale_past_thirty_days() -> None:
    assert STALE_AFTER_DAYS == 30
    assert age_days("2026-11-20", TODAY) == 15 and age_days("2026-11", TODAY) == 34 and age_days("2027", TODAY) == 0
    fresh = price_age(["2026-11-20", "2026-12-01"], TODAY)
    assert not fresh.any_stale and fresh.oldest_days == 15 and "2026-11-20 to 2026-12-01" in fresh.text()
    old = price_age(["2026-11-20", "2026-10-01"], TODAY)
    assert old.stale == 1 and "older than 30 days" in old.text()
    bundled = price_age([o.as_of for o in load_offers()], TODAY)
    assert bundled.total == len(load_offers()) and bundled.any_stale  # the November 2026 table is flagged


def test_the_age_sentence_writes_full_dates_and_says_which_are_known_only_to_the_year() -> None:
    """Walkthrough: "Prices as of 2026 to 2026-11-09" read as a bare year."""
    text = price_age(["2026", "2026-11-09", "2026"], TODAY).text()
    assert text.startswith("Prices as of 2026-01-01 to 2026-11-09")
    assert "2 of 3 offers are dated only to the year (2026): each is taken as its first day" in text
    assert "dated only" not in price_age(["2026-11-20", "2026-12-01"], TODAY).text()


def test_cli_import_writes_a_prices_file_that_plan_prices_whole_instances_from(capsys, tmp_path) -> None:
    out = tmp_path / "prices.yaml"
    files = [str(SKY / f"{c}_vms.csv") for c in ("lambda", "nebius", "runpod")]
    assert main(["prices", "import", *files, "--as-of", AS_OF, "--out", str(out), "--today", "2026-12-05"]) == 0
    err = capsys.readouterr().err
    assert "lambda_vms.csv: skypilot, 8 offer(s) from 30 row(s), as of 2026-11-20" in err
    offers = load_offers(out)
    assert len(offers) == 33 and {o.as_of for o in offers} == {AS_OF}
    args = ["plan", "--output-tokens-per-day", "1e9", "--gpu", "b200", "--prices", str(out), "--format", "json"]
    code = main([*args, "--limit", "200", "--tier", "on_demand"])
    plan = json.loads(capsys.readouterr().out)
    assert code == 0
    lam = [r for r in plan if r["provider"] == "Lambda" and r["instance"] == "gpu_8x_b200_sxm6"]
    assert lam, "the imported Lambda 8x B200 instance is priced"
    for r in lam:
        assert r["gpus_per_instance"] == 8 and r["gpus_billed"] % 8 == 0  # billed by the whole instance
        assert r["price_as_of"] == AS_OF and r["offer_id"].startswith("sky-lambda-")


def test_cli_import_without_a_date_fails_naming_the_file_and_an_unreadable_file_fails(capsys, tmp_path) -> None:
    # The v8 fixtures' sidecars say their date is not known (`"as_of": null` and why): refused without --as-of
    assert main(["prices", "import", str(SKY / "lambda_vms.csv"), "--today", "2026-12-05"]) == 1
    err = capsys.readouterr().err
    assert "lambda_vms.csv: its date is not known" in err and "could not be obtained" in err and "--as-of" in err
    bare = tmp_path / "lambda_vms.csv"
    bare.write_bytes((SKY / "lambda_vms.csv").read_bytes())  # no sidecar at all
    assert main(["prices", "import", str(bare), "--today", "2026-12-05"]) == 1
    assert "lambda_vms.csv: no date: give --as-of" in capsys.readouterr().err
    bad = tmp_path / "aws.csv"
    bad.write_text("nothing,here\n")
    assert main(["prices", "import", str(bad), "--as-of", AS_OF]) == 1
    assert "not a price catalog" in capsys.readouterr().err


class _Catalogs(http.server.BaseHTTPRequestHandler):
    """A stand-in for the catalog hosts, on 127.0.0.1 (tests never touch the network)."""

    files: typing.ClassVar[dict[str, bytes]] = {}

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        body = self.files.get(path)
        self.send_response(200 if body is not None else 404)
        self.end_headers()
        self.wfile.write(body or b"")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def catalog_host(monkeypatch) -> Iterator[str]:  # type: ignore[no-untyped-def]
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr(zipfile.ZipInfo("lambdalabs.csv", date_time=(2026, 11, 30, 12, 0, 0)), _gpuhunt_csv())
    _Catalogs.files = {
        "/raw/catalogs/v8/nebius/vms.csv": (SKY / "nebius_vms.csv").read_bytes(),
        "/commits": json.dumps([{"sha": "0082b0435f39" + "0" * 28, "commit": {"committer": {"date": AS_OF}}}]).encode(),
        "/gh/lambdalabs/version": b"20261130-1\n",
        "/gh/lambdalabs/20261130-1/catalog.zip": zipped.getvalue(),
    }  # fmt: skip
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Catalogs)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("SKYPILOT_CATALOG_URL", base + "/raw")
    monkeypatch.setenv("SKYPILOT_CATALOG_COMMITS_URL", base + "/commits")
    monkeypatch.setenv("GPUHUNT_CATALOG_URL", base + "/gh")
    try:
        yield base
    finally:
        server.shutdown()
        server.server_close()


def test_refresh_reads_the_commit_date_and_the_gpuhunt_zip_date(capsys, tmp_path, catalog_host) -> None:
    out = tmp_path / "fresh.yaml"
    cmd = ["prices", "refresh", "--skypilot", "nebius", "--gpuhunt", "lambdalabs", "--out", str(out)]
    assert main([*cmd, "--today", "2026-12-05"]) == 0
    offers = load_offers(out)
    neb = [o for o in offers if o.provider == "Nebius"]
    lam = [o for o in offers if o.provider == "Lambda"]
    assert neb and {o.as_of for o in neb} == {AS_OF} and "commit 0082b0435f39" in neb[0].source
    assert lam and {o.as_of for o in lam} == {"2026-11-30"} and "version 20261130-1" in lam[0].source
    assert main(["prices", "refresh", "--skypilot", "nowhere"]) == 1
    assert "skypilot nowhere: not fetched" in capsys.readouterr().err


def test_refresh_keeps_each_catalog_with_its_commit_date_and_import_reads_that_date(
    capsys, tmp_path, catalog_host
) -> None:  # type: ignore[no-untyped-def]
    kept = tmp_path / "catalogs"
    cmd = ["prices", "refresh", "--skypilot", "nebius", "--gpuhunt", "lambdalabs", "--save-dir", str(kept)]
    assert main([*cmd, "--today", "2026-12-05"]) == 0
    sidecar = json.loads((kept / "nebius_vms.csv.source.json").read_text(encoding="utf-8"))
    assert sidecar["as_of"] == AS_OF and "commit 0082b0435f39" in sidecar["ref"] and sidecar["cloud"] == "nebius"
    assert (kept / "nebius_vms.csv").read_bytes() == (SKY / "nebius_vms.csv").read_bytes()
    capsys.readouterr()
    out = tmp_path / "again.yaml"
    # no --as-of: each file's date comes from its sidecar, so the age is counted from the commit, not from the import
    assert main(["prices", "import", str(kept), "--out", str(out), "--today", "2026-12-25"]) == 0
    err = capsys.readouterr().err
    offers = load_offers(out)
    assert {o.as_of for o in offers if o.provider == "Nebius"} == {AS_OF}
    assert {o.as_of for o in offers if o.provider == "Lambda"} == {"2026-11-30"}
    assert "commit 0082b0435f39" in next(o.source for o in offers if o.provider == "Nebius")
    assert "warning:" in err and "older than 30 days" in err  # 2026-11-20 is 35 days before the given day


def test_the_day_ages_are_counted_to_is_given_not_read_from_the_clock(capsys) -> None:
    assert main(["prices", "age", "--today", "2026-11-01"]) == 0
    early = capsys.readouterr().out
    assert main(["prices", "age", "--today", "2027-06-01"]) == 0
    late = capsys.readouterr().out
    assert "older than 30 days" not in early.split("(")[0] and "older than 30 days" in late
    assert main(["prices", "age", "--today", "June"]) == 2
