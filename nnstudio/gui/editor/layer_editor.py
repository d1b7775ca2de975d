"""The layer-stack editor: a table of hidden layers between the locked input and output rows,
its buttons and keys, and a line under it with the design's size and what is wrong with a layer.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QAbstractItemView, QGridLayout, QHeaderView, QLabel, QSizePolicy, QStyle, QTableView,
                               QToolButton, QVBoxLayout, QWidget)

from ...config import ExperimentConfig
from ...engine import hidden_activation_names
from .controller import ConfigEditor
from .problems import describe_problem
from ...design.size import LARGE_PARAMS, design_size
from ...design.edits import duplicate_layer, insert_layer, move_layer, remove_layer
from ...design.help_texts import HELP
from .layer_model import (COL_ACTIVATION, COL_BN, COL_DROPOUT, COL_NAME, COL_UNITS, MAX_UNITS,  # noqa: F401
                          LayerDelegate, LayerTableModel)

ERROR_COLOUR = "#b71c1c"
WARNING_COLOUR = "#8a5a00"


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
        buttons = self._build_buttons()
        self.size_label = QLabel(self)
        self.size_label.setObjectName("designSizeLabel")
        self.size_label.setWordWrap(True)
        self.size_label.setTextFormat(Qt.TextFormat.PlainText)
        self.size_label.setToolTip("Trainable parameters (weights, biases, batch-norm scales and shifts) and the "
                                   "memory a run keeps for them: parameters, gradients, optimizer state and the "
                                   "best-epoch copy. Activations come on top, per batch.")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.size_label)
        # a mouse click moves the current row before it selects it: follow both, so the
        # buttons and keys see the finished selection
        self.view.selectionModel().currentRowChanged.connect(lambda *_: self._update_actions())
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())
        self.model.modelReset.connect(self._update_actions)
        editor.configChanged.connect(lambda _cfg: self._update_actions())
        editor.configChanged.connect(lambda _cfg: self._show_size())
        editor.dataInfoChanged.connect(lambda _info: self._show_size())
        editor.validityChanged.connect(lambda *_: self._show_size())
        self._update_actions()
        self._show_size()

    def _build_buttons(self) -> QGridLayout:
        """An action (with its keys, on the table) and a tool button for each layer operation,
        in two rows of three: the Network panel stays narrow enough for a 1280-pixel window."""
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
        return buttons

    def _show_size(self) -> None:
        """The design's size, or why a layer cannot be used, in the line under the buttons."""
        problem = self.editor.problem
        if problem is not None and problem.field.startswith("layers["):
            self.size_label.setStyleSheet(f"color: {ERROR_COLOUR};")
            self.size_label.setText("⚠ " + describe_problem(problem))
            return
        size = design_size(self.editor.config, self.editor.info)
        large = size is not None and size.parameters >= LARGE_PARAMS
        self.size_label.setStyleSheet(f"color: {WARNING_COLOUR};" if large else "color: palette(mid);")
        if size is None:
            self.size_label.setText("")
        else:
            self.size_label.setText(("⚠ Large design: " if large else "") + size.text()
                                    + (". Epochs will be slow." if large else ""))

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
        fm = v.fontMetrics()
        for col, sample in ((COL_NAME, "Hidden 10"), (COL_UNITS, "100000"), (COL_DROPOUT, "Dropout"),
                            (COL_BN, "BN")):
            v.setColumnWidth(col, fm.horizontalAdvance(sample) + 16)
        # the Activation column takes the room the others leave, but never less than its header and
        # longest name: a narrower table (a deep network's vertical scroll bar, a dragged splitter)
        # scrolls sideways instead of clipping a column
        names = [*hidden_activation_names(), "softmax"]
        self._activation_min = max(header.sectionSizeHint(COL_ACTIVATION),
                                   *(fm.horizontalAdvance(n) + 16 for n in names))
        v.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        v.viewport().installEventFilter(self)
        self._fit_activation()
        v.setMinimumHeight(fm.height() * 9)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802
        if watched is self.view.viewport() and event.type() == QEvent.Type.Resize:
            self._fit_activation()
        return False

    def _fit_activation(self) -> None:
        v = self.view
        others = sum(v.columnWidth(col) for col in (COL_NAME, COL_UNITS, COL_DROPOUT, COL_BN))
        v.setColumnWidth(COL_ACTIVATION, max(self._activation_min, v.viewport().width() - others))

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
        if self.model.dropout_only:  # a run is training: no layer may come or go
            for action in a.values():
                action.setEnabled(False)
            self.layerSelected.emit(-1 if layer is None else layer)
            return
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

    def set_editable(self, editable: bool, dropout: bool = False) -> None:
        """Everything editable, or (while a run trains) nothing, or only the dropout rates (``dropout``)."""
        self.model.dropout_only = not editable and dropout
        self.view.setEnabled(editable or dropout)
        self.view.setDragEnabled(editable)
        for action in self.actions_by_name.values():
            action.setEnabled(editable)
        if editable:
            self._update_actions()
