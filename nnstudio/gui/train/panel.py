"""The training panel: Train / Pause / Step / Stop / Reset, progress, live plots and results.

The panel asks ``config_provider()`` for the editor's config when Train or Step is pressed,
starts a :class:`~nnstudio.gui.train.worker.TrainingWorker` in a ``QThread`` and draws
what the worker reports.  It never trains in the GUI thread.

Run states and what they allow:

=========  =====  ============  ====  ====  =====
state      Train  Pause/Resume  Step  Stop  Reset
=========  =====  ============  ====  ====  =====
idle       yes    no            yes   no    yes
starting   no     no            no    yes   no
running    no     yes           no    yes   no
paused     no     yes (Resume)  yes   yes   no
finished   yes    no            yes   no    yes
=========  =====  ============  ====  ====  =====

Step while idle or finished starts a new run that pauses after its first epoch.
"""

from __future__ import annotations

import logging
import math
import time
from enum import Enum
from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QFileDialog, QGridLayout, QHBoxLayout, QInputDialog, QLabel, QMessageBox,
                               QProgressBar, QSizePolicy, QSplitter, QStackedWidget, QStyle, QTabWidget,
                               QToolButton, QVBoxLayout, QWidget)

from ...config import ConfigError, ExperimentConfig
from ...engine import STOP_COMPLETED, STOP_DIVERGED, STOP_EARLY, STOP_USER, TrainingSummary
from ...files import FileFormatError, atomic_write_text
from ..plots.boundary import BoundaryView
from ..plots.confusion import ConfusionView
from ..plots.epoch_plot import AccuracyPlot, GradNormPlot, LearningRatePlot, save_widget_png
from ..plots.histogram import HistogramView
from ...history import History
from ..widgets.log_view import LogView
from ..plots.loss_plot import LossView
from ..qt.refresh import RefreshScheduler
from ..qt.threads import start_worker, stop_and_wait
from .worker import RunControl, RunInfo, RunResult, TrainingWorker, Update

log = logging.getLogger("nnstudio.training")

SHUTDOWN_TIMEOUT_MS = 5000
PROGRESS_INTERVAL_S = 0.2  # the progress bar's text and value are updated at most 5 times a second


class RunState(str, Enum):
    IDLE = "idle"
    STARTING = "starting"
    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"


ACTIVE_STATES = (RunState.STARTING, RunState.RUNNING, RunState.PAUSED)

# state -> enabled (train, pause, step, stop, reset); see the module docstring
ENABLED = {
    RunState.IDLE: (True, False, True, False, True),
    RunState.STARTING: (False, False, False, True, False),
    RunState.RUNNING: (False, True, False, True, False),
    RunState.PAUSED: (False, True, True, True, False),
    RunState.FINISHED: (True, False, True, False, True),
}

# stop reason -> (mark on the loss plot, progress-bar word, status severity)
STOP_STYLES = {
    STOP_COMPLETED: ("", "done", "success"),
    STOP_EARLY: ("early stop", "early stop", "success"),
    STOP_USER: ("stopped", "stopped", "info"),
    STOP_DIVERGED: ("diverged", "diverged", "warning"),
}

STATUS_STYLE = """
QLabel#trainStatus { padding: 3px 6px; border-radius: 3px; }
QLabel#trainStatus[severity="success"] { background: #e8f5e9; color: #1b5e20; border: 1px solid #a5d6a7; }
QLabel#trainStatus[severity="warning"] { background: #fff3e0; color: #8a4b00; border: 1px solid #ffb74d; }
QLabel#trainStatus[severity="error"] { background: #fdecea; color: #8b1a1a; border: 1px solid #ef9a9a; }
"""


def format_duration(seconds: float) -> str:
    """``4.2 s`` under a minute, else ``m:ss`` or ``h:mm:ss``."""
    if seconds < 59.95:
        return f"{max(seconds, 0.0):.1f} s"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class TrainingPanel(QWidget):
    """Train the editor's network in a worker thread and show what happens inside it.

    Args:
        config_provider: returns the current :class:`ExperimentConfig`, or raises
            :class:`ConfigError` when the editor holds an invalid one.
    """

    runningChanged = Signal(bool)        # True while a run is active (paused included)
    weightsChanged = Signal(object)      # list of W (fan_in, fan_out) copies, throttled
    trainingFinished = Signal(object)    # TrainingSummary
    stateChanged = Signal(str)           # a RunState value

    def __init__(self, config_provider: Callable[[], ExperimentConfig], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("trainingPanel")
        self._config_provider = config_provider
        self.state = RunState.IDLE
        self.history = History()
        self.info: RunInfo | None = None
        self.result: RunResult | None = None
        self.config: ExperimentConfig | None = None
        self.updates_received = 0           # progress updates of the current run
        self._run_id = 0
        self._control: RunControl | None = None
        self._thread = None
        self._worker: TrainingWorker | None = None
        self._eta_ref: tuple[float, int] | None = None
        self._user_chose_tab = False
        self._config_problem: str | None = None
        self._make_actions()
        self._make_widgets()
        self._make_layout()
        # Redraw weights: how often each view is redrawn relative to the others while training.
        # The redraw functions reach the views and the history, never the panel itself (no cycle).
        self._refresh = RefreshScheduler(parent=self)
        for plot, weight in zip(self.curvePlots, (3, 1.5, 0.5, 1)):
            self._refresh.add(lambda plot=plot, history=self.history: plot.update_from(history), weight,
                              plot.isVisible)
        self._refresh.add(self.histogramView.refresh, 1.5, self.histogramView.isVisible)
        self._refresh.add(self.boundaryView.draw_pending, 3, self.boundaryView.isVisible)
        self._progress_shown_at = 0.0
        self.setStyleSheet(STATUS_STYLE)
        self._set_state(RunState.IDLE)
        self._show_ready()

    # -- actions ---------------------------------------------------------------------------
    def _action(self, name: str, text: str, slot, shortcut: str | None = None, tip: str = "",
                icon: QStyle.StandardPixmap | None = None, checkable: bool = False) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            tip = f"{tip} ({shortcut})" if tip else shortcut
        if icon is not None:
            action.setIcon(self.style().standardIcon(icon))
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.setCheckable(checkable)
        (action.toggled if checkable else action.triggered).connect(slot)
        self.addAction(action)
        return action

    def _make_actions(self) -> None:
        sp = QStyle.StandardPixmap
        self.trainAction = self._action("trainAction", "Train", self.train, "F5", "Train the network from its initial weights",
                                        sp.SP_MediaPlay)
        self.pauseAction = self._action("pauseAction", "Pause", self._on_pause_toggled, "F6",
                                        "Pause after the current epoch / resume", sp.SP_MediaPause, checkable=True)
        self.stepAction = self._action("stepAction", "Step", self.step, "F10", "Run exactly one epoch, then pause",
                                       sp.SP_MediaSkipForward)
        self.stopAction = self._action("stopAction", "Stop", self.stop, "Shift+F5",
                                       "Stop training (within half a second); the best weights are kept",
                                       sp.SP_MediaStop)
        self.resetAction = self._action("resetAction", "Reset", self.reset, "Ctrl+R", "Clear the plots, results and log",
                                        sp.SP_BrowserReload)
        self.exportPlotAction = self._action("exportPlotAction", "Export Plot as PNG…", self._export_plot_dialog, None,
                                             "Save one of the training plots as a PNG image")
        self.exportHistoryAction = self._action("exportHistoryAction", "Export History as CSV…", self._export_history_dialog, None,
                                                "Save the per-epoch history (losses, accuracies, learning rate, "
                                                "gradient norms) as CSV")

    # -- widgets ---------------------------------------------------------------------------
    def _tool_button(self, action: QAction, name: str) -> QToolButton:
        button = QToolButton(self)
        button.setDefaultAction(action)
        button.setObjectName(name)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        return button

    def _make_widgets(self) -> None:
        self.trainButton = self._tool_button(self.trainAction, "trainButton")
        self.pauseButton = self._tool_button(self.pauseAction, "pauseButton")
        self.stepButton = self._tool_button(self.stepAction, "stepButton")
        self.stopButton = self._tool_button(self.stopAction, "stopButton")
        self.resetButton = self._tool_button(self.resetAction, "resetButton")

        self.trainProgress = QProgressBar(self)
        self.trainProgress.setObjectName("trainProgress")
        self.trainProgress.setTextVisible(True)
        self.trainProgress.setMinimumWidth(220)
        self.trainProgress.setToolTip("Epochs done out of the configured number, with an estimate of the time "
                                      "left (early stopping may end the run sooner).")
        self.statusLabel = QLabel(self)
        self.statusLabel.setObjectName("trainStatus")
        self.statusLabel.setWordWrap(True)
        self.statusLabel.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.statusLabel.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        # room for two lines (result + test metrics) from the start, so the plots do not jump as
        # messages change; a narrow panel lets a long message wrap onto more
        self.statusLabel.setMinimumHeight(2 * self.statusLabel.fontMetrics().lineSpacing() + 10)

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

        self.histogramView = HistogramView(parent=self)
        self.weightHistogram = self.histogramView.plot
        self.epochSlider = self.histogramView.epochSlider
        self.boundaryView = BoundaryView(self)
        self.boundaryPlaceholder = QLabel(
            "Decision boundaries are drawn for the built-in 2-D data sets\n(moons, circles, xor, gaussians, "
            "spiral).", self)
        self.boundaryPlaceholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.boundaryPlaceholder.setWordWrap(True)
        self.boundaryStack = QStackedWidget(self)
        self.boundaryStack.addWidget(self.boundaryPlaceholder)
        self.boundaryStack.addWidget(self.boundaryView)

        self.testMetricsLabel = QLabel("Test metrics appear here when a run ends.", self)
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
        results_layout = QVBoxLayout(results)
        results_layout.setContentsMargins(6, 6, 6, 6)
        results_layout.addWidget(self.testMetricsLabel)
        results_layout.addWidget(self.confusionCaption)
        results_layout.addWidget(self.confusionView, 1)

        self.insideTabs = QTabWidget(self)
        self.insideTabs.setObjectName("insideTabs")
        self.insideTabs.addTab(self.histogramView, "Histograms")
        self.insideTabs.addTab(self.boundaryStack, "Boundary")
        self.insideTabs.addTab(results, "Results")
        self.insideTabs.setTabToolTip(0, "Per-layer histograms of weights, biases, gradients and activations, "
                                         "with an epoch slider to replay the run")
        self.insideTabs.setTabToolTip(1, "The decision boundary over the input plane (2-D data sets)")
        self.insideTabs.setTabToolTip(2, "Test-split metrics and the confusion matrix, once a run ends")
        self.insideTabs.tabBarClicked.connect(self._on_tab_clicked)

        self.logView = LogView(parent=self)


    @property
    def exportable(self) -> dict[str, QWidget]:
        """What "Export Plot as PNG" offers: label -> widget.

        Built on demand: a dict stored on the panel that held the panel itself would be a
        reference cycle, and a panel in a cycle is freed by Python's garbage collector in an
        arbitrary order instead of by Qt, children after parents.
        """
        return {
            "Loss": self.lossPlot, "Accuracy": self.accuracyPlot, "Learning rate": self.learningRatePlot,
            "Gradient norms": self.gradNormPlot, "Weight histogram": self.weightHistogram,
            "Decision boundary": self.boundaryView, "Confusion matrix": self.confusionView,
            "Whole training panel": self,
        }

    def _make_layout(self) -> None:
        controls = QHBoxLayout()
        controls.setSpacing(4)
        for button in (self.trainButton, self.pauseButton, self.stepButton, self.stopButton, self.resetButton):
            controls.addWidget(button)
        controls.addSpacing(8)
        controls.addWidget(self.trainProgress, 1)

        curves = QWidget(self)
        grid = QGridLayout(curves)
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

        right = QSplitter(Qt.Orientation.Vertical, self)
        right.setObjectName("insideSplitter")
        right.addWidget(self.insideTabs)
        right.addWidget(self.logView)
        right.setStretchFactor(0, 3)
        right.setStretchFactor(1, 1)
        right.setChildrenCollapsible(False)

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("trainingSplitter")
        self.splitter.addWidget(curves)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addLayout(controls)
        layout.addWidget(self.statusLabel)
        layout.addWidget(self.splitter, 1)

    # -- public API ------------------------------------------------------------------------
    def is_running(self) -> bool:
        return self.state in ACTIVE_STATES

    def train(self) -> None:
        """Start a new run (ignored while one is active)."""
        self._start(steps=None)

    def step(self) -> None:
        """Run one epoch then pause: continues a paused run, or starts a new one."""
        if self.state == RunState.PAUSED and self._control is not None:
            self._control.step()
            self._eta_ref = None
            self._set_state(RunState.RUNNING)
        elif not self.is_running():
            self._start(steps=1)

    def pause(self) -> None:
        if self.state == RunState.RUNNING:
            self.pauseAction.setChecked(True)

    def resume(self) -> None:
        if self.state == RunState.PAUSED:
            self.pauseAction.setChecked(False)

    def stop(self) -> None:
        """Ask the run to stop; it ends within half a second, keeping the best weights."""
        if self._control is None or not self.is_running():
            return
        self._control.request_stop()
        self.stopAction.setEnabled(False)
        self.pauseAction.setEnabled(False)
        self.stepAction.setEnabled(False)
        self._show_status("Stopping…")

    def shutdown(self) -> None:
        """Stop any run and wait for its thread to end (the window calls this when closing)."""
        if self._control is not None:
            self._control.request_stop()
        if self._thread is not None and not stop_and_wait(self._thread, SHUTDOWN_TIMEOUT_MS):
            log.warning("The training thread did not end within %d ms.", SHUTDOWN_TIMEOUT_MS)
        self._thread = self._worker = self._control = None
        self._run_id += 1  # ignore whatever the abandoned run still has queued
        if self.is_running():
            self._set_state(RunState.FINISHED if len(self.history) else RunState.IDLE)
            self._show_status("Training was stopped.")
            self.runningChanged.emit(False)

    def set_config_valid(self, valid: bool, reason: str = "") -> None:
        """The editor's verdict on its config: while invalid, Train and Step are disabled and
        the reason is shown (a run in progress is not affected)."""
        problem = None if valid else (reason or "the configuration is not valid")
        if problem == self._config_problem:
            return
        self._config_problem = problem
        if self.is_running():
            return
        self._set_state(self.state)
        if problem or self.state == RunState.IDLE:
            self._show_ready()

    def reset(self) -> None:
        """Stop any run and clear plots, results, progress and log."""
        if self.is_running():
            self.shutdown()
        self._clear_views()
        self.logView.clear()
        self.trainProgress.setRange(0, 1)
        self.trainProgress.setValue(0)
        self.trainProgress.setFormat("")
        self._set_state(RunState.IDLE)
        self._show_ready()

    # -- starting ----------------------------------------------------------------------------
    def _start(self, steps: int | None) -> None:
        if self.is_running():
            return
        try:
            config = self._config_provider()
        except ConfigError as exc:
            self._show_status(f"Cannot train: {exc}", "error")
            return
        self.config = config
        self._clear_views()
        self._run_id += 1
        self._control = RunControl(steps)
        worker = TrainingWorker(config, self._control, self._run_id)
        worker.prepared.connect(self._on_prepared)
        worker.progress.connect(self._on_progress)
        worker.paused.connect(self._on_paused)
        worker.resumed.connect(self._on_resumed)
        worker.done.connect(self._on_done)
        worker.failed.connect(self._on_failed)
        worker.ended.connect(self._on_ended)
        self._worker = worker
        self._set_state(RunState.STARTING)
        self.trainProgress.setRange(0, 0)  # busy until the data is loaded
        self.trainProgress.setFormat("Loading data…")
        self._show_status(f"Loading data set “{config.data.name}”…")
        self._thread = start_worker(worker, "training")
        self.runningChanged.emit(True)

    def _clear_views(self) -> None:
        self._refresh.cancel()
        self.history.clear(())
        self.info = self.result = None
        self.updates_received = 0
        for plot in self.curvePlots:
            plot.clear_data()
        self.gradNormPlot.remove_all_series()
        self.histogramView.clear()
        self.boundaryView.clear_data()
        self.confusionView.clear_matrix()
        self.testMetricsLabel.setText("Test metrics appear here when a run ends.")
        self.accuracyStack.setCurrentWidget(self.accuracyPlot)

    # -- worker reports (queued to the GUI thread) ------------------------------------------------
    @Slot(int, object)
    def _on_prepared(self, run_id: int, info: RunInfo) -> None:
        if run_id != self._run_id:
            return
        self.info = info
        self.history.clear(info.layer_names)
        self.gradNormPlot.set_layers(info.layer_names)
        self.histogramView.set_layers(info.layer_names)
        if info.initial is not None:  # epoch 0: the initializer's own distributions
            self.histogramView.add_records([info.initial])
        # a confusion matrix is for classes: a regression run's Results page holds its metrics only
        self.confusionCaption.setVisible(info.classification)
        self.confusionView.setVisible(info.classification)
        if info.classification:
            self.accuracyStack.setCurrentWidget(self.accuracyPlot)
        else:
            self.rmseLabel.setText("Accuracy applies to classification.\nThis is a regression data set: the loss "
                                   "is the mean squared error on standardized targets.\nThe test RMSE, in the "
                                   "target's own units, appears here when the run ends.")
            self.accuracyStack.setCurrentWidget(self.rmseLabel)
        if info.two_d:
            self.boundaryView.set_points(info.train_points, info.train_classes, len(info.class_labels))
            if info.initial_boundary is not None:
                self.boundaryView.pending = info.initial_boundary
            self.boundaryStack.setCurrentWidget(self.boundaryView)
        else:
            self.boundaryStack.setCurrentWidget(self.boundaryPlaceholder)
        if not self._user_chose_tab:
            self.insideTabs.setCurrentIndex(1 if info.two_d else 0)
        self.trainProgress.setRange(0, info.config.epochs)
        self.trainProgress.setValue(0)
        self.trainProgress.setFormat(f"Epoch 0 / {info.config.epochs}")
        self._eta_ref = None
        if self.state == RunState.STARTING:
            self._set_state(RunState.RUNNING)
        self._show_status(f"Training {info.network} on “{info.config.data.name}” "
                          f"({info.sizes['train']} training rows)…")

    @Slot(int, object)
    def _on_progress(self, run_id: int, update: Update) -> None:
        if run_id != self._run_id:
            return
        self.updates_received += 1
        self.history.append(update.records)
        self.histogramView.add_records(update.records, redraw=False)
        if update.boundary is not None:
            self.boundaryView.pending = update.boundary
        self._refresh.mark_dirty()  # the plots are redrawn a few at a time (see RefreshScheduler)
        self._show_progress(update.records[-1].epoch)
        if update.weights is not None:
            self.weightsChanged.emit(update.weights)
        if self._control is not None:
            self._control.update_consumed()

    @Slot(int, int)
    def _on_paused(self, run_id: int, epoch: int) -> None:
        if run_id != self._run_id:
            return
        self._refresh.flush()
        self._set_state(RunState.PAUSED)
        total = self.config.epochs if self.config else epoch
        self.trainProgress.setValue(min(epoch, total))
        self.trainProgress.setFormat(f"Paused at epoch {epoch} / {total}")
        self._show_status(f"Paused after epoch {epoch}. Resume (F6), Step one epoch (F10) or Stop (Shift+F5); "
                          "drag the epoch slider to replay the histograms.")

    @Slot(int)
    def _on_resumed(self, run_id: int) -> None:
        if run_id != self._run_id or self.state != RunState.PAUSED:
            return
        self._eta_ref = None
        self._set_state(RunState.RUNNING)
        self._show_status("Training…")

    @Slot(int, object)
    def _on_done(self, run_id: int, result: RunResult) -> None:
        if run_id != self._run_id:
            return
        self.result = result
        for plot in self.curvePlots:
            plot.run_ended = True
        self._refresh.mark_dirty()
        self._refresh.flush()
        summary = result.summary
        mark, word, severity = STOP_STYLES.get(summary.stop_reason, ("", summary.stop_reason, "info"))
        for plot in (self.lossPlot, self.accuracyPlot):
            plot.set_best_epoch(summary.best_epoch or None)
            plot.set_stop_epoch(summary.epochs_run if mark else None, mark)
        self.trainProgress.setRange(0, max(self.config.epochs, 1))
        self.trainProgress.setValue(summary.epochs_run)
        self.trainProgress.setFormat(f"Epoch {summary.epochs_run} / {self.config.epochs} · {word} · "
                                     f"{format_duration(summary.seconds)}")
        metrics = self._metrics_text(summary, result.test_size)
        self.testMetricsLabel.setText(metrics)
        if result.confusion is not None:
            self.confusionView.set_matrix(result.confusion, self.info.class_labels)
            if not self._user_chose_tab and not self.info.two_d:
                self.insideTabs.setCurrentIndex(2)
        if not self.info.classification:
            self.rmseLabel.setText(f"{metrics}\n\nAccuracy applies to classification; this is a regression "
                                   "data set.")
        if result.boundary is not None:
            self.boundaryView.set_grid(result.boundary)
        self._show_status(self._summary_text(summary) + "\n" + metrics, severity)
        self._set_state(RunState.FINISHED)
        self.weightsChanged.emit(result.weights)
        self.trainingFinished.emit(summary)

    @Slot(int, str)
    def _on_failed(self, run_id: int, message: str) -> None:
        if run_id != self._run_id:
            return
        self._refresh.flush()
        if len(self.history):  # failed mid-run: keep what was drawn
            self.trainProgress.setFormat(f"Failed after epoch {int(self.history.epochs[-1])}")
        else:
            self.trainProgress.setRange(0, 1)
            self.trainProgress.setValue(0)
            self.trainProgress.setFormat("Not started")
        self._show_status(message, "error")
        self._set_state(RunState.FINISHED if len(self.history) else RunState.IDLE)

    @Slot(int)
    def _on_ended(self, run_id: int) -> None:
        if run_id != self._run_id:
            return
        # The worker has returned from run(): its thread ends at once; join it so that
        # "not running" really means no thread is left.
        stop_and_wait(self._thread, SHUTDOWN_TIMEOUT_MS)
        self._thread = self._worker = self._control = None
        if self.is_running():  # ended without done/failed (stopped before the data was loaded)
            self._set_state(RunState.IDLE)
            self._show_status("Training was stopped before it began.")
        self.runningChanged.emit(False)

    # -- text ------------------------------------------------------------------------------
    def _summary_text(self, summary: TrainingSummary) -> str:
        text = summary.message
        if summary.restored_best and summary.stop_reason == STOP_DIVERGED:
            text = "⚠ " + text + f" Best weights kept (epoch {summary.best_epoch})."
        elif summary.stop_reason == STOP_DIVERGED:
            text = "⚠ " + text
        elif summary.restored_best and summary.best_epoch == summary.epochs_run:
            text += f" The last epoch ({summary.best_epoch}) was the best."
        elif summary.restored_best:
            text += f" Best weights restored (epoch {summary.best_epoch})."
        return text

    def _metrics_text(self, summary: TrainingSummary, test_size: int) -> str:
        if not math.isfinite(summary.test_loss):
            return "No test metrics: the network has no usable weights."
        rows = f" · {test_size} test rows" if test_size else ""
        if self.info is not None and self.info.classification:
            return f"Test accuracy {summary.test_accuracy:.1%} · test loss {summary.test_loss:.4g}{rows}"
        return f"Test RMSE {summary.test_rmse:.4g} (target units) · test loss {summary.test_loss:.4g}{rows}"

    def _show_progress(self, epoch: int) -> None:
        now = time.perf_counter()
        if now - self._progress_shown_at < PROGRESS_INTERVAL_S:  # a progress bar repaints at once
            return
        self._progress_shown_at = now
        total = self.config.epochs
        self.trainProgress.setValue(min(epoch, total))
        if self._eta_ref is None or self._eta_ref[1] >= epoch:
            self._eta_ref = (now, epoch)
            eta = ""
        else:
            t0, e0 = self._eta_ref
            eta = f" · ETA {format_duration((now - t0) / (epoch - e0) * (total - epoch))}"
        if self.state == RunState.RUNNING:
            self.trainProgress.setFormat(f"Epoch {epoch} / {total}{eta}")

    def _show_ready(self) -> None:
        if self._config_problem:
            self._show_status(f"Cannot train yet: {self._config_problem}", "warning")
        else:
            self._show_status("Ready. Press Train (F5) to train the network, or Step (F10) to run one epoch.")

    def _show_status(self, text: str, severity: str = "info") -> None:
        label = self.statusLabel
        label.setText(text)
        label.setProperty("severity", severity)
        label.style().unpolish(label)
        label.style().polish(label)
        # Give the banner the height its wrapped text needs now, not at the next layout pass:
        # until then a message longer than the last one has its last line cut off (in every
        # frame or grab taken before the event loop runs again).
        label.updateGeometry()
        if self.layout() is not None:
            self.layout().activate()

    # -- state -------------------------------------------------------------------------------
    def _set_state(self, state: RunState) -> None:
        self.state = state
        train, pause, step, stop, reset = ENABLED[state]
        if self._config_problem and state not in ACTIVE_STATES:
            train = step = False
        for action, enabled in ((self.trainAction, train), (self.pauseAction, pause), (self.stepAction, step),
                                (self.stopAction, stop), (self.resetAction, reset)):
            action.setEnabled(enabled)
        paused = state == RunState.PAUSED
        self.pauseAction.blockSignals(True)
        self.pauseAction.setChecked(paused)
        self.pauseAction.blockSignals(False)
        self.pauseAction.setText("Resume" if paused else "Pause")
        self.pauseAction.setIcon(self.style().standardIcon(
            QStyle.StandardPixmap.SP_MediaPlay if paused else QStyle.StandardPixmap.SP_MediaPause))
        self.stateChanged.emit(state.value)

    def _on_pause_toggled(self, checked: bool) -> None:
        if self._control is None:
            return
        if checked:
            self._control.pause()
            self.pauseAction.setText("Resume")
            self._show_status("Pausing after the current epoch…")
        else:
            self._control.resume()
            self._eta_ref = None
            self._set_state(RunState.RUNNING)
            self._show_status("Training…")

    def _on_tab_clicked(self, index: int) -> None:
        self._user_chose_tab = True

    # -- export --------------------------------------------------------------------------------
    def export_plot(self, name: str, path: str | Path) -> None:
        """Save the plot called ``name`` (a key of :attr:`exportable`) as PNG, atomically."""
        save_widget_png(self.exportable[name], path)

    def export_history(self, path: str | Path) -> None:
        """Save the run's per-epoch history as CSV, atomically."""
        atomic_write_text(path, self.history.to_csv())

    def _export_plot_dialog(self) -> None:
        names = list(self.exportable)
        name, ok = QInputDialog.getItem(self, "Export Plot", "Plot to save as PNG:", names, 0, False)
        if not ok:
            return
        default = name.lower().replace(" ", "_") + ".png"
        path, _ = QFileDialog.getSaveFileName(self, "Export Plot as PNG", default, "PNG images (*.png)")
        if path:
            self._write_file(lambda: self.export_plot(name, path), path)

    def _export_history_dialog(self) -> None:
        if not len(self.history):
            QMessageBox.information(self, "Export History", "There is no history yet: train the network first.")
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export History as CSV", "history.csv", "CSV files (*.csv)")
        if path:
            self._write_file(lambda: self.export_history(path), path)

    def _write_file(self, write: Callable[[], None], path: str) -> None:
        try:
            write()
        except (FileFormatError, OSError) as exc:
            QMessageBox.warning(self, "Export failed", f"Could not write {path}:\n{exc}")
            return
        self._show_status(f"Saved {path}.", "success")
