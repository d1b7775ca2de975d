"""The package list in pyproject.toml covers every subpackage, and presets ship with it."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _declared_packages() -> set[str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return set(data["tool"]["setuptools"]["packages"])


def test_every_subpackage_is_declared():
    found = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in (ROOT / "nnstudio").rglob("__init__.py")
    }
    missing = found - _declared_packages()
    assert not missing, f"add to [tool.setuptools] packages in pyproject.toml: {sorted(missing)}"


def test_resources_install_as_a_subpackage_with_presets():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert data["tool"]["setuptools"]["package-dir"]["nnstudio.resources"] == "resources"
    assert "nnstudio.resources" in _declared_packages()
    assert list((ROOT / "resources" / "presets").glob("*.json"))
