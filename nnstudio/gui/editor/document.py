"""The edited config and its undo history.

:class:`ConfigDocument` holds one immutable :class:`ExperimentConfig`.  Every edit replaces it
through an :class:`EditCommand` on a ``QUndoStack`` holding the (old, new) pair, so undo and
redo restore configs exactly.  Views listen to :attr:`ConfigDocument.changed` and never keep
their own copy of a value.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from ...config import ExperimentConfig

_MERGE_IDS: dict[str, int] = {}


def _merge_id(key: str | None) -> int:
    """A stable small integer per merge key (Qt merges commands with equal ids); -1 never merges."""
    if key is None:
        return -1
    return _MERGE_IDS.setdefault(key, len(_MERGE_IDS) + 1)


class EditCommand(QUndoCommand):
    """Replace the document's config: ``redo`` sets ``new``, ``undo`` sets ``old``.

    Commands with the same ``merge_key`` pushed one after another become one step (a spin box
    stepped ten times is undone at once); a merge that returns to ``old`` drops the step.
    """

    def __init__(self, document: "ConfigDocument", old: ExperimentConfig, new: ExperimentConfig, text: str,
                 merge_key: str | None = None):
        super().__init__(text)
        self.document, self.old, self.new, self.merge_key = document, old, new, merge_key

    def id(self) -> int:  # noqa: A003 - Qt's name
        return _merge_id(self.merge_key)

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt's name
        if not isinstance(other, EditCommand) or other.merge_key != self.merge_key or self.merge_key is None:
            return False
        self.new = other.new
        self.setText(other.text())
        self.setObsolete(self.new == self.old)
        return True

    def redo(self) -> None:
        self.document._set(self.new)

    def undo(self) -> None:
        self.document._set(self.old)


class ConfigDocument(QObject):
    """The config being edited, with undo/redo.

    Signals:
        changed(new, old): the config was replaced (by an edit, undo, redo or reset).
    """

    changed = Signal(object, object)

    def __init__(self, config: ExperimentConfig | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self._config = config if config is not None else ExperimentConfig()
        self.undo_stack = QUndoStack(self)

    @property
    def config(self) -> ExperimentConfig:
        return self._config

    def apply(self, new: ExperimentConfig, text: str, merge_key: str | None = None) -> bool:
        """Make ``new`` the config as one undoable step; False when nothing changes."""
        if new == self._config:
            return False
        self.undo_stack.push(EditCommand(self, self._config, new, text, merge_key))
        return True

    def amend_last(self, new: ExperimentConfig, text: str = "") -> bool:
        """Fold ``new`` into the last step if the document is right after it, else push a step.

        Used for consequences that arrive later, such as fitting the loss to a data set that
        finished loading: undo then reverts the edit and its consequence together.
        """
        top = self.last_command()
        if top is None or top.new != self._config:
            return self.apply(new, text or "Adjust")
        top.new = new
        self._set(new)
        return True

    def last_command(self) -> EditCommand | None:
        """The step that undo would revert, or None."""
        index = self.undo_stack.index()
        command = self.undo_stack.command(index - 1) if index > 0 else None
        return command if isinstance(command, EditCommand) else None

    def reset(self, config: ExperimentConfig) -> None:
        """Start over with ``config``: empty history, unmodified (New and Open)."""
        self.undo_stack.clear()
        self._set(config)
        self.undo_stack.setClean()

    def mark_saved(self) -> None:
        self.undo_stack.setClean()

    def is_modified(self) -> bool:
        return not self.undo_stack.isClean()

    def _set(self, config: ExperimentConfig) -> None:
        old, self._config = self._config, config
        if old != config:
            self.changed.emit(config, old)
