"""The fitted estimator: what `fit` returns and predictions read (learned efficiencies and overheads,
pooled, per GPU family and per GPU, the shared terms and the serving calibration per mode).

A GPU with its own data takes its fitted set; a GPU without data takes its family's set; a family without
data the pooled set; with no data at all the documented defaults hold (η_bw 0.85: measured HBM bandwidth
reaches 90-92 % of peak, decode GEMVs a little less; η_fl 0.6: dense GEMM reaches 55-80 % of peak and
serving forwards add non-GEMM work; overhead 1.5 ms + 10 µs per sequence: per-step time of a CUDA-graph
serving engine). Estimates are calibrated to the serving evidence (ModeCalibration): for each mode, the engine
time per cycle and the measured TPF of the source with the most fitted serving points at concurrency > 1 (the
B200 SGLang sweep), the same for every GPU, so GPUs rank by hardware rather than by which engine build happened
to measure them; the basis says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from calculator.estimator.roofline import gpu_family
from calculator.schema import GpuSpec


@dataclass(frozen=True)
class Efficiency:
    """Achieved fractions of the datasheet and the fixed time per forward."""

    eta_bw: float
    eta_fl: float
    overhead_ms: float
    overhead_per_seq_us: float = 0.0

    def text(self) -> str:
        return (
            f"η_bw {self.eta_bw:.2f}, η_fl {self.eta_fl:.2f}, overhead {self.overhead_ms:.2f} ms"
            f" + {self.overhead_per_seq_us:.0f} µs per sequence"
        )


DEFAULTS = Efficiency(eta_bw=0.85, eta_fl=0.60, overhead_ms=1.5, overhead_per_seq_us=10.0)
DEFAULT_FP8_GAIN = 1.6


@dataclass(frozen=True)
class ModeCalibration:
    """What serving estimates of a speculative/diffusion mode take from the serving evidence: the engine time
    per cycle and the tokens per forward of one data source (the one with the most fitted serving points of
    the mode at concurrency > 1, i.e. a serving sweep; else the one with the most points)."""

    mode: str
    source: str  # provenance source text of the data
    label: str  # in words, e.g. "the B200 SGLang sweep (vendor-internal, pre-release checkpoint)"
    engine_ms: float  # that source's fitted engine time per cycle
    gpus: tuple[str, ...]  # GPUs the source measured
    points: int  # its fitted serving points of this mode
    serving_sweep: bool  # it has points at concurrency > 1
    tpf: Mapping[tuple[str, int, str], float] = field(default_factory=dict)
    """Its measured tokens per forward on SPEED-Bench, by (model, block size, precision)."""


@dataclass(frozen=True)
class FitResult:
    """Fitted estimator parameters: pooled, per family and per GPU with data, plus shared terms."""

    defaults: Efficiency
    pooled: Efficiency
    families: Mapping[str, Efficiency]
    gpus: Mapping[str, Efficiency]
    fp8_gain: float
    draft_fraction: Mapping[str, float]
    mode_overhead_ms: Mapping[str, float]
    source_mode_overhead_ms: Mapping[str, Mapping[str, float]]
    n_points: int
    points_by_family: Mapping[str, int]
    points_by_gpu: Mapping[str, int]
    excluded: tuple[str, ...] = ()
    calibration: Mapping[str, ModeCalibration] = field(default_factory=dict)
    """Per mode: the serving evidence estimates are calibrated to (engine time per cycle, TPF)."""
    mode_sources_by_gpu: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    """gpu -> mode -> the data sources of its fitted serving points of that mode."""

    def mode_overhead(self, mode: str) -> float:
        """Extra engine time per cycle of `mode` used by estimates, ms: the serving calibration's (the engine
        build of the serving sweep, the same for every GPU so that GPUs rank by hardware, not by which engine
        build measured them); the shared fitted value when no data calibrate the mode."""
        cal = self.calibration.get(mode)
        return cal.engine_ms if cal is not None else self.mode_overhead_ms.get(mode, 0.0)

    def efficiency(self, spec: GpuSpec) -> tuple[Efficiency, str]:
        """The parameters for a GPU and how they were obtained (the basis text)."""
        family = gpu_family(spec)
        if spec.id in self.gpus:
            basis = (
                f"fitted on {self.points_by_gpu[spec.id]} {spec.id} points"
                f" (family {family}: {self.points_by_family.get(family, 0)}; all: {self.n_points})"
            )
            return self.gpus[spec.id], basis
        if family in self.families:
            basis = (
                f"no {spec.id} data: family {family} fit ({self.points_by_family[family]} points; all: {self.n_points})"
            )
            return self.families[family], basis
        if self.n_points:
            have = ", ".join(sorted(self.points_by_family))
            return self.pooled, (
                f"no {spec.id} or other {family} data: pooled fit over all {self.n_points} points (families: {have})"
            )
        return self.defaults, "no data: documented defaults"
