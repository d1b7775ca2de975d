"""The tuning tab: search hyperparameters with Optuna, watch the study live, load the best config.

Left: the search space (which dimensions, their ranges or choices), the sampler, pruner, metric,
number of trials, time limit, worker processes, and where the study lives (the local store or a
database URL, a new study or an existing one to resume).  Right: the trials table, the
optimization history, every trial's intermediate values, and PED-ANOVA importances.

Trials run in worker *processes* (``nnstudio tune --join``) started by a
:class:`~nnstudio.gui.tune.worker.TuningRunWorker` in a ``QThread``; that thread polls the
study's storage and hands the window copied snapshots, so the window stays responsive.
Trials are scored on the validation split only; "Evaluate on test" trains the chosen config once
more and reports its test metrics, once.

Parts: :class:`~.settings_form.TuningSettingsForm` (left), :class:`~.results.TuningResults` (right),
:class:`~.session.TuningSession` (the threads), :class:`~.watch.StudyWatch` (other processes' trials).
"""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QMessageBox, QSplitter, QVBoxLayout, QWidget

from ...config import ConfigError, ExperimentConfig
from ...tuning import SearchSpace, StudySnapshot, evaluate_on_test, quiet_optuna
from ...tuning.confirm import EXTRA_SEEDS, TOP_K
from ..qt.actions import widget_shortcut
from ..widgets.status_label import StatusLabel
from .actions import add_current_design, export_csv, quit_box, quit_question
from .results import TuningResults
from .run_bar import RunBar
from .session import TuningSession
from .settings_form import DEFAULT_TRIALS, SettingsScroll, TuningSettingsForm
from .status import confirm_finished_text, finished_text, live_text, running_text, slug
from .watch import StudyWatch
from .worker import ConfirmRequest, RunRequest, RunStarted, StudyView

TASK_TEST = "test"
STATUS_LINES = 2   # a longer status is cut short; the whole of it is in the tooltip


class TuningTab(QWidget):
    """``tuningTab``.

    Args:
        config_provider: returns the editor's config (raises ``ConfigError`` when it is invalid).

    Signals:
        openInEditor(object): an :class:`~nnstudio.config.ExperimentConfig` to put in the editor.
        runningChanged(bool): a tuning session started or ended.
    """

    openInEditor = Signal(object)
    runningChanged = Signal(bool)

    def __init__(self, config_provider: Callable[[], ExperimentConfig], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("tuningTab")
        self.config_provider = config_provider
        quiet_optuna()
        self.session = TuningSession(self)
        self.watch = StudyWatch(self.session.run_task, self.isVisible, self)  # other processes' trials
        self._snapshot: StudySnapshot | None = None
        self._view: StudyView | None = None     # the existing study chosen in the study box
        self._run_info: RunStarted | None = None
        self.pending_designs: list[ExperimentConfig] = []  # added before the study exists: run first at Start
        self._build()
        self._name_parts()
        self._connect()
        self._update_controls()
        self.refresh_studies()

    # -- construction ------------------------------------------------------------------------
    def _build(self) -> None:
        self.form = TuningSettingsForm(self.session.run_task, self)
        self.study = self.form.study_box
        self.bar = RunBar(DEFAULT_TRIALS, self)
        # two lines, always: the results below never move when the status grows or shrinks
        self.tuningStatus = StatusLabel(self, max_lines=STATUS_LINES, reserve=True)
        self.tuningStatus.setObjectName("tuningStatus")
        self.tuningStatus.set_message("Ready.")
        self.settingsPanel = SettingsScroll(self.form, self)
        self.results = TuningResults(self)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("tuningSplitter")
        self.splitter.addWidget(self.settingsPanel)
        self.splitter.addWidget(self.results)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        settings_width = self.settingsPanel.preferred_width()  # the results get the rest
        self.splitter.setSizes([settings_width, 10 * settings_width])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.bar)
        layout.addWidget(self.tuningStatus)
        layout.addWidget(self.splitter, 1)
        self.startAction = widget_shortcut(self, "startTuningAction", "Ctrl+Return", self.start)
        self.stopAction = widget_shortcut(self, "stopTuningAction", "Ctrl+.", self.stop)

    def _name_parts(self) -> None:
        """The parts' controls under the names the tab has always given them."""
        form, run, study, results, bar = self.form, self.form.run_box, self.study, self.results, self.bar
        self.settingsButton, self.tuningProgress = bar.settingsButton, bar.tuningProgress
        self.startTuningButton, self.stopTuningButton = bar.startTuningButton, bar.stopTuningButton
        self.space_editor, self.resetSpaceButton = form.space_editor, form.resetSpaceButton
        self.samplerCombo, self.prunerCombo, self.metricCombo = run.samplerCombo, run.prunerCombo, run.metricCombo
        self.nTrialsSpin, self.timeoutSpin, self.workersSpin = run.nTrialsSpin, run.timeoutSpin, run.workersSpin
        self.epochsSpin, self.seedSpin = run.epochsSpin, run.seedSpin
        self.storageCombo, self.storageUrlEdit, self.studyCombo = (study.storageCombo, study.storageUrlEdit,
                                                                   study.studyCombo)
        self.refreshStudiesButton, self.newStudyButton = study.refreshStudiesButton, study.newStudyButton
        self.studyInfoLabel = study.studyInfoLabel
        self.trialsTable, self.testResultLabel = results.trialsTable, results.testResultLabel
        self.loadBestButton, self.loadTrialButton = results.loadBestButton, results.loadTrialButton
        self.evaluateTestButton, self.confirmTopButton = results.evaluateTestButton, results.confirmTopButton
        self.addDesignButton, self.exportCsvButton = results.addDesignButton, results.exportCsvButton
        self.cvSpin = run.cvSpin
        self.historyPlot, self.intermediatePlot = results.historyPlot, results.intermediatePlot
        self.importancePlot = results.importancePlot

    def _connect(self) -> None:
        self.startTuningButton.clicked.connect(self.start)
        self.settingsButton.toggled.connect(self.settingsPanel.setVisible)
        self.stopTuningButton.clicked.connect(self.stop)
        self.resetSpaceButton.clicked.connect(lambda: self._set_space(SearchSpace()))
        self.space_editor.validityChanged.connect(lambda _ok: self._update_controls())
        study = self.study
        study.storageChanged.connect(self._update_controls)
        study.urlEdited.connect(self._update_controls)
        study.studyChanged.connect(self._on_study_changed)
        study.viewLoaded.connect(self._show_view)
        self.refreshStudiesButton.clicked.connect(self.watch.read_now)
        self.watch.changed.connect(self._on_watched)
        session = self.session
        session.started.connect(self._on_started)
        session.snapshot.connect(self._on_snapshot)
        session.tuningEnded.connect(self._on_finished)
        session.confirmSnapshot.connect(self._on_confirm_snapshot)
        session.confirmationEnded.connect(self._on_confirm_finished)
        self.nTrialsSpin.valueChanged.connect(self._on_trials_changed)
        self.loadBestButton.clicked.connect(self.load_best)
        self.loadTrialButton.clicked.connect(self.load_selected)
        self.evaluateTestButton.clicked.connect(self.evaluate_on_test)
        self.confirmTopButton.clicked.connect(self.confirm_top)
        self.addDesignButton.clicked.connect(lambda: add_current_design(self))
        self.exportCsvButton.clicked.connect(lambda: export_csv(self))
        self.trialsTable.itemSelectionChanged.connect(self._update_controls)
        self.trialsTable.cellDoubleClicked.connect(lambda _r, _c: self.load_selected())

    # -- state -------------------------------------------------------------------------------
    def is_running(self) -> bool:
        return self.session.is_running()

    def snapshot(self) -> StudySnapshot | None:
        return self._snapshot

    def _update_controls(self) -> None:
        running = self.is_running()
        resuming = self.study.resuming()
        space_ok = resuming or self.space_editor.is_valid()
        self.startTuningButton.setEnabled(not running and self.study.url_ok() and space_ok)
        self.startAction.setEnabled(self.startTuningButton.isEnabled())
        self.stopTuningButton.setEnabled(running and not self.session.stopping())
        self.stopAction.setEnabled(self.stopTuningButton.isEnabled())
        self.form.set_locked(running, resuming)
        self.results.update_buttons(self._snapshot, running)
        if not space_ok and not running:
            self.tuningStatus.setText("Fix the search space (see the red messages) to start.")

    def set_learning_rate_range(self, low: float, high: float) -> bool:
        """Search the learning rate over [low, high] on a log scale; False (nothing changed) while running."""
        if self.is_running():
            return False
        space = self.space_editor.space().replace("learning_rate", enabled=True, low=float(low), high=float(high),
                                                  log=True)
        self._set_space(space)
        return True

    def _set_space(self, space: SearchSpace) -> None:
        self.space_editor.set_space(space)
        self._update_controls()

    # -- study store ---------------------------------------------------------------------------
    def _on_trials_changed(self, value: int) -> None:
        if not self.is_running():
            self.bar.count_trials(value)

    def refresh_studies(self) -> None:
        """Reload the names of the studies in the store (in a worker thread)."""
        self.study.refresh()

    def _on_study_changed(self, name: str, existing: bool) -> None:
        if existing and not self.is_running() and (self._snapshot is None or self._snapshot.name != name):
            self.study.load_view(name)
        if self.watch.watching() != name:
            self.watch.pause()
        self._update_controls()

    def _show_view(self, view: StudyView) -> None:
        if self.is_running() or view.snapshot.name != self.study.study_name():
            return
        self._view = view
        self._set_space(view.space)
        self.results.set_space(view.space)
        self.form.show_settings(view.settings)
        self._show_snapshot(view.snapshot, reset=True)
        self.tuningStatus.setText(live_text(view.snapshot))
        self.watch.watch(self.study.storage_url(), view.snapshot)

    @Slot(object)
    def _on_watched(self, snapshot: StudySnapshot) -> None:
        """The shown study changed while no session of the tab runs: other processes work on it."""
        if self.is_running() or self._snapshot is None or snapshot.name != self._snapshot.name:
            return
        self._show_snapshot(snapshot)
        self.tuningStatus.setText(live_text(snapshot))

    def _watch_shown_study(self) -> None:
        if self._snapshot is not None and self._snapshot.name == self.study.study_name():
            self.watch.watch(self.study.storage_url(), self._snapshot)

    # -- running -----------------------------------------------------------------------------------
    @Slot()
    def start(self) -> None:
        if self.is_running() or not self.startTuningButton.isEnabled():
            return
        study = self.study
        resume = study.resuming()
        config = None
        if not resume:
            try:
                config = self.config_provider()
            except ConfigError as exc:
                self.tuningStatus.setText(f"The design cannot be trained yet: {exc}")
                return
        name = study.study_name() or f"{slug(config.name)}-{datetime.now():%Y%m%d-%H%M%S}"
        if not study.study_name():
            study.set_study_name(name)
        timeout = self.timeoutSpin.value() or None
        request = RunRequest(study.storage_url(), name, resume, config, self.space_editor.space(),
                             self.form.settings(), self.nTrialsSpin.value(), timeout, self.workersSpin.value(),
                             tuple(self.pending_designs))
        self.pending_designs = []
        if self._snapshot is None or self._snapshot.name != name:
            self._clear_results()
        self.tuningStatus.setText(f"Starting {request.workers} worker process"
                                  f"{'es' if request.workers > 1 else ''} for study {name!r} ...")
        self.settingsButton.setChecked(False)  # the results take the room; the button brings the settings back
        self.watch.pause()
        self.session.start_tuning(request)
        self._on_launched()

    def _on_launched(self) -> None:
        self._update_controls()
        self.runningChanged.emit(True)

    @Slot()
    def stop(self) -> None:
        """Abort the running trials (they end as FAIL) and end the session."""
        if not self.session.stop():
            return
        self.tuningStatus.setText("Stopping: the workers abort their trials ...")
        self._update_controls()

    def quit_question(self) -> str | None:
        """What quitting now would stop (None when no session runs): the window asks it before closing."""
        return quit_question(self) if self.is_running() else None

    def confirm_quit(self) -> bool:
        """Ask whether to quit while a session runs (True when none runs, or the user says quit)."""
        box = quit_box(self)
        return box is None or box.exec() == QMessageBox.StandardButton.Yes

    def shutdown(self) -> None:
        """Stop everything and wait for the threads, so nothing is left RUNNING (window closing)."""
        self.watch.pause()
        self.session.shutdown()

    @Slot(object)
    def _on_started(self, info: RunStarted) -> None:
        self._run_info = info
        self.results.set_space(info.space)
        self.bar.count_trials(max(info.target - info.done_before, 1) if info.target else 0)
        if self.study.resuming():
            self.space_editor.set_space(info.space)

    @Slot(object)
    def _on_snapshot(self, snapshot: StudySnapshot) -> None:
        self._show_snapshot(snapshot)
        info = self._run_info
        if info is not None and self.is_running():
            done = max(snapshot.finished - info.done_before, 0)
            if info.target:
                self.bar.show_done(done)
            if not self.session.stopping():
                self.tuningStatus.setText(running_text(snapshot, done, info.workers))

    @Slot(bool)
    def _on_finished(self, stopped: bool) -> None:
        self.tuningStatus.setText(finished_text(self._snapshot, self.study.study_name(), stopped, self.session.messages))
        self._update_controls()
        self.runningChanged.emit(False)
        self.refresh_studies()
        self._watch_shown_study()

    # -- confirmation ------------------------------------------------------------------------------
    @Slot()
    def confirm_top(self) -> None:
        """Re-train the top trials with more seeds, in the tuning thread and worker processes."""
        snap = self._snapshot
        if self.is_running() or snap is None or snap.best() is None:
            return
        request = ConfirmRequest(self.study.storage_url(), snap.name, TOP_K, EXTRA_SEEDS, self.workersSpin.value(),
                                 dict(snap.importances))
        self.bar.count_confirmation_runs(0, 0)  # busy until the plan is known
        self.tuningStatus.setText(f"Confirming the top {TOP_K} trials of {snap.name!r} with {EXTRA_SEEDS} more "
                                  "training seeds each ...")
        self.watch.pause()
        self.session.start_confirmation(request)
        self._on_launched()

    @Slot(object)
    def _on_confirm_snapshot(self, snapshot: StudySnapshot) -> None:
        self._show_snapshot(snapshot)
        if snapshot.confirm_total and self.is_running():
            self.bar.count_confirmation_runs(snapshot.confirm_done, snapshot.confirm_total)
            if not self.session.stopping():
                self.tuningStatus.setText(f"Confirming: {snapshot.confirm_done} of {snapshot.confirm_total} "
                                          "training runs done ...")

    @Slot(object, bool)
    def _on_confirm_finished(self, result, stopped: bool) -> None:
        best = self._snapshot.best() if self._snapshot is not None else None
        self.tuningStatus.setText(confirm_finished_text(result, best, stopped, self.session.messages))
        self._on_trials_changed(self.nTrialsSpin.value())
        self._update_controls()
        self.runningChanged.emit(False)
        self._watch_shown_study()

    # -- results -----------------------------------------------------------------------------------
    def _clear_results(self) -> None:
        self._snapshot = None
        self.results.clear()

    def _show_snapshot(self, snapshot: StudySnapshot, reset: bool = False) -> None:
        if reset or (self._snapshot is not None and self._snapshot.name != snapshot.name):
            self._clear_results()
        self._snapshot = snapshot
        self.results.show_snapshot(snapshot)
        self._update_controls()

    def best_config(self) -> ExperimentConfig | None:
        best = self._snapshot.best() if self._snapshot is not None else None
        return None if best is None else ExperimentConfig.from_json(best.config_json)

    @Slot()
    def load_best(self) -> None:
        """Emit ``openInEditor`` with the best complete trial's full config."""
        config = self.best_config()
        if config is not None:
            self.openInEditor.emit(config)
            self.tuningStatus.setText(f"Loaded the best trial's config ({config.name}) into the editor.")

    @Slot()
    def load_selected(self) -> None:
        row = self.results.selected_row(self._snapshot)
        if row is None or not row.config_json:
            return
        config = ExperimentConfig.from_json(row.config_json)
        self.openInEditor.emit(config)
        self.tuningStatus.setText(f"Loaded trial #{row.number}'s config into the editor.")

    @Slot()
    def evaluate_on_test(self) -> None:
        """Train the selected (else the best) trial's config once more; show its test metrics."""
        snap = self._snapshot
        row = self.results.selected_row(snap) or (snap.best() if snap is not None else None)
        if row is None or not row.config_json or self.results.evaluating():
            return
        if not self.results.begin_evaluation(snap.name, row.number):
            return
        config = ExperimentConfig.from_json(row.config_json)
        stop = self.session.task_stop_flag()
        self.session.run_task(TASK_TEST, lambda: evaluate_on_test(config, stop=stop.is_set), self._show_test_result,
                              self._on_test_failed)
        self._update_controls()

    def _show_test_result(self, summary) -> None:
        if self.results.end_evaluation(summary):
            self._update_controls()

    def _on_test_failed(self, message: str) -> None:
        self.results.evaluation_failed(message)
        self._update_controls()
