"""The layer-stack editor: a table of hidden layers between the locked input and output rows.

Row 0 is the input (its size follows the data set), rows 1..n are the hidden layers, and the
last row is the output (its size follows the classes, its activation the hyperparameter panel).
The model shows the editor's config and never stores values: every change becomes one undoable
edit, and the table follows the config (undo included).
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QMimeData, QModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QBrush, QColor, QFont, QKeySequence
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDoubleSpinBox, QGridLayout, QHeaderView, QSizePolicy,
                               QSpinBox, QStyle, QStyledItemDelegate, QTableView, QToolButton, QVBoxLayout, QWidget)

from ...config import ExperimentConfig
from ...engine import hidden_activation_names
from .controller import ConfigEditor
from ...design.edits import (duplicate_layer, insert_layer, move_layer, output_size, remove_layer, set_layer_field)
from ...design.help_texts import HELP, choice_tip

MAX_UNITS = 100_000  # ExperimentConfig.validate's limit
MAX_DROPOUT = 0.95
LAYER_MIME = "application/x-nnstudio-layer-index"

COL_NAME, COL_UNITS, COL_ACTIVATION, COL_DROPOUT, COL_BN = range(5)
HEADERS = ("Layer", "Units", "Activation", "Dropout", "BN")
HEADER_TIPS = ("", HELP["layer.units"].tip, HELP["layer.activation"].tip, HELP["layer.dropout_rate"].tip,
               HELP["layer.batch_norm"].tip)
FIELD_OF_COLUMN = {COL_UNITS: "units", COL_ACTIVATION: "activation", COL_DROPOUT: "dropout_rate"}
LOCKED_COLOUR = QColor("#6b6b6b")


class LayerTableModel(QAbstractTableModel):
    """Rows: input, hidden layers, output.  Edits go to the :class:`ConfigEditor`."""

    def __init__(self, editor: ConfigEditor, parent=None):
        super().__init__(parent)
        self.editor = editor
        self._layers = editor.config.layers
        editor.configChanged.connect(self._on_config)
        editor.dataInfoChanged.connect(lambda _info: self._refresh_ends())

    # -- shape -------------------------------------------------------------------------------
    @property
    def n_hidden(self) -> int:
        return len(self._layers)

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else self.n_hidden + 2

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(HEADERS)

    def layer_index(self, row: int) -> int | None:
        """Hidden-layer index of a table row, None for the input and output rows."""
        return row - 1 if 1 <= row <= self.n_hidden else None

    def row_of_layer(self, layer: int) -> int:
        return layer + 1

    # -- reading -----------------------------------------------------------------------------
    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return HEADER_TIPS[section] or None
        return None

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, col = index.row(), index.column()
        layer = self.layer_index(row)
        if layer is None:
            return self._end_data(row == 0, col, role)
        cfg = self._layers[layer]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return {
                COL_NAME: f"Hidden {layer + 1}",
                COL_UNITS: cfg.units,
                COL_ACTIVATION: cfg.activation,
                COL_DROPOUT: cfg.dropout_rate if role == Qt.ItemDataRole.EditRole else f"{cfg.dropout_rate:.2f}",
            }.get(col)
        if role == Qt.ItemDataRole.CheckStateRole and col == COL_BN:
            return Qt.CheckState.Checked if cfg.batch_norm else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == COL_ACTIVATION:
                return choice_tip("layer.activation", cfg.activation)
            return HEADER_TIPS[col] or HELP["layers"].tip
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (COL_UNITS, COL_DROPOUT):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _end_data(self, is_input: bool, col: int, role) -> Any:
        info, cfg = self.editor.info, self.editor.config
        if role == Qt.ItemDataRole.DisplayRole:
            if is_input:
                size = info.n_features if info.ok else None
                return {COL_NAME: "Input", COL_UNITS: size if size else "…"}.get(col)
            size = output_size(cfg, info)
            return {COL_NAME: "Output", COL_UNITS: size if size else "…",
                    COL_ACTIVATION: cfg.output_activation}.get(col)
        if role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(LOCKED_COLOUR)
        if role == Qt.ItemDataRole.FontRole:
            font = QFont()
            font.setItalic(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            if is_input:
                return "Locked: one input per feature of the data set."
            return ("Locked: one output per class (1 for regression, 1 for two classes with a sigmoid). "
                    "Its activation is set in Hyperparameters → Output activation.")
        if role == Qt.ItemDataRole.TextAlignmentRole and col == COL_UNITS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def flags(self, index: QModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled  # drops land between rows
        if self.layer_index(index.row()) is None:
            return Qt.ItemFlag.ItemIsEnabled
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled
        if index.column() in FIELD_OF_COLUMN:
            flags |= Qt.ItemFlag.ItemIsEditable
        if index.column() == COL_BN:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    # -- writing -----------------------------------------------------------------------------
    def setData(self, index: QModelIndex, value: Any, role=Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        layer = self.layer_index(index.row()) if index.isValid() else None
        if layer is None:
            return False
        col = index.column()
        if col == COL_BN and role == Qt.ItemDataRole.CheckStateRole:
            checked = Qt.CheckState(value) == Qt.CheckState.Checked
            return self._edit(set_layer_field(self.editor.config, layer, "batch_norm", checked),
                              f"{'Add' if checked else 'Remove'} batch norm on hidden layer {layer + 1}")
        field = FIELD_OF_COLUMN.get(col)
        if field is None or role != Qt.ItemDataRole.EditRole:
            return False
        value = {"units": int, "activation": str, "dropout_rate": float}[field](value)
        label = {"units": "units", "activation": "activation", "dropout_rate": "dropout"}[field]
        return self._edit(set_layer_field(self.editor.config, layer, field, value),
                          f"Set hidden layer {layer + 1} {label} to {value:g}" if isinstance(value, float)
                          else f"Set hidden layer {layer + 1} {label} to {value}")

    def _edit(self, new: ExperimentConfig, text: str) -> bool:
        self.editor.edit(new, text)
        return True

    # -- drag and drop -----------------------------------------------------------------------
    def supportedDropActions(self) -> Qt.DropAction:  # noqa: N802
        return Qt.DropAction.MoveAction

    def supportedDragActions(self) -> Qt.DropAction:  # noqa: N802
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:  # noqa: N802
        return [LAYER_MIME]

    def mimeData(self, indexes) -> QMimeData:  # noqa: N802
        rows = sorted({i.row() for i in indexes if self.layer_index(i.row()) is not None})
        mime = QMimeData()
        mime.setData(LAYER_MIME, json.dumps([self.layer_index(r) for r in rows]).encode())
        return mime

    def dropMimeData(self, data: QMimeData, action, row: int, column: int, parent: QModelIndex) -> bool:  # noqa: N802
        """Move the dragged layer to the drop position.

        Returns False on purpose: the move is a config edit, so the view must not remove the
        dragged row itself (it would for an accepted move).
        """
        if not data.hasFormat(LAYER_MIME):
            return False
        try:
            sources = json.loads(bytes(data.data(LAYER_MIME)).decode())
        except ValueError:
            return False
        if len(sources) != 1:
            return False
        if row < 0:
            row = parent.row() if parent.isValid() else self.rowCount()
        self.move_to_row(sources[0], row)
        return False

    def move_to_row(self, layer: int, row: int) -> int:
        """Move hidden ``layer`` so it sits before table row ``row``; return its new index."""
        before = max(0, min(row - 1, self.n_hidden))  # insertion point among hidden layers
        target = before if before <= layer else before - 1
        if target != layer:
            self.editor.edit(move_layer(self.editor.config, layer, target),
                             f"Move hidden layer {layer + 1} to position {target + 1}")
        return target

    # -- following the config ----------------------------------------------------------------
    def _on_config(self, cfg: ExperimentConfig) -> None:
        if len(cfg.layers) != len(self._layers):
            self.beginResetModel()
            self._layers = cfg.layers
            self.endResetModel()
            return
        self._layers = cfg.layers
        self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, self.columnCount() - 1))

    def _refresh_ends(self) -> None:
        last = self.rowCount() - 1
        self.dataChanged.emit(self.index(0, 0), self.index(0, self.columnCount() - 1))
        self.dataChanged.emit(self.index(last, 0), self.index(last, self.columnCount() - 1))


class LayerDelegate(QStyledItemDelegate):
    """Inline editors with the valid ranges: units 1..100 000, dropout 0..0.95, hidden activations."""

    def createEditor(self, parent, option, index):  # noqa: N802
        col = index.column()
        if col == COL_UNITS:
            editor = QSpinBox(parent)
            editor.setRange(1, MAX_UNITS)
            editor.setToolTip(f"1 to {MAX_UNITS:,} units. " + HELP["layer.units"].tip)
            return editor
        if col == COL_DROPOUT:
            editor = QDoubleSpinBox(parent)
            editor.setRange(0.0, MAX_DROPOUT)
            editor.setSingleStep(0.05)
            editor.setDecimals(2)
            editor.setToolTip(f"0 (off) to {MAX_DROPOUT}. " + HELP["layer.dropout_rate"].tip)
            return editor
        if col == COL_ACTIVATION:
            editor = QComboBox(parent)
            for i, name in enumerate(hidden_activation_names()):
                editor.addItem(name, name)
                editor.setItemData(i, choice_tip("layer.activation", name), Qt.ItemDataRole.ToolTipRole)
            # a choice is final: commit at once instead of waiting for focus to leave
            editor.activated.connect(lambda _i, e=editor: (self.commitData.emit(e), self.closeEditor.emit(e)))
            return editor
        return super().createEditor(parent, option, index)

    def setEditorData(self, editor, index):  # noqa: N802
        value = index.data(Qt.ItemDataRole.EditRole)
        if isinstance(editor, QComboBox):
            editor.setCurrentIndex(max(0, editor.findData(value)))
        elif isinstance(editor, (QSpinBox, QDoubleSpinBox)):
            editor.setValue(value)
        else:
            super().setEditorData(editor, index)

    def setModelData(self, editor, model, index):  # noqa: N802
        if isinstance(editor, QComboBox):
            model.setData(index, editor.currentData(), Qt.ItemDataRole.EditRole)
        elif isinstance(editor, (QSpinBox, QDoubleSpinBox)):
            editor.interpretText()
            if editor.value() != index.data(Qt.ItemDataRole.EditRole):
                model.setData(index, editor.value(), Qt.ItemDataRole.EditRole)
        else:
            super().setModelData(editor, model, index)


class LayerEditor(QWidget):
    """The table of layers and its buttons.

    Keyboard (table focused): Insert adds a layer below the current one, Shift+Insert inserts
    one above, Del removes, Ctrl+D duplicates, Alt+Up / Alt+Down move.
    """

    layerSelected = Signal(int)  # hidden-layer index, -1 for none

    def __init__(self, editor: ConfigEditor, parent: QWidget | None = None):
        super().__init__(parent)
        self.editor = editor
        self.model = LayerTableModel(editor, self)
        self.view = QTableView(self)
        self.view.setObjectName("layerEditor")
        self.view.setModel(self.model)
        self.view.setItemDelegate(LayerDelegate(self.view))
        self.view.setProperty("helpKey", "layers")
        self.view.setToolTip(HELP["layers"].tip)
        self._setup_view()
        self.actions_by_name: dict[str, QAction] = {}
        # two rows of three: the Network panel stays narrow enough for a 1280-pixel window
        buttons = QGridLayout()
        buttons.setSpacing(4)
        for i, (name, text, tip, keys, slot, icon) in enumerate(self._action_specs()):
            action = QAction(text, self)
            action.setObjectName(f"{name}Action")
            action.setToolTip(tip)
            action.setShortcuts([QKeySequence(k) for k in keys])
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)  # not while an inline editor is open
            action.triggered.connect(slot)
            self.view.addAction(action)
            self.actions_by_name[name] = action
            if icon is not None and not self.style().standardIcon(icon).isNull():
                action.setIcon(self.style().standardIcon(icon))
            button = QToolButton(self)
            button.setObjectName(f"{name}Button")
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly if not action.icon().isNull()
                                      else Qt.ToolButtonStyle.ToolButtonTextOnly)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            buttons.addWidget(button, i // 3, i % 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        # a mouse click moves the current row before it selects it: follow both, so the
        # buttons and keys see the finished selection
        self.view.selectionModel().currentRowChanged.connect(lambda *_: self._update_actions())
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())
        self.model.modelReset.connect(self._update_actions)
        editor.configChanged.connect(lambda _cfg: self._update_actions())
        self._update_actions()

    def _action_specs(self):
        sp = QStyle.StandardPixmap
        return [
            ("addLayer", "Add", "Add a layer below the selected one (Insert)", ["Insert"], self.add_layer, None),
            ("insertLayer", "Insert", "Insert a layer above the selected one (Shift+Insert)", ["Shift+Insert"],
             self.insert_layer, None),
            ("duplicateLayer", "Duplicate", "Duplicate the selected layer (Ctrl+D)", ["Ctrl+D"],
             self.duplicate_layer, None),
            ("removeLayer", "Remove", "Remove the selected layer (Del)", ["Delete"], self.remove_layer, None),
            ("moveLayerUp", "Up", "Move the selected layer up (Alt+Up)", ["Alt+Up"], self.move_up,
             sp.SP_ArrowUp),
            ("moveLayerDown", "Down", "Move the selected layer down (Alt+Down)", ["Alt+Down"], self.move_down,
             sp.SP_ArrowDown),
        ]

    def _setup_view(self) -> None:
        v = self.view
        v.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        v.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        v.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed
                          | QAbstractItemView.EditTrigger.SelectedClicked)
        v.setDragEnabled(True)
        v.setAcceptDrops(True)
        v.setDropIndicatorShown(True)
        v.setDragDropOverwriteMode(False)
        v.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        v.setDefaultDropAction(Qt.DropAction.MoveAction)
        v.setAlternatingRowColors(True)
        v.verticalHeader().setVisible(False)
        v.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        v.verticalHeader().setDefaultSectionSize(v.fontMetrics().height() + 10)
        header = v.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(COL_ACTIVATION, QHeaderView.ResizeMode.Stretch)
        fm = v.fontMetrics()
        for col, sample in ((COL_NAME, "Hidden 10"), (COL_UNITS, "100000"), (COL_DROPOUT, "Dropout"),
                            (COL_BN, "BN")):
            v.setColumnWidth(col, fm.horizontalAdvance(sample) + 16)
        v.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        v.setMinimumHeight(fm.height() * 9)

    # -- selection ---------------------------------------------------------------------------
    def current_layer(self) -> int | None:
        index = self.view.currentIndex()
        if not index.isValid() or not self.view.selectionModel().isRowSelected(index.row(), QModelIndex()):
            return None
        return self.model.layer_index(index.row())

    def select_layer(self, layer: int | None) -> None:
        if layer is None or not 0 <= layer < self.model.n_hidden:
            self.view.clearSelection()
            self.view.setCurrentIndex(QModelIndex())
            return
        index = self.model.index(self.model.row_of_layer(layer), COL_UNITS)
        self.view.setCurrentIndex(index)
        self.view.selectRow(index.row())
        self.view.scrollTo(index)

    def _update_actions(self) -> None:
        layer = self.current_layer()
        n = self.model.n_hidden
        a = self.actions_by_name
        for name in ("duplicateLayer", "removeLayer"):
            a[name].setEnabled(layer is not None)
        a["moveLayerUp"].setEnabled(layer is not None and layer > 0)
        a["moveLayerDown"].setEnabled(layer is not None and layer < n - 1)
        self.layerSelected.emit(-1 if layer is None else layer)

    # -- operations --------------------------------------------------------------------------
    def _do(self, new: ExperimentConfig, text: str, select: int | None) -> None:
        # select even when the config is unchanged (two identical layers swapped): the
        # selection follows the operation, as the user expects
        self.editor.edit(new, text)
        self.select_layer(select)
        self._update_actions()

    def add_layer(self) -> None:
        layer = self.current_layer()
        at = self.model.n_hidden if layer is None else layer + 1
        self._do(insert_layer(self.editor.config, at), f"Add hidden layer {at + 1}", at)

    def insert_layer(self) -> None:
        layer = self.current_layer()
        at = 0 if layer is None else layer
        self._do(insert_layer(self.editor.config, at), f"Insert hidden layer {at + 1}", at)

    def duplicate_layer(self) -> None:
        layer = self.current_layer()
        if layer is not None:
            self._do(duplicate_layer(self.editor.config, layer), f"Duplicate hidden layer {layer + 1}", layer + 1)

    def remove_layer(self) -> None:
        layer = self.current_layer()
        if layer is None:
            return
        remaining = self.model.n_hidden - 1
        select = min(layer, remaining - 1) if remaining else None
        self._do(remove_layer(self.editor.config, layer), f"Remove hidden layer {layer + 1}", select)

    def move_up(self) -> None:
        self._move(-1)

    def move_down(self) -> None:
        self._move(+1)

    def _move(self, delta: int) -> None:
        layer = self.current_layer()
        if layer is None or not 0 <= layer + delta < self.model.n_hidden:
            return
        self._do(move_layer(self.editor.config, layer, layer + delta),
                 f"Move hidden layer {layer + 1} {'up' if delta < 0 else 'down'}", layer + delta)

    def set_editable(self, editable: bool) -> None:
        self.view.setEnabled(editable)
        for action in self.actions_by_name.values():
            action.setEnabled(editable)
        if editable:
            self._update_actions()
