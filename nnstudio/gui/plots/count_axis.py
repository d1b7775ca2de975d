"""An axis of counts (epochs, trials, layers, units): ticks on whole numbers only, never "epoch 1.5"."""

from __future__ import annotations

import math

import pyqtgraph as pg


class CountAxis(pg.AxisItem):
    """pyqtgraph's ticks without the fractional levels; a range too short for its spacing of 1
    (epochs 1 to 3) gets a tick at every whole number in it.  With ``whole`` False (an axis that
    shows counts for one parameter and fractions for another) it is pyqtgraph's own."""

    def __init__(self, orientation: str, whole: bool = True, **kwargs):
        super().__init__(orientation, **kwargs)
        self.whole = whole

    def set_whole(self, whole: bool) -> None:
        if whole != self.whole:
            self.whole = whole
            self.picture = None
            self.update()

    def tickValues(self, minVal: float, maxVal: float, size: float):  # noqa: N802, N803
        levels = super().tickValues(minVal, maxVal, size)
        if not self.whole:
            return levels
        levels = [(spacing, [v for v in values if float(v).is_integer()]) for spacing, values in levels if spacing >= 1]
        if levels:
            return levels
        lo, hi = sorted((minVal, maxVal))
        return [(1.0, [float(v) for v in range(math.ceil(lo), math.floor(hi) + 1)])]

    def tickStrings(self, values, scale, spacing):  # noqa: N802
        if not self.whole:
            return super().tickStrings(values, scale, spacing)
        return [f"{round(v * scale):d}" for v in values]
