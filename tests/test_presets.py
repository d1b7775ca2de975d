"""Shipped presets: each is a valid experiment for its data set, and the quick ones learn."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from nnstudio.config import ExperimentConfig
from nnstudio.data import DATASETS, load_split
from nnstudio.engine import Trainer, validate_config
from nnstudio.files import FileFormatError, load_experiment
from nnstudio.presets import experiment_from, list_presets, load_preset, preset_names, write_preset
from nnstudio.registry import UnknownNameError

TWO_D = [name for name, spec in DATASETS.items() if spec.two_d]


def test_required_presets_exist_with_descriptions():
    names = preset_names()
    assert {"article", "digits", *TWO_D} <= set(names)
    assert all(p.description.strip() for p in list_presets())


def test_every_preset_file_is_listed_in_the_index():
    folder = resources.files("nnstudio.resources").joinpath("presets")
    files = {p.name[:-5] for p in folder.iterdir() if p.name.endswith(".json") and p.name != "index.json"}
    assert files == set(preset_names())


@pytest.mark.parametrize("name", preset_names())
def test_preset_is_valid_for_its_data(name):
    cfg = load_preset(name)
    assert cfg.name == name
    validate_config(cfg, load_split(cfg.data))


def test_article_preset_is_the_corrected_article_network():
    cfg = load_preset("article")
    assert cfg.data.name == "digits"
    assert [(layer.units, layer.activation) for layer in cfg.layers] == [(64, "sigmoid")]
    assert (cfg.output_activation, cfg.loss_func) == ("softmax", "categorical_crossentropy")
    assert cfg.init_method != "random"  # standard-normal weights saturate 64-input sigmoids
    assert cfg.log_every == 50


@pytest.mark.parametrize("name", TWO_D)
def test_two_d_presets_learn_their_boundary(name):
    cfg = load_preset(name)
    trainer = Trainer(cfg, load_split(cfg.data), histograms=False)
    for _ in trainer.run():
        pass
    assert trainer.summary.test_accuracy >= 0.9, trainer.summary


def test_write_preset_gives_an_editable_experiment(tmp_path):
    path = write_preset("moons", tmp_path / "mine.json")
    assert load_experiment(path) == load_preset("moons")
    assert json.loads(path.read_text())["name"] == "moons"
    with pytest.raises(FileFormatError, match="already exists"):
        write_preset("moons", path)
    write_preset("xor", path, overwrite=True)
    assert load_experiment(path).data.name == "xor"


def test_experiment_from_file_or_preset(tmp_path):
    path = write_preset("circles", tmp_path / "c.json")
    assert experiment_from(path) == experiment_from(preset="circles")
    with pytest.raises(UnknownNameError, match="choose one of: article, digits"):
        experiment_from(preset="nope")
    with pytest.raises(ValueError, match="not both or neither"):
        experiment_from(path, "circles")
    assert isinstance(load_preset("digits"), ExperimentConfig)
