"""Qt-free stores for a run's history: per-epoch scalars and bounded histogram snapshots.

:class:`History` keeps the scalars of every :class:`~nnstudio.engine.EpochRecord` in one
growable float array (capacity doubles when full, so appends are amortized O(1)).
:class:`HistogramStore` keeps at most ``capacity`` per-epoch layer snapshots: when full it
drops every other one and from then on keeps every second epoch, so a 10,000-epoch run
holds a few hundred evenly spaced snapshots plus the latest one.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from itertools import accumulate
from typing import Iterable, Sequence

import numpy as np

from .engine import EpochRecord, LayerSnapshot

SCALAR_COLUMNS = ("epoch", "train_loss", "val_loss", "train_accuracy", "val_accuracy", "learning_rate",
                  "elapsed", "is_best")
DEFAULT_SNAPSHOTS = 500
CSV_DIGITS = 9  # significant digits in the history CSV: float32 values round-trip exactly


def ema(values: Sequence[float], factor: float, previous: float | None = None) -> np.ndarray:
    """Exponential moving average: ``s[t] = factor * s[t-1] + (1 - factor) * x[t]``.

    ``s[0] = x[0]`` unless ``previous`` (the smoothed value before ``values``) is given, which
    lets a caller extend a smoothed curve incrementally.  ``factor`` 0 returns the input.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return values.copy()
    keep, take = float(factor), 1.0 - float(factor)
    head = values[0] if previous is None else keep * previous + take * values[0]
    rest = values[1:].tolist()
    return np.fromiter(accumulate(rest, lambda s, x: keep * s + take * x, initial=float(head)),
                       dtype=np.float64, count=values.size)


class History:
    """Per-epoch scalars of one run: loss, accuracy, learning rate, gradient norm per layer.

    Columns are views of shape (n,) into a (capacity, width) array; they stay valid until
    the next append.
    """

    def __init__(self, layer_names: Sequence[str] = ()):
        self.layer_names = tuple(layer_names)
        self._index = {name: i for i, name in enumerate(SCALAR_COLUMNS)}
        self._width = len(SCALAR_COLUMNS) + len(self.layer_names)
        self._data = np.empty((64, self._width))
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def clear(self, layer_names: Sequence[str] | None = None) -> None:
        if layer_names is not None:
            self.__init__(layer_names)
        self._n = 0

    def append(self, records: Iterable[EpochRecord]) -> int:
        """Add records in epoch order; returns how many were added."""
        rows = [self._row(r) for r in records]
        if not rows:
            return 0
        need = self._n + len(rows)
        if need > len(self._data):
            grown = np.empty((max(need, 2 * len(self._data)), self._width))
            grown[:self._n] = self._data[:self._n]
            self._data = grown
        self._data[self._n:need] = rows
        self._n = need
        return len(rows)

    def _row(self, r: EpochRecord) -> list[float]:
        norms = list(r.grad_norms[:len(self.layer_names)])
        norms += [math.nan] * (len(self.layer_names) - len(norms))
        return [r.epoch, r.train_loss, r.val_loss, r.train_accuracy, r.val_accuracy, r.learning_rate,
                r.elapsed, float(r.is_best)] + norms

    def column(self, name: str) -> np.ndarray:
        """One scalar column, shape (n,)."""
        return self._data[:self._n, self._index[name]]

    @property
    def epochs(self) -> np.ndarray:
        return self.column("epoch")

    @property
    def grad_norms(self) -> np.ndarray:
        """Mean gradient L2 norm per layer and epoch, shape (n, n_layers)."""
        return self._data[:self._n, len(SCALAR_COLUMNS):]

    def row_at_epoch(self, epoch: int) -> int | None:
        """Index of ``epoch`` (1-based, contiguous from 1), or None if not recorded."""
        i = int(epoch) - 1
        return i if 0 <= i < self._n and self._data[i, 0] == epoch else None

    def to_csv(self) -> str:
        """The history CSV (see :func:`history_csv`) of the epochs recorded so far."""
        header = list(SCALAR_COLUMNS) + [f"grad_norm_{name}" for name in self.layer_names]
        out = io.StringIO()
        out.write(",".join(header) + "\n")
        int_cols = {self._index["epoch"], self._index["is_best"]}
        for row in self._data[:self._n]:
            out.write(",".join(str(int(v)) if i in int_cols else _csv_number(v) for i, v in enumerate(row)) + "\n")
        return out.getvalue()


def history_csv(records: Iterable[EpochRecord], layer_names: Sequence[str]) -> str:
    """The one history CSV format, written by ``nnstudio train`` and by the window's export.

    Columns: ``epoch,train_loss,val_loss,train_accuracy,val_accuracy,learning_rate,elapsed,is_best``
    then ``grad_norm_<layer>`` per layer (the output layer last).  ``epoch`` and ``is_best`` (0/1)
    are integers, other numbers have 9 significant digits (exact for float32), and a missing
    value (NaN: accuracy of a regression run) is an empty field.
    """
    history = History(layer_names)
    history.append(records)
    return history.to_csv()


def _csv_number(value: float) -> str:
    return "" if math.isnan(value) else f"{value:.{CSV_DIGITS}g}"


@dataclass(frozen=True)
class Snapshot:
    """The layer histograms recorded at the end of ``epoch``."""

    epoch: int
    layers: tuple[LayerSnapshot, ...]


class HistogramStore:
    """At most ``capacity`` evenly spaced snapshots, plus the latest one.

    Epochs are kept with a stride that doubles each time the store fills up (every other
    kept snapshot is dropped then), so memory stays bounded however long the run is and the
    kept epochs stay evenly spread.  The most recent snapshot is always reachable as the last
    index, even when the stride would skip it.
    """

    def __init__(self, capacity: int = DEFAULT_SNAPSHOTS):
        if capacity < 2:
            raise ValueError("capacity must be at least 2")
        self.capacity = capacity
        self.clear()

    def clear(self) -> None:
        self._kept: list[Snapshot] = []
        self._tail: Snapshot | None = None
        self._stride = 1
        self._seen = 0

    @property
    def stride(self) -> int:
        """Keep one epoch in ``stride``; 1 until the store first fills up."""
        return self._stride

    def add(self, epoch: int, layers: tuple[LayerSnapshot, ...]) -> None:
        if not layers:
            return
        snap = Snapshot(int(epoch), tuple(layers))
        if self._seen % self._stride == 0:
            if len(self._kept) >= self.capacity:
                self._kept = self._kept[::2]
                self._stride *= 2
            if self._seen % self._stride == 0:
                self._kept.append(snap)
                self._tail = None
                self._seen += 1
                return
        self._tail = snap
        self._seen += 1

    def __len__(self) -> int:
        return len(self._kept) + (self._tail is not None)

    def __getitem__(self, index: int) -> Snapshot:
        if self._tail is not None and index in (len(self._kept), -1):
            return self._tail
        return self._kept[index]

    def epochs(self) -> list[int]:
        """The epoch of each index, in order."""
        return [s.epoch for s in self._kept] + ([self._tail.epoch] if self._tail is not None else [])

    def index_of_epoch(self, epoch: int) -> int:
        """The index whose epoch is closest to ``epoch`` (0 when empty)."""
        epochs = self.epochs()
        if not epochs:
            return 0
        return int(np.argmin(np.abs(np.asarray(epochs) - epoch)))
