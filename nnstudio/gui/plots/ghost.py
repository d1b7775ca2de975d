"""The previous run's curves, drawn faintly under the current ones ("what did my change do?").

:class:`GhostCurves` keeps a copy of a finished (or stopped) run's loss and accuracy columns
when a new run starts, and draws them as thin dashed lines in the loss and accuracy plots.  The
"Previous run" check box, whose icon is their line style (:func:`dashed_key`), shows or hides
them; they are never part of the current history.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon, QPainter, QPixmap

from ...history import History
from ..qt.style import TRAIN_COLOR, VAL_COLOR
from .epoch_plot import EpochPlot

GHOST_ALPHA = 120
GHOST_SERIES = {"ghost_train": ("previous train", TRAIN_COLOR), "ghost_val": ("previous validation", VAL_COLOR)}
COLUMNS = {"loss": ("train_loss", "val_loss"), "accuracy": ("train_accuracy", "val_accuracy")}


def add_ghost_series(plot: EpochPlot) -> None:
    for key, (label, colour) in GHOST_SERIES.items():
        plot.add_series(key, label, colour, width=1.3, alpha=GHOST_ALPHA, legend=False,
                        style=Qt.PenStyle.DashLine)
        plot.series[key].setZValue(-5)


class GhostCurves:
    """The previous run's columns and the plots they are drawn in (``{"loss": plot, "accuracy": plot}``)."""

    def __init__(self, plots: dict[str, EpochPlot], scale: dict[str, float] | None = None):
        self.plots = plots
        self.scale = scale or {}
        self.visible = True
        self.epochs = np.empty(0)
        self.columns: dict[str, np.ndarray] = {}
        for plot in plots.values():
            add_ghost_series(plot)

    def keep(self, history: History) -> None:
        """Remember ``history`` (the run about to be replaced), if it has any epoch."""
        if len(history) == 0:
            return
        self.epochs = history.epochs.copy()
        self.columns = {name: history.column(name).copy() for names in COLUMNS.values() for name in names}

    def forget(self) -> None:
        self.epochs = np.empty(0)
        self.columns = {}
        self.draw()

    @property
    def has_run(self) -> bool:
        return len(self.epochs) > 0

    def set_visible(self, on: bool) -> None:
        self.visible = bool(on)
        self.draw()

    def draw(self) -> None:
        for kind, plot in self.plots.items():
            factor = self.scale.get(kind, 1.0)
            for key, name in zip(GHOST_SERIES, COLUMNS[kind]):
                curve = plot.series[key]
                if self.visible and name in self.columns:
                    curve.setData(self.epochs, factor * self.columns[name])
                else:
                    curve.setData([], [])
                curve.setVisible(self.visible)


def dashed_key(width: int = 18, height: int = 12) -> QIcon:
    """The previous run's line style as a small key (train and validation colours, dashed), for
    the check box that shows those curves: it says what the dashed lines are without a legend row."""
    pixmap = QPixmap(width, height)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    for y, colour in ((height // 3, TRAIN_COLOR), (2 * height // 3, VAL_COLOR)):
        pen = pg.mkPen(colour, width=1.5)
        pen.setDashPattern([3, 2])  # in pen widths: short dashes, several in the key's width
        painter.setPen(pen)
        painter.drawLine(1, y, width - 1, y)
    painter.end()
    return QIcon(pixmap)
