"""The compare tab's summary table: one row per variant, numerically sortable.

:class:`SummaryModel` shows :class:`~nnstudio.compare.SummaryRow` objects through the columns of
:data:`~nnstudio.compare.SUMMARY_COLUMNS`; ``SORT_ROLE`` holds plain numbers (NaN sorted last) so
a :class:`~PySide6.QtCore.QSortFilterProxyModel` sorts "0.95" after "0.9" and not as text.

:class:`SummaryTable` keeps the table as wide as its viewport: short two-line headers (the full
title and meaning in their tooltips), "mean" over "± std" in two lines, and when the columns
still do not fit, the least important ones are left out; the variant's tooltip lists every figure.
"""

from __future__ import annotations

import math
from typing import Sequence

from PySide6.QtCore import (QAbstractTableModel, QEvent, QModelIndex, QPersistentModelIndex, QSize, QSortFilterProxyModel, Qt,
                            Signal)
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QStyle, QTableView

from ...compare import Column, SummaryRow, columns_for
from ..qt.style import ERROR_TEXT
from .plots import variant_color

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
PROBLEM_COLOR = QColor(ERROR_TEXT)
PROBLEM_STATUSES = ("diverged", "error")

# The table's headers (the CSV keeps the full titles): two short lines, so the columns stay narrow.
SHORT_TITLES = {
    "best_val_loss": "Best\nval loss",
    "final_val_loss": "Final\nval loss",
    "val_accuracy": "Val\naccuracy",
    "test_accuracy": "Test\naccuracy",
    "test_rmse": "Test\nRMSE",
    "epochs_to_target": "Epochs\nto target",
    "best_epoch": "Best\nepoch",
    "seconds": "Time\n(s)",
    "status": "Stop\nreason",
}
# Left out first when the columns do not fit the table's width (the variant is always shown).
DROP_ORDER = ("seconds", "best_epoch", "final_val_loss", "epochs_to_target", "test_accuracy", "test_rmse", "status",
              "val_accuracy", "best_val_loss")
MIN_LABEL_WIDTH = 130  # the variant column may shrink to this (eliding longer names) before a column is left out


class SummaryModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[SummaryRow] = []
        self.columns: tuple[Column, ...] = columns_for(True)
        self._cells: list[list[tuple]] = []  # (text, sort value) per row and column: the view asks often

    def set_rows(self, rows: Sequence[SummaryRow], classification: bool | None) -> None:
        """Replace the rows; same variants and columns only refresh the cells (keeps selection)."""
        columns = columns_for(classification)
        same_shape = columns == self.columns and [r.label for r in rows] == [r.label for r in self.rows]
        self._cells = [[_cell(column, row) for column in columns] for row in rows]
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
            return SHORT_TITLES.get(column.key, column.title)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{column.title}: {column.help}"
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row, column = self.rows[index.row()], self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._cells[index.row()][index.column()][0]
        if role == SORT_ROLE:
            return self._cells[index.row()][index.column()][1]
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
        if column.key == "label":  # every figure of the row, also those of columns left out
            return "\n".join([row.label] + [f"{c.title}: {c.text(row)}" for c in self.columns[1:]])
        if column.key == "status" and row.errors:
            return "\n".join(row.errors)
        stat = getattr(row, column.key, None)
        if hasattr(stat, "n") and stat.n > 1:
            return f"mean {stat.mean:.5g}, std {stat.std:.3g}, min {stat.min:.5g}, max {stat.max:.5g} over {stat.n} runs"
        return column.help

    def variant_at(self, row: int) -> int:
        return self.rows[row].variant


def _cell(column: Column, row: SummaryRow) -> tuple:
    """A cell's text (mean over ± std, and each of the seeds' stop reasons on a line of its own:
    narrow columns) and its sort value (missing figures last)."""
    value = column.value(row)
    if isinstance(value, float) and math.isnan(value):
        value = math.inf
    text = column.text(row).replace(" ± ", "\n± ")
    return (text.replace(", ", "\n") if column.key == "status" else text), value


def sorting_proxy(model: SummaryModel, parent=None) -> QSortFilterProxyModel:
    proxy = QSortFilterProxyModel(parent)
    proxy.setSourceModel(model)
    proxy.setSortRole(SORT_ROLE)
    return proxy


class SummaryHeader(QHeaderView):
    """A horizontal header that makes room for the sort arrow only in the sorted column
    (Qt widens every section by it, which leaves a third of a narrow table empty)."""

    def sectionSizeFromContents(self, logicalIndex: int) -> QSize:
        size = super().sectionSizeFromContents(logicalIndex)
        if self.isSortIndicatorShown() and logicalIndex != self.sortIndicatorSection():
            # what Qt added for the arrow: the section's height and a header margin
            margin = self.style().pixelMetric(QStyle.PixelMetric.PM_HeaderMargin, None, self)
            size.setWidth(max(size.width() - size.height() - margin, 0))
        return size


class SummaryTable(QTableView):
    """The summary table: as wide as its viewport, never scrolled sideways while the columns that
    matter most fit.  :attr:`hidden_titles` are the full titles of the columns left out."""

    columnsFitted = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        header = SummaryHeader(Qt.Orientation.Horizontal, self)
        self.setHorizontalHeader(header)
        header.setSectionsClickable(True)
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignCenter)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        header.sortIndicatorChanged.connect(lambda *_: self.fit_columns())
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setWordWrap(False)
        self.hidden_titles: list[str] = []
        self._fitting = False
        self._fitted_key = None

    def setModel(self, model) -> None:
        super().setModel(model)
        model.modelReset.connect(self.fit_columns)
        model.layoutChanged.connect(self.fit_columns)
        model.dataChanged.connect(lambda *_: self._fit_if_texts_changed())
        self.fit_columns()

    def viewportEvent(self, event) -> bool:
        handled = super().viewportEvent(event)
        if event.type() == QEvent.Type.Resize:  # also when a scroll bar comes or goes
            self.fit_columns()
        return handled

    def _fit_if_texts_changed(self) -> None:
        """Refit only when a column's texts changed in length (a run's updates mostly keep them)."""
        source = self._summary_model()
        key = tuple(tuple(len(text) for text, _ in row) for row in source._cells) if source is not None else None
        if key != self._fitted_key:
            self._fitted_key = key
            self.fit_columns()

    def _summary_model(self):
        model = self.model()
        return model.sourceModel() if isinstance(model, QSortFilterProxyModel) else model

    def fit_columns(self) -> None:
        """Stretch the variant column, size the others to their contents, and leave out columns
        (least important first) until the rest fit the viewport's width."""
        source = self._summary_model()
        if source is None or self._fitting:
            return
        self._fitting = True
        try:
            header = self.horizontalHeader()
            columns = source.columns
            keys = [c.key for c in columns]
            # what ResizeToContents gives each column (sectionSizeHint is 0 for a hidden one)
            needed = {i: max(self.sizeHintForColumn(i), header.sectionSizeFromContents(i).width(),
                             header.minimumSectionSize()) for i in range(len(columns))}
            label = keys.index("label") if "label" in keys else None
            available = self.viewport().width()
            shown = set(range(len(columns)))

            def width() -> int:
                return sum(min(needed[i], MIN_LABEL_WIDTH) if i == label else needed[i] for i in shown)
            for key in DROP_ORDER:
                if width() <= available:
                    break
                if key in keys:
                    shown.discard(keys.index(key))
            for i in range(len(columns)):
                header.setSectionHidden(i, i not in shown)
                mode = QHeaderView.ResizeMode.Stretch if i == label else QHeaderView.ResizeMode.ResizeToContents
                if header.sectionResizeMode(i) != mode:
                    header.setSectionResizeMode(i, mode)
            hidden = [columns[i].title for i in range(len(columns)) if i not in shown]
            if hidden != self.hidden_titles:
                self.hidden_titles = hidden
                self.columnsFitted.emit()
        finally:
            self._fitting = False
