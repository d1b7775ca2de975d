"""Records carry histograms at the cadence the views show them: first, last, evenly spaced, and fresh."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnstudio.config import DataConfig, ExperimentConfig, LayerConfig
from nnstudio.data import load_split
from nnstudio.engine import EVERY_EPOCH, HistogramCadence, Trainer

IRIS = DataConfig(name="iris")


def _run(cadence, epochs=23, **changes):
    cfg = ExperimentConfig(layers=(LayerConfig(8, "relu"),), epochs=epochs, batch_size=16, data=IRIS,
                           early_stopping=False).replace(**changes)
    trainer = Trainer(cfg, load_split(IRIS), histograms=cadence)
    return trainer, list(trainer.run())


def test_evenly_spaced_epochs_plus_the_first_and_the_last():
    _, records = _run(HistogramCadence(max_snapshots=5, min_interval=math.inf), epochs=23)
    with_histograms = [r.epoch for r in records if r.layers]
    assert with_histograms == [1, 5, 10, 15, 20, 23]  # stride ceil(23 / 5) = 5


def test_an_early_stop_epoch_carries_histograms():
    _, records = _run(HistogramCadence(max_snapshots=2, min_interval=math.inf), epochs=200,
                      early_stopping=True, patience=2, learning_rate=5.0)
    assert len(records) < 200 and records[-1].layers


def test_a_zero_interval_gives_every_epoch_like_every_epoch():
    _, by_interval = _run(HistogramCadence(max_snapshots=1, min_interval=0.0), epochs=6)
    _, every = _run(EVERY_EPOCH, epochs=6)
    assert all(r.layers for r in by_interval) and all(r.layers for r in every)
    for a, b in zip(by_interval, every):
        for x, y in zip(a.layers, b.layers):
            np.testing.assert_array_equal(x.weights.counts, y.weights.counts)


def test_histograms_true_means_every_epoch_and_false_none():
    _, every = _run(True, epochs=4)
    _, none = _run(False, epochs=4)
    assert all(r.layers for r in every) and not any(r.layers for r in none)


def test_the_cadence_does_not_change_the_training():
    sparse, sparse_records = _run(HistogramCadence(max_snapshots=3, min_interval=math.inf), epochs=9)
    dense, dense_records = _run(True, epochs=9)
    np.testing.assert_array_equal(sparse.network.flat, dense.network.flat)
    assert [r.val_loss for r in sparse_records] == [r.val_loss for r in dense_records]


@pytest.mark.parametrize("epoch, expected", [(1, True), (2, False), (4, True), (9, True)])
def test_due_rules(epoch, expected):
    cadence = HistogramCadence(max_snapshots=3, min_interval=10.0)  # stride ceil(10 / 3) = 4
    assert cadence.due(epoch, 10, last=epoch == 9, seconds_since=0.0) == expected
    assert cadence.due(epoch, 10, last=False, seconds_since=10.0)


def test_beyond_the_free_snapshots_a_share_above_the_cap_skips_all_but_the_first_and_last():
    cadence = HistogramCadence(max_snapshots=10, min_interval=0.0, max_share=0.05, free_snapshots=3)
    assert not cadence.due(5, 10, last=False, seconds_since=99.0, made=3, spent=0.6, elapsed=10.0)
    assert cadence.due(5, 10, last=False, seconds_since=99.0, made=3, spent=0.4, elapsed=10.0)
    assert cadence.due(5, 10, last=False, seconds_since=99.0, made=2, spent=9.0, elapsed=10.0)  # still free
    assert cadence.due(1, 10, last=False, seconds_since=0.0, made=0, spent=9.0, elapsed=10.0)
    assert cadence.due(10, 10, last=True, seconds_since=0.0, made=9, spent=9.0, elapsed=10.0)


def test_short_runs_keep_every_epoch_within_the_free_snapshots():
    _, records = _run(HistogramCadence(max_snapshots=50, min_interval=0.25, max_share=1e-9, free_snapshots=20),
                      epochs=15)
    assert all(r.layers for r in records)


def test_a_tiny_share_keeps_the_histograms_within_it():
    trainer, records = _run(HistogramCadence(max_snapshots=1000, min_interval=0.0, max_share=0.01), epochs=60)
    with_histograms = [r.epoch for r in records if r.layers]
    assert with_histograms[0] == 1 and with_histograms[-1] == 60 and len(with_histograms) < 60
    assert trainer.snapshots.seconds <= 0.01 * records[-1].elapsed + 0.005  # one snapshot may cross the line


@pytest.mark.parametrize("cadence", [HistogramCadence(max_snapshots=7, min_interval=0.3, max_share=0.05, free_snapshots=4),
                                     HistogramCadence(max_snapshots=50, min_interval=0.25, max_share=0.02,
                                                      free_snapshots=20),
                                     HistogramCadence(max_snapshots=1, min_interval=0.0), EVERY_EPOCH])
def test_snapshots_take_exactly_the_epochs_the_cadence_picks(cadence, monkeypatch):
    """Snapshots.due answers most epochs without the full rule: its answers are the rule's."""
    from types import SimpleNamespace

    import nnstudio.engine.snapshots as snapshots_module

    trainer = Trainer(ExperimentConfig(layers=(LayerConfig(4, "tanh"),), epochs=1, data=IRIS), load_split(IRIS),
                      histograms=cadence)
    assert trainer.initial_record() is not None  # leaves activations in the layers
    clock = {"wall": 100.0, "cpu": 5.0}
    monkeypatch.setattr(snapshots_module, "time", SimpleNamespace(perf_counter=lambda: clock["wall"],
                                                                  thread_time=lambda: clock["cpu"]))
    snapshots, rng = trainer.snapshots, np.random.default_rng(4)
    start, picked, expected = 100.0, [], []
    for epochs in (120, 37):
        for epoch in range(1, epochs + 1):
            clock["wall"] += rng.choice([0.001, 0.01, 0.2, 0.31])
            last = epoch == epochs
            now = clock["wall"]
            expected.append(cadence.due(epoch, epochs, last, now - snapshots._last, snapshots._count,
                                        snapshots.seconds, now - start))
            before = snapshots._count
            layers = snapshots.due(epoch, epochs, last, start)
            picked.append(bool(layers))
            assert snapshots._count == before + bool(layers)
            if layers:
                snapshots.seconds += rng.choice([0.0, 0.02])  # as if making them took CPU time
    assert picked == expected
    assert all(picked) if cadence.min_interval == 0.0 else 0 < sum(picked) < len(picked)
