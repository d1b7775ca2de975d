"""The Lab tab's landscape page: train the design briefly, map the loss around it, inspect points.

Map runs a :class:`~.worker.LandscapeWorker`; the page shows the 2-D slice with the training
path, the 1-D lines, and — after a click on the map — the network at that point: its losses and
accuracies and, for 2-D data, its decision boundary (computed by a :class:`~.worker.PointWorker`).
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QComboBox, QLabel, QProgressBar, QSplitter, QStackedWidget, QVBoxLayout,
                               QWidget)

from ...config import ExperimentConfig
from ...errors import UserError
from ...lab import DIRECTIONS, LandscapeResult
from ..plots.boundary import BoundaryView
from ..qt.threads import start_worker, stop_and_wait
from .job_page import JobPage, button, spin
from .plots import LandscapeView, LinesPlot
from .worker import LandscapeWorker, PointReport, PointWorker

SHUTDOWN_TIMEOUT_MS = 5000
RIGHT_MIN_WIDTH = 320  # the lines plot and the chosen point keep at least this much beside a square map
STAGES = {"training": "Training the design", "training seed 2": "Training a second seed",
          "landscape": "Mapping the loss"}



PATH_VISIBLE_SHARE = 0.05  # a path spanning less of the map's width than this looks like a dot


def path_note(result: LandscapeResult) -> str:
    """A sentence when the training path shrinks to a dot on the map (random directions are
    nearly orthogonal to it in a high-dimensional space), else ""."""
    if result.path is None or len(result.path) < 2:
        return ""
    span = float(np.ptp(result.path, axis=0).max())
    width = float(result.xs[-1] - result.xs[0])
    if width <= 0 or span >= PATH_VISIBLE_SHARE * width:
        return ""
    return (" The training path projects onto these directions as a dot at the centre (random directions are "
            "nearly orthogonal to it); PCA directions follow it.")

class LandscapePage(JobPage):
    """Signals: ``mapped()`` when a map run ends (finished, stopped or failed), ``pointShown(PointReport)``.
    :attr:`result` holds the last map."""

    mapped = Signal()
    pointShown = Signal(object)
    thread_name = "lab-landscape"

    def __init__(self, config_provider: Callable[[], ExperimentConfig], parent: QWidget | None = None):
        super().__init__(parent)
        self._config_provider = config_provider
        self._point_threads: list = []
        self.result: LandscapeResult | None = None
        self._config: ExperimentConfig | None = None
        self._split = None
        self.point: PointReport | None = None
        self._build()

    def _build(self) -> None:
        self.gridSpin = spin(self, "labGridSpin", 5, 81, 21, "Points per side of the map (N × N evaluations of "
                              "the loss on the training and validation splits)")
        self.epochsSpin = spin(self, "labEpochsSpin", 1, 5000, 60, "Epochs to train before mapping (the design's own "
                                "epoch count is not used; early stopping still applies)")
        self.directionsCombo = QComboBox(self)
        self.directionsCombo.setObjectName("labDirectionsCombo")
        self.directionsCombo.addItems(list(DIRECTIONS))
        self.directionsCombo.setToolTip("random: two Gaussian directions, filter-normalized (each unit's incoming "
                                        "weights get the norm of the trained unit's);\npca: the two principal "
                                        "directions of the training path, which lies in that plane")
        self.mapButton = button(self, "labMapButton", "Map landscape", "Train the design, then map the loss around "
                                 "the trained weights")
        self.stopButton = button(self, "labMapStopButton", "Stop", "Stop training or mapping")
        self.stopButton.setEnabled(False)
        self.progress = QProgressBar(self)
        self.progress.setObjectName("labMapProgress")
        self.progress.setMaximumWidth(220)
        self.progress.setVisible(False)
        status = QLabel("Map the loss around the trained weights of the current design.", self)
        status.setObjectName("labMapStatus")
        self._lay_out((QLabel("Grid", self), self.gridSpin, QLabel("Directions", self), self.directionsCombo,
                       QLabel("Epochs", self), self.epochsSpin, self.mapButton, self.stopButton, self.progress),
                      status, self._build_views())
        self.mapButton.clicked.connect(self.start)
        self.stopButton.clicked.connect(self.stop)
        self.landscapeView.pointChosen.connect(self.inspect)

    def _build_views(self) -> QSplitter:
        """The map on the left; the lines and the chosen point on the right."""
        self.landscapeView = LandscapeView(self)
        self.linesPlot = LinesPlot(self)
        self.pointLabel = QLabel("Click the map to load the weights at that point.", self)
        self.pointLabel.setObjectName("labPointLabel")
        self.pointLabel.setWordWrap(True)
        self.pointLabel.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.boundaryView = BoundaryView(self)
        self.boundaryView.setObjectName("labBoundaryPlot")
        self.pointStack = QStackedWidget(self)
        self.pointStack.addWidget(self.pointLabel)
        self.pointStack.addWidget(self.boundaryView)
        point_box = QWidget(self)
        box = QVBoxLayout(point_box)
        box.setContentsMargins(0, 0, 0, 0)
        self.pointMetrics = QLabel("", self)
        self.pointMetrics.setObjectName("labPointMetrics")
        self.pointMetrics.setWordWrap(True)
        box.addWidget(self.pointMetrics)
        box.addWidget(self.pointStack, 1)
        right = QSplitter(Qt.Orientation.Vertical, self)
        right.addWidget(self.linesPlot)
        right.addWidget(point_box)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(self.landscapeView)
        split.addWidget(right)
        self.landscapeView.setMinimumWidth(360)
        self.linesPlot.setMinimumHeight(160)
        split.setSizes([560, 440])
        right.setSizes([220, 330])
        self._views, self._divider_moved = split, False
        split.splitterMoved.connect(self._on_divider_moved)  # a user's drag only, not setSizes
        return split

    def _on_divider_moved(self, *_args) -> None:
        self._divider_moved = True

    def _fit_map(self) -> None:
        """Give a square map (random directions) the width its height asks for, so that the map
        fills its box rather than float in a tall one; the right column keeps RIGHT_MIN_WIDTH.
        Once the user drags the divider, their widths stay."""
        view = self.landscapeView
        box = view.getPlotItem().getViewBox()
        if self._divider_moved or not box.state["aspectLocked"] or box.height() <= 0 or not self.isVisible():
            return
        sizes = self._views.sizes()
        total = sum(sizes)
        want = round(box.height() + view.width() - box.width())  # the axes and the colour bar beside the square
        want = max(view.minimumWidth(), min(want, total - RIGHT_MIN_WIDTH))
        if abs(want - sizes[0]) > 2:
            self._views.setSizes([want, total - want])

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        QTimer.singleShot(0, self, self._fit_map)  # once the plots have their new sizes

    # -- mapping ---------------------------------------------------------------------------------
    def start(self) -> None:
        if self.is_running():
            return
        try:
            config = self._config_provider().replace(epochs=self.epochsSpin.value())
        except (UserError, ValueError) as exc:
            self._show(f"The design cannot be mapped: {exc}", "error")
            return
        worker = LandscapeWorker(config, self.gridSpin.value(), self.directionsCombo.currentText())
        worker.progressed.connect(self._on_progress)
        worker.done.connect(self._on_done)
        worker.failed.connect(lambda message: self._show(message, "error"))
        self._config = config
        self._launch(worker, "Training the design…")

    def shutdown(self) -> None:
        super().shutdown()
        for thread in self._point_threads:
            stop_and_wait(thread, SHUTDOWN_TIMEOUT_MS)
        self._point_threads = []

    def _set_running(self, running: bool) -> None:
        self.mapButton.setEnabled(not running)
        self.stopButton.setEnabled(running)
        self.progress.setVisible(running)

    def _on_progress(self, stage: str, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        self._show(f"{STAGES.get(stage, stage)}: {done} of {total}…", "busy")

    def _on_done(self, result: LandscapeResult, split) -> None:
        self.result, self._split = result, split
        self.landscapeView.show_result(result)
        self.linesPlot.show_result(result)
        QTimer.singleShot(0, self, self._fit_map)
        self.pointMetrics.setText("")
        self.pointStack.setCurrentWidget(self.pointLabel)
        explained = ""
        if result.explained:
            explained = f"; the directions explain {100 * sum(result.explained):.0f}% of the path's variance"
        self._show(f"Loss at the trained weights {result.loss_at_trained:.4g} (validation "
                   f"{result.val_loss_at_trained:.4g}){explained}.{path_note(result)} Click the map to inspect "
                   "a point.", "success")

    def _ended(self, stopped: bool) -> None:
        if stopped:
            self._show("Stopped; the previous map (if any) is kept.", "info")
        self.mapped.emit()

    # -- a point -----------------------------------------------------------------------------------
    def inspect(self, x: float, y: float) -> None:
        """Load the weights at (x, y) of the map in a worker and show what they do."""
        if self.result is None or self.result.network is None:
            return
        self.landscapeView.chosen.setData([x], [y])
        worker = PointWorker(self._config, self._split, self.result.network, self.result.plane, x, y)
        worker.done.connect(self._on_point)
        worker.failed.connect(lambda message: self._show(message, "error"))
        self._point_threads = [t for t in self._point_threads if not t.isFinished()]
        self._point_threads.append(start_worker(worker, "lab-point"))

    def _on_point(self, report: PointReport) -> None:
        self.point = report
        acc = ""
        if math.isfinite(report.val_accuracy):
            acc = f"; accuracy {report.train_accuracy:.3f} (validation {report.val_accuracy:.3f})"
        self.pointMetrics.setText(f"At ({report.x:.3g}, {report.y:.3g}): training loss {report.train_loss:.4g}, "
                                  f"validation loss {report.val_loss:.4g}{acc}")
        if report.boundary is not None:
            split = self._split
            points = split.X_train * split.scaler.scale + split.scaler.mean
            self.boundaryView.set_points(points, split.y_train.astype(int), split.n_classes)
            self.boundaryView.set_grid(report.boundary)
            self.boundaryView.getPlotItem().setTitle("Decision boundary at the chosen point", size="10pt")
            self.pointStack.setCurrentWidget(self.boundaryView)
        else:
            self.pointStack.setCurrentWidget(self.pointLabel)
            self.pointLabel.setText("This data set has more than two inputs: the losses above describe the point.")
        self.pointShown.emit(report)
