"""The status bar's verdict on the design: ready to train, training, or what is wrong (with a link)."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from ..editor.problems import describe_problem, problem_pointer
from ..qt.style import BUSY_TEXT, ERROR_TEXT, SUCCESS_TEXT, text_color_style

ELIDE_PX = 520  # a longer problem is cut short; the whole of it is in the tooltip


class ValidityLabel(QLabel):
    """``validityLabel``: "Ready to train", "Training", or "⚠ <problem> Show" where Show is a link
    (``linkActivated`` carries the field path of the control to reveal)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("validityLabel")
        self.setTextFormat(Qt.TextFormat.RichText)

    def show_state(self, running: bool, valid: bool, problem) -> None:
        """``problem``: the editor's (None when the design can be trained)."""
        if running:
            self.setText("Training")
            self.setStyleSheet(text_color_style(BUSY_TEXT))
            self.setToolTip("A run is in progress; the design is locked until it ends (Stop: Shift+F5).")
            return
        if valid or problem is None:
            self.setText("Ready to train")
            self.setStyleSheet(text_color_style(SUCCESS_TEXT))
            self.setToolTip("")
            return
        text = problem_pointer(problem)  # the panel of the field says it in full, once
        short = self.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, ELIDE_PX)
        self.setText(f'⚠ {html.escape(short)} <a href="{html.escape(problem.field)}">Show</a>')
        self.setStyleSheet(text_color_style(ERROR_TEXT))
        self.setToolTip(describe_problem(problem))
