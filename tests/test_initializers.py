"""Initializers against their formulas: mean, variance and (for uniform draws) the limit.

Tolerances come from the sample size: a statistic is accepted within ``Z`` standard errors,
which for these draws fails by chance far less than once in a million runs.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnstudio.config import LayerConfig
from nnstudio.engine import INITIALIZERS, Network, variance_scaling

Z = 6.0  # standard errors allowed
FAN_IN, FAN_OUT = 48, 4000  # unequal fans tell fan_in, fan_out and their mean apart
N = FAN_IN * FAN_OUT

# name -> (distribution, variance as a function of the fans); what every entry must satisfy
EXPECTED = {
    "zeros": ("constant", lambda fi, fo: 0.0),
    "random": ("normal", lambda fi, fo: 1.0),
    "glorot_uniform": ("uniform", lambda fi, fo: 2.0 / (fi + fo)),
    "glorot_normal": ("normal", lambda fi, fo: 2.0 / (fi + fo)),
    "he_uniform": ("uniform", lambda fi, fo: 2.0 / fi),
    "he_normal": ("normal", lambda fi, fo: 2.0 / fi),
    "lecun_uniform": ("uniform", lambda fi, fo: 1.0 / fi),
    "lecun_normal": ("normal", lambda fi, fo: 1.0 / fi),
}


def _draw(name: str, seed: int = 0, fan_in: int = FAN_IN, fan_out: int = FAN_OUT, dtype=np.float64):
    return INITIALIZERS[name].draw(fan_in, fan_out, np.random.default_rng(seed), dtype)


def test_every_registered_initializer_has_a_formula_under_test():
    assert set(EXPECTED) == set(INITIALIZERS.names())


@pytest.mark.parametrize("name", INITIALIZERS.names())
def test_statistics_match_the_formula(name):
    distribution, variance_of = EXPECTED[name]
    w = _draw(name)
    assert w.shape == (FAN_IN, FAN_OUT)
    var = variance_of(FAN_IN, FAN_OUT)
    if distribution == "constant":
        assert not w.any()
        return
    std = math.sqrt(var)
    assert abs(w.mean()) < Z * std / math.sqrt(N)
    # standard error of the sample variance: sqrt((mu4 - var^2) / N); mu4 = 3 var^2 (normal), 9/5 var^2 (uniform)
    kurtosis = 3.0 if distribution == "normal" else 9.0 / 5.0
    assert abs(w.var() - var) < Z * var * math.sqrt((kurtosis - 1.0) / N)
    if distribution == "uniform":
        limit = math.sqrt(3.0 * var)
        assert np.abs(w).max() <= limit
        # P(max |w| < limit (1 - d)) = (1 - d)^N, negligible for d = 30 / N
        assert np.abs(w).max() > limit * (1.0 - 30.0 / N)
    else:
        # a normal draw this large reaches past 4 std; a uniform of the same variance stops at 1.73 std
        assert np.abs(w).max() > 4.0 * std
        within_one_std = np.mean(np.abs(w) < std)
        assert abs(within_one_std - 0.6827) < Z * math.sqrt(0.6827 * 0.3173 / N)


def test_he_uniform_limit_is_sqrt_6_over_fan_in():
    """The article used sqrt(2 / fan_in), which gives variance 2 / (3 fan_in) instead of 2 / fan_in."""
    fan_in = 50
    w = _draw("he_uniform", fan_in=fan_in, fan_out=4000)
    limit = math.sqrt(6.0 / fan_in)
    assert limit * 0.999 < np.abs(w).max() <= limit
    assert np.abs(w).max() > 1.5 * math.sqrt(2.0 / fan_in)


@pytest.mark.parametrize("mode,fan", [("fan_in", FAN_IN), ("fan_out", FAN_OUT), ("fan_avg", (FAN_IN + FAN_OUT) / 2)])
@pytest.mark.parametrize("distribution", ["normal", "uniform"])
def test_variance_scaling_divides_scale_by_the_chosen_fan(mode, fan, distribution):
    scale = 3.0
    w = variance_scaling(scale, mode, distribution)(FAN_IN, FAN_OUT, np.random.default_rng(4))
    var = scale / fan
    kurtosis = 3.0 if distribution == "normal" else 9.0 / 5.0
    assert abs(w.var() - var) < Z * var * math.sqrt((kurtosis - 1.0) / N)


@pytest.mark.parametrize("bad", [dict(mode="fan_sum"), dict(distribution="cauchy")])
def test_variance_scaling_rejects_unknown_options(bad):
    args = dict(scale=1.0, mode="fan_in", distribution="normal") | bad
    with pytest.raises(ValueError, match=next(iter(bad.values()))):
        variance_scaling(**args)


@pytest.mark.parametrize("name", INITIALIZERS.names())
def test_same_seed_same_weights_other_seed_other_weights(name):
    a, b, c = _draw(name, 7, 30, 20), _draw(name, 7, 30, 20), _draw(name, 8, 30, 20)
    np.testing.assert_array_equal(a, b)
    if name != "zeros":
        assert not np.array_equal(a, c)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", INITIALIZERS.names())
def test_draws_have_the_requested_dtype(name, dtype):
    assert _draw(name, fan_in=5, fan_out=3, dtype=np.dtype(dtype)).dtype == np.dtype(dtype)


def test_no_draw_touches_the_global_numpy_random_state():
    np.random.seed(1234)
    for name in INITIALIZERS:
        _draw(name, fan_in=10, fan_out=10)
        Network(10, [LayerConfig(8, "relu", dropout_rate=0.5, batch_norm=True)], 3, init_method=name,
                rng=np.random.default_rng(0)).forward(np.ones((4, 10)), training=True, rng=np.random.default_rng(1))
    next_global = np.random.random(4)
    np.random.seed(1234)
    np.testing.assert_array_equal(next_global, np.random.random(4))


def test_network_initialization_uses_the_named_method_per_layer_and_zero_biases():
    """Each layer draws from its own fans; biases and beta start at 0, gamma at 1."""
    net = Network(300, [LayerConfig(200, "relu", batch_norm=True), LayerConfig(100, "relu")], 10,
                  init_method="he_uniform", rng=np.random.default_rng(3))
    for name, p in zip(net.param_names, net.params):
        if name.endswith(".W"):
            limit = math.sqrt(6.0 / p.shape[0])
            assert limit * 0.98 < np.abs(p).max() <= limit * (1 + 1e-6), name
        elif name.endswith(".gamma"):
            assert np.all(p == 1)
        else:
            assert not p.any(), name
    mean, var = net.get_buffers()
    assert not mean.any() and np.all(var == 1)


def test_same_seed_gives_the_same_network():
    def build(seed):
        return Network(8, [LayerConfig(6, "tanh")], 2, init_method="glorot_uniform", rng=np.random.default_rng(seed))

    for a, b in zip(build(5).get_params(), build(5).get_params()):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(build(5).get_params()[0], build(6).get_params()[0])


def test_zeros_never_break_symmetry():
    """With zero weights every hidden unit of a layer gets the same gradient."""
    net = Network(4, [LayerConfig(5, "sigmoid")], 3, init_method="zeros", dtype="float64")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(9, 4))
    Y = np.eye(3)[rng.integers(0, 3, 9)]
    _, grads = net.loss_and_gradients(X, Y)
    gW1 = grads[0]
    np.testing.assert_allclose(gW1, np.repeat(gW1[:, :1], 5, axis=1))
