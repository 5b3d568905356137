"""The fitted estimator: what `fit` returns and predictions read (learned efficiencies and overheads, pooled, per GPU
family and per engine class, the shared terms and the serving calibration per mode). Plain data: it round-trips
through JSON (to_dict / from_dict) for the on-disk cache.

A GPU's parameters are its family's (architecture x memory class) for an engine class: pooled + family offset + engine
offset. A family without data takes the pooled set; with no data at all the documented defaults hold (η_bw 0.85:
measured HBM bandwidth reaches 90-92 % of peak, decode GEMVs a little less; η_fl 0.6: dense GEMM reaches 55-80 % of
peak and serving forwards add non-GEMM work; overhead 1.5 ms + 10 µs per sequence: per-step time of a CUDA-graph
serving engine). Estimates use the reference engine (SGLang) unless asked for another. Speculative and diffusion modes
are calibrated to the serving evidence (ModeCalibration): the engine time per cycle of the serving sweeps of the mode
and their measured TPF, the same for every GPU, so GPUs rank by hardware rather than by which build measured them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from calculator.data.schema import GpuSpec
from calculator.model.estimator.engines import carried_offsets, generations_text, host_scale, offset_source
from calculator.model.estimator.roofline import gpu_family


@dataclass(frozen=True)
class Efficiency:
    """Achieved fractions of the datasheet and the fixed time per forward."""

    eta_bw: float
    eta_fl: float
    overhead_ms: float
    overhead_per_seq_us: float = 0.0
    eta_kv: float = 0.7

    def text(self) -> str:
        return (
            f"η_bw {self.eta_bw:.2f}, η_kv {self.eta_kv:.2f}, η_fl {self.eta_fl:.2f},"
            f" overhead {self.overhead_ms:.2f} ms + {self.overhead_per_seq_us:.0f} µs per sequence"
        )


DEFAULTS = Efficiency(eta_bw=0.85, eta_fl=0.60, overhead_ms=1.5, overhead_per_seq_us=10.0, eta_kv=0.7)
ETA_BW_MAX = 0.92  # the highest fraction of peak memory bandwidth any kernel reaches (η_bw, η_kv)
DEFAULT_WEIGHT_ONLY_FACTOR = 1.0  # peak factor of GEMMs that dequantise 8- or 4-bit weights (fitted)
DEFAULT_FP8_GAIN = 1.6
DEFAULT_MODE_US_PER_SEQ = 20.0  # prior of a speculative mode's engine time per cycle per running sequence, µs
DEFAULT_TTFT_OVERHEAD_MS = 5.0  # request overhead on top of the prefill forward: tokenise, schedule, stream


def _efficiency(theta: tuple[float, ...] | list[float]) -> Efficiency:
    s0, s1, s4 = (1.0 / (1.0 + math.exp(-x)) for x in (theta[0], theta[1], theta[4]))
    return Efficiency(ETA_BW_MAX * s0, s1, math.exp(theta[2]), math.exp(theta[3]), ETA_BW_MAX * s4)


@dataclass(frozen=True)
class ModeCalibration:
    """What serving estimates of a speculative/diffusion mode take from the serving evidence: the engine time per
    cycle of the sources with fitted serving points of the mode at concurrency > 1 (serving sweeps; else the source with
    the most points), their point-weighted geometric mean, and the TPF those sources measured on SPEED-Bench."""

    mode: str
    source: str  # provenance source text of the largest of them
    label: str  # in words, e.g. "the B200 SGLang sweeps (vendor-internal, pre-release checkpoint; community)"
    engine_ms: float  # the fixed engine time per cycle estimates use
    engine_us_per_seq: float  # and its part per running sequence
    gpus: tuple[str, ...]  # GPUs the sources measured
    points: int  # their fitted serving points of this mode
    serving_sweep: bool  # they have points at concurrency > 1
    tpf: Mapping[tuple[str, int, str], float] = field(default_factory=dict)
    """Measured tokens per forward on SPEED-Bench, by (model, block size, precision)."""
    sources: tuple[str, ...] = ()
    source_ms: tuple[float, ...] = ()  # each source's own fitted fixed engine time per cycle
    by_model: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    """model -> (fixed ms, µs per sequence) of the sweeps that measured that model: estimates of a model use its own
    sweeps' engine time, other models the pooled one (engine_ms, engine_us_per_seq)."""

    def engine_terms(self, model: str | None = None) -> tuple[float, float]:
        """(fixed ms, µs per running sequence) of the engine time per cycle for a model."""
        return self.by_model.get(model or "", (self.engine_ms, self.engine_us_per_seq))


@dataclass(frozen=True)
class FitResult:
    """Fitted estimator parameters: θ of the pooled set, of each family's and each engine's offset, shared terms."""

    defaults: Efficiency
    theta_pooled: tuple[float, ...]
    theta_family: Mapping[str, tuple[float, ...]]  # offsets of families with data
    theta_engine: Mapping[str, tuple[float, ...]]  # offsets of engine classes with data
    reference_engine: str
    fp8_gain: float
    weight_only_factor: Mapping[int, float]  # bits (8, 4) -> peak factor of weight-only GEMMs
    draft_fraction: Mapping[str, float]
    mode_overhead_ms: Mapping[str, float]
    mode_overhead_us_per_seq: Mapping[str, float]
    source_mode_overhead_ms: Mapping[str, Mapping[str, float]]
    ttft_overhead_ms: Mapping[str, float]  # per engine class
    forward_overhead_factor: Mapping[str, float]  # per forward-surface source
    forward_points: Mapping[str, int]  # fitted forward points per forward-surface source
    forward_engines: Mapping[str, str]  # the engine class of each forward-surface source (sglang, torch)
    n_points: int
    points_by_family: Mapping[str, int]
    points_by_gpu: Mapping[str, int]
    points_by_engine: Mapping[str, int]
    excluded: tuple[str, ...] = ()
    calibration: Mapping[str, ModeCalibration] = field(default_factory=dict)
    """Per mode: the serving evidence estimates are calibrated to (engine time per cycle, TPF)."""
    mode_sources_by_gpu: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    """gpu -> mode -> the data sources of its fitted serving points of that mode."""
    gpus_by_family: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """family -> the GPUs whose data it was fitted on."""
    generations_by_engine: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """engine class -> the engine generations (engines.engine_generation) of its fitted points."""

    def unit(self, family: str | None, engine: str | None = None) -> Efficiency:
        """The parameters of a family (None or without data: the pooled set) for an engine class (None: the reference
        engine; one without data: a fitted sibling generation's offsets with its host time scaled, else the prior's:
        engines.carried_offsets)."""
        if not self.n_points:
            return self.defaults
        theta = list(self.theta_pooled)
        for offsets in (
            self.theta_family.get(family or "", ()),
            carried_offsets(engine or self.reference_engine, self.theta_engine)[0],
        ):
            theta = [a + b for a, b in zip(theta, offsets, strict=True)] if offsets else theta
        return _efficiency(theta)

    @property
    def pooled(self) -> Efficiency:
        """The pooled set for the reference engine (what a family without data gets)."""
        return self.unit(None)

    @property
    def families(self) -> dict[str, Efficiency]:
        """Each fitted family's parameters for the reference engine."""
        return {f: self.unit(f) for f in self.theta_family}

    @property
    def engines(self) -> dict[str, Efficiency]:
        """Each fitted engine class's parameters on the pooled set."""
        return {e: self.unit(None, e) for e in self.theta_engine}

    def mode_overhead(self, mode: str, model: str | None = None) -> float:
        """Fixed extra engine time per cycle of `mode` used by estimates, ms: the serving calibration's (of the model's
        own sweeps where it has some); the shared fitted value when no data calibrate the mode."""
        cal = self.calibration.get(mode)
        return cal.engine_terms(model)[0] if cal is not None else self.mode_overhead_ms.get(mode, 0.0)

    def mode_overhead_per_seq(self, mode: str, model: str | None = None) -> float:
        """Extra engine time per cycle of `mode` per running sequence used by estimates, µs (as mode_overhead)."""
        cal = self.calibration.get(mode)
        return cal.engine_terms(model)[1] if cal is not None else self.mode_overhead_us_per_seq.get(mode, 0.0)

    def mode_overhead_s(self, mode: str, running: Any, model: str | None = None) -> Any:
        """The engine time per cycle estimates add for `mode` at running batch(es) R, s: fixed + R x per sequence."""
        if mode == "ar" or mode.startswith("forward"):
            return 0.0 * running
        return self.mode_overhead(mode, model) / 1e3 + running * self.mode_overhead_per_seq(mode, model) / 1e6

    def ttft_overhead(self, engine: str | None = None) -> float:
        """The request overhead TTFT pays for an engine class, ms (fitted; else the default)."""
        source = offset_source(engine or self.reference_engine, self.ttft_overhead_ms)
        return self.ttft_overhead_ms.get(source or "", DEFAULT_TTFT_OVERHEAD_MS)

    def efficiency(self, spec: GpuSpec, engine: str | None = None) -> tuple[Efficiency, str]:
        """The parameters for a GPU (its family's, for an engine class) and how they were obtained (the basis text)."""
        family = gpu_family(spec)
        engine_name = engine or self.reference_engine
        if not self.n_points:
            return self.defaults, "no data: documented defaults"
        on_engine = self.engine_basis(engine_name)
        if family in self.theta_family:
            gpus = self.gpus_by_family.get(family, ())
            own = self.points_by_gpu.get(spec.id, 0)
            mine = f"{own} of them on {spec.id}" if own else f"none on {spec.id}"
            basis = (
                f"family {family} fit on {self.points_by_family[family]} points ({', '.join(gpus)}; {mine};"
                f" all: {self.n_points}), {on_engine}"
            )
            return self.unit(family, engine_name), basis
        have = ", ".join(sorted(self.points_by_family))
        return self.unit(None, engine_name), (
            f"no {family} data: pooled fit over all {self.n_points} points (families: {have}), {on_engine}"
        )

    def engine_basis(self, engine_name: str) -> str:
        """Where an engine class's (generation's) offsets come from, in words: its own points, a sibling generation's
        with the host time scaled, or the prior alone."""
        _, source = carried_offsets(engine_name, self.theta_engine)
        if source == engine_name:
            gens = generations_text(engine_name, tuple(self.generations_by_engine.get(engine_name, ())))
            return f"{engine_name} engine offsets from {self.points_by_engine[engine_name]} points ({gens})"
        if source is None:
            return (
                f"no {engine_name} data: engine offsets from the prior (per-step host time x{host_scale(engine_name):g}"
                " of a CPU-bound scheduler's)"
            )
        ratio = host_scale(engine_name) / host_scale(source)
        return (
            f"no {engine_name} data: {source}'s engine offsets ({self.points_by_engine[source]} points) with the"
            f" per-step host time x{ratio:g} (host-time prior: {engine_name} {host_scale(engine_name):g}, {source}"
            f" {host_scale(source):g} of a CPU-bound scheduler's)"
        )

    # -----------------------------------------------------------------------------------------
    # JSON round trip (the on-disk cache)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["calibration"] = {
            m: {**asdict(c), "tpf": [[list(k), v] for k, v in c.tpf.items()]} for m, c in self.calibration.items()
        }
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FitResult:
        cal = {
            m: ModeCalibration(
                **{
                    **c,
                    "gpus": tuple(c["gpus"]),
                    "sources": tuple(c["sources"]),
                    "source_ms": tuple(c["source_ms"]),
                    "tpf": {(str(k[0]), int(k[1]), str(k[2])): float(v) for k, v in c["tpf"]},
                    "by_model": {str(k): (float(v[0]), float(v[1])) for k, v in c["by_model"].items()},
                }
            )
            for m, c in d["calibration"].items()
        }
        return cls(
            **{
                **d,
                "defaults": Efficiency(**d["defaults"]),
                "weight_only_factor": {int(k): float(v) for k, v in d["weight_only_factor"].items()},
                "theta_pooled": tuple(d["theta_pooled"]),
                "theta_family": {k: tuple(v) for k, v in d["theta_family"].items()},
                "theta_engine": {k: tuple(v) for k, v in d["theta_engine"].items()},
                "excluded": tuple(d["excluded"]),
                "calibration": cal,
                "mode_sources_by_gpu": {
                    g: {m: tuple(s) for m, s in by.items()} for g, by in d["mode_sources_by_gpu"].items()
                },
                "gpus_by_family": {k: tuple(v) for k, v in d["gpus_by_family"].items()},
                "generations_by_engine": {k: tuple(v) for k, v in d.get("generations_by_engine", {}).items()},
            }
        )
