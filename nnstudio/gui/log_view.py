"""A read-only log pane fed by Python ``logging``, safe to log into from any thread.

:class:`SignalLogHandler` formats each record and emits it through a Qt signal; the signal
is delivered to the GUI thread (queued), where :class:`LogView` appends it.  Lines arriving
in a burst are appended together on the next event-loop turn, so a chatty logger costs one
repaint, not one per line.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QPlainTextEdit, QWidget

TRAINING_LOGGER = "nnstudio.training"
MAX_LINES = 5000
FLUSH_DELAY_MS = 50


class _Bridge(QObject):
    line = Signal(str)


class _PaneFormatter(logging.Formatter):
    """``12:03:04  message``; warnings and errors also name their level."""

    def __init__(self):
        super().__init__("%(asctime)s  %(message)s", "%H:%M:%S")

    def formatMessage(self, record: logging.LogRecord) -> str:
        text = super().formatMessage(record)
        if record.levelno >= logging.WARNING:
            stamp, _, message = text.partition("  ")
            text = f"{stamp}  {record.levelname}: {message}"
        return text


class SignalLogHandler(logging.Handler):
    """A ``logging.Handler`` that re-emits formatted records as ``bridge.line(str)``."""

    def __init__(self, level: int = logging.INFO):
        super().__init__(level)
        self.bridge = _Bridge()
        self.setFormatter(_PaneFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.bridge.line.emit(self.format(record))
        except RuntimeError:  # the pane is gone (window closed): stop forwarding
            logging.getLogger(record.name).removeHandler(self)
        except Exception:
            self.handleError(record)


class LogView(QPlainTextEdit):
    """The training log (``objectName`` ``logView``): read-only, bounded to ``MAX_LINES`` lines."""

    def __init__(self, logger_name: str = TRAINING_LOGGER, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("logView")
        self.setReadOnly(True)
        self.setMaximumBlockCount(MAX_LINES)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.setPlaceholderText("The training log appears here: a line every log_every epochs, "
                                "warnings and the final result.")
        self.setToolTip("Training log (Python logging, logger 'nnstudio.training').\n"
                        "A line is written every log_every epochs (50 by default), as in the article.")
        self._buffer: list[str] = []
        self._flush_timer = QTimer(self, singleShot=True, interval=FLUSH_DELAY_MS)
        self._flush_timer.timeout.connect(self._flush)
        self._logger = logging.getLogger(logger_name)
        if self._logger.getEffectiveLevel() > logging.INFO:
            self._logger.setLevel(logging.INFO)
        self.handler = SignalLogHandler()
        self.handler.bridge.line.connect(self._queue)
        self._logger.addHandler(self.handler)
        # Detach from the (global) logger when the pane is destroyed; the callback holds
        # no reference to self, which no longer exists then.
        self.destroyed.connect(lambda *_, lg=self._logger, h=self.handler: lg.removeHandler(h))

    def detach(self) -> None:
        """Stop receiving log records (called when the window closes)."""
        self._logger.removeHandler(self.handler)

    @Slot(str)
    def _queue(self, line: str) -> None:
        self._buffer.append(line)
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    def _flush(self) -> None:
        if self._buffer:
            text, self._buffer = "\n".join(self._buffer), []
            self.appendPlainText(text)

    def flush(self) -> None:
        """Append buffered lines now (tests and exports read the text right after a run)."""
        self._flush_timer.stop()
        self._flush()
