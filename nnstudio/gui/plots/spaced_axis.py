"""A linear value axis whose tick labels never touch, however short the axis.

pyqtgraph spaces major ticks by the axis's length alone (at least 2.25 intervals), so on a plot
100 px wide "-0.4 -0.2 0 0.2 0.4" run into each other.  :class:`SpacedTickAxis` measures its
labels and labels every 1, 2, 4 or 5 x 10^k that leaves :data:`LABEL_GAP_PX` between them; the
ticks between labels stay, unlabelled.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QFontMetrics

from ..qt.refresh import nice_ceil
from .log_axis import LABEL_GAP_PX

STEPS = (1.0, 2.0, 4.0, 5.0, 10.0)  # x 10^k between labels: 4 lets a short axis show -0.4, 0, 0.4
MINOR_DIVISIONS = {1: 5, 2: 4, 4: 4, 5: 5}  # unlabelled ticks between two labels, by the step's leading digit
OVERHANG_PX = 10  # how far an end label may reach past the axis (over the corner beside it)


def shown_labels(lo: float, hi: float, pixels: float, step: float,
                 label_widths: Callable[[np.ndarray, float], Sequence[float]]) -> list[tuple[float, float]]:
    """(centre, width) in pixels of the labels at multiples of ``step`` that lie within
    :data:`OVERHANG_PX` of an axis from ``lo`` to ``hi``, ``pixels`` long."""
    first = math.ceil(lo / step - 1e-9) * step
    values = first + step * np.arange(int(math.floor((hi - first) / step + 1e-9)) + 1)
    centres = (values - lo) / (hi - lo) * pixels
    return [(c, w) for c, w in zip(centres, label_widths(values, step))
            if c - w / 2 >= -OVERHANG_PX and c + w / 2 <= pixels + OVERHANG_PX]


def labelled_step(lo: float, hi: float, pixels: float,
                  label_widths: Callable[[np.ndarray, float], Sequence[float]]) -> float:
    """The smallest step m x 10^k (m = 1, 2, 4, 5) between labels on an axis from ``lo`` to
    ``hi``, ``pixels`` long, whose labels (``label_widths(values, step)`` px wide) leave
    :data:`LABEL_GAP_PX` between neighbours; on an axis too short for two, a step as long as
    the range (one label at most)."""
    span = hi - lo
    step = nice_ceil(span / max(2.0, pixels / 4), STEPS)  # no denser than a label every 4 px
    while step < span:
        labels = shown_labels(lo, hi, pixels, step, label_widths)
        if all(b[0] - a[0] >= (a[1] + b[1]) / 2 + LABEL_GAP_PX for a, b in zip(labels, labels[1:])):
            return step
        step = nice_ceil(step * 1.000001, STEPS)  # the next of 1, 2, 4, 5 x 10^k
    return step


class SpacedTickAxis(pg.AxisItem):
    """A linear axis that labels only as many values as fit its length (see :func:`labelled_step`)."""

    def __init__(self, orientation: str = "bottom", **kwargs):
        super().__init__(orientation, **kwargs)
        # the ticks between labels have no text; an end label may reach over the corner beside it
        self.setStyle(maxTextLevel=0, hideOverlappingLabels=OVERHANG_PX)

    def _label_widths(self, values: np.ndarray, step: float) -> list[float]:
        """Each label's extent along the axis, in pixels."""
        metrics = QFontMetrics(self.style.get("tickFont") or self.font())
        if self.orientation in ("left", "right"):
            return [metrics.height()] * len(values)
        # tickSpacing works in scaled values; tickStrings takes them unscaled
        strings = self.tickStrings(list(values / self.scale), self.autoSIPrefixScale * self.scale, step / self.scale)
        return [metrics.horizontalAdvance(s) for s in strings]

    def tickSpacing(self, minVal: float, maxVal: float, size: float):  # noqa: N802
        if self._tickSpacing is not None:
            return self._tickSpacing
        lo, hi = sorted((minVal, maxVal))
        if not hi > lo or size <= 0:
            return []
        step = labelled_step(lo, hi, size, self._label_widths)
        digit = round(step / 10.0 ** math.floor(math.log10(step) + 1e-9))
        minor = step / MINOR_DIVISIONS.get(digit, 5)
        return [(step, 0), (minor, 0)] if minor / (hi - lo) * size >= 4 else [(step, 0)]
