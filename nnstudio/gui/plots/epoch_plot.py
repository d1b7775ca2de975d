"""Live per-epoch curves (pyqtgraph): a base plot with hover readout and markers, and the
accuracy, learning-rate and gradient-norm plots built on it.

Every curve is a ``PlotDataItem`` created once and updated with ``setData``; the x values
are 1-based epochs.  Hovering shows the values of every visible curve at the nearest epoch in
a box beside the cursor; the legend sits in the view's emptiest corner (see :mod:`.overlay`).
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtWidgets import QWidget

from ...history import History
from ..qt.refresh import MeteredPlotWidget, RangeAnchor, StickyBounds, nice_ceil
from ..qt.style import BACKGROUND, BEST_COLOR, PALETTE, STOP_COLOR, TEXT_COLOR, TRAIN_COLOR, VAL_COLOR
from .base import style_plot
from .log_axis import LogTickAxis, log_ticks
from .overlay import HoverReadout, label_position_clear, place_beside, place_legend, text_scene_rect
from .titles import fit_first_title, title_font

TITLE_MARGIN_PX = 6  # kept free at each end of the title


def format_value(value: float) -> str:
    if not math.isfinite(value):
        return "–"
    return f"{value:.4g}"


class EpochPlot(MeteredPlotWidget):
    """A plot of named per-epoch series with a legend, hover readout and epoch markers.

    The auto-range fits sticky "nice" bounds around the data (see :mod:`.refresh`), so the
    axes stay put while points are added.

    Args:
        name: the widget's ``objectName``.
        title, y_label: shown on the plot.
        legend_at_bottom: start the legend in the lower right corner (for rising curves); it
            moves to whichever corner has the fewest points once there are curves.
        marker_label_y: heights (0 bottom .. 1 top) of the best and stop marks' labels.
        y_from_zero: keep 0 inside the y range (rates, norms).
        empty_y: the y range shown before there is data (epochs show 0 to 10).
    """

    def __init__(self, name: str, title: str, y_label: str = "", parent: QWidget | None = None, *,
                 legend_at_bottom: bool = False, marker_label_y: tuple[float, float] = (0.88, 0.62),
                 y_from_zero: bool = False, short_title: str = "", empty_y: tuple[float, float] = (0.0, 1.0)):
        super().__init__(parent, background=BACKGROUND, axisItems={"left": LogTickAxis("left")})
        self.setObjectName(name)
        self.title = title
        self.titles = (title, short_title) if short_title else (title,)  # the first that fits is shown
        style_plot(self, title, y_label)
        self.setMinimumSize(194, 160)  # two side by side beside the run's inside tabs at 1280 x 800
        item = self.getPlotItem()
        item.setClipToView(True)
        item.setDownsampling(auto=True, mode="peak")
        self.legend = item.addLegend(offset=(-6, -6 if legend_at_bottom else 6), labelTextColor=TEXT_COLOR, brush=pg.mkBrush(255, 255, 255, 200),
                                     labelTextSize="8pt", verSpacing=-6)
        self.series: dict[str, pg.PlotDataItem] = {}
        self._labels: dict[str, str] = {}
        self.unbounded: set[str] = set()  # series drawn but left out of the range (another run's)
        self.format_value = format_value
        self._anchor = RangeAnchor(empty_y)
        self.run_ended = False  # set when the run is over: the x range then fits the data snugly
        item.addItem(self._anchor)
        self._y_bounds = StickyBounds(from_zero=y_from_zero)
        item.ctrl.logYCheck.toggled.connect(self._on_log_toggled)
        self._make_markers(*marker_label_y)
        self._make_readout()
        self.legend.corner = "bottom-right" if legend_at_bottom else "top-right"
        box = item.getViewBox()
        self._legend_timer = QTimer(self)  # placed once the view's new range has reached its items
        self._legend_timer.setSingleShot(True)
        self._legend_timer.setInterval(0)
        self._legend_timer.timeout.connect(self._place_legend)
        box.sigRangeChanged.connect(self._legend_timer.start)
        box.sigResized.connect(self._legend_timer.start)
        box.sigResized.connect(self._fit_title)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if hasattr(self, "titles"):  # not while the plot widget is still being built
            self._fit_title()

    def _fit_title(self, *_signal_args) -> None:
        """The longest title that fits over the view.  Also when the left axis widens or narrows with
        its tick labels (the view box resizes, the widget does not); a new title changes the plot's
        minimum width, so the plot is laid out again at the widget's size, never wider."""
        item = self.getPlotItem()
        if item is None:  # the widget is being closed
            return
        before = item.titleLabel.text
        fit_first_title(item, self.titles, self.width(), title_font(self), TITLE_MARGIN_PX)
        if item.titleLabel.text != before:
            item.layout.invalidate()
            item.setGeometry(QRectF(self.rect()))

    def _place_legend(self, *_signal_args) -> None:
        """Keep the legend in the view's free corner; a best or stop mark's label under it moves
        along its line to just above (or below) the legend."""
        for line in (self.best_line, *self._other_marks):
            if line.isVisible():
                self._place_beside(line)
        if not self.legend.isVisible() or not self.legend.items:
            return
        box = self.getPlotItem().getViewBox()
        marks = [*zip((self.best_line, self.stop_line), self._mark_label_y), *self._other_marks.items()]
        lines = [(line, y) for line, y in marks if line.isVisible()]
        for line, y in lines:
            line.label.setPosition(y)  # where the label belongs when the legend is elsewhere
        marks = [text_scene_rect(line.label) for line, _y in lines]
        corner = place_legend(self.legend, box, self.series.values(), marks)
        taken = [self.legend.sceneBoundingRect()]  # a label moved off the legend also keeps off the others
        for line, _y in lines:
            label = text_scene_rect(line.label)
            if any(label.intersects(other) for other in taken):
                line.label.setPosition(label_position_clear(label, taken, box.sceneBoundingRect(),
                                                            corner.startswith("bottom")))
                label = text_scene_rect(line.label)
            taken.append(label)

    # -- series ------------------------------------------------------------------------
    def add_series(self, key: str, label: str, pen_color: str, width: float = 2.0, alpha: int = 255,
                   legend: bool = True, style=Qt.PenStyle.SolidLine) -> pg.PlotDataItem:
        qcolor = pg.mkColor(pen_color)
        qcolor.setAlpha(alpha)
        pen = pg.mkPen(qcolor, width=width, style=style)  # a lone point is a dot (set_series)
        curve = self.getPlotItem().plot([], [], pen=pen, name=label if legend else None, symbol=None,  # (or
                                        symbolBrush=qcolor, symbolPen=None, symbolSize=2 * width + 3)  # pg adds 'o')
        self.series[key] = curve
        self._labels[key] = label
        return curve

    def remove_all_series(self) -> None:
        for curve in self.series.values():
            self.getPlotItem().removeItem(curve)  # also removes it from the legend
        self.series.clear()
        self._labels.clear()

    def set_series(self, key: str, x: np.ndarray, y: np.ndarray) -> None:
        self.series[key].setData(x, y, symbol="o" if len(x) == 1 else None)

    def clear_data(self) -> None:
        for curve in self.series.values():
            curve.setData([], [])
        self._y_bounds.reset()
        self._anchor.set_bounds(None, None)
        self.run_ended = False
        self.set_best_epoch(None)
        self.set_stop_epoch(None, "")
        self.hide_readout()

    def update_from(self, history: History) -> None:
        """Redraw from the history and refit the range."""
        self._draw(history)
        self.fit_range()

    def _draw(self, history: History) -> None:
        """Set the series' data (subclasses choose the columns)."""

    @property
    def log_y(self) -> bool:
        return self.getPlotItem().ctrl.logYCheck.isChecked()

    def fit_range(self) -> None:
        """Point the auto-range at sticky bounds around the visible curves' data.  Unbounded
        curves (the previous run's) never widen the x range, but their values inside it count
        for the y range, so the run they are compared with stays in view."""
        visible = [(key, *curve.getOriginalDataset()) for key, curve in self.series.items() if curve.isVisible()]
        visible = [(key, x, y) for key, x, y in visible if x is not None and len(x)]
        last = max((float(x[-1]) for key, x, _y in visible if key not in self.unbounded), default=0.0)
        if self.run_ended:  # fit the finished run snugly: the last epoch an epoch or 2% from the edge
            x_max = max(last + max(1.0, 0.02 * last), 10.0)
        else:  # while it grows: 10, 20, 50, 100... with headroom, so the axis is rebuilt only now and then
            x_max = nice_ceil(max(1.2 * last, 10.0))
        lo, hi = math.inf, -math.inf
        for key, x, y in visible:
            if key in self.unbounded:
                y = y[x <= x_max]
            if self.log_y:
                with np.errstate(divide="ignore", invalid="ignore"):
                    y = np.log10(y)
            finite = y[np.isfinite(y)]
            if finite.size:
                lo, hi = min(lo, float(finite.min())), max(hi, float(finite.max()))
        if last <= 0 or lo > hi:
            self._anchor.set_bounds(None, None)
            return
        self._place_beside(self.best_line)
        self._anchor.set_bounds((0.0, x_max), self._fit_y(lo, hi))

    def _fit_y(self, lo: float, hi: float) -> tuple[float, float]:
        """The y range (view coordinates) for data from ``lo`` to ``hi``."""
        return self._y_bounds.fit(lo, hi)

    def _on_log_toggled(self, _on: bool) -> None:
        self._y_bounds.reset()
        self.fit_range()

    # -- markers -------------------------------------------------------------------------
    def _make_markers(self, best_y: float, stop_y: float) -> None:
        item = self.getPlotItem()
        self._mark_label_y = (best_y, stop_y)
        self._other_marks: dict[pg.InfiniteLine, float] = {}  # line -> its label's height
        self.best_line = pg.InfiniteLine(angle=90, pen=pg.mkPen(BEST_COLOR, width=1.5, style=Qt.PenStyle.DashLine),
                                         label="best", labelOpts={"position": best_y, "color": BEST_COLOR,
                                                                  "anchors": [(0, 0.5), (0, 0.5)]})
        self.stop_line = pg.InfiniteLine(angle=90, pen=pg.mkPen(STOP_COLOR, width=1.5, style=Qt.PenStyle.DotLine),
                                         label="", labelOpts={"position": stop_y, "color": STOP_COLOR,
                                                              "anchors": [(1, 0.5), (1, 0.5)]})
        for line in (self.best_line, self.stop_line):
            line.setZValue(5)
            line.hide()
            item.addItem(line, ignoreBounds=True)

    def add_mark(self, line: pg.InfiniteLine) -> None:
        """Show a labelled vertical ``line`` of another kind (a finding's epoch): like the best and
        stop marks, its label moves along the line off the legend."""
        self._other_marks[line] = line.label.orthoPos
        self.getPlotItem().addItem(line, ignoreBounds=True)
        self._legend_timer.start()

    def remove_mark(self, line: pg.InfiniteLine) -> None:
        self._other_marks.pop(line, None)
        self.getPlotItem().removeItem(line)

    def mark_changed(self) -> None:
        """A mark's label or the legend's entries changed: place the legend and the labels again."""
        self._legend_timer.start()

    def set_best_epoch(self, epoch: int | None) -> None:
        """Mark the epoch with the lowest validation loss (0: the initial weights; None hides the mark)."""
        if epoch is None:
            self.best_line.hide()
            return
        self.best_line.setValue(epoch)
        self.best_line.label.setText(f"best {epoch}" + (" (initial)" if epoch == 0 else ""))
        self._place_beside(self.best_line)
        self.best_line.show()
        self._legend_timer.start()  # its label may now sit under the legend

    def _place_beside(self, line: pg.InfiniteLine) -> None:
        place_beside(line, self.getPlotItem().getViewBox())

    def set_stop_epoch(self, epoch: int | None, label: str) -> None:
        """Mark where training stopped early, was stopped or diverged (None hides the mark)."""
        if not epoch:
            self.stop_line.hide()
            return
        self.stop_line.setValue(epoch)
        self.stop_line.label.setText(label)
        self.stop_line.show()
        self._legend_timer.start()

    # -- hover readout ---------------------------------------------------------------------
    def _make_readout(self) -> None:
        """Hovering shows the values at the nearest epoch in a box beside the cursor."""
        item = self.getPlotItem()
        self._cursor = pg.InfiniteLine(angle=90, pen=pg.mkPen(120, 120, 120, 140, width=1))
        self._cursor.setZValue(4)
        self._cursor.hide()
        item.addItem(self._cursor, ignoreBounds=True)
        self.readout = HoverReadout(item.getViewBox())
        self.readout_text = ""
        self._mouse_proxy = pg.SignalProxy(self.scene().sigMouseMoved, rateLimit=30, slot=self._on_mouse_moved)

    def _on_mouse_moved(self, event) -> None:
        pos: QPointF = event[0]
        box = self.getPlotItem().getViewBox()
        if not box.sceneBoundingRect().contains(pos):
            self.hide_readout()
            return
        x = box.mapSceneToView(pos).x()
        if self.getPlotItem().ctrl.logXCheck.isChecked():
            x = 10 ** x
        self.show_readout(round(x), pos)

    def show_readout(self, epoch: int, at: QPointF | None = None) -> str:
        """Show (and return) the values of the visible curves at the epoch nearest ``epoch``,
        beside ``at`` (scene coordinates; by default the first curve's point at that epoch)."""
        values, shown_epoch, first = {}, None, None
        for key, curve in self.series.items():
            if not curve.isVisible():
                continue
            x, y = curve.getOriginalDataset()
            if x is None or len(x) == 0:
                continue
            i = int(np.clip(np.searchsorted(x, epoch), 0, len(x) - 1))
            if i > 0 and abs(x[i - 1] - epoch) <= abs(x[i] - epoch):
                i -= 1
            shown_epoch = int(x[i])
            values[key] = float(y[i])
            if first is None:
                _, shown_y = curve.getData()
                first = float(shown_y[min(i, len(shown_y) - 1)]) if shown_y is not None and len(shown_y) else 0.0
        if shown_epoch is None:
            self.hide_readout()
            return ""
        self.readout_text = f"epoch {shown_epoch}\n" + self.format_readout(values)
        box = self.getPlotItem().getViewBox()
        if at is None:
            at = box.mapViewToScene(QPointF(shown_epoch, first if math.isfinite(first) else 0.0))
        self.readout.show(self.readout_text, at)
        self._cursor.setValue(shown_epoch)
        self._cursor.show()
        return self.readout_text

    def format_readout(self, values: dict[str, float]) -> str:
        """``label value``, a line for each series (subclasses group related series)."""
        return "\n".join(f"{self._labels[key]} {self.format_value(v)}" for key, v in values.items())

    def hide_readout(self) -> None:
        if self.readout_text:
            self.readout_text = ""
            self._cursor.hide()
            self.readout.hide()

    def leaveEvent(self, event) -> None:
        self.hide_readout()
        super().leaveEvent(event)


class AccuracyPlot(EpochPlot):
    """Train and validation accuracy, in percent."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__("accuracyPlot", "Accuracy", "%", parent, legend_at_bottom=True,
                         marker_label_y=(0.45, 0.3), empty_y=(0.0, 100.0))
        self.add_series("train", "train", TRAIN_COLOR)
        self.add_series("val", "validation", VAL_COLOR)
        self.format_value = lambda v: f"{v:.1f}%" if math.isfinite(v) else "–"
        self.setToolTip("Fraction of samples whose predicted class (argmax of the output, or p > 0.5 for one "
                        "sigmoid unit) is the true class.\nA widening gap between train and validation is "
                        "overfitting.")

    def _draw(self, history: History) -> None:
        x = history.epochs
        self.set_series("train", x, 100.0 * history.column("train_accuracy"))
        self.set_series("val", x, 100.0 * history.column("val_accuracy"))


LR_HEADROOM = 1.2  # the linear y axis reaches at least 1.2 x the largest rate
LR_LOG_HALF_SPAN = 0.5  # a constant rate on a log axis sits mid-way in one decade


class LearningRatePlot(EpochPlot):
    """The learning rate used in each epoch (after the schedule)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__("learningRatePlot", "Learning rate", "", parent, y_from_zero=True)
        self.add_series("lr", "learning rate", PALETTE[4])
        self.legend.hide()
        self.setToolTip("The step size the optimizer used in each epoch, after the schedule "
                        "(constant, step, exponential, cosine or plateau).")

    def _draw(self, history: History) -> None:
        self.set_series("lr", history.epochs, history.column("learning_rate"))

    def _fit_y(self, lo: float, hi: float) -> tuple[float, float]:
        """Room above the largest rate, so a constant rate is a line inside the plot with ticks
        below and above it rather than on its top edge; on a log axis the whole decades the
        rates span (at least the one a constant rate is in)."""
        if self.log_y:
            low, high = math.floor(lo + 1e-9), math.ceil(hi - 1e-9)
            if high - low < 1:
                low, high = lo - LR_LOG_HALF_SPAN, hi + LR_LOG_HALF_SPAN
            self.getPlotItem().getAxis("left").setTicks(log_ticks(low, high))
            return float(low), float(high)
        self.getPlotItem().getAxis("left").setTicks(None)  # pyqtgraph's own, at 1-2-5 steps
        return self._y_bounds.fit(min(lo, 0.0), hi * LR_HEADROOM if hi > 0 else hi)

    def _on_log_toggled(self, on: bool) -> None:
        if not on:
            self.getPlotItem().getAxis("left").setTicks(None)
        super()._on_log_toggled(on)
