"""Python's cycle collector, run on the GUI thread only.

The collector runs in whichever thread happens to allocate when a generation's threshold is
reached.  When that is a worker thread and the garbage holds Qt objects (a closed dialog, a
widget in a reference cycle), their destructors run in that thread and wait on the connection
lock the GUI thread may hold while it deletes another object: the window freezes for good.  So
automatic collection is turned off and a timer on the GUI thread collects the generations whose
thresholds were reached, as the automatic collector would have.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

COLLECT_INTERVAL_MS = 500


class GuiThreadCollector(QObject):
    """Turns automatic collection off while it lives; collects on its own (GUI) thread's timer."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = COLLECT_INTERVAL_MS):
        super().__init__(parent)
        gc.disable()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.collect_due)
        self._timer.start(interval_ms)

    def collect_due(self) -> int:
        """Collect the oldest generation whose count passed its threshold; the objects freed."""
        counts, thresholds = gc.get_count(), gc.get_threshold()
        for generation in (2, 1, 0):
            if counts[generation] > thresholds[generation]:
                return gc.collect(generation)
        return 0

    def stop(self) -> None:
        self._timer.stop()
        gc.enable()


def collect_on_gui_thread(app: QObject) -> GuiThreadCollector:
    """Install the collector as a child of ``app`` (call on the GUI thread)."""
    return GuiThreadCollector(app)
