"""Real SkyPilot catalogs of three clouds with their commit dates (issue 22): the v5 `vms.csv` files of AWS, Azure
and Lambda from LooproInc/skypilot-catalog (a mirror of skypilot-org/skypilot-catalog), trimmed to GPU rows, each
with its commit date in `<file>.source.json` (tests/fixtures/price_catalogs/SOURCES.md). They import through
`python -m calculator prices import FILE` with no --as-of, price whole instances per GPU, carry the commit's date
on every offer, and are flagged stale (2023 prices, years past the 30-day threshold).

The expected prices below were read by hand from the files, not computed by the importer."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from calculator.cli import main
from calculator.data.catalog import load_gpu_specs, load_offers
from calculator.data.price_catalogs import age_days, import_catalog

V5 = Path(__file__).parents[1] / "fixtures" / "price_catalogs" / "skypilot_v5"
KNOWN = {g.id for g in load_gpu_specs()}
TODAY = "2026-12-05"
COMMITS = {
    "aws": ("2023-12-13", "be265a96245c5836a082dce9b0b37247633dc2a4"),
    "azure": ("2023-12-08", "c2f2f01ce2f0fadc5f6ada60105a35eb47e1e6e7"),
    "lambda": ("2023-06-15", "329b483d862444bc81b48aebe0c154b5c185e9f7"),
}


def imported(cloud: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[dict, str]:  # type: ignore[type-arg]
    out = tmp_path / f"{cloud}.yaml"
    assert main(["prices", "import", str(V5 / f"{cloud}_vms.csv"), "--out", str(out), "--today", TODAY]) == 0
    err = capsys.readouterr().err
    offers = {(o.instance, o.tier, o.region): o for o in load_offers(out)}
    return offers, err


@pytest.mark.parametrize("cloud", sorted(COMMITS))
def test_each_real_v5_catalog_imports_with_its_commit_date_and_is_flagged_stale(cloud, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    day, commit = COMMITS[cloud]
    sidecar = json.loads((V5 / f"{cloud}_vms.csv.source.json").read_text(encoding="utf-8"))
    assert sidecar["as_of"] == day and commit in sidecar["ref"]
    offers, err = imported(cloud, tmp_path, capsys)
    assert offers and f"{cloud}_vms.csv: skypilot," in err and f"as of {day}" in err
    for o in offers.values():
        assert o.as_of == day  # the commit's date, not the day of the import
        assert commit in o.source and f"catalogs/v5/{cloud}/vms.csv" in o.source
        assert o.gpu in KNOWN and o.gpus_per_instance >= 1
    age = age_days(day, date.fromisoformat(TODAY))
    assert age is not None and age > 900
    assert "warning:" in err and f"Prices as of {day}" in err and "older than 30 days" in err


def test_aws_v5_instances_are_priced_per_gpu_from_the_whole_instance(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    offers, err = imported("aws", tmp_path, capsys)
    p4d = offers[("p4d.24xlarge", "on_demand", "us-east-1 (+2 more)")]  # $32.7726/h in us-east-1, -2, us-west-2
    assert (p4d.gpu, p4d.gpus_per_instance) == ("a100-40gb", 8)  # GpuInfo: 40960 MiB
    assert p4d.usd_per_gpu_hour == pytest.approx(32.7726 / 8, rel=1e-12)
    p5 = offers[("p5.48xlarge", "on_demand", "us-east-1 (+2 more)")]
    assert (p5.gpu, p5.gpus_per_instance) == ("h100-sxm", 8) and p5.usd_per_gpu_hour == pytest.approx(98.32 / 8)
    p4de = [o for (i, t, _), o in offers.items() if i == "p4de.24xlarge"]
    assert [(o.gpu, o.tier) for o in p4de] == [("a100-80gb", "on_demand")]  # no spot price in the file
    assert p4de[0].usd_per_gpu_hour == pytest.approx(40.96575 / 8)
    g5 = offers[("g5.xlarge", "on_demand", "us-east-1")]
    assert (g5.gpu, g5.gpus_per_instance, g5.usd_per_gpu_hour) == ("a10g", 1, pytest.approx(1.006))
    # v5 AWS gives a spot price per availability zone: the zone is named with its region
    spot = offers[("p4d.24xlarge", "spot", "us-west-2/usw2-az1")]
    assert spot.usd_per_gpu_hour == pytest.approx(3.3178 / 8)
    assert "skipped: 7 row(s): V100-32GB: not a GPU we price" in err  # p3dn: the SXM2 card, not our PCIe V100s


def test_azure_and_lambda_v5_instances_are_priced_per_gpu(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    az, err = imported("azure", tmp_path, capsys)
    nd = az[("Standard_ND96amsr_A100_v4", "on_demand", "eastus (+2 more)")]
    assert (nd.gpu, nd.gpus_per_instance, nd.usd_per_gpu_hour) == ("a100-80gb", 8, pytest.approx(32.77 / 8))
    asr = az[("Standard_ND96asr_v4", "on_demand", "eastus (+1 more)")]
    assert (asr.gpu, asr.gpus_per_instance, asr.usd_per_gpu_hour) == ("a100-40gb", 8, pytest.approx(27.197 / 8))
    one = az[("Standard_NC24ads_A100_v4", "on_demand", "eastus (+3 more)")]
    assert (one.gpus_per_instance, one.usd_per_gpu_hour) == (1, pytest.approx(3.673))
    assert "skipped: 5 row(s): H100: on_demand price '0.0'" in err  # Azure's H100 rows say 0.0 in this commit
    lam, _ = imported("lambda", tmp_path, capsys)
    big = next(o for (i, t, _), o in lam.items() if i == "gpu_8x_a100_80gb_sxm4")
    assert (big.gpu, big.gpus_per_instance, big.usd_per_gpu_hour) == ("a100-80gb", 8, pytest.approx(12.0 / 8))
    pcie = next(o for (i, t, _), o in lam.items() if i == "gpu_1x_h100_pcie")
    assert (pcie.gpu, pcie.usd_per_gpu_hour) == ("h100-pcie", pytest.approx(1.99))


def test_plan_bills_whole_v5_instances_with_their_dates(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "prices.yaml"
    files = [str(V5 / f"{c}_vms.csv") for c in sorted(COMMITS)]
    assert main(["prices", "import", *files, "--out", str(out), "--today", TODAY]) == 0
    capsys.readouterr()
    args = ["plan", "--output-tokens-per-day", "1e9", "--gpu", "h100-sxm", "--prices", str(out), "--format", "json"]
    assert main([*args, "--limit", "200", "--tier", "on_demand"]) == 0
    got = capsys.readouterr()
    plan = json.loads(got.out)
    assert "older than 30 days" in got.err  # plan warns of the imported offers' age too
    p5 = [r for r in plan if r["offer_id"].startswith("sky-aws-p5.48xlarge")]
    assert p5, "the imported AWS 8x H100 instance is priced"
    for r in p5:
        assert r["gpus_per_instance"] == 8 and r["gpus_billed"] % 8 == 0  # billed by the whole instance
        assert r["price_as_of"] == "2023-12-13"
        assert r["usd_per_gpu_hour"] == pytest.approx(98.32 / 8)


def test_a_v5_file_named_by_its_repository_path_says_that_path_as_its_source() -> None:
    data = (V5 / "aws_vms.csv").read_bytes()
    got = import_catalog(data, "catalogs/v5/aws/vms.csv", as_of="2023-12-13", known_gpus=KNOWN, today=date(2026, 12, 5))
    assert not got.problems and got.offers and all(o.provider == "AWS" for o in got.offers)
    assert all(o.source == "SkyPilot aws catalog catalogs/v5/aws/vms.csv" for o in got.offers)
