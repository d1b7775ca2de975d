"""Edits of an :class:`ExperimentConfig` as pure functions, and what the data set implies (no Qt).

Every function returns a new config; nothing is changed in place, so each edit can be
kept as an (old, new) pair for undo.  Field paths name a config field with dots:
``"learning_rate"``, ``"schedule.gamma"``, ``"data.val_fraction"``, ``"data.params.noise"``.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from typing import Any, Mapping

from ..config import ConfigError, DataConfig, ExperimentConfig, LayerConfig
from ..data import CLASSIFICATION, DATASETS, REGRESSION, load_split
from ..engine import FUSED_OUTPUT_GRADIENTS, output_units, pairing_problem, task_problem, validate_config
from ..engine.optimizers import optimizer_keywords

# -- fields ---------------------------------------------------------------------------------


def get_field(cfg: ExperimentConfig, path: str) -> Any:
    """The value at a dotted field path (``"data.params.noise"`` reads a data-set option)."""
    obj: Any = cfg
    for part in path.split("."):
        obj = obj[part] if isinstance(obj, Mapping) else getattr(obj, part)
    return obj


def set_field(cfg: ExperimentConfig, path: str, value: Any) -> ExperimentConfig:
    """A copy of ``cfg`` with the field at ``path`` set to ``value``."""
    head, _, rest = path.partition(".")
    if not rest:
        return cfg.replace(**{head: value})
    sub = getattr(cfg, head)
    key, _, option = rest.partition(".")
    if option:  # data.params.<option>
        params = dict(getattr(sub, key))
        params[option] = value
        return cfg.replace(**{head: {key: params}})
    return cfg.replace(**{head: {key: value}})


# -- layers ---------------------------------------------------------------------------------


def _with_layers(cfg: ExperimentConfig, layers: list[LayerConfig]) -> ExperimentConfig:
    return cfg.replace(layers=tuple(layers))


def insert_layer(cfg: ExperimentConfig, index: int, layer: LayerConfig | None = None) -> ExperimentConfig:
    """Insert ``layer`` before hidden layer ``index`` (``len(layers)`` appends).

    Without ``layer`` the new one copies its upper neighbour (or the lower one, or the
    default), since consecutive layers usually share a width and an activation.
    """
    layers = list(cfg.layers)
    index = max(0, min(index, len(layers)))
    if layer is None:
        neighbour = layers[index - 1] if index > 0 else layers[0] if layers else LayerConfig()
        layer = dataclasses.replace(neighbour)
    layers.insert(index, layer)
    return _with_layers(cfg, layers)


def remove_layer(cfg: ExperimentConfig, index: int) -> ExperimentConfig:
    layers = list(cfg.layers)
    del layers[index]
    return _with_layers(cfg, layers)


def duplicate_layer(cfg: ExperimentConfig, index: int) -> ExperimentConfig:
    """A copy of hidden layer ``index`` inserted right after it."""
    return insert_layer(cfg, index + 1, cfg.layers[index])


def move_layer(cfg: ExperimentConfig, source: int, target: int) -> ExperimentConfig:
    """Move hidden layer ``source`` so that it ends up at index ``target``."""
    layers = list(cfg.layers)
    layer = layers.pop(source)
    layers.insert(max(0, min(target, len(layers))), layer)
    return _with_layers(cfg, layers)


def set_layer_field(cfg: ExperimentConfig, index: int, name: str, value: Any) -> ExperimentConfig:
    layers = list(cfg.layers)
    layers[index] = dataclasses.replace(layers[index], **{name: value})
    return _with_layers(cfg, layers)


# -- what the data set implies ----------------------------------------------------------------


@dataclass(frozen=True)
class DataInfo:
    """What the editor needs to know about a data set: task, shapes and split sizes.

    ``pending`` while it is being loaded; ``error`` holds the reason it cannot be used.
    """

    task: str = ""
    n_features: int = 0
    n_classes: int = 0
    sizes: Mapping[str, int] = field(default_factory=dict)
    error: str = ""
    pending: bool = False

    @property
    def ok(self) -> bool:
        return not self.error and not self.pending and bool(self.task)

    @property
    def kind(self) -> str:
        """``regression``, ``binary`` or ``multiclass``."""
        return task_kind(self.task, self.n_classes)

    def summary(self) -> str:
        """One line for the data panel: sizes and task."""
        if self.pending:
            return "Loading…"
        if self.error:
            return self.error
        s = self.sizes
        task = (f"regression, {self.n_features} features" if self.task == REGRESSION
                else f"{self.n_classes}-class classification, {self.n_features} features")
        return f"train {s.get('train', 0)} · validation {s.get('val', 0)} · test {s.get('test', 0)} — {task}"


def task_kind(task: str, n_classes: int) -> str:
    if task != CLASSIFICATION:
        return "regression"
    return "binary" if n_classes <= 2 else "multiclass"


def data_cache_key(data: DataConfig) -> tuple:
    """A key that changes when the data config or the file it reads changes."""
    path = data.params.get("path")
    stamp: tuple = ()
    if isinstance(path, str) and path:
        try:
            st = os.stat(path)
            stamp = (st.st_mtime_ns, st.st_size)
        except OSError:
            stamp = ("missing",)
    return (data, stamp)


def probe_data(data: DataConfig) -> DataInfo:
    """Load and split ``data`` to learn its task, shapes and sizes; failures become ``error``."""
    if data.name not in DATASETS:
        valid = ", ".join(DATASETS.names())
        return DataInfo(error=f"Unknown data set {data.name!r}; choose one of: {valid}.")
    try:
        split = load_split(data)
    except (ValueError, OSError, KeyError) as exc:  # DataError is a ValueError
        return DataInfo(error=_sentence(str(exc).strip("'\"")))
    except Exception as exc:  # a broken file must never take the window down
        return DataInfo(error=f"Cannot load {data.name}: {exc.__class__.__name__}: {exc}")
    return DataInfo(split.task, split.n_features, split.n_classes, split.sizes())


def _sentence(text: str) -> str:
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


# -- loss and output activation -----------------------------------------------------------------

#: The output activation each cross-entropy loss is matched with (its fused gradient p − y).
PAIRED_OUTPUT: dict[str, str] = {loss: act for act, loss in FUSED_OUTPUT_GRADIENTS}

#: The (output activation, loss) pair each kind of task starts from.
DEFAULT_PAIR: dict[str, tuple[str, str]] = {
    "regression": ("linear", "mse"),
    "binary": ("sigmoid", "log_loss"),
    "multiclass": ("softmax", "categorical_crossentropy"),
}


def output_for_loss(loss: str, current_output: str, kind: str) -> str:
    """The output activation to use with ``loss``: its matched one, else the current one
    (linear for regression, where a bounded output cannot reach the targets)."""
    if kind == "regression":
        return "linear"
    return PAIRED_OUTPUT.get(loss, current_output)


def choose_loss(cfg: ExperimentConfig, loss: str, info: DataInfo | None) -> ExperimentConfig:
    """Set ``loss`` together with the output activation it needs."""
    kind = info.kind if info is not None and info.ok else ""
    return cfg.replace(loss_func=loss, output_activation=output_for_loss(loss, cfg.output_activation, kind))


def loss_fits(loss: str, info: DataInfo, current_output: str = "softmax") -> str:
    """'' when ``loss`` can train on this data set (with its matched output), else why not."""
    if not info.ok:
        return ""
    probe = ExperimentConfig(loss_func=loss, output_activation=output_for_loss(loss, current_output, info.kind))
    problem = task_problem(probe, info.task, info.n_classes)
    return problem[1] if problem else ""


def fit_to_task(cfg: ExperimentConfig, info: DataInfo) -> tuple[ExperimentConfig, str]:
    """Change the loss and output activation only when they cannot serve the data set's task.

    Returns the config and a note saying what changed ('' when nothing did).  A valid choice
    such as a sigmoid output with mse on a 2-class set is kept; a linear output carried over
    from a regression set is replaced on a classification set.
    """
    if not info.ok:
        return cfg, ""
    kind = info.kind
    output, loss = cfg.output_activation, cfg.loss_func
    fits = not pairing_problem(output, loss) and task_problem(cfg, info.task, info.n_classes) is None
    if fits and (kind == "regression" or output != "linear"):
        return cfg, ""
    new_output, new_loss = DEFAULT_PAIR[kind]
    note = f"Loss set to {new_loss} with a {new_output} output to suit the {kind} data set."
    return cfg.replace(output_activation=new_output, loss_func=new_loss), note


def output_size(cfg: ExperimentConfig, info: DataInfo) -> int:
    """Units of the output layer, as the trainer will build it (0 while the data is unknown)."""
    return output_units(cfg, info) if info.ok else 0


# -- validity -------------------------------------------------------------------------------------


def config_problem(cfg: ExperimentConfig, info: DataInfo | None) -> ConfigError | None:
    """The first reason ``cfg`` cannot be trained on its data set, or None."""
    try:
        validate_config(cfg)
    except ConfigError as exc:
        return exc
    if info is None:
        return None
    if info.pending:
        return _data_problem(cfg, "a data set that has finished loading", "still loading")
    if info.error:
        return _data_problem(cfg, f"a data set that loads ({info.error})", info.error)
    problem = task_problem(cfg, info.task, info.n_classes)
    if problem:
        name, expected = problem
        return ConfigError(name, get_field(cfg, name), expected)
    return None


def _data_problem(cfg: ExperimentConfig, expected: str, reason: str) -> ConfigError:
    """A data set that cannot be used yet: ``reason`` is what the panels show (the data set's
    name itself is fine: "'csv' cannot be used here" would blame the wrong thing)."""
    problem = ConfigError("data", cfg.data.name, expected)
    problem.reason = reason
    return problem


# -- which settings apply ---------------------------------------------------------------------------

#: Optimizer settings kept in the config; each optimizer reads the ones its constructor names.
OPTIMIZER_FIELDS = ("momentum", "beta1", "beta2", "epsilon", "rho", "weight_decay")

#: ScheduleConfig fields each schedule reads (``min_lr`` floors every decaying schedule).
SCHEDULE_FIELDS: dict[str, tuple[str, ...]] = {
    "constant": (),
    "step": ("gamma", "step_size", "min_lr"),
    "exponential": ("gamma", "min_lr"),
    "cosine": ("min_lr",),
    "plateau": ("gamma", "patience", "min_lr"),
}


def optimizer_settings(name: str) -> tuple[str, ...]:
    """Config fields the optimizer ``name`` uses, read from its constructors' parameters."""
    used = set(optimizer_keywords(name))
    return tuple(f for f in OPTIMIZER_FIELDS if f in used)


def schedule_settings(name: str) -> tuple[str, ...]:
    """ScheduleConfig fields the schedule ``name`` uses (all of them for an unknown schedule)."""
    return SCHEDULE_FIELDS.get(name, ("gamma", "step_size", "patience", "min_lr"))
