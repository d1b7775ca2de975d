"""Keyboard shortcuts that belong to one widget and its children."""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget


def widget_shortcut(widget: QWidget, name: str, keys: str | QKeySequence, slot: Callable[[], object]) -> QAction:
    """An action named ``name`` on ``widget`` that runs ``slot`` when ``keys`` are pressed while the
    focus is in ``widget`` (or one of its children)."""
    action = QAction(widget)
    action.setObjectName(name)
    action.setShortcut(QKeySequence(keys))
    action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    action.triggered.connect(slot)
    widget.addAction(action)
    return action
