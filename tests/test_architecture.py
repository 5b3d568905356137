"""docs/architecture.md's rules, checked on the source.

- calculator/ is in layers, each a folder: data <- model <- answers <- present <- cli (and the app above them all).
  A module imports only from its own layer or a lower one, at module level or inside a function.
- No import cycle between calculator's modules (module-level imports).
- No Streamlit, app_pages or measurements in calculator/; no Streamlit or app_pages in measurements/, which
  writes its files through calculator.data only.
- No source file over 600 lines; no flat module left in calculator/ but __init__ and __main__.
- The tests mirror the source: tests/<layer>/ for calculator's layers, tests/app/, tests/measurements/, ...
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 600
LAYERS = ("data", "model", "answers", "present", "cli")
RANK = {name: i for i, name in enumerate(LAYERS)}


def imported_modules(path: Path, *, top_level_only: bool = False, root: Path = ROOT) -> set[str]:
    """The absolute module names a file imports (`from a.b import c` gives a.b and a.b.c; relative imports are
    resolved against the file's package). With top_level_only, only statements at module level count."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = ".".join(path.relative_to(root).with_suffix("").parts[:-1])
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            names.add(base)
            names |= {f"{base}.{a.name}" for a in node.names}
    return names


def imported_top_levels(path: Path) -> set[str]:
    return {n.split(".")[0] for n in imported_modules(path)}


def sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def layer_of(module: str) -> str | None:
    """The layer of a calculator module name (calculator.model.frontier -> model), None for calculator itself."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "calculator" and parts[1] in RANK else None


def module_name(path: Path, root: Path = ROOT) -> str:
    rel = path.relative_to(root).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def upward_imports(paths: list[Path], root: Path = ROOT) -> dict[str, list[str]]:
    """Modules that import from a higher layer than their own, with what they import."""
    out: dict[str, list[str]] = {}
    for p in paths:
        own = layer_of(module_name(p, root))
        if own is None:
            continue
        imported = imported_modules(p, root=root)
        up = sorted(m for m in imported if (lay := layer_of(m)) is not None and RANK[lay] > RANK[own])
        if up:
            out[module_name(p, root)] = up
    return out


def test_calculator_is_in_layer_folders() -> None:
    flat = sorted(p.name for p in (ROOT / "calculator").glob("*.py") if p.name not in ("__init__.py", "__main__.py"))
    assert flat == []
    assert {p.name for p in (ROOT / "calculator").iterdir() if (p / "__init__.py").is_file()} == set(LAYERS)


def test_imports_only_go_down_the_layers() -> None:
    assert upward_imports(sources("calculator")) == {}


def test_the_layer_checker_sees_an_upward_import(tmp_path: Path) -> None:
    """The rule can fail: a model module importing presentation, even inside a function, is caught."""
    bad = tmp_path / "calculator" / "model" / "bad.py"
    bad.parent.mkdir(parents=True)
    bad.write_text("from calculator.data import schema\n\ndef f():\n    from calculator.present.labels import md\n")
    assert upward_imports([bad], root=tmp_path) == {
        "calculator.model.bad": ["calculator.present.labels", "calculator.present.labels.md"]
    }


def module_graph() -> dict[str, set[str]]:
    """calculator's modules and the calculator modules each imports at module level (a `from pkg import mod` edge
    goes to pkg.mod when that is a module, else to pkg)."""
    paths = sources("calculator")
    known = {module_name(p) for p in paths}
    graph: dict[str, set[str]] = {}
    for p in paths:
        edges = set()
        for m in imported_modules(p, top_level_only=True):
            if m in known:
                edges.add(m)
        me = module_name(p)
        # A package's __init__ importing its own submodules is how a package is built, not a cycle.
        graph[me] = {e for e in edges if e != me and not (e.startswith(me + ".") and p.name == "__init__.py")}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str]:
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                return [*stack[stack.index(m) :], m]
            if m not in state and (cyc := visit(m)):
                return cyc
        stack.pop()
        state[n] = 2
        return []

    for n in sorted(graph):
        if n not in state and (cyc := visit(n)):
            return cyc
    return []


def test_no_import_cycle_in_calculator() -> None:
    # Edges into a package's __init__ from its own submodules would close a loop through the package; count an
    # import of a package as an import of its __init__ only when it is not the importer's own package.
    graph = module_graph()
    for mod, edges in graph.items():
        graph[mod] = {e for e in edges if not mod.startswith(e + ".")}
    assert find_cycle(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) == []


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


def test_the_measurement_tool_writes_through_the_data_layer_only() -> None:
    offenders = {
        str(p.relative_to(ROOT)): sorted(m for m in imported_modules(p) if layer_of(m) not in (None, "data"))
        for p in sources("measurements")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_checker_sees_an_import_it_forbids(tmp_path: Path) -> None:
    """The rule above can fail: a module importing streamlit in any form is caught."""
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nfrom streamlit.runtime import x\n\ndef f():\n    import app_pages.state\n")
    assert {"streamlit", "app_pages"} <= {n.split(".")[0] for n in _imports_of_loose_file(bad)}


def _imports_of_loose_file(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_source_file_is_over_600_lines() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for package in ("calculator", "app_pages", "measurements")
        for p in sources(package)
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_the_tests_mirror_the_source() -> None:
    """A module's tests are found by its path: tests/<layer>/ for each of calculator's layers, tests/app/ for the
    pages, tests/measurements/ for the tool; only whole-project checks stay at the top of tests/."""
    for folder in ("data", "model", "answers", "present", "cli", "app", "measurements", "browser"):
        assert any((ROOT / "tests" / folder).glob("test_*.py")), folder
    top = sorted(p.name for p in (ROOT / "tests").glob("test_*.py"))
    assert top == ["test_architecture.py", "test_packaging.py"]
