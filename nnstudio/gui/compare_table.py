"""The compare tab's summary table: one row per variant, numerically sortable.

:class:`SummaryModel` shows :class:`~nnstudio.compare.SummaryRow` objects through the columns of
:data:`~nnstudio.compare.SUMMARY_COLUMNS`; ``SORT_ROLE`` holds plain numbers (NaN sorted last) so
a :class:`~PySide6.QtCore.QSortFilterProxyModel` sorts "0.95" after "0.9" and not as text.
"""

from __future__ import annotations

import math
from typing import Sequence

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QBrush, QColor

from ..compare import Column, SummaryRow, columns_for
from .compare_plots import variant_color

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
PROBLEM_COLOR = QColor("#b71c1c")
PROBLEM_STATUSES = ("diverged", "error")


class SummaryModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[SummaryRow] = []
        self.columns: tuple[Column, ...] = columns_for(True)

    def set_rows(self, rows: Sequence[SummaryRow], classification: bool | None) -> None:
        """Replace the rows; same variants and columns only refresh the cells (keeps selection)."""
        columns = columns_for(classification)
        same_shape = columns == self.columns and [r.label for r in rows] == [r.label for r in self.rows]
        if same_shape:
            self.rows = list(rows)
            if self.rows:
                self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, len(self.columns) - 1))
            return
        self.beginResetModel()
        self.rows, self.columns = list(rows), columns
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        column = self.columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.title
        if role == Qt.ItemDataRole.ToolTipRole:
            return column.help
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row, column = self.rows[index.row()], self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(row)
        if role == SORT_ROLE:
            value = column.value(row)
            if isinstance(value, float) and math.isnan(value):
                return math.inf  # missing figures sort after every number
            return value
        if role == Qt.ItemDataRole.DecorationRole and column.key == "label":
            return QColor(variant_color(row.variant))
        if role == Qt.ItemDataRole.ForegroundRole and column.key == "status" and \
                any(p in row.status for p in PROBLEM_STATUSES):
            return QBrush(PROBLEM_COLOR)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column.key not in ("label", "status"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _tooltip(self, row: SummaryRow, column: Column) -> str:
        if column.key == "status" and row.errors:
            return "\n".join(row.errors)
        stat = getattr(row, column.key, None)
        if hasattr(stat, "n") and stat.n > 1:
            return f"mean {stat.mean:.5g}, std {stat.std:.3g}, min {stat.min:.5g}, max {stat.max:.5g} over {stat.n} runs"
        return column.help

    def variant_at(self, row: int) -> int:
        return self.rows[row].variant


def sorting_proxy(model: SummaryModel, parent=None) -> QSortFilterProxyModel:
    proxy = QSortFilterProxyModel(parent)
    proxy.setSourceModel(model)
    proxy.setSortRole(SORT_ROLE)
    return proxy
