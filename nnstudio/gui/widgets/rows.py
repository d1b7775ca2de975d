"""Small layout helpers: a row of widgets, a page of parts."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QSlider, QVBoxLayout, QWidget


def row(*widgets: QWidget, stretch: bool = False, trailing=()) -> QHBoxLayout:
    """Widgets side by side without margins; line edits and sliders take the free width, unless
    ``stretch`` puts the free width after the widgets.  ``trailing`` widgets come last."""
    layout = QHBoxLayout()
    layout.setContentsMargins(0, 0, 0, 0)
    for w in widgets:
        layout.addWidget(w, 1 if isinstance(w, (QSlider, QLineEdit)) else 0)
    if stretch:
        layout.addStretch(1)
    for w in trailing:
        layout.addWidget(w)
    return layout


def page(parent: QWidget, *parts) -> QWidget:
    """A page of widgets and layouts, top to bottom; widgets other than labels share the height."""
    widget = QWidget(parent)
    layout = QVBoxLayout(widget)
    layout.setContentsMargins(4, 4, 4, 4)
    for part in parts:
        if isinstance(part, QWidget):
            layout.addWidget(part, 1 if not isinstance(part, QLabel) else 0)
        else:
            layout.addLayout(part)
    return widget
