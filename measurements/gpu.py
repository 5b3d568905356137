"""Detect the device a measurement runs on and map its name to our gpu ids (hardware_profiles/gpus.yaml).

The name is recorded verbatim; the id is set only when the name (and memory, where a name is shared
by several products) says which product it is. Unknown devices get gpu None, never a guess.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any

from calculator.data.schema import DeviceInfo
from measurements.common import host_name

GIB = 1024**3


@dataclass(frozen=True)
class GpuRule:
    """A device-name pattern (regex, case-insensitive) and the gpu id it means, optionally within a memory range."""

    pattern: str
    gpu: str | None
    min_memory_gb: float = 0.0
    max_memory_gb: float = float("inf")
    why: str = ""


# First match wins, so specific names come before the names they contain (gb200 before b200, l40s before l4).
# A rule with gpu None stops the search: a known product we have no catalog row for, or an ambiguous name.
GPU_RULES: tuple[GpuRule, ...] = (
    GpuRule(r"\bgb300\b", "gb300"),
    GpuRule(r"\bgb200\b", "gb200"),
    GpuRule(r"\bgh200\b", None, why="GH200 has no row in gpus.yaml"),
    GpuRule(r"\bgb10\b|dgx spark", "dgx-spark"),
    GpuRule(r"\bb300\b", "b300"),
    GpuRule(r"\bb200\b", "b200"),
    GpuRule(r"\bh200 nvl\b", None, why="H200 NVL (PCIe, lower power) has no row in gpus.yaml"),
    GpuRule(r"\bh200\b", "h200"),
    GpuRule(r"\bh100\b.*\bnvl\b", "h100-nvl"),
    GpuRule(r"\bh100\b.*(pcie|hbm2e)", "h100-pcie"),
    GpuRule(r"\bh100\b.*(sxm|hbm3)", "h100-sxm"),
    GpuRule(r"\bh100\b", "h100-nvl", min_memory_gb=90, max_memory_gb=105),
    GpuRule(r"\bh100\b", None, why="H100 without SXM/PCIe/NVL in its name: form factor unknown"),
    GpuRule(r"\ba100\b.*pcie", None, why="A100 PCIe differs from the SXM figures of a100-40gb/a100-80gb"),
    GpuRule(r"\ba100\b.*80\s*gb", "a100-80gb"),
    GpuRule(r"\ba100\b.*40\s*gb", "a100-40gb"),
    GpuRule(r"\ba100\b", "a100-80gb", min_memory_gb=70, max_memory_gb=90),
    GpuRule(r"\ba100\b", "a100-40gb", min_memory_gb=35, max_memory_gb=45),
    GpuRule(r"\ba100\b", None, why="A100 with unexpected memory"),
    GpuRule(r"rtx pro 6000\b.*max-q", None, why="the Max-Q edition runs at half the power of rtx-pro-6000"),
    GpuRule(r"rtx pro 6000 blackwell", "rtx-pro-6000"),
    GpuRule(r"\bl40s\b", "l40s"),
    GpuRule(r"\bl4\b", "l4"),
    GpuRule(r"\ba10g\b", "a10g"),
    GpuRule(r"\bmi355x\b", "mi355x"),
    GpuRule(r"\bmi325x\b", "mi325x"),
    GpuRule(r"\bmi300x\b", "mi300x"),
)


def gpu_id_for(name: str, memory_gb: float | None = None) -> str | None:
    """Our gpu id for a device name as the driver reports it, or None when it is unknown or ambiguous."""
    text = " ".join(name.lower().replace("_", " ").split())
    for rule in GPU_RULES:
        if not re.search(rule.pattern, text):
            continue
        bounded = rule.min_memory_gb > 0 or rule.max_memory_gb != float("inf")
        if bounded and (memory_gb is None or not rule.min_memory_gb <= memory_gb <= rule.max_memory_gb):
            continue
        return rule.gpu
    return None


def _nvidia_smi_driver() -> str:
    """Driver version from nvidia-smi, or '' when it is absent or fails."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return ""
    try:
        out = subprocess.run(
            [exe, "--query-gpu=driver_version", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=15,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return ""
    lines = [line.strip() for line in out.splitlines() if line.strip()]
    return lines[0] if lines else ""


def cpu_name() -> str:
    """The CPU model name (from /proc/cpuinfo on Linux), else what platform reports."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return "CPU: " + line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "CPU: " + (platform.processor() or platform.machine() or "unknown")


def memory_available_bytes() -> int | None:
    """Memory the OS says is available now (Linux MemAvailable), or None where unknown."""
    try:
        with open("/proc/meminfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def memory_total_bytes() -> int | None:
    """Physical memory of this machine, or None where unknown."""
    try:
        return int(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def describe_device(device: Any) -> DeviceInfo:
    """DeviceInfo for a torch device: name verbatim, our gpu id when known, memory, count, versions, host."""
    import torch

    common: dict[str, Any] = {"torch_version": torch.__version__, "host": host_name()}
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        props = torch.cuda.get_device_properties(index)
        memory_gb = props.total_memory / 1e9
        cuda = torch.version.cuda or (f"hip {torch.version.hip}" if getattr(torch.version, "hip", None) else "")
        return DeviceInfo(
            name=props.name,
            gpu=gpu_id_for(props.name, memory_gb),
            memory_gb=round(memory_gb, 2),
            count=torch.cuda.device_count(),
            driver=_nvidia_smi_driver(),
            cuda_version=cuda,
            **common,
        )
    total = memory_total_bytes()
    return DeviceInfo(
        name=cpu_name(),
        gpu=None,
        memory_gb=round(total / 1e9, 2) if total else None,
        count=1,
        **common,
    )


def device_id(info: DeviceInfo) -> str:
    """A short id for file names: our gpu id, 'cpu', or a slug of the verbatim name."""
    from calculator.data.schema import slug

    if info.gpu:
        return info.gpu
    if info.name.startswith("CPU"):
        return "cpu"
    return slug(info.name)[:40]
