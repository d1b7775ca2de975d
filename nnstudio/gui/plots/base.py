"""What every plot of the window shares: the house look of a pyqtgraph plot, and saving a widget
as PNG, by default at twice its size on screen (sharp on high-DPI screens and in documents).

Every plot styled here has "Export PNG…" in its context menu: it asks for the image's size
(:data:`PNG_SCALES`, 2× first) and a file name, and writes the file atomically.
"""

from __future__ import annotations

import weakref
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QImage, QTextOption
from PySide6.QtWidgets import QFileDialog, QGraphicsItem, QInputDialog, QMessageBox, QWidget

from ...files import FileFormatError, atomic_write_bytes
from ..qt.style import BACKGROUND, TEXT_COLOR, style_axis

PNG_SCALES = (1, 2, 3)  # image pixels per widget pixel offered by Export PNG
DEFAULT_PNG_SCALE = 2


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
    _offer_png_export(widget, title)


def _offer_png_export(widget: pg.PlotWidget, title: str) -> None:
    """Make the context menu's "Export..." our "Export PNG…" (size choice, 2× first)."""
    actions = getattr(widget.scene(), "contextMenu", None)
    if not actions:
        return
    action = actions[0]
    action.triggered.disconnect()
    action.setText("Export PNG…")
    ref = weakref.ref(widget)  # the scene outlives no plot; no cycle through the action

    def export() -> None:
        plot = ref()
        if plot is not None:
            export_png_dialog(plot, plot, title.lower().replace(" ", "_") or "plot")
    action.triggered.connect(export)


def widget_image(widget: QWidget, scale: float = DEFAULT_PNG_SCALE) -> QImage:
    """The widget drawn at ``scale`` image pixels per widget pixel (text and lines drawn anew, not
    enlarged), on the plots' background."""
    image = QImage(widget.size() * scale, QImage.Format.Format_ARGB32)
    image.setDevicePixelRatio(scale)
    image.fill(pg.mkColor(BACKGROUND))
    QWidget.render(widget, image)  # a plot (a graphics view) hides the paint-device overload
    return image


def widget_png(widget: QWidget, scale: float | None = None) -> bytes:
    """The widget as it looks now, as PNG bytes: as on screen, or drawn at ``scale``."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    picture = widget.grab() if scale is None else widget_image(widget, scale)
    picture.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def save_widget_png(widget: QWidget, path, scale: float | None = None) -> None:
    """Write the widget as a PNG file (see :func:`widget_png`), atomically."""
    atomic_write_bytes(path, widget_png(widget, scale))


def png_size_choices(widget: QWidget) -> list[tuple[str, int]]:
    """(label, scale) for each of :data:`PNG_SCALES`, the default first, with the pixel size."""
    w, h = widget.width(), widget.height()
    order = [DEFAULT_PNG_SCALE, *(s for s in PNG_SCALES if s != DEFAULT_PNG_SCALE)]
    notes = {1: " (as on screen)", 2: " (sharp on high-DPI screens and in documents)", 3: " (for print)"}
    return [(f"{s}× — {w * s} × {h * s} px{notes.get(s, '')}", s) for s in order]


def export_png_dialog(parent: QWidget, widget: QWidget, name: str) -> str | None:
    """Ask for the image size and a file name, and write ``widget`` as PNG; the path written, or None.

    A name without an extension gets ``.png``; a failure is explained in a message box."""
    choices = png_size_choices(widget)
    label, ok = QInputDialog.getItem(parent, "Export PNG", "Image size:", [c for c, _ in choices], 0, False)
    if not ok:
        return None
    scale = dict(choices)[label]
    path, _ = QFileDialog.getSaveFileName(parent, "Export PNG", f"{name}.png", "PNG images (*.png)")
    if not path:
        return None
    if not Path(path).suffix:
        path += ".png"
    try:
        save_widget_png(widget, path, scale)
    except (FileFormatError, OSError) as exc:
        QMessageBox.warning(parent, "Export failed", f"Could not write {path}:\n{exc}")
        return None
    return path


class EmptyNote(pg.TextItem):
    """A grey sentence in the middle of a plot's view ("No run yet"), kept centred as the view
    pans or resizes; show it while the plot has no data.  ``wrap``: a longer note, its lines
    centred and broken to the view's width."""

    def __init__(self, plot: pg.PlotWidget, text: str, wrap: bool = False):
        super().__init__(text, color=TEXT_COLOR, anchor=(0.5, 0.5))
        self._box = plot.getPlotItem().getViewBox()
        plot.getPlotItem().addItem(self, ignoreBounds=True)
        self._box.sigRangeChanged.connect(self._centre)
        if wrap:
            self.textItem.document().setDefaultTextOption(QTextOption(Qt.AlignmentFlag.AlignHCenter))
            self._box.sigResized.connect(self._wrap)
            self._wrap()
        self._centre()

    def _wrap(self, *_args) -> None:
        width = self._box.width()
        if width > 0:
            self.setTextWidth(max(width - 12, 60))

    def _centre(self, *_args) -> None:
        (x0, x1), (y0, y1) = self._box.viewRange()
        self.setPos((x0 + x1) / 2, (y0 + y1) / 2)
