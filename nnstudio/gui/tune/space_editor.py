"""The search-space editor: one row per dimension, with inline validation.

Columns: a checkbox (searched or fixed at the base config's value), then either the range
(low, high, log scale) or the choices (a drop-down of checkable entries filled from the
engine's registries), then what is wrong with the row, if anything.  The columns are compact
(the choices' button elides its text; every value is in its tooltip), so the editor fits the
settings panel of a 1280 x 800 window without sideways scrolling.  The model is a
:class:`~nnstudio.tuning.SearchSpace`; every edit emits ``spaceChanged`` with the new space and
``validityChanged`` with whether it can be used.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QSignalBlocker, QSize, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (QCheckBox, QGridLayout, QLabel, QLineEdit, QMenu, QSizePolicy, QToolButton,
                               QWidget)

from ...tuning import DIMENSIONS, SearchSpace
from ...tuning.space import CATEGORICAL, INT, Dimension, format_number
from ..qt.style import PROBLEM_TEXT, text_color_style

PROBLEM_STYLE = text_color_style(PROBLEM_TEXT)

# Choices offered for categoricals that have no registry.
EXTRA_CHOICES = {"batch_size": (0, 16, 32, 64, 128, 256, 512), "batch_norm": (False, True)}


def _choice_text(value) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, int) and value == 0:
        return "0 (full batch)"
    return str(value)


def _parse_number(text: str, integer: bool):
    """The number in ``text`` (an int for integer dimensions), or the text itself if it is not one."""
    text = text.strip()
    try:
        value = float(text)
    except ValueError:
        return text
    if integer:
        return int(value) if math.isfinite(value) and value == int(value) else value
    return value


MAX_SHOWN_CHOICES = 3
NUMBER_MIN_WIDTH, NUMBER_MAX_WIDTH = 48, 72  # px of the low and high boxes
CHOICES_HINT_CHARS = 14  # the choices' button asks for this many characters; longer text is elided


class _ChoicesButton(QToolButton):
    """A drop-down button whose text is elided to its width instead of widening the editor."""

    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self._full = ""

    def full_text(self) -> str:
        return self._full

    def set_full_text(self, text: str) -> None:
        self._full = text
        self._elide()

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        extra = hint.width() - self.fontMetrics().horizontalAdvance(self.text())
        wanted = min(self.fontMetrics().horizontalAdvance(self._full),
                     self.fontMetrics().averageCharWidth() * CHOICES_HINT_CHARS)
        return QSize(extra + wanted, hint.height())

    def minimumSizeHint(self) -> QSize:
        return QSize(48, super().minimumSizeHint().height())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        # the room left for text: the button's width less what the style adds around it
        extra = super().sizeHint().width() - self.fontMetrics().horizontalAdvance(self.text())
        room = max(self.width() - extra, 20)
        self.setText(self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, room))


def _show_choices(row: "_Row", chosen) -> None:
    """The button says which values are chosen (the first few, then how many more)."""
    names = [_choice_text(c) for c in chosen]
    text = ", ".join(names[:MAX_SHOWN_CHOICES])
    if len(names) > MAX_SHOWN_CHOICES:
        text += f" +{len(names) - MAX_SHOWN_CHOICES} more"
    row.choices.set_full_text(text or "(choose at least one)")
    row.choices.setToolTip(f"{row.spec.help}\nChosen: {', '.join(names) or 'nothing'}. Click to change.")


class _Row:
    """The widgets of one dimension."""

    def __init__(self, editor: "SpaceEditor", name: str):
        spec = DIMENSIONS[name]
        self.name = name
        self.spec = spec
        tip = spec.help
        self.enabled = QCheckBox(spec.label, editor)
        self.enabled.setObjectName(f"dim_{name}_enabled")
        self.enabled.setToolTip(f"{tip}\nUnchecked: not searched; trials keep the base config's value.")
        self.problem = QLabel(editor)
        self.problem.setObjectName(f"dim_{name}_problem")
        self.problem.setStyleSheet(PROBLEM_STYLE)
        self.problem.setWordWrap(True)
        self.low = self.high = self.log = self.choices = None
        if spec.kind == CATEGORICAL:
            self.choices = _ChoicesButton(editor)
            self.choices.setObjectName(f"dim_{name}_choices")
            self.choices.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
            self.choices.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            self.choices.setToolTip(f"{tip}\nClick to choose which values trials may use.")
            self.menu = QMenu(self.choices)
            self.choices.setMenu(self.menu)
        else:
            kind = "whole number" if spec.kind == INT else "number (1e-3 style is fine)"
            self.low = QLineEdit(editor)
            self.low.setObjectName(f"dim_{name}_low")
            self.low.setToolTip(f"Lowest value searched: a {kind}.")
            self.high = QLineEdit(editor)
            self.high.setObjectName(f"dim_{name}_high")
            self.high.setToolTip(f"Highest value searched: a {kind}.")
            for edit in (self.low, self.high):
                edit.setMinimumWidth(NUMBER_MIN_WIDTH)
                edit.setMaximumWidth(NUMBER_MAX_WIDTH)
            self.log = QCheckBox("log", editor)
            self.log.setObjectName(f"dim_{name}_log")
            self.log.setToolTip("Search on a log scale: each factor of 10 gets the same share of trials "
                                "(needs low > 0).")

    def widgets(self) -> list[QWidget]:
        return [w for w in (self.enabled, self.low, self.high, self.log, self.choices, self.problem) if w]

    def valid_choices(self) -> list:
        if self.spec.valid_choices is not None:
            return list(self.spec.valid_choices())
        return list(EXTRA_CHOICES.get(self.name, ()))


class SpaceEditor(QWidget):
    """``searchSpaceEditor``: edits a :class:`SearchSpace`.

    Signals:
        spaceChanged(object): the edited space (possibly invalid: see :meth:`problems`).
        validityChanged(bool): whether the space can be used.
    """

    spaceChanged = Signal(object)
    validityChanged = Signal(bool)

    def __init__(self, space: SearchSpace | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("searchSpaceEditor")
        self._space = space or SearchSpace()
        self._valid = True
        self.rows: dict[str, _Row] = {}
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(3)
        for col, text in enumerate(("Dimension", "Low", "High", "")):
            header = QLabel(f"<b>{text}</b>", self)
            grid.addWidget(header, 0, col)
        for r, name in enumerate(DIMENSIONS, start=1):
            row = _Row(self, name)
            self.rows[name] = row
            grid.addWidget(row.enabled, 2 * r - 1, 0)
            if row.choices is not None:
                grid.addWidget(row.choices, 2 * r - 1, 1, 1, 3)
            else:
                grid.addWidget(row.low, 2 * r - 1, 1)
                grid.addWidget(row.high, 2 * r - 1, 2)
                grid.addWidget(row.log, 2 * r - 1, 3)
            grid.addWidget(row.problem, 2 * r, 0, 1, 4)
            self._connect(row)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 1)
        self.set_space(self._space)

    # -- model -> widgets ----------------------------------------------------------------
    def space(self) -> SearchSpace:
        return self._space

    def set_space(self, space: SearchSpace) -> None:
        """Show ``space`` (no ``spaceChanged`` is emitted for this)."""
        self._space = space
        for name, row in self.rows.items():
            d = space[name]
            blockers = [QSignalBlocker(w) for w in row.widgets()]
            row.enabled.setChecked(d.enabled)
            if row.choices is not None:
                self._fill_menu(row, d)
            else:
                row.low.setText(format_number(d.low, ""))
                row.high.setText(format_number(d.high, ""))
                row.log.setChecked(d.log)
            del blockers
        self._show_problems()

    def _fill_menu(self, row: _Row, d: Dimension) -> None:
        row.menu.clear()
        chosen = list(d.choices)
        for value in row.valid_choices():
            action = QAction(_choice_text(value), row.menu)
            action.setCheckable(True)
            action.setChecked(any(value == c and type(value) is type(c) for c in chosen))
            action.setData(value)
            action.toggled.connect(lambda _on, r=row: self._on_choices(r))
            row.menu.addAction(action)
        _show_choices(row, chosen)

    # -- widgets -> model ----------------------------------------------------------------
    def _connect(self, row: _Row) -> None:
        row.enabled.toggled.connect(lambda on, r=row: self._edit(r.name, enabled=on))
        if row.choices is None:
            integer = row.spec.kind == INT
            row.low.textEdited.connect(lambda text, r=row, i=integer: self._edit(r.name, low=_parse_number(text, i)))
            row.high.textEdited.connect(lambda text, r=row, i=integer: self._edit(r.name, high=_parse_number(text, i)))
            row.log.toggled.connect(lambda on, r=row: self._edit(r.name, log=on))

    def _on_choices(self, row: _Row) -> None:
        chosen = tuple(a.data() for a in row.menu.actions() if a.isChecked())
        _show_choices(row, chosen)
        self._edit(row.name, choices=chosen)

    def _edit(self, name: str, **changes) -> None:
        self._space = self._space.replace(name, **changes)
        self._show_problems()
        self.spaceChanged.emit(self._space)

    # -- validation ----------------------------------------------------------------------
    def problems(self) -> dict[str, str]:
        return self._space.problems()

    def is_valid(self) -> bool:
        return not self.problems()

    def _show_problems(self) -> None:
        problems = self.problems()
        for name, row in self.rows.items():
            on = self._space[name].enabled
            for w in row.widgets():
                if w is not row.enabled and w is not row.problem:
                    w.setEnabled(on and self.isEnabled())
            text = problems.get(name, "")
            row.problem.setText(text)
            row.problem.setVisible(bool(text))
        valid = not problems
        if valid != self._valid:
            self._valid = valid
            self.validityChanged.emit(valid)

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == event.Type.EnabledChange and self.rows:
            self._show_problems()
