"""The Compare tab's summary: the sortable table of variants, its note, Save results and Open in editor."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QPoint, QSize, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QAbstractItemView, QLabel, QMenu, QVBoxLayout, QWidget

from ..widgets.build import named_button
from ..widgets.rows import row
from .table import SummaryModel, SummaryTable, sorting_proxy

ROWS_SHOWN = 3  # the table always has room for this many variants
ROWS_WANTED = 7  # and asks for room for this many: every default initializer (1280 x 800 gives it)


class SummaryArea(QWidget):
    """The summary table (one row per variant) with the target note and the two buttons below it.

    The buttons and ``openAction`` are the tab's to connect.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = SummaryModel(self)
        self.proxy = sorting_proxy(self.model, self)
        self.table = SummaryTable(self)
        self.table.setObjectName("compareTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # variant order until a header is clicked
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.setToolTip("Click a header to sort; hover a header for its meaning, a variant for all its "
                              "figures.\nDouble-click a row (or Open in editor) to load that variant's design "
                              "into the editor.")
        self.openButton = named_button("Open in editor", "compareOpenButton",
            "Load the selected variant's design (with the first seed) into the editor.", self)
        self.saveButton = named_button("Save results…", "compareSaveButton",
            "Write summary.csv, summary.json and curves.png (and the depth study's "
            "depth.csv, depth.json and depth.png) into a folder, as `nnstudio compare` does.", self)
        self.openAction = QAction("Open in editor", self)
        self.openAction.setObjectName("compareOpenAction")
        self.staleLabel = QLabel("These results are from the previous design: it has changed since they ran "
                                 "(Run comparison again, or undo back to it).", self)
        self.staleLabel.setObjectName("compareStaleLabel")
        self.staleLabel.setWordWrap(True)
        self.staleLabel.setToolTip("The curves and the table describe the design as it was when the comparison "
                                   "ran, not the editor's design now.")
        self.staleLabel.hide()
        self.targetLabel = QLabel("", self)
        self.targetLabel.setObjectName("compareTargetLabel")
        self.targetLabel.setWordWrap(True)
        self._reserve_rows(ROWS_SHOWN)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.staleLabel)
        layout.addWidget(self.table, 1)
        notes = row(self.targetLabel, trailing=[self.saveButton, self.openButton])
        notes.setStretchFactor(self.targetLabel, 1)  # the note takes the free width, wrapping only when short of it
        layout.addLayout(notes)
        self.table.customContextMenuRequested.connect(self._table_menu)

    def _rows_height(self, rows: int) -> int:
        """The table's height for ``rows`` variants (a cell is "mean" over "± std") under its
        two-line headers."""
        lines = self.table.fontMetrics().lineSpacing()
        return 2 * self.table.frameWidth() + (2 * lines + 12) + rows * (2 * lines + 1)

    def _reserve_rows(self, rows: int) -> None:
        """Keep the table tall enough for ``rows`` variants."""
        self.table.setMinimumHeight(self._rows_height(rows))

    def sizeHint(self) -> QSize:  # noqa: N802
        """Room for :data:`ROWS_WANTED` rows: the tab's splitter gives the summary this height
        when the window has it, and the plots the rest."""
        hint = super().sizeHint()
        extra = self._rows_height(ROWS_WANTED) - max(self.table.sizeHint().height(), self.table.minimumHeight())
        return QSize(hint.width(), hint.height() + max(0, extra))

    def selected_variant(self) -> int | None:
        """The variant of the selected row, or None."""
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.model.variant_at(self.proxy.mapToSource(rows[0]).row())

    def select_variant(self, variant: int) -> None:
        for r in range(self.proxy.rowCount()):
            source = self.proxy.mapToSource(self.proxy.index(r, 0))
            if self.model.variant_at(source.row()) == variant:
                self.table.selectionModel().select(
                    self.proxy.index(r, 0),
                    QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
                return

    def set_open_enabled(self, enabled: bool) -> None:
        self.openButton.setEnabled(enabled)
        self.openAction.setEnabled(enabled)

    def show_note(self, target: str | None) -> None:
        """The target (``None`` before a run) and which columns the table's width leaves out (their
        figures are in the variant's tooltip)."""
        parts = [f"Target: {target}"] if target is not None else []
        hidden = self.table.hidden_titles
        if hidden:
            parts.append(hidden_note(hidden))
        self.targetLabel.setText(" · ".join(parts))
        self.targetLabel.setToolTip("Left out for lack of width: " + ", ".join(hidden) + ". Hover a variant's name "
                                    "for every figure of its row, or make the window wider (or close a side "
                                    "panel) to show the columns." if hidden else "")

    def _table_menu(self, pos: QPoint) -> None:
        index: QModelIndex = self.table.indexAt(pos)
        if not index.isValid():
            return
        self.table.selectRow(index.row())
        menu = QMenu(self)
        menu.addAction(self.openAction)
        menu.exec(self.table.viewport().mapToGlobal(pos))


def hidden_note(hidden: list[str]) -> str:
    """What the note under the table says of the columns left out: their names (their count when
    more than two) and where their figures are."""
    if len(hidden) == 1:
        return f"No room for the column {hidden[0]}: hover a variant's name to see it"
    named = " and ".join(hidden) if len(hidden) == 2 else f"{len(hidden)} columns"
    return f"No room for {named}: hover a variant's name to see them"
