"""What the Lab's pages share: one background job at a time, and a status line.

A :class:`JobPage` starts a worker object (with ``stop()``, ``stopped`` and a ``finished``
signal) on its own ``QThread``, stops it, joins its thread when it ends or the window closes, and
shows what it says in a banner coloured by severity.  :meth:`JobPage._lay_out` arranges a page
the same way each time: a row of controls, the status banner under it, the views below.
"""

from __future__ import annotations

from typing import Iterable

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget

from ..qt.style import banner_style, set_severity
from ..qt.threads import start_worker, stop_and_wait

SHUTDOWN_TIMEOUT_MS = 15000


class JobPage(QWidget):
    """A page that runs one background job.  Subclasses set ``status`` (a banner label) and
    implement :meth:`_set_running` and :meth:`_ended`."""

    thread_name = "lab"

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._worker = None
        self._thread = None
        self.status: QLabel | None = None

    def _lay_out(self, controls: Iterable[QWidget], status: QLabel, views: QWidget) -> None:
        """The page's layout: ``controls`` in a row (left-aligned), the ``status`` banner (wrapped,
        styled, kept as :attr:`status`) under it, and ``views`` taking the remaining height."""
        status.setWordWrap(True)
        status.setStyleSheet(banner_style(status.objectName()))
        self.status = status
        top = QHBoxLayout()
        for widget in controls:
            top.addWidget(widget)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(status)
        layout.addWidget(views, 1)

    def is_running(self) -> bool:
        return self._worker is not None

    def _launch(self, worker, busy_text: str) -> None:
        """Run ``worker`` in a new thread; the page shows it as running until it finishes."""
        worker.finished.connect(self._job_finished)
        self._worker = worker
        self._set_running(True)
        self._show(busy_text, "busy")
        self._thread = start_worker(worker, self.thread_name)

    def stop(self) -> bool:
        """Ask the job to end; False when none runs."""
        if self._worker is None:
            return False
        self._worker.stop()
        return True

    def shutdown(self) -> None:
        """Stop the job and join its thread (the window is closing)."""
        self.stop()
        stop_and_wait(self._thread, SHUTDOWN_TIMEOUT_MS)
        self._worker = self._thread = None

    def _job_finished(self) -> None:
        stopped = self._worker is not None and self._worker.stopped
        stop_and_wait(self._thread, SHUTDOWN_TIMEOUT_MS)
        self._worker = self._thread = None
        self._set_running(False)
        self._ended(stopped)

    def _set_running(self, running: bool) -> None:
        raise NotImplementedError

    def _ended(self, stopped: bool) -> None:
        raise NotImplementedError

    def _show(self, text: str, severity: str = "info") -> None:
        self.status.setText(text)
        set_severity(self.status, severity)


def spin(parent, name: str, lo: int, hi: int, value: int, tip: str) -> QSpinBox:
    box = QSpinBox(parent)
    box.setObjectName(name)
    box.setRange(lo, hi)
    box.setValue(value)
    box.setToolTip(tip)
    return box


def button(parent, name: str, text: str, tip: str) -> QPushButton:
    push = QPushButton(text, parent)
    push.setObjectName(name)
    push.setToolTip(tip)
    return push
