"""The confusion matrix of the test split: a table of counts, cells shaded by row share.

Headers hold the bare class labels (rows: true class, columns: predicted class, as the caption
above the table says), so that ten classes fit a narrow panel without scrolling.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from ..qt.style import DARK_TEXT, LIGHT_TEXT, PALETTE

SHADE = QColor(PALETTE[0])


def _cell_color(share: float) -> QColor:
    """White at 0, the shade colour at 1 (share of the true class's rows)."""
    s = float(np.clip(share, 0.0, 1.0))
    return QColor(round(255 + (SHADE.red() - 255) * s), round(255 + (SHADE.green() - 255) * s),
                  round(255 + (SHADE.blue() - 255) * s))


class ConfusionView(QTableWidget):
    """``confusionMatrix``: row = true class, column = predicted class, cell = test rows."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("confusionMatrix")
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for header in (self.horizontalHeader(), self.verticalHeader()):
            header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.setToolTip("Test-split confusion matrix: row = true class, column = predicted class.\n"
                        "The diagonal holds the correct predictions; cells are shaded by the share of the "
                        "row's samples.")
        self.matrix: np.ndarray | None = None

    def set_matrix(self, matrix: np.ndarray, labels) -> None:
        self.matrix = np.asarray(matrix)
        k = len(self.matrix)
        labels = [str(label) for label in labels] or [str(i) for i in range(k)]
        self.clear()
        self.setRowCount(k)
        self.setColumnCount(k)
        self.setHorizontalHeaderLabels(labels)
        self.setVerticalHeaderLabels(labels)
        for i, label in enumerate(labels):
            self.horizontalHeaderItem(i).setToolTip(f"Predicted class {label}")
            self.verticalHeaderItem(i).setToolTip(f"True class {label}")
        # columns as narrow as the widest count allows (they stretch to fill the panel)
        widest = self.fontMetrics().horizontalAdvance(str(int(self.matrix.max(initial=0))))
        for header in (self.horizontalHeader(), self.verticalHeader()):
            header.setMinimumSectionSize(max(widest, self.fontMetrics().horizontalAdvance("0")) + 8)
        totals = self.matrix.sum(axis=1)
        for i in range(k):
            for j in range(k):
                count = int(self.matrix[i, j])
                share = count / totals[i] if totals[i] else 0.0
                item = QTableWidgetItem(str(count))
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                item.setBackground(QBrush(_cell_color(share)))
                item.setForeground(QBrush(QColor(LIGHT_TEXT if share > 0.55 else DARK_TEXT)))
                item.setToolTip(f"true {labels[i]}, predicted {labels[j]}: {count} of {int(totals[i])} "
                                f"({100 * share:.1f}%)")
                self.setItem(i, j, item)

    def clear_matrix(self) -> None:
        self.matrix = None
        self.clear()
        self.setRowCount(0)
        self.setColumnCount(0)

    def total(self) -> int:
        """Sum of the counts shown in the table."""
        return sum(int(self.item(i, j).text()) for i in range(self.rowCount()) for j in range(self.columnCount()))
