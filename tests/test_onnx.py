"""ONNX export: the exported graph, run by onnx.reference, predicts what the engine predicts."""

from __future__ import annotations

import json

import numpy as np
import onnx
import pytest
from onnx.reference import ReferenceEvaluator

from nnstudio.config import DataConfig, ExperimentConfig, LayerConfig
from nnstudio.data import Standardizer, load_split
from nnstudio.engine import ACTIVATIONS, Network, Trainer, hidden_activation_names
from nnstudio.files import load_model, save_model
from nnstudio.model import TrainedModel
from nnstudio.onnx_export import INPUT_NAME, ONNX_ACTIVATIONS, build_onnx, export_onnx

N_FEATURES = 5

# (output activation, loss, task, classes): every kind of head the engine builds
HEADS = {
    "softmax multi-class": ("softmax", "categorical_crossentropy", "classification", ("a", "b", "c")),
    "softmax two classes": ("softmax", "categorical_crossentropy", "classification", (0, 1)),
    "sigmoid binary": ("sigmoid", "log_loss", "classification", ("no", "yes")),
    "sigmoid mse multi-class": ("sigmoid", "mse", "classification", (1, 2, 3)),
    "regression": ("linear", "mse", "regression", ()),
}


def random_model(activation: str, batch_norm: bool, head: str, seed: int = 0) -> TrainedModel:
    """A model with random parameters, batch-norm statistics and scaler, so nothing is an identity."""
    out_act, loss, task, labels = HEADS[head]
    rng = np.random.default_rng(seed)
    layers = (LayerConfig(7, activation, 0.3, batch_norm), LayerConfig(4, activation, 0.0, batch_norm))
    cfg = ExperimentConfig(name="random", layers=layers, output_activation=out_act, loss_func=loss)
    n_out = 1 if task == "regression" or (len(labels) == 2 and out_act == "sigmoid") else len(labels)
    net = Network.from_config(cfg, N_FEATURES, n_out, rng)
    net.flat[...] = rng.normal(0, 0.7, net.flat.size)
    for layer in net.layers:
        if layer.batch_norm:
            layer.running_mean[...] = rng.normal(0, 0.5, layer.running_mean.size)
            layer.running_var[...] = rng.uniform(0.3, 3.0, layer.running_var.size)
    scaler = Standardizer(rng.normal(0, 3, N_FEATURES), rng.uniform(0.5, 4, N_FEATURES))
    names = tuple(f"f{i}" for i in range(N_FEATURES))
    return TrainedModel(cfg, net, scaler, task, labels, names, "y", 120.0 if task == "regression" else 0.0,
                        35.0 if task == "regression" else 1.0)


def run_onnx(proto: onnx.ModelProto, X: np.ndarray) -> dict[str, np.ndarray]:
    session = ReferenceEvaluator(proto)
    names = [o.name for o in proto.graph.output]
    return dict(zip(names, session.run(None, {INPUT_NAME: X.astype(np.float32)})))


def raw_inputs(model: TrainedModel, n: int = 64) -> np.ndarray:
    rng = np.random.default_rng(1)
    return model.scaler.mean + model.scaler.scale * rng.normal(size=(n, model.n_features))


def assert_matches(model: TrainedModel, X: np.ndarray) -> None:
    got = run_onnx(build_onnx(model), X)
    if model.classification:
        proba = model.predict_proba(X)
        np.testing.assert_allclose(got["probabilities"], proba, rtol=1e-4, atol=2e-6)
        assert got["class_index"].dtype == np.int64
        top2 = np.sort(proba, axis=1)[:, -2:]
        clear = top2[:, 1] - top2[:, 0] > 1e-4  # ignore rows where float rounding could flip a near tie
        assert clear.sum() > len(X) // 2
        np.testing.assert_array_equal(got["class_index"][clear], model.predict_indices(X)[clear])
    else:
        np.testing.assert_allclose(got["prediction"], model.predict(X), rtol=1e-5, atol=1e-3)
        assert got["prediction"].shape == (len(X),)


@pytest.mark.parametrize("batch_norm", [False, True], ids=["plain", "batch_norm"])
@pytest.mark.parametrize("activation", hidden_activation_names())
def test_every_hidden_activation_matches(activation, batch_norm):
    model = random_model(activation, batch_norm, "softmax multi-class")
    assert_matches(model, raw_inputs(model))


@pytest.mark.parametrize("head", sorted(HEADS))
def test_every_output_head_matches(head):
    model = random_model("tanh", True, head)
    assert_matches(model, raw_inputs(model))


def test_every_activation_is_exportable():
    assert set(ACTIVATIONS.names()) <= set(ONNX_ACTIVATIONS)


def test_trained_model_exported_from_a_file_matches(tmp_path):
    cfg = ExperimentConfig(name="iris run", data=DataConfig("iris"), epochs=15, batch_size=16,
                           layers=(LayerConfig(10, "elu", 0.1, True), LayerConfig(6, "leaky_relu")))
    trainer = Trainer(cfg, load_split(cfg.data), histograms=False)
    for _ in trainer.run():
        pass
    save_model(tmp_path / "m.npz", trainer)
    model = load_model(tmp_path / "m.npz")
    export_onnx(model, tmp_path / "m.onnx")
    proto = onnx.load(str(tmp_path / "m.onnx"))
    onnx.checker.check_model(proto, full_check=True)
    X = trainer.split.dataset.X
    got = run_onnx(proto, X)
    np.testing.assert_allclose(got["probabilities"], model.predict_proba(X), rtol=1e-4, atol=2e-6)
    labels = json.loads({p.key: p.value for p in proto.metadata_props}["class_labels"])
    assert np.array(labels)[got["class_index"]].tolist() == model.predict(X).tolist()
    assert proto.opset_import[0].version == 17
    ops = {node.op_type for node in proto.graph.node}
    assert {"Sub", "Div", "Gemm", "BatchNormalization", "Elu", "LeakyRelu", "Softmax", "ArgMax"} <= ops
    assert "Dropout" not in ops


def test_regression_metadata_and_units(tmp_path):
    model = random_model("relu", False, "regression")
    proto = export_onnx(model, tmp_path / "r.onnx")
    meta = {p.key: p.value for p in proto.metadata_props}
    assert meta["task"] == "regression" and meta["target_name"] == "y"
    assert json.loads(meta["feature_names"]) == list(model.feature_names)
    X = raw_inputs(model)
    standardized = model.predict_output(X)[:, 0]
    np.testing.assert_allclose(run_onnx(proto, X)["prediction"], standardized * 35.0 + 120.0, rtol=1e-5, atol=1e-3)
