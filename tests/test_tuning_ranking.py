"""Honest ranking: mean ± sd, "tied with best" by paired comparisons, one rule for "best", the pick."""

from __future__ import annotations

import math
import warnings

import numpy as np
import optuna
import pytest

from nnstudio.tuning import CONFIG_ATTR, TuneSettings, config_from_trial, create_study, take_snapshot
from nnstudio.tuning.crossval import FOLD_VALUES_ATTR
from nnstudio.tuning.objective import VAL_LOSS_ATTR
from nnstudio.tuning.ranking import (FOLDS, PICK_ATTR, SEEDS, SINGLE, TIE_ALPHA, entry, paired_p_value, standings,
                                     t_sf)
from tuning_fixtures import iris_config, small_space

optuna.logging.set_verbosity(optuna.logging.ERROR)


# -- the test statistic against exact references -----------------------------------------------

def _sf_df2(t: float) -> float:
    """Student's t with 2 degrees of freedom has a closed form: P(T > t) = 1/2 - t / (2 sqrt(t² + 2))."""
    return 0.5 - t / (2.0 * math.sqrt(t * t + 2.0))


@pytest.mark.parametrize("t", [0.0, 0.5, 1.3, 4.303, 10.0])
def test_t_tail_matches_the_closed_form_for_two_degrees_of_freedom(t):
    assert t_sf(t, 2) == pytest.approx(_sf_df2(t), abs=1e-12)


def test_paired_p_value_is_the_paired_t_test():
    a = np.array([0.95, 0.97, 0.96])
    b = np.array([0.94, 0.95, 0.955])
    d = a - b
    t = d.mean() / (d.std(ddof=1) / math.sqrt(3))
    assert paired_p_value(a, b) == pytest.approx(2 * _sf_df2(t), rel=1e-10)


def test_the_fold_correction_widens_the_variance_by_the_train_overlap():
    a = np.array([0.95, 0.97, 0.96])
    b = np.array([0.94, 0.95, 0.955])
    d = a - b
    # K = 3 folds: n_val / n_train = 1 / (K - 1) = 0.5, so Var = (1/3 + 1/2) s².
    t = d.mean() / math.sqrt((1 / 3 + 0.5) * d.var(ddof=1))
    assert paired_p_value(a, b, overlap=0.5) == pytest.approx(2 * _sf_df2(t), rel=1e-10)
    assert paired_p_value(a, b, overlap=0.5) > paired_p_value(a, b)


def test_identical_differences_are_tied_only_when_zero():
    assert paired_p_value([0.9, 0.8], [0.9, 0.8]) == 1.0
    assert paired_p_value([0.9, 0.8], [0.85, 0.75]) == 0.0
    with pytest.raises(ValueError):
        paired_p_value([0.9], [0.8])


# -- standings ----------------------------------------------------------------------------------

def _fold_entries(table: dict[int, list[float]]) -> list[tuple]:
    return [entry(n, n, float(np.mean(v)), 0.1, None, v, "maximize") for n, v in table.items()]


def test_tied_with_best_over_folds():
    best = [0.97, 0.95, 0.96, 0.98, 0.96]
    table = {0: best,
             1: [0.96, 0.95, 0.97, 0.97, 0.95],  # a little lower, inconsistently: within noise
             2: [0.90, 0.88, 0.89, 0.91, 0.90]}  # lower on every fold by about 0.07: a real difference
    ranks = standings(_fold_entries(table), "maximize")
    assert ranks[0].is_best and not ranks[0].tied
    assert ranks[1].tied and ranks[1].p_value >= TIE_ALPHA
    assert not ranks[2].tied and ranks[2].p_value < TIE_ALPHA
    assert ranks[0].mean == pytest.approx(np.mean(best)) and ranks[0].sd == pytest.approx(np.std(best, ddof=1))
    assert ranks[0].basis == FOLDS and ranks[0].repeats == 5
    assert ranks[0].describe() == f"{np.mean(best):.4f} ± {np.std(best, ddof=1):.4f} (5 folds)"


def test_single_runs_are_tied_only_when_equal():
    entries = [entry(n, n, v, loss, None, (), "maximize") for n, v, loss in
               [(0, 0.98, 0.2), (1, 0.98, 0.1), (2, 0.975, 0.05)]]
    ranks = standings(entries, "maximize")
    assert ranks[1].is_best  # equal values: the lower validation loss
    assert ranks[0].tied and not ranks[2].tied
    assert ranks[0].basis == SINGLE and ranks[0].sd is None


def test_confirmed_trials_compare_over_seeds():
    from nnstudio.tuning.confirm import Confirmation

    def conf(n, values):
        return Confirmation(n, (0, 1, 2), tuple(values), (0.1,) * 3, float(np.mean(values)), 0.1)

    confirmed = {0: conf(0, [0.97, 0.96, 0.97]), 1: conf(1, [0.96, 0.965, 0.97])}
    entries = [entry(n, n, v, 0.1, confirmed.get(n), (), "maximize") for n, v in [(0, 0.97), (1, 0.96), (2, 0.99)]]
    ranks = standings(entries, "maximize")
    assert ranks[0].is_best and ranks[0].basis == SEEDS  # trial 2 is not confirmed, so it does not compete
    assert ranks[1].tied and ranks[1].p_value is not None
    assert not ranks[2].tied and not ranks[2].is_best


# -- one rule, written into the study -----------------------------------------------------------

def _add_cv_trials(tuning, folds_by_trial):
    numbers = []
    for folds in folds_by_trial:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            trial = tuning.study.ask()
        config = config_from_trial(tuning.base, tuning.space, trial)
        trial.set_user_attr(CONFIG_ATTR, config.to_json(indent=None))
        trial.set_user_attr(FOLD_VALUES_ATTR, folds)
        trial.set_user_attr(VAL_LOSS_ATTR, 0.1)
        tuning.study.tell(trial, float(np.mean(folds)))
        numbers.append(trial.number)
    return numbers


def test_table_summary_and_study_name_the_same_best_and_ties(tmp_path):
    tuning = create_study(f"sqlite:///{tmp_path / 's.db'}", "rank", iris_config(), small_space(), TuneSettings(cv=3))
    numbers = _add_cv_trials(tuning, [[0.80, 0.81, 0.79], [0.96, 0.94, 0.95], [0.95, 0.95, 0.94]])
    snapshot = take_snapshot(tuning)
    best = tuning.best_trial()
    assert best.number == numbers[1] == snapshot.best().number
    table = snapshot.standings()
    assert {n for n, s in table.items() if s.tied} == {numbers[2]}
    assert table == tuning.standings()
    record = tuning.record_pick()
    assert tuning.study.user_attrs[PICK_ATTR] == record
    assert record["trial"] == numbers[1] and record["tied_with_best"] == [numbers[2]]
    assert "corrected paired t-test over the 3 folds" in record["reason"]
