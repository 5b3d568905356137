"""Self-speculation: tokens accepted per draft+verify round against the block size, by workload and engine.

A larger block lets a round accept more tokens, but less than proportionally: a round accepts the drafted prefix up
to its first rejection, so a block of 32 only beats a block of 16 on the rounds that would have accepted 16 or more
(the independent NLD-8B study: "the gain is almost all in the capacity tail"). The curve's shape therefore depends on
how predictable the text is (HumanEval gains more from a larger block than MMLU) and on the engine that ran it.

`block_curve` picks, from the workload table's `block_acceptance` entries (hardware_profiles/workloads/), the curve
that fits an estimate: the workload's own benchmarks where they were measured at several blocks (mapped from a
SPEED-Bench category where one is asked for), else the engine's mean over a study's benchmarks (SGLang for serving
engines, native PyTorch for a bare forward), else the published TPF averages by block (the TPF table). Only ratios
between blocks are used (`BlockCurve.scale`); the level at the reference block stays the TPF table's.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from calculator.data.schema import BlockAcceptanceEntry, WorkloadTable

CATEGORY_BENCHMARKS: dict[str, tuple[str, ...]] = {
    "coding": ("humaneval", "mbpp", "livecodebenchcpp"),
    "code": ("humaneval", "mbpp", "livecodebenchcpp"),
    "math": ("gsm8k", "math500", "aime25"),
    "stem": ("gpqa",),
    "reasoning": ("gpqa", "aime25"),
    "qa": ("mmlu",),
    "humanities": ("mmlu",),
    "instruction": ("ifeval",),
}
"""SPEED-Bench categories (and plain words) whose texts are like these benchmarks' (normalised names)."""


def benchmark_key(name: str) -> str:
    """A benchmark's name normalised: case and punctuation dropped, C++ as cpp (MATH-500 = math500)."""
    return re.sub(r"[^a-z0-9]", "", name.casefold().replace("c++", "cpp"))


@dataclass(frozen=True)
class BlockCurve:
    """Mean acceptance per round (any unit) by block size, and where it comes from, in words."""

    values: dict[int, float]
    label: str

    def at(self, block: int) -> float:
        """Log-linear in log2(block) between measured blocks; clamped outside them."""
        sizes = np.array(sorted(self.values), dtype=np.float64)
        vals = np.array([self.values[int(s)] for s in sizes], dtype=np.float64)
        return float(np.exp(np.interp(math.log2(block), np.log2(sizes), np.log(vals))))

    def covers(self, block: int) -> bool:
        return min(self.values) <= block <= max(self.values)

    def scale(self, block: int, reference_block: int) -> float:
        """Acceptance at `block` / acceptance at `reference_block`."""
        return self.at(block) / self.at(reference_block)


def _normalised(entries: Sequence[BlockAcceptanceEntry]) -> dict[int, float]:
    """Each benchmark's curve divided by its own largest-block figure, averaged over benchmarks at shared blocks."""
    by_bench: dict[str, dict[int, float]] = {}
    for e in entries:
        by_bench.setdefault(benchmark_key(e.benchmark), {}).setdefault(e.block_size, e.value)
    shared = set.intersection(*(set(c) for c in by_bench.values())) if by_bench else set()
    if len(shared) < 2:
        return {}
    top = max(shared)
    return {b: float(np.mean([c[b] / c[top] for c in by_bench.values()])) for b in sorted(shared)}


def _source(entries: Sequence[BlockAcceptanceEntry]) -> str:
    """The study in a few words: repository @ short commit and date (the full source is in the data file)."""
    src = entries[0].provenance.source
    m = re.search(r"github\.com/([^\s@]+)\s*@([0-9a-f]{7})", src)
    when = entries[0].provenance.date
    return f"{m.group(1)} @{m.group(2)}, {when}" if m else f"{src[:80]}, {when}"


def engine_curve_engine(engine: str | None) -> str:
    """Which engine's mean curve an estimate on `engine` (an estimator engine class) uses: PyTorch for a bare
    forward ("torch"), else SGLang (every serving engine batches the rounds the way SGLang does)."""
    return "pytorch" if engine == "torch" else "sglang"


def block_curves(
    table: WorkloadTable, model: str, workload: str | None, engine: str | None, mode: str = "self_spec"
) -> list[BlockCurve]:
    """The curves for an estimate, most specific first: the workload's benchmarks (the model's own, else any
    model's), the engine's study mean (the model's own, else any), the other engine's study mean."""
    rows = [e for e in table.block_acceptance if e.mode == mode]
    out: list[BlockCurve] = []
    wanted: tuple[str, ...] = ()
    if workload:
        key = benchmark_key(workload)
        wanted = CATEGORY_BENCHMARKS.get(workload.casefold(), (key,))
    if wanted:
        for own in (True, False):
            sel = [e for e in rows if benchmark_key(e.benchmark) in wanted and (e.model == model) == own]
            curve = _normalised(sel)
            if curve:
                names = "/".join(sorted({e.benchmark for e in sel}))
                who = sorted({e.model for e in sel})
                out.append(BlockCurve(curve, f"{'/'.join(who)} {names} acceptance by block ({_source(sel)})"))
                break
    first = engine_curve_engine(engine)
    for eng in dict.fromkeys((first, "sglang", "pytorch")):
        for own in (True, False):
            sel = [
                e
                for e in rows
                if e.engine == eng and benchmark_key(e.benchmark) == "average" and (e.model == model) == own
            ]
            curve = _normalised(sel)
            if curve:
                what = {"sglang": "SGLang", "pytorch": "native PyTorch"}[eng]
                out.append(
                    BlockCurve(curve, f"{sel[0].model} {what} mean accepted per round by block ({_source(sel)})")
                )
                break
    return out


def curve_scale(curves: Sequence[BlockCurve], block: int, reference_block: int) -> tuple[float, str] | None:
    """acceptance(block) / acceptance(reference_block) from the first curve that covers the reference block, carried
    below (or above) its measured range by the next curve that covers it; None without curves."""
    usable = [c for c in curves if c.covers(reference_block)]
    if not usable:
        return None
    main = usable[0]
    if main.covers(block) or block > max(main.values):
        return main.scale(block, reference_block), main.label
    edge = min(main.values)
    for other in usable[1:]:
        if other.covers(block) and other.covers(edge):
            return (
                main.scale(edge, reference_block) * other.scale(block, edge),
                f"{main.label}; below block {edge}: {other.label}",
            )
    return main.scale(block, reference_block), main.label


__all__ = [
    "CATEGORY_BENCHMARKS",
    "BlockCurve",
    "benchmark_key",
    "block_curves",
    "curve_scale",
    "engine_curve_engine",
]
