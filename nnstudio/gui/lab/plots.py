"""The Lab tab's plots: range-test curves, verification, the landscape image and the lines.

Learning-rate axes are logarithmic (pyqtgraph's log mode: curves take rates, while lines,
regions and error bars, which log mode does not transform, take log10 of the rate).
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal

from ...lab import FinderResult, Mark, RangeCurve, Verdict
from ..plots.base import EmptyNote, style_plot
from ..plots.titles import FittedTitles
from ..qt.refresh import MeteredPlotWidget
from ..qt.style import BACKGROUND, PALETTE, SUCCESS_TEXT, TEXT_COLOR, color

MARK_COLORS = {"minimum": PALETTE[3], "steep": PALETTE[4], "valley": PALETTE[5]}
MARK_SYMBOLS = {"minimum": "t", "steep": "d", "valley": "s"}
BAND_BRUSH = (*pg.mkColor(PALETTE[2]).getRgb()[:3], 40)
BAND_PEN = PALETTE[2]


class DecadeAxis(pg.AxisItem):
    """A horizontal log axis labelled at whole decades only, as many as fit (every 1st, 2nd, 3rd...
    decade) — rates span many decades and 1-2-5 labels would collide."""

    LABEL_PX = 48  # room one label needs

    def tickValues(self, minVal, maxVal, size):  # noqa: N802 - pyqtgraph's name
        if not self.logMode:
            return super().tickValues(minVal, maxVal, size)
        low, high = sorted((minVal, maxVal))
        lo, hi = math.ceil(low), math.floor(high)
        count = max(hi - lo + 1, 1)
        step = max(1, math.ceil(count * self.LABEL_PX / max(size, 1.0)))
        values = [float(v) for v in range(lo, hi + 1) if v % step == 0]
        if high - low < 2.5:  # a narrow range: 2 and 5 of each decade as well
            values = [math.log10(k) + e for e in range(math.floor(low), hi + 1) for k in (1, 2, 5)
                      if low <= math.log10(k) + e <= high]
        return [(step, values)]

    def tickStrings(self, values, scale, spacing):  # noqa: N802
        if not self.logMode:
            return super().tickStrings(values, scale, spacing)
        return [decade_text(int(round(v))) if abs(v - round(v)) < 1e-9 else f"{10 ** v:.2g}" for v in values]


def decade_text(exponent: int) -> str:
    """10^e as people write rates: 0.001, 0.01, 0.1, 1, 10, 100 near 1, 1e-5 beyond."""
    return f"{10.0 ** exponent:g}" if -3 <= exponent <= 2 else f"1e{exponent}"


def _log_axis_plot(widget: pg.PlotWidget, title: str, y_label: str) -> None:
    style_plot(widget, title, y_label, x_label="learning rate")
    widget.getPlotItem().setLogMode(x=True, y=False)


def _band_region(lo: float, hi: float) -> pg.LinearRegionItem:
    region = pg.LinearRegionItem((math.log10(lo), math.log10(hi)), movable=False, brush=pg.mkBrush(*BAND_BRUSH),
                                 pen=pg.mkPen(BAND_PEN, width=1))
    region.setZValue(-20)
    return region


class FinderPlot(FittedTitles, MeteredPlotWidget):
    """``finderPlot``: each seed's smoothed loss, the seeds' spread and mean, each seed's suggestion
    marks, a dashed line per candidate (geometric mean over seeds) with a dot on the mean curve, and
    the recommended band."""

    def __init__(self, parent=None):
        super().__init__(parent, background=BACKGROUND, axisItems={"bottom": DecadeAxis("bottom")})
        self.setObjectName("finderPlot")
        _log_axis_plot(self, "Range test: smoothed training loss per seed", "smoothed loss")
        self.set_titles(("Range test: smoothed training loss per seed", "Smoothed training loss per seed",
                         "Range test"))
        legend = self.addLegend(offset=(10, -10), labelTextColor=TEXT_COLOR)  # bottom left: below the flat start
        legend.setColumnCount(3)
        self.curves: list[pg.PlotDataItem] = []
        self.marks: list[pg.PlotDataItem] = []
        self.candidate_lines: dict[str, pg.InfiniteLine] = {}
        self.band: pg.LinearRegionItem | None = None
        self._spread: list = []
        self.mean_curve: pg.PlotDataItem | None = None  # the seeds' mean (dashed), drawn with two seeds or more
        self.setToolTip("Each seed's range test: the rate rises exponentially, one mini-batch per step, and the "
                        "curve is the debiased moving average of the batch loss (β = 0.98).\nMarks: minimum/10 "
                        "(triangle), steep (diamond) and valley (square) of each seed; dashed lines: their "
                        "geometric means, dotted on the seeds' mean curve (dashed, dark); the green band is the recommendation after verification.")

    def clear_all(self) -> None:
        self.getPlotItem().clear()
        self.getPlotItem().legend.clear()
        self.curves, self.marks, self.candidate_lines, self.band, self._spread = [], [], {}, None, []
        self.mean_curve: pg.PlotDataItem | None = None

    def add_curve(self, curve: RangeCurve, marks: dict[str, Mark]) -> None:
        i = len(self.curves)
        pen = pg.mkPen(color(i), width=1.6)
        self.curves.append(self.plot(curve.lrs, curve.smoothed, pen=pen, name=f"seed {curve.seed}"))
        for method, mark in marks.items():
            item = self.plot([mark.point_lr], [mark.point_loss], pen=None, symbol=MARK_SYMBOLS[method], symbolSize=10,
                             symbolBrush=MARK_COLORS[method], symbolPen=pg.mkPen(TEXT_COLOR))
            item.setToolTip(f"seed {curve.seed}: {method} suggests {mark.lr:.3g}")
            self.marks.append(item)

    def show_result(self, result: FinderResult) -> None:
        """The seeds' spread (min..max of the smoothed loss per step) and the candidates' lines."""
        lrs, mean, lo, hi = result.band_of_curves()
        if len(result.curves) > 1 and len(lrs):
            low = self.plot(lrs, lo, pen=None)
            high = self.plot(lrs, hi, pen=None)
            fill = pg.FillBetweenItem(low, high, brush=pg.mkBrush(*pg.mkColor(PALETTE[0]).getRgb()[:3], 30))
            fill.setZValue(-15)
            self.addItem(fill)
            self._spread = [low, high, fill]
            # the curve the candidates' dots sit on: with one seed it is that seed's own curve
            self.mean_curve = self.plot(lrs, mean, pen=pg.mkPen(TEXT_COLOR, width=1.4, style=Qt.PenStyle.DashLine),
                                        name="mean of seeds")
        for candidate in result.candidates:
            # named in the legend (labels beside close lines would collide), with a dot on the mean curve
            tint = MARK_COLORS[candidate.method]
            line = pg.InfiniteLine(math.log10(candidate.lr), angle=90,
                                   pen=pg.mkPen(tint, width=1.2, style=Qt.PenStyle.DashLine))
            self.addItem(line)
            height = float(np.interp(math.log(candidate.lr), np.log(lrs), mean)) if len(lrs) else math.nan
            self.plot([candidate.lr], [height], pen=None, symbol="o", symbolSize=9, symbolBrush=tint,
                      name=f"{candidate.method} {candidate.lr:.2g}")
            self.candidate_lines[candidate.method] = line
        if len(lrs):
            every = np.concatenate([c.smoothed[np.isfinite(c.smoothed)] for c in result.curves])
            low, high = float(every.min()), float(every.max())
            pad = 0.05 * (high - low or 1.0)
            self.setYRange(low - pad, high + pad, padding=0)

    def show_band(self, lo: float, hi: float) -> None:
        if self.band is not None:
            self.removeItem(self.band)
        self.band = _band_region(lo, hi)
        self.addItem(self.band)


EMPTY_DECADES = (-4.0, 0.0)  # the verification plot's rate axis before a verdict: 1e-4 to 1


class VerifyPlot(FittedTitles, MeteredPlotWidget):
    """``verifyPlot``: each candidate's validation loss after the brief training (mean over seeds,
    bars from the best to the worst seed), the band and the suggestion."""

    def __init__(self, parent=None):
        super().__init__(parent, background=BACKGROUND, axisItems={"bottom": DecadeAxis("bottom")})
        self.setObjectName("verifyPlot")
        _log_axis_plot(self, "Verification", "validation loss")
        self.points = self.plot([], [], pen=pg.mkPen(PALETTE[0], width=1.2), symbol="o", symbolSize=8,
                                symbolBrush=PALETTE[0])
        self.errors = pg.ErrorBarItem(x=np.array([]), y=np.array([]), height=np.array([]), pen=pg.mkPen(PALETTE[0]))
        self.addItem(self.errors)
        self.star = self.plot([], [], pen=None, symbol="star", symbolSize=18, symbolBrush=PALETTE[2],
                              symbolPen=pg.mkPen(SUCCESS_TEXT))
        self.band: pg.LinearRegionItem | None = None
        self.setToolTip("Each candidate trained briefly on a few seeds: the dot is the mean validation loss after "
                        "the last epoch, the bar spans the best to the worst seed.\nGreen band: the rates within 10% "
                        "of the best; star: the suggestion.")
        self.empty_note = EmptyNote(self, "No verification yet")
        self._show_empty()

    def _show_empty(self) -> None:
        """Before a verdict: rates 10⁻⁴ to 1 and losses from 0, and a note saying there is none yet."""
        self.setRange(xRange=EMPTY_DECADES, yRange=(0.0, 1.0), padding=0.02)
        self.empty_note.show()

    def clear_all(self) -> None:
        self._show_empty()
        self.points.setData([], [])
        self.star.setData([], [])
        self.errors.setData(x=np.array([]), y=np.array([]), height=np.array([]))
        self.set_titles(("Verification",))
        if self.band is not None:
            self.removeItem(self.band)
            self.band = None

    def show_verdict(self, verdict: Verdict) -> None:
        self.empty_note.hide()
        self.enableAutoRange()
        ok = [r for r in verdict.rates if math.isfinite(r.score)]
        x = np.array([r.lr for r in ok])
        y = np.array([r.score for r in ok])
        self.points.setData(x, y)
        lo = np.array([min(r.val_losses) for r in ok])
        hi = np.array([max(r.val_losses) for r in ok])
        self.errors.setData(x=np.log10(x) if len(x) else x, y=(lo + hi) / 2, height=hi - lo)
        bad = [f"{r.lr:.2g}" for r in verdict.rates if not math.isfinite(r.score)]
        if math.isfinite(verdict.suggestion):
            best = next(r for r in ok if r.lr == verdict.suggestion)
            self.star.setData([best.lr], [best.score])
            self.band = _band_region(*verdict.band)
            self.addItem(self.band)
        title = f"Verification: {verdict.epochs} epochs × {verdict.seeds} seeds"
        diverged = f" · diverged {', '.join(bad)}" if bad else ""
        self.set_titles(dict.fromkeys((title + diverged, f"Verification{diverged}", title, "Verification")))


class LandscapeView(FittedTitles, MeteredPlotWidget):
    """``landscapeView``: log10 of the training loss over the plane, the training path, the trained
    point at (0, 0) and the chosen point.  Clicking the image emits ``pointChosen(x, y)``."""

    pointChosen = Signal(float, float)

    def __init__(self, parent=None):
        super().__init__(parent, background=BACKGROUND)
        self.setObjectName("landscapeView")
        style_plot(self, "log10 training loss", "direction 2", x_label="direction 1")
        item = self.getPlotItem()
        item.showGrid(x=False, y=False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setZValue(-10)
        self.image.setColorMap(pg.colormap.get("viridis"))
        item.addItem(self.image)
        self.colorbar = pg.ColorBarItem(colorMap=pg.colormap.get("viridis"), label="log10 loss", interactive=False,
                                        width=12)
        self.colorbar.setImageItem(self.image, insert_in=item)
        self.path = self.plot([], [], pen=pg.mkPen(BACKGROUND, width=2.5), symbol="o", symbolSize=4,
                              symbolBrush=BACKGROUND, symbolPen=pg.mkPen(TEXT_COLOR))
        self.start = self.plot([], [], pen=None, symbol="o", symbolSize=11, symbolBrush=PALETTE[3],
                               symbolPen=pg.mkPen(BACKGROUND))
        self.trained = self.plot([], [], pen=None, symbol="star", symbolSize=16, symbolBrush=BACKGROUND,
                                 symbolPen=pg.mkPen(TEXT_COLOR))
        self.chosen = self.plot([], [], pen=None, symbol="+", symbolSize=18, symbolPen=pg.mkPen(PALETTE[1], width=3))
        self.extent: QRectF | None = None
        self.scene().sigMouseClicked.connect(self._on_click)
        self.setToolTip("Click a point to load the weights there: its losses (and, for 2-D data, its decision "
                        "boundary) appear beside the map.\nWhite line: the training path projected onto the plane "
                        "(red dot: the start); star: the trained weights.")

    def show_result(self, result) -> None:
        with np.errstate(all="ignore"):
            values = np.log10(result.loss)
        finite = values[np.isfinite(values)]
        levels = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        self.image.setImage(np.nan_to_num(values, nan=levels[1], posinf=levels[1]), levels=levels)
        self.colorbar.setLevels(levels)
        dx = (result.xs[1] - result.xs[0]) / 2
        dy = (result.ys[1] - result.ys[0]) / 2
        self.extent = QRectF(result.xs[0] - dx, result.ys[0] - dy, result.xs[-1] - result.xs[0] + 2 * dx,
                             result.ys[-1] - result.ys[0] + 2 * dy)
        self.image.setRect(self.extent)
        if result.path is not None:
            self.path.setData(result.path[:, 0], result.path[:, 1])
            self.start.setData(result.path[:1, 0], result.path[:1, 1])
        else:
            self.path.setData([], [])
            self.start.setData([], [])
        self.trained.setData([0.0], [0.0])
        self.chosen.setData([], [])
        random = result.directions == "random"
        what = "random directions" if random else "PCA directions"
        self.set_titles((f"log10 training loss · {what}", "log10 training loss"))
        # random directions are filter-normalized alike, so a unit is the same length on both axes:
        # square cells keep a round bowl round (PCA's axes differ in spread and fill the view instead)
        self.getPlotItem().getViewBox().setAspectLocked(random, ratio=1.0)
        self.getPlotItem().autoRange()  # (a one-off range: it switches automatic ranging off)
        self.getPlotItem().enableAutoRange()  # fitted again whenever the view changes size, until a pan or zoom

    def data_to_widget(self, x: float, y: float):
        """Where the point (x, y) of the plane is drawn, as a QPoint of this widget's viewport."""
        scene = self.getPlotItem().getViewBox().mapViewToScene(QPointF(x, y))
        return self.mapFromScene(scene)

    def _on_click(self, event) -> None:
        if self.extent is None or event.button() != Qt.MouseButton.LeftButton:
            return
        point = self.getPlotItem().getViewBox().mapSceneToView(event.scenePos())
        if self.extent.contains(point):
            self.chosen.setData([point.x()], [point.y()])
            self.pointChosen.emit(point.x(), point.y())


class LinesPlot(FittedTitles, MeteredPlotWidget):
    """``linesPlot``: the loss along straight lines (initial → trained, seed 1 → seed 2)."""

    NAMES = {"init_to_trained": "initial → trained", "between_seeds": "seed 1 → seed 2"}

    def __init__(self, parent=None):
        super().__init__(parent, background=BACKGROUND)
        self.setObjectName("linesPlot")
        style_plot(self, "Loss along straight lines (dashed: validation)", "loss", x_label="α (0: start, 1: end)")
        self.set_titles(("Loss along straight lines (dashed: validation)", "Loss along lines (dashed: validation)",
                         "Loss along straight lines"))
        self.addLegend(offset=(-10, 10), labelTextColor=TEXT_COLOR)
        self.curves: dict[str, pg.PlotDataItem] = {}

    def show_result(self, result) -> None:
        self.getPlotItem().clear()
        self.curves = {}
        for i, (key, line) in enumerate(result.lines.items()):
            name = self.NAMES.get(key, key)
            self.curves[key] = self.plot(line.alphas, line.train, pen=pg.mkPen(color(i), width=2), name=name)
            self.plot(line.alphas, line.val, pen=pg.mkPen(color(i), width=1.4, style=Qt.PenStyle.DashLine))
