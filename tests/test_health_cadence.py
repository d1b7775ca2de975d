"""Health measures at a cadence: which records carry them, what the others still carry, and how
the doctor reads a run whose latest record has none."""

from __future__ import annotations

import math

import pytest

from nnstudio.data import load_split
from nnstudio.engine import Trainer
from nnstudio.engine import diagnostics
from nnstudio.engine.diagnostics import HEALTH_FIRST_EPOCHS, HEALTH_MAX_STRIDE, HEALTH_MAX_WAIT, HEALTH_SPREAD, \
    distinct_units, health_stride
from nnstudio.engine.doctor import Doctor
from nnstudio.engine.rules import HEALTH_CODES
from nnstudio.presets import load_preset

MOONS_FULL = load_preset("moons").replace(batch_size=0, early_stopping=False, epochs=120)


@pytest.fixture(autouse=True, scope="module")
def one_blas_thread():
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


@pytest.fixture
def every_stride(monkeypatch):
    """No time budget: every stride-th epoch is measured, so which ones is known in advance."""
    monkeypatch.setattr(diagnostics, "HEALTH_SHARE", math.inf)


def _monitor():
    cfg = MOONS_FULL.replace(epochs=1)
    return Trainer(cfg, load_split(cfg.data), histograms=False).monitor


def test_the_first_epochs_and_every_stride_th_are_measured_within_the_budget():
    assert [health_stride(n) for n in (1, 50, 51, 120, 500, 5000)] == [1, 1, 2, 3, 10, HEALTH_MAX_STRIDE]
    monitor = _monitor()
    measured = [e for e in range(1, 501) if monitor.due(e, 500, elapsed=e * 0.01)]
    assert measured[:HEALTH_FIRST_EPOCHS + 2] == list(range(1, HEALTH_FIRST_EPOCHS + 1)) + [20, 30]
    assert measured[-1] == 500 and len(measured) == HEALTH_FIRST_EPOCHS + 49  # 20, 30, ..., 500


def test_over_budget_the_first_last_evenly_spread_and_a_measure_per_max_wait_remain():
    assert HEALTH_MAX_WAIT == 1.0 and HEALTH_SPREAD == 10
    monitor = _monitor()
    monitor.seconds = 100.0  # the measures took 100 s of CPU time: far above the share of training time
    first = list(range(1, HEALTH_FIRST_EPOCHS + 1))
    # a second is 10 epochs: no wait reaches a second between the evenly spread measures
    assert [e for e in range(1, 101) if monitor.due(e, 100, elapsed=e / 10)] == first + list(range(20, 101, 10))
    monitor = _monitor()
    monitor.seconds = 100.0
    # a second is 4 epochs: a measure on the stride (2) once the last one is a second old
    due = [e for e in range(1, 101) if monitor.due(e, 100, elapsed=e / 4)]
    assert due[:16] == first + [14, 18, 20, 24, 28, 30] and due[-1] == 100


def test_records_carry_health_in_the_first_last_and_every_stride_th_epoch(every_stride):
    split = load_split(MOONS_FULL.data)
    trainer = Trainer(MOONS_FULL, split, histograms=False)
    records = list(trainer.run())
    measured = [r.epoch for r in records if r.health is not None]
    assert measured == list(range(1, 11)) + list(range(12, 121, 3))
    # a measured epoch sampled its own optimizer step: every layer has an update ratio
    assert all(math.isfinite(h.update_ratio) for r in records if r.health for h in r.health.layers)
    # every record still counts its distinct units, and the last count is the exact one
    assert all(len(r.distinct_units) == 2 for r in records)
    net = trainer.network
    assert records[-1].distinct_units == tuple(distinct_units(layer.W, layer.b) for layer in net.layers[:-1])


def test_measuring_health_every_few_epochs_does_not_change_training():
    split = load_split(MOONS_FULL.data)
    on = list(Trainer(MOONS_FULL.replace(epochs=40), split, histograms=False).run())
    off = list(Trainer(MOONS_FULL.replace(epochs=40), split, histograms=False, diagnostics=False).run())
    assert [r.val_loss for r in on] == [r.val_loss for r in off]
    assert [r.distinct_units for r in on] == [r.distinct_units for r in off]


def test_the_epoch_early_stopping_ends_on_is_measured():
    cfg = load_preset("moons").replace(patience=5, epochs=400)
    trainer = Trainer(cfg, load_split(cfg.data), histograms=False)
    records = list(trainer.run())
    assert trainer.summary.stop_reason == "early_stopping" and records[-1].epoch < 400
    last = records[-1]
    assert last.epoch % health_stride(400) and last.health is not None  # not on the stride, yet measured
    assert records[-2].health is None


def test_between_measurements_the_doctor_keeps_health_findings_and_names_the_measured_epoch(every_stride):
    cfg = load_preset("article").replace(init_method="zeros", epochs=60, early_stopping=False)
    split = load_split(cfg.data)
    trainer = Trainer(cfg, split, histograms=False)
    doctor = Doctor(cfg, split)
    seen = {}
    for record in trainer.run():
        findings = doctor.observe(record)
        seen[record.epoch] = (record.health is not None, {f.code: f for f in findings})
        if record.epoch == 15:
            break
    assert [e for e, (measured, _) in seen.items() if measured] == list(range(1, 11)) + [12, 14]
    for epoch, (measured, found) in seen.items():
        assert "identical_units" in found, epoch  # zeros init: every unit the same, measured or not
        evidence = found["identical_units"].evidence_dict()
        assert evidence["measured_at_epoch"] == (epoch if measured else epoch - 1)
        assert found["identical_units"].epoch == 1  # one streak since epoch 1
        assert all("measured_at_epoch" not in f.evidence_dict() for code, f in found.items()
                   if code not in HEALTH_CODES)
