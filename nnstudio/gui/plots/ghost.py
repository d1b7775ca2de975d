"""The previous run's curves, drawn faintly under the current ones ("what did my change do?").

:class:`GhostCurves` keeps a copy of a finished (or stopped) run's loss and accuracy columns
(and its config) when a new run starts, and draws them as thin dashed lines in the loss and
accuracy plots, only while they are comparable with the current run: the same data set and the
same loss.  They never set the axes' range (the current run's own curves do).  The "Previous run"
check box, whose icon is their line style (:func:`dashed_key`), shows or hides them; they are
never part of the current history.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon, QPainter, QPixmap

from ...config import ExperimentConfig
from ...history import History
from ..qt.style import TRAIN_COLOR, VAL_COLOR
from .epoch_plot import EpochPlot

GHOST_ALPHA = 120
GHOST_SERIES = {"ghost_train": ("previous train", TRAIN_COLOR), "ghost_val": ("previous validation", VAL_COLOR)}
COLUMNS = {"loss": ("train_loss", "val_loss"), "accuracy": ("train_accuracy", "val_accuracy")}


def add_ghost_series(plot: EpochPlot) -> None:
    for key, (label, colour) in GHOST_SERIES.items():
        curve = plot.add_series(key, label, colour, width=1.3, alpha=GHOST_ALPHA, legend=False,
                                style=Qt.PenStyle.DashLine)
        curve.setZValue(-5)
        plot.getPlotItem().removeItem(curve)  # drawn, but never part of the auto-range
        plot.getPlotItem().addItem(curve, ignoreBounds=True)
        plot.unbounded.add(key)


def comparable(previous: ExperimentConfig | None, current: ExperimentConfig | None) -> bool:
    """Whether curves of ``previous`` mean something beside those of ``current``: the same data
    (data set, its options and split) and the same loss."""
    return (previous is not None and current is not None and previous.data == current.data
            and previous.loss_func == current.loss_func)


def differences(previous: ExperimentConfig, current: ExperimentConfig, at_most: int = 3) -> list[str]:
    """``learning rate 0.1 → 0.05``, one item per top-level setting that differs (layers as one)."""
    said = []
    for name in previous.__dataclass_fields__:
        old, new = getattr(previous, name), getattr(current, name)
        if name in ("name", "schema_version") or old == new:
            continue
        label = name.replace("_", " ").replace("func", "function")
        said.append(label if name in ("layers", "schedule", "data") else f"{label} {old} → {new}")
    return said[:at_most] + (["…"] if len(said) > at_most else [])


class GhostCurves:
    """The previous run's columns and the plots they are drawn in (``{"loss": plot, "accuracy": plot}``)."""

    def __init__(self, plots: dict[str, EpochPlot], scale: dict[str, float] | None = None):
        self.plots = plots
        self.scale = scale or {}
        self.visible = True
        self.epochs = np.empty(0)
        self.columns: dict[str, np.ndarray] = {}
        self.config: ExperimentConfig | None = None  # the previous run's
        self.comparable = False  # with the current run
        for plot in plots.values():
            add_ghost_series(plot)

    def keep(self, history: History, config: ExperimentConfig | None) -> None:
        """Remember ``history`` of a run of ``config`` (the run about to be replaced), if it has any epoch."""
        if len(history) == 0:
            return
        self.epochs = history.epochs.copy()
        self.columns = {name: history.column(name).copy() for names in COLUMNS.values() for name in names}
        self.config = config

    def compare_with(self, current: ExperimentConfig | None) -> None:
        """The run about to start is ``current``: draw the kept curves only if they are comparable."""
        self.comparable = self.has_run and comparable(self.config, current)

    def forget(self) -> None:
        self.epochs = np.empty(0)
        self.columns = {}
        self.config = None
        self.comparable = False
        self.draw()

    def describe(self, current: ExperimentConfig | None) -> tuple[str, str]:
        """The check box's text and tooltip: which run the dashed curves are, or why there are none."""
        if not self.has_run:
            return "Previous run", "The previous run's loss and accuracy are drawn here as faint dashed lines " \
                                   "once there is one on the same data set."
        epochs = f"{int(self.epochs[-1])} epochs"
        if not self.comparable:
            data = self.config.data.name if self.config is not None else "other data"
            return "Previous run", (f"The previous run ({epochs} on “{data}”) used another data set or loss, so "
                                    "its curves are not comparable and are not drawn.")
        changed = differences(self.config, current) if current is not None else []
        what = ("What differed: " + "; ".join(changed) + ".") if changed else "The same settings."
        return f"Previous run ({epochs})", (f"Dashed: the previous run on the same data ({epochs}). {what}\n"
                                            "The axes fit the current run; the previous one is cut at its edge.")

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
                if self.visible and self.comparable and name in self.columns:
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
