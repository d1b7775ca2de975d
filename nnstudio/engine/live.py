"""Settings changed while a run trains: the learning rate, the L1 and L2 penalties and the
hidden layers' dropout rates.

Another thread (the window) asks for a change with :meth:`LiveSettings.request`; the trainer
applies every pending change at the next mini-batch boundary (:meth:`LiveSettings.apply`,
before the step) and records each applied change in the epoch's record as a :class:`Change`.
A change asked for twice before it is applied is applied once, with the last value.

The learning rate and the schedule: a change of the learning rate from ``a`` to ``b`` rescales
the schedule's base rate to ``b``.  From the next mini-batch on, the rate is the one the schedule
would give at that epoch had the run started with ``b`` (``step``: ``b · γ^⌊epoch / step_size⌋``,
still floored at the minimum rate); ``plateau`` multiplies its current, possibly reduced, rate by
``b / a``.  With the constant schedule the rate is simply ``b``.

Training metrics follow the dropout rates as a run configured with them would ("auto", see
:func:`running_train_metrics`): a dropout rate raised above 0 scores the epoch's training loss
and accuracy with an evaluation pass from that epoch on; all rates back at 0 returns to running
metrics from the next epoch that starts without dropout.
"""

from __future__ import annotations

import dataclasses
import re
import threading
from typing import Any, Mapping, NamedTuple

from ..config import ExperimentConfig

LIVE_SCALARS = ("learning_rate", "l1", "l2")
LIVE_FIELDS = (*LIVE_SCALARS, "dropout_rate")  # the config fields a running run takes
_LAYER_PATH = re.compile(r"layers\[(\d+)\]\.dropout_rate$")
SHORT_NAMES = {"learning_rate": "lr", "l1": "L1", "l2": "L2"}


class Change(NamedTuple):
    """One applied change: the config path, the old and new value, and where in the run it took
    effect, in epochs (2.5: halfway through the third epoch; plotted on the epoch axis)."""

    name: str
    old: float
    new: float
    at: float

    @property
    def label(self) -> str:
        """Short text for a plot marker: ``lr 0.01→0.1``, ``dropout 2 0→0.3``."""
        return f"{short_name(self.name)} {self.old:.3g}→{self.new:.3g}"


def running_train_metrics(config: ExperimentConfig) -> bool:
    """Whether ``config`` scores training metrics from its training passes ("running").

    ``"auto"`` does so only where a training pass computes the function evaluation computes:
    with dropout or batch norm the training pass is a different function (random masks, batch
    statistics), and its loss would hide the gap between training and validation.
    """
    if config.train_metrics == "auto":
        return not any(layer.dropout_rate > 0.0 or layer.batch_norm for layer in config.layers)
    return config.train_metrics == "running"


def short_name(path: str) -> str:
    """``lr``, ``L1``, ``L2`` or ``dropout N`` (N: the hidden layer, from 1)."""
    match = _LAYER_PATH.match(path)
    return f"dropout {int(match.group(1)) + 1}" if match else SHORT_NAMES.get(path, path)


def live_values(config: ExperimentConfig) -> dict[str, float]:
    """The live settings of ``config`` by path (``learning_rate``, ``l1``, ``l2``, ``layers[i].dropout_rate``)."""
    values = {name: float(getattr(config, name)) for name in LIVE_SCALARS}
    values.update({f"layers[{i}].dropout_rate": float(layer.dropout_rate) for i, layer in enumerate(config.layers)})
    return values


def live_differences(old: ExperimentConfig, new: ExperimentConfig) -> dict[str, float] | None:
    """The live settings in which ``new`` differs from ``old`` (path -> new value), or None when
    they differ in anything else too (the run cannot take that change)."""
    a, b = live_values(old), live_values(new)
    if a.keys() != b.keys() or with_values(old, b) != new:
        return None
    return {path: value for path, value in b.items() if value != a[path]}


def with_values(config: ExperimentConfig, values: Mapping[str, float]) -> ExperimentConfig:
    """``config`` with the live settings in ``values`` (path -> value) replaced."""
    scalars = {name: float(values[name]) for name in LIVE_SCALARS if name in values}
    layers = list(config.layers)
    for path, value in values.items():
        match = _LAYER_PATH.match(path)
        if match and int(match.group(1)) < len(layers):
            i = int(match.group(1))
            layers[i] = dataclasses.replace(layers[i], dropout_rate=float(value))
    return config.replace(layers=layers, **scalars)


class LiveSettings:
    """Pending changes, set from any thread, applied by the trainer between mini-batches."""

    def __init__(self):
        self._lock = threading.Lock()
        self._pending: dict[str, float] = {}
        self._applied: list[Change] = []
        self.pending = False  # read without the lock by the training loop: a cheap "anything to do?"

    def request(self, values: Mapping[str, float]) -> None:
        """Ask for ``values`` (path -> value; see :func:`live_values`) from the next mini-batch on."""
        for path in values:
            if path not in LIVE_SCALARS and not _LAYER_PATH.match(path):
                raise ValueError(f"{path} cannot change while training")
        with self._lock:
            self._pending.update({path: float(v) for path, v in values.items()})
            self.pending = bool(self._pending)

    def apply(self, trainer: Any, lr: float, at: float) -> float:
        """Apply the pending changes to ``trainer`` (a :class:`~nnstudio.engine.trainer.Trainer`: its
        network, schedule and config); the learning
        rate from now on in this epoch (``lr`` when it did not change).  ``at``: the position in the
        run, in epochs, recorded with each change."""
        with self._lock:
            pending, self._pending, self.pending = self._pending, {}, False
        old = live_values(trainer.config)
        net, schedule = trainer.network, trainer.schedule
        values = {}
        for path, value in pending.items():
            if path not in old or old[path] == value:
                continue
            values[path] = value
            self._applied.append(Change(path, old[path], value, at))
            match = _LAYER_PATH.match(path)
            if match:
                net.set_dropout(int(match.group(1)), value)
            elif path == "learning_rate":
                ratio = value / old[path] if old[path] else 0.0
                schedule.base_lr = value
                if hasattr(schedule, "current"):  # plateau: its current rate, reduced or not
                    schedule.current = schedule.current * ratio if ratio else value
                lr = schedule.rate(trainer.epoch)
            else:
                setattr(net, path, value)
        if values:
            trainer.config = with_values(trainer.config, values)
        return lr

    def take_applied(self) -> tuple[Change, ...]:
        """The changes applied since the last call (the trainer puts them in the epoch's record)."""
        applied, self._applied = tuple(self._applied), []
        return applied
