"""The trials table's number column kept in view while the table is scrolled sideways.

:class:`FrozenColumn` is a second view of the table's own model and selection, showing only the
``#`` column, laid over the table's left edge once the first column has scrolled away: each row
still names its trial, and a click on it selects that trial's row.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QAbstractItemView, QFrame, QHeaderView, QTableView, QTableWidget


class FrozenColumn(QTableView):
    """``frozenNumberColumn``: column ``column`` of ``table``, over its left edge while scrolled."""

    def __init__(self, table: QTableWidget, column: int = 0):
        super().__init__(table)
        self.setObjectName("frozenNumberColumn")
        self.table = table
        self.column = column
        self.setModel(table.model())
        self.setSelectionModel(table.selectionModel())
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setAlternatingRowColors(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(table.verticalHeader().defaultSectionSize())
        header = self.horizontalHeader()
        header.setSectionsClickable(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.setStyleSheet("QTableView#frozenNumberColumn { border-right: 1px solid palette(mid); }")
        self.setToolTip("The trial's number, kept in view while the table is scrolled sideways.")
        self._hide_other_columns()
        self.model().columnsInserted.connect(lambda *_: self._hide_other_columns())
        self.model().modelReset.connect(self._hide_other_columns)
        # scrolled together, both ways
        table.verticalScrollBar().valueChanged.connect(self.verticalScrollBar().setValue)
        self.verticalScrollBar().valueChanged.connect(table.verticalScrollBar().setValue)
        table.horizontalScrollBar().valueChanged.connect(lambda _v: self.place())
        table.horizontalHeader().sectionResized.connect(lambda *_: self.place())
        self.doubleClicked.connect(self._double_clicked)
        self.hide()

    def _hide_other_columns(self) -> None:
        for col in range(self.model().columnCount()):
            self.setColumnHidden(col, col != self.column)

    def _double_clicked(self, index: QModelIndex) -> None:
        self.table.cellDoubleClicked.emit(index.row(), self.column)

    def set_row_hidden(self, row: int, hidden: bool) -> None:
        """Follow the table's filter."""
        self.setRowHidden(row, hidden)

    def place(self) -> None:
        """Over the table's left edge, as wide as its column, while that column has scrolled away."""
        table = self.table
        scrolled = table.horizontalScrollBar().value() > 0 and not table.isColumnHidden(self.column)
        if not scrolled:
            self.hide()
            return
        width = table.columnWidth(self.column)
        self.setColumnWidth(self.column, width)
        header = table.horizontalHeader()
        self.horizontalHeader().setFixedHeight(header.height())
        frame = table.frameWidth()
        self.setGeometry(frame, frame, width + 1, header.height() + table.viewport().height())
        self.verticalScrollBar().setValue(table.verticalScrollBar().value())
        self.show()
        self.raise_()
