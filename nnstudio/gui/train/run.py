"""The training thread of the panel: one :class:`~nnstudio.gui.train.worker.TrainingWorker` at a time.

:class:`TrainingRun` starts the worker in a ``QThread``, passes on what the *current* run reports
(a stopped or abandoned run's late reports are dropped by their run id), stops it, and joins the
thread when the worker has returned.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal, Slot

from ...config import ExperimentConfig
from ..qt.threads import start_worker, stop_and_wait
from .worker import RunControl, RunInfo, RunResult, TrainingWorker, Update

log = logging.getLogger("nnstudio.training")

SHUTDOWN_TIMEOUT_MS = 5000


class TrainingRun(QObject):
    """Signals (of the current run only): ``prepared(RunInfo)``, ``progress(Update)``,
    ``paused(int epoch)``, ``resumed()``, ``done(RunResult)``, ``failed(str)``, ``ended()`` (the
    worker returned and its thread is joined)."""

    prepared = Signal(object)
    progress = Signal(object)
    paused = Signal(int)
    resumed = Signal()
    done = Signal(object)
    failed = Signal(str)
    ended = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._run_id = 0
        self._control: RunControl | None = None
        self._thread = None
        self._worker: TrainingWorker | None = None

    @property
    def control(self) -> RunControl | None:
        """Pause, resume, step and stop the current run (None when there is none)."""
        return self._control

    def start(self, config: ExperimentConfig, steps: int | None) -> None:
        """Train ``config``; ``steps`` epochs, then pause (None: run to the end)."""
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

    def start_thread(self) -> None:
        """Run the worker made by :meth:`start` (after the panel has shown that it starts)."""
        self._thread = start_worker(self._worker, "training")

    def abandon(self) -> None:
        """Stop the run and wait for its thread; whatever it still has queued is ignored."""
        if self._control is not None:
            self._control.request_stop()
        if self._thread is not None and not stop_and_wait(self._thread, SHUTDOWN_TIMEOUT_MS):
            log.warning("The training thread did not end within %d ms.", SHUTDOWN_TIMEOUT_MS)
        self._thread = self._worker = self._control = None
        self._run_id += 1

    @Slot(int, object)
    def _on_prepared(self, run_id: int, info: RunInfo) -> None:
        if run_id == self._run_id:
            self.prepared.emit(info)

    @Slot(int, object)
    def _on_progress(self, run_id: int, update: Update) -> None:
        if run_id == self._run_id:
            self.progress.emit(update)
            if self._control is not None:
                self._control.update_consumed()

    @Slot(int, int)
    def _on_paused(self, run_id: int, epoch: int) -> None:
        if run_id == self._run_id:
            self.paused.emit(epoch)

    @Slot(int)
    def _on_resumed(self, run_id: int) -> None:
        if run_id == self._run_id:
            self.resumed.emit()

    @Slot(int, object)
    def _on_done(self, run_id: int, result: RunResult) -> None:
        if run_id == self._run_id:
            self.done.emit(result)

    @Slot(int, str)
    def _on_failed(self, run_id: int, message: str) -> None:
        if run_id == self._run_id:
            self.failed.emit(message)

    @Slot(int)
    def _on_ended(self, run_id: int) -> None:
        if run_id != self._run_id:
            return
        # The worker has returned from run(): its thread ends at once; join it so that
        # "not running" really means no thread is left.
        stop_and_wait(self._thread, SHUTDOWN_TIMEOUT_MS)
        self._thread = self._worker = self._control = None
        self.ended.emit()
