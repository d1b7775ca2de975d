"""Losses: values by hand, gradients against finite differences, and the fused output gradients."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from nnstudio.engine import ACTIVATIONS, FUSED_OUTPUT_GRADIENTS, LOSSES, Network

P = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1]])
Y = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])

# name -> value for (P, Y) above, computed by hand
BY_HAND = {
    "mse": ((0.3 ** 2 + 0.2 ** 2 + 0.1 ** 2) + (0.1 ** 2 + 0.2 ** 2 + 0.1 ** 2)) / 6,
    # row 1: log 0.7 + log(1 - 0.2) + log(1 - 0.1); row 2: log(1 - 0.1) + log 0.8 + log(1 - 0.1)
    "log_loss": -(math.log(0.7) + 2 * math.log(0.8) + 3 * math.log(0.9)) / 6,
    "categorical_crossentropy": -(math.log(0.7) + math.log(0.8)) / 2,
}


def test_every_registered_loss_has_a_value_by_hand():
    assert set(BY_HAND) == set(LOSSES.names())


@pytest.mark.parametrize("name", LOSSES.names())
def test_value_matches_hand_computation(name):
    assert LOSSES[name].value(P, Y) == pytest.approx(BY_HAND[name], rel=1e-12)


def test_categorical_crossentropy_sums_over_classes_and_averages_over_samples():
    """The article's -mean(y log p) also divides by the number of classes: k times too small."""
    k = P.shape[1]
    value = LOSSES["categorical_crossentropy"].value(P, Y)
    assert value == pytest.approx(-np.sum(Y * np.log(P)) / len(P))
    assert value == pytest.approx(k * -np.mean(Y * np.log(P)))
    # one more class with zero probability and zero target changes nothing
    P4, Y4 = np.c_[P, np.zeros(2)], np.c_[Y, np.zeros(2)]
    assert LOSSES["categorical_crossentropy"].value(P4, Y4) == pytest.approx(value)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["categorical_crossentropy", "log_loss"])
def test_log_losses_are_finite_at_zero_and_one(name, dtype):
    """A confident wrong answer gives a large, finite loss and gradient, not inf or a warning."""
    p = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]], dtype=dtype)
    y = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = LOSSES[name].value(p, y)
        grad = LOSSES[name].grad(p, y)
    assert math.isfinite(value) and value > 10
    assert np.all(np.isfinite(grad))
    # clipped at the dtype's epsilon
    eps = np.finfo(dtype).eps
    if name == "categorical_crossentropy":
        assert value == pytest.approx(-math.log(eps), rel=1e-5)


@pytest.mark.parametrize("name", LOSSES.names())
def test_gradient_with_respect_to_the_output_matches_finite_differences(name):
    rng = np.random.default_rng(0)
    p = rng.uniform(0.05, 0.95, (4, 3))
    y = (rng.uniform(size=(4, 3)) > 0.5).astype(float)
    h = 1e-7
    numeric = np.zeros_like(p)
    for idx in np.ndindex(p.shape):
        e = np.zeros_like(p)
        e[idx] = h
        numeric[idx] = (LOSSES[name].value(p + e, y) - LOSSES[name].value(p - e, y)) / (2 * h)
    np.testing.assert_allclose(LOSSES[name].grad(p, y), numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("pair", sorted(FUSED_OUTPUT_GRADIENTS))
def test_fused_output_gradient_equals_the_chain_rule(pair):
    """sigmoid + log_loss and softmax + cross-entropy collapse to (p - y) / n (and / k for log loss)."""
    act_name, loss_name = pair
    rng = np.random.default_rng(1)
    z = rng.normal(size=(5, 3))
    p = ACTIVATIONS[act_name].forward(z, np.empty_like(z))
    y = np.eye(3)[rng.integers(0, 3, 5)]
    fused = FUSED_OUTPUT_GRADIENTS[pair](p, y, np.empty_like(p))
    chained = ACTIVATIONS[act_name].grad(p, LOSSES[loss_name].grad(p, y))
    np.testing.assert_allclose(fused, chained, rtol=1e-10, atol=1e-14)
    denominator = p.size if loss_name == "log_loss" else len(p)
    np.testing.assert_allclose(fused, (p - y) / denominator, rtol=1e-12)


def _output_layer_gradient(output_activation, loss, p_target_seed=0):
    """dL/dz of a network with no hidden layer, read from the output bias gradient per sample.

    With one sample per batch, ``grad(b) = dL/dz`` for that sample.
    """
    rng = np.random.default_rng(p_target_seed)
    net = Network(3, [], 2, output_activation=output_activation, loss_func=loss, dtype="float64",
                  init_method="glorot_normal", rng=rng)
    x = rng.normal(size=(1, 3))
    y = np.array([[1.0, 0.0]])
    _, grads = net.loss_and_gradients(x, y)
    return net.predict_output(x), y, grads[1]


def test_sigmoid_mse_output_gradient_includes_the_sigmoid_derivative():
    """dL/dz = 2 (a - y) a (1 - a) / k; the article used a - y."""
    a, y, dz = _output_layer_gradient("sigmoid", "mse")
    expected = 2 * (a - y) * a * (1 - a) / a.size
    np.testing.assert_allclose(dz, expected[0], rtol=1e-12)
    assert not np.allclose(dz, (a - y)[0])
    assert not np.allclose(dz, ((a - y) / a.size)[0])


def test_sigmoid_log_loss_output_gradient_is_a_minus_y():
    """dL/dz = (a - y) / k; the article used dL/da = -(y/a - (1-y)/(1-a))."""
    a, y, dz = _output_layer_gradient("sigmoid", "log_loss")
    np.testing.assert_allclose(dz, ((a - y) / a.size)[0], rtol=1e-12)
    article = -(y / a - (1 - y) / (1 - a))
    assert not np.allclose(dz, article[0]) and not np.allclose(dz, (article / a.size)[0])


def test_softmax_crossentropy_output_gradient_is_a_minus_y():
    a, y, dz = _output_layer_gradient("softmax", "categorical_crossentropy")
    np.testing.assert_allclose(dz, (a - y)[0], rtol=1e-12)


@pytest.mark.parametrize("name", LOSSES.names())
def test_float32_in_float32_out(name):
    p = P.astype(np.float32)
    y = Y.astype(np.float32)
    assert isinstance(LOSSES[name].value(p, y), float)
    assert LOSSES[name].grad(p, y).dtype == np.float32


@pytest.mark.parametrize("name", LOSSES.names())
def test_every_loss_explains_its_formula(name):
    assert LOSSES[name].formula
