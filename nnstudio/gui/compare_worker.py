"""The compare tab's worker: drives a :class:`~nnstudio.compare.ComparisonRun` off the UI thread.

It checks that every variant fits the data, then forwards the run's events in batches at most
``MAX_UPDATES_PER_SECOND`` times a second (the events are immutable, so the UI thread can keep
them as they are).  :meth:`CompareWorker.stop` may be called from the UI thread at any time.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, Signal, Slot

from ..compare import Comparison, ComparisonRun, check_fits_data
from ..compare.runner import describe_error

MAX_UPDATES_PER_SECOND = 20


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
            self.failed.emit(describe_error(exc) if not isinstance(exc, ValueError) else str(exc))
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
