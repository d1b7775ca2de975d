"""An axis of counts (epochs, trials): ticks on whole numbers only, never "epoch 1.5"."""

from __future__ import annotations

import math

import pyqtgraph as pg


class CountAxis(pg.AxisItem):
    """pyqtgraph's ticks without the fractional levels; a range too short for its spacing of 1
    (epochs 1 to 3) gets a tick at every whole number in it."""

    def tickValues(self, minVal: float, maxVal: float, size: float):  # noqa: N802, N803
        levels = [(spacing, [v for v in values if float(v).is_integer()])
                  for spacing, values in super().tickValues(minVal, maxVal, size) if spacing >= 1]
        if levels:
            return levels
        lo, hi = sorted((minVal, maxVal))
        return [(1.0, [float(v) for v in range(math.ceil(lo), math.floor(hi) + 1)])]

    def tickStrings(self, values, scale, spacing):  # noqa: N802
        return [f"{round(v * scale):d}" for v in values]
