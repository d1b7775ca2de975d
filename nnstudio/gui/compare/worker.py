"""The compare tab's worker: drives a :class:`~nnstudio.compare.ComparisonRun` off the UI thread.

It checks that every variant fits the data, then forwards the run's events in batches at most
``MAX_UPDATES_PER_SECOND`` times a second (the events are immutable, so the UI thread can keep
them as they are).  :meth:`CompareWorker.stop` may be called from the UI thread at any time.
"""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import QObject, Signal, Slot

from ...compare import Comparison, ComparisonRun, check_fits_data
from ...compare.runner import describe_error
from ...errors import user_message

MAX_UPDATES_PER_SECOND = 20
log = logging.getLogger("nnstudio.compare")

BOOTSTRAP_MESSAGE = ("Worker processes could not start: the Python script that opened nnstudio runs again in each "
                     "worker. Put its start under `if __name__ == \"__main__\":`, start the window with the "
                     "`nnstudio` command, or give the Compare tab backend=\"thread\".")
BROKEN_POOL_MESSAGE = ("A worker process ended unexpectedly (out of memory, or killed): run again, with fewer "
                       "parallel workers if it happens again.")
START_FAILED_MESSAGE = "Could not start the worker processes ({error}): close other programs or use fewer parallel " \
                       "workers, then run again."


def failure_message(exc: BaseException) -> str:
    """One line that says what went wrong and what to do (an error's own text can be a page long)."""
    from concurrent.futures.process import BrokenProcessPool

    if _is_users(exc):
        return str(exc)
    text = str(exc)
    if isinstance(exc, RuntimeError) and "bootstrapping phase" in text:
        # multiprocessing's advice on the __main__ guard, raised when a worker re-runs the script
        return BOOTSTRAP_MESSAGE
    if isinstance(exc, BrokenProcessPool):
        return BROKEN_POOL_MESSAGE
    if isinstance(exc, OSError):  # no memory, too many open files or processes
        return START_FAILED_MESSAGE.format(error=f"{type(exc).__name__}: {exc.strerror or text}".strip())
    first = next((line.strip() for line in describe_error(exc).splitlines() if line.strip()), type(exc).__name__)
    return first if first != f"{type(exc).__name__}:" else type(exc).__name__


def _is_users(exc: BaseException) -> bool:
    """A mistake in what the user asked for (a user error, or a value the comparison refuses)."""
    return user_message(exc) is not None or isinstance(exc, ValueError)


class CompareWorker(QObject):
    """Signals: ``progressed(list[RunEvent])``, ``failed(str)`` (nothing ran), ``finished()``."""

    progressed = Signal(list)
    failed = Signal(str)
    finished = Signal()

    def __init__(self, comparison: Comparison, *, workers: int | None = None, backend: str = "process"):
        super().__init__()
        self.comparison = comparison
        self.run_ = ComparisonRun(comparison, workers=workers, backend=backend)

    def stop(self) -> None:
        """Ask every run to end (thread-safe: sets a flag the workers poll)."""
        self.run_.stop()

    @Slot()
    def run(self) -> None:
        try:
            if not self.run_.stop_requested:
                check_fits_data(self.comparison)
                self._forward()
        except Exception as exc:  # shown in the tab; the window must survive any failure here
            if not _is_users(exc):
                log.error("The comparison failed", exc_info=exc)  # the whole error, for a bug report
            self.failed.emit(failure_message(exc))
        finally:
            self.finished.emit()

    def _forward(self) -> None:
        interval = 1.0 / MAX_UPDATES_PER_SECOND
        batch: list = []
        last = time.monotonic()
        for event in self.run_.events(heartbeat=True):
            if event is not None:
                batch.append(event)
            now = time.monotonic()
            if batch and now - last >= interval:
                self.progressed.emit(batch)
                batch, last = [], now
        if batch:
            self.progressed.emit(batch)
