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
    "nnstudio.doctor": QT,
}

# source (package dir or module file) -> module prefixes its code must not import
STATIC_FORBIDDEN = {
    "engine": QT_AND_OPTUNA + ("nnstudio.tuning", "nnstudio.gui"),
    "data": QT_AND_OPTUNA + ("nnstudio.tuning", "nnstudio.gui"),
    "config.py": QT_AND_OPTUNA + ("nnstudio.gui",),
    "registry.py": QT_AND_OPTUNA + ("nnstudio.gui",),
    "tuning": QT + ("nnstudio.gui",),
    "doctor": QT + ("nnstudio.gui", "nnstudio.commands", "nnstudio.cli"),
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
