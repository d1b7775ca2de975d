"""Keeping live plots cheap: ranges that rarely change, and redraws spread over time.

Redrawing a pyqtgraph plot costs the GUI thread milliseconds of Python, and that time is taken
from the training thread (they share the GIL).  Two things keep it small:

* :class:`StickyBounds` + :class:`RangeAnchor`: the auto-range follows "nice" bounds that
  contain the data and change only when the data leave them, so the axes (the most expensive
  part of a repaint) are not rebuilt at every update.  Zooming by hand still works as usual.
* :class:`RefreshScheduler`: views are marked dirty when data arrive and redrawn one per
  timer tick, at a pace that keeps drawing (slot plus paint time) under a duty cycle, so that
  no single event-loop turn paints every plot at once.
"""

from __future__ import annotations

import math
import time
from typing import Callable

import pyqtgraph as pg
from PySide6.QtCore import QObject, QRectF, QTimer

DUTY = 0.1             # share of wall time the GUI thread may spend redrawing while data stream in
MIN_INTERVAL_S = 0.2      # ...and at most 5 redraws a second (each costs the training thread GIL hand-offs)...
MAX_INTERVAL_S = 0.5      # ...nor slower than this


TICK_STEPS = (1.0, 2.0, 5.0, 10.0)
FINE_STEPS = (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


def nice_ceil(x: float, steps: tuple[float, ...] = TICK_STEPS) -> float:
    """The smallest of m x 10^k (m in ``steps``) that is >= x (x > 0)."""
    exponent = math.floor(math.log10(x))
    for m in steps:
        value = m * 10.0 ** exponent
        if value >= x * (1 - 1e-12):
            return value
    return 10.0 ** (exponent + 1)


class StickyBounds:
    """[lo, hi] containing the data, rounded outwards to a step of ~1/5 of the data's span.

    They change only when the data leave them or use less than ``shrink_below`` of the span,
    so a curve growing point by point keeps the same axes for many updates.
    """

    def __init__(self, shrink_below: float = 0.25, from_zero: bool = False):
        self.shrink_below = shrink_below
        self.from_zero = from_zero
        self.lo: float | None = None
        self.hi: float | None = None

    def reset(self) -> None:
        self.lo = self.hi = None

    def fit(self, dmin: float, dmax: float) -> tuple[float, float]:
        if self.from_zero:
            dmin = min(dmin, 0.0)
        keep = (self.lo is not None and self.lo <= dmin and dmax <= self.hi
                and dmax - dmin >= self.shrink_below * (self.hi - self.lo))
        if not keep:
            span = dmax - dmin
            if span <= 0:
                span = abs(dmax) or 1.0
            step = nice_ceil(span / 5)
            self.lo = math.floor(dmin / step) * step
            self.hi = math.ceil(dmax / step) * step
            if self.hi <= self.lo:
                self.hi = self.lo + step
        return self.lo, self.hi


EMPTY_EPOCHS = 10.0  # the epoch axis of a plot without data yet
EMPTY_LOG_Y = (-3.0, 0.0)  # its log y axis: 0.001 to 1


class RangeAnchor(pg.GraphicsObject):
    """An invisible plot item whose data bounds are set by hand.

    Added to a plot, it makes pyqtgraph's auto-range fit these bounds (which contain the
    curves) instead of the curves' exact extent.  Bounds are in view coordinates (log10 when
    the axis is logarithmic).
    """

    def __init__(self, empty_y: tuple[float, float] | None = None):
        super().__init__()
        self._bounds: tuple[tuple[float, float], tuple[float, float]] | None = None
        self._empty_y = empty_y
        self._log_y = False

    def set_bounds(self, x: tuple[float, float] | None, y: tuple[float, float] | None) -> None:
        bounds = None if x is None or y is None else (tuple(x), tuple(y))
        if bounds != self._bounds:
            self._bounds = bounds
            self.informViewBoundsChanged()

    def setLogMode(self, _x: bool, y: bool) -> None:  # noqa: N802 - called by the plot item
        self._log_y = y
        self.informViewBoundsChanged()

    def dataBounds(self, ax, frac=1.0, orthoRange=None):
        if self._bounds is not None:
            return self._bounds[ax]
        if self._empty_y is None:
            return (None, None)
        # no data yet: with ``empty_y``, epochs 0 to 10 and that range (0.001 to 1 on a log axis)
        return (0.0, EMPTY_EPOCHS) if ax == 0 else (EMPTY_LOG_Y if self._log_y else self._empty_y)

    def boundingRect(self) -> QRectF:
        return QRectF()

    def paint(self, painter, option, widget=None) -> None:
        pass


class PaintMeter:
    """Total seconds spent painting the plots that report to it."""

    def __init__(self):
        self.seconds = 0.0

    def add(self, seconds: float) -> None:
        self.seconds += seconds

    def take(self) -> float:
        seconds, self.seconds = self.seconds, 0.0
        return seconds


PAINTS = PaintMeter()


class MeteredPlotWidget(pg.PlotWidget):
    """A ``PlotWidget`` that reports its paint time to :data:`PAINTS`."""

    def paintEvent(self, event) -> None:
        start = time.perf_counter()
        super().paintEvent(event)
        PAINTS.add(time.perf_counter() - start)


class RefreshScheduler(QObject):
    """Redraw dirty views one at a time, keeping drawing under ``duty`` of the wall time.

    ``add(refresh, weight, visible)`` registers a view's redraw function; ``mark_dirty()``
    flags all views; each timer tick then redraws the visible dirty view that has waited
    longest, weighted (a view of weight 3 is redrawn about three times as often as one of
    weight 1).  Hidden views stay dirty until they are shown or flushed.  ``flush()`` redraws
    every dirty view at once (at a pause or the end of a run, when the user is looking and
    nothing else competes).
    """

    def __init__(self, duty: float | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.duty = DUTY if duty is None else duty
        self._views: list[Callable[[], None]] = []
        self._weights: list[float] = []
        self._visible: list[Callable[[], bool]] = []
        self._dirty: list[bool] = []
        self._dirty_since: list[float] = []
        self._drawn: list[bool] = []
        self._last_slot = 0.0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._tick)
        self.redraws = 0

    def add(self, refresh: Callable[[], None], weight: float = 1.0,
            visible: Callable[[], bool] = lambda: True) -> None:
        self._views.append(refresh)
        self._weights.append(float(weight))
        self._visible.append(visible)
        self._dirty.append(False)
        self._dirty_since.append(0.0)
        self._drawn.append(False)

    def mark_dirty(self) -> None:
        now = time.perf_counter()
        for i, dirty in enumerate(self._dirty):
            if not dirty:
                self._dirty[i], self._dirty_since[i] = True, now
        if not self._timer.isActive():  # a run's first data are drawn at once, later ones at the duty's pace
            self._timer.start(0 if not any(self._drawn) else round(MIN_INTERVAL_S * 1000))

    def pending(self) -> bool:
        return any(self._dirty)

    def _candidates(self) -> list[int]:
        return [i for i, dirty in enumerate(self._dirty) if dirty and self._visible[i]()]

    def flush(self) -> None:
        self._timer.stop()
        for i, dirty in enumerate(self._dirty):
            if dirty:
                self._redraw(i)
        PAINTS.take()

    def cancel(self) -> None:
        """Forget dirty marks (a new run starts, or the views were cleared)."""
        self._timer.stop()
        self._dirty = [False] * len(self._views)
        self._drawn = [False] * len(self._views)

    def _redraw(self, index: int) -> None:
        self._dirty[index] = False
        self._drawn[index] = True
        start = time.perf_counter()
        self._views[index]()
        self._last_slot = time.perf_counter() - start
        self.redraws += 1

    def _tick(self) -> None:
        spent = self._last_slot + PAINTS.take()  # the previous redraw, its paint included
        now = time.perf_counter()
        # views that show nothing of this run yet go first; then the longest (weighted) wait
        waiting = [(not self._drawn[i], (now - self._dirty_since[i]) * self._weights[i], i)
                   for i in self._candidates()]
        if waiting:
            self._redraw(max(waiting)[2])
        if self._candidates():
            wait = min(max(spent * (1 / self.duty - 1), MIN_INTERVAL_S), MAX_INTERVAL_S)
            self._timer.start(round(wait * 1000))
