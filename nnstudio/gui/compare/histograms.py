"""The Compare tab's histograms: one small plot per variant, same layer, quantity and epoch.

The plots sit in rows of up to four, as many columns as the grid's width gives each plot
:data:`HISTOGRAM_MIN_PX`; the rows keep :data:`HISTOGRAM_ROW_PX` and the page scrolls instead of
squeezing them.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QWidget

from ...engine import Histogram
from ..plots.spaced_axis import SpacedTickAxis
from ..qt.style import AXIS_COLOR, BACKGROUND, TEXT_COLOR, style_axis
from .plots import fill_brush, variant_color

HISTOGRAM_ROW_PX = 140  # a grid row's least height: three title lines, the axis, and bars about 70 px tall
HISTOGRAM_MIN_PX = 96  # a plot's least width: its note ("stopped early at 143", 94 px) and three value labels


class HistogramGrid(pg.GraphicsLayoutWidget):
    """Small multiples: one histogram per variant, same layer, quantity and epoch."""

    def __init__(self, parent: QWidget | None = None, columns: int = 4):
        super().__init__(parent)
        self.setObjectName("compareHistograms")
        self.setBackground(BACKGROUND)
        self.setMinimumSize(HISTOGRAM_MIN_PX, HISTOGRAM_ROW_PX)
        self.setToolTip("Each variant's histogram of the chosen layer and quantity at the chosen epoch (first seed);\n"
                        "a run that ended sooner shows its last epoch (“stopped early at 65”).\n"
                        "σ: the spread (standard deviation from the bins). ⚠ k of n distinct: only k of the "
                        "layer's n units differ,\nthe rest are copies (identical units, as zeros initialization "
                        "leaves them).")
        self.columns = columns
        self.plots: list[pg.PlotItem] = []
        self.curves: list[pg.PlotDataItem] = []
        self.arranged = 0  # the columns the plots are laid out in

    def set_variants(self, labels: Sequence[str]) -> None:
        """One plot per variant, in rows of up to ``columns`` (fewer when the grid is too narrow for
        them, see :meth:`fitting_columns`); every row keeps at least :data:`HISTOGRAM_ROW_PX` (the
        grid grows taller than its page and scrolls instead)."""
        self.clear()
        self.plots, self.curves = [], []
        self.arranged = 0
        for i, label in enumerate(labels):
            # labels as many values as the narrow plot has room for: none touch
            plot = pg.PlotItem(axisItems={"bottom": SpacedTickAxis("bottom")})
            plot.setTitle(label, color=TEXT_COLOR, size="9pt")
            for side in ("left", "bottom"):
                axis = plot.getAxis(side)
                style_axis(axis)
                axis.enableAutoSIPrefix(False)
            plot.getAxis("left").setStyle(showValues=False)
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()
            color = variant_color(i)
            curve = plot.plot([], [], stepMode="center", fillLevel=0, pen=pg.mkPen(color, width=1.2),
                              brush=fill_brush(color, 110))
            self.plots.append(plot)
            self.curves.append(curve)
        self._arrange()

    def fitting_columns(self, width: int) -> int:
        """Columns for the plots: up to ``columns`` (fewer for few variants: 2 for 2, 3 for 3),
        each at least :data:`HISTOGRAM_MIN_PX` wide when the grid is ``width`` pixels wide."""
        wanted = max(1, min(self.columns, math.ceil(math.sqrt(len(self.plots))) + 1))
        left, _top, right, _bottom = self.ci.layout.getContentsMargins()
        spacing = self.ci.layout.horizontalSpacing()
        room = width - left - right
        return max(1, min(wanted, int((room + spacing) // (HISTOGRAM_MIN_PX + spacing))))

    def _arrange(self) -> None:
        """Lay the plots out in the columns the grid's width has room for."""
        columns = self.fitting_columns(self.width())
        if not self.plots or columns == self.arranged:
            return
        if self.arranged:
            for plot in self.plots:
                self.ci.removeItem(plot)
        for i, plot in enumerate(self.plots):
            self.ci.addItem(plot, row=i // columns, col=i % columns)
        self.arranged = columns
        self.setMinimumHeight(math.ceil(len(self.plots) / columns) * HISTOGRAM_ROW_PX)
        self.ci.setGeometry(self.range)  # moving the plots left the layout at the width of its old columns

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if getattr(self, "plots", None) and self.fitting_columns(self.width()) != self.arranged:
            # after this resize: the new rows' height resizes the grid again
            QTimer.singleShot(0, self, self._arrange)

    def wheelEvent(self, event) -> None:  # noqa: N802
        """Scrolls the page the grid is on (the histograms neither zoom nor pan)."""
        area = self.parentWidget()
        while area is not None and not isinstance(area, QAbstractScrollArea):
            area = area.parentWidget()
        if area is None:
            event.ignore()
            return
        QApplication.sendEvent(area.verticalScrollBar(), event)

    def show_histograms(self, items: Sequence[tuple[str, Histogram | None, str]]) -> None:
        """``items[i]`` = (title, histogram or None, note) for variant i; a note's lines (split at
        newlines) go under the title, every title given as many lines, so that the plots of a row
        line up.  A title never widens its column: the columns share the width equally."""
        lines = max((note.count("\n") + 1 for _t, _h, note in items), default=1)
        for column in range(self.columns):
            self.ci.layout.setColumnStretchFactor(column, 1)
        for plot, curve, (title, hist, note) in zip(self.plots, self.curves, items):
            if hist is None:
                curve.setData([], [])
            else:
                curve.setData(np.asarray(hist.edges, float), np.asarray(hist.counts, float))
            axis = plot.getAxis("bottom")
            if (axis.textPen().color().alpha() > 0) != (hist is not None):
                # an empty plot labels no scale of nothing (drawn clear: its axis keeps the row's height)
                axis.setTextPen(pg.mkPen(TEXT_COLOR if hist is not None else (0, 0, 0, 0)))
            note_lines = note.split("\n")
            note_lines += ["&nbsp;"] * (lines - len(note_lines))
            plot.setTitle(f"{title}<br><span style='font-size:7pt;color:{AXIS_COLOR}'>{'<br>'.join(note_lines)}"
                          f"</span>", color=TEXT_COLOR, size="9pt")
            plot.titleLabel.setMinimumWidth(0)  # its text's width would push the other columns off the widget
            plot.titleLabel.item.document().setDocumentMargin(1)  # not 4: a narrow plot's note fits
            plot.titleLabel.updateMin()
            plot.titleLabel.setMinimumWidth(0)
            height = plot.titleLabel.item.boundingRect().height()  # the title row is 30 px unless told
            plot.titleLabel.setMaximumHeight(height)
            plot.layout.setRowFixedHeight(0, height)
