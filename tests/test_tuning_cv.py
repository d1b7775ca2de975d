"""Cross-validated trials: the folds, the objective over folds, pruning across folds, ``--cv``."""

from __future__ import annotations

import json

import numpy as np
import optuna
import pytest
from optuna.distributions import FloatDistribution
from optuna.trial import TrialState, create_trial

from nnstudio.cli import main
from nnstudio.config import ConfigError, DataConfig
from nnstudio.data import DataError, load_split
from nnstudio.data.folds import cv_folds, fold_assignment
from nnstudio.files import save_experiment
from nnstudio.tuning import Objective, TuneSettings, create_study, open_study, run_worker
from nnstudio.tuning.crossval import FOLD_LOSSES_ATTR, FOLD_VALUES_ATTR, fold_step
from tuning_fixtures import iris_config, small_space

optuna.logging.set_verbosity(optuna.logging.ERROR)


def _rows(X) -> set[tuple]:
    return {tuple(np.round(r, 6)) for r in X}


# -- the folds ------------------------------------------------------------------------------

def test_folds_cover_training_and_validation_rows_once_and_never_the_test_rows():
    split = load_split(DataConfig("moons", {"n_samples": 300, "noise": 0.2}))
    folds = cv_folds(split, 5, seed=0)
    raw = lambda X, s: X * s.scaler.scale + s.scaler.mean  # noqa: E731 (undo each fold's scaling)
    held_out = [r for f in folds for r in _rows(raw(f.X_val, f))]
    pool = _rows(np.concatenate([raw(split.X_train, split), raw(split.X_val, split)]))
    assert len(held_out) == len(pool) == len(split.y_train) + len(split.y_val)
    assert set(held_out) == pool  # every row validates in exactly one fold
    assert not pool & _rows(raw(split.X_test, split))
    for f in folds:
        assert len(f.y_test) == 0 and f.X_test.shape == (0, 2)
        assert len(f.y_train) + len(f.y_val) == len(pool)
        assert not _rows(raw(f.X_train, f)) & _rows(raw(f.X_val, f))


def test_classification_folds_are_stratified_and_standardized_on_their_own_training_rows():
    split = load_split(DataConfig("digits"))
    y = np.concatenate([split.y_train, split.y_val])
    folds = cv_folds(split, 5, seed=3)
    for f in folds:
        expected = np.bincount(y, minlength=10) / 5
        assert np.all(np.abs(np.bincount(f.y_val, minlength=10) - expected) <= 1)
        moving = f.X_train.std(axis=0) > 0  # digits has pixels that are always 0
        np.testing.assert_allclose(f.X_train.mean(axis=0), 0, atol=1e-9)
        np.testing.assert_allclose(f.X_train.std(axis=0)[moving], 1, atol=1e-9)
    sizes = [len(f.y_val) for f in folds]
    assert max(sizes) - min(sizes) <= 1


def test_regression_folds_are_plain_k_fold_with_the_target_scaled_per_fold():
    split = load_split(DataConfig("diabetes"))
    folds = cv_folds(split, 4, seed=0)
    sizes = [len(f.y_val) for f in folds]
    assert max(sizes) - min(sizes) <= 1 and sum(sizes) == len(split.y_train) + len(split.y_val)
    for f in folds:
        assert abs(f.y_train.mean()) < 1e-9 and abs(f.y_train.std() - 1) < 1e-9
    targets = np.sort(np.concatenate([f.y_val * f.target_scale + f.target_mean for f in folds]))
    original = np.sort(np.concatenate([split.y_train, split.y_val]) * split.target_scale + split.target_mean)
    np.testing.assert_allclose(targets, original)


def test_fold_assignment_depends_on_the_seed_only():
    y = np.repeat(np.arange(3), 20)
    a, b = fold_assignment(y, 4, 7, True), fold_assignment(y, 4, 7, True)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, fold_assignment(y, 4, 8, True))
    for c in range(3):
        assert sorted(np.bincount(a[y == c], minlength=4)) == [5, 5, 5, 5]


def test_too_few_rows_or_folds_is_a_data_error():
    split = load_split(DataConfig("moons", {"n_samples": 20}))
    assert len(split.y_train) + len(split.y_val) == 16
    assert len(cv_folds(split, 8)) == 8  # 16 rows would do: two per fold
    with pytest.raises(DataError, match="16 training and validation rows are too few for 9 folds"):
        cv_folds(split, 9)
    with pytest.raises(DataError, match="at least 2 folds"):
        cv_folds(split, 1)


# -- settings ----------------------------------------------------------------------------------

@pytest.mark.parametrize("cv", [1, -2, True, 21, 2.5])
def test_bad_fold_counts_are_refused(cv):
    with pytest.raises(ConfigError, match="cv"):
        TuneSettings(cv=cv).validate()


def test_a_study_refuses_more_folds_than_its_rows_allow(tmp_path):
    config = iris_config(data=DataConfig("moons", {"n_samples": 20}))
    with pytest.raises(DataError, match="folds"):
        create_study(f"sqlite:///{tmp_path / 's.db'}", "s", config, small_space(), TuneSettings(cv=9))


# -- the objective over folds -------------------------------------------------------------------

@pytest.fixture
def url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'studies.db'}"


def test_a_cross_validated_trial_is_the_mean_of_its_folds(url):
    settings = TuneSettings(epochs=8, pruner="none", cv=3)
    tuning = create_study(url, "cv", iris_config(), small_space(), settings)
    tuning.set_target(2)
    run_worker(tuning)
    for t in tuning.trials(states=(TrialState.COMPLETE,)):
        values, losses = t.user_attrs[FOLD_VALUES_ATTR], t.user_attrs[FOLD_LOSSES_ATTR]
        assert len(values) == len(losses) == 3
        assert t.value == pytest.approx(np.mean(values))
        assert t.user_attrs["val_loss"] == pytest.approx(np.mean(losses))
        for i in range(3):  # the running mean after each fold, at its own step
            assert t.intermediate_values[fold_step(8, i)] == pytest.approx(np.mean(values[:i + 1]))
        assert "3-fold cross-validation" in t.user_attrs["message"]
    assert len(tuning.trials(states=(TrialState.COMPLETE,))) == 2


def test_fold_values_are_what_training_on_each_fold_gives():
    from nnstudio.engine import Trainer
    from nnstudio.tuning import cached_split

    config = iris_config(epochs=8)
    space = small_space()
    study = optuna.create_study(direction="maximize")
    study.enqueue_trial({"n_layers": 1})
    trial = study.ask()
    value = Objective(config, space, folds=3)(trial)
    study.tell(trial, value)
    frozen = study.trials[0]
    from nnstudio.tuning import config_of_trial

    trained = config_of_trial(frozen)
    expected = []
    for fold in cv_folds(cached_split(trained.data), 3, seed=trained.data.split_seed):
        trainer = Trainer(trained, fold, histograms=False)
        for _ in trainer.run():
            pass
        expected.append(trainer.evaluate(trainer.X_val, fold.y_val)[1])
    assert frozen.user_attrs[FOLD_VALUES_ATTR] == pytest.approx(expected)


def test_the_pruner_can_end_a_trial_between_folds(url):
    settings = TuneSettings(epochs=6, pruner="median", cv=3)
    tuning = create_study(url, "prune", iris_config(), small_space(), settings)
    # Five earlier trials whose running mean was perfect after every fold (and which reported no
    # epochs, so nothing is compared inside the first fold): any real trial is below their median.
    for _ in range(5):
        tuning.study.add_trial(create_trial(
            params={"learning_rate": 0.01}, distributions={"learning_rate": FloatDistribution(1e-3, 0.1, log=True)},
            value=1.0, intermediate_values={fold_step(6, i): 1.0 for i in range(3)}))
    tuning.set_target(6)
    run_worker(tuning, max_trials=1)
    trial = tuning.trials()[-1]
    assert trial.state == TrialState.PRUNED
    assert trial.user_attrs["message"].startswith("Pruned after fold 1 of 3")
    assert len(trial.user_attrs[FOLD_VALUES_ATTR]) == 1  # the other folds never trained


def test_stop_aborts_a_cross_validated_trial():
    calls = {"n": 0}

    def stop() -> bool:  # lets the first fold start, then asks to stop
        calls["n"] += 1
        return calls["n"] > 30

    study = optuna.create_study(direction="maximize")
    objective = Objective(iris_config(epochs=50), small_space(), stop=stop, folds=3)
    study.optimize(objective, n_trials=1, catch=(Exception,))
    trial = study.trials[0]
    assert trial.state == TrialState.FAIL and trial.user_attrs["interrupted"] is True


# -- the command line -------------------------------------------------------------------------

def test_cli_cv_prints_mean_and_spread_and_writes_the_pick(tmp_path, url, capsys):
    config_file = tmp_path / "iris.json"
    save_experiment(config_file, iris_config())
    status = main(["tune", str(config_file), "--trials", "4", "--epochs", "6", "--workers", "1", "--storage", url,
                   "--study", "cli-cv", "--cv", "3", "--pruner", "none", "--output", str(tmp_path / "b.json")])
    text = capsys.readouterr().out
    assert status == 0, text
    tuning = open_study(url, "cli-cv", heartbeat=False)
    best = tuning.best_trial()
    folds = best.user_attrs[FOLD_VALUES_ATTR]
    assert (f"Best trial: #{best.number}, validation accuracy {np.mean(folds):.4f} ± {np.std(folds, ddof=1):.4f} "
            "(mean ± sd over 3 folds)") in text
    pick = tuning.study.user_attrs["best_pick"]
    assert pick["trial"] == best.number and pick["basis"] == "folds" and pick["repeats"] == 3
    assert f"Trial {best.number} has the highest mean validation accuracy over 3 folds" in pick["reason"]
    assert json.dumps(pick)  # plain JSON: optuna-dashboard shows it


def test_cli_refuses_confirm_with_cv(tmp_path, url, capsys):
    config_file = tmp_path / "iris.json"
    save_experiment(config_file, iris_config())
    status = main(["tune", str(config_file), "--trials", "2", "--storage", url, "--cv", "3", "--confirm", "2"])
    assert status == 2
    assert "leave out --confirm" in capsys.readouterr().err


def test_cli_refuses_one_fold(capsys):
    assert main(["tune", "--preset", "digits", "--cv", "1"]) == 2
    assert "--cv must be at least 2" in capsys.readouterr().err
