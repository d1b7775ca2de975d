"""Settings changed while training (engine/live.py): applied at the next mini-batch, recorded in
the epoch's record, and exactly equivalent to a run that had the new value from that point on."""

from __future__ import annotations

import math
import threading
from functools import lru_cache

import numpy as np
import pytest

from nnstudio.config import DataConfig, ExperimentConfig, LayerConfig, ScheduleConfig
from nnstudio.data import Split, load_split
from nnstudio.engine import Trainer
from nnstudio.engine.live import Change, LiveSettings, live_differences, live_values, with_values


@lru_cache(maxsize=None)
def _split() -> Split:
    return load_split(DataConfig(name="iris"))


def _config(**changes) -> ExperimentConfig:
    base = dict(data=DataConfig(name="iris"), layers=(LayerConfig(12, "relu"), LayerConfig(6, "tanh")),
                epochs=4, batch_size=16, early_stopping=False, optimizer="adam", learning_rate=0.02)
    return ExperimentConfig(**(base | changes))


def _trainer(cfg: ExperimentConfig, live: LiveSettings | None = None) -> Trainer:
    trainer = Trainer(cfg, _split(), histograms=False, diagnostics=False)
    trainer.live = live
    return trainer


def _n_batches(cfg: ExperimentConfig) -> int:
    return math.ceil(len(_split().y_train) / cfg.batch_size)


def test_lr_change_after_an_epoch_equals_a_step_schedule_and_is_recorded():
    """Constant 0.02, changed to 0.002 after epoch 2, is exactly the step schedule 0.02 · 0.1^⌊epoch/2⌋."""
    live = LiveSettings()
    changed = _trainer(_config(), live)
    records = []
    for record in changed.run():
        records.append(record)
        if record.epoch == 2:
            live.request({"learning_rate": 0.002})
    reference = _trainer(_config(schedule=ScheduleConfig("step", gamma=0.1, step_size=2)))
    expected = list(reference.run())
    assert np.array_equal(changed.network.flat, reference.network.flat)
    assert [r.learning_rate for r in records] == pytest.approx([0.02, 0.02, 0.002, 0.002])
    assert [r.learning_rate for r in records] == pytest.approx([r.learning_rate for r in expected])
    assert records[2].changes == (Change("learning_rate", 0.02, 0.002, 2.0),)
    assert all(r.changes == () for i, r in enumerate(records) if i != 2)
    assert changed.config.learning_rate == 0.002 and changed.schedule.base_lr == 0.002


def test_a_change_asked_mid_epoch_takes_effect_at_the_next_mini_batch():
    """A change asked while the second mini-batch runs is applied before the third one."""
    cfg = _config(epochs=2)
    live = LiveSettings()
    trainer = _trainer(cfg, live)
    net = trainer.network
    backward, passes = net.backward, []

    def counted_backward(*args, **kwargs):
        passes.append(1)
        return backward(*args, **kwargs)

    net.backward = counted_backward

    asked = []

    def stop():  # called before each mini-batch and between layers
        if len(passes) == 2 and not asked:
            asked.append(1)
            live.request({"learning_rate": 0.5})
        return False

    records = list(trainer.run(stop))
    n = _n_batches(cfg)
    assert records[0].changes == (Change("learning_rate", 0.02, 0.5, 2 / n),)
    assert records[0].learning_rate == 0.5  # the rate the epoch ended with
    assert records[1].changes == () and records[1].learning_rate == 0.5


def test_lr_change_rescales_the_schedule_base():
    cfg = _config(epochs=5, schedule=ScheduleConfig("step", gamma=0.5, step_size=1))
    live = LiveSettings()
    trainer = _trainer(cfg, live)
    rates = []
    for record in trainer.run():
        rates.append(record.learning_rate)
        if record.epoch == 2:
            live.request({"learning_rate": 0.1})
    assert rates == pytest.approx([0.02, 0.01, 0.1 * 0.5 ** 2, 0.1 * 0.5 ** 3, 0.1 * 0.5 ** 4])


def test_lr_change_scales_a_reduced_plateau_rate():
    cfg = _config(epochs=3, schedule=ScheduleConfig("plateau", gamma=0.5, patience=1))
    live = LiveSettings()
    trainer = _trainer(cfg, live)
    trainer.schedule.current = 0.005  # as if reduced twice already
    live.request({"learning_rate": 0.2})  # ten times the base rate: ten times the current rate
    records = list(trainer.run())
    assert records[0].learning_rate == pytest.approx(0.05)


@pytest.mark.parametrize("path, value, start", [
    ("l2", 0.01, dict(l2=0.01)),
    ("l1", 0.001, dict(l1=0.001)),
    ("layers[0].dropout_rate", 0.3, dict(layers=(LayerConfig(12, "relu", 0.3), LayerConfig(6, "tanh")))),
])
def test_penalty_and_dropout_changes_equal_a_run_that_started_with_them(path, value, start):
    """A change asked before the first step gives exactly the run configured with the new value."""
    live = LiveSettings()
    live.request({path: value})
    changed = _trainer(_config(), live)
    records = list(changed.run())
    reference = _trainer(_config(**start))
    reference_records = list(reference.run())
    assert np.array_equal(changed.network.flat, reference.network.flat)
    assert records[0].changes == (Change(path, 0.0, value, 0.0),)
    assert live_values(changed.config)[path] == value
    # the training metrics too: with dropout they come from an evaluation pass, as the reference's do
    assert _metrics(records) == _metrics(reference_records)


def _metrics(records) -> list[tuple[float, float, float, float]]:
    return [(r.train_loss, r.train_accuracy, r.val_loss, r.val_accuracy) for r in records]


def _run_with_change(cfg: ExperimentConfig, path: str, value: float, after_steps: int):
    """The records of ``cfg`` with ``path`` set to ``value`` while its ``after_steps``-th step runs."""
    live = LiveSettings()
    trainer = _trainer(cfg, live)
    backward, passes = trainer.network.backward, []

    def counted_backward(*args, **kwargs):
        passes.append(1)
        if len(passes) == after_steps:
            live.request({path: value})
        return backward(*args, **kwargs)

    trainer.network.backward = counted_backward
    return list(trainer.run()), trainer


@pytest.mark.parametrize("into_epoch", [0, 2])
def test_dropout_switched_on_mid_run_scores_training_with_an_evaluation_pass(into_epoch):
    """Dropout 0 -> 0.3 in the second epoch (before its first or its third mini-batch): from that
    epoch on the training loss and accuracy are an evaluation pass's, exactly those of a run that
    scores every epoch so; the first epoch, without dropout, keeps its running metrics."""
    n = _n_batches(_config())
    path = "layers[0].dropout_rate"
    records, changed = _run_with_change(_config(), path, 0.3, n + into_epoch)
    expected, reference = _run_with_change(_config(train_metrics="evaluation"), path, 0.3, n + into_epoch)
    assert np.array_equal(changed.network.flat, reference.network.flat)
    assert records[1].changes == (Change(path, 0.0, 0.3, 1 + into_epoch / n),)
    assert _metrics(records[1:]) == _metrics(expected[1:])
    assert records[0].train_loss != expected[0].train_loss  # running, not evaluated
    assert records[0].val_loss == expected[0].val_loss


def test_dropout_switched_off_returns_to_running_metrics_from_the_next_epoch():
    """Dropout 0.3 -> 0 before the third epoch: the third epoch (which began with dropout) is still
    evaluated, the fourth is scored from its training passes again, as a run without dropout is."""
    start = _config(layers=(LayerConfig(12, "relu", 0.3), LayerConfig(6, "tanh")))
    n, path = _n_batches(start), "layers[0].dropout_rate"
    records, _ = _run_with_change(start, path, 0.0, 2 * n)
    expected, _ = _run_with_change(start.replace(train_metrics="evaluation"), path, 0.0, 2 * n)
    assert records[2].changes == (Change(path, 0.3, 0.0, 2.0),)
    assert _metrics(records[:3]) == _metrics(expected[:3])
    assert records[3].train_loss != expected[3].train_loss and records[3].val_loss == expected[3].val_loss


def test_no_change_leaves_the_run_unchanged():
    plain = _trainer(_config())
    list(plain.run())
    watched = _trainer(_config(), LiveSettings())
    records = list(watched.run())
    assert np.array_equal(plain.network.flat, watched.network.flat)
    assert all(r.changes == () for r in records)


def test_the_last_request_before_a_step_wins_and_unchanged_values_are_not_recorded():
    live = LiveSettings()
    live.request({"learning_rate": 0.5, "l2": 0.0})
    live.request({"learning_rate": 0.05})
    trainer = _trainer(_config(epochs=1), live)
    (record,) = trainer.run()
    assert record.changes == (Change("learning_rate", 0.02, 0.05, 0.0),)


def test_requests_from_another_thread_are_applied():
    live = LiveSettings()
    trainer = _trainer(_config(epochs=3), live)
    records = []
    for record in trainer.run():
        records.append(record)
        if record.epoch == 1:
            thread = threading.Thread(target=live.request, args=({"l2": 0.003},))
            thread.start()
            thread.join()
    assert [r.changes for r in records][1] == (Change("l2", 0.0, 0.003, 1.0),)
    assert trainer.network.l2 == 0.003


def test_only_live_settings_can_be_requested():
    with pytest.raises(ValueError, match="epochs cannot change while training"):
        LiveSettings().request({"epochs": 3})


def test_live_differences():
    cfg = _config()
    assert live_differences(cfg, cfg) == {}
    assert live_differences(cfg, cfg.replace(learning_rate=0.1, l1=0.01)) == {"learning_rate": 0.1, "l1": 0.01}
    dropped = with_values(cfg, {"layers[1].dropout_rate": 0.25})
    assert dropped.layers[1].dropout_rate == 0.25 and dropped.layers[0] == cfg.layers[0]
    assert live_differences(cfg, dropped) == {"layers[1].dropout_rate": 0.25}
    assert live_differences(cfg, cfg.replace(epochs=9)) is None
    assert live_differences(cfg, cfg.replace(learning_rate=0.1, batch_size=8)) is None
    assert live_differences(cfg, cfg.replace(layers=cfg.layers[:1])) is None
    assert Change("layers[1].dropout_rate", 0.0, 0.3, 1.0).label == "dropout 2 0→0.3"
    assert Change("learning_rate", 0.01, 0.1, 1.0).label == "lr 0.01→0.1"


def test_a_dropout_rate_changed_mid_run_is_the_one_the_masks_use():
    """0.3 -> 0.6 after the first epoch: later steps keep 40% of the units, scaled by 1 / 0.4."""
    start = _config(layers=(LayerConfig(12, "relu", 0.3), LayerConfig(6, "tanh")), epochs=3)
    n = _n_batches(start)
    live = LiveSettings()
    trainer = _trainer(start, live)
    net = trainer.network
    backward, masks = net.backward, []

    def watched_backward(*args, **kwargs):
        masks.append(net.layers[0].mask.copy())
        if len(masks) == n:
            live.request({"layers[0].dropout_rate": 0.6})
        return backward(*args, **kwargs)

    net.backward = watched_backward
    list(trainer.run())
    before, after = np.concatenate(masks[:n]), np.concatenate(masks[n:])
    assert np.unique(before) == pytest.approx([0.0, 1 / 0.7])
    assert np.unique(after) == pytest.approx([0.0, 1 / 0.4])
    assert np.mean(after == 0) == pytest.approx(0.6, abs=0.03)
