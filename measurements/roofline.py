"""Roofline check of a ForwardCost profile: achieved memory bandwidth and FLOP/s of each point
against the GPU's datasheet (hardware_profiles/gpus.yaml), to see that the tool measures the
hardware rather than Python overhead (budget: batch-1 decode of an 8B model at >= 70 % of HBM).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from calculator.data.catalog import BUNDLED_DIR
from calculator.data.errors import InputError
from calculator.data.loader import decode_text, parse_yaml, read_bytes, validate_as
from calculator.data.schema import ForwardCost, GpuCatalog, GpuSpec

GPUS_FILE = BUNDLED_DIR / "gpus.yaml"
DECODE_BUDGET = 0.70


def load_gpu_spec(gpu: str | None, path: Path = GPUS_FILE) -> tuple[GpuSpec | None, str]:
    """The datasheet row of `gpu`, or None with the reason (unknown device, missing or bad gpus.yaml)."""
    if gpu is None:
        return None, "the device has no gpu id (not a known GPU), so there is no datasheet to compare with"
    if not path.is_file():
        return None, f"{path} is missing"
    try:
        name = str(path)
        catalog = validate_as(GpuCatalog, parse_yaml(decode_text(read_bytes(path), name), name), name)
    except InputError as e:
        return None, f"{path} does not validate: {e.problems[0]}"
    for spec in catalog.gpus:
        if spec.id == gpu:
            return spec, ""
    return None, f"{path} has no row for gpu {gpu!r}"


def print_report(cost: ForwardCost, out: TextIO = sys.stdout, gpus_file: Path = GPUS_FILE) -> bool | None:
    """Print achieved GB/s and TFLOP/s per point; returns whether batch-1 decode meets the budget (None: unknown)."""
    spec, why = load_gpu_spec(cost.gpu, gpus_file)
    peak_tflops = None
    if spec is not None:
        peak_tflops = {"fp8": spec.fp8_tflops, "fp32": None}.get(cost.precision, spec.bf16_tflops)
        print(f"roofline of {cost.id}: {spec.name}, HBM {spec.hbm_tb_s} TB/s, "
              f"{peak_tflops or '?'} dense TFLOPS ({cost.precision})", file=out)
    else:
        print(f"roofline of {cost.id} on {cost.device.name}: achieved figures only; {why}", file=out)
    print(f"{'attention':>9} {'batch':>5} {'query':>5} {'context':>7} {'ms':>9} {'GB/s':>9} {'TFLOP/s':>8}"
          f" {'%HBM':>6} {'%FLOPS':>6}", file=out)
    verdict: bool | None = None
    for p in cost.points:
        s = p.time_ms_median / 1e3
        gb_s = (p.bytes_per_forward or 0) / s / 1e9
        tflop_s = (p.flops_per_forward or 0) / s / 1e12
        pct_bw = f"{100 * gb_s / (spec.hbm_tb_s * 1e3):.0f}" if spec else "-"
        pct_fl = f"{100 * tflop_s / peak_tflops:.0f}" if spec and peak_tflops else "-"
        print(f"{p.attention:>9} {p.batch:>5} {p.query_tokens:>5} {p.context_tokens:>7} {p.time_ms_median:>9.3f}"
              f" {gb_s:>9.1f} {tflop_s:>8.2f} {pct_bw:>6} {pct_fl:>6}", file=out)
        if spec and p.batch == 1 and p.query_tokens == 1 and p.attention == "causal":
            ok = gb_s >= DECODE_BUDGET * spec.hbm_tb_s * 1e3
            verdict = ok if verdict is None else verdict and ok
    if verdict is not None:
        state = "meets" if verdict else "MISSES"
        print(f"batch-1 decode {state} the {DECODE_BUDGET:.0%}-of-HBM budget at every context measured", file=out)
    return verdict
