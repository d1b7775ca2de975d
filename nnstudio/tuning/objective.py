"""From a trial to a trained network and a validation score.

:func:`config_from_trial` is the one mapping from an Optuna trial to a full
:class:`~nnstudio.config.ExperimentConfig`; the objective uses it with a live trial and
"load best" with the stored parameters (``optuna.trial.FixedTrial``).  Every trial also keeps
its full config as the user attribute ``"config"`` (JSON), so it can be retrained exactly.

The objective scores the *validation* split only: the test split is never looked at while
tuning, so the best value is not biased by the choice itself.  Test metrics are computed once,
for the chosen config, by :func:`evaluate_on_test`.
"""

from __future__ import annotations

import functools
import math
import os
import socket
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np
import optuna

from ..config import ConfigError, DataConfig, ExperimentConfig, LayerConfig
from ..data import CLASSIFICATION, DataError, Split, load_split
from ..engine import STOP_USER, Trainer, TrainingSummary
from ..engine.doctor import Doctor
from ..engine.findings import top_finding
from ..registry import Registry
from .ranking import VAL_LOSS_ATTR, best_ranked, best_trial, rank_key, trial_val_loss  # noqa: F401 (re-exported)
from .space import SearchSpace

from .attrs import (CHANCE_ATTR, CONFIG_ATTR, DIVERGED_ATTR, EPOCHS_ATTR, FINDING_ATTR,  # noqa: F401
                    INTERRUPTED_ATTR, MESSAGE_ATTR, VAL_ACCURACY_ATTR, WORKER_ATTR)
from .crossval import cross_validate


class TrialInterrupted(Exception):
    """Raised by the objective when a stop request aborts a trial; the trial ends as FAIL."""


@dataclass(frozen=True)
class Metric:
    """A validation metric the study optimizes."""

    name: str
    direction: str                              # "maximize" or "minimize"
    label: str
    from_record: Callable[[Any], float]         # EpochRecord -> value, reported per epoch
    from_evaluation: Callable[[float, float], float]  # (loss, accuracy) -> value
    classification_only: bool = False


METRICS: Registry[Metric] = Registry("metric")
METRICS.register("accuracy", Metric("accuracy", "maximize", "validation accuracy",
                                    lambda r: r.val_accuracy, lambda loss, acc: acc, classification_only=True))
METRICS.register("loss", Metric("loss", "minimize", "validation loss",
                                lambda r: r.val_loss, lambda loss, acc: loss))


def default_metric(task: str) -> str:
    """Accuracy for classification, loss for regression."""
    return "accuracy" if task == CLASSIFICATION else "loss"


def worker_id() -> str:
    """``host:pid`` of this process, stored on each trial it runs."""
    return f"{socket.gethostname()}:{os.getpid()}"


# -- trial -> config --------------------------------------------------------------------

def _suggest(trial, space: SearchSpace, name: str, param: str | None = None):
    """Draw dimension ``name`` as parameter ``param`` (default: the dimension's name)."""
    d = space[name]
    param = param or name
    kind = d.spec.kind
    if kind == "int":
        return trial.suggest_int(param, int(d.low), int(d.high), log=d.log)
    if kind == "float":
        return trial.suggest_float(param, float(d.low), float(d.high), log=d.log)
    return trial.suggest_categorical(param, list(d.choices))


def _template_layer(base: ExperimentConfig, i: int) -> LayerConfig:
    """The base layer that layer ``i`` copies: itself, or the last one for extra layers."""
    if not base.layers:
        return LayerConfig()
    return base.layers[min(i, len(base.layers) - 1)]


def _layers_from_trial(base: ExperimentConfig, space: SearchSpace, trial) -> tuple[LayerConfig, ...]:
    on = space.is_enabled
    n_layers = _suggest(trial, space, "n_layers") if on("n_layers") else len(base.layers)
    shared: dict[str, Any] = {}
    if on("dropout_rate") and n_layers:
        shared["dropout_rate"] = _suggest(trial, space, "dropout_rate")
    if on("activation") and n_layers:
        shared["activation"] = _suggest(trial, space, "activation")
    if on("batch_norm") and n_layers:
        shared["batch_norm"] = _suggest(trial, space, "batch_norm")
    layers = []
    for i in range(n_layers):
        layer = _template_layer(base, i)
        units = _suggest(trial, space, "hidden_size", f"hidden_size_{i}") if on("hidden_size") else layer.units
        layers.append(LayerConfig(units=units, activation=shared.get("activation", layer.activation),
                                  dropout_rate=shared.get("dropout_rate", layer.dropout_rate),
                                  batch_norm=shared.get("batch_norm", layer.batch_norm)))
    return tuple(layers)


# Dimensions that set one config field directly: dimension name -> config field.
_SCALAR_FIELDS = {"learning_rate": "learning_rate", "init_method": "init_method", "clip_type": "clip_type",
                  "optimizer": "optimizer", "batch_size": "batch_size", "l2": "l2"}


def config_from_trial(base: ExperimentConfig, space: SearchSpace, trial) -> ExperimentConfig:
    """The full config of ``trial``: ``base`` with every enabled dimension drawn from the trial.

    Works with a live ``optuna.Trial`` (which samples) and with ``optuna.trial.FixedTrial``
    (which replays stored parameters).  Parameter names follow the article: ``n_layers``,
    ``hidden_size_0`` ... ``hidden_size_{n-1}``, ``dropout_rate``, ``learning_rate``,
    ``init_method``, ``clip_type``, ``clip_value`` (-> ``grad_clip``).
    """
    changes: dict[str, Any] = {"layers": _layers_from_trial(base, space, trial)}
    for name, config_field in _SCALAR_FIELDS.items():
        if space.is_enabled(name):
            changes[config_field] = _suggest(trial, space, name)
    # The threshold means nothing without clipping, so it is only drawn when clipping is on.
    if space.is_enabled("clip_value") and changes.get("clip_type", base.clip_type) != "none":
        changes["grad_clip"] = _suggest(trial, space, "clip_value")
    return base.replace(name=f"{base.name} trial {trial.number}", **changes)


def config_from_params(base: ExperimentConfig, space: SearchSpace, params: Mapping[str, Any],
                       number: int = 0) -> ExperimentConfig:
    """:func:`config_from_trial` for stored parameters (a FrozenTrial's ``params`` and ``number``)."""
    return config_from_trial(base, space, optuna.trial.FixedTrial(dict(params), number))


def config_of_trial(trial: optuna.trial.FrozenTrial) -> ExperimentConfig:
    """The full config a finished trial trained (its ``"config"`` user attribute)."""
    raw = trial.user_attrs.get(CONFIG_ATTR)
    if raw is None:
        raise KeyError(f"trial {trial.number} has no stored config (it failed before training began)")
    return ExperimentConfig.from_json(raw)


# -- the split, once per process ---------------------------------------------------------

@functools.lru_cache(maxsize=4)
def cached_split(data: DataConfig) -> Split:
    """``load_split(data)``, loaded once per process for all the trials that share it."""
    return load_split(data)


# -- the objective ------------------------------------------------------------------------

def report_interval(epochs: int, max_reports: int = 25) -> int:
    """Report every k epochs so a trial writes at most about ``max_reports`` values.

    Each report is a write to the study's database; pruning at a few dozen evenly spaced
    epochs is as effective as at every epoch and keeps storage traffic small.
    """
    return max(1, math.ceil(epochs / max_reports))


class Objective:
    """Train the trial's config and return its validation metric.

    * reports the metric every :func:`report_interval` epochs and prunes between epochs;
    * a diverging trial (NaN/inf) is pruned with the user attribute ``diverged = True``;
    * ``stop()`` returning True aborts the trial (:class:`TrialInterrupted`);
    * the value is the metric of the parameters the trial ends with (the best ones, restored
      by early stopping), evaluated on the validation split; their validation loss and accuracy
      are also stored (``val_loss``, ``val_accuracy``), the loss to rank trials of equal value
      (:func:`rank_key`).
    """

    def __init__(self, base: ExperimentConfig, space: SearchSpace, metric: str = "accuracy",
                 stop: Callable[[], bool] | None = None, split: Split | None = None, folds: int = 0):
        self.base = base
        self.space = space.validate()
        self.metric = METRICS[metric]
        self.stop = stop or (lambda: False)
        self._split = split
        self.folds = folds if folds > 1 else 0
        self.every = report_interval(base.epochs)

    def split_for(self, config: ExperimentConfig) -> Split:
        return self._split if self._split is not None else cached_split(config.data)

    def __call__(self, trial: optuna.Trial) -> float:
        trial.set_user_attr(WORKER_ATTR, worker_id())
        if self.stop():
            self._interrupted(trial)
            raise TrialInterrupted("Stopped before training began.")
        config = config_from_trial(self.base, self.space, trial)
        trial.set_user_attr(CONFIG_ATTR, config.to_json(indent=None))
        try:
            if self.folds:
                return cross_validate(self, trial, config, self.folds)
            trainer = Trainer(config, self.split_for(config), histograms=False)
        except (ConfigError, DataError) as exc:  # a combination the engine rejects: this trial fails
            trial.set_user_attr(MESSAGE_ATTR, str(exc))
            raise
        pruned_at = self.train(trial, trainer)
        summary = trainer.summary
        trial.set_user_attr(EPOCHS_ATTR, summary.epochs_run)
        self.check_ending(trial, summary, pruned_at)
        loss, accuracy = trainer.evaluate(trainer.X_val, trainer.split.y_val, trainer.Y_val)
        value = self.metric.from_evaluation(loss, accuracy)
        if not math.isfinite(value):
            return self.diverged(trial, f"The validation {self.metric.name} is {value}.")
        if math.isfinite(loss):
            trial.set_user_attr(VAL_LOSS_ATTR, float(loss))  # breaks ties between equal values
        if math.isfinite(accuracy):
            trial.set_user_attr(VAL_ACCURACY_ATTR, float(accuracy))
        trial.set_user_attr(MESSAGE_ATTR, summary.message)
        return float(value)

    def check_ending(self, trial: optuna.Trial, summary: TrainingSummary, pruned_at: int, where: str = "") -> None:
        """Raise for a training that was stopped, diverged or pruned (``where`` prefixes the message)."""
        if summary.stop_reason == STOP_USER:
            self._interrupted(trial)
            raise TrialInterrupted(summary.message)
        if summary.diverged:
            self.diverged(trial, where + summary.message)
        if pruned_at:
            message = f"{where}Pruned at epoch {pruned_at}: worse than the pruner's threshold."
            trial.set_user_attr(MESSAGE_ATTR, message)
            raise optuna.TrialPruned(message)

    def train(self, trial: optuna.Trial, trainer: Trainer, report: bool = True, diagnose: bool = True) -> int:
        """Run the trainer, reporting and checking the pruner (when ``report``); the epoch pruned at, or 0.

        With ``diagnose`` the training doctor watches the run and its verdict is stored on the trial.
        """
        doctor = Doctor(trainer.config, trainer.split) if diagnose else None
        try:
            return self._run(trial, trainer, report, doctor)
        finally:
            if doctor is not None and trainer.summary is not None:
                _store_diagnosis(trial, doctor.finish(trainer.summary))

    def _run(self, trial: optuna.Trial, trainer: Trainer, report: bool, doctor: Doctor | None) -> int:
        records = trainer.run(stop=self.stop)
        if doctor is not None:
            records = _observed(records, doctor)
        # Diverging trials are expected while searching; the trainer detects them itself, so
        # NumPy's overflow warnings would only be noise.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            if not report:
                for _ in records:
                    pass
                return 0
            return self._train_loop(trial, trainer, records)

    def _train_loop(self, trial: optuna.Trial, trainer: Trainer, records) -> int:
        try:
            for record in records:
                if record.epoch % self.every and record.epoch != trainer.config.epochs:
                    continue
                value = self.metric.from_record(record)
                if not math.isfinite(value):
                    continue  # the trainer ends a diverging run itself; do not feed NaN to the pruner
                trial.report(float(value), record.epoch)
                if trial.should_prune():
                    return record.epoch
        finally:
            records.close()  # runs the trainer's clean-up, which fills trainer.summary
        return 0

    @staticmethod
    def _interrupted(trial: optuna.Trial) -> None:
        trial.set_user_attr(INTERRUPTED_ATTR, True)
        trial.set_user_attr(MESSAGE_ATTR, "Stopped by request.")

    @staticmethod
    def diverged(trial: optuna.Trial, message: str) -> float:
        """Mark the trial diverged and prune it."""
        trial.set_user_attr(DIVERGED_ATTR, True)
        trial.set_user_attr(MESSAGE_ATTR, message)
        raise optuna.TrialPruned(message)


def _observed(records, doctor: Doctor):
    """``records``, each shown to ``doctor`` first; closing this closes ``records`` (the trainer's clean-up)."""
    try:
        for record in records:
            doctor.observe(record)
            yield record
    finally:
        records.close()


def _store_diagnosis(trial: optuna.Trial, findings) -> None:
    """The doctor's verdict on a trial, as user attributes (its top warning or error, and chance level)."""
    top = top_finding(f for f in findings if f.severity != "info")
    if top is not None:
        trial.set_user_attr(FINDING_ATTR, top.code)
    if any(f.code == "not_learning" for f in findings):
        trial.set_user_attr(CHANCE_ATTR, True)


def evaluate_on_test(config: ExperimentConfig, stop: Callable[[], bool] | None = None,
                     split: Split | None = None) -> TrainingSummary:
    """Train ``config`` once (same seed, so the same network as its trial) and return the summary,
    whose ``test_*`` fields hold the test metrics of the parameters training ended with."""
    trainer = Trainer(config, split if split is not None else cached_split(config.data), histograms=False)
    for _ in trainer.run(stop=stop):
        pass
    return trainer.summary
