"""The layer table's model: input, hidden layers and output rows, and the inline editors.

Row 0 is the input (its size follows the data set), rows 1..n are the hidden layers, and the
last row is the output (its size follows the classes, its activation the hyperparameter panel).
The model shows the editor's config and never stores values: every change becomes one undoable
edit, and the table follows the config (undo included).  The inline editors accept any number a
user types; a value the config cannot hold (0 units, a million units) reaches the config and is
explained inline, never silently clamped.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QMimeData, QModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QSpinBox, QStyledItemDelegate

from ...config import ExperimentConfig
from ...engine import hidden_activation_names
from .controller import ConfigEditor
from ...design.edits import move_layer, output_size, set_layer_field
from ...design.help_texts import HELP, choice_tip

MAX_UNITS = 100_000  # ExperimentConfig.validate's limit
TYPED_UNITS = 999_999_999  # what the units editor accepts: more is explained, not cut off
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
        self.dropout_only = False  # while a run trains: only the dropout column is editable
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
        if self.dropout_only:  # a run is training: it takes new dropout rates, nothing else
            flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
            return flags | Qt.ItemFlag.ItemIsEditable if index.column() == COL_DROPOUT else flags
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
    """Inline editors: units (any count typed; the config says which it accepts), dropout 0..0.95,
    hidden activations."""

    def createEditor(self, parent, option, index):  # noqa: N802
        col = index.column()
        if col == COL_UNITS:
            editor = QSpinBox(parent)
            editor.setRange(0, TYPED_UNITS)
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
