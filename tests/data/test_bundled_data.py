"""The bundled data in hardware_profiles/: every file validates, and it says what the facts say.

Golden spot checks pin figures transcribed from the vendor tables (facts/nemotron.md, gpus_and_prices.md).
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from calculator.data.loader import decode_text, parse_yaml, read_bytes, validate_as
from calculator.data.schema import (
    ForwardCost,
    GpuCatalog,
    ModelCatalog,
    PriceCatalog,
    Profile,
    ProfileSet,
    WorkloadTable,
)

DATA = Path(__file__).resolve().parents[2] / "hardware_profiles"
YAML_FILES = sorted(p for p in DATA.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
TCO_PROVIDERS = ("SemiAnalysis",)
FACT_GPU_IDS = {
    "a100-40gb", "a100-80gb", "h100-sxm", "h100-pcie", "h100-nvl", "h200", "b200", "gb200", "b300", "gb300",
    "rtx-pro-6000", "l40s", "l4", "a10g", "mi300x", "mi325x", "mi355x", "dgx-spark",
}  # fmt: skip
# GPUs the independent measurements need (facts/independent_data.md §3): AccelMark, TensorRT-LLM, community sweeps.
INDEPENDENT_GPU_IDS = {
    "a800-80gb", "h20-3e", "gh200", "rtx-3090", "rtx-4090", "rtx-4090d", "rtx-5090", "rtx-6000-ada", "rtx-a6000",
    "v100-pcie-32gb", "v100s-pcie-32gb",
}  # fmt: skip


def model_for(data: Any, file: str) -> type[BaseModel]:
    """Pick the schema by the document's top-level key."""
    if not isinstance(data, dict):
        raise AssertionError(f"{file}: top level is not a mapping")
    if "gpus" in data:
        return GpuCatalog
    if "offers" in data:
        return PriceCatalog
    if "profiles" in data:
        return ProfileSet
    if "tpf" in data or "accuracy" in data or "block_acceptance" in data:
        return WorkloadTable
    if data.get("kind") == "forward_cost":
        return ForwardCost
    if "models" in data:
        return ModelCatalog
    if "points" in data and "mode" in data:
        return Profile
    raise AssertionError(f"{file}: no known top-level key (gpus, offers, profiles, tpf/accuracy)")


@cache
def raw(path: Path) -> Any:
    return parse_yaml(decode_text(read_bytes(path), str(path)), str(path))


@cache
def load(path: Path) -> BaseModel:
    data = raw(path)
    return validate_as(model_for(data, str(path)), data, str(path))


def loaded(kind: type[BaseModel]) -> list[Any]:
    return [doc for doc in (load(p) for p in YAML_FILES) if isinstance(doc, kind)]


def gpus() -> GpuCatalog:
    return GpuCatalog.model_validate(load(DATA / "gpus.yaml"))


def offers() -> PriceCatalog:
    return PriceCatalog.model_validate(load(DATA / "prices.yaml"))


def profiles() -> list[Profile]:
    return [p for s in loaded(ProfileSet) for p in s.profiles] + loaded(Profile)


def profile(file: str, pid: str) -> Profile:
    doc = load(DATA / file)
    assert isinstance(doc, ProfileSet)
    return next(p for p in doc.profiles if p.id == pid)


def output_at(p: Profile, concurrency: int) -> float:
    return next(pt.output_tok_s for pt in p.points if pt.concurrency == concurrency)


def test_the_bundled_files_are_there() -> None:
    names = {p.relative_to(DATA).as_posix() for p in YAML_FILES}
    assert {
        "gpus.yaml",
        "prices.yaml",
        "vendor/nld8b_batch1_fig9.yaml",
        "vendor_internal/b200_sglang_sweep.yaml",
        "workloads/tpf.yaml",
    } <= names


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: p.relative_to(DATA).as_posix())
def test_every_bundled_file_validates(path: Path) -> None:
    load(path)


def _dates_in(node: Any, where: str = "") -> list[str]:
    if isinstance(node, dt.date):
        return [where]
    if isinstance(node, dict):
        return [w for k, v in node.items() for w in _dates_in(v, f"{where}.{k}")]
    if isinstance(node, list):
        return [w for i, v in enumerate(node) for w in _dates_in(v, f"{where}[{i}]")]
    return []


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: p.relative_to(DATA).as_posix())
def test_dates_are_quoted_strings_in_the_yaml(path: Path) -> None:
    assert _dates_in(raw(path)) == []


def test_the_gpu_catalog_holds_the_gpus_of_the_facts_and_of_the_independent_data() -> None:
    catalog = gpus()
    assert {g.id for g in catalog.gpus} == FACT_GPU_IDS | INDEPENDENT_GPU_IDS
    approximate = {g.id for g in catalog.gpus if g.approximate}
    assert approximate == {"rtx-pro-6000", "dgx-spark", "a10g", "h20-3e", "rtx-4090d", "rtx-5090"}
    by_id = {g.id: g for g in catalog.gpus}
    assert by_id["a100-80gb"].fp8_tflops is None
    assert by_id["h100-sxm"].bf16_tflops == 989
    assert by_id["gb200"].all_in_power_kw == 2.10
    assert {g.vendor for g in catalog.gpus} == {"nvidia", "amd"}


def test_offers_cover_at_least_12_gpus_and_8_providers() -> None:
    catalog = offers()
    assert len({o.gpu for o in catalog.offers}) >= 12
    providers = {o.provider for o in catalog.offers if not o.provider.startswith(TCO_PROVIDERS)}
    assert len(providers) >= 8


def test_every_offer_and_profile_names_a_known_gpu() -> None:
    known = {g.id for g in gpus().gpus}
    assert {o.gpu for o in offers().offers} <= known
    assert {p.gpu for p in profiles()} <= known


def test_price_ranges_use_the_midpoint() -> None:
    by_id = {o.id: o for o in offers().offers}
    spot = by_id["aws-p4d.24xlarge-spot"]
    assert (spot.usd_per_gpu_hour_low, spot.usd_per_gpu_hour_high) == (0.31, 1.02)
    assert spot.usd_per_gpu_hour == pytest.approx(0.665)
    assert "midpoint" in spot.notes
    assert by_id["aws-p5.48xlarge-on_demand"].usd_per_gpu_hour == 6.88
    assert "98.32" in by_id["aws-p5.48xlarge-on_demand"].notes


def test_tco_tiers_are_bundled() -> None:
    catalog = offers().offers
    tiers = {o.tier for o in catalog}
    assert {"on_demand", "spot", "reserved_1y", "reserved_3y", "owned", "rental_3y"} <= tiers
    rental = {o.gpu: o.usd_per_gpu_hour for o in catalog if o.tier == "rental_3y"}
    assert rental["b300"] == 4.25 and rental["gb300"] == 5.00 and rental["mi300x"] == 1.55
    owned = [o for o in catalog if o.tier == "owned" and o.gpu == "h100-sxm"]
    assert sorted(o.usd_per_gpu_hour for o in owned) == [1.30, 1.69]


def test_all_five_modes_appear_in_the_profiles() -> None:
    assert {"ar", "diffusion", "self_spec", "spec_eagle3", "spec_mtp"} <= {p.mode for p in profiles()}


def test_golden_fig9_gb200_fp8_batch1() -> None:
    f = "vendor/nld8b_batch1_fig9.yaml"
    ar = profile(f, "fig9-gb200-fp8-nld-8b-ar")
    ss = profile(f, "fig9-gb200-fp8-nld-8b-self_spec")
    assert (output_at(ar, 1), output_at(ss, 1)) == (256, 851)
    assert ss.mode_params.block_size == 32 and ss.mode_params.lora is True
    assert output_at(profile(f, "fig9-gb200-fp8-nld-8b-self_spec-custom-kernels"), 1) == 1015


def test_golden_b200_sweep_points() -> None:
    f = "vendor_internal/b200_sglang_sweep.yaml"
    assert output_at(profile(f, "b200-sweep-qwen3-8b-bf16-ar"), 128) == 11774
    nld = profile(f, "b200-sweep-nld-8b-fp8-self_spec-b32")
    assert output_at(nld, 16) == 3470
    assert [pt.concurrency for pt in nld.points] == [1, 2, 4, 8, 16, 32, 64, 128]
    assert {pt.tokens_per_forward for pt in nld.points} == {3.28}


def test_provenance_kinds_match_the_sources() -> None:
    fig9 = load(DATA / "vendor/nld8b_batch1_fig9.yaml")
    sweep = load(DATA / "vendor_internal/b200_sglang_sweep.yaml")
    assert isinstance(fig9, ProfileSet) and isinstance(sweep, ProfileSet)
    assert {p.provenance.kind for p in fig9.profiles} == {"vendor"}
    assert {p.provenance.kind for p in sweep.profiles} == {"vendor_internal"}
    assert all("pre-release" in p.provenance.notes.lower() for p in sweep.profiles)


def test_workload_table_carries_table5_and_speed_bench() -> None:
    doc = load(DATA / "workloads/tpf.yaml")
    assert isinstance(doc, WorkloadTable)
    tpf = {
        (t.model, t.mode, t.metric, t.benchmark, t.lora, t.provenance.kind): t.value
        for t in doc.tpf
        if t.block_size in (None, 32)
    }
    assert tpf[("nld-8b", "self_spec", "tokens_per_forward", "average", True, "vendor")] == 5.99
    assert tpf[("nld-8b", "self_spec", "accept_length", "coding", True, "vendor")] == 8.57
    assert tpf[("qwen3.5-9b", "spec_mtp", "accept_length", "average", None, "vendor")] == 4.24
    table5 = [a for a in doc.accuracy if a.provenance.source.startswith("arXiv 2607.05722, Table 5")]
    assert len([a for a in table5 if a.benchmark != "average"]) == 50
    assert {a.provenance.kind for a in doc.accuracy} | {t.provenance.kind for t in doc.tpf} == {
        "vendor",
        "community",
    }
