"""The engine's fast paths compute what the plain formulas compute."""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.config import LayerConfig
from nnstudio.engine import ACTIVATIONS, Network, make_optimizer
from nnstudio.engine.activations import forward_for
from nnstudio.engine.batchnorm import fold as fold_batch_norm
from nnstudio.engine.kernels import all_finite, keep_threshold, random_words


def _bn_network(dtype="float64", seed=0) -> Network:
    layers = (LayerConfig(7, "tanh", batch_norm=True), LayerConfig(5, "relu", batch_norm=True))
    net = Network(4, layers, 3, rng=np.random.default_rng(seed), dtype=dtype)
    rng = np.random.default_rng(seed + 1)
    for layer in net.layers[:-1]:  # running statistics and affine parameters away from their defaults
        layer.running_mean[...] = rng.normal(size=layer.units)
        layer.running_var[...] = rng.uniform(0.2, 3.0, size=layer.units)
        layer.gamma[...] = rng.uniform(0.5, 2.0, size=layer.units)
        layer.beta[...] = rng.normal(size=layer.units)
    return net


def test_folded_batch_norm_is_the_evaluation_formula():
    net = _bn_network()
    layer = net.layers[0]
    x = np.random.default_rng(2).normal(size=(9, 4))
    z = x @ layer.W + layer.b
    expected = layer.gamma * (z - layer.running_mean) / np.sqrt(layer.running_var + 1e-5) + layer.beta
    np.testing.assert_allclose(fold_batch_norm(x, layer, np.empty((9, 7))), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("rows", [1, 5, 300])
def test_predictions_with_folded_batch_norm_match_the_unfolded_evaluation_pass(rows):
    net = _bn_network()
    X = np.random.default_rng(3).normal(size=(rows, 4))
    np.testing.assert_allclose(net.predict_output(X), net.forward(X, training=False), rtol=1e-12, atol=1e-14)


def test_folding_leaves_the_parameters_and_statistics_alone():
    net = _bn_network()
    state = net.state()
    net.predict_output(np.ones((6, 4)))
    assert all(np.array_equal(a, b) for a, b in zip(state, net.state()))


def test_gradient_is_the_flat_gradient_itself_and_matches_loss_and_gradients():
    layers = (LayerConfig(6, "relu", dropout_rate=0.3), LayerConfig(5, "tanh", batch_norm=True))
    net = Network(4, layers, 3, rng=np.random.default_rng(0), dtype="float64")
    rng = np.random.default_rng(5)
    X, Y = rng.normal(size=(8, 4)), np.eye(3)[rng.integers(0, 3, 8)]
    _, copies = net.loss_and_gradients(X, Y, rng=np.random.default_rng(9))
    grad = net.gradient(X, Y, rng=np.random.default_rng(9))
    assert grad is net.flat_grad
    np.testing.assert_array_equal(grad, np.concatenate([g.reshape(-1) for g in copies]))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_single_row_passes_match_the_same_row_inside_a_batch(dtype):
    """Batch size 1 takes np.dot; its gradient is the batch-of-two gradient of two equal rows."""
    net = Network(3, (LayerConfig(8, "relu"), LayerConfig(4, "sigmoid")), 2, rng=np.random.default_rng(1), dtype=dtype)
    x, y = np.array([[0.3, -1.2, 0.7]]), np.array([[0.0, 1.0]])
    one = net.gradient(x, y).copy()
    two = net.gradient(np.repeat(x, 2, axis=0), np.repeat(y, 2, axis=0))
    np.testing.assert_allclose(one, two, rtol=1e-5 if dtype == "float32" else 1e-12, atol=1e-7)
    np.testing.assert_allclose(net.predict_output(x), net.predict_output(np.repeat(x, 2, axis=0))[:1], rtol=1e-6)


def test_dropout_words_keep_units_at_the_configured_rate():
    rng = np.random.default_rng(4)
    for keep in (0.5, 0.8, 0.95):
        kept = np.mean(random_words(rng, (400, 500)) < keep_threshold(keep))
        assert kept == pytest.approx(keep, abs=4 * np.sqrt(keep * (1 - keep) / 200_000))


def test_random_words_are_uniform_over_32_bits_for_odd_sizes():
    words = random_words(np.random.default_rng(6), (333, 3))
    assert words.dtype == np.uint32 and words.shape == (333, 3)
    counts = np.bincount(words.reshape(-1) >> np.uint32(29), minlength=8)  # top three bits
    assert counts.min() > 999 / 8 * 0.6 and counts.max() < 999 / 8 * 1.4


def test_dropout_masks_scale_kept_units_by_the_inverse_keep_rate():
    net = Network(5, (LayerConfig(300, "linear", dropout_rate=0.25),), 2, rng=np.random.default_rng(0),
                  dtype="float64")
    net.forward(np.ones((50, 5)), training=True, rng=np.random.default_rng(1))
    mask = net.layers[0].mask
    assert set(np.unique(mask)) == {0.0, 1.0 / 0.75}
    assert np.mean(mask > 0) == pytest.approx(0.75, abs=0.01)


def test_rmsprop_reports_the_running_mean_of_squares():
    opt = make_optimizer("rmsprop", 3, np.float64, rho=0.7)
    grads = [np.array([0.1, -0.2, 0.3]), np.array([0.4, 0.0, -1.0])]
    params, expected = np.zeros(3), np.zeros(3)
    for g in grads:
        opt.step(params, g.copy(), 0.1)
        expected = 0.7 * expected + 0.3 * g * g
    np.testing.assert_allclose(opt.square, expected, rtol=1e-14)


@pytest.mark.parametrize("name", ["sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw"])
def test_consuming_the_gradient_gives_the_same_steps(name):
    rng = np.random.default_rng(8)
    size = 1000
    mask = (np.arange(size) % 3 != 0).astype(np.float32)
    plain, consuming = (make_optimizer(name, size, np.float32, decay_mask=mask) if name == "adamw"
                        else make_optimizer(name, size, np.float32) for _ in range(2))
    a = rng.normal(size=size).astype(np.float32)
    b = a.copy()
    for _ in range(4):
        g = rng.normal(size=size).astype(np.float32)
        kept = g.copy()
        plain.step(a, g, 0.01)
        assert np.array_equal(g, kept)  # a plain step leaves the gradient alone
        consuming.step(b, g.copy(), 0.01, consume=True)
    np.testing.assert_array_equal(a, b)


def test_batch_norm_bias_gets_no_gradient_in_training_and_the_running_mean_still_sees_it():
    """The batch mean cancels the dense bias exactly, so its gradient is 0 (not rounding noise
    that Adam would turn into steps), while the running mean tracks the mean of x W + b."""
    net = _bn_network()
    layer = net.layers[0]
    layer.b[...] = np.linspace(-2.0, 3.0, layer.units)
    rng = np.random.default_rng(4)
    X, Y = rng.normal(size=(9, 4)), np.eye(3)[rng.integers(0, 3, 9)]
    mean0, var0 = layer.running_mean.copy(), layer.running_var.copy()
    grad = net.gradient(X, Y, rng=np.random.default_rng(0))
    for bn in net.layers[:-1]:
        assert not bn.gb.any()
    assert net.layers[-1].gb.any()  # the output layer's bias is not normalized away
    z = X @ layer.W + layer.b
    np.testing.assert_allclose(layer.running_mean, 0.9 * mean0 + 0.1 * z.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(layer.running_var, 0.9 * var0 + 0.1 * z.var(axis=0), rtol=1e-12)
    assert grad is net.flat_grad


@pytest.mark.parametrize("rows, units", [(64, 64), (7, 3), (1, 5)])
def test_dropout_masks_are_the_words_random_words_draws(rows, units):
    """The training pass compares the generator's raw words in place; the units it keeps are
    exactly those random_words (the reference helper) puts below the threshold, odd sizes too."""
    rate = 0.3
    net = Network(4, (LayerConfig(units, "linear", dropout_rate=rate),), 2, rng=np.random.default_rng(0),
                  dtype="float64")
    net.forward(np.ones((rows, 4)), training=True, rng=np.random.Generator(np.random.SFC64(9)))
    expected = random_words(np.random.Generator(np.random.SFC64(9)), (rows, units)) < keep_threshold(1 - rate)
    mask = net.layers[0].mask
    np.testing.assert_array_equal(mask > 0, expected)
    assert np.all(mask[expected] == 1 / (1 - rate))
    np.testing.assert_array_equal(net.layers[1].x, net.layers[0].a * mask)  # the next layer sees the inverted dropout


@pytest.mark.parametrize("shape", [(6, 5), (300, 4)])  # softmax's row max: a reduction, column maxima
@pytest.mark.parametrize("name", sorted(ACTIVATIONS.names()))
def test_a_forward_bound_to_a_shape_computes_the_activation(name, shape):
    rng = np.random.default_rng(2)
    z = rng.standard_normal(shape).astype(np.float32)
    z[0, :3] = (-0.0, 0.0, np.nan)
    bound = forward_for(ACTIVATIONS[name], z.shape, z.dtype)
    np.testing.assert_array_equal(bound(z, np.empty_like(z)), ACTIVATIONS[name].forward(z, np.empty_like(z)))


def test_a_relu_layers_dropout_mask_carries_its_derivative_and_the_gradient_is_the_plain_formula():
    """Relu with dropout: the backward pass applies one factor, the dropout mask times relu's
    derivative; the gradient equals the textbook chain (mask, then relu's derivative), and
    ``layer.mask`` is still the dropout mask alone (it drops about the configured share)."""
    rate, rows = 0.25, 400
    net = Network(6, (LayerConfig(40, "relu", dropout_rate=rate),), 3, rng=np.random.default_rng(5), dtype="float64")
    rng = np.random.default_rng(7)
    X, Y = rng.standard_normal((rows, 6)), np.eye(3)[rng.integers(0, 3, rows)]
    net.gradient(X, Y, np.random.Generator(np.random.SFC64(11)))
    hidden, out = net.layers
    mask, a = hidden.mask, hidden.a
    assert set(np.unique(mask)) == {0.0, 1 / (1 - rate)}
    assert np.mean(mask == 0) == pytest.approx(rate, abs=0.02)  # relu's zeros are not in it
    assert np.mean((a > 0) & (mask > 0)) < np.mean(mask > 0) - 0.1  # while relu zeroes many kept units
    dropped = a * mask
    z = dropped @ out.W + out.b
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    dz = (p - Y) / rows
    dz1 = (dz @ out.W.T) * mask * (a > 0)
    np.testing.assert_allclose(out.gW, dropped.T @ dz, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(hidden.gW, X.T @ dz1, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(hidden.gb, dz1.sum(axis=0), rtol=1e-12, atol=1e-15)
    net.forward(X)  # an evaluation pass drops nothing: no mask
    assert hidden.mask is None


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_all_finite_agrees_with_the_entrywise_check(dtype):
    rng = np.random.default_rng(3)
    huge = np.finfo(dtype).max / 4  # finite, but its square overflows: the sum of squares is inf
    cases = [rng.normal(size=337), np.zeros(0), np.array([huge, -huge]), np.array([1.0, np.nan]),
             np.array([np.inf, 0.0]), np.array([-np.inf]), np.full(5, np.finfo(dtype).tiny)]
    for values in cases:
        values = values.astype(dtype)
        with np.errstate(over="ignore"):  # as the trainer calls it
            finite = all_finite(values)
        assert finite is bool(np.isfinite(values).all()), values


def test_a_parameter_turned_nan_ends_the_run_with_that_reason():
    from nnstudio.config import ExperimentConfig
    from nnstudio.data import load_split
    from nnstudio.engine import Trainer

    config = ExperimentConfig(layers=(LayerConfig(8, "relu"),), epochs=5, early_stopping=False)
    trainer = Trainer(config, load_split(config.data))
    epochs = trainer.run()
    first = next(epochs)
    trainer.network.flat[0] = np.nan  # a weight of the first layer
    later = list(epochs)
    assert first.epoch == 1 and later == []
    assert "a parameter became NaN or infinite" in trainer.summary.message
