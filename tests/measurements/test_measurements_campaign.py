"""`python -m measurements campaign --dry-run`: on a CPU machine it prints the plan for a GPU, a time estimate
labelled as such, the exact commands, and why each step it cannot run here is skipped; it writes nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_dry_run_prints_the_plan_and_an_estimate_on_a_cpu_machine(tmp_path: Path) -> None:
    before = sorted((ROOT / "hardware_profiles").rglob("*"))
    proc = subprocess.run([sys.executable, "-m", "measurements", "campaign", "--dry-run", "--gpu", "h200",
                           "--sglang-python", sys.executable, "--vllm-python", sys.executable],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "campaign on h200:" in out and "estimated" in out and "not measurements" in out
    assert "forward --model-config nld-8b --check-roofline" in out
    assert "forward --model-config qwen3-8b --check-roofline" in out
    assert "serve nld-8b self_spec (vLLM)" in out and "PR #48279" in out
    assert "tpf nld-8b self_spec" in out and "skipped: needs --nld-weights as a local folder" in out
    assert sorted((ROOT / "hardware_profiles").rglob("*")) == before  # nothing written
