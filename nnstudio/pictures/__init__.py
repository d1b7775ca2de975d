"""Pictures without a window: PNG charts for the command line (and anything else headless).

Describe a chart with the Qt-free types of :mod:`.charts` and write it with :func:`render_png`:

    chart = LineChart("Validation loss: mean over seeds", "epoch", "validation loss",
                      [Series("he", epochs, mean, lo=low, hi=high)], log_y=True)
    render_png([chart], "curves.png")

* :class:`LineChart` of :class:`Series` (a line, optional band or error bars, optional points),
  with optional log axes and :class:`Mark` lines or points (a recommended depth, a chosen rate);
* :class:`HeatMap` of a grid of values, with an optional path drawn over it (an optimizer's
  trajectory over a loss surface).

Drawing uses Qt's painter on an offscreen image (``PySide6.QtGui``), imported only when a
picture is drawn; no display server and no window are needed.  Without PySide6,
:func:`render_png` raises :class:`PicturesUnavailable` and :func:`pictures_available` is False.
"""

from ..palette import PALETTE, series_color
from .charts import HeatMap, LineChart, Mark, Series
from .render import PicturesUnavailable, pictures_available, render_png

__all__ = ["PALETTE", "HeatMap", "LineChart", "Mark", "Series", "series_color", "PicturesUnavailable",
           "pictures_available", "render_png"]
