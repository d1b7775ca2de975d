"""Backpropagation against central differences, in float64.

Every hidden activation is checked with every valid (output activation, loss) pairing, all read
from the registries, so a new activation or loss is checked as soon as it is registered.
Dropout (the same masks on every evaluation, from a fresh generator with the same seed), batch
normalization in training mode and the L1/L2 penalties are checked as well.
"""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.config import LayerConfig
from nnstudio.engine import ACTIVATIONS, LOSSES, Network, hidden_activation_names, pairing_problem

STEP = 1e-6
N_INPUTS, N_SAMPLES = 4, 7

PAIRINGS = [(act, loss) for act in ACTIVATIONS for loss in LOSSES if not pairing_problem(act, loss)]


def _targets(loss: str, n_out: int, rng: np.random.Generator) -> np.ndarray:
    """Targets a loss accepts: one-hot rows, 0/1 entries, or real values."""
    if loss == "categorical_crossentropy":
        return np.eye(n_out)[rng.integers(0, n_out, N_SAMPLES)]
    if loss == "log_loss":
        return rng.integers(0, 2, (N_SAMPLES, n_out)).astype(float)
    return rng.normal(size=(N_SAMPLES, n_out))


def _build(hidden, output_activation="softmax", loss="categorical_crossentropy", n_out=3, **kw) -> Network:
    net = Network(N_INPUTS, hidden, n_out, output_activation=output_activation, loss_func=loss,
                  init_method="glorot_normal", rng=np.random.default_rng(1), dtype="float64", **kw)
    # Non-zero biases: with zero ones a relu layer whose units are all off feeds exactly 0 to
    # the next one, a kink that central differences straddle.
    rng = np.random.default_rng(2)
    for name, p in zip(net.param_names, net.params):
        if name.endswith(".b"):
            p[...] = rng.uniform(0.1, 0.5, p.shape)  # positive: most relu units are on
    return net


def _objective(net: Network, X, Y, mask_seed: int) -> float:
    """Training loss + penalty with the dropout masks drawn from ``default_rng(mask_seed)``."""
    loss, _ = net.loss_and_gradients(X, Y, rng=np.random.default_rng(mask_seed))
    return loss


def _numerical_gradient(net: Network, X, Y, mask_seed: int = 5) -> np.ndarray:
    grad = np.zeros_like(net.flat)
    for i in range(net.flat.size):
        saved = net.flat[i]
        net.flat[i] = saved + STEP
        up = _objective(net, X, Y, mask_seed)
        net.flat[i] = saved - STEP
        down = _objective(net, X, Y, mask_seed)
        net.flat[i] = saved
        grad[i] = (up - down) / (2 * STEP)
    return grad


def _check(net: Network, X, Y, mask_seed: int = 5) -> None:
    _, grads = net.loss_and_gradients(X, Y, rng=np.random.default_rng(mask_seed))
    analytic = np.concatenate([g.ravel() for g in grads])
    numeric = _numerical_gradient(net, X, Y, mask_seed)
    assert np.abs(numeric).max() > 1e-6, "the check needs a non-trivial gradient"
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)
    # the returned gradients are copies of the views into ``flat_grad``, in parameter order
    _, again = net.loss_and_gradients(X, Y, rng=np.random.default_rng(mask_seed))
    np.testing.assert_array_equal(net.flat_grad, np.concatenate([g.ravel() for g in again]))


def _data(seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(N_SAMPLES, N_INPUTS)), rng


@pytest.mark.parametrize("output_activation,loss", PAIRINGS)
@pytest.mark.parametrize("hidden_activation", hidden_activation_names())
def test_backprop_matches_central_differences(hidden_activation, output_activation, loss):
    X, rng = _data()
    n_out = 3
    net = _build([LayerConfig(5, hidden_activation), LayerConfig(4, hidden_activation)],
                 output_activation, loss, n_out)
    _check(net, X, _targets(loss, n_out, rng))


def test_pairings_cover_every_loss_and_output_activation():
    """Each loss is checked at least once and each registered activation appears as an output."""
    assert {loss for _, loss in PAIRINGS} == set(LOSSES.names())
    assert {act for act, _ in PAIRINGS} == set(ACTIVATIONS.names())


def test_single_sigmoid_unit_with_log_loss():
    """The binary case as the trainer builds it: one sigmoid output unit, 0/1 targets."""
    X, rng = _data(3)
    net = _build([LayerConfig(5, "tanh")], "sigmoid", "log_loss", n_out=1)
    _check(net, X, _targets("log_loss", 1, rng))


def test_no_hidden_layers():
    X, rng = _data(4)
    net = _build([], "softmax", "categorical_crossentropy")
    _check(net, X, _targets("categorical_crossentropy", 3, rng))


@pytest.mark.parametrize("hidden_activation", hidden_activation_names())
def test_backprop_with_dropout(hidden_activation):
    X, rng = _data(6)
    net = _build([LayerConfig(6, hidden_activation, dropout_rate=0.4),
                  LayerConfig(5, hidden_activation, dropout_rate=0.25)])
    _check(net, X, _targets("categorical_crossentropy", 3, rng))


def test_dropout_masks_come_from_the_given_generator():
    """The same seed gives the same masks (and loss); another seed gives other masks."""
    X, rng = _data(6)
    Y = _targets("categorical_crossentropy", 3, rng)
    net = _build([LayerConfig(16, "relu", dropout_rate=0.5)])
    assert _objective(net, X, Y, 1) == _objective(net, X, Y, 1)
    assert _objective(net, X, Y, 1) != _objective(net, X, Y, 2)


@pytest.mark.parametrize("hidden_activation", hidden_activation_names())
def test_backprop_with_batch_norm_in_training_mode(hidden_activation):
    X, rng = _data(7)
    net = _build([LayerConfig(5, hidden_activation, batch_norm=True), LayerConfig(4, hidden_activation)])
    # gamma and beta away from their initial 1 and 0, so that they are really exercised
    for name, p in zip(net.param_names, net.params):
        if name.endswith((".gamma", ".beta")):
            p[...] = rng.uniform(0.5, 1.5, p.shape)
    _check(net, X, _targets("categorical_crossentropy", 3, rng))


@pytest.mark.parametrize("l1,l2", [(0.05, 0.0), (0.0, 0.05), (0.03, 0.07)])
def test_backprop_with_l1_l2_penalties(l1, l2):
    X, rng = _data(8)
    net = _build([LayerConfig(5, "tanh"), LayerConfig(4, "elu")], l1=l1, l2=l2)
    _check(net, X, _targets("categorical_crossentropy", 3, rng))


def test_penalties_apply_to_weights_only():
    """l1 Σ|W| + l2 Σ W²: biases (and batch-norm gamma/beta) carry no penalty."""
    X, rng = _data(9)
    Y = _targets("categorical_crossentropy", 3, rng)
    plain = _build([LayerConfig(5, "relu", batch_norm=True)])
    penalized = _build([LayerConfig(5, "relu", batch_norm=True)], l1=0.1, l2=0.2)
    rng2 = np.random.default_rng(3)
    values = [rng2.normal(size=p.shape) for p in plain.params]
    plain.set_params(values)
    penalized.set_params(values)
    loss0, g0 = plain.loss_and_gradients(X, Y)
    loss1, g1 = penalized.loss_and_gradients(X, Y)
    weights = [v for name, v in zip(plain.param_names, values) if name.endswith(".W")]
    expected = sum(0.1 * np.abs(w).sum() + 0.2 * (w ** 2).sum() for w in weights)
    assert loss1 - loss0 == pytest.approx(expected, rel=1e-12)
    for name, a, b, v in zip(plain.param_names, g0, g1, values):
        if name.endswith(".W"):
            np.testing.assert_allclose(b - a, 0.1 * np.sign(v) + 0.4 * v, rtol=1e-10, atol=1e-12)
        else:
            np.testing.assert_array_equal(a, b)


def test_everything_at_once():
    """Dropout, batch norm and both penalties in one deeper network."""
    X, rng = _data(10)
    net = _build([LayerConfig(6, "leaky_relu", dropout_rate=0.3, batch_norm=True),
                  LayerConfig(5, "sigmoid", batch_norm=True),
                  LayerConfig(4, "tanh", dropout_rate=0.2)], l1=0.01, l2=0.02)
    _check(net, X, _targets("categorical_crossentropy", 3, rng))


# -- the network API the checks rely on ----------------------------------------------------

def test_parameters_come_in_the_documented_order_as_views_of_one_flat_vector():
    net = _build([LayerConfig(5, "relu", batch_norm=True), LayerConfig(4, "tanh")])
    assert net.param_names == ("layer1.W", "layer1.b", "layer1.gamma", "layer1.beta", "layer2.W", "layer2.b",
                               "output.W", "output.b")
    assert [p.shape for p in net.params] == [(4, 5), (5,), (5,), (5,), (5, 4), (4,), (4, 3), (3,)]
    np.testing.assert_array_equal(np.concatenate([p.ravel() for p in net.get_params()]), net.flat)
    net.flat[0] = 42.0
    assert net.params[0][0, 0] == 42.0  # a view, not a copy
    assert net.get_params()[0] is not net.params[0]


def test_set_params_checks_count_and_shapes():
    net = _build([LayerConfig(5, "relu")])
    values = net.get_params()
    with pytest.raises(ValueError, match="expected 4 arrays"):
        net.set_params(values[:3])
    values[2] = np.zeros((3, 5))
    with pytest.raises(ValueError, match="output.W: expected shape"):
        net.set_params(values)


def test_state_is_an_independent_copy():
    net = _build([LayerConfig(5, "relu", batch_norm=True)])
    state = net.state()
    net.flat += 1.0
    net.buffers_flat += 1.0
    assert not np.array_equal(state[0], net.flat)
    net.load_state(state)
    np.testing.assert_array_equal(state[0], net.flat)
    np.testing.assert_array_equal(state[1], net.buffers_flat)


def test_outputs_belong_to_the_caller():
    """Scratch arrays are reused between passes; what forward and predict return is not."""
    X, _ = _data(11)
    net = _build([LayerConfig(5, "relu")])
    first = net.forward(X)
    kept = first.copy()
    net.forward(X * 3.0)
    net.predict_output(X * -2.0)
    np.testing.assert_array_equal(first, kept)


def test_prediction_in_chunks_equals_prediction_at_once():
    rng = np.random.default_rng(12)
    X = rng.normal(size=(1000, N_INPUTS))
    net = _build([LayerConfig(5, "relu", batch_norm=True), LayerConfig(4, "sigmoid")])
    np.testing.assert_allclose(net.predict_output(X, batch_size=64), net.predict_output(X), rtol=1e-12)
    np.testing.assert_array_equal(net.predict_classes(X), net.predict_output(X).argmax(axis=1))
    with pytest.raises(ValueError, match=r"\(n, 4\)"):
        net.predict_output(X[:, :3])


def test_many_batch_sizes_in_turn_give_the_same_results():
    """Passes over many different row counts (more than the scratch arrays kept) stay correct."""
    X, rng = _data(13)
    Y = _targets("categorical_crossentropy", 3, rng)
    net = _build([LayerConfig(5, "relu", dropout_rate=0.3)])
    reference = net.loss_and_gradients(X, Y, rng=np.random.default_rng(1))
    for n in range(1, 12):
        net.forward(np.ones((n, N_INPUTS)), training=True, rng=np.random.default_rng(n))
    again = net.loss_and_gradients(X, Y, rng=np.random.default_rng(1))
    assert again[0] == reference[0]
    for a, b in zip(again[1], reference[1]):
        np.testing.assert_array_equal(a, b)
