"""The doctor in tuning: each trial stores its top finding and whether it scored at chance, and a
study where most trials fail for one reason says so, with what to add to the search space."""

from __future__ import annotations

import optuna
import pytest

from nnstudio.presets import load_preset
from nnstudio.tuning import SearchSpace
from nnstudio.tuning.diagnosis import common_failure
from nnstudio.tuning.objective import CHANCE_ATTR, FINDING_ATTR, Objective
from nnstudio.tuning.results import TrialRow, trial_rows


def row(number, state="COMPLETE", finding="", at_chance=False):
    return TrialRow(number, state, state, 0.1, 1.0, {}, finding=finding, at_chance=at_chance)


def test_most_trials_at_chance_for_one_reason_is_said_with_advice():
    rows = [row(i, finding="vanishing_gradients", at_chance=True) for i in range(7)]
    rows += [row(7, finding="saturated_units", at_chance=True), row(8), row(9, state="PRUNED")]
    text = common_failure(rows)
    assert text.startswith("8 of 10 trials scored at chance level, most (7) with vanishing gradients")
    assert "deep sigmoid networks trained with SGD do not learn" in text and "activation" in text


@pytest.mark.parametrize("rows", [
    [row(i, at_chance=i < 2) for i in range(6)],                              # a minority at chance
    [row(i, finding="vanishing_gradients", at_chance=True) for i in range(3)],  # too few trials
    [row(i, state="RUNNING", at_chance=True) for i in range(6)],               # none finished
])
def test_no_sentence_without_a_majority_of_finished_trials_at_chance(rows):
    assert common_failure(rows) is None


def test_the_objective_stores_the_doctors_verdict_on_each_trial():
    base = load_preset("article").replace(epochs=6)
    space = (SearchSpace.default().replace("n_layers", low=6, high=7).replace("hidden_size", low=32, high=40)
             .replace("learning_rate", low=0.3, high=0.6).replace("init_method", choices=("glorot_uniform",)))
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0),
                                pruner=optuna.pruners.NopPruner())
    study.optimize(Objective(base, space), n_trials=4)
    for trial in study.trials:
        assert trial.user_attrs[CHANCE_ATTR] is True
        assert trial.user_attrs[FINDING_ATTR] == "vanishing_gradients"
    assert common_failure(trial_rows(study.trials)).startswith("4 of 4 trials scored at chance level")
