"""``Variants`` box of the Compare tab: the factor that differs and its values (or experiment files).

Each ticked line of the list is one variant.  Values come from the factor registry's defaults for
the design and can be edited, added (comma-separated, ranges allowed) and removed; experiment
files are added as whole variants and survive a change of the factor.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout,
                               QLineEdit, QListWidget, QListWidgetItem, QPushButton, QStyle, QVBoxLayout, QWidget)

from ...compare import FACTORS, format_value
from ...config import ExperimentConfig
from ...files import EXPERIMENT_SUFFIX, FileFormatError, load_experiment
from ..widgets.build import named_button
from ..widgets.rows import row

KIND_ROLE = Qt.ItemDataRole.UserRole + 1    # "value" or "file"
PATH_ROLE = Qt.ItemDataRole.UserRole + 2
LIST_MIN_HEIGHT = 84  # px: the three buttons beside it
FILE_FILTER = f"nnstudio experiments (*{EXPERIMENT_SUFFIX});;All files (*)"

_PLACEHOLDERS = {
    "init_method": "Add e.g. lecun_uniform",
    "activation": "Add e.g. tanh",
    "optimizer": "Add e.g. rmsprop",
    "learning_rate": "Add 0.003 or a range 1e-4..1e-1",
    "dropout_rate": "Add e.g. 0.4",
    "clip": "Add e.g. norm:5, value:0.1",
    "batch_size": "Add e.g. 256 or full",
    "depth": "Add e.g. 6 or 6..8",
}


class VariantsBox(QGroupBox):
    """The factor and the list of its values.

    Signals:
        defaultsWanted(): the factor changed or Defaults was pressed: call :meth:`reset_values`
            with the design the defaults are for.
        message(str, str): a message for the tab's status banner and its severity ("" clears it).
    """

    defaultsWanted = Signal()
    message = Signal(str, str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Variants", parent)
        self._make_widgets()
        layout = QVBoxLayout(self)
        form = QFormLayout()
        form.addRow("Vary", self.factorCombo)
        layout.addLayout(form)
        # the buttons beside the list, not under it: the column stays short at 1280 x 800
        side = QVBoxLayout()
        side.setContentsMargins(0, 0, 0, 0)
        for button in (self.defaultsButton, self.removeButton, self.addFileButton):
            side.addWidget(button)
        side.addStretch(1)
        beside = QHBoxLayout()
        beside.addWidget(self.valuesList, 1)
        beside.addLayout(side)
        layout.addLayout(beside, 1)
        layout.addLayout(row(self.addValueEdit, self.addValueButton))
        self.factorCombo.currentIndexChanged.connect(self.show_factor)
        self.addValueButton.clicked.connect(self._add_typed_values)
        self.addValueEdit.returnPressed.connect(self._add_typed_values)
        self.defaultsButton.clicked.connect(self.defaultsWanted)
        self.removeButton.clicked.connect(self._remove_selected)
        self.addFileButton.clicked.connect(self._choose_files)
        remove = QShortcut(QKeySequence.StandardKey.Delete, self.valuesList)
        remove.setContext(Qt.ShortcutContext.WidgetShortcut)
        remove.activated.connect(self._remove_selected)

    def _make_widgets(self) -> None:
        self.factorCombo = QComboBox(self)
        self.factorCombo.setObjectName("compareFactorCombo")
        for i, (name, factor) in enumerate(FACTORS.items()):
            self.factorCombo.addItem(factor.title, name)
            self.factorCombo.setItemData(i, factor.help, Qt.ItemDataRole.ToolTipRole)
        self.factorCombo.setToolTip("What differs between the variants; everything else is the editor's design.")
        self.valuesList = QListWidget(self)
        self.valuesList.setObjectName("compareValuesList")
        self.valuesList.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.valuesList.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                        | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.valuesList.setToolTip("One variant per ticked line. Double-click (or F2) to edit a value; "
                                   "Delete removes the selected lines.")
        self.valuesList.setMinimumHeight(LIST_MIN_HEIGHT)
        self.addValueEdit = QLineEdit(self)
        self.addValueEdit.setObjectName("compareAddValueEdit")
        self.addValueEdit.setClearButtonEnabled(True)
        self.addValueButton = self._button("Add", "compareAddValueButton",
                                           "Add the values typed on the left (comma-separated; ranges allowed).")
        self.defaultsButton = self._button("Defaults", "compareDefaultsButton",
                                           "Put back the factor's default values (experiment files stay).")
        self.removeButton = self._button("Remove", "compareRemoveButton", "Remove the selected lines (Delete).")
        self.addFileButton = self._button("Add from file…", "compareAddFileButton",
                                          "Add saved experiments as variants. They keep their model and training "
                                          "settings but train on this comparison's data, seeds and epochs.")

    def _button(self, text: str, name: str, tip: str) -> QPushButton:
        return named_button(text, name, tip, self)

    @property
    def factor(self) -> str:
        return self.factorCombo.currentData()

    def set_running(self, running: bool) -> None:
        for w in (self.factorCombo, self.valuesList, self.addValueEdit, self.addValueButton, self.defaultsButton,
                  self.removeButton, self.addFileButton):
            w.setEnabled(not running)

    def show_factor(self, *_) -> None:
        """Tooltips and placeholder for the chosen factor; then its defaults are wanted."""
        factor = FACTORS[self.factor]
        self.factorCombo.setToolTip(factor.help)
        self.addValueEdit.setPlaceholderText(_PLACEHOLDERS.get(self.factor, "Add values, comma-separated"))
        self.addValueEdit.setToolTip(factor.help)
        self.defaultsWanted.emit()

    def reset_values(self, base: ExperimentConfig) -> None:
        """The factor's default values for ``base``; experiment files stay (ticked as they were)."""
        files = [self.valuesList.item(i) for i in range(self.valuesList.count())
                 if self.valuesList.item(i).data(KIND_ROLE) == "file"]
        kept = [(f.text(), f.data(PATH_ROLE), f.checkState()) for f in files]
        self.valuesList.clear()
        for value in FACTORS[self.factor].defaults(base):
            self._add_value_item(format_value(value))
        for text, path, state in kept:
            self._add_file_item(text, path, state)
        self.message.emit("", "")

    def _add_value_item(self, text: str) -> None:
        item = QListWidgetItem(text)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEditable)
        item.setCheckState(Qt.CheckState.Checked)
        item.setData(KIND_ROLE, "value")
        self.valuesList.addItem(item)

    def _add_file_item(self, text: str, path: str, state=Qt.CheckState.Checked) -> None:
        item = QListWidgetItem(self.style().standardIcon(QStyle.StandardPixmap.SP_FileIcon), text)
        item.setFlags((item.flags() | Qt.ItemFlag.ItemIsUserCheckable) & ~Qt.ItemFlag.ItemIsEditable)
        item.setCheckState(state)
        item.setData(KIND_ROLE, "file")
        item.setData(PATH_ROLE, path)
        item.setToolTip(path)
        self.valuesList.addItem(item)

    def _value_texts(self) -> list[str]:
        return [self.valuesList.item(i).text() for i in range(self.valuesList.count())
                if self.valuesList.item(i).data(KIND_ROLE) == "value"]

    def _add_typed_values(self) -> None:
        text = self.addValueEdit.text().strip()
        if not text:
            return
        try:
            values = FACTORS[self.factor].parse_values(text)
        except ValueError as exc:
            self.message.emit(str(exc), "error")
            return
        present = self._value_texts()
        for value in values:
            if format_value(value) not in present:
                self._add_value_item(format_value(value))
        self.addValueEdit.clear()
        self.message.emit("", "")

    def _remove_selected(self) -> None:
        for item in self.valuesList.selectedItems():
            self.valuesList.takeItem(self.valuesList.row(item))

    def _choose_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Add experiments as variants", "", FILE_FILTER)
        self.add_files(paths)

    def add_files(self, paths) -> None:
        """Add experiment files as variants; an unreadable file is reported and skipped."""
        problems = []
        for path in paths:
            try:
                config = load_experiment(path)
            except FileFormatError as exc:
                problems.append(str(exc))
                continue
            name = config.name if config.name and config.name != "untitled" else Path(path).stem
            self._add_file_item(f"{name}  ({Path(path).name})", str(path))
        self.message.emit("\n".join(problems), "error" if problems else "")

    def checked(self, kind: str) -> list[QListWidgetItem]:
        """The ticked lines of ``kind`` ("value" or "file")."""
        return [self.valuesList.item(i) for i in range(self.valuesList.count())
                if self.valuesList.item(i).data(KIND_ROLE) == kind
                and self.valuesList.item(i).checkState() == Qt.CheckState.Checked]

    def checked_values(self) -> list[str]:
        return [item.text() for item in self.checked("value")]

    def checked_files(self) -> list[str]:
        return [item.data(PATH_ROLE) for item in self.checked("file")]
