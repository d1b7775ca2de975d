"""Trying a suggested fix off the UI thread: a worker object around :class:`~nnstudio.doctor.FixTrial`.

Signals: ``progressed(done, total)`` in epochs, at most ``MAX_UPDATES_PER_SECOND`` times a
second; ``verdictReady(Verdict)``; ``failed(str)``; ``finished()`` always last.  :meth:`stop` may
be called from the UI thread at any time (the runs end within one mini-batch).
"""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import QObject, Signal, Slot

from ...config import ExperimentConfig
from ...doctor import FixTrial
from ...engine.findings import Suggestion
from ..compare.worker import failure_message

MAX_UPDATES_PER_SECOND = 10
log = logging.getLogger("nnstudio.doctor")


class FixWorker(QObject):
    progressed = Signal(int, int)
    verdictReady = Signal(object)
    failed = Signal(str)
    finished = Signal()

    def __init__(self, config: ExperimentConfig, suggestion: Suggestion, *, seeds: int = 3,
                 backend: str = "process"):
        super().__init__()
        self.trial = FixTrial(config, [suggestion], seeds=seeds, backend=backend)

    def stop(self) -> None:
        self.trial.stop()

    @Slot()
    def run(self) -> None:
        try:
            last = 0.0
            for done, total in self.trial.run():
                now = time.monotonic()
                if now - last >= 1.0 / MAX_UPDATES_PER_SECOND or done == total:
                    self.progressed.emit(done, total)
                    last = now
            errors = self.trial.errors()
            if self.trial.verdicts and not errors:
                self.verdictReady.emit(self.trial.verdicts[0])
            elif errors:
                self.failed.emit(f"A run failed, so there is no verdict: {errors[0]}")
        except Exception as exc:  # shown on the card; the window must survive any failure here
            log.error("Trying the fix failed", exc_info=exc)
            self.failed.emit(failure_message(exc))
        finally:
            self.finished.emit()
