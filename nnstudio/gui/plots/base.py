"""What every plot of the window shares: the house look of a pyqtgraph plot, and saving a widget as PNG."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtWidgets import QGraphicsItem, QWidget

from ...files import atomic_write_bytes
from ..qt.style import TEXT_COLOR, style_axis


def style_plot(widget: pg.PlotWidget, title: str, y_label: str = "", x_label: str = "epoch") -> None:
    """Light background, dark text, a small title, grid lines."""
    item = widget.getPlotItem()
    item.setTitle(title, color=TEXT_COLOR, size="10pt")
    for side in ("left", "bottom"):
        axis = item.getAxis(side)
        style_axis(axis)
        axis.enableAutoSIPrefix(False)  # "loss (x0.001)" is harder to read than 0.05
        # Keep the rendered axis as a pixmap: replotting the curves then does not redraw the tick
        # labels (text is the slowest part of a repaint); the axis repaints when its range changes.
        axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
    if x_label:
        item.setLabel("bottom", x_label, color=TEXT_COLOR)
    if y_label:
        item.setLabel("left", y_label, color=TEXT_COLOR)
    item.showGrid(x=True, y=True, alpha=0.15)
    item.setMenuEnabled(True)


def widget_png(widget: QWidget) -> bytes:
    """The widget as it looks now, as PNG bytes."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    widget.grab().save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def save_widget_png(widget: QWidget, path) -> None:
    """Write the widget as a PNG file, atomically."""
    atomic_write_bytes(path, widget_png(widget))
