"""The Compare tab: train variants of the current design side by side, and the depth study.

Pick a factor (its values are filled from the factor registry and can be edited), how many seeds
each variant runs, and press Run.  Every variant trains on the same split with the same seeds,
in parallel worker processes; the tab draws the mean ± spread curves, per-variant histograms at
a chosen epoch, a sortable summary and, for the factor "depth", the depth recommendation.

The tab only draws: a :class:`~nnstudio.gui.compare.worker.CompareWorker` on a ``QThread``
drives the run and sends batches of immutable events at most 20 times a second.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QFileDialog, QVBoxLayout, QWidget

from ...compare import Comparison, ComparisonResults, Target, depth_rows, recommend_from_rows, write_depth, \
    write_summary
from ...compare.results import NOT_RUN, RUNNING
from ...config import ExperimentConfig
from ...errors import UserError
from ...files import FileFormatError
from ...progress import format_seconds
from ..plots.base import save_widget_png
from ..qt.style import banner_style, note_banner_style, set_severity
from ..qt.threads import start_worker, stop_and_wait
from ..widgets.build import named_splitter
from .controls import CompareControls
from .stale import StaleWatch
from .summary import SummaryArea
from .views import ComparisonViews
from .worker import CompareWorker

USER_ERRORS = (UserError, ValueError)
SHUTDOWN_TIMEOUT_MS = 15000
REDRAW_INTERVAL_MS = 250  # a run's views redraw at most this often (a redraw of many variants takes ~0.1 s)
STYLE = banner_style("compareStatus") + banner_style("compareStaleLabel") + note_banner_style("compareDepthSentence")


class CompareTab(QWidget):
    """The ``compareTab`` widget.

    Args:
        config_provider: returns the design to start from (the editor's current config).
        workers, backend: passed to :class:`~nnstudio.compare.ComparisonRun`.

    Signals:
        openInEditor(ExperimentConfig): the user asked to open a variant's config in the editor.
        runFinished(): a run ended (completed, stopped or failed); the view is up to date.

    Made of :class:`~.controls.CompareControls` (left), :class:`~.views.ComparisonViews` over
    :class:`~.summary.SummaryArea` (right); the tab runs the :class:`~.worker.CompareWorker`.
    """

    openInEditor = Signal(object)
    runFinished = Signal()

    def __init__(self, config_provider: Callable[[], ExperimentConfig], parent: QWidget | None = None, *,
                 workers: int | None = None, backend: str = "process"):
        super().__init__(parent)
        self.setObjectName("compareTab")
        self.setStyleSheet(STYLE)
        self._provider = config_provider
        self._backend = backend
        self.comparison: Comparison | None = None
        self.results: ComparisonResults | None = None
        self._worker: CompareWorker | None = None
        self._thread = None
        self._started_at = 0.0
        self._failed = ""
        self._redraw = QTimer(self)
        self._redraw.setSingleShot(True)
        self._redraw.setInterval(REDRAW_INTERVAL_MS)
        self._redraw.timeout.connect(self._refresh)

        self.controls = CompareControls(workers, self)
        self.views = ComparisonViews(self)
        self.summary = SummaryArea(self)
        self._name_parts()
        # Run, Stop and the status across the top; what to compare beside the curves; the table
        # under both, as wide as the tab, so that every column fits
        top = named_splitter(Qt.Orientation.Horizontal, "compareTopSplitter", [self.controls, self.views], [0, 1],
                             self)
        top.setSizes([self.controls.minimumSizeHint().width(), 4 * self.controls.maximumWidth()])  # the curves the rest
        # the table keeps the height it asks for (every default variant's row); the plots take the
        # rest of the tab, and what the window gains or loses when it is resized
        main = named_splitter(Qt.Orientation.Vertical, "compareSplitter", [top, self.summary], [1, 0], self)
        QWidget.setTabOrder(self.depthPlot, self.views.tabBar())  # the tab bar after the pages, as it was made
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addWidget(self.controls.bar)
        layout.addWidget(self.controls.status)
        layout.addWidget(main, 1)
        self.stale = StaleWatch(self._provider, self.isVisible, self)
        self.stale.staleChanged.connect(self._show_stale)
        set_severity(self.summary.staleLabel, "warning")
        self._connect()
        self.controls.variants.show_factor()
        self._set_running(False)

    def _name_parts(self) -> None:
        """The parts' controls under the names the tab has always given them."""
        c, variants, runs, v, s = self.controls, self.controls.variants, self.controls.runs, self.views, self.summary
        self.factorCombo, self.valuesList, self.addValueEdit = (variants.factorCombo, variants.valuesList,
                                                                variants.addValueEdit)
        self.addValueButton, self.defaultsButton = variants.addValueButton, variants.defaultsButton
        self.removeButton, self.addFileButton = variants.removeButton, variants.addFileButton
        self.seedsSpin, self.epochsSpin = runs.seedsSpin, runs.epochsSpin
        self.targetSpin, self.workersSpin = runs.targetSpin, runs.workersSpin
        self.runButton, self.stopButton, self.progress = c.runButton, c.stopButton, c.progress
        self.progressLabel, self.status = c.progressLabel, c.status
        self.plot, self.metricCombo, self.logCheck, self.histograms = v.plot, v.metricCombo, v.logCheck, v.histograms
        self.layerCombo, self.kindCombo, self.epochSlider = v.layerCombo, v.kindCombo, v.epochSlider
        self.epochLabel, self.depthPlot, self.depthSentence = v.epochLabel, v.depthPlot, v.depthSentence
        self.model, self.proxy, self.table = s.model, s.proxy, s.table
        self.openButton, self.saveButton, self.openAction = s.openButton, s.saveButton, s.openAction
        self.targetLabel = s.targetLabel

    def _connect(self) -> None:
        variants = self.controls.variants
        variants.defaultsWanted.connect(lambda: variants.reset_values(self._base_or_default()))
        variants.message.connect(self._show_status)
        self.runButton.clicked.connect(self.start)
        self.stopButton.clicked.connect(self.stop)
        self.openButton.clicked.connect(self.open_selected)
        self.saveButton.clicked.connect(self._choose_save_folder)
        self.openAction.triggered.connect(self.open_selected)
        self.table.doubleClicked.connect(lambda _: self.open_selected())
        self.table.selectionModel().selectionChanged.connect(self._update_open_enabled)
        self.table.columnsFitted.connect(self._show_table_note)
        self.targetSpin.valueChanged.connect(self._on_target_changed)
        for keys, slot in ((QKeySequence("Ctrl+Return"), self.start), (QKeySequence("Escape"), self.stop)):
            shortcut = QShortcut(keys, self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        self.plot.prepare()  # the curves' items, made while the user chooses what to compare

    @property
    def factor(self) -> str:
        return self.controls.variants.factor

    def _base_or_default(self) -> ExperimentConfig:
        try:
            return self._provider()
        except Exception:  # an editor mid-edit may not give a valid config; defaults still make sense
            return ExperimentConfig()

    def add_files(self, paths) -> None:
        """Add experiment files as variants; an unreadable file is reported and skipped."""
        self.controls.variants.add_files(paths)

    # -- running -------------------------------------------------------------------------------
    def build_comparison(self) -> Comparison:
        """The comparison the controls describe (raises ValueError/FileFormatError with a message)."""
        base = self._provider()
        values = self.controls.variants.checked_values()
        files = self.controls.variants.checked_files()
        seeds = self.seedsSpin.value()
        epochs = self.epochsSpin.value() or None
        if values:
            comparison = Comparison.build(base, self.factor, values, n_seeds=seeds, epochs=epochs)
            return comparison.with_files(files) if files else comparison
        if files:
            return Comparison.from_files(base, files, n_seeds=seeds, epochs=epochs)
        raise ValueError("Tick at least one value (or add an experiment file) to compare.")

    def start(self) -> bool:
        """Start a comparison from the controls; False (with a message) if it cannot start."""
        if self.is_running():
            return False
        try:
            comparison = self.build_comparison()
        except USER_ERRORS as exc:
            self._show_status(str(exc), "error")
            return False
        self.comparison = comparison
        self.stale.track(self._base_or_default())
        self.results = ComparisonResults(comparison, self._target())
        self._failed = ""
        self.views.begin(comparison, self.results)
        self._refresh()
        notes = "; ".join(comparison.notes)
        self._show_status(notes, "warning" if notes else "")
        self._worker = CompareWorker(comparison, workers=self.workersSpin.value(), backend=self._backend)
        self._worker.progressed.connect(self._on_events)
        self._worker.failed.connect(self._on_failed)
        self._worker.finished.connect(self._on_finished)
        self._started_at = time.monotonic()
        self._set_running(True)
        self._thread = start_worker(self._worker, "compare")
        return True

    def stop(self) -> None:
        """Ask every run to end; the tab returns to idle when the worker has finished."""
        if self._worker is not None:
            self._worker.stop()
            self.progressLabel.setText("Stopping…")

    def is_running(self) -> bool:
        return self._worker is not None

    def shutdown(self) -> None:
        """Stop and join the worker thread (the pool joins its processes before the thread ends)."""
        if self._worker is not None:
            self._worker.stop()
        stop_and_wait(self._thread, SHUTDOWN_TIMEOUT_MS)
        self._thread = None

    def _set_running(self, running: bool) -> None:
        self.controls.set_running(running)
        self._update_open_enabled()
        self.saveButton.setEnabled(not running and self.results is not None)

    def _on_events(self, events: list) -> None:
        if self.results is None:
            return
        self.results.add_all(events)
        if not self._redraw.isActive():  # events come up to 20 times a second; the views redraw 4 times
            self._redraw.start()

    def _on_failed(self, message: str) -> None:
        self._failed = message
        self._show_status(message, "error")

    def _on_finished(self) -> None:
        self._redraw.stop()
        self._worker = None
        self._set_running(False)
        self._refresh()
        if not self._failed and self.results is not None:
            took = format_seconds(time.monotonic() - self._started_at)
            self._show_status(*end_report([run.status for run in self.results.runs.values()], took))
        self.runFinished.emit()

    # -- drawing -------------------------------------------------------------------------------
    def _target(self) -> Target:
        value = self.targetSpin.value()
        base = self._base_or_default()
        # a regression design has a linear output; the target then applies to the validation loss
        return Target("val_loss", value) if base.output_activation == "linear" else Target("val_accuracy", value)

    def _on_target_changed(self, *_) -> None:
        if self.results is not None:
            self.results.target = Target(self.results.target.metric, self.targetSpin.value())
            self._refresh_table()

    def _refresh(self) -> None:
        results = self.results
        if results is None:
            return
        self._refresh_table()
        done, total = results.progress()
        elapsed = format_seconds(time.monotonic() - self._started_at) if self._started_at else "0s"
        self.controls.show_progress(done, total, f"{_runs_text(results.counts(), len(results.runs))} · {elapsed}")
        self.views.refresh()

    def _refresh_table(self) -> None:
        self.model.set_rows(self.results.rows(), self.results.classification)
        self._show_table_note()
        self._update_open_enabled()

    def _show_table_note(self) -> None:
        self.summary.show_note(self.results.target.describe() if self.results is not None else None)

    # -- saving ------------------------------------------------------------------------------------
    def _choose_save_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Save comparison results into folder")
        if folder:
            self.save_results(folder)

    def save_results(self, folder) -> list[Path]:
        """Write the summary (and depth study) files and the plots into ``folder``; returns the paths."""
        if self.results is None:
            return []
        folder = Path(folder)
        try:
            paths = write_summary(folder, self.results)
            paths.append(folder / "curves.png")
            save_widget_png(self.plot, paths[-1])
            if self.comparison.factor == "depth":
                classification = self.results.classification is not False
                rows = depth_rows(self.results)
                paths += write_depth(folder, rows, recommend_from_rows(rows, classification), classification)
                paths.append(folder / "depth.png")
                save_widget_png(self.depthPlot, paths[-1])
        except (OSError, FileFormatError) as exc:
            self._show_status(f"Could not save the results: {exc}", "error")
            return []
        self._show_status(f"Saved {', '.join(p.name for p in paths)} in {folder}.", "success")
        return paths

    # -- the table ---------------------------------------------------------------------------------
    def selected_variant(self) -> int | None:
        if self.comparison is None:
            return None
        return self.summary.selected_variant()

    def select_variant(self, variant: int) -> None:
        self.summary.select_variant(variant)

    def open_selected(self) -> None:
        variant = self.selected_variant()
        if variant is not None:
            self.openInEditor.emit(self.comparison.variants[variant].config)

    def _update_open_enabled(self, *_) -> None:
        self.summary.set_open_enabled(self.selected_variant() is not None)

    def _show_stale(self, stale: bool) -> None:
        self.summary.staleLabel.setVisible(stale)

    def _show_status(self, text: str, severity: str = "") -> None:
        self.status.show_message(text, severity)


def end_report(statuses: list[str], took: str) -> tuple[str, str]:
    """The status line when a comparison's runs have ended: (text, severity)."""
    errors = sum(s == "error" for s in statuses)
    diverged = sum(s == "diverged" for s in statuses)
    if "stopped" in statuses or "not run" in statuses:
        text, severity = f"Stopped after {took}; figures cover the epochs that ran.", "warning"
    else:
        text, severity = f"Finished {len(statuses)} runs in {took}.", "success"
    if diverged:
        text += f" {diverged} run(s) diverged (marked in the table)."
        severity = "warning"
    if errors:
        text += f" {errors} run(s) failed: hover the stop reason for the error."
        severity = "warning"
    return text, severity


def _runs_text(counts, total: int) -> str:
    """"5/12 runs finished, 2 training" (+ ", 3 stopped, 2 not run" once there are such runs)."""
    waiting = counts.get(NOT_RUN, 0)
    stopped = counts.get("stopped", 0)
    training = counts.get(RUNNING, 0)
    finished = total - waiting - stopped - training
    parts = [f"{finished}/{total} runs finished"]
    if training:
        parts.append(f"{training} training")
    if stopped:
        parts.append(f"{stopped} stopped")
    if waiting and (stopped or not training):
        parts.append(f"{waiting} not run")
    return ", ".join(parts)
