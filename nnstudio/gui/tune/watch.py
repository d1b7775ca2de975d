"""Keeps the Tune tab's study current while no session of the tab runs.

Other processes may go on adding trials to the study the tab shows (``nnstudio tune --join`` on
this or another machine, or a second window).  :class:`StudyWatch` reads the study again every
few seconds in a task thread, and hands the tab a snapshot only when something changed.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from ...tuning import StudySnapshot, open_study, param_importances, take_snapshot
from .study_box import TaskRunner

WATCH_INTERVAL_MS = 2000   # a storage read every two seconds while the tab is shown and idle
TASK_WATCH = "watch"


def signature(snapshot: StudySnapshot) -> tuple:
    """What a change of the study changes."""
    return tuple((r.number, r.state, r.value, len(r.intermediate)) for r in snapshot.rows), snapshot.confirm_done


def read_study(url: str | None, name: str, importances: dict, rated_complete: int) -> StudySnapshot:
    """The study now; its importances again only when the number of complete trials changed."""
    tuning = open_study(url, name, heartbeat=False)
    snapshot = take_snapshot(tuning, importances)
    if snapshot.count("COMPLETE") != rated_complete:
        snapshot = take_snapshot(tuning, param_importances(tuning.study))
        snapshot = replace(snapshot, rated_complete=snapshot.count("COMPLETE"))
    return snapshot


def rated_complete(snapshot: StudySnapshot) -> int:
    """The complete trials ``snapshot``'s importances were rated at."""
    return snapshot.rated_complete if snapshot.rated_complete >= 0 else snapshot.count("COMPLETE")


class StudyWatch(QObject):
    """Polls one study (see the module docstring).

    Signals:
        changed(object): a :class:`~nnstudio.tuning.StudySnapshot` that differs from the last one.
    """

    changed = Signal(object)

    def __init__(self, run_task: TaskRunner, shown: Callable[[], bool], parent: QObject | None = None):
        super().__init__(parent)
        self._run_task = run_task
        self._shown = shown
        self._study: tuple[str | None, str] | None = None
        self._last: StudySnapshot | None = None
        self._reading = False
        self.timer = QTimer(self)
        self.timer.setInterval(WATCH_INTERVAL_MS)
        self.timer.timeout.connect(self._tick)

    def watch(self, url: str | None, snapshot: StudySnapshot) -> None:
        """Follow the study of ``snapshot`` (in the store ``url``) from now on."""
        self._study = (url, snapshot.name)
        self._last = snapshot
        self.timer.start()
        if rated_complete(snapshot) != snapshot.count("COMPLETE"):  # trials completed since the last rating
            self.read_now()

    def pause(self) -> None:
        """Stop following (a session of the tab runs, or no existing study is shown)."""
        self._study = None
        self.timer.stop()

    def watching(self) -> str | None:
        return self._study[1] if self._study is not None else None

    def _tick(self) -> None:
        if self._shown():
            self.read_now()

    def read_now(self) -> None:
        """Read the study at once (in a task thread), unless a read is under way."""
        if self._study is None or self._reading:
            return
        url, name = self._study
        last = self._last
        importances = dict(last.importances) if last is not None else {}
        rated = rated_complete(last) if last is not None else -1  # its importances are of that count
        self._reading = True
        self._run_task(TASK_WATCH, lambda: read_study(url, name, importances, rated),
                       lambda snap, study=self._study: self._read(study, snap), self._failed)

    def _read(self, study, snapshot: StudySnapshot) -> None:
        self._reading = False
        if study != self._study:  # the tab moved on while the store was read
            return
        if self._last is None or signature(snapshot) != signature(self._last) \
                or snapshot.importances != self._last.importances:
            self._last = snapshot
            self.changed.emit(snapshot)

    def _failed(self, _message: str) -> None:
        self._reading = False  # a store that cannot be read now may be readable at the next tick
