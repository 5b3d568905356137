"""Shared by the CLI tests: running `python -m calculator` in a subprocess, and a profile with id typos."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

TYPO_PROFILE = (
    "id: t1\ngpu: {gpu}\nengine: sglang\nmodel: qwen3-8bb\nprecision: bf16\nmode: arr\n"
    "provenance: {{kind: measured, source: me, date: '2026-11-20'}}\n"
    "points:\n  - {{concurrency: 1, output_tok_s: 100}}\n"
)


@pytest.fixture
def run_cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """`python -m calculator ARGS...` from the repository root, output captured."""

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "calculator", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    return run


@pytest.fixture
def typo_profile() -> str:
    """A profile template (format with gpu=...) whose model and mode ids are typos."""
    return TYPO_PROFILE
