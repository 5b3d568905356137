"""gpuhunt's catalogs (dstack's library, MPL-2.0): one CSV per provider, `<provider>.csv`, as published in each
provider's `catalog.zip` and as read offline from `GPUHUNT_CATALOG_DIR`: `instance_name, location, price, cpu,
memory, gpu_count, gpu_name, gpu_memory, spot, ...` (one row per instance, location and spot/on-demand). The file
carries no date: the catalog's version (its publication date) is given by the caller."""

from __future__ import annotations

from calculator.data.price_catalogs._offers import (
    CatalogImport,
    CatalogRow,
    catalog_rows,
    instance_price,
    offers_from_rows,
    whole_count,
)
from calculator.data.price_catalogs.gpu_names import gpu_for

REQUIRED = ("instance_name", "location", "price", "gpu_count", "gpu_name", "spot")
PROVIDERS: dict[str, str] = {
    "aws": "AWS",
    "azure": "Azure",
    "gcp": "GCP",
    "lambdalabs": "Lambda",
    "nebius": "Nebius",
    "oci": "OCI",
    "runpod": "RunPod",
    "vastai": "Vast.ai",
    "verda": "Verda (DataCrunch)",
    "cudo": "Cudo",
    "tensordock": "TensorDock",
    "vultr": "Vultr",
    "cloudrift": "CloudRift",
    "crusoe": "Crusoe",
    "hotaisle": "Hot Aisle",
    "digitalocean": "DigitalOcean",
    "jarvislabs": "JarvisLabs",
    "seeweb": "Seeweb",
    "lium": "Lium",
    "daytona": "Daytona",
}


def is_gpuhunt_header(cells: list[str]) -> bool:
    return set(REQUIRED) <= {c.strip() for c in cells}


def provider_from_name(name: str) -> str | None:
    """The provider of a gpuhunt catalog file from its name (`aws.csv`), or None."""
    stem = name.replace("\\", "/").rsplit("/", 1)[-1].lower().removesuffix(".csv")
    return stem if stem in PROVIDERS else None


def _float(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def parse_gpuhunt(text: str, result: CatalogImport, *, provider: str, known_gpus: set[str]) -> None:
    """Read a gpuhunt provider CSV into `result` (spot rows give spot offers, the others on-demand)."""
    shown = PROVIDERS.get(provider, provider)
    rows: list[CatalogRow] = []
    for rec in catalog_rows(text, result, required=REQUIRED, what="a gpuhunt catalog"):
        name = (rec.get("gpu_name") or "").strip()
        count = whole_count((rec.get("gpu_count") or "").strip())
        if not name or (rec.get("gpu_count") or "").strip() in ("0", ""):
            result.skip("no GPU (CPU-only instance)")
            continue
        if count is None:
            result.skip(f"{name}: not a whole number of GPUs ({rec.get('gpu_count')!r})")
            continue
        instance = (rec.get("instance_name") or "").strip()
        gpu = gpu_for(name, _float((rec.get("gpu_memory") or "").strip()), instance)
        if gpu is None or gpu not in known_gpus:
            result.skip(f"{name}: not a GPU we price")
            continue
        tier = "spot" if (rec.get("spot") or "").strip().lower() == "true" else "on_demand"
        text = (rec.get("price") or "").strip()
        hourly = instance_price(result, name, text, count, tier)
        if hourly is None:
            if not text:
                result.skip(f"{name}: no price")
            continue
        region = (rec.get("location") or "").strip()
        rows.append(CatalogRow(shown, instance, name, gpu, count, region, hourly, tier))
    result.offers = offers_from_rows(rows, as_of=result.as_of, source=result.source, prefix=f"gh-{provider}")
