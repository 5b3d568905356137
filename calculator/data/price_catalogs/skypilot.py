"""SkyPilot's price catalogs (skypilot-org/skypilot-catalog, `catalogs/v8/<cloud>/vms.csv`): one row per
instance type and region with `InstanceType, AcceleratorName, AcceleratorCount, Region, Price, SpotPrice` (column
order varies by cloud; other columns are not read). The file carries no date: its date is the commit that wrote
it, given by the caller (`prices import --as-of`, or the commit time `prices refresh` reads)."""

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
        for tier, column in (("on_demand", "Price"), ("spot", "SpotPrice")):
            text = (rec.get(column) or "").strip()
            hourly = instance_price(result, name, text, count, tier)
            if hourly is None:
                if tier == "on_demand" and not text:
                    result.skip(f"{name}: no on-demand price")
                continue
            rows.append(CatalogRow(provider, instance, name, gpu, count, region, hourly, tier))
    result.offers = offers_from_rows(rows, as_of=result.as_of, source=result.source, prefix=f"sky-{cloud}")
