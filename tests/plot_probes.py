"""What a pyqtgraph plot draws, read the way a user sees it (shared by the GUI tests)."""

from __future__ import annotations

from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage, QPainter


def axis_labels(plot, side: str = "left") -> list[tuple[str, QRectF]]:
    """The tick labels the axis draws now, as (text, rectangle); unlabelled ticks left out."""
    return drawn_labels(plot.getPlotItem().getAxis(side))


def drawn_labels(axis) -> list[tuple[str, QRectF]]:
    """The tick labels a pyqtgraph axis item draws now, as (text, rectangle)."""
    image = QImage(8, 8, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [(text, QRectF(rect)) for rect, _flags, text in specs[2] if text] if specs else []


def overlapping(labels) -> list[tuple[str, str]]:
    """Pairs of labels whose rectangles intersect."""
    return [(a, b) for i, (a, ra) in enumerate(labels) for b, rb in labels[i + 1:] if ra.intersects(rb)]


def crowded(labels, gap: float = 2.0) -> list[tuple[str, str]]:
    """Pairs of labels less than ``gap`` pixels apart (touching labels read as one: "-0.40.2")."""
    grown = [(text, rect.adjusted(-gap / 2, 0, gap / 2, 0)) for text, rect in labels]
    return overlapping(grown)
