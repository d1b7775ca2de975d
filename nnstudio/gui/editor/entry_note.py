"""The red line under a panel's title that says why a typed value was not applied.

A spin box does not take a number outside its range: it puts its last value back.  The
connector reports such an entry through :attr:`ConfigEditor.entryRefused`; this line shows it
(with a Show link to the control) until that field's value changes.
"""

from __future__ import annotations

import html
from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from ...config import ExperimentConfig
from ...design.edits import get_field
from .binding import reveal_field
from .controller import ConfigEditor

ERROR_BANNER_STYLE = ("QLabel { color: #b71c1c; background: #fdecea; border: 1px solid #f5c2c0;"
                      " border-radius: 3px; padding: 4px; }")


class RefusedEntryNote(QLabel):
    """Shows the refusals of the fields for which ``owns(path)`` is true, newest last."""

    def __init__(self, editor: ConfigEditor, owns: Callable[[str], bool], name: str,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName(name)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setStyleSheet(ERROR_BANNER_STYLE)
        self.hide()
        self._owns = owns
        self._editor = editor
        self._config = editor.config
        self._refused: dict[str, str] = {}
        editor.entryRefused.connect(self._on_refused)
        editor.configChanged.connect(self._on_config)
        self.linkActivated.connect(lambda path: reveal_field(self.window(), path))

    def messages(self) -> list[str]:
        return list(self._refused.values())

    def _on_refused(self, path: str, message: str) -> None:
        if not self._owns(path):
            return
        self._refused.pop(path, None)
        if message:
            self._refused[path] = message
        self._show()

    def _on_config(self, cfg: ExperimentConfig) -> None:
        old, self._config = self._config, cfg
        for path in list(self._refused):
            if _value(old, path) != _value(cfg, path):
                del self._refused[path]
        self._show()

    def _show(self) -> None:
        lines = [f'⚠ {html.escape(text)} <a href="{html.escape(path)}">Show</a>'
                 for path, text in self._refused.items()]
        self.setText("<br>".join(lines))
        self.setVisible(bool(lines))


def _value(cfg: ExperimentConfig, path: str):
    try:
        return get_field(cfg, path)
    except (AttributeError, KeyError):  # a data-set option at its default
        return None
