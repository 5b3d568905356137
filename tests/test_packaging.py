"""pyproject.toml: the package installs with its console scripts and bundled data (nld-cost, nld-measure
work from any directory), its dependencies are requirements.txt's pins, and it ships every subpackage."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def requirement_lines(path: Path) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("-r")]


def test_dependencies_are_requirements_txts_pins():
    assert PYPROJECT["project"]["dependencies"] == requirement_lines(ROOT / "requirements.txt")
    assert PYPROJECT["project"]["optional-dependencies"]["measure"] == requirement_lines(
        ROOT / "requirements-measure.txt")


def test_the_app_install_has_no_torch_and_the_gpu_set_does_not_include_the_app_pins():
    assert not [r for r in requirement_lines(ROOT / "requirements.txt") if r.startswith("torch")]
    gpu_lines = [line.strip() for line in (ROOT / "requirements-gpu.txt").read_text(encoding="utf-8").splitlines()]
    assert not [line for line in gpu_lines if line.startswith("-r")]  # its own pin set: sglang's torch differs
    assert "torch==2.14.1" in requirement_lines(ROOT / "requirements-gpu.txt")


def test_every_python_package_of_the_core_and_the_measurement_tool_is_shipped():
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("calculator", "measurements")
        for init in (ROOT / top).rglob("__init__.py")
    }
    shipped = set(PYPROJECT["tool"]["setuptools"]["packages"])
    assert on_disk <= shipped, on_disk - shipped
    assert PYPROJECT["project"]["scripts"] == {
        "nld-cost": "calculator.cli:script_main",
        "nld-measure": "measurements.__main__:script_main",
    }


def run(args: list[str | Path], cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env |= {"PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    proc = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert proc.returncode == 0, f"{args}: exit {proc.returncode}\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.mark.slow
def test_pip_install_gives_console_scripts_that_read_the_bundled_data_from_any_directory(tmp_path):
    """Build and install the package (no network: --no-deps --no-build-isolation) into a fresh venv whose
    dependencies come from this environment through a .pth file, then run the scripts outside the repo."""
    src = tmp_path / "src"  # a copy: the build writes build/ and *.egg-info next to pyproject.toml
    shutil.copytree(
        ROOT,
        src,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "build", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis", "test-artifacts"
        ),
    )
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=tmp_path)
    python = venv / "bin" / "python"
    site = Path(
        run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp_path).stdout.strip()
    )
    deps = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (site / "_dependencies_from_the_test_environment.pth").write_text("\n".join(deps) + "\n", encoding="utf-8")
    run([python, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", src], cwd=tmp_path)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = "import calculator.data.catalog as c; print(c.__file__); print(c.BUNDLED_DIR)"
    where = run([python, "-c", code], elsewhere)
    module_file, bundled = where.stdout.split()
    assert Path(module_file).is_relative_to(site) and Path(bundled) == site / "calculator" / "hardware_profiles"

    usage = run([venv / "bin" / "nld-cost", "--help"], elsewhere).stdout
    assert usage.startswith("usage: nld-cost") and "table" in usage and "estimate" in usage
    table = run([venv / "bin" / "nld-cost", "table", "--gpu", "b200", "--limit", "3", "--format", "json"], elsewhere)
    rows = json.loads(table.stdout)
    assert len(rows) == 3 and {r["gpu"] for r in rows} == {"b200"}
    from_checkout = subprocess.run(
        [sys.executable, "-m", "calculator", "table", "--gpu", "b200", "--limit", "3", "--format", "json"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    assert rows == json.loads(from_checkout.stdout)  # the same data, the same numbers
    measure = run([venv / "bin" / "nld-measure", "--help"], elsewhere).stdout
    assert measure.startswith("usage: nld-measure") and "forward" in measure
    forward = [venv / "bin" / "nld-measure", "forward", "--model-config", "tiny", "--device", "cpu"]
    forward += ["--batch", "1", "--query", "1", "--context", "16", "--attention", "causal", "--repeats", "1"]
    hint = run(forward, elsewhere).stderr
    written = elsewhere / "measured" / "forward-tiny-cpu-fp32.yaml"  # installed: ./measured/, not site-packages
    assert written.is_file() and "nld-cost validate" in hint
    assert "nld-measure forward" in written.read_text(encoding="utf-8")  # the command as typed, in the provenance
    run([venv / "bin" / "nld-cost", "validate", written.relative_to(elsewhere)], elsewhere)
