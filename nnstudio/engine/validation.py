"""Checks that a config names registered pieces and fits the data it will train on."""

from __future__ import annotations

import os

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
    if split is not None:
        _check_memory(config, split)
    return config


# Copies of the parameter vector a run holds: parameters, gradient, weight mask, squared
# gradient, last gradient, up to three optimizer states, the best and the initial state.
PARAMETER_COPIES = 10
# Arrays per unit and row in a workspace: pre-activation/activation, delta, batch-norm x̂,
# dropout's mask, kept flags and output; a run keeps workspaces for the batch, the last
# (shorter) batch and the evaluation pass.
SCRATCH_PER_UNIT = 6


def memory_needed(config: ExperimentConfig, n_inputs: int, n_outputs: int, n_train: int, n_eval: int) -> int:
    """Bytes a training run of ``config`` holds at once (parameters and scratch), approximately."""
    sizes = [n_inputs, *config.layer_sizes, n_outputs]
    n_params = sum(a * b + b for a, b in zip(sizes, sizes[1:]))
    n_params += 2 * sum(layer.units for layer in config.layers if layer.batch_norm)
    itemsize = 8 if config.dtype == "float64" else 4
    batch = n_train if config.full_batch else min(config.batch_size, n_train)
    units = sum(sizes[1:])
    rows = 2 * batch + n_eval
    return itemsize * (PARAMETER_COPIES * n_params + SCRATCH_PER_UNIT * units * rows)


def physical_memory() -> int | None:
    """The machine's memory in bytes, or None where the system does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def _check_memory(config: ExperimentConfig, split) -> None:
    total = physical_memory()
    if total is None:
        return
    n_train, n_val = len(split.y_train), len(split.y_val)
    need = memory_needed(config, split.n_features, output_units(config, split), n_train, n_train + n_val)
    if need > total:
        raise ConfigError("layers", f"{_gib(need)} GiB of parameters and scratch",
                          f"a design that fits in this machine's {_gib(total)} GiB of memory: use fewer or "
                          "smaller layers (or a smaller batch_size)")


def _gib(n: int) -> str:
    return f"{n / 2 ** 30:,.1f}"


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
