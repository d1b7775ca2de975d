"""Each optimizer's steps against the same steps worked out one number at a time."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnstudio.engine import OPTIMIZERS, make_optimizer
from nnstudio.engine.optimizers import optimizer_keywords

THETA0 = [0.5, -1.0, 2.0]
GRADS = [[0.1, -0.2, 0.3], [-0.4, 0.5, 0.05], [0.2, 0.2, -0.6]]
LR = 0.1
SETTINGS = dict(momentum=0.8, beta1=0.9, beta2=0.99, epsilon=1e-3, rho=0.7, weight_decay=0.5)


def _sgd(theta, grads, lr, s):
    for g in grads:
        theta = [t - lr * gi for t, gi in zip(theta, g)]
    return theta


def _momentum(theta, grads, lr, s):
    v = [0.0] * len(theta)
    for g in grads:
        v = [s["momentum"] * vi - lr * gi for vi, gi in zip(v, g)]
        theta = [t + vi for t, vi in zip(theta, v)]
    return theta


def _nesterov(theta, grads, lr, s):
    mu, v = s["momentum"], [0.0] * len(theta)
    for g in grads:
        v = [mu * vi - lr * gi for vi, gi in zip(v, g)]
        theta = [t + mu * vi - lr * gi for t, vi, gi in zip(theta, v, g)]
    return theta


def _rmsprop(theta, grads, lr, s):
    rho, eps, sq = s["rho"], s["epsilon"], [0.0] * len(theta)
    for g in grads:
        sq = [rho * si + (1 - rho) * gi * gi for si, gi in zip(sq, g)]
        theta = [t - lr * gi / (math.sqrt(si) + eps) for t, gi, si in zip(theta, g, sq)]
    return theta


def _adam(theta, grads, lr, s, decay=0.0, mask=None):
    b1, b2, eps = s["beta1"], s["beta2"], s["epsilon"]
    mask = mask or [1.0] * len(theta)
    m, v = [0.0] * len(theta), [0.0] * len(theta)
    for t, g in enumerate(grads, start=1):
        theta = [th - lr * decay * w * th for th, w in zip(theta, mask)]
        m = [b1 * mi + (1 - b1) * gi for mi, gi in zip(m, g)]
        v = [b2 * vi + (1 - b2) * gi * gi for vi, gi in zip(v, g)]
        m_hat = [mi / (1 - b1 ** t) for mi in m]
        v_hat = [vi / (1 - b2 ** t) for vi in v]
        theta = [th - lr * mh / (math.sqrt(vh) + eps) for th, mh, vh in zip(theta, m_hat, v_hat)]
    return theta


def _adamw(theta, grads, lr, s):
    return _adam(theta, grads, lr, s, decay=s["weight_decay"])


REFERENCE = {"sgd": _sgd, "momentum": _momentum, "nesterov": _nesterov, "rmsprop": _rmsprop,
             "adam": _adam, "adamw": _adamw}


def test_every_registered_optimizer_has_a_reference():
    assert set(REFERENCE) == set(OPTIMIZERS.names())


def _run(name, n_steps, dtype=np.float64, **extra):
    opt = make_optimizer(name, 3, dtype, **SETTINGS, **extra)
    theta = np.array(THETA0, dtype=dtype)
    for g in GRADS[:n_steps]:
        opt.step(theta, np.array(g, dtype=dtype), LR)
    return theta, opt


@pytest.mark.parametrize("n_steps", [1, 2, 3])
@pytest.mark.parametrize("name", OPTIMIZERS.names())
def test_steps_match_hand_computation(name, n_steps):
    theta, opt = _run(name, n_steps)
    expected = REFERENCE[name](list(THETA0), GRADS[:n_steps], LR, SETTINGS)
    np.testing.assert_allclose(theta, expected, rtol=1e-12, atol=1e-15)
    assert opt.t == n_steps


def test_adam_first_step_moves_every_parameter_by_about_lr():
    """Bias correction makes the first Adam step lr * g / (|g| + eps), about lr per coordinate."""
    theta, _ = _run("adam", 1)
    np.testing.assert_allclose(np.abs(theta - THETA0), LR, rtol=0.02)


def test_adamw_decays_weights_only():
    mask = np.array([1.0, 0.0, 1.0])
    theta, _ = _run("adamw", 3, decay_mask=mask)
    expected = _adam(list(THETA0), GRADS, LR, SETTINGS, decay=SETTINGS["weight_decay"], mask=list(mask))
    np.testing.assert_allclose(theta, expected, rtol=1e-12)
    plain, _ = _run("adam", 3)
    assert theta[1] == pytest.approx(plain[1], rel=1e-12)  # the masked entry is plain Adam
    assert abs(theta[0]) < abs(plain[0]) and abs(theta[2]) < abs(plain[2])


@pytest.mark.parametrize("name", OPTIMIZERS.names())
def test_float32_state_and_parameters_stay_float32(name):
    theta, opt = _run(name, 3, dtype=np.float32)
    assert theta.dtype == np.float32
    for value in vars(opt).values():
        if isinstance(value, np.ndarray):
            assert value.dtype == np.float32
    expected = REFERENCE[name](list(THETA0), GRADS, LR, SETTINGS)
    np.testing.assert_allclose(theta, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", OPTIMIZERS.names())
def test_zero_gradient_with_fresh_state_leaves_parameters_alone(name):
    opt = make_optimizer(name, 3, np.float64, **SETTINGS)
    theta = np.array(THETA0)
    opt.step(theta, np.zeros(3), LR)
    if name == "adamw":  # decoupled decay shrinks weights even without a gradient
        np.testing.assert_allclose(theta, np.array(THETA0) * (1 - LR * SETTINGS["weight_decay"]))
    else:
        np.testing.assert_array_equal(theta, THETA0)


@pytest.mark.parametrize("name", OPTIMIZERS.names())
def test_every_optimizer_explains_its_update(name):
    assert OPTIMIZERS[name].formula


def test_unknown_optimizer_lists_the_valid_names():
    with pytest.raises(KeyError) as err:
        make_optimizer("adagrad", 3, np.float64)
    assert all(name in str(err.value) for name in OPTIMIZERS.names())


@pytest.mark.parametrize("name", OPTIMIZERS.names())
def test_a_misspelt_setting_raises_and_names_the_valid_ones(name):
    with pytest.raises(TypeError) as err:
        make_optimizer(name, 3, np.float64, **SETTINGS, betta1=0.5)
    message = str(err.value)
    assert "betta1" in message and name in message
    assert all(k in message for k in optimizer_keywords(name))


def test_settings_that_only_other_optimizers_take_are_ignored():
    opt = make_optimizer("sgd", 3, np.float64, momentum=0.5, beta1=0.5)
    assert optimizer_keywords("sgd") == () and not hasattr(opt, "mu")
    assert set(optimizer_keywords("adamw")) == {"weight_decay", "decay_mask", "beta1", "beta2", "epsilon"}
    assert make_optimizer("adam", 3, np.float64, beta1=0.5).beta1 == 0.5
