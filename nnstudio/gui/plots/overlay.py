"""What is drawn over a plot's data: the hover readout beside the cursor and the legend in the
emptiest corner.  Both stay inside the plot's view box, never over an axis or its labels.

:class:`HoverReadout` puts its box below right of the cursor, and flips it to the left of the
cursor near the right edge and above it near the bottom, so it is never cut off.
:func:`free_corner` picks the corner of the view box whose legend-sized rectangle covers the
fewest curve points (a marker's label under the legend is then moved along its line, see
:func:`label_position_clear`).
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF

from ..qt.style import TEXT_COLOR

READOUT_GAP_PX = 12  # between the cursor and the readout box
EDGE_PX = 4  # the box keeps this far from the view's edges
CORNERS = ("top-right", "top-left", "bottom-right", "bottom-left")
LEGEND_MARGIN_PX = 6
LEGEND_CLEAR_PX = 6  # a corner whose curves pass closer than this to the legend is second choice
SEGMENT_STEP_PX = 3.0  # a curve's segments are sampled this often when the legend's corner is chosen
DENSE_CURVE_POINTS = 2000  # from this many points on, a curve's own points are close enough
MAX_SAMPLES = 20000  # samples along one curve at most


def readout_top_left(cursor: QPointF, size: tuple[float, float], view: QRectF) -> QPointF:
    """Where a ``size`` (w, h) box goes beside ``cursor`` inside ``view`` (all scene pixels):
    below right of the cursor, left of it where the right edge is near, above it near the bottom,
    and moved inside the view when the view is smaller than that allows."""
    w, h = size
    x = cursor.x() + READOUT_GAP_PX
    if x + w > view.right() - EDGE_PX:
        x = cursor.x() - READOUT_GAP_PX - w
    y = cursor.y() + READOUT_GAP_PX
    if y + h > view.bottom() - EDGE_PX:
        y = cursor.y() - READOUT_GAP_PX - h
    x = min(max(x, view.left() + EDGE_PX), view.right() - EDGE_PX - w)
    y = min(max(y, view.top() + EDGE_PX), view.bottom() - EDGE_PX - h)
    return QPointF(max(x, view.left()), max(y, view.top()))


class HoverReadout:
    """A small boxed text in ``box`` (a ViewBox) that follows the cursor."""

    def __init__(self, box: pg.ViewBox):
        self.box = box
        self.item = pg.TextItem("", color=TEXT_COLOR, anchor=(0, 0), fill=pg.mkBrush(255, 255, 255, 225),
                                border=pg.mkPen(160, 160, 160))
        font = self.item.textItem.font()
        font.setPointSize(8)
        self.item.setFont(font)
        self.item.setZValue(20)
        self.item.hide()
        box.addItem(self.item, ignoreBounds=True)

    def show(self, text: str, cursor: QPointF) -> None:
        """Show ``text`` beside ``cursor`` (scene coordinates)."""
        self.item.setText(text)
        rect = self.item.textItem.boundingRect()
        top_left = readout_top_left(cursor, (rect.width(), rect.height()), self.box.sceneBoundingRect())
        self.item.setPos(self.box.mapSceneToView(top_left))
        self.item.show()
        self.item.updateTransform(force=True)  # pixel-sized now, not at the next paint

    def hide(self) -> None:
        self.item.hide()

    def scene_rect(self) -> QRectF:
        """The box as drawn, in scene pixels."""
        return text_scene_rect(self.item)


def text_scene_rect(item: pg.TextItem) -> QRectF:
    """Where a text item (a readout, a mark's label) is drawn, in scene pixels.  Such an item
    ignores the view's scaling only once its transform is updated, which pyqtgraph otherwise
    leaves to the next paint."""
    if item.isVisible():
        item.updateTransform(force=True)
    text = item.textItem
    return text.mapRectToScene(text.boundingRect())


def corner_rect(view: QRectF, size: tuple[float, float], corner: str) -> QRectF:
    """The ``size`` rectangle in ``corner`` of ``view``, :data:`LEGEND_MARGIN_PX` in from its edges."""
    w, h = size
    m = LEGEND_MARGIN_PX
    x = view.right() - m - w if corner.endswith("right") else view.left() + m
    y = view.top() + m if corner.startswith("top") else view.bottom() - m - h
    return QRectF(x, y, w, h)


def points_inside(rect: QRectF, points: Iterable[np.ndarray]) -> int:
    """How many of the (n, 2) scene-coordinate point arrays fall in ``rect``."""
    count = 0
    for p in points:
        if len(p):
            inside = ((p[:, 0] >= rect.left()) & (p[:, 0] <= rect.right())
                      & (p[:, 1] >= rect.top()) & (p[:, 1] <= rect.bottom()))
            count += int(inside.sum())
    return count


def free_corner(view: QRectF, size: tuple[float, float], points: Sequence[np.ndarray],
                obstacles: Sequence[QRectF], current: str) -> str:
    """The corner for a ``size`` legend: the fewest curve points under it, then the fewest within
    :data:`LEGEND_CLEAR_PX` of it (a curve grazing the legend's edge looks covered), then no
    obstacle (a marker's label, which can move out of the way); the current corner wins a tie,
    so the legend does not wander."""
    c = LEGEND_CLEAR_PX

    def cost(corner: str) -> tuple[int, int, int, bool]:
        rect = corner_rect(view, size, corner)
        near = points_inside(rect.adjusted(-c, -c, c, c), points)
        return points_inside(rect, points), near, sum(rect.intersects(o) for o in obstacles), corner != current
    return min(CORNERS, key=cost)


def scene_points(box: pg.ViewBox, curves: Iterable[pg.PlotDataItem]) -> list[np.ndarray]:
    """The visible curves' points in scene coordinates (the view's current range)."""
    (x0, x1), (y0, y1) = box.viewRange()
    rect = box.sceneBoundingRect()
    if x1 <= x0 or y1 <= y0:
        return []
    out = []
    for curve in curves:
        if not curve.isVisible():
            continue
        x, y = curve.getData()
        if x is None or len(x) == 0:
            continue
        sx = rect.left() + (np.asarray(x, float) - x0) / (x1 - x0) * rect.width()
        sy = rect.bottom() - (np.asarray(y, float) - y0) / (y1 - y0) * rect.height()
        keep = np.isfinite(sx) & np.isfinite(sy)
        out.append(along_lines(np.c_[sx[keep], sy[keep]]))
    return out


def along_lines(points: np.ndarray, step: float = SEGMENT_STEP_PX) -> np.ndarray:
    """The (n, 2) polyline with points every ``step`` pixels along its segments as well, so that
    a legend over a long segment between two far-apart points is seen to cover the curve (a
    polyline of many points, whose segments are short already, is returned as it is)."""
    if len(points) < 2 or len(points) > DENSE_CURVE_POINTS:
        return points
    length = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(points, axis=0).T))])
    if length[-1] <= step:
        return points
    # a diverging run's points lie far outside the view: at most MAX_SAMPLES samples, however long
    at = np.linspace(0.0, length[-1], int(min(np.ceil(length[-1] / step) + 1, MAX_SAMPLES)))
    return np.c_[np.interp(at, length, points[:, 0]), np.interp(at, length, points[:, 1])]


def label_position_clear(label: QRectF, taken: Sequence[QRectF], view: QRectF, legend_at_bottom: bool) -> float:
    """Where (0 bottom .. 1 top of ``view``) a vertical line's label goes to clear the ``taken``
    rectangles (the legend first, then labels already placed): the nearest spot past the legend,
    away from it (above a legend at the bottom, below one at the top) that covers none of them;
    just past the legend when there is no such spot."""
    gap, half, legend = 4, label.height() / 2, taken[0]
    first = legend.top() - gap - half if legend_at_bottom else legend.bottom() + gap + half
    step = -2.0 if legend_at_bottom else 2.0
    y = first
    while view.top() + half <= y <= view.bottom() - half:
        moved = QRectF(label.left(), y - half - 1, label.width(), label.height() + 2)  # 1 px clear
        if not any(moved.intersects(other) for other in taken):
            break
        y += step
    else:
        y = first
    return float(np.clip((view.bottom() - y) / max(view.height(), 1.0), 0.05, 0.95))


def place_legend(legend: pg.LegendItem, box: pg.ViewBox, curves: Iterable[pg.PlotDataItem],
                 obstacles: Sequence[QRectF]) -> str:
    """Anchor ``legend`` in the free corner of ``box`` (see :func:`free_corner`); the corner chosen."""
    size = (legend.width(), legend.height())
    current = getattr(legend, "corner", "top-right")
    corner = free_corner(box.sceneBoundingRect(), size, scene_points(box, curves), obstacles, current)
    if corner == current and getattr(legend, "corner", None) is not None:
        return corner  # anchored there already: no relayout
    m = LEGEND_MARGIN_PX
    right, top = corner.endswith("right"), corner.startswith("top")
    item_anchor = (1 if right else 0, 0 if top else 1)
    legend.anchor(itemPos=item_anchor, parentPos=item_anchor, offset=(-m if right else m, m if top else -m))
    legend.corner = corner
    return corner


def place_beside(line: pg.InfiniteLine, box: pg.ViewBox) -> None:
    """A mark's label goes right of its line, or left of it where it would run past the view's
    right edge (measured in pixels at the view's current range and width); a label too long
    for either side lies across its line, inside the view, and one wider than the view is
    broken into lines of its width."""
    label = line.label
    units_per_px = box.viewPixelSize()[0]
    (left, right), x = box.viewRange()[0], line.value()
    if units_per_px <= 0:
        return
    at, view = (x - left) / units_per_px, (right - left) / units_per_px
    if label.textItem.textWidth() > 0 or label.textItem.boundingRect().width() + 4 > view:
        label.setTextWidth(-1)  # its own width again, unless that is wider than the view
        if label.textItem.boundingRect().width() + 4 > view:
            label.setTextWidth(max(view - 8, 40))
    width = label.boundingRect().width() + 4
    if view - at >= width or at < 0 or at > view:
        across = 0.0  # right of the line (also when the line is out of view)
    elif at >= width:
        across = 1.0  # left of it
    else:  # the share of the label left of the line: its right end at the view's, its left end inside
        across = min(max((at + width - view) / width, 0.0), at / width)
    anchor = (across, 0.5)
    if label.anchors[0] != anchor:
        label.anchors = [anchor, anchor]
        label.updatePosition()
