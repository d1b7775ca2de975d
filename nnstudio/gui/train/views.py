"""What the training panel shows of a run: the curves grid, and the tabs of what happens inside.

:class:`CurvesGrid` holds the loss (with its controls), accuracy (or, for regression, a note),
learning-rate and gradient-norm plots.  :class:`InsideTabs` holds the weight histograms, the
decision boundary and the results page (test metrics and the confusion matrix).
"""

from __future__ import annotations

import math
import time
from functools import partial
from typing import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QCheckBox, QGridLayout, QLabel, QSplitter, QStackedWidget, QTabWidget, QVBoxLayout, QWidget

from ...engine import TrainingSummary
from ...history import History
from ...lab import threshold_label
from ..plots.boundary import BoundaryReplay, BoundaryView
from ..plots.clipping import ClippingView
from ..plots.confusion import ConfusionView
from ..plots.epoch_plot import AccuracyPlot, LearningRatePlot
from ..plots.grad_norm_plot import GradNormPlot
from ..plots.ghost import GhostCurves, dashed_key
from ..plots.histogram import HistogramView
from ..plots.loss_plot import LossView
from ..qt.refresh import RefreshScheduler
from ..widgets.build import named_splitter
from ..widgets.log_view import LogView
from ..widgets.side_tabs import use_side_tabs
from .diagnosis import DiagnosisPanel
from .sharpness_page import SharpnessPage
from .worker import RunInfo, RunResult

NO_TEST_METRICS = "Test metrics appear here when a run ends."
HISTOGRAMS_PAGE, BOUNDARY_PAGE, RESULTS_PAGE, CLIPPING_PAGE, SHARPNESS_PAGE, DIAGNOSIS_PAGE = 0, 1, 2, 3, 4, 5
BOUNDARY_MIN_GAP_S = 0.05  # live boundary frames are shown as they arrive, at most 20 a second


class CurvesGrid(QWidget):
    """Loss and accuracy above, learning rate and gradient norms below."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.lossView = LossView(self, controls_above=False)
        self.lossPlot = self.lossView.plot
        self.accuracyPlot = AccuracyPlot(self)
        self.rmseLabel = QLabel(self)
        self.rmseLabel.setObjectName("rmseLabel")
        self.rmseLabel.setWordWrap(True)
        self.rmseLabel.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.rmseLabel.setMargin(12)
        self.accuracyStack = QStackedWidget(self)
        self.accuracyStack.setObjectName("accuracyStack")
        self.accuracyStack.addWidget(self.accuracyPlot)
        self.accuracyStack.addWidget(self.rmseLabel)
        self.learningRatePlot = LearningRatePlot(self)
        self.gradNormPlot = GradNormPlot(self)
        self.curvePlots = (self.lossPlot, self.accuracyPlot, self.learningRatePlot, self.gradNormPlot)
        self.ghosts = GhostCurves({"loss": self.lossPlot, "accuracy": self.accuracyPlot}, {"accuracy": 100.0})
        self.ghostCheck = QCheckBox("Previous run", self.lossView.controls)
        self.ghostCheck.setObjectName("ghostCheck")
        self.ghostCheck.setChecked(True)
        key = dashed_key()  # the key to the dashed lines, in place of a legend row
        self.ghostCheck.setIcon(key)
        self.ghostCheck.setIconSize(key.availableSizes()[0])
        self.show_previous(None)
        self.ghostCheck.toggled.connect(self.ghosts.set_visible)
        row = self.lossView.controls.layout()
        row.insertWidget(row.count() - 1, self.ghostCheck)  # before the trailing stretch
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(6)
        grid.addWidget(self.lossView.controls, 0, 0, 1, 2)
        grid.addWidget(self.lossView, 1, 0)
        grid.addWidget(self.accuracyStack, 1, 1)
        grid.addWidget(self.learningRatePlot, 2, 0)
        grid.addWidget(self.gradNormPlot, 2, 1)
        grid.setRowStretch(1, 3)
        grid.setRowStretch(2, 2)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)

    def keep_previous(self, history: History, config, next_config) -> None:
        """The run of ``config`` (its ``history``) gives way to one of ``next_config``."""
        self.ghosts.keep(history, config)
        self.ghosts.compare_with(next_config)
        self.show_previous(next_config)

    def forget_previous(self) -> None:
        self.ghosts.forget()
        self.show_previous(None)

    def show_previous(self, current) -> None:
        """The check box names the previous run and what differed, or says why none is drawn."""
        text, tip = self.ghosts.describe(current)
        self.ghostCheck.setText(text)
        self.ghostCheck.setToolTip(tip + "\nShows or hides the previous run's loss and accuracy (faint dashed "
                                   "lines), to see what your change did without leaving this tab.")
        self.ghostCheck.setEnabled(self.ghosts.comparable)

    def clear(self) -> None:
        for plot in self.curvePlots:
            plot.clear_data()
        self.ghosts.draw()
        self.accuracyStack.setCurrentWidget(self.accuracyPlot)

    def prepare(self, info: RunInfo) -> None:
        """A run's layers, and accuracy or (for regression) what stands in its place."""
        self.gradNormPlot.set_layers(info.layer_names)
        if info.classification:
            self.accuracyStack.setCurrentWidget(self.accuracyPlot)
        else:
            self.rmseLabel.setText("Accuracy applies to classification.\nThis is a regression data set: the loss "
                                   "is the mean squared error on standardized targets.\nThe test RMSE, in the "
                                   "target's own units, appears here when the run ends.")
            self.accuracyStack.setCurrentWidget(self.rmseLabel)

    def end_run(self) -> None:
        """The run has ended: the plots may show its whole range."""
        for plot in self.curvePlots:
            plot.run_ended = True

    def mark_epochs(self, summary: TrainingSummary, mark: str) -> None:
        """The best epoch, and where the run stopped when ``mark`` names why."""
        for plot in (self.lossPlot, self.accuracyPlot):
            plot.set_best_epoch(summary.best_epoch)  # 0: the initial weights were the best
            plot.set_stop_epoch(summary.epochs_run if mark else None, mark)


class InsideTabs(QTabWidget):
    """``insideTabs``: Histograms, Boundary and Results.  The page follows the run (the boundary for
    2-D data, the results when a classification run ends) until the user picks one."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("insideTabs")
        # six names, each whole, in a pane about 370 px wide at 1280 x 800; the doctor's count fits
        use_side_tabs(self).reserve("Diagnosis (9)")
        self.user_chose_page = False
        self.histogramView = HistogramView(parent=self)
        self.boundaryView = BoundaryView(self)
        self.boundaryPlaceholder = QLabel(
            "Decision boundaries are drawn for the built-in 2-D data sets\n(moons, circles, xor, gaussians, "
            "spiral).", self)
        self.boundaryPlaceholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.boundaryPlaceholder.setWordWrap(True)
        self.boundaryStack = QStackedWidget(self)
        self.boundaryStack.addWidget(self.boundaryPlaceholder)
        self.boundaryReplay = BoundaryReplay(self.boundaryView, self)
        self.boundaryPage = QWidget(self)
        page = QVBoxLayout(self.boundaryPage)
        page.setContentsMargins(0, 0, 0, 0)
        page.setSpacing(2)
        page.addWidget(self.boundaryView, 1)
        page.addWidget(self.boundaryReplay)
        self.boundaryStack.addWidget(self.boundaryPage)
        # the live boundary has its own pace, apart from the other views: each frame as it arrives
        self.boundaryTimer = QTimer(self)
        self.boundaryTimer.setSingleShot(True)
        self.boundaryTimer.timeout.connect(self._draw_boundary)
        self._boundary_drawn_at = -math.inf
        self.boundaryView.framesChanged.connect(self._schedule_boundary)
        results = self._make_results_page()
        self.diagnosisPanel = DiagnosisPanel(self)
        self.addTab(self.histogramView, "Histograms")
        self.addTab(self.boundaryStack, "Boundary")
        self.addTab(results, "Results")
        self.clippingView = ClippingView(self)
        self.addTab(self.clippingView, "Clipping")
        self.setTabToolTip(CLIPPING_PAGE, "The whole gradient's norm before and after clipping, and the share of "
                                          "steps clipped, per epoch")
        self.sharpnessPage = SharpnessPage(self)
        self.sharpnessPlot = self.sharpnessPage.sharpnessPlot
        self.addTab(self.sharpnessPage, "Sharpness")
        self.addTab(self.diagnosisPanel, "Diagnosis")
        self.setTabToolTip(HISTOGRAMS_PAGE, "Per-layer histograms of weights, biases, gradients and activations, "
                                            "with an epoch slider to replay the run")
        self.setTabToolTip(BOUNDARY_PAGE, "The decision boundary over the input plane (2-D data sets)")
        self.setTabToolTip(RESULTS_PAGE, "Test-split metrics and the confusion matrix, once a run ends")
        self.setTabToolTip(SHARPNESS_PAGE, "The largest Hessian eigenvalue against 2/lr, measured when switched on "
                                           "there (off by default: it costs training time)")
        self.setTabToolTip(DIAGNOSIS_PAGE, "What the training doctor finds, epoch by epoch: the cause in a sentence, "
                                           "the evidence, and one edit to try or apply")
        self.tabBarClicked.connect(self._on_tab_clicked)
        QWidget.setTabOrder(self.confusionView, self.tabBar())  # the tab bar after the pages, as it was made

    def _make_results_page(self) -> QWidget:
        self.testMetricsLabel = QLabel(NO_TEST_METRICS, self)
        self.testMetricsLabel.setObjectName("testMetricsLabel")
        self.testMetricsLabel.setWordWrap(True)
        # at the top of the Results page also when the matrix below is hidden (regression)
        self.testMetricsLabel.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.testMetricsLabel.setToolTip("Computed once, on the held-out test split, with the weights the run "
                                         "ended with (the best ones when they were restored).")
        self.confusionView = ConfusionView(self)
        self.confusionCaption = QLabel("Confusion matrix · rows: true class · columns: predicted class", self)
        self.confusionCaption.setObjectName("confusionCaption")
        self.confusionCaption.setWordWrap(True)
        results = QWidget(self)
        layout = QVBoxLayout(results)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.testMetricsLabel)
        layout.addWidget(self.confusionCaption)
        layout.addWidget(self.confusionView, 1)
        return results

    def _schedule_boundary(self) -> None:
        """A frame arrived: show it now, or once :data:`BOUNDARY_MIN_GAP_S` has passed since the last
        one (a newer frame arriving meanwhile replaces it; the worker sends them further apart)."""
        if self.boundaryView.pending is None or self.boundaryTimer.isActive():
            return
        wait = BOUNDARY_MIN_GAP_S - (time.perf_counter() - self._boundary_drawn_at)
        if wait > 0:
            self.boundaryTimer.start(round(1000 * wait))
        else:
            self._draw_boundary()

    def _draw_boundary(self) -> None:
        if self.boundaryView.pending is not None and self.boundaryView.isVisible():
            self.boundaryView.draw_pending()
            self._boundary_drawn_at = time.perf_counter()

    def _on_tab_clicked(self, _index: int) -> None:
        self.user_chose_page = True

    def clear(self) -> None:
        self.histogramView.clear()
        self.clippingView.clear()
        self.diagnosisPanel.clear()
        self.boundaryView.clear_data()
        self.confusionView.clear_matrix()
        self.testMetricsLabel.setText(NO_TEST_METRICS)
        self.sharpnessPlot.clear_all()

    def prepare(self, info: RunInfo) -> None:
        """A run's layers, its kind (no confusion matrix for regression) and, for 2-D data, its points."""
        self.histogramView.set_layers(info.layer_names)
        self.clippingView.start(info.config.clip_type, info.config.grad_clip)
        if info.initial is not None:  # epoch 0: the initializer's own distributions
            self.histogramView.add_records([info.initial])
        self.sharpnessPlot.set_limit_label(threshold_label(info.config.optimizer))
        # a confusion matrix is for classes: a regression run's Results page holds its metrics only
        self.confusionCaption.setVisible(info.classification)
        self.confusionView.setVisible(info.classification)

    def show_data(self, info: RunInfo) -> None:
        if info.two_d:
            self.boundaryView.set_points(info.train_points, info.train_classes, len(info.class_labels))
            if info.initial_boundary is not None:  # the boundary before any step
                self.boundaryView.set_grid(info.initial_boundary)
            self.boundaryStack.setCurrentWidget(self.boundaryPage)
        else:
            self.boundaryStack.setCurrentWidget(self.boundaryPlaceholder)
        if not self.user_chose_page:
            self.setCurrentIndex(BOUNDARY_PAGE if info.two_d else HISTOGRAMS_PAGE)

    def show_result(self, result: RunResult, info: RunInfo, metrics: str) -> None:
        """The test metrics, the confusion matrix (shown when the boundary is not) and the final boundary."""
        self.testMetricsLabel.setText(metrics)
        if result.confusion is not None:
            self.confusionView.set_matrix(result.confusion, info.class_labels)
            if not self.user_chose_page and not info.two_d:
                self.setCurrentIndex(RESULTS_PAGE)

    def show_boundary(self, result: RunResult) -> None:
        self.boundaryView.end_run(result.boundary)


def _draw_curves(plots, history: History, shown: Callable[[int], None]) -> None:
    """Redraw the curve plots from ``history``; ``shown`` is told the epoch they now end at."""
    for plot in plots:
        plot.update_from(history)
    if len(history):
        shown(int(history.epochs[-1]))


class TrainingViews(QSplitter):
    """``trainingSplitter``: the curves on the left; what happens inside over the log on the right."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setObjectName("trainingSplitter")
        self.curves = CurvesGrid(self)
        self.insideTabs = InsideTabs(self)
        self.logView = LogView(parent=self)
        right = named_splitter(Qt.Orientation.Vertical, "insideSplitter", [self.insideTabs, self.logView], [3, 1],
                               self)
        self.addWidget(self.curves)
        self.addWidget(right)
        self.setStretchFactor(0, 3)
        self.setStretchFactor(1, 2)
        self.setChildrenCollapsible(False)

    def clear(self) -> None:
        self.curves.clear()
        self.insideTabs.clear()

    def make_refresh(self, history: History, shown: Callable[[int], None]) -> RefreshScheduler:
        """A scheduler redrawing the visible views from ``history``, each as often as its weight says
        relative to the others while training; ``shown(epoch)`` is told the epoch the curves then
        show.  The redraw functions reach the views and the history, never the panel (no reference
        cycle)."""
        refresh = RefreshScheduler(parent=self)
        # the four curve plots are redrawn together, so that they always end at the same epoch
        plots = self.curves.curvePlots
        refresh.add(partial(_draw_curves, plots, history, shown), 4,
                    lambda plots=plots: any(p.isVisible() for p in plots))
        histograms, boundary = self.insideTabs.histogramView, self.insideTabs.boundaryView
        # the boundary is also drawn by its own timer; this keeps it in step at a flush
        refresh.add(histograms.refresh, 1.5, histograms.isVisible)
        clipping = self.insideTabs.clippingView
        refresh.add(clipping.refresh, 1, clipping.isVisible)
        refresh.add(boundary.draw_pending, 3, boundary.isVisible)
        return refresh

    def exportable(self, whole: QWidget) -> dict[str, QWidget]:
        """What "Export Plot as PNG" offers: label -> widget (``whole``: the whole training panel)."""
        c, t = self.curves, self.insideTabs
        return {
            "Loss": c.lossPlot, "Accuracy": c.accuracyPlot, "Learning rate": c.learningRatePlot,
            "Gradient norms": c.gradNormPlot, "Weight histogram": t.histogramView.plot,
            "Clipping": t.clippingView,
            "Decision boundary": t.boundaryView, "Confusion matrix": t.confusionView,
            "Whole training panel": whole,
        }
