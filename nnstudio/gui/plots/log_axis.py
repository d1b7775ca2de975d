"""Log-scale axes whose labels fit: which values to label for an axis of a given length and range.

:func:`readable_log_ticks` chooses the labels (every mantissa, 1-2-5, 1-3, only decades, every
n-th decade, or a linear 1-2-5 step inside less than a decade); :class:`LogTickAxis` is a
pyqtgraph axis that uses it on a log scale.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QFontMetrics

from ..qt.refresh import nice_ceil


def log_ticks(lo: float, hi: float, labelled: Sequence[int] | None = None) -> list[list[tuple[float, str]]]:
    """Ticks for a log10 axis from ``lo`` to ``hi`` (view coordinates): labelled ones at the
    mantissas ``labelled`` x 10^k (by default 1, 2 and 5, or only 1 when the range spans more
    than 2.5 decades), unlabelled grid lines at the other mantissas.  pyqtgraph's own log ticks
    label every mantissa, and on a short axis those labels overlap."""
    if labelled is None:
        labelled = (1,) if hi - lo > 2.5 else (1, 2, 5)
    major, minor = [], []
    for k in range(math.floor(lo), math.ceil(hi) + 1):
        for m in range(1, 10):
            v = k + math.log10(m)
            if lo - 0.1 <= v <= hi + 0.1:
                if m in labelled:
                    major.append((v, f"{m * 10.0 ** k:g}"))
                else:
                    minor.append((v, ""))
    return [major, minor]


# Mantissas to label on a log axis, densest first: the first whose labels do not touch is used.
LOG_LABEL_SETS = ((1, 2, 3, 4, 5, 6, 7, 8, 9), (1, 2, 3, 5), (1, 2, 5), (1, 3), (1,))
DECADE_STEPS = (2, 3, 5, 10, 20, 50, 100)  # when even every decade is too dense: every n-th
LABEL_GAP_PX = 3  # least free space between two tick labels


def readable_log_ticks(lo: float, hi: float, pixels: float, label_height: float) -> list[list[tuple[float, str]]]:
    """Ticks for a log10 axis from ``lo`` to ``hi`` (view coordinates) that is ``pixels`` long,
    whose labels are ``label_height`` pixels high: :func:`log_ticks` with the densest set of
    labelled mantissas whose labels do not overlap; every n-th decade on a long range; and on a
    range too short for two such labels, evenly spaced values (0.32, 0.34, 0.36...)."""
    if not (hi > lo) or pixels <= 0:
        return [[], []]
    per_decade = pixels / (hi - lo)
    room = label_height + LABEL_GAP_PX  # distance needed between two label centres

    def inside(ticks):
        return [v for v, _ in ticks if lo <= v <= hi]

    fitting = None
    for labelled in LOG_LABEL_SETS:
        ticks = log_ticks(lo, hi, labelled)
        values = inside(ticks[0])
        if len(values) < 2:
            break  # fewer labels will not help: label evenly spaced values instead
        if min(np.diff(values)) * per_decade >= room:
            fitting = ticks
            break
    else:  # one label per decade is still too dense
        first, last = math.ceil(lo), math.floor(hi)
        for step in DECADE_STEPS:
            if step * per_decade >= room:
                major = [(float(k), f"{10.0 ** k:g}") for k in range(first, last + 1) if k % step == 0]
                minor = [(float(k), "") for k in range(first, last + 1) if k % step]
                return [major, minor]
        return [[], []]
    if fitting is not None:
        return fitting
    return _linear_log_ticks(lo, hi, per_decade, room)


def _linear_log_ticks(lo: float, hi: float, per_decade: float, room: float) -> list[list[tuple[float, str]]]:
    """Labels at multiples of a 1-2-5 step of the values, for a log axis spanning less than
    two labelled mantissas; labels are closest at the top, so the step grows until they fit."""
    a, b = 10.0 ** lo, 10.0 ** hi
    step = nice_ceil((b - a) / 10)
    for _ in range(30):
        first = math.ceil(a / step - 1e-9)
        values = [n * step for n in range(first, math.floor(b / step + 1e-9) + 1)]
        if len(values) < 2 or (math.log10(values[-1]) - math.log10(values[-2])) * per_decade >= room:
            break
        step = nice_ceil(step * 1.01)
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    return [[(math.log10(v), f"{v:.{decimals}f}") for v in values if v > 0], []]


class LogTickAxis(pg.AxisItem):
    """An axis that, on a log scale, labels only as many values as fit (see
    :func:`readable_log_ticks`) for its current length and range; on a linear scale it is
    pyqtgraph's own."""

    def __init__(self, orientation: str = "left", **kwargs):
        super().__init__(orientation, **kwargs)
        self._log_labels: dict[float, str] = {}

    def tickValues(self, minVal: float, maxVal: float, size: float):
        if not self.logMode:
            return super().tickValues(minVal, maxVal, size)
        lo, hi = sorted((minVal, maxVal))
        font = self.style.get("tickFont") or self.font()
        levels = readable_log_ticks(lo, hi, size, QFontMetrics(font).height())
        self._log_labels = {v: text for level in levels for v, text in level}
        return [(None, [v for v, _ in level]) for level in levels]

    def tickStrings(self, values, scale, spacing):
        if not self.logMode:
            return super().tickStrings(values, scale, spacing)
        return [self._log_labels.get(v, "") for v in values]
