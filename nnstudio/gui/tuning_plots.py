"""Plots of a study: optimization history, intermediate values and parameter importances.

Each plot creates its items once and updates them with ``setData`` from a
:class:`~nnstudio.tuning.StudySnapshot`; tests read them back with ``getData()``.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from ..tuning import METRICS, StudySnapshot, best_so_far
from .epoch_plot import BACKGROUND, BEST_COLOR, PALETTE, STOP_COLOR, TEXT_COLOR, style_plot

COMPLETE_COLOR = PALETTE[0]
PRUNED_COLOR = "#9e9e9e"
RUNNING_COLOR = PALETTE[1]


def _legend(plot: pg.PlotWidget) -> pg.LegendItem:
    return plot.getPlotItem().addLegend(offset=(-6, -6), labelTextColor=TEXT_COLOR, labelTextSize="8pt",
                                        brush=pg.mkBrush(255, 255, 255, 200), verSpacing=-6)


def _metric_label(snapshot: StudySnapshot) -> str:
    return METRICS[snapshot.metric].label if snapshot.metric in METRICS else snapshot.metric


class HistoryPlot(pg.PlotWidget):
    """``historyPlot``: the value of each complete trial (dots), pruned trials' last reported values
    (grey crosses) and the best value so far (a step line)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, background=BACKGROUND)
        self.setObjectName("historyPlot")
        style_plot(self, "Optimization history", "value", "trial")
        self.setMinimumSize(120, 150)
        _legend(self)
        item = self.getPlotItem()
        self.pruned = item.plot([], [], pen=None, symbol="x", symbolSize=7, symbolPen=pg.mkPen(PRUNED_COLOR),
                                symbolBrush=None, name="pruned")
        self.values = item.plot([], [], pen=None, symbol="o", symbolSize=7, symbolPen=pg.mkPen("w"),
                                symbolBrush=pg.mkBrush(COMPLETE_COLOR), name="complete")
        self.best = item.plot([], [], pen=pg.mkPen(BEST_COLOR, width=2), stepMode=None, name="best so far")
        self.setToolTip("Each dot is a complete trial's validation value; grey crosses are pruned trials at the "
                        "epoch they were stopped.\nThe green line is the best value found up to that trial.")

    def update_from(self, snapshot: StudySnapshot) -> None:
        self.getPlotItem().setLabel("left", _metric_label(snapshot), color=TEXT_COLOR)
        numbers, values, best = best_so_far(snapshot.rows, snapshot.direction)
        self.values.setData(numbers, values)
        self.best.setData(numbers, best)
        pruned = [(r.number, r.value) for r in snapshot.rows
                  if r.state == "PRUNED" and r.value is not None and math.isfinite(r.value)]
        self.pruned.setData([p[0] for p in pruned], [p[1] for p in pruned])

    def clear_data(self) -> None:
        for curve in (self.values, self.best, self.pruned):
            curve.setData([], [])


class IntermediatePlot(pg.PlotWidget):
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
        super().__init__(parent, background=BACKGROUND)
        self.setObjectName("intermediatePlot")
        style_plot(self, "Intermediate values", "value", "epoch")
        self.setMinimumSize(120, 150)
        self.curves: dict[int, pg.PlotDataItem] = {}
        self._styles: dict[int, tuple] = {}
        self.setToolTip("The validation value each trial reported while it trained.\nDashed grey: pruned "
                        "(stopped early because it was worse than the median of earlier trials at that epoch);"
                        "\norange: running; thick green: the best trial.")

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


class ImportancePlot(pg.PlotWidget):
    """``importancePlot``: PED-ANOVA importance of each parameter, as horizontal bars (sum 1)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, background=BACKGROUND)
        self.setObjectName("importancePlot")
        style_plot(self, "Importance", "", "PED-ANOVA importance")
        self.setMinimumSize(120, 150)
        self.bars = pg.BarGraphItem(x0=[], y=[], height=0.6, width=[], brush=pg.mkBrush(COMPLETE_COLOR))
        self.getPlotItem().addItem(self.bars)
        self.getPlotItem().setMouseEnabled(x=False, y=False)
        self.names: list[str] = []
        self.values: list[float] = []
        self.placeholder = pg.TextItem("Needs a few complete trials", color=TEXT_COLOR, anchor=(0.5, 0.5))
        self.getPlotItem().addItem(self.placeholder, ignoreBounds=True)
        self.setToolTip("How much each parameter decides whether a trial lands in the top 10%: PED-ANOVA "
                        "compares the parameter's distribution among the best trials with its distribution "
                        "among all complete trials (Pearson divergence), normalized to sum 1.\nOnly parameters "
                        "every complete trial has are rated (hidden_size_5 exists only in deep networks).")

    def set_importances(self, importances: dict[str, float]) -> None:
        """Most important at the top."""
        items = sorted(importances.items(), key=lambda kv: kv[1])
        self.names = [k for k, _ in items]
        self.values = [float(v) for _, v in items]
        y = list(range(len(items)))
        self.bars.setOpts(x0=[0.0] * len(items), y=y, width=self.values, height=0.6)
        self.getPlotItem().getAxis("left").setTicks([[(i, n) for i, n in enumerate(self.names)]])
        self.placeholder.setVisible(not items)
        if items:
            self.getPlotItem().setRange(xRange=(0, max(self.values) * 1.05 or 1), yRange=(-0.6, len(items) - 0.4),
                                        padding=0)
        else:
            self.getPlotItem().setRange(xRange=(0, 1), yRange=(0, 1), padding=0)
            self.placeholder.setPos(0.5, 0.5)

    def importances(self) -> dict[str, float]:
        return dict(zip(self.names, self.values))
