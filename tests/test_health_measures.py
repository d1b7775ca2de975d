"""HealthMonitor's update ratios: the geometric mean over the sampled steps of ||dW|| / ||W||,
NaN for a layer none of whose steps changed it, and nothing carried into the next epoch."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnstudio.config import ExperimentConfig, LayerConfig
from nnstudio.engine.diagnostics import HealthMonitor
from nnstudio.engine.network import Network


def _network() -> Network:
    cfg = ExperimentConfig(layers=(LayerConfig(5, "tanh"), LayerConfig(4, "relu")))
    return Network.from_config(cfg, 3, 2, rng=np.random.default_rng(2))


def test_update_ratio_is_the_geometric_mean_of_the_sampled_steps():
    net = _network()
    monitor = HealthMonitor(net, n_val=10)
    rng = np.random.default_rng(0)
    ratios = {0: [], 1: []}
    for _ in range(3):
        monitor.before_step(net.flat)
        for i in (0, 1):  # the output layer's weights never change
            before = net.layers[i].W.copy()
            net.layers[i].W[...] += rng.normal(0.0, 0.01, net.layers[i].W.shape)
            ratios[i].append(np.linalg.norm(net.layers[i].W - before) / np.linalg.norm(net.layers[i].W))
        monitor.after_step(net.flat)
    for layer in net.layers:
        layer.a = np.zeros((4, layer.units), net.dtype)
    health = monitor.end_epoch(np.ones(3), epoch=1)
    for i in (0, 1):
        assert health.layers[i].update_ratio == pytest.approx(math.prod(ratios[i]) ** (1 / 3), rel=1e-5)
    assert math.isnan(health.layers[2].update_ratio)
    again = monitor.end_epoch(np.ones(3), epoch=2)  # no step sampled since: nothing carried over
    assert all(math.isnan(layer.update_ratio) for layer in again.layers)
