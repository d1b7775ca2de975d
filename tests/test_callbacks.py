"""HeldState: early stopping's copy of the best state, made in place, equals a fresh copy."""

from __future__ import annotations

import numpy as np

from nnstudio.config import ExperimentConfig, LayerConfig
from nnstudio.data import load_split
from nnstudio.engine import Trainer
from nnstudio.engine.callbacks import EarlyStopping, HeldState
from nnstudio.engine.network import Network


def _network(batch_norm: bool) -> Network:
    cfg = ExperimentConfig(layers=(LayerConfig(5, "relu", batch_norm=batch_norm), LayerConfig(4, "tanh")))
    return Network.from_config(cfg, 3, 2, rng=np.random.default_rng(1))


def test_held_state_equals_a_fresh_copy_and_stays_independent_of_the_network():
    for batch_norm in (False, True):
        net = _network(batch_norm)
        held = HeldState(net)
        net.buffers_flat += 0.5  # running statistics that differ from the held ones' start
        net.flat *= 2.0
        pair = held()
        for kept, fresh in zip(pair, net.state()):
            np.testing.assert_array_equal(kept, fresh)
        assert pair[1].size == (2 * 5 if batch_norm else 0)
        before = [a.copy() for a in pair]
        net.flat += 1.0
        net.buffers_flat -= 1.0
        for kept, old in zip(pair, before):
            np.testing.assert_array_equal(kept, old)
        assert held() is pair and not np.shares_memory(pair[0], net.flat)


def test_early_stopping_with_a_held_state_restores_the_best_epoch():
    net = _network(True)
    es, held = EarlyStopping(patience=5), HeldState(net)
    snapshots = {}
    for epoch, loss in enumerate([1.0, 0.5, 0.7, 0.4, 0.9], start=1):
        net.flat += epoch
        net.buffers_flat += epoch
        snapshots[epoch] = net.state()
        es.update(epoch, loss, held)
    net.flat[:] = 0.0
    es.restore(net)
    assert es.best_epoch == 4
    for now, best in zip(net.state(), snapshots[4]):
        np.testing.assert_array_equal(now, best)


def test_trainer_best_state_is_that_of_its_best_epoch():
    cfg = ExperimentConfig(layers=(LayerConfig(6, "tanh"),), epochs=12, batch_size=0, early_stopping=False)
    split = load_split(cfg.data)
    trainer = Trainer(cfg, split, histograms=False, diagnostics=False)
    states = {}
    for record in trainer.run():
        states[record.epoch] = trainer.network.state()
    best = trainer.summary.best_epoch
    assert best > 0
    for kept, expected in zip(trainer.early_stopping.best_state, states[best]):
        np.testing.assert_array_equal(kept, expected)
