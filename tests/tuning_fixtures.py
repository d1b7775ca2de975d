"""Small configs and search spaces shared by the tuning tests (quick to train)."""

import warnings

from nnstudio.config import DataConfig, ExperimentConfig, LayerConfig
from nnstudio.tuning import SearchSpace


def iris_config(**changes) -> ExperimentConfig:
    base = ExperimentConfig(name="iris", data=DataConfig("iris"), batch_size=32, patience=5,
                            layers=(LayerConfig(8, "tanh"),))
    return base.replace(**changes)


def small_space() -> SearchSpace:
    return SearchSpace().replace("n_layers", low=1, high=2).replace("hidden_size", low=4, high=12)


def add_scored_trials(tuning, scores) -> list[int]:
    """Add COMPLETE trials to ``tuning`` (a TuningStudy) without training: one per ``(value,
    val_loss)`` in ``scores``, each with a real config drawn from the study's space and, unless
    ``val_loss`` is None, the validation loss the objective would store.  Their trial numbers."""
    from nnstudio.tuning import CONFIG_ATTR, config_from_trial
    from nnstudio.tuning.objective import VAL_LOSS_ATTR

    numbers = []
    for value, val_loss in scores:
        with warnings.catch_warnings():  # ask() on a store with heartbeats expects optimize()
            warnings.simplefilter("ignore", UserWarning)
            trial = tuning.study.ask()
        config = config_from_trial(tuning.base, tuning.space, trial)
        trial.set_user_attr(CONFIG_ATTR, config.to_json(indent=None))
        if val_loss is not None:
            trial.set_user_attr(VAL_LOSS_ATTR, val_loss)
        tuning.study.tell(trial, value)
        numbers.append(trial.number)
    return numbers
