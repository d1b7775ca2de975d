"""Drawing pictures with Qt's painter on an offscreen image (PySide6.QtGui, imported lazily).

No window and no display server: a ``QGuiApplication`` on the *offscreen* platform supplies the
fonts when no application exists yet; inside the window's process its application is used.
"""

from __future__ import annotations

import math
import os
from typing import Sequence

import numpy as np

from ..files import atomic_write_bytes
from ..palette import AXIS_COLOR, BAND_ALPHA, TEXT_COLOR, series_color
from .axes import Scale, data_range
from .charts import GRID_COLOR, HeatMap, LineChart

MARGINS = (72, 34, 24, 48)   # left, top, right, bottom: room for tick labels, title and axis labels
HEAT_COLORS = ("#440154", "#3b528b", "#21918c", "#5ec962", "#fde725")  # low .. high (viridis anchors)
_APP: list = []


class PicturesUnavailable(RuntimeError):
    """Qt's drawing module (PySide6) cannot be imported here; the message says why."""


def _qt():
    try:
        from PySide6 import QtCore, QtGui
    except ImportError as exc:
        raise PicturesUnavailable(f"PySide6 cannot be imported ({exc})") from None
    return QtCore, QtGui


def pictures_available() -> bool:
    """Whether :func:`render_png` can draw in this process."""
    try:
        _qt()
    except PicturesUnavailable:
        return False
    return True


def _application(QtGui) -> None:
    if QtGui.QGuiApplication.instance() is None:
        _APP.append(QtGui.QGuiApplication(["nnstudio", "-platform", "offscreen"]))


def render_png(charts: Sequence[LineChart | HeatMap], path: str | os.PathLike, width: int = 960,
               height: int = 600) -> None:
    """Draw ``charts`` one above the other (equal heights) and write the PNG atomically."""
    QtCore, QtGui = _qt()
    _application(QtGui)
    image = QtGui.QImage(width, height, QtGui.QImage.Format.Format_ARGB32)
    image.fill(QtGui.QColor("white"))
    painter = QtGui.QPainter(image)
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
    try:
        share = height / max(len(charts), 1)
        for i, chart in enumerate(charts):
            box = QtCore.QRectF(0, i * share, width, share)
            (_draw_heat_map if isinstance(chart, HeatMap) else _draw_line_chart)(painter, box, chart, QtCore, QtGui)
    finally:
        painter.end()
    data = QtCore.QByteArray()
    buffer = QtCore.QBuffer(data)
    buffer.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    atomic_write_bytes(path, bytes(data.data()))


# -- shared frame -----------------------------------------------------------------------

class _Frame:
    """A chart's plot area inside its box, its scales, and the painter helpers."""

    def __init__(self, painter, box, QtCore, QtGui, x_range, y_range, log_x, log_y, right_extra=0):
        self.p, self.QtCore, self.QtGui = painter, QtCore, QtGui
        left, top, right, bottom = MARGINS
        self.area = QtCore.QRectF(box.left() + left, box.top() + top,
                                  box.width() - left - right - right_extra, box.height() - top - bottom)
        self.box = box
        a = self.area
        self.sx = Scale(*x_range, log_x, a.left(), a.right())
        self.sy = Scale(*y_range, log_y, a.bottom(), a.top())

    def pen(self, color: str, width: float = 1.0, dashed: bool = False, alpha: int = 255):
        c = self.QtGui.QColor(color)
        c.setAlpha(alpha)
        pen = self.QtGui.QPen(c, width)
        if dashed:
            pen.setStyle(self.QtCore.Qt.PenStyle.DashLine)
        return pen

    def font(self, points: float, bold: bool = False):
        f = self.QtGui.QFont()
        f.setPointSizeF(points)
        f.setBold(bold)
        return f

    def text(self, x: float, y: float, text: str, align, points: float = 8, color: str = TEXT_COLOR,
             width: float = 400) -> None:
        """``text`` anchored at (x, y) by ``align`` (left/right/centre, top/bottom/vcentre)."""
        Qt = self.QtCore.Qt
        self.p.setFont(self.font(points))
        self.p.setPen(self.pen(color))
        h = 30.0
        dx = -width / 2 if align & Qt.AlignmentFlag.AlignHCenter else (-width if align & Qt.AlignmentFlag.AlignRight else 0)
        dy = -h / 2 if align & Qt.AlignmentFlag.AlignVCenter else (-h if align & Qt.AlignmentFlag.AlignBottom else 0)
        self.p.drawText(self.QtCore.QRectF(x + dx, y + dy, width, h), align, text)

    def axes(self, title: str, x_label: str, y_label: str, x_ticks=None) -> None:
        Qt, a = self.QtCore.Qt, self.area
        center, vcenter = Qt.AlignmentFlag.AlignHCenter, Qt.AlignmentFlag.AlignVCenter
        for value, label in self.sx.ticks(x_ticks):
            x = self.sx(value)
            self.p.setPen(self.pen(GRID_COLOR))
            self.p.drawLine(self.QtCore.QPointF(x, a.top()), self.QtCore.QPointF(x, a.bottom()))
            self.text(x, a.bottom() + 4, label, center | Qt.AlignmentFlag.AlignTop, color=TEXT_COLOR, width=80)
        for value, label in self.sy.ticks():
            y = self.sy(value)
            self.p.setPen(self.pen(GRID_COLOR))
            self.p.drawLine(self.QtCore.QPointF(a.left(), y), self.QtCore.QPointF(a.right(), y))
            self.text(a.left() - 6, y, label, Qt.AlignmentFlag.AlignRight | vcenter, width=66)
        self.p.setPen(self.pen(AXIS_COLOR))
        self.p.setBrush(Qt.BrushStyle.NoBrush)
        self.p.drawRect(a)
        self.text(a.center().x(), self.box.top() + 6, title, center | Qt.AlignmentFlag.AlignTop, points=10,
                  width=a.width())
        self.text(a.center().x(), a.bottom() + 22, x_label, center | Qt.AlignmentFlag.AlignTop, points=9,
                  width=a.width())
        self.p.save()
        self.p.translate(self.box.left() + 14, a.center().y())
        self.p.rotate(-90)
        self.text(0, 0, y_label, center | vcenter, points=9, width=a.height())
        self.p.restore()

    def polyline(self, x: np.ndarray, y: np.ndarray):
        """A path through the finite points, broken where a value is missing."""
        path, started = self.QtGui.QPainterPath(), False
        for px, py in zip(self.sx.many(x), self.sy.many(y)):
            if not (math.isfinite(px) and math.isfinite(py)):
                started = False
            elif started:
                path.lineTo(px, py)
            else:
                path.moveTo(px, py)
                started = True
        return path

    def marks(self, marks) -> None:
        Qt, a = self.QtCore.Qt, self.area
        for m in marks:
            self.p.setPen(self.pen(m.color, 1.5, dashed=True))
            if m.x is not None and math.isfinite(self.sx(m.x)):
                x = self.sx(m.x)
                self.p.drawLine(self.QtCore.QPointF(x, a.top()), self.QtCore.QPointF(x, a.bottom()))
                self.text(x + 4, a.top() + 4, m.label, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
                          color=m.color, width=200)
                if m.y is not None:
                    self._star(x, self.sy(m.y), m.color)
            elif m.y is not None:
                y = self.sy(m.y)
                self.p.drawLine(self.QtCore.QPointF(a.left(), y), self.QtCore.QPointF(a.right(), y))
                self.text(a.right() - 4, y - 2, m.label, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom,
                          color=m.color, width=200)

    def _star(self, x: float, y: float, color: str) -> None:
        points = [self.QtCore.QPointF(x + (9 if i % 2 == 0 else 4) * math.sin(i * math.pi / 5),
                                      y - (9 if i % 2 == 0 else 4) * math.cos(i * math.pi / 5)) for i in range(10)]
        self.p.setPen(self.pen("#1b5e20"))
        self.p.setBrush(self.QtGui.QColor(color))
        self.p.drawPolygon(self.QtGui.QPolygonF(points))


# -- line charts ------------------------------------------------------------------------

def _draw_line_chart(painter, box, chart: LineChart, QtCore, QtGui) -> None:
    arrays = [s.arrays() for s in chart.series]
    xs = [a["x"] for a in arrays] + [np.array([m.x for m in chart.marks if m.x is not None], float)]
    ys = [v for a in arrays for v in _y_extent(a)] + [np.array([m.y for m in chart.marks if m.y is not None], float)]
    x_range = chart.x_range or data_range(xs, chart.log_x, 0.02)
    frame = _Frame(painter, box, QtCore, QtGui, x_range, data_range(ys, chart.log_y), chart.log_x, chart.log_y)
    frame.axes(chart.title, chart.x_label, chart.y_label, chart.x_ticks)
    painter.setClipRect(frame.area)
    if chart.zero_line and not chart.log_y:
        y0 = frame.sy(0.0)
        painter.setPen(frame.pen(AXIS_COLOR, dashed=True))
        painter.drawLine(QtCore.QPointF(frame.area.left(), y0), QtCore.QPointF(frame.area.right(), y0))
    for i, (series, a) in enumerate(zip(chart.series, arrays)):
        _draw_series(frame, series, a, series.color or series_color(i))
    frame.marks(chart.marks)
    painter.setClipping(False)
    if chart.legend and chart.series:
        _legend(frame, [(s.label, s.color or series_color(i)) for i, s in enumerate(chart.series)])


def _y_extent(a: dict) -> list[np.ndarray]:
    out = [a["y"], a["lo"], a["hi"]]
    if a["error"] is not None:
        out += [a["y"] - a["error"], a["y"] + a["error"]]
    return out


def _draw_series(frame: _Frame, series, a: dict, color: str) -> None:
    p, QtCore, QtGui = frame.p, frame.QtCore, frame.QtGui
    x, y = a["x"], a["y"]
    if a["lo"] is not None and a["hi"] is not None:
        p.setPen(QtCore.Qt.PenStyle.NoPen)
        band = QtGui.QColor(color)
        band.setAlpha(BAND_ALPHA)
        p.setBrush(band)
        ok = np.isfinite(a["lo"]) & np.isfinite(a["hi"])
        for run in _runs(ok):
            upper = [QtCore.QPointF(px, py) for px, py in zip(frame.sx.many(x[run]), frame.sy.many(a["hi"][run]))]
            lower = [QtCore.QPointF(px, py) for px, py in zip(frame.sx.many(x[run]), frame.sy.many(a["lo"][run]))]
            p.drawPolygon(QtGui.QPolygonF(upper + lower[::-1]))
    if a["error"] is not None:
        p.setPen(frame.pen(color))
        for px, lo, hi in zip(frame.sx.many(x), frame.sy.many(y - a["error"]), frame.sy.many(y + a["error"])):
            if math.isfinite(px) and math.isfinite(lo) and math.isfinite(hi):
                p.drawLine(QtCore.QPointF(px, lo), QtCore.QPointF(px, hi))
                for end in (lo, hi):
                    p.drawLine(QtCore.QPointF(px - 5, end), QtCore.QPointF(px + 5, end))
    p.setBrush(QtCore.Qt.BrushStyle.NoBrush)
    p.setPen(frame.pen(color, 2, dashed=series.dashed))
    p.drawPath(frame.polyline(x, y))
    if series.points:
        p.setPen(QtCore.Qt.PenStyle.NoPen)
        p.setBrush(QtGui.QColor(color))
        for px, py in zip(frame.sx.many(x), frame.sy.many(y)):
            if math.isfinite(px) and math.isfinite(py):
                p.drawEllipse(QtCore.QPointF(px, py), 3.5, 3.5)


def _runs(ok: np.ndarray) -> list[slice]:
    """Slices of consecutive True values (at least two long: a band needs width)."""
    runs, start = [], None
    for i, flag in enumerate(list(ok) + [False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            if i - start > 1:
                runs.append(slice(start, i))
            start = None
    return runs


def _legend(frame: _Frame, entries: list[tuple[str, str]]) -> None:
    p, QtCore, QtGui = frame.p, frame.QtCore, frame.QtGui
    p.setFont(frame.font(8))
    metrics = QtGui.QFontMetricsF(p.font())
    row = metrics.height() + 2
    width = max(metrics.horizontalAdvance(label) for label, _ in entries) + 34
    box = QtCore.QRectF(frame.area.right() - width - 6, frame.area.top() + 6, width, row * len(entries) + 6)
    p.setPen(frame.pen(AXIS_COLOR, alpha=120))
    p.setBrush(QtGui.QColor(255, 255, 255, 210))
    p.drawRect(box)
    for i, (label, color) in enumerate(entries):
        y = box.top() + 3 + row * (i + 0.5)
        p.setPen(frame.pen(color, 2))
        p.drawLine(QtCore.QPointF(box.left() + 6, y), QtCore.QPointF(box.left() + 24, y))
        frame.text(box.left() + 28, y, label, QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter,
                   width=width)


# -- heat maps --------------------------------------------------------------------------

def heat_color(t: float) -> tuple[int, int, int]:
    """The colour at ``t`` in [0, 1] along :data:`HEAT_COLORS` (linear between anchors)."""
    t = min(max(t, 0.0), 1.0) * (len(HEAT_COLORS) - 1)
    i = min(int(t), len(HEAT_COLORS) - 2)
    a, b = (tuple(int(c[k:k + 2], 16) for k in (1, 3, 5)) for c in HEAT_COLORS[i:i + 2])
    f = t - i
    return tuple(round(a[k] + f * (b[k] - a[k])) for k in range(3))


def _edges(centres: np.ndarray, log: bool) -> np.ndarray:
    c = np.log10(centres) if log else centres
    if c.size == 1:
        e = np.array([c[0] - 0.5, c[0] + 0.5])
    else:
        mid = (c[1:] + c[:-1]) / 2
        e = np.concatenate([[c[0] - (mid[0] - c[0])], mid, [c[-1] + (c[-1] - mid[-1])]])
    return 10 ** e if log else e


def _draw_heat_map(painter, box, chart: HeatMap, QtCore, QtGui) -> None:
    values = np.asarray(chart.values, dtype=np.float64)
    x, y = np.asarray(chart.x, float), np.asarray(chart.y, float)
    ex, ey = _edges(x, chart.log_x), _edges(y, chart.log_y)
    frame = _Frame(painter, box, QtCore, QtGui, (ex[0], ex[-1]), (ey[0], ey[-1]), chart.log_x, chart.log_y,
                   right_extra=70)
    finite = values[np.isfinite(values)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    span = hi - lo or 1.0
    frame.axes(chart.title, chart.x_label, chart.y_label)  # first: the cells cover the grid lines
    px, py = frame.sx.many(ex), frame.sy.many(ey)
    painter.setPen(QtCore.Qt.PenStyle.NoPen)
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, False)  # no seams between cells...
    painter.setClipRect(frame.area)
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            v = values[i, j]
            painter.setBrush(QtGui.QColor(*heat_color((v - lo) / span)) if math.isfinite(v) else QtGui.QColor("#d0d0d0"))
            # ...and each cell one pixel wider and taller than its share, so rounding leaves no gap
            painter.drawRect(QtCore.QRectF(px[j], py[i + 1], px[j + 1] - px[j] + 1, py[i] - py[i + 1] + 1))
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
    if chart.path is not None:
        _draw_path(frame, np.asarray(chart.path[0], float), np.asarray(chart.path[1], float))
    frame.marks(chart.marks)
    painter.setClipping(False)
    _color_bar(frame, lo, hi, chart.value_label)


def _draw_path(frame: _Frame, x: np.ndarray, y: np.ndarray) -> None:
    p, QtCore, QtGui = frame.p, frame.QtCore, frame.QtGui
    p.setBrush(QtCore.Qt.BrushStyle.NoBrush)
    path = frame.polyline(x, y)
    p.setPen(frame.pen("#000000", 3.5, alpha=160))
    p.drawPath(path)
    p.setPen(frame.pen("#ffffff", 1.8))
    p.drawPath(path)
    points = [(a, b) for a, b in zip(frame.sx.many(x), frame.sy.many(y)) if math.isfinite(a) and math.isfinite(b)]
    p.setBrush(QtGui.QColor("#ffffff"))
    p.setPen(frame.pen("#000000"))
    for a, b in points:
        p.drawEllipse(QtCore.QPointF(a, b), 2.5, 2.5)
    if points:
        p.setBrush(QtGui.QColor("#d62728"))
        p.drawEllipse(QtCore.QPointF(*points[0]), 5, 5)  # the start


def _color_bar(frame: _Frame, lo: float, hi: float, label: str) -> None:
    p, QtCore, QtGui, a = frame.p, frame.QtCore, frame.QtGui, frame.area
    bar = QtCore.QRectF(a.right() + 14, a.top(), 14, a.height())
    gradient = QtGui.QLinearGradient(bar.bottomLeft(), bar.topLeft())
    for k in range(len(HEAT_COLORS)):
        gradient.setColorAt(k / (len(HEAT_COLORS) - 1), QtGui.QColor(HEAT_COLORS[k]))
    p.setPen(frame.pen(AXIS_COLOR))
    p.setBrush(QtGui.QBrush(gradient))
    p.drawRect(bar)
    left = QtCore.Qt.AlignmentFlag.AlignLeft
    frame.text(bar.right() + 4, bar.top(), f"{hi:.3g}", left | QtCore.Qt.AlignmentFlag.AlignTop, width=60)
    frame.text(bar.right() + 4, bar.bottom(), f"{lo:.3g}", left | QtCore.Qt.AlignmentFlag.AlignBottom, width=60)
    if label:
        frame.text(bar.right() + 4, bar.center().y(), label, left | QtCore.Qt.AlignmentFlag.AlignVCenter, width=60)
