"""A read-only log pane fed by Python ``logging``, safe to log into from any thread.

:class:`SignalLogHandler` formats each record and emits it through a Qt signal; the signal
is delivered to the GUI thread (queued), where :class:`LogView` appends it.  Lines arriving
in a burst are appended together on the next event-loop turn, so a chatty logger costs one
repaint, not one per line.  The pane shows the newest line unless the user has scrolled up
to read older ones (scrolling back to the end follows again).
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
        # Follow the newest line.  Qt's own rule (scroll only when the bar is at its end before
        # an append) loses track as soon as the pane is resized or re-wrapped between appends,
        # which grows the range without moving the bar; from then on it never follows again.
        self._follow = True
        self._scrolling = False
        bar = self.verticalScrollBar()
        bar.actionTriggered.connect(self._on_user_scroll)
        bar.rangeChanged.connect(self._keep_following)
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

    @property
    def following(self) -> bool:
        """True while the pane keeps its newest line in view."""
        return self._follow

    def _on_user_scroll(self, _action: int) -> None:
        # the wheel, the arrows and dragging: actionTriggered is emitted once the slider
        # position has moved and before the value follows it
        bar = self.verticalScrollBar()
        self._follow = bar.sliderPosition() >= bar.maximum()

    def _update_follow(self) -> None:
        bar = self.verticalScrollBar()
        self._follow = bar.value() >= bar.maximum()

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Page Up, Ctrl+End... move the view directly
        super().keyPressEvent(event)
        self._update_follow()

    def _keep_following(self, _minimum: int = 0, _maximum: int = 0) -> None:
        """Scroll to the end, the last line fully in view."""
        if not self._follow or self._scrolling:
            return
        self._scrolling = True  # the range it recomputes comes back through rangeChanged
        try:
            bar = self.verticalScrollBar()
            bar.setValue(bar.maximum())
            # With wrapped lines the range is an estimate: a block not laid out since the last
            # append or resize counts as one line, so the end of a long last line stays below
            # the pane.  Lay out the blocks from the top of the pane down, then let the editor
            # recompute its range from them.
            layout = self.document().documentLayout()
            block = self.firstVisibleBlock()
            while block.isValid():
                layout.blockBoundingRect(block)
                block = block.next()
            layout.documentSizeChanged.emit(layout.documentSize())
            bar.setValue(bar.maximum())
        finally:
            self._scrolling = False

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._keep_following()

    def clear(self) -> None:
        super().clear()
        self._follow = True

    @Slot(str)
    def _queue(self, line: str) -> None:
        self._buffer.append(line)
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    def _flush(self) -> None:
        if self._buffer:
            text, self._buffer = "\n".join(self._buffer), []
            self.appendPlainText(text)
            self._keep_following()

    def flush(self) -> None:
        """Append buffered lines now (tests and exports read the text right after a run)."""
        self._flush_timer.stop()
        self._flush()
