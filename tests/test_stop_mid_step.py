"""Stop inside a mini-batch step: the step is abandoned between two layers and changes nothing."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nnstudio.engine.scratch as scratch_module  # workspaces take their matrix product from it
from nnstudio.config import DataConfig, ExperimentConfig, LayerConfig
from nnstudio.data import load_split
from nnstudio.engine import STOP_USER, Network, Trainer
from nnstudio.engine.network import StepAbandoned

LAYERS = (LayerConfig(16, "relu", dropout_rate=0.2, batch_norm=True), LayerConfig(8, "tanh", batch_norm=True))
CHECKS_PER_STEP = 1 + 2 * (len(LAYERS) + 1)  # before the step, after each layer forward and backward


def _config(**changes) -> ExperimentConfig:
    return ExperimentConfig(data=DataConfig(name="iris"), layers=LAYERS, epochs=4, batch_size=16,
                            early_stopping=False, **changes)


class _Products:
    """Counts the matrix products the network computes (patched in as its product)."""

    def __init__(self, monkeypatch):
        self.count = 0
        original = scratch_module.product_for

        def product_for(rows):
            product = original(rows)

            def counted(*args, **kwargs):
                self.count += 1
                return product(*args, **kwargs)
            return counted

        monkeypatch.setattr(scratch_module, "product_for", product_for)


@pytest.mark.parametrize("check", range(1, CHECKS_PER_STEP),
                         ids=[f"{p}-{i}" for p in ("forward", "backward") for i in (1, 2, 3)])
def test_a_stop_between_layers_abandons_the_step_whole(monkeypatch, check):
    """Stop answered True after a layer of epoch 2's third step: no product runs afterwards, and
    the parameters and batch-norm statistics are those of the last finished step."""
    products = _Products(monkeypatch)
    trainer = Trainer(_config(), load_split(DataConfig(name="iris")), histograms=False)
    net = trainer.network
    batches = math.ceil(len(trainer.X_train) / 16)
    request = batches * CHECKS_PER_STEP + 2 * CHECKS_PER_STEP + check  # the call that says stop
    calls, seen = {"n": 0}, {}

    def stop():
        calls["n"] += 1
        if calls["n"] == request:
            seen["state"], seen["products"] = net.state(), products.count
        return calls["n"] >= request

    restore = trainer.early_stopping.restore

    def restore_spy(network):  # the run's end: what the loop left before the best weights return
        seen["end state"], seen["end products"] = net.state(), products.count
        return restore(network)

    trainer.early_stopping.restore = restore_spy
    records = list(trainer.run(stop))
    assert [r.epoch for r in records] == [1] and trainer.summary.stop_reason == STOP_USER
    assert calls["n"] == request  # asked no more after saying stop
    assert seen["end products"] == seen["products"]  # no matrix product after the request
    for before, after in zip(seen["state"], seen["end state"]):
        np.testing.assert_array_equal(before, after)  # neither weights nor running statistics moved
    # the best weights come back as usual
    best = trainer.early_stopping.best_state
    for kept, now in zip(best, net.state()):
        np.testing.assert_array_equal(kept, now)


def test_an_abandoned_step_leaves_the_running_statistics_for_the_next_one():
    """A training pass stopped after its first layer stages nothing, and a later full pass
    updates the running statistics exactly as if the abandoned one had never run."""
    def network():
        return Network(4, LAYERS[1:] * 2, 3, rng=np.random.default_rng(0), dtype="float64")

    X = np.random.default_rng(1).normal(size=(10, 4))
    plain, stopped = network(), network()
    plain._forward(X, True, None)
    with pytest.raises(StepAbandoned):
        stopped._forward(X * 3.0, True, None, stop=lambda: True, stage=True)
    stopped.commit_statistics()  # nothing staged: a no-op
    stopped._forward(X * 3.0, True, None, stage=True)
    stopped.discard_statistics()  # a step abandoned in its backward pass: its statistics are dropped
    stopped.commit_statistics()
    np.testing.assert_array_equal(stopped.buffers_flat, network().buffers_flat)
    stopped._forward(X, True, None)
    np.testing.assert_array_equal(stopped.buffers_flat, plain.buffers_flat)


def test_staged_statistics_wait_for_commit():
    net = Network(4, LAYERS[1:], 3, rng=np.random.default_rng(0), dtype="float64")
    initial = net.buffers_flat.copy()
    net._forward(np.random.default_rng(2).normal(size=(6, 4)), True, None, stage=True)
    np.testing.assert_array_equal(net.buffers_flat, initial)
    net.predict_output(np.ones((3, 4)))  # evaluation passes commit nothing
    net.forward(np.ones((3, 4)), training=False)
    np.testing.assert_array_equal(net.buffers_flat, initial)
    net.commit_statistics()
    assert not np.array_equal(net.buffers_flat, initial)
    after = net.buffers_flat.copy()
    net.commit_statistics()  # once only
    np.testing.assert_array_equal(net.buffers_flat, after)


def test_a_stop_asked_during_the_epochs_end_skips_its_histograms_and_health_measures():
    """The epoch's losses are still recorded, but the slow extras (histograms, health) are not made."""
    trainer = Trainer(_config(), load_split(DataConfig(name="iris")))
    records = list(trainer.run(stop=lambda: trainer.epoch >= 2))  # asked once epoch 2's steps are done
    assert [r.epoch for r in records] == [1, 2]
    first, stopped = records
    assert first.layers and first.health is not None  # the cadence makes epoch 1's histograms
    assert stopped.layers == () and stopped.health is None
    assert math.isfinite(stopped.val_loss) and math.isfinite(stopped.train_loss)
    assert trainer.summary.stop_reason == STOP_USER
