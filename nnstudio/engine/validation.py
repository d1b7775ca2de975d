"""Checks that a config names registered pieces and fits the data it will train on."""

from __future__ import annotations

from ..config import ConfigError, ExperimentConfig
from ..data.datasets import CLASSIFICATION, DATASETS
from .activations import ACTIVATIONS, hidden_activation_names
from .clipping import CLIP_TYPES
from .initializers import INITIALIZERS
from .losses import LOSSES
from .optimizers import MIN_EPSILON, OPTIMIZERS
from .schedules import SCHEDULES


def _choice(field: str, value, registry, names=None) -> None:
    names = names if names is not None else registry.names()
    if value not in names:
        raise ConfigError(field, value, f"one of {', '.join(names)}")


def validate_config(config: ExperimentConfig, split=None) -> ExperimentConfig:
    """Numeric ranges, registry names and, given a split, the fit between the model and the task.

    Without a split, ``data.name`` must name a registered data set.

    Raises :class:`ConfigError` naming the field, the bad value and the valid choices.
    """
    config.validate()
    if split is None:  # with a split the data is already loaded, from wherever it came
        _choice("data.name", config.data.name, DATASETS)
    _choice("init_method", config.init_method, INITIALIZERS)
    _choice("loss_func", config.loss_func, LOSSES)
    _choice("optimizer", config.optimizer, OPTIMIZERS)
    _choice("clip_type", config.clip_type, CLIP_TYPES)
    if OPTIMIZERS[config.optimizer].uses_epsilon and not config.epsilon >= MIN_EPSILON:
        raise ConfigError("epsilon", config.epsilon,
                          f"at least {MIN_EPSILON:g} for {config.optimizer} (it divides each step by √v + ε; "
                          "a smaller ε turns vanishing gradients into huge steps)")
    _choice("schedule.name", config.schedule.name, SCHEDULES)
    _choice("output_activation", config.output_activation, ACTIVATIONS)
    hidden = hidden_activation_names()
    for i, layer in enumerate(config.layers):
        _choice(f"layers[{i}].activation", layer.activation, ACTIVATIONS, hidden)
    # the data set's task first: its advice holds for any pairing (a regression set needs mse
    # and a linear output, whatever the loss paired with)
    if split is not None:
        problem = task_problem(config, split.task, split.n_classes)
        if problem:
            field, expected = problem
            raise ConfigError(field, getattr(config, field), expected)
    problem = pairing_problem(config.output_activation, config.loss_func)
    if problem:
        raise ConfigError("loss_func", config.loss_func, problem)
    return config


def pairing_problem(output_activation: str, loss_func: str) -> str:
    """Why this output activation cannot go with this loss ('' when it can)."""
    if loss_func == "categorical_crossentropy" and output_activation != "softmax":
        return "mse or log_loss with a sigmoid output; categorical_crossentropy needs a softmax output"
    if loss_func == "log_loss" and output_activation != "sigmoid":
        return "categorical_crossentropy or mse with a softmax output; log_loss needs a sigmoid output"
    return ""


def task_problem(config: ExperimentConfig, task: str, n_classes: int) -> tuple[str, str] | None:
    """(field, what is expected) when the model cannot fit the task, else None."""
    if task != CLASSIFICATION:
        if config.loss_func != "mse":
            return "loss_func", "mse for a regression data set"
        if config.output_activation != "linear":
            return "output_activation", "linear for a regression data set (its targets are not bounded)"
        return None
    if config.loss_func == "log_loss" and n_classes > 2:
        return ("loss_func", f"categorical_crossentropy (with softmax) for {n_classes} classes; "
                             "log_loss is binary cross-entropy and needs a 2-class data set")
    return None


def output_units(config: ExperimentConfig, split) -> int:
    """Output size: 1 for regression and for a 2-class set with a sigmoid output, else one per class."""
    if split.task != CLASSIFICATION:
        return 1
    if split.n_classes == 2 and config.output_activation == "sigmoid":
        return 1
    return split.n_classes
