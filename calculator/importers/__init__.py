"""Importers for users' own measurement files: our profile format, a CSV template, and the result
files of SGLang, vLLM, GuideLLM, AIPerf/GenAI-Perf, llmperf and InferenceX.

`import_bytes()` is the one entry point: it detects the format from the content (not the name),
parses leniently, and returns profiles with provenance `uploaded` plus every problem found, never
raising for bad input.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from calculator.loader import Problem
from calculator.schema import Profile


@dataclass(frozen=True)
class Overrides:
    """What a foreign format may lack, given by the user (app form or CLI flags)."""

    gpu: str | None = None
    model: str | None = None
    mode: str | None = None
    precision: str | None = None
    gpus_per_replica: int | None = None
    engine: str | None = None


@dataclass
class ImportResult:
    """What one file yielded: its detected format, the good profiles, and every problem."""

    file: str
    format: str  # e.g. "profile", "csv", "sglang", "vllm", "guidellm", "aiperf", "llmperf", "inferencex", "unknown"
    profiles: list[Profile] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # fields the user must supply (gpu, model, mode, ...)

    @property
    def ok(self) -> bool:
        return bool(self.profiles) and not self.problems
