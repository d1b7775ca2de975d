"""Inverted dropout and batch normalization: training versus evaluation behaviour."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnstudio.config import LayerConfig
from nnstudio.engine import Network


def _identity_chain(rate: float, units: int = 1) -> Network:
    """x -> hidden linear (W = I, dropout) -> linear output (W = I): the output shows the mask."""
    net = Network(units, [LayerConfig(units, "linear", dropout_rate=rate)], units, output_activation="linear",
                  loss_func="mse", dtype="float64")
    net.set_params([np.eye(units), np.zeros(units), np.eye(units), np.zeros(units)])
    return net


@pytest.mark.parametrize("rate", [0.2, 0.5, 0.8])
def test_kept_units_are_scaled_by_one_over_keep_probability(rate):
    net = _identity_chain(rate)
    x = np.full((20000, 1), 2.0)
    out = net.forward(x, training=True, rng=np.random.default_rng(0))[:, 0]
    kept = out != 0
    np.testing.assert_allclose(out[kept], 2.0 / (1 - rate), rtol=1e-12)
    # the dropped fraction is the rate (binomial standard error); dropping the output too would add to it
    n = len(out)
    assert abs((~kept).mean() - rate) < 6 * math.sqrt(rate * (1 - rate) / n)


def test_inverted_dropout_keeps_the_expected_activation():
    """The mean output over many masks equals the evaluation output (the article's differ by 1 - p)."""
    rate = 0.5
    net = Network(5, [LayerConfig(64, "relu", dropout_rate=rate)], 1, output_activation="linear",
                  loss_func="mse", dtype="float64", rng=np.random.default_rng(1))
    x = np.random.default_rng(2).normal(size=(1, 5))
    evaluation = net.predict_output(x)[0, 0]
    samples = net.forward(np.repeat(x, 40000, axis=0), training=True, rng=np.random.default_rng(3))[:, 0]
    standard_error = samples.std() / math.sqrt(len(samples))
    assert abs(samples.mean() - evaluation) < 6 * standard_error
    # the gap a non-inverted dropout would leave is far outside that band
    output_bias = net.params[3][0]
    assert abs((1 - rate) * (evaluation - output_bias) + output_bias - evaluation) > 20 * standard_error


def test_evaluation_has_no_dropout_and_no_rescaling():
    rate = 0.5
    net = Network(3, [LayerConfig(8, "tanh", dropout_rate=rate)], 2, output_activation="linear",
                  loss_func="mse", dtype="float64", rng=np.random.default_rng(4))
    x = np.random.default_rng(5).normal(size=(6, 3))
    W1, b1, W2, b2 = net.get_params()
    expected = np.tanh(x @ W1 + b1) @ W2 + b2
    np.testing.assert_allclose(net.predict_output(x), expected, rtol=1e-12)
    np.testing.assert_allclose(net.forward(x, training=False), expected, rtol=1e-12)


def test_inputs_are_never_dropped():
    """Dropout acts on hidden layers only: a net whose only dropout is 0 trains on its whole input."""
    net = Network(4, [LayerConfig(6, "relu", dropout_rate=0.0)], 2, dtype="float64", rng=np.random.default_rng(6))
    x = np.random.default_rng(7).normal(size=(5, 4))
    np.testing.assert_array_equal(net.forward(x, training=True, rng=np.random.default_rng(8)),
                                  net.predict_output(x))


def test_training_with_dropout_needs_a_generator():
    net = _identity_chain(0.5)
    with pytest.raises(ValueError, match="rng"):
        net.forward(np.ones((3, 1)), training=True)


def test_dropout_backward_uses_the_forward_mask():
    """Dropped units pass no gradient to their incoming weights."""
    net = _identity_chain(0.5, units=4)
    x = np.ones((1, 4))
    _, grads = net.loss_and_gradients(x, np.full((1, 4), 3.0), rng=np.random.default_rng(9))
    out = net.forward(x, training=True, rng=np.random.default_rng(9))[0]
    dropped = out == 0
    assert dropped.any() and not dropped.all()
    gW1 = grads[0]
    assert not gW1[:, dropped].any()
    assert np.all(gW1[:, ~dropped] != 0)


def _bn_chain(units=3, dtype="float64") -> Network:
    """x -> Dense(W = I) -> BatchNorm -> linear -> output (W = I): the output is the normalized layer."""
    net = Network(units, [LayerConfig(units, "linear", batch_norm=True)], units, output_activation="linear",
                  loss_func="mse", dtype=dtype)
    net.set_params([np.eye(units), np.zeros(units), np.ones(units), np.zeros(units), np.eye(units), np.zeros(units)])
    return net


def test_batch_norm_training_normalizes_with_batch_statistics():
    net = _bn_chain()
    x = np.random.default_rng(0).normal([5.0, -2.0, 0.0], [3.0, 0.1, 1.0], size=(200, 3))
    out = net.forward(x, training=True)
    np.testing.assert_allclose(out.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=0), x.var(axis=0) / (x.var(axis=0) + 1e-5), rtol=1e-12)


def test_batch_norm_gamma_and_beta_scale_and_shift():
    net = _bn_chain()
    gamma, beta = np.array([2.0, 0.5, 1.0]), np.array([1.0, -1.0, 3.0])
    net.params[2][...] = gamma
    net.params[3][...] = beta
    out = net.forward(np.random.default_rng(1).normal(size=(500, 3)), training=True)
    np.testing.assert_allclose(out.mean(axis=0), beta, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=0), gamma, rtol=1e-4)


def test_batch_norm_running_statistics_follow_the_batches_and_drive_evaluation():
    net = _bn_chain()
    x = np.random.default_rng(2).normal([5.0, -2.0, 0.0], [3.0, 0.1, 1.0], size=(100, 3))
    # before training: running mean 0 and variance 1, so evaluation barely changes the input
    np.testing.assert_allclose(net.predict_output(x), x / np.sqrt(1 + 1e-5), rtol=1e-12)
    first = net.forward(x, training=True).copy()
    mean, var = net.get_buffers()
    np.testing.assert_allclose(mean, 0.1 * x.mean(axis=0), rtol=1e-12)  # momentum 0.9 from 0
    np.testing.assert_allclose(var, 0.9 + 0.1 * x.var(axis=0), rtol=1e-12)
    for _ in range(300):
        net.forward(x, training=True)
    mean, var = net.get_buffers()
    np.testing.assert_allclose(mean, x.mean(axis=0), rtol=1e-9)
    np.testing.assert_allclose(var, x.var(axis=0), rtol=1e-9)
    # evaluation uses the running statistics, which now equal this batch's: same output
    np.testing.assert_allclose(net.predict_output(x), first, rtol=1e-9, atol=1e-12)
    # and one row alone is normalized with them, not with its own (zero-variance) statistics
    np.testing.assert_allclose(net.predict_output(x[:1]), first[:1], rtol=1e-9, atol=1e-12)


def test_evaluation_does_not_change_running_statistics():
    net = _bn_chain()
    x = np.random.default_rng(3).normal(size=(50, 3))
    net.forward(x, training=True)
    before = net.get_buffers()
    net.predict_output(x * 10 + 4)
    for a, b in zip(before, net.get_buffers()):
        np.testing.assert_array_equal(a, b)


def test_buffers_round_trip_and_are_copies():
    net = _bn_chain()
    net.forward(np.random.default_rng(4).normal(size=(20, 3)), training=True)
    saved = net.get_buffers()
    saved_state = net.state()
    net.forward(np.random.default_rng(5).normal(3.0, 2.0, size=(20, 3)), training=True)
    assert not np.array_equal(saved[0], net.get_buffers()[0])  # the copies did not follow
    net.set_buffers(saved)
    for a, b in zip(saved, net.get_buffers()):
        np.testing.assert_array_equal(a, b)
    net.forward(np.ones((4, 3)), training=True)
    net.load_state(saved_state)
    np.testing.assert_array_equal(net.buffers_flat, saved_state[1])
    with pytest.raises(ValueError, match="expected 2"):
        net.set_buffers(saved[:1])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_batch_norm_keeps_the_network_dtype(dtype):
    net = _bn_chain(dtype=dtype)
    out = net.forward(np.random.default_rng(6).normal(size=(8, 3)).astype(dtype), training=True)
    assert out.dtype == np.dtype(dtype)
    assert all(b.dtype == np.dtype(dtype) for b in net.get_buffers())
