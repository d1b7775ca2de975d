"""The model layers stay free of Qt, and the engine and data free of Optuna.

Two checks per layer: importing it in a fresh interpreter loads none of the
forbidden modules, and its source holds no import of them at all (including
imports inside functions, which the first check cannot see).
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
PACKAGE_ROOT = REPO_ROOT / "nnstudio"

QT = ("PySide6", "shiboken6", "pyqtgraph")
QT_AND_OPTUNA = QT + ("optuna",)

# module -> top-level modules that importing it must not load
RUNTIME_FORBIDDEN = {
    "nnstudio.config": QT_AND_OPTUNA,
    "nnstudio.registry": QT_AND_OPTUNA,
    "nnstudio.engine": QT_AND_OPTUNA,
    "nnstudio.data": QT_AND_OPTUNA,
    "nnstudio.tuning": QT,
}

# source (package dir or module file) -> module prefixes its code must not import
STATIC_FORBIDDEN = {
    "engine": QT_AND_OPTUNA + ("nnstudio.tuning", "nnstudio.gui"),
    "data": QT_AND_OPTUNA + ("nnstudio.tuning", "nnstudio.gui"),
    "config.py": QT_AND_OPTUNA + ("nnstudio.gui",),
    "registry.py": QT_AND_OPTUNA + ("nnstudio.gui",),
    "tuning": QT + ("nnstudio.gui",),
}

_LIST_MODULES = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps(sorted(sys.modules)))
"""


def _is_within(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _modules_loaded_by(module: str) -> list[str]:
    """Names in ``sys.modules`` after importing ``module`` in a fresh interpreter."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    result = subprocess.run(
        [sys.executable, "-c", _LIST_MODULES, module],
        capture_output=True, text=True, env=env, cwd=REPO_ROOT, timeout=120,
    )
    assert result.returncode == 0, f"importing {module} failed:\n{result.stderr}"
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("module", sorted(RUNTIME_FORBIDDEN))
def test_import_loads_no_forbidden_modules(module: str) -> None:
    forbidden = RUNTIME_FORBIDDEN[module]
    loaded = [name for name in _modules_loaded_by(module) if _is_within(name, forbidden)]
    assert not loaded, f"importing {module} loads {', '.join(loaded)}"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve_relative(node: ast.ImportFrom, path: Path) -> str:
    """Absolute module named by ``from ...x import y`` written in ``path``."""
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package.pop()  # a module's own name is not part of its package
    base = package[: len(package) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def _imported_modules(path: Path):
    """Yield (line, module) for every import in ``path``, at any depth.

    ``from pkg import name`` yields both ``pkg`` and ``pkg.name``, since ``name``
    may be a submodule.  String arguments to ``importlib.import_module`` and
    ``__import__`` count as imports too.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            module = _resolve_relative(node, path) if node.level else node.module or ""
            yield node.lineno, module
            for alias in node.names:
                yield node.lineno, f"{module}.{alias.name}"
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                yield node.lineno, node.args[0].value


def _sources(target: str) -> list[Path]:
    path = PACKAGE_ROOT / target
    return sorted(path.rglob("*.py")) if path.is_dir() else [path] if path.exists() else []


@pytest.mark.parametrize("target", sorted(STATIC_FORBIDDEN))
def test_source_has_no_forbidden_imports(target: str) -> None:
    sources = _sources(target)
    assert sources, f"no Python source found for nnstudio/{target}"
    forbidden = STATIC_FORBIDDEN[target]
    violations = {}  # one report per import statement
    for path in sources:
        for line, module in _imported_modules(path):
            if _is_within(module, forbidden):
                violations.setdefault((path, line), module)
    report = [f"{path.relative_to(REPO_ROOT)}:{line} imports {module}" for (path, line), module in violations.items()]
    assert not report, "\n".join(report)


def test_relative_imports_resolve_to_absolute_names() -> None:
    """The static check sees ``from ..gui import x`` as ``nnstudio.gui``."""
    path = PACKAGE_ROOT / "engine" / "example.py"
    tree = ast.parse("from ..gui import view\nfrom . import layers\nfrom .nn import Dense\n")
    resolved = [_resolve_relative(node, path) for node in tree.body]
    assert resolved == ["nnstudio.gui", "nnstudio.engine", "nnstudio.engine.nn"]
    package_init = PACKAGE_ROOT / "tuning" / "__init__.py"
    node = ast.parse("from ..gui import view").body[0]
    assert _resolve_relative(node, package_init) == "nnstudio.gui"


# -- import-linter contracts (pyproject.toml [tool.importlinter]) ------------------------------

def test_import_linter_contracts_are_kept() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    if not lint.exists():
        pytest.skip("import-linter is not installed (pip install -e .[test])")
    result = subprocess.run([str(lint), "--no-cache"], capture_output=True, text=True, cwd=REPO_ROOT, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


# -- no import cycles ------------------------------------------------------------------------

def _package_modules() -> dict[str, Path]:
    """Every module of nnstudio by dotted name (a package by its ``__init__``)."""
    return {_module_name(path): path for path in sorted(PACKAGE_ROOT.rglob("*.py"))}


def _module_imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """The nnstudio modules ``path`` imports, at any depth (inside functions too).

    ``from pkg import name`` is an import of ``pkg.name`` when that is a module, else of ``pkg``.
    """
    found = set()
    for _, name in _imported_modules(path):
        while name and name not in modules:
            name = name.rpartition(".")[0]  # pkg.name (not a module) -> pkg
        if name:
            found.add(name)
    # ``from pkg import name`` yields pkg as well as pkg.name: keep pkg only if nothing under it matched
    return {m for m in found if not any(o.startswith(m + ".") for o in found) or _imports_package_itself(path, m)}


def _imports_package_itself(path: Path, package: str) -> bool:
    """Whether ``path`` takes a name defined in ``package``'s own ``__init__`` (not a submodule)."""
    modules = _package_modules()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = _resolve_relative(node, path) if node.level else node.module or ""
            if base == package and any(f"{base}.{a.name}" not in modules for a in node.names):
                return True
        elif isinstance(node, ast.Import) and any(a.name == package for a in node.names):
            return True
    return False


def import_graph() -> dict[str, set[str]]:
    modules = _package_modules()
    return {name: _module_imports(path, modules) - {name} for name, path in modules.items()}


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(cycles)


def test_the_cycle_finder_finds_a_cycle_through_a_function_local_import() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert find_cycles(graph) == [["a", "b", "c"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []
    # a real module: nnstudio.cli imports the GUI only inside main(), and the graph sees it
    assert "nnstudio.gui.app" in import_graph()["nnstudio.cli"]


def test_no_import_cycles_in_nnstudio() -> None:
    cycles = find_cycles(import_graph())
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)
