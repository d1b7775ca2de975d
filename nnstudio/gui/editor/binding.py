"""Two-way links between widgets and config fields.

One small connector per widget type: ``refresh(cfg)`` shows the config's value with the
widget's signals blocked (so showing a value never creates an edit), and a user change becomes
one undoable edit through the :class:`ConfigEditor`.  Spin-box edits of the same field merge
into one undo step.
"""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import QEvent, QObject, QSignalBlocker, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (QAbstractButton, QAbstractSpinBox, QComboBox, QDockWidget, QLineEdit, QScrollArea,
                               QWidget)

from ...config import ExperimentConfig
from .controller import ConfigEditor
from .problems import field_title
from ...design.edits import get_field, set_field
from ..widgets.inputs import decimal_comma, range_text, refused_entry

Writer = Callable[[ExperimentConfig, Any], ExperimentConfig]


class Connector:
    """Links ``widget`` to the field at ``path``.

    Args:
        label: how the undo history names the field ("learning rate").
        write: builds the new config from a value (default: set the field); lets a choice
            change related fields in the same step, as a loss choosing its output activation.
        read: gets the value from a config (default: the field at ``path``).
        merge: consecutive edits of this field become one undo step.
    """

    signal_name = ""

    def __init__(self, widget: QWidget, path: str, editor: ConfigEditor, label: str,
                 write: Writer | None = None, merge: bool = False,
                 read: Callable[[ExperimentConfig], Any] | None = None):
        self.widget, self.path, self.editor, self.label = widget, path, editor, label
        self.write = write or (lambda cfg, value: set_field(cfg, path, value))
        self._read = read or (lambda cfg: get_field(cfg, path))
        self.merge = merge
        widget.setProperty("configField", path)
        getattr(widget, self.signal_name).connect(self._on_widget)

    def read(self, cfg: ExperimentConfig) -> Any:
        return self._read(cfg)

    def refresh(self, cfg: ExperimentConfig) -> None:
        blocker = QSignalBlocker(self.widget)
        try:
            self.show_value(self.read(cfg))
        finally:
            blocker.unblock()

    def _on_widget(self, *_args) -> None:
        value = self.widget_value()
        cfg = self.editor.config
        if value == self.read(cfg):
            return
        self.editor.edit(self.write(cfg, value), f"Set {self.label} to {self.describe(value)}",
                         merge_key=self.path if self.merge else None)
        # the editor may have adjusted or refused the value: show what the config holds
        self.refresh(self.editor.config)

    def describe(self, value: Any) -> str:
        return f"{value:g}" if isinstance(value, float) else str(value)

    # widget-type specific
    def widget_value(self) -> Any:
        raise NotImplementedError

    def show_value(self, value: Any) -> None:
        raise NotImplementedError


class ComboConnector(Connector):
    """A QComboBox whose items carry the field's values as item data."""

    signal_name = "currentIndexChanged"

    def widget_value(self):
        return self.widget.currentData()

    def show_value(self, value):
        index = self.widget.findData(value)
        if index < 0:  # a name not offered here (from a file): show it rather than hide it
            self.widget.addItem(f"{value} (unknown)", value)
            index = self.widget.count() - 1
        self.widget.setCurrentIndex(index)


class _UndoKeysToWindow(QObject):
    """Let Undo/Redo keys pressed in a bound text field reach the window's Undo/Redo actions.

    A spin box or line edit otherwise claims Ctrl+Z for its own text history, which is empty
    after every committed value, so the key would do nothing at all.
    """

    KEYS = (QKeySequence.StandardKey.Undo, QKeySequence.StandardKey.Redo)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.ShortcutOverride and (
                any(event.matches(k) for k in self.KEYS) or event.keyCombination() == REDO_ALTERNATIVE):
            event.ignore()  # not claimed here: the shortcut goes to the window
            return True
        return False


_UNDO_KEYS = _UndoKeysToWindow()
REDO_ALTERNATIVE = QKeySequence("Ctrl+Y")[0]


class _RefusedEntries(QObject):
    """Catch a typed number the spin box will not take, as Return or leaving the box commits it
    (before the box silently puts its last value back), and have the editor say why."""

    COMMIT_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)

    def __init__(self, connector: "SpinConnector"):
        super().__init__(connector.widget)
        self.connector = connector

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        kind = event.type()
        if kind == QEvent.Type.FocusOut or (kind == QEvent.Type.KeyPress and event.key() in self.COMMIT_KEYS):
            self.connector.check_entry()
        return False


class SpinConnector(Connector):
    signal_name = "valueChanged"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("merge", True)
        super().__init__(*args, **kwargs)
        self.widget.installEventFilter(_UNDO_KEYS)
        self._refusals = _RefusedEntries(self)
        self.widget.installEventFilter(self._refusals)
        self.widget.lineEdit().installEventFilter(self._refusals)

    def check_entry(self) -> None:
        """Report a typed value out of the box's range: the box keeps its value."""
        if not refused_entry(self.widget):
            return
        title = field_title(self.path)
        if title == self.path:
            title = self.label[:1].upper() + self.label[1:]
        current = self.widget.textFromValue(self.widget.value())
        typed = self.widget.cleanText().strip()
        hint = f" (decimals take a point: {typed.replace(',', '.')})" if decimal_comma(self.widget) else ""
        message = (f"{title}: {typed} was not applied{hint}; allowed: "
                   f"{range_text(self.widget)}. It stays {current}.")
        self.editor.entryRefused.emit(self.path, message)

    def widget_value(self):
        return self.widget.value()

    def show_value(self, value):
        self.widget.setValue(value)


class CheckConnector(Connector):
    signal_name = "toggled"

    def widget_value(self):
        return self.widget.isChecked()

    def show_value(self, value):
        self.widget.setChecked(bool(value))

    def describe(self, value):
        return "on" if value else "off"


class LineConnector(Connector):
    signal_name = "editingFinished"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.widget.installEventFilter(_UNDO_KEYS)

    def widget_value(self):
        return self.widget.text().strip()

    def show_value(self, value):
        self.widget.setText(str(value))


CONNECTORS: list[tuple[type, type[Connector]]] = [
    (QComboBox, ComboConnector),
    (QAbstractSpinBox, SpinConnector),
    (QAbstractButton, CheckConnector),
    (QLineEdit, LineConnector),
]


def connect_field(widget: QWidget, path: str, editor: ConfigEditor, label: str, **kwargs) -> Connector:
    """The connector for ``widget``'s type (a spin box, combo box, check box or line edit)."""
    for widget_type, connector in CONNECTORS:
        if isinstance(widget, widget_type):
            return connector(widget, path, editor, label, **kwargs)
    raise TypeError(f"no connector for {type(widget).__name__}")


def reveal_field(root: QWidget, path: str) -> QWidget | None:
    """Find the control bound to ``path`` under ``root``, bring its dock to the front, scroll
    it into view and focus it.  Returns the control, or None when no control edits that field."""
    widget = next((w for w in root.findChildren(QWidget) if w.property("configField") == path), None)
    if widget is None:
        return None
    ancestor = widget.parentWidget()
    while ancestor is not None:
        if isinstance(ancestor, QDockWidget):
            ancestor.show()
            ancestor.raise_()
        elif isinstance(ancestor, QScrollArea) and ancestor.widget() is not None \
                and ancestor.widget().isAncestorOf(widget):
            ancestor.ensureWidgetVisible(widget)
        ancestor = ancestor.parentWidget()
    widget.setFocus(Qt.FocusReason.OtherFocusReason)
    return widget
