"""The threads of the Tune tab: one tuning (or confirmation) session and short background tasks.

:class:`TuningSession` makes and starts the workers, keeps them alive while they run (Qt does
not keep the Python wrappers of running workers), passes on what they report, collects the
session's messages, stops them and joins their threads.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject, QThread, Signal, Slot

from ...tuning import StopFlag
from ..qt.threads import start_worker, stop_and_wait
from .worker import ConfirmRequest, ConfirmWorker, RunRequest, TaskWorker, TuningRunWorker

SHUTDOWN_TIMEOUT_MS = 20000


class TuningSession(QObject):
    """Worker lifecycle of the Tune tab: one session at a time, any number of short tasks.

    Signals:
        started(object): a tuning session's :class:`~nnstudio.gui.tune.worker.RunStarted`.
        snapshot(object): a :class:`~nnstudio.tuning.StudySnapshot` of the study being tuned.
        tuningEnded(bool): the tuning session ended; whether it was stopped.
        confirmSnapshot(object): a snapshot of the study whose top trials are being confirmed.
        confirmationEnded(object, bool): the confirmation's result (None if it has none) and
            whether it was stopped.
    """

    started = Signal(object)
    snapshot = Signal(object)
    tuningEnded = Signal(bool)
    confirmSnapshot = Signal(object)
    confirmationEnded = Signal(object, bool)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._thread: QThread | None = None
        self._stop: StopFlag | None = None
        self._worker: QObject | None = None          # strong references: Qt does not keep the
        self._tasks: dict[QThread, TaskWorker] = {}   # Python wrappers of running workers alive
        self._task_stop = StopFlag()
        self._task_count = 0
        self._callbacks: dict[str, tuple[Callable[[object], None], Callable[[str], None]]] = {}
        self._confirm_result = None
        self.messages: list[str] = []                # what the running session's worker reported

    # -- the tuning session ----------------------------------------------------------------------
    def start_tuning(self, request: RunRequest) -> None:
        worker = TuningRunWorker(request, self._new_stop_flag())
        worker.started.connect(self._on_started)
        worker.snapshot.connect(self._on_snapshot)
        worker.finished.connect(self._on_tuning_finished)
        self._launch(worker, "tuning")

    def start_confirmation(self, request: ConfirmRequest) -> None:
        worker = ConfirmWorker(request, self._new_stop_flag())
        worker.snapshot.connect(self._on_confirm_snapshot)
        worker.confirmed.connect(self._on_confirmed)
        worker.finished.connect(self._on_confirm_finished)
        self._confirm_result = None
        self._launch(worker, "tuning-confirm")

    def _new_stop_flag(self) -> StopFlag:
        self._stop = StopFlag()
        self.messages = []
        return self._stop

    def _launch(self, worker, thread_name: str) -> None:
        worker.failed.connect(self._on_message)
        worker.message.connect(self._on_message)
        self._worker = worker
        self._thread = start_worker(worker, thread_name)

    def is_running(self) -> bool:
        return self._thread is not None

    def stopping(self) -> bool:
        """Whether Stop was pressed for the current (or last) session."""
        return self._stop is not None and self._stop.is_set()

    def stop(self) -> bool:
        """Ask the running session to end; False when none runs."""
        if self._stop is None or not self.is_running():
            return False
        self._stop.set()
        return True

    def _ended(self) -> bool:
        self._thread = None
        self._worker = None
        return self.stopping()

    @Slot(str)
    def _on_message(self, message: str) -> None:
        self.messages.append(message)

    @Slot(object)
    def _on_started(self, info) -> None:
        self.started.emit(info)

    @Slot(object)
    def _on_snapshot(self, snapshot) -> None:
        self.snapshot.emit(snapshot)

    @Slot()
    def _on_tuning_finished(self) -> None:
        self.tuningEnded.emit(self._ended())

    @Slot(object)
    def _on_confirm_snapshot(self, snapshot) -> None:
        self.confirmSnapshot.emit(snapshot)

    @Slot(object)
    def _on_confirmed(self, result) -> None:
        self._confirm_result = result

    @Slot()
    def _on_confirm_finished(self) -> None:
        stopped = self._ended()
        self.confirmationEnded.emit(self._confirm_result, stopped)

    # -- background tasks ------------------------------------------------------------------------
    def task_stop_flag(self) -> StopFlag:
        """Set when the window closes: long tasks (a test evaluation) check it."""
        return self._task_stop

    def run_task(self, kind: str, fn: Callable[[], object], on_done: Callable[[object], None],
                 on_failed: Callable[[str], None]) -> None:
        """Run ``fn`` in a thread; ``on_done(result)`` or ``on_failed(message)`` runs in this thread."""
        self._forget_finished_tasks()
        self._task_count += 1
        key = f"{kind}#{self._task_count}"
        self._callbacks[key] = (on_done, on_failed)
        worker = TaskWorker(key, fn)
        worker.done.connect(self._on_task_done)
        worker.failed.connect(self._on_task_failed)
        thread = start_worker(worker, f"tuning-{kind}")
        self._tasks[thread] = worker
        thread.finished.connect(self._forget_finished_tasks)

    @Slot(str, object)
    def _on_task_done(self, key: str, result) -> None:
        on_done, _ = self._callbacks.pop(key)
        on_done(result)

    @Slot(str, str)
    def _on_task_failed(self, key: str, message: str) -> None:
        _, on_failed = self._callbacks.pop(key)
        on_failed(message)

    @Slot()
    def _forget_finished_tasks(self) -> None:
        for thread in [t for t in self._tasks if _finished(t)]:
            self._tasks.pop(thread, None)

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


def _finished(thread: QThread) -> bool:
    try:
        return thread.isFinished()
    except RuntimeError:  # already deleted
        return True
