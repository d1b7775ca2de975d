"""Known designs as the first trials: configs and parameter lists, the notes, ``--enqueue``."""

from __future__ import annotations

import json

import optuna
import pytest

from nnstudio.cli import main
from nnstudio.config import LayerConfig
from nnstudio.files import save_experiment
from nnstudio.tuning import TuneSettings, config_from_params, create_study, open_study, prepare_base, run_worker
from nnstudio.tuning.enqueue import (SOURCE_ATTR, EnqueueError, design_params, enqueue_designs, load_designs,
                                     params_from_config)
from tuning_fixtures import iris_config, small_space

optuna.logging.set_verbosity(optuna.logging.ERROR)

SETTINGS = TuneSettings(epochs=4, pruner="none")


def _design(**changes):
    return iris_config(layers=(LayerConfig(6, "tanh", 0.1), LayerConfig(9, "tanh", 0.1)), learning_rate=0.02,
                       init_method="he_uniform", clip_type="norm", grad_clip=0.5, **changes)


def test_a_design_inside_the_space_is_rebuilt_exactly():
    design = _design()
    base = prepare_base(iris_config(), SETTINGS)
    params, notes = design_params(design, base, small_space())
    assert notes == []
    assert params == {"n_layers": 2, "dropout_rate": 0.1, "hidden_size_0": 6, "hidden_size_1": 9,
                      "learning_rate": 0.02, "init_method": "he_uniform", "clip_type": "norm", "clip_value": 0.5}
    rebuilt = config_from_params(base, small_space(), params)
    assert rebuilt.layers == design.layers
    assert (rebuilt.learning_rate, rebuilt.init_method, rebuilt.clip_type, rebuilt.grad_clip) == (0.02, "he_uniform",
                                                                                                 "norm", 0.5)


def test_what_a_trial_cannot_rebuild_is_named():
    design = _design(optimizer="sgd").replace(clip_type="none", learning_rate=0.5)
    params, notes = design_params(design, prepare_base(iris_config(), SETTINGS), small_space(), "my.json")
    assert "learning_rate" not in params and "clip_type" not in params and "clip_value" not in params
    assert any("my.json: learning_rate = 0.5 is outside the search space (0.001 – 0.1 (log))" in n for n in notes)
    assert any("clip_type = 'none' is outside the search space" in n for n in notes)
    assert any("optimizer differs from the study's base config" in n for n in notes)


def test_enqueued_designs_are_the_first_trials(tmp_path):
    tuning = create_study(f"sqlite:///{tmp_path / 's.db'}", "enq", iris_config(), small_space(), SETTINGS)
    notes = enqueue_designs(tuning, [_design(), {"n_layers": 1, "hidden_size_0": 4}], "designs.json")
    assert notes == []
    tuning.set_target(3)
    run_worker(tuning)
    first, second, third = tuning.trials()
    assert first.params["hidden_size_1"] == 9 and first.params["learning_rate"] == 0.02
    assert first.user_attrs[SOURCE_ATTR] == "designs.json item 1"
    assert second.params["n_layers"] == 1 and second.params["hidden_size_0"] == 4
    assert SOURCE_ATTR not in third.user_attrs


def test_parameter_lists_are_checked_before_anything_is_enqueued(tmp_path):
    path = tmp_path / "designs.json"
    path.write_text(json.dumps([{"n_layers": 1}, {"hidden_size_0": 500}]))
    tuning = create_study(f"sqlite:///{tmp_path / 's.db'}", "enq", iris_config(), small_space(), SETTINGS)
    with pytest.raises(EnqueueError, match="designs.json item 2: hidden_size_0 = 500 is outside the search space"):
        enqueue_designs(tuning, load_designs(path), str(path))
    assert tuning.trials() == []
    path.write_text(json.dumps([{"depth": 3}]))
    with pytest.raises(EnqueueError, match="'depth' is not a search parameter"):
        enqueue_designs(tuning, load_designs(path), str(path))


@pytest.mark.parametrize("text, message", [("[]", "non-empty list"), ("[3]", "item 1 is int"),
                                           ("{\"x\": 1}", "not an nnstudio experiment"),
                                           ("[{\"n_layers\": 1", r"not valid JSON \(line 1")])
def test_bad_enqueue_files_say_what_is_wrong(tmp_path, text, message):
    path = tmp_path / "d.json"
    path.write_text(text)
    with pytest.raises(EnqueueError, match=message):
        load_designs(path)


def test_params_from_config_uses_only_enabled_dimensions():
    space = small_space().replace("clip_type", enabled=False).replace("clip_value", enabled=False)
    params, notes = params_from_config(_design(), space)
    assert "clip_type" not in params and "clip_value" not in params and notes == []


def test_cli_enqueue_runs_an_experiment_file_first(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 's.db'}"
    config_file, design_file = tmp_path / "iris.json", tmp_path / "design.json"
    save_experiment(config_file, iris_config())
    save_experiment(design_file, _design())
    status = main(["tune", str(config_file), "--trials", "2", "--epochs", "4", "--workers", "1", "--storage", url,
                   "--study", "e", "--space", str(_space_file(tmp_path)), "--enqueue", str(design_file),
                   "--no-test", "--output", str(tmp_path / "b.json")])
    out = capsys.readouterr().out
    assert status == 0, out
    assert f"Enqueued 1 design from {design_file} as the first trials." in out
    first = open_study(url, "e", heartbeat=False).trials()[0]
    assert first.params["hidden_size_0"] == 6 and first.params["init_method"] == "he_uniform"


def test_cli_enqueue_error_creates_no_study(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 's.db'}"
    config_file, bad = tmp_path / "iris.json", tmp_path / "bad.json"
    save_experiment(config_file, iris_config())
    bad.write_text('[{"n_layers": 40}]')
    assert main(["tune", str(config_file), "--storage", url, "--study", "x", "--enqueue", str(bad)]) == 2
    assert "bad.json: n_layers = 40 is outside the search space (1 – 10)" in capsys.readouterr().err
    from nnstudio.tuning import list_studies, open_storage

    assert list_studies(open_storage(url)) == []


def _space_file(tmp_path):
    path = tmp_path / "space.json"
    path.write_text(small_space().to_json())
    return path


def test_a_design_already_in_the_study_is_not_added_again(tmp_path):
    tuning = create_study(f"sqlite:///{tmp_path / 's.db'}", "enq", iris_config(), small_space(), SETTINGS)
    assert enqueue_designs(tuning, [_design()], "a.json") == []
    notes = enqueue_designs(tuning, [_design()], "b.json")
    assert notes == ["b.json: already in the study as trial 0; not added again"]
    tuning.set_target(1)
    run_worker(tuning)
    assert "already in the study as trial 0" in enqueue_designs(tuning, [_design()], "c.json")[0]
    assert len(tuning.trials()) == 1
