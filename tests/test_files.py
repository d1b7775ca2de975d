"""Experiment and model files: atomic writes, exact round trips, clear errors, no unpickling."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

from nnstudio.config import SCHEMA_VERSION, DataConfig, ExperimentConfig, LayerConfig
from nnstudio.data import csv_params, load_split
from nnstudio.engine import Trainer
from nnstudio.files import (MODEL_FORMAT_VERSION, FileFormatError, atomic_write_text, load_experiment, load_model,
                            model_arrays, save_experiment, save_model)
from nnstudio.model import TrainedModel


def train(config: ExperimentConfig) -> Trainer:
    trainer = Trainer(config, load_split(config.data), histograms=False)
    for _ in trainer.run():
        pass
    return trainer


def small(data: DataConfig, **changes) -> ExperimentConfig:
    base = ExperimentConfig(name="t", data=data, epochs=3, batch_size=32,
                            layers=(LayerConfig(8, "tanh", dropout_rate=0.2, batch_norm=True), LayerConfig(6, "relu")))
    return base.replace(**changes)


# -- experiment files ----------------------------------------------------------------------

def test_experiment_round_trip(tmp_path):
    cfg = small(DataConfig("moons", {"n_samples": 100, "noise": 0.1}), learning_rate=0.02)
    save_experiment(tmp_path / "e.json", cfg)
    assert load_experiment(tmp_path / "e.json") == cfg


def test_a_failed_write_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "e.json"
    atomic_write_text(path, "old")

    def crash(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(FileFormatError, match="e.json: cannot be written .disk full.; the previous file"):
        atomic_write_text(path, "new")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["e.json"]  # no temporary left behind


def test_a_folder_that_cannot_be_written_is_a_file_format_error(tmp_path, monkeypatch):
    import errno
    import tempfile

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    with pytest.raises(FileFormatError, match=r"e.json: cannot be written in .* \(Read-only file system\); choose"):
        atomic_write_text(tmp_path / "e.json", "new")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("content, message", [
    (None, "no such file"),
    ("", "is empty"),
    ('{"layers": [', r"is not valid JSON \(line 1"),
    ('{"hello": 1}', "not an nnstudio experiment"),
    (json.dumps({"schema_version": SCHEMA_VERSION + 1, "layers": []}), "written by a newer nnstudio"),
    (json.dumps({"schema_version": SCHEMA_VERSION, "learning_rate": -1}), "learning_rate: -1 is not valid"),
])
def test_experiment_errors(tmp_path, content, message):
    path = tmp_path / "e.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(FileFormatError, match=message) as info:
        load_experiment(path)
    assert str(path) in str(info.value)


def test_article_style_v1_file_is_migrated(tmp_path):
    path = tmp_path / "old.json"
    path.write_text(json.dumps({"layers": [64, 64, 10], "dropout_rate": 0.5, "learning_rate": 0.1}))
    cfg = load_experiment(path)
    assert cfg.schema_version == SCHEMA_VERSION
    assert cfg.layers == (LayerConfig(64, "sigmoid", 0.5),)


# -- model files: exact round trips ------------------------------------------------------------

CASES = {
    "multi-class with batch norm and dropout": (DataConfig("iris"), {}),
    "binary sigmoid": (DataConfig("breast_cancer"), {"output_activation": "sigmoid", "loss_func": "log_loss"}),
    "regression": (DataConfig("diabetes"), {"output_activation": "linear", "loss_func": "mse"}),
    "float64": (DataConfig("wine"), {"dtype": "float64"}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_save_load_predict_is_identical(tmp_path, case):
    data, changes = CASES[case]
    trainer = train(small(data, **changes))
    model = TrainedModel.from_network(trainer.config, trainer.network, trainer.split, {"note": case})
    save_model(tmp_path / "m.npz", model)
    loaded = load_model(tmp_path / "m.npz")
    X = trainer.split.dataset.X
    np.testing.assert_array_equal(loaded.predict_output(X), model.predict_output(X))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert loaded.config == trainer.config
    assert loaded.class_labels == model.class_labels
    assert loaded.feature_names == model.feature_names
    assert loaded.info == {"note": case}
    # the engine's own evaluation of the test split agrees with predictions on raw rows
    split = trainer.split
    engine_out = trainer.network.predict_output(split.X_test.astype(trainer.network.dtype))
    raw_test = split.X_test * split.scaler.scale + split.scaler.mean
    np.testing.assert_allclose(loaded.predict_output(raw_test), engine_out, rtol=1e-5, atol=1e-6)


def test_regression_predictions_are_in_original_units(tmp_path):
    trainer = train(small(DataConfig("diabetes"), output_activation="linear", loss_func="mse", epochs=20))
    save_model(tmp_path / "m.npz", trainer)
    model = load_model(tmp_path / "m.npz")
    split = trainer.split
    raw_test = split.X_test * split.scaler.scale + split.scaler.mean
    pred = model.predict(raw_test)
    truth = split.y_test * split.target_scale + split.target_mean
    rmse = float(np.sqrt(np.mean((pred - truth) ** 2)))
    assert rmse == pytest.approx(trainer.summary.test_rmse, rel=1e-4)
    assert 20 < truth.mean() < 300  # diabetes progression scores, not standardized values
    with pytest.raises(ValueError, match="regression model has no class probabilities"):
        model.predict_proba(raw_test)


@pytest.mark.parametrize("labels", [["cat", "dog", "émeu"], [3, 7, 11], [0.5, 1.5, 2.5]])
def test_original_labels_survive_with_their_type(tmp_path, labels):
    rng = np.random.default_rng(0)
    rows = [f"{rng.normal() + i},{rng.normal()},{labels[i % 3]}" for i in range(60)]
    csv = tmp_path / "d.csv"
    csv.write_text("a,b,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    trainer = train(small(DataConfig("csv", csv_params(csv, task="classification"))))
    save_model(tmp_path / "m.npz", trainer)
    model = load_model(tmp_path / "m.npz")
    assert model.class_labels == tuple(labels)
    assert all(type(a) is type(b) for a, b in zip(model.class_labels, labels))
    assert set(model.predict(trainer.split.dataset.X).tolist()) <= set(labels)
    proba = model.predict_proba(trainer.split.dataset.X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)


def test_binary_probabilities_have_two_columns(tmp_path):
    trainer = train(small(DataConfig("moons", {"n_samples": 80}), output_activation="sigmoid", loss_func="log_loss"))
    model = TrainedModel.from_network(trainer.config, trainer.network, trainer.split)
    X = trainer.split.dataset.X
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_array_equal(model.predict_indices(X), (proba[:, 1] > 0.5).astype(int))


def test_model_is_a_snapshot(tmp_path):
    trainer = train(small(DataConfig("iris")))
    model = TrainedModel.from_network(trainer.config, trainer.network, trainer.split)
    before = model.predict_output(trainer.split.dataset.X)
    trainer.network.flat[...] = 0.0  # training on would change the live network
    np.testing.assert_array_equal(model.predict_output(trainer.split.dataset.X), before)


def test_wrong_feature_count_is_explained(tmp_path):
    trainer = train(small(DataConfig("iris")))
    model = TrainedModel.from_network(trainer.config, trainer.network, trainer.split)
    with pytest.raises(ValueError, match="expected 4 features per row"):
        model.predict(np.zeros((2, 5)))


# -- model files: damaged, foreign and hostile files -----------------------------------------

@pytest.fixture(scope="module")
def model_bytes(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("model") / "m.npz"
    save_model(path, train(small(DataConfig("iris"))))
    return path.read_bytes()


def _npz(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _tampered(model_bytes: bytes, **replace) -> bytes:
    with np.load(io.BytesIO(model_bytes), allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    arrays.update(replace)
    return _npz(**arrays)


BAD_MODELS = {
    "empty": (lambda good: b"", "is empty"),
    "random bytes": (lambda good: np.random.default_rng(0).bytes(500), "not a NumPy .npz archive"),
    "text": (lambda good: b"epoch,loss\n1,0.5\n", "not a NumPy .npz archive"),
    "truncated": (lambda good: good[: len(good) // 2], "is truncated or damaged"),
    "truncated header": (lambda good: good[:40], "is truncated or damaged"),
    "npy": (lambda good: _npy(), "a single NumPy array"),
    "foreign npz": (lambda good: _npz(weights=np.ones(3), bias=np.zeros(2)), "not an nnstudio model file"),
    "newer version": (lambda good: _tampered(good, format_version=np.array(MODEL_FORMAT_VERSION + 1)),
                      "written by a newer nnstudio"),
    "wrong shape": (lambda good: _tampered(good, **{"param/output.W": np.zeros((2, 2), np.float32)}),
                    r"'param/output.W' has shape \(2, 2\)"),
    "bad config": (lambda good: _tampered(good, config=np.array('{"epochs": 0}')), "its config is not valid"),
    "missing entry": (lambda good: _without(good, "scaler_mean"), "the entry 'scaler_mean' is missing"),
}


def _npy() -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.arange(3))
    return buffer.getvalue()


def _without(model_bytes: bytes, key: str) -> bytes:
    with np.load(io.BytesIO(model_bytes), allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files if k != key}
    return _npz(**arrays)


@pytest.mark.parametrize("case", sorted(BAD_MODELS))
def test_bad_model_files_give_clear_errors(tmp_path, model_bytes, case):
    make, message = BAD_MODELS[case]
    path = tmp_path / "bad.npz"
    path.write_bytes(make(model_bytes))
    with pytest.raises(FileFormatError, match=message) as info:
        load_model(path)
    assert str(path) in str(info.value)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(FileFormatError, match="no such file"):
        load_model(tmp_path / "nope.npz")
    with pytest.raises(FileFormatError, match="is a folder"):
        load_model(tmp_path)


class _Payload:
    """Unpickling this would create the marker file."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


@pytest.mark.parametrize("key", ["nnstudio_format", "config", "param/output.W"])
def test_pickled_objects_are_never_loaded(tmp_path, model_bytes, key):
    marker = tmp_path / "code-ran"
    hostile = np.array([_Payload(marker)], dtype=object)
    path = tmp_path / "hostile.npz"
    path.write_bytes(_tampered(model_bytes, **{key: hostile}))
    with zipfile.ZipFile(path) as z:  # the archive really carries a pickle
        assert any(b"touch" in z.read(name) for name in z.namelist())
    with pytest.raises(FileFormatError, match="pickled Python objects"):
        load_model(path)
    assert not marker.exists()


def test_model_arrays_are_plain_data(model_bytes):
    with np.load(io.BytesIO(model_bytes), allow_pickle=False) as z:
        assert all(z[k].dtype != object for k in z.files)
        assert str(z["nnstudio_format"]) == "nnstudio-model"
        assert int(z["format_version"]) == MODEL_FORMAT_VERSION


def test_saving_over_a_model_is_atomic(tmp_path, model_bytes, monkeypatch):
    path = tmp_path / "m.npz"
    path.write_bytes(model_bytes)
    model = load_model(path)

    def crash(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(FileFormatError, match="disk full"):
        save_model(path, model)
    assert path.read_bytes() == model_bytes
    with np.load(path, allow_pickle=False) as z:
        assert sorted(model_arrays(model)) == sorted(z.files)


def test_atomic_writes_follow_the_umask_not_owner_only(tmp_path):
    import os
    import stat

    from nnstudio.files import atomic_write_text

    target = tmp_path / "shared.json"
    atomic_write_text(target, "{}")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
