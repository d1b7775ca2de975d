"""One test per error of the seed article's code (see the seed notes); each fails on the article's version.

The tuner's two errors (scoring trials on the test split, a clip value that may be 0) are the
tuning package's: tests/test_tuning.py checks that the objective never reads the test split
and never draws a zero threshold.  The engine's side of the second one is checked here.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import pytest

from nnstudio.config import ConfigError, DataConfig, ExperimentConfig, LayerConfig
from nnstudio.data import Dataset, Split, Standardizer, load_split
from nnstudio.engine import LOSSES, EarlyStopping, Network, Trainer, clip_gradients


@lru_cache(maxsize=None)
def _split(name: str) -> Split:
    return load_split(DataConfig(name=name))


def _output_gradient(output_activation: str, loss: str):
    """(a, y, dL/dz) for one sample through a network without hidden layers (dL/dz = grad of b)."""
    rng = np.random.default_rng(0)
    net = Network(3, [], 2, output_activation=output_activation, loss_func=loss, dtype="float64",
                  init_method="glorot_normal", rng=rng)
    x, y = rng.normal(size=(1, 3)), np.array([[1.0, 0.0]])
    _, grads = net.loss_and_gradients(x, y)
    return net.predict_output(x)[0], y[0], grads[1]


def test_mse_after_a_sigmoid_keeps_the_sigmoid_derivative():
    """Article: dz = a - y.  Right: dL/dz = 2 (a - y) a (1 - a) / k for the mean over k outputs."""
    a, y, dz = _output_gradient("sigmoid", "mse")
    np.testing.assert_allclose(dz, 2 * (a - y) * a * (1 - a) / len(a), rtol=1e-12)
    assert not np.allclose(dz, a - y, rtol=0.01)


def test_log_loss_uses_the_gradient_with_respect_to_z():
    """Article: dz = -(y/a - (1-y)/(1-a)), which is dL/da.  Right: dL/dz = (a - y) / k."""
    a, y, dz = _output_gradient("sigmoid", "log_loss")
    np.testing.assert_allclose(dz, (a - y) / len(a), rtol=1e-12)
    assert not np.allclose(dz, -(y / a - (1 - y) / (1 - a)) / len(a), rtol=0.01)


def test_deep_network_uses_the_configured_output_and_the_loss_gradient():
    """Article: every layer is a sigmoid and backward always starts from a - y.

    A linear output can leave (0, 1), and its gradient is the mse gradient, checked against
    central differences; a - y would be off by the factor 2 / k.
    """
    rng = np.random.default_rng(1)
    net = Network(4, [LayerConfig(6, "tanh"), LayerConfig(5, "relu")], 2, output_activation="linear",
                  loss_func="mse", dtype="float64", rng=rng)
    net.params[-1][...] = [3.0, -3.0]
    X, Y = rng.normal(size=(8, 4)), rng.normal(size=(8, 2))
    out = net.predict_output(X)
    assert out.max() > 1 and out.min() < 0
    _, grads = net.loss_and_gradients(X, Y)
    h, i = 1e-6, net.flat.size - 1  # the last output bias
    saved = net.flat[i]
    net.flat[i] = saved + h
    up = net.loss_and_gradients(X, Y)[0]
    net.flat[i] = saved - h
    down = net.loss_and_gradients(X, Y)[0]
    net.flat[i] = saved
    assert grads[-1][-1] == pytest.approx((up - down) / (2 * h), rel=1e-6)
    assert grads[-1][-1] != pytest.approx((out - Y)[:, -1].sum(), rel=0.01)


def test_categorical_crossentropy_sums_over_classes_and_survives_log_zero():
    """Article: -np.mean(y * log(p)), averaged over classes too, and inf when a true class has p = 0."""
    p = np.array([[0.5, 0.25, 0.25], [0.0, 1.0, 0.0]])
    y = np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    cce = LOSSES["categorical_crossentropy"]
    value = cce.value(p, y)
    assert math.isfinite(value)
    assert value == pytest.approx((-math.log(0.5) - math.log(np.finfo(float).eps)) / 2)
    finite = np.array([[0.5, 0.25, 0.25], [0.25, 0.5, 0.25]])
    assert cce.value(finite, y) == pytest.approx(-np.log(0.5 * 0.25) / 2)  # 3 times the article's


def test_he_uniform_limit_is_sqrt_of_6_over_fan_in():
    """Article: limit sqrt(2 / fan_in).  Right: sqrt(6 / fan_in), so that the variance is 2 / fan_in."""
    fan_in = 64
    net = Network(fan_in, [LayerConfig(2000, "relu")], 2, init_method="he_uniform", dtype="float64",
                  rng=np.random.default_rng(2))
    W = net.params[0]
    assert np.abs(W).max() == pytest.approx(math.sqrt(6 / fan_in), rel=1e-3)
    assert W.var() == pytest.approx(2 / fan_in, rel=0.02)


def test_dropout_is_inverted_in_training_and_absent_in_evaluation():
    """Article: kept units are not scaled in training, so evaluation sees larger activations."""
    rate = 0.5
    net = Network(1, [LayerConfig(1, "linear", dropout_rate=rate)], 1, output_activation="linear",
                  loss_func="mse", dtype="float64")
    net.set_params([np.ones((1, 1)), np.zeros(1), np.ones((1, 1)), np.zeros(1)])
    x = np.full((10000, 1), 1.0)
    train = net.forward(x, training=True, rng=np.random.default_rng(3))
    assert set(np.unique(train)) == {0.0, 1 / (1 - rate)}
    assert abs(train.mean() - 1.0) < 0.05
    np.testing.assert_array_equal(net.predict_output(x), x)


def test_early_stopping_restores_copies_of_every_parameter_not_references():
    """Article: best_weights held references to arrays training then changed in place, and no biases."""
    net = Network(3, [LayerConfig(4, "relu", batch_norm=True)], 2, rng=np.random.default_rng(4))
    rng = np.random.default_rng(5)
    net.set_params([rng.normal(size=p.shape) for p in net.params])
    net.set_buffers([rng.uniform(0.5, 2.0, size=b.shape) for b in net.get_buffers()])
    best_params, best_buffers = net.get_params(), net.get_buffers()
    es = EarlyStopping(patience=2)
    es.update(1, 0.5, net.state)
    net.flat *= 3.0          # training goes on, in place: weights, biases, gamma, beta
    net.buffers_flat += 1.0  # and the batch-norm statistics
    es.update(2, 0.9, net.state)
    assert es.restore(net)
    for name, before, after in zip(net.param_names, best_params, net.get_params()):
        np.testing.assert_array_equal(after, before, err_msg=name)
    for before, after in zip(best_buffers, net.get_buffers()):
        np.testing.assert_array_equal(after, before)
    assert any(name.endswith(".b") for name in net.param_names)


def test_gradient_norms_are_measured_on_gradients_not_weights():
    """Article: np.linalg.norm(weights).  Targets equal to the predictions give zero gradients,
    so the reported norms are zero although every weight matrix is not."""
    X = np.random.default_rng(6).normal(size=(30, 3))
    cfg = ExperimentConfig(data=DataConfig("custom"), layers=(LayerConfig(5, "tanh"),), output_activation="linear",
                           loss_func="mse", batch_size=0, epochs=1, dtype="float64", early_stopping=False)

    def split(y):
        ds = Dataset("custom", X, y, "regression", (), ("a", "b", "c"))
        return Split(ds, X, y, X, y, X, y, Standardizer.identity(3))

    y = Trainer(cfg, split(np.zeros(30))).network.predict_output(X)[:, 0]
    trainer = Trainer(cfg, split(y))
    (record,) = list(trainer.run())
    assert record.grad_norms == (0.0, 0.0)
    assert all(np.linalg.norm(layer.W) > 0 for layer in trainer.network.layers)


def test_clip_by_norm_is_per_tensor_and_global_norm_is_offered():
    """Article: only per-tensor clipping, called "by norm".  Both exist here, and they differ."""
    def grads():
        flat = np.array([6.0, 8.0, 0.0, 1.0])
        return flat, [flat[:2], flat[2:]]

    per_tensor, tensors = grads()
    clip_gradients("norm", per_tensor, tensors, 5.0)
    np.testing.assert_allclose(per_tensor, [3.0, 4.0, 0.0, 1.0])
    joint, tensors = grads()
    clip_gradients("global_norm", joint, tensors, 5.0)
    np.testing.assert_allclose(joint, np.array([6.0, 8.0, 0.0, 1.0]) * 5.0 / math.sqrt(101.0))


@pytest.mark.parametrize("threshold", [0.0, -0.5])
def test_clip_threshold_must_be_strictly_positive(threshold):
    """Article's tuner: clip_value could be drawn as 0.0, which zeroes every gradient."""
    with pytest.raises(ConfigError) as err:
        ExperimentConfig(clip_type="norm", grad_clip=threshold).validate()
    assert err.value.field == "grad_clip" and "> 0" in str(err.value)


def test_validation_loss_exists_from_the_first_record():
    """Article: the first Trainer logged val_loss before computing it."""
    cfg = ExperimentConfig(data=DataConfig("iris"), layers=(LayerConfig(8, "tanh"),), epochs=2, batch_size=16)
    records = list(Trainer(cfg, _split("iris"), histograms=False).run())
    assert records[0].epoch == 1
    assert all(math.isfinite(r.val_loss) and math.isfinite(r.train_loss) for r in records)


def _saturated_share(init_method: str) -> float:
    """Share of first-layer sigmoid activations within 0.05 of 0 or 1 after one epoch on digits."""
    cfg = ExperimentConfig(layers=(LayerConfig(64, "sigmoid"),), init_method=init_method, epochs=1,
                           optimizer="sgd", learning_rate=1e-3, early_stopping=False)
    (record,) = list(Trainer(cfg, _split("digits"), histograms=True).run())
    hist = record.layers[0].activations
    centres = (hist.edges[:-1] + hist.edges[1:]) / 2
    outer = (centres < 0.05) | (centres > 0.95)
    return hist.counts[outer].sum() / hist.counts.sum()


def test_random_init_saturation_is_visible_in_the_activation_histograms():
    """Standard-normal weights saturate sigmoids with 64 inputs; the records make that visible."""
    assert _saturated_share("random") > 0.5
    assert _saturated_share("glorot_uniform") < 0.1
