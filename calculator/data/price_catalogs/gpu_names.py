"""Accelerator names as the public price catalogs write them (SkyPilot's `AcceleratorName`, gpuhunt's `gpu_name`
with its memory) mapped to our GPU ids. A name maps only where the mapping is certain; the rest are skipped and
counted (a V100 of 16 GB is none of our V100 ids, which are the 32 GB cards)."""

from __future__ import annotations

import re

# name (upper case, spaces and dashes dropped) -> our id; memory-dependent names are resolved below.
_NAMES: dict[str, str] = {
    "A10G": "a10g",
    "A100": "a100-40gb",
    "A10080GB": "a100-80gb",
    "A100SXM480GB": "a100-80gb",
    "A10080GBSXM": "a100-80gb",
    "H100": "h100-sxm",
    "H100SXM": "h100-sxm",
    "H100SXM5": "h100-sxm",
    "H100MEGA": "h100-sxm",
    "H100NVLINK": "h100-sxm",
    "H100PCIE": "h100-pcie",
    "H100NVL": "h100-nvl",
    "H200": "h200",
    "H200SXM": "h200",
    "GH200": "gh200",
    "B200": "b200",
    "GB200": "gb200",
    "B300": "b300",
    "GB300": "gb300",
    "L4": "l4",
    "L40S": "l40s",
    "A6000": "rtx-a6000",
    "RTXA6000": "rtx-a6000",
    "RTX6000ADA": "rtx-6000-ada",
    "RTXPRO6000": "rtx-pro-6000",
    "RTX3090": "rtx-3090",
    "RTX4090": "rtx-4090",
    "RTX5090": "rtx-5090",
    "MI300X": "mi300x",
    "MI325X": "mi325x",
    "MI355X": "mi355x",
    "A800": "a800-80gb",
    "A80080GB": "a800-80gb",
    "V10032GB": "v100-pcie-32gb",
}


def _key(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name).upper()


def gpu_for(name: str, memory_gb: float | None = None, instance: str = "") -> str | None:
    """Our GPU id for a catalog's accelerator name (and its memory in GB where the catalog gives it, which tells an
    A100 40 GB from an 80 GB), or None when it is not one we price. An H100 on an instance whose name says PCIe is
    the PCIe card."""
    key = _key(name)
    if key == "A100" and memory_gb is not None and memory_gb > 60:
        key = "A10080GB"
    if key == "V100" and memory_gb is not None and memory_gb > 24:
        key = "V10032GB"
    if key == "V10032GB" and instance.lower().startswith("p3dn."):
        return None  # AWS p3dn's V100 32 GB is the SXM2 card; our 32 GB V100s are PCIe
    if key == "H100" and "pcie" in instance.lower():
        key = "H100PCIE"
    return _NAMES.get(key)
