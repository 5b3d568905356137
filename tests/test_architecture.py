"""docs/architecture.md's rules, checked on the source: the dependencies go one way (app_pages -> calculator <-
measurements), no Streamlit in calculator/ or measurements/, and no source file over 600 lines."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 600


def imported_top_levels(path: Path) -> set[str]:
    """The top-level packages a module imports (absolute imports only; relative ones stay inside its package)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("calculator", {"streamlit", "app_pages", "app", "measurements"}),
        ("measurements", {"streamlit", "app_pages", "app"}),
    ],
)
def test_the_core_and_the_tool_never_import_the_ui(package: str, forbidden: set[str]) -> None:
    offenders = {
        str(p.relative_to(ROOT)): sorted(imported_top_levels(p) & forbidden)
        for p in sources(package)
        if imported_top_levels(p) & forbidden
    }
    assert offenders == {}


def test_the_checker_sees_an_import_it_forbids(tmp_path: Path) -> None:
    """The rule above can fail: a module importing streamlit in any form is caught."""
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nfrom streamlit.runtime import x\n\ndef f():\n    import app_pages.state\n")
    assert {"streamlit", "app_pages"} <= imported_top_levels(bad)


def test_no_source_file_is_over_600_lines() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for package in ("calculator", "app_pages", "measurements")
        for p in sources(package)
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}
