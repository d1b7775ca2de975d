"""Views of where good trials lie: slice plots, a contour of two parameters, parallel
coordinates and the Pareto front of value against training time.

Log-scaled parameters get log axes (ticks at powers of ten), categorical ones an axis of their
choices; pruned trials are grey, failed trials red crosses under the data (they have no value).
The numbers come from :mod:`nnstudio.tuning.views`; these widgets only draw them.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ...tuning import METRICS, SearchSpace, StudySnapshot
from ...tuning.views import (CATEGORY, LINEAR, LOG, axis_position, categories, common_params, contour_grid,
                             parallel_lines, param_is_integer, param_names, param_scale, param_short_titles,
                             param_title, pareto_front, slice_points)
from ..plots.base import style_plot
from ..plots.count_axis import CountAxis
from ..plots.log_axis import LogTickAxis, log_ticks
from ..qt.style import AXIS_COLOR, BACKGROUND, FAILED_MARK, PALETTE, PRUNED_COLOR, TEXT_COLOR

COMPLETE_BRUSH = pg.mkBrush(PALETTE[0])
PRUNED_BRUSH = pg.mkBrush(PRUNED_COLOR)
FAILED_PEN = pg.mkPen(FAILED_MARK, width=2)
FRONT_PEN = pg.mkPen(PALETTE[1], width=2)
LABEL_GAP_PX = 6  # least free space between two axis names of the parallel coordinates
END_ROOM = 0.75  # the parallel coordinates' first and last axes from the view's edges, in axis spacings


def _metric(snapshot: StudySnapshot | None) -> str:
    return "value" if snapshot is None else METRICS[snapshot.metric].label


def _ticks(coords: np.ndarray, scale: str, choices) -> list | None:
    """Tick labels for an axis in plot coordinates: powers of ten for LOG, choices for CATEGORY."""
    if scale == CATEGORY:
        return [[(i, str(c)) for i, c in enumerate(choices)]]
    if scale == LOG:
        finite = coords[np.isfinite(coords)]
        return log_ticks(float(finite.min()), float(finite.max())) if finite.size else None
    return None


def _style(plot: pg.PlotWidget, y_label: str, x_label: str) -> None:
    style_plot(plot, "", y_label, x_label)
    plot.getPlotItem().setTitle(None)  # the tab says what the plot is


def _param_combo(parent: QWidget, name: str, tip: str) -> QComboBox:
    combo = QComboBox(parent)
    combo.setObjectName(name)
    combo.setToolTip(tip)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
    return combo


def _refill(combo: QComboBox, names: list[str], preferred: int = 0) -> None:
    """Offer the parameters ``names`` by their titles (each item's data is the name)."""
    current = combo.currentData()
    if [combo.itemData(i) for i in range(combo.count())] == names:
        return
    combo.blockSignals(True)
    combo.clear()
    for name in names:
        combo.addItem(param_title(name), name)
    if current in names:
        combo.setCurrentIndex(names.index(current))
    elif names:
        combo.setCurrentIndex(min(preferred, len(names) - 1))
    combo.blockSignals(False)


class _View(QWidget):
    """A plot with a row of parameter choosers above it."""

    def __init__(self, name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName(name)
        # an integer parameter's axis (layers, units) is ticked on whole numbers only
        self.plot = pg.PlotWidget(self, background=BACKGROUND,
                                  axisItems={side: CountAxis(side, whole=False) for side in ("bottom", "left")})
        self.plot.setObjectName(name + "Plot")
        self.controls = QHBoxLayout()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 0)
        layout.addLayout(self.controls)
        layout.addWidget(self.plot, 1)
        self.snapshot: StudySnapshot | None = None
        self.space = SearchSpace()

    def show_snapshot(self, snapshot: StudySnapshot | None, space: SearchSpace) -> None:
        self.snapshot, self.space = snapshot, space
        self.redraw()

    def redraw(self) -> None:
        raise NotImplementedError

    def _axis(self, side: str, coords: np.ndarray, param: str) -> None:
        scale = param_scale(self.space, param)
        ticks = _ticks(coords, scale, categories(self.snapshot.rows, param, self.space))
        axis = self.plot.getPlotItem().getAxis(side)
        axis.setTicks(ticks)
        axis.set_whole(scale == LINEAR and param_is_integer(param))
        suffix = " (log)" if scale == LOG else ""
        self.plot.setLabel(side, param_title(param) + suffix, color=TEXT_COLOR)


class SliceView(_View):
    """``slicePlot``: the study's value against one parameter."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__("sliceView", parent)
        self.paramCombo = _param_combo(self, "sliceParamCombo", "The parameter on the x axis.")
        self.controls.addWidget(QLabel("Parameter", self))
        self.controls.addWidget(self.paramCombo)
        self.controls.addStretch(1)
        _style(self.plot, "value", "parameter")
        self.complete = pg.ScatterPlotItem(size=8, pen=None, brush=COMPLETE_BRUSH, name="complete")
        self.pruned = pg.ScatterPlotItem(size=7, pen=None, brush=PRUNED_BRUSH, name="pruned")
        self.failed = pg.ScatterPlotItem(size=9, symbol="x", pen=FAILED_PEN, brush=None, name="failed")
        for item in (self.pruned, self.complete, self.failed):
            self.plot.addItem(item)
        self.paramCombo.currentTextChanged.connect(lambda _t: self.redraw())

    def redraw(self) -> None:
        snap = self.snapshot
        if snap is None:
            return
        _refill(self.paramCombo, param_names(snap.rows, self.space))
        param = self.paramCombo.currentData()
        if not param:
            return
        points = slice_points(snap.rows, param)
        scale = param_scale(self.space, param)
        x = axis_position(points.x, scale, categories(snap.rows, param, self.space))
        y = np.array(points.y, dtype=float)
        done = np.array([s == "COMPLETE" for s in points.states], dtype=bool)
        self.complete.setData(x[done], y[done], data=[n for n, d in zip(points.numbers, done) if d])
        self.pruned.setData(x[~done], y[~done], data=[n for n, d in zip(points.numbers, done) if not d])
        failed = [r for r in snap.rows if r.state == "FAIL" and param in r.params]
        fx = axis_position([r.params[param] for r in failed], scale, categories(snap.rows, param, self.space))
        floor = float(np.nanmin(y)) if y.size else 0.0
        self.failed.setData(fx, np.full(len(fx), floor), data=[r.number for r in failed])
        self._axis("bottom", x, param)
        self.plot.setLabel("left", _metric(snap), color=TEXT_COLOR)


class ContourView(_View):
    """``contourPlot``: the mean value of complete trials over a grid of two parameters."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__("contourView", parent)
        self.xCombo = _param_combo(self, "contourXCombo", "The parameter across.")
        self.yCombo = _param_combo(self, "contourYCombo", "The parameter up.")
        for label, combo in (("x", self.xCombo), ("y", self.yCombo)):
            self.controls.addWidget(QLabel(label, self))
            self.controls.addWidget(combo)
            combo.currentTextChanged.connect(lambda _t: self.redraw())
        self.scaleLabel = QLabel(self)
        self.scaleLabel.setObjectName("contourScaleLabel")
        self.controls.addStretch(1)
        self.controls.addWidget(self.scaleLabel)
        _style(self.plot, "y", "x")
        self.image = pg.ImageItem()
        self.plot.addItem(self.image)
        self.points = pg.ScatterPlotItem(size=6, pen=pg.mkPen("w"), brush=COMPLETE_BRUSH)
        self.pruned = pg.ScatterPlotItem(size=5, pen=None, brush=PRUNED_BRUSH)
        self.plot.addItem(self.pruned)
        self.plot.addItem(self.points)
        self.grid = np.empty((0, 0))
        self.setToolTip("Each cell is coloured by the mean value of the complete trials in it (yellow: high); "
                        "empty cells have no trial. Dots: complete trials; grey: pruned.")

    def redraw(self) -> None:
        snap = self.snapshot
        if snap is None:
            return
        names = param_names(snap.rows, self.space)
        _refill(self.xCombo, names, 0)
        _refill(self.yCombo, names, 1)
        px, py = self.xCombo.currentData(), self.yCombo.currentData()
        if not px or not py:
            return
        xe, ye, grid = contour_grid(snap.rows, px, py, self.space)
        self.grid = grid
        finite = grid[np.isfinite(grid)]
        if finite.size:
            # the colours span the middle of the values: one diverged corner would wash out the rest
            lo, hi = float(np.percentile(finite, 10)), float(finite.max())
            self.scaleLabel.setText(f"colour: mean value, ≤ {lo:.4f} dark … {hi:.4f} yellow")
            rgba = self._colour(grid, lo, hi)
            self.image.setImage(rgba, autoLevels=False)
            self.image.setRect(float(xe[0]), float(ye[0]), float(xe[-1] - xe[0]), float(ye[-1] - ye[0]))
        coords = {}
        for p in (px, py):
            rows = [r for r in snap.rows if px in r.params and py in r.params and r.value is not None
                    and r.state in ("COMPLETE", "PRUNED")]
            coords[p] = (axis_position([r.params[p] for r in rows], param_scale(self.space, p),
                                       categories(snap.rows, p, self.space)), rows)
        (x, rows), (y, _) = coords[px], coords[py]
        done = np.array([r.state == "COMPLETE" for r in rows], dtype=bool)
        self.points.setData(x[done], y[done])
        self.pruned.setData(x[~done], y[~done])
        self._axis("bottom", x, px)
        self._axis("left", y, py)

    @staticmethod
    def _colour(grid: np.ndarray, lo: float, hi: float) -> np.ndarray:
        lut = pg.colormap.get("viridis").getLookupTable(nPts=256, alpha=True)
        scaled = np.zeros(grid.shape, dtype=int)
        ok = np.isfinite(grid)
        scaled[ok] = np.clip(((grid[ok] - lo) / (hi - lo if hi > lo else 1.0)) * 255, 0, 255).astype(int)
        rgba = lut[scaled].copy()
        rgba[~ok] = (0, 0, 0, 0)
        return rgba


class ParallelView(_View):
    """``parallelPlot``: every finished trial as a line across its parameters and its value."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__("parallelView", parent)
        self.allCheck = QCheckBox("All parameters", self)
        self.allCheck.setObjectName("parallelAllCheck")
        self.allCheck.setToolTip("Also show parameters fewer than a third of the trials have (the widths of "
                                 "deep layers).")
        self.allCheck.toggled.connect(lambda _on: self.redraw())
        note = QLabel("Log axes for log parameters. Colour: rank of the value (yellow: best); grey dashed: pruned.",
                      self)
        note.setWordWrap(True)
        self.controls.addWidget(self.allCheck)
        self.controls.addWidget(note, 1)
        _style(self.plot, "scaled", "")
        self.plot.getPlotItem().hideAxis("left")
        self.lines: list[pg.PlotDataItem] = []
        self.axes = pg.PlotDataItem(pen=pg.mkPen(AXIS_COLOR, width=1), connect="pairs")
        self.plot.addItem(self.axes)
        self.params: list[str] = []
        self._labels: list[tuple[str, ...]] = []  # per axis: its whole title, then in fewer and fewer words
        self.plot.getPlotItem().getViewBox().sigResized.connect(self._label_axes)

    def redraw(self) -> None:
        snap = self.snapshot
        if snap is None:
            return
        names = param_names(snap.rows, self.space)
        self.params = params = names if self.allCheck.isChecked() else common_params(snap.rows, names)
        matrix, numbers, states = parallel_lines(snap.rows, params, self.space)
        for line in self.lines:
            self.plot.removeItem(line)
        self.lines = []
        xs = np.arange(len(params) + 1, dtype=float)
        lut = pg.colormap.get("viridis")
        complete = [i for i, s in enumerate(states) if s == "COMPLETE"]
        raw = np.array([next(r.value for r in snap.rows if r.number == numbers[i]) for i in complete])
        sign = 1.0 if snap.direction == "maximize" else -1.0
        rank = {i: k / max(len(complete) - 1, 1) for k, i in enumerate(np.array(complete)[np.argsort(sign * raw)])}
        order = [i for i, s in enumerate(states) if s != "COMPLETE"] + sorted(complete, key=rank.get)
        for i in order:  # pruned first, then complete ones from worst to best: the best on top
            if states[i] == "PRUNED":
                pen = pg.mkPen(PRUNED_COLOR, width=1, style=Qt.PenStyle.DashLine)
            else:
                pen = pg.mkPen(lut.map(rank[i], mode="qcolor"), width=1.5)
            line = pg.PlotDataItem(xs, matrix[i], pen=pen, connect="finite")
            self.plot.addItem(line)
            self.lines.append(line)
        self.axes.setData(np.repeat(xs, 2), np.tile([0.0, 1.0], len(xs)))
        log = [" (log)" if param_scale(self.space, p) == LOG else "" for p in params]
        self._labels = []
        for p, suffix in zip(params, log):
            titles = (param_title(p), *param_short_titles(p))
            self._labels.append(tuple(t + suffix for t in titles) + ((titles[-1],) if suffix else ()))
        self._labels.append((_metric(snap), "value"))
        self._label_axes()
        self.plot.setXRange(-END_ROOM, len(params) + END_ROOM, padding=0)
        self.plot.setYRange(-0.03, 1.03, padding=0)


    def _label_axes(self, *_signal_args) -> None:
        """Name each axis in the words that fit between its neighbours' labels (every other label is
        one line lower): the whole title, the title in fewer words, or the fewest cut short; the
        plot's tooltip names them all."""
        axis = self.plot.getPlotItem().getAxis("bottom")
        axis.setHeight(46)  # two lines of labels
        n = len(self._labels)
        width = self.plot.getPlotItem().getViewBox().width()
        if not n:
            axis.setTicks([[]])
            return
        if width <= 0:  # not laid out yet: named once the view has its width
            return
        spacing = width / (n - 1 + 2 * END_ROOM)  # the view spans -END_ROOM .. n - 1 + END_ROOM
        metrics = QFontMetrics(axis.style.get("tickFont") or axis.font())
        shown = []
        for i, titles in enumerate(self._labels):
            room = (2 * END_ROOM if i in (0, n - 1) else 2) * spacing - LABEL_GAP_PX  # the end ones stay in view
            fits = [t for t in titles if metrics.horizontalAdvance(t) <= room]
            shown.append(fits[0] if fits else metrics.elidedText(titles[-1], Qt.TextElideMode.ElideRight,
                                                                 max(int(room), 1)))
        axis.setTicks([[(float(i), ("\n" if i % 2 else "") + label) for i, label in enumerate(shown)]])
        self.plot.setToolTip("Axes, left to right: " + ", ".join(titles[0] for titles in self._labels) + ".")


class ParetoView(_View):
    """``paretoPlot``: each complete trial's value against its training time; the front joins the
    trials no other trial beats on both."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__("paretoView", parent)
        note = QLabel("Trials on the line: no other trial is both better and faster to train.", self)
        note.setWordWrap(True)
        self.controls.addWidget(note, 1)
        # labels that fit, also when the times span less than a decade (0.15, 0.2, 0.25 s)
        self.plot.setAxisItems({"bottom": LogTickAxis("bottom")})
        _style(self.plot, "value", "training time (s, log)")
        self.plot.setLogMode(x=True, y=False)  # a few slow trials would squeeze the rest into a corner
        # a PlotDataItem, not a ScatterPlotItem: only it follows the log x axis, so the dots sit where
        # the front's do
        self.points = pg.PlotDataItem(pen=None, symbol="o", symbolSize=7, symbolPen=None, symbolBrush=COMPLETE_BRUSH)
        self.front = pg.PlotDataItem(pen=FRONT_PEN, symbol="o", symbolBrush=PALETTE[1], symbolSize=8)
        self.plot.addItem(self.points)
        self.plot.addItem(self.front)
        self.front_numbers: list[int] = []

    def redraw(self) -> None:
        snap = self.snapshot
        if snap is None:
            return
        rows = [r for r in snap.rows if r.state == "COMPLETE" and r.value is not None and r.duration is not None
                and math.isfinite(r.value)]
        pts = [(r.duration, r.value) for r in rows]
        front = sorted(pareto_front(pts, ["minimize", snap.direction]), key=lambda i: pts[i][0])
        self.front_numbers = [rows[i].number for i in front]
        self.points.setData([p[0] for p in pts], [p[1] for p in pts])
        self.front.setData([pts[i][0] for i in front], [pts[i][1] for i in front])
        self.plot.setLabel("left", _metric(snap), color=TEXT_COLOR)


def explore_views(parent: QWidget) -> list[tuple[_View, str, str]]:
    """The views with their tab titles and tooltips, in tab order."""
    return [(SliceView(parent), "Slice", "The value against one parameter (log axis for log parameters)."),
            (ContourView(parent), "Contour", "The mean value over a grid of two chosen parameters."),
            (ParallelView(parent), "Parallel", "Every finished trial as a line across all parameters."),
            (ParetoView(parent), "Pareto", "Value against training time: the trials no other beats on both.")]
