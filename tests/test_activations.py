"""Activations: values against reference formulas, derivatives against finite differences."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from nnstudio.config import ConfigError, ExperimentConfig, LayerConfig
from nnstudio.engine import ACTIVATIONS, Network, hidden_activation_names, validate_config

# name -> reference forward, written as plainly as possible
REFERENCE = {
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "tanh": np.tanh,
    "relu": lambda z: np.where(z > 0, z, 0.0),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "elu": lambda z: np.where(z > 0, z, np.exp(z) - 1.0),
    "linear": lambda z: z,
    "softmax": lambda z: np.exp(z) / np.exp(z).sum(axis=1, keepdims=True),
}


def _z(seed=0, shape=(6, 5), scale=2.0):
    z = np.random.default_rng(seed).normal(0.0, scale, shape)
    z[np.abs(z) < 1e-3] = 0.5  # keep clear of the kinks at 0 for the finite differences
    return z


def test_every_registered_activation_has_a_reference():
    assert set(REFERENCE) == set(ACTIVATIONS.names())


@pytest.mark.parametrize("name", ACTIVATIONS.names())
def test_forward_matches_reference(name):
    z = _z()
    out = ACTIVATIONS[name].forward(z.copy(), np.empty_like(z))
    np.testing.assert_allclose(out, REFERENCE[name](z), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", ACTIVATIONS.names())
def test_forward_works_in_place(name):
    z = _z(1)
    buf = z.copy()
    out = ACTIVATIONS[name].forward(buf, buf)
    assert out is buf
    np.testing.assert_allclose(buf, REFERENCE[name](z), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", hidden_activation_names())
def test_derivative_from_the_output_matches_finite_differences(name):
    act, z, h = ACTIVATIONS[name], _z(2), 1e-6
    a = act.forward(z.copy(), np.empty_like(z))
    upstream = np.random.default_rng(3).normal(size=z.shape)
    grad = act.grad(a, upstream.copy())
    numeric = (REFERENCE[name](z + h) - REFERENCE[name](z - h)) / (2 * h) * upstream
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)


def test_softmax_vector_jacobian_product_matches_finite_differences():
    act, z, h = ACTIVATIONS["softmax"], _z(4, (3, 4)), 1e-6
    a = act.forward(z.copy(), np.empty_like(z))
    g = np.random.default_rng(5).normal(size=z.shape)
    vjp = act.grad(a, g.copy())
    numeric = np.zeros_like(z)
    for i, j in np.ndindex(z.shape):
        e = np.zeros_like(z)
        e[i, j] = h
        numeric[i, j] = ((REFERENCE["softmax"](z + e) - REFERENCE["softmax"](z - e)) * g).sum() / (2 * h)
    np.testing.assert_allclose(vjp, numeric, rtol=1e-6, atol=1e-10)


@pytest.mark.parametrize("name", ACTIVATIONS.names())
def test_extreme_inputs_stay_finite_without_warnings(name):
    """Sigmoid and softmax of ±1000 must not overflow (the article's 1 / (1 + exp(-z)) warns)."""
    z = np.array([[-1000.0, -30.0, 0.0, 30.0, 1000.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = ACTIVATIONS[name].forward(z.copy(), np.empty_like(z))
    if name in ("sigmoid", "tanh", "softmax"):
        assert np.all(np.isfinite(out))
    if name == "sigmoid":
        assert out[0, 0] == 0.0 and out[0, -1] == 1.0
    if name == "softmax":
        assert out.sum() == pytest.approx(1.0) and out[0, -1] == pytest.approx(1.0)


def test_softmax_rows_are_distributions():
    a = ACTIVATIONS["softmax"].forward(_z(6, (50, 10), 20.0), np.empty((50, 10)))
    assert np.all(a >= 0)
    np.testing.assert_allclose(a.sum(axis=1), 1.0, rtol=1e-12)


@pytest.mark.parametrize("name", ACTIVATIONS.names())
def test_float32_stays_float32(name):
    act = ACTIVATIONS[name]
    z = _z(7).astype(np.float32)
    a = act.forward(z.copy(), np.empty_like(z))
    assert a.dtype == np.float32
    assert act.grad(a, np.ones_like(a)).dtype == np.float32


@pytest.mark.parametrize("name", ACTIVATIONS.names())
def test_every_activation_explains_its_formula(name):
    assert ACTIVATIONS[name].formula


def test_softmax_is_for_the_output_layer_only():
    assert "softmax" not in hidden_activation_names()
    with pytest.raises(ValueError, match="output layer"):
        Network(4, [LayerConfig(3, "softmax")], 2)
    with pytest.raises(ConfigError) as err:
        validate_config(ExperimentConfig(layers=(LayerConfig(8, "softmax"),)))
    message = str(err.value)
    assert "layers[0].activation" in message and "'softmax'" in message
    assert all(name in message for name in hidden_activation_names())


@pytest.mark.parametrize("name", hidden_activation_names())
def test_network_hidden_layers_use_the_configured_activation(name):
    """The article made every layer a sigmoid whatever was asked; here the config decides.

    A single hidden unit with weight 1 and a linear output with weight 1 shows the hidden
    activation itself.
    """
    net = Network(1, [LayerConfig(1, name)], 1, output_activation="linear", loss_func="mse", dtype="float64")
    net.set_params([np.ones((1, 1)), np.zeros(1), np.ones((1, 1)), np.zeros(1)])
    x = np.linspace(-3, 3, 13)[:, None]
    np.testing.assert_allclose(net.predict_output(x), REFERENCE[name](x), rtol=1e-12, atol=1e-15)
