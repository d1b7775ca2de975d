"""The math at its edges: sigmoid over its whole range, evaluation-mode batch-norm gradients,
the 1-row tail batch, divergence that never reaches NaN, and the initial state as a candidate."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnstudio.config import ExperimentConfig, LayerConfig
from nnstudio.data import load_split
from nnstudio.engine import ACTIVATIONS, Network, Trainer
from nnstudio.engine.trainer import STOP_DIVERGED

STEP = 1e-6


# -- sigmoid -----------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype, lo", [(np.float32, -110.0), (np.float64, -750.0)])
def test_sigmoid_is_accurate_over_the_whole_range(dtype, lo):
    special = pytest.importorskip("scipy.special")
    z = np.concatenate([np.linspace(lo, -lo, 400_001), [-37.0, -10.0, -1e-30, 0.0, 1e-30]]).astype(dtype)
    reference = special.expit(z.astype(np.float64))
    out = ACTIVATIONS["sigmoid"].forward(z, np.empty_like(z))
    assert out.dtype == dtype
    normal = reference > np.finfo(dtype).tiny  # below it float32/64 hold only a few digits
    rel = np.abs(out[normal] - reference[normal]) / reference[normal]
    assert rel.max() < 4 * np.finfo(dtype).eps
    assert np.abs(out - reference).max() <= np.finfo(dtype).eps
    in_place = z.copy()
    ACTIVATIONS["sigmoid"].forward(in_place, in_place)  # the network calls it with out=z
    np.testing.assert_array_equal(in_place, out)


def test_sigmoid_against_exact_values():
    """σ(−37) = 1 / (1 + e^37) and σ(−10) in float32, without scipy."""
    f = ACTIVATIONS["sigmoid"].forward
    z64 = np.array([-37.0, -700.0, 30.0])
    exact = np.array([1 / (1 + math.exp(37)), math.exp(-700) / (1 + math.exp(-700)), 1 / (1 + math.exp(-30))])
    np.testing.assert_allclose(f(z64, np.empty(3)), exact, rtol=1e-15)
    z32 = np.array([-10.0], np.float32)
    np.testing.assert_allclose(f(z32, np.empty_like(z32)), [1 / (1 + math.exp(10))], rtol=2e-7)


# -- evaluation-mode gradients below batch norm -------------------------------------------------

def _bn_net(hidden_activation: str) -> Network:
    layers = [LayerConfig(5, hidden_activation, batch_norm=True), LayerConfig(4, "tanh", batch_norm=True)]
    net = Network(3, layers, 2, output_activation="softmax", loss_func="categorical_crossentropy",
                  init_method="glorot_normal", rng=np.random.default_rng(1), dtype="float64", l2=0.01)
    rng = np.random.default_rng(9)
    for name, p in zip(net.param_names, net.params):
        if not name.endswith(".W"):
            p[...] = rng.uniform(0.2, 0.8, p.shape)
    for layer in net.layers:
        if layer.batch_norm:
            layer.running_mean[...] = rng.normal(size=layer.units)
            layer.running_var[...] = rng.uniform(0.5, 2.0, layer.units)
    return net


@pytest.mark.parametrize("hidden_activation", ["relu", "sigmoid", "tanh"])
def test_evaluation_mode_gradients_below_batch_norm_match_central_differences(hidden_activation):
    net = _bn_net(hidden_activation)
    rng = np.random.default_rng(3)
    X, Y = rng.normal(size=(6, 3)), np.eye(2)[rng.integers(0, 2, 6)]
    _, grads = net.loss_and_gradients(X, Y, training=False)
    analytic = np.concatenate([g.ravel() for g in grads])
    numeric = np.zeros_like(analytic)
    for i in range(net.flat.size):
        saved = net.flat[i]
        net.flat[i] = saved + STEP
        up, _ = net.loss_and_gradients(X, Y, training=False)
        net.flat[i] = saved - STEP
        down, _ = net.loss_and_gradients(X, Y, training=False)
        net.flat[i] = saved
        numeric[i] = (up - down) / (2 * STEP)
    assert np.abs(numeric).max() > 1e-3
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)


# -- the 1-row tail batch with batch norm ---------------------------------------------------------

_SPLIT = []


def _digits_split():
    if not _SPLIT:
        _SPLIT.append(load_split(ExperimentConfig().data))
    return _SPLIT[0]


def test_a_one_row_tail_batch_is_merged_into_the_previous_one():
    """With batch norm a 1-row batch normalizes to exactly beta and drags the running variance
    to 0: the trainer merges it into the batch before."""
    split = _digits_split()
    n = len(split.y_train)
    batch = next(b for b in range(30, 80) if n % b == 1)
    cfg = ExperimentConfig(epochs=1, batch_size=batch, early_stopping=False,
                           layers=(LayerConfig(16, "relu", batch_norm=True),))
    trainer = Trainer(cfg, split, histograms=False)
    sizes = []
    forward = trainer.network._forward

    def record(X, training, rng, **kwargs):
        if training:
            sizes.append(len(X))
        return forward(X, training, rng, **kwargs)

    trainer.network._forward = record
    list(trainer.run())
    assert sum(sizes) == n and min(sizes) == batch and sizes[-1] == batch + 1
    assert len(sizes) == n // batch
    # without batch norm nothing is merged
    plain = Trainer(cfg.replace(layers=(LayerConfig(16, "relu"),)), split, histograms=False)
    sizes.clear()
    forward = plain.network._forward
    plain.network._forward = record
    list(plain.run())
    assert sizes[-1] == 1 and len(sizes) == n // batch + 1


# -- divergence without NaN, and the initial state as a candidate -----------------------------------

def test_sgd_at_lr_10_keeps_the_initial_weights_when_no_epoch_beats_them():
    split = _digits_split()
    cfg = ExperimentConfig(optimizer="sgd", learning_rate=10.0, epochs=30, patience=5, seed=0,
                           layers=(LayerConfig(32, "relu"),))
    trainer = Trainer(cfg, split, histograms=False)
    untrained = Network.from_config(cfg, split.n_features, 10, rng=np.random.default_rng(
        np.random.SeedSequence(cfg.seed).spawn(3)[0]))
    records = list(trainer.run())
    s = trainer.summary
    initial_val = trainer.initial_val_loss
    assert all(r.val_loss > initial_val for r in records)
    assert s.best_epoch == 0 and s.restored_best and s.best_val_loss == initial_val
    np.testing.assert_array_equal(trainer.network.flat, untrained.flat)


@pytest.mark.parametrize("optimizer, lr, batch_norm, clip", [("adam", 1e3, True, "none"),
                                                             ("momentum", 1e4, False, "norm"),
                                                             ("rmsprop", 10.0, True, "none")])
def test_divergence_without_nan_stops_with_a_clear_reason(optimizer, lr, batch_norm, clip):
    split = _digits_split()
    cfg = ExperimentConfig(optimizer=optimizer, learning_rate=lr, epochs=60, early_stopping=False, seed=1,
                           clip_type=clip, layers=(LayerConfig(32, "relu", batch_norm=batch_norm),))
    initial_test_loss = Trainer(cfg, split, histograms=False).test_metrics()[0]
    trainer = Trainer(cfg, split, histograms=False)
    records = list(trainer.run())
    s = trainer.summary
    assert s.stop_reason == STOP_DIVERGED and s.diverged
    assert all(math.isfinite(r.val_loss) for r in records) and len(records) < cfg.epochs
    assert "the validation loss stayed above twice its initial value" in s.message
    assert s.test_loss <= 1.05 * initial_test_loss  # never worse than the untrained network


def test_a_healthy_run_is_not_called_diverged():
    split = _digits_split()
    cfg = ExperimentConfig(epochs=15, layers=(LayerConfig(32, "relu", batch_norm=True),))
    trainer = Trainer(cfg, split, histograms=False)
    records = list(trainer.run())
    assert trainer.summary.stop_reason == "completed" and records[-1].val_loss < trainer.initial_val_loss
    assert trainer.summary.best_epoch > 0
