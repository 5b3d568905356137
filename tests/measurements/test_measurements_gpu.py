"""Device names map to our gpu ids only when the name (and memory, where names are shared) says
which product it is; anything else is recorded verbatim with gpu None."""

from __future__ import annotations

import pytest

from calculator.data.schema import slug
from measurements.gpu import GPU_RULES, gpu_id_for

# (name as torch/nvidia-smi report it, memory GB or None, expected id)
CASES = [
    ("NVIDIA H100 80GB HBM3", 85.0, "h100-sxm"),
    ("NVIDIA H100 SXM5 80GB", 85.0, "h100-sxm"),
    ("NVIDIA H100 PCIe", 85.0, "h100-pcie"),
    ("NVIDIA H100 80GB HBM2e", 85.0, "h100-pcie"),
    ("NVIDIA H100 NVL", 100.0, "h100-nvl"),
    ("NVIDIA H100", 100.0, "h100-nvl"),
    ("NVIDIA H100", 85.0, None),
    ("NVIDIA H200", 150.0, "h200"),
    ("NVIDIA H200 NVL", 150.0, None),
    ("NVIDIA GH200 480GB", 102.0, None),
    ("NVIDIA A100-SXM4-80GB", 85.0, "a100-80gb"),
    ("NVIDIA A100-SXM4-40GB", 42.0, "a100-40gb"),
    ("NVIDIA A100-PCIE-40GB", 42.0, None),
    ("NVIDIA A100 80GB PCIe", 85.0, None),
    ("NVIDIA A100", 85.0, "a100-80gb"),
    ("NVIDIA A100", None, None),
    ("NVIDIA B200", 191.0, "b200"),
    ("NVIDIA GB200", 197.0, "gb200"),
    ("NVIDIA B300 SXM6 AC", 288.0, "b300"),
    ("NVIDIA GB300", 297.0, "gb300"),
    ("NVIDIA L40S", 48.0, "l40s"),
    ("NVIDIA L40", 48.0, None),
    ("NVIDIA L4", 24.0, "l4"),
    ("NVIDIA A10G", 24.0, "a10g"),
    ("NVIDIA A10", 24.0, None),
    ("NVIDIA RTX PRO 6000 Blackwell Server Edition", 102.0, "rtx-pro-6000"),
    ("NVIDIA RTX PRO 6000 Blackwell Workstation Edition", 102.0, "rtx-pro-6000"),
    ("NVIDIA RTX PRO 6000 Blackwell Max-Q Workstation Edition", 102.0, None),
    ("NVIDIA RTX 6000 Ada Generation", 51.0, None),
    ("NVIDIA GB10", 128.0, "dgx-spark"),
    ("AMD Instinct MI300X", 206.0, "mi300x"),
    ("AMD Instinct MI300X VF", 206.0, "mi300x"),
    ("AMD Instinct MI325X", 275.0, "mi325x"),
    ("AMD Instinct MI355X", 309.0, "mi355x"),
    ("Tesla V100-SXM2-16GB", 17.0, None),
    ("NVIDIA GeForce RTX 4090", 25.0, None),
    ("", None, None),
]


@pytest.mark.parametrize(("name", "memory_gb", "expected"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_device_name_maps_to_our_gpu_id_or_none(name: str, memory_gb: float | None, expected: str | None) -> None:
    assert gpu_id_for(name, memory_gb) == expected


def test_every_mapped_id_is_a_valid_id() -> None:
    for gpu in {r.gpu for r in GPU_RULES if r.gpu is not None}:
        assert slug(gpu) == gpu


def test_every_mapped_id_has_a_row_in_the_bundled_gpu_catalog() -> None:
    from measurements.roofline import GPUS_FILE, load_gpu_spec

    if not GPUS_FILE.is_file():
        pytest.skip("hardware_profiles/gpus.yaml is not there yet")
    for gpu in sorted({r.gpu for r in GPU_RULES if r.gpu is not None}):
        spec, why = load_gpu_spec(gpu)
        assert spec is not None, why
