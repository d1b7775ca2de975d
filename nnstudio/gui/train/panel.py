"""The training panel: Train / Pause / Step / Stop / Reset, progress, live plots and results.

The panel asks ``config_provider()`` for the editor's config when Train or Step is pressed,
starts a :class:`~nnstudio.gui.train.worker.TrainingWorker` in a ``QThread`` and draws
what the worker reports.  It never trains in the GUI thread.

The run states and what they allow are in :mod:`.actions`.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QTimer, Signal, Slot
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ...compute import find_blas_in_background
from ...config import ConfigError, ExperimentConfig
from ...engine import TrainingSummary
from ...history import History
from ..qt.style import banner_style, warning_box_style
from ..widgets.status_label import MessageBanner
from .actions import ACTIVE_STATES, RunActions, RunState
from .diagnosis import FindingMarkers
from .export import TrainingExports
from .live_edits import LOSS_ROWS, TOP_ROWS, LiveEdits
from .views import DIAGNOSIS_PAGE, TrainingViews
from .run_bar import TrainingBar
from .run import TrainingRun
from .texts import (STOP_STYLES, format_duration, identical_units_text, kept_val_accuracy, metrics_text,
                    summary_severity, summary_text)
from .worker import RunInfo, RunResult, Update

__all__ = ["RunState", "TrainingPanel"]

STATUS_STYLE = banner_style("trainStatus")
FIND_BLAS_AFTER_MS = 300  # once the window is up: a first Train then finds the BLAS libraries known
NOTICE_STYLE = warning_box_style("identicalUnitsNotice")


class TrainingPanel(TrainingExports, QWidget):
    """Train the editor's network in a worker thread and show what happens inside it.

    Args:
        config_provider: returns the current :class:`ExperimentConfig`, or raises
            :class:`ConfigError` when the editor holds an invalid one.

    Made of :class:`~.actions.RunActions`, a :class:`~.progress.TrainProgress` bar, a
    :class:`~.views.CurvesGrid` and :class:`~.views.InsideTabs` over the log; the thread is a
    :class:`~.run.TrainingRun`.
    """

    runningChanged = Signal(bool)        # True while a run is active (paused included)
    weightsChanged = Signal(object)      # list of W (fan_in, fan_out) copies, throttled
    trainingFinished = Signal(object)    # TrainingSummary
    stateChanged = Signal(str)           # a RunState value
    applyFixRequested = Signal(object)   # a Suggestion the user chose to apply to the editor's config

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
        self._config_problem: str | None = None
        self._run = TrainingRun(self)
        self.run_actions = RunActions(self, {
            "trainAction": self.train, "pauseAction": self._on_pause_toggled, "stepAction": self.step,
            "stopAction": self.stop, "resetAction": self.reset, "exportPlotAction": self._export_plot_dialog,
            "exportHistoryAction": self._export_history_dialog, "exportModelAction": self._export_model_dialog})
        a = self.run_actions
        self.trainAction, self.pauseAction, self.stepAction, self.stopAction = a.train, a.pause, a.step, a.stop
        self.resetAction, self.exportPlotAction, self.exportHistoryAction = a.reset, a.export_plot, a.export_history
        self.exportModelAction = a.export_model
        self._make_widgets()
        # the plots are redrawn a few at a time; the progress bar follows the curves' epoch
        self._refresh = self.splitter.make_refresh(self.history, self.trainProgress.show_epoch)
        self._connect_run()
        self.setStyleSheet(STATUS_STYLE)
        self._set_state(RunState.IDLE)
        self._show_ready()
        QTimer.singleShot(FIND_BLAS_AFTER_MS, find_blas_in_background)

    # -- widgets ---------------------------------------------------------------------------
    def _make_widgets(self) -> None:
        self.bar = TrainingBar(self.run_actions, self)
        bar = self.bar
        self.trainButton, self.pauseButton, self.stepButton = bar.trainButton, bar.pauseButton, bar.stepButton
        self.stopButton, self.resetButton, self.trainProgress = bar.stopButton, bar.resetButton, bar.trainProgress
        # room for two lines (result + test metrics); a narrow panel lets a long message wrap onto more
        self.statusLabel = MessageBanner("trainStatus", 2, self)
        self.splitter = TrainingViews(self)
        self.curves, self.insideTabs, self.logView = self.splitter.curves, self.splitter.insideTabs, \
            self.splitter.logView
        c, t = self.curves, self.insideTabs  # their parts, under the names the panel has always given them
        self.lossView, self.lossPlot, self.accuracyPlot = c.lossView, c.lossPlot, c.accuracyPlot
        self.rmseLabel, self.accuracyStack, self.curvePlots = c.rmseLabel, c.accuracyStack, c.curvePlots
        self.learningRatePlot, self.gradNormPlot = c.learningRatePlot, c.gradNormPlot
        self.histogramView, self.boundaryView, self.boundaryStack = t.histogramView, t.boundaryView, t.boundaryStack
        self.weightHistogram, self.epochSlider = t.histogramView.plot, t.histogramView.epochSlider
        self.boundaryPlaceholder, self.testMetricsLabel = t.boundaryPlaceholder, t.testMetricsLabel
        self.confusionView, self.confusionCaption = t.confusionView, t.confusionCaption
        self.diagnosisPanel = t.diagnosisPanel
        self.diagnosisPanel.applyRequested.connect(self.applyFixRequested)
        self.findingMarkers = FindingMarkers(self.lossPlot)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addWidget(self.bar)
        layout.addWidget(self.statusLabel)
        self.liveEdits = LiveEdits(self, {self.lossPlot: LOSS_ROWS, self.learningRatePlot: TOP_ROWS})
        self.staleNotice = self.liveEdits.notice
        layout.addWidget(self.staleNotice)
        self.identicalUnitsNotice = QLabel(self)
        self.identicalUnitsNotice.setObjectName("identicalUnitsNotice")
        self.identicalUnitsNotice.setWordWrap(True)
        self.identicalUnitsNotice.setStyleSheet(NOTICE_STYLE)
        self.identicalUnitsNotice.hide()
        layout.addWidget(self.identicalUnitsNotice)
        layout.addWidget(self.splitter, 1)

    def _connect_run(self) -> None:
        run = self._run
        run.prepared.connect(self._on_prepared)
        run.progress.connect(self._on_progress)
        run.paused.connect(self._on_paused)
        run.resumed.connect(self._on_resumed)
        run.done.connect(self._on_done)
        run.failed.connect(self._on_failed)
        run.ended.connect(self._on_ended)

    # -- public API ------------------------------------------------------------------------
    def is_running(self) -> bool:
        return self.state in ACTIVE_STATES

    def train(self) -> None:
        """Start a new run (ignored while one is active)."""
        self._start(steps=None)

    def step(self) -> None:
        """Run one epoch then pause: continues a paused run, or starts a new one."""
        control = self._run.control
        if self.state == RunState.PAUSED and control is not None:
            control.step()
            self.trainProgress.restart_estimate()
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
        control = self._run.control
        if control is None or not self.is_running():
            return
        control.request_stop()
        self.run_actions.stopping()
        self._show_status("Stopping…")

    def shutdown(self) -> None:
        """Stop any run and wait for its thread to end (the window calls this when closing)."""
        self._run.abandon()
        self.diagnosisPanel.shutdown()
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

    def design_changed(self, config: ExperimentConfig) -> None:
        """The editor's config changed: a running run takes its live settings (learning rate, L1,
        L2, dropout); finished results are marked as the previous design's while it differs."""
        control = self._run.control if self.is_running() else None
        said = self.liveEdits.design_changed(config, control)
        if said and self.config is not None:
            self.config = self.liveEdits.run_config
            self._show_status(said)

    def reset(self) -> None:
        """Stop any run and clear plots, results, progress and log."""
        if self.is_running():
            self.shutdown()
        self._clear_views()
        self.gradNormPlot.remove_all_series()  # a new run keeps them while its layers are the same
        self.liveEdits.forget()
        self.curves.forget_previous()
        self.logView.clear()
        self.trainProgress.set_progress(0, 1, "")
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
        self._clear_views(config)
        self.config = config
        self.liveEdits.run_started(config)
        self._run.start(config, steps, self.insideTabs.sharpnessPage.sharpness_every())
        self._set_state(RunState.STARTING)
        self.trainProgress.loading()
        self._show_status(f"Loading data set “{config.data.name}”…")
        self._run.start_thread()
        self.runningChanged.emit(True)

    def _clear_views(self, next_config: ExperimentConfig | None = None) -> None:
        self._refresh.cancel()
        # the run being replaced stays faintly in the plots, if the next one is comparable
        self.curves.keep_previous(self.history, self.liveEdits.trained_config or self.config, next_config)
        self.history.clear(())
        self.info = self.result = None
        self.updates_received = 0
        self.splitter.clear()
        self.identicalUnitsNotice.hide()
        self.findingMarkers.clear()

    # -- what the run reports (queued to the GUI thread) -------------------------------------------
    @Slot(object)
    def _on_prepared(self, info: RunInfo) -> None:
        self.info = info
        self.history.clear(info.layer_names)
        self.curves.prepare(info)
        self.insideTabs.prepare(info)
        self.insideTabs.show_data(info)
        if info.initial is not None:
            self._show_identical_units(info.initial)
        self.diagnosisPanel.set_config(info.config)
        self.trainProgress.start_run(info.config.epochs)
        if self.state == RunState.STARTING:
            self._set_state(RunState.RUNNING)
        self._show_status(f"Training {info.network} on “{info.config.data.name}” "
                          f"({info.sizes['train']} training rows)…")

    @Slot(object)
    def _on_progress(self, update: Update) -> None:
        self.updates_received += 1
        self.history.append(update.records)
        self.liveEdits.add_records(update.records)
        self.histogramView.add_records(update.records, redraw=False)
        self.insideTabs.clippingView.add_records(update.records)
        self._show_identical_units(update.records[-1])
        if update.boundary is not None:
            self.boundaryView.receive(update.boundary)
        self._show_findings(update.findings)
        self._refresh.mark_dirty()
        if update.weights is not None:
            self.weightsChanged.emit(update.weights)
        if update.sharpness:
            self.insideTabs.sharpnessPlot.add_points(update.sharpness)

    def _show_identical_units(self, record) -> None:
        """Say so when a hidden layer's units are all alike (zeros init), whatever the epoch."""
        note = identical_units_text(self.config, record)
        self.identicalUnitsNotice.setText(note)
        self.identicalUnitsNotice.setVisible(bool(note))

    @Slot(int)
    def _on_paused(self, epoch: int) -> None:
        self._refresh.flush()
        self._set_state(RunState.PAUSED)
        self.trainProgress.paused(epoch, self.config.epochs if self.config else epoch)
        self._show_status(f"Paused after epoch {epoch}. Resume (F6), Step one epoch (F10) or Stop (Shift+F5); "
                          "drag the epoch slider to replay the histograms.")

    @Slot()
    def _on_resumed(self) -> None:
        if self.state != RunState.PAUSED:
            return
        self.trainProgress.restart_estimate()
        self._set_state(RunState.RUNNING)
        self._show_status("Training…")

    @Slot(object)
    def _on_done(self, result: RunResult) -> None:
        self.result = result
        self.curves.end_run()
        self.insideTabs.clippingView.end_run()
        self._refresh.mark_dirty()
        self._refresh.flush()
        summary = result.summary
        mark, word, severity = STOP_STYLES.get(summary.stop_reason, ("", summary.stop_reason, "info"))
        self.curves.mark_epochs(summary, mark)
        self.trainProgress.set_progress(summary.epochs_run, max(self.config.epochs, 1),
                                        f"Epoch {summary.epochs_run} / {self.config.epochs} · {word} · "
                                        f"{format_duration(summary.seconds)}")
        metrics = metrics_text(summary, result.test_size, self.info is not None and self.info.classification,
                               kept_val_accuracy(self.history, summary))
        self.insideTabs.show_result(result, self.info, metrics)
        if not self.info.classification:
            self.rmseLabel.setText(f"{metrics}\n\nAccuracy applies to classification; this is a regression "
                                   "data set.")
        self.insideTabs.show_boundary(result)
        self._show_findings(result.findings, finished=True)
        n_classes = len(self.info.class_labels) if self.info.classification else 0
        self._show_status(summary_text(summary, n_classes) + "\n" + metrics,
                          summary_severity(summary, n_classes, severity))
        self._set_state(RunState.FINISHED)
        self.liveEdits.run_finished(result.config)
        self.weightsChanged.emit(result.weights)
        self.trainingFinished.emit(summary)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._refresh.flush()
        self.trainProgress.failed(int(self.history.epochs[-1]) if len(self.history) else None)
        self._show_status(message, "error")
        self.liveEdits.run_finished(None)
        self._set_state(RunState.FINISHED if len(self.history) else RunState.IDLE)

    @Slot()
    def _on_ended(self) -> None:
        if self.result is None:
            self.liveEdits.run_finished(None)
        if self.is_running():  # ended without done/failed (stopped before the data was loaded)
            self._set_state(RunState.IDLE)
            self._show_status("Training was stopped before it began.")
        self.runningChanged.emit(False)

    def _show_findings(self, findings, finished: bool = False) -> None:
        self.diagnosisPanel.set_findings(findings, finished)
        self.findingMarkers.set(findings)
        serious = sum(f.severity != "info" for f in findings)
        self.insideTabs.setTabText(DIAGNOSIS_PAGE, f"Diagnosis ({serious})" if serious else "Diagnosis")

    # -- text ------------------------------------------------------------------------------
    def _summary_text(self, summary: TrainingSummary) -> str:
        return summary_text(summary)

    def _show_ready(self) -> None:
        if self._config_problem:
            self._show_status(f"Cannot train yet: {self._config_problem}", "warning")
        else:
            self._show_status("Ready. Press Train (F5) to train the network, or Step (F10) to run one epoch.")

    def _show_status(self, text: str, severity: str = "info") -> None:
        self.statusLabel.show_message(text, severity)

    # -- state -------------------------------------------------------------------------------
    def _set_state(self, state: RunState) -> None:
        self.state = state
        self.trainProgress.running = state == RunState.RUNNING
        self.run_actions.apply(state, bool(self._config_problem))
        self.run_actions.set_model(state == RunState.FINISHED and self.trained_model() is not None)
        self.insideTabs.sharpnessPage.set_running(state in ACTIVE_STATES)
        self.stateChanged.emit(state.value)

    def _on_pause_toggled(self, checked: bool) -> None:
        control = self._run.control
        if control is None:
            return
        if checked:
            control.pause()
            self.pauseAction.setText("Resume")
            self._show_status("Pausing after the current epoch…")
        else:
            control.resume()
            self.trainProgress.restart_estimate()
            self._set_state(RunState.RUNNING)
            self._show_status("Training…")
