"""Learning-rate schedules against their formulas, and as the trainer applies them."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnstudio.config import DataConfig, ExperimentConfig, LayerConfig, ScheduleConfig
from nnstudio.data import load_split
from nnstudio.engine import SCHEDULES, Trainer

BASE = 0.2
EPOCHS = 40
CFG = ScheduleConfig(gamma=0.7, step_size=6, patience=3, min_lr=0.01)

# name -> rate at a 0-based epoch, for schedules that depend on the epoch only
FORMULAS = {
    "constant": lambda e: BASE,
    "step": lambda e: max(CFG.min_lr, BASE * CFG.gamma ** (e // CFG.step_size)),
    "exponential": lambda e: max(CFG.min_lr, BASE * CFG.gamma ** e),
    "cosine": lambda e: CFG.min_lr + (BASE - CFG.min_lr) * (1 + math.cos(math.pi * e / EPOCHS)) / 2,
}
FEEDBACK = {"plateau"}  # schedules driven by the validation loss


def test_every_registered_schedule_is_tested():
    assert set(FORMULAS) | FEEDBACK == set(SCHEDULES.names())


@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_rate_matches_formula(name):
    schedule = SCHEDULES[name](BASE, CFG, EPOCHS)
    for epoch in range(EPOCHS + 1):
        assert schedule.rate(epoch) == pytest.approx(FORMULAS[name](epoch), rel=1e-12), epoch
        schedule.observe(1.0)  # a flat loss changes nothing for these


def test_cosine_runs_from_the_base_rate_to_the_floor():
    schedule = SCHEDULES["cosine"](BASE, CFG, EPOCHS)
    assert schedule.rate(0) == pytest.approx(BASE)
    assert schedule.rate(EPOCHS // 2) == pytest.approx((BASE + CFG.min_lr) / 2)
    assert schedule.rate(EPOCHS) == pytest.approx(CFG.min_lr)


def test_plateau_cuts_after_patience_epochs_without_improvement_and_stops_at_the_floor():
    schedule = SCHEDULES["plateau"](BASE, CFG, EPOCHS)
    rates = []
    for loss in [1.0, 0.9, 0.8, 0.85, 0.8, 0.81, 0.79, 0.9, 0.9, 0.9] + [1.0] * 30:
        rates.append(schedule.rate(len(rates)))
        schedule.observe(loss)
    # improvements at epochs 0, 1, 2, 6; three misses (3, 4, 5) cut once, then every 3 misses
    assert rates[:6] == [BASE] * 6
    assert rates[6] == pytest.approx(BASE * 0.7)
    assert rates[7:10] == [pytest.approx(BASE * 0.7)] * 3
    assert rates[10] == pytest.approx(BASE * 0.7 ** 2)
    assert min(rates) == pytest.approx(CFG.min_lr)
    assert all(b <= a for a, b in zip(rates, rates[1:]))


@pytest.mark.parametrize("name", SCHEDULES.names())
def test_every_schedule_explains_its_formula(name):
    assert SCHEDULES[name].formula


def test_trainer_records_the_scheduled_rate_each_epoch():
    split = load_split(DataConfig(name="iris"))
    cfg = ExperimentConfig(data=DataConfig(name="iris"), layers=(LayerConfig(8, "tanh"),), epochs=12,
                           batch_size=32, learning_rate=BASE, optimizer="sgd", early_stopping=False,
                           schedule=ScheduleConfig("step", gamma=0.5, step_size=4))
    rates = [r.learning_rate for r in Trainer(cfg, split, histograms=False).run()]
    np.testing.assert_allclose(rates, [BASE * 0.5 ** (e // 4) for e in range(12)], rtol=1e-12)
