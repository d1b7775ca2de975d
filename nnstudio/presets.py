"""Ready-made experiments shipped with the package (``resources/presets``).

Each preset is an ordinary experiment file (``<name>.json``); ``index.json`` lists them in
display order with a description.  They install as the package ``nnstudio.resources``, so
they are found the same way from a checkout, a wheel or an editable install.

    load_preset("article")            -> ExperimentConfig
    preset_names()                    -> ["article", "digits", ...]
    list_presets()                    -> [Preset(name, description, summary), ...]
    write_preset("moons", "my.json")  -> an editable copy
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .config import ConfigError, ExperimentConfig
from .files import FileFormatError, atomic_write_text, load_experiment
from .registry import Registry

RESOURCE_PACKAGE = "nnstudio.resources"


@dataclass(frozen=True)
class Preset:
    name: str
    description: str  # what it shows and how it is set up (a tooltip)
    summary: str = ""  # one short line for lists

    def text(self) -> str:
        """The preset's experiment file, as shipped."""
        return _folder().joinpath(f"{self.name}.json").read_text(encoding="utf-8")

    def config(self) -> ExperimentConfig:
        return ExperimentConfig.from_json(self.text())


def _folder():
    return resources.files(RESOURCE_PACKAGE).joinpath("presets")


@functools.cache
def presets() -> Registry[Preset]:
    """All shipped presets, in the order of ``index.json``."""
    registry: Registry[Preset] = Registry("preset")
    index = json.loads(_folder().joinpath("index.json").read_text(encoding="utf-8"))
    for entry in index["presets"]:
        registry.register(entry["name"], Preset(entry["name"], entry["description"],
                                                entry.get("summary") or entry["description"]))
    return registry


def preset_names() -> list[str]:
    return presets().names()


def list_presets() -> list[Preset]:
    """The presets (``name``, ``description``) in display order."""
    return [preset for _, preset in presets().items()]


def load_preset(name: str) -> ExperimentConfig:
    """The preset's config; an unknown name raises ``UnknownNameError`` listing the presets."""
    return presets()[name].config()


def write_preset(name: str, path: str | os.PathLike, overwrite: bool = False) -> Path:
    """Write the preset as an editable experiment file at ``path`` (atomically)."""
    text = presets()[name].text()
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileFormatError(f"{path}: already exists; choose another name or allow overwriting")
    atomic_write_text(path, text)
    return path


def experiment_from(config_path: str | os.PathLike | None = None, preset: str | None = None) -> ExperimentConfig:
    """The experiment in ``config_path`` or the preset named ``preset`` (give exactly one).

    Raises ``FileFormatError`` for a bad file, ``UnknownNameError`` for an unknown preset and
    ``ConfigError`` when both or neither are given: all user errors for the command line.
    """
    if (config_path is None) == (preset is None):
        raise ConfigError("experiment", config_path if preset is None else preset,
                          "either an experiment file (CONFIG.json) or --preset NAME, not both or neither")
    if preset is not None:
        return load_preset(preset)
    return load_experiment(config_path)
