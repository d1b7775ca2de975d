"""The help pane: the longer explanation of whichever control has the keyboard focus."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QModelIndex
from PySide6.QtWidgets import QAbstractItemView, QApplication, QTextBrowser, QWidget

from ...data import DATASETS
from .controller import ConfigEditor
from ...design.edits import get_field
from ...design.help_texts import HELP, Help, choice_tip, dataset_help, help_html, param_help

# layer-table column -> help key (see layer_editor.HEADERS)
_LAYER_COLUMN_KEYS = {1: "layer.units", 2: "layer.activation", 3: "layer.dropout_rate", 4: "layer.batch_norm"}

WELCOME = (  # no heading: the dock's title already says "Help", and a low dock has no line to spare
    "<p>Click any control to read what it does and the formula behind it. "
    "Hovering shows a short version as a tooltip.</p>"
    "<p>Choose a data set, stack the layers, set the hyperparameters, and press "
    "<b>Train</b> (F5) to watch the network learn.</p>")


def help_key_of(widget: QWidget | None) -> tuple[str, QWidget | None]:
    """The ``helpKey`` property of ``widget`` or its nearest ancestor, and that widget."""
    while widget is not None:
        key = widget.property("helpKey")
        if key:
            return str(key), widget
        widget = widget.parentWidget()
    return "", None


class HelpPane(QTextBrowser):
    """Shows :data:`HELP` pages for the focused control (and its current choice)."""

    def __init__(self, editor: ConfigEditor, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("helpPane")
        self.editor = editor
        self.setOpenExternalLinks(False)
        self.key = ""
        self.setHtml(WELCOME)
        QApplication.instance().focusChanged.connect(self._on_focus)
        editor.configChanged.connect(lambda _cfg: self._show(self.key, None))

    def _on_focus(self, _old: QWidget | None, new: QWidget | None) -> None:
        if new is None or not shiboken6.isValid(self.editor) or new is self or self.isAncestorOf(new):
            return
        key, owner = help_key_of(new)
        if key:
            self._show(key, owner)

    def show_key(self, key: str) -> None:
        self._show(key, None)

    def follow_view(self, view: QAbstractItemView) -> None:
        """Follow the current cell of ``view`` (moving between cells does not change focus)."""
        view.selectionModel().currentChanged.connect(
            lambda *_: self._show(help_key_of(view)[0], view) if view.hasFocus() else None)

    def _show(self, key: str, owner: QWidget | None) -> None:
        if not key:
            return
        if isinstance(owner, QAbstractItemView) and key == "layers":
            index: QModelIndex = owner.currentIndex()
            key = _LAYER_COLUMN_KEYS.get(index.column(), "layers") if index.isValid() else "layers"
        entry, current = self._entry(key)
        if entry is None:
            return
        self.key = key
        self.setHtml(help_html(entry, current))

    def _entry(self, key: str) -> tuple[Help | None, str]:
        cfg = self.editor.config
        if key == "dataset":
            return (dataset_help(cfg.data.name) if cfg.data.name in DATASETS else HELP["dataset"]), ""
        if key.startswith("data.params."):
            return (param_help(cfg.data.name, key.rsplit(".", 1)[1]) if cfg.data.name in DATASETS else None), ""
        entry = HELP.get(key)
        current = ""
        if key in ("init_method", "loss_func", "optimizer", "output_activation", "schedule.name", "clip_type"):
            current = choice_tip(key, get_field(cfg, key))
        return entry, current
