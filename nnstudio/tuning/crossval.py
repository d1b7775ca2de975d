"""Cross-validated trials: one trial trains its config once per fold and is scored by the mean.

With a few hundred validation rows, one hold-out split cannot tell good configs apart (one
error is 0.4 % of digits' validation split).  With ``TuneSettings.cv = K`` every trial trains
``K`` times, fold ``i`` early-stopping on and scored by part ``i`` of the training +
validation rows (:func:`~nnstudio.data.folds.cv_folds`, stratified; the test rows are never
used).  The trial's value is the mean of its fold values; the values themselves are stored as
the user attribute ``fold_values`` (``fold_val_losses`` for the losses), and ``val_loss`` /
``val_accuracy`` hold the means.

Pruning: the first fold reports its validation metric at every report interval, as a
single-split trial does (steps ``1 .. epochs``); after each fold the trial reports the running
mean of its fold values at step ``epochs + fold`` and the pruner may end it there, so a config
that is clearly worse after two folds does not train the other three.

The folds of one trial run one after another in the worker process that runs the trial:
with one worker per core the cores are already busy with other trials, so running a trial's
folds in parallel would not finish a study sooner.
"""

from __future__ import annotations

import math

import numpy as np
import optuna

from ..config import DataConfig, ExperimentConfig
from ..data import Split
from ..data.folds import cv_folds
from ..engine import Trainer
from .attrs import EPOCHS_ATTR, FOLD_LOSSES_ATTR, FOLD_VALUES_ATTR, MESSAGE_ATTR, VAL_ACCURACY_ATTR
from .ranking import VAL_LOSS_ATTR

_FOLDS: dict[tuple[DataConfig, int], tuple[Split, ...]] = {}
_MAX_CACHED = 4


def cached_folds(split: Split, data: DataConfig, k: int) -> tuple[Split, ...]:
    """The ``k`` folds of ``split`` (the split of ``data``), cut once per process."""
    key = (data, k)
    if key not in _FOLDS:
        if len(_FOLDS) >= _MAX_CACHED:
            _FOLDS.pop(next(iter(_FOLDS)))
        _FOLDS[key] = tuple(cv_folds(split, k, seed=data.split_seed, standardize=data.standardize))
    return _FOLDS[key]


def fold_step(epochs: int, fold: int) -> int:
    """The step at which the running mean after fold ``fold`` (0-based) is reported."""
    return epochs + fold + 1


def fold_values(trial) -> tuple[float, ...]:
    """A trial's stored fold values (FrozenTrial or TrialRow-like ``user_attrs``); () when none."""
    raw = trial.user_attrs.get(FOLD_VALUES_ATTR) if hasattr(trial, "user_attrs") else None
    if not isinstance(raw, (list, tuple)):
        return ()
    out = []
    for v in raw:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            return ()
        out.append(float(v))
    return tuple(out)


def cross_validate(objective, trial: optuna.Trial, config: ExperimentConfig, k: int) -> float:
    """Train ``config`` on each of the ``k`` folds for ``trial``; the mean validation metric.

    ``objective`` is the :class:`~nnstudio.tuning.objective.Objective` whose stop flag, metric
    and reporting are used.  Raises like the single-split objective: ``TrialPruned`` (pruned
    or diverged), :class:`~nnstudio.tuning.objective.TrialInterrupted` (stopped).
    """
    folds = cached_folds(objective.split_for(config), config.data, k)
    values: list[float] = []
    losses: list[float] = []
    accuracies: list[float] = []
    epochs: list[int] = []
    for i, split in enumerate(folds):
        trainer = Trainer(config, split, histograms=False)
        pruned_at = objective.train(trial, trainer, report=i == 0, diagnose=i == 0)  # the doctor watches fold 1
        summary = trainer.summary
        epochs.append(summary.epochs_run)
        trial.set_user_attr(EPOCHS_ATTR, epochs)
        where = f"Fold {i + 1} of {k}: "
        objective.check_ending(trial, summary, pruned_at, where)
        loss, accuracy = trainer.evaluate(trainer.X_val, split.y_val, trainer.Y_val)
        value = objective.metric.from_evaluation(loss, accuracy)
        if not math.isfinite(value):
            objective.diverged(trial, f"{where}the validation {objective.metric.name} is {value}.")
        values.append(float(value))
        losses.append(float(loss))
        accuracies.append(float(accuracy))
        trial.set_user_attr(FOLD_VALUES_ATTR, values)
        trial.set_user_attr(FOLD_LOSSES_ATTR, losses)
        mean = float(np.mean(values))
        trial.report(mean, fold_step(objective.base.epochs, i))
        if i < k - 1 and trial.should_prune():
            message = (f"Pruned after fold {i + 1} of {k}: the mean so far ({mean:.4f}) is worse than the "
                       "pruner's threshold.")
            trial.set_user_attr(MESSAGE_ATTR, message)
            raise optuna.TrialPruned(message)
    if all(math.isfinite(v) for v in losses):
        trial.set_user_attr(VAL_LOSS_ATTR, float(np.mean(losses)))
    if all(math.isfinite(v) for v in accuracies):
        trial.set_user_attr(VAL_ACCURACY_ATTR, float(np.mean(accuracies)))
    sd = float(np.std(values, ddof=1))
    trial.set_user_attr(MESSAGE_ATTR, f"{k}-fold cross-validation: {objective.metric.label} "
                                      f"{float(np.mean(values)):.4f} ± {sd:.4f} (sd over folds).")
    return float(np.mean(values))


__all__ = ["FOLD_LOSSES_ATTR", "FOLD_VALUES_ATTR", "cached_folds", "cross_validate", "fold_step", "fold_values"]
