"""SkyPilot's price catalogs (skypilot-org/skypilot-catalog, `catalogs/v<N>/<cloud>/vms.csv`): one row per
instance type and region (and, for AWS, GCP and OCI, availability zone) with `InstanceType, AcceleratorName,
AcceleratorCount, Region, Price, SpotPrice` (column order varies by cloud and layout; other columns are not read
but `GpuInfo`, for the GPU's memory, and `AvailabilityZone`, for where a spot price holds).

Both layouts in use read the same way: v8 (current) and v5 (2023: AWS rows per availability zone with the spot price
of each, `GpuInfo` a Python-literal dict with `SizeInMiB`; Azure's `GpuInfo` the bare name and a `Generation`
column; Lambda's as v8). The file carries no date: its date is the commit that wrote it, given by the caller
(`prices import --as-of`, the sidecar beside the file, or the commit time `prices refresh` reads)."""

from __future__ import annotations

import re

from calculator.data.price_catalogs._offers import (
    CatalogImport,
    CatalogRow,
    catalog_rows,
    instance_price,
    offers_from_rows,
    whole_count,
)
from calculator.data.price_catalogs.gpu_names import gpu_for

REQUIRED = ("InstanceType", "AcceleratorName", "AcceleratorCount", "Region", "Price")
PROVIDERS: dict[str, str] = {
    "aws": "AWS",
    "gcp": "GCP",
    "azure": "Azure",
    "lambda": "Lambda",
    "nebius": "Nebius",
    "runpod": "RunPod",
    "oci": "OCI",
    "vast": "Vast.ai",
    "verda": "Verda (DataCrunch)",
    "fluidstack": "Fluidstack",
    "cudo": "Cudo",
    "paperspace": "Paperspace",
    "hyperbolic": "Hyperbolic",
    "shadeform": "Shadeform",
    "mithril": "Mithril",
    "primeintellect": "Prime Intellect",
    "seeweb": "Seeweb",
    "ibm": "IBM",
    "scp": "SCP",
    "do": "DigitalOcean",
    "jarvislabs": "JarvisLabs",
    "lium": "Lium",
    "yotta": "Yotta",
    "hyperstack": "Hyperstack",
    "spheron": "Spheron",
    "daytona": "Daytona",
}
_MIB = re.compile(r"'SizeInMiB':\s*([0-9.]+)")
_REPO_PATH = re.compile(r"catalogs/v\d+/[a-z0-9_-]+/vms\.csv")


def repo_path(text: str) -> str:
    """`catalogs/v<N>/<cloud>/vms.csv` where `text` (a file path, a ref) names one; "" otherwise."""
    m = _REPO_PATH.search((text or "").replace("\\", "/"))
    return m.group(0) if m else ""


def source_text(cloud: str, file: str, ref: str) -> str:
    """Where a SkyPilot catalog's offers came from: the cloud, the ref (repo@commit) and the catalog's path in the
    repository where the file's path or the ref names it, else the file's name."""
    in_repo = repo_path(file) or repo_path(ref)
    parts = [p for p in (ref, "" if in_repo and in_repo in ref else in_repo) if p]
    name = file.replace("\\", "/").rsplit("/", 1)[-1]
    return f"SkyPilot {cloud} catalog " + (" ".join(parts) if parts else f"file {name}")


def is_skypilot_header(cells: list[str]) -> bool:
    return set(REQUIRED) <= {c.strip() for c in cells}


def cloud_from_name(name: str) -> str | None:
    """The cloud a SkyPilot catalog file belongs to, from its path (`catalogs/v8/lambda/vms.csv`) or a name like
    `lambda_vms.csv`; None when the name does not say."""
    parts = re.split(r"[\\/]", name)
    if len(parts) >= 2 and parts[-1] == "vms.csv" and parts[-2].lower() in PROVIDERS:
        return parts[-2].lower()
    stem = re.sub(r"[-_.]?vms(\.csv)?$", "", parts[-1].lower())
    return stem if stem in PROVIDERS else None


def _memory_gb(gpu_info: str) -> float | None:
    m = _MIB.search(gpu_info or "")
    if not m:
        return None
    v = float(m.group(1))
    return v / 1024 if v > 1024 else v  # RunPod writes GB in the MiB field


def parse_skypilot(text: str, result: CatalogImport, *, cloud: str, known_gpus: set[str]) -> None:
    """Read a vms.csv into `result`: offers for each GPU instance we can price; CPU-only rows, unknown GPUs,
    fractional GPUs and rows without a price are skipped and counted."""
    provider = PROVIDERS.get(cloud, cloud)
    rows: list[CatalogRow] = []
    for rec in catalog_rows(text, result, required=REQUIRED, what="a SkyPilot vms.csv"):
        name = (rec.get("AcceleratorName") or "").strip()
        if not name:
            result.skip("no accelerator (CPU-only instance)")
            continue
        count = whole_count((rec.get("AcceleratorCount") or "").strip())
        if count is None:
            result.skip(f"{name}: not a whole number of GPUs ({rec.get('AcceleratorCount')!r})")
            continue
        instance = (rec.get("InstanceType") or "").strip()
        gpu = gpu_for(name, _memory_gb(rec.get("GpuInfo") or ""), instance)
        if gpu is None or gpu not in known_gpus:
            result.skip(f"{name}: not a GPU we price")
            continue
        region = (rec.get("Region") or "").strip()
        zone = (rec.get("AvailabilityZone") or "").strip()
        for tier, column in (("on_demand", "Price"), ("spot", "SpotPrice")):
            text = (rec.get(column) or "").strip()
            hourly = instance_price(result, name, text, count, tier)
            if hourly is None:
                if tier == "on_demand" and not text:
                    result.skip(f"{name}: no on-demand price")
                continue
            # An on-demand price holds for the region; a spot price (v5 AWS) for one availability zone of it.
            where = f"{region}/{zone}" if tier == "spot" and zone and zone != region else region
            rows.append(CatalogRow(provider, instance, name, gpu, count, where, hourly, tier))
    result.offers = offers_from_rows(rows, as_of=result.as_of, source=result.source, prefix=f"sky-{cloud}")
