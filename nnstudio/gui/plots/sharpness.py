"""Sharpness against the stability limit, per measured epoch (the Train tab's opt-in monitor)."""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import Qt

from ..qt.refresh import MeteredPlotWidget
from ..qt.style import BACKGROUND, PALETTE, TEXT_COLOR
from .base import EmptyNote, style_plot


class SharpnessPlot(MeteredPlotWidget):
    """``sharpnessPlot``: the largest Hessian eigenvalue per measured epoch against the optimizer's
    stability limit (2/lr, or 2(1+μ)/lr with momentum)."""

    def __init__(self, parent=None):
        super().__init__(parent, background=BACKGROUND)
        self.setObjectName("sharpnessPlot")
        style_plot(self, "Sharpness vs stability limit", "λmax")
        self.setToolTip("Sharpness: the largest eigenvalue of the training loss's Hessian (power iteration on "
                        "Hessian-vector products), every N epochs.\nDashed: the optimizer's stability limit — "
                        "2/lr for gradient descent, 2(1+μ)/lr with momentum μ. Full-batch training tends to "
                        "rise to it and hover there (the edge of stability).")
        self.addLegend(offset=(-10, 10), labelTextColor=TEXT_COLOR)
        self.sharpness = self.plot([], [], pen=pg.mkPen(PALETTE[0], width=1.6), symbol="o", symbolSize=6,
                                   symbolBrush=PALETTE[0], name="sharpness λmax")
        self.limit = self.plot([], [], pen=pg.mkPen(PALETTE[3], width=1.6, style=Qt.PenStyle.DashLine), name="2/lr")
        self.points: list = []
        self.empty_note = EmptyNote(self, "No measurement yet")
        self._show_empty()

    def _show_empty(self) -> None:
        """Without measurements: epochs 0 to 10, λmax from 0, and the note saying why there are none."""
        self.setRange(xRange=(0.0, 10.0), yRange=(0.0, 1.0), padding=0.02)
        self.empty_note.show()

    def clear_all(self) -> None:
        self._show_empty()
        self.points = []
        self.sharpness.setData([], [])
        self.limit.setData([], [])
        self.getPlotItem().setTitle("Sharpness vs stability limit", size="10pt")

    def set_limit_label(self, label: str) -> None:
        """Name the limit line by the optimizer's formula (2/lr, 2(1+μ)/lr, ...)."""
        self.getPlotItem().legend.items[-1][1].setText(label)

    def add_points(self, points) -> None:
        """Append :class:`~nnstudio.lab.SharpnessPoint` objects and redraw."""
        self.points.extend(points)
        if not self.points:
            return
        if self.empty_note.isVisible():
            self.empty_note.hide()
            self.enableAutoRange()
        epochs = [p.epoch for p in self.points]
        self.sharpness.setData(epochs, [p.sharpness for p in self.points])
        limits = [p.threshold for p in self.points]
        if all(math.isfinite(t) for t in limits):
            self.limit.setData(epochs, limits)
        else:  # adam/rmsprop: their limit concerns the preconditioned Hessian
            self.getPlotItem().setTitle("Sharpness (no limit line for adaptive optimizers)", size="10pt")
