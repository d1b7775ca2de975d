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
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Callable

from PySide6.QtCore import QThread, Qt, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QProgressBar,
                               QPushButton, QScrollArea, QSizePolicy, QSpinBox, QSplitter, QToolButton, QVBoxLayout,
                               QWidget)

from ...config import ConfigError, ExperimentConfig
from ...engine import STOP_USER
from ...tuning import (METRICS, quiet_optuna, PRUNERS, SAMPLERS, SearchSpace, StopFlag, StudySnapshot, TuneSettings,
                      default_storage_url, default_workers, display_url, evaluate_on_test, list_studies,
                      open_storage)
from ...tuning.samplers import MEDIAN_STARTUP_TRIALS
from ..qt.threads import start_worker, stop_and_wait
from .plots import HistoryPlot, ImportancePlot, IntermediatePlot, PlotDeck
from .space_editor import SpaceEditor
from .table import TrialsTable
from .worker import (ConfirmRequest, ConfirmWorker, RunRequest, RunStarted, StudyView, TaskWorker,
                            TuningRunWorker, load_study_view)
from ...tuning.confirm import EXTRA_SEEDS, TOP_K

log = logging.getLogger("nnstudio.tuning")

SHUTDOWN_TIMEOUT_MS = 20000
LOCAL_STORE, URL_STORE = "local", "url"
DEFAULT_TRIALS = 50
SETTINGS_MIN_WIDTH = 320  # px; the settings scroll, so the results get the rest of the tab

TASK_LIST, TASK_VIEW, TASK_TEST = "list", "view", "test"


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
        self._thread: QThread | None = None
        self._stop: StopFlag | None = None
        self._worker: TuningRunWorker | None = None  # strong references: Qt does not keep the
        self._tasks: dict[QThread, TaskWorker] = {}   # Python wrappers of running workers alive
        self._task_stop = StopFlag()
        self._snapshot: StudySnapshot | None = None
        self._study_names: list[str] = []
        self._view: StudyView | None = None     # the existing study chosen in the study box
        self._test_results: dict[tuple[str, int], str] = {}
        self._evaluating: tuple[str, int] | None = None
        self._build()
        self._connect()
        self._update_controls()
        self.refresh_studies()

    # -- construction ------------------------------------------------------------------------
    def _build(self) -> None:
        self.space_editor = SpaceEditor(SearchSpace(), self)
        self.resetSpaceButton = QPushButton("Article's space", self)
        self.resetSpaceButton.setObjectName("resetSpaceButton")
        self.resetSpaceButton.setToolTip("Reset the search space to the article's: depth 1–10, 32–128 units, "
                                         "dropout 0–0.5, learning rate 1e-3–1e-1 (log), five initializers, "
                                         "value/norm clipping with a threshold 1e-2–1e1 (log).")
        space_box = QGroupBox("Search space", self)
        space_layout = QVBoxLayout(space_box)
        space_layout.addWidget(self.space_editor)
        space_layout.addWidget(self.resetSpaceButton, alignment=Qt.AlignmentFlag.AlignRight)

        run_box = QGroupBox("Run", self)
        form = QFormLayout(run_box)
        self.samplerCombo = self._combo("samplerCombo", [(n, s.help) for n, s in SAMPLERS.items()])
        self.prunerCombo = self._combo("prunerCombo", [(n, s.help) for n, s in PRUNERS.items()])
        self.metricCombo = self._combo("metricCombo", [(n, f"Optimize the {m.label} ({m.direction})")
                                                       for n, m in METRICS.items()])
        self.samplerCombo.setToolTip("How the next trial's parameters are chosen. TPE is seeded: a run with "
                                     "one worker is reproducible.")
        self.prunerCombo.setToolTip(f"Stops unpromising trials between epochs. Median: after {MEDIAN_STARTUP_TRIALS} "
                                    "trials, a trial worse than the median of earlier trials at the same epoch "
                                    "is pruned.")
        self.metricCombo.setToolTip("What a trial is scored on: always the validation split, never the test split.")
        self.nTrialsSpin = self._spin("nTrialsSpin", 1, 100000, DEFAULT_TRIALS,
                                      "How many more finished (complete or pruned) trials to run.")
        self.timeoutSpin = self._spin("timeoutSpin", 0, 7 * 24 * 3600, 0,
                                      "Stop starting new trials after this many seconds (0: no limit).", " s")
        self.timeoutSpin.setSpecialValueText("no limit")
        self.workersSpin = self._spin("workersSpin", 1, 256, default_workers(),
                                      "Worker processes on this machine (default: one per core). More machines "
                                      "can join with: nnstudio tune --join --storage URL --study NAME")
        self.epochsSpin = self._spin("epochsSpin", 1, 100000, TuneSettings().epochs,
                                     "Epochs per trial (early stopping stays on, so most trials end sooner).")
        self.seedSpin = self._spin("seedSpin", 0, 2**31 - 1, 0, "Seed of the sampler (worker i uses seed + i).")
        form.addRow("Sampler", self.samplerCombo)
        form.addRow("Pruner", self.prunerCombo)
        form.addRow("Metric", self.metricCombo)
        form.addRow("Trials", self.nTrialsSpin)
        form.addRow("Time limit", self.timeoutSpin)
        form.addRow("Workers", self.workersSpin)
        form.addRow("Epochs per trial", self.epochsSpin)
        form.addRow("Seed", self.seedSpin)

        study_box = QGroupBox("Study", self)
        sform = QFormLayout(study_box)
        self.storageCombo = QComboBox(self)
        self.storageCombo.setObjectName("storageCombo")
        self.storageCombo.addItem("Local study store", LOCAL_STORE)
        self.storageCombo.addItem("Database URL", URL_STORE)
        self.storageCombo.setToolTip(f"Local: {display_url(default_storage_url())} (open it with optuna-dashboard "
                                     "sqlite:///...).\nDatabase URL: any SQLAlchemy URL, e.g. PostgreSQL, so "
                                     "workers on other machines can join.")
        self.storageUrlEdit = QLineEdit(self)
        self.storageUrlEdit.setObjectName("storageUrlEdit")
        self.storageUrlEdit.setPlaceholderText("postgresql+psycopg2://user:password@host:5432/database")
        self.storageUrlEdit.setToolTip("A SQLAlchemy database URL shared by every worker of the study.")
        self.studyCombo = QComboBox(self)
        self.studyCombo.setObjectName("studyCombo")
        self.studyCombo.setEditable(True)
        self.studyCombo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.studyCombo.lineEdit().setPlaceholderText("new study (named automatically)")
        self.studyCombo.setToolTip("Type a new name, or pick an existing study to see it and add trials to it.")
        self.studyCombo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.refreshStudiesButton = QToolButton(self)
        self.refreshStudiesButton.setObjectName("refreshStudiesButton")
        self.refreshStudiesButton.setText("↻")
        self.refreshStudiesButton.setToolTip("Reload the list of studies in the store.")
        self.newStudyButton = QToolButton(self)
        self.newStudyButton.setObjectName("newStudyButton")
        self.newStudyButton.setText("New")
        self.newStudyButton.setToolTip("Start a new study (clears the name; one is chosen when you press Start).")
        study_row = QHBoxLayout()
        study_row.addWidget(self.studyCombo, 1)
        study_row.addWidget(self.newStudyButton)
        study_row.addWidget(self.refreshStudiesButton)
        self.studyInfoLabel = QLabel(self)
        self.studyInfoLabel.setObjectName("studyInfoLabel")
        self.studyInfoLabel.setWordWrap(True)
        sform.addRow("Storage", self.storageCombo)
        sform.addRow("URL", self.storageUrlEdit)
        sform.addRow("Name", study_row)
        sform.addRow(self.studyInfoLabel)

        self.startTuningButton = QPushButton("Start tuning", self)
        self.startTuningButton.setObjectName("startTuningButton")
        self.startTuningButton.setToolTip("Start the trials (Ctrl+Return).")
        self.stopTuningButton = QPushButton("Stop", self)
        self.stopTuningButton.setObjectName("stopTuningButton")
        self.stopTuningButton.setToolTip("Abort the running trials (they end as FAIL) and stop the workers "
                                         "(Ctrl+.).")
        self.settingsButton = QToolButton(self)
        self.settingsButton.setObjectName("tuningSettingsButton")
        self.settingsButton.setText("Settings")
        self.settingsButton.setCheckable(True)
        self.settingsButton.setChecked(True)
        self.settingsButton.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.settingsButton.setArrowType(Qt.ArrowType.LeftArrow)
        self.settingsButton.setToolTip("Show or hide the search space and run settings (hidden while tuning "
                                       "runs, so the results get the room).")
        self.tuningProgress = QProgressBar(self)
        self.tuningProgress.setObjectName("tuningProgress")
        self.tuningProgress.setFormat("%v / %m trials")
        self.tuningProgress.setRange(0, DEFAULT_TRIALS)
        self.tuningProgress.setValue(0)
        self.tuningStatus = QLabel("Ready.", self)
        self.tuningStatus.setObjectName("tuningStatus")
        self.tuningStatus.setWordWrap(True)

        settings = QWidget(self)
        settings_layout = QVBoxLayout(settings)
        settings_layout.setContentsMargins(0, 0, 4, 0)
        settings_layout.addWidget(space_box)
        settings_layout.addWidget(run_box)
        settings_layout.addWidget(study_box)
        settings_layout.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setObjectName("tuningSettingsScroll")
        scroll.setWidgetResizable(True)
        scroll.setWidget(settings)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setMinimumWidth(SETTINGS_MIN_WIDTH)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.settingsPanel = scroll
        # Start, Stop and the progress stay in view above everything else.
        bar = QHBoxLayout()
        bar.addWidget(self.settingsButton)
        bar.addWidget(self.startTuningButton)
        bar.addWidget(self.stopTuningButton)
        bar.addWidget(self.tuningProgress, 1)

        self.trialsTable = TrialsTable(self)
        self.loadBestButton = QPushButton("Load best into editor", self)
        self.loadBestButton.setObjectName("loadBestButton")
        self.loadBestButton.setToolTip("Put the best complete trial's full config into the editor (of equal "
                                       "values, the lower validation loss; once trials are confirmed, the best "
                                       "confirmed mean); training it (same seed) reproduces the trial's "
                                       "validation value.")
        self.loadTrialButton = QPushButton("Load selected", self)
        self.loadTrialButton.setObjectName("loadTrialButton")
        self.loadTrialButton.setToolTip("Put the selected trial's config into the editor (or double-click a row).")
        self.evaluateTestButton = QPushButton("Evaluate on test", self)
        self.evaluateTestButton.setObjectName("evaluateTestButton")
        self.evaluateTestButton.setToolTip("Train the selected trial's config (the best one if none is selected) "
                                           "once more and report its metrics on the held-out test split. The "
                                           "test split is never used while tuning.")
        self.confirmTopButton = QPushButton(f"Confirm top {TOP_K}", self)
        self.confirmTopButton.setObjectName("confirmTopButton")
        self.confirmTopButton.setToolTip(
            f"Re-train the {TOP_K} best trials with {EXTRA_SEEDS} more training seeds each (validation split "
            "only) and make the best mean over all their seeds the best trial. A single run's value depends on "
            "its seed, so the top of a study is partly luck; the mean is not. Load best still loads the trial's "
            "own config and seed. Runs in the worker processes; Stop aborts it.")
        self.testResultLabel = QLabel(self)
        self.testResultLabel.setObjectName("testResultLabel")
        self.testResultLabel.setWordWrap(True)
        self.testResultLabel.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        trial_buttons = QHBoxLayout()
        for b in (self.loadBestButton, self.loadTrialButton, self.evaluateTestButton, self.confirmTopButton):
            trial_buttons.addWidget(b)
        trial_buttons.addStretch(1)
        table_box = QWidget(self)
        table_layout = QVBoxLayout(table_box)
        table_layout.setContentsMargins(0, 0, 0, 0)
        table_layout.addWidget(self.trialsTable, 1)
        table_layout.addLayout(trial_buttons)
        table_layout.addWidget(self.testResultLabel)

        self.historyPlot = HistoryPlot(self)
        self.intermediatePlot = IntermediatePlot(self)
        self.importancePlot = ImportancePlot(self)
        self.importancePlot.set_importances({})
        # side by side when there is room (settings hidden, or a wide window), else one tab each
        plots = PlotDeck([self.historyPlot, self.intermediatePlot, self.importancePlot], self)
        right = QSplitter(Qt.Orientation.Vertical, self)
        right.setObjectName("tuningResultsSplitter")
        right.addWidget(table_box)
        right.addWidget(plots)
        right.setStretchFactor(0, 2)
        right.setStretchFactor(1, 3)
        right.setSizes([280, 420])
        right.setChildrenCollapsible(False)

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("tuningSplitter")
        self.splitter.addWidget(scroll)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        # the settings get the width they ask for (and room for their scroll bar), the results the rest;
        # never narrower than their minimum: the search space would scroll sideways
        bar_width = scroll.verticalScrollBar().sizeHint().width()
        scroll.setMinimumWidth(max(SETTINGS_MIN_WIDTH, settings.minimumSizeHint().width() + bar_width))
        settings_width = max(SETTINGS_MIN_WIDTH, settings.sizeHint().width() + bar_width)
        self.splitter.setSizes([settings_width, 10 * settings_width])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.tuningStatus)
        layout.addWidget(self.splitter, 1)

        self.startAction = self._shortcut("startTuningAction", "Ctrl+Return", self.start)
        self.stopAction = self._shortcut("stopTuningAction", "Ctrl+.", self.stop)

    def _combo(self, name: str, items: list[tuple[str, str]]) -> QComboBox:
        combo = QComboBox(self)
        combo.setObjectName(name)
        for i, (value, tip) in enumerate(items):
            combo.addItem(value, value)
            combo.setItemData(i, tip, Qt.ItemDataRole.ToolTipRole)
        return combo

    def _spin(self, name: str, lo: int, hi: int, value: int, tip: str, suffix: str = "") -> QSpinBox:
        spin = QSpinBox(self)
        spin.setObjectName(name)
        spin.setRange(lo, hi)
        spin.setValue(value)
        spin.setToolTip(tip)
        spin.setSuffix(suffix)
        spin.setAccelerated(True)
        return spin

    def _shortcut(self, name: str, keys: str, slot) -> QAction:
        action = QAction(self)
        action.setObjectName(name)
        action.setShortcut(QKeySequence(keys))
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _connect(self) -> None:
        self.startTuningButton.clicked.connect(self.start)
        self.settingsButton.toggled.connect(self._show_settings)
        self.stopTuningButton.clicked.connect(self.stop)
        self.resetSpaceButton.clicked.connect(lambda: self._set_space(SearchSpace()))
        self.space_editor.validityChanged.connect(lambda _ok: self._update_controls())
        self.storageCombo.currentIndexChanged.connect(self._on_storage_changed)
        self.storageUrlEdit.editingFinished.connect(self.refresh_studies)
        self.storageUrlEdit.textChanged.connect(lambda _t: self._update_controls())
        self.refreshStudiesButton.clicked.connect(self.refresh_studies)
        self.newStudyButton.clicked.connect(self.new_study)
        self.nTrialsSpin.valueChanged.connect(self._on_trials_changed)
        self.studyCombo.currentTextChanged.connect(self._on_study_text)
        self.loadBestButton.clicked.connect(self.load_best)
        self.loadTrialButton.clicked.connect(self.load_selected)
        self.evaluateTestButton.clicked.connect(self.evaluate_on_test)
        self.confirmTopButton.clicked.connect(self.confirm_top)
        self.trialsTable.itemSelectionChanged.connect(self._update_controls)
        self.trialsTable.cellDoubleClicked.connect(lambda _r, _c: self.load_selected())

    def _show_settings(self, visible: bool) -> None:
        self.settingsPanel.setVisible(visible)
        self.settingsButton.setArrowType(Qt.ArrowType.LeftArrow if visible else Qt.ArrowType.RightArrow)

    # -- state -------------------------------------------------------------------------------
    def is_running(self) -> bool:
        return self._thread is not None

    def storage_url(self) -> str | None:
        """None for the local store, else the URL typed."""
        if self.storageCombo.currentData() == LOCAL_STORE:
            return None
        return self.storageUrlEdit.text().strip()

    def study_name(self) -> str:
        return self.studyCombo.currentText().strip()

    def resuming(self) -> bool:
        """Whether the study box names an existing study (Start adds trials to it)."""
        return self.study_name() in self._study_names

    def settings(self) -> TuneSettings:
        return TuneSettings(metric=self.metricCombo.currentData(), sampler=self.samplerCombo.currentData(),
                            pruner=self.prunerCombo.currentData(), seed=self.seedSpin.value(),
                            epochs=self.epochsSpin.value())

    def snapshot(self) -> StudySnapshot | None:
        return self._snapshot

    def _update_controls(self) -> None:
        running = self.is_running()
        resuming = self.resuming()
        url_ok = self.storageCombo.currentData() == LOCAL_STORE or bool(self.storageUrlEdit.text().strip())
        space_ok = resuming or self.space_editor.is_valid()
        self.startTuningButton.setEnabled(not running and url_ok and space_ok)
        self.startAction.setEnabled(self.startTuningButton.isEnabled())
        self.stopTuningButton.setEnabled(running and not (self._stop is not None and self._stop.is_set()))
        self.stopAction.setEnabled(self.stopTuningButton.isEnabled())
        # An existing study keeps its own space and settings: show them, do not edit them.
        for w in (self.space_editor, self.resetSpaceButton, self.samplerCombo, self.prunerCombo, self.metricCombo,
                  self.epochsSpin, self.seedSpin):
            w.setEnabled(not running and not resuming)
        for w in (self.nTrialsSpin, self.timeoutSpin, self.workersSpin, self.storageCombo, self.studyCombo,
                  self.refreshStudiesButton, self.newStudyButton):
            w.setEnabled(not running)
        self.storageUrlEdit.setEnabled(not running and self.storageCombo.currentData() == URL_STORE)
        snap = self._snapshot
        best = snap.best() if snap is not None else None
        selected = self._selected_row()
        self.loadBestButton.setEnabled(best is not None)
        self.loadTrialButton.setEnabled(selected is not None and bool(selected.config_json))
        self.evaluateTestButton.setEnabled(self._evaluating is None and
                                           ((selected is not None and bool(selected.config_json)) or best is not None))
        self.confirmTopButton.setEnabled(not running and best is not None)
        if not space_ok and not running:
            self.tuningStatus.setText("Fix the search space (see the red messages) to start.")

    def _selected_row(self):
        number = self.trialsTable.selected_number()
        if number is None or self._snapshot is None:
            return None
        return next((r for r in self._snapshot.rows if r.number == number), None)

    def _set_space(self, space: SearchSpace) -> None:
        self.space_editor.set_space(space)
        self._update_controls()

    def _set_combo(self, combo: QComboBox, value: str) -> None:
        i = combo.findData(value)
        if i >= 0:
            combo.setCurrentIndex(i)

    # -- study store ---------------------------------------------------------------------------
    def _on_storage_changed(self) -> None:
        self._update_controls()
        self.refresh_studies()
        if self.storageCombo.currentData() == URL_STORE:
            self.storageUrlEdit.setFocus()

    def new_study(self) -> None:
        """Clear the study name: Start creates a new study from the editor's config."""
        self.studyCombo.setEditText("")
        self.studyCombo.setFocus()

    def _on_trials_changed(self, value: int) -> None:
        if not self.is_running():
            self.tuningProgress.setRange(0, value)
            self.tuningProgress.setValue(0)

    def refresh_studies(self) -> None:
        """Reload the names of the studies in the store (in a worker thread)."""
        url = self.storage_url()
        if url == "":
            self._set_study_names([])
            return
        self._run_task(TASK_LIST, lambda: [s.name for s in list_studies(open_storage(url))])

    def _set_study_names(self, names: list[str]) -> None:
        self._study_names = list(names)
        text = self.studyCombo.currentText()
        self.studyCombo.blockSignals(True)
        self.studyCombo.clear()
        self.studyCombo.addItems(self._study_names)
        self.studyCombo.setEditText(text)
        self.studyCombo.blockSignals(False)
        self._on_study_text(text)

    def _on_study_text(self, text: str) -> None:
        name = text.strip()
        if name in self._study_names:
            self.studyInfoLabel.setText(f"Existing study: Start adds trials to {name!r}, with its own config, "
                                        "search space and settings (shown on the left).")
            if not self.is_running() and (self._snapshot is None or self._snapshot.name != name):
                url = self.storage_url()
                self._run_task(TASK_VIEW, lambda: load_study_view(url, name))
        else:
            self.studyInfoLabel.setText("A new study, created when you press Start." if name else
                                        "A new study, named after the config and the time.")
        self._update_controls()

    # -- tasks -----------------------------------------------------------------------------------
    def _run_task(self, kind: str, fn) -> None:
        self._on_task_thread_finished()
        worker = TaskWorker(kind, fn)
        worker.done.connect(self._on_task_done)
        worker.failed.connect(self._on_task_failed)
        thread = start_worker(worker, f"tuning-{kind}")
        self._tasks[thread] = worker
        thread.finished.connect(self._on_task_thread_finished)

    @Slot()
    def _on_task_thread_finished(self) -> None:
        for thread in [t for t in self._tasks if _finished(t)]:
            self._tasks.pop(thread, None)

    @Slot(str, object)
    def _on_task_done(self, kind: str, result) -> None:
        if kind == TASK_LIST:
            self._set_study_names(result)
        elif kind == TASK_VIEW:
            self._show_view(result)
        elif kind == TASK_TEST:
            self._show_test_result(result)

    @Slot(str, str)
    def _on_task_failed(self, kind: str, message: str) -> None:
        if kind == TASK_TEST:
            self._evaluating = None
            self.testResultLabel.setText(f"Test evaluation failed: {message}")
            self._update_controls()
        elif kind == TASK_LIST:
            self._set_study_names([])
            self.studyInfoLabel.setText(f"Cannot read the store: {message}")
        else:
            self.studyInfoLabel.setText(message)

    def _show_view(self, view: StudyView) -> None:
        if self.is_running() or view.snapshot.name != self.study_name():
            return
        self._view = view
        self._set_space(view.space)
        s = view.settings
        for combo, value in ((self.samplerCombo, s.sampler), (self.prunerCombo, s.pruner),
                             (self.metricCombo, s.metric)):
            self._set_combo(combo, value)
        self.epochsSpin.setValue(s.epochs)
        self.seedSpin.setValue(s.seed)
        self._show_snapshot(view.snapshot, reset=True)
        self.tuningStatus.setText(f"Study {view.snapshot.name!r}: {view.snapshot.finished} finished trials.")

    # -- running -----------------------------------------------------------------------------------
    @Slot()
    def start(self) -> None:
        if self.is_running() or not self.startTuningButton.isEnabled():
            return
        resume = self.resuming()
        config = None
        if not resume:
            try:
                config = self.config_provider()
            except ConfigError as exc:
                self.tuningStatus.setText(f"The design cannot be trained yet: {exc}")
                return
        name = self.study_name() or f"{_slug(config.name)}-{datetime.now():%Y%m%d-%H%M%S}"
        if not self.study_name():
            self.studyCombo.setEditText(name)
        timeout = self.timeoutSpin.value() or None
        request = RunRequest(self.storage_url(), name, resume, config, self.space_editor.space(), self.settings(),
                             self.nTrialsSpin.value(), timeout, self.workersSpin.value())
        self._stop = StopFlag()
        worker = TuningRunWorker(request, self._stop)
        worker.started.connect(self._on_started)
        worker.snapshot.connect(self._on_snapshot)
        worker.finished.connect(self._on_finished)
        if self._snapshot is None or self._snapshot.name != name:
            self._clear_results()
        self.tuningStatus.setText(f"Starting {request.workers} worker process"
                                  f"{'es' if request.workers > 1 else ''} for study {name!r} ...")
        self._messages: list[str] = []
        self._settings_were_shown = self.settingsButton.isChecked()
        self.settingsButton.setChecked(False)
        self._launch(worker, "tuning")

    def _launch(self, worker, thread_name: str) -> None:
        """Start ``worker`` (its own signals already connected) in the tuning thread."""
        worker.failed.connect(self._on_failed)
        worker.message.connect(self._on_message)
        self._worker = worker
        self._thread = start_worker(worker, thread_name)
        self._update_controls()
        self.runningChanged.emit(True)

    @Slot()
    def stop(self) -> None:
        """Abort the running trials (they end as FAIL) and end the session."""
        if self._stop is None or not self.is_running():
            return
        self._stop.set()
        self.tuningStatus.setText("Stopping: the workers abort their trials ...")
        self._update_controls()

    def shutdown(self) -> None:
        """Stop everything and wait for the threads, so nothing is left RUNNING (window closing)."""
        self._task_stop.set()
        if self._stop is not None:
            self._stop.set()
        if self._thread is not None:
            stop_and_wait(self._thread, SHUTDOWN_TIMEOUT_MS)
        for thread in list(self._tasks):
            stop_and_wait(thread, SHUTDOWN_TIMEOUT_MS)
        self._tasks.clear()

    @Slot(object)
    def _on_started(self, info: RunStarted) -> None:
        self._run_info = info
        self.tuningProgress.setRange(0, max(info.target - info.done_before, 1) if info.target else 0)
        self.tuningProgress.setValue(0)
        if self.resuming():
            self.space_editor.set_space(info.space)

    @Slot(object)
    def _on_snapshot(self, snapshot: StudySnapshot) -> None:
        self._show_snapshot(snapshot)
        info = getattr(self, "_run_info", None)
        if info is not None and self.is_running():
            done = max(snapshot.finished - info.done_before, 0)
            if info.target:
                self.tuningProgress.setValue(min(done, self.tuningProgress.maximum()))
            if not (self._stop is not None and self._stop.is_set()):
                self.tuningStatus.setText(self._status_text(snapshot, done))

    def _status_text(self, snapshot: StudySnapshot, done: int) -> str:
        parts = [f"Running: {done} finished", f"{snapshot.count('RUNNING')} running",
                 f"{snapshot.count('PRUNED')} pruned"]
        if snapshot.count("FAIL"):
            parts.append(f"{snapshot.count('FAIL')} failed")
        best = snapshot.best()
        text = ", ".join(parts) + "."
        if best is not None:
            text += f" Best {best.value:.4f} (trial #{best.number})."
        return text

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._messages.append(message)

    @Slot(str)
    def _on_message(self, message: str) -> None:
        self._messages.append(message)

    @Slot()
    def _on_finished(self) -> None:
        stopped = self._stop is not None and self._stop.is_set()
        self._thread = None
        self._worker = None
        if getattr(self, "_settings_were_shown", False):
            self.settingsButton.setChecked(True)
        snap = self._snapshot
        if snap is not None and snap.name == self.study_name():
            counts = f"{snap.count('COMPLETE')} complete, {snap.count('PRUNED')} pruned, {snap.count('FAIL')} failed"
            best = snap.best()
            best_text = f" Best {best.value:.4f} (trial #{best.number})." if best else ""
            text = f"{'Stopped' if stopped else 'Finished'}: {counts}.{best_text}"
        else:
            text = "Stopped." if stopped else "Finished."
        messages = getattr(self, "_messages", [])
        self.tuningStatus.setText(" ".join([text] + messages) if not messages or snap is not None
                                  else " ".join(messages))
        self._update_controls()
        self.runningChanged.emit(False)
        self.refresh_studies()

    # -- confirmation ------------------------------------------------------------------------------
    @Slot()
    def confirm_top(self) -> None:
        """Re-train the top trials with more seeds, in the tuning thread and worker processes."""
        snap = self._snapshot
        if self.is_running() or snap is None or snap.best() is None:
            return
        request = ConfirmRequest(self.storage_url(), snap.name, TOP_K, EXTRA_SEEDS, self.workersSpin.value(),
                                 dict(snap.importances))
        self._stop = StopFlag()
        worker = ConfirmWorker(request, self._stop)
        worker.snapshot.connect(self._on_confirm_snapshot)
        worker.confirmed.connect(self._on_confirmed)
        worker.finished.connect(self._on_confirm_finished)
        self._messages, self._confirm_result = [], None
        self.tuningProgress.setFormat("%v / %m confirmation runs")
        self.tuningProgress.setRange(0, 0)  # busy until the plan is known
        self.tuningStatus.setText(f"Confirming the top {TOP_K} trials of {snap.name!r} with {EXTRA_SEEDS} more "
                                  "training seeds each ...")
        self._launch(worker, "tuning-confirm")

    @Slot(object)
    def _on_confirm_snapshot(self, snapshot: StudySnapshot) -> None:
        self._show_snapshot(snapshot)
        if snapshot.confirm_total and self.is_running():
            self.tuningProgress.setRange(0, snapshot.confirm_total)
            self.tuningProgress.setValue(snapshot.confirm_done)
            if not self._stop.is_set():
                self.tuningStatus.setText(f"Confirming: {snapshot.confirm_done} of {snapshot.confirm_total} "
                                          "training runs done ...")

    @Slot(object)
    def _on_confirmed(self, result) -> None:
        self._confirm_result = result

    @Slot()
    def _on_confirm_finished(self) -> None:
        stopped = self._stop is not None and self._stop.is_set()
        self._thread = None
        self._worker = None
        result = self._confirm_result
        best = self._snapshot.best() if self._snapshot is not None else None
        if result is not None and result.confirmed:
            text = (f"Confirmed {len(result.confirmed)} trials: {result.runs_done} training runs in "
                    f"{result.seconds:.0f} s.")
            c = best.confirmation if best is not None else None
            if c is not None and c.mean is not None:
                text += (f" Best: trial #{best.number}, mean {c.mean:.4f} over {len(c.seeds)} seeds "
                         f"(its own seed: {best.value:.4f}).")
        elif result is not None:
            text = (f"Confirmation {'stopped' if stopped else 'incomplete'} after {result.runs_done} of "
                    f"{len(result.plan.runs)} runs: the best trial is still the best single run (the runs are "
                    "kept for the next confirmation).")
        else:
            text = "Confirmation stopped." if stopped else "Confirmation ended."
        self.tuningStatus.setText(" ".join([text] + self._messages))
        self.tuningProgress.setFormat("%v / %m trials")
        self._on_trials_changed(self.nTrialsSpin.value())
        self._update_controls()
        self.runningChanged.emit(False)

    # -- results -----------------------------------------------------------------------------------
    def _clear_results(self) -> None:
        self._snapshot = None
        self.trialsTable.clear_trials()
        self.historyPlot.clear_data()
        self.intermediatePlot.clear_data()
        self.importancePlot.set_importances({})
        self.testResultLabel.setText("")

    def _show_snapshot(self, snapshot: StudySnapshot, reset: bool = False) -> None:
        if reset or (self._snapshot is not None and self._snapshot.name != snapshot.name):
            self._clear_results()
        self._snapshot = snapshot
        self.trialsTable.update_from(snapshot)
        self.historyPlot.update_from(snapshot)
        self.intermediatePlot.update_from(snapshot)
        self.importancePlot.set_importances(snapshot.importances)
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
        row = self._selected_row()
        if row is None or not row.config_json:
            return
        config = ExperimentConfig.from_json(row.config_json)
        self.openInEditor.emit(config)
        self.tuningStatus.setText(f"Loaded trial #{row.number}'s config into the editor.")

    @Slot()
    def evaluate_on_test(self) -> None:
        """Train the selected (else the best) trial's config once more; show its test metrics."""
        snap = self._snapshot
        row = self._selected_row() or (snap.best() if snap is not None else None)
        if row is None or not row.config_json or self._evaluating is not None:
            return
        key = (snap.name, row.number)
        if key in self._test_results:  # evaluated once already: the test split is not a tuning signal
            self.testResultLabel.setText(self._test_results[key])
            return
        config = ExperimentConfig.from_json(row.config_json)
        self._evaluating = key
        self.testResultLabel.setText(f"Training trial #{row.number}'s config to evaluate it on the test split ...")
        stop = self._task_stop
        self._run_task(TASK_TEST, lambda: evaluate_on_test(config, stop=stop.is_set))
        self._update_controls()

    def _show_test_result(self, summary) -> None:
        key, self._evaluating = self._evaluating, None
        if key is None or summary.stop_reason == STOP_USER:
            return
        if summary.test_accuracy == summary.test_accuracy:  # not NaN: classification
            metrics = f"accuracy {summary.test_accuracy:.4f}, loss {summary.test_loss:.4f}"
        else:
            metrics = f"loss {summary.test_loss:.4f}, RMSE {summary.test_rmse:.4g}"
        text = (f"Test {metrics} — trial #{key[1]} of {key[0]!r}, evaluated once on the held-out test split "
                "(never used while tuning).")
        self._test_results[key] = text
        self.testResultLabel.setText(text)
        self._update_controls()


def _finished(thread: QThread) -> bool:
    try:
        return thread.isFinished()
    except RuntimeError:  # already deleted
        return True


def _slug(text: str) -> str:
    keep = "".join(c if c.isalnum() or c in "-_." else "-" for c in text.strip())
    return keep.strip("-") or "study"
