"""Named widgets in one call: a push button with its tooltip, a splitter of panes.

Every widget gets an object name, so tests and style sheets find it; these build the common
ones the same way in every tab.
"""

from __future__ import annotations

from typing import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton, QSplitter, QWidget


def named_button(text: str, name: str, tip: str, parent: QWidget | None) -> QPushButton:
    """A push button called ``name`` that explains itself with ``tip``."""
    button = QPushButton(text, parent)
    button.setObjectName(name)
    button.setToolTip(tip)
    return button


def named_splitter(orientation: Qt.Orientation, name: str, panes: Sequence[QWidget], stretch: Sequence[int],
                   parent: QWidget | None = None) -> QSplitter:
    """A splitter called ``name`` holding ``panes`` (pane i grows by ``stretch[i]``); no pane
    can be collapsed away."""
    splitter = QSplitter(orientation, parent)
    splitter.setObjectName(name)
    for pane in panes:
        splitter.addWidget(pane)
    for i, factor in enumerate(stretch):
        splitter.setStretchFactor(i, factor)
    splitter.setChildrenCollapsible(False)
    return splitter
