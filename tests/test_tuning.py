"""The tuning core without storage: search space, trial -> config mapping, the objective."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import optuna
import pytest
from optuna.trial import FixedTrial, TrialState

from nnstudio.config import DataConfig, ExperimentConfig, LayerConfig
from nnstudio.engine import ARTICLE_TUNED_INITS, INITIALIZERS, Trainer
from nnstudio.tuning import (CONFIG_ATTR, Objective, SearchSpace, SpaceError, TrialInterrupted, best_row, best_trial,
                             cached_split, config_from_params, config_from_trial, config_of_trial, rank_key,
                             trial_rows)
from nnstudio.tuning.space import DIMENSIONS

optuna.logging.set_verbosity(optuna.logging.ERROR)


def iris_config(**changes) -> ExperimentConfig:
    base = ExperimentConfig(name="iris", data=DataConfig("iris"), epochs=12, batch_size=32, patience=5,
                            layers=(LayerConfig(16, "tanh"),))
    return base.replace(**changes)


def small_space(**enabled) -> SearchSpace:
    """The article's space with narrow ranges so trials are fast."""
    space = SearchSpace().replace("n_layers", low=1, high=2).replace("hidden_size", low=4, high=12)
    for name, on in enabled.items():
        space = space.replace(name, enabled=on)
    return space


def in_memory_study(**kwargs) -> optuna.Study:
    return optuna.create_study(direction="maximize", **kwargs)


# -- search space --------------------------------------------------------------------------

def test_default_space_is_the_articles():
    space = SearchSpace()
    expect = {"n_layers": (1, 10, False), "hidden_size": (32, 128, False), "dropout_rate": (0.0, 0.5, False),
              "learning_rate": (1e-3, 1e-1, True)}
    for name, (low, high, log) in expect.items():
        d = space[name]
        assert (d.enabled, d.low, d.high, d.log) == (True, low, high, log), name
    assert space["init_method"].choices == ARTICLE_TUNED_INITS and len(ARTICLE_TUNED_INITS) == 5
    assert space["clip_type"].choices == ("value", "norm")
    clip = space["clip_value"]
    assert clip.enabled and clip.log and clip.low > 0
    assert {d.name for d in space.enabled()} == {"n_layers", "hidden_size", "dropout_rate", "learning_rate",
                                                 "init_method", "clip_type", "clip_value"}
    assert space.problems() == {}


def test_json_round_trip_keeps_every_setting():
    space = (SearchSpace().replace("learning_rate", low=1e-4, high=0.5).replace("n_layers", low=2, high=4)
             .replace("optimizer", enabled=True, choices=("adam", "rmsprop")).replace("batch_norm", enabled=True)
             .replace("batch_size", enabled=True, choices=(0, 16)).replace("l2", enabled=True, low=1e-5, high=1e-3)
             .replace("clip_type", enabled=False))
    text = space.to_json()
    again = SearchSpace.from_json(text)
    assert again == space
    assert json.loads(again.to_json()) == json.loads(text)
    assert again["batch_norm"].choices == (False, True)


def test_from_dict_fills_missing_dimensions_with_defaults():
    space = SearchSpace.from_dict({"dimensions": {"dropout_rate": {"enabled": False}}})
    assert not space["dropout_rate"].enabled
    assert space["n_layers"] == SearchSpace()["n_layers"]


@pytest.mark.parametrize("name, changes, fragment", [
    ("n_layers", {"low": 5, "high": 5}, "below high"),
    ("n_layers", {"low": 0}, "low must be >= 1"),
    ("n_layers", {"low": 1.5}, "integer"),
    ("learning_rate", {"low": 0.0, "log": False}, "low must be > 0"),
    ("dropout_rate", {"high": 1.0}, "high must be < 1"),
    ("dropout_rate", {"low": 0.0, "log": True}, "log range needs low > 0"),
    ("clip_value", {"low": 0.0, "log": False}, "low must be > 0"),
    ("l2", {"enabled": True, "low": 0.0}, "log range needs low > 0"),
    ("init_method", {"choices": ("he_normal", "magic")}, "unknown magic"),
    ("clip_type", {"choices": ()}, "at least one"),
    ("optimizer", {"enabled": True, "choices": ("adam", "adam")}, "twice"),
    ("batch_size", {"enabled": True, "choices": (32, -1)}, "not a batch size"),
    ("batch_norm", {"enabled": True, "choices": (True, "yes")}, "true or false"),
])
def test_invalid_dimensions_are_reported_by_name(name, changes, fragment):
    space = SearchSpace().replace(name, **changes)
    problems = space.problems()
    assert list(problems) == [name]
    assert fragment in problems[name]
    with pytest.raises(SpaceError, match=name):
        space.validate()


def test_unknown_choice_message_lists_the_registry():
    problem = SearchSpace().replace("init_method", choices=("nope",)).problems()["init_method"]
    for valid in INITIALIZERS.names():
        assert valid in problem


def test_disabled_dimensions_are_not_validated():
    space = SearchSpace().replace("l2", enabled=False, low=5.0, high=1.0)
    assert space.problems() == {}


@pytest.mark.parametrize("text, fragment", [
    ("{", "not valid JSON"),
    ('{"dimensions": {"depth": {}}}', "unknown dimension"),
    ('{"dimensions": {"n_layers": {"lo": 1}}}', "unknown key 'lo'"),
    ('{"dimensions": {"n_layers": {"low": 3, "high": 2}}}', "below high"),
    ('{"dimensions": []}', "dimensions"),
    ('{"schema_version": 99, "dimensions": {}}', "not supported"),
])
def test_from_json_rejects_bad_files(text, fragment):
    with pytest.raises(SpaceError, match=fragment):
        SearchSpace.from_json(text)


def test_every_dimension_has_help_and_a_valid_default():
    for name, spec in DIMENSIONS.items():
        assert spec.help and spec.label
        assert spec.default().problem() == "", name


def test_clip_value_is_never_zero():
    space = SearchSpace().replace("clip_type", choices=("value", "norm"))
    study = in_memory_study(sampler=optuna.samplers.RandomSampler(seed=1))
    base = iris_config()
    values = []
    for _ in range(300):
        trial = study.ask()
        values.append(config_from_trial(base, space, trial).grad_clip)
        study.tell(trial, 0.0)
    assert min(values) >= space["clip_value"].low > 0
    assert max(values) <= space["clip_value"].high


# -- trial -> config -------------------------------------------------------------------------

ARTICLE_PARAMS = {"n_layers": 3, "dropout_rate": 0.25, "hidden_size_0": 40, "hidden_size_1": 50,
                  "hidden_size_2": 60, "learning_rate": 0.01, "init_method": "glorot_normal",
                  "clip_type": "norm", "clip_value": 0.5}


def test_config_from_trial_maps_the_articles_parameters():
    base = iris_config(layers=(LayerConfig(16, "sigmoid", 0.0, False),))
    cfg = config_from_trial(base, SearchSpace(), FixedTrial(ARTICLE_PARAMS, 7))
    assert cfg.layer_sizes == (40, 50, 60)
    assert {l.dropout_rate for l in cfg.layers} == {0.25}
    assert {l.activation for l in cfg.layers} == {"sigmoid"}  # extra layers copy the base's last layer
    assert (cfg.learning_rate, cfg.init_method, cfg.clip_type, cfg.grad_clip) == (0.01, "glorot_normal", "norm", 0.5)
    assert cfg.name == "iris trial 7"
    assert cfg.replace(name=base.name, layers=base.layers, learning_rate=base.learning_rate,
                       init_method=base.init_method, clip_type=base.clip_type, grad_clip=base.grad_clip) == base


def test_optional_dimensions_set_their_fields():
    space = SearchSpace()
    for name in ("optimizer", "batch_size", "activation", "l2", "batch_norm"):
        space = space.replace(name, enabled=True)
    params = dict(ARTICLE_PARAMS, optimizer="momentum", batch_size=128, activation="relu", l2=1e-4,
                  batch_norm=True)
    cfg = config_from_params(iris_config(), space, params)
    assert (cfg.optimizer, cfg.batch_size, cfg.l2) == ("momentum", 128, 1e-4)
    assert all(l.activation == "relu" and l.batch_norm for l in cfg.layers)


def test_no_clip_value_is_drawn_without_clipping():
    space = SearchSpace().replace("clip_type", choices=("none", "value"))
    params = {k: v for k, v in ARTICLE_PARAMS.items() if k != "clip_value"} | {"clip_type": "none"}
    base = iris_config(grad_clip=3.0)
    study = in_memory_study()
    study.enqueue_trial(params)
    trial = study.ask()
    cfg = config_from_trial(base, space, trial)
    assert cfg.clip_type == "none" and cfg.grad_clip == 3.0
    assert "clip_value" not in trial.params


def test_disabled_depth_keeps_the_base_layers():
    base = iris_config(layers=(LayerConfig(8, "relu"), LayerConfig(6, "tanh")))
    space = SearchSpace().replace("n_layers", enabled=False)
    params = {"hidden_size_0": 33, "hidden_size_1": 44, "dropout_rate": 0.1, "learning_rate": 0.01,
              "init_method": "he_normal", "clip_type": "value", "clip_value": 1.0}
    cfg = config_from_params(base, space, params)
    assert cfg.layer_sizes == (33, 44)
    assert [l.activation for l in cfg.layers] == ["relu", "tanh"]


def test_live_trial_and_replayed_params_give_the_same_config():
    space = SearchSpace().replace("batch_norm", enabled=True).replace("l2", enabled=True)
    base = iris_config()
    study = in_memory_study(sampler=optuna.samplers.RandomSampler(seed=3))
    for _ in range(20):
        trial = study.ask()
        live = config_from_trial(base, space, trial)
        study.tell(trial, 0.0)
        frozen = study.trials[-1]
        assert config_from_params(base, space, frozen.params, frozen.number) == live


# -- the objective -------------------------------------------------------------------------------

class AlwaysPrune(optuna.pruners.BasePruner):
    def prune(self, study, trial) -> bool:
        return True


def test_objective_records_config_and_reports_each_interval():
    base = iris_config(epochs=12)
    study = in_memory_study(sampler=optuna.samplers.RandomSampler(seed=0), pruner=optuna.pruners.NopPruner())
    study.optimize(Objective(base, small_space()), n_trials=1)
    trial = study.trials[0]
    assert trial.state == TrialState.COMPLETE
    config = config_of_trial(trial)
    assert config == config_from_params(base, small_space(), trial.params, trial.number)
    steps = sorted(trial.intermediate_values)
    assert steps and steps == sorted(set(steps)) and steps[-1] <= base.epochs
    assert all(0.0 <= v <= 1.0 for v in trial.intermediate_values.values())


def test_objective_value_is_the_retrained_validation_accuracy():
    """Load best: training the stored config with its seed reproduces the trial's value."""
    base = iris_config(epochs=15)
    study = in_memory_study(sampler=optuna.samplers.RandomSampler(seed=5), pruner=optuna.pruners.NopPruner())
    study.optimize(Objective(base, small_space()), n_trials=3)
    best = study.best_trial
    config = ExperimentConfig.from_json(best.user_attrs[CONFIG_ATTR])
    trainer = Trainer(config, cached_split(config.data), histograms=False)
    for _ in trainer.run():
        pass
    loss, accuracy = trainer.evaluate(trainer.X_val, trainer.split.y_val)
    assert accuracy == best.value
    # the validation loss that ranks equal values is that of the same (restored) parameters
    assert best.user_attrs["val_accuracy"] == best.value
    assert best.user_attrs["val_loss"] == pytest.approx(loss, rel=1e-6)


def test_objective_never_reads_the_test_split():
    base = iris_config(epochs=10)
    split = cached_split(base.data)
    rng = np.random.default_rng(0)
    garbage = dataclasses.replace(split, X_test=rng.normal(1e3, 1e3, split.X_test.shape),
                                  y_test=rng.permutation(split.y_test))
    params = {"n_layers": 1, "hidden_size_0": 8, "dropout_rate": 0.1, "learning_rate": 0.02,
              "init_method": "he_normal", "clip_type": "value", "clip_value": 1.0}
    values = []
    for s in (split, garbage):
        study = in_memory_study(pruner=optuna.pruners.NopPruner())
        study.enqueue_trial(params)
        study.optimize(Objective(base, small_space(), split=s), n_trials=1)
        values.append((study.trials[0].value, study.trials[0].intermediate_values))
    assert values[0] == values[1]


def test_pruned_trial_keeps_its_curve_and_says_why():
    study = in_memory_study(pruner=AlwaysPrune())
    study.optimize(Objective(iris_config(epochs=12), small_space()), n_trials=2)
    for trial in study.trials:
        assert trial.state == TrialState.PRUNED
        assert len(trial.intermediate_values) == 1
        assert "Pruned at epoch" in trial.user_attrs["message"]


def test_diverging_trial_is_pruned_and_the_study_goes_on():
    base = iris_config(optimizer="sgd", init_method="random", layers=(LayerConfig(64, "relu"),) * 3, epochs=8)
    space = SearchSpace()
    for name in ("n_layers", "hidden_size", "dropout_rate", "init_method", "clip_type", "clip_value"):
        space = space.replace(name, enabled=False)
    space = space.replace("learning_rate", low=5.0, high=9.0)
    study = in_memory_study(pruner=optuna.pruners.NopPruner())
    study.enqueue_trial({"learning_rate": 9.0})
    study.optimize(Objective(base.replace(clip_type="none"), space), n_trials=1)
    sane = space.replace("learning_rate", low=0.001, high=0.01)
    study.optimize(Objective(base.replace(init_method="he_normal"), sane), n_trials=1)
    diverged, ok = study.trials
    assert diverged.state == TrialState.PRUNED and diverged.user_attrs["diverged"] is True
    assert "diverged" in diverged.user_attrs["message"]
    assert ok.state == TrialState.COMPLETE and math.isfinite(ok.value)


def test_stop_aborts_the_trial_as_fail_not_running():
    calls = {"n": 0}

    def stop() -> bool:
        calls["n"] += 1
        return calls["n"] > 5  # a few mini-batches into the first epoch

    study = in_memory_study()
    study.optimize(Objective(iris_config(), small_space(), stop=stop), n_trials=1, catch=(TrialInterrupted,))
    (trial,) = study.trials
    assert trial.state == TrialState.FAIL
    assert trial.user_attrs["interrupted"] is True


def test_loss_metric_minimizes_validation_loss():
    base = iris_config(epochs=10)
    study = optuna.create_study(direction="minimize", pruner=optuna.pruners.NopPruner(),
                                sampler=optuna.samplers.RandomSampler(seed=2))
    study.optimize(Objective(base, small_space(), metric="loss"), n_trials=1)
    trial = study.trials[0]
    config = config_of_trial(trial)
    trainer = Trainer(config, cached_split(config.data), histograms=False)
    for _ in trainer.run():
        pass
    loss, _ = trainer.evaluate(trainer.X_val, trainer.split.y_val)
    assert trial.value == pytest.approx(loss, rel=1e-6)


# -- which trial is best ---------------------------------------------------------------------------

def scored_study(direction: str, scores) -> optuna.Study:
    """A study of COMPLETE trials with the given (value, val_loss) and a stored config each."""
    study = optuna.create_study(direction=direction)
    for value, val_loss in scores:
        attrs = {CONFIG_ATTR: iris_config().to_json(indent=None)}
        if val_loss is not None:
            attrs["val_loss"] = val_loss
        study.add_trial(optuna.trial.create_trial(value=value, user_attrs=attrs))
    return study


def test_equal_accuracies_are_ranked_by_validation_loss():
    # trials 0, 1 and 3 tie at the top; 1 has the lowest validation loss; 2 has the lowest loss overall
    study = scored_study("maximize", [(1.0, 0.30), (1.0, 0.05), (0.99, 0.01), (1.0, 0.20)])
    assert study.best_trial.number == 0  # Optuna's own pick: the first of the equal values
    assert best_trial(study.trials, "maximize").number == 1
    assert best_row(trial_rows(study.trials), "maximize").number == 1
    ranked = sorted(study.trials, key=lambda t: rank_key("maximize", t.value, t.user_attrs.get("val_loss"), t.number))
    assert [t.number for t in ranked] == [1, 3, 0, 2]


def test_ties_without_a_validation_loss_fall_back_to_the_earliest_trial():
    # a study from before the loss was stored: no trial has one, so the earliest of the equal values wins;
    # a trial that has one ranks ahead of the tied trials that do not
    assert best_trial(scored_study("maximize", [(0.9, None), (1.0, None), (1.0, None)]).trials, "maximize").number == 1
    assert best_trial(scored_study("maximize", [(1.0, None), (1.0, 0.4)]).trials, "maximize").number == 1
    assert best_trial(scored_study("maximize", [(1.0, float("nan")), (1.0, 0.4)]).trials, "maximize").number == 1


def test_minimized_values_rank_lowest_first_and_skip_unfinished_trials():
    study = scored_study("minimize", [(0.5, 0.5), (0.2, 0.2), (0.2, 0.2), (0.7, 0.7)])
    study.add_trial(optuna.trial.create_trial(state=TrialState.PRUNED, intermediate_values={1: 0.01}))
    study.add_trial(optuna.trial.create_trial(state=TrialState.FAIL))
    assert best_trial(study.trials, "minimize").number == 1
    assert best_row(trial_rows(study.trials), "minimize").number == 1
    assert best_trial([t for t in study.trials if t.state != TrialState.COMPLETE], "minimize") is None


def test_table_rows_carry_the_validation_loss_of_complete_trials_only():
    study = scored_study("maximize", [(1.0, 0.25)])
    study.add_trial(optuna.trial.create_trial(state=TrialState.PRUNED, intermediate_values={3: 0.5},
                                              user_attrs={"val_loss": 0.1}))
    rows = trial_rows(study.trials)
    assert [r.val_loss for r in rows] == [0.25, None]
