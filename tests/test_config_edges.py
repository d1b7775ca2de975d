"""Malformed experiment files: every one is a one-line ConfigError/FileFormatError naming the field."""

import json

import pytest

from nnstudio.config import ConfigError, ExperimentConfig
from nnstudio.engine import validate_config
from nnstudio.files import FileFormatError, load_experiment


def _write(tmp_path, mutate=None, text=None):
    path = tmp_path / "exp.json"
    if text is None:
        d = ExperimentConfig().to_dict()
        mutate(d)
        text = json.dumps(d)
    path.write_text(text)
    return path


@pytest.mark.parametrize("mutate, field", [
    (lambda d: d["data"].__setitem__("params", "abc"), "data.params"),
    (lambda d: d.__setitem__("learning_rate", 10 ** 400), "learning_rate"),
    (lambda d: d["data"].__setitem__("standardize", []), "data.standardize"),
    (lambda d: d.__setitem__("train_metrics", {"a": 1}), "train_metrics"),
    (lambda d: d.__setitem__("dtype", ["float32"]), "dtype"),
])
def test_malformed_field_is_named(tmp_path, mutate, field):
    with pytest.raises(FileFormatError) as info:
        load_experiment(_write(tmp_path, mutate))
    message = str(info.value)
    assert f": {field}: " in message and "\n" not in message
    with pytest.raises(ConfigError):
        ExperimentConfig.from_json(_write(tmp_path, mutate).read_text())


def test_integer_over_python_limit_names_field_and_its_length(tmp_path):
    text = ExperimentConfig().to_json().replace('"learning_rate": 0.001', '"learning_rate": ' + "9" * 5000)
    with pytest.raises(FileFormatError, match=r"learning_rate: <a 5000-digit integer> is not valid") as info:
        load_experiment(_write(tmp_path, text=text))
    assert len(str(info.value)) < 300


def test_deep_nesting_names_the_top_level_field_and_line(tmp_path):
    deep = "[" * 50_000 + "]" * 50_000
    text = ExperimentConfig().to_json().replace('"params": {}', '"params": {"x": ' + deep + "}")
    with pytest.raises(FileFormatError, match=r"data: .*nesting deeper than 64 levels at line \d+ column \d+"):
        load_experiment(_write(tmp_path, text=text))
    from nnstudio.config import parse_json

    with pytest.raises(ConfigError, match="nesting deeper"):
        parse_json(text)


def test_bad_value_is_shown_cut_short():
    with pytest.raises(ConfigError) as info:
        ExperimentConfig.from_dict({"schema_version": 3, "name": ["x" * 5000]})
    assert "[...]" in str(info.value) and len(str(info.value)) < 200


@pytest.mark.parametrize("optimizer", ["adam", "adamw", "rmsprop"])
@pytest.mark.parametrize("epsilon", [0.0, 1e-320])
def test_epsilon_must_be_positive_where_it_divides(optimizer, epsilon):
    with pytest.raises(ConfigError, match=r"^epsilon: .*at least 1e-12"):
        validate_config(ExperimentConfig(optimizer=optimizer, epsilon=epsilon))


def test_epsilon_zero_stays_valid_for_sgd():
    validate_config(ExperimentConfig(optimizer="sgd", epsilon=0.0))


def test_a_design_too_large_for_memory_is_refused_naming_its_size():
    from nnstudio.config import LayerConfig
    from nnstudio.data import load_split
    from nnstudio.engine import Trainer
    from nnstudio.engine.validation import memory_needed, physical_memory

    cfg = ExperimentConfig(layers=(LayerConfig(100_000), LayerConfig(100_000)))
    split = load_split(cfg.data)
    need = memory_needed(cfg, 64, 10, len(split.y_train), len(split.y_train) + len(split.y_val))
    assert need > 10 * 4 * 100_000 ** 2 and need > physical_memory()
    with pytest.raises(ConfigError, match=r"^layers: '[\d,.]+ GiB of parameters and scratch' is not valid; expected "
                                          r"a design that fits in this machine's [\d,.]+ GiB of memory"):
        Trainer(cfg, split)
    Trainer(cfg.replace(layers=(LayerConfig(128), LayerConfig(128))), split)  # a usual design is accepted
