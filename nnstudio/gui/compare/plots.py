"""The compare tab's plots: overlaid curves with spread bands and the depth study (the histograms
are in :mod:`.histograms`).

Each plot creates its items once per comparison and then only calls ``setData``.  The same
classes render the command line's PNG files (:func:`render_png`), so the files look like the tab.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont, QTextOption
from PySide6.QtWidgets import QApplication, QSizePolicy, QWidget

from ...compare import Band, DepthRecommendation, DepthRow
from ..plots.base import save_widget_png, style_plot
from ..plots.log_axis import LogTickAxis
from ..plots.titles import fit_title, shown_title, title_font
from ..qt.style import (AXIS_COLOR, BACKGROUND, BAND_ALPHA, PALETTE, RECOMMENDED_COLOR, RECOMMENDED_EDGE, TEXT_COLOR,
                        style_axis)

TITLE_MARGIN_PX = 12  # kept free at each end of the title
PREPARED_VARIANTS = 8  # the curves' items made ahead, while the window is idle
EMPTY_X, EMPTY_Y = (0, 10), (0, 1)  # the curves' range before a comparison: epochs 0 to 10
HINT = "Choose what to vary and press Run comparison (Ctrl+Return)"

# metric key -> (menu text, axis label)
CURVE_METRICS = {
    "val_loss": ("Validation loss", "validation loss"),
    "val_accuracy": ("Validation accuracy", "validation accuracy"),
    "train_loss": ("Training loss", "training loss"),
    "train_accuracy": ("Training accuracy", "training accuracy"),
}


def variant_color(index: int) -> str:
    """One colour per variant, shared by the curves, the histograms and the table's swatches."""
    if index < len(PALETTE):
        return PALETTE[index]
    return pg.intColor(index, hues=17).name()


def fill_brush(color: str, alpha: int) -> pg.QtGui.QBrush:
    """A brush of ``color`` at opacity ``alpha`` (0-255): the bands and the histograms' bars."""
    c = pg.mkColor(color)
    c.setAlpha(alpha)
    return pg.mkBrush(c)


LEGEND_GAP_PX = 8
LEGEND_ROW_PX = 19  # an 8 pt legend entry's height (18.4 px measured)


def side_legend(item: pg.PlotItem) -> pg.LegendItem:
    """A legend in a column right of ``item``'s view box, top-aligned: it never covers a curve or
    a band, and the curves keep the whole view."""
    legend = pg.LegendItem(offset=None, labelTextColor=TEXT_COLOR, brush=pg.mkBrush(255, 255, 255, 0),
                           pen=pg.mkPen(None), labelTextSize="8pt", verSpacing=-6)
    legend.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
    legend.layout.setContentsMargins(LEGEND_GAP_PX, 0, 0, 0)  # apart from the view's right edge
    item.layout.addItem(legend, 2, 3)  # beside the view box (2, 1) and the right axis (2, 2)
    item.layout.setAlignment(legend, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
    item.legend = legend
    legend.hide()
    return legend


class CurvesPlot(pg.PlotWidget):
    """One mean curve per variant (in the legend, a column right of the curves) over a shaded band
    from the seeds' min to max."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, background=BACKGROUND, axisItems={"left": LogTickAxis("left")})
        self.setObjectName("comparePlot")
        self.setMinimumSize(320, 170)  # the table under it keeps its rows at 1280 x 800
        self.title = ""
        self.hint = None
        item = self.getPlotItem()
        self.legend = side_legend(item)
        item.getViewBox().sigResized.connect(self._fit_legend)
        self.mean_curves: list[pg.PlotDataItem] = []
        self._edges: list[tuple[pg.PlotDataItem, pg.PlotDataItem]] = []
        self._fills: list[pg.FillBetweenItem] = []
        self._slots: list[tuple] = []  # (lo, hi, fill, curve) of each variant, kept for the next comparison
        self._prepared = 0
        self._preparing = QTimer(self)  # a child: it goes with the plot, never fires on a deleted one
        self._preparing.setSingleShot(True)
        self._preparing.setInterval(0)
        self._preparing.timeout.connect(self._prepare_one)
        self.metric_key = "val_loss"  # not "metric": that would hide QPaintDevice.metric() and crash painting
        # centred and wrapped to the plot's width (a TextItem keeps its size in pixels)
        self.hint = pg.TextItem(HINT, color=AXIS_COLOR, anchor=(0.5, 0.5))
        self.hint.textItem.document().setDefaultTextOption(QTextOption(Qt.AlignmentFlag.AlignHCenter))
        self.hint.setPos(sum(EMPTY_X) / 2, sum(EMPTY_Y) / 2)  # the middle of the empty plot
        item.addItem(self.hint, ignoreBounds=True)
        self.set_metric(self.metric_key)
        self._show_empty_range()

    def title_font(self) -> QFont:
        return title_font(self)

    def shown_title(self) -> str:
        """The title as drawn: elided to the plot's width (the full text is in the tooltip)."""
        return shown_title(self.getPlotItem())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if getattr(self, "hint", None) is not None:  # not while pyqtgraph is still building the widget
            self._fit_title()
            self._fit_hint()

    def _fit_title(self) -> None:
        """Elide the title to the widget's width: a longer title would be cut off at both ends."""
        fit_title(self.getPlotItem(), self.title, self.width(), self.title_font(), TITLE_MARGIN_PX, 40)

    def _fit_legend(self) -> None:
        """As many legend columns as it takes for every entry to fit the view's height."""
        rows_fit = max(1, int(self.getPlotItem().getViewBox().height() // LEGEND_ROW_PX))
        columns = max(1, math.ceil(len(self.legend.items) / rows_fit))
        if columns != self.legend.columnCount:
            self.legend.setColumnCount(columns)

    def _fit_hint(self) -> None:
        width = self.getPlotItem().getViewBox().width()
        if width > 0:
            self.hint.setTextWidth(max(width - 20, 80))

    def set_variants(self, labels: Sequence[str]) -> None:
        """Start over with one (empty) curve and band per label (the items of an earlier
        comparison, or those made ahead by :meth:`prepare`, are used again)."""
        while len(self._slots) < len(labels):
            self._add_slot()
        self.legend.clear()
        self.hint.setVisible(not labels)
        for i, (lo, hi, fill, curve) in enumerate(self._slots):
            used = i < len(labels)
            for obj in (lo, hi, curve):
                obj.setData([], [])
                obj.setVisible(used)
            fill.setVisible(used)
            if used:
                color = variant_color(i)
                fill.setBrush(fill_brush(color, BAND_ALPHA))
                curve.setPen(pg.mkPen(color, width=2))
                self.legend.addItem(curve, labels[i])
            curve.opts["name"] = labels[i] if used else None
        self.legend.setVisible(bool(labels))
        self._fit_legend()
        if labels:
            self.getPlotItem().enableAutoRange()  # the curves' own range, as they grow
        else:
            self._show_empty_range()
        n = len(labels)
        self.mean_curves = [slot[3] for slot in self._slots[:n]]
        self._edges = [(slot[0], slot[1]) for slot in self._slots[:n]]
        self._fills = [slot[2] for slot in self._slots[:n]]

    def _show_empty_range(self) -> None:
        """Before a comparison: epochs 0 to 10 and values from 0 to 1 (not pyqtgraph's 0 to 1 on
        both axes, which would read as epoch 0.2, 0.4...)."""
        self.getPlotItem().setRange(xRange=EMPTY_X, yRange=EMPTY_Y, padding=0)

    def prepare(self, count: int = PREPARED_VARIANTS) -> None:
        """Make the items of ``count`` variants ahead, one variant per turn of the event loop, so
        that the first Run does not spend its first moment building them."""
        self._prepared = max(self._prepared, count)
        self._preparing.start()

    def _prepare_one(self) -> None:
        if len(self._slots) < self._prepared:
            self._add_slot()
            self._preparing.start()

    def _add_slot(self) -> None:
        item = self.getPlotItem()
        color = variant_color(len(self._slots))
        # edges need a (transparent) pen: a PlotDataItem without one never passes its data on
        edge_pen = pg.mkPen(fill_brush(color, 0).color())
        lo = pg.PlotDataItem([], [], pen=edge_pen)
        hi = pg.PlotDataItem([], [], pen=edge_pen)
        curve = pg.PlotDataItem([], [], pen=pg.mkPen(color, width=2))
        fill = pg.FillBetweenItem(lo, hi, brush=fill_brush(color, BAND_ALPHA))
        for obj in (lo, hi, fill, curve):
            item.addItem(obj)  # not in the legend: set_variants names the curves in use
            obj.setVisible(False)
        curve.setZValue(10)
        self._slots.append((lo, hi, fill, curve))

    def set_metric(self, metric: str) -> None:
        self.metric_key = metric
        text, axis = CURVE_METRICS[metric]
        self.title = f"{text}: mean over seeds"
        style_plot(self, self.title, axis)
        self._fit_title()
        self.setToolTip(f"{text} per epoch, one colour per variant. The line is the mean over the seeds; the "
                        f"shaded band\nspans the range over the seeds, from the lowest to the highest value at "
                        f"each epoch.\nChoose what to vary and press Run comparison (Ctrl+Return).")

    def set_log_y(self, on: bool) -> None:
        self.getPlotItem().setLogMode(y=on)
        # the edges now draw log10 values, but a band's outline is only rebuilt when an edge's
        # data changes: rebuild it, or it stays in linear units (drawn at 10**value)
        for fill in self._fills:
            fill.updatePath()

    def update_bands(self, bands: Sequence[Band]) -> None:
        """Draw band i on curve i.  Epochs no seed reached yet are left out."""
        for curve, (lo, hi), band in zip(self.mean_curves, self._edges, bands):
            keep = band.count > 0
            x = band.epochs[keep]
            curve.setData(x, band.mean[keep])
            spread = keep & (band.count > 1)
            lo.setData(band.epochs[spread], band.lo[spread])
            hi.setData(band.epochs[spread], band.hi[spread])


class DepthPlot(pg.GraphicsLayoutWidget):
    """Best validation metric (mean ± std over seeds) and train/validation gap against depth,
    with the recommended depth marked."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("compareDepthPlot")
        self.setBackground(BACKGROUND)
        self.setMinimumSize(320, 170)
        self.metric_plot = self.addPlot(row=0, col=0)
        self.gap_plot = self.addPlot(row=1, col=0)
        self.gap_plot.setXLink(self.metric_plot)
        for plot in (self.metric_plot, self.gap_plot):
            for side in ("left", "bottom"):
                axis = plot.getAxis(side)
                style_axis(axis)
                axis.enableAutoSIPrefix(False)
            plot.showGrid(x=True, y=True, alpha=0.15)
        # the plots share the depth axis: named once, under the lower one (the upper keeps the room)
        self.gap_plot.setLabel("bottom", "hidden layers", color=TEXT_COLOR)
        self.metric_curve = self.metric_plot.plot([], [], pen=pg.mkPen(PALETTE[1], width=2), symbol="o",
                                                  symbolSize=7, symbolBrush=PALETTE[1], symbolPen=None)
        self.metric_errors = pg.ErrorBarItem(x=np.zeros(0), y=np.zeros(0), height=np.zeros(0),
                                             pen=pg.mkPen(PALETTE[1], width=1), beam=0.15)
        self.metric_plot.addItem(self.metric_errors)
        self.gap_curve = self.gap_plot.plot([], [], pen=pg.mkPen(PALETTE[3], width=2), symbol="s", symbolSize=6,
                                            symbolBrush=PALETTE[3], symbolPen=None)
        self.gap_zero = pg.InfiniteLine(pos=0, angle=0, pen=pg.mkPen(AXIS_COLOR, style=Qt.PenStyle.DashLine))
        self.gap_plot.addItem(self.gap_zero, ignoreBounds=True)
        self.recommended = pg.ScatterPlotItem(size=18, symbol="star", brush=RECOMMENDED_COLOR, pen=pg.mkPen(RECOMMENDED_EDGE))
        self.metric_plot.addItem(self.recommended)
        self.recommended_line = pg.InfiniteLine(angle=90, pen=pg.mkPen(RECOMMENDED_COLOR, width=1.5,
                                                                       style=Qt.PenStyle.DashLine),
                                                label="recommended", labelOpts={"position": 0.1,
                                                                                "color": RECOMMENDED_COLOR})
        self.recommended_line.hide()
        self.metric_plot.addItem(self.recommended_line, ignoreBounds=True)
        self.set_metric_name("validation accuracy")

    def set_metric_name(self, name: str) -> None:
        gap = "train − validation accuracy" if "accuracy" in name else "validation − train loss"
        self.titles = {self.metric_plot: f"Best {name} by depth", self.gap_plot: "Train/validation gap by depth"}
        self.metric_plot.setLabel("left", name, color=TEXT_COLOR)
        self.gap_plot.setLabel("left", "gap", color=TEXT_COLOR)
        self._fit_titles()
        self.setToolTip(f"Top: the {name} at each run's best epoch, mean ± std over the seeds, against the number "
                        f"of hidden layers;\nthe star marks the smallest depth within tolerance of the best.\n"
                        f"Bottom: the train/validation gap at the best epoch ({gap}); above 0 means overfitting.")

    def title_font(self) -> QFont:
        return title_font(self)

    def shown_title(self, plot: pg.PlotItem) -> str:
        """A plot's title as drawn: elided to its width (the full meaning is in the tooltip)."""
        return shown_title(plot)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if getattr(self, "titles", None):
            self._fit_titles()

    def _fit_titles(self) -> None:
        font = self.title_font()
        for plot, title in self.titles.items():  # both plots span the widget
            fit_title(plot, title, self.width(), font, TITLE_MARGIN_PX, 40)

    def show_rows(self, rows: Sequence[DepthRow], recommendation: DepthRecommendation | None) -> None:
        x = np.array([r.depth for r in rows], float)
        y = np.array([r.metric.mean for r in rows], float)
        err = np.array([r.metric.std if r.metric.n > 1 else 0.0 for r in rows], float)
        gap = np.array([r.gap.mean for r in rows], float)
        ok = np.isfinite(y)
        self.metric_curve.setData(x[ok], y[ok])
        self.metric_errors.setData(x=x[ok], y=y[ok], height=2 * np.nan_to_num(err[ok]))
        okg = np.isfinite(gap)
        self.gap_curve.setData(x[okg], gap[okg])
        if recommendation is None:
            self.recommended.setData([], [])
            self.recommended_line.hide()
        else:
            self.recommended.setData([recommendation.depth], [recommendation.value])
            self.recommended_line.setValue(recommendation.depth)
            self.recommended_line.label.setText(f"recommended: {recommendation.depth}")
            self.recommended_line.show()
        ticks = [[(d, str(int(d))) for d in x]]  # depths are whole numbers: no 2.5 layers on the axis
        for plot in (self.metric_plot, self.gap_plot):
            plot.getAxis("bottom").setTicks(ticks)
        if len(x):
            self.metric_plot.setXRange(x.min() - 0.5, x.max() + 0.5, padding=0)


def render_png(widget: QWidget, path, width: int = 960, height: int = 600) -> None:
    """Lay ``widget`` out at ``width`` x ``height`` pixels and write it as a PNG, atomically.

    A widget that was never shown has no backing surface to grab, so it is "shown" without
    appearing on any screen, rendered, and hidden again.
    """
    widget.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    widget.resize(width, height)
    widget.show()
    QApplication.processEvents()
    try:
        save_widget_png(widget, path)
    finally:
        widget.hide()
