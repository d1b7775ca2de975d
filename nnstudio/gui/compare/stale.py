"""Whether the Compare tab's results still belong to the editor's design.

After a comparison, the design may change in the editor.  :class:`StaleWatch` compares the
editor's design with the one the results came from, twice a second while the tab is shown (a
comparison of two configs, no work), and says when that changes: the tab then marks its results
as from the previous design, and unmarks them when an undo brings that design back.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from ...config import ExperimentConfig

CHECK_INTERVAL_MS = 500


class StaleWatch(QObject):
    """Signals: ``staleChanged(bool)``: the results now are (True) or are again not (False) stale."""

    staleChanged = Signal(bool)

    def __init__(self, provider: Callable[[], ExperimentConfig], shown: Callable[[], bool],
                 parent: QObject | None = None):
        super().__init__(parent)
        self._provider = provider
        self._shown = shown
        self._design: ExperimentConfig | None = None
        self.stale = False
        self.timer = QTimer(self)
        self.timer.setInterval(CHECK_INTERVAL_MS)
        self.timer.timeout.connect(self.check)

    def track(self, design: ExperimentConfig | None) -> None:
        """The results shown now come from ``design`` (None: there are none to mark)."""
        self._design = design
        self._set(False)
        if design is None:
            self.timer.stop()
        else:
            self.timer.start()

    def check(self) -> None:
        if self._design is None or not self._shown():
            return
        try:
            now = self._provider()
        except Exception:  # a design mid-edit that is not valid yet is not the design of the results
            now = None
        self._set(now != self._design)

    def _set(self, stale: bool) -> None:
        if stale != self.stale:
            self.stale = stale
            self.staleChanged.emit(stale)
