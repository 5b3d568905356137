"""The vendor's two headline claims, set beside what the bundled data says.

1. "5.9x tokens per forward vs Qwen3-8B": the vendor's TPF (self-speculation, LoRA drafter, block 32; AR = 1) next to
   the independent NLD-14B B200 SGLang sweep (community), whose TPF falls with the block size a server can afford as
   concurrency grows.
2. "~4x SPEED-Bench throughput on GB200": the vendor's batch-1 figures (Fig. 9) divided by its own AR baseline, and
   that baseline as a fraction of the GPU's HBM roofline for batch-1 AR decoding (weights read once per token:
   HBM bytes/s ÷ weight bytes). An AR stack of your own at another fraction of the roofline moves the claim:
   ratio = NLD tok/s ÷ (your efficiency × roofline). NLD's own figure is held as the vendor reports it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from calculator.data.catalog import Catalog, load_models

PRECISION_BYTES: dict[str, float] = {"bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 1.0, "fp4": 0.5, "int4": 0.5}
CLAIM_GPU = "gb200"
TPF_SWEEP_GPU = "b200"
TPF_SWEEP_MODEL = "nld-14b"


@dataclass(frozen=True)
class TpfClaim:
    vendor_tpf: float  # NLD-8B self-speculation, LoRA drafter, block 32, average over the paper's benchmarks
    vendor_source: str
    sweep: pd.DataFrame  # block_size, concurrency, tokens_per_forward (mean over benchmarks), benchmarks
    sweep_source: str

    def sweep_range(self) -> tuple[float, float]:
        t = self.sweep["tokens_per_forward"]
        return float(t.min()), float(t.max())


@dataclass(frozen=True)
class ThroughputClaim:
    gpu: str
    nld_tok_s: float  # vendor batch-1 self-speculation (the custom-kernel row where present)
    nld_standard_tok_s: float  # the standard-SGLang row
    ar_tok_s: float  # the vendor's own AR baseline (NLD-8B in AR mode)
    roofline_tok_s: float  # batch-1 AR decode bound: HBM bytes/s ÷ weight bytes
    source: str

    @property
    def claimed_ratio(self) -> float:
        return self.nld_tok_s / self.ar_tok_s

    @property
    def vendor_ar_efficiency(self) -> float:
        """The vendor's AR baseline as a fraction of the HBM roofline."""
        return self.ar_tok_s / self.roofline_tok_s

    def ratio_at(self, ar_efficiency: float) -> float:
        """The claim against an AR stack running at `ar_efficiency` of the roofline (0 < e <= 1)."""
        if not 0.0 < ar_efficiency <= 1.0:
            raise ValueError(f"AR efficiency must be in (0, 1], got {ar_efficiency}")
        return self.nld_tok_s / (ar_efficiency * self.roofline_tok_s)


def tpf_claim(catalog: Catalog) -> TpfClaim:
    """The vendor's TPF claim and the independent sweep's TPF by block and concurrency."""
    vendor = [
        e
        for e in catalog.workloads.tpf
        if e.model == "nld-8b" and e.mode == "self_spec" and e.metric == "tokens_per_forward"
        and e.benchmark == "average" and e.lora and e.block_size == 32
    ]  # fmt: skip
    if not vendor:
        raise LookupError("no vendor TPF for NLD-8B self-speculation (block 32, LoRA) in workloads/tpf.yaml")
    best = max(vendor, key=lambda e: e.value)
    p = catalog.points
    sweep = p[
        (p["model"] == TPF_SWEEP_MODEL) & (p["gpu"] == TPF_SWEEP_GPU) & (p["mode"] == "self_spec")
        & (p["provenance"] == "community") & p["tokens_per_forward"].notna()
    ]  # fmt: skip
    table = (
        sweep.groupby(["block_size", "concurrency"])
        .agg(tokens_per_forward=("tokens_per_forward", "mean"), benchmarks=("dataset", "nunique"))
        .reset_index()
    )
    src = str(sweep["source"].iloc[0]) + f" ({sweep['as_of'].iloc[0]})" if not sweep.empty else ""
    return TpfClaim(best.value, f"{best.provenance.source} ({best.provenance.date})", table, src)


def throughput_claim(catalog: Catalog, gpu: str = CLAIM_GPU) -> ThroughputClaim:
    """The vendor's batch-1 throughput claim on `gpu` and its AR baseline against the HBM roofline (gpus.yaml)."""
    p = catalog.points
    v = p[(p["gpu"] == gpu) & (p["provenance"] == "vendor") & (p["model"] == "nld-8b") & (p["concurrency"] == 1)]
    ar = v[v["mode"] == "ar"]
    ss = v[v["mode"] == "self_spec"]
    if ar.empty or ss.empty:
        raise LookupError(f"no vendor batch-1 AR and self-speculation figures for NLD-8B on {gpu}")
    spec = next(g for g in catalog.gpu_specs if g.id == gpu)
    arch = load_models()["nld-8b"].arch
    precision = str(ar["precision"].iloc[0])
    weight_bytes = arch.params * PRECISION_BYTES.get(precision, 2.0)
    roofline = spec.hbm_tb_s * 1e12 / weight_bytes
    custom = ss[ss["profile_id"].str.contains("custom")]
    standard = ss[~ss["profile_id"].str.contains("custom")]
    nld = float((custom if not custom.empty else ss)["output_tok_s"].max())
    std = float((standard if not standard.empty else ss)["output_tok_s"].max())
    return ThroughputClaim(gpu, nld, std, float(ar["output_tok_s"].iloc[0]), roofline, str(ar["source"].iloc[0]))
