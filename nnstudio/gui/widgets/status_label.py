"""A status banner whose height is bounded: a long message is cut short and shown whole on hover."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from ..qt.style import set_severity

STATUS_MAX_LINES = 4  # a longer message is cut short; the whole of it is in the tooltip


class StatusLabel(QLabel):
    """A wrapped message of at most ``max_lines`` lines.

    A longer message (a long list of problems, an error with many lines) is cut to what fits and
    ends in "…"; the whole message is in the tooltip and :meth:`full_text`.  Its height is
    bounded, so no message can make the window taller.  With ``reserve`` the label always takes
    the height of ``max_lines`` lines, empty or not: the widgets around it never move when a
    message comes, grows or goes.
    """

    def __init__(self, parent: QWidget | None = None, max_lines: int = STATUS_MAX_LINES, reserve: bool = False):
        super().__init__("", parent)
        self.max_lines = max_lines
        self._reserve = reserve
        self._full = ""
        self.setWordWrap(True)
        if reserve:  # the first line stays where it is, however many lines the message has
            self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setTextFormat(Qt.TextFormat.PlainText)

    def full_text(self) -> str:
        return self._full

    def is_cut(self) -> bool:
        return self.text() != self._full

    def set_message(self, text: str) -> None:
        self._full = text
        self._fit()

    def setText(self, text: str) -> None:  # noqa: N802 - every message is bounded, however it is set
        self.set_message(text)

    def show_message(self, text: str, severity: str = "") -> None:
        """Show ``text`` styled for ``severity``; an empty text hides the banner."""
        set_severity(self, severity)
        self.set_message(text)  # after the style: its padding and border count in the height
        self.setVisible(bool(text) or self._reserve)

    def changeEvent(self, event) -> None:  # a new style sheet or font changes the line height
        super().changeEvent(event)
        if event.type() in (event.Type.StyleChange, event.Type.FontChange):
            self._fit()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._fit()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if event.oldSize().width() != event.size().width():
            self._fit()

    def _frame_height(self) -> int:
        """Padding, border and margin above and below the text."""
        margins = self.contentsMargins()
        return margins.top() + margins.bottom() + 2 * (self.frameWidth() + self.margin()) + 2  # + a 1 px border

    def _fit(self) -> None:
        metrics = self.fontMetrics()
        margins = self.contentsMargins()
        chrome = margins.left() + margins.right() + 2 * (self.frameWidth() + self.margin()) + 2
        height = self.max_lines * metrics.lineSpacing() + self._frame_height() + 2
        if self._reserve:
            self.setFixedHeight(height)
        else:
            self.setMaximumHeight(height)
        room = max(self.width() - chrome, 40)
        text = self._full
        if self.isVisible() and self._lines(text, room) > self.max_lines:  # hidden: no width to cut to yet
            lo, hi = 0, len(text)  # the longest start of the message that fits, with "…"
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if self._lines(text[:mid].rstrip() + "…", room) <= self.max_lines:
                    lo = mid
                else:
                    hi = mid - 1
            text = text[:lo].rstrip() + "…"
        if text != self.text():
            QLabel.setText(self, text)
        self.setToolTip(self._full if text != self._full else "")

    def _lines(self, text: str, width: int) -> int:
        metrics = self.fontMetrics()
        rect = metrics.boundingRect(0, 0, width, 1 << 20, int(Qt.TextFlag.TextWordWrap), text)
        return max(1, round(rect.height() / metrics.lineSpacing()))


class MessageBanner(QLabel):
    """A wrapped, selectable message styled by its ``severity`` (see :func:`~..qt.style.banner_style`),
    at least ``min_lines`` lines high so that the widgets below do not jump as messages change."""

    def __init__(self, name: str, min_lines: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName(name)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.setMinimumHeight(min_lines * self.fontMetrics().lineSpacing() + 10)

    def show_message(self, text: str, severity: str = "info") -> None:
        self.setText(text)
        set_severity(self, severity)
        # Take the height the wrapped text needs now, not at the next layout pass: until then a
        # message longer than the last one has its last line cut off (in every frame or grab
        # taken before the event loop runs again).
        self.updateGeometry()
        owner = self.parentWidget()
        if owner is not None and owner.layout() is not None:
            owner.layout().activate()
