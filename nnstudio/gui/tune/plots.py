"""Plots of a study: optimization history, intermediate values and parameter importances.

Each plot creates its items once and updates them with ``setData`` from a
:class:`~nnstudio.tuning.StudySnapshot`; tests read them back with ``getData()``.
Titles are short and elided to the plot's width (the full meaning is in the tooltip), the
history's legend sits under the plot, never over the data, and :class:`PlotDeck` shows the
plots side by side when each gets enough width, else one tab per plot.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QFont, QTextOption
from PySide6.QtWidgets import QSplitter, QTabWidget, QVBoxLayout, QWidget

from ...tuning import METRICS, StudySnapshot, best_so_far
from ...tuning.views import param_title
from ..plots.base import EmptyNote, style_plot
from ..plots.count_axis import CountAxis
from ..plots.titles import fit_title, shown_title, title_font
from ..qt.style import BACKGROUND, BEST_COLOR, PALETTE, PRUNED_COLOR, STOP_COLOR, TEXT_COLOR

COMPLETE_COLOR = PALETTE[0]
RUNNING_COLOR = PALETTE[1]
TITLE_MARGIN_PX = 8      # kept free at each end of the title
SIDE_BY_SIDE_MIN_WIDTH = 230  # px per plot; narrower and the plots go into tabs
HISTORY_MIN_WIDTH = 170  # px: the legend in one column still fits under the view
LEGEND_ROW = 4           # the row under the bottom axis in a PlotItem's layout
HISTORY_EMPTY = "No complete trials yet: each complete trial's value appears here when it ends, with the best so far."
INTERMEDIATE_EMPTY = "No values yet: each trial's validation value appears here after every epoch it trains."


class _StudyPlot(pg.PlotWidget):
    """A plot with a short title that is elided to the width over the view box."""

    def __init__(self, parent: QWidget | None, name: str, title: str, y_label: str, x_label: str,
                 counts: bool = False):
        self.title = title
        self._title_shown = True
        self._ready = False
        # x counts trials or epochs: whole numbers only
        super().__init__(parent, background=BACKGROUND, axisItems={"bottom": CountAxis("bottom")} if counts else None)
        self.setObjectName(name)
        style_plot(self, title, y_label, x_label)
        self.setMinimumSize(120, 150)
        self._ready = True

    def title_font(self) -> QFont:
        return title_font(self)

    def shown_title(self) -> str:
        """The title as drawn ("" when hidden: in a tab, the tab says it)."""
        return shown_title(self.getPlotItem())

    def set_title_shown(self, on: bool) -> None:
        self._title_shown = on
        if on:
            self._fit()
        else:
            self.getPlotItem().setTitle(None)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._ready:
            self._fit()

    def fit_view(self) -> None:
        """Show all the data again (after a layout change, or a zoom the user left behind)."""
        box = self.getPlotItem().getViewBox()
        box.enableAutoRange()
        box.updateAutoRange()

    def _fit(self) -> None:
        if self._title_shown:
            fit_title(self.getPlotItem(), self.title, self.width(), self.title_font(), TITLE_MARGIN_PX, 30)


def _legend_below(plot: pg.PlotWidget, columns: int) -> pg.LegendItem:
    """A legend in ``columns`` columns under the x axis's label: it never hides a point."""
    item = plot.getPlotItem()
    legend = pg.LegendItem(labelTextColor=TEXT_COLOR, labelTextSize="8pt", verSpacing=-6, horSpacing=4,
                           brush=None, pen=None, colCount=columns)
    item.legend = legend  # plot(name=...) adds its curve to item.legend
    item.layout.addItem(legend, LEGEND_ROW, 1, alignment=Qt.AlignmentFlag.AlignHCenter)
    return legend


def _metric_label(snapshot: StudySnapshot) -> str:
    return METRICS[snapshot.metric].label if snapshot.metric in METRICS else snapshot.metric


class HistoryPlot(_StudyPlot):
    """``historyPlot``: the value of each complete trial (dots), pruned trials' last reported values
    (grey crosses) and the best value so far (a step line)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, "historyPlot", "History", "value", "trial", counts=True)
        self.setMinimumWidth(HISTORY_MIN_WIDTH)
        self.legend = _legend_below(self, 3)
        item = self.getPlotItem()
        self.pruned = item.plot([], [], pen=None, symbol="x", symbolSize=7, symbolPen=pg.mkPen(PRUNED_COLOR),
                                symbolBrush=None, name="pruned")
        self.values = item.plot([], [], pen=None, symbol="o", symbolSize=7, symbolPen=pg.mkPen("w"),
                                symbolBrush=pg.mkBrush(COMPLETE_COLOR), name="complete")
        self.best = item.plot([], [], pen=pg.mkPen(BEST_COLOR, width=2), stepMode=None, name="best so far")
        self.setToolTip("Optimization history. Each dot is a complete trial's validation value; grey crosses "
                        "are pruned trials at the epoch they were stopped.\nThe green line is the best value found "
                        "up to that trial.")
        self.empty_note = EmptyNote(self, HISTORY_EMPTY, wrap=True)
        self._fit()

    def _fit(self) -> None:
        super()._fit()
        legend = getattr(self, "legend", None)
        if legend is None or not legend.items:
            return
        # one row if it fits under the view box, else as few rows as needed
        widths = [sample.boundingRect().width() + label.item.boundingRect().width() + 12  # the text, not its cell
                  for sample, label in legend.items]
        room = self.width() - self.getPlotItem().getAxis("left").width() - 8
        columns = len(widths)
        while columns > 1 and sum(sorted(widths)[-columns:]) > room:
            columns -= 1
        if columns != legend.columnCount:  # pyqtgraph cannot re-flow a legend: build it again
            item = self.getPlotItem()
            item.layout.removeItem(legend)
            if legend.scene() is not None:
                legend.scene().removeItem(legend)
            self.legend = _legend_below(self, columns)
            for curve in (self.pruned, self.values, self.best):
                self.legend.addItem(curve, curve.name())
            # the plot was laid out at the old legend's minimum width, which may be wider than the
            # widget: lay it out again at the widget's size, or its right part is drawn off-screen
            item.layout.invalidate()
            item.setGeometry(QRectF(self.rect()))
            self.fit_view()

    def update_from(self, snapshot: StudySnapshot) -> None:
        self.getPlotItem().setLabel("left", _metric_label(snapshot), color=TEXT_COLOR)
        numbers, values, best = best_so_far(snapshot.rows, snapshot.direction)
        self.values.setData(numbers, values)
        self.best.setData(numbers, best)
        pruned = [(r.number, r.value) for r in snapshot.rows
                  if r.state == "PRUNED" and r.value is not None and math.isfinite(r.value)]
        self.pruned.setData([p[0] for p in pruned], [p[1] for p in pruned])
        self.empty_note.setVisible(not numbers and not pruned)

    def clear_data(self) -> None:
        for curve in (self.values, self.best, self.pruned):
            curve.setData([], [])
        self.empty_note.show()


class IntermediatePlot(_StudyPlot):
    """``intermediatePlot``: each trial's reported validation value per epoch.

    Complete trials are solid blue, pruned ones dashed grey, running ones orange; the best
    trial is drawn thick green on top.  ``curves[number]`` is the item of trial ``number``.
    """

    STYLES = {
        "COMPLETE": (COMPLETE_COLOR, 110, 1.2, Qt.PenStyle.SolidLine),
        "PRUNED": (PRUNED_COLOR, 160, 1.0, Qt.PenStyle.DashLine),
        "RUNNING": (RUNNING_COLOR, 255, 1.8, Qt.PenStyle.SolidLine),
        "FAIL": (STOP_COLOR, 120, 1.0, Qt.PenStyle.DotLine),
    }

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, "intermediatePlot", "Per-epoch values", "value", "epoch", counts=True)
        self.curves: dict[int, pg.PlotDataItem] = {}
        self._styles: dict[int, tuple] = {}
        self.setToolTip("Intermediate values: the validation value each trial reported after each epoch while "
                        "it trained.\nDashed grey: pruned "
                        "(stopped early because it was worse than the median of earlier trials at that epoch);"
                        "\norange: running; thick green: the best trial.")
        self.empty_note = EmptyNote(self, INTERMEDIATE_EMPTY, wrap=True)

    def update_from(self, snapshot: StudySnapshot) -> None:
        self.getPlotItem().setLabel("left", _metric_label(snapshot), color=TEXT_COLOR)
        best = snapshot.best()
        for row in snapshot.rows:
            if not row.intermediate:
                continue
            curve = self.curves.get(row.number)
            if curve is None:
                curve = self.curves[row.number] = self.getPlotItem().plot([], [])
            style = ("BEST",) if best is not None and row.number == best.number else self.STYLES.get(row.state)
            if style is None:
                continue
            if self._styles.get(row.number) != style:
                self._styles[row.number] = style
                curve.setPen(self._pen(style))
                curve.setZValue(10 if style == ("BEST",) else 5 if row.state == "RUNNING" else 0)
            steps = np.array([s for s, _ in row.intermediate], dtype=float)
            values = np.array([v for _, v in row.intermediate], dtype=float)
            curve.setData(steps, values)
        self.empty_note.setVisible(not self.curves)

    @staticmethod
    def _pen(style: tuple):
        if style == ("BEST",):
            return pg.mkPen(BEST_COLOR, width=2.5)
        name, alpha, width, dash = style
        color = pg.mkColor(name)
        color.setAlpha(alpha)
        return pg.mkPen(color, width=width, style=dash)

    def clear_data(self) -> None:
        for curve in self.curves.values():
            self.getPlotItem().removeItem(curve)
        self.curves.clear()
        self._styles.clear()
        self.empty_note.show()


class ImportancePlot(_StudyPlot):
    """``importancePlot``: PED-ANOVA importance of each parameter, as horizontal bars (sum 1)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, "importancePlot", "Importance", "", "importance")
        self.bars = pg.BarGraphItem(x0=[], y=[], height=0.6, width=[], brush=pg.mkBrush(COMPLETE_COLOR))
        self.getPlotItem().addItem(self.bars)
        self.getPlotItem().setMouseEnabled(x=False, y=False)
        self.names: list[str] = []
        self.values: list[float] = []
        self.placeholder = pg.TextItem("", color=TEXT_COLOR, anchor=(0.5, 0.5))
        # centred and wrapped to the view's width (a TextItem keeps its size in pixels)
        self.placeholder.textItem.document().setDefaultTextOption(QTextOption(Qt.AlignmentFlag.AlignHCenter))
        self.getPlotItem().addItem(self.placeholder, ignoreBounds=True)
        self.setToolTip("Parameter importance: how much each parameter decides whether a trial lands in the top 10%: PED-ANOVA "
                        "compares the parameter's distribution among the best trials with its distribution "
                        "among all complete trials (Pearson divergence), normalized to sum 1.\nOnly parameters "
                        "every complete trial has are rated (the units of layer 6 exist only in deep networks).")

    def set_importances(self, importances: dict[str, float], note: str = "") -> None:
        """Most important at the top; without importances, ``note`` says why there are none."""
        if note != self.placeholder.toPlainText():
            self.placeholder.setText(note)
        items = sorted(importances.items(), key=lambda kv: kv[1])
        self.names = [k for k, _ in items]
        self.values = [float(v) for _, v in items]
        y = list(range(len(items)))
        self.bars.setOpts(x0=[0.0] * len(items), y=y, width=self.values, height=0.6)
        self.getPlotItem().getAxis("left").setTicks([[(i, param_title(n)) for i, n in enumerate(self.names)]])
        self.placeholder.setVisible(not items)
        if items:
            self.getPlotItem().setRange(xRange=(0, max(self.values) * 1.05 or 1), yRange=(-0.6, len(items) - 0.4),
                                        padding=0)
        else:
            self.getPlotItem().setRange(xRange=(0, 1), yRange=(0, 1), padding=0)
            self.placeholder.setPos(0.5, 0.5)

    def importances(self) -> dict[str, float]:
        return dict(zip(self.names, self.values))

    def _fit(self) -> None:
        super()._fit()
        placeholder = getattr(self, "placeholder", None)
        width = self.getPlotItem().getViewBox().width()
        if placeholder is not None and width > 0:
            placeholder.setTextWidth(max(width - 12, 60))


class PlotDeck(QWidget):
    """``tuningPlots``: the plots side by side when each gets at least ``SIDE_BY_SIDE_MIN_WIDTH``
    pixels, otherwise one tab per plot (the tab names the plot, so the plot's own title is hidden)."""

    def __init__(self, plots: list[_StudyPlot], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("tuningPlots")
        self.plots = list(plots)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("tuningPlotsSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("tuningPlotsTabs")
        self.tabs.setDocumentMode(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)
        layout.addWidget(self.tabs)
        self.side_by_side: bool | None = None
        self._arrange(False)

    def _arrange(self, side_by_side: bool) -> None:
        if side_by_side == self.side_by_side:
            return
        self.side_by_side = side_by_side
        current = self.tabs.currentIndex()
        for i, plot in enumerate(self.plots):
            if side_by_side:
                self.splitter.insertWidget(i, plot)
            else:
                self.tabs.insertTab(i, plot, plot.title)
                self.tabs.setTabToolTip(i, plot.toolTip())
            plot.set_title_shown(side_by_side)
            plot.show()
            plot.fit_view()
        if side_by_side:  # an equal share each
            self.splitter.setSizes([max(self.width() // len(self.plots), 1)] * len(self.plots))
        else:
            self.tabs.setCurrentIndex(max(current, 0))
        self.splitter.setVisible(side_by_side)
        self.tabs.setVisible(not side_by_side)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._arrange(event.size().width() >= len(self.plots) * SIDE_BY_SIDE_MIN_WIDTH)
